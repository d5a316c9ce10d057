//! FINESS extracts: files with a header row, such as the hospital list
//! `finess_etabs_hopitaux_france_FHOFF.csv` (`,` separated, UTF-8), and the etalab stock
//! extract `etalab-cs1100507-stock-*.csv` (no header, `;` separated, Latin-1): one line per
//! site (ET) with its legal entity (EJ). [`read_finess`] tells them apart.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use cpom_domain::registry::{LegalStatus, department, is_outside_ars, region_of_department};
use cpom_domain::{FinessId, RegionCode};

use crate::reader::{
    Columns, FileError, LineOutcome, NoRecord, Parsed, Rejection, Row, Utf8Fallback, at,
    check_width, parse_date, read_rows, read_rows_with,
};

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
    /// Category label (`categorie_libelle`, etalab `libcategetab`).
    pub category_label: Option<String>,
    /// Category code (3 digits, etalab `categetab`; `categorie_code` in a file with a
    /// header, `None` when the file has no such column).
    pub category_code: Option<String>,
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

/// The first line of a file (at most 64 KiB, without its end of line and UTF-8 BOM), or
/// `None` for an empty file.
fn first_line(path: &Path) -> std::io::Result<Option<Vec<u8>>> {
    let mut line = Vec::new();
    BufReader::new(File::open(path)?.take(64 * 1024)).read_until(b'\n', &mut line)?;
    if line.is_empty() {
        return Ok(None);
    }
    while matches!(line.last(), Some(b'\n' | b'\r')) {
        line.pop();
    }
    Ok(Some(match line.strip_prefix(b"\xEF\xBB\xBF") {
        Some(rest) => rest.to_vec(),
        None => line,
    }))
}

/// Reads a FINESS extract of either kind, told apart by its first line: `finess;etalab;…`
/// for the etalab stock extract ([`read_etalab_stock`]), a header naming `nofinesset` for a
/// file with a header ([`read_header_csv`]). Any other first line refuses the file.
pub fn read_finess(path: &Path) -> Result<Parsed<FinessSite>, FileError> {
    let Some(line) = first_line(path)? else {
        return Err(FileError::Format("fichier vide".into()));
    };
    if line.starts_with(b"finess;etalab") {
        return read_etalab_stock(path);
    }
    if String::from_utf8_lossy(&line)
        .to_lowercase()
        .contains("nofinesset")
    {
        return read_header_csv(path);
    }
    let shown: String = String::from_utf8_lossy(&line).chars().take(60).collect();
    Err(FileError::Format(format!(
        "ligne 1 : « {shown} » n'est ni la première ligne d'un extrait FINESS etalab \
         (« finess;etalab;<version>;<date> ») ni l'en-tête d'un fichier FINESS \
         (colonnes nofinesset;nofinessej;…)"
    )))
}

/// Reads a FINESS extract with a header (`,` or `;` separated, detected from the header).
pub fn read_header_csv(path: &Path) -> Result<Parsed<FinessSite>, FileError> {
    let first_line = first_line(path)?.unwrap_or_default();
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
    let code_idx = cols.require(&["categorie_code"]).ok().map(|v| v[0]);
    let mut records = Vec::with_capacity(rows.len());
    let mut skipped = Vec::new();
    for row in rows {
        match site(&row, &idx, siret_idx, code_idx, cols.len()) {
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
    code_idx: Option<usize>,
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
    site_fields(row, idx, siret_idx, code_idx).into()
}

fn site_fields(
    row: &Row,
    idx: &[usize],
    siret_idx: Option<usize>,
    code_idx: Option<usize>,
) -> Result<FinessSite, Rejection> {
    let f = |i: usize| row.fields[idx[i]].as_str();
    let site = FinessId::parse(f(0)).map_err(|e| at(row, "nofinesset", e.message))?;
    let ej = FinessId::parse(f(1)).map_err(|e| at(row, "nofinessej", e.message))?;
    let name = opt(f(3))
        .or_else(|| opt(f(2)))
        .ok_or_else(|| at(row, "rs_longue", "la raison sociale est vide"))?;
    let (dep, region) = department_and_region(row, "departement_code", f(4))?;
    let (postal_code, city) = postal_code_and_city(f(5));
    Ok(FinessSite {
        site,
        ej,
        name,
        department: dep,
        region,
        postal_code,
        city,
        category_label: opt(f(6)),
        category_code: category_code(
            row,
            "categorie_code",
            code_idx.map_or("", |i| &row.fields[i]),
        )?,
        status: LegalStatus::from_sph_label(f(7)),
        siret: siret(row, "siret", siret_idx.map_or("", |i| &row.fields[i]))?,
    })
}

/// The normalised department of a `departement` value and its region.
fn department_and_region(
    row: &Row,
    column: &str,
    raw: &str,
) -> Result<(&'static str, RegionCode), Rejection> {
    let dep = department(raw).map_err(|e| at(row, column, e.message))?;
    let region = region_of_department(dep).ok_or_else(|| {
        at(
            row,
            column,
            format!("département {dep} hors des régions d'ARS"),
        )
    })?;
    Ok((dep, region))
}

/// Splits `ligneacheminement` ("CP VILLE"): a 5-character postal code, then the city.
fn postal_code_and_city(raw: &str) -> (Option<String>, Option<String>) {
    match raw.trim().split_once(' ') {
        Some((cp, city)) if cp.len() == 5 && cp.chars().all(|c| c.is_ascii_alphanumeric()) => {
            (Some(cp.to_owned()), opt(city))
        }
        _ => (None, opt(raw)),
    }
}

/// An optional SIRET (14 digits).
fn siret(row: &Row, column: &str, raw: &str) -> Result<Option<String>, Rejection> {
    match raw.trim() {
        "" => Ok(None),
        s if s.len() == 14 && s.chars().all(|c| c.is_ascii_digit()) => Ok(Some(s.to_owned())),
        s => Err(at(
            row,
            column,
            format!("« {s} » n'est pas un SIRET (14 chiffres)"),
        )),
    }
}

/// An optional category code (3 digits).
fn category_code(row: &Row, column: &str, raw: &str) -> Result<Option<String>, Rejection> {
    match raw.trim() {
        "" => Ok(None),
        s if s.len() == 3 && s.chars().all(|c| c.is_ascii_digit()) => Ok(Some(s.to_owned())),
        s => Err(at(
            row,
            column,
            format!("« {s} » n'est pas un code de catégorie d'établissement (3 chiffres)"),
        )),
    }
}

/// Columns of a `structureet` line of the etalab extract, in order (FORMATS §3.2); a 32nd
/// field (`numuai`, or empty after a trailing `;`) is accepted and ignored.
pub const ETALAB_STRUCTUREET: [&str; 31] = [
    "structureet",
    "nofinesset",
    "nofinessej",
    "rs",
    "rslongue",
    "complrs",
    "compldistrib",
    "numvoie",
    "typvoie",
    "voie",
    "compvoie",
    "lieuditbp",
    "commune",
    "departement",
    "libdepartement",
    "ligneacheminement",
    "telephone",
    "telecopie",
    "categetab",
    "libcategetab",
    "categagretab",
    "libcategagretab",
    "siret",
    "codeape",
    "codemft",
    "libmft",
    "codesph",
    "libsph",
    "dateouv",
    "dateautor",
    "datemaj",
];

/// Columns of a `geolocalisation` line of the etalab extract, in order; a trailing `;` is
/// accepted.
pub const ETALAB_GEOLOCALISATION: [&str; 6] = [
    "geolocalisation",
    "nofinesset",
    "coordxet",
    "coordyet",
    "sourcecoordet",
    "datemaj",
];

/// Name given to the first field of an etalab line (its type) in rejections.
const LINE_TYPE: &str = "type de ligne";

/// Reads the FINESS etalab stock extract (`etalab-cs1100507-stock-*.csv`): no header, a
/// first line `finess;etalab;<version>;<date>`, then `structureet` lines (one per site,
/// 31 or 32 fields) and `geolocalisation` lines (checked, then left aside). `;` separated,
/// Latin-1/Windows-1252 or UTF-8; as FORMATS §3.2 asks, a line that is not UTF-8 in a UTF-8
/// file is read as Windows-1252. Sites of collectivities without an ARS are skipped; a
/// site described twice is rejected on its second line.
pub fn read_etalab_stock(path: &Path) -> Result<Parsed<FinessSite>, FileError> {
    let mut seen_first = false;
    let mut fatal: Option<FileError> = None;
    let mut first_line_of: HashMap<FinessId, u64> = HashMap::new();
    let mut records = Vec::new();
    let mut rejected = Vec::new();
    let mut skipped = Vec::new();
    let (encoding, _) = read_rows_with(path, b';', false, Utf8Fallback::Windows1252, |r| {
        if fatal.is_some() {
            return;
        }
        if !seen_first {
            seen_first = true;
            if let Err(e) = etalab_first_line(r) {
                fatal = Some(e);
            }
            return;
        }
        let row = match r {
            Ok(row) => row,
            Err(rej) => return rejected.push(rej),
        };
        let Some(outcome) = etalab_line(&row) else {
            return;
        };
        match outcome {
            LineOutcome::Record(site) => match first_line_of.get(&site.site) {
                Some(first) => rejected.push(at(
                    &row,
                    "nofinesset",
                    format!("site {} déjà décrit à la ligne {first}", site.site),
                )),
                None => {
                    first_line_of.insert(site.site.clone(), row.line);
                    records.push((row.line, site));
                }
            },
            LineOutcome::Rejected(rej) => rejected.push(rej),
            LineOutcome::Skipped(rej) => skipped.push(rej),
        }
    })?;
    if let Some(e) = fatal {
        return Err(e);
    }
    if !seen_first {
        return Err(FileError::Format(
            "fichier vide : la ligne « finess;etalab;<version>;<date> » est absente".into(),
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

/// Checks the first line `finess;etalab;<version>;<YYYY-MM-DD>` (DD/MM/YYYY in old files).
fn etalab_first_line(r: Result<Row, Rejection>) -> Result<(), FileError> {
    let expected = "attendu : « finess;etalab;<version>;<date> », première ligne d'un extrait \
                    FINESS etalab";
    let row = r.map_err(|rej| {
        FileError::Format(format!("ligne {} : {} ({expected})", rej.line, rej.reason))
    })?;
    let fields: Vec<&str> = row.fields.iter().map(|f| f.trim()).collect();
    let shown = fields.join(";");
    let shown: String = shown.chars().take(60).collect();
    let refuse =
        |why: String| FileError::Format(format!("ligne {} : {why} ({expected})", row.line));
    match fields.as_slice() {
        ["finess", "etalab", version, date] => {
            if version.is_empty() || !version.chars().all(|c| c.is_ascii_digit()) {
                return Err(refuse(format!(
                    "version « {version} » invalide (nombre entier attendu)"
                )));
            }
            parse_date(date)
                .map(|_| ())
                .map_err(|e| refuse(format!("date d'extraction invalide : {e}")))
        }
        _ => Err(refuse(format!("« {shown} » n'est pas l'en-tête etalab"))),
    }
}

/// One line after the first: a `structureet` line gives a site; a valid `geolocalisation`
/// line (width, FINESS number) gives `None`, since cpom does not keep coordinates.
fn etalab_line(row: &Row) -> Option<LineOutcome<FinessSite>> {
    let kind = row.fields.first().map_or("", |f| f.trim());
    Some(match kind {
        "structureet" => {
            let (n, width) = (row.fields.len(), ETALAB_STRUCTUREET.len());
            if n != width && n != width + 1 {
                return Some(LineOutcome::Rejected(Rejection {
                    line: row.line,
                    column: None,
                    reason: format!(
                        "{n} colonnes au lieu de {width} ou {} pour une ligne structureet \
                         (ligne tronquée ou séparateur en trop ?)",
                        width + 1
                    ),
                }));
            }
            let dep = row.fields[13].trim();
            if is_outside_ars(dep) {
                return Some(LineOutcome::Skipped(at(
                    row,
                    ETALAB_STRUCTUREET[13],
                    format!("département {dep} : collectivité sans ARS, site ignoré"),
                )));
            }
            structureet(row).into()
        }
        "geolocalisation" => {
            let (n, width) = (row.fields.len(), ETALAB_GEOLOCALISATION.len());
            let trailing = n == width + 1 && row.fields[width].trim().is_empty();
            if n != width && !trailing {
                return Some(LineOutcome::Rejected(Rejection {
                    line: row.line,
                    column: None,
                    reason: format!(
                        "{n} colonnes au lieu de {width} pour une ligne geolocalisation \
                         (ligne tronquée ou séparateur en trop ?)"
                    ),
                }));
            }
            match FinessId::parse(&row.fields[1]) {
                Ok(_) => return None,
                Err(e) => LineOutcome::Rejected(at(row, ETALAB_GEOLOCALISATION[1], e.message)),
            }
        }
        other => {
            let shown: String = other.chars().take(40).collect();
            LineOutcome::Rejected(at(
                row,
                LINE_TYPE,
                format!(
                    "type de ligne « {shown} » inconnu (structureet ou geolocalisation attendu)"
                ),
            ))
        }
    })
}

fn structureet(row: &Row) -> Result<FinessSite, Rejection> {
    // Value and name of the column at `i` of the layout.
    let f = |i: usize| row.fields[i].as_str();
    let c = |i: usize| ETALAB_STRUCTUREET[i];
    let site = FinessId::parse(f(1)).map_err(|e| at(row, c(1), e.message))?;
    let ej = FinessId::parse(f(2)).map_err(|e| at(row, c(2), e.message))?;
    let name = opt(f(4))
        .or_else(|| opt(f(3)))
        .ok_or_else(|| at(row, c(3), "la raison sociale est vide (rs et rslongue)"))?;
    let (dep, region) = department_and_region(row, c(13), f(13))?;
    let (postal_code, city) = postal_code_and_city(f(15));
    Ok(FinessSite {
        site,
        ej,
        name,
        department: dep,
        region,
        postal_code,
        city,
        category_label: opt(f(19)),
        category_code: category_code(row, c(18), f(18))?,
        status: LegalStatus::from_sph_label(f(27)),
        siret: siret(row, c(22), f(22))?,
    })
}

/// Where the prefix of a FINESS number places its holder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FinessPlace {
    /// A department with an ARS (normalised code, e.g. `34`, `2A`, `971`).
    Department(&'static str),
    /// An overseas collectivity without an ARS (Saint-Pierre-et-Miquelon, Wallis-et-Futuna,
    /// French Polynesia, New Caledonia): lines of such holders are skipped.
    OutsideArs,
}

/// The department of a FINESS number, from its prefix: the first two characters (`01`…`95`,
/// `2A`, `2B`), or the first four overseas, as the numbers are allotted (checked on every
/// overseas line of the FHOFF list): `9701`…`9704` for Guadeloupe, Martinique, Guyane and
/// La Réunion, `9805` for Mayotte, `9705` (Saint-Pierre-et-Miquelon) and the other `98`
/// numbers for collectivities without an ARS. Any other prefix is an error.
pub fn place_of_number(id: &FinessId) -> Result<FinessPlace, String> {
    let n = id.as_str();
    let unknown =
        |p: &str| format!("le numéro FINESS {n} ne correspond à aucun département (préfixe {p})");
    let (two, four) = (&n[..2], &n[..4]);
    match two {
        "97" => match four {
            "9701" => Ok(FinessPlace::Department("971")),
            "9702" => Ok(FinessPlace::Department("972")),
            "9703" => Ok(FinessPlace::Department("973")),
            "9704" => Ok(FinessPlace::Department("974")),
            "9705" => Ok(FinessPlace::OutsideArs),
            _ => Err(unknown(four)),
        },
        "98" if four == "9805" => Ok(FinessPlace::Department("976")),
        "98" => Ok(FinessPlace::OutsideArs),
        _ if two == "2A" || two == "2B" || two.bytes().all(|b| b.is_ascii_digit()) => {
            department(two)
                .map(FinessPlace::Department)
                .map_err(|_| unknown(two))
        }
        _ => Err(unknown(two)),
    }
}

/// The department and region of a FINESS number read in `column`, or why the line gives no
/// record: rejected for an unknown prefix, skipped for a collectivity without an ARS.
pub(crate) fn locate(
    row: &Row,
    column: &str,
    id: &FinessId,
) -> Result<(&'static str, RegionCode), NoRecord> {
    match place_of_number(id) {
        Ok(FinessPlace::Department(dep)) => region_of_department(dep)
            .map(|region| (dep, region))
            .ok_or_else(|| {
                NoRecord::Rejected(at(
                    row,
                    column,
                    format!("département {dep} hors des régions d'ARS"),
                ))
            }),
        Ok(FinessPlace::OutsideArs) => Err(NoRecord::Skipped(at(
            row,
            column,
            format!("numéro FINESS {id} : collectivité sans ARS, ligne ignorée"),
        ))),
        Err(reason) => Err(NoRecord::Rejected(at(row, column, reason))),
    }
}
