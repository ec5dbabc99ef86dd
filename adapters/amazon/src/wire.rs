//! The SP-API's JSON as the references (amzn/selling-partner-api-models) describe
//! it: Orders API 2026-01-01 orders (camelCase, money `{amount, currencyCode}`), Orders
//! API v0 orders and order items (PascalCase, money `{CurrencyCode, Amount}`), and
//! Listings Items 2021-08-01 items. Only the fields the mapping reads; every one
//! optional, since `includedData` decides which sections come.

use polycart_kit::decode::Dec;
use serde::Deserialize;

/// v2026 money: `{"amount": "12.34", "currencyCode": "USD"}`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Money {
    pub amount: Option<Dec>,
    pub currency_code: Option<String>,
}

/// v2026 `Order`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Order {
    pub order_id: String,
    pub created_time: Option<String>,
    pub last_updated_time: Option<String>,
    #[serde(default)]
    pub programs: Vec<String>,
    pub sales_channel: Option<SalesChannel>,
    pub buyer: Option<Buyer>,
    pub recipient: Option<Recipient>,
    pub proceeds: Option<OrderProceeds>,
    pub fulfillment: Option<OrderFulfillment>,
    #[serde(default)]
    pub order_items: Vec<OrderItem>,
    #[serde(default)]
    pub packages: Vec<Package>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SalesChannel {
    pub channel_name: Option<String>,
    pub marketplace_id: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Buyer {
    pub buyer_name: Option<String>,
    pub buyer_email: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Recipient {
    pub delivery_address: Option<Address>,
}

/// v2026 address.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Address {
    pub name: Option<String>,
    pub company_name: Option<String>,
    pub address_line1: Option<String>,
    pub address_line2: Option<String>,
    pub address_line3: Option<String>,
    pub city: Option<String>,
    pub state_or_region: Option<String>,
    pub postal_code: Option<String>,
    pub country_code: Option<String>,
    pub phone: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct OrderProceeds {
    pub grand_total: Option<Money>,
    #[serde(default)]
    pub breakdowns: Vec<Breakdown>,
}

/// One part of proceeds: `{"type": "ITEM", "subtotal": {...}}`.
#[derive(Debug, Deserialize)]
pub(crate) struct Breakdown {
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub subtotal: Option<Money>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct OrderFulfillment {
    pub fulfillment_status: Option<String>,
    pub fulfilled_by: Option<String>,
    pub fulfillment_service_level: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct OrderItem {
    pub order_item_id: String,
    pub quantity_ordered: Option<Dec>,
    pub product: Option<ItemProduct>,
    pub proceeds: Option<ItemProceeds>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ItemProduct {
    pub title: Option<String>,
    pub seller_sku: Option<String>,
    pub price: Option<ItemPrice>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ItemPrice {
    pub unit_price: Option<Money>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ItemProceeds {
    #[serde(default)]
    pub breakdowns: Vec<Breakdown>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Package {
    pub package_reference_id: Option<String>,
    pub created_time: Option<String>,
    pub ship_time: Option<String>,
    pub package_status: Option<PackageStatus>,
    pub carrier: Option<String>,
    pub tracking_number: Option<String>,
    #[serde(default)]
    pub package_items: Vec<PackageItem>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct PackageStatus {
    pub status: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PackageItem {
    pub order_item_id: Option<String>,
    pub quantity: Option<Dec>,
}

/// v0 money: `{"CurrencyCode": "USD", "Amount": "12.34"}`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct MoneyV0 {
    pub currency_code: Option<String>,
    pub amount: Option<Dec>,
}

/// v0 `Order`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct OrderV0 {
    pub amazon_order_id: String,
    pub seller_order_id: Option<String>,
    pub purchase_date: Option<String>,
    pub last_update_date: Option<String>,
    pub order_status: Option<String>,
    pub fulfillment_channel: Option<String>,
    pub sales_channel: Option<String>,
    pub ship_service_level: Option<String>,
    pub shipment_service_level_category: Option<String>,
    pub order_total: Option<MoneyV0>,
    pub shipping_address: Option<AddressV0>,
    pub buyer_info: Option<BuyerInfoV0>,
    #[serde(default)]
    pub is_prime: Option<bool>,
    #[serde(default)]
    pub is_business_order: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct AddressV0 {
    pub name: Option<String>,
    pub company_name: Option<String>,
    pub address_line1: Option<String>,
    pub address_line2: Option<String>,
    pub address_line3: Option<String>,
    pub city: Option<String>,
    pub state_or_region: Option<String>,
    pub postal_code: Option<String>,
    pub country_code: Option<String>,
    pub phone: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct BuyerInfoV0 {
    pub buyer_email: Option<String>,
    pub buyer_name: Option<String>,
}

/// v0 `OrderItem`: `ItemPrice` is the price of all its units.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct OrderItemV0 {
    pub order_item_id: String,
    #[serde(rename = "SellerSKU")]
    pub seller_sku: Option<String>,
    pub title: Option<String>,
    pub quantity_ordered: Option<Dec>,
    pub item_price: Option<MoneyV0>,
    pub item_tax: Option<MoneyV0>,
    pub shipping_price: Option<MoneyV0>,
    pub shipping_tax: Option<MoneyV0>,
    pub shipping_discount: Option<MoneyV0>,
    pub promotion_discount: Option<MoneyV0>,
}

/// Listings Items 2021-08-01 `Item`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ListingItem {
    pub sku: String,
    #[serde(default)]
    pub summaries: Vec<ListingSummary>,
    #[serde(default)]
    pub offers: Vec<ListingOffer>,
    #[serde(default)]
    pub fulfillment_availability: Vec<Availability>,
    pub attributes: Option<serde_json::Map<String, serde_json::Value>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ListingSummary {
    pub marketplace_id: Option<String>,
    pub product_type: Option<String>,
    #[serde(default)]
    pub status: Vec<String>,
    pub item_name: Option<String>,
    pub created_date: Option<String>,
    pub last_updated_date: Option<String>,
    pub main_image: Option<Image>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Image {
    pub link: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ListingOffer {
    pub marketplace_id: Option<String>,
    pub offer_type: Option<String>,
    pub price: Option<Money>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Availability {
    pub fulfillment_channel_code: Option<String>,
    pub quantity: Option<i64>,
}

/// FBA Inventory v1 `InventorySummary`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct InventorySummary {
    pub seller_sku: String,
    pub inventory_details: Option<InventoryDetails>,
    pub last_updated_time: Option<String>,
    pub total_quantity: Option<i64>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct InventoryDetails {
    pub fulfillable_quantity: Option<i64>,
}
