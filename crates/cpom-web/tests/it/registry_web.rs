//! The registry through HTTP, on the real files: search as you type, legal entity and site
//! pages and API, band override, and the import screens (preview, confirm, history).

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::registry::{data, import_all};
use crate::support::{Backend, TestApp, backends, csrf_from};

async fn app_with_registry(backend: Backend) -> TestApp {
    let app = TestApp::spawn(backend).await;
    let reports = import_all(app.store(), None, true).await;
    assert!(reports.iter().all(|r| r.applied));
    app
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_entity_and_site_pages_follow_the_scope_of_each_role() {
    for backend in backends() {
        let app = app_with_registry(backend).await;

        // The API gives status, beds and band of a known entity, with its sites.
        let mut national = app.with_token("national-admin").await;
        let ej = national
            .json(Method::GET, "/api/v1/legal-entities/010780054", None)
            .await;
        assert_eq!(ej.status, StatusCode::OK, "{}", ej.text);
        let ej = ej.json();
        assert_eq!(ej["beds"], 453);
        assert_eq!(ej["size_band"], "100to499");
        assert_eq!(ej["status"], "public");
        assert!(
            ej["band_rule"]["explanation"]
                .as_str()
                .expect("test value")
                .starts_with("453 lits en 2023")
        );
        assert!(
            ej["sites"]
                .as_array()
                .expect("test value")
                .iter()
                .any(|s| s["finess"] == "010000024")
        );
        let site = national
            .json(Method::GET, "/api/v1/sites/010000024", None)
            .await
            .json();
        assert_eq!(site["ej"], "010780054");
        assert_eq!(site["capacities"][0]["year"], 2023);

        // An ARS of Occitanie does not see an entity of Auvergne-Rhône-Alpes, in search or
        // by address; the national administrator does.
        let mut ars = app.signed_in("ars-admin").await;
        let found = ars.get_htmx("/registre?q=fleyriat").await;
        assert_eq!(found.status, StatusCode::OK);
        assert!(
            found.text.contains("Aucune entité juridique"),
            "{}",
            found.text
        );
        assert!(!found.text.contains("<html"), "htmx gets the fragment only");
        assert_eq!(
            ars.get("/registre/ej/010780054").await.status,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            ars.get("/registre/et/010000024").await.status,
            StatusCode::NOT_FOUND
        );
        let mut admin_browser = app.signed_in("national-admin").await;
        let found = admin_browser.get_htmx("/registre?q=fleyriat").await;
        assert!(
            found.text.contains("/registre/ej/010780054"),
            "{}",
            found.text
        );
        let page = admin_browser.get("/registre/ej/010780054").await;
        assert!(page.text.contains("453 lits en 2023"), "{}", page.text);
        assert!(page.text.contains("100–499"));

        // Filters: public entities of the Hérault with at least 500 beds, in Occitanie (the
        // CH de Béziers, 738 beds, and the CHU de Montpellier, 1 938 beds).
        let list = ars
            .json(
                Method::GET,
                "/api/v1/legal-entities?department=34&status=public&band=ge500",
                None,
            )
            .await
            .json();
        let finess: Vec<&str> = list["items"]
            .as_array()
            .expect("test value")
            .iter()
            .map(|e| e["finess"].as_str().expect("test value"))
            .collect();
        assert_eq!(finess, ["340780055", "340780477"], "{list}");
        let bad = ars
            .json(Method::GET, "/api/v1/legal-entities?band=huge", None)
            .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(bad.text.contains("band"), "{}", bad.text);

        // Category of a site: the regional hospital centres of Occitanie (CHU de Nîmes,
        // Toulouse and Montpellier, as in FHOFF).
        let chr = ars
            .json(
                Method::GET,
                "/api/v1/legal-entities?category=Centre%20Hospitalier%20R%C3%A9gional%20(C.H.R.)",
                None,
            )
            .await
            .json();
        let mut finess: Vec<&str> = chr["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|e| e["finess"].as_str().expect("finess"))
            .collect();
        finess.sort_unstable();
        assert_eq!(finess, ["300780038", "310781406", "340780477"], "{chr}");

        // Words are matched separately, without regard to accents or case.
        let found = ars
            .json(
                Method::GET,
                "/api/v1/legal-entities?q=H%C3%B4pital%20B%C3%A9ziers",
                None,
            )
            .await
            .json();
        let finess: Vec<&str> = found["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|e| e["finess"].as_str().expect("finess"))
            .collect();
        assert!(finess.contains(&"340780055"), "{found}");

        // An establishment sees its own entity only.
        let mut leader = app.with_token("establishment-leader").await;
        let mine = leader
            .json(Method::GET, "/api/v1/legal-entities?per_page=200", None)
            .await
            .json();
        assert_eq!(mine["total"], 1, "{mine}");
        assert_eq!(mine["items"][0]["finess"], "340780477");
        let sibling = leader
            .json(Method::GET, "/api/v1/legal-entities/310781406", None)
            .await;
        assert_eq!(sibling.status, StatusCode::NOT_FOUND);
        app.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_band_override_needs_a_justification_is_versioned_shown_and_audited() {
    for backend in backends() {
        let app = app_with_registry(backend).await;
        let mut ars = app.with_token("ars-admin").await;
        let path = "/api/v1/legal-entities/310781406";
        let before = ars.json(Method::GET, path, None).await.json();
        assert_eq!(before["size_band"], "ge500");
        let version = before["version"].as_i64().expect("test value");
        let override_path = format!("{path}/band-override");

        let missing = ars
            .json(
                Method::PUT,
                &override_path,
                Some(json!({"band": "100to499", "version": version})),
            )
            .await;
        assert_eq!(missing.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(missing.text.contains("justification"), "{}", missing.text);

        let set = ars
            .json(Method::PUT, &override_path, Some(json!({"band": "100to499", "reason": "Activité recentrée après la fusion de 2024", "version": version})))
            .await;
        assert_eq!(set.status, StatusCode::OK, "{}", set.text);
        let set = set.json();
        assert_eq!(set["size_band"], "100to499");
        assert_eq!(set["computed_size_band"], "ge500");

        // The same stale version again: a conflict, not a silent overwrite.
        let stale = ars
            .json(Method::PUT, &override_path, Some(json!({"band": "lt100", "reason": "Une autre justification écrite", "version": version})))
            .await;
        assert_eq!(stale.status, StatusCode::CONFLICT, "{}", stale.text);

        // The page explains both bands and lists the change in the history.
        let mut browser = app.signed_in("ars-referent").await;
        let page = browser.get("/registre/ej/310781406").await;
        assert!(
            page.text.contains("Tranche fixée par l&#39;ARS")
                || page.text.contains("Tranche fixée par l'ARS"),
            "{}",
            page.text
        );
        assert!(
            page.text
                .contains("Activité recentrée après la fusion de 2024")
        );
        assert!(
            !page.text.contains("Fixer ou retirer la tranche"),
            "a referent cannot edit"
        );
        // Filters use the band in force.
        let mid = ars
            .json(
                Method::GET,
                "/api/v1/legal-entities?q=310781406&band=100to499",
                None,
            )
            .await
            .json();
        assert_eq!(mid["total"], 1);

        // Through the page form, an administrator goes back to the computed band.
        let mut admin = app.signed_in("ars-admin").await;
        let page = admin.get("/registre/ej/310781406").await;
        assert!(page.text.contains("Fixer ou retirer la tranche"));
        let current = set["version"].as_i64().expect("test value").to_string();
        let back = admin
            .post_form(
                "/registre/ej/310781406/tranche",
                &[("band", ""), ("reason", ""), ("version", &current)],
            )
            .await;
        assert_eq!(back.status, StatusCode::SEE_OTHER, "{}", back.text);
        let after = ars.json(Method::GET, path, None).await.json();
        assert_eq!(after["size_band"], "ge500");
        assert!(after["band_override"].is_null());
        let audit = ars
            .json(
                Method::GET,
                "/api/v1/audit?entity_type=legal_entity&entity_id=310781406",
                None,
            )
            .await
            .json();
        let actions: Vec<&str> = audit["items"]
            .as_array()
            .expect("test value")
            .iter()
            .map(|e| e["action"].as_str().expect("test value"))
            .collect();
        assert_eq!(
            actions
                .iter()
                .filter(|a| **a == "legal_entity.band_override")
                .count(),
            2,
            "{actions:?}"
        );
        app.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_are_previewed_then_confirmed_and_a_damaged_file_writes_nothing() {
    for backend in backends() {
        let app = TestApp::spawn(backend).await;
        let mut admin = app.signed_in("ars-admin").await;
        let finess =
            std::fs::read(data("finess_etabs_hopitaux_france_FHOFF.csv")).expect("test value");

        // Preview: counts for Occitanie only, nothing written yet.
        let preview = admin
            .upload("/registre/imports", "finess", "FHOFF.csv", finess.clone())
            .await;
        assert_eq!(preview.status, StatusCode::OK, "{}", preview.text);
        assert!(preview.text.contains("Aperçu"));
        assert!(
            preview.text.contains("Confirmer l&#39;import")
                || preview.text.contains("Confirmer l'import")
        );
        assert_eq!(
            app.store().registry_counts().await.expect("test value").1,
            0
        );
        let token = preview
            .text
            .split("name=\"token\" value=\"")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .expect("pending token")
            .to_owned();

        // Confirm: applied, in the history; the same token cannot be used twice.
        admin.csrf = csrf_from(&preview.text);
        let applied = admin
            .post_form("/registre/imports/appliquer", &[("token", &token)])
            .await;
        assert_eq!(applied.status, StatusCode::OK, "{}", applied.text);
        assert!(applied.text.contains("Import appliqué"));
        let (ejs, sites, _) = app.store().registry_counts().await.expect("test value");
        // FHOFF lists 506 sites of 208 legal entities in Occitanie; the fixtures add the
        // foreign entity.
        assert_eq!((ejs, sites), (208 + 1, 506));
        assert!(applied.text.contains("FHOFF.csv"));
        let again = admin
            .post_form("/registre/imports/appliquer", &[("token", &token)])
            .await;
        assert_eq!(again.status, StatusCode::CONFLICT);

        // A truncated SAE line: rejected with its line number, nothing written.
        let sae = std::fs::read(data("SAE_2023_ID_2023r.csv")).expect("test value");
        let damaged = sae[..300_000].to_vec();
        let rejected = admin
            .upload("/registre/imports", "sae-id", "SAE_ID.csv", damaged.clone())
            .await;
        assert_eq!(rejected.status, StatusCode::OK);
        assert!(rejected.text.contains("<td>1204</td>"), "{}", rejected.text);
        assert!(!rejected.text.contains("Confirmer l"));

        // The API: a dry run writes nothing; a damaged file is 422 with its lines.
        let mut api = app.with_token("national-admin").await;
        let dry = api
            .upload(
                "/api/v1/imports?dry_run=true",
                "sae-id",
                "SAE_ID.csv",
                sae.clone(),
            )
            .await;
        assert_eq!(dry.status, StatusCode::OK, "{}", dry.text);
        assert_eq!(dry.json()["applied"], false);
        let bad = api
            .upload("/api/v1/imports", "sae-id", "SAE_ID.csv", damaged)
            .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(bad.json()["rejected"][0]["line"], 1204);
        let unknown = api
            .upload("/api/v1/imports", "autre", "x.csv", b"a;b\n".to_vec())
            .await;
        assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(unknown.text.contains("kind"), "{}", unknown.text);
        let wrong_format = api
            .upload("/api/v1/imports", "sae-id", "x.csv", b"a;b\n1;2\n".to_vec())
            .await;
        assert_eq!(
            wrong_format.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            wrong_format.text
        );
        let history = api.json(Method::GET, "/api/v1/imports", None).await.json();
        assert_eq!(history["total"], 1, "{history}");
        assert_eq!(history["items"][0]["file_name"], "FHOFF.csv");
        assert_eq!(history["items"][0]["region"], "76");
        app.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changing_the_region_settings_recomputes_the_bands_of_that_region_only() {
    for backend in backends() {
        let app = app_with_registry(backend).await;
        let mut ars = app.with_token("ars-admin").await;
        let settings = ars
            .json(Method::GET, "/api/v1/regions/76/band-settings", None)
            .await;
        assert_eq!(settings.status, StatusCode::OK, "{}", settings.text);
        let settings = settings.json();
        assert_eq!(settings["version"], 0, "defaults apply");
        assert_eq!(settings["upper"], 500);

        let bad = ars
            .json(
                Method::PUT,
                "/api/v1/regions/76/band-settings",
                Some(json!({"columns": ["LIT_MCO"], "lower": 600, "upper": 500, "version": 0})),
            )
            .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.text);
        assert!(bad.text.contains("seuil"), "{}", bad.text);
        let unknown = ars
            .json(
                Method::PUT,
                "/api/v1/regions/76/band-settings",
                Some(json!({"columns": ["LITS"], "lower": 100, "upper": 500, "version": 0})),
            )
            .await;
        assert_eq!(
            unknown.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            unknown.text
        );

        // Upper threshold at 2 000 beds: the CHU de Montpellier (1 938) is no longer ≥ 500.
        let saved = ars
            .json(Method::PUT, "/api/v1/regions/76/band-settings", Some(json!({"columns": ["LIT_MCO", "CAP_COMPLET_TOT", "LIT_SSR", "LIT_USLD"], "lower": 100, "upper": 2000, "version": 0})))
            .await;
        assert_eq!(saved.status, StatusCode::OK, "{}", saved.text);
        let chu = ars
            .json(Method::GET, "/api/v1/legal-entities/340780477", None)
            .await
            .json();
        assert_eq!(chu["beds"], 1938);
        assert_eq!(chu["size_band"], "100to499");
        // The search results label the band with the region's thresholds.
        let mut browser = app.signed_in("ars-admin").await;
        let row = browser.get_htmx("/registre?q=340780477").await;
        assert!(row.text.contains("100–1999"), "{}", row.text);
        // So does the band filter of the whole page, beside the category filter (both read
        // with the results, from the same registry generation).
        let page = browser.get("/registre").await;
        assert_eq!(page.status, StatusCode::OK);
        for option in [
            ">100–1999 lits</option>",
            ">≥ 2000 lits</option>",
            ">Centre Hospitalier Régional (C.H.R.)</option>",
        ] {
            assert!(page.text.contains(option), "{option}: {}", page.text);
        }
        // Only MCO beds: 1 471.
        let saved = ars
            .json(
                Method::PUT,
                "/api/v1/regions/76/band-settings",
                Some(json!({"columns": ["LIT_MCO"], "lower": 100, "upper": 500, "version": 1})),
            )
            .await;
        assert_eq!(saved.status, StatusCode::OK, "{}", saved.text);
        let chu = ars
            .json(Method::GET, "/api/v1/legal-entities/340780477", None)
            .await
            .json();
        assert_eq!(chu["beds"], 1471);
        assert_eq!(chu["size_band"], "ge500");
        assert!(
            chu["band_rule"]["explanation"]
                .as_str()
                .expect("text")
                .contains("1\u{202f}471 lits en 2023 (LIT_MCO")
        );
        // Stale version: refused. Another region: untouched.
        let stale = ars
            .json(
                Method::PUT,
                "/api/v1/regions/76/band-settings",
                Some(json!({"columns": ["LIT_MCO"], "lower": 100, "upper": 500, "version": 1})),
            )
            .await;
        assert_eq!(stale.status, StatusCode::CONFLICT);
        let mut national = app.with_token("national-admin").await;
        let bourg = national
            .json(Method::GET, "/api/v1/legal-entities/010780054", None)
            .await
            .json();
        assert_eq!(bourg["beds"], 453);
        app.stop().await;
    }
}
