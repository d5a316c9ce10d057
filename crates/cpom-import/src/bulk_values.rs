//! Files of values the agency loads into a campaign (PMSI, SAE or another of its bases): a
//! CSV (`;`, `,` or tab; UTF-8 or Windows-1252) or an XLSX workbook (first sheet) with one
//! line per declaration and the columns `finess`, `indicateur`, `annee`, `valeur`,
//! `numerateur`, `denominateur` (other columns, such as those of the downloadable template,
//! are ignored). Reading checks the layout only; matching the lines with the declarations is
//! the domain's `campaign::plan_bulk`.

use cpom_domain::campaign::{BulkError, BulkLine};
use rust_xlsxwriter::{Format, Workbook};

/// The columns read, in the template's order (informative columns aside).
pub const COLUMNS: [&str; 6] = [
    "finess",
    "indicateur",
    "annee",
    "valeur",
    "numerateur",
    "denominateur",
];

/// Most lines a file may hold (a national campaign has about 50,000 declarations).
pub const MAX_LINES: usize = 200_000;

/// Where each column read is, from the header row; `place(i)` names a header cell.
fn columns(
    header: &[String],
    header_line: u64,
    place: impl Fn(usize) -> String,
) -> Result<[Option<usize>; 6], Vec<BulkError>> {
    let mut at = [None; 6];
    let mut errors = vec![];
    for (i, h) in header.iter().enumerate() {
        let n = crate::table::normalise(h);
        let n = match n.as_str() {
            "indicator" | "code_indicateur" => "indicateur",
            "year" | "annee_de_mesure" => "annee",
            "value" => "valeur",
            "numerator" => "numerateur",
            "denominator" => "denominateur",
            other => other,
        };
        if let Some(k) = COLUMNS.iter().position(|c| *c == n) {
            if at[k].is_some() {
                errors.push(BulkError {
                    line: header_line,
                    column: Some(COLUMNS[k].into()),
                    message: format!("colonne « {} » en double ({})", COLUMNS[k], place(i)),
                });
            }
            at[k] = Some(i);
        }
    }
    for (k, name) in COLUMNS.iter().enumerate().take(2) {
        if at[k].is_none() {
            errors.push(BulkError {
                line: header_line,
                column: Some((*name).into()),
                message: format!(
                    "colonne « {name} » manquante dans la ligne d'en-tête (colonnes attendues : {})",
                    COLUMNS.join(", ")
                ),
            });
        }
    }
    if at[3].is_none() && at[4].is_none() {
        errors.push(BulkError {
            line: header_line,
            column: Some("valeur".into()),
            message: "colonne « valeur » (ou « numerateur » et « denominateur ») manquante".into(),
        });
    }
    if errors.is_empty() {
        Ok(at)
    } else {
        Err(errors)
    }
}

fn line_of(line: u64, cells: &[String], at: &[Option<usize>; 6]) -> BulkLine {
    let cell = |k: usize| {
        at[k]
            .and_then(|i| cells.get(i))
            .map(|c| c.trim().to_owned())
            .filter(|c| !c.is_empty())
    };
    BulkLine {
        line,
        finess: cell(0).unwrap_or_default(),
        indicator: cell(1).unwrap_or_default(),
        year: cell(2),
        value: cell(3),
        numerator: cell(4),
        denominator: cell(5),
    }
}

/// Reads a file of values (XLSX recognised by its content, else CSV): its lines, or every
/// problem of layout with its place.
pub fn read(bytes: &[u8]) -> Result<Vec<BulkLine>, Vec<BulkError>> {
    let to_bulk = |errors: Vec<crate::table::TableError>| -> Vec<BulkError> {
        errors
            .into_iter()
            .map(|e| BulkError {
                line: e.line,
                column: e.column,
                message: e.message,
            })
            .collect()
    };
    let table = crate::table::read(
        bytes,
        MAX_LINES,
        "fichier vide : la première ligne doit nommer les colonnes (finess;indicateur;annee;valeur)",
    )
    .map_err(to_bulk)?;
    let at = columns(&table.header, table.header_line, |i| table.place(i))?;
    Ok(table
        .rows
        .iter()
        .map(|(line, cells)| line_of(*line, cells, &at))
        .collect())
}

/// A line of the template: a declaration still waiting for a value.
#[derive(Debug, Clone)]
pub struct TemplateLine {
    /// FINESS of the legal entity, or of the site.
    pub finess: String,
    /// Name of the establishment (informative).
    pub establishment: String,
    /// Indicator code.
    pub indicator: String,
    /// Indicator title (informative).
    pub title: String,
    /// Kind of value expected (informative, in French).
    pub expected: String,
    /// Year.
    pub year: i32,
}

/// The template of a campaign's values: one line per declaration still waiting for a value,
/// the columns read plus informative ones (ignored when the file comes back).
pub fn write_template(lines: &[TemplateLine]) -> Result<Vec<u8>, String> {
    let mut wb = Workbook::new();
    let bold = Format::new().set_bold();
    let ws = wb.add_worksheet();
    let e = |e: rust_xlsxwriter::XlsxError| format!("écriture XLSX impossible : {e}");
    ws.set_name("Valeurs").map_err(e)?;
    let headers = [
        "finess",
        "etablissement",
        "indicateur",
        "libelle",
        "valeur_attendue",
        "annee",
        "valeur",
        "numerateur",
        "denominateur",
    ];
    for (c, h) in headers.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, *h, &bold)
            .map_err(e)?;
    }
    for (r, l) in lines.iter().enumerate() {
        let row = r as u32 + 1;
        ws.write_string(row, 0, &l.finess).map_err(e)?;
        ws.write_string(row, 1, &l.establishment).map_err(e)?;
        ws.write_string(row, 2, &l.indicator).map_err(e)?;
        ws.write_string(row, 3, &l.title).map_err(e)?;
        ws.write_string(row, 4, &l.expected).map_err(e)?;
        ws.write_number(row, 5, f64::from(l.year)).map_err(e)?;
    }
    for (c, w) in [11, 40, 16, 60, 30, 8, 12, 12, 12].iter().enumerate() {
        ws.set_column_width(c as u16, *w).map_err(e)?;
    }
    ws.set_freeze_panes(1, 0).map_err(e)?;
    wb.save_to_buffer().map_err(e)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_csv_is_read_whatever_its_separator_and_encoding() {
        let utf8 = "\u{feff}FINESS;Indicateur;Année;Valeur\r\n300780038;IND-DMS;2026;5,4\r\n\r\n340780477;IND-DMS;2026;1 204\r\n";
        let lines = read(utf8.as_bytes()).expect("read");
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[1].line, 4, "the blank line counts");
        assert_eq!(lines[1].value.as_deref(), Some("1 204"));
        assert_eq!(lines[0].year.as_deref(), Some("2026"));
        let latin1 = b"finess,indicateur,num\xe9rateur,d\xe9nominateur\n300000049,IND-TX,150,200\n";
        let lines = read(latin1).expect("latin-1");
        assert_eq!(lines[0].numerator.as_deref(), Some("150"));
        assert_eq!(lines[0].denominator.as_deref(), Some("200"));
        assert_eq!(lines[0].year, None);
    }

    #[test]
    fn a_missing_column_is_named_with_its_line() {
        let e = read(b"finess;annee;valeur\n300780038;2026;3\n").expect_err("no indicator");
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].line, 1);
        assert_eq!(e[0].column.as_deref(), Some("indicateur"));
        let e = read(b"").expect_err("empty");
        assert!(e[0].message.starts_with("fichier vide"), "{}", e[0].message);
        let e = read(b"%PDF-1.7\0\0").expect_err("not a table");
        assert!(e[0].message.contains("ni un CSV"), "{}", e[0].message);
        let e = read(b"PK\x03\x04garbage").expect_err("broken xlsx");
        assert!(e[0].message.starts_with("fichier XLSX illisible"));
    }

    #[test]
    fn the_template_comes_back_as_lines_to_fill() {
        let bytes = write_template(&[TemplateLine {
            finess: "300780038".into(),
            establishment: "CHU de Nîmes".into(),
            indicator: "IND-DMS".into(),
            title: "Durée moyenne de séjour".into(),
            expected: "nombre".into(),
            year: 2026,
        }])
        .expect("template");
        let lines = read(&bytes).expect("read back");
        assert_eq!(
            lines,
            [BulkLine {
                line: 2,
                finess: "300780038".into(),
                indicator: "IND-DMS".into(),
                year: Some("2026".into()),
                ..BulkLine::default()
            }]
        );
    }
}
