//! The registry through the API: search, legal entities, sites, band override, imports.

use super::extract::{Json, Path, Query};
use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use cpom_domain::registry::{BandSettings, Capacity};
use cpom_store::LegalEntity;
use cpom_store::repo::registry::{ImportReport, LegalEntityDetail, Site};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::territories::{
    AuthorisationDto, EntityGhtDto, LabelDto, authorisation_dto, territory_dtos,
};
use crate::AppState;
use crate::auth::ApiUser;
use crate::error::{ApiError, ApiErrorBody};
use crate::pages::registry::{RegistryQuery, band_explanation};
use crate::services::{self, paging};
use cpom_store::repo::territories::EntityTerritory;

/// A legal entity (EJ) in listings.
#[derive(Serialize, ToSchema)]
pub struct LegalEntityDto {
    /// FINESS EJ number.
    pub finess: String,
    /// Name.
    pub name: String,
    /// Region code (INSEE).
    pub region: String,
    /// Department code.
    pub department: Option<String>,
    /// `public`, `private_non_profit`, `espic` or `private_for_profit`; null when unknown.
    pub status: Option<String>,
    /// FINESS legal status code.
    pub legal_status_code: Option<String>,
    /// Total beds used for the band (the region's definition, latest SAE year).
    pub beds: Option<i64>,
    /// SAE year of `beds`.
    pub beds_year: Option<i32>,
    /// Band in force: `lt100`, `100to499` or `ge500` (the override if any).
    pub size_band: Option<String>,
    /// Band computed from the beds.
    pub computed_size_band: Option<String>,
    /// Band set by an ARS administrator, if any.
    pub band_override: Option<String>,
    /// Justification of the override.
    pub band_override_reason: Option<String>,
    /// Version, for changes.
    pub version: i64,
}

impl From<&LegalEntity> for LegalEntityDto {
    fn from(e: &LegalEntity) -> Self {
        Self {
            finess: e.finess.to_string(),
            name: e.name.clone(),
            region: e.region.to_string(),
            department: e.department.clone(),
            status: e.status.map(|s| s.as_str().to_owned()),
            legal_status_code: e.legal_status_code.clone(),
            beds: e.beds,
            beds_year: e.beds_year,
            size_band: e.size_band().map(|b| b.as_str().to_owned()),
            computed_size_band: e.computed_band.map(|b| b.as_str().to_owned()),
            band_override: e.band_override.map(|b| b.as_str().to_owned()),
            band_override_reason: e.band_override_reason.clone(),
            version: e.version,
        }
    }
}

/// A page of legal entities.
#[derive(Serialize, ToSchema)]
pub struct LegalEntityPageDto {
    /// Entities, by name.
    pub items: Vec<LegalEntityDto>,
    /// Total across pages.
    pub total: u64,
    /// Page number.
    pub page: u64,
    /// Page size.
    pub per_page: u64,
}

/// Capacity figures (SAE).
#[derive(Serialize, ToSchema)]
pub struct CapacityDto {
    /// SAE year.
    pub year: i32,
    /// MCO beds.
    pub lit_mco: i64,
    /// Psychiatry full-time capacity.
    pub cap_complet_tot: i64,
    /// SMR beds.
    pub lit_ssr: i64,
    /// USLD beds.
    pub lit_usld: i64,
    /// MCO day places.
    pub pla_mco: i64,
    /// HAD places.
    pub platot_had: i64,
    /// Beds under the region's definition.
    pub beds: i64,
}

fn capacity_dto(year: i32, c: &Capacity, s: &BandSettings) -> CapacityDto {
    CapacityDto {
        year,
        lit_mco: c.lit_mco,
        cap_complet_tot: c.cap_complet_tot,
        lit_ssr: c.lit_ssr,
        lit_usld: c.lit_usld,
        pla_mco: c.pla_mco,
        platot_had: c.platot_had,
        beds: s.beds(c),
    }
}

/// A site (ET).
#[derive(Serialize, ToSchema)]
pub struct SiteDto {
    /// FINESS ET number.
    pub finess: String,
    /// FINESS EJ of its legal entity.
    pub ej: String,
    /// Name.
    pub name: String,
    /// SAE category code.
    pub category_code: Option<String>,
    /// FINESS category label.
    pub category_label: Option<String>,
    /// Department code.
    pub department: String,
    /// Region code.
    pub region: String,
    /// Postal code.
    pub postal_code: Option<String>,
    /// City.
    pub city: Option<String>,
    /// SIRET.
    pub siret: Option<String>,
    /// Latest capacity.
    pub capacity: Option<CapacityDto>,
}

fn site_dto(s: &Site, settings: &BandSettings) -> SiteDto {
    SiteDto {
        finess: s.finess.to_string(),
        ej: s.ej.to_string(),
        name: s.name.clone(),
        category_code: s.category_code.clone(),
        category_label: s.category_label.clone(),
        department: s.department.clone(),
        region: s.region.clone(),
        postal_code: s.postal_code.clone(),
        city: s.city.clone(),
        siret: s.siret.clone(),
        capacity: s.capacity.map(|(y, c)| capacity_dto(y, &c, settings)),
    }
}

/// How the band is obtained.
#[derive(Serialize, ToSchema)]
pub struct BandRuleDto {
    /// Capacity columns summed.
    pub columns: Vec<String>,
    /// Lower threshold (below: `lt100`).
    pub lower: i64,
    /// Upper threshold (at or above: `ge500`).
    pub upper: i64,
    /// The explanation shown on the page.
    pub explanation: String,
}

/// Totals of a legal entity for one SAE year.
#[derive(Serialize, ToSchema)]
pub struct YearDto {
    /// Capacities summed over the sites attached that year.
    #[serde(flatten)]
    pub capacity: CapacityDto,
    /// Band of these beds.
    pub size_band: String,
    /// Sites counted.
    pub sites: u32,
}

/// A legal entity with its sites, capacities, labels, authorisations and GHT.
#[derive(Serialize, ToSchema)]
pub struct LegalEntityDetailDto {
    /// The entity.
    #[serde(flatten)]
    pub entity: LegalEntityDto,
    /// How the band was obtained.
    pub band_rule: BandRuleDto,
    /// Capacity and band per SAE year, newest first.
    pub years: Vec<YearDto>,
    /// Sites.
    pub sites: Vec<SiteDto>,
    /// Labels, current and past (`in_force` today).
    pub labels: Vec<LabelDto>,
    /// Authorisations held, current and past, by site.
    pub authorisations: Vec<AuthorisationDto>,
    /// GHT today and every membership.
    pub ght: EntityGhtDto,
}

fn detail_dto(d: &LegalEntityDetail, t: &EntityTerritory) -> LegalEntityDetailDto {
    let (labels, authorisations, ght) = territory_dtos(t, services::today());
    LegalEntityDetailDto {
        labels,
        authorisations,
        ght,
        entity: (&d.entity).into(),
        band_rule: BandRuleDto {
            columns: d.settings.columns.clone(),
            lower: d.settings.lower,
            upper: d.settings.upper,
            explanation: band_explanation(d),
        },
        years: d
            .years
            .iter()
            .map(|y| YearDto {
                capacity: capacity_dto(y.year, &y.capacity, &d.settings),
                size_band: y.band.as_str().to_owned(),
                sites: y.sites,
            })
            .collect(),
        sites: d.sites.iter().map(|s| site_dto(s, &d.settings)).collect(),
    }
}

/// Searches legal entities of the caller's scope.
#[utoipa::path(get, path = "/api/v1/legal-entities", tag = "registre", params(RegistryQuery),
    responses((status = 200, body = LegalEntityPageDto), (status = 422, body = ApiErrorBody)))]
pub async fn list_legal_entities(
    State(state): State<AppState>,
    ApiUser(cu): ApiUser,
    Query(q): Query<RegistryQuery>,
) -> Result<Json<LegalEntityPageDto>, ApiError> {
    let filter = q.filter()?;
    let (page, per_page) = paging(q.page, q.per_page);
    let result = services::search_registry(&state, &cu, &filter, page, per_page)
        .await?
        .found;
    Ok(Json(LegalEntityPageDto {
        items: result.items.iter().map(Into::into).collect(),
        total: result.total,
        page: result.page,
        per_page: result.per_page,
    }))
}

/// One legal entity with its status, beds, band, sites, labels, authorisations and GHT.
#[utoipa::path(get, path = "/api/v1/legal-entities/{finess}", tag = "registre",
    params(("finess" = String, Path, description = "FINESS EJ")),
    responses((status = 200, body = LegalEntityDetailDto), (status = 404, body = ApiErrorBody)))]
pub async fn get_legal_entity(
    State(state): State<AppState>,
    ApiUser(cu): ApiUser,
    Path(finess): Path<String>,
) -> Result<Json<LegalEntityDetailDto>, ApiError> {
    let d = services::legal_entity(&state, &cu, &finess).await?;
    let t = services::entity_territory(&state, &d.entity).await?;
    Ok(Json(detail_dto(&d, &t)))
}

/// A band override to set (`band` null removes it).
#[derive(Deserialize, ToSchema)]
pub struct BandOverrideInput {
    /// `lt100`, `100to499`, `ge500`, or null to go back to the computed band.
    #[serde(default)]
    pub band: Option<String>,
    /// Written justification (required with a band, at least 10 characters).
    #[serde(default)]
    pub reason: Option<String>,
    /// Version of the entity read.
    pub version: i64,
}

/// Sets or removes the band override of a legal entity (ARS administrators).
#[utoipa::path(put, path = "/api/v1/legal-entities/{finess}/band-override", tag = "registre",
    params(("finess" = String, Path, description = "FINESS EJ")), request_body = BandOverrideInput,
    responses((status = 200, body = LegalEntityDto), (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody),
        (status = 409, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn set_band_override(
    State(state): State<AppState>,
    ApiUser(cu): ApiUser,
    Path(finess): Path<String>,
    Json(input): Json<BandOverrideInput>,
) -> Result<Json<LegalEntityDto>, ApiError> {
    let e = services::set_band_override(
        &state,
        &cu,
        &finess,
        input.band.as_deref(),
        input.reason.as_deref(),
        input.version,
    )
    .await?;
    Ok(Json((&e).into()))
}

/// A site with its capacities over the years.
#[derive(Serialize, ToSchema)]
pub struct SiteDetailDto {
    /// The site.
    #[serde(flatten)]
    pub site: SiteDto,
    /// Name of its legal entity.
    pub ej_name: String,
    /// Capacities per SAE year, newest first.
    pub capacities: Vec<CapacityDto>,
    /// Authorisations carried out on the site, current and past (`in_force` today).
    pub authorisations: Vec<AuthorisationDto>,
}

/// One site (ET), with its capacities and authorisations.
#[utoipa::path(get, path = "/api/v1/sites/{finess}", tag = "registre",
    params(("finess" = String, Path, description = "FINESS ET")),
    responses((status = 200, body = SiteDetailDto), (status = 404, body = ApiErrorBody)))]
pub async fn get_site(
    State(state): State<AppState>,
    ApiUser(cu): ApiUser,
    Path(finess): Path<String>,
) -> Result<Json<SiteDetailDto>, ApiError> {
    let d = services::site(&state, &cu, &finess).await?;
    let settings = state
        .store
        .band_settings(&d.entity.region)
        .await
        .map_err(crate::error::AppError::from)?;
    let today = services::today();
    let authorisations = services::site_authorisations(&state, &d).await?;
    Ok(Json(SiteDetailDto {
        authorisations: authorisations
            .iter()
            .map(|a| authorisation_dto(a, today))
            .collect(),
        site: site_dto(&d.site, &settings),
        ej_name: d.entity.name.clone(),
        capacities: d
            .capacities
            .iter()
            .rev()
            .map(|(y, c)| capacity_dto(*y, c, &settings))
            .collect(),
    }))
}

/// A rejected or skipped line.
#[derive(Serialize, ToSchema)]
pub struct LineDto {
    /// Line number (1 = first line of the file).
    pub line: u64,
    /// Column, when one is at fault.
    pub column: Option<String>,
    /// Reason, in French.
    pub reason: String,
}

/// Outcome of an import.
#[derive(Serialize, ToSchema)]
pub struct ImportReportDto {
    /// `finess`, `sae-id`, `sae-capacity`, `authorisations` or `ght`.
    pub kind: String,
    /// File name.
    pub file_name: String,
    /// SHA-256 of the file.
    pub checksum: String,
    /// Records created.
    pub created: u64,
    /// Records changed.
    pub updated: u64,
    /// Lines identical to the stored data.
    pub unchanged: u64,
    /// Legal entities created on the way.
    pub entities_created: u64,
    /// Rejected lines: when there is any, nothing is written.
    pub rejected: Vec<LineDto>,
    /// Lines left aside (other region, collectivities without ARS).
    pub skipped: Vec<LineDto>,
    /// Whether the changes were written.
    pub applied: bool,
    /// Id in the import history, when applied.
    pub import_id: Option<i64>,
}

fn lines(v: &[cpom_store::Rejection]) -> Vec<LineDto> {
    v.iter()
        .map(|r| LineDto {
            line: r.line,
            column: r.column.clone(),
            reason: r.reason.clone(),
        })
        .collect()
}

fn report_dto(r: &ImportReport) -> ImportReportDto {
    ImportReportDto {
        kind: r.kind.as_str().to_owned(),
        file_name: r.file_name.clone(),
        checksum: r.checksum.clone(),
        created: r.created,
        updated: r.updated,
        unchanged: r.unchanged,
        entities_created: r.entities_created,
        rejected: lines(&r.rejected),
        skipped: lines(&r.skipped),
        applied: r.applied,
        import_id: r.import_id,
    }
}

/// Query of an import.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// `true` to preview without writing anything.
    #[serde(default)]
    pub dry_run: bool,
}

/// Multipart body of an import.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ImportForm {
    /// `finess`, `sae-id`, `sae-capacity`, `authorisations` or `ght`.
    kind: String,
    /// The file.
    #[schema(format = Binary, value_type = String)]
    file: Vec<u8>,
}

/// Imports a registry file (multipart form: `kind`, `file`), all or nothing; with
/// `dry_run=true`, only previews. Rejected lines are listed and nothing is written.
#[utoipa::path(post, path = "/api/v1/imports", tag = "registre", params(ImportQuery),
    request_body(content = ImportForm, content_type = "multipart/form-data"),
    responses((status = 200, description = "Aperçu, ou import appliqué", body = ImportReportDto),
        (status = 422, description = "Lignes rejetées (rien n'est écrit) ou fichier illisible", body = ImportRefusal),
        (status = 403, body = ApiErrorBody)))]
pub async fn import_file(
    State(state): State<AppState>,
    ApiUser(cu): ApiUser,
    Query(q): Query<ImportQuery>,
    multipart: Multipart,
) -> Result<(StatusCode, Json<ImportReportDto>), ApiError> {
    cu.authorize(&cpom_domain::Action::ImportRegistry)?;
    let dir = state.store.files_dir().join("imports");
    let path = dir.join(format!(
        "{}.{}",
        hex::encode(rand::random::<[u8; 16]>()),
        crate::upload::PARTIAL
    ));
    let result = async {
        let upload = crate::upload::receive(multipart, &dir, &path).await?;
        let kind = services::import_kind(&upload.kind)?;
        services::import_registry(
            &state,
            &cu,
            kind,
            &path,
            &upload.file_name,
            !q.dry_run,
            None,
        )
        .await
    }
    .await;
    let _ = tokio::fs::remove_file(&path).await;
    let report = result?;
    let status = if report.rejected.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok((status, Json(report_dto(&report))))
}

/// One past import.
#[derive(Serialize, ToSchema)]
pub struct ImportRunDto {
    /// Id.
    pub id: i64,
    /// Kind.
    pub kind: String,
    /// File name.
    pub file_name: String,
    /// SHA-256.
    pub checksum: String,
    /// When (UTC).
    pub at: chrono::DateTime<chrono::Utc>,
    /// Who.
    pub actor: String,
    /// Region it was limited to (null: every region).
    pub region: Option<String>,
    /// Counts.
    pub created: i64,
    /// Records changed.
    pub updated: i64,
    /// Unchanged lines.
    pub unchanged: i64,
    /// Skipped lines.
    pub skipped: i64,
}

/// A page of the import history.
#[derive(Serialize, ToSchema)]
pub struct ImportRunPageDto {
    /// Imports, newest first.
    pub items: Vec<ImportRunDto>,
    /// Total.
    pub total: u64,
    /// Page.
    pub page: u64,
    /// Page size.
    pub per_page: u64,
}

/// Paging of the import history.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PagingQuery {
    /// Page number, from 1.
    #[serde(default)]
    pub page: Option<u64>,
    /// Page size (at most 200).
    #[serde(default)]
    pub per_page: Option<u64>,
}

/// The import history (administrators).
#[utoipa::path(get, path = "/api/v1/imports", tag = "registre", params(PagingQuery),
    responses((status = 200, body = ImportRunPageDto), (status = 403, body = ApiErrorBody)))]
pub async fn list_imports(
    State(state): State<AppState>,
    ApiUser(cu): ApiUser,
    Query(q): Query<PagingQuery>,
) -> Result<Json<ImportRunPageDto>, ApiError> {
    let (page, per_page) = paging(q.page, q.per_page);
    let runs = services::list_imports(&state, &cu, page, per_page).await?;
    Ok(Json(ImportRunPageDto {
        items: runs
            .items
            .into_iter()
            .map(|r| ImportRunDto {
                id: r.id,
                kind: r.kind,
                file_name: r.file_name,
                checksum: r.checksum,
                at: r.at,
                actor: r.actor_label,
                region: r.region,
                created: r.created,
                updated: r.updated,
                unchanged: r.unchanged,
                skipped: r.skipped,
            })
            .collect(),
        total: runs.total,
        page: runs.page,
        per_page: runs.per_page,
    }))
}

/// A 422 of this import: the file's report, or the error of a form field (no file, an
/// unknown kind…).
#[derive(serde::Serialize, utoipa::ToSchema)]
#[serde(untagged)]
#[allow(dead_code)]
pub enum ImportRefusal {
    /// The file's report, with its errors.
    Report(ImportReportDto),
    /// A field of the form.
    Form(crate::error::ApiErrorBody),
}
