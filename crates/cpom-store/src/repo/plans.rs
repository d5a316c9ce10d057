//! Regional action plans (issue 8): a plan imported at once, in one transaction, from the
//! tree the domain built (`cpom_domain::plan::build_tree`), and read back as a tree; its
//! items followed one by one (changes at the version read, dated progress notes, links to
//! contracts, fiches and campaigns), the roles given on it, and each region's statuses and
//! pilots. Every change is audited.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use cpom_domain::plan::{
    CheckedEdit, Item, Level, LinkKind, LinkTarget, PlanDate, PlanRole, StatusDef, default_pilots,
    default_statuses,
};
use cpom_domain::{RegionCode, Role, ScopeFilter};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, ModelTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use serde::Serialize;

use crate::audit::{self, AuditActor, Change};
use crate::entity::{
    action_plan, campaign, catalogue, contract, plan_item, plan_link, plan_member, plan_note,
    plan_setting, user,
};
use crate::{Store, StoreError};

/// A plan, without its tree.
#[derive(Debug, Clone, Serialize)]
pub struct PlanSummary {
    /// Identifier.
    pub id: i64,
    /// Region.
    pub region: RegionCode,
    /// Title.
    pub title: String,
    /// First year.
    pub start_year: i32,
    /// Last year.
    pub end_year: i32,
    /// File it was imported from.
    pub source_file: String,
    /// Version.
    pub row_version: i64,
    /// Imported at.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

/// A plan with its lists and tree.
#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    /// The plan.
    pub summary: PlanSummary,
    /// Its statuses.
    pub statuses: Vec<StatusDef>,
    /// Its pilots.
    pub pilots: Vec<String>,
    /// Its thématiques.
    pub tree: Vec<Item>,
}

/// A plan to import.
#[derive(Debug, Clone)]
pub struct NewPlan {
    /// Region.
    pub region: RegionCode,
    /// Title.
    pub title: String,
    /// First year.
    pub start_year: i32,
    /// Last year.
    pub end_year: i32,
    /// File name.
    pub source_file: String,
}

/// The statuses and pilots of a region's plans.
#[derive(Debug, Clone, Serialize)]
pub struct PlanLists {
    /// Region.
    pub region: RegionCode,
    /// Statuses, in order.
    pub statuses: Vec<StatusDef>,
    /// Pilots.
    pub pilots: Vec<String>,
    /// Version, for changes (0: never saved, defaults in force).
    pub version: i64,
}

/// An account that is, or may be, given a role on a plan.
#[derive(Debug, Clone, Serialize)]
pub struct PlanAccount {
    /// Account id.
    pub user_id: i64,
    /// Name.
    pub name: String,
    /// E-mail.
    pub email: String,
    /// Role of the account.
    pub account_role: Role,
}

/// An account given a role on a plan.
#[derive(Debug, Clone, Serialize)]
pub struct PlanMember {
    /// The account.
    #[serde(flatten)]
    pub account: PlanAccount,
    /// Role on the plan.
    pub role: PlanRole,
}

/// A dated progress note of an item.
#[derive(Debug, Clone, Serialize)]
pub struct PlanNote {
    /// Identifier.
    pub id: i64,
    /// Item.
    pub item_id: i64,
    /// Day of the progress told.
    pub noted_on: NaiveDate,
    /// Text.
    pub text: String,
    /// Author's name when written.
    pub author: String,
    /// Written at.
    pub created_at: DateTime<Utc>,
}

/// A link of an item, with what it points to.
#[derive(Debug, Clone, Serialize)]
pub struct PlanLink {
    /// Identifier.
    pub id: i64,
    /// Item.
    pub item_id: i64,
    /// Kind.
    pub kind: LinkKind,
    /// Contract or campaign id; `slug:code` for a fiche.
    pub target: String,
    /// What it is, as shown ("n° 12 — CH d'Avignon, 2024-2028"); empty when the target is
    /// gone.
    pub label: String,
}

fn date_text(d: Option<PlanDate>) -> Option<String> {
    d.map(|d| match d {
        PlanDate::Day(day) => day.format("%Y-%m-%d").to_string(),
        PlanDate::Year(y) => y.to_string(),
    })
}

fn to_summary(p: &action_plan::Model) -> Result<PlanSummary, StoreError> {
    Ok(PlanSummary {
        id: p.id,
        region: RegionCode::parse(&p.region_code).map_err(|_| StoreError::Invalid {
            field: "region",
            message: format!("plan n° {} : région illisible", p.id),
        })?,
        title: p.title.clone(),
        start_year: p.start_year,
        end_year: p.end_year,
        source_file: p.source_file.clone(),
        row_version: p.row_version,
        created_at: p.created_at,
        updated_at: p.updated_at,
    })
}

impl Store {
    /// Imports a plan and its tree, in one transaction; audited.
    pub async fn import_plan(
        &self,
        actor: &AuditActor,
        new: &NewPlan,
        tree: &[Item],
    ) -> Result<PlanSummary, StoreError> {
        if new.start_year > new.end_year {
            return Err(StoreError::Invalid {
                field: "end_year",
                message: format!(
                    "la période du plan finit ({}) avant de commencer ({})",
                    new.end_year, new.start_year
                ),
            });
        }
        let now = Utc::now();
        let txn = self.begin().await?;
        let plan = action_plan::ActiveModel {
            region_code: Set(new.region.as_str().to_owned()),
            title: Set(new.title.clone()),
            start_year: Set(new.start_year),
            end_year: Set(new.end_year),
            source_file: Set(new.source_file.clone()),
            row_version: Set(1),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        // Depth first, each item after its parent.
        let mut stack: Vec<(Option<i64>, &Item)> = tree.iter().rev().map(|i| (None, i)).collect();
        let mut position = 0;
        while let Some((parent, item)) = stack.pop() {
            let row = plan_item::ActiveModel {
                plan_id: Set(plan.id),
                parent_id: Set(parent),
                level: Set(item.level.as_str().to_owned()),
                position: Set(position),
                title: Set(item.title.clone()),
                pilots: Set(item.pilots.join("/")),
                status: Set(item.status.clone()),
                start_date: Set(date_text(item.start)),
                end_date: Set(date_text(item.end)),
                description: Set(item.description.clone()),
                doubt: Set(item.doubt.clone()),
                row_version: Set(1),
                updated_at: Set(now),
                ..Default::default()
            }
            .insert(&txn)
            .await?;
            position += 1;
            stack.extend(item.children.iter().rev().map(|c| (Some(row.id), c)));
        }
        let summary = to_summary(&plan)?;
        audit::record(
            &txn,
            actor,
            Change {
                action: "plan.import",
                entity_type: "action_plan",
                entity_id: plan.id.to_string(),
                region_code: Some(new.region.as_str().to_owned()),
                ej_finess: None,
                before: None,
                after: Some(serde_json::json!({
                    "title": new.title,
                    "period": [new.start_year, new.end_year],
                    "file": new.source_file,
                    "items": position,
                })),
            },
        )
        .await?;
        txn.commit().await?;
        Ok(summary)
    }

    /// The plans a scope sees, by region then title.
    pub async fn list_plans(&self, scope: &ScopeFilter) -> Result<Vec<PlanSummary>, StoreError> {
        let mut q = action_plan::Entity::find();
        match scope {
            ScopeFilter::All => {}
            ScopeFilter::Region(r) => q = q.filter(action_plan::Column::RegionCode.eq(r.as_str())),
            ScopeFilter::LegalEntity(_) | ScopeFilter::Nothing => return Ok(vec![]),
        }
        q.order_by_asc(action_plan::Column::RegionCode)
            .order_by_asc(action_plan::Column::Title)
            .all(self.db())
            .await?
            .iter()
            .map(to_summary)
            .collect()
    }

    /// One plan with its tree.
    pub async fn plan(&self, id: i64) -> Result<Plan, StoreError> {
        let p = action_plan::Entity::find_by_id(id)
            .one(self.db())
            .await?
            .ok_or(StoreError::NotFound)?;
        let bad = |what: &str| StoreError::Invalid {
            field: "plan",
            message: format!("plan n° {id} : {what} illisible"),
        };
        let summary = to_summary(&p)?;
        let PlanLists {
            statuses, pilots, ..
        } = self.plan_lists(&summary.region).await?;
        let rows = plan_item::Entity::find()
            .filter(plan_item::Column::PlanId.eq(id))
            .order_by_asc(plan_item::Column::Position)
            .limit(100_000)
            .all(self.db())
            .await?;
        // Children by parent, in order; then the tree from the roots.
        let mut children: HashMap<Option<i64>, Vec<Item>> = HashMap::new();
        for r in rows {
            let date = |v: &Option<String>| {
                v.as_deref()
                    .map(PlanDate::parse)
                    .transpose()
                    .map(Option::flatten)
                    .map_err(|_| bad("date"))
            };
            children.entry(r.parent_id).or_default().push(Item {
                id: r.id,
                level: Level::parse(&r.level).ok_or_else(|| bad("niveau"))?,
                title: r.title,
                pilots: r
                    .pilots
                    .split('/')
                    .filter(|p| !p.is_empty())
                    .map(str::to_owned)
                    .collect(),
                status: r.status,
                start: date(&r.start_date)?,
                end: date(&r.end_date)?,
                description: r.description,
                doubt: r.doubt,
                warnings: vec![],
                line: 0,
                row_version: r.row_version,
                children: vec![],
            });
        }
        fn attach(node: &mut Item, children: &mut HashMap<Option<i64>, Vec<Item>>) {
            node.children = children.remove(&Some(node.id)).unwrap_or_default();
            for c in &mut node.children {
                attach(c, children);
            }
        }
        let mut tree = children.remove(&None).unwrap_or_default();
        for n in &mut tree {
            attach(n, &mut children);
        }
        Ok(Plan {
            summary,
            statuses,
            pilots,
            tree,
        })
    }

    /// The statuses and pilots of a region's plans (the defaults until it saves its own).
    pub async fn plan_lists(&self, region: &RegionCode) -> Result<PlanLists, StoreError> {
        let row = plan_setting::Entity::find_by_id(region.as_str().to_owned())
            .one(self.db())
            .await?;
        let Some(row) = row else {
            return Ok(PlanLists {
                region: region.clone(),
                statuses: default_statuses(),
                pilots: default_pilots(),
                version: 0,
            });
        };
        let bad = |what: &str| StoreError::Invalid {
            field: "plan_settings",
            message: format!("région {region} : {what} illisible"),
        };
        Ok(PlanLists {
            region: region.clone(),
            statuses: serde_json::from_str(&row.statuses).map_err(|_| bad("liste des statuts"))?,
            pilots: serde_json::from_str(&row.pilots).map_err(|_| bad("liste des pilotes"))?,
            version: row.version,
        })
    }

    /// Saves the statuses and pilots of a region read at `version` (0 for the defaults);
    /// refused while an item of the region's plans uses a status or a pilot taken out;
    /// audited.
    pub async fn set_plan_lists(
        &self,
        actor: &AuditActor,
        region: &RegionCode,
        statuses: &[StatusDef],
        pilots: &[String],
        version: i64,
    ) -> Result<PlanLists, StoreError> {
        let before = self.plan_lists(region).await?;
        let txn = self.begin().await?;
        let row = plan_setting::Entity::find_by_id(region.as_str().to_owned())
            .one(&txn)
            .await?;
        if row.as_ref().map_or(0, |r| r.version) != version {
            return Err(StoreError::Conflict(
                "les listes des plans d'actions ont été modifiées entre-temps ; rechargez la page"
                    .into(),
            ));
        }
        // What the region's items use must stay in the lists.
        let plan_ids: Vec<i64> = action_plan::Entity::find()
            .filter(action_plan::Column::RegionCode.eq(region.as_str()))
            .all(&txn)
            .await?
            .into_iter()
            .map(|p| p.id)
            .collect();
        let items = plan_item::Entity::find()
            .filter(plan_item::Column::PlanId.is_in(plan_ids))
            .all(&txn)
            .await?;
        for s in &before.statuses {
            let used = items
                .iter()
                .filter(|i| i.status.as_deref() == Some(s.code.as_str()))
                .count();
            if used > 0 && !statuses.iter().any(|n| n.code == s.code) {
                return Err(StoreError::Invalid {
                    field: "statuses",
                    message: format!(
                        "le statut « {} » est celui de {used} élément(s) des plans de la région : changez-les avant de le retirer",
                        s.label
                    ),
                });
            }
        }
        for p in &before.pilots {
            let used = items
                .iter()
                .filter(|i| i.pilots.split('/').any(|x| x == p))
                .count();
            if used > 0 && !pilots.contains(p) {
                return Err(StoreError::Invalid {
                    field: "pilots",
                    message: format!(
                        "le pilote « {p} » pilote {used} élément(s) des plans de la région : changez-les avant de le retirer"
                    ),
                });
            }
        }
        let am = plan_setting::ActiveModel {
            region_code: Set(region.as_str().to_owned()),
            statuses: Set(serde_json::to_string(statuses).unwrap_or_else(|_| "[]".into())),
            pilots: Set(serde_json::to_string(pilots).unwrap_or_else(|_| "[]".into())),
            version: Set(version + 1),
            updated_at: Set(Utc::now()),
        };
        if row.is_some() {
            am.update(&txn).await?;
        } else {
            am.insert(&txn).await?;
        }
        let after = PlanLists {
            region: region.clone(),
            statuses: statuses.to_vec(),
            pilots: pilots.to_vec(),
            version: version + 1,
        };
        audit::record(
            &txn,
            actor,
            Change {
                action: "plan_settings.update",
                entity_type: "plan_settings",
                entity_id: region.to_string(),
                region_code: Some(region.to_string()),
                ej_finess: None,
                before: Some(serde_json::json!({
                    "statuses": before.statuses, "pilots": before.pilots,
                })),
                after: Some(serde_json::json!({
                    "statuses": after.statuses, "pilots": after.pilots,
                })),
            },
        )
        .await?;
        txn.commit().await?;
        Ok(after)
    }

    /// Changes an item of a plan read at `row_version` (a change made meanwhile is a
    /// conflict); audited with the item before and after.
    pub async fn update_plan_item(
        &self,
        actor: &AuditActor,
        plan: &PlanSummary,
        item_id: i64,
        row_version: i64,
        change: &CheckedEdit,
    ) -> Result<i64, StoreError> {
        let before = plan_item::Entity::find_by_id(item_id)
            .one(self.db())
            .await?
            .filter(|i| i.plan_id == plan.id)
            .ok_or(StoreError::NotFound)?;
        let txn = self.begin().await?;
        let now = Utc::now();
        let done = plan_item::Entity::update_many()
            .col_expr(plan_item::Column::Title, Expr::value(change.title.clone()))
            .col_expr(
                plan_item::Column::Pilots,
                Expr::value(change.pilots.join("/")),
            )
            .col_expr(
                plan_item::Column::Status,
                Expr::value(change.status.clone()),
            )
            .col_expr(
                plan_item::Column::StartDate,
                Expr::value(date_text(change.start)),
            )
            .col_expr(
                plan_item::Column::EndDate,
                Expr::value(date_text(change.end)),
            )
            .col_expr(
                plan_item::Column::Description,
                Expr::value(change.description.clone()),
            )
            .col_expr(
                plan_item::Column::RowVersion,
                Expr::value(row_version.saturating_add(1)),
            )
            .col_expr(plan_item::Column::UpdatedAt, Expr::value(now))
            .filter(plan_item::Column::Id.eq(item_id))
            .filter(plan_item::Column::RowVersion.eq(row_version))
            .exec(&txn)
            .await?;
        if done.rows_affected != 1 {
            return Err(StoreError::Conflict(
                "cet élément a été modifié entre-temps ; rechargez la page pour voir la version en vigueur"
                    .into(),
            ));
        }
        touch_plan(&txn, plan.id, now).await?;
        audit::record(
            &txn,
            actor,
            Change {
                action: "plan_item.update",
                entity_type: "plan_item",
                entity_id: item_id.to_string(),
                region_code: Some(plan.region.to_string()),
                ej_finess: None,
                before: Some(serde_json::json!({
                    "title": before.title, "pilots": before.pilots, "status": before.status,
                    "start": before.start_date, "end": before.end_date,
                    "description": before.description,
                })),
                after: Some(serde_json::json!({
                    "title": change.title, "pilots": change.pilots.join("/"),
                    "status": change.status, "start": date_text(change.start),
                    "end": date_text(change.end), "description": change.description,
                })),
            },
        )
        .await?;
        txn.commit().await?;
        Ok(row_version.saturating_add(1))
    }

    /// Adds a dated progress note to an item; audited.
    pub async fn add_plan_note(
        &self,
        actor: &AuditActor,
        author: &str,
        plan: &PlanSummary,
        item_id: i64,
        noted_on: NaiveDate,
        text: &str,
    ) -> Result<PlanNote, StoreError> {
        self.plan_item_row(plan.id, item_id).await?;
        let txn = self.begin().await?;
        let now = Utc::now();
        let row = plan_note::ActiveModel {
            plan_id: Set(plan.id),
            item_id: Set(item_id),
            noted_on: Set(noted_on),
            text: Set(text.to_owned()),
            author_id: Set(actor.user_id.unwrap_or(0)),
            author: Set(author.to_owned()),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        touch_plan(&txn, plan.id, now).await?;
        audit::record(
            &txn,
            actor,
            Change {
                action: "plan_note.create",
                entity_type: "plan_item",
                entity_id: item_id.to_string(),
                region_code: Some(plan.region.to_string()),
                ej_finess: None,
                before: None,
                after: Some(serde_json::json!({ "noted_on": noted_on, "text": text })),
            },
        )
        .await?;
        txn.commit().await?;
        Ok(note_of(row))
    }

    /// The progress notes of a plan's items (of one item with `item`), newest day first.
    pub async fn plan_notes(
        &self,
        plan_id: i64,
        item: Option<i64>,
    ) -> Result<Vec<PlanNote>, StoreError> {
        let mut q = plan_note::Entity::find().filter(plan_note::Column::PlanId.eq(plan_id));
        if let Some(i) = item {
            q = q.filter(plan_note::Column::ItemId.eq(i));
        }
        Ok(q.order_by_desc(plan_note::Column::NotedOn)
            .order_by_desc(plan_note::Column::Id)
            .all(self.db())
            .await?
            .into_iter()
            .map(note_of)
            .collect())
    }

    async fn plan_item_row(
        &self,
        plan_id: i64,
        item_id: i64,
    ) -> Result<plan_item::Model, StoreError> {
        plan_item::Entity::find_by_id(item_id)
            .one(self.db())
            .await?
            .filter(|i| i.plan_id == plan_id)
            .ok_or(StoreError::NotFound)
    }

    /// Finds what a link's target names in the plan's region: the stored target and its
    /// label, or a French error on the field `target`.
    async fn resolve_link(
        &self,
        region: &RegionCode,
        kind: LinkKind,
        target: &LinkTarget,
    ) -> Result<(String, String), StoreError> {
        let invalid = |message: String| StoreError::Invalid {
            field: "target",
            message,
        };
        match target {
            LinkTarget::ContractId(id) => {
                let c = contract::Entity::find_by_id(*id)
                    .one(self.db())
                    .await?
                    .filter(|c| c.region_code == region.as_str())
                    .ok_or_else(|| {
                        invalid(format!("aucun contrat n° {id} dans la région {region}"))
                    })?;
                Ok((
                    c.id.to_string(),
                    self.link_label(kind, &c.id.to_string()).await?,
                ))
            }
            LinkTarget::ContractOf(ej) => {
                let c = contract::Entity::find()
                    .filter(contract::Column::RegionCode.eq(region.as_str()))
                    .filter(contract::Column::EjFiness.eq(ej.as_str()))
                    .order_by_desc(contract::Column::StartYear)
                    .order_by_desc(contract::Column::Id)
                    .one(self.db())
                    .await?
                    .ok_or_else(|| {
                        invalid(format!(
                            "aucun contrat de l'entité juridique {ej} dans la région {region}"
                        ))
                    })?;
                Ok((
                    c.id.to_string(),
                    self.link_label(kind, &c.id.to_string()).await?,
                ))
            }
            LinkTarget::CampaignYear(year) => {
                let c = campaign::Entity::find()
                    .filter(campaign::Column::RegionCode.eq(region.as_str()))
                    .filter(campaign::Column::Year.eq(*year))
                    .one(self.db())
                    .await?
                    .ok_or_else(|| {
                        invalid(format!("aucune campagne {year} dans la région {region}"))
                    })?;
                Ok((
                    c.id.to_string(),
                    self.link_label(kind, &c.id.to_string()).await?,
                ))
            }
            LinkTarget::Fiche { catalogue, code } => {
                let mut slugs: Vec<String> = catalogue::Entity::find()
                    .filter(catalogue::Column::RegionCode.eq(region.as_str()))
                    .all(self.db())
                    .await?
                    .into_iter()
                    .map(|c| c.slug)
                    .filter(|s| catalogue.as_ref().is_none_or(|want| want == s))
                    .collect();
                slugs.sort();
                slugs.dedup();
                let mut found = vec![];
                for slug in &slugs {
                    if let Ok((_, doc)) = self.catalogue(slug, None, false).await
                        && doc.indicators.iter().any(|i| i.code == *code)
                    {
                        found.push(format!("{slug}:{code}"));
                    }
                }
                match found.len() {
                    0 => Err(invalid(match catalogue {
                        Some(c) => format!(
                            "aucune fiche {code} dans le référentiel « {c} » de la région {region}"
                        ),
                        None => format!(
                            "aucune fiche {code} dans les référentiels publiés de la région {region}"
                        ),
                    })),
                    1 => {
                        let t = found.remove(0);
                        let label = self.link_label(kind, &t).await?;
                        Ok((t, label))
                    }
                    _ => Err(invalid(format!(
                        "la fiche {code} est dans plusieurs référentiels ({}) : écrivez « référentiel:{code} »",
                        found
                            .iter()
                            .filter_map(|f| f.split_once(':').map(|(s, _)| s))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ))),
                }
            }
        }
    }

    /// What a stored link points to, as shown; empty when it is gone.
    async fn link_label(&self, kind: LinkKind, target: &str) -> Result<String, StoreError> {
        Ok(match kind {
            LinkKind::Contract => match target.parse::<i64>() {
                Ok(id) => match self.contract(id).await {
                    Ok(c) => format!(
                        "n° {} — {}, {}-{}",
                        c.id, c.ej_name, c.start_year, c.end_year
                    ),
                    Err(StoreError::NotFound) => String::new(),
                    Err(e) => return Err(e),
                },
                Err(_) => String::new(),
            },
            LinkKind::Campaign => match target.parse::<i64>() {
                Ok(id) => campaign::Entity::find_by_id(id)
                    .one(self.db())
                    .await?
                    .map(|c| c.title)
                    .unwrap_or_default(),
                Err(_) => String::new(),
            },
            LinkKind::Fiche => match target.split_once(':') {
                Some((slug, code)) => match self.catalogue(slug, None, false).await {
                    Ok((v, doc)) => doc
                        .indicators
                        .iter()
                        .find(|i| i.code == code)
                        .map(|i| format!("{code} — {} ({})", i.title, v.title))
                        .unwrap_or_default(),
                    Err(StoreError::NotFound) => String::new(),
                    Err(e) => return Err(e),
                },
                None => String::new(),
            },
        })
    }

    /// Links an item to a contract, a fiche or a campaign of the plan's region; audited.
    pub async fn add_plan_link(
        &self,
        actor: &AuditActor,
        plan: &PlanSummary,
        item_id: i64,
        kind: LinkKind,
        target: &LinkTarget,
    ) -> Result<PlanLink, StoreError> {
        self.plan_item_row(plan.id, item_id).await?;
        let (target, label) = self.resolve_link(&plan.region, kind, target).await?;
        let exists = plan_link::Entity::find()
            .filter(plan_link::Column::ItemId.eq(item_id))
            .filter(plan_link::Column::Kind.eq(kind.as_str()))
            .filter(plan_link::Column::Target.eq(target.clone()))
            .one(self.db())
            .await?;
        if exists.is_some() {
            return Err(StoreError::Duplicate {
                field: "target",
                message: format!("l'élément est déjà lié à « {label} »"),
            });
        }
        let txn = self.begin().await?;
        let now = Utc::now();
        let row = plan_link::ActiveModel {
            plan_id: Set(plan.id),
            item_id: Set(item_id),
            kind: Set(kind.as_str().to_owned()),
            target: Set(target.clone()),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        touch_plan(&txn, plan.id, now).await?;
        audit::record(
            &txn,
            actor,
            Change {
                action: "plan_link.create",
                entity_type: "plan_item",
                entity_id: item_id.to_string(),
                region_code: Some(plan.region.to_string()),
                ej_finess: None,
                before: None,
                after: Some(serde_json::json!({ "kind": kind, "target": target, "label": label })),
            },
        )
        .await?;
        txn.commit().await?;
        Ok(PlanLink {
            id: row.id,
            item_id,
            kind,
            target,
            label,
        })
    }

    /// Removes a link of an item; audited.
    pub async fn remove_plan_link(
        &self,
        actor: &AuditActor,
        plan: &PlanSummary,
        item_id: i64,
        link_id: i64,
    ) -> Result<(), StoreError> {
        let row = plan_link::Entity::find_by_id(link_id)
            .one(self.db())
            .await?
            .filter(|l| l.plan_id == plan.id && l.item_id == item_id)
            .ok_or(StoreError::NotFound)?;
        let txn = self.begin().await?;
        let before = serde_json::json!({ "kind": row.kind, "target": row.target });
        row.delete(&txn).await?;
        touch_plan(&txn, plan.id, Utc::now()).await?;
        audit::record(
            &txn,
            actor,
            Change {
                action: "plan_link.delete",
                entity_type: "plan_item",
                entity_id: item_id.to_string(),
                region_code: Some(plan.region.to_string()),
                ej_finess: None,
                before: Some(before),
                after: None,
            },
        )
        .await?;
        txn.commit().await?;
        Ok(())
    }

    /// The links of a plan's items (of one item with `item`), each with its label.
    pub async fn plan_links(
        &self,
        plan_id: i64,
        item: Option<i64>,
    ) -> Result<Vec<PlanLink>, StoreError> {
        let mut q = plan_link::Entity::find().filter(plan_link::Column::PlanId.eq(plan_id));
        if let Some(i) = item {
            q = q.filter(plan_link::Column::ItemId.eq(i));
        }
        let rows = q.order_by_asc(plan_link::Column::Id).all(self.db()).await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let Some(kind) = LinkKind::parse(&r.kind) else {
                continue;
            };
            out.push(PlanLink {
                id: r.id,
                item_id: r.item_id,
                kind,
                label: self.link_label(kind, &r.target).await?,
                target: r.target,
            });
        }
        Ok(out)
    }

    /// The role an account holds on a plan, if any.
    pub async fn plan_role(
        &self,
        plan_id: i64,
        user_id: i64,
    ) -> Result<Option<PlanRole>, StoreError> {
        Ok(plan_member::Entity::find()
            .filter(plan_member::Column::PlanId.eq(plan_id))
            .filter(plan_member::Column::UserId.eq(user_id))
            .one(self.db())
            .await?
            .and_then(|m| PlanRole::parse(&m.role)))
    }

    /// The roles an account holds, by plan.
    pub async fn plan_roles_of(&self, user_id: i64) -> Result<HashMap<i64, PlanRole>, StoreError> {
        Ok(plan_member::Entity::find()
            .filter(plan_member::Column::UserId.eq(user_id))
            .all(self.db())
            .await?
            .into_iter()
            .filter_map(|m| PlanRole::parse(&m.role).map(|r| (m.plan_id, r)))
            .collect())
    }

    /// The accounts given a role on a plan, by name.
    pub async fn plan_members(&self, plan_id: i64) -> Result<Vec<PlanMember>, StoreError> {
        let rows = plan_member::Entity::find()
            .filter(plan_member::Column::PlanId.eq(plan_id))
            .all(self.db())
            .await?;
        let users: HashMap<i64, user::Model> = user::Entity::find()
            .filter(user::Column::Id.is_in(rows.iter().map(|m| m.user_id)))
            .all(self.db())
            .await?
            .into_iter()
            .map(|u| (u.id, u))
            .collect();
        let mut out: Vec<PlanMember> = rows
            .into_iter()
            .filter_map(|m| {
                let u = users.get(&m.user_id)?;
                Some(PlanMember {
                    account: PlanAccount {
                        user_id: u.id,
                        name: u.display_name.clone(),
                        email: u.email.clone(),
                        account_role: Role::parse(&u.role).ok()?,
                    },
                    role: PlanRole::parse(&m.role)?,
                })
            })
            .collect();
        out.sort_by(|a, b| a.account.name.cmp(&b.account.name));
        Ok(out)
    }

    /// The accounts that may be given a role on a plan of the region: its active observers
    /// and referents, by name.
    pub async fn plan_candidates(
        &self,
        region: &RegionCode,
    ) -> Result<Vec<PlanAccount>, StoreError> {
        let mut out: Vec<PlanAccount> = user::Entity::find()
            .filter(user::Column::RegionCode.eq(region.as_str()))
            .filter(user::Column::Active.eq(true))
            .all(self.db())
            .await?
            .into_iter()
            .filter_map(|u| {
                let role = Role::parse(&u.role).ok()?;
                cpom_domain::plan::may_join(role).then_some(PlanAccount {
                    user_id: u.id,
                    name: u.display_name,
                    email: u.email,
                    account_role: role,
                })
            })
            .collect();
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    /// Gives an account a role on a plan (or changes it): an active observer or referent of
    /// the plan's region; audited.
    pub async fn set_plan_member(
        &self,
        actor: &AuditActor,
        plan: &PlanSummary,
        user_id: i64,
        role: PlanRole,
    ) -> Result<(), StoreError> {
        let account = user::Entity::find_by_id(user_id)
            .one(self.db())
            .await?
            .ok_or_else(|| StoreError::Invalid {
                field: "user_id",
                message: format!("aucun compte n° {user_id}"),
            })?;
        let eligible = account.active
            && account.region_code.as_deref() == Some(plan.region.as_str())
            && Role::parse(&account.role).is_ok_and(cpom_domain::plan::may_join);
        if !eligible {
            return Err(StoreError::Invalid {
                field: "user_id",
                message: format!(
                    "{} : seuls les observateurs (par exemple l'Assurance maladie) et les référents actifs de la région {} reçoivent un rôle sur un plan",
                    account.display_name, plan.region
                ),
            });
        }
        let txn = self.begin().await?;
        let existing = plan_member::Entity::find()
            .filter(plan_member::Column::PlanId.eq(plan.id))
            .filter(plan_member::Column::UserId.eq(user_id))
            .one(&txn)
            .await?;
        let before = existing
            .as_ref()
            .map(|m| serde_json::json!({ "role": m.role }));
        match existing {
            Some(m) => {
                let mut am: plan_member::ActiveModel = m.into();
                am.role = Set(role.as_str().to_owned());
                am.update(&txn).await?;
            }
            None => {
                plan_member::ActiveModel {
                    plan_id: Set(plan.id),
                    user_id: Set(user_id),
                    role: Set(role.as_str().to_owned()),
                    created_at: Set(Utc::now()),
                    ..Default::default()
                }
                .insert(&txn)
                .await?;
            }
        }
        audit::record(
            &txn,
            actor,
            Change {
                action: "plan_member.set",
                entity_type: "action_plan",
                entity_id: plan.id.to_string(),
                region_code: Some(plan.region.to_string()),
                ej_finess: None,
                before,
                after: Some(serde_json::json!({
                    "user_id": user_id, "email": account.email, "role": role,
                })),
            },
        )
        .await?;
        txn.commit().await?;
        Ok(())
    }

    /// Takes an account's role on a plan away; audited.
    pub async fn remove_plan_member(
        &self,
        actor: &AuditActor,
        plan: &PlanSummary,
        user_id: i64,
    ) -> Result<(), StoreError> {
        let row = plan_member::Entity::find()
            .filter(plan_member::Column::PlanId.eq(plan.id))
            .filter(plan_member::Column::UserId.eq(user_id))
            .one(self.db())
            .await?
            .ok_or(StoreError::NotFound)?;
        let txn = self.begin().await?;
        let before = serde_json::json!({ "user_id": user_id, "role": row.role });
        row.delete(&txn).await?;
        audit::record(
            &txn,
            actor,
            Change {
                action: "plan_member.remove",
                entity_type: "action_plan",
                entity_id: plan.id.to_string(),
                region_code: Some(plan.region.to_string()),
                ej_finess: None,
                before: Some(before),
                after: None,
            },
        )
        .await?;
        txn.commit().await?;
        Ok(())
    }
}

fn note_of(r: plan_note::Model) -> PlanNote {
    PlanNote {
        id: r.id,
        item_id: r.item_id,
        noted_on: r.noted_on,
        text: r.text,
        author: r.author,
        created_at: r.created_at,
    }
}

/// Marks a plan as changed (its list shows the last change).
async fn touch_plan(
    db: &impl ConnectionTrait,
    plan_id: i64,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    action_plan::Entity::update_many()
        .col_expr(action_plan::Column::UpdatedAt, Expr::value(now))
        .filter(action_plan::Column::Id.eq(plan_id))
        .exec(db)
        .await?;
    Ok(())
}
