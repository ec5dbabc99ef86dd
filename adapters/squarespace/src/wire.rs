//! Squarespace's JSON, as the Commerce APIs write it (developers.squarespace.com):
//! money as `{"currency": "USD", "value": "10.00"}` with a decimal string, times as
//! ISO 8601 UTC with milliseconds, ids as hex strings (variants as UUIDs). Only what
//! the mapping reads; everything stays in `raw`. Squarespace says every documented
//! field is present, possibly `null`, and an empty array may come as `null`: every
//! list here reads `null` as empty.

use polycart_kit::decode::Dec;
use serde::{Deserialize, Deserializer};

/// A list that may be `null`.
fn list<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Vec<T>, D::Error> {
    Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
}

/// `{"currency": "USD", "value": "10.00"}`.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Amount {
    pub currency: String,
    pub value: Dec,
}

/// An Orders API 1.0 order.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Order {
    pub id: String,
    pub order_number: Option<String>,
    pub created_on: Option<String>,
    pub modified_on: Option<String>,
    pub channel: Option<String>,
    pub channel_name: Option<String>,
    pub customer_email: Option<String>,
    pub customer_id: Option<String>,
    pub billing_address: Option<Address>,
    pub shipping_address: Option<Address>,
    pub fulfillment_status: Option<String>,
    pub payment_state: Option<String>,
    #[serde(default, deserialize_with = "list")]
    pub line_items: Vec<LineItem>,
    #[serde(default, deserialize_with = "list")]
    pub internal_notes: Vec<Note>,
    #[serde(default, deserialize_with = "list")]
    pub shipping_lines: Vec<ShippingLine>,
    #[serde(default, deserialize_with = "list")]
    pub discount_lines: Vec<DiscountLine>,
    #[serde(default, deserialize_with = "list")]
    pub fulfillments: Vec<Fulfillment>,
    pub subtotal: Option<Amount>,
    pub shipping_total: Option<Amount>,
    pub discount_total: Option<Amount>,
    pub tax_total: Option<Amount>,
    pub refunded_total: Option<Amount>,
    pub grand_total: Option<Amount>,
    pub fulfilled_on: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Address {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub address1: Option<String>,
    pub address2: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub country_code: Option<String>,
    pub postal_code: Option<String>,
    pub phone: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct LineItem {
    pub id: String,
    pub variant_id: Option<String>,
    pub product_id: Option<String>,
    pub sku: Option<String>,
    pub product_name: Option<String>,
    pub quantity: Option<i64>,
    pub unit_price_paid: Option<Amount>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Note {
    pub content: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct ShippingLine {
    pub method: Option<String>,
    pub amount: Option<Amount>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DiscountLine {
    pub name: Option<String>,
    pub promo_code: Option<String>,
    pub amount: Option<Amount>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Fulfillment {
    pub ship_date: Option<String>,
    pub carrier_name: Option<String>,
    pub tracking_number: Option<String>,
    pub tracking_url: Option<String>,
}

/// A Products API v2 product.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Product {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub store_page_id: Option<String>,
    pub name: Option<String>,
    pub description: Option<String>,
    pub is_visible: Option<bool>,
    #[serde(default, deserialize_with = "list")]
    pub tags: Vec<String>,
    #[serde(default, deserialize_with = "list")]
    pub variant_attributes: Vec<String>,
    #[serde(default, deserialize_with = "list")]
    pub variants: Vec<Variant>,
    #[serde(default, deserialize_with = "list")]
    pub images: Vec<Image>,
    /// A download product's one price (it has no variants).
    pub pricing: Option<Pricing>,
    pub created_on: Option<String>,
    pub modified_on: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Variant {
    pub id: String,
    pub sku: Option<String>,
    pub gtin: Option<String>,
    pub pricing: Option<Pricing>,
    pub stock: Option<Stock>,
    pub attributes: Option<std::collections::BTreeMap<String, String>>,
    pub shipping_measurements: Option<Measurements>,
    pub image: Option<Image>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Pricing {
    pub base_price: Option<Amount>,
    pub on_sale: Option<bool>,
    pub sale_price: Option<Amount>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Stock {
    pub quantity: Option<i64>,
    pub unlimited: Option<bool>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Measurements {
    pub weight: Option<WeightValue>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct WeightValue {
    pub unit: Option<String>,
    pub value: Option<Dec>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Image {
    pub url: Option<String>,
    pub alt_text: Option<String>,
    pub order_index: Option<u32>,
}

/// An Inventory API item: one tracked product variant.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct InventoryItem {
    pub variant_id: String,
    pub sku: Option<String>,
    pub is_unlimited: Option<bool>,
    pub quantity: Option<i64>,
}

/// A Profiles API profile (customers are the profiles with `isCustomer`).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Profile {
    pub id: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<String>,
    pub accepts_marketing: Option<bool>,
    pub created_on: Option<String>,
    pub address: Option<Address>,
    pub transactions_summary: Option<TransactionsSummary>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct TransactionsSummary {
    pub order_count: Option<u64>,
    pub total_order_amount: Option<Amount>,
}
