//! Wix's JSON, as its REST APIs write it: eCommerce amounts as decimal strings
//! (`{"amount": "10.00", "formattedAmount": "$10.00"}`) with the currency on the order,
//! Catalog V1 prices as JSON numbers with their currency (read exactly), dates as
//! ISO-8601 with milliseconds (`2023-11-10T08:28:58.917Z`), ids as GUIDs. Only what
//! the mapping reads; everything stays in `raw`.

use polycart_kit::decode::{Dec, Id};
use serde::Deserialize;

/// `{"amount": "10.00", "formattedAmount": "$10.00"}`.
#[derive(Debug, Deserialize)]
pub(crate) struct Price {
    pub amount: Option<Dec>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Order {
    pub id: String,
    pub number: Option<Id>,
    pub created_date: Option<String>,
    pub updated_date: Option<String>,
    pub status: Option<String>,
    pub payment_status: Option<String>,
    pub fulfillment_status: Option<String>,
    pub currency: Option<String>,
    pub buyer_info: Option<BuyerInfo>,
    pub buyer_note: Option<String>,
    pub billing_info: Option<AddressInfo>,
    pub shipping_info: Option<ShippingInfo>,
    #[serde(default)]
    pub line_items: Vec<LineItem>,
    pub price_summary: Option<PriceSummary>,
    pub balance_summary: Option<BalanceSummary>,
    #[serde(default)]
    pub applied_discounts: Vec<AppliedDiscount>,
    pub channel_info: Option<ChannelInfo>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct BuyerInfo {
    pub contact_id: Option<String>,
    pub email: Option<String>,
}

/// `billingInfo` and `shippingInfo.logistics.shippingDestination`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AddressInfo {
    pub address: Option<Address>,
    pub contact_details: Option<ContactDetails>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Address {
    /// `addressLine1` in eCommerce orders, `addressLine` in contacts.
    #[serde(alias = "addressLine")]
    pub address_line1: Option<String>,
    pub address_line2: Option<String>,
    pub city: Option<String>,
    /// ISO 3166-2 (`US-NY`).
    pub subdivision: Option<String>,
    pub country: Option<String>,
    pub postal_code: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ContactDetails {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub phone: Option<String>,
    pub company: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ShippingInfo {
    pub title: Option<String>,
    pub logistics: Option<Logistics>,
    pub cost: Option<ShippingCost>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Logistics {
    pub shipping_destination: Option<AddressInfo>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct ShippingCost {
    pub price: Option<Price>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct LineItem {
    pub id: String,
    pub product_name: Option<Translatable>,
    pub catalog_reference: Option<CatalogReference>,
    pub quantity: Option<Dec>,
    pub price: Option<Price>,
    pub total_discount: Option<Price>,
    pub tax_details: Option<TaxDetails>,
    pub physical_properties: Option<PhysicalProperties>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Translatable {
    pub original: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CatalogReference {
    pub catalog_item_id: Option<String>,
    pub options: Option<CatalogOptions>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CatalogOptions {
    pub variant_id: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct TaxDetails {
    pub total_tax: Option<Price>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct PhysicalProperties {
    pub sku: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct PriceSummary {
    pub subtotal: Option<Price>,
    pub shipping: Option<Price>,
    pub tax: Option<Price>,
    pub discount: Option<Price>,
    pub total: Option<Price>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct BalanceSummary {
    pub paid: Option<Price>,
    pub refunded: Option<Price>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AppliedDiscount {
    pub coupon: Option<Coupon>,
    pub merchant_discount: Option<MerchantDiscount>,
    pub discount_rule: Option<DiscountRule>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Coupon {
    pub code: Option<String>,
    pub amount: Option<Price>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct MerchantDiscount {
    pub amount: Option<Price>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct DiscountRule {
    pub amount: Option<Price>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct ChannelInfo {
    #[serde(rename = "type")]
    pub kind: Option<String>,
}

/// One fulfillment of the Order Fulfillments API.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Fulfillment {
    pub id: String,
    pub created_date: Option<String>,
    #[serde(default)]
    pub line_items: Vec<FulfillmentLine>,
    pub tracking_info: Option<TrackingInfo>,
    pub status: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct FulfillmentLine {
    pub id: String,
    pub quantity: Option<u32>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct TrackingInfo {
    pub tracking_number: Option<String>,
    pub shipping_provider: Option<String>,
    pub tracking_link: Option<String>,
}

/// A Catalog V1 product.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Product {
    pub id: String,
    pub name: Option<String>,
    pub visible: Option<bool>,
    pub product_type: Option<String>,
    pub description: Option<String>,
    pub sku: Option<String>,
    pub weight: Option<Dec>,
    pub stock: Option<Stock>,
    pub price_data: Option<PriceData>,
    pub price: Option<PriceData>,
    pub media: Option<Media>,
    #[serde(default)]
    pub product_options: Vec<ProductOption>,
    #[serde(default)]
    pub collection_ids: Vec<String>,
    #[serde(default)]
    pub variants: Vec<Variant>,
    pub brand: Option<String>,
    pub created_date: Option<String>,
    pub last_updated: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Stock {
    pub track_inventory: Option<bool>,
    pub quantity: Option<i64>,
}

/// `{"currency": "USD", "price": 10.5, "discountedPrice": 9.5}`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PriceData {
    pub currency: Option<String>,
    pub price: Option<Dec>,
    pub discounted_price: Option<Dec>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Media {
    #[serde(default)]
    pub items: Vec<MediaItem>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct MediaItem {
    pub image: Option<Image>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Image {
    pub url: Option<String>,
    pub alt_text: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct ProductOption {
    pub name: Option<String>,
    #[serde(default)]
    pub choices: Vec<Choice>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Choice {
    pub value: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Variant {
    pub id: String,
    #[serde(default)]
    pub choices: std::collections::BTreeMap<String, String>,
    pub variant: Option<VariantData>,
    pub stock: Option<Stock>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct VariantData {
    pub price_data: Option<PriceData>,
    pub weight: Option<Dec>,
    pub sku: Option<String>,
}

/// A Catalog V1 collection.
#[derive(Debug, Deserialize)]
pub(crate) struct Collection {
    pub id: String,
    pub name: Option<String>,
    pub slug: Option<String>,
    pub description: Option<String>,
}

/// A Contacts v4 contact.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Contact {
    pub id: String,
    pub created_date: Option<String>,
    pub updated_date: Option<String>,
    pub primary_info: Option<PrimaryInfo>,
    pub info: Option<ContactInfo>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct PrimaryInfo {
    pub email: Option<String>,
    pub phone: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct ContactInfo {
    pub name: Option<Name>,
    pub company: Option<String>,
    pub addresses: Option<Items<ContactAddress>>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Name {
    pub first: Option<String>,
    pub last: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Items<T> {
    #[serde(default = "Vec::new")]
    pub items: Vec<T>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct ContactAddress {
    pub tag: Option<String>,
    pub address: Option<Address>,
}

/// One refund of the Order Transactions API.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Refund {
    pub id: String,
    pub created_date: Option<String>,
    #[serde(default)]
    pub transactions: Vec<RefundTransaction>,
    pub details: Option<RefundDetails>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RefundTransaction {
    pub amount: Option<Price>,
    pub refund_status: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct RefundDetails {
    #[serde(default)]
    pub items: Vec<RefundItem>,
    pub reason: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RefundItem {
    pub line_item_id: Option<String>,
    pub quantity: Option<Dec>,
}
