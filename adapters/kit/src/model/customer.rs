//! The unified customer with its addresses.

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Address, Money, Raw};

/// A customer account, normalised.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Customer {
    pub id: Option<String>,
    pub store_id: Option<String>,
    pub platform: String,
    pub platform_id: String,
    pub email: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub phone: Option<String>,
    pub accepts_marketing: Option<bool>,
    pub addresses: Vec<Address>,
    pub default_address: Option<Address>,
    pub orders_count: Option<u64>,
    pub total_spent: Option<Money>,
    pub created_at: Option<DateTime<Utc>>,
    pub updated_at: Option<DateTime<Utc>>,
    pub raw: Option<Raw>,
}

impl Customer {
    /// A customer of `platform` with its id and nothing else known (see [`Order::new`](super::Order::new)).
    pub fn new(platform: &str, platform_id: impl Into<String>) -> Self {
        Self {
            platform: platform.to_owned(),
            platform_id: platform_id.into(),
            ..Self::default()
        }
    }
}
