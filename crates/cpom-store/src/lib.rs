//! Persistence of cpom.
//!
//! One SeaORM code path serves SQLite (the embedded default) and PostgreSQL. Repositories
//! take the [`Store`] (or a transaction inside it) and return domain-facing records; SeaORM
//! types never leave this crate. Every multi-step write is one transaction and writes its
//! audit row inside that transaction.

pub mod audit;
pub mod backup;
mod entity;
mod error;
pub mod migration;
pub mod password;
pub mod repo;

pub use audit::{AuditActor, AuditEvent, AuditFilter};
pub use cpom_import::Rejection;
pub use error::{StorageFault, StoreError};
pub use repo::legal_entities::LegalEntity;
pub use repo::sessions::SessionRow;
pub use repo::tokens::ApiToken;
pub use repo::users::{NewUser, Principal, User, UserFilter};

use std::path::{Path, PathBuf};
use std::time::Duration;

use sea_orm::{ConnectOptions, Database, DatabaseBackend, DatabaseConnection};
use sea_orm_migration::MigratorTrait;

/// Largest page number a listing serves; a larger one is served as this one (empty for any
/// real listing). Keeps the offsets `(page - 1) × per_page` far from overflowing.
pub const MAX_PAGE: u64 = 1_000_000;

/// The page asked for, between 1 and [`MAX_PAGE`].
pub(crate) fn page_number(page: u64) -> u64 {
    page.clamp(1, MAX_PAGE)
}

/// The number of items across all pages when the page read tells it, without counting: a
/// page with fewer than `per_page` items is the last, unless it is empty past the first
/// (asked beyond the end). Most listings of one contract or entity fit on their first page,
/// and the count is a second query on each of them.
pub(crate) fn known_total(page: u64, per_page: u64, read: usize) -> Option<u64> {
    let read = read as u64;
    (per_page > 0 && read < per_page && (page == 1 || read > 0))
        .then(|| (page - 1).saturating_mul(per_page).saturating_add(read))
}

/// The number of items across all pages: [`known_total`], else `count` (run only then).
pub(crate) async fn total_items(
    page: u64,
    per_page: u64,
    read: usize,
    count: impl std::future::Future<Output = Result<u64, sea_orm::DbErr>>,
) -> Result<u64, sea_orm::DbErr> {
    match known_total(page, per_page, read) {
        Some(total) => Ok(total),
        None => count.await,
    }
}

/// A page of results with the total count, for paginated listings.
#[derive(Debug, Clone)]
pub struct Page<T> {
    /// Items of this page.
    pub items: Vec<T>,
    /// Number of items across all pages.
    pub total: u64,
    /// 1-based page number.
    pub page: u64,
    /// Page size.
    pub per_page: u64,
}

impl<T> Page<T> {
    /// An empty first page (for a scope that sees nothing).
    pub fn empty(per_page: u64) -> Self {
        Self {
            items: vec![],
            total: 0,
            page: 1,
            per_page,
        }
    }

    /// Number of pages (at least 1, so that an empty listing still has one page).
    pub fn page_count(&self) -> u64 {
        self.total.div_ceil(self.per_page).max(1)
    }
}

/// The condition keeping the rows of `scope`, given the columns holding a row's region and
/// legal entity; `None` when the scope sees nothing.
pub(crate) fn scope_condition<C: sea_orm::ColumnTrait>(
    scope: &cpom_domain::ScopeFilter,
    region: C,
    ej: C,
) -> Option<sea_orm::Condition> {
    use cpom_domain::ScopeFilter;
    match scope {
        ScopeFilter::All => Some(sea_orm::Condition::all()),
        ScopeFilter::Region(r) => Some(sea_orm::Condition::all().add(region.eq(r.as_str()))),
        ScopeFilter::LegalEntity(e) => Some(sea_orm::Condition::all().add(ej.eq(e.as_str()))),
        ScopeFilter::Nothing => None,
    }
}

/// Handle on the database (and the directory of stored files).
#[derive(Clone, Debug)]
pub struct Store {
    db: DatabaseConnection,
    files_dir: PathBuf,
    /// The registry's search index (see [`repo::search_index`]).
    search: std::sync::Arc<repo::search_index::SearchCache>,
    /// Catalogue versions read, once no longer drafts (their content never changes then).
    catalogues: repo::catalogues::CatalogueCache,
    /// The counts behind the campaigns' dashboards, until their declarations change.
    dashboards: repo::campaigns::DashboardCache,
    /// Connected for a bulk load ([`ConnectSettings::bulk_load`]).
    bulk_load: bool,
}

/// How [`Store::connect_with`] connects; the defaults are the server's.
#[derive(Debug, Clone, Copy, Default)]
pub struct ConnectSettings {
    /// At most this many connections (default: [`SQLITE_POOL`] on SQLite, [`postgres_pool`]
    /// on PostgreSQL).
    pub pool: Option<u32>,
    /// For a loader that fills an empty database (`cpom generate`) and can run again from
    /// the start: a commit does not wait for the disk to flush (PostgreSQL's
    /// `synchronous_commit = off`, SQLite's `synchronous = NORMAL`), and PostgreSQL's
    /// statistics are not refreshed after each campaign opened; the loader calls
    /// [`Store::refresh_statistics`] after its stages instead. A crash may lose the last
    /// commits, never leave the database inconsistent. Never for the server.
    pub bulk_load: bool,
}

/// Connections to a SQLite file by default: readers run on their connections' own threads,
/// and on 2 cores 8 served the pages faster than 4 (BENCHMARKS.md, "Pool of connections").
pub const SQLITE_POOL: u32 = 8;

/// Connections to PostgreSQL by default: twice the cores plus one, at least 4. More
/// connections than the cores can run only queue in the database's processes, which then
/// take the cores from the server's own threads: on 2 cores, 16 connections served the
/// contract page at p99 105–124 ms where 4 did at 68–84 ms (BENCHMARKS.md, "Pool of
/// connections").
pub fn postgres_pool() -> u32 {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    u32::try_from(cores * 2 + 1).unwrap_or(u32::MAX).max(4)
}

/// The default database URL: a SQLite file in the data directory.
pub fn default_database_url(data_dir: &Path) -> String {
    format!(
        "sqlite://{}?mode=rwc",
        data_dir.join("cpom.sqlite").display()
    )
}

impl Store {
    /// Connects to `url` (`sqlite://…` or `postgres://…`); stored files live under
    /// `data_dir/files`.
    pub async fn connect(url: &str, data_dir: &Path) -> Result<Self, StoreError> {
        Self::connect_with(url, data_dir, ConnectSettings::default()).await
    }

    /// [`Store::connect`] with its [`ConnectSettings`].
    pub async fn connect_with(
        url: &str,
        data_dir: &Path,
        settings: ConnectSettings,
    ) -> Result<Self, StoreError> {
        let ConnectSettings { pool, bulk_load } = settings;
        let mut opts = ConnectOptions::new(url.to_owned());
        opts.sqlx_logging(false)
            .connect_timeout(Duration::from_secs(10))
            .acquire_timeout(Duration::from_secs(15));
        if url.starts_with("sqlite:") {
            // WAL lets readers proceed while one writer commits; the busy timeout makes
            // concurrent writers wait instead of failing; foreign keys are off by default in
            // SQLite and must be enabled on every connection. A connection to a local file
            // cannot be dropped by a server, and sqlx already checks each one when it comes
            // back to the pool: the second check before lending it is one more round trip to
            // its thread per query, for nothing.
            opts.max_connections(pool.unwrap_or(SQLITE_POOL))
                .test_before_acquire(false)
                .map_sqlx_sqlite_opts(move |o| {
                    o.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                        .synchronous(if bulk_load {
                            sea_orm::sqlx::sqlite::SqliteSynchronous::Normal
                        } else {
                            sea_orm::sqlx::sqlite::SqliteSynchronous::Full
                        })
                        .busy_timeout(Duration::from_secs(10))
                        .foreign_keys(true)
                });
        } else {
            opts.max_connections(pool.unwrap_or_else(postgres_pool));
            if bulk_load {
                opts.map_sqlx_postgres_opts(|o| o.options([("synchronous_commit", "off")]));
            }
        }
        let db = Database::connect(opts).await?;
        let files_dir = data_dir.join("files");
        std::fs::create_dir_all(&files_dir).map_err(|e| StoreError::Io(e.to_string()))?;
        Ok(Self {
            db,
            files_dir,
            search: Default::default(),
            catalogues: Default::default(),
            dashboards: Default::default(),
            bulk_load,
        })
    }

    /// Refreshes PostgreSQL's statistics of the tables a bulk load filled (nothing on
    /// SQLite), so that its planner does not keep estimating them empty.
    pub async fn refresh_statistics(&self) -> Result<(), StoreError> {
        if self.backend() == sea_orm::DatabaseBackend::Postgres {
            use sea_orm::ConnectionTrait;
            self.db().execute_unprepared("ANALYZE").await?;
        }
        Ok(())
    }

    /// Applies pending migrations.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        migration::Migrator::up(&self.db, None).await?;
        Ok(())
    }

    /// The SeaORM connection (for repositories of this crate).
    pub(crate) fn db(&self) -> &DatabaseConnection {
        &self.db
    }

    /// Begins a write transaction. On SQLite it is `BEGIN IMMEDIATE`: two transactions that
    /// read before they write (such as a change at the version read) then queue for the
    /// write lock within the busy timeout, instead of the second failing when it upgrades
    /// its read to a write; the version check then tells it the record changed (409). On
    /// PostgreSQL, an ordinary transaction.
    pub(crate) async fn begin(&self) -> Result<sea_orm::DatabaseTransaction, sea_orm::DbErr> {
        use sea_orm::TransactionTrait;
        self.db
            .begin_with_options(sea_orm::TransactionOptions {
                isolation_level: None,
                access_mode: None,
                sqlite_transaction_mode: Some(sea_orm::SqliteTransactionMode::Immediate),
            })
            .await
    }

    /// Which database engine is in use.
    pub fn backend(&self) -> DatabaseBackend {
        self.db.get_database_backend()
    }

    /// A short name of the backend for logs and health output.
    pub fn backend_name(&self) -> &'static str {
        match self.backend() {
            DatabaseBackend::Postgres => "postgresql",
            DatabaseBackend::Sqlite => "sqlite",
            _ => "other",
        }
    }

    /// Directory of stored files (evidence, signed scans…).
    pub fn files_dir(&self) -> &Path {
        &self.files_dir
    }

    /// Stores `bytes` as the file `relative` (a content-addressed name under the files
    /// directory), whole or not at all: they are written to a temporary file beside it,
    /// synced to disk, then renamed to the name. On failure (disk full, read-only) the
    /// temporary file is removed and nothing is left. A file already stored under the name
    /// holds the same content and is kept.
    pub(crate) async fn put_file(&self, relative: &str, bytes: &[u8]) -> Result<(), StoreError> {
        use tokio::io::AsyncWriteExt;
        let target = self.files_dir.join(relative);
        let dir = target.parent().unwrap_or(&self.files_dir);
        tokio::fs::create_dir_all(dir).await?;
        if tokio::fs::try_exists(&target).await.unwrap_or(false) {
            return Ok(());
        }
        let partial = dir.join(format!(
            ".{}.partial",
            hex::encode(rand::random::<[u8; 8]>())
        ));
        let written = async {
            let mut file = tokio::fs::File::create(&partial).await?;
            file.write_all(bytes).await?;
            file.sync_all().await?;
            drop(file);
            tokio::fs::rename(&partial, &target).await
        }
        .await;
        if let Err(e) = written {
            let _ = tokio::fs::remove_file(&partial).await;
            return Err(e.into());
        }
        Ok(())
    }

    /// Checks that the database answers a trivial query.
    pub async fn ping(&self) -> Result<(), StoreError> {
        self.db.ping().await?;
        Ok(())
    }

    /// Closes the connection pool.
    pub async fn close(self) -> Result<(), StoreError> {
        self.db.close().await?;
        Ok(())
    }
}

/// Creates an empty PostgreSQL database `name` through the server at `admin_url` and
/// returns its URL. Used by the test suite and benchmarks to get a fresh database each time.
pub async fn create_postgres_database(admin_url: &str, name: &str) -> Result<String, StoreError> {
    use sea_orm::{ConnectionTrait, Statement};
    if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(StoreError::Invalid {
            field: "database",
            message: format!("nom de base invalide : {name}"),
        });
    }
    let admin = Database::connect(admin_url).await?;
    admin
        .execute_raw(Statement::from_string(
            DatabaseBackend::Postgres,
            format!("CREATE DATABASE {name}"),
        ))
        .await?;
    admin.close().await?;
    let base = admin_url.rsplit_once('/').map_or(admin_url, |(b, _)| b);
    Ok(format!("{base}/{name}"))
}

#[cfg(test)]
mod tests {
    use super::known_total;

    #[test]
    fn a_short_page_tells_the_total_and_a_full_or_empty_one_does_not() {
        // First page not full: it holds everything, even nothing.
        assert_eq!(known_total(1, 20, 7), Some(7));
        assert_eq!(known_total(1, 20, 0), Some(0));
        // A later short page: the earlier pages were full.
        assert_eq!(known_total(3, 20, 5), Some(45));
        // A full page may be followed by more; an empty later page is past the end.
        assert_eq!(known_total(1, 20, 20), None);
        assert_eq!(known_total(4, 20, 0), None);
        assert_eq!(known_total(1, 0, 0), None);
    }
}
