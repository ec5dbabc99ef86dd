//! Connected stores (the shops a user syncs): adding, listing, reading their settings
//! and sealed credentials, removing, and their health as the scheduler sees it (the
//! circuit breaker's state, auth back-off, the half-open probe).

use std::collections::BTreeMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use polycart_kit::{Entity, StoreConfig};
use serde::{Deserialize, Serialize};

use super::{Error, Result};

/// A store's health as the scheduler sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StoreState {
    /// Syncing normally.
    Active,
    /// The platform refused the credentials; retried rarely until fixed.
    AuthFailed,
    /// The platform kept failing; not called until the cool-down ends.
    CircuitOpen,
    /// One probe is in flight after a cool-down; its result closes or reopens the circuit.
    HalfOpen,
    /// Syncing stopped by an operator or an uninstall webhook.
    Paused,
}

impl StoreState {
    pub fn as_str(self) -> &'static str {
        match self {
            StoreState::Active => "active",
            StoreState::AuthFailed => "auth_failed",
            StoreState::CircuitOpen => "circuit_open",
            StoreState::HalfOpen => "half_open",
            StoreState::Paused => "paused",
        }
    }

    pub fn parse(s: &str) -> Result<Self> {
        Ok(match s {
            "active" => StoreState::Active,
            "auth_failed" => StoreState::AuthFailed,
            "circuit_open" => StoreState::CircuitOpen,
            "half_open" => StoreState::HalfOpen,
            "paused" => StoreState::Paused,
            other => return Err(Error::Corrupt(format!("unknown store state {other:?}"))),
        })
    }
}

/// The shortest interval between a store's incremental syncs (one minute).
pub const MIN_INTERVAL_SECS: i64 = 60;
/// The longest interval between a store's incremental syncs (seven days).
pub const MAX_INTERVAL_SECS: i64 = 7 * 24 * 3600;

/// A store to connect.
#[derive(Debug, Clone)]
pub struct NewStore {
    pub name: String,
    pub platform: String,
    pub base_url: url::Url,
    pub credentials: BTreeMap<String, polycart_kit::Secret>,
    pub settings: BTreeMap<String, String>,
    /// Entities to sync; empty means every entity the adapter lists.
    pub entities: Vec<Entity>,
    pub interval_secs: i64,
}

/// A connected store as listed (credentials stay encrypted; see [`Stores::store_config`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoreInfo {
    pub id: String,
    pub name: String,
    pub platform: String,
    pub base_url: String,
    pub settings: BTreeMap<String, String>,
    pub entities: Vec<Entity>,
    pub interval_secs: i64,
    pub state: StoreState,
    pub failures: i64,
    pub last_error: Option<String>,
    /// Not called before this time (circuit cool-down, auth back-off).
    pub retry_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// A store's health after a sync attempt.
#[derive(Debug, Clone, PartialEq)]
pub struct Health {
    pub state: StoreState,
    pub failures: i64,
    pub last_error: Option<String>,
    pub retry_at: Option<DateTime<Utc>>,
}

/// Connected stores and their health.
#[async_trait]
pub trait Stores: Send + Sync {
    /// Connects a store: credentials are encrypted, one job per entity is scheduled.
    async fn add_store(&self, new: &NewStore) -> Result<StoreInfo>;
    async fn list_stores(&self) -> Result<Vec<StoreInfo>>;
    async fn get_store(&self, id: &str) -> Result<StoreInfo>;
    /// The store's settings with decrypted credentials, for the adapter.
    async fn store_config(&self, id: &str) -> Result<StoreConfig>;
    /// Removes a store with its records, cursors and jobs (its changes stay in the feed).
    async fn remove_store(&self, id: &str) -> Result<()>;
    /// Merges `credentials` and `settings` into the store's (one transaction, the row
    /// locked): how a rotated OAuth token pair is persisted before it is used.
    async fn update_credentials(
        &self,
        id: &str,
        credentials: &BTreeMap<String, polycart_kit::Secret>,
        settings: &BTreeMap<String, String>,
    ) -> Result<()>;
    async fn set_health(&self, id: &str, health: &Health) -> Result<()>;
    /// Moves a backing-off store to half-open, retried at `until` unless the probe
    /// reports: true for the one caller that did it (its cool-down over, or `force`).
    async fn begin_probe(
        &self,
        id: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
        force: bool,
    ) -> Result<bool>;
}
