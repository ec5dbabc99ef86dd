//! WooCommerce's REST (wc/v3) JSON as it arrives: private serde types with every field
//! optional, because a self-hosted store's plugins and versions add, drop and retype
//! fields. Amounts stay strings here; `mapping` turns them into exact decimals.

use polycart_kit::decode::{Dec, Id};
use serde::Deserialize;

/// `billing` / `shipping` of orders and customers.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct Address {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub company: Option<String>,
    pub address_1: Option<String>,
    pub address_2: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub postcode: Option<String>,
    pub country: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct Meta {
    pub key: Option<String>,
    pub value: Option<serde_json::Value>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Order {
    pub id: Id,
    #[serde(default)]
    pub number: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub currency: Option<String>,
    #[serde(default)]
    pub date_created_gmt: Option<String>,
    #[serde(default)]
    pub date_modified_gmt: Option<String>,
    #[serde(default)]
    pub date_paid_gmt: Option<String>,
    #[serde(default)]
    pub date_completed_gmt: Option<String>,
    #[serde(default)]
    pub discount_total: Option<String>,
    #[serde(default)]
    pub shipping_total: Option<String>,
    #[serde(default)]
    pub total: Option<String>,
    #[serde(default)]
    pub total_tax: Option<String>,
    #[serde(default)]
    pub customer_id: Option<Id>,
    #[serde(default)]
    pub customer_note: Option<String>,
    #[serde(default)]
    pub created_via: Option<String>,
    #[serde(default)]
    pub billing: Option<Address>,
    #[serde(default)]
    pub shipping: Option<Address>,
    #[serde(default)]
    pub line_items: Vec<LineItem>,
    #[serde(default)]
    pub shipping_lines: Vec<ShippingLine>,
    #[serde(default)]
    pub fee_lines: Vec<FeeLine>,
    #[serde(default)]
    pub coupon_lines: Vec<CouponLine>,
    #[serde(default)]
    pub refunds: Vec<RefundSummary>,
    #[serde(default)]
    pub meta_data: Vec<Meta>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct LineItem {
    pub id: Id,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub product_id: Option<Id>,
    #[serde(default)]
    pub variation_id: Option<Id>,
    pub quantity: Dec,
    #[serde(default)]
    pub subtotal: Option<String>,
    #[serde(default)]
    pub total: Option<String>,
    #[serde(default)]
    pub total_tax: Option<String>,
    #[serde(default)]
    pub sku: Option<String>,
    /// A JSON number in wc/v3 (the one amount that is not a string).
    #[serde(default)]
    pub price: Option<Dec>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct ShippingLine {
    #[serde(default)]
    pub method_title: Option<String>,
    #[serde(default)]
    pub method_id: Option<String>,
    #[serde(default)]
    pub total: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct FeeLine {
    pub id: Id,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub total: Option<String>,
    #[serde(default)]
    pub total_tax: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct CouponLine {
    #[serde(default)]
    pub code: Option<String>,
    #[serde(default)]
    pub discount: Option<String>,
}

/// The short refund entry embedded in an order: `{id, reason, total: "-10.00"}`
/// (`refund` instead of `reason` before WooCommerce 3.x's v2 controller).
#[derive(Debug, Deserialize)]
pub(crate) struct RefundSummary {
    pub id: Id,
    #[serde(default, alias = "refund")]
    pub reason: Option<String>,
    #[serde(default)]
    pub total: Option<String>,
}

/// A refund from `/orders/{id}/refunds`.
#[derive(Debug, Deserialize)]
pub(crate) struct Refund {
    pub id: Id,
    #[serde(default)]
    pub date_created_gmt: Option<String>,
    #[serde(default)]
    pub amount: Option<String>,
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub line_items: Vec<RefundLine>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct RefundLine {
    /// Negative in WooCommerce (`-1`).
    pub quantity: Dec,
    #[serde(default)]
    pub total: Option<String>,
    /// Newer stores name the refunded item directly.
    #[serde(default)]
    pub refunded_item_id: Option<Id>,
    #[serde(default)]
    pub meta_data: Vec<Meta>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct Term {
    pub id: Option<Id>,
    pub name: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct Image {
    pub src: Option<String>,
    pub alt: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct Attribute {
    pub name: Option<String>,
    /// Product attributes list their options.
    pub options: Vec<String>,
    /// Variation attributes carry the chosen one.
    pub option: Option<String>,
    pub variation: Option<bool>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Product {
    pub id: Id,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub sku: Option<String>,
    #[serde(default)]
    pub price: Option<String>,
    #[serde(default)]
    pub regular_price: Option<String>,
    #[serde(default)]
    pub sale_price: Option<String>,
    #[serde(default)]
    pub date_created_gmt: Option<String>,
    #[serde(default)]
    pub date_modified_gmt: Option<String>,
    #[serde(default)]
    pub manage_stock: Option<serde_json::Value>,
    #[serde(default)]
    pub stock_quantity: Option<i64>,
    #[serde(default)]
    pub categories: Vec<Term>,
    #[serde(default)]
    pub tags: Vec<Term>,
    #[serde(default)]
    pub images: Vec<Image>,
    #[serde(default)]
    pub attributes: Vec<Attribute>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Variation {
    pub id: Id,
    #[serde(default)]
    pub sku: Option<String>,
    #[serde(default)]
    pub price: Option<String>,
    #[serde(default)]
    pub regular_price: Option<String>,
    #[serde(default)]
    pub sale_price: Option<String>,
    #[serde(default)]
    pub manage_stock: Option<serde_json::Value>,
    #[serde(default)]
    pub stock_quantity: Option<i64>,
    #[serde(default)]
    pub weight: Option<String>,
    #[serde(default)]
    pub image: Option<Image>,
    #[serde(default)]
    pub attributes: Vec<Attribute>,
    #[serde(default)]
    pub global_unique_id: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Customer {
    pub id: Id,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub first_name: Option<String>,
    #[serde(default)]
    pub last_name: Option<String>,
    #[serde(default)]
    pub date_created_gmt: Option<String>,
    #[serde(default)]
    pub date_modified_gmt: Option<String>,
    #[serde(default)]
    pub billing: Option<Address>,
    #[serde(default)]
    pub shipping: Option<Address>,
    #[serde(default)]
    pub orders_count: Option<u64>,
    #[serde(default)]
    pub total_spent: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Category {
    pub id: Id,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub slug: Option<String>,
    #[serde(default)]
    pub parent: Option<Id>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub menu_order: Option<i64>,
}
