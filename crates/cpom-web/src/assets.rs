//! Static assets (vendored DSFR and htmx, cpom's own CSS), embedded in the binary so that
//! a single file runs cpom anywhere.

use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use rust_embed::RustEmbed;

#[derive(RustEmbed)]
#[folder = "static/"]
struct Assets;

/// Serves `/static/{*path}` with its content type and a one-day cache.
pub async fn serve_asset(Path(path): Path<String>) -> Response {
    match Assets::get(&path) {
        Some(file) => {
            let mime = file.metadata.mimetype().to_owned();
            let etag = format!("\"{}\"", hex::encode(&file.metadata.sha256_hash()[..16]));
            let mut resp = file.data.into_owned().into_response();
            let headers = resp.headers_mut();
            if let Ok(v) = HeaderValue::from_str(&mime) {
                headers.insert(header::CONTENT_TYPE, v);
            }
            headers.insert(
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=86400"),
            );
            if let Ok(v) = HeaderValue::from_str(&etag) {
                headers.insert(header::ETAG, v);
            }
            resp
        }
        None => (StatusCode::NOT_FOUND, "ressource introuvable").into_response(),
    }
}
