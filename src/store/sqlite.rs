//! The SQLite backend: the embedded default (`sqlite://polycart.db`), in WAL mode.
//! Durability ([`SYNC_ENV`]): by default `synchronous = FULL`, so every commit fsyncs
//! the WAL before it returns (a committed page survives a power loss, as on
//! PostgreSQL); `normal` syncs the WAL only at checkpoints (a commit survives a crash
//! of the process; the last commits before a power loss may be lost, never the
//! database).
//! Every write transaction starts with a write so SQLite takes the write lock first
//! (waiting on the busy timeout) instead of failing a read-then-write upgrade.

use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{
    SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqlitePool, SqlitePoolOptions,
    SqliteSynchronous,
};

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sqlx::Row;

use super::sql::feed::UNREFERENCED;
use super::sql::records::{Known, Pending, UPSERT_RECORD, Unchanged, Version};
use super::{Cipher, Error, Result};

/// Chooses what an SQLite commit syncs: `full` (the default) or `normal`.
pub const SYNC_ENV: &str = "POLYCART_SQLITE_SYNC";

/// The durability [`SYNC_ENV`] asks for; an unknown value is an error, not a guess.
fn synchronous() -> Result<SqliteSynchronous> {
    match std::env::var(SYNC_ENV).ok().as_deref().map(str::trim) {
        None | Some("") | Some("full") | Some("FULL") => Ok(SqliteSynchronous::Full),
        Some("normal") | Some("NORMAL") => Ok(SqliteSynchronous::Normal),
        Some(other) => Err(Error::Invalid(format!(
            "{SYNC_ENV}={other:?}: expected `full` (fsync every commit) or `normal` (fsync at checkpoints)"
        ))),
    }
}

/// The SQLite sync store.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
    cipher: Option<Cipher>,
}

impl SqliteStore {
    /// Opens (creating if missing) the database file and migrates it.
    pub async fn open(url: &str, cipher: Option<Cipher>) -> Result<Self> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(synchronous()?)
            .busy_timeout(Duration::from_secs(30))
            .foreign_keys(true)
            // A page's transaction (a few MiB of documents) fits in the page cache
            // instead of spilling mid-transaction.
            .pragma("cache_size", "-32768")
            // Checkpoint every 64 MiB of WAL rather than every 4 MiB: each checkpoint
            // syncs the WAL and the database, and at 4 MiB that was after every page or
            // two. The WAL is truncated back to that size.
            .pragma("wal_autocheckpoint", "16384")
            .pragma("journal_size_limit", "67108864");
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await?;
        Self { pool, cipher }
            .ready(&[
                (
                    1,
                    "initial",
                    include_str!("../../migrations/sqlite/0001_initial.sql"),
                ),
                (
                    2,
                    "feed retention",
                    include_str!("../../migrations/sqlite/0002_feed_retention.sql"),
                ),
                (
                    3,
                    "webhook deliveries",
                    include_str!("../../migrations/sqlite/0003_webhook_deliveries.sql"),
                ),
                (
                    4,
                    "schema drift",
                    include_str!("../../migrations/sqlite/0004_schema_drift.sql"),
                ),
                (
                    5,
                    "run notes",
                    include_str!("../../migrations/sqlite/0005_run_notes.sql"),
                ),
                (
                    6,
                    "jobs due order",
                    include_str!("../../migrations/sqlite/0006_jobs_due_order.sql"),
                ),
                (
                    7,
                    "api2cart webhooks",
                    include_str!("../../migrations/sqlite/0007_api2cart_webhooks.sql"),
                ),
                (
                    8,
                    "change sequencing",
                    include_str!("../../migrations/sqlite/0008_change_sequencing.sql"),
                ),
            ])
            .await
    }

    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Sqlite>> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("UPDATE counters SET value = value WHERE name = 'write_lock'")
            .execute(&mut *tx)
            .await?;
        Ok(tx)
    }
}

// --- the bulk statements of a page (see `sql.rs`). Multi-row statements of anonymous
// `?` variables only: sqlx looks every named variable up in SQLite's list of names,
// which costs the square of their number per statement.

/// Rows per multi-row statement (SQLite binds at most 32,766 variables).
const ROWS: usize = 250;

/// `n` rows of the `row` template, comma-separated.
fn rows_of(row: &str, n: usize) -> String {
    vec![row; n].join(", ")
}

/// The stored state of the records of `ids`.
async fn known_rows(
    conn: &mut SqliteConnection,
    store_id: &str,
    entity: &str,
    ids: &[&str],
) -> Result<HashMap<String, Known>> {
    let mut known = HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(ROWS * 2) {
        let sql = format!(
            "SELECT platform_id, hash, deleted, updated_at FROM records \
             WHERE store_id = ? AND entity = ? AND platform_id IN ({})",
            rows_of("?", chunk.len())
        );
        let mut q = sqlx::query(&sql).bind(store_id).bind(entity);
        for id in chunk {
            q = q.bind(*id);
        }
        for row in q.fetch_all(&mut *conn).await? {
            known.insert(
                row.try_get("platform_id")?,
                Known {
                    hash: row.try_get("hash")?,
                    deleted: row.try_get("deleted")?,
                    updated_at: row.try_get("updated_at")?,
                    row: None,
                },
            );
        }
    }
    Ok(known)
}

/// Upserts the records of `versions` (each numbered from the `document` counter; the
/// write lock is held) and stores the documents of those written; returns the written
/// platform ids with their document ids.
///
/// The transaction has held SQLite's write lock since it began, so no other writer can
/// have stored a newer version since the page's records were read and compared: every
/// row is written, which the affected-row count confirms without sending each row back
/// (rows that were not are looked up, should that ever differ).
async fn write_versions(
    conn: &mut SqliteConnection,
    store_id: &str,
    entity: &str,
    seen_pass: i64,
    now: DateTime<Utc>,
    versions: Vec<Version<'_>>,
) -> Result<HashMap<String, i64>> {
    let mut written = HashMap::with_capacity(versions.len());
    if versions.is_empty() {
        return Ok(written);
    }
    let n = i64::try_from(versions.len()).expect("a page has fewer than 2^63 records");
    let last: i64 = sqlx::query_scalar(
        "UPDATE counters SET value = value + ? WHERE name = 'document' RETURNING value",
    )
    .bind(n)
    .fetch_one(&mut *conn)
    .await?;
    let numbered: Vec<(i64, Version<'_>)> = (last - n + 1..).zip(versions).collect();
    for chunk in numbered.chunks(ROWS) {
        let sql = format!(
            "INSERT INTO records (store_id, entity, platform_id, updated_at, created_at, hash, deleted, \
             seen_pass, synced_at, document_id) VALUES {} {UPSERT_RECORD}",
            rows_of("(?, ?, ?, ?, ?, ?, FALSE, ?, ?, ?)", chunk.len())
        );
        let mut q = sqlx::query(&sql);
        for (id, v) in chunk {
            q = q
                .bind(store_id)
                .bind(entity)
                .bind(v.platform_id)
                .bind(v.updated_at)
                .bind(v.created_at)
                .bind(v.hash)
                .bind(seen_pass)
                .bind(now)
                .bind(*id);
        }
        let affected = q.execute(&mut *conn).await?.rows_affected();
        if affected == chunk.len() as u64 {
            written.extend(chunk.iter().map(|(id, v)| (v.platform_id.to_owned(), *id)));
        } else {
            for (id, v) in chunk {
                let stored: Option<i64> = sqlx::query_scalar(
                    "SELECT document_id FROM records WHERE store_id = ? AND entity = ? AND platform_id = ?",
                )
                .bind(store_id)
                .bind(entity)
                .bind(v.platform_id)
                .fetch_optional(&mut *conn)
                .await?;
                if stored == Some(*id) {
                    written.insert(v.platform_id.to_owned(), *id);
                }
            }
        }
    }
    let documents: Vec<(i64, &[u8])> = numbered
        .into_iter()
        .filter(|(id, v)| written.get(v.platform_id) == Some(id))
        .map(|(id, v)| (id, v.document))
        .collect();
    for chunk in documents.chunks(ROWS) {
        let sql = format!(
            "INSERT INTO documents (id, document) VALUES {}",
            rows_of("(?, ?)", chunk.len())
        );
        let mut q = sqlx::query(&sql);
        for (id, document) in chunk {
            // Borrowed, not copied: SQLite copies the bytes once, as it binds them.
            q = q.bind(*id).bind(*document);
        }
        q.execute(&mut *conn).await?;
    }
    Ok(written)
}

/// Stamps unchanged records as seen by the pass.
async fn touch_seen(
    conn: &mut SqliteConnection,
    store_id: &str,
    entity: &str,
    unchanged: &[Unchanged],
    seen_pass: i64,
    now: DateTime<Utc>,
) -> Result<()> {
    for chunk in unchanged.chunks(ROWS * 2) {
        let sql = format!(
            "UPDATE records SET seen_pass = ?, synced_at = ? WHERE store_id = ? AND entity = ? \
             AND platform_id IN ({})",
            rows_of("?", chunk.len())
        );
        let mut q = sqlx::query(&sql)
            .bind(seen_pass)
            .bind(now)
            .bind(store_id)
            .bind(entity);
        for (id, _) in chunk {
            q = q.bind(id.as_str());
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

/// Numbers a page's changes from the shared counter and appends them. SQLite has one
/// writer at a time, so taking the counter inside the page's transaction costs no
/// concurrency, and the feed is numbered in commit order.
async fn append_changes(
    conn: &mut SqliteConnection,
    store_id: &str,
    pending: &[Pending],
    now: DateTime<Utc>,
) -> Result<()> {
    if pending.is_empty() {
        return Ok(());
    }
    let n = i64::try_from(pending.len()).expect("a page has fewer than 2^63 changes");
    let last: i64 = sqlx::query_scalar(
        "UPDATE counters SET value = value + $1 WHERE name = 'change_seq' RETURNING value",
    )
    .bind(n)
    .fetch_one(&mut *conn)
    .await?;
    insert_changes(conn, store_id, last - n + 1, pending, now).await
}

/// A new sync pass's number, from the `pass` counter (one writer at a time anyway).
async fn take_pass_id(store: &SqliteStore) -> Result<i64> {
    let mut tx = store.begin_write().await?;
    let id: i64 = sqlx::query_scalar(
        "UPDATE counters SET value = value + 1 WHERE name = 'pass' RETURNING value",
    )
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Nothing to number: SQLite numbers changes as it commits them ([`append_changes`]).
async fn sequence_changes(_pool: &SqlitePool, _wait: bool) -> Result<()> {
    Ok(())
}

/// Appends change rows numbered from `first`.
async fn insert_changes(
    conn: &mut SqliteConnection,
    store_id: &str,
    first: i64,
    pending: &[Pending],
    now: DateTime<Utc>,
) -> Result<()> {
    let mut seq = first;
    for chunk in pending.chunks(ROWS) {
        let sql = format!(
            "INSERT INTO changes (seq, store_id, entity, platform_id, kind, document_id, at) VALUES {}",
            rows_of("(?, ?, ?, ?, ?, ?, ?)", chunk.len())
        );
        let mut q = sqlx::query(&sql);
        for p in chunk {
            q = q
                .bind(seq)
                .bind(store_id)
                .bind(p.entity.as_str())
                .bind(p.platform_id.as_str())
                .bind(p.kind.as_str())
                .bind(p.document_id)
                .bind(now);
            seq += 1;
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

/// Deletes the documents of `ids` that nothing references; returns how many.
async fn delete_unreferenced(conn: &mut SqliteConnection, ids: &[i64]) -> Result<u64> {
    let mut deleted = 0;
    for chunk in ids.chunks(ROWS * 2) {
        let sql = format!(
            "DELETE FROM documents WHERE id IN ({}) AND {UNREFERENCED}",
            rows_of("?", chunk.len())
        );
        let mut q = sqlx::query(&sql);
        for id in chunk {
            q = q.bind(*id);
        }
        deleted += q.execute(&mut *conn).await?.rows_affected();
    }
    Ok(deleted)
}

/// The database's bytes on disk and in use (pages less the free list).
async fn storage_bytes(pool: &SqlitePool) -> Result<(u64, u64)> {
    let pragma = |name: &'static str| async move {
        let value: i64 = sqlx::query_scalar(&format!("PRAGMA {name}"))
            .fetch_one(pool)
            .await?;
        Ok::<u64, Error>(u64::try_from(value).unwrap_or(0))
    };
    let (pages, free, size) = (
        pragma("page_count").await?,
        pragma("freelist_count").await?,
        pragma("page_size").await?,
    );
    Ok((pages * size, pages.saturating_sub(free) * size))
}

super::sql::impl_store!(SqliteStore, sqlx::Sqlite, Sqlite, "");
