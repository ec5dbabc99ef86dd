//! Shopify's JSON, as the REST Admin API (snake_case) and the GraphQL Admin API
//! (camelCase nodes) send it. Private to the crate: only the fields the mapping reads
//! are declared; everything else stays in the record's `raw`.

use polycart_kit::decode::{Dec, Id};
use serde::{Deserialize, Deserializer};

/// Tells "absent" (`None`) from "present but null" (`Some(None)`).
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// A list that may be sent as `null`.
fn list<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Vec<T>, D::Error> {
    Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
}

pub(crate) mod rest {
    //! REST Admin API payloads.

    use super::*;

    /// `{"amount": "1.00", "currency_code": "USD"}`.
    #[derive(Debug, Deserialize)]
    pub(crate) struct MoneyV {
        pub amount: Dec,
        pub currency_code: String,
    }

    /// A `*_set`: the amount in the shop's and in the buyer's currency.
    #[derive(Debug, Deserialize)]
    pub(crate) struct MoneySet {
        pub shop_money: Option<MoneyV>,
        pub presentment_money: Option<MoneyV>,
    }

    #[derive(Debug, Default, Deserialize)]
    pub(crate) struct Address {
        pub first_name: Option<String>,
        pub last_name: Option<String>,
        pub company: Option<String>,
        pub address1: Option<String>,
        pub address2: Option<String>,
        pub city: Option<String>,
        pub province: Option<String>,
        pub province_code: Option<String>,
        pub zip: Option<String>,
        pub country_code: Option<String>,
        pub phone: Option<String>,
        #[serde(default)]
        pub default: Option<bool>,
    }

    #[derive(Debug, Deserialize)]
    pub(crate) struct OrderCustomer {
        pub id: Option<Id>,
        pub email: Option<String>,
        pub first_name: Option<String>,
        pub last_name: Option<String>,
        pub phone: Option<String>,
    }

    #[derive(Debug, Deserialize)]
    pub(crate) struct TaxLine {
        pub price: Option<Dec>,
        pub price_set: Option<MoneySet>,
    }

    #[derive(Debug, Deserialize)]
    pub(crate) struct DiscountAllocation {
        pub amount: Option<Dec>,
        pub amount_set: Option<MoneySet>,
        pub discount_application_index: Option<usize>,
    }

    #[derive(Debug, Deserialize)]
    pub(crate) struct LineItem {
        pub id: Id,
        pub product_id: Option<Id>,
        pub variant_id: Option<Id>,
        pub sku: Option<String>,
        pub name: Option<String>,
        pub title: Option<String>,
        pub quantity: Dec,
        pub price: Option<Dec>,
        pub price_set: Option<MoneySet>,
        pub total_discount: Option<Dec>,
        pub total_discount_set: Option<MoneySet>,
        #[serde(default, deserialize_with = "list")]
        pub tax_lines: Vec<TaxLine>,
        #[serde(default, deserialize_with = "list")]
        pub discount_allocations: Vec<DiscountAllocation>,
    }

    #[derive(Debug, Deserialize)]
    pub(crate) struct ShippingLine {
        pub title: Option<String>,
        pub code: Option<String>,
        pub source: Option<String>,
        pub carrier_identifier: Option<String>,
        pub price: Option<Dec>,
        pub price_set: Option<MoneySet>,
        #[serde(default, deserialize_with = "list")]
        pub discount_allocations: Vec<DiscountAllocation>,
    }

    #[derive(Debug, Deserialize)]
    pub(crate) struct DiscountCode {
        pub code: Option<String>,
        pub amount: Option<Dec>,
    }

    #[derive(Debug, Deserialize)]
    pub(crate) struct DiscountApplication {
        #[serde(rename = "type")]
        pub kind: Option<String>,
        pub code: Option<String>,
    }

    #[derive(Debug, Deserialize)]
    pub(crate) struct Transaction {
        pub kind: Option<String>,
        pub status: Option<String>,
        pub amount: Option<Dec>,
        pub currency: Option<String>,
    }

    #[derive(Debug, Deserialize)]
    pub(crate) struct RefundLineItem {
        pub line_item_id: Option<Id>,
        pub quantity: Dec,
        pub subtotal: Option<Dec>,
        pub subtotal_set: Option<MoneySet>,
    }

    #[derive(Debug, Deserialize)]
    pub(crate) struct Refund {
        pub id: Id,
        pub note: Option<String>,
        pub created_at: Option<String>,
        #[serde(default, deserialize_with = "list")]
        pub transactions: Vec<Transaction>,
        #[serde(default, deserialize_with = "list")]
        pub refund_line_items: Vec<RefundLineItem>,
    }

    #[derive(Debug, Deserialize)]
    pub(crate) struct FulfillmentLine {
        pub id: Id,
        pub quantity: Dec,
    }

    #[derive(Debug, Deserialize)]
    pub(crate) struct Fulfillment {
        pub id: Id,
        pub status: Option<String>,
        pub created_at: Option<String>,
        pub tracking_company: Option<String>,
        pub tracking_number: Option<String>,
        pub tracking_url: Option<String>,
        #[serde(default, deserialize_with = "list")]
        pub line_items: Vec<FulfillmentLine>,
    }

    #[derive(Debug, Deserialize)]
    pub(crate) struct Order {
        pub id: Id,
        pub name: Option<String>,
        pub order_number: Option<Id>,
        pub email: Option<String>,
        pub contact_email: Option<String>,
        pub phone: Option<String>,
        pub currency: Option<String>,
        pub presentment_currency: Option<String>,
        #[serde(default, deserialize_with = "present")]
        pub financial_status: Option<Option<String>>,
        #[serde(default, deserialize_with = "present")]
        pub fulfillment_status: Option<Option<String>>,
        pub cancelled_at: Option<String>,
        pub closed_at: Option<String>,
        pub created_at: Option<String>,
        pub updated_at: Option<String>,
        pub subtotal_price: Option<Dec>,
        pub subtotal_price_set: Option<MoneySet>,
        pub total_price: Option<Dec>,
        pub total_price_set: Option<MoneySet>,
        pub total_tax: Option<Dec>,
        pub total_tax_set: Option<MoneySet>,
        pub total_discounts: Option<Dec>,
        pub total_discounts_set: Option<MoneySet>,
        pub total_shipping_price_set: Option<MoneySet>,
        pub total_outstanding: Option<Dec>,
        pub customer: Option<OrderCustomer>,
        pub billing_address: Option<Address>,
        pub shipping_address: Option<Address>,
        #[serde(default, deserialize_with = "list")]
        pub line_items: Vec<LineItem>,
        #[serde(default, deserialize_with = "list")]
        pub shipping_lines: Vec<ShippingLine>,
        #[serde(default, deserialize_with = "list")]
        pub discount_codes: Vec<DiscountCode>,
        #[serde(default, deserialize_with = "list")]
        pub discount_applications: Vec<DiscountApplication>,
        #[serde(default, deserialize_with = "list")]
        pub refunds: Vec<Refund>,
        #[serde(default, deserialize_with = "list")]
        pub fulfillments: Vec<Fulfillment>,
        pub note: Option<String>,
        pub tags: Option<String>,
        pub source_name: Option<String>,
    }

    #[derive(Debug, Deserialize)]
    pub(crate) struct PresentmentPrice {
        pub price: Option<MoneyV>,
        pub compare_at_price: Option<MoneyV>,
    }

    #[derive(Debug, Deserialize)]
    pub(crate) struct Variant {
        pub id: Id,
        pub sku: Option<String>,
        pub barcode: Option<String>,
        pub price: Option<Dec>,
        pub compare_at_price: Option<Dec>,
        pub option1: Option<String>,
        pub option2: Option<String>,
        pub option3: Option<String>,
        pub inventory_quantity: Option<i64>,
        pub weight: Option<Dec>,
        pub weight_unit: Option<String>,
        pub image_id: Option<Id>,
        #[serde(default, deserialize_with = "list")]
        pub presentment_prices: Vec<PresentmentPrice>,
    }

    #[derive(Debug, Deserialize)]
    pub(crate) struct ProductOption {
        pub name: String,
        #[serde(default, deserialize_with = "list")]
        pub values: Vec<String>,
    }

    #[derive(Debug, Deserialize)]
    pub(crate) struct Image {
        pub id: Option<Id>,
        pub src: String,
        pub alt: Option<String>,
        pub position: Option<u32>,
    }

    #[derive(Debug, Deserialize)]
    pub(crate) struct Product {
        pub id: Id,
        pub title: Option<String>,
        pub body_html: Option<String>,
        pub vendor: Option<String>,
        pub product_type: Option<String>,
        pub status: Option<String>,
        pub tags: Option<String>,
        pub created_at: Option<String>,
        pub updated_at: Option<String>,
        #[serde(default, deserialize_with = "list")]
        pub variants: Vec<Variant>,
        #[serde(default, deserialize_with = "list")]
        pub options: Vec<ProductOption>,
        #[serde(default, deserialize_with = "list")]
        pub images: Vec<Image>,
    }

    #[derive(Debug, Deserialize)]
    pub(crate) struct Consent {
        pub state: Option<String>,
    }

    #[derive(Debug, Deserialize)]
    pub(crate) struct Customer {
        pub id: Id,
        pub email: Option<String>,
        pub first_name: Option<String>,
        pub last_name: Option<String>,
        pub phone: Option<String>,
        pub accepts_marketing: Option<bool>,
        pub email_marketing_consent: Option<Consent>,
        #[serde(default, deserialize_with = "list")]
        pub addresses: Vec<Address>,
        pub default_address: Option<Address>,
        pub orders_count: Option<u64>,
        pub total_spent: Option<Dec>,
        pub currency: Option<String>,
        pub created_at: Option<String>,
        pub updated_at: Option<String>,
    }

    /// A custom collection, a smart collection, or the generic `collection`.
    #[derive(Debug, Deserialize)]
    pub(crate) struct Collection {
        pub id: Id,
        pub title: Option<String>,
        pub handle: Option<String>,
        pub body_html: Option<String>,
        pub created_at: Option<String>,
        pub updated_at: Option<String>,
    }

    #[derive(Debug, Deserialize)]
    pub(crate) struct InventoryLevel {
        pub inventory_item_id: Id,
        pub location_id: Id,
        pub available: Option<i64>,
        pub updated_at: Option<String>,
    }
}

pub(crate) mod gql {
    //! GraphQL Admin API nodes. Connections arrive as `{edges: [{node}]}`,
    //! `{nodes: [...]}` or (for a few fields) a bare list; [`Conn`] reads all three.

    use super::*;

    /// A connection or list of `T`.
    #[derive(Debug)]
    pub(crate) struct Conn<T>(pub Vec<T>);

    impl<T> Default for Conn<T> {
        fn default() -> Self {
            Conn(Vec::new())
        }
    }

    impl<'de, T: Deserialize<'de>> Deserialize<'de> for Conn<T> {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            #[derive(Deserialize)]
            struct Edge<T> {
                node: T,
            }
            #[derive(Deserialize)]
            #[serde(untagged)]
            enum Shape<T> {
                Edges { edges: Vec<Edge<T>> },
                Nodes { nodes: Vec<T> },
                List(Vec<T>),
            }
            Ok(match Option::<Shape<T>>::deserialize(d)? {
                None => Conn(Vec::new()),
                Some(Shape::Edges { edges }) => Conn(edges.into_iter().map(|e| e.node).collect()),
                Some(Shape::Nodes { nodes }) => Conn(nodes),
                Some(Shape::List(items)) => Conn(items),
            })
        }
    }

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub(crate) struct MoneyV2 {
        pub amount: Dec,
        pub currency_code: String,
    }

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub(crate) struct MoneyBag {
        pub shop_money: Option<MoneyV2>,
        pub presentment_money: Option<MoneyV2>,
    }

    #[derive(Debug, Deserialize)]
    pub(crate) struct Ref {
        pub id: Id,
    }

    #[derive(Debug, Default, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub(crate) struct MailingAddress {
        pub first_name: Option<String>,
        pub last_name: Option<String>,
        pub company: Option<String>,
        pub address1: Option<String>,
        pub address2: Option<String>,
        pub city: Option<String>,
        pub province: Option<String>,
        pub province_code: Option<String>,
        pub zip: Option<String>,
        pub country_code_v2: Option<String>,
        pub country_code: Option<String>,
        pub phone: Option<String>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub(crate) struct OrderCustomer {
        pub id: Option<Id>,
        pub email: Option<String>,
        pub first_name: Option<String>,
        pub last_name: Option<String>,
        pub phone: Option<String>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub(crate) struct TaxLine {
        pub price_set: Option<MoneyBag>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub(crate) struct LineItem {
        pub id: Id,
        pub sku: Option<String>,
        pub name: Option<String>,
        pub title: Option<String>,
        pub quantity: Dec,
        pub variant: Option<Ref>,
        pub product: Option<Ref>,
        pub original_unit_price_set: Option<MoneyBag>,
        pub total_discount_set: Option<MoneyBag>,
        #[serde(default, deserialize_with = "list")]
        pub tax_lines: Vec<TaxLine>,
        /// `None` when not selected: then `total_discount_set` is the line's discount.
        #[serde(default)]
        pub discount_allocations: Option<Vec<DiscountAllocation>>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub(crate) struct ShippingLine {
        pub title: Option<String>,
        pub code: Option<String>,
        pub source: Option<String>,
        pub carrier_identifier: Option<String>,
        pub original_price_set: Option<MoneyBag>,
        #[serde(default, deserialize_with = "list")]
        pub discount_allocations: Vec<DiscountAllocation>,
    }

    /// The application a discount allocation belongs to.
    #[derive(Debug, Deserialize)]
    pub(crate) struct ApplicationIndex {
        pub index: Option<usize>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub(crate) struct DiscountAllocation {
        pub allocated_amount_set: Option<MoneyBag>,
        pub discount_application: Option<ApplicationIndex>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub(crate) struct RefundLineItem {
        pub line_item: Option<Ref>,
        pub quantity: Dec,
        pub subtotal_set: Option<MoneyBag>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub(crate) struct Refund {
        pub id: Id,
        pub note: Option<String>,
        pub created_at: Option<String>,
        pub total_refunded_set: Option<MoneyBag>,
        #[serde(default)]
        pub refund_line_items: Conn<RefundLineItem>,
    }

    #[derive(Debug, Deserialize)]
    pub(crate) struct TrackingInfo {
        pub company: Option<String>,
        pub number: Option<String>,
        pub url: Option<String>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub(crate) struct FulfillmentLineItem {
        pub line_item: Option<Ref>,
        pub quantity: Dec,
    }

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub(crate) struct Fulfillment {
        pub id: Id,
        pub status: Option<String>,
        pub created_at: Option<String>,
        #[serde(default, deserialize_with = "list")]
        pub tracking_info: Vec<TrackingInfo>,
        #[serde(default)]
        pub fulfillment_line_items: Conn<FulfillmentLineItem>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub(crate) struct DiscountApplication {
        #[serde(rename = "__typename")]
        pub typename: Option<String>,
        pub index: Option<usize>,
        pub code: Option<String>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub(crate) struct Order {
        pub id: Id,
        pub name: Option<String>,
        pub email: Option<String>,
        pub phone: Option<String>,
        pub currency_code: Option<String>,
        pub presentment_currency_code: Option<String>,
        pub display_financial_status: Option<String>,
        pub display_fulfillment_status: Option<String>,
        pub closed: Option<bool>,
        pub closed_at: Option<String>,
        pub cancelled_at: Option<String>,
        pub created_at: Option<String>,
        pub updated_at: Option<String>,
        pub subtotal_price_set: Option<MoneyBag>,
        pub total_shipping_price_set: Option<MoneyBag>,
        pub total_tax_set: Option<MoneyBag>,
        pub total_discounts_set: Option<MoneyBag>,
        pub total_price_set: Option<MoneyBag>,
        pub total_received_set: Option<MoneyBag>,
        pub total_refunded_set: Option<MoneyBag>,
        pub customer: Option<OrderCustomer>,
        pub billing_address: Option<MailingAddress>,
        pub shipping_address: Option<MailingAddress>,
        #[serde(default)]
        pub line_items: Conn<LineItem>,
        #[serde(default)]
        pub shipping_lines: Conn<ShippingLine>,
        #[serde(default, deserialize_with = "list")]
        pub discount_codes: Vec<String>,
        #[serde(default)]
        pub discount_applications: Conn<DiscountApplication>,
        #[serde(default)]
        pub refunds: Conn<Refund>,
        #[serde(default)]
        pub fulfillments: Conn<Fulfillment>,
        pub note: Option<String>,
        #[serde(default, deserialize_with = "list")]
        pub tags: Vec<String>,
        pub source_name: Option<String>,
    }

    #[derive(Debug, Deserialize)]
    pub(crate) struct SelectedOption {
        pub name: String,
        pub value: String,
    }

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub(crate) struct Weight {
        pub value: Dec,
        pub unit: String,
    }

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub(crate) struct Measurement {
        pub weight: Option<Weight>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub(crate) struct InventoryItem {
        pub measurement: Option<Measurement>,
    }

    #[derive(Debug, Deserialize)]
    pub(crate) struct ImageRef {
        pub url: Option<String>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub(crate) struct Variant {
        pub id: Id,
        pub sku: Option<String>,
        pub barcode: Option<String>,
        pub price: Option<Dec>,
        pub compare_at_price: Option<Dec>,
        #[serde(default, deserialize_with = "list")]
        pub selected_options: Vec<SelectedOption>,
        pub inventory_quantity: Option<i64>,
        pub inventory_item: Option<InventoryItem>,
        pub image: Option<ImageRef>,
    }

    #[derive(Debug, Deserialize)]
    pub(crate) struct ProductOption {
        pub name: String,
        #[serde(default, deserialize_with = "list")]
        pub values: Vec<String>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub(crate) struct Image {
        pub url: Option<String>,
        pub alt_text: Option<String>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub(crate) struct Media {
        pub alt: Option<String>,
        pub image: Option<ImageRef>,
        pub preview: Option<MediaPreview>,
    }

    #[derive(Debug, Deserialize)]
    pub(crate) struct MediaPreview {
        pub image: Option<ImageRef>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub(crate) struct Product {
        pub id: Id,
        pub title: Option<String>,
        pub description_html: Option<String>,
        pub vendor: Option<String>,
        pub product_type: Option<String>,
        pub status: Option<String>,
        #[serde(default, deserialize_with = "list")]
        pub tags: Vec<String>,
        pub created_at: Option<String>,
        pub updated_at: Option<String>,
        pub total_inventory: Option<i64>,
        #[serde(default)]
        pub variants: Conn<Variant>,
        #[serde(default, deserialize_with = "list")]
        pub options: Vec<ProductOption>,
        #[serde(default)]
        pub images: Conn<Image>,
        #[serde(default)]
        pub media: Conn<Media>,
        #[serde(default)]
        pub collections: Conn<Ref>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub(crate) struct EmailConsent {
        pub marketing_state: Option<String>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub(crate) struct Customer {
        pub id: Id,
        pub email: Option<String>,
        pub first_name: Option<String>,
        pub last_name: Option<String>,
        pub phone: Option<String>,
        pub email_marketing_consent: Option<EmailConsent>,
        #[serde(default)]
        pub addresses: Conn<MailingAddress>,
        pub default_address: Option<MailingAddress>,
        pub number_of_orders: Option<Id>,
        pub amount_spent: Option<MoneyV2>,
        pub created_at: Option<String>,
        pub updated_at: Option<String>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub(crate) struct Collection {
        pub id: Id,
        pub title: Option<String>,
        pub handle: Option<String>,
        pub description_html: Option<String>,
        pub updated_at: Option<String>,
    }

    #[derive(Debug, Deserialize)]
    pub(crate) struct Quantity {
        pub name: String,
        pub quantity: i64,
    }

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub(crate) struct LevelItemVariant {
        pub id: Id,
        pub sku: Option<String>,
        pub product: Option<Ref>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub(crate) struct LevelItem {
        pub id: Id,
        pub sku: Option<String>,
        pub variant: Option<LevelItemVariant>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub(crate) struct InventoryLevel {
        pub id: Option<Id>,
        pub item: Option<LevelItem>,
        pub location: Option<Ref>,
        #[serde(default, deserialize_with = "list")]
        pub quantities: Vec<Quantity>,
        pub updated_at: Option<String>,
    }
}
