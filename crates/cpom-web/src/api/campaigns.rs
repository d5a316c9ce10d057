//! Yearly campaigns and their declarations through the API.

use super::extract::{Json, Path, Query};
use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, NaiveDate, Utc};
use cpom_store::repo::campaigns::{Campaign, CampaignSummary, Declaration, HistoryStep};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::AppState;
use crate::auth::ApiUser;
use crate::campaigns::{self, DeclarationQuery, NewCampaignInput, StepInput};
use crate::error::{ApiError, ApiErrorBody};

/// A campaign.
#[derive(Serialize, ToSchema)]
pub struct CampaignDto {
    /// Identifier.
    pub id: i64,
    /// INSEE region code.
    pub region: String,
    /// Year followed.
    pub year: i32,
    /// Title.
    pub title: String,
    /// Deadline for the establishments.
    pub deadline: NaiveDate,
    /// `{"kind": "region" | "department" | "contracts", "value": …}`.
    #[schema(value_type = Object)]
    pub perimeter: serde_json::Value,
    /// Open (declarations may be entered).
    pub open: bool,
    /// Version, to close it.
    pub row_version: i64,
    /// Opened at.
    pub created_at: DateTime<Utc>,
    /// Closed at.
    pub closed_at: Option<DateTime<Utc>>,
    /// Declarations the caller sees, by state (`to_do`, `draft`, `submitted`, `returned`,
    /// `validated`); null in the answer to a closing.
    #[schema(value_type = Option<Object>)]
    pub counts: serde_json::Value,
}

fn campaign_dto(c: &Campaign, counts: serde_json::Value) -> CampaignDto {
    CampaignDto {
        id: c.id,
        region: c.region.to_string(),
        year: c.year,
        title: c.title.clone(),
        deadline: c.deadline,
        perimeter: serde_json::to_value(&c.perimeter).unwrap_or_default(),
        open: c.open,
        row_version: c.row_version,
        created_at: c.created_at,
        closed_at: c.closed_at,
        counts,
    }
}

fn counts(s: &CampaignSummary) -> serde_json::Value {
    serde_json::Value::Object(
        s.counts
            .iter()
            .map(|(state, n)| (state.as_str().to_owned(), serde_json::json!(n)))
            .collect(),
    )
}

/// The campaigns the caller sees, newest first.
#[utoipa::path(get, path = "/api/v1/campaigns", tag = "campagnes",
    responses((status = 200, body = Vec<CampaignDto>), (status = 401, body = ApiErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    ApiUser(cu): ApiUser,
) -> Result<Json<Vec<CampaignDto>>, ApiError> {
    Ok(Json(
        campaigns::list(&state, &cu)
            .await?
            .iter()
            .map(|s| campaign_dto(&s.campaign, counts(s)))
            .collect(),
    ))
}

/// An opened campaign and its number of declarations.
#[derive(Serialize, ToSchema)]
pub struct OpenedDto {
    /// The campaign.
    pub campaign: CampaignDto,
    /// Declarations created.
    pub declarations: u64,
}

/// Opens a campaign (the region's ARS administrators): one declaration per engagement
/// indicator (and bound site) of every contract in force that year in its perimeter.
#[utoipa::path(post, path = "/api/v1/campaigns", tag = "campagnes", request_body = NewCampaignInput,
    responses((status = 201, body = OpenedDto), (status = 403, body = ApiErrorBody),
        (status = 409, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn open(
    State(state): State<AppState>,
    ApiUser(cu): ApiUser,
    Json(input): Json<NewCampaignInput>,
) -> Result<(StatusCode, Json<OpenedDto>), ApiError> {
    let (c, n) = campaigns::open(&state, &cu, &input).await?;
    Ok((
        StatusCode::CREATED,
        Json(OpenedDto {
            campaign: campaign_dto(&c, serde_json::json!({"to_do": n})),
            declarations: n,
        }),
    ))
}

/// One campaign.
#[utoipa::path(get, path = "/api/v1/campaigns/{id}", tag = "campagnes",
    params(("id" = i64, Path, description = "Identifiant de la campagne")),
    responses((status = 200, body = CampaignDto), (status = 404, body = ApiErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    ApiUser(cu): ApiUser,
    Path(id): Path<i64>,
) -> Result<Json<CampaignDto>, ApiError> {
    let c = campaigns::campaign(&state, &cu, id).await?;
    let all = campaigns::list(&state, &cu).await?;
    let n = all
        .iter()
        .find(|s| s.campaign.id == id)
        .map(counts)
        .unwrap_or_default();
    Ok(Json(campaign_dto(&c, n)))
}

/// The version of the campaign read.
#[derive(Deserialize, ToSchema)]
pub struct CloseBody {
    /// `row_version` of the campaign when read.
    pub row_version: Option<i64>,
}

/// Closes a campaign: declarations not submitted can no longer be entered (a declaration
/// can still be reopened by the agency).
#[utoipa::path(post, path = "/api/v1/campaigns/{id}/close", tag = "campagnes",
    params(("id" = i64, Path, description = "Identifiant de la campagne")), request_body = CloseBody,
    responses((status = 200, body = CampaignDto), (status = 403, body = ApiErrorBody),
        (status = 404, body = ApiErrorBody), (status = 409, body = ApiErrorBody)))]
pub async fn close(
    State(state): State<AppState>,
    ApiUser(cu): ApiUser,
    Path(id): Path<i64>,
    Json(body): Json<CloseBody>,
) -> Result<Json<CampaignDto>, ApiError> {
    let c = campaigns::close(&state, &cu, id, body.row_version).await?;
    Ok(Json(campaign_dto(&c, serde_json::Value::Null)))
}

/// The declarations to validate.
#[derive(Deserialize, ToSchema)]
pub struct BulkBody {
    /// Their identifiers (only the submitted ones are validated).
    #[serde(default)]
    pub ids: Vec<i64>,
}

/// How many were validated.
#[derive(Serialize, ToSchema)]
pub struct BulkDto {
    /// Declarations validated (those changed meanwhile are left).
    pub validated: u64,
}

/// Validates in bulk the submitted declarations among `ids` (the agency of the region).
#[utoipa::path(post, path = "/api/v1/campaigns/{id}/validate", tag = "campagnes",
    params(("id" = i64, Path, description = "Identifiant de la campagne")), request_body = BulkBody,
    responses((status = 200, body = BulkDto), (status = 403, body = ApiErrorBody),
        (status = 404, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn validate_bulk(
    State(state): State<AppState>,
    ApiUser(cu): ApiUser,
    Path(id): Path<i64>,
    Json(body): Json<BulkBody>,
) -> Result<Json<BulkDto>, ApiError> {
    Ok(Json(BulkDto {
        validated: campaigns::validate_bulk(&state, &cu, id, &body.ids).await?,
    }))
}

/// A declaration.
#[derive(Serialize, ToSchema)]
pub struct DeclarationDto {
    /// Identifier.
    pub id: i64,
    /// Campaign.
    pub campaign_id: i64,
    /// Contract.
    pub contract_id: i64,
    /// FINESS EJ.
    pub ej: String,
    /// Its name.
    pub ej_name: String,
    /// Engagement key.
    pub engagement: String,
    /// Indicator code.
    pub indicator: String,
    /// Indicator title.
    pub indicator_title: String,
    /// `count`, `rate`, `yes_no`, `amount`, `milestone` or `text`.
    pub kind: String,
    /// FINESS ET, when the engagement binds sites.
    pub site: Option<String>,
    /// `to_do`, `draft`, `submitted`, `returned` or `validated`.
    pub state: String,
    /// The value saved (`kind` and its fields), as typed; null while none is.
    #[schema(value_type = Option<Object>)]
    pub value: serde_json::Value,
    /// The value as shown (`45 / 60 = 75 %`).
    pub value_text: Option<String>,
    /// The establishment's comment.
    pub comment: Option<String>,
    /// Version, for the next step.
    pub row_version: i64,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// When the value was loaded by the agency: its source (`pmsi`, `sae`, `other`); the
    /// establishment then confirms or contests it instead of typing it.
    pub value_source: Option<String>,
    /// The import of values it came from (`GET /api/v1/campaigns/{id}/values`).
    pub value_import_id: Option<i64>,
    /// Whether the establishment contested the value the agency loaded.
    pub contested: bool,
    /// The verdict: `atteint`, `partiellement_atteint`, `non_atteint`, `sans_objet`,
    /// `non_renseigne` (until the value is validated) or `a_apprecier`; live.
    pub verdict: Option<String>,
    /// Why, in French ("85 % ≥ cible 80 %").
    pub verdict_reason: Option<String>,
    /// The agency's override, if any: `{verdict, justification}`.
    #[schema(value_type = Option<Object>)]
    pub r#override: Option<serde_json::Value>,
    /// Every step: `step`, `from`, `to`, `value`, `comment`, `reason`, `author`, `at`
    /// (only in `GET /api/v1/declarations/{id}`; `null` in lists).
    #[schema(value_type = Option<Vec<Object>>)]
    pub history: serde_json::Value,
    /// Evidence linked: `id`, `file_name`, `file_type`, `sha256`, `size`, `uploaded_by`,
    /// `created_at` (only in `GET /api/v1/declarations/{id}`; `null` in lists).
    #[schema(value_type = Option<Vec<Object>>)]
    pub evidence: serde_json::Value,
    /// The fiche, the target for the year and last year's value (only in
    /// `GET /api/v1/declarations/{id}`).
    pub fiche: Option<campaigns::Fiche>,
}

fn declaration_dto(d: &Declaration, history: Option<&[HistoryStep]>) -> DeclarationDto {
    DeclarationDto {
        id: d.id,
        campaign_id: d.campaign_id,
        contract_id: d.contract_id,
        ej: d.ej.to_string(),
        ej_name: d.ej_name.clone(),
        engagement: d.engagement.clone(),
        indicator: d.indicator.clone(),
        indicator_title: d.indicator_title.clone(),
        kind: d.kind.as_str().into(),
        site: d.site.as_ref().map(ToString::to_string),
        state: d.state.as_str().into(),
        value: serde_json::to_value(&d.value).unwrap_or_default(),
        value_text: d.value.as_ref().map(cpom_domain::campaign::Value::display),
        comment: d.comment.clone(),
        row_version: d.row_version,
        updated_at: d.updated_at,
        value_source: d.value_source.map(|s| s.as_str().to_owned()),
        value_import_id: d.value_import,
        contested: d.contested,
        verdict: d.verdict.map(|v| v.as_str().to_owned()),
        verdict_reason: d.verdict_reason.clone(),
        r#override: d.overridden.as_ref().map(|o| {
            serde_json::json!({"verdict": o.verdict.as_str(), "justification": o.justification})
        }),
        history: history
            .map(|h| serde_json::to_value(h).unwrap_or_default())
            .unwrap_or(serde_json::Value::Null),
        evidence: serde_json::Value::Null,
        fiche: None,
    }
}

/// A page of declarations.
#[derive(Serialize, ToSchema)]
pub struct DeclarationPageDto {
    /// The declarations.
    pub items: Vec<DeclarationDto>,
    /// Number across all pages.
    pub total: u64,
    /// Page.
    pub page: u64,
    /// Page size.
    pub per_page: u64,
}

/// The declarations of a campaign the caller sees (an establishment: its own).
#[utoipa::path(get, path = "/api/v1/campaigns/{id}/declarations", tag = "campagnes",
    params(("id" = i64, Path, description = "Identifiant de la campagne"), DeclarationQuery),
    responses((status = 200, body = DeclarationPageDto), (status = 404, body = ApiErrorBody),
        (status = 422, body = ApiErrorBody)))]
pub async fn declarations(
    State(state): State<AppState>,
    ApiUser(cu): ApiUser,
    Path(id): Path<i64>,
    Query(q): Query<DeclarationQuery>,
) -> Result<Json<DeclarationPageDto>, ApiError> {
    let (_, p) = campaigns::declarations(&state, &cu, id, &q).await?;
    Ok(Json(DeclarationPageDto {
        items: p.items.iter().map(|d| declaration_dto(d, None)).collect(),
        total: p.total,
        page: p.page,
        per_page: p.per_page,
    }))
}

/// One declaration with its state and history.
#[utoipa::path(get, path = "/api/v1/declarations/{id}", tag = "campagnes",
    params(("id" = i64, Path, description = "Identifiant de la déclaration")),
    responses((status = 200, body = DeclarationDto), (status = 404, body = ApiErrorBody)))]
pub async fn declaration(
    State(state): State<AppState>,
    ApiUser(cu): ApiUser,
    Path(id): Path<i64>,
) -> Result<Json<DeclarationDto>, ApiError> {
    let (d, c, history) = campaigns::declaration(&state, &cu, id).await?;
    let mut dto = declaration_dto(&d, Some(&history));
    dto.fiche = Some(campaigns::fiche(&state, &d, &c).await?);
    dto.evidence = serde_json::to_value(
        state
            .store
            .declaration_evidence(id)
            .await
            .map_err(crate::error::AppError::from)?,
    )
    .unwrap_or_default();
    Ok(Json(dto))
}

/// The multipart form of an evidence file.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct EvidenceForm {
    /// The file: PDF, PNG, JPEG, an office document, text or CSV; 20 MB at most. Its type is
    /// checked on its content.
    #[schema(format = Binary, value_type = String)]
    file: Vec<u8>,
}

/// Files an evidence file into the establishment's library and links it to the
/// declaration (its establishment's users, while the value may be entered).
#[utoipa::path(post, path = "/api/v1/declarations/{id}/evidence", tag = "campagnes",
    params(("id" = i64, Path, description = "Identifiant de la déclaration")),
    request_body(content = EvidenceForm, content_type = "multipart/form-data"),
    responses((status = 201, description = "Le justificatif", body = Object), (status = 403, body = ApiErrorBody),
        (status = 404, body = ApiErrorBody), (status = 409, body = ApiErrorBody),
        (status = 422, body = ApiErrorBody)))]
pub async fn upload_evidence(
    State(state): State<AppState>,
    ApiUser(cu): ApiUser,
    Path(id): Path<i64>,
    multipart: Multipart,
) -> Result<(StatusCode, Json<serde_json::Value>), ApiError> {
    let dir = state.store.files_dir().join("incoming");
    let (upload, bytes) =
        crate::upload::receive_small(multipart, &dir, campaigns::MAX_EVIDENCE as u64).await?;
    let e = campaigns::add_evidence(&state, &cu, id, &upload.file_name, &bytes).await?;
    Ok((
        StatusCode::CREATED,
        Json(serde_json::to_value(e).unwrap_or_default()),
    ))
}

/// Evidence of the library to link.
#[derive(Deserialize, ToSchema)]
pub struct LinkBody {
    /// Identifier of evidence already in the establishment's library.
    pub evidence_id: Option<i64>,
}

/// Links evidence already in the establishment's library to a declaration (one document
/// can prove several engagements and years).
#[utoipa::path(post, path = "/api/v1/declarations/{id}/evidence/link", tag = "campagnes",
    params(("id" = i64, Path, description = "Identifiant de la déclaration")), request_body = LinkBody,
    responses((status = 200, description = "Le justificatif", body = Object), (status = 403, body = ApiErrorBody),
        (status = 404, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn link_evidence(
    State(state): State<AppState>,
    ApiUser(cu): ApiUser,
    Path(id): Path<i64>,
    Json(body): Json<LinkBody>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let e = campaigns::link_evidence(&state, &cu, id, body.evidence_id).await?;
    Ok(Json(serde_json::to_value(e).unwrap_or_default()))
}

/// An evidence file of a declaration, always as an attachment (never rendered).
#[utoipa::path(get, path = "/api/v1/declarations/{id}/evidence/{evidence}", tag = "campagnes",
    params(("id" = i64, Path, description = "Identifiant de la déclaration"),
        ("evidence" = i64, Path, description = "Identifiant du justificatif")),
    responses((status = 200, description = "Le fichier", content_type = "application/octet-stream",
        body = crate::api::documents::FileContent), (status = 404, body = ApiErrorBody)))]
pub async fn download_evidence(
    State(state): State<AppState>,
    ApiUser(cu): ApiUser,
    Path((id, evidence)): Path<(i64, i64)>,
) -> Result<Response, ApiError> {
    Ok(crate::pages::send_file(
        campaigns::evidence_download(&state, &cu, id, evidence).await?,
    ))
}

/// A step on a declaration: `save` or `submit` (the establishment; only its leader
/// submits) with the value; `confirm` or `contest` a value the agency loaded (its leader; a
/// comment to contest); `validate`, `return` or `reopen` (the agency; a reason to return or
/// reopen).
#[utoipa::path(post, path = "/api/v1/declarations/{id}/steps", tag = "campagnes",
    params(("id" = i64, Path, description = "Identifiant de la déclaration")), request_body = StepInput,
    responses((status = 200, body = DeclarationDto), (status = 403, body = ApiErrorBody),
        (status = 404, body = ApiErrorBody), (status = 409, body = ApiErrorBody),
        (status = 422, body = ApiErrorBody)))]
pub async fn step(
    State(state): State<AppState>,
    ApiUser(cu): ApiUser,
    Path(id): Path<i64>,
    Json(input): Json<StepInput>,
) -> Result<Json<DeclarationDto>, ApiError> {
    campaigns::step(&state, &cu, id, &input).await?;
    let (d, _, history) = campaigns::declaration(&state, &cu, id).await?;
    Ok(Json(declaration_dto(&d, Some(&history))))
}

/// An import of values loaded by the agency.
#[derive(Serialize, ToSchema)]
pub struct ValueImportDto {
    /// Identifier.
    pub id: i64,
    /// Campaign.
    pub campaign_id: i64,
    /// `pmsi`, `sae` or `other`.
    pub source: String,
    /// Description of the extraction.
    pub detail: String,
    /// Name of the file.
    pub file_name: String,
    /// SHA-256 of the file.
    pub checksum: String,
    /// Values loaded.
    pub lines: i64,
    /// Who loaded it.
    pub actor: String,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// The imports of values of a campaign, latest first (the agency of its region).
#[utoipa::path(get, path = "/api/v1/campaigns/{id}/values", tag = "campagnes",
    params(("id" = i64, Path, description = "Identifiant de la campagne")),
    responses((status = 200, body = Vec<ValueImportDto>), (status = 403, body = ApiErrorBody),
        (status = 404, body = ApiErrorBody)))]
pub async fn value_imports(
    State(state): State<AppState>,
    ApiUser(cu): ApiUser,
    Path(id): Path<i64>,
) -> Result<Json<Vec<ValueImportDto>>, ApiError> {
    let (_, imports) = campaigns::value_imports(&state, &cu, id).await?;
    Ok(Json(
        imports
            .into_iter()
            .map(|i| ValueImportDto {
                id: i.id,
                campaign_id: i.campaign_id,
                source: i.source.as_str().into(),
                detail: i.detail,
                file_name: i.file_name,
                checksum: i.checksum,
                lines: i.lines,
                actor: i.actor,
                created_at: i.created_at,
            })
            .collect(),
    ))
}

/// Query of a load of values.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ValuesQuery {
    /// `true` to preview without writing anything.
    #[serde(default)]
    pub dry_run: bool,
}

/// The multipart form of a file of values.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ValuesForm {
    /// `pmsi`, `sae` or `other`.
    source: String,
    /// Description of the extraction (optional).
    detail: Option<String>,
    /// CSV or XLSX: `finess`, `indicateur`, `annee` (optional), `valeur`, or `numerateur`
    /// and `denominateur` for a rate; 32 MB at most.
    #[schema(format = Binary, value_type = String)]
    file: Vec<u8>,
}

/// Loads values measured by the agency (PMSI, SAE, other bases) into an open campaign, all
/// or nothing (its region's ARS administrators); with `dry_run=true`, only previews. Every
/// problem is listed with its line and column, and then nothing is written.
#[utoipa::path(post, path = "/api/v1/campaigns/{id}/values", tag = "campagnes",
    params(("id" = i64, Path, description = "Identifiant de la campagne"), ValuesQuery),
    request_body(content = ValuesForm, content_type = "multipart/form-data"),
    responses((status = 200, description = "Aperçu, ou valeurs chargées", body = campaigns::ValuesReport),
        (status = 422, description = "Erreurs (rien n'est écrit)", body = ValuesRefusal),
        (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody),
        (status = 409, body = ApiErrorBody)))]
pub async fn load_values(
    State(state): State<AppState>,
    ApiUser(cu): ApiUser,
    Path(id): Path<i64>,
    Query(q): Query<ValuesQuery>,
    multipart: Multipart,
) -> Result<(StatusCode, Json<campaigns::ValuesReport>), ApiError> {
    let dir = state.store.files_dir().join("imports");
    let (upload, bytes) =
        crate::upload::receive_small(multipart, &dir, campaigns::MAX_VALUES_FILE).await?;
    let file = campaigns::ValuesFile {
        source: upload.field("source").unwrap_or_default(),
        detail: upload.field("detail").unwrap_or_default(),
        file_name: &upload.file_name,
        bytes: &bytes,
    };
    let report = campaigns::load_values(&state, &cu, id, &file, !q.dry_run, None).await?;
    Ok((report.status(), Json(report)))
}

/// Query of the template of values.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TemplateQuery {
    /// Only the declarations of this indicator.
    pub indicator: Option<String>,
}

/// The template of a campaign's values (XLSX): one line per declaration still waiting for a
/// value, with the columns to fill (its region's ARS administrators).
#[utoipa::path(get, path = "/api/v1/campaigns/{id}/values/template.xlsx", tag = "campagnes",
    params(("id" = i64, Path, description = "Identifiant de la campagne"), TemplateQuery),
    responses((status = 200, description = "Le modèle",
        content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        body = crate::api::documents::FileContent), (status = 403, body = ApiErrorBody),
        (status = 404, body = ApiErrorBody)))]
pub async fn values_template(
    State(state): State<AppState>,
    ApiUser(cu): ApiUser,
    Path(id): Path<i64>,
    Query(q): Query<TemplateQuery>,
) -> Result<Response, ApiError> {
    Ok(crate::pages::send_file(
        campaigns::values_template(&state, &cu, id, q.indicator.as_deref()).await?,
    ))
}

/// The dashboard of a campaign over the declarations the caller sees: completion (overall,
/// by department, by GHT, by establishment) and attainment (overall, by indicator, size band,
/// department and GHT), computed live from the verdicts.
#[utoipa::path(get, path = "/api/v1/campaigns/{id}/dashboard", tag = "campagnes",
    params(("id" = i64, Path, description = "Identifiant de la campagne")),
    responses((status = 200, description = "Le tableau de bord", body = Object),
        (status = 404, body = ApiErrorBody)))]
pub async fn dashboard(
    State(state): State<AppState>,
    ApiUser(cu): ApiUser,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    use axum::response::IntoResponse;
    let (_, d) = campaigns::dashboard(&state, &cu, id).await?;
    Ok((
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        d.json(),
    )
        .into_response())
}

/// The campaign as an XLSX workbook over the declarations the caller sees: every
/// declaration with its value, verdict and reason, then each table of the dashboard.
#[utoipa::path(get, path = "/api/v1/campaigns/{id}/export.xlsx", tag = "campagnes",
    params(("id" = i64, Path, description = "Identifiant de la campagne")),
    responses((status = 200, description = "Le classeur",
        content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        body = crate::api::documents::FileContent), (status = 404, body = ApiErrorBody)))]
pub async fn export(
    State(state): State<AppState>,
    ApiUser(cu): ApiUser,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    Ok(crate::pages::send_file(
        campaigns::export(&state, &cu, id).await?,
    ))
}

/// A 422 of this import: the file's report, or the error of a form field (no file, an
/// unknown kind…).
#[derive(serde::Serialize, utoipa::ToSchema)]
#[serde(untagged)]
#[allow(dead_code)]
pub enum ValuesRefusal {
    /// The file's report, with its errors.
    Report(campaigns::ValuesReport),
    /// A field of the form.
    Form(crate::error::ApiErrorBody),
}
