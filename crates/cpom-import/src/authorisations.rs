//! Authorisations of care activities (activités de soins), from the CSV template the ARS
//! fills ([`TEMPLATE`]): a header row naming the columns (order free), `;` separated, UTF-8
//! or Latin-1. One line per authorisation: site and legal entity, the activity / modality /
//! form triplet, the decision and its validity.

use std::collections::HashMap;
use std::path::Path;

use chrono::NaiveDate;
use cpom_domain::{FinessId, RegionCode};

use crate::finess::locate;
use crate::reader::{
    FileError, LineOutcome, NoRecord, Parsed, Rejection, Row, at, french_date, optional,
    optional_date, read_header_table, required, required_date,
};

/// The template shipped to the agencies: the header and three example lines (real sites of
/// Occitanie, illustrative authorisations).
pub const TEMPLATE: &str = include_str!("../templates/autorisations.csv");

/// Columns of the file, all required in the header (order free).
pub const COLUMNS: [&str; 12] = [
    "finess_et",
    "finess_ej",
    "activite_code",
    "activite_libelle",
    "modalite_code",
    "modalite_libelle",
    "forme_code",
    "forme_libelle",
    "numero_autorisation",
    "date_autorisation",
    "date_debut_validite",
    "date_fin_validite",
];

/// One authorisation of a care activity on a site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorisation {
    /// FINESS ET of the site where the activity is carried out (`finess_et`).
    pub site: FinessId,
    /// FINESS EJ of the holder (`finess_ej`).
    pub ej: FinessId,
    /// Activity code (`activite_code`).
    pub activity_code: String,
    /// Activity label (`activite_libelle`).
    pub activity_label: String,
    /// Modality code (`modalite_code`).
    pub modality_code: Option<String>,
    /// Modality label (`modalite_libelle`).
    pub modality_label: Option<String>,
    /// Form code (`forme_code`).
    pub form_code: Option<String>,
    /// Form label (`forme_libelle`).
    pub form_label: Option<String>,
    /// Number of the authorisation (`numero_autorisation`, e.g. the ARHGOS number).
    pub number: Option<String>,
    /// Date of the decision (`date_autorisation`).
    pub granted_on: Option<NaiveDate>,
    /// First day of validity (`date_debut_validite`).
    pub valid_from: NaiveDate,
    /// Last day of validity (`date_fin_validite`), `None` when open.
    pub valid_to: Option<NaiveDate>,
    /// Department of the site, from its FINESS number.
    pub department: &'static str,
    /// Region of the site, from its department.
    pub region: RegionCode,
}

/// What makes two lines the same authorisation.
type Key = (FinessId, String, Option<String>, Option<String>, NaiveDate);

/// Reads a file of authorisations. Required values: `finess_et`, `finess_ej`,
/// `activite_code`, `activite_libelle`, `date_debut_validite`; the others may be empty.
/// Dates are `jj/mm/aaaa` or `aaaa-mm-jj`; an end before the start is rejected on
/// `date_fin_validite`. A site of a collectivity without an ARS is skipped. The same
/// authorisation twice (site, activity, modality, form, start of validity) is rejected on
/// its second line, which names the first.
pub fn read(path: &Path) -> Result<Parsed<Authorisation>, FileError> {
    let mut first_line_of: HashMap<Key, u64> = HashMap::new();
    read_header_table(
        path,
        b';',
        &COLUMNS,
        "fichier des autorisations d'activités de soins (finess_et;finess_ej;activite_code;…)",
        |row, idx| {
            let a = match authorisation(row, idx) {
                Ok(a) => a,
                Err(no) => return no.into(),
            };
            let key = (
                a.site.clone(),
                a.activity_code.clone(),
                a.modality_code.clone(),
                a.form_code.clone(),
                a.valid_from,
            );
            if let Some(first) = first_line_of.get(&key) {
                return LineOutcome::Rejected(Rejection {
                    line: row.line,
                    column: None,
                    reason: format!(
                        "autorisation en double : même site, activité, modalité, forme et \
                         début de validité ({}) qu'à la ligne {first}",
                        french_date(a.valid_from)
                    ),
                });
            }
            first_line_of.insert(key, row.line);
            LineOutcome::Record(a)
        },
    )
}

fn authorisation(row: &Row, idx: &[usize]) -> Result<Authorisation, NoRecord> {
    let f = |i: usize| row.fields[idx[i]].as_str();
    let finess = |i: usize| {
        let raw = f(i);
        if raw.trim().is_empty() {
            return Err(at(row, COLUMNS[i], "valeur obligatoire absente"));
        }
        FinessId::parse(raw).map_err(|e| at(row, COLUMNS[i], e.message))
    };
    let site = finess(0)?;
    let ej = finess(1)?;
    let (department, region) = locate(row, COLUMNS[0], &site)?;
    let activity_code = required(row, COLUMNS[2], f(2))?;
    let activity_label = required(row, COLUMNS[3], f(3))?;
    let granted_on = optional_date(row, COLUMNS[9], f(9))?;
    let valid_from = required_date(row, COLUMNS[10], f(10))?;
    let valid_to = optional_date(row, COLUMNS[11], f(11))?;
    if let Some(end) = valid_to.filter(|end| *end < valid_from) {
        return Err(NoRecord::Rejected(at(
            row,
            COLUMNS[11],
            format!(
                "la fin de validité ({}) précède le début ({})",
                french_date(end),
                french_date(valid_from)
            ),
        )));
    }
    Ok(Authorisation {
        site,
        ej,
        activity_code,
        activity_label,
        modality_code: optional(f(4)),
        modality_label: optional(f(5)),
        form_code: optional(f(6)),
        form_label: optional(f(7)),
        number: optional(f(8)),
        granted_on,
        valid_from,
        valid_to,
        department,
        region,
    })
}
