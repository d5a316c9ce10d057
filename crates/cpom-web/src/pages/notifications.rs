//! The account's in-app notifications.

use super::extract::{Form, Path, Query};
use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use tower_sessions::Session;

use super::render;
use crate::AppState;
use crate::auth::PageUser;
use crate::error::PageError;
use crate::view::{Layout, datetime_fr};

/// One notification, as listed.
pub struct NotificationLine {
    id: i64,
    message: String,
    when: String,
    unread: bool,
}

/// The notifications page.
#[derive(Template)]
#[template(path = "notifications.html")]
pub struct NotificationsPage {
    layout: Layout,
    lines: Vec<NotificationLine>,
    total: u64,
    page: u64,
    pages: u64,
    prev_href: String,
    next_href: String,
}

/// The page asked for.
#[derive(Debug, Default, serde::Deserialize)]
pub struct PageQuery {
    page: Option<u64>,
}

/// GET `/notifications`: the account's notifications, newest first.
pub async fn list(
    State(state): State<AppState>,
    session: Session,
    PageUser(cu): PageUser,
    Query(q): Query<PageQuery>,
) -> Result<Response, PageError> {
    let page = q.page.unwrap_or(1).max(1);
    let p = state
        .store
        .notifications(cu.user.id, false, page, 50)
        .await
        .map_err(crate::error::AppError::from)?;
    let pages = p.page_count();
    let page = p.page;
    render(&NotificationsPage {
        layout: Layout::new(&state, &session, &cu, "Notifications", "").await?,
        lines: p
            .items
            .into_iter()
            .map(|n| NotificationLine {
                id: n.id,
                message: n.message,
                when: datetime_fr(n.created_at),
                unread: n.read_at.is_none(),
            })
            .collect(),
        total: p.total,
        page,
        pages,
        prev_href: format!("/notifications?page={}", (page - 1).max(1)),
        next_href: format!("/notifications?page={}", page + 1),
    })
}

/// GET `/notifications/{id}`: marks it read and opens the page it is about.
pub async fn open(
    State(state): State<AppState>,
    PageUser(cu): PageUser,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let n = state
        .store
        .notification(cu.user.id, id)
        .await
        .map_err(crate::error::AppError::from)?;
    state
        .store
        .mark_notifications_read(cu.user.id, Some(&[id]))
        .await
        .map_err(crate::error::AppError::from)?;
    // Only links the application wrote, inside the application.
    let target = if n.link.starts_with('/') && !n.link.starts_with("//") {
        n.link
    } else {
        "/notifications".into()
    };
    Ok(Redirect::to(&target).into_response())
}

/// The form's fields (only the CSRF token).
#[derive(Debug, Default, serde::Deserialize)]
pub struct Empty {}

/// POST `/notifications/lues`: marks every notification read.
pub async fn mark_all_read(
    State(state): State<AppState>,
    PageUser(cu): PageUser,
    Form(_): Form<Empty>,
) -> Result<Response, PageError> {
    state
        .store
        .mark_notifications_read(cu.user.id, None)
        .await
        .map_err(crate::error::AppError::from)?;
    Ok(Redirect::to("/notifications").into_response())
}
