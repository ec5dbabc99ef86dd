//! Ecwid's JSON, as the REST API v3 writes it: amounts as JSON numbers (read exactly),
//! times as `2024-09-04 07:22:09 +0000` with a unix twin, no currency anywhere (the
//! store profile has it). Only what the mapping reads; everything stays in `raw`.

use polycart_kit::decode::{Dec, Id};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Order {
    /// The order id merchants see ("K8XTQ", with the store's prefix and suffix).
    pub id: Id,
    pub order_number: Option<Id>,
    pub subtotal: Option<Dec>,
    pub total: Option<Dec>,
    pub tax: Option<Dec>,
    pub coupon_discount: Option<Dec>,
    pub volume_discount: Option<Dec>,
    pub discount: Option<Dec>,
    pub membership_based_discount: Option<Dec>,
    pub refunded_amount: Option<Dec>,
    pub payment_status: Option<String>,
    pub fulfillment_status: Option<String>,
    pub email: Option<String>,
    pub customer_id: Option<Id>,
    pub order_comments: Option<String>,
    pub tracking_number: Option<String>,
    pub create_date: Option<String>,
    pub update_date: Option<String>,
    pub discount_coupon: Option<Coupon>,
    pub shipping_option: Option<ShippingOption>,
    pub billing_person: Option<Person>,
    pub shipping_person: Option<Person>,
    #[serde(default)]
    pub items: Vec<Item>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Coupon {
    pub code: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ShippingOption {
    pub shipping_method_name: Option<String>,
    pub shipping_carrier_name: Option<String>,
    pub shipping_rate: Option<Dec>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Person {
    pub name: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub company_name: Option<String>,
    pub street: Option<String>,
    pub city: Option<String>,
    pub country_code: Option<String>,
    pub postal_code: Option<String>,
    pub state_or_province_code: Option<String>,
    pub state_or_province_name: Option<String>,
    pub phone: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Item {
    pub id: Id,
    pub product_id: Option<Id>,
    pub combination_id: Option<Id>,
    pub sku: Option<String>,
    pub name: Option<String>,
    pub quantity: Option<Dec>,
    pub price: Option<Dec>,
    pub tax: Option<Dec>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Product {
    pub id: Id,
    pub sku: Option<String>,
    pub name: Option<String>,
    pub description: Option<String>,
    pub price: Option<Dec>,
    pub compare_to_price: Option<Dec>,
    pub quantity: Option<i64>,
    pub unlimited: Option<bool>,
    pub enabled: Option<bool>,
    pub weight: Option<Dec>,
    #[serde(default)]
    pub category_ids: Vec<Id>,
    pub original_image_url: Option<String>,
    pub image_url: Option<String>,
    pub created: Option<String>,
    pub updated: Option<String>,
    #[serde(default)]
    pub options: Vec<ProductOption>,
    #[serde(default)]
    pub combinations: Vec<Combination>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct ProductOption {
    pub name: Option<String>,
    #[serde(default)]
    pub choices: Vec<Choice>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Choice {
    pub text: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Combination {
    pub id: Id,
    pub sku: Option<String>,
    pub price: Option<Dec>,
    pub quantity: Option<i64>,
    pub unlimited: Option<bool>,
    pub weight: Option<Dec>,
    pub image_url: Option<String>,
    #[serde(default)]
    pub options: Vec<OptionValue>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct OptionValue {
    pub name: Option<String>,
    pub value: Option<String>,
}
