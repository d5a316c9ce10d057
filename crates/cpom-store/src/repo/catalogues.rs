//! Catalogues (référentiels): versions of a catalogue identified by its slug, each a draft,
//! published or archived. Only a draft changes; changing a published catalogue makes a new
//! draft version; publishing a version archives the one published before; a new
//! generation starts as a copy. The content is stored as the canonical text of the catalogue
//! format, so two versions compare as text.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use cpom_domain::catalogue::{Catalogue, CatalogueKind, CatalogueState, TargetRule, TargetYear};
use cpom_domain::{RegionCode, ScopeFilter};
use cpom_import::catalogue::{read_toml, write_toml};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set,
};
use serde::Serialize;

use crate::audit::{self, AuditActor, Change};
use crate::entity::catalogue;
use crate::{Page, Store, StoreError};

/// One version of a catalogue, as listings show it.
#[derive(Debug, Clone, Serialize)]
pub struct CatalogueVersion {
    /// Identifier of the catalogue (all its versions).
    pub slug: String,
    /// Version number, from 1.
    pub version: i32,
    /// Draft, published or archived.
    pub state: CatalogueState,
    /// Region.
    pub region: RegionCode,
    /// Title.
    pub title: String,
    /// Generation label.
    pub generation: String,
    /// Engagements or diagnostic.
    pub kind: CatalogueKind,
    /// First year.
    pub start_year: i32,
    /// Last year.
    pub end_year: i32,
    /// Number of strategic objectives.
    pub objectives: i32,
    /// Number of model actions.
    pub actions: i32,
    /// Number of indicator fiches.
    pub indicators: i32,
    /// Number of diagnostic questions.
    pub questions: i32,
    /// Version for concurrent edits.
    pub row_version: i64,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// Publication, if published.
    pub published_at: Option<DateTime<Utc>>,
}

impl TryFrom<&catalogue::Model> for CatalogueVersion {
    type Error = StoreError;
    fn try_from(m: &catalogue::Model) -> Result<Self, StoreError> {
        let corrupt = |field: &'static str| StoreError::Invalid {
            field,
            message: format!("valeur enregistrée invalide pour le référentiel {}", m.slug),
        };
        Ok(Self {
            slug: m.slug.clone(),
            version: m.version,
            state: CatalogueState::parse(&m.state).ok_or_else(|| corrupt("state"))?,
            region: RegionCode::parse(&m.region_code).map_err(|_| corrupt("region"))?,
            title: m.title.clone(),
            generation: m.generation.clone(),
            kind: CatalogueKind::parse(&m.kind).ok_or_else(|| corrupt("kind"))?,
            start_year: m.start_year,
            end_year: m.end_year,
            objectives: m.objectives,
            actions: m.actions,
            indicators: m.indicators,
            questions: m.questions,
            row_version: m.row_version,
            updated_at: m.updated_at,
            published_at: m.published_at,
        })
    }
}

/// What a new generation is called and when it runs.
#[derive(Debug, Clone)]
pub struct NewGeneration {
    /// Identifier of the new catalogue.
    pub slug: String,
    /// Its title.
    pub title: String,
    /// Generation label.
    pub generation: String,
    /// First year.
    pub start_year: i32,
    /// Last year.
    pub end_year: i32,
}

/// What an import did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportOutcome {
    /// A new catalogue (version 1).
    Created,
    /// A new version of an existing catalogue.
    NewVersion,
    /// The draft in progress was replaced.
    DraftUpdated,
    /// The same content was already there.
    Unchanged,
}

/// Parsed catalogue versions by (slug, version), kept once they are no longer drafts: a
/// published or archived version's content never changes, and reading its text again for each
/// declaration form costs more than the rest of the page.
#[derive(Clone, Debug, Default)]
pub struct CatalogueCache(std::sync::Arc<std::sync::RwLock<CachedVersions>>);

/// Parsed catalogues by (slug, version).
type CachedVersions = HashMap<(String, i32), std::sync::Arc<Catalogue>>;

fn to_doc(m: &catalogue::Model) -> Result<Catalogue, StoreError> {
    read_toml(&m.document).map_err(|errors| StoreError::Invalid {
        field: "document",
        message: format!(
            "le référentiel enregistré {} v{} ne se relit pas : {}",
            m.slug,
            m.version,
            errors.first().map(ToString::to_string).unwrap_or_default()
        ),
    })
}

/// Takes the row of a catalogue version read at `row_version` for this transaction: its
/// `row_version` goes up by one, or the change made since the read is reported (the
/// conditional update also catches a change committed after the row was read).
async fn claim(
    txn: &sea_orm::DatabaseTransaction,
    row: &catalogue::Model,
    row_version: i64,
) -> Result<catalogue::Model, StoreError> {
    use sea_orm::sea_query::Expr;
    if row.row_version != row_version {
        return Err(stale());
    }
    let done = catalogue::Entity::update_many()
        .col_expr(
            catalogue::Column::RowVersion,
            Expr::value(row_version.saturating_add(1)),
        )
        .filter(catalogue::Column::Id.eq(row.id))
        .filter(catalogue::Column::RowVersion.eq(row_version))
        .exec(txn)
        .await?;
    if done.rows_affected != 1 {
        return Err(stale());
    }
    let mut claimed = row.clone();
    claimed.row_version = row_version.saturating_add(1);
    Ok(claimed)
}

/// One version of a catalogue.
async fn find_version(
    db: &impl sea_orm::ConnectionTrait,
    slug: &str,
    version: i32,
) -> Result<catalogue::Model, StoreError> {
    catalogue::Entity::find()
        .filter(catalogue::Column::Slug.eq(slug))
        .filter(catalogue::Column::Version.eq(version))
        .one(db)
        .await?
        .ok_or(StoreError::NotFound)
}

fn stale() -> StoreError {
    StoreError::Conflict("le référentiel a été modifié entre-temps ; rechargez la page".into())
}

fn check(c: &Catalogue) -> Result<(), StoreError> {
    match c.validate().into_iter().next() {
        None => Ok(()),
        Some(p) => Err(StoreError::Invalid {
            field: p.place.field,
            message: p.message,
        }),
    }
}

fn counts(c: &Catalogue) -> [i32; 4] {
    let n = |v: usize| i32::try_from(v).unwrap_or(i32::MAX);
    [
        n(c.objectives.len()),
        n(c.actions.len()),
        n(c.indicators.len()),
        n(c.questions.len()),
    ]
}

fn summary_json(m: &catalogue::Model) -> serde_json::Value {
    serde_json::json!({
        "slug": m.slug, "version": m.version, "state": m.state, "title": m.title,
        "indicators": m.indicators, "row_version": m.row_version,
    })
}

fn new_row(c: &Catalogue, version: i32, copied_from: Option<i64>) -> catalogue::ActiveModel {
    let now = Utc::now();
    let [objectives, actions, indicators, questions] = counts(c);
    catalogue::ActiveModel {
        slug: Set(c.slug.clone()),
        version: Set(version),
        state: Set(CatalogueState::Draft.as_str().to_owned()),
        region_code: Set(c.region.to_string()),
        title: Set(c.title.clone()),
        generation: Set(c.generation.clone()),
        kind: Set(c.kind.as_str().to_owned()),
        start_year: Set(c.start_year),
        end_year: Set(c.end_year),
        document: Set(write_toml(c)),
        objectives: Set(objectives),
        actions: Set(actions),
        indicators: Set(indicators),
        questions: Set(questions),
        copied_from: Set(copied_from),
        row_version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
        published_at: Set(None),
        ..Default::default()
    }
}

/// The JSON document of a catalogue version: the catalogue (orientations, objectives,
/// actions, indicators with their targets, questions) with its version, state and dates. The
/// API and `cpom catalogue export --format json` give the same document.
pub fn catalogue_json(meta: &CatalogueVersion, c: &Catalogue) -> serde_json::Value {
    let mut doc = serde_json::to_value(c).unwrap_or_default();
    if let Some(map) = doc.as_object_mut() {
        map.insert("version".into(), meta.version.into());
        map.insert("state".into(), meta.state.as_str().into());
        map.insert(
            "partial_threshold".into(),
            c.partial.map(|p| p.percent).into(),
        );
        map.remove("partial");
        map.insert(
            "published_at".into(),
            serde_json::to_value(meta.published_at).unwrap_or_default(),
        );
    }
    doc
}

impl Store {
    /// The catalogue versions of `scope`, newest first per catalogue; drafts only when
    /// `with_drafts`.
    pub async fn list_catalogues(
        &self,
        scope: &ScopeFilter,
        with_drafts: bool,
        page: u64,
        per_page: u64,
    ) -> Result<Page<CatalogueVersion>, StoreError> {
        let mut q = catalogue::Entity::find();
        match scope {
            ScopeFilter::All => {}
            ScopeFilter::Region(r) => q = q.filter(catalogue::Column::RegionCode.eq(r.as_str())),
            ScopeFilter::LegalEntity(_) | ScopeFilter::Nothing => {
                return Ok(Page::empty(per_page));
            }
        }
        if !with_drafts {
            q = q.filter(catalogue::Column::State.ne(CatalogueState::Draft.as_str()));
        }
        let q = q
            .order_by_asc(catalogue::Column::RegionCode)
            .order_by_asc(catalogue::Column::Slug)
            .order_by_desc(catalogue::Column::Version);
        let page = crate::page_number(page);
        let paginator = q.paginate(self.db(), per_page);
        let rows = paginator.fetch_page(page - 1).await?;
        let total = crate::total_items(page, per_page, rows.len(), paginator.num_items()).await?;
        let items = rows
            .iter()
            .map(CatalogueVersion::try_from)
            .collect::<Result<_, _>>()?;
        Ok(Page {
            items,
            total,
            page,
            per_page,
        })
    }

    /// Every version of one catalogue, newest first.
    pub async fn catalogue_versions(
        &self,
        slug: &str,
    ) -> Result<Vec<CatalogueVersion>, StoreError> {
        catalogue::Entity::find()
            .filter(catalogue::Column::Slug.eq(slug))
            .order_by_desc(catalogue::Column::Version)
            .all(self.db())
            .await?
            .iter()
            .map(CatalogueVersion::try_from)
            .collect()
    }

    /// One version of a catalogue with its content: `version`, or else the published one,
    /// or else (when `with_drafts`) the newest draft.
    pub async fn catalogue(
        &self,
        slug: &str,
        version: Option<i32>,
        with_drafts: bool,
    ) -> Result<(CatalogueVersion, Catalogue), StoreError> {
        let rows = catalogue::Entity::find()
            .filter(catalogue::Column::Slug.eq(slug))
            .order_by_desc(catalogue::Column::Version)
            .all(self.db())
            .await?;
        let visible =
            |m: &&catalogue::Model| with_drafts || m.state != CatalogueState::Draft.as_str();
        let row = match version {
            Some(v) => rows.iter().filter(visible).find(|m| m.version == v),
            None => rows
                .iter()
                .find(|m| m.state == CatalogueState::Published.as_str())
                .or_else(|| rows.iter().find(visible)),
        }
        .ok_or(StoreError::NotFound)?;
        Ok((CatalogueVersion::try_from(row)?, to_doc(row)?))
    }

    /// One version of a catalogue that is no longer a draft (the version a contract was
    /// built on), read once and then served from memory.
    pub async fn catalogue_version(
        &self,
        slug: &str,
        version: i32,
    ) -> Result<std::sync::Arc<Catalogue>, StoreError> {
        let key = (slug.to_owned(), version);
        if let Some(c) = self
            .catalogues
            .0
            .read()
            .ok()
            .and_then(|m| m.get(&key).cloned())
        {
            return Ok(c);
        }
        let row = catalogue::Entity::find()
            .filter(catalogue::Column::Slug.eq(slug))
            .filter(catalogue::Column::Version.eq(version))
            .one(self.db())
            .await?
            .ok_or(StoreError::NotFound)?;
        let doc = std::sync::Arc::new(to_doc(&row)?);
        if row.state != CatalogueState::Draft.as_str()
            && let Ok(mut m) = self.catalogues.0.write()
        {
            m.insert(key, doc.clone());
        }
        Ok(doc)
    }

    /// The region of a catalogue (for the access policy), whatever its versions.
    pub async fn catalogue_region(&self, slug: &str) -> Result<RegionCode, StoreError> {
        let row = catalogue::Entity::find()
            .filter(catalogue::Column::Slug.eq(slug))
            .one(self.db())
            .await?
            .ok_or(StoreError::NotFound)?;
        Ok(CatalogueVersion::try_from(&row)?.region)
    }

    /// Imports a catalogue: a new catalogue, a new draft version of a published one, or the
    /// replacement of the draft in progress; with `publish`, the resulting version is
    /// published at once. Nothing changes when the content is already there. Audited.
    pub async fn import_catalogue(
        &self,
        actor: &AuditActor,
        c: &Catalogue,
        publish: bool,
    ) -> Result<(ImportOutcome, CatalogueVersion), StoreError> {
        check(c)?;
        let text = write_toml(c);
        let txn = self.begin().await?;
        let rows = catalogue::Entity::find()
            .filter(catalogue::Column::Slug.eq(&c.slug))
            .order_by_desc(catalogue::Column::Version)
            .all(&txn)
            .await?;
        if let Some(first) = rows.first()
            && first.region_code != c.region.as_str()
        {
            return Err(StoreError::Invalid {
                field: "region",
                message: format!(
                    "le référentiel {} appartient à la région {} ; son identifiant ne peut servir \
                     à une autre région",
                    c.slug, first.region_code
                ),
            });
        }
        let latest = rows.first();
        let (outcome, row) = match latest {
            Some(l) if l.document == text => (ImportOutcome::Unchanged, l.clone()),
            Some(l) if l.state == CatalogueState::Draft.as_str() => {
                let [objectives, actions, indicators, questions] = counts(c);
                let mut am: catalogue::ActiveModel = l.clone().into();
                am.title = Set(c.title.clone());
                am.generation = Set(c.generation.clone());
                am.kind = Set(c.kind.as_str().to_owned());
                am.start_year = Set(c.start_year);
                am.end_year = Set(c.end_year);
                am.document = Set(text.clone());
                am.objectives = Set(objectives);
                am.actions = Set(actions);
                am.indicators = Set(indicators);
                am.questions = Set(questions);
                am.row_version = Set(l.row_version + 1);
                am.updated_at = Set(Utc::now());
                (ImportOutcome::DraftUpdated, am.update(&txn).await?)
            }
            Some(l) => (
                ImportOutcome::NewVersion,
                new_row(c, l.version + 1, Some(l.id)).insert(&txn).await?,
            ),
            None => (
                ImportOutcome::Created,
                new_row(c, 1, None).insert(&txn).await?,
            ),
        };
        if outcome != ImportOutcome::Unchanged {
            audit::record(
                &txn,
                actor,
                Change {
                    action: "catalogue.import",
                    entity_type: "catalogue",
                    entity_id: format!("{}/v{}", row.slug, row.version),
                    region_code: Some(row.region_code.clone()),
                    ej_finess: None,
                    before: latest.map(summary_json),
                    after: Some(summary_json(&row)),
                },
            )
            .await?;
        }
        let row = if publish && row.state == CatalogueState::Draft.as_str() {
            publish_row(&txn, actor, row).await?
        } else {
            row
        };
        txn.commit().await?;
        Ok((outcome, CatalogueVersion::try_from(&row)?))
    }

    /// Publishes the draft version of a catalogue read at `row_version`; the version
    /// published before is archived. Audited.
    pub async fn publish_catalogue(
        &self,
        actor: &AuditActor,
        slug: &str,
        version: i32,
        row_version: i64,
    ) -> Result<CatalogueVersion, StoreError> {
        let txn = self.begin().await?;
        let row = find_version(&txn, slug, version).await?;
        let row = claim(&txn, &row, row_version).await?;
        if row.state != CatalogueState::Draft.as_str() {
            return Err(StoreError::Invalid {
                field: "state",
                message: "seul un brouillon peut être publié".into(),
            });
        }
        check(&to_doc(&row)?)?;
        let row = publish_row(&txn, actor, row).await?;
        txn.commit().await?;
        CatalogueVersion::try_from(&row)
    }

    /// Archives the published version of a catalogue read at `row_version`. Audited.
    pub async fn archive_catalogue(
        &self,
        actor: &AuditActor,
        slug: &str,
        version: i32,
        row_version: i64,
    ) -> Result<CatalogueVersion, StoreError> {
        let txn = self.begin().await?;
        let row = find_version(&txn, slug, version).await?;
        let row = claim(&txn, &row, row_version).await?;
        if row.state != CatalogueState::Published.as_str() {
            return Err(StoreError::Invalid {
                field: "state",
                message: "seule une version publiée peut être archivée".into(),
            });
        }
        let row = set_state(&txn, actor, row, CatalogueState::Archived).await?;
        txn.commit().await?;
        CatalogueVersion::try_from(&row)
    }

    /// Starts a new generation as a copy of a catalogue version: a new slug, title,
    /// generation and period; targets outside the new period are dropped. Audited.
    pub async fn copy_catalogue(
        &self,
        actor: &AuditActor,
        from: &Catalogue,
        from_id: Option<i64>,
        new: &NewGeneration,
    ) -> Result<CatalogueVersion, StoreError> {
        let mut c = from.clone();
        c.slug = new.slug.trim().to_owned();
        c.title = new.title.trim().to_owned();
        c.generation = new.generation.trim().to_owned();
        c.start_year = new.start_year;
        c.end_year = new.end_year;
        let years = new.start_year..=new.end_year;
        // Targets of years outside the new period go, and so do progressions measured
        // against a reference year too far from it: the new contracts renegotiate them.
        for i in &mut c.indicators {
            i.targets.retain(|t| {
                let in_period = match t.year {
                    TargetYear::Year(y) => years.contains(&y),
                    TargetYear::Total => true,
                };
                let base_ok = match t.rule {
                    TargetRule::Progression {
                        base_year: Some(b), ..
                    } => (new.start_year - 5..=new.end_year).contains(&b),
                    _ => true,
                };
                in_period && base_ok
            });
        }
        check(&c)?;
        let txn = self.begin().await?;
        let taken = catalogue::Entity::find()
            .filter(catalogue::Column::Slug.eq(&c.slug))
            .count(&txn)
            .await?;
        if taken > 0 {
            return Err(StoreError::Duplicate {
                field: "slug",
                message: format!("l'identifiant « {} » est déjà pris", c.slug),
            });
        }
        let row = new_row(&c, 1, from_id).insert(&txn).await?;
        audit::record(
            &txn,
            actor,
            Change {
                action: "catalogue.copy",
                entity_type: "catalogue",
                entity_id: format!("{}/v1", row.slug),
                region_code: Some(row.region_code.clone()),
                ej_finess: None,
                before: None,
                after: Some(summary_json(&row)),
            },
        )
        .await?;
        txn.commit().await?;
        CatalogueVersion::try_from(&row)
    }

    /// Starts a new draft version as a copy of version `version` (read at `row_version`),
    /// numbered after the newest; refused while another draft is in progress. Audited.
    pub async fn new_catalogue_draft(
        &self,
        actor: &AuditActor,
        slug: &str,
        version: i32,
        row_version: i64,
    ) -> Result<CatalogueVersion, StoreError> {
        let txn = self.begin().await?;
        let rows = catalogue::Entity::find()
            .filter(catalogue::Column::Slug.eq(slug))
            .order_by_desc(catalogue::Column::Version)
            .all(&txn)
            .await?;
        let from = rows
            .iter()
            .find(|m| m.version == version)
            .ok_or(StoreError::NotFound)?;
        let from = &claim(&txn, from, row_version).await?;
        if let Some(d) = rows
            .iter()
            .find(|m| m.state == CatalogueState::Draft.as_str())
        {
            return Err(StoreError::Invalid {
                field: "version",
                message: format!(
                    "la version {} est déjà un brouillon en cours : modifiez-la ou publiez-la",
                    d.version
                ),
            });
        }
        let next = rows.first().map_or(1, |m| m.version + 1);
        let row = new_row(&to_doc(from)?, next, Some(from.id))
            .insert(&txn)
            .await?;
        audit::record(
            &txn,
            actor,
            Change {
                action: "catalogue.new_version",
                entity_type: "catalogue",
                entity_id: format!("{}/v{}", row.slug, row.version),
                region_code: Some(row.region_code.clone()),
                ej_finess: None,
                before: Some(summary_json(from)),
                after: Some(summary_json(&row)),
            },
        )
        .await?;
        txn.commit().await?;
        CatalogueVersion::try_from(&row)
    }

    /// Saves the content of a draft version read at `row_version`, after an edit described
    /// by `what` (kept in the audit trail with the item before and after). Refused when the
    /// version changed meanwhile or is not a draft, or when the content is invalid.
    #[allow(clippy::too_many_arguments)]
    pub async fn save_catalogue_draft(
        &self,
        actor: &AuditActor,
        slug: &str,
        version: i32,
        row_version: i64,
        c: &Catalogue,
        what: &str,
        item_before: Option<serde_json::Value>,
        item_after: Option<serde_json::Value>,
    ) -> Result<CatalogueVersion, StoreError> {
        check(c)?;
        let txn = self.begin().await?;
        let row = find_version(&txn, slug, version).await?;
        if row.state != CatalogueState::Draft.as_str() {
            return Err(StoreError::Invalid {
                field: "state",
                message: "seul un brouillon se modifie ; créez une nouvelle version".into(),
            });
        }
        let row = claim(&txn, &row, row_version).await?;
        if c.slug != row.slug || c.region.as_str() != row.region_code || c.kind.as_str() != row.kind
        {
            return Err(StoreError::Invalid {
                field: "slug",
                message: "l'identifiant, la région et le type d'un référentiel ne changent pas"
                    .into(),
            });
        }
        let mut before = summary_json(&row);
        before["row_version"] = row_version.into();
        let [objectives, actions, indicators, questions] = counts(c);
        let mut am: catalogue::ActiveModel = row.clone().into();
        am.title = Set(c.title.clone());
        am.generation = Set(c.generation.clone());
        am.start_year = Set(c.start_year);
        am.end_year = Set(c.end_year);
        am.document = Set(write_toml(c));
        am.objectives = Set(objectives);
        am.actions = Set(actions);
        am.indicators = Set(indicators);
        am.questions = Set(questions);
        am.updated_at = Set(Utc::now());
        let row = am.update(&txn).await?;
        let mut after = summary_json(&row);
        after["change"] = what.into();
        after["item"] = item_after.unwrap_or_default();
        before["item"] = item_before.unwrap_or_default();
        audit::record(
            &txn,
            actor,
            Change {
                action: "catalogue.edit",
                entity_type: "catalogue",
                entity_id: format!("{}/v{}", row.slug, row.version),
                region_code: Some(row.region_code.clone()),
                ej_finess: None,
                before: Some(before),
                after: Some(after),
            },
        )
        .await?;
        txn.commit().await?;
        CatalogueVersion::try_from(&row)
    }

    /// The id of a catalogue version (for copies).
    pub async fn catalogue_id(&self, slug: &str, version: i32) -> Result<i64, StoreError> {
        Ok(find_version(self.db(), slug, version).await?.id)
    }
}

async fn publish_row(
    txn: &sea_orm::DatabaseTransaction,
    actor: &AuditActor,
    row: catalogue::Model,
) -> Result<catalogue::Model, StoreError> {
    let published = catalogue::Entity::find()
        .filter(catalogue::Column::Slug.eq(&row.slug))
        .filter(catalogue::Column::State.eq(CatalogueState::Published.as_str()))
        .all(txn)
        .await?;
    for p in published {
        set_state(txn, actor, p, CatalogueState::Archived).await?;
    }
    set_state(txn, actor, row, CatalogueState::Published).await
}

async fn set_state(
    txn: &sea_orm::DatabaseTransaction,
    actor: &AuditActor,
    row: catalogue::Model,
    state: CatalogueState,
) -> Result<catalogue::Model, StoreError> {
    let before = summary_json(&row);
    let now = Utc::now();
    let mut am: catalogue::ActiveModel = row.clone().into();
    am.state = Set(state.as_str().to_owned());
    am.row_version = Set(row.row_version + 1);
    am.updated_at = Set(now);
    if state == CatalogueState::Published {
        am.published_at = Set(Some(now));
    }
    let row = am.update(txn).await?;
    audit::record(
        txn,
        actor,
        Change {
            action: match state {
                CatalogueState::Published => "catalogue.publish",
                CatalogueState::Archived => "catalogue.archive",
                CatalogueState::Draft => "catalogue.draft",
            },
            entity_type: "catalogue",
            entity_id: format!("{}/v{}", row.slug, row.version),
            region_code: Some(row.region_code.clone()),
            ej_finess: None,
            before: Some(before),
            after: Some(summary_json(&row)),
        },
    )
    .await?;
    Ok(row)
}
