//! CSRF protection of every state-changing request.
//!
//! Each session holds a random token. A POST, PUT, PATCH or DELETE authenticated by the
//! session cookie must carry it, in the `csrf_token` field of a urlencoded form or in the
//! `X-CSRF-Token` header (htmx and API calls from the browser), or, for file uploads
//! (multipart forms), in the `csrf_token` parameter of the form's action URL. Requests authenticated by a
//! bearer token carry no cookie and are exempt: a foreign page cannot set that header.

use axum::body::{Body, to_bytes};
use axum::extract::Request;
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;
use rand::RngCore;
use tower_sessions::Session;

use crate::error::AppError;

/// Session key of the CSRF token.
pub const CSRF_KEY: &str = "csrf";
/// Form field carrying the token.
pub const CSRF_FIELD: &str = "csrf_token";
/// Header carrying the token.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// Largest urlencoded form read by the guard.
const MAX_FORM: usize = 256 * 1024;

/// The session's token, created on first use.
pub async fn token(session: &Session) -> Result<String, AppError> {
    let existing: Option<String> = session.get(CSRF_KEY).await.map_err(internal)?;
    if let Some(t) = existing {
        return Ok(t);
    }
    rotate(session).await
}

/// Replaces the session's token (at sign-in).
pub async fn rotate(session: &Session) -> Result<String, AppError> {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let t = hex::encode(bytes);
    session.insert(CSRF_KEY, &t).await.map_err(internal)?;
    Ok(t)
}

fn internal(e: tower_sessions::session::Error) -> AppError {
    AppError::Internal(e.to_string())
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn is_api(req: &Request) -> bool {
    req.uri().path().starts_with("/api/")
}

/// Middleware: refuses unsafe requests without a valid token.
pub async fn guard(req: Request, next: Next) -> Response {
    let unsafe_method = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if !unsafe_method
        || req
            .headers()
            .contains_key(axum::http::header::AUTHORIZATION)
    {
        return next.run(req).await;
    }
    let api = is_api(&req);
    let reject = |e: AppError| {
        if api {
            e.into_api_response()
        } else {
            e.into_page_response()
        }
    };
    let Some(session) = req.extensions().get::<Session>().cloned() else {
        return reject(AppError::Csrf);
    };
    let expected: Option<String> = match session.get(CSRF_KEY).await {
        Ok(v) => v,
        Err(e) => return reject(internal(e)),
    };
    let Some(expected) = expected else {
        return reject(AppError::Csrf);
    };
    if let Some(h) = req.headers().get(CSRF_HEADER) {
        return if constant_time_eq(h.as_bytes(), expected.as_bytes()) {
            next.run(req).await
        } else {
            reject(AppError::Csrf)
        };
    }
    let content_type = req
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if content_type.starts_with("multipart/form-data") {
        // File uploads: the body is streamed to disk by the handler, so the token travels
        // in the query string of the form's action instead.
        let submitted = req
            .uri()
            .query()
            .and_then(|q| form_urlencoded_value(q.as_bytes(), CSRF_FIELD));
        return if submitted.is_some_and(|s| constant_time_eq(s.as_bytes(), expected.as_bytes())) {
            next.run(req).await
        } else {
            reject(AppError::Csrf)
        };
    }
    if !content_type.starts_with("application/x-www-form-urlencoded") {
        return reject(AppError::Csrf);
    }
    let (parts, body) = req.into_parts();
    let bytes = match to_bytes(body, MAX_FORM).await {
        Ok(b) => b,
        Err(_) => {
            return reject(AppError::field(
                "form",
                "le formulaire envoyé est trop volumineux",
            ));
        }
    };
    let submitted = form_urlencoded_value(&bytes, CSRF_FIELD);
    if submitted.is_some_and(|s| constant_time_eq(s.as_bytes(), expected.as_bytes())) {
        next.run(Request::from_parts(parts, Body::from(bytes)))
            .await
    } else {
        reject(AppError::Csrf)
    }
}

/// Value of one field of a urlencoded body.
fn form_urlencoded_value(body: &[u8], name: &str) -> Option<String> {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(body)
        .ok()?
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_token_among_other_fields() {
        let body = b"email=a%40b.fr&csrf_token=abc123&password=x";
        assert_eq!(
            form_urlencoded_value(body, CSRF_FIELD).as_deref(),
            Some("abc123")
        );
        assert_eq!(form_urlencoded_value(b"email=a", CSRF_FIELD), None);
    }

    #[test]
    fn comparison_needs_equal_length_and_bytes() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
    }
}
