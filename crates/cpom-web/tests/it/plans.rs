//! Action plans over HTTP, on SQLite and PostgreSQL: the plan rebuilt from seed 000 is
//! imported in one transaction through the same reading and checks as a file, then read back
//! by the API as a whole tree, by the agency of its region only; an unset status is `null`.

use cpom_store::AuditActor;

fn count(nodes: &serde_json::Value, level: &str) -> usize {
    nodes
        .as_array()
        .map(|a| {
            a.iter()
                .map(|n| usize::from(n["level"] == level) + count(&n["children"], level))
                .sum()
        })
        .unwrap_or(0)
}

fn all<'a>(nodes: &'a serde_json::Value, out: &mut Vec<&'a serde_json::Value>) {
    for n in nodes.as_array().into_iter().flatten() {
        out.push(n);
        all(&n["children"], out);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plan_file_is_previewed_then_imported_all_or_nothing() {
    crate::on_each_backend!(|app| {
        let csv = include_bytes!("../../../../plans/paca-2018-2023.csv").to_vec();
        let fields = [
            ("title", "Plan d'actions importé"),
            ("start_year", "2018"),
            ("end_year", "2023"),
        ];
        let mut admin = app.signed_in("ars-admin").await;
        // A preview writes nothing.
        let r = admin
            .upload_with(
                "/api/v1/action-plans?dry_run=true",
                &fields,
                "plan.csv",
                csv.clone(),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        let report = r.json();
        assert_eq!(report["rows"], 56);
        assert_eq!(report["counts"]["sub_action"], 18);
        assert!(report["plan_id"].is_null());
        assert!(
            admin.get("/api/v1/action-plans").await.json()["items"]
                .as_array()
                .expect("items")
                .is_empty()
        );
        // A broken file: every error with its line and column, nothing written.
        let broken = "Thématique;Axe;Objectif;Action;Statut de l'action;Date de fin de l'action\n\
                      T1;A1;O1;Action 1;fini;2020\n\
                      T1;;O1;Action 2;en cours;31/02/2020\n";
        let r = admin
            .upload_with(
                "/api/v1/action-plans",
                &fields,
                "plan.csv",
                broken.as_bytes().to_vec(),
            )
            .await;
        assert_eq!(r.status, 422, "{}", r.text);
        let errors = r.json()["errors"].clone();
        let at: Vec<(u64, String)> = errors
            .as_array()
            .expect("errors")
            .iter()
            .map(|e| {
                (
                    e["line"].as_u64().expect("line"),
                    e["column"].as_str().expect("column").to_owned(),
                )
            })
            .collect();
        assert_eq!(
            at,
            [
                (2, "Statut de l'action".to_owned()),
                (3, "Axe".to_owned()),
                (3, "Date de fin de l'action".to_owned())
            ],
            "{errors}"
        );
        assert!(
            admin.get("/api/v1/action-plans").await.json()["items"]
                .as_array()
                .expect("items")
                .is_empty()
        );
        // The form's fields are checked; the referent does not import.
        let r = admin
            .upload_with(
                "/api/v1/action-plans",
                &[("title", " "), ("start_year", "2024"), ("end_year", "2020")],
                "plan.csv",
                csv.clone(),
            )
            .await;
        assert_eq!(r.status, 422);
        let fields_in_error: Vec<String> = r.json()["fields"]
            .as_array()
            .expect("fields")
            .iter()
            .map(|f| f["field"].as_str().expect("field").to_owned())
            .collect();
        assert_eq!(fields_in_error, ["title", "end_year"]);
        let mut referent = app.signed_in("ars-referent").await;
        let r = referent
            .upload_with("/api/v1/action-plans", &fields, "plan.csv", csv.clone())
            .await;
        assert_eq!(r.status, 403);
        // Imported, audited.
        let r = admin
            .upload_with("/api/v1/action-plans", &fields, "plan.csv", csv)
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        let id = r.json()["plan_id"].as_i64().expect("imported");
        let p = referent
            .get(&format!("/api/v1/action-plans/{id}"))
            .await
            .json();
        assert_eq!(p["title"], "Plan d'actions importé");
        assert_eq!(p["region"], "76");
        assert_eq!(count(&p["tree"], "action"), 34);
        // The page: a preview, then the import of the file previewed.
        let small = "Thématique;Axe;Objectif;Action;Pilote de l'action;Statut de l'action\n\
                     T1;Axe 1;Objectif 1;Action 1;ARS/AM;Sélectionner\n";
        let r = admin
            .upload_with(
                "/plans-actions/import",
                &[
                    ("title", "Plan de la page"),
                    ("start_year", "2024"),
                    ("end_year", "2028"),
                ],
                "plan.csv",
                small.as_bytes().to_vec(),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert!(
            r.text.contains("Aperçu : 1 ligne(s) lue(s), aucune erreur"),
            "{}",
            r.text
        );
        let token = r
            .text
            .split("name=\"token\" value=\"")
            .nth(1)
            .and_then(|t| t.split('"').next())
            .expect("token")
            .to_owned();
        let r = admin
            .post_form("/plans-actions/import/appliquer", &[("token", &token)])
            .await;
        assert_eq!(r.status, 303, "{}", r.text);
        let again = admin
            .post_form("/plans-actions/import/appliquer", &[("token", &token)])
            .await;
        assert_eq!(again.status, 409, "a preview is imported once");
        let list = admin.get("/api/v1/action-plans").await.json();
        assert_eq!(list["items"].as_array().expect("items").len(), 2);
        let audit = app
            .store()
            .list_audit(&cpom_domain::ScopeFilter::All, &Default::default(), 1, 20)
            .await
            .expect("audit");
        assert!(audit.items.iter().any(|e| e.action == "plan.import"));
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_plan_of_seed_000_is_imported_and_read_as_a_tree() {
    crate::on_each_backend!(|app| {
        let rows = cpom_import::plan::read(include_bytes!("../../../../plans/paca-2018-2023.csv"))
            .expect("layout");
        let (statuses, pilots) = (
            cpom_domain::plan::default_statuses(),
            cpom_domain::plan::default_pilots(),
        );
        let tree = cpom_domain::plan::build_tree(&rows, &statuses, &pilots).expect("tree");
        let plan = app
            .store()
            .import_plan(
                &AuditActor::system(),
                &cpom_store::repo::plans::NewPlan {
                    region: cpom_domain::RegionCode::parse("76").expect("region"),
                    title: "Plan d'actions de test".into(),
                    start_year: 2018,
                    end_year: 2023,
                    source_file: "paca-2018-2023.csv".into(),
                },
                &tree,
            )
            .await
            .expect("import");
        let mut referent = app.signed_in("ars-referent").await;
        let list = referent.get("/api/v1/action-plans").await.json();
        assert_eq!(
            list["items"][0]["title"], "Plan d'actions de test",
            "{list}"
        );
        let r = referent
            .get(&format!("/api/v1/action-plans/{}", plan.id))
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        let p = r.json();
        assert_eq!(
            (
                count(&p["tree"], "theme"),
                count(&p["tree"], "axis"),
                count(&p["tree"], "objective"),
                count(&p["tree"], "action"),
                count(&p["tree"], "sub_action"),
            ),
            (1, 4, 16, 34, 18)
        );
        let mut nodes = vec![];
        all(&p["tree"], &mut nodes);
        // Unset statuses are null, never the spreadsheet's « Sélectionner ».
        assert!(
            nodes
                .iter()
                .any(|n| n["level"] != "theme" && n["level"] != "axis" && n["status"].is_null())
        );
        assert!(!r.text.contains("\"status\":\"Sélectionner\""));
        // Years and days kept as typed; an item in progress whose end passed is late.
        let ambu = nodes
            .iter()
            .find(|n| n["title"] == "Développement de la médecine ambulatoire")
            .expect("action");
        assert_eq!(ambu["pilots"], serde_json::json!(["ARS"]));
        assert_eq!(ambu["status"], "en_cours");
        assert_eq!(ambu["start"]["text"], "03/01/2018");
        assert_eq!(ambu["late"], true, "{ambu}");
        assert!(nodes.iter().any(|n| n["start"]["text"] == "2018"));
        // The filters of the page, in the API: late items (with their ancestors), items
        // without status, a bad filter named.
        let late = referent
            .get(&format!("/api/v1/action-plans/{}?late=true", plan.id))
            .await
            .json();
        let mut kept = vec![];
        all(&late["tree"], &mut kept);
        assert!(kept.iter().any(|n| n["late"] == true));
        // Each item kept is late, under a late item, or above one.
        fn justified(n: &serde_json::Value, under_late: bool) -> bool {
            let followed = !matches!(n["level"].as_str(), Some("theme" | "axis"));
            let is_late = n["late"] == true;
            let children = n["children"].as_array().expect("children");
            under_late
                || is_late
                || (!children.is_empty() && children.iter().all(|c| justified(c, false)))
                || (!followed && children.iter().all(|c| justified(c, false)))
        }
        assert!(
            late["tree"]
                .as_array()
                .expect("tree")
                .iter()
                .all(|t| justified(t, false)),
            "{late}"
        );
        assert!(kept.len() < nodes.len());
        let r = referent
            .get(&format!("/api/v1/action-plans/{}?status=fini", plan.id))
            .await;
        assert_eq!(r.status, 422);
        assert_eq!(r.json()["fields"][0]["field"], "status");
        // The page: tree, counts, late list, timeline.
        let page = referent.get(&format!("/plans-actions/{}", plan.id)).await;
        assert_eq!(page.status, 200);
        for text in [
            "Développement de la médecine ambulatoire",
            "non renseigné",
            "En retard",
            "<svg",
            "aujourd'hui",
        ] {
            assert!(page.text.contains(text), "{text}");
        }
        let empty = referent
            .get(&format!(
                "/plans-actions/{}?pilot=&status=&axis=&late=",
                plan.id
            ))
            .await;
        assert_eq!(empty.status, 200, "empty filters are ignored");
        let filtered = referent
            .get(&format!("/plans-actions/{}?status=none", plan.id))
            .await;
        assert_eq!(filtered.status, 200);
        assert!(filtered.text.contains("Retirer les filtres"));
        // The export reads back as the same plan; the template as an empty one.
        let x = referent
            .get(&format!("/plans-actions/{}/export.xlsx", plan.id))
            .await;
        assert_eq!(x.status, 200);
        let back = cpom_import::plan::read(&x.bytes).expect("export reads back");
        let again = cpom_domain::plan::build_tree(
            &back,
            &cpom_domain::plan::default_statuses(),
            &cpom_domain::plan::default_pilots(),
        )
        .expect("same checks");
        let n = |t: &[cpom_domain::plan::Item], l| t.iter().map(|i| i.count(l)).sum::<usize>();
        for l in cpom_domain::plan::Level::ALL {
            assert_eq!(n(&again, l), n(&tree, l), "{l:?}");
        }
        let t = referent.get("/api/v1/action-plans/template.xlsx").await;
        assert_eq!(t.status, 200);
        assert!(
            cpom_import::plan::read(&t.bytes)
                .expect("template")
                .is_empty()
        );
        // The establishment has no plan; another region's agency does not find it.
        let mut leader = app.signed_in("establishment-leader").await;
        assert_eq!(leader.get("/api/v1/action-plans").await.status, 403);
        assert_eq!(
            leader
                .get(&format!("/api/v1/action-plans/{}", plan.id))
                .await
                .status,
            404
        );
    });
}

/// A small plan of region 76: one objective (2018–2023) with a late action (ended 2020, in
/// progress) and a sub-action.
async fn small_plan(app: &crate::support::TestApp) -> cpom_store::repo::plans::PlanSummary {
    let rows = cpom_import::plan::read(
        "Thématique;Axe;Objectif;Date de début de l'objectif;Date de fin de l'objectif;Action;Sous-action;Pilote de l'action;Statut de l'action;Date de début de l'action;Date de fin de l'action\n\
         T1;Axe 1;Objectif 1;2018;2023;Action 1.1;;ARS;en cours;2018;2020\n\
         T1;Axe 1;Objectif 1;2018;2023;Action 1.1;Sous action 1;AM;;;\n"
            .as_bytes(),
    )
    .expect("layout");
    let lists = app
        .store()
        .plan_lists(&cpom_domain::RegionCode::parse("76").expect("region"))
        .await
        .expect("lists");
    let tree = cpom_domain::plan::build_tree(&rows, &lists.statuses, &lists.pilots).expect("tree");
    app.store()
        .import_plan(
            &AuditActor::system(),
            &cpom_store::repo::plans::NewPlan {
                region: cpom_domain::RegionCode::parse("76").expect("region"),
                title: "Plan suivi".into(),
                start_year: 2018,
                end_year: 2023,
                source_file: "plan.csv".into(),
            },
            &tree,
        )
        .await
        .expect("import")
}

fn find<'a>(tree: &'a serde_json::Value, title: &str) -> &'a serde_json::Value {
    let mut nodes = vec![];
    all(tree, &mut nodes);
    nodes
        .into_iter()
        .find(|n| n["title"] == title)
        .unwrap_or_else(|| panic!("{title} in {tree}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_item_is_followed_at_the_version_read_with_notes_and_links_and_audited() {
    crate::on_each_backend!(|app| {
        let plan = small_plan(&app).await;
        let contract =
            crate::support::signed_contract(app.store(), crate::support::OWN_EJ, "CPOM_CT_6").await;
        let mut admin = app.signed_in("ars-admin").await;
        let p = admin
            .get(&format!("/api/v1/action-plans/{}", plan.id))
            .await
            .json();
        let action = find(&p["tree"], "Action 1.1").clone();
        assert_eq!(action["late"], true);
        let id = action["id"].as_i64().expect("id");
        let item_url = format!("/api/v1/action-plans/{}/items/{id}", plan.id);
        let version = action["row_version"].as_i64().expect("version");
        // Without the version read: refused; a bad status and a reversed period: named.
        let r = admin
            .json(
                reqwest::Method::PUT,
                &item_url,
                Some(serde_json::json!({ "status": "terminee" })),
            )
            .await;
        assert_eq!(r.status, 422, "{}", r.text);
        assert_eq!(r.json()["fields"][0]["field"], "row_version");
        for (body, field) in [
            (serde_json::json!({ "status": "fini" }), "status"),
            (serde_json::json!({ "start": "2021", "end": "2020" }), "end"),
            (serde_json::json!({ "pilots": "ARS/CPAM" }), "pilots"),
        ] {
            let mut body = body;
            body["row_version"] = version.into();
            let r = admin
                .json(reqwest::Method::PUT, &item_url, Some(body))
                .await;
            assert_eq!(r.status, 422, "{}", r.text);
            assert_eq!(r.json()["fields"][0]["field"], field, "{}", r.text);
        }
        // Marked done: no longer late, the other fields kept; a warning beyond the
        // objective's period.
        let r = admin
            .json(
                reqwest::Method::PUT,
                &item_url,
                Some(serde_json::json!({
                    "row_version": version, "status": "Terminée", "end": "30/06/2024",
                })),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        let after = r.json();
        assert_eq!(after["status"], "terminee");
        assert_eq!(after["late"], false);
        assert_eq!(after["pilots"], serde_json::json!(["ARS"]));
        assert_eq!(after["start"]["text"], "2018");
        assert_eq!(after["end"]["text"], "30/06/2024");
        assert_eq!(after["warnings"].as_array().expect("warnings").len(), 1);
        assert_eq!(after["row_version"], version + 1);
        // The same version again: a conflict, nothing overwritten.
        let r = admin
            .json(
                reqwest::Method::PUT,
                &item_url,
                Some(serde_json::json!({ "row_version": version, "status": "en_cours" })),
            )
            .await;
        assert_eq!(r.status, 409, "{}", r.text);
        let now = admin.get(&item_url).await.json();
        assert_eq!(now["status"], "terminee");
        // The late filter keeps the objective (ended 2023, no status), no longer the action.
        let late = admin
            .get(&format!("/api/v1/action-plans/{}?late=true", plan.id))
            .await
            .json();
        let mut kept = vec![];
        all(&late["tree"], &mut kept);
        assert!(kept.iter().any(|n| n["title"] == "Objectif 1"));
        let objective = find(&late["tree"], "Objectif 1");
        let late_children: Vec<_> = objective["children"]
            .as_array()
            .expect("children")
            .iter()
            .filter(|c| c["late"] == true)
            .collect();
        assert!(late_children.is_empty(), "{late}");
        // Dated progress notes with their author; a day to come is refused.
        let notes_url = format!("{item_url}/notes");
        let r = admin
            .json(
                reqwest::Method::POST,
                &notes_url,
                Some(serde_json::json!({ "noted_on": "01/06/2024", "text": "Réunion tenue" })),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
        let r = admin
            .json(
                reqwest::Method::POST,
                &notes_url,
                Some(serde_json::json!({ "noted_on": "01/01/2100", "text": "Plus tard" })),
            )
            .await;
        assert_eq!(r.status, 422);
        assert_eq!(r.json()["fields"][0]["field"], "noted_on");
        let item = admin.get(&item_url).await.json();
        assert_eq!(item["notes"][0]["text"], "Réunion tenue");
        assert_eq!(item["notes"][0]["noted_on"], "2024-06-01");
        assert_eq!(
            item["notes"][0]["author"],
            app.user("ars-admin").display_name
        );
        // Links: the contract by its legal entity's FINESS, a fiche by its code, a campaign
        // unknown, a contract of another region.
        let links_url = format!("{item_url}/links");
        let r = admin
            .json(
                reqwest::Method::POST,
                &links_url,
                Some(serde_json::json!({ "kind": "contract", "target": crate::support::OWN_EJ })),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
        let link = r.json();
        assert_eq!(link["target"], contract.id.to_string());
        assert!(
            link["label"]
                .as_str()
                .expect("label")
                .starts_with(&format!("n° {}", contract.id)),
            "{link}"
        );
        let again = admin
            .json(
                reqwest::Method::POST,
                &links_url,
                Some(serde_json::json!({ "kind": "contract", "target": contract.id.to_string() })),
            )
            .await;
        assert_eq!(again.status, 422, "{}", again.text);
        assert!(again.text.contains("déjà lié"), "{}", again.text);
        let occ = crate::catalogues::shipped("occitanie-2025-2029");
        let (_, v1) = app
            .store()
            .import_catalogue(&AuditActor::cli(), &occ, false)
            .await
            .expect("catalogue");
        app.store()
            .publish_catalogue(&AuditActor::cli(), &occ.slug, 1, v1.row_version)
            .await
            .expect("published");
        let fiche = occ.indicators[0].code.clone();
        let r = admin
            .json(
                reqwest::Method::POST,
                &links_url,
                Some(serde_json::json!({ "kind": "fiche", "target": fiche })),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
        assert_eq!(r.json()["target"], format!("occitanie-2025-2029:{fiche}"));
        for (kind, target) in [
            ("campaign", "2031"),
            ("contract", crate::support::FOREIGN_EJ),
            ("fiche", "ZZ99"),
            ("meeting", "1"),
        ] {
            let r = admin
                .json(
                    reqwest::Method::POST,
                    &links_url,
                    Some(serde_json::json!({ "kind": kind, "target": target })),
                )
                .await;
            assert_eq!(r.status, 422, "{kind} {target}: {}", r.text);
        }
        let item = admin.get(&item_url).await.json();
        assert_eq!(item["links"].as_array().expect("links").len(), 2);
        let link_id = item["links"][0]["id"].as_i64().expect("id");
        let r = admin
            .json(
                reqwest::Method::DELETE,
                &format!("{links_url}/{link_id}"),
                None,
            )
            .await;
        assert_eq!(r.status, 204);
        // The page: the item with its note and link; the form refuses a bad date by name.
        let page = admin
            .get(&format!("/plans-actions/{}/elements/{id}", plan.id))
            .await;
        assert_eq!(page.status, 200);
        for text in [
            "Réunion tenue",
            "01/06/2024",
            "Fiche du référentiel",
            "terminée",
        ] {
            assert!(page.text.contains(text), "{text}");
        }
        let current = admin.get(&item_url).await.json()["row_version"]
            .as_i64()
            .expect("version")
            .to_string();
        let r = admin
            .post_form(
                &format!("/plans-actions/{}/elements/{id}", plan.id),
                &[
                    ("row_version", &current),
                    ("title", "Action 1.1"),
                    ("pilots", "ARS"),
                    ("status", "en_cours"),
                    ("start", "2018"),
                    ("end", "31/02/2024"),
                    ("description", ""),
                ],
            )
            .await;
        assert_eq!(r.status, 422);
        assert!(r.text.contains("Date de fin"), "{}", r.text);
        let r = admin
            .post_form(
                &format!("/plans-actions/{}/elements/{id}", plan.id),
                &[
                    ("row_version", &current),
                    ("title", "Action 1.1"),
                    ("pilots", "ARS/AM"),
                    ("status", "en_cours"),
                    ("start", "2018"),
                    ("end", "2020"),
                    ("description", "Relancée"),
                ],
            )
            .await;
        assert_eq!(r.status, 303, "{}", r.text);
        let item = admin.get(&item_url).await.json();
        assert_eq!(item["pilots"], serde_json::json!(["ARS", "AM"]));
        assert_eq!(item["late"], true);
        // Every change audited.
        let audit = app
            .store()
            .list_audit(&cpom_domain::ScopeFilter::All, &Default::default(), 1, 50)
            .await
            .expect("audit");
        for action in [
            "plan_item.update",
            "plan_note.create",
            "plan_link.create",
            "plan_link.delete",
        ] {
            assert!(audit.items.iter().any(|e| e.action == action), "{action}");
        }
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn roles_on_a_plan_open_it_to_observers_and_the_region_sets_its_lists() {
    crate::on_each_backend!(|app| {
        let plan = small_plan(&app).await;
        let observer = app.user("observer").id;
        let mut obs = app.signed_in("observer").await;
        let plan_url = format!("/api/v1/action-plans/{}", plan.id);
        // Without a role, a regional observer neither lists nor reads the plan.
        let list = obs.get("/api/v1/action-plans").await.json();
        assert!(list["items"].as_array().expect("items").is_empty());
        assert_eq!(obs.get(&plan_url).await.status, 404);
        // Observer role: reads, does not edit.
        let mut admin = app.signed_in("ars-admin").await;
        let member_url = format!("{plan_url}/members/{observer}");
        let r = admin
            .json(
                reqwest::Method::PUT,
                &member_url,
                Some(serde_json::json!({ "role": "observer" })),
            )
            .await;
        assert_eq!(r.status, 204, "{}", r.text);
        let p = obs.get(&plan_url).await.json();
        assert_eq!(p["rights"]["edit"], false);
        let action = find(&p["tree"], "Action 1.1").clone();
        let item_url = format!("{plan_url}/items/{}", action["id"]);
        let change =
            serde_json::json!({ "row_version": action["row_version"], "status": "terminee" });
        let r = obs
            .json(reqwest::Method::PUT, &item_url, Some(change.clone()))
            .await;
        assert_eq!(r.status, 403, "{}", r.text);
        // Editor role: edits.
        admin
            .json(
                reqwest::Method::PUT,
                &member_url,
                Some(serde_json::json!({ "role": "editor" })),
            )
            .await;
        let r = obs
            .json(reqwest::Method::PUT, &item_url, Some(change))
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        let members = admin.get(&format!("{plan_url}/members")).await.json();
        assert_eq!(members["members"][0]["role"], "editor");
        // Only observers and referents of the region get a role.
        let leader = app.user("establishment-leader").id;
        let r = admin
            .json(
                reqwest::Method::PUT,
                &format!("{plan_url}/members/{leader}"),
                Some(serde_json::json!({ "role": "editor" })),
            )
            .await;
        assert_eq!(r.status, 422, "{}", r.text);
        assert_eq!(r.json()["fields"][0]["field"], "user_id");
        // Taken away: the plan is closed again.
        let r = admin.json(reqwest::Method::DELETE, &member_url, None).await;
        assert_eq!(r.status, 204);
        assert_eq!(obs.get(&plan_url).await.status, 404);
        // The region's lists: a status added (closing), the defaults replaced at version 0.
        let lists = admin.get("/api/v1/action-plans/settings").await.json();
        assert_eq!(lists["version"], 0);
        let mut statuses = lists["statuses"].clone();
        statuses
            .as_array_mut()
            .expect("statuses")
            .push(serde_json::json!({ "label": "Abandonnée", "closed": true }));
        let r = admin
            .json(
                reqwest::Method::PUT,
                "/api/v1/action-plans/settings",
                Some(serde_json::json!({
                    "version": 0, "statuses": statuses, "pilots": ["ARS", "AM", "CPAM"],
                })),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.json()["version"], 1);
        // The plan reads the region's lists at once.
        let p = admin.get(&plan_url).await.json();
        assert!(
            p["statuses"]
                .as_array()
                .expect("statuses")
                .iter()
                .any(|s| s["code"] == "abandonnee" && s["closed"] == true),
            "{p}"
        );
        assert_eq!(p["pilots"], serde_json::json!(["ARS", "AM", "CPAM"]));
        // The same version again: a conflict; a status still used cannot go.
        let r = admin
            .json(
                reqwest::Method::PUT,
                "/api/v1/action-plans/settings",
                Some(serde_json::json!({
                    "version": 0, "statuses": statuses, "pilots": ["ARS", "AM"],
                })),
            )
            .await;
        assert_eq!(r.status, 409, "{}", r.text);
        let r = admin
            .json(
                reqwest::Method::PUT,
                "/api/v1/action-plans/settings",
                Some(serde_json::json!({
                    "version": 1,
                    "statuses": [{ "code": "en_cours", "label": "en cours" },
                                 { "code": "abandonnee", "label": "Abandonnée", "closed": true }],
                    "pilots": ["ARS", "AM"],
                })),
            )
            .await;
        assert_eq!(r.status, 422, "{}", r.text);
        assert!(r.text.contains("terminée"), "{}", r.text);
        // The referent does not set the lists.
        let mut referent = app.signed_in("ars-referent").await;
        assert_eq!(
            referent.get("/api/v1/action-plans/settings").await.status,
            403
        );
        // The page shows the lists and refuses a list without a closing status.
        let page = admin.get("/plans-actions/listes").await;
        assert_eq!(page.status, 200);
        assert!(page.text.contains("Abandonnée"));
        let r = admin
            .post_form(
                "/plans-actions/listes",
                &[
                    ("version", "1"),
                    ("statuses[0].label", "en cours"),
                    ("pilots", "ARS\nAM\nCPAM"),
                ],
            )
            .await;
        assert_eq!(r.status, 422);
        assert!(r.text.contains("clore"), "{}", r.text);
        let audit = app
            .store()
            .list_audit(&cpom_domain::ScopeFilter::All, &Default::default(), 1, 50)
            .await
            .expect("audit");
        for action in [
            "plan_member.set",
            "plan_member.remove",
            "plan_settings.update",
        ] {
            assert!(audit.items.iter().any(|e| e.action == action), "{action}");
        }
    });
}
