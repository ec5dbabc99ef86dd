//! The PostgreSQL backend: the scale-out store many `polycart worker` processes share.
//! Jobs and subscriptions are leased with `FOR UPDATE SKIP LOCKED`.

use std::str::FromStr;

use sqlx::postgres::{PgConnectOptions, PgConnection, PgPool, PgPoolOptions};

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sqlx::Row;

use super::sql::feed::UNREFERENCED;
use super::sql::records::{Known, Pending, UPSERT_RECORD, Unchanged, Version};
use super::{Cipher, Error, Result};

/// The PostgreSQL sync store.
#[derive(Debug, Clone)]
pub struct PgStore {
    pool: PgPool,
    cipher: Option<Cipher>,
}

impl PgStore {
    /// Connects, optionally inside `schema` (created if missing; tests use one per
    /// test), and migrates.
    pub async fn open(url: &str, schema: Option<&str>, cipher: Option<Cipher>) -> Result<Self> {
        // Generic plans of `platform_id = ANY($3)` fall back to a sequential scan with an
        // array comparison per row (300 ms a page at 20k records); plan each call. And
        // price random reads as the cached or SSD-backed pages they are: at the default
        // (4) a page's 250 key lookups in a store of 20k records plan as a sequential
        // scan of all of them (5x slower, and slower still as the store grows).
        let mut options = PgConnectOptions::from_str(url)?.options([
            ("plan_cache_mode", "force_custom_plan"),
            ("random_page_cost", "1.1"),
        ]);
        if let Some(schema) = schema {
            if !schema
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_')
            {
                return Err(Error::Invalid(format!("bad schema name {schema:?}")));
            }
            let setup = PgPoolOptions::new()
                .max_connections(1)
                .connect_with(options.clone())
                .await?;
            sqlx::query(&format!("CREATE SCHEMA IF NOT EXISTS {schema}"))
                .execute(&setup)
                .await?;
            setup.close().await;
            options = options.options([("search_path", schema)]);
        }
        let pool = PgPoolOptions::new()
            .max_connections(8)
            .connect_with(options)
            .await?;
        Self { pool, cipher }
            .ready(&[
                (
                    1,
                    "initial",
                    include_str!("../../migrations/postgres/0001_initial.sql"),
                ),
                (
                    2,
                    "feed retention",
                    include_str!("../../migrations/postgres/0002_feed_retention.sql"),
                ),
                (
                    3,
                    "webhook deliveries",
                    include_str!("../../migrations/postgres/0003_webhook_deliveries.sql"),
                ),
                (
                    4,
                    "schema drift",
                    include_str!("../../migrations/postgres/0004_schema_drift.sql"),
                ),
                (
                    5,
                    "run notes",
                    include_str!("../../migrations/postgres/0005_run_notes.sql"),
                ),
                (
                    6,
                    "jobs due order",
                    include_str!("../../migrations/postgres/0006_jobs_due_order.sql"),
                ),
                (
                    7,
                    "api2cart webhooks",
                    include_str!("../../migrations/postgres/0007_api2cart_webhooks.sql"),
                ),
                (
                    8,
                    "change sequencing",
                    include_str!("../../migrations/postgres/0008_change_sequencing.sql"),
                ),
            ])
            .await
    }

    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Postgres>> {
        Ok(self.pool.begin().await?)
    }
}

// --- the bulk statements of a page (see `sql.rs`): one statement each, whatever the
// page's size, its columns bound as arrays and read back with `UNNEST` (the text of a
// statement never changes, so it is prepared once per connection).

/// The stored state of the records of `ids`, each row locked for the transaction (so
/// it cannot change between this read and the page's writes) with its tuple id (which
/// therefore stays valid until commit).
///
/// One primary-key lookup per id (a lateral subquery per id): a fresh table has no
/// statistics, and with `platform_id = ANY($3)` the planner then reckons that the
/// store × entity prefix matches a row or two and scans the whole store for the page's
/// ids instead (quadratic during a first sync, until autovacuum analyses the table).
async fn known_rows(
    conn: &mut PgConnection,
    store_id: &str,
    entity: &str,
    ids: &[&str],
) -> Result<HashMap<String, Known>> {
    let rows = sqlx::query(
        "SELECT r.platform_id, r.hash, r.deleted, r.updated_at, r.tid FROM UNNEST($3::text[]) AS u(platform_id) \
         CROSS JOIN LATERAL (SELECT platform_id, hash, deleted, updated_at, ctid::text AS tid FROM records \
         WHERE store_id = $1 AND entity = $2 AND platform_id = u.platform_id LIMIT 1 FOR UPDATE) r",
    )
    .bind(store_id)
    .bind(entity)
    .bind(ids)
    .fetch_all(&mut *conn)
    .await?;
    let mut known = HashMap::with_capacity(rows.len());
    for row in rows {
        known.insert(
            row.try_get("platform_id")?,
            Known {
                hash: row.try_get("hash")?,
                deleted: row.try_get("deleted")?,
                updated_at: row.try_get("updated_at")?,
                row: Some(row.try_get("tid")?),
            },
        );
    }
    Ok(known)
}

/// Upserts the records of `versions`, each numbered from the `document_ids` sequence
/// (which locks nothing), and stores the documents of those written, in one statement;
/// returns the written platform ids with their document ids.
async fn write_versions(
    conn: &mut PgConnection,
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
    let sql = format!(
        "WITH input AS MATERIALIZED ( \
             SELECT nextval('document_ids') AS document_id, u.* FROM UNNEST($3::text[], \
             $4::timestamptz[], $5::timestamptz[], $6::text[], $7::bytea[]) \
             AS u(platform_id, updated_at, created_at, hash, document) \
         ), written AS ( \
             INSERT INTO records (store_id, entity, platform_id, updated_at, created_at, hash, deleted, \
             seen_pass, synced_at, document_id) \
             SELECT $1, $2, platform_id, updated_at, created_at, hash, FALSE, $8, $9, document_id FROM input \
             {UPSERT_RECORD} RETURNING platform_id, document_id \
         ), stored AS ( \
             INSERT INTO documents (id, document) \
             SELECT i.document_id, i.document FROM input i JOIN written w ON w.document_id = i.document_id \
         ) SELECT platform_id, document_id FROM written"
    );
    let rows = sqlx::query(&sql)
        .bind(store_id)
        .bind(entity)
        .bind(versions.iter().map(|v| v.platform_id).collect::<Vec<_>>())
        .bind(versions.iter().map(|v| v.updated_at).collect::<Vec<_>>())
        .bind(versions.iter().map(|v| v.created_at).collect::<Vec<_>>())
        .bind(versions.iter().map(|v| v.hash).collect::<Vec<_>>())
        .bind(versions.iter().map(|v| v.document).collect::<Vec<_>>())
        .bind(seen_pass)
        .bind(now)
        .fetch_all(&mut *conn)
        .await?;
    for row in rows {
        written.insert(row.try_get("platform_id")?, row.try_get("document_id")?);
    }
    Ok(written)
}

/// Stamps unchanged records as seen by the pass, by the tuple ids `known_rows` read
/// (the rows are locked since, so the ids still name them; a TID scan plans the same
/// with or without statistics). A record this page wrote too carries no tuple id: its
/// upsert stamped it.
async fn touch_seen(
    conn: &mut PgConnection,
    _store_id: &str,
    _entity: &str,
    unchanged: &[Unchanged],
    seen_pass: i64,
    now: DateTime<Utc>,
) -> Result<()> {
    let tids: Vec<&str> = unchanged
        .iter()
        .filter_map(|(_, row)| row.as_deref())
        .collect();
    if tids.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "UPDATE records SET seen_pass = $1, synced_at = $2 WHERE ctid = ANY($3::text[]::tid[])",
    )
    .bind(seen_pass)
    .bind(now)
    .bind(tids)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Appends a page's changes unnumbered, in `pending`'s order. No shared counter is
/// held to commit, so concurrent workers' commits do not queue behind one another's
/// WAL flush; [`sequence_changes`] numbers them once they are committed.
async fn append_changes(
    conn: &mut PgConnection,
    store_id: &str,
    pending: &[Pending],
    now: DateTime<Utc>,
) -> Result<()> {
    if pending.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO unsequenced_changes (store_id, entity, platform_id, kind, document_id, at) \
         SELECT $1, u.entity, u.platform_id, u.kind, u.document_id, $2 \
         FROM UNNEST($3::text[], $4::text[], $5::text[], $6::bigint[]) WITH ORDINALITY \
         AS u(entity, platform_id, kind, document_id, n) ORDER BY u.n",
    )
    .bind(store_id)
    .bind(now)
    .bind(
        pending
            .iter()
            .map(|p| p.entity.as_str())
            .collect::<Vec<_>>(),
    )
    .bind(
        pending
            .iter()
            .map(|p| p.platform_id.as_str())
            .collect::<Vec<_>>(),
    )
    .bind(pending.iter().map(|p| p.kind.as_str()).collect::<Vec<_>>())
    .bind(pending.iter().map(|p| p.document_id).collect::<Vec<_>>())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// A new sync pass's number, from a sequence: a pass number only has to be unique,
/// and a sequence hands them out without the row lock a counter holds to commit.
async fn take_pass_id(store: &PgStore) -> Result<i64> {
    Ok(sqlx::query_scalar("SELECT nextval('pass_ids')")
        .fetch_one(&store.pool)
        .await?)
}

/// Changes numbered in one transaction at most.
const SEQUENCE_BATCH: i64 = 10_000;

/// Numbers every committed change not yet numbered, moving it into `changes`: one
/// numbering at a time (the `change_seq` counter's row lock, taken first), each batch
/// in the order its changes were appended. Every feed read calls it first with
/// `wait`, so it sees each change committed before it began; background callers
/// (delivery polls, retention) pass no `wait` and leave the work to a numbering
/// already under way instead of queueing behind it.
///
/// Because a change is numbered only once committed, with a number above every
/// number given before, a reader that has passed a number never finds a change
/// appear behind it. Two versions of one record are appended in the order they were
/// written (the second writer waits for the first's row lock, so it appends after the
/// first committed).
async fn sequence_changes(pool: &PgPool, wait: bool) -> Result<()> {
    loop {
        let pending: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM unsequenced_changes)")
            .fetch_one(pool)
            .await?;
        if !pending {
            return Ok(());
        }
        let mut tx = pool.begin().await?;
        // The lock first: the next statement's snapshot is taken after it is granted,
        // so it sees what the numbering before this one left unnumbered.
        let locked = sqlx::query(if wait {
            "SELECT value FROM counters WHERE name = 'change_seq' FOR UPDATE"
        } else {
            "SELECT value FROM counters WHERE name = 'change_seq' FOR UPDATE SKIP LOCKED"
        })
        .fetch_optional(&mut *tx)
        .await?;
        if locked.is_none() {
            return Ok(());
        }
        let moved: i64 = sqlx::query_scalar(
            "WITH batch AS (DELETE FROM unsequenced_changes WHERE id IN \
               (SELECT id FROM unsequenced_changes ORDER BY id LIMIT $1) RETURNING *), \
             total AS (SELECT COUNT(*) AS n FROM batch), \
             head AS (UPDATE counters SET value = value + (SELECT n FROM total) \
               WHERE name = 'change_seq' RETURNING value), \
             written AS (INSERT INTO changes (seq, store_id, entity, platform_id, kind, document_id, at) \
               SELECT head.value - total.n + ROW_NUMBER() OVER (ORDER BY b.id), \
               b.store_id, b.entity, b.platform_id, b.kind, b.document_id, b.at \
               FROM batch b CROSS JOIN head CROSS JOIN total RETURNING 1) \
             SELECT COUNT(*) FROM written",
        )
        .bind(SEQUENCE_BATCH)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        if moved < SEQUENCE_BATCH {
            return Ok(());
        }
    }
}

/// Deletes the documents of `ids` that nothing references; returns how many.
async fn delete_unreferenced(conn: &mut PgConnection, ids: &[i64]) -> Result<u64> {
    if ids.is_empty() {
        return Ok(0);
    }
    let sql = format!("DELETE FROM documents WHERE id = ANY($1::bigint[]) AND {UNREFERENCED}");
    Ok(sqlx::query(&sql)
        .bind(ids)
        .execute(&mut *conn)
        .await?
        .rows_affected())
}

/// Every relation of the schema with its indexes and TOAST, in bytes (twice: on
/// disk and in use are the same to PostgreSQL until `VACUUM FULL`).
async fn storage_bytes(pool: &PgPool) -> Result<(u64, u64)> {
    let bytes: i64 = sqlx::query_scalar(
        "SELECT COALESCE(SUM(pg_total_relation_size(c.oid)), 0)::bigint FROM pg_class c \
         JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'm')",
    )
    .fetch_one(pool)
    .await?;
    let bytes = u64::try_from(bytes).unwrap_or(0);
    Ok((bytes, bytes))
}

super::sql::impl_store!(
    PgStore,
    sqlx::Postgres,
    Postgres,
    "FOR UPDATE OF t SKIP LOCKED"
);
