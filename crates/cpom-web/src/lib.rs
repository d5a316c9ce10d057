//! HTTP layer of cpom: server-rendered French pages (DSFR) and the `/api/v1` JSON API.
//!
//! Handlers are thin: extract, authorize through [`cpom_domain::policy`], call a shared
//! service in [`services`], render. HTML and API handlers call the same services so that
//! both always agree. [`build_app`] is used by the binary and by the tests.

pub mod api;
pub mod assets;
pub mod auth;
pub mod campaigns;
pub mod charts;
pub mod csrf;
pub mod documents;
pub mod error;
pub mod evaluation;
pub mod pages;
pub mod plans;
pub mod reminders;
pub mod reviews;
pub mod routes;
pub mod schedule;
pub mod services;
pub mod session_store;
pub mod upload;
pub mod view;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::http::{HeaderName, HeaderValue, header};
use cpom_store::Store;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};

pub use error::AppError;
pub use routes::{RouteSpec, route_specs};

/// Web settings (from environment variables in the binary).
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// Name of the agency shown in the header ("Agence régionale de santé").
    pub agency_name: String,
    /// Whether cookies carry the `Secure` flag (true in production behind HTTPS).
    pub secure_cookies: bool,
    /// Idle time after which a session expires.
    pub session_idle: Duration,
    /// Command run on every evidence file before it is accepted (its path as last
    /// argument; a non-zero exit refuses it), e.g. `clamscan --no-summary`.
    pub scan_command: Option<String>,
}

impl Default for WebConfig {
    fn default() -> Self {
        Self {
            agency_name: "Agence régionale de santé".into(),
            secure_cookies: true,
            session_idle: Duration::from_secs(8 * 3600),
            scan_command: None,
        }
    }
}

/// Shared state of every handler.
#[derive(Clone)]
pub struct AppState {
    /// Storage.
    pub store: Store,
    /// Settings.
    pub config: Arc<WebConfig>,
    /// Campaign dashboards already built from the store's counts.
    pub dashboards: Arc<campaigns::BuiltDashboards>,
    /// Exports that gather a whole campaign or region (the campaign workbook, the region's
    /// archive of contracts) run this many at a time, one per core: each holds its data in
    /// memory while it is built, and more at once would only share the cores.
    pub heavy_exports: Arc<tokio::sync::Semaphore>,
}

impl AppState {
    /// Waits for a turn among the [`AppState::heavy_exports`]; the turn ends when the
    /// returned permit is dropped.
    pub async fn heavy_export_turn(&self) -> Result<tokio::sync::SemaphorePermit<'_>, AppError> {
        self.heavy_exports
            .acquire()
            .await
            .map_err(|e| AppError::Internal(format!("export queue: {e}")))
    }
}

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "cpom_session";

/// Builds the whole application: routes, sessions, CSRF protection, security headers,
/// request ids and tracing.
pub fn build_app(store: Store, config: WebConfig) -> Router {
    let idle =
        time::Duration::seconds(i64::try_from(config.session_idle.as_secs()).unwrap_or(8 * 3600));
    let sessions = SessionManagerLayer::new(session_store::DbSessionStore::new(store.clone()))
        .with_name(SESSION_COOKIE)
        .with_secure(config.secure_cookies)
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_path("/")
        .with_expiry(Expiry::OnInactivity(idle));
    let state = AppState {
        store,
        config: Arc::new(config),
        dashboards: Default::default(),
        heavy_exports: Arc::new(tokio::sync::Semaphore::new(
            std::thread::available_parallelism().map_or(2, |n| n.get().min(4)),
        )),
    };
    let request_id = HeaderName::from_static("x-request-id");
    routes::table()
        .router
        .fallback(pages::not_found)
        .layer(axum::middleware::from_fn(csrf::guard))
        .layer(sessions)
        .layer(SetResponseHeaderLayer::overriding(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; font-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'self'",
            ),
        ))
        .layer(SetResponseHeaderLayer::overriding(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
        .layer(SetResponseHeaderLayer::overriding(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")))
        .layer(SetResponseHeaderLayer::overriding(header::REFERRER_POLICY, HeaderValue::from_static("same-origin")))
        .layer(TraceLayer::new_for_http().make_span_with(|req: &axum::http::Request<_>| {
            let id = req.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("");
            tracing::info_span!("http", method = %req.method(), uri = %req.uri().path(), request_id = %id)
        }))
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
        .with_state(state)
}
