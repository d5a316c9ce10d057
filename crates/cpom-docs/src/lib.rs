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

/// A ZIP archive being written in memory, one file at a time (each file can be dropped once
/// added, so that only the compressed archive grows).
pub struct Archive {
    writer: zip::ZipWriter<Cursor<Vec<u8>>>,
}

fn archive_error(e: impl std::fmt::Display) -> String {
    format!("écriture de l'archive : {e}")
}

impl Default for Archive {
    fn default() -> Self {
        Self::new()
    }
}

impl Archive {
    /// An empty archive.
    pub fn new() -> Self {
        Archive {
            writer: zip::ZipWriter::new(Cursor::new(Vec::new())),
        }
    }

    /// Adds a file, deflated.
    pub fn add(&mut self, name: &str, bytes: &[u8]) -> Result<(), String> {
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        self.writer
            .start_file(name, options)
            .map_err(archive_error)?;
        self.writer.write_all(bytes).map_err(archive_error)
    }

    /// The archive's bytes.
    pub fn finish(self) -> Result<Vec<u8>, String> {
        Ok(self.writer.finish().map_err(archive_error)?.into_inner())
    }
}

/// Packs files into a ZIP archive (deflated).
pub fn zip(entries: &[ArchiveEntry]) -> Result<Vec<u8>, String> {
    let mut archive = Archive::new();
    for entry in entries {
        archive.add(&entry.name, &entry.bytes)?;
    }
    archive.finish()
}
