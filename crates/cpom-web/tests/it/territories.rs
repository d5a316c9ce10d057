//! Authorisations, labels and GHT on the real registry, on every backend: the two ARS
//! templates imported (preview, all or nothing, idempotence, history of periods, rejected
//! and skipped lines), GHT and labels edited through HTTP, the legal entity and site
//! resources, the GHT filter of the search, and the scope of each role.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use cpom_domain::{FinessId, RegionCode, ScopeFilter};
use cpom_store::repo::imports::ImportFile;
use cpom_store::repo::registry::{ImportKind, ImportReport};
use cpom_store::repo::territories::{AUTHORISATIONS_TEMPLATE, GHT_TEMPLATE};
use cpom_store::{AuditActor, AuditFilter, Store};
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::registry::import_all;
use crate::support::{TestApp, backends, fresh_db};

/// Imports `text` as a file of `kind`, limited to `scope`.
async fn import_text(
    store: &Store,
    dir: &Path,
    scope: Option<&RegionCode>,
    kind: ImportKind,
    name: &str,
    text: &str,
    apply: bool,
) -> ImportReport {
    let path: PathBuf = dir.join(name);
    std::fs::write(&path, text).expect("write file");
    store
        .import_path(
            &AuditActor::cli(),
            scope,
            &ImportFile {
                kind,
                path: &path,
                file_name: name,
                expected_checksum: None,
            },
            apply,
        )
        .await
        .expect("import")
}

fn fid(s: &str) -> FinessId {
    FinessId::parse(s).expect("finess")
}

fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
}

fn counts(r: &ImportReport) -> (u64, u64, u64, usize, usize) {
    (
        r.created,
        r.updated,
        r.unchanged,
        r.rejected.len(),
        r.skipped.len(),
    )
}

const LODEVE_SITE: &str = "340000215";
const LODEVE_EJ: &str = "340780519";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authorisations_are_previewed_applied_once_and_keep_their_periods_as_history() {
    for backend in backends() {
        let db = fresh_db(backend).await;
        let store = &db.store;
        let [f, _, _] = import_all(store, None, true).await;
        assert!(f.applied);
        let dir = tempfile::tempdir().expect("dir");
        let kind = ImportKind::Authorisations;
        let file = "autorisations.csv";

        // A preview counts and writes nothing.
        let preview = import_text(
            store,
            dir.path(),
            None,
            kind,
            file,
            AUTHORISATIONS_TEMPLATE,
            false,
        )
        .await;
        assert_eq!(counts(&preview), (3, 0, 0, 0, 0), "{backend:?}");
        assert!(!preview.applied && preview.import_id.is_none());
        assert!(
            store
                .site_authorisations(&fid(LODEVE_SITE))
                .await
                .expect("read")
                .is_empty()
        );

        // Applied: three authorisations and one row of history with its checksum.
        let applied = import_text(
            store,
            dir.path(),
            None,
            kind,
            file,
            AUTHORISATIONS_TEMPLATE,
            true,
        )
        .await;
        assert_eq!(counts(&applied), (3, 0, 0, 0, 0));
        assert!(applied.applied);
        let runs = store.list_import_runs(None, 1, 10).await.expect("runs");
        let run = &runs.items[0];
        assert_eq!(Some(run.id), applied.import_id);
        assert_eq!(
            (
                run.kind.as_str(),
                run.file_name.as_str(),
                run.created,
                run.actor_label.as_str()
            ),
            ("authorisations", file, 3, "ligne de commande")
        );
        assert_eq!(run.checksum, applied.checksum);
        let chu = store
            .entity_territory(&fid("340780477"))
            .await
            .expect("territory");
        assert_eq!(chu.authorisations.len(), 1);
        let a = &chu.authorisations[0];
        assert_eq!(
            (
                a.site.as_str(),
                a.activity_code.as_str(),
                a.form_code.as_deref()
            ),
            ("340785161", "01", Some("01"))
        );
        assert_eq!(a.period.from, date("2024-06-01"));
        assert_eq!(a.period.to, Some(date("2031-05-31")));
        assert_eq!(a.granted_on, Some(date("2023-12-14")));

        // The same file again changes nothing.
        let again = import_text(
            store,
            dir.path(),
            None,
            kind,
            file,
            AUTHORISATIONS_TEMPLATE,
            true,
        )
        .await;
        assert_eq!(counts(&again), (0, 0, 3, 0, 0));

        // The SSR authorisation of Lodève ends, and a new period starts the next day: the
        // end date is an update, the new start a creation, and both periods are kept.
        let renewed = AUTHORISATIONS_TEMPLATE.replace(
            ";;;01/09/2019;\n",
            ";;;01/09/2019;31/08/2025\n340000215;340780519;50;Soins de suite et de réadaptation non spécialisés;;;02;Hospitalisation à temps partiel de jour ou de nuit;ARS-OC-2025-17;2025-06-30;2025-09-01;\n",
        );
        assert_ne!(renewed, AUTHORISATIONS_TEMPLATE, "the template changed");
        let changed = import_text(store, dir.path(), None, kind, file, &renewed, true).await;
        assert_eq!(counts(&changed), (1, 1, 2, 0, 0), "{:?}", changed.rejected);
        let lodeve = store
            .site_authorisations(&fid(LODEVE_SITE))
            .await
            .expect("read");
        assert_eq!(lodeve.len(), 2, "both periods are kept");
        let today = date("2026-01-15");
        let in_force: Vec<_> = lodeve.iter().filter(|a| a.period.contains(today)).collect();
        assert_eq!(in_force.len(), 1);
        assert_eq!(in_force[0].number.as_deref(), Some("ARS-OC-2025-17"));
        assert!(
            lodeve
                .iter()
                .any(|a| a.period.to == Some(date("2025-08-31"))
                    && a.period.contains(date("2020-01-01")))
        );
        // The update is in the audit trail of the legal entity, before and after.
        let audit = store
            .list_audit(
                &ScopeFilter::LegalEntity(fid(LODEVE_EJ)),
                &AuditFilter {
                    entity_type: Some("authorisation".into()),
                    ..AuditFilter::default()
                },
                1,
                10,
            )
            .await
            .expect("audit");
        let update = audit
            .items
            .iter()
            .find(|e| e.action == "authorisation.update")
            .expect("update audited");
        assert_eq!(
            update.before.as_ref().expect("before")["valid_to"],
            json!(null)
        );
        assert_eq!(
            update.after.as_ref().expect("after")["valid_to"],
            json!("2025-08-31")
        );
        assert_eq!(
            audit
                .items
                .iter()
                .filter(|e| e.action == "authorisation.create")
                .count(),
            2
        );

        // A site unknown to the registry: the line is rejected with its column, and nothing
        // of the file is written, not even its valid lines.
        let unknown = format!(
            "{}340999999;340780519;01;Médecine;;;;;;;01/01/2026;\n",
            renewed.replace("2031-06-30", "2030-06-30")
        );
        let refused = import_text(store, dir.path(), None, kind, file, &unknown, true).await;
        assert!(!refused.applied);
        assert_eq!(refused.rejected.len(), 1, "{:?}", refused.rejected);
        let r = &refused.rejected[0];
        assert_eq!(r.line, 6);
        assert_eq!(r.column.as_deref(), Some("finess_et"));
        assert!(r.reason.contains("inconnu du registre"), "{}", r.reason);
        let millau = store
            .site_authorisations(&fid("120004569"))
            .await
            .expect("read");
        assert_eq!(
            millau[0].period.to,
            Some(date("2031-06-30")),
            "nothing written"
        );

        // An authorisation in force held by another legal entity than the site's.
        let wrong_holder = format!(
            "{}\n340785161;340780519;02;Chirurgie;;;;;;;01/01/2024;\n",
            AUTHORISATIONS_TEMPLATE.trim_end()
        );
        let refused = import_text(store, dir.path(), None, kind, file, &wrong_holder, false).await;
        assert_eq!(refused.rejected.len(), 1);
        assert_eq!(refused.rejected[0].column.as_deref(), Some("finess_ej"));
        assert!(
            refused.rejected[0]
                .reason
                .contains("rattaché à l'EJ 340780477")
        );

        // An ARS of another region: every line is outside its region, skipped.
        let aura = RegionCode::parse("84").expect("region");
        let skipped = import_text(
            store,
            dir.path(),
            Some(&aura),
            kind,
            file,
            AUTHORISATIONS_TEMPLATE,
            false,
        )
        .await;
        assert_eq!(counts(&skipped), (0, 0, 0, 0, 3));
        assert!(skipped.skipped[0].reason.contains("hors de votre région"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ght_imports_keep_one_support_and_one_ght_per_entity_against_the_stored_memberships() {
    for backend in backends() {
        let db = fresh_db(backend).await;
        let store = &db.store;
        import_all(store, None, true).await;
        let dir = tempfile::tempdir().expect("dir");
        let kind = ImportKind::Ght;
        let file = "ght.csv";

        let applied = import_text(store, dir.path(), None, kind, file, GHT_TEMPLATE, true).await;
        assert_eq!(
            counts(&applied),
            (9, 0, 0, 0, 0),
            "{backend:?} {:?}",
            applied.rejected
        );
        let ght = store.ght_detail("GHT-EHSA").await.expect("GHT");
        assert_eq!(ght.name, "GHT Est-Hérault et Sud-Aveyron");
        assert_eq!(ght.region.as_str(), "76");
        assert_eq!(ght.members.len(), 9);
        assert_eq!(ght.members[0].ej.as_str(), "340780477", "support first");
        assert!(ght.members[0].support);
        let list = store
            .list_ghts(&ScopeFilter::All, date("2026-01-01"))
            .await
            .expect("list");
        assert_eq!(list.len(), 1);
        assert_eq!(list[0].members_in_force, 9);
        assert_eq!(
            list[0].support.as_ref().map(|(f, _)| f.as_str()),
            Some("340780477")
        );

        let again = import_text(store, dir.path(), None, kind, file, GHT_TEMPLATE, true).await;
        assert_eq!(counts(&again), (0, 0, 9, 0, 0));

        // Lodève leaves at the end of 2023: an update, its period kept.
        let leaving = GHT_TEMPLATE.replace(
            "340780519;membre;01/07/2016;",
            "340780519;membre;01/07/2016;31/12/2023",
        );
        let left = import_text(store, dir.path(), None, kind, file, &leaving, true).await;
        assert_eq!(counts(&left), (0, 1, 8, 0, 0));
        let lodeve = store
            .entity_territory(&fid(LODEVE_EJ))
            .await
            .expect("territory");
        assert_eq!(lodeve.memberships.len(), 1);
        assert!(lodeve.memberships[0].period.contains(date("2020-01-01")));
        assert!(!lodeve.memberships[0].period.contains(date("2024-01-01")));

        // A second support of the same GHT over the same time, and Lodève in another GHT
        // while still in the first one: rejected against the stored memberships, with their
        // column, and nothing is written (not even the new GHT).
        let conflicts = "code_ght;nom_ght;finess_ej;role;date_debut;date_fin\n\
            GHT-EHSA;GHT Est-Hérault et Sud-Aveyron;310781406;support;01/01/2024;\n\
            GHT-OUEST;GHT Ouest-Hérault;340780519;membre;01/01/2023;\n\
            GHT-OUEST;GHT Ouest-Hérault;120004619;membre;01/01/2023;\n";
        let refused = import_text(store, dir.path(), None, kind, file, conflicts, true).await;
        assert!(!refused.applied);
        assert_eq!(
            refused
                .rejected
                .iter()
                .map(|r| (r.line, r.column.as_deref().unwrap_or("")))
                .collect::<Vec<_>>(),
            vec![(2, "role"), (3, "finess_ej"), (4, "finess_ej")],
            "{:?}",
            refused.rejected
        );
        assert!(
            refused.rejected[0]
                .reason
                .contains("qu'un support à la fois")
        );
        assert!(refused.rejected[1].reason.contains("qu'à un GHT à la fois"));
        assert!(
            store.ght_detail("GHT-OUEST").await.is_err(),
            "nothing written"
        );
        // After its membership of GHT-EHSA, Lodève may join another GHT.
        let moving = "code_ght;nom_ght;finess_ej;role;date_debut;date_fin\n\
            GHT-OUEST;GHT Ouest-Hérault;340780519;support;01/01/2024;\n";
        let moved = import_text(store, dir.path(), None, kind, file, moving, true).await;
        assert_eq!(counts(&moved), (1, 0, 0, 0, 0), "{:?}", moved.rejected);

        // An unknown legal entity, and a member of another region.
        let bad = "code_ght;nom_ght;finess_ej;role;date_debut;date_fin\n\
            GHT-OUEST;GHT Ouest-Hérault;340999999;membre;01/01/2024;\n\
            GHT-OUEST;GHT Ouest-Hérault;690781810;membre;01/01/2024;\n";
        let refused = import_text(store, dir.path(), None, kind, file, bad, false).await;
        assert_eq!(refused.rejected.len(), 2, "{:?}", refused.rejected);
        assert!(refused.rejected[0].reason.contains("inconnue du registre"));
        assert!(refused.rejected[1].reason.contains("Auvergne-Rhône-Alpes"));

        // An ARS of another region skips every line of an Occitanie GHT.
        let aura = RegionCode::parse("84").expect("region");
        let skipped = import_text(
            store,
            dir.path(),
            Some(&aura),
            kind,
            file,
            GHT_TEMPLATE,
            false,
        )
        .await;
        assert_eq!(counts(&skipped), (0, 0, 0, 0, 9));
    }
}

async fn app_with_territories(backend: crate::support::Backend) -> TestApp {
    let app = TestApp::spawn(backend).await;
    let reports = import_all(app.store(), None, true).await;
    assert!(reports.iter().all(|r| r.applied));
    let dir = tempfile::tempdir().expect("dir");
    for (kind, name, text) in [
        (
            ImportKind::Authorisations,
            "autorisations.csv",
            AUTHORISATIONS_TEMPLATE,
        ),
        (ImportKind::Ght, "ght.csv", GHT_TEMPLATE),
    ] {
        let r = import_text(app.store(), dir.path(), None, kind, name, text, true).await;
        assert!(r.applied, "{:?}", r.rejected);
    }
    app
}

async fn ght_version(app: &TestApp) -> String {
    app.store()
        .ght_detail("GHT-EHSA")
        .await
        .expect("GHT")
        .version
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ght_members_and_labels_are_edited_through_http_with_rules_versions_and_audit() {
    for backend in backends() {
        let app = app_with_territories(backend).await;
        let mut ars = app.signed_in("ars-admin").await;

        let list = ars.get("/registre/ght").await;
        assert_eq!(list.status, StatusCode::OK);
        assert!(
            list.text.contains("/registre/ght/GHT-EHSA"),
            "{}",
            list.text
        );
        let page = ars.get("/registre/ght/GHT-EHSA").await;
        assert!(page.text.contains("Ajouter un membre"));
        assert!(
            page.text.contains("CENTRE HOSPITALIER DE LODEVE"),
            "{}",
            page.text
        );

        // A form read before another change: 409, in French.
        let stale = ars
            .post_form(
                "/registre/ght/GHT-EHSA/membres",
                &[
                    ("ej", "310781406"),
                    ("support", "false"),
                    ("valid_from", "01/01/2025"),
                    ("valid_to", ""),
                    ("version", "0"),
                ],
            )
            .await;
        assert_eq!(stale.status, StatusCode::CONFLICT, "{backend:?}");
        assert!(stale.text.contains("modifié entre-temps"), "{}", stale.text);

        // A second support at the same time: refused, naming the rule.
        let version = ght_version(&app).await;
        let second = ars
            .post_form(
                "/registre/ght/GHT-EHSA/membres",
                &[
                    ("ej", "310781406"),
                    ("support", "true"),
                    ("valid_from", "2025-01-01"),
                    ("version", &version),
                ],
            )
            .await;
        assert_eq!(second.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            second.text.contains("qu&#39;un support à la fois"),
            "{}",
            second.text
        );
        let bad_date = ars
            .post_form(
                "/registre/ght/GHT-EHSA/membres",
                &[
                    ("ej", "310781406"),
                    ("support", "false"),
                    ("valid_from", "2025/01/01"),
                    ("version", &version),
                ],
            )
            .await;
        assert_eq!(bad_date.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(bad_date.text.contains("date de début"), "{}", bad_date.text);

        // A plain member joins, then Lodève leaves.
        let added = ars
            .post_form(
                "/registre/ght/GHT-EHSA/membres",
                &[
                    ("ej", "310781406"),
                    ("support", "false"),
                    ("valid_from", "01/01/2025"),
                    ("version", &version),
                ],
            )
            .await;
        assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.text);
        let ght = app.store().ght_detail("GHT-EHSA").await.expect("GHT");
        let lodeve = ght
            .members
            .iter()
            .find(|m| m.ej.as_str() == LODEVE_EJ)
            .expect("Lodève");
        let ended = ars
            .post_form(
                &format!("/registre/ght/GHT-EHSA/membres/{}/fin", lodeve.id),
                &[
                    ("valid_to", "31/12/2024"),
                    ("version", &ght.version.to_string()),
                ],
            )
            .await;
        assert_eq!(ended.status, StatusCode::SEE_OTHER, "{}", ended.text);
        let page = ars.get("/registre/ght/GHT-EHSA").await;
        assert!(
            page.text.contains("du 01/07/2016 au 31/12/2024"),
            "{}",
            page.text
        );
        assert!(page.text.contains("depuis le 01/01/2025"));

        // The legal entity page judges a year with the structure of its last day.
        let then = ars
            .get(&format!("/registre/ej/{LODEVE_EJ}?annee=2020"))
            .await;
        assert!(then.text.contains("au 31/12/2020"), "{}", then.text);
        assert!(
            then.text
                .contains("Membre du <a href=\"/registre/ght/GHT-EHSA\"")
        );
        let now = ars.get(&format!("/registre/ej/{LODEVE_EJ}")).await;
        assert!(now.text.contains("Membre d'aucun GHT"), "{}", now.text);
        assert!(
            now.text.contains("Fin d&#39;adhésion à un GHT"),
            "history: {}",
            now.text
        );
        assert!(now.text.contains("Soins de suite et de réadaptation"));

        // Through the API, with a token: the same rules.
        let mut api = app.with_token("ars-admin").await;
        let ght = api.json(Method::GET, "/api/v1/ghts/GHT-EHSA", None).await;
        assert_eq!(ght.status, StatusCode::OK, "{}", ght.text);
        let ght = ght.json();
        assert_eq!(ght["support_ej"], "340780477");
        let version = ght["version"].as_i64().expect("version");
        let created = api
            .json(
                Method::POST,
                "/api/v1/ghts/GHT-EHSA/members",
                Some(json!({"ej": "310781406", "support": false, "valid_from": "2024-01-01", "version": version})),
            )
            .await;
        assert_eq!(
            created.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "overlaps its membership from 2025"
        );
        assert_eq!(created.json()["fields"][0]["field"], "ej");
        let other = api
            .json(
                Method::POST,
                "/api/v1/ghts",
                Some(json!({"code": "ght-ouest", "name": "GHT Ouest-Hérault"})),
            )
            .await;
        assert_eq!(other.status, StatusCode::CREATED, "{}", other.text);
        assert_eq!(other.json()["code"], "GHT-OUEST");
        assert_eq!(other.json()["region"], "76");
        let dup = api
            .json(
                Method::POST,
                "/api/v1/ghts",
                Some(json!({"code": "GHT-OUEST", "name": "Autre"})),
            )
            .await;
        assert_eq!(dup.status, StatusCode::UNPROCESSABLE_ENTITY);
        let joined = api
            .json(
                Method::POST,
                "/api/v1/ghts/GHT-OUEST/members",
                Some(json!({"ej": LODEVE_EJ, "support": true, "valid_from": "01/01/2025", "version": 1})),
            )
            .await;
        assert_eq!(joined.status, StatusCode::CREATED, "{}", joined.text);
        let id = joined.json()["id"].as_i64().expect("id");
        let end = api
            .json(
                Method::POST,
                &format!("/api/v1/ghts/GHT-OUEST/members/{id}/end"),
                Some(json!({"valid_to": "2024-12-31", "version": 2})),
            )
            .await;
        assert_eq!(
            end.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "ends before it starts"
        );
        assert_eq!(end.json()["fields"][0]["field"], "valid_to");
        let foreign_region = api
            .json(
                Method::POST,
                "/api/v1/ghts",
                Some(json!({"code": "GHT-LYON", "name": "GHT Rhône", "region": "84"})),
            )
            .await;
        assert_eq!(foreign_region.status, StatusCode::FORBIDDEN);

        // Labels: given, refused when overlapping, ended with a version.
        let label = ars
            .post_form(
                "/registre/ej/340780477/labels",
                &[
                    ("label", "pass"),
                    ("valid_from", "01/01/2018"),
                    ("valid_to", ""),
                    ("note", "Arrêté ARS du 12/12/2017"),
                ],
            )
            .await;
        assert_eq!(label.status, StatusCode::SEE_OTHER, "{}", label.text);
        let overlap = ars
            .post_form(
                "/registre/ej/340780477/labels",
                &[("label", "pass"), ("valid_from", "2020-01-01")],
            )
            .await;
        assert_eq!(overlap.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            overlap.text.contains("ne peuvent pas se chevaucher"),
            "{}",
            overlap.text
        );
        let unknown = ars
            .post_form(
                "/registre/ej/340780477/labels",
                &[("label", "cht"), ("valid_from", "2020-01-01")],
            )
            .await;
        assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(unknown.text.contains("label : « cht »"), "{}", unknown.text);
        let territory = app
            .store()
            .entity_territory(&fid("340780477"))
            .await
            .expect("territory");
        let pass = &territory.labels[0];
        let stale = ars
            .post_form(
                &format!("/registre/ej/340780477/labels/{}/fin", pass.id),
                &[("valid_to", "31/12/2025"), ("version", "99")],
            )
            .await;
        assert_eq!(stale.status, StatusCode::CONFLICT);
        let ended = ars
            .post_form(
                &format!("/registre/ej/340780477/labels/{}/fin", pass.id),
                &[
                    ("valid_to", "31/12/2025"),
                    ("version", &pass.version.to_string()),
                ],
            )
            .await;
        assert_eq!(ended.status, StatusCode::SEE_OTHER, "{}", ended.text);
        let chu = api
            .json(
                Method::POST,
                "/api/v1/legal-entities/340780477/labels",
                Some(json!({"label": "chu", "valid_from": "1972-01-01"})),
            )
            .await;
        assert_eq!(chu.status, StatusCode::CREATED, "{}", chu.text);
        assert_eq!(chu.json()["label_name"], "Centre hospitalier universitaire");
        assert_eq!(chu.json()["in_force"], true);
        let page = ars.get("/registre/ej/340780477").await;
        assert!(
            page.text.contains("du 01/01/2018 au 31/12/2025"),
            "{}",
            page.text
        );
        assert!(page.text.contains("Label attribué"));

        // Every change is audited on its legal entity.
        let audit = app
            .store()
            .list_audit(
                &ScopeFilter::LegalEntity(fid("340780477")),
                &AuditFilter {
                    entity_type: Some("entity_label".into()),
                    ..AuditFilter::default()
                },
                1,
                10,
            )
            .await
            .expect("audit");
        assert_eq!(
            audit
                .items
                .iter()
                .map(|e| e.action.as_str())
                .collect::<Vec<_>>(),
            vec![
                "entity_label.create",
                "entity_label.end",
                "entity_label.create"
            ]
        );
        assert!(
            audit
                .items
                .iter()
                .all(|e| e.actor_label.starts_with("ars-admin"))
        );
        let memberships = app
            .store()
            .list_audit(
                &ScopeFilter::LegalEntity(fid("310781406")),
                &AuditFilter {
                    entity_type: Some("ght_membership".into()),
                    ..AuditFilter::default()
                },
                1,
                10,
            )
            .await
            .expect("audit");
        assert_eq!(memberships.total, 1);

        // An ARS referent reads but may not edit: 403; an ARS of another region does not
        // find the GHT: 404.
        let mut referent = app.signed_in("ars-referent").await;
        assert_eq!(
            referent.get("/registre/ght/GHT-EHSA").await.status,
            StatusCode::OK
        );
        let refused = referent
            .post_form(
                "/registre/ght/GHT-EHSA/membres",
                &[
                    ("ej", "310781406"),
                    ("valid_from", "01/01/2030"),
                    ("version", "1"),
                ],
            )
            .await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN);
        let mut foreign = app.signed_in("foreign-admin").await;
        assert_eq!(
            foreign.get("/registre/ght/GHT-EHSA").await.status,
            StatusCode::NOT_FOUND
        );
        app.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn entity_and_site_resources_carry_labels_authorisations_and_ght_within_each_scope() {
    for backend in backends() {
        let app = app_with_territories(backend).await;
        app.store()
            .add_label(
                &AuditActor::system(),
                &fid("340780477"),
                cpom_domain::territory::Label::Chu,
                cpom_domain::territory::Period::new(date("1972-01-01"), None).expect("period"),
                None,
            )
            .await
            .expect("label");

        let mut national = app.with_token("national-admin").await;
        let chu = national
            .json(Method::GET, "/api/v1/legal-entities/340780477", None)
            .await;
        assert_eq!(chu.status, StatusCode::OK, "{}", chu.text);
        let chu = chu.json();
        assert_eq!(chu["labels"][0]["label"], "chu");
        assert_eq!(chu["labels"][0]["in_force"], true);
        assert_eq!(chu["authorisations"][0]["site"], "340785161");
        assert_eq!(chu["authorisations"][0]["activity_label"], "Médecine");
        assert_eq!(chu["authorisations"][0]["valid_from"], "2024-06-01");
        assert_eq!(chu["authorisations"][0]["valid_to"], "2031-05-31");
        assert_eq!(chu["ght"]["current"]["code"], "GHT-EHSA");
        assert_eq!(chu["ght"]["current"]["support"], true);
        let millau = national
            .json(Method::GET, "/api/v1/legal-entities/120004528", None)
            .await
            .json();
        assert_eq!(millau["ght"]["current"]["support"], false);
        assert_eq!(millau["ght"]["current"]["support_ej"], "340780477");
        assert_eq!(millau["ght"]["memberships"][0]["valid_from"], "2016-07-01");
        let site = national
            .json(Method::GET, "/api/v1/sites/340000215", None)
            .await
            .json();
        assert_eq!(site["authorisations"][0]["activity_code"], "50");
        assert_eq!(site["authorisations"][0]["valid_to"], json!(null));
        let site_page = app
            .signed_in("national-admin")
            .await
            .get("/registre/et/340000215")
            .await;
        assert!(
            site_page.text.contains("depuis le 01/09/2019"),
            "{}",
            site_page.text
        );

        // The GHT filter of the search: the nine members in force today, in the API and
        // the page; the imports through the API know the new kinds.
        let members = national
            .json(
                Method::GET,
                "/api/v1/legal-entities?ght=ght-ehsa&per_page=50",
                None,
            )
            .await;
        assert_eq!(members.status, StatusCode::OK, "{}", members.text);
        assert_eq!(members.json()["total"], 9);
        let none = national
            .json(Method::GET, "/api/v1/legal-entities?ght=GHT-INCONNU", None)
            .await;
        assert_eq!(none.json()["total"], 0);
        let mut ars = app.signed_in("ars-admin").await;
        let search = ars.get("/registre").await;
        assert!(
            search.text.contains("<option value=\"GHT-EHSA\""),
            "{}",
            search.text
        );
        assert!(search.text.contains("href=\"/registre/ght\""));
        let found = ars.get_htmx("/registre?ght=GHT-EHSA&q=millau").await;
        assert!(
            found.text.contains("/registre/ej/120004528"),
            "{}",
            found.text
        );
        assert!(found.text.contains("1 entité(s)"), "{}", found.text);
        let imports = ars.get("/registre/imports").await;
        assert!(imports.text.contains("/registre/modeles/autorisations.csv"));
        assert!(
            imports.text.contains("<option value=\"ght\""),
            "{}",
            imports.text
        );
        let template = ars.get("/registre/modeles/ght.csv").await;
        assert_eq!(template.status, StatusCode::OK);
        assert_eq!(
            template
                .headers
                .get("content-type")
                .and_then(|v| v.to_str().ok()),
            Some("text/csv; charset=utf-8")
        );
        assert!(
            template
                .headers
                .get("content-disposition")
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.starts_with("attachment"))
        );
        assert_eq!(template.text, GHT_TEMPLATE);
        let mut api = app.with_token("ars-admin").await;
        let dry = api
            .upload(
                "/api/v1/imports?dry_run=true",
                "authorisations",
                "autorisations.csv",
                AUTHORISATIONS_TEMPLATE.as_bytes().to_vec(),
            )
            .await;
        assert_eq!(dry.status, StatusCode::OK, "{}", dry.text);
        assert_eq!(dry.json()["kind"], "authorisations");
        assert_eq!(dry.json()["unchanged"], 3);

        // An establishment sees its own legal entity's authorisations, labels and GHT, its
        // GHT page, and nothing of another legal entity (even of its GHT): 404.
        let mut leader = app.with_token("establishment-leader").await;
        let own = leader
            .json(Method::GET, "/api/v1/legal-entities/340780477", None)
            .await;
        assert_eq!(own.status, StatusCode::OK);
        assert_eq!(
            own.json()["authorisations"].as_array().map(Vec::len),
            Some(1)
        );
        for path in [
            "/api/v1/legal-entities/120004528",
            "/api/v1/sites/120004569",
            "/api/v1/legal-entities/120004528/labels",
        ] {
            let method = if path.ends_with("/labels") {
                Method::POST
            } else {
                Method::GET
            };
            let body = path
                .ends_with("/labels")
                .then(|| json!({"label": "pass", "valid_from": "2020-01-01"}));
            let resp = leader.json(method, path, body).await;
            assert_eq!(resp.status, StatusCode::NOT_FOUND, "{path}: {}", resp.text);
        }
        assert_eq!(
            leader
                .json(Method::GET, "/api/v1/ghts/GHT-EHSA", None)
                .await
                .status,
            StatusCode::OK
        );
        let listed = leader.json(Method::GET, "/api/v1/ghts", None).await.json();
        assert_eq!(listed["items"][0]["code"], "GHT-EHSA");
        let mut browser = app.signed_in("establishment-contributor").await;
        assert_eq!(
            browser.get("/registre/ej/120004528").await.status,
            StatusCode::NOT_FOUND
        );
        let own_page = browser.get("/registre/ej/340780477").await;
        assert!(own_page.text.contains("Médecine (01)"), "{}", own_page.text);
        assert!(!own_page.text.contains("Attribuer un label"), "read only");
        app.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn periods_survive_a_backup_restored_on_either_backend() {
    for source in backends() {
        let db = fresh_db(source).await;
        let store = &db.store;
        let occitanie = RegionCode::parse("76").expect("region");
        let dir = tempfile::tempdir().expect("dir");
        let finess = crate::registry::data("finess_etabs_hopitaux_france_FHOFF.csv");
        let text = std::fs::read_to_string(&finess).expect("FINESS file");
        for (kind, name, text) in [
            (ImportKind::Finess, "finess.csv", text.as_str()),
            (
                ImportKind::Authorisations,
                "autorisations.csv",
                AUTHORISATIONS_TEMPLATE,
            ),
            (ImportKind::Ght, "ght.csv", GHT_TEMPLATE),
        ] {
            let r = import_text(store, dir.path(), Some(&occitanie), kind, name, text, true).await;
            assert!(r.applied, "{name}: {:?}", r.rejected);
        }
        store
            .add_label(
                &AuditActor::system(),
                &fid(LODEVE_EJ),
                cpom_domain::territory::Label::HopitalProximite,
                cpom_domain::territory::Period::new(date("2021-01-01"), Some(date("2027-12-31")))
                    .expect("period"),
                Some("Labellisation 2021"),
            )
            .await
            .expect("label");
        let state = |store: Store| async move {
            let mut out = Vec::new();
            for ej in ["340780477", LODEVE_EJ, "120004528"] {
                let t = store.entity_territory(&fid(ej)).await.expect("territory");
                out.push(serde_json::to_string(&t).expect("json"));
            }
            let g = store.ght_detail("GHT-EHSA").await.expect("GHT");
            out.push(serde_json::to_string(&g).expect("json"));
            out
        };
        let before = state(store.clone()).await;
        let archive = db.dir.path().join("sauvegarde.tar.gz");
        store.backup(&archive).await.expect("backup");
        for target in backends() {
            let empty = fresh_db(target).await;
            empty.store.restore(&archive).await.expect("restore");
            assert_eq!(
                state(empty.store.clone()).await,
                before,
                "{source:?} -> {target:?}"
            );
        }
    }
}
