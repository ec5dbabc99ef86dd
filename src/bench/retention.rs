//! `polycart bench retention`: how big the sync store grows when a shop's orders keep
//! changing, and what retention and compaction give back. A store of real-shaped
//! orders ([`super::orders`]) is synced in full, then `rounds` incremental syncs each
//! change a share of its orders; every page is committed exactly as a sync commits
//! it. The change feed keeps every version, so the store grows by each round's
//! versions. Then the scheduler's own compaction ([`crate::engine::maintenance`], in
//! its bounded batches) runs twice: with the retention horizon placed so the last
//! `keep_rounds` rounds stay in the feed, then with everything past retention (only
//! each record's current version left).
//!
//! Sizes are the database's bytes in use: SQLite's pages less its free list (freed
//! pages are reused before the file grows); PostgreSQL's relations with indexes and
//! TOAST after a `VACUUM FULL` of the run's schema (deleted rows' space is otherwise
//! only marked reusable).

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use polycart_kit::Record;
use rand::SeedableRng;
use serde::Serialize;

use super::orders::{Orders, commit};
use super::{BenchDb, Error, Result};
use crate::engine::EngineOptions;
use crate::engine::maintenance::{Compaction, CompactionReport, compact};
use crate::store::{Pass, StorageStats, Store};

/// What to run.
#[derive(Debug, Clone)]
pub struct RetentionBench {
    pub orders: usize,
    pub rounds: usize,
    /// The share of orders changed in each round (0..=1).
    pub changed: f64,
    /// Rounds whose changes are still within retention at the first compaction.
    pub keep_rounds: usize,
    pub page_size: usize,
    pub seed: u64,
    pub database_url: Option<String>,
}

/// The store's size at one point; the JSON keys are a contract (`--json`).
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Size {
    pub records: u64,
    pub changes: u64,
    pub documents: u64,
    /// Bytes in use (see the module's doc).
    pub bytes: u64,
    /// The database's size on disk: SQLite's file keeps its freed pages for reuse.
    pub bytes_on_disk: u64,
}

impl From<StorageStats> for Size {
    fn from(s: StorageStats) -> Self {
        Self {
            records: s.records,
            changes: s.changes,
            documents: s.documents,
            bytes: s.bytes_in_use,
            bytes_on_disk: s.bytes_on_disk,
        }
    }
}

/// The figures of one run; the JSON keys are a contract (`--json`).
#[derive(Debug, Clone, Serialize)]
pub struct RetentionFigures {
    pub backend: String,
    pub orders: u64,
    pub rounds: u64,
    pub changed_per_round: u64,
    pub keep_rounds: u64,
    pub after_first_sync: Size,
    pub after_rounds: Size,
    /// Compacted with the last `keep_rounds` rounds still within retention.
    pub compacted_keeping_rounds: Size,
    /// Compacted with every change past retention: current versions only.
    pub compacted_current_only: Size,
    pub sync_seconds: f64,
    pub compaction_seconds: f64,
    pub compaction_batches: u64,
    /// The most rows one compaction transaction touched.
    pub largest_batch: u64,
    pub batch_limit: u64,
}

/// Commits `records` a page at a time under one pass, as a sync does.
async fn commit_pages(
    store: &dyn Store,
    store_id: &str,
    records: &[Record],
    page_size: usize,
    full: bool,
) -> Result<()> {
    let pass = Pass {
        id: store.next_pass_id().await?,
        full,
        since: None,
        started_at: Utc::now(),
        next: None,
        listed_all: false,
        max_updated: None,
    };
    for page in records.chunks(page_size.max(1)) {
        commit(store, store_id, page, &pass).await?;
    }
    Ok(())
}

/// Compacts everything written before `cutoff` in the scheduler's batches, then
/// measures.
async fn compact_to(
    db: &BenchDb,
    cutoff: DateTime<Utc>,
    batch: i64,
    totals: &mut CompactionReport,
    seconds: &mut f64,
) -> Result<Size> {
    let plan = Compaction {
        cutoff,
        batch,
        sweep_batches: None,
        pause: Duration::ZERO,
    };
    let started = Instant::now();
    let report = compact(&*db.store, &plan, &mut 0, &|| false).await?;
    *seconds += started.elapsed().as_secs_f64();
    totals.batches += report.batches;
    totals.largest_batch = totals.largest_batch.max(report.largest_batch);
    measure(db).await
}

/// The store's size now (PostgreSQL: after `VACUUM FULL`, so every figure is live data).
async fn measure(db: &BenchDb) -> Result<Size> {
    db.reclaim().await?;
    Ok(db.store.storage_stats().await?.into())
}

pub async fn run(bench: &RetentionBench) -> Result<RetentionFigures> {
    if !(0.0..=1.0).contains(&bench.changed) {
        return Err(Error::Invalid(
            "--changed is a share between 0 and 1".into(),
        ));
    }
    let db = BenchDb::open(bench.database_url.as_deref()).await?;
    let mut orders = Orders::in_new_store(&*db.store, "retention bench").await?;
    let store_id = orders.store_id().to_owned();
    let started = Instant::now();
    let all = orders.range(0, bench.orders)?;
    commit_pages(&*db.store, &store_id, &all, bench.page_size, true).await?;
    drop(all);
    let after_first_sync = measure(&db).await?;

    let per_round = (bench.orders as f64 * bench.changed).round() as usize;
    let mut rng = rand::rngs::StdRng::seed_from_u64(bench.seed);
    // When each round began: the retention horizon is placed at one of them.
    let mut round_starts = Vec::with_capacity(bench.rounds);
    for round in 1..=bench.rounds {
        round_starts.push(Utc::now());
        let mut picked = rand::seq::index::sample(&mut rng, bench.orders, per_round).into_vec();
        picked.sort_unstable();
        let at = Utc::now();
        let changed = picked
            .into_iter()
            .map(|i| orders.order(i, Some((round, at))))
            .collect::<Result<Vec<_>>>()?;
        commit_pages(&*db.store, &store_id, &changed, bench.page_size, false).await?;
    }
    let sync_seconds = started.elapsed().as_secs_f64();
    let after_rounds = measure(&db).await?;

    let batch = EngineOptions::default().maintenance_batch;
    let mut totals = CompactionReport::default();
    let mut compaction_seconds = 0.0;
    let everything = || Utc::now() + chrono::Duration::seconds(1);
    let kept_cutoff = if bench.keep_rounds == 0 {
        everything()
    } else if bench.keep_rounds >= bench.rounds {
        // Every round kept: only the first sync's changes are past retention.
        round_starts.first().copied().unwrap_or_else(everything)
    } else {
        round_starts[bench.rounds - bench.keep_rounds]
    };
    let compacted_keeping_rounds = compact_to(
        &db,
        kept_cutoff,
        batch,
        &mut totals,
        &mut compaction_seconds,
    )
    .await?;
    let compacted_current_only = compact_to(
        &db,
        everything(),
        batch,
        &mut totals,
        &mut compaction_seconds,
    )
    .await?;
    let backend = format!("{:?}", db.store.backend()).to_lowercase();
    db.close().await;
    // Compaction must leave every record's current version and nothing else.
    if compacted_current_only.documents != bench.orders as u64
        || compacted_current_only.changes != 0
    {
        return Err(Error::Invalid(format!(
            "compaction left {} documents and {} changes for {} orders",
            compacted_current_only.documents, compacted_current_only.changes, bench.orders
        )));
    }
    Ok(RetentionFigures {
        backend,
        orders: bench.orders as u64,
        rounds: bench.rounds as u64,
        changed_per_round: per_round as u64,
        keep_rounds: bench.keep_rounds as u64,
        after_first_sync,
        after_rounds,
        compacted_keeping_rounds,
        compacted_current_only,
        sync_seconds,
        compaction_seconds,
        compaction_batches: totals.batches,
        largest_batch: totals.largest_batch,
        batch_limit: batch as u64,
    })
}
