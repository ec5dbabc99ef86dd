//! The change feed: every change a sync or a webhook wrote, read by sequence number;
//! and what its retention and compaction report.
//!
//! Numbers grow in the order changes became visible, so a reader that has seen number
//! N never finds a later-committed change below it: SQLite numbers a change as it
//! commits it (one writer at a time); PostgreSQL appends changes unnumbered and numbers
//! them when the feed is next read, so that concurrent workers' commits never wait on
//! one counter (`sequence_changes` in `postgres.rs`).
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

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use polycart_kit::Entity;
use serde::{Deserialize, Serialize};

use super::{Error, Result};

/// The kind of a change in the feed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    Created,
    Updated,
    Deleted,
}

impl ChangeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Created => "created",
            ChangeKind::Updated => "updated",
            ChangeKind::Deleted => "deleted",
        }
    }

    pub(super) fn parse(s: &str) -> Result<Self> {
        Ok(match s {
            "created" => ChangeKind::Created,
            "updated" => ChangeKind::Updated,
            "deleted" => ChangeKind::Deleted,
            other => return Err(Error::Corrupt(format!("unknown change kind {other:?}"))),
        })
    }
}

/// One entry of the change feed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    pub seq: i64,
    pub store_id: String,
    pub entity: Entity,
    pub platform_id: String,
    pub kind: ChangeKind,
    /// The record as stored after the change (the last version for a deletion).
    pub record: serde_json::Value,
    pub at: DateTime<Utc>,
}

/// What one batch of [`ChangeFeed::prune_changes`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PruneOutcome {
    /// Change rows dropped (at most the batch's limit).
    pub changes: u64,
    /// Documents collected with them (versions nothing else referenced).
    pub documents: u64,
    /// The feed's horizon after the batch: every change up to it is gone.
    pub horizon: i64,
}

/// What one batch of [`ChangeFeed::collect_orphans`] did.
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

/// The change feed, its retention and compaction.
#[async_trait]
pub trait ChangeFeed: Send + Sync {
    /// Changes after `after`, in sequence order; [`Error::ChangesExpired`] when
    /// retention dropped changes after `after` (of `store_id`, or of any store).
    async fn changes_after(
        &self,
        after: i64,
        store_id: Option<&str>,
        limit: i64,
    ) -> Result<Vec<Change>>;

    /// The newest change's sequence number (of `store_id`, or of all; 0: none yet).
    async fn feed_head(&self, store_id: Option<&str>) -> Result<i64>;

    // --- retention and compaction
    /// How far the feed is pruned (0: not at all): every change up to this sequence
    /// number is gone — of `store_id`'s changes, or of all.
    async fn changes_horizon(&self, store_id: Option<&str>) -> Result<i64>;
    /// One bounded batch of retention, in one transaction: drops at most `limit` of
    /// the oldest change rows written before `before` (always a prefix of the feed),
    /// moves the horizons, and collects the documents only those rows referenced.
    async fn prune_changes(&self, before: DateTime<Utc>, limit: i64) -> Result<PruneOutcome>;
    /// One bounded batch of orphan collection: examines at most `limit` documents
    /// numbered above `after` and deletes those no record and no change references.
    async fn collect_orphans(&self, after: i64, limit: i64) -> Result<SweepOutcome>;
    /// Row counts and bytes of the database, for benchmarks and operators.
    async fn storage_stats(&self) -> Result<StorageStats>;
}
