//! Times the opening of a campaign at national scale, for `bench/campaigns.sh`:
//! `bench_campaign <database-url> <data-dir> [contracts] [indicators per contract]`.
//!
//! On a fresh database: the shipped Occitanie catalogue, legal entities and signed contracts of
//! one region, each with that many engagements (each with an indicator of the catalogue),
//! then `open_campaign` for the region, timed. With `BENCH_SUBMIT=1`, every entity is put in
//! one size band, every tenth declaration is then submitted with a value (for the
//! validation queue of `bench/campaign_pages.sh`) and every other one of those validated
//! (the peers of the review packs), and the ids to request are printed.

use std::time::Instant;

use chrono::NaiveDate;
use cpom_domain::campaign::{DeclarationState, Value};
use cpom_domain::catalogue::IndicatorKind;
use cpom_domain::contract::{
    ChosenIndicator, ContractContent, ContractState, Engagement, Signatory, SignatoryRole,
};
use cpom_domain::{FinessId, RegionCode};
use cpom_store::repo::campaigns::{DeclarationStep, NewCampaign, Perimeter};
use cpom_store::repo::contracts::NewContract;
use cpom_store::{AuditActor, Store};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let url = args.next().ok_or("database URL")?;
    let dir = std::path::PathBuf::from(args.next().ok_or("data directory")?);
    let contracts: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(2000);
    let per: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(25);
    std::fs::create_dir_all(&dir)?;
    let store = Store::connect(&url, &dir).await?;
    store.migrate().await?;
    let actor = AuditActor::system();
    let region = RegionCode::parse("76")?;
    let date = NaiveDate::from_ymd_opt(2025, 2, 1).ok_or("date")?;
    let setup = Instant::now();
    let catalogue = cpom_import::catalogue::read_toml(include_str!(
        "../../../catalogues/occitanie-2025-2029.toml"
    ))
    .map_err(|e| format!("catalogue: {e:?}"))?;
    store.import_catalogue(&actor, &catalogue, true).await?;
    let indicators: Vec<_> = catalogue.indicators.iter().collect();
    for i in 0..contracts {
        let ej = FinessId::parse(&format!("34{:07}", i + 1))?;
        store
            .upsert_legal_entity(&actor, &ej, &format!("Établissement {}", i + 1), &region)
            .await?;
        let engagements = (1..=per)
            .map(|k| Engagement {
                key: format!("E{k}"),
                objective: "O1".into(),
                objective_title: "Objectif".into(),
                action: None,
                title: format!("Engagement {k}"),
                title_locked: false,
                mandatory: false,
                indicator: Some({
                    // The catalogue's indicators in turn (the same one may serve twice).
                    let ind = indicators[(k - 1) % indicators.len()];
                    ChosenIndicator {
                        code: ind.code.clone(),
                        title: ind.title.clone(),
                        kind: ind.kind,
                        unit: ind.unit.clone(),
                    }
                }),
                sites: vec![],
                targets: vec![],
                new_authorisation: false,
            })
            .collect();
        let mut content = ContractContent {
            engagements,
            ..ContractContent::default()
        };
        let c = store
            .create_contract(
                &actor,
                &NewContract {
                    region: region.clone(),
                    ej: ej.clone(),
                    catalogue_slug: catalogue.slug.clone(),
                    catalogue_version: 1,
                    title: format!("CPOM {}", i + 1),
                    start_year: 2025,
                    end_year: 2029,
                    band: None,
                    negotiator_id: None,
                    content: content.clone(),
                },
            )
            .await?;
        content.signatories = vec![
            Signatory {
                role: SignatoryRole::DgArs,
                name: "A".into(),
                function: "DG".into(),
                date,
            },
            Signatory {
                role: SignatoryRole::LegalRepresentative,
                name: "B".into(),
                function: "Directeur".into(),
                date,
            },
        ];
        let mut rv = c.row_version;
        for to in [
            ContractState::Negotiation,
            ContractState::ReadyToSign,
            ContractState::Signed,
        ] {
            let signed = (to == ContractState::Signed).then_some(&content);
            rv = store
                .move_contract(&actor, c.id, rv, to, None, signed)
                .await?
                .row_version;
        }
    }
    println!(
        "setup: {contracts} signed contracts of {per} indicators in {:.1} s",
        setup.elapsed().as_secs_f64()
    );
    let start = Instant::now();
    let (campaign, n) = store
        .open_campaign(
            &actor,
            &NewCampaign {
                region,
                year: 2026,
                title: "Campagne de banc d'essai".into(),
                deadline: NaiveDate::from_ymd_opt(2099, 3, 31).ok_or("date")?,
                perimeter: Perimeter::Region,
            },
        )
        .await?;
    println!(
        "open_campaign: {n} declarations in {:.2} s (campaign {})",
        start.elapsed().as_secs_f64(),
        campaign.id
    );
    if std::env::var("BENCH_SUBMIT").as_deref() == Ok("1") {
        let start = Instant::now();
        let all = cpom_domain::ScopeFilter::All;
        let mut submitted = 0;
        let mut validated = 0;
        // Every entity in one size band: the review pack compares with all of them.
        for i in 0..contracts {
            let ej = FinessId::parse(&format!("34{:07}", i + 1))?;
            let e = store.get_legal_entity(&ej).await?.ok_or("entity")?;
            store
                .set_band_override(
                    &actor,
                    &ej,
                    Some(cpom_domain::registry::SizeBand::From100To499),
                    Some("banc d'essai"),
                    e.version,
                )
                .await?;
        }
        let mut page = 1;
        loop {
            let p = store
                .list_declarations(campaign.id, &all, &Default::default(), page, 500)
                .await?;
            for (i, d) in p.items.iter().step_by(10).enumerate() {
                let value = match d.kind {
                    IndicatorKind::Rate => Value::Rate {
                        numerator: 45.0,
                        denominator: 60.0,
                    },
                    IndicatorKind::YesNo => Value::YesNo { answer: true },
                    IndicatorKind::Milestone => Value::Milestone { reached: true },
                    IndicatorKind::Text => Value::Text {
                        text: "Réalisé.".into(),
                    },
                    IndicatorKind::Count | IndicatorKind::Amount => Value::Number { value: 12.0 },
                };
                store
                    .record_declaration_step(
                        &actor,
                        d.id,
                        d.row_version,
                        &DeclarationStep {
                            label: "soumission",
                            to: DeclarationState::Submitted,
                            value: Some(&value),
                            comment: None,
                            reason: None,
                            contested: None,
                            overridden: None,
                        },
                    )
                    .await?;
                submitted += 1;
                // Every other one validated: the peers of the review packs.
                if i % 2 == 1 {
                    let d = store.declaration(d.id).await?.0;
                    store
                        .record_declaration_step(
                            &actor,
                            d.id,
                            d.row_version,
                            &DeclarationStep {
                                label: "validation",
                                to: DeclarationState::Validated,
                                value: None,
                                comment: None,
                                reason: None,
                                contested: None,
                                overridden: None,
                            },
                        )
                        .await?;
                    validated += 1;
                }
            }
            if page >= p.page_count() {
                break;
            }
            page += 1;
        }
        let first = store
            .list_declarations(
                campaign.id,
                &cpom_domain::ScopeFilter::LegalEntity(FinessId::parse("340000001")?),
                &Default::default(),
                1,
                1,
            )
            .await?;
        println!(
            "submitted: {submitted} declarations ({validated} of them validated), bands set, in {:.1} s",
            start.elapsed().as_secs_f64()
        );
        println!(
            "BENCH campaign={} declaration={}",
            campaign.id, first.items[0].id
        );
    }
    Ok(())
}
