//! Files of regional action plans: a CSV or XLSX table with one row per action or
//! sub-action (an objective without action on a row of its own), the columns of the agencies'
//! spreadsheets (see `cpom_domain::plan::COLUMNS`; headers matched without case, accents or
//! apostrophes, in any order, other columns ignored). Reading checks the layout only;
//! building the tree and checking the cells is the domain's `plan::build_tree`.

use cpom_domain::plan::{COLUMNS, PlanRow};

use crate::table::{self, TableError};

/// Most rows a plan file may hold.
pub const MAX_ROWS: usize = 5_000;

/// The columns a file must have.
const REQUIRED: [&str; 4] = ["theme", "axis", "objective", "action"];

/// Reads a plan file: its rows, or every problem of layout with its place.
pub fn read(bytes: &[u8]) -> Result<Vec<PlanRow>, Vec<TableError>> {
    let t = table::read(
        bytes,
        MAX_ROWS,
        "fichier vide : la première ligne doit nommer les colonnes (Thématique;Axe;Objectif;Action;…)",
    )?;
    let mut at: [Option<usize>; 15] = [None; 15];
    let mut errors = vec![];
    for (i, h) in t.header.iter().enumerate() {
        let n = table::normalise(h);
        let Some(k) = COLUMNS
            .iter()
            .position(|(_, header)| table::normalise(header) == n)
        else {
            continue;
        };
        if at[k].is_some() {
            errors.push(TableError {
                line: t.header_line,
                column: Some(COLUMNS[k].1.into()),
                message: format!("colonne « {} » en double ({})", COLUMNS[k].1, t.place(i)),
            });
        }
        at[k] = Some(i);
    }
    for (k, (field, header)) in COLUMNS.iter().enumerate() {
        if at[k].is_none() && REQUIRED.contains(field) {
            errors.push(TableError {
                line: t.header_line,
                column: Some((*header).into()),
                message: format!(
                    "colonne « {header} » manquante dans la ligne d'en-tête (téléchargez le modèle pour les colonnes attendues)"
                ),
            });
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(t.rows
        .iter()
        .map(|(line, cells)| {
            let cell = |k: usize| {
                at[k]
                    .and_then(|i| cells.get(i))
                    .cloned()
                    .unwrap_or_default()
            };
            PlanRow {
                line: *line,
                theme: cell(0),
                axis: cell(1),
                objective: cell(2),
                objective_pilot: cell(3),
                objective_status: cell(4),
                objective_start: cell(5),
                objective_end: cell(6),
                action: cell(7),
                sub_action: cell(8),
                pilot: cell(9),
                status: cell(10),
                start: cell(11),
                end: cell(12),
                description: cell(13),
                doubt: cell(14),
            }
        })
        .collect())
}

/// Writes rows in the import's layout as an XLSX workbook (the export of a plan; with no
/// row, the template to fill).
pub fn write(rows: &[PlanRow]) -> Result<Vec<u8>, String> {
    use rust_xlsxwriter::{Format, Workbook};
    let e = |e: rust_xlsxwriter::XlsxError| e.to_string();
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("Plan d'actions").map_err(e)?;
    let bold = Format::new().set_bold().set_text_wrap();
    let wrap = Format::new().set_text_wrap();
    for (c, (_, header)) in COLUMNS.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, *header, &bold)
            .map_err(e)?;
        let width = match c {
            0..=2 | 7 | 8 => 40.0,
            13 | 14 => 60.0,
            _ => 14.0,
        };
        ws.set_column_width(c as u16, width).map_err(e)?;
    }
    for (i, r) in rows.iter().enumerate() {
        let cells = [
            &r.theme,
            &r.axis,
            &r.objective,
            &r.objective_pilot,
            &r.objective_status,
            &r.objective_start,
            &r.objective_end,
            &r.action,
            &r.sub_action,
            &r.pilot,
            &r.status,
            &r.start,
            &r.end,
            &r.description,
            &r.doubt,
        ];
        for (c, v) in cells.iter().enumerate() {
            if !v.is_empty() {
                ws.write_string_with_format(i as u32 + 1, c as u16, v.as_str(), &wrap)
                    .map_err(e)?;
            }
        }
    }
    ws.set_freeze_panes(1, 0).map_err(e)?;
    wb.save_to_buffer().map_err(e)
}

#[cfg(test)]
mod tests {
    use super::*;
    use cpom_domain::plan::{Level, build_tree, default_pilots, default_statuses};

    #[test]
    fn the_plan_rebuilt_from_seed_000_reads_and_builds() {
        let bytes = include_bytes!("../../../plans/paca-2018-2023.csv");
        let rows = read(bytes).expect("layout");
        assert_eq!(rows.len(), 56);
        assert_eq!(rows[0].line, 2);
        let tree =
            build_tree(&rows, &default_statuses(), &default_pilots()).expect("every cell valid");
        let count = |l: Level| tree.iter().map(|t| t.count(l)).sum::<usize>();
        assert_eq!(
            (
                tree.len(),
                count(Level::Axis),
                count(Level::Objective),
                count(Level::Action),
                count(Level::SubAction)
            ),
            (1, 4, 16, 34, 18)
        );
        // Statuses are codes of the list, or unset where the spreadsheet said « Sélectionner ».
        fn statuses(items: &[cpom_domain::plan::Item], out: &mut Vec<Option<String>>) {
            for i in items {
                if i.level.followed() {
                    out.push(i.status.clone());
                }
                statuses(&i.children, out);
            }
        }
        let mut all = vec![];
        statuses(&tree, &mut all);
        let codes: Vec<String> = default_statuses().into_iter().map(|s| s.code).collect();
        assert!(all.iter().flatten().all(|c| codes.contains(c)), "{all:?}");
        assert!(all.iter().any(Option::is_none), "unset statuses stay unset");
    }

    #[test]
    fn a_broken_layout_is_refused_with_its_place() {
        let e = read("Thématique;Axe;Objectif\nT;A;O\n".as_bytes()).expect_err("no action");
        assert_eq!((e[0].line, e[0].column.as_deref()), (1, Some("Action")));
        let e = read("Thématique;Axe;Objectif;Action;axe\n".as_bytes()).expect_err("twice");
        assert!(
            e[0].message.contains("en double (colonne 5)"),
            "{}",
            e[0].message
        );
        let e = read(b"").expect_err("empty");
        assert!(e[0].message.starts_with("fichier vide"));
        // Headers without accents, in another order, with columns of one's own.
        let rows = read(
            "Notes;Action;Objectif;Axe;Thematique;Statut de laction\nx;A1;O1;Axe 1;T1;en cours\n"
                .as_bytes(),
        )
        .expect("read");
        assert_eq!(
            (
                rows[0].theme.as_str(),
                rows[0].action.as_str(),
                rows[0].status.as_str()
            ),
            ("T1", "A1", "en cours")
        );
    }

    #[test]
    fn the_export_reads_back_as_the_same_plan() {
        let (s, p) = (default_statuses(), default_pilots());
        let rows = read(include_bytes!("../../../plans/paca-2018-2023.csv")).expect("layout");
        let tree = build_tree(&rows, &s, &p).expect("tree");
        let xlsx = write(&cpom_domain::plan::flatten(&tree, &s)).expect("xlsx");
        let back = read(&xlsx).expect("read back");
        let again = build_tree(&back, &s, &p).expect("tree again");
        assert_eq!(again.len(), tree.len());
        let count =
            |t: &[cpom_domain::plan::Item], l: Level| t.iter().map(|i| i.count(l)).sum::<usize>();
        for l in Level::ALL {
            assert_eq!(count(&again, l), count(&tree, l), "{l:?}");
        }
        // The template: the header alone, which reads as a file without rows.
        let template = read(&write(&[]).expect("template")).expect("template reads");
        assert!(template.is_empty());
    }
}
