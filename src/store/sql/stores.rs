//! The SQL of connected stores ([`crate::store::Stores`]): their credentials sealed
//! with a context naming the store and its URL (so sealed credentials moved to another
//! row or URL do not open), one job per entity scheduled at connection, rotation under
//! the row's lock, and the health the scheduler writes.

/// A store's columns as listed (its credentials stay sealed).
pub(in crate::store) const STORE_COLUMNS: &str = "id, name, platform, base_url, settings, entities, interval_secs, state, \
     failures, last_error, retry_at, created_at";

/// Expands `impl Stores` for a backend (see [`super::impl_store`]).
macro_rules! impl_stores {
    ($store:ident, $db:ty) => {
        use std::collections::BTreeMap;

        use async_trait::async_trait;
        use chrono::{DateTime, Utc};
        use polycart_kit::{Secret, StoreConfig};
        use sqlx::Row;

        use crate::store::crypto::store_context;
        use crate::store::sql::entities_of;
        use crate::store::sql::stores::STORE_COLUMNS;
        use crate::store::{Error, Health, NewStore, Result, StoreInfo, StoreState, Stores, new_id};

        use super::$store;

        fn store_info(row: &<$db as sqlx::Database>::Row) -> Result<StoreInfo> {
            let settings: String = row.try_get("settings")?;
            Ok(StoreInfo {
                id: row.try_get("id")?,
                name: row.try_get("name")?,
                platform: row.try_get("platform")?,
                base_url: row.try_get("base_url")?,
                settings: serde_json::from_str(&settings)
                    .map_err(|e| Error::Corrupt(format!("store settings: {e}")))?,
                entities: entities_of(&row.try_get::<String, _>("entities")?)?,
                interval_secs: row.try_get("interval_secs")?,
                state: StoreState::parse(&row.try_get::<String, _>("state")?)?,
                failures: row.try_get("failures")?,
                last_error: row.try_get("last_error")?,
                retry_at: row.try_get("retry_at")?,
                created_at: row.try_get("created_at")?,
            })
        }

        /// Opens a store row's credentials (columns id, platform, base_url, credentials).
        pub(super) fn store_credentials(
            row: &<$db as sqlx::Database>::Row,
            cipher: Option<&crate::store::Cipher>,
        ) -> Result<BTreeMap<String, Secret>> {
            let Some(sealed) = row.try_get::<Option<Vec<u8>>, _>("credentials")? else {
                return Ok(BTreeMap::new());
            };
            let context = store_context(
                &row.try_get::<String, _>("id")?,
                &row.try_get::<String, _>("platform")?,
                &row.try_get::<String, _>("base_url")?,
            );
            let cipher = cipher.ok_or(Error::MissingKey)?;
            let plain: BTreeMap<String, String> =
                serde_json::from_slice(&cipher.decrypt(&sealed, &context)?).map_err(|_| Error::Decrypt)?;
            Ok(plain.into_iter().map(|(k, v)| (k, Secret::new(v))).collect())
        }

        #[async_trait]
        impl Stores for $store {
            async fn add_store(&self, new: &NewStore) -> Result<StoreInfo> {
                if new.entities.is_empty() {
                    return Err(Error::Invalid("a store needs at least one entity to sync".into()));
                }
                if !(crate::store::MIN_INTERVAL_SECS..=crate::store::MAX_INTERVAL_SECS).contains(&new.interval_secs) {
                    return Err(Error::Invalid(format!(
                        "interval_secs must be between {} and {}",
                        crate::store::MIN_INTERVAL_SECS,
                        crate::store::MAX_INTERVAL_SECS
                    )));
                }
                let id = new_id("st");
                let credentials = if new.credentials.is_empty() {
                    None
                } else {
                    let cipher = self.cipher.as_ref().ok_or(Error::MissingKey)?;
                    let plain: BTreeMap<&str, &str> =
                        new.credentials.iter().map(|(k, v)| (k.as_str(), v.expose())).collect();
                    let json = serde_json::to_vec(&plain).expect("credentials serialise");
                    Some(cipher.encrypt(&json, &store_context(&id, &new.platform, new.base_url.as_str())))
                };
                let now = Utc::now();
                let entities: Vec<&str> = new.entities.iter().map(|e| e.as_str()).collect();
                let mut tx = self.begin_write().await?;
                sqlx::query(
                    "INSERT INTO stores (id, name, platform, base_url, credentials, settings, entities, interval_secs, \
                     state, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'active', $9)",
                )
                .bind(&id)
                .bind(&new.name)
                .bind(&new.platform)
                .bind(new.base_url.as_str())
                .bind(credentials)
                .bind(serde_json::to_string(&new.settings).expect("settings serialise"))
                .bind(entities.join(","))
                .bind(new.interval_secs)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                for entity in &new.entities {
                    sqlx::query("INSERT INTO jobs (store_id, entity, due_at) VALUES ($1, $2, $3)")
                        .bind(&id)
                        .bind(entity.as_str())
                        .bind(now)
                        .execute(&mut *tx)
                        .await?;
                }
                tx.commit().await?;
                self.get_store(&id).await
            }

            async fn list_stores(&self) -> Result<Vec<StoreInfo>> {
                let sql = format!("SELECT {STORE_COLUMNS} FROM stores ORDER BY created_at, id");
                sqlx::query(&sql).fetch_all(&self.pool).await?.iter().map(store_info).collect()
            }

            async fn get_store(&self, id: &str) -> Result<StoreInfo> {
                let sql = format!("SELECT {STORE_COLUMNS} FROM stores WHERE id = $1");
                let row = sqlx::query(&sql).bind(id).fetch_optional(&self.pool).await?;
                store_info(&row.ok_or_else(|| Error::not_found(format!("store {id}")))?)
            }

            async fn store_config(&self, id: &str) -> Result<StoreConfig> {
                let row = sqlx::query("SELECT id, platform, base_url, credentials, settings FROM stores WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?
                    .ok_or_else(|| Error::not_found(format!("store {id}")))?;
                let base_url: String = row.try_get("base_url")?;
                let settings: String = row.try_get("settings")?;
                let credentials = store_credentials(&row, self.cipher.as_ref())?;
                Ok(StoreConfig {
                    store_id: id.to_owned(),
                    base_url: url::Url::parse(&base_url).map_err(|e| Error::Corrupt(format!("store url: {e}")))?,
                    credentials,
                    settings: serde_json::from_str(&settings)
                        .map_err(|e| Error::Corrupt(format!("store settings: {e}")))?,
                })
            }

            async fn update_credentials(
                &self,
                id: &str,
                credentials: &BTreeMap<String, Secret>,
                settings: &BTreeMap<String, String>,
            ) -> Result<()> {
                let cipher = self.cipher.as_ref().ok_or(Error::MissingKey)?;
                let mut tx = self.begin_write().await?;
                // Lock the row first (PostgreSQL): concurrent rotations apply one by one.
                let locked = sqlx::query("UPDATE stores SET credentials = credentials WHERE id = $1")
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                if locked.rows_affected() == 0 {
                    return Err(Error::not_found(format!("store {id}")));
                }
                let row = sqlx::query("SELECT id, platform, base_url, credentials, settings FROM stores WHERE id = $1")
                    .bind(id)
                    .fetch_one(&mut *tx)
                    .await?;
                let mut merged = store_credentials(&row, Some(cipher))?;
                merged.extend(credentials.iter().map(|(k, v)| (k.clone(), v.clone())));
                let mut all_settings: BTreeMap<String, String> = serde_json::from_str(&row.try_get::<String, _>("settings")?)
                    .map_err(|e| Error::Corrupt(format!("store settings: {e}")))?;
                all_settings.extend(settings.iter().map(|(k, v)| (k.clone(), v.clone())));
                let plain: BTreeMap<&str, &str> = merged.iter().map(|(k, v)| (k.as_str(), v.expose())).collect();
                let json = serde_json::to_vec(&plain).expect("credentials serialise");
                let context = store_context(
                    id,
                    &row.try_get::<String, _>("platform")?,
                    &row.try_get::<String, _>("base_url")?,
                );
                sqlx::query("UPDATE stores SET credentials = $1, settings = $2 WHERE id = $3")
                    .bind(cipher.encrypt(&json, &context))
                    .bind(serde_json::to_string(&all_settings).expect("settings serialise"))
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(())
            }

            async fn remove_store(&self, id: &str) -> Result<()> {
                let mut tx = self.begin_write().await?;
                for table in ["jobs", "cursors", "records", "sync_runs"] {
                    sqlx::query(&format!("DELETE FROM {table} WHERE store_id = $1"))
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                }
                let done = sqlx::query("DELETE FROM stores WHERE id = $1").bind(id).execute(&mut *tx).await?;
                if done.rows_affected() == 0 {
                    return Err(Error::not_found(format!("store {id}")));
                }
                tx.commit().await?;
                Ok(())
            }

            async fn set_health(&self, id: &str, health: &Health) -> Result<()> {
                sqlx::query("UPDATE stores SET state = $1, failures = $2, last_error = $3, retry_at = $4 WHERE id = $5")
                    .bind(health.state.as_str())
                    .bind(health.failures)
                    .bind(&health.last_error)
                    .bind(health.retry_at)
                    .bind(id)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn begin_probe(&self, id: &str, now: DateTime<Utc>, until: DateTime<Utc>, force: bool) -> Result<bool> {
                let done = sqlx::query(
                    "UPDATE stores SET state = 'half_open', retry_at = $1 WHERE id = $2 \
                     AND state IN ('circuit_open', 'auth_failed', 'half_open') \
                     AND ($3 OR retry_at IS NULL OR retry_at <= $4)",
                )
                .bind(until)
                .bind(id)
                .bind(force)
                .bind(now)
                .execute(&self.pool)
                .await?;
                Ok(done.rows_affected() == 1)
            }
        }
    };
}

pub(crate) use impl_stores;
