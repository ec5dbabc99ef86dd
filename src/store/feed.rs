//! What retention and compaction of the change feed report, and the states of a sync
//! run.
//!
//! The feed keeps every version a sync wrote (`documents`, named by change rows) until
//! retention drops the change rows older than `POLYCART_CHANGES_RETENTION`, oldest
//! first, so the retained feed is always a suffix and its start (the horizon) is one
//! number per store. A document is collected once no record points at it (a record's
//! current version, live or deleted, is therefore never collected) and no change row
//! names it: at once for the documents of pruned rows, and by a sweep over all
//! documents for the rest (a record's version replaced after its change row was
//! pruned, the records of a removed store). Every call is one short transaction over
//! a bounded number of rows; the scheduler ([`crate::engine::maintenance`]) loops.

use serde::{Deserialize, Serialize};

use super::{Error, Result};

/// What one batch of [`super::Store::prune_changes`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PruneOutcome {
    /// Change rows dropped (at most the batch's limit).
    pub changes: u64,
    /// Documents collected with them (versions nothing else referenced).
    pub documents: u64,
    /// The feed's horizon after the batch: every change up to it is gone.
    pub horizon: i64,
}

/// What one batch of [`super::Store::collect_orphans`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SweepOutcome {
    /// Documents looked at (at most the batch's limit).
    pub examined: u64,
    /// Of those, deleted: referenced by no record and no change.
    pub deleted: u64,
    /// The highest document id examined; `None` when there was none above `after`
    /// (the sweep reached the end).
    pub last: Option<i64>,
}

/// The size of a sync store.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct StorageStats {
    pub records: u64,
    pub changes: u64,
    pub documents: u64,
    /// Bytes the database holds on disk (SQLite: the file's pages; PostgreSQL: every
    /// relation of the schema with its indexes and TOAST).
    pub bytes_on_disk: u64,
    /// Bytes in use: SQLite's pages less its free list (free pages are reused before
    /// the file grows). PostgreSQL reports its on-disk size here too: space freed by
    /// deletions is reused after a vacuum but only `VACUUM FULL` returns it.
    pub bytes_in_use: u64,
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
