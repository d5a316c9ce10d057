//! Review pages: the reviews (with the form to record one), and one review with its road map.

use super::extract::{Form, Path, Query};
use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use cpom_domain::review::{ActionStatus, Setting, late};
use cpom_domain::territory::date_fr;
use tower_sessions::Session;

use super::{render, render_status};
use crate::AppState;
use crate::auth::{CurrentUser, PageUser};
use crate::error::{AppError, PageError};
use crate::reviews::{self, ActionInput, ReviewInput, ReviewQuery};
use crate::services::today;
use crate::view::{Choice, FormErrors, FormPairs, Layout, form_value};

/// A review, as listed.
pub struct ReviewLine {
    id: i64,
    held_on: String,
    setting: &'static str,
    with: String,
    participants: usize,
}

/// The reviews.
#[derive(Template)]
#[template(path = "reviews/list.html")]
pub struct ReviewsPage {
    layout: Layout,
    lines: Vec<ReviewLine>,
    total: u64,
    page: u64,
    pages: u64,
    prev_href: String,
    next_href: String,
    filter_ej: String,
    can_manage: bool,
    input: ReviewInput,
    setting: String,
    errors: FormErrors,
}

async fn reviews_page(
    state: &AppState,
    session: &Session,
    cu: &CurrentUser,
    q: &ReviewQuery,
) -> Result<ReviewsPage, AppError> {
    let p = reviews::list(state, cu, q).await?;
    let filters = match q.ej.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(ej) => format!(
            "&{}",
            serde_urlencoded::to_string([("ej", ej)]).unwrap_or_default()
        ),
        None => String::new(),
    };
    let pages = p.page_count();
    let href = |page: u64| format!("/revues?page={page}{filters}");
    Ok(ReviewsPage {
        layout: Layout::new(state, session, cu, "Revues", "/revues").await?,
        lines: p
            .items
            .iter()
            .map(|r| ReviewLine {
                id: r.id,
                held_on: date_fr(r.held_on),
                setting: r.setting.label(),
                with: match (&r.ej, &r.ght) {
                    (Some(ej), _) => format!("{} ({ej})", r.with_name),
                    (None, Some(g)) => format!("{} ({g})", r.with_name),
                    _ => String::new(),
                },
                participants: r.participants.len(),
            })
            .collect(),
        total: p.total,
        page: p.page,
        pages,
        prev_href: if p.page > 1 {
            href(p.page - 1)
        } else {
            String::new()
        },
        next_href: if p.page < pages {
            href(p.page + 1)
        } else {
            String::new()
        },
        filter_ej: q.ej.clone().unwrap_or_default(),
        can_manage: reviews::can_manage(cu),
        input: ReviewInput {
            held_on: date_fr(today()),
            ..ReviewInput::default()
        },
        setting: "ej".into(),
        errors: FormErrors::default(),
    })
}

/// GET `/revues`.
pub async fn list(
    State(state): State<AppState>,
    session: Session,
    PageUser(cu): PageUser,
    Query(q): Query<ReviewQuery>,
) -> Result<Response, PageError> {
    render(&reviews_page(&state, &session, &cu, &q).await?)
}

/// POST `/revues`.
pub async fn create(
    State(state): State<AppState>,
    session: Session,
    PageUser(cu): PageUser,
    Form(input): Form<ReviewInput>,
) -> Result<Response, PageError> {
    match reviews::create(&state, &cu, &input).await {
        Ok(r) => Ok(Redirect::to(&format!("/revues/{}", r.id)).into_response()),
        Err(e @ (AppError::Validation(_) | AppError::Conflict(_))) => {
            let status = e.status();
            let mut page = reviews_page(&state, &session, &cu, &ReviewQuery::default()).await?;
            page.setting = input.setting.clone().unwrap_or_default();
            page.input = input;
            page.errors = FormErrors::refused(e, "setting");
            render_status(&page, status)
        }
        Err(e) => Err(e.into()),
    }
}

/// An action of the road map, as shown.
pub struct ActionLine {
    id: i64,
    title: String,
    owner: String,
    due_on: String,
    status: &'static str,
    late: bool,
    engagements: Vec<String>,
    row_version: i64,
    statuses: Vec<Choice>,
}

/// An engagement to tick.
pub struct EngagementBox {
    code: String,
    label: String,
    checked: bool,
}

/// One review.
#[derive(Template)]
#[template(path = "reviews/show.html")]
pub struct ReviewPage {
    layout: Layout,
    id: i64,
    setting: &'static str,
    with: String,
    with_href: String,
    held_on_fr: String,
    author: String,
    participants_list: Vec<String>,
    minutes: String,
    contracts: Vec<(i64, String)>,
    actions: Vec<ActionLine>,
    can_manage: bool,
    row_version: i64,
    input: ReviewInput,
    errors: FormErrors,
    action: ActionInput,
    action_due: String,
    boxes: Vec<EngagementBox>,
    statuses: Vec<Choice>,
    action_errors: FormErrors,
}

async fn review_page(
    state: &AppState,
    session: &Session,
    cu: &CurrentUser,
    id: i64,
) -> Result<ReviewPage, AppError> {
    let (r, actions, contracts) = reviews::detail(state, cu, id).await?;
    let choices = reviews::engagement_choices(&contracts);
    // The entity's name before each engagement only when the review covers several.
    let several = contracts.iter().any(|c| c.ej != contracts[0].ej);
    let label = |c: &reviews::EngagementChoice| {
        if several {
            format!("{} — {} {}", c.ej_name, c.key, c.title)
        } else {
            format!("{} {}", c.key, c.title)
        }
    };
    let label_of = |code: &str| {
        choices
            .iter()
            .find(|c| c.code == code)
            .map(label)
            .unwrap_or_else(|| format!("engagement {code}"))
    };
    let now = today();
    Ok(ReviewPage {
        layout: Layout::new(
            state,
            session,
            cu,
            format!("Revue du {}", date_fr(r.held_on)),
            "/revues",
        )
        .await?,
        id,
        setting: r.setting.label(),
        with: r.with_name.clone(),
        with_href: match (&r.setting, &r.ej, &r.ght) {
            (Setting::LegalEntity, Some(ej), _) => format!("/registre/ej/{ej}"),
            (Setting::Ght, _, Some(g)) => format!("/registre/ght/{g}"),
            _ => String::new(),
        },
        held_on_fr: date_fr(r.held_on),
        author: r.author.clone(),
        participants_list: r.participants.clone(),
        minutes: r.minutes.clone(),
        contracts: contracts
            .iter()
            .map(|c| {
                let title = if several && !c.title.contains(&c.ej_name) {
                    format!("{} — {}", c.ej_name, c.title)
                } else {
                    c.title.clone()
                };
                (c.id, title)
            })
            .collect(),
        actions: actions
            .iter()
            .map(|a| ActionLine {
                id: a.id,
                title: a.title.clone(),
                owner: a.owner.clone(),
                due_on: date_fr(a.due_on),
                status: a.status.label(),
                late: late(a.status, a.due_on, now),
                engagements: a.engagements.iter().map(|e| label_of(&e.code())).collect(),
                row_version: a.row_version,
                statuses: ActionStatus::ALL
                    .iter()
                    .map(|s| Choice::new(s.as_str(), s.label(), a.status.as_str()))
                    .collect(),
            })
            .collect(),
        can_manage: cu
            .authorize(&cpom_domain::Action::ManageReviews(r.region.clone()))
            .is_ok(),
        row_version: r.row_version,
        input: ReviewInput {
            held_on: date_fr(r.held_on),
            participants: r.participants.join("\n"),
            minutes: Some(r.minutes.clone()),
            ..ReviewInput::default()
        },
        errors: FormErrors::default(),
        action: ActionInput::default(),
        action_due: String::new(),
        boxes: choices
            .iter()
            .map(|c| EngagementBox {
                code: c.code.clone(),
                label: label(c),
                checked: false,
            })
            .collect(),
        statuses: ActionStatus::ALL
            .iter()
            .map(|s| Choice::new(s.as_str(), s.label(), "planned"))
            .collect(),
        action_errors: FormErrors::default(),
    })
}

/// GET `/revues/{id}`.
pub async fn show(
    State(state): State<AppState>,
    session: Session,
    PageUser(cu): PageUser,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    render(&review_page(&state, &session, &cu, id).await?)
}

/// POST `/revues/{id}`: changes the date, participants and minutes.
pub async fn update(
    State(state): State<AppState>,
    session: Session,
    PageUser(cu): PageUser,
    Path(id): Path<i64>,
    Form(input): Form<ReviewInput>,
) -> Result<Response, PageError> {
    match reviews::update(&state, &cu, id, &input).await {
        Ok(_) => Ok(Redirect::to(&format!("/revues/{id}")).into_response()),
        Err(e @ (AppError::Validation(_) | AppError::Conflict(_))) => {
            let status = e.status();
            let mut page = review_page(&state, &session, &cu, id).await?;
            page.input = input;
            page.errors = FormErrors::refused(e, "held_on");
            render_status(&page, status)
        }
        Err(e) => Err(e.into()),
    }
}

/// The action typed in a form (the engagements are repeated checkboxes).
fn action_input(pairs: &FormPairs, with_engagements: bool) -> ActionInput {
    let blank = |name: &str| form_value(pairs, name).filter(|v| !v.trim().is_empty());
    ActionInput {
        title: blank("title"),
        owner: blank("owner"),
        due_on: blank("due_on"),
        status: blank("status"),
        engagements: with_engagements.then(|| {
            pairs
                .iter()
                .filter(|(k, _)| k == "engagements")
                .map(|(_, v)| v.clone())
                .collect()
        }),
        row_version: form_value(pairs, "row_version").and_then(|v| v.trim().parse().ok()),
    }
}

/// POST `/revues/{id}/actions`: adds an action to the road map.
pub async fn add_action(
    State(state): State<AppState>,
    session: Session,
    PageUser(cu): PageUser,
    Path(id): Path<i64>,
    Form(pairs): Form<FormPairs>,
) -> Result<Response, PageError> {
    let input = action_input(&pairs, true);
    match reviews::add_action(&state, &cu, id, &input).await {
        Ok(_) => Ok(Redirect::to(&format!("/revues/{id}#feuille-de-route")).into_response()),
        Err(e @ (AppError::Validation(_) | AppError::Conflict(_))) => {
            let status = e.status();
            let mut page = review_page(&state, &session, &cu, id).await?;
            let ticked = input.engagements.clone().unwrap_or_default();
            for b in &mut page.boxes {
                b.checked = ticked.contains(&b.code);
            }
            let current = input.status.clone().unwrap_or_else(|| "planned".into());
            page.statuses = ActionStatus::ALL
                .iter()
                .map(|s| Choice::new(s.as_str(), s.label(), &current))
                .collect();
            page.action_due = input.due_on.clone().unwrap_or_default();
            page.action = input;
            page.action_errors = FormErrors::refused(e, "title");
            render_status(&page, status)
        }
        Err(e) => Err(e.into()),
    }
}

/// POST `/revues/{id}/actions/{action_id}`: changes an action's status (or other fields
/// sent).
pub async fn update_action(
    State(state): State<AppState>,
    PageUser(cu): PageUser,
    Path((id, action_id)): Path<(i64, i64)>,
    Form(pairs): Form<FormPairs>,
) -> Result<Response, PageError> {
    let input = action_input(&pairs, false);
    reviews::update_action(&state, &cu, id, action_id, &input).await?;
    Ok(Redirect::to(&format!("/revues/{id}#feuille-de-route")).into_response())
}
