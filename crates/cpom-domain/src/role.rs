//! The roles of cpom and what kind of scope each one carries.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::DomainError;

/// A user's role. Identifiers are stable (stored and used in the CLI and the API).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// Platform operator's account, over every region.
    NationalAdmin,
    /// Administrator of one ARS (one region).
    ArsAdmin,
    /// Negotiator or referent of one ARS (one region).
    ArsReferent,
    /// Legal representative or CPOM correspondent of one legal entity.
    EstablishmentLeader,
    /// Contributor of one legal entity.
    EstablishmentContributor,
    /// Read-only observer of one region, or national when no region is set.
    Observer,
}

/// How far a role reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScopeKind {
    /// No region nor legal entity.
    National,
    /// Exactly one region.
    Region,
    /// Exactly one legal entity (and thus its region).
    LegalEntity,
    /// One region, or national when none is given.
    RegionOrNational,
}

impl Role {
    /// Every role, in the order used by forms and tests.
    pub const ALL: [Role; 6] = [
        Role::NationalAdmin,
        Role::ArsAdmin,
        Role::ArsReferent,
        Role::EstablishmentLeader,
        Role::EstablishmentContributor,
        Role::Observer,
    ];

    /// The stable identifier, e.g. `ars-referent`.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::NationalAdmin => "national-admin",
            Role::ArsAdmin => "ars-admin",
            Role::ArsReferent => "ars-referent",
            Role::EstablishmentLeader => "establishment-leader",
            Role::EstablishmentContributor => "establishment-contributor",
            Role::Observer => "observer",
        }
    }

    /// The French label shown in the interface.
    pub fn label(self) -> &'static str {
        match self {
            Role::NationalAdmin => "Administrateur national",
            Role::ArsAdmin => "Administrateur ARS",
            Role::ArsReferent => "Référent ARS",
            Role::EstablishmentLeader => "Responsable d'établissement",
            Role::EstablishmentContributor => "Contributeur d'établissement",
            Role::Observer => "Observateur",
        }
    }

    /// Parses a stable identifier.
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let value = raw.trim();
        Self::ALL
            .into_iter()
            .find(|r| r.as_str() == value)
            .ok_or_else(|| {
                DomainError::new(
                    "role",
                    format!(
                        "« {value} » n'est pas un rôle ; rôles possibles : {}",
                        Self::ALL.map(Role::as_str).join(", ")
                    ),
                )
            })
    }

    /// The kind of scope an account with this role must carry.
    pub fn scope_kind(self) -> ScopeKind {
        match self {
            Role::NationalAdmin => ScopeKind::National,
            Role::ArsAdmin | Role::ArsReferent => ScopeKind::Region,
            Role::EstablishmentLeader | Role::EstablishmentContributor => ScopeKind::LegalEntity,
            Role::Observer => ScopeKind::RegionOrNational,
        }
    }

    /// Checks that a region and a legal entity fit this role's kind of scope (an ARS role
    /// needs a region and no legal entity, an establishment role a legal entity…).
    pub fn check_scope(
        self,
        region: Option<&crate::RegionCode>,
        ej: Option<&crate::FinessId>,
    ) -> Result<(), DomainError> {
        match (self.scope_kind(), region, ej) {
            (ScopeKind::National, None, None)
            | (ScopeKind::Region, Some(_), None)
            | (ScopeKind::LegalEntity, _, Some(_))
            | (ScopeKind::RegionOrNational, _, None) => Ok(()),
            (ScopeKind::National, _, _) => Err(DomainError::new(
                "region",
                "un administrateur national n'a ni région ni entité juridique",
            )),
            (ScopeKind::Region, None, _) => Err(DomainError::new(
                "region",
                format!("un compte « {} » doit avoir une région", self.label()),
            )),
            (ScopeKind::LegalEntity, _, None) => Err(DomainError::new(
                "ej",
                format!(
                    "un compte « {} » doit avoir une entité juridique (FINESS EJ)",
                    self.label()
                ),
            )),
            (ScopeKind::Region | ScopeKind::RegionOrNational, _, Some(_)) => Err(DomainError::new(
                "ej",
                format!(
                    "un compte « {} » n'est pas rattaché à une entité juridique",
                    self.label()
                ),
            )),
        }
    }

    /// True for the roles of an ARS or of the platform operator.
    pub fn is_ars_side(self) -> bool {
        matches!(
            self,
            Role::NationalAdmin | Role::ArsAdmin | Role::ArsReferent
        )
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_role_round_trips_through_its_identifier() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Ok(role));
        }
    }

    #[test]
    fn scope_must_fit_the_role() {
        let region = crate::RegionCode::parse("76").expect("code");
        let ej = crate::FinessId::parse("340780477").expect("finess");
        assert!(Role::NationalAdmin.check_scope(None, None).is_ok());
        assert!(
            Role::NationalAdmin
                .check_scope(Some(&region), None)
                .is_err()
        );
        assert!(Role::ArsReferent.check_scope(Some(&region), None).is_ok());
        assert_eq!(
            Role::ArsAdmin
                .check_scope(None, None)
                .expect_err("no region")
                .field,
            "region"
        );
        assert!(
            Role::ArsAdmin
                .check_scope(Some(&region), Some(&ej))
                .is_err()
        );
        assert!(
            Role::EstablishmentLeader
                .check_scope(None, Some(&ej))
                .is_ok()
        );
        assert_eq!(
            Role::EstablishmentContributor
                .check_scope(Some(&region), None)
                .expect_err("no ej")
                .field,
            "ej"
        );
        assert!(Role::Observer.check_scope(None, None).is_ok());
        assert!(Role::Observer.check_scope(Some(&region), None).is_ok());
        assert!(Role::Observer.check_scope(None, Some(&ej)).is_err());
    }

    #[test]
    fn unknown_role_lists_the_valid_ones() {
        let err = Role::parse("admin").expect_err("unknown");
        assert!(err.message.contains("ars-admin"));
    }
}
