//! Faults (issue 9): the process killed (SIGKILL) in the middle of a registry import and of a
//! campaign opening, on SQLite and PostgreSQL: the command-line process, and the server in
//! the middle of the same operations asked over HTTP. After each kill, the database holds
//! the whole operation or nothing of it, and the operation can be run again (by a restarted
//! server). Bounded in time: a few kills at spread delays.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use cpom_domain::ScopeFilter;

mod common;

use common::{Env, fresh, postgres_too, shared_data};

fn cpom(env: &Env, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cpom"));
    cmd.args(args)
        .env("CPOM_DATA_DIR", env.dir.path())
        .env("CPOM_DATABASE_URL", &env.url)
        .env("CPOM_DEMO_DATA_DIR", shared_data(""))
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    cmd
}

/// Kills the child with SIGKILL after `delay` (if it still runs); whether it was killed.
fn kill_after(mut child: Child, delay: Duration) -> bool {
    let start = Instant::now();
    while start.elapsed() < delay {
        if child.try_wait().expect("wait").is_some() {
            return false;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    child.kill().expect("SIGKILL");
    child.wait().expect("reaped");
    true
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_registry_import_killed_midway_leaves_all_or_nothing_and_runs_again() {
    let finess = shared_data("finess_etabs_hopitaux_france_FHOFF.csv");
    let finess = finess.to_str().expect("path");
    for postgres in postgres_too() {
        // The whole file, once, for the counts to expect.
        let reference = fresh(postgres, "fault_ref").await;
        assert!(
            cpom(&reference, &["import", "finess", finess])
                .status()
                .expect("run")
                .success()
        );
        let store = cpom_store::Store::connect(&reference.url, reference.dir.path())
            .await
            .expect("store");
        let whole = store.registry_counts().await.expect("counts");
        assert!(whole.1 > 1000, "{whole:?}");
        let mut killed = 0;
        for delay in [100, 250, 500, 900, 1400] {
            let env = fresh(postgres, "fault_imp").await;
            // The schema first, so that the kill falls in the import itself.
            assert!(cpom(&env, &["migrate"]).status().expect("run").success());
            let child = cpom(&env, &["import", "finess", finess])
                .spawn()
                .expect("spawn");
            killed += usize::from(kill_after(child, Duration::from_millis(delay)));
            let store = cpom_store::Store::connect(&env.url, env.dir.path())
                .await
                .expect("the database opens after the kill");
            let after = store.registry_counts().await.expect("counts");
            assert!(
                after == (0, 0, 0) || after == whole,
                "killed after {delay} ms: {after:?}, neither nothing nor {whole:?}"
            );
            drop(store);
            // Run again: the whole file.
            assert!(
                cpom(&env, &["import", "finess", finess])
                    .status()
                    .expect("run")
                    .success()
            );
            let store = cpom_store::Store::connect(&env.url, env.dir.path())
                .await
                .expect("store");
            assert_eq!(store.registry_counts().await.expect("counts"), whole);
        }
        assert!(killed > 0, "no kill fell during an import");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_campaign_opening_killed_midway_leaves_all_or_nothing_and_runs_again() {
    for postgres in postgres_too() {
        let env = fresh(postgres, "fault_camp").await;
        // Occitanie: its registry, contracts and five campaigns (2025 to 2029).
        assert!(
            cpom(
                &env,
                &[
                    "generate", "--scale", "region", "--region", "76", "--seed", "3"
                ]
            )
            .status()
            .expect("run")
            .success()
        );
        let mut killed = 0;
        for (year, delay) in [
            (2025, 40),
            (2026, 80),
            (2027, 120),
            (2028, 170),
            (2029, 250),
        ] {
            // The year's campaign closed, then opened again by a process killed midway.
            let expected = close_year(&env, year).await;
            let open = [
                "campaign",
                "open",
                "--region",
                "76",
                "--year",
                &year.to_string(),
            ];
            let child = cpom(&env, &open).spawn().expect("spawn");
            killed += usize::from(kill_after(child, Duration::from_millis(delay)));
            match opened(&env, year).await.as_slice() {
                [] => {
                    // Nothing of it: open it again.
                    assert!(cpom(&env, &open).status().expect("run").success());
                    assert_eq!(opened(&env, year).await, [expected], "{year}");
                }
                [n] => assert_eq!(*n, expected, "{year}: a campaign opened in part"),
                more => panic!("{year}: {more:?}"),
            }
        }
        assert!(killed > 0, "no kill fell during an opening");
    }
}

/// Closes the region's campaign of `year` (the generated one) and returns how many
/// declarations it held, which its opening again must give.
async fn close_year(env: &Env, year: i32) -> u64 {
    let store = cpom_store::Store::connect(&env.url, env.dir.path())
        .await
        .expect("store");
    let campaigns = store.list_campaigns(&ScopeFilter::All).await.expect("list");
    let first = campaigns
        .iter()
        .find(|c| c.campaign.year == year)
        .expect("generated");
    store
        .close_campaign(
            &cpom_store::AuditActor::system(),
            first.campaign.id,
            first.campaign.row_version,
        )
        .await
        .expect("closed");
    first.counts.iter().map(|(_, n)| n).sum()
}

/// The declarations of each open campaign of `year` (none, or one whole).
async fn opened(env: &Env, year: i32) -> Vec<u64> {
    let store = cpom_store::Store::connect(&env.url, env.dir.path())
        .await
        .expect("the database opens");
    store
        .list_campaigns(&ScopeFilter::All)
        .await
        .expect("list")
        .iter()
        .filter(|c| c.campaign.year == year && c.campaign.open)
        .map(|c| c.counts.iter().map(|(_, n)| n).sum::<u64>())
        .collect()
}

// ---------------------------------------------------------------------------------------
// The server killed during a request

const PASSWORD: &str = "mot-de-passe-des-pannes";

/// A national administrator and their API token.
fn admin_token(env: &Env) -> String {
    assert!(
        cpom(
            env,
            &[
                "user",
                "create",
                "--email",
                "admin@pannes.test",
                "--role",
                "national-admin"
            ]
        )
        .env("CPOM_PASSWORD", PASSWORD)
        .status()
        .expect("run")
        .success()
    );
    let out = cpom(env, &["token", "create", "--email", "admin@pannes.test"])
        .stdout(Stdio::piped())
        .output()
        .expect("run");
    assert!(out.status.success());
    String::from_utf8(out.stdout)
        .expect("utf-8")
        .trim()
        .to_owned()
}

/// `cpom serve` on a free port, ready (its `/readyz` answers).
struct Server {
    child: Child,
    base: String,
}

async fn serve(env: &Env) -> Server {
    serve_files_in(env, env.dir.path()).await
}

/// `cpom serve` keeping its stored files in `files` (the database stays in `env`).
async fn serve_files_in(env: &Env, files: &std::path::Path) -> Server {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    // The `Server` returned owns the child and waits for it (`stop`, `kill_during`).
    #[allow(clippy::zombie_processes)]
    let mut child = cpom(env, &["serve"])
        .env("CPOM_DATA_DIR", files)
        .env("CPOM_BIND", format!("127.0.0.1:{port}"))
        .env("CPOM_SECURE_COOKIES", "false")
        .spawn()
        .expect("spawn");
    let base = format!("http://127.0.0.1:{port}");
    let start = Instant::now();
    loop {
        if let Ok(r) = reqwest::get(format!("{base}/readyz")).await
            && r.status().is_success()
        {
            return Server { child, base };
        }
        if start.elapsed() > Duration::from_secs(30) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("server not ready after 30 s");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

impl Server {
    /// Sends the request, kills the server with SIGKILL `delay` after, and says whether the
    /// kill fell before the answer.
    async fn kill_during(mut self, request: reqwest::RequestBuilder, delay: Duration) -> bool {
        let call = tokio::spawn(request.send());
        tokio::time::sleep(delay).await;
        let answered = call.is_finished();
        self.child.kill().expect("SIGKILL");
        self.child.wait().expect("reaped");
        // The request was cut (or had its answer) and the process is gone.
        let _ = call.await;
        !answered
    }

    fn stop(self) {
        drop(self);
    }
}

/// A failing test still stops its server.
impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Files of uploads in progress left in the data directory (removed by the hourly sweep,
/// the first at start-up, once an hour old).
fn partial_uploads(env: &Env) -> usize {
    std::fs::read_dir(env.dir.path().join("imports"))
        .map(|d| {
            d.filter_map(Result::ok)
                .filter(|e| e.path().extension().is_some_and(|x| x == "partial"))
                .count()
        })
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_killed_during_an_import_leaves_all_or_nothing_and_imports_again() {
    let finess =
        std::fs::read(shared_data("finess_etabs_hopitaux_france_FHOFF.csv")).expect("file");
    let import = |server: &Server, token: &str| {
        let form = reqwest::multipart::Form::new().text("kind", "finess").part(
            "file",
            reqwest::multipart::Part::bytes(finess.clone()).file_name("finess.csv"),
        );
        reqwest::Client::new()
            .post(format!("{}/api/v1/imports", server.base))
            .bearer_auth(token)
            .multipart(form)
    };
    for postgres in postgres_too() {
        let env = fresh(postgres, "fault_srv_imp").await;
        assert!(cpom(&env, &["migrate"]).status().expect("run").success());
        let token = admin_token(&env);
        // The whole file once, for the counts to expect; then each kill on a database of its
        // own.
        let server = serve(&env).await;
        let r = import(&server, &token).send().await.expect("import");
        assert_eq!(r.status(), 200, "{}", r.text().await.unwrap_or_default());
        server.stop();
        let store = cpom_store::Store::connect(&env.url, env.dir.path())
            .await
            .expect("store");
        let whole = store.registry_counts().await.expect("counts");
        assert!(whole.1 > 1000, "{whole:?}");
        drop(store);
        let mut killed = 0;
        for delay in [15, 40, 80, 130, 200] {
            let env = fresh(postgres, "fault_srv_imp").await;
            assert!(cpom(&env, &["migrate"]).status().expect("run").success());
            let token = admin_token(&env);
            let server = serve(&env).await;
            let request = import(&server, &token);
            killed += usize::from(
                server
                    .kill_during(request, Duration::from_millis(delay))
                    .await,
            );
            let store = cpom_store::Store::connect(&env.url, env.dir.path())
                .await
                .expect("the database opens after the kill");
            let after = store.registry_counts().await.expect("counts");
            assert!(
                after == (0, 0, 0) || after == whole,
                "killed after {delay} ms: {after:?}, neither nothing nor {whole:?}"
            );
            drop(store);
            // A restarted server imports the whole file; what the killed request left on
            // disk is at most its own upload in progress, named as such.
            assert!(partial_uploads(&env) <= 1);
            let server = serve(&env).await;
            let r = import(&server, &token).send().await.expect("import");
            assert_eq!(r.status(), 200, "{}", r.text().await.unwrap_or_default());
            server.stop();
            let store = cpom_store::Store::connect(&env.url, env.dir.path())
                .await
                .expect("store");
            assert_eq!(store.registry_counts().await.expect("counts"), whole);
        }
        eprintln!("server import, postgres {postgres}: {killed} of 5 kills before the answer");
        assert!(killed > 0, "no kill fell during an import");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_killed_during_a_campaign_opening_leaves_all_or_nothing_and_opens_again() {
    for postgres in postgres_too() {
        let env = fresh(postgres, "fault_srv_camp").await;
        assert!(
            cpom(
                &env,
                &[
                    "generate", "--scale", "region", "--region", "76", "--seed", "5"
                ]
            )
            .status()
            .expect("run")
            .success()
        );
        let token = admin_token(&env);
        let mut killed = 0;
        for (year, delay) in [
            (2025, 30),
            (2026, 60),
            (2027, 100),
            (2028, 150),
            (2029, 220),
        ] {
            let expected = close_year(&env, year).await;
            let open = |server: &Server| {
                reqwest::Client::new()
                    .post(format!("{}/api/v1/campaigns", server.base))
                    .bearer_auth(&token)
                    .json(&serde_json::json!({
                        "region": "76", "year": year.to_string(),
                        "deadline": "31/12/2030", "perimeter": "region",
                    }))
            };
            let server = serve(&env).await;
            let request = open(&server);
            killed += usize::from(
                server
                    .kill_during(request, Duration::from_millis(delay))
                    .await,
            );
            match opened(&env, year).await.as_slice() {
                [] => {
                    // Nothing of it: a restarted server opens it.
                    let server = serve(&env).await;
                    let r = open(&server).send().await.expect("open");
                    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap_or_default());
                    server.stop();
                    assert_eq!(opened(&env, year).await, [expected], "{year}");
                }
                [n] => assert_eq!(*n, expected, "{year}: a campaign opened in part"),
                more => panic!("{year}: {more:?}"),
            }
        }
        eprintln!("server opening, postgres {postgres}: {killed} of 5 kills before the answer");
        assert!(killed > 0, "no kill fell during an opening");
    }
}

// ---------------------------------------------------------------------------------------
// The disk of the stored files full, then read-only

/// A small tmpfs mounted for a test (the machines run the tests as root), unmounted when
/// dropped.
struct SmallDisk(std::path::PathBuf);

impl SmallDisk {
    fn mount(at: std::path::PathBuf, size: &str) -> Self {
        std::fs::create_dir_all(&at).expect("mount point");
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(&at)
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "mounting a {size} tmpfs failed: this test runs as root");
        SmallDisk(at)
    }

    fn read_only(&self) {
        let ok = Command::new("mount")
            .args(["-o", "remount,ro"])
            .arg(&self.0)
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "remount read-only");
    }

    /// Every file under the mount, relative.
    fn files(&self) -> Vec<String> {
        fn walk(dir: &std::path::Path, root: &std::path::Path, out: &mut Vec<String>) {
            for e in std::fs::read_dir(dir)
                .expect("read dir")
                .filter_map(Result::ok)
            {
                let path = e.path();
                if path.is_dir() {
                    walk(&path, root, out);
                } else {
                    out.push(
                        path.strip_prefix(root)
                            .expect("under")
                            .display()
                            .to_string(),
                    );
                }
            }
        }
        let mut out = vec![];
        walk(&self.0, &self.0, &mut out);
        out.sort();
        out
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_on_a_full_or_read_only_disk_is_refused_clearly_and_leaves_nothing() {
    for postgres in postgres_too() {
        let env = fresh(postgres, "fault_disk").await;
        assert!(
            cpom(
                &env,
                &[
                    "generate", "--scale", "region", "--region", "94", "--seed", "2"
                ]
            )
            .status()
            .expect("run")
            .success()
        );
        // A declaration still to fill in the open campaign, and its establishment's leader.
        let store = cpom_store::Store::connect(&env.url, env.dir.path())
            .await
            .expect("store");
        let campaign = store
            .list_campaigns(&ScopeFilter::All)
            .await
            .expect("list")
            .into_iter()
            .find(|c| c.campaign.year == 2029 && c.campaign.open)
            .expect("open campaign");
        let filter = cpom_store::repo::campaigns::DeclarationFilter {
            state: Some(cpom_domain::campaign::DeclarationState::ToDo),
            ..Default::default()
        };
        let d = store
            .list_declarations(campaign.campaign.id, &ScopeFilter::All, &filter, 1, 1)
            .await
            .expect("declarations")
            .items
            .remove(0);
        drop(store);
        let email = "direction@pannes.test";
        let ej = d.ej.to_string();
        assert!(
            cpom(
                &env,
                &[
                    "user",
                    "create",
                    "--email",
                    email,
                    "--role",
                    "establishment-leader",
                    "--ej",
                    &ej
                ]
            )
            .env("CPOM_PASSWORD", PASSWORD)
            .status()
            .expect("run")
            .success()
        );
        let out = cpom(&env, &["token", "create", "--email", email])
            .stdout(Stdio::piped())
            .output()
            .expect("run");
        let token = String::from_utf8(out.stdout)
            .expect("utf-8")
            .trim()
            .to_owned();

        // The stored files on a disk of 512 KiB.
        let disk = SmallDisk::mount(env.dir.path().join("disk"), "512k");
        let server = serve_files_in(&env, &disk.0).await;
        let upload = |name: &str, bytes: Vec<u8>| {
            let form = reqwest::multipart::Form::new().part(
                "file",
                reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned()),
            );
            reqwest::Client::new()
                .post(format!(
                    "{}/api/v1/declarations/{}/evidence",
                    server.base, d.id
                ))
                .bearer_auth(&token)
                .multipart(form)
                .send()
        };
        let csv = |lines: usize, tag: &str| {
            (0..lines)
                .map(|i| format!("{tag};ligne {i};valeur {}\n", i * 7))
                .collect::<String>()
                .into_bytes()
        };
        let evidence = || async {
            let store = cpom_store::Store::connect(&env.url, env.dir.path())
                .await
                .expect("store");
            store
                .declaration_evidence(d.id)
                .await
                .expect("evidence")
                .len()
        };

        // Too big for the disk: refused with the reason, nothing kept.
        let r = upload("activite.csv", csv(30_000, "gros"))
            .await
            .expect("answer");
        assert_eq!(r.status(), 507);
        let body: serde_json::Value = r.json().await.expect("json");
        assert_eq!(body["code"], "storage_full", "{body}");
        let message = body["message"].as_str().unwrap_or_default();
        assert!(
            message.starts_with(
                "L'espace disque du serveur est plein : le fichier n'a pas été enregistré"
            ),
            "{message}"
        );
        assert_eq!(evidence().await, 0);
        let left = disk.files();
        assert!(left.is_empty(), "{left:?}");

        // A small one fits, whole.
        let small = csv(100, "petit");
        let r = upload("petit.csv", small.clone()).await.expect("answer");
        assert_eq!(r.status(), 201, "{}", r.text().await.unwrap_or_default());
        assert_eq!(evidence().await, 1);
        let stored = disk.files();
        assert_eq!(stored.len(), 1, "{stored:?}");
        assert_eq!(
            std::fs::read(disk.0.join(&stored[0])).expect("stored"),
            small
        );

        // Read-only: refused with the reason, nothing changed.
        disk.read_only();
        let r = upload("autre.csv", csv(50, "autre")).await.expect("answer");
        assert_eq!(r.status(), 503);
        let body: serde_json::Value = r.json().await.expect("json");
        assert_eq!(body["code"], "storage_read_only", "{body}");
        assert_eq!(evidence().await, 1);
        assert_eq!(disk.files(), stored);
        server.stop();
    }
}
