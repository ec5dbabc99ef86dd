//! The SQL of idempotency keys and platform webhook deliveries
//! ([`crate::store::Idempotency`]): each taken by an insert that does nothing on
//! conflict, expired entries forgotten first, in one transaction.

/// Expands `impl Idempotency` for a backend (see [`super::impl_store`]).
macro_rules! impl_idempotency {
    ($store:ident) => {
        use async_trait::async_trait;
        use chrono::{DateTime, Utc};
        use sqlx::Row;

        use crate::store::{Error, Idempotency, IdempotencyState, IdempotencyWindow, Result};

        use super::$store;

        #[async_trait]
        impl Idempotency for $store {
            async fn begin_idempotent(
                &self,
                key_id: &str,
                key: &str,
                request_hash: &str,
                window: IdempotencyWindow,
            ) -> Result<IdempotencyState> {
                let now = window.now;
                let mut tx = self.begin_write().await?;
                sqlx::query(
                    "DELETE FROM idempotency_keys WHERE created_at < $1 OR (status IS NULL AND created_at < $2)",
                )
                .bind(window.expire_before)
                .bind(window.lease_expired_before)
                .execute(&mut *tx)
                .await?;
                let taken = sqlx::query(
                    "INSERT INTO idempotency_keys (key_id, idem_key, request_hash, created_at) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (key_id, idem_key) DO NOTHING",
                )
                .bind(key_id)
                .bind(key)
                .bind(request_hash)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                let state = if taken.rows_affected() == 1 {
                    IdempotencyState::Started
                } else {
                    let row = sqlx::query(
                        "SELECT request_hash, status, body FROM idempotency_keys WHERE key_id = $1 AND idem_key = $2",
                    )
                    .bind(key_id)
                    .bind(key)
                    .fetch_one(&mut *tx)
                    .await?;
                    let request_hash: String = row.try_get("request_hash")?;
                    match (row.try_get::<Option<i64>, _>("status")?, row.try_get::<Option<String>, _>("body")?) {
                        (Some(status), Some(body)) => IdempotencyState::Done {
                            request_hash,
                            status: u16::try_from(status).map_err(|_| Error::Corrupt(format!("http status {status}")))?,
                            body,
                        },
                        _ => IdempotencyState::InProgress { request_hash },
                    }
                };
                tx.commit().await?;
                Ok(state)
            }

            async fn finish_idempotent(&self, key_id: &str, key: &str, status: u16, body: &str) -> Result<()> {
                sqlx::query("UPDATE idempotency_keys SET status = $1, body = $2 WHERE key_id = $3 AND idem_key = $4")
                    .bind(i64::from(status))
                    .bind(body)
                    .bind(key_id)
                    .bind(key)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn abandon_idempotent(&self, key_id: &str, key: &str) -> Result<()> {
                sqlx::query("DELETE FROM idempotency_keys WHERE key_id = $1 AND idem_key = $2 AND status IS NULL")
                    .bind(key_id)
                    .bind(key)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn first_delivery(
                &self,
                store_id: &str,
                delivery_id: &str,
                now: DateTime<Utc>,
                forget_before: DateTime<Utc>,
            ) -> Result<bool> {
                let mut tx = self.begin_write().await?;
                sqlx::query("DELETE FROM webhook_deliveries WHERE received_at < $1")
                    .bind(forget_before)
                    .execute(&mut *tx)
                    .await?;
                let taken = sqlx::query(
                    "INSERT INTO webhook_deliveries (store_id, delivery_id, received_at) VALUES ($1, $2, $3) \
                     ON CONFLICT (store_id, delivery_id) DO NOTHING",
                )
                .bind(store_id)
                .bind(delivery_id)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(taken.rows_affected() == 1)
            }
        }
    };
}

pub(crate) use impl_idempotency;
