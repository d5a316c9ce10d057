//! The three renderers on a 40-engagement contract: what a reader extracts from each file.

use std::io::Read;
use std::process::Command;

use cpom_docs::sample;

/// Text of a PDF as `pdftotext` (Debian poppler-utils) extracts it, pages separated by form
/// feeds.
fn pdf_text(pdf: &[u8]) -> String {
    let dir = std::env::temp_dir().join(format!("cpom-docs-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("contract.pdf");
    std::fs::write(&path, pdf).expect("write pdf");
    let out = Command::new("pdftotext")
        .args(["-layout", "-enc", "UTF-8"])
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext (Debian poppler-utils) must be installed");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

#[test]
fn the_pdf_holds_every_engagement_its_targets_and_numbered_pages() {
    let doc = sample::document(40);
    let pdf = cpom_docs::pdf::render(&doc);
    assert!(pdf.starts_with(b"%PDF-"));
    let text = pdf_text(&pdf);
    let pages: Vec<&str> = text
        .split('\u{c}')
        .filter(|p| !p.trim().is_empty())
        .collect();
    let n = pages.len();
    assert!(n >= 5, "{n} pages");
    for (i, page) in pages.iter().enumerate() {
        assert!(
            page.contains(&format!("Page {} sur {n}", i + 1)),
            "page {}",
            i + 1
        );
        assert!(page.contains("Avenant n°"), "version on page {}", i + 1);
        assert!(
            page.contains("CPOM Centre hospitalier de Test"),
            "header on page {}",
            i + 1
        );
    }
    for i in 1..=40 {
        assert!(text.contains(&format!("IND_{i} ")), "engagement {i}");
    }
    // French text, the Symbol glyph and the targets per year survive the fonts' encoding.
    assert!(text.contains("Agence régionale de santé Occitanie"));
    assert!(text.contains("≥"), "greater-or-equal sign");
    assert!(text.contains("2029"));
    assert!(text.contains("Marie Durand, Directrice générale de l'ARS"));
    assert!(text.contains("Le 02/03/2025"));
    assert!(text.contains("Annexe 2"));
}

fn zip_member(bytes: &[u8], name: &str) -> String {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("zip");
    let mut member = archive.by_name(name).expect(name);
    let mut out = String::new();
    member.read_to_string(&mut out).expect("read");
    out
}

#[test]
fn the_docx_holds_the_socle_the_engagements_and_page_fields() {
    let doc = sample::document(40);
    let docx = cpom_docs::docx::render(&doc).expect("docx");
    let body = zip_member(&docx, "word/document.xml");
    assert!(body.contains("Article 3 — Durée"));
    assert!(body.contains("IND_40 Part des avis rendus"));
    assert!(body.contains("≥ 70"), "targets");
    let footers: String = (1..=3)
        .filter_map(|i| {
            let mut a = zip::ZipArchive::new(std::io::Cursor::new(&docx)).ok()?;
            let mut f = a.by_name(&format!("word/footer{i}.xml")).ok()?;
            let mut s = String::new();
            f.read_to_string(&mut s).ok()?;
            Some(s)
        })
        .collect();
    assert!(
        footers.contains("PAGE") && footers.contains("NUMPAGES"),
        "{footers}"
    );
}

#[test]
fn annex_1_as_a_workbook_has_one_row_per_engagement() {
    use calamine::{Reader, Xlsx};
    let doc = sample::document(40);
    let bytes = cpom_docs::xlsx::render(&doc).expect("xlsx");
    let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes)).expect("open");
    let range = book.worksheet_range("Annexe 1").expect("sheet");
    let cell = |r: u32, c: u32| {
        range
            .get_value((r, c))
            .map(|v| v.to_string())
            .unwrap_or_default()
    };
    assert_eq!(cell(3, 0), "N°");
    assert_eq!(cell(3, 4), "2025");
    assert_eq!(cell(4, 0), "E1");
    assert_eq!(cell(43, 0), "E40");
    assert_eq!(cell(44, 0), "");
    assert!(cell(4, 4).starts_with("≥"), "{}", cell(4, 4));
}

#[test]
fn an_archive_holds_each_file() {
    let bytes = cpom_docs::zip(&[
        cpom_docs::ArchiveEntry {
            name: "a.pdf".into(),
            bytes: b"%PDF-a".to_vec(),
        },
        cpom_docs::ArchiveEntry {
            name: "b.txt".into(),
            bytes: b"bonjour".to_vec(),
        },
    ])
    .expect("zip");
    assert_eq!(zip_member(&bytes, "b.txt"), "bonjour");
    assert_eq!(zip_member(&bytes, "a.pdf"), "%PDF-a");
}
