//! Catalogues (référentiels) through the API: the versions one may see, and one version as
//! the JSON document that `cpom catalogue export --format json` writes.

use axum::Json;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use cpom_store::repo::catalogues::{CatalogueVersion, ImportOutcome, catalogue_json};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::auth::ApiUser;
use crate::error::{ApiError, ApiErrorBody};
use crate::services::{self, paging};

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
