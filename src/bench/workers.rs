//! `polycart bench fleet --workers N`: the fleet synced by N `polycart worker`
//! processes sharing one PostgreSQL, as a scaled-out deployment runs it. The
//! simulators live in their own processes (`bench sim-host`); this process only seeds
//! the stores, releases every job at one instant once the workers are idle, watches,
//! and reads the outcome from the database:
//!
//! - stores/s and records/s from the release to the last store's finish;
//! - fairness: each store's finish time (its last run's end) after the release, the
//!   slowest over the median, and their p50/p99;
//! - job-queue latency: each job's first leased run started this long after it was
//!   due (the release);
//! - memory: each worker's peak RSS above its idle RSS, per store it synced;
//! - exactness: every store × entity holds exactly the simulator's records, each
//!   announced by exactly one `created` change — also after `--kill-one` SIGKILLs a
//!   worker mid-run (a replacement starts, and the dead worker's jobs are taken over
//!   once their leases expire);
//! - the schema's table and index sizes.

use std::collections::BTreeMap;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use chrono::Utc;
use futures::StreamExt;
use serde::Serialize;

use super::cpu::{CpuSnapshot, CpuUsage};
use super::fleet::{FleetBench, HostedSim, start_hosts};
use super::{BenchDb, Error, Result, connect_simulator, listed_entities, rss};
use crate::store::fleet_probe::{FleetProbe, RelationSize};

/// How the workers run.
#[derive(Debug, Clone)]
pub struct Workers {
    pub count: usize,
    /// Jobs each worker runs at once (`polycart worker --concurrency`).
    pub concurrency: usize,
    /// Lease lifetime: how soon a killed worker's jobs are taken over.
    pub lease_secs: u64,
    /// The most jobs one lease transaction takes (`polycart worker --lease-batch`).
    pub lease_batch: usize,
    /// SIGKILL one worker once a third of the pairs are synced, start a replacement.
    pub kill_one: bool,
}

/// The figures of one run; the JSON keys are a contract (`--json`).
#[derive(Debug, Clone, Serialize)]
pub struct WorkerFleetFigures {
    pub workers: usize,
    pub stores: usize,
    pub records: u64,
    pub seconds: f64,
    pub stores_per_s: f64,
    pub records_per_s: f64,
    /// The slowest store's finish over the median store's.
    pub fairness_ratio: f64,
    pub store_finish_p50_s: f64,
    pub store_finish_p99_s: f64,
    /// Due → first leased run started, over every job.
    pub queue_latency_p50_ms: f64,
    pub queue_latency_p99_ms: f64,
    /// Each worker's peak RSS (killed workers: at the kill).
    pub worker_peak_rss_bytes: Vec<u64>,
    /// A worker's peak RSS above its idle RSS, per store it synced (the largest).
    pub rss_per_store_per_worker_bytes: u64,
    /// Seconds after the release when a worker was killed.
    pub killed_after_s: Option<f64>,
    /// Store × entity pairs synced when it was killed, of `pairs`.
    pub killed_after_pairs: Option<u64>,
    pub pairs: u64,
    /// Sync runs by state (`abandoned`: the killed worker's, closed by the takeover).
    pub runs: BTreeMap<String, u64>,
    /// Every store × entity holds exactly the simulator's records, each created once.
    pub exact: bool,
    pub relations: Vec<RelationSize>,
    /// The machine's CPU from the release to the end: busy share of all cores and
    /// seconds per role (`workers`, `postgres`, `simulators`, `bench`).
    pub cpu: CpuUsage,
    /// The database's client sessions, sampled every tick of the run, by what they
    /// were doing ([`FleetProbe::wait_sample`]); `samples` ticks in all.
    pub db_sessions: BTreeMap<String, u64>,
    pub db_samples: u64,
}

/// Worker processes; killed when dropped.
struct Fleet {
    children: Vec<(String, Child)>,
}

impl Fleet {
    fn spawn(
        bench: &FleetBench,
        workers: &Workers,
        url: &str,
        key_hex: &str,
        id: String,
    ) -> Result<(String, Child)> {
        let child = Command::new(&bench.exe)
            .arg("worker")
            .args(["--database-url", url, "--id", &id])
            .args(["--concurrency", &workers.concurrency.max(1).to_string()])
            .args(["--lease-secs", &workers.lease_secs.max(1).to_string()])
            .args(["--lease-batch", &workers.lease_batch.to_string()])
            .args(["--poll-ms", "100"])
            .env("POLYCART_SECRET_KEY", key_hex)
            .env("RUST_LOG", "error")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| Error::Simulator(format!("cannot start a worker: {e}")))?;
        Ok((id, child))
    }
}

impl Drop for Fleet {
    fn drop(&mut self) {
        for (_, child) in &mut self.children {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Seconds from `from` to `to` (negative when `to` is earlier).
fn seconds_between(from: chrono::DateTime<Utc>, to: chrono::DateTime<Utc>) -> f64 {
    (to - from).num_microseconds().unwrap_or(i64::MAX) as f64 / 1e6
}

/// The `q` quantile (0..=1) of `sorted`, nearest rank.
fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

pub async fn run(bench: &FleetBench, workers: &Workers) -> Result<WorkerFleetFigures> {
    let url = match bench.database_url.as_deref() {
        Some(url) if url.starts_with("postgres") => url.to_owned(),
        _ => {
            return Err(Error::Invalid(
                "--workers needs --database-url postgres://...".into(),
            ));
        }
    };
    if workers.count == 0 {
        return Err(Error::Invalid("--workers must be at least 1".into()));
    }
    let connector = crate::registry::connector(&bench.platform)?;
    let (hosts, hosted) = tokio::task::block_in_place(|| start_hosts(bench))?;
    let settings = BTreeMap::new();
    let entities = match hosted.first() {
        Some(h) => listed_entities(connector, &h.info, &settings)?,
        None => return Err(Error::Invalid("a fleet needs at least one store".into())),
    };
    let db = BenchDb::open(Some(&url)).await?;
    let host_pids: Vec<u32> = hosts.0.iter().map(Child::id).collect();
    let outcome = run_on(bench, workers, &db, &hosted, &host_pids, &entities, &url).await;
    drop(hosts);
    db.close().await;
    outcome
}

async fn run_on(
    bench: &FleetBench,
    workers: &Workers,
    db: &BenchDb,
    hosted: &[HostedSim],
    host_pids: &[u32],
    entities: &[polycart_kit::Entity],
    url: &str,
) -> Result<WorkerFleetFigures> {
    let (_, schema) = db
        .pg_schema()
        .ok_or_else(|| Error::Invalid("not PostgreSQL".into()))?;
    let settings = BTreeMap::new();
    // Seed the stores, a few inserts at once (each is one transaction).
    let ids: Vec<Result<String>> = futures::stream::iter(hosted.iter().enumerate())
        .map(|(i, h)| {
            connect_simulator(
                &*db.store,
                &h.info,
                format!("fleet store {i}"),
                &settings,
                entities.to_vec(),
            )
        })
        .buffered(16)
        .collect()
        .await;
    let ids: Vec<String> = ids.into_iter().collect::<Result<_>>()?;
    let probe = FleetProbe::connect(url, schema).await?;
    // Hold every job back while the workers start.
    probe
        .make_due(Utc::now() + chrono::Duration::days(365))
        .await?;
    let worker_url = format!(
        "{url}{}options[search_path]={schema}",
        if url.contains('?') { '&' } else { '?' }
    );
    let key = db.secret_key_hex();
    let mut fleet = Fleet {
        children: Vec::new(),
    };
    for i in 0..workers.count {
        fleet.children.push(Fleet::spawn(
            bench,
            workers,
            &worker_url,
            &key,
            format!("fleet-w{i}"),
        )?);
    }
    // Idle RSS once every worker has migrated, connected and polled.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let mut idle: BTreeMap<String, u64> = fleet
        .children
        .iter()
        .map(|(id, c)| (id.clone(), rss::current_bytes_of(c.id())))
        .collect();
    let mut peaks: BTreeMap<String, u64> = BTreeMap::new();

    let cpu_before = CpuSnapshot::take();
    let released = Utc::now();
    probe.make_due(released).await?;
    let started = Instant::now();
    let (mut db_sessions, mut db_samples) = (BTreeMap::<String, u64>::new(), 0);
    let mut killed_after = None;
    let (mut last_done, mut last_change) = (0, Instant::now());
    let mut pairs;
    let seconds = loop {
        // Often while a kill is pending, so it lands mid-run even in a small fleet.
        let pending_kill = workers.kill_one && killed_after.is_none();
        tokio::time::sleep(Duration::from_millis(if pending_kill { 20 } else { 200 })).await;
        let (done, total) = probe.progress().await?;
        pairs = total;
        for (what, n) in probe.wait_sample().await? {
            *db_sessions.entry(what).or_default() += n;
        }
        db_samples += 1;
        for (_, child) in &mut fleet.children {
            if let Ok(Some(status)) = child.try_wait() {
                return Err(Error::Invalid(format!("a worker exited: {status}")));
            }
        }
        if workers.kill_one && killed_after.is_none() && done * 3 >= total {
            let (id, mut child) = fleet.children.remove(0);
            peaks.insert(id.clone(), rss::peak_bytes_of(child.id()));
            child
                .kill()
                .map_err(|e| Error::Invalid(format!("kill: {e}")))?;
            let _ = child.wait();
            killed_after = Some((started.elapsed().as_secs_f64(), done));
            let replacement = format!("{id}-restarted");
            let spawned = Fleet::spawn(bench, workers, &worker_url, &key, replacement.clone())?;
            idle.insert(replacement, idle.get(&id).copied().unwrap_or(0));
            fleet.children.push(spawned);
        }
        if done >= total {
            break started.elapsed().as_secs_f64();
        }
        if done > last_done {
            (last_done, last_change) = (done, Instant::now());
        } else if last_change.elapsed() > Duration::from_secs(120) {
            return Err(Error::Invalid(format!(
                "no progress for 120 s at {done} of {total} store × entity pairs"
            )));
        }
    };
    for (id, child) in &fleet.children {
        peaks.insert(id.clone(), rss::peak_bytes_of(child.id()));
    }
    let worker_pids: Vec<u32> = fleet.children.iter().map(|(_, c)| c.id()).collect();
    let cpu = cpu_before.usage_until(&CpuSnapshot::take(), |pid, comm| {
        let role = if worker_pids.contains(&pid) {
            "workers"
        } else if host_pids.contains(&pid) {
            "simulators"
        } else if pid == std::process::id() {
            "bench"
        } else if comm == "postgres" {
            "postgres"
        } else {
            return None;
        };
        Some(role.to_owned())
    });
    drop(fleet);

    // Exactness: every pair holds the simulator's records, each created once.
    let counts = probe.pair_counts().await?;
    let mut exact = true;
    let mut records = 0;
    for (store_id, h) in ids.iter().zip(hosted) {
        for entity in entities {
            let stored = counts
                .get(&(store_id.clone(), entity.as_str().to_owned()))
                .copied()
                .unwrap_or_default();
            records += stored.live;
            let expected = h.counts.get(entity).copied();
            if expected.is_some_and(|n| n != stored.live)
                || stored.created_changes != stored.live
                || stored.deleted != 0
            {
                if exact {
                    tracing::error!(
                        store_id = %store_id,
                        entity = entity.as_str(),
                        ?expected,
                        ?stored,
                        "records not exact"
                    );
                }
                exact = false;
            }
        }
    }
    let mut finish: Vec<f64> = probe
        .store_finish_times()
        .await?
        .into_iter()
        .map(|(_, at)| seconds_between(released, at))
        .collect();
    finish.sort_by(f64::total_cmp);
    let mut latency: Vec<f64> = probe
        .first_leases()
        .await?
        .into_iter()
        .map(|at| seconds_between(released, at) * 1000.0)
        .collect();
    latency.sort_by(f64::total_cmp);
    let per_worker = probe.stores_per_worker().await?;
    let rss_per_store = peaks
        .iter()
        .filter_map(|(id, peak)| {
            let stores = *per_worker.get(id)?;
            let above = peak.saturating_sub(idle.get(id).copied().unwrap_or(0));
            (stores > 0).then(|| above / stores)
        })
        .max()
        .unwrap_or(0);
    let tally = probe.run_tally().await?;
    if let Some(error) = &tally.first_error {
        tracing::warn!(error, "a sync run failed");
    }
    let relations = probe.relation_sizes().await?;
    probe.close().await;
    let median = quantile(&finish, 0.5);
    Ok(WorkerFleetFigures {
        workers: workers.count,
        stores: ids.len(),
        records,
        seconds,
        stores_per_s: ids.len() as f64 / seconds.max(1e-9),
        records_per_s: records as f64 / seconds.max(1e-9),
        fairness_ratio: if median > 0.0 {
            quantile(&finish, 1.0) / median
        } else {
            1.0
        },
        store_finish_p50_s: median,
        store_finish_p99_s: quantile(&finish, 0.99),
        queue_latency_p50_ms: quantile(&latency, 0.5),
        queue_latency_p99_ms: quantile(&latency, 0.99),
        worker_peak_rss_bytes: peaks.into_values().collect(),
        rss_per_store_per_worker_bytes: rss_per_store,
        killed_after_s: killed_after.map(|k| k.0),
        killed_after_pairs: killed_after.map(|k| k.1),
        pairs,
        runs: tally.by_state,
        exact,
        relations,
        cpu,
        db_sessions,
        db_samples,
    })
}

#[cfg(test)]
mod tests {
    use super::quantile;

    #[test]
    fn quantiles_are_nearest_rank() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(quantile(&v, 0.5), 50.0);
        assert_eq!(quantile(&v, 0.99), 99.0);
        assert_eq!(quantile(&v, 1.0), 100.0);
        assert_eq!(quantile(&[], 0.5), 0.0);
        assert_eq!(quantile(&[7.0], 0.01), 7.0);
    }
}
