//! Groupements hospitaliers de territoire (GHT), from the CSV template the ARS fills
//! ([`TEMPLATE`]): a header row naming the columns (order free), `;` separated, UTF-8 or
//! Latin-1. One line per member legal entity (EJ) of a GHT, with its role and period.

use std::collections::HashMap;
use std::path::Path;

use chrono::NaiveDate;
use cpom_domain::{FinessId, RegionCode};

use crate::finess::locate;
use crate::reader::{
    FileError, LineOutcome, NoRecord, Parsed, Row, at, french_date, optional_date, overlaps,
    read_header_table, required, required_date,
};

/// The template shipped to the agencies: the header and the members of one real GHT of
/// Occitanie (GHT Est-Hérault et Sud-Aveyron, CHU de Montpellier as support).
pub const TEMPLATE: &str = include_str!("../templates/ght.csv");

/// Columns of the file, all required in the header (order free).
pub const COLUMNS: [&str; 6] = [
    "code_ght",
    "nom_ght",
    "finess_ej",
    "role",
    "date_debut",
    "date_fin",
];

/// One legal entity's membership of a GHT over a period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GhtMember {
    /// Code of the GHT (`code_ght`).
    pub ght_code: String,
    /// Name of the GHT (`nom_ght`).
    pub ght_name: String,
    /// FINESS EJ of the member (`finess_ej`).
    pub ej: FinessId,
    /// Whether the member is the support establishment (`role` = `support`/`S`), rather
    /// than a plain member (`membre`/`M`).
    pub support: bool,
    /// First day of membership (`date_debut`).
    pub valid_from: NaiveDate,
    /// Last day of membership (`date_fin`), `None` when open.
    pub valid_to: Option<NaiveDate>,
    /// Region of the member, from the department of its FINESS number.
    pub region: RegionCode,
}

impl GhtMember {
    fn period(&self) -> (NaiveDate, Option<NaiveDate>) {
        (self.valid_from, self.valid_to)
    }
}

/// Reads a file of GHT members. `role` is `support` or `membre` (any case, or `S`/`M`);
/// `date_debut` is required, `date_fin` optional (`jj/mm/aaaa` or `aaaa-mm-jj`). Besides
/// the checks of each line, a line is rejected when its GHT code was given another name on
/// an earlier line, when it makes a second support of the same GHT over an overlapping
/// period, or when its EJ already belongs to a GHT (another one, or the same one again)
/// over an overlapping period; the reason names the earlier line. A member of a
/// collectivity without an ARS is skipped.
pub fn read(path: &Path) -> Result<Parsed<GhtMember>, FileError> {
    let mut names: HashMap<String, (String, u64)> = HashMap::new();
    let mut supports: HashMap<String, Vec<(GhtMember, u64)>> = HashMap::new();
    let mut memberships: HashMap<FinessId, Vec<(GhtMember, u64)>> = HashMap::new();
    read_header_table(
        path,
        b';',
        &COLUMNS,
        "fichier des GHT (code_ght;nom_ght;finess_ej;role;date_debut;date_fin)",
        |row, idx| {
            let m = match member(row, idx) {
                Ok(m) => m,
                Err(no) => return no.into(),
            };
            if let Some((name, first)) = names.get(&m.ght_code)
                && *name != m.ght_name
            {
                return LineOutcome::Rejected(at(
                    row,
                    COLUMNS[1],
                    format!(
                        "le GHT {} s'appelle « {name} » à la ligne {first}, pas « {} »",
                        m.ght_code, m.ght_name
                    ),
                ));
            }
            if m.support
                && let Some((other, first)) = supports
                    .get(&m.ght_code)
                    .and_then(|s| s.iter().find(|(o, _)| overlaps(o.period(), m.period())))
            {
                return LineOutcome::Rejected(at(
                    row,
                    COLUMNS[3],
                    format!(
                        "le GHT {} a déjà pour support l'EJ {} (ligne {first}) sur une période \
                         qui chevauche celle-ci",
                        m.ght_code, other.ej
                    ),
                ));
            }
            if let Some((other, first)) = memberships
                .get(&m.ej)
                .and_then(|s| s.iter().find(|(o, _)| overlaps(o.period(), m.period())))
            {
                let reason = if other.ght_code == m.ght_code {
                    format!(
                        "l'EJ {} figure déjà dans le GHT {} à la ligne {first}, sur une \
                         période qui chevauche celle-ci",
                        m.ej, m.ght_code
                    )
                } else {
                    format!(
                        "l'EJ {} est déjà membre du GHT {} (ligne {first}) sur une période qui \
                         chevauche celle-ci : un établissement n'appartient qu'à un GHT",
                        m.ej, other.ght_code
                    )
                };
                return LineOutcome::Rejected(at(row, COLUMNS[2], reason));
            }
            names
                .entry(m.ght_code.clone())
                .or_insert_with(|| (m.ght_name.clone(), row.line));
            if m.support {
                supports
                    .entry(m.ght_code.clone())
                    .or_default()
                    .push((m.clone(), row.line));
            }
            memberships
                .entry(m.ej.clone())
                .or_default()
                .push((m.clone(), row.line));
            LineOutcome::Record(m)
        },
    )
}

fn member(row: &Row, idx: &[usize]) -> Result<GhtMember, NoRecord> {
    let f = |i: usize| row.fields[idx[i]].as_str();
    let ght_code = required(row, COLUMNS[0], f(0))?;
    let ght_name = required(row, COLUMNS[1], f(1))?;
    let ej = match f(2).trim() {
        "" => Err(at(row, COLUMNS[2], "valeur obligatoire absente")),
        raw => FinessId::parse(raw).map_err(|e| at(row, COLUMNS[2], e.message)),
    }?;
    let (_, region) = locate(row, COLUMNS[2], &ej)?;
    let support = match f(3).trim().to_lowercase().as_str() {
        "support" | "s" => true,
        "membre" | "m" => false,
        "" => {
            return Err(NoRecord::Rejected(at(
                row,
                COLUMNS[3],
                "valeur obligatoire absente",
            )));
        }
        _ => {
            return Err(NoRecord::Rejected(at(
                row,
                COLUMNS[3],
                format!(
                    "rôle « {} » inconnu (support ou membre attendu, ou S / M)",
                    f(3).trim()
                ),
            )));
        }
    };
    let valid_from = required_date(row, COLUMNS[4], f(4))?;
    let valid_to = optional_date(row, COLUMNS[5], f(5))?;
    if let Some(end) = valid_to.filter(|end| *end < valid_from) {
        return Err(NoRecord::Rejected(at(
            row,
            COLUMNS[5],
            format!(
                "la fin ({}) précède le début ({})",
                french_date(end),
                french_date(valid_from)
            ),
        )));
    }
    Ok(GhtMember {
        ght_code,
        ght_name,
        ej,
        support,
        valid_from,
        valid_to,
        region,
    })
}
