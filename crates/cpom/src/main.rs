//! The cpom binary: parse the command line and the environment, initialise logging, run
//! the chosen command. Everything else lives in the library crates.

mod cli;
mod config;
mod demo;
mod generate;

use clap::Parser;

/// mimalloc instead of glibc's allocator: under concurrent exports glibc's per-thread
/// arenas kept freed memory, and the SQLite server's peak RSS went over 300 MB for about
/// 60 MB of live heap (BENCHMARKS.md, "Memory").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    let cli = cli::Cli::parse();
    match run(cli) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            // The chain of causes, never a stack trace, even with RUST_BACKTRACE set.
            eprintln!("erreur : {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn run(cli: cli::Cli) -> anyhow::Result<()> {
    let config = config::Config::from_env()?;
    config::init_tracing(&config);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(cli::run(cli, config))
}
