//! A contract of many engagements, for the tests and the benchmark of the renderers.

use chrono::NaiveDate;
use cpom_domain::catalogue::{IndicatorKind, TargetRule, TargetYear};
use cpom_domain::contract::{
    ChosenIndicator, ContractContent, ContractState, ContractTarget, Engagement, FundingKind,
    FundingLine, Signatory, SignatoryRole, TextAnnex,
};
use cpom_domain::contract_document::{
    AnnexLine, ContractDocument, ContractTemplate, DocumentInput, RegistrySnapshot, build,
};

/// A signed contract of `n` engagements over 2025–2029, each with a target per year.
pub fn document(n: usize) -> ContractDocument {
    let engagements = (1..=n)
        .map(|i| Engagement {
            key: format!("E{i}"),
            objective: format!("OS_{}", i % 7 + 1),
            objective_title: "Garantir l'accès aux soins et la continuité des parcours".into(),
            action: Some(format!("A{i}")),
            title: format!(
                "Action n° {i} : développer la télé-expertise et les consultations avancées \
                 avec les établissements du territoire"
            ),
            title_locked: false,
            mandatory: i % 3 == 0,
            indicator: Some(ChosenIndicator {
                code: format!("IND_{i}"),
                title: "Part des avis rendus dans le délai".into(),
                kind: IndicatorKind::Rate,
                unit: Some("%".into()),
            }),
            sites: vec![],
            targets: (2025..=2029)
                .map(|y| ContractTarget {
                    year: TargetYear::Year(y),
                    text: format!("≥ {} %", 50 + (y - 2025) * 5 + (i as i32 % 5)),
                    rule: TargetRule::parse(">= 50").unwrap_or(TargetRule::NotApplicable),
                    source: "100-300".into(),
                })
                .collect(),
            new_authorisation: false,
        })
        .collect();
    let content = ContractContent {
        engagements,
        strengths: Some("Une équipe médicale stable ; un plateau technique récent.".into()),
        weaknesses: Some("Des délais d'attente longs en imagerie.".into()),
        signatories: vec![
            Signatory {
                role: SignatoryRole::DgArs,
                name: "Marie Durand".into(),
                function: "Directrice générale de l'ARS".into(),
                date: NaiveDate::from_ymd_opt(2025, 3, 2).unwrap_or_default(),
            },
            Signatory {
                role: SignatoryRole::LegalRepresentative,
                name: "Paul Martin".into(),
                function: "Directeur".into(),
                date: NaiveDate::from_ymd_opt(2025, 3, 4).unwrap_or_default(),
            },
        ],
        registry: None,
        answers: vec![],
        funding: vec![FundingLine {
            kind: FundingKind::Fir,
            label: "Télémédecine et consultations avancées".into(),
            amounts: (2025..=2029).map(|y| (y, 120_000)).collect(),
        }],
        texts: vec![TextAnnex {
            title: "Contrat d'amélioration de la qualité et de l'efficience des soins (CAQES)"
                .into(),
            text: "Les engagements du CAQES signé le 2 mars 2025 sont repris.".into(),
        }],
    };
    let registry = RegistrySnapshot {
        on: NaiveDate::from_ymd_opt(2025, 3, 4).unwrap_or_default(),
        site_names: vec![],
        annex2: vec![AnnexLine {
            kind: "Autorisation".into(),
            holder: "340000000 Hôpital de Test".into(),
            subject: "Médecine — hospitalisation complète".into(),
            validity: "du 01/01/2020 au 31/12/2026".into(),
        }],
    };
    let template = ContractTemplate::default();
    build(&DocumentInput {
        template: &template,
        region_name: "Occitanie",
        title: "CPOM 2025–2029 — Centre hospitalier de Test",
        ej_name: "Centre hospitalier de Test",
        ej_finess: "340780477",
        start_year: 2025,
        end_year: 2029,
        state: ContractState::Signed,
        avenant: 1,
        band: Some("de 100 à 300 lits".into()),
        content: &content,
        registry: &registry,
    })
    .unwrap_or_else(|e| panic!("default template: {e}"))
}
