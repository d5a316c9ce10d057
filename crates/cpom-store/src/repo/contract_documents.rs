//! Documents of contracts: each region's template, and the files attached to contracts
//! (the signed scan), kept under the data folder's `files/contracts/<id>/`.

use std::path::PathBuf;

use chrono::{DateTime, NaiveDate, Utc};
use cpom_domain::calendar::{Event, EventKind};
use cpom_domain::contract_document::{AnnexLine, ContractTemplate, RegistrySnapshot};
use cpom_domain::{FinessId, RegionCode};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use serde::Serialize;

use crate::audit::{self, AuditActor, Change};
use crate::entity::{contract_event, contract_file, contract_template};
use crate::{Store, StoreError};

/// A region's template with its version (0 while the default applies).
#[derive(Debug, Clone, Serialize)]
pub struct StoredTemplate {
    /// Region.
    pub region: RegionCode,
    /// The template.
    pub template: ContractTemplate,
    /// Version, for changes (0: never saved, the default in force).
    pub version: i64,
}

/// A file attached to a contract.
#[derive(Debug, Clone, Serialize)]
pub struct ContractFile {
    /// Identifier.
    pub id: i64,
    /// Contract.
    pub contract_id: i64,
    /// Kind (`signed_scan`).
    pub kind: String,
    /// Name given by the uploader.
    pub file_name: String,
    /// SHA-256 of the content.
    pub sha256: String,
    /// Size in bytes.
    pub size: i64,
    /// Who attached it.
    pub uploaded_by: String,
    /// When.
    pub created_at: DateTime<Utc>,
    #[serde(skip)]
    path: String,
}

impl From<contract_file::Model> for ContractFile {
    fn from(m: contract_file::Model) -> Self {
        ContractFile {
            id: m.id,
            contract_id: m.contract_id,
            kind: m.kind,
            file_name: m.file_name,
            sha256: m.sha256,
            size: m.size,
            uploaded_by: m.uploaded_by,
            created_at: m.created_at,
            path: m.path,
        }
    }
}

fn template_field(name: &str) -> &'static str {
    match name {
        "header" => "header",
        "socle" => "socle",
        "signature" => "signature",
        "annex_engagements" => "annex_engagements",
        "annex_authorisations" => "annex_authorisations",
        "annex_funding" => "annex_funding",
        "objectives_min" => "objectives_min",
        "objectives_max" => "objectives_max",
        "follow_up_month" => "follow_up_month",
        "penalty_cap" => "penalty_cap",
        _ => "diagnostic",
    }
}

impl Store {
    /// The registry facts a contract prints, read on `on`: the authorisations and contractual
    /// recognitions in force, and the names of the entity's sites.
    pub async fn registry_snapshot(
        &self,
        ej: &FinessId,
        on: NaiveDate,
    ) -> Result<RegistrySnapshot, StoreError> {
        let detail = self.legal_entity_detail(ej).await?;
        let territory = self.entity_territory(ej).await?;
        let mut annex2: Vec<AnnexLine> = territory
            .authorisations
            .iter()
            .filter(|a| a.period.contains(on))
            .map(|a| AnnexLine {
                kind: "Autorisation".into(),
                holder: format!("{} {}", a.site, a.site_name),
                subject: [
                    Some(a.activity_label.clone()),
                    a.modality_label.clone(),
                    a.form_label.clone(),
                ]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" — "),
                validity: a.period.label(),
            })
            .collect();
        annex2.extend(
            territory
                .labels
                .iter()
                .filter(|l| l.period.contains(on))
                .map(|l| AnnexLine {
                    kind: "Reconnaissance contractuelle".into(),
                    holder: format!("{} {}", detail.entity.finess, detail.entity.name),
                    subject: match &l.note {
                        Some(n) if !n.trim().is_empty() => format!("{} ({})", l.label.label(), n),
                        _ => l.label.label().to_string(),
                    },
                    validity: l.period.label(),
                }),
        );
        Ok(RegistrySnapshot {
            on,
            annex2,
            site_names: detail
                .sites
                .iter()
                .map(|s| (s.finess.to_string(), s.name.clone()))
                .collect(),
        })
    }

    /// The contract template of a region (the default when never saved).
    pub async fn contract_template(
        &self,
        region: &RegionCode,
    ) -> Result<StoredTemplate, StoreError> {
        let row = contract_template::Entity::find_by_id(region.to_string())
            .one(self.db())
            .await?;
        let Some(row) = row else {
            return Ok(StoredTemplate {
                region: region.clone(),
                template: ContractTemplate::default(),
                version: 0,
            });
        };
        let template = serde_json::from_str(&row.body).map_err(|e| StoreError::Invalid {
            field: "socle",
            message: format!("donnée stockée invalide (modèle de la région {region}) : {e}"),
        })?;
        Ok(StoredTemplate {
            region: region.clone(),
            template,
            version: row.version,
        })
    }

    /// Saves the contract template of a region read at `version` (0 for the default);
    /// refused when it does not check (the first problem, located) or changed meanwhile.
    pub async fn set_contract_template(
        &self,
        actor: &AuditActor,
        region: &RegionCode,
        template: &ContractTemplate,
        version: i64,
    ) -> Result<StoredTemplate, StoreError> {
        if let Some(e) = template.check().into_iter().next() {
            return Err(StoreError::Invalid {
                field: template_field(&e.field),
                message: e.to_string(),
            });
        }
        let txn = self.begin().await?;
        let row = contract_template::Entity::find_by_id(region.to_string())
            .one(&txn)
            .await?;
        let current = row.as_ref().map_or(0, |r| r.version);
        if current != version {
            return Err(StoreError::Conflict(
                "le modèle de contrat a été modifié entre-temps ; rechargez la page".into(),
            ));
        }
        let before = match &row {
            Some(r) => serde_json::from_str(&r.body).unwrap_or(serde_json::Value::Null),
            None => serde_json::to_value(ContractTemplate::default()).unwrap_or_default(),
        };
        let body = serde_json::to_string(template).map_err(|e| StoreError::Invalid {
            field: "socle",
            message: e.to_string(),
        })?;
        let am = contract_template::ActiveModel {
            region_code: Set(region.to_string()),
            body: Set(body),
            version: Set(version + 1),
            updated_at: Set(Utc::now()),
        };
        if row.is_some() {
            am.update(&txn).await?;
        } else {
            am.insert(&txn).await?;
        }
        audit::record(
            &txn,
            actor,
            Change {
                action: "contract_template.update",
                entity_type: "contract_template",
                entity_id: region.to_string(),
                region_code: Some(region.to_string()),
                ej_finess: None,
                before: Some(before),
                after: Some(serde_json::to_value(template).unwrap_or_default()),
            },
        )
        .await?;
        txn.commit().await?;
        Ok(StoredTemplate {
            region: region.clone(),
            template: template.clone(),
            version: version + 1,
        })
    }

    /// Attaches a file to a contract, written into the data folder; audited. The file is
    /// removed again if the database refuses the row.
    pub async fn attach_contract_file(
        &self,
        actor: &AuditActor,
        contract_id: i64,
        kind: &str,
        file_name: &str,
        bytes: &[u8],
    ) -> Result<ContractFile, StoreError> {
        let sha256 = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(bytes));
        let relative = format!("contracts/{contract_id}/{sha256}");
        self.put_file(&relative, bytes).await?;
        let result = async {
            let txn = self.begin().await?;
            let row = super::contracts::load(&txn, contract_id).await?;
            let file = contract_file::ActiveModel {
                contract_id: Set(contract_id),
                kind: Set(kind.to_owned()),
                file_name: Set(file_name.to_owned()),
                sha256: Set(sha256.clone()),
                size: Set(i64::try_from(bytes.len()).unwrap_or(i64::MAX)),
                path: Set(relative.clone()),
                uploaded_by: Set(actor.label.clone()),
                created_at: Set(Utc::now()),
                ..Default::default()
            }
            .insert(&txn)
            .await?;
            audit::record(
                &txn,
                actor,
                Change {
                    action: "contract.attach_file",
                    entity_type: "contract",
                    entity_id: contract_id.to_string(),
                    region_code: Some(row.region_code.clone()),
                    ej_finess: Some(row.ej_finess.clone()),
                    before: None,
                    after: Some(serde_json::json!({
                        "file": file.id, "kind": kind, "name": file_name,
                        "sha256": sha256, "size": bytes.len(),
                    })),
                },
            )
            .await?;
            txn.commit().await?;
            Ok::<_, StoreError>(ContractFile::from(file))
        }
        .await;
        if result.is_err() {
            // Another row may hold the same content: keep the file then.
            let shared = contract_file::Entity::find()
                .filter(contract_file::Column::Path.eq(&relative))
                .one(self.db())
                .await
                .ok()
                .flatten();
            if shared.is_none() {
                let _ = tokio::fs::remove_file(self.files_dir().join(&relative)).await;
            }
        }
        result
    }

    /// Files attached to a contract, newest first.
    pub async fn contract_files(&self, contract_id: i64) -> Result<Vec<ContractFile>, StoreError> {
        Ok(contract_file::Entity::find()
            .filter(contract_file::Column::ContractId.eq(contract_id))
            .order_by_desc(contract_file::Column::CreatedAt)
            .order_by_desc(contract_file::Column::Id)
            .all(self.db())
            .await?
            .into_iter()
            .map(ContractFile::from)
            .collect())
    }

    /// One file of a contract and where its content is.
    pub async fn contract_file(
        &self,
        contract_id: i64,
        file_id: i64,
    ) -> Result<(ContractFile, PathBuf), StoreError> {
        let file = contract_file::Entity::find_by_id(file_id)
            .filter(contract_file::Column::ContractId.eq(contract_id))
            .one(self.db())
            .await?
            .ok_or(StoreError::NotFound)?;
        let file = ContractFile::from(file);
        let path = self.files_dir().join(&file.path);
        Ok((file, path))
    }

    /// Records an event on a contract's calendar, checked against the events already there
    /// by `check` (the domain's rules), in one transaction that also claims the contract's
    /// version (so that two events at once cannot both pass); audited.
    pub async fn record_contract_event(
        &self,
        actor: &AuditActor,
        contract_id: i64,
        event: &Event,
        check: impl FnOnce(&[Event]) -> Result<(), (&'static str, String)>,
    ) -> Result<Vec<Event>, StoreError> {
        let txn = self.begin().await?;
        let row = super::contracts::load(&txn, contract_id).await?;
        // Claiming the contract's version makes two events recorded at once on the same
        // contract conflict instead of both passing the checks.
        super::contracts::update_at(
            &txn,
            contract_id,
            row.row_version,
            crate::entity::contract::Entity::update_many(),
        )
        .await?;
        let existing = events_of(&txn, contract_id).await?;
        check(&existing).map_err(|(field, message)| StoreError::Invalid { field, message })?;
        contract_event::ActiveModel {
            contract_id: Set(contract_id),
            kind: Set(event.kind.as_str().to_owned()),
            on_date: Set(event.on),
            year: Set(event.year),
            note: Set(event.note.clone()),
            amount: Set(event.amount),
            author: Set(actor.label.clone()),
            created_at: Set(Utc::now()),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        audit::record(
            &txn,
            actor,
            Change {
                action: "contract.event",
                entity_type: "contract",
                entity_id: contract_id.to_string(),
                region_code: Some(row.region_code.clone()),
                ej_finess: Some(row.ej_finess.clone()),
                before: None,
                after: Some(serde_json::to_value(event).unwrap_or_default()),
            },
        )
        .await?;
        let all = events_of(&txn, contract_id).await?;
        txn.commit().await?;
        Ok(all)
    }

    /// The events of a contract's calendar, in date order.
    pub async fn contract_events(&self, contract_id: i64) -> Result<Vec<Event>, StoreError> {
        events_of(self.db(), contract_id).await
    }

    /// The events of several contracts, by contract.
    pub async fn events_of_contracts(
        &self,
        ids: &[i64],
    ) -> Result<std::collections::HashMap<i64, Vec<Event>>, StoreError> {
        let mut out: std::collections::HashMap<i64, Vec<Event>> = Default::default();
        for chunk in ids.chunks(500) {
            let rows = contract_event::Entity::find()
                .filter(contract_event::Column::ContractId.is_in(chunk.iter().copied()))
                .order_by_asc(contract_event::Column::OnDate)
                .order_by_asc(contract_event::Column::Id)
                .all(self.db())
                .await?;
            for m in rows {
                let id = m.contract_id;
                out.entry(id).or_default().push(event_of(m)?);
            }
        }
        Ok(out)
    }
}

fn event_of(m: contract_event::Model) -> Result<Event, StoreError> {
    Ok(Event {
        kind: EventKind::parse(&m.kind).ok_or_else(|| StoreError::Invalid {
            field: "kind",
            message: format!("événement enregistré inconnu « {} »", m.kind),
        })?,
        on: m.on_date,
        year: m.year,
        note: m.note,
        amount: m.amount,
    })
}

async fn events_of(
    db: &impl sea_orm::ConnectionTrait,
    contract_id: i64,
) -> Result<Vec<Event>, StoreError> {
    contract_event::Entity::find()
        .filter(contract_event::Column::ContractId.eq(contract_id))
        .order_by_asc(contract_event::Column::OnDate)
        .order_by_asc(contract_event::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(event_of)
        .collect()
}
