//! Contracts through the API and the pages, on SQLite and PostgreSQL: creation from a
//! published catalogue, engagements added and negotiated, the life cycle moved by each side
//! in turn, stale versions refused, and another legal entity's contract out of sight.

use cpom_domain::registry::SizeBand;
use cpom_domain::{FinessId, ScopeFilter};
use cpom_store::AuditActor;

use crate::catalogues::shipped;
use crate::support::OWN_EJ;

/// Asks to move contract `id` to `to`, at its current `row_version`.
pub(crate) async fn step(
    app: &crate::support::TestApp,
    agent: &mut crate::support::Agent,
    id: i64,
    to: &str,
) -> crate::support::Resp {
    let rv = app
        .store()
        .contract(id)
        .await
        .expect("contract")
        .row_version;
    agent
        .json(
            reqwest::Method::POST,
            &format!("/api/v1/contracts/{id}/transition"),
            Some(serde_json::json!({"to": to, "row_version": rv, "note": "matrice"})),
        )
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_contract_is_prepared_negotiated_and_signed() {
    crate::on_each_backend!(|app| {
        let sys = AuditActor::system();
        app.store()
            .import_catalogue(&sys, &shipped("occitanie-2025-2029"), true)
            .await
            .expect("catalogue");
        let own = FinessId::parse(OWN_EJ).expect("finess");
        let version = app
            .store()
            .get_legal_entity(&own)
            .await
            .expect("read")
            .expect("entity")
            .version;
        app.store()
            .set_band_override(
                &sys,
                &own,
                Some(SizeBand::Ge500),
                Some("CHU : plus de 500 lits selon la SAE"),
                version,
            )
            .await
            .expect("band");

        let mut referent = app.signed_in("ars-referent").await;
        let r = referent
            .json(
                reqwest::Method::POST,
                "/api/v1/contracts",
                Some(serde_json::json!({"ej": OWN_EJ, "catalogue": "occitanie-2025-2029"})),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
        let doc = r.json();
        let id = doc["id"].as_i64().expect("id");
        assert_eq!(doc["state"], "preparation");
        assert_eq!(doc["band"], "ge500");
        assert_eq!(doc["title"], "CPOM 2025-2029 — CHU de Montpellier");
        // The catalogue's actions with their applicability to the entity.
        let ct3 = doc["proposals"]
            .as_array()
            .expect("proposals")
            .iter()
            .find(|p| p["action"] == "CPOM_CT_3")
            .expect("CPOM_CT_3");
        assert_eq!(ct3["applies"], false);
        assert_eq!(ct3["reason"], "membre d'aucun GHT");
        assert_eq!(doc["moves"], serde_json::json!(["negotiation"]));
        // One contract per entity and catalogue.
        let again = referent
            .json(
                reqwest::Method::POST,
                "/api/v1/contracts",
                Some(serde_json::json!({"ej": OWN_EJ, "catalogue": "occitanie-2025-2029"})),
            )
            .await;
        assert_eq!(again.status, 422, "{}", again.text);
        assert!(again.text.contains("a déjà un contrat"), "{}", again.text);

        // An engagement: its targets come from the catalogue for the band.
        let rv = doc["row_version"].as_i64().expect("row_version");
        let r = referent
            .json(
                reqwest::Method::POST,
                &format!("/api/v1/contracts/{id}/engagements"),
                Some(serde_json::json!({"row_version": rv, "action": "CPOM_CT_6"})),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
        let doc = r.json();
        let e1 = &doc["engagements"][0];
        assert_eq!(e1["key"], "E1");
        assert_eq!(e1["indicator"]["code"], "CPOM_CT_6");
        let targets: Vec<(String, String)> = e1["targets"]
            .as_array()
            .expect("targets")
            .iter()
            .map(|t| {
                (
                    t["year"].to_string(),
                    t["rule_text"].as_str().unwrap_or_default().to_owned(),
                )
            })
            .collect();
        assert_eq!(targets.len(), 6, "{targets:?}");
        assert_eq!(
            targets[5],
            ("\"total\"".to_owned(), "cumul >= 4".to_owned())
        );
        assert!(
            doc["warnings"].as_array().expect("warnings").is_empty(),
            "{}",
            doc["warnings"]
        );

        // A stale version is refused; a negotiated target is kept with its source.
        let stale = referent
            .json(
                reqwest::Method::PUT,
                &format!("/api/v1/contracts/{id}/engagements/E1"),
                Some(serde_json::json!({"row_version": rv, "title": "Autre"})),
            )
            .await;
        assert_eq!(stale.status, 409, "{}", stale.text);
        let rv = doc["row_version"].as_i64().expect("row_version");
        let r = referent
            .json(
                reqwest::Method::PUT,
                &format!("/api/v1/contracts/{id}/engagements/E1"),
                Some(
                    serde_json::json!({"row_version": rv, "new_authorisation": true,
                    "targets": [{"year": "2026", "rule_text": "+2 vs N-1"},
                                {"year": "2031", "rule_text": "+1 vs N-1"}]}),
                ),
            )
            .await;
        assert_eq!(r.status, 422, "{}", r.text);
        assert!(r.text.contains("targets[1].year"), "{}", r.text);
        let r = referent
            .json(
                reqwest::Method::PUT,
                &format!("/api/v1/contracts/{id}/engagements/E1"),
                Some(
                    serde_json::json!({"row_version": rv, "new_authorisation": true,
                    "targets": [{"year": "2026", "rule_text": "+2 vs N-1"}]}),
                ),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        let doc = r.json();
        assert_eq!(doc["engagements"][0]["targets"][0]["source"], "négocié");
        let codes: Vec<&str> = doc["warnings"]
            .as_array()
            .expect("warnings")
            .iter()
            .filter_map(|w| w["code"].as_str())
            .collect();
        assert_eq!(codes, ["missing_target", "new_authorisation"]);

        // Another legal entity's users do not see it; its own do.
        let mut leader = app.signed_in("establishment-leader").await;
        let seen = leader.get(&format!("/api/v1/contracts/{id}")).await;
        assert_eq!(seen.status, 200, "{}", seen.text);
        let mut foreign = app.signed_in("foreign-target").await;
        assert_eq!(
            foreign.get(&format!("/api/v1/contracts/{id}")).await.status,
            404
        );
        let mut observer = app.signed_in("observer").await;
        assert_eq!(
            observer
                .get(&format!("/api/v1/contracts/{id}"))
                .await
                .status,
            404,
            "observers read signed contracts only"
        );

        // The negotiation thread: both sides comment, on the contract or an engagement.
        let r = leader
            .json(
                reqwest::Method::POST,
                &format!("/api/v1/contracts/{id}/comments"),
                Some(serde_json::json!({"engagement": "E1", "body": "  +2 en 2026 nous paraît trop ambitieux. "})),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
        assert_eq!(r.json()["side"], "establishment");
        let r = leader
            .json(
                reqwest::Method::POST,
                &format!("/api/v1/contracts/{id}/comments"),
                Some(serde_json::json!({"engagement": "E7", "body": "?"})),
            )
            .await;
        assert_eq!(r.status, 422, "{}", r.text);
        let r = referent
            .json(
                reqwest::Method::POST,
                &format!("/api/v1/contracts/{id}/comments"),
                Some(serde_json::json!({"body": "Nous maintenons la cible."})),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
        let r = foreign
            .json(
                reqwest::Method::POST,
                &format!("/api/v1/contracts/{id}/comments"),
                Some(serde_json::json!({"body": "Intrusion"})),
            )
            .await;
        assert_eq!(r.status, 404, "{}", r.text);
        let thread = referent
            .get(&format!("/api/v1/contracts/{id}/comments"))
            .await
            .json();
        let bodies: Vec<(&str, Option<&str>)> = thread
            .as_array()
            .expect("comments")
            .iter()
            .map(|c| {
                (
                    c["body"].as_str().unwrap_or_default(),
                    c["engagement"].as_str(),
                )
            })
            .collect();
        assert_eq!(
            bodies,
            [
                ("+2 en 2026 nous paraît trop ambitieux.", Some("E1")),
                ("Nous maintenons la cible.", None)
            ]
        );

        // The life cycle: the agency opens the negotiation, the establishment agrees, the
        // agency records the signature; the establishment cannot sign.
        assert_eq!(step(&app, &mut leader, id, "negotiation").await.status, 403);
        assert_eq!(
            step(&app, &mut referent, id, "negotiation").await.status,
            200
        );
        let r = step(&app, &mut leader, id, "ready_to_sign").await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.json()["moves"], serde_json::json!(["negotiation"]));
        // Engagements no longer change once agreed.
        let rv = app
            .store()
            .contract(id)
            .await
            .expect("contract")
            .row_version;
        let r = referent
            .json(
                reqwest::Method::DELETE,
                &format!("/api/v1/contracts/{id}/engagements/E1?row_version={rv}"),
                None,
            )
            .await;
        assert_eq!(r.status, 409, "{}", r.text);
        assert_eq!(step(&app, &mut leader, id, "signed").await.status, 403);
        // The signature is recorded with its signatories, both sides required.
        let r = step(&app, &mut referent, id, "signed").await;
        assert_eq!(r.status, 422, "{}", r.text);
        let sign = |signatories: serde_json::Value| {
            let app = &app;
            async move {
                let rv = app
                    .store()
                    .contract(id)
                    .await
                    .expect("contract")
                    .row_version;
                serde_json::json!({"row_version": rv, "signatories": signatories,
                    "note": "signé en séance"})
            }
        };
        let body = sign(serde_json::json!([
            {"role": "dg_ars", "name": "Didier Jaffre", "function": "Directeur général", "date": "27/11/2026"}
        ]))
        .await;
        let r = referent
            .json(
                reqwest::Method::POST,
                &format!("/api/v1/contracts/{id}/signature"),
                Some(body.clone()),
            )
            .await;
        assert_eq!(r.status, 422, "{}", r.text);
        assert!(
            r.text
                .contains("le représentant légal de l'établissement doit signer"),
            "{}",
            r.text
        );
        let r = leader
            .json(
                reqwest::Method::POST,
                &format!("/api/v1/contracts/{id}/signature"),
                Some(body),
            )
            .await;
        assert_eq!(r.status, 403, "{}", r.text);
        let body = sign(serde_json::json!([
            {"role": "dg_ars", "name": "Didier Jaffre", "function": "Directeur général", "date": "27/11/2026"},
            {"role": "legal_representative", "name": "Anne Ferrer", "function": "Directrice générale", "date": "2026-11-28"}
        ]))
        .await;
        let r = referent
            .json(
                reqwest::Method::POST,
                &format!("/api/v1/contracts/{id}/signature"),
                Some(body),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        let doc = r.json();
        assert_eq!(doc["signatories"][1]["name"], "Anne Ferrer");
        assert_eq!(doc["signatories"][1]["date"], "2026-11-28");
        assert_eq!(doc["state"], "signed");
        assert!(doc["signed_at"].is_string());
        // Proposals and checks serve the preparation: a signed contract has none.
        let doc = referent
            .get(&format!("/api/v1/contracts/{id}"))
            .await
            .json();
        assert_eq!(doc["proposals"], serde_json::json!([]), "{doc}");
        assert_eq!(doc["warnings"], serde_json::json!([]), "{doc}");
        assert_eq!(
            observer
                .get(&format!("/api/v1/contracts/{id}"))
                .await
                .status,
            200
        );

        // Lists: by state, and the entity's own only.
        let list = referent.get("/api/v1/contracts?state=signed").await;
        assert_eq!(list.json()["total"], 1, "{}", list.text);
        let list = referent.get("/api/v1/contracts?state=preparation").await;
        assert_eq!(list.json()["total"], 0);
        assert_eq!(foreign.get("/api/v1/contracts").await.json()["total"], 0);
        let page = leader.get(&format!("/contrats/{id}")).await;
        assert_eq!(page.status, 200);
        assert!(page.text.contains("signé (en vigueur)"), "{}", page.text);
        assert!(
            page.text
                .contains("prêt à signer → signé (en vigueur) — « signé en séance »"),
            "{}",
            page.text
        );

        // Every change is in the audit trail.
        let audit = app
            .store()
            .list_audit(&ScopeFilter::All, &Default::default(), 1, 100)
            .await
            .expect("audit");
        let actions: Vec<&str> = audit
            .items
            .iter()
            .filter(|e| e.entity_type == "contract")
            .map(|e| e.action.as_str())
            .collect();
        assert_eq!(
            actions
                .iter()
                .filter(|a| **a == "contract.transition")
                .count(),
            3
        );
        assert!(actions.contains(&"contract.create") && actions.contains(&"contract.edit"));
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pages_create_a_contract_and_add_and_edit_an_engagement() {
    crate::on_each_backend!(|app| {
        let sys = AuditActor::system();
        app.store()
            .import_catalogue(&sys, &shipped("occitanie-2025-2029"), true)
            .await
            .expect("catalogue");
        let mut admin = app.signed_in("ars-admin").await;
        let form = admin.get("/contrats/nouveau").await;
        assert_eq!(form.status, 200);
        assert!(form.text.contains("Occitanie 2025–2029 (v1)"));
        let r = admin
            .post_form(
                "/contrats",
                &[("ej", "12345"), ("catalogue", "occitanie-2025-2029")],
            )
            .await;
        assert_eq!(r.status, 422);
        assert!(r.text.contains("numéro FINESS EJ invalide"), "{}", r.text);
        let r = admin
            .post_form(
                "/contrats",
                &[("ej", OWN_EJ), ("catalogue", "occitanie-2025-2029")],
            )
            .await;
        assert_eq!(r.status, 303, "{}", r.text);
        let href = r.location().to_owned();
        let id: i64 = href.trim_start_matches("/contrats/").parse().expect("id");
        let rv = |app: &crate::support::TestApp| {
            let store = app.store().clone();
            async move {
                store
                    .contract(id)
                    .await
                    .expect("contract")
                    .row_version
                    .to_string()
            }
        };
        let v = rv(&app).await;
        let r = admin
            .post_form(
                &format!("/contrats/{id}/engagements"),
                &[("row_version", &v), ("action", "CPOM_CT_2")],
            )
            .await;
        assert_eq!(r.status, 303, "{}", r.text);
        let page = admin.get(&href).await;
        assert!(page.text.contains("CPOM_CT_2 — "), "{}", page.text);
        assert!(
            page.text
                .contains("ajout de l&#39;engagement E1 (action CPOM_CT_2)"),
            "the history tells the change: {}",
            page.text
        );
        let form = admin.get(&format!("/contrats/{id}/engagements/E1")).await;
        assert_eq!(form.status, 200, "{}", form.text);
        // A wrong rule comes back under its line with what was typed.
        let v = rv(&app).await;
        let r = admin
            .post_form(
                &format!("/contrats/{id}/engagements/E1"),
                &[
                    ("row_version", &v),
                    ("title", "Projets de coopération public-privé formalisés"),
                    ("targets[0].year", "2027"),
                    ("targets[0].rule_text", ">= deux"),
                ],
            )
            .await;
        assert_eq!(r.status, 422, "{}", r.text);
        assert!(r.text.contains("ligne 1, colonne"), "{}", r.text);
        assert!(r.text.contains("value=\"&#62;= deux\""), "{}", r.text);
        let r = admin
            .post_form(
                &format!("/contrats/{id}/engagements/E1"),
                &[
                    ("row_version", &v),
                    ("title", "Projets de coopération public-privé formalisés"),
                    ("targets[0].year", "2027"),
                    ("targets[0].rule_text", ">= 2"),
                    ("targets[0].text", "2 projets"),
                ],
            )
            .await;
        assert_eq!(r.status, 303, "{}", r.text);
        let c = app.store().contract(id).await.expect("contract");
        let e = &c.content.engagements[0];
        assert_eq!(e.title, "Projets de coopération public-privé formalisés");
        assert_eq!(e.targets.len(), 1);
        assert_eq!(e.targets[0].text, "2 projets");
        // The establishment's leader reads the contract but not the engagement form.
        let mut leader = app.signed_in("establishment-leader").await;
        assert_eq!(leader.get(&href).await.status, 200);
        assert_eq!(
            leader
                .get(&format!("/contrats/{id}/engagements/E1"))
                .await
                .status,
            403
        );
        let r = admin
            .post_form(
                &format!("/contrats/{id}/engagements/E1/retirer"),
                &[("row_version", &rv(&app).await)],
            )
            .await;
        assert_eq!(r.status, 303);
        assert!(
            app.store()
                .contract(id)
                .await
                .expect("c")
                .content
                .engagements
                .is_empty()
        );
    });
}

/// Two sessions change the same engagement at the same time, from the same version: one is
/// saved, the other gets the French conflict message; after reloading, its change is saved
/// too, and neither is lost (a fault of issue 9).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_sessions_editing_the_same_engagement_at_once_lose_no_update() {
    crate::on_each_backend!(|app| {
        app.store()
            .import_catalogue(&AuditActor::system(), &shipped("occitanie-2025-2029"), true)
            .await
            .expect("catalogue");
        let mut referent = app.signed_in("ars-referent").await;
        let mut admin = app.signed_in("ars-admin").await;
        let r = referent
            .json(
                reqwest::Method::POST,
                "/api/v1/contracts",
                Some(serde_json::json!({"ej": OWN_EJ, "catalogue": "occitanie-2025-2029"})),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
        let id = r.json()["id"].as_i64().expect("id");
        let rv = r.json()["row_version"].as_i64().expect("version");
        let r = referent
            .json(
                reqwest::Method::POST,
                &format!("/api/v1/contracts/{id}/engagements"),
                Some(serde_json::json!({"row_version": rv, "action": "CPOM_CT_6"})),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
        let url = format!("/api/v1/contracts/{id}/engagements/E1");
        for round in 0..4 {
            let rv = app
                .store()
                .contract(id)
                .await
                .expect("contract")
                .row_version;
            let title = format!("Titre du référent, tour {round}");
            let flag = round % 2 == 0;
            let (a, b) = tokio::join!(
                referent.json(
                    reqwest::Method::PUT,
                    &url,
                    Some(serde_json::json!({"row_version": rv, "title": title})),
                ),
                admin.json(
                    reqwest::Method::PUT,
                    &url,
                    Some(serde_json::json!({"row_version": rv, "new_authorisation": flag})),
                ),
            );
            let mut statuses = [a.status.as_u16(), b.status.as_u16()];
            statuses.sort_unstable();
            assert_eq!(statuses, [200, 409], "{} / {}", a.text, b.text);
            let loser = if a.status == 409 { &a } else { &b };
            assert!(loser.text.contains("modifié entre-temps"), "{}", loser.text);
            // The loser reloads and saves its change again.
            let rv = app
                .store()
                .contract(id)
                .await
                .expect("contract")
                .row_version;
            let retry = if a.status == 409 {
                referent
                    .json(
                        reqwest::Method::PUT,
                        &url,
                        Some(serde_json::json!({"row_version": rv, "title": title})),
                    )
                    .await
            } else {
                admin
                    .json(
                        reqwest::Method::PUT,
                        &url,
                        Some(serde_json::json!({"row_version": rv, "new_authorisation": flag})),
                    )
                    .await
            };
            assert_eq!(retry.status, 200, "{}", retry.text);
            let c = app.store().contract(id).await.expect("contract");
            let e1 = &c.content.engagements[0];
            assert_eq!(e1.title, title, "round {round}");
            assert_eq!(e1.new_authorisation, flag, "round {round}");
        }
    });
}
