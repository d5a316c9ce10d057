//! Every reader on arbitrary bytes and on damaged copies of real inputs: no panic, and
//! every problem reported has a French message and a place inside the input
//! (`cpom_import::robustness::check`). The fuzz targets of `fuzz/` check the same promises
//! for longer (`bench/fuzz.sh`); these run in the suite on the stable toolchain.
//!
//! `write_fuzz_seeds` (ignored) writes the real inputs below as the fuzzers' first corpus.

use std::path::{Path, PathBuf};

use cpom_import::robustness::{Reader, check};
use proptest::prelude::*;

fn manifest() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The first `n` lines of a file of `../shared/data`.
fn head(name: &str, n: usize) -> Vec<u8> {
    let bytes =
        std::fs::read(manifest().join("../../../shared/data").join(name)).expect("real file");
    bytes
        .split_inclusive(|b| *b == b'\n')
        .take(n)
        .flatten()
        .copied()
        .collect()
}

fn plan_rows() -> Vec<cpom_domain::plan::PlanRow> {
    let row = |line: u64, objective: &str, action: &str, sub: &str| cpom_domain::plan::PlanRow {
        line,
        theme: "Prévention".into(),
        axis: "Axe 1 : vaccination".into(),
        objective: objective.into(),
        objective_start: "2024".into(),
        objective_end: "2028".into(),
        action: action.into(),
        sub_action: sub.into(),
        pilot: "ARS/AM".into(),
        status: "En cours".into(),
        start: "01/02/2025".into(),
        end: "2026".into(),
        description: "Campagne « aller vers »".into(),
        ..Default::default()
    };
    vec![
        row(2, "Objectif 1.1", "Action 1", ""),
        row(3, "Objectif 1.1", "Action 1", "Sous-action a"),
        row(4, "Objectif 1.2", "", ""),
    ]
}

/// Real inputs of each reader: what the agencies' files look like.
fn seeds(reader: Reader) -> Vec<Vec<u8>> {
    use cpom_import::{authorisations, bulk_values, catalogue, catalogue_xlsx, ght, plan};
    let catalogue_text = || {
        std::fs::read_to_string(
            manifest().join("../../catalogues/idf-positionnement-territorial.toml"),
        )
        .expect("shipped catalogue")
    };
    match reader {
        Reader::Finess => vec![
            std::fs::read(
                manifest().join("tests/fixtures/etalab-cs1100507-stock-20250101-0000.csv"),
            )
            .expect("fixture"),
            head("finess_etabs_hopitaux_france_FHOFF.csv", 4),
        ],
        Reader::SaeId => vec![head("SAE_2023_ID_2023r.csv", 3)],
        Reader::SaeSygen => vec![head("SAE_2023_SYGEN_2023r.csv", 3)],
        Reader::Authorisations => vec![authorisations::TEMPLATE.as_bytes().to_vec()],
        Reader::Ght => vec![ght::TEMPLATE.as_bytes().to_vec()],
        Reader::CatalogueToml => vec![catalogue_text().into_bytes()],
        Reader::CatalogueXlsx => {
            let c = catalogue::read_toml(&catalogue_text()).expect("valid catalogue");
            vec![catalogue_xlsx::write_xlsx(&c).expect("workbook")]
        }
        Reader::BulkValues => {
            let line = |finess: &str, year| bulk_values::TemplateLine {
                finess: finess.into(),
                establishment: "CH de Fleyriat".into(),
                indicator: "CPOM_CT_1".into(),
                title: "Taux de vacance".into(),
                expected: "nombre".into(),
                year,
            };
            vec![
                b"finess;indicateur;annee;valeur;numerateur;denominateur\n\
                  010780054;CPOM_CT_1;2026;12,5;;\n010780054;CPOM_CT_2;2026;;3;4\n"
                    .to_vec(),
                bulk_values::write_template(&[line("010780054", 2026), line("010000024", 2027)])
                    .expect("template"),
            ]
        }
        Reader::Plan => {
            let header: Vec<&str> = cpom_domain::plan::COLUMNS.iter().map(|(_, h)| *h).collect();
            let csv = format!(
                "{}\nPrévention;Axe 1;Objectif 1.1;;;2024;2028;Action 1;;ARS/AM;En cours;01/02/2025;2026;Texte;\n",
                header.join(";")
            );
            vec![
                csv.into_bytes(),
                plan::write(&plan_rows()).expect("workbook"),
            ]
        }
        Reader::TargetRule => [
            ">= 80 %",
            "+10 % vs N-1",
            "jalon \"comité de pilotage installé\" au 31/12/2026",
            "sans objet",
            "oui",
            "<= 3",
        ]
        .map(|s| s.as_bytes().to_vec())
        .to_vec(),
        Reader::Applicability => [
            "statut public",
            "ght",
            "autorisation \"01\" ou autorisation \"02\"",
            "non (statut privé et catégorie \"355\")",
        ]
        .map(|s| s.as_bytes().to_vec())
        .to_vec(),
    }
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

/// Writes the real inputs into `$CPOM_FUZZ_CORPUS/<reader>/seed-<n>` (by `bench/fuzz.sh`).
#[test]
#[ignore = "writes the fuzz corpus; run by bench/fuzz.sh"]
fn write_fuzz_seeds() {
    let root = PathBuf::from(std::env::var("CPOM_FUZZ_CORPUS").expect("CPOM_FUZZ_CORPUS"));
    for reader in Reader::ALL {
        let dir: &Path = &root.join(reader.name());
        std::fs::create_dir_all(dir).expect("corpus dir");
        for (n, seed) in seeds(reader).iter().enumerate() {
            std::fs::write(dir.join(format!("seed-{n}")), seed).expect("seed");
        }
    }
}
