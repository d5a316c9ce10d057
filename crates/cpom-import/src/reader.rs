//! The strict CSV reader shared by every importer.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use chrono::NaiveDate;
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

/// SHA-256 of bytes in memory, hex-encoded.
pub fn checksum_bytes(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
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

/// What to do with a line that is not valid UTF-8 in a file detected as UTF-8.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Utf8Fallback {
    /// Reject the line (a Latin-1 line pasted into a UTF-8 file is an error).
    Reject,
    /// Decode the line as Windows-1252, as the FINESS etalab extracts require (some are
    /// mixed); a line that also holds valid UTF-8 multi-byte sequences is still rejected,
    /// since no single encoding reads it.
    Windows1252,
}

/// Reads a delimited file row by row. `header` says whether the first line names the
/// columns (it is then returned separately). Rows with an invalid encoding are rejected
/// with their line number; the caller checks column counts and values.
pub fn read_rows(
    path: &Path,
    delimiter: u8,
    header: bool,
    on_row: impl FnMut(Result<Row, Rejection>),
) -> std::io::Result<(Encoding, Option<Vec<String>>)> {
    read_rows_with(path, delimiter, header, Utf8Fallback::Reject, on_row)
}

/// Whether a raw line that is not valid UTF-8 can be read as Windows-1252: it must not
/// hold any valid UTF-8 multi-byte sequence (which would make it a mix of both).
fn latin1_line(raw: &[u8]) -> bool {
    raw.utf8_chunks().all(|chunk| chunk.valid().is_ascii())
}

/// [`read_rows`] with a policy for the lines that are not valid UTF-8 in a UTF-8 file.
pub fn read_rows_with(
    path: &Path,
    delimiter: u8,
    header: bool,
    fallback: Utf8Fallback,
    mut on_row: impl FnMut(Result<Row, Rejection>),
) -> std::io::Result<(Encoding, Option<Vec<String>>)> {
    let encoding = detect_encoding(path)?;
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .quoting(true)
        // Lines end at `\n` only: with the default CRLF terminator, csv reports the line of
        // every record after a `\r\n` one too low. The `\r` of a CRLF file stays at the end
        // of the last field and is removed below.
        .terminator(csv::Terminator::Any(b'\n'))
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
        if record.len() == 1 && &record[0] == b"\r" {
            // A blank line of a CRLF file (csv itself skips the blank lines of LF files).
            continue;
        }
        let last = record.len().saturating_sub(1);
        let mut bad = None;
        let line_encoding = match (encoding, fallback) {
            (Encoding::Utf8, Utf8Fallback::Windows1252)
                if std::str::from_utf8(record.as_slice()).is_err() =>
            {
                if !latin1_line(record.as_slice()) {
                    bad = Some(
                        "encodage invalide : cette ligne mêle de l'UTF-8 et du Latin-1 \
                         (Windows-1252), aucun des deux ne la lit entière"
                            .to_owned(),
                    );
                }
                Encoding::Latin1
            }
            _ => encoding,
        };
        let mut fields = Vec::with_capacity(record.len());
        for (i, raw) in record.iter().enumerate() {
            if bad.is_some() {
                break;
            }
            let raw = if first && i == 0 {
                raw.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(raw)
            } else {
                raw
            };
            let raw = if i == last {
                raw.strip_suffix(b"\r").unwrap_or(raw)
            } else {
                raw
            };
            match decode(raw, line_encoding) {
                Ok(s) => fields.push(s),
                Err(reason) => bad = Some(reason),
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

/// Why a line gives no record: rejected, or left aside on purpose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoRecord {
    /// An invalid line.
    Rejected(Rejection),
    /// A valid line outside the scope of cpom.
    Skipped(Rejection),
}

impl From<Rejection> for NoRecord {
    fn from(r: Rejection) -> Self {
        NoRecord::Rejected(r)
    }
}

impl<T> From<NoRecord> for LineOutcome<T> {
    fn from(n: NoRecord) -> Self {
        match n {
            NoRecord::Rejected(r) => LineOutcome::Rejected(r),
            NoRecord::Skipped(r) => LineOutcome::Skipped(r),
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

/// Reads a file whose first line names the columns, streaming: the header is checked for
/// the `required` columns (order free, names compared case-insensitively), then every data
/// row of the right width is handed to `build` with the indexes of the required columns, in
/// their order. `what` describes the expected file in the error of a wrong header.
pub fn read_header_table<T>(
    path: &Path,
    delimiter: u8,
    required: &[&str],
    what: &str,
    mut build: impl FnMut(&Row, &[usize]) -> LineOutcome<T>,
) -> Result<Parsed<T>, FileError> {
    let mut header: Option<(usize, Vec<usize>)> = None;
    let mut fatal: Option<FileError> = None;
    let mut records = Vec::new();
    let mut rejected = Vec::new();
    let mut skipped = Vec::new();
    let (encoding, _) = read_rows(path, delimiter, false, |r| {
        if fatal.is_some() {
            return;
        }
        let Some((width, idx)) = &header else {
            match r {
                Ok(row) => match check_header(&row, delimiter, required, what) {
                    Ok(found) => header = Some(found),
                    Err(e) => fatal = Some(e),
                },
                Err(rej) => {
                    fatal = Some(FileError::Format(format!(
                        "ligne {} (en-tête) : {}",
                        rej.line, rej.reason
                    )))
                }
            }
            return;
        };
        let outcome = match r {
            Ok(row) => match check_width(&row, *width) {
                Ok(()) => match build(&row, idx) {
                    LineOutcome::Record(t) => {
                        records.push((row.line, t));
                        return;
                    }
                    other => other,
                },
                Err(rej) => LineOutcome::Rejected(rej),
            },
            Err(rej) => LineOutcome::Rejected(rej),
        };
        match outcome {
            LineOutcome::Rejected(rej) => rejected.push(rej),
            LineOutcome::Skipped(rej) => skipped.push(rej),
            LineOutcome::Record(_) => {}
        }
    })?;
    if let Some(e) = fatal {
        return Err(e);
    }
    if header.is_none() {
        return Err(FileError::Format(
            "fichier vide : l'en-tête est absent".into(),
        ));
    }
    rejected.sort_by_key(|r| r.line);
    Ok(Parsed {
        records,
        rejected,
        skipped,
        encoding,
    })
}

/// Checks a header row: the separator, duplicated names and the required columns. Returns
/// the width of the header and the indexes of the required columns.
fn check_header(
    row: &Row,
    delimiter: u8,
    required: &[&str],
    what: &str,
) -> Result<(usize, Vec<usize>), FileError> {
    let names: Vec<String> = row.fields.iter().map(|f| f.trim().to_owned()).collect();
    let sep = char::from(delimiter);
    if let [single] = names.as_slice()
        && let Some(other) = [',', ';', '\t']
            .into_iter()
            .find(|c| *c != sep && single.contains(*c))
    {
        let other = if other == '\t' {
            "tabulation".to_owned()
        } else {
            format!("« {other} »")
        };
        return Err(FileError::Format(format!(
            "ligne {} : les colonnes sont séparées par {other} au lieu de « {sep} » \
             (attendu : {what})",
            row.line
        )));
    }
    let lower: Vec<String> = names.iter().map(|n| n.to_lowercase()).collect();
    for (i, n) in lower.iter().enumerate() {
        if !n.is_empty() && lower[..i].contains(n) {
            return Err(FileError::Format(format!(
                "ligne {} : la colonne « {} » figure deux fois dans l'en-tête",
                row.line, names[i]
            )));
        }
    }
    let cols = Columns::new(names);
    let idx = cols
        .require(required)
        .map_err(|e| FileError::Format(format!("ligne {} : {e} (attendu : {what})", row.line)))?;
    Ok((cols.len(), idx))
}

/// The trimmed value, or `None` when empty.
pub fn optional(raw: &str) -> Option<String> {
    let t = raw.trim();
    (!t.is_empty()).then(|| t.to_owned())
}

/// A required value: trimmed, or a rejection naming the column when empty.
pub fn required(row: &Row, column: &str, raw: &str) -> Result<String, Rejection> {
    optional(raw).ok_or_else(|| at(row, column, "valeur obligatoire absente"))
}

/// Parses a date written `jj/mm/aaaa` or `aaaa-mm-jj` (nothing else: no guess on `1/7/16`
/// or `07/01/2016 00:00`), between the years 1900 and 2100.
pub fn parse_date(raw: &str) -> Result<NaiveDate, String> {
    let v = raw.trim();
    let b = v.as_bytes();
    let digits = |r: std::ops::Range<usize>| -> Option<u32> {
        b.get(r.clone())
            .filter(|s| s.iter().all(u8::is_ascii_digit))
            .and_then(|_| v.get(r))
            .and_then(|s| s.parse().ok())
    };
    let ymd = match (b.len(), b.get(2), b.get(4)) {
        (10, Some(b'/'), _) if b[5] == b'/' => (digits(6..10), digits(3..5), digits(0..2)),
        (10, _, Some(b'-')) if b[7] == b'-' => (digits(0..4), digits(5..7), digits(8..10)),
        _ => (None, None, None),
    };
    let (Some(y), Some(m), Some(d)) = ymd else {
        return Err(format!(
            "« {v} » n'est pas une date au format jj/mm/aaaa ou aaaa-mm-jj"
        ));
    };
    if !(1900..=2100).contains(&y) {
        return Err(format!(
            "« {v} » : l'année doit être comprise entre 1900 et 2100"
        ));
    }
    i32::try_from(y)
        .ok()
        .and_then(|y| NaiveDate::from_ymd_opt(y, m, d))
        .ok_or_else(|| format!("« {v} » n'est pas une date du calendrier"))
}

/// A required date, with a rejection naming the column.
pub fn required_date(row: &Row, column: &str, raw: &str) -> Result<NaiveDate, Rejection> {
    if raw.trim().is_empty() {
        return Err(at(row, column, "date obligatoire absente"));
    }
    parse_date(raw).map_err(|e| at(row, column, e))
}

/// An optional date (empty → `None`), with a rejection naming the column.
pub fn optional_date(row: &Row, column: &str, raw: &str) -> Result<Option<NaiveDate>, Rejection> {
    if raw.trim().is_empty() {
        return Ok(None);
    }
    parse_date(raw).map(Some).map_err(|e| at(row, column, e))
}

/// Formats a date the French way (`jj/mm/aaaa`) for messages.
pub fn french_date(d: NaiveDate) -> String {
    d.format("%d/%m/%Y").to_string()
}

/// Whether two validity periods (inclusive bounds, an open end lasting forever) share at
/// least one day.
pub fn overlaps(a: (NaiveDate, Option<NaiveDate>), b: (NaiveDate, Option<NaiveDate>)) -> bool {
    a.1.is_none_or(|end| b.0 <= end) && b.1.is_none_or(|end| a.0 <= end)
}

/// A whole-file failure (unreadable file, missing header columns).
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    /// The file cannot be read.
    #[error("{0}")]
    Io(std::io::Error),
    /// The header does not match the expected format, or cannot be decoded.
    #[error("{0}")]
    Format(String),
}

impl From<std::io::Error> for FileError {
    /// Content that cannot be decoded (`InvalidData`, with its French reason and place) is
    /// a fault of the file, told to the user; any other error is one of reading it.
    fn from(e: std::io::Error) -> Self {
        if e.kind() == std::io::ErrorKind::InvalidData {
            FileError::Format(e.to_string())
        } else {
            FileError::Io(e)
        }
    }
}
