//! {{Name}}'s JSON, as the platform writes it: amounts as decimal strings, times as
//! RFC 3339. Only what the mapping reads; everything stays in `raw`.

use polycart_kit::decode::Id;
use serde::Deserialize;

#[derive(Debug, Deserialize)]
pub(crate) struct Order {
    pub id: Id,
    pub number: Option<String>,
    pub status: Option<String>,
    pub currency: Option<String>,
    pub total: Option<String>,
    #[serde(default)]
    pub line_items: Vec<LineItem>,
    pub created_at: Option<String>,
    pub updated_at: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct LineItem {
    pub id: Id,
    pub sku: Option<String>,
    pub name: Option<String>,
    pub quantity: i64,
    pub price: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Product {
    pub id: Id,
    pub name: Option<String>,
    pub sku: Option<String>,
    pub price: Option<String>,
    pub currency: Option<String>,
    pub created_at: Option<String>,
    pub updated_at: Option<String>,
}
