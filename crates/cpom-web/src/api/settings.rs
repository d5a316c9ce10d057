//! Settings of a region through the API.

use super::extract::{Json, Path};
use axum::extract::State;
use cpom_domain::registry::BandSettings;
use cpom_store::repo::region_settings::RegionSettings;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::AppState;
use crate::auth::ApiUser;
use crate::error::{ApiError, ApiErrorBody};
use crate::services;

/// The band settings of a region.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct BandSettingsDto {
    /// SAE capacity columns counted as beds (`LIT_MCO`, `CAP_COMPLET_TOT`, `LIT_SSR`,
    /// `LIT_USLD`, `PLA_MCO`, `PLATOT_HAD`).
    pub columns: Vec<String>,
    /// Lower threshold (below: `lt100`).
    pub lower: i64,
    /// Upper threshold (at or above: `ge500`).
    pub upper: i64,
    /// Version read (0 while the defaults apply); required to change them.
    pub version: i64,
}

fn dto(s: RegionSettings) -> BandSettingsDto {
    BandSettingsDto {
        columns: s.bands.columns,
        lower: s.bands.lower,
        upper: s.bands.upper,
        version: s.version,
    }
}

/// The bed definition and band thresholds of a region (its administrators).
#[utoipa::path(get, path = "/api/v1/regions/{code}/band-settings", tag = "registre",
    params(("code" = String, Path, description = "Code INSEE de la région")),
    responses((status = 200, body = BandSettingsDto), (status = 403, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn get_band_settings(
    State(state): State<AppState>,
    ApiUser(cu): ApiUser,
    Path(code): Path<String>,
) -> Result<Json<BandSettingsDto>, ApiError> {
    Ok(Json(dto(services::region_settings(
        &state,
        &cu,
        Some(&code),
    )
    .await?)))
}

/// Changes the bed definition and thresholds of a region and recomputes its bands.
#[utoipa::path(put, path = "/api/v1/regions/{code}/band-settings", tag = "registre",
    params(("code" = String, Path, description = "Code INSEE de la région")), request_body = BandSettingsDto,
    responses((status = 200, body = BandSettingsDto), (status = 403, body = ApiErrorBody), (status = 409, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn set_band_settings(
    State(state): State<AppState>,
    ApiUser(cu): ApiUser,
    Path(code): Path<String>,
    Json(input): Json<BandSettingsDto>,
) -> Result<Json<BandSettingsDto>, ApiError> {
    let s = services::set_region_settings(
        &state,
        &cu,
        Some(&code),
        BandSettings {
            columns: input.columns,
            lower: input.lower,
            upper: input.upper,
        },
        input.version,
    )
    .await?;
    Ok(Json(dto(s)))
}
