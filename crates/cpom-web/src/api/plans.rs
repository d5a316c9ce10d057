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
