//! What the tests of the command line share: a fresh database (SQLite in a temporary
//! directory, or a new PostgreSQL database when `CPOM_TEST_POSTGRES_URL` is set) and the
//! real data files of `../shared/data`.

use std::path::{Path, PathBuf};

/// A data directory and a database URL.
pub struct Env {
    pub dir: tempfile::TempDir,
    pub url: String,
}

/// A fresh environment: SQLite in the data directory, or a new PostgreSQL database named
/// after `tag`.
pub async fn fresh(postgres: bool, tag: &str) -> Env {
    let dir = tempfile::tempdir().expect("temporary directory");
    let url = if postgres {
        let admin = std::env::var("CPOM_TEST_POSTGRES_URL").expect("CPOM_TEST_POSTGRES_URL");
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let name = format!(
            "cpom_t_{tag}_{}_{}",
            std::process::id(),
            nanos % 1_000_000_000_000
        );
        cpom_store::create_postgres_database(&admin, &name)
            .await
            .expect("database")
    } else {
        cpom_store::default_database_url(dir.path())
    };
    Env { dir, url }
}

/// SQLite, and PostgreSQL when `CPOM_TEST_POSTGRES_URL` is set.
pub fn postgres_too() -> Vec<bool> {
    let mut v = vec![false];
    if std::env::var("CPOM_TEST_POSTGRES_URL").is_ok_and(|u| !u.is_empty()) {
        v.push(true);
    }
    v
}

/// A file of `../shared/data` (the directory itself with an empty name).
pub fn shared_data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data")
        .join(name)
}
