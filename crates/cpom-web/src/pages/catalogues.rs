//! Catalogue (référentiel) pages: the list of the catalogues one may see, one catalogue as a
//! tree (orientations, objectives, model actions and their fiches, or the diagnostic
//! questions) with a search across its fiches, and one fiche as an establishment sees it.

use super::extract::{Path, Query};
use askama::Template;
use axum::extract::State;
use axum::response::Response;
use cpom_domain::catalogue::number::format_number;
use cpom_domain::catalogue::{Catalogue, CatalogueState, Indicator, TargetBand, TargetYear};
use cpom_domain::search::{query_words, search_key};
use cpom_store::repo::catalogues::CatalogueVersion;
use serde::Deserialize;
use tower_sessions::Session;

use super::catalogue_edit::anchor;
use super::render;
use crate::AppState;
use crate::auth::PageUser;
use crate::error::PageError;
use crate::services::{self, paging};
use crate::view::{Layout, date_fr};

/// One catalogue version in the list.
pub struct CatalogueRow {
    slug: String,
    version: i32,
    title: String,
    region: String,
    generation: String,
    period: String,
    kind: &'static str,
    state: &'static str,
    state_class: &'static str,
    contents: String,
    updated: String,
}

fn state_badge(s: CatalogueState) -> (&'static str, &'static str) {
    match s {
        CatalogueState::Draft => ("brouillon", "fr-badge--new"),
        CatalogueState::Published => ("publié", "fr-badge--success"),
        CatalogueState::Archived => ("archivé", ""),
    }
}

fn contents(v: &CatalogueVersion) -> String {
    match v.kind {
        cpom_domain::catalogue::CatalogueKind::Engagements => format!(
            "{} objectif(s), {} action(s) type, {} fiche(s)",
            v.objectives, v.actions, v.indicators
        ),
        cpom_domain::catalogue::CatalogueKind::Diagnostic => {
            format!("{} objectif(s), {} question(s)", v.objectives, v.questions)
        }
    }
}

fn kind_label(k: cpom_domain::catalogue::CatalogueKind) -> &'static str {
    match k {
        cpom_domain::catalogue::CatalogueKind::Engagements => "engagements",
        cpom_domain::catalogue::CatalogueKind::Diagnostic => "diagnostic",
    }
}

/// The list of catalogues.
#[derive(Template)]
#[template(path = "catalogues/list.html")]
pub struct CatalogueListPage {
    layout: Layout,
    can_import: bool,
    rows: Vec<CatalogueRow>,
    total: u64,
    page: u64,
    pages: u64,
    prev_href: String,
    next_href: String,
}

/// Paging of the list.
#[derive(Debug, Deserialize)]
pub struct ListQuery {
    page: Option<u64>,
}

/// GET `/referentiels`.
pub async fn list_catalogues(
    State(state): State<AppState>,
    session: Session,
    PageUser(cu): PageUser,
    Query(q): Query<ListQuery>,
) -> Result<Response, PageError> {
    let (page, per_page) = paging(q.page, None);
    let p = services::list_catalogues(&state, &cu, page, per_page).await?;
    let pages = p.page_count();
    render(&CatalogueListPage {
        layout: Layout::new(&state, &session, &cu, "Référentiels", "/referentiels").await?,
        can_import: cu.authorize(&cpom_domain::Action::ImportCatalogues).is_ok(),
        rows: p
            .items
            .iter()
            .map(|v| {
                let (state, state_class) = state_badge(v.state);
                CatalogueRow {
                    slug: v.slug.clone(),
                    version: v.version,
                    title: v.title.clone(),
                    region: v.region.name().to_owned(),
                    generation: v.generation.clone(),
                    period: format!("{}–{}", v.start_year, v.end_year),
                    kind: kind_label(v.kind),
                    state,
                    state_class,
                    contents: contents(v),
                    updated: date_fr(v.updated_at),
                }
            })
            .collect(),
        total: p.total,
        page: p.page,
        pages,
        prev_href: if p.page > 1 {
            format!("/referentiels?page={}", p.page - 1)
        } else {
            String::new()
        },
        next_href: if p.page < pages {
            format!("/referentiels?page={}", p.page + 1)
        } else {
            String::new()
        },
    })
}

/// A fiche in the tree.
pub struct FicheLink {
    code: String,
    anchor: String,
    title: String,
    kind: &'static str,
    targets: usize,
    to_confirm: usize,
}

/// A model action in the tree.
pub struct ActionNode {
    code: String,
    anchor: String,
    title: String,
    mandatory: bool,
    title_locked: bool,
    applies_to: String,
    applies_if: String,
    description: String,
    fiches: Vec<FicheLink>,
}

/// An objective in the tree.
pub struct ObjectiveNode {
    code: String,
    anchor: String,
    title: String,
    description: String,
    actions: Vec<ActionNode>,
    questions: Vec<QuestionNode>,
}

/// A diagnostic question in the tree.
pub struct QuestionNode {
    code: String,
    anchor: String,
    text: String,
}

/// An orientation (or theme) in the tree.
pub struct OrientationNode {
    code: String,
    anchor: String,
    title: String,
    description: String,
    objectives: Vec<ObjectiveNode>,
}

/// A version in the version list.
pub struct VersionLink {
    version: i32,
    state: &'static str,
    current: bool,
}

/// One catalogue.
#[derive(Template)]
#[template(path = "catalogues/show.html")]
pub struct CataloguePage {
    layout: Layout,
    can_manage: bool,
    editing: bool,
    other_draft: i32,
    draft: bool,
    is_published: bool,
    row_version: i64,
    slug: String,
    version: i32,
    title: String,
    region: String,
    generation: String,
    period: String,
    kind: &'static str,
    diagnostic: bool,
    state: &'static str,
    state_class: &'static str,
    published: String,
    source: String,
    notes: String,
    partial: String,
    contents: String,
    versions: Vec<VersionLink>,
    q: String,
    matches: Vec<(FicheLink, String)>,
    tree: Vec<OrientationNode>,
}

/// Which version, and a search across the fiches.
#[derive(Debug, Deserialize)]
pub struct ShowQuery {
    version: Option<i32>,
    q: Option<String>,
}

fn fiche_link(i: &Indicator) -> FicheLink {
    FicheLink {
        code: i.code.clone(),
        anchor: anchor(&i.code),
        title: i.title.clone(),
        kind: i.kind.label(),
        targets: i.targets.len(),
        to_confirm: i.targets.iter().filter(|t| t.to_confirm).count(),
    }
}

/// The fiches whose code, title, definition or strategic objective hold every word of the
/// query (accents and case ignored), with the action they belong to.
fn search_fiches(c: &Catalogue, q: &str) -> Vec<(FicheLink, String)> {
    let words = query_words(q);
    if words.is_empty() {
        return vec![];
    }
    c.indicators
        .iter()
        .filter(|i| {
            let text = search_key(&format!(
                "{} {} {} {} {}",
                i.code,
                i.title,
                i.definition.as_deref().unwrap_or_default(),
                i.objective_text.as_deref().unwrap_or_default(),
                i.action
            ));
            words.iter().all(|w| text.contains(w.as_str()))
        })
        .map(|i| (fiche_link(i), i.action.clone()))
        .collect()
}

fn tree(c: &Catalogue) -> Vec<OrientationNode> {
    c.orientations
        .iter()
        .map(|o| OrientationNode {
            code: o.code.clone(),
            anchor: anchor(&o.code),
            title: o.title.clone(),
            description: o.description.clone().unwrap_or_default(),
            objectives: c
                .objectives
                .iter()
                .filter(|ob| ob.orientation == o.code)
                .map(|ob| ObjectiveNode {
                    code: ob.code.clone(),
                    anchor: anchor(&ob.code),
                    title: ob.title.clone(),
                    description: ob.description.clone().unwrap_or_default(),
                    actions: c
                        .actions_of(&ob.code)
                        .map(|a| ActionNode {
                            code: a.code.clone(),
                            anchor: anchor(&a.code),
                            title: a.title.clone(),
                            mandatory: a.mandatory,
                            title_locked: a.title_locked,
                            applies_to: a.applies_to.clone().unwrap_or_default(),
                            applies_if: a
                                .applies_if
                                .as_ref()
                                .map(ToString::to_string)
                                .unwrap_or_default(),
                            description: a.description.clone().unwrap_or_default(),
                            fiches: c.indicators_of(&a.code).map(fiche_link).collect(),
                        })
                        .collect(),
                    questions: c
                        .questions
                        .iter()
                        .filter(|q| q.objective == ob.code)
                        .map(|q| QuestionNode {
                            code: q.code.clone(),
                            anchor: anchor(&q.code),
                            text: q.text.clone(),
                        })
                        .collect(),
                })
                .collect(),
        })
        .collect()
}

/// GET `/referentiels/{slug}`.
pub async fn show_catalogue(
    State(state): State<AppState>,
    session: Session,
    PageUser(cu): PageUser,
    Path(slug): Path<String>,
    Query(q): Query<ShowQuery>,
) -> Result<Response, PageError> {
    let (meta, c, versions) = services::catalogue(&state, &cu, &slug, q.version).await?;
    let (state_label, state_class) = state_badge(meta.state);
    let query = q.q.unwrap_or_default();
    let can_manage = cu
        .authorize(&cpom_domain::Action::ManageCatalogue(meta.region.clone()))
        .is_ok();
    render(&CataloguePage {
        layout: Layout::new(&state, &session, &cu, &meta.title, "/referentiels").await?,
        can_manage,
        editing: can_manage && meta.state == CatalogueState::Draft,
        other_draft: versions
            .iter()
            .find(|v| v.state == CatalogueState::Draft && v.version != meta.version)
            .map_or(0, |v| v.version),
        draft: meta.state == CatalogueState::Draft,
        is_published: meta.state == CatalogueState::Published,
        row_version: meta.row_version,
        slug: meta.slug.clone(),
        version: meta.version,
        title: meta.title.clone(),
        region: meta.region.name().to_owned(),
        generation: meta.generation.clone(),
        period: format!("{}–{}", meta.start_year, meta.end_year),
        kind: kind_label(meta.kind),
        diagnostic: meta.kind == cpom_domain::catalogue::CatalogueKind::Diagnostic,
        state: state_label,
        state_class,
        published: meta.published_at.map(date_fr).unwrap_or_default(),
        source: c.source.clone().unwrap_or_default(),
        notes: c.notes.clone().unwrap_or_default(),
        partial: c.partial.map_or_else(
            || "non : une cible chiffrée est atteinte ou non atteinte".to_owned(),
            |p| {
                format!(
                    "à partir de {} % du résultat attendu",
                    format_number(p.percent)
                )
            },
        ),
        contents: contents(&meta),
        versions: versions
            .iter()
            .map(|v| VersionLink {
                version: v.version,
                state: state_badge(v.state).0,
                current: v.version == meta.version,
            })
            .collect(),
        matches: search_fiches(&c, &query),
        q: query,
        tree: tree(&c),
    })
}

/// One line of the target table: the band and its cells by year.
pub struct TargetLine {
    band: String,
    finess: String,
    cells: Vec<TargetCell>,
}

/// One cell of the target table.
pub struct TargetCell {
    text: String,
    rule: String,
    to_confirm: bool,
}

/// One fiche, as an establishment sees it.
#[derive(Template)]
#[template(path = "catalogues/fiche.html")]
pub struct FichePage {
    layout: Layout,
    slug: String,
    version: i32,
    catalogue_title: String,
    objective: String,
    action_code: String,
    action_title: String,
    action_applies_to: String,
    code: String,
    title: String,
    fields: Vec<(&'static str, String)>,
    years: Vec<String>,
    lines: Vec<TargetLine>,
    editing: bool,
    row_version: i64,
    bands: Vec<crate::view::Choice>,
    preview: String,
    preview_cells: Vec<TargetCell>,
}

/// Which version of the catalogue, and the band a fiche is previewed for.
#[derive(Debug, Deserialize)]
pub struct FicheQuery {
    version: Option<i32>,
    tranche: Option<String>,
}

/// Which version of the catalogue.
#[derive(Debug, Deserialize)]
pub struct VersionQuery {
    version: Option<i32>,
}

fn band_order(b: &TargetBand) -> (u8, String) {
    match b {
        TargetBand::All => (0, String::new()),
        TargetBand::Lt100 => (1, String::new()),
        TargetBand::From100To499 => (2, String::new()),
        TargetBand::Ge500 => (3, String::new()),
        TargetBand::Named(n) => (4, n.clone()),
    }
}

/// GET `/referentiels/{slug}/fiches/{fiche}`.
pub async fn show_fiche(
    State(state): State<AppState>,
    session: Session,
    PageUser(cu): PageUser,
    Path((slug, fiche)): Path<(String, String)>,
    Query(q): Query<FicheQuery>,
) -> Result<Response, PageError> {
    let (meta, c, _) = services::catalogue(&state, &cu, &slug, q.version).await?;
    let i = c
        .indicators
        .iter()
        .find(|i| i.code == fiche)
        .ok_or(crate::error::AppError::NotFound)?;
    let action = c.actions.iter().find(|a| a.code == i.action);
    let objective = action
        .and_then(|a| c.objectives.iter().find(|o| o.code == a.objective))
        .map(|o| format!("{} — {}", o.code, o.title))
        .unwrap_or_default();
    let o = |v: &Option<String>| v.clone().unwrap_or_default();
    let fields: Vec<(&'static str, String)> = vec![
        ("Objectif stratégique", o(&i.objective_text)),
        ("Contexte", o(&i.context)),
        ("Définition", o(&i.definition)),
        ("Type de valeur", i.kind.label().to_owned()),
        ("Unité", o(&i.unit)),
        ("Numérateur", o(&i.numerator)),
        ("Dénominateur", o(&i.denominator)),
        ("Formule", o(&i.formula)),
        (
            "Source des données",
            match (i.source, &i.source_detail) {
                (Some(s), Some(d)) => format!("{} ({d})", s.label()),
                (Some(s), None) => s.label().to_owned(),
                (None, Some(d)) => d.clone(),
                (None, None) => String::new(),
            },
        ),
        (
            "Fréquence de collecte",
            i.frequency
                .map(|f| f.label().to_owned())
                .unwrap_or_default(),
        ),
        ("Période de mesure", o(&i.measure_period)),
        ("Période de référence", o(&i.reference_period)),
        ("Partenaires", o(&i.partners)),
        ("Pilotage et suivi", o(&i.steering)),
        ("Accompagnement", o(&i.support)),
        ("Modalités de suivi et d'évaluation", o(&i.follow_up)),
        ("Justificatifs attendus", o(&i.evidence)),
        ("Consignes pour le commentaire", o(&i.comment_help)),
    ]
    .into_iter()
    .filter(|(_, v)| !v.is_empty())
    .collect();
    let mut years: Vec<TargetYear> = (meta.start_year..=meta.end_year)
        .map(TargetYear::Year)
        .collect();
    if i.targets.iter().any(|t| t.year == TargetYear::Total) {
        years.push(TargetYear::Total);
    }
    let mut bands: Vec<&TargetBand> = Vec::new();
    for t in &i.targets {
        if !bands.contains(&&t.band) {
            bands.push(&t.band);
        }
    }
    bands.sort_by_key(|b| band_order(b));
    let unit = i.unit.as_deref().unwrap_or_default();
    let cell = |t: Option<&cpom_domain::catalogue::Target>| match t {
        Some(t) => TargetCell {
            text: t.text.clone(),
            rule: t.rule.describe(unit),
            to_confirm: t.to_confirm,
        },
        None => TargetCell {
            text: String::new(),
            rule: String::new(),
            to_confirm: false,
        },
    };
    // The preview: what an establishment of the band chosen will see, year by year.
    let chosen = q
        .tranche
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .and_then(|t| TargetBand::parse(t).ok());
    let mut choices: Vec<TargetBand> = vec![
        TargetBand::Lt100,
        TargetBand::From100To499,
        TargetBand::Ge500,
    ];
    for b in &bands {
        if matches!(b, TargetBand::Named(_)) {
            choices.push((*b).clone());
        }
    }
    let preview_cells = chosen.as_ref().map_or_else(Vec::new, |band| {
        years
            .iter()
            .map(|y| {
                cell(cpom_domain::catalogue::edit::target_for_band(
                    &i.targets, band, *y,
                ))
            })
            .collect()
    });
    let current = chosen
        .as_ref()
        .map(|b| b.as_str().to_owned())
        .unwrap_or_default();
    let band_choices = choices
        .iter()
        .map(|b| crate::view::Choice::new(b.as_str(), b.label(), &current))
        .collect();
    let lines = bands
        .into_iter()
        .map(|b| {
            let of_band: Vec<_> = i.targets.iter().filter(|t| &t.band == b).collect();
            TargetLine {
                band: b.label(),
                finess: of_band
                    .iter()
                    .find_map(|t| t.finess.as_ref().map(ToString::to_string))
                    .unwrap_or_default(),
                cells: years
                    .iter()
                    .map(|y| cell(of_band.iter().find(|t| t.year == *y).copied()))
                    .collect(),
            }
        })
        .collect();
    render(&FichePage {
        layout: Layout::new(&state, &session, &cu, &i.title, "/referentiels").await?,
        slug: meta.slug.clone(),
        version: meta.version,
        catalogue_title: meta.title.clone(),
        objective,
        action_code: i.action.clone(),
        action_title: action.map(|a| a.title.clone()).unwrap_or_default(),
        action_applies_to: action
            .and_then(|a| a.applies_to.clone())
            .unwrap_or_default(),
        code: i.code.clone(),
        title: i.title.clone(),
        fields,
        years: years
            .iter()
            .map(|y| match y {
                TargetYear::Year(y) => y.to_string(),
                TargetYear::Total => "Période".to_owned(),
            })
            .collect(),
        lines,
        editing: meta.state == CatalogueState::Draft
            && cu
                .authorize(&cpom_domain::Action::ManageCatalogue(meta.region.clone()))
                .is_ok(),
        row_version: meta.row_version,
        bands: band_choices,
        preview: chosen.map(|b| b.label()).unwrap_or_default(),
        preview_cells,
    })
}

/// One model action with its decision.
pub struct ApplicabilityRow {
    code: String,
    title: String,
    mandatory: bool,
    rule: String,
    applies: bool,
    reason: String,
}

/// Which model actions apply to a legal entity.
#[derive(Template)]
#[template(path = "catalogues/applicability.html")]
pub struct ApplicabilityPage {
    layout: Layout,
    slug: String,
    version: i32,
    catalogue_title: String,
    ej: String,
    entity: String,
    as_of: String,
    error: String,
    applying: usize,
    rows: Vec<ApplicabilityRow>,
}

/// The legal entity to evaluate on.
#[derive(Debug, Deserialize)]
pub struct ApplicabilityQuery {
    version: Option<i32>,
    ej: Option<String>,
}

/// GET `/referentiels/{slug}/applicabilite?ej=…`: the catalogue's model actions evaluated
/// on one legal entity, with the reason of each decision.
pub async fn show_applicability(
    State(state): State<AppState>,
    session: Session,
    PageUser(cu): PageUser,
    Path(slug): Path<String>,
    Query(q): Query<ApplicabilityQuery>,
) -> Result<Response, PageError> {
    let (meta, _, _) = services::catalogue(&state, &cu, &slug, q.version).await?;
    let ej =
        q.ej.as_deref()
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .map(str::to_owned)
            .or_else(|| cu.user.ej.as_ref().map(ToString::to_string))
            .unwrap_or_default();
    let today = services::today();
    let mut page = ApplicabilityPage {
        layout: Layout::new(
            &state,
            &session,
            &cu,
            "Actions applicables",
            "/referentiels",
        )
        .await?,
        slug: meta.slug.clone(),
        version: meta.version,
        catalogue_title: meta.title.clone(),
        ej: ej.clone(),
        entity: String::new(),
        as_of: cpom_domain::territory::date_fr(today),
        error: String::new(),
        applying: 0,
        rows: vec![],
    };
    if !ej.is_empty() {
        match services::applicability(&state, &cu, &slug, Some(meta.version), &ej, today).await {
            Ok(r) => {
                page.entity = r.entity.name.clone();
                page.applying = r.actions.iter().filter(|(_, d)| d.applies).count();
                page.rows = r
                    .actions
                    .into_iter()
                    .map(|(a, d)| ApplicabilityRow {
                        code: a.code,
                        title: a.title,
                        mandatory: a.mandatory,
                        rule: a.applies_if.map(|r| r.to_string()).unwrap_or_default(),
                        applies: d.applies,
                        reason: d.reason,
                    })
                    .collect();
            }
            Err(crate::error::AppError::NotFound) => {
                page.error = format!(
                    "Aucune entité juridique de numéro FINESS « {ej} » dans votre périmètre."
                );
            }
            Err(e) => return Err(e.into()),
        }
    }
    render(&page)
}

/// A file to download.
fn attachment(content_type: &'static str, name: String, body: Vec<u8>) -> Response {
    super::send_file(crate::documents::Download {
        file_name: name,
        mime: content_type,
        bytes: body,
    })
}

/// GET `/referentiels/{slug}/telecharger.toml`: the version in the text format.
pub async fn download_toml(
    State(state): State<AppState>,
    PageUser(cu): PageUser,
    Path(slug): Path<String>,
    Query(q): Query<VersionQuery>,
) -> Result<Response, PageError> {
    let (meta, c, _) = services::catalogue(&state, &cu, &slug, q.version).await?;
    Ok(attachment(
        "application/toml; charset=utf-8",
        format!("{}-v{}.toml", meta.slug, meta.version),
        cpom_import::catalogue::write_toml(&c).into_bytes(),
    ))
}

/// GET `/referentiels/{slug}/telecharger.xlsx`: the version as an XLSX workbook.
pub async fn download_xlsx(
    State(state): State<AppState>,
    PageUser(cu): PageUser,
    Path(slug): Path<String>,
    Query(q): Query<VersionQuery>,
) -> Result<Response, PageError> {
    let (meta, c, _) = services::catalogue(&state, &cu, &slug, q.version).await?;
    let bytes = cpom_import::catalogue_xlsx::write_xlsx(&c)
        .map_err(|e| crate::error::AppError::Internal(e.to_string()))?;
    Ok(attachment(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        format!("{}-v{}.xlsx", meta.slug, meta.version),
        bytes,
    ))
}

/// The import form.
#[derive(Template)]
#[template(path = "catalogues/import.html")]
pub struct ImportCataloguePage {
    layout: Layout,
    errors: Vec<String>,
}

/// GET `/referentiels/importer`.
pub async fn import_form(
    State(state): State<AppState>,
    session: Session,
    PageUser(cu): PageUser,
) -> Result<Response, PageError> {
    cu.authorize(&cpom_domain::Action::ImportCatalogues)?;
    render(&ImportCataloguePage {
        layout: Layout::new(
            &state,
            &session,
            &cu,
            "Importer un référentiel",
            "/referentiels",
        )
        .await?,
        errors: vec![],
    })
}

/// Whether to publish at once (the second button of the form).
#[derive(Debug, Deserialize)]
pub struct ImportQuery {
    publier: Option<String>,
}

/// POST `/referentiels/importer` (multipart `file`): imports the file as a draft, or
/// publishes it with `?publier=oui`, then shows the catalogue; the file's problems are
/// listed with their places otherwise.
pub async fn import_upload(
    State(state): State<AppState>,
    session: Session,
    PageUser(cu): PageUser,
    Query(q): Query<ImportQuery>,
    multipart: axum::extract::Multipart,
) -> Result<Response, PageError> {
    use axum::response::{IntoResponse, Redirect};
    cu.authorize(&cpom_domain::Action::ImportCatalogues)?;
    let dir = state.store.files_dir().join("imports");
    let publish = q.publier.as_deref() == Some("oui");
    let outcome = async {
        let (upload, bytes) =
            crate::upload::receive_small(multipart, &dir, services::MAX_CATALOGUE_FILE).await?;
        services::import_catalogue_file(&state, &cu, &bytes, &upload.file_name, publish).await
    }
    .await;
    match outcome {
        Ok((_, v)) => Ok(
            Redirect::to(&format!("/referentiels/{}?version={}", v.slug, v.version))
                .into_response(),
        ),
        Err(crate::error::AppError::Validation(fields)) => {
            let page = ImportCataloguePage {
                layout: Layout::new(
                    &state,
                    &session,
                    &cu,
                    "Importer un référentiel",
                    "/referentiels",
                )
                .await?,
                errors: fields.into_iter().map(|f| f.message).collect(),
            };
            super::render_status(&page, axum::http::StatusCode::UNPROCESSABLE_ENTITY)
        }
        Err(e) => Err(e.into()),
    }
}

/// POST `/referentiels/{slug}/publier`.
pub async fn publish_version(
    State(state): State<AppState>,
    PageUser(cu): PageUser,
    Path(slug): Path<String>,
    super::extract::Form(input): super::extract::Form<services::VersionInput>,
) -> Result<Response, PageError> {
    change_state(&state, &cu, &slug, &input, false).await
}

/// POST `/referentiels/{slug}/archiver`.
pub async fn archive_version(
    State(state): State<AppState>,
    PageUser(cu): PageUser,
    Path(slug): Path<String>,
    super::extract::Form(input): super::extract::Form<services::VersionInput>,
) -> Result<Response, PageError> {
    change_state(&state, &cu, &slug, &input, true).await
}

async fn change_state(
    state: &AppState,
    cu: &crate::auth::CurrentUser,
    slug: &str,
    input: &services::VersionInput,
    archive: bool,
) -> Result<Response, PageError> {
    use axum::response::{IntoResponse, Redirect};
    let v = services::change_catalogue_state(state, cu, slug, input, archive).await?;
    Ok(Redirect::to(&format!("/referentiels/{}?version={}", v.slug, v.version)).into_response())
}
