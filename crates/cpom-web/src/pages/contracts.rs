//! Contract pages: the list of the contracts one may see, the creation form of the agency,
//! and one contract with its engagements and targets per year, the checks before signature,
//! the catalogue's model actions for the legal entity, the moves one may make and its
//! history.

use super::extract::{Form, Path, Query};
use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use cpom_domain::catalogue::TargetYear;
use cpom_domain::contract::ContractState;
use cpom_store::AuditFilter;
use tower_sessions::Session;

use super::{render, render_status};
use crate::AppState;
use crate::auth::{CurrentUser, PageUser};
use crate::error::{AppError, PageError};
use crate::services::{self, ContractQuery, MoveInput, NewContractInput};
use crate::view::{
    Choice, FormErrors, FormPairs, Layout, date_fr, datetime_fr, form_lines, form_value,
};

fn badge(s: ContractState) -> &'static str {
    match s {
        ContractState::Preparation => "fr-badge--new",
        ContractState::Negotiation => "fr-badge--info",
        ContractState::ReadyToSign => "fr-badge--warning",
        ContractState::Signed => "fr-badge--success",
        ContractState::Expired => "",
        ContractState::Terminated => "fr-badge--error",
    }
}

/// One contract in the list.
pub struct ContractRow {
    id: i64,
    title: String,
    ej: String,
    ej_name: String,
    period: String,
    state: &'static str,
    state_class: &'static str,
    engagements: usize,
    updated: String,
    avenant: i32,
}

/// The list of contracts.
#[derive(Template)]
#[template(path = "contracts/list.html")]
pub struct ContractListPage {
    layout: Layout,
    can_create: bool,
    can_template: bool,
    states: Vec<Choice>,
    department: String,
    mine: bool,
    ghts: Vec<Choice>,
    negotiators: Vec<Choice>,
    rows: Vec<ContractRow>,
    total: u64,
    page: u64,
    pages: u64,
    prev_href: String,
    next_href: String,
}

fn list_href(q: &ContractQuery, page: u64) -> String {
    let mut params = vec![format!("page={page}")];
    if let Some(s) = q.state.as_deref().filter(|s| !s.is_empty()) {
        params.push(format!("state={s}"));
    }
    if let Some(d) = q.department.as_deref().filter(|s| !s.is_empty()) {
        params.push(format!("department={d}"));
    }
    if q.mine == Some(true) {
        params.push("mine=true".into());
    }
    if let Some(g) = q.ght.as_deref().filter(|s| !s.is_empty()) {
        params.push(format!("ght={g}"));
    }
    if let Some(n) = q.negotiator.as_deref().filter(|s| !s.is_empty()) {
        params.push(format!("negotiator={n}"));
    }
    format!("/contrats?{}", params.join("&"))
}

/// Whether the actor prepares contracts somewhere (the agency's users).
fn prepares(cu: &CurrentUser) -> bool {
    matches!(
        cu.user.role,
        cpom_domain::Role::NationalAdmin
            | cpom_domain::Role::ArsAdmin
            | cpom_domain::Role::ArsReferent
    )
}

/// GET `/contrats`.
pub async fn list_contracts(
    State(state): State<AppState>,
    session: Session,
    PageUser(cu): PageUser,
    Query(q): Query<ContractQuery>,
) -> Result<Response, PageError> {
    let p = services::list_contracts(&state, &cu, &q).await?;
    let pages = p.page_count();
    let current = q.state.clone().unwrap_or_default();
    render(&ContractListPage {
        layout: Layout::new(&state, &session, &cu, "Contrats", "/contrats").await?,
        can_create: prepares(&cu),
        can_template: matches!(
            cu.user.role,
            cpom_domain::Role::NationalAdmin | cpom_domain::Role::ArsAdmin
        ),
        states: ContractState::ALL
            .iter()
            .map(|s| Choice::new(s.as_str(), s.label(), &current))
            .collect(),
        department: q.department.clone().unwrap_or_default(),
        mine: q.mine == Some(true),
        ghts: if prepares(&cu) {
            let current = q.ght.clone().unwrap_or_default();
            services::list_ghts(&state, &cu)
                .await?
                .into_iter()
                .map(|g| Choice::new(g.code.clone(), format!("{} — {}", g.code, g.name), &current))
                .collect()
        } else {
            vec![]
        },
        negotiators: match (&cu.user.region, prepares(&cu)) {
            (Some(region), true) => {
                let current = q.negotiator.clone().unwrap_or_default();
                state
                    .store
                    .negotiators(region)
                    .await
                    .map_err(AppError::from)?
                    .into_iter()
                    .map(|n| Choice::new(n.id.to_string(), n.name, &current))
                    .collect()
            }
            _ => vec![],
        },
        rows: p
            .items
            .iter()
            .map(|c| ContractRow {
                avenant: c.avenant,
                id: c.id,
                title: c.title.clone(),
                ej: c.ej.to_string(),
                ej_name: c.ej_name.clone(),
                period: format!("{}–{}", c.start_year, c.end_year),
                state: c.state.label(),
                state_class: badge(c.state),
                engagements: c.content.engagements.len(),
                updated: date_fr(c.updated_at),
            })
            .collect(),
        total: p.total,
        page: p.page,
        pages,
        prev_href: if p.page > 1 {
            list_href(&q, p.page - 1)
        } else {
            String::new()
        },
        next_href: if p.page < pages {
            list_href(&q, p.page + 1)
        } else {
            String::new()
        },
    })
}

/// The creation form.
#[derive(Template)]
#[template(path = "contracts/new.html")]
pub struct NewContractPage {
    layout: Layout,
    ej: String,
    title: String,
    catalogues: Vec<Choice>,
    errors: FormErrors,
}

async fn new_page(
    state: &AppState,
    session: &Session,
    cu: &CurrentUser,
    input: &NewContractInput,
    errors: FormErrors,
) -> Result<NewContractPage, AppError> {
    if !prepares(cu) {
        return Err(AppError::Forbidden(
            "Les contrats sont préparés par les agents de l'ARS de la région.".into(),
        ));
    }
    let catalogues = services::list_catalogues(state, cu, 1, 200).await?;
    Ok(NewContractPage {
        layout: Layout::new(state, session, cu, "Nouveau contrat", "/contrats").await?,
        ej: input.ej.clone(),
        title: input.title.clone().unwrap_or_default(),
        catalogues: catalogues
            .items
            .iter()
            .filter(|v| {
                v.state == cpom_domain::catalogue::CatalogueState::Published
                    && v.kind == cpom_domain::catalogue::CatalogueKind::Engagements
            })
            .map(|v| {
                Choice::new(
                    v.slug.clone(),
                    format!("{} (v{})", v.title, v.version),
                    &input.catalogue,
                )
            })
            .collect(),
        errors,
    })
}

/// Prefill of the creation form (from a legal entity's page).
#[derive(Debug, serde::Deserialize)]
pub struct NewQuery {
    ej: Option<String>,
}

/// GET `/contrats/nouveau`.
pub async fn new_contract_form(
    State(state): State<AppState>,
    session: Session,
    PageUser(cu): PageUser,
    Query(q): Query<NewQuery>,
) -> Result<Response, PageError> {
    let input = NewContractInput {
        ej: q.ej.unwrap_or_default(),
        ..Default::default()
    };
    let mut page = new_page(&state, &session, &cu, &input, FormErrors::default()).await?;
    if page.catalogues.len() == 1 {
        page.catalogues[0].selected = true;
    }
    render(&page)
}

/// POST `/contrats`: creates the contract, then shows it.
pub async fn create_contract(
    State(state): State<AppState>,
    session: Session,
    PageUser(cu): PageUser,
    Form(input): Form<NewContractInput>,
) -> Result<Response, PageError> {
    match services::create_contract(&state, &cu, &input).await {
        Ok(c) => Ok(Redirect::to(&format!("/contrats/{}", c.id)).into_response()),
        Err(AppError::Validation(fields)) => render_status(
            &new_page(&state, &session, &cu, &input, FormErrors(fields)).await?,
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
        ),
        Err(e) => Err(e.into()),
    }
}

/// One engagement on the contract page.
pub struct EngagementView {
    key: String,
    objective: String,
    action: String,
    title: String,
    mandatory: bool,
    specific: bool,
    indicator: String,
    sites: String,
    cells: Vec<String>,
}

/// One model action of the catalogue for the entity.
pub struct ProposalView {
    action: String,
    title: String,
    mandatory: bool,
    applies: bool,
    reason: String,
    taken: bool,
}

/// One comment of the thread.
pub struct CommentView {
    when: String,
    author: String,
    side: &'static str,
    subject: String,
    body: String,
}

/// One line of the history.
pub struct HistoryLine {
    when: String,
    who: String,
    what: String,
}

/// One contract.
#[derive(Template)]
#[template(path = "contracts/show.html")]
pub struct ContractPage {
    layout: Layout,
    id: i64,
    title: String,
    ej: String,
    ej_name: String,
    catalogue: String,
    catalogue_version: i32,
    period: String,
    band: String,
    state: &'static str,
    state_class: &'static str,
    signed: String,
    row_version: i64,
    years: Vec<String>,
    engagements: Vec<EngagementView>,
    warnings: Vec<String>,
    proposals: Vec<ProposalView>,
    moves: Vec<(String, &'static str)>,
    can_sign: bool,
    signatories: Vec<String>,
    can_comment: bool,
    comments: Vec<CommentView>,
    subjects: Vec<Choice>,
    show_proposals: bool,
    history: Vec<HistoryLine>,
    files: Vec<FileView>,
    can_attach: bool,
    registry_note: String,
    avenant: i32,
    can_amend: bool,
    changes: Option<ChangesView>,
    versions: Vec<VersionLine>,
    in_force: bool,
    negotiator: String,
    negotiator_choices: Vec<Choice>,
    objectives: Vec<Choice>,
    indicator_kinds: Vec<Choice>,
    steps: Vec<StepView>,
    events: Vec<String>,
    can_record: bool,
    event_kinds: Vec<Choice>,
    years_of_period: Vec<i32>,
}

/// A step of the calendar, as shown.
pub struct StepView {
    label: String,
    due: String,
    status: &'static str,
    status_class: &'static str,
    done: String,
}

/// What an avenant changes, as shown.
pub struct ChangesView {
    added: Vec<String>,
    removed: Vec<String>,
    changed: Vec<(String, Vec<String>)>,
}

impl ChangesView {
    fn of(d: &cpom_domain::contract::ContentDiff) -> Self {
        let year = |y: TargetYear| match y {
            TargetYear::Year(y) => y.to_string(),
            TargetYear::Total => "sur la période".into(),
        };
        ChangesView {
            added: d
                .added
                .iter()
                .map(|e| format!("{} — {}", e.key, e.title))
                .collect(),
            removed: d
                .removed
                .iter()
                .map(|e| format!("{} — {}", e.key, e.title))
                .collect(),
            changed: d
                .changed
                .iter()
                .map(|e| {
                    let mut lines = e.changes.clone();
                    lines.extend(e.targets.iter().map(|t| {
                        format!(
                            "cible {} : {} → {}",
                            year(t.year),
                            t.from.as_deref().unwrap_or("aucune"),
                            t.to.as_deref().unwrap_or("aucune")
                        )
                    }));
                    (format!("{} — {}", e.key, e.title), lines)
                })
                .collect(),
        }
    }

    fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty() && self.changed.is_empty()
    }
}

/// An earlier signed version, as listed.
pub struct VersionLine {
    avenant: i32,
    label: String,
    signed: String,
    engagements: usize,
}

fn version_name(avenant: i32) -> String {
    if avenant == 0 {
        "Contrat initial".into()
    } else {
        format!("Avenant n° {avenant}")
    }
}

/// A file attached to a contract, as listed.
pub struct FileView {
    id: i64,
    name: String,
    when: String,
    who: String,
    size: String,
}

/// GET `/contrats/{id}`.
pub async fn show_contract(
    State(state): State<AppState>,
    session: Session,
    PageUser(cu): PageUser,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let v = services::contract_view(&state, &cu, id).await?;
    let c = &v.contract;
    let calendar = crate::schedule::of_contract(&state, &cu, c).await?;
    let negotiators = state
        .store
        .negotiators(&c.region)
        .await
        .map_err(AppError::from)?;
    let can_assign = cu
        .authorize(&cpom_domain::Action::PrepareContract(
            services::contract_scope(c),
        ))
        .is_ok();
    let mut years: Vec<TargetYear> = (c.start_year..=c.end_year).map(TargetYear::Year).collect();
    if c.content
        .engagements
        .iter()
        .any(|e| e.targets.iter().any(|t| t.year == TargetYear::Total))
    {
        years.push(TargetYear::Total);
    }
    let engagements = c
        .content
        .engagements
        .iter()
        .map(|e| EngagementView {
            key: e.key.clone(),
            objective: format!("{} — {}", e.objective, e.objective_title),
            action: e.action.clone().unwrap_or_default(),
            title: e.title.clone(),
            mandatory: e.mandatory,
            specific: e.action.is_none(),
            indicator: e
                .indicator
                .as_ref()
                .map(|i| format!("{} — {}", i.code, i.title))
                .unwrap_or_default(),
            sites: if e.sites.is_empty() {
                "l'entité juridique".into()
            } else {
                e.sites
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            },
            cells: years
                .iter()
                .map(|y| {
                    e.targets
                        .iter()
                        .find(|t| t.year == *y)
                        .map(|t| t.text.clone())
                        .unwrap_or_default()
                })
                .collect(),
        })
        .collect();
    // The history: the contract's audit trail, for those who may read the audit; its
    // transitions for everyone who reads the contract.
    let events = state
        .store
        .list_audit(
            &cpom_domain::ScopeFilter::All,
            &AuditFilter {
                entity_type: Some("contract".into()),
                entity_id: Some(c.id.to_string()),
                ..Default::default()
            },
            1,
            100,
        )
        .await?;
    let history = events
        .items
        .iter()
        .map(|e| {
            let state_of = |v: &Option<serde_json::Value>| {
                v.as_ref()
                    .and_then(|v| v.get("state"))
                    .and_then(|s| s.as_str())
                    .and_then(ContractState::parse)
            };
            let what = match (e.action.as_str(), state_of(&e.before), state_of(&e.after)) {
                ("contract.create", _, _) => "création du contrat, en préparation".to_owned(),
                ("contract.comment", _, _) => "commentaire".to_owned(),
                ("contract.attach_file", _, _) => format!(
                    "dépôt du scan signé « {} »",
                    e.after
                        .as_ref()
                        .and_then(|a| a.get("name"))
                        .and_then(|n| n.as_str())
                        .unwrap_or_default()
                ),
                ("contract.avenant", _, _) => {
                    let n = e
                        .after
                        .as_ref()
                        .and_then(|a| a.get("avenant"))
                        .and_then(serde_json::Value::as_i64)
                        .unwrap_or_default();
                    let note = e
                        .after
                        .as_ref()
                        .and_then(|a| a.get("note"))
                        .and_then(|n| n.as_str())
                        .map(|n| format!(" — « {n} »"))
                        .unwrap_or_default();
                    format!("ouverture de l'avenant n° {n}, en préparation{note}")
                }
                ("contract.transition", Some(from), Some(to)) => {
                    let note = e
                        .after
                        .as_ref()
                        .and_then(|a| a.get("note"))
                        .and_then(|n| n.as_str())
                        .map(|n| format!(" — « {n} »"))
                        .unwrap_or_default();
                    format!("{} → {}{note}", from.label(), to.label())
                }
                ("contract.edit", _, _) => e
                    .after
                    .as_ref()
                    .and_then(|a| a.get("change"))
                    .and_then(|c| c.as_str())
                    .unwrap_or("modification des engagements")
                    .to_owned(),
                (other, _, _) => other.to_owned(),
            };
            HistoryLine {
                when: datetime_fr(e.at),
                who: e.actor_label.clone(),
                what,
            }
        })
        .collect();
    let taken: Vec<&str> = c
        .content
        .engagements
        .iter()
        .filter_map(|e| e.action.as_deref())
        .collect();
    render(&ContractPage {
        layout: Layout::new(&state, &session, &cu, &c.title, "/contrats").await?,
        id: c.id,
        title: c.title.clone(),
        ej: c.ej.to_string(),
        ej_name: c.ej_name.clone(),
        catalogue: c.catalogue_slug.clone(),
        catalogue_version: c.catalogue_version,
        period: format!("{}–{}", c.start_year, c.end_year),
        band: c
            .band
            .map(|b| cpom_domain::catalogue::TargetBand::parse(b.as_str()).map(|t| t.label()))
            .and_then(Result::ok)
            .unwrap_or_else(|| "inconnue (cibles « tous les établissements »)".into()),
        state: c.state.label(),
        state_class: badge(c.state),
        signed: c.signed_at.map(date_fr).unwrap_or_default(),
        row_version: c.row_version,
        years: years
            .iter()
            .map(|y| match y {
                TargetYear::Year(y) => y.to_string(),
                TargetYear::Total => "Période".into(),
            })
            .collect(),
        engagements,
        warnings: v.warnings.iter().map(|w| w.message.clone()).collect(),
        show_proposals: v.can_prepare,
        proposals: v
            .proposals
            .iter()
            .map(|p| ProposalView {
                action: p.action.clone(),
                title: p.title.clone(),
                mandatory: p.mandatory,
                applies: p.applies,
                reason: p.reason.clone(),
                taken: taken.contains(&p.action.as_str()),
            })
            .collect(),
        moves: v
            .moves
            .iter()
            .map(|to| (to.as_str().to_owned(), c.state.move_label(*to)))
            .collect(),
        can_sign: v.can_sign,
        can_comment: v.can_comment,
        comments: v
            .comments
            .iter()
            .map(|m| CommentView {
                when: datetime_fr(m.created_at),
                author: m.author.clone(),
                side: if m.side == "establishment" {
                    "établissement"
                } else {
                    "ARS"
                },
                subject: m
                    .engagement
                    .as_ref()
                    .map(|k| format!("engagement {k}"))
                    .unwrap_or_else(|| "le contrat".into()),
                body: m.body.clone(),
            })
            .collect(),
        subjects: std::iter::once(Choice::new("", "le contrat dans son ensemble", ""))
            .chain(c.content.engagements.iter().map(|e| {
                Choice::new(
                    e.key.clone(),
                    format!("engagement {} — {}", e.key, e.title),
                    "-",
                )
            }))
            .collect(),
        signatories: c
            .content
            .signatories
            .iter()
            .map(|s| {
                format!(
                    "{}, {} ({}), le {}",
                    s.name,
                    s.function,
                    s.role.label(),
                    cpom_domain::territory::date_fr(s.date)
                )
            })
            .collect(),
        history,
        can_attach: crate::documents::can_attach_scan(&cu, c),
        in_force: cpom_domain::contract::in_force(c.state, c.avenant),
        negotiator: negotiators
            .iter()
            .find(|n| Some(n.id) == c.negotiator_id)
            .map(|n| n.name.clone())
            .unwrap_or_else(|| {
                if c.negotiator_id.is_some() {
                    "un agent qui n'est plus négociateur de la région".into()
                } else {
                    "aucun (l'ARS de la région)".into()
                }
            }),
        negotiator_choices: if can_assign {
            let current = c.negotiator_id.map(|n| n.to_string()).unwrap_or_default();
            negotiators
                .iter()
                .map(|n| Choice::new(n.id.to_string(), n.name.clone(), &current))
                .collect()
        } else {
            vec![]
        },
        objectives: v
            .objectives
            .iter()
            .map(|(code, title)| Choice::new(code.clone(), format!("{code} — {title}"), ""))
            .collect(),
        indicator_kinds: cpom_domain::catalogue::IndicatorKind::ALL
            .iter()
            .map(|k| Choice::new(k.as_str(), k.label(), ""))
            .collect(),
        steps: calendar
            .steps
            .iter()
            .map(|s| StepView {
                label: s.label.clone(),
                due: cpom_domain::territory::date_fr(s.due),
                status: s.status.label(),
                status_class: match s.status {
                    cpom_domain::calendar::StepStatus::Done => "fr-badge--success",
                    cpom_domain::calendar::StepStatus::Overdue => "fr-badge--error",
                    cpom_domain::calendar::StepStatus::Soon => "fr-badge--info",
                    cpom_domain::calendar::StepStatus::Later => "",
                },
                done: s
                    .done_on
                    .map(cpom_domain::territory::date_fr)
                    .unwrap_or_default(),
            })
            .collect(),
        events: calendar
            .events
            .iter()
            .map(|e| {
                let mut line = format!(
                    "{} — {}",
                    cpom_domain::territory::date_fr(e.on),
                    e.kind.label()
                );
                if let Some(y) = e.year {
                    line.push_str(&format!(" {y}"));
                }
                if let Some(a) = e.amount {
                    line.push_str(&format!(
                        " : {} €",
                        cpom_domain::catalogue::number::format_number(a as f64)
                    ));
                }
                if let Some(n) = &e.note {
                    line.push_str(&format!(" — « {n} »"));
                }
                line
            })
            .collect(),
        can_record: calendar.can_record,
        event_kinds: cpom_domain::calendar::EventKind::ALL
            .iter()
            .map(|k| Choice::new(k.as_str(), k.label(), ""))
            .collect(),
        years_of_period: (c.start_year..=c.end_year).collect(),
        avenant: c.avenant,
        can_amend: v.can_amend,
        changes: v.changes.as_ref().map(ChangesView::of),
        versions: v
            .versions
            .iter()
            .map(|x| VersionLine {
                avenant: x.avenant,
                label: version_name(x.avenant),
                signed: x.signed_at.map(datetime_fr).unwrap_or_default(),
                engagements: x.content.engagements.len(),
            })
            .collect(),
        registry_note: match &c.content.registry {
            Some(r) => format!(
                "Autorisations et reconnaissances de l'annexe 2 figées le {} (signature).",
                cpom_domain::territory::date_fr(r.on)
            ),
            None => "Les autorisations et reconnaissances de l'annexe 2 sont lues dans le \
                     registre à ce jour ; elles seront figées à la signature."
                .into(),
        },
        files: state
            .store
            .contract_files(c.id)
            .await?
            .into_iter()
            .map(|f| FileView {
                id: f.id,
                name: f.file_name,
                when: datetime_fr(f.created_at),
                who: f.uploaded_by,
                size: format!("{} ko", (f.size + 1023) / 1024),
            })
            .collect(),
    })
}

async fn document(
    state: &AppState,
    cu: &CurrentUser,
    id: i64,
    format: crate::documents::Format,
) -> Result<Response, PageError> {
    Ok(super::send_file(
        crate::documents::contract_download(state, cu, id, format).await?,
    ))
}

/// GET `/contrats/{id}/contrat.pdf`: the contract to print and sign.
pub async fn download_pdf(
    State(state): State<AppState>,
    PageUser(cu): PageUser,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    document(&state, &cu, id, crate::documents::Format::Pdf).await
}

/// GET `/contrats/{id}/contrat.docx`: the contract, editable.
pub async fn download_docx(
    State(state): State<AppState>,
    PageUser(cu): PageUser,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    document(&state, &cu, id, crate::documents::Format::Docx).await
}

/// GET `/contrats/{id}/annexe-1.xlsx`: the engagements as a workbook.
pub async fn download_xlsx(
    State(state): State<AppState>,
    PageUser(cu): PageUser,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    document(&state, &cu, id, crate::documents::Format::Xlsx).await
}

/// The region asked for.
#[derive(Debug, Default, serde::Deserialize)]
pub struct RegionQuery {
    region: Option<String>,
}

/// GET `/contrats/archive.zip?region=`: every contract of a region the user sees.
pub async fn download_archive(
    State(state): State<AppState>,
    PageUser(cu): PageUser,
    Query(q): Query<RegionQuery>,
) -> Result<Response, PageError> {
    Ok(super::send_file(
        crate::documents::region_archive(&state, &cu, q.region.as_deref()).await?,
    ))
}

/// POST `/contrats/{id}/scan?csrf_token=` (multipart `file`): the signed scan.
pub async fn upload_scan(
    State(state): State<AppState>,
    PageUser(cu): PageUser,
    Path(id): Path<i64>,
    multipart: axum::extract::Multipart,
) -> Result<Response, PageError> {
    let dir = state.store.files_dir().join("incoming");
    let (upload, bytes) =
        crate::upload::receive_small(multipart, &dir, crate::documents::MAX_SCAN).await?;
    crate::documents::attach_signed_scan(&state, &cu, id, &upload.file_name, &bytes).await?;
    Ok(Redirect::to(&format!("/contrats/{id}#documents")).into_response())
}

/// GET `/contrats/{id}/fichiers/{file}`: an attached file.
pub async fn download_file(
    State(state): State<AppState>,
    PageUser(cu): PageUser,
    Path((id, file)): Path<(i64, i64)>,
) -> Result<Response, PageError> {
    Ok(super::send_file(
        crate::documents::file_download(&state, &cu, id, file).await?,
    ))
}

/// POST `/contrats/{id}/etat` (`to`, `row_version`, `note`).
pub async fn move_contract(
    State(state): State<AppState>,
    PageUser(cu): PageUser,
    Path(id): Path<i64>,
    Form(input): Form<MoveInput>,
) -> Result<Response, PageError> {
    services::move_contract(&state, &cu, id, &input).await?;
    Ok(Redirect::to(&format!("/contrats/{id}")).into_response())
}

/// The model action to add.
#[derive(Debug, serde::Deserialize)]
pub struct AddInput {
    row_version: Option<i64>,
    #[serde(default)]
    action: String,
    indicator: Option<String>,
    // For an engagement specific to the establishment (no `action`).
    #[serde(default)]
    objective: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    indicator_title: String,
    #[serde(default)]
    kind: String,
    unit: Option<String>,
}

/// POST `/contrats/{id}/engagements`: adds the engagement of a model action.
pub async fn add_engagement(
    State(state): State<AppState>,
    PageUser(cu): PageUser,
    Path(id): Path<i64>,
    Form(input): Form<AddInput>,
) -> Result<Response, PageError> {
    let edit = if input.action.trim().is_empty() {
        services::ContractEdit::AddSpecific(cpom_domain::contract::SpecificInput {
            objective: input.objective,
            title: input.title,
            indicator_title: input.indicator_title,
            kind: input.kind,
            unit: input.unit,
        })
    } else {
        services::ContractEdit::Add {
            action: input.action,
            indicator: input.indicator,
        }
    };
    let c = services::edit_contract(&state, &cu, id, input.row_version, &edit).await?;
    let key = c
        .content
        .engagements
        .last()
        .map(|e| e.key.clone())
        .unwrap_or_default();
    Ok(Redirect::to(&format!("/contrats/{id}#{key}")).into_response())
}

/// A site the engagement may bind.
pub struct SiteChoice {
    finess: String,
    name: String,
    checked: bool,
}

/// A target line of the engagement form.
pub struct LineView {
    i: usize,
    year: String,
    text: String,
    rule_text: String,
    source: String,
    e_year: String,
    e_rule: String,
}

/// The form of one engagement.
#[derive(Template)]
#[template(path = "contracts/engagement.html")]
pub struct EngagementPage {
    layout: Layout,
    id: i64,
    contract_title: String,
    row_version: i64,
    key: String,
    action: String,
    objective: String,
    title: String,
    title_locked: bool,
    indicators: Vec<Choice>,
    sites: Vec<SiteChoice>,
    new_authorisation: bool,
    lines: Vec<LineView>,
    period: String,
    errors: FormErrors,
}

/// What the engagement form shows: the stored engagement, or what was posted.
struct EngagementValues {
    title: String,
    indicator: String,
    sites: Vec<String>,
    new_authorisation: bool,
    lines: Vec<(String, String, String, String)>,
}

async fn engagement_page(
    state: &AppState,
    session: &Session,
    cu: &CurrentUser,
    id: i64,
    key: &str,
    values: Option<EngagementValues>,
    errors: FormErrors,
) -> Result<EngagementPage, AppError> {
    let v = services::contract_view(state, cu, id).await?;
    if !v.can_prepare {
        return Err(AppError::Forbidden(
            "Les engagements sont modifiés par l'ARS, pendant la préparation et la négociation."
                .into(),
        ));
    }
    let c = &v.contract;
    let e = c
        .content
        .engagements
        .iter()
        .find(|e| e.key == key)
        .ok_or(AppError::NotFound)?;
    let values = values.unwrap_or_else(|| EngagementValues {
        title: e.title.clone(),
        indicator: e
            .indicator
            .as_ref()
            .map(|i| i.code.clone())
            .unwrap_or_default(),
        sites: e.sites.iter().map(ToString::to_string).collect(),
        new_authorisation: e.new_authorisation,
        lines: e
            .targets
            .iter()
            .map(|t| {
                (
                    t.year.to_string(),
                    t.text.clone(),
                    t.rule.to_string(),
                    t.source.clone(),
                )
            })
            .collect(),
    });
    let candidates = v
        .proposals
        .iter()
        .find(|p| Some(p.action.as_str()) == e.action.as_deref())
        .map(|p| p.indicators.clone())
        .unwrap_or_default();
    let detail = state.store.legal_entity_detail(&c.ej).await?;
    let blank = (String::new(), String::new(), String::new(), String::new());
    let lines = values
        .lines
        .iter()
        .cloned()
        .chain(std::iter::repeat_n(blank, 3))
        .enumerate()
        .map(|(i, (year, text, rule_text, source))| LineView {
            i,
            e_year: errors.get(&format!("targets[{i}].year")).to_owned(),
            e_rule: errors.get(&format!("targets[{i}].rule_text")).to_owned(),
            year,
            text,
            rule_text,
            source,
        })
        .collect();
    Ok(EngagementPage {
        layout: Layout::new(state, session, cu, format!("Engagement {key}"), "/contrats").await?,
        id,
        contract_title: c.title.clone(),
        row_version: c.row_version,
        key: key.to_owned(),
        action: e.action.clone().unwrap_or_default(),
        objective: format!("{} — {}", e.objective, e.objective_title),
        title: values.title,
        title_locked: e.title_locked,
        indicators: candidates
            .iter()
            .map(|code| Choice::new(code.clone(), code.clone(), &values.indicator))
            .collect(),
        sites: detail
            .sites
            .iter()
            .map(|s| SiteChoice {
                finess: s.finess.to_string(),
                name: s.name.clone(),
                checked: values.sites.contains(&s.finess.to_string()),
            })
            .collect(),
        new_authorisation: values.new_authorisation,
        lines,
        period: format!("{}–{}", c.start_year, c.end_year),
        errors,
    })
}

/// GET `/contrats/{id}/engagements/{key}`.
pub async fn engagement_form(
    State(state): State<AppState>,
    session: Session,
    PageUser(cu): PageUser,
    Path((id, key)): Path<(i64, String)>,
) -> Result<Response, PageError> {
    render(&engagement_page(&state, &session, &cu, id, &key, None, FormErrors::default()).await?)
}

/// POST `/contrats/{id}/engagements/{key}`: saves the engagement form; a refused form comes
/// back with what was typed and each problem under its field.
pub async fn save_engagement(
    State(state): State<AppState>,
    session: Session,
    PageUser(cu): PageUser,
    Path((id, key)): Path<(i64, String)>,
    Form(pairs): Form<FormPairs>,
) -> Result<Response, PageError> {
    let get = |name: &str| form_value(&pairs, name);
    let field = |l: &std::collections::BTreeMap<String, String>, f: &str| {
        l.get(f).cloned().unwrap_or_default()
    };
    // Blank lines go before the change is read, so that errors name the lines shown again.
    let lines: Vec<(String, String, String)> = form_lines(&pairs, "targets", 1000)
        .iter()
        .map(|l| (field(l, "year"), field(l, "text"), field(l, "rule_text")))
        .filter(|(y, t, r)| !(y.trim().is_empty() && t.trim().is_empty() && r.trim().is_empty()))
        .collect();
    let sites: Vec<String> = pairs
        .iter()
        .filter(|(k, _)| k == "sites")
        .map(|(_, v)| v.clone())
        .collect();
    let change = cpom_domain::contract::EngagementChange {
        title: get("title"),
        indicator: get("indicator"),
        sites: Some(sites.clone()),
        targets: Some(
            lines
                .iter()
                .map(
                    |(year, text, rule_text)| cpom_domain::contract::TargetLine {
                        year: year.clone(),
                        text: text.clone(),
                        rule_text: rule_text.clone(),
                    },
                )
                .collect(),
        ),
        new_authorisation: Some(get("new_authorisation").is_some()),
    };
    let row_version = get("row_version").and_then(|v| v.trim().parse().ok());
    let edit = services::ContractEdit::Change {
        key: key.clone(),
        change: change.clone(),
    };
    match services::edit_contract(&state, &cu, id, row_version, &edit).await {
        Ok(_) => Ok(Redirect::to(&format!("/contrats/{id}#{key}")).into_response()),
        Err(e @ (AppError::Validation(_) | AppError::Conflict(_))) => {
            let status = e.status();
            let errors = FormErrors::refused(e, "contract");
            let values = EngagementValues {
                title: change.title.unwrap_or_default(),
                indicator: change.indicator.unwrap_or_default(),
                sites,
                new_authorisation: change.new_authorisation == Some(true),
                lines: lines
                    .into_iter()
                    .map(|(year, text, rule_text)| (year, text, rule_text, String::new()))
                    .collect(),
            };
            let mut page =
                engagement_page(&state, &session, &cu, id, &key, Some(values), errors).await?;
            if let Some(r) = row_version {
                page.row_version = r;
            }
            render_status(&page, status)
        }
        Err(e) => Err(e.into()),
    }
}

/// The version of the contract read.
#[derive(Debug, serde::Deserialize)]
pub struct RowVersionInput {
    row_version: Option<i64>,
}

/// POST `/contrats/{id}/engagements/{key}/retirer`.
pub async fn remove_engagement(
    State(state): State<AppState>,
    PageUser(cu): PageUser,
    Path((id, key)): Path<(i64, String)>,
    Form(input): Form<RowVersionInput>,
) -> Result<Response, PageError> {
    let edit = services::ContractEdit::Remove { key };
    services::edit_contract(&state, &cu, id, input.row_version, &edit).await?;
    Ok(Redirect::to(&format!("/contrats/{id}")).into_response())
}

/// One signatory line of the signature form.
pub struct SignatoryLine {
    i: usize,
    roles: Vec<Choice>,
    name: String,
    function: String,
    date: String,
    e_role: String,
    e_name: String,
    e_function: String,
    e_date: String,
}

/// The signature form.
#[derive(Template)]
#[template(path = "contracts/signature.html")]
pub struct SignaturePage {
    layout: Layout,
    id: i64,
    contract_title: String,
    row_version: i64,
    lines: Vec<SignatoryLine>,
    errors: FormErrors,
}

async fn signature_page(
    state: &AppState,
    session: &Session,
    cu: &CurrentUser,
    id: i64,
    lines: Vec<cpom_domain::contract::SignatoryInput>,
    errors: FormErrors,
) -> Result<SignaturePage, AppError> {
    let v = services::contract_view(state, cu, id).await?;
    if !v.can_sign {
        return Err(AppError::Forbidden(
            "La signature s'enregistre par l'ARS, sur un contrat prêt à signer.".into(),
        ));
    }
    let lines = lines
        .into_iter()
        .enumerate()
        .map(|(i, l)| {
            let e = |f: &str| errors.get(&format!("signatories[{i}].{f}")).to_owned();
            SignatoryLine {
                i,
                roles: cpom_domain::contract::SignatoryRole::ALL
                    .iter()
                    .map(|r| Choice::new(r.as_str(), r.label(), &l.role))
                    .collect(),
                e_role: e("role"),
                e_name: e("name"),
                e_function: e("function"),
                e_date: e("date"),
                name: l.name,
                function: l.function,
                date: l.date,
            }
        })
        .collect();
    Ok(SignaturePage {
        layout: Layout::new(state, session, cu, "Signature du contrat", "/contrats").await?,
        id,
        contract_title: v.contract.title.clone(),
        row_version: v.contract.row_version,
        lines,
        errors,
    })
}

/// GET `/contrats/{id}/signature`: the agency's director general (or delegate) and the
/// legal representative, dated today by default.
pub async fn signature_form(
    State(state): State<AppState>,
    session: Session,
    PageUser(cu): PageUser,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let today = cpom_domain::territory::date_fr(services::today());
    let line = |role: &str| cpom_domain::contract::SignatoryInput {
        role: role.into(),
        date: today.clone(),
        ..Default::default()
    };
    let lines = vec![
        line("dg_ars"),
        line("legal_representative"),
        cpom_domain::contract::SignatoryInput::default(),
    ];
    render(&signature_page(&state, &session, &cu, id, lines, FormErrors::default()).await?)
}

/// POST `/contrats/{id}/signature`.
pub async fn sign_contract(
    State(state): State<AppState>,
    session: Session,
    PageUser(cu): PageUser,
    Path(id): Path<i64>,
    Form(pairs): Form<FormPairs>,
) -> Result<Response, PageError> {
    let lines: Vec<cpom_domain::contract::SignatoryInput> = form_lines(&pairs, "signatories", 20)
        .into_iter()
        .map(|l| {
            let field = |f: &str| l.get(f).cloned().unwrap_or_default();
            cpom_domain::contract::SignatoryInput {
                role: field("role"),
                name: field("name"),
                function: field("function"),
                date: field("date"),
            }
        })
        .collect();
    let get = |name: &str| form_value(&pairs, name);
    let input = services::SignatureInput {
        row_version: get("row_version").and_then(|v| v.trim().parse().ok()),
        signatories: lines.clone(),
        note: get("note"),
    };
    match services::sign_contract(&state, &cu, id, &input).await {
        Ok(_) => Ok(Redirect::to(&format!("/contrats/{id}")).into_response()),
        Err(e @ (AppError::Validation(_) | AppError::Conflict(_))) => {
            let status = e.status();
            let errors = FormErrors::refused(e, "contract");
            let mut page = signature_page(&state, &session, &cu, id, lines, errors).await?;
            if let Some(r) = input.row_version {
                page.row_version = r;
            }
            render_status(&page, status)
        }
        Err(e) => Err(e.into()),
    }
}

/// POST `/contrats/{id}/commentaires` (`engagement`, `body`).
pub async fn add_comment(
    State(state): State<AppState>,
    PageUser(cu): PageUser,
    Path(id): Path<i64>,
    Form(input): Form<services::CommentInput>,
) -> Result<Response, PageError> {
    services::comment_contract(&state, &cu, id, &input).await?;
    Ok(Redirect::to(&format!("/contrats/{id}#echanges")).into_response())
}

/// One text of the contract template in its form.
pub struct TemplatePart {
    name: &'static str,
    label: &'static str,
    hint: &'static str,
    value: String,
    long: bool,
}

/// The contract template of a region.
#[derive(Template)]
#[template(path = "contracts/template.html")]
pub struct TemplatePage {
    layout: Layout,
    region: String,
    region_name: String,
    version: i64,
    fields: Vec<(&'static str, &'static str)>,
    parts: Vec<TemplatePart>,
    objectives_min: String,
    objectives_max: String,
    follow_up_month: String,
    penalty_cap: String,
    errors: FormErrors,
    saved: bool,
}

fn template_parts(t: &cpom_domain::contract_document::ContractTemplate) -> Vec<TemplatePart> {
    t.parts()
        .into_iter()
        .map(|(name, value)| {
            let (label, hint) = match name {
                "header" => ("En-tête de page", "Répété en haut de chaque page. Obligatoire."),
                "socle" => (
                    "Socle du contrat",
                    "Les articles, avant les signatures. Obligatoire.",
                ),
                "signature" => (
                    "Texte avant les signatures",
                    "Par exemple « Fait en deux exemplaires originaux. » Facultatif.",
                ),
                "annex_engagements" => (
                    "Titre de l'annexe 1 (engagements)",
                    "Obligatoire.",
                ),
                "annex_authorisations" => (
                    "Titre de l'annexe 2 (autorisations et reconnaissances contractuelles)",
                    "Laisser vide pour ne pas produire cette annexe.",
                ),
                "annex_funding" => (
                    "Titre de l'annexe des financements (FIR, MIGAC, DAF)",
                    "Numérotée après les annexes 1 et 2 ; les annexes en texte du contrat (CAQES, sécurité sanitaire…) suivent. Laisser vide pour ne pas l'imprimer.",
                ),
                _ => (
                    "Titre de la section diagnostic",
                    "Points forts et points à améliorer du contrat ; laisser vide pour ne pas l'imprimer.",
                ),
            };
            TemplatePart {
                name,
                label,
                hint,
                value: value.to_string(),
                long: matches!(name, "socle" | "signature"),
            }
        })
        .collect()
}

async fn template_page(
    state: &AppState,
    session: &Session,
    cu: &CurrentUser,
    stored: &cpom_store::repo::contract_documents::StoredTemplate,
    shown: &cpom_domain::contract_document::ContractTemplate,
) -> Result<TemplatePage, AppError> {
    Ok(TemplatePage {
        layout: Layout::new(state, session, cu, "Modèle de contrat", "/contrats").await?,
        region: stored.region.to_string(),
        region_name: cpom_domain::region::REGIONS
            .iter()
            .find(|r| r.code == stored.region.as_str())
            .map_or_else(|| stored.region.to_string(), |r| r.name.to_string()),
        version: stored.version,
        fields: cpom_domain::contract_document::FIELDS.to_vec(),
        parts: template_parts(shown),
        objectives_min: shown
            .objectives_min
            .map(|v| v.to_string())
            .unwrap_or_default(),
        objectives_max: shown
            .objectives_max
            .map(|v| v.to_string())
            .unwrap_or_default(),
        follow_up_month: shown
            .follow_up_month
            .map(|v| v.to_string())
            .unwrap_or_default(),
        penalty_cap: shown.penalty_cap.map(|v| v.to_string()).unwrap_or_default(),
        errors: FormErrors::default(),
        saved: false,
    })
}

/// The page's `?enregistre=1` after a save, and the region.
#[derive(Debug, Default, serde::Deserialize)]
pub struct TemplateQuery {
    region: Option<String>,
    enregistre: Option<String>,
}

/// GET `/contrats/modele?region=`: the region's contract template (its administrators).
pub async fn template_form(
    State(state): State<AppState>,
    session: Session,
    PageUser(cu): PageUser,
    Query(q): Query<TemplateQuery>,
) -> Result<Response, PageError> {
    let stored = crate::documents::template(&state, &cu, q.region.as_deref()).await?;
    let mut page = template_page(&state, &session, &cu, &stored, &stored.template).await?;
    page.saved = q.enregistre.is_some();
    render(&page)
}

/// POST `/contrats/modele`.
pub async fn save_template(
    State(state): State<AppState>,
    session: Session,
    PageUser(cu): PageUser,
    Form(pairs): Form<FormPairs>,
) -> Result<Response, PageError> {
    let get = |name: &str| {
        form_value(&pairs, name)
            .unwrap_or_default()
            .replace("\r\n", "\n")
    };
    let region = get("region");
    let mut bad = vec![];
    let mut bound = |name: &str| {
        let raw = get(name);
        let raw = raw.trim();
        if raw.is_empty() {
            return None;
        }
        raw.parse::<usize>().map(Some).unwrap_or_else(|_| {
            bad.push(crate::error::FieldError {
                field: name.to_owned(),
                message: format!("« {raw} » n'est pas un nombre entier"),
            });
            None
        })
    };
    let objectives_min = bound("objectives_min");
    let objectives_max = bound("objectives_max");
    let follow_up_month = bound("follow_up_month").map(|m| u32::try_from(m).unwrap_or(u32::MAX));
    let penalty_cap = bound("penalty_cap").map(|c| i64::try_from(c).unwrap_or(i64::MAX));
    let typed = cpom_domain::contract_document::ContractTemplate {
        header: get("header"),
        socle: get("socle"),
        signature: get("signature"),
        annex_engagements: get("annex_engagements"),
        annex_authorisations: get("annex_authorisations"),
        diagnostic: get("diagnostic"),
        annex_funding: get("annex_funding"),
        objectives_min,
        objectives_max,
        follow_up_month,
        penalty_cap,
    };
    let version = get("version").trim().parse::<i64>().unwrap_or(-1);
    let saved = if bad.is_empty() {
        crate::documents::set_template(&state, &cu, Some(&region), &typed, version).await
    } else {
        crate::documents::template(&state, &cu, Some(&region))
            .await
            .and(Err(AppError::Validation(bad)))
    };
    match saved {
        Ok(s) => Ok(Redirect::to(&format!(
            "/contrats/modele?region={}&enregistre=1",
            s.region
        ))
        .into_response()),
        Err(e @ (AppError::Validation(_) | AppError::Conflict(_))) => {
            let stored = crate::documents::template(&state, &cu, Some(&region)).await?;
            let status = e.status();
            let mut page = template_page(&state, &session, &cu, &stored, &typed).await?;
            page.version = if matches!(e, AppError::Conflict(_)) {
                version
            } else {
                stored.version
            };
            page.errors = FormErrors::refused(e, "socle");
            render_status(&page, status)
        }
        Err(e) => Err(e.into()),
    }
}

/// POST `/contrats/{id}/avenant` (`row_version`, `note`): opens an avenant.
pub async fn propose_avenant(
    State(state): State<AppState>,
    PageUser(cu): PageUser,
    Path(id): Path<i64>,
    Form(input): Form<services::AvenantInput>,
) -> Result<Response, PageError> {
    services::propose_avenant(&state, &cu, id, &input).await?;
    Ok(Redirect::to(&format!("/contrats/{id}")).into_response())
}

/// An earlier signed version of a contract.
#[derive(Template)]
#[template(path = "contracts/version.html")]
pub struct VersionPage {
    layout: Layout,
    id: i64,
    avenant: i32,
    title: String,
    name: String,
    signed: String,
    current: String,
    years: Vec<String>,
    rows: Vec<(String, String, Vec<String>)>,
    signatories: Vec<String>,
    changes: Option<ChangesView>,
}

/// GET `/contrats/{id}/versions/{n}`: a version signed before the current avenant.
pub async fn show_version(
    State(state): State<AppState>,
    session: Session,
    PageUser(cu): PageUser,
    Path((id, n)): Path<(i64, i32)>,
) -> Result<Response, PageError> {
    let (c, v, changes) = services::contract_version(&state, &cu, id, n).await?;
    let mut years: Vec<TargetYear> = (c.start_year..=c.end_year).map(TargetYear::Year).collect();
    if v.content
        .engagements
        .iter()
        .any(|e| e.targets.iter().any(|t| t.year == TargetYear::Total))
    {
        years.push(TargetYear::Total);
    }
    let rows = v
        .content
        .engagements
        .iter()
        .map(|e| {
            (
                e.key.clone(),
                format!(
                    "{} — {}{}",
                    e.objective,
                    e.title,
                    e.indicator
                        .as_ref()
                        .map(|i| format!(" (indicateur {})", i.code))
                        .unwrap_or_default()
                ),
                years
                    .iter()
                    .map(|y| {
                        e.targets
                            .iter()
                            .find(|t| t.year == *y)
                            .map(|t| t.text.clone())
                            .unwrap_or_default()
                    })
                    .collect(),
            )
        })
        .collect();
    render(&VersionPage {
        layout: Layout::new(&state, &session, &cu, "Version du contrat", "/contrats").await?,
        id,
        avenant: v.avenant,
        title: c.title.clone(),
        name: version_name(v.avenant),
        signed: v.signed_at.map(datetime_fr).unwrap_or_default(),
        current: version_name(c.avenant),
        years: years
            .iter()
            .map(|y| match y {
                TargetYear::Year(y) => y.to_string(),
                TargetYear::Total => "Période".into(),
            })
            .collect(),
        rows,
        signatories: v
            .content
            .signatories
            .iter()
            .map(|s| {
                format!(
                    "{}, {} ({}), le {}",
                    s.name,
                    s.function,
                    s.role.label(),
                    cpom_domain::territory::date_fr(s.date)
                )
            })
            .collect(),
        changes: changes.as_ref().map(ChangesView::of),
    })
}

/// GET `/contrats/{id}/versions/{n}/contrat.pdf`: that version as PDF.
pub async fn download_version_pdf(
    State(state): State<AppState>,
    PageUser(cu): PageUser,
    Path((id, n)): Path<(i64, i32)>,
) -> Result<Response, PageError> {
    Ok(super::send_file(
        crate::documents::version_download(&state, &cu, id, n, crate::documents::Format::Pdf)
            .await?,
    ))
}

/// POST `/contrats/{id}/calendrier` (`kind`, `on`, `year`, `note`, `amount`): records a step
/// of the calendar.
pub async fn record_event(
    State(state): State<AppState>,
    PageUser(cu): PageUser,
    Path(id): Path<i64>,
    Form(input): Form<crate::schedule::EventInput>,
) -> Result<Response, PageError> {
    crate::schedule::record(&state, &cu, id, &input).await?;
    Ok(Redirect::to(&format!("/contrats/{id}#calendrier")).into_response())
}

/// A funding line in the annexes form.
pub struct FundingRow {
    kinds: Vec<Choice>,
    label: String,
    amounts: Vec<(i32, String)>,
}

/// The diagnostic and annexes form of a contract.
#[derive(Template)]
#[template(path = "contracts/annexes.html")]
pub struct AnnexesPage {
    layout: Layout,
    id: i64,
    title: String,
    row_version: i64,
    strengths: String,
    weaknesses: String,
    questions: Vec<(String, String, String)>,
    funding: Vec<FundingRow>,
    texts: Vec<(String, String)>,
    errors: Vec<String>,
}

/// Blank lines offered after the filled ones.
const BLANK_LINES: usize = 3;

fn funding_row(kind: &str, label: &str, amounts: Vec<(i32, String)>) -> FundingRow {
    FundingRow {
        kinds: cpom_domain::contract::FundingKind::ALL
            .iter()
            .map(|k| Choice::new(k.as_str(), k.label(), kind))
            .collect(),
        label: label.to_owned(),
        amounts,
    }
}

/// A field of the annexes form, in words: `funding[2].amounts.2026` → "financement, ligne 2,
/// montant 2026".
fn annex_place(field: &str) -> String {
    let (list, rest) = field.split_once('[').unwrap_or((field, ""));
    let (n, sub) = rest
        .split_once("].")
        .unwrap_or((rest.trim_end_matches(']'), ""));
    let what = match sub.split_once('.') {
        Some(("amounts", year)) => format!("montant {year}"),
        _ => match sub {
            "kind" => "type".into(),
            "label" => "libellé".into(),
            "title" => "titre".into(),
            "text" => "texte".into(),
            "amounts" => "montants".into(),
            other => other.into(),
        },
    };
    match list {
        "funding" => format!("Financement, ligne {n}, {what}"),
        "texts" => format!("Annexe en texte n° {n}, {what}"),
        "strengths" => "Points forts".into(),
        "weaknesses" => "Points à améliorer".into(),
        other => match other.strip_prefix("answers.") {
            Some(code) => format!("Réponse à la question {code}"),
            None => other.into(),
        },
    }
}

/// GET `/contrats/{id}/annexes`.
pub async fn annexes_form(
    State(state): State<AppState>,
    session: Session,
    PageUser(cu): PageUser,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let page = annexes_page(&state, &session, &cu, id, None, vec![]).await?;
    render(&page)
}

async fn annexes_page(
    state: &AppState,
    session: &Session,
    cu: &CurrentUser,
    id: i64,
    typed: Option<&FormPairs>,
    errors: Vec<String>,
) -> Result<AnnexesPage, AppError> {
    let v = services::contract_view(state, cu, id).await?;
    if !v.can_prepare {
        return Err(AppError::Forbidden(
            "Le diagnostic et les annexes se préparent par l'ARS, avant l'accord sur le contrat."
                .into(),
        ));
    }
    let c = &v.contract;
    let (_, catalogue) = state
        .store
        .catalogue(&c.catalogue_slug, Some(c.catalogue_version), true)
        .await?;
    let years: Vec<i32> = (c.start_year..=c.end_year).collect();
    let value = |name: &str, stored: String| match typed {
        Some(p) => form_value(p, name).unwrap_or_default(),
        None => stored,
    };
    let mut funding: Vec<FundingRow> = match typed {
        Some(p) => form_lines(p, "funding", 100)
            .into_iter()
            .map(|l| {
                let get = |k: &str| l.get(k).cloned().unwrap_or_default();
                funding_row(
                    &get("kind"),
                    &get("label"),
                    years
                        .iter()
                        .map(|y| (*y, get(&format!("amounts.{y}"))))
                        .collect(),
                )
            })
            .collect(),
        None => c
            .content
            .funding
            .iter()
            .map(|f| {
                funding_row(
                    f.kind.as_str(),
                    &f.label,
                    years
                        .iter()
                        .map(|y| {
                            (
                                *y,
                                f.amounts
                                    .iter()
                                    .find(|(year, _)| year == y)
                                    .map(|(_, a)| a.to_string())
                                    .unwrap_or_default(),
                            )
                        })
                        .collect(),
                )
            })
            .collect(),
    };
    if typed.is_none() {
        for _ in 0..BLANK_LINES {
            funding.push(funding_row(
                "",
                "",
                years.iter().map(|y| (*y, String::new())).collect(),
            ));
        }
    }
    let mut texts: Vec<(String, String)> = match typed {
        Some(p) => form_lines(p, "texts", 100)
            .into_iter()
            .map(|l| {
                (
                    l.get("title").cloned().unwrap_or_default(),
                    l.get("text").cloned().unwrap_or_default(),
                )
            })
            .collect(),
        None => c
            .content
            .texts
            .iter()
            .map(|t| (t.title.clone(), t.text.clone()))
            .collect(),
    };
    if typed.is_none() {
        texts.extend((0..2).map(|_| (String::new(), String::new())));
    }
    Ok(AnnexesPage {
        layout: Layout::new(state, session, cu, "Diagnostic et annexes", "/contrats").await?,
        id,
        title: c.title.clone(),
        row_version: c.row_version,
        strengths: value("strengths", c.content.strengths.clone().unwrap_or_default()),
        weaknesses: value(
            "weaknesses",
            c.content.weaknesses.clone().unwrap_or_default(),
        ),
        questions: catalogue
            .questions
            .iter()
            .map(|q| {
                let stored = c
                    .content
                    .answers
                    .iter()
                    .find(|a| a.question == q.code)
                    .map(|a| a.answer.clone())
                    .unwrap_or_default();
                (
                    q.code.clone(),
                    q.text.clone(),
                    value(&format!("answers.{}", q.code), stored),
                )
            })
            .collect(),
        funding,
        texts,
        errors,
    })
}

/// The annexes form as typed.
fn annexes_input(pairs: &FormPairs) -> cpom_domain::contract::AnnexesInput {
    use cpom_domain::contract::{AnnexesInput, FundingInput, TextInput};
    AnnexesInput {
        strengths: form_value(pairs, "strengths"),
        weaknesses: form_value(pairs, "weaknesses"),
        answers: pairs
            .iter()
            .filter_map(|(k, v)| {
                k.strip_prefix("answers.")
                    .map(|code| (code.to_owned(), v.clone()))
            })
            .collect(),
        funding: form_lines(pairs, "funding", 100)
            .into_iter()
            .map(|l| FundingInput {
                kind: l.get("kind").cloned().unwrap_or_default(),
                label: l.get("label").cloned().unwrap_or_default(),
                amounts: l
                    .iter()
                    .filter_map(|(k, v)| {
                        k.strip_prefix("amounts.")
                            .map(|y| (y.to_owned(), v.clone()))
                    })
                    .collect(),
            })
            .collect(),
        texts: form_lines(pairs, "texts", 100)
            .into_iter()
            .map(|l| TextInput {
                title: l.get("title").cloned().unwrap_or_default(),
                text: l.get("text").cloned().unwrap_or_default(),
            })
            .collect(),
    }
}

/// POST `/contrats/{id}/annexes`.
pub async fn save_annexes(
    State(state): State<AppState>,
    session: Session,
    PageUser(cu): PageUser,
    Path(id): Path<i64>,
    Form(pairs): Form<FormPairs>,
) -> Result<Response, PageError> {
    let row_version = form_value(&pairs, "row_version").and_then(|v| v.trim().parse().ok());
    let edit = services::ContractEdit::Annexes(Box::new(annexes_input(&pairs)));
    match services::edit_contract(&state, &cu, id, row_version, &edit).await {
        Ok(_) => Ok(Redirect::to(&format!("/contrats/{id}#documents")).into_response()),
        Err(e @ (AppError::Validation(_) | AppError::Conflict(_))) => {
            let status = e.status();
            let errors = match e {
                AppError::Validation(fields) => fields
                    .into_iter()
                    .map(|f| format!("{} : {}", annex_place(&f.field), f.message))
                    .collect(),
                other => vec![other.message()],
            };
            let mut page = annexes_page(&state, &session, &cu, id, Some(&pairs), errors).await?;
            if status == axum::http::StatusCode::CONFLICT {
                // Keep the version read: the change made meanwhile is not overwritten.
                page.row_version = row_version.unwrap_or_default();
            }
            render_status(&page, status)
        }
        Err(e) => Err(e.into()),
    }
}

/// POST `/contrats/{id}/negociateur` (`row_version`, `negotiator_id`, empty for nobody).
pub async fn set_negotiator(
    State(state): State<AppState>,
    PageUser(cu): PageUser,
    Path(id): Path<i64>,
    Form(pairs): Form<FormPairs>,
) -> Result<Response, PageError> {
    let number = |name: &str| form_value(&pairs, name).and_then(|v| v.trim().parse::<i64>().ok());
    let input = services::NegotiatorInput {
        row_version: number("row_version"),
        negotiator_id: number("negotiator_id"),
    };
    services::set_negotiator(&state, &cu, id, &input).await?;
    Ok(Redirect::to(&format!("/contrats/{id}")).into_response())
}

/// A cell of the scorecard page.
pub struct ScoreCellView {
    href: String,
    verdict: &'static str,
    badge: &'static str,
    reason: String,
    value: String,
}

/// The scorecard page of a contract.
#[derive(Template)]
#[template(path = "contracts/scorecard.html")]
pub struct ScorecardPage {
    layout: Layout,
    id: i64,
    ej: String,
    title: String,
    years: Vec<i32>,
    rows: Vec<(String, String, String, Vec<Option<ScoreCellView>>)>,
    rate: String,
    by_year: Vec<(i32, String)>,
    counts: Vec<(&'static str, u64)>,
}

fn rate_text(t: &crate::evaluation::TallyDto) -> String {
    match t.rate {
        Some(r) => format!(
            "{} % ({} évalué(s))",
            cpom_domain::catalogue::number::format_number(r),
            t.evaluated
        ),
        None => "aucune valeur évaluée".into(),
    }
}

/// GET `/contrats/{id}/dossier-revue.pdf`.
pub async fn review_pack(
    State(state): State<AppState>,
    PageUser(cu): PageUser,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    Ok(super::send_file(
        crate::evaluation::review_pack(&state, &cu, id).await?,
    ))
}

/// GET `/contrats/{id}/bilan`.
pub async fn show_scorecard(
    State(state): State<AppState>,
    session: Session,
    PageUser(cu): PageUser,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    use cpom_domain::catalogue::Verdict;
    let s = crate::evaluation::scorecard(&state, &cu, id).await?;
    let rows = s
        .rows
        .iter()
        .map(|r| {
            let cells = s
                .years
                .iter()
                .map(|y| {
                    r.cells.iter().find(|c| c.year == *y).map(|c| {
                        let v = c.verdict.as_deref().and_then(Verdict::parse);
                        ScoreCellView {
                            href: format!("/declarations/{}", c.declaration),
                            verdict: v.map_or("—", |v| v.label()),
                            badge: v.map_or("", crate::pages::campaigns::verdict_badge),
                            reason: c.reason.clone().unwrap_or_default(),
                            value: c.value.clone().unwrap_or_default(),
                        }
                    })
                })
                .collect();
            (
                r.engagement.clone(),
                r.title.clone(),
                format!(
                    "{}{}",
                    r.indicator,
                    r.site
                        .as_ref()
                        .map(|s| format!(" (site {s})"))
                        .unwrap_or_default()
                ),
                cells,
            )
        })
        .collect();
    let counts = Verdict::ALL
        .iter()
        .map(|v| {
            (
                v.label(),
                s.tally.counts[v.as_str()].as_u64().unwrap_or_default(),
            )
        })
        .collect();
    let ej = crate::services::contract(&state, &cu, id)
        .await?
        .ej
        .to_string();
    render(&ScorecardPage {
        layout: Layout::new(&state, &session, &cu, "Bilan du contrat", "/contrats").await?,
        id,
        ej,
        title: s.title.clone(),
        years: s.years.clone(),
        rows,
        rate: rate_text(&s.tally),
        by_year: s.by_year.iter().map(|(y, t)| (*y, rate_text(t))).collect(),
        counts,
    })
}
