//! Catalogues in the store: import, versions, publication, archive and copy, on SQLite and
//! PostgreSQL.

use std::path::PathBuf;

use cpom_domain::ScopeFilter;
use cpom_domain::catalogue::{Catalogue, CatalogueState, TargetRule, TargetYear};
use cpom_import::catalogue::read_toml;
use cpom_store::AuditActor;
use cpom_store::StoreError;
use cpom_store::repo::catalogues::{ImportOutcome, NewGeneration};

use crate::support::{OWN_EJ, backends, fresh_db};

pub fn shipped(slug: &str) -> Catalogue {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../catalogues")
        .join(format!("{slug}.toml"));
    read_toml(&std::fs::read_to_string(path).expect("shipped file")).expect("valid catalogue")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_catalogue_goes_from_draft_to_published_and_a_change_makes_a_new_version() {
    for backend in backends() {
        let db = fresh_db(backend).await;
        let actor = AuditActor::cli();
        let occ = shipped("occitanie-2025-2029");
        let (outcome, v1) = db
            .store
            .import_catalogue(&actor, &occ, false)
            .await
            .expect("import");
        assert_eq!(outcome, ImportOutcome::Created);
        assert_eq!((v1.version, v1.state), (1, CatalogueState::Draft));
        assert_eq!(v1.indicators, 30);
        // Same content again: nothing happens.
        let (outcome, again) = db
            .store
            .import_catalogue(&actor, &occ, false)
            .await
            .expect("import");
        assert_eq!(outcome, ImportOutcome::Unchanged);
        assert_eq!(again.row_version, v1.row_version);
        // Drafts are hidden from readers who may not see them.
        assert!(matches!(
            db.store.catalogue("occitanie-2025-2029", None, false).await,
            Err(StoreError::NotFound)
        ));
        // A stale version cannot publish.
        assert!(matches!(
            db.store
                .publish_catalogue(&actor, "occitanie-2025-2029", 1, v1.row_version + 5)
                .await,
            Err(StoreError::Conflict(_))
        ));
        let published = db
            .store
            .publish_catalogue(&actor, "occitanie-2025-2029", 1, v1.row_version)
            .await
            .expect("publish");
        assert_eq!(published.state, CatalogueState::Published);
        let (meta, read) = db
            .store
            .catalogue("occitanie-2025-2029", None, false)
            .await
            .expect("read");
        assert_eq!(meta.version, 1);
        assert_eq!(
            read, occ,
            "the stored text reads back to the same catalogue"
        );

        // Changing a published catalogue makes version 2, a draft; v1 stays published.
        let mut changed = occ.clone();
        changed.indicators[0].targets[0].rule = TargetRule::YesNo { expected: true };
        let (outcome, v2) = db
            .store
            .import_catalogue(&actor, &changed, false)
            .await
            .expect("v2");
        assert_eq!(outcome, ImportOutcome::NewVersion);
        assert_eq!((v2.version, v2.state), (2, CatalogueState::Draft));
        let (meta, _) = db
            .store
            .catalogue("occitanie-2025-2029", None, true)
            .await
            .expect("read");
        assert_eq!(meta.version, 1, "the published version is the default one");
        let (_, draft) = db
            .store
            .catalogue("occitanie-2025-2029", Some(2), true)
            .await
            .expect("v2");
        assert_eq!(
            draft.indicators[0].targets[0].rule,
            TargetRule::YesNo { expected: true }
        );
        // The versions kept in memory for the forms: a draft is read again after each change.
        let cached = |v| db.store.catalogue_version("occitanie-2025-2029", v);
        assert_eq!(cached(1).await.expect("v1").as_ref(), &occ);
        assert_eq!(
            cached(2).await.expect("v2").indicators[0].targets[0].rule,
            TargetRule::YesNo { expected: true }
        );
        let mut redrafted = changed.clone();
        redrafted.indicators[0].targets[0].rule = TargetRule::YesNo { expected: false };
        db.store
            .import_catalogue(&actor, &redrafted, false)
            .await
            .expect("draft replaced");
        assert_eq!(
            cached(2).await.expect("v2").indicators[0].targets[0].rule,
            TargetRule::YesNo { expected: false },
            "a draft is never served from memory"
        );
        let v2 = db
            .store
            .catalogue_versions("occitanie-2025-2029")
            .await
            .expect("versions")
            .into_iter()
            .find(|v| v.version == 2)
            .expect("v2");
        // Publishing v2 archives v1.
        db.store
            .publish_catalogue(&actor, "occitanie-2025-2029", 2, v2.row_version)
            .await
            .expect("publish v2");
        let versions = db
            .store
            .catalogue_versions("occitanie-2025-2029")
            .await
            .expect("versions");
        let states: Vec<(i32, CatalogueState)> =
            versions.iter().map(|v| (v.version, v.state)).collect();
        assert_eq!(
            states,
            [
                (2, CatalogueState::Published),
                (1, CatalogueState::Archived)
            ]
        );
        // A published version is immutable: publishing it again is refused.
        assert!(matches!(
            db.store
                .publish_catalogue(&actor, "occitanie-2025-2029", 2, versions[0].row_version)
                .await,
            Err(StoreError::Invalid { field: "state", .. })
        ));

        // The slug belongs to its region.
        let mut foreign = occ.clone();
        foreign.region = cpom_domain::RegionCode::parse("84").expect("region");
        assert!(matches!(
            db.store.import_catalogue(&actor, &foreign, false).await,
            Err(StoreError::Invalid {
                field: "region",
                ..
            })
        ));

        // A new generation starts as a copy, without the targets of years it does not cover.
        let (_, current) = db
            .store
            .catalogue("occitanie-2025-2029", None, false)
            .await
            .expect("read");
        let id = db
            .store
            .catalogue_id("occitanie-2025-2029", 2)
            .await
            .expect("id");
        let next = NewGeneration {
            slug: "occitanie-2030-2034".into(),
            title: "Occitanie 2030–2034".into(),
            generation: "2030-2034".into(),
            start_year: 2030,
            end_year: 2034,
        };
        let copy = db
            .store
            .copy_catalogue(&actor, &current, Some(id), &next)
            .await
            .expect("copy");
        assert_eq!((copy.version, copy.state), (1, CatalogueState::Draft));
        let (_, copied) = db
            .store
            .catalogue("occitanie-2030-2034", None, true)
            .await
            .expect("read copy");
        assert_eq!(copied.indicators.len(), 30);
        assert!(
            copied
                .indicators
                .iter()
                .flat_map(|i| &i.targets)
                .all(|t| t.year == TargetYear::Total)
        );
        assert!(matches!(
            db.store
                .copy_catalogue(&actor, &current, Some(id), &next)
                .await,
            Err(StoreError::Duplicate { field: "slug", .. })
        ));

        // Listings: drafts only on request; a region sees its own.
        let occitanie = ScopeFilter::Region(cpom_domain::RegionCode::parse("76").expect("region"));
        let with = db
            .store
            .list_catalogues(&occitanie, true, 1, 50)
            .await
            .expect("list");
        let without = db
            .store
            .list_catalogues(&occitanie, false, 1, 50)
            .await
            .expect("list");
        assert_eq!((with.total, without.total), (3, 2));
        let other = ScopeFilter::Region(cpom_domain::RegionCode::parse("84").expect("region"));
        assert_eq!(
            db.store
                .list_catalogues(&other, true, 1, 50)
                .await
                .expect("list")
                .total,
            0
        );

        // Every change is in the audit trail.
        let audit = db
            .store
            .list_audit(&ScopeFilter::All, &Default::default(), 1, 100)
            .await
            .expect("audit");
        let actions: Vec<&str> = audit.items.iter().map(|e| e.action.as_str()).collect();
        for a in [
            "catalogue.import",
            "catalogue.publish",
            "catalogue.archive",
            "catalogue.copy",
        ] {
            assert!(actions.contains(&a), "{a} in {actions:?}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_and_the_pages_show_a_catalogue_and_hide_drafts_from_establishments() {
    crate::on_each_backend!(|app| {
        let actor = AuditActor::system();
        app.store()
            .import_catalogue(&actor, &shipped("occitanie-2025-2029"), true)
            .await
            .expect("import");
        // A second version, still a draft.
        let mut changed = shipped("occitanie-2025-2029");
        changed.title = "Occitanie 2025–2029 (révision)".into();
        app.store()
            .import_catalogue(&actor, &changed, false)
            .await
            .expect("draft");

        let mut leader = app.signed_in("establishment-leader").await;
        let doc = leader.get("/api/v1/catalogues/occitanie-2025-2029").await;
        assert_eq!(doc.status, 200, "{}", doc.text);
        let doc: serde_json::Value = serde_json::from_str(&doc.text).expect("json");
        assert_eq!(doc["version"], 1);
        assert_eq!(doc["state"], "published");
        let ct1 = &doc["indicators"][0];
        assert_eq!(ct1["code"], "CPOM_CT_1");
        assert_eq!(ct1["kind"], "yes_no");
        assert!(ct1.get("unit").is_some() && ct1["title"].is_string());
        let chu30 = ct1["targets"]
            .as_array()
            .expect("targets")
            .iter()
            .find(|t| t["band"] == "CHU 30" && t["year"] == 2027)
            .expect("CHU 30 in 2027");
        assert_eq!(chu30["text"], "CHU 30 : oui");
        assert_eq!(chu30["rule"]["kind"], "yes_no");
        assert_eq!(chu30["rule"]["expected"], true);
        // A target of the whole period has the year "total".
        let ct6 = &doc["indicators"][5];
        assert_eq!(ct6["code"], "CPOM_CT_6");
        let total = ct6["targets"]
            .as_array()
            .expect("targets")
            .iter()
            .find(|t| t["band"] == "ge500" && t["year"] == "total")
            .expect("total target");
        assert_eq!(total["rule_text"], "cumul >= 4");
        // The draft v2 is not the establishment's to see.
        let draft = leader
            .get("/api/v1/catalogues/occitanie-2025-2029?version=2")
            .await;
        assert_eq!(draft.status, 404);
        let list = leader.get("/api/v1/catalogues").await;
        let list: serde_json::Value = serde_json::from_str(&list.text).expect("json");
        assert_eq!(list["total"], 1, "{list}");

        let mut referent = app.signed_in("ars-referent").await;
        let list = referent.get("/api/v1/catalogues").await;
        let list: serde_json::Value = serde_json::from_str(&list.text).expect("json");
        assert_eq!(list["total"], 2, "{list}");
        let v2 = referent
            .get("/api/v1/catalogues/occitanie-2025-2029?version=2")
            .await;
        assert_eq!(v2.status, 200);
        assert!(v2.text.contains("(révision)"));

        // Pages: the tree, the search across fiches and one fiche with its targets.
        let page = leader.get("/referentiels/occitanie-2025-2029").await;
        assert_eq!(page.status, 200);
        assert!(page.text.contains("CPOM_OS_22"));
        assert!(
            !page.text.contains("v2 (brouillon)"),
            "drafts are not listed"
        );
        let found = leader
            .get("/referentiels/occitanie-2025-2029?q=imagerie%20mutualise")
            .await;
        assert!(found.text.contains("1 fiche(s) pour"), "{}", found.text);
        let fiche = leader
            .get("/referentiels/occitanie-2025-2029/fiches/CPOM_CT_1")
            .await;
        assert_eq!(fiche.status, 200);
        assert!(fiche.text.contains("CHU 30 : oui"));
        assert!(
            fiche.text.contains("300780038"),
            "the named case links its legal entity"
        );
        let missing = leader
            .get("/referentiels/occitanie-2025-2029/fiches/NOPE")
            .await;
        assert_eq!(missing.status, 404);
        // Downloads: the text format reads back to the published version.
        let toml = leader
            .get("/referentiels/occitanie-2025-2029/telecharger.toml")
            .await;
        assert_eq!(toml.status, 200);
        assert!(
            toml.headers
                .get("content-disposition")
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.contains("occitanie-2025-2029-v1.toml"))
        );
        assert_eq!(
            read_toml(&toml.text).expect("downloaded text reads"),
            shipped("occitanie-2025-2029")
        );

        // Applicability on the leader's own legal entity, then after it joins a GHT.
        let path = format!("/api/v1/catalogues/occitanie-2025-2029/applicability/{OWN_EJ}");
        let decide = |doc: &serde_json::Value, code: &str| -> (bool, String) {
            let a = doc["actions"]
                .as_array()
                .expect("actions")
                .iter()
                .find(|a| a["code"] == code)
                .unwrap_or_else(|| panic!("{code}"))
                .clone();
            (
                a["applies"].as_bool().expect("bool"),
                a["reason"].as_str().expect("reason").to_owned(),
            )
        };
        let r = leader.get(&path).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let doc: serde_json::Value = serde_json::from_str(&r.text).expect("json");
        assert_eq!(doc["actions"].as_array().map(Vec::len), Some(30));
        assert_eq!(
            decide(&doc, "CPOM_CT_3"),
            (false, "membre d'aucun GHT".to_owned())
        );
        assert_eq!(
            decide(&doc, "CPOM_CT_7"),
            (true, "toutes les entités".to_owned())
        );
        let region = cpom_domain::RegionCode::parse("76").expect("region");
        let ght = app
            .store()
            .create_ght(&actor, "GHT-APPLI", "GHT de test", &region)
            .await
            .expect("ght");
        app.store()
            .add_ght_member(
                &actor,
                "GHT-APPLI",
                &cpom_domain::FinessId::parse(OWN_EJ).expect("finess"),
                false,
                cpom_domain::territory::Period::new(
                    chrono::NaiveDate::from_ymd_opt(2020, 1, 1).expect("date"),
                    None,
                )
                .expect("period"),
                ght.version,
            )
            .await
            .expect("member");
        let doc: serde_json::Value =
            serde_json::from_str(&leader.get(&path).await.text).expect("json");
        assert_eq!(
            decide(&doc, "CPOM_CT_3"),
            (true, "membre d'un GHT".to_owned())
        );
        // Another legal entity is outside the leader's scope.
        let other = leader
            .get("/api/v1/catalogues/occitanie-2025-2029/applicability/310781406")
            .await;
        assert_eq!(other.status, 404);
        let page = leader
            .get("/referentiels/occitanie-2025-2029/applicabilite")
            .await;
        assert!(
            page.text.contains("membre d&#39;un GHT"),
            "the page gives the reason: {}",
            page.text
        );
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ars_administrator_imports_publishes_and_archives_a_catalogue_from_the_interface() {
    crate::on_each_backend!(|app| {
        let text = std::fs::read_to_string(
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("../../catalogues/occitanie-2025-2029.toml"),
        )
        .expect("shipped file");
        let mut admin = app.signed_in("ars-admin").await;

        // A damaged file: nothing written, every problem with its line.
        let bad = text.replacen("kind = \"yes_no\"", "kind = \"oui-non\"", 1);
        let r = admin
            .upload(
                "/referentiels/importer",
                "",
                "occitanie.toml",
                bad.into_bytes(),
            )
            .await;
        assert_eq!(r.status, 422);
        assert!(r.text.contains("rien n'a été importé"), "{}", r.text);
        assert!(r.text.contains("champ « kind »"), "{}", r.text);
        assert_eq!(
            app.store()
                .list_catalogues(&ScopeFilter::All, true, 1, 10)
                .await
                .expect("list")
                .total,
            0
        );

        // Through the API: a draft is created (201), re-sending it changes nothing (200).
        let r = admin
            .upload(
                "/api/v1/catalogues",
                "",
                "occitanie.toml",
                text.clone().into_bytes(),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
        let created: serde_json::Value = serde_json::from_str(&r.text).expect("json");
        assert_eq!(created["outcome"], "created");
        assert_eq!(created["catalogue"]["state"], "draft");
        let r = admin
            .upload(
                "/api/v1/catalogues",
                "",
                "occitanie.toml",
                text.clone().into_bytes(),
            )
            .await;
        assert_eq!(r.status, 200);
        assert!(r.text.contains("\"unchanged\""));

        // A stale version cannot publish; the right one does.
        let row_version = created["catalogue"]["row_version"]
            .as_i64()
            .expect("row_version");
        let stale = admin
            .json(
                reqwest::Method::POST,
                "/api/v1/catalogues/occitanie-2025-2029/publish",
                Some(serde_json::json!({"version": 1, "row_version": row_version + 1})),
            )
            .await;
        assert_eq!(stale.status, 409, "{}", stale.text);
        let page = admin.get("/referentiels/occitanie-2025-2029").await;
        assert!(page.text.contains("Publier la version 1"));
        let rv = row_version.to_string();
        let r = admin
            .post_form(
                "/referentiels/occitanie-2025-2029/publier",
                &[("version", "1"), ("row_version", &rv)],
            )
            .await;
        assert_eq!(r.status, 303, "{}", r.text);
        let (meta, _) = app
            .store()
            .catalogue("occitanie-2025-2029", None, false)
            .await
            .expect("published");
        assert_eq!(meta.state, CatalogueState::Published);

        // An XLSX workbook of a changed catalogue becomes version 2, a draft.
        let mut changed = shipped("occitanie-2025-2029");
        changed.title = "Occitanie 2025–2029 (révisé)".into();
        let xlsx = cpom_import::catalogue_xlsx::write_xlsx(&changed).expect("xlsx");
        let r = admin
            .upload("/referentiels/importer", "", "occitanie.xlsx", xlsx)
            .await;
        assert_eq!(r.status, 303, "{}", r.text);
        let versions = app
            .store()
            .catalogue_versions("occitanie-2025-2029")
            .await
            .expect("versions");
        assert_eq!(
            versions
                .iter()
                .map(|v| (v.version, v.state))
                .collect::<Vec<_>>(),
            [(2, CatalogueState::Draft), (1, CatalogueState::Published)]
        );

        // Another region's administrator may not import it.
        let mut foreign = shipped("aura-2020-2024");
        foreign.slug = "aura-copie".into();
        let r = admin
            .upload(
                "/api/v1/catalogues",
                "",
                "aura.toml",
                cpom_import::catalogue::write_toml(&foreign).into_bytes(),
            )
            .await;
        assert_eq!(r.status, 403, "{}", r.text);

        // Archiving the published version.
        let v1 = &versions[1];
        let rv = v1.row_version.to_string();
        let r = admin
            .post_form(
                "/referentiels/occitanie-2025-2029/archiver",
                &[("version", "1"), ("row_version", &rv)],
            )
            .await;
        assert_eq!(r.status, 303, "{}", r.text);
        let versions = app
            .store()
            .catalogue_versions("occitanie-2025-2029")
            .await
            .expect("versions");
        assert_eq!(versions[1].state, CatalogueState::Archived);
    });
}

/// The `row_version` of a version, read from the store.
async fn row_version(app: &crate::support::TestApp, version: i32) -> String {
    app.store()
        .catalogue_versions("occitanie-2025-2029")
        .await
        .expect("versions")
        .into_iter()
        .find(|v| v.version == version)
        .expect("version")
        .row_version
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ars_administrator_edits_a_new_version_in_the_editor_and_through_the_api() {
    crate::on_each_backend!(|app| {
        let actor = AuditActor::system();
        let occ = shipped("occitanie-2025-2029");
        app.store()
            .import_catalogue(&actor, &occ, true)
            .await
            .expect("import");
        let mut admin = app.signed_in("ars-admin").await;

        // A published version is not edited: its forms are refused.
        let r = admin
            .get("/referentiels/occitanie-2025-2029/elements/fiches/CPOM_CT_1?version=1")
            .await;
        assert_eq!(r.status, 409, "{}", r.text);
        // A new version starts as a draft copy.
        let page = admin.get("/referentiels/occitanie-2025-2029").await;
        assert!(page.text.contains("Créer une nouvelle version (brouillon)"));
        let rv = row_version(&app, 1).await;
        let r = admin
            .post_form(
                "/referentiels/occitanie-2025-2029/nouvelle-version",
                &[("version", "1"), ("row_version", &rv)],
            )
            .await;
        assert_eq!(r.status, 303, "{}", r.text);
        assert_eq!(r.location(), "/referentiels/occitanie-2025-2029?version=2");
        // Only one draft at a time.
        let rv1: i64 = row_version(&app, 1).await.parse().expect("n");
        let again = admin
            .json(
                reqwest::Method::POST,
                "/api/v1/catalogues/occitanie-2025-2029/drafts",
                Some(serde_json::json!({"version": 1, "row_version": rv1})),
            )
            .await;
        assert_eq!(again.status, 422, "{}", again.text);
        assert!(
            again.text.contains("déjà un brouillon en cours"),
            "{}",
            again.text
        );

        // The fiche form holds its fields and targets.
        let form = admin
            .get("/referentiels/occitanie-2025-2029/elements/fiches/CPOM_CT_1?version=2")
            .await;
        assert_eq!(form.status, 200, "{}", form.text);
        assert!(form.text.contains("name=\"targets[0].rule_text\""));
        assert!(form.text.contains("value=\"CHU 30\""));

        // A new fiche typed in the form: a wrong rule comes back under its field, nothing saved.
        let rv = row_version(&app, 2).await;
        let mut fields = vec![
            ("version", "2"),
            ("row_version", rv.as_str()),
            ("code", "CPOM_CT_1-DELAI"),
            ("action", "CPOM_CT_1"),
            ("title", "Délai d'interprétation des examens"),
            ("kind", "rate"),
            ("unit", "%"),
            ("source", "establishment"),
            ("frequency", "annual"),
            ("targets[0].band", "all"),
            ("targets[0].year", "2027"),
            ("targets[0].rule_text", ">= quatre-vingts"),
            ("targets[0].text", ""),
            ("targets[1].band", ""),
            ("targets[1].year", ""),
            ("targets[1].rule_text", ""),
        ];
        let r = admin
            .post_form(
                "/referentiels/occitanie-2025-2029/elements/fiches/nouveau",
                &fields,
            )
            .await;
        assert_eq!(r.status, 422, "{}", r.text);
        assert!(r.text.contains("cible n° 1, colonne"), "{}", r.text);
        assert!(
            r.text
                .contains("value=\"Délai d&#39;interprétation des examens\"")
        );
        assert_eq!(row_version(&app, 2).await, rv, "nothing was saved");
        fields[11] = ("targets[0].rule_text", ">= 80");
        let r = admin
            .post_form(
                "/referentiels/occitanie-2025-2029/elements/fiches/nouveau",
                &fields,
            )
            .await;
        assert_eq!(r.status, 303, "{}", r.text);
        assert_eq!(
            r.location(),
            "/referentiels/occitanie-2025-2029/fiches/CPOM_CT_1-DELAI?version=2"
        );
        let (_, draft) = app
            .store()
            .catalogue("occitanie-2025-2029", Some(2), true)
            .await
            .expect("v2");
        let added = draft
            .indicators
            .iter()
            .find(|i| i.code == "CPOM_CT_1-DELAI")
            .expect("added");
        assert_eq!(added.targets.len(), 1, "blank target lines are ignored");
        assert_eq!(added.targets[0].text, ">= 80");
        assert_eq!(added.targets[0].year, TargetYear::Year(2027));
        // The form read before that save is now stale: refused, never overwritten.
        let r = admin
            .post_form(
                "/referentiels/occitanie-2025-2029/elements/fiches/CPOM_CT_1-DELAI",
                &fields,
            )
            .await;
        assert_eq!(r.status, 409, "{}", r.text);

        // Moving it up puts it before CPOM_CT_1 in its action.
        let rv = row_version(&app, 2).await;
        let r = admin
            .post_form(
                "/referentiels/occitanie-2025-2029/elements/fiches/CPOM_CT_1-DELAI/deplacer",
                &[("version", "2"), ("row_version", &rv), ("direction", "up")],
            )
            .await;
        assert_eq!(r.status, 303, "{}", r.text);
        let (_, draft) = app
            .store()
            .catalogue("occitanie-2025-2029", Some(2), true)
            .await
            .expect("v2");
        let order: Vec<&str> = draft
            .indicators_of("CPOM_CT_1")
            .map(|i| i.code.as_str())
            .collect();
        assert_eq!(order, ["CPOM_CT_1-DELAI", "CPOM_CT_1"]);

        // Through the API: replace the fiche from its document, duplicate it, preview it.
        let doc: serde_json::Value = serde_json::from_str(
            &admin
                .get("/api/v1/catalogues/occitanie-2025-2029?version=2")
                .await
                .text,
        )
        .expect("json");
        let mut ct1 = doc["indicators"]
            .as_array()
            .expect("indicators")
            .iter()
            .find(|i| i["code"] == "CPOM_CT_1")
            .expect("CT_1")
            .clone();
        ct1["title"] = "PIMM (révisé)".into();
        let rv: i64 = row_version(&app, 2).await.parse().expect("n");
        let r = admin
            .json(
                reqwest::Method::PUT,
                "/api/v1/catalogues/occitanie-2025-2029/items/indicators/CPOM_CT_1",
                Some(serde_json::json!({"version": 2, "row_version": rv, "item": ct1})),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        let rv = r.json()["row_version"].as_i64().expect("row_version");
        let (_, draft) = app
            .store()
            .catalogue("occitanie-2025-2029", Some(2), true)
            .await
            .expect("v2");
        let edited = draft
            .indicators
            .iter()
            .find(|i| i.code == "CPOM_CT_1")
            .expect("CT_1");
        assert_eq!(edited.title, "PIMM (révisé)");
        assert_eq!(
            edited.targets, occ.indicators[0].targets,
            "the targets read back from the document unchanged"
        );
        let r = admin
            .json(
                reqwest::Method::POST,
                "/api/v1/catalogues/occitanie-2025-2029/items/indicators/CPOM_CT_1/duplicate",
                Some(serde_json::json!({"version": 2, "row_version": rv, "code": "CPOM_CT_1-BIS"})),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
        let rv = r.json()["row_version"].as_i64().expect("row_version");
        let preview = admin
            .get("/api/v1/catalogues/occitanie-2025-2029/indicators/CPOM_CT_1-BIS/preview?version=2&band=CHU%2030")
            .await;
        assert_eq!(preview.status, 200, "{}", preview.text);
        let p = preview.json();
        let y2027 = p["years"]
            .as_array()
            .expect("years")
            .iter()
            .find(|y| y["year"] == 2027)
            .expect("2027");
        assert_eq!(y2027["text"], "CHU 30 : oui");
        // The page preview says the same.
        let page = admin
            .get("/referentiels/occitanie-2025-2029/fiches/CPOM_CT_1-BIS?version=2&tranche=CHU+30")
            .await;
        assert!(
            page.text
                .contains("Cibles vues par un établissement : CHU 30")
        );
        // Deleting an action that holds fiches is refused; a fiche goes.
        let r = admin
            .json(
                reqwest::Method::DELETE,
                &format!("/api/v1/catalogues/occitanie-2025-2029/items/actions/CPOM_CT_1?version=2&row_version={rv}"),
                None,
            )
            .await;
        assert_eq!(r.status, 422, "{}", r.text);
        assert!(r.text.contains("contient 3 fiche(s)"), "{}", r.text);
        let r = admin
            .json(
                reqwest::Method::DELETE,
                &format!("/api/v1/catalogues/occitanie-2025-2029/items/indicators/CPOM_CT_1-BIS?version=2&row_version={rv}"),
                None,
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        let rv = r.json()["row_version"].as_i64().expect("row_version");
        // The header: a period leaving out a target's year is refused with the place.
        let r = admin
            .json(
                reqwest::Method::PUT,
                "/api/v1/catalogues/occitanie-2025-2029/header",
                Some(serde_json::json!({"version": 2, "row_version": rv,
                    "title": "Occitanie 2025–2029 (v2)", "generation": "2025-2029",
                    "start_year": 2028, "end_year": 2029})),
            )
            .await;
        assert_eq!(r.status, 422, "{}", r.text);
        assert!(
            r.text.contains("hors de la période 2028–2029"),
            "{}",
            r.text
        );

        // Publishing v2 archives v1; the establishment then sees the edited fiche.
        let r = admin
            .json(
                reqwest::Method::POST,
                "/api/v1/catalogues/occitanie-2025-2029/publish",
                Some(serde_json::json!({"version": 2, "row_version": rv})),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        let mut leader = app.signed_in("establishment-leader").await;
        let fiche = leader
            .get("/referentiels/occitanie-2025-2029/fiches/CPOM_CT_1-DELAI")
            .await;
        assert_eq!(fiche.status, 200);
        let r = leader
            .json(
                reqwest::Method::POST,
                "/api/v1/catalogues/occitanie-2025-2029/drafts",
                Some(serde_json::json!({"version": 2, "row_version": rv + 1})),
            )
            .await;
        assert_eq!(r.status, 403, "{}", r.text);

        // A new generation from the interface.
        let r = admin
            .post_form(
                "/referentiels/occitanie-2025-2029/nouvelle-generation",
                &[
                    ("version", "2"),
                    ("slug", "occitanie-2030-2034"),
                    ("title", "Occitanie 2030–2034"),
                    ("generation", "2030-2034"),
                    ("start_year", "2030"),
                    ("end_year", "deux mille trente-quatre"),
                ],
            )
            .await;
        assert_eq!(r.status, 422);
        assert!(r.text.contains("année attendue"));
        let r = admin
            .post_form(
                "/referentiels/occitanie-2025-2029/nouvelle-generation",
                &[
                    ("version", "2"),
                    ("slug", "occitanie-2030-2034"),
                    ("title", "Occitanie 2030–2034"),
                    ("generation", "2030-2034"),
                    ("start_year", "2030"),
                    ("end_year", "2034"),
                ],
            )
            .await;
        assert_eq!(r.status, 303, "{}", r.text);
        assert_eq!(r.location(), "/referentiels/occitanie-2030-2034?version=1");

        // Every edit is in the audit trail, with what changed.
        let audit = app
            .store()
            .list_audit(&ScopeFilter::All, &Default::default(), 1, 100)
            .await
            .expect("audit");
        let edits: Vec<String> = audit
            .items
            .iter()
            .filter(|e| e.action == "catalogue.edit")
            .filter_map(|e| e.after.as_ref()?.get("change")?.as_str().map(str::to_owned))
            .collect();
        for expected in [
            "ajout de la fiche « CPOM_CT_1-DELAI »",
            "déplacement vers le haut de la fiche « CPOM_CT_1-DELAI »",
            "modification de la fiche « CPOM_CT_1 »",
            "duplication de la fiche « CPOM_CT_1 » en « CPOM_CT_1-BIS »",
            "suppression de la fiche « CPOM_CT_1-BIS »",
        ] {
            assert!(
                edits.iter().any(|e| e == expected),
                "{expected} in {edits:?}"
            );
        }
        assert!(
            audit
                .items
                .iter()
                .any(|e| e.action == "catalogue.new_version")
        );
    });
}
