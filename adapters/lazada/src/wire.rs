//! Lazada's JSON, as the platform writes it: ids and most numbers as strings, money as
//! decimal strings on orders and JSON numbers on product SKUs, times as ISO 8601 with
//! an offset (`2018-02-09T22:44:30+08:00`), `2014-10-15 19:12:15 +0800`, or epoch
//! milliseconds in a string (`"1611554725000"`). Only what the mapping reads;
//! everything stays in `raw`.

use polycart_kit::decode::Id;
use serde::Deserialize;
use serde_json::Value;

/// An order of `/orders/get` or `/order/get` (`data`).
#[derive(Debug, Deserialize)]
pub(crate) struct Order {
    pub order_id: Id,
    pub order_number: Option<Id>,
    pub created_at: Option<Value>,
    pub updated_at: Option<Value>,
    pub price: Option<Value>,
    pub shipping_fee: Option<Value>,
    pub voucher: Option<Value>,
    pub voucher_code: Option<String>,
    #[serde(default)]
    pub statuses: Vec<String>,
    pub payment_method: Option<String>,
    pub customer_first_name: Option<String>,
    pub customer_last_name: Option<String>,
    pub address_billing: Option<Address>,
    pub address_shipping: Option<Address>,
    pub remarks: Option<String>,
    pub buyer_note: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Address {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub phone: Option<String>,
    pub address1: Option<String>,
    pub address2: Option<String>,
    pub city: Option<String>,
    pub post_code: Option<String>,
}

/// An order item of `/order/items/get` or `/orders/items/get` (one unit each).
#[derive(Debug, Deserialize)]
pub(crate) struct Item {
    pub order_item_id: Id,
    pub product_id: Option<Id>,
    pub sku_id: Option<Id>,
    pub sku: Option<String>,
    pub name: Option<String>,
    pub status: Option<String>,
    pub item_price: Option<Value>,
    pub paid_price: Option<Value>,
    pub tax_amount: Option<Value>,
    pub voucher_amount: Option<Value>,
    pub currency: Option<String>,
    pub tracking_code: Option<String>,
    pub shipment_provider: Option<String>,
    pub package_id: Option<Id>,
}

/// A product of `/products/get` or `/product/item/get` (`data`).
#[derive(Debug, Deserialize)]
pub(crate) struct Product {
    pub item_id: Id,
    pub primary_category: Option<Id>,
    #[serde(default)]
    pub attributes: Option<Attributes>,
    #[serde(default)]
    pub skus: Vec<Sku>,
    pub images: Option<Value>,
    pub status: Option<String>,
    pub created_time: Option<Value>,
    pub updated_time: Option<Value>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Attributes {
    pub name: Option<String>,
    pub description: Option<String>,
    pub brand: Option<String>,
}

#[derive(Debug, Deserialize)]
#[allow(non_snake_case)]
pub(crate) struct Sku {
    pub SkuId: Id,
    pub SellerSku: Option<String>,
    pub price: Option<Value>,
    pub special_price: Option<Value>,
    pub quantity: Option<Value>,
    pub package_weight: Option<Value>,
    #[serde(default)]
    pub Images: Vec<String>,
}
