//! Administration of accounts through the API.

use super::extract::{Json, Path, Query};
use axum::extract::State;
use axum::http::StatusCode;
use cpom_domain::Role;
use cpom_store::{User, UserFilter};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::auth::ApiUser;
use crate::error::{ApiError, ApiErrorBody};
use crate::services::{self, CreateUserInput, paging};

/// An account.
#[derive(Serialize, ToSchema)]
pub struct UserDto {
    /// Account id.
    pub id: i64,
    /// Sign-in e-mail.
    pub email: String,
    /// Name.
    pub display_name: String,
    /// Role identifier.
    pub role: String,
    /// Region code.
    pub region: Option<String>,
    /// FINESS EJ.
    pub ej: Option<String>,
    /// False once disabled.
    pub active: bool,
    /// Version, to send back with changes (optimistic locking).
    pub version: i64,
    /// Creation time (UTC).
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// Last sign-in (UTC).
    pub last_login_at: Option<chrono::DateTime<chrono::Utc>>,
}

impl From<&User> for UserDto {
    fn from(u: &User) -> Self {
        Self {
            id: u.id,
            email: u.email.to_string(),
            display_name: u.display_name.clone(),
            role: u.role.as_str().into(),
            region: u.region.as_ref().map(ToString::to_string),
            ej: u.ej.as_ref().map(ToString::to_string),
            active: u.active,
            version: u.version,
            created_at: u.created_at,
            last_login_at: u.last_login_at,
        }
    }
}

/// A page of accounts.
#[derive(Serialize, ToSchema)]
pub struct UserPageDto {
    /// Accounts of this page.
    pub items: Vec<UserDto>,
    /// Total across pages.
    pub total: u64,
    /// Page number.
    pub page: u64,
    /// Page size.
    pub per_page: u64,
}

/// Filters of the account listing.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UserQuery {
    /// Part of the e-mail or name.
    pub q: Option<String>,
    /// Role identifier.
    pub role: Option<String>,
    /// `true` or `false`.
    pub active: Option<bool>,
    /// Page number, from 1.
    pub page: Option<u64>,
    /// Page size (at most 200).
    pub per_page: Option<u64>,
}

/// Accounts of the caller's scope.
#[utoipa::path(get, path = "/api/v1/users", tag = "utilisateurs", params(UserQuery),
    responses((status = 200, body = UserPageDto), (status = 403, body = ApiErrorBody)))]
pub async fn list_users(
    State(state): State<AppState>,
    ApiUser(cu): ApiUser,
    Query(q): Query<UserQuery>,
) -> Result<Json<UserPageDto>, ApiError> {
    let role = q.role.as_deref().map(Role::parse).transpose()?;
    let (page, per_page) = paging(q.page, q.per_page);
    let result = services::list_users(
        &state,
        &cu,
        &UserFilter {
            query: q.q,
            role,
            active: q.active,
        },
        page,
        per_page,
    )
    .await?;
    Ok(Json(UserPageDto {
        items: result.items.iter().map(UserDto::from).collect(),
        total: result.total,
        page: result.page,
        per_page: result.per_page,
    }))
}

/// A created account, with its temporary password when none was given.
#[derive(Serialize, ToSchema)]
pub struct CreatedUserDto {
    /// The account.
    pub user: UserDto,
    /// Generated temporary password (only when no password was sent).
    pub temporary_password: Option<String>,
}

/// Create an account in the caller's scope.
#[utoipa::path(post, path = "/api/v1/users", tag = "utilisateurs", request_body = CreateUserInput,
    responses((status = 201, body = CreatedUserDto), (status = 403, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn create_user(
    State(state): State<AppState>,
    ApiUser(cu): ApiUser,
    Json(input): Json<CreateUserInput>,
) -> Result<(StatusCode, Json<CreatedUserDto>), ApiError> {
    let (user, temporary_password) = services::create_user(&state, &cu, &input).await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedUserDto {
            user: UserDto::from(&user),
            temporary_password,
        }),
    ))
}

/// One account of the caller's scope.
#[utoipa::path(get, path = "/api/v1/users/{id}", tag = "utilisateurs", params(("id" = i64, Path, description = "Account id")),
    responses((status = 200, body = UserDto), (status = 404, body = ApiErrorBody)))]
pub async fn get_user(
    State(state): State<AppState>,
    ApiUser(cu): ApiUser,
    Path(id): Path<i64>,
) -> Result<Json<UserDto>, ApiError> {
    Ok(Json(UserDto::from(
        &services::get_user(&state, &cu, id).await?,
    )))
}

/// Body of an activation change.
#[derive(Deserialize, ToSchema)]
pub struct ActivationInput {
    /// New state.
    pub active: bool,
    /// Version read by the caller; a stale version is refused with 409.
    pub version: i64,
}

/// Disable or re-enable an account.
#[utoipa::path(post, path = "/api/v1/users/{id}/activation", tag = "utilisateurs", request_body = ActivationInput,
    params(("id" = i64, Path, description = "Account id")),
    responses((status = 200, body = UserDto), (status = 409, body = ApiErrorBody), (status = 403, body = ApiErrorBody)))]
pub async fn set_user_active(
    State(state): State<AppState>,
    ApiUser(cu): ApiUser,
    Path(id): Path<i64>,
    Json(input): Json<ActivationInput>,
) -> Result<Json<UserDto>, ApiError> {
    Ok(Json(UserDto::from(
        &services::set_user_active(&state, &cu, id, input.version, input.active).await?,
    )))
}

/// Body carrying the version read by the caller.
#[derive(Deserialize, ToSchema)]
pub struct VersionInput {
    /// Version read by the caller; a stale version is refused with 409.
    pub version: i64,
}

/// A password reset's result.
#[derive(Serialize, ToSchema)]
pub struct PasswordResetDto {
    /// The account.
    pub user: UserDto,
    /// The new temporary password, to hand over through a safe channel.
    pub temporary_password: String,
}

/// Give an account a new temporary password.
#[utoipa::path(post, path = "/api/v1/users/{id}/password-reset", tag = "utilisateurs", request_body = VersionInput,
    params(("id" = i64, Path, description = "Account id")),
    responses((status = 200, body = PasswordResetDto), (status = 409, body = ApiErrorBody), (status = 403, body = ApiErrorBody)))]
pub async fn reset_user_password(
    State(state): State<AppState>,
    ApiUser(cu): ApiUser,
    Path(id): Path<i64>,
    Json(input): Json<VersionInput>,
) -> Result<Json<PasswordResetDto>, ApiError> {
    let (user, temporary_password) =
        services::reset_user_password(&state, &cu, id, input.version).await?;
    Ok(Json(PasswordResetDto {
        user: UserDto::from(&user),
        temporary_password,
    }))
}
