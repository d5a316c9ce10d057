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
                    statuses,
                    pilots,
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
