//! Writes the sample contract's documents to a folder, and times each renderer:
//! `cargo run --release -p cpom-docs --example render_sample -- <folder> [engagements]`.

use std::time::Instant;

fn main() -> Result<(), String> {
    let mut args = std::env::args().skip(1);
    let dir = std::path::PathBuf::from(args.next().unwrap_or_else(|| ".".into()));
    let n: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(40);
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
            "{name}: {n} engagements, {:.1} ms per document, {} bytes",
            ms,
            bytes.len()
        );
        std::fs::write(dir.join(name), &bytes).map_err(|e| e.to_string())
    };
    report("contrat.pdf", &|| Ok(cpom_docs::pdf::render(&doc)))?;
    report("contrat.docx", &|| cpom_docs::docx::render(&doc))?;
    report("annexe-1.xlsx", &|| cpom_docs::xlsx::render(&doc))?;
    Ok(())
}
