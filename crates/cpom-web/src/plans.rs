//! Regional action plans (issue 8), shared by the pages and the API: every access is decided
//! here through the policy (`ViewPlan`, `ManagePlans`).

use cpom_domain::Action;
use cpom_domain::plan::{StatusDef, late};
use cpom_domain::policy::{Listing, list_filter};
use cpom_store::repo::plans::{Plan, PlanNode, PlanSummary};

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::services::today;

/// The plans the actor sees.
pub async fn list(state: &AppState, cu: &CurrentUser) -> Result<Vec<PlanSummary>, AppError> {
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
