//! Regional action plans (issue 8), shared by the pages and the API: every access is decided
//! here through the policy (`ViewPlan`, `ManagePlans`).

use cpom_domain::Action;
use cpom_domain::plan::{Filter, StatusDef, late};
use cpom_domain::policy::{Listing, list_filter};
use cpom_store::repo::plans::{Plan, PlanNode, PlanSummary};

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::services::{blank_to_none, today};

/// Filters of a plan's view, as typed.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::IntoParams)]
pub struct PlanQuery {
    /// Items with this pilot (e.g. `AM`).
    pub pilot: Option<String>,
    /// Items with this status code, or `none` for those without status.
    pub status: Option<String>,
    /// `true`: late items only (end passed, status not closed).
    pub late: Option<String>,
    /// Id of an axis: its items only.
    pub axis: Option<String>,
}

/// The filter of a view, checked against the plan's lists.
pub fn filter_of(q: &PlanQuery, plan: &Plan) -> Result<Filter, AppError> {
    let status = blank_to_none(&q.status);
    if let Some(s) = status
        && s != "none"
        && !plan.statuses.iter().any(|d| d.code == s)
    {
        return Err(AppError::field("status", format!("statut « {s} » inconnu")));
    }
    let pilot = blank_to_none(&q.pilot);
    if let Some(p) = pilot
        && !plan.pilots.iter().any(|k| k == p)
    {
        return Err(AppError::field("pilot", format!("pilote « {p} » inconnu")));
    }
    Ok(Filter {
        pilot: pilot.map(str::to_owned),
        status: status.filter(|s| *s != "none").map(str::to_owned),
        without_status: status == Some("none"),
        late_only: match blank_to_none(&q.late) {
            None | Some("false") => false,
            Some("true") => true,
            Some(other) => {
                return Err(AppError::field(
                    "late",
                    format!("« {other} » : true ou false attendu"),
                ));
            }
        },
        axis: match blank_to_none(&q.axis) {
            None => None,
            Some(a) => Some(
                a.parse()
                    .map_err(|_| AppError::field("axis", format!("axe « {a} » inconnu")))?,
            ),
        },
    })
}

/// One plan seen through a filter: the plan and the tree kept.
pub async fn view(
    state: &AppState,
    cu: &CurrentUser,
    id: i64,
    q: &PlanQuery,
) -> Result<(Plan, Vec<PlanNode>), AppError> {
    let p = get(state, cu, id).await?;
    let f = filter_of(q, &p)?;
    let tree = cpom_domain::plan::filter(&p.tree, &f, &p.statuses, today());
    Ok((p, tree))
}

/// The plans the actor sees (the agency's users and observers).
pub async fn list(state: &AppState, cu: &CurrentUser) -> Result<Vec<PlanSummary>, AppError> {
    cu.authorize(&Action::ListPlans)?;
    Ok(state
        .store
        .list_plans(&list_filter(&cu.actor(), Listing::Plans))
        .await?)
}

/// One plan, if the actor may read it.
pub async fn get(state: &AppState, cu: &CurrentUser, id: i64) -> Result<Plan, AppError> {
    let p = state.store.plan(id).await?;
    if cu
        .authorize(&Action::ViewPlan(p.summary.region.clone()))
        .is_err()
    {
        return Err(AppError::NotFound);
    }
    Ok(p)
}

/// A node of a plan as the API gives it: an unset status is `null`, never a placeholder;
/// `late` when its end passed and its status is not a closed one.
pub fn node_json(n: &PlanNode, statuses: &[StatusDef]) -> serde_json::Value {
    let date = |d: Option<cpom_domain::plan::PlanDate>| {
        d.map(|d| {
            serde_json::json!({
                "text": d.display(),
                "first_day": d.first_day(),
                "last_day": d.last_day(),
            })
        })
    };
    let label = n
        .status
        .as_ref()
        .and_then(|c| statuses.iter().find(|s| s.code == *c))
        .map(|s| s.label.clone());
    let followed = n.level.followed();
    serde_json::json!({
        "id": n.id,
        "level": n.level.as_str(),
        "title": n.title,
        "pilots": n.pilots,
        "status": n.status,
        "status_label": label,
        "start": date(n.start),
        "end": date(n.end),
        "late": followed && late(n.end, n.status.as_deref(), statuses, today()),
        "description": n.description,
        "doubt": (!n.doubt.is_empty()).then_some(&n.doubt),
        "row_version": n.row_version,
        "children": n.children.iter().map(|c| node_json(c, statuses)).collect::<Vec<_>>(),
    })
}

/// A plan as an XLSX workbook in the import's layout (one row per action or sub-action),
/// so that it can be completed and imported again.
pub async fn export(
    state: &AppState,
    cu: &CurrentUser,
    id: i64,
) -> Result<crate::documents::Download, AppError> {
    let p = get(state, cu, id).await?;
    let rows = cpom_domain::plan::flatten(&to_items(&p.tree), &p.statuses);
    Ok(crate::documents::Download {
        file_name: format!("plan-{}-{}.xlsx", p.summary.region, p.summary.id),
        mime: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        bytes: cpom_import::plan::write(&rows).map_err(AppError::Internal)?,
    })
}

/// The template to fill: the header row of the import's layout.
pub fn template(cu: &CurrentUser) -> Result<crate::documents::Download, AppError> {
    cu.authorize(&Action::ListPlans)?;
    Ok(crate::documents::Download {
        file_name: "modele-plan-d-actions.xlsx".into(),
        mime: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        bytes: cpom_import::plan::write(&[]).map_err(AppError::Internal)?,
    })
}

/// The stored tree as the import's items (for the export).
fn to_items(nodes: &[PlanNode]) -> Vec<cpom_domain::plan::Item> {
    nodes
        .iter()
        .map(|n| cpom_domain::plan::Item {
            level: n.level,
            title: n.title.clone(),
            pilots: n.pilots.clone(),
            status: n.status.clone(),
            start: n.start,
            end: n.end,
            description: n.description.clone(),
            doubt: n.doubt.clone(),
            warnings: vec![],
            line: 0,
            children: to_items(&n.children),
        })
        .collect()
}
