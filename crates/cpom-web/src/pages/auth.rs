//! Sign-in and sign-out, with throttling of repeated failures.

use super::extract::Form;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{Duration, Utc};
use cpom_domain::Email;
use serde::Deserialize;
use tower_sessions::Session;

use super::{render, render_status};
use crate::auth::{ClientIp, MaybeUser, USER_KEY};
use crate::error::{AppError, PageError};
use crate::view::Layout;
use crate::{AppState, csrf};

/// Failed attempts per account within [`WINDOW_MINUTES`] before sign-in is refused.
pub const MAX_FAILURES_PER_ACCOUNT: u64 = 5;
/// Failed attempts per client address within the window before sign-in is refused.
pub const MAX_FAILURES_PER_ADDRESS: u64 = 30;
/// Length of the throttling window.
pub const WINDOW_MINUTES: i64 = 15;

/// Sign-in page.
#[derive(Template)]
#[template(path = "auth/sign_in.html")]
pub struct SignInPage {
    layout: Layout,
    email: String,
    error: String,
}

/// GET `/connexion`.
pub async fn sign_in_form(
    State(state): State<AppState>,
    session: Session,
    MaybeUser(user): MaybeUser,
) -> Result<Response, PageError> {
    if user.is_some() {
        return Ok(Redirect::to("/").into_response());
    }
    render(&SignInPage {
        layout: Layout::anonymous(&state, &session, "Connexion").await?,
        email: String::new(),
        error: String::new(),
    })
}

/// Sign-in form fields.
#[derive(Deserialize)]
pub struct SignInForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
}

/// POST `/connexion`.
pub async fn sign_in(
    State(state): State<AppState>,
    session: Session,
    ClientIp(ip): ClientIp,
    Form(form): Form<SignInForm>,
) -> Result<Response, PageError> {
    let email_raw = form.email.trim().to_lowercase();
    let since = Utc::now() - Duration::minutes(WINDOW_MINUTES);
    let (by_email, by_ip) = state
        .store
        .recent_login_failures(&email_raw, &ip, since)
        .await?;
    let again = async |status: StatusCode, message: String| {
        let page = SignInPage {
            layout: Layout::anonymous(&state, &session, "Connexion").await?,
            email: email_raw.clone(),
            error: message,
        };
        render_status(&page, status)
    };
    if by_email >= MAX_FAILURES_PER_ACCOUNT || by_ip >= MAX_FAILURES_PER_ADDRESS {
        tracing::warn!(email = %email_raw, %ip, "sign-in throttled");
        return again(
            StatusCode::TOO_MANY_REQUESTS,
            format!(
                "Trop de tentatives de connexion échouées. Réessayez dans {WINDOW_MINUTES} minutes."
            ),
        )
        .await;
    }
    let user = match Email::parse(&form.email) {
        Ok(email) => state.store.authenticate(&email, &form.password).await?,
        Err(_) => None,
    };
    let Some(user) = user else {
        state
            .store
            .record_login_attempt(&email_raw, &ip, false)
            .await?;
        return again(
            StatusCode::UNAUTHORIZED,
            "Identifiants incorrects, ou compte désactivé. Vérifiez votre adresse électronique et votre mot de passe.".into(),
        )
        .await;
    };
    state
        .store
        .record_login_attempt(&email_raw, &ip, true)
        .await?;
    // New session id and CSRF token at sign-in, against session fixation.
    session
        .cycle_id()
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?;
    session
        .insert(USER_KEY, user.id)
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?;
    csrf::rotate(&session).await?;
    tracing::info!(user_id = user.id, "signed in");
    Ok(Redirect::to("/").into_response())
}

/// POST `/deconnexion`.
pub async fn sign_out(session: Session) -> Result<Response, PageError> {
    session
        .flush()
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(Redirect::to("/connexion").into_response())
}
