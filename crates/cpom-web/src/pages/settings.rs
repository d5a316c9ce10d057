//! Settings of a region: which SAE capacities count as beds and the band thresholds.

use super::extract::Form;
use super::extract::Query;
use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use cpom_domain::RegionCode;
use cpom_domain::region::REGIONS;
use cpom_domain::registry::{BED_COLUMNS, BandSettings};
use serde::Deserialize;
use tower_sessions::Session;

use super::{render, render_status};
use crate::AppState;
use crate::auth::{CurrentUser, PageUser};
use crate::error::{AppError, PageError};
use crate::services;
use crate::view::{Choice, Layout};

/// French label of a capacity column.
pub fn column_label(column: &str) -> &'static str {
    match column {
        "LIT_MCO" => "Lits de médecine, chirurgie, obstétrique (LIT_MCO)",
        "CAP_COMPLET_TOT" => "Capacité de psychiatrie à temps complet (CAP_COMPLET_TOT)",
        "LIT_SSR" => "Lits de soins médicaux et de réadaptation (LIT_SSR)",
        "LIT_USLD" => "Lits de soins de longue durée (LIT_USLD)",
        "PLA_MCO" => "Places de MCO en hospitalisation partielle (PLA_MCO)",
        "PLATOT_HAD" => "Places d'hospitalisation à domicile (PLATOT_HAD)",
        _ => "Capacité inconnue",
    }
}

/// A checkbox of the bed definition.
pub struct ColumnBox {
    code: &'static str,
    label: &'static str,
    checked: bool,
}

/// The settings page.
#[derive(Template)]
#[template(path = "registry/settings.html")]
pub struct SettingsPage {
    layout: Layout,
    region_code: String,
    region_name: String,
    regions: Vec<Choice>,
    choose_region: bool,
    columns: Vec<ColumnBox>,
    lower: String,
    upper: String,
    version: i64,
    error: String,
    saved: bool,
}

/// Query of the settings page.
#[derive(Deserialize, Default)]
pub struct SettingsQuery {
    #[serde(default)]
    region: Option<String>,
    #[serde(default)]
    enregistre: Option<String>,
}

fn page(
    layout: Layout,
    cu: &CurrentUser,
    region: &RegionCode,
    bands: &BandSettings,
    version: i64,
) -> SettingsPage {
    SettingsPage {
        layout,
        region_code: region.to_string(),
        region_name: region.name().into(),
        regions: REGIONS
            .iter()
            .map(|r| Choice::new(r.code, r.name, region.as_str()))
            .collect(),
        choose_region: cu.user.role == cpom_domain::Role::NationalAdmin,
        columns: BED_COLUMNS
            .iter()
            .map(|c| ColumnBox {
                code: c,
                label: column_label(c),
                checked: bands.columns.iter().any(|x| x == c),
            })
            .collect(),
        lower: bands.lower.to_string(),
        upper: bands.upper.to_string(),
        version,
        error: String::new(),
        saved: false,
    }
}

/// GET `/registre/parametres`.
pub async fn show_settings(
    State(state): State<AppState>,
    session: Session,
    PageUser(cu): PageUser,
    Query(q): Query<SettingsQuery>,
) -> Result<Response, PageError> {
    let settings = services::region_settings(&state, &cu, q.region.as_deref()).await?;
    let layout = Layout::new(
        &state,
        &session,
        &cu,
        "Paramètres de la région",
        "/registre",
    )
    .await?;
    let mut p = page(
        layout,
        &cu,
        &settings.region,
        &settings.bands,
        settings.version,
    );
    p.saved = q.enregistre.is_some();
    render(&p)
}

/// POST `/registre/parametres` (urlencoded, `columns` repeated).
pub async fn save_settings(
    State(state): State<AppState>,
    session: Session,
    PageUser(cu): PageUser,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let get = |k: &str| {
        fields
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.trim().to_owned())
            .unwrap_or_default()
    };
    let columns: Vec<String> = fields
        .iter()
        .filter(|(n, _)| n == "columns")
        .map(|(_, v)| v.clone())
        .collect();
    let region = get("region");
    let result = async {
        let lower = parse_threshold("lower", &get("lower"))?;
        let upper = parse_threshold("upper", &get("upper"))?;
        let version = get("version")
            .parse::<i64>()
            .map_err(|_| AppError::field("version", "version du formulaire absente"))?;
        services::set_region_settings(
            &state,
            &cu,
            Some(region.as_str()),
            BandSettings {
                columns: columns.clone(),
                lower,
                upper,
            },
            version,
        )
        .await
    }
    .await;
    match result {
        Ok(s) => Ok(Redirect::to(&format!(
            "/registre/parametres?region={}&enregistre=1",
            s.region
        ))
        .into_response()),
        Err(e @ (AppError::Validation(_) | AppError::Conflict(_))) => {
            let current = services::region_settings(&state, &cu, Some(region.as_str())).await?;
            let layout = Layout::new(
                &state,
                &session,
                &cu,
                "Paramètres de la région",
                "/registre",
            )
            .await?;
            let typed = BandSettings {
                columns,
                lower: get("lower").parse().unwrap_or(current.bands.lower),
                upper: get("upper").parse().unwrap_or(current.bands.upper),
            };
            let mut p = page(layout, &cu, &current.region, &typed, current.version);
            p.lower = get("lower");
            p.upper = get("upper");
            p.error = e.message();
            render_status(&p, e.status())
        }
        Err(e) => Err(e.into()),
    }
}

/// Parses a threshold typed in a form.
pub fn parse_threshold(field: &str, raw: &str) -> Result<i64, AppError> {
    raw.replace([' ', '\u{202f}', '\u{a0}'], "")
        .parse::<i64>()
        .map_err(|_| {
            AppError::field(
                field,
                format!("« {raw} » n'est pas un nombre entier de lits"),
            )
        })
}
