//! Territories through the API: GHT and their members, labels of legal entities, and the
//! DTOs of authorisations, labels and memberships that the legal entity and site resources
//! include.

use super::extract::{Json, Path};
use axum::extract::State;
use axum::http::StatusCode;
use chrono::NaiveDate;
use cpom_store::repo::territories::{
    AuthorisationRecord, EntityLabel, EntityTerritory, Ght, GhtMember, GhtSummary,
};
use serde::Serialize;
use utoipa::ToSchema;

use crate::AppState;
use crate::auth::ApiUser;
use crate::error::{ApiError, ApiErrorBody};
use crate::services::{self, CreateGhtInput, EndInput, GhtMemberInput, LabelInput};

/// An authorisation of a care activity on a site, over its validity period.
#[derive(Serialize, ToSchema)]
pub struct AuthorisationDto {
    /// Id.
    pub id: i64,
    /// FINESS ET of the site.
    pub site: String,
    /// Name of the site.
    pub site_name: String,
    /// FINESS EJ of the holder.
    pub ej: String,
    /// Activity code (ANS nomenclature TRE_R274).
    pub activity_code: String,
    /// Activity label.
    pub activity_label: String,
    /// Modality code.
    pub modality_code: Option<String>,
    /// Modality label.
    pub modality_label: Option<String>,
    /// Form code (TRE_R276).
    pub form_code: Option<String>,
    /// Form label.
    pub form_label: Option<String>,
    /// Number of the authorisation.
    pub number: Option<String>,
    /// Date of the decision.
    pub granted_on: Option<NaiveDate>,
    /// First day of validity.
    pub valid_from: NaiveDate,
    /// Last day of validity (null: open).
    pub valid_to: Option<NaiveDate>,
    /// Whether it is in force today.
    pub in_force: bool,
}

/// The DTO of an authorisation, `in_force` on `today`.
pub fn authorisation_dto(a: &AuthorisationRecord, today: NaiveDate) -> AuthorisationDto {
    AuthorisationDto {
        id: a.id,
        site: a.site.to_string(),
        site_name: a.site_name.clone(),
        ej: a.ej.to_string(),
        activity_code: a.activity_code.clone(),
        activity_label: a.activity_label.clone(),
        modality_code: a.modality_code.clone(),
        modality_label: a.modality_label.clone(),
        form_code: a.form_code.clone(),
        form_label: a.form_label.clone(),
        number: a.number.clone(),
        granted_on: a.granted_on,
        valid_from: a.period.from,
        valid_to: a.period.to,
        in_force: a.period.contains(today),
    }
}

/// A label of a legal entity over a period.
#[derive(Serialize, ToSchema)]
pub struct LabelDto {
    /// Id.
    pub id: i64,
    /// Label identifier (`chu`, `ght_support`, `pass`, `emg`, `emsp`…).
    pub label: String,
    /// French label.
    pub label_name: String,
    /// First day.
    pub valid_from: NaiveDate,
    /// Last day (null: open).
    pub valid_to: Option<NaiveDate>,
    /// Note of the ARS.
    pub note: Option<String>,
    /// Whether it is in force today.
    pub in_force: bool,
    /// Version, to end it.
    pub version: i64,
}

fn label_dto(l: &EntityLabel, today: NaiveDate) -> LabelDto {
    LabelDto {
        id: l.id,
        label: l.label.as_str().to_owned(),
        label_name: l.label.label().to_owned(),
        valid_from: l.period.from,
        valid_to: l.period.to,
        note: l.note.clone(),
        in_force: l.period.contains(today),
        version: l.version,
    }
}

/// A membership of a legal entity in a GHT.
#[derive(Serialize, ToSchema)]
pub struct MembershipDto {
    /// Id.
    pub id: i64,
    /// Code of the GHT.
    pub ght_code: String,
    /// Name of the GHT.
    pub ght_name: String,
    /// FINESS EJ of the member.
    pub ej: String,
    /// Name of the member.
    pub ej_name: String,
    /// Whether the member is the support establishment.
    pub support: bool,
    /// First day.
    pub valid_from: NaiveDate,
    /// Last day (null: open).
    pub valid_to: Option<NaiveDate>,
    /// Whether it is in force today.
    pub in_force: bool,
}

fn membership_dto(m: &GhtMember, today: NaiveDate) -> MembershipDto {
    MembershipDto {
        id: m.id,
        ght_code: m.ght_code.clone(),
        ght_name: m.ght_name.clone(),
        ej: m.ej.to_string(),
        ej_name: m.ej_name.clone(),
        support: m.support,
        valid_from: m.period.from,
        valid_to: m.period.to,
        in_force: m.period.contains(today),
    }
}

/// The GHT a legal entity belongs to today.
#[derive(Serialize, ToSchema)]
pub struct CurrentGhtDto {
    /// Code.
    pub code: String,
    /// Name.
    pub name: String,
    /// Whether the legal entity is its support establishment.
    pub support: bool,
    /// FINESS EJ of the support establishment today.
    pub support_ej: Option<String>,
    /// Name of the support establishment.
    pub support_name: Option<String>,
}

/// The GHT of a legal entity: today's, and every membership.
#[derive(Serialize, ToSchema)]
pub struct EntityGhtDto {
    /// GHT today (null: none).
    pub current: Option<CurrentGhtDto>,
    /// Memberships, newest first.
    pub memberships: Vec<MembershipDto>,
}

/// Labels, authorisations and GHT of a legal entity, for its resource.
pub fn territory_dtos(
    t: &EntityTerritory,
    today: NaiveDate,
) -> (Vec<LabelDto>, Vec<AuthorisationDto>, EntityGhtDto) {
    let current = t
        .memberships
        .iter()
        .find(|m| m.period.contains(today))
        .map(|m| {
            let support = t
                .supports
                .iter()
                .find(|s| s.ght_code == m.ght_code && s.period.contains(today));
            CurrentGhtDto {
                code: m.ght_code.clone(),
                name: m.ght_name.clone(),
                support: m.support,
                support_ej: support.map(|s| s.ej.to_string()),
                support_name: support.map(|s| s.ej_name.clone()),
            }
        });
    (
        t.labels.iter().map(|l| label_dto(l, today)).collect(),
        t.authorisations
            .iter()
            .map(|a| authorisation_dto(a, today))
            .collect(),
        EntityGhtDto {
            current,
            memberships: t
                .memberships
                .iter()
                .map(|m| membership_dto(m, today))
                .collect(),
        },
    )
}

/// A GHT in listings, as of today.
#[derive(Serialize, ToSchema)]
pub struct GhtSummaryDto {
    /// Code.
    pub code: String,
    /// Name.
    pub name: String,
    /// Region code.
    pub region: String,
    /// Members in force today.
    pub members_in_force: u64,
    /// FINESS EJ of the support establishment today.
    pub support_ej: Option<String>,
    /// Name of the support establishment.
    pub support_name: Option<String>,
}

fn summary_dto(g: &GhtSummary) -> GhtSummaryDto {
    GhtSummaryDto {
        code: g.code.clone(),
        name: g.name.clone(),
        region: g.region.to_string(),
        members_in_force: g.members_in_force,
        support_ej: g.support.as_ref().map(|(f, _)| f.to_string()),
        support_name: g.support.as_ref().map(|(_, n)| n.clone()),
    }
}

/// The GHT of the caller's scope.
#[derive(Serialize, ToSchema)]
pub struct GhtListDto {
    /// GHT, by name.
    pub items: Vec<GhtSummaryDto>,
    /// The day members and supports are taken on (today).
    pub as_of: NaiveDate,
}

/// A GHT with its members over time.
#[derive(Serialize, ToSchema)]
pub struct GhtDto {
    /// Code.
    pub code: String,
    /// Name.
    pub name: String,
    /// Region code.
    pub region: String,
    /// Version, to add or end memberships.
    pub version: i64,
    /// FINESS EJ of the support establishment today.
    pub support_ej: Option<String>,
    /// Memberships, current and past.
    pub members: Vec<MembershipDto>,
}

fn ght_dto(g: &Ght) -> GhtDto {
    let today = services::today();
    GhtDto {
        code: g.code.clone(),
        name: g.name.clone(),
        region: g.region.to_string(),
        version: g.version,
        support_ej: g
            .members
            .iter()
            .find(|m| m.support && m.period.contains(today))
            .map(|m| m.ej.to_string()),
        members: g.members.iter().map(|m| membership_dto(m, today)).collect(),
    }
}

/// GHT of the caller's scope, with members and support in force today (a legal entity sees
/// the GHT it is or was a member of).
#[utoipa::path(get, path = "/api/v1/ghts", tag = "registre",
    responses((status = 200, body = GhtListDto)))]
pub async fn list_ghts(
    State(state): State<AppState>,
    ApiUser(cu): ApiUser,
) -> Result<Json<GhtListDto>, ApiError> {
    let list = services::list_ghts(&state, &cu).await?;
    Ok(Json(GhtListDto {
        items: list.iter().map(summary_dto).collect(),
        as_of: services::today(),
    }))
}

/// One GHT with its members, current and past.
#[utoipa::path(get, path = "/api/v1/ghts/{code}", tag = "registre",
    params(("code" = String, Path, description = "Code of the GHT")),
    responses((status = 200, body = GhtDto), (status = 404, body = ApiErrorBody)))]
pub async fn get_ght(
    State(state): State<AppState>,
    ApiUser(cu): ApiUser,
    Path(code): Path<String>,
) -> Result<Json<GhtDto>, ApiError> {
    let g = services::ght(&state, &cu, &code).await?;
    Ok(Json(ght_dto(&g)))
}

/// Creates a GHT (administrators of its region).
#[utoipa::path(post, path = "/api/v1/ghts", tag = "registre", request_body = CreateGhtInput,
    responses((status = 201, body = GhtDto), (status = 403, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn create_ght(
    State(state): State<AppState>,
    ApiUser(cu): ApiUser,
    Json(input): Json<CreateGhtInput>,
) -> Result<(StatusCode, Json<GhtDto>), ApiError> {
    let g = services::create_ght(&state, &cu, &input).await?;
    Ok((StatusCode::CREATED, Json(ght_dto(&g))))
}

/// Adds a member to a GHT read at `version`: one support per GHT at a time, one GHT per
/// legal entity at a time, members of the GHT's region.
#[utoipa::path(post, path = "/api/v1/ghts/{code}/members", tag = "registre", request_body = GhtMemberInput,
    params(("code" = String, Path, description = "Code of the GHT")),
    responses((status = 201, body = MembershipDto), (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody),
        (status = 409, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn add_ght_member(
    State(state): State<AppState>,
    ApiUser(cu): ApiUser,
    Path(code): Path<String>,
    Json(input): Json<GhtMemberInput>,
) -> Result<(StatusCode, Json<MembershipDto>), ApiError> {
    let m = services::add_ght_member(&state, &cu, &code, &input).await?;
    Ok((
        StatusCode::CREATED,
        Json(membership_dto(&m, services::today())),
    ))
}

/// Ends a membership of a GHT read at `version` (of the GHT): sets its last day.
#[utoipa::path(post, path = "/api/v1/ghts/{code}/members/{id}/end", tag = "registre", request_body = EndInput,
    params(("code" = String, Path, description = "Code of the GHT"), ("id" = i64, Path, description = "Id of the membership")),
    responses((status = 200, body = MembershipDto), (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody),
        (status = 409, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn end_ght_member(
    State(state): State<AppState>,
    ApiUser(cu): ApiUser,
    Path((code, id)): Path<(String, i64)>,
    Json(input): Json<EndInput>,
) -> Result<Json<MembershipDto>, ApiError> {
    let m = services::end_ght_member(&state, &cu, &code, id, &input).await?;
    Ok(Json(membership_dto(&m, services::today())))
}

/// Gives a legal entity a label (administrators of its region); periods of one label may
/// not overlap.
#[utoipa::path(post, path = "/api/v1/legal-entities/{finess}/labels", tag = "registre", request_body = LabelInput,
    params(("finess" = String, Path, description = "FINESS EJ")),
    responses((status = 201, body = LabelDto), (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody),
        (status = 422, body = ApiErrorBody)))]
pub async fn add_label(
    State(state): State<AppState>,
    ApiUser(cu): ApiUser,
    Path(finess): Path<String>,
    Json(input): Json<LabelInput>,
) -> Result<(StatusCode, Json<LabelDto>), ApiError> {
    let l = services::add_label(&state, &cu, &finess, &input).await?;
    Ok((StatusCode::CREATED, Json(label_dto(&l, services::today()))))
}

/// Ends a label of a legal entity read at `version` (of the label): sets its last day.
#[utoipa::path(post, path = "/api/v1/legal-entities/{finess}/labels/{id}/end", tag = "registre", request_body = EndInput,
    params(("finess" = String, Path, description = "FINESS EJ"), ("id" = i64, Path, description = "Id of the label")),
    responses((status = 200, body = LabelDto), (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody),
        (status = 409, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn end_label(
    State(state): State<AppState>,
    ApiUser(cu): ApiUser,
    Path((finess, id)): Path<(String, i64)>,
    Json(input): Json<EndInput>,
) -> Result<Json<LabelDto>, ApiError> {
    let l = services::end_label(&state, &cu, &finess, id, &input).await?;
    Ok(Json(label_dto(&l, services::today())))
}
