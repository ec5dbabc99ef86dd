//! Magento's REST V1 JSON as the adapter reads it: sales orders (with their items,
//! addresses and shipping assignments), credit memos, shipments, catalog products (with
//! stock items, category links, configurable options and custom attributes),
//! customers, categories (tree and list) and MSI source items. Every field is optional
//! or defaulted: Magento leaves out what is null, and `fields=` selections leave out
//! more. Amounts are JSON numbers, read exactly ([`Dec`]); dates are
//! `"YYYY-MM-DD HH:MM:SS"` in UTC.

use polycart_kit::decode::{Dec, Id};
use serde::{Deserialize, Deserializer};

/// `0`/`1`, `true`/`false` or `"0"`/`"1"`, as Magento writes flags.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Flag(pub bool);

impl<'de> Deserialize<'de> for Flag {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Flag(match serde_json::Value::deserialize(d)? {
            serde_json::Value::Bool(b) => b,
            serde_json::Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
            serde_json::Value::String(s) => !matches!(s.trim(), "" | "0" | "false"),
            _ => false,
        }))
    }
}

/// A sales address (order billing, shipping assignment).
#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct SalesAddress {
    pub firstname: Option<String>,
    pub lastname: Option<String>,
    pub company: Option<String>,
    #[serde(default)]
    pub street: Vec<String>,
    pub city: Option<String>,
    pub region: Option<String>,
    pub region_code: Option<String>,
    pub postcode: Option<String>,
    pub country_id: Option<String>,
    pub telephone: Option<String>,
    pub email: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Order {
    pub entity_id: Id,
    pub increment_id: Option<String>,
    pub state: Option<String>,
    pub status: Option<String>,
    pub created_at: Option<String>,
    pub updated_at: Option<String>,
    pub base_currency_code: Option<String>,
    pub order_currency_code: Option<String>,
    pub base_subtotal: Option<Dec>,
    pub base_shipping_amount: Option<Dec>,
    pub base_tax_amount: Option<Dec>,
    pub base_discount_amount: Option<Dec>,
    pub base_grand_total: Option<Dec>,
    pub base_total_paid: Option<Dec>,
    pub base_total_refunded: Option<Dec>,
    pub subtotal: Option<Dec>,
    pub shipping_amount: Option<Dec>,
    pub tax_amount: Option<Dec>,
    pub discount_amount: Option<Dec>,
    pub grand_total: Option<Dec>,
    pub total_paid: Option<Dec>,
    pub total_refunded: Option<Dec>,
    pub customer_id: Option<Id>,
    pub customer_email: Option<String>,
    pub customer_firstname: Option<String>,
    pub customer_lastname: Option<String>,
    #[serde(default)]
    pub customer_is_guest: Flag,
    pub customer_note: Option<String>,
    pub coupon_code: Option<String>,
    pub discount_description: Option<String>,
    pub shipping_description: Option<String>,
    pub billing_address: Option<SalesAddress>,
    #[serde(default)]
    pub items: Vec<OrderItem>,
    pub extension_attributes: Option<OrderExtension>,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct OrderItem {
    pub item_id: Id,
    pub parent_item_id: Option<Id>,
    pub sku: Option<String>,
    pub name: Option<String>,
    pub product_id: Option<Id>,
    pub product_type: Option<String>,
    #[serde(default)]
    pub is_virtual: Flag,
    pub qty_ordered: Option<Dec>,
    pub qty_shipped: Option<Dec>,
    pub qty_canceled: Option<Dec>,
    pub base_price: Option<Dec>,
    pub base_row_total: Option<Dec>,
    pub base_tax_amount: Option<Dec>,
    pub base_discount_amount: Option<Dec>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct OrderExtension {
    #[serde(default)]
    pub shipping_assignments: Vec<ShippingAssignment>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct ShippingAssignment {
    pub shipping: Option<Shipping>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct Shipping {
    pub address: Option<SalesAddress>,
    pub method: Option<String>,
}

/// `GET /V1/creditmemos` items: a refund.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct CreditMemo {
    pub entity_id: Id,
    pub order_id: Option<Id>,
    pub base_grand_total: Option<Dec>,
    pub created_at: Option<String>,
    #[serde(default)]
    pub comments: Vec<Comment>,
    #[serde(default)]
    pub items: Vec<CreditMemoItem>,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct CreditMemoItem {
    pub order_item_id: Option<Id>,
    pub qty: Option<Dec>,
    pub base_row_total: Option<Dec>,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Comment {
    pub comment: Option<String>,
}

/// `GET /V1/shipments` items.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct ShipmentDoc {
    pub entity_id: Id,
    pub order_id: Option<Id>,
    pub created_at: Option<String>,
    #[serde(default)]
    pub items: Vec<ShipmentItem>,
    #[serde(default)]
    pub tracks: Vec<Track>,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct ShipmentItem {
    pub order_item_id: Option<Id>,
    pub qty: Option<Dec>,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Track {
    pub track_number: Option<String>,
    pub title: Option<String>,
    pub carrier_code: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Product {
    pub id: Id,
    pub sku: Option<String>,
    pub name: Option<String>,
    pub price: Option<Dec>,
    pub status: Option<i64>,
    pub type_id: Option<String>,
    pub created_at: Option<String>,
    pub updated_at: Option<String>,
    pub weight: Option<Dec>,
    pub extension_attributes: Option<ProductExtension>,
    #[serde(default)]
    pub custom_attributes: Vec<CustomAttribute>,
    #[serde(default)]
    pub media_gallery_entries: Vec<Media>,
}

impl Product {
    /// A custom attribute's value as text (`description`, `url_key`).
    pub(crate) fn attribute(&self, code: &str) -> Option<&serde_json::Value> {
        self.custom_attributes
            .iter()
            .find(|a| a.attribute_code == code)
            .map(|a| &a.value)
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct ProductExtension {
    #[serde(default)]
    pub category_links: Vec<CategoryLink>,
    pub stock_item: Option<StockItem>,
    #[serde(default)]
    pub configurable_product_options: Vec<ConfigurableOption>,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct CategoryLink {
    pub category_id: Id,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct StockItem {
    pub qty: Option<Dec>,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct ConfigurableOption {
    pub attribute_id: Option<Id>,
    pub label: Option<String>,
}

/// `GET /V1/products/attributes/{id}`: a select attribute and its options.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Attribute {
    pub attribute_code: Option<String>,
    #[serde(default)]
    pub options: Vec<AttributeOption>,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct AttributeOption {
    pub label: Option<String>,
    pub value: Option<Id>,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct CustomAttribute {
    pub attribute_code: String,
    #[serde(default)]
    pub value: serde_json::Value,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Media {
    pub file: Option<String>,
    pub label: Option<String>,
    pub position: Option<i64>,
    #[serde(default)]
    pub disabled: Flag,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Customer {
    pub id: Id,
    pub email: Option<String>,
    pub firstname: Option<String>,
    pub lastname: Option<String>,
    pub created_at: Option<String>,
    pub updated_at: Option<String>,
    pub default_billing: Option<Id>,
    pub default_shipping: Option<Id>,
    #[serde(default)]
    pub addresses: Vec<CustomerAddress>,
    pub extension_attributes: Option<CustomerExtension>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct CustomerExtension {
    pub is_subscribed: Option<bool>,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct CustomerAddress {
    pub id: Option<Id>,
    pub firstname: Option<String>,
    pub lastname: Option<String>,
    pub company: Option<String>,
    #[serde(default)]
    pub street: Vec<String>,
    pub city: Option<String>,
    pub region: Option<Region>,
    pub postcode: Option<String>,
    pub country_id: Option<String>,
    pub telephone: Option<String>,
    #[serde(default)]
    pub default_billing: Flag,
    #[serde(default)]
    pub default_shipping: Flag,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Region {
    pub region: Option<String>,
    pub region_code: Option<String>,
}

/// A category of the tree (`GET /V1/categories`) or of the list
/// (`GET /V1/categories/list`, `GET /V1/categories/{id}`).
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Category {
    pub id: Id,
    pub parent_id: Option<Id>,
    pub name: Option<String>,
    pub position: Option<i64>,
    pub created_at: Option<String>,
    pub updated_at: Option<String>,
    #[serde(default)]
    pub custom_attributes: Vec<CustomAttribute>,
}

/// An MSI source item: a SKU's quantity at a source.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct SourceItem {
    pub sku: String,
    pub source_code: String,
    pub quantity: Option<Dec>,
}
