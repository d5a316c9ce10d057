//! SAE tables (DREES, `;` separated, Latin-1): the identification table (`ID`) and the
//! general synthesis with capacities (`SYGEN`), one line per site.

use std::path::Path;

use cpom_domain::registry::{Capacity, LegalStatus, department};
use cpom_domain::{FinessId, RegionCode};

use crate::reader::{Columns, FileError, LineOutcome, Parsed, Row, at, check_width, read_rows};

/// One site of the SAE identification table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SaeSite {
    /// FINESS ET (`fi`).
    pub site: FinessId,
    /// FINESS EJ (`fi_ej`).
    pub ej: FinessId,
    /// Name (`rs`).
    pub name: String,
    /// Survey year (`an`).
    pub year: i32,
    /// Status from `stjr` and `espic`.
    pub status: LegalStatus,
    /// FINESS legal status code (`stj`).
    pub legal_status_code: String,
    /// FINESS category code (`cat`).
    pub category_code: String,
    /// Region (`reg`).
    pub region: RegionCode,
    /// Department (`dep`).
    pub department: &'static str,
    /// City (`NOMCOM`).
    pub city: Option<String>,
    /// Postal code (`CPO`).
    pub postal_code: Option<String>,
}

/// Capacities of one site for one year (SAE `SYGEN`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SaeCapacity {
    /// FINESS ET (`FI`).
    pub site: FinessId,
    /// FINESS EJ (`FI_EJ`).
    pub ej: FinessId,
    /// Year (`AN`).
    pub year: i32,
    /// Beds and places.
    pub capacity: Capacity,
}

fn read<T>(
    path: &Path,
    columns: &[&str],
    what: &str,
    mut build: impl FnMut(&Row, &[usize]) -> LineOutcome<T>,
) -> Result<Parsed<T>, FileError> {
    let mut rows = Vec::new();
    let mut rejected = Vec::new();
    let (encoding, header) = read_rows(path, b';', true, |r| match r {
        Ok(row) => rows.push(row),
        Err(rej) => rejected.push(rej),
    })?;
    let cols = Columns::new(
        header.ok_or_else(|| FileError::Format("fichier vide : l'en-tête est absent".into()))?,
    );
    let idx = cols
        .require(columns)
        .map_err(|e| FileError::Format(format!("ligne 1 : {e} (attendu : {what})")))?;
    let mut records = Vec::with_capacity(rows.len());
    let mut skipped = Vec::new();
    for row in rows {
        let outcome = match check_width(&row, cols.len()) {
            Ok(()) => build(&row, &idx),
            Err(rej) => LineOutcome::Rejected(rej),
        };
        match outcome {
            LineOutcome::Record(r) => records.push((row.line, r)),
            LineOutcome::Rejected(rej) => rejected.push(rej),
            LineOutcome::Skipped(rej) => skipped.push(rej),
        }
    }
    rejected.sort_by_key(|r| r.line);
    Ok(Parsed {
        records,
        rejected,
        skipped,
        encoding,
    })
}

fn year(row: &Row, col: &str, raw: &str) -> Result<i32, crate::Rejection> {
    raw.trim()
        .parse::<i32>()
        .ok()
        .filter(|y| (2000..=2100).contains(y))
        .ok_or_else(|| at(row, col, format!("« {} » n'est pas une année", raw.trim())))
}

fn opt(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_owned())
}

const ID_COLUMNS: [&str; 11] = [
    "fi", "fi_ej", "rs", "an", "stj", "stjr", "cat", "espic", "reg", "dep", "NOMCOM",
];

/// Reads the SAE identification table (`ID_<year>r.csv`).
pub fn read_id(path: &Path) -> Result<Parsed<SaeSite>, FileError> {
    read(
        path,
        &ID_COLUMNS,
        "table d'identification SAE (bor;an;fi;rs;…)",
        |row, idx| id_fields(row, idx).into(),
    )
}

fn id_fields(row: &Row, idx: &[usize]) -> Result<SaeSite, crate::Rejection> {
    {
        let f = |i: usize| row.fields[idx[i]].as_str();
        let status = LegalStatus::from_sae(f(5), f(7)).ok_or_else(|| {
            at(
                row,
                "stjr",
                format!("statut « {} » inconnu (1, 2 ou 3 attendu)", f(5).trim()),
            )
        })?;
        let region = RegionCode::parse(f(8)).map_err(|e| at(row, "reg", e.message))?;
        Ok(SaeSite {
            site: FinessId::parse(f(0)).map_err(|e| at(row, "fi", e.message))?,
            ej: FinessId::parse(f(1)).map_err(|e| at(row, "fi_ej", e.message))?,
            name: opt(f(2)).ok_or_else(|| at(row, "rs", "la raison sociale est vide"))?,
            year: year(row, "an", f(3))?,
            status,
            legal_status_code: f(4).trim().to_owned(),
            category_code: f(6).trim().to_owned(),
            region,
            department: department(f(9)).map_err(|e| at(row, "dep", e.message))?,
            city: opt(f(10)),
            postal_code: None,
        })
    }
}

const SYGEN_COLUMNS: [&str; 9] = [
    "FI",
    "FI_EJ",
    "AN",
    "LIT_MCO",
    "CAP_COMPLET_TOT",
    "LIT_SSR",
    "LIT_USLD",
    "PLA_MCO",
    "PLATOT_HAD",
];

/// Reads the SAE general synthesis (`SYGEN_<year>r.csv`): capacities per site. Empty
/// capacities mean zero (the SAE leaves them empty when the activity does not exist).
pub fn read_sygen(path: &Path) -> Result<Parsed<SaeCapacity>, FileError> {
    read(
        path,
        &SYGEN_COLUMNS,
        "table SYGEN de la SAE (FI;FI_EJ;AN;LIT_MED;…)",
        |row, idx| sygen_fields(row, idx).into(),
    )
}

fn sygen_fields(row: &Row, idx: &[usize]) -> Result<SaeCapacity, crate::Rejection> {
    {
        let f = |i: usize| row.fields[idx[i]].as_str();
        let n = |i: usize| -> Result<i64, crate::Rejection> {
            let raw = f(i).trim();
            if raw.is_empty() {
                return Ok(0);
            }
            raw.parse::<i64>().ok().filter(|v| *v >= 0).ok_or_else(|| {
                at(
                    row,
                    SYGEN_COLUMNS[i],
                    format!("« {raw} » n'est pas un nombre entier positif"),
                )
            })
        };
        Ok(SaeCapacity {
            site: FinessId::parse(f(0)).map_err(|e| at(row, "FI", e.message))?,
            ej: FinessId::parse(f(1)).map_err(|e| at(row, "FI_EJ", e.message))?,
            year: year(row, "AN", f(2))?,
            capacity: Capacity {
                lit_mco: n(3)?,
                cap_complet_tot: n(4)?,
                lit_ssr: n(5)?,
                lit_usld: n(6)?,
                pla_mco: n(7)?,
                platot_had: n(8)?,
            },
        })
    }
}
