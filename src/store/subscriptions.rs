//! Outbound change-feed subscriptions: the receivers a user registered, leased to one
//! deliverer at a time, their cursor in the feed, replays, and the log of delivery
//! attempts. A subscription made through the API2Cart-compatible surface carries its
//! [`Api2CartHook`]: it is delivered one event at a time in API2Cart's callback shape.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::Result;

/// An outbound change-feed subscription.
#[derive(Debug, Clone)]
pub struct Subscription {
    pub id: String,
    pub url: String,
    pub secret: polycart_kit::Secret,
    /// Only this store's changes; `None` means every store.
    pub store_id: Option<String>,
    /// Every change up to this sequence number has been delivered.
    pub last_seq: i64,
    pub failures: i64,
    pub last_error: Option<String>,
    pub lease_owner: Option<String>,
    /// `Some(oldest retained sequence)` when changes this subscription had not been
    /// sent yet were dropped by retention: it is not delivered to (never with a silent
    /// gap) until replayed from at least the sequence before that one.
    pub fell_behind: Option<i64>,
    /// `Some` for an API2Cart webhook (`/v1.1/webhook.*`): its delivery format is
    /// API2Cart's callback, not polycart's batch.
    pub api2cart: Option<Api2CartHook>,
}

/// An API2Cart webhook's settings: which events it receives and what it sends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Api2CartHook {
    /// API2Cart's numeric webhook id (given by the store; ignored when adding).
    #[serde(skip)]
    pub id: i64,
    /// API2Cart's entity name (`order`, `product`, `customer`, `category`).
    pub entity: String,
    /// `add`, `update` or `delete`.
    pub action: String,
    pub label: Option<String>,
    /// Comma-separated fields of the entity to send; `None` sends all (`force_all`).
    pub fields: Option<String>,
    /// An inactive webhook receives nothing (its events are skipped, not queued).
    pub active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// The result of one delivery attempt.
#[derive(Debug, Clone)]
pub struct DeliveryResult {
    pub first_seq: i64,
    pub last_seq: i64,
    pub status: Option<u16>,
    pub error: Option<String>,
    /// The receiver acknowledged: advance past `last_seq`.
    pub delivered: bool,
    /// When not delivered: do not try again before.
    pub retry_at: Option<DateTime<Utc>>,
}

/// One recorded delivery attempt of a subscription.
#[derive(Debug, Clone, Serialize)]
pub struct Delivery {
    pub id: i64,
    pub first_seq: i64,
    pub last_seq: i64,
    /// The receiver's HTTP status, when it answered.
    pub status: Option<u16>,
    pub error: Option<String>,
    pub at: DateTime<Utc>,
}

/// Outbound subscriptions and their deliveries.
#[async_trait]
pub trait Subscriptions: Send + Sync {
    async fn add_subscription(
        &self,
        url: &url::Url,
        secret: &polycart_kit::Secret,
        store_id: Option<&str>,
    ) -> Result<String>;
    /// Adds an API2Cart webhook: a subscription in API2Cart's format; returns its id
    /// and its API2Cart webhook id.
    async fn add_api2cart_subscription(
        &self,
        url: &url::Url,
        secret: &polycart_kit::Secret,
        store_id: &str,
        hook: &Api2CartHook,
    ) -> Result<(String, i64)>;
    /// Changes an API2Cart webhook's callback (its secret is sealed again to it) and
    /// settings.
    async fn update_api2cart_subscription(
        &self,
        id: &str,
        url: &url::Url,
        hook: &Api2CartHook,
    ) -> Result<()>;
    async fn subscriptions(&self) -> Result<Vec<Subscription>>;
    /// Leases a subscription that is due for delivery (one deliverer per subscription).
    async fn lease_subscription(
        &self,
        owner: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Option<Subscription>>;
    /// Records a delivery attempt, advances on success, and releases the lease.
    async fn record_delivery(
        &self,
        subscription: &Subscription,
        result: &DeliveryResult,
    ) -> Result<()>;
    async fn get_subscription(&self, id: &str) -> Result<Subscription>;
    /// Removes a subscription and its delivery log.
    async fn remove_subscription(&self, id: &str) -> Result<()>;
    /// The newest `limit` delivery attempts, newest first.
    async fn deliveries(&self, subscription_id: &str, limit: i64) -> Result<Vec<Delivery>>;
    /// Re-sends every change after `after`: the subscription moves back, is due at
    /// once, and a delivery in flight can no longer advance it past the replay.
    /// [`Error::ChangesExpired`](super::Error::ChangesExpired) when retention dropped changes after `after`.
    async fn replay_subscription(&self, id: &str, after: i64) -> Result<()>;
}
