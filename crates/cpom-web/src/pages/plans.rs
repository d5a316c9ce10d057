//! Action plan pages: the plans, and one plan's tree with its filters, counts, late items and
//! timeline.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use cpom_domain::plan::{Level, Node, PlanDate, followed_items, late};
use tower_sessions::Session;

use super::render;
use crate::AppState;
use crate::auth::PageUser;
use crate::error::PageError;
use crate::plans::{self, PlanQuery};
use crate::services::today;
use crate::view::{Choice, Layout};

/// A plan, as listed.
pub struct PlanLine {
    id: i64,
    title: String,
    region: String,
    period: String,
}

/// The plans.
#[derive(Template)]
#[template(path = "plans/list.html")]
pub struct PlansPage {
    layout: Layout,
    lines: Vec<PlanLine>,
}

/// GET `/plans-actions`.
pub async fn list(
    State(state): State<AppState>,
    session: Session,
    PageUser(cu): PageUser,
) -> Result<Response, PageError> {
    let lines = plans::list(&state, &cu)
        .await?
        .into_iter()
        .map(|p| PlanLine {
            id: p.id,
            title: p.title,
            region: p.region.name().to_owned(),
            period: format!("{}-{}", p.start_year, p.end_year),
        })
        .collect();
    render(&PlansPage {
        layout: Layout::new(&state, &session, &cu, "Plans d'actions", "/plans-actions").await?,
        lines,
    })
}

/// An item of the tree, as a row.
pub struct ItemRow {
    level: &'static str,
    depth: usize,
    title: String,
    followed: bool,
    pilots: String,
    status: String,
    start: String,
    end: String,
    late: bool,
    description: String,
    doubt: String,
}

/// One plan.
#[derive(Template)]
#[template(path = "plans/show.html")]
pub struct PlanPage {
    layout: Layout,
    id: i64,
    title: String,
    period: String,
    rows: Vec<ItemRow>,
    late_rows: Vec<ItemRow>,
    timeline: String,
    by_status: Vec<(String, usize)>,
    by_pilot: Vec<(String, usize)>,
    pilots: Vec<Choice>,
    statuses: Vec<Choice>,
    axes: Vec<Choice>,
    late_only: bool,
    filtered: bool,
}

fn date(d: Option<PlanDate>) -> String {
    d.map(PlanDate::display).unwrap_or_default()
}

/// GET `/plans-actions/{id}`.
pub async fn show(
    State(state): State<AppState>,
    session: Session,
    PageUser(cu): PageUser,
    Path(id): Path<i64>,
    Query(q): Query<PlanQuery>,
) -> Result<Response, PageError> {
    let (p, tree) = plans::view(&state, &cu, id, &q).await?;
    let now = today();
    let label = |code: &Option<String>| {
        code.as_ref().map_or_else(String::new, |c| {
            p.statuses
                .iter()
                .find(|s| s.code == *c)
                .map_or_else(|| c.clone(), |s| s.label.clone())
        })
    };
    let row = |n: &Node, depth: usize| ItemRow {
        level: n.level.label(),
        depth,
        title: n.title.clone(),
        followed: n.level.followed(),
        pilots: n.pilots.join(" / "),
        status: label(&n.status),
        start: date(n.start),
        end: date(n.end),
        late: n.level.followed() && late(n.end, n.status.as_deref(), &p.statuses, now),
        description: n.description.clone(),
        doubt: n.doubt.clone(),
    };
    fn walk<'a>(nodes: &'a [Node], depth: usize, out: &mut Vec<(&'a Node, usize)>) {
        for n in nodes {
            out.push((n, depth));
            walk(&n.children, depth + 1, out);
        }
    }
    let mut all = vec![];
    walk(&tree, 0, &mut all);
    let rows: Vec<ItemRow> = all.iter().map(|(n, d)| row(n, *d)).collect();
    let late_rows: Vec<ItemRow> = followed_items(&tree)
        .into_iter()
        .filter(|n| late(n.end, n.status.as_deref(), &p.statuses, now))
        .map(|n| row(n, 0))
        .collect();
    // The timeline: objectives and actions (sub-actions in the table), over the plan's years.
    let spans: Vec<crate::charts::Span> = all
        .iter()
        .filter(|(n, _)| matches!(n.level, Level::Objective | Level::Action))
        .map(|(n, d)| crate::charts::Span {
            label: n.title.clone(),
            depth: d.saturating_sub(2),
            from: n.start.map(PlanDate::first_day),
            to: n.end.map(PlanDate::last_day),
            late: late(n.end, n.status.as_deref(), &p.statuses, now),
        })
        .collect();
    let first = spans
        .iter()
        .filter_map(|s| s.from)
        .min()
        .into_iter()
        .chain(chrono::NaiveDate::from_ymd_opt(p.summary.start_year, 1, 1))
        .min()
        .unwrap_or(now);
    let last = spans
        .iter()
        .filter_map(|s| s.to)
        .max()
        .into_iter()
        .chain(chrono::NaiveDate::from_ymd_opt(p.summary.end_year, 12, 31))
        .max()
        .unwrap_or(now);
    let timeline = crate::charts::timeline(
        &format!(
            "Calendrier des objectifs et actions de « {} »",
            p.summary.title
        ),
        &spans,
        first,
        last,
        now,
    );
    let (by_status, by_pilot) = cpom_domain::plan::counts(&tree, &p.statuses);
    let current = |v: &Option<String>| v.clone().unwrap_or_default();
    let mut statuses: Vec<Choice> = p
        .statuses
        .iter()
        .map(|s| Choice::new(s.code.clone(), s.label.clone(), &current(&q.status)))
        .collect();
    statuses.push(Choice::new("none", "sans statut", &current(&q.status)));
    render(&PlanPage {
        layout: Layout::new(&state, &session, &cu, &p.summary.title, "/plans-actions").await?,
        id,
        title: p.summary.title.clone(),
        period: format!("{}-{}", p.summary.start_year, p.summary.end_year),
        timeline,
        by_status,
        by_pilot,
        pilots: p
            .pilots
            .iter()
            .map(|x| Choice::new(x.clone(), x.clone(), &current(&q.pilot)))
            .collect(),
        statuses,
        axes: p
            .tree
            .iter()
            .flat_map(|t| t.children.iter())
            .map(|a| Choice::new(a.id.to_string(), a.title.clone(), &current(&q.axis)))
            .collect(),
        late_only: q.late.as_deref() == Some("true"),
        filtered: [&q.pilot, &q.status, &q.late, &q.axis]
            .iter()
            .any(|v| crate::services::blank_to_none(v).is_some()),
        rows,
        late_rows,
    })
}

/// GET `/plans-actions/{id}/export.xlsx`.
pub async fn export(
    State(state): State<AppState>,
    PageUser(cu): PageUser,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    Ok(super::send_file(plans::export(&state, &cu, id).await?))
}

/// GET `/plans-actions/modele.xlsx`.
pub async fn template(PageUser(cu): PageUser) -> Result<Response, PageError> {
    Ok(super::send_file(plans::template(&cu)?))
}
