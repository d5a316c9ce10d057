//! `cpom generate`: a dataset at the size of France (or of one region) on an empty database,
//! for the load benchmarks (issue 9). The registry is the real one (FINESS and SAE files of
//! `CPOM_DEMO_DATA_DIR`); each region gets a copy of the shipped Occitanie catalogue,
//! published; each legal entity one signed CPOM with up to 25 engagements taken from it (with
//! the targets of its band); each region five yearly campaigns (2025 to 2029) whose
//! declarations are given, from the seed, a state, a value, their history and evidence
//! (`cpom_domain::generate`), then their verdicts. Everything goes through the store,
//! audited, on a store connected for a bulk load (`ConnectSettings::bulk_load`: commits do
//! not wait for the disk, and PostgreSQL's statistics are refreshed once per stage instead
//! of after each campaign). The same seed gives the same dataset.

use std::time::Instant;

use anyhow::Context;
use chrono::NaiveDate;
use cpom_domain::contract::{ContractState, Signatory, SignatoryRole};
use cpom_domain::{RegionCode, ScopeFilter};
use cpom_store::repo::campaigns::{NewCampaign, Perimeter};
use cpom_store::repo::contracts::NewContract;
use cpom_store::repo::imports::ImportFile;
use cpom_store::repo::registry::ImportKind;
use cpom_store::{AuditActor, Store};

/// How much to generate.
#[derive(Debug, Clone)]
pub enum Scale {
    /// Every region.
    National,
    /// One region.
    Region(RegionCode),
}

/// Engagements per contract (at most: a catalogue with fewer actions gives fewer).
pub const ENGAGEMENTS: usize = 25;
/// Contracts created before those of the batch are signed (in parallel on PostgreSQL).
const SIGNING_BATCH: usize = 256;
/// The years of the campaigns.
pub const YEARS: std::ops::RangeInclusive<i32> = 2025..=2029;

/// What was generated, with the time of each stage.
#[derive(Debug, Default)]
pub struct Report {
    /// Legal entities in the registry.
    pub entities: usize,
    /// Sites in the registry.
    pub sites: u64,
    /// Catalogues published.
    pub catalogues: usize,
    /// Signed contracts.
    pub contracts: usize,
    /// Engagements over all contracts.
    pub engagements: usize,
    /// Campaigns opened.
    pub campaigns: usize,
    /// Declarations by state, over every campaign.
    pub declarations: std::collections::BTreeMap<&'static str, u64>,
    /// Stage, seconds.
    pub stages: Vec<(&'static str, f64)>,
}

/// The content of a contract of `band` built from catalogue `c`: its first [`ENGAGEMENTS`]
/// actions with an indicator, each with the targets of the band.
fn engagements_of(
    c: &cpom_domain::catalogue::Catalogue,
    band: Option<cpom_domain::registry::SizeBand>,
) -> anyhow::Result<cpom_domain::contract::ContractContent> {
    let mut content = cpom_domain::contract::ContractContent::default();
    for a in c.actions.iter() {
        if content.engagements.len() >= ENGAGEMENTS {
            break;
        }
        if c.indicators_of(&a.code).next().is_none() {
            continue;
        }
        content = cpom_domain::contract::add_engagement(&content, c, &a.code, None, None, band)
            .map_err(|err| anyhow::anyhow!("{}: {}", a.code, err.message))?;
    }
    Ok(content)
}

/// How many tasks write at once: one per core on PostgreSQL, where they run side by side
/// (the server's CPU work and the database's then fill both cores, where one task leaves
/// each idle half the time); one on SQLite, which takes one writer at a time.
fn workers(store: &Store) -> usize {
    if store.backend_name() == "postgresql" {
        std::thread::available_parallelism().map_or(2, |n| n.get())
    } else {
        1
    }
}

/// Runs `job` on every item, `workers` tasks at once (each taking every `workers`-th item,
/// in order), and returns the results in the order of the items; the first error stops it.
async fn in_parallel<T, R, F, Fut>(items: Vec<T>, workers: usize, job: F) -> anyhow::Result<Vec<R>>
where
    T: Send + 'static,
    R: Send + 'static,
    F: Fn(T) -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = anyhow::Result<R>> + Send,
{
    let workers = workers.max(1);
    let mut stripes: Vec<Vec<(usize, T)>> = (0..workers).map(|_| vec![]).collect();
    for (i, item) in items.into_iter().enumerate() {
        stripes[i % workers].push((i, item));
    }
    let mut tasks = tokio::task::JoinSet::new();
    for stripe in stripes {
        let job = job.clone();
        tasks.spawn(async move {
            let mut done = Vec::with_capacity(stripe.len());
            for (i, item) in stripe {
                done.push((i, job(item).await?));
            }
            anyhow::Ok(done)
        });
    }
    let mut results = vec![];
    while let Some(done) = tasks.join_next().await {
        results.extend(done.context("tâche de génération interrompue")??);
    }
    results.sort_by_key(|(i, _)| *i);
    Ok(results.into_iter().map(|(_, r)| r).collect())
}

fn stage(report: &mut Report, name: &'static str, start: Instant) {
    let s = start.elapsed().as_secs_f64();
    println!("  {name} : {s:.1} s");
    report.stages.push((name, s));
}

/// Generates the dataset on an empty database (refused when it holds contracts already).
pub async fn generate(
    store: &Store,
    data_dir: &std::path::Path,
    scale: &Scale,
    seed: u64,
) -> anyhow::Result<Report> {
    let actor = AuditActor {
        user_id: None,
        label: "génération".into(),
    };
    let existing = store
        .list_contracts(&ScopeFilter::All, &Default::default(), 1, 1)
        .await?;
    if existing.total > 0 {
        anyhow::bail!(
            "la base contient déjà des contrats : « cpom generate » part d'une base vide (CPOM_DATABASE_URL, CPOM_DATA_DIR)"
        );
    }
    let mut report = Report::default();
    // 1. The real registry.
    let start = Instant::now();
    let region = match scale {
        Scale::National => None,
        Scale::Region(r) => Some(r),
    };
    for (kind, file) in [
        (ImportKind::Finess, "finess_etabs_hopitaux_france_FHOFF.csv"),
        (ImportKind::SaeId, "SAE_2023_ID_2023r.csv"),
        (ImportKind::SaeCapacity, "SAE_2023_SYGEN_2023r.csv"),
    ] {
        let path = data_dir.join(file);
        if !path.is_file() {
            anyhow::bail!(
                "{} introuvable : indiquez le dossier des fichiers FINESS et SAE dans CPOM_DEMO_DATA_DIR",
                path.display()
            );
        }
        store
            .import_path(
                &actor,
                region,
                &ImportFile {
                    kind,
                    path: &path,
                    file_name: file,
                    expected_checksum: None,
                },
                true,
            )
            .await
            .with_context(|| format!("import de {file}"))?;
    }
    let entities = store.entities_to_contract().await?;
    report.entities = entities.len();
    report.sites = store.registry_counts().await?.1;
    stage(&mut report, "registre", start);
    // 2. A catalogue per region: a copy of the shipped Occitanie one, published.
    let start = Instant::now();
    let model = cpom_import::catalogue::read_toml(include_str!(
        "../../../catalogues/occitanie-2025-2029.toml"
    ))
    .map_err(|e| anyhow::anyhow!("référentiel d'Occitanie : {e:?}"))?;
    let mut regions: Vec<RegionCode> = entities.iter().map(|e| e.region.clone()).collect();
    regions.sort();
    regions.dedup();
    let mut catalogues = std::collections::HashMap::new();
    for r in &regions {
        let mut c = model.clone();
        if *r != model.region {
            c.slug = format!("cpom-{r}-2025-2029");
            c.title = format!("CPOM 2025-2029 — {}", r.name());
            c.region = r.clone();
        }
        store.import_catalogue(&actor, &c, true).await?;
        catalogues.insert(r.clone(), c);
    }
    report.catalogues = catalogues.len();
    stage(&mut report, "référentiels", start);
    // 3. One signed contract per legal entity.
    let start = Instant::now();
    let signed_on = NaiveDate::from_ymd_opt(2025, 2, 1).context("date")?;
    let mut contract_ids = Vec::with_capacity(entities.len());
    let workers = workers(store);
    let mut contents = std::collections::HashMap::new();
    // By batches, so that only one batch's contents are held at a time.
    for batch in entities.chunks(SIGNING_BATCH) {
        let mut to_sign = Vec::with_capacity(batch.len());
        for e in batch {
            let c = &catalogues[&e.region];
            // The same for every entity of a region and band: built once.
            let mut content = match contents.get(&(e.region.clone(), e.band)) {
                Some(content) => Clone::clone(content),
                None => {
                    let built = engagements_of(c, e.band)?;
                    contents.insert((e.region.clone(), e.band), built.clone());
                    built
                }
            };
            report.engagements += content.engagements.len();
            // Created one after the other, so that the ids (on which the fates of the
            // declarations are drawn) do not depend on the order of parallel work.
            let contract = store
                .create_contract(
                    &actor,
                    &NewContract {
                        region: e.region.clone(),
                        ej: e.ej.clone(),
                        catalogue_slug: c.slug.clone(),
                        catalogue_version: 1,
                        title: format!("CPOM 2025-2029 — {}", e.ej),
                        start_year: c.start_year,
                        end_year: c.end_year,
                        band: e.band,
                        negotiator_id: None,
                        content: content.clone(),
                    },
                )
                .await?;
            content.signatories = [SignatoryRole::DgArs, SignatoryRole::LegalRepresentative]
                .into_iter()
                .map(|role| Signatory {
                    role,
                    name: "Signataire".into(),
                    function: "Direction".into(),
                    date: signed_on,
                })
                .collect();
            contract_ids.push(contract.id);
            to_sign.push((contract.id, contract.row_version, content));
        }
        in_parallel(to_sign, workers, {
            let (store, actor) = (store.clone(), actor.clone());
            move |(id, mut version, content)| {
                let (store, actor) = (store.clone(), actor.clone());
                async move {
                    for to in [
                        ContractState::Negotiation,
                        ContractState::ReadyToSign,
                        ContractState::Signed,
                    ] {
                        let signed = (to == ContractState::Signed).then_some(&content);
                        version = store
                            .move_contract(&actor, id, version, to, None, signed)
                            .await?
                            .row_version;
                    }
                    anyhow::Ok(())
                }
            }
        })
        .await?;
    }
    report.contracts = contract_ids.len();
    stage(&mut report, "contrats signés", start);
    // 4. Five yearly campaigns per region, their declarations given their fates.
    let start = Instant::now();
    let latest = *YEARS.end();
    // Opened one after the other (the ids of their declarations, on which the fates are
    // drawn, follow that order), then filled in parallel.
    let mut opened = vec![];
    for r in &regions {
        for year in YEARS {
            let (campaign, _) = store
                .open_campaign(
                    &actor,
                    &NewCampaign {
                        region: r.clone(),
                        year,
                        title: format!("Campagne {year} — {}", r.name()),
                        deadline: NaiveDate::from_ymd_opt(year + 1, 3, 31).context("date")?,
                        perimeter: Perimeter::Region,
                    },
                )
                .await?;
            opened.push((campaign.id, year));
        }
    }
    report.campaigns = opened.len();
    let filled = in_parallel(opened, workers, {
        let (store, actor) = (store.clone(), actor.clone());
        move |(id, year)| {
            let (store, actor) = (store.clone(), actor.clone());
            async move {
                let age = u32::try_from(latest - year).unwrap_or(0);
                let evidence = format!(
                    "%PDF-1.4\n% Rapport d'activité {year} (jeu de données généré)\n%%EOF\n"
                );
                let counts = store
                    .fill_campaign(
                        &actor,
                        id,
                        (&format!("rapport-activite-{year}.pdf"), evidence.as_bytes()),
                        |id, kind| {
                            cpom_domain::generate::fate(
                                seed,
                                age,
                                u64::try_from(id).unwrap_or(0),
                                kind,
                            )
                        },
                    )
                    .await?;
                anyhow::Ok(counts)
            }
        }
    })
    .await?;
    for counts in filled {
        for (s, n) in counts {
            *report.declarations.entry(s.as_str()).or_default() += n;
        }
    }
    store.refresh_statistics().await?;
    stage(&mut report, "campagnes et déclarations", start);
    // 5. The verdicts, as the server keeps them after each change.
    let start = Instant::now();
    in_parallel(contract_ids, workers, {
        let store = store.clone();
        move |id| {
            let store = store.clone();
            async move {
                cpom_web::evaluation::refresh_contract(&store, id)
                    .await
                    .map_err(|e| anyhow::anyhow!("verdicts du contrat n° {id} : {e:?}"))
            }
        }
    })
    .await?;
    store.refresh_statistics().await?;
    stage(&mut report, "verdicts", start);
    Ok(report)
}
