//! Registry pages: search (as you type, with htmx), legal entity, site, band override,
//! and the import screens (upload, preview, apply, history).

use super::extract::Form;
use super::extract::{Path, Query};
use askama::Template;
use axum::extract::{Multipart, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use cpom_domain::policy::{Listing, Scope, list_filter};
use cpom_domain::region::REGIONS;
use cpom_domain::registry::{
    BandSettings, DEPARTMENTS, LegalStatus, SizeBand, region_of_department,
};
use cpom_domain::{Action, ScopeFilter};
use cpom_store::LegalEntity;
use cpom_store::repo::registry::{ImportKind, ImportReport, LegalEntityDetail, RegistryFilter};
use serde::{Deserialize, Serialize};
use tower_sessions::Session;

use super::territories::{AuthorisationRow, TerritoryView, authorisation_rows, territory_view};
use super::{render, render_status};
use crate::AppState;
use crate::auth::{CurrentUser, PageUser};
use crate::error::{AppError, PageError};
use crate::services::{self, paging};
use crate::view::{Choice, Layout, count_fr, datetime_fr};
use cpom_domain::territory::Label;

/// Query string of the registry search (also used by the API).
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RegistryQuery {
    /// Part of the name, FINESS number or city.
    #[serde(default)]
    pub q: Option<String>,
    /// Region code (INSEE).
    #[serde(default)]
    pub region: Option<String>,
    /// Department code (`34`, `2A`…).
    #[serde(default)]
    pub department: Option<String>,
    /// Legal status: `public`, `private_non_profit`, `espic`, `private_for_profit`.
    #[serde(default)]
    pub status: Option<String>,
    /// Size band in force: `lt100`, `100to499`, `ge500`.
    #[serde(default)]
    pub band: Option<String>,
    /// GHT code: the legal entities members of this GHT today.
    #[serde(default)]
    pub ght: Option<String>,
    /// FINESS category of one of the entity's sites (its label, e.g. « Centre Hospitalier (C.H.) »).
    #[serde(default)]
    pub category: Option<String>,
    /// Page number, from 1.
    #[serde(default)]
    pub page: Option<u64>,
    /// Page size (at most 200).
    #[serde(default)]
    pub per_page: Option<u64>,
}

fn blank(v: &Option<String>) -> Option<String> {
    v.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

impl RegistryQuery {
    /// Validated filter.
    pub fn filter(&self) -> Result<RegistryFilter, AppError> {
        let status = blank(&self.status)
            .map(|s| {
                LegalStatus::parse(&s).ok_or_else(|| {
                    AppError::field(
                        "status",
                        format!("« {s} » n'est pas un statut juridique connu"),
                    )
                })
            })
            .transpose()?;
        let band = blank(&self.band)
            .map(|b| {
                SizeBand::parse(&b).ok_or_else(|| {
                    AppError::field(
                        "band",
                        format!("« {b} » n'est pas une tranche (lt100, 100to499, ge500)"),
                    )
                })
            })
            .transpose()?;
        let query = blank(&self.q);
        if query.as_ref().is_some_and(|q| q.chars().count() > 100) {
            return Err(AppError::field(
                "q",
                "la recherche est limitée à 100 caractères",
            ));
        }
        Ok(RegistryFilter {
            query,
            region: blank(&self.region),
            department: blank(&self.department).map(|d| d.to_uppercase()),
            status,
            band,
            ght: blank(&self.ght).map(|g| (g.to_uppercase(), services::today())),
            category: blank(&self.category),
        })
    }

    fn href(&self, page: u64) -> String {
        let params: Vec<(&str, String)> = [
            ("q", blank(&self.q)),
            ("region", blank(&self.region)),
            ("department", blank(&self.department)),
            ("status", blank(&self.status)),
            ("band", blank(&self.band)),
            ("ght", blank(&self.ght)),
            ("category", blank(&self.category)),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.map(|v| (k, v)))
        .chain(std::iter::once(("page", page.to_string())))
        .collect();
        format!(
            "/registre?{}",
            serde_urlencoded::to_string(params).unwrap_or_default()
        )
    }
}

/// One line of the search results.
pub struct EntityRow {
    finess: String,
    name: String,
    department: String,
    status: String,
    beds: String,
    band: String,
}

fn entity_row(e: &LegalEntity, settings: &BandSettings) -> EntityRow {
    EntityRow {
        finess: e.finess.to_string(),
        name: e.name.clone(),
        department: e.department.clone().unwrap_or_default(),
        status: e.status.map_or("non renseigné", LegalStatus::label).into(),
        beds: e
            .beds
            .map_or_else(|| "—".into(), |b| count_fr(b.max(0) as u64)),
        band: e
            .size_band()
            .map_or_else(|| "non calculée".into(), |b| b.label(settings)),
    }
}

/// Results fragment (the part htmx replaces as the user types).
#[derive(Template)]
#[template(path = "registry/results.html")]
pub struct ResultsFragment {
    rows: Vec<EntityRow>,
    total: String,
    page: u64,
    pages: u64,
    prev_href: String,
    next_href: String,
    error: String,
}

/// The search page.
#[derive(Template)]
#[template(path = "registry/search.html")]
pub struct SearchPage {
    layout: Layout,
    q: String,
    regions: Vec<Choice>,
    departments: Vec<Choice>,
    statuses: Vec<Choice>,
    bands: Vec<Choice>,
    ghts: Vec<Choice>,
    categories: Vec<Choice>,
    show_region: bool,
    can_import: bool,
    results: ResultsFragment,
}

/// GET `/registre`.
pub async fn search(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    PageUser(cu): PageUser,
    Query(query): Query<RegistryQuery>,
) -> Result<Response, PageError> {
    cu.authorize(&Action::ViewRegistry)?;
    let (filter, error) = match query.filter() {
        Ok(f) => (f, String::new()),
        Err(e) => (RegistryFilter::default(), e.message()),
    };
    let (page, per_page) = paging(query.page, None);
    // Band labels follow each region's thresholds.
    let search = services::search_registry(&state, &cu, &filter, page, per_page).await?;
    let (result, settings) = (&search.found, &search.bands);
    let pages = result.page_count();
    let results = ResultsFragment {
        rows: result
            .items
            .iter()
            .map(|e| entity_row(e, &settings[e.region.as_str()]))
            .collect(),
        total: count_fr(result.total),
        page: result.page,
        pages,
        prev_href: if result.page > 1 {
            query.href(result.page - 1)
        } else {
            String::new()
        },
        next_href: if result.page < pages {
            query.href(result.page + 1)
        } else {
            String::new()
        },
        error,
    };
    // htmx asks for the results only.
    if headers.contains_key("hx-request") && !headers.contains_key("hx-boosted") {
        return render(&results);
    }
    let scope = list_filter(&cu.actor(), Listing::Registry);
    let own_region = match &scope {
        ScopeFilter::Region(r) => Some(r.as_str().to_owned()),
        _ => None,
    };
    let current = |v: &Option<String>| blank(v).unwrap_or_default();
    let region_now = current(&query.region);
    let departments = DEPARTMENTS
        .iter()
        .filter(|(_, r)| own_region.as_deref().is_none_or(|o| o == *r))
        .filter(|(_, r)| region_now.is_empty() || region_now == *r)
        .filter(|(d, _)| region_of_department(d).is_some())
        .map(|(d, _)| Choice::new(*d, *d, &current(&query.department).to_uppercase()))
        .collect();
    render(&SearchPage {
        layout: Layout::new(
            &state,
            &session,
            &cu,
            "Registre des établissements",
            "/registre",
        )
        .await?,
        q: current(&query.q),
        show_region: scope == ScopeFilter::All,
        regions: REGIONS
            .iter()
            .map(|r| Choice::new(r.code, r.name, &region_now))
            .collect(),
        departments,
        statuses: [
            LegalStatus::Public,
            LegalStatus::PrivateNonProfit,
            LegalStatus::Espic,
            LegalStatus::PrivateForProfit,
        ]
        .iter()
        .map(|s| Choice::new(s.as_str(), s.label(), &current(&query.status)))
        .collect(),
        bands: [SizeBand::Lt100, SizeBand::From100To499, SizeBand::Ge500]
            .iter()
            .map(|b| {
                Choice::new(
                    b.as_str(),
                    format!("{} lits", b.label(&search.scope_bands)),
                    &current(&query.band),
                )
            })
            .collect(),
        categories: search
            .categories
            .iter()
            .map(|c| Choice::new(c, c, &current(&query.category)))
            .collect(),
        ghts: services::list_ghts(&state, &cu)
            .await?
            .iter()
            .map(|g| Choice::new(&g.code, &g.name, &current(&query.ght).to_uppercase()))
            .collect(),
        can_import: cu.authorize(&Action::ImportRegistry).is_ok(),
        results,
    })
}

/// One site line of the legal entity page.
pub struct SiteRow {
    finess: String,
    name: String,
    category: String,
    city: String,
    beds: String,
    year: String,
}

/// One year of capacity of the legal entity page.
pub struct YearRow {
    year: i32,
    lit_mco: String,
    cap_complet_tot: String,
    lit_ssr: String,
    lit_usld: String,
    pla_mco: String,
    platot_had: String,
    beds: String,
    band: String,
    sites: u32,
}

/// One line of a history.
pub struct HistoryRow {
    at: String,
    actor: String,
    action: String,
    object: String,
}

fn n(v: i64) -> String {
    if v < 0 {
        format!("-{}", count_fr(v.unsigned_abs()))
    } else {
        count_fr(v as u64)
    }
}

/// French label of an audit action of the registry.
fn action_label(action: &str) -> &str {
    match action {
        "legal_entity.import" => "Mise à jour par import",
        "legal_entity.create" => "Création",
        "legal_entity.update" => "Modification",
        "legal_entity.band_override" => "Tranche fixée par l'ARS",
        "site.import" => "Site mis à jour par import",
        "site_capacity.import" => "Capacités mises à jour par import",
        "authorisation.create" => "Autorisation ajoutée par import",
        "authorisation.update" => "Autorisation modifiée par import",
        "entity_label.create" => "Label attribué",
        "entity_label.end" => "Fin d'un label",
        "ght_membership.create" => "Entrée dans un GHT",
        "ght_membership.update" => "Adhésion à un GHT modifiée par import",
        "ght_membership.end" => "Fin d'adhésion à un GHT",
        other => other,
    }
}

/// The legal entity page.
#[derive(Template)]
#[template(path = "registry/entity.html")]
pub struct EntityPage {
    layout: Layout,
    finess: String,
    name: String,
    region: String,
    department: String,
    status: String,
    legal_status_code: String,
    band: String,
    band_explanation: String,
    computed_band: String,
    override_reason: String,
    has_override: bool,
    sites: Vec<SiteRow>,
    years: Vec<YearRow>,
    history: Vec<HistoryRow>,
    can_edit: bool,
    band_choices: Vec<Choice>,
    version: i64,
    error: String,
    territory: TerritoryView,
}

/// What an audit row of the registry is about, in French.
fn history_object(h: &cpom_store::AuditEvent) -> String {
    let after = |key: &str| {
        h.after
            .as_ref()
            .or(h.before.as_ref())
            .and_then(|v| v.get(key).cloned())
    };
    match h.entity_type.as_str() {
        "site" => format!("site {}", h.entity_id),
        "site_capacity" => format!("capacités {}", h.entity_id),
        "authorisation" => {
            let activity = after("activity")
                .and_then(|a| a.get(1).and_then(|l| l.as_str().map(str::to_owned)))
                .unwrap_or_default();
            let site = after("site")
                .and_then(|s| s.as_str().map(str::to_owned))
                .unwrap_or_default();
            format!("{activity}, site {site}")
        }
        "entity_label" => after("label")
            .and_then(|l| l.as_str().and_then(|c| Label::parse(c).ok()))
            .map_or_else(String::new, |l| l.label().to_owned()),
        "ght_membership" => after("ght")
            .and_then(|g| g.as_str().map(|c| format!("GHT {c}")))
            .unwrap_or_default(),
        _ => String::new(),
    }
}

/// How the band of an entity was obtained, in French.
pub fn band_explanation(d: &LegalEntityDetail) -> String {
    let e = &d.entity;
    let s = &d.settings;
    let thresholds = format!("seuils de la région : {} et {} lits", s.lower, s.upper);
    match (e.beds, e.beds_year, e.computed_band) {
        (Some(beds), Some(year), Some(band)) => {
            let counted = d
                .years
                .iter()
                .find(|y| y.year == year)
                .map_or(0, |y| y.sites);
            format!(
                "{} lits en {year} ({}, sommés sur {counted} site(s) selon la SAE {year}) : tranche {} ({thresholds}).",
                n(beds),
                s.formula(),
                band.label(s)
            )
        }
        _ => format!(
            "Aucune capacité SAE n'est connue pour cette entité : la tranche ne peut pas être calculée ({thresholds})."
        ),
    }
}

async fn entity_page(
    state: &AppState,
    session: &Session,
    cu: &CurrentUser,
    d: LegalEntityDetail,
    year: Option<i32>,
) -> Result<EntityPage, AppError> {
    let history = services::legal_entity_history(state, &d.entity, 1, 30).await?;
    let territory = services::entity_territory(state, &d.entity).await?;
    let e = &d.entity;
    let s = &d.settings;
    let can_edit = cu
        .authorize(&Action::EditLegalEntity(Scope {
            region: Some(e.region.clone()),
            ej: Some(e.finess.clone()),
        }))
        .is_ok();
    let current_override = e.band_override.map(SizeBand::as_str).unwrap_or_default();
    Ok(EntityPage {
        layout: Layout::new(state, session, cu, e.name.clone(), "/registre").await?,
        finess: e.finess.to_string(),
        name: e.name.clone(),
        region: e.region.name().into(),
        department: e.department.clone().unwrap_or_default(),
        status: e.status.map_or("non renseigné", LegalStatus::label).into(),
        legal_status_code: e.legal_status_code.clone().unwrap_or_default(),
        band: e
            .size_band()
            .map_or_else(|| "non calculée".into(), |b| format!("{} lits", b.label(s))),
        band_explanation: band_explanation(&d),
        computed_band: e
            .computed_band
            .map_or_else(|| "non calculée".into(), |b| format!("{} lits", b.label(s))),
        override_reason: e.band_override_reason.clone().unwrap_or_default(),
        has_override: e.band_override.is_some(),
        sites: d
            .sites
            .iter()
            .map(|site| SiteRow {
                finess: site.finess.to_string(),
                name: site.name.clone(),
                category: site.category_label.clone().unwrap_or_default(),
                city: [site.postal_code.clone(), site.city.clone()]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(" "),
                beds: site
                    .capacity
                    .map_or_else(|| "—".into(), |(_, c)| n(s.beds(&c))),
                year: site
                    .capacity
                    .map_or_else(String::new, |(y, _)| y.to_string()),
            })
            .collect(),
        years: d
            .years
            .iter()
            .map(|y| YearRow {
                year: y.year,
                lit_mco: n(y.capacity.lit_mco),
                cap_complet_tot: n(y.capacity.cap_complet_tot),
                lit_ssr: n(y.capacity.lit_ssr),
                lit_usld: n(y.capacity.lit_usld),
                pla_mco: n(y.capacity.pla_mco),
                platot_had: n(y.capacity.platot_had),
                beds: n(y.beds),
                band: y.band.label(s),
                sites: y.sites,
            })
            .collect(),
        history: history
            .items
            .iter()
            .map(|h| HistoryRow {
                at: datetime_fr(h.at),
                actor: h.actor_label.clone(),
                action: action_label(&h.action).into(),
                object: history_object(h),
            })
            .collect(),
        can_edit,
        band_choices: [SizeBand::Lt100, SizeBand::From100To499, SizeBand::Ge500]
            .iter()
            .map(|b| Choice::new(b.as_str(), format!("{} lits", b.label(s)), current_override))
            .collect(),
        version: e.version,
        error: String::new(),
        territory: territory_view(&territory, year),
    })
}

/// Query of the legal entity page.
#[derive(Debug, Default, Deserialize)]
pub struct EntityQuery {
    /// Year whose structure is shown (GHT, labels, authorisations in force on its last day).
    #[serde(default)]
    annee: Option<String>,
}

/// GET `/registre/ej/{finess}`.
pub async fn show_entity(
    State(state): State<AppState>,
    session: Session,
    PageUser(cu): PageUser,
    Path(finess): Path<String>,
    Query(q): Query<EntityQuery>,
) -> Result<Response, PageError> {
    let d = services::legal_entity(&state, &cu, &finess).await?;
    let year = blank(&q.annee)
        .map(|y| {
            y.parse::<i32>()
                .ok()
                .filter(|y| (1900..=2100).contains(y))
                .ok_or_else(|| {
                    AppError::field("annee", format!("année : « {y} » n'est pas une année"))
                })
        })
        .transpose()?;
    render(&entity_page(&state, &session, &cu, d, year).await?)
}

/// Shows the legal entity page again with the error of one of its forms (422, 409).
pub(crate) async fn entity_error(
    state: &AppState,
    session: &Session,
    cu: &CurrentUser,
    finess: &str,
    e: AppError,
) -> Result<Response, PageError> {
    let d = services::legal_entity(state, cu, finess).await?;
    let mut p = entity_page(state, session, cu, d, None).await?;
    p.error = e.message();
    render_status(&p, e.status())
}

/// Form of the band override.
#[derive(Deserialize)]
pub struct BandForm {
    #[serde(default)]
    band: String,
    #[serde(default)]
    reason: String,
    version: i64,
}

/// POST `/registre/ej/{finess}/tranche`.
pub async fn set_band(
    State(state): State<AppState>,
    session: Session,
    PageUser(cu): PageUser,
    Path(finess): Path<String>,
    Form(form): Form<BandForm>,
) -> Result<Response, PageError> {
    match services::set_band_override(
        &state,
        &cu,
        &finess,
        Some(form.band.as_str()),
        Some(form.reason.as_str()),
        form.version,
    )
    .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/registre/ej/{finess}")).into_response()),
        Err(e @ (AppError::Validation(_) | AppError::Conflict(_))) => {
            entity_error(&state, &session, &cu, &finess, e).await
        }
        Err(e) => Err(e.into()),
    }
}

/// The site page.
#[derive(Template)]
#[template(path = "registry/site.html")]
pub struct SitePage {
    layout: Layout,
    finess: String,
    name: String,
    ej_finess: String,
    ej_name: String,
    category: String,
    category_code: String,
    address: String,
    department: String,
    region: String,
    siret: String,
    years: Vec<YearRow>,
    formula: String,
    today: String,
    authorisations: Vec<AuthorisationRow>,
}

/// GET `/registre/et/{finess}`.
pub async fn show_site(
    State(state): State<AppState>,
    session: Session,
    PageUser(cu): PageUser,
    Path(finess): Path<String>,
) -> Result<Response, PageError> {
    let d = services::site(&state, &cu, &finess).await?;
    let settings = state.store.band_settings(&d.entity.region).await?;
    let authorisations = services::site_authorisations(&state, &d).await?;
    let today = services::today();
    let s = &d.site;
    render(&SitePage {
        layout: Layout::new(&state, &session, &cu, s.name.clone(), "/registre").await?,
        finess: s.finess.to_string(),
        name: s.name.clone(),
        ej_finess: d.entity.finess.to_string(),
        ej_name: d.entity.name.clone(),
        category: s.category_label.clone().unwrap_or_default(),
        category_code: s.category_code.clone().unwrap_or_default(),
        address: [s.postal_code.clone(), s.city.clone()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" "),
        department: s.department.clone(),
        region: cpom_domain::RegionCode::parse(&s.region)
            .map(|r| r.name().to_owned())
            .unwrap_or_else(|_| s.region.clone()),
        siret: s.siret.clone().unwrap_or_default(),
        formula: settings.formula(),
        today: cpom_domain::territory::date_fr(today),
        authorisations: authorisation_rows(&authorisations, today),
        years: d
            .capacities
            .iter()
            .rev()
            .map(|(year, c)| {
                let beds = settings.beds(c);
                YearRow {
                    year: *year,
                    lit_mco: n(c.lit_mco),
                    cap_complet_tot: n(c.cap_complet_tot),
                    lit_ssr: n(c.lit_ssr),
                    lit_usld: n(c.lit_usld),
                    pla_mco: n(c.pla_mco),
                    platot_had: n(c.platot_had),
                    beds: n(beds),
                    band: String::new(),
                    sites: 1,
                }
            })
            .collect(),
    })
}

// ---------------------------------------------------------------------------------------
// Imports.

/// Session key of the import waiting for confirmation.
const PENDING_KEY: &str = "pending_import";

/// An uploaded file previewed and waiting for the administrator's confirmation.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Pending {
    token: String,
    kind: String,
    file_name: String,
    checksum: String,
}

/// One line of the import history.
pub struct RunRow {
    at: String,
    kind: String,
    file_name: String,
    checksum: String,
    actor: String,
    region: String,
    created: String,
    updated: String,
    unchanged: String,
    skipped: String,
}

/// The import page: upload form and history.
#[derive(Template)]
#[template(path = "registry/imports.html")]
pub struct ImportsPage {
    layout: Layout,
    kinds: Vec<Choice>,
    region: String,
    runs: Vec<RunRow>,
    total: String,
    page: u64,
    pages: u64,
    prev_href: String,
    next_href: String,
    error: String,
    report: Option<ReportView>,
    pending_token: String,
}

/// A report as shown after a preview or an application.
pub struct ReportView {
    kind: String,
    file_name: String,
    checksum: String,
    created: String,
    updated: String,
    unchanged: String,
    rejected_count: String,
    skipped_count: String,
    entities_created: String,
    rejected: Vec<(String, String, String)>,
    more_rejected: String,
    skipped: Vec<(String, String)>,
    applied: bool,
}

/// Most rejected lines listed on the page (the API lists them all).
const SHOWN_REJECTIONS: usize = 200;

fn report_view(r: &ImportReport) -> ReportView {
    ReportView {
        kind: r.kind.label().into(),
        file_name: r.file_name.clone(),
        checksum: r.checksum.clone(),
        created: count_fr(r.created),
        updated: count_fr(r.updated),
        unchanged: count_fr(r.unchanged),
        rejected_count: count_fr(r.rejected.len() as u64),
        skipped_count: count_fr(r.skipped.len() as u64),
        entities_created: count_fr(r.entities_created),
        rejected: r
            .rejected
            .iter()
            .take(SHOWN_REJECTIONS)
            .map(|j| {
                (
                    j.line.to_string(),
                    j.column.clone().unwrap_or_default(),
                    j.reason.clone(),
                )
            })
            .collect(),
        more_rejected: if r.rejected.len() > SHOWN_REJECTIONS {
            count_fr((r.rejected.len() - SHOWN_REJECTIONS) as u64)
        } else {
            String::new()
        },
        skipped: r
            .skipped
            .iter()
            .take(10)
            .map(|j| (j.line.to_string(), j.reason.clone()))
            .collect(),
        applied: r.applied,
    }
}

fn kind_choices(current: &str) -> Vec<Choice> {
    ImportKind::ALL
        .iter()
        .map(|k| Choice::new(k.as_str(), k.label(), current))
        .collect()
}

async fn imports_page(
    state: &AppState,
    session: &Session,
    cu: &CurrentUser,
    page: u64,
    kind: &str,
) -> Result<ImportsPage, AppError> {
    let (page, per_page) = paging(Some(page), Some(20));
    let runs = services::list_imports(state, cu, page, per_page).await?;
    let pages = runs.page_count();
    let href = |p: u64| format!("/registre/imports?page={p}");
    Ok(ImportsPage {
        layout: Layout::new(state, session, cu, "Imports du registre", "/registre").await?,
        kinds: kind_choices(kind),
        region: cu
            .user
            .region
            .as_ref()
            .filter(|_| cu.user.role == cpom_domain::Role::ArsAdmin)
            .map(|r| r.name().to_owned())
            .unwrap_or_default(),
        runs: runs
            .items
            .iter()
            .map(|r| RunRow {
                at: datetime_fr(r.at),
                kind: ImportKind::parse(&r.kind)
                    .map_or_else(|| r.kind.clone(), |k| k.label().into()),
                file_name: r.file_name.clone(),
                checksum: r.checksum.chars().take(12).collect(),
                actor: r.actor_label.clone(),
                region: r
                    .region
                    .as_deref()
                    .and_then(|c| cpom_domain::RegionCode::parse(c).ok())
                    .map_or_else(|| "toutes".into(), |c| c.name().to_owned()),
                created: n(r.created),
                updated: n(r.updated),
                unchanged: n(r.unchanged),
                skipped: n(r.skipped),
            })
            .collect(),
        total: count_fr(runs.total),
        page: runs.page,
        pages,
        prev_href: if runs.page > 1 {
            href(runs.page - 1)
        } else {
            String::new()
        },
        next_href: if runs.page < pages {
            href(runs.page + 1)
        } else {
            String::new()
        },
        error: String::new(),
        report: None,
        pending_token: String::new(),
    })
}

/// Query of the import page.
#[derive(Deserialize)]
pub struct PageQuery {
    #[serde(default)]
    page: Option<u64>,
}

/// GET `/registre/imports`.
pub async fn show_imports(
    State(state): State<AppState>,
    session: Session,
    PageUser(cu): PageUser,
    Query(q): Query<PageQuery>,
) -> Result<Response, PageError> {
    render(&imports_page(&state, &session, &cu, q.page.unwrap_or(1), "").await?)
}

/// Directory of uploaded files waiting for confirmation.
fn pending_dir(state: &AppState) -> std::path::PathBuf {
    state.store.files_dir().join("imports")
}

fn pending_path(state: &AppState, token: &str) -> std::path::PathBuf {
    pending_dir(state).join(format!("{token}.upload"))
}

/// A session that cannot be read or written (shared by the pages that keep a preview).
pub(crate) fn session_error(e: tower_sessions::session::Error) -> AppError {
    AppError::Internal(e.to_string())
}

/// POST `/registre/imports` (multipart: `kind`, `file`): stores the file, previews it, and
/// keeps it for confirmation.
pub async fn upload_import(
    State(state): State<AppState>,
    session: Session,
    PageUser(cu): PageUser,
    multipart: Multipart,
) -> Result<Response, PageError> {
    cu.authorize(&Action::ImportRegistry)?;
    let token = hex::encode(rand::random::<[u8; 16]>());
    let path = pending_path(&state, &token);
    let upload = crate::upload::receive(multipart, &pending_dir(&state), &path).await;
    let (kind_raw, file_name) = match upload {
        Ok(u) => (u.kind, u.file_name),
        Err(e) => {
            let _ = tokio::fs::remove_file(&path).await;
            let mut p = imports_page(&state, &session, &cu, 1, "").await?;
            p.error = e.message();
            return render_status(&p, e.status());
        }
    };
    let outcome = async {
        let kind = services::import_kind(&kind_raw)?;
        services::import_registry(&state, &cu, kind, &path, &file_name, false, None).await
    }
    .await;
    let mut p = imports_page(&state, &session, &cu, 1, &kind_raw).await?;
    match outcome {
        Ok(report) => {
            // Replace any earlier pending upload of this session.
            if let Some(old) = session
                .remove::<Pending>(PENDING_KEY)
                .await
                .map_err(session_error)?
            {
                let _ = tokio::fs::remove_file(pending_path(&state, &old.token)).await;
            }
            if report.rejected.is_empty() {
                session
                    .insert(
                        PENDING_KEY,
                        Pending {
                            token: token.clone(),
                            kind: kind_raw,
                            file_name,
                            checksum: report.checksum.clone(),
                        },
                    )
                    .await
                    .map_err(session_error)?;
                p.pending_token = token;
            } else {
                let _ = tokio::fs::remove_file(&path).await;
            }
            p.report = Some(report_view(&report));
            render(&p)
        }
        Err(e) => {
            let _ = tokio::fs::remove_file(&path).await;
            p.error = e.message();
            render_status(&p, e.status())
        }
    }
}

/// Form confirming a previewed import.
#[derive(Deserialize)]
pub struct ApplyForm {
    #[serde(default)]
    token: String,
}

/// POST `/registre/imports/appliquer`: applies the file previewed in this session, if it
/// has not changed since.
pub async fn apply_import(
    State(state): State<AppState>,
    session: Session,
    PageUser(cu): PageUser,
    Form(form): Form<ApplyForm>,
) -> Result<Response, PageError> {
    cu.authorize(&Action::ImportRegistry)?;
    let pending: Option<Pending> = session.get(PENDING_KEY).await.map_err(session_error)?;
    let Some(pending) = pending.filter(|p| p.token == form.token) else {
        let mut p = imports_page(&state, &session, &cu, 1, "").await?;
        p.error = "Aucun aperçu en attente : envoyez à nouveau le fichier.".into();
        return render_status(&p, axum::http::StatusCode::CONFLICT);
    };
    let path = pending_path(&state, &pending.token);
    let kind = services::import_kind(&pending.kind)?;
    let result = services::import_registry(
        &state,
        &cu,
        kind,
        &path,
        &pending.file_name,
        true,
        Some(&pending.checksum),
    )
    .await;
    session
        .remove::<Pending>(PENDING_KEY)
        .await
        .map_err(session_error)?;
    let _ = tokio::fs::remove_file(&path).await;
    let mut p = imports_page(&state, &session, &cu, 1, "").await?;
    match result {
        Ok(report) => {
            p.report = Some(report_view(&report));
            render(&p)
        }
        Err(e) => {
            p.error = e.message();
            render_status(&p, e.status())
        }
    }
}
