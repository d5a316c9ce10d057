//! The cpom binary: parse the command line and the environment, initialise logging, run
//! the chosen command. Everything else lives in the library crates.

mod cli;
mod config;
mod demo;

use clap::Parser;

fn main() -> anyhow::Result<()> {
    let cli = cli::Cli::parse();
    let config = config::Config::from_env()?;
    config::init_tracing(&config);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(cli::run(cli, config))
}
