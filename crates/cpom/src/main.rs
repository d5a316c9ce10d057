//! The cpom binary: parse the command line and the environment, initialise logging, run
//! the chosen command. Everything else lives in the library crates.

mod cli;
mod config;
mod demo;
mod generate;

use clap::Parser;

/// mimalloc instead of glibc's allocator for Rust's allocations: the server spent about 15 %
/// of its time in glibc's malloc and free under load, and every page served more requests
/// per second with mimalloc (BENCHMARKS.md, "Memory"). SQLite keeps glibc's malloc.
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
