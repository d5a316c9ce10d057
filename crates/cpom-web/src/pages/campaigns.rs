//! Campaign pages: the campaigns, one campaign's declarations, and one declaration's form.

use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use cpom_domain::campaign::DeclarationState;
use tower_sessions::Session;

use super::{render, render_status};
use crate::AppState;
use crate::auth::{CurrentUser, PageUser};
use crate::campaigns::{self, DeclarationQuery, NewCampaignInput, StepInput};
use crate::error::{AppError, PageError};
use crate::view::{Choice, FormErrors, FormPairs, Layout, datetime_fr, form_value};

/// A campaign, as listed.
pub struct CampaignLine {
    id: i64,
    title: String,
    year: i32,
    deadline: String,
    perimeter: String,
    open: bool,
    counts: String,
}

/// The campaigns.
#[derive(Template)]
#[template(path = "campaigns/list.html")]
pub struct CampaignsPage {
    layout: Layout,
    lines: Vec<CampaignLine>,
    can_open: bool,
    year: String,
    deadline: String,
    title: String,
    perimeter: String,
    department: String,
    contracts: String,
    errors: FormErrors,
}

fn counts_text(counts: &[(DeclarationState, u64)]) -> String {
    if counts.is_empty() {
        return "aucune déclaration".into();
    }
    counts
        .iter()
        .map(|(s, n)| format!("{n} {}", s.label()))
        .collect::<Vec<_>>()
        .join(", ")
}

async fn campaigns_page(
    state: &AppState,
    session: &Session,
    cu: &CurrentUser,
) -> Result<CampaignsPage, AppError> {
    let next_year = crate::services::today()
        .format("%Y")
        .to_string()
        .parse::<i32>()
        .unwrap_or(2026);
    Ok(CampaignsPage {
        layout: Layout::new(state, session, cu, "Campagnes", "/campagnes").await?,
        lines: campaigns::list(state, cu)
            .await?
            .into_iter()
            .map(|s| CampaignLine {
                id: s.campaign.id,
                title: s.campaign.title.clone(),
                year: s.campaign.year,
                deadline: campaigns::date_input(s.campaign.deadline),
                perimeter: s.campaign.perimeter.label(),
                open: s.campaign.open,
                counts: counts_text(&s.counts),
            })
            .collect(),
        can_open: campaigns::can_open(cu),
        year: (next_year - 1).to_string(),
        deadline: String::new(),
        title: String::new(),
        perimeter: "region".into(),
        department: String::new(),
        contracts: String::new(),
        errors: FormErrors::default(),
    })
}

/// GET `/campagnes`.
pub async fn list(
    State(state): State<AppState>,
    session: Session,
    PageUser(cu): PageUser,
) -> Result<Response, PageError> {
    render(&campaigns_page(&state, &session, &cu).await?)
}

/// POST `/campagnes`: opens a campaign.
pub async fn open(
    State(state): State<AppState>,
    session: Session,
    PageUser(cu): PageUser,
    Form(input): Form<NewCampaignInput>,
) -> Result<Response, PageError> {
    match campaigns::open(&state, &cu, &input).await {
        Ok((c, _)) => Ok(Redirect::to(&format!("/campagnes/{}", c.id)).into_response()),
        Err(e @ (AppError::Validation(_) | AppError::Conflict(_))) => {
            let status = e.status();
            let mut page = campaigns_page(&state, &session, &cu).await?;
            page.year = input.year.clone();
            page.deadline = input.deadline.clone();
            page.title = input.title.clone().unwrap_or_default();
            page.perimeter = input.perimeter.clone();
            page.department = input.department.clone().unwrap_or_default();
            page.contracts = input.contracts.clone().unwrap_or_default();
            page.errors = FormErrors::refused(e, "year");
            render_status(&page, status)
        }
        Err(e) => Err(e.into()),
    }
}

/// A declaration, as listed.
pub struct DeclarationLine {
    id: i64,
    ej: String,
    ej_name: String,
    engagement: String,
    indicator: String,
    site: String,
    state: &'static str,
    value: String,
    submitted: bool,
}

/// One campaign and its declarations.
#[derive(Template)]
#[template(path = "campaigns/show.html")]
pub struct CampaignPage {
    layout: Layout,
    id: i64,
    title: String,
    year: i32,
    deadline: String,
    perimeter: String,
    open: bool,
    row_version: i64,
    can_close: bool,
    can_review: bool,
    states: Vec<Choice>,
    bands: Vec<Choice>,
    negotiators: Vec<Choice>,
    indicator: String,
    department: String,
    lines: Vec<DeclarationLine>,
    total: u64,
    page: u64,
    pages: u64,
    prev_href: String,
    next_href: String,
}

/// GET `/campagnes/{id}`.
pub async fn show(
    State(state): State<AppState>,
    session: Session,
    PageUser(cu): PageUser,
    Path(id): Path<i64>,
    Query(q): Query<DeclarationQuery>,
) -> Result<Response, PageError> {
    let (c, p) = campaigns::declarations(&state, &cu, id, &q).await?;
    let current = q.state.clone().unwrap_or_default();
    let href = |page: u64| {
        format!(
            "/campagnes/{id}?page={page}{}",
            if current.is_empty() {
                String::new()
            } else {
                format!("&state={current}")
            }
        )
    };
    let pages = p.page_count();
    render(&CampaignPage {
        layout: Layout::new(&state, &session, &cu, &c.title, "/campagnes").await?,
        id,
        title: c.title.clone(),
        year: c.year,
        deadline: campaigns::date_input(c.deadline),
        perimeter: c.perimeter.label(),
        open: c.open,
        row_version: c.row_version,
        can_close: c.open
            && cu
                .authorize(&cpom_domain::Action::ManageCampaigns(c.region.clone()))
                .is_ok(),
        states: DeclarationState::ALL
            .iter()
            .map(|s| Choice::new(s.as_str(), s.label(), &current))
            .collect(),
        can_review: cu
            .authorize(&cpom_domain::Action::ReviewDeclaration(
                cpom_domain::policy::Scope {
                    region: Some(c.region.clone()),
                    ej: None,
                },
            ))
            .is_ok(),
        bands: {
            let current = q.band.clone().unwrap_or_default();
            [
                cpom_domain::registry::SizeBand::Lt100,
                cpom_domain::registry::SizeBand::From100To499,
                cpom_domain::registry::SizeBand::Ge500,
            ]
            .iter()
            .map(|b| Choice::new(b.as_str(), b.as_str(), &current))
            .collect()
        },
        negotiators: {
            let current = q.negotiator.clone().unwrap_or_default();
            state
                .store
                .negotiators(&c.region)
                .await
                .map_err(AppError::from)?
                .into_iter()
                .map(|n| Choice::new(n.id.to_string(), n.name, &current))
                .collect()
        },
        indicator: q.indicator.clone().unwrap_or_default(),
        department: q.department.clone().unwrap_or_default(),
        lines: p
            .items
            .iter()
            .map(|d| DeclarationLine {
                id: d.id,
                ej: d.ej.to_string(),
                ej_name: d.ej_name.clone(),
                engagement: d.engagement.clone(),
                indicator: format!("{} — {}", d.indicator, d.indicator_title),
                site: d.site.as_ref().map(ToString::to_string).unwrap_or_default(),
                state: d.state.label(),
                value: d
                    .value
                    .as_ref()
                    .map(cpom_domain::campaign::Value::display)
                    .unwrap_or_default(),
                submitted: d.state == DeclarationState::Submitted,
            })
            .collect(),
        total: p.total,
        page: p.page,
        pages,
        prev_href: href(p.page.saturating_sub(1).max(1)),
        next_href: href(p.page + 1),
    })
}

/// POST `/campagnes/{id}/cloture` (`row_version`).
pub async fn close(
    State(state): State<AppState>,
    PageUser(cu): PageUser,
    Path(id): Path<i64>,
    Form(pairs): Form<FormPairs>,
) -> Result<Response, PageError> {
    let rv = form_value(&pairs, "row_version").and_then(|v| v.trim().parse().ok());
    campaigns::close(&state, &cu, id, rv).await?;
    Ok(Redirect::to(&format!("/campagnes/{id}")).into_response())
}

/// One declaration's form.
#[derive(Template)]
#[template(path = "campaigns/declaration.html")]
pub struct DeclarationPage {
    layout: Layout,
    id: i64,
    campaign_id: i64,
    campaign: String,
    ej: String,
    ej_name: String,
    engagement: String,
    indicator: String,
    site: String,
    kind: &'static str,
    kind_label: &'static str,
    state: &'static str,
    row_version: i64,
    value: String,
    numerator: String,
    denominator: String,
    answer: String,
    text: String,
    comment: String,
    shown: String,
    read_only: String,
    can_save: bool,
    can_submit: bool,
    can_review: bool,
    can_reopen: bool,
    history: Vec<String>,
    evidence: Vec<(i64, String)>,
    library: Vec<Choice>,
    fiche: Vec<(&'static str, String)>,
    errors: FormErrors,
}

async fn declaration_page(
    state: &AppState,
    session: &Session,
    cu: &CurrentUser,
    id: i64,
) -> Result<DeclarationPage, AppError> {
    let (d, c, history) = campaigns::declaration(state, cu, id).await?;
    let a = campaigns::abilities(cu, &d, &c);
    let evidence = state.store.declaration_evidence(id).await?;
    let f = campaigns::fiche(state, &d, &c).await?;
    let fiche: Vec<(&'static str, String)> = [
        ("Cible de l'année", f.target),
        ("Valeur de l'année précédente", f.last_year),
        ("Définition", f.definition),
        ("Formule", f.formula),
        ("Numérateur", f.numerator),
        ("Dénominateur", f.denominator),
        ("Unité", f.unit),
        ("Justificatifs attendus", f.evidence),
        ("Pour le commentaire", f.comment_help),
    ]
    .into_iter()
    .filter_map(|(k, v)| v.filter(|v| !v.trim().is_empty()).map(|v| (k, v)))
    .collect();
    let library = if a.can_save {
        state
            .store
            .evidence_library(&d.ej)
            .await?
            .into_iter()
            .filter(|l| !evidence.iter().any(|e| e.id == l.id))
            .map(|l| {
                Choice::new(
                    l.id.to_string(),
                    format!("{} ({})", l.file_name, datetime_fr(l.created_at)),
                    "",
                )
            })
            .collect()
    } else {
        vec![]
    };
    use cpom_domain::campaign::Value;
    let (mut value, mut numerator, mut denominator, mut answer, mut text) = (
        String::new(),
        String::new(),
        String::new(),
        String::new(),
        String::new(),
    );
    match &d.value {
        Some(Value::Number { value: v }) => {
            value = cpom_domain::catalogue::number::format_number(*v)
        }
        Some(Value::Rate {
            numerator: n,
            denominator: q,
        }) => {
            numerator = cpom_domain::catalogue::number::format_number(*n);
            denominator = cpom_domain::catalogue::number::format_number(*q);
        }
        Some(Value::YesNo { answer: b }) | Some(Value::Milestone { reached: b }) => {
            answer = if *b { "oui".into() } else { "non".into() };
        }
        Some(Value::Text { text: t }) => text = t.clone(),
        None => {}
    }
    Ok(DeclarationPage {
        layout: Layout::new(state, session, cu, "Déclaration", "/campagnes").await?,
        id,
        campaign_id: c.id,
        campaign: c.title.clone(),
        ej: d.ej.to_string(),
        ej_name: d.ej_name.clone(),
        engagement: d.engagement.clone(),
        indicator: format!("{} — {}", d.indicator, d.indicator_title),
        site: d.site.as_ref().map(ToString::to_string).unwrap_or_default(),
        kind: d.kind.as_str(),
        kind_label: d.kind.label(),
        state: d.state.label(),
        row_version: d.row_version,
        value,
        numerator,
        denominator,
        answer,
        text,
        comment: d.comment.clone().unwrap_or_default(),
        shown: d
            .value
            .as_ref()
            .map(Value::display)
            .unwrap_or_else(|| "aucune valeur".into()),
        read_only: a.read_only.unwrap_or_default().to_owned(),
        can_save: a.can_save,
        can_submit: a.can_submit,
        can_review: a.can_review,
        can_reopen: a.can_reopen,
        history: history
            .iter()
            .map(|h| {
                let mut line = format!(
                    "{} — {} ({}) : {} → {}",
                    datetime_fr(h.at),
                    h.step,
                    h.author,
                    h.from.label(),
                    h.to.label()
                );
                if let Some(v) = &h.value {
                    line.push_str(&format!(" — valeur {}", v.display()));
                }
                if let Some(r) = &h.reason {
                    line.push_str(&format!(" — « {r} »"));
                }
                line
            })
            .collect(),
        evidence: evidence
            .iter()
            .map(|e| {
                (
                    e.id,
                    format!(
                        "{} ({} ko, déposé le {} par {})",
                        e.file_name,
                        (e.size + 1023) / 1024,
                        datetime_fr(e.created_at),
                        e.uploaded_by
                    ),
                )
            })
            .collect(),
        library,
        fiche,
        errors: FormErrors::default(),
    })
}

/// POST `/declarations/{id}/justificatifs?csrf_token=` (multipart `file`).
pub async fn upload_evidence(
    State(state): State<AppState>,
    session: Session,
    PageUser(cu): PageUser,
    Path(id): Path<i64>,
    multipart: axum::extract::Multipart,
) -> Result<Response, PageError> {
    let dir = state.store.files_dir().join("incoming");
    let result = async {
        let (upload, bytes) =
            crate::upload::receive_small(multipart, &dir, campaigns::MAX_EVIDENCE as u64).await?;
        campaigns::add_evidence(&state, &cu, id, &upload.file_name, &bytes).await
    }
    .await;
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/declarations/{id}#justificatifs")).into_response()),
        Err(e @ (AppError::Validation(_) | AppError::Conflict(_))) => {
            let status = e.status();
            let mut page = declaration_page(&state, &session, &cu, id).await?;
            page.errors = FormErrors::refused(e, "file");
            render_status(&page, status)
        }
        Err(e) => Err(e.into()),
    }
}

/// POST `/declarations/{id}/justificatifs/lier` (`evidence_id`).
pub async fn link_evidence(
    State(state): State<AppState>,
    PageUser(cu): PageUser,
    Path(id): Path<i64>,
    Form(pairs): Form<FormPairs>,
) -> Result<Response, PageError> {
    let evidence = form_value(&pairs, "evidence_id").and_then(|v| v.trim().parse().ok());
    campaigns::link_evidence(&state, &cu, id, evidence).await?;
    Ok(Redirect::to(&format!("/declarations/{id}#justificatifs")).into_response())
}

/// GET `/declarations/{id}/justificatifs/{evidence}`: the file, as an attachment.
pub async fn download_evidence(
    State(state): State<AppState>,
    PageUser(cu): PageUser,
    Path((id, evidence)): Path<(i64, i64)>,
) -> Result<Response, PageError> {
    Ok(super::send_file(
        campaigns::evidence_download(&state, &cu, id, evidence).await?,
    ))
}

/// GET `/declarations/{id}`.
pub async fn declaration(
    State(state): State<AppState>,
    session: Session,
    PageUser(cu): PageUser,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    render(&declaration_page(&state, &session, &cu, id).await?)
}

/// POST `/declarations/{id}` (`action` and the value, comment or reason).
pub async fn step(
    State(state): State<AppState>,
    session: Session,
    PageUser(cu): PageUser,
    Path(id): Path<i64>,
    Form(input): Form<StepInput>,
) -> Result<Response, PageError> {
    match campaigns::step(&state, &cu, id, &input).await {
        Ok(_) => Ok(Redirect::to(&format!("/declarations/{id}")).into_response()),
        Err(e @ (AppError::Validation(_) | AppError::Conflict(_))) => {
            let status = e.status();
            let mut page = declaration_page(&state, &session, &cu, id).await?;
            page.value = input.value.clone().unwrap_or(page.value);
            page.numerator = input.numerator.clone().unwrap_or(page.numerator);
            page.denominator = input.denominator.clone().unwrap_or(page.denominator);
            page.text = input.text.clone().unwrap_or(page.text);
            page.comment = input.comment.clone().unwrap_or(page.comment);
            page.errors = FormErrors::refused(e, "action");
            render_status(&page, status)
        }
        Err(e) => Err(e.into()),
    }
}

/// POST `/campagnes/{id}/validation` (`ids`, repeated): validates the declarations checked.
pub async fn validate_bulk(
    State(state): State<AppState>,
    PageUser(cu): PageUser,
    Path(id): Path<i64>,
    Form(pairs): Form<FormPairs>,
) -> Result<Response, PageError> {
    let ids: Vec<i64> = pairs
        .iter()
        .filter(|(k, _)| k == "ids")
        .filter_map(|(_, v)| v.trim().parse().ok())
        .collect();
    campaigns::validate_bulk(&state, &cu, id, &ids).await?;
    Ok(Redirect::to(&format!("/campagnes/{id}?state=submitted")).into_response())
}
