//! Contract documents through the API: the contract as PDF or DOCX, annex 1 as XLSX, the
//! ZIP of a region's contracts, the signed scans, and the region's contract template.

use super::extract::{Json, Path, Query};
use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Utc};
use cpom_domain::contract_document::ContractTemplate;
use cpom_store::repo::contract_documents::{ContractFile, StoredTemplate};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::auth::ApiUser;
use crate::documents::{self, Format};
use crate::error::{ApiError, ApiErrorBody};
use crate::pages::send_file as download;

/// The content of a file (binary).
#[derive(ToSchema)]
#[schema(value_type = String, format = Binary)]
#[allow(dead_code)]
pub struct FileContent(Vec<u8>);

async fn document(
    state: &AppState,
    cu: &crate::auth::CurrentUser,
    id: i64,
    format: Format,
) -> Result<Response, ApiError> {
    Ok(download(
        documents::contract_download(state, cu, id, format).await?,
    ))
}

/// The contract (socle, diagnostic, signatures, annexes) as PDF, from the region's template.
/// Establishment users get their own entity's contracts only.
#[utoipa::path(get, path = "/api/v1/contracts/{id}/document.pdf", tag = "contrats",
    params(("id" = i64, Path, description = "Identifiant du contrat")),
    responses((status = 200, description = "Le contrat en PDF", content_type = "application/pdf", body = FileContent),
        (status = 404, body = ApiErrorBody)))]
pub async fn document_pdf(
    State(state): State<AppState>,
    ApiUser(cu): ApiUser,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    document(&state, &cu, id, Format::Pdf).await
}

/// The contract as DOCX (Word), from the region's template.
#[utoipa::path(get, path = "/api/v1/contracts/{id}/document.docx", tag = "contrats",
    params(("id" = i64, Path, description = "Identifiant du contrat")),
    responses((status = 200, description = "Le contrat en DOCX",
        content_type = "application/vnd.openxmlformats-officedocument.wordprocessingml.document", body = FileContent),
        (status = 404, body = ApiErrorBody)))]
pub async fn document_docx(
    State(state): State<AppState>,
    ApiUser(cu): ApiUser,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    document(&state, &cu, id, Format::Docx).await
}

/// Annex 1 (engagements, indicators, targets per year) as an XLSX workbook.
#[utoipa::path(get, path = "/api/v1/contracts/{id}/annex-1.xlsx", tag = "contrats",
    params(("id" = i64, Path, description = "Identifiant du contrat")),
    responses((status = 200, description = "L'annexe 1 en XLSX",
        content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body = FileContent),
        (status = 404, body = ApiErrorBody)))]
pub async fn annex_xlsx(
    State(state): State<AppState>,
    ApiUser(cu): ApiUser,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    document(&state, &cu, id, Format::Xlsx).await
}

/// An earlier signed version of a contract (kept when an avenant was opened) as PDF.
#[utoipa::path(get, path = "/api/v1/contracts/{id}/versions/{n}/document.pdf", tag = "contrats",
    params(("id" = i64, Path, description = "Identifiant du contrat"),
        ("n" = i32, Path, description = "Numéro de la version : 0 pour le contrat initial, n pour l'avenant n")),
    responses((status = 200, description = "La version en PDF", content_type = "application/pdf", body = FileContent),
        (status = 404, body = ApiErrorBody)))]
pub async fn version_pdf(
    State(state): State<AppState>,
    ApiUser(cu): ApiUser,
    Path((id, n)): Path<(i64, i32)>,
) -> Result<Response, ApiError> {
    Ok(download(
        documents::version_download(&state, &cu, id, n, Format::Pdf).await?,
    ))
}

/// The region asked for.
#[derive(Debug, Default, Deserialize, IntoParams)]
pub struct ArchiveQuery {
    /// INSEE region code (default: the caller's region).
    region: Option<String>,
}

/// Every contract of a region the caller may see, each as PDF, DOCX and annex-1 XLSX, in
/// one ZIP.
#[utoipa::path(get, path = "/api/v1/contracts/archive.zip", tag = "contrats", params(ArchiveQuery),
    responses((status = 200, description = "Archive ZIP", content_type = "application/zip", body = FileContent),
        (status = 422, body = ApiErrorBody)))]
pub async fn archive(
    State(state): State<AppState>,
    ApiUser(cu): ApiUser,
    Query(q): Query<ArchiveQuery>,
) -> Result<Response, ApiError> {
    Ok(download(
        documents::region_archive(&state, &cu, q.region.as_deref()).await?,
    ))
}

/// A file attached to a contract.
#[derive(Serialize, ToSchema)]
pub struct ContractFileDto {
    /// Identifier.
    pub id: i64,
    /// `signed_scan`.
    pub kind: String,
    /// Name given at upload.
    pub file_name: String,
    /// SHA-256 of the content (hexadecimal).
    pub sha256: String,
    /// Size in bytes.
    pub size: i64,
    /// Who attached it.
    pub uploaded_by: String,
    /// When.
    pub created_at: DateTime<Utc>,
}

impl From<ContractFile> for ContractFileDto {
    fn from(f: ContractFile) -> Self {
        ContractFileDto {
            id: f.id,
            kind: f.kind,
            file_name: f.file_name,
            sha256: f.sha256,
            size: f.size,
            uploaded_by: f.uploaded_by,
            created_at: f.created_at,
        }
    }
}

/// The files attached to a contract (signed scans), newest first.
#[utoipa::path(get, path = "/api/v1/contracts/{id}/files", tag = "contrats",
    params(("id" = i64, Path, description = "Identifiant du contrat")),
    responses((status = 200, body = Vec<ContractFileDto>), (status = 404, body = ApiErrorBody)))]
pub async fn list_files(
    State(state): State<AppState>,
    ApiUser(cu): ApiUser,
    Path(id): Path<i64>,
) -> Result<Json<Vec<ContractFileDto>>, ApiError> {
    Ok(Json(
        documents::files(&state, &cu, id)
            .await?
            .into_iter()
            .map(Into::into)
            .collect(),
    ))
}

/// The multipart form of a signed scan.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ScanForm {
    /// The signed contract, a PDF of at most 20 MB.
    #[schema(format = Binary, value_type = String)]
    file: Vec<u8>,
}

/// Attaches the signed scan (PDF) of a signed contract; the agency of the region.
#[utoipa::path(post, path = "/api/v1/contracts/{id}/files", tag = "contrats",
    params(("id" = i64, Path, description = "Identifiant du contrat")),
    request_body(content = ScanForm, content_type = "multipart/form-data"),
    responses((status = 201, body = ContractFileDto), (status = 403, body = ApiErrorBody),
        (status = 409, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn upload_file(
    State(state): State<AppState>,
    ApiUser(cu): ApiUser,
    Path(id): Path<i64>,
    multipart: Multipart,
) -> Result<(StatusCode, Json<ContractFileDto>), ApiError> {
    let dir = state.store.files_dir().join("incoming");
    let (upload, bytes) =
        crate::upload::receive_small(multipart, &dir, documents::MAX_SCAN).await?;
    let f = documents::attach_signed_scan(&state, &cu, id, &upload.file_name, &bytes).await?;
    Ok((StatusCode::CREATED, Json(f.into())))
}

/// The content of a file attached to a contract.
#[utoipa::path(get, path = "/api/v1/contracts/{id}/files/{file}", tag = "contrats",
    params(("id" = i64, Path, description = "Identifiant du contrat"),
        ("file" = i64, Path, description = "Identifiant du fichier")),
    responses((status = 200, description = "Le fichier", content_type = "application/pdf", body = FileContent),
        (status = 404, body = ApiErrorBody)))]
pub async fn get_file(
    State(state): State<AppState>,
    ApiUser(cu): ApiUser,
    Path((id, file)): Path<(i64, i64)>,
) -> Result<Response, ApiError> {
    Ok(download(
        documents::file_download(&state, &cu, id, file).await?,
    ))
}

/// A region's contract template. Texts may use the fields `{agence}`, `{region}`,
/// `{etablissement}`, `{finess}`, `{titre}`, `{periode}`, `{debut}`, `{fin}`, `{duree}`,
/// `{version}`; in the socle, a line starting with `# ` is an article title.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct ContractTemplateDto {
    /// Running header of every page.
    pub header: String,
    /// The articles.
    pub socle: String,
    /// Text above the signatures.
    pub signature: String,
    /// Title of annex 1.
    pub annex_engagements: String,
    /// Title of annex 2 (empty: no annex 2).
    pub annex_authorisations: String,
    /// Title of the diagnostic section (empty: not printed).
    pub diagnostic: String,
    /// Title of the funding annex, numbered after annexes 1 and 2 (empty: not printed).
    pub annex_funding: String,
    /// Fewest priority objectives per contract (a check before signature); null: none.
    pub objectives_min: Option<usize>,
    /// Most priority objectives per contract (BFC: 5); null: none.
    pub objectives_max: Option<usize>,
    /// Month of year N+1 by the end of which the follow-up of year N is due (1–12);
    /// null: June.
    pub follow_up_month: Option<u32>,
    /// Highest penalty for non-execution, in euros; null: no cap.
    pub penalty_cap: Option<i64>,
    /// Version read (0 while the default applies); required to change it.
    pub version: i64,
}

impl Default for ContractTemplateDto {
    /// Every text empty, version 0: what a body without some fields is read as.
    fn default() -> Self {
        ContractTemplateDto {
            header: String::new(),
            socle: String::new(),
            signature: String::new(),
            annex_engagements: String::new(),
            annex_authorisations: String::new(),
            diagnostic: String::new(),
            annex_funding: String::new(),
            objectives_min: None,
            objectives_max: None,
            follow_up_month: None,
            penalty_cap: None,
            version: 0,
        }
    }
}

fn template_dto(s: StoredTemplate) -> ContractTemplateDto {
    let t = s.template;
    ContractTemplateDto {
        header: t.header,
        socle: t.socle,
        signature: t.signature,
        annex_engagements: t.annex_engagements,
        annex_authorisations: t.annex_authorisations,
        diagnostic: t.diagnostic,
        annex_funding: t.annex_funding,
        objectives_min: t.objectives_min,
        objectives_max: t.objectives_max,
        follow_up_month: t.follow_up_month,
        penalty_cap: t.penalty_cap,
        version: s.version,
    }
}

/// The contract template of a region (its administrators).
#[utoipa::path(get, path = "/api/v1/regions/{code}/contract-template", tag = "contrats",
    params(("code" = String, Path, description = "Code INSEE de la région")),
    responses((status = 200, body = ContractTemplateDto), (status = 403, body = ApiErrorBody)))]
pub async fn get_template(
    State(state): State<AppState>,
    ApiUser(cu): ApiUser,
    Path(code): Path<String>,
) -> Result<Json<ContractTemplateDto>, ApiError> {
    Ok(Json(template_dto(
        documents::template(&state, &cu, Some(&code)).await?,
    )))
}

/// Changes the contract template of a region; an unknown field or an unclosed brace is
/// refused with its line and column.
#[utoipa::path(put, path = "/api/v1/regions/{code}/contract-template", tag = "contrats",
    params(("code" = String, Path, description = "Code INSEE de la région")),
    request_body = ContractTemplateDto,
    responses((status = 200, body = ContractTemplateDto), (status = 403, body = ApiErrorBody),
        (status = 409, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn put_template(
    State(state): State<AppState>,
    ApiUser(cu): ApiUser,
    Path(code): Path<String>,
    Json(input): Json<ContractTemplateDto>,
) -> Result<Json<ContractTemplateDto>, ApiError> {
    let template = ContractTemplate {
        header: input.header,
        socle: input.socle,
        signature: input.signature,
        annex_engagements: input.annex_engagements,
        annex_authorisations: input.annex_authorisations,
        diagnostic: input.diagnostic,
        annex_funding: input.annex_funding,
        objectives_min: input.objectives_min,
        objectives_max: input.objectives_max,
        follow_up_month: input.follow_up_month,
        penalty_cap: input.penalty_cap,
    };
    Ok(Json(template_dto(
        documents::set_template(&state, &cu, Some(&code), &template, input.version).await?,
    )))
}
