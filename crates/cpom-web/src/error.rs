//! The one application error type, rendered as a French DSFR page for HTML requests and as
//! JSON `{code, message, fields}` under `/api`.

use askama::Template;
use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use cpom_domain::{Denied, DomainError};
use cpom_store::{StorageFault, StoreError};
use serde::Serialize;

/// An error on one input field.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FieldError {
    /// Field name, as in the form or JSON body.
    pub field: String,
    /// French message.
    pub message: String,
}

/// Everything a handler can fail with.
#[derive(Debug)]
pub enum AppError {
    /// Not signed in (or invalid token).
    Unauthenticated,
    /// Signed in but not allowed; the reason is shown.
    Forbidden(String),
    /// The CSRF token is missing or wrong.
    Csrf,
    /// No such page or record (or not visible to the actor).
    NotFound,
    /// Stale version or state conflict.
    Conflict(String),
    /// Invalid input.
    Validation(Vec<FieldError>),
    /// Too many attempts.
    TooManyRequests(String),
    /// The server's disk is full or cannot be written: nothing was stored.
    Storage(StorageFault),
    /// Anything else; the cause is logged, never shown.
    Internal(String),
}

impl AppError {
    /// One invalid field.
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        AppError::Validation(vec![FieldError {
            field: field.to_owned(),
            message: message.into(),
        }])
    }

    /// HTTP status of the error.
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::Unauthenticated => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) | AppError::Csrf => StatusCode::FORBIDDEN,
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            AppError::Storage(StorageFault::Full) => StatusCode::INSUFFICIENT_STORAGE,
            AppError::Storage(StorageFault::ReadOnly) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// Stable machine code.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::Unauthenticated => "unauthenticated",
            AppError::Forbidden(_) => "forbidden",
            AppError::Csrf => "csrf",
            AppError::NotFound => "not_found",
            AppError::Conflict(_) => "conflict",
            AppError::Validation(_) => "validation",
            AppError::TooManyRequests(_) => "too_many_requests",
            AppError::Storage(StorageFault::Full) => "storage_full",
            AppError::Storage(StorageFault::ReadOnly) => "storage_read_only",
            AppError::Internal(_) => "internal",
        }
    }

    /// Title of the error page.
    pub fn title(&self) -> &'static str {
        match self {
            AppError::Unauthenticated => "Connexion requise",
            AppError::Forbidden(_) | AppError::Csrf => "Accès refusé",
            AppError::NotFound => "Page non trouvée",
            AppError::Conflict(_) => "Modification concurrente",
            AppError::Validation(_) => "Saisie invalide",
            AppError::TooManyRequests(_) => "Trop de tentatives",
            AppError::Storage(_) => "Enregistrement impossible",
            AppError::Internal(_) => "Erreur inattendue",
        }
    }

    /// French message for the user.
    pub fn message(&self) -> String {
        match self {
            AppError::Unauthenticated => "Vous devez vous connecter pour accéder à cette ressource.".into(),
            AppError::Forbidden(reason) => reason.clone(),
            AppError::Csrf => "Le formulaire a expiré ou ne provient pas de cpom (jeton CSRF absent ou invalide). Rechargez la page et recommencez.".into(),
            AppError::NotFound => "La page ou la ressource demandée n'existe pas, ou vous n'y avez pas accès.".into(),
            AppError::Conflict(m) | AppError::TooManyRequests(m) => m.clone(),
            AppError::Storage(fault) => capitalised(&fault.to_string()),
            AppError::Validation(fields) => fields.iter().map(|f| f.message.clone()).collect::<Vec<_>>().join(" ; "),
            AppError::Internal(_) => "Une erreur inattendue s'est produite. Elle a été enregistrée ; réessayez plus tard ou contactez l'administrateur.".into(),
        }
    }

    fn log(&self) {
        match self {
            AppError::Internal(cause) => tracing::error!(error = %cause, "internal error"),
            AppError::Storage(fault) => tracing::error!(?fault, "stored files cannot be written"),
            _ => {}
        }
    }

    /// An I/O error while receiving or keeping a file: the storage fault the user is told
    /// of (disk full, read-only), or an internal error with `context`.
    pub fn io(context: &str, e: &std::io::Error) -> Self {
        match StorageFault::of(e) {
            Some(fault) => AppError::Storage(fault),
            None => AppError::Internal(format!("{context}: {e}")),
        }
    }

    /// JSON rendering, for the API.
    pub fn into_api_response(self) -> Response {
        self.log();
        let fields = match &self {
            AppError::Validation(f) => f.clone(),
            _ => vec![],
        };
        let body = ApiErrorBody {
            code: self.code().into(),
            message: self.message(),
            fields,
        };
        let mut resp = (self.status(), Json(body)).into_response();
        if matches!(self, AppError::Unauthenticated) {
            resp.headers_mut().insert(
                "www-authenticate",
                axum::http::HeaderValue::from_static("Bearer"),
            );
        }
        resp
    }

    /// HTML rendering: a DSFR error page (or a redirect to the sign-in page).
    pub fn into_page_response(self) -> Response {
        self.log();
        if matches!(self, AppError::Unauthenticated) {
            return Redirect::to("/connexion").into_response();
        }
        let page = ErrorPage {
            layout: crate::view::Layout::bare(self.title()),
            status: self.status().as_u16(),
            title: self.title(),
            message: self.message(),
        };
        match page.render() {
            Ok(html) => (self.status(), axum::response::Html(html)).into_response(),
            Err(e) => {
                tracing::error!(error = %e, "error page rendering failed");
                (self.status(), self.message()).into_response()
            }
        }
    }
}

/// JSON body of an API error.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ApiErrorBody {
    /// Stable machine code (`not_found`, `validation`, `conflict`…).
    pub code: String,
    /// French message.
    pub message: String,
    /// Invalid fields, for `validation`.
    pub fields: Vec<FieldError>,
}

/// Error page (also used for 404).
#[derive(Template)]
#[template(path = "errors/error.html")]
pub struct ErrorPage {
    /// Layout without account (the error may come before the account is known).
    pub layout: crate::view::Layout,
    /// HTTP status.
    pub status: u16,
    /// Heading.
    pub title: &'static str,
    /// Explanation.
    pub message: String,
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => AppError::NotFound,
            StoreError::Storage(fault) => AppError::Storage(fault),
            StoreError::Conflict(m) => AppError::Conflict(format!("Modification refusée : {m}.")),
            StoreError::Duplicate { field, message } | StoreError::Invalid { field, message } => {
                AppError::field(field, message)
            }
            other => AppError::Internal(format!("{other:?}")),
        }
    }
}

impl From<DomainError> for AppError {
    fn from(e: DomainError) -> Self {
        AppError::field(e.field, e.message)
    }
}

impl From<Denied> for AppError {
    fn from(d: Denied) -> Self {
        AppError::Forbidden(d.0.to_owned())
    }
}

impl From<askama::Error> for AppError {
    fn from(e: askama::Error) -> Self {
        AppError::Internal(format!("template: {e}"))
    }
}

/// Lets `?` convert every error kind into a handler error.
macro_rules! wrap_errors {
    ($wrapper:ident) => {
        impl From<AppError> for $wrapper {
            fn from(e: AppError) -> Self {
                $wrapper(e)
            }
        }
        impl From<StoreError> for $wrapper {
            fn from(e: StoreError) -> Self {
                $wrapper(e.into())
            }
        }
        impl From<DomainError> for $wrapper {
            fn from(e: DomainError) -> Self {
                $wrapper(e.into())
            }
        }
        impl From<Denied> for $wrapper {
            fn from(e: Denied) -> Self {
                $wrapper(e.into())
            }
        }
        impl From<askama::Error> for $wrapper {
            fn from(e: askama::Error) -> Self {
                $wrapper(e.into())
            }
        }
    };
}

/// Error of an API handler: rendered as JSON.
#[derive(Debug)]
pub struct ApiError(pub AppError);

wrap_errors!(ApiError);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        self.0.into_api_response()
    }
}

/// Error of an HTML handler: rendered as a page.
#[derive(Debug)]
pub struct PageError(pub AppError);

wrap_errors!(PageError);

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        self.0.into_page_response()
    }
}

/// The text with its first letter in capitals.
fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}
