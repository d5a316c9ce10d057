//! One entry point for registry imports, shared by the command line and the web: read a file
//! of a given kind, plan it against the database, and apply it or not. Also the import
//! history.

use std::path::Path;

use cpom_domain::RegionCode;
use cpom_import::reader::FileError;
use cpom_import::{authorisations, finess, ght, sae};
use sea_orm::sea_query::ExprTrait;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Serialize;

use super::registry::{ImportKind, ImportReport, ImportSource};
use crate::audit::AuditActor;
use crate::entity::import_run;
use crate::{Page, Store, StoreError};

impl ImportKind {
    /// Every kind, in the order of a first import.
    pub const ALL: [ImportKind; 5] = [
        ImportKind::Finess,
        ImportKind::SaeId,
        ImportKind::SaeCapacity,
        ImportKind::Authorisations,
        ImportKind::Ght,
    ];

    /// Parses the identifier used in `cpom import KIND` and in forms.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// A file to import.
#[derive(Debug, Clone, Copy)]
pub struct ImportFile<'a> {
    /// Kind of file.
    pub kind: ImportKind,
    /// Where it is.
    pub path: &'a Path,
    /// Name to record (the uploaded name).
    pub file_name: &'a str,
    /// When applying a previewed file: the checksum seen at preview time.
    pub expected_checksum: Option<&'a str>,
}

/// One row of the import history.
#[derive(Debug, Clone, Serialize)]
pub struct ImportRun {
    /// Id.
    pub id: i64,
    /// Kind of file (`finess`, `sae-id`…).
    pub kind: String,
    /// File name as uploaded.
    pub file_name: String,
    /// SHA-256 of the file.
    pub checksum: String,
    /// When (UTC).
    pub at: chrono::DateTime<chrono::Utc>,
    /// Who.
    pub actor_label: String,
    /// Region the import was limited to (none: every region).
    pub region: Option<String>,
    /// Counts.
    pub created: i64,
    /// Lines that changed a record.
    pub updated: i64,
    /// Lines identical to the stored data.
    pub unchanged: i64,
    /// Lines left aside (other region, collectivities without ARS).
    pub skipped: i64,
}

fn file_error(e: FileError) -> StoreError {
    match e {
        FileError::Io(e) => StoreError::Io(e.to_string()),
        FileError::Format(message) => StoreError::Invalid {
            field: "file",
            message,
        },
    }
}

enum Read {
    Finess(cpom_import::Parsed<finess::FinessSite>),
    SaeId(cpom_import::Parsed<sae::SaeSite>),
    SaeCapacity(cpom_import::Parsed<sae::SaeCapacity>),
    Authorisations(cpom_import::Parsed<authorisations::Authorisation>),
    Ght(cpom_import::Parsed<ght::GhtMember>),
}

impl Store {
    /// Reads `file`, plans its changes within `scope` (a region, or everywhere), and applies
    /// them when `apply` is set and no line is rejected. A file that cannot be read as its
    /// kind at all, or whose checksum differs from the expected one, gives
    /// [`StoreError::Invalid`] on `file`.
    pub async fn import_path(
        &self,
        actor: &AuditActor,
        scope: Option<&RegionCode>,
        file: &ImportFile<'_>,
        apply: bool,
    ) -> Result<ImportReport, StoreError> {
        let kind = file.kind;
        let owned = file.path.to_owned();
        let (checksum, read) = tokio::task::spawn_blocking(move || {
            let checksum = cpom_import::checksum(&owned)?;
            let read = match kind {
                ImportKind::Finess => Read::Finess(finess::read_finess(&owned)?),
                ImportKind::SaeId => Read::SaeId(sae::read_id(&owned)?),
                ImportKind::SaeCapacity => Read::SaeCapacity(sae::read_sygen(&owned)?),
                ImportKind::Authorisations => Read::Authorisations(authorisations::read(&owned)?),
                ImportKind::Ght => Read::Ght(ght::read(&owned)?),
            };
            Ok::<_, FileError>((checksum, read))
        })
        .await
        .map_err(|e| StoreError::Io(format!("lecture interrompue : {e}")))?
        .map_err(file_error)?;
        if file.expected_checksum.is_some_and(|c| c != checksum) {
            return Err(StoreError::Invalid {
                field: "file",
                message: "le fichier a changé depuis l'aperçu : envoyez-le à nouveau".into(),
            });
        }
        let source = ImportSource {
            file_name: file.file_name.to_owned(),
            checksum,
        };
        match read {
            Read::Finess(p) => self.import_finess(actor, scope, &source, p, apply).await,
            Read::SaeId(p) => self.import_sae_id(actor, scope, &source, p, apply).await,
            Read::SaeCapacity(p) => {
                self.import_sae_capacity(actor, scope, &source, p, apply)
                    .await
            }
            Read::Authorisations(p) => {
                self.import_authorisations(actor, scope, &source, p, apply)
                    .await
            }
            Read::Ght(p) => self.import_ght(actor, scope, &source, p, apply).await,
        }
    }

    /// The import history, newest first, limited to one region's imports when `region` is set
    /// (national imports are listed to every administrator: they touch every region).
    pub async fn list_import_runs(
        &self,
        region: Option<&RegionCode>,
        page: u64,
        per_page: u64,
    ) -> Result<Page<ImportRun>, StoreError> {
        let mut q = import_run::Entity::find();
        if let Some(r) = region {
            q = q.filter(
                import_run::Column::RegionCode
                    .eq(r.as_str())
                    .or(import_run::Column::RegionCode.is_null()),
            );
        }
        let total = q.clone().count(self.db()).await?;
        let page = crate::page_number(page);
        let items = q
            .order_by_desc(import_run::Column::At)
            .order_by_desc(import_run::Column::Id)
            .offset((page - 1) * per_page)
            .limit(per_page)
            .all(self.db())
            .await?
            .into_iter()
            .map(|m| ImportRun {
                id: m.id,
                kind: m.kind,
                file_name: m.file_name,
                checksum: m.checksum,
                at: m.at,
                actor_label: m.actor_label,
                region: m.region_code,
                created: m.created,
                updated: m.updated,
                unchanged: m.unchanged,
                skipped: m.skipped,
            })
            .collect();
        Ok(Page {
            items,
            total,
            page,
            per_page,
        })
    }
}
