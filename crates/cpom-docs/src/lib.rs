//! Contract documents of cpom: the contract (socle and annexes) as PDF and DOCX, annex 1 as
//! XLSX, and a ZIP of many contracts. Input is the neutral
//! [`ContractDocument`](cpom_domain::contract_document::ContractDocument) built by the
//! domain; this crate only renders it.

pub mod docx;
mod metrics;
pub mod pdf;
pub mod sample;
pub mod xlsx;

use std::io::{Cursor, Write};

/// A file to put in an archive.
pub struct ArchiveEntry {
    /// Name inside the archive.
    pub name: String,
    /// Content.
    pub bytes: Vec<u8>,
}

/// Packs files into a ZIP archive (deflated).
pub fn zip(entries: &[ArchiveEntry]) -> Result<Vec<u8>, String> {
    let fail = |e: zip::result::ZipError| format!("écriture de l'archive : {e}");
    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for entry in entries {
        writer
            .start_file(entry.name.as_str(), options)
            .map_err(fail)?;
        writer
            .write_all(&entry.bytes)
            .map_err(|e| format!("écriture de l'archive : {e}"))?;
    }
    Ok(writer.finish().map_err(fail)?.into_inner())
}
