//! Synced records: pages committed with the pass state that follows them, upserts and
//! deletions outside a pass (webhook re-reads), lookups, keyset listings, counts, the
//! figures of `/metrics`, and the cursors and passes that say where syncing each
//! store × entity stands.
//!
//! Architecture invariant: a page of records and the cursor that follows it commit in
//! one transaction ([`StoreRecords::commit_page`]), so a crash repeats at most one page
//! (the upsert is a no-op when the content hash is unchanged) and never skips one.
//!
//! A page is made ready before its transaction ([`PreparedPage::prepare`]: every
//! record serialised, hashed and compressed, pure CPU work a caller runs beside the
//! previous page's commit); the transaction then only compares hashes and writes.
//! Preparing touches no database: a failure between pages leaves nothing half
//! written, and a prepared page that is never committed leaves no trace.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use polycart_kit::{Cursor, Entity, Record};
use serde::{Deserialize, Serialize};

use super::packed::pack;
use super::stamp::stamped_document;
use super::{Lease, Result, document_hash};

/// A pass through one entity's listing in progress, kept in the cursor row so it
/// survives a crash.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pass {
    /// Unique per pass; records listed in a full pass are stamped with it.
    pub id: i64,
    /// A full pass lists everything and reconciles deletions afterwards.
    pub full: bool,
    /// `updated_since` sent with every page of this pass.
    pub since: Option<DateTime<Utc>>,
    pub started_at: DateTime<Utc>,
    /// The cursor of the next page; `None` with `listed_all` false means the first page.
    pub next: Option<Cursor>,
    /// Every page has been listed; only finishing (and reconciling) is left.
    pub listed_all: bool,
    /// The newest `updated_at` seen in this pass.
    pub max_updated: Option<DateTime<Utc>>,
}

/// Where syncing one store × entity stands.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CursorState {
    /// Every record updated before this (minus the overlap) is stored.
    pub watermark: Option<DateTime<Utc>>,
    pub last_full_at: Option<DateTime<Utc>>,
    pub pass: Option<Pass>,
}

/// One page to commit: its records, and the pass state that follows it.
#[derive(Debug)]
pub struct PageCommit<'a> {
    pub store_id: &'a str,
    pub entity: Entity,
    pub records: &'a [Record],
    /// The pass after this page; written in the same transaction.
    pub pass: &'a Pass,
    /// When held, the commit fails with [`Error::LeaseLost`](super::Error::LeaseLost) if another worker took
    /// the job over, and otherwise extends the lease to `renew_until`.
    pub fence: Option<&'a Lease>,
    pub renew_until: DateTime<Utc>,
}

/// A page's records as they will be stored, made before the transaction that commits
/// them: each record's document (stamped with its store), its content hash and its
/// compressed form. Records are kept in listing order.
#[derive(Debug, Clone)]
pub struct PreparedPage {
    pub(super) store_id: String,
    pub(super) records: Vec<PreparedRecord>,
}

/// One record of a [`PreparedPage`].
#[derive(Debug, Clone)]
pub(super) struct PreparedRecord {
    pub(super) entity: Entity,
    pub(super) platform_id: String,
    pub(super) updated_at: Option<DateTime<Utc>>,
    pub(super) created_at: Option<DateTime<Utc>>,
    /// [`document_hash`] of the JSON document.
    pub(super) hash: String,
    /// The document as stored ([`super::packed`]).
    pub(super) document: Vec<u8>,
}

impl PreparedPage {
    /// Serialises, hashes and compresses `records` for `store_id` (CPU only: run it
    /// on a blocking thread beside a commit).
    pub fn prepare(store_id: &str, records: &[Record]) -> Result<Self> {
        let records = records
            .iter()
            .map(|record| {
                let document = stamped_document(record, store_id)?;
                Ok(PreparedRecord {
                    entity: record.entity(),
                    platform_id: record.platform_id().to_owned(),
                    updated_at: record.updated_at(),
                    created_at: record.created_at(),
                    hash: document_hash(&document),
                    document: pack(&document),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Self {
            store_id: store_id.to_owned(),
            records,
        })
    }

    /// The store the page was prepared for.
    pub fn store_id(&self) -> &str {
        &self.store_id
    }

    /// Records in the page.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }
}

/// A prepared page to commit with the pass state that follows it (see [`PageCommit`]).
#[derive(Debug)]
pub struct PreparedCommit<'a> {
    pub page: &'a PreparedPage,
    pub entity: Entity,
    pub pass: &'a Pass,
    pub fence: Option<&'a Lease>,
    pub renew_until: DateTime<Utc>,
}

/// What a committed page changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PageOutcome {
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
}

impl PageOutcome {
    pub fn changed(&self) -> u64 {
        self.created + self.updated
    }
}

/// Ends a pass: deletions found by reconciliation, the new watermark.
#[derive(Debug)]
pub struct FinishPass<'a> {
    pub store_id: &'a str,
    pub entity: Entity,
    pub pass: &'a Pass,
    /// Platform ids confirmed deleted on the platform.
    pub deleted: &'a [String],
    pub fence: Option<&'a Lease>,
}

/// A stored record.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredRecord {
    pub store_id: String,
    pub entity: Entity,
    pub platform_id: String,
    pub updated_at: Option<DateTime<Utc>>,
    pub created_at: Option<DateTime<Utc>>,
    pub hash: String,
    pub deleted: bool,
    /// The unified record's JSON.
    pub document: String,
}

/// One store × entity's figures for `/metrics`.
#[derive(Debug, Clone, PartialEq)]
pub struct EntityStats {
    pub store_id: String,
    pub entity: Entity,
    /// Records not marked deleted.
    pub live_records: u64,
    /// When the last finished pass started: every change before it is stored.
    pub synced_through: Option<DateTime<Utc>>,
}

/// Records, cursors and passes.
#[async_trait]
pub trait StoreRecords: Send + Sync {
    /// Upserts a page (only records whose content hash changed, and never an older
    /// version over a newer one), appends their changes, and writes the pass state, in
    /// one transaction. Prepares the page first; a caller that can prepare the next
    /// page while this one commits uses [`StoreRecords::commit_prepared`].
    async fn commit_page(&self, page: &PageCommit<'_>) -> Result<PageOutcome> {
        let prepared = PreparedPage::prepare(page.store_id, page.records)?;
        self.commit_prepared(&PreparedCommit {
            page: &prepared,
            entity: page.entity,
            pass: page.pass,
            fence: page.fence,
            renew_until: page.renew_until,
        })
        .await
    }
    /// [`StoreRecords::commit_page`] of a page prepared beforehand: the transaction
    /// compares the prepared hashes with the stored ones and writes what changed.
    async fn commit_prepared(&self, page: &PreparedCommit<'_>) -> Result<PageOutcome>;
    /// Upserts records outside a pass (webhook re-reads); returns what changed.
    async fn upsert_records(&self, store_id: &str, records: &[Record]) -> Result<PageOutcome>;
    /// Marks records deleted and emits `deleted` changes; returns how many were live.
    async fn mark_deleted(
        &self,
        store_id: &str,
        entity: Entity,
        platform_ids: &[String],
    ) -> Result<u64>;
    async fn get_record(
        &self,
        store_id: &str,
        entity: Entity,
        platform_id: &str,
    ) -> Result<Option<StoredRecord>>;
    /// Records of one store × entity ordered by platform id, after `after` (keyset).
    async fn list_records(
        &self,
        store_id: &str,
        entity: Entity,
        after: Option<&str>,
        limit: i64,
        include_deleted: bool,
    ) -> Result<Vec<StoredRecord>>;
    async fn count_records(
        &self,
        store_id: &str,
        entity: Entity,
        include_deleted: bool,
    ) -> Result<u64>;
    /// Live records and watermark of every store × entity, in two grouped queries.
    async fn entity_stats(&self) -> Result<Vec<EntityStats>>;
    /// Live records a full pass did not list: candidates for deletion.
    async fn unseen_records(
        &self,
        store_id: &str,
        entity: Entity,
        pass: &Pass,
    ) -> Result<Vec<String>>;
    async fn cursor(&self, store_id: &str, entity: Entity) -> Result<CursorState>;
    /// Writes the pass state alone (starting a pass).
    async fn save_pass(
        &self,
        store_id: &str,
        entity: Entity,
        pass: &Pass,
        fence: Option<&Lease>,
    ) -> Result<()>;
    /// Ends a pass: marks reconciled deletions, advances the watermark, clears the pass.
    async fn finish_pass(&self, finish: &FinishPass<'_>) -> Result<u64>;
    /// A new unique pass id.
    async fn next_pass_id(&self) -> Result<i64>;
}

/// The watermark after `pass` ends, from the one before it: the newest `updated_at`
/// the pass listed, but never later than the moment the pass started. A record changed
/// while the pass was paging may sit behind its cursor (listings ordered by id) while
/// later pages carry newer timestamps; capping at the start keeps the next incremental
/// pass (`since = watermark − overlap`) re-reading everything changed during this one.
pub fn next_watermark(old: Option<DateTime<Utc>>, pass: &Pass) -> Option<DateTime<Utc>> {
    let seen = pass.max_updated.map(|m| m.min(pass.started_at));
    match (old, seen) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}
