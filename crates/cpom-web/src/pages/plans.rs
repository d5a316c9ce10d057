//! Action plan pages: the plans, and one plan's tree with its filters, counts, late items and
//! timeline.

use super::extract::{Form, Path, Query};
use askama::Template;
use axum::extract::State;
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
    id: i64,
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
    rights: plans::Rights,
    members: Vec<MemberLine>,
    candidates: Vec<Choice>,
    member_errors: FormErrors,
}

/// An account with a role on the plan.
pub struct MemberLine {
    user_id: i64,
    name: String,
    email: String,
    account_role: &'static str,
    role: &'static str,
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
    render(&plan_page(&state, &session, &cu, id, &q).await?)
}

async fn plan_page(
    state: &AppState,
    session: &Session,
    cu: &crate::auth::CurrentUser,
    id: i64,
    q: &PlanQuery,
) -> Result<PlanPage, crate::error::AppError> {
    let (p, tree, rights) = plans::view(state, cu, id, q).await?;
    let (members, candidates) = plans::members_of(state, &p.summary, rights).await?;
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
        id: n.id,
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
    Ok(PlanPage {
        layout: Layout::new(state, session, cu, &p.summary.title, "/plans-actions").await?,
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
        rights,
        members: members
            .into_iter()
            .map(|m| MemberLine {
                user_id: m.account.user_id,
                name: m.account.name,
                email: m.account.email,
                account_role: m.account.account_role.label(),
                role: m.role.label(),
            })
            .collect(),
        candidates: candidates
            .into_iter()
            .map(|c| {
                Choice::new(
                    c.user_id.to_string(),
                    format!("{} ({}, {})", c.name, c.email, c.account_role.label()),
                    "",
                )
            })
            .collect(),
        member_errors: FormErrors::default(),
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

/// POST `/plans-actions/{id}/roles`: gives an account a role on the plan (or changes it).
pub async fn set_member(
    State(state): State<AppState>,
    session: Session,
    PageUser(cu): PageUser,
    Path(id): Path<i64>,
    Form(pairs): Form<FormPairs>,
) -> Result<Response, PageError> {
    let user_id = form_value(&pairs, "user_id").unwrap_or_default();
    let role = form_value(&pairs, "role").unwrap_or_default();
    match plans::set_member(&state, &cu, id, &user_id, &role).await {
        Ok(()) => Ok(Redirect::to(&format!("/plans-actions/{id}#roles")).into_response()),
        Err(e @ (crate::error::AppError::Validation(_) | crate::error::AppError::Conflict(_))) => {
            let status = e.status();
            let mut page = plan_page(&state, &session, &cu, id, &PlanQuery::default()).await?;
            page.member_errors = FormErrors::refused(e, "user_id");
            super::render_status(&page, status)
        }
        Err(e) => Err(e.into()),
    }
}

/// POST `/plans-actions/{id}/roles/{user_id}/retirer`: takes an account's role away.
pub async fn remove_member(
    State(state): State<AppState>,
    PageUser(cu): PageUser,
    Path((id, user_id)): Path<(i64, i64)>,
) -> Result<Response, PageError> {
    plans::remove_member(&state, &cu, id, user_id).await?;
    Ok(Redirect::to(&format!("/plans-actions/{id}#roles")).into_response())
}

/// A child of an item, as listed on its page.
pub struct ChildLine {
    id: i64,
    level: &'static str,
    title: String,
    status: String,
    end: String,
    late: bool,
}

/// A progress note, as shown.
pub struct NoteLine {
    day: String,
    text: String,
    author: String,
    written: String,
}

/// A link, as shown.
pub struct LinkLine {
    id: i64,
    kind: &'static str,
    label: String,
    href: String,
}

/// One item of a plan: its fields (and their form), its children, progress notes and links.
#[derive(Template)]
#[template(path = "plans/item.html")]
pub struct ItemPage {
    layout: Layout,
    plan_id: i64,
    plan_title: String,
    path: Vec<(i64, &'static str, String)>,
    item_id: i64,
    level: &'static str,
    followed: bool,
    title: String,
    pilots: String,
    status: String,
    start: String,
    end: String,
    late: bool,
    description: String,
    doubt: String,
    warnings: Vec<String>,
    children: Vec<ChildLine>,
    notes: Vec<NoteLine>,
    links: Vec<LinkLine>,
    edit: bool,
    row_version: i64,
    input: cpom_domain::plan::ItemEdit,
    statuses: Vec<Choice>,
    pilots_hint: String,
    errors: FormErrors,
    saved: bool,
    note_day: String,
    note_text: String,
    note_errors: FormErrors,
    kinds: Vec<Choice>,
    link_target: String,
    link_errors: FormErrors,
}

/// What a link points to in the interface.
fn link_href(l: &cpom_store::repo::plans::PlanLink) -> String {
    use cpom_domain::plan::LinkKind;
    if l.label.is_empty() {
        return String::new();
    }
    match l.kind {
        LinkKind::Contract => format!("/contrats/{}", l.target),
        LinkKind::Campaign => format!("/campagnes/{}", l.target),
        LinkKind::Fiche => match l.target.split_once(':') {
            Some((slug, code)) => format!("/referentiels/{slug}/fiches/{code}"),
            None => String::new(),
        },
    }
}

async fn item_page(
    state: &AppState,
    session: &Session,
    cu: &crate::auth::CurrentUser,
    id: i64,
    item_id: i64,
) -> Result<ItemPage, crate::error::AppError> {
    let v = plans::item(state, cu, id, item_id).await?;
    let now = today();
    let statuses = &v.plan.statuses;
    let label = |code: &Option<String>| {
        code.as_ref().map_or_else(String::new, |c| {
            statuses
                .iter()
                .find(|s| s.code == *c)
                .map_or_else(|| c.clone(), |s| s.label.clone())
        })
    };
    let i = &v.item;
    let input = plans::edit_of(i);
    Ok(ItemPage {
        layout: Layout::new(state, session, cu, &i.title, "/plans-actions").await?,
        plan_id: id,
        plan_title: v.plan.summary.title.clone(),
        path: v.path.clone(),
        item_id,
        level: i.level.label(),
        followed: i.level.followed(),
        title: i.title.clone(),
        pilots: i.pilots.join(" / "),
        status: label(&i.status),
        start: date(i.start),
        end: date(i.end),
        late: i.level.followed() && late(i.end, i.status.as_deref(), statuses, now),
        description: i.description.clone(),
        doubt: i.doubt.clone(),
        warnings: v.warnings.clone(),
        children: i
            .children
            .iter()
            .map(|c| ChildLine {
                id: c.id,
                level: c.level.label(),
                title: c.title.clone(),
                status: label(&c.status),
                end: date(c.end),
                late: c.level.followed() && late(c.end, c.status.as_deref(), statuses, now),
            })
            .collect(),
        notes: v
            .notes
            .iter()
            .map(|n| NoteLine {
                day: cpom_domain::territory::date_fr(n.noted_on),
                text: n.text.clone(),
                author: n.author.clone(),
                written: crate::view::datetime_fr(n.created_at),
            })
            .collect(),
        links: v
            .links
            .iter()
            .map(|l| LinkLine {
                id: l.id,
                kind: l.kind.label(),
                label: if l.label.is_empty() {
                    format!("{} (introuvable)", l.target)
                } else {
                    l.label.clone()
                },
                href: link_href(l),
            })
            .collect(),
        edit: v.rights.edit,
        row_version: i.row_version,
        statuses: statuses
            .iter()
            .map(|s| Choice::new(s.code.clone(), s.label.clone(), &input.status))
            .collect(),
        pilots_hint: format!(
            "pilote principal d'abord, séparés par « / » ; pilotes de la région : {}",
            v.plan.pilots.join(", ")
        ),
        input,
        errors: FormErrors::default(),
        saved: false,
        note_day: cpom_domain::territory::date_fr(now),
        note_text: String::new(),
        note_errors: FormErrors::default(),
        kinds: cpom_domain::plan::LinkKind::ALL
            .iter()
            .map(|k| Choice::new(k.as_str(), k.label(), "contract"))
            .collect(),
        link_target: String::new(),
        link_errors: FormErrors::default(),
    })
}

/// Query of an item's page.
#[derive(Debug, Default, serde::Deserialize)]
pub struct ItemQuery {
    /// Set after a change was saved.
    enregistre: Option<String>,
}

/// GET `/plans-actions/{id}/elements/{item_id}`.
pub async fn item(
    State(state): State<AppState>,
    session: Session,
    PageUser(cu): PageUser,
    Path((id, item_id)): Path<(i64, i64)>,
    Query(q): Query<ItemQuery>,
) -> Result<Response, PageError> {
    let mut page = item_page(&state, &session, &cu, id, item_id).await?;
    page.saved = q.enregistre.is_some();
    render(&page)
}

/// POST `/plans-actions/{id}/elements/{item_id}`: changes the item at the version read.
pub async fn update_item(
    State(state): State<AppState>,
    session: Session,
    PageUser(cu): PageUser,
    Path((id, item_id)): Path<(i64, i64)>,
    Form(pairs): Form<FormPairs>,
) -> Result<Response, PageError> {
    let field = |n: &str| form_value(&pairs, n).unwrap_or_default();
    let input = cpom_domain::plan::ItemEdit {
        title: field("title"),
        pilots: field("pilots"),
        status: field("status"),
        start: field("start"),
        end: field("end"),
        description: field("description"),
    };
    let version = form_value(&pairs, "row_version").and_then(|v| v.trim().parse().ok());
    let typed = input.clone();
    match plans::update_item(&state, &cu, id, item_id, version, move |_| typed).await {
        Ok(_) => Ok(Redirect::to(&format!(
            "/plans-actions/{id}/elements/{item_id}?enregistre=1"
        ))
        .into_response()),
        Err(e @ (crate::error::AppError::Validation(_) | crate::error::AppError::Conflict(_))) => {
            let status = e.status();
            let mut page = item_page(&state, &session, &cu, id, item_id).await?;
            // On a conflict the form shows the version now stored; otherwise what was typed.
            if status != axum::http::StatusCode::CONFLICT {
                page.statuses = page
                    .statuses
                    .into_iter()
                    .map(|c| Choice::new(c.value.clone(), c.label.clone(), &input.status))
                    .collect();
                page.input = input;
            }
            page.errors = FormErrors::refused(e, "title");
            super::render_status(&page, status)
        }
        Err(e) => Err(e.into()),
    }
}

/// POST `/plans-actions/{id}/elements/{item_id}/points`: adds a dated progress note.
pub async fn add_note(
    State(state): State<AppState>,
    session: Session,
    PageUser(cu): PageUser,
    Path((id, item_id)): Path<(i64, i64)>,
    Form(pairs): Form<FormPairs>,
) -> Result<Response, PageError> {
    let day = form_value(&pairs, "noted_on").unwrap_or_default();
    let text = form_value(&pairs, "text").unwrap_or_default();
    match plans::add_note(&state, &cu, id, item_id, &day, &text).await {
        Ok(_) => Ok(
            Redirect::to(&format!("/plans-actions/{id}/elements/{item_id}#points")).into_response(),
        ),
        Err(e @ crate::error::AppError::Validation(_)) => {
            let status = e.status();
            let mut page = item_page(&state, &session, &cu, id, item_id).await?;
            page.note_day = day;
            page.note_text = text;
            page.note_errors = FormErrors::refused(e, "text");
            super::render_status(&page, status)
        }
        Err(e) => Err(e.into()),
    }
}

/// POST `/plans-actions/{id}/elements/{item_id}/liens`: links the item.
pub async fn add_link(
    State(state): State<AppState>,
    session: Session,
    PageUser(cu): PageUser,
    Path((id, item_id)): Path<(i64, i64)>,
    Form(pairs): Form<FormPairs>,
) -> Result<Response, PageError> {
    let kind = form_value(&pairs, "kind").unwrap_or_default();
    let target = form_value(&pairs, "target").unwrap_or_default();
    match plans::add_link(&state, &cu, id, item_id, &kind, &target).await {
        Ok(_) => Ok(
            Redirect::to(&format!("/plans-actions/{id}/elements/{item_id}#liens")).into_response(),
        ),
        Err(e @ (crate::error::AppError::Validation(_) | crate::error::AppError::Conflict(_))) => {
            let status = e.status();
            let mut page = item_page(&state, &session, &cu, id, item_id).await?;
            page.kinds = cpom_domain::plan::LinkKind::ALL
                .iter()
                .map(|k| Choice::new(k.as_str(), k.label(), &kind))
                .collect();
            page.link_target = target;
            page.link_errors = FormErrors::refused(e, "target");
            super::render_status(&page, status)
        }
        Err(e) => Err(e.into()),
    }
}

/// POST `/plans-actions/{id}/elements/{item_id}/liens/{link_id}/retirer`: removes a link.
pub async fn remove_link(
    State(state): State<AppState>,
    PageUser(cu): PageUser,
    Path((id, item_id, link_id)): Path<(i64, i64, i64)>,
) -> Result<Response, PageError> {
    plans::remove_link(&state, &cu, id, item_id, link_id).await?;
    Ok(Redirect::to(&format!("/plans-actions/{id}/elements/{item_id}#liens")).into_response())
}

/// A status line of the lists' form.
pub struct StatusLine {
    index: usize,
    code: String,
    label: String,
    closed: bool,
}

/// The statuses and pilots of a region's plans.
#[derive(Template)]
#[template(path = "plans/lists.html")]
pub struct ListsPage {
    layout: Layout,
    region: String,
    region_name: String,
    national: bool,
    version: i64,
    statuses: Vec<StatusLine>,
    pilots: String,
    errors: FormErrors,
    saved: bool,
}

/// Query of the lists' page.
#[derive(Debug, Default, serde::Deserialize)]
pub struct ListsQuery {
    /// Region (the national administrator's choice).
    region: Option<String>,
    /// Set after a save.
    enregistre: Option<String>,
}

/// Blank lines offered to add statuses.
const NEW_STATUS_LINES: usize = 3;

async fn lists_page(
    state: &AppState,
    session: &Session,
    cu: &crate::auth::CurrentUser,
    region: &cpom_domain::RegionCode,
) -> Result<ListsPage, crate::error::AppError> {
    let l = plans::lists(state, cu, region).await?;
    let mut statuses: Vec<StatusLine> = l
        .statuses
        .iter()
        .enumerate()
        .map(|(index, s)| StatusLine {
            index,
            code: s.code.clone(),
            label: s.label.clone(),
            closed: s.closed,
        })
        .collect();
    let n = statuses.len();
    statuses.extend((n..n + NEW_STATUS_LINES).map(|index| StatusLine {
        index,
        code: String::new(),
        label: String::new(),
        closed: false,
    }));
    Ok(ListsPage {
        layout: Layout::new(
            state,
            session,
            cu,
            "Statuts et pilotes des plans d'actions",
            "/plans-actions",
        )
        .await?,
        region: region.to_string(),
        region_name: region.name().to_owned(),
        national: cu.user.region.is_none(),
        version: l.version,
        statuses,
        pilots: l.pilots.join("\n"),
        errors: FormErrors::default(),
        saved: false,
    })
}

/// GET `/plans-actions/listes`.
pub async fn lists(
    State(state): State<AppState>,
    session: Session,
    PageUser(cu): PageUser,
    Query(q): Query<ListsQuery>,
) -> Result<Response, PageError> {
    let region = plans::lists_region(&cu, q.region.as_deref())?;
    let mut page = lists_page(&state, &session, &cu, &region).await?;
    page.saved = q.enregistre.is_some();
    render(&page)
}

/// POST `/plans-actions/listes`: saves the region's statuses and pilots.
pub async fn save_lists(
    State(state): State<AppState>,
    session: Session,
    PageUser(cu): PageUser,
    Form(pairs): Form<FormPairs>,
) -> Result<Response, PageError> {
    let region = plans::lists_region(&cu, form_value(&pairs, "region").as_deref())?;
    let statuses: Vec<cpom_domain::plan::StatusInput> =
        crate::view::form_lines(&pairs, "statuses", 40)
            .into_iter()
            .map(|l| cpom_domain::plan::StatusInput {
                code: l.get("code").cloned().unwrap_or_default(),
                label: l.get("label").cloned().unwrap_or_default(),
                closed: l.get("closed").is_some_and(|v| v == "true"),
            })
            .collect();
    let pilots = form_value(&pairs, "pilots").unwrap_or_default();
    let version = form_value(&pairs, "version").and_then(|v| v.trim().parse().ok());
    match plans::set_lists(&state, &cu, &region, &statuses, &pilots, version).await {
        Ok(_) => Ok(Redirect::to(&format!(
            "/plans-actions/listes?region={region}&enregistre=1"
        ))
        .into_response()),
        Err(e @ (crate::error::AppError::Validation(_) | crate::error::AppError::Conflict(_))) => {
            let status = e.status();
            let mut page = lists_page(&state, &session, &cu, &region).await?;
            if status != axum::http::StatusCode::CONFLICT {
                page.statuses = statuses
                    .iter()
                    .enumerate()
                    .map(|(index, s)| StatusLine {
                        index,
                        code: s.code.clone(),
                        label: s.label.clone(),
                        closed: s.closed,
                    })
                    .collect();
                page.pilots = pilots;
            }
            page.errors = FormErrors::refused(e, "statuses");
            super::render_status(&page, status)
        }
        Err(e) => Err(e.into()),
    }
}
