//! Editing a draft catalogue: the inputs of the editor (forms and API bodies, all text, in
//! the shape of the catalogue's JSON document), read into items with every problem named by
//! its field, and the edits — header, create or replace an item, delete, move among its
//! siblings, duplicate a fiche — applied to a copy of the catalogue, which must stay valid.

use serde::Deserialize;

use super::{
    Applicability, Catalogue, DataSource, Frequency, Indicator, IndicatorKind, ModelAction,
    Objective, Orientation, PartialRule, Problem, Question, Target, TargetBand, TargetRule,
    TargetYear,
};
use crate::FinessId;

/// The lists of a catalogue an editor changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemKind {
    /// Orientations (themes).
    Orientation,
    /// Strategic objectives.
    Objective,
    /// Model actions.
    Action,
    /// Indicator fiches.
    Indicator,
    /// Diagnostic questions.
    Question,
}

impl ItemKind {
    /// Every kind, parents first.
    pub const ALL: [ItemKind; 5] = [
        ItemKind::Orientation,
        ItemKind::Objective,
        ItemKind::Action,
        ItemKind::Indicator,
        ItemKind::Question,
    ];

    /// Name of the list in [`super::Place`] and in the API paths (plural).
    pub fn list(self) -> &'static str {
        match self {
            ItemKind::Orientation => "orientation",
            ItemKind::Objective => "objective",
            ItemKind::Action => "action",
            ItemKind::Indicator => "indicator",
            ItemKind::Question => "question",
        }
    }

    /// Segment of the API paths: `orientations`, `objectives`, `actions`, `indicators`,
    /// `questions`.
    pub fn api_segment(self) -> &'static str {
        match self {
            ItemKind::Orientation => "orientations",
            ItemKind::Objective => "objectives",
            ItemKind::Action => "actions",
            ItemKind::Indicator => "indicators",
            ItemKind::Question => "questions",
        }
    }

    /// Segment of the page paths, in French.
    pub fn page_segment(self) -> &'static str {
        match self {
            ItemKind::Orientation => "orientations",
            ItemKind::Objective => "objectifs",
            ItemKind::Action => "actions",
            ItemKind::Indicator => "fiches",
            ItemKind::Question => "questions",
        }
    }

    /// Reads an API or page segment.
    pub fn from_segment(raw: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|k| k.api_segment() == raw || k.page_segment() == raw)
    }

    /// French noun, with its article: "l'orientation", "la fiche"…
    pub fn noun(self) -> &'static str {
        match self {
            ItemKind::Orientation => "l'orientation",
            ItemKind::Objective => "l'objectif",
            ItemKind::Action => "l'action type",
            ItemKind::Indicator => "la fiche",
            ItemKind::Question => "la question",
        }
    }

    /// The kind of the parent, and the field naming it.
    pub fn parent(self) -> Option<(ItemKind, &'static str)> {
        match self {
            ItemKind::Orientation => None,
            ItemKind::Objective => Some((ItemKind::Orientation, "orientation")),
            ItemKind::Action => Some((ItemKind::Objective, "objective")),
            ItemKind::Indicator => Some((ItemKind::Action, "action")),
            ItemKind::Question => Some((ItemKind::Objective, "objective")),
        }
    }
}

/// A problem of an edit, on one field of the input (`title`, `targets[2].rule`…).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldIssue {
    /// Field, as named in the input.
    pub field: String,
    /// What is wrong, in French.
    pub message: String,
}

impl FieldIssue {
    fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// Why an edit was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EditError {
    /// The item named does not exist.
    NotFound,
    /// The input or the resulting catalogue is invalid.
    Invalid(Vec<FieldIssue>),
}

impl EditError {
    fn one(field: impl Into<String>, message: impl Into<String>) -> Self {
        EditError::Invalid(vec![FieldIssue::new(field, message)])
    }
}

fn text(s: &Option<String>) -> Option<String> {
    s.as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

fn required(s: &str) -> String {
    s.trim().to_owned()
}

/// Header of a catalogue (slug, region and kind never change).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct HeaderInput {
    /// Title.
    #[serde(default)]
    pub title: String,
    /// Generation label.
    #[serde(default)]
    pub generation: String,
    /// First year.
    pub start_year: Option<i32>,
    /// Last year.
    pub end_year: Option<i32>,
    /// Where it comes from.
    pub source: Option<String>,
    /// Curation notes.
    pub notes: Option<String>,
    /// Partial attainment threshold in percent; absent: no partial attainment.
    pub partial_threshold: Option<f64>,
}

/// An orientation as typed.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct OrientationInput {
    /// Code.
    #[serde(default)]
    pub code: String,
    /// Title.
    #[serde(default)]
    pub title: String,
    /// Description.
    pub description: Option<String>,
}

/// An objective as typed.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ObjectiveInput {
    /// Code.
    #[serde(default)]
    pub code: String,
    /// Code of its orientation.
    #[serde(default)]
    pub orientation: String,
    /// Title.
    #[serde(default)]
    pub title: String,
    /// Description.
    pub description: Option<String>,
}

/// A model action as typed.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ActionInput {
    /// Code.
    #[serde(default)]
    pub code: String,
    /// Code of its objective.
    #[serde(default)]
    pub objective: String,
    /// Title.
    #[serde(default)]
    pub title: String,
    /// Mandatory where it applies.
    #[serde(default)]
    pub mandatory: bool,
    /// Title not personalisable.
    #[serde(default)]
    pub title_locked: bool,
    /// Applicability as printed.
    pub applies_to: Option<String>,
    /// Applicability rule (the small language of `docs/catalogue-format.md`).
    pub applies_if: Option<String>,
    /// Description.
    pub description: Option<String>,
}

/// A year as typed: a number, or `"total"` (also a number written as text).
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum YearInput {
    /// A number.
    Number(i64),
    /// Text.
    Text(String),
}

impl Default for YearInput {
    fn default() -> Self {
        YearInput::Text(String::new())
    }
}

/// A target as typed.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct TargetInput {
    /// `all`, `lt100`, `100to499`, `ge500` or a named case.
    #[serde(default)]
    pub band: String,
    /// FINESS of the named case.
    pub finess: Option<String>,
    /// Year, or `"total"`.
    #[serde(default)]
    pub year: YearInput,
    /// As printed.
    #[serde(default)]
    pub text: String,
    /// The rule in its text form (as `rule_text` in the JSON document).
    #[serde(default)]
    pub rule_text: String,
    /// To be checked against the original.
    #[serde(default)]
    pub to_confirm: bool,
}

/// An indicator fiche as typed.
#[derive(Debug, Clone, Default, Deserialize)]
#[allow(missing_docs)]
pub struct IndicatorInput {
    #[serde(default)]
    pub code: String,
    #[serde(default)]
    pub action: String,
    #[serde(default)]
    pub title: String,
    pub objective_text: Option<String>,
    pub context: Option<String>,
    pub definition: Option<String>,
    #[serde(default)]
    pub kind: String,
    pub unit: Option<String>,
    pub numerator: Option<String>,
    pub denominator: Option<String>,
    pub formula: Option<String>,
    pub source: Option<String>,
    pub source_detail: Option<String>,
    pub frequency: Option<String>,
    pub measure_period: Option<String>,
    pub reference_period: Option<String>,
    pub partners: Option<String>,
    pub steering: Option<String>,
    pub support: Option<String>,
    pub follow_up: Option<String>,
    pub evidence: Option<String>,
    pub comment_help: Option<String>,
    #[serde(default)]
    pub targets: Vec<TargetInput>,
}

/// A question as typed.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct QuestionInput {
    /// Code.
    #[serde(default)]
    pub code: String,
    /// Code of its objective.
    #[serde(default)]
    pub objective: String,
    /// The question.
    #[serde(default)]
    pub text: String,
}

/// One item of a catalogue, whatever its list.
#[derive(Debug, Clone, PartialEq)]
#[allow(clippy::large_enum_variant)] // Built once per edit; boxing would only add noise.
pub enum Item {
    /// An orientation.
    Orientation(Orientation),
    /// An objective.
    Objective(Objective),
    /// A model action.
    Action(ModelAction),
    /// An indicator fiche.
    Indicator(Indicator),
    /// A question.
    Question(Question),
}

impl Item {
    /// Its list.
    pub fn kind(&self) -> ItemKind {
        match self {
            Item::Orientation(_) => ItemKind::Orientation,
            Item::Objective(_) => ItemKind::Objective,
            Item::Action(_) => ItemKind::Action,
            Item::Indicator(_) => ItemKind::Indicator,
            Item::Question(_) => ItemKind::Question,
        }
    }

    /// Its code.
    pub fn code(&self) -> &str {
        match self {
            Item::Orientation(o) => &o.code,
            Item::Objective(o) => &o.code,
            Item::Action(a) => &a.code,
            Item::Indicator(i) => &i.code,
            Item::Question(q) => &q.code,
        }
    }
}

/// Checks a code typed in the editor (the catalogue's rule, reported on the field).
fn check_code(code: &str, issues: &mut Vec<FieldIssue>) {
    if code.is_empty() {
        issues.push(FieldIssue::new("code", "le code est obligatoire"));
    } else if let Some(m) = super::code_problem(code) {
        issues.push(FieldIssue::new("code", m));
    }
}

fn check_title(title: &str, field: &str, issues: &mut Vec<FieldIssue>) {
    if title.is_empty() {
        issues.push(FieldIssue::new(field, "ce champ est obligatoire"));
    }
}

fn result<T>(value: T, issues: Vec<FieldIssue>) -> Result<T, EditError> {
    if issues.is_empty() {
        Ok(value)
    } else {
        Err(EditError::Invalid(issues))
    }
}

impl OrientationInput {
    /// The orientation, or the problems of its fields.
    pub fn read(&self) -> Result<Item, EditError> {
        let mut issues = Vec::new();
        let o = Orientation {
            code: required(&self.code),
            title: required(&self.title),
            description: text(&self.description),
        };
        check_code(&o.code, &mut issues);
        check_title(&o.title, "title", &mut issues);
        result(Item::Orientation(o), issues)
    }
}

impl ObjectiveInput {
    /// The objective, or the problems of its fields.
    pub fn read(&self) -> Result<Item, EditError> {
        let mut issues = Vec::new();
        let o = Objective {
            code: required(&self.code),
            orientation: required(&self.orientation),
            title: required(&self.title),
            description: text(&self.description),
        };
        check_code(&o.code, &mut issues);
        check_title(&o.title, "title", &mut issues);
        result(Item::Objective(o), issues)
    }
}

impl ActionInput {
    /// The model action, or the problems of its fields (the applicability rule is parsed
    /// and its error placed by column).
    pub fn read(&self) -> Result<Item, EditError> {
        let mut issues = Vec::new();
        let applies_if = match text(&self.applies_if) {
            None => None,
            Some(rule) => match Applicability::parse(&rule) {
                Ok(r) => Some(r),
                Err(e) => {
                    issues.push(FieldIssue::new(
                        "applies_if",
                        format!("colonne {} : {}", e.column, e.message),
                    ));
                    None
                }
            },
        };
        let a = ModelAction {
            code: required(&self.code),
            objective: required(&self.objective),
            title: required(&self.title),
            mandatory: self.mandatory,
            title_locked: self.title_locked,
            applies_to: text(&self.applies_to),
            applies_if,
            description: text(&self.description),
        };
        check_code(&a.code, &mut issues);
        check_title(&a.title, "title", &mut issues);
        result(Item::Action(a), issues)
    }
}

impl TargetInput {
    fn read(&self, t: usize, issues: &mut Vec<FieldIssue>) -> Option<Target> {
        let field = |f: &str| format!("targets[{t}].{f}");
        let n = t + 1;
        let band = TargetBand::parse(&self.band)
            .map_err(|m| {
                issues.push(FieldIssue::new(
                    field("band"),
                    format!("cible n° {n} : {m}"),
                ))
            })
            .ok();
        let finess = match text(&self.finess) {
            None => Some(None),
            Some(f) => match FinessId::parse(&f) {
                Ok(id) => Some(Some(id)),
                Err(_) => {
                    issues.push(FieldIssue::new(
                        field("finess"),
                        format!("cible n° {n} : numéro FINESS invalide « {f} » (9 caractères)"),
                    ));
                    None
                }
            },
        };
        let year = match &self.year {
            YearInput::Number(y) => i32::try_from(*y).ok().map(TargetYear::Year),
            YearInput::Text(s) if s.trim() == "total" => Some(TargetYear::Total),
            YearInput::Text(s) => s.trim().parse::<i32>().ok().map(TargetYear::Year),
        };
        if year.is_none() {
            issues.push(FieldIssue::new(
                field("year"),
                format!("cible n° {n} : année attendue (ex. 2026), ou « total » pour la période"),
            ));
        }
        let rule = match TargetRule::parse(&self.rule_text) {
            Ok(r) => Some(r),
            Err(e) => {
                issues.push(FieldIssue::new(
                    field("rule_text"),
                    format!("cible n° {n}, colonne {} : {}", e.column, e.message),
                ));
                None
            }
        };
        let printed = required(&self.text);
        // The printed text defaults to the rule as typed: a target created in cpom has no
        // other printed form.
        let printed = if printed.is_empty() {
            required(&self.rule_text)
        } else {
            printed
        };
        Some(Target {
            band: band?,
            finess: finess?,
            year: year?,
            text: printed,
            rule: rule?,
            to_confirm: self.to_confirm,
        })
    }
}

impl IndicatorInput {
    /// The fiche, or the problems of its fields (targets as `targets[i].field`).
    pub fn read(&self) -> Result<Item, EditError> {
        let mut issues = Vec::new();
        let kind = IndicatorKind::parse(self.kind.trim());
        if kind.is_none() {
            issues.push(FieldIssue::new(
                "kind",
                format!(
                    "type de valeur « {} » inconnu ({})",
                    self.kind.trim(),
                    IndicatorKind::ALL.map(IndicatorKind::as_str).join(", ")
                ),
            ));
        }
        let source = text(&self.source).and_then(|s| {
            DataSource::parse(&s).or_else(|| {
                issues.push(FieldIssue::new(
                    "source",
                    format!(
                        "source « {s} » inconnue ({})",
                        DataSource::ALL.map(DataSource::as_str).join(", ")
                    ),
                ));
                None
            })
        });
        let frequency = text(&self.frequency).and_then(|s| {
            Frequency::parse(&s).or_else(|| {
                issues.push(FieldIssue::new(
                    "frequency",
                    format!(
                        "fréquence « {s} » inconnue ({})",
                        Frequency::ALL.map(Frequency::as_str).join(", ")
                    ),
                ));
                None
            })
        });
        let targets: Vec<Target> = self
            .targets
            .iter()
            .enumerate()
            .filter_map(|(t, input)| input.read(t, &mut issues))
            .collect();
        let i = Indicator {
            code: required(&self.code),
            action: required(&self.action),
            title: required(&self.title),
            objective_text: text(&self.objective_text),
            context: text(&self.context),
            definition: text(&self.definition),
            kind: kind.unwrap_or(IndicatorKind::Text),
            unit: text(&self.unit),
            numerator: text(&self.numerator),
            denominator: text(&self.denominator),
            formula: text(&self.formula),
            source,
            source_detail: text(&self.source_detail),
            frequency,
            measure_period: text(&self.measure_period),
            reference_period: text(&self.reference_period),
            partners: text(&self.partners),
            steering: text(&self.steering),
            support: text(&self.support),
            follow_up: text(&self.follow_up),
            evidence: text(&self.evidence),
            comment_help: text(&self.comment_help),
            targets,
        };
        check_code(&i.code, &mut issues);
        check_title(&i.title, "title", &mut issues);
        result(Item::Indicator(i), issues)
    }
}

impl QuestionInput {
    /// The question, or the problems of its fields.
    pub fn read(&self) -> Result<Item, EditError> {
        let mut issues = Vec::new();
        let q = Question {
            code: required(&self.code),
            objective: required(&self.objective),
            text: required(&self.text),
        };
        check_code(&q.code, &mut issues);
        check_title(&q.text, "text", &mut issues);
        result(Item::Question(q), issues)
    }
}

impl Indicator {
    /// The fiche as an input (to fill the editor's form).
    pub fn to_input(&self) -> IndicatorInput {
        IndicatorInput {
            code: self.code.clone(),
            action: self.action.clone(),
            title: self.title.clone(),
            objective_text: self.objective_text.clone(),
            context: self.context.clone(),
            definition: self.definition.clone(),
            kind: self.kind.as_str().to_owned(),
            unit: self.unit.clone(),
            numerator: self.numerator.clone(),
            denominator: self.denominator.clone(),
            formula: self.formula.clone(),
            source: self.source.map(|s| s.as_str().to_owned()),
            source_detail: self.source_detail.clone(),
            frequency: self.frequency.map(|f| f.as_str().to_owned()),
            measure_period: self.measure_period.clone(),
            reference_period: self.reference_period.clone(),
            partners: self.partners.clone(),
            steering: self.steering.clone(),
            support: self.support.clone(),
            follow_up: self.follow_up.clone(),
            evidence: self.evidence.clone(),
            comment_help: self.comment_help.clone(),
            targets: self
                .targets
                .iter()
                .map(|t| TargetInput {
                    band: t.band.as_str().to_owned(),
                    finess: t.finess.as_ref().map(ToString::to_string),
                    year: YearInput::Text(t.year.to_string()),
                    text: t.text.clone(),
                    rule_text: t.rule.to_string(),
                    to_confirm: t.to_confirm,
                })
                .collect(),
        }
    }
}

/// Which way an item moves among its siblings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Before its previous sibling.
    Up,
    /// After its next sibling.
    Down,
}

/// One change to a draft catalogue.
#[derive(Debug, Clone)]
pub enum Edit {
    /// New header fields.
    Header(HeaderInput),
    /// A new item, last among its siblings.
    Create(Item),
    /// Replaces the item of this code; a new code is carried to its children.
    Replace {
        /// Code of the item replaced.
        code: String,
        /// The new content.
        item: Item,
    },
    /// Removes an item without children.
    Delete {
        /// Its list.
        kind: ItemKind,
        /// Its code.
        code: String,
    },
    /// Moves an item among its siblings.
    Move {
        /// Its list.
        kind: ItemKind,
        /// Its code.
        code: String,
        /// Which way.
        direction: Direction,
    },
    /// Copies a fiche under a new code, right after it.
    DuplicateIndicator {
        /// The fiche copied.
        code: String,
        /// Code of the copy.
        new_code: String,
    },
}

impl Edit {
    /// A short French description for the audit trail and messages.
    pub fn describe(&self) -> String {
        match self {
            Edit::Header(_) => "modification de l'en-tête".into(),
            Edit::Create(item) => format!("ajout de {} « {} »", item.kind().noun(), item.code()),
            Edit::Replace { code, item } if code == item.code() => {
                format!("modification de {} « {code} »", item.kind().noun())
            }
            Edit::Replace { code, item } => format!(
                "modification de {} « {code} », renommée « {} »",
                item.kind().noun(),
                item.code()
            ),
            Edit::Delete { kind, code } => format!("suppression de {} « {code} »", kind.noun()),
            Edit::Move {
                kind,
                code,
                direction,
            } => format!(
                "déplacement vers le {} de {} « {code} »",
                match direction {
                    Direction::Up => "haut",
                    Direction::Down => "bas",
                },
                kind.noun()
            ),
            Edit::DuplicateIndicator { code, new_code } => {
                format!("duplication de la fiche « {code} » en « {new_code} »")
            }
        }
    }

    /// The list and code of the item the edit leaves in place (none for a header change
    /// or a deletion).
    pub fn target(&self) -> Option<(ItemKind, &str)> {
        match self {
            Edit::Header(_) | Edit::Delete { .. } => None,
            Edit::Create(item) | Edit::Replace { item, .. } => Some((item.kind(), item.code())),
            Edit::Move { kind, code, .. } => Some((*kind, code)),
            Edit::DuplicateIndicator { new_code, .. } => Some((ItemKind::Indicator, new_code)),
        }
    }
}

/// Codes of one list, in order.
fn codes(c: &Catalogue, kind: ItemKind) -> Vec<&str> {
    match kind {
        ItemKind::Orientation => c.orientations.iter().map(|o| o.code.as_str()).collect(),
        ItemKind::Objective => c.objectives.iter().map(|o| o.code.as_str()).collect(),
        ItemKind::Action => c.actions.iter().map(|o| o.code.as_str()).collect(),
        ItemKind::Indicator => c.indicators.iter().map(|o| o.code.as_str()).collect(),
        ItemKind::Question => c.questions.iter().map(|o| o.code.as_str()).collect(),
    }
}

/// Parent codes of one list, in order (empty for orientations).
fn parents(c: &Catalogue, kind: ItemKind) -> Vec<&str> {
    match kind {
        ItemKind::Orientation => c.orientations.iter().map(|_| "").collect(),
        ItemKind::Objective => c
            .objectives
            .iter()
            .map(|o| o.orientation.as_str())
            .collect(),
        ItemKind::Action => c.actions.iter().map(|o| o.objective.as_str()).collect(),
        ItemKind::Indicator => c.indicators.iter().map(|o| o.action.as_str()).collect(),
        ItemKind::Question => c.questions.iter().map(|o| o.objective.as_str()).collect(),
    }
}

/// How many items name `code` as their parent.
fn children(c: &Catalogue, kind: ItemKind, code: &str) -> Vec<(ItemKind, usize)> {
    ItemKind::ALL
        .into_iter()
        .filter(|k| k.parent().is_some_and(|(p, _)| p == kind))
        .map(|k| (k, parents(c, k).iter().filter(|p| **p == code).count()))
        .filter(|(_, n)| *n > 0)
        .collect()
}

fn swap(c: &mut Catalogue, kind: ItemKind, a: usize, b: usize) {
    match kind {
        ItemKind::Orientation => c.orientations.swap(a, b),
        ItemKind::Objective => c.objectives.swap(a, b),
        ItemKind::Action => c.actions.swap(a, b),
        ItemKind::Indicator => c.indicators.swap(a, b),
        ItemKind::Question => c.questions.swap(a, b),
    }
}

fn remove(c: &mut Catalogue, kind: ItemKind, i: usize) {
    match kind {
        ItemKind::Orientation => drop(c.orientations.remove(i)),
        ItemKind::Objective => drop(c.objectives.remove(i)),
        ItemKind::Action => drop(c.actions.remove(i)),
        ItemKind::Indicator => drop(c.indicators.remove(i)),
        ItemKind::Question => drop(c.questions.remove(i)),
    }
}

fn put(c: &mut Catalogue, at: Option<usize>, item: Item) {
    macro_rules! put_in {
        ($list:expr, $v:expr) => {
            match at {
                Some(i) => $list[i] = $v,
                None => $list.push($v),
            }
        };
    }
    match item {
        Item::Orientation(v) => put_in!(c.orientations, v),
        Item::Objective(v) => put_in!(c.objectives, v),
        Item::Action(v) => put_in!(c.actions, v),
        Item::Indicator(v) => put_in!(c.indicators, v),
        Item::Question(v) => put_in!(c.questions, v),
    }
}

/// Renames the parent code `from` to `to` in the children of a `kind` item.
fn rename_children(c: &mut Catalogue, kind: ItemKind, from: &str, to: &str) {
    let fix = |p: &mut String| {
        if p == from {
            to.clone_into(p);
        }
    };
    match kind {
        ItemKind::Orientation => c
            .objectives
            .iter_mut()
            .for_each(|o| fix(&mut o.orientation)),
        ItemKind::Objective => {
            c.actions.iter_mut().for_each(|a| fix(&mut a.objective));
            c.questions.iter_mut().for_each(|q| fix(&mut q.objective));
        }
        ItemKind::Action => c.indicators.iter_mut().for_each(|i| fix(&mut i.action)),
        ItemKind::Indicator | ItemKind::Question => {}
    }
}

fn plural(kind: ItemKind) -> &'static str {
    match kind {
        ItemKind::Orientation => "orientation(s)",
        ItemKind::Objective => "objectif(s)",
        ItemKind::Action => "action(s) type",
        ItemKind::Indicator => "fiche(s)",
        ItemKind::Question => "question(s)",
    }
}

/// Applies an edit to a copy of a catalogue; the copy must be valid. Problems of the
/// edited item are named by their field; any other problem the edit causes (a period that
/// no longer holds a fiche's target year) by its place, under the field `catalogue`.
pub fn apply(c: &Catalogue, edit: &Edit) -> Result<Catalogue, EditError> {
    let mut out = c.clone();
    match edit {
        Edit::Header(h) => {
            let mut issues = Vec::new();
            out.title = required(&h.title);
            check_title(&out.title, "title", &mut issues);
            out.generation = required(&h.generation);
            check_title(&out.generation, "generation", &mut issues);
            match (h.start_year, h.end_year) {
                (Some(s), Some(e)) => {
                    out.start_year = s;
                    out.end_year = e;
                }
                (s, _) => issues.push(FieldIssue::new(
                    if s.is_none() {
                        "start_year"
                    } else {
                        "end_year"
                    },
                    "année attendue",
                )),
            }
            out.source = text(&h.source);
            out.notes = text(&h.notes);
            out.partial = match h.partial_threshold {
                None => None,
                Some(p) => match PartialRule::new(p) {
                    Ok(r) => Some(r),
                    Err(m) => {
                        issues.push(FieldIssue::new("partial_threshold", m));
                        None
                    }
                },
            };
            if !issues.is_empty() {
                return Err(EditError::Invalid(issues));
            }
        }
        Edit::Create(item) => {
            let kind = item.kind();
            if codes(&out, kind).contains(&item.code()) {
                return Err(EditError::one(
                    "code",
                    format!("le code « {} » est déjà pris", item.code()),
                ));
            }
            put(&mut out, None, item.clone());
        }
        Edit::Replace { code, item } => {
            let kind = item.kind();
            let list = codes(&out, kind);
            let at = list
                .iter()
                .position(|c| c == code)
                .ok_or(EditError::NotFound)?;
            if item.code() != code && list.contains(&item.code()) {
                return Err(EditError::one(
                    "code",
                    format!("le code « {} » est déjà pris", item.code()),
                ));
            }
            put(&mut out, Some(at), item.clone());
            if item.code() != code {
                rename_children(&mut out, kind, code, item.code());
            }
        }
        Edit::Delete { kind, code } => {
            let at = codes(&out, *kind)
                .iter()
                .position(|c| c == code)
                .ok_or(EditError::NotFound)?;
            let kids = children(&out, *kind, code);
            if !kids.is_empty() {
                let list: Vec<String> = kids
                    .iter()
                    .map(|(k, n)| format!("{n} {}", plural(*k)))
                    .collect();
                return Err(EditError::one(
                    "code",
                    format!(
                        "{} « {code} » contient {} : supprimez-les ou rattachez-les ailleurs d'abord",
                        kind.noun(),
                        list.join(" et ")
                    ),
                ));
            }
            remove(&mut out, *kind, at);
        }
        Edit::Move {
            kind,
            code,
            direction,
        } => {
            let list = codes(&out, *kind);
            let at = list
                .iter()
                .position(|c| c == code)
                .ok_or(EditError::NotFound)?;
            let ps = parents(&out, *kind);
            let parent = ps[at];
            let sibling = match direction {
                Direction::Up => (0..at).rev().find(|&i| ps[i] == parent),
                Direction::Down => (at + 1..ps.len()).find(|&i| ps[i] == parent),
            };
            let Some(other) = sibling else {
                return Err(EditError::one(
                    "direction",
                    format!(
                        "{} « {code} » est déjà {} de son groupe",
                        kind.noun(),
                        match direction {
                            Direction::Up => "en tête",
                            Direction::Down => "en fin",
                        }
                    ),
                ));
            };
            swap(&mut out, *kind, at, other);
        }
        Edit::DuplicateIndicator { code, new_code } => {
            let at = out
                .indicators
                .iter()
                .position(|i| &i.code == code)
                .ok_or(EditError::NotFound)?;
            let mut issues = Vec::new();
            let new_code = new_code.trim();
            check_code(new_code, &mut issues);
            if out.indicators.iter().any(|i| i.code == new_code) {
                issues.push(FieldIssue::new(
                    "code",
                    format!("le code « {new_code} » est déjà pris"),
                ));
            }
            if !issues.is_empty() {
                return Err(EditError::Invalid(issues));
            }
            let mut copy = out.indicators[at].clone();
            new_code.clone_into(&mut copy.code);
            copy.title = format!("{} (copie)", copy.title);
            out.indicators.insert(at + 1, copy);
        }
    }
    let problems = out.validate();
    if problems.is_empty() {
        return Ok(out);
    }
    let target = edit.target().and_then(|(kind, code)| {
        codes(&out, kind)
            .iter()
            .position(|c| *c == code)
            .map(|i| (kind.list(), i))
    });
    Err(EditError::Invalid(
        problems
            .into_iter()
            .map(|p| issue_of(&out, target, matches!(edit, Edit::Header(_)), p))
            .collect(),
    ))
}

/// Names a validation problem after an edit: the edited item's fields by name, the header's
/// fields by name after a header change, anything else under `catalogue` with its place.
fn issue_of(
    c: &Catalogue,
    target: Option<(&'static str, usize)>,
    header: bool,
    p: Problem,
) -> FieldIssue {
    let place = p.place;
    if place.list == "header" && header {
        return FieldIssue::new(place.field, p.message);
    }
    if let (Some((list, i)), Some(index)) = (target, place.index)
        && list == place.list
        && i == index
    {
        return match place.target {
            Some(t) => FieldIssue::new(
                format!(
                    "targets[{t}].{}",
                    if place.field == "rule" {
                        "rule_text"
                    } else {
                        place.field
                    }
                ),
                format!("cible n° {} : {}", t + 1, p.message),
            ),
            None => FieldIssue::new(place.field, p.message),
        };
    }
    let kind = ItemKind::ALL.into_iter().find(|k| k.list() == place.list);
    let what = match (kind, place.index) {
        (Some(k), Some(i)) => {
            let code = codes(c, k).get(i).copied().unwrap_or_default();
            let mut s = format!("{} « {code} »", k.noun());
            if let Some(t) = place.target {
                s.push_str(&format!(", cible n° {}", t + 1));
            }
            s
        }
        _ => "en-tête".into(),
    };
    FieldIssue::new("catalogue", format!("{what} : {}", p.message))
}

/// The target an establishment of `band` sees for a year in a preview: the band's own (a
/// year's before the period's), else the one for every establishment.
pub fn target_for_band<'a>(
    targets: &'a [Target],
    band: &TargetBand,
    year: TargetYear,
) -> Option<&'a Target> {
    let pick = |b: &TargetBand| {
        targets
            .iter()
            .find(|t| &t.band == b && t.year == year)
            .or_else(|| {
                targets
                    .iter()
                    .find(|t| &t.band == b && t.year == TargetYear::Total)
                    .filter(|_| year != TargetYear::Total)
            })
    };
    pick(band).or_else(|| pick(&TargetBand::All))
}

#[cfg(test)]
mod tests {
    use super::super::tests::small;
    use super::*;

    fn fiche_input(code: &str) -> IndicatorInput {
        IndicatorInput {
            code: code.into(),
            action: "1.1-1".into(),
            title: "Délai de réponse".into(),
            kind: "rate".into(),
            unit: Some("%".into()),
            targets: vec![TargetInput {
                band: "all".into(),
                year: YearInput::Number(2027),
                rule_text: ">= 80".into(),
                ..Default::default()
            }],
            ..Default::default()
        }
    }

    #[test]
    fn a_new_fiche_is_read_from_its_input_and_added_after_its_siblings() {
        let c = small();
        let item = fiche_input("I2").read().expect("valid input");
        let out = apply(&c, &Edit::Create(item)).expect("applied");
        assert_eq!(out.indicators.len(), 2);
        let added = &out.indicators[1];
        assert_eq!(added.code, "I2");
        assert_eq!(added.kind, IndicatorKind::Rate);
        // The printed text defaults to the rule typed.
        assert_eq!(added.targets[0].text, ">= 80");
        assert_eq!(added.targets[0].year, TargetYear::Year(2027));
        // The original is untouched.
        assert_eq!(c.indicators.len(), 1);
    }

    #[test]
    fn input_problems_name_their_field_and_target() {
        let mut input = fiche_input("I 2");
        input.kind = "pourcentage".into();
        input.targets.push(TargetInput {
            band: "all".into(),
            year: YearInput::Text("deux mille".into()),
            rule_text: ">= ".into(),
            ..Default::default()
        });
        let Err(EditError::Invalid(issues)) = input.read() else {
            panic!("invalid input accepted");
        };
        let fields: Vec<&str> = issues.iter().map(|i| i.field.as_str()).collect();
        assert_eq!(
            fields,
            ["kind", "targets[1].year", "targets[1].rule_text", "code"],
            "{issues:?}"
        );
        assert!(issues[1].message.starts_with("cible n° 2 :"));
    }

    #[test]
    fn catalogue_rules_broken_by_an_edit_come_back_on_the_fields_of_the_item() {
        let c = small();
        let mut input = fiche_input("I2");
        input.action = "9.9-9".into();
        input.kind = "count".into();
        input.targets[0].year = YearInput::Number(2031);
        let item = input.read().expect("fields read");
        let Err(EditError::Invalid(issues)) = apply(&c, &Edit::Create(item)) else {
            panic!("invalid catalogue accepted");
        };
        let fields: Vec<&str> = issues.iter().map(|i| i.field.as_str()).collect();
        assert_eq!(fields, ["action", "targets[0].year"], "{issues:?}");
        assert_eq!(
            issues[1].message,
            "cible n° 1 : année 2031 hors de la période 2025–2029"
        );
        // A yes/no rule on a count names the rule field.
        let mut input = fiche_input("I3");
        input.kind = "count".into();
        input.targets[0].rule_text = "oui".into();
        let Err(EditError::Invalid(issues)) = apply(&c, &Edit::Create(input.read().expect("read")))
        else {
            panic!("rule of the wrong kind accepted");
        };
        assert_eq!(issues[0].field, "targets[0].rule_text");
    }

    #[test]
    fn codes_must_be_unique_and_fit_in_an_address() {
        let c = small();
        let dup = fiche_input("I1").read().expect("read");
        assert_eq!(
            apply(&c, &Edit::Create(dup)),
            Err(EditError::one("code", "le code « I1 » est déjà pris"))
        );
        let Err(EditError::Invalid(issues)) = fiche_input("A/B").read() else {
            panic!("slash accepted");
        };
        assert_eq!(issues[0].field, "code");
    }

    #[test]
    fn renaming_an_item_carries_the_new_code_to_its_children() {
        let c = small();
        let mut action = c.actions[0].clone();
        action.code = "1.1-1-bis".into();
        let out = apply(
            &c,
            &Edit::Replace {
                code: "1.1-1".into(),
                item: Item::Action(action),
            },
        )
        .expect("renamed");
        assert_eq!(out.actions[0].code, "1.1-1-bis");
        assert_eq!(out.indicators[0].action, "1.1-1-bis");
        let missing = apply(
            &c,
            &Edit::Replace {
                code: "nope".into(),
                item: Item::Action(c.actions[0].clone()),
            },
        );
        assert_eq!(missing, Err(EditError::NotFound));
    }

    #[test]
    fn an_item_with_children_is_not_deleted() {
        let c = small();
        let refused = apply(
            &c,
            &Edit::Delete {
                kind: ItemKind::Action,
                code: "1.1-1".into(),
            },
        );
        let Err(EditError::Invalid(issues)) = refused else {
            panic!("deleted an action with a fiche");
        };
        assert!(
            issues[0].message.contains("contient 1 fiche(s)"),
            "{issues:?}"
        );
        let out = apply(
            &c,
            &Edit::Delete {
                kind: ItemKind::Indicator,
                code: "I1".into(),
            },
        )
        .expect("fiche deleted");
        assert!(out.indicators.is_empty());
    }

    #[test]
    fn items_move_among_their_siblings_only() {
        let mut c = small();
        c.objectives.push(Objective {
            code: "1.2".into(),
            orientation: "1".into(),
            title: "Deux".into(),
            description: None,
        });
        for (code, objective) in [("A", "1.1"), ("B", "1.2"), ("C", "1.1")] {
            let mut a = c.actions[0].clone();
            a.code = code.into();
            a.objective = objective.into();
            c.actions.push(a);
        }
        // 1.1 holds 1.1-1, A, C; 1.2 holds B.
        let mv = |c: &Catalogue, code: &str, direction| {
            apply(
                c,
                &Edit::Move {
                    kind: ItemKind::Action,
                    code: code.into(),
                    direction,
                },
            )
        };
        let out = mv(&c, "C", Direction::Up).expect("moved");
        let order: Vec<&str> = out.actions_of("1.1").map(|a| a.code.as_str()).collect();
        assert_eq!(order, ["1.1-1", "C", "A"]);
        assert!(mv(&c, "B", Direction::Up).is_err(), "B is alone in 1.2");
        assert!(mv(&c, "1.1-1", Direction::Up).is_err());
        let out = mv(&c, "1.1-1", Direction::Down).expect("moved");
        let order: Vec<&str> = out.actions_of("1.1").map(|a| a.code.as_str()).collect();
        assert_eq!(order, ["A", "1.1-1", "C"]);
    }

    #[test]
    fn a_duplicated_fiche_follows_its_original_with_a_new_code() {
        let c = small();
        let out = apply(
            &c,
            &Edit::DuplicateIndicator {
                code: "I1".into(),
                new_code: "I1-b".into(),
            },
        )
        .expect("duplicated");
        assert_eq!(out.indicators[1].code, "I1-b");
        assert_eq!(out.indicators[1].targets, c.indicators[0].targets);
        assert_eq!(out.indicators[1].title, "Nombre de protocoles (copie)");
        assert!(
            apply(
                &c,
                &Edit::DuplicateIndicator {
                    code: "I1".into(),
                    new_code: "I1".into(),
                },
            )
            .is_err()
        );
    }

    #[test]
    fn a_shorter_period_is_refused_while_a_fiche_has_targets_outside_it() {
        let c = small();
        let header = HeaderInput {
            title: "Test".into(),
            generation: "2027-2029".into(),
            start_year: Some(2027),
            end_year: Some(2029),
            ..Default::default()
        };
        let Err(EditError::Invalid(issues)) = apply(&c, &Edit::Header(header.clone())) else {
            panic!("period accepted");
        };
        assert_eq!(issues[0].field, "catalogue");
        assert_eq!(
            issues[0].message,
            "la fiche « I1 », cible n° 1 : année 2026 hors de la période 2027–2029"
        );
        let ok = HeaderInput {
            start_year: Some(2026),
            partial_threshold: Some(80.0),
            ..header
        };
        let out = apply(&c, &Edit::Header(ok)).expect("valid header");
        assert_eq!(out.start_year, 2026);
        assert_eq!(out.partial.map(|p| p.percent), Some(80.0));
    }

    #[test]
    fn an_edited_fiche_reads_back_from_its_own_input() {
        let c = small();
        let i = &c.indicators[0];
        assert_eq!(i.to_input().read(), Ok(Item::Indicator(i.clone())));
    }

    #[test]
    fn a_preview_shows_the_band_s_target_else_the_one_for_all() {
        let t = |band: &str, year, rule: &str| Target {
            band: TargetBand::parse(band).expect("band"),
            finess: None,
            year,
            text: rule.into(),
            rule: TargetRule::parse(rule).expect("rule"),
            to_confirm: false,
        };
        let targets = vec![
            t("all", TargetYear::Year(2026), ">= 1"),
            t("ge500", TargetYear::Year(2026), ">= 3"),
            t("ge500", TargetYear::Total, ">= 10"),
        ];
        let seen = |band: &str, year| {
            target_for_band(&targets, &TargetBand::parse(band).expect("band"), year)
                .map(|t| t.text.as_str())
        };
        assert_eq!(seen("ge500", TargetYear::Year(2026)), Some(">= 3"));
        assert_eq!(seen("ge500", TargetYear::Year(2027)), Some(">= 10"));
        assert_eq!(seen("lt100", TargetYear::Year(2026)), Some(">= 1"));
        assert_eq!(seen("lt100", TargetYear::Year(2027)), None);
        assert_eq!(seen("ge500", TargetYear::Total), Some(">= 10"));
    }
}
