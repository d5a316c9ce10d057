//! Regional action plans through the API.

use axum::Json;
use axum::extract::{Path, Query, State};
use cpom_store::repo::plans::PlanSummary;

use crate::AppState;
use crate::auth::ApiUser;
use crate::error::{ApiError, ApiErrorBody};
use crate::plans;

fn summary_json(p: &PlanSummary) -> serde_json::Value {
    serde_json::json!({
        "id": p.id,
        "region": p.region.to_string(),
        "title": p.title,
        "start_year": p.start_year,
        "end_year": p.end_year,
        "source_file": p.source_file,
        "row_version": p.row_version,
        "created_at": p.created_at,
        "updated_at": p.updated_at,
    })
}

/// The action plans the caller sees (the agency: its region's).
#[utoipa::path(get, path = "/api/v1/action-plans", tag = "plans",
    responses((status = 200, description = "Les plans d'actions", body = Object)))]
pub async fn list(
    State(state): State<AppState>,
    ApiUser(cu): ApiUser,
) -> Result<Json<serde_json::Value>, ApiError> {
    let items: Vec<_> = plans::list(&state, &cu)
        .await?
        .iter()
        .map(summary_json)
        .collect();
    Ok(Json(serde_json::json!({ "items": items })))
}

/// One action plan with its whole tree (thématiques → axes → objectifs → actions →
/// sous-actions), its statuses and pilots; an unset status is `null`. The filters keep the
/// matching items with their ancestors (and everything under a matching item), as the page.
#[utoipa::path(get, path = "/api/v1/action-plans/{id}", tag = "plans",
    params(("id" = i64, Path, description = "Identifiant du plan"), plans::PlanQuery),
    responses((status = 200, description = "Le plan et son arbre", body = Object),
        (status = 404, body = ApiErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    ApiUser(cu): ApiUser,
    Path(id): Path<i64>,
    Query(q): Query<plans::PlanQuery>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let (p, tree) = plans::view(&state, &cu, id, &q).await?;
    let mut out = summary_json(&p.summary);
    out["statuses"] = serde_json::to_value(&p.statuses).unwrap_or_default();
    out["pilots"] = serde_json::to_value(&p.pilots).unwrap_or_default();
    out["tree"] = tree
        .iter()
        .map(|n| plans::node_json(n, &p.statuses))
        .collect();
    Ok(Json(out))
}

/// A plan as an XLSX workbook in the import's layout (one row per action or sub-action).
#[utoipa::path(get, path = "/api/v1/action-plans/{id}/export.xlsx", tag = "plans",
    params(("id" = i64, Path, description = "Identifiant du plan")),
    responses((status = 200, description = "Le classeur",
        content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        body = crate::api::documents::FileContent), (status = 404, body = ApiErrorBody)))]
pub async fn export(
    State(state): State<AppState>,
    ApiUser(cu): ApiUser,
    Path(id): Path<i64>,
) -> Result<axum::response::Response, ApiError> {
    Ok(crate::pages::send_file(
        plans::export(&state, &cu, id).await?,
    ))
}

/// The template of a plan file: the header row of the import's layout.
#[utoipa::path(get, path = "/api/v1/action-plans/template.xlsx", tag = "plans",
    responses((status = 200, description = "Le modèle",
        content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        body = crate::api::documents::FileContent), (status = 403, body = ApiErrorBody)))]
pub async fn template(ApiUser(cu): ApiUser) -> Result<axum::response::Response, ApiError> {
    Ok(crate::pages::send_file(plans::template(&cu)?))
}

/// Query of an import.
#[derive(serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// `true`: only previews (nothing is written).
    #[serde(default)]
    pub dry_run: bool,
}

/// A plan file and the plan's fields.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct PlanForm {
    /// Region code (the caller's region when left out).
    region: Option<String>,
    /// Title.
    title: String,
    /// First year.
    start_year: i32,
    /// Last year.
    end_year: i32,
    /// CSV or XLSX, one row per action or sub-action (see the template); 8 MB at most.
    #[schema(format = Binary, value_type = String)]
    file: Vec<u8>,
}

/// Imports a plan from a file, all or nothing (the region's ARS administrators); with
/// `dry_run=true`, only previews. Every problem is listed with its line and column, and then
/// nothing is written; an unset status (empty, or « Sélectionner ») stays unset.
#[utoipa::path(post, path = "/api/v1/action-plans", tag = "plans", params(ImportQuery),
    request_body(content = PlanForm, content_type = "multipart/form-data"),
    responses((status = 200, description = "Aperçu, ou plan importé", body = plans::PlanReport),
        (status = 422, description = "Erreurs (rien n'est écrit)", body = plans::PlanReport),
        (status = 403, body = ApiErrorBody)))]
pub async fn import(
    State(state): State<AppState>,
    ApiUser(cu): ApiUser,
    Query(q): Query<ImportQuery>,
    multipart: axum::extract::Multipart,
) -> Result<(axum::http::StatusCode, Json<plans::PlanReport>), ApiError> {
    let dir = state.store.files_dir().join("imports");
    let (upload, bytes) =
        crate::upload::receive_small(multipart, &dir, plans::MAX_PLAN_FILE).await?;
    let report = plans::import(
        &state,
        &cu,
        &plans::PlanFile {
            region: upload.field("region").unwrap_or_default(),
            title: upload.field("title").unwrap_or_default(),
            start_year: upload.field("start_year").unwrap_or_default(),
            end_year: upload.field("end_year").unwrap_or_default(),
            file_name: &upload.file_name,
            bytes: &bytes,
        },
        !q.dry_run,
    )
    .await?;
    let status = if report.errors.is_empty() {
        axum::http::StatusCode::OK
    } else {
        axum::http::StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok((status, Json(report)))
}
