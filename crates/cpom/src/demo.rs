//! Demo data: the registry of Occitanie from the real FINESS and SAE files, the examples of
//! the authorisation and GHT templates, the three shipped catalogues (published), three real
//! legal entities, contracts in every state and one account per role,
//! with passwords printed in the terminal. Running `cpom demo` again gives the demo accounts new passwords, so that
//! the printed ones always work.

use cpom_domain::contract::ContractState;
use cpom_domain::{DisplayName, Email, FinessId, PlainPassword, RegionCode, Role};
use std::path::{Path, PathBuf};

use anyhow::Context;
use cpom_store::repo::imports::ImportFile;
use cpom_store::repo::registry::ImportKind;
use cpom_store::repo::territories::{AUTHORISATIONS_TEMPLATE, GHT_TEMPLATE};
use cpom_store::{AuditActor, NewUser, Store};

/// Legal entities of the demo (real FINESS EJ numbers).
const ENTITIES: [(&str, &str, &str); 3] = [
    ("340780477", "CHU de Montpellier", "76"),
    ("310781406", "CHU de Toulouse", "76"),
    ("690781810", "Hospices civils de Lyon", "84"),
];

/// A demo account: role, e-mail, name, region, EJ.
type DemoAccount = (
    Role,
    &'static str,
    &'static str,
    Option<&'static str>,
    Option<&'static str>,
);

/// Demo accounts.
const ACCOUNTS: [DemoAccount; 10] = [
    (
        Role::NationalAdmin,
        "national-admin@cpom.demo",
        "Nadia Nationale",
        None,
        None,
    ),
    (
        Role::ArsAdmin,
        "ars-admin@cpom.demo",
        "Arnaud Administrateur",
        Some("76"),
        None,
    ),
    (
        Role::ArsReferent,
        "ars-referent@cpom.demo",
        "Rita Référente",
        Some("76"),
        None,
    ),
    (
        Role::EstablishmentLeader,
        "establishment-leader@cpom.demo",
        "Louis Directeur",
        None,
        Some("340780477"),
    ),
    (
        Role::EstablishmentContributor,
        "establishment-contributor@cpom.demo",
        "Camille Contributrice",
        None,
        Some("340780477"),
    ),
    // The leader of the CHU de Nîmes, whose contract is followed by the demo campaign.
    (
        Role::EstablishmentLeader,
        "nimes-leader@cpom.demo",
        "Nina Directrice",
        None,
        Some(AMENDED),
    ),
    (
        Role::Observer,
        "observer@cpom.demo",
        "Olivier Observateur",
        Some("76"),
        None,
    ),
    (
        Role::EstablishmentLeader,
        "hcl-leader@cpom.demo",
        "Hélène Lyonnaise",
        None,
        Some("690781810"),
    ),
    // The agency and the Assurance maladie of PACA, who follow the demo action plan: the
    // administrator of the ARS, and a pilot of the Assurance maladie given the editor role
    // on the plan.
    (
        Role::ArsAdmin,
        "paca-admin@cpom.demo",
        "Paul Administrateur PACA",
        Some("93"),
        None,
    ),
    (
        Role::Observer,
        "am-paca@cpom.demo",
        "Amélie Assurance maladie",
        Some("93"),
        None,
    ),
];

/// The Assurance maladie's pilot of PACA edits the demo plan.
const PLAN_EDITOR: &str = "am-paca@cpom.demo";

/// Where the real FINESS and SAE files are: `CPOM_DEMO_DATA_DIR`, or `../shared/data` next to
/// the source tree.
pub fn data_dir() -> PathBuf {
    std::env::var_os("CPOM_DEMO_DATA_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"))
}

/// The files of the demo registry, in import order.
const REGISTRY_FILES: [(ImportKind, &str); 3] = [
    (ImportKind::Finess, "finess_etabs_hopitaux_france_FHOFF.csv"),
    (ImportKind::SaeId, "SAE_2023_ID_2023r.csv"),
    (ImportKind::SaeCapacity, "SAE_2023_SYGEN_2023r.csv"),
];

/// Region whose registry the demo loads (Occitanie).
pub const DEMO_REGION: &str = "76";

/// Loads the registry of Occitanie from the real files, once (when no site is known yet).
async fn load_registry(store: &Store, actor: &AuditActor) -> anyhow::Result<()> {
    let (_, sites, _) = store.registry_counts().await?;
    if sites > 0 {
        return Ok(());
    }
    let dir = data_dir();
    if !REGISTRY_FILES.iter().all(|(_, f)| dir.join(f).is_file()) {
        println!(
            "Registre de démonstration non chargé : fichiers FINESS et SAE absents de {} (variable CPOM_DEMO_DATA_DIR).",
            dir.display()
        );
        return Ok(());
    }
    let region = RegionCode::parse(DEMO_REGION)?;
    for (kind, file) in REGISTRY_FILES {
        let path = dir.join(file);
        let report = store
            .import_path(
                actor,
                Some(&region),
                &ImportFile {
                    kind,
                    path: &path,
                    file_name: file,
                    expected_checksum: None,
                },
                true,
            )
            .await
            .with_context(|| format!("import de démonstration de {}", path.display()))?;
        if !report.applied {
            anyhow::bail!(
                "import de démonstration de {} refusé : {} ligne(s) rejetée(s)",
                path.display(),
                report.rejected.len()
            );
        }
    }
    let (ejs, sites, _) = store.registry_counts().await?;
    println!(
        "Registre de démonstration chargé ({}) : {ejs} entités juridiques, {sites} sites.",
        region.name()
    );
    Ok(())
}

/// Loads the examples of the two ARS templates (authorisations of three sites, the GHT
/// Est-Hérault et Sud-Aveyron), once (when no GHT is known yet) and when their sites are in
/// the registry.
async fn load_templates(store: &Store, actor: &AuditActor) -> anyhow::Result<()> {
    let region = RegionCode::parse(DEMO_REGION)?;
    let (_, sites, _) = store.registry_counts().await?;
    if sites == 0
        || !store
            .list_ghts(
                &cpom_domain::ScopeFilter::All,
                chrono::Utc::now().date_naive(),
            )
            .await?
            .is_empty()
    {
        return Ok(());
    }
    let dir = store.files_dir().join("imports");
    std::fs::create_dir_all(&dir)?;
    for (kind, name, text) in [
        (
            ImportKind::Authorisations,
            "autorisations.csv",
            AUTHORISATIONS_TEMPLATE,
        ),
        (ImportKind::Ght, "ght.csv", GHT_TEMPLATE),
    ] {
        let path = dir.join(format!("demo-{name}"));
        std::fs::write(&path, text)?;
        let report = store
            .import_path(
                actor,
                Some(&region),
                &ImportFile {
                    kind,
                    path: &path,
                    file_name: name,
                    expected_checksum: None,
                },
                true,
            )
            .await;
        let _ = std::fs::remove_file(&path);
        let report = report.with_context(|| format!("import de démonstration de {name}"))?;
        if !report.applied {
            anyhow::bail!(
                "import de démonstration de {name} refusé : {}",
                report
                    .rejected
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(" ; ")
            );
        }
    }
    println!(
        "Exemples des modèles chargés : autorisations de trois sites, GHT Est-Hérault et Sud-Aveyron."
    );
    Ok(())
}

/// Loads and publishes the three shipped catalogues (unchanged ones stay as they are).
async fn load_catalogues(store: &Store, actor: &AuditActor) -> anyhow::Result<()> {
    for (slug, text) in cpom_import::catalogue::SHIPPED {
        let c = cpom_import::catalogue::read_toml(text).map_err(|errors| {
            anyhow::anyhow!(
                "référentiel {slug} : {}",
                errors.first().map(ToString::to_string).unwrap_or_default()
            )
        })?;
        store
            .import_catalogue(actor, &c, true)
            .await
            .with_context(|| format!("import du référentiel {slug}"))?;
    }
    println!(
        "Référentiels publiés : Occitanie 2025–2029, Auvergne-Rhône-Alpes 2020–2024, Île-de-France positionnement territorial."
    );
    Ok(())
}

/// Demo contracts: legal entity, catalogue, model actions, and the states they go through.
const CONTRACTS: [(&str, &str, &[&str], &[ContractState]); 6] = {
    use ContractState::*;
    [
        // CHU de Nîmes, the named case "CHU 30" of the Occitanie fiches: signed.
        (
            "300780038",
            "occitanie-2025-2029",
            &["CPOM_CT_1", "CPOM_CT_6", "CPOM_OS_1"],
            &[Negotiation, ReadyToSign, Signed],
        ),
        (
            "310781406",
            "occitanie-2025-2029",
            &["CPOM_CT_2", "CPOM_CT_6"],
            &[Negotiation, ReadyToSign],
        ),
        (
            "660780180",
            "occitanie-2025-2029",
            &["CPOM_CT_5", "CPOM_OS_2"],
            &[Negotiation],
        ),
        ("340780055", "occitanie-2025-2029", &["CPOM_CT_7"], &[]),
        (
            "110780061",
            "occitanie-2025-2029",
            &["CPOM_CT_4"],
            &[Negotiation, ReadyToSign, Signed, Terminated],
        ),
        // Hospices civils de Lyon, on the Auvergne-Rhône-Alpes 2020–2024 generation: ended.
        (
            "690781810",
            "aura-2020-2024",
            &["1.1-1", "1.2-1"],
            &[Negotiation, ReadyToSign, Signed, Expired],
        ),
    ]
};

/// Creates the demo contracts, once (when there is no contract yet), for the legal entities
/// of the registry: engagements from the catalogue with the targets of each entity's band,
/// moved through their states, the signed ones with their signatories.
async fn load_contracts(store: &Store, actor: &AuditActor) -> anyhow::Result<()> {
    use cpom_domain::contract::{ContractContent, Signatory, SignatoryRole, add_engagement};
    use cpom_store::repo::contracts::NewContract;
    let existing = store
        .list_contracts(&cpom_domain::ScopeFilter::All, &Default::default(), 1, 1)
        .await?;
    if existing.total > 0 {
        return Ok(());
    }
    let mut created = 0;
    for (finess, slug, actions, states) in CONTRACTS {
        let finess = FinessId::parse(finess)?;
        let Some(entity) = store.get_legal_entity(&finess).await? else {
            continue;
        };
        let (meta, c) = store.catalogue(slug, None, false).await?;
        let band = entity.size_band();
        let mut content = ContractContent::default();
        for action in actions {
            content = add_engagement(&content, &c, action, None, Some(&finess), band)
                .map_err(|e| anyhow::anyhow!("{} : {}", action, e.message))?;
        }
        let contract = store
            .create_contract(
                actor,
                &NewContract {
                    region: entity.region.clone(),
                    ej: finess.clone(),
                    catalogue_slug: meta.slug.clone(),
                    catalogue_version: meta.version,
                    title: format!("CPOM {} — {}", c.generation, entity.name),
                    start_year: c.start_year,
                    end_year: c.end_year,
                    band,
                    negotiator_id: None,
                    content: content.clone(),
                },
            )
            .await?;
        let mut row_version = contract.row_version;
        // As at a real signature, the registry facts of annex 2 are frozen in the contract.
        let frozen = store
            .registry_snapshot(
                &finess,
                chrono::NaiveDate::from_ymd_opt(c.start_year, 3, 15).expect("a valid date"),
            )
            .await?;
        for to in states {
            let signed_content = (*to == ContractState::Signed).then(|| {
                let date =
                    chrono::NaiveDate::from_ymd_opt(c.start_year, 3, 15).expect("a valid date");
                let mut signed = content.clone();
                signed.signatories = vec![
                    Signatory {
                        role: SignatoryRole::DgArs,
                        name: "Directeur général de l'ARS (démonstration)".into(),
                        function: "Directeur général".into(),
                        date,
                    },
                    Signatory {
                        role: SignatoryRole::LegalRepresentative,
                        name: "Représentant légal (démonstration)".into(),
                        function: "Directeur général".into(),
                        date,
                    },
                ];
                signed.registry = Some(frozen.clone());
                signed
            });
            let moved = store
                .move_contract(
                    actor,
                    contract.id,
                    row_version,
                    *to,
                    Some("données de démonstration"),
                    signed_content.as_ref(),
                )
                .await?;
            row_version = moved.row_version;
        }
        if finess.as_str() == AMENDED {
            amend(store, actor, contract.id, c.start_year).await?;
        }
        created += 1;
    }
    if created > 0 {
        println!(
            "Contrats de démonstration : {created}, un dans chaque état ; celui du {AMENDED} a un avenant signé."
        );
    }
    Ok(())
}

/// The demo contract that has a signed avenant: the CHU de Nîmes.
const AMENDED: &str = "300780038";

/// Avenant n° 1 of a signed demo contract: its first engagement binds three sites and one of
/// its targets is revised, then the avenant is negotiated and signed in June of the
/// contract's second year.
async fn amend(store: &Store, actor: &AuditActor, id: i64, start_year: i32) -> anyhow::Result<()> {
    use cpom_domain::contract::{Signatory, SignatoryRole};
    let c = store.contract(id).await?;
    let opened = store
        .propose_avenant(
            actor,
            id,
            c.row_version,
            Some("données de démonstration : engagement porté par trois sites, cible révisée"),
        )
        .await?;
    let mut content = opened.content.clone();
    let Some(first) = content.engagements.first_mut() else {
        return Ok(());
    };
    let before = serde_json::to_value(&*first).ok();
    // The first engagement now binds three of the entity's sites, and its target of the
    // third year is revised.
    first.sites = store
        .legal_entity_detail(&c.ej)
        .await?
        .sites
        .iter()
        .take(3)
        .map(|s| s.finess.clone())
        .collect();
    let third = cpom_domain::catalogue::TargetYear::Year(start_year + 2);
    if let Some(t) = first.targets.iter_mut().find(|t| t.year == third) {
        t.text = format!("{} (révisé par l'avenant n° 1)", t.text);
        t.source = "négocié".into();
    }
    let after = serde_json::to_value(&*first).ok();
    let key = first.key.clone();
    let saved = store
        .save_contract_content(
            actor,
            id,
            opened.row_version,
            &content,
            &format!("modification de l'engagement {key}"),
            before,
            after,
        )
        .await?;
    let date = chrono::NaiveDate::from_ymd_opt(start_year + 1, 6, 1).expect("a valid date");
    let mut row_version = saved.row_version;
    for to in [
        ContractState::Negotiation,
        ContractState::ReadyToSign,
        ContractState::Signed,
    ] {
        let signed = (to == ContractState::Signed).then(|| {
            let mut signed = content.clone();
            signed.signatories = vec![
                Signatory {
                    role: SignatoryRole::DgArs,
                    name: "Directeur général de l'ARS (démonstration)".into(),
                    function: "Directeur général".into(),
                    date,
                },
                Signatory {
                    role: SignatoryRole::LegalRepresentative,
                    name: "Représentant légal (démonstration)".into(),
                    function: "Directeur général".into(),
                    date,
                },
            ];
            signed
        });
        let signed = match signed {
            Some(mut s) => {
                s.registry = Some(store.registry_snapshot(&c.ej, date).await?);
                Some(s)
            }
            None => None,
        };
        row_version = store
            .move_contract(
                actor,
                id,
                row_version,
                to,
                Some("données de démonstration"),
                signed.as_ref(),
            )
            .await?
            .row_version;
    }
    Ok(())
}

/// A demo campaign, once: the year 2026 of the Occitanie contracts in force, with its
/// declarations in every state.
async fn load_campaign(store: &Store, actor: &AuditActor) -> anyhow::Result<()> {
    use cpom_domain::campaign::{DeclarationState, Value};
    use cpom_domain::catalogue::IndicatorKind;
    use cpom_store::repo::campaigns::{DeclarationStep, NewCampaign, Perimeter};
    if !store
        .list_campaigns(&cpom_domain::ScopeFilter::All)
        .await?
        .is_empty()
    {
        return Ok(());
    }
    let region = cpom_domain::RegionCode::parse("76")?;
    let opened = store
        .open_campaign(
            actor,
            &NewCampaign {
                region: region.clone(),
                year: 2026,
                title: "Campagne 2026 (démonstration)".into(),
                deadline: chrono::NaiveDate::from_ymd_opt(2027, 3, 31).expect("a valid date"),
                perimeter: Perimeter::Region,
            },
        )
        .await;
    let (campaign, _) = match opened {
        Ok(c) => c,
        // No contract in force in the registry loaded: no demo campaign.
        Err(cpom_store::StoreError::Invalid { .. }) => return Ok(()),
        Err(e) => return Err(e.into()),
    };
    let declarations = store
        .list_declarations(
            campaign.id,
            &cpom_domain::ScopeFilter::All,
            &Default::default(),
            1,
            100,
        )
        .await?
        .items;
    let value = |kind: IndicatorKind| match kind {
        IndicatorKind::Count => Value::Number { value: 12.0 },
        IndicatorKind::Amount => Value::Number { value: 150_000.0 },
        IndicatorKind::Rate => Value::Rate {
            numerator: 45.0,
            denominator: 60.0,
        },
        IndicatorKind::YesNo => Value::YesNo { answer: true },
        IndicatorKind::Milestone => Value::Milestone { reached: true },
        IndicatorKind::Text => Value::Text {
            text: "Réalisé comme prévu.".into(),
        },
    };
    use DeclarationState::*;
    // The first stays to do; then a draft, a submitted, a returned and a validated one.
    let paths: [&[(DeclarationState, &str, Option<&str>)]; 4] = [
        &[(Draft, "enregistrement du brouillon", None)],
        &[
            (Draft, "enregistrement du brouillon", None),
            (Submitted, "soumission", None),
        ],
        &[
            (Submitted, "soumission", None),
            (
                Returned,
                "renvoi pour correction",
                Some("Le justificatif ne porte pas sur l'année 2026."),
            ),
        ],
        &[
            (Submitted, "soumission", None),
            (Validated, "validation", None),
        ],
    ];
    for (d, path) in declarations.iter().skip(1).zip(paths) {
        let v = value(d.kind);
        let mut row_version = d.row_version;
        for (to, label, reason) in path {
            row_version = store
                .record_declaration_step(
                    actor,
                    d.id,
                    row_version,
                    &DeclarationStep {
                        label,
                        to: *to,
                        value: Some(&v),
                        comment: None,
                        reason: *reason,
                        contested: None,
                        overridden: None,
                    },
                )
                .await?
                .row_version;
        }
    }
    println!(
        "Campagne de démonstration : {} déclarations, une dans chaque état.",
        declarations.len()
    );
    load_ars_values(store, actor, &region).await
}

/// A second demo campaign, for 2025, whose values come from the agency's PMSI extraction (a
/// CSV read and loaded as an administrator would): the establishment confirms one (then
/// validated), contests another, and the rest wait for its answer.
async fn load_ars_values(
    store: &Store,
    actor: &AuditActor,
    region: &cpom_domain::RegionCode,
) -> anyhow::Result<()> {
    use cpom_domain::campaign::{self, DeclarationState, ValueSource};
    use cpom_domain::catalogue::IndicatorKind;
    use cpom_store::repo::campaigns::{DeclarationStep, NewCampaign, NewValueImport, Perimeter};
    let opened = store
        .open_campaign(
            actor,
            &NewCampaign {
                region: region.clone(),
                year: 2025,
                title: "Campagne 2025 (démonstration, valeurs PMSI)".into(),
                deadline: chrono::NaiveDate::from_ymd_opt(2027, 1, 31).expect("a valid date"),
                perimeter: Perimeter::Region,
            },
        )
        .await;
    let (campaign, _) = match opened {
        Ok(c) => c,
        Err(cpom_store::StoreError::Invalid { .. }) => return Ok(()),
        Err(e) => return Err(e.into()),
    };
    let targets = store.load_targets(campaign.id).await?;
    let mut csv = String::from("finess;indicateur;annee;valeur;numerateur;denominateur\n");
    for (i, t) in targets.iter().enumerate() {
        let finess = t.site.as_deref().unwrap_or(&t.ej);
        let n = 40 + i * 7;
        let line = match t.kind {
            IndicatorKind::Count | IndicatorKind::Amount => format!("{n};;"),
            IndicatorKind::Rate => format!(";{n};80"),
            IndicatorKind::YesNo | IndicatorKind::Milestone => "oui;;".into(),
            IndicatorKind::Text => "Mesuré par l'ARS.;;".into(),
        };
        csv.push_str(&format!("{finess};{};2025;{line}\n", t.indicator));
    }
    let lines = cpom_import::bulk_values::read(csv.as_bytes())
        .map_err(|e| anyhow::anyhow!("demo values: {:?}", e))?;
    let planned = campaign::plan_bulk(2025, &lines, &targets)
        .map_err(|e| anyhow::anyhow!("demo values: {:?}", e))?;
    let checksum = cpom_import::reader::checksum_bytes(csv.as_bytes());
    store
        .load_values(
            actor,
            &campaign,
            &NewValueImport {
                source: ValueSource::Pmsi,
                detail: "PMSI MCO 2025, extraction de démonstration",
                file_name: "pmsi-2025.csv",
                checksum: &checksum,
            },
            &planned,
        )
        .await?;
    let loaded = store
        .list_declarations(
            campaign.id,
            &cpom_domain::ScopeFilter::All,
            &Default::default(),
            1,
            100,
        )
        .await?
        .items;
    let leader = AuditActor {
        label: "Direction du CHU (démonstration)".into(),
        ..actor.clone()
    };
    // The first confirmed then validated, the second contested; the others wait.
    if let Some(d) = loaded.first() {
        let d = store
            .record_declaration_step(
                &leader,
                d.id,
                d.row_version,
                &DeclarationStep {
                    label: campaign::Step::Confirm.label(),
                    to: DeclarationState::Submitted,
                    value: None,
                    comment: None,
                    reason: None,
                    contested: Some(false),
                    overridden: None,
                },
            )
            .await?;
        store
            .record_declaration_step(
                actor,
                d.id,
                d.row_version,
                &DeclarationStep {
                    label: campaign::Step::Validate.label(),
                    to: DeclarationState::Validated,
                    value: None,
                    comment: None,
                    reason: None,
                    contested: None,
                    overridden: None,
                },
            )
            .await?;
    }
    if let Some(d) = loaded.get(1) {
        let comment =
            "Le PMSI 2025 n'inclut pas les séjours de décembre du site de Serre-Cavalier.";
        store
            .record_declaration_step(
                &leader,
                d.id,
                d.row_version,
                &DeclarationStep {
                    label: campaign::Step::Contest {
                        comment: comment.into(),
                    }
                    .label(),
                    to: DeclarationState::Submitted,
                    value: None,
                    comment: Some(Some(comment)),
                    reason: None,
                    contested: Some(true),
                    overridden: None,
                },
            )
            .await?;
    }
    // Two more are confirmed and validated, and the agency gives its own appreciation, with
    // its justification, where the figures alone mislead. With the contested one, validated
    // and left to be assessed at the review, the demo shows every verdict.
    let referent = AuditActor {
        label: "Référente CPOM de l'ARS (démonstration)".into(),
        ..actor.clone()
    };
    // The last one still waits for the establishment's answer.
    let appreciations: [Option<(&str, &str)>; 2] = [
        Some((
            "sans_objet",
            "Unité fermée pour travaux de mars à décembre 2025 : l'engagement est sans objet cette année pour ce site.",
        )),
        Some((
            "partiellement_atteint",
            "La valeur 2024 n'est pas dans la plateforme ; d'après le rapport d'activité 2024 (58 séjours), la progression est réelle mais inférieure à celle attendue.",
        )),
    ];
    fn step<'a>(
        label: &'a str,
        to: DeclarationState,
        overridden: Option<Option<&'a cpom_domain::evaluation::Override>>,
    ) -> DeclarationStep<'a> {
        DeclarationStep {
            label,
            to,
            value: None,
            comment: None,
            reason: None,
            contested: (label == campaign::Step::Confirm.label()).then_some(false),
            overridden,
        }
    }
    for (d, appreciation) in loaded.iter().skip(2).zip(appreciations) {
        let d = store
            .record_declaration_step(
                &leader,
                d.id,
                d.row_version,
                &step(
                    campaign::Step::Confirm.label(),
                    DeclarationState::Submitted,
                    None,
                ),
            )
            .await?;
        let d = store
            .record_declaration_step(
                &referent,
                d.id,
                d.row_version,
                &step(
                    campaign::Step::Validate.label(),
                    DeclarationState::Validated,
                    None,
                ),
            )
            .await?;
        if let Some((verdict, why)) = appreciation {
            let o = cpom_domain::evaluation::read_override(verdict, why)
                .map_err(|e| anyhow::anyhow!(e))?;
            store
                .record_declaration_step(
                    &referent,
                    d.id,
                    d.row_version,
                    &step(
                        "appréciation de l'ARS",
                        DeclarationState::Validated,
                        Some(Some(&o)),
                    ),
                )
                .await?;
        }
    }
    if let Some(d) = loaded.get(1) {
        let d = store.declaration(d.id).await?.0;
        let d = store
            .record_declaration_step(
                &referent,
                d.id,
                d.row_version,
                &step(
                    campaign::Step::Validate.label(),
                    DeclarationState::Validated,
                    None,
                ),
            )
            .await?;
        let o = cpom_domain::evaluation::read_override(
            "a_apprecier",
            "Valeur contestée par l'établissement (séjours de décembre manquants) : à apprécier lors de la revue annuelle.",
        )
        .map_err(|e| anyhow::anyhow!(e))?;
        store
            .record_declaration_step(
                &referent,
                d.id,
                d.row_version,
                &step(
                    "appréciation de l'ARS",
                    DeclarationState::Validated,
                    Some(Some(&o)),
                ),
            )
            .await?;
    }
    println!(
        "Campagne de démonstration 2025 : {} valeurs chargées depuis le PMSI ; confirmées ou contestées, validées et appréciées par l'ARS (chaque verdict figure dans la démonstration), sauf une qui attend la réponse de l'établissement.",
        planned.len()
    );
    Ok(())
}

/// A demo review, once: the 2026 management dialogue with the CHU de Nîmes, its minutes and
/// a road map of three actions tied to its contract's engagements (one done, one late, one
/// to start).
async fn load_review(store: &Store, actor: &AuditActor) -> anyhow::Result<()> {
    use cpom_domain::review::{EngagementRef, action_fields, review_fields};
    use cpom_store::repo::reviews::NewReview;
    let ej = FinessId::parse(AMENDED)?;
    if store
        .list_reviews(&cpom_domain::ScopeFilter::All, &Default::default(), 1, 1)
        .await?
        .total
        > 0
        || store.get_legal_entity(&ej).await?.is_none()
    {
        return Ok(());
    }
    let review = store
        .create_review(
            &AuditActor {
                label: "Référente CPOM de l'ARS (démonstration)".into(),
                ..actor.clone()
            },
            &NewReview {
                region: RegionCode::parse("76")?,
                ej: Some(ej),
                ght: None,
                fields: review_fields(
                    "15/06/2026",
                    "Référente CPOM, ARS Occitanie (délégation du Gard)\nDirecteur général du CHU\nPrésident de la CME\nDirectrice des soins",
                    "Revue annuelle du CPOM sur la base de la campagne 2025.\n\n\
                     Ambulatoire : la cible 2025 est atteinte (85 %), la trajectoire 2026 est confirmée.\n\
                     Séjours : la progression est inférieure à l'attendu ; le CHU présente un plan de réouverture de l'unité fermée pour travaux.\n\
                     PMSI : la valeur contestée (séjours de décembre) sera revue avec le DIM avant la fin de l'été.",
                )?,
            },
        )
        .await?;
    let contracts = store.review_contracts(&review).await?;
    let Some(contract) = contracts.first() else {
        return Ok(());
    };
    let known: Vec<EngagementRef> = contract
        .content
        .engagements
        .iter()
        .map(|e| EngagementRef {
            contract_id: contract.id,
            key: e.key.clone(),
        })
        .collect();
    let on = |key: &str| {
        known
            .iter()
            .filter(|e| e.key == key)
            .map(EngagementRef::code)
            .collect::<Vec<_>>()
    };
    for (title, owner, due, status, engagements) in [
        (
            "Rapprocher la valeur PMSI contestée avec le DIM",
            "DIM du CHU et ARS",
            "31/08/2026",
            "done",
            on("E1"),
        ),
        (
            "Rouvrir l'unité fermée pour travaux et suivre l'activité mensuelle",
            "Direction des soins",
            "30/09/2026",
            "in_progress",
            on("E2"),
        ),
        (
            "Étendre la chirurgie ambulatoire à l'orthopédie",
            "Président de la CME",
            "31/03/2027",
            "planned",
            on("E3"),
        ),
    ] {
        let fields = action_fields(
            title,
            owner,
            due,
            status,
            &engagements,
            &known,
            review.held_on,
        )?;
        store.add_review_action(actor, &review, &fields).await?;
    }
    println!(
        "Revue de démonstration : le dialogue de gestion 2026 du CHU de Nîmes et sa feuille de route."
    );
    Ok(())
}

/// The regional action plan rebuilt from the agencies' spreadsheet of seed 000 (ARS PACA and
/// the Assurance maladie, 2018–2023), once, through the same reading and checks as an import.
async fn load_plan(store: &Store, actor: &AuditActor) -> anyhow::Result<()> {
    use cpom_domain::plan::build_tree;
    use cpom_store::repo::plans::NewPlan;
    if !store
        .list_plans(&cpom_domain::ScopeFilter::All)
        .await?
        .is_empty()
    {
        return Ok(());
    }
    let rows = cpom_import::plan::read(include_bytes!("../../../plans/paca-2018-2023.csv"))
        .map_err(|e| anyhow::anyhow!("plan de démonstration : {e:?}"))?;
    let region = RegionCode::parse("93")?;
    let lists = store.plan_lists(&region).await?;
    let tree = build_tree(&rows, &lists.statuses, &lists.pilots)
        .map_err(|e| anyhow::anyhow!("plan de démonstration : {e:?}"))?;
    store
        .import_plan(
            actor,
            &NewPlan {
                region,
                title: "Plan d'actions ARS PACA – Assurance maladie 2018-2023".into(),
                start_year: 2018,
                end_year: 2023,
                source_file: "paca-2018-2023.csv".into(),
            },
            &tree,
        )
        .await?;
    println!(
        "Plan d'actions de démonstration : ARS PACA – Assurance maladie 2018-2023 ({} lignes ; GET /api/v1/action-plans).",
        rows.len()
    );
    Ok(())
}

/// Seeds the demo data and returns (role, e-mail, password) for printing.
pub async fn seed(
    store: &Store,
    fixed_password: Option<&str>,
) -> anyhow::Result<Vec<(Role, String, String)>> {
    let actor = AuditActor::system();
    load_registry(store, &actor).await?;
    load_templates(store, &actor).await?;
    load_catalogues(store, &actor).await?;
    for (finess, name, region) in ENTITIES {
        let finess = FinessId::parse(finess)?;
        if store.get_legal_entity(&finess).await?.is_some() {
            // Already in the registry: its official name stays.
            continue;
        }
        store
            .upsert_legal_entity(&actor, &finess, name, &RegionCode::parse(region)?)
            .await?;
    }
    load_contracts(store, &actor).await?;
    load_campaign(store, &actor).await?;
    // The verdicts of the demo's declarations, as the server keeps them after each change.
    let contracts = store
        .list_contracts(&cpom_domain::ScopeFilter::All, &Default::default(), 1, 1000)
        .await?;
    cpom_web::evaluation::refresh_contracts(store, contracts.items.iter().map(|c| c.id))
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    load_review(store, &actor).await?;
    load_plan(store, &actor).await?;
    let mut printed = Vec::new();
    for (role, email, name, region, ej) in ACCOUNTS {
        // An account of a legal entity the registry loaded does not have is not created.
        if let Some(ej) = ej
            && store
                .get_legal_entity(&FinessId::parse(ej)?)
                .await?
                .is_none()
        {
            continue;
        }
        let password =
            fixed_password.map_or_else(cpom_web::services::temporary_password, str::to_owned);
        let plain = PlainPassword::parse(&password)?;
        let email = Email::parse(email)?;
        match store.find_user_by_email(&email).await? {
            Some(existing) => {
                store
                    .set_user_password(&actor, existing.id, existing.version, plain)
                    .await?;
            }
            None => {
                store
                    .create_user(
                        &actor,
                        NewUser {
                            email: email.clone(),
                            display_name: DisplayName::parse(name)?,
                            role,
                            region: region.map(RegionCode::parse).transpose()?,
                            ej: ej.map(FinessId::parse).transpose()?,
                            password: plain,
                        },
                    )
                    .await?;
            }
        }
        printed.push((role, email.to_string(), password));
    }
    give_plan_role(store, &actor).await?;
    Ok(printed)
}

/// Gives the Assurance maladie's pilot of PACA the editor role on the demo plan (once).
async fn give_plan_role(store: &Store, actor: &AuditActor) -> anyhow::Result<()> {
    let Some(user) = store
        .find_user_by_email(&Email::parse(PLAN_EDITOR)?)
        .await?
    else {
        return Ok(());
    };
    let region = RegionCode::parse("93")?;
    let plans = store
        .list_plans(&cpom_domain::ScopeFilter::Region(region))
        .await?;
    for p in plans {
        if store.plan_role(p.id, user.id).await?.is_none() {
            store
                .set_plan_member(actor, &p, user.id, cpom_domain::plan::PlanRole::Editor)
                .await?;
        }
    }
    Ok(())
}
