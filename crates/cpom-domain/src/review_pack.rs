//! The review pack of an establishment (issue 7), the pure part: from its contract's
//! declarations, the values of the establishments of the same size band in the region, and
//! the road map's actions, the document printed for a review: the scorecard, the trends
//! over the years, and an anonymised comparison. No I/O.
//!
//! Anonymity: the comparison never names an establishment and never prints a peer's value;
//! it prints the distribution (minimum, quartiles, maximum) only when at least
//! [`MIN_PEERS`] other establishments have a value, so that no single value can be read.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;

use crate::campaign::Value;
use crate::catalogue::Verdict;
use crate::catalogue::number::format_number;
use crate::contract_document::{Block, Column, ContractDocument, Table};
use crate::evaluation::{Tally, tally};
use crate::territory::date_fr;

/// Fewest other establishments for a distribution to be printed.
pub const MIN_PEERS: usize = 3;

/// One engagement indicator (and site) of the contract, with its declarations by year.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    /// Engagement key.
    pub engagement: String,
    /// Indicator code.
    pub indicator: String,
    /// Indicator title.
    pub indicator_title: String,
    /// Site FINESS, when followed by site.
    pub site: Option<String>,
    /// By year: the value (once validated) and the verdict.
    pub cells: Vec<(i32, Option<Value>, Option<Verdict>)>,
}

/// A validated value of another establishment of the same band (never printed as such).
#[derive(Debug, Clone, PartialEq)]
pub struct PeerValue {
    /// Year.
    pub year: i32,
    /// Indicator code.
    pub indicator: String,
    /// The establishment (only to count establishments, never printed).
    pub ej: String,
    /// The value.
    pub value: Option<Value>,
    /// Its verdict.
    pub verdict: Option<Verdict>,
}

/// An action of a road map that serves the contract.
#[derive(Debug, Clone, PartialEq)]
pub struct PackAction {
    /// Date of the review that decided it.
    pub review_on: NaiveDate,
    /// What is to be done.
    pub title: String,
    /// Who carries it.
    pub owner: String,
    /// By when.
    pub due_on: NaiveDate,
    /// Status, as shown.
    pub status: String,
    /// Due and not over.
    pub late: bool,
}

/// What the pack is made of.
#[derive(Debug, Clone, PartialEq)]
pub struct PackInput {
    /// Legal entity's name.
    pub ej_name: String,
    /// Its FINESS.
    pub ej: String,
    /// Region's name.
    pub region: String,
    /// Size band, as shown (`None`: unknown, no comparison).
    pub band: Option<String>,
    /// Contract title.
    pub contract_title: String,
    /// Contract period.
    pub period: (i32, i32),
    /// Day of edition.
    pub edited_on: NaiveDate,
    /// The contract's lines.
    pub lines: Vec<Line>,
    /// Values of the other establishments of the band, for the contract's indicators.
    pub peers: Vec<PeerValue>,
    /// Actions serving the contract.
    pub actions: Vec<PackAction>,
}

/// The number a value is compared on: the value, or a rate in percent.
pub fn numeric(v: &Value) -> Option<f64> {
    match v {
        Value::Number { value } => Some(*value),
        Value::Rate {
            numerator,
            denominator,
        } if *denominator > 0.0 => Some(numerator * 100.0 / denominator),
        _ => None,
    }
}

/// A distribution: minimum, first quartile, median, third quartile, maximum.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Spread {
    /// How many values.
    pub n: usize,
    /// Minimum.
    pub min: f64,
    /// First quartile.
    pub q1: f64,
    /// Median.
    pub median: f64,
    /// Third quartile.
    pub q3: f64,
    /// Maximum.
    pub max: f64,
}

/// The distribution of values (quartiles interpolated between the closest ranks); `None`
/// when there are fewer than [`MIN_PEERS`].
pub fn spread(values: &[f64]) -> Option<Spread> {
    if values.len() < MIN_PEERS {
        return None;
    }
    let mut v: Vec<f64> = values.to_vec();
    v.sort_by(f64::total_cmp);
    let at = |p: f64| {
        let h = (v.len() - 1) as f64 * p;
        let (lo, hi) = (h.floor() as usize, h.ceil() as usize);
        v[lo] + (v[hi] - v[lo]) * (h - lo as f64)
    };
    Some(Spread {
        n: v.len(),
        min: v[0],
        q1: at(0.25),
        median: at(0.5),
        q3: at(0.75),
        max: v[v.len() - 1],
    })
}

/// Where a value stands in a distribution, in words.
pub fn position(value: f64, s: &Spread) -> &'static str {
    if value < s.q1 {
        "quart inférieur"
    } else if value <= s.median {
        "deuxième quart"
    } else if value <= s.q3 {
        "troisième quart"
    } else {
        "quart supérieur"
    }
}

/// The change from the first to the last of some yearly numbers, in words.
pub fn trend(points: &[(i32, f64)]) -> String {
    match (points.first(), points.last()) {
        (Some((y0, a)), Some((y1, b))) if y1 > y0 => {
            if *a == 0.0 {
                format!("{} → {} ({y0}-{y1})", format_number(*a), format_number(*b))
            } else {
                let pct = (b - a) * 100.0 / a.abs();
                let sign = if pct > 0.0 { "+" } else { "" };
                format!(
                    "{sign}{}\u{a0}% ({y0}-{y1})",
                    format_number((pct * 10.0).round() / 10.0)
                )
            }
        }
        _ => "une seule année".into(),
    }
}

fn percent(r: Option<f64>) -> String {
    r.map_or_else(
        || "—".into(),
        |r| format!("{}\u{a0}%", format_number((r * 10.0).round() / 10.0)),
    )
}

fn cols(spec: &[(&str, u16)]) -> Vec<Column> {
    spec.iter()
        .map(|(t, w)| Column {
            title: (*t).into(),
            width: *w,
        })
        .collect()
}

fn count(t: &Tally, v: Verdict) -> String {
    t.counts
        .iter()
        .find(|(w, _)| *w == v)
        .map_or(0, |(_, n)| *n)
        .to_string()
}

/// Builds the pack.
pub fn build(input: &PackInput) -> ContractDocument {
    let years: BTreeSet<i32> = input
        .lines
        .iter()
        .flat_map(|l| l.cells.iter().map(|(y, _, _)| *y))
        .collect();
    let mut blocks = vec![
        Block::Title(format!("Dossier de revue — {}", input.ej_name)),
        Block::Paragraph(format!(
            "{} (FINESS {}), région {}. Contrat : {} ({}-{}). Tranche de taille : {}. Édité le {}.",
            input.ej_name,
            input.ej,
            input.region,
            input.contract_title,
            input.period.0,
            input.period.1,
            input.band.as_deref().unwrap_or("inconnue"),
            date_fr(input.edited_on)
        )),
        Block::Heading("1. Bilan du contrat".into()),
    ];
    // 1. Verdicts by year, then by engagement.
    let verdicts_of = |year: Option<i32>| {
        tally(
            input
                .lines
                .iter()
                .flat_map(|l| l.cells.iter())
                .filter(|(y, _, _)| year.is_none_or(|w| w == *y))
                .filter_map(|(_, _, v)| *v),
        )
    };
    if years.is_empty() {
        blocks.push(Block::Paragraph(
            "Aucune campagne n'a encore porté sur ce contrat.".into(),
        ));
    } else {
        let mut rows: Vec<Vec<String>> = years
            .iter()
            .map(|y| (y.to_string(), verdicts_of(Some(*y))))
            .chain(std::iter::once(("Ensemble".to_owned(), verdicts_of(None))))
            .map(|(label, t)| {
                vec![
                    label,
                    t.evaluated.to_string(),
                    count(&t, Verdict::Atteint),
                    count(&t, Verdict::PartiellementAtteint),
                    count(&t, Verdict::NonAtteint),
                    percent(t.rate),
                ]
            })
            .collect();
        if years.len() == 1 {
            rows.pop();
        }
        blocks.push(Block::Table(Table {
            columns: cols(&[
                ("Année", 2),
                ("Évalués", 2),
                ("Atteints", 2),
                ("Partiellement", 2),
                ("Non atteints", 2),
                ("Taux d'atteinte", 2),
            ]),
            rows,
        }));
        let mut spec: Vec<(String, u16)> = vec![("Engagement".into(), 2), ("Indicateur".into(), 5)];
        spec.extend(years.iter().map(|y| (y.to_string(), 3)));
        blocks.push(Block::Table(Table {
            columns: spec
                .into_iter()
                .map(|(title, width)| Column { title, width })
                .collect(),
            rows: input
                .lines
                .iter()
                .map(|l| {
                    let mut row = vec![
                        l.engagement.clone(),
                        match &l.site {
                            Some(s) => {
                                format!("{} — {} (site {s})", l.indicator, l.indicator_title)
                            }
                            None => format!("{} — {}", l.indicator, l.indicator_title),
                        },
                    ];
                    row.extend(years.iter().map(
                        |y| match l.cells.iter().find(|(w, _, _)| w == y) {
                            None => "—".into(),
                            Some((_, value, verdict)) => format!(
                                "{}\n{}",
                                value
                                    .as_ref()
                                    .map_or("pas de valeur validée".into(), Value::display),
                                verdict.map_or("", Verdict::label)
                            ),
                        },
                    ));
                    row
                })
                .collect(),
        }));
    }
    // 2. Trends of the numeric indicators.
    blocks.push(Block::Heading("2. Évolution sur les années".into()));
    let trends: Vec<Vec<String>> = input
        .lines
        .iter()
        .filter_map(|l| {
            let points: Vec<(i32, f64)> = l
                .cells
                .iter()
                .filter_map(|(y, v, _)| v.as_ref().and_then(numeric).map(|n| (*y, n)))
                .collect();
            (!points.is_empty()).then(|| {
                vec![
                    format!("{} — {}", l.indicator, l.indicator_title),
                    points
                        .iter()
                        .map(|(y, n)| format!("{y} : {}", format_number(*n)))
                        .collect::<Vec<_>>()
                        .join("\n"),
                    trend(&points),
                ]
            })
        })
        .collect();
    if trends.is_empty() {
        blocks.push(Block::Paragraph(
            "Aucune valeur chiffrée n'a encore été déclarée.".into(),
        ));
    } else {
        blocks.push(Block::Table(Table {
            columns: cols(&[("Indicateur", 6), ("Valeurs", 4), ("Évolution", 3)]),
            rows: trends,
        }));
    }
    // 3. The anonymised comparison.
    blocks.push(Block::Heading(
        "3. Comparaison avec les établissements de la même tranche".into(),
    ));
    comparison(input, &years, &mut blocks);
    // 4. The road map.
    blocks.push(Block::Heading("4. Feuille de route".into()));
    if input.actions.is_empty() {
        blocks.push(Block::Paragraph(
            "Aucune action de feuille de route ne porte sur ce contrat.".into(),
        ));
    } else {
        blocks.push(Block::Table(Table {
            columns: cols(&[
                ("Revue", 2),
                ("Action", 6),
                ("Porteur", 3),
                ("Échéance", 2),
                ("Statut", 2),
            ]),
            rows: input
                .actions
                .iter()
                .map(|a| {
                    vec![
                        date_fr(a.review_on),
                        a.title.clone(),
                        a.owner.clone(),
                        date_fr(a.due_on),
                        if a.late {
                            format!("{} (en retard)", a.status)
                        } else {
                            a.status.clone()
                        },
                    ]
                })
                .collect(),
        }));
    }
    ContractDocument {
        title: format!("Dossier de revue — {}", input.ej_name),
        running_header: format!(
            "Dossier de revue — {} — {}",
            input.ej_name, input.contract_title
        ),
        version_label: format!("Édité le {}", date_fr(input.edited_on)),
        blocks,
        annex1: Table {
            columns: vec![],
            rows: vec![],
        },
    }
}

fn comparison(input: &PackInput, years: &BTreeSet<i32>, blocks: &mut Vec<Block>) {
    let Some(band) = &input.band else {
        blocks.push(Block::Paragraph(
            "La tranche de taille de l'établissement est inconnue : pas de comparaison.".into(),
        ));
        return;
    };
    let peers: BTreeSet<&str> = input.peers.iter().map(|p| p.ej.as_str()).collect();
    blocks.push(Block::Paragraph(format!(
        "Établissements de la tranche « {band} » de la région ayant des valeurs validées : {}. \
         Aucun n'est nommé et aucune valeur individuelle n'est reproduite ; une distribution \
         n'est donnée qu'à partir de {MIN_PEERS} établissements.",
        peers.len()
    )));
    // Attainment rate by year: the establishment's, and the spread of the others'.
    let mut rows = vec![];
    for y in years {
        let own = tally(
            input
                .lines
                .iter()
                .flat_map(|l| l.cells.iter())
                .filter(|(w, _, _)| w == y)
                .filter_map(|(_, _, v)| *v),
        );
        let mut by_peer: BTreeMap<&str, Vec<Verdict>> = BTreeMap::new();
        for p in input.peers.iter().filter(|p| p.year == *y) {
            if let Some(v) = p.verdict {
                by_peer.entry(p.ej.as_str()).or_default().push(v);
            }
        }
        let rates: Vec<f64> = by_peer
            .into_values()
            .filter_map(|vs| tally(vs).rate)
            .collect();
        rows.push(spread_row(y.to_string(), own.rate, &rates, true));
    }
    if !rows.is_empty() {
        blocks.push(Block::Paragraph(
            "Taux d'atteinte des engagements, par année :".into(),
        ));
        blocks.push(Block::Table(Table {
            columns: spread_columns("Année"),
            rows,
        }));
    }
    // Each numeric indicator, on the last year the establishment has a value.
    let mut rows = vec![];
    for l in &input.lines {
        let Some((year, own)) = l
            .cells
            .iter()
            .rev()
            .find_map(|(y, v, _)| v.as_ref().and_then(numeric).map(|n| (*y, n)))
        else {
            continue;
        };
        let values: Vec<f64> = input
            .peers
            .iter()
            .filter(|p| p.year == year && p.indicator == l.indicator)
            .filter_map(|p| p.value.as_ref().and_then(numeric))
            .collect();
        rows.push(spread_row(
            format!("{} ({year})", l.indicator),
            Some(own),
            &values,
            false,
        ));
    }
    if !rows.is_empty() {
        blocks.push(Block::Paragraph(
            "Indicateurs chiffrés, dernière année déclarée (taux en %) :".into(),
        ));
        blocks.push(Block::Table(Table {
            columns: spread_columns("Indicateur"),
            rows,
        }));
    }
}

fn spread_columns(first: &str) -> Vec<Column> {
    cols(&[
        (first, 4),
        ("Établissement", 3),
        ("Comparables", 3),
        ("Min.", 2),
        ("1er quartile", 2),
        ("Médiane", 2),
        ("3e quartile", 2),
        ("Max.", 2),
        ("Position", 3),
    ])
}

fn spread_row(label: String, own: Option<f64>, values: &[f64], rate: bool) -> Vec<String> {
    let n = |x: f64| {
        let x = (x * 10.0).round() / 10.0;
        if rate {
            format!("{}\u{a0}%", format_number(x))
        } else {
            format_number(x)
        }
    };
    let mut row = vec![label, own.map_or("—".into(), n), values.len().to_string()];
    match spread(values) {
        Some(s) => {
            row.extend([n(s.min), n(s.q1), n(s.median), n(s.q3), n(s.max)]);
            row.push(own.map_or("—".into(), |o| position(o, &s).into()));
        }
        None => {
            row.extend(std::iter::repeat_n("—".to_owned(), 5));
            row.push(format!("moins de {MIN_PEERS} comparables"));
        }
    }
    row
}

#[cfg(test)]
mod tests {
    use super::*;

    fn number(v: f64) -> Option<Value> {
        Some(Value::Number { value: v })
    }

    #[test]
    fn spreads_need_enough_peers_and_interpolate_quartiles() {
        assert_eq!(spread(&[1.0, 2.0]), None);
        let s = spread(&[40.0, 10.0, 30.0, 20.0, 50.0]).expect("spread");
        assert_eq!(
            (s.n, s.min, s.q1, s.median, s.q3, s.max),
            (5, 10.0, 20.0, 30.0, 40.0, 50.0)
        );
        let s = spread(&[1.0, 2.0, 3.0, 4.0]).expect("spread");
        assert_eq!((s.q1, s.median, s.q3), (1.75, 2.5, 3.25));
        assert_eq!(position(1.0, &s), "quart inférieur");
        assert_eq!(position(2.5, &s), "deuxième quart");
        assert_eq!(position(3.0, &s), "troisième quart");
        assert_eq!(position(9.0, &s), "quart supérieur");
    }

    #[test]
    fn trends_and_numbers() {
        assert_eq!(
            trend(&[(2026, 10.0), (2027, 11.0)]),
            "+10\u{a0}% (2026-2027)"
        );
        assert_eq!(
            trend(&[(2026, 200.0), (2028, 150.0)]),
            "-25\u{a0}% (2026-2028)"
        );
        assert_eq!(trend(&[(2026, 0.0), (2027, 3.0)]), "0 → 3 (2026-2027)");
        assert_eq!(trend(&[(2026, 5.0)]), "une seule année");
        assert_eq!(
            numeric(&Value::Rate {
                numerator: 45.0,
                denominator: 60.0
            }),
            Some(75.0)
        );
        assert_eq!(numeric(&Value::YesNo { answer: true }), None);
    }

    fn input(peers: Vec<PeerValue>) -> PackInput {
        PackInput {
            ej_name: "CH de Test".into(),
            ej: "340000001".into(),
            region: "Occitanie".into(),
            band: Some("100 à 499 lits et places".into()),
            contract_title: "CPOM 2026-2030".into(),
            period: (2026, 2030),
            edited_on: NaiveDate::from_ymd_opt(2027, 5, 2).expect("date"),
            lines: vec![Line {
                engagement: "E1".into(),
                indicator: "IND-A".into(),
                indicator_title: "Séjours ambulatoires".into(),
                site: None,
                cells: vec![
                    (2026, number(100.0), Some(Verdict::Atteint)),
                    (2027, number(90.0), Some(Verdict::NonAtteint)),
                ],
            }],
            peers,
            actions: vec![PackAction {
                review_on: NaiveDate::from_ymd_opt(2027, 3, 12).expect("date"),
                title: "Ouvrir 10 places".into(),
                owner: "Direction".into(),
                due_on: NaiveDate::from_ymd_opt(2027, 4, 30).expect("date"),
                status: "en cours".into(),
                late: true,
            }],
        }
    }

    fn texts(doc: &ContractDocument) -> String {
        doc.blocks
            .iter()
            .map(|b| match b {
                Block::Title(t) | Block::Heading(t) | Block::Paragraph(t) => t.clone(),
                Block::Table(t) => t
                    .rows
                    .iter()
                    .map(|r| r.join(" | "))
                    .collect::<Vec<_>>()
                    .join("\n"),
                _ => String::new(),
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    fn peer(ej: &str, year: i32, v: f64, verdict: Verdict) -> PeerValue {
        PeerValue {
            year,
            indicator: "IND-A".into(),
            ej: ej.into(),
            value: number(v),
            verdict: Some(verdict),
        }
    }

    #[test]
    fn the_pack_holds_scorecard_trends_comparison_and_road_map() {
        let peers = vec![
            peer("P1", 2027, 80.0, Verdict::Atteint),
            peer("P2", 2027, 120.0, Verdict::NonAtteint),
            peer("P3", 2027, 100.0, Verdict::Atteint),
            peer("P4", 2027, 60.0, Verdict::Atteint),
        ];
        let text = texts(&build(&input(peers)));
        // Scorecard: 2026 met, 2027 not met; 1 of 2 overall.
        assert!(text.contains("2026 | 1 | 1 | 0 | 0 | 100\u{a0}%"), "{text}");
        assert!(
            text.contains("Ensemble | 2 | 1 | 0 | 1 | 50\u{a0}%"),
            "{text}"
        );
        assert!(text.contains("100\natteint | 90\nnon atteint"), "{text}");
        // Trend: 100 → 90.
        assert!(text.contains("-10\u{a0}% (2026-2027)"), "{text}");
        // Comparison on 2027: peers 60, 80, 100, 120 → median 90, the establishment at 90.
        assert!(
            text.contains("IND-A (2027) | 90 | 4 | 60 | 75 | 90 | 105 | 120 | deuxième quart"),
            "{text}"
        );
        // Attainment in 2027: the establishment 0 %, the peers 100, 0, 100, 100.
        assert!(
            text.contains("2027 | 0\u{a0}% | 4 | 0\u{a0}% | 75\u{a0}% | 100\u{a0}%"),
            "{text}"
        );
        assert!(text.contains("ayant des valeurs validées : 4"));
        // Never a peer's name.
        assert!(!text.contains("P1"));
        // Road map.
        assert!(text.contains(
            "12/03/2027 | Ouvrir 10 places | Direction | 30/04/2027 | en cours (en retard)"
        ));
    }

    #[test]
    fn too_few_peers_print_no_distribution() {
        let peers = vec![
            peer("P1", 2027, 80.0, Verdict::Atteint),
            peer("P2", 2027, 120.0, Verdict::NonAtteint),
        ];
        let text = texts(&build(&input(peers)));
        assert!(
            text.contains("IND-A (2027) | 90 | 2 | — | — | — | — | — | moins de 3 comparables"),
            "{text}"
        );
        assert!(!text.contains("120"), "no peer value can be read: {text}");
        let mut no_band = input(vec![]);
        no_band.band = None;
        assert!(texts(&build(&no_band)).contains("pas de comparaison"));
    }
}
