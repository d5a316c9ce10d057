//! Security behaviour: CSRF, cookie flags, throttling, scoping of tokens, disabled accounts.

use reqwest::{Method, StatusCode};

use crate::on_each_backend;
use crate::support::{FOREIGN_EJ, OWN_EJ, PASSWORD};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_form_without_or_with_a_wrong_csrf_token_is_refused() {
    on_each_backend!(|app| {
        let mut agent = app.signed_in("ars-admin").await;
        agent.send_csrf = false;
        let missing = agent
            .post_form("/mon-compte/jetons", &[("name", "sans jeton csrf")])
            .await;
        assert_eq!(missing.status, StatusCode::FORBIDDEN);
        assert!(missing.text.contains("jeton CSRF"), "{}", missing.text);
        let wrong = agent
            .post_form(
                "/mon-compte/jetons",
                &[("name", "x"), ("csrf_token", "0000")],
            )
            .await;
        assert_eq!(wrong.status, StatusCode::FORBIDDEN);
        let api = agent
            .json(
                Method::POST,
                "/api/v1/tokens",
                Some(serde_json::json!({"name": "x"})),
            )
            .await;
        assert_eq!(api.status, StatusCode::FORBIDDEN);
        assert_eq!(api.json()["code"], "csrf");
        // Nothing was created by the refused requests.
        assert!(
            app.store()
                .list_tokens(app.user("ars-admin").id)
                .await
                .expect("tokens")
                .is_empty()
        );
        // The same form with the token goes through.
        agent.send_csrf = true;
        let ok = agent
            .post_form("/mon-compte/jetons", &[("name", "avec jeton csrf")])
            .await;
        assert_eq!(ok.status, StatusCode::OK);
        assert_eq!(
            app.store()
                .list_tokens(app.user("ars-admin").id)
                .await
                .expect("tokens")
                .len(),
            1
        );
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_session_cookie_is_http_only_secure_and_same_site() {
    on_each_backend!(|app| {
        let mut agent = crate::support::Agent::new(&app.base);
        let page = agent.get("/connexion").await;
        let cookie = page
            .headers
            .get("set-cookie")
            .and_then(|v| v.to_str().ok())
            .expect("a session cookie is set")
            .to_owned();
        assert!(cookie.starts_with("cpom_session="), "{cookie}");
        for flag in ["HttpOnly", "Secure", "SameSite=Lax", "Path=/"] {
            assert!(cookie.contains(flag), "missing {flag} in {cookie}");
        }
        assert_eq!(
            page.headers
                .get("x-frame-options")
                .and_then(|v| v.to_str().ok()),
            Some("DENY")
        );
        assert!(page.headers.get("content-security-policy").is_some());
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_is_throttled_after_five_failures_even_with_the_right_password() {
    on_each_backend!(|app| {
        let mut agent = app.anonymous().await;
        let email = app.user("observer").email.to_string();
        for _ in 0..5 {
            let r = agent
                .post_form(
                    "/connexion",
                    &[("email", &email), ("password", "mauvais mot de passe")],
                )
                .await;
            assert_eq!(r.status, StatusCode::UNAUTHORIZED);
            assert!(r.text.contains("Identifiants incorrects"));
        }
        let blocked = agent
            .post_form("/connexion", &[("email", &email), ("password", PASSWORD)])
            .await;
        assert_eq!(blocked.status, StatusCode::TOO_MANY_REQUESTS);
        assert!(
            blocked.text.contains("Trop de tentatives"),
            "{}",
            blocked.text
        );
        // Another account from the same address is not blocked.
        let other = app.user("ars-referent").email.to_string();
        let ok = agent
            .post_form("/connexion", &[("email", &other), ("password", PASSWORD)])
            .await;
        assert_eq!(ok.status, StatusCode::SEE_OTHER);
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_establishment_token_cannot_read_another_legal_entity() {
    on_each_backend!(|app| {
        let mut api = app.with_token("establishment-leader").await;
        let me = api.json(Method::GET, "/api/v1/me", None).await;
        assert_eq!(me.status, StatusCode::OK);
        assert_eq!(me.json()["authenticated_by"], "token");
        let foreign = app.user("foreign-target").id;
        let r = api
            .json(Method::GET, &format!("/api/v1/users/{foreign}"), None)
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        let list = api
            .json(Method::GET, "/api/v1/users?per_page=200", None)
            .await
            .json();
        let ejs: Vec<&str> = list["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|u| u["ej"].as_str().unwrap_or(""))
            .collect();
        assert!(!ejs.is_empty());
        assert!(ejs.iter().all(|e| *e == OWN_EJ), "leader saw {ejs:?}");
        assert!(!ejs.contains(&FOREIGN_EJ));
        // Bearer requests need no CSRF token, and a wrong token is refused.
        let mut wrong = crate::support::Agent::new(&app.base);
        wrong.token = Some("cpom_0000".into());
        assert_eq!(
            wrong.json(Method::GET, "/api/v1/me", None).await.status,
            StatusCode::UNAUTHORIZED
        );
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_disabled_account_is_locked_out_of_sessions_tokens_and_sign_in() {
    on_each_backend!(|app| {
        let mut browser = app.signed_in("establishment-contributor").await;
        let mut api = app.with_token("establishment-contributor").await;
        assert_eq!(browser.get("/").await.status, StatusCode::OK);
        let mut admin = app.signed_in("ars-admin").await;
        let target = app.user("establishment-contributor");
        let r = admin
            .post_form(
                &format!("/admin/utilisateurs/{}/activation", target.id),
                &[
                    ("active", "false"),
                    ("version", &target.version.to_string()),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        let page = browser.get("/").await;
        assert_eq!(page.status, StatusCode::SEE_OTHER);
        assert_eq!(page.location(), "/connexion");
        assert_eq!(
            api.json(Method::GET, "/api/v1/me", None).await.status,
            StatusCode::UNAUTHORIZED
        );
        let mut again = app.anonymous().await;
        let r = again
            .post_form(
                "/connexion",
                &[("email", target.email.as_str()), ("password", PASSWORD)],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_serves_its_own_account_until_it_is_revoked() {
    on_each_backend!(|app| {
        let leader = app.user("establishment-leader").clone();
        let (token, secret) = app
            .store()
            .create_token(&cpom_store::AuditActor::system(), &leader, "script")
            .await
            .expect("token");
        let mut other = app.with_token("ars-referent").await;
        let mut api = app.anonymous().await;
        api.token = Some(secret);
        let me = api.json(Method::GET, "/api/v1/me", None).await;
        assert_eq!(me.status, StatusCode::OK, "{}", me.text);
        assert_eq!(me.json()["user"]["email"], leader.email.as_str());
        app.store()
            .revoke_token(&cpom_store::AuditActor::system(), &leader, token.id)
            .await
            .expect("revoke");
        assert_eq!(
            api.json(Method::GET, "/api/v1/me", None).await.status,
            StatusCode::UNAUTHORIZED
        );
        // Another account's token is untouched.
        let me = other.json(Method::GET, "/api/v1/me", None).await;
        assert_eq!(
            me.json()["user"]["email"],
            app.user("ars-referent").email.as_str()
        );
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signing_out_ends_the_session_on_the_server() {
    on_each_backend!(|app| {
        let mut browser = app.signed_in("observer").await;
        let old_cookie = browser.cookie.clone();
        let r = browser.post_form("/deconnexion", &[]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        // Replaying the old cookie does not bring the session back.
        browser.cookie = old_cookie;
        assert_eq!(browser.get("/").await.status, StatusCode::SEE_OTHER);
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_in_use_is_renewed_and_one_signed_out_stays_ended() {
    on_each_backend!(|app| {
        let mut browser = app.signed_in("observer").await;
        let cookie = browser.cookie.clone().expect("signed in");
        let key = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(cookie.as_bytes()));
        let now = || time::OffsetDateTime::now_utc().unix_timestamp();
        let renews = |r: &crate::support::Resp| {
            r.headers
                .get_all("set-cookie")
                .iter()
                .any(|v| v.to_str().unwrap_or("").starts_with("cpom_session="))
        };
        // Renewed by the first page after signing in; the next pages, within minutes, do not
        // write it again.
        for _ in 0..2 {
            let r = browser.get("/").await;
            assert_eq!(r.status, StatusCode::OK);
            assert!(!renews(&r), "{:?}", r.headers);
        }
        // Renewed ten minutes ago and about to expire: the next page pushes its expiry back
        // by the idle time (8 hours) and sends the cookie again.
        let mut row = app
            .store()
            .load_session(&key, now())
            .await
            .expect("load")
            .expect("session");
        let mut data: serde_json::Value = serde_json::from_str(&row.data).expect("json");
        data["renewed"] = serde_json::json!(now() - 600);
        row.data = data.to_string();
        row.expires_at = now() + 60;
        app.store().save_session(&key, &row).await.expect("age");
        let r = browser.get("/").await;
        assert_eq!(r.status, StatusCode::OK);
        assert!(renews(&r), "{:?}", r.headers);
        let renewed = app
            .store()
            .load_session(&key, now())
            .await
            .expect("load")
            .expect("session");
        assert!(
            renewed.expires_at > now() + 7 * 3600,
            "{}",
            renewed.expires_at
        );
        // Signed out: a request that had read the session before cannot save it back.
        let r = browser.post_form("/deconnexion", &[]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        app.store()
            .save_session(&key, &renewed)
            .await
            .expect("save");
        assert!(
            app.store()
                .load_session(&key, now())
                .await
                .expect("load")
                .is_none()
        );
        browser.cookie = Some(cookie);
        assert_eq!(browser.get("/").await.status, StatusCode::SEE_OTHER);
    });
}
