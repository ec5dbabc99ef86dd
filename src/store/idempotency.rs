//! Exactly-once bookkeeping at the edges: the `Idempotency-Key`s of API writes (taken,
//! finished with their response, released, forgotten, and released again when their
//! process died mid-write), and platform webhook deliveries recognised by the
//! platform's delivery id so a retry or a replay is handled once.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::Result;

/// When idempotency keys are taken, forgotten and released.
#[derive(Debug, Clone, Copy)]
pub struct IdempotencyWindow {
    pub now: DateTime<Utc>,
    /// Finished keys older than this are forgotten.
    pub expire_before: DateTime<Utc>,
    /// Keys in progress since before this are released: their lease expired.
    pub lease_expired_before: DateTime<Utc>,
}

/// What [`Idempotency::begin_idempotent`] found for an `Idempotency-Key`.
#[derive(Debug, Clone, PartialEq)]
pub enum IdempotencyState {
    /// The key is new: the caller holds it now and must finish or abandon it.
    Started,
    /// A request with this key is still running (or its process died mid-write).
    InProgress { request_hash: String },
    /// The first request finished with this response.
    Done {
        request_hash: String,
        status: u16,
        body: String,
    },
}

/// Idempotency keys and platform webhook deliveries.
#[async_trait]
pub trait Idempotency: Send + Sync {
    /// Takes `key` for API key `key_id` if it is new; otherwise says what it holds.
    /// Keys older than `window.expire_before` are forgotten first, and keys still in
    /// progress since before `window.lease_expired_before` (their request's process
    /// died) are released.
    async fn begin_idempotent(
        &self,
        key_id: &str,
        key: &str,
        request_hash: &str,
        window: IdempotencyWindow,
    ) -> Result<IdempotencyState>;
    /// Stores the response of the request holding `key`.
    async fn finish_idempotent(
        &self,
        key_id: &str,
        key: &str,
        status: u16,
        body: &str,
    ) -> Result<()>;
    /// Releases `key` when the request provably did not reach the platform.
    async fn abandon_idempotent(&self, key_id: &str, key: &str) -> Result<()>;

    // --- platform webhook deliveries
    /// Records that store `store_id` received delivery `delivery_id` at `now`; false
    /// when it had already (a retry or a replay). Deliveries received before
    /// `forget_before` are forgotten first.
    async fn first_delivery(
        &self,
        store_id: &str,
        delivery_id: &str,
        now: DateTime<Utc>,
        forget_before: DateTime<Utc>,
    ) -> Result<bool>;
}
