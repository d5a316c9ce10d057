//! Targets of indicator fiches: the structured form of a printed target, its rule text (as
//! written in the catalogue format, see `docs/catalogue-format.md`) and its evaluation
//! against declared values, giving a verdict and its reason in French.

use std::collections::BTreeMap;
use std::fmt;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::number::{format_number, format_signed, parse_number};

/// Direction of a comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Comparison {
    /// `>=`: the value must reach the bound.
    AtLeast,
    /// `<=`: the value must not exceed the bound.
    AtMost,
}

impl Comparison {
    fn symbol(self) -> &'static str {
        match self {
            Comparison::AtLeast => ">=",
            Comparison::AtMost => "<=",
        }
    }

    fn holds(self, value: f64, bound: f64) -> bool {
        match self {
            Comparison::AtLeast => value >= bound - EPSILON,
            Comparison::AtMost => value <= bound + EPSILON,
        }
    }
}

/// Tolerance of comparisons (rates computed from numerator and denominator are inexact).
const EPSILON: f64 = 1e-9;

/// The structured form of a target, which the evaluation reads.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TargetRule {
    /// The year's value compared with a fixed bound (`>= 10`, `<= 5`).
    Threshold {
        /// Direction.
        op: Comparison,
        /// Bound.
        value: f64,
    },
    /// The value must change by at least `delta` against the previous year (`+1 vs N-1`;
    /// a negative delta asks for a decrease of at least that much).
    Increment {
        /// Expected change.
        delta: f64,
    },
    /// The value must change by `percent` % against a base: the previous year, or a
    /// reference year (`+15 % vs N-1`, `-10 % vs 2023`).
    Progression {
        /// Expected change in percent (negative: a decrease).
        percent: f64,
        /// Reference year; `None` for the previous year.
        base_year: Option<i32>,
    },
    /// The total of the values over the period, up to the evaluated year (`cumul >= 25`).
    Cumulative {
        /// Direction.
        op: Comparison,
        /// Bound of the total.
        value: f64,
    },
    /// A yes/no answer is expected (`oui`, `non`).
    YesNo {
        /// The expected answer.
        expected: bool,
    },
    /// A qualitative milestone, judged by a referent (`jalon "…" avant 2026-12-31`).
    Milestone {
        /// What must be achieved.
        label: String,
        /// By when, if dated.
        due: Option<NaiveDate>,
    },
    /// Nothing is expected (`sans objet`).
    NotApplicable,
}

/// A rule text that could not be read, with the 1-based column of the problem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleError {
    /// 1-based character position in the rule text.
    pub column: usize,
    /// What is wrong, in French.
    pub message: String,
}

impl fmt::Display for RuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "colonne {} : {}", self.column, self.message)
    }
}

impl std::error::Error for RuleError {}

const RULE_HELP: &str = "règles possibles : « >= 10 », « <= 5 », « +1 vs N-1 », \
« +15 % vs N-1 », « +15 % vs 2025 », « cumul >= 25 », « oui », « non », « jalon \"…\" », \
« jalon \"…\" avant 2026-12-31 », « sans objet »";

/// A tiny cursor over the characters of a rule text.
struct Cursor {
    chars: Vec<char>,
    pos: usize,
}

impl Cursor {
    fn new(text: &str) -> Self {
        Self {
            chars: text.chars().collect(),
            pos: 0,
        }
    }

    fn skip_spaces(&mut self) {
        while self.pos < self.chars.len() && self.chars[self.pos].is_whitespace() {
            self.pos += 1;
        }
    }

    fn at_end(&mut self) -> bool {
        self.skip_spaces();
        self.pos >= self.chars.len()
    }

    fn peek(&mut self) -> Option<char> {
        self.skip_spaces();
        self.chars.get(self.pos).copied()
    }

    /// Consumes `word` (case-insensitive) if it comes next.
    fn eat(&mut self, word: &str) -> bool {
        self.skip_spaces();
        let w: Vec<char> = word.chars().collect();
        let end = self.pos + w.len();
        if end <= self.chars.len()
            && self.chars[self.pos..end]
                .iter()
                .zip(&w)
                .all(|(a, b)| a.to_lowercase().eq(b.to_lowercase()))
        {
            // A keyword must not run into a letter ("nonsense" is not "non").
            let boundary = self.chars.get(end).is_none_or(|c| {
                !c.is_alphanumeric() || !w.last().is_some_and(|l| l.is_alphanumeric())
            });
            if boundary {
                self.pos = end;
                return true;
            }
        }
        false
    }

    /// Consumes these words, separated by any spaces, or nothing.
    fn eat_words(&mut self, words: &[&str]) -> bool {
        let save = self.pos;
        if words.iter().all(|w| self.eat(w)) {
            true
        } else {
            self.pos = save;
            false
        }
    }

    fn error(&self, message: impl Into<String>) -> RuleError {
        RuleError {
            column: self.pos + 1,
            message: message.into(),
        }
    }

    /// A number (digits, one decimal separator, grouping spaces).
    fn number(&mut self) -> Result<f64, RuleError> {
        self.skip_spaces();
        let start = self.pos;
        let mut end = self.pos;
        if matches!(self.chars.get(end), Some('-' | '+')) {
            end += 1;
        }
        while end < self.chars.len()
            && (self.chars[end].is_ascii_digit()
                || matches!(self.chars[end], '.' | ',')
                || (matches!(self.chars[end], ' ' | '\u{a0}' | '\u{202f}')
                    && self.chars.get(end + 1).is_some_and(char::is_ascii_digit)))
        {
            end += 1;
        }
        let raw: String = self.chars[start..end].iter().collect();
        match parse_number(&raw) {
            Some(v) => {
                self.pos = end;
                Ok(v)
            }
            None => Err(self.error("nombre attendu")),
        }
    }

    /// A quoted text: "…" or « … ».
    fn quoted(&mut self) -> Result<String, RuleError> {
        let close = match self.peek() {
            Some('"') => '"',
            Some('«') => '»',
            _ => return Err(self.error("texte entre guillemets attendu")),
        };
        let open = self.pos;
        self.pos += 1;
        let start = self.pos;
        while self.pos < self.chars.len() && self.chars[self.pos] != close {
            self.pos += 1;
        }
        if self.pos >= self.chars.len() {
            self.pos = open;
            return Err(self.error("guillemet fermant manquant"));
        }
        let text: String = self.chars[start..self.pos].iter().collect();
        self.pos += 1;
        let text = text.trim().to_owned();
        if text.is_empty() {
            self.pos = open;
            return Err(self.error("le libellé du jalon est vide"));
        }
        Ok(text)
    }

    /// A date `aaaa-mm-jj` or `jj/mm/aaaa`.
    fn date(&mut self) -> Result<NaiveDate, RuleError> {
        self.skip_spaces();
        let start = self.pos;
        let mut end = start;
        while end < self.chars.len()
            && (self.chars[end].is_ascii_digit() || matches!(self.chars[end], '-' | '/'))
        {
            end += 1;
        }
        let raw: String = self.chars[start..end].iter().collect();
        let parsed = NaiveDate::parse_from_str(&raw, "%Y-%m-%d")
            .or_else(|_| NaiveDate::parse_from_str(&raw, "%d/%m/%Y"));
        match parsed {
            Ok(d) => {
                self.pos = end;
                Ok(d)
            }
            Err(_) => Err(self.error("date attendue (aaaa-mm-jj ou jj/mm/aaaa)")),
        }
    }

    fn comparison(&mut self) -> Option<Comparison> {
        if self.eat(">=") || self.eat("≥") {
            Some(Comparison::AtLeast)
        } else if self.eat("<=") || self.eat("≤") {
            Some(Comparison::AtMost)
        } else {
            None
        }
    }

    /// An optional unit after a bound (`%`, `€`, `jours`…), ignored: the unit is the
    /// indicator's. `vs` is not a unit.
    fn optional_unit(&mut self) {
        self.skip_spaces();
        let save = self.pos;
        if self.eat("vs") {
            self.pos = save;
            return;
        }
        while self.pos < self.chars.len()
            && (self.chars[self.pos].is_alphabetic()
                || matches!(self.chars[self.pos], '%' | '€' | ' ' | '/' | '\''))
        {
            let rest: String = self.chars[self.pos..].iter().collect();
            if rest.trim_start().to_lowercase().starts_with("vs") {
                break;
            }
            self.pos += 1;
        }
    }
}

impl TargetRule {
    /// Reads a rule written as in the catalogue format (see the module documentation).
    pub fn parse(text: &str) -> Result<Self, RuleError> {
        let mut c = Cursor::new(text);
        if c.at_end() {
            return Err(c.error(format!("règle vide ; {RULE_HELP}")));
        }
        let rule = if c.eat_words(&["sans", "objet"]) {
            TargetRule::NotApplicable
        } else if c.eat("oui") {
            TargetRule::YesNo { expected: true }
        } else if c.eat("non") {
            TargetRule::YesNo { expected: false }
        } else if c.eat("jalon") {
            let label = c.quoted()?;
            let due = if c.eat("avant") {
                Some(c.date()?)
            } else {
                None
            };
            TargetRule::Milestone { label, due }
        } else if c.eat("cumul") {
            let op = c
                .comparison()
                .ok_or_else(|| c.error("« >= » ou « <= » attendu après « cumul »"))?;
            let value = c.number()?;
            c.optional_unit();
            TargetRule::Cumulative { op, value }
        } else if let Some(op) = c.comparison() {
            let value = c.number()?;
            c.optional_unit();
            TargetRule::Threshold { op, value }
        } else if matches!(c.peek(), Some('+' | '-')) {
            let delta = c.number()?;
            let percent = if c.peek() == Some('%') {
                c.pos += 1;
                true
            } else {
                false
            };
            if !c.eat("vs") {
                return Err(c.error("« vs N-1 » ou « vs <année> » attendu"));
            }
            let base_year = if c.eat("n-1") {
                None
            } else {
                let at = c.pos;
                let y = c.number()?;
                if y.fract() != 0.0 || !(1900.0..=2200.0).contains(&y) {
                    c.pos = at;
                    return Err(c.error("année de référence attendue (ex. 2025) ou « N-1 »"));
                }
                Some(y as i32)
            };
            if percent {
                TargetRule::Progression {
                    percent: delta,
                    base_year,
                }
            } else if base_year.is_some() {
                return Err(c.error(
                    "une augmentation en valeur se mesure par rapport à N-1 ; pour une année \
                     de référence, donnez un pourcentage (« +15 % vs 2025 »)",
                ));
            } else {
                TargetRule::Increment { delta }
            }
        } else {
            return Err(c.error(format!("règle non reconnue ; {RULE_HELP}")));
        };
        if !c.at_end() {
            return Err(c.error("texte inattendu après la règle"));
        }
        Ok(rule)
    }

    /// Whether evaluating the rule needs the previous year's value.
    pub fn needs_previous_year(&self) -> bool {
        matches!(
            self,
            TargetRule::Increment { .. }
                | TargetRule::Progression {
                    base_year: None,
                    ..
                }
        )
    }

    /// A short French description (for pages): "au moins 10 %", "+1 par rapport à N-1"…
    pub fn describe(&self, unit: &str) -> String {
        match self {
            TargetRule::Threshold { op, value } => format!(
                "{} {}",
                match op {
                    Comparison::AtLeast => "au moins",
                    Comparison::AtMost => "au plus",
                },
                with_unit(*value, unit)
            ),
            TargetRule::Increment { delta } => {
                format!(
                    "{} par rapport à l'année précédente",
                    signed_with_unit(*delta, unit)
                )
            }
            TargetRule::Progression { percent, base_year } => format!(
                "{} % par rapport à {}",
                format_signed(*percent),
                base_year.map_or("l'année précédente".to_owned(), |y| y.to_string())
            ),
            TargetRule::Cumulative { op, value } => format!(
                "cumul sur la période {} {}",
                match op {
                    Comparison::AtLeast => "d'au moins",
                    Comparison::AtMost => "d'au plus",
                },
                with_unit(*value, unit)
            ),
            TargetRule::YesNo { expected } => if *expected { "oui" } else { "non" }.to_owned(),
            TargetRule::Milestone { label, due } => match due {
                Some(d) => format!("jalon « {label} » avant le {}", d.format("%d/%m/%Y")),
                None => format!("jalon « {label} »"),
            },
            TargetRule::NotApplicable => "sans objet".to_owned(),
        }
    }
}

impl fmt::Display for TargetRule {
    /// The canonical rule text, read back by [`TargetRule::parse`].
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let plain = |v: f64| format_number(v).replace('\u{202f}', "").replace(',', ".");
        match self {
            TargetRule::Threshold { op, value } => write!(f, "{} {}", op.symbol(), plain(*value)),
            TargetRule::Increment { delta } => {
                write!(
                    f,
                    "{}{} vs N-1",
                    if *delta < 0.0 { "" } else { "+" },
                    plain(*delta)
                )
            }
            TargetRule::Progression { percent, base_year } => write!(
                f,
                "{}{} % vs {}",
                if *percent < 0.0 { "" } else { "+" },
                plain(*percent),
                base_year.map_or("N-1".to_owned(), |y| y.to_string())
            ),
            TargetRule::Cumulative { op, value } => {
                write!(f, "cumul {} {}", op.symbol(), plain(*value))
            }
            TargetRule::YesNo { expected } => f.write_str(if *expected { "oui" } else { "non" }),
            TargetRule::Milestone { label, due } => match due {
                Some(d) => write!(f, "jalon \"{label}\" avant {}", d.format("%Y-%m-%d")),
                None => write!(f, "jalon \"{label}\""),
            },
            TargetRule::NotApplicable => f.write_str("sans objet"),
        }
    }
}

/// The verdict of a target for one year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The target is met.
    Atteint,
    /// Not met, but at least the catalogue's partial threshold of it.
    PartiellementAtteint,
    /// Not met.
    NonAtteint,
    /// Nothing was expected.
    SansObjet,
    /// A value needed for the evaluation is missing.
    NonRenseigne,
    /// A referent must judge (milestones, values that cannot be compared).
    AApprecier,
}

impl Verdict {
    /// Every verdict, in the order of the scorecards.
    pub const ALL: [Verdict; 6] = [
        Verdict::Atteint,
        Verdict::PartiellementAtteint,
        Verdict::NonAtteint,
        Verdict::SansObjet,
        Verdict::NonRenseigne,
        Verdict::AApprecier,
    ];

    /// Stable identifier.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Atteint => "atteint",
            Verdict::PartiellementAtteint => "partiellement_atteint",
            Verdict::NonAtteint => "non_atteint",
            Verdict::SansObjet => "sans_objet",
            Verdict::NonRenseigne => "non_renseigne",
            Verdict::AApprecier => "a_apprecier",
        }
    }

    /// Parses a stable identifier.
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == raw.trim())
    }

    /// French label.
    pub fn label(self) -> &'static str {
        match self {
            Verdict::Atteint => "atteint",
            Verdict::PartiellementAtteint => "partiellement atteint",
            Verdict::NonAtteint => "non atteint",
            Verdict::SansObjet => "sans objet",
            Verdict::NonRenseigne => "non renseigné",
            Verdict::AApprecier => "à apprécier",
        }
    }
}

/// A value declared for one year.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum Declared {
    /// A count, an amount or a rate (in percent: see [`Declared::rate`]).
    Number(f64),
    /// A yes/no answer.
    YesNo(bool),
    /// A milestone: `Some` once a referent judged it reached or not.
    Milestone(Option<bool>),
    /// Free text (never compared).
    Text(String),
}

impl Declared {
    /// The rate in percent of a numerator over a denominator; `None` when the denominator is
    /// zero (the rate does not exist).
    pub fn rate(numerator: f64, denominator: f64) -> Option<Self> {
        (denominator != 0.0).then(|| Declared::Number(numerator * 100.0 / denominator))
    }
}

/// When a numeric target not met counts as partially met: at least `percent` % of what was
/// expected (see `docs/catalogue-format.md`). `None` in a catalogue: no partial verdict.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PartialRule {
    /// Share of the expected result, in percent (0 < percent < 100).
    pub percent: f64,
}

impl PartialRule {
    /// A partial rule, checked: the share must be strictly between 0 and 100.
    pub fn new(percent: f64) -> Result<Self, String> {
        if percent > 0.0 && percent < 100.0 {
            Ok(Self { percent })
        } else {
            Err(format!(
                "le seuil d'atteinte partielle doit être strictement entre 0 et 100 % (reçu : {})",
                format_number(percent)
            ))
        }
    }
}

/// What an evaluation needs besides the rule.
#[derive(Debug, Clone)]
pub struct EvaluationContext<'a> {
    /// The evaluated year.
    pub year: i32,
    /// First and last year of the contract (for cumulative totals).
    pub period: (i32, i32),
    /// Declared values by year (validated ones, in a campaign).
    pub values: &'a BTreeMap<i32, Declared>,
    /// The partial-attainment rule of the catalogue, if any.
    pub partial: Option<PartialRule>,
    /// The indicator's unit, shown after numbers when it is a symbol (`%`, `€`).
    pub unit: &'a str,
}

/// A verdict with its reason in French.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evaluation {
    /// The verdict.
    pub verdict: Verdict,
    /// Why, in words: "12 % ≥ cible 10 %".
    pub reason: String,
}

fn unit_suffix(unit: &str) -> String {
    let u = unit.trim();
    if matches!(u, "%" | "€" | "k€" | "M€") {
        format!("\u{a0}{u}")
    } else {
        String::new()
    }
}

fn with_unit(v: f64, unit: &str) -> String {
    format!("{}{}", format_number(v), unit_suffix(unit))
}

fn signed_with_unit(v: f64, unit: &str) -> String {
    format!("{}{}", format_signed(v), unit_suffix(unit))
}

fn percent(v: f64) -> String {
    format!("{}\u{a0}%", format_signed(v))
}

fn outcome(verdict: Verdict, reason: impl Into<String>) -> Evaluation {
    Evaluation {
        verdict,
        reason: reason.into(),
    }
}

/// Met, partially met or not met from the achieved share of the expected result.
fn graded(
    met: bool,
    share: Option<f64>,
    partial: Option<PartialRule>,
    reason: String,
) -> Evaluation {
    if met {
        return outcome(Verdict::Atteint, reason);
    }
    match (share, partial) {
        (Some(s), Some(p)) if s * 100.0 >= p.percent - EPSILON => outcome(
            Verdict::PartiellementAtteint,
            format!(
                "{reason} ({} % de l'attendu, partiel à partir de {} %)",
                format_number((s * 100.0).max(0.0)),
                format_number(p.percent)
            ),
        ),
        _ => outcome(Verdict::NonAtteint, reason),
    }
}

fn number_of(values: &BTreeMap<i32, Declared>, year: i32) -> Result<Option<f64>, Evaluation> {
    match values.get(&year) {
        None => Ok(None),
        Some(Declared::Number(v)) => Ok(Some(*v)),
        Some(_) => Err(outcome(
            Verdict::AApprecier,
            format!(
                "la valeur {year} n'est pas un nombre : la cible chiffrée ne peut être calculée"
            ),
        )),
    }
}

impl TargetRule {
    /// Evaluates the rule for `ctx.year` against the declared values.
    pub fn evaluate(&self, ctx: &EvaluationContext<'_>) -> Evaluation {
        match self.evaluate_inner(ctx) {
            Ok(e) | Err(e) => e,
        }
    }

    fn evaluate_inner(&self, ctx: &EvaluationContext<'_>) -> Result<Evaluation, Evaluation> {
        let year = ctx.year;
        let u = ctx.unit;
        let missing =
            |y: i32, what: &str| outcome(Verdict::NonRenseigne, format!("{what} {y} non déclarée"));
        Ok(match self {
            TargetRule::NotApplicable => {
                outcome(Verdict::SansObjet, format!("sans objet en {year}"))
            }
            TargetRule::Threshold { op, value } => {
                let v = number_of(ctx.values, year)?.ok_or_else(|| missing(year, "valeur"))?;
                let met = op.holds(v, *value);
                let sign = match (op, met) {
                    (Comparison::AtLeast, true) => "≥",
                    (Comparison::AtLeast, false) => "<",
                    (Comparison::AtMost, true) => "≤",
                    (Comparison::AtMost, false) => ">",
                };
                let share = match op {
                    Comparison::AtLeast if *value > 0.0 => Some(v / value),
                    Comparison::AtMost if v > 0.0 => Some(value / v),
                    _ => None,
                };
                graded(
                    met,
                    share,
                    ctx.partial,
                    format!("{} {sign} cible {}", with_unit(v, u), with_unit(*value, u)),
                )
            }
            TargetRule::Increment { delta } => {
                let v = number_of(ctx.values, year)?.ok_or_else(|| missing(year, "valeur"))?;
                let prev = number_of(ctx.values, year - 1)?.ok_or_else(|| {
                    outcome(
                        Verdict::NonRenseigne,
                        format!(
                            "valeur {} (année N-1) non déclarée : l'évolution ne peut être calculée",
                            year - 1
                        ),
                    )
                })?;
                let achieved = v - prev;
                // A zero change asks for no decrease ("progression positive ou nulle").
                let met = if *delta >= 0.0 {
                    achieved >= delta - EPSILON
                } else {
                    achieved <= delta + EPSILON
                };
                graded(
                    met,
                    (*delta != 0.0).then(|| achieved / delta),
                    ctx.partial,
                    format!(
                        "{} attendu par rapport à {}, {} déclaré ({} → {})",
                        signed_with_unit(*delta, u),
                        year - 1,
                        signed_with_unit(achieved, u),
                        with_unit(prev, u),
                        with_unit(v, u)
                    ),
                )
            }
            TargetRule::Progression {
                percent: p,
                base_year,
            } => {
                let base_y = base_year.unwrap_or(year - 1);
                if base_y >= year {
                    return Ok(outcome(
                        Verdict::SansObjet,
                        format!(
                            "{year} est l'année de référence de la progression (ou la précède)"
                        ),
                    ));
                }
                let v = number_of(ctx.values, year)?.ok_or_else(|| missing(year, "valeur"))?;
                let base = number_of(ctx.values, base_y)?.ok_or_else(|| {
                    outcome(
                        Verdict::NonRenseigne,
                        format!(
                            "valeur de référence {base_y} non déclarée : la progression ne peut être calculée"
                        ),
                    )
                })?;
                if base.abs() < EPSILON {
                    return Ok(outcome(
                        Verdict::AApprecier,
                        format!(
                            "valeur de référence {base_y} nulle : une progression en % ne peut être calculée ({} en {year})",
                            with_unit(v, u)
                        ),
                    ));
                }
                let achieved = (v - base) / base.abs() * 100.0;
                let met = if *p >= 0.0 {
                    achieved >= p - EPSILON
                } else {
                    achieved <= p + EPSILON
                };
                graded(
                    met,
                    (*p != 0.0).then(|| achieved / p),
                    ctx.partial,
                    format!(
                        "{} attendu par rapport à {base_y}, {} constaté ({} → {})",
                        percent(*p),
                        percent(achieved),
                        with_unit(base, u),
                        with_unit(v, u)
                    ),
                )
            }
            TargetRule::Cumulative { op, value } => {
                number_of(ctx.values, year)?.ok_or_else(|| missing(year, "valeur"))?;
                let (start, end) = ctx.period;
                let mut total = 0.0;
                let mut gaps = Vec::new();
                for y in start..=year.min(end) {
                    match number_of(ctx.values, y)? {
                        Some(v) => total += v,
                        None => gaps.push(y.to_string()),
                    }
                }
                let gap_note = if gaps.is_empty() {
                    String::new()
                } else {
                    format!(
                        " ; années non déclarées comptées pour 0 : {}",
                        gaps.join(", ")
                    )
                };
                let met = op.holds(total, *value);
                let reason = format!(
                    "cumul {start}–{} : {} pour une cible {} {}{gap_note}",
                    year.min(end),
                    with_unit(total, u),
                    match op {
                        Comparison::AtLeast => "≥",
                        Comparison::AtMost => "≤",
                    },
                    with_unit(*value, u)
                );
                if year < end && !met && *op == Comparison::AtLeast {
                    // The period is not over: the total may still be reached.
                    outcome(
                        Verdict::AApprecier,
                        format!("{reason} (période en cours, jusqu'en {end})"),
                    )
                } else {
                    let share = match op {
                        Comparison::AtLeast if *value > 0.0 => Some(total / value),
                        Comparison::AtMost if total > 0.0 => Some(value / total),
                        _ => None,
                    };
                    graded(met, share, ctx.partial, reason)
                }
            }
            TargetRule::YesNo { expected } => {
                let word = |b: bool| if b { "oui" } else { "non" };
                match ctx.values.get(&year) {
                    None => missing(year, "réponse"),
                    Some(Declared::YesNo(answer)) => {
                        let verdict = if answer == expected {
                            Verdict::Atteint
                        } else {
                            Verdict::NonAtteint
                        };
                        outcome(
                            verdict,
                            format!(
                                "« {} » déclaré, « {} » attendu",
                                word(*answer),
                                word(*expected)
                            ),
                        )
                    }
                    Some(_) => outcome(
                        Verdict::AApprecier,
                        "la valeur déclarée n'est pas une réponse oui/non",
                    ),
                }
            }
            TargetRule::Milestone { label, due } => {
                let due_text = due.map_or(String::new(), |d| {
                    format!(" (échéance {})", d.format("%d/%m/%Y"))
                });
                match ctx.values.get(&year) {
                    Some(Declared::Milestone(Some(true))) => outcome(
                        Verdict::Atteint,
                        format!("jalon « {label} » atteint, selon le référent{due_text}"),
                    ),
                    Some(Declared::Milestone(Some(false))) => outcome(
                        Verdict::NonAtteint,
                        format!("jalon « {label} » non atteint, selon le référent{due_text}"),
                    ),
                    Some(_) => outcome(
                        Verdict::AApprecier,
                        format!(
                            "jalon « {label} » : en attente de l'appréciation du référent{due_text}"
                        ),
                    ),
                    None => missing(year, "déclaration du jalon"),
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn values(pairs: &[(i32, f64)]) -> BTreeMap<i32, Declared> {
        pairs
            .iter()
            .map(|(y, v)| (*y, Declared::Number(*v)))
            .collect()
    }

    fn eval(rule: &str, year: i32, values: &BTreeMap<i32, Declared>, unit: &str) -> Evaluation {
        eval_partial(rule, year, values, unit, None)
    }

    fn eval_partial(
        rule: &str,
        year: i32,
        values: &BTreeMap<i32, Declared>,
        unit: &str,
        partial: Option<f64>,
    ) -> Evaluation {
        TargetRule::parse(rule)
            .expect("valid rule")
            .evaluate(&EvaluationContext {
                year,
                period: (2025, 2029),
                values,
                partial: partial.map(|p| PartialRule::new(p).expect("valid share")),
                unit,
            })
    }

    #[test]
    fn rules_are_read_in_every_documented_form() {
        let cases = [
            (
                ">= 10",
                TargetRule::Threshold {
                    op: Comparison::AtLeast,
                    value: 10.0,
                },
            ),
            (
                "≥ 10 %",
                TargetRule::Threshold {
                    op: Comparison::AtLeast,
                    value: 10.0,
                },
            ),
            (
                "<= 7,5",
                TargetRule::Threshold {
                    op: Comparison::AtMost,
                    value: 7.5,
                },
            ),
            (
                "≤ 1 000 jours",
                TargetRule::Threshold {
                    op: Comparison::AtMost,
                    value: 1000.0,
                },
            ),
            ("+1 vs N-1", TargetRule::Increment { delta: 1.0 }),
            ("-2 vs n-1", TargetRule::Increment { delta: -2.0 }),
            (
                "+15 % vs N-1",
                TargetRule::Progression {
                    percent: 15.0,
                    base_year: None,
                },
            ),
            (
                "+15% vs 2025",
                TargetRule::Progression {
                    percent: 15.0,
                    base_year: Some(2025),
                },
            ),
            (
                "-10 % vs 2023",
                TargetRule::Progression {
                    percent: -10.0,
                    base_year: Some(2023),
                },
            ),
            (
                "cumul >= 25",
                TargetRule::Cumulative {
                    op: Comparison::AtLeast,
                    value: 25.0,
                },
            ),
            ("Oui", TargetRule::YesNo { expected: true }),
            ("non", TargetRule::YesNo { expected: false }),
            (
                "jalon \"état des lieux réalisé\"",
                TargetRule::Milestone {
                    label: "état des lieux réalisé".into(),
                    due: None,
                },
            ),
            (
                "jalon « projet signé » avant 31/12/2026",
                TargetRule::Milestone {
                    label: "projet signé".into(),
                    due: NaiveDate::from_ymd_opt(2026, 12, 31),
                },
            ),
            ("sans objet", TargetRule::NotApplicable),
            ("Sans  objet", TargetRule::NotApplicable),
        ];
        for (text, expected) in cases {
            assert_eq!(TargetRule::parse(text), Ok(expected), "{text}");
        }
    }

    #[test]
    fn a_bad_rule_is_refused_with_its_column() {
        let err = TargetRule::parse(">= abc").expect_err("no number");
        assert_eq!(err.column, 4);
        assert!(err.message.contains("nombre"), "{err}");
        let err = TargetRule::parse("+1 vs 2025").expect_err("increment vs a year");
        assert!(err.message.contains("pourcentage"), "{err}");
        let err = TargetRule::parse(">= 10 vs N-1").expect_err("trailing text");
        assert_eq!(err.column, 7);
        assert!(TargetRule::parse("").is_err());
        assert!(TargetRule::parse("nonsense").is_err());
        assert!(TargetRule::parse("jalon \"ouvert").is_err());
        assert!(TargetRule::parse("jalon \"x\" avant 2026-13-01").is_err());
        // "+0" asks for no decrease.
        assert_eq!(
            TargetRule::parse("+0 % vs N-1"),
            Ok(TargetRule::Progression {
                percent: 0.0,
                base_year: None
            })
        );
        assert!(TargetRule::parse("+5 % vs 12").is_err());
        assert!(TargetRule::parse("environ 10").is_err());
    }

    #[test]
    fn a_threshold_is_met_exactly_at_the_target() {
        let e = eval(">= 10", 2026, &values(&[(2026, 10.0)]), "%");
        assert_eq!(e.verdict, Verdict::Atteint);
        assert_eq!(e.reason, "10\u{a0}% ≥ cible 10\u{a0}%");
        let e = eval(">= 10", 2026, &values(&[(2026, 12.0)]), "%");
        assert_eq!(e.reason, "12\u{a0}% ≥ cible 10\u{a0}%");
        let e = eval(">= 10", 2026, &values(&[(2026, 9.99)]), "%");
        assert_eq!(e.verdict, Verdict::NonAtteint);
    }

    #[test]
    fn a_rate_computed_from_numerator_and_denominator_meets_its_exact_target() {
        // 1/10 is not exact in binary: the comparison tolerates it.
        let rate = Declared::rate(1.0, 10.0).expect("non-zero denominator");
        let v: BTreeMap<i32, Declared> = [(2026, rate)].into();
        assert_eq!(eval(">= 10", 2026, &v, "%").verdict, Verdict::Atteint);
        assert_eq!(Declared::rate(3.0, 0.0), None);
    }

    #[test]
    fn a_decreasing_target_is_met_at_or_below_the_bound() {
        assert_eq!(
            eval("<= 5", 2026, &values(&[(2026, 5.0)]), "").verdict,
            Verdict::Atteint
        );
        assert_eq!(
            eval("<= 5", 2026, &values(&[(2026, 3.0)]), "").verdict,
            Verdict::Atteint
        );
        let e = eval("<= 5", 2026, &values(&[(2026, 7.0)]), "");
        assert_eq!(e.verdict, Verdict::NonAtteint);
        assert_eq!(e.reason, "7 > cible 5");
    }

    #[test]
    fn a_missing_value_is_not_declared() {
        let e = eval(">= 10", 2026, &values(&[(2025, 10.0)]), "");
        assert_eq!(e.verdict, Verdict::NonRenseigne);
        assert_eq!(e.reason, "valeur 2026 non déclarée");
    }

    #[test]
    fn an_increment_needs_last_year() {
        let e = eval("+1 vs N-1", 2026, &values(&[(2025, 3.0), (2026, 3.0)]), "");
        assert_eq!(e.verdict, Verdict::NonAtteint);
        assert_eq!(
            e.reason,
            "+1 attendu par rapport à 2025, +0 déclaré (3 → 3)"
        );
        let e = eval("+1 vs N-1", 2026, &values(&[(2025, 3.0), (2026, 4.0)]), "");
        assert_eq!(e.verdict, Verdict::Atteint);
        let e = eval("+1 vs N-1", 2026, &values(&[(2026, 4.0)]), "");
        assert_eq!(e.verdict, Verdict::NonRenseigne);
        assert!(
            e.reason.contains("2025 (année N-1) non déclarée"),
            "{}",
            e.reason
        );
    }

    #[test]
    fn a_decrease_is_met_when_the_value_fell_enough() {
        assert_eq!(
            eval("-2 vs N-1", 2026, &values(&[(2025, 10.0), (2026, 8.0)]), "").verdict,
            Verdict::Atteint
        );
        assert_eq!(
            eval("-2 vs N-1", 2026, &values(&[(2025, 10.0), (2026, 9.0)]), "").verdict,
            Verdict::NonAtteint
        );
    }

    #[test]
    fn a_progression_is_measured_against_a_reference_year() {
        let v = values(&[(2025, 40.0), (2027, 46.0)]);
        let e = eval("+15 % vs 2025", 2027, &v, "");
        assert_eq!(e.verdict, Verdict::Atteint);
        assert_eq!(
            e.reason,
            "+15\u{a0}% attendu par rapport à 2025, +15\u{a0}% constaté (40 → 46)"
        );
        let e = eval(
            "+15 % vs 2025",
            2027,
            &values(&[(2025, 40.0), (2027, 45.0)]),
            "",
        );
        assert_eq!(e.verdict, Verdict::NonAtteint);
        let e = eval("+15 % vs 2025", 2025, &v, "");
        assert_eq!(e.verdict, Verdict::SansObjet);
    }

    #[test]
    fn a_progression_from_a_zero_baseline_is_left_to_the_referent() {
        let e = eval(
            "+10 % vs N-1",
            2026,
            &values(&[(2025, 0.0), (2026, 5.0)]),
            "",
        );
        assert_eq!(e.verdict, Verdict::AApprecier);
        assert!(e.reason.contains("nulle"), "{}", e.reason);
    }

    #[test]
    fn a_progression_needs_its_base() {
        let e = eval("+10 % vs N-1", 2026, &values(&[(2026, 5.0)]), "");
        assert_eq!(e.verdict, Verdict::NonRenseigne);
    }

    #[test]
    fn a_zero_progression_asks_for_no_decrease() {
        let flat = values(&[(2025, 40.0), (2026, 40.0)]);
        let e = eval_partial("+0 % vs N-1", 2026, &flat, "", Some(50.0));
        assert_eq!(e.verdict, Verdict::Atteint);
        let down = values(&[(2025, 40.0), (2026, 39.0)]);
        let e = eval_partial("+0 % vs N-1", 2026, &down, "", Some(50.0));
        assert_eq!(e.verdict, Verdict::NonAtteint);
    }

    #[test]
    fn a_negative_progression_is_a_decrease() {
        let v = values(&[(2023, 100.0), (2026, 90.0)]);
        assert_eq!(
            eval("-10 % vs 2023", 2026, &v, "").verdict,
            Verdict::Atteint
        );
        let v = values(&[(2023, 100.0), (2026, 95.0)]);
        assert_eq!(
            eval("-10 % vs 2023", 2026, &v, "").verdict,
            Verdict::NonAtteint
        );
    }

    #[test]
    fn a_cumulative_total_adds_the_years_of_the_period() {
        let v = values(&[
            (2025, 5.0),
            (2026, 5.0),
            (2027, 5.0),
            (2028, 5.0),
            (2029, 5.0),
        ]);
        let e = eval("cumul >= 25", 2029, &v, "");
        assert_eq!(e.verdict, Verdict::Atteint);
        assert_eq!(e.reason, "cumul 2025–2029 : 25 pour une cible ≥ 25");
        // Mid-period and not reached yet: to be judged later.
        let e = eval("cumul >= 25", 2027, &v, "");
        assert_eq!(e.verdict, Verdict::AApprecier);
        // Reached early: met.
        let v2 = values(&[(2025, 30.0)]);
        assert_eq!(eval("cumul >= 25", 2025, &v2, "").verdict, Verdict::Atteint);
        // A gap counts for zero and says so.
        let v3 = values(&[(2025, 5.0), (2027, 5.0), (2028, 5.0), (2029, 5.0)]);
        let e = eval("cumul >= 25", 2029, &v3, "");
        assert_eq!(e.verdict, Verdict::NonAtteint);
        assert!(e.reason.contains("comptées pour 0 : 2026"), "{}", e.reason);
    }

    #[test]
    fn yes_no_targets_compare_answers() {
        let yes: BTreeMap<i32, Declared> = [(2026, Declared::YesNo(true))].into();
        let no: BTreeMap<i32, Declared> = [(2026, Declared::YesNo(false))].into();
        assert_eq!(eval("oui", 2026, &yes, "").verdict, Verdict::Atteint);
        let e = eval("oui", 2026, &no, "");
        assert_eq!(e.verdict, Verdict::NonAtteint);
        assert_eq!(e.reason, "« non » déclaré, « oui » attendu");
        assert_eq!(eval("non", 2026, &no, "").verdict, Verdict::Atteint);
        assert_eq!(
            eval("oui", 2026, &values(&[(2026, 1.0)]), "").verdict,
            Verdict::AApprecier
        );
        assert_eq!(
            eval("oui", 2026, &BTreeMap::new(), "").verdict,
            Verdict::NonRenseigne
        );
    }

    #[test]
    fn milestones_wait_for_the_referent() {
        let rule = "jalon \"état des lieux réalisé\" avant 2026-12-31";
        let pending: BTreeMap<i32, Declared> = [(2026, Declared::Milestone(None))].into();
        let e = eval(rule, 2026, &pending, "");
        assert_eq!(e.verdict, Verdict::AApprecier);
        assert!(e.reason.contains("31/12/2026"), "{}", e.reason);
        let done: BTreeMap<i32, Declared> = [(2026, Declared::Milestone(Some(true)))].into();
        assert_eq!(eval(rule, 2026, &done, "").verdict, Verdict::Atteint);
        let failed: BTreeMap<i32, Declared> = [(2026, Declared::Milestone(Some(false)))].into();
        assert_eq!(eval(rule, 2026, &failed, "").verdict, Verdict::NonAtteint);
    }

    #[test]
    fn not_applicable_is_sans_objet_even_without_a_value() {
        let e = eval("sans objet", 2026, &BTreeMap::new(), "");
        assert_eq!(e.verdict, Verdict::SansObjet);
    }

    #[test]
    fn partial_attainment_follows_the_catalogue_threshold() {
        let v = values(&[(2026, 8.0)]);
        let e = eval_partial(">= 10", 2026, &v, "%", Some(50.0));
        assert_eq!(e.verdict, Verdict::PartiellementAtteint);
        assert_eq!(
            e.reason,
            "8\u{a0}% < cible 10\u{a0}% (80 % de l'attendu, partiel à partir de 50 %)"
        );
        // Exactly at the partial threshold.
        let e = eval_partial(">= 10", 2026, &values(&[(2026, 5.0)]), "%", Some(50.0));
        assert_eq!(e.verdict, Verdict::PartiellementAtteint);
        let e = eval_partial(">= 10", 2026, &values(&[(2026, 4.9)]), "%", Some(50.0));
        assert_eq!(e.verdict, Verdict::NonAtteint);
        // Without a rule, no partial verdict.
        assert_eq!(eval(">= 10", 2026, &v, "%").verdict, Verdict::NonAtteint);
        // Increments: half of +2 achieved.
        let v = values(&[(2025, 3.0), (2026, 4.0)]);
        let e = eval_partial("+2 vs N-1", 2026, &v, "", Some(50.0));
        assert_eq!(e.verdict, Verdict::PartiellementAtteint);
        // A fall is not a partial increase.
        let v = values(&[(2025, 3.0), (2026, 2.0)]);
        assert_eq!(
            eval_partial("+2 vs N-1", 2026, &v, "", Some(50.0)).verdict,
            Verdict::NonAtteint
        );
        // Yes/no is never partial.
        let no: BTreeMap<i32, Declared> = [(2026, Declared::YesNo(false))].into();
        assert_eq!(
            eval_partial("oui", 2026, &no, "", Some(1.0)).verdict,
            Verdict::NonAtteint
        );
        assert!(PartialRule::new(0.0).is_err());
        assert!(PartialRule::new(100.0).is_err());
    }

    fn arb_rule() -> impl Strategy<Value = TargetRule> {
        let num = (-100_000i64..100_000).prop_map(|n| n as f64 / 100.0);
        let op = prop_oneof![Just(Comparison::AtLeast), Just(Comparison::AtMost)];
        prop_oneof![
            (op.clone(), num.clone()).prop_map(|(op, value)| TargetRule::Threshold { op, value }),
            num.clone()
                .prop_map(|delta| TargetRule::Increment { delta }),
            (num.clone(), proptest::option::of(2000i32..2100))
                .prop_map(|(percent, base_year)| TargetRule::Progression { percent, base_year }),
            (op, num).prop_map(|(op, value)| TargetRule::Cumulative { op, value }),
            any::<bool>().prop_map(|expected| TargetRule::YesNo { expected }),
            ("[a-zA-Zéè' ]{0,20}[a-z]", proptest::option::of(0u32..3000)).prop_map(|(label, d)| {
                TargetRule::Milestone {
                    label: label.trim().to_owned(),
                    due: d.map(|d| {
                        NaiveDate::from_ymd_opt(2025, 1, 1).expect("date")
                            + chrono::Duration::days(i64::from(d))
                    }),
                }
            }),
            Just(TargetRule::NotApplicable),
        ]
    }

    proptest! {
        #[test]
        fn every_rule_reads_back_from_its_text(rule in arb_rule()) {
            let text = rule.to_string();
            prop_assert_eq!(TargetRule::parse(&text), Ok(rule), "{}", text);
        }

        #[test]
        fn reading_any_text_never_panics(text in "\\PC{0,40}") {
            let _ = TargetRule::parse(&text);
        }

        #[test]
        fn every_evaluation_gives_a_reason(
            rule in arb_rule(),
            year in 2025i32..2030,
            vals in proptest::collection::btree_map(2020i32..2030, -1000.0f64..1000.0, 0..8),
            partial in proptest::option::of(1.0f64..99.0),
        ) {
            let values: BTreeMap<i32, Declared> =
                vals.into_iter().map(|(y, v)| (y, Declared::Number(v))).collect();
            let e = rule.evaluate(&EvaluationContext {
                year,
                period: (2025, 2029),
                values: &values,
                partial: partial.map(|p| PartialRule { percent: p }),
                unit: "%",
            });
            prop_assert!(!e.reason.is_empty());
        }

        #[test]
        fn a_higher_value_never_worsens_an_at_least_threshold(
            bound in 0.0f64..1000.0, a in 0.0f64..1000.0, b in 0.0f64..1000.0,
            partial in proptest::option::of(1.0f64..99.0),
        ) {
            let (low, high) = if a <= b { (a, b) } else { (b, a) };
            let rule = TargetRule::Threshold { op: Comparison::AtLeast, value: bound };
            let rank = |v: f64| {
                let values = [(2026, Declared::Number(v))].into();
                let e = rule.evaluate(&EvaluationContext {
                    year: 2026,
                    period: (2025, 2029),
                    values: &values,
                    partial: partial.map(|p| PartialRule { percent: p }),
                    unit: "",
                });
                match e.verdict {
                    Verdict::Atteint => 2,
                    Verdict::PartiellementAtteint => 1,
                    _ => 0,
                }
            };
            prop_assert!(rank(high) >= rank(low));
            prop_assert_eq!(rank(high) == 2, high >= bound - EPSILON);
        }
    }
}
