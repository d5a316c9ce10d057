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
