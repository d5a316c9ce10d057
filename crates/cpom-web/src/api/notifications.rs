//! The caller's in-app notifications through the API.

use super::extract::{Json, Query};
use axum::extract::State;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::auth::ApiUser;
use crate::error::{ApiError, ApiErrorBody, AppError};

/// A notification.
#[derive(Serialize, ToSchema)]
pub struct NotificationDto {
    /// Identifier.
    pub id: i64,
    /// Contract it is about.
    pub contract_id: Option<i64>,
    /// French message.
    pub message: String,
    /// Page it is about (path of the application).
    pub link: String,
    /// When.
    pub created_at: DateTime<Utc>,
    /// When it was read; null: unread.
    pub read_at: Option<DateTime<Utc>>,
}

/// A page of notifications.
#[derive(Serialize, ToSchema)]
pub struct NotificationPageDto {
    /// Newest first.
    pub items: Vec<NotificationDto>,
    /// Number across all pages.
    pub total: u64,
    /// Unread ones, in all.
    pub unread: u64,
    /// Page.
    pub page: u64,
    /// Page size.
    pub per_page: u64,
}

/// Filters.
#[derive(Debug, Default, Deserialize, IntoParams)]
pub struct NotificationQuery {
    /// Unread ones only.
    unread: Option<bool>,
    /// Page (from 1).
    page: Option<u64>,
    /// Page size (at most 200).
    per_page: Option<u64>,
}

/// The caller's notifications, newest first.
#[utoipa::path(get, path = "/api/v1/notifications", tag = "contrats", params(NotificationQuery),
    responses((status = 200, body = NotificationPageDto), (status = 401, body = ApiErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    ApiUser(cu): ApiUser,
    Query(q): Query<NotificationQuery>,
) -> Result<Json<NotificationPageDto>, ApiError> {
    let page = q.page.unwrap_or(1).max(1);
    let per_page = q.per_page.unwrap_or(50).clamp(1, 200);
    let p = state
        .store
        .notifications(cu.user.id, q.unread == Some(true), page, per_page)
        .await
        .map_err(AppError::from)?;
    // Counted with the account when the request began: nothing has changed since.
    let unread = cu.unread;
    Ok(Json(NotificationPageDto {
        items: p
            .items
            .into_iter()
            .map(|n| NotificationDto {
                id: n.id,
                contract_id: n.contract_id,
                message: n.message,
                link: n.link,
                created_at: n.created_at,
                read_at: n.read_at,
            })
            .collect(),
        total: p.total,
        unread,
        page,
        per_page,
    }))
}

/// Which notifications to mark read.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct ReadBody {
    /// Their identifiers; absent: all of the caller's.
    pub ids: Option<Vec<i64>>,
}

/// How many were marked.
#[derive(Serialize, ToSchema)]
pub struct ReadDto {
    /// Notifications marked read.
    pub marked: u64,
}

/// Marks some or all of the caller's notifications read.
#[utoipa::path(post, path = "/api/v1/notifications/read", tag = "contrats", request_body = ReadBody,
    responses((status = 200, body = ReadDto), (status = 401, body = ApiErrorBody)))]
pub async fn mark_read(
    State(state): State<AppState>,
    ApiUser(cu): ApiUser,
    Json(body): Json<ReadBody>,
) -> Result<Json<ReadDto>, ApiError> {
    let marked = state
        .store
        .mark_notifications_read(cu.user.id, body.ids.as_deref())
        .await
        .map_err(AppError::from)?;
    Ok(Json(ReadDto { marked }))
}
