//! The SQLite backend: the embedded default (`sqlite://polycart.db`), in WAL mode.
//! Every write transaction starts with a write so SQLite takes the write lock first
//! (waiting on the busy timeout) instead of failing a read-then-write upgrade.

use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use super::Cipher;

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
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(30))
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await?;
        Self { pool, cipher }
            .ready(include_str!("../../migrations/sqlite/0001_initial.sql"))
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

super::sql::impl_store!(SqliteStore, sqlx::Sqlite, Backend::Sqlite, "");
