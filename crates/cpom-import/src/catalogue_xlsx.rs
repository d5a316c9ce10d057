//! The catalogue as an XLSX workbook, for agents who work in Excel: one sheet per list of the
//! text format, the first row naming the fields exactly as the text format does. Writing
//! then reading gives back the same catalogue; errors name the sheet, row, column and field.

use std::collections::HashMap;
use std::io::Cursor;

use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};
use cpom_domain::catalogue::{
    Applicability, Catalogue, CatalogueKind, DataSource, Frequency, Indicator, IndicatorKind,
    ModelAction, Objective, Orientation, PartialRule, Question, Target, TargetBand, TargetRule,
    TargetYear,
};
use cpom_domain::{FinessId, RegionCode};
use rust_xlsxwriter::{Format, Workbook, XlsxError};

use crate::catalogue::{CatalogueError, FORMAT_VERSION};

/// Sheet names and their columns (the field names of the text format).
const HEADER: (&str, [&str; 2]) = ("Catalogue", ["champ", "valeur"]);
const HEADER_FIELDS: [&str; 11] = [
    "format",
    "slug",
    "title",
    "region",
    "generation",
    "start_year",
    "end_year",
    "kind",
    "source",
    "partial_threshold",
    "notes",
];
const ORIENTATIONS: (&str, &[&str]) = ("Orientations", &["code", "title", "description"]);
const OBJECTIVES: (&str, &[&str]) = (
    "Objectifs",
    &["code", "orientation", "title", "description"],
);
const ACTIONS: (&str, &[&str]) = (
    "Actions",
    &[
        "code",
        "objective",
        "title",
        "mandatory",
        "title_locked",
        "applies_to",
        "applies_if",
        "description",
    ],
);
const INDICATORS: (&str, &[&str]) = (
    "Indicateurs",
    &[
        "code",
        "action",
        "title",
        "objective_text",
        "context",
        "definition",
        "kind",
        "unit",
        "numerator",
        "denominator",
        "formula",
        "source",
        "source_detail",
        "frequency",
        "measure_period",
        "reference_period",
        "partners",
        "steering",
        "support",
        "follow_up",
        "evidence",
        "comment_help",
    ],
);
const TARGETS: (&str, &[&str]) = (
    "Cibles",
    &[
        "indicator",
        "band",
        "finess",
        "year",
        "text",
        "rule",
        "to_confirm",
    ],
);
const QUESTIONS: (&str, &[&str]) = ("Questions", &["code", "objective", "text"]);

/// Longest text a cell holds.
const CELL_MAX: usize = 32_767;

fn xlsx_error(e: XlsxError) -> CatalogueError {
    CatalogueError {
        line: 0,
        column: 0,
        place: "classeur".into(),
        message: format!("écriture XLSX impossible : {e}"),
    }
}

fn yes_no(b: bool) -> &'static str {
    if b { "oui" } else { "non" }
}

/// Writes a catalogue as an XLSX workbook.
pub fn write_xlsx(c: &Catalogue) -> Result<Vec<u8>, CatalogueError> {
    let mut wb = Workbook::new();
    let bold = Format::new().set_bold();
    let mut sheet = |name: &str,
                     columns: &[&str],
                     rows: Vec<Vec<String>>|
     -> Result<(), CatalogueError> {
        let ws = wb.add_worksheet();
        ws.set_name(name).map_err(xlsx_error)?;
        for (col, h) in columns.iter().enumerate() {
            ws.write_string_with_format(0, col as u16, *h, &bold)
                .map_err(xlsx_error)?;
        }
        for (r, row) in rows.iter().enumerate() {
            for (col, value) in row.iter().enumerate() {
                if value.is_empty() {
                    continue;
                }
                if value.chars().count() > CELL_MAX {
                    return Err(CatalogueError {
                        line: r + 2,
                        column: col + 1,
                        place: format!("feuille {name}, champ « {} »", columns[col]),
                        message: format!(
                            "texte de plus de {CELL_MAX} caractères : trop long pour une cellule"
                        ),
                    });
                }
                ws.write_string((r + 1) as u32, col as u16, value)
                    .map_err(xlsx_error)?;
            }
        }
        ws.set_freeze_panes(1, 0).map_err(xlsx_error)?;
        Ok(())
    };
    let opt = |s: &Option<String>| s.clone().unwrap_or_default();
    let header_values = [
        FORMAT_VERSION.to_string(),
        c.slug.clone(),
        c.title.clone(),
        c.region.to_string(),
        c.generation.clone(),
        c.start_year.to_string(),
        c.end_year.to_string(),
        c.kind.as_str().to_owned(),
        opt(&c.source),
        c.partial.map(|p| p.percent.to_string()).unwrap_or_default(),
        opt(&c.notes),
    ];
    sheet(
        HEADER.0,
        &HEADER.1,
        HEADER_FIELDS
            .iter()
            .zip(header_values)
            .map(|(k, v)| vec![(*k).to_owned(), v])
            .collect(),
    )?;
    sheet(
        ORIENTATIONS.0,
        ORIENTATIONS.1,
        c.orientations
            .iter()
            .map(|o| vec![o.code.clone(), o.title.clone(), opt(&o.description)])
            .collect(),
    )?;
    sheet(
        OBJECTIVES.0,
        OBJECTIVES.1,
        c.objectives
            .iter()
            .map(|o| {
                vec![
                    o.code.clone(),
                    o.orientation.clone(),
                    o.title.clone(),
                    opt(&o.description),
                ]
            })
            .collect(),
    )?;
    sheet(
        ACTIONS.0,
        ACTIONS.1,
        c.actions
            .iter()
            .map(|a| {
                vec![
                    a.code.clone(),
                    a.objective.clone(),
                    a.title.clone(),
                    yes_no(a.mandatory).to_owned(),
                    yes_no(a.title_locked).to_owned(),
                    opt(&a.applies_to),
                    a.applies_if
                        .as_ref()
                        .map(ToString::to_string)
                        .unwrap_or_default(),
                    opt(&a.description),
                ]
            })
            .collect(),
    )?;
    sheet(
        INDICATORS.0,
        INDICATORS.1,
        c.indicators
            .iter()
            .map(|i| {
                vec![
                    i.code.clone(),
                    i.action.clone(),
                    i.title.clone(),
                    opt(&i.objective_text),
                    opt(&i.context),
                    opt(&i.definition),
                    i.kind.as_str().to_owned(),
                    opt(&i.unit),
                    opt(&i.numerator),
                    opt(&i.denominator),
                    opt(&i.formula),
                    i.source.map(|s| s.as_str().to_owned()).unwrap_or_default(),
                    opt(&i.source_detail),
                    i.frequency
                        .map(|f| f.as_str().to_owned())
                        .unwrap_or_default(),
                    opt(&i.measure_period),
                    opt(&i.reference_period),
                    opt(&i.partners),
                    opt(&i.steering),
                    opt(&i.support),
                    opt(&i.follow_up),
                    opt(&i.evidence),
                    opt(&i.comment_help),
                ]
            })
            .collect(),
    )?;
    sheet(
        TARGETS.0,
        TARGETS.1,
        c.indicators
            .iter()
            .flat_map(|i| {
                i.targets.iter().map(move |t| {
                    vec![
                        i.code.clone(),
                        t.band.as_str().to_owned(),
                        t.finess
                            .as_ref()
                            .map(ToString::to_string)
                            .unwrap_or_default(),
                        t.year.to_string(),
                        t.text.clone(),
                        t.rule.to_string(),
                        yes_no(t.to_confirm).to_owned(),
                    ]
                })
            })
            .collect(),
    )?;
    sheet(
        QUESTIONS.0,
        QUESTIONS.1,
        c.questions
            .iter()
            .map(|q| vec![q.code.clone(), q.objective.clone(), q.text.clone()])
            .collect(),
    )?;
    wb.save_to_buffer().map_err(xlsx_error)
}

/// Column letter of a 0-based column index (A, B, … Z, AA…).
pub(crate) fn column_letter(mut col: usize) -> String {
    let mut out = Vec::new();
    loop {
        out.push(b'A' + (col % 26) as u8);
        if col < 26 {
            break;
        }
        col = col / 26 - 1;
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

/// The text of a cell: numbers without a useless ".0", booleans as oui/non.
pub(crate) fn cell_text(d: &Data) -> String {
    match d {
        Data::Empty => String::new(),
        Data::String(s) => s.trim().to_owned(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => yes_no(*b).to_owned(),
        other => other.to_string(),
    }
}

/// One sheet read as rows of named cells, with the sheet's row numbers.
struct Sheet {
    name: &'static str,
    columns: HashMap<&'static str, usize>,
    /// (1-based row number, cells).
    rows: Vec<(usize, Vec<String>)>,
}

impl Sheet {
    fn get<'a>(&self, row: &'a [String], field: &str) -> &'a str {
        self.columns
            .get(field)
            .and_then(|&c| row.get(c))
            .map_or("", String::as_str)
    }

    fn error(&self, row: usize, field: &str, message: impl Into<String>) -> CatalogueError {
        let col = self.columns.get(field).copied().unwrap_or(0);
        CatalogueError {
            line: row,
            column: col + 1,
            place: format!(
                "feuille {}, cellule {}{row}, champ « {field} »",
                self.name,
                column_letter(col)
            ),
            message: message.into(),
        }
    }
}

fn read_sheet(
    wb: &mut Xlsx<Cursor<Vec<u8>>>,
    name: &'static str,
    fields: &[&'static str],
    required: bool,
    errors: &mut Vec<CatalogueError>,
) -> Option<Sheet> {
    let range = match wb.worksheet_range(name) {
        Ok(r) => r,
        Err(_) if !required => {
            return Some(Sheet {
                name,
                columns: HashMap::new(),
                rows: vec![],
            });
        }
        Err(_) => {
            errors.push(CatalogueError {
                line: 0,
                column: 0,
                place: format!("feuille {name}"),
                message: "feuille manquante".into(),
            });
            return None;
        }
    };
    let (first_row, first_col) = range.start().unwrap_or((0, 0));
    let mut rows = range.rows();
    let header: Vec<String> = rows
        .next()
        .map(|r| r.iter().map(cell_text).collect())
        .unwrap_or_default();
    let mut columns = HashMap::new();
    for f in fields {
        match header.iter().position(|h| h == f) {
            Some(i) => {
                columns.insert(*f, i);
            }
            None if matches!(
                *f,
                "code" | "title" | "champ" | "valeur" | "indicator" | "rule"
            ) =>
            {
                errors.push(CatalogueError {
                    line: first_row as usize + 1,
                    column: 0,
                    place: format!("feuille {name}, ligne d'en-tête"),
                    message: format!("colonne « {f} » manquante"),
                });
                return None;
            }
            None => {}
        }
    }
    for (i, h) in header.iter().enumerate() {
        if !h.is_empty() && !fields.contains(&h.as_str()) {
            errors.push(CatalogueError {
                line: first_row as usize + 1,
                column: first_col as usize + i + 1,
                place: format!(
                    "feuille {name}, cellule {}{}",
                    column_letter(first_col as usize + i),
                    first_row + 1
                ),
                message: format!(
                    "colonne « {h} » inconnue (colonnes possibles : {})",
                    fields.join(", ")
                ),
            });
        }
    }
    let data = rows
        .enumerate()
        .map(|(i, r)| {
            (
                first_row as usize + i + 2,
                r.iter().map(cell_text).collect::<Vec<_>>(),
            )
        })
        .filter(|(_, cells)| cells.iter().any(|c| !c.is_empty()))
        .collect();
    Some(Sheet {
        name,
        columns,
        rows: data,
    })
}

fn opt(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.to_owned())
}

fn flag(
    sheet: &Sheet,
    row: usize,
    field: &str,
    raw: &str,
    errors: &mut Vec<CatalogueError>,
) -> bool {
    match raw.to_lowercase().as_str() {
        "" | "non" | "false" | "0" => false,
        "oui" | "true" | "1" => true,
        other => {
            errors.push(sheet.error(row, field, format!("« {other} » : oui ou non attendu")));
            false
        }
    }
}

/// Reads a catalogue from an XLSX workbook written by [`write_xlsx`] (or filled by hand
/// with the same sheets and columns); every problem, located, when it is not valid.
pub fn read_xlsx(bytes: &[u8]) -> Result<Catalogue, Vec<CatalogueError>> {
    let mut wb: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes.to_vec())).map_err(|e| {
        vec![CatalogueError {
            line: 0,
            column: 0,
            place: "classeur".into(),
            message: format!("fichier XLSX illisible : {e}"),
        }]
    })?;
    let mut errors = Vec::new();
    let header = read_sheet(&mut wb, HEADER.0, &HEADER.1, true, &mut errors);
    let sheets = [
        ORIENTATIONS,
        OBJECTIVES,
        ACTIONS,
        INDICATORS,
        TARGETS,
        QUESTIONS,
    ]
    .map(|(name, fields)| read_sheet(&mut wb, name, fields, false, &mut errors));
    let (
        Some(header),
        [
            Some(ori),
            Some(obj),
            Some(act),
            Some(ind),
            Some(tgt),
            Some(que),
        ],
    ) = (header, sheets)
    else {
        return Err(errors);
    };
    // Header: field → (row, value).
    let mut values: HashMap<String, (usize, String)> = HashMap::new();
    for (row, cells) in &header.rows {
        let key = header.get(cells, "champ").to_owned();
        if !HEADER_FIELDS.contains(&key.as_str()) {
            errors.push(header.error(*row, "champ", format!("champ « {key} » inconnu")));
            continue;
        }
        values.insert(key, (*row, header.get(cells, "valeur").to_owned()));
    }
    let value = |k: &str| values.get(k).map_or("", |(_, v)| v.as_str());
    let row_of = |k: &str| values.get(k).map_or(1, |(r, _)| *r);
    let need = |k: &'static str, errors: &mut Vec<CatalogueError>| -> String {
        let v = value(k).to_owned();
        if v.is_empty() {
            errors.push(header.error(row_of(k), "valeur", format!("champ « {k} » manquant")));
        }
        v
    };
    let format = need("format", &mut errors);
    if !format.is_empty() && format != FORMAT_VERSION.to_string() {
        errors.push(header.error(
            row_of("format"),
            "valeur",
            format!("version de format {format} inconnue"),
        ));
    }
    let slug = need("slug", &mut errors);
    let title = need("title", &mut errors);
    let region_raw = need("region", &mut errors);
    let generation = need("generation", &mut errors);
    let year = |k: &'static str, errors: &mut Vec<CatalogueError>| -> i32 {
        value(k).parse().unwrap_or_else(|_| {
            errors.push(header.error(
                row_of(k),
                "valeur",
                format!("champ « {k} » : année attendue"),
            ));
            0
        })
    };
    let start_year = year("start_year", &mut errors);
    let end_year = year("end_year", &mut errors);
    let kind_raw = need("kind", &mut errors);
    let region = RegionCode::parse(&region_raw).ok();
    if region.is_none() && !region_raw.is_empty() {
        errors.push(header.error(
            row_of("region"),
            "valeur",
            format!("code de région « {region_raw} » inconnu"),
        ));
    }
    let kind = CatalogueKind::parse(&kind_raw);
    if kind.is_none() && !kind_raw.is_empty() {
        errors.push(header.error(
            row_of("kind"),
            "valeur",
            format!("type « {kind_raw} » inconnu (engagements ou diagnostic)"),
        ));
    }
    let partial = match value("partial_threshold") {
        "" => None,
        raw => match cpom_domain::catalogue::number::parse_number(raw).map(PartialRule::new) {
            Some(Ok(p)) => Some(p),
            Some(Err(m)) => {
                errors.push(header.error(row_of("partial_threshold"), "valeur", m));
                None
            }
            None => {
                errors.push(header.error(row_of("partial_threshold"), "valeur", "nombre attendu"));
                None
            }
        },
    };

    // Rows of each item, for locating validation problems.
    let mut item_rows: HashMap<(&'static str, usize), (&Sheet, usize)> = HashMap::new();
    let orientations: Vec<Orientation> = ori
        .rows
        .iter()
        .enumerate()
        .map(|(i, (row, r))| {
            item_rows.insert(("orientation", i), (&ori, *row));
            Orientation {
                code: ori.get(r, "code").to_owned(),
                title: ori.get(r, "title").to_owned(),
                description: opt(ori.get(r, "description")),
            }
        })
        .collect();
    let objectives: Vec<Objective> = obj
        .rows
        .iter()
        .enumerate()
        .map(|(i, (row, r))| {
            item_rows.insert(("objective", i), (&obj, *row));
            Objective {
                code: obj.get(r, "code").to_owned(),
                orientation: obj.get(r, "orientation").to_owned(),
                title: obj.get(r, "title").to_owned(),
                description: opt(obj.get(r, "description")),
            }
        })
        .collect();
    let mut actions = Vec::new();
    for (i, (row, r)) in act.rows.iter().enumerate() {
        item_rows.insert(("action", i), (&act, *row));
        let applies_if = match act.get(r, "applies_if") {
            "" => None,
            raw => match Applicability::parse(raw) {
                Ok(a) => Some(a),
                Err(e) => {
                    errors.push(act.error(*row, "applies_if", format!("{e}")));
                    None
                }
            },
        };
        actions.push(ModelAction {
            code: act.get(r, "code").to_owned(),
            objective: act.get(r, "objective").to_owned(),
            title: act.get(r, "title").to_owned(),
            mandatory: flag(
                &act,
                *row,
                "mandatory",
                act.get(r, "mandatory"),
                &mut errors,
            ),
            title_locked: flag(
                &act,
                *row,
                "title_locked",
                act.get(r, "title_locked"),
                &mut errors,
            ),
            applies_to: opt(act.get(r, "applies_to")),
            applies_if,
            description: opt(act.get(r, "description")),
        });
    }
    let mut indicators = Vec::new();
    let mut position: HashMap<String, usize> = HashMap::new();
    for (i, (row, r)) in ind.rows.iter().enumerate() {
        item_rows.insert(("indicator", i), (&ind, *row));
        let code = ind.get(r, "code").to_owned();
        position.entry(code.clone()).or_insert(i);
        let kind_raw = ind.get(r, "kind");
        let kind = IndicatorKind::parse(kind_raw).unwrap_or_else(|| {
            errors.push(ind.error(
                *row,
                "kind",
                format!(
                    "type « {kind_raw} » inconnu ({})",
                    IndicatorKind::ALL.map(IndicatorKind::as_str).join(", ")
                ),
            ));
            IndicatorKind::Text
        });
        let source = match ind.get(r, "source") {
            "" => None,
            raw => DataSource::parse(raw).or_else(|| {
                errors.push(ind.error(*row, "source", format!("source « {raw} » inconnue")));
                None
            }),
        };
        let frequency = match ind.get(r, "frequency") {
            "" => None,
            raw => Frequency::parse(raw).or_else(|| {
                errors.push(ind.error(*row, "frequency", format!("fréquence « {raw} » inconnue")));
                None
            }),
        };
        let o = |f: &str| opt(ind.get(r, f));
        indicators.push(Indicator {
            code,
            action: ind.get(r, "action").to_owned(),
            title: ind.get(r, "title").to_owned(),
            objective_text: o("objective_text"),
            context: o("context"),
            definition: o("definition"),
            kind,
            unit: o("unit"),
            numerator: o("numerator"),
            denominator: o("denominator"),
            formula: o("formula"),
            source,
            source_detail: o("source_detail"),
            frequency,
            measure_period: o("measure_period"),
            reference_period: o("reference_period"),
            partners: o("partners"),
            steering: o("steering"),
            support: o("support"),
            follow_up: o("follow_up"),
            evidence: o("evidence"),
            comment_help: o("comment_help"),
            targets: vec![],
        });
    }
    let mut target_rows: HashMap<(usize, usize), usize> = HashMap::new();
    for (row, r) in &tgt.rows {
        let code = tgt.get(r, "indicator");
        let Some(&i) = position.get(code) else {
            errors.push(tgt.error(*row, "indicator", format!("indicateur « {code} » inconnu")));
            continue;
        };
        let band = match TargetBand::parse(tgt.get(r, "band")) {
            Ok(b) => b,
            Err(m) => {
                errors.push(tgt.error(*row, "band", m));
                continue;
            }
        };
        let finess = match tgt.get(r, "finess") {
            "" => None,
            raw => match FinessId::parse(raw) {
                Ok(f) => Some(f),
                Err(_) => {
                    errors.push(tgt.error(
                        *row,
                        "finess",
                        format!("numéro FINESS invalide « {raw} »"),
                    ));
                    None
                }
            },
        };
        let year = match tgt.get(r, "year") {
            "total" => TargetYear::Total,
            raw => match raw.parse::<i32>() {
                Ok(y) => TargetYear::Year(y),
                Err(_) => {
                    errors.push(tgt.error(
                        *row,
                        "year",
                        "année attendue (un nombre, ou « total »)",
                    ));
                    continue;
                }
            },
        };
        let rule = match TargetRule::parse(tgt.get(r, "rule")) {
            Ok(rule) => rule,
            Err(e) => {
                errors.push(tgt.error(*row, "rule", format!("{e}")));
                continue;
            }
        };
        let to_confirm = flag(
            &tgt,
            *row,
            "to_confirm",
            tgt.get(r, "to_confirm"),
            &mut errors,
        );
        let targets = &mut indicators[i].targets;
        target_rows.insert((i, targets.len()), *row);
        targets.push(Target {
            band,
            finess,
            year,
            text: tgt.get(r, "text").to_owned(),
            rule,
            to_confirm,
        });
    }
    let questions: Vec<Question> = que
        .rows
        .iter()
        .enumerate()
        .map(|(i, (row, r))| {
            item_rows.insert(("question", i), (&que, *row));
            Question {
                code: que.get(r, "code").to_owned(),
                objective: que.get(r, "objective").to_owned(),
                text: que.get(r, "text").to_owned(),
            }
        })
        .collect();
    let (Some(region), Some(kind)) = (region, kind) else {
        return Err(errors);
    };
    let catalogue = Catalogue {
        slug,
        title,
        region,
        generation,
        start_year,
        end_year,
        kind,
        source: opt(value("source")),
        partial,
        notes: opt(value("notes")),
        orientations,
        objectives,
        actions,
        indicators,
        questions,
    };
    for p in catalogue.validate() {
        let located = match (p.place.list, p.place.index, p.place.target) {
            ("indicator", Some(i), Some(t)) => target_rows
                .get(&(i, t))
                .map(|row| tgt.error(*row, p.place.field, &p.message)),
            (list, Some(i), _) => item_rows
                .get(&(list, i))
                .map(|(sheet, row)| sheet.error(*row, p.place.field, &p.message)),
            _ => None,
        };
        errors.push(located.unwrap_or_else(|| {
            header.error(
                row_of(p.place.field),
                "valeur",
                format!("{} : {}", p.place.field, p.message),
            )
        }));
    }
    if errors.is_empty() {
        Ok(catalogue)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_letters_follow_the_spreadsheet() {
        assert_eq!(column_letter(0), "A");
        assert_eq!(column_letter(25), "Z");
        assert_eq!(column_letter(26), "AA");
        assert_eq!(column_letter(27), "AB");
        assert_eq!(column_letter(52), "BA");
    }
}
