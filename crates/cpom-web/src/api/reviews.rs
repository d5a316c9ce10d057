//! Reviews (revues) and their road maps through the API.

use super::extract::{Json, Path, Query};
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, NaiveDate, Utc};
use cpom_domain::review::{EngagementRef, late};
use cpom_store::repo::reviews::{Review, ReviewAction};
use serde::Serialize;
use utoipa::ToSchema;

use crate::AppState;
use crate::auth::ApiUser;
use crate::error::{ApiError, ApiErrorBody};
use crate::reviews::{self, ActionInput, EngagementChoice, ReviewInput, ReviewQuery};
use crate::services::today;

/// A review.
#[derive(Serialize, ToSchema)]
pub struct ReviewDto {
    /// Identifier.
    pub id: i64,
    /// INSEE region code.
    pub region: String,
    /// `ej` (dialogue with one legal entity) or `ght` (dialogue of GHT).
    pub setting: String,
    /// FINESS EJ (dialogue with one legal entity).
    pub ej: Option<String>,
    /// GHT code (dialogue of GHT).
    pub ght: Option<String>,
    /// Name of the legal entity or of the GHT.
    pub with_name: String,
    /// Date held.
    pub held_on: NaiveDate,
    /// Participants.
    pub participants: Vec<String>,
    /// Minutes.
    pub minutes: String,
    /// Who recorded it.
    pub author: String,
    /// Version, to change it.
    pub row_version: i64,
    /// Recorded at.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

fn review_dto(r: &Review) -> ReviewDto {
    ReviewDto {
        id: r.id,
        region: r.region.to_string(),
        setting: r.setting.as_str().into(),
        ej: r.ej.as_ref().map(ToString::to_string),
        ght: r.ght.clone(),
        with_name: r.with_name.clone(),
        held_on: r.held_on,
        participants: r.participants.clone(),
        minutes: r.minutes.clone(),
        author: r.author.clone(),
        row_version: r.row_version,
        created_at: r.created_at,
        updated_at: r.updated_at,
    }
}

/// An action of a road map.
#[derive(Serialize, ToSchema)]
pub struct ReviewActionDto {
    /// Identifier.
    pub id: i64,
    /// Its review.
    pub review_id: i64,
    /// What is to be done.
    pub title: String,
    /// Who carries it.
    pub owner: String,
    /// By when.
    pub due_on: NaiveDate,
    /// `planned`, `in_progress`, `done` or `abandoned`.
    pub status: String,
    /// Due and not over today.
    pub late: bool,
    /// Engagements served, each `contract_id:key`.
    pub engagements: Vec<String>,
    /// Version, to change it.
    pub row_version: i64,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

fn action_dto(a: &ReviewAction) -> ReviewActionDto {
    ReviewActionDto {
        id: a.id,
        review_id: a.review_id,
        title: a.title.clone(),
        owner: a.owner.clone(),
        due_on: a.due_on,
        status: a.status.as_str().into(),
        late: late(a.status, a.due_on, today()),
        engagements: a.engagements.iter().map(EngagementRef::code).collect(),
        row_version: a.row_version,
        updated_at: a.updated_at,
    }
}

/// A review with its road map.
#[derive(Serialize, ToSchema)]
pub struct ReviewDetailDto {
    /// The review.
    pub review: ReviewDto,
    /// Its actions, by due date.
    pub actions: Vec<ReviewActionDto>,
    /// The engagements of the contracts it covers, which its actions may serve.
    pub engagements: Vec<EngagementChoice>,
}

/// A page of reviews.
#[derive(Serialize, ToSchema)]
pub struct ReviewPageDto {
    /// Reviews, newest first.
    pub items: Vec<ReviewDto>,
    /// Total.
    pub total: u64,
    /// Page.
    pub page: u64,
    /// Page size.
    pub per_page: u64,
}

/// The reviews the caller sees (an establishment: those held with it or its GHT).
#[utoipa::path(get, path = "/api/v1/reviews", tag = "revues", params(ReviewQuery),
    responses((status = 200, body = ReviewPageDto), (status = 422, body = ApiErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    ApiUser(cu): ApiUser,
    Query(q): Query<ReviewQuery>,
) -> Result<Json<ReviewPageDto>, ApiError> {
    let p = reviews::list(&state, &cu, &q).await?;
    Ok(Json(ReviewPageDto {
        items: p.items.iter().map(review_dto).collect(),
        total: p.total,
        page: p.page,
        per_page: p.per_page,
    }))
}

/// Records a review (the agency of the region).
#[utoipa::path(post, path = "/api/v1/reviews", tag = "revues", request_body = ReviewInput,
    responses((status = 201, body = ReviewDto), (status = 403, body = ApiErrorBody),
        (status = 422, body = ApiErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    ApiUser(cu): ApiUser,
    Json(body): Json<ReviewInput>,
) -> Result<(StatusCode, Json<ReviewDto>), ApiError> {
    let r = reviews::create(&state, &cu, &body).await?;
    Ok((StatusCode::CREATED, Json(review_dto(&r))))
}

async fn detail(
    state: &AppState,
    cu: &crate::auth::CurrentUser,
    id: i64,
) -> Result<ReviewDetailDto, ApiError> {
    let (r, actions, contracts) = reviews::detail(state, cu, id).await?;
    Ok(ReviewDetailDto {
        review: review_dto(&r),
        actions: actions.iter().map(action_dto).collect(),
        engagements: reviews::engagement_choices(&contracts),
    })
}

/// One review with its road map.
#[utoipa::path(get, path = "/api/v1/reviews/{id}", tag = "revues",
    params(("id" = i64, Path, description = "Identifiant de la revue")),
    responses((status = 200, body = ReviewDetailDto), (status = 404, body = ApiErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    ApiUser(cu): ApiUser,
    Path(id): Path<i64>,
) -> Result<Json<ReviewDetailDto>, ApiError> {
    Ok(Json(detail(&state, &cu, id).await?))
}

/// Changes a review's date, participants and minutes (`row_version` required; minutes left
/// out keep their text).
#[utoipa::path(put, path = "/api/v1/reviews/{id}", tag = "revues",
    params(("id" = i64, Path, description = "Identifiant de la revue")), request_body = ReviewInput,
    responses((status = 200, body = ReviewDto), (status = 403, body = ApiErrorBody),
        (status = 404, body = ApiErrorBody), (status = 409, body = ApiErrorBody),
        (status = 422, body = ApiErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    ApiUser(cu): ApiUser,
    Path(id): Path<i64>,
    Json(body): Json<ReviewInput>,
) -> Result<Json<ReviewDto>, ApiError> {
    Ok(Json(review_dto(
        &reviews::update(&state, &cu, id, &body).await?,
    )))
}

/// Adds an action to a review's road map.
#[utoipa::path(post, path = "/api/v1/reviews/{id}/actions", tag = "revues",
    params(("id" = i64, Path, description = "Identifiant de la revue")), request_body = ActionInput,
    responses((status = 201, body = ReviewActionDto), (status = 403, body = ApiErrorBody),
        (status = 404, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn add_action(
    State(state): State<AppState>,
    ApiUser(cu): ApiUser,
    Path(id): Path<i64>,
    Json(body): Json<ActionInput>,
) -> Result<(StatusCode, Json<ReviewActionDto>), ApiError> {
    let a = reviews::add_action(&state, &cu, id, &body).await?;
    Ok((StatusCode::CREATED, Json(action_dto(&a))))
}

/// Changes an action of a review's road map (`row_version` required; the fields left out
/// keep their value).
#[utoipa::path(put, path = "/api/v1/reviews/{id}/actions/{action_id}", tag = "revues",
    params(("id" = i64, Path, description = "Identifiant de la revue"),
        ("action_id" = i64, Path, description = "Identifiant de l'action")),
    request_body = ActionInput,
    responses((status = 200, body = ReviewActionDto), (status = 403, body = ApiErrorBody),
        (status = 404, body = ApiErrorBody), (status = 409, body = ApiErrorBody),
        (status = 422, body = ApiErrorBody)))]
pub async fn update_action(
    State(state): State<AppState>,
    ApiUser(cu): ApiUser,
    Path((id, action_id)): Path<(i64, i64)>,
    Json(body): Json<ActionInput>,
) -> Result<Json<ReviewActionDto>, ApiError> {
    Ok(Json(action_dto(
        &reviews::update_action(&state, &cu, id, action_id, &body).await?,
    )))
}
