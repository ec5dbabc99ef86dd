//! Stock of one variant (or simple product) at one location.

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::Raw;

/// An inventory level. `platform_id` identifies the level itself on the platform
/// (for example Shopify's `inventory_item_id:location_id`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct InventoryLevel {
    pub id: Option<String>,
    pub store_id: Option<String>,
    pub platform: String,
    pub platform_id: String,
    pub product_id: Option<String>,
    pub variant_id: Option<String>,
    pub sku: Option<String>,
    pub location_id: Option<String>,
    pub available: Option<i64>,
    pub updated_at: Option<DateTime<Utc>>,
    pub raw: Option<Raw>,
}
