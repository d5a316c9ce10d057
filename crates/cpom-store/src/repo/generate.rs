//! Bulk writes of a generated dataset (`cpom generate`, issue 9): the fates the domain drew
//! (`cpom_domain::generate`) written to a campaign's declarations in one transaction, with
//! their history, their evidence and one audit row. Everything else of a generated dataset
//! goes through the ordinary store functions.

use std::collections::HashMap;

use chrono::Utc;
use cpom_domain::campaign::DeclarationState;
use cpom_domain::catalogue::IndicatorKind;
use cpom_domain::generate::Fate;
use cpom_domain::registry::SizeBand;
use cpom_domain::{FinessId, RegionCode};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};

use crate::audit::{self, AuditActor, Change};
use crate::entity::{
    declaration, declaration_evidence, declaration_history, evidence, legal_entity,
};
use crate::{Store, StoreError};

/// A legal entity to give a contract.
#[derive(Debug, Clone)]
pub struct EntityToContract {
    /// FINESS.
    pub ej: FinessId,
    /// Region.
    pub region: RegionCode,
    /// Size band in force (override first).
    pub band: Option<SizeBand>,
}

/// Rows per statement of the bulk inserts and updates.
const CHUNK: usize = 500;

impl Store {
    /// Every legal entity of the registry with its region and band, by FINESS.
    pub async fn entities_to_contract(&self) -> Result<Vec<EntityToContract>, StoreError> {
        let rows = legal_entity::Entity::find()
            .order_by_asc(legal_entity::Column::Finess)
            .all(self.db())
            .await?;
        Ok(rows
            .into_iter()
            .filter_map(|r| {
                Some(EntityToContract {
                    ej: FinessId::parse(&r.finess).ok()?,
                    region: RegionCode::parse(&r.region_code).ok()?,
                    band: r
                        .band_override
                        .as_deref()
                        .or(r.size_band.as_deref())
                        .and_then(SizeBand::parse),
                })
            })
            .collect())
    }

    /// Gives each declaration of a campaign the fate `fate(id, kind)` draws, in one
    /// transaction: its state and value, the history of its steps, and (when the fate says
    /// so) a link to its legal entity's evidence of the campaign (`file_name`, one file of
    /// `bytes` stored once); one audit row. Returns the count of declarations by state.
    pub async fn fill_campaign(
        &self,
        actor: &AuditActor,
        campaign_id: i64,
        evidence_file: (&str, &[u8]),
        fate: impl Fn(i64, IndicatorKind) -> Fate,
    ) -> Result<HashMap<DeclarationState, u64>, StoreError> {
        let rows: Vec<(i64, String, String, String)> = declaration::Entity::find()
            .select_only()
            .column(declaration::Column::Id)
            .column(declaration::Column::Kind)
            .column(declaration::Column::EjFiness)
            .column(declaration::Column::RegionCode)
            .filter(declaration::Column::CampaignId.eq(campaign_id))
            .order_by_asc(declaration::Column::Id)
            .into_tuple()
            .all(self.db())
            .await?;
        let region = rows.first().map(|r| r.3.clone());
        // The evidence file, stored once.
        let (file_name, bytes) = evidence_file;
        let sha256 = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(bytes));
        let relative = format!("evidence/generated/{sha256}");
        self.put_file(&relative, bytes).await?;
        let now = Utc::now();
        let mut updates: Vec<(i64, Vec<Option<String>>)> = vec![];
        let mut history = vec![];
        let mut with_evidence: Vec<(i64, String)> = vec![];
        let mut counts: HashMap<DeclarationState, u64> = HashMap::new();
        for (id, kind, ej, _) in &rows {
            let kind = IndicatorKind::parse(kind).unwrap_or(IndicatorKind::Text);
            let f = fate(*id, kind);
            *counts.entry(f.state).or_default() += 1;
            if f.state == DeclarationState::ToDo {
                continue;
            }
            let value = f
                .value
                .as_ref()
                .map(serde_json::to_string)
                .transpose()
                .map_err(|e| StoreError::Invalid {
                    field: "value",
                    message: e.to_string(),
                })?;
            for (step, from, to) in &f.steps {
                history.push(declaration_history::ActiveModel {
                    declaration_id: Set(*id),
                    step: Set((*step).to_owned()),
                    state_from: Set(from.as_str().to_owned()),
                    state_to: Set(to.as_str().to_owned()),
                    value: Set(value.clone()),
                    comment: Set(None),
                    reason: Set((*to == DeclarationState::Returned)
                        .then(|| "Valeur à justifier (jeu de données généré)".to_owned())),
                    author: Set(actor.label.clone()),
                    created_at: Set(now),
                    ..Default::default()
                });
            }
            if f.evidence {
                with_evidence.push((*id, ej.clone()));
            }
            updates.push((*id, vec![Some(f.state.as_str().to_owned()), value]));
        }
        let txn = self.begin().await?;
        super::campaigns::set_by_id(&txn, &["state", "value"], updates, true).await?;
        let mut batch = vec![];
        for h in history {
            batch.push(h);
            if batch.len() == CHUNK {
                declaration_history::Entity::insert_many(std::mem::take(&mut batch))
                    .exec(&txn)
                    .await?;
            }
        }
        if !batch.is_empty() {
            declaration_history::Entity::insert_many(batch)
                .exec(&txn)
                .await?;
        }
        // One evidence per legal entity and campaign, linked to its declarations.
        let mut ejs: Vec<&String> = with_evidence.iter().map(|(_, ej)| ej).collect();
        ejs.sort();
        ejs.dedup();
        for chunk in ejs.chunks(CHUNK) {
            evidence::Entity::insert_many(chunk.iter().map(|ej| evidence::ActiveModel {
                ej_finess: Set((*ej).clone()),
                file_name: Set(file_name.to_owned()),
                file_type: Set("application/pdf".into()),
                sha256: Set(sha256.clone()),
                size: Set(i64::try_from(bytes.len()).unwrap_or(i64::MAX)),
                path: Set(relative.clone()),
                uploaded_by: Set(actor.label.clone()),
                created_at: Set(now),
                ..Default::default()
            }))
            .exec(&txn)
            .await?;
        }
        let ids: HashMap<String, i64> = evidence::Entity::find()
            .filter(evidence::Column::Sha256.eq(sha256.as_str()))
            .all(&txn)
            .await?
            .into_iter()
            .map(|e| (e.ej_finess, e.id))
            .collect();
        for chunk in with_evidence.chunks(CHUNK) {
            declaration_evidence::Entity::insert_many(chunk.iter().filter_map(|(d, ej)| {
                Some(declaration_evidence::ActiveModel {
                    declaration_id: Set(*d),
                    evidence_id: Set(*ids.get(ej)?),
                    created_at: Set(now),
                    ..Default::default()
                })
            }))
            .exec(&txn)
            .await?;
        }
        let summary: HashMap<&str, u64> = counts.iter().map(|(s, n)| (s.as_str(), *n)).collect();
        audit::record(
            &txn,
            actor,
            Change {
                action: "campaign.generate",
                entity_type: "campaign",
                entity_id: campaign_id.to_string(),
                region_code: region,
                ej_finess: None,
                before: None,
                after: Some(serde_json::json!({
                    "declarations": summary,
                    "evidence_links": with_evidence.len(),
                })),
            },
        )
        .await?;
        txn.commit().await?;
        Ok(counts)
    }
}
