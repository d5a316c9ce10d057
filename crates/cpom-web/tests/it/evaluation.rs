//! Verdicts over HTTP, on SQLite and PostgreSQL: computed from the contract's targets by the
//! target engine once a value is validated, recomputed at once when a value of another year
//! changes (an increment needs last year's value), overridden by the agency with a
//! justification, and following the targets of a signed avenant.

use cpom_domain::catalogue::{Comparison, IndicatorKind, TargetRule, TargetYear};
use cpom_domain::contract::{ChosenIndicator, ContractContent, ContractTarget, Engagement};
use cpom_store::AuditActor;

use crate::catalogues::shipped;
use crate::support::OWN_EJ;

fn target(year: i32, rule: TargetRule) -> ContractTarget {
    ContractTarget {
        year: TargetYear::Year(year),
        text: rule.to_string(),
        rule,
        source: "négocié".into(),
    }
}

fn content(increment_2027: f64) -> ContractContent {
    ContractContent {
        engagements: vec![Engagement {
            key: "E1".into(),
            objective: "O1".into(),
            objective_title: "Objectif".into(),
            action: None,
            title: "Séjours en ambulatoire".into(),
            title_locked: false,
            mandatory: false,
            indicator: Some(ChosenIndicator {
                code: "IND-AMBU".into(),
                title: "Séjours en ambulatoire".into(),
                kind: IndicatorKind::Count,
                unit: None,
            }),
            sites: vec![],
            targets: vec![
                target(
                    2026,
                    TargetRule::Threshold {
                        op: Comparison::AtLeast,
                        value: 10.0,
                    },
                ),
                target(
                    2027,
                    TargetRule::Increment {
                        delta: increment_2027,
                    },
                ),
            ],
            new_authorisation: false,
        }],
        ..ContractContent::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verdicts_follow_values_overrides_and_avenants() {
    crate::on_each_backend!(|app| {
        let sys = AuditActor::system();
        app.store()
            .import_catalogue(&sys, &shipped("occitanie-2025-2029"), true)
            .await
            .expect("catalogue");
        let contract =
            crate::support::signed_contract_with(app.store(), OWN_EJ, content(2.0)).await;
        let mut declarations = vec![];
        let mut campaigns = vec![];
        for year in [2026, 2027] {
            let (campaign, _) = crate::support::open_region_campaign(app.store(), year).await;
            let d = app
                .store()
                .list_declarations(
                    campaign.id,
                    &cpom_domain::ScopeFilter::All,
                    &Default::default(),
                    1,
                    1,
                )
                .await
                .expect("declarations")
                .items[0]
                .id;
            declarations.push(d);
            campaigns.push(campaign.id);
        }
        let (d2026, d2027) = (declarations[0], declarations[1]);
        let mut leader = app.signed_in("establishment-leader").await;
        let mut referent = app.signed_in("ars-referent").await;
        async fn act(
            agent: &mut crate::support::Agent,
            id: i64,
            body: serde_json::Value,
        ) -> crate::support::Resp {
            let rv = agent
                .get(&format!("/api/v1/declarations/{id}"))
                .await
                .json()["row_version"]
                .as_i64()
                .expect("rv");
            let mut body = body;
            body["row_version"] = serde_json::json!(rv);
            agent
                .json(
                    reqwest::Method::POST,
                    &format!("/api/v1/declarations/{id}/steps"),
                    Some(body),
                )
                .await
        }
        let verdict = |r: &crate::support::Resp| {
            (
                r.json()["verdict"].as_str().unwrap_or_default().to_owned(),
                r.json()["verdict_reason"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
            )
        };
        // Submitted: nothing is judged before the agency validates.
        let r = act(
            &mut leader,
            d2026,
            serde_json::json!({"action": "submit", "value": "12"}),
        )
        .await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(verdict(&r).0, "non_renseigne");
        assert!(
            verdict(&r).1.contains("en attente de validation"),
            "{}",
            r.text
        );
        let r = act(
            &mut referent,
            d2026,
            serde_json::json!({"action": "validate"}),
        )
        .await;
        assert_eq!(
            verdict(&r),
            ("atteint".to_owned(), "12 ≥ cible 10".to_owned())
        );
        // 2027: +1 where +2 was expected.
        act(
            &mut leader,
            d2027,
            serde_json::json!({"action": "submit", "value": "13"}),
        )
        .await;
        let r = act(
            &mut referent,
            d2027,
            serde_json::json!({"action": "validate"}),
        )
        .await;
        assert_eq!(verdict(&r).0, "non_atteint", "{}", r.text);
        // 2026 reopened: 2027 has no N-1 value any more, at once.
        let r = act(
            &mut referent,
            d2026,
            serde_json::json!({"action": "reopen", "reason": "Erreur de saisie signalée"}),
        )
        .await;
        assert_eq!(r.json()["state"], "returned", "{}", r.text);
        let r = referent.get(&format!("/api/v1/declarations/{d2027}")).await;
        assert_eq!(verdict(&r).0, "non_renseigne");
        assert!(verdict(&r).1.contains("2026 (année N-1)"), "{}", r.text);
        // Corrected to 11 and validated: +2 in 2027, met.
        act(
            &mut leader,
            d2026,
            serde_json::json!({"action": "submit", "value": "11"}),
        )
        .await;
        act(
            &mut referent,
            d2026,
            serde_json::json!({"action": "validate"}),
        )
        .await;
        let r = referent.get(&format!("/api/v1/declarations/{d2027}")).await;
        assert_eq!(verdict(&r).0, "atteint", "{}", r.text);

        // The agency's override: a justification is required; the establishment may not.
        let r = act(
            &mut referent,
            d2027,
            serde_json::json!({"action": "override", "verdict": "partiellement_atteint", "reason": " "}),
        )
        .await;
        assert_eq!(r.status, 422, "{}", r.text);
        let r = act(
            &mut leader,
            d2027,
            serde_json::json!({"action": "override", "verdict": "atteint", "reason": "moi"}),
        )
        .await;
        assert_eq!(r.status, 403, "{}", r.text);
        let r = act(
            &mut referent,
            d2027,
            serde_json::json!({"action": "override", "verdict": "partiellement_atteint",
                "reason": "Hausse due à un transfert d'activité, hors effort propre."}),
        )
        .await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(verdict(&r).0, "partiellement_atteint");
        assert_eq!(r.json()["override"]["verdict"], "partiellement_atteint");
        let history = r.json()["history"].to_string();
        assert!(history.contains("appréciation de l'ARS"), "{history}");
        let r = act(
            &mut referent,
            d2027,
            serde_json::json!({"action": "clear_override"}),
        )
        .await;
        assert_eq!(verdict(&r).0, "atteint", "{}", r.text);

        // An avenant raises the 2027 target to +5: the verdict follows at signature.
        let c = crate::support::avenant_draft(
            app.store(),
            contract.id,
            Some("cible 2027 relevée"),
            |_| content(5.0),
        )
        .await;
        let mut rv = c.row_version;
        for to in [
            cpom_domain::contract::ContractState::Negotiation,
            cpom_domain::contract::ContractState::ReadyToSign,
        ] {
            rv = app
                .store()
                .move_contract(&sys, c.id, rv, to, None, None)
                .await
                .expect("move")
                .row_version;
        }
        let r = referent
            .json(
                reqwest::Method::POST,
                &format!("/api/v1/contracts/{}/signature", c.id),
                Some(serde_json::json!({"row_version": rv, "signatories": [
                    {"role": "dg_ars", "name": "Directrice générale", "function": "DG ARS", "date": "27/11/2026"},
                    {"role": "legal_representative", "name": "Directeur", "function": "Directeur", "date": "27/11/2026"}
                ]})),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        let r = referent.get(&format!("/api/v1/declarations/{d2027}")).await;
        assert_eq!(verdict(&r).0, "non_atteint", "{}", r.text);
        assert!(verdict(&r).1.contains("+5"), "{}", r.text);

        // The scorecard, by hand: 2026 met, 2027 not met → 50 %.
        let card = leader
            .get(&format!("/api/v1/contracts/{}/scorecard", contract.id))
            .await;
        assert_eq!(card.status, 200, "{}", card.text);
        let card = card.json();
        assert_eq!(card["years"], serde_json::json!([2026, 2027]));
        assert_eq!(card["rows"].as_array().map(Vec::len), Some(1));
        assert_eq!(card["rows"][0]["cells"][0]["verdict"], "atteint");
        assert_eq!(card["rows"][0]["cells"][1]["verdict"], "non_atteint");
        assert_eq!(card["tally"]["evaluated"], 2);
        assert_eq!(card["tally"]["rate"], 50.0);
        assert_eq!(card["by_year"][0][1]["rate"], 100.0);
        let page = leader
            .get(&format!("/contrats/{}/bilan", contract.id))
            .await;
        assert_eq!(page.status, 200);
        assert!(page.text.contains("50 % (2 évalué(s))"), "{}", page.text);

        // The establishment belongs to a GHT: the dashboard's GHT breakdown and the queue's
        // GHT filter follow its membership.
        let region = cpom_domain::RegionCode::parse("76").expect("region");
        let ght = app
            .store()
            .create_ght(&sys, "GHT-EVAL", "GHT de l'évaluation", &region)
            .await
            .expect("ght");
        app.store()
            .add_ght_member(
                &sys,
                "GHT-EVAL",
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
        // The dashboards, live: 2026 met, 2027 not met, both validated.
        for (campaign, rate) in [(campaigns[0], 100.0), (campaigns[1], 0.0)] {
            let d = referent
                .get(&format!("/api/v1/campaigns/{campaign}/dashboard"))
                .await
                .json();
            assert_eq!(d["completion"]["validated"], 1, "{d}");
            assert_eq!(d["completion"]["rate"], 100.0);
            assert_eq!(d["attainment"]["rate"], rate, "{d}");
            assert_eq!(d["attainment_by_indicator"][0]["key"], "IND-AMBU");
            assert_eq!(d["by_ght"][0]["label"], "GHT de l'évaluation", "{d}");
            assert_eq!(d["by_ght"][0]["validated"], 1);
            assert_eq!(d["attainment_by_ght"][0]["key"], "GHT-EVAL");
            assert_eq!(d["attainment_by_ght"][0]["tally"]["rate"], rate);
        }
        for (ght, total) in [("GHT-EVAL", 1), ("GHT-AUTRE", 0)] {
            let q = referent
                .get(&format!(
                    "/api/v1/campaigns/{}/declarations?ght={ght}",
                    campaigns[0]
                ))
                .await;
            assert_eq!(q.status, 200, "{}", q.text);
            assert_eq!(q.json()["total"], total, "{ght}");
        }
        // A change shows at once (the counts kept in memory follow the declarations).
        let r = act(
            &mut referent,
            d2027,
            serde_json::json!({"action": "override", "verdict": "atteint",
                "reason": "Objectif atteint en tenant compte du transfert d'activité."}),
        )
        .await;
        assert_eq!(r.status, 200, "{}", r.text);
        let d = referent
            .get(&format!("/api/v1/campaigns/{}/dashboard", campaigns[1]))
            .await
            .json();
        assert_eq!(d["attainment"]["rate"], 100.0, "{d}");
        act(
            &mut referent,
            d2027,
            serde_json::json!({"action": "clear_override"}),
        )
        .await;
        let page = referent
            .get(&format!("/campagnes/{}/tableau-de-bord", campaigns[1]))
            .await;
        assert_eq!(page.status, 200);
        assert!(page.text.contains("<svg"), "{}", page.text);
        assert!(page.text.contains("Atteinte par indicateur (tableau)"));
        assert!(page.text.contains("/campagnes/"), "drill-down links");
        // The export: every declaration with its verdict, then the dashboard's tables.
        let x = referent
            .get(&format!("/api/v1/campaigns/{}/export.xlsx", campaigns[1]))
            .await;
        assert_eq!(x.status, 200);
        let mut wb: calamine::Xlsx<_> =
            calamine::open_workbook_from_rs(std::io::Cursor::new(x.bytes)).expect("xlsx");
        use calamine::Reader;
        assert_eq!(
            wb.sheet_names(),
            [
                "Déclarations",
                "Avancement par département",
                "Avancement par GHT",
                "Avancement par établissement",
                "Atteinte par indicateur",
                "Atteinte par tranche",
                "Atteinte par département",
                "Atteinte par GHT"
            ]
        );
        let sheet = wb.worksheet_range("Déclarations").expect("sheet");
        let row: Vec<String> = sheet
            .rows()
            .nth(1)
            .expect("row")
            .iter()
            .map(|c| c.to_string())
            .collect();
        assert_eq!(row[0], OWN_EJ);
        assert_eq!(row[10], "13", "the value as a number");
        assert_eq!(row[11], "non atteint");
        // The review pack: the scorecard by year, the trend 11 → 13, and no comparison
        // (the establishment's size band is unknown).
        let pack = leader
            .get(&format!("/contrats/{}/dossier-revue.pdf", contract.id))
            .await;
        assert_eq!(pack.status, 200);
        let text = crate::reviews::pdf_text(&pack.bytes);
        assert!(text.contains("1. Bilan du contrat"), "{text}");
        assert!(text.contains("+18,2"), "the trend 11 → 13: {text}");
        assert!(text.contains("non atteint"), "{text}");
        assert!(text.contains("pas de comparaison"), "{text}");
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_campaign_opened_during_an_avenant_asks_for_the_version_in_force() {
    crate::on_each_backend!(|app| {
        let sys = AuditActor::system();
        app.store()
            .import_catalogue(&sys, &shipped("occitanie-2025-2029"), true)
            .await
            .expect("catalogue");
        let contract =
            crate::support::signed_contract_with(app.store(), OWN_EJ, content(2.0)).await;
        // An avenant whose draft adds an engagement, not signed yet.
        crate::support::avenant_draft(
            app.store(),
            contract.id,
            Some("un engagement de plus"),
            |mut draft| {
                let mut extra = draft.engagements[0].clone();
                extra.key = "E2".into();
                if let Some(i) = extra.indicator.as_mut() {
                    i.code = "IND-NOUVEAU".into();
                }
                draft.engagements.push(extra);
                draft
            },
        )
        .await;
        let (campaign, count) = crate::support::open_region_campaign(app.store(), 2026).await;
        // Only the signed engagement is declared; its verdict reads the signed targets.
        assert_eq!(count, 1);
        let listed = app
            .store()
            .list_declarations(
                campaign.id,
                &cpom_domain::ScopeFilter::All,
                &Default::default(),
                1,
                10,
            )
            .await
            .expect("declarations");
        let declared: Vec<(&str, &str)> = listed
            .items
            .iter()
            .map(|d| (d.engagement.as_str(), d.indicator.as_str()))
            .collect();
        assert_eq!(declared, [("E1", "IND-AMBU")]);
    });
}
