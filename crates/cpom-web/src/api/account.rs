//! The signed-in account and its tokens.

use super::extract::{Json, Path};
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::users::UserDto;
use crate::AppState;
use crate::auth::{ApiUser, Via};
use crate::error::{ApiError, ApiErrorBody};
use crate::services::{self, ChangePasswordInput};

/// The signed-in account.
#[derive(Serialize, ToSchema)]
pub struct MeDto {
    /// The account.
    pub user: UserDto,
    /// `session` or `token`.
    pub authenticated_by: String,
}

/// Current account.
#[utoipa::path(get, path = "/api/v1/me", tag = "compte",
    responses((status = 200, body = MeDto), (status = 401, body = ApiErrorBody)))]
pub async fn get_me(ApiUser(cu): ApiUser) -> Json<MeDto> {
    Json(MeDto {
        user: UserDto::from(&cu.user),
        authenticated_by: match cu.via {
            Via::Session => "session".into(),
            Via::Token => "token".into(),
        },
    })
}

/// Change one's own password.
#[utoipa::path(post, path = "/api/v1/me/password", tag = "compte", request_body = ChangePasswordInput,
    responses((status = 200, body = UserDto), (status = 422, body = ApiErrorBody)))]
pub async fn change_password(
    State(state): State<AppState>,
    ApiUser(cu): ApiUser,
    Json(input): Json<ChangePasswordInput>,
) -> Result<Json<UserDto>, ApiError> {
    let user = services::change_own_password(&state, &cu, &input).await?;
    Ok(Json(UserDto::from(&user)))
}

/// A personal API token (without its secret).
#[derive(Serialize, ToSchema)]
pub struct TokenDto {
    /// Token id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// First characters, to recognise it.
    pub prefix: String,
    /// Creation time (UTC).
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// Last use (UTC).
    pub last_used_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Revocation time (UTC); revoked tokens are refused.
    pub revoked_at: Option<chrono::DateTime<chrono::Utc>>,
}

impl From<cpom_store::ApiToken> for TokenDto {
    fn from(t: cpom_store::ApiToken) -> Self {
        Self {
            id: t.id,
            name: t.name,
            prefix: t.prefix,
            created_at: t.created_at,
            last_used_at: t.last_used_at,
            revoked_at: t.revoked_at,
        }
    }
}

/// One's own tokens.
#[utoipa::path(get, path = "/api/v1/tokens", tag = "compte", responses((status = 200, body = Vec<TokenDto>)))]
pub async fn list_tokens(
    State(state): State<AppState>,
    ApiUser(cu): ApiUser,
) -> Result<Json<Vec<TokenDto>>, ApiError> {
    Ok(Json(
        services::list_tokens(&state, &cu)
            .await?
            .into_iter()
            .map(TokenDto::from)
            .collect(),
    ))
}

/// Body of a token creation.
#[derive(Deserialize, ToSchema)]
pub struct CreateTokenInput {
    /// Name of the token (what it is for).
    pub name: String,
}

/// A new token with its secret, shown only once.
#[derive(Serialize, ToSchema)]
pub struct CreatedTokenDto {
    /// The token.
    pub token: TokenDto,
    /// The secret to send as `Authorization: Bearer <secret>`.
    pub secret: String,
}

/// Create a token.
#[utoipa::path(post, path = "/api/v1/tokens", tag = "compte", request_body = CreateTokenInput,
    responses((status = 201, body = CreatedTokenDto), (status = 422, body = ApiErrorBody)))]
pub async fn create_token(
    State(state): State<AppState>,
    ApiUser(cu): ApiUser,
    Json(input): Json<CreateTokenInput>,
) -> Result<(StatusCode, Json<CreatedTokenDto>), ApiError> {
    let (token, secret) = services::create_token(&state, &cu, &input.name).await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedTokenDto {
            token: token.into(),
            secret,
        }),
    ))
}

/// Revoke one of one's tokens.
#[utoipa::path(delete, path = "/api/v1/tokens/{id}", tag = "compte", params(("id" = i64, Path, description = "Token id")),
    responses((status = 200, body = TokenDto), (status = 404, body = ApiErrorBody)))]
pub async fn revoke_token(
    State(state): State<AppState>,
    ApiUser(cu): ApiUser,
    Path(id): Path<i64>,
) -> Result<Json<TokenDto>, ApiError> {
    Ok(Json(services::revoke_token(&state, &cu, id).await?.into()))
}
