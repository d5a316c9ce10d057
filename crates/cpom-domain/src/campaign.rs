//! Yearly campaigns (issue 6), the pure part: which declarations a campaign opens for a
//! contract, the workflow of a declaration (who may do what, in which state, and why a value
//! is read-only), the reading of a value typed for each kind of indicator, and the checking
//! of an evidence file by its content. No I/O.

use serde::{Deserialize, Serialize};

use crate::catalogue::number::parse_number;
use crate::catalogue::{Declared, IndicatorKind};
use crate::contract::{ContractContent, ContractState};
use crate::ids::FinessId;

/// Where a declaration stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeclarationState {
    /// Nothing entered yet.
    ToDo,
    /// A value saved, not submitted.
    Draft,
    /// Submitted by the establishment's leader, awaiting the agency.
    Submitted,
    /// Returned by the agency with a reason, to correct.
    Returned,
    /// Validated by the agency.
    Validated,
}

impl DeclarationState {
    /// Every state.
    pub const ALL: [DeclarationState; 5] = [
        DeclarationState::ToDo,
        DeclarationState::Draft,
        DeclarationState::Submitted,
        DeclarationState::Returned,
        DeclarationState::Validated,
    ];

    /// Stable identifier.
    pub fn as_str(self) -> &'static str {
        match self {
            DeclarationState::ToDo => "to_do",
            DeclarationState::Draft => "draft",
            DeclarationState::Submitted => "submitted",
            DeclarationState::Returned => "returned",
            DeclarationState::Validated => "validated",
        }
    }

    /// French label.
    pub fn label(self) -> &'static str {
        match self {
            DeclarationState::ToDo => "à déclarer",
            DeclarationState::Draft => "brouillon",
            DeclarationState::Submitted => "soumise",
            DeclarationState::Returned => "renvoyée pour correction",
            DeclarationState::Validated => "validée",
        }
    }

    /// Parses a stable identifier.
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw.trim())
    }
}

/// Who acts on a declaration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    /// A user of the establishment who may enter values (leader or contributor).
    Contributor,
    /// The establishment's leader, who alone submits.
    Leader,
    /// The agency (referents and administrators of the region).
    Agency,
}

/// What is done to a declaration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Save a value without submitting.
    SaveDraft,
    /// Submit the value to the agency.
    Submit,
    /// Validate it.
    Validate,
    /// Return it to the establishment, with a reason.
    Return {
        /// Why.
        reason: String,
    },
    /// Reopen a submitted or validated declaration, with a reason (also once the campaign is
    /// closed).
    Reopen {
        /// Why.
        reason: String,
    },
    /// Confirm the value the agency loaded (the establishment's leader): it is submitted as is.
    Confirm,
    /// Contest the value the agency loaded, with a comment saying why (the establishment's
    /// leader): it is submitted, flagged as contested, for the agency to decide.
    Contest {
        /// Why.
        comment: String,
    },
}

impl Step {
    /// French label, for the history.
    pub fn label(&self) -> &'static str {
        match self {
            Step::SaveDraft => "enregistrement du brouillon",
            Step::Submit => "soumission",
            Step::Validate => "validation",
            Step::Return { .. } => "renvoi pour correction",
            Step::Reopen { .. } => "réouverture",
            Step::Confirm => "confirmation de la valeur fournie par l'ARS",
            Step::Contest { .. } => "contestation de la valeur fournie par l'ARS",
        }
    }
}

/// Why a step is refused, in French.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused(pub String);

/// Longest reason for a return or a reopening.
pub const MAX_REASON_CHARS: usize = 2000;

fn reason_ok(reason: &str) -> Result<(), Refused> {
    let r = reason.trim();
    if r.is_empty() {
        return Err(Refused("indiquez la raison".into()));
    }
    if r.chars().count() > MAX_REASON_CHARS {
        return Err(Refused(format!(
            "raison trop longue (au plus {MAX_REASON_CHARS} caractères)"
        )));
    }
    Ok(())
}

/// Where a declaration stands when a step is asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Situation {
    /// Its state.
    pub state: DeclarationState,
    /// Whether its campaign is open.
    pub open: bool,
    /// Whether a complete value is saved (to submit).
    pub has_value: bool,
    /// Whether the value was loaded by the agency (the establishment confirms or contests
    /// it instead of typing it).
    pub prefilled: bool,
}

impl Situation {
    /// A declaration in `state`, in an open campaign, without a value.
    pub fn new(state: DeclarationState) -> Self {
        Situation {
            state,
            open: true,
            has_value: false,
            prefilled: false,
        }
    }
}

/// The state a step leads to, if `actor` may take it in situation `s`.
pub fn next_state(s: Situation, step: &Step, actor: Actor) -> Result<DeclarationState, Refused> {
    use DeclarationState::*;
    let from = s.state;
    let establishment = matches!(actor, Actor::Contributor | Actor::Leader);
    match step {
        Step::SaveDraft | Step::Submit | Step::Confirm | Step::Contest { .. } if !establishment => {
            Err(Refused(
                "seul l'établissement saisit, confirme ou conteste ses valeurs".into(),
            ))
        }
        Step::SaveDraft | Step::Submit | Step::Confirm | Step::Contest { .. }
            if !s.open && matches!(from, ToDo | Draft) =>
        {
            Err(Refused(
                "la campagne est close : la déclaration ne peut plus être saisie".into(),
            ))
        }
        Step::SaveDraft | Step::Submit
            if s.prefilled && matches!(from, ToDo | Draft | Returned) =>
        {
            Err(Refused(PREFILLED.into()))
        }
        Step::SaveDraft => match from {
            ToDo | Draft | Returned => Ok(if from == Returned { Returned } else { Draft }),
            other => Err(read_only(other)),
        },
        Step::Submit | Step::Confirm | Step::Contest { .. } => {
            if actor != Actor::Leader {
                return Err(Refused(
                    "seul le représentant de l'établissement soumet, confirme ou conteste les déclarations"
                        .into(),
                ));
            }
            if let Step::Contest { comment } = step
                && comment.trim().is_empty()
            {
                return Err(Refused(
                    "dites dans le commentaire pourquoi la valeur est contestée".into(),
                ));
            }
            let confirming = !matches!(step, Step::Submit);
            match from {
                ToDo | Draft | Returned if confirming && !s.prefilled => Err(Refused(
                    "aucune valeur fournie par l'ARS à confirmer ou contester : saisissez la valeur"
                        .into(),
                )),
                ToDo | Draft | Returned if s.has_value => Ok(Submitted),
                ToDo | Draft | Returned => Err(Refused(
                    "la valeur est incomplète : enregistrez-la avant de soumettre".into(),
                )),
                other => Err(read_only(other)),
            }
        }
        Step::Validate | Step::Return { .. } if establishment => Err(Refused(
            "seule l'ARS valide ou renvoie une déclaration".into(),
        )),
        Step::Validate => match from {
            Submitted => Ok(Validated),
            other => Err(Refused(format!(
                "seule une déclaration soumise se valide ; celle-ci est {}",
                other.label()
            ))),
        },
        Step::Return { reason } => {
            reason_ok(reason)?;
            match from {
                Submitted => Ok(Returned),
                other => Err(Refused(format!(
                    "seule une déclaration soumise se renvoie ; celle-ci est {}",
                    other.label()
                ))),
            }
        }
        Step::Reopen { reason } => {
            if establishment {
                return Err(Refused("seule l'ARS rouvre une déclaration".into()));
            }
            reason_ok(reason)?;
            match from {
                Submitted | Validated => Ok(Returned),
                other => Err(Refused(format!(
                    "la déclaration est {} : elle est déjà modifiable",
                    other.label()
                ))),
            }
        }
    }
}

/// Why a value the agency loaded is not typed by the establishment.
const PREFILLED: &str =
    "valeur fournie par l'ARS : l'établissement la confirme ou la conteste avec un commentaire";

fn read_only(state: DeclarationState) -> Refused {
    Refused(
        read_only_reason(state, true, false)
            .unwrap_or("la déclaration n'est pas modifiable")
            .into(),
    )
}

/// Why the establishment may not change the value now, if it may not: submitted,
/// validated, the campaign closed, or the value loaded by the agency (`prefilled`: it is
/// confirmed or contested, not typed). A returned declaration stays editable after closing
/// (it was returned or reopened by the agency).
pub fn read_only_reason(
    state: DeclarationState,
    open: bool,
    prefilled: bool,
) -> Option<&'static str> {
    match state {
        DeclarationState::Submitted => Some("valeur soumise : elle attend la validation de l'ARS"),
        DeclarationState::Validated => Some("valeur validée par l'ARS"),
        DeclarationState::ToDo | DeclarationState::Draft if !open => {
            Some("campagne close : la déclaration ne peut plus être saisie")
        }
        _ if prefilled => Some(PREFILLED),
        _ => None,
    }
}

/// Whether the agency may load a value into a declaration in `state`: not once it is
/// submitted or validated (it is then reopened first).
pub fn loadable(state: DeclarationState) -> Result<(), Refused> {
    match state {
        DeclarationState::Submitted | DeclarationState::Validated => Err(Refused(format!(
            "déclaration déjà {} : l'ARS la rouvre avant d'y charger une valeur",
            state.label()
        ))),
        _ => Ok(()),
    }
}

/// Whether the reminders of a campaign go out on `today`: it is open and its deadline is
/// within `days` days (the deadline day included, not after it).
pub fn reminder_due(
    open: bool,
    deadline: chrono::NaiveDate,
    days: i64,
    today: chrono::NaiveDate,
) -> bool {
    let left = (deadline - today).num_days();
    open && (0..=days.max(0)).contains(&left)
}

// ---------------------------------------------------------------------------------------
// What a campaign opens.

/// One declaration a campaign opens for a contract.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Expected {
    /// Key of the engagement.
    pub engagement: String,
    /// Code of its indicator.
    pub indicator: String,
    /// The site, when the engagement binds sites (one declaration per site).
    pub site: Option<FinessId>,
}

/// Whether a contract of `start_year..=end_year` is followed in a campaign of `year`: a
/// version of it is in force (signed, or under an avenant) and the year is in its period.
pub fn followed(
    state: ContractState,
    avenant: i32,
    start_year: i32,
    end_year: i32,
    year: i32,
) -> bool {
    crate::contract::in_force(state, avenant) && (start_year..=end_year).contains(&year)
}

/// The declarations a campaign opens for a contract: one per engagement with an indicator,
/// and one per site when the engagement binds sites.
pub fn expected(content: &ContractContent) -> Vec<Expected> {
    let mut out = vec![];
    for e in &content.engagements {
        let Some(indicator) = &e.indicator else {
            continue;
        };
        if e.sites.is_empty() {
            out.push(Expected {
                engagement: e.key.clone(),
                indicator: indicator.code.clone(),
                site: None,
            });
        } else {
            for s in &e.sites {
                out.push(Expected {
                    engagement: e.key.clone(),
                    indicator: indicator.code.clone(),
                    site: Some(s.clone()),
                });
            }
        }
    }
    out
}

// ---------------------------------------------------------------------------------------
// Values.

/// A value as typed in the form (the fields used depend on the indicator's kind).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ValueInput {
    /// A count or an amount (`1 234,5`).
    pub value: Option<String>,
    /// A rate's numerator.
    pub numerator: Option<String>,
    /// A rate's denominator.
    pub denominator: Option<String>,
    /// Yes/no, or milestone reached: `oui` / `non` (or `true` / `false`).
    pub answer: Option<String>,
    /// Free text.
    pub text: Option<String>,
}

/// A value as stored: what was typed, read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Value {
    /// A count or an amount.
    Number {
        /// The value.
        value: f64,
    },
    /// A rate: numerator over denominator.
    Rate {
        /// Numerator.
        numerator: f64,
        /// Denominator (positive).
        denominator: f64,
    },
    /// A yes/no answer.
    YesNo {
        /// The answer.
        answer: bool,
    },
    /// A milestone, declared reached or not (the agency judges).
    Milestone {
        /// Declared reached.
        reached: bool,
    },
    /// Free text.
    Text {
        /// The text.
        text: String,
    },
}

impl Value {
    /// What the evaluation compares with the targets.
    pub fn declared(&self) -> Option<Declared> {
        match self {
            Value::Number { value } => Some(Declared::Number(*value)),
            Value::Rate {
                numerator,
                denominator,
            } => Declared::rate(*numerator, *denominator),
            Value::YesNo { answer } => Some(Declared::YesNo(*answer)),
            Value::Milestone { .. } => Some(Declared::Milestone(None)),
            Value::Text { text } => Some(Declared::Text(text.clone())),
        }
    }

    /// As shown: `1 234,5`, `45 / 60 = 75 %`, `oui`, `atteint`…
    pub fn display(&self) -> String {
        use crate::catalogue::number::format_number as n;
        match self {
            Value::Number { value } => n(*value),
            Value::Rate {
                numerator,
                denominator,
            } => format!(
                "{} / {} = {}\u{a0}%",
                n(*numerator),
                n(*denominator),
                n(numerator * 100.0 / denominator)
            ),
            Value::YesNo { answer } => (if *answer { "oui" } else { "non" }).into(),
            Value::Milestone { reached } => {
                (if *reached { "atteint" } else { "non atteint" }).into()
            }
            Value::Text { text } => text.clone(),
        }
    }
}

/// A problem in a typed value, with its field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValueError {
    /// Field of the form.
    pub field: &'static str,
    /// What is wrong.
    pub message: String,
}

fn value_error(field: &'static str, message: impl Into<String>) -> ValueError {
    ValueError {
        field,
        message: message.into(),
    }
}

fn number(field: &'static str, name: &str, raw: &Option<String>) -> Result<f64, ValueError> {
    let raw = raw.as_deref().map(str::trim).unwrap_or_default();
    if raw.is_empty() {
        return Err(value_error(field, format!("{name} : valeur obligatoire")));
    }
    parse_number(raw).ok_or_else(|| {
        value_error(
            field,
            format!("{name} : « {raw} » n'est pas un nombre (exemple : 1 234,5)"),
        )
    })
}

fn answer(raw: &Option<String>) -> Result<bool, ValueError> {
    match raw.as_deref().map(|a| a.trim().to_lowercase()).as_deref() {
        Some("oui" | "true" | "1") => Ok(true),
        Some("non" | "false" | "0") => Ok(false),
        _ => Err(value_error("answer", "répondez oui ou non")),
    }
}

/// Longest free-text value.
pub const MAX_TEXT_CHARS: usize = 10_000;

/// Reads the value typed for an indicator of `kind`: every problem named by its field.
pub fn read_value(kind: IndicatorKind, input: &ValueInput) -> Result<Value, ValueError> {
    match kind {
        IndicatorKind::Count | IndicatorKind::Amount => {
            let value = number("value", "Valeur", &input.value)?;
            if value < 0.0 {
                return Err(value_error("value", "Valeur : un nombre positif ou nul"));
            }
            Ok(Value::Number { value })
        }
        IndicatorKind::Rate => {
            let numerator = number("numerator", "Numérateur", &input.numerator)?;
            let denominator = number("denominator", "Dénominateur", &input.denominator)?;
            if numerator < 0.0 {
                return Err(value_error(
                    "numerator",
                    "Numérateur : un nombre positif ou nul",
                ));
            }
            if denominator <= 0.0 {
                return Err(value_error(
                    "denominator",
                    "Dénominateur : un nombre strictement positif (sinon le taux n'existe pas)",
                ));
            }
            Ok(Value::Rate {
                numerator,
                denominator,
            })
        }
        IndicatorKind::YesNo => Ok(Value::YesNo {
            answer: answer(&input.answer)?,
        }),
        IndicatorKind::Milestone => Ok(Value::Milestone {
            reached: answer(&input.answer)?,
        }),
        IndicatorKind::Text => {
            let text = input.text.as_deref().map(str::trim).unwrap_or_default();
            if text.is_empty() {
                return Err(value_error("text", "Texte : valeur obligatoire"));
            }
            if text.chars().count() > MAX_TEXT_CHARS {
                return Err(value_error(
                    "text",
                    format!("Texte : au plus {MAX_TEXT_CHARS} caractères"),
                ));
            }
            Ok(Value::Text {
                text: text.to_owned(),
            })
        }
    }
}

// ---------------------------------------------------------------------------------------
// Values loaded in bulk by the agency.

/// Where values loaded by the agency come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ValueSource {
    /// PMSI (hospital activity).
    Pmsi,
    /// SAE (yearly statistics of establishments).
    Sae,
    /// Another base of the agency.
    Other,
}

impl ValueSource {
    /// Every source.
    pub const ALL: [ValueSource; 3] = [ValueSource::Pmsi, ValueSource::Sae, ValueSource::Other];

    /// Stable identifier.
    pub fn as_str(self) -> &'static str {
        match self {
            ValueSource::Pmsi => "pmsi",
            ValueSource::Sae => "sae",
            ValueSource::Other => "other",
        }
    }

    /// French label.
    pub fn label(self) -> &'static str {
        match self {
            ValueSource::Pmsi => "PMSI",
            ValueSource::Sae => "SAE",
            ValueSource::Other => "autre base de l'ARS",
        }
    }

    /// Parses a stable identifier.
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw.trim())
    }
}

/// One line of a file of values loaded by the agency, as read (the cells as typed).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BulkLine {
    /// Line (CSV) or row (XLSX), 1-based.
    pub line: u64,
    /// FINESS of the legal entity, or of the site for an engagement followed by site.
    pub finess: String,
    /// Indicator code.
    pub indicator: String,
    /// Year, when the column is there.
    pub year: Option<String>,
    /// `valeur`: a count or amount, `oui`/`non`, or a text, after the indicator's kind.
    pub value: Option<String>,
    /// `numerateur` of a rate.
    pub numerator: Option<String>,
    /// `denominateur` of a rate.
    pub denominator: Option<String>,
}

/// A problem in a file of values, with its place.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BulkError {
    /// Line (CSV) or row (XLSX), 1-based; 0 for the whole file.
    pub line: u64,
    /// Column, when the fault is in one.
    pub column: Option<String>,
    /// What is wrong, in French.
    pub message: String,
}

impl std::fmt::Display for BulkError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (&self.column, self.line) {
            (_, 0) => write!(f, "{}", self.message),
            (Some(c), l) => write!(f, "ligne {l}, colonne {c} : {}", self.message),
            (None, l) => write!(f, "ligne {l} : {}", self.message),
        }
    }
}

/// A declaration of the campaign, as the matching of a file needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadTarget {
    /// Identifier.
    pub id: i64,
    /// Its contract.
    pub contract: i64,
    /// Legal entity.
    pub ej: String,
    /// Site, for an engagement followed by site.
    pub site: Option<String>,
    /// Indicator code.
    pub indicator: String,
    /// Kind of value.
    pub kind: IndicatorKind,
    /// State.
    pub state: DeclarationState,
    /// Version, claimed when the value is written.
    pub row_version: i64,
}

/// A value to write into a declaration, from a line of the file.
#[derive(Debug, Clone, PartialEq)]
pub struct Planned {
    /// Line of the file.
    pub line: u64,
    /// Declaration.
    pub declaration: i64,
    /// Its version when planned.
    pub row_version: i64,
    /// The value read.
    pub value: Value,
}

/// Column of the file for a field of [`ValueInput`].
fn bulk_column(field: &str) -> &'static str {
    match field {
        "numerator" => "numerateur",
        "denominator" => "denominateur",
        _ => "valeur",
    }
}

/// Matches the lines of a file with the declarations of a campaign of `year`, all or
/// nothing: each line names one declaration (by the FINESS of its legal entity, or of its
/// site when the engagement is followed by site, and its indicator) that may still receive a
/// value, at most once, with a value of the indicator's kind; otherwise every problem, by
/// line and column.
pub fn plan_bulk(
    year: i32,
    lines: &[BulkLine],
    targets: &[LoadTarget],
) -> Result<Vec<Planned>, Vec<BulkError>> {
    use std::collections::{HashMap, HashSet};
    let mut by_key: HashMap<(&str, &str), &LoadTarget> = HashMap::new();
    let mut by_site_ej: HashSet<(&str, &str)> = HashSet::new();
    let mut finess_known: HashSet<&str> = HashSet::new();
    for t in targets {
        let at = t.site.as_deref().unwrap_or(&t.ej);
        by_key.insert((at, t.indicator.as_str()), t);
        finess_known.insert(at);
        finess_known.insert(&t.ej);
        if t.site.is_some() {
            by_site_ej.insert((t.ej.as_str(), t.indicator.as_str()));
        }
    }
    let mut errors = vec![];
    let mut planned = vec![];
    let mut seen: HashMap<i64, u64> = HashMap::new();
    for l in lines {
        let err = |column: Option<&str>, message: String| BulkError {
            line: l.line,
            column: column.map(str::to_owned),
            message,
        };
        let finess = l.finess.trim();
        let indicator = l.indicator.trim();
        let mut bad = false;
        if finess.is_empty() {
            errors.push(err(Some("finess"), "FINESS obligatoire".into()));
            bad = true;
        }
        if indicator.is_empty() {
            errors.push(err(
                Some("indicateur"),
                "code d'indicateur obligatoire".into(),
            ));
            bad = true;
        }
        if let Some(y) = l.year.as_deref().map(str::trim).filter(|y| !y.is_empty())
            && y.parse::<i32>().ok() != Some(year)
        {
            errors.push(err(
                Some("annee"),
                format!("année « {y} » : la campagne suit l'année {year}"),
            ));
            bad = true;
        }
        if bad {
            continue;
        }
        let Some(t) = by_key.get(&(finess, indicator)) else {
            let message = if by_site_ej.contains(&(finess, indicator)) {
                format!(
                    "l'indicateur {indicator} est suivi par site pour l'entité {finess} : \
                     indiquez le FINESS de chaque site"
                )
            } else if finess_known.contains(finess) {
                format!(
                    "l'indicateur {indicator} n'est pas suivi pour {finess} dans cette campagne"
                )
            } else {
                format!("FINESS {finess} : aucun contrat suivi dans cette campagne")
            };
            errors.push(err(None, message));
            continue;
        };
        if let Some(first) = seen.insert(t.id, l.line) {
            errors.push(err(
                None,
                format!("même déclaration que la ligne {first} ({finess}, {indicator})"),
            ));
            continue;
        }
        if let Err(e) = loadable(t.state) {
            errors.push(err(None, e.0));
            continue;
        }
        let input = match t.kind {
            IndicatorKind::Rate => {
                if l.value.as_deref().is_some_and(|v| !v.trim().is_empty())
                    && l.numerator.is_none()
                    && l.denominator.is_none()
                {
                    errors.push(err(
                        Some("valeur"),
                        format!(
                            "l'indicateur {indicator} est un taux : remplissez les colonnes \
                             numerateur et denominateur"
                        ),
                    ));
                    continue;
                }
                ValueInput {
                    numerator: l.numerator.clone(),
                    denominator: l.denominator.clone(),
                    ..ValueInput::default()
                }
            }
            IndicatorKind::YesNo | IndicatorKind::Milestone => ValueInput {
                answer: l.value.clone(),
                ..ValueInput::default()
            },
            IndicatorKind::Text => ValueInput {
                text: l.value.clone(),
                ..ValueInput::default()
            },
            IndicatorKind::Count | IndicatorKind::Amount => ValueInput {
                value: l.value.clone(),
                ..ValueInput::default()
            },
        };
        match read_value(t.kind, &input) {
            Ok(value) => planned.push(Planned {
                line: l.line,
                declaration: t.id,
                row_version: t.row_version,
                value,
            }),
            Err(e) => errors.push(err(Some(bulk_column(e.field)), e.message)),
        }
    }
    if lines.is_empty() {
        errors.push(BulkError {
            line: 0,
            column: None,
            message: "le fichier ne contient aucune ligne de valeurs".into(),
        });
    }
    if errors.is_empty() {
        Ok(planned)
    } else {
        Err(errors)
    }
}

// ---------------------------------------------------------------------------------------
// Evidence.

/// The kinds of evidence files accepted, recognised by their content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EvidenceType {
    /// PDF.
    Pdf,
    /// PNG image.
    Png,
    /// JPEG image.
    Jpeg,
    /// An Office Open XML or OpenDocument file (a ZIP: XLSX, DOCX, ODS, ODT…).
    OfficeDocument,
    /// Plain text or CSV, in UTF-8.
    Text,
}

impl EvidenceType {
    /// The media type it is served as (always as an attachment).
    pub fn mime(self) -> &'static str {
        match self {
            EvidenceType::Pdf => "application/pdf",
            EvidenceType::Png => "image/png",
            EvidenceType::Jpeg => "image/jpeg",
            EvidenceType::OfficeDocument => "application/octet-stream",
            EvidenceType::Text => "text/plain; charset=utf-8",
        }
    }

    /// French label.
    pub fn label(self) -> &'static str {
        match self {
            EvidenceType::Pdf => "PDF",
            EvidenceType::Png => "image PNG",
            EvidenceType::Jpeg => "image JPEG",
            EvidenceType::OfficeDocument => "document bureautique",
            EvidenceType::Text => "texte ou CSV",
        }
    }
}

/// Whether text looks like markup a browser would run or render.
fn looks_like_markup(text: &str) -> bool {
    let head: String = text.chars().take(1024).collect::<String>().to_lowercase();
    [
        "<html",
        "<!doctype",
        "<script",
        "<svg",
        "<?xml",
        "<body",
        "<iframe",
    ]
    .iter()
    .any(|m| head.contains(m))
}

/// Checks an evidence file by its content, not its name: an accepted type, not empty, at most
/// `max` bytes; the message names the file.
pub fn check_evidence(name: &str, bytes: &[u8], max: usize) -> Result<EvidenceType, String> {
    if bytes.is_empty() {
        return Err(format!("{name} : fichier vide"));
    }
    if bytes.len() > max {
        return Err(format!(
            "{name} : fichier trop volumineux ({} Mo au plus)",
            max / 1024 / 1024
        ));
    }
    let kind = if bytes.starts_with(b"%PDF-") {
        EvidenceType::Pdf
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        EvidenceType::Png
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        EvidenceType::Jpeg
    } else if bytes.starts_with(b"PK\x03\x04") {
        EvidenceType::OfficeDocument
    } else {
        match std::str::from_utf8(bytes) {
            Ok(text) if !looks_like_markup(text) && !text.contains('\0') => EvidenceType::Text,
            Ok(_) => {
                return Err(format!(
                    "{name} : une page web ou un fichier de balises n'est pas un justificatif accepté"
                ));
            }
            Err(_) => {
                return Err(format!(
                    "{name} : type de fichier non accepté (PDF, PNG, JPEG, document bureautique, texte ou CSV)"
                ));
            }
        }
    };
    Ok(kind)
}

#[cfg(test)]
mod tests {
    use super::*;
    use DeclarationState::*;

    fn ns(
        state: DeclarationState,
        step: &Step,
        actor: Actor,
        open: bool,
        has_value: bool,
    ) -> Result<DeclarationState, Refused> {
        next_state(
            Situation {
                state,
                open,
                has_value,
                prefilled: false,
            },
            step,
            actor,
        )
    }

    #[test]
    fn a_value_loaded_by_the_agency_is_confirmed_or_contested_not_typed() {
        let at = |state, open| Situation {
            state,
            open,
            has_value: true,
            prefilled: true,
        };
        let contest = |c: &str| Step::Contest { comment: c.into() };
        assert_eq!(
            next_state(at(Draft, true), &Step::Confirm, Actor::Leader),
            Ok(Submitted)
        );
        assert_eq!(
            next_state(
                at(Returned, false),
                &contest("Séjours 2026 manquants"),
                Actor::Leader
            ),
            Ok(Submitted),
            "a returned declaration is answered after closing too"
        );
        let e = next_state(at(Draft, true), &contest("  "), Actor::Leader).expect_err("why");
        assert!(e.0.contains("pourquoi"), "{}", e.0);
        assert!(next_state(at(Draft, true), &Step::Confirm, Actor::Contributor).is_err());
        assert!(next_state(at(Draft, true), &Step::Confirm, Actor::Agency).is_err());
        assert!(next_state(at(Draft, false), &Step::Confirm, Actor::Leader).is_err());
        assert!(next_state(at(Submitted, true), &Step::Confirm, Actor::Leader).is_err());
        let e = next_state(at(Draft, true), &Step::SaveDraft, Actor::Contributor)
            .expect_err("not typed");
        assert!(e.0.starts_with("valeur fournie par l'ARS"), "{}", e.0);
        assert!(next_state(at(Draft, true), &Step::Submit, Actor::Leader).is_err());
        let typed = Situation {
            prefilled: false,
            ..at(Draft, true)
        };
        assert!(
            next_state(typed, &Step::Confirm, Actor::Leader).is_err(),
            "nothing loaded to confirm"
        );
        assert_eq!(
            read_only_reason(Draft, true, true),
            Some(PREFILLED),
            "the reason is shown"
        );
        assert_eq!(
            read_only_reason(Validated, true, true),
            Some("valeur validée par l'ARS")
        );
        assert!(loadable(Draft).is_ok() && loadable(Returned).is_ok());
        let e = loadable(Validated).expect_err("validated");
        assert!(e.0.contains("rouvre"), "{}", e.0);
    }

    #[test]
    fn the_establishment_enters_and_its_leader_submits_then_the_agency_decides() {
        let save = |from, actor| ns(from, &Step::SaveDraft, actor, true, false);
        assert_eq!(save(ToDo, Actor::Contributor), Ok(Draft));
        assert_eq!(
            save(Returned, Actor::Leader),
            Ok(Returned),
            "stays returned until submitted"
        );
        assert!(save(Submitted, Actor::Contributor).is_err());
        assert!(save(ToDo, Actor::Agency).is_err());
        let submit = |from, actor, has| ns(from, &Step::Submit, actor, true, has);
        assert_eq!(submit(Draft, Actor::Leader, true), Ok(Submitted));
        assert!(
            submit(Draft, Actor::Contributor, true).is_err(),
            "a contributor cannot submit"
        );
        let e = submit(Draft, Actor::Leader, false).expect_err("incomplete");
        assert!(e.0.contains("incomplète"));
        assert_eq!(
            ns(Submitted, &Step::Validate, Actor::Agency, true, true),
            Ok(Validated)
        );
        assert!(ns(Submitted, &Step::Validate, Actor::Leader, true, true).is_err());
        let back = Step::Return { reason: " ".into() };
        assert!(
            ns(Submitted, &back, Actor::Agency, true, true).is_err(),
            "a reason"
        );
        let back = Step::Return {
            reason: "Justificatif illisible".into(),
        };
        assert_eq!(
            ns(Submitted, &back, Actor::Agency, true, true),
            Ok(Returned)
        );
        assert!(ns(Draft, &back, Actor::Agency, true, true).is_err());
    }

    #[test]
    fn reminders_go_out_in_the_days_before_an_open_campaign_s_deadline() {
        let d = |m, day| chrono::NaiveDate::from_ymd_opt(2027, m, day).expect("date");
        let deadline = d(3, 31);
        assert!(reminder_due(true, deadline, 7, d(3, 24)));
        assert!(reminder_due(true, deadline, 7, d(3, 31)));
        assert!(!reminder_due(true, deadline, 7, d(3, 23)), "too early");
        assert!(
            !reminder_due(true, deadline, 7, d(4, 1)),
            "past the deadline"
        );
        assert!(!reminder_due(false, deadline, 7, d(3, 30)), "closed");
    }

    #[test]
    fn a_closed_campaign_freezes_what_was_not_submitted_but_a_reopened_one_can_be_corrected() {
        assert!(ns(Draft, &Step::SaveDraft, Actor::Leader, false, true).is_err());
        assert_eq!(
            read_only_reason(Draft, false, false),
            Some("campagne close : la déclaration ne peut plus être saisie")
        );
        let reopen = Step::Reopen {
            reason: "Erreur de saisie signalée".into(),
        };
        assert_eq!(
            ns(Validated, &reopen, Actor::Agency, false, true),
            Ok(Returned)
        );
        assert!(ns(Validated, &reopen, Actor::Leader, false, true).is_err());
        assert_eq!(read_only_reason(Returned, false, false), None);
        assert_eq!(
            ns(Returned, &Step::Submit, Actor::Leader, false, true),
            Ok(Submitted)
        );
        assert_eq!(
            read_only_reason(Validated, true, false),
            Some("valeur validée par l'ARS")
        );
        assert!(read_only_reason(Submitted, true, false).is_some());
    }

    #[test]
    fn a_campaign_opens_one_declaration_per_indicator_and_per_bound_site() {
        use crate::contract::{ChosenIndicator, Engagement};
        let engagement = |key: &str, sites: &[&str], indicator: bool| Engagement {
            key: key.into(),
            objective: "O".into(),
            objective_title: "O".into(),
            action: None,
            title: "T".into(),
            title_locked: false,
            mandatory: false,
            indicator: indicator.then(|| ChosenIndicator {
                code: format!("{key}-IND"),
                title: "I".into(),
                kind: IndicatorKind::Count,
                unit: None,
            }),
            sites: sites
                .iter()
                .map(|s| FinessId::parse(s).expect("finess"))
                .collect(),
            targets: vec![],
            new_authorisation: false,
        };
        let content = ContractContent {
            engagements: vec![
                engagement("E1", &[], true),
                engagement("E2", &["340000017", "340000025"], true),
                engagement("E3", &[], false),
            ],
            ..ContractContent::default()
        };
        let got = expected(&content);
        assert_eq!(got.len(), 3);
        assert_eq!(got[0].site, None);
        assert_eq!(
            got[2].site.as_ref().map(FinessId::as_str),
            Some("340000025")
        );
        assert!(followed(ContractState::Signed, 0, 2025, 2029, 2026));
        assert!(!followed(ContractState::Signed, 0, 2025, 2029, 2030));
        assert!(followed(ContractState::Negotiation, 1, 2025, 2029, 2026));
        assert!(!followed(ContractState::Negotiation, 0, 2025, 2029, 2026));
    }

    #[test]
    fn values_are_read_for_each_kind_with_french_numbers() {
        let input = |f: fn(&mut ValueInput)| {
            let mut i = ValueInput::default();
            f(&mut i);
            i
        };
        let v = read_value(
            IndicatorKind::Count,
            &input(|i| i.value = Some("1 234,5".into())),
        );
        assert_eq!(v, Ok(Value::Number { value: 1234.5 }));
        let e = read_value(
            IndicatorKind::Count,
            &input(|i| i.value = Some("douze".into())),
        )
        .expect_err("not a number");
        assert_eq!(e.field, "value");
        let rate = read_value(
            IndicatorKind::Rate,
            &input(|i| {
                i.numerator = Some("45".into());
                i.denominator = Some("60".into());
            }),
        )
        .expect("rate");
        assert_eq!(rate.display(), "45 / 60 = 75\u{a0}%");
        assert_eq!(rate.declared(), Some(Declared::Number(75.0)));
        let e = read_value(
            IndicatorKind::Rate,
            &input(|i| {
                i.numerator = Some("1".into());
                i.denominator = Some("0".into());
            }),
        )
        .expect_err("zero denominator");
        assert_eq!(e.field, "denominator");
        assert_eq!(
            read_value(
                IndicatorKind::YesNo,
                &input(|i| i.answer = Some("Oui".into()))
            ),
            Ok(Value::YesNo { answer: true })
        );
        assert!(
            read_value(
                IndicatorKind::Milestone,
                &input(|i| i.answer = Some("peut-être".into()))
            )
            .is_err()
        );
        assert!(read_value(IndicatorKind::Text, &ValueInput::default()).is_err());
    }

    #[test]
    fn a_file_of_values_is_matched_line_by_line_all_or_nothing() {
        let target = |id, ej: &str, site: Option<&str>, ind: &str, kind, state| LoadTarget {
            id,
            contract: 1,
            ej: ej.into(),
            site: site.map(str::to_owned),
            indicator: ind.into(),
            kind,
            state,
            row_version: 1,
        };
        let targets = vec![
            target(1, "300780038", None, "IND-DMS", IndicatorKind::Count, Draft),
            target(
                2,
                "300780038",
                Some("300000049"),
                "IND-TX",
                IndicatorKind::Rate,
                ToDo,
            ),
            target(
                3,
                "300780038",
                None,
                "IND-CERT",
                IndicatorKind::YesNo,
                Validated,
            ),
            target(
                4,
                "340780477",
                None,
                "IND-DMS",
                IndicatorKind::Count,
                Returned,
            ),
        ];
        let line = |n, finess: &str, ind: &str, v: Option<&str>, num: Option<&str>| BulkLine {
            line: n,
            finess: finess.into(),
            indicator: ind.into(),
            year: Some("2026".into()),
            value: v.map(str::to_owned),
            numerator: num.map(str::to_owned),
            denominator: num.map(|_| "200".to_owned()),
        };
        let good = vec![
            line(2, "300780038", "IND-DMS", Some("5,4"), None),
            line(3, "300000049", "IND-TX", None, Some("150")),
            line(4, "340780477", "IND-DMS", Some("1 204"), None),
        ];
        let plan = plan_bulk(2026, &good, &targets).expect("valid file");
        assert_eq!(plan.len(), 3);
        assert_eq!(plan[1].declaration, 2);
        assert_eq!(plan[1].value.display(), "150 / 200 = 75\u{a0}%");
        assert_eq!(plan[2].value, Value::Number { value: 1204.0 });

        let mut wrong_year = line(9, "340780477", "IND-DMS", Some("3"), None);
        wrong_year.year = Some("2025".into());
        let bad = vec![
            line(2, "300780038", "IND-DMS", Some("douze"), None),
            line(3, "300780038", "IND-TX", None, Some("150")),
            line(4, "300780038", "IND-CERT", Some("oui"), None),
            line(5, "999999999", "IND-DMS", Some("3"), None),
            line(6, "340780477", "IND-TX", Some("3"), None),
            line(7, "340780477", "IND-DMS", Some("3"), None),
            line(8, "340780477", "IND-DMS", Some("4"), None),
            wrong_year,
            line(10, "300000049", "IND-TX", Some("75"), None),
        ];
        let errors = plan_bulk(2026, &bad, &targets).expect_err("every line is wrong but 7");
        let shown: Vec<String> = errors.iter().map(ToString::to_string).collect();
        assert_eq!(
            shown,
            [
                "ligne 2, colonne valeur : Valeur : « douze » n'est pas un nombre (exemple : 1 234,5)",
                "ligne 3 : l'indicateur IND-TX est suivi par site pour l'entité 300780038 : \
                 indiquez le FINESS de chaque site",
                "ligne 4 : déclaration déjà validée : l'ARS la rouvre avant d'y charger une valeur",
                "ligne 5 : FINESS 999999999 : aucun contrat suivi dans cette campagne",
                "ligne 6 : l'indicateur IND-TX n'est pas suivi pour 340780477 dans cette campagne",
                "ligne 8 : même déclaration que la ligne 7 (340780477, IND-DMS)",
                "ligne 9, colonne annee : année « 2025 » : la campagne suit l'année 2026",
                "ligne 10, colonne valeur : l'indicateur IND-TX est un taux : remplissez les \
                 colonnes numerateur et denominateur",
            ]
        );
        assert!(plan_bulk(2026, &[], &targets).is_err(), "an empty file");
    }

    #[test]
    fn evidence_is_recognised_by_its_content_not_its_name() {
        let max = 1024 * 1024;
        assert_eq!(
            check_evidence("a.pdf", b"%PDF-1.7 ...", max),
            Ok(EvidenceType::Pdf)
        );
        assert_eq!(
            check_evidence(
                "tableau.csv",
                "finess;valeur\n340780477;12\n".as_bytes(),
                max
            ),
            Ok(EvidenceType::Text)
        );
        let html = b"<!DOCTYPE html><html><script>alert(1)</script></html>";
        let e = check_evidence("rapport.pdf", html, max).expect_err("html renamed .pdf");
        assert!(e.starts_with("rapport.pdf : une page web"), "{e}");
        let e = check_evidence("gros.pdf", &vec![b'%'; max + 1], max).expect_err("too big");
        assert_eq!(e, "gros.pdf : fichier trop volumineux (1 Mo au plus)");
        assert!(check_evidence("x.bin", &[0x00, 0xFF, 0xFE, 0x01], max).is_err());
        assert!(check_evidence("vide.pdf", b"", max).is_err());
    }
}
