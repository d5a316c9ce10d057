//! The synthetic part of a generated dataset (issue 9), pure and deterministic: from a seed,
//! the fate of each declaration of the yearly campaigns — its state, its value and the steps
//! that led there. The same seed always gives the same dataset; older campaigns are mostly
//! validated, the latest mostly still to do, and every campaign holds every state.

use crate::campaign::{DeclarationState, Value};
use crate::catalogue::IndicatorKind;

/// A well-mixed 64-bit hash of a seed and a number (SplitMix64's finaliser).
pub fn mix(seed: u64, n: u64) -> u64 {
    let mut z = seed
        .wrapping_add(n.wrapping_mul(0x9E37_79B9_7F4A_7C15))
        .wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// What becomes of one declaration.
#[derive(Debug, Clone, PartialEq)]
pub struct Fate {
    /// Its final state.
    pub state: DeclarationState,
    /// Its value (none while to do).
    pub value: Option<Value>,
    /// The steps from "to do", in order: (step label, from, to).
    pub steps: Vec<(&'static str, DeclarationState, DeclarationState)>,
    /// Whether a piece of evidence is attached.
    pub evidence: bool,
}

/// The share of each state, in per mille, for the campaign `age` years before the latest
/// (0 = the latest): (to do, draft, submitted, returned, validated).
fn shares(age: u32) -> [u64; 5] {
    match age {
        0 => [450, 250, 150, 50, 100],
        1 => [100, 100, 250, 50, 500],
        _ => [20, 20, 60, 20, 880],
    }
}

/// A value of a kind, drawn from `r` among 20 per kind (few distinct values let the store
/// write a campaign's declarations in a few statements).
fn value(kind: IndicatorKind, r: u64) -> Value {
    let step = (r % 20) as f64;
    match kind {
        IndicatorKind::Count => Value::Number {
            value: step * 250.0,
        },
        IndicatorKind::Amount => Value::Number {
            value: step * 50_000.0,
        },
        IndicatorKind::Rate => Value::Rate {
            numerator: step * 5.0,
            denominator: 100.0,
        },
        IndicatorKind::YesNo => Value::YesNo {
            answer: !r.is_multiple_of(4),
        },
        IndicatorKind::Milestone => Value::Milestone {
            reached: !r.is_multiple_of(3),
        },
        IndicatorKind::Text => Value::Text {
            text: "Réalisé selon le calendrier prévu ; bilan présenté en comité de suivi.".into(),
        },
    }
}

/// The fate of the declaration numbered `n` (any stable number, such as its id) of the
/// campaign `age` years before the latest, for an indicator of `kind`.
pub fn fate(seed: u64, age: u32, n: u64, kind: IndicatorKind) -> Fate {
    use DeclarationState::*;
    let r = mix(seed, n);
    let draw = r % 1000;
    let mut acc = 0;
    let mut state = ToDo;
    for (s, share) in [ToDo, Draft, Submitted, Returned, Validated]
        .into_iter()
        .zip(shares(age))
    {
        acc += share;
        if draw < acc {
            state = s;
            break;
        }
    }
    let steps = match state {
        ToDo => vec![],
        Draft => vec![("saisie", ToDo, Draft)],
        Submitted => vec![("saisie", ToDo, Draft), ("soumission", Draft, Submitted)],
        Returned => vec![
            ("saisie", ToDo, Draft),
            ("soumission", Draft, Submitted),
            ("renvoi", Submitted, Returned),
        ],
        Validated => vec![
            ("saisie", ToDo, Draft),
            ("soumission", Draft, Submitted),
            ("validation", Submitted, Validated),
        ],
    };
    Fate {
        state,
        value: (state != ToDo).then(|| value(kind, r >> 12)),
        steps,
        evidence: matches!(state, Submitted | Validated) && (r >> 40).is_multiple_of(4),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_fates_and_another_seed_others() {
        let a: Vec<Fate> = (0..200)
            .map(|n| fate(42, 1, n, IndicatorKind::Rate))
            .collect();
        let b: Vec<Fate> = (0..200)
            .map(|n| fate(42, 1, n, IndicatorKind::Rate))
            .collect();
        let c: Vec<Fate> = (0..200)
            .map(|n| fate(43, 1, n, IndicatorKind::Rate))
            .collect();
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn every_campaign_holds_every_state_in_its_shares() {
        for age in 0..5 {
            let mut counts = [0u64; 5];
            for n in 0..20_000 {
                let f = fate(7, age, n, IndicatorKind::Count);
                let i = DeclarationState::ALL
                    .iter()
                    .position(|s| *s == f.state)
                    .expect("state");
                counts[i] += 1;
                // A value once entered; the steps end at the state.
                assert_eq!(f.value.is_some(), f.state != DeclarationState::ToDo);
                assert_eq!(
                    f.steps.last().map_or(DeclarationState::ToDo, |s| s.2),
                    f.state
                );
            }
            for (i, share) in shares(age).into_iter().enumerate() {
                let expected = share * 20;
                let got = counts[i];
                assert!(
                    got.abs_diff(expected) < expected / 5 + 40,
                    "age {age}, state {i}: {got} for {expected}"
                );
                assert!(got > 0, "age {age}: state {i} missing");
            }
        }
    }

    #[test]
    fn values_have_the_shape_of_their_kind() {
        for n in 0..500 {
            for kind in IndicatorKind::ALL {
                let Some(v) = fate(1, 2, n, kind).value else {
                    continue;
                };
                let ok = matches!(
                    (kind, &v),
                    (
                        IndicatorKind::Count | IndicatorKind::Amount,
                        Value::Number { .. }
                    ) | (IndicatorKind::Rate, Value::Rate { .. })
                        | (IndicatorKind::YesNo, Value::YesNo { .. })
                        | (IndicatorKind::Milestone, Value::Milestone { .. })
                        | (IndicatorKind::Text, Value::Text { .. })
                );
                assert!(ok, "{kind:?} {v:?}");
                if let Value::Rate {
                    numerator,
                    denominator,
                } = v
                {
                    assert!((0.0..=denominator).contains(&numerator));
                }
            }
        }
    }
}
