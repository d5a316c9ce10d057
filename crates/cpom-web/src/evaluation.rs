//! Evaluation: the verdict of every declaration of a contract, recomputed from the version
//! of the contract in force, its catalogue and the values the agency validated, whenever one
//! of them changes (a step on a declaration, values loaded, an override, an avenant signed):
//! the figures are always live, with no batch job in between.

use std::collections::{BTreeMap, HashMap};

use cpom_domain::campaign::DeclarationState;
use cpom_domain::catalogue::Declared;
use cpom_domain::evaluation::{self, Facts};

use cpom_store::Store;

use crate::error::AppError;

/// Recomputes the verdicts of every declaration of a contract, writing those that changed.
pub async fn refresh_contract(store: &Store, contract_id: i64) -> Result<(), AppError> {
    let c = store.contract(contract_id).await?;
    let content = store.content_in_force(&c).await?;
    let catalogue = store
        .catalogue_version(&c.catalogue_slug, c.catalogue_version)
        .await
        .ok();
    let declarations = store.contract_declarations(contract_id).await?;
    let key = |d: &cpom_store::repo::campaigns::Declaration| {
        (
            d.engagement.clone(),
            d.site.as_ref().map(ToString::to_string),
        )
    };
    let mut values: HashMap<(String, Option<String>), BTreeMap<i32, Declared>> = HashMap::new();
    for (year, d) in &declarations {
        if d.state == DeclarationState::Validated
            && let Some(v) = d.value.as_ref().and_then(|v| v.declared())
        {
            values.entry(key(d)).or_default().insert(*year, v);
        }
    }
    let empty = BTreeMap::new();
    let mut changed = vec![];
    for (year, d) in &declarations {
        let engagement = content.engagements.iter().find(|e| e.key == d.engagement);
        let unit = engagement
            .and_then(|e| e.indicator.as_ref())
            .and_then(|i| i.unit.clone())
            .unwrap_or_default();
        let e = evaluation::evaluate(&Facts {
            year: *year,
            state: d.state,
            targets: engagement.map_or(&[][..], |e| e.targets.as_slice()),
            period: (c.start_year, c.end_year),
            values: values.get(&key(d)).unwrap_or(&empty),
            partial: catalogue.as_ref().and_then(|c| c.partial),
            unit: &unit,
            overridden: d.overridden.as_ref(),
        });
        if d.verdict != Some(e.verdict) || d.verdict_reason.as_deref() != Some(e.reason.as_str()) {
            changed.push((d.id, e.verdict, e.reason));
        }
    }
    store.set_verdicts(&changed).await?;
    Ok(())
}

/// [`refresh_contract`] for each of several contracts (each once).
pub async fn refresh_contracts(
    store: &Store,
    contracts: impl IntoIterator<Item = i64>,
) -> Result<(), AppError> {
    let mut ids: Vec<i64> = contracts.into_iter().collect();
    ids.sort_unstable();
    ids.dedup();
    for id in ids {
        refresh_contract(store, id).await?;
    }
    Ok(())
}

/// [`refresh_contracts`] after a change already committed: a failure is logged and leaves
/// the verdicts as they were until the next change, instead of reporting an error for a
/// change that was made.
pub async fn refresh_after_change(store: &Store, contracts: impl IntoIterator<Item = i64>) {
    if let Err(e) = refresh_contracts(store, contracts).await {
        tracing::error!(error = ?e, "verdicts not recomputed");
    }
}

/// One cell of a contract's scorecard: the declaration of an engagement for a year.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct ScoreCell {
    /// Year.
    pub year: i32,
    /// The declaration.
    pub declaration: i64,
    /// Its state.
    pub state: String,
    /// Its verdict (`atteint`, …).
    pub verdict: Option<String>,
    /// Why.
    pub reason: Option<String>,
    /// The value as shown.
    pub value: Option<String>,
}

/// One line of a scorecard: an engagement (and site).
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct ScoreRow {
    /// Engagement key.
    pub engagement: String,
    /// Its title.
    pub title: String,
    /// Indicator code and title.
    pub indicator: String,
    /// Site, for an engagement followed by site.
    pub site: Option<String>,
    /// One cell per year declared.
    pub cells: Vec<ScoreCell>,
}

/// Counts and attainment rate of a set of declarations.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct TallyDto {
    /// Declarations by verdict.
    #[schema(value_type = Object)]
    pub counts: serde_json::Value,
    /// Declarations evaluated (met, partially met, not met).
    pub evaluated: u64,
    /// Met ÷ evaluated, in percent (`null` when nothing is evaluated).
    pub rate: Option<f64>,
}

impl From<evaluation::Tally> for TallyDto {
    fn from(t: evaluation::Tally) -> Self {
        TallyDto {
            counts: serde_json::Value::Object(
                t.counts
                    .iter()
                    .map(|(v, n)| (v.as_str().to_owned(), serde_json::json!(n)))
                    .collect(),
            ),
            evaluated: t.evaluated,
            rate: t.rate,
        }
    }
}

/// A contract's scorecard: engagements × years, with the attainment rate overall and by year.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Scorecard {
    /// Contract.
    pub contract_id: i64,
    /// Its title.
    pub title: String,
    /// Years with declarations, in order.
    pub years: Vec<i32>,
    /// Lines.
    pub rows: Vec<ScoreRow>,
    /// Every declaration.
    pub tally: TallyDto,
    /// By year.
    pub by_year: Vec<(i32, TallyDto)>,
}

/// A contract's declarations by line of its scorecard (an engagement indicator, and a site
/// when followed by site), in the order first met; never an empty group.
fn by_line(
    declarations: &[(i32, cpom_store::repo::campaigns::Declaration)],
) -> Vec<Vec<&(i32, cpom_store::repo::campaigns::Declaration)>> {
    let mut groups: Vec<Vec<&(i32, cpom_store::repo::campaigns::Declaration)>> = vec![];
    for item in declarations {
        let d = &item.1;
        match groups
            .iter_mut()
            .find(|g| g[0].1.engagement == d.engagement && g[0].1.site == d.site)
        {
            Some(g) => g.push(item),
            None => groups.push(vec![item]),
        }
    }
    groups
}

/// The scorecard of a contract the caller sees (as the contract page).
pub async fn scorecard(
    state: &crate::AppState,
    cu: &crate::auth::CurrentUser,
    id: i64,
) -> Result<Scorecard, AppError> {
    let c = crate::services::contract(state, cu, id).await?;
    let declarations = state.store.contract_declarations(c.id).await?;
    let mut years: Vec<i32> = declarations.iter().map(|(y, _)| *y).collect();
    years.sort_unstable();
    years.dedup();
    let rows: Vec<ScoreRow> = by_line(&declarations)
        .into_iter()
        .map(|group| {
            let first = &group[0].1;
            ScoreRow {
                engagement: first.engagement.clone(),
                title: c
                    .content
                    .engagements
                    .iter()
                    .find(|e| e.key == first.engagement)
                    .map(|e| e.title.clone())
                    .unwrap_or_default(),
                indicator: format!("{} — {}", first.indicator, first.indicator_title),
                site: first.site.as_ref().map(ToString::to_string),
                cells: group
                    .iter()
                    .map(|(year, d)| ScoreCell {
                        year: *year,
                        declaration: d.id,
                        state: d.state.as_str().into(),
                        verdict: d.verdict.map(|v| v.as_str().to_owned()),
                        reason: d.verdict_reason.clone(),
                        value: d.value.as_ref().map(cpom_domain::campaign::Value::display),
                    })
                    .collect(),
            }
        })
        .collect();
    let verdict_of = |year: Option<i32>| {
        evaluation::tally(
            declarations
                .iter()
                .filter(|(y, _)| year.is_none_or(|w| w == *y))
                .filter_map(|(_, d)| d.verdict),
        )
    };
    Ok(Scorecard {
        contract_id: c.id,
        title: c.title.clone(),
        by_year: years
            .iter()
            .map(|y| (*y, verdict_of(Some(*y)).into()))
            .collect(),
        tally: verdict_of(None).into(),
        years,
        rows,
    })
}

/// The review pack of a contract's establishment, as PDF: its scorecard, the trends of its
/// values over the years, an anonymised comparison with the establishments of its size band
/// in the region, and the road map's actions serving the contract. Whoever reads the
/// contract may print it.
pub async fn review_pack(
    state: &crate::AppState,
    cu: &crate::auth::CurrentUser,
    id: i64,
) -> Result<crate::documents::Download, AppError> {
    use cpom_domain::review_pack::{Line, PackAction, PackInput};
    let c = crate::services::contract(state, cu, id).await?;
    let declarations = state.store.contract_declarations(c.id).await?;
    let lines: Vec<Line> = by_line(&declarations)
        .into_iter()
        .map(|group| {
            let first = &group[0].1;
            let mut cells: Vec<_> = group
                .iter()
                .map(|(year, d)| {
                    // Only the values the agency validated are printed and compared.
                    let validated = d.state == cpom_domain::campaign::DeclarationState::Validated;
                    (*year, d.value.clone().filter(|_| validated), d.verdict)
                })
                .collect();
            cells.sort_by_key(|(y, _, _)| *y);
            Line {
                engagement: first.engagement.clone(),
                indicator: first.indicator.clone(),
                indicator_title: first.indicator_title.clone(),
                site: first.site.as_ref().map(ToString::to_string),
                cells,
            }
        })
        .collect();
    let entity = state.store.get_legal_entity(&c.ej).await?;
    let band = entity.as_ref().and_then(|e| e.size_band());
    let settings = state.store.band_settings(&c.region).await?;
    let mut indicators: Vec<String> = lines.iter().map(|l| l.indicator.clone()).collect();
    indicators.sort_unstable();
    indicators.dedup();
    let peers = match band {
        Some(b) => {
            state
                .store
                .peer_declarations(&c.region, b.as_str(), &indicators, &c.ej)
                .await?
        }
        None => vec![],
    };
    let today = crate::services::today();
    let actions = state
        .store
        .contract_actions(c.id)
        .await?
        .into_iter()
        .map(|(r, a)| PackAction {
            review_on: r.held_on,
            title: a.title,
            owner: a.owner,
            due_on: a.due_on,
            status: a.status.label().into(),
            late: cpom_domain::review::late(a.status, a.due_on, today),
        })
        .collect();
    let doc = cpom_domain::review_pack::build(&PackInput {
        ej_name: c.ej_name.clone(),
        ej: c.ej.to_string(),
        region: c.region.name().into(),
        band: band.map(|b| b.label(&settings)),
        contract_title: c.title.clone(),
        period: (c.start_year, c.end_year),
        edited_on: today,
        lines,
        peers,
        actions,
    });
    Ok(crate::documents::Download {
        file_name: format!("dossier-revue-{}-{}.pdf", c.ej, today.format("%Y%m%d")),
        mime: "application/pdf",
        bytes: cpom_docs::pdf::render(&doc),
    })
}
