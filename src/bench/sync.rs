//! `polycart bench sync`: one simulated store of a chosen size and plan, synced from
//! scratch into a fresh sync store with every entity at once, as a user's first sync
//! would run. Budget utilisation is what the simulator's limiter admitted divided by
//! what it would have admitted from the first request to the end of the run.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use polycart_kit::Entity;
use polycart_kit::connector::AdapterContext;
use polycart_kit::sim::{LimiterUsage, StoreSize};
use polycart_kit::transport::TransportMetrics;
use serde::Serialize;

use super::{BenchDb, Error, Result, connect_simulator, listed_entities, rss};
use crate::engine::{Engine, EngineOptions, NoProgress, RegistrySource, SyncMode};

/// What to run.
#[derive(Debug, Clone)]
pub struct SyncBench {
    pub platform: String,
    pub seed: u64,
    pub size: StoreSize,
    /// The simulator's plan and the store's `plan` setting.
    pub plan: Option<String>,
    /// Further store settings (`api=rest`, ...).
    pub settings: BTreeMap<String, String>,
    /// Only these entities (default: every entity the adapter lists).
    pub entities: Vec<Entity>,
    /// Records per page asked of the adapter (default: the platform's maximum).
    pub page_size: Option<u32>,
    /// Full passes through the platform's bulk export (Shopify bulk operations).
    pub bulk: bool,
    /// `None`: a SQLite file in a temporary directory.
    pub database_url: Option<String>,
}

/// The figures of one run; the JSON keys are a contract (`--json`).
#[derive(Debug, Clone, Serialize)]
pub struct SyncFigures {
    pub platform: String,
    pub records: u64,
    pub seconds: f64,
    pub records_per_s: f64,
    pub requests: u64,
    pub throttled_429: u64,
    pub governor_wait_s: f64,
    pub budget_utilization_pct: f64,
    pub peak_rss_bytes: u64,
}

/// The binding limiter's utilisation in percent: of the simulator's limiters that
/// admitted anything, the one the run used most fully.
pub fn utilization_pct(meters: &[(&'static str, LimiterUsage)]) -> f64 {
    meters
        .iter()
        .filter(|(_, u)| u.spent > 0.0 && u.allowed > 0.0)
        .map(|(_, u)| 100.0 * u.spent / u.allowed)
        .fold(0.0, f64::max)
}

pub async fn run(bench: &SyncBench) -> Result<SyncFigures> {
    let (connector, sim, settings) = super::simulated_store(
        &bench.platform,
        bench.seed,
        bench.size,
        bench.plan.as_ref(),
        &bench.settings,
    )
    .await?;
    let entities = if bench.entities.is_empty() {
        listed_entities(connector, &sim.info, &settings)?
    } else {
        bench.entities.clone()
    };
    let db = BenchDb::open(bench.database_url.as_deref()).await?;
    let store_id = connect_simulator(
        &*db.store,
        &sim.info,
        format!("{} bench", connector.name),
        &settings,
        entities.clone(),
    )
    .await?;

    let metrics = Arc::new(TransportMetrics::default());
    let source = Arc::new(RegistrySource {
        context: AdapterContext {
            metrics: metrics.clone(),
            token_sink: None,
        },
    });
    let opts = EngineOptions {
        concurrency: entities.len().max(1),
        page_size: bench.page_size,
        bulk_full_passes: bench.bulk,
        ..EngineOptions::default()
    };
    let engine = Engine::new(db.store.clone(), source, opts);
    let pairs = entities.iter().map(|e| (store_id.clone(), *e)).collect();
    let stop = AtomicBool::new(false);
    let started = Instant::now();
    let results = engine
        .sync_all(pairs, SyncMode::Full, &NoProgress, &stop)
        .await;
    let seconds = started.elapsed().as_secs_f64();
    let usage = sim.usage();
    let mut records = 0;
    for (_, entity, result) in results {
        let report = result.map_err(|e| Error::Invalid(format!("sync of {entity} failed: {e}")))?;
        records += report.records;
    }
    let m = metrics.snapshot();
    let refused: u64 = usage.iter().map(|(_, u)| u.refused).sum();
    let figures = SyncFigures {
        platform: connector.name.to_owned(),
        records,
        seconds,
        records_per_s: records as f64 / seconds.max(1e-9),
        requests: m.requests,
        throttled_429: m.throttled_429.max(refused),
        governor_wait_s: m.governor_wait.as_secs_f64(),
        budget_utilization_pct: utilization_pct(&usage),
        peak_rss_bytes: rss::peak_bytes(),
    };
    sim.shutdown().await;
    db.close().await;
    Ok(figures)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utilization_is_the_binding_limiter() {
        let rest = LimiterUsage {
            spent: 45.0,
            allowed: 50.0,
            refused: 0,
        };
        let graphql = LimiterUsage {
            spent: 10.0,
            allowed: 2000.0,
            refused: 0,
        };
        let idle = LimiterUsage {
            spent: 0.0,
            allowed: 0.0,
            refused: 0,
        };
        assert_eq!(
            utilization_pct(&[("rest", rest), ("graphql", graphql), ("x", idle)]),
            90.0
        );
        assert_eq!(utilization_pct(&[]), 0.0);
    }
}
