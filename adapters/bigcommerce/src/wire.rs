//! BigCommerce's JSON as it arrives: private serde types for v2 orders (and their
//! sub-resources), v3 catalog products, variants and categories, v3 customers, v3
//! inventory items and webhook callbacks. Only the fields the mapping reads are
//! declared; everything else stays in the record's `raw`.
//!
//! BigCommerce's published examples put `{}` where a value is absent (`"sale_price": {}`)
//! and v2 sends empty strings for absent amounts and dates; [`Num`] and [`Int`] read
//! those as absent instead of failing.

use polycart_kit::decode::Id;
use polycart_kit::model::{decimal_from_f64, parse_decimal};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde::de::{Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_json::Value;

/// An optional exact decimal: a v2 string ("25.0000"), a v3 JSON number (7.95), or
/// absent (`null`, `""`, `{}`).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct Num(pub(crate) Option<Decimal>);

impl<'de> Deserialize<'de> for Num {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Num;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a decimal number or string")
            }
            fn visit_unit<E: serde::de::Error>(self) -> Result<Num, E> {
                Ok(Num(None))
            }
            fn visit_none<E: serde::de::Error>(self) -> Result<Num, E> {
                Ok(Num(None))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Num, E> {
                let v = v.trim();
                if v.is_empty() {
                    return Ok(Num(None));
                }
                parse_decimal(v).map(|d| Num(Some(d))).map_err(E::custom)
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Num, E> {
                Ok(Num(Some(Decimal::from(v))))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Num, E> {
                Ok(Num(Some(Decimal::from(v))))
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Num, E> {
                decimal_from_f64(v).map(|d| Num(Some(d))).map_err(E::custom)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Num, A::Error> {
                if map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {
                    return Err(serde::de::Error::custom(
                        "expected a number, got a non-empty object",
                    ));
                }
                Ok(Num(None))
            }
        }
        d.deserialize_any(V)
    }
}

/// An optional integer: a JSON number, a numeric string, or absent (`null`, `""`, `{}`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Int(pub(crate) Option<i64>);

impl<'de> Deserialize<'de> for Int {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let n = Num::deserialize(d)?;
        match n.0 {
            None => Ok(Int(None)),
            Some(d) if d.fract().is_zero() => i64::try_from(d)
                .map(|i| Int(Some(i)))
                .map_err(|_| serde::de::Error::custom(format!("{d} is out of range"))),
            Some(d) => Err(serde::de::Error::custom(format!(
                "{d} is not a whole number"
            ))),
        }
    }
}

/// Optional text where `{}` also means absent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Text(pub(crate) Option<String>);

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Text;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a string")
            }
            fn visit_unit<E: serde::de::Error>(self) -> Result<Text, E> {
                Ok(Text(None))
            }
            fn visit_none<E: serde::de::Error>(self) -> Result<Text, E> {
                Ok(Text(None))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Text, E> {
                Ok(Text(Some(v.to_owned())))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Text, E> {
                Ok(Text(Some(v.to_string())))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Text, E> {
                Ok(Text(Some(v.to_string())))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Text, A::Error> {
                if map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {
                    return Err(serde::de::Error::custom(
                        "expected a string, got a non-empty object",
                    ));
                }
                Ok(Text(None))
            }
        }
        d.deserialize_any(V)
    }
}

impl Text {
    /// The text, with empty (or blank) strings as absent.
    pub(crate) fn get(&self) -> Option<&str> {
        self.0.as_deref().map(str::trim).filter(|s| !s.is_empty())
    }

    pub(crate) fn owned(&self) -> Option<String> {
        self.get().map(str::to_owned)
    }
}

// ---------------------------------------------------------------- v2 orders

/// `GET /v2/orders/{id}`. Sub-resources are link objects (`{url, resource}`) as the
/// platform sends them, or arrays when the adapter embedded the fetched sub-resource;
/// `consignments` holds the line items and shipping addresses when included.
#[derive(Debug, Deserialize)]
pub(crate) struct V2Order {
    pub(crate) id: Id,
    #[serde(default)]
    pub(crate) customer_id: Int,
    #[serde(default)]
    pub(crate) date_created: Text,
    #[serde(default)]
    pub(crate) date_modified: Text,
    #[serde(default)]
    pub(crate) date_shipped: Text,
    #[serde(default)]
    pub(crate) status_id: Int,
    #[serde(default)]
    pub(crate) status: Text,
    #[serde(default)]
    pub(crate) subtotal_ex_tax: Num,
    #[serde(default)]
    pub(crate) shipping_cost_ex_tax: Num,
    #[serde(default)]
    pub(crate) total_tax: Num,
    #[serde(default)]
    pub(crate) total_inc_tax: Num,
    #[serde(default)]
    pub(crate) discount_amount: Num,
    #[serde(default)]
    pub(crate) coupon_discount: Num,
    #[serde(default)]
    pub(crate) refunded_amount: Num,
    #[serde(default)]
    pub(crate) items_total: Int,
    #[serde(default)]
    pub(crate) items_shipped: Int,
    #[serde(default)]
    pub(crate) payment_status: Text,
    #[serde(default)]
    pub(crate) currency_code: Text,
    #[serde(default)]
    pub(crate) default_currency_code: Text,
    #[serde(default)]
    pub(crate) currency_exchange_rate: Num,
    /// Multi-currency stores only: the store's default currency and the rate from it
    /// to the transactional currency (`default_currency_code`).
    #[serde(default)]
    pub(crate) store_default_currency_code: Text,
    #[serde(default)]
    pub(crate) store_default_to_transactional_exchange_rate: Num,
    #[serde(default)]
    pub(crate) customer_message: Text,
    #[serde(default)]
    pub(crate) order_source: Text,
    #[serde(default)]
    pub(crate) billing_address: Option<V2Address>,
    #[serde(default)]
    pub(crate) products: Option<Value>,
    #[serde(default)]
    pub(crate) shipping_addresses: Option<Value>,
    #[serde(default)]
    pub(crate) coupons: Option<Value>,
    #[serde(default)]
    pub(crate) shipments: Option<Value>,
    /// With `include=consignments.line_items&consignment_structure=object`.
    #[serde(default)]
    pub(crate) consignments: Option<Value>,
    /// Not part of a v2 order: the adapter embeds `/v3/orders/{id}/payment_actions/refunds`.
    #[serde(default)]
    pub(crate) refunds: Option<Value>,
}

/// A v2 billing or shipment address.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct V2Address {
    #[serde(default)]
    pub(crate) first_name: Text,
    #[serde(default)]
    pub(crate) last_name: Text,
    #[serde(default)]
    pub(crate) company: Text,
    #[serde(default)]
    pub(crate) street_1: Text,
    #[serde(default)]
    pub(crate) street_2: Text,
    #[serde(default)]
    pub(crate) city: Text,
    #[serde(default)]
    pub(crate) state: Text,
    #[serde(default)]
    pub(crate) zip: Text,
    #[serde(default)]
    pub(crate) country_iso2: Text,
    #[serde(default)]
    pub(crate) phone: Text,
    #[serde(default)]
    pub(crate) email: Text,
}

/// `GET /v2/orders/{id}/products` item.
#[derive(Debug, Deserialize)]
pub(crate) struct V2OrderProduct {
    pub(crate) id: Id,
    #[serde(default)]
    pub(crate) product_id: Int,
    #[serde(default)]
    pub(crate) variant_id: Int,
    #[serde(default)]
    pub(crate) name: Text,
    #[serde(default)]
    pub(crate) sku: Text,
    #[serde(default)]
    pub(crate) quantity: Num,
    #[serde(default)]
    pub(crate) price_ex_tax: Num,
    #[serde(default)]
    pub(crate) total_ex_tax: Num,
    #[serde(default)]
    pub(crate) total_tax: Num,
    #[serde(default)]
    pub(crate) applied_discounts: Vec<V2AppliedDiscount>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct V2AppliedDiscount {
    #[serde(default)]
    pub(crate) amount: Num,
}

/// `GET /v2/orders/{id}/shipping_addresses` item.
#[derive(Debug, Deserialize)]
pub(crate) struct V2ShippingAddress {
    #[serde(flatten)]
    pub(crate) address: V2Address,
    #[serde(default)]
    pub(crate) shipping_method: Text,
    #[serde(default)]
    pub(crate) cost_ex_tax: Num,
}

/// `GET /v2/orders/{id}/coupons` item.
#[derive(Debug, Deserialize)]
pub(crate) struct V2Coupon {
    #[serde(default)]
    pub(crate) code: Text,
    #[serde(default)]
    pub(crate) discount: Num,
    #[serde(default)]
    pub(crate) amount: Num,
}

/// `GET /v2/orders/{id}/shipments` item (and the `POST` answer).
#[derive(Debug, Deserialize)]
pub(crate) struct V2Shipment {
    pub(crate) id: Id,
    #[serde(default)]
    pub(crate) date_created: Text,
    #[serde(default)]
    pub(crate) tracking_number: Text,
    #[serde(default)]
    pub(crate) shipping_provider: Text,
    #[serde(default)]
    pub(crate) shipping_provider_display_name: Text,
    #[serde(default)]
    pub(crate) tracking_carrier: Text,
    #[serde(default)]
    pub(crate) tracking_link: Text,
    #[serde(default)]
    pub(crate) generated_tracking_link: Text,
    #[serde(default)]
    pub(crate) items: Vec<V2ShipmentItem>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct V2ShipmentItem {
    pub(crate) order_product_id: Id,
    #[serde(default)]
    pub(crate) quantity: Num,
}

/// `GET /v3/orders/{id}/payment_actions/refunds` item.
#[derive(Debug, Deserialize)]
pub(crate) struct V3Refund {
    pub(crate) id: Id,
    #[serde(default)]
    pub(crate) created: Text,
    #[serde(default)]
    pub(crate) reason: Text,
    #[serde(default)]
    pub(crate) total_amount: Num,
    #[serde(default)]
    pub(crate) items: Vec<V3RefundItem>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct V3RefundItem {
    #[serde(default)]
    pub(crate) item_type: Text,
    #[serde(default)]
    pub(crate) item_id: Option<Id>,
    #[serde(default)]
    pub(crate) quantity: Num,
    #[serde(default)]
    pub(crate) requested_amount: Num,
}

/// `GET /v2/orders/count`.
#[derive(Debug, Deserialize)]
pub(crate) struct V2Count {
    pub(crate) count: u64,
}

/// `GET /v2/store`: the store's default currency and weight unit.
#[derive(Debug, Deserialize)]
pub(crate) struct V2Store {
    #[serde(default)]
    pub(crate) currency: Text,
    #[serde(default)]
    pub(crate) weight_units: Text,
}

// ---------------------------------------------------------------- v3 envelope

/// `meta.pagination` of a v3 list.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct V3Meta {
    #[serde(default)]
    pub(crate) pagination: Option<V3Pagination>,
}

/// The count a `count` reads (listings page with the kit's page numbers).
#[derive(Debug, Default, Deserialize)]
pub(crate) struct V3Pagination {
    #[serde(default)]
    pub(crate) total: u64,
}

/// The v3 list envelope with its items kept as raw JSON.
#[derive(Debug, Deserialize)]
pub(crate) struct V3List {
    pub(crate) data: Vec<Value>,
    #[serde(default)]
    pub(crate) meta: V3Meta,
}

// ---------------------------------------------------------------- v3 catalog

/// `GET /v3/catalog/products?include=variants,images,options` item.
#[derive(Debug, Deserialize)]
pub(crate) struct V3Product {
    pub(crate) id: Id,
    #[serde(default)]
    pub(crate) name: Text,
    #[serde(default, rename = "type")]
    pub(crate) kind: Text,
    #[serde(default)]
    pub(crate) sku: Text,
    #[serde(default)]
    pub(crate) description: Text,
    #[serde(default)]
    pub(crate) price: Num,
    #[serde(default)]
    pub(crate) retail_price: Num,
    #[serde(default)]
    pub(crate) categories: Vec<Id>,
    #[serde(default)]
    pub(crate) inventory_level: Int,
    #[serde(default)]
    pub(crate) inventory_tracking: Text,
    #[serde(default)]
    pub(crate) is_visible: Option<bool>,
    #[serde(default)]
    pub(crate) availability: Text,
    #[serde(default)]
    pub(crate) date_created: Text,
    #[serde(default)]
    pub(crate) date_modified: Text,
    #[serde(default)]
    pub(crate) variants: Option<Vec<V3Variant>>,
    #[serde(default)]
    pub(crate) images: Option<Vec<V3Image>>,
    #[serde(default)]
    pub(crate) options: Option<Vec<V3Option>>,
}

/// A v3 variant (embedded with `include=variants`, or from `/variants`).
#[derive(Debug, Deserialize)]
pub(crate) struct V3Variant {
    pub(crate) id: Id,
    #[serde(default)]
    pub(crate) product_id: Int,
    #[serde(default)]
    pub(crate) sku: Text,
    #[serde(default)]
    pub(crate) price: Num,
    #[serde(default)]
    pub(crate) calculated_price: Num,
    #[serde(default)]
    pub(crate) retail_price: Num,
    #[serde(default)]
    pub(crate) weight: Num,
    #[serde(default)]
    pub(crate) upc: Text,
    #[serde(default)]
    pub(crate) gtin: Text,
    #[serde(default)]
    pub(crate) image_url: Text,
    #[serde(default)]
    pub(crate) inventory_level: Int,
    #[serde(default)]
    pub(crate) option_values: Vec<V3VariantOptionValue>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct V3VariantOptionValue {
    #[serde(default)]
    pub(crate) label: Text,
    #[serde(default)]
    pub(crate) option_display_name: Text,
}

#[derive(Debug, Deserialize)]
pub(crate) struct V3Image {
    #[serde(default)]
    pub(crate) url_zoom: Text,
    #[serde(default)]
    pub(crate) url_standard: Text,
    #[serde(default)]
    pub(crate) description: Text,
    #[serde(default)]
    pub(crate) sort_order: Int,
}

#[derive(Debug, Deserialize)]
pub(crate) struct V3Option {
    #[serde(default)]
    pub(crate) display_name: Text,
    #[serde(default)]
    pub(crate) option_values: Vec<V3OptionValue>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct V3OptionValue {
    #[serde(default)]
    pub(crate) label: Text,
}

/// A category from `/v3/catalog/categories`, a node of the legacy
/// `/v3/catalog/categories/tree` (with `children`), or a tree category from
/// `/v3/catalog/trees/categories` (`category_id`, `url.path`).
#[derive(Debug, Deserialize)]
pub(crate) struct V3Category {
    #[serde(default)]
    pub(crate) id: Option<Id>,
    #[serde(default)]
    pub(crate) category_id: Option<Id>,
    #[serde(default)]
    pub(crate) parent_id: Int,
    #[serde(default)]
    pub(crate) name: Text,
    #[serde(default)]
    pub(crate) description: Text,
    #[serde(default)]
    pub(crate) sort_order: Int,
    #[serde(default)]
    pub(crate) custom_url: Option<V3CustomUrl>,
    /// A path string in the legacy tree, `{path, is_customized}` in tree categories.
    #[serde(default)]
    pub(crate) url: Option<Value>,
    #[serde(default)]
    pub(crate) children: Option<Vec<Value>>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct V3CustomUrl {
    #[serde(default)]
    pub(crate) url: Text,
}

// ---------------------------------------------------------------- v3 customers

/// `GET /v3/customers?include=addresses` item.
#[derive(Debug, Deserialize)]
pub(crate) struct V3Customer {
    pub(crate) id: Id,
    #[serde(default)]
    pub(crate) email: Text,
    #[serde(default)]
    pub(crate) first_name: Text,
    #[serde(default)]
    pub(crate) last_name: Text,
    #[serde(default)]
    pub(crate) phone: Text,
    #[serde(default)]
    pub(crate) date_created: Text,
    #[serde(default)]
    pub(crate) date_modified: Text,
    #[serde(default)]
    pub(crate) addresses: Vec<V3Address>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct V3Address {
    #[serde(default)]
    pub(crate) first_name: Text,
    #[serde(default)]
    pub(crate) last_name: Text,
    #[serde(default)]
    pub(crate) company: Text,
    #[serde(default)]
    pub(crate) address1: Text,
    #[serde(default)]
    pub(crate) address2: Text,
    #[serde(default)]
    pub(crate) city: Text,
    #[serde(default)]
    pub(crate) state_or_province: Text,
    #[serde(default)]
    pub(crate) postal_code: Text,
    #[serde(default)]
    pub(crate) country_code: Text,
    #[serde(default)]
    pub(crate) phone: Text,
}

// ---------------------------------------------------------------- v3 inventory

/// `GET /v3/inventory/items` item: one variant (or simple product) at every location.
#[derive(Debug, Deserialize)]
pub(crate) struct V3InventoryItem {
    pub(crate) identity: V3Identity,
    #[serde(default)]
    pub(crate) locations: Vec<V3ItemLocation>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct V3Identity {
    #[serde(default)]
    pub(crate) sku: Text,
    #[serde(default)]
    pub(crate) variant_id: Int,
    #[serde(default)]
    pub(crate) product_id: Int,
}

#[derive(Debug, Deserialize)]
pub(crate) struct V3ItemLocation {
    pub(crate) location_id: Id,
    #[serde(default)]
    pub(crate) available_to_sell: Int,
}

// ---------------------------------------------------------------- webhooks

/// A webhook callback: thin, it names the record but does not carry it.
#[derive(Debug, Deserialize)]
pub(crate) struct Callback {
    pub(crate) scope: String,
    #[serde(default)]
    pub(crate) store_id: Option<Id>,
    #[serde(default)]
    pub(crate) data: Value,
    #[serde(default)]
    pub(crate) hash: Option<String>,
    #[serde(default)]
    pub(crate) created_at: Option<i64>,
    #[serde(default)]
    pub(crate) producer: Option<String>,
}
