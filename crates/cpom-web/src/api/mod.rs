//! The JSON API under `/api/v1`, authenticated by session (with CSRF) or bearer token, and
//! described by an OpenAPI 3.1 document generated from these handlers.

pub mod account;
pub mod audit;
pub mod campaigns;
pub mod catalogues;
pub mod contracts;
pub mod documents;
pub mod extract;
pub mod notifications;
pub mod plans;
pub mod registry;
pub mod reviews;
pub mod settings;
pub mod territories;
pub mod users;

use extract::Json;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::error::{ApiErrorBody, FieldError};

/// The OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "cpom API",
        description = "API de cpom : comptes, jetons, journal d'audit, registre des établissements et référentiels. Authentification par jeton (`Authorization: Bearer cpom_…`, créé dans « Mon compte » ou par `cpom token create`) ou par session (avec l'en-tête `X-CSRF-Token` pour les requêtes qui modifient).",
        license(name = "EUPL-1.2")
    ),
    paths(
        account::get_me,
        account::change_password,
        account::list_tokens,
        account::create_token,
        account::revoke_token,
        users::list_users,
        users::create_user,
        users::get_user,
        users::set_user_active,
        users::reset_user_password,
        audit::list_audit,
        registry::list_legal_entities,
        registry::get_legal_entity,
        registry::set_band_override,
        registry::get_site,
        registry::import_file,
        registry::list_imports,
        settings::get_band_settings,
        settings::set_band_settings,
        territories::list_ghts,
        territories::get_ght,
        territories::create_ght,
        territories::add_ght_member,
        territories::end_ght_member,
        territories::add_label,
        territories::end_label,
        catalogues::list_catalogues,
        catalogues::get_catalogue,
        catalogues::get_applicability,
        catalogues::import_catalogue,
        catalogues::publish_catalogue,
        catalogues::archive_catalogue,
        catalogues::create_draft,
        catalogues::create_generation,
        catalogues::put_header,
        catalogues::create_item,
        catalogues::put_item,
        catalogues::delete_item,
        catalogues::move_item,
        catalogues::duplicate_item,
        catalogues::preview_fiche,
        contracts::list_contracts,
        contracts::get_contract,
        contracts::create_contract,
        contracts::move_contract,
        contracts::sign_contract,
        contracts::list_comments,
        contracts::add_comment,
        contracts::add_engagement,
        contracts::put_engagement,
        contracts::delete_engagement,
        contracts::propose_avenant,
        campaigns::list,
        campaigns::open,
        campaigns::get,
        campaigns::close,
        campaigns::declarations,
        campaigns::validate_bulk,
        campaigns::declaration,
        campaigns::step,
        campaigns::upload_evidence,
        campaigns::link_evidence,
        campaigns::download_evidence,
        campaigns::value_imports,
        campaigns::load_values,
        campaigns::values_template,
        campaigns::dashboard,
        campaigns::export,
        reviews::list,
        reviews::create,
        reviews::get,
        reviews::update,
        reviews::add_action,
        reviews::update_action,
        plans::list,
        plans::get,
        plans::export,
        plans::template,
        plans::import,
        plans::get_item,
        plans::update_item,
        plans::add_note,
        plans::add_link,
        plans::remove_link,
        plans::members,
        plans::set_member,
        plans::remove_member,
        plans::get_lists,
        plans::set_lists,
        contracts::put_negotiator,
        notifications::list,
        notifications::mark_read,
        contracts::put_annexes,
        contracts::get_calendar,
        contracts::record_event,
        contracts::due_steps,
        contracts::list_versions,
        contracts::scorecard,
        contracts::review_pack,
        documents::version_pdf,
        documents::document_pdf,
        documents::document_docx,
        documents::annex_xlsx,
        documents::archive,
        documents::list_files,
        documents::upload_file,
        documents::get_file,
        documents::get_template,
        documents::put_template,
    ),
    components(schemas(ApiErrorBody, FieldError)),
    modifiers(&BearerAuth),
    security(("bearer" = [])),
    tags(
        (name = "compte", description = "Le compte connecté et ses jetons"),
        (name = "utilisateurs", description = "Administration des comptes du périmètre"),
        (name = "audit", description = "Journal d'audit"),
        (name = "referentiel", description = "Référentiels : orientations, objectifs, actions types, fiches indicateurs et leurs cibles, par région et génération"),
        (name = "campagnes", description = "Campagnes annuelles : déclarations des établissements, validation par l'ARS"),
        (name = "plans", description = "Plans d'actions régionaux : thématiques, axes, objectifs, actions et sous-actions, avec pilotes, statuts et dates"),
        (name = "revues", description = "Revues de contrats (dialogue avec une entité juridique ou de GHT) et leurs feuilles de route"),
        (name = "contrats", description = "Contrats (CPOM) : préparation à partir d'un référentiel, engagements et cibles, états de négociation et de signature"),
        (name = "registre", description = "Registre des entités juridiques et des sites (FINESS, SAE), autorisations, labels et GHT avec leurs périodes de validité, et ses imports"),
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}

/// GET `/api/v1/openapi.json`.
pub async fn openapi_json() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
