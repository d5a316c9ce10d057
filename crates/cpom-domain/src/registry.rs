//! Registry rules: departments and their regions, legal status classification and the size
//! band of a legal entity computed from its beds.

use serde::{Deserialize, Serialize};

use crate::{DomainError, RegionCode};

/// Departments (INSEE codes as used by FINESS, `2A`/`2B` for Corsica, `97x` overseas) with the
/// code of their region.
pub const DEPARTMENTS: [(&str, &str); 101] = [
    ("01", "84"),
    ("02", "32"),
    ("03", "84"),
    ("04", "93"),
    ("05", "93"),
    ("06", "93"),
    ("07", "84"),
    ("08", "44"),
    ("09", "76"),
    ("10", "44"),
    ("11", "76"),
    ("12", "76"),
    ("13", "93"),
    ("14", "28"),
    ("15", "84"),
    ("16", "75"),
    ("17", "75"),
    ("18", "24"),
    ("19", "75"),
    ("21", "27"),
    ("22", "53"),
    ("23", "75"),
    ("24", "75"),
    ("25", "27"),
    ("26", "84"),
    ("27", "28"),
    ("28", "24"),
    ("29", "53"),
    ("2A", "94"),
    ("2B", "94"),
    ("30", "76"),
    ("31", "76"),
    ("32", "76"),
    ("33", "75"),
    ("34", "76"),
    ("35", "53"),
    ("36", "24"),
    ("37", "24"),
    ("38", "84"),
    ("39", "27"),
    ("40", "75"),
    ("41", "24"),
    ("42", "84"),
    ("43", "84"),
    ("44", "52"),
    ("45", "24"),
    ("46", "76"),
    ("47", "75"),
    ("48", "76"),
    ("49", "52"),
    ("50", "28"),
    ("51", "44"),
    ("52", "44"),
    ("53", "52"),
    ("54", "44"),
    ("55", "44"),
    ("56", "53"),
    ("57", "44"),
    ("58", "27"),
    ("59", "32"),
    ("60", "32"),
    ("61", "28"),
    ("62", "32"),
    ("63", "84"),
    ("64", "75"),
    ("65", "76"),
    ("66", "76"),
    ("67", "44"),
    ("68", "44"),
    ("69", "84"),
    ("70", "27"),
    ("71", "27"),
    ("72", "52"),
    ("73", "84"),
    ("74", "84"),
    ("75", "11"),
    ("76", "28"),
    ("77", "11"),
    ("78", "11"),
    ("79", "75"),
    ("80", "32"),
    ("81", "76"),
    ("82", "76"),
    ("83", "93"),
    ("84", "93"),
    ("85", "52"),
    ("86", "75"),
    ("87", "75"),
    ("88", "44"),
    ("89", "27"),
    ("90", "27"),
    ("91", "11"),
    ("92", "11"),
    ("93", "11"),
    ("94", "11"),
    ("95", "11"),
    ("971", "01"),
    ("972", "02"),
    ("973", "03"),
    ("974", "04"),
    ("976", "06"),
];

/// Normalises a department code as written in the files (`1` → `01`, `2a` → `2A`, FINESS
/// overseas `9A`…`9F` → `971`…`976`) and checks it.
pub fn department(raw: &str) -> Result<&'static str, DomainError> {
    let v = raw.trim().to_uppercase();
    let v = match v.as_str() {
        "9A" => "971".to_owned(),
        "9B" => "972".to_owned(),
        "9C" => "973".to_owned(),
        "9D" => "974".to_owned(),
        "9F" => "976".to_owned(),
        s if s.len() == 1 && s.chars().all(|c| c.is_ascii_digit()) => format!("0{s}"),
        s => s.to_owned(),
    };
    DEPARTMENTS
        .iter()
        .find(|(d, _)| *d == v)
        .map(|(d, _)| *d)
        .ok_or_else(|| {
            DomainError::new(
                "department",
                format!("« {} » n'est pas un code de département", raw.trim()),
            )
        })
}

/// Whether a department code designates an overseas collectivity without an ARS
/// (Saint-Pierre-et-Miquelon, Wallis-et-Futuna, French Polynesia, New Caledonia…): lines of
/// such sites are skipped by imports, not rejected.
pub fn is_outside_ars(raw: &str) -> bool {
    let v = raw.trim().to_uppercase();
    let b = v.as_bytes();
    v == "975"
        || v.starts_with("98")
        || (b.len() == 2 && b[0] == b'9' && (b'G'..=b'Z').contains(&b[1]))
        || v == "9E"
}

/// The region of a (normalised) department.
pub fn region_of_department(dep: &str) -> Option<RegionCode> {
    DEPARTMENTS
        .iter()
        .find(|(d, _)| *d == dep)
        .and_then(|(_, r)| RegionCode::parse(r).ok())
}

/// Legal status of a legal entity, as the contracts and targets distinguish them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LegalStatus {
    /// Public establishment.
    Public,
    /// Private non-profit, not ESPIC.
    PrivateNonProfit,
    /// Private establishment of collective interest (ESPIC, SPH code 6).
    Espic,
    /// Private for-profit.
    PrivateForProfit,
}

impl LegalStatus {
    /// Stable identifier.
    pub fn as_str(self) -> &'static str {
        match self {
            LegalStatus::Public => "public",
            LegalStatus::PrivateNonProfit => "private_non_profit",
            LegalStatus::Espic => "espic",
            LegalStatus::PrivateForProfit => "private_for_profit",
        }
    }

    /// French label.
    pub fn label(self) -> &'static str {
        match self {
            LegalStatus::Public => "Public",
            LegalStatus::PrivateNonProfit => "Privé non lucratif",
            LegalStatus::Espic => "ESPIC",
            LegalStatus::PrivateForProfit => "Privé lucratif",
        }
    }

    /// Parses a stable identifier.
    pub fn parse(raw: &str) -> Option<Self> {
        [
            Self::Public,
            Self::PrivateNonProfit,
            Self::Espic,
            Self::PrivateForProfit,
        ]
        .into_iter()
        .find(|s| s.as_str() == raw)
    }

    /// From SAE identification codes: `espic` (SPH code) 6 is ESPIC; otherwise `stjr` (1
    /// public, 2 private for-profit, 3 private non-profit).
    pub fn from_sae(stjr: &str, sph: &str) -> Option<Self> {
        if sph.trim() == "6" {
            return Some(LegalStatus::Espic);
        }
        match stjr.trim() {
            "1" => Some(LegalStatus::Public),
            "2" => Some(LegalStatus::PrivateForProfit),
            "3" => Some(LegalStatus::PrivateNonProfit),
            _ => None,
        }
    }

    /// From the SPH label of FINESS extracts (`libsph`); `None` when it does not tell
    /// ("Non concerné", "indéterminé", empty).
    pub fn from_sph_label(label: &str) -> Option<Self> {
        let l = label.trim().to_lowercase();
        if l.contains("intérêt collectif") && !l.contains("non déclar") {
            Some(LegalStatus::Espic)
        } else if l.contains("non lucratif") {
            Some(LegalStatus::PrivateNonProfit)
        } else if l.starts_with("etablissement public") || l.starts_with("établissement public") {
            Some(LegalStatus::Public)
        } else {
            None
        }
    }
}

/// Capacity figures of one site for one year (SAE), the inputs of the size band.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Capacity {
    /// MCO full-hospitalisation beds.
    pub lit_mco: i64,
    /// Psychiatry full-time capacity.
    pub cap_complet_tot: i64,
    /// SSR/SMR beds.
    pub lit_ssr: i64,
    /// USLD beds.
    pub lit_usld: i64,
    /// MCO day places.
    pub pla_mco: i64,
    /// HAD places.
    pub platot_had: i64,
}

/// Capacity columns that can count as beds.
pub const BED_COLUMNS: [&str; 6] = [
    "LIT_MCO",
    "CAP_COMPLET_TOT",
    "LIT_SSR",
    "LIT_USLD",
    "PLA_MCO",
    "PLATOT_HAD",
];

/// The region's definition of "beds" and its band thresholds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BandSettings {
    /// Columns summed (names of [`BED_COLUMNS`]).
    pub columns: Vec<String>,
    /// First threshold: below it, `lt100`.
    pub lower: i64,
    /// Second threshold: at or above it, `ge500`.
    pub upper: i64,
}

impl Default for BandSettings {
    fn default() -> Self {
        Self {
            columns: ["LIT_MCO", "CAP_COMPLET_TOT", "LIT_SSR", "LIT_USLD"]
                .map(String::from)
                .to_vec(),
            lower: 100,
            upper: 500,
        }
    }
}

impl BandSettings {
    /// Checks the settings: known columns, at least one, `0 < lower < upper`.
    pub fn validate(&self) -> Result<(), DomainError> {
        if self.columns.is_empty() {
            return Err(DomainError::new(
                "columns",
                "choisissez au moins une capacité à compter",
            ));
        }
        if let Some(c) = self
            .columns
            .iter()
            .find(|c| !BED_COLUMNS.contains(&c.as_str()))
        {
            return Err(DomainError::new(
                "columns",
                format!("« {c} » n'est pas une capacité SAE connue"),
            ));
        }
        if !(0 < self.lower && self.lower < self.upper) {
            return Err(DomainError::new(
                "lower",
                "les seuils doivent vérifier 0 < seuil bas < seuil haut",
            ));
        }
        Ok(())
    }

    /// Beds of one site under this definition.
    pub fn beds(&self, c: &Capacity) -> i64 {
        self.columns
            .iter()
            .map(|col| match col.as_str() {
                "LIT_MCO" => c.lit_mco,
                "CAP_COMPLET_TOT" => c.cap_complet_tot,
                "LIT_SSR" => c.lit_ssr,
                "LIT_USLD" => c.lit_usld,
                "PLA_MCO" => c.pla_mco,
                "PLATOT_HAD" => c.platot_had,
                _ => 0,
            })
            .sum()
    }

    /// The band of a total.
    pub fn band(&self, beds: i64) -> SizeBand {
        if beds < self.lower {
            SizeBand::Lt100
        } else if beds < self.upper {
            SizeBand::From100To499
        } else {
            SizeBand::Ge500
        }
    }

    /// How the total is computed, in French ("LIT_MCO + CAP_COMPLET_TOT …").
    pub fn formula(&self) -> String {
        self.columns.join(" + ")
    }
}

/// Size band of a legal entity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SizeBand {
    /// Fewer beds than the lower threshold (100 by default).
    #[serde(rename = "lt100")]
    Lt100,
    /// Between the thresholds.
    #[serde(rename = "100to499")]
    From100To499,
    /// At least the upper threshold (500 by default): "grands établissements".
    #[serde(rename = "ge500")]
    Ge500,
}

impl SizeBand {
    /// Stable identifier (`lt100`, `100to499`, `ge500`).
    pub fn as_str(self) -> &'static str {
        match self {
            SizeBand::Lt100 => "lt100",
            SizeBand::From100To499 => "100to499",
            SizeBand::Ge500 => "ge500",
        }
    }

    /// Parses a stable identifier.
    pub fn parse(raw: &str) -> Option<Self> {
        [Self::Lt100, Self::From100To499, Self::Ge500]
            .into_iter()
            .find(|b| b.as_str() == raw.trim())
    }

    /// French label with the thresholds of `settings` (`< 100`, `100–499`, `≥ 500`).
    pub fn label(self, settings: &BandSettings) -> String {
        match self {
            SizeBand::Lt100 => format!("< {}", settings.lower),
            SizeBand::From100To499 => format!("{}–{}", settings.lower, settings.upper - 1),
            SizeBand::Ge500 => format!("≥ {}", settings.upper),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn departments_normalise_and_map_to_their_region() {
        assert_eq!(department("1").expect("ain"), "01");
        assert_eq!(department("2a").expect("corse"), "2A");
        assert_eq!(department("9A").expect("guadeloupe"), "971");
        assert_eq!(region_of_department("34").expect("herault").as_str(), "76");
        assert_eq!(
            region_of_department("2B").expect("haute-corse").as_str(),
            "94"
        );
        assert_eq!(region_of_department("69").expect("rhone").as_str(), "84");
        assert!(department("20").is_err());
        assert!(department("99").is_err());
        assert!(is_outside_ars("9J") && is_outside_ars("986") && is_outside_ars("975"));
        assert!(!is_outside_ars("974") && !is_outside_ars("9A") && !is_outside_ars("34"));
    }

    #[test]
    fn every_department_maps_to_a_known_region() {
        for (d, _) in DEPARTMENTS {
            assert!(region_of_department(d).is_some(), "{d}");
        }
    }

    #[test]
    fn status_comes_from_sae_codes_with_espic_first() {
        assert_eq!(LegalStatus::from_sae("1", "1"), Some(LegalStatus::Public));
        assert_eq!(LegalStatus::from_sae("3", "6"), Some(LegalStatus::Espic));
        assert_eq!(
            LegalStatus::from_sae("3", "7"),
            Some(LegalStatus::PrivateNonProfit)
        );
        assert_eq!(
            LegalStatus::from_sae("2", "0"),
            Some(LegalStatus::PrivateForProfit)
        );
        assert_eq!(LegalStatus::from_sae("", "0"), None);
    }

    #[test]
    fn status_from_finess_sph_labels() {
        assert_eq!(
            LegalStatus::from_sph_label("Etablissement public de santé"),
            Some(LegalStatus::Public)
        );
        assert_eq!(
            LegalStatus::from_sph_label("Etablissement de santé privé d'intérêt collectif"),
            Some(LegalStatus::Espic)
        );
        assert_eq!(
            LegalStatus::from_sph_label(
                "Etab de santé privé non lucratif, non déclar intérêt collect"
            ),
            Some(LegalStatus::PrivateNonProfit)
        );
        assert_eq!(LegalStatus::from_sph_label("Non concerné"), None);
        assert_eq!(LegalStatus::from_sph_label("indéterminé"), None);
    }

    #[test]
    fn bands_follow_the_default_definition_and_thresholds() {
        let s = BandSettings::default();
        let site = Capacity {
            lit_mco: 300,
            cap_complet_tot: 50,
            lit_ssr: 60,
            lit_usld: 43,
            pla_mco: 999,
            platot_had: 999,
        };
        assert_eq!(s.beds(&site), 453);
        assert_eq!(s.band(453), SizeBand::From100To499);
        assert_eq!(s.band(99), SizeBand::Lt100);
        assert_eq!(s.band(100), SizeBand::From100To499);
        assert_eq!(s.band(499), SizeBand::From100To499);
        assert_eq!(s.band(500), SizeBand::Ge500);
        assert_eq!(SizeBand::From100To499.label(&s), "100–499");
    }

    #[test]
    fn a_region_may_count_other_capacities_and_move_thresholds() {
        let s = BandSettings {
            columns: vec!["LIT_MCO".into(), "PLA_MCO".into()],
            lower: 50,
            upper: 300,
        };
        assert!(s.validate().is_ok());
        let site = Capacity {
            lit_mco: 40,
            pla_mco: 20,
            lit_ssr: 1000,
            ..Capacity::default()
        };
        assert_eq!(s.beds(&site), 60);
        assert_eq!(s.band(60), SizeBand::From100To499);
        assert_eq!(s.formula(), "LIT_MCO + PLA_MCO");
        assert!(
            BandSettings {
                columns: vec!["LITS".into()],
                ..BandSettings::default()
            }
            .validate()
            .is_err()
        );
        assert!(
            BandSettings {
                lower: 500,
                upper: 100,
                ..BandSettings::default()
            }
            .validate()
            .is_err()
        );
    }
}
