//! Contract documents over HTTP, on SQLite and PostgreSQL: the region's template (checked,
//! versioned), the contract as PDF (read back with `pdftotext`), DOCX and XLSX, annex 2
//! frozen at signature, the signed scan, the region's ZIP, and other entities kept out.

use std::io::Read;

use chrono::NaiveDate;
use cpom_domain::FinessId;
use cpom_domain::territory::{Label, Period};
use cpom_store::AuditActor;

use crate::catalogues::shipped;
use crate::contracts::step;
use crate::support::OWN_EJ;

/// Text of a PDF as `pdftotext` (Debian poppler-utils) extracts it.
fn pdf_text(bytes: &[u8]) -> String {
    assert!(bytes.starts_with(b"%PDF-"), "not a PDF");
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("contrat.pdf");
    std::fs::write(&path, bytes).expect("write");
    let out = std::process::Command::new("pdftotext")
        .args(["-layout", "-enc", "UTF-8"])
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext (Debian poppler-utils) must be installed");
    assert!(out.status.success());
    String::from_utf8(out.stdout).expect("utf-8")
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("date")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn documents_follow_the_template_and_freeze_the_registry_at_signature() {
    crate::on_each_backend!(|app| {
        let sys = AuditActor::system();
        app.store()
            .import_catalogue(&sys, &shipped("occitanie-2025-2029"), true)
            .await
            .expect("catalogue");
        let own = FinessId::parse(OWN_EJ).expect("finess");
        app.store()
            .add_label(
                &sys,
                &own,
                Label::Chu,
                Period::new(day(2015, 1, 1), None).expect("period"),
                None,
            )
            .await
            .expect("label");

        let mut referent = app.signed_in("ars-referent").await;
        let r = referent
            .json(
                reqwest::Method::POST,
                "/api/v1/contracts",
                Some(serde_json::json!({"ej": OWN_EJ, "catalogue": "occitanie-2025-2029"})),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
        let id = r.json()["id"].as_i64().expect("id");
        let rv = r.json()["row_version"].as_i64().expect("rv");
        let r = referent
            .json(
                reqwest::Method::POST,
                &format!("/api/v1/contracts/{id}/engagements"),
                Some(serde_json::json!({"row_version": rv, "action": "CPOM_CT_6"})),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text);

        // The template: its administrators change it; a broken one is refused where it
        // breaks; a stale version is refused.
        let mut admin = app.signed_in("ars-admin").await;
        let t = admin.get("/api/v1/regions/76/contract-template").await;
        assert_eq!(t.status, 200, "{}", t.text);
        let mut template = t.json();
        assert_eq!(template["version"], 0);
        template["socle"] = serde_json::json!("# Article 1\nLe {etablisement} s'engage.");
        let r = admin
            .json(
                reqwest::Method::PUT,
                "/api/v1/regions/76/contract-template",
                Some(template.clone()),
            )
            .await;
        assert_eq!(r.status, 422, "{}", r.text);
        assert!(
            r.text.contains("ligne 2, colonne 4") && r.text.contains("« etablisement » inconnu"),
            "{}",
            r.text
        );
        template["socle"] = serde_json::json!(
            "# Article premier — Objet\nLe présent contrat lie l'{agence} et {etablissement} du {debut} au {fin}."
        );
        template["header"] = serde_json::json!("CPOM {etablissement} — {version}");
        let r = admin
            .json(
                reqwest::Method::PUT,
                "/api/v1/regions/76/contract-template",
                Some(template.clone()),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.json()["version"], 1);
        let stale = admin
            .json(
                reqwest::Method::PUT,
                "/api/v1/regions/76/contract-template",
                Some(template.clone()),
            )
            .await;
        assert_eq!(stale.status, 409, "{}", stale.text);
        let r = referent
            .json(
                reqwest::Method::PUT,
                "/api/v1/regions/76/contract-template",
                Some(template),
            )
            .await;
        assert_eq!(r.status, 403, "{}", r.text);

        // An engagement specific to the establishment, through the API and the page.
        let rv = app
            .store()
            .contract(id)
            .await
            .expect("contract")
            .row_version;
        let r = referent
            .json(
                reqwest::Method::POST,
                &format!("/api/v1/contracts/{id}/engagements"),
                Some(
                    serde_json::json!({"row_version": rv, "specific": {"objective": "CT.2",
                    "title": "", "indicator_title": "Nombre de consultations", "kind": "count"}}),
                ),
            )
            .await;
        assert_eq!(r.status, 422, "{}", r.text);
        assert!(r.text.contains("l'intitulé est obligatoire"), "{}", r.text);
        let r = referent
            .post_form(
                &format!("/contrats/{id}/engagements"),
                &[
                    ("row_version", &rv.to_string()),
                    ("action", ""),
                    ("objective", "CT.2"),
                    ("title", "Consultations avancées à Lodève"),
                    ("indicator_title", "Nombre de consultations"),
                    ("kind", "count"),
                    ("unit", "consultations/an"),
                ],
            )
            .await;
        assert_eq!(r.status, 303, "{}", r.text);
        let c = app.store().contract(id).await.expect("contract");
        let specific = c.content.engagements.last().expect("specific");
        assert_eq!(
            (specific.key.as_str(), specific.action.as_deref()),
            ("E2", None)
        );
        assert_eq!(specific.title, "Consultations avancées à Lodève");
        let form = referent
            .get(&format!("/contrats/{id}/engagements/E2"))
            .await;
        assert_eq!(form.status, 200, "{}", form.text);
        let r = referent
            .json(
                reqwest::Method::PUT,
                &format!("/api/v1/contracts/{id}/engagements/E2"),
                Some(serde_json::json!({"row_version": c.row_version,
                    "targets": [{"year": "2025", "rule_text": ">= 12", "text": "12 consultations"}]})),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);

        // Diagnostic and annexes: every problem named by its field; then saved, through
        // the API and the page.
        let rv = app
            .store()
            .contract(id)
            .await
            .expect("contract")
            .row_version;
        let r = referent
            .json(
                reqwest::Method::PUT,
                &format!("/api/v1/contracts/{id}/annexes"),
                Some(serde_json::json!({"row_version": rv,
                    "funding": [{"kind": "fir", "label": "", "amounts": {"2031": "10"}}]})),
            )
            .await;
        assert_eq!(r.status, 422, "{}", r.text);
        assert!(
            r.text.contains("funding[1].label") && r.text.contains("funding[1].amounts.2031"),
            "{}",
            r.text
        );
        let r = referent
            .json(
                reqwest::Method::PUT,
                &format!("/api/v1/contracts/{id}/annexes"),
                Some(serde_json::json!({"row_version": rv, "strengths": "Plateau technique récent",
                    "funding": [{"kind": "migac", "label": "Recherche clinique", "amounts": {"2025": 250000, "2026": "250 000"}}],
                    "texts": [{"title": "CAQES", "text": "Les engagements du CAQES sont repris."}]})),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(
            r.json()["funding"][0]["amounts"],
            serde_json::json!([[2025, 250000], [2026, 250000]])
        );
        let form = referent.get(&format!("/contrats/{id}/annexes")).await;
        assert_eq!(form.status, 200);
        assert!(form.text.contains("Recherche clinique"));
        let rv = app
            .store()
            .contract(id)
            .await
            .expect("contract")
            .row_version;
        let r = referent
            .post_form(
                &format!("/contrats/{id}/annexes"),
                &[
                    ("row_version", &rv.to_string()),
                    ("strengths", "Plateau technique récent"),
                    ("weaknesses", "Délais en imagerie"),
                    ("funding[0].kind", "migac"),
                    ("funding[0].label", "Recherche clinique"),
                    ("funding[0].amounts.2025", "250 000"),
                    ("funding[0].amounts.2026", "250 000"),
                    ("funding[1].kind", "daf"),
                    ("funding[1].label", ""),
                    ("funding[1].amounts.2027", "12"),
                    ("texts[0].title", "CAQES"),
                    ("texts[0].text", "Les engagements du CAQES sont repris."),
                ],
            )
            .await;
        assert_eq!(r.status, 422, "{}", r.text);
        assert!(
            r.text
                .contains("Financement, ligne 2, libellé : libellé obligatoire"),
            "{}",
            r.text
        );
        assert!(
            r.text.contains("Délais en imagerie"),
            "what was typed comes back"
        );
        let r = referent
            .post_form(
                &format!("/contrats/{id}/annexes"),
                &[
                    ("row_version", &rv.to_string()),
                    ("strengths", "Plateau technique récent"),
                    ("weaknesses", "Délais en imagerie"),
                    ("funding[0].kind", "migac"),
                    ("funding[0].label", "Recherche clinique"),
                    ("funding[0].amounts.2025", "250 000"),
                    ("funding[0].amounts.2026", "250 000"),
                    ("texts[0].title", "CAQES"),
                    ("texts[0].text", "Les engagements du CAQES sont repris."),
                ],
            )
            .await;
        assert_eq!(r.status, 303, "{}", r.text);
        let saved = app.store().contract(id).await.expect("contract");
        assert_eq!(
            saved.content.weaknesses.as_deref(),
            Some("Délais en imagerie")
        );

        // The draft's PDF: the template filled, the engagement with its targets per year,
        // today's registry in annex 2, and "projet" on every page.
        let pdf = referent
            .get(&format!("/api/v1/contracts/{id}/document.pdf"))
            .await;
        assert_eq!(pdf.status, 200, "{}", pdf.text);
        assert_eq!(pdf.headers["content-type"], "application/pdf");
        let text = pdf_text(&pdf.bytes);
        assert!(text.contains("Article premier — Objet"), "{text}");
        assert!(
            text.contains(
                "Agence régionale de santé Occitanie et CHU de Montpellier du 01/01/2025"
            ),
            "{text}"
        );
        assert!(text.contains("CPOM CHU de Montpellier — contrat initial"));
        assert!(text.contains("projet (en préparation)"));
        assert!(text.contains("CPOM_CT_6"));
        assert!(text.contains("Centre hospitalier universitaire"));
        assert!(
            text.contains("Annexe 3 — Financements (FIR, MIGAC, DAF)"),
            "{text}"
        );
        assert!(text.contains("Recherche clinique"));
        assert!(text.contains("500 000"), "the total of the line: {text}");
        assert!(text.contains("Annexe 4 — CAQES"));
        assert!(text.contains("Consultations avancées à Lodève"), "{text}");
        assert!(text.contains("12 consultations"), "{text}");
        assert!(text.contains("Points à améliorer : Délais en imagerie"));
        // Other entities' users get nothing; the entity's own users get it.
        let mut foreign = app.signed_in("foreign-target").await;
        for path in ["document.pdf", "document.docx", "annex-1.xlsx", "files"] {
            let r = foreign.get(&format!("/api/v1/contracts/{id}/{path}")).await;
            assert_eq!(r.status, 404, "{path}");
        }
        let mut leader = app.signed_in("establishment-leader").await;
        let docx = leader
            .get(&format!("/api/v1/contracts/{id}/document.docx"))
            .await;
        assert_eq!(docx.status, 200);
        assert!(docx.bytes.starts_with(b"PK"));
        let page = leader.get(&format!("/contrats/{id}/annexe-1.xlsx")).await;
        assert_eq!(page.status, 200);
        assert!(
            page.headers["content-disposition"]
                .to_str()
                .unwrap_or_default()
                .contains(&format!("cpom-{OWN_EJ}-annexe-1-{id}-v0.xlsx"))
        );

        // A scan before signature is refused.
        let scan = b"%PDF-1.4\n% scan signe\n".to_vec();
        let r = referent
            .upload(
                &format!("/api/v1/contracts/{id}/files"),
                "",
                "signe.pdf",
                scan.clone(),
            )
            .await;
        assert_eq!(r.status, 409, "{}", r.text);

        // Signature: annex 2 is frozen as the registry stands.
        assert_eq!(
            step(&app, &mut referent, id, "negotiation").await.status,
            200
        );
        assert_eq!(
            step(&app, &mut leader, id, "ready_to_sign").await.status,
            200
        );
        let rv = app
            .store()
            .contract(id)
            .await
            .expect("contract")
            .row_version;
        let today = chrono::Utc::now()
            .date_naive()
            .format("%Y-%m-%d")
            .to_string();
        let r = referent
            .json(
                reqwest::Method::POST,
                &format!("/api/v1/contracts/{id}/signature"),
                Some(serde_json::json!({"row_version": rv, "signatories": [
                    {"role": "dg_ars", "name": "Didier Jaffre", "function": "Directeur général", "date": "2026-11-27"},
                    {"role": "legal_representative", "name": "Anne Ferrer", "function": "Directrice générale", "date": today}
                ]})),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        let frozen = app.store().contract(id).await.expect("contract");
        let snapshot = frozen
            .content
            .registry
            .expect("registry frozen at signature");
        assert!(
            snapshot
                .annex2
                .iter()
                .any(|l| l.subject == "Centre hospitalier universitaire")
        );
        // A later registry change does not rewrite the signed contract.
        app.store()
            .add_label(
                &sys,
                &own,
                Label::Pass,
                Period::new(day(2020, 1, 1), None).expect("period"),
                None,
            )
            .await
            .expect("label");
        let text = pdf_text(
            &leader
                .get(&format!("/api/v1/contracts/{id}/document.pdf"))
                .await
                .bytes,
        );
        assert!(text.contains("figé à la signature"), "{text}");
        assert!(text.contains("Centre hospitalier universitaire"));
        assert!(!text.contains("PASS"), "{text}");
        assert!(text.contains("Anne Ferrer, Directrice générale"));
        assert!(text.contains("signé (en vigueur)"));

        // The signed scan: a PDF, by the agency, kept byte for byte.
        let r = referent
            .upload(
                &format!("/api/v1/contracts/{id}/files"),
                "",
                "scan.txt",
                b"pas un PDF".to_vec(),
            )
            .await;
        assert_eq!(r.status, 422, "{}", r.text);
        assert!(
            r.text
                .contains("scan.txt : le scan signé doit être un fichier PDF")
        );
        let r = leader
            .upload(
                &format!("/api/v1/contracts/{id}/files"),
                "",
                "signe.pdf",
                scan.clone(),
            )
            .await;
        assert_eq!(r.status, 403, "{}", r.text);
        let r = referent
            .upload(
                &format!("/api/v1/contracts/{id}/files"),
                "",
                "CPOM signé.pdf",
                scan.clone(),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
        let file = r.json()["id"].as_i64().expect("file id");
        let files = leader
            .get(&format!("/api/v1/contracts/{id}/files"))
            .await
            .json();
        assert_eq!(files[0]["file_name"], "CPOM signé.pdf");
        let got = leader
            .get(&format!("/api/v1/contracts/{id}/files/{file}"))
            .await;
        assert_eq!(got.bytes, scan);
        assert_eq!(
            foreign
                .get(&format!("/api/v1/contracts/{id}/files/{file}"))
                .await
                .status,
            404
        );
        let page = leader.get(&format!("/contrats/{id}")).await;
        assert!(
            page.text.contains("Scan signé : CPOM signé.pdf"),
            "{}",
            page.text
        );

        // The region's archive: the three files of each contract one sees.
        let zip = referent.get("/api/v1/contracts/archive.zip").await;
        assert_eq!(zip.status, 200, "{}", zip.text);
        let mut archive =
            zip::ZipArchive::new(std::io::Cursor::new(zip.bytes.clone())).expect("zip");
        let mut names: Vec<String> = archive
            .file_names()
            .map(|n| n.expect("name").into_owned())
            .collect();
        names.sort();
        assert_eq!(
            names,
            [
                format!("cpom-{OWN_EJ}-annexe-1-{id}-v0.xlsx"),
                format!("cpom-{OWN_EJ}-contrat-{id}-v0.docx"),
                format!("cpom-{OWN_EJ}-contrat-{id}-v0.pdf"),
            ]
        );
        let mut inner = vec![];
        archive
            .by_name(&format!("cpom-{OWN_EJ}-contrat-{id}-v0.pdf"))
            .expect("pdf")
            .read_to_end(&mut inner)
            .expect("read");
        assert!(pdf_text(&inner).contains("CPOM_CT_6"));
        let none = foreign.get("/api/v1/contracts/archive.zip").await;
        assert_eq!(none.status, 422, "{}", none.text);

        // An avenant: the agency opens it on the contract in force; the signed version
        // stays readable; the avenant's changes are listed per year, then it is signed.
        let rv = app
            .store()
            .contract(id)
            .await
            .expect("contract")
            .row_version;
        let r = leader
            .json(
                reqwest::Method::POST,
                &format!("/api/v1/contracts/{id}/avenant"),
                Some(serde_json::json!({"row_version": rv})),
            )
            .await;
        assert_eq!(r.status, 403, "{}", r.text);
        let r = referent
            .json(
                reqwest::Method::POST,
                &format!("/api/v1/contracts/{id}/avenant"),
                Some(serde_json::json!({"row_version": rv - 1})),
            )
            .await;
        assert_eq!(r.status, 409, "{}", r.text);
        let r = referent
            .json(
                reqwest::Method::POST,
                &format!("/api/v1/contracts/{id}/avenant"),
                Some(serde_json::json!({"row_version": rv, "note": "nouvelle cible 2026"})),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        let doc = r.json();
        assert_eq!(doc["state"], "preparation");
        assert_eq!(doc["avenant"], 1);
        assert_eq!(doc["signatories"], serde_json::json!([]));
        assert_eq!(doc["changes"]["changed"], serde_json::json!([]));
        let old_2026 = doc["engagements"][0]["targets"]
            .as_array()
            .expect("targets")
            .iter()
            .find(|t| t["year"] == 2026)
            .map(|t| t["text"].clone())
            .unwrap_or(serde_json::Value::Null);
        let r = referent
            .json(
                reqwest::Method::PUT,
                &format!("/api/v1/contracts/{id}/engagements/E1"),
                Some(serde_json::json!({"row_version": doc["row_version"],
                    "targets": [{"year": "2026", "rule_text": ">= 3", "text": "3 projets en 2026"}]})),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        let changed = &r.json()["changes"]["changed"][0];
        assert_eq!(changed["key"], "E1");
        assert_eq!(changed["targets"][0]["year"], 2026);
        assert_eq!(changed["targets"][0]["from"], old_2026);
        assert_eq!(changed["targets"][0]["to"], "3 projets en 2026");
        let page = leader.get(&format!("/contrats/{id}")).await;
        assert!(
            page.text
                .contains("Modifications apportées par l'avenant n° 1"),
            "{}",
            page.text
        );
        assert!(page.text.contains("3 projets en 2026"));
        // The signed version stays in force meanwhile: its calendar runs on.
        let cal = referent
            .get(&format!("/api/v1/contracts/{id}/calendar"))
            .await
            .json();
        assert_eq!(cal["can_record"], true, "{cal}");
        assert!(
            cal["steps"]
                .as_array()
                .expect("steps")
                .iter()
                .any(|s| s["status"] != "later")
        );
        // The version in force before the avenant, as signed.
        let versions = leader
            .get(&format!("/api/v1/contracts/{id}/versions"))
            .await
            .json();
        assert_eq!(versions[0]["avenant"], 0);
        assert_eq!(versions[0]["signatories"][1]["name"], "Anne Ferrer");
        let text = pdf_text(
            &leader
                .get(&format!("/api/v1/contracts/{id}/versions/0/document.pdf"))
                .await
                .bytes,
        );
        assert!(text.contains("remplacée par l'avenant n°"), "{text}");
        assert!(text.contains("Anne Ferrer"));
        assert_eq!(
            foreign
                .get(&format!("/api/v1/contracts/{id}/versions"))
                .await
                .status,
            404
        );
        let v0 = leader.get(&format!("/contrats/{id}/versions/0")).await;
        assert_eq!(v0.status, 200);
        assert!(v0.text.contains("Contrat initial"));
        assert_eq!(
            leader
                .get(&format!("/contrats/{id}/versions/7"))
                .await
                .status,
            404
        );
        // Signed in turn, the avenant is the version in force.
        assert_eq!(
            step(&app, &mut referent, id, "negotiation").await.status,
            200
        );
        assert_eq!(
            step(&app, &mut leader, id, "ready_to_sign").await.status,
            200
        );
        let rv = app
            .store()
            .contract(id)
            .await
            .expect("contract")
            .row_version;
        let r = referent
            .json(
                reqwest::Method::POST,
                &format!("/api/v1/contracts/{id}/signature"),
                Some(serde_json::json!({"row_version": rv, "signatories": [
                    {"role": "dg_ars", "name": "Didier Jaffre", "function": "Directeur général", "date": today},
                    {"role": "legal_representative", "name": "Anne Ferrer", "function": "Directrice générale", "date": today}
                ]})),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        let text = pdf_text(
            &leader
                .get(&format!("/api/v1/contracts/{id}/document.pdf"))
                .await
                .bytes,
        );
        assert!(text.contains("Avenant n°"), "{text}");
        assert!(text.contains("3 projets en 2026"));

        let audit = app
            .store()
            .list_audit(&cpom_domain::ScopeFilter::All, &Default::default(), 1, 100)
            .await
            .expect("audit");
        let actions: Vec<&str> = audit.items.iter().map(|e| e.action.as_str()).collect();
        assert!(actions.contains(&"contract_template.update"));
        assert!(actions.contains(&"contract.attach_file"));
        assert!(actions.contains(&"contract.avenant"));
    });
}
