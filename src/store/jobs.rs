//! Jobs and their leases (one per store × entity: who syncs it, until when, fenced by
//! a token so a worker that lost its lease cannot write), and the sync runs recorded
//! under them.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use polycart_kit::Entity;
use serde::{Deserialize, Serialize};

use super::{Error, Result};

/// The most jobs one [`StoreJobs::lease_jobs`] leases.
pub const MAX_LEASE_BATCH: usize = 64;

/// A job lease held by a worker: the right to sync one store × entity.
#[derive(Debug, Clone, PartialEq)]
pub struct Lease {
    pub job_id: i64,
    pub store_id: String,
    pub entity: Entity,
    pub owner: String,
    pub until: DateTime<Utc>,
    /// The fencing token: the job's lease count when this lease was granted. A commit
    /// is refused once the job was leased again, even to an owner of the same name (two
    /// workers started with one `--id`, or a lease that expired and was re-leased by
    /// another task of the same process).
    pub token: i64,
}

/// Statistics of one sync run.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SyncRun {
    pub id: i64,
    pub store_id: String,
    pub entity: String,
    pub kind: String,
    /// The worker that ran it: under a lease, always the lease's owner.
    pub worker: String,
    pub state: RunState,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    pub pages: i64,
    pub records: i64,
    pub changed: i64,
    pub error: Option<String>,
    /// What the run's adapter said of how it listed (a slower path taken, and why).
    pub note: Option<String>,
}

/// Where a sync run stands.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunState {
    #[default]
    Running,
    Finished,
    Failed,
    /// Its worker stopped renewing the lease (died) and another worker leased the job:
    /// the run will never finish. Closed with the takeover's time and an error naming
    /// both workers.
    Abandoned,
}

impl RunState {
    pub fn as_str(self) -> &'static str {
        match self {
            RunState::Running => "running",
            RunState::Finished => "finished",
            RunState::Failed => "failed",
            RunState::Abandoned => "abandoned",
        }
    }

    pub fn parse(s: &str) -> Result<Self> {
        Ok(match s {
            "running" => RunState::Running,
            "finished" => RunState::Finished,
            "failed" => RunState::Failed,
            "abandoned" => RunState::Abandoned,
            other => return Err(Error::Corrupt(format!("unknown run state {other:?}"))),
        })
    }
}

/// Job leases and sync runs.
#[async_trait]
pub trait StoreJobs: Send + Sync {
    // --- sync runs
    async fn start_run(
        &self,
        store_id: &str,
        entity: Entity,
        kind: &str,
        worker: &str,
    ) -> Result<i64>;
    /// Starts a run under `lease`: recorded as the lease owner's, and closed as
    /// abandoned should the job be leased again before it finishes.
    async fn start_leased_run(&self, lease: &Lease, kind: &str) -> Result<i64>;
    /// Closes a running run (finished, or failed with its error); a run already closed
    /// (abandoned after a takeover) is left as it is.
    async fn finish_run(&self, run: &SyncRun) -> Result<()>;
    async fn runs(&self, store_id: Option<&str>) -> Result<Vec<SyncRun>>;
    /// A store's latest `limit` runs, newest first (what a dashboard charts).
    async fn recent_runs(&self, store_id: &str, limit: i64) -> Result<Vec<SyncRun>>;

    // --- jobs
    /// Leases the most overdue job whose store is not backing off and whose lease is
    /// free or expired. Two holders never hold one job at once. Runs of an earlier
    /// lease still running (their worker died) are closed as abandoned.
    async fn lease_job(
        &self,
        owner: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Option<Lease>> {
        Ok(self.lease_jobs(owner, now, until, 1).await?.pop())
    }
    /// [`StoreJobs::lease_job`] of up to `limit` jobs (1..=[`MAX_LEASE_BATCH`]) in one
    /// transaction, most overdue first: a worker with several free slots fills them
    /// with one round trip and one commit instead of one each.
    async fn lease_jobs(
        &self,
        owner: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<Lease>>;
    /// Extends a lease; [`Error::LeaseLost`] when another worker took it over.
    async fn renew_lease(&self, lease: &Lease, until: DateTime<Utc>) -> Result<()>;
    /// Gives a job back, due again at `due_at`.
    async fn release_job(&self, lease: &Lease, due_at: DateTime<Utc>) -> Result<()>;
    /// Leases one store × entity's job (creating it if missing) when it is free,
    /// expired, already ours, or held by an owner `may_steal` says is dead; otherwise
    /// returns the holder. Like [`StoreJobs::lease_job`], closes earlier leases' runs.
    async fn claim_job(
        &self,
        store_id: &str,
        entity: Entity,
        owner: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
        may_steal: for<'x> fn(&'x str) -> bool,
    ) -> Result<std::result::Result<Lease, String>>;
    /// Makes a store's jobs due now.
    async fn schedule_now(&self, store_id: &str) -> Result<()>;
    /// Jobs leased now (running) or due by `now` (queued), at most `limit`, running
    /// first, then the most overdue.
    async fn active_jobs(&self, now: DateTime<Utc>, limit: i64) -> Result<Vec<JobStatus>>;
}

/// A job as an operator sees it: who holds it and until when, or since when it waits.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JobStatus {
    pub store_id: String,
    pub entity: String,
    pub due_at: DateTime<Utc>,
    /// The worker holding the lease (a running job), if any.
    pub worker: Option<String>,
    pub lease_until: Option<DateTime<Utc>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_states_round_trip_and_unknown_ones_are_corruption() {
        for state in [
            RunState::Running,
            RunState::Finished,
            RunState::Failed,
            RunState::Abandoned,
        ] {
            assert_eq!(RunState::parse(state.as_str()).unwrap(), state);
        }
        assert!(matches!(RunState::parse("lost"), Err(Error::Corrupt(_))));
    }
}
