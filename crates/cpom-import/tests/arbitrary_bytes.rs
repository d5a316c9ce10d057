//! Every reader on arbitrary bytes and on damaged copies of real inputs: no panic, and
//! every problem reported has a French message and a place inside the input
//! (`cpom_import::robustness::check`). The fuzz targets of `fuzz/` check the same promises
//! for longer (`bench/fuzz.sh`); these run in the suite on the stable toolchain.

use std::path::PathBuf;

use cpom_import::robustness::{self, Reader, check};
use proptest::prelude::*;

/// Real inputs of each reader (the repository's files).
fn seeds(reader: Reader) -> Vec<Vec<u8>> {
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    robustness::seeds(reader, &repo).unwrap_or_else(|e| panic!("{}: {e}", reader.name()))
}

/// A damage done to a real input.
#[derive(Debug, Clone)]
enum Damage {
    Flip(usize, u8),
    Insert(usize, Vec<u8>),
    Remove(usize, usize),
    Truncate(usize),
}

fn damage() -> impl Strategy<Value = Damage> {
    // Bytes that matter to the readers: separators, quotes, line ends, digits, Latin-1.
    let byte = prop_oneof![
        Just(b';'),
        Just(b','),
        Just(b'"'),
        Just(b'\n'),
        Just(b'\r'),
        Just(b'='),
        Just(b'['),
        Just(0xE9),
        any::<u8>()
    ];
    prop_oneof![
        (any::<usize>(), byte.clone()).prop_map(|(i, b)| Damage::Flip(i, b)),
        (any::<usize>(), proptest::collection::vec(byte, 1..8))
            .prop_map(|(i, b)| Damage::Insert(i, b)),
        (any::<usize>(), 1usize..64).prop_map(|(i, n)| Damage::Remove(i, n)),
        any::<usize>().prop_map(Damage::Truncate),
    ]
}

fn damaged(mut bytes: Vec<u8>, damages: &[Damage]) -> Vec<u8> {
    for d in damages {
        let at = |i: usize, len: usize| if len == 0 { 0 } else { i % len };
        match d {
            Damage::Flip(i, b) if !bytes.is_empty() => {
                let i = at(*i, bytes.len());
                bytes[i] = *b;
            }
            Damage::Flip(..) => {}
            Damage::Insert(i, b) => {
                let i = at(*i, bytes.len() + 1);
                bytes.splice(i..i, b.iter().copied());
            }
            Damage::Remove(i, n) => {
                let i = at(*i, bytes.len());
                let end = (i + n).min(bytes.len());
                bytes.drain(i..end);
            }
            Damage::Truncate(i) => {
                let i = at(*i, bytes.len() + 1);
                bytes.truncate(i);
            }
        }
    }
    bytes
}

fn holds(reader: Reader, bytes: &[u8]) -> Result<(), TestCaseError> {
    let scratch = tempfile::tempdir().expect("scratch dir");
    check(reader, bytes, scratch.path()).map_err(|broken| {
        TestCaseError::fail(format!(
            "{}: {broken}\ninput: {:?}",
            reader.name(),
            String::from_utf8_lossy(&bytes[..bytes.len().min(400)])
        ))
    })
}

#[test]
fn the_real_inputs_keep_the_promises_as_they_are() {
    for reader in Reader::ALL {
        for seed in seeds(reader) {
            holds(reader, &seed).unwrap_or_else(|e| panic!("{e}"));
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn every_reader_keeps_its_promises_on_arbitrary_bytes(
        reader in proptest::sample::select(Reader::ALL.to_vec()),
        bytes in proptest::collection::vec(any::<u8>(), 0..600),
    ) {
        holds(reader, &bytes)?;
    }

    #[test]
    fn every_reader_keeps_its_promises_on_damaged_real_inputs(
        reader in proptest::sample::select(Reader::ALL.to_vec()),
        pick in any::<usize>(),
        damages in proptest::collection::vec(damage(), 1..6),
    ) {
        let seeds = seeds(reader);
        let bytes = damaged(seeds[pick % seeds.len()].clone(), &damages);
        holds(reader, &bytes)?;
    }
}
