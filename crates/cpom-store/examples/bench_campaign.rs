//! Times the opening of a campaign at national scale, for `bench/campaigns.sh`:
//! `bench_campaign <database-url> <data-dir> [contracts] [indicators per contract]`.
//!
//! On a fresh database: legal entities and signed contracts of one region, each with that many
//! engagements (each with an indicator), then `open_campaign` for the region, timed.

use std::time::Instant;

use chrono::NaiveDate;
use cpom_domain::catalogue::IndicatorKind;
use cpom_domain::contract::{
    ChosenIndicator, ContractContent, ContractState, Engagement, Signatory, SignatoryRole,
};
use cpom_domain::{FinessId, RegionCode};
use cpom_store::repo::campaigns::{NewCampaign, Perimeter};
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
                indicator: Some(ChosenIndicator {
                    code: format!("IND_{k}"),
                    title: format!("Indicateur {k}"),
                    kind: IndicatorKind::Count,
                    unit: None,
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
                    catalogue_slug: "banc".into(),
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
    Ok(())
}
