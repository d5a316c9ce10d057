//! Regional action plans (issue 8), the pure part: the levels of a plan's tree, the
//! configured statuses and pilots, dates at day or year precision with their checks, lateness,
//! and the building of a plan's tree from the rows of an imported table (one row per action
//! or sub-action, as in the agencies' spreadsheets), with every error at its row and column.
//! No I/O.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::DomainError;

/// The levels of a plan, from the root.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// Thématique.
    Theme,
    /// Axe.
    Axis,
    /// Objectif.
    Objective,
    /// Action.
    Action,
    /// Sous-action.
    SubAction,
}

impl Level {
    /// Every level, from the root.
    pub const ALL: [Level; 5] = [
        Level::Theme,
        Level::Axis,
        Level::Objective,
        Level::Action,
        Level::SubAction,
    ];

    /// Stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Theme => "theme",
            Level::Axis => "axis",
            Level::Objective => "objective",
            Level::Action => "action",
            Level::SubAction => "sub_action",
        }
    }

    /// Parses the stored form.
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|l| l.as_str() == raw.trim())
    }

    /// French label.
    pub fn label(self) -> &'static str {
        match self {
            Level::Theme => "Thématique",
            Level::Axis => "Axe",
            Level::Objective => "Objectif",
            Level::Action => "Action",
            Level::SubAction => "Sous-action",
        }
    }

    /// Whether items of this level carry a pilot, a status and dates (objectives, actions
    /// and sub-actions).
    pub fn followed(self) -> bool {
        self >= Level::Objective
    }
}

/// A status of a region's list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusDef {
    /// Stable code.
    pub code: String,
    /// French label.
    pub label: String,
    /// Whether an item with this status is over (never late).
    pub closed: bool,
}

/// The statuses of a region that configured none.
pub fn default_statuses() -> Vec<StatusDef> {
    [
        ("a_debuter", "à débuter", false),
        ("en_cours", "en cours", false),
        ("terminee", "terminée", true),
        ("suspendue", "suspendue/reportée", false),
    ]
    .into_iter()
    .map(|(code, label, closed)| StatusDef {
        code: code.into(),
        label: label.into(),
        closed,
    })
    .collect()
}

/// The pilots of a region that configured none (lead first in a co-pilotage).
pub fn default_pilots() -> Vec<String> {
    vec!["ARS".into(), "AM".into()]
}

/// A text made comparable: lower case, without accents, spaces collapsed.
fn fold(raw: &str) -> String {
    raw.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
        .chars()
        .map(|c| match c {
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'à' | 'â' | 'ä' => 'a',
            'î' | 'ï' => 'i',
            'ô' | 'ö' => 'o',
            'û' | 'ù' | 'ü' => 'u',
            'ç' => 'c',
            c => c,
        })
        .collect()
}

/// Reads a status typed or imported: its code or label (case and accents aside); `None`
/// when unset — empty, or the spreadsheets' unfilled dropdown "Sélectionner".
pub fn parse_status(raw: &str, statuses: &[StatusDef]) -> Result<Option<String>, String> {
    let f = fold(raw);
    if f.is_empty() || f == "selectionner" {
        return Ok(None);
    }
    statuses
        .iter()
        .find(|s| fold(&s.code) == f || fold(&s.label) == f)
        .map(|s| Some(s.code.clone()))
        .ok_or_else(|| {
            format!(
                "statut « {} » inconnu (possibles : {})",
                raw.trim(),
                statuses
                    .iter()
                    .map(|s| s.label.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })
}

/// Reads pilots typed `ARS`, `ARS/AM`, `AM / ARS`… (lead first): each one of the region's
/// configured pilots, once; empty when unset.
pub fn parse_pilots(raw: &str, known: &[String]) -> Result<Vec<String>, String> {
    let mut out: Vec<String> = vec![];
    for part in raw.split('/').map(str::trim).filter(|p| !p.is_empty()) {
        let Some(p) = known.iter().find(|k| k.eq_ignore_ascii_case(part)) else {
            return Err(format!(
                "pilote « {part} » inconnu (possibles : {}, séparés par « / », le pilote principal d'abord)",
                known.join(", ")
            ));
        };
        if out.contains(p) {
            return Err(format!("pilote « {p} » cité deux fois"));
        }
        out.push(p.clone());
    }
    Ok(out)
}

/// A date of a plan, at day or year precision ("2018" as printed in the spreadsheets).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "precision", content = "value", rename_all = "snake_case")]
pub enum PlanDate {
    /// A day.
    Day(NaiveDate),
    /// A year.
    Year(i32),
}

impl PlanDate {
    /// Reads `jj/mm/aaaa`, `aaaa-mm-jj` or `aaaa` (1900 to 2100); `None` when empty.
    pub fn parse(raw: &str) -> Result<Option<Self>, String> {
        let v = raw.trim();
        if v.is_empty() {
            return Ok(None);
        }
        if v.len() == 4 && v.bytes().all(|b| b.is_ascii_digit()) {
            let y: i32 = v
                .parse()
                .map_err(|_| format!("« {v} » n'est pas une année"))?;
            if !(1900..=2100).contains(&y) {
                return Err(format!("année {y} hors de la plage 1900–2100"));
            }
            return Ok(Some(PlanDate::Year(y)));
        }
        crate::territory::parse_date("date", "date", v)
            .map(|d| Some(PlanDate::Day(d)))
            .map_err(|_| format!("« {v} » n'est pas une date (jj/mm/aaaa, aaaa-mm-jj ou aaaa)"))
    }

    /// The first day it may mean.
    pub fn first_day(self) -> NaiveDate {
        match self {
            PlanDate::Day(d) => d,
            PlanDate::Year(y) => NaiveDate::from_ymd_opt(y, 1, 1).unwrap_or(NaiveDate::MIN),
        }
    }

    /// The last day it may mean.
    pub fn last_day(self) -> NaiveDate {
        match self {
            PlanDate::Day(d) => d,
            PlanDate::Year(y) => NaiveDate::from_ymd_opt(y, 12, 31).unwrap_or(NaiveDate::MAX),
        }
    }

    /// As shown: `jj/mm/aaaa` or `aaaa`.
    pub fn display(self) -> String {
        match self {
            PlanDate::Day(d) => crate::territory::date_fr(d),
            PlanDate::Year(y) => y.to_string(),
        }
    }

    /// The year.
    pub fn year(self) -> i32 {
        match self {
            PlanDate::Day(d) => d.year(),
            PlanDate::Year(y) => y,
        }
    }
}

/// Checks that a start is not after an end (a year is compared by its first and last days).
pub fn check_period(start: Option<PlanDate>, end: Option<PlanDate>) -> Result<(), String> {
    match (start, end) {
        (Some(s), Some(e)) if s.first_day() > e.last_day() => Err(format!(
            "la date de début ({}) est après la date de fin ({})",
            s.display(),
            e.display()
        )),
        _ => Ok(()),
    }
}

/// A warning when an item's period goes beyond its parent's (allowed: plans are revised).
pub fn outside_parent(
    item: (Option<PlanDate>, Option<PlanDate>),
    parent: (Option<PlanDate>, Option<PlanDate>),
) -> Option<String> {
    let before = match (item.0, parent.0) {
        (Some(s), Some(p)) => s.last_day() < p.first_day(),
        _ => false,
    };
    let after = match (item.1, parent.1) {
        (Some(e), Some(p)) => e.first_day() > p.last_day(),
        _ => false,
    };
    match (before, after) {
        (false, false) => None,
        (true, false) => Some("commence avant le début de son objectif".into()),
        (false, true) => Some("se termine après la fin de son objectif".into()),
        (true, true) => Some("déborde la période de son objectif".into()),
    }
}

/// Whether an item is late on `today`: its end passed (the whole year for a year) and its
/// status is not a closed one (an unset status is not closed).
pub fn late(
    end: Option<PlanDate>,
    status: Option<&str>,
    statuses: &[StatusDef],
    today: NaiveDate,
) -> bool {
    let closed = status.is_some_and(|code| statuses.iter().any(|s| s.code == code && s.closed));
    end.is_some_and(|e| e.last_day() < today) && !closed
}

/// One row of an imported table (one action or sub-action, or an objective alone), with its
/// line in the file; every cell as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlanRow {
    /// Line in the file (1-based, the header being line 1 in a plain file).
    pub line: u64,
    /// Thématique.
    pub theme: String,
    /// Axe.
    pub axis: String,
    /// Objectif.
    pub objective: String,
    /// Pilote de l'objectif.
    pub objective_pilot: String,
    /// Statut de l'objectif.
    pub objective_status: String,
    /// Date de début de l'objectif.
    pub objective_start: String,
    /// Date de fin de l'objectif.
    pub objective_end: String,
    /// Action.
    pub action: String,
    /// Sous-action.
    pub sub_action: String,
    /// Pilote de l'action (or of the sub-action).
    pub pilot: String,
    /// Statut de l'action.
    pub status: String,
    /// Date de début de l'action.
    pub start: String,
    /// Date de fin de l'action.
    pub end: String,
    /// Description de l'action.
    pub description: String,
    /// "À vérifier": the cells the author doubts.
    pub doubt: String,
}

/// The columns of an import file, in the template's order: (field, header).
pub const COLUMNS: [(&str, &str); 15] = [
    ("theme", "Thématique"),
    ("axis", "Axe"),
    ("objective", "Objectif"),
    ("objective_pilot", "Pilote de l'objectif"),
    ("objective_status", "Statut de l'objectif"),
    ("objective_start", "Date de début de l'objectif"),
    ("objective_end", "Date de fin de l'objectif"),
    ("action", "Action"),
    ("sub_action", "Sous-action"),
    ("pilot", "Pilote de l'action"),
    ("status", "Statut de l'action"),
    ("start", "Date de début de l'action"),
    ("end", "Date de fin de l'action"),
    ("description", "Description de l'action"),
    ("doubt", "À vérifier"),
];

/// A problem of an import, at its line and column.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowError {
    /// Line in the file.
    pub line: u64,
    /// Column header.
    pub column: &'static str,
    /// What is wrong.
    pub message: String,
}

/// An item of a plan's tree: read from a file (no id yet, with its line and warnings) or
/// stored (with its id and version).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Item {
    /// Identifier once stored (0 before).
    pub id: i64,
    /// Version once stored (0 before).
    pub row_version: i64,
    /// Level.
    pub level: Level,
    /// Title, with its numbering as printed ("Objectif 1 : …", "Sous action 1 : …", "01 …").
    pub title: String,
    /// Pilots, lead first (objectives, actions, sub-actions).
    pub pilots: Vec<String>,
    /// Status code; `None` when unset.
    pub status: Option<String>,
    /// Start.
    pub start: Option<PlanDate>,
    /// End.
    pub end: Option<PlanDate>,
    /// Description.
    pub description: String,
    /// Cells the import marked as doubtful.
    pub doubt: String,
    /// Warnings (an action beyond its objective's period, values differing between rows).
    pub warnings: Vec<String>,
    /// Line of the file it was first read from.
    pub line: u64,
    /// Children, in the file's order.
    pub children: Vec<Item>,
}

impl Item {
    fn new(level: Level, title: &str, line: u64) -> Self {
        Item {
            id: 0,
            row_version: 0,
            level,
            title: title.to_owned(),
            pilots: vec![],
            status: None,
            start: None,
            end: None,
            description: String::new(),
            doubt: String::new(),
            warnings: vec![],
            line,
            children: vec![],
        }
    }

    /// How many items of a level it holds (itself included).
    pub fn count(&self, level: Level) -> usize {
        usize::from(self.level == level)
            + self.children.iter().map(|c| c.count(level)).sum::<usize>()
    }
}

/// What the followed fields of a row read as.
struct Followed {
    pilots: Vec<String>,
    status: Option<String>,
    start: Option<PlanDate>,
    end: Option<PlanDate>,
}

#[allow(clippy::too_many_arguments)]
fn followed(
    line: u64,
    pilot: (&'static str, &str),
    status: (&'static str, &str),
    start: (&'static str, &str),
    end: (&'static str, &str),
    statuses: &[StatusDef],
    pilots: &[String],
    errors: &mut Vec<RowError>,
) -> Followed {
    let mut err = |column: &'static str, message: String| {
        errors.push(RowError {
            line,
            column,
            message,
        })
    };
    let pilots = parse_pilots(pilot.1, pilots).unwrap_or_else(|m| {
        err(pilot.0, m);
        vec![]
    });
    let status = parse_status(status.1, statuses).unwrap_or_else(|m| {
        err(status.0, m);
        None
    });
    let start_d = PlanDate::parse(start.1).unwrap_or_else(|m| {
        err(start.0, m);
        None
    });
    let end_d = PlanDate::parse(end.1).unwrap_or_else(|m| {
        err(end.0, m);
        None
    });
    if let Err(m) = check_period(start_d, end_d) {
        err(end.0, m);
    }
    Followed {
        pilots,
        status,
        start: start_d,
        end: end_d,
    }
}

/// Fills an item's followed fields from a row: the first row that gives a value sets it; a
/// later row giving another value leaves a warning (the spreadsheets repeat an objective's
/// cells on each of its rows, not always alike).
fn merge(item: &mut Item, f: Followed, line: u64) {
    let mut differs = vec![];
    if !f.pilots.is_empty() {
        if item.pilots.is_empty() {
            item.pilots = f.pilots;
        } else if item.pilots != f.pilots {
            differs.push("pilote");
        }
    }
    macro_rules! field {
        ($name:ident, $label:expr) => {
            if let Some(v) = f.$name {
                match &item.$name {
                    None => item.$name = Some(v),
                    Some(w) if *w != v => differs.push($label),
                    _ => {}
                }
            }
        };
    }
    field!(status, "statut");
    field!(start, "date de début");
    field!(end, "date de fin");
    if !differs.is_empty() {
        item.warnings.push(format!(
            "ligne {line} : {} différent(s) de la ligne {} (valeur de la première ligne retenue)",
            differs.join(", "),
            item.line
        ));
    }
}

fn child<'a>(parent: &'a mut Item, level: Level, title: &str, line: u64) -> &'a mut Item {
    let at = match parent
        .children
        .iter()
        .position(|c| c.level == level && c.title == title)
    {
        Some(i) => i,
        None => {
            parent.children.push(Item::new(level, title, line));
            parent.children.len() - 1
        }
    };
    &mut parent.children[at]
}

fn join_text(into: &mut String, text: &str) {
    let t = text.trim();
    if t.is_empty() || into.contains(t) {
        return;
    }
    if !into.is_empty() {
        into.push('\n');
    }
    into.push_str(t);
}

/// Builds a plan's tree (under a root of level `Theme`'s parent: the returned items are the
/// thématiques) from the rows of an import, checking every cell against the region's
/// statuses and pilots; all or nothing: any error, and every error is returned with its
/// line and column.
pub fn build_tree(
    rows: &[PlanRow],
    statuses: &[StatusDef],
    pilots: &[String],
) -> Result<Vec<Item>, Vec<RowError>> {
    let mut errors = vec![];
    let mut root = Item::new(Level::Theme, "", 0);
    for r in rows {
        let title = |v: &str| v.split_whitespace().collect::<Vec<_>>().join(" ");
        let (theme, axis, objective, action, sub) = (
            title(&r.theme),
            title(&r.axis),
            title(&r.objective),
            title(&r.action),
            title(&r.sub_action),
        );
        let mut missing = |column: &'static str| {
            errors.push(RowError {
                line: r.line,
                column,
                message: "obligatoire".into(),
            })
        };
        if theme.is_empty() {
            missing("Thématique");
        }
        if axis.is_empty() {
            missing("Axe");
        }
        if objective.is_empty() {
            missing("Objectif");
        }
        let orphan_sub = !sub.is_empty() && action.is_empty();
        if orphan_sub {
            errors.push(RowError {
                line: r.line,
                column: "Action",
                message: "une sous-action doit nommer son action".into(),
            });
        }
        for (column, v) in [
            ("Thématique", &theme),
            ("Axe", &axis),
            ("Objectif", &objective),
            ("Action", &action),
            ("Sous-action", &sub),
        ] {
            if v.chars().count() > 1000 {
                errors.push(RowError {
                    line: r.line,
                    column,
                    message: "1000 caractères au plus".into(),
                });
            }
        }
        let objective_f = followed(
            r.line,
            ("Pilote de l'objectif", &r.objective_pilot),
            ("Statut de l'objectif", &r.objective_status),
            ("Date de début de l'objectif", &r.objective_start),
            ("Date de fin de l'objectif", &r.objective_end),
            statuses,
            pilots,
            &mut errors,
        );
        let item_f = followed(
            r.line,
            ("Pilote de l'action", &r.pilot),
            ("Statut de l'action", &r.status),
            ("Date de début de l'action", &r.start),
            ("Date de fin de l'action", &r.end),
            statuses,
            pilots,
            &mut errors,
        );
        if theme.is_empty() || axis.is_empty() || objective.is_empty() {
            continue;
        }
        let t = child(&mut root, Level::Theme, &theme, r.line);
        let a = child(t, Level::Axis, &axis, r.line);
        let o = child(a, Level::Objective, &objective, r.line);
        merge(o, objective_f, r.line);
        if action.is_empty() {
            // An objective without action: the action's cells belong to nobody.
            let action_cells = [&r.pilot, &r.status, &r.start, &r.end, &r.description]
                .iter()
                .any(|c| !c.trim().is_empty());
            if !orphan_sub && action_cells {
                errors.push(RowError {
                    line: r.line,
                    column: "Action",
                    message:
                        "les colonnes de l'action sont remplies mais l'action n'est pas nommée"
                            .into(),
                });
            }
            join_text(&mut o.doubt, &r.doubt);
            continue;
        }
        let period = (o.start, o.end);
        let act = child(o, Level::Action, &action, r.line);
        let target = if sub.is_empty() {
            act
        } else {
            child(act, Level::SubAction, &sub, r.line)
        };
        merge(target, item_f, r.line);
        join_text(&mut target.description, &r.description);
        join_text(&mut target.doubt, &r.doubt);
        if let Some(w) = outside_parent((target.start, target.end), period)
            && !target.warnings.contains(&w)
        {
            target.warnings.push(w);
        }
    }
    if rows.is_empty() {
        errors.push(RowError {
            line: 1,
            column: "Thématique",
            message: "le fichier ne contient aucune ligne".into(),
        });
    }
    if errors.is_empty() {
        Ok(root.children)
    } else {
        Err(errors)
    }
}

/// What a view of a plan keeps.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// Items with this pilot among theirs.
    pub pilot: Option<String>,
    /// Items with this status code.
    pub status: Option<String>,
    /// Items without status.
    pub without_status: bool,
    /// Late items only.
    pub late_only: bool,
    /// Under the axis of this id.
    pub axis: Option<i64>,
}

impl Filter {
    /// Whether the filter keeps everything.
    pub fn is_empty(&self) -> bool {
        *self == Filter::default()
    }

    fn matches(&self, n: &Item, statuses: &[StatusDef], today: NaiveDate) -> bool {
        n.level.followed()
            && self.pilot.as_ref().is_none_or(|p| n.pilots.contains(p))
            && self
                .status
                .as_ref()
                .is_none_or(|s| n.status.as_ref() == Some(s))
            && (!self.without_status || n.status.is_none())
            && (!self.late_only || late(n.end, n.status.as_deref(), statuses, today))
    }
}

/// The tree a filter keeps: the items that match, with their ancestors (and, under a
/// matching item, all its descendants); an empty filter keeps everything.
pub fn filter(nodes: &[Item], f: &Filter, statuses: &[StatusDef], today: NaiveDate) -> Vec<Item> {
    fn keep(n: &Item, f: &Filter, statuses: &[StatusDef], today: NaiveDate) -> Option<Item> {
        if f.matches(n, statuses, today) {
            return Some(n.clone());
        }
        let children: Vec<Item> = n
            .children
            .iter()
            .filter_map(|c| keep(c, f, statuses, today))
            .collect();
        (!children.is_empty()).then(|| Item {
            children,
            ..n.clone()
        })
    }
    let scoped: Vec<Item> = match f.axis {
        None => nodes.to_vec(),
        Some(axis) => nodes
            .iter()
            .filter_map(|t| {
                let axes: Vec<Item> = t
                    .children
                    .iter()
                    .filter(|a| a.id == axis)
                    .cloned()
                    .collect();
                (!axes.is_empty()).then(|| Item {
                    children: axes,
                    ..t.clone()
                })
            })
            .collect(),
    };
    let rest = Filter {
        axis: None,
        ..f.clone()
    };
    if rest.is_empty() {
        return scoped;
    }
    scoped
        .iter()
        .filter_map(|n| keep(n, &rest, statuses, today))
        .collect()
}

/// Every followed item (objectives, actions, sub-actions) of a tree, depth first.
pub fn followed_items(nodes: &[Item]) -> Vec<&Item> {
    fn walk<'a>(nodes: &'a [Item], out: &mut Vec<&'a Item>) {
        for n in nodes {
            if n.level.followed() {
                out.push(n);
            }
            walk(&n.children, out);
        }
    }
    let mut out = vec![];
    walk(nodes, &mut out);
    out
}

/// Labels with how many items each.
pub type Counts = Vec<(String, usize)>;

/// Counts of the followed items: by status (in the list's order, then "non renseigné") and
/// by lead pilot (then "sans pilote").
pub fn counts(nodes: &[Item], statuses: &[StatusDef]) -> (Counts, Counts) {
    let items = followed_items(nodes);
    let mut by_status: Vec<(String, usize)> = statuses
        .iter()
        .map(|s| {
            (
                s.label.clone(),
                items
                    .iter()
                    .filter(|n| n.status.as_ref() == Some(&s.code))
                    .count(),
            )
        })
        .collect();
    by_status.push((
        "non renseigné".into(),
        items.iter().filter(|n| n.status.is_none()).count(),
    ));
    let mut leads: Vec<String> = items
        .iter()
        .filter_map(|n| n.pilots.first().cloned())
        .collect();
    leads.sort();
    leads.dedup();
    let mut by_pilot: Vec<(String, usize)> = leads
        .into_iter()
        .map(|p| {
            let n = items
                .iter()
                .filter(|n| n.pilots.first() == Some(&p))
                .count();
            (p, n)
        })
        .collect();
    by_pilot.push((
        "sans pilote".into(),
        items.iter().filter(|n| n.pilots.is_empty()).count(),
    ));
    (by_status, by_pilot)
}

/// The rows of a plan's tree, in the import's layout (the inverse of [`build_tree`]): one
/// row per objective without action, per action, and per sub-action (after its action's
/// own row); statuses by their label.
pub fn flatten(tree: &[Item], statuses: &[StatusDef]) -> Vec<PlanRow> {
    let label = |code: &Option<String>| {
        code.as_ref()
            .map(|c| {
                statuses
                    .iter()
                    .find(|s| s.code == *c)
                    .map_or_else(|| c.clone(), |s| s.label.clone())
            })
            .unwrap_or_default()
    };
    let date = |d: Option<PlanDate>| d.map(PlanDate::display).unwrap_or_default();
    let mut rows = vec![];
    for t in tree {
        for a in &t.children {
            for o in &a.children {
                let base = PlanRow {
                    line: 0,
                    theme: t.title.clone(),
                    axis: a.title.clone(),
                    objective: o.title.clone(),
                    objective_pilot: o.pilots.join("/"),
                    objective_status: label(&o.status),
                    objective_start: date(o.start),
                    objective_end: date(o.end),
                    ..PlanRow::default()
                };
                if o.children.is_empty() {
                    rows.push(PlanRow {
                        doubt: o.doubt.clone(),
                        ..base.clone()
                    });
                }
                for act in &o.children {
                    let item = |i: &Item, sub: &str| PlanRow {
                        action: act.title.clone(),
                        sub_action: sub.to_owned(),
                        pilot: i.pilots.join("/"),
                        status: label(&i.status),
                        start: date(i.start),
                        end: date(i.end),
                        description: i.description.clone(),
                        doubt: i.doubt.clone(),
                        ..base.clone()
                    };
                    rows.push(item(act, ""));
                    for sub in &act.children {
                        rows.push(item(sub, &sub.title));
                    }
                }
            }
        }
    }
    for (i, r) in rows.iter_mut().enumerate() {
        r.line = i as u64 + 2;
    }
    rows
}

/// A role given on one plan to an account that does not administer it (a pilot of the
/// Assurance maladie, a referent of the agency).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PlanRole {
    /// Reads the plan.
    Observer,
    /// Reads the plan and follows its items: status, dates, pilots, description, progress
    /// notes, links.
    Editor,
}

impl PlanRole {
    /// Every role.
    pub const ALL: [PlanRole; 2] = [PlanRole::Observer, PlanRole::Editor];

    /// Stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            PlanRole::Observer => "observer",
            PlanRole::Editor => "editor",
        }
    }

    /// Parses the stored form.
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == raw.trim())
    }

    /// French label.
    pub fn label(self) -> &'static str {
        match self {
            PlanRole::Observer => "observateur",
            PlanRole::Editor => "éditeur",
        }
    }
}

/// Whether an account of this role may be given a role on a plan of its region: the
/// observers (the Assurance maladie's pilots) and the agency's referents. Administrators edit
/// every plan of their region already; establishments never see plans.
pub fn may_join(role: crate::Role) -> bool {
    matches!(role, crate::Role::Observer | crate::Role::ArsReferent)
}

/// A change of an item, every field as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ItemEdit {
    /// Title.
    pub title: String,
    /// Pilots, `ARS/AM` (lead first).
    pub pilots: String,
    /// Status code or label; empty when unset.
    pub status: String,
    /// Start: `jj/mm/aaaa`, `aaaa-mm-jj` or `aaaa`.
    pub start: String,
    /// End.
    pub end: String,
    /// Description.
    pub description: String,
}

/// A change of an item, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedEdit {
    /// Title.
    pub title: String,
    /// Pilots, lead first.
    pub pilots: Vec<String>,
    /// Status code; `None` when unset.
    pub status: Option<String>,
    /// Start.
    pub start: Option<PlanDate>,
    /// End.
    pub end: Option<PlanDate>,
    /// Description.
    pub description: String,
    /// Warnings (the item goes beyond its parent's period).
    pub warnings: Vec<String>,
}

/// Longest title of an item.
pub const TITLE_MAX: usize = 500;
/// Longest description of an item, or progress note.
pub const TEXT_MAX: usize = 5_000;

/// Checks a change of an item of `level` against the region's lists: a title, pilots and a
/// status of the lists, dates with a start not after the end; thématiques and axes carry
/// none of these. `parent` is the period of the item's objective or action (for the
/// warning when the item goes beyond it).
pub fn check_edit(
    level: Level,
    edit: &ItemEdit,
    statuses: &[StatusDef],
    pilots: &[String],
    parent: Option<(Option<PlanDate>, Option<PlanDate>)>,
) -> Result<CheckedEdit, DomainError> {
    let title = edit.title.split_whitespace().collect::<Vec<_>>().join(" ");
    if title.is_empty() {
        return Err(DomainError::new("title", "Intitulé : obligatoire"));
    }
    if title.chars().count() > TITLE_MAX {
        return Err(DomainError::new(
            "title",
            format!("Intitulé : {TITLE_MAX} caractères au plus"),
        ));
    }
    let description = edit.description.trim().replace("\r\n", "\n");
    if description.chars().count() > TEXT_MAX {
        return Err(DomainError::new(
            "description",
            format!("Description : {TEXT_MAX} caractères au plus"),
        ));
    }
    let followed_fields = [
        ("pilots", &edit.pilots),
        ("status", &edit.status),
        ("start", &edit.start),
        ("end", &edit.end),
    ];
    if !level.followed()
        && let Some((field, _)) = followed_fields.iter().find(|(_, v)| !v.trim().is_empty())
    {
        return Err(DomainError::new(
            field,
            format!(
                "{} : ni pilote, ni statut, ni dates (seuls les objectifs, actions et sous-actions en ont)",
                level.label()
            ),
        ));
    }
    let pilots = parse_pilots(&edit.pilots, pilots)
        .map_err(|m| DomainError::new("pilots", format!("Pilote : {m}")))?;
    let status = parse_status(&edit.status, statuses)
        .map_err(|m| DomainError::new("status", format!("Statut : {m}")))?;
    let start = PlanDate::parse(&edit.start)
        .map_err(|m| DomainError::new("start", format!("Date de début : {m}")))?;
    let end = PlanDate::parse(&edit.end)
        .map_err(|m| DomainError::new("end", format!("Date de fin : {m}")))?;
    check_period(start, end).map_err(|m| DomainError::new("end", format!("Date de fin : {m}")))?;
    let warnings = parent
        .and_then(|p| outside_parent((start, end), p))
        .into_iter()
        .collect();
    Ok(CheckedEdit {
        title,
        pilots,
        status,
        start,
        end,
        description,
        warnings,
    })
}

/// A progress note, checked: its day (not after `today`) and its text.
pub fn check_note(
    day: &str,
    text: &str,
    today: NaiveDate,
) -> Result<(NaiveDate, String), DomainError> {
    let day = if day.trim().is_empty() {
        today
    } else {
        crate::territory::parse_date("noted_on", "Date du point", day)?
    };
    if day > today {
        return Err(DomainError::new(
            "noted_on",
            format!(
                "Date du point : le {} est à venir ; un point d'avancement se date du jour ou du passé",
                crate::territory::date_fr(day)
            ),
        ));
    }
    let text = text.trim().replace("\r\n", "\n");
    if text.is_empty() {
        return Err(DomainError::new("text", "Point d'avancement : obligatoire"));
    }
    if text.chars().count() > TEXT_MAX {
        return Err(DomainError::new(
            "text",
            format!("Point d'avancement : {TEXT_MAX} caractères au plus"),
        ));
    }
    Ok((day, text))
}

/// What an item of a plan may be linked to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkKind {
    /// A contract (CPOM) of the region.
    Contract,
    /// A fiche (indicator) of one of the region's catalogues.
    Fiche,
    /// A yearly campaign of the region.
    Campaign,
}

impl LinkKind {
    /// Every kind.
    pub const ALL: [LinkKind; 3] = [LinkKind::Contract, LinkKind::Fiche, LinkKind::Campaign];

    /// Stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            LinkKind::Contract => "contract",
            LinkKind::Fiche => "fiche",
            LinkKind::Campaign => "campaign",
        }
    }

    /// Parses the stored form.
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == raw.trim())
    }

    /// French label.
    pub fn label(self) -> &'static str {
        match self {
            LinkKind::Contract => "Contrat",
            LinkKind::Fiche => "Fiche du référentiel",
            LinkKind::Campaign => "Campagne",
        }
    }
}

/// A link's target as typed, read: a contract by its number or by the FINESS of its legal
/// entity; a campaign by its year; a fiche by its code, or `référentiel:code`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkTarget {
    /// Contract n°.
    ContractId(i64),
    /// The contract of a legal entity.
    ContractOf(crate::FinessId),
    /// The campaign of a year.
    CampaignYear(i32),
    /// A fiche, in one catalogue or in any of the region's.
    Fiche {
        /// Catalogue slug, when given.
        catalogue: Option<String>,
        /// Fiche code.
        code: String,
    },
}

/// Reads a link's target as typed for its kind.
pub fn parse_link_target(kind: LinkKind, raw: &str) -> Result<LinkTarget, DomainError> {
    let v = raw.trim();
    if v.is_empty() {
        return Err(DomainError::new("target", "Référence : obligatoire"));
    }
    match kind {
        LinkKind::Contract => {
            let digits = v.trim_start_matches("n°").trim();
            if digits.len() == 9 {
                return crate::FinessId::parse(digits)
                    .map(LinkTarget::ContractOf)
                    .map_err(|_| {
                        DomainError::new(
                            "target",
                            format!("Référence : « {v} » n'est pas un FINESS valide"),
                        )
                    });
            }
            digits
                .parse::<i64>()
                .ok()
                .filter(|n| *n > 0)
                .map(LinkTarget::ContractId)
                .ok_or_else(|| {
                    DomainError::new(
                        "target",
                        format!(
                            "Référence : « {v} » — indiquez le n° du contrat ou le FINESS (9 caractères) de l'entité juridique"
                        ),
                    )
                })
        }
        LinkKind::Campaign => v
            .parse::<i32>()
            .ok()
            .filter(|y| (2000..=2100).contains(y))
            .map(LinkTarget::CampaignYear)
            .ok_or_else(|| {
                DomainError::new(
                    "target",
                    format!("Référence : « {v} » — indiquez l'année de la campagne (aaaa)"),
                )
            }),
        LinkKind::Fiche => {
            let (catalogue, code) = match v.split_once(':') {
                Some((c, f)) => (Some(c.trim().to_owned()), f.trim()),
                None => (None, v),
            };
            if code.is_empty() || code.chars().count() > 40 || code.contains(char::is_whitespace) {
                return Err(DomainError::new(
                    "target",
                    format!(
                        "Référence : « {v} » — indiquez le code de la fiche (par exemple « E2 »), ou « référentiel:code »"
                    ),
                ));
            }
            Ok(LinkTarget::Fiche {
                catalogue: catalogue.filter(|c| !c.is_empty()),
                code: code.to_owned(),
            })
        }
    }
}

/// A status of a region's list as typed in the settings: its code when it exists already
/// (new ones get a code from their label), its label, whether it closes an item.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StatusInput {
    /// Code of an existing status; empty for a new one.
    pub code: String,
    /// Label; an empty label drops the status.
    pub label: String,
    /// Whether it closes an item (never late).
    pub closed: bool,
}

/// A code made from a label: lower case, without accents, words joined by `_`.
fn code_of(label: &str) -> String {
    fold(label)
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { ' ' })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join("_")
}

/// Checks a region's lists: one to 20 statuses with distinct labels (new ones get a code
/// from their label; existing ones keep theirs), at least one closing status, and one to 30
/// pilots (one per line, without « / », which separates co-pilots), each once.
pub fn check_lists(
    statuses: &[StatusInput],
    pilots: &str,
) -> Result<(Vec<StatusDef>, Vec<String>), DomainError> {
    let mut out: Vec<StatusDef> = vec![];
    for s in statuses {
        let label = s.label.split_whitespace().collect::<Vec<_>>().join(" ");
        if label.is_empty() {
            continue;
        }
        if label.chars().count() > 60 {
            return Err(DomainError::new(
                "statuses",
                format!("Statut « {label} » : 60 caractères au plus"),
            ));
        }
        let code = if s.code.trim().is_empty() {
            code_of(&label)
        } else {
            s.code.trim().to_owned()
        };
        if code.is_empty() || code.len() > 32 {
            return Err(DomainError::new(
                "statuses",
                format!("Statut « {label} » : libellé sans lettre ni chiffre, ou trop long"),
            ));
        }
        if out
            .iter()
            .any(|o| fold(&o.label) == fold(&label) || o.code == code)
        {
            return Err(DomainError::new(
                "statuses",
                format!("Statut « {label} » : cité deux fois"),
            ));
        }
        out.push(StatusDef {
            code,
            label,
            closed: s.closed,
        });
    }
    if out.is_empty() || out.len() > 20 {
        return Err(DomainError::new(
            "statuses",
            "Statuts : de 1 à 20 statuts attendus",
        ));
    }
    if !out.iter().any(|s| s.closed) {
        return Err(DomainError::new(
            "statuses",
            "Statuts : l'un d'eux au moins doit clore un élément (par exemple « terminée »), sinon rien ne sort jamais du retard",
        ));
    }
    let mut names: Vec<String> = vec![];
    for (i, line) in pilots.lines().enumerate() {
        let p = line.trim();
        if p.is_empty() {
            continue;
        }
        if p.contains('/') || p.chars().count() > 30 {
            return Err(DomainError::new(
                "pilots",
                format!(
                    "Pilotes, ligne {} : « {p} » — un pilote par ligne, 30 caractères au plus, sans « / » (qui sépare les co-pilotes)",
                    i + 1
                ),
            ));
        }
        if names.iter().any(|n| n.eq_ignore_ascii_case(p)) {
            return Err(DomainError::new(
                "pilots",
                format!("Pilotes, ligne {} : « {p} » cité deux fois", i + 1),
            ));
        }
        names.push(p.to_owned());
    }
    if names.is_empty() || names.len() > 30 {
        return Err(DomainError::new(
            "pilots",
            "Pilotes : de 1 à 30 pilotes attendus, un par ligne",
        ));
    }
    Ok((out, names))
}

/// An item of a tree by its id, with its ancestors from the root.
pub fn find(nodes: &[Item], id: i64) -> Option<(&Item, Vec<&Item>)> {
    fn walk<'a>(nodes: &'a [Item], path: &mut Vec<&'a Item>, id: i64) -> Option<&'a Item> {
        for n in nodes {
            if n.id == id {
                return Some(n);
            }
            path.push(n);
            if let Some(found) = walk(&n.children, path, id) {
                return Some(found);
            }
            path.pop();
        }
        None
    }
    let mut path = vec![];
    walk(nodes, &mut path, id).map(|n| (n, path))
}

/// The period an item's change is checked against, as at import: its objective's (for an
/// action or a sub-action).
pub fn objective_period(ancestors: &[&Item]) -> Option<(Option<PlanDate>, Option<PlanDate>)> {
    ancestors
        .iter()
        .rev()
        .find(|a| a.level == Level::Objective)
        .map(|o| (o.start, o.end))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("date")
    }

    fn edit(status: &str, start: &str, end: &str) -> ItemEdit {
        ItemEdit {
            title: "  Action 1.1  :  regrouper ".into(),
            pilots: "am / ars".into(),
            status: status.into(),
            start: start.into(),
            end: end.into(),
            description: "Texte\r\nsuite ".into(),
        }
    }

    #[test]
    fn an_edit_reads_the_lists_and_checks_the_period() {
        let (st, pi) = (default_statuses(), default_pilots());
        let ok = check_edit(
            Level::Action,
            &edit("Terminée", "2019", "30/06/2021"),
            &st,
            &pi,
            None,
        )
        .expect("valid");
        assert_eq!(ok.title, "Action 1.1 : regrouper");
        assert_eq!(ok.pilots, vec!["AM".to_owned(), "ARS".to_owned()]);
        assert_eq!(ok.status.as_deref(), Some("terminee"));
        assert_eq!(ok.start, Some(PlanDate::Year(2019)));
        assert_eq!(ok.end, Some(PlanDate::Day(d(2021, 6, 30))));
        assert_eq!(ok.description, "Texte\nsuite");
        assert!(ok.warnings.is_empty());
        // "Sélectionner" and empty stay unset.
        let unset = check_edit(Level::Action, &edit("Sélectionner", "", ""), &st, &pi, None)
            .expect("valid");
        assert_eq!(unset.status, None);
        let err =
            |e: ItemEdit, level: Level| check_edit(level, &e, &st, &pi, None).expect_err("refused");
        assert_eq!(err(edit("fini", "", ""), Level::Action).field, "status");
        assert_eq!(err(edit("", "2022", "2021"), Level::Action).field, "end");
        assert_eq!(
            err(edit("", "32/01/2020", ""), Level::Action).field,
            "start"
        );
        let mut bad_pilot = edit("", "", "");
        bad_pilot.pilots = "ARS/CPAM".into();
        let e = err(bad_pilot, Level::Action);
        assert_eq!(e.field, "pilots");
        assert!(e.message.contains("CPAM"), "{}", e.message);
        let mut no_title = edit("", "", "");
        no_title.title = "  ".into();
        assert_eq!(err(no_title, Level::Action).field, "title");
        // An axis carries no pilot, status or date.
        let e = err(edit("", "", ""), Level::Axis);
        assert_eq!(e.field, "pilots");
        let mut axis = edit("", "", "");
        axis.pilots.clear();
        assert!(check_edit(Level::Axis, &axis, &st, &pi, None).is_ok());
        // Beyond the objective's period: a warning, not an error.
        let parent = Some((Some(PlanDate::Year(2018)), Some(PlanDate::Year(2020))));
        let w = check_edit(
            Level::SubAction,
            &edit("", "2019", "2021"),
            &st,
            &pi,
            parent,
        )
        .expect("valid");
        assert_eq!(w.warnings.len(), 1);
    }

    #[test]
    fn a_note_is_dated_today_or_before_and_not_empty() {
        let today = d(2026, 12, 7);
        assert_eq!(
            check_note("", " Réunion faite\r\n", today).expect("valid"),
            (today, "Réunion faite".into())
        );
        assert_eq!(
            check_note("01/12/2026", "x", today).expect("valid").0,
            d(2026, 12, 1)
        );
        assert_eq!(
            check_note("08/12/2026", "x", today)
                .expect_err("future")
                .field,
            "noted_on"
        );
        assert_eq!(
            check_note("", "   ", today).expect_err("empty").field,
            "text"
        );
        let long = "a".repeat(TEXT_MAX + 1);
        assert_eq!(
            check_note("", &long, today).expect_err("long").field,
            "text"
        );
    }

    #[test]
    fn link_targets_are_read_by_kind() {
        use LinkKind::*;
        assert_eq!(
            parse_link_target(Contract, " 12 "),
            Ok(LinkTarget::ContractId(12))
        );
        assert_eq!(
            parse_link_target(Contract, "n° 7"),
            Ok(LinkTarget::ContractId(7))
        );
        assert!(matches!(
            parse_link_target(Contract, "130000011"),
            Ok(LinkTarget::ContractOf(_))
        ));
        assert_eq!(
            parse_link_target(Contract, "abc").expect_err("bad").field,
            "target"
        );
        assert_eq!(
            parse_link_target(Contract, "0").expect_err("bad").field,
            "target"
        );
        assert_eq!(
            parse_link_target(Campaign, "2025"),
            Ok(LinkTarget::CampaignYear(2025))
        );
        assert!(parse_link_target(Campaign, "25").is_err());
        assert_eq!(
            parse_link_target(Fiche, "E2"),
            Ok(LinkTarget::Fiche {
                catalogue: None,
                code: "E2".into()
            })
        );
        assert_eq!(
            parse_link_target(Fiche, "cpom-es:E2"),
            Ok(LinkTarget::Fiche {
                catalogue: Some("cpom-es".into()),
                code: "E2".into()
            })
        );
        assert!(parse_link_target(Fiche, "E 2").is_err());
        assert!(parse_link_target(Fiche, "").is_err());
    }

    #[test]
    fn region_lists_keep_codes_and_need_a_closing_status() {
        let input = |code: &str, label: &str, closed: bool| StatusInput {
            code: code.into(),
            label: label.into(),
            closed,
        };
        let (st, pi) = check_lists(
            &[
                input("a_debuter", "à débuter", false),
                input("terminee", "Terminée", true),
                input("", "Abandonnée (décision du COPIL)", true),
                input("", "", false),
            ],
            "ARS\n\n CPAM \nConseil départemental\n",
        )
        .expect("valid");
        assert_eq!(
            st.iter().map(|s| s.code.as_str()).collect::<Vec<_>>(),
            ["a_debuter", "terminee", "abandonnee_decision_du_copil"]
        );
        assert_eq!(pi, ["ARS", "CPAM", "Conseil départemental"]);
        let none_closed = check_lists(&[input("", "en cours", false)], "ARS");
        assert_eq!(none_closed.expect_err("refused").field, "statuses");
        let twice = check_lists(
            &[input("", "Terminée", true), input("", "terminee", false)],
            "ARS",
        );
        assert!(twice.expect_err("refused").message.contains("deux fois"));
        assert_eq!(
            check_lists(&[input("", "fin", true)], "ARS/AM")
                .expect_err("slash")
                .field,
            "pilots"
        );
        assert_eq!(
            check_lists(&[input("", "fin", true)], "ARS\nars")
                .expect_err("twice")
                .field,
            "pilots"
        );
        assert_eq!(
            check_lists(&[input("", "fin", true)], " \n")
                .expect_err("none")
                .field,
            "pilots"
        );
    }

    #[test]
    fn find_gives_an_item_and_its_objective_period() {
        let mut obj = Item::new(Level::Objective, "O", 1);
        obj.id = 3;
        obj.start = Some(PlanDate::Year(2018));
        obj.end = Some(PlanDate::Year(2023));
        let mut act = Item::new(Level::Action, "A", 1);
        act.id = 4;
        act.start = Some(PlanDate::Year(2020));
        let mut sub = Item::new(Level::SubAction, "S", 1);
        sub.id = 5;
        act.children.push(sub);
        obj.children.push(act);
        let mut axis = Item::new(Level::Axis, "X", 1);
        axis.id = 2;
        axis.children.push(obj);
        let tree = vec![axis];
        let (item, path) = find(&tree, 5).expect("found");
        assert_eq!(item.title, "S");
        assert_eq!(path.iter().map(|p| p.id).collect::<Vec<_>>(), [2, 3, 4]);
        assert_eq!(
            objective_period(&path),
            Some((Some(PlanDate::Year(2018)), Some(PlanDate::Year(2023))))
        );
        assert_eq!(objective_period(&find(&tree, 2).expect("axis").1), None);
        assert!(find(&tree, 99).is_none());
        assert!(may_join(crate::Role::Observer) && may_join(crate::Role::ArsReferent));
        assert!(!may_join(crate::Role::ArsAdmin) && !may_join(crate::Role::EstablishmentLeader));
    }

    #[test]
    fn statuses_are_read_from_the_list_and_an_unset_one_stays_unset() {
        let s = default_statuses();
        assert_eq!(parse_status("En cours", &s), Ok(Some("en_cours".into())));
        assert_eq!(parse_status("  terminee ", &s), Ok(Some("terminee".into())));
        assert_eq!(
            parse_status("suspendue/reportée", &s),
            Ok(Some("suspendue".into()))
        );
        assert_eq!(parse_status("Sélectionner", &s), Ok(None));
        assert_eq!(parse_status("", &s), Ok(None));
        let e = parse_status("fini", &s).expect_err("unknown");
        assert!(e.contains("« fini »") && e.contains("à débuter"), "{e}");
    }

    #[test]
    fn pilots_are_configured_lead_first() {
        let p = default_pilots();
        assert_eq!(
            parse_pilots("ARS /AM", &p),
            Ok(vec!["ARS".into(), "AM".into()])
        );
        assert_eq!(
            parse_pilots("am/ ars", &p),
            Ok(vec!["AM".into(), "ARS".into()])
        );
        assert_eq!(parse_pilots(" ", &p), Ok(vec![]));
        assert!(
            parse_pilots("ARS/CPAM", &p)
                .expect_err("unknown")
                .contains("CPAM")
        );
        assert!(
            parse_pilots("ARS/ARS", &p)
                .expect_err("twice")
                .contains("deux fois")
        );
        let more = vec!["ARS".to_owned(), "AM".into(), "Région".into()];
        assert_eq!(parse_pilots("Région/ARS", &more).expect("ok")[0], "Région");
    }

    #[test]
    fn dates_have_a_day_or_a_year_and_periods_are_checked() {
        assert_eq!(PlanDate::parse("2018"), Ok(Some(PlanDate::Year(2018))));
        assert_eq!(
            PlanDate::parse("01/07/2017"),
            Ok(Some(PlanDate::Day(d(2017, 7, 1))))
        );
        assert_eq!(PlanDate::parse(""), Ok(None));
        assert!(PlanDate::parse("1850").is_err());
        assert!(PlanDate::parse("31/02/2018").is_err());
        assert!(PlanDate::parse("AAC publié").is_err());
        let y = |v| Some(PlanDate::Year(v));
        let day = |a, b, c| Some(PlanDate::Day(d(a, b, c)));
        assert!(check_period(y(2018), y(2018)).is_ok());
        assert!(
            check_period(day(2018, 6, 1), y(2018)).is_ok(),
            "within the year"
        );
        assert!(check_period(y(2019), day(2018, 12, 31)).is_err());
        assert!(
            check_period(day(2020, 1, 2), day(2020, 1, 1))
                .expect_err("reversed")
                .contains("02/01/2020")
        );
        assert_eq!(outside_parent((y(2018), y(2022)), (y(2018), y(2023))), None);
        assert!(outside_parent((y(2017), y(2022)), (y(2018), y(2023))).is_some());
        assert!(outside_parent((y(2018), y(2024)), (y(2018), y(2023))).is_some());
    }

    #[test]
    fn an_item_is_late_once_its_end_passed_unless_closed() {
        let s = default_statuses();
        let end = Some(PlanDate::Year(2022));
        assert!(!late(end, Some("en_cours"), &s, d(2022, 12, 31)));
        assert!(late(end, Some("en_cours"), &s, d(2023, 1, 1)));
        assert!(
            late(end, None, &s, d(2023, 1, 1)),
            "an unset status is not closed"
        );
        assert!(!late(end, Some("terminee"), &s, d(2030, 1, 1)));
        assert!(!late(None, Some("en_cours"), &s, d(2030, 1, 1)));
    }

    fn row(line: u64, objective: &str, action: &str, sub: &str) -> PlanRow {
        PlanRow {
            line,
            theme: "Thématique 2 : Structuration de l'offre".into(),
            axis: "Axe 1 : Pertinence".into(),
            objective: objective.into(),
            objective_pilot: "ARS".into(),
            objective_status: "en cours".into(),
            objective_start: "2018".into(),
            objective_end: "2023".into(),
            action: action.into(),
            sub_action: sub.into(),
            pilot: "ARS/AM".into(),
            status: "Sélectionner".into(),
            start: "01/01/2018".into(),
            end: "31/12/2020".into(),
            ..PlanRow::default()
        }
    }

    #[test]
    fn the_tree_is_built_from_rows_and_errors_name_their_place() {
        let (s, p) = (default_statuses(), default_pilots());
        let mut rows = vec![
            row(
                2,
                "Objectif 1 : Ambulatoire",
                "Sous action 1 : Basculer",
                "",
            ),
            row(
                3,
                "Objectif 1 : Ambulatoire",
                "Sous action 1 : Basculer",
                "Médecine ambulatoire",
            ),
            row(4, "Objectif 1 : Ambulatoire", "02 Dialyse hors centre", ""),
            row(5, "Objectif 2 : Urgences", "", ""),
        ];
        rows[3].pilot.clear();
        rows[3].status.clear();
        rows[3].start.clear();
        rows[3].end.clear();
        rows[2].end = "2024".into();
        rows[1].objective_status = "terminée".into();
        let tree = build_tree(&rows, &s, &p).expect("tree");
        assert_eq!(tree.len(), 1);
        let t = &tree[0];
        assert_eq!(
            (
                t.count(Level::Axis),
                t.count(Level::Objective),
                t.count(Level::Action),
                t.count(Level::SubAction)
            ),
            (1, 2, 2, 1)
        );
        let o = &t.children[0].children[0];
        assert_eq!(o.pilots, ["ARS"]);
        assert_eq!(
            o.status.as_deref(),
            Some("en_cours"),
            "the first row's value"
        );
        assert!(
            o.warnings[0].contains("ligne 3 : statut"),
            "{:?}",
            o.warnings
        );
        let a = &o.children[0];
        assert_eq!(a.pilots, ["ARS", "AM"]);
        assert_eq!(a.status, None, "« Sélectionner » is unset");
        assert_eq!(a.children[0].title, "Médecine ambulatoire");
        assert!(o.children[1].warnings[0].contains("après la fin de son objectif"));
        assert!(t.children[0].children[1].children.is_empty());

        // Errors: every one with its line and column.
        let mut bad = rows.clone();
        bad[0].status = "fini".into();
        bad[1].objective_start = "2025".into();
        bad[2].axis.clear();
        bad[3].description = "orpheline".into();
        bad.push(PlanRow {
            sub_action: "seule".into(),
            ..row(6, "Objectif 3", "", "")
        });
        bad[4].sub_action = "seule".into();
        let e = build_tree(&bad, &s, &p).expect_err("errors");
        let at: Vec<(u64, &str)> = e.iter().map(|e| (e.line, e.column)).collect();
        assert_eq!(
            at,
            [
                (2, "Statut de l'action"),
                (3, "Date de fin de l'objectif"),
                (4, "Axe"),
                (5, "Action"),
                (6, "Action"),
            ],
            "{e:?}"
        );
        assert!(build_tree(&[], &s, &p).is_err());
    }

    #[test]
    fn flattening_gives_back_the_same_tree() {
        let (s, p) = (default_statuses(), default_pilots());
        let mut rows = vec![
            row(
                2,
                "Objectif 1 : Ambulatoire",
                "Sous action 1 : Basculer",
                "",
            ),
            row(
                3,
                "Objectif 1 : Ambulatoire",
                "Sous action 1 : Basculer",
                "Médecine ambulatoire",
            ),
            row(4, "Objectif 2 : Urgences", "", ""),
        ];
        rows[0].description = "Promotion de la CA".into();
        rows[1].doubt = "Statut de l'action : cellule mal alignée".into();
        rows[2].pilot.clear();
        rows[2].status.clear();
        rows[2].start.clear();
        rows[2].end.clear();
        let tree = build_tree(&rows, &s, &p).expect("tree");
        let flat = flatten(&tree, &s);
        assert_eq!(flat.len(), 3);
        assert_eq!(flat[0].objective_status, "en cours");
        assert_eq!(flat[0].status, "", "unset stays unset");
        assert_eq!(flat[1].start, "01/01/2018");
        let again = build_tree(&flat, &s, &p).expect("again");
        let strip = |items: &[Item]| format!("{:?}", items).replace(char::is_numeric, "");
        assert_eq!(strip(&again), strip(&tree), "the same tree, lines aside");
    }

    fn node(
        id: i64,
        level: Level,
        status: Option<&str>,
        end: Option<i32>,
        children: Vec<Item>,
    ) -> Item {
        Item {
            id,
            level,
            title: format!("{} {id}", level.label()),
            pilots: if level.followed() {
                vec!["ARS".into()]
            } else {
                vec![]
            },
            status: status.map(str::to_owned),
            start: None,
            end: end.map(PlanDate::Year),
            description: String::new(),
            doubt: String::new(),
            warnings: vec![],
            line: 0,
            row_version: 1,
            children,
        }
    }

    #[test]
    fn views_filter_the_tree_and_count_its_items() {
        use Level::*;
        let s = default_statuses();
        let today = d(2024, 6, 1);
        let tree = vec![node(
            1,
            Theme,
            None,
            None,
            vec![
                node(
                    2,
                    Axis,
                    None,
                    None,
                    vec![node(
                        3,
                        Objective,
                        Some("en_cours"),
                        Some(2025),
                        vec![
                            node(4, Action, Some("en_cours"), Some(2022), vec![]),
                            node(5, Action, Some("terminee"), Some(2022), vec![]),
                            node(6, Action, None, None, vec![]),
                        ],
                    )],
                ),
                node(
                    7,
                    Axis,
                    None,
                    None,
                    vec![node(8, Objective, None, None, vec![])],
                ),
            ],
        )];
        let ids = |t: &[Item]| followed_items(t).iter().map(|n| n.id).collect::<Vec<_>>();
        assert_eq!(
            ids(&filter(&tree, &Filter::default(), &s, today)),
            [3, 4, 5, 6, 8]
        );
        let late = Filter {
            late_only: true,
            ..Filter::default()
        };
        assert_eq!(
            ids(&filter(&tree, &late, &s, today)),
            [3, 4],
            "the late action with its objective; the done one is not late"
        );
        let unset = Filter {
            without_status: true,
            ..Filter::default()
        };
        assert_eq!(ids(&filter(&tree, &unset, &s, today)), [3, 6, 8]);
        let axis = Filter {
            axis: Some(7),
            ..Filter::default()
        };
        assert_eq!(ids(&filter(&tree, &axis, &s, today)), [8]);
        let am = Filter {
            pilot: Some("AM".into()),
            ..Filter::default()
        };
        assert!(filter(&tree, &am, &s, today).is_empty());
        let matching = Filter {
            status: Some("en_cours".into()),
            ..Filter::default()
        };
        assert_eq!(
            ids(&filter(&tree, &matching, &s, today)),
            [3, 4, 5, 6],
            "under a match, all of it"
        );
        let (by_status, by_pilot) = counts(&tree, &s);
        assert_eq!(by_status[1], ("en cours".into(), 2));
        assert_eq!(by_status[4], ("non renseigné".into(), 2));
        assert_eq!(by_pilot, [("ARS".into(), 5), ("sans pilote".into(), 0)]);
    }
}
