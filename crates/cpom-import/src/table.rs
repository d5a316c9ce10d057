//! Tables typed by users: a CSV (`;`, `,` or tab, the most frequent in the header line;
//! UTF-8 or Windows-1252) or an XLSX workbook (first sheet, recognised by its content), read
//! as a header row and the rows under it, each with its line in the file, and empty rows
//! skipped. The importers built on it (values of the agency, action plans) match the headers
//! and read the cells; every problem names its line and column.

use std::io::Cursor;

use calamine::{Reader, Xlsx, open_workbook_from_rs};

use crate::catalogue_xlsx::{cell_text, column_letter};

/// A problem of a table, at its place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableError {
    /// Line in the file (0: the whole file).
    pub line: u64,
    /// Column, when known (a header, or "colonne 3", "cellule C1").
    pub column: Option<String>,
    /// What is wrong, in French.
    pub message: String,
}

/// The whole file is wrong.
pub fn whole(message: impl Into<String>) -> TableError {
    TableError {
        line: 0,
        column: None,
        message: message.into(),
    }
}

/// A table read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    /// The header cells.
    pub header: Vec<String>,
    /// Line of the header.
    pub header_line: u64,
    /// The rows under it: line and cells (trimmed).
    pub rows: Vec<(u64, Vec<String>)>,
    /// For a workbook, the first column of the sheet (cells are then named `C1`).
    xlsx_first_col: Option<usize>,
}

impl Table {
    /// Names the header cell of column `i`: `colonne 3` in a CSV, `cellule C1` in a workbook.
    pub fn place(&self, i: usize) -> String {
        match self.xlsx_first_col {
            Some(first) => format!("cellule {}{}", column_letter(first + i), self.header_line),
            None => format!("colonne {}", i + 1),
        }
    }
}

/// A header made comparable: lower case, without accents, apostrophes or BOM, spaces and
/// dashes as `_`.
pub fn normalise(header: &str) -> String {
    header
        .trim()
        .trim_start_matches('\u{feff}')
        .to_lowercase()
        .chars()
        .filter(|c| !matches!(c, '\'' | '’'))
        .map(|c| match c {
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'à' | 'â' => 'a',
            'î' | 'ï' => 'i',
            'ô' => 'o',
            'û' | 'ù' => 'u',
            'ç' => 'c',
            ' ' | '-' => '_',
            c => c,
        })
        .collect()
}

/// Reads a table of at most `max_rows` rows; `empty` is the message of a file without a
/// header line.
pub fn read(bytes: &[u8], max_rows: usize, empty: &str) -> Result<Table, Vec<TableError>> {
    if bytes.starts_with(b"PK\x03\x04") {
        read_xlsx(bytes, max_rows, empty)
    } else {
        read_csv(bytes, max_rows, empty)
    }
}

fn too_long(max_rows: usize) -> Vec<TableError> {
    vec![whole(format!(
        "fichier trop long : {max_rows} lignes au plus"
    ))]
}

fn read_xlsx(bytes: &[u8], max_rows: usize, empty: &str) -> Result<Table, Vec<TableError>> {
    let mut wb: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes.to_vec()))
        .map_err(|e| vec![whole(format!("fichier XLSX illisible : {e}"))])?;
    let Some(range) = wb.worksheet_range_at(0) else {
        return Err(vec![whole("le classeur ne contient aucune feuille")]);
    };
    let range = range.map_err(|e| vec![whole(format!("première feuille illisible : {e}"))])?;
    let (first_row, first_col) = range.start().unwrap_or((0, 0));
    let mut rows = range.rows();
    let header: Vec<String> = rows
        .next()
        .map(|r| r.iter().map(|c| cell_text(c).trim().to_owned()).collect())
        .unwrap_or_default();
    if header.iter().all(String::is_empty) {
        return Err(vec![whole(empty)]);
    }
    let header_line = u64::from(first_row) + 1;
    let mut out = vec![];
    for (i, r) in rows.enumerate() {
        let cells: Vec<String> = r.iter().map(|c| cell_text(c).trim().to_owned()).collect();
        if cells.iter().all(String::is_empty) {
            continue;
        }
        if out.len() == max_rows {
            return Err(too_long(max_rows));
        }
        out.push((header_line + 1 + i as u64, cells));
    }
    Ok(Table {
        header,
        header_line,
        rows: out,
        xlsx_first_col: Some(first_col as usize),
    })
}

fn read_csv(bytes: &[u8], max_rows: usize, empty: &str) -> Result<Table, Vec<TableError>> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t.to_owned(),
        Err(_) => encoding_rs::WINDOWS_1252
            .decode_without_bom_handling(bytes)
            .0
            .into_owned(),
    };
    if text.contains('\0') {
        return Err(vec![whole(
            "fichier illisible : ni un CSV ni un classeur XLSX (enregistrez-le en CSV ou XLSX)",
        )]);
    }
    let first = text.lines().next().unwrap_or_default();
    let delimiter = [b';', b'\t', b',']
        .into_iter()
        .max_by_key(|d| first.matches(char::from(*d)).count())
        .unwrap_or(b';');
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .terminator(csv::Terminator::Any(b'\n'))
        .from_reader(text.as_bytes());
    let mut header: Option<(u64, Vec<String>)> = None;
    let mut out = vec![];
    let mut errors = vec![];
    for record in rdr.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                errors.push(TableError {
                    line: e.position().map_or(0, |p| p.line()),
                    column: None,
                    message: format!("ligne illisible : {e}"),
                });
                continue;
            }
        };
        let line = record.position().map_or(0, |p| p.line());
        let cells: Vec<String> = record
            .iter()
            .map(|c| c.trim_end_matches('\r').trim().to_owned())
            .collect();
        if cells.iter().all(String::is_empty) {
            continue;
        }
        if header.is_none() {
            header = Some((line, cells));
        } else {
            if out.len() == max_rows {
                return Err(too_long(max_rows));
            }
            out.push((line, cells));
        }
    }
    let Some((header_line, header)) = header else {
        return Err(vec![whole(empty)]);
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(Table {
        header,
        header_line,
        rows: out,
        xlsx_first_col: None,
    })
}
