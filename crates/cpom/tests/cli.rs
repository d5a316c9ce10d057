//! The command line, run as a real process: accounts, tokens, backup and restore, on SQLite
//! and (when `CPOM_TEST_POSTGRES_URL` is set) PostgreSQL.

use std::path::Path;
use std::process::{Command, Output};

mod common;

use common::{Env, postgres_too, shared_data};

async fn fresh(postgres: bool) -> Env {
    common::fresh(postgres, "cli").await
}

fn cpom(env: &Env, data_dir: &Path, args: &[&str], password: Option<&str>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cpom"));
    cmd.args(args)
        .env("CPOM_DATA_DIR", data_dir)
        .env("CPOM_DATABASE_URL", &env.url)
        .env("RUST_LOG", "warn")
        .env_remove("CPOM_PASSWORD");
    if let Some(p) = password {
        cmd.env("CPOM_PASSWORD", p);
    }
    cmd.output().expect("run cpom")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn help_lists_every_command() {
    let out = Command::new(env!("CARGO_BIN_EXE_cpom"))
        .arg("--help")
        .output()
        .expect("run");
    let help = String::from_utf8_lossy(&out.stdout);
    for cmd in [
        "serve",
        "demo",
        "migrate",
        "generate",
        "campaign",
        "user",
        "token",
        "backup",
        "restore",
        "import",
        "catalogue",
    ] {
        assert!(help.contains(cmd), "--help does not list {cmd}:\n{help}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accounts_tokens_backup_and_restore_from_the_command_line() {
    for postgres in postgres_too() {
        let env = fresh(postgres).await;
        let data = env.dir.path().join("data");
        let out = cpom(&env, &data, &["migrate"], None);
        assert!(out.status.success(), "{}", text(&out));

        let out = cpom(
            &env,
            &data,
            &[
                "user",
                "create",
                "--email",
                "Admin@ARS.sante.fr",
                "--role",
                "national-admin",
            ],
            Some("un mot de passe solide"),
        );
        assert!(out.status.success(), "{}", text(&out));
        assert!(text(&out).contains("admin@ars.sante.fr"));

        // Bad input is refused with a French message naming the problem.
        let refused: [(&[&str], &str, &str); 4] = [
            (
                &["--email", "x@ars.sante.fr", "--role", "chef"],
                "un mot de passe solide",
                "n'est pas un rôle",
            ),
            (
                &["--email", "y@ars.sante.fr", "--role", "ars-admin"],
                "un mot de passe solide",
                "doit avoir une région",
            ),
            (
                &[
                    "--email",
                    "z@ars.sante.fr",
                    "--role",
                    "ars-admin",
                    "--region",
                    "76",
                ],
                "court",
                "au moins 12 caractères",
            ),
            (
                &[
                    "--email",
                    "admin@ars.sante.fr",
                    "--role",
                    "ars-admin",
                    "--region",
                    "76",
                ],
                "un mot de passe solide",
                "existe déjà",
            ),
        ];
        for (args, password, message) in refused {
            let all: Vec<&str> = ["user", "create"]
                .into_iter()
                .chain(args.iter().copied())
                .collect();
            let out = cpom(&env, &data, &all, Some(password));
            assert!(!out.status.success(), "{args:?} was accepted");
            assert!(text(&out).contains(message), "{args:?}: {}", text(&out));
        }

        let out = cpom(
            &env,
            &data,
            &["token", "create", "--email", "admin@ars.sante.fr"],
            None,
        );
        assert!(out.status.success(), "{}", text(&out));
        assert!(
            String::from_utf8_lossy(&out.stdout)
                .trim()
                .starts_with("cpom_")
        );

        std::fs::write(data.join("files").join("convention.pdf"), b"%PDF-1.7")
            .expect("stored file");
        let archive = env.dir.path().join("sauvegarde.tar.gz");
        let out = cpom(
            &env,
            &data,
            &["backup", archive.to_str().expect("path")],
            None,
        );
        assert!(out.status.success(), "{}", text(&out));

        // Restore into an empty data directory on SQLite.
        let target = fresh(false).await;
        let target_data = target.dir.path().join("data");
        let out = cpom(
            &target,
            &target_data,
            &["restore", archive.to_str().expect("path")],
            None,
        );
        assert!(out.status.success(), "{}", text(&out));
        assert_eq!(
            std::fs::read(target_data.join("files").join("convention.pdf")).expect("restored file"),
            b"%PDF-1.7"
        );
        // The restored account exists: creating it again is refused.
        let out = cpom(
            &target,
            &target_data,
            &[
                "user",
                "create",
                "--email",
                "admin@ars.sante.fr",
                "--role",
                "national-admin",
            ],
            Some("un mot de passe solide"),
        );
        assert!(text(&out).contains("existe déjà"), "{}", text(&out));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registry_imports_from_the_command_line_preview_apply_and_refuse_damaged_files() {
    for postgres in postgres_too() {
        let env = fresh(postgres).await;
        let data = env.dir.path().join("data");
        let finess = shared_data("finess_etabs_hopitaux_france_FHOFF.csv");
        let finess = finess.to_str().expect("path");

        // A dry run prints the counts and writes nothing.
        let dry = cpom(
            &env,
            &data,
            &["import", "finess", finess, "--dry-run", "--region", "76"],
            None,
        );
        assert!(dry.status.success(), "{}", text(&dry));
        assert!(text(&dry).contains("créés : 506"), "{}", text(&dry));
        assert!(text(&dry).contains("rien n'a été écrit"), "{}", text(&dry));

        let applied = cpom(
            &env,
            &data,
            &["import", "finess", finess, "--region", "76"],
            None,
        );
        assert!(applied.status.success(), "{}", text(&applied));
        assert!(
            text(&applied).contains("Import appliqué (n° 1"),
            "{}",
            text(&applied)
        );
        let again = cpom(
            &env,
            &data,
            &["import", "finess", finess, "--region", "76"],
            None,
        );
        assert!(
            text(&again).contains("créés : 0   modifiés : 0   inchangés : 506"),
            "{}",
            text(&again)
        );

        // A truncated line: exit code 1, the line and reason printed, nothing imported.
        let sae = std::fs::read(shared_data("SAE_2023_ID_2023r.csv")).expect("sae");
        let damaged = env.dir.path().join("sae-tronque.csv");
        std::fs::write(&damaged, &sae[..300_000]).expect("write");
        let refused = cpom(
            &env,
            &data,
            &["import", "sae-id", damaged.to_str().expect("path")],
            None,
        );
        assert!(!refused.status.success());
        let out = text(&refused);
        assert!(
            out.contains("ligne 1204 : 19 colonnes au lieu de 70"),
            "{out}"
        );
        assert!(out.contains("rien n'a été importé"), "{out}");
        assert!(!out.contains("backtrace"), "{out}");

        // Unknown kind and wrong file: clear errors.
        let unknown = cpom(&env, &data, &["import", "autre", finess], None);
        assert!(!unknown.status.success());
        assert!(
            text(&unknown).contains("type d'import « autre » inconnu"),
            "{}",
            text(&unknown)
        );
        let wrong = cpom(&env, &data, &["import", "sae-capacity", finess], None);
        assert!(!wrong.status.success());
        assert!(text(&wrong).starts_with("erreur : "), "{}", text(&wrong));
    }
}

fn shipped_catalogue(slug: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../catalogues")
        .join(format!("{slug}.toml"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn catalogues_are_checked_imported_published_and_exported_from_the_command_line() {
    for postgres in postgres_too() {
        let env = fresh(postgres).await;
        let data = env.dir.path().join("data");
        let file = shipped_catalogue("occitanie-2025-2029");
        let path = file.to_str().expect("path");

        let out = cpom(&env, &data, &["catalogue", "check", path], None);
        assert!(out.status.success(), "{}", text(&out));
        assert!(
            text(&out).contains("30 fiche(s), 298 cible(s)"),
            "{}",
            text(&out)
        );

        // A damaged file: every problem with its line, nothing imported.
        let bad = env.dir.path().join("abime.toml");
        let original = std::fs::read_to_string(&file).expect("read");
        std::fs::write(
            &bad,
            original.replacen("kind = \"yes_no\"", "kind = \"oui-non\"", 1),
        )
        .expect("write");
        let out = cpom(
            &env,
            &data,
            &["catalogue", "import", bad.to_str().expect("path")],
            None,
        );
        assert!(!out.status.success());
        let message = text(&out);
        assert!(
            message.contains("ligne ") && message.contains("champ « kind »"),
            "{message}"
        );
        assert!(!message.contains("panicked"), "{message}");
        let out = cpom(&env, &data, &["catalogue", "list"], None);
        assert!(text(&out).contains("Aucun référentiel"), "{}", text(&out));

        let out = cpom(
            &env,
            &data,
            &["catalogue", "import", path, "--publish"],
            None,
        );
        assert!(out.status.success(), "{}", text(&out));
        assert!(
            text(&out).contains("créé — version 1, publié"),
            "{}",
            text(&out)
        );
        let out = cpom(&env, &data, &["catalogue", "import", path], None);
        assert!(text(&out).contains("inchangé"), "{}", text(&out));

        let out = cpom(
            &env,
            &data,
            &["catalogue", "export", "occitanie-2025-2029"],
            None,
        );
        assert!(out.status.success(), "{}", text(&out));
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
        assert_eq!(doc["indicators"].as_array().map(Vec::len), Some(30));
        assert_eq!(doc["state"], "published");

        let toml_out = env.dir.path().join("export.toml");
        let out = cpom(
            &env,
            &data,
            &[
                "catalogue",
                "export",
                "occitanie-2025-2029",
                "--format",
                "toml",
                "-o",
                toml_out.to_str().expect("path"),
            ],
            None,
        );
        assert!(out.status.success(), "{}", text(&out));
        let exported = std::fs::read_to_string(&toml_out).expect("exported");
        assert_eq!(
            cpom_import::catalogue::read_toml(&exported).expect("valid"),
            cpom_import::catalogue::read_toml(&original).expect("valid"),
        );
        let xlsx = env.dir.path().join("export.xlsx");
        let out = cpom(
            &env,
            &data,
            &[
                "catalogue",
                "export",
                "occitanie-2025-2029",
                "--format",
                "xlsx",
                "-o",
                xlsx.to_str().expect("path"),
            ],
            None,
        );
        assert!(out.status.success(), "{}", text(&out));
        let bytes = std::fs::read(&xlsx).expect("xlsx written");
        assert_eq!(
            cpom_import::catalogue_xlsx::read_xlsx(&bytes).expect("reads back"),
            cpom_import::catalogue::read_toml(&original).expect("valid"),
        );
        let out = cpom(&env, &data, &["catalogue", "export", "inconnu"], None);
        assert!(!out.status.success());
        assert!(text(&out).contains("référentiel « inconnu » introuvable"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generate_builds_a_region_in_every_state_and_the_same_seed_gives_the_same_dataset() {
    let run = |env: &Env| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_cpom"));
        cmd.args([
            "generate", "--scale", "region", "--region", "94", "--seed", "7",
        ])
        .env("CPOM_DATA_DIR", env.dir.path())
        .env("CPOM_DATABASE_URL", &env.url)
        .env("CPOM_DEMO_DATA_DIR", shared_data(""))
        .env("RUST_LOG", "warn");
        cmd.output().expect("run cpom")
    };
    let mut summaries = vec![];
    for postgres in postgres_too() {
        let env = fresh(postgres).await;
        let out = run(&env);
        assert!(out.status.success(), "{}", text(&out));
        let printed = text(&out);
        let summary = printed
            .lines()
            .find(|l| l.contains("contrats signés"))
            .expect("summary")
            .split(" ; déclarations")
            .next()
            .expect("counts")
            .to_owned();
        let store = cpom_store::Store::connect(&env.url, env.dir.path())
            .await
            .expect("store");
        let all = cpom_domain::ScopeFilter::All;
        let contracts = store
            .list_contracts(&all, &Default::default(), 1, 1000)
            .await
            .expect("contracts");
        let entities = store.entities_to_contract().await.expect("entities");
        assert!(!entities.is_empty());
        assert_eq!(contracts.total as usize, entities.len(), "{printed}");
        assert!(
            contracts
                .items
                .iter()
                .all(|c| c.state == cpom_domain::contract::ContractState::Signed
                    && c.region.as_str() == "94")
        );
        let campaigns = store.list_campaigns(&all).await.expect("campaigns");
        assert_eq!(campaigns.len(), 5);
        // Every campaign holds declarations in every state; the latest is mostly to do.
        let mut per_campaign = vec![];
        for c in &campaigns {
            let mut counts = vec![];
            for state in cpom_domain::campaign::DeclarationState::ALL {
                let page = store
                    .list_declarations(
                        c.campaign.id,
                        &all,
                        &cpom_store::repo::campaigns::DeclarationFilter {
                            state: Some(state),
                            ..Default::default()
                        },
                        1,
                        1,
                    )
                    .await
                    .expect("declarations");
                counts.push(page.total);
            }
            per_campaign.push((c.campaign.year, counts));
        }
        per_campaign.sort();
        for (year, counts) in &per_campaign {
            assert!(counts.iter().all(|n| *n > 0), "{year}: {counts:?}");
        }
        let validated = |year: i32| {
            per_campaign
                .iter()
                .find(|(y, _)| *y == year)
                .map(|(_, c)| c[4])
                .expect("year")
        };
        assert!(validated(2025) > validated(2029), "{per_campaign:?}");
        // Evidence on disk, audited, and a second run refused.
        let audit = store
            .list_audit(&all, &Default::default(), 1, 5)
            .await
            .expect("audit");
        assert!(audit.total > 100);
        assert!(
            std::fs::read_dir(env.dir.path().join("files/evidence/generated"))
                .expect("evidence")
                .count()
                == 5
        );
        let again = run(&env);
        assert!(!again.status.success());
        assert!(text(&again).contains("base vide"), "{}", text(&again));
        summaries.push((summary, per_campaign));
    }
    // The same seed: the same dataset (on a second SQLite database).
    let env = fresh(false).await;
    let out = run(&env);
    assert!(out.status.success(), "{}", text(&out));
    let store = cpom_store::Store::connect(&env.url, env.dir.path())
        .await
        .expect("store");
    let campaigns = store
        .list_campaigns(&cpom_domain::ScopeFilter::All)
        .await
        .expect("campaigns");
    let first = &summaries[0].1;
    for c in &campaigns {
        let validated = store
            .list_declarations(
                c.campaign.id,
                &cpom_domain::ScopeFilter::All,
                &cpom_store::repo::campaigns::DeclarationFilter {
                    state: Some(cpom_domain::campaign::DeclarationState::Validated),
                    ..Default::default()
                },
                1,
                1,
            )
            .await
            .expect("declarations")
            .total;
        let expected = first
            .iter()
            .find(|(y, _)| *y == c.campaign.year)
            .expect("year")
            .1[4];
        assert_eq!(validated, expected, "{}", c.campaign.year);
    }
}
