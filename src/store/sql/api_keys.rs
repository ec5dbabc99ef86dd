//! The SQL of API keys ([`crate::store::ApiKeys`]): stored by the SHA-256 of their
//! plaintext, with the stores they may read.

/// Expands `impl ApiKeys` for a backend (see [`super::impl_store`]).
macro_rules! impl_api_keys {
    ($store:ident, $db:ty) => {
        use async_trait::async_trait;
        use chrono::Utc;
        use sqlx::Row;

        use crate::store::{ApiKey, ApiKeys, Error, Result, content_hash, new_id};

        use super::$store;

        #[async_trait]
        impl ApiKeys for $store {
            async fn import_api_key(&self, name: &str, store_ids: Option<&[String]>, plaintext: &str) -> Result<(ApiKey, String)> {
                if plaintext.len() < 16 {
                    return Err(Error::Invalid("an API key must be at least 16 characters".into()));
                }
                let plaintext = plaintext.to_owned();
                let key = ApiKey {
                    id: new_id("key"),
                    name: name.to_owned(),
                    store_ids: store_ids.map(<[String]>::to_vec),
                    created_at: Utc::now(),
                };
                sqlx::query("INSERT INTO api_keys (id, name, key_hash, store_ids, created_at) VALUES ($1, $2, $3, $4, $5)")
                    .bind(&key.id)
                    .bind(&key.name)
                    .bind(content_hash(&plaintext))
                    .bind(key.store_ids.as_ref().map(|s| serde_json::to_string(s).expect("ids serialise")))
                    .bind(key.created_at)
                    .execute(&self.pool)
                    .await?;
                Ok((key, plaintext))
            }

            async fn verify_api_key(&self, plaintext: &str) -> Result<Option<ApiKey>> {
                let row = sqlx::query("SELECT id, name, store_ids, created_at FROM api_keys WHERE key_hash = $1")
                    .bind(content_hash(plaintext))
                    .fetch_optional(&self.pool)
                    .await?;
                row.as_ref().map(api_key).transpose()
            }

            async fn list_api_keys(&self) -> Result<Vec<ApiKey>> {
                sqlx::query("SELECT id, name, store_ids, created_at FROM api_keys ORDER BY created_at, id")
                    .fetch_all(&self.pool)
                    .await?
                    .iter()
                    .map(api_key)
                    .collect()
            }

            async fn revoke_api_key(&self, id: &str) -> Result<()> {
                let done = sqlx::query("DELETE FROM api_keys WHERE id = $1").bind(id).execute(&self.pool).await?;
                if done.rows_affected() == 0 {
                    return Err(Error::not_found(format!("api key {id}")));
                }
                Ok(())
            }
        }

        fn api_key(row: &<$db as sqlx::Database>::Row) -> Result<ApiKey> {
            let ids: Option<String> = row.try_get("store_ids")?;
            Ok(ApiKey {
                id: row.try_get("id")?,
                name: row.try_get("name")?,
                store_ids: ids
                    .map(|s| serde_json::from_str(&s).map_err(|e| Error::Corrupt(format!("api key stores: {e}"))))
                    .transpose()?,
                created_at: row.try_get("created_at")?,
            })
        }
    };
}

pub(crate) use impl_api_keys;
