//! Test harness: a real cpom server on a fresh database (SQLite always, PostgreSQL when
//! `CPOM_TEST_POSTGRES_URL` is set), real HTTP, and ready-made accounts for every role.

use std::collections::HashMap;

use cpom_domain::{DisplayName, Email, FinessId, PlainPassword, RegionCode, Role};
use cpom_store::{AuditActor, NewUser, Store, User};
use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};

/// Password of every test account.
pub const PASSWORD: &str = "mot-de-passe-de-test";
/// Legal entity of the "own" establishment (Occitanie).
pub const OWN_EJ: &str = "340780477";
/// Another legal entity of the same region.
pub const SIBLING_EJ: &str = "310781406";
/// Largest evidence file accepted (as `cpom_web::campaigns::MAX_EVIDENCE`).
pub const EVIDENCE_LIMIT: usize = cpom_web::campaigns::MAX_EVIDENCE;
/// Legal entity of a foreign region (Auvergne-Rhône-Alpes).
pub const FOREIGN_EJ: &str = "690781810";

/// A backend to run a test on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The backends of this run: SQLite, plus PostgreSQL when `CPOM_TEST_POSTGRES_URL` is set.
pub fn backends() -> Vec<Backend> {
    let mut v = vec![Backend::Sqlite];
    if std::env::var("CPOM_TEST_POSTGRES_URL").is_ok_and(|u| !u.is_empty()) {
        v.push(Backend::Postgres);
    }
    v
}

/// Runs an async test body once per backend.
#[macro_export]
macro_rules! on_each_backend {
    (|$app:ident| $body:block) => {
        for backend in $crate::support::backends() {
            eprintln!("-- backend {backend:?}");
            let $app = $crate::support::TestApp::spawn(backend).await;
            $body
            $app.stop().await;
        }
    };
}

/// A fresh database and its data directory.
pub struct TestDb {
    pub store: Store,
    pub dir: tempfile::TempDir,
    /// Database URL (to connect a second server to the same database).
    pub url: String,
}

/// Creates a fresh, migrated database on `backend`.
pub async fn fresh_db(backend: Backend) -> TestDb {
    let dir = tempfile::tempdir().expect("temporary directory");
    let url = match backend {
        Backend::Sqlite => cpom_store::default_database_url(dir.path()),
        Backend::Postgres => {
            let admin = std::env::var("CPOM_TEST_POSTGRES_URL").expect("CPOM_TEST_POSTGRES_URL");
            let name = format!("cpom_t_{}", hex_id());
            cpom_store::create_postgres_database(&admin, &name)
                .await
                .expect("create test database")
        }
    };
    let store = Store::connect(&url, dir.path()).await.expect("connect");
    store.migrate().await.expect("migrate");
    TestDb { store, dir, url }
}

fn hex_id() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!(
        "{}_{}_{}",
        std::process::id(),
        nanos % 1_000_000_000_000,
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// A running cpom with accounts for every role.
pub struct TestApp {
    pub base: String,
    pub db: TestDb,
    pub users: HashMap<&'static str, User>,
    server: tokio::task::JoinHandle<()>,
}

/// Account keys of the fixtures.
pub const ROLES: [&str; 6] = [
    "national-admin",
    "ars-admin",
    "ars-referent",
    "establishment-leader",
    "establishment-contributor",
    "observer",
];

impl TestApp {
    /// Starts cpom on a fresh database of `backend` with the fixtures.
    pub async fn spawn(backend: Backend) -> TestApp {
        let db = fresh_db(backend).await;
        let store = db.store.clone();
        let sys = AuditActor::system();
        for (finess, name, region) in [
            (OWN_EJ, "CHU de Montpellier", "76"),
            (SIBLING_EJ, "CHU de Toulouse", "76"),
            (FOREIGN_EJ, "Hospices civils de Lyon", "84"),
        ] {
            store
                .upsert_legal_entity(
                    &sys,
                    &FinessId::parse(finess).expect("finess"),
                    name,
                    &RegionCode::parse(region).expect("region"),
                )
                .await
                .expect("legal entity");
        }
        let fixtures: [(&'static str, Role, Option<&str>, Option<&str>); 9] = [
            ("national-admin", Role::NationalAdmin, None, None),
            ("ars-admin", Role::ArsAdmin, Some("76"), None),
            ("ars-referent", Role::ArsReferent, Some("76"), None),
            (
                "establishment-leader",
                Role::EstablishmentLeader,
                None,
                Some(OWN_EJ),
            ),
            (
                "establishment-contributor",
                Role::EstablishmentContributor,
                None,
                Some(OWN_EJ),
            ),
            ("observer", Role::Observer, Some("76"), None),
            // Targets of administration: one in the own legal entity, one in a foreign region.
            (
                "own-target",
                Role::EstablishmentContributor,
                None,
                Some(OWN_EJ),
            ),
            (
                "foreign-target",
                Role::EstablishmentContributor,
                None,
                Some(FOREIGN_EJ),
            ),
            ("foreign-admin", Role::ArsAdmin, Some("84"), None),
        ];
        let mut users = HashMap::new();
        for (key, role, region, ej) in fixtures {
            let user = UserBuilder::new(key, role)
                .region(region)
                .ej(ej)
                .insert(&store)
                .await;
            users.insert(key, user);
        }
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("address");
        let app = cpom_web::build_app(store, cpom_web::WebConfig::default());
        let server = tokio::spawn(async move {
            axum::serve(
                listener,
                app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
            )
            .await
            .expect("server");
        });
        TestApp {
            base: format!("http://{addr}"),
            db,
            users,
            server,
        }
    }

    /// The store behind the server.
    pub fn store(&self) -> &Store {
        &self.db.store
    }

    /// A fixture account.
    pub fn user(&self, key: &str) -> &User {
        self.users
            .get(key)
            .unwrap_or_else(|| panic!("no fixture {key}"))
    }

    /// An anonymous browser that already holds a session and a CSRF token (from the
    /// sign-in page), like a person arriving on cpom.
    pub async fn anonymous(&self) -> Agent {
        let mut agent = Agent::new(&self.base);
        let page = agent.get("/connexion").await;
        assert_eq!(page.status, StatusCode::OK);
        agent.csrf = csrf_from(&page.text);
        agent
    }

    /// A browser signed in as fixture `key` through the sign-in form.
    pub async fn signed_in(&self, key: &str) -> Agent {
        let mut agent = self.anonymous().await;
        let email = self.user(key).email.to_string();
        let resp = agent
            .post_form("/connexion", &[("email", &email), ("password", PASSWORD)])
            .await;
        assert_eq!(
            resp.status,
            StatusCode::SEE_OTHER,
            "sign-in of {key} failed: {}",
            resp.text
        );
        let home = agent.get("/").await;
        assert_eq!(home.status, StatusCode::OK);
        agent.csrf = csrf_from(&home.text);
        agent
    }

    /// An API client authenticated by a new bearer token of fixture `key`.
    pub async fn with_token(&self, key: &str) -> Agent {
        let (_, secret) = self
            .store()
            .create_token(&AuditActor::system(), self.user(key), "test")
            .await
            .expect("token");
        let mut agent = Agent::new(&self.base);
        agent.token = Some(secret);
        agent
    }

    /// Stops the server.
    pub async fn stop(self) {
        self.server.abort();
        let _ = self.server.await;
        let _ = self.db.store.close().await;
    }
}

/// Builds and inserts an account.
pub struct UserBuilder {
    key: String,
    role: Role,
    region: Option<String>,
    ej: Option<String>,
}

impl UserBuilder {
    pub fn new(key: &str, role: Role) -> Self {
        Self {
            key: key.into(),
            role,
            region: None,
            ej: None,
        }
    }
    pub fn region(mut self, region: Option<&str>) -> Self {
        self.region = region.map(str::to_owned);
        self
    }
    pub fn ej(mut self, ej: Option<&str>) -> Self {
        self.ej = ej.map(str::to_owned);
        self
    }
    pub async fn insert(self, store: &Store) -> User {
        store
            .create_user(
                &AuditActor::system(),
                NewUser {
                    email: Email::parse(&format!("{}@test.cpom.fr", self.key)).expect("email"),
                    display_name: DisplayName::parse(&format!("Compte {}", self.key))
                        .expect("name"),
                    role: self.role,
                    region: self
                        .region
                        .as_deref()
                        .map(|r| RegionCode::parse(r).expect("region")),
                    ej: self.ej.as_deref().map(|e| FinessId::parse(e).expect("ej")),
                    password: PlainPassword::parse(PASSWORD).expect("password"),
                },
            )
            .await
            .expect("insert user")
    }
}

/// Extracts the CSRF token from a page's `<meta name="csrf-token">`.
pub fn csrf_from(html: &str) -> Option<String> {
    let marker = "name=\"csrf-token\" content=\"";
    let start = html.find(marker)? + marker.len();
    let end = html[start..].find('"')? + start;
    Some(html[start..end].to_owned()).filter(|t| !t.is_empty())
}

/// A response, fully read.
#[derive(Debug)]
pub struct Resp {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub text: String,
    pub bytes: Vec<u8>,
}

impl Resp {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }
    pub fn location(&self) -> &str {
        self.headers
            .get("location")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
}

/// A minimal browser / API client: keeps the session cookie, sends the CSRF token, never
/// follows redirects (tests assert them).
pub struct Agent {
    client: reqwest::Client,
    base: String,
    pub cookie: Option<String>,
    pub csrf: Option<String>,
    pub token: Option<String>,
    /// Send the CSRF token automatically (turned off by CSRF tests).
    pub send_csrf: bool,
}

impl Agent {
    pub fn new(base: &str) -> Self {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        Self {
            client,
            base: base.to_owned(),
            cookie: None,
            csrf: None,
            token: None,
            send_csrf: true,
        }
    }

    async fn send(&mut self, rb: reqwest::RequestBuilder) -> Resp {
        let mut rb = rb;
        if let Some(c) = &self.cookie {
            rb = rb.header("cookie", format!("{}={c}", cpom_web::SESSION_COOKIE));
        }
        if let Some(t) = &self.token {
            rb = rb.bearer_auth(t);
        }
        let resp = rb.send().await.expect("request");
        let status = resp.status();
        let headers = resp.headers().clone();
        for value in headers.get_all("set-cookie") {
            let v = value.to_str().unwrap_or("");
            if let Some(rest) = v.strip_prefix(&format!("{}=", cpom_web::SESSION_COOKIE)) {
                let val = rest.split(';').next().unwrap_or("").to_owned();
                self.cookie = if val.is_empty() || v.contains("Max-Age=0") {
                    None
                } else {
                    Some(val)
                };
            }
        }
        let bytes = resp.bytes().await.expect("body").to_vec();
        Resp {
            status,
            headers,
            text: String::from_utf8_lossy(&bytes).into_owned(),
            bytes,
        }
    }

    /// A GET as htmx sends it (`HX-Request: true`).
    pub async fn get_htmx(&mut self, path: &str) -> Resp {
        let rb = self
            .client
            .get(format!("{}{path}", self.base))
            .header("hx-request", "true");
        self.send(rb).await
    }

    pub async fn get(&mut self, path: &str) -> Resp {
        let rb = self.client.get(format!("{}{path}", self.base));
        self.send(rb).await
    }

    /// Sends a file as a multipart form (`kind`, `file`), with the CSRF token in the query
    /// string for pages and in the header for the API.
    pub async fn upload(
        &mut self,
        path: &str,
        kind: &str,
        file_name: &str,
        bytes: Vec<u8>,
    ) -> Resp {
        self.upload_with(path, &[("kind", kind)], file_name, bytes)
            .await
    }

    /// Sends a file as a multipart form with the given text fields, like [`Agent::upload`].
    pub async fn upload_with(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        file_name: &str,
        bytes: Vec<u8>,
    ) -> Resp {
        let mut form = reqwest::multipart::Form::new();
        for (k, v) in fields {
            form = form.text((*k).to_owned(), (*v).to_owned());
        }
        let form = form.part(
            "file",
            reqwest::multipart::Part::bytes(bytes).file_name(file_name.to_owned()),
        );
        let api = path.starts_with("/api/");
        let mut url = format!("{}{path}", self.base);
        let mut rb_header = None;
        if self.send_csrf
            && let Some(t) = &self.csrf
        {
            if api {
                rb_header = Some(t.clone());
            } else {
                url.push_str(if url.contains('?') { "&" } else { "?" });
                url.push_str(&format!("csrf_token={t}"));
            }
        }
        let mut rb = self.client.post(url).multipart(form);
        if let Some(t) = rb_header {
            rb = rb.header("x-csrf-token", t);
        }
        self.send(rb).await
    }

    pub async fn post_form(&mut self, path: &str, fields: &[(&str, &str)]) -> Resp {
        let mut all: Vec<(String, String)> = fields
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        if self.send_csrf
            && let Some(t) = &self.csrf
        {
            all.push(("csrf_token".into(), t.clone()));
        }
        let rb = self.client.post(format!("{}{path}", self.base)).form(&all);
        self.send(rb).await
    }

    pub async fn json(
        &mut self,
        method: Method,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> Resp {
        let mut rb = self.client.request(method, format!("{}{path}", self.base));
        if self.send_csrf
            && let Some(t) = &self.csrf
        {
            rb = rb.header("x-csrf-token", t);
        }
        if let Some(b) = body {
            rb = rb.json(&b);
        }
        self.send(rb).await
    }
}

/// Opens the campaign of `year` of region 76 (deadline far ahead, the whole region) by the
/// store; returns it and its count of declarations.
pub async fn open_region_campaign(
    store: &Store,
    year: i32,
) -> (cpom_store::repo::campaigns::Campaign, u64) {
    store
        .open_campaign(
            &AuditActor::system(),
            &cpom_store::repo::campaigns::NewCampaign {
                region: RegionCode::parse("76").expect("region"),
                year,
                title: format!("Campagne {year}"),
                deadline: chrono::NaiveDate::from_ymd_opt(2099, 3, 31).expect("date"),
                perimeter: cpom_store::repo::campaigns::Perimeter::Region,
            },
        )
        .await
        .expect("campaign")
}

/// A contract of `ej` (region 76) on the Occitanie 2025–2029 catalogue (imported by the
/// caller), with the engagement of `action`, moved through negotiation to signed by the
/// store: a contract in force for the campaign tests.
pub async fn signed_contract(
    store: &Store,
    ej: &str,
    action: &str,
) -> cpom_store::repo::contracts::Contract {
    let c = crate::catalogues::shipped("occitanie-2025-2029");
    let content =
        cpom_domain::contract::add_engagement(&Default::default(), &c, action, None, None, None)
            .expect("engagement");
    signed_contract_with(store, ej, content).await
}

/// Opens an avenant on the signed contract `id` (at its current version) and saves as its
/// draft what `draft` makes of the content it starts from; the avenant is not signed.
pub async fn avenant_draft(
    store: &Store,
    id: i64,
    note: Option<&str>,
    draft: impl FnOnce(cpom_domain::contract::ContractContent) -> cpom_domain::contract::ContractContent,
) -> cpom_store::repo::contracts::Contract {
    let sys = AuditActor::system();
    let rv = store.contract(id).await.expect("contract").row_version;
    let c = store
        .propose_avenant(&sys, id, rv, note)
        .await
        .expect("avenant");
    store
        .save_contract_content(
            &sys,
            c.id,
            c.row_version,
            &draft(c.content.clone()),
            "engagements",
            None,
            None,
        )
        .await
        .expect("draft")
}

/// A contract of `ej` (region 76) on the Occitanie 2025–2029 catalogue with these
/// engagements, moved through negotiation to signed by the store.
pub async fn signed_contract_with(
    store: &Store,
    ej: &str,
    mut content: cpom_domain::contract::ContractContent,
) -> cpom_store::repo::contracts::Contract {
    use cpom_domain::contract::{ContractState, Signatory, SignatoryRole};
    let sys = AuditActor::system();
    let c = crate::catalogues::shipped("occitanie-2025-2029");
    let contract = store
        .create_contract(
            &sys,
            &cpom_store::repo::contracts::NewContract {
                region: RegionCode::parse("76").expect("region"),
                ej: FinessId::parse(ej).expect("finess"),
                catalogue_slug: c.slug.clone(),
                catalogue_version: 1,
                title: format!("Contrat suivi de {ej}"),
                start_year: c.start_year,
                end_year: c.end_year,
                band: None,
                negotiator_id: None,
                content: content.clone(),
            },
        )
        .await
        .expect("contract");
    let date = chrono::NaiveDate::from_ymd_opt(2025, 2, 1).expect("date");
    content.signatories = [SignatoryRole::DgArs, SignatoryRole::LegalRepresentative]
        .into_iter()
        .map(|role| Signatory {
            role,
            name: "Signataire".into(),
            function: "Directeur".into(),
            date,
        })
        .collect();
    let mut rv = contract.row_version;
    let mut last = contract;
    for to in [
        ContractState::Negotiation,
        ContractState::ReadyToSign,
        ContractState::Signed,
    ] {
        let signed = (to == ContractState::Signed).then_some(&content);
        last = store
            .move_contract(&sys, last.id, rv, to, None, signed)
            .await
            .expect("move");
        rv = last.row_version;
    }
    last
}
