//! Maintenance of the sync store, run by the scheduler (`polycart serve` and
//! `polycart worker`) every `maintenance_every`: the change feed's retention and the
//! compaction of record versions (see [`crate::store::PruneOutcome`] for what is kept).
//!
//! Work goes in small batches, each one short transaction of at most
//! `maintenance_batch` rows with a pause between them, so a sync's page commit (or,
//! on SQLite, any writer) waits for one batch at most, never for a whole backlog.
//! First the change rows past retention, oldest first, with the documents only they
//! kept; then a slice of the orphan sweep, which resumes where the previous run
//! stopped and starts over once it reached the newest document. Several workers may
//! run it at once (PostgreSQL): a batch deletes only what is still there, so work may
//! repeat but never goes wrong.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::watch;

use super::Engine;
use crate::store::{Result, Store};

/// Pause between two batches: lets a waiting writer take the database.
const PAUSE: Duration = Duration::from_millis(5);

/// One maintenance run's bounds.
#[derive(Debug, Clone, Copy)]
pub struct Compaction {
    /// Change rows written before this go.
    pub cutoff: DateTime<Utc>,
    /// Rows per transaction.
    pub batch: i64,
    /// Orphan-sweep batches this run may use; `None`: to the newest document.
    pub sweep_batches: Option<u64>,
    pub pause: Duration,
}

/// What a maintenance run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CompactionReport {
    /// Transactions run (retention and sweep).
    pub batches: u64,
    /// The most rows one transaction touched: never above the batch size.
    pub largest_batch: u64,
    pub changes_pruned: u64,
    pub documents_collected: u64,
    pub documents_swept: u64,
    /// The feed's horizon afterwards: every change up to it is gone.
    pub horizon: i64,
    /// The sweep reached the newest document (and starts over next time).
    pub sweep_done: bool,
}

impl CompactionReport {
    fn batch(&mut self, rows: u64) {
        self.batches += 1;
        self.largest_batch = self.largest_batch.max(rows);
    }
}

/// Runs one maintenance pass over `store`. `sweep` is where the orphan sweep stands
/// (a document id; 0 at first) and moves on. Stops between batches once `stop` says so.
pub async fn compact(
    store: &dyn Store,
    plan: &Compaction,
    sweep: &mut i64,
    stop: &(dyn Fn() -> bool + Send + Sync),
) -> Result<CompactionReport> {
    let mut report = CompactionReport::default();
    loop {
        let pruned = store.prune_changes(plan.cutoff, plan.batch).await?;
        report.batch(pruned.changes);
        report.changes_pruned += pruned.changes;
        report.documents_collected += pruned.documents;
        report.horizon = pruned.horizon;
        // A short batch: nothing older is left.
        if pruned.changes < plan.batch.max(1) as u64 || stop() {
            break;
        }
        tokio::time::sleep(plan.pause).await;
    }
    let mut used = 0;
    while plan.sweep_batches.is_none_or(|budget| used < budget) && !stop() {
        if used > 0 {
            tokio::time::sleep(plan.pause).await;
        }
        let swept = store.collect_orphans(*sweep, plan.batch).await?;
        used += 1;
        report.batch(swept.examined);
        report.documents_swept += swept.examined;
        report.documents_collected += swept.deleted;
        match swept.last {
            Some(last) => *sweep = last,
            None => {
                *sweep = 0;
                report.sweep_done = true;
                break;
            }
        }
    }
    Ok(report)
}

impl Engine {
    /// A maintenance run's bounds under this engine's options, its clock deciding
    /// what is past retention.
    fn compaction(&self) -> Compaction {
        Compaction {
            cutoff: self.opts.clock.now() - self.opts.changes_retention,
            batch: self.opts.maintenance_batch.max(1),
            sweep_batches: Some(self.opts.sweep_batches.max(1)),
            pause: PAUSE,
        }
    }

    /// One maintenance run with this engine's retention and batch size.
    pub async fn maintain_once(&self, sweep: &mut i64) -> Result<CompactionReport> {
        compact(&*self.store, &self.compaction(), sweep, &|| false).await
    }

    /// Runs maintenance every `maintenance_every` until `shutdown`, stopping a run
    /// between batches when it comes.
    pub(crate) async fn maintenance_loop(self: Arc<Self>, mut shutdown: watch::Receiver<bool>) {
        let mut sweep = 0;
        loop {
            tokio::select! {
                _ = tokio::time::sleep(self.opts.maintenance_every) => {}
                changed = shutdown.changed() => if changed.is_err() { return },
            }
            let watcher = shutdown.clone();
            let stop = move || *watcher.borrow();
            if stop() {
                return;
            }
            match compact(&*self.store, &self.compaction(), &mut sweep, &stop).await {
                Ok(report) if report.changes_pruned + report.documents_collected > 0 => {
                    tracing::info!(
                        changes = report.changes_pruned,
                        documents = report.documents_collected,
                        horizon = report.horizon,
                        "change feed compacted"
                    );
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "change feed maintenance failed"),
            }
        }
    }
}
