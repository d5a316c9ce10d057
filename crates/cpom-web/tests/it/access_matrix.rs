//! The access matrix: every route × every role (and anonymous) × own / foreign resource,
//! with the expected status. A route of the route table without an entry here fails the
//! test, so that no route is added without deciding who may use it.

use cpom_web::route_specs;
use reqwest::{Method, StatusCode};

use crate::support::{Agent, Backend, FOREIGN_EJ, OWN_EJ, ROLES, TestApp, backends};

/// Who makes the request: index 0 is anonymous, then [`ROLES`] in order.
const WHO: [&str; 7] = [
    "anonymous",
    ROLES[0],
    ROLES[1],
    ROLES[2],
    ROLES[3],
    ROLES[4],
    ROLES[5],
];

/// Expected statuses for [anonymous, national-admin, ars-admin, ars-referent,
/// establishment-leader, establishment-contributor, observer].
type Row = [u16; 7];

/// How a request is sent.
#[derive(Clone, Copy)]
enum Kind {
    Page,
    Form,
    Api,
    /// A multipart file upload (page or API).
    Upload,
}

/// Which resource `{id}` designates.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Target {
    /// No id in the path, or the own resource.
    Own,
    /// A resource of a foreign region.
    Foreign,
}

struct Case {
    method: &'static str,
    path: &'static str,
    kind: Kind,
    own: Row,
    /// For routes with an `{id}`: expected statuses on a foreign resource.
    foreign: Option<Row>,
}

const fn case(
    method: &'static str,
    path: &'static str,
    kind: Kind,
    own: Row,
    foreign: Option<Row>,
) -> Case {
    Case {
        method,
        path,
        kind,
        own,
        foreign,
    }
}

const ALL_OK: Row = [200; 7];
const SIGNED_IN_200: Row = [303, 200, 200, 200, 200, 200, 200];
const API_SIGNED_IN_200: Row = [401, 200, 200, 200, 200, 200, 200];
const USER_ADMINS_200: Row = [303, 200, 200, 403, 200, 403, 403];
const API_USER_ADMINS_200: Row = [401, 200, 200, 403, 200, 403, 403];
const IMPORTERS_200: Row = [303, 200, 200, 403, 403, 403, 403];
const API_IMPORTERS_200: Row = [401, 200, 200, 403, 403, 403, 403];
/// A legal entity (or its site) of another region: only the national administrator sees it.
const FOREIGN_ENTITY: Row = [303, 200, 404, 404, 404, 404, 404];
const API_FOREIGN_ENTITY: Row = [401, 200, 404, 404, 404, 404, 404];
/// A registry edit (labels, GHT members) in the own region: administrators only, the others
/// see the record but may not change it.
const EDITORS_303: Row = [303, 303, 303, 403, 403, 403, 403];
const API_EDITORS_201: Row = [401, 201, 201, 403, 403, 403, 403];
const API_EDITORS_200: Row = [401, 200, 200, 403, 403, 403, 403];
/// The same edit on a record of another region: only the national administrator finds it.
const FOREIGN_EDIT_303: Row = [303, 303, 404, 404, 404, 404, 404];
const API_FOREIGN_EDIT_201: Row = [401, 201, 404, 404, 404, 404, 404];

/// A catalogue change by its region's administrators, refused for the request's content.
const EDITOR_409: Row = [303, 409, 409, 403, 403, 403, 403];
const FOREIGN_EDITOR_409: Row = [303, 409, 404, 404, 404, 404, 404];
const EDITOR_422: Row = [303, 422, 422, 403, 403, 403, 403];
const FOREIGN_EDITOR_422: Row = [303, 422, 404, 404, 404, 404, 404];
const API_EDITOR_422: Row = [401, 422, 422, 403, 403, 403, 403];
const API_FOREIGN_EDITOR_422: Row = [401, 422, 404, 404, 404, 404, 404];

/// Contracts: prepared by the agency, read by the entity, by observers once signed.
const PREPARERS_200: Row = [303, 200, 200, 200, 403, 403, 403];
const PREPARERS_422: Row = [303, 422, 422, 422, 403, 403, 403];
const API_PREPARERS_422: Row = [401, 422, 422, 422, 403, 403, 403];
/// The engagement form: the agency; the establishment reads the contract but not this form;
/// observers do not see a contract in preparation.
const PREPARERS_200_HIDDEN: Row = [303, 200, 200, 200, 403, 403, 404];
/// A signature on a contract that is not ready to sign.
const NOT_READY_403: Row = [303, 403, 403, 403, 403, 403, 404];
const FOREIGN_NOT_READY_403: Row = [303, 403, 404, 404, 404, 404, 404];
const API_NOT_READY_403: Row = [401, 403, 403, 403, 403, 403, 404];
const API_FOREIGN_NOT_READY_403: Row = [401, 403, 404, 404, 404, 404, 404];
const COMMENTERS_422: Row = [303, 422, 422, 422, 422, 422, 404];
const API_COMMENTERS_422: Row = [401, 422, 422, 422, 422, 422, 404];
const CONTRACT_READERS_200: Row = [303, 200, 200, 200, 200, 200, 404];
const API_CONTRACT_READERS_200: Row = [401, 200, 200, 200, 200, 200, 404];
const CONTRACT_MOVERS_422: Row = [303, 422, 422, 422, 403, 403, 404];
const API_CONTRACT_MOVERS_422: Row = [401, 422, 422, 422, 403, 403, 404];
/// A plan's item followed by the region's administrators and the plan's editors (the
/// observer), refused for the request's content; read only by the referent.
const PLAN_EDITORS_422: Row = [303, 422, 422, 403, 404, 404, 422];
const API_PLAN_EDITORS_422: Row = [401, 422, 422, 403, 404, 404, 422];

fn matrix() -> Vec<Case> {
    use Kind::*;
    vec![
        case("GET", "/healthz", Page, ALL_OK, None),
        case("GET", "/readyz", Page, ALL_OK, None),
        case("GET", "/static/{*path}", Page, ALL_OK, None),
        case(
            "GET",
            "/connexion",
            Page,
            [200, 303, 303, 303, 303, 303, 303],
            None,
        ),
        case("POST", "/connexion", Form, [401; 7], None),
        case("GET", "/", Page, SIGNED_IN_200, None),
        case("GET", "/mon-compte", Page, SIGNED_IN_200, None),
        case(
            "POST",
            "/mon-compte/mot-de-passe",
            Form,
            [303, 422, 422, 422, 422, 422, 422],
            None,
        ),
        case("POST", "/mon-compte/jetons", Form, SIGNED_IN_200, None),
        case(
            "POST",
            "/mon-compte/jetons/{id}/revoquer",
            Form,
            SIGNED_IN_200,
            Some([303, 404, 404, 404, 404, 404, 404]),
        ),
        case("GET", "/admin/utilisateurs", Page, USER_ADMINS_200, None),
        case(
            "POST",
            "/admin/utilisateurs",
            Form,
            [303, 201, 201, 403, 201, 403, 403],
            Some([303, 201, 403, 403, 403, 403, 403]),
        ),
        case(
            "GET",
            "/admin/utilisateurs/nouveau",
            Page,
            USER_ADMINS_200,
            None,
        ),
        case(
            "GET",
            "/admin/utilisateurs/{id}",
            Page,
            USER_ADMINS_200,
            Some([303, 200, 404, 403, 404, 403, 403]),
        ),
        case(
            "POST",
            "/admin/utilisateurs/{id}/activation",
            Form,
            [303, 303, 303, 403, 303, 403, 403],
            Some([303, 303, 404, 403, 404, 403, 403]),
        ),
        case(
            "POST",
            "/admin/utilisateurs/{id}/mot-de-passe",
            Form,
            USER_ADMINS_200,
            Some([303, 200, 404, 403, 404, 403, 403]),
        ),
        case(
            "GET",
            "/admin/journal",
            Page,
            [303, 200, 200, 403, 403, 403, 403],
            None,
        ),
        case("GET", "/registre", Page, SIGNED_IN_200, None),
        case(
            "GET",
            "/registre/ej/{finess}",
            Page,
            SIGNED_IN_200,
            Some(FOREIGN_ENTITY),
        ),
        case(
            "POST",
            "/registre/ej/{finess}/tranche",
            Form,
            [303, 303, 303, 403, 403, 403, 403],
            Some([303, 303, 404, 404, 404, 404, 404]),
        ),
        case(
            "GET",
            "/registre/et/{finess}",
            Page,
            SIGNED_IN_200,
            Some(FOREIGN_ENTITY),
        ),
        case(
            "POST",
            "/registre/ej/{finess}/labels",
            Form,
            EDITORS_303,
            Some(FOREIGN_EDIT_303),
        ),
        case(
            "POST",
            "/registre/ej/{finess}/labels/{id}/fin",
            Form,
            EDITORS_303,
            Some(FOREIGN_EDIT_303),
        ),
        case("GET", "/referentiels", Page, SIGNED_IN_200, None),
        case("GET", "/referentiels/importer", Page, IMPORTERS_200, None),
        // The upload is a FINESS CSV, not a catalogue: refused with its place (422).
        case(
            "POST",
            "/referentiels/importer",
            Upload,
            [303, 422, 422, 403, 403, 403, 403],
            None,
        ),
        // No version given: the administrators of the region get 422.
        case(
            "POST",
            "/referentiels/{slug}/publier",
            Form,
            [303, 422, 422, 403, 403, 403, 403],
            Some([303, 422, 404, 404, 404, 404, 404]),
        ),
        case(
            "POST",
            "/referentiels/{slug}/archiver",
            Form,
            [303, 422, 422, 403, 403, 403, 403],
            Some([303, 422, 404, 404, 404, 404, 404]),
        ),
        case(
            "GET",
            "/referentiels/{slug}",
            Page,
            SIGNED_IN_200,
            Some(FOREIGN_ENTITY),
        ),
        // The editor on a published catalogue: its administrators are told to make a new
        // version (409); a new version or generation without the version read: 422.
        case(
            "GET",
            "/referentiels/{slug}/modifier",
            Page,
            EDITOR_409,
            Some(FOREIGN_EDITOR_409),
        ),
        case(
            "POST",
            "/referentiels/{slug}/modifier",
            Form,
            EDITOR_409,
            Some(FOREIGN_EDITOR_409),
        ),
        case(
            "POST",
            "/referentiels/{slug}/nouvelle-version",
            Form,
            EDITOR_422,
            Some(FOREIGN_EDITOR_422),
        ),
        case(
            "GET",
            "/referentiels/{slug}/nouvelle-generation",
            Page,
            IMPORTERS_200,
            Some(FOREIGN_ENTITY),
        ),
        case(
            "POST",
            "/referentiels/{slug}/nouvelle-generation",
            Form,
            EDITOR_422,
            Some(FOREIGN_EDITOR_422),
        ),
        case(
            "GET",
            "/referentiels/{slug}/elements/{list}/nouveau",
            Page,
            EDITOR_409,
            Some(FOREIGN_EDITOR_409),
        ),
        case(
            "POST",
            "/referentiels/{slug}/elements/{list}/nouveau",
            Form,
            EDITOR_409,
            Some(FOREIGN_EDITOR_409),
        ),
        case(
            "GET",
            "/referentiels/{slug}/elements/{list}/{code}",
            Page,
            EDITOR_409,
            Some(FOREIGN_EDITOR_409),
        ),
        case(
            "POST",
            "/referentiels/{slug}/elements/{list}/{code}",
            Form,
            EDITOR_409,
            Some(FOREIGN_EDITOR_409),
        ),
        case(
            "POST",
            "/referentiels/{slug}/elements/{list}/{code}/supprimer",
            Form,
            EDITOR_422,
            Some(FOREIGN_EDITOR_422),
        ),
        case(
            "POST",
            "/referentiels/{slug}/elements/{list}/{code}/deplacer",
            Form,
            EDITOR_422,
            Some(FOREIGN_EDITOR_422),
        ),
        case(
            "POST",
            "/referentiels/{slug}/elements/{list}/{code}/dupliquer",
            Form,
            EDITOR_422,
            Some(FOREIGN_EDITOR_422),
        ),
        case(
            "GET",
            "/referentiels/{slug}/fiches/{fiche}",
            Page,
            SIGNED_IN_200,
            Some(FOREIGN_ENTITY),
        ),
        case(
            "GET",
            "/referentiels/{slug}/applicabilite",
            Page,
            SIGNED_IN_200,
            Some(FOREIGN_ENTITY),
        ),
        case(
            "GET",
            "/referentiels/{slug}/telecharger.toml",
            Page,
            SIGNED_IN_200,
            Some(FOREIGN_ENTITY),
        ),
        case(
            "GET",
            "/referentiels/{slug}/telecharger.xlsx",
            Page,
            SIGNED_IN_200,
            Some(FOREIGN_ENTITY),
        ),
        case("GET", "/contrats", Page, SIGNED_IN_200, None),
        case("GET", "/contrats/nouveau", Page, PREPARERS_200, None),
        // Without an entity: the agency's users get 422.
        case("POST", "/contrats", Form, PREPARERS_422, None),
        // A contract in preparation: observers read signed contracts only.
        case(
            "GET",
            "/contrats/{id}",
            Page,
            CONTRACT_READERS_200,
            Some(FOREIGN_ENTITY),
        ),
        // No state asked: the agency gets 422, the establishment may make no move yet.
        case(
            "POST",
            "/contrats/{id}/etat",
            Form,
            CONTRACT_MOVERS_422,
            Some(FOREIGN_EDITOR_422),
        ),
        case(
            "POST",
            "/contrats/{id}/engagements",
            Form,
            CONTRACT_MOVERS_422,
            Some(FOREIGN_EDITOR_422),
        ),
        case(
            "GET",
            "/contrats/{id}/engagements/{key}",
            Page,
            PREPARERS_200_HIDDEN,
            Some(FOREIGN_ENTITY),
        ),
        case(
            "POST",
            "/contrats/{id}/engagements/{key}",
            Form,
            CONTRACT_MOVERS_422,
            Some(FOREIGN_EDITOR_422),
        ),
        case(
            "POST",
            "/contrats/{id}/engagements/{key}/retirer",
            Form,
            CONTRACT_MOVERS_422,
            Some(FOREIGN_EDITOR_422),
        ),
        case(
            "POST",
            "/api/v1/contracts/{id}/engagements",
            Api,
            API_CONTRACT_MOVERS_422,
            Some(API_FOREIGN_EDITOR_422),
        ),
        case(
            "PUT",
            "/api/v1/contracts/{id}/engagements/{key}",
            Api,
            API_CONTRACT_MOVERS_422,
            Some(API_FOREIGN_EDITOR_422),
        ),
        case(
            "DELETE",
            "/api/v1/contracts/{id}/engagements/{key}",
            Api,
            API_CONTRACT_MOVERS_422,
            Some(API_FOREIGN_EDITOR_422),
        ),
        // The contract is in preparation: nobody may sign it yet.
        case(
            "GET",
            "/contrats/{id}/signature",
            Page,
            NOT_READY_403,
            Some(FOREIGN_NOT_READY_403),
        ),
        case(
            "POST",
            "/contrats/{id}/signature",
            Form,
            NOT_READY_403,
            Some(FOREIGN_NOT_READY_403),
        ),
        case(
            "POST",
            "/api/v1/contracts/{id}/signature",
            Api,
            API_NOT_READY_403,
            Some(API_FOREIGN_NOT_READY_403),
        ),
        // An empty comment: both sides get 422; observers do not see the contract.
        case(
            "POST",
            "/contrats/{id}/commentaires",
            Form,
            COMMENTERS_422,
            Some(FOREIGN_EDITOR_422),
        ),
        case(
            "GET",
            "/api/v1/contracts/{id}/comments",
            Api,
            API_CONTRACT_READERS_200,
            Some(API_FOREIGN_ENTITY),
        ),
        case(
            "POST",
            "/api/v1/contracts/{id}/comments",
            Api,
            API_COMMENTERS_422,
            Some(API_FOREIGN_EDITOR_422),
        ),
        case("GET", "/api/v1/contracts", Api, API_SIGNED_IN_200, None),
        case("POST", "/api/v1/contracts", Api, API_PREPARERS_422, None),
        case(
            "GET",
            "/api/v1/contracts/{id}",
            Api,
            API_CONTRACT_READERS_200,
            Some(API_FOREIGN_ENTITY),
        ),
        case(
            "POST",
            "/api/v1/contracts/{id}/transition",
            Api,
            API_CONTRACT_MOVERS_422,
            Some(API_FOREIGN_EDITOR_422),
        ),
        case("GET", "/registre/ght", Page, SIGNED_IN_200, None),
        case(
            "POST",
            "/registre/ght",
            Form,
            EDITORS_303,
            Some([303, 303, 403, 403, 403, 403, 403]),
        ),
        case(
            "GET",
            "/registre/ght/{code}",
            Page,
            SIGNED_IN_200,
            Some(FOREIGN_ENTITY),
        ),
        case(
            "POST",
            "/registre/ght/{code}/membres",
            Form,
            EDITORS_303,
            Some(FOREIGN_EDIT_303),
        ),
        case(
            "POST",
            "/registre/ght/{code}/membres/{id}/fin",
            Form,
            EDITORS_303,
            Some(FOREIGN_EDIT_303),
        ),
        case(
            "GET",
            "/registre/modeles/autorisations.csv",
            Page,
            IMPORTERS_200,
            None,
        ),
        case(
            "GET",
            "/registre/modeles/ght.csv",
            Page,
            IMPORTERS_200,
            None,
        ),
        case("GET", "/registre/imports", Page, IMPORTERS_200, None),
        case("GET", "/registre/parametres", Page, IMPORTERS_200, None),
        case(
            "POST",
            "/registre/parametres",
            Form,
            [303, 303, 303, 403, 403, 403, 403],
            Some([303, 303, 403, 403, 403, 403, 403]),
        ),
        case("POST", "/registre/imports", Upload, IMPORTERS_200, None),
        case(
            "POST",
            "/registre/imports/appliquer",
            Form,
            [303, 409, 409, 403, 403, 403, 403],
            None,
        ),
        case("GET", "/api/v1/openapi.json", Api, ALL_OK, None),
        case("GET", "/api/v1/me", Api, API_SIGNED_IN_200, None),
        case(
            "POST",
            "/api/v1/me/password",
            Api,
            [401, 422, 422, 422, 422, 422, 422],
            None,
        ),
        case("GET", "/api/v1/tokens", Api, API_SIGNED_IN_200, None),
        case(
            "POST",
            "/api/v1/tokens",
            Api,
            [401, 201, 201, 201, 201, 201, 201],
            None,
        ),
        case(
            "DELETE",
            "/api/v1/tokens/{id}",
            Api,
            API_SIGNED_IN_200,
            Some([401, 404, 404, 404, 404, 404, 404]),
        ),
        case("GET", "/api/v1/users", Api, API_USER_ADMINS_200, None),
        case(
            "POST",
            "/api/v1/users",
            Api,
            [401, 201, 201, 403, 201, 403, 403],
            Some([401, 201, 403, 403, 403, 403, 403]),
        ),
        case(
            "GET",
            "/api/v1/users/{id}",
            Api,
            API_USER_ADMINS_200,
            Some([401, 200, 404, 403, 404, 403, 403]),
        ),
        case(
            "POST",
            "/api/v1/users/{id}/activation",
            Api,
            API_USER_ADMINS_200,
            Some([401, 200, 404, 403, 404, 403, 403]),
        ),
        case(
            "POST",
            "/api/v1/users/{id}/password-reset",
            Api,
            API_USER_ADMINS_200,
            Some([401, 200, 404, 403, 404, 403, 403]),
        ),
        case(
            "GET",
            "/api/v1/audit",
            Api,
            [401, 200, 200, 403, 403, 403, 403],
            None,
        ),
        case(
            "GET",
            "/api/v1/legal-entities",
            Api,
            API_SIGNED_IN_200,
            None,
        ),
        case(
            "GET",
            "/api/v1/legal-entities/{finess}",
            Api,
            API_SIGNED_IN_200,
            Some(API_FOREIGN_ENTITY),
        ),
        case(
            "PUT",
            "/api/v1/legal-entities/{finess}/band-override",
            Api,
            API_IMPORTERS_200,
            Some([401, 200, 404, 404, 404, 404, 404]),
        ),
        case(
            "GET",
            "/api/v1/sites/{finess}",
            Api,
            API_SIGNED_IN_200,
            Some(API_FOREIGN_ENTITY),
        ),
        case(
            "POST",
            "/api/v1/legal-entities/{finess}/labels",
            Api,
            API_EDITORS_201,
            Some(API_FOREIGN_EDIT_201),
        ),
        case(
            "POST",
            "/api/v1/legal-entities/{finess}/labels/{id}/end",
            Api,
            API_EDITORS_200,
            Some(API_FOREIGN_ENTITY),
        ),
        case("GET", "/api/v1/catalogues", Api, API_SIGNED_IN_200, None),
        case(
            "POST",
            "/api/v1/catalogues",
            Upload,
            [401, 422, 422, 403, 403, 403, 403],
            None,
        ),
        case(
            "POST",
            "/api/v1/catalogues/{slug}/publish",
            Api,
            [401, 422, 422, 403, 403, 403, 403],
            Some([401, 422, 404, 404, 404, 404, 404]),
        ),
        case(
            "POST",
            "/api/v1/catalogues/{slug}/archive",
            Api,
            [401, 422, 422, 403, 403, 403, 403],
            Some([401, 422, 404, 404, 404, 404, 404]),
        ),
        case(
            "GET",
            "/api/v1/catalogues/{slug}",
            Api,
            API_SIGNED_IN_200,
            Some(API_FOREIGN_ENTITY),
        ),
        case(
            "POST",
            "/api/v1/catalogues/{slug}/drafts",
            Api,
            API_EDITOR_422,
            Some(API_FOREIGN_EDITOR_422),
        ),
        case(
            "POST",
            "/api/v1/catalogues/{slug}/generations",
            Api,
            API_EDITOR_422,
            Some(API_FOREIGN_EDITOR_422),
        ),
        case(
            "PUT",
            "/api/v1/catalogues/{slug}/header",
            Api,
            API_EDITOR_422,
            Some(API_FOREIGN_EDITOR_422),
        ),
        case(
            "POST",
            "/api/v1/catalogues/{slug}/items/{list}",
            Api,
            API_EDITOR_422,
            Some(API_FOREIGN_EDITOR_422),
        ),
        case(
            "PUT",
            "/api/v1/catalogues/{slug}/items/{list}/{code}",
            Api,
            API_EDITOR_422,
            Some(API_FOREIGN_EDITOR_422),
        ),
        case(
            "DELETE",
            "/api/v1/catalogues/{slug}/items/{list}/{code}",
            Api,
            API_EDITOR_422,
            Some(API_FOREIGN_EDITOR_422),
        ),
        case(
            "POST",
            "/api/v1/catalogues/{slug}/items/{list}/{code}/move",
            Api,
            API_EDITOR_422,
            Some(API_FOREIGN_EDITOR_422),
        ),
        case(
            "POST",
            "/api/v1/catalogues/{slug}/items/{list}/{code}/duplicate",
            Api,
            API_EDITOR_422,
            Some(API_FOREIGN_EDITOR_422),
        ),
        case(
            "GET",
            "/api/v1/catalogues/{slug}/indicators/{code}/preview",
            Api,
            API_SIGNED_IN_200,
            Some(API_FOREIGN_ENTITY),
        ),
        case(
            "GET",
            "/api/v1/catalogues/{slug}/applicability/{finess}",
            Api,
            API_SIGNED_IN_200,
            Some(API_FOREIGN_ENTITY),
        ),
        case("GET", "/api/v1/ghts", Api, API_SIGNED_IN_200, None),
        case(
            "POST",
            "/api/v1/ghts",
            Api,
            API_EDITORS_201,
            Some([401, 201, 403, 403, 403, 403, 403]),
        ),
        case(
            "GET",
            "/api/v1/ghts/{code}",
            Api,
            API_SIGNED_IN_200,
            Some(API_FOREIGN_ENTITY),
        ),
        case(
            "POST",
            "/api/v1/ghts/{code}/members",
            Api,
            API_EDITORS_201,
            Some(API_FOREIGN_EDIT_201),
        ),
        case(
            "POST",
            "/api/v1/ghts/{code}/members/{id}/end",
            Api,
            API_EDITORS_200,
            Some(API_FOREIGN_ENTITY),
        ),
        case("GET", "/api/v1/imports", Api, API_IMPORTERS_200, None),
        case(
            "GET",
            "/api/v1/regions/{code}/band-settings",
            Api,
            API_IMPORTERS_200,
            Some([401, 200, 403, 403, 403, 403, 403]),
        ),
        case(
            "PUT",
            "/api/v1/regions/{code}/band-settings",
            Api,
            API_IMPORTERS_200,
            Some([401, 200, 403, 403, 403, 403, 403]),
        ),
        // Documents: whoever reads the contract downloads it; the observers read signed
        // contracts only.
        case(
            "GET",
            "/contrats/{id}/contrat.pdf",
            Page,
            CONTRACT_READERS_200,
            Some(FOREIGN_ENTITY),
        ),
        case(
            "GET",
            "/contrats/{id}/contrat.docx",
            Page,
            CONTRACT_READERS_200,
            Some(FOREIGN_ENTITY),
        ),
        case(
            "GET",
            "/contrats/{id}/annexe-1.xlsx",
            Page,
            CONTRACT_READERS_200,
            Some(FOREIGN_ENTITY),
        ),
        case(
            "GET",
            "/api/v1/contracts/{id}/document.pdf",
            Api,
            API_CONTRACT_READERS_200,
            Some(API_FOREIGN_ENTITY),
        ),
        case(
            "GET",
            "/api/v1/contracts/{id}/document.docx",
            Api,
            API_CONTRACT_READERS_200,
            Some(API_FOREIGN_ENTITY),
        ),
        case(
            "GET",
            "/api/v1/contracts/{id}/annex-1.xlsx",
            Api,
            API_CONTRACT_READERS_200,
            Some(API_FOREIGN_ENTITY),
        ),
        case(
            "GET",
            "/api/v1/contracts/{id}/files",
            Api,
            API_CONTRACT_READERS_200,
            Some(API_FOREIGN_ENTITY),
        ),
        // No such file: 404 for everyone who may read the contract.
        case(
            "GET",
            "/contrats/{id}/fichiers/{file}",
            Page,
            [303, 404, 404, 404, 404, 404, 404],
            Some([303, 404, 404, 404, 404, 404, 404]),
        ),
        case(
            "GET",
            "/api/v1/contracts/{id}/files/{file}",
            Api,
            [401, 404, 404, 404, 404, 404, 404],
            Some([401, 404, 404, 404, 404, 404, 404]),
        ),
        // The signed scan: the agency of the region, once signed (the contract is in
        // preparation: 409); the establishment may not; observers do not see it.
        case(
            "POST",
            "/contrats/{id}/scan",
            Upload,
            [303, 409, 409, 409, 403, 403, 404],
            Some([303, 409, 404, 404, 404, 404, 404]),
        ),
        case(
            "POST",
            "/api/v1/contracts/{id}/files",
            Upload,
            [401, 409, 409, 409, 403, 403, 404],
            Some([401, 409, 404, 404, 404, 404, 404]),
        ),
        // An avenant: the agency of the region (no version read: 422); no earlier version
        // yet (404).
        case(
            "POST",
            "/contrats/{id}/avenant",
            Form,
            CONTRACT_MOVERS_422,
            Some(FOREIGN_EDITOR_422),
        ),
        case(
            "POST",
            "/api/v1/contracts/{id}/avenant",
            Api,
            API_CONTRACT_MOVERS_422,
            Some(API_FOREIGN_EDITOR_422),
        ),
        case(
            "GET",
            "/api/v1/contracts/{id}/versions",
            Api,
            API_CONTRACT_READERS_200,
            Some(API_FOREIGN_ENTITY),
        ),
        // The scorecard: whoever reads the contract.
        case(
            "GET",
            "/contrats/{id}/bilan",
            Page,
            CONTRACT_READERS_200,
            Some(FOREIGN_ENTITY),
        ),
        case(
            "GET",
            "/api/v1/contracts/{id}/scorecard",
            Api,
            API_CONTRACT_READERS_200,
            Some(API_FOREIGN_ENTITY),
        ),
        case(
            "GET",
            "/contrats/{id}/versions/{n}",
            Page,
            [303, 404, 404, 404, 404, 404, 404],
            Some([303, 404, 404, 404, 404, 404, 404]),
        ),
        case(
            "GET",
            "/contrats/{id}/versions/{n}/contrat.pdf",
            Page,
            [303, 404, 404, 404, 404, 404, 404],
            Some([303, 404, 404, 404, 404, 404, 404]),
        ),
        case(
            "GET",
            "/api/v1/contracts/{id}/versions/{n}/document.pdf",
            Api,
            [401, 404, 404, 404, 404, 404, 404],
            Some([401, 404, 404, 404, 404, 404, 404]),
        ),
        // The negotiator: given by the agency (no version read: 422).
        case(
            "POST",
            "/contrats/{id}/negociateur",
            Form,
            CONTRACT_MOVERS_422,
            Some(FOREIGN_EDITOR_422),
        ),
        case(
            "PUT",
            "/api/v1/contracts/{id}/negotiator",
            Api,
            API_CONTRACT_MOVERS_422,
            Some(API_FOREIGN_EDITOR_422),
        ),
        // Campaigns: opened and closed by the region's administrators; the declarations of
        // another legal entity (here all of them) are out of the own entity's sight.
        case("GET", "/campagnes", Page, SIGNED_IN_200, None),
        case(
            "POST",
            "/campagnes",
            Form,
            [303, 422, 422, 403, 403, 403, 403],
            None,
        ),
        case(
            "GET",
            "/campagnes/{id}",
            Page,
            [303, 200, 200, 200, 404, 404, 200],
            None,
        ),
        case(
            "POST",
            "/campagnes/{id}/cloture",
            Form,
            [303, 422, 422, 403, 404, 404, 403],
            None,
        ),
        case(
            "POST",
            "/campagnes/{id}/validation",
            Form,
            [303, 422, 422, 422, 404, 404, 403],
            None,
        ),
        case(
            "POST",
            "/api/v1/campaigns/{id}/validate",
            Api,
            [401, 422, 422, 422, 404, 404, 403],
            None,
        ),
        // Values of the agency: loaded by its administrators, the imports read by its
        // referents too; an empty source is refused (422), no preview to apply (409).
        case(
            "GET",
            "/campagnes/{id}/valeurs",
            Page,
            [303, 200, 200, 200, 404, 404, 403],
            None,
        ),
        case(
            "POST",
            "/campagnes/{id}/valeurs",
            Upload,
            [303, 422, 422, 403, 404, 404, 403],
            None,
        ),
        case(
            "POST",
            "/campagnes/{id}/valeurs/appliquer",
            Form,
            [303, 409, 409, 403, 404, 404, 403],
            None,
        ),
        case(
            "GET",
            "/campagnes/{id}/valeurs/modele.xlsx",
            Page,
            [303, 200, 200, 403, 404, 404, 403],
            None,
        ),
        // The dashboard: whoever sees the campaign, over the declarations it sees.
        case(
            "GET",
            "/campagnes/{id}/tableau-de-bord",
            Page,
            [303, 200, 200, 200, 404, 404, 200],
            None,
        ),
        case(
            "GET",
            "/api/v1/campaigns/{id}/dashboard",
            Api,
            [401, 200, 200, 200, 404, 404, 200],
            None,
        ),
        case(
            "GET",
            "/campagnes/{id}/export.xlsx",
            Page,
            [303, 200, 200, 200, 404, 404, 200],
            None,
        ),
        case(
            "GET",
            "/api/v1/campaigns/{id}/export.xlsx",
            Api,
            [401, 200, 200, 200, 404, 404, 200],
            None,
        ),
        case(
            "GET",
            "/api/v1/campaigns/{id}/values",
            Api,
            [401, 200, 200, 200, 404, 404, 403],
            None,
        ),
        case(
            "POST",
            "/api/v1/campaigns/{id}/values",
            Upload,
            [401, 422, 422, 403, 404, 404, 403],
            None,
        ),
        case(
            "GET",
            "/api/v1/campaigns/{id}/values/template.xlsx",
            Api,
            [401, 200, 200, 403, 404, 404, 403],
            None,
        ),
        case(
            "GET",
            "/declarations/{id}",
            Page,
            [303, 200, 200, 200, 404, 404, 200],
            None,
        ),
        case(
            "POST",
            "/declarations/{id}",
            Form,
            [303, 422, 422, 422, 404, 404, 422],
            None,
        ),
        // Evidence: filed by the declaration's establishment only; no such file: 404.
        case(
            "POST",
            "/declarations/{id}/justificatifs",
            Upload,
            [303, 403, 403, 403, 404, 404, 403],
            None,
        ),
        case(
            "POST",
            "/declarations/{id}/justificatifs/lier",
            Form,
            [303, 403, 403, 403, 404, 404, 403],
            None,
        ),
        case(
            "GET",
            "/declarations/{id}/justificatifs/{evidence}",
            Page,
            [303, 404, 404, 404, 404, 404, 404],
            None,
        ),
        case(
            "POST",
            "/api/v1/declarations/{id}/evidence",
            Upload,
            [401, 403, 403, 403, 404, 404, 403],
            None,
        ),
        case(
            "POST",
            "/api/v1/declarations/{id}/evidence/link",
            Api,
            [401, 403, 403, 403, 404, 404, 403],
            None,
        ),
        case(
            "GET",
            "/api/v1/declarations/{id}/evidence/{evidence}",
            Api,
            [401, 404, 404, 404, 404, 404, 404],
            None,
        ),
        case("GET", "/api/v1/campaigns", Api, API_SIGNED_IN_200, None),
        case(
            "POST",
            "/api/v1/campaigns",
            Api,
            [401, 422, 422, 403, 403, 403, 403],
            None,
        ),
        case(
            "GET",
            "/api/v1/campaigns/{id}",
            Api,
            [401, 200, 200, 200, 404, 404, 200],
            None,
        ),
        case(
            "POST",
            "/api/v1/campaigns/{id}/close",
            Api,
            [401, 422, 422, 403, 404, 404, 403],
            None,
        ),
        case(
            "GET",
            "/api/v1/campaigns/{id}/declarations",
            Api,
            [401, 200, 200, 200, 404, 404, 200],
            None,
        ),
        case(
            "GET",
            "/api/v1/declarations/{id}",
            Api,
            [401, 200, 200, 200, 404, 404, 200],
            None,
        ),
        case(
            "POST",
            "/api/v1/declarations/{id}/steps",
            Api,
            [401, 422, 422, 422, 404, 404, 422],
            None,
        ),
        // Action plans: read by the agency of the region and the observers given a role on
        // the plan (the matrix's observer is an editor of the own region's plan).
        case(
            "GET",
            "/plans-actions",
            Page,
            [303, 200, 200, 200, 403, 403, 200],
            None,
        ),
        case(
            "GET",
            "/api/v1/action-plans",
            Api,
            [401, 200, 200, 200, 403, 403, 200],
            None,
        ),
        // An import: the region's ARS administrators; an empty form is refused (the national
        // administrator has to name the region).
        case(
            "POST",
            "/api/v1/action-plans",
            Upload,
            [401, 422, 422, 403, 403, 403, 403],
            None,
        ),
        case(
            "POST",
            "/plans-actions/import",
            Upload,
            [303, 422, 422, 403, 403, 403, 403],
            None,
        ),
        // No preview pending: 409.
        case(
            "POST",
            "/plans-actions/import/appliquer",
            Form,
            [303, 409, 409, 403, 403, 403, 403],
            None,
        ),
        case(
            "GET",
            "/plans-actions/modele.xlsx",
            Page,
            [303, 200, 200, 200, 403, 403, 200],
            None,
        ),
        case(
            "GET",
            "/api/v1/action-plans/template.xlsx",
            Api,
            [401, 200, 200, 200, 403, 403, 200],
            None,
        ),
        case(
            "GET",
            "/plans-actions/{id}/export.xlsx",
            Page,
            [303, 200, 200, 200, 404, 404, 200],
            Some(FOREIGN_ENTITY),
        ),
        case(
            "GET",
            "/api/v1/action-plans/{id}/export.xlsx",
            Api,
            [401, 200, 200, 200, 404, 404, 200],
            Some(API_FOREIGN_ENTITY),
        ),
        case(
            "GET",
            "/plans-actions/{id}",
            Page,
            [303, 200, 200, 200, 404, 404, 200],
            Some(FOREIGN_ENTITY),
        ),
        case(
            "GET",
            "/api/v1/action-plans/{id}",
            Api,
            [401, 200, 200, 200, 404, 404, 200],
            Some(API_FOREIGN_ENTITY),
        ),
        case(
            "GET",
            "/plans-actions/{id}/elements/{item_id}",
            Page,
            [303, 200, 200, 200, 404, 404, 200],
            Some(FOREIGN_ENTITY),
        ),
        case(
            "GET",
            "/api/v1/action-plans/{id}/items/{item_id}",
            Api,
            [401, 200, 200, 200, 404, 404, 200],
            Some(API_FOREIGN_ENTITY),
        ),
        // Following an item: the region's administrators and the plan's editors; the
        // referent reads but does not edit; an empty form (no version, no text, no kind)
        // is refused.
        case(
            "POST",
            "/plans-actions/{id}/elements/{item_id}",
            Form,
            PLAN_EDITORS_422,
            Some(FOREIGN_EDITOR_422),
        ),
        case(
            "PUT",
            "/api/v1/action-plans/{id}/items/{item_id}",
            Api,
            API_PLAN_EDITORS_422,
            Some(API_FOREIGN_EDITOR_422),
        ),
        case(
            "POST",
            "/plans-actions/{id}/elements/{item_id}/points",
            Form,
            PLAN_EDITORS_422,
            Some(FOREIGN_EDITOR_422),
        ),
        case(
            "POST",
            "/api/v1/action-plans/{id}/items/{item_id}/notes",
            Api,
            API_PLAN_EDITORS_422,
            Some(API_FOREIGN_EDITOR_422),
        ),
        case(
            "POST",
            "/plans-actions/{id}/elements/{item_id}/liens",
            Form,
            PLAN_EDITORS_422,
            Some(FOREIGN_EDITOR_422),
        ),
        case(
            "POST",
            "/api/v1/action-plans/{id}/items/{item_id}/links",
            Api,
            API_PLAN_EDITORS_422,
            Some(API_FOREIGN_EDITOR_422),
        ),
        // A link made for each request, then removed.
        case(
            "POST",
            "/plans-actions/{id}/elements/{item_id}/liens/{link_id}/retirer",
            Form,
            [303, 303, 303, 403, 404, 404, 303],
            Some(FOREIGN_EDIT_303),
        ),
        case(
            "DELETE",
            "/api/v1/action-plans/{id}/items/{item_id}/links/{link_id}",
            Api,
            [401, 204, 204, 403, 404, 404, 204],
            Some([401, 204, 404, 404, 404, 404, 404]),
        ),
        // Roles on a plan: given by the region's administrators.
        case(
            "GET",
            "/api/v1/action-plans/{id}/members",
            Api,
            [401, 200, 200, 200, 404, 404, 200],
            Some(API_FOREIGN_ENTITY),
        ),
        case(
            "POST",
            "/plans-actions/{id}/roles",
            Form,
            [303, 422, 422, 403, 404, 404, 403],
            Some(FOREIGN_EDITOR_422),
        ),
        case(
            "PUT",
            "/api/v1/action-plans/{id}/members/{user_id}",
            Api,
            [401, 422, 422, 403, 404, 404, 403],
            Some(API_FOREIGN_EDITOR_422),
        ),
        // Own: the referent's role, given again before each request; foreign: no role.
        case(
            "POST",
            "/plans-actions/{id}/roles/{user_id}/retirer",
            Form,
            [303, 303, 303, 403, 404, 404, 403],
            Some([303, 404, 404, 404, 404, 404, 404]),
        ),
        case(
            "DELETE",
            "/api/v1/action-plans/{id}/members/{user_id}",
            Api,
            [401, 204, 204, 403, 404, 404, 403],
            Some([401, 404, 404, 404, 404, 404, 404]),
        ),
        // The region's statuses and pilots: its administrators; the national administrator
        // names the region (422 without it).
        case(
            "GET",
            "/plans-actions/listes",
            Page,
            [303, 422, 200, 403, 403, 403, 403],
            None,
        ),
        case(
            "POST",
            "/plans-actions/listes",
            Form,
            [303, 422, 422, 403, 403, 403, 403],
            None,
        ),
        case(
            "GET",
            "/api/v1/action-plans/settings",
            Api,
            [401, 422, 200, 403, 403, 403, 403],
            None,
        ),
        case(
            "PUT",
            "/api/v1/action-plans/settings",
            Api,
            [401, 422, 422, 403, 403, 403, 403],
            None,
        ),
        // Reviews: kept by the agency of the region (administrators and referents), read by
        // the legal entities they cover and the region's observers; an empty form is refused.
        case("GET", "/revues", Page, SIGNED_IN_200, None),
        case("GET", "/api/v1/reviews", Api, API_SIGNED_IN_200, None),
        case("POST", "/revues", Form, PREPARERS_422, None),
        case("POST", "/api/v1/reviews", Api, API_PREPARERS_422, None),
        case(
            "GET",
            "/revues/{id}",
            Page,
            SIGNED_IN_200,
            Some(FOREIGN_ENTITY),
        ),
        case(
            "GET",
            "/api/v1/reviews/{id}",
            Api,
            API_SIGNED_IN_200,
            Some(API_FOREIGN_ENTITY),
        ),
        case(
            "POST",
            "/revues/{id}",
            Form,
            PREPARERS_422,
            Some(FOREIGN_EDITOR_422),
        ),
        case(
            "PUT",
            "/api/v1/reviews/{id}",
            Api,
            API_PREPARERS_422,
            Some(API_FOREIGN_EDITOR_422),
        ),
        case(
            "POST",
            "/revues/{id}/actions",
            Form,
            PREPARERS_422,
            Some(FOREIGN_EDITOR_422),
        ),
        case(
            "POST",
            "/api/v1/reviews/{id}/actions",
            Api,
            API_PREPARERS_422,
            Some(API_FOREIGN_EDITOR_422),
        ),
        case(
            "POST",
            "/revues/{id}/actions/{action_id}",
            Form,
            PREPARERS_422,
            Some(FOREIGN_EDITOR_422),
        ),
        case(
            "PUT",
            "/api/v1/reviews/{id}/actions/{action_id}",
            Api,
            API_PREPARERS_422,
            Some(API_FOREIGN_EDITOR_422),
        ),
        // The review pack: whoever reads the contract.
        case(
            "GET",
            "/contrats/{id}/dossier-revue.pdf",
            Page,
            CONTRACT_READERS_200,
            Some(FOREIGN_ENTITY),
        ),
        case(
            "GET",
            "/api/v1/contracts/{id}/review-pack.pdf",
            Api,
            API_CONTRACT_READERS_200,
            Some(API_FOREIGN_ENTITY),
        ),
        // Notifications: each account its own.
        case("GET", "/notifications", Page, SIGNED_IN_200, None),
        case("POST", "/notifications/lues", Form, [303; 7], None),
        case(
            "GET",
            "/notifications/{id}",
            Page,
            [303; 7],
            Some([303, 404, 404, 404, 404, 404, 404]),
        ),
        case("GET", "/api/v1/notifications", Api, API_SIGNED_IN_200, None),
        case(
            "POST",
            "/api/v1/notifications/read",
            Api,
            API_SIGNED_IN_200,
            None,
        ),
        // Diagnostic and annexes: prepared by the agency (no version read: 422).
        case(
            "GET",
            "/contrats/{id}/annexes",
            Page,
            PREPARERS_200_HIDDEN,
            Some(FOREIGN_ENTITY),
        ),
        case(
            "POST",
            "/contrats/{id}/annexes",
            Form,
            CONTRACT_MOVERS_422,
            Some(FOREIGN_EDITOR_422),
        ),
        case(
            "PUT",
            "/api/v1/contracts/{id}/annexes",
            Api,
            API_CONTRACT_MOVERS_422,
            Some(API_FOREIGN_EDITOR_422),
        ),
        // The calendar: read by whoever reads the contract; steps recorded by the agency on a
        // contract in force (this one is in preparation: 409).
        case(
            "GET",
            "/api/v1/contracts/{id}/calendar",
            Api,
            API_CONTRACT_READERS_200,
            Some(API_FOREIGN_ENTITY),
        ),
        case(
            "POST",
            "/contrats/{id}/calendrier",
            Form,
            [303, 409, 409, 409, 403, 403, 404],
            Some([303, 409, 404, 404, 404, 404, 404]),
        ),
        case(
            "POST",
            "/api/v1/contracts/{id}/events",
            Api,
            [401, 409, 409, 409, 403, 403, 404],
            Some([401, 409, 404, 404, 404, 404, 404]),
        ),
        case("GET", "/api/v1/calendar", Api, API_SIGNED_IN_200, None),
        // The region's archive: the contracts one sees (observers: the signed one).
        case("GET", "/contrats/archive.zip", Page, SIGNED_IN_200, None),
        case(
            "GET",
            "/api/v1/contracts/archive.zip",
            Api,
            API_SIGNED_IN_200,
            None,
        ),
        // The region's contract template: its administrators; an empty one is refused.
        case("GET", "/contrats/modele", Page, IMPORTERS_200, None),
        case(
            "POST",
            "/contrats/modele",
            Form,
            [303, 422, 422, 403, 403, 403, 403],
            None,
        ),
        case(
            "GET",
            "/api/v1/regions/{code}/contract-template",
            Api,
            API_IMPORTERS_200,
            Some([401, 200, 403, 403, 403, 403, 403]),
        ),
        case(
            "PUT",
            "/api/v1/regions/{code}/contract-template",
            Api,
            [401, 422, 422, 403, 403, 403, 403],
            Some([401, 422, 403, 403, 403, 403, 403]),
        ),
        case("POST", "/api/v1/imports", Upload, API_IMPORTERS_200, None),
        // Last: it ends the session.
        case("POST", "/deconnexion", Form, [303; 7], None),
    ]
}

#[test]
fn every_route_has_an_entry_in_the_access_matrix() {
    let cases = matrix();
    for spec in route_specs() {
        assert!(
            cases
                .iter()
                .any(|c| c.method == spec.method && c.path == spec.path),
            "route {} {} has no entry in the access matrix",
            spec.method,
            spec.path
        );
    }
    for c in &cases {
        assert!(
            route_specs()
                .iter()
                .any(|s| s.method == c.method && s.path == c.path),
            "matrix entry {} {} matches no route",
            c.method,
            c.path
        );
    }
}

/// Resolves the concrete request of a case for one caller.
async fn request(
    app: &TestApp,
    agent: &mut Agent,
    who: &str,
    c: &Case,
    target: Target,
    n: usize,
) -> StatusCode {
    let (target_user, target_ej) = match target {
        Target::Own => (app.user("own-target").id, OWN_EJ),
        Target::Foreign => (app.user("foreign-target").id, FOREIGN_EJ),
    };
    let mut path = c.path.replace("{*path}", "cpom.css");
    // Catalogues: a published one of the own region, and one of a foreign region.
    let (slug, fiche) = match target {
        Target::Own => ("occitanie-2025-2029", "CPOM_CT_1"),
        Target::Foreign => ("aura-2020-2024", "1.1-1-a"),
    };
    path = path.replace("{slug}", slug).replace("{fiche}", fiche);
    if path.starts_with("/referentiels/") || path.starts_with("/api/v1/catalogues/") {
        let list = if path.starts_with("/api/") {
            "indicators"
        } else {
            "fiches"
        };
        path = path.replace("{list}", list).replace("{code}", fiche);
    }
    if path.contains("{finess}") {
        let site = path.contains("/et/") || path.contains("/sites/");
        let finess = match (target, site) {
            (Target::Own, false) => OWN_EJ,
            (Target::Foreign, false) => FOREIGN_EJ,
            (Target::Own, true) => OWN_SITE,
            (Target::Foreign, true) => FOREIGN_SITE,
        };
        path = path.replace("{finess}", finess);
    }
    let region_code = match target {
        Target::Own => "76",
        Target::Foreign => "84",
    };
    // GHT routes: `{code}` is the code of a GHT whose support is the target legal entity.
    let ght_code = match target {
        Target::Own => OWN_GHT,
        Target::Foreign => FOREIGN_GHT,
    };
    let ght = app.store().ght_detail(ght_code).await.expect("GHT");
    let ght_version = ght.version.to_string();
    let territory = app
        .store()
        .entity_territory(&cpom_domain::FinessId::parse(target_ej).expect("finess"))
        .await
        .expect("territory");
    let label = territory
        .labels
        .iter()
        .find(|l| l.label == cpom_domain::territory::Label::Chu)
        .expect("CHU label");
    let label_version = label.version.to_string();
    if path.contains("/labels/{id}") {
        path = path.replace("{id}", &label.id.to_string());
    }
    if path.contains("/ght") {
        path = path.replace("{code}", ght_code);
        let support = ght.members.iter().find(|m| m.support).expect("support");
        path = path.replace("{id}", &support.id.to_string());
    }
    // A one-day period of its own for each request, so that repeated edits never overlap.
    let day = (chrono::NaiveDate::from_ymd_opt(1990, 1, 1).expect("date")
        + chrono::Duration::days(2 * n as i64))
    .format("%d/%m/%Y")
    .to_string();
    path = path.replace("{code}", region_code);
    let settings_version = app
        .store()
        .region_settings(&cpom_domain::RegionCode::parse(region_code).expect("region"))
        .await
        .expect("settings")
        .version
        .to_string();
    let ej_version = app
        .store()
        .get_legal_entity(&cpom_domain::FinessId::parse(target_ej).expect("finess"))
        .await
        .expect("read entity")
        .expect("entity")
        .version
        .to_string();
    if path.starts_with("/contrats/{id}") || path.starts_with("/api/v1/contracts/{id}") {
        let ej = match target {
            Target::Own => OWN_EJ,
            Target::Foreign => FOREIGN_EJ,
        };
        let contracts = app
            .store()
            .list_contracts(
                &cpom_domain::ScopeFilter::LegalEntity(
                    cpom_domain::FinessId::parse(ej).expect("finess"),
                ),
                &Default::default(),
                1,
                10,
            )
            .await
            .expect("contracts");
        path = path
            .replace("{id}", &contracts.items[0].id.to_string())
            .replace("{key}", "E1")
            .replace("{file}", "999999")
            .replace("{n}", "0");
    }
    if path.starts_with("/campagnes/{id}")
        || path.starts_with("/api/v1/campaigns/{id}")
        || path.starts_with("/declarations/{id}")
        || path.starts_with("/api/v1/declarations/{id}")
    {
        let campaigns = app
            .store()
            .list_campaigns(&cpom_domain::ScopeFilter::All)
            .await
            .expect("campaigns");
        let campaign = campaigns[0].campaign.id;
        let id = if path.contains("declarations/{id}") {
            app.store()
                .list_declarations(
                    campaign,
                    &cpom_domain::ScopeFilter::All,
                    &Default::default(),
                    1,
                    1,
                )
                .await
                .expect("declarations")
                .items[0]
                .id
        } else {
            campaign
        };
        path = path
            .replace("{id}", &id.to_string())
            .replace("{evidence}", "999999");
    }
    if path.starts_with("/api/v1/action-plans/{id}") || path.starts_with("/plans-actions/{id}") {
        let region = cpom_domain::RegionCode::parse(region_code).expect("region");
        let plans = app
            .store()
            .list_plans(&cpom_domain::ScopeFilter::Region(region))
            .await
            .expect("plans");
        let plan = app.store().plan(plans[0].id).await.expect("plan");
        let action = cpom_domain::plan::followed_items(&plan.tree)[0].id;
        if path.contains("{link_id}") {
            let link = app
                .store()
                .add_plan_link(
                    &cpom_store::AuditActor::system(),
                    &plan.summary,
                    action,
                    cpom_domain::plan::LinkKind::Contract,
                    &cpom_domain::plan::LinkTarget::ContractOf(
                        cpom_domain::FinessId::parse(target_ej).expect("finess"),
                    ),
                )
                .await;
            // A request refused earlier left its link: reuse it.
            let link = match link {
                Ok(l) => l.id,
                Err(_) => {
                    app.store()
                        .plan_links(plan.summary.id, Some(action))
                        .await
                        .expect("links")[0]
                        .id
                }
            };
            path = path.replace("{link_id}", &link.to_string());
        }
        if path.contains("{user_id}") {
            let member = if target == Target::Own {
                let referent = app.user("ars-referent").id;
                app.store()
                    .set_plan_member(
                        &cpom_store::AuditActor::system(),
                        &plan.summary,
                        referent,
                        cpom_domain::plan::PlanRole::Observer,
                    )
                    .await
                    .expect("member");
                referent
            } else {
                999_999
            };
            path = path.replace("{user_id}", &member.to_string());
        }
        path = path
            .replace("{id}", &plans[0].id.to_string())
            .replace("{item_id}", &action.to_string());
    }
    if path.starts_with("/revues/{id}") || path.starts_with("/api/v1/reviews/{id}") {
        let ej = cpom_domain::FinessId::parse(target_ej).expect("finess");
        let reviews = app
            .store()
            .list_reviews(
                &cpom_domain::ScopeFilter::LegalEntity(ej),
                &Default::default(),
                1,
                1,
            )
            .await
            .expect("reviews");
        let review = reviews.items[0].id;
        let action = app.store().review_actions(review).await.expect("actions")[0].id;
        path = path
            .replace("{id}", &review.to_string())
            .replace("{action_id}", &action.to_string());
    }
    if path.starts_with("/notifications/{id}") {
        // Own: a notification of the caller; foreign: one of the foreign target.
        let owner = if target == Target::Own && who != "anonymous" {
            app.user(who).id
        } else {
            app.user("foreign-target").id
        };
        app.store()
            .notify(&[owner], None, "matrice", "/contrats")
            .await
            .expect("notification");
        let newest = app
            .store()
            .notifications(owner, false, 1, 1)
            .await
            .expect("notifications");
        path = path.replace("{id}", &newest.items[0].id.to_string());
    }
    if path.contains("{id}") {
        let id = if path.contains("jetons") || path.contains("tokens") {
            // Own: a token of the caller; foreign: a token of the foreign target.
            let owner = if target == Target::Own && who != "anonymous" {
                who
            } else {
                "foreign-target"
            };
            let (token, _) = app
                .store()
                .create_token(
                    &cpom_store::AuditActor::system(),
                    app.user(owner),
                    "matrice",
                )
                .await
                .expect("token");
            token.id
        } else {
            target_user
        };
        path = path.replace("{id}", &id.to_string());
    }
    let version = app
        .store()
        .get_user(target_user)
        .await
        .expect("target")
        .version
        .to_string();
    let email = format!("matrice-{n}@test.cpom.fr");
    let body = |api: bool| -> Vec<(&'static str, String)> {
        match c.path {
            "/connexion" => vec![
                ("email", format!("personne-{n}@test.cpom.fr")),
                ("password", "mauvais-mot-de-passe".into()),
            ],
            "/mon-compte/mot-de-passe" | "/api/v1/me/password" => vec![
                ("current_password", "pas-le-bon-mot-de-passe".into()),
                ("new_password", "un nouveau mot de passe".into()),
                ("confirmation", "un nouveau mot de passe".into()),
            ],
            "/mon-compte/jetons" | "/api/v1/tokens" => vec![("name", "jeton de la matrice".into())],
            "/admin/utilisateurs" | "/api/v1/users" => vec![
                ("email", email.clone()),
                ("display_name", "Compte de la matrice".into()),
                ("role", "establishment-contributor".into()),
                ("ej", target_ej.into()),
                ("password", "mot-de-passe-matrice".into()),
            ],
            p if p.ends_with("/tranche") || p.ends_with("/band-override") => vec![
                ("band", String::new()),
                ("reason", String::new()),
                ("version", ej_version.clone()),
            ],
            "/registre/imports/appliquer" => vec![("token", "aucun-apercu".into())],
            // No version: the administrators who may go that far get 422.
            p if p.ends_with("/publish")
                || p.ends_with("/archive")
                || p.starts_with("/api/v1/catalogues/{slug}/")
                || p.starts_with("/api/v1/contracts") =>
            {
                vec![("note", "matrice".into())]
            }
            "/registre/ght" | "/api/v1/ghts" => vec![
                ("code", format!("GHT-M{n}")),
                ("name", "GHT de la matrice".into()),
                ("region", region_code.into()),
            ],
            p if p.ends_with("/membres") || p.ends_with("/members") => vec![
                ("ej", target_ej.into()),
                ("support", "false".into()),
                ("valid_from", day.clone()),
                ("valid_to", day.clone()),
                ("version", ght_version.clone()),
            ],
            p if p.ends_with("/labels") => vec![
                ("label", "pass".into()),
                ("valid_from", day.clone()),
                ("valid_to", day.clone()),
            ],
            p if p.contains("/labels/") => vec![
                ("valid_to", "31/12/2030".into()),
                ("version", label_version.clone()),
            ],
            p if p.contains("/membres/") || p.contains("/members/") => vec![
                ("valid_to", "31/12/2030".into()),
                ("version", ght_version.clone()),
            ],
            "/api/v1/regions/{code}/contract-template" => vec![("version", "0".into())],
            "/api/v1/notifications/read"
            | "/api/v1/campaigns"
            | "/api/v1/campaigns/{id}/close"
            | "/api/v1/declarations/{id}/steps"
            | "/api/v1/declarations/{id}/evidence/link"
            | "/api/v1/campaigns/{id}/validate"
            | "/api/v1/reviews"
            | "/api/v1/reviews/{id}"
            | "/api/v1/reviews/{id}/actions"
            | "/api/v1/reviews/{id}/actions/{action_id}"
            | "/api/v1/action-plans/{id}/items/{item_id}"
            | "/api/v1/action-plans/{id}/items/{item_id}/notes"
            | "/api/v1/action-plans/{id}/items/{item_id}/links"
            | "/api/v1/action-plans/settings" => vec![("note", "matrice".into())],
            "/registre/parametres" | "/api/v1/regions/{code}/band-settings" => vec![
                ("region", region_code.into()),
                ("columns", "LIT_MCO".into()),
                ("lower", "100".into()),
                ("upper", "500".into()),
                ("version", settings_version.clone()),
            ],
            p if p.ends_with("/activation") => {
                vec![("active", "true".into()), ("version", version.clone())]
            }
            p if p.ends_with("/mot-de-passe") || p.ends_with("/password-reset") => {
                vec![("version", version.clone())]
            }
            _ => {
                let _ = api;
                vec![]
            }
        }
    };
    let resp = match c.kind {
        Kind::Page => agent.get(&path).await,
        Kind::Upload => {
            agent
                .upload(
                    &path,
                    "finess",
                    "extrait.csv",
                    MINI_FINESS.as_bytes().to_vec(),
                )
                .await
        }
        Kind::Form => {
            let fields = body(false);
            let refs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            agent.post_form(&path, &refs).await
        }
        Kind::Api => {
            let fields = body(true);
            let json = (!fields.is_empty()).then(|| {
                let mut map = serde_json::Map::new();
                for (k, v) in fields {
                    let value = match (k, v.as_str()) {
                        ("version" | "lower" | "upper", v) => {
                            serde_json::json!(v.parse::<i64>().expect("number"))
                        }
                        ("columns", v) => serde_json::json!([v]),
                        ("support", v) => serde_json::json!(v == "true"),
                        ("active", "true") => serde_json::json!(true),
                        (_, v) => serde_json::json!(v),
                    };
                    map.insert(k.to_owned(), value);
                }
                serde_json::Value::Object(map)
            });
            let method = Method::from_bytes(c.method.as_bytes()).expect("method");
            agent.json(method, &path, json).await
        }
    };
    // Every response, whoever asks and whatever the outcome, carries the security headers.
    for (name, expected) in SECURITY_HEADERS {
        let got = resp
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        assert!(
            got.contains(expected),
            "{} {path} ({who}, {}): header {name} is {got:?}",
            c.method,
            resp.status
        );
    }
    resp.status
}

/// The headers every response carries, and what each must contain.
const SECURITY_HEADERS: [(&str, &str); 4] = [
    ("content-security-policy", "default-src 'self'"),
    ("content-security-policy", "frame-ancestors 'none'"),
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "same-origin"),
];

/// One site of the own legal entity and one of the foreign one, in the FINESS format.
const MINI_FINESS: &str = "nofinesset,nofinessej,rs_courte,rs_longue,telephone,departement_code,departement_nom,ville_cp,categorie_libelle,categorie_groupe_libelle,statut_juridique_lib,siret\n\
340000199,340780477,CHU MONTPELLIER,CHU MONTPELLIER,,34,HERAULT,34000 MONTPELLIER,Centre Hospitalier Régional (C.H.R.),Centres Hospitaliers Régionaux,Etablissement public de santé,26340016000382\n\
690007539,690781810,HFME - HCL,HOPITAL FEMME MERE ENFANT - HCL,,69,RHONE,69677 BRON CEDEX,Centre Hospitalier Régional (C.H.R.),Centres Hospitaliers Régionaux,Etablissement public de santé,\n";
const OWN_SITE: &str = "340000199";
const FOREIGN_SITE: &str = "690007539";
/// A GHT of the own region whose support is the own legal entity, and one of the foreign
/// region.
const OWN_GHT: &str = "GHT-OWN";
const FOREIGN_GHT: &str = "GHT-FOREIGN";

async fn run_matrix(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("extrait.csv");
    std::fs::write(&file, MINI_FINESS).expect("write");
    let report = app
        .store()
        .import_path(
            &cpom_store::AuditActor::system(),
            None,
            &cpom_store::repo::imports::ImportFile {
                kind: cpom_store::repo::registry::ImportKind::Finess,
                path: &file,
                file_name: "extrait.csv",
                expected_checksum: None,
            },
            true,
        )
        .await
        .expect("import sites");
    assert!(report.applied, "{:?}", report.rejected);
    let sys = cpom_store::AuditActor::system();
    for (code, region, ej) in [(OWN_GHT, "76", OWN_EJ), (FOREIGN_GHT, "84", FOREIGN_EJ)] {
        let region = cpom_domain::RegionCode::parse(region).expect("region");
        let ej = cpom_domain::FinessId::parse(ej).expect("finess");
        let ght = app
            .store()
            .create_ght(&sys, code, "GHT de test", &region)
            .await
            .expect("GHT");
        let period = cpom_domain::territory::Period::new(
            chrono::NaiveDate::from_ymd_opt(2016, 7, 1).expect("date"),
            None,
        )
        .expect("period");
        app.store()
            .add_ght_member(&sys, code, &ej, true, period, ght.version)
            .await
            .expect("support");
        app.store()
            .add_label(
                &sys,
                &ej,
                cpom_domain::territory::Label::Chu,
                cpom_domain::territory::Period::new(
                    chrono::NaiveDate::from_ymd_opt(2000, 1, 1).expect("date"),
                    None,
                )
                .expect("period"),
                None,
            )
            .await
            .expect("label");
    }
    for (slug, ej, region) in [
        ("occitanie-2025-2029", OWN_EJ, "76"),
        ("aura-2020-2024", FOREIGN_EJ, "84"),
    ] {
        let c = crate::catalogues::shipped(slug);
        app.store()
            .import_catalogue(&sys, &c, true)
            .await
            .expect("catalogue");
        // A contract in preparation for the own and the foreign legal entity.
        app.store()
            .create_contract(
                &sys,
                &cpom_store::repo::contracts::NewContract {
                    region: cpom_domain::RegionCode::parse(region).expect("region"),
                    ej: cpom_domain::FinessId::parse(ej).expect("finess"),
                    catalogue_slug: slug.into(),
                    catalogue_version: 1,
                    title: format!("Contrat de la matrice {slug}"),
                    start_year: c.start_year,
                    end_year: c.end_year,
                    band: None,
                    negotiator_id: None,
                    // One engagement, E1, of the catalogue's first model action.
                    content: cpom_domain::contract::add_engagement(
                        &Default::default(),
                        &c,
                        &c.actions[0].code,
                        None,
                        None,
                        None,
                    )
                    .expect("engagement"),
                },
            )
            .await
            .expect("contract");
    }
    // A signed contract of another legal entity of the own region, followed by a campaign:
    // the own entity's users do not see its declarations.
    {
        let c = crate::catalogues::shipped("occitanie-2025-2029");
        crate::support::signed_contract(
            app.store(),
            crate::support::SIBLING_EJ,
            &c.actions[0].code,
        )
        .await;
        app.store()
            .open_campaign(
                &sys,
                &cpom_store::repo::campaigns::NewCampaign {
                    region: cpom_domain::RegionCode::parse("76").expect("region"),
                    year: 2026,
                    title: "Campagne de la matrice".into(),
                    deadline: chrono::NaiveDate::from_ymd_opt(2099, 3, 31).expect("date"),
                    perimeter: cpom_store::repo::campaigns::Perimeter::Region,
                },
            )
            .await
            .expect("campaign");
    }
    // An action plan of the own and of the foreign region.
    for region in ["76", "84"] {
        let rows = cpom_import::plan::read(
            "Thématique;Axe;Objectif;Action\nT1;A1;O1;Action 1\n".as_bytes(),
        )
        .expect("plan file");
        let (statuses, pilots) = (
            cpom_domain::plan::default_statuses(),
            cpom_domain::plan::default_pilots(),
        );
        let tree = cpom_domain::plan::build_tree(&rows, &statuses, &pilots).expect("tree");
        let plan = app
            .store()
            .import_plan(
                &sys,
                &cpom_store::repo::plans::NewPlan {
                    region: cpom_domain::RegionCode::parse(region).expect("region"),
                    title: format!("Plan de la matrice {region}"),
                    start_year: 2024,
                    end_year: 2028,
                    source_file: "plan.csv".into(),
                },
                &tree,
            )
            .await
            .expect("plan");
        if region == "76" {
            app.store()
                .set_plan_member(
                    &sys,
                    &plan,
                    app.user("observer").id,
                    cpom_domain::plan::PlanRole::Editor,
                )
                .await
                .expect("observer's role");
        }
    }
    // A review with one action for the own and the foreign legal entity.
    for (ej, region) in [(OWN_EJ, "76"), (FOREIGN_EJ, "84")] {
        let r = app
            .store()
            .create_review(
                &sys,
                &cpom_store::repo::reviews::NewReview {
                    region: cpom_domain::RegionCode::parse(region).expect("region"),
                    ej: Some(cpom_domain::FinessId::parse(ej).expect("finess")),
                    ght: None,
                    fields: cpom_domain::review::review_fields("12/03/2027", "Directeur", "")
                        .expect("fields"),
                },
            )
            .await
            .expect("review");
        app.store()
            .add_review_action(
                &sys,
                &r,
                &cpom_domain::review::action_fields(
                    "Action de la matrice",
                    "Direction",
                    "31/12/2027",
                    "planned",
                    &[],
                    &[],
                    r.held_on,
                )
                .expect("action"),
            )
            .await
            .expect("action");
    }
    let mut failures = Vec::new();
    let mut n = 0;
    for (i, who) in WHO.iter().enumerate() {
        let mut agent = if *who == "anonymous" {
            app.anonymous().await
        } else {
            app.signed_in(who).await
        };
        for c in matrix() {
            let targets: &[Target] = if c.foreign.is_some() {
                &[Target::Own, Target::Foreign]
            } else {
                &[Target::Own]
            };
            for &target in targets {
                n += 1;
                let expected = match target {
                    Target::Own => c.own[i],
                    Target::Foreign => c.foreign.expect("foreign row")[i],
                };
                let got = request(&app, &mut agent, who, &c, target, n).await;
                if got.as_u16() != expected {
                    failures.push(format!(
                        "{who:<26} {} {} ({target:?}): expected {expected}, got {}",
                        c.method,
                        c.path,
                        got.as_u16()
                    ));
                }
            }
        }
    }
    app.stop().await;
    assert!(
        failures.is_empty(),
        "access matrix on {backend:?}:\n{}",
        failures.join("\n")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn access_matrix_holds_for_every_route_role_and_scope() {
    for backend in backends() {
        run_matrix(backend).await;
    }
}
