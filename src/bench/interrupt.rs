//! `polycart bench sync --interrupt N`: a store's first sync, run as the user runs it
//! (`polycart sync` in a process of its own), killed with SIGKILL N times in its first
//! seconds, then finished by one more `polycart sync`. A killed run leaves its work on
//! the platform (a Shopify bulk operation keeps running, holding one of the shop's
//! bulk slots); the figure is how long the finishing run takes, and how it listed:
//! as configured, or paged where a bulk export was asked for (the run records say
//! why). With N = 0 it is one uninterrupted sync in a process of its own, whose peak
//! RSS is the sync's alone (the simulator, holding the whole store, stays in the
//! bench's process).

use std::collections::BTreeMap;
use std::process::Stdio;
use std::time::{Duration, Instant};

use polycart_kit::Entity;
use polycart_kit::sim::StoreSize;
use serde::Serialize;

use super::{Error, Result};

/// What to run.
#[derive(Debug, Clone)]
pub struct InterruptBench {
    pub platform: String,
    pub seed: u64,
    pub size: StoreSize,
    pub plan: Option<String>,
    pub settings: BTreeMap<String, String>,
    pub entities: Vec<Entity>,
    /// Runs killed before the one that finishes.
    pub kills: u32,
    /// How long each killed run is let go.
    pub kill_after: Duration,
    /// The `polycart` executable the syncs run (default: this one), to compare builds.
    pub sync_exe: Option<std::path::PathBuf>,
}

/// The figures of one run; the JSON keys are a contract (`--json`).
#[derive(Debug, Clone, Serialize)]
pub struct InterruptFigures {
    pub platform: String,
    pub kills: u32,
    /// Records the store holds at the end.
    pub records: u64,
    /// The finishing run, from its start to its exit.
    pub finish_seconds: f64,
    /// From the first run's start to the finishing run's exit.
    pub total_seconds: f64,
    /// The finishing `polycart sync` process's peak RSS (its high-water mark, read
    /// every 20 ms until it exits; the simulator runs in the bench's process).
    pub peak_rss_bytes: u64,
    /// Whether the finishing run paged an API where a bulk export was asked for.
    pub paged: bool,
    /// What the runs' records say of how they listed.
    pub notes: Vec<String>,
}

/// The `polycart` processes of a run: one executable, one sync store, one key.
struct Polycart {
    exe: std::path::PathBuf,
    database_url: String,
    key: String,
}

impl Polycart {
    fn command(&self, args: &[&str]) -> std::process::Command {
        let mut command = std::process::Command::new(&self.exe);
        command
            .args(args)
            .args(["--database-url", &self.database_url])
            .env(crate::store::KEY_ENV, &self.key)
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        command
    }

    fn sync(&self, store_id: &str) -> std::process::Command {
        self.command(&["sync", "--store", store_id])
    }

    /// Connects the simulator with `polycart stores add` (so the sync store is laid
    /// out by the executable under test); the new store's id.
    async fn add_store(
        &self,
        info: &polycart_kit::sim::SimInfo,
        settings: &BTreeMap<String, String>,
        entities: &[Entity],
    ) -> Result<String> {
        let mut args: Vec<String> = vec![
            "stores".into(),
            "add".into(),
            "--platform".into(),
            info.platform.clone(),
            "--url".into(),
            info.base_url.clone(),
        ];
        for (k, v) in &info.credentials {
            args.extend(["--credential".into(), format!("{k}={v}")]);
        }
        for (k, v) in settings {
            args.extend(["--setting".into(), format!("{k}={v}")]);
        }
        if !entities.is_empty() {
            let names: Vec<&str> = entities.iter().map(|e| e.as_str()).collect();
            args.extend(["--entities".into(), names.join(",")]);
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let mut command = self.command(&args);
        command.stdout(Stdio::piped()).stderr(Stdio::piped());
        let out = tokio::task::spawn_blocking(move || command.output())
            .await
            .map_err(|e| Error::Invalid(format!("polycart stores add: {e}")))?
            .map_err(|e| Error::Invalid(format!("polycart stores add: {e}")))?;
        let stdout = String::from_utf8_lossy(&out.stdout);
        match stdout.lines().last().map(str::trim) {
            Some(id) if out.status.success() && !id.is_empty() => Ok(id.to_owned()),
            _ => Err(Error::Invalid(format!(
                "polycart stores add failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ))),
        }
    }
}

pub async fn run(bench: &InterruptBench) -> Result<InterruptFigures> {
    let (connector, sim, settings) = super::simulated_store(
        &bench.platform,
        bench.seed,
        bench.size,
        bench.plan.as_ref(),
        &bench.settings,
    )
    .await?;
    let dir =
        tempfile::tempdir().map_err(|e| Error::Invalid(format!("temporary directory: {e}")))?;
    let exe = match &bench.sync_exe {
        Some(exe) => exe.clone(),
        None => std::env::current_exe()
            .map_err(|e| Error::Invalid(format!("the polycart executable: {e}")))?,
    };
    let key: String = rand::random::<[u8; 32]>()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let polycart = Polycart {
        exe,
        database_url: format!("sqlite://{}", dir.path().join("bench.db").display()),
        key,
    };
    let store_id = polycart
        .add_store(&sim.info, &settings, &bench.entities)
        .await?;

    let started = Instant::now();
    let spawn_error = |e: std::io::Error| Error::Invalid(format!("starting polycart sync: {e}"));
    // Children are polled, never waited for on a runtime thread: the simulator
    // serving them runs on this runtime.
    let poll = Duration::from_millis(20);
    for _ in 0..bench.kills {
        let mut child = polycart.sync(&store_id).spawn().map_err(spawn_error)?;
        let until = Instant::now() + bench.kill_after;
        while Instant::now() < until {
            if let Some(status) = child.try_wait().map_err(spawn_error)? {
                return Err(Error::Invalid(format!(
                    "the sync to be killed ended first ({status}): make the store bigger or --kill-after-ms shorter"
                )));
            }
            tokio::time::sleep(poll).await;
        }
        // SIGKILL.
        child.kill().map_err(spawn_error)?;
        while child.try_wait().map_err(spawn_error)?.is_none() {
            tokio::time::sleep(poll).await;
        }
    }
    let finishing = Instant::now();
    let mut child = polycart.sync(&store_id).spawn().map_err(spawn_error)?;
    let pid = child.id();
    let mut peak_rss_bytes = 0;
    let status = loop {
        // Its high-water mark, read until it exits.
        peak_rss_bytes = peak_rss_bytes.max(super::rss::peak_bytes_of(pid));
        if let Some(status) = child.try_wait().map_err(spawn_error)? {
            break status;
        }
        tokio::time::sleep(poll).await;
    };
    let finish_seconds = finishing.elapsed().as_secs_f64();
    let total_seconds = started.elapsed().as_secs_f64();
    if !status.success() {
        return Err(Error::Invalid(format!(
            "the finishing sync did not finish ({status})"
        )));
    }
    // Read only now: opened here, the store gets this build's migrations.
    let store = crate::store::open(
        &polycart.database_url,
        Some(crate::store::Cipher::parse(&polycart.key)?),
    )
    .await?;
    let runs = store.runs(Some(&store_id)).await?;
    let last_start = runs
        .iter()
        .filter_map(|r| r.started_at)
        .max()
        .unwrap_or_default();
    // The finishing run's records are the last ones started, one per entity.
    let finishing_runs: Vec<_> = runs
        .iter()
        .filter(|r| {
            r.started_at
                .is_some_and(|t| last_start - t < chrono::TimeDelta::seconds(5))
        })
        .collect();
    let paged = finishing_runs.iter().any(|r| r.note.is_some());
    let notes = runs.iter().filter_map(|r| r.note.clone()).collect();
    let mut records = 0;
    for entity in &bench.entities {
        records += store.count_records(&store_id, *entity, false).await?;
    }
    sim.shutdown().await;
    Ok(InterruptFigures {
        platform: connector.name.to_owned(),
        kills: bench.kills,
        records,
        finish_seconds,
        total_seconds,
        peak_rss_bytes,
        paged,
        notes,
    })
}
