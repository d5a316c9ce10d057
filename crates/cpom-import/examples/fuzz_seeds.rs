//! Writes the real inputs of every reader (`cpom_import::robustness::seeds`) as the fuzzers'
//! first corpus: `<corpus>/<reader>/seed-<n>`. Run by `bench/fuzz.sh`:
//! `cargo run -p cpom-import --example fuzz_seeds -- <corpus>`.

use std::path::PathBuf;

use cpom_import::robustness::{Reader, seeds};

fn main() -> Result<(), String> {
    let corpus = PathBuf::from(
        std::env::args()
            .nth(1)
            .ok_or("usage : fuzz_seeds <répertoire du corpus>")?,
    );
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    for reader in Reader::ALL {
        let dir = corpus.join(reader.name());
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        for (n, seed) in seeds(reader, &repo)?.iter().enumerate() {
            let path = dir.join(format!("seed-{n}"));
            std::fs::write(&path, seed).map_err(|e| format!("{}: {e}", path.display()))?;
        }
    }
    Ok(())
}
