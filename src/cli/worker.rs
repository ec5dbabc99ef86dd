//! `polycart worker`: runs the scheduler (job leases, slices, outbound deliveries,
//! change-feed retention) until SIGTERM or Ctrl-C, then finishes the pages in flight
//! and gives jobs back. `--id` is the name in every lease and every sync run it
//! records; `POLYCART_CHANGES_RETENTION` is read at startup (see
//! [`crate::engine::settings`]).

use std::sync::Arc;

use super::db::DbArgs;
use crate::engine::{Engine, EngineOptions, RegistrySource};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Jobs this worker runs at once.
    #[arg(long, default_value_t = 4)]
    pub concurrency: usize,
    /// This worker's name in leases and sync runs (default host:pid).
    #[arg(long, env = "POLYCART_WORKER_ID")]
    pub id: Option<String>,
    /// The most jobs one lease transaction takes when several slots are free.
    #[arg(long, default_value_t = crate::store::MAX_LEASE_BATCH as u16,
          value_parser = clap::value_parser!(u16).range(1..=crate::store::MAX_LEASE_BATCH as i64))]
    pub lease_batch: u16,
    /// Lease lifetime: a dead worker's jobs are taken over after this.
    #[arg(long, default_value_t = 30)]
    pub lease_secs: i64,
    /// Pages per job before it is given back (fairness between stores).
    #[arg(long, default_value_t = 10)]
    pub slice_pages: u32,
    /// How often an idle worker looks for due jobs, in milliseconds.
    #[arg(long, default_value_t = 1000)]
    pub poll_ms: u64,
    #[command(flatten)]
    pub db: DbArgs,
}

pub async fn run(args: &Args) -> Result<String, String> {
    let mut opts = EngineOptions {
        concurrency: args.concurrency.max(1),
        lease_batch: usize::from(args.lease_batch),
        lease_ttl: chrono::Duration::seconds(args.lease_secs.max(1)),
        slice_pages: args.slice_pages.max(1),
        poll_interval: std::time::Duration::from_millis(args.poll_ms.max(10)),
        ..EngineOptions::from_env().map_err(|e| e.to_string())?
    };
    if let Some(id) = &args.id {
        if id.trim().is_empty() {
            return Err("--id must not be empty".to_owned());
        }
        opts.worker_id = id.clone();
    }
    let store = args.db.open().await?;
    let engine = Arc::new(Engine::new(
        store,
        Arc::new(RegistrySource::default()),
        opts,
    ));
    let (tx, rx) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        super::shutdown_signal().await;
        let _ = tx.send(true);
    });
    let worker_id = engine.opts.worker_id.clone();
    crate::telemetry::notice(
        tracing::Level::INFO,
        &format!("worker {worker_id} running; stop with Ctrl-C or SIGTERM"),
    );
    let stats = engine.run_worker(rx).await.map_err(|e| e.to_string())?;
    use std::sync::atomic::Ordering::Relaxed;
    Ok(format!(
        "worker {worker_id} stopped: {} slices, {} passes finished, {} errors, {} deliveries",
        stats.slices.load(Relaxed),
        stats.passes_finished.load(Relaxed),
        stats.errors.load(Relaxed),
        stats.deliveries.load(Relaxed)
    ))
}
