//! Server-rendered HTML pages (French, DSFR).

pub mod account;
pub mod audit;
pub mod auth;
pub mod campaigns;
pub mod catalogue_edit;
pub mod catalogues;
pub mod contracts;
pub mod extract;
pub mod home;
pub mod notifications;
pub mod ops;
pub mod plans;
pub mod registry;
pub mod reviews;
pub mod settings;
pub mod territories;
pub mod users;

use axum::http::Uri;
use axum::response::{Html, IntoResponse, Response};

use crate::error::AppError;

/// Renders an askama page into a response.
/// Sends a file as an attachment (never rendered by the browser): its media type, name,
/// and no caching.
pub(crate) fn send_file(d: crate::documents::Download) -> Response {
    use axum::http::header;
    (
        [
            (header::CONTENT_TYPE, d.mime.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{}\"", d.file_name.replace('"', "")),
            ),
            (header::CACHE_CONTROL, "private, no-store".to_owned()),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
        ],
        d.bytes,
    )
        .into_response()
}

pub fn render<T: askama::Template>(page: &T) -> Result<Response, crate::error::PageError> {
    Ok(Html(page.render()?).into_response())
}

/// Renders an askama page with another status than 200 (a form shown again with its error,
/// a creation…).
pub fn render_status<T: askama::Template>(
    page: &T,
    status: axum::http::StatusCode,
) -> Result<Response, crate::error::PageError> {
    let mut resp = render(page)?;
    *resp.status_mut() = status;
    Ok(resp)
}

/// Fallback for unknown paths: a JSON 404 under `/api`, the 404 page elsewhere.
pub async fn not_found(uri: Uri) -> Response {
    if uri.path().starts_with("/api/") {
        AppError::NotFound.into_api_response()
    } else {
        AppError::NotFound.into_page_response()
    }
}
