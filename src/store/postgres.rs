//! The PostgreSQL backend: the scale-out store many `polycart worker` processes share.
//! Jobs and subscriptions are leased with `FOR UPDATE SKIP LOCKED`.

use std::str::FromStr;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};

use super::Cipher;

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
        // Generic plans of `platform_id IN ($3, ...)` fall back to a sequential scan with
        // an array comparison per row (300 ms a page at 20k records); plan each call.
        let mut options =
            PgConnectOptions::from_str(url)?.options([("plan_cache_mode", "force_custom_plan")]);
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
            .ready(include_str!("../../migrations/postgres/0001_initial.sql"))
            .await
    }

    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Postgres>> {
        Ok(self.pool.begin().await?)
    }
}

super::sql::impl_store!(
    PgStore,
    sqlx::Postgres,
    Backend::Postgres,
    "FOR UPDATE OF t SKIP LOCKED"
);
