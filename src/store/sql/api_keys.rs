//! The SQL of API keys ([`crate::store::ApiKeys`]): stored by the SHA-256 of their
//! plaintext, with the stores they may read.

/// Expands `impl ApiKeys` for a backend (see [`super::impl_store`]).
macro_rules! impl_api_keys {
    ($store:ident) => {
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
                let Some(row) = row else { return Ok(None) };
                let ids: Option<String> = row.try_get("store_ids")?;
                Ok(Some(ApiKey {
                    id: row.try_get("id")?,
                    name: row.try_get("name")?,
                    store_ids: ids
                        .map(|s| serde_json::from_str(&s).map_err(|e| Error::Corrupt(format!("api key stores: {e}"))))
                        .transpose()?,
                    created_at: row.try_get("created_at")?,
                }))
            }
        }
    };
}

pub(crate) use impl_api_keys;
