//! Services shared by the HTML pages and the JSON API: input parsing, the policy check and
//! the storage call, in one place so that both interfaces always behave alike.

use chrono::NaiveDate;
use cpom_domain::ScopeFilter;
use cpom_domain::catalogue::edit::{self, Edit, EditError, ItemKind};
use cpom_domain::catalogue::{Catalogue, CatalogueState, Decision, EntityFacts};
use cpom_domain::contract::{ContractState, Proposal, Warning};
use cpom_domain::policy::{AccountTarget, Listing, Scope, import_scope, list_filter};
use cpom_domain::registry::SizeBand;
use cpom_domain::territory::{Label, Period, parse_date, parse_optional_date};
use cpom_domain::{Action, DisplayName, Email, FinessId, PlainPassword, RegionCode, Role};
use cpom_store::LegalEntity;
use cpom_store::repo::catalogues::{CatalogueVersion, ImportOutcome, NewGeneration};
use cpom_store::repo::contracts::{Contract, ContractFilter, NewContract};
use cpom_store::repo::imports::{ImportFile, ImportRun};
use cpom_store::repo::region_settings::RegionSettings;
use cpom_store::repo::registry::{
    ImportKind, ImportReport, LegalEntityDetail, RegistryFilter, SiteDetail,
};
use cpom_store::repo::territories::{
    AuthorisationRecord, EntityLabel, EntityTerritory, Ght, GhtMember, GhtSummary,
};
use cpom_store::{ApiToken, AuditEvent, AuditFilter, NewUser, Page, User, UserFilter};
use rand::Rng;

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::{AppError, FieldError};

/// Largest page size accepted by listings.
pub const MAX_PER_PAGE: u64 = 200;
/// Default page size.
pub const DEFAULT_PER_PAGE: u64 = 50;

/// Normalises paging parameters.
pub fn paging(page: Option<u64>, per_page: Option<u64>) -> (u64, u64) {
    (
        page.unwrap_or(1).max(1),
        per_page.unwrap_or(DEFAULT_PER_PAGE).clamp(1, MAX_PER_PAGE),
    )
}

/// A temporary password: 16 characters from an alphabet without look-alikes, in groups of
/// four so that it can be read over the phone.
pub fn temporary_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    let chars: Vec<char> = (0..16)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect();
    chars
        .chunks(4)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-")
}

/// Raw input of the account creation form / API body.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct CreateUserInput {
    /// Sign-in e-mail.
    #[serde(default)]
    pub email: String,
    /// Name shown in the interface.
    #[serde(default)]
    pub display_name: String,
    /// Role identifier (`ars-referent`…).
    #[serde(default)]
    pub role: String,
    /// Region code (ARS roles, regional observers).
    #[serde(default)]
    pub region: Option<String>,
    /// FINESS EJ (establishment roles).
    #[serde(default)]
    pub ej: Option<String>,
    /// Initial password; when absent a temporary one is generated and returned once.
    #[serde(default)]
    pub password: Option<String>,
}

pub(crate) fn blank_to_none(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// Collects field errors while parsing several inputs.
#[derive(Default)]
struct Errors(Vec<FieldError>);

impl Errors {
    fn take<T>(&mut self, r: Result<T, cpom_domain::DomainError>) -> Option<T> {
        r.map_err(|e| {
            self.0.push(FieldError {
                field: e.field.into(),
                message: e.message,
            })
        })
        .ok()
    }
}

/// Creates an account in the actor's scope. Returns the account and, if no password was
/// given, the generated temporary password (to show once).
pub async fn create_user(
    state: &AppState,
    cu: &CurrentUser,
    input: &CreateUserInput,
) -> Result<(User, Option<String>), AppError> {
    cu.authorize(&Action::ListUsers)?;
    let mut errors = Errors::default();
    let email = errors.take(Email::parse(&input.email));
    let name = errors.take(DisplayName::parse(&input.display_name));
    let role = errors.take(Role::parse(&input.role));
    let region = blank_to_none(&input.region).and_then(|r| errors.take(RegionCode::parse(r)));
    let ej = blank_to_none(&input.ej).and_then(|e| errors.take(FinessId::parse(e)));
    let generated = blank_to_none(&input.password)
        .is_none()
        .then(temporary_password);
    let password = errors.take(PlainPassword::parse(
        generated
            .as_deref()
            .or(input.password.as_deref())
            .unwrap_or_default(),
    ));
    let (Some(email), Some(name), Some(role), Some(password)) = (email, name, role, password)
    else {
        return Err(AppError::Validation(errors.0));
    };
    if !errors.0.is_empty() {
        return Err(AppError::Validation(errors.0));
    }
    // Establishment leaders create contributors of their own legal entity by default.
    let (region, ej) = match (cu.user.role, ej) {
        (Role::EstablishmentLeader, None) => (None, cu.user.ej.clone()),
        (_, ej) => (region, ej),
    };
    let scope = state.store.resolve_scope(role, region, ej).await?;
    cu.authorize(&Action::ManageUser(AccountTarget {
        user_id: None,
        role,
        scope: scope.clone(),
    }))?;
    let new = NewUser {
        email,
        display_name: name,
        role,
        region: scope.region,
        ej: scope.ej,
        password,
    };
    let user = state.store.create_user(&cu.user.audit_actor(), new).await?;
    Ok((user, generated))
}

/// Accounts of the actor's scope.
pub async fn list_users(
    state: &AppState,
    cu: &CurrentUser,
    filter: &UserFilter,
    page: u64,
    per_page: u64,
) -> Result<Page<User>, AppError> {
    cu.authorize(&Action::ListUsers)?;
    Ok(state
        .store
        .list_users(
            &list_filter(&cu.actor(), Listing::Users),
            filter,
            page,
            per_page,
        )
        .await?)
}

/// One account of the actor's scope; accounts outside it are reported as not found, so
/// that their existence is not revealed.
pub async fn get_user(state: &AppState, cu: &CurrentUser, id: i64) -> Result<User, AppError> {
    cu.authorize(&Action::ListUsers)?;
    let user = state.store.get_user(id).await?;
    if cu.authorize(&Action::ViewUser(target(&user))).is_err() {
        return Err(AppError::NotFound);
    }
    Ok(user)
}

fn target(user: &User) -> AccountTarget {
    AccountTarget {
        user_id: Some(user.id),
        role: user.role,
        scope: user.scope(),
    }
}

/// Disables or re-enables an account read at `version`.
pub async fn set_user_active(
    state: &AppState,
    cu: &CurrentUser,
    id: i64,
    version: i64,
    active: bool,
) -> Result<User, AppError> {
    let user = get_user(state, cu, id).await?;
    cu.authorize(&Action::ManageUser(target(&user)))?;
    Ok(state
        .store
        .set_user_active(&cu.user.audit_actor(), id, version, active)
        .await?)
}

/// Gives an account read at `version` a new temporary password; returns it (shown once).
pub async fn reset_user_password(
    state: &AppState,
    cu: &CurrentUser,
    id: i64,
    version: i64,
) -> Result<(User, String), AppError> {
    let user = get_user(state, cu, id).await?;
    cu.authorize(&Action::ManageUser(target(&user)))?;
    let temp = temporary_password();
    let password = PlainPassword::parse(&temp)?;
    let user = state
        .store
        .set_user_password(&cu.user.audit_actor(), id, version, password)
        .await?;
    Ok((user, temp))
}

/// Raw input of the password change form / API body.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct ChangePasswordInput {
    /// Current password.
    #[serde(default)]
    pub current_password: String,
    /// New password (12 characters or more).
    #[serde(default)]
    pub new_password: String,
    /// New password again.
    #[serde(default)]
    pub confirmation: String,
}

/// Changes the actor's own password after checking the current one.
pub async fn change_own_password(
    state: &AppState,
    cu: &CurrentUser,
    input: &ChangePasswordInput,
) -> Result<User, AppError> {
    cu.authorize(&Action::ManageOwnAccount)?;
    if !state
        .store
        .check_password(cu.user.id, &input.current_password)
        .await?
    {
        return Err(AppError::field(
            "current_password",
            "le mot de passe actuel est incorrect",
        ));
    }
    let new = PlainPassword::parse(&input.new_password)
        .map_err(|e| AppError::field("new_password", e.message))?;
    if input.new_password != input.confirmation {
        return Err(AppError::field(
            "confirmation",
            "la confirmation ne correspond pas au nouveau mot de passe",
        ));
    }
    let me = state.store.get_user(cu.user.id).await?;
    Ok(state
        .store
        .set_user_password(&cu.user.audit_actor(), me.id, me.version, new)
        .await?)
}

/// The actor's API tokens.
pub async fn list_tokens(state: &AppState, cu: &CurrentUser) -> Result<Vec<ApiToken>, AppError> {
    cu.authorize(&Action::ManageOwnAccount)?;
    Ok(state.store.list_tokens(cu.user.id).await?)
}

/// Creates an API token for the actor; returns it with its secret (shown once).
pub async fn create_token(
    state: &AppState,
    cu: &CurrentUser,
    name: &str,
) -> Result<(ApiToken, String), AppError> {
    cu.authorize(&Action::ManageOwnAccount)?;
    Ok(state
        .store
        .create_token(&cu.user.audit_actor(), &cu.user, name)
        .await?)
}

/// Revokes one of the actor's tokens.
pub async fn revoke_token(
    state: &AppState,
    cu: &CurrentUser,
    id: i64,
) -> Result<ApiToken, AppError> {
    cu.authorize(&Action::ManageOwnAccount)?;
    Ok(state
        .store
        .revoke_token(&cu.user.audit_actor(), &cu.user, id)
        .await?)
}

/// Audit rows of the actor's scope.
pub async fn list_audit(
    state: &AppState,
    cu: &CurrentUser,
    filter: &AuditFilter,
    page: u64,
    per_page: u64,
) -> Result<Page<AuditEvent>, AppError> {
    cu.authorize(&Action::ViewAudit)?;
    Ok(state
        .store
        .list_audit(
            &list_filter(&cu.actor(), Listing::Audit),
            filter,
            page,
            per_page,
        )
        .await?)
}

/// Kinds of audit rows that make the history of a legal entity in the registry.
pub const REGISTRY_HISTORY: [&str; 7] = [
    "legal_entity",
    "site",
    "site_capacity",
    "import_run",
    "authorisation",
    "entity_label",
    "ght_membership",
];

fn entity_scope(e: &LegalEntity) -> Scope {
    Scope {
        region: Some(e.region.clone()),
        ej: Some(e.finess.clone()),
    }
}

/// Searches the registry within the actor's scope.
pub async fn search_registry(
    state: &AppState,
    cu: &CurrentUser,
    filter: &RegistryFilter,
    page: u64,
    per_page: u64,
) -> Result<cpom_store::repo::search_index::RegistrySearch, AppError> {
    cu.authorize(&Action::ViewRegistry)?;
    Ok(state
        .store
        .search_legal_entities_banded(
            &list_filter(&cu.actor(), Listing::Registry),
            filter,
            page,
            per_page,
        )
        .await?)
}

/// Parses a FINESS number of a path; a malformed one is simply not found.
fn path_finess(raw: &str) -> Result<FinessId, AppError> {
    FinessId::parse(raw).map_err(|_| AppError::NotFound)
}

/// One legal entity with its sites and band explanation; entities outside the actor's
/// scope are reported as not found.
pub async fn legal_entity(
    state: &AppState,
    cu: &CurrentUser,
    raw: &str,
) -> Result<LegalEntityDetail, AppError> {
    cu.authorize(&Action::ViewRegistry)?;
    let detail = state.store.legal_entity_detail(&path_finess(raw)?).await?;
    if cu
        .authorize(&Action::ViewLegalEntity(entity_scope(&detail.entity)))
        .is_err()
    {
        return Err(AppError::NotFound);
    }
    Ok(detail)
}

/// The registry history of a legal entity (newest first).
pub async fn legal_entity_history(
    state: &AppState,
    entity: &LegalEntity,
    page: u64,
    per_page: u64,
) -> Result<Page<AuditEvent>, AppError> {
    let filter = AuditFilter {
        entity_types: REGISTRY_HISTORY.map(String::from).to_vec(),
        ..AuditFilter::default()
    };
    Ok(state
        .store
        .list_audit(
            &ScopeFilter::LegalEntity(entity.finess.clone()),
            &filter,
            page,
            per_page,
        )
        .await?)
}

/// One site; sites of legal entities outside the actor's scope are not found.
pub async fn site(state: &AppState, cu: &CurrentUser, raw: &str) -> Result<SiteDetail, AppError> {
    cu.authorize(&Action::ViewRegistry)?;
    let detail = state.store.site_detail(&path_finess(raw)?).await?;
    if cu
        .authorize(&Action::ViewLegalEntity(entity_scope(&detail.entity)))
        .is_err()
    {
        return Err(AppError::NotFound);
    }
    Ok(detail)
}

/// Sets or removes the band override of a legal entity read at `version`.
pub async fn set_band_override(
    state: &AppState,
    cu: &CurrentUser,
    raw: &str,
    band: Option<&str>,
    reason: Option<&str>,
    version: i64,
) -> Result<LegalEntity, AppError> {
    let detail = legal_entity(state, cu, raw).await?;
    cu.authorize(&Action::EditLegalEntity(entity_scope(&detail.entity)))?;
    let band = match band.map(str::trim).filter(|b| !b.is_empty()) {
        None => None,
        Some(b) => Some(SizeBand::parse(b).ok_or_else(|| {
            AppError::field(
                "band",
                format!("« {b} » n'est pas une tranche (lt100, 100to499, ge500)"),
            )
        })?),
    };
    Ok(state
        .store
        .set_band_override(
            &cu.user.audit_actor(),
            &detail.entity.finess,
            band,
            reason,
            version,
        )
        .await?)
}

/// The region an administrator's imports are limited to (`None`: every region).
fn import_region(cu: &CurrentUser) -> Result<Option<RegionCode>, AppError> {
    cu.authorize(&Action::ImportRegistry)?;
    import_scope(&cu.actor()).ok_or_else(|| {
        AppError::Forbidden("Les imports du registre sont réservés aux administrateurs.".into())
    })
}

/// Parses the kind of a registry import.
pub fn import_kind(raw: &str) -> Result<ImportKind, AppError> {
    ImportKind::parse(raw.trim()).ok_or_else(|| {
        AppError::field(
            "kind",
            "choisissez le type de fichier (FINESS, SAE identification, SAE capacités, autorisations ou GHT)",
        )
    })
}

/// Previews (`apply` false) or applies a registry file within the administrator's region;
/// when applying a previewed file, `expected_checksum` is the checksum of the preview.
pub async fn import_registry(
    state: &AppState,
    cu: &CurrentUser,
    kind: ImportKind,
    path: &std::path::Path,
    file_name: &str,
    apply: bool,
    expected_checksum: Option<&str>,
) -> Result<ImportReport, AppError> {
    let region = import_region(cu)?;
    Ok(state
        .store
        .import_path(
            &cu.user.audit_actor(),
            region.as_ref(),
            &ImportFile {
                kind,
                path,
                file_name,
                expected_checksum,
            },
            apply,
        )
        .await?)
}

/// The import history an administrator may read.
pub async fn list_imports(
    state: &AppState,
    cu: &CurrentUser,
    page: u64,
    per_page: u64,
) -> Result<Page<ImportRun>, AppError> {
    let region = import_region(cu)?;
    Ok(state
        .store
        .list_import_runs(region.as_ref(), page, per_page)
        .await?)
}

/// The region a settings request is about: the one asked for, else the actor's own, else the
/// first region (national administrators).
pub fn settings_region(cu: &CurrentUser, raw: Option<&str>) -> Result<RegionCode, AppError> {
    match raw.map(str::trim).filter(|r| !r.is_empty()) {
        Some(r) => RegionCode::parse(r)
            .map_err(|_| AppError::field("region", format!("« {r} » n'est pas un code de région"))),
        None => Ok(match &cu.user.region {
            Some(r) => r.clone(),
            None => RegionCode::parse(cpom_domain::region::REGIONS[0].code)
                .map_err(|e| AppError::Internal(e.message))?,
        }),
    }
}

/// The band settings of a region (administrators of the region).
pub async fn region_settings(
    state: &AppState,
    cu: &CurrentUser,
    raw_region: Option<&str>,
) -> Result<RegionSettings, AppError> {
    let region = settings_region(cu, raw_region)?;
    cu.authorize(&Action::ManageRegionSettings(region.clone()))?;
    Ok(state.store.region_settings(&region).await?)
}

/// Saves the band settings of a region read at `version` and recomputes its bands.
pub async fn set_region_settings(
    state: &AppState,
    cu: &CurrentUser,
    raw_region: Option<&str>,
    bands: cpom_domain::registry::BandSettings,
    version: i64,
) -> Result<RegionSettings, AppError> {
    let region = settings_region(cu, raw_region)?;
    cu.authorize(&Action::ManageRegionSettings(region.clone()))?;
    Ok(state
        .store
        .set_region_settings(&cu.user.audit_actor(), &region, &bands, version)
        .await?)
}

// ---------------------------------------------------------------------------------------
// Territories: authorisations, labels, GHT.

/// Today in metropolitan France (validity periods are days of the French calendar).
pub fn today() -> NaiveDate {
    let now = chrono::Utc::now();
    (now.naive_utc() + crate::view::paris_offset(now)).date()
}

/// Labels, authorisations and GHT memberships of a legal entity the caller has obtained
/// through [`legal_entity`] (which checked its visibility).
pub async fn entity_territory(
    state: &AppState,
    entity: &LegalEntity,
) -> Result<EntityTerritory, AppError> {
    Ok(state.store.entity_territory(&entity.finess).await?)
}

/// Authorisations of a site the caller has obtained through [`site`].
pub async fn site_authorisations(
    state: &AppState,
    detail: &SiteDetail,
) -> Result<Vec<AuthorisationRecord>, AppError> {
    Ok(state.store.site_authorisations(&detail.site.finess).await?)
}

/// GHT of the actor's scope, with members and support in force today.
pub async fn list_ghts(state: &AppState, cu: &CurrentUser) -> Result<Vec<GhtSummary>, AppError> {
    cu.authorize(&Action::ViewRegistry)?;
    Ok(state
        .store
        .list_ghts(&list_filter(&cu.actor(), Listing::Registry), today())
        .await?)
}

/// One GHT; GHT outside the actor's scope are reported as not found.
pub async fn ght(state: &AppState, cu: &CurrentUser, code: &str) -> Result<Ght, AppError> {
    cu.authorize(&Action::ViewRegistry)?;
    let g = state.store.ght_detail(code).await?;
    if cu.authorize(&Action::ViewGht(g.scope())).is_err() {
        return Err(AppError::NotFound);
    }
    Ok(g)
}

fn ght_edit_scope(g: &Ght) -> Scope {
    Scope {
        region: Some(g.region.clone()),
        ej: None,
    }
}

/// Whether the actor may edit a GHT (create members, end memberships).
pub fn can_edit_ght(cu: &CurrentUser, g: &Ght) -> bool {
    cu.authorize(&Action::EditLegalEntity(ght_edit_scope(g)))
        .is_ok()
}

/// The regions in which the actor may create a GHT (none for a read-only account).
pub fn ght_regions(cu: &CurrentUser) -> Vec<RegionCode> {
    cpom_domain::region::REGIONS
        .iter()
        .filter_map(|r| RegionCode::parse(r.code).ok())
        .filter(|r| {
            cu.authorize(&Action::EditLegalEntity(Scope {
                region: Some(r.clone()),
                ej: None,
            }))
            .is_ok()
        })
        .collect()
}

/// Raw input of the creation of a GHT.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct CreateGhtInput {
    /// Code (2 to 30 letters, digits, `-` or `_`).
    #[serde(default)]
    pub code: String,
    /// Name.
    #[serde(default)]
    pub name: String,
    /// Region code; by default the actor's region.
    #[serde(default)]
    pub region: Option<String>,
}

/// Creates a GHT in a region the actor administers.
pub async fn create_ght(
    state: &AppState,
    cu: &CurrentUser,
    input: &CreateGhtInput,
) -> Result<Ght, AppError> {
    cu.authorize(&Action::ViewRegistry)?;
    let region = match blank_to_none(&input.region) {
        Some(r) => RegionCode::parse(r).map_err(|_| {
            AppError::field(
                "region",
                format!("région : « {r} » n'est pas un code de région"),
            )
        })?,
        None => cu
            .user
            .region
            .clone()
            .ok_or_else(|| AppError::field("region", "région : choisissez la région du GHT"))?,
    };
    cu.authorize(&Action::EditLegalEntity(Scope {
        region: Some(region.clone()),
        ej: None,
    }))?;
    Ok(state
        .store
        .create_ght(&cu.user.audit_actor(), &input.code, &input.name, &region)
        .await?)
}

/// Raw input of a new membership of a GHT.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct GhtMemberInput {
    /// FINESS EJ of the member.
    #[serde(default)]
    pub ej: String,
    /// Whether the member is the support establishment.
    #[serde(default)]
    pub support: bool,
    /// First day of membership (`jj/mm/aaaa` or `aaaa-mm-jj`).
    #[serde(default)]
    pub valid_from: String,
    /// Last day of membership, if known.
    #[serde(default)]
    pub valid_to: Option<String>,
    /// Version of the GHT read.
    pub version: i64,
}

/// Raw input of the end of a membership or of a label.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct EndInput {
    /// Last day (`jj/mm/aaaa` or `aaaa-mm-jj`).
    #[serde(default)]
    pub valid_to: String,
    /// Version read: of the GHT for a membership, of the label for a label.
    pub version: i64,
}

/// A period typed in a form: start required, end optional; errors name their field.
fn typed_period(from: &str, to: Option<&str>) -> Result<Period, AppError> {
    let mut errors = Errors::default();
    let from = errors.take(parse_date("valid_from", "date de début", from));
    let to = errors.take(parse_optional_date("valid_to", "date de fin", to));
    match (from, to) {
        (Some(from), Some(to)) if errors.0.is_empty() => Ok(Period::new(from, to)?),
        _ => Err(AppError::Validation(errors.0)),
    }
}

/// Adds a member to a GHT read at `input.version` (administrators of its region).
pub async fn add_ght_member(
    state: &AppState,
    cu: &CurrentUser,
    code: &str,
    input: &GhtMemberInput,
) -> Result<GhtMember, AppError> {
    let g = ght(state, cu, code).await?;
    cu.authorize(&Action::EditLegalEntity(ght_edit_scope(&g)))?;
    let ej = FinessId::parse(&input.ej).map_err(|e| {
        AppError::field(
            "ej",
            format!("entité juridique (FINESS EJ) : {}", e.message),
        )
    })?;
    let period = typed_period(&input.valid_from, input.valid_to.as_deref())?;
    Ok(state
        .store
        .add_ght_member(
            &cu.user.audit_actor(),
            &g.code,
            &ej,
            input.support,
            period,
            input.version,
        )
        .await?)
}

/// Ends a membership of a GHT read at `input.version`.
pub async fn end_ght_member(
    state: &AppState,
    cu: &CurrentUser,
    code: &str,
    id: i64,
    input: &EndInput,
) -> Result<GhtMember, AppError> {
    let g = ght(state, cu, code).await?;
    cu.authorize(&Action::EditLegalEntity(ght_edit_scope(&g)))?;
    let valid_to = parse_date("valid_to", "date de fin", &input.valid_to)?;
    Ok(state
        .store
        .end_ght_member(&cu.user.audit_actor(), &g.code, id, valid_to, input.version)
        .await?)
}

/// Raw input of a new label of a legal entity.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct LabelInput {
    /// Label identifier (`chu`, `ght_support`, `pass`…).
    #[serde(default)]
    pub label: String,
    /// First day (`jj/mm/aaaa` or `aaaa-mm-jj`).
    #[serde(default)]
    pub valid_from: String,
    /// Last day, if known.
    #[serde(default)]
    pub valid_to: Option<String>,
    /// Note (decision, reference), 500 characters at most.
    #[serde(default)]
    pub note: Option<String>,
}

/// Gives a legal entity a label (administrators of its region).
pub async fn add_label(
    state: &AppState,
    cu: &CurrentUser,
    raw: &str,
    input: &LabelInput,
) -> Result<EntityLabel, AppError> {
    let detail = legal_entity(state, cu, raw).await?;
    cu.authorize(&Action::EditLegalEntity(entity_scope(&detail.entity)))?;
    let label = Label::parse(&input.label)?;
    let period = typed_period(&input.valid_from, input.valid_to.as_deref())?;
    Ok(state
        .store
        .add_label(
            &cu.user.audit_actor(),
            &detail.entity.finess,
            label,
            period,
            input.note.as_deref(),
        )
        .await?)
}

/// Ends a label of a legal entity read at `input.version`.
pub async fn end_label(
    state: &AppState,
    cu: &CurrentUser,
    raw: &str,
    id: i64,
    input: &EndInput,
) -> Result<EntityLabel, AppError> {
    let detail = legal_entity(state, cu, raw).await?;
    cu.authorize(&Action::EditLegalEntity(entity_scope(&detail.entity)))?;
    let valid_to = parse_date("valid_to", "date de fin", &input.valid_to)?;
    Ok(state
        .store
        .end_label(
            &cu.user.audit_actor(),
            &detail.entity.finess,
            id,
            valid_to,
            input.version,
        )
        .await?)
}

// ---------------------------------------------------------------------------------------
// Catalogues (référentiels).

/// Whether the actor sees the drafts of a region's catalogues.
fn sees_drafts(cu: &CurrentUser, region: &RegionCode) -> bool {
    cu.authorize(&Action::ViewCatalogue {
        region: region.clone(),
        draft: true,
    })
    .is_ok()
}

/// The catalogue versions the actor may see (drafts for the agency's users only).
pub async fn list_catalogues(
    state: &AppState,
    cu: &CurrentUser,
    page: u64,
    per_page: u64,
) -> Result<Page<CatalogueVersion>, AppError> {
    let scope = list_filter(&cu.actor(), Listing::Catalogues);
    let with_drafts = matches!(
        cu.user.role,
        Role::NationalAdmin | Role::ArsAdmin | Role::ArsReferent
    );
    Ok(state
        .store
        .list_catalogues(&scope, with_drafts, page, per_page)
        .await?)
}

/// One catalogue version with its content: `version`, else the published one, else the
/// newest draft the actor may see. Catalogues outside the actor's scope are not found.
pub async fn catalogue(
    state: &AppState,
    cu: &CurrentUser,
    slug: &str,
    version: Option<i32>,
) -> Result<(CatalogueVersion, Catalogue, Vec<CatalogueVersion>), AppError> {
    let region = state.store.catalogue_region(slug).await?;
    cu.authorize(&Action::ViewCatalogue {
        region: region.clone(),
        draft: false,
    })
    .map_err(|_| AppError::NotFound)?;
    let drafts = sees_drafts(cu, &region);
    let (meta, c) = state.store.catalogue(slug, version, drafts).await?;
    let versions = state
        .store
        .catalogue_versions(slug)
        .await?
        .into_iter()
        .filter(|v| drafts || v.state != CatalogueState::Draft)
        .collect();
    Ok((meta, c, versions))
}

/// Whether each model action of a catalogue applies to a legal entity on a date, and why:
/// the catalogue's rules evaluated on the entity's status, band in force, labels,
/// authorisations and GHT membership valid that day.
pub struct ApplicabilityReport {
    /// The catalogue version.
    pub meta: CatalogueVersion,
    /// The legal entity.
    pub entity: LegalEntity,
    /// The day the registry facts are taken on.
    pub on: NaiveDate,
    /// Each action with its decision, in print order.
    pub actions: Vec<(cpom_domain::catalogue::ModelAction, Decision)>,
}

/// See [`ApplicabilityReport`]. Both the catalogue and the legal entity must be in the
/// actor's scope.
pub async fn applicability(
    state: &AppState,
    cu: &CurrentUser,
    slug: &str,
    version: Option<i32>,
    finess: &str,
    on: NaiveDate,
) -> Result<ApplicabilityReport, AppError> {
    let (meta, c, _) = catalogue(state, cu, slug, version).await?;
    let detail = legal_entity(state, cu, finess).await?;
    let facts = entity_facts(state, &detail.entity, on).await?;
    let actions = c
        .actions
        .iter()
        .map(|a| {
            let decision = match &a.applies_if {
                Some(rule) => rule.decide(&facts),
                None => Decision {
                    applies: true,
                    reason: "aucune condition : toutes les entités".into(),
                },
            };
            (a.clone(), decision)
        })
        .collect();
    Ok(ApplicabilityReport {
        meta,
        entity: detail.entity,
        on,
        actions,
    })
}

/// What the applicability rules look at, for a legal entity on a day: its status, band in
/// force, and the labels, authorisations and GHT memberships valid that day.
pub async fn entity_facts(
    state: &AppState,
    entity: &LegalEntity,
    on: NaiveDate,
) -> Result<EntityFacts, AppError> {
    let t = state.store.entity_territory(&entity.finess).await?;
    Ok(EntityFacts {
        finess: Some(entity.finess.clone()),
        status: entity.status,
        band: entity.size_band(),
        labels: t
            .labels
            .iter()
            .filter(|l| l.period.contains(on))
            .map(|l| l.label)
            .collect(),
        authorisations: t
            .authorisations
            .iter()
            .filter(|a| a.period.contains(on))
            .map(|a| (a.activity_code.clone(), a.activity_label.clone()))
            .collect(),
        in_ght: t.memberships.iter().any(|m| m.period.contains(on)),
    })
}

/// Largest catalogue file accepted (the shipped ones are under 300 kB).
pub const MAX_CATALOGUE_FILE: u64 = 10 * 1024 * 1024;

/// Reads a catalogue file, TOML text or XLSX workbook (told apart by content: a workbook is
/// a ZIP archive), and imports it as a draft (published at once with `publish`). Every
/// problem of the file is returned, located, as a validation error of the field `file`.
pub async fn import_catalogue_file(
    state: &AppState,
    cu: &CurrentUser,
    bytes: &[u8],
    file_name: &str,
    publish: bool,
) -> Result<(ImportOutcome, CatalogueVersion), AppError> {
    cu.authorize(&Action::ImportCatalogues)?;
    let parsed = if bytes.starts_with(b"PK\x03\x04") {
        cpom_import::catalogue_xlsx::read_xlsx(bytes)
    } else {
        match std::str::from_utf8(bytes) {
            Ok(text) => cpom_import::catalogue::read_toml(text),
            Err(e) => {
                return Err(AppError::field(
                    "file",
                    format!(
                        "{file_name} : ni un classeur XLSX ni un texte UTF-8 (octet {} invalide)",
                        e.valid_up_to() + 1
                    ),
                ));
            }
        }
    };
    let c = parsed.map_err(|errors| {
        AppError::Validation(
            errors
                .iter()
                .map(|e| FieldError {
                    field: "file".into(),
                    message: format!("{file_name} : {e}"),
                })
                .collect(),
        )
    })?;
    cu.authorize(&Action::ManageCatalogue(c.region.clone()))?;
    Ok(state
        .store
        .import_catalogue(&cu.user.audit_actor(), &c, publish)
        .await?)
}

/// A catalogue version to publish, archive, copy or edit, as read by the caller.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema, utoipa::IntoParams)]
pub struct VersionInput {
    /// Version number.
    pub version: Option<i32>,
    /// `row_version` of that version when it was read.
    pub row_version: Option<i64>,
}

/// Publishes (or, with `archive`, archives) a catalogue version: the catalogue must be
/// visible to the actor (else not found) and theirs to manage (else forbidden).
pub async fn change_catalogue_state(
    state: &AppState,
    cu: &CurrentUser,
    slug: &str,
    input: &VersionInput,
    archive: bool,
) -> Result<CatalogueVersion, AppError> {
    managed_catalogue_region(state, cu, slug).await?;
    let (version, row_version) = read_version(input)?;
    let actor = cu.user.audit_actor();
    Ok(if archive {
        state
            .store
            .archive_catalogue(&actor, slug, version, row_version)
            .await?
    } else {
        state
            .store
            .publish_catalogue(&actor, slug, version, row_version)
            .await?
    })
}

/// A catalogue the actor may see (else not found) and manage (else forbidden): the check
/// every change to a catalogue starts with.
pub async fn managed_catalogue_region(
    state: &AppState,
    cu: &CurrentUser,
    slug: &str,
) -> Result<RegionCode, AppError> {
    let region = state.store.catalogue_region(slug).await?;
    cu.authorize(&Action::ViewCatalogue {
        region: region.clone(),
        draft: false,
    })
    .map_err(|_| AppError::NotFound)?;
    cu.authorize(&Action::ManageCatalogue(region.clone()))?;
    Ok(region)
}

fn read_version(input: &VersionInput) -> Result<(i32, i64), AppError> {
    match (input.version, input.row_version) {
        (Some(v), Some(r)) => Ok((v, r)),
        _ => Err(AppError::field(
            "version",
            "version du référentiel manquante : rechargez la page",
        )),
    }
}

/// The editor's problems as field errors (`targets[2].rule_text`…).
pub fn edit_error(e: EditError) -> AppError {
    match e {
        EditError::NotFound => AppError::NotFound,
        EditError::Invalid(issues) => AppError::Validation(
            issues
                .into_iter()
                .map(|i| FieldError {
                    field: i.field,
                    message: i.message,
                })
                .collect(),
        ),
    }
}

/// One item of a catalogue as JSON (the editor's forms, the audit trail), if present.
pub fn item_value(c: &Catalogue, kind: ItemKind, code: &str) -> Option<serde_json::Value> {
    fn find<T: serde::Serialize>(
        list: &[T],
        code: &str,
        f: fn(&T) -> &str,
    ) -> Option<serde_json::Value> {
        list.iter()
            .find(|x| f(x) == code)
            .and_then(|x| serde_json::to_value(x).ok())
    }
    match kind {
        ItemKind::Orientation => find(&c.orientations, code, |x| &x.code),
        ItemKind::Objective => find(&c.objectives, code, |x| &x.code),
        ItemKind::Action => find(&c.actions, code, |x| &x.code),
        ItemKind::Indicator => find(&c.indicators, code, |x| &x.code),
        ItemKind::Question => find(&c.questions, code, |x| &x.code),
    }
}

/// Reads an item of a catalogue from its JSON form (the shape of the catalogue document:
/// targets with `rule_text`), every problem named by its field.
pub fn read_item(kind: ItemKind, value: serde_json::Value) -> Result<edit::Item, AppError> {
    use cpom_domain::catalogue::edit::{
        ActionInput, IndicatorInput, ObjectiveInput, OrientationInput, QuestionInput,
    };
    fn parse<T: serde::de::DeserializeOwned>(v: serde_json::Value) -> Result<T, AppError> {
        serde_json::from_value(v)
            .map_err(|e| AppError::field("item", format!("élément illisible : {e}")))
    }
    match kind {
        ItemKind::Orientation => parse::<OrientationInput>(value)?.read(),
        ItemKind::Objective => parse::<ObjectiveInput>(value)?.read(),
        ItemKind::Action => parse::<ActionInput>(value)?.read(),
        ItemKind::Indicator => parse::<IndicatorInput>(value)?.read(),
        ItemKind::Question => parse::<QuestionInput>(value)?.read(),
    }
    .map_err(edit_error)
}

/// The draft version of a catalogue for its editor: the actor must manage the catalogue
/// and the version must be a draft.
pub async fn editable_catalogue(
    state: &AppState,
    cu: &CurrentUser,
    slug: &str,
    version: Option<i32>,
) -> Result<(CatalogueVersion, Catalogue), AppError> {
    managed_catalogue_region(state, cu, slug).await?;
    draft_of(state, slug, version).await
}

/// A catalogue version that must be a draft (the caller authorised the actor).
async fn draft_of(
    state: &AppState,
    slug: &str,
    version: Option<i32>,
) -> Result<(CatalogueVersion, Catalogue), AppError> {
    let (meta, c) = state.store.catalogue(slug, version, true).await?;
    if meta.state != CatalogueState::Draft {
        return Err(AppError::Conflict(format!(
            "La version {} est {} : seul un brouillon se modifie. Créez une nouvelle version depuis la page du référentiel.",
            meta.version,
            meta.state.label()
        )));
    }
    Ok((meta, c))
}

/// Applies an edit to the draft version of a catalogue read at `row_version` (the pure
/// rules of [`cpom_domain::catalogue::edit`]) and saves it; the item before and after goes
/// to the audit trail. Administrators of the catalogue's region.
pub async fn edit_catalogue(
    state: &AppState,
    cu: &CurrentUser,
    slug: &str,
    input: &VersionInput,
    edit: &Edit,
) -> Result<CatalogueVersion, AppError> {
    managed_catalogue_region(state, cu, slug).await?;
    let (version, row_version) = read_version(input)?;
    let (meta, c) = draft_of(state, slug, Some(version)).await?;
    if meta.row_version != row_version {
        return Err(AppError::Conflict(
            "Modification refusée : le référentiel a été modifié entre-temps ; rechargez la page."
                .into(),
        ));
    }
    let changed = edit::apply(&c, edit).map_err(edit_error)?;
    let (before, after) = match edit {
        Edit::Header(_) => (None, None),
        Edit::Create(item) => (None, item_value(&changed, item.kind(), item.code())),
        Edit::Replace { code, item } => (
            item_value(&c, item.kind(), code),
            item_value(&changed, item.kind(), item.code()),
        ),
        Edit::Delete { kind, code } | Edit::Move { kind, code, .. } => {
            (item_value(&c, *kind, code), None)
        }
        Edit::DuplicateIndicator { new_code, .. } => {
            (None, item_value(&changed, ItemKind::Indicator, new_code))
        }
    };
    Ok(state
        .store
        .save_catalogue_draft(
            &cu.user.audit_actor(),
            slug,
            version,
            row_version,
            &changed,
            &edit.describe(),
            before,
            after,
        )
        .await?)
}

/// Starts a new draft version of a catalogue as a copy of the version read. Administrators
/// of the catalogue's region.
pub async fn new_catalogue_draft(
    state: &AppState,
    cu: &CurrentUser,
    slug: &str,
    input: &VersionInput,
) -> Result<CatalogueVersion, AppError> {
    managed_catalogue_region(state, cu, slug).await?;
    let (version, row_version) = read_version(input)?;
    Ok(state
        .store
        .new_catalogue_draft(&cu.user.audit_actor(), slug, version, row_version)
        .await?)
}

/// A new generation of a catalogue: the version copied and what the copy is called.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct GenerationInput {
    /// Version copied.
    pub version: Option<i32>,
    /// Identifier of the new catalogue (a-z, 0-9, -).
    #[serde(default)]
    pub slug: String,
    /// Its title.
    #[serde(default)]
    pub title: String,
    /// Generation label ("2030-2034").
    #[serde(default)]
    pub generation: String,
    /// First year of its contracts.
    pub start_year: Option<i32>,
    /// Last year.
    pub end_year: Option<i32>,
}

/// Starts a new generation as a copy of a catalogue version (a draft of a new catalogue;
/// targets outside the new period are dropped). Administrators of the catalogue's region.
pub async fn new_catalogue_generation(
    state: &AppState,
    cu: &CurrentUser,
    slug: &str,
    input: &GenerationInput,
) -> Result<CatalogueVersion, AppError> {
    managed_catalogue_region(state, cu, slug).await?;
    let Some(version) = input.version else {
        return Err(AppError::field(
            "version",
            "version du référentiel manquante : rechargez la page",
        ));
    };
    let mut errors = Vec::new();
    let mut need = |field: &str, ok: bool, message: &str| {
        if !ok {
            errors.push(FieldError {
                field: field.into(),
                message: message.into(),
            });
        }
    };
    need(
        "slug",
        cpom_domain::catalogue::valid_slug(input.slug.trim()),
        "identifiant invalide : 3 à 60 caractères parmi a-z, 0-9 et « - » (ex. occitanie-2030-2034)",
    );
    need(
        "title",
        !input.title.trim().is_empty(),
        "le titre est obligatoire",
    );
    need(
        "generation",
        !input.generation.trim().is_empty(),
        "la génération est obligatoire (ex. 2030-2034)",
    );
    need("start_year", input.start_year.is_some(), "année attendue");
    need("end_year", input.end_year.is_some(), "année attendue");
    let (Some(start_year), Some(end_year), true) =
        (input.start_year, input.end_year, errors.is_empty())
    else {
        return Err(AppError::Validation(errors));
    };
    let (meta, c) = state.store.catalogue(slug, Some(version), true).await?;
    let id = state.store.catalogue_id(slug, meta.version).await?;
    Ok(state
        .store
        .copy_catalogue(
            &cu.user.audit_actor(),
            &c,
            Some(id),
            &NewGeneration {
                slug: input.slug.trim().to_owned(),
                title: input.title.clone(),
                generation: input.generation.clone(),
                start_year,
                end_year,
            },
        )
        .await?)
}

// ---------------------------------------------------------------------------------------
// Contracts.

/// The `row_version` of a contract as read by the caller, which every change must carry.
fn contract_row_version(row_version: Option<i64>) -> Result<i64, AppError> {
    row_version.ok_or_else(|| {
        AppError::field(
            "row_version",
            "version du contrat manquante : rechargez la page",
        )
    })
}

pub fn contract_scope(c: &Contract) -> Scope {
    Scope {
        region: Some(c.region.clone()),
        ej: Some(c.ej.clone()),
    }
}

/// Filters of the contract list, as typed.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::IntoParams)]
pub struct ContractQuery {
    /// State (`preparation`, `negotiation`, `ready_to_sign`, `signed`, `expired`,
    /// `terminated`).
    pub state: Option<String>,
    /// Department code of the legal entity.
    pub department: Option<String>,
    /// Only the caller's own contracts as negotiator (`true`).
    pub mine: Option<bool>,
    /// Code of a GHT: the contracts of its members today.
    pub ght: Option<String>,
    /// Account id of a negotiator.
    pub negotiator: Option<String>,
    /// Page number, from 1.
    pub page: Option<u64>,
    /// Page size (at most 200).
    pub per_page: Option<u64>,
}

/// An account id typed in a filter (blank: none).
pub(crate) fn account_id(field: &str, raw: &Option<String>) -> Result<Option<i64>, AppError> {
    blank_to_none(raw)
        .map(|n| {
            n.parse::<i64>().map_err(|_| {
                AppError::field(field, format!("« {n} » n'est pas un identifiant de compte"))
            })
        })
        .transpose()
}

/// Every contract of a scope that passes a filter, read page by page.
pub(crate) async fn all_contracts(
    state: &AppState,
    scope: &ScopeFilter,
    filter: &ContractFilter,
) -> Result<Vec<Contract>, AppError> {
    let mut out = vec![];
    let mut page = 1;
    loop {
        let batch = state
            .store
            .list_contracts(scope, filter, page, MAX_PER_PAGE)
            .await?;
        out.extend(batch.items);
        if page * MAX_PER_PAGE >= batch.total {
            return Ok(out);
        }
        page += 1;
    }
}

/// The contracts the actor may see (observers: signed ones only).
pub async fn list_contracts(
    state: &AppState,
    cu: &CurrentUser,
    q: &ContractQuery,
) -> Result<Page<Contract>, AppError> {
    let scope = list_filter(&cu.actor(), Listing::Contracts);
    let state_filter = match blank_to_none(&q.state) {
        None => None,
        Some(s) => Some(
            ContractState::parse(s)
                .ok_or_else(|| AppError::field("state", format!("état « {s} » inconnu")))?,
        ),
    };
    let filter = ContractFilter {
        state: state_filter,
        signed_only: cu.user.role == Role::Observer,
        negotiator_id: if q.mine == Some(true) {
            Some(cu.user.id)
        } else {
            account_id("negotiator", &q.negotiator)?
        },
        department: blank_to_none(&q.department).map(str::to_owned),
        ght: blank_to_none(&q.ght).map(str::to_owned),
        ght_on: Some(today()),
    };
    let (page, per_page) = paging(q.page, q.per_page);
    Ok(state
        .store
        .list_contracts(&scope, &filter, page, per_page)
        .await?)
}

/// One contract the actor may see (else not found).
pub async fn contract(state: &AppState, cu: &CurrentUser, id: i64) -> Result<Contract, AppError> {
    let c = state.store.contract(id).await?;
    cu.authorize(&Action::ViewContract {
        scope: contract_scope(&c),
        signed: c.state.signed(),
    })
    .map_err(|_| AppError::NotFound)?;
    Ok(c)
}

/// A contract with what its page shows: the catalogue's model actions as proposed for the
/// legal entity, the checks before signature, and the moves the actor may make.
pub struct ContractView {
    /// The contract.
    pub contract: Contract,
    /// Model actions of the catalogue, with their applicability to the legal entity.
    pub proposals: Vec<Proposal>,
    /// Checks before signature (none once signed).
    pub warnings: Vec<Warning>,
    /// States the actor may move the contract to.
    pub moves: Vec<ContractState>,
    /// The actor may change the engagements.
    pub can_prepare: bool,
    /// The actor may record the signature.
    pub can_sign: bool,
    /// The actor may comment.
    pub can_comment: bool,
    /// The negotiation thread, oldest first.
    pub comments: Vec<cpom_store::repo::contracts::ContractComment>,
    /// The signed versions before the current one, oldest first.
    pub versions: Vec<cpom_store::repo::contracts::ContractVersion>,
    /// What the current avenant changes from the version before it.
    pub changes: Option<cpom_domain::contract::ContentDiff>,
    /// The actor may open an avenant (the agency, on a contract in force).
    pub can_amend: bool,
    /// The catalogue's objectives (code, title), for specific engagements.
    pub objectives: Vec<(String, String)>,
}

/// See [`ContractView`].
pub async fn contract_view(
    state: &AppState,
    cu: &CurrentUser,
    id: i64,
) -> Result<ContractView, AppError> {
    let c = contract(state, cu, id).await?;
    let scope = contract_scope(&c);
    // The version the contract is built on, kept in memory once no longer a draft.
    let catalogue = state
        .store
        .catalogue_version(&c.catalogue_slug, c.catalogue_version)
        .await?;
    // The catalogue's proposals for the entity and the checks before signature serve
    // preparing the contract: a signed one has neither, and its page does not read the
    // entity's facts they are drawn from.
    let (proposals, warnings) = if c.state.signed() {
        (vec![], vec![])
    } else {
        let entity = state
            .store
            .get_legal_entity(&c.ej)
            .await?
            .ok_or(AppError::NotFound)?;
        let facts = entity_facts(state, &entity, today()).await?;
        let proposals = cpom_domain::contract::proposals(&catalogue, &facts);
        let limits = state
            .store
            .contract_template(&c.region)
            .await?
            .template
            .objective_limits();
        let warnings = cpom_domain::contract::checks(
            &c.content,
            &proposals,
            c.start_year..=c.end_year,
            limits,
        );
        (proposals, warnings)
    };
    let can_sign = c.state.next().contains(&ContractState::Signed)
        && cu
            .authorize(&Action::MoveContract {
                scope: scope.clone(),
                from: c.state,
                to: ContractState::Signed,
            })
            .is_ok();
    let moves = c
        .state
        .next()
        .iter()
        .copied()
        .filter(|to| *to != ContractState::Signed)
        .filter(|to| {
            cu.authorize(&Action::MoveContract {
                scope: scope.clone(),
                from: c.state,
                to: *to,
            })
            .is_ok()
        })
        .collect();
    let can_prepare = c.state.editable() && cu.authorize(&Action::PrepareContract(scope)).is_ok();
    let can_comment = cu
        .authorize(&Action::CommentContract(contract_scope(&c)))
        .is_ok();
    let comments = state.store.contract_comments(c.id).await?;
    let versions = state.store.contract_versions(c.id).await?;
    let changes = versions
        .last()
        .map(|before| cpom_domain::contract::diff(&before.content, &c.content));
    let can_amend = cpom_domain::contract::may_amend(c.state)
        && cu
            .authorize(&Action::PrepareContract(contract_scope(&c)))
            .is_ok();
    let objectives = catalogue
        .objectives
        .iter()
        .map(|o| (o.code.clone(), o.title.clone()))
        .collect();
    Ok(ContractView {
        objectives,
        versions,
        changes,
        can_amend,
        contract: c,
        proposals,
        warnings,
        moves,
        can_prepare,
        can_sign,
        can_comment,
        comments,
    })
}

/// A new contract: the legal entity and the catalogue (default title: "CPOM <generation> —
/// <entity>").
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct NewContractInput {
    /// FINESS EJ.
    #[serde(default)]
    pub ej: String,
    /// Slug of a published engagements catalogue of the entity's region.
    #[serde(default)]
    pub catalogue: String,
    /// Title (optional).
    pub title: Option<String>,
}

/// Creates a contract in preparation for a legal entity from the published version of a
/// catalogue: the applicable mandatory model actions become its first engagements, their
/// targets pre-filled for the entity's band or named case. The agency's users of the region.
pub async fn create_contract(
    state: &AppState,
    cu: &CurrentUser,
    input: &NewContractInput,
) -> Result<Contract, AppError> {
    if !matches!(
        cu.user.role,
        Role::NationalAdmin | Role::ArsAdmin | Role::ArsReferent
    ) {
        return Err(AppError::Forbidden(
            "Les contrats sont préparés par les agents de l'ARS de la région.".into(),
        ));
    }
    let ej = FinessId::parse(input.ej.trim()).map_err(|_| {
        AppError::field(
            "ej",
            format!(
                "numéro FINESS EJ invalide « {} » (9 caractères)",
                input.ej.trim()
            ),
        )
    })?;
    let detail = legal_entity(state, cu, ej.as_str())
        .await
        .map_err(|e| match e {
            AppError::NotFound => AppError::field(
                "ej",
                format!("aucune entité juridique de numéro FINESS « {ej} » dans votre périmètre"),
            ),
            other => other,
        })?;
    let entity = detail.entity;
    cu.authorize(&Action::PrepareContract(Scope {
        region: Some(entity.region.clone()),
        ej: Some(entity.finess.clone()),
    }))?;
    let slug = input.catalogue.trim();
    if slug.is_empty() {
        return Err(AppError::field("catalogue", "choisissez un référentiel"));
    }
    let (meta, c, _) = catalogue(state, cu, slug, None)
        .await
        .map_err(|e| match e {
            AppError::NotFound => {
                AppError::field("catalogue", format!("référentiel « {slug} » introuvable"))
            }
            other => other,
        })?;
    if meta.state != CatalogueState::Published
        || meta.kind != cpom_domain::catalogue::CatalogueKind::Engagements
        || meta.region != entity.region
    {
        return Err(AppError::field(
            "catalogue",
            format!(
                "le référentiel « {slug} » n'est pas un référentiel d'engagements publié de la région de l'entité"
            ),
        ));
    }
    let facts = entity_facts(state, &entity, today()).await?;
    let proposals = cpom_domain::contract::proposals(&c, &facts);
    let band = entity.size_band();
    let content =
        cpom_domain::contract::initial_content(&c, &proposals, Some(&entity.finess), band);
    let title = blank_to_none(&input.title)
        .map(str::to_owned)
        .unwrap_or_else(|| format!("CPOM {} — {}", c.generation, entity.name));
    let negotiator =
        matches!(cu.user.role, Role::ArsAdmin | Role::ArsReferent).then_some(cu.user.id);
    Ok(state
        .store
        .create_contract(
            &cu.user.audit_actor(),
            &NewContract {
                region: entity.region.clone(),
                ej: entity.finess.clone(),
                catalogue_slug: meta.slug.clone(),
                catalogue_version: meta.version,
                title,
                start_year: c.start_year,
                end_year: c.end_year,
                band,
                negotiator_id: negotiator,
                content,
            },
        )
        .await?)
}

/// A change to a contract's engagements.
#[derive(Debug, Clone)]
pub enum ContractEdit {
    /// Add the engagement of a model action (with one of its fiches).
    Add {
        /// Code of the model action.
        action: String,
        /// Code of the fiche (default: the action's first).
        indicator: Option<String>,
    },
    /// Change an engagement.
    Change {
        /// Its key.
        key: String,
        /// What changes.
        change: cpom_domain::contract::EngagementChange,
    },
    /// Remove an engagement.
    Remove {
        /// Its key.
        key: String,
    },
    /// Add an engagement specific to the establishment.
    AddSpecific(cpom_domain::contract::SpecificInput),
    /// Replace the diagnostic (strengths, weaknesses, answers to the catalogue's questions)
    /// and the annexes (funding lines, text annexes).
    Annexes(Box<cpom_domain::contract::AnnexesInput>),
}

fn content_errors(errors: Vec<cpom_domain::contract::ContentError>) -> AppError {
    AppError::Validation(
        errors
            .into_iter()
            .map(|e| FieldError {
                field: e.field,
                message: e.message,
            })
            .collect(),
    )
}

/// Changes the engagements of a contract read at `row_version` (the pure rules of
/// [`cpom_domain::contract`]); only while it is in preparation or negotiation, by the
/// agency's users of its region. The engagement before and after goes to the audit trail.
pub async fn edit_contract(
    state: &AppState,
    cu: &CurrentUser,
    id: i64,
    row_version: Option<i64>,
    edit: &ContractEdit,
) -> Result<Contract, AppError> {
    use cpom_domain::contract::{add_engagement, change_engagement, remove_engagement};
    let c = contract(state, cu, id).await?;
    cu.authorize(&Action::PrepareContract(contract_scope(&c)))?;
    if !c.state.editable() {
        return Err(AppError::Conflict(format!(
            "Le contrat est {} : ses engagements ne changent plus (rouvrez la négociation, ou passez par un avenant une fois signé).",
            c.state.label()
        )));
    }
    let row_version = contract_row_version(row_version)?;
    if row_version != c.row_version {
        return Err(AppError::Conflict(
            "Modification refusée : le contrat a été modifié entre-temps ; rechargez la page."
                .into(),
        ));
    }
    let (_, catalogue) = state
        .store
        .catalogue(&c.catalogue_slug, Some(c.catalogue_version), true)
        .await?;
    let engagement_json = |content: &cpom_domain::contract::ContractContent, key: &str| {
        content
            .engagements
            .iter()
            .find(|e| e.key == key)
            .and_then(|e| serde_json::to_value(e).ok())
    };
    let one = |e: cpom_domain::contract::ContentError| content_errors(vec![e]);
    let (content, what, before, after) = match edit {
        ContractEdit::Add { action, indicator } => {
            let content = add_engagement(
                &c.content,
                &catalogue,
                action,
                indicator.as_deref().filter(|i| !i.trim().is_empty()),
                Some(&c.ej),
                c.band,
            )
            .map_err(one)?;
            let key = content
                .engagements
                .last()
                .map(|e| e.key.clone())
                .unwrap_or_default();
            let after = engagement_json(&content, &key);
            (
                content,
                format!("ajout de l'engagement {key} (action {action})"),
                None,
                after,
            )
        }
        ContractEdit::Change { key, change } => {
            let sites: Vec<FinessId> = state
                .store
                .legal_entity_detail(&c.ej)
                .await?
                .sites
                .into_iter()
                .map(|s| s.finess)
                .collect();
            let content = change_engagement(
                &c.content,
                &catalogue,
                key,
                change,
                &sites,
                Some(&c.ej),
                c.band,
            )
            .map_err(content_errors)?;
            let (before, after) = (
                engagement_json(&c.content, key),
                engagement_json(&content, key),
            );
            (
                content,
                format!("modification de l'engagement {key}"),
                before,
                after,
            )
        }
        ContractEdit::AddSpecific(input) => {
            let content =
                cpom_domain::contract::add_specific_engagement(&c.content, &catalogue, input)
                    .map_err(content_errors)?;
            let key = content
                .engagements
                .last()
                .map(|e| e.key.clone())
                .unwrap_or_default();
            let after = engagement_json(&content, &key);
            (
                content,
                format!("ajout de l'engagement spécifique {key}"),
                None,
                after,
            )
        }
        ContractEdit::Annexes(input) => {
            let content = cpom_domain::contract::apply_annexes(
                &c.content,
                input,
                c.start_year..=c.end_year,
                &catalogue.questions,
            )
            .map_err(content_errors)?;
            let view = |x: &cpom_domain::contract::ContractContent| {
                serde_json::json!({
                    "strengths": x.strengths, "weaknesses": x.weaknesses, "answers": x.answers,
                    "funding": x.funding, "texts": x.texts,
                })
            };
            (
                content.clone(),
                "diagnostic et annexes".to_owned(),
                Some(view(&c.content)),
                Some(view(&content)),
            )
        }
        ContractEdit::Remove { key } => {
            let content = remove_engagement(&c.content, key).map_err(one)?;
            (
                content,
                format!("retrait de l'engagement {key}"),
                engagement_json(&c.content, key),
                None,
            )
        }
    };
    Ok(state
        .store
        .save_contract_content(
            &cu.user.audit_actor(),
            id,
            row_version,
            &content,
            &what,
            before,
            after,
        )
        .await?)
}

/// A comment as typed: its text and, optionally, the engagement it is about.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct CommentInput {
    /// Key of the engagement (`E1`…); empty or absent: the contract as a whole.
    pub engagement: Option<String>,
    /// Text (at most 5 000 characters).
    #[serde(default)]
    pub body: String,
}

/// The negotiation thread of a contract the actor may see, oldest first.
pub async fn contract_comments(
    state: &AppState,
    cu: &CurrentUser,
    id: i64,
) -> Result<Vec<cpom_store::repo::contracts::ContractComment>, AppError> {
    contract(state, cu, id).await?;
    Ok(state.store.contract_comments(id).await?)
}

/// Posts a comment on a contract or one of its engagements: the agency's users of its region
/// and the users of its legal entity, at any state (the thread stays readable).
pub async fn comment_contract(
    state: &AppState,
    cu: &CurrentUser,
    id: i64,
    input: &CommentInput,
) -> Result<cpom_store::repo::contracts::ContractComment, AppError> {
    let c = contract(state, cu, id).await?;
    cu.authorize(&Action::CommentContract(contract_scope(&c)))?;
    let engagement = blank_to_none(&input.engagement);
    let body = cpom_domain::contract::check_comment(&c.content, engagement, &input.body)
        .map_err(|e| content_errors(vec![e]))?;
    let side = if matches!(
        cu.user.role,
        Role::EstablishmentLeader | Role::EstablishmentContributor
    ) {
        "establishment"
    } else {
        "agency"
    };
    let comment = state
        .store
        .add_contract_comment(
            &cu.user.audit_actor(),
            id,
            engagement,
            &cu.user.display_name,
            side,
            &body,
        )
        .await?;
    notify_contract(
        state,
        cu,
        &c,
        &format!(
            "{} a commenté le contrat « {} »{}.",
            cu.user.display_name,
            c.title,
            engagement
                .map(|k| format!(" (engagement {k})"))
                .unwrap_or_default()
        ),
        "#echanges",
    )
    .await;
    Ok(comment)
}

/// Tells the other side of a contract's negotiation about a change the actor made: the
/// establishment's users when the agency acts, the negotiator (or the agency of the region)
/// when the establishment does. A failure is logged, never shown: the change is made.
pub async fn notify_contract(
    state: &AppState,
    cu: &CurrentUser,
    c: &Contract,
    message: &str,
    anchor: &str,
) {
    use cpom_store::repo::notifications::Audience;
    let agency = cu
        .authorize(&Action::PrepareContract(contract_scope(c)))
        .is_ok();
    let audience = if agency {
        Audience::Establishment(&c.ej)
    } else {
        Audience::Agency {
            region: &c.region,
            negotiator: c.negotiator_id,
        }
    };
    match state.store.audience(audience, Some(cu.user.id)).await {
        Ok(users) => notify_users(state, &users, c.id, message, anchor).await,
        Err(e) => tracing::warn!(contract = c.id, error = %e, "notification not written"),
    }
}

/// Writes a notification about a contract for `users`, leading to its page (and `anchor`);
/// a failure is logged, never shown.
async fn notify_users(state: &AppState, users: &[i64], contract: i64, message: &str, anchor: &str) {
    let link = format!("/contrats/{contract}{anchor}");
    if let Err(e) = state
        .store
        .notify(users, Some(contract), message, &link)
        .await
    {
        tracing::warn!(contract, error = %e, "notification not written");
    }
}

/// A move of a contract, as read by the caller.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct MoveInput {
    /// State asked (`negotiation`, `ready_to_sign`, `signed`…).
    #[serde(default)]
    pub to: String,
    /// `row_version` of the contract when read.
    pub row_version: Option<i64>,
    /// Why (kept in the history).
    pub note: Option<String>,
}

/// Moves a contract to another state, if the access policy lets the actor make that move.
pub async fn move_contract(
    state: &AppState,
    cu: &CurrentUser,
    id: i64,
    input: &MoveInput,
) -> Result<Contract, AppError> {
    let c = contract(state, cu, id).await?;
    let scope = contract_scope(&c);
    let may = |to: ContractState| {
        cu.authorize(&Action::MoveContract {
            scope: scope.clone(),
            from: c.state,
            to,
        })
    };
    let Some(to) = ContractState::parse(&input.to) else {
        // Whoever may make no move at all is refused before being told the state is wrong.
        if !c.state.next().iter().any(|to| may(*to).is_ok()) {
            return Err(AppError::Forbidden(
                "Vous ne pouvez pas changer l'état de ce contrat.".into(),
            ));
        }
        return Err(AppError::field(
            "to",
            format!("état « {} » inconnu", input.to),
        ));
    };
    may(to)?;
    if to == ContractState::Signed {
        return Err(AppError::field(
            "to",
            "la signature s'enregistre avec ses signataires (formulaire « Signature »)",
        ));
    }
    let row_version = contract_row_version(input.row_version)?;
    let moved = state
        .store
        .move_contract(
            &cu.user.audit_actor(),
            id,
            row_version,
            to,
            input.note.as_deref(),
            None,
        )
        .await?;
    notify_contract(
        state,
        cu,
        &moved,
        &format!(
            "Le contrat « {} » est passé de l'état « {} » à « {} » ({}).",
            moved.title,
            c.state.label(),
            to.label(),
            cu.user.display_name
        ),
        "",
    )
    .await;
    Ok(moved)
}

/// A signature as typed: the signatories and the version of the contract read.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct SignatureInput {
    /// `row_version` of the contract when read.
    pub row_version: Option<i64>,
    /// Signatories: `role` (`dg_ars`, `delegate`, `legal_representative`, `other`), `name`,
    /// `function`, `date` (`jj/mm/aaaa`).
    #[serde(default)]
    #[schema(value_type = Vec<Object>)]
    pub signatories: Vec<cpom_domain::contract::SignatoryInput>,
    /// Note for the history.
    pub note: Option<String>,
}

/// Records the signature of a contract ready to sign: its signatories (the agency and the
/// establishment's legal representative) go into the contract, which becomes signed (in
/// force) and no longer changes.
pub async fn sign_contract(
    state: &AppState,
    cu: &CurrentUser,
    id: i64,
    input: &SignatureInput,
) -> Result<Contract, AppError> {
    let c = contract(state, cu, id).await?;
    cu.authorize(&Action::MoveContract {
        scope: contract_scope(&c),
        from: c.state,
        to: ContractState::Signed,
    })?;
    let signatories = cpom_domain::contract::read_signatories(&input.signatories, today())
        .map_err(content_errors)?;
    let row_version = contract_row_version(input.row_version)?;
    let mut content = c.content.clone();
    content.signatories = signatories;
    // The registry facts the contract prints are frozen as they stand today.
    content.registry = Some(crate::documents::registry_snapshot(state, &c.ej, today()).await?);
    let signed = state
        .store
        .move_contract(
            &cu.user.audit_actor(),
            id,
            row_version,
            ContractState::Signed,
            input.note.as_deref(),
            Some(&content),
        )
        .await?;
    // An avenant may change the targets: the verdicts follow.
    crate::evaluation::refresh_after_change(&state.store, [id]).await;
    notify_contract(
        state,
        cu,
        &signed,
        &format!(
            "La signature du contrat « {} » est enregistrée : il est en vigueur.",
            signed.title
        ),
        "",
    )
    .await;
    Ok(signed)
}

/// A negotiator given to a contract.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct NegotiatorInput {
    /// `row_version` of the contract when read.
    pub row_version: Option<i64>,
    /// Account id of an administrator or referent of the region's agency; null: nobody.
    pub negotiator_id: Option<i64>,
}

/// Gives a contract its negotiator (the agency of the region).
pub async fn set_negotiator(
    state: &AppState,
    cu: &CurrentUser,
    id: i64,
    input: &NegotiatorInput,
) -> Result<Contract, AppError> {
    let c = contract(state, cu, id).await?;
    cu.authorize(&Action::PrepareContract(contract_scope(&c)))?;
    let row_version = contract_row_version(input.row_version)?;
    let changed = state
        .store
        .set_negotiator(&cu.user.audit_actor(), id, row_version, input.negotiator_id)
        .await?;
    if let Some(n) = input.negotiator_id.filter(|n| *n != cu.user.id) {
        let message = format!(
            "{} vous a confié la négociation du contrat « {} ».",
            cu.user.display_name, changed.title
        );
        notify_users(state, &[n], id, &message, "").await;
    }
    Ok(changed)
}

/// Opening an avenant: the version read and why.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct AvenantInput {
    /// `row_version` of the contract when read.
    pub row_version: Option<i64>,
    /// Why (kept in the history).
    pub note: Option<String>,
}

/// Opens avenant n+1 on a contract in force (the agency of the region): the signed version
/// stays readable, and the contract is prepared, negotiated and signed again.
pub async fn propose_avenant(
    state: &AppState,
    cu: &CurrentUser,
    id: i64,
    input: &AvenantInput,
) -> Result<Contract, AppError> {
    let c = contract(state, cu, id).await?;
    cu.authorize(&Action::PrepareContract(contract_scope(&c)))?;
    let row_version = contract_row_version(input.row_version)?;
    let opened = state
        .store
        .propose_avenant(
            &cu.user.audit_actor(),
            id,
            row_version,
            input.note.as_deref(),
        )
        .await?;
    notify_contract(
        state,
        cu,
        &opened,
        &format!(
            "L'ARS a ouvert l'avenant n° {} au contrat « {} ».",
            opened.avenant, opened.title
        ),
        "#avenant",
    )
    .await;
    Ok(opened)
}

/// One earlier signed version of a contract the actor may see, with the contract, and what
/// it changed from the version before it.
pub async fn contract_version(
    state: &AppState,
    cu: &CurrentUser,
    id: i64,
    avenant: i32,
) -> Result<
    (
        Contract,
        cpom_store::repo::contracts::ContractVersion,
        Option<cpom_domain::contract::ContentDiff>,
    ),
    AppError,
> {
    let c = contract(state, cu, id).await?;
    let versions = state.store.contract_versions(c.id).await?;
    let i = versions
        .iter()
        .position(|v| v.avenant == avenant)
        .ok_or(AppError::NotFound)?;
    let changes = i
        .checked_sub(1)
        .map(|p| cpom_domain::contract::diff(&versions[p].content, &versions[i].content));
    Ok((c, versions[i].clone(), changes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temporary_passwords_are_valid_and_differ() {
        let a = temporary_password();
        let b = temporary_password();
        assert_eq!(a.len(), 19);
        assert_ne!(a, b);
        assert!(PlainPassword::parse(&a).is_ok());
    }

    #[test]
    fn paging_is_bounded() {
        assert_eq!(paging(None, None), (1, DEFAULT_PER_PAGE));
        assert_eq!(paging(Some(0), Some(10_000)), (1, MAX_PER_PAGE));
    }
}
