//! Annex 1 as a spreadsheet: one row per engagement, one column per year, for the agency's
//! follow-up tables.

use cpom_domain::contract_document::ContractDocument;
use rust_xlsxwriter::{Format, FormatAlign, Workbook};

/// Renders annex 1 of a contract document as XLSX bytes.
pub fn render(doc: &ContractDocument) -> Result<Vec<u8>, String> {
    let fail = |e: rust_xlsxwriter::XlsxError| format!("écriture du classeur : {e}");
    let mut workbook = Workbook::new();
    let bold = Format::new().set_bold();
    let header = Format::new()
        .set_bold()
        .set_background_color("E5E5E5")
        .set_text_wrap()
        .set_align(FormatAlign::Top);
    let cell = Format::new().set_text_wrap().set_align(FormatAlign::Top);
    let sheet = workbook.add_worksheet();
    sheet.set_name("Annexe 1").map_err(fail)?;
    sheet
        .write_string_with_format(0, 0, &doc.running_header, &bold)
        .map_err(fail)?;
    sheet.write_string(1, 0, &doc.version_label).map_err(fail)?;
    let table = &doc.annex1;
    for (c, column) in table.columns.iter().enumerate() {
        let c = u16::try_from(c).map_err(|_| "trop de colonnes".to_string())?;
        sheet
            .write_string_with_format(3, c, &column.title, &header)
            .map_err(fail)?;
        sheet
            .set_column_width(c, f64::from(column.width) * 1.6)
            .map_err(fail)?;
    }
    for (r, row) in table.rows.iter().enumerate() {
        let r = u32::try_from(r + 4).map_err(|_| "trop de lignes".to_string())?;
        for (c, value) in row.iter().enumerate() {
            let c = u16::try_from(c).map_err(|_| "trop de colonnes".to_string())?;
            sheet
                .write_string_with_format(r, c, value, &cell)
                .map_err(fail)?;
        }
    }
    sheet.set_freeze_panes(4, 2).map_err(fail)?;
    workbook.save_to_buffer().map_err(fail)
}

/// A cell of a table sheet.
#[derive(Debug, Clone, PartialEq)]
pub enum CellValue {
    /// Text.
    Text(String),
    /// A number (kept as a number, for the spreadsheet's sums and filters).
    Number(f64),
    /// Nothing.
    Empty,
}

/// A sheet of a workbook: a header row, then rows.
#[derive(Debug, Clone)]
pub struct TableSheet {
    /// Its name (31 characters at most).
    pub name: String,
    /// The column titles.
    pub headers: Vec<String>,
    /// The rows.
    pub rows: Vec<Vec<CellValue>>,
}

/// Renders sheets of tables as XLSX bytes: bold frozen header with an autofilter, one row per
/// line. The sheets are written in constant memory: each row goes to a temporary file as soon
/// as the next one starts, so a national campaign is not held twice (the rows, and the
/// workbook's copy of them).
pub fn tables(sheets: &[TableSheet]) -> Result<Vec<u8>, String> {
    let fail = |e: rust_xlsxwriter::XlsxError| format!("écriture du classeur : {e}");
    let mut workbook = Workbook::new();
    let header = Format::new().set_bold().set_background_color("E5E5E5");
    for s in sheets {
        let sheet = workbook
            .add_worksheet_with_constant_memory()
            .map_err(fail)?;
        sheet.set_name(&s.name).map_err(fail)?;
        for (c, h) in s.headers.iter().enumerate() {
            let c = u16::try_from(c).map_err(|_| "trop de colonnes".to_string())?;
            sheet
                .write_string_with_format(0, c, h, &header)
                .map_err(fail)?;
            sheet
                .set_column_width(c, (h.chars().count() as f64 + 4.0).max(12.0))
                .map_err(fail)?;
        }
        for (r, row) in s.rows.iter().enumerate() {
            let r = u32::try_from(r + 1).map_err(|_| "trop de lignes".to_string())?;
            for (c, v) in row.iter().enumerate() {
                let c = u16::try_from(c).map_err(|_| "trop de colonnes".to_string())?;
                match v {
                    CellValue::Text(t) => {
                        sheet.write_string(r, c, t).map_err(fail)?;
                    }
                    CellValue::Number(n) => {
                        sheet.write_number(r, c, *n).map_err(fail)?;
                    }
                    CellValue::Empty => {}
                }
            }
        }
        let last_col = u16::try_from(s.headers.len().saturating_sub(1)).unwrap_or(0);
        let last_row = u32::try_from(s.rows.len()).unwrap_or(u32::MAX);
        sheet.autofilter(0, 0, last_row, last_col).map_err(fail)?;
        sheet.set_freeze_panes(1, 0).map_err(fail)?;
    }
    workbook.save_to_buffer().map_err(fail)
}
