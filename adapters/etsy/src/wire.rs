//! Etsy's JSON, as Open API v3 writes it (the OAS `ShopReceipt`, `ShopListing`,
//! `ListingInventory`, `Shop` and `ShopSection` schemas): money as
//! `{amount, divisor, currency_code}` integers, times as unix seconds, ids as 64-bit
//! integers (read as text, never through a float). Only what the mapping reads;
//! everything stays in `raw`.

use polycart_kit::decode::Id;
use serde::{Deserialize, Serialize};

/// `{"amount": 1867, "divisor": 100, "currency_code": "EUR"}`.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Money {
    pub amount: i64,
    pub divisor: i64,
    pub currency_code: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Receipt {
    pub receipt_id: Id,
    pub status: Option<String>,
    pub buyer_user_id: Option<Id>,
    pub buyer_email: Option<String>,
    pub name: Option<String>,
    pub first_line: Option<String>,
    pub second_line: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub zip: Option<String>,
    pub country_iso: Option<String>,
    pub message_from_buyer: Option<String>,
    pub is_paid: Option<bool>,
    pub is_shipped: Option<bool>,
    pub created_timestamp: Option<i64>,
    pub create_timestamp: Option<i64>,
    pub updated_timestamp: Option<i64>,
    pub update_timestamp: Option<i64>,
    pub grandtotal: Option<Money>,
    pub subtotal: Option<Money>,
    pub total_shipping_cost: Option<Money>,
    pub total_tax_cost: Option<Money>,
    pub total_vat_cost: Option<Money>,
    pub discount_amt: Option<Money>,
    #[serde(default)]
    pub shipments: Vec<ReceiptShipment>,
    #[serde(default)]
    pub transactions: Vec<Transaction>,
    #[serde(default)]
    pub refunds: Vec<Refund>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct ReceiptShipment {
    pub receipt_shipping_id: Option<Id>,
    pub shipment_notification_timestamp: Option<i64>,
    pub carrier_name: Option<String>,
    pub tracking_code: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Transaction {
    pub transaction_id: Id,
    pub title: Option<String>,
    pub quantity: Option<i64>,
    pub listing_id: Option<Id>,
    /// The listing's product: the variant sold.
    pub product_id: Option<Id>,
    pub sku: Option<String>,
    pub price: Option<Money>,
    pub shipping_method: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Refund {
    pub amount: Option<Money>,
    pub created_timestamp: Option<i64>,
    pub reason: Option<String>,
    pub note_from_issuer: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Listing {
    pub listing_id: Id,
    pub title: Option<String>,
    pub description: Option<String>,
    pub state: Option<String>,
    pub quantity: Option<i64>,
    pub shop_section_id: Option<Id>,
    pub created_timestamp: Option<i64>,
    pub creation_timestamp: Option<i64>,
    pub updated_timestamp: Option<i64>,
    pub last_modified_timestamp: Option<i64>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub skus: Vec<String>,
    pub price: Option<Money>,
    pub taxonomy_id: Option<Id>,
    #[serde(default)]
    pub images: Option<Vec<Image>>,
    pub inventory: Option<Inventory>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Image {
    pub url_fullxfull: Option<String>,
    pub url_570x_n: Option<String>,
    pub alt_text: Option<String>,
    pub rank: Option<u32>,
}

/// `getListingInventory` and a listing's `inventory` association. Kept as read, so
/// a write can send it back whole with one change (`updateListingInventory`
/// replaces the whole inventory).
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Inventory {
    #[serde(default)]
    pub products: Vec<InventoryProduct>,
    #[serde(default)]
    pub price_on_property: Vec<i64>,
    #[serde(default)]
    pub quantity_on_property: Vec<i64>,
    #[serde(default)]
    pub sku_on_property: Vec<i64>,
    #[serde(default)]
    pub readiness_state_on_property: Option<Vec<i64>>,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct InventoryProduct {
    pub product_id: Id,
    pub sku: Option<String>,
    #[serde(default)]
    pub is_deleted: bool,
    #[serde(default)]
    pub offerings: Vec<Offering>,
    #[serde(default)]
    pub property_values: Vec<PropertyValue>,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Offering {
    pub quantity: Option<i64>,
    #[serde(default = "yes")]
    pub is_enabled: bool,
    #[serde(default)]
    pub is_deleted: bool,
    pub price: Option<Money>,
    pub readiness_state_id: Option<i64>,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub(crate) struct PropertyValue {
    pub property_id: i64,
    pub property_name: Option<String>,
    pub scale_id: Option<i64>,
    #[serde(default)]
    pub value_ids: Vec<i64>,
    #[serde(default)]
    pub values: Vec<String>,
}

/// The parts of `GET /shops/{shop_id}` the adapter reads.
#[derive(Debug, Deserialize)]
pub(crate) struct Shop {
    pub shop_id: Id,
    pub currency_code: Option<String>,
}

/// `GET /users/me`: who the token belongs to and their shop.
#[derive(Debug, Deserialize)]
pub(crate) struct Me {
    pub shop_id: Option<Id>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Section {
    pub shop_section_id: Id,
    pub title: Option<String>,
    pub rank: Option<i64>,
}
