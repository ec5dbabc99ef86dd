//! eBay's JSON, as the Sell APIs write it (Fulfillment `Order`, Inventory
//! `InventoryItem` and `Offer`): money as `{"value": "12.34", "currency": "USD"}`
//! (decimal strings, read exactly), times as ISO 8601 UTC with milliseconds
//! (`2025-03-01T10:00:00.000Z`), ids as strings. Only what the mapping reads;
//! everything stays in `raw`.

use polycart_kit::decode::Dec;
use serde::Deserialize;

/// eBay's `Amount`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Amount {
    pub value: Option<Dec>,
    pub currency: Option<String>,
    /// What the buyer paid, in their currency, when it was not the seller's.
    pub converted_from_value: Option<Dec>,
    pub converted_from_currency: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Order {
    pub order_id: String,
    pub creation_date: Option<String>,
    pub last_modified_date: Option<String>,
    pub order_fulfillment_status: Option<String>,
    pub order_payment_status: Option<String>,
    pub buyer: Option<Buyer>,
    pub buyer_checkout_notes: Option<String>,
    pub pricing_summary: Option<PricingSummary>,
    pub cancel_status: Option<CancelStatus>,
    pub payment_summary: Option<PaymentSummary>,
    #[serde(default)]
    pub fulfillment_start_instructions: Vec<FulfillmentInstructions>,
    #[serde(default)]
    pub fulfillment_hrefs: Vec<String>,
    #[serde(default)]
    pub line_items: Vec<LineItem>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Buyer {
    pub username: Option<String>,
    pub buyer_registration_address: Option<Contact>,
}

/// eBay's `ExtendedContact` (a ship-to or the buyer's registration address).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Contact {
    pub full_name: Option<String>,
    pub company_name: Option<String>,
    pub contact_address: Option<Address>,
    pub primary_phone: Option<Phone>,
    pub email: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Address {
    pub address_line1: Option<String>,
    pub address_line2: Option<String>,
    pub city: Option<String>,
    pub state_or_province: Option<String>,
    pub postal_code: Option<String>,
    pub country_code: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Phone {
    pub phone_number: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PricingSummary {
    pub price_subtotal: Option<Amount>,
    pub delivery_cost: Option<Amount>,
    pub tax: Option<Amount>,
    pub total: Option<Amount>,
    pub price_discount: Option<Amount>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CancelStatus {
    pub cancel_state: Option<String>,
    pub cancelled_date: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PaymentSummary {
    #[serde(default)]
    pub payments: Vec<Payment>,
    #[serde(default)]
    pub refunds: Vec<OrderRefund>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Payment {
    pub amount: Option<Amount>,
    pub payment_status: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct OrderRefund {
    pub refund_id: Option<String>,
    pub refund_reference_id: Option<String>,
    pub refund_date: Option<String>,
    pub refund_status: Option<String>,
    pub amount: Option<Amount>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct FulfillmentInstructions {
    pub shipping_step: Option<ShippingStep>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ShippingStep {
    pub ship_to: Option<Contact>,
    pub shipping_carrier_code: Option<String>,
    pub shipping_service_code: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct LineItem {
    pub line_item_id: String,
    pub legacy_item_id: Option<String>,
    pub legacy_variation_id: Option<String>,
    pub sku: Option<String>,
    pub title: Option<String>,
    pub quantity: Option<Dec>,
    pub line_item_cost: Option<Amount>,
    #[serde(default)]
    pub taxes: Vec<Tax>,
    #[serde(default)]
    pub applied_promotions: Vec<Promotion>,
    pub purchase_marketplace_id: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Tax {
    pub amount: Option<Amount>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Promotion {
    pub promotion_id: Option<String>,
    pub description: Option<String>,
    pub discount_amount: Option<Amount>,
}

/// `GET /order/{orderId}/shipping_fulfillment`'s `fulfillments[]`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Fulfillment {
    pub fulfillment_id: String,
    pub shipment_tracking_number: Option<String>,
    pub shipping_carrier_code: Option<String>,
    pub shipped_date: Option<String>,
    #[serde(default)]
    pub line_items: Vec<FulfilledItem>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct FulfilledItem {
    pub line_item_id: Option<String>,
    pub quantity: Option<Dec>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct InventoryItem {
    pub sku: String,
    pub product: Option<ItemProduct>,
    pub availability: Option<Availability>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ItemProduct {
    pub title: Option<String>,
    pub description: Option<String>,
    pub brand: Option<String>,
    #[serde(default)]
    pub image_urls: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Availability {
    pub ship_to_location_availability: Option<ShipToLocation>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ShipToLocation {
    pub quantity: Option<i64>,
    #[serde(default)]
    pub availability_distributions: Vec<Distribution>,
}

/// The quantity at one inventory location.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Distribution {
    pub merchant_location_key: Option<String>,
    pub quantity: Option<i64>,
}

/// `GET /offer?sku=`'s `offers[]`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Offer {
    pub offer_id: Option<String>,
    pub status: Option<String>,
    pub category_id: Option<String>,
    pub pricing_summary: Option<OfferPricing>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct OfferPricing {
    pub price: Option<Amount>,
    /// The strikethrough price (the original retail price a discount is shown from).
    pub original_retail_price: Option<Amount>,
}
