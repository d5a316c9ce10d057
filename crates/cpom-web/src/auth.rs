//! Who is making the request: a bearer token (API scripts) or the session (browsers).
//!
//! [`CurrentUser`] resolves the account once per request and refuses disabled accounts, so
//! that disabling an account locks it out at once, sessions and tokens alike.

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use cpom_domain::{Action, Actor, policy};
use cpom_store::User;
use tower_sessions::Session;

use crate::AppState;
use crate::error::AppError;

/// Session key holding the signed-in account id.
pub const USER_KEY: &str = "user_id";

/// How the request was authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    /// Browser session cookie.
    Session,
    /// `Authorization: Bearer` token.
    Token,
}

/// The signed-in, active account.
#[derive(Debug, Clone)]
pub struct CurrentUser {
    /// The account.
    pub user: User,
    /// How it was authenticated.
    pub via: Via,
}

impl CurrentUser {
    /// The account as the policy sees it.
    pub fn actor(&self) -> Actor {
        self.user.actor()
    }

    /// Authorizes an action through the one policy module.
    pub fn authorize(&self, action: &Action) -> Result<(), AppError> {
        policy::authorize(&self.actor(), action).map_err(AppError::from)
    }
}

/// Extracts the bearer token of a request, if any.
pub fn bearer(parts: &Parts) -> Option<&str> {
    parts
        .headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
}

/// Resolves the account of a request; `None` when nobody is signed in.
pub async fn resolve(parts: &mut Parts, state: &AppState) -> Result<Option<CurrentUser>, AppError> {
    if let Some(found) = parts.extensions.get::<Option<CurrentUser>>() {
        return Ok(found.clone());
    }
    let resolved = if let Some(token) = bearer(parts) {
        // A wrong token is an error, not an anonymous request: scripts must learn it.
        let user = state
            .store
            .user_for_token(token)
            .await?
            .ok_or(AppError::Unauthenticated)?;
        Some(CurrentUser {
            user,
            via: Via::Token,
        })
    } else if let Some(session) = parts.extensions.get::<Session>().cloned() {
        let id: Option<i64> = session
            .get(USER_KEY)
            .await
            .map_err(|e| AppError::Internal(e.to_string()))?;
        match id {
            Some(id) => match state.store.get_user(id).await {
                Ok(user) if user.active => Some(CurrentUser {
                    user,
                    via: Via::Session,
                }),
                Ok(_) | Err(cpom_store::StoreError::NotFound) => {
                    // Disabled or deleted account: end the session.
                    session
                        .flush()
                        .await
                        .map_err(|e| AppError::Internal(e.to_string()))?;
                    None
                }
                Err(e) => return Err(e.into()),
            },
            None => None,
        }
    } else {
        None
    };
    parts.extensions.insert(resolved.clone());
    Ok(resolved)
}

/// Anonymous or signed in, for pages that serve both (sign-in, 404).
#[derive(Debug, Clone)]
pub struct MaybeUser(pub Option<CurrentUser>);

impl FromRequestParts<AppState> for MaybeUser {
    type Rejection = crate::error::PageError;
    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(MaybeUser(resolve(parts, state).await?))
    }
}

/// The client's IP address (from the TCP connection), for sign-in throttling.
#[derive(Debug, Clone)]
pub struct ClientIp(pub String);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let ip = parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map_or_else(|| "inconnue".to_owned(), |c| c.0.ip().to_string());
        Ok(ClientIp(ip))
    }
}

/// API handlers take this: an account is required, and failures are JSON.
#[derive(Debug, Clone)]
pub struct ApiUser(pub CurrentUser);

impl FromRequestParts<AppState> for ApiUser {
    type Rejection = crate::error::ApiError;
    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        match resolve(parts, state).await? {
            Some(user) => Ok(ApiUser(user)),
            None => Err(AppError::Unauthenticated.into()),
        }
    }
}

/// HTML handlers take this: an account is required, else the browser goes to sign-in.
#[derive(Debug, Clone)]
pub struct PageUser(pub CurrentUser);

impl FromRequestParts<AppState> for PageUser {
    type Rejection = crate::error::PageError;
    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        match resolve(parts, state).await? {
            Some(user) => Ok(PageUser(user)),
            None => Err(AppError::Unauthenticated.into()),
        }
    }
}
