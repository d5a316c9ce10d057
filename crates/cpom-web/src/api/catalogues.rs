//! Catalogues (référentiels) through the API: the versions one may see, and one version as
//! the JSON document that `cpom catalogue export --format json` writes.

use super::extract::{Json, Path, Query};
use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use cpom_store::repo::catalogues::{CatalogueVersion, ImportOutcome, catalogue_json};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::auth::ApiUser;
use crate::error::{ApiError, ApiErrorBody, AppError};
use crate::services::{self, paging};
use cpom_domain::catalogue::edit::{Direction, Edit, HeaderInput, ItemKind};

/// One version of a catalogue in listings.
#[derive(Serialize, ToSchema)]
pub struct CatalogueVersionDto {
    /// Identifier of the catalogue (all its versions).
    pub slug: String,
    /// Version number, from 1.
    pub version: i32,
    /// `draft`, `published` or `archived`.
    pub state: String,
    /// INSEE region code.
    pub region: String,
    /// Title.
    pub title: String,
    /// Generation label.
    pub generation: String,
    /// `engagements` or `diagnostic`.
    pub kind: String,
    /// First year of the contracts.
    pub start_year: i32,
    /// Last year of the contracts.
    pub end_year: i32,
    /// Number of strategic objectives.
    pub objectives: i32,
    /// Number of model actions.
    pub actions: i32,
    /// Number of indicator fiches.
    pub indicators: i32,
    /// Number of diagnostic questions.
    pub questions: i32,
    /// Version for concurrent changes.
    pub row_version: i64,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// Publication.
    pub published_at: Option<DateTime<Utc>>,
}

impl From<&CatalogueVersion> for CatalogueVersionDto {
    fn from(v: &CatalogueVersion) -> Self {
        Self {
            slug: v.slug.clone(),
            version: v.version,
            state: v.state.as_str().to_owned(),
            region: v.region.to_string(),
            title: v.title.clone(),
            generation: v.generation.clone(),
            kind: v.kind.as_str().to_owned(),
            start_year: v.start_year,
            end_year: v.end_year,
            objectives: v.objectives,
            actions: v.actions,
            indicators: v.indicators,
            questions: v.questions,
            row_version: v.row_version,
            updated_at: v.updated_at,
            published_at: v.published_at,
        }
    }
}

/// A page of catalogue versions.
#[derive(Serialize, ToSchema)]
pub struct CatalogueVersionPageDto {
    /// Versions, by region, slug and newest version first.
    pub items: Vec<CatalogueVersionDto>,
    /// Number across pages.
    pub total: u64,
    /// Page number.
    pub page: u64,
    /// Page size.
    pub per_page: u64,
}

/// Paging of listings.
#[derive(Debug, Deserialize, IntoParams)]
pub struct PageQuery {
    /// Page number, from 1.
    pub page: Option<u64>,
    /// Page size (at most 200).
    pub per_page: Option<u64>,
}

/// Which version of a catalogue.
#[derive(Debug, Deserialize, IntoParams)]
pub struct VersionQuery {
    /// Version number; default: the published version, else the newest draft one may see.
    pub version: Option<i32>,
}

/// A catalogue version as a document: header (slug, title, region, generation, years,
/// kind, version, state, partial_threshold, notes), then `orientations`, `objectives`,
/// `actions` (with `applies_if` as text), `indicators` (each with `code`, `title`, `kind`,
/// `unit` and `targets`: `band`, `year` — a number or `"total"` —, `text` as printed, `rule`
/// in structured form and `rule_text`) and `questions`.
#[derive(Serialize, ToSchema)]
#[schema(value_type = Object)]
pub struct CatalogueDocument(serde_json::Value);

/// The catalogue versions of the caller's region (drafts for the agency's users only).
#[utoipa::path(get, path = "/api/v1/catalogues", tag = "referentiel", params(PageQuery),
    responses((status = 200, body = CatalogueVersionPageDto)))]
pub async fn list_catalogues(
    State(state): State<AppState>,
    ApiUser(cu): ApiUser,
    Query(q): Query<PageQuery>,
) -> Result<Json<CatalogueVersionPageDto>, ApiError> {
    let (page, per_page) = paging(q.page, q.per_page);
    let p = services::list_catalogues(&state, &cu, page, per_page).await?;
    Ok(Json(CatalogueVersionPageDto {
        items: p.items.iter().map(Into::into).collect(),
        total: p.total,
        page: p.page,
        per_page: p.per_page,
    }))
}

/// One catalogue version, whole: the same document as `cpom catalogue export SLUG --format json`.
#[utoipa::path(get, path = "/api/v1/catalogues/{slug}", tag = "referentiel", params(
        ("slug" = String, Path, description = "Identifier of the catalogue"), VersionQuery),
    responses((status = 200, body = CatalogueDocument), (status = 404, body = ApiErrorBody)))]
pub async fn get_catalogue(
    State(state): State<AppState>,
    ApiUser(cu): ApiUser,
    Path(slug): Path<String>,
    Query(q): Query<VersionQuery>,
) -> Result<Json<CatalogueDocument>, ApiError> {
    let (meta, c, _) = services::catalogue(&state, &cu, &slug, q.version).await?;
    Ok(Json(CatalogueDocument(catalogue_json(&meta, &c))))
}

/// Whether a model action applies, and why.
#[derive(Serialize, ToSchema)]
pub struct ActionApplicabilityDto {
    /// Code of the model action.
    pub code: String,
    /// Title.
    pub title: String,
    /// Mandatory for the establishments it applies to.
    pub mandatory: bool,
    /// The applicability rule, as text (`null`: every legal entity).
    pub applies_if: Option<String>,
    /// Whether it applies to the legal entity.
    pub applies: bool,
    /// Why, in French.
    pub reason: String,
}

/// The model actions of a catalogue evaluated on one legal entity.
#[derive(Serialize, ToSchema)]
pub struct ApplicabilityDto {
    /// Catalogue.
    pub slug: String,
    /// Version evaluated.
    pub version: i32,
    /// FINESS EJ.
    pub finess: String,
    /// Name of the legal entity.
    pub name: String,
    /// Day the registry facts (labels, authorisations, GHT) are taken on.
    pub as_of: chrono::NaiveDate,
    /// Every model action, in print order.
    pub actions: Vec<ActionApplicabilityDto>,
}

/// Day of the registry facts.
#[derive(Debug, Deserialize, IntoParams)]
pub struct ApplicabilityQuery {
    /// Version number of the catalogue (default as for the catalogue).
    pub version: Option<i32>,
    /// Day the registry facts are taken on, `aaaa-mm-jj` (default: today).
    pub on: Option<chrono::NaiveDate>,
}

/// Which model actions of a catalogue apply to a legal entity, and why.
#[utoipa::path(get, path = "/api/v1/catalogues/{slug}/applicability/{finess}", tag = "referentiel",
    params(("slug" = String, Path, description = "Identifier of the catalogue"),
        ("finess" = String, Path, description = "FINESS EJ"), ApplicabilityQuery),
    responses((status = 200, body = ApplicabilityDto), (status = 404, body = ApiErrorBody)))]
pub async fn get_applicability(
    State(state): State<AppState>,
    ApiUser(cu): ApiUser,
    Path((slug, finess)): Path<(String, String)>,
    Query(q): Query<ApplicabilityQuery>,
) -> Result<Json<ApplicabilityDto>, ApiError> {
    let on = q.on.unwrap_or_else(services::today);
    let r = services::applicability(&state, &cu, &slug, q.version, &finess, on).await?;
    Ok(Json(ApplicabilityDto {
        slug: r.meta.slug.clone(),
        version: r.meta.version,
        finess: r.entity.finess.to_string(),
        name: r.entity.name.clone(),
        as_of: r.on,
        actions: r
            .actions
            .into_iter()
            .map(|(a, d)| ActionApplicabilityDto {
                code: a.code,
                title: a.title,
                mandatory: a.mandatory,
                applies_if: a.applies_if.map(|r| r.to_string()),
                applies: d.applies,
                reason: d.reason,
            })
            .collect(),
    }))
}

/// What an import did, and the version it gives.
#[derive(Serialize, ToSchema)]
pub struct CatalogueImportDto {
    /// `created`, `new_version`, `draft_updated` or `unchanged`.
    pub outcome: String,
    /// The version now holding the file's content.
    pub catalogue: CatalogueVersionDto,
}

/// Whether to publish the imported version at once.
#[derive(Debug, Deserialize, IntoParams)]
pub struct ImportCatalogueQuery {
    /// Publish the imported version (the version published before is archived).
    #[serde(default)]
    pub publish: bool,
}

/// Imports a catalogue file (multipart field `file`: the text format or an XLSX workbook):
/// a new catalogue (201), a new draft version of a published one, the replacement of the
/// draft in progress, or nothing when the content is already there (200). Every problem of
/// the file is listed, located, in a 422. Administrators of the catalogue's region.
#[utoipa::path(post, path = "/api/v1/catalogues", tag = "referentiel", params(ImportCatalogueQuery),
    responses((status = 201, body = CatalogueImportDto), (status = 200, body = CatalogueImportDto),
        (status = 403, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn import_catalogue(
    State(state): State<AppState>,
    ApiUser(cu): ApiUser,
    Query(q): Query<ImportCatalogueQuery>,
    multipart: Multipart,
) -> Result<(StatusCode, Json<CatalogueImportDto>), ApiError> {
    cu.authorize(&cpom_domain::Action::ImportCatalogues)?;
    let dir = state.store.files_dir().join("imports");
    let (upload, bytes) =
        crate::upload::receive_small(multipart, &dir, services::MAX_CATALOGUE_FILE).await?;
    let (outcome, v) =
        services::import_catalogue_file(&state, &cu, &bytes, &upload.file_name, q.publish).await?;
    let status = if outcome == ImportOutcome::Created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((
        status,
        Json(CatalogueImportDto {
            outcome: serde_json::to_value(outcome)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default(),
            catalogue: (&v).into(),
        }),
    ))
}

/// Publishes a draft version read at `row_version`; the version published before is
/// archived. Administrators of the catalogue's region.
#[utoipa::path(post, path = "/api/v1/catalogues/{slug}/publish", tag = "referentiel",
    params(("slug" = String, Path, description = "Identifier of the catalogue")),
    request_body = services::VersionInput,
    responses((status = 200, body = CatalogueVersionDto), (status = 403, body = ApiErrorBody),
        (status = 404, body = ApiErrorBody), (status = 409, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn publish_catalogue(
    State(state): State<AppState>,
    ApiUser(cu): ApiUser,
    Path(slug): Path<String>,
    Json(input): Json<services::VersionInput>,
) -> Result<Json<CatalogueVersionDto>, ApiError> {
    let v = services::change_catalogue_state(&state, &cu, &slug, &input, false).await?;
    Ok(Json((&v).into()))
}

/// Archives the published version read at `row_version`. Administrators of the
/// catalogue's region.
#[utoipa::path(post, path = "/api/v1/catalogues/{slug}/archive", tag = "referentiel",
    params(("slug" = String, Path, description = "Identifier of the catalogue")),
    request_body = services::VersionInput,
    responses((status = 200, body = CatalogueVersionDto), (status = 403, body = ApiErrorBody),
        (status = 404, body = ApiErrorBody), (status = 409, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn archive_catalogue(
    State(state): State<AppState>,
    ApiUser(cu): ApiUser,
    Path(slug): Path<String>,
    Json(input): Json<services::VersionInput>,
) -> Result<Json<CatalogueVersionDto>, ApiError> {
    let v = services::change_catalogue_state(&state, &cu, &slug, &input, true).await?;
    Ok(Json((&v).into()))
}

/// The path of one list of a draft.
fn kind_of(list: &str) -> Result<ItemKind, ApiError> {
    ItemKind::from_segment(list).ok_or(ApiError(AppError::NotFound))
}

/// Starts a new draft version as a copy of the version read (`version`, `row_version`);
/// refused while another draft is in progress. Administrators of the catalogue's region.
#[utoipa::path(post, path = "/api/v1/catalogues/{slug}/drafts", tag = "referentiel",
    params(("slug" = String, Path, description = "Identifier of the catalogue")),
    request_body = services::VersionInput,
    responses((status = 201, body = CatalogueVersionDto), (status = 403, body = ApiErrorBody),
        (status = 404, body = ApiErrorBody), (status = 409, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn create_draft(
    State(state): State<AppState>,
    ApiUser(cu): ApiUser,
    Path(slug): Path<String>,
    Json(input): Json<services::VersionInput>,
) -> Result<(StatusCode, Json<CatalogueVersionDto>), ApiError> {
    let v = services::new_catalogue_draft(&state, &cu, &slug, &input).await?;
    Ok((StatusCode::CREATED, Json((&v).into())))
}

/// Starts a new generation: a new catalogue (draft, version 1) copied from a version of
/// this one, with its own slug, title and period; targets outside the period are dropped.
#[utoipa::path(post, path = "/api/v1/catalogues/{slug}/generations", tag = "referentiel",
    params(("slug" = String, Path, description = "Identifier of the catalogue copied")),
    request_body = services::GenerationInput,
    responses((status = 201, body = CatalogueVersionDto), (status = 403, body = ApiErrorBody),
        (status = 404, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn create_generation(
    State(state): State<AppState>,
    ApiUser(cu): ApiUser,
    Path(slug): Path<String>,
    Json(input): Json<services::GenerationInput>,
) -> Result<(StatusCode, Json<CatalogueVersionDto>), ApiError> {
    let v = services::new_catalogue_generation(&state, &cu, &slug, &input).await?;
    Ok((StatusCode::CREATED, Json((&v).into())))
}

/// New header of a draft version read at `row_version`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct HeaderBody {
    /// The draft edited: `version` and the `row_version` read.
    #[serde(flatten)]
    pub at: services::VersionInput,
    /// Title.
    #[serde(default)]
    pub title: String,
    /// Generation label.
    #[serde(default)]
    pub generation: String,
    /// First year of the contracts.
    pub start_year: Option<i32>,
    /// Last year.
    pub end_year: Option<i32>,
    /// Where it comes from.
    pub source: Option<String>,
    /// Curation notes.
    pub notes: Option<String>,
    /// Partial attainment threshold, in percent (`null`: none).
    pub partial_threshold: Option<f64>,
}

/// Changes the header of a draft (slug, region and kind never change). Returns the
/// version with its new `row_version`.
#[utoipa::path(put, path = "/api/v1/catalogues/{slug}/header", tag = "referentiel",
    params(("slug" = String, Path, description = "Identifier of the catalogue")),
    request_body = HeaderBody,
    responses((status = 200, body = CatalogueVersionDto), (status = 403, body = ApiErrorBody),
        (status = 404, body = ApiErrorBody), (status = 409, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn put_header(
    State(state): State<AppState>,
    ApiUser(cu): ApiUser,
    Path(slug): Path<String>,
    Json(b): Json<HeaderBody>,
) -> Result<Json<CatalogueVersionDto>, ApiError> {
    let edit = Edit::Header(HeaderInput {
        title: b.title,
        generation: b.generation,
        start_year: b.start_year,
        end_year: b.end_year,
        source: b.source,
        notes: b.notes,
        partial_threshold: b.partial_threshold,
    });
    let v = services::edit_catalogue(&state, &cu, &slug, &b.at, &edit).await?;
    Ok(Json((&v).into()))
}

/// An item of a draft, in the shape of the catalogue document's lists (a fiche's targets
/// with `band`, `finess`, `year`, `text`, `rule_text`, `to_confirm`; other fields of the
/// document, such as the structured `rule`, are ignored).
#[derive(Debug, Deserialize, ToSchema)]
pub struct ItemBody {
    /// The draft edited: `version` and the `row_version` read.
    #[serde(flatten)]
    pub at: services::VersionInput,
    /// The item.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub item: serde_json::Value,
}

const LIST_DOC: &str = "orientations, objectives, actions, indicators or questions";

/// Adds an item to a list of a draft (last among its siblings).
#[utoipa::path(post, path = "/api/v1/catalogues/{slug}/items/{list}", tag = "referentiel",
    params(("slug" = String, Path, description = "Identifier of the catalogue"),
        ("list" = String, Path, description = LIST_DOC)),
    request_body = ItemBody,
    responses((status = 201, body = CatalogueVersionDto), (status = 403, body = ApiErrorBody),
        (status = 404, body = ApiErrorBody), (status = 409, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn create_item(
    State(state): State<AppState>,
    ApiUser(cu): ApiUser,
    Path((slug, list)): Path<(String, String)>,
    Json(b): Json<ItemBody>,
) -> Result<(StatusCode, Json<CatalogueVersionDto>), ApiError> {
    let kind = kind_of(&list)?;
    services::managed_catalogue_region(&state, &cu, &slug).await?;
    let item = services::read_item(kind, b.item)?;
    let v = services::edit_catalogue(&state, &cu, &slug, &b.at, &Edit::Create(item)).await?;
    Ok((StatusCode::CREATED, Json((&v).into())))
}

/// Replaces an item of a draft; a new `code` is carried to the items attached to it.
#[utoipa::path(put, path = "/api/v1/catalogues/{slug}/items/{list}/{code}", tag = "referentiel",
    params(("slug" = String, Path, description = "Identifier of the catalogue"),
        ("list" = String, Path, description = LIST_DOC),
        ("code" = String, Path, description = "Code of the item")),
    request_body = ItemBody,
    responses((status = 200, body = CatalogueVersionDto), (status = 403, body = ApiErrorBody),
        (status = 404, body = ApiErrorBody), (status = 409, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn put_item(
    State(state): State<AppState>,
    ApiUser(cu): ApiUser,
    Path((slug, list, code)): Path<(String, String, String)>,
    Json(b): Json<ItemBody>,
) -> Result<Json<CatalogueVersionDto>, ApiError> {
    let kind = kind_of(&list)?;
    services::managed_catalogue_region(&state, &cu, &slug).await?;
    let item = services::read_item(kind, b.item)?;
    let v =
        services::edit_catalogue(&state, &cu, &slug, &b.at, &Edit::Replace { code, item }).await?;
    Ok(Json((&v).into()))
}

/// Deletes an item of a draft; refused while items are attached to it.
#[utoipa::path(delete, path = "/api/v1/catalogues/{slug}/items/{list}/{code}", tag = "referentiel",
    params(("slug" = String, Path, description = "Identifier of the catalogue"),
        ("list" = String, Path, description = LIST_DOC),
        ("code" = String, Path, description = "Code of the item"), services::VersionInput),
    responses((status = 200, body = CatalogueVersionDto), (status = 403, body = ApiErrorBody),
        (status = 404, body = ApiErrorBody), (status = 409, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn delete_item(
    State(state): State<AppState>,
    ApiUser(cu): ApiUser,
    Path((slug, list, code)): Path<(String, String, String)>,
    Query(input): Query<services::VersionInput>,
) -> Result<Json<CatalogueVersionDto>, ApiError> {
    let kind = kind_of(&list)?;
    let v =
        services::edit_catalogue(&state, &cu, &slug, &input, &Edit::Delete { kind, code }).await?;
    Ok(Json((&v).into()))
}

/// Moves an item before its previous sibling (`up`) or after its next one (`down`).
#[derive(Debug, Deserialize, ToSchema)]
pub struct MoveBody {
    /// The draft edited: `version` and the `row_version` read.
    #[serde(flatten)]
    pub at: services::VersionInput,
    /// `up` or `down`.
    #[schema(value_type = String)]
    pub direction: Option<Direction>,
}

/// Moves an item of a draft among its siblings (same parent).
#[utoipa::path(post, path = "/api/v1/catalogues/{slug}/items/{list}/{code}/move", tag = "referentiel",
    params(("slug" = String, Path, description = "Identifier of the catalogue"),
        ("list" = String, Path, description = LIST_DOC),
        ("code" = String, Path, description = "Code of the item")),
    request_body = MoveBody,
    responses((status = 200, body = CatalogueVersionDto), (status = 403, body = ApiErrorBody),
        (status = 404, body = ApiErrorBody), (status = 409, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn move_item(
    State(state): State<AppState>,
    ApiUser(cu): ApiUser,
    Path((slug, list, code)): Path<(String, String, String)>,
    Json(b): Json<MoveBody>,
) -> Result<Json<CatalogueVersionDto>, ApiError> {
    let kind = kind_of(&list)?;
    services::managed_catalogue_region(&state, &cu, &slug).await?;
    let Some(direction) = b.direction else {
        return Err(AppError::field("direction", "sens attendu : up ou down").into());
    };
    let edit = Edit::Move {
        kind,
        code,
        direction,
    };
    let v = services::edit_catalogue(&state, &cu, &slug, &b.at, &edit).await?;
    Ok(Json((&v).into()))
}

/// The code of a fiche's copy.
#[derive(Debug, Deserialize, ToSchema)]
pub struct DuplicateBody {
    /// The draft edited: `version` and the `row_version` read.
    #[serde(flatten)]
    pub at: services::VersionInput,
    /// Code of the copy.
    #[serde(default)]
    pub code: String,
}

/// Duplicates a fiche (`list` = `indicators`) under a new code, right after it.
#[utoipa::path(post, path = "/api/v1/catalogues/{slug}/items/{list}/{code}/duplicate", tag = "referentiel",
    params(("slug" = String, Path, description = "Identifier of the catalogue"),
        ("list" = String, Path, description = "indicators"),
        ("code" = String, Path, description = "Code of the fiche copied")),
    request_body = DuplicateBody,
    responses((status = 201, body = CatalogueVersionDto), (status = 403, body = ApiErrorBody),
        (status = 404, body = ApiErrorBody), (status = 409, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn duplicate_item(
    State(state): State<AppState>,
    ApiUser(cu): ApiUser,
    Path((slug, list, code)): Path<(String, String, String)>,
    Json(b): Json<DuplicateBody>,
) -> Result<(StatusCode, Json<CatalogueVersionDto>), ApiError> {
    services::managed_catalogue_region(&state, &cu, &slug).await?;
    if kind_of(&list)? != ItemKind::Indicator {
        return Err(AppError::field("list", "seules les fiches indicateurs se dupliquent").into());
    }
    let edit = Edit::DuplicateIndicator {
        code,
        new_code: b.code,
    };
    let v = services::edit_catalogue(&state, &cu, &slug, &b.at, &edit).await?;
    Ok((StatusCode::CREATED, Json((&v).into())))
}

/// The target an establishment sees one year.
#[derive(Serialize, ToSchema)]
pub struct PreviewYearDto {
    /// A year, or `"total"`.
    #[schema(value_type = TargetYearDto)]
    pub year: serde_json::Value,
    /// The target as printed (`null`: no target that year).
    pub text: Option<String>,
    /// Its rule, as text.
    pub rule_text: Option<String>,
    /// Its reading, in French.
    pub description: Option<String>,
    /// Band of the target retained (the band asked, or `all`).
    pub band: Option<String>,
    /// Needs checking against the original.
    pub to_confirm: bool,
}

/// A fiche as an establishment of a band sees it.
#[derive(Serialize, ToSchema)]
pub struct FichePreviewDto {
    /// Catalogue.
    pub slug: String,
    /// Version.
    pub version: i32,
    /// Code of the fiche.
    pub code: String,
    /// Title.
    pub title: String,
    /// Band asked.
    pub band: String,
    /// Each year of the period, then the whole period.
    pub years: Vec<PreviewYearDto>,
}

/// Which version and band.
#[derive(Debug, Deserialize, IntoParams)]
pub struct PreviewQuery {
    /// Version number (default as for the catalogue).
    pub version: Option<i32>,
    /// `all` (default), `lt100`, `100to499`, `ge500` or a named case.
    pub band: Option<String>,
}

/// A fiche's targets as an establishment of a band will see them, year by year: its band's
/// own (or its named case's), else the targets for every establishment.
#[utoipa::path(get, path = "/api/v1/catalogues/{slug}/indicators/{code}/preview", tag = "referentiel",
    params(("slug" = String, Path, description = "Identifier of the catalogue"),
        ("code" = String, Path, description = "Code of the fiche"), PreviewQuery),
    responses((status = 200, body = FichePreviewDto), (status = 404, body = ApiErrorBody),
        (status = 422, body = ApiErrorBody)))]
pub async fn preview_fiche(
    State(state): State<AppState>,
    ApiUser(cu): ApiUser,
    Path((slug, code)): Path<(String, String)>,
    Query(q): Query<PreviewQuery>,
) -> Result<Json<FichePreviewDto>, ApiError> {
    use cpom_domain::catalogue::{TargetBand, TargetYear, edit::target_for_band};
    let (meta, c, _) = services::catalogue(&state, &cu, &slug, q.version).await?;
    let i = c
        .indicators
        .iter()
        .find(|i| i.code == code)
        .ok_or(AppError::NotFound)?;
    let band = TargetBand::parse(q.band.as_deref().unwrap_or("all"))
        .map_err(|m| AppError::field("band", m))?;
    let unit = i.unit.as_deref().unwrap_or_default();
    let years = (meta.start_year..=meta.end_year)
        .map(TargetYear::Year)
        .chain([TargetYear::Total])
        .map(|y| {
            let t = target_for_band(&i.targets, &band, y);
            PreviewYearDto {
                year: serde_json::to_value(y).unwrap_or_default(),
                text: t.map(|t| t.text.clone()),
                rule_text: t.map(|t| t.rule.to_string()),
                description: t.map(|t| t.rule.describe(unit)),
                band: t.map(|t| t.band.as_str().to_owned()),
                to_confirm: t.is_some_and(|t| t.to_confirm),
            }
        })
        .collect();
    Ok(Json(FichePreviewDto {
        slug: meta.slug.clone(),
        version: meta.version,
        code: i.code.clone(),
        title: i.title.clone(),
        band: band.as_str().to_owned(),
        years,
    }))
}

/// A year of a target (a number), or `"total"` for the whole period (schema only).
#[derive(serde::Serialize, ToSchema)]
#[serde(untagged)]
#[allow(dead_code)]
pub enum TargetYearDto {
    /// A year.
    Year(i32),
    /// `"total"`.
    Total(String),
}
