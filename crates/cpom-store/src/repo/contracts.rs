//! Contracts (CPOM): one row per contract, for a legal entity and a catalogue version, with
//! its state and its content (engagements, diagnostic) as a JSON document. Every change is
//! made at the `row_version` the caller read, and audited; the history of a contract is its
//! audit trail.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use cpom_domain::contract::{ContractContent, ContractState};
use cpom_domain::registry::SizeBand;
use cpom_domain::{FinessId, RegionCode, ScopeFilter};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set,
};
use serde::Serialize;

use crate::audit::{self, AuditActor, Change};
use crate::entity::{
    contract, contract_comment, contract_version, ght_membership, legal_entity, user,
};
use crate::{Page, Store, StoreError};

/// A contract with its content.
#[derive(Debug, Clone, Serialize)]
pub struct Contract {
    /// Identifier.
    pub id: i64,
    /// Region.
    pub region: RegionCode,
    /// Legal entity.
    pub ej: FinessId,
    /// Name of the legal entity (from the registry).
    pub ej_name: String,
    /// Catalogue it is built from.
    pub catalogue_slug: String,
    /// Version of that catalogue.
    pub catalogue_version: i32,
    /// Title.
    pub title: String,
    /// First year.
    pub start_year: i32,
    /// Last year.
    pub end_year: i32,
    /// State.
    pub state: ContractState,
    /// Size band its targets were taken for.
    pub band: Option<SizeBand>,
    /// Number of the current version: 0 for the initial contract, n for avenant n (in
    /// force once signed; until then, the versions before it are in `contract_versions`).
    pub avenant: i32,
    /// Negotiator in charge (account id).
    pub negotiator_id: Option<i64>,
    /// Engagements and diagnostic.
    pub content: ContractContent,
    /// Version for concurrent changes.
    pub row_version: i64,
    /// Creation.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// Signature.
    pub signed_at: Option<DateTime<Utc>>,
}

/// What a new contract is.
#[derive(Debug, Clone)]
pub struct NewContract {
    /// Region.
    pub region: RegionCode,
    /// Legal entity.
    pub ej: FinessId,
    /// Catalogue.
    pub catalogue_slug: String,
    /// Its version.
    pub catalogue_version: i32,
    /// Title.
    pub title: String,
    /// First year.
    pub start_year: i32,
    /// Last year.
    pub end_year: i32,
    /// Band its targets are taken for.
    pub band: Option<SizeBand>,
    /// Negotiator in charge.
    pub negotiator_id: Option<i64>,
    /// First content.
    pub content: ContractContent,
}

/// Which contracts a listing returns.
#[derive(Debug, Clone, Default)]
pub struct ContractFilter {
    /// In this state.
    pub state: Option<ContractState>,
    /// Signed ones only (observers).
    pub signed_only: bool,
    /// Of this negotiator.
    pub negotiator_id: Option<i64>,
    /// Of this department (of the legal entity).
    pub department: Option<String>,
    /// Of the members of this GHT on `ght_on` (its code).
    pub ght: Option<String>,
    /// Day the GHT membership is read on.
    pub ght_on: Option<chrono::NaiveDate>,
}

pub(crate) fn to_contract(m: &contract::Model, ej_name: String) -> Result<Contract, StoreError> {
    let corrupt = |field: &'static str| StoreError::Invalid {
        field,
        message: format!("valeur enregistrée invalide pour le contrat {}", m.id),
    };
    Ok(Contract {
        id: m.id,
        region: RegionCode::parse(&m.region_code).map_err(|_| corrupt("region"))?,
        ej: FinessId::parse(&m.ej_finess).map_err(|_| corrupt("ej"))?,
        ej_name,
        catalogue_slug: m.catalogue_slug.clone(),
        catalogue_version: m.catalogue_version,
        title: m.title.clone(),
        start_year: m.start_year,
        end_year: m.end_year,
        state: ContractState::parse(&m.state).ok_or_else(|| corrupt("state"))?,
        band: m.band.as_deref().and_then(SizeBand::parse),
        avenant: m.avenant,
        negotiator_id: m.negotiator_id,
        content: serde_json::from_str(&m.document).map_err(|_| corrupt("document"))?,
        row_version: m.row_version,
        created_at: m.created_at,
        updated_at: m.updated_at,
        signed_at: m.signed_at,
    })
}

/// A comment of a negotiation thread.
#[derive(Debug, Clone, Serialize)]
pub struct ContractComment {
    /// Identifier.
    pub id: i64,
    /// Engagement it is about (`None`: the contract as a whole).
    pub engagement: Option<String>,
    /// Author's account.
    pub author_id: Option<i64>,
    /// Author's name as shown.
    pub author: String,
    /// `agency` or `establishment`.
    pub side: String,
    /// Text.
    pub body: String,
    /// When.
    pub created_at: DateTime<Utc>,
}

impl From<contract_comment::Model> for ContractComment {
    fn from(m: contract_comment::Model) -> Self {
        Self {
            id: m.id,
            engagement: m.engagement_key,
            author_id: m.author_id,
            author: m.author_label,
            side: m.author_side,
            body: m.body,
            created_at: m.created_at,
        }
    }
}

fn summary_json(m: &contract::Model) -> serde_json::Value {
    serde_json::json!({
        "id": m.id, "ej": m.ej_finess, "title": m.title, "state": m.state,
        "catalogue": format!("{}/v{}", m.catalogue_slug, m.catalogue_version),
        "row_version": m.row_version, "avenant": m.avenant,
    })
}

/// One contract row, in a transaction or not.
pub(crate) async fn load(
    db: &impl sea_orm::ConnectionTrait,
    id: i64,
) -> Result<contract::Model, StoreError> {
    contract::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(StoreError::NotFound)
}

/// The stored form of a contract's content.
fn document_of(content: &ContractContent) -> Result<String, StoreError> {
    serde_json::to_string(content).map_err(|e| StoreError::Invalid {
        field: "content",
        message: e.to_string(),
    })
}

/// Runs `update` on contract `id` if it is still at `row_version` (the update sets the next
/// one), and returns the row after it; a change made since the read is reported.
pub(crate) async fn update_at(
    txn: &sea_orm::DatabaseTransaction,
    id: i64,
    row_version: i64,
    update: sea_orm::UpdateMany<contract::Entity>,
) -> Result<contract::Model, StoreError> {
    let done = update
        .col_expr(
            contract::Column::RowVersion,
            Expr::value(row_version.saturating_add(1)),
        )
        .col_expr(contract::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(contract::Column::Id.eq(id))
        .filter(contract::Column::RowVersion.eq(row_version))
        .exec(txn)
        .await?;
    if done.rows_affected != 1 {
        return Err(stale());
    }
    load(txn, id).await
}

fn stale() -> StoreError {
    StoreError::Conflict("le contrat a été modifié entre-temps ; rechargez la page".into())
}

const SIGNED: [ContractState; 3] = [
    ContractState::Signed,
    ContractState::Expired,
    ContractState::Terminated,
];

impl Store {
    /// Creates a contract in preparation; refused while the legal entity has another
    /// contract of the same catalogue that is neither expired nor terminated. Audited.
    pub async fn create_contract(
        &self,
        actor: &AuditActor,
        new: &NewContract,
    ) -> Result<Contract, StoreError> {
        let txn = self.begin().await?;
        let open = contract::Entity::find()
            .filter(contract::Column::EjFiness.eq(new.ej.as_str()))
            .filter(contract::Column::CatalogueSlug.eq(&new.catalogue_slug))
            .filter(contract::Column::State.is_not_in([
                ContractState::Expired.as_str(),
                ContractState::Terminated.as_str(),
            ]))
            .one(&txn)
            .await?;
        if let Some(o) = open {
            return Err(StoreError::Duplicate {
                field: "ej",
                message: format!(
                    "l'entité juridique {} a déjà un contrat sur ce référentiel (n° {}, {})",
                    new.ej,
                    o.id,
                    ContractState::parse(&o.state).map_or("", |s| s.label())
                ),
            });
        }
        let ej_name = legal_entity::Entity::find()
            .filter(legal_entity::Column::Finess.eq(new.ej.as_str()))
            .one(&txn)
            .await?
            .map(|e| e.name)
            .ok_or(StoreError::NotFound)?;
        let now = Utc::now();
        let row = contract::ActiveModel {
            region_code: Set(new.region.to_string()),
            ej_finess: Set(new.ej.to_string()),
            catalogue_slug: Set(new.catalogue_slug.clone()),
            catalogue_version: Set(new.catalogue_version),
            title: Set(new.title.trim().to_owned()),
            start_year: Set(new.start_year),
            end_year: Set(new.end_year),
            state: Set(ContractState::Preparation.as_str().to_owned()),
            band: Set(new.band.map(|b| b.as_str().to_owned())),
            avenant: Set(0),
            document: Set(document_of(&new.content)?),
            negotiator_id: Set(new.negotiator_id),
            row_version: Set(1),
            created_at: Set(now),
            updated_at: Set(now),
            signed_at: Set(None),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        audit::record(
            &txn,
            actor,
            Change {
                action: "contract.create",
                entity_type: "contract",
                entity_id: row.id.to_string(),
                region_code: Some(row.region_code.clone()),
                ej_finess: Some(row.ej_finess.clone()),
                before: None,
                after: Some(summary_json(&row)),
            },
        )
        .await?;
        txn.commit().await?;
        to_contract(&row, ej_name)
    }

    /// One contract.
    pub async fn contract(&self, id: i64) -> Result<Contract, StoreError> {
        let (row, name) =
            super::with_entity_name::<contract::Entity>(self.db(), id, contract::Column::EjFiness)
                .await?;
        to_contract(&row, name)
    }

    /// The contract of a row, with the name of its legal entity.
    async fn with_name(&self, row: &contract::Model) -> Result<Contract, StoreError> {
        let names = self
            .entity_names(std::slice::from_ref(&row.ej_finess))
            .await?;
        to_contract(row, names.get(&row.ej_finess).cloned().unwrap_or_default())
    }

    pub(crate) async fn entity_names(
        &self,
        finess: &[String],
    ) -> Result<HashMap<String, String>, StoreError> {
        Ok(legal_entity::Entity::find()
            .filter(legal_entity::Column::Finess.is_in(finess.iter().map(String::as_str)))
            .all(self.db())
            .await?
            .into_iter()
            .map(|e| (e.finess, e.name))
            .collect())
    }

    /// The contracts of `scope`, newest first.
    pub async fn list_contracts(
        &self,
        scope: &ScopeFilter,
        filter: &ContractFilter,
        page: u64,
        per_page: u64,
    ) -> Result<Page<Contract>, StoreError> {
        let mut q = contract::Entity::find();
        match scope {
            ScopeFilter::All => {}
            ScopeFilter::Region(r) => q = q.filter(contract::Column::RegionCode.eq(r.as_str())),
            ScopeFilter::LegalEntity(ej) => {
                q = q.filter(contract::Column::EjFiness.eq(ej.as_str()));
            }
            ScopeFilter::Nothing => return Ok(Page::empty(per_page)),
        }
        if let Some(s) = filter.state {
            q = q.filter(contract::Column::State.eq(s.as_str()));
        }
        if filter.signed_only {
            q = q.filter(contract::Column::State.is_in(SIGNED.map(ContractState::as_str)));
        }
        if let Some(n) = filter.negotiator_id {
            q = q.filter(contract::Column::NegotiatorId.eq(n));
        }
        if let Some(d) = &filter.department {
            let ejs: Vec<String> = legal_entity::Entity::find()
                .filter(legal_entity::Column::Department.eq(d.as_str()))
                .all(self.db())
                .await?
                .into_iter()
                .map(|e| e.finess)
                .collect();
            q = q.filter(contract::Column::EjFiness.is_in(ejs));
        }
        if let Some(code) = &filter.ght {
            let on = filter.ght_on.unwrap_or_else(|| Utc::now().date_naive());
            let members: Vec<String> = ght_membership::Entity::find()
                .filter(ght_membership::Column::GhtCode.eq(code.as_str()))
                .filter(super::campaigns::current_membership(on))
                .all(self.db())
                .await?
                .into_iter()
                .map(|m| m.ej_finess)
                .collect();
            q = q.filter(contract::Column::EjFiness.is_in(members));
        }
        let page = crate::page_number(page);
        let paginator = q
            .order_by_desc(contract::Column::UpdatedAt)
            .order_by_desc(contract::Column::Id)
            .paginate(self.db(), per_page);
        let rows = paginator.fetch_page(page - 1).await?;
        let total = crate::total_items(page, per_page, rows.len(), paginator.num_items()).await?;
        let finess: Vec<String> = rows.iter().map(|r| r.ej_finess.clone()).collect();
        let names = self.entity_names(&finess).await?;
        let items = rows
            .iter()
            .map(|r| to_contract(r, names.get(&r.ej_finess).cloned().unwrap_or_default()))
            .collect::<Result<_, _>>()?;
        Ok(Page {
            items,
            total,
            page,
            per_page,
        })
    }

    /// Saves the content of a contract read at `row_version` (the caller checked that it
    /// may still change), after a change described by `what`. Audited with the engagement
    /// before and after.
    #[allow(clippy::too_many_arguments)]
    pub async fn save_contract_content(
        &self,
        actor: &AuditActor,
        id: i64,
        row_version: i64,
        content: &ContractContent,
        what: &str,
        item_before: Option<serde_json::Value>,
        item_after: Option<serde_json::Value>,
    ) -> Result<Contract, StoreError> {
        let txn = self.begin().await?;
        let row = load(&txn, id).await?;
        if row.row_version != row_version {
            return Err(stale());
        }
        if !ContractState::parse(&row.state).is_some_and(ContractState::editable) {
            return Err(StoreError::Invalid {
                field: "state",
                message: "les engagements ne changent plus une fois le contrat prêt à signer"
                    .into(),
            });
        }
        let update = contract::Entity::update_many().col_expr(
            contract::Column::Document,
            Expr::value(document_of(content)?),
        );
        let after = update_at(&txn, id, row_version, update).await?;
        let mut before_json = summary_json(&row);
        before_json["item"] = item_before.unwrap_or_default();
        let mut after_json = summary_json(&after);
        after_json["change"] = what.into();
        after_json["item"] = item_after.unwrap_or_default();
        audit::record(
            &txn,
            actor,
            Change {
                action: "contract.edit",
                entity_type: "contract",
                entity_id: id.to_string(),
                region_code: Some(row.region_code.clone()),
                ej_finess: Some(row.ej_finess.clone()),
                before: Some(before_json),
                after: Some(after_json),
            },
        )
        .await?;
        txn.commit().await?;
        self.with_name(&after).await
    }

    /// Posts a comment on a contract (or one of its engagements), by `author` (shown as
    /// `author_label`) of `side`. Audited.
    #[allow(clippy::too_many_arguments)]
    pub async fn add_contract_comment(
        &self,
        actor: &AuditActor,
        id: i64,
        engagement: Option<&str>,
        author_label: &str,
        side: &str,
        body: &str,
    ) -> Result<ContractComment, StoreError> {
        let txn = self.begin().await?;
        let row = load(&txn, id).await?;
        let comment = contract_comment::ActiveModel {
            contract_id: Set(id),
            engagement_key: Set(engagement.map(str::to_owned)),
            author_id: Set(actor.user_id),
            author_label: Set(author_label.to_owned()),
            author_side: Set(side.to_owned()),
            body: Set(body.to_owned()),
            created_at: Set(Utc::now()),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        audit::record(
            &txn,
            actor,
            Change {
                action: "contract.comment",
                entity_type: "contract",
                entity_id: id.to_string(),
                region_code: Some(row.region_code.clone()),
                ej_finess: Some(row.ej_finess.clone()),
                before: None,
                after: Some(serde_json::json!({
                    "comment": comment.id, "engagement": engagement, "body": body,
                })),
            },
        )
        .await?;
        txn.commit().await?;
        Ok(comment.into())
    }

    /// The comments of a contract, oldest first.
    pub async fn contract_comments(&self, id: i64) -> Result<Vec<ContractComment>, StoreError> {
        Ok(contract_comment::Entity::find()
            .filter(contract_comment::Column::ContractId.eq(id))
            .order_by_asc(contract_comment::Column::CreatedAt)
            .order_by_asc(contract_comment::Column::Id)
            .all(self.db())
            .await?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    /// Moves a contract read at `row_version` to `to` (the caller checked the move against
    /// the access policy), with its new content when given (the signatories of a
    /// signature); signing records the date. Audited with both states.
    #[allow(clippy::too_many_arguments)]
    pub async fn move_contract(
        &self,
        actor: &AuditActor,
        id: i64,
        row_version: i64,
        to: ContractState,
        note: Option<&str>,
        content: Option<&ContractContent>,
    ) -> Result<Contract, StoreError> {
        let txn = self.begin().await?;
        let row = load(&txn, id).await?;
        let from = ContractState::parse(&row.state).ok_or(StoreError::Invalid {
            field: "state",
            message: "état enregistré invalide".into(),
        })?;
        if row.row_version != row_version {
            return Err(stale());
        }
        if !from.next().contains(&to) {
            return Err(StoreError::Invalid {
                field: "to",
                message: format!(
                    "un contrat {} ne peut passer à l'état « {} »",
                    from.label(),
                    to.label()
                ),
            });
        }
        let mut update = contract::Entity::update_many()
            .col_expr(contract::Column::State, Expr::value(to.as_str()));
        if to == ContractState::Signed {
            update = update.col_expr(contract::Column::SignedAt, Expr::value(Utc::now()));
        }
        if let Some(content) = content {
            update = update.col_expr(
                contract::Column::Document,
                Expr::value(document_of(content)?),
            );
        }
        let after = update_at(&txn, id, row_version, update).await?;
        let mut after_json = summary_json(&after);
        after_json["from"] = from.as_str().into();
        after_json["note"] = note.map(str::trim).filter(|n| !n.is_empty()).into();
        audit::record(
            &txn,
            actor,
            Change {
                action: "contract.transition",
                entity_type: "contract",
                entity_id: id.to_string(),
                region_code: Some(row.region_code.clone()),
                ej_finess: Some(row.ej_finess.clone()),
                before: Some(summary_json(&row)),
                after: Some(after_json),
            },
        )
        .await?;
        txn.commit().await?;
        self.with_name(&after).await
    }

    /// Opens avenant n+1 on a contract in force read at `row_version`: the signed version
    /// is kept as it is in `contract_versions`, and the contract goes back to preparation
    /// with the same engagements, without signatures; audited.
    pub async fn propose_avenant(
        &self,
        actor: &AuditActor,
        id: i64,
        row_version: i64,
        note: Option<&str>,
    ) -> Result<Contract, StoreError> {
        let txn = self.begin().await?;
        let row = load(&txn, id).await?;
        if row.row_version != row_version {
            return Err(stale());
        }
        let state = ContractState::parse(&row.state).ok_or(StoreError::Invalid {
            field: "state",
            message: "état enregistré invalide".into(),
        })?;
        if !cpom_domain::contract::may_amend(state) {
            return Err(StoreError::Conflict(format!(
                "un avenant se propose sur un contrat signé (en vigueur) ; ce contrat est {}",
                state.label()
            )));
        }
        let current = to_contract(&row, String::new())?;
        contract_version::ActiveModel {
            contract_id: Set(id),
            avenant: Set(row.avenant),
            document: Set(row.document.clone()),
            signed_at: Set(row.signed_at),
            created_at: Set(Utc::now()),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        let start = cpom_domain::contract::avenant_start(&current.content);
        let update = contract::Entity::update_many()
            .col_expr(
                contract::Column::State,
                Expr::value(ContractState::Preparation.as_str()),
            )
            .col_expr(contract::Column::Avenant, Expr::value(row.avenant + 1))
            .col_expr(
                contract::Column::Document,
                Expr::value(document_of(&start)?),
            )
            .col_expr(
                contract::Column::SignedAt,
                Expr::value(Option::<DateTime<Utc>>::None),
            );
        let after = update_at(&txn, id, row_version, update).await?;
        let mut after_json = summary_json(&after);
        after_json["note"] = note.map(str::trim).filter(|n| !n.is_empty()).into();
        audit::record(
            &txn,
            actor,
            Change {
                action: "contract.avenant",
                entity_type: "contract",
                entity_id: id.to_string(),
                region_code: Some(row.region_code.clone()),
                ej_finess: Some(row.ej_finess.clone()),
                before: Some(summary_json(&row)),
                after: Some(after_json),
            },
        )
        .await?;
        txn.commit().await?;
        self.with_name(&after).await
    }

    /// The signed versions a contract had before its current one, oldest first.
    pub async fn contract_versions(&self, id: i64) -> Result<Vec<ContractVersion>, StoreError> {
        contract_version::Entity::find()
            .filter(contract_version::Column::ContractId.eq(id))
            .order_by_asc(contract_version::Column::Avenant)
            .all(self.db())
            .await?
            .into_iter()
            .map(version_from)
            .collect()
    }

    /// The content of a contract's version in force (see [`content_in_force`]).
    pub async fn content_in_force(&self, c: &Contract) -> Result<ContractContent, StoreError> {
        content_in_force(self.db(), c).await
    }
}

/// A stored signed version.
fn version_from(m: contract_version::Model) -> Result<ContractVersion, StoreError> {
    Ok(ContractVersion {
        avenant: m.avenant,
        signed_at: m.signed_at,
        content: serde_json::from_str(&m.document).map_err(|e| StoreError::Invalid {
            field: "content",
            message: format!(
                "version {} du contrat {} illisible : {e}",
                m.avenant, m.contract_id
            ),
        })?,
    })
}

/// The content of a contract's version in force: its own, except under an avenant
/// ([`cpom_domain::contract::under_avenant`]), whose draft it then holds: the version signed
/// before it.
pub(crate) async fn content_in_force(
    conn: &impl sea_orm::ConnectionTrait,
    c: &Contract,
) -> Result<ContractContent, StoreError> {
    if cpom_domain::contract::under_avenant(c.state, c.avenant) {
        let last = contract_version::Entity::find()
            .filter(contract_version::Column::ContractId.eq(c.id))
            .order_by_desc(contract_version::Column::Avenant)
            .one(conn)
            .await?;
        if let Some(m) = last {
            return Ok(version_from(m)?.content);
        }
    }
    Ok(c.content.clone())
}

/// A signed version of a contract, kept when an avenant was opened.
#[derive(Debug, Clone, Serialize)]
pub struct ContractVersion {
    /// Its number: 0 for the initial contract, n for avenant n.
    pub avenant: i32,
    /// When it was signed.
    pub signed_at: Option<DateTime<Utc>>,
    /// Its engagements, diagnostic, signatories and frozen registry facts.
    pub content: ContractContent,
}

/// An agency account that may negotiate contracts of a region.
#[derive(Debug, Clone, Serialize)]
pub struct Negotiator {
    /// Account id.
    pub id: i64,
    /// Name.
    pub name: String,
}

impl Store {
    /// The active administrators and referents of a region's agency: who may negotiate its
    /// contracts, by name.
    pub async fn negotiators(&self, region: &RegionCode) -> Result<Vec<Negotiator>, StoreError> {
        Ok(user::Entity::find()
            .filter(user::Column::Active.eq(true))
            .filter(user::Column::RegionCode.eq(region.as_str()))
            .filter(user::Column::Role.is_in([
                cpom_domain::Role::ArsAdmin.as_str(),
                cpom_domain::Role::ArsReferent.as_str(),
            ]))
            .order_by_asc(user::Column::DisplayName)
            .all(self.db())
            .await?
            .into_iter()
            .map(|u| Negotiator {
                id: u.id,
                name: u.display_name,
            })
            .collect())
    }

    /// Gives a contract read at `row_version` its negotiator (`None`: nobody); audited.
    pub async fn set_negotiator(
        &self,
        actor: &AuditActor,
        id: i64,
        row_version: i64,
        negotiator: Option<i64>,
    ) -> Result<Contract, StoreError> {
        let txn = self.begin().await?;
        let row = load(&txn, id).await?;
        if let Some(n) = negotiator {
            let ok = user::Entity::find_by_id(n)
                .filter(user::Column::Active.eq(true))
                .filter(user::Column::RegionCode.eq(row.region_code.as_str()))
                .filter(user::Column::Role.is_in([
                    cpom_domain::Role::ArsAdmin.as_str(),
                    cpom_domain::Role::ArsReferent.as_str(),
                ]))
                .one(&txn)
                .await?
                .is_some();
            if !ok {
                return Err(StoreError::Invalid {
                    field: "negotiator",
                    message: "le négociateur doit être un agent actif de l'ARS de la région".into(),
                });
            }
        }
        let update = contract::Entity::update_many()
            .col_expr(contract::Column::NegotiatorId, Expr::value(negotiator));
        let after = update_at(&txn, id, row_version, update).await?;
        audit::record(
            &txn,
            actor,
            Change {
                action: "contract.negotiator",
                entity_type: "contract",
                entity_id: id.to_string(),
                region_code: Some(row.region_code.clone()),
                ej_finess: Some(row.ej_finess.clone()),
                before: Some(serde_json::json!({"negotiator": row.negotiator_id})),
                after: Some(serde_json::json!({"negotiator": negotiator})),
            },
        )
        .await?;
        txn.commit().await?;
        self.with_name(&after).await
    }
}
