//! The route table. Every route is declared here once, with its method and path, so that
//! the access-matrix test can check that no route lacks an expected answer per role.

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{MethodRouter, delete, get, post, put};

use crate::{AppState, api, assets, pages};

/// One declared route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RouteSpec {
    /// HTTP method.
    pub method: &'static str,
    /// Path pattern as given to axum (`/admin/utilisateurs/{id}`).
    pub path: &'static str,
}

/// The router and the list of what it serves.
pub struct Table {
    /// Routes, without state.
    pub router: Router<AppState>,
    /// Declared routes.
    pub specs: Vec<RouteSpec>,
}

impl Table {
    fn add(
        mut self,
        method: &'static str,
        path: &'static str,
        handler: MethodRouter<AppState>,
    ) -> Self {
        self.specs.push(RouteSpec { method, path });
        self.router = self.router.route(path, handler);
        self
    }
}

/// Every route of cpom.
pub fn table() -> Table {
    Table {
        router: Router::new(),
        specs: vec![],
    }
    // Operations.
    .add("GET", "/healthz", get(pages::ops::healthz))
    .add("GET", "/readyz", get(pages::ops::readyz))
    .add("GET", "/static/{*path}", get(assets::serve_asset))
    // Pages.
    .add("GET", "/connexion", get(pages::auth::sign_in_form))
    .add("POST", "/connexion", post(pages::auth::sign_in))
    .add("POST", "/deconnexion", post(pages::auth::sign_out))
    .add("GET", "/", get(pages::home::show_home))
    .add("GET", "/mon-compte", get(pages::account::show_account))
    .add(
        "POST",
        "/mon-compte/mot-de-passe",
        post(pages::account::change_password),
    )
    .add(
        "POST",
        "/mon-compte/jetons",
        post(pages::account::create_token),
    )
    .add(
        "POST",
        "/mon-compte/jetons/{id}/revoquer",
        post(pages::account::revoke_token),
    )
    .add("GET", "/admin/utilisateurs", get(pages::users::list_users))
    .add(
        "POST",
        "/admin/utilisateurs",
        post(pages::users::create_user),
    )
    .add(
        "GET",
        "/admin/utilisateurs/nouveau",
        get(pages::users::new_user_form),
    )
    .add(
        "GET",
        "/admin/utilisateurs/{id}",
        get(pages::users::show_user),
    )
    .add(
        "POST",
        "/admin/utilisateurs/{id}/activation",
        post(pages::users::set_user_active),
    )
    .add(
        "POST",
        "/admin/utilisateurs/{id}/mot-de-passe",
        post(pages::users::reset_user_password),
    )
    .add("GET", "/admin/journal", get(pages::audit::list_audit))
    .add("GET", "/registre", get(pages::registry::search))
    .add(
        "GET",
        "/referentiels",
        get(pages::catalogues::list_catalogues),
    )
    .add(
        "GET",
        "/referentiels/importer",
        get(pages::catalogues::import_form),
    )
    .add(
        "POST",
        "/referentiels/importer",
        post(pages::catalogues::import_upload).layer(DefaultBodyLimit::max(
            crate::services::MAX_CATALOGUE_FILE as usize + 64 * 1024,
        )),
    )
    .add(
        "GET",
        "/referentiels/{slug}",
        get(pages::catalogues::show_catalogue),
    )
    .add(
        "POST",
        "/referentiels/{slug}/publier",
        post(pages::catalogues::publish_version),
    )
    .add(
        "POST",
        "/referentiels/{slug}/archiver",
        post(pages::catalogues::archive_version),
    )
    .add(
        "GET",
        "/referentiels/{slug}/fiches/{fiche}",
        get(pages::catalogues::show_fiche),
    )
    .add(
        "GET",
        "/referentiels/{slug}/modifier",
        get(pages::catalogue_edit::header_form),
    )
    .add(
        "POST",
        "/referentiels/{slug}/modifier",
        post(pages::catalogue_edit::save_header),
    )
    .add(
        "POST",
        "/referentiels/{slug}/nouvelle-version",
        post(pages::catalogue_edit::new_version),
    )
    .add(
        "GET",
        "/referentiels/{slug}/nouvelle-generation",
        get(pages::catalogue_edit::generation_form),
    )
    .add(
        "POST",
        "/referentiels/{slug}/nouvelle-generation",
        post(pages::catalogue_edit::create_generation),
    )
    .add(
        "GET",
        "/referentiels/{slug}/elements/{list}/nouveau",
        get(pages::catalogue_edit::new_item_form),
    )
    .add(
        "POST",
        "/referentiels/{slug}/elements/{list}/nouveau",
        post(pages::catalogue_edit::create_item),
    )
    .add(
        "GET",
        "/referentiels/{slug}/elements/{list}/{code}",
        get(pages::catalogue_edit::edit_item_form),
    )
    .add(
        "POST",
        "/referentiels/{slug}/elements/{list}/{code}",
        post(pages::catalogue_edit::update_item),
    )
    .add(
        "POST",
        "/referentiels/{slug}/elements/{list}/{code}/supprimer",
        post(pages::catalogue_edit::delete_item),
    )
    .add(
        "POST",
        "/referentiels/{slug}/elements/{list}/{code}/deplacer",
        post(pages::catalogue_edit::move_item),
    )
    .add(
        "POST",
        "/referentiels/{slug}/elements/{list}/{code}/dupliquer",
        post(pages::catalogue_edit::duplicate_item),
    )
    .add(
        "GET",
        "/referentiels/{slug}/applicabilite",
        get(pages::catalogues::show_applicability),
    )
    .add(
        "GET",
        "/referentiels/{slug}/telecharger.toml",
        get(pages::catalogues::download_toml),
    )
    .add(
        "GET",
        "/referentiels/{slug}/telecharger.xlsx",
        get(pages::catalogues::download_xlsx),
    )
    .add(
        "GET",
        "/registre/parametres",
        get(pages::settings::show_settings),
    )
    .add(
        "POST",
        "/registre/parametres",
        post(pages::settings::save_settings),
    )
    .add(
        "GET",
        "/registre/ej/{finess}",
        get(pages::registry::show_entity),
    )
    .add(
        "POST",
        "/registre/ej/{finess}/tranche",
        post(pages::registry::set_band),
    )
    .add(
        "GET",
        "/registre/et/{finess}",
        get(pages::registry::show_site),
    )
    .add(
        "POST",
        "/registre/ej/{finess}/labels",
        post(pages::territories::add_label),
    )
    .add(
        "POST",
        "/registre/ej/{finess}/labels/{id}/fin",
        post(pages::territories::end_label),
    )
    .add("GET", "/plans-actions", get(pages::plans::list))
    .add(
        "POST",
        "/plans-actions/import",
        post(pages::plans::upload).layer(upload_limit()),
    )
    .add(
        "POST",
        "/plans-actions/import/appliquer",
        post(pages::plans::apply),
    )
    .add("GET", "/plans-actions/{id}", get(pages::plans::show))
    .add(
        "GET",
        "/plans-actions/modele.xlsx",
        get(pages::plans::template),
    )
    .add(
        "GET",
        "/plans-actions/{id}/export.xlsx",
        get(pages::plans::export),
    )
    .add("GET", "/revues", get(pages::reviews::list))
    .add("POST", "/revues", post(pages::reviews::create))
    .add("GET", "/revues/{id}", get(pages::reviews::show))
    .add("POST", "/revues/{id}", post(pages::reviews::update))
    .add(
        "POST",
        "/revues/{id}/actions",
        post(pages::reviews::add_action),
    )
    .add(
        "POST",
        "/revues/{id}/actions/{action_id}",
        post(pages::reviews::update_action),
    )
    .add("GET", "/campagnes", get(pages::campaigns::list))
    .add("POST", "/campagnes", post(pages::campaigns::open))
    .add("GET", "/campagnes/{id}", get(pages::campaigns::show))
    .add(
        "POST",
        "/campagnes/{id}/cloture",
        post(pages::campaigns::close),
    )
    .add(
        "POST",
        "/campagnes/{id}/validation",
        post(pages::campaigns::validate_bulk),
    )
    .add(
        "GET",
        "/campagnes/{id}/valeurs",
        get(pages::campaigns::show_values),
    )
    .add(
        "GET",
        "/campagnes/{id}/tableau-de-bord",
        get(pages::campaigns::show_dashboard),
    )
    .add(
        "GET",
        "/campagnes/{id}/export.xlsx",
        get(pages::campaigns::export),
    )
    .add(
        "POST",
        "/campagnes/{id}/valeurs",
        post(pages::campaigns::upload_values).layer(upload_limit()),
    )
    .add(
        "POST",
        "/campagnes/{id}/valeurs/appliquer",
        post(pages::campaigns::apply_values),
    )
    .add(
        "GET",
        "/campagnes/{id}/valeurs/modele.xlsx",
        get(pages::campaigns::values_template),
    )
    .add(
        "GET",
        "/declarations/{id}",
        get(pages::campaigns::declaration),
    )
    .add("POST", "/declarations/{id}", post(pages::campaigns::step))
    .add(
        "POST",
        "/declarations/{id}/justificatifs",
        post(pages::campaigns::upload_evidence).layer(upload_limit()),
    )
    .add(
        "POST",
        "/declarations/{id}/justificatifs/lier",
        post(pages::campaigns::link_evidence),
    )
    .add(
        "GET",
        "/declarations/{id}/justificatifs/{evidence}",
        get(pages::campaigns::download_evidence),
    )
    .add("GET", "/notifications", get(pages::notifications::list))
    .add(
        "POST",
        "/notifications/lues",
        post(pages::notifications::mark_all_read),
    )
    .add(
        "GET",
        "/notifications/{id}",
        get(pages::notifications::open),
    )
    .add("GET", "/contrats", get(pages::contracts::list_contracts))
    .add("POST", "/contrats", post(pages::contracts::create_contract))
    .add(
        "GET",
        "/contrats/nouveau",
        get(pages::contracts::new_contract_form),
    )
    .add(
        "GET",
        "/contrats/{id}",
        get(pages::contracts::show_contract),
    )
    .add(
        "GET",
        "/contrats/{id}/contrat.pdf",
        get(pages::contracts::download_pdf),
    )
    .add(
        "GET",
        "/contrats/{id}/contrat.docx",
        get(pages::contracts::download_docx),
    )
    .add(
        "GET",
        "/contrats/{id}/annexe-1.xlsx",
        get(pages::contracts::download_xlsx),
    )
    .add(
        "GET",
        "/contrats/archive.zip",
        get(pages::contracts::download_archive),
    )
    .add(
        "POST",
        "/contrats/{id}/scan",
        post(pages::contracts::upload_scan).layer(upload_limit()),
    )
    .add(
        "GET",
        "/contrats/{id}/fichiers/{file}",
        get(pages::contracts::download_file),
    )
    .add(
        "GET",
        "/contrats/{id}/annexes",
        get(pages::contracts::annexes_form),
    )
    .add(
        "POST",
        "/contrats/{id}/annexes",
        post(pages::contracts::save_annexes),
    )
    .add(
        "POST",
        "/contrats/{id}/calendrier",
        post(pages::contracts::record_event),
    )
    .add(
        "POST",
        "/contrats/{id}/negociateur",
        post(pages::contracts::set_negotiator),
    )
    .add(
        "POST",
        "/contrats/{id}/avenant",
        post(pages::contracts::propose_avenant),
    )
    .add(
        "GET",
        "/contrats/{id}/dossier-revue.pdf",
        get(pages::contracts::review_pack),
    )
    .add(
        "GET",
        "/contrats/{id}/bilan",
        get(pages::contracts::show_scorecard),
    )
    .add(
        "GET",
        "/contrats/{id}/versions/{n}",
        get(pages::contracts::show_version),
    )
    .add(
        "GET",
        "/contrats/{id}/versions/{n}/contrat.pdf",
        get(pages::contracts::download_version_pdf),
    )
    .add(
        "GET",
        "/contrats/modele",
        get(pages::contracts::template_form),
    )
    .add(
        "POST",
        "/contrats/modele",
        post(pages::contracts::save_template),
    )
    .add(
        "POST",
        "/contrats/{id}/etat",
        post(pages::contracts::move_contract),
    )
    .add(
        "POST",
        "/contrats/{id}/commentaires",
        post(pages::contracts::add_comment),
    )
    .add(
        "GET",
        "/contrats/{id}/signature",
        get(pages::contracts::signature_form),
    )
    .add(
        "POST",
        "/contrats/{id}/signature",
        post(pages::contracts::sign_contract),
    )
    .add(
        "POST",
        "/contrats/{id}/engagements",
        post(pages::contracts::add_engagement),
    )
    .add(
        "GET",
        "/contrats/{id}/engagements/{key}",
        get(pages::contracts::engagement_form),
    )
    .add(
        "POST",
        "/contrats/{id}/engagements/{key}",
        post(pages::contracts::save_engagement),
    )
    .add(
        "POST",
        "/contrats/{id}/engagements/{key}/retirer",
        post(pages::contracts::remove_engagement),
    )
    .add("GET", "/registre/ght", get(pages::territories::list_ghts))
    .add(
        "POST",
        "/registre/ght",
        post(pages::territories::create_ght),
    )
    .add(
        "GET",
        "/registre/ght/{code}",
        get(pages::territories::show_ght),
    )
    .add(
        "POST",
        "/registre/ght/{code}/membres",
        post(pages::territories::add_member),
    )
    .add(
        "POST",
        "/registre/ght/{code}/membres/{id}/fin",
        post(pages::territories::end_member),
    )
    .add(
        "GET",
        "/registre/modeles/autorisations.csv",
        get(pages::territories::authorisations_template),
    )
    .add(
        "GET",
        "/registre/modeles/ght.csv",
        get(pages::territories::ght_template),
    )
    .add(
        "GET",
        "/registre/imports",
        get(pages::registry::show_imports),
    )
    .add(
        "POST",
        "/registre/imports",
        post(pages::registry::upload_import).layer(upload_limit()),
    )
    .add(
        "POST",
        "/registre/imports/appliquer",
        post(pages::registry::apply_import),
    )
    // API.
    .add("GET", "/api/v1/openapi.json", get(api::openapi_json))
    .add("GET", "/api/v1/me", get(api::account::get_me))
    .add(
        "POST",
        "/api/v1/me/password",
        post(api::account::change_password),
    )
    .add("GET", "/api/v1/tokens", get(api::account::list_tokens))
    .add("POST", "/api/v1/tokens", post(api::account::create_token))
    .add(
        "DELETE",
        "/api/v1/tokens/{id}",
        delete(api::account::revoke_token),
    )
    .add("GET", "/api/v1/users", get(api::users::list_users))
    .add("POST", "/api/v1/users", post(api::users::create_user))
    .add("GET", "/api/v1/users/{id}", get(api::users::get_user))
    .add(
        "POST",
        "/api/v1/users/{id}/activation",
        post(api::users::set_user_active),
    )
    .add(
        "POST",
        "/api/v1/users/{id}/password-reset",
        post(api::users::reset_user_password),
    )
    .add("GET", "/api/v1/audit", get(api::audit::list_audit))
    .add(
        "GET",
        "/api/v1/legal-entities",
        get(api::registry::list_legal_entities),
    )
    .add(
        "GET",
        "/api/v1/legal-entities/{finess}",
        get(api::registry::get_legal_entity),
    )
    .add(
        "PUT",
        "/api/v1/legal-entities/{finess}/band-override",
        put(api::registry::set_band_override),
    )
    .add(
        "GET",
        "/api/v1/sites/{finess}",
        get(api::registry::get_site),
    )
    .add(
        "POST",
        "/api/v1/legal-entities/{finess}/labels",
        post(api::territories::add_label),
    )
    .add(
        "POST",
        "/api/v1/legal-entities/{finess}/labels/{id}/end",
        post(api::territories::end_label),
    )
    .add(
        "GET",
        "/api/v1/catalogues",
        get(api::catalogues::list_catalogues),
    )
    .add(
        "GET",
        "/api/v1/catalogues/{slug}",
        get(api::catalogues::get_catalogue),
    )
    .add(
        "GET",
        "/api/v1/catalogues/{slug}/applicability/{finess}",
        get(api::catalogues::get_applicability),
    )
    .add(
        "POST",
        "/api/v1/catalogues",
        post(api::catalogues::import_catalogue).layer(DefaultBodyLimit::max(
            crate::services::MAX_CATALOGUE_FILE as usize + 64 * 1024,
        )),
    )
    .add(
        "POST",
        "/api/v1/catalogues/{slug}/publish",
        post(api::catalogues::publish_catalogue),
    )
    .add(
        "POST",
        "/api/v1/catalogues/{slug}/archive",
        post(api::catalogues::archive_catalogue),
    )
    .add(
        "POST",
        "/api/v1/catalogues/{slug}/drafts",
        post(api::catalogues::create_draft),
    )
    .add(
        "POST",
        "/api/v1/catalogues/{slug}/generations",
        post(api::catalogues::create_generation),
    )
    .add(
        "PUT",
        "/api/v1/catalogues/{slug}/header",
        put(api::catalogues::put_header),
    )
    .add(
        "POST",
        "/api/v1/catalogues/{slug}/items/{list}",
        post(api::catalogues::create_item),
    )
    .add(
        "PUT",
        "/api/v1/catalogues/{slug}/items/{list}/{code}",
        put(api::catalogues::put_item),
    )
    .add(
        "DELETE",
        "/api/v1/catalogues/{slug}/items/{list}/{code}",
        delete(api::catalogues::delete_item),
    )
    .add(
        "POST",
        "/api/v1/catalogues/{slug}/items/{list}/{code}/move",
        post(api::catalogues::move_item),
    )
    .add(
        "POST",
        "/api/v1/catalogues/{slug}/items/{list}/{code}/duplicate",
        post(api::catalogues::duplicate_item),
    )
    .add(
        "GET",
        "/api/v1/catalogues/{slug}/indicators/{code}/preview",
        get(api::catalogues::preview_fiche),
    )
    .add(
        "GET",
        "/api/v1/contracts",
        get(api::contracts::list_contracts),
    )
    .add(
        "POST",
        "/api/v1/contracts",
        post(api::contracts::create_contract),
    )
    .add(
        "GET",
        "/api/v1/contracts/{id}",
        get(api::contracts::get_contract),
    )
    .add(
        "GET",
        "/api/v1/contracts/{id}/document.pdf",
        get(api::documents::document_pdf),
    )
    .add(
        "GET",
        "/api/v1/contracts/{id}/document.docx",
        get(api::documents::document_docx),
    )
    .add(
        "GET",
        "/api/v1/contracts/{id}/annex-1.xlsx",
        get(api::documents::annex_xlsx),
    )
    .add(
        "GET",
        "/api/v1/contracts/archive.zip",
        get(api::documents::archive),
    )
    .add(
        "PUT",
        "/api/v1/contracts/{id}/annexes",
        put(api::contracts::put_annexes),
    )
    .add(
        "GET",
        "/api/v1/contracts/{id}/calendar",
        get(api::contracts::get_calendar),
    )
    .add(
        "POST",
        "/api/v1/contracts/{id}/events",
        post(api::contracts::record_event),
    )
    .add("GET", "/api/v1/calendar", get(api::contracts::due_steps))
    .add("GET", "/api/v1/action-plans", get(api::plans::list))
    .add(
        "POST",
        "/api/v1/action-plans",
        post(api::plans::import).layer(upload_limit()),
    )
    .add("GET", "/api/v1/action-plans/{id}", get(api::plans::get))
    .add(
        "GET",
        "/api/v1/action-plans/template.xlsx",
        get(api::plans::template),
    )
    .add(
        "GET",
        "/api/v1/action-plans/{id}/export.xlsx",
        get(api::plans::export),
    )
    .add("GET", "/api/v1/reviews", get(api::reviews::list))
    .add("POST", "/api/v1/reviews", post(api::reviews::create))
    .add("GET", "/api/v1/reviews/{id}", get(api::reviews::get))
    .add("PUT", "/api/v1/reviews/{id}", put(api::reviews::update))
    .add(
        "POST",
        "/api/v1/reviews/{id}/actions",
        post(api::reviews::add_action),
    )
    .add(
        "PUT",
        "/api/v1/reviews/{id}/actions/{action_id}",
        put(api::reviews::update_action),
    )
    .add("GET", "/api/v1/campaigns", get(api::campaigns::list))
    .add("POST", "/api/v1/campaigns", post(api::campaigns::open))
    .add("GET", "/api/v1/campaigns/{id}", get(api::campaigns::get))
    .add(
        "POST",
        "/api/v1/campaigns/{id}/close",
        post(api::campaigns::close),
    )
    .add(
        "GET",
        "/api/v1/campaigns/{id}/declarations",
        get(api::campaigns::declarations),
    )
    .add(
        "POST",
        "/api/v1/campaigns/{id}/validate",
        post(api::campaigns::validate_bulk),
    )
    .add(
        "GET",
        "/api/v1/campaigns/{id}/values",
        get(api::campaigns::value_imports),
    )
    .add(
        "GET",
        "/api/v1/campaigns/{id}/dashboard",
        get(api::campaigns::dashboard),
    )
    .add(
        "GET",
        "/api/v1/campaigns/{id}/export.xlsx",
        get(api::campaigns::export),
    )
    .add(
        "POST",
        "/api/v1/campaigns/{id}/values",
        post(api::campaigns::load_values).layer(upload_limit()),
    )
    .add(
        "GET",
        "/api/v1/campaigns/{id}/values/template.xlsx",
        get(api::campaigns::values_template),
    )
    .add(
        "GET",
        "/api/v1/declarations/{id}",
        get(api::campaigns::declaration),
    )
    .add(
        "POST",
        "/api/v1/declarations/{id}/steps",
        post(api::campaigns::step),
    )
    .add(
        "POST",
        "/api/v1/declarations/{id}/evidence",
        post(api::campaigns::upload_evidence).layer(upload_limit()),
    )
    .add(
        "POST",
        "/api/v1/declarations/{id}/evidence/link",
        post(api::campaigns::link_evidence),
    )
    .add(
        "GET",
        "/api/v1/declarations/{id}/evidence/{evidence}",
        get(api::campaigns::download_evidence),
    )
    .add(
        "GET",
        "/api/v1/notifications",
        get(api::notifications::list),
    )
    .add(
        "POST",
        "/api/v1/notifications/read",
        post(api::notifications::mark_read),
    )
    .add(
        "PUT",
        "/api/v1/contracts/{id}/negotiator",
        put(api::contracts::put_negotiator),
    )
    .add(
        "POST",
        "/api/v1/contracts/{id}/avenant",
        post(api::contracts::propose_avenant),
    )
    .add(
        "GET",
        "/api/v1/contracts/{id}/review-pack.pdf",
        get(api::contracts::review_pack),
    )
    .add(
        "GET",
        "/api/v1/contracts/{id}/scorecard",
        get(api::contracts::scorecard),
    )
    .add(
        "GET",
        "/api/v1/contracts/{id}/versions",
        get(api::contracts::list_versions),
    )
    .add(
        "GET",
        "/api/v1/contracts/{id}/versions/{n}/document.pdf",
        get(api::documents::version_pdf),
    )
    .add(
        "GET",
        "/api/v1/contracts/{id}/files",
        get(api::documents::list_files),
    )
    .add(
        "POST",
        "/api/v1/contracts/{id}/files",
        post(api::documents::upload_file).layer(upload_limit()),
    )
    .add(
        "GET",
        "/api/v1/contracts/{id}/files/{file}",
        get(api::documents::get_file),
    )
    .add(
        "GET",
        "/api/v1/regions/{code}/contract-template",
        get(api::documents::get_template),
    )
    .add(
        "PUT",
        "/api/v1/regions/{code}/contract-template",
        put(api::documents::put_template),
    )
    .add(
        "POST",
        "/api/v1/contracts/{id}/transition",
        post(api::contracts::move_contract),
    )
    .add(
        "GET",
        "/api/v1/contracts/{id}/comments",
        get(api::contracts::list_comments),
    )
    .add(
        "POST",
        "/api/v1/contracts/{id}/comments",
        post(api::contracts::add_comment),
    )
    .add(
        "POST",
        "/api/v1/contracts/{id}/signature",
        post(api::contracts::sign_contract),
    )
    .add(
        "POST",
        "/api/v1/contracts/{id}/engagements",
        post(api::contracts::add_engagement),
    )
    .add(
        "PUT",
        "/api/v1/contracts/{id}/engagements/{key}",
        put(api::contracts::put_engagement),
    )
    .add(
        "DELETE",
        "/api/v1/contracts/{id}/engagements/{key}",
        delete(api::contracts::delete_engagement),
    )
    .add("GET", "/api/v1/ghts", get(api::territories::list_ghts))
    .add("POST", "/api/v1/ghts", post(api::territories::create_ght))
    .add("GET", "/api/v1/ghts/{code}", get(api::territories::get_ght))
    .add(
        "POST",
        "/api/v1/ghts/{code}/members",
        post(api::territories::add_ght_member),
    )
    .add(
        "POST",
        "/api/v1/ghts/{code}/members/{id}/end",
        post(api::territories::end_ght_member),
    )
    .add("GET", "/api/v1/imports", get(api::registry::list_imports))
    .add(
        "GET",
        "/api/v1/regions/{code}/band-settings",
        get(api::settings::get_band_settings),
    )
    .add(
        "PUT",
        "/api/v1/regions/{code}/band-settings",
        put(api::settings::set_band_settings),
    )
    .add(
        "POST",
        "/api/v1/imports",
        post(api::registry::import_file).layer(upload_limit()),
    )
}

/// Body limit of the upload routes.
fn upload_limit() -> DefaultBodyLimit {
    DefaultBodyLimit::max(crate::upload::MAX_UPLOAD)
}

/// The declared routes, for tests and documentation.
pub fn route_specs() -> Vec<RouteSpec> {
    table().specs
}
