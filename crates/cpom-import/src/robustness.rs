//! What every reader promises on any input, whatever its bytes: it does not panic, and every
//! problem it reports has a French message and a place inside the input (a line of the
//! file, a column of the rule). [`check`] runs one reader on some bytes and says which
//! promise was broken; the property tests of the suite (`tests/arbitrary_bytes.rs`) and the
//! fuzz targets (`fuzz/`, run by `bench/fuzz.sh`) both call it, so they check the same thing;
//! [`seeds`] gives both their real inputs.

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

/// Real inputs of each reader, what the agencies' files look like: the first corpus of the
/// fuzzers (`examples/fuzz_seeds.rs`) and the inputs the property tests damage. `repo` is the
/// repository's root (the shipped catalogues, this crate's fixture, and `../shared/data`
/// beside it).
pub fn seeds(reader: Reader, repo: &Path) -> Result<Vec<Vec<u8>>, String> {
    use crate::{authorisations, bulk_values, catalogue, catalogue_xlsx, ght};
    let read = |path: &Path| std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()));
    // The first lines of a file of ../shared/data.
    let head = |name: &str, n: usize| -> Result<Vec<u8>, String> {
        let bytes = read(&repo.join("../shared/data").join(name))?;
        Ok(bytes
            .split_inclusive(|b| *b == b'\n')
            .take(n)
            .flatten()
            .copied()
            .collect())
    };
    let catalogue_text = || {
        let bytes = read(&repo.join("catalogues/idf-positionnement-territorial.toml"))?;
        String::from_utf8(bytes).map_err(|e| e.to_string())
    };
    Ok(match reader {
        Reader::Finess => vec![
            read(&repo.join(
                "crates/cpom-import/tests/fixtures/etalab-cs1100507-stock-20250101-0000.csv",
            ))?,
            head("finess_etabs_hopitaux_france_FHOFF.csv", 4)?,
        ],
        Reader::SaeId => vec![head("SAE_2023_ID_2023r.csv", 3)?],
        Reader::SaeSygen => vec![head("SAE_2023_SYGEN_2023r.csv", 3)?],
        Reader::Authorisations => vec![authorisations::TEMPLATE.as_bytes().to_vec()],
        Reader::Ght => vec![ght::TEMPLATE.as_bytes().to_vec()],
        Reader::CatalogueToml => vec![catalogue_text()?.into_bytes()],
        Reader::CatalogueXlsx => {
            let c = catalogue::read_toml(&catalogue_text()?)
                .map_err(|e| format!("shipped catalogue: {e:?}"))?;
            vec![catalogue_xlsx::write_xlsx(&c).map_err(|e| e.to_string())?]
        }
        Reader::BulkValues => {
            let line = |finess: &str, year| bulk_values::TemplateLine {
                finess: finess.into(),
                establishment: "CH de Fleyriat".into(),
                indicator: "CPOM_CT_1".into(),
                title: "Taux de vacance".into(),
                expected: "nombre".into(),
                year,
            };
            vec![
                b"finess;indicateur;annee;valeur;numerateur;denominateur\n\
                  010780054;CPOM_CT_1;2026;12,5;;\n010780054;CPOM_CT_2;2026;;3;4\n"
                    .to_vec(),
                bulk_values::write_template(&[line("010780054", 2026), line("010000024", 2027)])?,
            ]
        }
        Reader::Plan => {
            let header: Vec<&str> = plan::COLUMNS.iter().map(|(_, h)| *h).collect();
            let csv = format!(
                "{}\nPrévention;Axe 1;Objectif 1.1;;;2024;2028;Action 1;;ARS/AM;En cours;01/02/2025;2026;Texte;\n",
                header.join(";")
            );
            vec![csv.into_bytes(), crate::plan::write(&plan_rows())?]
        }
        Reader::TargetRule => [
            ">= 80 %",
            "+10 % vs N-1",
            "jalon \"comité de pilotage installé\" au 31/12/2026",
            "sans objet",
            "oui",
            "<= 3",
        ]
        .map(|s| s.as_bytes().to_vec())
        .to_vec(),
        Reader::Applicability => [
            "statut public",
            "ght",
            "autorisation \"01\" ou autorisation \"02\"",
            "non (statut privé et catégorie \"355\")",
        ]
        .map(|s| s.as_bytes().to_vec())
        .to_vec(),
    })
}

/// Rows of a small action plan: an objective with an action and its sub-action, and an
/// objective without action.
fn plan_rows() -> Vec<plan::PlanRow> {
    let row = |line: u64, objective: &str, action: &str, sub: &str| plan::PlanRow {
        line,
        theme: "Prévention".into(),
        axis: "Axe 1 : vaccination".into(),
        objective: objective.into(),
        objective_start: "2024".into(),
        objective_end: "2028".into(),
        action: action.into(),
        sub_action: sub.into(),
        pilot: "ARS/AM".into(),
        status: "En cours".into(),
        start: "01/02/2025".into(),
        end: "2026".into(),
        description: "Campagne « aller vers »".into(),
        ..Default::default()
    };
    vec![
        row(2, "Objectif 1.1", "Action 1", ""),
        row(3, "Objectif 1.1", "Action 1", "Sous-action a"),
        row(4, "Objectif 1.2", "", ""),
    ]
}
