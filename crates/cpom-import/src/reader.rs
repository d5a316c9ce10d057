//! The strict CSV reader shared by every importer.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use sha2::{Digest, Sha256};

/// A rejected line, with its place and the reason in French.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Rejection {
    /// 1-based line number in the file.
    pub line: u64,
    /// Column name (from the header, or the documented layout), when the fault is in one.
    pub column: Option<String>,
    /// Reason, in French.
    pub reason: String,
}

impl std::fmt::Display for Rejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.column {
            Some(c) => write!(f, "ligne {}, colonne {} : {}", self.line, c, self.reason),
            None => write!(f, "ligne {} : {}", self.line, self.reason),
        }
    }
}

/// Records read from a file, each with its line number, and the rejected lines.
#[derive(Debug, Clone)]
pub struct Parsed<T> {
    /// Valid records with their line number.
    pub records: Vec<(u64, T)>,
    /// Rejected lines.
    pub rejected: Vec<Rejection>,
    /// Lines deliberately left aside (sites outside the regions of an ARS), with the reason.
    pub skipped: Vec<Rejection>,
    /// Detected encoding.
    pub encoding: Encoding,
}

/// Text encoding of a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Encoding {
    /// UTF-8 (with or without BOM).
    Utf8,
    /// Latin-1, read as its superset Windows-1252.
    Latin1,
}

/// SHA-256 of a file, hex-encoded (kept in the import history).
pub fn checksum(path: &Path) -> std::io::Result<String> {
    let mut file = File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex::encode(hasher.finalize()))
}

/// Detects the encoding in a first streaming pass: UTF-8 when every line is valid UTF-8;
/// Latin-1 when no line holds a valid multi-byte UTF-8 sequence; otherwise the file is
/// UTF-8 and the invalid lines are rejected later (a Latin-1 line pasted into a UTF-8 file).
pub fn detect_encoding(path: &Path) -> std::io::Result<Encoding> {
    let mut reader = BufReader::new(File::open(path)?);
    let mut line = Vec::new();
    let (mut all_valid, mut any_multibyte) = (true, false);
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line)? == 0 {
            break;
        }
        match std::str::from_utf8(&line) {
            Ok(s) => any_multibyte |= !s.is_ascii(),
            Err(_) => all_valid = false,
        }
    }
    Ok(if all_valid || any_multibyte {
        Encoding::Utf8
    } else {
        Encoding::Latin1
    })
}

/// One raw line of a delimited file, decoded.
pub struct Row {
    /// 1-based line number.
    pub line: u64,
    /// Decoded fields.
    pub fields: Vec<String>,
}

fn decode(bytes: &[u8], encoding: Encoding) -> Result<String, String> {
    let text = match encoding {
        Encoding::Utf8 => std::str::from_utf8(bytes).map(str::to_owned).map_err(|_| {
            "encodage invalide : cette ligne n'est pas en UTF-8 comme le reste du fichier"
                .to_owned()
        })?,
        Encoding::Latin1 => encoding_rs::WINDOWS_1252
            .decode_without_bom_handling(bytes)
            .0
            .into_owned(),
    };
    // Extracts that went through Windows-1252 and then UTF-8 twice carry C1 controls
    // (U+0080–U+009F) where cp1252 had punctuation (’ « œ …): map them back.
    let text: String = text
        .chars()
        .map(|c| match u32::from(c) {
            0x80..=0x9F => encoding_rs::WINDOWS_1252
                .decode_without_bom_handling(&[u32::from(c) as u8])
                .0
                .chars()
                .next()
                .unwrap_or(c),
            _ => c,
        })
        .collect();
    if text.chars().any(|c| c.is_control() && c != '\t') {
        return Err(
            "caractère de contrôle dans la ligne : fichier endommagé ou mauvais encodage".into(),
        );
    }
    Ok(text)
}

/// Reads a delimited file row by row. `header` says whether the first line names the
/// columns (it is then returned separately). Rows with an invalid encoding are rejected
/// with their line number; the caller checks column counts and values.
pub fn read_rows(
    path: &Path,
    delimiter: u8,
    header: bool,
    mut on_row: impl FnMut(Result<Row, Rejection>),
) -> std::io::Result<(Encoding, Option<Vec<String>>)> {
    let encoding = detect_encoding(path)?;
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .quoting(true)
        .from_reader(BufReader::new(File::open(path)?));
    let mut names = None;
    let mut record = csv::ByteRecord::new();
    let mut first = true;
    loop {
        match rdr.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                on_row(Err(Rejection {
                    line,
                    column: None,
                    reason: format!("ligne illisible : {e}"),
                }));
                continue;
            }
        }
        let line = record.position().map_or(0, |p| p.line());
        let mut fields = Vec::with_capacity(record.len());
        let mut bad = None;
        for (i, raw) in record.iter().enumerate() {
            let raw = if first && i == 0 {
                raw.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(raw)
            } else {
                raw
            };
            match decode(raw, encoding) {
                Ok(s) => fields.push(s),
                Err(reason) => {
                    bad = Some(reason);
                    break;
                }
            }
        }
        let is_header = first && header;
        first = false;
        match bad {
            Some(reason) if is_header => {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!("ligne 1 (en-tête) : {reason}"),
                ));
            }
            Some(reason) => on_row(Err(Rejection {
                line,
                column: None,
                reason,
            })),
            None if is_header => {
                names = Some(fields.into_iter().map(|f| f.trim().to_owned()).collect())
            }
            None => on_row(Ok(Row { line, fields })),
        }
    }
    Ok((encoding, names))
}

/// Columns looked up by name in a header, with located errors.
pub struct Columns {
    names: Vec<String>,
}

impl Columns {
    /// Wraps a header (names compared case-insensitively).
    pub fn new(names: Vec<String>) -> Self {
        Self {
            names: names.into_iter().map(|n| n.to_lowercase()).collect(),
        }
    }

    /// Number of columns.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// Whether the header is empty.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// Index of a required column, or an error naming the missing ones.
    pub fn require(&self, wanted: &[&str]) -> Result<Vec<usize>, String> {
        let missing: Vec<&str> = wanted
            .iter()
            .copied()
            .filter(|w| !self.names.iter().any(|n| n == &w.to_lowercase()))
            .collect();
        if !missing.is_empty() {
            return Err(format!(
                "colonnes absentes de l'en-tête : {}",
                missing.join(", ")
            ));
        }
        Ok(wanted
            .iter()
            .map(|w| {
                self.names
                    .iter()
                    .position(|n| n == &w.to_lowercase())
                    .unwrap_or(0)
            })
            .collect())
    }
}

/// Checks the column count of a row.
pub fn check_width(row: &Row, expected: usize) -> Result<(), Rejection> {
    if row.fields.len() == expected {
        Ok(())
    } else {
        Err(Rejection {
            line: row.line,
            column: None,
            reason: format!(
                "{} colonnes au lieu de {} (ligne tronquée ou séparateur en trop ?)",
                row.fields.len(),
                expected
            ),
        })
    }
}

/// Outcome of one line: a record, a rejection, or a line left aside on purpose.
pub enum LineOutcome<T> {
    /// A valid record.
    Record(T),
    /// An invalid line.
    Rejected(Rejection),
    /// A valid line outside the scope of cpom.
    Skipped(Rejection),
}

impl<T> From<Result<T, Rejection>> for LineOutcome<T> {
    fn from(r: Result<T, Rejection>) -> Self {
        match r {
            Ok(t) => LineOutcome::Record(t),
            Err(e) => LineOutcome::Rejected(e),
        }
    }
}

/// A located error on one column of a row.
pub fn at(row: &Row, column: &str, reason: impl Into<String>) -> Rejection {
    Rejection {
        line: row.line,
        column: Some(column.to_owned()),
        reason: reason.into(),
    }
}

/// A whole-file failure (unreadable file, missing header columns).
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    /// The file cannot be read.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// The header does not match the expected format.
    #[error("{0}")]
    Format(String),
}
