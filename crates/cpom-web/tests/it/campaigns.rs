//! A yearly campaign over HTTP, on SQLite and PostgreSQL: opened by the region's
//! administrator on the contracts in force, declarations entered by the establishment and
//! submitted by its leader only, returned and validated by the agency, every version kept,
//! stale versions refused, and nothing seen by another legal entity or region.

use cpom_store::AuditActor;

use crate::catalogues::shipped;
use crate::contracts::step as contract_step;
use crate::support::OWN_EJ;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_campaign_runs_from_opening_to_validation() {
    crate::on_each_backend!(|app| {
        app.store()
            .import_catalogue(&AuditActor::system(), &shipped("occitanie-2025-2029"), true)
            .await
            .expect("catalogue");
        let mut admin = app.signed_in("ars-admin").await;
        let mut referent = app.signed_in("ars-referent").await;
        let mut leader = app.signed_in("establishment-leader").await;
        let mut contributor = app.signed_in("establishment-contributor").await;
        let mut foreign = app.signed_in("foreign-target").await;

        // Nothing in force yet: the campaign would follow no contract.
        let body =
            serde_json::json!({"year": "2026", "deadline": "31/03/2099", "perimeter": "region"});
        let r = admin
            .json(
                reqwest::Method::POST,
                "/api/v1/campaigns",
                Some(body.clone()),
            )
            .await;
        assert_eq!(r.status, 422, "{}", r.text);
        assert!(
            r.text.contains("aucun contrat en vigueur en 2026"),
            "{}",
            r.text
        );

        // A contract signed with one engagement (a count).
        let r = referent
            .json(
                reqwest::Method::POST,
                "/api/v1/contracts",
                Some(serde_json::json!({"ej": OWN_EJ, "catalogue": "occitanie-2025-2029"})),
            )
            .await;
        let id = r.json()["id"].as_i64().expect("contract");
        let rv = r.json()["row_version"].as_i64().expect("rv");
        let r = referent
            .json(
                reqwest::Method::POST,
                &format!("/api/v1/contracts/{id}/engagements"),
                Some(serde_json::json!({"row_version": rv, "action": "CPOM_CT_6"})),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
        assert_eq!(
            contract_step(&app, &mut referent, id, "negotiation")
                .await
                .status,
            200
        );
        assert_eq!(
            contract_step(&app, &mut leader, id, "ready_to_sign")
                .await
                .status,
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
                    {"role": "dg_ars", "name": "Didier Jaffre", "function": "Directeur général", "date": "2025-02-01"},
                    {"role": "legal_representative", "name": "Anne Ferrer", "function": "Directrice générale", "date": "2025-02-01"}
                ]})),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);

        // Opening: its administrators only; bad input named by field; one per perimeter.
        let r = referent
            .json(
                reqwest::Method::POST,
                "/api/v1/campaigns",
                Some(body.clone()),
            )
            .await;
        assert_eq!(r.status, 403, "{}", r.text);
        let r = admin
            .json(
                reqwest::Method::POST,
                "/api/v1/campaigns",
                Some(serde_json::json!({"year": "deux mille", "deadline": "31/02/2099"})),
            )
            .await;
        assert_eq!(r.status, 422, "{}", r.text);
        assert!(
            r.text.contains("\"year\"") && r.text.contains("\"deadline\""),
            "{}",
            r.text
        );
        let r = admin
            .json(
                reqwest::Method::POST,
                "/api/v1/campaigns",
                Some(body.clone()),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
        let campaign = r.json()["campaign"]["id"].as_i64().expect("campaign");
        assert_eq!(r.json()["declarations"], 1);
        let r = admin
            .json(reqwest::Method::POST, "/api/v1/campaigns", Some(body))
            .await;
        assert_eq!(r.status, 409, "{}", r.text);

        // The establishment's to-do list; another entity sees nothing.
        let list = leader
            .get(&format!("/api/v1/campaigns/{campaign}/declarations"))
            .await
            .json();
        assert_eq!(list["total"], 1);
        let d = list["items"][0].clone();
        let did = d["id"].as_i64().expect("declaration");
        assert_eq!(
            (d["state"].as_str(), d["kind"].as_str()),
            (Some("to_do"), Some("count"))
        );
        assert_eq!(
            foreign
                .get(&format!("/api/v1/declarations/{did}"))
                .await
                .status,
            404
        );
        assert_eq!(
            foreign
                .get(&format!("/api/v1/campaigns/{campaign}"))
                .await
                .status,
            404
        );
        assert_eq!(
            foreign.get("/api/v1/campaigns").await.json(),
            serde_json::json!([])
        );

        // The contributor saves a draft but cannot submit; a bad number is named.
        let r = contributor
            .json(
                reqwest::Method::POST,
                &format!("/api/v1/declarations/{did}/steps"),
                Some(serde_json::json!({"action": "save", "row_version": 1, "value": "douze"})),
            )
            .await;
        assert_eq!(r.status, 422, "{}", r.text);
        assert!(
            r.text.contains("« douze » n'est pas un nombre"),
            "{}",
            r.text
        );
        let r = contributor
            .json(
                reqwest::Method::POST,
                &format!("/api/v1/declarations/{did}/steps"),
                Some(
                    serde_json::json!({"action": "save", "row_version": 1, "value": "1 234,5",
                    "comment": "Chiffre provisoire"}),
                ),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.json()["state"], "draft");
        assert_eq!(r.json()["value_text"], "1\u{202f}234,5");
        let r = contributor
            .json(
                reqwest::Method::POST,
                &format!("/api/v1/declarations/{did}/steps"),
                Some(serde_json::json!({"action": "submit", "row_version": 2})),
            )
            .await;
        assert_eq!(r.status, 403, "a contributor does not submit: {}", r.text);

        // Evidence: checked on its content; kept once in the library; served as a download.
        let html = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>".to_vec();
        let r = contributor
            .upload(
                &format!("/api/v1/declarations/{did}/evidence"),
                "",
                "rapport.pdf",
                html,
            )
            .await;
        assert_eq!(r.status, 422, "{}", r.text);
        assert!(r.text.contains("rapport.pdf : une page web"), "{}", r.text);
        let big = vec![b'x'; crate::support::EVIDENCE_LIMIT + 1];
        let r = contributor
            .upload(
                &format!("/api/v1/declarations/{did}/evidence"),
                "",
                "gros.csv",
                big,
            )
            .await;
        assert_eq!(r.status, 422, "{}", r.text);
        assert!(r.text.contains("trop volumineux"), "{}", r.text);
        let pdf = b"%PDF-1.4\n% convention signee\n".to_vec();
        let r = contributor
            .upload(
                &format!("/api/v1/declarations/{did}/evidence"),
                "",
                "convention.pdf",
                pdf.clone(),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
        let eid = r.json()["id"].as_i64().expect("evidence");
        assert_eq!(r.json()["file_type"], "pdf");
        let got = leader
            .get(&format!("/api/v1/declarations/{did}/evidence/{eid}"))
            .await;
        assert_eq!(got.status, 200);
        assert_eq!(got.bytes, pdf);
        assert!(
            got.headers["content-disposition"]
                .to_str()
                .unwrap_or_default()
                .starts_with("attachment")
        );
        assert_eq!(got.headers["x-content-type-options"], "nosniff");
        assert_eq!(
            foreign
                .get(&format!("/api/v1/declarations/{did}/evidence/{eid}"))
                .await
                .status,
            404
        );
        let r = contributor
            .json(
                reqwest::Method::POST,
                &format!("/api/v1/declarations/{did}/evidence/link"),
                Some(serde_json::json!({"evidence_id": eid + 1000})),
            )
            .await;
        assert_eq!(r.status, 422, "{}", r.text);
        let d = leader
            .get(&format!("/api/v1/declarations/{did}"))
            .await
            .json();
        assert_eq!(d["evidence"][0]["file_name"], "convention.pdf");
        // A stale version is refused; the leader submits.
        let r = leader
            .json(
                reqwest::Method::POST,
                &format!("/api/v1/declarations/{did}/steps"),
                Some(serde_json::json!({"action": "submit", "row_version": 1})),
            )
            .await;
        assert_eq!(r.status, 409, "{}", r.text);
        let r = leader
            .json(
                reqwest::Method::POST,
                &format!("/api/v1/declarations/{did}/steps"),
                Some(serde_json::json!({"action": "submit", "row_version": 2})),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.json()["state"], "submitted");
        // Read-only once submitted, and the page says why.
        let page = leader.get(&format!("/declarations/{did}")).await;
        assert!(
            page.text.contains("Lecture seule : valeur soumise"),
            "{}",
            page.text
        );
        let r = leader
            .json(
                reqwest::Method::POST,
                &format!("/api/v1/declarations/{did}/steps"),
                Some(serde_json::json!({"action": "save", "row_version": 3, "value": "5"})),
            )
            .await;
        assert_eq!(r.status, 409, "{}", r.text);

        // The agency returns it with a reason; the establishment corrects; validated.
        let r = referent
            .json(
                reqwest::Method::POST,
                &format!("/api/v1/declarations/{did}/steps"),
                Some(serde_json::json!({"action": "return", "row_version": 3})),
            )
            .await;
        assert_eq!(r.status, 409, "a reason is required: {}", r.text);
        let r = referent
            .json(
                reqwest::Method::POST,
                &format!("/api/v1/declarations/{did}/steps"),
                Some(serde_json::json!({"action": "return", "row_version": 3,
                    "reason": "Le chiffre ne correspond pas au justificatif"})),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.json()["state"], "returned");
        let r = leader
            .json(
                reqwest::Method::POST,
                &format!("/api/v1/declarations/{did}/steps"),
                Some(serde_json::json!({"action": "submit", "row_version": 4, "value": "1 200"})),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        let r = referent
            .json(
                reqwest::Method::POST,
                &format!("/api/v1/declarations/{did}/steps"),
                Some(serde_json::json!({"action": "validate", "row_version": 5})),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        let d = r.json();
        assert_eq!(d["state"], "validated");
        let steps: Vec<&str> = d["history"]
            .as_array()
            .expect("history")
            .iter()
            .filter_map(|h| h["to"].as_str())
            .collect();
        assert_eq!(
            steps,
            ["draft", "submitted", "returned", "submitted", "validated"]
        );
        assert_eq!(
            d["history"][2]["reason"],
            "Le chiffre ne correspond pas au justificatif"
        );
        assert_eq!(
            d["history"][0]["value"]["value"], 1234.5,
            "every version kept"
        );

        // Closed: a validated declaration can be reopened by the agency, with a reason.
        let rv = admin
            .get(&format!("/api/v1/campaigns/{campaign}"))
            .await
            .json()["row_version"]
            .as_i64()
            .expect("rv");
        let r = admin
            .json(
                reqwest::Method::POST,
                &format!("/api/v1/campaigns/{campaign}/close"),
                Some(serde_json::json!({"row_version": rv})),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.json()["open"], false);
        let r = referent
            .json(
                reqwest::Method::POST,
                &format!("/api/v1/declarations/{did}/steps"),
                Some(serde_json::json!({"action": "reopen", "row_version": 6,
                    "reason": "Erreur signalée par l'établissement"})),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.json()["state"], "returned");
        let campaigns = referent.get("/api/v1/campaigns").await.json();
        assert_eq!(campaigns[0]["counts"]["returned"], 1, "{campaigns}");
        let page = referent.get(&format!("/campagnes/{campaign}")).await;
        assert_eq!(page.status, 200);
        assert!(
            page.text.contains("renvoyée pour correction"),
            "{}",
            page.text
        );

        // The next year's form shows this year's value.
        let r = admin
            .json(
                reqwest::Method::POST,
                "/api/v1/campaigns",
                Some(serde_json::json!({"year": "2027", "deadline": "31/03/2099"})),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
        let next = r.json()["campaign"]["id"].as_i64().expect("campaign");
        let list = leader
            .get(&format!("/api/v1/campaigns/{next}/declarations"))
            .await
            .json();
        let next_id = list["items"][0]["id"].as_i64().expect("declaration");
        let d = leader
            .get(&format!("/api/v1/declarations/{next_id}"))
            .await
            .json();
        assert_eq!(
            d["fiche"]["last_year"], "1\u{202f}200 (renvoyée pour correction)",
            "{d}"
        );

        // The validation queue: filters, and validation in bulk of the submitted ones.
        let r = leader
            .json(
                reqwest::Method::POST,
                &format!("/api/v1/declarations/{next_id}/steps"),
                Some(serde_json::json!({"action": "submit", "row_version": 1, "value": "1 300"})),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        let q = |query: &str| format!("/api/v1/campaigns/{next}/declarations?{query}");
        assert_eq!(referent.get(&q("state=submitted")).await.json()["total"], 1);
        assert_eq!(referent.get(&q("department=30")).await.json()["total"], 0);
        assert_eq!(referent.get(&q("band=lt100")).await.json()["total"], 0);
        assert_eq!(referent.get(&q("band=colossal")).await.status, 422);
        let r = leader
            .json(
                reqwest::Method::POST,
                &format!("/api/v1/campaigns/{next}/validate"),
                Some(serde_json::json!({"ids": [next_id]})),
            )
            .await;
        assert_eq!(r.status, 403, "{}", r.text);
        let r = referent
            .json(
                reqwest::Method::POST,
                &format!("/api/v1/campaigns/{next}/validate"),
                Some(serde_json::json!({"ids": [next_id, did]})),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(
            r.json()["validated"],
            1,
            "only the submitted one of that campaign"
        );

        let audit = app
            .store()
            .list_audit(&cpom_domain::ScopeFilter::All, &Default::default(), 1, 200)
            .await
            .expect("audit");
        let actions: Vec<&str> = audit.items.iter().map(|e| e.action.as_str()).collect();
        assert!(actions.contains(&"campaign.open") && actions.contains(&"campaign.close"));
        assert_eq!(
            actions.iter().filter(|a| **a == "declaration.step").count(),
            8
        );
        assert_eq!(actions.iter().filter(|a| **a == "campaign.open").count(), 2);
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reminders_go_once_a_day_to_those_who_still_have_to_act() {
    crate::on_each_backend!(|app| {
        let sys = AuditActor::system();
        let c = shipped("occitanie-2025-2029");
        app.store()
            .import_catalogue(&sys, &c, true)
            .await
            .expect("catalogue");
        crate::support::signed_contract(app.store(), OWN_EJ, "CPOM_CT_6").await;
        let today = cpom_web::services::today();
        let (campaign, _) = app
            .store()
            .open_campaign(
                &sys,
                &cpom_store::repo::campaigns::NewCampaign {
                    region: cpom_domain::RegionCode::parse("76").expect("region"),
                    year: 2026,
                    title: "Campagne 2026".into(),
                    deadline: today + chrono::Duration::days(3),
                    perimeter: cpom_store::repo::campaigns::Perimeter::Region,
                },
            )
            .await
            .expect("campaign");
        let mail = tempfile::tempdir().expect("dir");
        let transport = cpom_web::reminders::Transport::File(mail.path().to_owned());
        // Not yet: the deadline is further than one day away.
        let s = cpom_web::reminders::send(app.store(), &transport, "cpom@ars.fr", 1, today)
            .await
            .expect("send");
        assert_eq!(s.sent, 0);
        // Within a week: each active user of the entity is reminded (no one of the agency:
        // nothing awaits it).
        let users = app
            .store()
            .audience(
                cpom_store::repo::notifications::Audience::Establishment(
                    &cpom_domain::FinessId::parse(OWN_EJ).expect("finess"),
                ),
                None,
            )
            .await
            .expect("users");
        assert!(users.len() >= 2, "leader and contributor at least");
        let s = cpom_web::reminders::send(app.store(), &transport, "cpom@ars.fr", 7, today)
            .await
            .expect("send");
        assert_eq!((s.campaigns, s.sent, s.skipped), (1, users.len(), 0));
        let files: Vec<_> = std::fs::read_dir(mail.path()).expect("mail").collect();
        assert_eq!(files.len(), users.len());
        let text = std::fs::read_to_string(files[0].as_ref().expect("file").path()).expect("eml");
        assert!(
            text.contains("From: cpom@ars.fr\r\n") && text.contains("Campagne 2026"),
            "{text}"
        );
        // Never twice the same day.
        let s = cpom_web::reminders::send(app.store(), &transport, "cpom@ars.fr", 7, today)
            .await
            .expect("send");
        assert_eq!((s.sent, s.skipped), (0, users.len()));
        // Through SMTP the next day: each one is delivered to its address.
        let (url, received) = smtp_sink().await;
        let smtp = cpom_web::reminders::Transport::smtp(&url).expect("smtp");
        let tomorrow = today + chrono::Duration::days(1);
        let s = cpom_web::reminders::send(app.store(), &smtp, "cpom@ars.fr", 7, tomorrow)
            .await
            .expect("send");
        assert_eq!((s.sent, s.failed), (users.len(), 0));
        let got = received.lock().expect("sink").clone();
        assert_eq!(got.len(), users.len());
        let mut emails = vec![];
        for u in &users {
            emails.push(format!(
                "<{}>",
                app.store().get_user(*u).await.expect("user").email.as_str()
            ));
        }
        for (to, data) in &got {
            assert!(emails.contains(&to[0]), "{to:?} not among {emails:?}");
            assert!(data.contains("From: cpom@ars.fr"), "{data}");
            assert!(data.contains("Subject: "), "{data}");
        }
        // A server that does not answer: counted as failed, the notification still given.
        let down = cpom_web::reminders::Transport::smtp("smtp://127.0.0.1:9").expect("smtp");
        let s = cpom_web::reminders::send(
            app.store(),
            &down,
            "cpom@ars.fr",
            7,
            today + chrono::Duration::days(2),
        )
        .await
        .expect("send");
        assert_eq!((s.sent, s.failed), (0, users.len()));
        let mut leader = app.signed_in("establishment-leader").await;
        let told = leader.get("/api/v1/notifications").await.json();
        assert_eq!(told["total"], 3, "one notification a day");
        assert!(
            told["items"][0]["message"]
                .as_str()
                .unwrap_or_default()
                .contains("restent à saisir")
        );
        assert_eq!(
            told["items"][0]["link"],
            format!("/campagnes/{}", campaign.id)
        );
    });
}

/// The values of the agency: a file checked all or nothing with its errors by line, loaded
/// with its source, then confirmed or contested by the establishment instead of typed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn values_loaded_by_the_agency_are_confirmed_or_contested() {
    crate::on_each_backend!(|app| {
        let sys = AuditActor::system();
        app.store()
            .import_catalogue(&sys, &shipped("occitanie-2025-2029"), true)
            .await
            .expect("catalogue");
        crate::support::signed_contract(app.store(), OWN_EJ, "CPOM_CT_6").await;
        let (campaign, _) = crate::support::open_region_campaign(app.store(), 2026).await;
        let cid = campaign.id;
        let mut admin = app.signed_in("ars-admin").await;
        let mut referent = app.signed_in("ars-referent").await;
        let mut leader = app.signed_in("establishment-leader").await;
        let mut contributor = app.signed_in("establishment-contributor").await;

        // The template lists the declaration waiting for a value.
        let r = admin
            .get(&format!("/api/v1/campaigns/{cid}/values/template.xlsx"))
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        let template = cpom_import::bulk_values::read(&r.bytes).expect("template");
        assert_eq!(template.len(), 1);
        assert_eq!(template[0].finess, OWN_EJ);
        let indicator = template[0].indicator.clone();
        let declaration = leader
            .get(&format!("/api/v1/campaigns/{cid}/declarations"))
            .await
            .json()["items"][0]["id"]
            .as_i64()
            .expect("declaration");
        let url = format!("/api/v1/campaigns/{cid}/values");
        let fields = [("source", "pmsi"), ("detail", "PMSI MCO 2026")];

        // Every error, by line; nothing written.
        let bad = format!(
            "finess;indicateur;annee;valeur\n{OWN_EJ};{indicator};2026;beaucoup\n999999999;{indicator};2026;3\n"
        );
        let r = admin
            .upload_with(&url, &fields, "pmsi.csv", bad.into_bytes())
            .await;
        assert_eq!(r.status, 422, "{}", r.text);
        let errors = r.json()["errors"].clone();
        assert_eq!(errors[0]["line"], 2);
        assert_eq!(errors[0]["column"], "valeur");
        assert_eq!(errors[1]["line"], 3);
        assert!(
            errors[1]["message"]
                .as_str()
                .unwrap_or_default()
                .contains("aucun contrat suivi"),
            "{errors}"
        );
        let good = format!("finess;indicateur;annee;valeur\n{OWN_EJ};{indicator};2026;1 204\n");
        // Only the region's administrators load values.
        let r = referent
            .upload_with(&url, &fields, "pmsi.csv", good.clone().into_bytes())
            .await;
        assert_eq!(r.status, 403, "{}", r.text);
        let r = leader
            .upload_with(&url, &fields, "pmsi.csv", good.clone().into_bytes())
            .await;
        assert!(matches!(r.status.as_u16(), 403 | 404), "{}", r.status);
        // A preview writes nothing.
        let r = admin
            .upload_with(
                &format!("{url}?dry_run=true"),
                &fields,
                "pmsi.csv",
                good.clone().into_bytes(),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.json()["applied"], false);
        assert_eq!(r.json()["lines"][0]["value"], "1\u{202f}204");
        let d = leader
            .get(&format!("/api/v1/declarations/{declaration}"))
            .await;
        assert_eq!(d.json()["state"], "to_do");
        // Loaded: marked with its source and import, pre-filled.
        let r = admin
            .upload_with(&url, &fields, "pmsi.csv", good.clone().into_bytes())
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        let first_import = r.json()["import_id"].as_i64().expect("import");
        let d = leader
            .get(&format!("/api/v1/declarations/{declaration}"))
            .await
            .json();
        assert_eq!(d["state"], "draft");
        assert_eq!(d["value_source"], "pmsi");
        assert_eq!(d["value_import_id"], first_import);
        assert_eq!(d["value"]["value"], 1204.0);
        let page = leader.get(&format!("/declarations/{declaration}")).await;
        assert!(page.text.contains("Confirmer la valeur"), "{}", page.text);
        assert!(page.text.contains("PMSI — import n°"), "{}", page.text);

        // The establishment does not type it again; only its leader answers, with a reason
        // to contest.
        let step = |action: &str, rv: i64, comment: &str, value: &str| {
            serde_json::json!({"action": action, "row_version": rv, "comment": comment,
                "value": value, "reason": comment})
        };
        let steps = format!("/api/v1/declarations/{declaration}/steps");
        let rv = d["row_version"].as_i64().expect("rv");
        let r = leader
            .json(
                reqwest::Method::POST,
                &steps,
                Some(step("save", rv, "", "12")),
            )
            .await;
        assert_eq!(r.status, 409, "{}", r.text);
        assert!(r.text.contains("valeur fournie par l'ARS"), "{}", r.text);
        let r = contributor
            .json(
                reqwest::Method::POST,
                &steps,
                Some(step("confirm", rv, "", "")),
            )
            .await;
        assert_eq!(r.status, 403, "{}", r.text);
        let r = leader
            .json(
                reqwest::Method::POST,
                &steps,
                Some(step("contest", rv, " ", "")),
            )
            .await;
        assert_eq!(r.status, 422, "{}", r.text);
        let r = leader
            .json(
                reqwest::Method::POST,
                &steps,
                Some(step(
                    "contest",
                    rv,
                    "Il manque les séjours de décembre.",
                    "",
                )),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.json()["state"], "submitted");
        assert_eq!(r.json()["contested"], true);
        let rv = r.json()["row_version"].as_i64().expect("rv");
        let history = r.json()["history"].clone();
        assert!(
            history[0]["step"]
                .as_str()
                .unwrap_or_default()
                .starts_with("valeur fournie par l'ARS (PMSI"),
            "{history}"
        );
        // Listed as contested, and left out of bulk validation.
        let q = referent
            .get(&format!(
                "/api/v1/campaigns/{cid}/declarations?contested=true"
            ))
            .await;
        assert_eq!(q.json()["total"], 1, "{}", q.text);
        let r = referent
            .json(
                reqwest::Method::POST,
                &format!("/api/v1/campaigns/{cid}/validate"),
                Some(serde_json::json!({"ids": [declaration]})),
            )
            .await;
        assert_eq!(r.json()["validated"], 0, "{}", r.text);
        let r = referent
            .json(
                reqwest::Method::POST,
                &steps,
                Some(step("return", rv, "Valeur corrigée à venir", "")),
            )
            .await;
        assert_eq!(r.json()["state"], "returned", "{}", r.text);

        // The corrected value through the pages: preview, then apply.
        let corrected =
            format!("finess;indicateur;annee;valeur\n{OWN_EJ};{indicator};2026;1 310\n");
        let page = admin.get(&format!("/campagnes/{cid}/valeurs")).await;
        assert_eq!(page.status, 200);
        let r = admin
            .upload_with(
                &format!("/campagnes/{cid}/valeurs"),
                &[("source", "pmsi"), ("detail", "PMSI MCO 2026, corrigé")],
                "pmsi-corrige.csv",
                corrected.into_bytes(),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert!(r.text.contains("1 valeur(s) prête(s)"), "{}", r.text);
        let token = r
            .text
            .split("name=\"token\" value=\"")
            .nth(1)
            .and_then(|t| t.split('"').next())
            .expect("token")
            .to_owned();
        let r = admin
            .post_form(
                &format!("/campagnes/{cid}/valeurs/appliquer"),
                &[("token", &token)],
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert!(r.text.contains("valeur(s) chargée(s)"), "{}", r.text);
        // The same preview cannot be applied twice.
        let r = admin
            .post_form(
                &format!("/campagnes/{cid}/valeurs/appliquer"),
                &[("token", &token)],
            )
            .await;
        assert_eq!(r.status, 409, "{}", r.text);
        let d = leader
            .get(&format!("/api/v1/declarations/{declaration}"))
            .await
            .json();
        assert_eq!(d["state"], "returned", "stays returned until answered");
        assert_eq!(d["contested"], false);
        assert_eq!(d["value"]["value"], 1310.0);
        let rv = d["row_version"].as_i64().expect("rv");
        let r = leader
            .json(
                reqwest::Method::POST,
                &steps,
                Some(step("confirm", rv, "", "")),
            )
            .await;
        assert_eq!(r.json()["state"], "submitted", "{}", r.text);
        let r = referent
            .json(
                reqwest::Method::POST,
                &format!("/api/v1/campaigns/{cid}/validate"),
                Some(serde_json::json!({"ids": [declaration]})),
            )
            .await;
        assert_eq!(r.json()["validated"], 1, "{}", r.text);

        // A validated declaration receives no value until reopened.
        let again = format!("finess;indicateur;valeur\n{OWN_EJ};{indicator};7\n");
        let r = admin
            .upload_with(&url, &fields, "pmsi.csv", again.into_bytes())
            .await;
        assert_eq!(r.status, 422, "{}", r.text);
        assert!(r.text.contains("déjà validée"), "{}", r.text);
        // The imports, for the agency only.
        let r = referent.get(&url).await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.json().as_array().map(Vec::len), Some(2));
        assert_eq!(r.json()[0]["detail"], "PMSI MCO 2026, corrigé");
        assert_eq!(leader.get(&url).await.status, 403);
        let audit = app
            .store()
            .list_audit(&cpom_domain::ScopeFilter::All, &Default::default(), 1, 200)
            .await
            .expect("audit");
        assert_eq!(
            audit
                .items
                .iter()
                .filter(|e| e.action == "campaign.values_loaded")
                .count(),
            2
        );
    });
}

/// What the SMTP sink received: the envelope recipients and the data of each message.
type Received = std::sync::Arc<std::sync::Mutex<Vec<(Vec<String>, String)>>>;

/// A minimal SMTP server on a free local port, standing for the agency's mail relay: it
/// accepts every message and keeps it. Returns its `smtp://` URL.
async fn smtp_sink() -> (String, Received) {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("smtp://{}", listener.local_addr().expect("addr"));
    let received: Received = Default::default();
    let keep = received.clone();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let keep = keep.clone();
            tokio::spawn(async move {
                let (read, mut write) = socket.into_split();
                let mut lines = BufReader::new(read).lines();
                let _ = write.write_all(b"220 sink ESMTP\r\n").await;
                let mut to = vec![];
                while let Ok(Some(line)) = lines.next_line().await {
                    let upper = line.to_uppercase();
                    let reply: &[u8] = if upper.starts_with("EHLO") {
                        b"250-sink\r\n250 8BITMIME\r\n"
                    } else if upper.starts_with("RCPT TO:") {
                        to.push(line[8..].trim().to_owned());
                        b"250 OK\r\n"
                    } else if upper == "DATA" {
                        let _ = write.write_all(b"354 go ahead\r\n").await;
                        let mut data = String::new();
                        while let Ok(Some(l)) = lines.next_line().await {
                            if l == "." {
                                break;
                            }
                            data.push_str(&l);
                            data.push('\n');
                        }
                        keep.lock()
                            .expect("sink")
                            .push((std::mem::take(&mut to), data));
                        b"250 queued\r\n"
                    } else if upper == "QUIT" {
                        let _ = write.write_all(b"221 bye\r\n").await;
                        break;
                    } else {
                        b"250 OK\r\n"
                    };
                    let _ = write.write_all(reply).await;
                }
            });
        }
    });
    (url, received)
}
