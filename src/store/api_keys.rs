//! The API keys of the unified HTTP API: created (or imported) once with their
//! plaintext shown to the caller, stored only as a hash, optionally scoped to stores.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{Result, new_id};

/// An API key (its plaintext is shown once, at creation; only a hash is stored).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ApiKey {
    pub id: String,
    pub name: String,
    /// Stores the key may read; `None` means every store.
    pub store_ids: Option<Vec<String>>,
    pub created_at: DateTime<Utc>,
}

/// API keys.
#[async_trait]
pub trait ApiKeys: Send + Sync {
    /// Creates a key; returns it with its plaintext (shown once).
    async fn create_api_key(
        &self,
        name: &str,
        store_ids: Option<&[String]>,
    ) -> Result<(ApiKey, String)> {
        self.import_api_key(name, store_ids, &new_id("pck")).await
    }
    /// Stores a key whose plaintext the caller chose (the demo's `--api-key`); only
    /// its hash is kept. Keys shorter than 16 characters are refused.
    async fn import_api_key(
        &self,
        name: &str,
        store_ids: Option<&[String]>,
        plaintext: &str,
    ) -> Result<(ApiKey, String)>;
    async fn verify_api_key(&self, plaintext: &str) -> Result<Option<ApiKey>>;
    /// Every key (never a plaintext or a hash), oldest first.
    async fn list_api_keys(&self) -> Result<Vec<ApiKey>>;
    /// Deletes a key: requests bearing it are refused from now on. `NotFound` when
    /// there is no such key.
    async fn revoke_api_key(&self, id: &str) -> Result<()>;
}
