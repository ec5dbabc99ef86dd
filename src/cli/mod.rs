//! The `polycart` command line: one module per command, parsed with clap.

pub mod bench;
pub mod config;
pub mod db;
pub mod demo;
pub mod drift;
pub mod healthcheck;
pub mod keys;
pub mod normalize;
pub mod platforms;
pub mod progress;
pub mod serve;
pub mod simulate;
pub mod stores;
pub mod sync;
pub mod worker;

use clap::{Parser, Subcommand};

/// polycart: one API and one data model over every e-commerce platform.
#[derive(Debug, Parser)]
#[command(name = "polycart", version = crate::version::VERSION, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Map a raw platform payload (file or stdin) to unified JSON, without network.
    Normalize(normalize::Args),
    /// Run a platform simulator on a loopback port until stopped.
    Simulate(simulate::Args),
    /// The demo: simulators synced into a fresh SQLite file, served by the unified API.
    Demo(demo::Args),
    /// Serve the unified HTTP API.
    Serve(serve::Args),
    /// Manage API keys.
    Keys(keys::Args),
    /// Connect, list and remove stores.
    Stores(stores::Args),
    /// Sync stores into the sync store, to the end, with progress bars.
    Sync(sync::Args),
    /// Run the sync scheduler (job leases, outbound webhooks) until stopped.
    Worker(worker::Args),
    /// Measure sync throughput, rate-budget use, fleet memory and fairness.
    Bench(bench::Args),
    /// Every platform polycart speaks and what it offers per entity.
    Platforms(platforms::Args),
    /// Schema drift and API deprecations the workers recorded.
    Drift(drift::Args),
    /// Exit 0 when a running server's /healthz answers (for container health checks).
    Healthcheck(healthcheck::Args),
    /// The configuration reference (every environment variable).
    Config(config::Args),
}

/// Exit code for bad input (unknown platform, malformed payload).
pub const EXIT_BAD_INPUT: u8 = 2;

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let terminate = async {
        #[cfg(unix)]
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
            return;
        }
        std::future::pending::<()>().await
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = terminate => {}
    }
}
