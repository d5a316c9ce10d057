//! French regions (INSEE codes, 2016 map) that an ARS covers.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::DomainError;

/// A region of the INSEE code list, with its code and French name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Region {
    /// Two-digit INSEE code, e.g. `76`.
    pub code: &'static str,
    /// French name, e.g. `Occitanie`.
    pub name: &'static str,
}

/// The 18 regions, each with its ARS.
pub const REGIONS: [Region; 18] = [
    Region {
        code: "01",
        name: "Guadeloupe",
    },
    Region {
        code: "02",
        name: "Martinique",
    },
    Region {
        code: "03",
        name: "Guyane",
    },
    Region {
        code: "04",
        name: "La Réunion",
    },
    Region {
        code: "06",
        name: "Mayotte",
    },
    Region {
        code: "11",
        name: "Île-de-France",
    },
    Region {
        code: "24",
        name: "Centre-Val de Loire",
    },
    Region {
        code: "27",
        name: "Bourgogne-Franche-Comté",
    },
    Region {
        code: "28",
        name: "Normandie",
    },
    Region {
        code: "32",
        name: "Hauts-de-France",
    },
    Region {
        code: "44",
        name: "Grand Est",
    },
    Region {
        code: "52",
        name: "Pays de la Loire",
    },
    Region {
        code: "53",
        name: "Bretagne",
    },
    Region {
        code: "75",
        name: "Nouvelle-Aquitaine",
    },
    Region {
        code: "76",
        name: "Occitanie",
    },
    Region {
        code: "84",
        name: "Auvergne-Rhône-Alpes",
    },
    Region {
        code: "93",
        name: "Provence-Alpes-Côte d'Azur",
    },
    Region {
        code: "94",
        name: "Corse",
    },
];

/// The INSEE code of one of the [`REGIONS`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RegionCode(String);

impl RegionCode {
    /// Parses a region code; only the codes of [`REGIONS`] are accepted.
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let value = raw.trim();
        if REGIONS.iter().any(|r| r.code == value) {
            Ok(Self(value.to_owned()))
        } else {
            Err(DomainError::new(
                "region",
                format!(
                    "« {value} » n'est pas un code de région INSEE (par exemple 76 pour l'Occitanie)"
                ),
            ))
        }
    }

    /// The two-digit code.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The French name of the region.
    pub fn name(&self) -> &'static str {
        REGIONS
            .iter()
            .find(|r| r.code == self.0)
            .map_or("", |r| r.name)
    }
}

impl fmt::Display for RegionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for RegionCode {
    type Error = DomainError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<RegionCode> for String {
    fn from(value: RegionCode) -> Self {
        value.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_codes_parse_with_their_name() {
        assert_eq!(
            RegionCode::parse(" 76").expect("occitanie").name(),
            "Occitanie"
        );
        assert_eq!(
            RegionCode::parse("84").expect("aura").name(),
            "Auvergne-Rhône-Alpes"
        );
    }

    #[test]
    fn unknown_codes_are_rejected() {
        for bad in ["", "05", "99", "7", "076"] {
            assert!(RegionCode::parse(bad).is_err(), "{bad}");
        }
    }
}
