//! Consistent backup and restore of the database and the stored files.
//!
//! The archive is a gzip-compressed tar holding `manifest.json`, one JSON-lines file per
//! table (`tables/<name>.jsonl`) and the stored files under `files/`. Rows are read inside
//! one read transaction, so the copy is a consistent snapshot even while the server writes.
//! The format is the same for both backends: a SQLite backup can be restored on PostgreSQL
//! and the other way round.

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use chrono::Utc;
use sea_orm::{
    AccessMode, ActiveModelTrait, ConnectionTrait, DatabaseBackend, DatabaseTransaction,
    EntityTrait, IsolationLevel, PaginatorTrait, QueryOrder, Statement, TransactionTrait,
};
use serde::{Deserialize, Serialize};

use crate::entity::{
    action_plan, api_token, audit_event, authorisation, campaign, catalogue, contract,
    contract_comment, contract_event, contract_file, contract_template, contract_version,
    declaration, declaration_evidence, declaration_history, entity_label, evidence, ght,
    ght_membership, import_run, legal_entity, login_attempt, notification, plan_item, plan_link,
    plan_member, plan_note, plan_setting, region_setting, reminder, review, review_action, session,
    site, site_capacity, user, value_import,
};
use crate::migration::TABLES;
use crate::{Store, StoreError};

/// Version of the archive layout.
const FORMAT: u32 = 1;
/// Rows read or inserted per batch.
const BATCH: u64 = 500;

/// Summary of an archive.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    /// Archive layout version.
    pub format: u32,
    /// When the snapshot was taken (RFC 3339).
    pub created_at: String,
    /// Backend the snapshot was taken from.
    pub backend: String,
    /// Rows per table.
    pub tables: Vec<(String, u64)>,
    /// Number of stored files.
    pub files: u64,
}

/// Runs `$body` with `$entity` bound to the SeaORM entity of table `$name`.
macro_rules! with_entity {
    ($name:expr, $entity:ident => $body:expr) => {
        match $name {
            "legal_entities" => {
                type $entity = legal_entity::Entity;
                $body
            }
            "region_settings" => {
                type $entity = region_setting::Entity;
                $body
            }
            "sites" => {
                type $entity = site::Entity;
                $body
            }
            "site_capacities" => {
                type $entity = site_capacity::Entity;
                $body
            }
            "ghts" => {
                type $entity = ght::Entity;
                $body
            }
            "ght_memberships" => {
                type $entity = ght_membership::Entity;
                $body
            }
            "entity_labels" => {
                type $entity = entity_label::Entity;
                $body
            }
            "authorisations" => {
                type $entity = authorisation::Entity;
                $body
            }
            "catalogues" => {
                type $entity = catalogue::Entity;
                $body
            }
            "contracts" => {
                type $entity = contract::Entity;
                $body
            }
            "contract_comments" => {
                type $entity = contract_comment::Entity;
                $body
            }
            "contract_templates" => {
                type $entity = contract_template::Entity;
                $body
            }
            "contract_files" => {
                type $entity = contract_file::Entity;
                $body
            }
            "contract_versions" => {
                type $entity = contract_version::Entity;
                $body
            }
            "contract_events" => {
                type $entity = contract_event::Entity;
                $body
            }
            "notifications" => {
                type $entity = notification::Entity;
                $body
            }
            "campaigns" => {
                type $entity = campaign::Entity;
                $body
            }
            "value_imports" => {
                type $entity = value_import::Entity;
                $body
            }
            "declarations" => {
                type $entity = declaration::Entity;
                $body
            }
            "declaration_history" => {
                type $entity = declaration_history::Entity;
                $body
            }
            "evidence" => {
                type $entity = evidence::Entity;
                $body
            }
            "declaration_evidence" => {
                type $entity = declaration_evidence::Entity;
                $body
            }
            "reminders" => {
                type $entity = reminder::Entity;
                $body
            }
            "reviews" => {
                type $entity = review::Entity;
                $body
            }
            "review_actions" => {
                type $entity = review_action::Entity;
                $body
            }
            "action_plans" => {
                type $entity = action_plan::Entity;
                $body
            }
            "plan_items" => {
                type $entity = plan_item::Entity;
                $body
            }
            "plan_settings" => {
                type $entity = plan_setting::Entity;
                $body
            }
            "plan_members" => {
                type $entity = plan_member::Entity;
                $body
            }
            "plan_notes" => {
                type $entity = plan_note::Entity;
                $body
            }
            "plan_links" => {
                type $entity = plan_link::Entity;
                $body
            }
            "import_runs" => {
                type $entity = import_run::Entity;
                $body
            }
            "users" => {
                type $entity = user::Entity;
                $body
            }
            "api_tokens" => {
                type $entity = api_token::Entity;
                $body
            }
            "sessions" => {
                type $entity = session::Entity;
                $body
            }
            "audit_events" => {
                type $entity = audit_event::Entity;
                $body
            }
            "login_attempts" => {
                type $entity = login_attempt::Entity;
                $body
            }
            other => {
                return Err(StoreError::Invalid {
                    field: "table",
                    message: format!("table inconnue dans l'archive : {other}"),
                })
            }
        }
    };
}

async fn dump_table<E>(txn: &DatabaseTransaction, out: &mut impl Write) -> Result<u64, StoreError>
where
    E: EntityTrait,
    E::Model: Serialize + Sync,
{
    // Rows go through the entity's own serde derive, so that restore reads back exactly
    // what was written, whatever the backend's native representation of a column.
    let mut pages = E::find()
        .order_by_asc(primary_key_column::<E>())
        .paginate(txn, BATCH);
    let mut count = 0;
    while let Some(rows) = pages.fetch_and_next().await? {
        for row in rows {
            serde_json::to_writer(&mut *out, &row).map_err(|e| StoreError::Io(e.to_string()))?;
            out.write_all(b"\n")?;
            count += 1;
        }
    }
    Ok(count)
}

fn primary_key_column<E: EntityTrait>() -> E::Column {
    use sea_orm::{Iterable, PrimaryKeyToColumn};
    E::PrimaryKey::iter()
        .next()
        .expect("every entity has a primary key")
        .into_column()
}

async fn load_table<E>(txn: &DatabaseTransaction, path: &Path) -> Result<u64, StoreError>
where
    E: EntityTrait,
    E::Model: Serialize + for<'de> Deserialize<'de> + sea_orm::IntoActiveModel<E::ActiveModel>,
    E::ActiveModel: ActiveModelTrait<Entity = E> + sea_orm::TryIntoModel<E::Model> + Send,
{
    let reader = BufReader::new(File::open(path)?);
    let mut batch = Vec::new();
    let mut count = 0;
    for (n, line) in reader.lines().enumerate() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let value: serde_json::Value =
            serde_json::from_str(&line).map_err(|e| StoreError::Invalid {
                field: "archive",
                message: format!("{}, ligne {} : JSON invalide ({e})", path.display(), n + 1),
            })?;
        let am = E::ActiveModel::from_json(value).map_err(|e| StoreError::Invalid {
            field: "archive",
            message: format!(
                "{}, ligne {} : ligne illisible ({e})",
                path.display(),
                n + 1
            ),
        })?;
        batch.push(am);
        count += 1;
        if batch.len() as u64 >= BATCH {
            E::insert_many(std::mem::take(&mut batch))
                .exec_without_returning(txn)
                .await?;
        }
    }
    if !batch.is_empty() {
        E::insert_many(batch).exec_without_returning(txn).await?;
    }
    Ok(count)
}

impl Store {
    /// Writes a consistent snapshot of the database and the stored files to `target`
    /// (written to a temporary file first, then renamed, so a failed backup leaves nothing
    /// half-written behind).
    pub async fn backup(&self, target: &Path) -> Result<Manifest, StoreError> {
        let work = tempfile_dir(target)?;
        let tables_dir = work.join("tables");
        std::fs::create_dir_all(&tables_dir)?;
        let txn = match self.backend() {
            // PostgreSQL: a repeatable-read, read-only transaction sees one snapshot.
            DatabaseBackend::Postgres => {
                self.db()
                    .begin_with_config(
                        Some(IsolationLevel::RepeatableRead),
                        Some(AccessMode::ReadOnly),
                    )
                    .await?
            }
            // SQLite (WAL): a read transaction sees the snapshot of its first read.
            _ => self.db().begin().await?,
        };
        let mut counts = Vec::new();
        for table in TABLES {
            let mut out = BufWriter::new(File::create(tables_dir.join(format!("{table}.jsonl")))?);
            let n = with_entity!(table, E => dump_table::<E>(&txn, &mut out).await?);
            out.flush()?;
            counts.push((table.to_owned(), n));
        }
        txn.commit().await?;
        let manifest = Manifest {
            format: FORMAT,
            created_at: Utc::now().to_rfc3339(),
            backend: self.backend_name().to_owned(),
            tables: counts,
            files: count_files(self.files_dir())?,
        };
        std::fs::write(
            work.join("manifest.json"),
            serde_json::to_vec_pretty(&manifest).map_err(|e| StoreError::Io(e.to_string()))?,
        )?;
        let files_dir = self.files_dir().to_owned();
        let target = target.to_owned();
        tokio::task::spawn_blocking(move || write_archive(&work, &files_dir, &target))
            .await
            .map_err(|e| StoreError::Io(e.to_string()))??;
        Ok(manifest)
    }

    /// Restores an archive into this (empty) database and files directory, in one
    /// transaction: either everything is restored or nothing.
    pub async fn restore(&self, archive: &Path) -> Result<Manifest, StoreError> {
        let work = tempfile_dir(archive)?;
        let (src, dst) = (archive.to_owned(), work.clone());
        tokio::task::spawn_blocking(move || unpack(&src, &dst))
            .await
            .map_err(|e| StoreError::Io(e.to_string()))??;
        let manifest: Manifest =
            serde_json::from_slice(&std::fs::read(work.join("manifest.json")).map_err(|_| {
                StoreError::Invalid {
                field: "archive",
                message:
                    "l'archive ne contient pas de manifest.json : ce n'est pas une sauvegarde cpom"
                        .into(),
            }
            })?)
            .map_err(|e| StoreError::Invalid {
                field: "archive",
                message: format!("manifest.json illisible : {e}"),
            })?;
        if manifest.format != FORMAT {
            return Err(StoreError::Invalid {
                field: "archive",
                message: format!("format d'archive {} non pris en charge", manifest.format),
            });
        }
        if self.count_users().await? > 0 {
            return Err(StoreError::Invalid {
                field: "database",
                message: "la base de destination contient déjà des comptes : restaurez dans un répertoire de données vide".into(),
            });
        }
        let txn = self.begin().await?;
        for (table, expected) in &manifest.tables {
            let path = work.join("tables").join(format!("{table}.jsonl"));
            let n = with_entity!(table.as_str(), E => load_table::<E>(&txn, &path).await?);
            if n != *expected {
                return Err(StoreError::Invalid {
                    field: "archive",
                    message: format!(
                        "table {table} : {n} lignes lues, {expected} attendues (archive tronquée ?)"
                    ),
                });
            }
        }
        if self.backend() == DatabaseBackend::Postgres {
            // Rows were inserted with their ids: move each identity sequence past them.
            for table in TABLES.iter().filter(|t| {
                !matches!(
                    **t,
                    "sessions" | "region_settings" | "plan_settings" | "contract_templates"
                )
            }) {
                let sql = format!(
                    "SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
                );
                txn.execute_raw(Statement::from_string(DatabaseBackend::Postgres, sql))
                    .await?;
            }
        }
        let files_src = work.join("files");
        if files_src.exists() {
            copy_tree(&files_src, self.files_dir())?;
        }
        txn.commit().await?;
        let _ = std::fs::remove_dir_all(&work);
        Ok(manifest)
    }
}

fn tempfile_dir(near: &Path) -> Result<PathBuf, StoreError> {
    let parent = near
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let dir = parent.join(format!(
        ".cpom-backup-{}-{}",
        std::process::id(),
        Utc::now().timestamp_nanos_opt().unwrap_or(0)
    ));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

fn count_files(dir: &Path) -> Result<u64, StoreError> {
    let mut n = 0;
    if dir.exists() {
        for entry in std::fs::read_dir(dir)? {
            let entry = entry?;
            n += if entry.file_type()?.is_dir() {
                count_files(&entry.path())?
            } else {
                1
            };
        }
    }
    Ok(n)
}

fn write_archive(work: &Path, files_dir: &Path, target: &Path) -> Result<(), StoreError> {
    let partial = target.with_extension("partial");
    let result = (|| -> Result<(), StoreError> {
        let gz =
            flate2::write::GzEncoder::new(File::create(&partial)?, flate2::Compression::default());
        let mut tar = tar::Builder::new(gz);
        tar.append_path_with_name(work.join("manifest.json"), "manifest.json")?;
        tar.append_dir_all("tables", work.join("tables"))?;
        if files_dir.exists() {
            tar.append_dir_all("files", files_dir)?;
        }
        let gz = tar.into_inner()?;
        let file = gz.finish()?;
        file.sync_all()?;
        Ok(())
    })();
    let _ = std::fs::remove_dir_all(work);
    match result {
        Ok(()) => Ok(std::fs::rename(&partial, target)?),
        Err(e) => {
            let _ = std::fs::remove_file(&partial);
            Err(e)
        }
    }
}

fn unpack(archive: &Path, dst: &Path) -> Result<(), StoreError> {
    let file =
        File::open(archive).map_err(|e| StoreError::Io(format!("{} : {e}", archive.display())))?;
    let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(file));
    // `unpack` refuses entries that would escape `dst` (absolute paths, `..`).
    tar.unpack(dst).map_err(|e| StoreError::Invalid {
        field: "archive",
        message: format!("archive illisible : {e}"),
    })
}

fn copy_tree(src: &Path, dst: &Path) -> Result<(), StoreError> {
    std::fs::create_dir_all(dst)?;
    for entry in std::fs::read_dir(src)? {
        let entry = entry?;
        let to = dst.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_tree(&entry.path(), &to)?;
        } else {
            std::fs::copy(entry.path(), &to)?;
        }
    }
    Ok(())
}
