//! The region dashboard of a campaign (issue 7), the pure part: from the campaign's
//! declarations counted by entity, state and verdict (with the entity's department and size
//! band) and by indicator and verdict, the completion by department and by establishment, and
//! the attainment by indicator, size band and department. No I/O.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::campaign::DeclarationState;
use crate::catalogue::Verdict;
use crate::evaluation::{Tally, tally_counted};

/// A count of declarations sharing an entity (or an indicator), a state and a verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fact {
    /// FINESS of the legal entity.
    pub ej: String,
    /// Its name.
    pub ej_name: String,
    /// Its department (empty when unknown).
    pub department: String,
    /// Its size band (`lt100`, `100to499`, `ge500`; empty when unknown).
    pub band: String,
    /// Code of the GHT it belongs to today (empty when none).
    pub ght: String,
    /// The GHT's name.
    pub ght_name: String,
    /// Indicator code.
    pub indicator: String,
    /// State.
    pub state: DeclarationState,
    /// Verdict.
    pub verdict: Option<Verdict>,
    /// How many declarations.
    pub count: u64,
}

/// How far a group of declarations got.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Completion {
    /// The group (department code, FINESS…).
    pub key: String,
    /// Its label.
    pub label: String,
    /// Declarations.
    pub total: u64,
    /// Submitted or validated.
    pub submitted: u64,
    /// Validated.
    pub validated: u64,
    /// Validated ÷ total, in percent.
    pub rate: f64,
}

/// The attainment of a group of declarations.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Attainment {
    /// The group (indicator code, band, department).
    pub key: String,
    /// Its label.
    pub label: String,
    /// Its verdicts and attainment rate.
    pub tally: Tally,
}

/// The dashboard of a campaign.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Dashboard {
    /// Every declaration.
    pub completion: Completion,
    /// Every verdict.
    pub attainment: Tally,
    /// Completion by department.
    pub by_department: Vec<Completion>,
    /// Completion by GHT (the establishments outside any GHT together).
    pub by_ght: Vec<Completion>,
    /// Completion by establishment, least advanced first.
    pub by_establishment: Vec<Completion>,
    /// Attainment by indicator.
    pub attainment_by_indicator: Vec<Attainment>,
    /// Attainment by size band.
    pub attainment_by_band: Vec<Attainment>,
    /// Attainment by department.
    pub attainment_by_department: Vec<Attainment>,
    /// Attainment by GHT.
    pub attainment_by_ght: Vec<Attainment>,
}

fn completion<'a>(key: &str, label: &str, facts: impl Iterator<Item = &'a Fact>) -> Completion {
    let (mut total, mut submitted, mut validated) = (0, 0, 0);
    for f in facts {
        total += f.count;
        if matches!(
            f.state,
            DeclarationState::Submitted | DeclarationState::Validated
        ) {
            submitted += f.count;
        }
        if f.state == DeclarationState::Validated {
            validated += f.count;
        }
    }
    Completion {
        key: key.to_owned(),
        label: label.to_owned(),
        total,
        submitted,
        validated,
        rate: if total == 0 {
            0.0
        } else {
            validated as f64 * 100.0 / total as f64
        },
    }
}

fn groups(
    facts: &[Fact],
    key: impl Fn(&Fact) -> (String, String),
) -> BTreeMap<String, (String, Vec<&Fact>)> {
    let mut out: BTreeMap<String, (String, Vec<&Fact>)> = BTreeMap::new();
    for f in facts {
        let (k, label) = key(f);
        out.entry(k).or_insert_with(|| (label, vec![])).1.push(f);
    }
    out
}

fn attainment(facts: &[Fact], key: impl Fn(&Fact) -> (String, String)) -> Vec<Attainment> {
    groups(facts, key)
        .into_iter()
        .map(|(k, (label, fs))| Attainment {
            key: k,
            label,
            tally: tally_counted(fs.iter().filter_map(|f| f.verdict.map(|v| (v, f.count)))),
        })
        .collect()
}

/// Builds the dashboard from the declarations counted by entity (`by_entity`: entity,
/// department, band, state, verdict) and by indicator (`by_indicator`: indicator, state,
/// verdict). `band_label` names a size band.
pub fn build(
    facts: &[Fact],
    by_indicator: &[Fact],
    band_label: impl Fn(&str) -> String,
) -> Dashboard {
    let department = |f: &Fact| {
        if f.department.is_empty() {
            ("".into(), "département inconnu".into())
        } else {
            (f.department.clone(), f.department.clone())
        }
    };
    let ght = |f: &Fact| {
        if f.ght.is_empty() {
            ("".into(), "hors GHT".into())
        } else {
            (f.ght.clone(), f.ght_name.clone())
        }
    };
    let completions = |key: &dyn Fn(&Fact) -> (String, String)| -> Vec<Completion> {
        groups(facts, key)
            .into_iter()
            .map(|(k, (label, fs))| completion(&k, &label, fs.into_iter()))
            .collect()
    };
    let by_department = completions(&department);
    let by_ght = completions(&ght);
    let mut by_establishment = completions(&|f: &Fact| (f.ej.clone(), f.ej_name.clone()));
    by_establishment.sort_by(|a, b| a.rate.total_cmp(&b.rate).then(a.key.cmp(&b.key)));
    Dashboard {
        completion: completion("", "campagne", facts.iter()),
        attainment: tally_counted(facts.iter().filter_map(|f| f.verdict.map(|v| (v, f.count)))),
        by_department,
        by_ght,
        by_establishment,
        attainment_by_indicator: attainment(by_indicator, |f| {
            (f.indicator.clone(), f.indicator.clone())
        }),
        attainment_by_band: attainment(facts, |f| {
            if f.band.is_empty() {
                ("".into(), "tranche inconnue".into())
            } else {
                (f.band.clone(), band_label(&f.band))
            }
        }),
        attainment_by_department: attainment(facts, department),
        attainment_by_ght: attainment(facts, ght),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use DeclarationState::*;
    use Verdict::*;

    fn fact(
        ej: &str,
        dep: &str,
        band: &str,
        ind: &str,
        state: DeclarationState,
        v: Verdict,
    ) -> Fact {
        Fact {
            ej: ej.into(),
            ej_name: format!("CH {ej}"),
            department: dep.into(),
            band: band.into(),
            ght: if dep == "30" {
                "GHT-30".into()
            } else {
                String::new()
            },
            ght_name: if dep == "30" {
                "GHT du Gard".into()
            } else {
                String::new()
            },
            indicator: ind.into(),
            state,
            verdict: Some(v),
            count: 1,
        }
    }

    #[test]
    fn a_small_campaign_computed_by_hand() {
        // Two establishments of the Gard (30), one of the Hérault (34); two indicators.
        let facts = [
            fact("300000001", "30", "ge500", "A", Validated, Atteint),
            fact("300000001", "30", "ge500", "B", Validated, NonAtteint),
            fact(
                "300000002",
                "30",
                "lt100",
                "A",
                Validated,
                PartiellementAtteint,
            ),
            fact("300000002", "30", "lt100", "B", Submitted, NonRenseigne),
            fact("340000001", "34", "lt100", "A", ToDo, NonRenseigne),
            fact("340000001", "34", "lt100", "B", Validated, Atteint),
        ];
        // Counted as the store does: by entity, and by indicator.
        let mut by_entity: Vec<Fact> = vec![];
        let mut by_indicator: Vec<Fact> = vec![];
        for f in &facts {
            let e = Fact {
                indicator: String::new(),
                ..f.clone()
            };
            match by_entity
                .iter_mut()
                .find(|g| g.ej == e.ej && g.state == e.state && g.verdict == e.verdict)
            {
                Some(g) => g.count += 1,
                None => by_entity.push(e),
            }
            let i = Fact {
                ej: String::new(),
                ej_name: String::new(),
                department: String::new(),
                band: String::new(),
                ght: String::new(),
                ght_name: String::new(),
                ..f.clone()
            };
            match by_indicator.iter_mut().find(|g| {
                g.indicator == i.indicator && g.state == i.state && g.verdict == i.verdict
            }) {
                Some(g) => g.count += 1,
                None => by_indicator.push(i),
            }
        }
        let d = build(&by_entity, &by_indicator, |b| format!("tranche {b}"));
        assert_eq!(
            (
                d.completion.total,
                d.completion.submitted,
                d.completion.validated
            ),
            (6, 5, 4)
        );
        assert!((d.completion.rate - 66.666).abs() < 0.01);
        // Met 2 of 4 evaluated.
        assert_eq!(d.attainment.evaluated, 4);
        assert_eq!(d.attainment.rate, Some(50.0));
        assert_eq!(d.by_department[0].key, "30");
        assert_eq!(d.by_department[0].validated, 3);
        assert_eq!(d.by_department[1].rate, 50.0);
        // Least advanced establishment first.
        assert_eq!(d.by_establishment[0].key, "300000002");
        assert_eq!(d.by_establishment[0].rate, 50.0);
        let a = &d.attainment_by_indicator[0];
        assert_eq!(
            (a.key.as_str(), a.tally.evaluated, a.tally.rate),
            ("A", 2, Some(50.0))
        );
        let b = &d.attainment_by_indicator[1];
        assert_eq!((b.tally.evaluated, b.tally.rate), (2, Some(50.0)));
        let ge500 = d
            .attainment_by_band
            .iter()
            .find(|a| a.key == "ge500")
            .expect("band");
        assert_eq!(ge500.label, "tranche ge500");
        assert_eq!(ge500.tally.rate, Some(50.0));
        let lt100 = d
            .attainment_by_band
            .iter()
            .find(|a| a.key == "lt100")
            .expect("band");
        assert_eq!((lt100.tally.evaluated, lt100.tally.rate), (2, Some(50.0)));
        let dep34 = &d.attainment_by_department[1];
        assert_eq!((dep34.key.as_str(), dep34.tally.rate), ("34", Some(100.0)));
        // The Gard's two establishments are in one GHT; the Hérault's is outside any GHT,
        // listed first under its own label.
        assert_eq!(d.by_ght.len(), 2);
        assert_eq!(
            (d.by_ght[0].label.as_str(), d.by_ght[0].total),
            ("hors GHT", 2)
        );
        assert_eq!(
            (
                d.by_ght[1].label.as_str(),
                d.by_ght[1].total,
                d.by_ght[1].validated
            ),
            ("GHT du Gard", 4, 3)
        );
        let g = &d.attainment_by_ght[1];
        assert_eq!((g.key.as_str(), g.tally.evaluated), ("GHT-30", 3));
        assert!((g.tally.rate.expect("rate") - 100.0 / 3.0).abs() < 1e-9);
    }
}
