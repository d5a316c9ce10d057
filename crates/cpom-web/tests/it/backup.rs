//! Backup and restore: a copy restored into an empty data directory gives back the same
//! data, on both backends (and across them).

use cpom_domain::ScopeFilter;
use cpom_store::{AuditFilter, UserFilter};

use crate::support::{Backend, TestApp, backends, fresh_db};

async fn snapshot(store: &cpom_store::Store) -> (Vec<String>, u64, Vec<String>) {
    let users = store
        .list_users(&ScopeFilter::All, &UserFilter::default(), 1, 200)
        .await
        .expect("users");
    let audit = store
        .list_audit(&ScopeFilter::All, &AuditFilter::default(), 1, 1)
        .await
        .expect("audit");
    let mut files: Vec<String> = std::fs::read_dir(store.files_dir())
        .expect("files")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    (
        users
            .items
            .iter()
            .map(|u| format!("{}|{}|{}|{}", u.id, u.email, u.role, u.version))
            .collect(),
        audit.total,
        files,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_then_restore_into_an_empty_data_directory_gives_back_the_same_data() {
    for source in backends() {
        let app = TestApp::spawn(source).await;
        std::fs::write(app.store().files_dir().join("preuve.pdf"), b"%PDF-1.4 test")
            .expect("stored file");
        let archive = app.db.dir.path().join("sauvegarde.tar.gz");
        app.store().backup(&archive).await.expect("backup");
        let before = snapshot(app.store()).await;
        for target in backends() {
            let empty = fresh_db(target).await;
            empty.store.restore(&archive).await.expect("restore");
            assert_eq!(
                snapshot(&empty.store).await,
                before,
                "{source:?} -> {target:?}"
            );
            // Ids continue after the restored ones (sequences moved on PostgreSQL).
            let created = crate::support::UserBuilder::new(
                "apres-restauration",
                cpom_domain::Role::ArsReferent,
            )
            .region(Some("76"))
            .insert(&empty.store)
            .await;
            assert!(created.id > app.users.values().map(|u| u.id).max().expect("users"));
            // Restoring twice is refused: the target is no longer empty.
            assert!(empty.store.restore(&archive).await.is_err());
        }
        app.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_truncated_archive_is_refused_and_restores_nothing() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let archive = app.db.dir.path().join("sauvegarde.tar.gz");
    app.store().backup(&archive).await.expect("backup");
    let bytes = std::fs::read(&archive).expect("read");
    std::fs::write(&archive, &bytes[..bytes.len() / 2]).expect("truncate");
    let empty = fresh_db(Backend::Sqlite).await;
    assert!(empty.store.restore(&archive).await.is_err());
    assert_eq!(empty.store.count_users().await.expect("count"), 0);
    app.stop().await;
}
