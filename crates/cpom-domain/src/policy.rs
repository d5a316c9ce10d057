//! The access policy: who may do what on which resource.
//!
//! This is the only place where access is decided. HTML and API handlers build an [`Actor`]
//! from the signed-in account, describe what they are about to do as an [`Action`] (carrying
//! the scope of the record concerned), and call [`authorize`]. Listing handlers ask
//! [`list_filter`] which part of the data the actor may see and pass it to the storage layer.

use crate::{FinessId, RegionCode, Role};

/// The signed-in account as the policy sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// Account id.
    pub user_id: i64,
    /// Role of the account.
    pub role: Role,
    /// Region of the account (for ARS roles, establishment roles and regional observers).
    pub region: Option<RegionCode>,
    /// Legal entity of the account (establishment roles only).
    pub ej: Option<FinessId>,
}

/// The scope of a record: the region and legal entity it belongs to, if any.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Scope {
    /// Region of the record; `None` for national records.
    pub region: Option<RegionCode>,
    /// Legal entity of the record; `None` for records above the legal entity.
    pub ej: Option<FinessId>,
}

/// The scope of a GHT (groupement hospitalier de territoire): its region and the legal
/// entities that are or were its members.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GhtScope {
    /// Region of the GHT.
    pub region: RegionCode,
    /// Legal entities with a membership of the GHT, over any period.
    pub members: Vec<FinessId>,
}

/// An account as a target of administration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountTarget {
    /// Id of the account, `None` when it is about to be created.
    pub user_id: Option<i64>,
    /// Role the account has, or will have.
    pub role: Role,
    /// Scope of the account.
    pub scope: Scope,
}

/// Something an actor wants to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// See the home page and one's own account.
    ViewHome,
    /// Change one's own password and manage one's own API tokens.
    ManageOwnAccount,
    /// List the accounts of one's scope.
    ListUsers,
    /// Read one account.
    ViewUser(AccountTarget),
    /// Create, disable, enable or reset the password of an account.
    ManageUser(AccountTarget),
    /// Browse the audit trail of one's scope.
    ViewAudit,
    /// Search the registry of one's scope.
    ViewRegistry,
    /// Read one legal entity of the registry (with its scope).
    ViewLegalEntity(Scope),
    /// Import registry files (FINESS, SAE) for one's region, or everywhere.
    ImportRegistry,
    /// Change the settings of a region (bed definition, band thresholds).
    ManageRegionSettings(RegionCode),
    /// Change what administrators own in the registry for one legal entity (band override,
    /// labels, territories).
    EditLegalEntity(Scope),
    /// Read one GHT and its members: ARS users and regional observers of its region, the
    /// national roles, and the legal entities that are or were its members.
    ViewGht(GhtScope),
    /// Read a catalogue (référentiel) of a region: published and archived versions by
    /// everyone of the region (and the national roles); drafts by its ARS users only.
    ViewCatalogue {
        /// Region of the catalogue.
        region: RegionCode,
        /// Whether the version is a draft.
        draft: bool,
    },
    /// Import, edit, publish, archive or copy the catalogues of a region.
    ManageCatalogue(RegionCode),
    /// Import catalogue files at all (the region is checked on the file's content).
    ImportCatalogues,
    /// Read a contract: the agency's users of its region, the national roles, the users of
    /// its legal entity; observers once it is signed.
    ViewContract {
        /// Region and legal entity of the contract.
        scope: Scope,
        /// Whether it has been signed.
        signed: bool,
    },
    /// Create a contract, change its engagements: the agency's negotiators and
    /// administrators of its region (and the national administrator).
    PrepareContract(Scope),
    /// Comment on a contract or one of its engagements: the agency's users of its region
    /// and the users of its legal entity (the two sides of the negotiation).
    CommentContract(Scope),
    /// Move a contract from one state to another (see [`crate::contract::may_move`]).
    MoveContract {
        /// Region and legal entity of the contract.
        scope: Scope,
        /// Current state.
        from: crate::contract::ContractState,
        /// State asked.
        to: crate::contract::ContractState,
    },
    /// Open or close the yearly campaigns of a region, reopen a declaration: its ARS
    /// administrators (and the national administrator).
    ManageCampaigns(RegionCode),
    /// Enter (and, with `submit`, submit) the declarations of a legal entity: its users;
    /// only its leader submits.
    Declare {
        /// Region and legal entity of the declaration.
        scope: Scope,
        /// Submitting, not only saving.
        submit: bool,
    },
    /// Validate or return the declarations of a region: its agency's users.
    ReviewDeclaration(Scope),
    /// Read a review and its road map: the agency's users and observers of its region, the
    /// national roles, and the users of the legal entities it covers (for a GHT dialogue,
    /// the entities that are or were members of the GHT).
    ViewReview {
        /// Region of the review.
        region: RegionCode,
        /// Legal entities it covers.
        ejs: Vec<FinessId>,
    },
    /// Record or change the reviews of a region and their road maps: its agency's
    /// administrators and referents (and the national administrator).
    ManageReviews(RegionCode),
    /// List the action plans of one's scope (the agency's users and observers).
    ListPlans,
    /// Read an action plan of a region: its agency's users, the national roles, and the
    /// region's observers given a role on the plan.
    ViewPlan {
        /// Region of the plan.
        region: RegionCode,
        /// The actor's role on this plan, if any.
        role: Option<crate::plan::PlanRole>,
    },
    /// Follow the items of an action plan (status, dates, pilots, description, progress
    /// notes, links): its region's ARS administrators (and the national administrator), and
    /// the accounts of its region given the editor role on the plan.
    EditPlan {
        /// Region of the plan.
        region: RegionCode,
        /// The actor's role on this plan, if any.
        role: Option<crate::plan::PlanRole>,
    },
    /// Import the action plans of a region, give roles on them, set the region's statuses
    /// and pilots: its ARS administrators (and the national administrator).
    ManagePlans(RegionCode),
}

/// Which records a listing may return.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScopeFilter {
    /// Every record.
    All,
    /// Records of one region (including its legal entities' records).
    Region(RegionCode),
    /// Records of one legal entity.
    LegalEntity(FinessId),
    /// No record at all.
    Nothing,
}

impl ScopeFilter {
    /// Whether one record of the given scope passes the filter.
    pub fn allows(&self, scope: &Scope) -> bool {
        match self {
            ScopeFilter::All => true,
            ScopeFilter::Region(code) => scope.region.as_ref() == Some(code),
            ScopeFilter::LegalEntity(ej) => scope.ej.as_ref() == Some(ej),
            ScopeFilter::Nothing => false,
        }
    }
}

/// A refusal, with the reason in French.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Denied(pub &'static str);

/// Kinds of listings whose visible part depends on the actor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listing {
    /// Accounts.
    Users,
    /// Audit events.
    Audit,
    /// Legal entities and sites of the registry.
    Registry,
    /// Catalogues (référentiels).
    Catalogues,
    /// Contracts (observers: signed ones only, filtered by the caller).
    Contracts,
    /// Campaigns and their declarations.
    Declarations,
    /// Reviews and their road maps.
    Reviews,
    /// Regional action plans.
    Plans,
}

/// Which records of a listing the actor may see.
pub fn list_filter(actor: &Actor, listing: Listing) -> ScopeFilter {
    let region = || {
        actor
            .region
            .clone()
            .map_or(ScopeFilter::Nothing, ScopeFilter::Region)
    };
    match (listing, actor.role) {
        (_, Role::NationalAdmin) => ScopeFilter::All,
        (_, Role::ArsAdmin) => region(),
        (Listing::Registry, Role::ArsReferent) => region(),
        (Listing::Registry, Role::Observer) => actor
            .region
            .clone()
            .map_or(ScopeFilter::All, ScopeFilter::Region),
        (Listing::Registry, Role::EstablishmentLeader | Role::EstablishmentContributor) => actor
            .ej
            .clone()
            .map_or(ScopeFilter::Nothing, ScopeFilter::LegalEntity),
        (Listing::Catalogues, Role::Observer) => actor
            .region
            .clone()
            .map_or(ScopeFilter::All, ScopeFilter::Region),
        (Listing::Catalogues, _) => region(),
        (Listing::Contracts | Listing::Reviews | Listing::Plans, Role::ArsReferent) => region(),
        (Listing::Contracts | Listing::Reviews | Listing::Plans, Role::Observer) => actor
            .region
            .clone()
            .map_or(ScopeFilter::All, ScopeFilter::Region),
        (
            Listing::Contracts | Listing::Reviews,
            Role::EstablishmentLeader | Role::EstablishmentContributor,
        ) => actor
            .ej
            .clone()
            .map_or(ScopeFilter::Nothing, ScopeFilter::LegalEntity),
        (Listing::Declarations, Role::ArsReferent | Role::Observer) => region(),
        (Listing::Declarations, Role::EstablishmentLeader | Role::EstablishmentContributor) => {
            actor
                .ej
                .clone()
                .map_or(ScopeFilter::Nothing, ScopeFilter::LegalEntity)
        }
        (Listing::Users, Role::EstablishmentLeader) => actor
            .ej
            .clone()
            .map_or(ScopeFilter::Nothing, ScopeFilter::LegalEntity),
        _ => ScopeFilter::Nothing,
    }
}

/// Decides whether `actor` may perform `action`.
pub fn authorize(actor: &Actor, action: &Action) -> Result<(), Denied> {
    match action {
        Action::ViewHome | Action::ManageOwnAccount => Ok(()),
        Action::ListUsers => allow_if(
            list_filter(actor, Listing::Users) != ScopeFilter::Nothing,
            "La gestion des comptes est réservée aux administrateurs et aux responsables d'établissement.",
        ),
        Action::ViewAudit => allow_if(
            list_filter(actor, Listing::Audit) != ScopeFilter::Nothing,
            "Le journal d'audit est réservé aux administrateurs.",
        ),
        Action::ViewUser(target) => allow_if(
            list_filter(actor, Listing::Users).allows(&target.scope),
            "Ce compte n'appartient pas à votre périmètre.",
        ),
        Action::ManageUser(target) => manage_user(actor, target),
        Action::ViewRegistry => allow_if(
            list_filter(actor, Listing::Registry) != ScopeFilter::Nothing,
            "Le registre n'est pas accessible à ce compte.",
        ),
        Action::ViewLegalEntity(scope) => allow_if(
            list_filter(actor, Listing::Registry).allows(scope),
            "Cette entité juridique n'appartient pas à votre périmètre.",
        ),
        Action::EditLegalEntity(scope) => allow_if(
            match actor.role {
                Role::NationalAdmin => true,
                Role::ArsAdmin => actor.region.is_some() && scope.region == actor.region,
                _ => false,
            },
            "Seuls les administrateurs de l'ARS de la région modifient le registre.",
        ),
        Action::ViewGht(ght) => allow_if(
            match list_filter(actor, Listing::Registry) {
                ScopeFilter::All => true,
                ScopeFilter::Region(r) => r == ght.region,
                ScopeFilter::LegalEntity(ej) => ght.members.contains(&ej),
                ScopeFilter::Nothing => false,
            },
            "Ce GHT n'appartient pas à votre périmètre.",
        ),
        Action::ManageRegionSettings(region) => allow_if(
            actor.role == Role::NationalAdmin
                || (actor.role == Role::ArsAdmin && actor.region.as_ref() == Some(region)),
            "Seuls les administrateurs de l'ARS de la région modifient ses paramètres.",
        ),
        Action::ImportRegistry => allow_if(
            matches!(actor.role, Role::NationalAdmin)
                || (actor.role == Role::ArsAdmin && actor.region.is_some()),
            "Les imports du registre sont réservés aux administrateurs.",
        ),
        Action::ViewCatalogue { region, draft } => {
            let in_scope = match list_filter(actor, Listing::Catalogues) {
                ScopeFilter::All => true,
                ScopeFilter::Region(r) => r == *region,
                ScopeFilter::LegalEntity(_) | ScopeFilter::Nothing => false,
            };
            allow_if(in_scope, "Ce référentiel n'appartient pas à votre région.")?;
            allow_if(
                !draft
                    || matches!(
                        actor.role,
                        Role::NationalAdmin | Role::ArsAdmin | Role::ArsReferent
                    ),
                "Un référentiel en brouillon n'est visible que des agents de l'ARS.",
            )
        }
        Action::ImportCatalogues => allow_if(
            actor.role == Role::NationalAdmin
                || (actor.role == Role::ArsAdmin && actor.region.is_some()),
            "Les référentiels sont gérés par les administrateurs de l'ARS.",
        ),
        Action::ManageCatalogue(region) => allow_if(
            actor.role == Role::NationalAdmin
                || (actor.role == Role::ArsAdmin && actor.region.as_ref() == Some(region)),
            "Seuls les administrateurs de l'ARS de la région gèrent ses référentiels.",
        ),
        Action::ViewContract { scope, signed } => {
            allow_if(
                list_filter(actor, Listing::Contracts).allows(scope),
                "Ce contrat n'appartient pas à votre périmètre.",
            )?;
            allow_if(
                *signed || actor.role != Role::Observer,
                "Les observateurs ne lisent que les contrats signés.",
            )
        }
        Action::PrepareContract(scope) => allow_if(
            agency_of(actor, scope),
            "Les contrats sont préparés par les agents de l'ARS de la région.",
        ),
        Action::CommentContract(scope) => allow_if(
            agency_of(actor, scope)
                || (matches!(
                    actor.role,
                    Role::EstablishmentLeader | Role::EstablishmentContributor
                ) && actor.ej.is_some()
                    && actor.ej == scope.ej),
            "Seuls l'ARS et l'établissement concerné échangent sur un contrat.",
        ),
        Action::MoveContract { scope, from, to } => {
            use crate::contract::{Side, may_move};
            let side = if agency_of(actor, scope) {
                Side::Agency
            } else if actor.role == Role::EstablishmentLeader
                && actor.ej.is_some()
                && actor.ej == scope.ej
            {
                Side::Establishment
            } else {
                return Err(Denied(
                    "Seuls l'ARS et le représentant légal de l'établissement font avancer un contrat.",
                ));
            };
            allow_if(
                may_move(side, *from, *to),
                "Ce changement d'état n'est pas permis à votre rôle depuis l'état actuel du contrat.",
            )
        }
        Action::ManageCampaigns(region) => allow_if(
            actor.role == Role::NationalAdmin
                || (actor.role == Role::ArsAdmin && actor.region.as_ref() == Some(region)),
            "Les campagnes sont ouvertes et closes par les administrateurs ARS de la région.",
        ),
        Action::Declare { scope, submit } => {
            let own = actor.ej.is_some() && actor.ej == scope.ej;
            allow_if(
                own && matches!(
                    actor.role,
                    Role::EstablishmentLeader | Role::EstablishmentContributor
                ),
                "Seuls les utilisateurs de l'établissement saisissent ses déclarations.",
            )?;
            allow_if(
                !*submit || actor.role == Role::EstablishmentLeader,
                "Seul le représentant de l'établissement soumet les déclarations.",
            )
        }
        Action::ReviewDeclaration(scope) => allow_if(
            agency_of(actor, scope),
            "Les déclarations sont validées par l'ARS de la région.",
        ),
        Action::ViewReview { region, ejs } => allow_if(
            match list_filter(actor, Listing::Reviews) {
                ScopeFilter::All => true,
                ScopeFilter::Region(r) => r == *region,
                ScopeFilter::LegalEntity(ej) => ejs.contains(&ej),
                ScopeFilter::Nothing => false,
            },
            "Cette revue n'appartient pas à votre périmètre.",
        ),
        Action::ManageReviews(region) => allow_if(
            agency_of(
                actor,
                &Scope {
                    region: Some(region.clone()),
                    ej: None,
                },
            ),
            "Les revues sont tenues par les agents de l'ARS de la région.",
        ),
        Action::ListPlans => allow_if(
            list_filter(actor, Listing::Plans) != ScopeFilter::Nothing,
            "Les plans d'actions sont réservés aux agents de l'ARS et aux observateurs.",
        ),
        Action::ViewPlan { region, role } => allow_if(
            match (list_filter(actor, Listing::Plans), actor.role) {
                (ScopeFilter::All, _) => true,
                // A regional observer reads the plans it was given a role on only.
                (ScopeFilter::Region(r), Role::Observer) => r == *region && role.is_some(),
                (ScopeFilter::Region(r), _) => r == *region,
                _ => false,
            },
            "Ce plan d'actions n'appartient pas à votre périmètre.",
        ),
        Action::EditPlan { region, role } => allow_if(
            can_manage_plans(actor, region)
                || (*role == Some(crate::plan::PlanRole::Editor)
                    && actor.region.as_ref() == Some(region)
                    && crate::plan::may_join(actor.role)),
            "Ce plan d'actions est suivi par les administrateurs de l'ARS et les éditeurs désignés.",
        ),
        Action::ManagePlans(region) => allow_if(
            can_manage_plans(actor, region),
            "Les plans d'actions sont gérés par les administrateurs de l'ARS de la région.",
        ),
    }
}

/// The national administrator, or an ARS administrator of the region.
fn can_manage_plans(actor: &Actor, region: &RegionCode) -> bool {
    actor.role == Role::NationalAdmin
        || (actor.role == Role::ArsAdmin && actor.region.as_ref() == Some(region))
}

/// Whether the actor acts for the agency on a record of that scope: the national
/// administrator, or an administrator or referent of the record's region.
fn agency_of(actor: &Actor, scope: &Scope) -> bool {
    match actor.role {
        Role::NationalAdmin => true,
        Role::ArsAdmin | Role::ArsReferent => {
            actor.region.is_some() && scope.region == actor.region
        }
        _ => false,
    }
}

/// The region an actor's registry imports are limited to: `Some(None)` for everywhere,
/// `Some(Some(region))` for an ARS administrator, `None` when the actor may not import.
pub fn import_scope(actor: &Actor) -> Option<Option<RegionCode>> {
    match actor.role {
        Role::NationalAdmin => Some(None),
        Role::ArsAdmin => actor.region.clone().map(Some),
        _ => None,
    }
}

fn manage_user(actor: &Actor, target: &AccountTarget) -> Result<(), Denied> {
    if target.user_id == Some(actor.user_id) {
        return Err(Denied(
            "Vous ne pouvez pas administrer votre propre compte ; utilisez « Mon compte ».",
        ));
    }
    let in_scope = list_filter(actor, Listing::Users).allows(&target.scope);
    match actor.role {
        Role::NationalAdmin => Ok(()),
        Role::ArsAdmin => {
            allow_if(in_scope, "Ce compte n'appartient pas à votre région.")?;
            allow_if(
                target.role != Role::NationalAdmin,
                "Seul un administrateur national peut gérer un compte national.",
            )
        }
        Role::EstablishmentLeader => {
            allow_if(
                in_scope,
                "Ce compte n'appartient pas à votre entité juridique.",
            )?;
            allow_if(
                target.role == Role::EstablishmentContributor,
                "Un responsable d'établissement ne gère que les comptes de contributeurs.",
            )
        }
        Role::ArsReferent | Role::EstablishmentContributor | Role::Observer => Err(Denied(
            "La gestion des comptes est réservée aux administrateurs et aux responsables d'établissement.",
        )),
    }
}

fn allow_if(condition: bool, reason: &'static str) -> Result<(), Denied> {
    if condition {
        Ok(())
    } else {
        Err(Denied(reason))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn region(code: &str) -> Option<RegionCode> {
        Some(RegionCode::parse(code).expect("test region"))
    }

    fn ej(finess: &str) -> Option<FinessId> {
        Some(FinessId::parse(finess).expect("test finess"))
    }

    fn actor(role: Role) -> Actor {
        let (r, e) = match role.scope_kind() {
            crate::role::ScopeKind::National => (None, None),
            crate::role::ScopeKind::Region | crate::role::ScopeKind::RegionOrNational => {
                (region("76"), None)
            }
            crate::role::ScopeKind::LegalEntity => (region("76"), ej("340780477")),
        };
        Actor {
            user_id: 1,
            role,
            region: r,
            ej: e,
        }
    }

    fn contributor(region_code: &str, finess: &str) -> AccountTarget {
        AccountTarget {
            user_id: Some(99),
            role: Role::EstablishmentContributor,
            scope: Scope {
                region: region(region_code),
                ej: ej(finess),
            },
        }
    }

    #[test]
    fn everyone_may_see_home_and_manage_their_own_account() {
        for role in Role::ALL {
            assert!(authorize(&actor(role), &Action::ViewHome).is_ok());
            assert!(authorize(&actor(role), &Action::ManageOwnAccount).is_ok());
        }
    }

    #[test]
    fn user_management_matrix_by_role_for_own_and_foreign_scope() {
        let own = contributor("76", "340780477");
        let same_region_other_ej = contributor("76", "310781406");
        let foreign_region = contributor("84", "690781810");
        // (role, own EJ, other EJ of the same region, other region)
        let expected = [
            (Role::NationalAdmin, true, true, true),
            (Role::ArsAdmin, true, true, false),
            (Role::ArsReferent, false, false, false),
            (Role::EstablishmentLeader, true, false, false),
            (Role::EstablishmentContributor, false, false, false),
            (Role::Observer, false, false, false),
        ];
        for (role, a, b, c) in expected {
            let act = actor(role);
            for (target, allowed) in [(&own, a), (&same_region_other_ej, b), (&foreign_region, c)] {
                assert_eq!(
                    authorize(&act, &Action::ManageUser(target.clone())).is_ok(),
                    allowed,
                    "{role} managing {target:?}"
                );
            }
        }
    }

    #[test]
    fn nobody_administers_their_own_account() {
        let act = actor(Role::NationalAdmin);
        let target = AccountTarget {
            user_id: Some(act.user_id),
            role: Role::NationalAdmin,
            scope: Scope::default(),
        };
        assert!(authorize(&act, &Action::ManageUser(target)).is_err());
    }

    #[test]
    fn ars_admin_cannot_create_a_national_admin_nor_a_national_observer() {
        let act = actor(Role::ArsAdmin);
        let national_admin = AccountTarget {
            user_id: None,
            role: Role::NationalAdmin,
            scope: Scope::default(),
        };
        let national_observer = AccountTarget {
            user_id: None,
            role: Role::Observer,
            scope: Scope::default(),
        };
        let regional_observer = AccountTarget {
            user_id: None,
            role: Role::Observer,
            scope: Scope {
                region: region("76"),
                ej: None,
            },
        };
        assert!(authorize(&act, &Action::ManageUser(national_admin)).is_err());
        assert!(authorize(&act, &Action::ManageUser(national_observer)).is_err());
        assert!(authorize(&act, &Action::ManageUser(regional_observer)).is_ok());
    }

    #[test]
    fn establishment_leader_manages_only_contributors_of_their_entity() {
        let act = actor(Role::EstablishmentLeader);
        let other_leader = AccountTarget {
            role: Role::EstablishmentLeader,
            ..contributor("76", "340780477")
        };
        assert!(authorize(&act, &Action::ManageUser(other_leader.clone())).is_err());
        assert!(authorize(&act, &Action::ViewUser(other_leader)).is_ok());
    }

    #[test]
    fn list_filters_follow_the_scope_of_each_role() {
        assert_eq!(
            list_filter(&actor(Role::NationalAdmin), Listing::Users),
            ScopeFilter::All
        );
        assert_eq!(
            list_filter(&actor(Role::ArsAdmin), Listing::Audit),
            ScopeFilter::Region(RegionCode::parse("76").expect("code"))
        );
        assert_eq!(
            list_filter(&actor(Role::EstablishmentLeader), Listing::Users),
            ScopeFilter::LegalEntity(FinessId::parse("340780477").expect("finess"))
        );
        assert_eq!(
            list_filter(&actor(Role::EstablishmentLeader), Listing::Audit),
            ScopeFilter::Nothing
        );
        assert_eq!(
            list_filter(&actor(Role::ArsReferent), Listing::Users),
            ScopeFilter::Nothing
        );
        assert_eq!(
            list_filter(&actor(Role::Observer), Listing::Users),
            ScopeFilter::Nothing
        );
    }

    #[test]
    fn registry_visibility_by_role_for_own_sibling_and_foreign_entities() {
        let own = Scope {
            region: region("76"),
            ej: ej("340780477"),
        };
        let sibling = Scope {
            region: region("76"),
            ej: ej("310781406"),
        };
        let foreign = Scope {
            region: region("84"),
            ej: ej("690781810"),
        };
        let expected = [
            (Role::NationalAdmin, true, true, true),
            (Role::ArsAdmin, true, true, false),
            (Role::ArsReferent, true, true, false),
            (Role::EstablishmentLeader, true, false, false),
            (Role::EstablishmentContributor, true, false, false),
            (Role::Observer, true, true, false),
        ];
        for (role, a, b, c) in expected {
            let act = actor(role);
            assert!(authorize(&act, &Action::ViewRegistry).is_ok());
            for (scope, allowed) in [(&own, a), (&sibling, b), (&foreign, c)] {
                assert_eq!(
                    authorize(&act, &Action::ViewLegalEntity(scope.clone())).is_ok(),
                    allowed,
                    "{role} on {scope:?}"
                );
            }
        }
        let national_observer = Actor {
            region: None,
            ..actor(Role::Observer)
        };
        assert!(authorize(&national_observer, &Action::ViewLegalEntity(foreign)).is_ok());
    }

    #[test]
    fn only_administrators_of_the_region_edit_a_legal_entity() {
        let own = Scope {
            region: region("76"),
            ej: ej("340780477"),
        };
        let foreign = Scope {
            region: region("84"),
            ej: ej("690781810"),
        };
        for role in Role::ALL {
            let act = actor(role);
            let expected = matches!(role, Role::NationalAdmin | Role::ArsAdmin);
            assert_eq!(
                authorize(&act, &Action::EditLegalEntity(own.clone())).is_ok(),
                expected,
                "{role}"
            );
            assert_eq!(
                authorize(&act, &Action::EditLegalEntity(foreign.clone())).is_ok(),
                role == Role::NationalAdmin,
                "{role}"
            );
        }
    }

    #[test]
    fn a_ght_is_seen_in_its_region_nationally_and_by_its_members() {
        let own = GhtScope {
            region: RegionCode::parse("76").expect("region"),
            members: vec![FinessId::parse("340780477").expect("finess")],
        };
        let sibling = GhtScope {
            region: RegionCode::parse("76").expect("region"),
            members: vec![FinessId::parse("310781406").expect("finess")],
        };
        let foreign = GhtScope {
            region: RegionCode::parse("84").expect("region"),
            members: vec![FinessId::parse("690781810").expect("finess")],
        };
        // (role, GHT of the own EJ, other GHT of the region, GHT of another region)
        let expected = [
            (Role::NationalAdmin, true, true, true),
            (Role::ArsAdmin, true, true, false),
            (Role::ArsReferent, true, true, false),
            (Role::EstablishmentLeader, true, false, false),
            (Role::EstablishmentContributor, true, false, false),
            (Role::Observer, true, true, false),
        ];
        for (role, a, b, c) in expected {
            let act = actor(role);
            for (ght, allowed) in [(&own, a), (&sibling, b), (&foreign, c)] {
                assert_eq!(
                    authorize(&act, &Action::ViewGht(ght.clone())).is_ok(),
                    allowed,
                    "{role} on {ght:?}"
                );
            }
        }
        let national_observer = Actor {
            region: None,
            ..actor(Role::Observer)
        };
        assert!(authorize(&national_observer, &Action::ViewGht(foreign)).is_ok());
    }

    #[test]
    fn catalogues_are_read_in_their_region_drafts_by_the_agency_and_managed_by_its_administrators()
    {
        let occitanie = RegionCode::parse("76").expect("region");
        let ara = RegionCode::parse("84").expect("region");
        for role in Role::ALL {
            let act = actor(role);
            let view = |region: &RegionCode, draft| {
                authorize(
                    &act,
                    &Action::ViewCatalogue {
                        region: region.clone(),
                        draft,
                    },
                )
                .is_ok()
            };
            let national = matches!(role, Role::NationalAdmin)
                || (role == Role::Observer && act.region.is_none());
            assert!(
                view(&occitanie, false),
                "{role} reads a published catalogue of its region"
            );
            assert_eq!(view(&ara, false), national, "{role} on another region");
            assert_eq!(
                view(&occitanie, true),
                matches!(
                    role,
                    Role::NationalAdmin | Role::ArsAdmin | Role::ArsReferent
                ),
                "{role} on a draft"
            );
            assert_eq!(
                authorize(&act, &Action::ManageCatalogue(occitanie.clone())).is_ok(),
                matches!(role, Role::NationalAdmin | Role::ArsAdmin),
                "{role} manages"
            );
            assert_eq!(
                authorize(&act, &Action::ManageCatalogue(ara.clone())).is_ok(),
                role == Role::NationalAdmin,
                "{role} manages another region"
            );
            assert_eq!(
                authorize(&act, &Action::ImportCatalogues).is_ok(),
                matches!(role, Role::NationalAdmin | Role::ArsAdmin),
                "{role} imports"
            );
        }
    }

    #[test]
    fn region_settings_are_changed_by_the_administrators_of_the_region() {
        let occitanie = RegionCode::parse("76").expect("region");
        let ara = RegionCode::parse("84").expect("region");
        for role in Role::ALL {
            let act = actor(role);
            let own = authorize(&act, &Action::ManageRegionSettings(occitanie.clone())).is_ok();
            let other = authorize(&act, &Action::ManageRegionSettings(ara.clone())).is_ok();
            assert_eq!(
                own,
                matches!(role, Role::NationalAdmin | Role::ArsAdmin),
                "{role}"
            );
            assert_eq!(other, role == Role::NationalAdmin, "{role}");
        }
    }

    #[test]
    fn only_administrators_import_and_an_ars_only_for_its_region() {
        assert_eq!(import_scope(&actor(Role::NationalAdmin)), Some(None));
        assert_eq!(import_scope(&actor(Role::ArsAdmin)), Some(region("76")));
        for role in [
            Role::ArsReferent,
            Role::EstablishmentLeader,
            Role::EstablishmentContributor,
            Role::Observer,
        ] {
            assert_eq!(import_scope(&actor(role)), None);
            assert!(authorize(&actor(role), &Action::ImportRegistry).is_err());
        }
    }

    #[test]
    fn contracts_are_read_in_scope_prepared_by_the_agency_and_moved_by_each_side_in_turn() {
        use crate::contract::ContractState::*;
        let own = Scope {
            region: region("76"),
            ej: ej("340780477"),
        };
        let sibling = Scope {
            region: region("76"),
            ej: ej("300780038"),
        };
        let foreign = Scope {
            region: region("84"),
            ej: ej("690781810"),
        };
        let view = |role, scope: &Scope, signed| {
            authorize(
                &actor(role),
                &Action::ViewContract {
                    scope: scope.clone(),
                    signed,
                },
            )
            .is_ok()
        };
        for role in [Role::ArsAdmin, Role::ArsReferent, Role::EstablishmentLeader] {
            assert!(view(role, &own, false), "{role:?}");
            assert!(!view(role, &foreign, true), "{role:?}");
        }
        assert!(view(Role::EstablishmentContributor, &own, false));
        assert!(!view(Role::EstablishmentLeader, &sibling, true));
        assert!(view(Role::ArsReferent, &sibling, false));
        assert!(!view(Role::Observer, &own, false));
        assert!(view(Role::Observer, &own, true));
        assert!(view(Role::NationalAdmin, &foreign, false));

        let prepare = |role, scope: &Scope| {
            authorize(&actor(role), &Action::PrepareContract(scope.clone())).is_ok()
        };
        assert!(prepare(Role::ArsReferent, &own));
        assert!(prepare(Role::ArsAdmin, &sibling));
        assert!(!prepare(Role::ArsReferent, &foreign));
        assert!(!prepare(Role::EstablishmentLeader, &own));
        assert!(prepare(Role::NationalAdmin, &foreign));

        let comment = |role, scope: &Scope| {
            authorize(&actor(role), &Action::CommentContract(scope.clone())).is_ok()
        };
        assert!(comment(Role::ArsReferent, &own));
        assert!(comment(Role::EstablishmentContributor, &own));
        assert!(!comment(Role::EstablishmentLeader, &sibling));
        assert!(!comment(Role::Observer, &own));
        assert!(!comment(Role::ArsAdmin, &foreign));

        let mv = |role, scope: &Scope, from, to| {
            authorize(
                &actor(role),
                &Action::MoveContract {
                    scope: scope.clone(),
                    from,
                    to,
                },
            )
            .is_ok()
        };
        assert!(mv(Role::ArsReferent, &own, Preparation, Negotiation));
        assert!(mv(Role::ArsReferent, &own, ReadyToSign, Signed));
        assert!(!mv(Role::ArsReferent, &own, Preparation, Signed));
        assert!(mv(
            Role::EstablishmentLeader,
            &own,
            Negotiation,
            ReadyToSign
        ));
        assert!(!mv(Role::EstablishmentLeader, &own, ReadyToSign, Signed));
        assert!(!mv(
            Role::EstablishmentLeader,
            &sibling,
            Negotiation,
            ReadyToSign
        ));
        assert!(!mv(
            Role::EstablishmentContributor,
            &own,
            Negotiation,
            ReadyToSign
        ));
        assert!(!mv(Role::ArsReferent, &foreign, Preparation, Negotiation));
    }

    #[test]
    fn reviews_are_kept_by_the_agency_and_read_by_the_entities_they_cover() {
        let occitanie = RegionCode::parse("76").expect("region");
        let ara = RegionCode::parse("84").expect("region");
        let covered = |ejs: &[&str]| Action::ViewReview {
            region: occitanie.clone(),
            ejs: ejs
                .iter()
                .map(|e| FinessId::parse(e).expect("finess"))
                .collect(),
        };
        let can = |role, action: &Action| authorize(&actor(role), action).is_ok();
        // `actor` puts establishment users in 340780477, of the Occitanie.
        for role in Role::ALL {
            assert!(can(role, &covered(&["340780477", "300780038"])), "{role}");
        }
        assert!(!can(Role::EstablishmentLeader, &covered(&["300780038"])));
        assert!(!can(Role::EstablishmentContributor, &covered(&[])));
        assert!(can(Role::ArsReferent, &covered(&[])));
        let foreign = Action::ViewReview {
            region: ara.clone(),
            ejs: vec![],
        };
        assert!(!can(Role::ArsReferent, &foreign));
        assert!(can(Role::NationalAdmin, &foreign));
        let manage = |role, r: &RegionCode| can(role, &Action::ManageReviews(r.clone()));
        assert!(manage(Role::ArsAdmin, &occitanie));
        assert!(manage(Role::ArsReferent, &occitanie));
        assert!(!manage(Role::ArsReferent, &ara));
        assert!(manage(Role::NationalAdmin, &ara));
        for role in [
            Role::Observer,
            Role::EstablishmentLeader,
            Role::EstablishmentContributor,
        ] {
            assert!(!manage(role, &occitanie), "{role}");
        }
    }

    #[test]
    fn action_plans_are_read_by_the_agency_and_members_and_edited_by_editors() {
        use crate::plan::PlanRole;
        let occitanie = RegionCode::parse("76").expect("region");
        let paca = RegionCode::parse("93").expect("region");
        let can = |role, action: Action| authorize(&actor(role), &action).is_ok();
        let view = |region: &RegionCode, role| Action::ViewPlan {
            region: region.clone(),
            role,
        };
        let edit = |region: &RegionCode, role| Action::EditPlan {
            region: region.clone(),
            role,
        };
        for role in Role::ALL {
            let establishment = matches!(
                role,
                Role::EstablishmentLeader | Role::EstablishmentContributor
            );
            let admin = matches!(role, Role::NationalAdmin | Role::ArsAdmin);
            // Without a role on the plan: the agency reads, the regional observer does not.
            assert_eq!(
                can(role, view(&occitanie, None)),
                !establishment && role != Role::Observer,
                "{role}"
            );
            // Given a role: the observer reads too; establishments never.
            for on_plan in PlanRole::ALL {
                assert_eq!(
                    can(role, view(&occitanie, Some(on_plan))),
                    !establishment,
                    "{role} {on_plan:?}"
                );
            }
            assert_eq!(can(role, edit(&occitanie, None)), admin, "{role}");
            assert_eq!(
                can(role, edit(&occitanie, Some(PlanRole::Observer))),
                admin,
                "{role}"
            );
            assert_eq!(
                can(role, edit(&occitanie, Some(PlanRole::Editor))),
                admin || matches!(role, Role::Observer | Role::ArsReferent),
                "{role}"
            );
            assert_eq!(
                can(role, Action::ManagePlans(occitanie.clone())),
                admin,
                "{role}"
            );
        }
        assert!(!can(Role::ArsAdmin, view(&paca, None)));
        assert!(!can(Role::ArsAdmin, Action::ManagePlans(paca.clone())));
        // An editor role recorded on a plan of another region gives nothing.
        assert!(!can(Role::Observer, edit(&paca, Some(PlanRole::Editor))));
        assert!(!can(Role::ArsReferent, view(&paca, Some(PlanRole::Editor))));
        assert!(can(Role::NationalAdmin, Action::ManagePlans(paca)));
    }

    #[test]
    fn audit_is_for_administrators_only() {
        for role in Role::ALL {
            let allowed = matches!(role, Role::NationalAdmin | Role::ArsAdmin);
            assert_eq!(
                authorize(&actor(role), &Action::ViewAudit).is_ok(),
                allowed,
                "{role}"
            );
        }
    }

    #[test]
    fn campaigns_are_managed_by_region_admins_and_declarations_by_their_entity() {
        let occitanie = RegionCode::parse("76").expect("region");
        let ara = RegionCode::parse("84").expect("region");
        let own_ej = FinessId::parse("340780477").expect("finess");
        let other_ej = FinessId::parse("690781810").expect("finess");
        let actor = |role: Role| Actor {
            user_id: 1,
            role,
            region: Some(occitanie.clone()),
            ej: matches!(
                role,
                Role::EstablishmentLeader | Role::EstablishmentContributor
            )
            .then(|| own_ej.clone()),
        };
        let manage =
            |role| authorize(&actor(role), &Action::ManageCampaigns(occitanie.clone())).is_ok();
        assert!(manage(Role::ArsAdmin));
        assert!(!manage(Role::ArsReferent));
        assert!(
            authorize(
                &actor(Role::ArsAdmin),
                &Action::ManageCampaigns(ara.clone())
            )
            .is_err()
        );
        let scope = |ej: &FinessId| Scope {
            region: Some(occitanie.clone()),
            ej: Some(ej.clone()),
        };
        let declare = |role, ej: &FinessId, submit| {
            authorize(
                &actor(role),
                &Action::Declare {
                    scope: scope(ej),
                    submit,
                },
            )
            .is_ok()
        };
        assert!(declare(Role::EstablishmentContributor, &own_ej, false));
        assert!(
            !declare(Role::EstablishmentContributor, &own_ej, true),
            "contributors do not submit"
        );
        assert!(declare(Role::EstablishmentLeader, &own_ej, true));
        assert!(!declare(Role::EstablishmentLeader, &other_ej, false));
        assert!(!declare(Role::ArsReferent, &own_ej, false));
        let review =
            |role| authorize(&actor(role), &Action::ReviewDeclaration(scope(&own_ej))).is_ok();
        assert!(review(Role::ArsReferent) && review(Role::ArsAdmin));
        assert!(!review(Role::EstablishmentLeader) && !review(Role::Observer));
        assert_eq!(
            list_filter(
                &actor(Role::EstablishmentContributor),
                Listing::Declarations
            ),
            ScopeFilter::LegalEntity(own_ej.clone())
        );
        assert_eq!(
            list_filter(&actor(Role::ArsReferent), Listing::Declarations),
            ScopeFilter::Region(occitanie.clone())
        );
    }
}
