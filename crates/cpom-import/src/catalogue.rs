//! The catalogue text format (`docs/catalogue-format.md`): a TOML file, read into the domain
//! [`Catalogue`] with every problem located (line, column, item, field) and in French, and
//! written back in a canonical, diff-friendly layout that reads back to the same catalogue.

use std::collections::HashMap;
use std::fmt;
use std::ops::Range;

use cpom_domain::FinessId;
use cpom_domain::RegionCode;
use cpom_domain::catalogue::{
    Applicability, Catalogue, CatalogueKind, DataSource, Frequency, Indicator, IndicatorKind,
    ModelAction, Objective, Orientation, PartialRule, Question, Target, TargetBand, TargetRule,
    TargetYear,
};
use serde::{Deserialize, Serialize};
use toml::Spanned;

/// The catalogues shipped with cpom (`catalogues/` in the repository): slug and text.
pub const SHIPPED: [(&str, &str); 3] = [
    (
        "occitanie-2025-2029",
        include_str!("../../../catalogues/occitanie-2025-2029.toml"),
    ),
    (
        "aura-2020-2024",
        include_str!("../../../catalogues/aura-2020-2024.toml"),
    ),
    (
        "idf-positionnement-territorial",
        include_str!("../../../catalogues/idf-positionnement-territorial.toml"),
    ),
];

/// Version of the format written by this code.
pub const FORMAT_VERSION: i64 = 1;

/// One problem of a catalogue file, with its place.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CatalogueError {
    /// 1-based line in the file (0 when the problem has no place in the text).
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// The item and field, in French: "indicateur « CPOM_CT_1 », cible n° 2, champ « rule »".
    pub place: String,
    /// What is wrong, in French.
    pub message: String,
}

impl fmt::Display for CatalogueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line > 0 {
            write!(f, "ligne {}, colonne {}", self.line, self.column)?;
            if !self.place.is_empty() {
                write!(f, " ({})", self.place)?;
            }
        } else {
            f.write_str(&self.place)?;
        }
        write!(f, " : {}", self.message)
    }
}

impl std::error::Error for CatalogueError {}

// ----- The file as written ---------------------------------------------------------------

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileCatalogue {
    format: Spanned<i64>,
    slug: Spanned<String>,
    title: Spanned<String>,
    region: Spanned<String>,
    generation: Spanned<String>,
    start_year: Spanned<i32>,
    end_year: Spanned<i32>,
    kind: Spanned<String>,
    source: Option<String>,
    partial_threshold: Option<Spanned<f64>>,
    notes: Option<String>,
    #[serde(default)]
    orientation: Vec<FileOrientation>,
    #[serde(default)]
    objective: Vec<FileObjective>,
    #[serde(default)]
    action: Vec<FileAction>,
    #[serde(default)]
    indicator: Vec<FileIndicator>,
    #[serde(default)]
    question: Vec<FileQuestion>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileOrientation {
    code: Spanned<String>,
    title: String,
    description: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileObjective {
    code: Spanned<String>,
    orientation: Spanned<String>,
    title: String,
    description: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileAction {
    code: Spanned<String>,
    objective: Spanned<String>,
    title: String,
    #[serde(default)]
    mandatory: bool,
    #[serde(default)]
    title_locked: bool,
    applies_to: Option<String>,
    applies_if: Option<Spanned<String>>,
    description: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileIndicator {
    code: Spanned<String>,
    action: Spanned<String>,
    title: String,
    objective_text: Option<String>,
    context: Option<String>,
    definition: Option<String>,
    kind: Spanned<String>,
    unit: Option<String>,
    numerator: Option<String>,
    denominator: Option<String>,
    formula: Option<String>,
    source: Option<Spanned<String>>,
    source_detail: Option<String>,
    frequency: Option<Spanned<String>>,
    measure_period: Option<String>,
    reference_period: Option<String>,
    partners: Option<String>,
    steering: Option<String>,
    support: Option<String>,
    follow_up: Option<String>,
    evidence: Option<String>,
    comment_help: Option<String>,
    #[serde(default)]
    target: Vec<FileTarget>,
}

#[derive(Deserialize, Serialize, Clone)]
#[serde(untagged)]
enum FileYear {
    Year(i64),
    Text(String),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileTarget {
    band: Spanned<String>,
    finess: Option<Spanned<String>>,
    year: Spanned<FileYear>,
    text: Spanned<String>,
    rule: Spanned<String>,
    #[serde(default)]
    to_confirm: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileQuestion {
    code: Spanned<String>,
    objective: Spanned<String>,
    text: String,
}

// ----- Reading ---------------------------------------------------------------------------

/// Key of a place: list, item index, target index, field.
type PlaceKey = (&'static str, Option<usize>, Option<usize>, &'static str);

/// Byte offsets → line and column, and the spans of the fields read.
struct Locator<'a> {
    text: &'a str,
    spans: HashMap<PlaceKey, Range<usize>>,
    names: HashMap<(&'static str, usize), String>,
}

impl Locator<'_> {
    fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let before = &self.text[..self.text.floor_char_boundary(offset)];
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        (line, column)
    }

    fn describe(&self, key: PlaceKey) -> String {
        let (list, index, target, field) = key;
        let mut out = match (list, index) {
            ("header", _) | (_, None) => "en-tête".to_owned(),
            (list, Some(i)) => {
                let noun = match list {
                    "orientation" => "orientation",
                    "objective" => "objectif",
                    "action" => "action",
                    "indicator" => "indicateur",
                    "question" => "question",
                    other => other,
                };
                match self.names.get(&(list, i)) {
                    Some(code) => format!("{noun} « {code} »"),
                    None => format!("{noun} n° {}", i + 1),
                }
            }
        };
        if let Some(t) = target {
            out.push_str(&format!(", cible n° {}", t + 1));
        }
        out.push_str(&format!(", champ « {field} »"));
        out
    }

    /// An error at a field; its span, else the item's code, else the start of the file.
    fn error(
        &self,
        key: PlaceKey,
        extra_columns: usize,
        message: impl Into<String>,
    ) -> CatalogueError {
        let (list, index, target, _) = key;
        let span = self
            .spans
            .get(&key)
            .or_else(|| target.and_then(|_| self.spans.get(&(list, index, target, "band"))))
            .or_else(|| self.spans.get(&(list, index, None, "code")))
            .or_else(|| self.spans.get(&("header", None, None, "slug")));
        let (line, column) = span.map_or((1, 1), |s| self.line_col(s.start));
        CatalogueError {
            line,
            column: column + extra_columns,
            place: self.describe(key),
            message: message.into(),
        }
    }
}

/// Turns a TOML error message into French.
fn toml_message(raw: &str) -> String {
    let raw = raw.trim();
    let between = |s: &str| -> String { s.split('`').nth(1).unwrap_or_default().to_owned() };
    if raw.starts_with("missing field") {
        format!("champ « {} » manquant", between(raw))
    } else if raw.starts_with("unknown field") {
        let expected: Vec<String> = raw
            .split("expected")
            .nth(1)
            .unwrap_or_default()
            .split('`')
            .skip(1)
            .step_by(2)
            .map(str::to_owned)
            .collect();
        format!(
            "champ « {} » inconnu (champs possibles : {})",
            between(raw),
            expected.join(", ")
        )
    } else if raw.starts_with("invalid type") {
        format!("type de valeur invalide ({raw})")
    } else if raw.contains("duplicate key") {
        format!("clé en double ({raw})")
    } else {
        format!("TOML invalide : {raw}")
    }
}

fn text_opt(s: Option<String>) -> Option<String> {
    s.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

/// Reads a catalogue file; all the problems found, located, when it is not valid.
pub fn read_toml(text: &str) -> Result<Catalogue, Vec<CatalogueError>> {
    let file: FileCatalogue = match toml::from_str(text) {
        Ok(f) => f,
        Err(e) => {
            let loc = Locator {
                text,
                spans: HashMap::new(),
                names: HashMap::new(),
            };
            let (line, column) = e.span().map_or((1, 1), |s| loc.line_col(s.start));
            return Err(vec![CatalogueError {
                line,
                column,
                place: String::new(),
                message: toml_message(e.message()),
            }]);
        }
    };
    let mut loc = Locator {
        text,
        spans: HashMap::new(),
        names: HashMap::new(),
    };
    let mut errors = Vec::new();
    let h = |field| ("header", None, None, field);
    for (field, span) in [
        ("format", file.format.span()),
        ("slug", file.slug.span()),
        ("title", file.title.span()),
        ("region", file.region.span()),
        ("generation", file.generation.span()),
        ("start_year", file.start_year.span()),
        ("end_year", file.end_year.span()),
        ("kind", file.kind.span()),
    ] {
        loc.spans.insert(h(field), span);
    }
    if *file.format.get_ref() != FORMAT_VERSION {
        errors.push(loc.error(
            h("format"),
            0,
            format!(
                "version de format {} inconnue (cette version de cpom lit la version {FORMAT_VERSION})",
                file.format.get_ref()
            ),
        ));
    }
    let region = RegionCode::parse(file.region.get_ref().trim());
    if region.is_err() {
        errors.push(loc.error(
            h("region"),
            0,
            format!("code de région « {} » inconnu", file.region.get_ref()),
        ));
    }
    let kind = CatalogueKind::parse(file.kind.get_ref().trim());
    if kind.is_none() {
        errors.push(loc.error(
            h("kind"),
            0,
            format!(
                "type « {} » inconnu (engagements ou diagnostic)",
                file.kind.get_ref()
            ),
        ));
    }
    let partial = match &file.partial_threshold {
        None => None,
        Some(p) => {
            loc.spans.insert(h("partial_threshold"), p.span());
            match PartialRule::new(*p.get_ref()) {
                Ok(r) => Some(r),
                Err(m) => {
                    errors.push(loc.error(h("partial_threshold"), 0, m));
                    None
                }
            }
        }
    };

    let mut orientations = Vec::new();
    for (i, o) in file.orientation.into_iter().enumerate() {
        loc.spans
            .insert(("orientation", Some(i), None, "code"), o.code.span());
        loc.names
            .insert(("orientation", i), o.code.get_ref().trim().to_owned());
        orientations.push(Orientation {
            code: o.code.into_inner().trim().to_owned(),
            title: o.title.trim().to_owned(),
            description: text_opt(o.description),
        });
    }
    let mut objectives = Vec::new();
    for (i, o) in file.objective.into_iter().enumerate() {
        let key = |f| ("objective", Some(i), None, f);
        loc.spans.insert(key("code"), o.code.span());
        loc.spans.insert(key("orientation"), o.orientation.span());
        loc.names
            .insert(("objective", i), o.code.get_ref().trim().to_owned());
        objectives.push(Objective {
            code: o.code.into_inner().trim().to_owned(),
            orientation: o.orientation.into_inner().trim().to_owned(),
            title: o.title.trim().to_owned(),
            description: text_opt(o.description),
        });
    }
    let mut actions = Vec::new();
    for (i, a) in file.action.into_iter().enumerate() {
        let key = |f| ("action", Some(i), None, f);
        loc.spans.insert(key("code"), a.code.span());
        loc.spans.insert(key("objective"), a.objective.span());
        loc.names
            .insert(("action", i), a.code.get_ref().trim().to_owned());
        let applies_if = match a.applies_if {
            None => None,
            Some(rule) => {
                loc.spans.insert(key("applies_if"), rule.span());
                match Applicability::parse(rule.get_ref()) {
                    Ok(r) => Some(r),
                    Err(e) => {
                        // The span starts at the opening quote: column 1 of the rule is
                        // one character after it.
                        errors.push(loc.error(key("applies_if"), e.column, e.message));
                        None
                    }
                }
            }
        };
        actions.push(ModelAction {
            code: a.code.into_inner().trim().to_owned(),
            objective: a.objective.into_inner().trim().to_owned(),
            title: a.title.trim().to_owned(),
            mandatory: a.mandatory,
            title_locked: a.title_locked,
            applies_to: text_opt(a.applies_to),
            applies_if,
            description: text_opt(a.description),
        });
    }
    let mut indicators = Vec::new();
    // Indicators whose kind is unknown: their rules are not checked against it.
    let mut bad_kinds = Vec::new();
    for (i, ind) in file.indicator.into_iter().enumerate() {
        let key = |f| ("indicator", Some(i), None, f);
        loc.spans.insert(key("code"), ind.code.span());
        loc.spans.insert(key("action"), ind.action.span());
        loc.spans.insert(key("kind"), ind.kind.span());
        loc.names
            .insert(("indicator", i), ind.code.get_ref().trim().to_owned());
        let kind = IndicatorKind::parse(ind.kind.get_ref().trim()).unwrap_or_else(|| {
            bad_kinds.push(i);
            errors.push(loc.error(
                key("kind"),
                0,
                format!(
                    "type « {} » inconnu ({})",
                    ind.kind.get_ref(),
                    IndicatorKind::ALL.map(IndicatorKind::as_str).join(", ")
                ),
            ));
            IndicatorKind::Text
        });
        let source = ind.source.and_then(|s| {
            loc.spans.insert(key("source"), s.span());
            DataSource::parse(s.get_ref().trim()).or_else(|| {
                errors.push(loc.error(
                    key("source"),
                    0,
                    format!(
                        "source « {} » inconnue ({})",
                        s.get_ref(),
                        DataSource::ALL.map(DataSource::as_str).join(", ")
                    ),
                ));
                None
            })
        });
        let frequency = ind.frequency.and_then(|s| {
            loc.spans.insert(key("frequency"), s.span());
            Frequency::parse(s.get_ref().trim()).or_else(|| {
                errors.push(loc.error(
                    key("frequency"),
                    0,
                    format!(
                        "fréquence « {} » inconnue ({})",
                        s.get_ref(),
                        Frequency::ALL.map(Frequency::as_str).join(", ")
                    ),
                ));
                None
            })
        });
        let mut targets = Vec::new();
        for (t, ft) in ind.target.into_iter().enumerate() {
            let tkey = |f| ("indicator", Some(i), Some(t), f);
            loc.spans.insert(tkey("band"), ft.band.span());
            loc.spans.insert(tkey("year"), ft.year.span());
            loc.spans.insert(tkey("text"), ft.text.span());
            loc.spans.insert(tkey("rule"), ft.rule.span());
            let band = match TargetBand::parse(ft.band.get_ref()) {
                Ok(b) => b,
                Err(m) => {
                    errors.push(loc.error(tkey("band"), 0, m));
                    continue;
                }
            };
            let finess = match ft.finess {
                None => None,
                Some(f) => {
                    loc.spans.insert(tkey("finess"), f.span());
                    match FinessId::parse(f.get_ref()) {
                        Ok(id) => Some(id),
                        Err(_) => {
                            errors.push(loc.error(
                                tkey("finess"),
                                0,
                                format!("numéro FINESS invalide « {} »", f.get_ref()),
                            ));
                            None
                        }
                    }
                }
            };
            let year = match ft.year.get_ref() {
                FileYear::Year(y) if i32::try_from(*y).is_ok() => TargetYear::Year(*y as i32),
                FileYear::Text(s) if s.trim() == "total" => TargetYear::Total,
                _ => {
                    errors.push(loc.error(
                        tkey("year"),
                        0,
                        "année attendue (un nombre, ou \"total\" pour toute la période)",
                    ));
                    continue;
                }
            };
            let rule = match TargetRule::parse(ft.rule.get_ref()) {
                Ok(r) => r,
                Err(e) => {
                    // Same: the span starts at the opening quote.
                    errors.push(loc.error(tkey("rule"), e.column, e.message));
                    continue;
                }
            };
            targets.push(Target {
                band,
                finess,
                year,
                text: ft.text.into_inner().trim().to_owned(),
                rule,
                to_confirm: ft.to_confirm,
            });
        }
        indicators.push(Indicator {
            code: ind.code.into_inner().trim().to_owned(),
            action: ind.action.into_inner().trim().to_owned(),
            title: ind.title.trim().to_owned(),
            objective_text: text_opt(ind.objective_text),
            context: text_opt(ind.context),
            definition: text_opt(ind.definition),
            kind,
            unit: text_opt(ind.unit),
            numerator: text_opt(ind.numerator),
            denominator: text_opt(ind.denominator),
            formula: text_opt(ind.formula),
            source,
            source_detail: text_opt(ind.source_detail),
            frequency,
            measure_period: text_opt(ind.measure_period),
            reference_period: text_opt(ind.reference_period),
            partners: text_opt(ind.partners),
            steering: text_opt(ind.steering),
            support: text_opt(ind.support),
            follow_up: text_opt(ind.follow_up),
            evidence: text_opt(ind.evidence),
            comment_help: text_opt(ind.comment_help),
            targets,
        });
    }
    let mut questions = Vec::new();
    for (i, q) in file.question.into_iter().enumerate() {
        let key = |f| ("question", Some(i), None, f);
        loc.spans.insert(key("code"), q.code.span());
        loc.spans.insert(key("objective"), q.objective.span());
        loc.names
            .insert(("question", i), q.code.get_ref().trim().to_owned());
        questions.push(Question {
            code: q.code.into_inner().trim().to_owned(),
            objective: q.objective.into_inner().trim().to_owned(),
            text: q.text.trim().to_owned(),
        });
    }
    let (Ok(region), Some(kind)) = (region, kind) else {
        return Err(errors);
    };
    let catalogue = Catalogue {
        slug: file.slug.into_inner().trim().to_owned(),
        title: file.title.into_inner().trim().to_owned(),
        region,
        generation: file.generation.into_inner().trim().to_owned(),
        start_year: file.start_year.into_inner(),
        end_year: file.end_year.into_inner(),
        kind,
        source: text_opt(file.source),
        partial,
        notes: text_opt(file.notes),
        orientations,
        objectives,
        actions,
        indicators,
        questions,
    };
    for p in catalogue.validate() {
        if p.place.list == "indicator"
            && p.place.field == "rule"
            && p.place.index.is_some_and(|i| bad_kinds.contains(&i))
        {
            continue;
        }
        let key = (p.place.list, p.place.index, p.place.target, p.place.field);
        errors.push(loc.error(key, 0, p.message));
    }
    if errors.is_empty() {
        Ok(catalogue)
    } else {
        errors.sort_by_key(|e| (e.line, e.column));
        Err(errors)
    }
}

// ----- Writing ---------------------------------------------------------------------------

#[derive(Serialize)]
struct OutCatalogue<'a> {
    format: i64,
    slug: &'a str,
    title: &'a str,
    region: &'a str,
    generation: &'a str,
    start_year: i32,
    end_year: i32,
    kind: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    source: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    partial_threshold: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    notes: Option<&'a str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    orientation: Vec<OutOrientation<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    objective: Vec<OutObjective<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    action: Vec<OutAction<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    indicator: Vec<OutIndicator<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    question: Vec<OutQuestion<'a>>,
}

#[derive(Serialize)]
struct OutOrientation<'a> {
    code: &'a str,
    title: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<&'a str>,
}

#[derive(Serialize)]
struct OutObjective<'a> {
    code: &'a str,
    orientation: &'a str,
    title: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<&'a str>,
}

fn is_false(b: &bool) -> bool {
    !*b
}

#[derive(Serialize)]
struct OutAction<'a> {
    code: &'a str,
    objective: &'a str,
    title: &'a str,
    #[serde(skip_serializing_if = "is_false")]
    mandatory: bool,
    #[serde(skip_serializing_if = "is_false")]
    title_locked: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    applies_to: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    applies_if: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<&'a str>,
}

#[derive(Serialize)]
struct OutIndicator<'a> {
    code: &'a str,
    action: &'a str,
    title: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    objective_text: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    context: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    definition: Option<&'a str>,
    kind: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    unit: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    numerator: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    denominator: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    formula: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    source: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    source_detail: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    frequency: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    measure_period: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reference_period: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    partners: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    steering: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    support: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    follow_up: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    evidence: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    comment_help: Option<&'a str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    target: Vec<OutTarget<'a>>,
}

#[derive(Serialize)]
struct OutTarget<'a> {
    band: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    finess: Option<&'a str>,
    year: FileYear,
    text: &'a str,
    rule: String,
    #[serde(skip_serializing_if = "is_false")]
    to_confirm: bool,
}

#[derive(Serialize)]
struct OutQuestion<'a> {
    code: &'a str,
    objective: &'a str,
    text: &'a str,
}

/// Writes a catalogue in the text format (canonical: reading it back gives the same
/// catalogue, and writing that again the same text).
pub fn write_toml(c: &Catalogue) -> String {
    let out = OutCatalogue {
        format: FORMAT_VERSION,
        slug: &c.slug,
        title: &c.title,
        region: c.region.as_str(),
        generation: &c.generation,
        start_year: c.start_year,
        end_year: c.end_year,
        kind: c.kind.as_str(),
        source: c.source.as_deref(),
        partial_threshold: c.partial.map(|p| p.percent),
        notes: c.notes.as_deref(),
        orientation: c
            .orientations
            .iter()
            .map(|o| OutOrientation {
                code: &o.code,
                title: &o.title,
                description: o.description.as_deref(),
            })
            .collect(),
        objective: c
            .objectives
            .iter()
            .map(|o| OutObjective {
                code: &o.code,
                orientation: &o.orientation,
                title: &o.title,
                description: o.description.as_deref(),
            })
            .collect(),
        action: c
            .actions
            .iter()
            .map(|a| OutAction {
                code: &a.code,
                objective: &a.objective,
                title: &a.title,
                mandatory: a.mandatory,
                title_locked: a.title_locked,
                applies_to: a.applies_to.as_deref(),
                applies_if: a.applies_if.as_ref().map(ToString::to_string),
                description: a.description.as_deref(),
            })
            .collect(),
        indicator: c.indicators.iter().map(out_indicator).collect(),
        question: c
            .questions
            .iter()
            .map(|q| OutQuestion {
                code: &q.code,
                objective: &q.objective,
                text: &q.text,
            })
            .collect(),
    };
    let body = toml::to_string_pretty(&out).unwrap_or_else(|e| {
        // Every field is a string, a number or a boolean: serialisation cannot fail.
        unreachable!("catalogue serialisation: {e}")
    });
    format!("# Catalogue cpom, format {FORMAT_VERSION} : voir docs/catalogue-format.md\n{body}")
}

fn out_indicator(i: &Indicator) -> OutIndicator<'_> {
    OutIndicator {
        code: &i.code,
        action: &i.action,
        title: &i.title,
        objective_text: i.objective_text.as_deref(),
        context: i.context.as_deref(),
        definition: i.definition.as_deref(),
        kind: i.kind.as_str(),
        unit: i.unit.as_deref(),
        numerator: i.numerator.as_deref(),
        denominator: i.denominator.as_deref(),
        formula: i.formula.as_deref(),
        source: i.source.map(DataSource::as_str),
        source_detail: i.source_detail.as_deref(),
        frequency: i.frequency.map(Frequency::as_str),
        measure_period: i.measure_period.as_deref(),
        reference_period: i.reference_period.as_deref(),
        partners: i.partners.as_deref(),
        steering: i.steering.as_deref(),
        support: i.support.as_deref(),
        follow_up: i.follow_up.as_deref(),
        evidence: i.evidence.as_deref(),
        comment_help: i.comment_help.as_deref(),
        target: i
            .targets
            .iter()
            .map(|t| OutTarget {
                band: t.band.as_str(),
                finess: t.finess.as_ref().map(FinessId::as_str),
                year: match t.year {
                    TargetYear::Year(y) => FileYear::Year(i64::from(y)),
                    TargetYear::Total => FileYear::Text("total".into()),
                },
                text: &t.text,
                rule: t.rule.to_string(),
                to_confirm: t.to_confirm,
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMALL: &str = r#"
format = 1
slug = "test-2025-2029"
title = "Test"
region = "76"
generation = "2025-2029"
start_year = 2025
end_year = 2029
kind = "engagements"
partial_threshold = 50

[[orientation]]
code = "1"
title = "Coopérations"

[[objective]]
code = "1.1"
orientation = "1"
title = "Travailler ensemble"

[[action]]
code = "1.1-1"
objective = "1.1"
title = "Coopérer"
mandatory = true
applies_if = "statut public et autorisation \"urgence\""

[[indicator]]
code = "I1"
action = "1.1-1"
title = "Nombre de protocoles"
kind = "count"
definition = """
Première ligne.
Deuxième ligne."""

[[indicator.target]]
band = "all"
year = 2026
text = "+1 protocole"
rule = "+1 vs N-1"

[[indicator.target]]
band = "CHU 30"
finess = "300780038"
year = "total"
text = "5 sur la période"
rule = "cumul >= 5"
to_confirm = true
"#;

    #[test]
    fn the_shipped_catalogues_are_valid_and_named_by_their_slug() {
        for (slug, text) in SHIPPED {
            let c = read_toml(text).unwrap_or_else(|e| panic!("{slug}: {e:?}"));
            assert_eq!(c.slug, slug);
        }
    }

    #[test]
    fn a_valid_file_is_read_with_every_field() {
        let c = read_toml(SMALL).expect("valid");
        assert_eq!(c.slug, "test-2025-2029");
        assert_eq!(c.partial.map(|p| p.percent), Some(50.0));
        assert!(c.actions[0].mandatory);
        assert!(c.actions[0].applies_if.is_some());
        let i = &c.indicators[0];
        assert_eq!(
            i.definition.as_deref(),
            Some("Première ligne.\nDeuxième ligne.")
        );
        assert_eq!(i.targets.len(), 2);
        assert_eq!(i.targets[1].band, TargetBand::Named("CHU 30".into()));
        assert_eq!(i.targets[1].year, TargetYear::Total);
        assert!(i.targets[1].to_confirm);
    }

    #[test]
    fn writing_then_reading_gives_the_same_catalogue_and_text() {
        let c = read_toml(SMALL).expect("valid");
        let text = write_toml(&c);
        let back = read_toml(&text).expect("written text reads back");
        assert_eq!(back, c);
        assert_eq!(write_toml(&back), text);
    }

    #[test]
    fn a_bad_rule_is_located_at_its_line_and_column() {
        let bad = SMALL.replace("rule = \"cumul >= 5\"", "rule = \"cumul >= cinq\"");
        let errs = read_toml(&bad).expect_err("bad rule");
        assert_eq!(errs.len(), 1, "{errs:?}");
        let e = &errs[0];
        let line = bad
            .lines()
            .position(|l| l.contains("cumul >= cinq"))
            .expect("line")
            + 1;
        assert_eq!(e.line, line);
        // `rule = "` is 8 characters; the number starts at character 10 of the rule.
        assert_eq!(e.column, 8 + 10);
        assert_eq!(e.place, "indicateur « I1 », cible n° 2, champ « rule »");
        assert!(e.message.contains("nombre attendu"), "{e}");
        assert!(
            e.to_string()
                .starts_with(&format!("ligne {line}, colonne 18"))
        );
    }

    #[test]
    fn unknown_fields_and_parents_are_reported_in_french() {
        let bad = SMALL.replace("mandatory = true", "mandatroy = true");
        let errs = read_toml(&bad).expect_err("typo");
        assert!(
            errs[0].message.starts_with("champ « mandatroy » inconnu"),
            "{errs:?}"
        );
        assert!(errs[0].message.contains("mandatory"));
        let bad = SMALL.replace(
            "objective = \"1.1\"\ntitle = \"Coopérer\"",
            "objective = \"9.9\"\ntitle = \"Coopérer\"",
        );
        let errs = read_toml(&bad).expect_err("unknown parent");
        assert_eq!(errs[0].message, "objectif « 9.9 » inconnu");
        assert_eq!(errs[0].place, "action « 1.1-1 », champ « objective »");
        let bad = SMALL.replace("title = \"Test\"\n", "");
        let errs = read_toml(&bad).expect_err("missing title");
        assert_eq!(errs[0].message, "champ « title » manquant");
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let bad = SMALL
            .replace("kind = \"count\"", "kind = \"nombre\"")
            .replace("year = 2026", "year = 2031")
            .replace("statut public", "statut publique");
        let errs = read_toml(&bad).expect_err("three problems");
        let fields: Vec<&str> = errs
            .iter()
            .map(|e| e.place.rsplit('«').next().unwrap_or(""))
            .collect();
        assert_eq!(errs.len(), 3, "{errs:?} {fields:?}");
        assert!(errs.windows(2).all(|w| w[0].line <= w[1].line));
    }

    #[test]
    fn a_file_that_is_not_toml_is_refused_with_its_place() {
        let errs = read_toml("format = 1\nslug = = \"x\"\n").expect_err("not toml");
        assert_eq!(errs[0].line, 2);
        assert!(errs[0].message.starts_with("TOML invalide"), "{errs:?}");
    }
}
