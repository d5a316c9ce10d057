//! Settings of a region: which SAE capacities count as beds, and the band thresholds.
//! Changing them recomputes the bands of the region's legal entities in the same transaction.

use chrono::Utc;
use cpom_domain::RegionCode;
use cpom_domain::registry::BandSettings;
use sea_orm::{ActiveModelTrait, EntityTrait, Set};

use crate::audit::{self, AuditActor, Change};
use crate::entity::region_setting;
use crate::{Store, StoreError};

/// The settings of a region with their version (0 while the defaults apply).
#[derive(Debug, Clone, serde::Serialize)]
pub struct RegionSettings {
    /// Region.
    pub region: RegionCode,
    /// Bed definition and thresholds.
    pub bands: BandSettings,
    /// Version, for changes (0: never saved, defaults in force).
    pub version: i64,
}

impl Store {
    /// The settings of a region (defaults when never saved).
    pub async fn region_settings(&self, region: &RegionCode) -> Result<RegionSettings, StoreError> {
        let row = region_setting::Entity::find_by_id(region.to_string())
            .one(self.db())
            .await?;
        Ok(RegionSettings {
            region: region.clone(),
            version: row.as_ref().map_or(0, |r| r.version),
            bands: super::registry::settings_of(row),
        })
    }

    /// Saves the band settings of a region read at `version` (0 for the defaults), and
    /// recomputes the bands of its legal entities; audited.
    pub async fn set_region_settings(
        &self,
        actor: &AuditActor,
        region: &RegionCode,
        bands: &BandSettings,
        version: i64,
    ) -> Result<RegionSettings, StoreError> {
        bands.validate().map_err(|e| StoreError::Invalid {
            field: e.field,
            message: e.message,
        })?;
        let txn = self.begin().await?;
        let row = region_setting::Entity::find_by_id(region.to_string())
            .one(&txn)
            .await?;
        let current = row.as_ref().map_or(0, |r| r.version);
        if current != version {
            return Err(StoreError::Conflict(
                "les paramètres de la région ont été modifiés entre-temps ; rechargez la page"
                    .into(),
            ));
        }
        let before = super::registry::settings_of(row.clone());
        let now = Utc::now();
        let am = region_setting::ActiveModel {
            region_code: Set(region.to_string()),
            bed_columns: Set(bands.columns.join(",")),
            band_lower: Set(bands.lower),
            band_upper: Set(bands.upper),
            version: Set(version + 1),
            updated_at: Set(now),
        };
        if row.is_some() {
            am.update(&txn).await?;
        } else {
            am.insert(&txn).await?;
        }
        super::registry::recompute_bands(&txn, Some(region)).await?;
        audit::record(
            &txn,
            actor,
            Change {
                action: "region_settings.update",
                entity_type: "region_settings",
                entity_id: region.to_string(),
                region_code: Some(region.to_string()),
                ej_finess: None,
                before: Some(serde_json::to_value(&before).unwrap_or_default()),
                after: Some(serde_json::to_value(bands).unwrap_or_default()),
            },
        )
        .await?;
        txn.commit().await?;
        Ok(RegionSettings {
            region: region.clone(),
            bands: bands.clone(),
            version: version + 1,
        })
    }
}
