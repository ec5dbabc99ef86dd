//! Throwaway PostgreSQL schemas for benchmarks: compact one so its size is its live
//! data, drop it afterwards. SQL lives only in the store, so the bench asks here.

use super::Result;

/// `VACUUM FULL` of every table of `schema`, so its size on disk is its live data.
pub async fn reclaim_schema(url: &str, schema: &str) -> Result<()> {
    let pool = sqlx::PgPool::connect(url).await?;
    let tables: Vec<String> =
        sqlx::query_scalar("SELECT tablename::text FROM pg_tables WHERE schemaname = $1")
            .bind(schema)
            .fetch_all(&pool)
            .await?;
    for table in tables {
        sqlx::query(&format!("VACUUM FULL \"{schema}\".\"{table}\""))
            .execute(&pool)
            .await?;
    }
    pool.close().await;
    Ok(())
}

/// Drops `schema` and everything in it; a failure is logged, not returned (cleanup).
pub async fn drop_schema(url: &str, schema: &str) {
    match sqlx::PgPool::connect(url).await {
        Ok(pool) => {
            if let Err(e) = sqlx::query(&format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE"))
                .execute(&pool)
                .await
            {
                tracing::warn!(schema, error = %e, "dropping a scratch schema failed");
            }
            pool.close().await;
        }
        Err(e) => tracing::warn!(schema, error = %e, "dropping a scratch schema failed"),
    }
}
