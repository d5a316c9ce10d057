//! FINESS extracts with a header row, such as the hospital list
//! `finess_etabs_hopitaux_france_FHOFF.csv` (`,` separated, UTF-8): one line per site (ET)
//! with its legal entity (EJ).

use std::path::Path;

use cpom_domain::registry::{LegalStatus, department, is_outside_ars, region_of_department};
use cpom_domain::{FinessId, RegionCode};

use crate::reader::{Columns, FileError, LineOutcome, Parsed, Row, at, check_width, read_rows};

/// One site of a FINESS extract.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FinessSite {
    /// FINESS ET.
    pub site: FinessId,
    /// FINESS EJ of the site's legal entity.
    pub ej: FinessId,
    /// Long name (`rs_longue`, or `rs_courte` when empty).
    pub name: String,
    /// Department code.
    pub department: &'static str,
    /// Region (from the department).
    pub region: RegionCode,
    /// Postal code, from `ville_cp`.
    pub postal_code: Option<String>,
    /// City, from `ville_cp`.
    pub city: Option<String>,
    /// Category label (`categorie_libelle`).
    pub category_label: Option<String>,
    /// Status told by the SPH label, if it tells.
    pub status: Option<LegalStatus>,
    /// SIRET (14 digits).
    pub siret: Option<String>,
}

const COLUMNS: [&str; 8] = [
    "nofinesset",
    "nofinessej",
    "rs_courte",
    "rs_longue",
    "departement_code",
    "ville_cp",
    "categorie_libelle",
    "statut_juridique_lib",
];

fn opt(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_owned())
}

/// Reads a FINESS extract with a header (`,` or `;` separated, detected from the header).
pub fn read_header_csv(path: &Path) -> Result<Parsed<FinessSite>, FileError> {
    let first_line = std::fs::read(path)?
        .split(|b| *b == b'\n')
        .next()
        .map(<[u8]>::to_vec)
        .unwrap_or_default();
    let delimiter = if first_line.iter().filter(|b| **b == b';').count()
        > first_line.iter().filter(|b| **b == b',').count()
    {
        b';'
    } else {
        b','
    };
    let mut rows = Vec::new();
    let mut rejected = Vec::new();
    let (encoding, header) = read_rows(path, delimiter, true, |r| match r {
        Ok(row) => rows.push(row),
        Err(rej) => rejected.push(rej),
    })?;
    let cols = Columns::new(
        header.ok_or_else(|| FileError::Format("fichier vide : l'en-tête est absent".into()))?,
    );
    let idx = cols.require(&COLUMNS).map_err(|e| {
        FileError::Format(format!(
            "ligne 1 : {e} (attendu : fichier FINESS avec en-tête)"
        ))
    })?;
    let siret_idx = cols.require(&["siret"]).ok().map(|v| v[0]);
    let mut records = Vec::with_capacity(rows.len());
    let mut skipped = Vec::new();
    for row in rows {
        match site(&row, &idx, siret_idx, cols.len()) {
            LineOutcome::Record(s) => records.push((row.line, s)),
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

fn site(
    row: &Row,
    idx: &[usize],
    siret_idx: Option<usize>,
    width: usize,
) -> LineOutcome<FinessSite> {
    if let Err(rej) = check_width(row, width) {
        return LineOutcome::Rejected(rej);
    }
    let dep = row.fields[idx[4]].trim();
    if is_outside_ars(dep) {
        return LineOutcome::Skipped(at(
            row,
            "departement_code",
            format!("département {dep} : collectivité sans ARS, site ignoré"),
        ));
    }
    site_fields(row, idx, siret_idx).into()
}

fn site_fields(
    row: &Row,
    idx: &[usize],
    siret_idx: Option<usize>,
) -> Result<FinessSite, crate::Rejection> {
    let f = |i: usize| row.fields[idx[i]].as_str();
    let site = FinessId::parse(f(0)).map_err(|e| at(row, "nofinesset", e.message))?;
    let ej = FinessId::parse(f(1)).map_err(|e| at(row, "nofinessej", e.message))?;
    let name = opt(f(3))
        .or_else(|| opt(f(2)))
        .ok_or_else(|| at(row, "rs_longue", "la raison sociale est vide"))?;
    let dep = department(f(4)).map_err(|e| at(row, "departement_code", e.message))?;
    let region = region_of_department(dep).ok_or_else(|| {
        at(
            row,
            "departement_code",
            format!("département {dep} hors des régions d'ARS"),
        )
    })?;
    let (postal_code, city) = match f(5).trim().split_once(' ') {
        Some((cp, city)) if cp.len() == 5 && cp.chars().all(|c| c.is_ascii_alphanumeric()) => {
            (Some(cp.to_owned()), opt(city))
        }
        _ => (None, opt(f(5))),
    };
    let siret = match siret_idx
        .map(|i| row.fields[i].trim())
        .filter(|s| !s.is_empty())
    {
        Some(s) if s.len() == 14 && s.chars().all(|c| c.is_ascii_digit()) => Some(s.to_owned()),
        Some(s) => {
            return Err(at(
                row,
                "siret",
                format!("« {s} » n'est pas un SIRET (14 chiffres)"),
            ));
        }
        None => None,
    };
    Ok(FinessSite {
        site,
        ej,
        name,
        department: dep,
        region,
        postal_code,
        city,
        category_label: opt(f(6)),
        status: LegalStatus::from_sph_label(f(7)),
        siret,
    })
}
