//! One fuzz target per reader: each runs `cpom_import::robustness::check` on the fuzzer's
//! bytes and turns a broken promise into a crash, so libFuzzer keeps the input.

use std::path::PathBuf;
use std::sync::OnceLock;

use cpom_import::robustness::{Reader, check};

/// The scratch directory of this process, for the readers that take a file.
fn scratch() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("cpom-fuzz-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("scratch dir");
        dir
    })
}

/// Runs `reader` on `data`; panics when a promise is broken.
pub fn run(reader: Reader, data: &[u8]) {
    if let Err(broken) = check(reader, data, scratch()) {
        panic!("{}: {broken}", reader.name());
    }
}
