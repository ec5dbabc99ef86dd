//! The worker: leases due jobs (store × entity) from the sync store, runs a bounded
//! slice of pages for each (fairness: a huge store gives its slot back after
//! `slice_pages` and queues behind stores already due), keeps leases alive with a
//! heartbeat, delivers outbound webhooks, runs the store's [`super::maintenance`],
//! and stops gracefully between pages.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use tokio::sync::{Semaphore, watch};
use tokio::task::JoinHandle;

use super::{Clock, Engine, Error, Job, NoProgress, Progress, Result, SliceReport};
use crate::store::{Lease, MAX_LEASE_BATCH, Store};

/// What a worker did before it stopped.
#[derive(Debug, Default)]
pub struct WorkerStats {
    pub slices: AtomicU64,
    pub passes_finished: AtomicU64,
    pub errors: AtomicU64,
    pub deliveries: AtomicU64,
}

/// Renews `lease` every third of its lifetime; sets `lost` when another worker took it.
pub fn heartbeat(
    store: Arc<dyn Store>,
    lease: Lease,
    ttl: chrono::Duration,
    clock: Clock,
    lost: Arc<AtomicBool>,
) -> JoinHandle<()> {
    let every = (ttl / 3)
        .to_std()
        .unwrap_or(std::time::Duration::from_secs(1));
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(every).await;
            match store.renew_lease(&lease, clock.now() + ttl).await {
                Ok(()) => {}
                Err(crate::store::Error::LeaseLost { .. }) => {
                    lost.store(true, Ordering::Relaxed);
                    return;
                }
                Err(e) => tracing::warn!(error = %e, job = lease.job_id, "lease renewal failed"),
            }
        }
    })
}

/// When a job whose pass finished is due again: `interval_secs` after `now`, the
/// interval held to what the API accepts, so no stored value can overflow a date.
fn due_after(
    now: chrono::DateTime<chrono::Utc>,
    interval_secs: i64,
) -> chrono::DateTime<chrono::Utc> {
    let secs = interval_secs.clamp(1, crate::store::MAX_INTERVAL_SECS);
    chrono::Duration::try_seconds(secs)
        .and_then(|d| now.checked_add_signed(d))
        .unwrap_or(now)
}

impl Engine {
    /// Runs jobs until `shutdown` turns true, then finishes the pages in flight.
    pub async fn run_worker(
        self: Arc<Self>,
        mut shutdown: watch::Receiver<bool>,
    ) -> Result<Arc<WorkerStats>> {
        let stats = Arc::new(WorkerStats::default());
        let slots = Arc::new(Semaphore::new(self.opts.concurrency.max(1)));
        let stopping = Arc::new(AtomicBool::new(false));
        let deliverer = tokio::spawn(self.clone().deliver_loop(shutdown.clone(), stats.clone()));
        let maintainer = tokio::spawn(self.clone().maintenance_loop(shutdown.clone()));
        loop {
            if *shutdown.borrow() {
                break;
            }
            let permit = tokio::select! {
                p = slots.clone().acquire_owned() => p.expect("the semaphore is never closed"),
                _ = shutdown.changed() => break,
            };
            // Free slots are filled by one lease transaction (up to `lease_batch`).
            let mut permits = vec![permit];
            let batch = self.opts.lease_batch.clamp(1, MAX_LEASE_BATCH);
            while permits.len() < batch {
                match slots.clone().try_acquire_owned() {
                    Ok(p) => permits.push(p),
                    Err(_) => break,
                }
            }
            let now = self.opts.clock.now();
            let leases = match self
                .store
                .lease_jobs(
                    &self.opts.worker_id,
                    now,
                    now + self.opts.lease_ttl,
                    permits.len(),
                )
                .await
            {
                Ok(leases) => leases,
                Err(e) => {
                    tracing::warn!(error = %e, "leasing jobs failed");
                    Vec::new()
                }
            };
            if leases.is_empty() {
                drop(permits);
                tokio::select! {
                    _ = tokio::time::sleep(self.opts.poll_interval) => {}
                    _ = shutdown.changed() => {}
                }
                continue;
            }
            // Slots left over go back (fewer jobs were due than slots free).
            permits.truncate(leases.len());
            for (lease, permit) in leases.into_iter().zip(permits) {
                let engine = self.clone();
                let stats = stats.clone();
                let stopping = stopping.clone();
                tokio::spawn(async move {
                    engine.run_leased(lease, &stopping, &stats).await;
                    drop(permit);
                });
            }
        }
        stopping.store(true, Ordering::Relaxed);
        let all = u32::try_from(self.opts.concurrency.max(1)).unwrap_or(u32::MAX);
        let _drained = slots.acquire_many(all).await;
        let _ = deliverer.await;
        let _ = maintainer.await;
        Ok(stats)
    }

    /// Runs `job` under `lease`: a heartbeat keeps the lease, the job stops between
    /// pages on shutdown or when the lease is lost, and the job is given back due again
    /// after the store's interval (pass finished), at once (slice ended early: it queues
    /// behind every job already waiting), or after `error_retry` (failed).
    pub(crate) async fn run_under_lease(
        &self,
        lease: &Lease,
        job: Job<'_>,
        stopping: &AtomicBool,
        progress: &dyn Progress,
    ) -> Result<SliceReport> {
        let lost = Arc::new(AtomicBool::new(false));
        let beat = heartbeat(
            self.store.clone(),
            lease.clone(),
            self.opts.lease_ttl,
            self.opts.clock.clone(),
            lost.clone(),
        );
        let stop = || stopping.load(Ordering::Relaxed) || lost.load(Ordering::Relaxed);
        let result = self.run_job(&job, &stop, progress).await;
        beat.abort();
        let now = self.opts.clock.now();
        let due = match &result {
            Ok(report) if report.done => {
                let interval = self
                    .store
                    .get_store(&lease.store_id)
                    .await
                    .map(|s| s.interval_secs)
                    .unwrap_or(300);
                due_after(now, interval)
            }
            Ok(_) => now,
            Err(Error::Store(crate::store::Error::LeaseLost { .. })) => return result,
            Err(_) => now + self.opts.error_retry,
        };
        if let Err(e) = self.store.release_job(lease, due).await {
            tracing::warn!(error = %e, job = lease.job_id, "releasing a job failed");
        }
        result
    }

    async fn run_leased(&self, lease: Lease, stopping: &AtomicBool, stats: &WorkerStats) {
        let job = Job::leased(&lease).max_pages(self.opts.slice_pages);
        let result = self
            .run_under_lease(&lease, job, stopping, &NoProgress)
            .await;
        stats.slices.fetch_add(1, Ordering::Relaxed);
        match result {
            Ok(report) if report.done => {
                stats.passes_finished.fetch_add(1, Ordering::Relaxed);
            }
            Ok(_) | Err(Error::Store(crate::store::Error::LeaseLost { .. })) => {}
            Err(e) => {
                stats.errors.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(store = %lease.store_id, entity = %lease.entity, error = %e, "sync failed");
            }
        }
    }

    async fn deliver_loop(
        self: Arc<Self>,
        mut shutdown: watch::Receiver<bool>,
        stats: Arc<WorkerStats>,
    ) {
        loop {
            if *shutdown.borrow() {
                return;
            }
            match self.deliver_once().await {
                Ok(Some(_)) => {
                    stats.deliveries.fetch_add(1, Ordering::Relaxed);
                    continue;
                }
                Ok(None) => {}
                Err(e) => tracing::warn!(error = %e, "outbound delivery failed"),
            }
            tokio::select! {
                _ = tokio::time::sleep(self.opts.poll_interval) => {}
                _ = shutdown.changed() => {}
            }
        }
    }
}
