//! TikTok Shop's JSON, as the platform writes it (202309+): ids as strings (they exceed
//! 2^53), amounts as decimal strings, times as Unix seconds. Only what the mapping
//! reads; everything stays in `raw`.

use polycart_kit::decode::Id;
use serde::Deserialize;

#[derive(Debug, Deserialize)]
pub(crate) struct Order {
    pub id: Id,
    pub status: Option<String>,
    pub create_time: Option<i64>,
    pub update_time: Option<i64>,
    pub paid_time: Option<i64>,
    pub user_id: Option<Id>,
    pub buyer_email: Option<String>,
    pub buyer_message: Option<String>,
    pub payment: Option<Payment>,
    pub recipient_address: Option<Address>,
    #[serde(default)]
    pub line_items: Vec<LineItem>,
    pub delivery_option_name: Option<String>,
    pub delivery_option_id: Option<Id>,
    pub shipping_provider: Option<String>,
    pub cancel_time: Option<i64>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Payment {
    pub currency: Option<String>,
    pub sub_total: Option<String>,
    pub shipping_fee: Option<String>,
    pub seller_discount: Option<String>,
    pub platform_discount: Option<String>,
    pub total_amount: Option<String>,
    pub tax: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Address {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub name: Option<String>,
    pub phone_number: Option<String>,
    pub address_line1: Option<String>,
    pub address_line2: Option<String>,
    pub postal_code: Option<String>,
    pub region_code: Option<String>,
}

/// One unit of a SKU: TikTok writes a line per unit, without a quantity.
#[derive(Debug, Deserialize)]
pub(crate) struct LineItem {
    pub id: Id,
    pub sku_id: Option<Id>,
    pub product_id: Option<Id>,
    pub product_name: Option<String>,
    pub sku_name: Option<String>,
    pub seller_sku: Option<String>,
    pub sale_price: Option<String>,
    pub seller_discount: Option<String>,
    pub platform_discount: Option<String>,
    pub currency: Option<String>,
    #[serde(default)]
    pub item_tax: Vec<ItemTax>,
    pub package_id: Option<Id>,
    pub package_status: Option<String>,
    pub tracking_number: Option<String>,
    pub shipping_provider_name: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct ItemTax {
    pub tax_amount: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Product {
    pub id: Id,
    pub title: Option<String>,
    pub status: Option<String>,
    pub description: Option<String>,
    #[serde(default)]
    pub skus: Vec<Sku>,
    pub create_time: Option<i64>,
    pub update_time: Option<i64>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Sku {
    pub id: Id,
    pub seller_sku: Option<String>,
    pub price: Option<Price>,
    #[serde(default)]
    pub inventory: Vec<Stock>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Price {
    pub currency: Option<String>,
    pub sale_price: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Stock {
    pub warehouse_id: Option<Id>,
    pub quantity: Option<i64>,
}

/// Get Shipping Providers' `data`.
#[derive(Debug, Deserialize)]
pub(crate) struct ShippingProviders {
    #[serde(default)]
    pub shipping_providers: Vec<ShippingProvider>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct ShippingProvider {
    pub id: Id,
    pub name: String,
}

/// A write's `data.errors` (Update Inventory answers `code: 0` with per-SKU errors).
#[derive(Debug, Default, Deserialize)]
pub(crate) struct WriteResult {
    #[serde(default)]
    pub errors: Vec<WriteError>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct WriteError {
    pub code: Option<i64>,
    pub message: Option<String>,
}
