//! The unified category (a collection, a catalog category, a taxonomy node).

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::Raw;

/// A category, normalised; `parent_id` is the parent's platform id.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Category {
    pub id: Option<String>,
    pub store_id: Option<String>,
    pub platform: String,
    pub platform_id: String,
    pub name: Option<String>,
    pub parent_id: Option<String>,
    pub slug: Option<String>,
    pub description_html: Option<String>,
    pub position: Option<i64>,
    pub created_at: Option<DateTime<Utc>>,
    pub updated_at: Option<DateTime<Utc>>,
    pub raw: Option<Raw>,
}

impl Category {
    /// A category of `platform` with its id and nothing else known (see [`Order::new`](super::Order::new)).
    pub fn new(platform: &str, platform_id: impl Into<String>) -> Self {
        Self {
            platform: platform.to_owned(),
            platform_id: platform_id.into(),
            ..Self::default()
        }
    }
}
