//! Schema drift as the sync store keeps it, so every worker's findings reach
//! `polycart drift`, `GET /v1/drift` and `/metrics`: the learnt shape per platform ×
//! entity × API version (`kit::drift::Shape`), the fields that did not fit it with
//! when and how often they were seen, and each store's announced API deprecation.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use polycart_kit::Entity;
use polycart_kit::drift::{Finding, Shape};
use serde::Serialize;

use super::Result;

/// Drift rows kept per platform × entity × API version: past it new findings are
/// dropped (known ones still count), so a platform that renames everything cannot
/// grow the table without bound.
pub const MAX_DRIFT_ROWS: i64 = 200;

/// A field that did not fit the learnt shape.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct DriftRow {
    pub platform: String,
    pub entity: String,
    pub api_version: String,
    /// Dotted path, `[]` for array items (`line_items[].sku`).
    pub field: String,
    /// `unknown_field` or `type_changed`.
    pub kind: String,
    /// The JSON type seen (`string`, `number`, `boolean`, `object`, `array`, `null`).
    pub seen_type: String,
    /// The JSON type the shape knows; `null` for an unknown field.
    pub expected_type: Option<String>,
    pub first_seen: DateTime<Utc>,
    pub last_seen: DateTime<Utc>,
    /// Sampled records that had it.
    pub count: i64,
}

/// A deprecation a platform announced for the API version a store is spoken to in.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct DeprecationRow {
    pub platform: String,
    pub store_id: String,
    pub api_version: String,
    /// The platform's words (Shopify's `X-Shopify-API-Deprecated-Reason`), or ours.
    pub reason: String,
    /// When the platform stops serving the version, where known.
    pub sunset: Option<DateTime<Utc>>,
    pub first_seen: DateTime<Utc>,
    pub last_seen: DateTime<Utc>,
}

/// Learnt shapes, drift findings and API deprecations.
#[async_trait]
pub trait SchemaDrift: Send + Sync {
    /// The shape learnt for a platform × entity × API version, if any.
    async fn load_shape(
        &self,
        platform: &str,
        entity: Entity,
        api_version: &str,
    ) -> Result<Option<Shape>>;
    /// Stores (replaces) the shape.
    async fn save_shape(
        &self,
        platform: &str,
        entity: Entity,
        api_version: &str,
        shape: &Shape,
        now: DateTime<Utc>,
    ) -> Result<()>;
    /// Counts `findings` (one per sampled record that had it): a known row's
    /// `count` and `last_seen` grow; a new one is added while the platform × entity ×
    /// version has fewer than [`MAX_DRIFT_ROWS`].
    async fn record_drift(
        &self,
        platform: &str,
        entity: Entity,
        api_version: &str,
        findings: &[Finding],
        now: DateTime<Utc>,
    ) -> Result<()>;
    /// Records (or refreshes) a store's deprecation: `first_seen` stays, the rest is
    /// the latest.
    async fn record_deprecation(&self, deprecation: &DeprecationRow) -> Result<()>;
    /// Every drift row, most recently seen first.
    async fn drift_rows(&self) -> Result<Vec<DriftRow>>;
    /// The deprecations of existing stores (of `store_ids` only, when given).
    async fn deprecations(&self, store_ids: Option<&[String]>) -> Result<Vec<DeprecationRow>>;
}
