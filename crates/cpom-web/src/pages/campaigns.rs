//! Campaign pages: the campaigns, one campaign's declarations, and one declaration's form.

use super::extract::{Form, Path, Query};
use askama::Template;
use axum::extract::State;
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
    source: &'static str,
    contested: bool,
    verdict: &'static str,
    verdict_badge: &'static str,
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
    contested_only: bool,
    states: Vec<Choice>,
    bands: Vec<Choice>,
    ghts: Vec<Choice>,
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
    // The pages keep every filter.
    let params: Vec<(&str, &str)> = [
        ("state", &q.state),
        ("indicator", &q.indicator),
        ("department", &q.department),
        ("band", &q.band),
        ("ght", &q.ght),
        ("negotiator", &q.negotiator),
        ("contested", &q.contested),
    ]
    .iter()
    .filter_map(|(k, v)| crate::services::blank_to_none(v).map(|v| (*k, v)))
    .collect();
    let filters = match serde_urlencoded::to_string(&params).unwrap_or_default() {
        f if f.is_empty() => f,
        f => format!("&{f}"),
    };
    let href = |page: u64| format!("/campagnes/{id}?page={page}{filters}");
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
        contested_only: q.contested.as_deref() == Some("true"),
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
        ghts: if cu.user.role.is_ars_side() {
            let current = q.ght.clone().unwrap_or_default();
            crate::services::list_ghts(&state, &cu)
                .await?
                .into_iter()
                .map(|g| Choice::new(g.code.clone(), format!("{} — {}", g.code, g.name), &current))
                .collect()
        } else {
            vec![]
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
                source: d.value_source.map_or("", |s| s.label()),
                contested: d.contested,
                verdict: d.verdict.map_or("", |v| v.label()),
                verdict_badge: d.verdict.map_or("", verdict_badge),
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

/// The DSFR badge class of a verdict.
pub fn verdict_badge(v: cpom_domain::catalogue::Verdict) -> &'static str {
    use cpom_domain::catalogue::Verdict::*;
    match v {
        Atteint => "fr-badge--success",
        PartiellementAtteint => "fr-badge--warning",
        NonAtteint => "fr-badge--error",
        AApprecier => "fr-badge--new",
        SansObjet | NonRenseigne => "",
    }
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
    can_answer: bool,
    can_file: bool,
    source: String,
    contested: bool,
    verdict: &'static str,
    verdict_badge: &'static str,
    verdict_reason: String,
    overridden: bool,
    can_override: bool,
    verdicts: Vec<Choice>,
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
    let source = match campaigns::value_import_of(state, &d).await? {
        Some(i) => format!(
            "{} — import n° {} du {}{} (fichier {})",
            i.source.label(),
            i.id,
            datetime_fr(i.created_at),
            if i.detail.is_empty() {
                String::new()
            } else {
                format!(", « {} »", i.detail)
            },
            i.file_name
        ),
        None => String::new(),
    };
    let library = if a.can_file {
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
        can_answer: a.can_answer,
        can_file: a.can_file,
        source,
        contested: d.contested,
        verdict: d.verdict.map_or("", |v| v.label()),
        verdict_badge: d.verdict.map_or("", verdict_badge),
        verdict_reason: d.verdict_reason.clone().unwrap_or_default(),
        overridden: d.overridden.is_some(),
        can_override: a.can_reopen && d.state == DeclarationState::Validated,
        verdicts: cpom_domain::catalogue::Verdict::ALL
            .iter()
            .map(|v| {
                Choice::new(
                    v.as_str(),
                    v.label(),
                    d.overridden.as_ref().map_or("", |o| o.verdict.as_str()),
                )
            })
            .collect(),
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

// ---------------------------------------------------------------------------------------
// Values loaded in bulk by the agency.

/// Session key of the file of values previewed and waiting for confirmation.
const PENDING_VALUES: &str = "pending_values";

/// A file of values previewed and waiting for the administrator's confirmation.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
struct PendingValues {
    token: String,
    campaign_id: i64,
    source: String,
    detail: String,
    file_name: String,
    checksum: String,
}

/// Most lines or errors listed on the page (the API lists them all).
const SHOWN_LINES: usize = 200;

/// A preview or an import, as shown.
pub struct ValuesReportView {
    applied: bool,
    source: String,
    file_name: String,
    checksum: String,
    count: String,
    lines: Vec<(String, String, String, String, &'static str)>,
    errors: Vec<(String, String, String)>,
    more: String,
    import_id: String,
}

fn values_report_view(r: &campaigns::ValuesReport) -> ValuesReportView {
    let total = if r.errors.is_empty() {
        r.lines.len()
    } else {
        r.errors.len()
    };
    ValuesReportView {
        applied: r.applied,
        source: cpom_domain::campaign::ValueSource::parse(&r.source)
            .map_or_else(|| r.source.clone(), |s| s.label().to_owned()),
        file_name: r.file_name.clone(),
        checksum: r.checksum.clone(),
        count: crate::view::count_fr(r.lines.len() as u64),
        lines: r
            .lines
            .iter()
            .take(SHOWN_LINES)
            .map(|l| {
                (
                    l.line.to_string(),
                    l.site.clone().unwrap_or_else(|| l.ej.clone()),
                    l.indicator.clone(),
                    l.value.clone(),
                    DeclarationState::parse(&l.state_before).map_or("", |s| s.label()),
                )
            })
            .collect(),
        errors: r
            .errors
            .iter()
            .take(SHOWN_LINES)
            .map(|e| {
                (
                    if e.line == 0 {
                        "—".into()
                    } else {
                        e.line.to_string()
                    },
                    e.column.clone().unwrap_or_default(),
                    e.message.clone(),
                )
            })
            .collect(),
        more: if total > SHOWN_LINES {
            crate::view::count_fr((total - SHOWN_LINES) as u64)
        } else {
            String::new()
        },
        import_id: r.import_id.map(|i| i.to_string()).unwrap_or_default(),
    }
}

/// One past import of values.
pub struct ValueImportLine {
    id: i64,
    at: String,
    source: &'static str,
    detail: String,
    file_name: String,
    lines: String,
    actor: String,
}

/// The values the agency loads into a campaign.
#[derive(Template)]
#[template(path = "campaigns/values.html")]
pub struct ValuesPage {
    layout: Layout,
    id: i64,
    title: String,
    year: i32,
    open: bool,
    can_load: bool,
    sources: Vec<Choice>,
    source: String,
    detail: String,
    imports: Vec<ValueImportLine>,
    report: Option<ValuesReportView>,
    pending_token: String,
    errors: FormErrors,
}

async fn values_page(
    state: &AppState,
    session: &Session,
    cu: &CurrentUser,
    id: i64,
) -> Result<ValuesPage, AppError> {
    let (c, imports) = campaigns::value_imports(state, cu, id).await?;
    let can_load = c.open
        && cu
            .authorize(&cpom_domain::Action::ManageCampaigns(c.region.clone()))
            .is_ok();
    Ok(ValuesPage {
        layout: Layout::new(
            state,
            session,
            cu,
            "Valeurs fournies par l'ARS",
            "/campagnes",
        )
        .await?,
        id,
        title: c.title.clone(),
        year: c.year,
        open: c.open,
        can_load,
        sources: sources(""),
        source: String::new(),
        detail: String::new(),
        imports: imports
            .into_iter()
            .map(|i| ValueImportLine {
                id: i.id,
                at: datetime_fr(i.created_at),
                source: i.source.label(),
                detail: i.detail,
                file_name: i.file_name,
                lines: crate::view::count_fr(i.lines as u64),
                actor: i.actor,
            })
            .collect(),
        report: None,
        pending_token: String::new(),
        errors: FormErrors::default(),
    })
}

fn sources(current: &str) -> Vec<Choice> {
    cpom_domain::campaign::ValueSource::ALL
        .iter()
        .map(|s| Choice::new(s.as_str(), s.label(), current))
        .collect()
}

fn pending_values_path(state: &AppState, token: &str) -> std::path::PathBuf {
    state
        .store
        .files_dir()
        .join("imports")
        .join(format!("{token}.values"))
}

/// GET `/campagnes/{id}/valeurs`.
pub async fn show_values(
    State(state): State<AppState>,
    session: Session,
    PageUser(cu): PageUser,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    render(&values_page(&state, &session, &cu, id).await?)
}

/// GET `/campagnes/{id}/valeurs/modele.xlsx` (`indicator` optional).
pub async fn values_template(
    State(state): State<AppState>,
    PageUser(cu): PageUser,
    Path(id): Path<i64>,
    Query(q): Query<DeclarationQuery>,
) -> Result<Response, PageError> {
    Ok(super::send_file(
        campaigns::values_template(&state, &cu, id, q.indicator.as_deref()).await?,
    ))
}

/// POST `/campagnes/{id}/valeurs?csrf_token=` (multipart `source`, `detail`, `file`):
/// previews the file and keeps it for confirmation when it has no error.
pub async fn upload_values(
    State(state): State<AppState>,
    session: Session,
    PageUser(cu): PageUser,
    Path(id): Path<i64>,
    multipart: axum::extract::Multipart,
) -> Result<Response, PageError> {
    let dir = state.store.files_dir().join("imports");
    let mut sent = (String::new(), String::new());
    let result = async {
        let (upload, bytes) =
            crate::upload::receive_small(multipart, &dir, campaigns::MAX_VALUES_FILE).await?;
        sent = (
            upload.field("source").unwrap_or_default().to_owned(),
            upload.field("detail").unwrap_or_default().to_owned(),
        );
        let file = campaigns::ValuesFile {
            source: &sent.0,
            detail: &sent.1,
            file_name: &upload.file_name,
            bytes: &bytes,
        };
        let report = campaigns::load_values(&state, &cu, id, &file, false, None).await?;
        Ok::<_, AppError>((report, bytes))
    }
    .await;
    let mut page = values_page(&state, &session, &cu, id).await?;
    page.sources = sources(&sent.0);
    page.source = sent.0.clone();
    page.detail = sent.1.clone();
    match result {
        Ok((report, bytes)) => {
            if let Some(old) = session
                .remove::<PendingValues>(PENDING_VALUES)
                .await
                .map_err(super::registry::session_error)?
            {
                let _ = tokio::fs::remove_file(pending_values_path(&state, &old.token)).await;
            }
            let status = report.status();
            if report.errors.is_empty() {
                let token = hex::encode(rand::random::<[u8; 16]>());
                tokio::fs::write(pending_values_path(&state, &token), &bytes)
                    .await
                    .map_err(|e| AppError::Internal(format!("pending values: {e}")))?;
                session
                    .insert(
                        PENDING_VALUES,
                        PendingValues {
                            token: token.clone(),
                            campaign_id: id,
                            source: report.source.clone(),
                            detail: report.detail.clone(),
                            file_name: report.file_name.clone(),
                            checksum: report.checksum.clone(),
                        },
                    )
                    .await
                    .map_err(super::registry::session_error)?;
                page.pending_token = token;
            }
            page.report = Some(values_report_view(&report));
            render_status(&page, status)
        }
        Err(e @ (AppError::Validation(_) | AppError::Conflict(_))) => {
            let status = e.status();
            page.errors = FormErrors::refused(e, "file");
            render_status(&page, status)
        }
        Err(e) => Err(e.into()),
    }
}

/// POST `/campagnes/{id}/valeurs/appliquer` (`token`): writes the file previewed in this
/// session, if it has not changed since.
pub async fn apply_values(
    State(state): State<AppState>,
    session: Session,
    PageUser(cu): PageUser,
    Path(id): Path<i64>,
    Form(pairs): Form<FormPairs>,
) -> Result<Response, PageError> {
    campaigns::may_load(&state, &cu, id).await?;
    let token = form_value(&pairs, "token").unwrap_or_default();
    let pending: Option<PendingValues> = session
        .get(PENDING_VALUES)
        .await
        .map_err(super::registry::session_error)?;
    let Some(pending) = pending.filter(|p| p.token == token && p.campaign_id == id) else {
        let mut page = values_page(&state, &session, &cu, id).await?;
        page.errors = FormErrors::refused(
            AppError::Conflict("Aucun aperçu en attente : envoyez à nouveau le fichier.".into()),
            "file",
        );
        return render_status(&page, axum::http::StatusCode::CONFLICT);
    };
    session
        .remove::<PendingValues>(PENDING_VALUES)
        .await
        .map_err(super::registry::session_error)?;
    let path = pending_values_path(&state, &pending.token);
    let bytes = tokio::fs::read(&path).await;
    let _ = tokio::fs::remove_file(&path).await;
    let bytes = bytes.map_err(|e| AppError::Internal(format!("pending values: {e}")))?;
    let file = campaigns::ValuesFile {
        source: &pending.source,
        detail: &pending.detail,
        file_name: &pending.file_name,
        bytes: &bytes,
    };
    let result =
        campaigns::load_values(&state, &cu, id, &file, true, Some(&pending.checksum)).await;
    let mut page = values_page(&state, &session, &cu, id).await?;
    match result {
        Ok(report) => {
            page.report = Some(values_report_view(&report));
            render_status(&page, report.status())
        }
        Err(e @ (AppError::Validation(_) | AppError::Conflict(_))) => {
            let status = e.status();
            page.errors = FormErrors::refused(e, "file");
            render_status(&page, status)
        }
        Err(e) => Err(e.into()),
    }
}

// ---------------------------------------------------------------------------------------
// Dashboard.

/// A chart with its table.
pub struct ChartView {
    title: String,
    svg: String,
    head: Vec<&'static str>,
    rows: Vec<(String, String, Vec<String>)>,
}

/// The dashboard of a campaign.
#[derive(Template)]
#[template(path = "campaigns/dashboard.html")]
pub struct DashboardPage {
    layout: Layout,
    id: i64,
    title: String,
    completion: String,
    attainment: String,
    charts: Vec<ChartView>,
}

fn percent(v: f64) -> String {
    format!(
        "{}\u{a0}%",
        cpom_domain::catalogue::number::format_number(v)
    )
}

fn completion_chart(
    title: &str,
    items: &[cpom_domain::dashboard::Completion],
    drill: impl Fn(&str) -> String,
) -> ChartView {
    ChartView {
        title: title.into(),
        svg: crate::charts::bars(
            title,
            &items
                .iter()
                .map(|c| crate::charts::Bar {
                    label: c.label.clone(),
                    percent: c.rate,
                    text: format!("{} ({}/{})", percent(c.rate), c.validated, c.total),
                })
                .collect::<Vec<_>>(),
        ),
        head: vec![
            "Déclarations",
            "Soumises ou validées",
            "Validées",
            "Taux de validation",
        ],
        rows: items
            .iter()
            .map(|c| {
                (
                    c.label.clone(),
                    drill(&c.key),
                    vec![
                        c.total.to_string(),
                        c.submitted.to_string(),
                        c.validated.to_string(),
                        percent(c.rate),
                    ],
                )
            })
            .collect(),
    }
}

fn attainment_chart(
    title: &str,
    items: &[cpom_domain::dashboard::Attainment],
    drill: impl Fn(&str) -> String,
) -> ChartView {
    use cpom_domain::catalogue::Verdict;
    let n = |t: &cpom_domain::evaluation::Tally, v: Verdict| {
        t.counts
            .iter()
            .find(|(w, _)| *w == v)
            .map_or(0, |(_, n)| *n)
            .to_string()
    };
    ChartView {
        title: title.into(),
        svg: crate::charts::bars(
            title,
            &items
                .iter()
                .map(|a| crate::charts::Bar {
                    label: a.label.clone(),
                    percent: a.tally.rate.unwrap_or(0.0),
                    text: a.tally.rate.map_or_else(
                        || "non évalué".into(),
                        |r| format!("{} ({} évalué(s))", percent(r), a.tally.evaluated),
                    ),
                })
                .collect::<Vec<_>>(),
        ),
        head: vec![
            "Atteints",
            "Partiellement",
            "Non atteints",
            "Non renseignés",
            "Taux d'atteinte",
        ],
        rows: items
            .iter()
            .map(|a| {
                (
                    a.label.clone(),
                    drill(&a.key),
                    vec![
                        n(&a.tally, Verdict::Atteint),
                        n(&a.tally, Verdict::PartiellementAtteint),
                        n(&a.tally, Verdict::NonAtteint),
                        n(&a.tally, Verdict::NonRenseigne),
                        a.tally.rate.map_or_else(|| "—".into(), percent),
                    ],
                )
            })
            .collect(),
    }
}

/// GET `/campagnes/{id}/tableau-de-bord`.
pub async fn show_dashboard(
    State(state): State<AppState>,
    session: Session,
    PageUser(cu): PageUser,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let (c, d) = campaigns::dashboard(&state, &cu, id).await?;
    let queue = |param: &'static str| {
        move |key: &str| {
            if key.is_empty() {
                String::new()
            } else {
                format!(
                    "/campagnes/{id}?{}",
                    serde_urlencoded::to_string([(param, key)]).unwrap_or_default()
                )
            }
        }
    };
    let establishments: Vec<_> = d.by_establishment.iter().take(30).cloned().collect();
    render(&DashboardPage {
        layout: Layout::new(&state, &session, &cu, "Tableau de bord", "/campagnes").await?,
        id,
        title: c.title.clone(),
        completion: format!(
            "{} des {} déclarations validées ({} soumises ou validées)",
            percent(d.completion.rate),
            d.completion.total,
            d.completion.submitted
        ),
        attainment: d.attainment.rate.map_or_else(
            || "aucune valeur évaluée".into(),
            |r| {
                format!(
                    "{} ({} déclarations évaluées)",
                    percent(r),
                    d.attainment.evaluated
                )
            },
        ),
        charts: vec![
            completion_chart(
                "Avancement par département",
                &d.by_department,
                queue("department"),
            ),
            completion_chart("Avancement par GHT", &d.by_ght, queue("ght")),
            completion_chart(
                "Avancement par établissement (les 30 moins avancés)",
                &establishments,
                queue("ej"),
            ),
            attainment_chart(
                "Atteinte par indicateur",
                &d.attainment_by_indicator,
                queue("indicator"),
            ),
            attainment_chart(
                "Atteinte par tranche de taille",
                &d.attainment_by_band,
                queue("band"),
            ),
            attainment_chart(
                "Atteinte par département",
                &d.attainment_by_department,
                queue("department"),
            ),
            attainment_chart("Atteinte par GHT", &d.attainment_by_ght, queue("ght")),
        ],
    })
}

/// GET `/campagnes/{id}/export.xlsx`.
pub async fn export(
    State(state): State<AppState>,
    PageUser(cu): PageUser,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    Ok(super::send_file(campaigns::export(&state, &cu, id).await?))
}
