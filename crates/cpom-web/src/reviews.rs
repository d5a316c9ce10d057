//! Reviews (revues) and their road maps, shared by the pages and the API: every access is
//! decided here through the policy (`ViewReview`, `ManageReviews`), the typed fields are
//! checked by the domain (`cpom_domain::review`).

use cpom_domain::policy::{Listing, list_filter};
use cpom_domain::review::{self, ActionFields, EngagementRef};
use cpom_domain::{Action, FinessId, RegionCode};
use cpom_store::Page;
use cpom_store::repo::contracts::Contract;
use cpom_store::repo::reviews::{NewReview, Review, ReviewAction, ReviewFilter};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::services::{self, blank_to_none};

/// Filters of the reviews, as typed.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
pub struct ReviewQuery {
    /// FINESS EJ: the reviews covering this legal entity.
    pub ej: Option<String>,
    /// GHT code: the dialogues of this GHT.
    pub ght: Option<String>,
    /// Page, from 1.
    pub page: Option<u64>,
    /// Page size (at most 200).
    pub per_page: Option<u64>,
}

/// A review as typed (form or JSON).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct ReviewInput {
    /// `ej` (dialogue with one legal entity) or `ght` (dialogue of GHT); at creation only.
    #[serde(default)]
    pub setting: Option<String>,
    /// FINESS EJ, for a dialogue with one legal entity.
    #[serde(default)]
    pub ej: Option<String>,
    /// GHT code, for a dialogue of GHT.
    #[serde(default)]
    pub ght: Option<String>,
    /// Date, `jj/mm/aaaa` or `aaaa-mm-jj`.
    #[serde(default)]
    pub held_on: String,
    /// Participants, one per line.
    #[serde(default)]
    pub participants: String,
    /// Minutes.
    #[serde(default)]
    pub minutes: Option<String>,
    /// Version of the review read (changes only).
    #[serde(default)]
    pub row_version: Option<i64>,
}

/// An action as typed; on a change, a field left out keeps its value.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct ActionInput {
    /// What is to be done.
    #[serde(default)]
    pub title: Option<String>,
    /// Who carries it.
    #[serde(default)]
    pub owner: Option<String>,
    /// By when (`jj/mm/aaaa` or `aaaa-mm-jj`).
    #[serde(default)]
    pub due_on: Option<String>,
    /// `planned` (default), `in_progress`, `done` or `abandoned`.
    #[serde(default)]
    pub status: Option<String>,
    /// Engagements served, each `contract_id:key` (e.g. `12:E3`).
    #[serde(default)]
    pub engagements: Option<Vec<String>>,
    /// Version of the action read (changes only).
    #[serde(default)]
    pub row_version: Option<i64>,
}

/// One engagement a review's actions may serve.
#[derive(Debug, Clone, serde::Serialize, ToSchema)]
pub struct EngagementChoice {
    /// `contract_id:key`.
    pub code: String,
    /// Contract id.
    pub contract_id: i64,
    /// Legal entity's name.
    pub ej_name: String,
    /// Engagement key.
    pub key: String,
    /// Engagement title.
    pub title: String,
}

/// The engagements of the contracts a review covers.
pub fn engagement_choices(contracts: &[Contract]) -> Vec<EngagementChoice> {
    contracts
        .iter()
        .flat_map(|c| {
            c.content.engagements.iter().map(|e| EngagementChoice {
                code: format!("{}:{}", c.id, e.key),
                contract_id: c.id,
                ej_name: c.ej_name.clone(),
                key: e.key.clone(),
                title: e.title.clone(),
            })
        })
        .collect()
}

/// The reviews the actor sees.
pub async fn list(
    state: &AppState,
    cu: &CurrentUser,
    q: &ReviewQuery,
) -> Result<Page<Review>, AppError> {
    let filter = ReviewFilter {
        ej: match blank_to_none(&q.ej) {
            None => None,
            Some(e) => Some(FinessId::parse(e).map_err(|_| {
                AppError::field("ej", format!("« {e} » n'est pas un numéro FINESS"))
            })?),
        },
        ght: blank_to_none(&q.ght).map(str::to_uppercase),
    };
    let (page, per_page) = services::paging(q.page, q.per_page);
    Ok(state
        .store
        .list_reviews(
            &list_filter(&cu.actor(), Listing::Reviews),
            &filter,
            page,
            per_page,
        )
        .await?)
}

/// Whether the actor may record reviews (in its region, or anywhere for the national
/// administrator).
pub fn can_manage(cu: &CurrentUser) -> bool {
    match &cu.user.region {
        Some(r) => cu.authorize(&Action::ManageReviews(r.clone())).is_ok(),
        None => cu.user.role == cpom_domain::Role::NationalAdmin,
    }
}

/// One review, if the actor may read it.
pub async fn get(state: &AppState, cu: &CurrentUser, id: i64) -> Result<Review, AppError> {
    let r = state.store.review(id).await?;
    let ejs = state.store.review_entities(&r, None).await?;
    if cu
        .authorize(&Action::ViewReview {
            region: r.region.clone(),
            ejs,
        })
        .is_err()
    {
        return Err(AppError::NotFound);
    }
    Ok(r)
}

/// One review with its road map and the engagements its actions may serve.
pub async fn detail(
    state: &AppState,
    cu: &CurrentUser,
    id: i64,
) -> Result<(Review, Vec<ReviewAction>, Vec<Contract>), AppError> {
    let r = get(state, cu, id).await?;
    let actions = state.store.review_actions(id).await?;
    let contracts = state.store.review_contracts(&r).await?;
    Ok((r, actions, contracts))
}

fn fields(input: &ReviewInput) -> Result<review::ReviewFields, AppError> {
    Ok(review::review_fields(
        &input.held_on,
        &input.participants,
        input.minutes.as_deref().unwrap_or_default(),
    )?)
}

/// Records a review.
pub async fn create(
    state: &AppState,
    cu: &CurrentUser,
    input: &ReviewInput,
) -> Result<Review, AppError> {
    if !can_manage(cu) {
        return Err(AppError::Forbidden(
            "Les revues sont tenues par les agents de l'ARS de la région.".into(),
        ));
    }
    let setting =
        review::Setting::parse(input.setting.as_deref().unwrap_or_default()).ok_or_else(|| {
            AppError::field(
                "setting",
                "choisissez le cadre : dialogue avec une entité juridique ou dialogue de GHT",
            )
        })?;
    let (ej, ght, region) = match setting {
        review::Setting::LegalEntity => {
            let raw = blank_to_none(&input.ej)
                .ok_or_else(|| AppError::field("ej", "indiquez le FINESS de l'entité juridique"))?;
            let ej = FinessId::parse(raw).map_err(|_| {
                AppError::field("ej", format!("« {raw} » n'est pas un numéro FINESS"))
            })?;
            let e = state.store.get_legal_entity(&ej).await?.ok_or_else(|| {
                AppError::field(
                    "ej",
                    format!("aucune entité juridique FINESS {ej} au registre"),
                )
            })?;
            (Some(ej), None, e.region)
        }
        review::Setting::Ght => {
            let code = blank_to_none(&input.ght)
                .ok_or_else(|| AppError::field("ght", "indiquez le code du GHT"))?
                .to_uppercase();
            let g = match state.store.ght_detail(&code).await {
                Ok(g) => g,
                Err(cpom_store::StoreError::NotFound) => {
                    return Err(AppError::field("ght", format!("aucun GHT « {code} »")));
                }
                Err(e) => return Err(e.into()),
            };
            (None, Some(code), g.region)
        }
    };
    let region: RegionCode = match &cu.user.region {
        Some(own) if *own != region => {
            return Err(match (&ej, &ght) {
                (Some(ej), _) => AppError::field(
                    "ej",
                    format!(
                        "l'entité juridique {ej} n'appartient pas à la région {}",
                        own.name()
                    ),
                ),
                _ => AppError::field(
                    "ght",
                    format!(
                        "le GHT {} n'appartient pas à la région {}",
                        ght.as_deref().unwrap_or_default(),
                        own.name()
                    ),
                ),
            });
        }
        _ => region,
    };
    cu.authorize(&Action::ManageReviews(region.clone()))?;
    let fields = fields(input)?;
    Ok(state
        .store
        .create_review(
            &cu.user.audit_actor(),
            &NewReview {
                region,
                ej,
                ght,
                fields,
            },
        )
        .await?)
}

/// Changes a review's date, participants and minutes.
pub async fn update(
    state: &AppState,
    cu: &CurrentUser,
    id: i64,
    input: &ReviewInput,
) -> Result<Review, AppError> {
    let r = get(state, cu, id).await?;
    cu.authorize(&Action::ManageReviews(r.region.clone()))?;
    // Minutes left out keep their text.
    let fields = fields(&ReviewInput {
        minutes: input.minutes.clone().or(Some(r.minutes.clone())),
        ..input.clone()
    })?;
    Ok(state
        .store
        .update_review(
            &cu.user.audit_actor(),
            id,
            &fields,
            version(input.row_version)?,
        )
        .await?)
}

/// The version read, required to change a record (a change made meanwhile is detected).
fn version(v: Option<i64>) -> Result<i64, AppError> {
    v.ok_or_else(|| {
        AppError::field(
            "row_version",
            "version lue manquante : rechargez la page avant de modifier",
        )
    })
}

fn action_fields(
    input: &ActionInput,
    current: Option<&ReviewAction>,
    r: &Review,
    contracts: &[Contract],
) -> Result<ActionFields, AppError> {
    let known: Vec<EngagementRef> = engagement_choices(contracts)
        .into_iter()
        .map(|c| EngagementRef {
            contract_id: c.contract_id,
            key: c.key,
        })
        .collect();
    // On a change, the engagements already linked stay valid even if the contracts covered
    // changed since.
    let mut known = known;
    if let Some(a) = current {
        known.extend(a.engagements.iter().cloned());
    }
    let pick =
        |typed: &Option<String>, kept: Option<String>| typed.clone().or(kept).unwrap_or_default();
    let engagements = match (&input.engagements, current) {
        (Some(e), _) => e.clone(),
        (None, Some(a)) => a.engagements.iter().map(EngagementRef::code).collect(),
        (None, None) => vec![],
    };
    Ok(review::action_fields(
        &pick(&input.title, current.map(|a| a.title.clone())),
        &pick(&input.owner, current.map(|a| a.owner.clone())),
        &pick(
            &input.due_on,
            current.map(|a| a.due_on.format("%Y-%m-%d").to_string()),
        ),
        &input
            .status
            .clone()
            .filter(|s| !s.trim().is_empty())
            .or(current.map(|a| a.status.as_str().to_owned()))
            .unwrap_or_else(|| "planned".into()),
        &engagements,
        &known,
        r.held_on,
    )?)
}

/// Adds an action to a review's road map.
pub async fn add_action(
    state: &AppState,
    cu: &CurrentUser,
    id: i64,
    input: &ActionInput,
) -> Result<ReviewAction, AppError> {
    let r = get(state, cu, id).await?;
    cu.authorize(&Action::ManageReviews(r.region.clone()))?;
    let contracts = state.store.review_contracts(&r).await?;
    let fields = action_fields(input, None, &r, &contracts)?;
    Ok(state
        .store
        .add_review_action(&cu.user.audit_actor(), &r, &fields)
        .await?)
}

/// Changes an action of a review's road map (the fields left out keep their value).
pub async fn update_action(
    state: &AppState,
    cu: &CurrentUser,
    id: i64,
    action_id: i64,
    input: &ActionInput,
) -> Result<ReviewAction, AppError> {
    let r = get(state, cu, id).await?;
    cu.authorize(&Action::ManageReviews(r.region.clone()))?;
    let current = state.store.review_action(action_id).await?;
    if current.review_id != r.id {
        return Err(AppError::NotFound);
    }
    let contracts = state.store.review_contracts(&r).await?;
    let fields = action_fields(input, Some(&current), &r, &contracts)?;
    Ok(state
        .store
        .update_review_action(
            &cu.user.audit_actor(),
            &r,
            action_id,
            &fields,
            version(input.row_version)?,
        )
        .await?)
}
