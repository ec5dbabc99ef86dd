//! The sync engine's suites, each test run on SQLite and (when `POLYCART_TEST_PG_URL`
//! is set; under `CI=true` it must be) PostgreSQL unless it is about one process:
//! incremental sync with records changing while paging, reconciliation of deletions,
//! store health (circuit breaker, auth back-off), scheduling and fairness, interrupted
//! and fenced-out work, webhook re-reads and outbound deliveries surviving a receiver
//! outage. The store's own suite is `tests/store/`; kill -9 of `polycart sync` and
//! three `polycart worker` processes are in `tests/cli_sync.rs`, against a platform
//! simulator.

#[path = "../common/mod.rs"]
mod common;

mod circuit;
mod reconcile;
mod resume;
mod scheduling;
mod sync;
mod webhooks;

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use chrono::Utc;
use polycart::engine::{Job, NoProgress, SyncMode};
use polycart::store::Store;
use polycart_kit::Entity;

/// A stop signal that never fires.
pub(crate) fn never() -> bool {
    false
}

/// One pass of a store's customers (no lease, no catch-up: the scheduler's kind).
pub(crate) async fn customer_pass(
    engine: &polycart::engine::Engine,
    store_id: &str,
) -> polycart::engine::Result<polycart::engine::SliceReport> {
    engine
        .run_job(&Job::new(store_id, Entity::Customer), &never, &NoProgress)
        .await
}

/// A store's customers synced as `polycart sync` does (under a lease, to the end,
/// with its catch-up pass).
pub(crate) async fn sync_customers(
    engine: &polycart::engine::Engine,
    store_id: &str,
) -> polycart::engine::SliceReport {
    let stop = AtomicBool::new(false);
    let pairs = vec![(store_id.to_owned(), Entity::Customer)];
    let mut results = engine
        .sync_all(pairs, SyncMode::Auto, &NoProgress, &stop)
        .await;
    results
        .pop()
        .expect("one pair")
        .2
        .expect("the sync succeeds")
}

/// What the scheduler of worker "w" leases at `at` (a five-second lease).
pub(crate) async fn lease_at(
    store: &Arc<dyn Store>,
    at: chrono::DateTime<Utc>,
) -> Option<polycart::store::Lease> {
    store
        .lease_job("w", at, at + chrono::Duration::seconds(5))
        .await
        .unwrap()
}
