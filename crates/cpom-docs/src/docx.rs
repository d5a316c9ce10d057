//! The contract as DOCX (Word): the same blocks as the PDF, with the running header, the
//! version and "Page n sur N" fields in the page header and footer, so that the document
//! stays editable by the agency.

use std::io::Cursor;

use cpom_domain::contract_document::{Block, ContractDocument, SignatureBox, Table as DocTable};
use docx_rs::{
    AlignmentType, BreakType, Docx, Footer, Header, NumPages, PageMargin, PageNum, Paragraph, Run,
    RunFonts, Shading, Table, TableCell, TableRow, WidthType,
};

/// A4 in twentieths of a point.
const PAGE_W: u32 = 11906;
const PAGE_H: u32 = 16838;
/// 2 cm.
const MARGIN: i32 = 1134;
const BODY_W: usize = (PAGE_W as usize) - 2 * (MARGIN as usize);

/// A paragraph of one run whose line breaks are kept.
fn text(content: &str, size: usize, bold: bool) -> Paragraph {
    let mut paragraph = Paragraph::new();
    for (i, line) in content.split('\n').enumerate() {
        let mut run = Run::new().size(size);
        if bold {
            run = run.bold();
        }
        if i > 0 {
            run = run.add_break(BreakType::TextWrapping);
        }
        paragraph = paragraph.add_run(run.add_text(line));
    }
    paragraph
}

fn table(t: &DocTable) -> Table {
    let total: usize = t
        .columns
        .iter()
        .map(|c| usize::from(c.width))
        .sum::<usize>()
        .max(1);
    let widths: Vec<usize> = t
        .columns
        .iter()
        .map(|c| BODY_W * usize::from(c.width) / total)
        .collect();
    let size = if t.columns.len() > 6 { 14 } else { 17 };
    let cell = |content: &str, w: usize, header: bool| {
        let mut c = TableCell::new()
            .width(w, WidthType::Dxa)
            .add_paragraph(text(content, size, header));
        if header {
            c = c.shading(Shading::new().fill("E5E5E5"));
        }
        c
    };
    let mut rows = vec![
        TableRow::new(
            t.columns
                .iter()
                .zip(&widths)
                .map(|(c, w)| cell(&c.title, *w, true))
                .collect(),
        )
        .cant_split(),
    ];
    for row in &t.rows {
        rows.push(
            TableRow::new(
                row.iter()
                    .zip(&widths)
                    .map(|(c, w)| cell(c, *w, false))
                    .collect(),
            )
            .cant_split(),
        );
    }
    Table::new(rows)
        .set_grid(widths)
        .width(BODY_W, WidthType::Dxa)
}

fn signatures(boxes: &[SignatureBox]) -> Table {
    let w = BODY_W / 2;
    let rows = boxes
        .chunks(2)
        .map(|pair| {
            TableRow::new(
                pair.iter()
                    .map(|b| {
                        TableCell::new()
                            .width(w, WidthType::Dxa)
                            .add_paragraph(text(&b.party, 18, true))
                            .add_paragraph(text(
                                b.signer.as_deref().unwrap_or("Nom et fonction :"),
                                18,
                                false,
                            ))
                            .add_paragraph(text(b.date.as_deref().unwrap_or("Date :"), 18, false))
                            .add_paragraph(Paragraph::new())
                            .add_paragraph(Paragraph::new())
                    })
                    .collect(),
            )
            .cant_split()
        })
        .collect();
    Table::new(rows)
        .set_grid(vec![w, w])
        .width(BODY_W, WidthType::Dxa)
}

/// Renders a contract document as DOCX bytes.
pub fn render(doc: &ContractDocument) -> Result<Vec<u8>, String> {
    let header = Header::new().add_paragraph(text(&doc.running_header, 16, false));
    let footer = Footer::new().add_paragraph(
        Paragraph::new()
            .add_run(
                Run::new()
                    .size(16)
                    .add_text(format!("{} · Page ", doc.version_label)),
            )
            .add_page_num(PageNum::new())
            .add_run(Run::new().size(16).add_text(" sur "))
            .add_num_pages(NumPages::new()),
    );
    let mut docx = Docx::new()
        .page_size(PAGE_W, PAGE_H)
        .page_margin(
            PageMargin::new()
                .top(MARGIN + 300)
                .bottom(MARGIN)
                .left(MARGIN)
                .right(MARGIN)
                .header(600)
                .footer(500),
        )
        .default_fonts(RunFonts::new().ascii("Arial").hi_ansi("Arial").cs("Arial"))
        .default_size(20)
        .header(header)
        .footer(footer);
    let mut page_break = false;
    for block in &doc.blocks {
        let mut paragraph = match block {
            Block::Title(t) => Some(text(t, 32, true).align(AlignmentType::Center)),
            Block::Heading(t) => Some(text(t, 24, true).keep_next(true)),
            Block::Paragraph(t) => Some(text(t, 20, false)),
            Block::Table(t) => {
                if page_break {
                    docx = docx.add_paragraph(Paragraph::new().page_break_before(true));
                    page_break = false;
                }
                docx = docx.add_table(table(t)).add_paragraph(Paragraph::new());
                None
            }
            Block::Signatures(boxes) => {
                docx = docx
                    .add_table(signatures(boxes))
                    .add_paragraph(Paragraph::new());
                None
            }
            Block::NewPage { .. } => {
                page_break = true;
                None
            }
        };
        if let Some(p) = paragraph.take() {
            let p = if std::mem::take(&mut page_break) {
                p.page_break_before(true)
            } else {
                p
            };
            docx = docx.add_paragraph(p);
        }
    }
    let mut out = Cursor::new(Vec::new());
    docx.build()
        .pack(&mut out)
        .map_err(|e| format!("écriture du document Word : {e}"))?;
    Ok(out.into_inner())
}
