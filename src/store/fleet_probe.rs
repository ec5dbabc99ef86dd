//! What `polycart bench fleet --workers N` reads of the PostgreSQL schema its worker
//! processes share: how far the fleet's first sync is, when each job was first leased
//! and each store finished, whether every record arrived exactly once, and how big
//! the tables and indexes grew. Read-only but for [`FleetProbe::make_due`], which the
//! bench uses to hold every job back until the workers are up and then release them
//! all at one instant. SQL lives only in the store, so the bench asks here.

use std::collections::BTreeMap;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use sqlx::Row;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};

use super::{Error, Result};

/// A connection to one schema of a PostgreSQL database.
pub struct FleetProbe {
    pool: PgPool,
}

/// One store × entity's stored figures.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PairCounts {
    /// Records not marked deleted.
    pub live: u64,
    /// Records marked deleted.
    pub deleted: u64,
    /// `created` rows in the change feed: one per record stored exactly once.
    pub created_changes: u64,
}

/// Sync runs by state, and the first error of a failed one.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunTally {
    pub by_state: BTreeMap<String, u64>,
    pub first_error: Option<String>,
}

/// A table or index of the schema and its size on disk.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct RelationSize {
    pub name: String,
    /// `table` (with its TOAST, without its indexes) or `index`.
    pub kind: String,
    pub bytes: u64,
}

impl FleetProbe {
    /// Connects to `schema` of the database at `url`.
    pub async fn connect(url: &str, schema: &str) -> Result<Self> {
        if !schema
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            return Err(Error::Invalid(format!("bad schema name {schema:?}")));
        }
        let options = PgConnectOptions::from_str(url)?.options([("search_path", schema)]);
        let pool = PgPoolOptions::new()
            .max_connections(2)
            .connect_with(options)
            .await?;
        Ok(Self { pool })
    }

    /// Makes every job due at `at` and frees every lease.
    pub async fn make_due(&self, at: DateTime<Utc>) -> Result<u64> {
        Ok(
            sqlx::query("UPDATE jobs SET due_at = $1, lease_owner = NULL, lease_until = NULL")
                .bind(at)
                .execute(&self.pool)
                .await?
                .rows_affected(),
        )
    }

    /// Store × entity pairs whose first pass finished, and all pairs with a job.
    pub async fn progress(&self) -> Result<(u64, u64)> {
        let row = sqlx::query(
            "SELECT (SELECT COUNT(*) FROM cursors WHERE synced_through IS NOT NULL) AS done, \
             (SELECT COUNT(*) FROM jobs) AS total",
        )
        .fetch_one(&self.pool)
        .await?;
        let done: i64 = row.try_get("done")?;
        let total: i64 = row.try_get("total")?;
        Ok((count(done), count(total)))
    }

    /// Every store × entity's records and `created` changes (numbered or not yet).
    pub async fn pair_counts(&self) -> Result<BTreeMap<(String, String), PairCounts>> {
        let mut out: BTreeMap<(String, String), PairCounts> = BTreeMap::new();
        let records = sqlx::query(
            "SELECT store_id, entity, COUNT(*) FILTER (WHERE NOT deleted) AS live, \
             COUNT(*) FILTER (WHERE deleted) AS deleted FROM records GROUP BY store_id, entity",
        )
        .fetch_all(&self.pool)
        .await?;
        for row in records {
            let c = out
                .entry((row.try_get("store_id")?, row.try_get("entity")?))
                .or_default();
            c.live = count(row.try_get("live")?);
            c.deleted = count(row.try_get("deleted")?);
        }
        let created = sqlx::query(
            "SELECT store_id, entity, COUNT(*) AS n FROM (SELECT store_id, entity, kind FROM changes \
             UNION ALL SELECT store_id, entity, kind FROM unsequenced_changes) c WHERE kind = 'created' \
             GROUP BY store_id, entity",
        )
        .fetch_all(&self.pool)
        .await?;
        for row in created {
            out.entry((row.try_get("store_id")?, row.try_get("entity")?))
                .or_default()
                .created_changes = count(row.try_get("n")?);
        }
        Ok(out)
    }

    /// When each store's last finished run ended (the store is synced from then on).
    pub async fn store_finish_times(&self) -> Result<Vec<(String, DateTime<Utc>)>> {
        let rows = sqlx::query(
            "SELECT store_id, MAX(finished_at) AS at FROM sync_runs WHERE state = 'finished' \
             GROUP BY store_id",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("store_id")?, r.try_get("at")?)))
            .collect()
    }

    /// When each job's first leased run started.
    pub async fn first_leases(&self) -> Result<Vec<DateTime<Utc>>> {
        Ok(sqlx::query_scalar(
            "SELECT MIN(started_at) FROM sync_runs WHERE job_id IS NOT NULL GROUP BY job_id",
        )
        .fetch_all(&self.pool)
        .await?)
    }

    /// Distinct stores each worker ran a job of.
    pub async fn stores_per_worker(&self) -> Result<BTreeMap<String, u64>> {
        let rows = sqlx::query(
            "SELECT worker, COUNT(DISTINCT store_id) AS n FROM sync_runs GROUP BY worker",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("worker")?, count(r.try_get("n")?))))
            .collect()
    }

    /// Sync runs by state.
    pub async fn run_tally(&self) -> Result<RunTally> {
        let rows = sqlx::query("SELECT state, COUNT(*) AS n FROM sync_runs GROUP BY state")
            .fetch_all(&self.pool)
            .await?;
        let mut tally = RunTally::default();
        for row in rows {
            tally
                .by_state
                .insert(row.try_get("state")?, count(row.try_get("n")?));
        }
        tally.first_error = sqlx::query_scalar(
            "SELECT error FROM sync_runs WHERE state = 'failed' ORDER BY id LIMIT 1",
        )
        .fetch_optional(&self.pool)
        .await?;
        Ok(tally)
    }

    /// What the database's other client sessions are doing right now: active ones by
    /// wait event (`Lock:transactionid`: waiting for another transaction's row lock,
    /// `IO:WALSync`: flushing a commit; `CPU`: running, no wait), idle in a transaction
    /// as `idle in transaction`. Sampled through a run, it shows where the database
    /// side of the fleet spends its time.
    pub async fn wait_sample(&self) -> Result<BTreeMap<String, u64>> {
        let rows = sqlx::query(
            "SELECT CASE WHEN state = 'active' THEN COALESCE(wait_event_type || ':' || wait_event, 'CPU') \
             ELSE state END AS what, COUNT(*) AS n FROM pg_stat_activity \
             WHERE datname = current_database() AND backend_type = 'client backend' \
             AND pid <> pg_backend_pid() AND state IN ('active', 'idle in transaction') GROUP BY 1",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("what")?, count(r.try_get("n")?))))
            .collect()
    }

    /// Every table (with its TOAST) and index of the schema, largest first.
    pub async fn relation_sizes(&self) -> Result<Vec<RelationSize>> {
        let rows = sqlx::query(
            "SELECT c.relname::text AS name, CASE c.relkind WHEN 'i' THEN 'index' ELSE 'table' END AS kind, \
             (CASE c.relkind WHEN 'i' THEN pg_relation_size(c.oid) \
              ELSE pg_table_size(c.oid) END)::bigint AS bytes \
             FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'i') ORDER BY 3 DESC, 1",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(RelationSize {
                    name: r.try_get("name")?,
                    kind: r.try_get("kind")?,
                    bytes: count(r.try_get("bytes")?),
                })
            })
            .collect()
    }

    pub async fn close(self) {
        self.pool.close().await;
    }
}

fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}
