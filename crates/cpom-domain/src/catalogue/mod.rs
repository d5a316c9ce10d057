//! The référentiel: catalogues of orientations, strategic objectives, model actions and
//! indicator fiches with machine-checkable targets, per region and generation.
//!
//! A catalogue is held as flat lists in print order, each item naming its parent by code,
//! exactly like the text format (`docs/catalogue-format.md`); [`Catalogue::validate`] checks
//! everything that format cannot (unique codes, known parents, years of the period, rules
//! fitting the indicator kind) and names the item and field of each problem.

pub mod applicability;
pub mod edit;
pub mod number;
pub mod target;

use std::collections::HashSet;
use std::fmt;

use serde::{Deserialize, Serialize};

pub use applicability::{Applicability, Decision, EntityFacts};
pub use target::{
    Comparison, Declared, Evaluation, EvaluationContext, PartialRule, TargetRule, Verdict,
};

use crate::{FinessId, RegionCode};

/// What a catalogue holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CatalogueKind {
    /// Orientations → objectives → model actions → indicator fiches.
    Engagements,
    /// Themes → objectives → diagnostic questions (territorial positioning).
    Diagnostic,
}

impl CatalogueKind {
    /// Stable identifier.
    pub fn as_str(self) -> &'static str {
        match self {
            CatalogueKind::Engagements => "engagements",
            CatalogueKind::Diagnostic => "diagnostic",
        }
    }

    /// Parses a stable identifier.
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "engagements" => Some(CatalogueKind::Engagements),
            "diagnostic" => Some(CatalogueKind::Diagnostic),
            _ => None,
        }
    }
}

/// Life cycle of a catalogue version: only drafts change; a published version is frozen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CatalogueState {
    /// Being written.
    Draft,
    /// In use for contracts; immutable.
    Published,
    /// Replaced by a later version or generation.
    Archived,
}

impl CatalogueState {
    /// Stable identifier.
    pub fn as_str(self) -> &'static str {
        match self {
            CatalogueState::Draft => "draft",
            CatalogueState::Published => "published",
            CatalogueState::Archived => "archived",
        }
    }

    /// French label.
    pub fn label(self) -> &'static str {
        match self {
            CatalogueState::Draft => "brouillon",
            CatalogueState::Published => "publié",
            CatalogueState::Archived => "archivé",
        }
    }

    /// Parses a stable identifier.
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "draft" => Some(CatalogueState::Draft),
            "published" => Some(CatalogueState::Published),
            "archived" => Some(CatalogueState::Archived),
            _ => None,
        }
    }

    /// Whether the state may move to `next`: draft → published → archived, nothing else.
    pub fn can_become(self, next: CatalogueState) -> bool {
        matches!(
            (self, next),
            (CatalogueState::Draft, CatalogueState::Published)
                | (CatalogueState::Published, CatalogueState::Archived)
        )
    }
}

/// Declared value kind of an indicator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IndicatorKind {
    /// A count.
    Count,
    /// A rate: numerator over denominator, in percent.
    Rate,
    /// A yes/no answer.
    YesNo,
    /// An amount of money.
    Amount,
    /// Qualitative milestones judged by a referent.
    Milestone,
    /// Free text.
    Text,
}

impl IndicatorKind {
    /// Every kind, in the order of the forms.
    pub const ALL: [IndicatorKind; 6] = [
        IndicatorKind::Count,
        IndicatorKind::Rate,
        IndicatorKind::YesNo,
        IndicatorKind::Amount,
        IndicatorKind::Milestone,
        IndicatorKind::Text,
    ];

    /// Stable identifier.
    pub fn as_str(self) -> &'static str {
        match self {
            IndicatorKind::Count => "count",
            IndicatorKind::Rate => "rate",
            IndicatorKind::YesNo => "yes_no",
            IndicatorKind::Amount => "amount",
            IndicatorKind::Milestone => "milestone",
            IndicatorKind::Text => "text",
        }
    }

    /// French label.
    pub fn label(self) -> &'static str {
        match self {
            IndicatorKind::Count => "nombre",
            IndicatorKind::Rate => "taux (numérateur / dénominateur)",
            IndicatorKind::YesNo => "oui / non",
            IndicatorKind::Amount => "montant",
            IndicatorKind::Milestone => "jalons qualitatifs",
            IndicatorKind::Text => "texte libre",
        }
    }

    /// Parses a stable identifier.
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == raw)
    }

    /// Whether a rule can judge values of this kind.
    pub fn accepts(self, rule: &TargetRule) -> bool {
        match rule {
            TargetRule::NotApplicable | TargetRule::Milestone { .. } => true,
            TargetRule::YesNo { .. } => self == IndicatorKind::YesNo,
            TargetRule::Threshold { .. }
            | TargetRule::Increment { .. }
            | TargetRule::Progression { .. }
            | TargetRule::Cumulative { .. } => matches!(
                self,
                IndicatorKind::Count | IndicatorKind::Rate | IndicatorKind::Amount
            ),
        }
    }
}

/// Who provides an indicator's values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DataSource {
    /// The agency (its own data).
    Ars,
    /// The establishment declares it.
    Establishment,
    /// Both.
    Both,
    /// A national base (PMSI, SAE…), loaded by the agency.
    National,
}

impl DataSource {
    /// Every source.
    pub const ALL: [DataSource; 4] = [
        DataSource::Ars,
        DataSource::Establishment,
        DataSource::Both,
        DataSource::National,
    ];

    /// Stable identifier.
    pub fn as_str(self) -> &'static str {
        match self {
            DataSource::Ars => "ars",
            DataSource::Establishment => "establishment",
            DataSource::Both => "both",
            DataSource::National => "national",
        }
    }

    /// French label.
    pub fn label(self) -> &'static str {
        match self {
            DataSource::Ars => "ARS",
            DataSource::Establishment => "établissement",
            DataSource::Both => "ARS et établissement",
            DataSource::National => "base nationale",
        }
    }

    /// Parses a stable identifier.
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == raw)
    }
}

/// How often values are collected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Frequency {
    /// Once a year.
    Annual,
    /// Twice a year.
    Semiannual,
    /// Four times a year.
    Quarterly,
    /// Once over the contract.
    Once,
    /// Other (see the fiche).
    Other,
}

impl Frequency {
    /// Every frequency.
    pub const ALL: [Frequency; 5] = [
        Frequency::Annual,
        Frequency::Semiannual,
        Frequency::Quarterly,
        Frequency::Once,
        Frequency::Other,
    ];

    /// Stable identifier.
    pub fn as_str(self) -> &'static str {
        match self {
            Frequency::Annual => "annual",
            Frequency::Semiannual => "semiannual",
            Frequency::Quarterly => "quarterly",
            Frequency::Once => "once",
            Frequency::Other => "other",
        }
    }

    /// French label.
    pub fn label(self) -> &'static str {
        match self {
            Frequency::Annual => "annuelle",
            Frequency::Semiannual => "semestrielle",
            Frequency::Quarterly => "trimestrielle",
            Frequency::Once => "unique",
            Frequency::Other => "autre",
        }
    }

    /// Parses a stable identifier.
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == raw)
    }
}

/// Whom a target is for: every legal entity, a size band, or a named case ("CHU 30").
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TargetBand {
    /// Every legal entity.
    All,
    /// Fewer than 100 beds (by default).
    Lt100,
    /// 100 to 499 beds.
    From100To499,
    /// 500 beds or more.
    Ge500,
    /// A named establishment or group, as printed.
    Named(String),
}

impl TargetBand {
    /// Reads a band: one of the keywords, or any other text as a named case.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let t = raw.trim();
        Ok(match t {
            "" => return Err("la tranche de la cible est vide".into()),
            "all" => TargetBand::All,
            "lt100" => TargetBand::Lt100,
            "100to499" => TargetBand::From100To499,
            "ge500" => TargetBand::Ge500,
            named => TargetBand::Named(named.to_owned()),
        })
    }

    /// The text form (the keyword, or the named case).
    pub fn as_str(&self) -> &str {
        match self {
            TargetBand::All => "all",
            TargetBand::Lt100 => "lt100",
            TargetBand::From100To499 => "100to499",
            TargetBand::Ge500 => "ge500",
            TargetBand::Named(n) => n,
        }
    }

    /// French label.
    pub fn label(&self) -> String {
        match self {
            TargetBand::All => "tous les établissements".into(),
            TargetBand::Lt100 => "moins de 100 lits".into(),
            TargetBand::From100To499 => "100 à 499 lits".into(),
            TargetBand::Ge500 => "500 lits et plus".into(),
            TargetBand::Named(n) => n.clone(),
        }
    }
}

impl Serialize for TargetBand {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// The year a target is for, or the whole period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TargetYear {
    /// One year.
    Year(i32),
    /// The whole period ("total").
    Total,
}

impl Serialize for TargetYear {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            TargetYear::Year(y) => s.serialize_i32(*y),
            TargetYear::Total => s.serialize_str("total"),
        }
    }
}

impl fmt::Display for TargetYear {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TargetYear::Year(y) => write!(f, "{y}"),
            TargetYear::Total => f.write_str("total"),
        }
    }
}

/// One target of a fiche: its printed text and its structured form.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    /// For whom.
    pub band: TargetBand,
    /// The legal entity of a named case, when identified.
    pub finess: Option<FinessId>,
    /// For which year.
    pub year: TargetYear,
    /// As printed.
    pub text: String,
    /// Structured form.
    pub rule: TargetRule,
    /// The printed text is ambiguous and must be checked against the original.
    pub to_confirm: bool,
}

impl Serialize for Target {
    /// `band`, `finess`, `year` (a number or `"total"`), `text` as printed, `rule` (the
    /// structured form), `rule_text` (its canonical text) and `to_confirm`.
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("Target", 7)?;
        st.serialize_field("band", &self.band)?;
        st.serialize_field("finess", &self.finess)?;
        st.serialize_field("year", &self.year)?;
        st.serialize_field("text", &self.text)?;
        st.serialize_field("rule", &self.rule)?;
        st.serialize_field("rule_text", &self.rule.to_string())?;
        st.serialize_field("to_confirm", &self.to_confirm)?;
        st.end()
    }
}

fn applies_if_text<S: serde::Serializer>(
    rule: &Option<Applicability>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match rule {
        Some(r) => s.serialize_some(&r.to_string()),
        None => s.serialize_none(),
    }
}

/// A strategic orientation (or, in a diagnostic catalogue, a theme).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Orientation {
    /// Code as printed.
    pub code: String,
    /// Title.
    pub title: String,
    /// Optional description.
    pub description: Option<String>,
}

/// A strategic objective.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Objective {
    /// Code as printed.
    pub code: String,
    /// Code of its orientation.
    pub orientation: String,
    /// Title (never personalised).
    pub title: String,
    /// Optional description.
    pub description: Option<String>,
}

/// A model action (type d'engagement).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModelAction {
    /// Code as printed ("1.1-2", "2-BIS", "CPOM_CT_3").
    pub code: String,
    /// Code of its objective.
    pub objective: String,
    /// Title.
    pub title: String,
    /// Mandatory for the establishments it applies to.
    pub mandatory: bool,
    /// The negotiator may not personalise the title.
    pub title_locked: bool,
    /// Applicability as printed.
    pub applies_to: Option<String>,
    /// Applicability rule; `None`: every legal entity (serialised as its text).
    #[serde(serialize_with = "applies_if_text")]
    pub applies_if: Option<Applicability>,
    /// Optional description.
    pub description: Option<String>,
}

/// An indicator fiche (fiche méthodologique).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Indicator {
    /// Code.
    pub code: String,
    /// Code of its model action.
    pub action: String,
    /// Title.
    pub title: String,
    /// Strategic objective as printed on the fiche.
    pub objective_text: Option<String>,
    /// Rationale.
    pub context: Option<String>,
    /// Definition.
    pub definition: Option<String>,
    /// Value kind.
    pub kind: IndicatorKind,
    /// Unit ("%", "protocoles", "€").
    pub unit: Option<String>,
    /// Numerator (rates).
    pub numerator: Option<String>,
    /// Denominator (rates).
    pub denominator: Option<String>,
    /// Formula.
    pub formula: Option<String>,
    /// Who provides the values.
    pub source: Option<DataSource>,
    /// The national base or precise source.
    pub source_detail: Option<String>,
    /// Collection frequency.
    pub frequency: Option<Frequency>,
    /// Measure period.
    pub measure_period: Option<String>,
    /// Reference period.
    pub reference_period: Option<String>,
    /// Partners.
    pub partners: Option<String>,
    /// Steering and follow-up.
    pub steering: Option<String>,
    /// Support offered.
    pub support: Option<String>,
    /// Follow-up and evaluation.
    pub follow_up: Option<String>,
    /// Evidence expected.
    pub evidence: Option<String>,
    /// Instructions for the comment field.
    pub comment_help: Option<String>,
    /// Targets.
    pub targets: Vec<Target>,
}

/// A diagnostic question (diagnostic catalogues).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Question {
    /// Code.
    pub code: String,
    /// Code of its objective.
    pub objective: String,
    /// The question.
    pub text: String,
}

/// A whole catalogue version.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Catalogue {
    /// Identifier in URLs and the CLI.
    pub slug: String,
    /// Title.
    pub title: String,
    /// Region.
    pub region: RegionCode,
    /// Generation label ("2025-2029").
    pub generation: String,
    /// First year of the contracts.
    pub start_year: i32,
    /// Last year of the contracts.
    pub end_year: i32,
    /// What it holds.
    pub kind: CatalogueKind,
    /// Where it comes from.
    pub source: Option<String>,
    /// Partial attainment rule.
    pub partial: Option<PartialRule>,
    /// Curation notes.
    pub notes: Option<String>,
    /// Orientations (themes).
    pub orientations: Vec<Orientation>,
    /// Strategic objectives.
    pub objectives: Vec<Objective>,
    /// Model actions.
    pub actions: Vec<ModelAction>,
    /// Indicator fiches.
    pub indicators: Vec<Indicator>,
    /// Diagnostic questions.
    pub questions: Vec<Question>,
}

/// Where a problem is: which list, which item (0-based) and which field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    /// `header`, `orientation`, `objective`, `action`, `indicator`, `question`.
    pub list: &'static str,
    /// Item index in its list (`None` for the header).
    pub index: Option<usize>,
    /// Target index within an indicator.
    pub target: Option<usize>,
    /// Field name as in the text format.
    pub field: &'static str,
}

/// One problem found by [`Catalogue::validate`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Where.
    pub place: Place,
    /// What, in French.
    pub message: String,
}

/// What is wrong with an item code, if anything: codes appear in addresses, so they are 1 to
/// 40 characters without spaces, slashes, `?`, `#`, `%`, `&` or backslashes.
pub fn code_problem(code: &str) -> Option<String> {
    if code.trim().is_empty() {
        Some("code vide".into())
    } else if code.chars().count() > 40 {
        Some(format!("code « {code} » trop long (40 caractères au plus)"))
    } else {
        code.chars()
            .find(|c| c.is_whitespace() || matches!(c, '/' | '?' | '#' | '%' | '&' | '\\'))
            .map(|c| {
                format!(
                    "le code « {code} » ne peut contenir « {c} » (espaces, / ? # % & \\ exclus)"
                )
            })
    }
}

/// Checks a slug: 3 to 60 characters among `a-z`, `0-9` and `-`, not at the ends.
pub fn valid_slug(slug: &str) -> bool {
    (3..=60).contains(&slug.len())
        && slug
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !slug.starts_with('-')
        && !slug.ends_with('-')
}

impl Catalogue {
    /// Every problem of the catalogue (empty when it is valid).
    pub fn validate(&self) -> Vec<Problem> {
        let mut out = Vec::new();
        let mut push = |list, index, target, field, message: String| {
            out.push(Problem {
                place: Place {
                    list,
                    index,
                    target,
                    field,
                },
                message,
            });
        };
        if !valid_slug(&self.slug) {
            push(
                "header",
                None,
                None,
                "slug",
                format!(
                    "identifiant « {} » invalide : 3 à 60 caractères parmi a-z, 0-9 et « - »",
                    self.slug
                ),
            );
        }
        if self.title.trim().is_empty() {
            push("header", None, None, "title", "le titre est vide".into());
        }
        if self.start_year > self.end_year || self.end_year - self.start_year > 10 {
            push(
                "header",
                None,
                None,
                "end_year",
                format!(
                    "période {}–{} invalide : la fin suit le début, 10 ans au plus",
                    self.start_year, self.end_year
                ),
            );
        }
        let mut seen = HashSet::new();
        for (i, o) in self.orientations.iter().enumerate() {
            if let Some(m) = code_problem(&o.code) {
                push("orientation", Some(i), None, "code", m);
            } else if !seen.insert(o.code.as_str()) {
                push(
                    "orientation",
                    Some(i),
                    None,
                    "code",
                    format!("code « {} » en double", o.code),
                );
            }
            if o.title.trim().is_empty() {
                push("orientation", Some(i), None, "title", "titre vide".into());
            }
        }
        let orientations = seen;
        let mut objectives = HashSet::new();
        for (i, o) in self.objectives.iter().enumerate() {
            if let Some(m) = code_problem(&o.code) {
                push("objective", Some(i), None, "code", m);
            } else if !objectives.insert(o.code.as_str()) {
                push(
                    "objective",
                    Some(i),
                    None,
                    "code",
                    format!("code « {} » en double", o.code),
                );
            }
            if !orientations.contains(o.orientation.as_str()) {
                push(
                    "objective",
                    Some(i),
                    None,
                    "orientation",
                    format!("orientation « {} » inconnue", o.orientation),
                );
            }
            if o.title.trim().is_empty() {
                push("objective", Some(i), None, "title", "titre vide".into());
            }
        }
        let mut actions = HashSet::new();
        for (i, a) in self.actions.iter().enumerate() {
            if let Some(m) = code_problem(&a.code) {
                push("action", Some(i), None, "code", m);
            } else if !actions.insert(a.code.as_str()) {
                push(
                    "action",
                    Some(i),
                    None,
                    "code",
                    format!("code « {} » en double", a.code),
                );
            }
            if !objectives.contains(a.objective.as_str()) {
                push(
                    "action",
                    Some(i),
                    None,
                    "objective",
                    format!("objectif « {} » inconnu", a.objective),
                );
            }
            if a.title.trim().is_empty() {
                push("action", Some(i), None, "title", "titre vide".into());
            }
        }
        let mut indicators = HashSet::new();
        for (i, ind) in self.indicators.iter().enumerate() {
            if let Some(m) = code_problem(&ind.code) {
                push("indicator", Some(i), None, "code", m);
            } else if !indicators.insert(ind.code.as_str()) {
                push(
                    "indicator",
                    Some(i),
                    None,
                    "code",
                    format!("code « {} » en double", ind.code),
                );
            }
            if !actions.contains(ind.action.as_str()) {
                push(
                    "indicator",
                    Some(i),
                    None,
                    "action",
                    format!("action « {} » inconnue", ind.action),
                );
            }
            if ind.title.trim().is_empty() {
                push("indicator", Some(i), None, "title", "titre vide".into());
            }
            let mut keys = HashSet::new();
            for (t, target) in ind.targets.iter().enumerate() {
                if let TargetYear::Year(y) = target.year
                    && !(self.start_year..=self.end_year).contains(&y)
                {
                    push(
                        "indicator",
                        Some(i),
                        Some(t),
                        "year",
                        format!(
                            "année {y} hors de la période {}–{}",
                            self.start_year, self.end_year
                        ),
                    );
                }
                if !keys.insert((&target.band, target.year)) {
                    push(
                        "indicator",
                        Some(i),
                        Some(t),
                        "band",
                        format!(
                            "deux cibles pour « {} » en {}",
                            target.band.as_str(),
                            target.year
                        ),
                    );
                }
                if !ind.kind.accepts(&target.rule) {
                    push(
                        "indicator",
                        Some(i),
                        Some(t),
                        "rule",
                        format!(
                            "la règle « {} » ne convient pas à un indicateur de type {}",
                            target.rule,
                            ind.kind.label()
                        ),
                    );
                }
                if let TargetRule::Progression {
                    base_year: Some(b), ..
                } = target.rule
                    && (b < self.start_year - 5 || b > self.end_year)
                {
                    push(
                        "indicator",
                        Some(i),
                        Some(t),
                        "rule",
                        format!(
                            "année de référence {b} éloignée de la période {}–{}",
                            self.start_year, self.end_year
                        ),
                    );
                }
                if target.text.trim().is_empty() {
                    push(
                        "indicator",
                        Some(i),
                        Some(t),
                        "text",
                        "texte imprimé vide".into(),
                    );
                }
            }
        }
        let mut questions = HashSet::new();
        for (i, q) in self.questions.iter().enumerate() {
            if let Some(m) = code_problem(&q.code) {
                push("question", Some(i), None, "code", m);
            } else if !questions.insert(q.code.as_str()) {
                push(
                    "question",
                    Some(i),
                    None,
                    "code",
                    format!("code « {} » en double", q.code),
                );
            }
            if !objectives.contains(q.objective.as_str()) {
                push(
                    "question",
                    Some(i),
                    None,
                    "objective",
                    format!("objectif « {} » inconnu", q.objective),
                );
            }
            if q.text.trim().is_empty() {
                push("question", Some(i), None, "text", "question vide".into());
            }
        }
        out
    }

    /// The actions of an objective, in print order.
    pub fn actions_of<'a>(&'a self, objective: &'a str) -> impl Iterator<Item = &'a ModelAction> {
        self.actions
            .iter()
            .filter(move |a| a.objective == objective)
    }

    /// The indicators of an action, in print order.
    pub fn indicators_of<'a>(&'a self, action: &'a str) -> impl Iterator<Item = &'a Indicator> {
        self.indicators.iter().filter(move |i| i.action == action)
    }
}

/// The target of an indicator for a legal entity and a year: the named case when the entity
/// is named, else its band, else `all`; a year's own target before the period's.
pub fn target_for<'a>(
    targets: &'a [Target],
    finess: Option<&FinessId>,
    band: Option<crate::registry::SizeBand>,
    year: i32,
) -> Option<&'a Target> {
    use crate::registry::SizeBand;
    let band_key = band.map(|b| match b {
        SizeBand::Lt100 => TargetBand::Lt100,
        SizeBand::From100To499 => TargetBand::From100To499,
        SizeBand::Ge500 => TargetBand::Ge500,
    });
    let rank = |t: &Target| -> Option<u8> {
        let who = match &t.band {
            TargetBand::Named(_) if t.finess.is_some() && t.finess.as_ref() == finess => 0,
            TargetBand::Named(_) => return None,
            b if Some(b) == band_key.as_ref() => 1,
            TargetBand::All => 2,
            _ => return None,
        };
        let when = match t.year {
            TargetYear::Year(y) if y == year => 0,
            TargetYear::Total => 1,
            TargetYear::Year(_) => return None,
        };
        Some(who * 2 + when)
    };
    targets
        .iter()
        .filter_map(|t| rank(t).map(|r| (r, t)))
        .min_by_key(|(r, _)| *r)
        .map(|(_, t)| t)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::registry::SizeBand;

    fn target(band: &str, year: TargetYear, rule: &str) -> Target {
        Target {
            band: TargetBand::parse(band).expect("band"),
            finess: None,
            year,
            text: rule.into(),
            rule: TargetRule::parse(rule).expect("rule"),
            to_confirm: false,
        }
    }

    pub(crate) fn small() -> Catalogue {
        Catalogue {
            slug: "test-2025-2029".into(),
            title: "Test".into(),
            region: RegionCode::parse("76").expect("region"),
            generation: "2025-2029".into(),
            start_year: 2025,
            end_year: 2029,
            kind: CatalogueKind::Engagements,
            source: None,
            partial: None,
            notes: None,
            orientations: vec![Orientation {
                code: "1".into(),
                title: "Coopérations".into(),
                description: None,
            }],
            objectives: vec![Objective {
                code: "1.1".into(),
                orientation: "1".into(),
                title: "Travailler ensemble".into(),
                description: None,
            }],
            actions: vec![ModelAction {
                code: "1.1-1".into(),
                objective: "1.1".into(),
                title: "Coopérer".into(),
                mandatory: true,
                title_locked: false,
                applies_to: None,
                applies_if: None,
                description: None,
            }],
            indicators: vec![Indicator {
                code: "I1".into(),
                action: "1.1-1".into(),
                title: "Nombre de protocoles".into(),
                objective_text: None,
                context: None,
                definition: None,
                kind: IndicatorKind::Count,
                unit: None,
                numerator: None,
                denominator: None,
                formula: None,
                source: Some(DataSource::Establishment),
                source_detail: None,
                frequency: Some(Frequency::Annual),
                measure_period: None,
                reference_period: None,
                partners: None,
                steering: None,
                support: None,
                follow_up: None,
                evidence: None,
                comment_help: None,
                targets: vec![target("all", TargetYear::Year(2026), "+1 vs N-1")],
            }],
            questions: vec![],
        }
    }

    #[test]
    fn a_consistent_catalogue_has_no_problem() {
        assert_eq!(small().validate(), vec![]);
    }

    #[test]
    fn validation_names_the_item_and_field_of_each_problem() {
        let mut c = small();
        c.slug = "Bad Slug".into();
        c.actions[0].objective = "9.9".into();
        c.indicators[0]
            .targets
            .push(target("all", TargetYear::Year(2031), ">= 2"));
        c.indicators[0]
            .targets
            .push(target("all", TargetYear::Year(2026), "oui"));
        let problems = c.validate();
        let places: Vec<(&str, Option<usize>, Option<usize>, &str)> = problems
            .iter()
            .map(|p| (p.place.list, p.place.index, p.place.target, p.place.field))
            .collect();
        assert!(
            places.contains(&("header", None, None, "slug")),
            "{problems:?}"
        );
        assert!(places.contains(&("action", Some(0), None, "objective")));
        assert!(places.contains(&("indicator", Some(0), Some(1), "year")));
        // Same band and year twice, and a yes/no rule on a count.
        assert!(places.contains(&("indicator", Some(0), Some(2), "band")));
        assert!(places.contains(&("indicator", Some(0), Some(2), "rule")));
        let year = problems
            .iter()
            .find(|p| p.place.field == "year")
            .expect("year problem");
        assert_eq!(year.message, "année 2031 hors de la période 2025–2029");
    }

    #[test]
    fn the_target_of_an_entity_prefers_its_named_case_then_its_band_then_all() {
        let chu = FinessId::parse("300780038").expect("finess");
        let mut named = target("CHU 30", TargetYear::Year(2027), "oui");
        named.finess = Some(chu.clone());
        let targets = vec![
            target("all", TargetYear::Total, "sans objet"),
            target("ge500", TargetYear::Year(2027), "non"),
            named,
            target("lt100", TargetYear::Year(2027), ">= 1"),
        ];
        let pick = |f: Option<&FinessId>, b, y| {
            target_for(&targets, f, b, y).map(|t| t.band.as_str().to_owned())
        };
        assert_eq!(
            pick(Some(&chu), Some(SizeBand::Ge500), 2027).as_deref(),
            Some("CHU 30")
        );
        assert_eq!(
            pick(None, Some(SizeBand::Ge500), 2027).as_deref(),
            Some("ge500")
        );
        assert_eq!(
            pick(None, Some(SizeBand::From100To499), 2027).as_deref(),
            Some("all")
        );
        assert_eq!(
            pick(None, Some(SizeBand::Ge500), 2026).as_deref(),
            Some("all")
        );
        assert_eq!(pick(None, None, 2027).as_deref(), Some("all"));
        assert_eq!(target_for(&targets[1..2], None, None, 2027), None);
    }

    #[test]
    fn codes_fit_in_an_address() {
        let mut c = small();
        c.indicators[0].code = "I 1".into();
        c.objectives[0].code = "1/1".into();
        c.actions[0].objective = "1/1".into();
        let problems = c.validate();
        let codes: Vec<(&str, &str)> = problems
            .iter()
            .filter(|p| p.place.field == "code")
            .map(|p| (p.place.list, p.message.as_str()))
            .collect();
        assert_eq!(
            codes,
            [
                (
                    "objective",
                    "le code « 1/1 » ne peut contenir « / » (espaces, / ? # % & \\ exclus)"
                ),
                (
                    "indicator",
                    "le code « I 1 » ne peut contenir «   » (espaces, / ? # % & \\ exclus)"
                ),
            ]
        );
        assert_eq!(code_problem("CPOM_CT_1"), None);
        assert_eq!(code_problem("2-BIS"), None);
        assert!(code_problem(&"x".repeat(41)).is_some());
    }

    #[test]
    fn states_move_forward_only() {
        use CatalogueState::*;
        assert!(Draft.can_become(Published));
        assert!(Published.can_become(Archived));
        assert!(!Published.can_become(Draft));
        assert!(!Archived.can_become(Published));
        assert!(!Draft.can_become(Archived));
    }

    #[test]
    fn slugs_are_lower_case_words_and_dashes() {
        assert!(valid_slug("occitanie-2025-2029"));
        assert!(!valid_slug("Occitanie"));
        assert!(!valid_slug("-a-b"));
        assert!(!valid_slug("ab"));
        assert!(!valid_slug("é-2025"));
    }
}
