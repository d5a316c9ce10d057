//! "Mon compte": profile, password change and personal API tokens.

use super::extract::Form;
use super::extract::Path;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use tower_sessions::Session;

use super::{render, render_status};
use crate::auth::{CurrentUser, PageUser};
use crate::error::{AppError, PageError};
use crate::services::{self, ChangePasswordInput};
use crate::view::{FormErrors, Layout, datetime_fr};
use crate::{AppState, pages::home::scope_label};

/// A token row.
pub struct TokenRow {
    id: i64,
    name: String,
    prefix: String,
    created: String,
    last_used: String,
    revoked: String,
}

/// The account page.
#[derive(Template)]
#[template(path = "account/show.html")]
pub struct AccountPage {
    layout: Layout,
    email: String,
    name: String,
    role: &'static str,
    scope: String,
    last_login: String,
    tokens: Vec<TokenRow>,
    new_token: Option<String>,
    success: String,
    errors: FormErrors,
}

async fn page(
    state: &AppState,
    session: &Session,
    cu: &CurrentUser,
) -> Result<AccountPage, PageError> {
    let tokens = services::list_tokens(state, cu)
        .await?
        .into_iter()
        .map(|t| TokenRow {
            id: t.id,
            name: t.name,
            prefix: t.prefix,
            created: datetime_fr(t.created_at),
            last_used: t.last_used_at.map_or_else(|| "jamais".into(), datetime_fr),
            revoked: t.revoked_at.map(datetime_fr).unwrap_or_default(),
        })
        .collect();
    Ok(AccountPage {
        layout: Layout::new(state, session, cu, "Mon compte", "").await?,
        email: cu.user.email.to_string(),
        name: cu.user.display_name.clone(),
        role: cu.user.role.label(),
        scope: scope_label(&cu.user),
        last_login: cu
            .user
            .last_login_at
            .map_or_else(|| "—".into(), datetime_fr),
        tokens,
        new_token: None,
        success: String::new(),
        errors: FormErrors::default(),
    })
}

/// GET `/mon-compte`.
pub async fn show_account(
    State(state): State<AppState>,
    session: Session,
    PageUser(cu): PageUser,
) -> Result<Response, PageError> {
    render(&page(&state, &session, &cu).await?)
}

/// Renders the page again with validation errors (422) instead of an error page.
async fn with_errors(
    state: &AppState,
    session: &Session,
    cu: &CurrentUser,
    err: AppError,
) -> Result<Response, PageError> {
    let AppError::Validation(fields) = err else {
        return Err(PageError(err));
    };
    let mut p = page(state, session, cu).await?;
    p.errors = FormErrors(fields);
    render_status(&p, StatusCode::UNPROCESSABLE_ENTITY)
}

/// POST `/mon-compte/mot-de-passe`.
pub async fn change_password(
    State(state): State<AppState>,
    session: Session,
    PageUser(cu): PageUser,
    Form(input): Form<ChangePasswordInput>,
) -> Result<Response, PageError> {
    match services::change_own_password(&state, &cu, &input).await {
        Ok(_) => {
            let mut p = page(&state, &session, &cu).await?;
            p.success = "Votre mot de passe a été modifié.".into();
            render(&p)
        }
        Err(e) => with_errors(&state, &session, &cu, e).await,
    }
}

/// Token creation form.
#[derive(Deserialize)]
pub struct TokenForm {
    #[serde(default)]
    name: String,
}

/// POST `/mon-compte/jetons`.
pub async fn create_token(
    State(state): State<AppState>,
    session: Session,
    PageUser(cu): PageUser,
    Form(form): Form<TokenForm>,
) -> Result<Response, PageError> {
    match services::create_token(&state, &cu, &form.name).await {
        Ok((_, secret)) => {
            let mut p = page(&state, &session, &cu).await?;
            p.new_token = Some(secret);
            render(&p)
        }
        Err(e) => with_errors(&state, &session, &cu, e).await,
    }
}

/// POST `/mon-compte/jetons/{id}/revoquer`.
pub async fn revoke_token(
    State(state): State<AppState>,
    session: Session,
    PageUser(cu): PageUser,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    services::revoke_token(&state, &cu, id).await?;
    let mut p = page(&state, &session, &cu).await?;
    p.success = "Le jeton a été révoqué : il ne donne plus accès à l'API.".into();
    render(&p)
}
