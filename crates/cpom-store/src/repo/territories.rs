//! Attributes of the registry that change over time, each with its validity period:
//! authorisations of care activities per site, labels of legal entities, GHT and their
//! members. Imports of the two templates the ARS fills (planned in memory, previewed, then
//! applied all or nothing, like the FINESS and SAE imports), hand edits of GHT and labels,
//! and the reads of the legal entity, site and GHT pages.
//!
//! Periods are never deleted: a changed authorisation end date updates its period, a new
//! start of validity adds a period, and ending a label or a membership sets its last day.
//! That is the history a past year is judged with.

use std::collections::{BTreeSet, HashMap, HashSet};

use chrono::{NaiveDate, Utc};
use cpom_domain::policy::GhtScope;
use cpom_domain::territory::{
    Label, LabelPeriod, Membership, Period, check_label, check_membership, ght_code, ght_name,
};
use cpom_domain::{DomainError, FinessId, RegionCode, ScopeFilter};
use cpom_import::Parsed;
use cpom_import::authorisations::Authorisation;
use cpom_import::ght::GhtMember as GhtLine;
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde::Serialize;

use super::legal_entities::corrupt;
use super::registry::{ImportKind, ImportReport, ImportSource, empty_report, record_run};
use crate::audit::{self, AuditActor, Change};
use crate::entity::{authorisation, entity_label, ght, ght_membership, legal_entity, site};
use crate::{Rejection, Store, StoreError};

/// The CSV template of authorisations the ARS fills (header and three example lines).
pub const AUTHORISATIONS_TEMPLATE: &str = cpom_import::authorisations::TEMPLATE;
/// The CSV template of GHT members the ARS fills (header and one real GHT of Occitanie).
pub const GHT_TEMPLATE: &str = cpom_import::ght::TEMPLATE;

/// An authorisation of a care activity on a site, over its validity period.
#[derive(Debug, Clone, Serialize)]
pub struct AuthorisationRecord {
    /// Id.
    pub id: i64,
    /// FINESS ET of the site.
    pub site: FinessId,
    /// Name of the site.
    pub site_name: String,
    /// FINESS EJ of the holder.
    pub ej: FinessId,
    /// Activity code.
    pub activity_code: String,
    /// Activity label.
    pub activity_label: String,
    /// Modality code.
    pub modality_code: Option<String>,
    /// Modality label.
    pub modality_label: Option<String>,
    /// Form code.
    pub form_code: Option<String>,
    /// Form label.
    pub form_label: Option<String>,
    /// Number of the authorisation.
    pub number: Option<String>,
    /// Date of the decision.
    pub granted_on: Option<NaiveDate>,
    /// Validity.
    pub period: Period,
}

/// A label of a legal entity over a period.
#[derive(Debug, Clone, Serialize)]
pub struct EntityLabel {
    /// Id.
    pub id: i64,
    /// Legal entity.
    pub ej: FinessId,
    /// The label.
    pub label: Label,
    /// Validity.
    pub period: Period,
    /// Note of the ARS (decision, reference…).
    pub note: Option<String>,
    /// Version, for changes.
    pub version: i64,
}

/// One membership of a legal entity in a GHT.
#[derive(Debug, Clone, Serialize)]
pub struct GhtMember {
    /// Id.
    pub id: i64,
    /// Code of the GHT.
    pub ght_code: String,
    /// Name of the GHT.
    pub ght_name: String,
    /// Member legal entity.
    pub ej: FinessId,
    /// Its name.
    pub ej_name: String,
    /// Whether it is the support establishment.
    pub support: bool,
    /// Validity.
    pub period: Period,
    /// Version of the membership.
    pub version: i64,
}

/// A GHT with its members over time.
#[derive(Debug, Clone, Serialize)]
pub struct Ght {
    /// Code.
    pub code: String,
    /// Name.
    pub name: String,
    /// Region.
    pub region: RegionCode,
    /// Version: every change of the GHT or its members increments it.
    pub version: i64,
    /// Memberships, current and past (support first, then by name and start).
    pub members: Vec<GhtMember>,
}

impl Ght {
    /// The scope the policy judges the GHT with.
    pub fn scope(&self) -> GhtScope {
        let mut members: Vec<FinessId> = self.members.iter().map(|m| m.ej.clone()).collect();
        members.sort();
        members.dedup();
        GhtScope {
            region: self.region.clone(),
            members,
        }
    }

    /// The memberships as the domain rules see them.
    pub fn memberships(&self) -> Vec<Membership> {
        self.members.iter().map(GhtMember::membership).collect()
    }
}

impl GhtMember {
    /// The membership as the domain rules see it.
    pub fn membership(&self) -> Membership {
        Membership {
            id: Some(self.id),
            ght: self.ght_code.clone(),
            ej: self.ej.clone(),
            support: self.support,
            period: self.period,
        }
    }
}

/// A GHT in listings, as of one day.
#[derive(Debug, Clone, Serialize)]
pub struct GhtSummary {
    /// Code.
    pub code: String,
    /// Name.
    pub name: String,
    /// Region.
    pub region: RegionCode,
    /// Members in force that day.
    pub members_in_force: u64,
    /// Support in force that day (FINESS EJ, name).
    pub support: Option<(FinessId, String)>,
}

/// What changes over time on a legal entity: labels, authorisations (as holder), GHT
/// memberships, and the supports of the GHT it belongs or belonged to.
#[derive(Debug, Clone, Serialize, Default)]
pub struct EntityTerritory {
    /// Labels, current and past.
    pub labels: Vec<EntityLabel>,
    /// Authorisations held, current and past, by site.
    pub authorisations: Vec<AuthorisationRecord>,
    /// Memberships of GHT, newest first.
    pub memberships: Vec<GhtMember>,
    /// Support memberships of those GHT, over time.
    pub supports: Vec<GhtMember>,
}

fn invalid(e: DomainError) -> StoreError {
    StoreError::Invalid {
        field: e.field,
        message: e.message,
    }
}

fn fid(s: &str) -> Result<FinessId, StoreError> {
    FinessId::parse(s).map_err(corrupt)
}

fn blank_none(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.to_owned())
}

fn rejection(line: u64, column: &str, reason: impl Into<String>) -> Rejection {
    Rejection {
        line,
        column: Some(column.to_owned()),
        reason: reason.into(),
    }
}

type AuthKey = (String, String, String, String, NaiveDate);

fn auth_key(m: &authorisation::Model) -> AuthKey {
    (
        m.site_finess.clone(),
        m.activity_code.clone(),
        m.modality_code.clone(),
        m.form_code.clone(),
        m.valid_from,
    )
}

fn auth_id(m: &authorisation::Model) -> String {
    format!(
        "{}/{}/{}/{}/{}",
        m.site_finess, m.activity_code, m.modality_code, m.form_code, m.valid_from
    )
}

fn auth_json(m: &authorisation::Model) -> serde_json::Value {
    serde_json::json!({"site": m.site_finess, "ej": m.ej_finess, "activity": [m.activity_code, m.activity_label],
        "modality": [m.modality_code, m.modality_label], "form": [m.form_code, m.form_label], "number": m.number,
        "granted_on": m.granted_on, "valid_from": m.valid_from, "valid_to": m.valid_to})
}

/// Whether an import line would change nothing on a stored authorisation.
fn same_authorisation(a: &authorisation::Model, b: &authorisation::Model) -> bool {
    a.ej_finess == b.ej_finess
        && a.region_code == b.region_code
        && a.activity_label == b.activity_label
        && a.modality_label == b.modality_label
        && a.form_label == b.form_label
        && a.number == b.number
        && a.granted_on == b.granted_on
        && a.valid_to == b.valid_to
}

fn membership_id(m: &ght_membership::Model) -> String {
    format!("{}/{}/{}", m.ght_code, m.ej_finess, m.valid_from)
}

fn membership_json(m: &ght_membership::Model) -> serde_json::Value {
    serde_json::json!({"ght": m.ght_code, "ej": m.ej_finess, "support": m.support, "valid_from": m.valid_from, "valid_to": m.valid_to})
}

fn label_json(m: &entity_label::Model) -> serde_json::Value {
    serde_json::json!({"label": m.label_code, "valid_from": m.valid_from, "valid_to": m.valid_to, "note": m.note})
}

fn membership_of(m: &ght_membership::Model) -> Result<Membership, StoreError> {
    Ok(Membership {
        id: Some(m.id),
        ght: m.ght_code.clone(),
        ej: fid(&m.ej_finess)?,
        support: m.support,
        period: Period {
            from: m.valid_from,
            to: m.valid_to,
        },
    })
}

fn label_of(m: entity_label::Model) -> Result<EntityLabel, StoreError> {
    Ok(EntityLabel {
        id: m.id,
        ej: fid(&m.ej_finess)?,
        label: Label::parse(&m.label_code).map_err(corrupt)?,
        period: Period {
            from: m.valid_from,
            to: m.valid_to,
        },
        note: m.note,
        version: m.version,
    })
}

fn authorisation_of(
    m: authorisation::Model,
    site_names: &HashMap<String, String>,
) -> Result<AuthorisationRecord, StoreError> {
    Ok(AuthorisationRecord {
        id: m.id,
        site: fid(&m.site_finess)?,
        site_name: site_names.get(&m.site_finess).cloned().unwrap_or_default(),
        ej: fid(&m.ej_finess)?,
        activity_code: m.activity_code,
        activity_label: m.activity_label,
        modality_code: blank_none(&m.modality_code),
        modality_label: m.modality_label,
        form_code: blank_none(&m.form_code),
        form_label: m.form_label,
        number: m.number,
        granted_on: m.granted_on,
        period: Period {
            from: m.valid_from,
            to: m.valid_to,
        },
    })
}

/// Names of legal entities, by FINESS.
async fn ej_names<C: ConnectionTrait>(
    conn: &C,
    finess: Vec<String>,
) -> Result<HashMap<String, String>, StoreError> {
    let mut names = HashMap::new();
    for chunk in finess.chunks(500) {
        let rows: Vec<(String, String)> = legal_entity::Entity::find()
            .select_only()
            .column(legal_entity::Column::Finess)
            .column(legal_entity::Column::Name)
            .filter(legal_entity::Column::Finess.is_in(chunk.to_vec()))
            .into_tuple()
            .all(conn)
            .await?;
        names.extend(rows);
    }
    Ok(names)
}

/// Memberships as read, with the names of their GHT and legal entities.
async fn members_of<C: ConnectionTrait>(
    conn: &C,
    rows: Vec<ght_membership::Model>,
) -> Result<Vec<GhtMember>, StoreError> {
    if rows.is_empty() {
        return Ok(vec![]);
    }
    let codes: BTreeSet<String> = rows.iter().map(|m| m.ght_code.clone()).collect();
    let ght_names: HashMap<String, String> = ght::Entity::find()
        .filter(ght::Column::Code.is_in(codes))
        .all(conn)
        .await?
        .into_iter()
        .map(|g| (g.code, g.name))
        .collect();
    let names = ej_names(conn, rows.iter().map(|m| m.ej_finess.clone()).collect()).await?;
    rows.into_iter()
        .map(|m| {
            Ok(GhtMember {
                id: m.id,
                ght_name: ght_names.get(&m.ght_code).cloned().unwrap_or_default(),
                ej: fid(&m.ej_finess)?,
                ej_name: names.get(&m.ej_finess).cloned().unwrap_or_default(),
                ght_code: m.ght_code,
                support: m.support,
                period: Period {
                    from: m.valid_from,
                    to: m.valid_to,
                },
                version: m.version,
            })
        })
        .collect()
}

/// An active model to insert: every column set but the id, which the database gives.
fn new_model<A: ActiveModelTrait>(am: A) -> A {
    use sea_orm::{Iterable, PrimaryKeyToColumn};
    let mut am = am.reset_all();
    for key in <A::Entity as EntityTrait>::PrimaryKey::iter() {
        am.not_set(key.into_column());
    }
    am
}

impl Store {
    /// Imports authorisations of care activities (the ARS template). A line needs its site
    /// and legal entity in the registry; an authorisation in force today must be held by the
    /// site's legal entity. Key: site, activity, modality, form and start of validity; a
    /// known key with another end date, number or label is an update; periods absent from
    /// the file stay (they are the history).
    pub async fn import_authorisations(
        &self,
        actor: &AuditActor,
        scope: Option<&RegionCode>,
        source: &ImportSource,
        parsed: Parsed<Authorisation>,
        apply: bool,
    ) -> Result<ImportReport, StoreError> {
        let txn = self.begin().await?;
        let now = Utc::now();
        let today = now.date_naive();
        let sites: HashMap<String, site::Model> = site::Entity::find()
            .all(&txn)
            .await?
            .into_iter()
            .map(|m| (m.finess.clone(), m))
            .collect();
        let ejs: HashSet<String> = legal_entity::Entity::find()
            .select_only()
            .column(legal_entity::Column::Finess)
            .into_tuple::<String>()
            .all(&txn)
            .await?
            .into_iter()
            .collect();
        let existing: HashMap<AuthKey, authorisation::Model> = authorisation::Entity::find()
            .all(&txn)
            .await?
            .into_iter()
            .map(|m| (auth_key(&m), m))
            .collect();
        let mut report = empty_report(ImportKind::Authorisations, source);
        report.rejected = parsed.rejected;
        report.skipped = parsed.skipped;
        let mut created = Vec::new();
        let mut changed = Vec::new();
        for (line, a) in parsed.records {
            if scope.is_some_and(|r| *r != a.region) {
                report.skipped.push(Rejection {
                    line,
                    column: None,
                    reason: format!(
                        "site de la région {}, hors de votre région",
                        a.region.name()
                    ),
                });
                continue;
            }
            let Some(site) = sites.get(a.site.as_str()) else {
                report.rejected.push(rejection(
                    line,
                    "finess_et",
                    format!(
                        "site FINESS {} inconnu du registre : importez d'abord le fichier FINESS",
                        a.site
                    ),
                ));
                continue;
            };
            if !ejs.contains(a.ej.as_str()) {
                report.rejected.push(rejection(
                    line,
                    "finess_ej",
                    format!(
                        "entité juridique FINESS {} inconnue du registre : importez d'abord le fichier FINESS",
                        a.ej
                    ),
                ));
                continue;
            }
            let period = Period {
                from: a.valid_from,
                to: a.valid_to,
            };
            if site.ej_finess != a.ej.as_str() && period.contains(today) {
                report.rejected.push(rejection(
                    line,
                    "finess_ej",
                    format!(
                        "le site {} est rattaché à l'EJ {} dans le registre, pas à l'EJ {} : une autorisation en vigueur est portée par l'entité juridique du site",
                        a.site, site.ej_finess, a.ej
                    ),
                ));
                continue;
            }
            let next = authorisation::Model {
                id: 0,
                site_finess: a.site.to_string(),
                ej_finess: a.ej.to_string(),
                region_code: site.region_code.clone(),
                activity_code: a.activity_code,
                activity_label: a.activity_label,
                modality_code: a.modality_code.unwrap_or_default(),
                modality_label: a.modality_label,
                form_code: a.form_code.unwrap_or_default(),
                form_label: a.form_label,
                number: a.number,
                granted_on: a.granted_on,
                valid_from: a.valid_from,
                valid_to: a.valid_to,
                version: 1,
                created_at: now,
                updated_at: now,
            };
            match existing.get(&auth_key(&next)) {
                None => created.push(next),
                Some(cur) if same_authorisation(cur, &next) => report.unchanged += 1,
                Some(cur) => changed.push((
                    cur.clone(),
                    authorisation::Model {
                        id: cur.id,
                        version: cur.version + 1,
                        created_at: cur.created_at,
                        ..next
                    },
                )),
            }
        }
        report.created = created.len() as u64;
        report.updated = changed.len() as u64;
        report.rejected.sort_by_key(|r| r.line);
        if !apply || !report.rejected.is_empty() {
            txn.rollback().await?;
            return Ok(report);
        }
        let mut changes = Vec::new();
        for chunk in created.chunks(500) {
            let models: Vec<authorisation::ActiveModel> = chunk
                .iter()
                .map(|m| new_model(authorisation::ActiveModel::from(m.clone())))
                .collect();
            authorisation::Entity::insert_many(models)
                .exec_without_returning(&txn)
                .await?;
        }
        for m in &created {
            changes.push(Change {
                action: "authorisation.create",
                entity_type: "authorisation",
                entity_id: auth_id(m),
                region_code: Some(m.region_code.clone()),
                ej_finess: Some(m.ej_finess.clone()),
                before: None,
                after: Some(auth_json(m)),
            });
        }
        for (before, after) in &changed {
            authorisation::ActiveModel::from(after.clone())
                .reset_all()
                .update(&txn)
                .await?;
            changes.push(Change {
                action: "authorisation.update",
                entity_type: "authorisation",
                entity_id: auth_id(after),
                region_code: Some(after.region_code.clone()),
                ej_finess: Some(after.ej_finess.clone()),
                before: Some(auth_json(before)),
                after: Some(auth_json(after)),
            });
        }
        let id = record_run(&txn, actor, scope, source, &report).await?;
        audit::record_many(&txn, actor, changes).await?;
        txn.commit().await?;
        report.applied = true;
        report.import_id = Some(id);
        Ok(report)
    }

    /// Imports GHT and their members (the ARS template). A line needs its legal entity in
    /// the registry; the GHT is created with the region of its first member, or renamed;
    /// memberships are keyed by GHT, legal entity and start, and must keep the rules of
    /// [`check_membership`] against every stored membership.
    pub async fn import_ght(
        &self,
        actor: &AuditActor,
        scope: Option<&RegionCode>,
        source: &ImportSource,
        parsed: Parsed<GhtLine>,
        apply: bool,
    ) -> Result<ImportReport, StoreError> {
        let txn = self.begin().await?;
        let now = Utc::now();
        let ej_regions: HashMap<String, String> = legal_entity::Entity::find()
            .select_only()
            .column(legal_entity::Column::Finess)
            .column(legal_entity::Column::RegionCode)
            .into_tuple::<(String, String)>()
            .all(&txn)
            .await?
            .into_iter()
            .collect();
        let mut ghts: HashMap<String, ght::Model> = ght::Entity::find()
            .all(&txn)
            .await?
            .into_iter()
            .map(|g| (g.code.clone(), g))
            .collect();
        let stored: Vec<ght_membership::Model> = ght_membership::Entity::find().all(&txn).await?;
        let by_key: HashMap<(String, String, NaiveDate), usize> = stored
            .iter()
            .enumerate()
            .map(|(i, m)| ((m.ght_code.clone(), m.ej_finess.clone(), m.valid_from), i))
            .collect();
        let mut report = empty_report(ImportKind::Ght, source);
        report.rejected = parsed.rejected;
        report.skipped = parsed.skipped;
        let mut new_ghts: Vec<String> = Vec::new();
        let mut renamed: HashMap<String, String> = HashMap::new();
        // (line, next row, index of the stored row)
        let mut planned: Vec<(u64, ght_membership::Model, Option<usize>)> = Vec::new();
        for (line, m) in parsed.records {
            if scope.is_some_and(|r| *r != m.region) {
                report.skipped.push(Rejection {
                    line,
                    column: None,
                    reason: format!(
                        "entité juridique de la région {}, hors de votre région",
                        m.region.name()
                    ),
                });
                continue;
            }
            let code = match ght_code(&m.ght_code) {
                Ok(c) => c,
                Err(e) => {
                    report.rejected.push(rejection(line, "code_ght", e.message));
                    continue;
                }
            };
            let name = match ght_name(&m.ght_name) {
                Ok(n) => n,
                Err(e) => {
                    report.rejected.push(rejection(line, "nom_ght", e.message));
                    continue;
                }
            };
            let Some(ej_region) = ej_regions.get(m.ej.as_str()) else {
                report.rejected.push(rejection(
                    line,
                    "finess_ej",
                    format!(
                        "entité juridique FINESS {} inconnue du registre : importez d'abord le fichier FINESS",
                        m.ej
                    ),
                ));
                continue;
            };
            match ghts.get_mut(&code) {
                None => {
                    ghts.insert(
                        code.clone(),
                        ght::Model {
                            id: 0,
                            code: code.clone(),
                            name,
                            region_code: ej_region.clone(),
                            version: 1,
                            created_at: now,
                            updated_at: now,
                        },
                    );
                    new_ghts.push(code.clone());
                }
                Some(g) if g.name != name => {
                    if new_ghts.contains(&code) || renamed.contains_key(&code) {
                        report.rejected.push(rejection(
                            line,
                            "nom_ght",
                            format!(
                                "le GHT {code} s'appelle « {} » plus haut dans le fichier, pas « {name} »",
                                g.name
                            ),
                        ));
                        continue;
                    }
                    renamed.insert(code.clone(), g.name.clone());
                    g.name = name;
                }
                Some(_) => {}
            }
            let index = by_key
                .get(&(code.clone(), m.ej.to_string(), m.valid_from))
                .copied();
            let next = match index.map(|i| &stored[i]) {
                Some(cur) => ght_membership::Model {
                    support: m.support,
                    valid_to: m.valid_to,
                    version: cur.version + 1,
                    updated_at: now,
                    ..cur.clone()
                },
                None => ght_membership::Model {
                    id: 0,
                    ght_code: code,
                    ej_finess: m.ej.to_string(),
                    support: m.support,
                    valid_from: m.valid_from,
                    valid_to: m.valid_to,
                    version: 1,
                    created_at: now,
                    updated_at: now,
                },
            };
            planned.push((line, next, index));
        }
        // The rules hold on the state after the import: stored memberships with the file's
        // changes, plus its new ones.
        let mut after: Vec<Membership> = Vec::with_capacity(stored.len() + planned.len());
        let replaced: HashSet<usize> = planned.iter().filter_map(|(_, _, i)| *i).collect();
        for (i, m) in stored.iter().enumerate() {
            if !replaced.contains(&i) {
                after.push(membership_of(m)?);
            }
        }
        for (_, next, _) in &planned {
            let mut m = membership_of(next)?;
            m.id = (next.id != 0).then_some(next.id);
            after.push(m);
        }
        let mut counted_renames: HashSet<String> = HashSet::new();
        let mut inserts = Vec::new();
        let mut updates = Vec::new();
        for (line, next, index) in planned {
            let mut candidate = membership_of(&next)?;
            candidate.id = (next.id != 0).then_some(next.id);
            let ght_region = ghts
                .get(&next.ght_code)
                .map(|g| g.region_code.clone())
                .unwrap_or_default();
            let (Ok(ght_region), Some(Ok(ej_region))) = (
                RegionCode::parse(&ght_region),
                ej_regions
                    .get(&next.ej_finess)
                    .map(|r| RegionCode::parse(r)),
            ) else {
                return Err(StoreError::Invalid {
                    field: "region",
                    message: format!("région invalide pour le GHT {}", next.ght_code),
                });
            };
            if let Err(e) = check_membership(&ght_region, &ej_region, &after, &candidate) {
                let column = if e.field == "support" {
                    "role"
                } else {
                    "finess_ej"
                };
                report.rejected.push(rejection(line, column, e.message));
                continue;
            }
            match index.map(|i| &stored[i]) {
                None => {
                    report.created += 1;
                    inserts.push(next);
                }
                Some(cur) if cur.support != next.support || cur.valid_to != next.valid_to => {
                    report.updated += 1;
                    updates.push((cur.clone(), next));
                }
                Some(_) => {
                    if renamed.contains_key(&next.ght_code)
                        && counted_renames.insert(next.ght_code.clone())
                    {
                        report.updated += 1;
                    } else {
                        report.unchanged += 1;
                    }
                }
            }
        }
        report.rejected.sort_by_key(|r| r.line);
        if !apply || !report.rejected.is_empty() {
            txn.rollback().await?;
            return Ok(report);
        }
        let mut changes = Vec::new();
        for code in &new_ghts {
            let Some(g) = ghts.get(code) else { continue };
            new_model(ght::ActiveModel::from(g.clone()))
                .insert(&txn)
                .await?;
            changes.push(Change {
                action: "ght.create",
                entity_type: "ght",
                entity_id: g.code.clone(),
                region_code: Some(g.region_code.clone()),
                ej_finess: None,
                before: None,
                after: Some(serde_json::json!({"code": g.code, "name": g.name})),
            });
        }
        let touched: BTreeSet<String> = inserts
            .iter()
            .chain(updates.iter().map(|(_, n)| n))
            .map(|m| m.ght_code.clone())
            .chain(renamed.keys().cloned())
            .filter(|c| !new_ghts.contains(c))
            .collect();
        for code in &touched {
            let Some(g) = ghts.get(code) else { continue };
            ght::Entity::update_many()
                .col_expr(ght::Column::Name, Expr::value(g.name.clone()))
                .col_expr(ght::Column::Version, Expr::col(ght::Column::Version).add(1))
                .col_expr(ght::Column::UpdatedAt, Expr::value(now))
                .filter(ght::Column::Code.eq(code.as_str()))
                .exec(&txn)
                .await?;
            if let Some(before) = renamed.get(code) {
                changes.push(Change {
                    action: "ght.update",
                    entity_type: "ght",
                    entity_id: code.clone(),
                    region_code: Some(g.region_code.clone()),
                    ej_finess: None,
                    before: Some(serde_json::json!({"code": code, "name": before})),
                    after: Some(serde_json::json!({"code": code, "name": g.name})),
                });
            }
        }
        for chunk in inserts.chunks(500) {
            let models: Vec<ght_membership::ActiveModel> = chunk
                .iter()
                .map(|m| new_model(ght_membership::ActiveModel::from(m.clone())))
                .collect();
            ght_membership::Entity::insert_many(models)
                .exec_without_returning(&txn)
                .await?;
        }
        let region_of = |code: &str| ghts.get(code).map(|g| g.region_code.clone());
        for m in &inserts {
            changes.push(Change {
                action: "ght_membership.create",
                entity_type: "ght_membership",
                entity_id: membership_id(m),
                region_code: region_of(&m.ght_code),
                ej_finess: Some(m.ej_finess.clone()),
                before: None,
                after: Some(membership_json(m)),
            });
        }
        for (before, after) in &updates {
            ght_membership::ActiveModel::from(after.clone())
                .reset_all()
                .update(&txn)
                .await?;
            changes.push(Change {
                action: "ght_membership.update",
                entity_type: "ght_membership",
                entity_id: membership_id(after),
                region_code: region_of(&after.ght_code),
                ej_finess: Some(after.ej_finess.clone()),
                before: Some(membership_json(before)),
                after: Some(membership_json(after)),
            });
        }
        let id = record_run(&txn, actor, scope, source, &report).await?;
        audit::record_many(&txn, actor, changes).await?;
        txn.commit().await?;
        report.applied = true;
        report.import_id = Some(id);
        Ok(report)
    }

    /// GHT visible through `scope` (a legal entity sees the GHT it is or was a member of),
    /// by name, with their members and support in force on `on`.
    pub async fn list_ghts(
        &self,
        scope: &ScopeFilter,
        on: NaiveDate,
    ) -> Result<Vec<GhtSummary>, StoreError> {
        let mut q = ght::Entity::find();
        q = match scope {
            ScopeFilter::All => q,
            ScopeFilter::Region(r) => q.filter(ght::Column::RegionCode.eq(r.as_str())),
            ScopeFilter::LegalEntity(ej) => q.filter(
                ght::Column::Code.in_subquery(
                    Query::select()
                        .column(ght_membership::Column::GhtCode)
                        .from(ght_membership::Entity)
                        .and_where(ght_membership::Column::EjFiness.eq(ej.as_str()))
                        .to_owned(),
                ),
            ),
            ScopeFilter::Nothing => return Ok(vec![]),
        };
        let ghts = q
            .order_by_asc(ght::Column::Name)
            .order_by_asc(ght::Column::Code)
            .all(self.db())
            .await?;
        let codes: Vec<String> = ghts.iter().map(|g| g.code.clone()).collect();
        let mut in_force: Vec<ght_membership::Model> = Vec::new();
        for chunk in codes.chunks(500) {
            in_force.extend(
                ght_membership::Entity::find()
                    .filter(ght_membership::Column::GhtCode.is_in(chunk.to_vec()))
                    .filter(ght_membership::Column::ValidFrom.lte(on))
                    .filter(
                        Condition::any()
                            .add(ght_membership::Column::ValidTo.is_null())
                            .add(ght_membership::Column::ValidTo.gte(on)),
                    )
                    .all(self.db())
                    .await?,
            );
        }
        let supports: Vec<String> = in_force
            .iter()
            .filter(|m| m.support)
            .map(|m| m.ej_finess.clone())
            .collect();
        let names = ej_names(self.db(), supports).await?;
        ghts.into_iter()
            .map(|g| {
                let members: Vec<&ght_membership::Model> =
                    in_force.iter().filter(|m| m.ght_code == g.code).collect();
                let support = match members.iter().find(|m| m.support) {
                    Some(m) => Some((
                        fid(&m.ej_finess)?,
                        names.get(&m.ej_finess).cloned().unwrap_or_default(),
                    )),
                    None => None,
                };
                Ok(GhtSummary {
                    region: RegionCode::parse(&g.region_code).map_err(corrupt)?,
                    members_in_force: members.len() as u64,
                    support,
                    code: g.code,
                    name: g.name,
                })
            })
            .collect()
    }

    /// One GHT with all its memberships.
    pub async fn ght_detail(&self, code: &str) -> Result<Ght, StoreError> {
        ght_detail_on(self.db(), code).await
    }

    /// Creates a GHT of `region` (code and name checked by the domain rules); audited.
    pub async fn create_ght(
        &self,
        actor: &AuditActor,
        code: &str,
        name: &str,
        region: &RegionCode,
    ) -> Result<Ght, StoreError> {
        let code = ght_code(code).map_err(invalid)?;
        let name = ght_name(name).map_err(invalid)?;
        let txn = self.begin().await?;
        let now = Utc::now();
        let model = ght::ActiveModel {
            code: Set(code.clone()),
            name: Set(name.clone()),
            region_code: Set(region.to_string()),
            version: Set(1),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await
        .map_err(|e| {
            StoreError::unique(
                e,
                "code",
                &format!("code du GHT : le code {code} est déjà utilisé"),
            )
        })?;
        audit::record(
            &txn,
            actor,
            Change {
                action: "ght.create",
                entity_type: "ght",
                entity_id: model.code.clone(),
                region_code: Some(model.region_code.clone()),
                ej_finess: None,
                before: None,
                after: Some(serde_json::json!({"code": model.code, "name": model.name})),
            },
        )
        .await?;
        txn.commit().await?;
        self.ght_detail(&code).await
    }

    /// Adds a member to a GHT read at `version`, after checking the membership rules
    /// against every stored membership; audited, on the member's legal entity.
    pub async fn add_ght_member(
        &self,
        actor: &AuditActor,
        code: &str,
        ej: &FinessId,
        support: bool,
        period: Period,
        version: i64,
    ) -> Result<GhtMember, StoreError> {
        let txn = self.begin().await?;
        let g = ght_detail_on(&txn, code).await?;
        check_version(&g, version)?;
        let entity = legal_entity::Entity::find()
            .filter(legal_entity::Column::Finess.eq(ej.as_str()))
            .one(&txn)
            .await?
            .ok_or_else(|| StoreError::Invalid {
                field: "ej",
                message: format!("entité juridique : le FINESS {ej} est inconnu du registre"),
            })?;
        let ej_region = RegionCode::parse(&entity.region_code).map_err(corrupt)?;
        let others = ght_membership::Entity::find()
            .filter(
                Condition::any()
                    .add(ght_membership::Column::EjFiness.eq(ej.as_str()))
                    .add(ght_membership::Column::GhtCode.eq(g.code.as_str())),
            )
            .all(&txn)
            .await?
            .iter()
            .map(membership_of)
            .collect::<Result<Vec<_>, _>>()?;
        let candidate = Membership {
            id: None,
            ght: g.code.clone(),
            ej: ej.clone(),
            support,
            period,
        };
        check_membership(&g.region, &ej_region, &others, &candidate).map_err(invalid)?;
        bump_ght(&txn, &g.code, version).await?;
        let now = Utc::now();
        let model = ght_membership::ActiveModel {
            ght_code: Set(g.code.clone()),
            ej_finess: Set(ej.to_string()),
            support: Set(support),
            valid_from: Set(period.from),
            valid_to: Set(period.to),
            version: Set(1),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        audit::record(
            &txn,
            actor,
            Change {
                action: "ght_membership.create",
                entity_type: "ght_membership",
                entity_id: membership_id(&model),
                region_code: Some(g.region.to_string()),
                ej_finess: Some(model.ej_finess.clone()),
                before: None,
                after: Some(membership_json(&model)),
            },
        )
        .await?;
        let member = members_of(&txn, vec![model]).await?.pop();
        txn.commit().await?;
        member.ok_or(StoreError::NotFound)
    }

    /// Ends a membership of a GHT read at `version`: its last day becomes `valid_to`;
    /// audited, on the member's legal entity.
    pub async fn end_ght_member(
        &self,
        actor: &AuditActor,
        code: &str,
        id: i64,
        valid_to: NaiveDate,
        version: i64,
    ) -> Result<GhtMember, StoreError> {
        let txn = self.begin().await?;
        let g = ght_detail_on(&txn, code).await?;
        check_version(&g, version)?;
        let current = ght_membership::Entity::find_by_id(id)
            .filter(ght_membership::Column::GhtCode.eq(g.code.as_str()))
            .one(&txn)
            .await?
            .ok_or(StoreError::NotFound)?;
        let period = Period::new(current.valid_from, Some(valid_to)).map_err(invalid)?;
        let entity_region = ej_region(&txn, &current.ej_finess).await?;
        let others = ght_membership::Entity::find()
            .filter(
                Condition::any()
                    .add(ght_membership::Column::EjFiness.eq(current.ej_finess.as_str()))
                    .add(ght_membership::Column::GhtCode.eq(g.code.as_str())),
            )
            .all(&txn)
            .await?
            .iter()
            .map(membership_of)
            .collect::<Result<Vec<_>, _>>()?;
        let mut candidate = membership_of(&current)?;
        candidate.period = period;
        check_membership(&g.region, &entity_region, &others, &candidate).map_err(invalid)?;
        bump_ght(&txn, &g.code, version).await?;
        let mut am: ght_membership::ActiveModel = current.clone().into();
        am.valid_to = Set(Some(valid_to));
        am.version = Set(current.version + 1);
        am.updated_at = Set(Utc::now());
        let model = am.update(&txn).await?;
        audit::record(
            &txn,
            actor,
            Change {
                action: "ght_membership.end",
                entity_type: "ght_membership",
                entity_id: membership_id(&model),
                region_code: Some(g.region.to_string()),
                ej_finess: Some(model.ej_finess.clone()),
                before: Some(membership_json(&current)),
                after: Some(membership_json(&model)),
            },
        )
        .await?;
        let member = members_of(&txn, vec![model]).await?.pop();
        txn.commit().await?;
        member.ok_or(StoreError::NotFound)
    }

    /// Labels, authorisations held and GHT memberships of a legal entity, with the supports
    /// of its GHT over time.
    pub async fn entity_territory(&self, ej: &FinessId) -> Result<EntityTerritory, StoreError> {
        let labels = entity_label::Entity::find()
            .filter(entity_label::Column::EjFiness.eq(ej.as_str()))
            .order_by_asc(entity_label::Column::LabelCode)
            .order_by_desc(entity_label::Column::ValidFrom)
            .all(self.db())
            .await?
            .into_iter()
            .map(label_of)
            .collect::<Result<Vec<_>, _>>()?;
        let rows = authorisation::Entity::find()
            .filter(authorisation::Column::EjFiness.eq(ej.as_str()))
            .order_by_asc(authorisation::Column::SiteFiness)
            .order_by_asc(authorisation::Column::ActivityCode)
            .order_by_asc(authorisation::Column::ModalityCode)
            .order_by_asc(authorisation::Column::FormCode)
            .order_by_desc(authorisation::Column::ValidFrom)
            .all(self.db())
            .await?;
        let authorisations = self.with_site_names(rows).await?;
        let memberships = members_of(
            self.db(),
            ght_membership::Entity::find()
                .filter(ght_membership::Column::EjFiness.eq(ej.as_str()))
                .order_by_desc(ght_membership::Column::ValidFrom)
                .all(self.db())
                .await?,
        )
        .await?;
        let codes: BTreeSet<String> = memberships.iter().map(|m| m.ght_code.clone()).collect();
        let supports = if codes.is_empty() {
            vec![]
        } else {
            members_of(
                self.db(),
                ght_membership::Entity::find()
                    .filter(ght_membership::Column::GhtCode.is_in(codes))
                    .filter(ght_membership::Column::Support.eq(true))
                    .order_by_desc(ght_membership::Column::ValidFrom)
                    .all(self.db())
                    .await?,
            )
            .await?
        };
        Ok(EntityTerritory {
            labels,
            authorisations,
            memberships,
            supports,
        })
    }

    /// Authorisations carried out on a site, current and past.
    pub async fn site_authorisations(
        &self,
        site: &FinessId,
    ) -> Result<Vec<AuthorisationRecord>, StoreError> {
        let rows = authorisation::Entity::find()
            .filter(authorisation::Column::SiteFiness.eq(site.as_str()))
            .order_by_asc(authorisation::Column::ActivityCode)
            .order_by_asc(authorisation::Column::ModalityCode)
            .order_by_asc(authorisation::Column::FormCode)
            .order_by_desc(authorisation::Column::ValidFrom)
            .all(self.db())
            .await?;
        self.with_site_names(rows).await
    }

    async fn with_site_names(
        &self,
        rows: Vec<authorisation::Model>,
    ) -> Result<Vec<AuthorisationRecord>, StoreError> {
        if rows.is_empty() {
            return Ok(vec![]);
        }
        let keys: BTreeSet<String> = rows.iter().map(|r| r.site_finess.clone()).collect();
        let names: HashMap<String, String> = site::Entity::find()
            .select_only()
            .column(site::Column::Finess)
            .column(site::Column::Name)
            .filter(site::Column::Finess.is_in(keys))
            .into_tuple::<(String, String)>()
            .all(self.db())
            .await?
            .into_iter()
            .collect();
        rows.into_iter()
            .map(|r| authorisation_of(r, &names))
            .collect()
    }

    /// Gives a legal entity a label over `period`, unless the same label already covers
    /// part of it; audited.
    pub async fn add_label(
        &self,
        actor: &AuditActor,
        ej: &FinessId,
        label: Label,
        period: Period,
        note: Option<&str>,
    ) -> Result<EntityLabel, StoreError> {
        let note = checked_note(note)?;
        let txn = self.begin().await?;
        let entity = legal_entity::Entity::find()
            .filter(legal_entity::Column::Finess.eq(ej.as_str()))
            .one(&txn)
            .await?
            .ok_or(StoreError::NotFound)?;
        let existing = labels_of(&txn, ej).await?;
        check_label(
            &existing,
            &LabelPeriod {
                id: None,
                label,
                period,
            },
        )
        .map_err(invalid)?;
        let now = Utc::now();
        let model = entity_label::ActiveModel {
            ej_finess: Set(ej.to_string()),
            label_code: Set(label.as_str().to_owned()),
            valid_from: Set(period.from),
            valid_to: Set(period.to),
            note: Set(note),
            version: Set(1),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        audit::record(
            &txn,
            actor,
            Change {
                action: "entity_label.create",
                entity_type: "entity_label",
                entity_id: model.id.to_string(),
                region_code: Some(entity.region_code.clone()),
                ej_finess: Some(entity.finess.clone()),
                before: None,
                after: Some(label_json(&model)),
            },
        )
        .await?;
        txn.commit().await?;
        label_of(model)
    }

    /// Ends a label of a legal entity read at `version`: its last day becomes `valid_to`;
    /// audited.
    pub async fn end_label(
        &self,
        actor: &AuditActor,
        ej: &FinessId,
        id: i64,
        valid_to: NaiveDate,
        version: i64,
    ) -> Result<EntityLabel, StoreError> {
        let txn = self.begin().await?;
        let current = entity_label::Entity::find_by_id(id)
            .filter(entity_label::Column::EjFiness.eq(ej.as_str()))
            .one(&txn)
            .await?
            .ok_or(StoreError::NotFound)?;
        if current.version != version {
            return Err(StoreError::Conflict(
                "le label a été modifié entre-temps ; rechargez la page".into(),
            ));
        }
        let period = Period::new(current.valid_from, Some(valid_to)).map_err(invalid)?;
        let label = Label::parse(&current.label_code).map_err(corrupt)?;
        let existing = labels_of(&txn, ej).await?;
        check_label(
            &existing,
            &LabelPeriod {
                id: Some(current.id),
                label,
                period,
            },
        )
        .map_err(invalid)?;
        let region = ej_region(&txn, ej.as_str()).await?;
        let mut am: entity_label::ActiveModel = current.clone().into();
        am.valid_to = Set(Some(valid_to));
        am.version = Set(current.version + 1);
        am.updated_at = Set(Utc::now());
        let model = am.update(&txn).await?;
        audit::record(
            &txn,
            actor,
            Change {
                action: "entity_label.end",
                entity_type: "entity_label",
                entity_id: model.id.to_string(),
                region_code: Some(region.to_string()),
                ej_finess: Some(model.ej_finess.clone()),
                before: Some(label_json(&current)),
                after: Some(label_json(&model)),
            },
        )
        .await?;
        txn.commit().await?;
        label_of(model)
    }
}

/// A note of at most 500 characters, blank as none.
fn checked_note(note: Option<&str>) -> Result<Option<String>, StoreError> {
    let note = note.map(str::trim).filter(|n| !n.is_empty());
    if note.is_some_and(|n| n.chars().count() > 500) {
        return Err(StoreError::Invalid {
            field: "note",
            message: "note : 500 caractères au plus".into(),
        });
    }
    Ok(note.map(str::to_owned))
}

async fn labels_of<C: ConnectionTrait>(
    conn: &C,
    ej: &FinessId,
) -> Result<Vec<LabelPeriod>, StoreError> {
    entity_label::Entity::find()
        .filter(entity_label::Column::EjFiness.eq(ej.as_str()))
        .all(conn)
        .await?
        .into_iter()
        .map(|m| {
            Ok(LabelPeriod {
                id: Some(m.id),
                label: Label::parse(&m.label_code).map_err(corrupt)?,
                period: Period {
                    from: m.valid_from,
                    to: m.valid_to,
                },
            })
        })
        .collect()
}

async fn ej_region<C: ConnectionTrait>(conn: &C, ej: &str) -> Result<RegionCode, StoreError> {
    let region: String = legal_entity::Entity::find()
        .select_only()
        .column(legal_entity::Column::RegionCode)
        .filter(legal_entity::Column::Finess.eq(ej))
        .into_tuple()
        .one(conn)
        .await?
        .ok_or(StoreError::NotFound)?;
    RegionCode::parse(&region).map_err(corrupt)
}

async fn ght_detail_on<C: ConnectionTrait>(conn: &C, code: &str) -> Result<Ght, StoreError> {
    let g = ght::Entity::find()
        .filter(ght::Column::Code.eq(code.trim().to_uppercase()))
        .one(conn)
        .await?
        .ok_or(StoreError::NotFound)?;
    let mut members = members_of(
        conn,
        ght_membership::Entity::find()
            .filter(ght_membership::Column::GhtCode.eq(g.code.as_str()))
            .all(conn)
            .await?,
    )
    .await?;
    members.sort_by(|a, b| {
        b.support
            .cmp(&a.support)
            .then_with(|| a.ej_name.cmp(&b.ej_name))
            .then_with(|| b.period.from.cmp(&a.period.from))
    });
    Ok(Ght {
        region: RegionCode::parse(&g.region_code).map_err(corrupt)?,
        code: g.code,
        name: g.name,
        version: g.version,
        members,
    })
}

fn ght_conflict() -> StoreError {
    StoreError::Conflict("le GHT a été modifié entre-temps ; rechargez la page".into())
}

/// Reports a GHT read at another version than the stored one.
fn check_version(g: &Ght, version: i64) -> Result<(), StoreError> {
    if g.version == version {
        Ok(())
    } else {
        Err(ght_conflict())
    }
}

/// Increments the version of a GHT read at `version`, or reports the concurrent change (the
/// conditional update also catches a change committed since the read).
async fn bump_ght(txn: &DatabaseTransaction, code: &str, version: i64) -> Result<(), StoreError> {
    let done = ght::Entity::update_many()
        .col_expr(ght::Column::Version, Expr::value(version.saturating_add(1)))
        .col_expr(ght::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(ght::Column::Code.eq(code))
        .filter(ght::Column::Version.eq(version))
        .exec(txn)
        .await?;
    if done.rows_affected == 0 {
        return Err(ght_conflict());
    }
    Ok(())
}
