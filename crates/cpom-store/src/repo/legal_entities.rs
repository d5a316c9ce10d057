//! Legal entities (EJ): the minimum that account scoping needs. The registry import extends
//! this module.

use chrono::Utc;
use cpom_domain::{FinessId, RegionCode};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use serde::Serialize;

use crate::audit::{self, AuditActor, Change};
use crate::entity::legal_entity;
use crate::{Store, StoreError};

/// A legal entity as the rest of the application sees it.
#[derive(Debug, Clone, Serialize)]
pub struct LegalEntity {
    /// FINESS EJ number.
    pub finess: FinessId,
    /// Legal name.
    pub name: String,
    /// Region.
    pub region: RegionCode,
    /// Legal status, when known.
    pub status: Option<cpom_domain::registry::LegalStatus>,
    /// FINESS legal status code (SAE `stj`).
    pub legal_status_code: Option<String>,
    /// Department of the legal entity (of its sites).
    pub department: Option<String>,
    /// Total beds under the region's definition, for `beds_year`.
    pub beds: Option<i64>,
    /// SAE year the beds come from.
    pub beds_year: Option<i32>,
    /// Band computed from the beds.
    pub computed_band: Option<cpom_domain::registry::SizeBand>,
    /// Band set by an ARS administrator, overriding the computed one.
    pub band_override: Option<cpom_domain::registry::SizeBand>,
    /// Written justification of the override.
    pub band_override_reason: Option<String>,
    /// Optimistic-locking version.
    pub version: i64,
}

impl LegalEntity {
    /// The band in force: the override if any, else the computed band.
    pub fn size_band(&self) -> Option<cpom_domain::registry::SizeBand> {
        self.band_override.or(self.computed_band)
    }
}

impl TryFrom<legal_entity::Model> for LegalEntity {
    type Error = StoreError;
    fn try_from(m: legal_entity::Model) -> Result<Self, Self::Error> {
        Ok(Self {
            finess: FinessId::parse(&m.finess).map_err(corrupt)?,
            name: m.name,
            region: RegionCode::parse(&m.region_code).map_err(corrupt)?,
            status: m
                .status
                .as_deref()
                .and_then(cpom_domain::registry::LegalStatus::parse),
            legal_status_code: m.legal_status_code,
            department: m.department,
            beds: m.beds,
            beds_year: m.beds_year,
            computed_band: m
                .size_band
                .as_deref()
                .and_then(cpom_domain::registry::SizeBand::parse),
            band_override: m
                .band_override
                .as_deref()
                .and_then(cpom_domain::registry::SizeBand::parse),
            band_override_reason: m.band_override_reason,
            version: m.version,
        })
    }
}

pub(crate) fn corrupt(e: cpom_domain::DomainError) -> StoreError {
    StoreError::Invalid {
        field: e.field,
        message: format!("donnée stockée invalide : {}", e.message),
    }
}

impl Store {
    /// Reads a legal entity by FINESS number.
    pub async fn get_legal_entity(
        &self,
        finess: &FinessId,
    ) -> Result<Option<LegalEntity>, StoreError> {
        legal_entity::Entity::find()
            .filter(legal_entity::Column::Finess.eq(finess.as_str()))
            .one(self.db())
            .await?
            .map(LegalEntity::try_from)
            .transpose()
    }

    /// Creates a legal entity, or updates its name and region; audited.
    pub async fn upsert_legal_entity(
        &self,
        actor: &AuditActor,
        finess: &FinessId,
        name: &str,
        region: &RegionCode,
    ) -> Result<LegalEntity, StoreError> {
        let txn = self.begin().await?;
        let existing = legal_entity::Entity::find()
            .filter(legal_entity::Column::Finess.eq(finess.as_str()))
            .one(&txn)
            .await?;
        let now = Utc::now();
        let (model, before) = match existing {
            Some(m) if m.name == name && m.region_code == region.as_str() => {
                txn.commit().await?;
                return LegalEntity::try_from(m);
            }
            Some(m) => {
                let before = serde_json::json!({"name": m.name, "region_code": m.region_code});
                let mut am: legal_entity::ActiveModel = m.clone().into();
                am.name = Set(name.to_owned());
                am.region_code = Set(region.as_str().to_owned());
                am.version = Set(m.version + 1);
                am.updated_at = Set(now);
                (am.update(&txn).await?, Some(before))
            }
            None => {
                let am = legal_entity::ActiveModel {
                    finess: Set(finess.as_str().to_owned()),
                    name: Set(name.to_owned()),
                    region_code: Set(region.as_str().to_owned()),
                    status: Set(None),
                    legal_status_code: Set(None),
                    department: Set(None),
                    beds: Set(None),
                    beds_year: Set(None),
                    size_band: Set(None),
                    band_override: Set(None),
                    band_override_reason: Set(None),
                    version: Set(1),
                    created_at: Set(now),
                    updated_at: Set(now),
                    ..Default::default()
                };
                (am.insert(&txn).await?, None)
            }
        };
        audit::record(
            &txn,
            actor,
            Change {
                action: if before.is_some() {
                    "legal_entity.update"
                } else {
                    "legal_entity.create"
                },
                entity_type: "legal_entity",
                entity_id: model.finess.clone(),
                region_code: Some(model.region_code.clone()),
                ej_finess: Some(model.finess.clone()),
                before,
                after: Some(
                    serde_json::json!({"name": model.name, "region_code": model.region_code}),
                ),
            },
        )
        .await?;
        txn.commit().await?;
        LegalEntity::try_from(model)
    }
}

impl Store {
    /// Sets (or, with `None`, removes) an administrator's band override on a legal entity
    /// read at `version`, with its written justification; audited.
    pub async fn set_band_override(
        &self,
        actor: &AuditActor,
        finess: &FinessId,
        band: Option<cpom_domain::registry::SizeBand>,
        reason: Option<&str>,
        version: i64,
    ) -> Result<LegalEntity, StoreError> {
        let reason = reason.map(str::trim).filter(|r| !r.is_empty());
        if band.is_some() && reason.is_none_or(|r| r.chars().count() < 10) {
            return Err(StoreError::Invalid {
                field: "reason",
                message: "une justification écrite d'au moins 10 caractères est obligatoire".into(),
            });
        }
        let txn = self.begin().await?;
        let m = legal_entity::Entity::find()
            .filter(legal_entity::Column::Finess.eq(finess.as_str()))
            .one(&txn)
            .await?
            .ok_or(StoreError::NotFound)?;
        if m.version != version {
            return Err(StoreError::Conflict(
                "l'entité juridique a été modifiée entre-temps ; rechargez la page".into(),
            ));
        }
        let before = serde_json::json!({"band_override": m.band_override, "band_override_reason": m.band_override_reason});
        let mut am: legal_entity::ActiveModel = m.clone().into();
        am.band_override = Set(band.map(|b| b.as_str().to_owned()));
        am.band_override_reason = Set(band.and(reason.map(str::to_owned)));
        am.version = Set(m.version + 1);
        am.updated_at = Set(Utc::now());
        let model = am.update(&txn).await?;
        audit::record(
            &txn,
            actor,
            Change {
                action: "legal_entity.band_override",
                entity_type: "legal_entity",
                entity_id: model.finess.clone(),
                region_code: Some(model.region_code.clone()),
                ej_finess: Some(model.finess.clone()),
                before: Some(before),
                after: Some(serde_json::json!({"band_override": model.band_override, "band_override_reason": model.band_override_reason})),
            },
        )
        .await?;
        txn.commit().await?;
        LegalEntity::try_from(model)
    }
}
