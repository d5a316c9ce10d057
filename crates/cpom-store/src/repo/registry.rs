//! The registry: imports of FINESS and SAE files (planned in memory, previewed, then applied
//! all or nothing), size bands, search and detail of legal entities.
//!
//! Each file owns some attributes, so that re-importing one file never undoes another:
//! FINESS owns the sites' names, addresses, categories labels and their legal entity; SAE
//! identification owns the legal status and category codes; SAE SYGEN owns capacities. A
//! file may create the legal entities and sites it mentions.

use std::collections::{BTreeSet, HashMap};

use chrono::Utc;
use cpom_domain::registry::{
    BandSettings, Capacity, LegalStatus, SizeBand, department, region_of_department,
};
use cpom_domain::{FinessId, RegionCode};
use cpom_import::finess::FinessSite;
use cpom_import::sae::{SaeCapacity, SaeSite};
use cpom_import::{Parsed, Rejection};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, Set,
};
use sea_orm::{IdenStatic, Iterable};
use serde::Serialize;

use super::legal_entities::LegalEntity;
use crate::audit::{self, AuditActor, Change};
use crate::entity::{import_run, legal_entity, region_setting, site, site_capacity};
use crate::{Store, StoreError};

/// Kinds of registry imports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ImportKind {
    /// FINESS extract with a header.
    Finess,
    /// SAE identification table.
    SaeId,
    /// SAE SYGEN capacities.
    SaeCapacity,
    /// Authorisations of care activities (the template the ARS fills).
    Authorisations,
    /// GHT and their members (the template the ARS fills).
    Ght,
}

impl ImportKind {
    /// Stable identifier (as in `cpom import KIND`).
    pub fn as_str(self) -> &'static str {
        match self {
            ImportKind::Finess => "finess",
            ImportKind::SaeId => "sae-id",
            ImportKind::SaeCapacity => "sae-capacity",
            ImportKind::Authorisations => "authorisations",
            ImportKind::Ght => "ght",
        }
    }

    /// French label.
    pub fn label(self) -> &'static str {
        match self {
            ImportKind::Finess => {
                "FINESS (établissements : extrait etalab ou fichier avec en-tête)"
            }
            ImportKind::SaeId => "SAE, table d'identification",
            ImportKind::SaeCapacity => "SAE, capacités (SYGEN)",
            ImportKind::Authorisations => "Autorisations d'activités de soins",
            ImportKind::Ght => "GHT (groupements hospitaliers de territoire)",
        }
    }
}

/// The file being imported.
#[derive(Debug, Clone)]
pub struct ImportSource {
    /// Original file name.
    pub file_name: String,
    /// SHA-256 of the file.
    pub checksum: String,
}

/// Outcome of an import, previewed or applied.
#[derive(Debug, Clone, Serialize)]
pub struct ImportReport {
    /// Kind of file.
    pub kind: ImportKind,
    /// File name.
    pub file_name: String,
    /// SHA-256.
    pub checksum: String,
    /// Lines that create a record.
    pub created: u64,
    /// Lines that change a record.
    pub updated: u64,
    /// Lines identical to what is stored.
    pub unchanged: u64,
    /// Rejected lines, with place and reason.
    pub rejected: Vec<Rejection>,
    /// Lines left aside (outside the importer's region, or outside ARS regions).
    pub skipped: Vec<Rejection>,
    /// Legal entities created on the way.
    pub entities_created: u64,
    /// Whether the changes were written.
    pub applied: bool,
    /// Id in the import history, when applied.
    pub import_id: Option<i64>,
}

/// A site as listed on a legal entity's page.
#[derive(Debug, Clone, Serialize)]
pub struct Site {
    /// FINESS ET.
    pub finess: FinessId,
    /// FINESS EJ.
    pub ej: FinessId,
    /// Name.
    pub name: String,
    /// FINESS category code.
    pub category_code: Option<String>,
    /// FINESS category label.
    pub category_label: Option<String>,
    /// Department.
    pub department: String,
    /// Region.
    pub region: String,
    /// Postal code.
    pub postal_code: Option<String>,
    /// City.
    pub city: Option<String>,
    /// SIRET.
    pub siret: Option<String>,
    /// Latest capacity (year, figures).
    pub capacity: Option<(i32, Capacity)>,
}

/// A legal entity with its sites and how its band was obtained.
#[derive(Debug, Clone, Serialize)]
pub struct LegalEntityDetail {
    /// The legal entity.
    pub entity: LegalEntity,
    /// Its sites.
    pub sites: Vec<Site>,
    /// The region's band settings used.
    pub settings: BandSettings,
    /// Capacity, beds and band per SAE year (the sites attached to the entity that year).
    pub years: Vec<YearCapacity>,
}

/// Capacities of a legal entity for one SAE year, and the band they give.
#[derive(Debug, Clone, Serialize)]
pub struct YearCapacity {
    /// SAE year.
    pub year: i32,
    /// Sum over the sites attached to the entity that year.
    pub capacity: Capacity,
    /// Beds under the region's definition.
    pub beds: i64,
    /// Band of these beds.
    pub band: SizeBand,
    /// Number of sites counted.
    pub sites: u32,
}

/// A site with its legal entity and its capacities over the years.
#[derive(Debug, Clone, Serialize)]
pub struct SiteDetail {
    /// The site.
    pub site: Site,
    /// Its legal entity today.
    pub entity: LegalEntity,
    /// Capacities per SAE year, oldest first.
    pub capacities: Vec<(i32, Capacity)>,
}

/// Filters of the registry search.
#[derive(Debug, Clone, Default)]
pub struct RegistryFilter {
    /// Part of the name, FINESS number or city of a site.
    pub query: Option<String>,
    /// Region code.
    pub region: Option<String>,
    /// Department code.
    pub department: Option<String>,
    /// Legal status.
    pub status: Option<LegalStatus>,
    /// Size band (the band in force).
    pub band: Option<SizeBand>,
    /// GHT code, with the day its members are taken on (members in force that day).
    pub ght: Option<(String, chrono::NaiveDate)>,
    /// FINESS category label of one of the entity's sites.
    pub category: Option<String>,
}

fn fid(s: &str) -> Result<FinessId, StoreError> {
    FinessId::parse(s).map_err(super::legal_entities::corrupt)
}

fn site_from(m: site::Model, capacity: Option<(i32, Capacity)>) -> Result<Site, StoreError> {
    Ok(Site {
        finess: fid(&m.finess)?,
        ej: fid(&m.ej_finess)?,
        name: m.name,
        category_code: m.category_code,
        category_label: m.category_label,
        department: m.department,
        region: m.region_code,
        postal_code: m.postal_code,
        city: m.city,
        siret: m.siret,
        capacity,
    })
}

fn capacity_of(m: &site_capacity::Model) -> Capacity {
    Capacity {
        lit_mco: m.lit_mco,
        cap_complet_tot: m.cap_complet_tot,
        lit_ssr: m.lit_ssr,
        lit_usld: m.lit_usld,
        pla_mco: m.pla_mco,
        platot_had: m.platot_had,
    }
}

/// Working set of an import: current rows, and what the file changes.
#[derive(Default)]
struct Plan {
    ejs: HashMap<String, legal_entity::Model>,
    sites: HashMap<String, site::Model>,
    new_ejs: Vec<String>,
    dirty_ejs: BTreeSet<String>,
    new_sites: Vec<String>,
    dirty_sites: BTreeSet<String>,
    new_capacities: Vec<site_capacity::Model>,
    changed_capacities: Vec<(site_capacity::Model, site_capacity::Model)>,
    before: HashMap<String, serde_json::Value>,
    created: u64,
    updated: u64,
    unchanged: u64,
    rejected: Vec<Rejection>,
    skipped: Vec<Rejection>,
}

impl Plan {
    /// The current rows, with the lines the reader already rejected or skipped.
    async fn load(
        txn: &DatabaseTransaction,
        rejected: Vec<Rejection>,
        skipped: Vec<Rejection>,
    ) -> Result<Self, StoreError> {
        let ejs = legal_entity::Entity::find()
            .all(txn)
            .await?
            .into_iter()
            .map(|m| (m.finess.clone(), m))
            .collect();
        let sites = site::Entity::find()
            .all(txn)
            .await?
            .into_iter()
            .map(|m| (m.finess.clone(), m))
            .collect();
        Ok(Plan {
            ejs,
            sites,
            rejected,
            skipped,
            ..Plan::default()
        })
    }

    fn in_scope(&mut self, scope: Option<&RegionCode>, region: &RegionCode, line: u64) -> bool {
        match scope {
            Some(r) if r != region => {
                self.skipped.push(Rejection {
                    line,
                    column: None,
                    reason: format!("site de la région {}, hors de votre région", region.name()),
                });
                false
            }
            _ => true,
        }
    }

    /// Makes sure the legal entity exists (created with the given name, region, status).
    fn ensure_ej(
        &mut self,
        ej: &FinessId,
        name: &str,
        region: &RegionCode,
        department: &str,
        status: Option<LegalStatus>,
    ) {
        if self.ejs.contains_key(ej.as_str()) {
            return;
        }
        let now = Utc::now();
        self.ejs.insert(
            ej.to_string(),
            legal_entity::Model {
                id: 0,
                finess: ej.to_string(),
                name: name.to_owned(),
                region_code: region.to_string(),
                status: status.map(|s| s.as_str().to_owned()),
                legal_status_code: None,
                department: Some(department.to_owned()),
                beds: None,
                beds_year: None,
                size_band: None,
                band_override: None,
                band_override_reason: None,
                version: 1,
                created_at: now,
                updated_at: now,
            },
        );
        self.new_ejs.push(ej.to_string());
    }

    fn touch_ej(&mut self, ej: &str, change: impl FnOnce(&mut legal_entity::Model)) -> bool {
        let Some(current) = self.ejs.get(ej) else {
            return false;
        };
        let mut next = current.clone();
        change(&mut next);
        if next == *current {
            return false;
        }
        if !self.new_ejs.iter().any(|e| e == ej) && !self.before.contains_key(&format!("ej:{ej}")) {
            self.before.insert(format!("ej:{ej}"), ej_json(current));
        }
        self.ejs.insert(ej.to_owned(), next);
        if !self.new_ejs.iter().any(|e| e == ej) {
            self.dirty_ejs.insert(ej.to_owned());
        }
        true
    }

    /// Creates the site or applies `change` to it; counts the line.
    fn upsert_site(
        &mut self,
        finess: &FinessId,
        create: impl FnOnce() -> site::Model,
        change: impl FnOnce(&mut site::Model),
        ej_changed: bool,
    ) {
        let key = finess.to_string();
        match self.sites.get(&key) {
            None => {
                self.sites.insert(key.clone(), create());
                self.new_sites.push(key);
                self.created += 1;
            }
            Some(current) => {
                let mut next = current.clone();
                change(&mut next);
                if next != *current {
                    if !self.new_sites.contains(&key)
                        && !self.before.contains_key(&format!("site:{key}"))
                    {
                        self.before
                            .insert(format!("site:{key}"), site_json(current));
                    }
                    self.sites.insert(key.clone(), next);
                    if !self.new_sites.contains(&key) {
                        self.dirty_sites.insert(key);
                    }
                    self.updated += 1;
                } else if ej_changed {
                    self.updated += 1;
                } else {
                    self.unchanged += 1;
                }
            }
        }
    }
}

fn ej_json(m: &legal_entity::Model) -> serde_json::Value {
    serde_json::json!({"name": m.name, "region_code": m.region_code, "status": m.status, "legal_status_code": m.legal_status_code, "department": m.department})
}

fn site_json(m: &site::Model) -> serde_json::Value {
    serde_json::json!({"ej": m.ej_finess, "name": m.name, "category_code": m.category_code, "category_label": m.category_label,
        "department": m.department, "region_code": m.region_code, "postal_code": m.postal_code, "city": m.city, "siret": m.siret})
}

fn new_site(
    finess: &FinessId,
    ej: &FinessId,
    name: &str,
    department: &str,
    region: &RegionCode,
) -> site::Model {
    let now = Utc::now();
    site::Model {
        id: 0,
        finess: finess.to_string(),
        ej_finess: ej.to_string(),
        name: name.to_owned(),
        category_code: None,
        category_label: None,
        department: department.to_owned(),
        region_code: region.to_string(),
        postal_code: None,
        city: None,
        siret: None,
        version: 1,
        created_at: now,
        updated_at: now,
    }
}

impl Store {
    /// Imports a FINESS extract (sites and their legal entities).
    pub async fn import_finess(
        &self,
        actor: &AuditActor,
        scope: Option<&RegionCode>,
        source: &ImportSource,
        parsed: Parsed<FinessSite>,
        apply: bool,
    ) -> Result<ImportReport, StoreError> {
        let txn = self.begin().await?;
        let mut plan = Plan::load(&txn, parsed.rejected, parsed.skipped).await?;
        for (line, r) in parsed.records {
            if !plan.in_scope(scope, &r.region, line) {
                continue;
            }
            plan.ensure_ej(&r.ej, &r.name, &r.region, r.department, r.status);
            // An entity created by hand (for its accounts) gets its department from its sites.
            let ej_changed = plan.touch_ej(r.ej.as_str(), |m| {
                if m.department.is_none() {
                    m.department = Some(r.department.to_owned());
                }
            });
            let r2 = r.clone();
            plan.upsert_site(
                &r.site,
                || {
                    let mut m = new_site(&r2.site, &r2.ej, &r2.name, r2.department, &r2.region);
                    apply_finess(&mut m, &r2);
                    m
                },
                |m| apply_finess(m, &r),
                ej_changed,
            );
        }
        self.finish(txn, plan, actor, scope, ImportKind::Finess, source, apply)
            .await
    }

    /// Imports the SAE identification table (legal status, category codes).
    pub async fn import_sae_id(
        &self,
        actor: &AuditActor,
        scope: Option<&RegionCode>,
        source: &ImportSource,
        parsed: Parsed<SaeSite>,
        apply: bool,
    ) -> Result<ImportReport, StoreError> {
        let txn = self.begin().await?;
        let mut plan = Plan::load(&txn, parsed.rejected, parsed.skipped).await?;
        // Sites of one legal entity sometimes disagree on its status: take the most frequent
        // value over all its lines, so that the result does not depend on line order.
        let status_of = majority(
            parsed
                .records
                .iter()
                .map(|(_, r)| (r.ej.to_string(), r.status.as_str().to_owned())),
        );
        let code_of = majority(
            parsed
                .records
                .iter()
                .map(|(_, r)| (r.ej.to_string(), r.legal_status_code.clone())),
        );
        for (line, r) in parsed.records {
            if !plan.in_scope(scope, &r.region, line) {
                continue;
            }
            let status = status_of
                .get(r.ej.as_str())
                .and_then(|s| LegalStatus::parse(s))
                .unwrap_or(r.status);
            let code = code_of
                .get(r.ej.as_str())
                .cloned()
                .filter(|c| !c.is_empty());
            plan.ensure_ej(&r.ej, &r.name, &r.region, r.department, Some(status));
            let ej_changed = plan.touch_ej(r.ej.as_str(), |m| {
                m.status = Some(status.as_str().to_owned());
                m.legal_status_code = code;
                if m.department.is_none() {
                    m.department = Some(r.department.to_owned());
                }
            });
            let r2 = r.clone();
            plan.upsert_site(
                &r.site,
                || {
                    let mut m = new_site(&r2.site, &r2.ej, &r2.name, r2.department, &r2.region);
                    m.city = r2.city.clone();
                    m.category_code = Some(r2.category_code.clone()).filter(|c| !c.is_empty());
                    m
                },
                |m| m.category_code = Some(r.category_code.clone()).filter(|c| !c.is_empty()),
                ej_changed,
            );
        }
        self.finish(txn, plan, actor, scope, ImportKind::SaeId, source, apply)
            .await
    }

    /// Imports SAE SYGEN capacities per site and year; sites must already be known.
    pub async fn import_sae_capacity(
        &self,
        actor: &AuditActor,
        scope: Option<&RegionCode>,
        source: &ImportSource,
        parsed: Parsed<SaeCapacity>,
        apply: bool,
    ) -> Result<ImportReport, StoreError> {
        let txn = self.begin().await?;
        let mut plan = Plan::load(&txn, parsed.rejected, parsed.skipped).await?;
        let mut existing: HashMap<(String, i32), site_capacity::Model> =
            site_capacity::Entity::find()
                .all(&txn)
                .await?
                .into_iter()
                .map(|m| ((m.site_finess.clone(), m.year), m))
                .collect();
        for (line, r) in parsed.records {
            let Some(site) = plan.sites.get(r.site.as_str()) else {
                // The first two characters of a FINESS number are its department.
                let prefix_region = department(&r.site.as_str()[..2])
                    .ok()
                    .and_then(region_of_department);
                if scope.is_some() && prefix_region.as_ref() != scope {
                    plan.skipped.push(Rejection {
                        line,
                        column: None,
                        reason: "site hors de votre région".into(),
                    });
                } else {
                    plan.rejected.push(Rejection {
                        line,
                        column: Some("FI".into()),
                        reason: format!("site FINESS {} inconnu du registre : importez d'abord le FINESS ou la table d'identification SAE", r.site),
                    });
                }
                continue;
            };
            let region =
                RegionCode::parse(&site.region_code).map_err(super::legal_entities::corrupt)?;
            if !plan.in_scope(scope, &region, line) {
                continue;
            }
            let c = r.capacity;
            let next = site_capacity::Model {
                id: 0,
                site_finess: r.site.to_string(),
                ej_finess: r.ej.to_string(),
                year: r.year,
                lit_mco: c.lit_mco,
                cap_complet_tot: c.cap_complet_tot,
                lit_ssr: c.lit_ssr,
                lit_usld: c.lit_usld,
                pla_mco: c.pla_mco,
                platot_had: c.platot_had,
            };
            match existing.get(&(next.site_finess.clone(), next.year)) {
                None => {
                    existing.insert((next.site_finess.clone(), next.year), next.clone());
                    plan.new_capacities.push(next);
                    plan.created += 1;
                }
                Some(cur)
                    if capacity_of(cur) == capacity_of(&next)
                        && cur.ej_finess == next.ej_finess =>
                {
                    plan.unchanged += 1
                }
                Some(cur) => {
                    plan.changed_capacities
                        .push((cur.clone(), site_capacity::Model { id: cur.id, ..next }));
                    plan.updated += 1;
                }
            }
        }
        self.finish(
            txn,
            plan,
            actor,
            scope,
            ImportKind::SaeCapacity,
            source,
            apply,
        )
        .await
    }

    /// Writes a plan (when asked and when no line is rejected), recomputes the bands,
    /// records the history and audit rows, and commits; otherwise rolls back.
    #[expect(
        clippy::too_many_arguments,
        reason = "one private step shared by the three importers"
    )]
    async fn finish(
        &self,
        txn: DatabaseTransaction,
        mut plan: Plan,
        actor: &AuditActor,
        scope: Option<&RegionCode>,
        kind: ImportKind,
        source: &ImportSource,
        apply: bool,
    ) -> Result<ImportReport, StoreError> {
        plan.rejected.sort_by_key(|r| r.line);
        let mut report = ImportReport {
            created: plan.created,
            updated: plan.updated,
            unchanged: plan.unchanged,
            rejected: std::mem::take(&mut plan.rejected),
            skipped: std::mem::take(&mut plan.skipped),
            entities_created: plan.new_ejs.len() as u64,
            ..empty_report(kind, source)
        };
        if !apply || !report.rejected.is_empty() {
            txn.rollback().await?;
            return Ok(report);
        }
        let now = Utc::now();
        for chunk in plan.new_ejs.chunks(500) {
            let models: Vec<_> = chunk
                .iter()
                .filter_map(|k| plan.ejs.get(k))
                .map(|m| {
                    let mut am: legal_entity::ActiveModel = m.clone().into();
                    am = am.reset_all();
                    am.id = sea_orm::ActiveValue::NotSet;
                    am
                })
                .collect();
            legal_entity::Entity::insert_many(models)
                .exec_without_returning(&txn)
                .await?;
        }
        for chunk in plan.new_sites.chunks(500) {
            let models: Vec<_> = chunk
                .iter()
                .filter_map(|k| plan.sites.get(k))
                .map(|m| {
                    let mut am: site::ActiveModel = m.clone().into();
                    am = am.reset_all();
                    am.id = sea_orm::ActiveValue::NotSet;
                    am
                })
                .collect();
            site::Entity::insert_many(models)
                .exec_without_returning(&txn)
                .await?;
        }
        let mut changes = Vec::new();
        let mut rows = Vec::new();
        for key in &plan.dirty_ejs {
            let m = plan.ejs.get(key).ok_or(StoreError::NotFound)?;
            let mut am: legal_entity::ActiveModel = m.clone().into();
            am = am.reset_all();
            am.version = Set(m.version + 1);
            am.updated_at = Set(now);
            rows.push(am);
            changes.push(Change {
                action: "legal_entity.import",
                entity_type: "legal_entity",
                entity_id: key.clone(),
                region_code: Some(m.region_code.clone()),
                ej_finess: Some(key.clone()),
                before: plan.before.get(&format!("ej:{key}")).cloned(),
                after: Some(ej_json(m)),
            });
        }
        update_rows(
            &txn,
            rows,
            legal_entity::Column::Id,
            &[legal_entity::Column::CreatedAt],
        )
        .await?;
        let mut rows = Vec::new();
        for key in &plan.dirty_sites {
            let m = plan.sites.get(key).ok_or(StoreError::NotFound)?;
            let mut am: site::ActiveModel = m.clone().into();
            am = am.reset_all();
            am.version = Set(m.version + 1);
            am.updated_at = Set(now);
            rows.push(am);
            changes.push(Change {
                action: "site.import",
                entity_type: "site",
                entity_id: key.clone(),
                region_code: Some(m.region_code.clone()),
                ej_finess: Some(m.ej_finess.clone()),
                before: plan.before.get(&format!("site:{key}")).cloned(),
                after: Some(site_json(m)),
            });
        }
        update_rows(&txn, rows, site::Column::Id, &[site::Column::CreatedAt]).await?;
        for chunk in plan.new_capacities.chunks(500) {
            let models: Vec<_> = chunk
                .iter()
                .map(|m| {
                    let mut am: site_capacity::ActiveModel = m.clone().into();
                    am = am.reset_all();
                    am.id = sea_orm::ActiveValue::NotSet;
                    am
                })
                .collect();
            site_capacity::Entity::insert_many(models)
                .exec_without_returning(&txn)
                .await?;
        }
        let mut rows = Vec::new();
        for (before, after) in &plan.changed_capacities {
            let am: site_capacity::ActiveModel = after.clone().into();
            rows.push(am.reset_all());
            let ej = plan
                .sites
                .get(&after.site_finess)
                .map(|s| (s.region_code.clone(), s.ej_finess.clone()));
            changes.push(Change {
                action: "site_capacity.import",
                entity_type: "site_capacity",
                entity_id: format!("{}/{}", after.site_finess, after.year),
                region_code: ej.as_ref().map(|e| e.0.clone()),
                ej_finess: ej.map(|e| e.1),
                before: Some(serde_json::to_value(capacity_of(before)).unwrap_or_default()),
                after: Some(serde_json::to_value(capacity_of(after)).unwrap_or_default()),
            });
        }
        update_rows(&txn, rows, site_capacity::Column::Id, &[]).await?;
        recompute_bands(&txn, scope).await?;
        let run_id = record_run(&txn, actor, scope, source, &report).await?;
        audit::record_many(&txn, actor, changes).await?;
        txn.commit().await?;
        // A bulk import changes the tables' statistics: refresh them so that the search plans
        // stay good right away (PostgreSQL would otherwise wait for autovacuum).
        let _ = self
            .db()
            .execute_unprepared("ANALYZE legal_entities; ANALYZE sites")
            .await
            .inspect_err(|e| tracing::warn!(error = %e, "ANALYZE after import failed"));
        report.applied = true;
        report.import_id = Some(run_id);
        Ok(report)
    }

    /// The band settings of a region (defaults when the region has none).
    pub async fn band_settings(&self, region: &RegionCode) -> Result<BandSettings, StoreError> {
        Ok(settings_of(
            region_setting::Entity::find_by_id(region.to_string())
                .one(self.db())
                .await?,
        ))
    }

    /// One legal entity with its sites and latest capacities.
    pub async fn legal_entity_detail(
        &self,
        finess: &FinessId,
    ) -> Result<LegalEntityDetail, StoreError> {
        let entity = self
            .get_legal_entity(finess)
            .await?
            .ok_or(StoreError::NotFound)?;
        let sites = site::Entity::find()
            .filter(site::Column::EjFiness.eq(finess.as_str()))
            .order_by_asc(site::Column::Finess)
            .all(self.db())
            .await?;
        let keys: Vec<String> = sites.iter().map(|s| s.finess.clone()).collect();
        // One read for both uses: the latest year of each of its sites (whatever entity
        // declared it then), and the sums per year of what the SAE counted under it (a site
        // since moved to another entity included).
        let caps = site_capacity::Entity::find()
            .filter(
                Condition::any()
                    .add(site_capacity::Column::EjFiness.eq(finess.as_str()))
                    .add_option(
                        (!keys.is_empty()).then(|| site_capacity::Column::SiteFiness.is_in(keys)),
                    ),
            )
            .order_by_asc(site_capacity::Column::Year)
            .all(self.db())
            .await?;
        let mut latest: HashMap<String, (i32, Capacity)> = HashMap::new();
        let current: BTreeSet<&str> = sites.iter().map(|s| s.finess.as_str()).collect();
        for c in &caps {
            if current.contains(c.site_finess.as_str()) {
                latest.insert(c.site_finess.clone(), (c.year, capacity_of(c)));
            }
        }
        let settings = self.band_settings(&entity.region).await?;
        let mut per_year: std::collections::BTreeMap<i32, (Capacity, u32)> = Default::default();
        for c in caps.iter().filter(|c| c.ej_finess == finess.as_str()) {
            let (sum, n) = per_year.entry(c.year).or_default();
            let add = capacity_of(c);
            sum.lit_mco += add.lit_mco;
            sum.cap_complet_tot += add.cap_complet_tot;
            sum.lit_ssr += add.lit_ssr;
            sum.lit_usld += add.lit_usld;
            sum.pla_mco += add.pla_mco;
            sum.platot_had += add.platot_had;
            *n += 1;
        }
        let years = per_year
            .into_iter()
            .rev()
            .map(|(year, (capacity, sites))| {
                let beds = settings.beds(&capacity);
                YearCapacity {
                    year,
                    capacity,
                    beds,
                    band: settings.band(beds),
                    sites,
                }
            })
            .collect();
        let sites = sites.into_iter().map(|s| {
            let cap = latest.get(&s.finess).copied();
            site_from(s, cap)
        });
        Ok(LegalEntityDetail {
            entity,
            sites: sites.collect::<Result<_, _>>()?,
            settings,
            years,
        })
    }

    /// One site with its legal entity and its capacities over the years.
    pub async fn site_detail(&self, finess: &FinessId) -> Result<SiteDetail, StoreError> {
        let m = site::Entity::find()
            .filter(site::Column::Finess.eq(finess.as_str()))
            .one(self.db())
            .await?
            .ok_or(StoreError::NotFound)?;
        let entity = self
            .get_legal_entity(&fid(&m.ej_finess)?)
            .await?
            .ok_or(StoreError::NotFound)?;
        let capacities: Vec<(i32, Capacity)> = site_capacity::Entity::find()
            .filter(site_capacity::Column::SiteFiness.eq(finess.as_str()))
            .order_by_asc(site_capacity::Column::Year)
            .all(self.db())
            .await?
            .iter()
            .map(|c| (c.year, capacity_of(c)))
            .collect();
        let latest = capacities.last().copied();
        Ok(SiteDetail {
            site: site_from(m, latest)?,
            entity,
            capacities,
        })
    }

    /// Number of legal entities and sites (for summaries).
    pub async fn registry_counts(&self) -> Result<(u64, u64, u64), StoreError> {
        Ok((
            legal_entity::Entity::find().count(self.db()).await?,
            site::Entity::find().count(self.db()).await?,
            site_capacity::Entity::find().count(self.db()).await?,
        ))
    }
}

/// For each key, the most frequent value (ties: the smallest value, for determinism).
fn majority(pairs: impl Iterator<Item = (String, String)>) -> HashMap<String, String> {
    let mut counts: HashMap<String, HashMap<String, u32>> = HashMap::new();
    for (k, v) in pairs {
        *counts.entry(k).or_default().entry(v).or_default() += 1;
    }
    counts
        .into_iter()
        .filter_map(|(k, vs)| {
            vs.into_iter()
                .max_by(|a, b| a.1.cmp(&b.1).then_with(|| b.0.cmp(&a.0)))
                .map(|(v, _)| (k, v))
        })
        .collect()
}

fn apply_finess(m: &mut site::Model, r: &FinessSite) {
    m.ej_finess = r.ej.to_string();
    m.name = r.name.clone();
    m.department = r.department.to_owned();
    m.region_code = r.region.to_string();
    m.postal_code = r.postal_code.clone();
    m.city = r.city.clone();
    m.category_label = r.category_label.clone();
    m.siret = r.siret.clone();
}

pub(crate) fn settings_of(row: Option<region_setting::Model>) -> BandSettings {
    row.map_or_else(BandSettings::default, |s| BandSettings {
        columns: s
            .bed_columns
            .split(',')
            .map(|c| c.trim().to_owned())
            .filter(|c| !c.is_empty())
            .collect(),
        lower: s.band_lower,
        upper: s.band_upper,
    })
}

/// Recomputes beds and band of the legal entities (of one region, or all): the sum of the
/// beds of the sites attached to the entity in the latest SAE year available for it (the
/// attachment of that year, which may differ from today's FINESS).
pub(crate) async fn recompute_bands(
    txn: &DatabaseTransaction,
    scope: Option<&RegionCode>,
) -> Result<(), StoreError> {
    let settings: HashMap<String, BandSettings> = region_setting::Entity::find()
        .all(txn)
        .await?
        .into_iter()
        .map(|s| (s.region_code.clone(), settings_of(Some(s))))
        .collect();
    let mut ejs_q = legal_entity::Entity::find();
    if let Some(r) = scope {
        ejs_q = ejs_q.filter(legal_entity::Column::RegionCode.eq(r.as_str()));
    }
    let ejs = ejs_q.all(txn).await?;
    let mut per_ej: HashMap<String, Vec<(i32, Capacity)>> = HashMap::new();
    for c in site_capacity::Entity::find().all(txn).await? {
        per_ej
            .entry(c.ej_finess.clone())
            .or_default()
            .push((c.year, capacity_of(&c)));
    }
    let default = BandSettings::default();
    let mut changed = Vec::new();
    for ej in ejs {
        let s = settings.get(&ej.region_code).unwrap_or(&default);
        let (beds, year) = match per_ej
            .get(&ej.finess)
            .and_then(|caps| caps.iter().map(|(y, _)| *y).max().map(|y| (caps, y)))
        {
            Some((caps, y)) => (
                Some(
                    caps.iter()
                        .filter(|(cy, _)| *cy == y)
                        .map(|(_, c)| s.beds(c))
                        .sum::<i64>(),
                ),
                Some(y),
            ),
            None => (None, None),
        };
        let band = beds.map(|b| s.band(b).as_str().to_owned());
        if ej.beds != beds || ej.beds_year != year || ej.size_band != band {
            let mut am: legal_entity::ActiveModel = ej.into();
            am = am.reset_all();
            am.beds = Set(beds);
            am.beds_year = Set(year);
            am.size_band = Set(band);
            changed.push(am);
        }
    }
    // Only the three computed columns are written back.
    let kept: Vec<legal_entity::Column> = legal_entity::Column::iter()
        .filter(|c| {
            !matches!(
                c,
                legal_entity::Column::Beds
                    | legal_entity::Column::BedsYear
                    | legal_entity::Column::SizeBand
            )
        })
        .collect();
    update_rows(txn, changed, legal_entity::Column::Id, &kept).await
}

/// Writes rows that already exist (their id is set) in statements of 500 rows,
/// `INSERT … ON CONFLICT (id) DO UPDATE`, instead of one `UPDATE` per row; every column but
/// `id` and those in `keep` is overwritten.
async fn update_rows<A>(
    txn: &DatabaseTransaction,
    rows: Vec<A>,
    id: <A::Entity as EntityTrait>::Column,
    keep: &[<A::Entity as EntityTrait>::Column],
) -> Result<(), StoreError>
where
    A: ActiveModelTrait + Send,
{
    let written: Vec<_> = <A::Entity as EntityTrait>::Column::iter()
        .filter(|c| c.as_str() != id.as_str() && !keep.iter().any(|k| k.as_str() == c.as_str()))
        .collect();
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<A> = rows.by_ref().take(500).collect();
        <A::Entity as EntityTrait>::insert_many(chunk)
            .on_conflict(
                sea_orm::sea_query::OnConflict::column(id)
                    .update_columns(written.clone())
                    .to_owned(),
            )
            .exec_without_returning(txn)
            .await?;
    }
    Ok(())
}

/// Records an applied import in the history, with its audit row.
pub(crate) async fn record_run(
    txn: &DatabaseTransaction,
    actor: &AuditActor,
    scope: Option<&RegionCode>,
    source: &ImportSource,
    report: &ImportReport,
) -> Result<i64, StoreError> {
    let run = import_run::ActiveModel {
        kind: Set(report.kind.as_str().to_owned()),
        file_name: Set(source.file_name.clone()),
        checksum: Set(source.checksum.clone()),
        at: Set(Utc::now()),
        actor_user_id: Set(actor.user_id),
        actor_label: Set(actor.label.clone()),
        region_code: Set(scope.map(ToString::to_string)),
        created: Set(report.created as i64),
        updated: Set(report.updated as i64),
        unchanged: Set(report.unchanged as i64),
        rejected: Set(0),
        skipped: Set(report.skipped.len() as i64),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    audit::record(
        txn,
        actor,
        Change {
            action: "import.apply",
            entity_type: "import_run",
            entity_id: run.id.to_string(),
            region_code: scope.map(ToString::to_string),
            ej_finess: None,
            before: None,
            after: Some(serde_json::json!({"kind": report.kind.as_str(), "file": source.file_name, "checksum": source.checksum,
                "created": report.created, "updated": report.updated, "unchanged": report.unchanged, "skipped": report.skipped.len()})),
        },
    )
    .await?;
    Ok(run.id)
}

/// A report with no line counted yet.
pub(crate) fn empty_report(kind: ImportKind, source: &ImportSource) -> ImportReport {
    ImportReport {
        kind,
        file_name: source.file_name.clone(),
        checksum: source.checksum.clone(),
        created: 0,
        updated: 0,
        unchanged: 0,
        rejected: vec![],
        skipped: vec![],
        entities_created: 0,
        applied: false,
        import_id: None,
    }
}
