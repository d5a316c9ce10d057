//! A contract's calendar over HTTP, on SQLite and PostgreSQL: steps derived from the period
//! and the region's rules, recorded by the agency once the contract is in force, the penalty
//! procedure in order within the regional cap, and the negotiator's due steps.

use crate::catalogues::shipped;
use crate::contracts::step;
use crate::support::OWN_EJ;
use cpom_store::AuditActor;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_contract_in_force_follows_its_calendar_and_the_penalty_procedure() {
    crate::on_each_backend!(|app| {
        app.store()
            .import_catalogue(&AuditActor::system(), &shipped("occitanie-2025-2029"), true)
            .await
            .expect("catalogue");
        // The region's rules: follow-ups due in March, penalties capped at 10 000 €.
        let mut admin = app.signed_in("ars-admin").await;
        let mut template = admin
            .get("/api/v1/regions/76/contract-template")
            .await
            .json();
        template["follow_up_month"] = serde_json::json!(3);
        template["penalty_cap"] = serde_json::json!(10000);
        let r = admin
            .json(
                reqwest::Method::PUT,
                "/api/v1/regions/76/contract-template",
                Some(template),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);

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
        let event = |body: serde_json::Value| {
            let path = format!("/api/v1/contracts/{id}/events");
            (path, body)
        };
        // The negotiator: an agent of the region's agency, told of it; the list filters by
        // negotiator and by GHT.
        let rv = r.json()["row_version"].as_i64().expect("rv");
        let observer_id = app.user("observer").id;
        let r = referent
            .json(
                reqwest::Method::PUT,
                &format!("/api/v1/contracts/{id}/negotiator"),
                Some(serde_json::json!({"row_version": rv, "negotiator_id": observer_id})),
            )
            .await;
        assert_eq!(r.status, 422, "{}", r.text);
        assert!(
            r.text.contains("agent actif de l'ARS de la région"),
            "{}",
            r.text
        );
        let admin_id = app.user("ars-admin").id;
        let r = referent
            .json(
                reqwest::Method::PUT,
                &format!("/api/v1/contracts/{id}/negotiator"),
                Some(serde_json::json!({"row_version": rv, "negotiator_id": admin_id})),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.json()["negotiator_id"], admin_id);
        let told = admin.get("/api/v1/notifications").await.json();
        assert!(
            told["items"][0]["message"]
                .as_str()
                .unwrap_or_default()
                .contains("vous a confié la négociation"),
            "{told}"
        );
        let mine = referent
            .get(&format!("/api/v1/contracts?negotiator={admin_id}"))
            .await
            .json();
        assert_eq!(mine["total"], 1);
        let none = referent
            .get(&format!(
                "/api/v1/contracts?negotiator={}",
                app.user("ars-referent").id
            ))
            .await
            .json();
        assert_eq!(none["total"], 0);
        let list = referent.get("/contrats?negotiator=&ght=").await;
        assert_eq!(list.status, 200, "empty filters are ignored");
        let sys = AuditActor::system();
        let region = cpom_domain::RegionCode::parse("76").expect("region");
        let ght = app
            .store()
            .create_ght(&sys, "GHT-T1", "GHT de test", &region)
            .await
            .expect("ght");
        app.store()
            .add_ght_member(
                &sys,
                "GHT-T1",
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
        assert_eq!(
            referent.get("/api/v1/contracts?ght=GHT-T1").await.json()["total"],
            1
        );
        assert_eq!(
            referent.get("/api/v1/contracts?ght=GHT-T2").await.json()["total"],
            0
        );
        let page = referent.get("/contrats").await;
        assert!(page.text.contains("GHT-T1 — GHT de test"), "the GHT filter");

        // Planned only before the signature; nothing may be recorded yet.
        let cal = referent
            .get(&format!("/api/v1/contracts/{id}/calendar"))
            .await
            .json();
        assert!(
            cal["steps"]
                .as_array()
                .expect("steps")
                .iter()
                .all(|s| s["status"] == "later")
        );
        let (path, body) = event(serde_json::json!({"kind": "mid_term_done", "on": "01/06/2026"}));
        let r = referent
            .json(reqwest::Method::POST, &path, Some(body))
            .await;
        assert_eq!(r.status, 409, "{}", r.text);

        let mut leader = app.signed_in("establishment-leader").await;
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
                    {"role": "dg_ars", "name": "Didier Jaffre", "function": "Directeur général", "date": "2025-02-01"},
                    {"role": "legal_representative", "name": "Anne Ferrer", "function": "Directrice générale", "date": "2025-02-01"}
                ]})),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);

        // The establishment was told of each move and of the signature; the agency of the
        // establishment's move; nobody of their own.
        let told = leader.get("/api/v1/notifications").await.json();
        let messages: Vec<&str> = told["items"]
            .as_array()
            .expect("items")
            .iter()
            .filter_map(|n| n["message"].as_str())
            .collect();
        assert!(
            messages.iter().any(|m| m.contains("est en vigueur")),
            "{messages:?}"
        );
        assert!(
            messages.iter().any(|m| m.contains("à « en négociation »")),
            "{messages:?}"
        );
        assert!(
            !messages.iter().any(|m| m.contains("à « prêt à signer »")),
            "own move: {messages:?}"
        );
        assert_eq!(told["unread"], told["total"]);
        // The header of every page and a token's API count the same notifications: the
        // account's own unread ones, read with the account.
        let unread = told["unread"].as_u64().expect("unread");
        assert!(unread >= 2, "{told}");
        let home = leader.get("/").await;
        assert!(
            home.text.contains(&format!("Notifications ({unread}<")),
            "the count in the header: {}",
            home.text
        );
        let by_token = app
            .with_token("establishment-leader")
            .await
            .get("/api/v1/notifications")
            .await
            .json();
        assert_eq!(by_token["unread"], unread, "{by_token}");
        // The contract's negotiator is told (not the other agents of the region).
        let agency = admin.get("/api/v1/notifications?unread=true").await.json();
        let others = referent.get("/api/v1/notifications").await.json();
        assert_eq!(others["total"], 0, "{others}");
        assert_eq!(others["unread"], 0, "another account's are not counted");
        assert!(
            !referent.get("/").await.text.contains("Notifications ("),
            "no count in the header of an account with none"
        );
        let first = agency["items"]
            .as_array()
            .expect("items")
            .iter()
            .find(|n| {
                n["message"]
                    .as_str()
                    .is_some_and(|m| m.contains("à « prêt à signer »"))
            })
            .unwrap_or_else(|| panic!("the establishment's move: {agency}"))
            .clone();
        assert_eq!(first["link"], format!("/contrats/{id}"));
        // Opening it marks it read and leads to the contract; another's is not found.
        let nid = first["id"].as_i64().expect("id");
        let r = admin.get(&format!("/notifications/{nid}")).await;
        assert_eq!(
            (r.status.as_u16(), r.location()),
            (303, format!("/contrats/{id}").as_str())
        );
        assert_eq!(
            leader.get(&format!("/notifications/{nid}")).await.status,
            404
        );
        let page = leader.get("/notifications").await;
        assert!(page.text.contains("est en vigueur"), "{}", page.text);
        assert!(
            page.text.contains("Notifications ("),
            "the count in the header"
        );
        let r = leader
            .json(
                reqwest::Method::POST,
                "/api/v1/notifications/read",
                Some(serde_json::json!({})),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(
            leader.get("/api/v1/notifications").await.json()["unread"],
            0
        );
        assert!(
            !leader.get("/").await.text.contains("Notifications ("),
            "the header follows the reading"
        );

        // In force: the 2025 follow-up was due on 31/03/2026 and is overdue.
        let cal = leader
            .get(&format!("/api/v1/contracts/{id}/calendar"))
            .await
            .json();
        assert_eq!(cal["can_record"], false);
        let follow = cal["steps"]
            .as_array()
            .expect("steps")
            .iter()
            .find(|s| s["code"] == "follow_up_2025")
            .expect("2025")
            .clone();
        assert_eq!(follow["due"], "2026-03-31");
        assert_eq!(follow["status"], "overdue");
        // On the negotiator's list, not on another agent's.
        assert_eq!(
            referent.get("/api/v1/calendar").await.json(),
            serde_json::json!([])
        );
        let due = admin.get("/api/v1/calendar").await.json();
        assert!(
            due.as_array()
                .expect("due")
                .iter()
                .any(|d| d["contract_id"] == id && d["step"]["code"] == "follow_up_2025"),
            "{due}"
        );
        let home = admin.get("/").await;
        assert!(
            home.text.contains("Échéances de vos contrats"),
            "{}",
            home.text
        );
        assert!(home.text.contains("Suivi annuel 2025"));
        assert_eq!(
            leader.get("/api/v1/calendar").await.json(),
            serde_json::json!([]),
            "establishments have no negotiator's list"
        );

        // The follow-up held: done. The establishment may not record.
        let (path, body) = event(
            serde_json::json!({"kind": "follow_up_done", "on": "15/03/2026", "year": "2025"}),
        );
        let r = leader
            .json(reqwest::Method::POST, &path, Some(body.clone()))
            .await;
        assert_eq!(r.status, 403, "{}", r.text);
        let r = referent
            .json(reqwest::Method::POST, &path, Some(body))
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
        let done = r.json()["steps"]
            .as_array()
            .expect("steps")
            .iter()
            .find(|s| s["code"] == "follow_up_2025")
            .expect("2025")
            .clone();
        assert_eq!(
            (done["status"].as_str(), done["done_on"].as_str()),
            (Some("done"), Some("2026-03-15"))
        );

        // The penalty procedure, in order, within the cap.
        let events_path = format!("/api/v1/contracts/{id}/events");
        let r = referent
            .json(reqwest::Method::POST, &events_path, Some(serde_json::json!({"kind": "penalty_decision", "on": "01/10/2026", "amount": "5000", "note": "x"})))
            .await;
        assert_eq!(r.status, 422, "{}", r.text);
        assert!(
            r.text.contains("commencez par la mise en demeure"),
            "{}",
            r.text
        );
        let r = referent
            .json(
                reqwest::Method::POST,
                &events_path,
                Some(serde_json::json!({"kind": "penalty_notice", "on": "01/09/2026"})),
            )
            .await;
        assert_eq!(r.status, 422, "{}", r.text);
        assert!(r.text.contains("motivée"), "{}", r.text);
        let r = referent
            .json(
                reqwest::Method::POST,
                &events_path,
                Some(
                    serde_json::json!({"kind": "penalty_notice", "on": "01/09/2026",
            "note": "Engagement E1 non exécuté en 2025"}),
                ),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
        let r = referent
            .json(
                reqwest::Method::POST,
                &events_path,
                Some(
                    serde_json::json!({"kind": "penalty_decision", "on": "15/10/2026",
            "amount": "20 000", "note": "Pénalité"}),
                ),
            )
            .await;
        assert_eq!(r.status, 422, "{}", r.text);
        assert!(r.text.contains("plafond régional"), "{}", r.text);
        let r = referent
            .json(
                reqwest::Method::POST,
                &events_path,
                Some(
                    serde_json::json!({"kind": "penalty_decision", "on": "15/10/2026",
            "amount": "5 000", "note": "Pénalité de 5 000 €"}),
                ),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
        let steps = r.json()["steps"].clone();
        let payment = steps
            .as_array()
            .expect("steps")
            .iter()
            .find(|s| s["code"] == "penalty_payment")
            .expect("payment")
            .clone();
        assert_eq!(payment["due"], "2026-11-15");
        let page = referent.get(&format!("/contrats/{id}")).await;
        assert!(
            page.text.contains("Décision de pénalité : 5"),
            "{}",
            page.text
        );
        assert!(page.text.contains("Paiement de la pénalité"));
    });
}
