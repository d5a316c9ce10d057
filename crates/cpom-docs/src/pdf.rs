//! The contract as PDF: A4 pages (in landscape for wide tables), the standard Helvetica fonts (no font file to embed;
//! every PDF reader has them), word-wrapped paragraphs, tables whose header repeats on each
//! page, and on every page the running header, the version and "Page n sur N".
//!
//! `pdf-writer` serialises the objects; this module only lays the text out.

use std::io::Write;

use cpom_domain::contract_document::{Block, ContractDocument, SignatureBox, Table};
use pdf_writer::{Content, Filter, Finish, Name, Pdf, Rect, Ref, Str, TextStr};

use crate::metrics;

const MARGIN_X: f32 = 56.7;
const BOTTOM: f32 = 62.0;

/// Size of a page in points.
#[derive(Clone, Copy, PartialEq)]
struct Size {
    w: f32,
    h: f32,
}

const PORTRAIT: Size = Size {
    w: 595.28,
    h: 841.89,
};
const LANDSCAPE: Size = Size {
    w: 841.89,
    h: 595.28,
};

impl Size {
    /// Width of the text area.
    fn body_w(self) -> f32 {
        self.w - 2.0 * MARGIN_X
    }

    /// Where the text area starts, from the bottom.
    fn top(self) -> f32 {
        self.h - 70.0
    }
}

const REGULAR: Name<'static> = Name(b"F1");
const BOLD: Name<'static> = Name(b"F2");
const SYMBOL: Name<'static> = Name(b"F3");

/// A character as the standard fonts print it.
#[derive(Clone, Copy)]
enum Glyph {
    /// A WinAnsi code of Helvetica.
    Text(u8),
    /// A code of the Symbol font.
    Symbol(u8),
}

fn glyph(c: char) -> Glyph {
    let code = match c {
        ' '..='~' | '\u{a0}'..='\u{ff}' => c as u32 as u8,
        '≥' => return Glyph::Symbol(0xB3),
        '≤' => return Glyph::Symbol(0xA3),
        '≠' => return Glyph::Symbol(0xB9),
        '€' => 0x80,
        '‚' => 0x82,
        'ƒ' => 0x83,
        '„' => 0x84,
        '…' => 0x85,
        '†' => 0x86,
        '‡' => 0x87,
        'ˆ' => 0x88,
        '‰' => 0x89,
        'Š' => 0x8A,
        '‹' => 0x8B,
        'Œ' => 0x8C,
        'Ž' => 0x8E,
        '‘' => 0x91,
        '’' => 0x92,
        '“' => 0x93,
        '”' => 0x94,
        '•' => 0x95,
        '–' => 0x96,
        '—' => 0x97,
        '˜' => 0x98,
        '™' => 0x99,
        'š' => 0x9A,
        '›' => 0x9B,
        'œ' => 0x9C,
        'ž' => 0x9E,
        'Ÿ' => 0x9F,
        // Narrow and thin no-break spaces print as a no-break space.
        '\u{202f}' | '\u{2009}' | '\u{2007}' => 0xA0,
        '\u{2000}'..='\u{2006}' | '\u{2008}' | '\u{200a}' | '\t' => b' ',
        '‐' | '‑' | '−' => b'-',
        '→' => b'>',
        _ => b'?',
    };
    Glyph::Text(code)
}

fn advance(g: Glyph, bold: bool) -> f32 {
    f32::from(match g {
        Glyph::Symbol(_) => metrics::SYMBOL_RELATION,
        Glyph::Text(code) if code >= 32 => {
            let table = if bold {
                &metrics::HELVETICA_BOLD
            } else {
                &metrics::HELVETICA
            };
            table[usize::from(code - 32)]
        }
        Glyph::Text(_) => 0,
    })
}

/// Width of a text in points.
fn width(text: &str, size: f32, bold: bool) -> f32 {
    text.chars().map(|c| advance(glyph(c), bold)).sum::<f32>() * size / 1000.0
}

/// Splits a text into lines no wider than `max`: at its line breaks, then between words
/// (never at a no-break space), a word longer than a line being cut.
fn wrap(text: &str, size: f32, bold: bool, max: f32) -> Vec<String> {
    let mut lines = vec![];
    for paragraph in text.split('\n') {
        let mut line = String::new();
        for word in paragraph.split(' ').filter(|w| !w.is_empty()) {
            let candidate = if line.is_empty() {
                word.to_string()
            } else {
                format!("{line} {word}")
            };
            if width(&candidate, size, bold) <= max {
                line = candidate;
                continue;
            }
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            // A word wider than the line is cut where it overflows.
            let mut piece = String::new();
            for c in word.chars() {
                piece.push(c);
                if width(&piece, size, bold) > max && piece.chars().count() > 1 {
                    piece.pop();
                    lines.push(std::mem::take(&mut piece));
                    piece.push(c);
                }
            }
            line = piece;
        }
        lines.push(line);
    }
    lines
}

/// Writes one line of text at (x, y), switching to the Symbol font where needed.
fn show(content: &mut Content, x: f32, y: f32, text: &str, size: f32, bold: bool) {
    let face = if bold { BOLD } else { REGULAR };
    content.begin_text();
    content.set_font(face, size);
    content.next_line(x, y);
    let mut run: Vec<u8> = vec![];
    let mut in_symbol = false;
    for c in text.chars() {
        let (symbol, code) = match glyph(c) {
            Glyph::Text(code) => (false, code),
            Glyph::Symbol(code) => (true, code),
        };
        if symbol != in_symbol {
            if !run.is_empty() {
                content.show(Str(&run));
                run.clear();
            }
            content.set_font(if symbol { SYMBOL } else { face }, size);
            in_symbol = symbol;
        }
        run.push(code);
    }
    if !run.is_empty() {
        content.show(Str(&run));
    }
    content.end_text();
}

struct Layout {
    pages: Vec<(Content, Size)>,
    size: Size,
    y: f32,
    /// Something was drawn on the current page.
    used: bool,
}

impl Layout {
    fn new() -> Self {
        Layout {
            pages: vec![(Content::new(), PORTRAIT)],
            size: PORTRAIT,
            y: PORTRAIT.top(),
            used: false,
        }
    }

    fn page(&mut self) -> &mut Content {
        self.used = true;
        let last = self.pages.len() - 1;
        &mut self.pages[last].0
    }

    fn new_page(&mut self) {
        self.pages.push((Content::new(), self.size));
        self.y = self.size.top();
        self.used = false;
    }

    /// Continues on a page of `size`: a new one unless the current one is blank and of
    /// that size already.
    fn turn_to(&mut self, size: Size) {
        if self.used || self.size != size {
            self.size = size;
            if self.used {
                self.new_page();
            } else {
                let last = self.pages.len() - 1;
                self.pages[last].1 = size;
                self.y = size.top();
            }
        }
    }

    /// Starts a new page unless `height` still fits on this one.
    fn room(&mut self, height: f32) {
        if self.y - height < BOTTOM && self.used {
            self.new_page();
        }
    }

    fn lines(&mut self, text: &str, size: f32, bold: bool, centred: bool) {
        let leading = size * 1.35;
        let body_w = self.size.body_w();
        for line in wrap(text, size, bold, body_w) {
            self.room(leading);
            let x = if centred {
                MARGIN_X + (body_w - width(&line, size, bold)) / 2.0
            } else {
                MARGIN_X
            };
            let y = self.y - size;
            show(self.page(), x, y, &line, size, bold);
            self.y -= leading;
        }
    }

    fn table(&mut self, table: &Table) {
        let total: f32 = table.columns.iter().map(|c| f32::from(c.width)).sum();
        let widths: Vec<f32> = table
            .columns
            .iter()
            .map(|c| self.size.body_w() * f32::from(c.width) / total.max(1.0))
            .collect();
        let size = if table.columns.len() > 6 { 7.0 } else { 8.5 };
        let header: Vec<String> = table.columns.iter().map(|c| c.title.clone()).collect();
        self.room(60.0);
        self.row(&header, &widths, size, true);
        for row in &table.rows {
            let height = row_height(row, &widths, size, false);
            if self.y - height < BOTTOM {
                self.new_page();
                self.row(&header, &widths, size, true);
            }
            self.row(row, &widths, size, false);
        }
        self.y -= 8.0;
    }

    fn row(&mut self, cells: &[String], widths: &[f32], size: f32, header: bool) {
        const PAD: f32 = 3.0;
        let leading = size * 1.25;
        let height = row_height(cells, widths, size, header);
        let top = self.y;
        let body_w = self.size.body_w();
        let content = self.page();
        if header {
            content.set_fill_gray(0.9);
            content.rect(MARGIN_X, top - height, body_w, height);
            content.fill_nonzero();
            content.set_fill_gray(0.0);
        }
        content.set_line_width(0.5);
        let mut x = MARGIN_X;
        for (cell, w) in cells.iter().zip(widths) {
            content.rect(x, top - height, *w, height);
            content.stroke();
            for (i, line) in wrap(cell, size, header, w - 2.0 * PAD).iter().enumerate() {
                let y = top - PAD - size - leading * i as f32;
                show(content, x + PAD, y, line, size, header);
            }
            x += w;
        }
        self.y -= height;
    }

    fn signatures(&mut self, boxes: &[SignatureBox]) {
        const HEIGHT: f32 = 95.0;
        const GAP: f32 = 20.0;
        let w = (self.size.body_w() - GAP) / 2.0;
        for pair in boxes.chunks(2) {
            self.room(HEIGHT + 10.0);
            let top = self.y - 6.0;
            for (i, b) in pair.iter().enumerate() {
                let x = MARGIN_X + i as f32 * (w + GAP);
                let content = self.page();
                content.set_line_width(0.5);
                content.rect(x, top - HEIGHT, w, HEIGHT);
                content.stroke();
                let mut y = top - 14.0;
                for line in wrap(&b.party, 9.0, true, w - 10.0) {
                    show(content, x + 5.0, y, &line, 9.0, true);
                    y -= 12.0;
                }
                let signer = b.signer.as_deref().unwrap_or("Nom et fonction :");
                let date = b.date.as_deref().unwrap_or("Date :");
                for text in [signer, date] {
                    for line in wrap(text, 9.0, false, w - 10.0) {
                        show(content, x + 5.0, y, &line, 9.0, false);
                        y -= 12.0;
                    }
                }
            }
            self.y = top - HEIGHT - 10.0;
        }
    }
}

fn row_height(cells: &[String], widths: &[f32], size: f32, bold: bool) -> f32 {
    let lines = cells
        .iter()
        .zip(widths)
        .map(|(c, w)| wrap(c, size, bold, w - 6.0).len())
        .max()
        .unwrap_or(1);
    lines as f32 * size * 1.25 + 6.0 - (size * 0.25)
}

fn deflate(data: &[u8]) -> Vec<u8> {
    let mut encoder =
        flate2::write::ZlibEncoder::new(Vec::with_capacity(data.len() / 3), Default::default());
    // Writing into a Vec cannot fail.
    let _ = encoder.write_all(data);
    encoder.finish().unwrap_or_default()
}

/// Renders a contract document as PDF bytes.
pub fn render(doc: &ContractDocument) -> Vec<u8> {
    let mut layout = Layout::new();
    for block in &doc.blocks {
        match block {
            Block::Title(text) => {
                layout.lines(text, 16.0, true, true);
                layout.y -= 10.0;
            }
            Block::Heading(text) => {
                layout.y -= 8.0;
                // Keep a title with at least two lines of what follows.
                layout.room(16.0 + 30.0);
                layout.lines(text, 12.0, true, false);
                layout.y -= 3.0;
            }
            Block::Paragraph(text) => {
                layout.lines(text, 10.0, false, false);
                layout.y -= 6.0;
            }
            Block::Table(table) => layout.table(table),
            Block::Signatures(boxes) => layout.signatures(boxes),
            Block::NewPage { landscape } => {
                layout.turn_to(if *landscape { LANDSCAPE } else { PORTRAIT });
            }
        }
    }

    let count = layout.pages.len();
    let catalog = Ref::new(1);
    let tree = Ref::new(2);
    let info = Ref::new(3);
    let fonts = [Ref::new(4), Ref::new(5), Ref::new(6)];
    let first_page = 7;
    let page_ids: Vec<Ref> = (0..count)
        .map(|i| Ref::new(first_page + 2 * i as i32))
        .collect();

    let mut pdf = Pdf::new();
    pdf.catalog(catalog).pages(tree).lang(TextStr("fr-FR"));
    pdf.pages(tree)
        .kids(page_ids.iter().copied())
        .count(count as i32);
    let mut meta = pdf.document_info(info);
    meta.title(TextStr(&doc.title));
    meta.producer(TextStr("cpom"));
    meta.finish();
    for (id, name) in fonts
        .iter()
        .zip([&b"Helvetica"[..], b"Helvetica-Bold", b"Symbol"])
    {
        let mut font = pdf.type1_font(*id);
        font.base_font(Name(name));
        if name != b"Symbol" {
            font.encoding_predefined(Name(b"WinAnsiEncoding"));
        }
    }
    for (i, (mut content, size)) in layout.pages.into_iter().enumerate() {
        // Running header and footer, now that the number of pages is known.
        content.set_fill_gray(0.35);
        show(
            &mut content,
            MARGIN_X,
            size.h - 38.0,
            &fit(&doc.running_header, 8.0, size.body_w()),
            8.0,
            false,
        );
        content.set_stroke_gray(0.6);
        content.set_line_width(0.5);
        content.move_to(MARGIN_X, size.h - 44.0);
        content.line_to(size.w - MARGIN_X, size.h - 44.0);
        content.stroke();
        let number = format!("Page {} sur {count}", i + 1);
        show(
            &mut content,
            MARGIN_X,
            34.0,
            &fit(&doc.version_label, 8.0, size.body_w() - 80.0),
            8.0,
            false,
        );
        let x = size.w - MARGIN_X - width(&number, 8.0, false);
        show(&mut content, x, 34.0, &number, 8.0, false);

        let page_id = page_ids[i];
        let content_id = Ref::new(page_id.get() + 1);
        let mut page = pdf.page(page_id);
        page.parent(tree)
            .media_box(Rect::new(0.0, 0.0, size.w, size.h))
            .contents(content_id);
        let mut resources = page.resources();
        let mut dict = resources.fonts();
        dict.pair(REGULAR, fonts[0]);
        dict.pair(BOLD, fonts[1]);
        dict.pair(SYMBOL, fonts[2]);
        dict.finish();
        resources.finish();
        page.finish();
        let data = deflate(&content.finish());
        pdf.stream(content_id, &data).filter(Filter::FlateDecode);
    }
    pdf.finish()
}

/// A text cut with an ellipsis to fit one line.
fn fit(text: &str, size: f32, max: f32) -> String {
    if width(text, size, false) <= max {
        return text.to_string();
    }
    let mut out: String = text.to_string();
    while !out.is_empty() && width(&format!("{out}…"), size, false) > max {
        out.pop();
    }
    format!("{}…", out.trim_end())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapping_keeps_lines_within_the_width_and_every_word() {
        let text = "Développer la télé-expertise entre les établissements du groupement \
                    hospitalier de territoire\u{a0}: cible ≥\u{a0}80\u{a0}%";
        let lines = wrap(text, 10.0, false, 150.0);
        assert!(lines.len() > 2, "{lines:?}");
        for line in &lines {
            assert!(width(line, 10.0, false) <= 150.0, "{line}");
        }
        assert_eq!(lines.join(" "), text);
        // The no-break space keeps "≥ 80 %" on one line.
        assert!(lines.iter().any(|l| l.contains("≥\u{a0}80\u{a0}%")));
        // A word wider than the line is cut, not lost.
        let long = "x".repeat(80);
        let cut = wrap(&long, 10.0, false, 100.0);
        assert!(cut.len() > 1);
        assert_eq!(cut.concat(), long);
    }

    #[test]
    fn widths_follow_the_font_metrics() {
        // Helvetica: "i" is 222, "m" 833; bold "i" is 278.
        assert_eq!(width("i", 1000.0, false), 222.0);
        assert_eq!(width("m", 1000.0, false), 833.0);
        assert_eq!(width("i", 1000.0, true), 278.0);
        assert_eq!(width("é", 1000.0, false), 556.0);
        assert_eq!(width("≥", 1000.0, false), 549.0);
    }
}
