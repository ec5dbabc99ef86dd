//! The sync store: every connected shop, its records as JSON documents with indexed
//! columns, the change feed, cursors, sync runs, job leases, API keys and outbound
//! subscriptions. One [`Store`] trait combining a trait per concern, a SQLite backend
//! (the embedded default) and a PostgreSQL backend (scale-out); SQL lives only in this
//! module.
//!
//! | concern | trait | module |
//! | --- | --- | --- |
//! | connected stores, their health | [`Stores`] | `stores.rs` |
//! | records, cursors, passes | [`StoreRecords`] | `records.rs` |
//! | job leases, sync runs | [`StoreJobs`] | `jobs.rs` |
//! | the change feed, retention | [`ChangeFeed`] | `feed.rs` |
//! | outbound subscriptions | [`Subscriptions`] | `subscriptions.rs` |
//! | API keys | [`ApiKeys`] | `api_keys.rs` |
//! | idempotency keys, webhook deliveries | [`Idempotency`] | `idempotency.rs` |
//! | schema drift, API deprecations | [`SchemaDrift`] | `drift.rs` |
//!
//! Each concern's SQL is in the module of the same name under `sql/`, written once for
//! both backends.
//!
//! Architecture invariant: a page of records and the cursor that follows it commit in
//! one transaction ([`StoreRecords::commit_page`]), so a crash repeats at most one page
//! (the upsert is a no-op when the content hash is unchanged) and never skips one.

mod api_keys;
mod crypto;
mod drift;
mod feed;
pub mod fleet_probe;
mod idempotency;
mod jobs;
mod packed;
mod postgres;
mod records;
pub mod scratch;
mod sql;
mod sqlite;
mod stamp;
mod stores;
mod subscriptions;
mod url_check;

use std::sync::Arc;

pub use api_keys::{ApiKey, ApiKeys};
pub use crypto::{Cipher, KEY_ENV};
pub use drift::{DeprecationRow, DriftRow, MAX_DRIFT_ROWS, SchemaDrift};
pub use feed::{Change, ChangeFeed, ChangeKind, PruneOutcome, StorageStats, SweepOutcome};
pub use idempotency::{Idempotency, IdempotencyState, IdempotencyWindow};
pub use jobs::{JobStatus, Lease, MAX_LEASE_BATCH, RunState, StoreJobs, SyncRun};
pub use postgres::PgStore;
pub use records::{
    CursorState, EntityStats, FinishPass, PageCommit, PageOutcome, Pass, PreparedCommit,
    PreparedPage, StoreRecords, StoredRecord, next_watermark,
};
pub use sqlite::{SYNC_ENV as SQLITE_SYNC_ENV, SqliteStore};
pub use stores::{
    Health, MAX_INTERVAL_SECS, MIN_INTERVAL_SECS, NewStore, StoreInfo, StoreState, Stores,
};
pub use subscriptions::{Api2CartHook, Delivery, DeliveryResult, Subscription, Subscriptions};
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

/// The sync store: every concern's trait, on one database. Callers hold an
/// `Arc<dyn Store>` and call any concern's methods on it (on a concrete backend,
/// [`SqliteStore`] or [`PgStore`], a concern's methods need its trait in scope); every
/// method is one short transaction or one query.
pub trait Store:
    Stores + StoreRecords + StoreJobs + ChangeFeed + Subscriptions + ApiKeys + Idempotency + SchemaDrift
{
    /// Which database this is.
    fn backend(&self) -> Backend;
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
