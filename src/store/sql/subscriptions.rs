//! The SQL of outbound subscriptions ([`crate::store::Subscriptions`]): their secret
//! sealed at rest, leasing one that is due to one deliverer (never one that fell
//! behind the feed's retention), recording each attempt, and replays.

/// A subscription's feed horizon (`subscriptions t`): the whole feed's for one over
/// every store, its store's otherwise. The subscription fell behind when its cursor is
/// below it.
pub(in crate::store) const SUBSCRIPTION_HORIZON: &str = "(CASE WHEN t.store_id IS NULL \
     THEN (SELECT value FROM counters WHERE name = 'changes_pruned') \
     ELSE COALESCE((SELECT h.pruned_through FROM feed_horizons h WHERE h.store_id = t.store_id), 0) END)";

/// A subscription's columns with its feed horizon, read from `subscriptions t`.
pub(in crate::store) const SUBSCRIPTION_COLUMNS: &str = "t.id AS id, t.url AS url, t.secret AS secret, t.store_id AS store_id, t.last_seq AS last_seq, \
     t.failures AS failures, t.last_error AS last_error, t.lease_owner AS lease_owner, \
     t.format AS format, t.webhook_id AS webhook_id, t.api2cart AS api2cart";

/// Expands `impl Subscriptions` for a backend (see [`super::impl_store`]); `$lock`
/// follows the `LIMIT 1` of the lease subquery.
macro_rules! impl_subscriptions {
    ($store:ident, $db:ty, $lock:literal) => {
        use async_trait::async_trait;
        use chrono::{DateTime, Utc};
        use polycart_kit::Secret;
        use sqlx::Row;

        use crate::store::crypto::subscription_context;
        use crate::store::sql::subscriptions::{SUBSCRIPTION_COLUMNS, SUBSCRIPTION_HORIZON};
        use crate::store::{Api2CartHook, Delivery, DeliveryResult, Error, Result, Subscription, Subscriptions, new_id};

        use super::feed::horizon_in;
        use super::{$store, sequence_changes};

        /// Opens a subscription row's secret (columns id, url, secret).
        pub(super) fn subscription_secret(row: &<$db as sqlx::Database>::Row, cipher: Option<&crate::store::Cipher>) -> Result<Secret> {
            let sealed: Vec<u8> = row.try_get("secret")?;
            let context = subscription_context(&row.try_get::<String, _>("id")?, &row.try_get::<String, _>("url")?);
            let cipher = cipher.ok_or(Error::MissingKey)?;
            let secret = String::from_utf8(cipher.decrypt(&sealed, &context)?).map_err(|_| Error::Decrypt)?;
            Ok(Secret::new(secret))
        }

        /// A subscription row (columns of `SUBSCRIPTION_COLUMNS`).
        fn subscription_of(
            row: &<$db as sqlx::Database>::Row,
            cipher: Option<&crate::store::Cipher>,
        ) -> Result<Subscription> {
            let last_seq: i64 = row.try_get("last_seq")?;
            let horizon: i64 = row.try_get("horizon")?;
            let format: String = row.try_get("format")?;
            let api2cart = match format.as_str() {
                "api2cart" => {
                    let text: Option<String> = row.try_get("api2cart")?;
                    let mut hook: Api2CartHook = serde_json::from_str(text.as_deref().unwrap_or("null"))
                        .map_err(|e| Error::Corrupt(format!("an API2Cart webhook's settings: {e}")))?;
                    hook.id = row.try_get::<Option<i64>, _>("webhook_id")?.unwrap_or_default();
                    Some(hook)
                }
                _ => None,
            };
            Ok(Subscription {
                api2cart,
                fell_behind: (last_seq < horizon).then_some(horizon + 1),
                secret: subscription_secret(row, cipher)?,
                id: row.try_get("id")?,
                url: row.try_get("url")?,
                store_id: row.try_get("store_id")?,
                last_seq,
                failures: row.try_get("failures")?,
                last_error: row.try_get("last_error")?,
                lease_owner: row.try_get("lease_owner")?,
            })
        }

        #[async_trait]
        impl Subscriptions for $store {
            async fn add_subscription(&self, url: &url::Url, secret: &Secret, store_id: Option<&str>) -> Result<String> {
                let cipher = self.cipher.as_ref().ok_or(Error::MissingKey)?;
                let id = new_id("sub");
                // A new subscription follows changes from now on.
                sequence_changes(&self.pool, true).await?;
                let from: i64 = sqlx::query_scalar("SELECT value FROM counters WHERE name = 'change_seq'")
                    .fetch_one(&self.pool)
                    .await?;
                sqlx::query(
                    "INSERT INTO subscriptions (id, url, secret, store_id, last_seq, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(&id)
                .bind(url.as_str())
                .bind(cipher.encrypt(secret.expose().as_bytes(), &subscription_context(&id, url.as_str())))
                .bind(store_id)
                .bind(from)
                .bind(Utc::now())
                .execute(&self.pool)
                .await?;
                Ok(id)
            }

            async fn add_api2cart_subscription(
                &self,
                url: &url::Url,
                secret: &Secret,
                store_id: &str,
                hook: &Api2CartHook,
            ) -> Result<(String, i64)> {
                let cipher = self.cipher.as_ref().ok_or(Error::MissingKey)?;
                let id = new_id("sub");
                let settings = serde_json::to_string(hook).map_err(|e| Error::Corrupt(e.to_string()))?;
                sequence_changes(&self.pool, true).await?;
                let mut tx = self.begin_write().await?;
                let from: i64 = sqlx::query_scalar("SELECT value FROM counters WHERE name = 'change_seq'")
                    .fetch_one(&mut *tx)
                    .await?;
                // API2Cart's ids are numbers; the unique index turns a concurrent
                // duplicate into an error rather than two webhooks with one id.
                let webhook_id: i64 = sqlx::query_scalar(
                    "INSERT INTO subscriptions (id, url, secret, store_id, last_seq, created_at, format, webhook_id, api2cart) \
                     VALUES ($1, $2, $3, $4, $5, $6, 'api2cart', \
                     (SELECT COALESCE(MAX(webhook_id), 0) + 1 FROM subscriptions), $7) RETURNING webhook_id",
                )
                .bind(&id)
                .bind(url.as_str())
                .bind(cipher.encrypt(secret.expose().as_bytes(), &subscription_context(&id, url.as_str())))
                .bind(store_id)
                .bind(from)
                .bind(Utc::now())
                .bind(settings)
                .fetch_one(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok((id, webhook_id))
            }

            async fn update_api2cart_subscription(&self, id: &str, url: &url::Url, hook: &Api2CartHook) -> Result<()> {
                let cipher = self.cipher.as_ref().ok_or(Error::MissingKey)?;
                let current = self.get_subscription(id).await?;
                if current.api2cart.is_none() {
                    return Err(Error::not_found(format!("subscription {id}")));
                }
                let settings = serde_json::to_string(hook).map_err(|e| Error::Corrupt(e.to_string()))?;
                let sealed = cipher.encrypt(current.secret.expose().as_bytes(), &subscription_context(id, url.as_str()));
                // Only over the row the secret was read from: a concurrent change of
                // the callback is not overwritten with a secret sealed to the old one.
                let done = sqlx::query(
                    "UPDATE subscriptions SET url = $1, secret = $2, api2cart = $3 WHERE id = $4 AND url = $5",
                )
                .bind(url.as_str())
                .bind(sealed)
                .bind(settings)
                .bind(id)
                .bind(&current.url)
                .execute(&self.pool)
                .await?;
                if done.rows_affected() == 0 {
                    return Err(Error::Invalid(format!("subscription {id} changed meanwhile; try again")));
                }
                Ok(())
            }

            async fn subscriptions(&self) -> Result<Vec<Subscription>> {
                let sql = format!(
                    "SELECT {SUBSCRIPTION_COLUMNS}, {SUBSCRIPTION_HORIZON} AS horizon FROM subscriptions t ORDER BY t.id"
                );
                let rows = sqlx::query(&sql).fetch_all(&self.pool).await?;
                rows.iter().map(|r| subscription_of(r, self.cipher.as_ref())).collect()
            }

            async fn lease_subscription(
                &self,
                owner: &str,
                now: DateTime<Utc>,
                until: DateTime<Utc>,
            ) -> Result<Option<Subscription>> {
                // A subscription that fell behind the feed's retention is not leased:
                // delivering to it would skip the dropped changes silently. So a leased
                // one's horizon is at most its cursor, which stands in for it.
                let sql = format!(
                    "UPDATE subscriptions SET lease_owner = $1, lease_until = $2 WHERE id = (\
                     SELECT t.id FROM subscriptions t WHERE (t.lease_until IS NULL OR t.lease_until < $3) \
                     AND (t.retry_at IS NULL OR t.retry_at <= $3) AND t.last_seq >= {SUBSCRIPTION_HORIZON} \
                     AND EXISTS (SELECT 1 FROM changes c \
                     WHERE c.seq > t.last_seq AND (t.store_id IS NULL OR c.store_id = t.store_id)) \
                     ORDER BY t.id LIMIT 1 {lock}) RETURNING id, url, secret, store_id, last_seq, failures, \
                     last_error, lease_owner, format, webhook_id, api2cart, last_seq AS horizon",
                    lock = $lock
                );
                sequence_changes(&self.pool, false).await?;
                let mut tx = self.begin_write().await?;
                let row = sqlx::query(&sql).bind(owner).bind(until).bind(now).fetch_optional(&mut *tx).await?;
                tx.commit().await?;
                row.map(|r| subscription_of(&r, self.cipher.as_ref())).transpose()
            }

            async fn record_delivery(&self, sub: &Subscription, result: &DeliveryResult) -> Result<()> {
                let now = Utc::now();
                let mut tx = self.begin_write().await?;
                sqlx::query(
                    "INSERT INTO deliveries (subscription_id, first_seq, last_seq, status, error, at) \
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(&sub.id)
                .bind(result.first_seq)
                .bind(result.last_seq)
                .bind(result.status.map(i64::from))
                .bind(&result.error)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                let owner = sub.lease_owner.as_deref().unwrap_or("");
                if result.delivered {
                    sqlx::query(
                        "UPDATE subscriptions SET last_seq = $1, failures = 0, last_error = NULL, retry_at = NULL, \
                         lease_owner = NULL, lease_until = NULL WHERE id = $2 AND lease_owner = $3 AND last_seq < $1",
                    )
                    .bind(result.last_seq)
                    .bind(&sub.id)
                    .bind(owner)
                    .execute(&mut *tx)
                    .await?;
                } else {
                    sqlx::query(
                        "UPDATE subscriptions SET failures = failures + 1, last_error = $1, retry_at = $2, \
                         lease_owner = NULL, lease_until = NULL WHERE id = $3 AND lease_owner = $4",
                    )
                    .bind(&result.error)
                    .bind(result.retry_at)
                    .bind(&sub.id)
                    .bind(owner)
                    .execute(&mut *tx)
                    .await?;
                }
                tx.commit().await?;
                Ok(())
            }

            async fn get_subscription(&self, id: &str) -> Result<Subscription> {
                let sql = format!(
                    "SELECT {SUBSCRIPTION_COLUMNS}, {SUBSCRIPTION_HORIZON} AS horizon FROM subscriptions t WHERE t.id = $1"
                );
                let row = sqlx::query(&sql)
                .bind(id)
                .fetch_optional(&self.pool)
                .await?
                .ok_or_else(|| Error::not_found(format!("subscription {id}")))?;
                subscription_of(&row, self.cipher.as_ref())
            }

            async fn remove_subscription(&self, id: &str) -> Result<()> {
                let mut tx = self.begin_write().await?;
                sqlx::query("DELETE FROM deliveries WHERE subscription_id = $1").bind(id).execute(&mut *tx).await?;
                let gone = sqlx::query("DELETE FROM subscriptions WHERE id = $1").bind(id).execute(&mut *tx).await?;
                if gone.rows_affected() == 0 {
                    return Err(Error::not_found(format!("subscription {id}")));
                }
                tx.commit().await?;
                Ok(())
            }

            async fn deliveries(&self, subscription_id: &str, limit: i64) -> Result<Vec<Delivery>> {
                let rows = sqlx::query(
                    "SELECT id, first_seq, last_seq, status, error, at FROM deliveries \
                     WHERE subscription_id = $1 ORDER BY id DESC LIMIT $2",
                )
                .bind(subscription_id)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?;
                rows.iter()
                    .map(|r| {
                        Ok(Delivery {
                            id: r.try_get("id")?,
                            first_seq: r.try_get("first_seq")?,
                            last_seq: r.try_get("last_seq")?,
                            status: r.try_get::<Option<i64>, _>("status")?.and_then(|s| u16::try_from(s).ok()),
                            error: r.try_get("error")?,
                            at: r.try_get("at")?,
                        })
                    })
                    .collect()
            }

            async fn replay_subscription(&self, id: &str, after: i64) -> Result<()> {
                let after = after.max(0);
                sequence_changes(&self.pool, true).await?;
                let head: i64 = sqlx::query_scalar("SELECT value FROM counters WHERE name = 'change_seq'")
                    .fetch_one(&self.pool)
                    .await?;
                if after > head {
                    return Err(Error::Invalid(format!(
                        "after {after} is past the change feed's head ({head})"
                    )));
                }
                let store_id: Option<Option<String>> = sqlx::query_scalar("SELECT store_id FROM subscriptions WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?;
                let Some(store_id) = store_id else {
                    return Err(Error::not_found(format!("subscription {id}")));
                };
                // Retention pruning right after this check leaves the subscription
                // behind again, which it then shows: never a silent gap.
                let horizon = horizon_in(&self.pool, store_id.as_deref()).await?;
                if after < horizon {
                    return Err(Error::ChangesExpired { after, horizon });
                }
                let done = sqlx::query(
                    "UPDATE subscriptions SET last_seq = $1, failures = 0, last_error = NULL, retry_at = NULL, \
                     lease_owner = NULL, lease_until = NULL WHERE id = $2",
                )
                .bind(after)
                .bind(id)
                .execute(&self.pool)
                .await?;
                if done.rows_affected() == 0 {
                    return Err(Error::not_found(format!("subscription {id}")));
                }
                Ok(())
            }
        }
    };
}

pub(crate) use impl_subscriptions;
