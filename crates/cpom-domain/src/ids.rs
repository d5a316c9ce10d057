//! Validated identifiers and values: e-mail addresses, FINESS numbers, display names and
//! candidate passwords. Each type can only be built through its `parse` function.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::DomainError;

/// A normalised (trimmed, lower-case) e-mail address used as a sign-in identifier.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

impl Email {
    /// Parses and normalises an address; rejects anything without a local part, an `@`
    /// and a dotted domain.
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let value = raw.trim().to_lowercase();
        let err = |m: &str| Err(DomainError::new("email", m));
        if value.is_empty() {
            return err("l'adresse électronique est obligatoire");
        }
        if value.len() > 254 {
            return err("l'adresse électronique dépasse 254 caractères");
        }
        let Some((local, domain)) = value.split_once('@') else {
            return err("l'adresse électronique doit contenir « @ »");
        };
        let valid_domain = domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && domain
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-');
        if local.is_empty() || local.contains(char::is_whitespace) || !valid_domain {
            return err(
                "l'adresse électronique n'est pas valide (exemple : prenom.nom@ars.sante.fr)",
            );
        }
        Ok(Self(value))
    }

    /// The normalised address.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for Email {
    type Error = DomainError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Email> for String {
    fn from(value: Email) -> Self {
        value.0
    }
}

/// A FINESS number (9 characters: `[0-9][0-9AB][0-9]{7}`, the second character being `A`
/// or `B` for Corsica), identifying a legal entity (EJ) or a site (ET).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct FinessId(String);

impl FinessId {
    /// Parses a FINESS number, accepting surrounding blanks and a lower-case letter.
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let value = raw.trim().to_uppercase();
        let bytes = value.as_bytes();
        let ok = bytes.len() == 9
            && bytes[0].is_ascii_digit()
            && (bytes[1].is_ascii_digit() || bytes[1] == b'A' || bytes[1] == b'B')
            && bytes[2..].iter().all(u8::is_ascii_digit);
        if ok {
            Ok(Self(value))
        } else {
            Err(DomainError::new(
                "finess",
                format!(
                    "« {} » n'est pas un numéro FINESS (9 caractères, par exemple 340780477)",
                    raw.trim()
                ),
            ))
        }
    }

    /// The 9-character number.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for FinessId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for FinessId {
    type Error = DomainError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<FinessId> for String {
    fn from(value: FinessId) -> Self {
        value.0
    }
}

/// A person's name as shown in the interface (1 to 120 characters, trimmed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DisplayName(String);

impl DisplayName {
    /// Trims and checks the length of a display name.
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let value = raw.trim();
        if value.is_empty() {
            return Err(DomainError::new("display_name", "le nom est obligatoire"));
        }
        if value.chars().count() > 120 {
            return Err(DomainError::new(
                "display_name",
                "le nom dépasse 120 caractères",
            ));
        }
        if value.chars().any(char::is_control) {
            return Err(DomainError::new(
                "display_name",
                "le nom contient des caractères de contrôle",
            ));
        }
        Ok(Self(value.to_owned()))
    }

    /// The trimmed name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A candidate password that satisfies the password rules (12 to 256 characters, not only
/// blanks). It is never printed by `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct PlainPassword(String);

/// Minimum password length, following the ANSSI recommendation for passwords protected by
/// throttling.
pub const MIN_PASSWORD_LEN: usize = 12;

impl PlainPassword {
    /// Checks a candidate password against the rules.
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let len = raw.chars().count();
        if len < MIN_PASSWORD_LEN {
            return Err(DomainError::new(
                "password",
                format!("le mot de passe doit contenir au moins {MIN_PASSWORD_LEN} caractères"),
            ));
        }
        if len > 256 {
            return Err(DomainError::new(
                "password",
                "le mot de passe dépasse 256 caractères",
            ));
        }
        if raw.trim().is_empty() {
            return Err(DomainError::new(
                "password",
                "le mot de passe ne peut pas être vide",
            ));
        }
        Ok(Self(raw.to_owned()))
    }

    /// The password itself, to be hashed.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for PlainPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PlainPassword(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_is_trimmed_and_lowercased() {
        let email = Email::parse("  Jean.Dupont@ARS.Sante.fr ").expect("valid address");
        assert_eq!(email.as_str(), "jean.dupont@ars.sante.fr");
    }

    #[test]
    fn email_without_at_or_dotted_domain_is_rejected() {
        for bad in [
            "",
            "jean",
            "jean@",
            "@ars.fr",
            "jean@ars",
            "jean@.fr",
            "je an@ars.fr",
            "j@a..fr",
        ] {
            let err = Email::parse(bad).expect_err(bad);
            assert_eq!(err.field, "email");
        }
    }

    #[test]
    fn finess_accepts_corsica_and_rejects_wrong_lengths() {
        assert_eq!(
            FinessId::parse(" 2a0000014 ").expect("corsica").as_str(),
            "2A0000014"
        );
        assert_eq!(
            FinessId::parse("340780477").expect("montpellier").as_str(),
            "340780477"
        );
        for bad in [
            "34078047",
            "3407804770",
            "34078047X",
            "X40780477",
            "3C0780477",
        ] {
            assert!(FinessId::parse(bad).is_err(), "{bad} should be rejected");
        }
    }

    #[test]
    fn finess_error_names_the_value() {
        let err = FinessId::parse("12").expect_err("too short");
        assert!(err.message.contains("« 12 »"));
    }

    #[test]
    fn display_name_is_trimmed_and_bounded() {
        assert_eq!(
            DisplayName::parse("  Marie Curie ").expect("ok").as_str(),
            "Marie Curie"
        );
        assert!(DisplayName::parse("   ").is_err());
        assert!(DisplayName::parse(&"a".repeat(121)).is_err());
        assert!(DisplayName::parse("a\u{7}b").is_err());
    }

    #[test]
    fn password_needs_twelve_characters_and_hides_in_debug() {
        assert!(PlainPassword::parse("short").is_err());
        assert!(PlainPassword::parse("            ").is_err());
        let ok = PlainPassword::parse("correct horse battery").expect("long enough");
        assert_eq!(format!("{ok:?}"), "PlainPassword(***)");
    }
}
