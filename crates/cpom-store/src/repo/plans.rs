//! Regional action plans (issue 8): a plan imported at once, in one transaction, from the
//! tree the domain built (`cpom_domain::plan::build_tree`), and read back as a tree.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use cpom_domain::plan::{Item, Level, PlanDate, StatusDef};
use cpom_domain::{RegionCode, ScopeFilter};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
    TransactionTrait,
};
use serde::Serialize;

use crate::audit::{self, AuditActor, Change};
use crate::entity::{action_plan, plan_item};
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
    /// Statuses of the plan.
    pub statuses: Vec<StatusDef>,
    /// Pilots of the plan.
    pub pilots: Vec<String>,
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
        let txn = self.db().begin().await?;
        let plan = action_plan::ActiveModel {
            region_code: Set(new.region.as_str().to_owned()),
            title: Set(new.title.clone()),
            start_year: Set(new.start_year),
            end_year: Set(new.end_year),
            statuses: Set(serde_json::to_string(&new.statuses).unwrap_or_else(|_| "[]".into())),
            pilots: Set(serde_json::to_string(&new.pilots).unwrap_or_else(|_| "[]".into())),
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
        let statuses: Vec<StatusDef> =
            serde_json::from_str(&p.statuses).map_err(|_| bad("liste des statuts"))?;
        let pilots: Vec<String> =
            serde_json::from_str(&p.pilots).map_err(|_| bad("liste des pilotes"))?;
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
            summary: to_summary(&p)?,
            statuses,
            pilots,
            tree,
        })
    }
}
