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

/// Session key: when a signed-in request last renewed the session (Unix seconds).
pub const RENEWED_KEY: &str = "renewed";

/// An active session is renewed — its expiry pushed back by the idle time and its cookie
/// sent again — at most once per this many seconds, so that reading pages does not write
/// the session on every request.
pub const RENEW_EVERY_SECS: i64 = 300;

/// Whether a session last renewed at `renewed` is due for renewal at `now` (Unix seconds):
/// never renewed, renewed [`RENEW_EVERY_SECS`] ago or more, or "in the future" (a clock set
/// back).
pub fn renewal_due(renewed: Option<i64>, now: i64) -> bool {
    renewed.is_none_or(|r| now < r || now - r >= RENEW_EVERY_SECS)
}

/// Keeps a signed-in session alive while it is used: it then expires after the idle time
/// (`CPOM_SESSION_HOURS`) without a request, not that long after signing in. The session
/// layer saves a session only when it changed, so the renewal changes it, when due.
async fn renew(session: &Session) -> Result<(), AppError> {
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let renewed: Option<i64> = session
        .get(RENEWED_KEY)
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?;
    if renewal_due(renewed, now) {
        session
            .insert(RENEWED_KEY, now)
            .await
            .map_err(|e| AppError::Internal(e.to_string()))?;
    }
    Ok(())
}

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
    /// Its unread notifications when the request began (read with the account).
    pub unread: u64,
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
        let found = state
            .store
            .principal_for_token(token)
            .await?
            .ok_or(AppError::Unauthenticated)?;
        Some(CurrentUser {
            user: found.user,
            via: Via::Token,
            unread: found.unread,
        })
    } else if let Some(session) = parts.extensions.get::<Session>().cloned() {
        let id: Option<i64> = session
            .get(USER_KEY)
            .await
            .map_err(|e| AppError::Internal(e.to_string()))?;
        match id {
            Some(id) => match state.store.principal(id).await {
                Ok(found) if found.user.active => {
                    renew(&session).await?;
                    Some(CurrentUser {
                        user: found.user,
                        via: Via::Session,
                        unread: found.unread,
                    })
                }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_is_renewed_at_most_every_five_minutes() {
        let now = 1_800_000_000;
        assert!(renewal_due(None, now), "first request after signing in");
        assert!(!renewal_due(Some(now), now));
        assert!(!renewal_due(Some(now - RENEW_EVERY_SECS + 1), now));
        assert!(renewal_due(Some(now - RENEW_EVERY_SECS), now));
        assert!(renewal_due(Some(now + 60), now), "a clock set back");
    }
}
