//! Evaluation: the verdict of every declaration of a contract, recomputed from the version
//! of the contract in force, its catalogue and the values the agency validated, whenever one
//! of them changes (a step on a declaration, values loaded, an override, an avenant signed):
//! the figures are always live, with no batch job in between.

use std::collections::{BTreeMap, HashMap};

use cpom_domain::campaign::DeclarationState;
use cpom_domain::catalogue::Declared;
use cpom_domain::contract::ContractContent;
use cpom_domain::evaluation::{self, Facts};
use cpom_store::repo::contracts::Contract;

use cpom_store::Store;

use crate::error::AppError;

/// The content of the version in force: the contract's own once signed; during an avenant's
/// negotiation, the version signed before it.
async fn in_force(store: &Store, c: &Contract) -> Result<ContractContent, AppError> {
    if c.avenant > 0 && !c.state.signed() {
        let versions = store.contract_versions(c.id).await?;
        if let Some(last) = versions.into_iter().last() {
            return Ok(last.content);
        }
    }
    Ok(c.content.clone())
}

/// Recomputes the verdicts of every declaration of a contract, writing those that changed.
pub async fn refresh_contract(store: &Store, contract_id: i64) -> Result<(), AppError> {
    let c = store.contract(contract_id).await?;
    let content = in_force(store, &c).await?;
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
