//! What every reader promises on any input, whatever its bytes: it does not panic, and every
//! problem it reports has a French message and a place inside the input (a line of the
//! file, a column of the rule). [`check`] runs one reader on some bytes and says which
//! promise was broken; the property tests of the suite (`tests/arbitrary_bytes.rs`) and the
//! fuzz targets (`fuzz/`, run by `bench/fuzz.sh`) both call it, so they check the same thing.

use std::path::Path;

use cpom_domain::campaign;
use cpom_domain::catalogue::applicability::Applicability;
use cpom_domain::catalogue::target::TargetRule;
use cpom_domain::plan;

use crate::reader::{FileError, Parsed, Rejection};

/// A reader of user or registry input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reader {
    /// FINESS extract (etalab stock or file with a header).
    Finess,
    /// SAE identification table.
    SaeId,
    /// SAE general synthesis.
    SaeSygen,
    /// Authorisations of care activities.
    Authorisations,
    /// GHT memberships.
    Ght,
    /// Catalogue in its text format.
    CatalogueToml,
    /// Catalogue workbook.
    CatalogueXlsx,
    /// File of values loaded into a campaign, then matched with no declaration.
    BulkValues,
    /// Regional action plan, then built into its tree.
    Plan,
    /// A target rule.
    TargetRule,
    /// An applicability rule.
    Applicability,
}

impl Reader {
    /// Every reader.
    pub const ALL: [Reader; 11] = [
        Reader::Finess,
        Reader::SaeId,
        Reader::SaeSygen,
        Reader::Authorisations,
        Reader::Ght,
        Reader::CatalogueToml,
        Reader::CatalogueXlsx,
        Reader::BulkValues,
        Reader::Plan,
        Reader::TargetRule,
        Reader::Applicability,
    ];

    /// Short name (the fuzz target's).
    pub fn name(self) -> &'static str {
        match self {
            Reader::Finess => "finess",
            Reader::SaeId => "sae_id",
            Reader::SaeSygen => "sae_sygen",
            Reader::Authorisations => "authorisations",
            Reader::Ght => "ght",
            Reader::CatalogueToml => "catalogue_toml",
            Reader::CatalogueXlsx => "catalogue_xlsx",
            Reader::BulkValues => "bulk_values",
            Reader::Plan => "plan",
            Reader::TargetRule => "target_rule",
            Reader::Applicability => "applicability",
        }
    }
}

/// Runs `reader` on `bytes` (written to `scratch/input` for the readers that take a file)
/// and checks its promises. `Err` names the broken one; a panic propagates.
pub fn check(reader: Reader, bytes: &[u8], scratch: &Path) -> Result<(), String> {
    // Lines of a text input: a place past them is wrong. A workbook's rows have no bound
    // here (its text is compressed).
    let workbook = bytes.starts_with(b"PK");
    let lines = bytes.iter().filter(|b| **b == b'\n').count() as u64 + 1;
    let line_ok = |line: u64| workbook || line <= lines;
    let text = String::from_utf8_lossy(bytes);
    match reader {
        Reader::Finess => file(bytes, scratch, lines, crate::finess::read_finess),
        Reader::SaeId => file(bytes, scratch, lines, crate::sae::read_id),
        Reader::SaeSygen => file(bytes, scratch, lines, crate::sae::read_sygen),
        Reader::Authorisations => file(bytes, scratch, lines, crate::authorisations::read),
        Reader::Ght => file(bytes, scratch, lines, crate::ght::read),
        Reader::CatalogueToml | Reader::CatalogueXlsx => {
            let read = if reader == Reader::CatalogueToml {
                crate::catalogue::read_toml(&text)
            } else {
                crate::catalogue_xlsx::read_xlsx(bytes)
            };
            let Err(errors) = read else { return Ok(()) };
            if errors.is_empty() {
                return Err("refused without any error".into());
            }
            for e in errors {
                if e.message.trim().is_empty() {
                    return Err(format!("error without a message at {e:?}"));
                }
                if reader == Reader::CatalogueToml
                    && (e.line > lines as usize || (e.line > 0 && e.column == 0))
                {
                    return Err(format!(
                        "error placed outside the text ({lines} lines): {e:?}"
                    ));
                }
            }
            Ok(())
        }
        Reader::BulkValues => {
            let errors = match crate::bulk_values::read(bytes) {
                // No declaration matches: every line is an error, with its place.
                Ok(read) => match campaign::plan_bulk(2026, &read, &[]) {
                    Ok(planned) if !planned.is_empty() => {
                        return Err(format!(
                            "{} lines matched without declarations",
                            planned.len()
                        ));
                    }
                    Ok(_) => return Ok(()),
                    Err(errors) => errors,
                },
                Err(errors) => errors,
            };
            if errors.is_empty() {
                return Err("refused without any error".into());
            }
            errors
                .iter()
                .try_for_each(|e| located(&e.message, line_ok(e.line), e))
        }
        Reader::Plan => match crate::plan::read(bytes) {
            Ok(rows) => {
                match plan::build_tree(&rows, &plan::default_statuses(), &plan::default_pilots()) {
                    Ok(_) => Ok(()),
                    Err(errors) => errors
                        .iter()
                        .try_for_each(|e| located(&e.message, line_ok(e.line), e)),
                }
            }
            Err(errors) if errors.is_empty() => Err("refused without any error".into()),
            Err(errors) => errors
                .iter()
                .try_for_each(|e| located(&e.message, line_ok(e.line), e)),
        },
        Reader::TargetRule => rule(&text, TargetRule::parse(&text).err()),
        Reader::Applicability => rule(&text, Applicability::parse(&text).err()),
    }
}

/// A rule's error points at a character of the text (or just past its end).
fn rule(
    text: &str,
    error: Option<cpom_domain::catalogue::target::RuleError>,
) -> Result<(), String> {
    let Some(e) = error else { return Ok(()) };
    let chars = text.chars().count();
    if e.message.trim().is_empty() || e.column == 0 || e.column > chars + 1 {
        return Err(format!(
            "error outside the rule ({chars} characters): {e:?}"
        ));
    }
    Ok(())
}

fn located(message: &str, in_file: bool, e: &impl std::fmt::Debug) -> Result<(), String> {
    if message.trim().is_empty() || !in_file {
        return Err(format!(
            "error without a message or placed outside the file: {e:?}"
        ));
    }
    Ok(())
}

/// A registry or template reader: the file is refused with a reason, or each line is read,
/// rejected or skipped at its place.
fn file<T>(
    bytes: &[u8],
    scratch: &Path,
    lines: u64,
    read: impl Fn(&Path) -> Result<Parsed<T>, FileError>,
) -> Result<(), String> {
    let path = scratch.join("input");
    std::fs::write(&path, bytes).map_err(|e| format!("scratch file: {e}"))?;
    match read(&path) {
        Err(FileError::Io(e)) => Err(format!("I/O error on a readable file: {e}")),
        Err(FileError::Format(reason)) if reason.trim().is_empty() => {
            Err("file refused without a reason".into())
        }
        Err(FileError::Format(_)) => Ok(()),
        Ok(parsed) => {
            let placed = |r: &Rejection| {
                if r.reason.trim().is_empty() || r.line == 0 || r.line > lines {
                    Err(format!(
                        "line left aside outside the file ({lines} lines): {r:?}"
                    ))
                } else {
                    Ok(())
                }
            };
            parsed.rejected.iter().try_for_each(placed)?;
            parsed.skipped.iter().try_for_each(placed)?;
            match parsed.records.iter().find(|(l, _)| *l == 0 || *l > lines) {
                Some((l, _)) => Err(format!("record read at line {l} of {lines}")),
                None => Ok(()),
            }
        }
    }
}
