//! Faults (issue 9): the process killed (SIGKILL) in the middle of a registry import and of a
//! campaign opening, on SQLite and PostgreSQL. After each kill, the database holds the whole
//! operation or nothing of it, and the operation can be run again. Bounded in time: a few
//! kills at spread delays.

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
            let store = cpom_store::Store::connect(&env.url, env.dir.path())
                .await
                .expect("store");
            let campaigns = store.list_campaigns(&ScopeFilter::All).await.expect("list");
            let first = campaigns
                .iter()
                .find(|c| c.campaign.year == year)
                .expect("generated");
            let expected: u64 = first.counts.iter().map(|(_, n)| n).sum();
            store
                .close_campaign(
                    &cpom_store::AuditActor::system(),
                    first.campaign.id,
                    first.campaign.row_version,
                )
                .await
                .expect("closed");
            drop(store);
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
            let store = cpom_store::Store::connect(&env.url, env.dir.path())
                .await
                .expect("the database opens after the kill");
            let reopened = |campaigns: &[cpom_store::repo::campaigns::CampaignSummary]| {
                campaigns
                    .iter()
                    .filter(|c| c.campaign.year == year && c.campaign.open)
                    .map(|c| c.counts.iter().map(|(_, n)| n).sum::<u64>())
                    .collect::<Vec<u64>>()
            };
            let after = reopened(&store.list_campaigns(&ScopeFilter::All).await.expect("list"));
            match after.as_slice() {
                [] => {
                    // Nothing of it: open it again.
                    drop(store);
                    assert!(cpom(&env, &open).status().expect("run").success());
                    let store = cpom_store::Store::connect(&env.url, env.dir.path())
                        .await
                        .expect("store");
                    let again =
                        reopened(&store.list_campaigns(&ScopeFilter::All).await.expect("list"));
                    assert_eq!(again, [expected], "{year}");
                }
                [n] => assert_eq!(*n, expected, "{year}: a campaign opened in part"),
                more => panic!("{year}: {more:?}"),
            }
        }
        assert!(killed > 0, "no kill fell during an opening");
    }
}
