//! The audit trail through the API.

use super::extract::{Json, Query};
use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;

use crate::AppState;
use crate::auth::ApiUser;
use crate::error::{ApiError, ApiErrorBody};
use crate::pages::audit::AuditQuery;
use crate::services::{self, paging};

/// One audit row.
#[derive(Serialize, ToSchema)]
pub struct AuditEventDto {
    /// Row id.
    pub id: i64,
    /// When (UTC).
    pub at: chrono::DateTime<chrono::Utc>,
    /// Account that made the change, if any.
    pub actor_user_id: Option<i64>,
    /// Readable actor.
    pub actor_label: String,
    /// Action (`user.create`…).
    pub action: String,
    /// Kind of entity.
    pub entity_type: String,
    /// Entity id.
    pub entity_id: String,
    /// Region of the entity.
    pub region: Option<String>,
    /// Legal entity of the entity.
    pub ej: Option<String>,
    /// State before.
    pub before: Option<serde_json::Value>,
    /// State after.
    pub after: Option<serde_json::Value>,
}

/// A page of audit rows.
#[derive(Serialize, ToSchema)]
pub struct AuditPageDto {
    /// Rows, newest first.
    pub items: Vec<AuditEventDto>,
    /// Total across pages.
    pub total: u64,
    /// Page number.
    pub page: u64,
    /// Page size.
    pub per_page: u64,
}

/// Audit rows of the caller's scope.
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", params(AuditQuery),
    responses((status = 200, body = AuditPageDto), (status = 403, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn list_audit(
    State(state): State<AppState>,
    ApiUser(cu): ApiUser,
    Query(q): Query<AuditQuery>,
) -> Result<Json<AuditPageDto>, ApiError> {
    cu.authorize(&cpom_domain::Action::ViewAudit)?;
    let filter = q.filter()?;
    let (page, per_page) = paging(q.page, q.per_page);
    let result = services::list_audit(&state, &cu, &filter, page, per_page).await?;
    Ok(Json(AuditPageDto {
        items: result
            .items
            .into_iter()
            .map(|e| AuditEventDto {
                id: e.id,
                at: e.at,
                actor_user_id: e.actor_user_id,
                actor_label: e.actor_label,
                action: e.action,
                entity_type: e.entity_type,
                entity_id: e.entity_id,
                region: e.region_code,
                ej: e.ej_finess,
                before: e.before,
                after: e.after,
            })
            .collect(),
        total: result.total,
        page: result.page,
        per_page: result.per_page,
    }))
}
