//! The unified product with its variants, options and images.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Money, ProductStatus, Raw};

/// A product, normalised. A product without variants on its platform gets none here.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Product {
    pub id: Option<String>,
    pub store_id: Option<String>,
    pub platform: String,
    pub platform_id: String,
    pub name: Option<String>,
    pub sku: Option<String>,
    pub description_html: Option<String>,
    pub status: Option<ProductStatus>,
    pub platform_status: Option<String>,
    pub vendor: Option<String>,
    pub product_type: Option<String>,
    pub tags: Vec<String>,
    pub category_ids: Vec<String>,
    pub images: Vec<Image>,
    pub price: Option<Money>,
    pub compare_at_price: Option<Money>,
    pub options: Vec<ProductOption>,
    pub variants: Vec<Variant>,
    /// Total stock over variants and locations, where the platform reports it.
    pub inventory_quantity: Option<i64>,
    pub created_at: Option<DateTime<Utc>>,
    pub updated_at: Option<DateTime<Utc>>,
    pub raw: Option<Raw>,
}

impl Product {
    /// A product of `platform` with its id and nothing else known (see [`Order::new`](super::Order::new)).
    pub fn new(platform: &str, platform_id: impl Into<String>) -> Self {
        Self {
            platform: platform.to_owned(),
            platform_id: platform_id.into(),
            ..Self::default()
        }
    }
}

/// A product image.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Image {
    pub url: String,
    pub alt: Option<String>,
    pub position: Option<u32>,
}

/// An option a shopper chooses ("Size": ["S", "M"]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ProductOption {
    pub name: String,
    pub values: Vec<String>,
}

/// One purchasable version of a product.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Variant {
    pub platform_id: String,
    pub sku: Option<String>,
    pub barcode: Option<String>,
    /// Option name → chosen value.
    pub options: BTreeMap<String, String>,
    pub price: Option<Money>,
    pub compare_at_price: Option<Money>,
    pub inventory_quantity: Option<i64>,
    pub weight: Option<Weight>,
    pub image_url: Option<String>,
}

/// A weight with its unit as the platform gives it ("kg", "g", "lb", "oz").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Weight {
    pub value: Decimal,
    pub unit: String,
}
