//! Reviews and road maps over HTTP, on SQLite and PostgreSQL: recorded by the agency with a
//! legal entity or a GHT, read by the entities they cover and nobody else, actions tied to
//! the engagements of the contracts covered, changes made at the version read and audited,
//! and the review pack (PDF, read back with `pdftotext`) printing the road map.

use cpom_store::AuditActor;
use reqwest::Method;
use serde_json::json;

use crate::catalogues::shipped;
use crate::support::{OWN_EJ, SIBLING_EJ};

/// Text of a PDF as `pdftotext` (Debian poppler-utils) extracts it.
pub fn pdf_text(bytes: &[u8]) -> String {
    assert!(bytes.starts_with(b"%PDF-"), "not a PDF");
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("dossier.pdf");
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reviews_and_road_maps_are_kept_by_the_agency_and_read_by_the_entities_covered() {
    crate::on_each_backend!(|app| {
        let sys = AuditActor::system();
        let catalogue = shipped("occitanie-2025-2029");
        app.store()
            .import_catalogue(&sys, &catalogue, true)
            .await
            .expect("catalogue");
        let contract =
            crate::support::signed_contract(app.store(), OWN_EJ, &catalogue.actions[0].code).await;
        let region = cpom_domain::RegionCode::parse("76").expect("region");
        let ght = app
            .store()
            .create_ght(&sys, "GHT-REVUE", "GHT de la revue", &region)
            .await
            .expect("ght");
        app.store()
            .add_ght_member(
                &sys,
                "GHT-REVUE",
                &cpom_domain::FinessId::parse(OWN_EJ).expect("finess"),
                true,
                cpom_domain::territory::Period::new(
                    chrono::NaiveDate::from_ymd_opt(2020, 1, 1).expect("date"),
                    None,
                )
                .expect("period"),
                ght.version,
            )
            .await
            .expect("member");
        let mut referent = app.signed_in("ars-referent").await;
        let mut leader = app.signed_in("establishment-leader").await;

        // Bad input: each error names its field.
        for (body, field) in [
            (
                json!({"held_on": "12/03/2027", "participants": "A"}),
                "setting",
            ),
            (
                json!({"setting": "ej", "held_on": "12/03/2027", "participants": "A"}),
                "ej",
            ),
            (
                json!({"setting": "ej", "ej": "690781810", "held_on": "12/03/2027", "participants": "A"}),
                "ej",
            ),
            (
                json!({"setting": "ght", "ght": "GHT-INCONNU", "held_on": "12/03/2027", "participants": "A"}),
                "ght",
            ),
            (
                json!({"setting": "ej", "ej": OWN_EJ, "held_on": "31/02/2027", "participants": "A"}),
                "held_on",
            ),
            (
                json!({"setting": "ej", "ej": OWN_EJ, "held_on": "12/03/2027", "participants": " "}),
                "participants",
            ),
        ] {
            let r = referent
                .json(Method::POST, "/api/v1/reviews", Some(body.clone()))
                .await;
            assert_eq!(r.status, 422, "{body}: {}", r.text);
            assert_eq!(r.json()["fields"][0]["field"], field, "{body}: {}", r.text);
        }
        // The establishment does not record reviews.
        let r = leader
            .json(
                Method::POST,
                "/api/v1/reviews",
                Some(json!({"setting": "ej", "ej": OWN_EJ, "held_on": "12/03/2027", "participants": "A"})),
            )
            .await;
        assert_eq!(r.status, 403);

        // A dialogue with the legal entity, and one of its GHT.
        let r = referent
            .json(
                Method::POST,
                "/api/v1/reviews",
                Some(
                    json!({"setting": "ej", "ej": OWN_EJ, "held_on": "12/03/2027",
                    "participants": "Dr Martin, ARS\nMme Durand, directrice",
                    "minutes": "Point sur l'ambulatoire."}),
                ),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
        let review = r.json();
        let id = review["id"].as_i64().expect("id");
        assert_eq!(review["setting"], "ej");
        assert_eq!(review["participants"][1], "Mme Durand, directrice");
        let r = referent
            .json(
                Method::POST,
                "/api/v1/reviews",
                Some(
                    json!({"setting": "ght", "ght": "ght-revue", "held_on": "2027-04-01",
                    "participants": "Directeurs du GHT"}),
                ),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
        let ght_review = r.json()["id"].as_i64().expect("id");

        // The road map: engagements of the contract covered only.
        let detail = referent.get(&format!("/api/v1/reviews/{id}")).await.json();
        let e1 = format!("{}:E1", contract.id);
        assert_eq!(detail["engagements"][0]["code"], e1.as_str(), "{detail}");
        let r = referent
            .json(
                Method::POST,
                &format!("/api/v1/reviews/{id}/actions"),
                Some(json!({"title": "Ouvrir 10 places d'hôpital de jour", "owner": "Direction des soins",
                    "due_on": "30/06/2027", "engagements": ["999:E1"]})),
            )
            .await;
        assert_eq!(r.status, 422);
        assert_eq!(r.json()["fields"][0]["field"], "engagements");
        let r = referent
            .json(
                Method::POST,
                &format!("/api/v1/reviews/{id}/actions"),
                Some(json!({"title": "Ouvrir 10 places", "owner": "Direction",
                    "due_on": "01/01/2027"})),
            )
            .await;
        assert_eq!(r.status, 422, "due before the review");
        assert_eq!(r.json()["fields"][0]["field"], "due_on");
        let r = referent
            .json(
                Method::POST,
                &format!("/api/v1/reviews/{id}/actions"),
                Some(json!({"title": "Ouvrir 10 places d'hôpital de jour", "owner": "Direction des soins",
                    "due_on": "30/06/2027", "engagements": [e1]})),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
        let action = r.json();
        assert_eq!(action["status"], "planned");
        let action_id = action["id"].as_i64().expect("id");
        // A change at the version read; a stale version is refused.
        let path = format!("/api/v1/reviews/{id}/actions/{action_id}");
        let r = referent
            .json(
                Method::PUT,
                &path,
                Some(json!({"status": "in_progress", "row_version": action["row_version"]})),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.json()["status"], "in_progress");
        assert_eq!(r.json()["title"], "Ouvrir 10 places d'hôpital de jour");
        assert_eq!(r.json()["engagements"][0], e1.as_str(), "kept");
        let r = referent
            .json(
                Method::PUT,
                &path,
                Some(json!({"status": "done", "row_version": action["row_version"]})),
            )
            .await;
        assert_eq!(r.status, 409, "{}", r.text);
        let r = referent
            .json(Method::PUT, &path, Some(json!({"status": "done"})))
            .await;
        assert_eq!(r.status, 422, "no version read");
        // The review's minutes, changed at the version read.
        let r = referent
            .json(
                Method::PUT,
                &format!("/api/v1/reviews/{id}"),
                Some(
                    json!({"held_on": "12/03/2027", "participants": "Dr Martin, ARS",
                    "minutes": "Compte rendu complété.", "row_version": review["row_version"]}),
                ),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.json()["minutes"], "Compte rendu complété.");
        let r = referent
            .json(
                Method::PUT,
                &format!("/api/v1/reviews/{id}"),
                Some(json!({"held_on": "12/03/2027", "participants": "X",
                    "row_version": review["row_version"]})),
            )
            .await;
        assert_eq!(r.status, 409);
        // Every change is audited.
        let audit = app
            .store()
            .list_audit(&cpom_domain::ScopeFilter::All, &Default::default(), 1, 100)
            .await
            .expect("audit");
        let actions: Vec<&str> = audit.items.iter().map(|e| e.action.as_str()).collect();
        for a in [
            "review.create",
            "review.update",
            "review_action.create",
            "review_action.update",
        ] {
            assert!(actions.contains(&a), "{a} in {actions:?}");
        }

        // The establishment reads its reviews (its own and its GHT's), not another's.
        let list = leader.get("/api/v1/reviews").await.json();
        assert_eq!(list["total"], 2, "{list}");
        let page = leader.get(&format!("/revues/{id}")).await;
        assert_eq!(page.status, 200);
        assert!(
            page.text.contains("Ouvrir 10 places d&#39;hôpital de jour"),
            "{}",
            page.text
        );
        assert!(page.text.contains("en cours"));
        assert!(!page.text.contains("Ajouter une action"), "read only");
        let ght_page = leader.get(&format!("/revues/{ght_review}")).await;
        assert_eq!(ght_page.status, 200);
        let sibling_review = app
            .store()
            .create_review(
                &sys,
                &cpom_store::repo::reviews::NewReview {
                    region: region.clone(),
                    ej: Some(cpom_domain::FinessId::parse(SIBLING_EJ).expect("finess")),
                    ght: None,
                    fields: cpom_domain::review::review_fields("01/02/2027", "A", "")
                        .expect("fields"),
                },
            )
            .await
            .expect("review");
        assert_eq!(
            leader
                .get(&format!("/api/v1/reviews/{}", sibling_review.id))
                .await
                .status,
            404
        );
        assert_eq!(
            referent
                .get(&format!("/api/v1/reviews?ej={SIBLING_EJ}"))
                .await
                .json()["total"],
            1
        );

        // The pages: the form with its errors, then the road map.
        let r = referent
            .post_form(
                "/revues",
                &[
                    ("setting", "ej"),
                    ("ej", OWN_EJ),
                    ("held_on", "demain"),
                    ("participants", "A"),
                ],
            )
            .await;
        assert_eq!(r.status, 422);
        assert!(r.text.contains("jj/mm/aaaa ou aaaa-mm-jj"), "{}", r.text);
        let r = referent
            .post_form(
                &format!("/revues/{id}/actions"),
                &[
                    ("title", ""),
                    ("owner", "X"),
                    ("due_on", "30/06/2027"),
                    ("status", "planned"),
                ],
            )
            .await;
        assert_eq!(r.status, 422);
        assert!(
            r.text.contains("L'action n'a pas été ajoutée"),
            "{}",
            r.text
        );
        let r = referent
            .post_form(
                &format!("/revues/{id}/actions"),
                &[
                    ("title", "Former les équipes"),
                    ("owner", "DRH"),
                    ("due_on", "31/12/2027"),
                    ("status", "planned"),
                    ("engagements", e1.as_str()),
                ],
            )
            .await;
        assert_eq!(r.status, 303, "{}", r.text);

        // The review pack prints the road map of the contract.
        let pack = leader
            .get(&format!(
                "/api/v1/contracts/{}/review-pack.pdf",
                contract.id
            ))
            .await;
        assert_eq!(pack.status, 200);
        let text = pdf_text(&pack.bytes);
        assert!(text.contains("Dossier de revue"), "{text}");
        assert!(text.contains("Former les équipes"), "{text}");
        assert!(text.contains("en cours"), "{text}");
        assert!(
            text.contains("Aucune campagne n'a encore porté sur ce contrat"),
            "{text}"
        );
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_review_during_an_avenant_serves_the_engagements_in_force() {
    crate::on_each_backend!(|app| {
        let sys = AuditActor::system();
        let catalogue = shipped("occitanie-2025-2029");
        app.store()
            .import_catalogue(&sys, &catalogue, true)
            .await
            .expect("catalogue");
        let contract =
            crate::support::signed_contract(app.store(), OWN_EJ, &catalogue.actions[0].code).await;
        let signed: Vec<String> = contract
            .content
            .engagements
            .iter()
            .map(|e| format!("{}:{}", contract.id, e.key))
            .collect();
        // An avenant whose draft adds an engagement, not signed yet.
        crate::support::avenant_draft(app.store(), contract.id, None, |mut draft| {
            let mut extra = draft.engagements[0].clone();
            extra.key = "E-AVENANT".into();
            draft.engagements.push(extra);
            draft
        })
        .await;

        let mut referent = app.signed_in("ars-referent").await;
        let r = referent
            .json(
                Method::POST,
                "/api/v1/reviews",
                Some(
                    json!({"setting": "ej", "ej": OWN_EJ, "held_on": "12/03/2027",
                    "participants": "Dr Martin, ARS"}),
                ),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
        let id = r.json()["id"].as_i64().expect("id");
        let detail = referent.get(&format!("/api/v1/reviews/{id}")).await.json();
        let offered: Vec<&str> = detail["engagements"]
            .as_array()
            .expect("engagements")
            .iter()
            .filter_map(|e| e["code"].as_str())
            .collect();
        assert_eq!(offered, signed, "{detail}");
        // The draft's engagement is not one an action may serve yet.
        let r = referent
            .json(
                Method::POST,
                &format!("/api/v1/reviews/{id}/actions"),
                Some(
                    json!({"title": "Préparer le nouvel engagement", "owner": "Direction",
                    "due_on": "30/06/2027",
                    "engagements": [format!("{}:E-AVENANT", contract.id)]}),
                ),
            )
            .await;
        assert_eq!(r.status, 422, "{}", r.text);
        assert_eq!(r.json()["fields"][0]["field"], "engagements");
        // Nor is it offered on the page.
        let page = referent.get(&format!("/revues/{id}")).await;
        assert_eq!(page.status, 200);
        assert!(
            !page.text.contains("E-AVENANT"),
            "draft offered on the page"
        );
        assert!(page.text.contains(&signed[0]), "{}", page.text);
    });
}
