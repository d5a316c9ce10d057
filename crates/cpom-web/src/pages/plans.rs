//! Action plan pages: the plans, and one plan's tree with its filters, counts, late items and
//! timeline.

use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use cpom_domain::plan::{Item, Level, PlanDate, followed_items, late};
use tower_sessions::Session;

use super::render;
use crate::AppState;
use crate::auth::PageUser;
use crate::error::PageError;
use crate::plans::{self, PlanQuery};
use crate::services::today;
use crate::view::{Choice, FormErrors, FormPairs, Layout, form_value};

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
    can_import: bool,
    national: bool,
    region: String,
    title: String,
    start_year: String,
    end_year: String,
    errors: FormErrors,
    report: Option<plans::PlanReport>,
    report_counts: Vec<(&'static str, usize)>,
    pending_token: String,
}

/// A plan file previewed and waiting for the administrator's confirmation.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
struct PendingPlan {
    token: String,
    region: String,
    title: String,
    start_year: String,
    end_year: String,
    file_name: String,
}

const PENDING_PLAN: &str = "pending_plan";

fn pending_path(state: &AppState, token: &str) -> std::path::PathBuf {
    state
        .store
        .files_dir()
        .join("imports")
        .join(format!("{token}.plan"))
}

async fn plans_page(
    state: &AppState,
    session: &Session,
    cu: &crate::auth::CurrentUser,
) -> Result<PlansPage, crate::error::AppError> {
    let lines = plans::list(state, cu)
        .await?
        .into_iter()
        .map(|p| PlanLine {
            id: p.id,
            title: p.title,
            region: p.region.name().to_owned(),
            period: format!("{}-{}", p.start_year, p.end_year),
        })
        .collect();
    Ok(PlansPage {
        layout: Layout::new(state, session, cu, "Plans d'actions", "/plans-actions").await?,
        lines,
        can_import: plans::can_import(cu),
        national: cu.user.region.is_none(),
        region: String::new(),
        title: String::new(),
        start_year: String::new(),
        end_year: String::new(),
        errors: FormErrors::default(),
        report: None,
        report_counts: vec![],
        pending_token: String::new(),
    })
}

fn counts_view(r: &plans::PlanReport) -> Vec<(&'static str, usize)> {
    Level::ALL
        .iter()
        .map(|l| (l.label(), r.counts.get(l.as_str()).copied().unwrap_or(0)))
        .collect()
}

/// POST `/plans-actions/import`: previews a plan file.
pub async fn upload(
    State(state): State<AppState>,
    session: Session,
    PageUser(cu): PageUser,
    multipart: axum::extract::Multipart,
) -> Result<Response, PageError> {
    let dir = state.store.files_dir().join("imports");
    let mut sent = PendingPlan {
        token: String::new(),
        region: String::new(),
        title: String::new(),
        start_year: String::new(),
        end_year: String::new(),
        file_name: String::new(),
    };
    let result = async {
        let (upload, bytes) =
            crate::upload::receive_small(multipart, &dir, plans::MAX_PLAN_FILE).await?;
        let field = |n: &str| upload.field(n).unwrap_or_default().to_owned();
        sent.region = field("region");
        sent.title = field("title");
        sent.start_year = field("start_year");
        sent.end_year = field("end_year");
        sent.file_name = upload.file_name.clone();
        let report = plans::import(
            &state,
            &cu,
            &plans::PlanFile {
                region: &sent.region,
                title: &sent.title,
                start_year: &sent.start_year,
                end_year: &sent.end_year,
                file_name: &sent.file_name,
                bytes: &bytes,
            },
            false,
        )
        .await?;
        Ok::<_, crate::error::AppError>((report, bytes))
    }
    .await;
    let mut page = plans_page(&state, &session, &cu).await?;
    page.region = sent.region.clone();
    page.title = sent.title.clone();
    page.start_year = sent.start_year.clone();
    page.end_year = sent.end_year.clone();
    match result {
        Ok((report, bytes)) => {
            if let Some(old) = session
                .remove::<PendingPlan>(PENDING_PLAN)
                .await
                .map_err(super::registry::session_error)?
            {
                let _ = tokio::fs::remove_file(pending_path(&state, &old.token)).await;
            }
            let ok = report.errors.is_empty();
            if ok {
                let token = hex::encode(rand::random::<[u8; 16]>());
                tokio::fs::write(pending_path(&state, &token), &bytes)
                    .await
                    .map_err(|e| crate::error::AppError::Internal(format!("pending plan: {e}")))?;
                sent.token = token.clone();
                session
                    .insert(PENDING_PLAN, sent)
                    .await
                    .map_err(super::registry::session_error)?;
                page.pending_token = token;
            }
            page.report_counts = counts_view(&report);
            page.report = Some(report);
            super::render_status(
                &page,
                if ok {
                    axum::http::StatusCode::OK
                } else {
                    axum::http::StatusCode::UNPROCESSABLE_ENTITY
                },
            )
        }
        Err(e @ (crate::error::AppError::Validation(_) | crate::error::AppError::Conflict(_))) => {
            let status = e.status();
            page.errors = FormErrors::refused(e, "file");
            super::render_status(&page, status)
        }
        Err(e) => Err(e.into()),
    }
}

/// POST `/plans-actions/import/appliquer`: imports the plan previewed.
pub async fn apply(
    State(state): State<AppState>,
    session: Session,
    PageUser(cu): PageUser,
    Form(pairs): Form<FormPairs>,
) -> Result<Response, PageError> {
    if !plans::can_import(&cu) {
        return Err(crate::error::AppError::Forbidden(
            "Les plans d'actions sont importés par les administrateurs de l'ARS de la région."
                .into(),
        )
        .into());
    }
    let token = form_value(&pairs, "token").unwrap_or_default();
    let pending: Option<PendingPlan> = session
        .get(PENDING_PLAN)
        .await
        .map_err(super::registry::session_error)?;
    let Some(pending) = pending.filter(|p| p.token == token) else {
        let mut page = plans_page(&state, &session, &cu).await?;
        page.errors = FormErrors::refused(
            crate::error::AppError::Conflict(
                "Aucun aperçu en attente : envoyez à nouveau le fichier.".into(),
            ),
            "file",
        );
        return super::render_status(&page, axum::http::StatusCode::CONFLICT);
    };
    session
        .remove::<PendingPlan>(PENDING_PLAN)
        .await
        .map_err(super::registry::session_error)?;
    let path = pending_path(&state, &pending.token);
    let bytes = tokio::fs::read(&path).await;
    let _ = tokio::fs::remove_file(&path).await;
    let bytes =
        bytes.map_err(|e| crate::error::AppError::Internal(format!("pending plan: {e}")))?;
    let report = plans::import(
        &state,
        &cu,
        &plans::PlanFile {
            region: &pending.region,
            title: &pending.title,
            start_year: &pending.start_year,
            end_year: &pending.end_year,
            file_name: &pending.file_name,
            bytes: &bytes,
        },
        true,
    )
    .await?;
    match report.plan_id {
        Some(id) => Ok(Redirect::to(&format!("/plans-actions/{id}")).into_response()),
        None => {
            let mut page = plans_page(&state, &session, &cu).await?;
            page.report_counts = counts_view(&report);
            page.report = Some(report);
            super::render_status(&page, axum::http::StatusCode::UNPROCESSABLE_ENTITY)
        }
    }
}

/// GET `/plans-actions`.
pub async fn list(
    State(state): State<AppState>,
    session: Session,
    PageUser(cu): PageUser,
) -> Result<Response, PageError> {
    render(&plans_page(&state, &session, &cu).await?)
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
    let row = |n: &Item, depth: usize| ItemRow {
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
    fn walk<'a>(nodes: &'a [Item], depth: usize, out: &mut Vec<(&'a Item, usize)>) {
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
