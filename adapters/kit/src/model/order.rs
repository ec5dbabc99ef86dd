//! The unified order with its line items, shipping, discounts, refunds and shipments.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Address, Currency, FinancialStatus, FulfillmentStatus, Money, OrderStatus, Raw};

/// An order, normalised.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Order {
    /// polycart's stable id (store id + platform id); `null` until the order belongs to a store.
    pub id: Option<String>,
    pub store_id: Option<String>,
    pub platform: String,
    pub platform_id: String,
    /// The number shoppers see ("#1001", "100000023").
    pub number: Option<String>,
    pub status: Option<OrderStatus>,
    pub platform_status: Option<String>,
    pub financial_status: Option<FinancialStatus>,
    pub platform_financial_status: Option<String>,
    pub fulfillment_status: Option<FulfillmentStatus>,
    pub platform_fulfillment_status: Option<String>,
    pub currency: Option<Currency>,
    pub totals: OrderTotals,
    pub customer: Option<OrderCustomer>,
    pub billing_address: Option<Address>,
    pub shipping_address: Option<Address>,
    pub line_items: Vec<LineItem>,
    pub shipping_lines: Vec<ShippingLine>,
    pub discounts: Vec<Discount>,
    pub refunds: Vec<Refund>,
    pub shipments: Vec<Shipment>,
    pub note: Option<String>,
    pub tags: Vec<String>,
    /// The sales channel or source the platform names ("web", "pos", "checkout").
    pub source: Option<String>,
    pub created_at: Option<DateTime<Utc>>,
    pub updated_at: Option<DateTime<Utc>>,
    pub completed_at: Option<DateTime<Utc>>,
    pub cancelled_at: Option<DateTime<Utc>>,
    pub raw: Option<Raw>,
}

/// The money of an order; each part is `null` where the platform does not report it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct OrderTotals {
    pub subtotal: Option<Money>,
    pub shipping: Option<Money>,
    pub tax: Option<Money>,
    pub discount: Option<Money>,
    pub total: Option<Money>,
    pub paid: Option<Money>,
    pub refunded: Option<Money>,
}

/// Who placed the order, as the order itself records it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct OrderCustomer {
    pub platform_id: Option<String>,
    pub email: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub phone: Option<String>,
}

/// One purchased item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct LineItem {
    pub platform_id: String,
    pub product_id: Option<String>,
    pub variant_id: Option<String>,
    pub sku: Option<String>,
    pub name: Option<String>,
    pub quantity: Decimal,
    pub unit_price: Option<Money>,
    /// Line total before order-level discounts (unit price × quantity).
    pub total: Option<Money>,
    pub tax: Option<Money>,
    pub discount: Option<Money>,
}

/// A shipping charge.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ShippingLine {
    pub method: Option<String>,
    pub carrier: Option<String>,
    pub price: Option<Money>,
}

/// A discount applied to the order (a code, or an automatic discount without one).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Discount {
    pub code: Option<String>,
    pub amount: Option<Money>,
}

/// Money given back to the buyer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Refund {
    pub platform_id: String,
    pub amount: Option<Money>,
    pub reason: Option<String>,
    pub created_at: Option<DateTime<Utc>>,
    pub line_items: Vec<RefundLineItem>,
}

/// Part of a refund that returns a line item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct RefundLineItem {
    pub line_item_id: Option<String>,
    pub quantity: Decimal,
    pub amount: Option<Money>,
}

/// A parcel sent for an order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Shipment {
    pub platform_id: String,
    pub carrier: Option<String>,
    pub tracking_number: Option<String>,
    pub tracking_url: Option<String>,
    /// The platform's shipment status ("success", "in_transit"), as given.
    pub status: Option<String>,
    pub line_items: Vec<ShipmentLineItem>,
    pub created_at: Option<DateTime<Utc>>,
}

/// A line item (or part of one) in a shipment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ShipmentLineItem {
    pub line_item_id: Option<String>,
    pub quantity: Decimal,
}
