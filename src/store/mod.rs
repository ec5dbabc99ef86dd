//! The sync store: every connected shop, its records as JSON documents with indexed
//! columns, the change feed, cursors, sync runs, job leases, API keys and outbound
//! subscriptions. One [`Store`] trait, a SQLite backend (the embedded default) and a
//! PostgreSQL backend (scale-out); SQL lives only in this module.
//!
//! Architecture invariant: a page of records and the cursor that follows it commit in
//! one transaction ([`Store::commit_page`]), so a crash repeats at most one page (the
//! upsert is a no-op when the content hash is unchanged) and never skips one.

mod crypto;
mod feed;
mod packed;
mod postgres;
pub mod scratch;
mod sql;
mod sqlite;
mod stamp;
mod url_check;

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use polycart_kit::{Cursor, Entity, Record, StoreConfig};
use serde::{Deserialize, Serialize};

pub use crypto::{Cipher, KEY_ENV};
pub use feed::{PruneOutcome, RunState, StorageStats, SweepOutcome};
pub use postgres::PgStore;
pub use sqlite::SqliteStore;
pub use url_check::{REFUSE_PRIVATE_ENV, UrlPolicy, validate_store_url};

/// The database used when neither `--database-url` nor `POLYCART_DATABASE_URL` is set.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://polycart.db";

/// What can go wrong in the sync store.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("{what} not found")]
    NotFound { what: String },
    #[error("invalid input: {0}")]
    Invalid(String),
    #[error(
        "store credentials are encrypted at rest: set POLYCART_SECRET_KEY (32 bytes, hex or base64)"
    )]
    MissingKey,
    #[error("cannot decrypt stored credentials: wrong POLYCART_SECRET_KEY?")]
    Decrypt,
    #[error("lease on job {job} is no longer held by {owner}")]
    LeaseLost { job: i64, owner: String },
    #[error("corrupt stored data: {0}")]
    Corrupt(String),
    /// A reader asked for changes the retention already dropped: resuming after
    /// `horizon` (the oldest retained sequence is `horizon + 1`) is the only way on.
    #[error(
        "changes after seq {after} are no longer retained (POLYCART_CHANGES_RETENTION): \
         the oldest retained change is seq {}; resume with after={horizon} (changes in \
         between are lost to this reader)",
        horizon + 1
    )]
    ChangesExpired { after: i64, horizon: i64 },
}

pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    pub(crate) fn not_found(what: impl Into<String>) -> Self {
        Error::NotFound { what: what.into() }
    }
}

/// Which database a store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Opens the database at `url` (`sqlite://...` or `postgres://...`), runs the
/// migrations, and refuses to start when credentials are stored but no key is given.
pub async fn open(url: &str, cipher: Option<Cipher>) -> Result<Arc<dyn Store>> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Arc::new(PgStore::open(url, None, cipher).await?))
    } else if url.starts_with("sqlite:") {
        Ok(Arc::new(SqliteStore::open(url, cipher).await?))
    } else {
        Err(Error::Invalid(format!(
            "unsupported database url {:?}: use sqlite://FILE or postgres://...",
            url.split('@').next_back().unwrap_or(url)
        )))
    }
}

/// A store's health as the scheduler sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StoreState {
    /// Syncing normally.
    Active,
    /// The platform refused the credentials; retried rarely until fixed.
    AuthFailed,
    /// The platform kept failing; not called until the cool-down ends.
    CircuitOpen,
    /// One probe is in flight after a cool-down; its result closes or reopens the circuit.
    HalfOpen,
    /// Syncing stopped by an operator or an uninstall webhook.
    Paused,
}

impl StoreState {
    pub fn as_str(self) -> &'static str {
        match self {
            StoreState::Active => "active",
            StoreState::AuthFailed => "auth_failed",
            StoreState::CircuitOpen => "circuit_open",
            StoreState::HalfOpen => "half_open",
            StoreState::Paused => "paused",
        }
    }

    pub fn parse(s: &str) -> Result<Self> {
        Ok(match s {
            "active" => StoreState::Active,
            "auth_failed" => StoreState::AuthFailed,
            "circuit_open" => StoreState::CircuitOpen,
            "half_open" => StoreState::HalfOpen,
            "paused" => StoreState::Paused,
            other => return Err(Error::Corrupt(format!("unknown store state {other:?}"))),
        })
    }
}

/// The shortest interval between a store's incremental syncs (one minute).
pub const MIN_INTERVAL_SECS: i64 = 60;
/// The longest interval between a store's incremental syncs (seven days).
pub const MAX_INTERVAL_SECS: i64 = 7 * 24 * 3600;

/// When idempotency keys are taken, forgotten and released.
#[derive(Debug, Clone, Copy)]
pub struct IdempotencyWindow {
    pub now: DateTime<Utc>,
    /// Finished keys older than this are forgotten.
    pub expire_before: DateTime<Utc>,
    /// Keys in progress since before this are released: their lease expired.
    pub lease_expired_before: DateTime<Utc>,
}

/// A store to connect.
#[derive(Debug, Clone)]
pub struct NewStore {
    pub name: String,
    pub platform: String,
    pub base_url: url::Url,
    pub credentials: BTreeMap<String, polycart_kit::Secret>,
    pub settings: BTreeMap<String, String>,
    /// Entities to sync; empty means every entity the adapter lists.
    pub entities: Vec<Entity>,
    pub interval_secs: i64,
}

/// A connected store as listed (credentials stay encrypted; see [`Store::store_config`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoreInfo {
    pub id: String,
    pub name: String,
    pub platform: String,
    pub base_url: String,
    pub settings: BTreeMap<String, String>,
    pub entities: Vec<Entity>,
    pub interval_secs: i64,
    pub state: StoreState,
    pub failures: i64,
    pub last_error: Option<String>,
    /// Not called before this time (circuit cool-down, auth back-off).
    pub retry_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// A store's health after a sync attempt.
#[derive(Debug, Clone, PartialEq)]
pub struct Health {
    pub state: StoreState,
    pub failures: i64,
    pub last_error: Option<String>,
    pub retry_at: Option<DateTime<Utc>>,
}

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

/// One page to commit: its records, and the pass state that follows it.
#[derive(Debug)]
pub struct PageCommit<'a> {
    pub store_id: &'a str,
    pub entity: Entity,
    pub records: &'a [Record],
    /// The pass after this page; written in the same transaction.
    pub pass: &'a Pass,
    /// When held, the commit fails with [`Error::LeaseLost`] if another worker took
    /// the job over, and otherwise extends the lease to `renew_until`.
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

    fn parse(s: &str) -> Result<Self> {
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
}

/// An API key (its plaintext is shown once, at creation; only a hash is stored).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ApiKey {
    pub id: String,
    pub name: String,
    /// Stores the key may read; `None` means every store.
    pub store_ids: Option<Vec<String>>,
    pub created_at: DateTime<Utc>,
}

/// An outbound change-feed subscription.
#[derive(Debug, Clone)]
pub struct Subscription {
    pub id: String,
    pub url: String,
    pub secret: polycart_kit::Secret,
    /// Only this store's changes; `None` means every store.
    pub store_id: Option<String>,
    /// Every change up to this sequence number has been delivered.
    pub last_seq: i64,
    pub failures: i64,
    pub last_error: Option<String>,
    pub lease_owner: Option<String>,
    /// `Some(oldest retained sequence)` when changes this subscription had not been
    /// sent yet were dropped by retention: it is not delivered to (never with a silent
    /// gap) until replayed from at least the sequence before that one.
    pub fell_behind: Option<i64>,
}

/// The result of one delivery attempt.
#[derive(Debug, Clone)]
pub struct DeliveryResult {
    pub first_seq: i64,
    pub last_seq: i64,
    pub status: Option<u16>,
    pub error: Option<String>,
    /// The receiver acknowledged: advance past `last_seq`.
    pub delivered: bool,
    /// When not delivered: do not try again before.
    pub retry_at: Option<DateTime<Utc>>,
}

/// One recorded delivery attempt of a subscription.
#[derive(Debug, Clone, Serialize)]
pub struct Delivery {
    pub id: i64,
    pub first_seq: i64,
    pub last_seq: i64,
    /// The receiver's HTTP status, when it answered.
    pub status: Option<u16>,
    pub error: Option<String>,
    pub at: DateTime<Utc>,
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

/// What [`Store::begin_idempotent`] found for an `Idempotency-Key`.
#[derive(Debug, Clone, PartialEq)]
pub enum IdempotencyState {
    /// The key is new: the caller holds it now and must finish or abandon it.
    Started,
    /// A request with this key is still running (or its process died mid-write).
    InProgress { request_hash: String },
    /// The first request finished with this response.
    Done {
        request_hash: String,
        status: u16,
        body: String,
    },
}

/// The sync store. Every method is one short transaction or one query.
#[async_trait]
pub trait Store: Send + Sync {
    fn backend(&self) -> Backend;

    // --- stores
    /// Connects a store: credentials are encrypted, one job per entity is scheduled.
    async fn add_store(&self, new: &NewStore) -> Result<StoreInfo>;
    async fn list_stores(&self) -> Result<Vec<StoreInfo>>;
    async fn get_store(&self, id: &str) -> Result<StoreInfo>;
    /// The store's settings with decrypted credentials, for the adapter.
    async fn store_config(&self, id: &str) -> Result<StoreConfig>;
    /// Removes a store with its records, cursors and jobs (its changes stay in the feed).
    async fn remove_store(&self, id: &str) -> Result<()>;
    /// Merges `credentials` and `settings` into the store's (one transaction, the row
    /// locked): how a rotated OAuth token pair is persisted before it is used.
    async fn update_credentials(
        &self,
        id: &str,
        credentials: &BTreeMap<String, polycart_kit::Secret>,
        settings: &BTreeMap<String, String>,
    ) -> Result<()>;
    async fn set_health(&self, id: &str, health: &Health) -> Result<()>;
    /// Moves a backing-off store to half-open, retried at `until` unless the probe
    /// reports: true for the one caller that did it (its cool-down over, or `force`).
    async fn begin_probe(
        &self,
        id: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
        force: bool,
    ) -> Result<bool>;

    // --- records, cursors, change feed
    /// Upserts a page (only records whose content hash changed, and never an older
    /// version over a newer one), appends their changes, and writes the pass state, in
    /// one transaction.
    async fn commit_page(&self, page: &PageCommit<'_>) -> Result<PageOutcome>;
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
    /// Changes after `after`, in sequence order; [`Error::ChangesExpired`] when
    /// retention dropped changes after `after` (of `store_id`, or of any store).
    async fn changes_after(
        &self,
        after: i64,
        store_id: Option<&str>,
        limit: i64,
    ) -> Result<Vec<Change>>;

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

    // --- jobs
    /// Leases the most overdue job whose store is not backing off and whose lease is
    /// free or expired. Two holders never hold one job at once. Runs of an earlier
    /// lease still running (their worker died) are closed as abandoned.
    async fn lease_job(
        &self,
        owner: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Option<Lease>>;
    /// Extends a lease; [`Error::LeaseLost`] when another worker took it over.
    async fn renew_lease(&self, lease: &Lease, until: DateTime<Utc>) -> Result<()>;
    /// Gives a job back, due again at `due_at`.
    async fn release_job(&self, lease: &Lease, due_at: DateTime<Utc>) -> Result<()>;
    /// Leases one store × entity's job (creating it if missing) when it is free,
    /// expired, already ours, or held by an owner `may_steal` says is dead; otherwise
    /// returns the holder. Like [`Store::lease_job`], closes earlier leases' runs.
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

    // --- API keys
    /// Creates a key; returns it with its plaintext (shown once).
    async fn create_api_key(
        &self,
        name: &str,
        store_ids: Option<&[String]>,
    ) -> Result<(ApiKey, String)> {
        self.import_api_key(name, store_ids, &new_id("pck")).await
    }
    /// Stores a key whose plaintext the caller chose (the demo's `--api-key`); only
    /// its hash is kept. Keys shorter than 16 characters are refused.
    async fn import_api_key(
        &self,
        name: &str,
        store_ids: Option<&[String]>,
        plaintext: &str,
    ) -> Result<(ApiKey, String)>;
    async fn verify_api_key(&self, plaintext: &str) -> Result<Option<ApiKey>>;

    // --- outbound subscriptions
    async fn add_subscription(
        &self,
        url: &url::Url,
        secret: &polycart_kit::Secret,
        store_id: Option<&str>,
    ) -> Result<String>;
    async fn subscriptions(&self) -> Result<Vec<Subscription>>;
    /// Leases a subscription that is due for delivery (one deliverer per subscription).
    async fn lease_subscription(
        &self,
        owner: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Option<Subscription>>;
    /// Records a delivery attempt, advances on success, and releases the lease.
    async fn record_delivery(
        &self,
        subscription: &Subscription,
        result: &DeliveryResult,
    ) -> Result<()>;
    async fn get_subscription(&self, id: &str) -> Result<Subscription>;
    /// Removes a subscription and its delivery log.
    async fn remove_subscription(&self, id: &str) -> Result<()>;
    /// The newest `limit` delivery attempts, newest first.
    async fn deliveries(&self, subscription_id: &str, limit: i64) -> Result<Vec<Delivery>>;
    /// Re-sends every change after `after`: the subscription moves back, is due at
    /// once, and a delivery in flight can no longer advance it past the replay.
    /// [`Error::ChangesExpired`] when retention dropped changes after `after`.
    async fn replay_subscription(&self, id: &str, after: i64) -> Result<()>;

    // --- change-feed retention and compaction (see [`feed`])
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

    // --- idempotent writes
    /// Takes `key` for API key `key_id` if it is new; otherwise says what it holds.
    /// Keys older than `window.expire_before` are forgotten first, and keys still in
    /// progress since before `window.lease_expired_before` (their request's process
    /// died) are released.
    async fn begin_idempotent(
        &self,
        key_id: &str,
        key: &str,
        request_hash: &str,
        window: IdempotencyWindow,
    ) -> Result<IdempotencyState>;
    /// Stores the response of the request holding `key`.
    async fn finish_idempotent(
        &self,
        key_id: &str,
        key: &str,
        status: u16,
        body: &str,
    ) -> Result<()>;
    /// Releases `key` when the request provably did not reach the platform.
    async fn abandon_idempotent(&self, key_id: &str, key: &str) -> Result<()>;

    // --- platform webhook deliveries
    /// Records that store `store_id` received delivery `delivery_id` at `now`; false
    /// when it had already (a retry or a replay). Deliveries received before
    /// `forget_before` are forgotten first.
    async fn first_delivery(
        &self,
        store_id: &str,
        delivery_id: &str,
        now: DateTime<Utc>,
        forget_before: DateTime<Utc>,
    ) -> Result<bool>;
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

/// The hex SHA-256 of a secret or a request (API keys are stored by it): preimage
/// resistant, unlike [`document_hash`].
pub fn content_hash(document: &str) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(document.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// The content hash of a stored record document, for change detection only: XXH3-128
/// (seedless, as the XXH3 specification fixes it, so stable across processes and
/// versions) as 32 hex digits. Not cryptographic: a hash that changes detects a new
/// version; nothing is authenticated by it.
pub fn document_hash(document: &str) -> String {
    format!("{:032x}", xxhash_rust::xxh3::xxh3_128(document.as_bytes()))
}

/// A fresh random id with a readable prefix ("st_3f9a...").
pub(crate) fn new_id(prefix: &str) -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 12];
    rand::thread_rng().fill_bytes(&mut bytes);
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("{prefix}_{hex}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn document_hash_is_the_xxh3_128_of_the_specification() {
        // Test vectors of the reference implementation: a stored hash never changes
        // meaning across versions.
        assert_eq!(document_hash(""), "99aa06d3014798d86001c324468d497f");
        assert_eq!(document_hash("{}"), document_hash("{}"));
        assert_ne!(document_hash("{\"a\":1}"), document_hash("{\"a\":2}"));
    }
}
