//! Shopee's JSON, as the platform writes it: money as JSON floats in the order's or
//! listing's currency (read exactly by the kit's `Dec`), times as unix seconds (`0`
//! for "not yet"), ids as numbers (`order_sn` as text). Only what the mapping reads;
//! everything stays in `raw`. Lenient where Shopee's own samples are: most fields may
//! be absent.

use polycart_kit::decode::{Dec, Id};
use serde::Deserialize;

/// One order of `get_order_detail`'s `response.order_list`.
#[derive(Debug, Deserialize)]
pub(crate) struct Order {
    pub order_sn: String,
    pub region: Option<String>,
    pub currency: Option<String>,
    pub cod: Option<bool>,
    pub total_amount: Option<Dec>,
    pub order_status: Option<String>,
    pub shipping_carrier: Option<String>,
    pub message_to_seller: Option<String>,
    pub create_time: Option<i64>,
    pub update_time: Option<i64>,
    pub pay_time: Option<i64>,
    pub buyer_user_id: Option<Id>,
    pub recipient_address: Option<Recipient>,
    pub note: Option<String>,
    #[serde(default)]
    pub item_list: Vec<Item>,
    #[serde(default)]
    pub package_list: Vec<Package>,
    /// Added by polycart: `logistics.get_tracking_number` per parcel, by
    /// `package_number` (the composite shape `docs.md` documents).
    #[serde(default)]
    pub tracking_numbers: std::collections::BTreeMap<String, String>,
    /// Added by polycart with the `returns` setting: `payment.get_escrow_detail`'s
    /// response.
    pub escrow_detail: Option<Escrow>,
    /// Added by polycart with the `returns` setting: `returns.get_return_detail`'s
    /// response for each of the escrow's `return_order_sn_list`.
    #[serde(default)]
    pub return_detail_list: Vec<Return>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Escrow {
    pub order_income: Option<Income>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Income {
    pub buyer_paid_shipping_fee: Option<Dec>,
}

/// One return (and refund) request.
#[derive(Debug, Deserialize)]
pub(crate) struct Return {
    pub return_sn: String,
    pub refund_amount: Option<Dec>,
    pub currency: Option<String>,
    pub reason: Option<String>,
    pub text_reason: Option<String>,
    pub create_time: Option<i64>,
    pub status: Option<String>,
    #[serde(default)]
    pub item: Vec<ReturnItem>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct ReturnItem {
    pub item_id: Id,
    pub model_id: Option<Id>,
    pub amount: Option<i64>,
    pub refund_amount: Option<Dec>,
}

/// `recipient_address`: masked per market (`"P******n"`); kept as given.
#[derive(Debug, Deserialize)]
pub(crate) struct Recipient {
    pub name: Option<String>,
    pub phone: Option<String>,
    pub town: Option<String>,
    pub district: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub region: Option<String>,
    pub zipcode: Option<String>,
    pub full_address: Option<String>,
}

/// One line of `item_list`: a model (variation) of an item, or the item itself
/// (`model_id` 0).
#[derive(Debug, Deserialize)]
pub(crate) struct Item {
    pub item_id: Id,
    pub item_name: Option<String>,
    pub item_sku: Option<String>,
    pub model_id: Option<Id>,
    pub model_name: Option<String>,
    pub model_sku: Option<String>,
    pub model_quantity_purchased: Option<i64>,
    pub model_original_price: Option<Dec>,
    pub model_discounted_price: Option<Dec>,
}

/// One parcel of `package_list`.
#[derive(Debug, Deserialize)]
pub(crate) struct Package {
    pub package_number: Option<String>,
    pub logistics_status: Option<String>,
    pub shipping_carrier: Option<String>,
    #[serde(default)]
    pub item_list: Vec<PackageItem>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct PackageItem {
    pub item_id: Id,
    pub model_id: Option<Id>,
    pub model_quantity: Option<i64>,
}

/// One item of `get_item_base_info`'s `response.item_list`, with, where polycart
/// fetched it, the item's `get_model_list` response under `model_list` (the composite
/// shape `docs.md` documents).
#[derive(Debug, Deserialize)]
pub(crate) struct BaseItem {
    pub item_id: Id,
    pub category_id: Option<Id>,
    pub item_name: Option<String>,
    pub description: Option<String>,
    pub item_sku: Option<String>,
    pub create_time: Option<i64>,
    pub update_time: Option<i64>,
    #[serde(default)]
    pub price_info: Vec<PriceInfo>,
    pub image: Option<Images>,
    pub weight: Option<Dec>,
    pub item_status: Option<String>,
    pub has_model: Option<bool>,
    pub stock_info_v2: Option<StockInfo>,
    pub brand: Option<Brand>,
    pub model_list: Option<ModelList>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct PriceInfo {
    pub currency: Option<String>,
    pub original_price: Option<Dec>,
    pub current_price: Option<Dec>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Images {
    #[serde(default)]
    pub image_url_list: Vec<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct StockInfo {
    pub summary_info: Option<StockSummary>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct StockSummary {
    pub total_available_stock: Option<i64>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Brand {
    pub original_brand_name: Option<String>,
}

/// `get_model_list`'s `response`: the tiers (option names and values) and the models.
#[derive(Debug, Deserialize)]
pub(crate) struct ModelList {
    #[serde(default)]
    pub tier_variation: Vec<Tier>,
    #[serde(default)]
    pub model: Vec<Model>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Tier {
    pub name: Option<String>,
    #[serde(default)]
    pub option_list: Vec<TierOption>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct TierOption {
    pub option: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Model {
    pub model_id: Id,
    pub model_sku: Option<String>,
    #[serde(default)]
    pub tier_index: Vec<usize>,
    #[serde(default)]
    pub price_info: Vec<PriceInfo>,
    pub stock_info_v2: Option<StockInfo>,
}
