//! Yearly campaigns: opening one creates, in one transaction, a declaration per engagement
//! indicator (and bound site) of every contract followed that year in its perimeter; each
//! step of a declaration is made at the `row_version` read, kept with its value in the
//! declaration's history, and audited.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use cpom_domain::campaign::{DeclarationState, LoadTarget, Planned, Value, ValueSource};
use cpom_domain::catalogue::IndicatorKind;
use cpom_domain::catalogue::Verdict;
use cpom_domain::dashboard::Fact as DashboardFact;
use cpom_domain::evaluation::Override;
use cpom_domain::{FinessId, RegionCode, ScopeFilter};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use serde::Serialize;

use crate::audit::{self, AuditActor, Change};
use crate::entity::{
    campaign, contract, declaration, declaration_evidence, declaration_history, evidence, ght,
    ght_membership, legal_entity, value_import,
};
use crate::{Page, Store, StoreError};

/// Which contracts a campaign follows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum Perimeter {
    /// Every contract of the region.
    Region,
    /// The contracts of the legal entities of a department.
    Department(String),
    /// A list of contracts.
    Contracts(Vec<i64>),
}

impl Perimeter {
    fn stored(&self) -> (&'static str, String) {
        match self {
            Perimeter::Region => ("region", String::new()),
            Perimeter::Department(d) => ("department", d.clone()),
            Perimeter::Contracts(ids) => (
                "contracts",
                ids.iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(","),
            ),
        }
    }

    fn read(kind: &str, value: &str) -> Self {
        match kind {
            "department" => Perimeter::Department(value.to_owned()),
            "contracts" => Perimeter::Contracts(
                value
                    .split(',')
                    .filter_map(|v| v.trim().parse().ok())
                    .collect(),
            ),
            _ => Perimeter::Region,
        }
    }

    /// In French.
    pub fn label(&self) -> String {
        match self {
            Perimeter::Region => "toute la région".into(),
            Perimeter::Department(d) => format!("département {d}"),
            Perimeter::Contracts(ids) => format!("{} contrat(s) choisi(s)", ids.len()),
        }
    }
}

/// A campaign.
#[derive(Debug, Clone, Serialize)]
pub struct Campaign {
    /// Identifier.
    pub id: i64,
    /// Region.
    pub region: RegionCode,
    /// Year followed.
    pub year: i32,
    /// Title.
    pub title: String,
    /// Deadline for the establishments.
    pub deadline: NaiveDate,
    /// Contracts followed.
    pub perimeter: Perimeter,
    /// Open (declarations may be entered).
    pub open: bool,
    /// Version for changes.
    pub row_version: i64,
    /// Opened at.
    pub created_at: DateTime<Utc>,
    /// Closed at.
    pub closed_at: Option<DateTime<Utc>>,
}

fn to_campaign(m: campaign::Model) -> Result<Campaign, StoreError> {
    Ok(Campaign {
        id: m.id,
        region: RegionCode::parse(&m.region_code).map_err(crate::repo::legal_entities::corrupt)?,
        year: m.year,
        title: m.title,
        deadline: m.deadline,
        perimeter: Perimeter::read(&m.perimeter_kind, &m.perimeter_value),
        open: m.state == "open",
        row_version: m.row_version,
        created_at: m.created_at,
        closed_at: m.closed_at,
    })
}

/// A campaign to open.
#[derive(Debug, Clone)]
pub struct NewCampaign {
    /// Region.
    pub region: RegionCode,
    /// Year followed.
    pub year: i32,
    /// Title.
    pub title: String,
    /// Deadline.
    pub deadline: NaiveDate,
    /// Contracts followed.
    pub perimeter: Perimeter,
}

/// A campaign with the count of its declarations by state.
#[derive(Debug, Clone, Serialize)]
pub struct CampaignSummary {
    /// The campaign.
    #[serde(flatten)]
    pub campaign: Campaign,
    /// Declarations by state (those the caller sees).
    pub counts: Vec<(DeclarationState, u64)>,
}

/// A declaration.
#[derive(Debug, Clone, Serialize)]
pub struct Declaration {
    /// Identifier.
    pub id: i64,
    /// Campaign.
    pub campaign_id: i64,
    /// Contract.
    pub contract_id: i64,
    /// Region.
    pub region: RegionCode,
    /// Legal entity.
    pub ej: FinessId,
    /// Its name.
    pub ej_name: String,
    /// Engagement key.
    pub engagement: String,
    /// Indicator code.
    pub indicator: String,
    /// Indicator title.
    pub indicator_title: String,
    /// Kind of value.
    pub kind: IndicatorKind,
    /// Site, when the engagement binds sites.
    pub site: Option<FinessId>,
    /// State.
    pub state: DeclarationState,
    /// The value saved.
    pub value: Option<Value>,
    /// The establishment's comment.
    pub comment: Option<String>,
    /// Version for changes.
    pub row_version: i64,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// The import of the agency the value came from, when it was loaded in bulk.
    pub value_import: Option<i64>,
    /// The source of that import.
    pub value_source: Option<ValueSource>,
    /// Whether the establishment contested the value the agency loaded.
    pub contested: bool,
    /// The verdict, kept up to date with the value, the targets and the override.
    pub verdict: Option<Verdict>,
    /// Why.
    pub verdict_reason: Option<String>,
    /// The agency's override, if any.
    pub overridden: Option<Override>,
}

fn to_declaration(m: declaration::Model, ej_name: String) -> Result<Declaration, StoreError> {
    let corrupt = |field: &'static str| StoreError::Invalid {
        field,
        message: format!("valeur enregistrée invalide pour la déclaration {}", m.id),
    };
    Ok(Declaration {
        id: m.id,
        campaign_id: m.campaign_id,
        contract_id: m.contract_id,
        region: RegionCode::parse(&m.region_code).map_err(|_| corrupt("region"))?,
        ej: FinessId::parse(&m.ej_finess).map_err(|_| corrupt("ej"))?,
        ej_name,
        engagement: m.engagement_key,
        indicator: m.indicator_code,
        indicator_title: m.indicator_title,
        kind: IndicatorKind::parse(&m.kind).ok_or_else(|| corrupt("kind"))?,
        site: m
            .site_finess
            .as_deref()
            .map(FinessId::parse)
            .transpose()
            .map_err(|_| corrupt("site"))?,
        state: DeclarationState::parse(&m.state).ok_or_else(|| corrupt("state"))?,
        value: m
            .value
            .as_deref()
            .map(serde_json::from_str)
            .transpose()
            .map_err(|_| corrupt("value"))?,
        comment: m.comment,
        row_version: m.row_version,
        updated_at: m.updated_at,
        value_import: m.value_import_id,
        value_source: m.value_source.as_deref().and_then(ValueSource::parse),
        contested: m.contested,
        verdict: m.verdict.as_deref().and_then(Verdict::parse),
        verdict_reason: m.verdict_reason,
        overridden: match (
            m.override_verdict.as_deref().and_then(Verdict::parse),
            m.override_reason,
        ) {
            (Some(verdict), Some(justification)) => Some(Override {
                verdict,
                justification,
            }),
            _ => None,
        },
    })
}

/// Values loaded in bulk by the agency into a campaign.
#[derive(Debug, Clone, Serialize)]
pub struct ValueImport {
    /// Identifier.
    pub id: i64,
    /// Campaign.
    pub campaign_id: i64,
    /// Source.
    pub source: ValueSource,
    /// What the file holds (the extraction, its date…), as the agency described it.
    pub detail: String,
    /// Name of the file.
    pub file_name: String,
    /// SHA-256 of the file.
    pub checksum: String,
    /// Values loaded.
    pub lines: i64,
    /// Who loaded it.
    pub actor: String,
    /// When.
    pub created_at: DateTime<Utc>,
}

impl From<value_import::Model> for ValueImport {
    fn from(m: value_import::Model) -> Self {
        ValueImport {
            id: m.id,
            campaign_id: m.campaign_id,
            source: ValueSource::parse(&m.source).unwrap_or(ValueSource::Other),
            detail: m.detail,
            file_name: m.file_name,
            checksum: m.checksum,
            lines: m.lines,
            actor: m.actor,
            created_at: m.created_at,
        }
    }
}

/// An import of values to record.
#[derive(Debug, Clone)]
pub struct NewValueImport<'a> {
    /// Source.
    pub source: ValueSource,
    /// Description.
    pub detail: &'a str,
    /// Name of the file.
    pub file_name: &'a str,
    /// SHA-256 of the file.
    pub checksum: &'a str,
}

/// One step of a declaration's history.
#[derive(Debug, Clone, Serialize)]
pub struct HistoryStep {
    /// What was done (French).
    pub step: String,
    /// State before.
    pub from: DeclarationState,
    /// State after.
    pub to: DeclarationState,
    /// The value then.
    pub value: Option<Value>,
    /// The comment then.
    pub comment: Option<String>,
    /// The reason of a return or reopening.
    pub reason: Option<String>,
    /// Who.
    pub author: String,
    /// When.
    pub at: DateTime<Utc>,
}

/// Filters of the declarations of a campaign.
#[derive(Debug, Clone, Default)]
pub struct DeclarationFilter {
    /// In this state.
    pub state: Option<DeclarationState>,
    /// Of this indicator.
    pub indicator: Option<String>,
    /// Of this legal entity.
    pub ej: Option<FinessId>,
    /// Of the legal entities of this department.
    pub department: Option<String>,
    /// Of the legal entities of this size band (the override when set, else the computed).
    pub band: Option<cpom_domain::registry::SizeBand>,
    /// Of the legal entities that belong today to this GHT.
    pub ght: Option<String>,
    /// Of the contracts of this negotiator.
    pub negotiator: Option<i64>,
    /// Only the values the establishment contested.
    pub contested_only: bool,
}

/// A step to record on a declaration.
#[derive(Debug, Clone)]
pub struct DeclarationStep<'a> {
    /// What is done (French, for the history).
    pub label: &'a str,
    /// The state it leads to.
    pub to: DeclarationState,
    /// The new value, if it changes.
    pub value: Option<&'a Value>,
    /// The new comment, if it changes.
    pub comment: Option<Option<&'a str>>,
    /// The reason of a return or reopening.
    pub reason: Option<&'a str>,
    /// Whether the value is now contested by the establishment, if that changes.
    pub contested: Option<bool>,
    /// The agency's override, if that changes (`Some(None)` removes it).
    pub overridden: Option<Option<&'a Override>>,
}

const BATCH: usize = 500;

/// Rows per read of [`Store::all_declarations`].
const ALL_DECLARATIONS_PAGE: u64 = 1000;

/// The declarations of a campaign counted by entity and by indicator (see
/// [`Store::campaign_facts`]).
pub type FactSets = (Vec<DashboardFact>, Vec<DashboardFact>);

/// The counts of the dashboards, by campaign and scope, with the last change they reflect.
#[derive(Clone, Debug, Default)]
pub struct DashboardCache(
    std::sync::Arc<std::sync::RwLock<HashMap<(i64, String), CachedFacts>>>,
    std::sync::Arc<tokio::sync::Mutex<()>>,
);

type CachedFacts = (Option<DateTime<Utc>>, std::sync::Arc<FactSets>);

/// A declaration as read to match a file of values: id, contract, legal entity, site,
/// indicator, kind, state, version.
type TargetRow = (
    i64,
    i64,
    String,
    Option<String>,
    String,
    String,
    String,
    i64,
);

/// An evidence file of an establishment's library.
#[derive(Debug, Clone, Serialize)]
pub struct Evidence {
    /// Identifier.
    pub id: i64,
    /// Legal entity it belongs to.
    pub ej: String,
    /// Name given by the uploader.
    pub file_name: String,
    /// Type recognised from its content (`pdf`, `png`, `jpeg`, `office_document`, `text`).
    pub file_type: String,
    /// SHA-256 of the content.
    pub sha256: String,
    /// Size in bytes.
    pub size: i64,
    /// Who filed it.
    pub uploaded_by: String,
    /// When.
    pub created_at: DateTime<Utc>,
    #[serde(skip)]
    path: String,
}

impl From<evidence::Model> for Evidence {
    fn from(m: evidence::Model) -> Self {
        Evidence {
            id: m.id,
            ej: m.ej_finess,
            file_name: m.file_name,
            file_type: m.file_type,
            sha256: m.sha256,
            size: m.size,
            uploaded_by: m.uploaded_by,
            created_at: m.created_at,
            path: m.path,
        }
    }
}

impl Store {
    /// Opens a campaign: one declaration per engagement indicator (and bound site) of every
    /// contract of its perimeter followed in its year, all in one transaction. Refused when
    /// an open campaign of the same region, year and perimeter exists, or when it would
    /// follow no contract.
    pub async fn open_campaign(
        &self,
        actor: &AuditActor,
        new: &NewCampaign,
    ) -> Result<(Campaign, u64), StoreError> {
        let (kind, value) = new.perimeter.stored();
        let txn = self.begin().await?;
        let twin = campaign::Entity::find()
            .filter(campaign::Column::RegionCode.eq(new.region.as_str()))
            .filter(campaign::Column::Year.eq(new.year))
            .filter(campaign::Column::PerimeterKind.eq(kind))
            .filter(campaign::Column::PerimeterValue.eq(value.as_str()))
            .filter(campaign::Column::State.eq("open"))
            .one(&txn)
            .await?;
        if let Some(t) = twin {
            return Err(StoreError::Conflict(format!(
                "la campagne « {} » couvre déjà cette année et ce périmètre ; closez-la d'abord",
                t.title
            )));
        }
        let mut query =
            contract::Entity::find().filter(contract::Column::RegionCode.eq(new.region.as_str()));
        match &new.perimeter {
            Perimeter::Region => {}
            Perimeter::Department(d) => {
                let ejs: Vec<String> = legal_entity::Entity::find()
                    .select_only()
                    .column(legal_entity::Column::Finess)
                    .filter(legal_entity::Column::Department.eq(d.as_str()))
                    .into_tuple::<String>()
                    .all(&txn)
                    .await?;
                query = query.filter(contract::Column::EjFiness.is_in(ejs));
            }
            Perimeter::Contracts(ids) => {
                query = query.filter(contract::Column::Id.is_in(ids.iter().copied()));
            }
        }
        let contracts = query.all(&txn).await?;
        if let Perimeter::Contracts(ids) = &new.perimeter
            && let Some(missing) = ids
                .iter()
                .find(|id| !contracts.iter().any(|c| c.id == **id))
        {
            return Err(StoreError::Invalid {
                field: "contracts",
                message: format!("pas de contrat n° {missing} dans la région"),
            });
        }
        let now = Utc::now();
        let created = campaign::ActiveModel {
            region_code: Set(new.region.to_string()),
            year: Set(new.year),
            title: Set(new.title.clone()),
            deadline: Set(new.deadline),
            perimeter_kind: Set(kind.to_owned()),
            perimeter_value: Set(value),
            state: Set("open".into()),
            row_version: Set(1),
            created_at: Set(now),
            closed_at: Set(None),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        let mut rows = vec![];
        let mut followed = 0u64;
        for m in &contracts {
            let c = super::contracts::to_contract(m, String::new())?;
            if !cpom_domain::campaign::followed(
                c.state,
                c.avenant,
                c.start_year,
                c.end_year,
                new.year,
            ) {
                continue;
            }
            followed += 1;
            // Under an avenant, the version signed before it: its draft is not in force.
            let content = super::contracts::content_in_force(&txn, &c).await?;
            for e in cpom_domain::campaign::expected(&content) {
                let Some(engagement) = content.engagements.iter().find(|x| x.key == e.engagement)
                else {
                    continue;
                };
                let Some(indicator) = &engagement.indicator else {
                    continue;
                };
                rows.push(declaration::ActiveModel {
                    campaign_id: Set(created.id),
                    contract_id: Set(c.id),
                    region_code: Set(c.region.to_string()),
                    ej_finess: Set(c.ej.to_string()),
                    engagement_key: Set(e.engagement.clone()),
                    indicator_code: Set(e.indicator.clone()),
                    indicator_title: Set(indicator.title.clone()),
                    kind: Set(indicator.kind.as_str().to_owned()),
                    site_finess: Set(e.site.as_ref().map(ToString::to_string)),
                    state: Set(DeclarationState::ToDo.as_str().to_owned()),
                    value: Set(None),
                    comment: Set(None),
                    verdict: Set(Some(Verdict::NonRenseigne.as_str().to_owned())),
                    verdict_reason: Set(Some(format!("valeur {} non encore soumise", new.year))),
                    row_version: Set(1),
                    updated_at: Set(now),
                    ..Default::default()
                });
            }
        }
        if rows.is_empty() {
            return Err(StoreError::Invalid {
                field: "perimeter",
                message: format!(
                    "aucun contrat en vigueur en {} avec un indicateur dans ce périmètre",
                    new.year
                ),
            });
        }
        let total = rows.len() as u64;
        let mut rest = rows;
        while !rest.is_empty() {
            let tail = rest.split_off(rest.len().min(BATCH));
            declaration::Entity::insert_many(rest)
                .exec_without_returning(&txn)
                .await?;
            rest = tail;
        }
        audit::record(
            &txn,
            actor,
            Change {
                action: "campaign.open",
                entity_type: "campaign",
                entity_id: created.id.to_string(),
                region_code: Some(new.region.to_string()),
                ej_finess: None,
                before: None,
                after: Some(serde_json::json!({
                    "year": new.year, "title": new.title, "deadline": new.deadline,
                    "perimeter": new.perimeter, "contracts": followed, "declarations": total,
                })),
            },
        )
        .await?;
        txn.commit().await?;
        // Tens of thousands of rows just written: refresh PostgreSQL's statistics now, or its
        // planner keeps estimating an empty table and walks the whole campaign for each page
        // of the validation queue until autovacuum gets to it (a bulk load does it once, at
        // its end).
        if self.backend() == sea_orm::DatabaseBackend::Postgres && !self.bulk_load {
            use sea_orm::ConnectionTrait;
            self.db().execute_unprepared("ANALYZE declarations").await?;
        }
        Ok((to_campaign(created)?, total))
    }

    /// One campaign.
    pub async fn campaign(&self, id: i64) -> Result<Campaign, StoreError> {
        to_campaign(
            campaign::Entity::find_by_id(id)
                .one(self.db())
                .await?
                .ok_or(StoreError::NotFound)?,
        )
    }

    /// The campaigns of a scope, newest first, with the count of the declarations the scope
    /// sees by state (an establishment: the campaigns where it has declarations).
    pub async fn list_campaigns(
        &self,
        scope: &ScopeFilter,
    ) -> Result<Vec<CampaignSummary>, StoreError> {
        let Some(in_scope) = crate::scope_condition(
            scope,
            declaration::Column::RegionCode,
            declaration::Column::EjFiness,
        ) else {
            return Ok(vec![]);
        };
        let counts: Vec<(i64, String, i64)> = declaration::Entity::find()
            .select_only()
            .column(declaration::Column::CampaignId)
            .column(declaration::Column::State)
            .column_as(declaration::Column::Id.count(), "n")
            .filter(in_scope)
            .group_by(declaration::Column::CampaignId)
            .group_by(declaration::Column::State)
            .into_tuple()
            .all(self.db())
            .await?;
        let mut by_campaign: HashMap<i64, Vec<(DeclarationState, u64)>> = HashMap::new();
        for (id, state, n) in counts {
            if let Some(s) = DeclarationState::parse(&state) {
                by_campaign
                    .entry(id)
                    .or_default()
                    .push((s, u64::try_from(n).unwrap_or(0)));
            }
        }
        let mut query = campaign::Entity::find();
        match scope {
            ScopeFilter::All => {}
            ScopeFilter::Region(r) => {
                query = query.filter(campaign::Column::RegionCode.eq(r.as_str()));
            }
            _ => {
                query = query.filter(campaign::Column::Id.is_in(by_campaign.keys().copied()));
            }
        }
        query
            .order_by_desc(campaign::Column::Year)
            .order_by_desc(campaign::Column::Id)
            .all(self.db())
            .await?
            .into_iter()
            .map(|m| {
                let id = m.id;
                let mut counts = by_campaign.remove(&id).unwrap_or_default();
                counts.sort_by_key(|(s, _)| DeclarationState::ALL.iter().position(|x| x == s));
                Ok(CampaignSummary {
                    campaign: to_campaign(m)?,
                    counts,
                })
            })
            .collect()
    }

    /// Closes a campaign read at `row_version`; audited.
    pub async fn close_campaign(
        &self,
        actor: &AuditActor,
        id: i64,
        row_version: i64,
    ) -> Result<Campaign, StoreError> {
        let txn = self.begin().await?;
        let row = campaign::Entity::find_by_id(id)
            .one(&txn)
            .await?
            .ok_or(StoreError::NotFound)?;
        if row.state != "open" {
            return Err(StoreError::Conflict("la campagne est déjà close".into()));
        }
        let done = campaign::Entity::update_many()
            .col_expr(campaign::Column::State, Expr::value("closed"))
            .col_expr(campaign::Column::ClosedAt, Expr::value(Utc::now()))
            .col_expr(
                campaign::Column::RowVersion,
                Expr::value(row_version.saturating_add(1)),
            )
            .filter(campaign::Column::Id.eq(id))
            .filter(campaign::Column::RowVersion.eq(row_version))
            .exec(&txn)
            .await?;
        if done.rows_affected != 1 {
            return Err(StoreError::Conflict(
                "la campagne a été modifiée entre-temps ; rechargez la page".into(),
            ));
        }
        audit::record(
            &txn,
            actor,
            Change {
                action: "campaign.close",
                entity_type: "campaign",
                entity_id: id.to_string(),
                region_code: Some(row.region_code.clone()),
                ej_finess: None,
                before: Some(serde_json::json!({"state": "open"})),
                after: Some(serde_json::json!({"state": "closed"})),
            },
        )
        .await?;
        txn.commit().await?;
        self.campaign(id).await
    }

    /// The declarations of a campaign that a scope sees, filtered, by entity then engagement.
    pub async fn list_declarations(
        &self,
        campaign_id: i64,
        scope: &ScopeFilter,
        filter: &DeclarationFilter,
        page: u64,
        per_page: u64,
    ) -> Result<Page<Declaration>, StoreError> {
        let Some(in_scope) = crate::scope_condition(
            scope,
            declaration::Column::RegionCode,
            declaration::Column::EjFiness,
        ) else {
            return Ok(Page::empty(per_page));
        };
        let mut cond = Condition::all()
            .add(declaration::Column::CampaignId.eq(campaign_id))
            .add(in_scope);
        if let Some(s) = filter.state {
            cond = cond.add(declaration::Column::State.eq(s.as_str()));
        }
        if let Some(i) = &filter.indicator {
            cond = cond.add(declaration::Column::IndicatorCode.eq(i.as_str()));
        }
        if filter.contested_only {
            cond = cond.add(declaration::Column::Contested.eq(true));
        }
        if let Some(ej) = &filter.ej {
            cond = cond.add(declaration::Column::EjFiness.eq(ej.as_str()));
        }
        if filter.department.is_some() || filter.band.is_some() {
            let mut q = legal_entity::Entity::find();
            if let Some(d) = &filter.department {
                q = q.filter(legal_entity::Column::Department.eq(d.as_str()));
            }
            let entities = q.all(self.db()).await?;
            let ejs: Vec<String> = entities
                .into_iter()
                .filter(|e| {
                    filter.band.is_none_or(|b| {
                        let band = e.band_override.as_deref().or(e.size_band.as_deref());
                        band == Some(b.as_str())
                    })
                })
                .map(|e| e.finess)
                .collect();
            cond = cond.add(declaration::Column::EjFiness.is_in(ejs));
        }
        if let Some(code) = &filter.ght {
            let members: Vec<String> = ght_membership::Entity::find()
                .select_only()
                .column(ght_membership::Column::EjFiness)
                .filter(ght_membership::Column::GhtCode.eq(code.as_str()))
                .filter(current_membership(Utc::now().date_naive()))
                .into_tuple()
                .all(self.db())
                .await?;
            cond = cond.add(declaration::Column::EjFiness.is_in(members));
        }
        if let Some(n) = filter.negotiator {
            let contracts: Vec<i64> = contract::Entity::find()
                .select_only()
                .column(contract::Column::Id)
                .filter(contract::Column::NegotiatorId.eq(n))
                .into_tuple()
                .all(self.db())
                .await?;
            cond = cond.add(declaration::Column::ContractId.is_in(contracts));
        }
        let page = crate::page_number(page);
        // A plain COUNT, which the queue's index answers alone (the paginator's count wraps
        // the whole query in a subquery).
        let total: i64 = declaration::Entity::find()
            .select_only()
            .column_as(declaration::Column::Id.count(), "n")
            .filter(cond.clone())
            .into_tuple()
            .one(self.db())
            .await?
            .unwrap_or(0);
        let rows = declaration::Entity::find()
            .filter(cond)
            .order_by_asc(declaration::Column::EjFiness)
            .order_by_asc(declaration::Column::ContractId)
            .order_by_asc(declaration::Column::Id)
            .limit(per_page)
            .offset((page - 1) * per_page)
            .all(self.db())
            .await?;
        let total = total.max(0) as u64;
        let items = self.named(rows).await?;
        Ok(Page {
            items,
            total,
            page,
            per_page,
        })
    }

    /// One declaration with its history, oldest step first.
    pub async fn declaration(
        &self,
        id: i64,
    ) -> Result<(Declaration, Vec<HistoryStep>), StoreError> {
        let (row, name) = super::with_entity_name::<declaration::Entity>(
            self.db(),
            id,
            declaration::Column::EjFiness,
        )
        .await?;
        let history = declaration_history::Entity::find()
            .filter(declaration_history::Column::DeclarationId.eq(id))
            .order_by_asc(declaration_history::Column::Id)
            .all(self.db())
            .await?
            .into_iter()
            .map(|h| HistoryStep {
                step: h.step,
                from: DeclarationState::parse(&h.state_from).unwrap_or(DeclarationState::ToDo),
                to: DeclarationState::parse(&h.state_to).unwrap_or(DeclarationState::ToDo),
                value: h
                    .value
                    .as_deref()
                    .and_then(|v| serde_json::from_str(v).ok()),
                comment: h.comment,
                reason: h.reason,
                author: h.author,
                at: h.created_at,
            })
            .collect();
        Ok((to_declaration(row, name)?, history))
    }

    /// Records a step on a declaration read at `row_version` (the caller checked it with the
    /// domain's workflow): its new state, value and comment, and a history row with the value
    /// then; audited.
    pub async fn record_declaration_step(
        &self,
        actor: &AuditActor,
        id: i64,
        row_version: i64,
        step: &DeclarationStep<'_>,
    ) -> Result<Declaration, StoreError> {
        let txn = self.begin().await?;
        let row = declaration::Entity::find_by_id(id)
            .one(&txn)
            .await?
            .ok_or(StoreError::NotFound)?;
        let value_json = match step.value {
            Some(v) => Some(serde_json::to_string(v).map_err(|e| StoreError::Invalid {
                field: "value",
                message: e.to_string(),
            })?),
            None => row.value.clone(),
        };
        let comment = match step.comment {
            Some(c) => c.map(str::to_owned),
            None => row.comment.clone(),
        };
        let (override_verdict, override_reason) = match step.overridden {
            Some(o) => (
                o.map(|o| o.verdict.as_str().to_owned()),
                o.map(|o| o.justification.clone()),
            ),
            None => (row.override_verdict.clone(), row.override_reason.clone()),
        };
        let done = declaration::Entity::update_many()
            .col_expr(declaration::Column::State, Expr::value(step.to.as_str()))
            .col_expr(declaration::Column::Value, Expr::value(value_json.clone()))
            .col_expr(declaration::Column::Comment, Expr::value(comment.clone()))
            .col_expr(
                declaration::Column::Contested,
                Expr::value(step.contested.unwrap_or(row.contested)),
            )
            .col_expr(
                declaration::Column::OverrideVerdict,
                Expr::value(override_verdict),
            )
            .col_expr(
                declaration::Column::OverrideReason,
                Expr::value(override_reason.clone()),
            )
            .col_expr(
                declaration::Column::RowVersion,
                Expr::value(row_version.saturating_add(1)),
            )
            .col_expr(declaration::Column::UpdatedAt, Expr::value(Utc::now()))
            .filter(declaration::Column::Id.eq(id))
            .filter(declaration::Column::RowVersion.eq(row_version))
            .exec(&txn)
            .await?;
        if done.rows_affected != 1 {
            return Err(StoreError::Conflict(
                "la déclaration a été modifiée entre-temps ; rechargez la page".into(),
            ));
        }
        declaration_history::ActiveModel {
            declaration_id: Set(id),
            step: Set(step.label.to_owned()),
            state_from: Set(row.state.clone()),
            state_to: Set(step.to.as_str().to_owned()),
            value: Set(value_json.clone()),
            comment: Set(comment.clone()),
            reason: Set(match step.overridden {
                Some(Some(o)) => Some(format!("{} : {}", o.verdict.label(), o.justification)),
                _ => step.reason.map(str::to_owned),
            }),
            author: Set(actor.label.clone()),
            created_at: Set(Utc::now()),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        audit::record(
            &txn,
            actor,
            Change {
                action: "declaration.step",
                entity_type: "declaration",
                entity_id: id.to_string(),
                region_code: Some(row.region_code.clone()),
                ej_finess: Some(row.ej_finess.clone()),
                before: Some(serde_json::json!({"state": row.state, "value": row.value})),
                after: Some(serde_json::json!({
                    "step": step.label, "state": step.to.as_str(), "value": value_json,
                    "reason": step.reason, "override": override_reason,
                })),
            },
        )
        .await?;
        txn.commit().await?;
        Ok(self.declaration(id).await?.0)
    }

    /// Files evidence into its legal entity's library (once per content: the same file again
    /// is the same evidence) and links it to a declaration; audited.
    pub async fn add_evidence(
        &self,
        actor: &AuditActor,
        declaration_id: i64,
        file_name: &str,
        file_type: &str,
        bytes: &[u8],
    ) -> Result<Evidence, StoreError> {
        let sha256 = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(bytes));
        let row = declaration::Entity::find_by_id(declaration_id)
            .one(self.db())
            .await?
            .ok_or(StoreError::NotFound)?;
        let relative = format!("evidence/{}/{sha256}", row.ej_finess);
        self.put_file(&relative, bytes).await?;
        let txn = self.begin().await?;
        let existing = evidence::Entity::find()
            .filter(evidence::Column::EjFiness.eq(row.ej_finess.as_str()))
            .filter(evidence::Column::Sha256.eq(sha256.as_str()))
            .one(&txn)
            .await?;
        let e = match existing {
            Some(e) => e,
            None => {
                evidence::ActiveModel {
                    ej_finess: Set(row.ej_finess.clone()),
                    file_name: Set(file_name.to_owned()),
                    file_type: Set(file_type.to_owned()),
                    sha256: Set(sha256.clone()),
                    size: Set(i64::try_from(bytes.len()).unwrap_or(i64::MAX)),
                    path: Set(relative),
                    uploaded_by: Set(actor.label.clone()),
                    created_at: Set(Utc::now()),
                    ..Default::default()
                }
                .insert(&txn)
                .await?
            }
        };
        link(&txn, declaration_id, e.id).await?;
        audit::record(
            &txn,
            actor,
            Change {
                action: "declaration.evidence",
                entity_type: "declaration",
                entity_id: declaration_id.to_string(),
                region_code: Some(row.region_code.clone()),
                ej_finess: Some(row.ej_finess.clone()),
                before: None,
                after: Some(serde_json::json!({
                    "evidence": e.id, "name": e.file_name, "sha256": e.sha256, "size": e.size,
                })),
            },
        )
        .await?;
        txn.commit().await?;
        Ok(e.into())
    }

    /// Links evidence already in the library of the declaration's legal entity (refused for
    /// another entity's evidence); audited.
    pub async fn link_evidence(
        &self,
        actor: &AuditActor,
        declaration_id: i64,
        evidence_id: i64,
    ) -> Result<Evidence, StoreError> {
        let txn = self.begin().await?;
        let row = declaration::Entity::find_by_id(declaration_id)
            .one(&txn)
            .await?
            .ok_or(StoreError::NotFound)?;
        let e = evidence::Entity::find_by_id(evidence_id)
            .filter(evidence::Column::EjFiness.eq(row.ej_finess.as_str()))
            .one(&txn)
            .await?
            .ok_or(StoreError::Invalid {
                field: "evidence",
                message: format!(
                    "pas de justificatif n° {evidence_id} dans la bibliothèque de l'établissement"
                ),
            })?;
        link(&txn, declaration_id, e.id).await?;
        audit::record(
            &txn,
            actor,
            Change {
                action: "declaration.evidence",
                entity_type: "declaration",
                entity_id: declaration_id.to_string(),
                region_code: Some(row.region_code.clone()),
                ej_finess: Some(row.ej_finess.clone()),
                before: None,
                after: Some(serde_json::json!({"evidence": e.id, "name": e.file_name})),
            },
        )
        .await?;
        txn.commit().await?;
        Ok(e.into())
    }

    /// The evidence linked to a declaration (one query).
    pub async fn declaration_evidence(
        &self,
        declaration_id: i64,
    ) -> Result<Vec<Evidence>, StoreError> {
        Ok(evidence::Entity::find()
            .filter(
                evidence::Column::Id.in_subquery(
                    sea_orm::sea_query::Query::select()
                        .column(declaration_evidence::Column::EvidenceId)
                        .from(declaration_evidence::Entity)
                        .and_where(declaration_evidence::Column::DeclarationId.eq(declaration_id))
                        .to_owned(),
                ),
            )
            .order_by_asc(evidence::Column::Id)
            .all(self.db())
            .await?
            .into_iter()
            .map(Evidence::from)
            .collect())
    }

    /// The evidence library of a legal entity, newest first.
    pub async fn evidence_library(&self, ej: &FinessId) -> Result<Vec<Evidence>, StoreError> {
        Ok(evidence::Entity::find()
            .filter(evidence::Column::EjFiness.eq(ej.as_str()))
            .order_by_desc(evidence::Column::Id)
            .all(self.db())
            .await?
            .into_iter()
            .map(Evidence::from)
            .collect())
    }

    /// Evidence linked to a declaration, and where its content is (else not found).
    pub async fn linked_evidence(
        &self,
        declaration_id: i64,
        evidence_id: i64,
    ) -> Result<(Evidence, std::path::PathBuf), StoreError> {
        let linked = declaration_evidence::Entity::find()
            .filter(declaration_evidence::Column::DeclarationId.eq(declaration_id))
            .filter(declaration_evidence::Column::EvidenceId.eq(evidence_id))
            .one(self.db())
            .await?
            .is_some();
        if !linked {
            return Err(StoreError::NotFound);
        }
        let e: Evidence = evidence::Entity::find_by_id(evidence_id)
            .one(self.db())
            .await?
            .ok_or(StoreError::NotFound)?
            .into();
        let path = self.files_dir().join(&e.path);
        Ok((e, path))
    }
}

async fn link(
    txn: &sea_orm::DatabaseTransaction,
    declaration_id: i64,
    evidence_id: i64,
) -> Result<(), StoreError> {
    let exists = declaration_evidence::Entity::find()
        .filter(declaration_evidence::Column::DeclarationId.eq(declaration_id))
        .filter(declaration_evidence::Column::EvidenceId.eq(evidence_id))
        .one(txn)
        .await?
        .is_some();
    if !exists {
        declaration_evidence::ActiveModel {
            declaration_id: Set(declaration_id),
            evidence_id: Set(evidence_id),
            created_at: Set(Utc::now()),
            ..Default::default()
        }
        .insert(txn)
        .await?;
    }
    Ok(())
}

impl Store {
    /// The value declared for the same engagement, indicator and site of the same contract in
    /// a campaign of the year before, if any.
    pub async fn last_year_value(
        &self,
        d: &Declaration,
        year: i32,
    ) -> Result<Option<(DeclarationState, Value)>, StoreError> {
        // One query: the campaigns of the year before are a subquery.
        let earlier = sea_orm::sea_query::Query::select()
            .column(campaign::Column::Id)
            .from(campaign::Entity)
            .and_where(campaign::Column::RegionCode.eq(d.region.as_str()))
            .and_where(campaign::Column::Year.eq(year - 1))
            .to_owned();
        let mut q = declaration::Entity::find()
            .filter(declaration::Column::CampaignId.in_subquery(earlier))
            .filter(declaration::Column::ContractId.eq(d.contract_id))
            .filter(declaration::Column::EngagementKey.eq(d.engagement.as_str()))
            .filter(declaration::Column::IndicatorCode.eq(d.indicator.as_str()));
        q = match &d.site {
            Some(s) => q.filter(declaration::Column::SiteFiness.eq(s.as_str())),
            None => q.filter(declaration::Column::SiteFiness.is_null()),
        };
        let Some(row) = q
            .order_by_desc(declaration::Column::Id)
            .one(self.db())
            .await?
        else {
            return Ok(None);
        };
        let state = DeclarationState::parse(&row.state).unwrap_or(DeclarationState::ToDo);
        Ok(row
            .value
            .as_deref()
            .and_then(|v| serde_json::from_str(v).ok())
            .map(|v| (state, v)))
    }

    /// Validates, at their current version, the submitted declarations among `ids` of a
    /// campaign, except the contested ones (the caller checked the agency's right on each);
    /// returns the contract of each one validated.
    pub async fn validate_declarations(
        &self,
        actor: &AuditActor,
        campaign_id: i64,
        ids: &[i64],
    ) -> Result<Vec<i64>, StoreError> {
        let rows = declaration::Entity::find()
            .filter(declaration::Column::CampaignId.eq(campaign_id))
            .filter(declaration::Column::Id.is_in(ids.iter().copied()))
            .filter(declaration::Column::State.eq(DeclarationState::Submitted.as_str()))
            // A contested value is decided one by one.
            .filter(declaration::Column::Contested.eq(false))
            .all(self.db())
            .await?;
        let mut done = vec![];
        for r in rows {
            match self
                .record_declaration_step(
                    actor,
                    r.id,
                    r.row_version,
                    &DeclarationStep {
                        label: "validation",
                        to: DeclarationState::Validated,
                        value: None,
                        comment: None,
                        reason: None,
                        contested: None,
                        overridden: None,
                    },
                )
                .await
            {
                Ok(_) => done.push(r.contract_id),
                // Changed meanwhile: left for a look one by one.
                Err(StoreError::Conflict(_)) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(done)
    }

    /// Who a campaign's reminders are for: the legal entities with declarations still to
    /// enter (to do, draft, returned), and whether declarations await the agency.
    pub async fn reminder_targets(
        &self,
        campaign_id: i64,
    ) -> Result<(Vec<FinessId>, bool), StoreError> {
        let pending: Vec<String> = declaration::Entity::find()
            .select_only()
            .column(declaration::Column::EjFiness)
            .distinct()
            .filter(declaration::Column::CampaignId.eq(campaign_id))
            .filter(declaration::Column::State.is_in([
                DeclarationState::ToDo.as_str(),
                DeclarationState::Draft.as_str(),
                DeclarationState::Returned.as_str(),
            ]))
            .into_tuple()
            .all(self.db())
            .await?;
        let submitted = declaration::Entity::find()
            .filter(declaration::Column::CampaignId.eq(campaign_id))
            .filter(declaration::Column::State.eq(DeclarationState::Submitted.as_str()))
            .count(self.db())
            .await?;
        Ok((
            pending
                .iter()
                .filter_map(|f| FinessId::parse(f).ok())
                .collect(),
            submitted > 0,
        ))
    }

    /// Records that an account got a reminder of a kind for a campaign on a day; `false` when
    /// it already got that one that day (then nothing is sent again).
    pub async fn record_reminder(
        &self,
        user_id: i64,
        campaign_id: i64,
        kind: &str,
        day: NaiveDate,
    ) -> Result<bool, StoreError> {
        let seen = crate::entity::reminder::Entity::find()
            .filter(crate::entity::reminder::Column::UserId.eq(user_id))
            .filter(crate::entity::reminder::Column::CampaignId.eq(campaign_id))
            .filter(crate::entity::reminder::Column::Kind.eq(kind))
            .filter(crate::entity::reminder::Column::Day.eq(day))
            .one(self.db())
            .await?
            .is_some();
        if seen {
            return Ok(false);
        }
        let inserted = crate::entity::reminder::ActiveModel {
            user_id: Set(user_id),
            campaign_id: Set(campaign_id),
            kind: Set(kind.to_owned()),
            day: Set(day),
            created_at: Set(Utc::now()),
            ..Default::default()
        }
        .insert(self.db())
        .await;
        // A reminder recorded at the same moment by another run hits the unique index.
        Ok(inserted.is_ok())
    }

    /// The declarations of a campaign as matching a file of values needs them.
    pub async fn load_targets(&self, campaign_id: i64) -> Result<Vec<LoadTarget>, StoreError> {
        let rows: Vec<TargetRow> = declaration::Entity::find()
            .select_only()
            .columns([
                declaration::Column::Id,
                declaration::Column::ContractId,
                declaration::Column::EjFiness,
                declaration::Column::SiteFiness,
                declaration::Column::IndicatorCode,
                declaration::Column::Kind,
                declaration::Column::State,
                declaration::Column::RowVersion,
            ])
            .filter(declaration::Column::CampaignId.eq(campaign_id))
            .into_tuple()
            .all(self.db())
            .await?;
        rows.into_iter()
            .map(
                |(id, contract, ej, site, indicator, kind, state, row_version)| {
                    let corrupt = |field: &'static str| StoreError::Invalid {
                        field,
                        message: format!("valeur enregistrée invalide pour la déclaration {id}"),
                    };
                    Ok(LoadTarget {
                        id,
                        contract,
                        ej,
                        site,
                        indicator,
                        kind: IndicatorKind::parse(&kind).ok_or_else(|| corrupt("kind"))?,
                        state: DeclarationState::parse(&state).ok_or_else(|| corrupt("state"))?,
                        row_version,
                    })
                },
            )
            .collect()
    }

    /// Writes the values of a file the agency loads into a campaign, all or nothing: each
    /// declaration at the version it was matched at (else nothing is written and the line is
    /// named), marked with the import and its source, its contestation cleared, kept in its
    /// history; a to-do declaration becomes a draft, a returned one stays returned. One
    /// audit row for the import.
    pub async fn load_values(
        &self,
        actor: &AuditActor,
        campaign: &Campaign,
        new: &NewValueImport<'_>,
        planned: &[Planned],
    ) -> Result<ValueImport, StoreError> {
        let txn = self.begin().await?;
        let now = Utc::now();
        let created = value_import::ActiveModel {
            campaign_id: Set(campaign.id),
            region_code: Set(campaign.region.to_string()),
            source: Set(new.source.as_str().to_owned()),
            detail: Set(new.detail.to_owned()),
            file_name: Set(new.file_name.to_owned()),
            checksum: Set(new.checksum.to_owned()),
            lines: Set(planned.len() as i64),
            actor: Set(actor.label.clone()),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        let label = format!(
            "valeur fournie par l'ARS ({}, import n° {})",
            new.source.label(),
            created.id
        );
        let states: HashMap<i64, String> = declaration::Entity::find()
            .select_only()
            .columns([declaration::Column::Id, declaration::Column::State])
            .filter(declaration::Column::CampaignId.eq(campaign.id))
            .into_tuple::<(i64, String)>()
            .all(&txn)
            .await?
            .into_iter()
            .collect();
        let mut history = Vec::with_capacity(planned.len());
        for p in planned {
            let from = states.get(&p.declaration).cloned().unwrap_or_default();
            let to = if from == DeclarationState::Returned.as_str() {
                DeclarationState::Returned
            } else {
                DeclarationState::Draft
            };
            let value_json = serde_json::to_string(&p.value).map_err(|e| StoreError::Invalid {
                field: "value",
                message: e.to_string(),
            })?;
            let done = declaration::Entity::update_many()
                .col_expr(declaration::Column::State, Expr::value(to.as_str()))
                .col_expr(declaration::Column::Value, Expr::value(value_json.clone()))
                .col_expr(declaration::Column::ValueImportId, Expr::value(created.id))
                .col_expr(
                    declaration::Column::ValueSource,
                    Expr::value(new.source.as_str()),
                )
                .col_expr(declaration::Column::Contested, Expr::value(false))
                .col_expr(
                    declaration::Column::RowVersion,
                    Expr::value(p.row_version.saturating_add(1)),
                )
                .col_expr(declaration::Column::UpdatedAt, Expr::value(now))
                .filter(declaration::Column::Id.eq(p.declaration))
                .filter(declaration::Column::CampaignId.eq(campaign.id))
                .filter(declaration::Column::RowVersion.eq(p.row_version))
                .exec(&txn)
                .await?;
            if done.rows_affected != 1 {
                return Err(StoreError::Conflict(format!(
                    "ligne {} : la déclaration a changé depuis l'aperçu ; envoyez à nouveau le fichier",
                    p.line
                )));
            }
            history.push(declaration_history::ActiveModel {
                declaration_id: Set(p.declaration),
                step: Set(label.clone()),
                state_from: Set(from),
                state_to: Set(to.as_str().to_owned()),
                value: Set(Some(value_json)),
                comment: Set(None),
                reason: Set(None),
                author: Set(actor.label.clone()),
                created_at: Set(now),
                ..Default::default()
            });
            if history.len() == BATCH {
                declaration_history::Entity::insert_many(std::mem::take(&mut history))
                    .exec(&txn)
                    .await?;
            }
        }
        if !history.is_empty() {
            declaration_history::Entity::insert_many(history)
                .exec(&txn)
                .await?;
        }
        audit::record(
            &txn,
            actor,
            Change {
                action: "campaign.values_loaded",
                entity_type: "campaign",
                entity_id: campaign.id.to_string(),
                region_code: Some(campaign.region.to_string()),
                ej_finess: None,
                before: None,
                after: Some(serde_json::json!({
                    "import": created.id, "source": new.source.as_str(), "detail": new.detail,
                    "file": new.file_name, "checksum": new.checksum, "lines": planned.len(),
                })),
            },
        )
        .await?;
        txn.commit().await?;
        Ok(created.into())
    }

    /// The imports of values of a campaign, latest first.
    pub async fn list_value_imports(
        &self,
        campaign_id: i64,
    ) -> Result<Vec<ValueImport>, StoreError> {
        Ok(value_import::Entity::find()
            .filter(value_import::Column::CampaignId.eq(campaign_id))
            .order_by_desc(value_import::Column::Id)
            .all(self.db())
            .await?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    /// One import of values.
    pub async fn value_import(&self, id: i64) -> Result<ValueImport, StoreError> {
        value_import::Entity::find_by_id(id)
            .one(self.db())
            .await?
            .map(Into::into)
            .ok_or(StoreError::NotFound)
    }

    /// The declarations of a campaign still waiting for a value (to do, draft, returned),
    /// optionally of one indicator, by entity then engagement: the lines of the template.
    pub async fn waiting_declarations(
        &self,
        campaign_id: i64,
        indicator: Option<&str>,
    ) -> Result<Vec<Declaration>, StoreError> {
        let mut q = declaration::Entity::find()
            .filter(declaration::Column::CampaignId.eq(campaign_id))
            .filter(declaration::Column::State.is_in([
                DeclarationState::ToDo.as_str(),
                DeclarationState::Draft.as_str(),
                DeclarationState::Returned.as_str(),
            ]));
        if let Some(i) = indicator {
            q = q.filter(declaration::Column::IndicatorCode.eq(i));
        }
        let rows = q
            .order_by_asc(declaration::Column::EjFiness)
            .order_by_asc(declaration::Column::ContractId)
            .order_by_asc(declaration::Column::Id)
            .all(self.db())
            .await?;
        self.named(rows).await
    }

    /// Every declaration of a contract, in every campaign, with its campaign's year.
    pub async fn contract_declarations(
        &self,
        contract_id: i64,
    ) -> Result<Vec<(i32, Declaration)>, StoreError> {
        let rows = declaration::Entity::find()
            .filter(declaration::Column::ContractId.eq(contract_id))
            .order_by_asc(declaration::Column::Id)
            .all(self.db())
            .await?;
        let campaign_ids: Vec<i64> = rows.iter().map(|r| r.campaign_id).collect();
        let years: HashMap<i64, i32> = campaign::Entity::find()
            .select_only()
            .columns([campaign::Column::Id, campaign::Column::Year])
            .filter(campaign::Column::Id.is_in(campaign_ids))
            .into_tuple::<(i64, i32)>()
            .all(self.db())
            .await?
            .into_iter()
            .collect();
        rows.into_iter()
            .map(|r| {
                let year = years.get(&r.campaign_id).copied().unwrap_or_default();
                Ok((year, to_declaration(r, String::new())?))
            })
            .collect()
    }

    /// The validated declarations of the other legal entities of a region in a size band
    /// (the override when set, else the computed), for some indicators: year, entity,
    /// indicator, value and verdict (for the anonymised comparison of a review pack).
    pub async fn peer_declarations(
        &self,
        region: &RegionCode,
        band: &str,
        indicators: &[String],
        except: &FinessId,
    ) -> Result<Vec<cpom_domain::review_pack::PeerValue>, StoreError> {
        let peers: Vec<String> = legal_entity::Entity::find()
            .filter(legal_entity::Column::RegionCode.eq(region.as_str()))
            .filter(legal_entity::Column::Finess.ne(except.as_str()))
            .filter(
                Condition::any()
                    .add(legal_entity::Column::BandOverride.eq(band))
                    .add(
                        Condition::all()
                            .add(legal_entity::Column::BandOverride.is_null())
                            .add(legal_entity::Column::SizeBand.eq(band)),
                    ),
            )
            .select_only()
            .column(legal_entity::Column::Finess)
            .into_tuple()
            .all(self.db())
            .await?;
        let years: HashMap<i64, i32> = campaign::Entity::find()
            .select_only()
            .columns([campaign::Column::Id, campaign::Column::Year])
            .filter(campaign::Column::RegionCode.eq(region.as_str()))
            .into_tuple::<(i64, i32)>()
            .all(self.db())
            .await?
            .into_iter()
            .collect();
        if peers.is_empty() || years.is_empty() || indicators.is_empty() {
            return Ok(vec![]);
        }
        let mut out = vec![];
        for chunk in peers.chunks(BATCH) {
            let rows = declaration::Entity::find()
                .select_only()
                .columns([
                    declaration::Column::CampaignId,
                    declaration::Column::EjFiness,
                    declaration::Column::IndicatorCode,
                    declaration::Column::Value,
                    declaration::Column::Verdict,
                ])
                .filter(declaration::Column::CampaignId.is_in(years.keys().copied()))
                .filter(
                    declaration::Column::IndicatorCode.is_in(indicators.iter().map(String::as_str)),
                )
                .filter(declaration::Column::State.eq(DeclarationState::Validated.as_str()))
                .filter(declaration::Column::RegionCode.eq(region.as_str()))
                .filter(declaration::Column::EjFiness.is_in(chunk.iter().map(String::as_str)))
                .into_tuple::<(i64, String, String, Option<String>, Option<String>)>()
                .all(self.db())
                .await?;
            out.extend(
                rows.into_iter()
                    .map(|(campaign, ej, indicator, value, verdict)| {
                        cpom_domain::review_pack::PeerValue {
                            year: years.get(&campaign).copied().unwrap_or_default(),
                            indicator,
                            ej,
                            value: value.and_then(|v| serde_json::from_str(&v).ok()),
                            verdict: verdict.as_deref().and_then(Verdict::parse),
                        }
                    }),
            );
        }
        Ok(out)
    }

    /// Records verdicts computed for declarations (derived from their values, targets and
    /// overrides: their version does not change), in one transaction.
    pub async fn set_verdicts(
        &self,
        verdicts: &[(i64, Verdict, String)],
    ) -> Result<(), StoreError> {
        if verdicts.is_empty() {
            return Ok(());
        }
        let txn = self.begin().await?;
        set_by_id(
            &txn,
            &["verdict", "verdict_reason"],
            verdicts
                .iter()
                .map(|(id, v, reason)| {
                    (*id, vec![Some(v.as_str().to_owned()), Some(reason.clone())])
                })
                .collect(),
            false,
        )
        .await?;
        txn.commit().await?;
        Ok(())
    }

    /// The declarations of a campaign that a scope sees, counted by entity, state and verdict
    /// (with the entity's name, department and size band), and by indicator, state and
    /// verdict: what the campaign's dashboard is computed from, in two grouped queries.
    pub async fn campaign_facts(
        &self,
        campaign_id: i64,
        scope: &ScopeFilter,
    ) -> Result<std::sync::Arc<FactSets>, StoreError> {
        // Kept in memory until a declaration of the campaign changes (every write sets its
        // `updated_at`; the newest one is read from an index): the figures stay live.
        let stamp: Option<DateTime<Utc>> = declaration::Entity::find()
            .select_only()
            .column_as(declaration::Column::UpdatedAt.max(), "m")
            .filter(declaration::Column::CampaignId.eq(campaign_id))
            .into_tuple::<Option<DateTime<Utc>>>()
            .one(self.db())
            .await?
            .flatten();
        let key = (campaign_id, format!("{scope:?}"));
        let cached = || {
            self.dashboards
                .0
                .read()
                .ok()
                .and_then(|cache| cache.get(&key).filter(|(at, _)| *at == stamp).cloned())
                .map(|(_, facts)| facts)
        };
        if let Some(facts) = cached() {
            return Ok(facts);
        }
        // One count at a time: the requests that arrive meanwhile wait for it and take it
        // from the cache instead of counting the same declarations again.
        let _counting = self.dashboards.1.lock().await;
        if let Some(facts) = cached() {
            return Ok(facts);
        }
        let facts = std::sync::Arc::new(self.count_facts(campaign_id, scope).await?);
        if let Ok(mut cache) = self.dashboards.0.write() {
            if cache.len() > 256 {
                cache.clear();
            }
            cache.insert(key, (stamp, facts.clone()));
        }
        Ok(facts)
    }

    async fn count_facts(
        &self,
        campaign_id: i64,
        scope: &ScopeFilter,
    ) -> Result<FactSets, StoreError> {
        let Some(in_scope) = crate::scope_condition(
            scope,
            declaration::Column::RegionCode,
            declaration::Column::EjFiness,
        ) else {
            return Ok((vec![], vec![]));
        };
        let grouped = |by: declaration::Column| {
            declaration::Entity::find()
                .select_only()
                .columns([by, declaration::Column::State, declaration::Column::Verdict])
                .column_as(declaration::Column::Id.count(), "n")
                .filter(declaration::Column::CampaignId.eq(campaign_id))
                .filter(in_scope.clone())
                .group_by(by)
                .group_by(declaration::Column::State)
                .group_by(declaration::Column::Verdict)
                .into_tuple::<(String, String, Option<String>, i64)>()
        };
        let by_entity = grouped(declaration::Column::EjFiness)
            .all(self.db())
            .await?;
        let by_indicator = grouped(declaration::Column::IndicatorCode)
            .all(self.db())
            .await?;
        let mut finess: Vec<String> = by_entity.iter().map(|r| r.0.clone()).collect();
        finess.sort_unstable();
        finess.dedup();
        let mut entities: HashMap<String, (String, String, String)> = HashMap::new();
        for chunk in finess.chunks(BATCH) {
            for e in legal_entity::Entity::find()
                .filter(legal_entity::Column::Finess.is_in(chunk.iter().map(String::as_str)))
                .all(self.db())
                .await?
            {
                let band = e
                    .band_override
                    .clone()
                    .or(e.size_band.clone())
                    .unwrap_or_default();
                entities.insert(
                    e.finess.clone(),
                    (e.name, e.department.unwrap_or_default(), band),
                );
            }
        }
        // The GHT each entity belongs to today.
        let today = Utc::now().date_naive();
        let mut ghts: HashMap<String, String> = HashMap::new();
        for chunk in finess.chunks(BATCH) {
            for m in ght_membership::Entity::find()
                .filter(ght_membership::Column::EjFiness.is_in(chunk.iter().map(String::as_str)))
                .filter(current_membership(today))
                .all(self.db())
                .await?
            {
                ghts.insert(m.ej_finess, m.ght_code);
            }
        }
        let ght_names: HashMap<String, String> = if ghts.is_empty() {
            HashMap::new()
        } else {
            let mut codes: Vec<&str> = ghts.values().map(String::as_str).collect();
            codes.sort_unstable();
            codes.dedup();
            ght::Entity::find()
                .filter(ght::Column::Code.is_in(codes))
                .all(self.db())
                .await?
                .into_iter()
                .map(|g| (g.code, g.name))
                .collect()
        };
        let fact = |state: &str, verdict: Option<String>, n: i64| DashboardFact {
            ej: String::new(),
            ej_name: String::new(),
            department: String::new(),
            band: String::new(),
            ght: String::new(),
            ght_name: String::new(),
            indicator: String::new(),
            state: DeclarationState::parse(state).unwrap_or(DeclarationState::ToDo),
            verdict: verdict.as_deref().and_then(Verdict::parse),
            count: n.max(0) as u64,
        };
        Ok((
            by_entity
                .into_iter()
                .map(|(ej, state, verdict, n)| {
                    let (name, department, band) = entities.get(&ej).cloned().unwrap_or_default();
                    let ght = ghts.get(&ej).cloned().unwrap_or_default();
                    DashboardFact {
                        ght_name: ght_names.get(&ght).cloned().unwrap_or_else(|| ght.clone()),
                        ght,
                        ej,
                        ej_name: name,
                        department,
                        band,
                        ..fact(&state, verdict, n)
                    }
                })
                .collect(),
            by_indicator
                .into_iter()
                .map(|(indicator, state, verdict, n)| DashboardFact {
                    indicator,
                    ..fact(&state, verdict, n)
                })
                .collect(),
        ))
    }

    /// Every declaration of a campaign that a scope sees, by entity then engagement (for the
    /// export).
    pub async fn all_declarations(
        &self,
        campaign_id: i64,
        scope: &ScopeFilter,
    ) -> Result<Vec<Declaration>, StoreError> {
        let Some(in_scope) = crate::scope_condition(
            scope,
            declaration::Column::RegionCode,
            declaration::Column::EjFiness,
        ) else {
            return Ok(vec![]);
        };
        // Read by pages of rows in the order of their ids, each page turned into
        // declarations before the next is read: a campaign holds up to tens of thousands of
        // rows, and holding them all as rows at once (on SQLite, the values copied by the
        // connection's thread) made the export's peak memory (BENCHMARKS.md, "Memory").
        let mut all = Vec::new();
        let mut after = 0_i64;
        loop {
            let rows = declaration::Entity::find()
                .filter(declaration::Column::CampaignId.eq(campaign_id))
                .filter(in_scope.clone())
                .filter(declaration::Column::Id.gt(after))
                .order_by_asc(declaration::Column::Id)
                .limit(ALL_DECLARATIONS_PAGE)
                .all(self.db())
                .await?;
            let Some(last) = rows.last() else { break };
            after = last.id;
            let full = rows.len() as u64 == ALL_DECLARATIONS_PAGE;
            for row in rows {
                all.push(to_declaration(row, String::new())?);
            }
            if !full {
                break;
            }
        }
        all.sort_by(|a, b| {
            (a.ej.as_str(), a.contract_id, a.id).cmp(&(b.ej.as_str(), b.contract_id, b.id))
        });
        let names = self
            .names_in_batches(all.iter().map(|d| d.ej.as_str().to_owned()).collect())
            .await?;
        for d in &mut all {
            if let Some(name) = names.get(d.ej.as_str()) {
                d.ej_name.clone_from(name);
            }
        }
        Ok(all)
    }

    /// The names of legal entities, read [`BATCH`] at a time.
    async fn names_in_batches(
        &self,
        mut finess: Vec<String>,
    ) -> Result<HashMap<String, String>, StoreError> {
        finess.sort_unstable();
        finess.dedup();
        let mut names = HashMap::new();
        for chunk in finess.chunks(BATCH) {
            names.extend(self.entity_names(chunk).await?);
        }
        Ok(names)
    }

    /// Declarations as read, with their legal entity's name (read in batches).
    async fn named(&self, rows: Vec<declaration::Model>) -> Result<Vec<Declaration>, StoreError> {
        let names = self
            .names_in_batches(rows.iter().map(|r| r.ej_finess.clone()).collect())
            .await?;
        rows.into_iter()
            .map(|r| {
                let name = names.get(&r.ej_finess).cloned().unwrap_or_default();
                to_declaration(r, name)
            })
            .collect()
    }
}

/// The GHT memberships in force on a day.
pub(crate) fn current_membership(on: NaiveDate) -> Condition {
    Condition::all()
        .add(ght_membership::Column::ValidFrom.lte(on))
        .add(
            Condition::any()
                .add(ght_membership::Column::ValidTo.is_null())
                .add(ght_membership::Column::ValidTo.gte(on)),
        )
}

/// Rows per statement of [`set_by_id`].
const SET_BY_ID_ROWS: usize = 1000;

/// Sets text `columns` of many declarations by id, with `updated_at` (the dashboards read
/// the last change to know whether their figures hold) and, with `bump_version`, a new
/// version: `UPDATE declarations SET c = v.column2, … FROM (VALUES (id, …), …) AS v WHERE
/// declarations.id = v.column1`, 1,000 rows per statement, on SQLite and PostgreSQL alike.
pub(crate) async fn set_by_id(
    db: &impl sea_orm::ConnectionTrait,
    columns: &[&str],
    rows: Vec<(i64, Vec<Option<String>>)>,
    bump_version: bool,
) -> Result<(), StoreError> {
    let backend = db.get_database_backend();
    let now = Utc::now();
    for chunk in rows.chunks(SET_BY_ID_ROWS) {
        let mut values: Vec<sea_orm::Value> =
            Vec::with_capacity(chunk.len() * (columns.len() + 1) + 1);
        let param = |v: sea_orm::Value, values: &mut Vec<sea_orm::Value>| {
            values.push(v);
            match backend {
                sea_orm::DatabaseBackend::Postgres => format!("${}", values.len()),
                _ => "?".to_owned(),
            }
        };
        let set: Vec<String> = columns
            .iter()
            .enumerate()
            .map(|(i, c)| format!("{c} = v.column{}", i + 2))
            .collect();
        let mut sql = format!("UPDATE declarations SET {}", set.join(", "));
        sql.push_str(&format!(
            ", updated_at = {}",
            param(now.into(), &mut values)
        ));
        if bump_version {
            sql.push_str(", row_version = declarations.row_version + 1");
        }
        sql.push_str(" FROM (VALUES ");
        for (n, (id, cells)) in chunk.iter().enumerate() {
            if n > 0 {
                sql.push_str(", ");
            }
            sql.push('(');
            sql.push_str(&param((*id).into(), &mut values));
            for c in cells {
                sql.push_str(", ");
                sql.push_str(&param(c.clone().into(), &mut values));
            }
            sql.push(')');
        }
        sql.push_str(") AS v WHERE declarations.id = v.column1");
        db.execute_raw(sea_orm::Statement::from_sql_and_values(
            backend, sql, values,
        ))
        .await?;
    }
    Ok(())
}
