//! Evaluation (issue 7), the pure part: the verdict of a declaration, from its contract's
//! target for the campaign's year and the values the agency validated over the years,
//! through the référentiel's target engine; the agency's override with its justification;
//! and the scorecard of a contract (engagements × years, attainment rate). No I/O.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::campaign::DeclarationState;
use crate::catalogue::{Declared, Evaluation, EvaluationContext, PartialRule, TargetYear, Verdict};
use crate::contract::ContractTarget;

/// A verdict set by the agency instead of the engine's, with why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Override {
    /// The verdict.
    pub verdict: Verdict,
    /// Why (required).
    pub justification: String,
}

/// Longest justification of an override.
pub const MAX_JUSTIFICATION_CHARS: usize = 2000;

/// Reads an override as typed: a known verdict and a justification.
pub fn read_override(verdict: &str, justification: &str) -> Result<Override, String> {
    let verdict = Verdict::parse(verdict).ok_or_else(|| {
        format!(
            "verdict « {} » inconnu (possibles : {})",
            verdict.trim(),
            Verdict::ALL.map(Verdict::as_str).join(", ")
        )
    })?;
    let justification = justification.trim();
    if justification.is_empty() {
        return Err("justifiez l'appréciation de l'ARS".into());
    }
    if justification.chars().count() > MAX_JUSTIFICATION_CHARS {
        return Err(format!(
            "justification trop longue ({MAX_JUSTIFICATION_CHARS} caractères au plus)"
        ));
    }
    Ok(Override {
        verdict,
        justification: justification.to_owned(),
    })
}

/// What the verdict of one declaration depends on.
#[derive(Debug, Clone)]
pub struct Facts<'a> {
    /// The campaign's year.
    pub year: i32,
    /// The declaration's state: only a validated value is evaluated.
    pub state: DeclarationState,
    /// The targets of its engagement in the contract in force.
    pub targets: &'a [ContractTarget],
    /// The contract's first and last year.
    pub period: (i32, i32),
    /// The validated values of the same engagement (and site), by year.
    pub values: &'a BTreeMap<i32, Declared>,
    /// The catalogue's partial-attainment rule.
    pub partial: Option<PartialRule>,
    /// The indicator's unit.
    pub unit: &'a str,
    /// The agency's override, if any.
    pub overridden: Option<&'a Override>,
}

/// The verdict of a declaration and its reason: the agency's override when there is one;
/// otherwise "non renseigné" until the value is validated; otherwise the engine's verdict for
/// the target of the year (or of the whole period), "sans objet" without a target.
pub fn evaluate(f: &Facts<'_>) -> Evaluation {
    if let Some(o) = f.overridden {
        return Evaluation {
            verdict: o.verdict,
            reason: format!("appréciation de l'ARS : {}", o.justification),
        };
    }
    let year = f.year;
    let waiting = match f.state {
        DeclarationState::Validated => None,
        DeclarationState::ToDo | DeclarationState::Draft => {
            Some(format!("valeur {year} non encore soumise"))
        }
        DeclarationState::Submitted => Some(format!(
            "valeur {year} soumise, en attente de validation par l'ARS"
        )),
        DeclarationState::Returned => Some(format!("valeur {year} renvoyée pour correction")),
    };
    if let Some(reason) = waiting {
        return Evaluation {
            verdict: Verdict::NonRenseigne,
            reason,
        };
    }
    let target = f
        .targets
        .iter()
        .find(|t| t.year == TargetYear::Year(year))
        .or_else(|| f.targets.iter().find(|t| t.year == TargetYear::Total));
    let Some(target) = target else {
        return Evaluation {
            verdict: Verdict::SansObjet,
            reason: format!("aucune cible pour {year} dans le contrat"),
        };
    };
    target.rule.evaluate(&EvaluationContext {
        year,
        period: f.period,
        values: f.values,
        partial: f.partial,
        unit: f.unit,
    })
}

/// One cell of a scorecard: an engagement's verdict for a year.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Cell {
    /// Engagement key.
    pub engagement: String,
    /// Site, for an engagement followed by site.
    pub site: Option<String>,
    /// Year.
    pub year: i32,
    /// Verdict.
    pub verdict: Verdict,
}

/// The counts of a set of verdicts and the attainment rate: met ÷ evaluated (met, partially
/// met and not met; "sans objet", "non renseigné" and "à apprécier" are not evaluated), in
/// percent, `None` when nothing is evaluated.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct Tally {
    /// Count by verdict, in [`Verdict::ALL`]'s order.
    pub counts: Vec<(Verdict, u64)>,
    /// Verdicts evaluated.
    pub evaluated: u64,
    /// Attainment rate in percent.
    pub rate: Option<f64>,
}

/// See [`Tally`].
pub fn tally(verdicts: impl IntoIterator<Item = Verdict>) -> Tally {
    tally_counted(verdicts.into_iter().map(|v| (v, 1)))
}

/// [`tally`] of verdicts already counted (`(verdict, how many)`, a verdict may come again).
pub fn tally_counted(verdicts: impl IntoIterator<Item = (Verdict, u64)>) -> Tally {
    let mut counts: BTreeMap<Verdict, u64> = Verdict::ALL.iter().map(|v| (*v, 0)).collect();
    for (v, n) in verdicts {
        *counts.entry(v).or_default() += n;
    }
    let n = |v: Verdict| counts.get(&v).copied().unwrap_or(0);
    let evaluated = n(Verdict::Atteint) + n(Verdict::PartiellementAtteint) + n(Verdict::NonAtteint);
    Tally {
        counts: Verdict::ALL.iter().map(|v| (*v, n(*v))).collect(),
        evaluated,
        rate: (evaluated > 0).then(|| n(Verdict::Atteint) as f64 * 100.0 / evaluated as f64),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::{Comparison, TargetRule};

    fn target(year: TargetYear, rule: TargetRule) -> ContractTarget {
        ContractTarget {
            year,
            text: rule.to_string(),
            rule,
            source: "négocié".into(),
        }
    }

    fn facts<'a>(
        year: i32,
        targets: &'a [ContractTarget],
        values: &'a BTreeMap<i32, Declared>,
    ) -> Facts<'a> {
        Facts {
            year,
            state: DeclarationState::Validated,
            targets,
            period: (2025, 2029),
            values,
            partial: Some(PartialRule { percent: 80.0 }),
            unit: "%",
            overridden: None,
        }
    }

    #[test]
    fn a_validated_value_meets_the_target_of_its_year() {
        let targets = [
            target(
                TargetYear::Year(2026),
                TargetRule::Threshold {
                    op: Comparison::AtLeast,
                    value: 80.0,
                },
            ),
            target(
                TargetYear::Year(2027),
                TargetRule::Threshold {
                    op: Comparison::AtLeast,
                    value: 90.0,
                },
            ),
        ];
        let values = BTreeMap::from([
            (2026, Declared::Number(85.0)),
            (2027, Declared::Number(75.0)),
        ]);
        let e = evaluate(&facts(2026, &targets, &values));
        assert_eq!(e.verdict, Verdict::Atteint, "{}", e.reason);
        let e = evaluate(&facts(2027, &targets, &values));
        assert_eq!(e.verdict, Verdict::PartiellementAtteint, "{}", e.reason);
        let e = evaluate(&facts(2028, &targets, &values));
        assert_eq!(e.verdict, Verdict::SansObjet);
        assert_eq!(e.reason, "aucune cible pour 2028 dans le contrat");
    }

    #[test]
    fn an_increment_needs_last_year_s_validated_value_and_a_progression_its_reference_year() {
        let increment = [target(
            TargetYear::Year(2027),
            TargetRule::Increment { delta: 2.0 },
        )];
        let only_2027 = BTreeMap::from([(2027, Declared::Number(12.0))]);
        let e = evaluate(&facts(2027, &increment, &only_2027));
        assert_eq!(e.verdict, Verdict::NonRenseigne);
        assert!(
            e.reason.contains("2026 (année N-1) non déclarée"),
            "{}",
            e.reason
        );
        let both = BTreeMap::from([
            (2026, Declared::Number(9.0)),
            (2027, Declared::Number(12.0)),
        ]);
        assert_eq!(
            evaluate(&facts(2027, &increment, &both)).verdict,
            Verdict::Atteint
        );
        let progression = [target(
            TargetYear::Year(2028),
            TargetRule::Progression {
                percent: 10.0,
                base_year: Some(2025),
            },
        )];
        let values = BTreeMap::from([
            (2025, Declared::Number(100.0)),
            (2028, Declared::Number(105.0)),
        ]);
        let e = evaluate(&facts(2028, &progression, &values));
        assert_eq!(e.verdict, Verdict::NonAtteint, "{}", e.reason);
        assert!(e.reason.contains("par rapport à 2025"), "{}", e.reason);
    }

    #[test]
    fn nothing_is_judged_before_validation_and_the_agency_may_override_with_a_reason() {
        let targets = [target(
            TargetYear::Year(2026),
            TargetRule::YesNo { expected: true },
        )];
        let values = BTreeMap::new();
        let mut f = facts(2026, &targets, &values);
        f.state = DeclarationState::Submitted;
        let e = evaluate(&f);
        assert_eq!(e.verdict, Verdict::NonRenseigne);
        assert!(e.reason.contains("en attente de validation"));
        let milestone = [target(
            TargetYear::Year(2026),
            TargetRule::Milestone {
                label: "GCS signé".into(),
                due: None,
            },
        )];
        let reached = BTreeMap::from([(2026, Declared::Milestone(None))]);
        let e = evaluate(&facts(2026, &milestone, &reached));
        assert_eq!(e.verdict, Verdict::AApprecier, "{}", e.reason);
        assert!(read_override("atteint", " ").is_err());
        assert!(read_override("parfait", "ok").is_err());
        let o = read_override("atteint", "Convention constitutive signée le 12/05/2026.")
            .expect("override");
        let mut f = facts(2026, &milestone, &reached);
        f.overridden = Some(&o);
        let e = evaluate(&f);
        assert_eq!(e.verdict, Verdict::Atteint);
        assert_eq!(
            e.reason,
            "appréciation de l'ARS : Convention constitutive signée le 12/05/2026."
        );
    }

    #[test]
    fn the_attainment_rate_counts_only_what_was_evaluated() {
        use Verdict::*;
        let t = tally([
            Atteint,
            Atteint,
            PartiellementAtteint,
            NonAtteint,
            SansObjet,
            NonRenseigne,
        ]);
        assert_eq!(t.evaluated, 4);
        assert_eq!(t.rate, Some(50.0));
        assert_eq!(t.counts[0], (Atteint, 2));
        assert_eq!(tally([SansObjet]).rate, None);
    }
}
