//! Reviews (revues) and the actions of their road maps (feuilles de route). A review is held
//! with one legal entity or with the members of a GHT; it covers the contracts of those
//! entities in force the year it is held, and its actions serve their engagements. Every
//! change is made at the version read and audited.

use std::collections::HashMap;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use cpom_domain::review::{ActionFields, ActionStatus, EngagementRef, ReviewFields, Setting};
use cpom_domain::{FinessId, RegionCode, ScopeFilter};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use serde::Serialize;

use crate::audit::{self, AuditActor, Change};
use crate::entity::{contract, ght, ght_membership, legal_entity, review, review_action};
use crate::repo::contracts::Contract;
use crate::{Page, Store, StoreError};

/// A review.
#[derive(Debug, Clone, Serialize)]
pub struct Review {
    /// Identifier.
    pub id: i64,
    /// Region of the agency that held it.
    pub region: RegionCode,
    /// With one legal entity or with a GHT.
    pub setting: Setting,
    /// The legal entity (dialogue with one entity).
    pub ej: Option<FinessId>,
    /// The GHT (dialogue of GHT).
    pub ght: Option<String>,
    /// Name of the legal entity or of the GHT.
    pub with_name: String,
    /// When it was held.
    pub held_on: NaiveDate,
    /// Who took part.
    pub participants: Vec<String>,
    /// The minutes.
    pub minutes: String,
    /// Who recorded it.
    pub author: String,
    /// Version for concurrent changes.
    pub row_version: i64,
    /// Recorded at.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

/// An action of a review's road map.
#[derive(Debug, Clone, Serialize)]
pub struct ReviewAction {
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
    /// How far it got.
    pub status: ActionStatus,
    /// The engagements it serves.
    pub engagements: Vec<EngagementRef>,
    /// Version for concurrent changes.
    pub row_version: i64,
    /// Recorded at.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

/// A review to record.
#[derive(Debug, Clone)]
pub struct NewReview {
    /// Region of the agency.
    pub region: RegionCode,
    /// The legal entity, for a dialogue with one entity.
    pub ej: Option<FinessId>,
    /// The GHT's code, for a dialogue of GHT.
    pub ght: Option<String>,
    /// Date, participants, minutes.
    pub fields: ReviewFields,
}

/// Filters of the reviews.
#[derive(Debug, Clone, Default)]
pub struct ReviewFilter {
    /// Those covering this legal entity (held with it, or with a GHT it is or was part of).
    pub ej: Option<FinessId>,
    /// Those held with this GHT.
    pub ght: Option<String>,
}

fn to_review(r: review::Model, with_name: String) -> Result<Review, StoreError> {
    let bad = |what: &str| StoreError::Invalid {
        field: "review",
        message: format!("revue n° {} : {what} illisible", r.id),
    };
    Ok(Review {
        id: r.id,
        region: RegionCode::parse(&r.region_code).map_err(|_| bad("région"))?,
        setting: Setting::parse(&r.setting).ok_or_else(|| bad("cadre"))?,
        ej: r
            .ej_finess
            .as_deref()
            .map(FinessId::parse)
            .transpose()
            .map_err(|_| bad("FINESS"))?,
        ght: r.ght_code.clone(),
        with_name,
        held_on: r.held_on,
        participants: r.participants.lines().map(str::to_owned).collect(),
        minutes: r.minutes,
        author: r.author,
        row_version: r.row_version,
        created_at: r.created_at,
        updated_at: r.updated_at,
    })
}

fn to_action(a: review_action::Model) -> Result<ReviewAction, StoreError> {
    let bad = |what: &str| StoreError::Invalid {
        field: "action",
        message: format!("action n° {} : {what} illisible", a.id),
    };
    let codes: Vec<String> =
        serde_json::from_str(&a.engagements).map_err(|_| bad("engagements"))?;
    Ok(ReviewAction {
        id: a.id,
        review_id: a.review_id,
        title: a.title,
        owner: a.owner,
        due_on: a.due_on,
        status: ActionStatus::parse(&a.status).ok_or_else(|| bad("statut"))?,
        engagements: codes
            .iter()
            .map(|c| EngagementRef::parse(c))
            .collect::<Result<_, _>>()
            .map_err(|_| bad("engagements"))?,
        row_version: a.row_version,
        created_at: a.created_at,
        updated_at: a.updated_at,
    })
}

fn review_json(r: &Review) -> serde_json::Value {
    serde_json::json!({
        "setting": r.setting.as_str(),
        "ej": r.ej.as_ref().map(ToString::to_string),
        "ght": r.ght,
        "held_on": r.held_on,
        "participants": r.participants,
        "minutes": r.minutes,
    })
}

fn action_json(a: &ReviewAction) -> serde_json::Value {
    serde_json::json!({
        "review_id": a.review_id,
        "title": a.title,
        "owner": a.owner,
        "due_on": a.due_on,
        "status": a.status.as_str(),
        "engagements": a.engagements.iter().map(EngagementRef::code).collect::<Vec<_>>(),
    })
}

fn engagements_text(refs: &[EngagementRef]) -> String {
    serde_json::to_string(&refs.iter().map(EngagementRef::code).collect::<Vec<_>>())
        .unwrap_or_else(|_| "[]".into())
}

impl Store {
    /// Names of the legal entities and GHTs of some review rows.
    async fn review_names(
        &self,
        rows: &[review::Model],
    ) -> Result<HashMap<String, String>, StoreError> {
        let finess: Vec<String> = rows.iter().filter_map(|r| r.ej_finess.clone()).collect();
        let mut names = if finess.is_empty() {
            HashMap::new()
        } else {
            self.entity_names(&finess).await?
        };
        let codes: Vec<String> = rows.iter().filter_map(|r| r.ght_code.clone()).collect();
        if !codes.is_empty() {
            for g in ght::Entity::find()
                .filter(ght::Column::Code.is_in(codes))
                .all(self.db())
                .await?
            {
                names.insert(g.code, g.name);
            }
        }
        Ok(names)
    }

    async fn reviews_of(&self, rows: Vec<review::Model>) -> Result<Vec<Review>, StoreError> {
        let names = self.review_names(&rows).await?;
        rows.into_iter()
            .map(|r| {
                let key = r
                    .ej_finess
                    .clone()
                    .or(r.ght_code.clone())
                    .unwrap_or_default();
                to_review(r, names.get(&key).cloned().unwrap_or_default())
            })
            .collect()
    }

    /// Records a review, held with a legal entity or a GHT of its region.
    pub async fn create_review(
        &self,
        actor: &AuditActor,
        new: &NewReview,
    ) -> Result<Review, StoreError> {
        let (setting, ej, ght_code) = match (&new.ej, &new.ght) {
            (Some(ej), None) => {
                let e = legal_entity::Entity::find()
                    .filter(legal_entity::Column::Finess.eq(ej.as_str()))
                    .one(self.db())
                    .await?
                    .ok_or_else(|| StoreError::Invalid {
                        field: "ej",
                        message: format!("aucune entité juridique FINESS {ej} au registre"),
                    })?;
                if e.region_code != new.region.as_str() {
                    return Err(StoreError::Invalid {
                        field: "ej",
                        message: format!(
                            "l'entité juridique {ej} n'appartient pas à la région {}",
                            new.region.name()
                        ),
                    });
                }
                (Setting::LegalEntity, Some(ej.to_string()), None)
            }
            (None, Some(code)) => {
                let g = ght::Entity::find()
                    .filter(ght::Column::Code.eq(code.as_str()))
                    .one(self.db())
                    .await?
                    .ok_or_else(|| StoreError::Invalid {
                        field: "ght",
                        message: format!("aucun GHT « {code} »"),
                    })?;
                if g.region_code != new.region.as_str() {
                    return Err(StoreError::Invalid {
                        field: "ght",
                        message: format!(
                            "le GHT {code} n'appartient pas à la région {}",
                            new.region.name()
                        ),
                    });
                }
                (Setting::Ght, None, Some(g.code))
            }
            _ => {
                return Err(StoreError::Invalid {
                    field: "setting",
                    message: "une revue se tient avec une entité juridique ou avec un GHT".into(),
                });
            }
        };
        let now = Utc::now();
        let txn = self.begin().await?;
        let row = review::ActiveModel {
            region_code: Set(new.region.as_str().to_owned()),
            setting: Set(setting.as_str().to_owned()),
            ej_finess: Set(ej.clone()),
            ght_code: Set(ght_code),
            held_on: Set(new.fields.held_on),
            participants: Set(new.fields.participants.join("\n")),
            minutes: Set(new.fields.minutes.clone()),
            author: Set(actor.label.clone()),
            row_version: Set(1),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        let r = to_review(row, String::new())?;
        audit::record(
            &txn,
            actor,
            Change {
                action: "review.create",
                entity_type: "review",
                entity_id: r.id.to_string(),
                region_code: Some(r.region.as_str().to_owned()),
                ej_finess: ej,
                before: None,
                after: Some(review_json(&r)),
            },
        )
        .await?;
        txn.commit().await?;
        self.review(r.id).await
    }

    /// One review.
    pub async fn review(&self, id: i64) -> Result<Review, StoreError> {
        let row = review::Entity::find_by_id(id)
            .one(self.db())
            .await?
            .ok_or(StoreError::NotFound)?;
        self.reviews_of(vec![row])
            .await?
            .pop()
            .ok_or(StoreError::NotFound)
    }

    /// Changes the date, participants and minutes of a review, at the version read.
    pub async fn update_review(
        &self,
        actor: &AuditActor,
        id: i64,
        fields: &ReviewFields,
        row_version: i64,
    ) -> Result<Review, StoreError> {
        let before = self.review(id).await?;
        let txn = self.begin().await?;
        let done = review::Entity::update_many()
            .col_expr(review::Column::HeldOn, Expr::value(fields.held_on))
            .col_expr(
                review::Column::Participants,
                Expr::value(fields.participants.join("\n")),
            )
            .col_expr(review::Column::Minutes, Expr::value(fields.minutes.clone()))
            .col_expr(
                review::Column::RowVersion,
                Expr::value(row_version.saturating_add(1)),
            )
            .col_expr(review::Column::UpdatedAt, Expr::value(Utc::now()))
            .filter(review::Column::Id.eq(id))
            .filter(review::Column::RowVersion.eq(row_version))
            .exec(&txn)
            .await?;
        if done.rows_affected != 1 {
            return Err(StoreError::Conflict(
                "la revue a été modifiée entre-temps ; rechargez la page".into(),
            ));
        }
        let after = Review {
            held_on: fields.held_on,
            participants: fields.participants.clone(),
            minutes: fields.minutes.clone(),
            ..before.clone()
        };
        audit::record(
            &txn,
            actor,
            Change {
                action: "review.update",
                entity_type: "review",
                entity_id: id.to_string(),
                region_code: Some(before.region.as_str().to_owned()),
                ej_finess: before.ej.as_ref().map(ToString::to_string),
                before: Some(review_json(&before)),
                after: Some(review_json(&after)),
            },
        )
        .await?;
        txn.commit().await?;
        self.review(id).await
    }

    /// The GHT codes a legal entity is or was a member of.
    async fn ghts_of(&self, ej: &FinessId) -> Result<Vec<String>, StoreError> {
        Ok(ght_membership::Entity::find()
            .select_only()
            .column(ght_membership::Column::GhtCode)
            .filter(ght_membership::Column::EjFiness.eq(ej.as_str()))
            .into_tuple()
            .all(self.db())
            .await?)
    }

    /// The reviews a scope sees, newest first. Users of a legal entity see those held with
    /// it and with the GHTs it is or was a member of.
    pub async fn list_reviews(
        &self,
        scope: &ScopeFilter,
        filter: &ReviewFilter,
        page: u64,
        per_page: u64,
    ) -> Result<Page<Review>, StoreError> {
        let covering = |ej: &FinessId, ghts: Vec<String>| {
            Condition::any()
                .add(review::Column::EjFiness.eq(ej.as_str()))
                .add(review::Column::GhtCode.is_in(ghts))
        };
        let mut cond = match scope {
            ScopeFilter::All => Condition::all(),
            ScopeFilter::Region(r) => {
                Condition::all().add(review::Column::RegionCode.eq(r.as_str()))
            }
            ScopeFilter::LegalEntity(ej) => {
                Condition::all().add(covering(ej, self.ghts_of(ej).await?))
            }
            ScopeFilter::Nothing => return Ok(Page::empty(per_page)),
        };
        if let Some(ej) = &filter.ej {
            cond = cond.add(covering(ej, self.ghts_of(ej).await?));
        }
        if let Some(g) = &filter.ght {
            cond = cond.add(review::Column::GhtCode.eq(g.as_str()));
        }
        let page = crate::page_number(page);
        let paginator = review::Entity::find()
            .filter(cond)
            .order_by_desc(review::Column::HeldOn)
            .order_by_desc(review::Column::Id)
            .paginate(self.db(), per_page);
        let rows = paginator.fetch_page(page - 1).await?;
        let total = crate::total_items(page, per_page, rows.len(), paginator.num_items()).await?;
        Ok(Page {
            items: self.reviews_of(rows).await?,
            total,
            page,
            per_page,
        })
    }

    /// The legal entities a review covers: for a GHT, those that are or were its members
    /// (who may read it); `on` restricts them to the members on that day.
    pub async fn review_entities(
        &self,
        r: &Review,
        on: Option<NaiveDate>,
    ) -> Result<Vec<FinessId>, StoreError> {
        match (&r.ej, &r.ght) {
            (Some(ej), _) => Ok(vec![ej.clone()]),
            (None, Some(code)) => {
                let mut q = ght_membership::Entity::find()
                    .select_only()
                    .column(ght_membership::Column::EjFiness)
                    .filter(ght_membership::Column::GhtCode.eq(code.as_str()));
                if let Some(day) = on {
                    q = q.filter(super::campaigns::current_membership(day));
                }
                let mut finess: Vec<String> = q.into_tuple().all(self.db()).await?;
                finess.sort_unstable();
                finess.dedup();
                Ok(finess
                    .iter()
                    .filter_map(|f| FinessId::parse(f).ok())
                    .collect())
            }
            (None, None) => Ok(vec![]),
        }
    }

    /// The contracts a review covers: those of its entities (on the day it is held) whose
    /// period includes its year, by entity, each with its content in force: during an
    /// avenant, the version signed before, not the avenant's draft, whose engagements nobody
    /// has committed to yet.
    pub async fn review_contracts(&self, r: &Review) -> Result<Vec<Contract>, StoreError> {
        let ejs = self.review_entities(r, Some(r.held_on)).await?;
        let year = r.held_on.year();
        let ids: Vec<i64> = contract::Entity::find()
            .select_only()
            .column(contract::Column::Id)
            .filter(contract::Column::EjFiness.is_in(ejs.iter().map(FinessId::as_str)))
            .filter(contract::Column::StartYear.lte(year))
            .filter(contract::Column::EndYear.gte(year))
            .order_by_asc(contract::Column::EjFiness)
            .order_by_asc(contract::Column::Id)
            .into_tuple()
            .all(self.db())
            .await?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            let mut c = self.contract(id).await?;
            c.content = crate::repo::contracts::content_in_force(self.db(), &c).await?;
            out.push(c);
        }
        Ok(out)
    }

    /// The actions of a review's road map, by due date.
    pub async fn review_actions(&self, review_id: i64) -> Result<Vec<ReviewAction>, StoreError> {
        review_action::Entity::find()
            .filter(review_action::Column::ReviewId.eq(review_id))
            .order_by_asc(review_action::Column::DueOn)
            .order_by_asc(review_action::Column::Id)
            .all(self.db())
            .await?
            .into_iter()
            .map(to_action)
            .collect()
    }

    /// The actions that serve an engagement of a contract, with their reviews, by due date.
    pub async fn contract_actions(
        &self,
        contract_id: i64,
    ) -> Result<Vec<(Review, ReviewAction)>, StoreError> {
        let rows = review_action::Entity::find()
            .filter(review_action::Column::Engagements.contains(format!("\"{contract_id}:")))
            .order_by_asc(review_action::Column::DueOn)
            .order_by_asc(review_action::Column::Id)
            .all(self.db())
            .await?;
        let mut reviews: HashMap<i64, Review> = HashMap::new();
        let mut out = vec![];
        for row in rows {
            let a = to_action(row)?;
            if !a.engagements.iter().any(|e| e.contract_id == contract_id) {
                continue;
            }
            let r = match reviews.get(&a.review_id) {
                Some(r) => r.clone(),
                None => {
                    let r = self.review(a.review_id).await?;
                    reviews.insert(r.id, r.clone());
                    r
                }
            };
            out.push((r, a));
        }
        Ok(out)
    }

    /// Adds an action to a review's road map.
    pub async fn add_review_action(
        &self,
        actor: &AuditActor,
        r: &Review,
        fields: &ActionFields,
    ) -> Result<ReviewAction, StoreError> {
        let now = Utc::now();
        let txn = self.begin().await?;
        let row = review_action::ActiveModel {
            review_id: Set(r.id),
            title: Set(fields.title.clone()),
            owner: Set(fields.owner.clone()),
            due_on: Set(fields.due_on),
            status: Set(fields.status.as_str().to_owned()),
            engagements: Set(engagements_text(&fields.engagements)),
            row_version: Set(1),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        let a = to_action(row)?;
        audit::record(
            &txn,
            actor,
            Change {
                action: "review_action.create",
                entity_type: "review_action",
                entity_id: a.id.to_string(),
                region_code: Some(r.region.as_str().to_owned()),
                ej_finess: r.ej.as_ref().map(ToString::to_string),
                before: None,
                after: Some(action_json(&a)),
            },
        )
        .await?;
        txn.commit().await?;
        Ok(a)
    }

    /// One action of a review's road map.
    pub async fn review_action(&self, id: i64) -> Result<ReviewAction, StoreError> {
        to_action(
            review_action::Entity::find_by_id(id)
                .one(self.db())
                .await?
                .ok_or(StoreError::NotFound)?,
        )
    }

    /// Changes an action of a review's road map, at the version read.
    pub async fn update_review_action(
        &self,
        actor: &AuditActor,
        r: &Review,
        id: i64,
        fields: &ActionFields,
        row_version: i64,
    ) -> Result<ReviewAction, StoreError> {
        let before = self.review_action(id).await?;
        if before.review_id != r.id {
            return Err(StoreError::NotFound);
        }
        let txn = self.begin().await?;
        let done = review_action::Entity::update_many()
            .col_expr(
                review_action::Column::Title,
                Expr::value(fields.title.clone()),
            )
            .col_expr(
                review_action::Column::Owner,
                Expr::value(fields.owner.clone()),
            )
            .col_expr(review_action::Column::DueOn, Expr::value(fields.due_on))
            .col_expr(
                review_action::Column::Status,
                Expr::value(fields.status.as_str()),
            )
            .col_expr(
                review_action::Column::Engagements,
                Expr::value(engagements_text(&fields.engagements)),
            )
            .col_expr(
                review_action::Column::RowVersion,
                Expr::value(row_version.saturating_add(1)),
            )
            .col_expr(review_action::Column::UpdatedAt, Expr::value(Utc::now()))
            .filter(review_action::Column::Id.eq(id))
            .filter(review_action::Column::RowVersion.eq(row_version))
            .exec(&txn)
            .await?;
        if done.rows_affected != 1 {
            return Err(StoreError::Conflict(
                "l'action a été modifiée entre-temps ; rechargez la page".into(),
            ));
        }
        let after = ReviewAction {
            title: fields.title.clone(),
            owner: fields.owner.clone(),
            due_on: fields.due_on,
            status: fields.status,
            engagements: fields.engagements.clone(),
            ..before.clone()
        };
        audit::record(
            &txn,
            actor,
            Change {
                action: "review_action.update",
                entity_type: "review_action",
                entity_id: id.to_string(),
                region_code: Some(r.region.as_str().to_owned()),
                ej_finess: r.ej.as_ref().map(ToString::to_string),
                before: Some(action_json(&before)),
                after: Some(action_json(&after)),
            },
        )
        .await?;
        txn.commit().await?;
        self.review_action(id).await
    }
}
