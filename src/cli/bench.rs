//! `polycart bench sync|fleet|store|retention`: runs a measurement (see [`crate::bench`]) and prints
//! its figures, as text or as one JSON object (`--json`).

use std::collections::BTreeMap;

use polycart_kit::Entity;
use polycart_kit::sim::StoreSize;

use crate::bench::{fleet, ingest, interrupt, retention, sync, workers};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: BenchCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum BenchCommand {
    /// Sync one simulated store from scratch; print throughput and budget use.
    Sync(SyncArgs),
    /// Sync many small simulated stores at once; print throughput, memory, fairness.
    Fleet(FleetArgs),
    /// Commit pages of real-shaped orders to a fresh sync store; print records/s.
    Store(StoreArgs),
    /// Grow a store by rounds of changed orders, compact it; print its sizes.
    Retention(RetentionArgs),
    /// Serve simulators for `bench fleet` (internal).
    #[command(hide = true)]
    SimHost(SimHostArgs),
}

#[derive(Debug, clap::Args)]
pub struct SyncArgs {
    #[arg(long)]
    pub platform: String,
    #[arg(long, default_value_t = 10_000)]
    pub orders: usize,
    #[arg(long, default_value_t = 0)]
    pub products: usize,
    #[arg(long, default_value_t = 0)]
    pub customers: usize,
    /// The platform plan (simulator limits and the store's `plan` setting).
    #[arg(long)]
    pub plan: Option<String>,
    /// A store setting, e.g. `api=rest` for Shopify's REST Admin API (repeatable).
    #[arg(long = "setting", value_name = "KEY=VALUE")]
    pub settings: Vec<String>,
    /// Only these entities (default: every entity with records).
    #[arg(long, value_delimiter = ',')]
    pub entities: Vec<Entity>,
    /// Records per page asked of the adapter (default: the platform's maximum).
    #[arg(long)]
    pub page_size: Option<u32>,
    /// Page through the API even where a bulk export exists.
    #[arg(long)]
    pub no_bulk: bool,
    /// Run the sync as `polycart sync` processes and kill (SIGKILL) the first N of
    /// them after `--kill-after-ms`; report how long the next one takes to finish.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(0..=100))]
    pub interrupt: Option<u32>,
    /// How long each killed run of `--interrupt` is let go.
    #[arg(long, default_value_t = 1500, value_parser = clap::value_parser!(u64).range(1..=600_000))]
    pub kill_after_ms: u64,
    /// With `--interrupt`: the `polycart` executable the syncs run (default: this
    /// one), to measure another build against the same simulator.
    #[arg(long, requires = "interrupt")]
    pub sync_exe: Option<std::path::PathBuf>,
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// The sync store (default: a fresh SQLite file in a temporary directory;
    /// PostgreSQL runs in a fresh schema that is dropped afterwards).
    #[arg(long)]
    pub database_url: Option<String>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, clap::Args)]
pub struct FleetArgs {
    #[arg(long, default_value_t = 1000)]
    pub stores: usize,
    #[arg(long, default_value = "bigcommerce")]
    pub platform: String,
    /// Records of each store.
    #[arg(long, default_value_t = 5)]
    pub orders: usize,
    #[arg(long, default_value_t = 3)]
    pub products: usize,
    #[arg(long, default_value_t = 5)]
    pub customers: usize,
    /// Simulators per child process.
    #[arg(long, default_value_t = 2500)]
    pub per_host: usize,
    /// Store × entity syncs at once (each holds a connection and a file descriptor
    /// while it runs; keep it under the process's open-file limit).
    #[arg(long, default_value_t = 2000)]
    pub concurrency: usize,
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    #[arg(long)]
    pub database_url: Option<String>,
    /// Sync with this many `polycart worker` processes sharing the PostgreSQL of
    /// `--database-url` instead of in this process.
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub workers: Option<u16>,
    /// With `--workers`: jobs each worker runs at once.
    #[arg(long, default_value_t = 32, value_parser = clap::value_parser!(u16).range(1..=1000))]
    pub worker_concurrency: u16,
    /// With `--workers`: the lease lifetime in seconds (how soon a dead worker's jobs
    /// are taken over).
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u16).range(1..=3600))]
    pub lease_secs: u16,
    /// With `--workers`: the most jobs one lease transaction takes.
    #[arg(long, default_value_t = crate::store::MAX_LEASE_BATCH as u16,
          value_parser = clap::value_parser!(u16).range(1..=crate::store::MAX_LEASE_BATCH as i64))]
    pub lease_batch: u16,
    /// With `--workers`: SIGKILL one worker once a third of the fleet is synced (a
    /// replacement starts), then check that every record arrived exactly once.
    #[arg(long, requires = "workers")]
    pub kill_one: bool,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, clap::Args)]
pub struct StoreArgs {
    #[arg(long, default_value_t = 100_000)]
    pub records: usize,
    /// Records per committed page (one transaction each).
    #[arg(long, default_value_t = 250)]
    pub page_size: usize,
    /// Prepare (serialise, hash, compress) each page inside its commit instead of
    /// beside the commit before it.
    #[arg(long)]
    pub serial: bool,
    /// The sync store (default: a fresh SQLite file; PostgreSQL in a fresh schema).
    #[arg(long)]
    pub database_url: Option<String>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, clap::Args)]
pub struct RetentionArgs {
    #[arg(long, default_value_t = 20_000)]
    pub orders: usize,
    /// Incremental syncs after the first, full one.
    #[arg(long, default_value_t = 20)]
    pub rounds: usize,
    /// The share of orders changed before each incremental sync.
    #[arg(long, default_value_t = 0.1)]
    pub changed: f64,
    /// Rounds still within retention at the first compaction.
    #[arg(long, default_value_t = 5)]
    pub keep_rounds: usize,
    #[arg(long, default_value_t = 250)]
    pub page_size: usize,
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// The sync store (default: a fresh SQLite file; PostgreSQL in a fresh schema).
    #[arg(long)]
    pub database_url: Option<String>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, clap::Args)]
pub struct SimHostArgs {
    #[arg(long)]
    pub platform: String,
    #[arg(long)]
    pub stores: usize,
    #[arg(long)]
    pub seed: u64,
    #[arg(long)]
    pub orders: usize,
    #[arg(long)]
    pub products: usize,
    #[arg(long)]
    pub customers: usize,
}

pub async fn run(args: &Args) -> Result<String, String> {
    match &args.command {
        BenchCommand::Sync(a) => {
            let mut settings = BTreeMap::new();
            for kv in &a.settings {
                let (k, v) = kv
                    .split_once('=')
                    .ok_or_else(|| format!("--setting {kv:?} is not KEY=VALUE"))?;
                settings.insert(k.to_owned(), v.to_owned());
            }
            let size = StoreSize {
                orders: a.orders,
                products: a.products,
                customers: a.customers,
            };
            let mut entities = a.entities.clone();
            if entities.is_empty() {
                entities = entities_with_records(size);
            }
            if let Some(kills) = a.interrupt {
                if a.no_bulk || a.page_size.is_some() || a.database_url.is_some() {
                    return Err(
                        "--interrupt runs `polycart sync` as the user does: no --no-bulk, --page-size or --database-url"
                            .to_owned(),
                    );
                }
                let bench = interrupt::InterruptBench {
                    platform: a.platform.clone(),
                    seed: a.seed,
                    size,
                    plan: a.plan.clone(),
                    settings,
                    entities,
                    kills,
                    kill_after: std::time::Duration::from_millis(a.kill_after_ms),
                    sync_exe: a.sync_exe.clone(),
                };
                let f = interrupt::run(&bench).await.map_err(|e| e.to_string())?;
                return Ok(shown(a.json, &f, |f| {
                    format!(
                        "platform {}: {} records; after {} kills the next sync finished in {:.2} s ({:.2} s in all), {}, peak RSS {:.1} MiB{}",
                        f.platform,
                        f.records,
                        f.kills,
                        f.finish_seconds,
                        f.total_seconds,
                        if f.paged {
                            "paged where a bulk export was asked for"
                        } else {
                            "listed as configured (no fallback to paging)"
                        },
                        f.peak_rss_bytes as f64 / 1048576.0,
                        f.notes
                            .iter()
                            .map(|n| format!("\n  note: {n}"))
                            .collect::<String>()
                    )
                }));
            }
            let bench = sync::SyncBench {
                platform: a.platform.clone(),
                seed: a.seed,
                size,
                plan: a.plan.clone(),
                settings,
                entities,
                page_size: a.page_size,
                bulk: !a.no_bulk,
                database_url: a.database_url.clone(),
            };
            let f = sync::run(&bench).await.map_err(|e| e.to_string())?;
            Ok(shown(a.json, &f, |f| {
                format!(
                    "platform {}: {} records in {:.2} s = {:.0} records/s\n\
                     requests {}, 429s {}, governor wait {:.2} s, budget utilisation {:.1} %\n\
                     peak RSS {:.1} MiB",
                    f.platform,
                    f.records,
                    f.seconds,
                    f.records_per_s,
                    f.requests,
                    f.throttled_429,
                    f.governor_wait_s,
                    f.budget_utilization_pct,
                    f.peak_rss_bytes as f64 / 1048576.0
                )
            }))
        }
        BenchCommand::Fleet(a) => {
            let bench = fleet::FleetBench {
                platform: a.platform.clone(),
                stores: a.stores,
                size: StoreSize {
                    orders: a.orders,
                    products: a.products,
                    customers: a.customers,
                },
                per_host: a.per_host,
                concurrency: a.concurrency,
                seed: a.seed,
                database_url: a.database_url.clone(),
                exe: std::env::current_exe().map_err(|e| e.to_string())?,
            };
            if let Some(count) = a.workers {
                let spec = workers::Workers {
                    count: usize::from(count),
                    concurrency: usize::from(a.worker_concurrency),
                    lease_secs: u64::from(a.lease_secs),
                    lease_batch: usize::from(a.lease_batch),
                    kill_one: a.kill_one,
                };
                let f = workers::run(&bench, &spec)
                    .await
                    .map_err(|e| e.to_string())?;
                let text = shown(a.json, &f, worker_fleet_text);
                if !f.exact {
                    return Err(format!(
                        "{text}\nrecords are NOT exact: a store × entity holds other than the simulator's records, or a record was created twice"
                    ));
                }
                return Ok(text);
            }
            let f = fleet::run(&bench).await.map_err(|e| e.to_string())?;
            Ok(shown(a.json, &f, |f| {
                format!(
                    "{} stores: {} records in {:.2} s = {:.0} records/s\n\
                     peak RSS {:.1} MiB, {:.1} KiB per store, fairness {:.2}, 429s {}",
                    f.stores,
                    f.records,
                    f.seconds,
                    f.records_per_s,
                    f.peak_rss_bytes as f64 / 1048576.0,
                    f.rss_per_store_bytes as f64 / 1024.0,
                    f.fairness_ratio,
                    f.throttled_429
                )
            }))
        }
        BenchCommand::Store(a) => {
            let bench = ingest::IngestBench {
                records: a.records,
                page_size: a.page_size,
                database_url: a.database_url.clone(),
                serial: a.serial,
            };
            let f = ingest::run(&bench).await.map_err(|e| e.to_string())?;
            Ok(shown(a.json, &f, |f| {
                format!(
                    "{}: {} records in pages of {}{} in {:.2} s = {:.0} records/s (unchanged again: {:.0} records/s)",
                    f.backend,
                    f.records,
                    f.page_size,
                    if f.pipelined { "" } else { " (serial)" },
                    f.seconds,
                    f.records_per_s,
                    f.unchanged_records_per_s
                )
            }))
        }
        BenchCommand::Retention(a) => {
            let bench = retention::RetentionBench {
                orders: a.orders,
                rounds: a.rounds,
                changed: a.changed,
                keep_rounds: a.keep_rounds,
                page_size: a.page_size,
                seed: a.seed,
                database_url: a.database_url.clone(),
            };
            let f = retention::run(&bench).await.map_err(|e| e.to_string())?;
            Ok(shown(a.json, &f, retention_table))
        }
        BenchCommand::SimHost(a) => {
            let size = StoreSize {
                orders: a.orders,
                products: a.products,
                customers: a.customers,
            };
            fleet::host_simulators(&a.platform, a.stores, a.seed, size)
                .await
                .map_err(|e| e.to_string())?;
            Ok(String::new())
        }
    }
}

/// Entities worth syncing for a store of `size`: categories and inventory come with
/// products.
fn entities_with_records(size: StoreSize) -> Vec<Entity> {
    let mut out = Vec::new();
    if size.orders > 0 {
        out.push(Entity::Order);
    }
    if size.products > 0 {
        out.extend([Entity::Product, Entity::Category, Entity::Inventory]);
    }
    if size.customers > 0 {
        out.push(Entity::Customer);
    }
    out
}

/// Figures as one JSON object (`--json`) or as `text` makes them.
fn shown<T: serde::Serialize>(json: bool, figures: &T, text: impl FnOnce(&T) -> String) -> String {
    if json {
        serde_json::to_string(figures).expect("figures serialise")
    } else {
        text(figures)
    }
}

/// The figures of a fleet synced by worker processes.
fn worker_fleet_text(f: &workers::WorkerFleetFigures) -> String {
    let mib = |b: u64| b as f64 / 1048576.0;
    let mut lines = vec![
        format!(
            "{} workers, {} stores: {} records in {:.2} s = {:.1} stores/s, {:.0} records/s",
            f.workers, f.stores, f.records, f.seconds, f.stores_per_s, f.records_per_s
        ),
        format!(
            "store finished after p50 {:.2} s, p99 {:.2} s (fairness {:.2}); queue latency due → leased p50 {:.0} ms, p99 {:.0} ms",
            f.store_finish_p50_s,
            f.store_finish_p99_s,
            f.fairness_ratio,
            f.queue_latency_p50_ms,
            f.queue_latency_p99_ms
        ),
        format!(
            "worker peak RSS {} MiB; {:.1} KiB per store per worker",
            f.worker_peak_rss_bytes
                .iter()
                .map(|b| format!("{:.1}", mib(*b)))
                .collect::<Vec<_>>()
                .join(", "),
            f.rss_per_store_per_worker_bytes as f64 / 1024.0
        ),
        format!(
            "runs {:?}; killed a worker after {}; records exact: {}",
            f.runs,
            f.killed_after_s
                .map_or("—".to_owned(), |s| format!("{s:.2} s")),
            f.exact
        ),
        format!(
            "CPU {:.0} % busy of {} cores; seconds: {}",
            f.cpu.busy_percent,
            f.cpu.cores,
            f.cpu
                .seconds_by_role
                .iter()
                .map(|(role, s)| format!("{role} {s:.1}"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        format!(
            "database sessions (mean over {} samples): {}",
            f.db_samples,
            f.db_sessions
                .iter()
                .map(|(what, n)| format!("{what} {:.2}", *n as f64 / f.db_samples.max(1) as f64))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    ];
    for r in f.relations.iter().filter(|r| r.bytes >= 1 << 20) {
        lines.push(format!(
            "  {:<32} {:<5} {:>9.1} MiB",
            r.name,
            r.kind,
            mib(r.bytes)
        ));
    }
    lines.join("\n")
}

/// The retention figures as a table.
fn retention_table(f: &retention::RetentionFigures) -> String {
    let row = |label: &str, s: &retention::Size| {
        format!(
            "{label:<34} {:>8} {:>8} {:>9} {:>10.1} {:>11.1}",
            s.records,
            s.changes,
            s.documents,
            s.bytes as f64 / 1048576.0,
            s.bytes_on_disk as f64 / 1048576.0
        )
    };
    [
        format!(
            "{}: {} orders, {} incremental syncs of {} changed orders each ({:.1} s)",
            f.backend, f.orders, f.rounds, f.changed_per_round, f.sync_seconds
        ),
        format!(
            "{:<34} {:>8} {:>8} {:>9} {:>10} {:>11}",
            "", "records", "changes", "documents", "MiB in use", "MiB on disk"
        ),
        row("after the first (full) sync", &f.after_first_sync),
        row(
            &format!("after {} incremental syncs", f.rounds),
            &f.after_rounds,
        ),
        row(
            &format!("compacted, last {} rounds kept", f.keep_rounds),
            &f.compacted_keeping_rounds,
        ),
        row(
            "compacted, current versions only",
            &f.compacted_current_only,
        ),
        format!(
            "compaction: {:.2} s in {} transactions of at most {} rows (limit {})",
            f.compaction_seconds, f.compaction_batches, f.largest_batch, f.batch_limit
        ),
    ]
    .join("\n")
}
