//! `polycart bench fleet`: many small simulated stores synced at once by this one
//! process, as a SaaS vendor's fleet runs. The simulators live in child processes
//! (`polycart bench sim-host`), so this process's memory is the connector's alone:
//! RSS per store is the peak during the sync above the RSS before it, divided by the
//! number of stores. Fairness is the slowest store's finish time over the median's.

use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use polycart_kit::Entity;
use polycart_kit::connector::AdapterContext;
use polycart_kit::sim::{SimInfo, SimOptions, SimServer, StoreSize};
use polycart_kit::transport::TransportMetrics;
use serde::Serialize;

use super::{BenchDb, Error, Result, connect_simulator, listed_entities, rss};
use crate::engine::{Engine, EngineOptions, Progress, RegistrySource, SliceReport, SyncMode};

/// What to run.
#[derive(Debug, Clone)]
pub struct FleetBench {
    pub platform: String,
    pub stores: usize,
    pub size: StoreSize,
    /// Simulators per child process (each holds a listener and its connections).
    pub per_host: usize,
    /// Store × entity syncs at once (each holds a connection while it runs).
    pub concurrency: usize,
    pub seed: u64,
    pub database_url: Option<String>,
    /// The `polycart` binary that hosts the simulators.
    pub exe: std::path::PathBuf,
}

/// The figures of one run; the JSON keys are a contract (`--json`).
#[derive(Debug, Clone, Serialize)]
pub struct FleetFigures {
    pub stores: usize,
    pub records: u64,
    pub seconds: f64,
    pub records_per_s: f64,
    pub peak_rss_bytes: u64,
    pub rss_per_store_bytes: u64,
    pub fairness_ratio: f64,
    pub throttled_429: u64,
}

/// Child processes serving simulators (or workers); killed when dropped.
pub(super) struct Hosts(pub(super) Vec<Child>);

impl Drop for Hosts {
    fn drop(&mut self) {
        for child in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// A hosted simulator's connection line: how to connect, and how many records of
/// each entity it holds (what a complete sync stores).
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub(super) struct HostedSim {
    #[serde(flatten)]
    pub(super) info: SimInfo,
    #[serde(default)]
    pub(super) counts: BTreeMap<Entity, u64>,
}

/// Starts the simulator hosts and reads every simulator's connection line.
pub(super) fn start_hosts(bench: &FleetBench) -> Result<(Hosts, Vec<HostedSim>)> {
    let mut hosts = Hosts(Vec::new());
    let mut infos = Vec::with_capacity(bench.stores);
    let per_host = bench.per_host.max(1);
    let mut first = 0;
    while first < bench.stores {
        let count = per_host.min(bench.stores - first);
        let mut child = Command::new(&bench.exe)
            .args(["bench", "sim-host", "--platform", &bench.platform])
            .args([
                "--stores",
                &count.to_string(),
                "--seed",
                &(bench.seed + first as u64).to_string(),
            ])
            .args([
                "--orders",
                &bench.size.orders.to_string(),
                "--products",
                &bench.size.products.to_string(),
            ])
            .args(["--customers", &bench.size.customers.to_string()])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| Error::Simulator(format!("cannot start {}: {e}", bench.exe.display())))?;
        let stdout = child.stdout.take().expect("stdout is piped");
        hosts.0.push(child);
        let mut lines = BufReader::new(stdout).lines();
        for _ in 0..count {
            let line = lines
                .next()
                .ok_or_else(|| Error::Simulator("a simulator host exited early".into()))?
                .map_err(|e| Error::Simulator(e.to_string()))?;
            let hosted: HostedSim = serde_json::from_str(&line)
                .map_err(|e| Error::Simulator(format!("{e}: {line}")))?;
            infos.push(hosted);
        }
        first += count;
    }
    Ok((hosts, infos))
}

/// When each store finished its last entity.
struct FinishTimes {
    started: Instant,
    left: Mutex<HashMap<String, usize>>,
    finished: Mutex<Vec<Duration>>,
}

impl Progress for FinishTimes {
    fn finished(&self, store: &str, _entity: Entity, report: &SliceReport) {
        if !report.done {
            return;
        }
        let mut left = self.left.lock().expect("finish lock");
        if let Some(n) = left.get_mut(store) {
            *n -= 1;
            if *n == 0 {
                self.finished
                    .lock()
                    .expect("finish lock")
                    .push(self.started.elapsed());
            }
        }
    }
}

/// The slowest finish over the median finish (1.0 when everyone finished together).
pub fn fairness_ratio(finished: &[Duration]) -> f64 {
    if finished.is_empty() {
        return 0.0;
    }
    let mut sorted = finished.to_vec();
    sorted.sort();
    let median = sorted[sorted.len() / 2].as_secs_f64();
    let slowest = sorted[sorted.len() - 1].as_secs_f64();
    if median > 0.0 { slowest / median } else { 1.0 }
}

pub async fn run(bench: &FleetBench) -> Result<FleetFigures> {
    let connector = crate::registry::connector(&bench.platform)?;
    let (hosts, hosted) = tokio::task::block_in_place(|| start_hosts(bench))?;
    let infos: Vec<SimInfo> = hosted.into_iter().map(|h| h.info).collect();
    let settings = BTreeMap::new();
    let entities = match infos.first() {
        Some(info) => listed_entities(connector, info, &settings)?,
        None => return Err(Error::Invalid("a fleet needs at least one store".into())),
    };
    let db = BenchDb::open(bench.database_url.as_deref()).await?;
    let mut pairs = Vec::with_capacity(infos.len() * entities.len());
    let mut left = HashMap::new();
    for (i, info) in infos.iter().enumerate() {
        let id = connect_simulator(
            &*db.store,
            info,
            format!("fleet store {i}"),
            &settings,
            entities.clone(),
        )
        .await?;
        pairs.extend(entities.iter().map(|e| (id.clone(), *e)));
        left.insert(id, entities.len());
    }
    let metrics = Arc::new(TransportMetrics::default());
    let source = Arc::new(RegistrySource {
        context: AdapterContext {
            metrics: metrics.clone(),
            token_sink: None,
        },
    });
    let opts = EngineOptions {
        concurrency: bench.concurrency.clamp(1, infos.len()),
        ..EngineOptions::default()
    };
    let engine = Engine::new(db.store.clone(), source, opts);

    let baseline = rss::current_bytes();
    rss::reset_peak();
    let progress = FinishTimes {
        started: Instant::now(),
        left: Mutex::new(left),
        finished: Mutex::new(Vec::new()),
    };
    let stop = AtomicBool::new(false);
    let results = engine
        .sync_all(pairs, SyncMode::Full, &progress, &stop)
        .await;
    let seconds = progress.started.elapsed().as_secs_f64();
    let peak = rss::peak_bytes().max(baseline);
    let mut records = 0;
    let mut failures = Vec::new();
    for (store, entity, result) in results {
        match result {
            Ok(report) => records += report.records,
            Err(e) => failures.push(format!("{store} {entity}: {e}")),
        }
    }
    drop(hosts);
    db.close().await;
    if let Some(first) = failures.first() {
        return Err(Error::Invalid(format!(
            "{} syncs failed, the first: {first}",
            failures.len()
        )));
    }
    let finished = progress.finished.into_inner().expect("finish lock");
    Ok(FleetFigures {
        stores: infos.len(),
        records,
        seconds,
        records_per_s: records as f64 / seconds.max(1e-9),
        peak_rss_bytes: peak,
        rss_per_store_bytes: (peak - baseline) / infos.len() as u64,
        fairness_ratio: fairness_ratio(&finished),
        throttled_429: metrics.snapshot().throttled_429,
    })
}

/// `polycart bench sim-host`: starts `stores` simulators (seeds `seed..`), prints each
/// one's connection line, and serves until its standard input closes (its parent
/// ended).
pub async fn host_simulators(
    platform: &str,
    stores: usize,
    seed: u64,
    size: StoreSize,
) -> Result<()> {
    use std::io::Write;
    let connector = crate::registry::connector(platform)?;
    let settings = BTreeMap::new();
    let mut entities = None;
    let mut servers: Vec<SimServer> = Vec::with_capacity(stores);
    let mut out = std::io::stdout().lock();
    for i in 0..stores {
        let options = SimOptions {
            seed: seed + i as u64,
            size,
            ..SimOptions::default()
        };
        let server =
            (connector.simulate)(options, "127.0.0.1:0".parse().expect("a loopback address"))
                .await
                .map_err(|e| Error::Simulator(e.to_string()))?;
        if entities.is_none() {
            entities = Some(listed_entities(connector, &server.info, &settings)?);
        }
        let mut counts = BTreeMap::new();
        if let Some(handle) = server.handle() {
            for entity in entities.iter().flatten() {
                if let Ok(ids) = handle.truth(*entity) {
                    counts.insert(*entity, ids.len() as u64);
                }
            }
        }
        let hosted = HostedSim {
            info: server.info.clone(),
            counts,
        };
        let line = serde_json::to_string(&hosted).expect("sim info serialises");
        writeln!(out, "{line}").map_err(|e| Error::Simulator(e.to_string()))?;
        servers.push(server);
    }
    out.flush().map_err(|e| Error::Simulator(e.to_string()))?;
    drop(out);
    // Serve until the parent closes our stdin.
    tokio::task::spawn_blocking(|| {
        let mut sink = String::new();
        while std::io::stdin().read_line(&mut sink).is_ok_and(|n| n > 0) {
            sink.clear();
        }
    })
    .await
    .map_err(|e| Error::Simulator(e.to_string()))?;
    for s in servers {
        s.shutdown().await;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fairness_is_slowest_over_median() {
        let s = |ms: u64| Duration::from_millis(ms);
        assert_eq!(fairness_ratio(&[s(100), s(100), s(100)]), 1.0);
        assert!((fairness_ratio(&[s(50), s(100), s(300)]) - 3.0).abs() < 1e-9);
        assert_eq!(fairness_ratio(&[]), 0.0);
    }
}
