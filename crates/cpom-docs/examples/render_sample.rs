//! Renders the sample contract and times each renderer, for `bench/documents.sh`:
//!
//! - `render_sample <folder> [engagements]`: the contract as PDF, DOCX and annex-1 XLSX,
//!   each rendered 20 times; prints the mean time and writes the files to `<folder>`;
//! - `render_sample <folder> <engagements> <contracts>`: also a ZIP of that many contracts
//!   in the three formats, as the region's download makes it; prints its time.

use std::time::Instant;

fn main() -> Result<(), String> {
    let mut args = std::env::args().skip(1);
    let dir = std::path::PathBuf::from(args.next().unwrap_or_else(|| ".".into()));
    let n: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(40);
    let contracts: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(0);
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let doc = cpom_docs::sample::document(n);
    let runs = 20;
    let report = |name: &str, render: &dyn Fn() -> Result<Vec<u8>, String>| {
        let start = Instant::now();
        let mut bytes = vec![];
        for _ in 0..runs {
            bytes = render()?;
        }
        let ms = start.elapsed().as_secs_f64() * 1000.0 / f64::from(runs);
        println!(
            "{name}: {n} engagements, {ms:.1} ms per document, {} bytes",
            bytes.len()
        );
        std::fs::write(dir.join(name), &bytes).map_err(|e| e.to_string())
    };
    report("contrat.pdf", &|| Ok(cpom_docs::pdf::render(&doc)))?;
    report("contrat.docx", &|| cpom_docs::docx::render(&doc))?;
    report("annexe-1.xlsx", &|| cpom_docs::xlsx::render(&doc))?;
    if contracts > 0 {
        let start = Instant::now();
        let mut archive = cpom_docs::Archive::new();
        for i in 0..contracts {
            let doc = cpom_docs::sample::document(n);
            archive.add(&format!("contrat-{i}.pdf"), &cpom_docs::pdf::render(&doc))?;
            archive.add(
                &format!("contrat-{i}.docx"),
                &cpom_docs::docx::render(&doc)?,
            )?;
            archive.add(
                &format!("annexe-1-{i}.xlsx"),
                &cpom_docs::xlsx::render(&doc)?,
            )?;
        }
        let zip = archive.finish()?;
        println!(
            "archive: {contracts} contracts of {n} engagements in 3 formats, {:.2} s, {} bytes",
            start.elapsed().as_secs_f64(),
            zip.len()
        );
        std::fs::write(dir.join("contrats.zip"), &zip).map_err(|e| e.to_string())?;
    }
    Ok(())
}
