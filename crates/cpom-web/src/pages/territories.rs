//! Territory pages: GHT list and page (members over time, forms of the administrators),
//! labels of a legal entity (add, end), the "as of" view of a legal entity's labels,
//! authorisations and GHT, and the CSV templates of the ARS imports.

use super::extract::Form;
use super::extract::Path;
use askama::Template;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{Datelike, NaiveDate};
use cpom_domain::Action;
use cpom_domain::territory::{Label, Period, PeriodState, date_fr, years_until};
use cpom_store::repo::territories::{
    AUTHORISATIONS_TEMPLATE, AuthorisationRecord, EntityTerritory, GHT_TEMPLATE, Ght,
};
use tower_sessions::Session;

use super::{render, render_status};
use crate::AppState;
use crate::auth::{CurrentUser, PageUser};
use crate::error::{AppError, PageError};
use crate::services::{self, CreateGhtInput, EndInput, GhtMemberInput, LabelInput};
use crate::view::{Choice, Layout};

/// A membership of the legal entity in a GHT.
pub struct MembershipRow {
    pub(crate) ght_code: String,
    pub(crate) ght_name: String,
    pub(crate) role: &'static str,
    pub(crate) period: String,
    pub(crate) state: &'static str,
}

/// The GHT of the legal entity on the reference date.
pub struct GhtNow {
    pub(crate) code: String,
    pub(crate) name: String,
    pub(crate) role: &'static str,
    pub(crate) period: String,
    pub(crate) support_finess: String,
    pub(crate) support_name: String,
}

/// A label period of the legal entity.
pub struct LabelRow {
    pub(crate) id: i64,
    pub(crate) name: &'static str,
    pub(crate) period: String,
    pub(crate) state: &'static str,
    pub(crate) in_force: bool,
    pub(crate) note: String,
    pub(crate) version: i64,
    pub(crate) can_end: bool,
}

/// One authorisation period.
pub struct AuthorisationRow {
    pub(crate) activity: String,
    pub(crate) modality: String,
    pub(crate) form: String,
    pub(crate) number: String,
    pub(crate) granted_on: String,
    pub(crate) period: String,
    pub(crate) state: &'static str,
    pub(crate) in_force: bool,
}

/// The authorisations of one site.
pub struct SiteAuthorisations {
    pub(crate) finess: String,
    pub(crate) name: String,
    pub(crate) rows: Vec<AuthorisationRow>,
}

/// What changes over time on a legal entity, seen on a reference date.
pub struct TerritoryView {
    /// The reference date in words.
    pub(crate) as_of: String,
    /// Years of the "as of" selector.
    pub(crate) years: Vec<Choice>,
    /// GHT on the reference date.
    pub(crate) ght_now: Option<GhtNow>,
    /// Every membership, newest first.
    pub(crate) memberships: Vec<MembershipRow>,
    /// Every label period.
    pub(crate) labels: Vec<LabelRow>,
    /// Names of the labels in force on the reference date.
    pub(crate) labels_now: Vec<&'static str>,
    /// Choices of the label form.
    pub(crate) label_choices: Vec<Choice>,
    /// Authorisations by site.
    pub(crate) sites: Vec<SiteAuthorisations>,
    /// Number of authorisations in force on the reference date.
    pub(crate) in_force_count: usize,
}

fn state_label(period: &Period, on: NaiveDate) -> &'static str {
    match period.state(on) {
        PeriodState::InForce => "en vigueur",
        PeriodState::Upcoming => "à venir",
        PeriodState::Ended => "terminée",
    }
}

fn code_and_label(code: &Option<String>, label: &Option<String>) -> String {
    match (code, label) {
        (Some(c), Some(l)) => format!("{l} ({c})"),
        (None, Some(l)) => l.clone(),
        (Some(c), None) => c.clone(),
        (None, None) => "—".into(),
    }
}

/// The rows of authorisations, as of `on`.
pub fn authorisation_rows(list: &[AuthorisationRecord], on: NaiveDate) -> Vec<AuthorisationRow> {
    list.iter()
        .map(|a| AuthorisationRow {
            activity: format!("{} ({})", a.activity_label, a.activity_code),
            modality: code_and_label(&a.modality_code, &a.modality_label),
            form: code_and_label(&a.form_code, &a.form_label),
            number: a.number.clone().unwrap_or_default(),
            granted_on: a.granted_on.map(date_fr).unwrap_or_default(),
            period: a.period.label(),
            state: state_label(&a.period, on),
            in_force: a.period.contains(on),
        })
        .collect()
}

/// Builds the view of a legal entity's territory as of `year` (today without a year).
pub fn territory_view(t: &EntityTerritory, year: Option<i32>) -> TerritoryView {
    let today = services::today();
    let on = cpom_domain::territory::reference_date(year, today);
    let first_year = t
        .labels
        .iter()
        .map(|l| l.period.from)
        .chain(t.authorisations.iter().map(|a| a.period.from))
        .chain(t.memberships.iter().map(|m| m.period.from))
        .min()
        .map_or(today.year() - 5, |d| d.year())
        .max(1990);
    let selected = year.map(|y| y.to_string()).unwrap_or_default();
    let ght_now = t
        .memberships
        .iter()
        .find(|m| m.period.contains(on))
        .map(|m| {
            let support = t
                .supports
                .iter()
                .find(|s| s.ght_code == m.ght_code && s.period.contains(on));
            GhtNow {
                code: m.ght_code.clone(),
                name: m.ght_name.clone(),
                role: if m.support {
                    "établissement support"
                } else {
                    "membre"
                },
                period: m.period.label(),
                support_finess: support.map(|s| s.ej.to_string()).unwrap_or_default(),
                support_name: support.map(|s| s.ej_name.clone()).unwrap_or_default(),
            }
        });
    let mut sites: Vec<SiteAuthorisations> = Vec::new();
    for a in &t.authorisations {
        let rows = authorisation_rows(std::slice::from_ref(a), on);
        match sites.last_mut() {
            Some(s) if s.finess == a.site.as_str() => s.rows.extend(rows),
            _ => sites.push(SiteAuthorisations {
                finess: a.site.to_string(),
                name: a.site_name.clone(),
                rows,
            }),
        }
    }
    TerritoryView {
        as_of: if on == today {
            format!("aujourd'hui ({})", date_fr(on))
        } else {
            format!("au {}", date_fr(on))
        },
        years: years_until(first_year, today)
            .into_iter()
            .map(|y| Choice::new(y.to_string(), y.to_string(), &selected))
            .collect(),
        ght_now,
        memberships: t
            .memberships
            .iter()
            .map(|m| MembershipRow {
                ght_code: m.ght_code.clone(),
                ght_name: m.ght_name.clone(),
                role: if m.support {
                    "Établissement support"
                } else {
                    "Membre"
                },
                period: m.period.label(),
                state: state_label(&m.period, on),
            })
            .collect(),
        labels: t
            .labels
            .iter()
            .map(|l| LabelRow {
                id: l.id,
                name: l.label.label(),
                period: l.period.label(),
                state: state_label(&l.period, on),
                in_force: l.period.contains(on),
                note: l.note.clone().unwrap_or_default(),
                version: l.version,
                can_end: l.period.to.is_none_or(|end| end >= today),
            })
            .collect(),
        labels_now: t
            .labels
            .iter()
            .filter(|l| l.period.contains(on))
            .map(|l| l.label.label())
            .collect(),
        label_choices: Label::ALL
            .iter()
            .map(|l| Choice::new(l.as_str(), l.label(), ""))
            .collect(),
        in_force_count: t
            .authorisations
            .iter()
            .filter(|a| a.period.contains(on))
            .count(),
        sites,
    }
}

// ---------------------------------------------------------------------------------------
// GHT list.

/// One GHT of the list.
pub struct GhtRow {
    code: String,
    name: String,
    region: String,
    members: u64,
    support: String,
    support_finess: String,
}

/// The list of GHT of the actor's scope, with the creation form for administrators.
#[derive(Template)]
#[template(path = "registry/ght_list.html")]
pub struct GhtListPage {
    layout: Layout,
    today: String,
    rows: Vec<GhtRow>,
    regions: Vec<Choice>,
    can_create: bool,
    choose_region: bool,
    code: String,
    name: String,
    error: String,
}

async fn ght_list_page(
    state: &AppState,
    session: &Session,
    cu: &CurrentUser,
    form: &CreateGhtInput,
) -> Result<GhtListPage, AppError> {
    let ghts = services::list_ghts(state, cu).await?;
    let regions = services::ght_regions(cu);
    let current_region = form
        .region
        .clone()
        .or_else(|| cu.user.region.as_ref().map(ToString::to_string))
        .unwrap_or_default();
    Ok(GhtListPage {
        layout: Layout::new(
            state,
            session,
            cu,
            "Groupements hospitaliers de territoire",
            "/registre",
        )
        .await?,
        today: date_fr(services::today()),
        rows: ghts
            .into_iter()
            .map(|g| GhtRow {
                region: g.region.name().to_owned(),
                members: g.members_in_force,
                support_finess: g
                    .support
                    .as_ref()
                    .map(|(f, _)| f.to_string())
                    .unwrap_or_default(),
                support: g.support.map(|(_, n)| n).unwrap_or_default(),
                code: g.code,
                name: g.name,
            })
            .collect(),
        can_create: !regions.is_empty(),
        choose_region: regions.len() > 1,
        regions: regions
            .iter()
            .map(|r| Choice::new(r.as_str(), r.name(), &current_region))
            .collect(),
        code: form.code.clone(),
        name: form.name.clone(),
        error: String::new(),
    })
}

/// GET `/registre/ght`.
pub async fn list_ghts(
    State(state): State<AppState>,
    session: Session,
    PageUser(cu): PageUser,
) -> Result<Response, PageError> {
    render(&ght_list_page(&state, &session, &cu, &CreateGhtInput::default()).await?)
}

/// POST `/registre/ght`: creates a GHT, then shows it.
pub async fn create_ght(
    State(state): State<AppState>,
    session: Session,
    PageUser(cu): PageUser,
    Form(form): Form<CreateGhtInput>,
) -> Result<Response, PageError> {
    match services::create_ght(&state, &cu, &form).await {
        Ok(g) => Ok(Redirect::to(&format!("/registre/ght/{}", g.code)).into_response()),
        Err(e @ (AppError::Validation(_) | AppError::Conflict(_))) => {
            let mut p = ght_list_page(&state, &session, &cu, &form).await?;
            p.error = e.message();
            render_status(&p, e.status())
        }
        Err(e) => Err(e.into()),
    }
}

// ---------------------------------------------------------------------------------------
// One GHT.

/// One membership on the GHT page.
pub struct GhtMemberRow {
    id: i64,
    finess: String,
    name: String,
    role: &'static str,
    period: String,
    state: &'static str,
    can_end: bool,
}

/// The page of a GHT: members over time, forms of the administrators.
#[derive(Template)]
#[template(path = "registry/ght.html")]
pub struct GhtPage {
    layout: Layout,
    code: String,
    name: String,
    region: String,
    version: i64,
    today: String,
    support_now: String,
    support_now_finess: String,
    members_now: usize,
    members: Vec<GhtMemberRow>,
    can_edit: bool,
    ej: String,
    support: bool,
    valid_from: String,
    valid_to: String,
    error: String,
}

fn ght_page(layout: Layout, cu: &CurrentUser, g: &Ght) -> GhtPage {
    let today = services::today();
    let support = g
        .members
        .iter()
        .find(|m| m.support && m.period.contains(today));
    GhtPage {
        layout,
        code: g.code.clone(),
        name: g.name.clone(),
        region: g.region.name().to_owned(),
        version: g.version,
        today: date_fr(today),
        support_now: support.map(|s| s.ej_name.clone()).unwrap_or_default(),
        support_now_finess: support.map(|s| s.ej.to_string()).unwrap_or_default(),
        members_now: g
            .members
            .iter()
            .filter(|m| m.period.contains(today))
            .count(),
        members: g
            .members
            .iter()
            .map(|m| GhtMemberRow {
                id: m.id,
                finess: m.ej.to_string(),
                name: m.ej_name.clone(),
                role: if m.support {
                    "Établissement support"
                } else {
                    "Membre"
                },
                period: m.period.label(),
                state: state_label(&m.period, today),
                can_end: m.period.to.is_none_or(|end| end >= today),
            })
            .collect(),
        can_edit: services::can_edit_ght(cu, g),
        ej: String::new(),
        support: false,
        valid_from: String::new(),
        valid_to: String::new(),
        error: String::new(),
    }
}

/// GET `/registre/ght/{code}`.
pub async fn show_ght(
    State(state): State<AppState>,
    session: Session,
    PageUser(cu): PageUser,
    Path(code): Path<String>,
) -> Result<Response, PageError> {
    let g = services::ght(&state, &cu, &code).await?;
    let layout = Layout::new(&state, &session, &cu, g.name.clone(), "/registre").await?;
    render(&ght_page(layout, &cu, &g))
}

/// Shows the GHT page again with the error of a form (422, 409), keeping what was typed.
async fn ght_error(
    state: &AppState,
    session: &Session,
    cu: &CurrentUser,
    code: &str,
    e: AppError,
    typed: Option<&GhtMemberInput>,
) -> Result<Response, PageError> {
    let g = services::ght(state, cu, code).await?;
    let layout = Layout::new(state, session, cu, g.name.clone(), "/registre").await?;
    let mut p = ght_page(layout, cu, &g);
    p.error = e.message();
    if let Some(t) = typed {
        p.ej = t.ej.clone();
        p.support = t.support;
        p.valid_from = t.valid_from.clone();
        p.valid_to = t.valid_to.clone().unwrap_or_default();
    }
    render_status(&p, e.status())
}

/// POST `/registre/ght/{code}/membres`.
pub async fn add_member(
    State(state): State<AppState>,
    session: Session,
    PageUser(cu): PageUser,
    Path(code): Path<String>,
    Form(form): Form<GhtMemberInput>,
) -> Result<Response, PageError> {
    match services::add_ght_member(&state, &cu, &code, &form).await {
        Ok(m) => Ok(Redirect::to(&format!("/registre/ght/{}", m.ght_code)).into_response()),
        Err(e @ (AppError::Validation(_) | AppError::Conflict(_))) => {
            ght_error(&state, &session, &cu, &code, e, Some(&form)).await
        }
        Err(e) => Err(e.into()),
    }
}

/// POST `/registre/ght/{code}/membres/{id}/fin`.
pub async fn end_member(
    State(state): State<AppState>,
    session: Session,
    PageUser(cu): PageUser,
    Path((code, id)): Path<(String, i64)>,
    Form(form): Form<EndInput>,
) -> Result<Response, PageError> {
    match services::end_ght_member(&state, &cu, &code, id, &form).await {
        Ok(m) => Ok(Redirect::to(&format!("/registre/ght/{}", m.ght_code)).into_response()),
        Err(e @ (AppError::Validation(_) | AppError::Conflict(_))) => {
            ght_error(&state, &session, &cu, &code, e, None).await
        }
        Err(e) => Err(e.into()),
    }
}

// ---------------------------------------------------------------------------------------
// Labels of a legal entity.

/// POST `/registre/ej/{finess}/labels`.
pub async fn add_label(
    State(state): State<AppState>,
    session: Session,
    PageUser(cu): PageUser,
    Path(finess): Path<String>,
    Form(form): Form<LabelInput>,
) -> Result<Response, PageError> {
    match services::add_label(&state, &cu, &finess, &form).await {
        Ok(_) => Ok(Redirect::to(&format!("/registre/ej/{finess}#labels")).into_response()),
        Err(e @ (AppError::Validation(_) | AppError::Conflict(_))) => {
            super::registry::entity_error(&state, &session, &cu, &finess, e).await
        }
        Err(e) => Err(e.into()),
    }
}

/// POST `/registre/ej/{finess}/labels/{id}/fin`.
pub async fn end_label(
    State(state): State<AppState>,
    session: Session,
    PageUser(cu): PageUser,
    Path((finess, id)): Path<(String, i64)>,
    Form(form): Form<EndInput>,
) -> Result<Response, PageError> {
    match services::end_label(&state, &cu, &finess, id, &form).await {
        Ok(_) => Ok(Redirect::to(&format!("/registre/ej/{finess}#labels")).into_response()),
        Err(e @ (AppError::Validation(_) | AppError::Conflict(_))) => {
            super::registry::entity_error(&state, &session, &cu, &finess, e).await
        }
        Err(e) => Err(e.into()),
    }
}

// ---------------------------------------------------------------------------------------
// Templates of the ARS imports.

fn csv_attachment(name: &str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        body,
    )
        .into_response()
}

/// GET `/registre/modeles/autorisations.csv` (administrators who import).
pub async fn authorisations_template(PageUser(cu): PageUser) -> Result<Response, PageError> {
    cu.authorize(&Action::ImportRegistry)?;
    Ok(csv_attachment("autorisations.csv", AUTHORISATIONS_TEMPLATE))
}

/// GET `/registre/modeles/ght.csv` (administrators who import).
pub async fn ght_template(PageUser(cu): PageUser) -> Result<Response, PageError> {
    cu.authorize(&Action::ImportRegistry)?;
    Ok(csv_attachment("ght.csv", GHT_TEMPLATE))
}
