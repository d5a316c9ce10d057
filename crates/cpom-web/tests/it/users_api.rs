//! Accounts, audit trail, optimistic locking, pages and the OpenAPI document.

use reqwest::{Method, StatusCode};

use crate::on_each_backend;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stale_version_is_refused_with_a_french_conflict_message() {
    on_each_backend!(|app| {
        let mut admin = app.signed_in("ars-admin").await;
        let target = app.user("own-target");
        let path = format!("/api/v1/users/{}/activation", target.id);
        let first = admin
            .json(
                Method::POST,
                &path,
                Some(serde_json::json!({"active": false, "version": target.version})),
            )
            .await;
        assert_eq!(first.status, StatusCode::OK);
        assert_eq!(first.json()["version"], target.version + 1);
        let stale = admin
            .json(
                Method::POST,
                &path,
                Some(serde_json::json!({"active": true, "version": target.version})),
            )
            .await;
        assert_eq!(stale.status, StatusCode::CONFLICT);
        assert!(
            stale.json()["message"]
                .as_str()
                .expect("message")
                .contains("modifié par quelqu'un d'autre")
        );
        assert!(
            !app.store().get_user(target.id).await.expect("user").active,
            "the stale update changed nothing"
        );
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_change_is_in_the_audit_trail_with_before_and_after() {
    on_each_backend!(|app| {
        let mut admin = app.signed_in("ars-admin").await;
        let target = app.user("own-target");
        admin
            .json(
                Method::POST,
                &format!("/api/v1/users/{}/activation", target.id),
                Some(serde_json::json!({"active": false, "version": target.version})),
            )
            .await;
        let audit = admin
            .json(
                Method::GET,
                &format!("/api/v1/audit?entity_type=user&entity_id={}", target.id),
                None,
            )
            .await
            .json();
        let first = &audit["items"][0];
        assert_eq!(first["action"], "user.disable");
        assert_eq!(first["actor_label"], app.user("ars-admin").email.as_str());
        assert_eq!(first["before"]["active"], true);
        assert_eq!(first["after"]["active"], false);
        // The foreign region's events are not visible to this region's administrator.
        let all = admin
            .json(Method::GET, "/api/v1/audit?per_page=200", None)
            .await
            .json();
        assert!(
            all["items"]
                .as_array()
                .expect("items")
                .iter()
                .all(|e| e["region"] == "76"),
            "{all}"
        );
        // The audit page shows it too, filtered by account.
        let page = admin
            .get(&format!(
                "/admin/journal?user_id={}",
                app.user("ars-admin").id
            ))
            .await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.text.contains("user.disable"));
        let bad = admin.get("/admin/journal?from=31-31-2026").await;
        assert!(
            bad.text.contains("« 31-31-2026 » n&#39;est pas une date"),
            "{}",
            bad.text
        );
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn creating_an_account_validates_every_field_in_french() {
    on_each_backend!(|app| {
        let mut admin = app.signed_in("ars-admin").await;
        let r = admin
            .json(Method::POST, "/api/v1/users", Some(serde_json::json!({"email": "pas-une-adresse", "display_name": "", "role": "chef", "password": "court"})))
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        let body = r.json();
        let fields: Vec<&str> = body["fields"]
            .as_array()
            .expect("fields")
            .iter()
            .map(|f| f["field"].as_str().unwrap_or(""))
            .collect();
        for f in ["email", "display_name", "role", "password"] {
            assert!(fields.contains(&f), "no error on {f}: {body}");
        }
        // Duplicate e-mail.
        let dup = admin
            .json(Method::POST, "/api/v1/users", Some(serde_json::json!({"email": app.user("observer").email.as_str(), "display_name": "X", "role": "ars-referent", "region": "76"})))
            .await;
        assert_eq!(dup.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(dup.text.contains("existe déjà"));
        // The HTML form shows the errors next to the fields and keeps the input.
        let page = admin
            .post_form(
                "/admin/utilisateurs",
                &[
                    ("email", "faux"),
                    ("display_name", "Jeanne"),
                    ("role", "ars-referent"),
                    ("region", "76"),
                ],
            )
            .await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(page.text.contains("fr-input-group--error"));
        assert!(page.text.contains("value=\"Jeanne\""));
        // A valid creation without password returns a temporary one, which works.
        let ok = admin
            .json(Method::POST, "/api/v1/users", Some(serde_json::json!({"email": "nouvelle@ars.sante.fr", "display_name": "Nouvelle Référente", "role": "ars-referent", "region": "76"})))
            .await;
        assert_eq!(ok.status, StatusCode::CREATED);
        let temp = ok.json()["temporary_password"]
            .as_str()
            .expect("temporary password")
            .to_owned();
        let mut newcomer = app.anonymous().await;
        let signin = newcomer
            .post_form(
                "/connexion",
                &[("email", "nouvelle@ars.sante.fr"), ("password", &temp)],
            )
            .await;
        assert_eq!(signin.status, StatusCode::SEE_OTHER);
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_show_the_signed_in_user_and_only_allowed_navigation() {
    on_each_backend!(|app| {
        let mut admin = app.signed_in("ars-admin").await;
        let home = admin.get("/").await.text;
        assert!(home.contains("Bonjour, Compte ars-admin"));
        assert!(home.contains("Agence régionale de santé Occitanie"));
        assert!(home.contains("href=\"/admin/utilisateurs\""));
        let mut contributor = app.signed_in("establishment-contributor").await;
        let home = contributor.get("/").await.text;
        assert!(!home.contains("href=\"/admin/utilisateurs\""));
        assert!(!home.contains("href=\"/admin/journal\""));
        let denied = contributor.get("/admin/utilisateurs").await;
        assert_eq!(denied.status, StatusCode::FORBIDDEN);
        assert!(denied.text.contains("Accès refusé"));
        assert!(!denied.text.contains("panicked") && !denied.text.contains("src/"));
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_paths_get_a_french_404_page_or_json() {
    on_each_backend!(|app| {
        let mut agent = app.anonymous().await;
        let page = agent.get("/nexiste-pas").await;
        assert_eq!(page.status, StatusCode::NOT_FOUND);
        assert!(page.text.contains("Page non trouvée"));
        let api = agent.json(Method::GET, "/api/v1/nexiste-pas", None).await;
        assert_eq!(api.status, StatusCode::NOT_FOUND);
        assert_eq!(api.json()["code"], "not_found");
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_refuse_unreadable_addresses_and_forms_in_french() {
    on_each_backend!(|app| {
        let mut agent = app.signed_in("ars-admin").await;
        // An address whose parameter is not a number names no page.
        let page = agent.get("/contrats/abc").await;
        assert_eq!(page.status, StatusCode::NOT_FOUND);
        assert!(page.text.contains("Page non trouvée"), "{}", page.text);
        assert!(!page.text.contains("Cannot parse"));
        // A query parameter that cannot be read is named, in French.
        let page = agent.get("/registre?page=deux").await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            page.text
                .contains("URL « page » invalide : nombre invalide"),
            "{}",
            page.text
        );
        assert!(!page.text.contains("Failed to deserialize"));
        // A form the page did not send (a version that is not a number) is refused with
        // the field named, in French.
        let form = agent
            .post_form(
                "/admin/utilisateurs/1/activation",
                &[("version", "une"), ("active", "false")],
            )
            .await;
        assert_eq!(form.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            form.text.contains("formulaire invalide, champ « version »"),
            "{}",
            form.text
        );
        assert!(!form.text.contains("Failed to deserialize"));
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openapi_document_is_3_1_and_describes_every_api_route() {
    let app = crate::support::TestApp::spawn(crate::support::Backend::Sqlite).await;
    let mut agent = crate::support::Agent::new(&app.base);
    let doc = agent.get("/api/v1/openapi.json").await.json();
    assert!(
        doc["openapi"].as_str().expect("version").starts_with("3.1"),
        "{}",
        doc["openapi"]
    );
    for spec in cpom_web::route_specs()
        .iter()
        .filter(|s| s.path.starts_with("/api/v1/") && s.path != "/api/v1/openapi.json")
    {
        let op = &doc["paths"][spec.path][spec.method.to_lowercase()];
        assert!(
            op.is_object(),
            "{} {} is missing from the OpenAPI document",
            spec.method,
            spec.path
        );
    }
    // Any change of the API shows up as a snapshot diff to review.
    insta::assert_json_snapshot!("openapi", doc);
    app.stop().await;
}
