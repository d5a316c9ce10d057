//! Contracts (CPOM) through the API: the contracts one may see, one contract with its
//! engagements, the checks before signature and the moves the caller may make; creation
//! from a catalogue and state changes.

use super::extract::{Json, Path, Query};
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use cpom_domain::contract::{EngagementChange, TargetLine};
use cpom_store::repo::contracts::Contract;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::auth::ApiUser;
use crate::error::{ApiError, ApiErrorBody};
use crate::services::{self, ContractEdit, ContractQuery, MoveInput, NewContractInput};

/// A contract in listings.
#[derive(Serialize, ToSchema)]
pub struct ContractSummaryDto {
    /// Identifier.
    pub id: i64,
    /// Title.
    pub title: String,
    /// FINESS EJ.
    pub ej: String,
    /// Name of the legal entity.
    pub ej_name: String,
    /// INSEE region code.
    pub region: String,
    /// Catalogue it is built from.
    pub catalogue: String,
    /// Version of that catalogue.
    pub catalogue_version: i32,
    /// First year.
    pub start_year: i32,
    /// Last year.
    pub end_year: i32,
    /// `preparation`, `negotiation`, `ready_to_sign`, `signed`, `expired` or `terminated`.
    pub state: String,
    /// French label of the state.
    pub state_label: String,
    /// Size band its targets were taken for (`lt100`, `100to499`, `ge500`).
    pub band: Option<String>,
    /// Avenant in force (0: the initial contract).
    pub avenant: i32,
    /// Number of engagements (the whole contract lists them in `engagements`).
    pub engagement_count: usize,
    /// Negotiator in charge (account id).
    pub negotiator_id: Option<i64>,
    /// Version for concurrent changes.
    pub row_version: i64,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// Signature.
    pub signed_at: Option<DateTime<Utc>>,
}

impl From<&Contract> for ContractSummaryDto {
    fn from(c: &Contract) -> Self {
        Self {
            id: c.id,
            title: c.title.clone(),
            ej: c.ej.to_string(),
            ej_name: c.ej_name.clone(),
            region: c.region.to_string(),
            catalogue: c.catalogue_slug.clone(),
            catalogue_version: c.catalogue_version,
            start_year: c.start_year,
            end_year: c.end_year,
            state: c.state.as_str().to_owned(),
            state_label: c.state.label().to_owned(),
            band: c.band.map(|b| b.as_str().to_owned()),
            avenant: c.avenant,
            engagement_count: c.content.engagements.len(),
            negotiator_id: c.negotiator_id,
            row_version: c.row_version,
            updated_at: c.updated_at,
            signed_at: c.signed_at,
        }
    }
}

/// A page of contracts.
#[derive(Serialize, ToSchema)]
pub struct ContractPageDto {
    /// Contracts, last changed first.
    pub items: Vec<ContractSummaryDto>,
    /// Number across pages.
    pub total: u64,
    /// Page number.
    pub page: u64,
    /// Page size.
    pub per_page: u64,
}

/// A check failed before signature.
#[derive(Serialize, ToSchema)]
pub struct WarningDto {
    /// `missing_mandatory`, `no_indicator`, `missing_target`, `too_many_objectives`,
    /// `too_few_objectives` or `new_authorisation`.
    pub code: String,
    /// Engagement concerned (`E1`…).
    pub engagement: Option<String>,
    /// French message.
    pub message: String,
}

/// A model action of the catalogue as proposed for the contract's legal entity.
#[derive(Serialize, ToSchema)]
pub struct ProposalDto {
    /// Code of the model action.
    pub action: String,
    /// Title.
    pub title: String,
    /// Code of its objective.
    pub objective: String,
    /// Mandatory where it applies.
    pub mandatory: bool,
    /// Whether it applies to the legal entity today.
    pub applies: bool,
    /// Why, in French.
    pub reason: String,
    /// Codes of its candidate fiches.
    pub indicators: Vec<String>,
}

/// One contract, whole.
#[derive(Serialize, ToSchema)]
pub struct ContractDto {
    /// The contract's header.
    #[serde(flatten)]
    pub summary: ContractSummaryDto,
    /// Engagements (annex 1): `key`, `objective`, `objective_title`, `action` (`null` for a
    /// specific engagement), `title`, `title_locked`, `mandatory`, `indicator` (`code`,
    /// `title`, `kind`, `unit`), `sites`, `targets` (`year` — a number or `"total"` —,
    /// `text`, `rule_text`, `source`) and `new_authorisation`.
    #[schema(value_type = Vec<Object>)]
    pub engagements: serde_json::Value,
    /// Diagnostic: strengths.
    pub strengths: Option<String>,
    /// Diagnostic: weaknesses.
    pub weaknesses: Option<String>,
    /// Checks before signature.
    pub warnings: Vec<WarningDto>,
    /// The catalogue's model actions for the legal entity, with their applicability, while the
    /// contract is prepared, negotiated or ready to sign (an avenant included); none once
    /// signed.
    pub proposals: Vec<ProposalDto>,
    /// States the caller may move the contract to (the signature has its own endpoint).
    pub moves: Vec<String>,
    /// The caller may record the signature (`POST /api/v1/contracts/{id}/signature`).
    pub can_sign: bool,
    /// Who signed: `role`, `name`, `function`, `date`.
    #[schema(value_type = Vec<Object>)]
    pub signatories: serde_json::Value,
    /// For an avenant: what it changes from the signed version before it (`added`,
    /// `removed`, `changed` with targets `from` → `to` per year); null for the initial
    /// contract.
    #[schema(value_type = Option<Object>)]
    pub changes: serde_json::Value,
    /// The caller may open an avenant (`POST /api/v1/contracts/{id}/avenant`).
    pub can_amend: bool,
    /// Diagnostic: answers to the catalogue's questions (`question`, `text`, `answer`).
    #[schema(value_type = Vec<Object>)]
    pub answers: serde_json::Value,
    /// Funding lines: `kind`, `label`, `amounts` (pairs of year and euros).
    #[schema(value_type = Vec<Object>)]
    pub funding: serde_json::Value,
    /// Text annexes: `title`, `text`.
    #[schema(value_type = Vec<Object>)]
    pub texts: serde_json::Value,
}

/// The contracts of the caller's scope (observers: signed ones only).
#[utoipa::path(get, path = "/api/v1/contracts", tag = "contrats", params(ContractQuery),
    responses((status = 200, body = ContractPageDto), (status = 422, body = ApiErrorBody)))]
pub async fn list_contracts(
    State(state): State<AppState>,
    ApiUser(cu): ApiUser,
    Query(q): Query<ContractQuery>,
) -> Result<Json<ContractPageDto>, ApiError> {
    let p = services::list_contracts(&state, &cu, &q).await?;
    Ok(Json(ContractPageDto {
        items: p.items.iter().map(Into::into).collect(),
        total: p.total,
        page: p.page,
        per_page: p.per_page,
    }))
}

async fn contract_dto(
    state: &AppState,
    cu: &crate::auth::CurrentUser,
    id: i64,
) -> Result<ContractDto, ApiError> {
    let v = services::contract_view(state, cu, id).await?;
    Ok(ContractDto {
        summary: (&v.contract).into(),
        engagements: serde_json::to_value(&v.contract.content.engagements).unwrap_or_default(),
        strengths: v.contract.content.strengths.clone(),
        weaknesses: v.contract.content.weaknesses.clone(),
        warnings: v
            .warnings
            .into_iter()
            .map(|w| WarningDto {
                code: w.code.to_owned(),
                engagement: w.engagement,
                message: w.message,
            })
            .collect(),
        proposals: v
            .proposals
            .into_iter()
            .map(|p| ProposalDto {
                action: p.action,
                title: p.title,
                objective: p.objective,
                mandatory: p.mandatory,
                applies: p.applies,
                reason: p.reason,
                indicators: p.indicators,
            })
            .collect(),
        moves: v.moves.iter().map(|s| s.as_str().to_owned()).collect(),
        can_sign: v.can_sign,
        signatories: serde_json::to_value(&v.contract.content.signatories).unwrap_or_default(),
        changes: v
            .changes
            .as_ref()
            .map(|d| serde_json::to_value(d).unwrap_or_default())
            .unwrap_or(serde_json::Value::Null),
        can_amend: v.can_amend,
        answers: serde_json::to_value(&v.contract.content.answers).unwrap_or_default(),
        funding: serde_json::to_value(&v.contract.content.funding).unwrap_or_default(),
        texts: serde_json::to_value(&v.contract.content.texts).unwrap_or_default(),
    })
}

/// One contract with its engagements, checks and the moves the caller may make.
#[utoipa::path(get, path = "/api/v1/contracts/{id}", tag = "contrats",
    params(("id" = i64, Path, description = "Identifier of the contract")),
    responses((status = 200, body = ContractDto), (status = 404, body = ApiErrorBody)))]
pub async fn get_contract(
    State(state): State<AppState>,
    ApiUser(cu): ApiUser,
    Path(id): Path<i64>,
) -> Result<Json<ContractDto>, ApiError> {
    Ok(Json(contract_dto(&state, &cu, id).await?))
}

/// Creates a contract in preparation for a legal entity from the published version of a
/// catalogue of its region: the applicable mandatory model actions become its engagements,
/// targets pre-filled for the entity's band or named case. The agency's users of the region.
#[utoipa::path(post, path = "/api/v1/contracts", tag = "contrats", request_body = NewContractInput,
    responses((status = 201, body = ContractDto), (status = 403, body = ApiErrorBody),
        (status = 422, body = ApiErrorBody)))]
pub async fn create_contract(
    State(state): State<AppState>,
    ApiUser(cu): ApiUser,
    Json(input): Json<NewContractInput>,
) -> Result<(StatusCode, Json<ContractDto>), ApiError> {
    let c = services::create_contract(&state, &cu, &input).await?;
    Ok((
        StatusCode::CREATED,
        Json(contract_dto(&state, &cu, c.id).await?),
    ))
}

/// Moves a contract read at `row_version` to another state (`to`), with an optional note
/// kept in its history. The agency makes every move of the life cycle; the establishment's
/// legal representative declares it ready to sign or reopens the negotiation.
#[utoipa::path(post, path = "/api/v1/contracts/{id}/transition", tag = "contrats",
    params(("id" = i64, Path, description = "Identifier of the contract")),
    request_body = MoveInput,
    responses((status = 200, body = ContractDto), (status = 403, body = ApiErrorBody),
        (status = 404, body = ApiErrorBody), (status = 409, body = ApiErrorBody),
        (status = 422, body = ApiErrorBody)))]
pub async fn move_contract(
    State(state): State<AppState>,
    ApiUser(cu): ApiUser,
    Path(id): Path<i64>,
    Json(input): Json<MoveInput>,
) -> Result<Json<ContractDto>, ApiError> {
    services::move_contract(&state, &cu, id, &input).await?;
    Ok(Json(contract_dto(&state, &cu, id).await?))
}

/// A new engagement: a model action of the contract's catalogue and one of its fiches, or,
/// with `specific`, an engagement specific to the establishment.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewEngagementBody {
    /// `row_version` of the contract when read.
    pub row_version: Option<i64>,
    /// Code of the model action.
    #[serde(default)]
    pub action: String,
    /// Code of the fiche (default: the action's first).
    pub indicator: Option<String>,
    /// An engagement specific to the establishment, instead of a model action: `objective`
    /// (code of a catalogue objective), `title`, `indicator_title`, `kind` (`count`, `rate`,
    /// `yes_no`, `amount`, `milestone`, `text`), `unit`.
    #[schema(value_type = Option<Object>)]
    pub specific: Option<serde_json::Value>,
}

/// Adds the engagement of a model action, its targets pre-filled for the legal entity.
#[utoipa::path(post, path = "/api/v1/contracts/{id}/engagements", tag = "contrats",
    params(("id" = i64, Path, description = "Identifier of the contract")),
    request_body = NewEngagementBody,
    responses((status = 201, body = ContractDto), (status = 403, body = ApiErrorBody),
        (status = 404, body = ApiErrorBody), (status = 409, body = ApiErrorBody),
        (status = 422, body = ApiErrorBody)))]
pub async fn add_engagement(
    State(state): State<AppState>,
    ApiUser(cu): ApiUser,
    Path(id): Path<i64>,
    Json(b): Json<NewEngagementBody>,
) -> Result<(StatusCode, Json<ContractDto>), ApiError> {
    let edit = match b.specific {
        Some(specific) => {
            ContractEdit::AddSpecific(serde_json::from_value(specific).map_err(|e| {
                crate::error::AppError::field(
                    "specific",
                    format!("engagement spécifique illisible : {e}"),
                )
            })?)
        }
        None => ContractEdit::Add {
            action: b.action,
            indicator: b.indicator,
        },
    };
    services::edit_contract(&state, &cu, id, b.row_version, &edit).await?;
    Ok((
        StatusCode::CREATED,
        Json(contract_dto(&state, &cu, id).await?),
    ))
}

/// A change to an engagement (absent fields do not change).
#[derive(Debug, Deserialize, ToSchema)]
pub struct EngagementBody {
    /// `row_version` of the contract when read.
    pub row_version: Option<i64>,
    /// Title (where the catalogue lets it be personalised).
    pub title: Option<String>,
    /// Another fiche of the action: its targets are pre-filled again.
    pub indicator: Option<String>,
    /// FINESS ET of the sites it binds (empty: the legal entity).
    pub sites: Option<Vec<String>>,
    /// Targets, replacing the current ones: `year` (a year or `"total"`), `text`,
    /// `rule_text`.
    #[schema(value_type = Option<Vec<Object>>)]
    pub targets: Option<Vec<TargetLine>>,
    /// Commits to a new authorisation.
    pub new_authorisation: Option<bool>,
}

/// Changes an engagement while the contract is in preparation or negotiation.
#[utoipa::path(put, path = "/api/v1/contracts/{id}/engagements/{key}", tag = "contrats",
    params(("id" = i64, Path, description = "Identifier of the contract"),
        ("key" = String, Path, description = "Key of the engagement (E1…)")),
    request_body = EngagementBody,
    responses((status = 200, body = ContractDto), (status = 403, body = ApiErrorBody),
        (status = 404, body = ApiErrorBody), (status = 409, body = ApiErrorBody),
        (status = 422, body = ApiErrorBody)))]
pub async fn put_engagement(
    State(state): State<AppState>,
    ApiUser(cu): ApiUser,
    Path((id, key)): Path<(i64, String)>,
    Json(b): Json<EngagementBody>,
) -> Result<Json<ContractDto>, ApiError> {
    let edit = ContractEdit::Change {
        key,
        change: EngagementChange {
            title: b.title,
            indicator: b.indicator,
            sites: b.sites,
            targets: b.targets,
            new_authorisation: b.new_authorisation,
        },
    };
    services::edit_contract(&state, &cu, id, b.row_version, &edit).await?;
    Ok(Json(contract_dto(&state, &cu, id).await?))
}

/// The version of the contract read.
#[derive(Debug, Deserialize, IntoParams)]
pub struct RowVersionQuery {
    /// `row_version` of the contract when read.
    pub row_version: Option<i64>,
}

/// Removes an engagement while the contract is in preparation or negotiation.
#[utoipa::path(delete, path = "/api/v1/contracts/{id}/engagements/{key}", tag = "contrats",
    params(("id" = i64, Path, description = "Identifier of the contract"),
        ("key" = String, Path, description = "Key of the engagement (E1…)"), RowVersionQuery),
    responses((status = 200, body = ContractDto), (status = 403, body = ApiErrorBody),
        (status = 404, body = ApiErrorBody), (status = 409, body = ApiErrorBody),
        (status = 422, body = ApiErrorBody)))]
pub async fn delete_engagement(
    State(state): State<AppState>,
    ApiUser(cu): ApiUser,
    Path((id, key)): Path<(i64, String)>,
    Query(q): Query<RowVersionQuery>,
) -> Result<Json<ContractDto>, ApiError> {
    services::edit_contract(
        &state,
        &cu,
        id,
        q.row_version,
        &ContractEdit::Remove { key },
    )
    .await?;
    Ok(Json(contract_dto(&state, &cu, id).await?))
}

/// Records the signature of a contract ready to sign, with its signatories: the agency's
/// director general or delegate and the establishment's legal representative, each with a
/// name, a function and a date. The contract becomes signed (in force) and no longer
/// changes. The agency's users of the region.
#[utoipa::path(post, path = "/api/v1/contracts/{id}/signature", tag = "contrats",
    params(("id" = i64, Path, description = "Identifier of the contract")),
    request_body = services::SignatureInput,
    responses((status = 200, body = ContractDto), (status = 403, body = ApiErrorBody),
        (status = 404, body = ApiErrorBody), (status = 409, body = ApiErrorBody),
        (status = 422, body = ApiErrorBody)))]
pub async fn sign_contract(
    State(state): State<AppState>,
    ApiUser(cu): ApiUser,
    Path(id): Path<i64>,
    Json(input): Json<services::SignatureInput>,
) -> Result<Json<ContractDto>, ApiError> {
    services::sign_contract(&state, &cu, id, &input).await?;
    Ok(Json(contract_dto(&state, &cu, id).await?))
}

/// A comment of a negotiation thread.
#[derive(Serialize, ToSchema)]
pub struct CommentDto {
    /// Identifier.
    pub id: i64,
    /// Engagement it is about (`null`: the contract as a whole).
    pub engagement: Option<String>,
    /// Author's name.
    pub author: String,
    /// `agency` or `establishment`.
    pub side: String,
    /// Text.
    pub body: String,
    /// When.
    pub created_at: DateTime<Utc>,
}

impl From<cpom_store::repo::contracts::ContractComment> for CommentDto {
    fn from(c: cpom_store::repo::contracts::ContractComment) -> Self {
        Self {
            id: c.id,
            engagement: c.engagement,
            author: c.author,
            side: c.side,
            body: c.body,
            created_at: c.created_at,
        }
    }
}

/// The negotiation thread of a contract, oldest first.
#[utoipa::path(get, path = "/api/v1/contracts/{id}/comments", tag = "contrats",
    params(("id" = i64, Path, description = "Identifier of the contract")),
    responses((status = 200, body = Vec<CommentDto>), (status = 404, body = ApiErrorBody)))]
pub async fn list_comments(
    State(state): State<AppState>,
    ApiUser(cu): ApiUser,
    Path(id): Path<i64>,
) -> Result<Json<Vec<CommentDto>>, ApiError> {
    let comments = services::contract_comments(&state, &cu, id).await?;
    Ok(Json(comments.into_iter().map(Into::into).collect()))
}

/// Posts a comment on a contract or one of its engagements (`engagement`): the agency's
/// users of its region and the users of its legal entity.
#[utoipa::path(post, path = "/api/v1/contracts/{id}/comments", tag = "contrats",
    params(("id" = i64, Path, description = "Identifier of the contract")),
    request_body = services::CommentInput,
    responses((status = 201, body = CommentDto), (status = 403, body = ApiErrorBody),
        (status = 404, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn add_comment(
    State(state): State<AppState>,
    ApiUser(cu): ApiUser,
    Path(id): Path<i64>,
    Json(input): Json<services::CommentInput>,
) -> Result<(StatusCode, Json<CommentDto>), ApiError> {
    let c = services::comment_contract(&state, &cu, id, &input).await?;
    Ok((StatusCode::CREATED, Json(c.into())))
}

/// Opens avenant n+1 on a contract in force (the agency of the region): the signed version
/// is kept and readable (`GET /api/v1/contracts/{id}/versions`), the contract goes back to
/// preparation with the same engagements and is negotiated and signed again.
#[utoipa::path(post, path = "/api/v1/contracts/{id}/avenant", tag = "contrats",
    params(("id" = i64, Path, description = "Identifiant du contrat")),
    request_body = services::AvenantInput,
    responses((status = 200, body = ContractDto), (status = 403, body = ApiErrorBody),
        (status = 404, body = ApiErrorBody), (status = 409, body = ApiErrorBody),
        (status = 422, body = ApiErrorBody)))]
pub async fn propose_avenant(
    State(state): State<AppState>,
    ApiUser(cu): ApiUser,
    Path(id): Path<i64>,
    Json(input): Json<services::AvenantInput>,
) -> Result<Json<ContractDto>, ApiError> {
    services::propose_avenant(&state, &cu, id, &input).await?;
    Ok(Json(contract_dto(&state, &cu, id).await?))
}

/// A signed version of a contract kept when an avenant was opened.
#[derive(Serialize, ToSchema)]
pub struct ContractVersionDto {
    /// 0 for the initial contract, n for avenant n.
    pub avenant: i32,
    /// When it was signed.
    pub signed_at: Option<DateTime<Utc>>,
    /// Its engagements, as in `ContractDto`.
    #[schema(value_type = Vec<Object>)]
    pub engagements: serde_json::Value,
    /// Its signatories.
    #[schema(value_type = Vec<Object>)]
    pub signatories: serde_json::Value,
    /// What it changed from the version before it (`added`, `removed`: `key`, `title`;
    /// `changed`: `key`, `title`, `changes`, `targets` with `year`, `from`, `to`); null
    /// for the initial contract.
    #[schema(value_type = Option<Object>)]
    pub changes: serde_json::Value,
}

/// The signed versions of a contract before its current one, oldest first, each with what it
/// changed; the last item's successor is the contract itself (`GET /api/v1/contracts/{id}`).
#[utoipa::path(get, path = "/api/v1/contracts/{id}/versions", tag = "contrats",
    params(("id" = i64, Path, description = "Identifiant du contrat")),
    responses((status = 200, body = Vec<ContractVersionDto>), (status = 404, body = ApiErrorBody)))]
pub async fn list_versions(
    State(state): State<AppState>,
    ApiUser(cu): ApiUser,
    Path(id): Path<i64>,
) -> Result<Json<Vec<ContractVersionDto>>, ApiError> {
    let c = services::contract(&state, &cu, id).await?;
    let versions = state
        .store
        .contract_versions(c.id)
        .await
        .map_err(crate::error::AppError::from)?;
    Ok(Json(
        versions
            .iter()
            .enumerate()
            .map(|(i, v)| ContractVersionDto {
                avenant: v.avenant,
                signed_at: v.signed_at,
                engagements: serde_json::to_value(&v.content.engagements).unwrap_or_default(),
                signatories: serde_json::to_value(&v.content.signatories).unwrap_or_default(),
                changes: i
                    .checked_sub(1)
                    .map(|p| cpom_domain::contract::diff(&versions[p].content, &v.content))
                    .map(|d| serde_json::to_value(d).unwrap_or_default())
                    .unwrap_or(serde_json::Value::Null),
            })
            .collect(),
    ))
}

/// A step of a contract's calendar.
#[derive(Serialize, ToSchema)]
pub struct StepDto {
    /// `follow_up_2026`, `mid_term`, `renewal_request`, `renewal_answer`, `end`,
    /// `penalty_answer`, `penalty_decision`, `penalty_payment`.
    pub code: String,
    /// French label.
    pub label: String,
    /// Due date.
    pub due: chrono::NaiveDate,
    /// When it was done.
    pub done_on: Option<chrono::NaiveDate>,
    /// `done`, `overdue`, `soon` (within 60 days) or `later`.
    pub status: String,
}

impl From<&cpom_domain::calendar::Step> for StepDto {
    fn from(s: &cpom_domain::calendar::Step) -> Self {
        StepDto {
            code: s.code.clone(),
            label: s.label.clone(),
            due: s.due,
            done_on: s.done_on,
            status: serde_json::to_value(s.status)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default(),
        }
    }
}

/// A contract's calendar.
#[derive(Serialize, ToSchema)]
pub struct CalendarDto {
    /// Steps in date order.
    pub steps: Vec<StepDto>,
    /// Events recorded: `kind`, `on`, `year`, `note`, `amount`.
    #[schema(value_type = Vec<Object>)]
    pub events: serde_json::Value,
    /// The caller may record events (`POST /api/v1/contracts/{id}/events`).
    pub can_record: bool,
}

/// The calendar of a contract: yearly follow-ups, mid-term evaluation, renewal, end, and the
/// penalty procedure under way, each with its due date and status.
#[utoipa::path(get, path = "/api/v1/contracts/{id}/calendar", tag = "contrats",
    params(("id" = i64, Path, description = "Identifiant du contrat")),
    responses((status = 200, body = CalendarDto), (status = 404, body = ApiErrorBody)))]
pub async fn get_calendar(
    State(state): State<AppState>,
    ApiUser(cu): ApiUser,
    Path(id): Path<i64>,
) -> Result<Json<CalendarDto>, ApiError> {
    let c = services::contract(&state, &cu, id).await?;
    let cal = crate::schedule::of_contract(&state, &cu, &c).await?;
    Ok(Json(CalendarDto {
        steps: cal.steps.iter().map(Into::into).collect(),
        events: serde_json::to_value(&cal.events).unwrap_or_default(),
        can_record: cal.can_record,
    }))
}

/// Records a step on the calendar of a contract in force (the agency of the region): a
/// follow-up or the mid-term evaluation held, the renewal asked or answered, or a step of the
/// penalty procedure (in order; the decision's amount within the regional cap).
#[utoipa::path(post, path = "/api/v1/contracts/{id}/events", tag = "contrats",
    params(("id" = i64, Path, description = "Identifiant du contrat")),
    request_body = crate::schedule::EventInput,
    responses((status = 201, body = CalendarDto), (status = 403, body = ApiErrorBody),
        (status = 404, body = ApiErrorBody), (status = 409, body = ApiErrorBody),
        (status = 422, body = ApiErrorBody)))]
pub async fn record_event(
    State(state): State<AppState>,
    ApiUser(cu): ApiUser,
    Path(id): Path<i64>,
    Json(input): Json<crate::schedule::EventInput>,
) -> Result<(StatusCode, Json<CalendarDto>), ApiError> {
    crate::schedule::record(&state, &cu, id, &input).await?;
    let c = services::contract(&state, &cu, id).await?;
    let cal = crate::schedule::of_contract(&state, &cu, &c).await?;
    Ok((
        StatusCode::CREATED,
        Json(CalendarDto {
            steps: cal.steps.iter().map(Into::into).collect(),
            events: serde_json::to_value(&cal.events).unwrap_or_default(),
            can_record: cal.can_record,
        }),
    ))
}

/// An overdue or upcoming step of a contract in force.
#[derive(Serialize, ToSchema)]
pub struct DueStepDto {
    /// Contract.
    pub contract_id: i64,
    /// Its title.
    pub contract_title: String,
    /// Its legal entity.
    pub ej: String,
    /// The step.
    pub step: StepDto,
}

/// The overdue and upcoming (60 days) steps of the contracts in force the caller negotiates
/// (or without a negotiator), overdue first: what the home page shows the agency's users.
#[utoipa::path(get, path = "/api/v1/calendar", tag = "contrats",
    responses((status = 200, body = Vec<DueStepDto>)))]
pub async fn due_steps(
    State(state): State<AppState>,
    ApiUser(cu): ApiUser,
) -> Result<Json<Vec<DueStepDto>>, ApiError> {
    Ok(Json(
        crate::schedule::due_steps(&state, &cu)
            .await?
            .iter()
            .map(|d| DueStepDto {
                contract_id: d.contract.id,
                contract_title: d.contract.title.clone(),
                ej: d.contract.ej.to_string(),
                step: (&d.step).into(),
            })
            .collect(),
    ))
}

/// The diagnostic and annexes of a contract as sent: the `row_version` read, `strengths`,
/// `weaknesses`, `answers` by question code, `funding` lines (`kind`: `fir`, `migac`, `daf`
/// or `other`; `label`; `amounts` by year, in euros), and `texts` (`title`, `text`).
#[derive(Deserialize, ToSchema)]
pub struct AnnexesBody {
    /// `row_version` of the contract when read.
    pub row_version: Option<i64>,
    /// Diagnostic: strengths.
    pub strengths: Option<String>,
    /// Diagnostic: weaknesses.
    pub weaknesses: Option<String>,
    /// Answers to the catalogue's questions, by code.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub answers: std::collections::BTreeMap<String, String>,
    /// Funding lines.
    #[serde(default)]
    #[schema(value_type = Vec<Object>)]
    pub funding: Vec<serde_json::Value>,
    /// Text annexes.
    #[serde(default)]
    #[schema(value_type = Vec<Object>)]
    pub texts: Vec<serde_json::Value>,
}

/// Replaces the diagnostic and annexes of a contract in preparation or negotiation (the
/// agency of the region); every problem named by its field (`funding[2].amounts.2026`).
#[utoipa::path(put, path = "/api/v1/contracts/{id}/annexes", tag = "contrats",
    params(("id" = i64, Path, description = "Identifiant du contrat")),
    request_body = AnnexesBody,
    responses((status = 200, body = ContractDto), (status = 403, body = ApiErrorBody),
        (status = 404, body = ApiErrorBody), (status = 409, body = ApiErrorBody),
        (status = 422, body = ApiErrorBody)))]
pub async fn put_annexes(
    State(state): State<AppState>,
    ApiUser(cu): ApiUser,
    Path(id): Path<i64>,
    Json(body): Json<AnnexesBody>,
) -> Result<Json<ContractDto>, ApiError> {
    use cpom_domain::contract::{AnnexesInput, FundingInput, TextInput};
    let text = |v: &serde_json::Value, k: &str| match v.get(k) {
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(serde_json::Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    };
    let input = AnnexesInput {
        strengths: body.strengths,
        weaknesses: body.weaknesses,
        answers: body.answers,
        funding: body
            .funding
            .iter()
            .map(|f| FundingInput {
                kind: text(f, "kind"),
                label: text(f, "label"),
                amounts: f
                    .get("amounts")
                    .and_then(|a| a.as_object())
                    .map(|a| {
                        a.iter()
                            .map(|(y, v)| {
                                let v = match v {
                                    serde_json::Value::String(s) => s.clone(),
                                    other => other.to_string(),
                                };
                                (y.clone(), v)
                            })
                            .collect()
                    })
                    .unwrap_or_default(),
            })
            .collect(),
        texts: body
            .texts
            .iter()
            .map(|t| TextInput {
                title: text(t, "title"),
                text: text(t, "text"),
            })
            .collect(),
    };
    services::edit_contract(
        &state,
        &cu,
        id,
        body.row_version,
        &services::ContractEdit::Annexes(Box::new(input)),
    )
    .await?;
    Ok(Json(contract_dto(&state, &cu, id).await?))
}

/// Gives a contract its negotiator (an administrator or referent of the region's agency;
/// null: nobody); the agency of the region. The negotiator is told.
#[utoipa::path(put, path = "/api/v1/contracts/{id}/negotiator", tag = "contrats",
    params(("id" = i64, Path, description = "Identifiant du contrat")),
    request_body = services::NegotiatorInput,
    responses((status = 200, body = ContractDto), (status = 403, body = ApiErrorBody),
        (status = 404, body = ApiErrorBody), (status = 409, body = ApiErrorBody),
        (status = 422, body = ApiErrorBody)))]
pub async fn put_negotiator(
    State(state): State<AppState>,
    ApiUser(cu): ApiUser,
    Path(id): Path<i64>,
    Json(input): Json<services::NegotiatorInput>,
) -> Result<Json<ContractDto>, ApiError> {
    services::set_negotiator(&state, &cu, id, &input).await?;
    Ok(Json(contract_dto(&state, &cu, id).await?))
}

/// The review pack of the contract's establishment (PDF): scorecard, trends over the years,
/// anonymised comparison with the establishments of its size band in the region (a
/// distribution only from 3 of them), and the road map's actions serving the contract.
#[utoipa::path(get, path = "/api/v1/contracts/{id}/review-pack.pdf", tag = "contrats",
    params(("id" = i64, Path, description = "Identifiant du contrat")),
    responses((status = 200, description = "Le dossier", content_type = "application/pdf",
        body = crate::api::documents::FileContent), (status = 404, body = ApiErrorBody)))]
pub async fn review_pack(
    State(state): State<AppState>,
    ApiUser(cu): ApiUser,
    Path(id): Path<i64>,
) -> Result<axum::response::Response, ApiError> {
    Ok(crate::pages::send_file(
        crate::evaluation::review_pack(&state, &cu, id).await?,
    ))
}

/// The scorecard of a contract: its engagements × the years of its campaigns, each with the
/// declaration's verdict and reason, and the attainment rate (met ÷ evaluated) overall and by
/// year; live.
#[utoipa::path(get, path = "/api/v1/contracts/{id}/scorecard", tag = "contrats",
    params(("id" = i64, Path, description = "Identifiant du contrat")),
    responses((status = 200, body = crate::evaluation::Scorecard), (status = 404, body = ApiErrorBody)))]
pub async fn scorecard(
    State(state): State<AppState>,
    ApiUser(cu): ApiUser,
    Path(id): Path<i64>,
) -> Result<Json<crate::evaluation::Scorecard>, ApiError> {
    Ok(Json(crate::evaluation::scorecard(&state, &cu, id).await?))
}
