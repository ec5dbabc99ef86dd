//! The PrestaShop webservice's JSON (`output_format=JSON`, `display=full`): numbers and
//! ids mostly as strings ("29.000000", "1"), dates as shop-local `YYYY-MM-DD HH:MM:SS`
//! without a zone (`0000-00-00 00:00:00` for none), multilingual fields as
//! `[{id, value}]` (or a plain string with `language=`), children under
//! `associations`. Only what the mapping reads; everything stays in `raw`.

use polycart_kit::decode::{Dec, Id};
use serde::Deserialize;

/// A multilingual field: `[{"id": "1", "value": "…"}]`, or one string.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(crate) enum Text {
    One(String),
    Languages(Vec<Language>),
}

#[derive(Debug, Deserialize)]
pub(crate) struct Language {
    pub value: Option<String>,
}

impl Text {
    /// The first language's value (the shop's default language comes first).
    pub(crate) fn first(&self) -> Option<String> {
        match self {
            Text::One(s) => Some(s.clone()),
            Text::Languages(l) => l.iter().find_map(|l| l.value.clone()),
        }
        .filter(|s| !s.is_empty())
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct Order {
    pub id: Id,
    pub reference: Option<String>,
    pub id_currency: Option<Id>,
    pub id_customer: Option<Id>,
    pub current_state: Option<Id>,
    pub total_paid_tax_incl: Option<Dec>,
    pub total_paid_tax_excl: Option<Dec>,
    pub total_paid_real: Option<Dec>,
    pub total_products_wt: Option<Dec>,
    pub total_discounts_tax_incl: Option<Dec>,
    pub total_shipping_tax_incl: Option<Dec>,
    pub payment: Option<String>,
    pub shipping_number: Option<String>,
    pub date_add: Option<String>,
    pub date_upd: Option<String>,
    pub associations: Option<OrderAssociations>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct OrderAssociations {
    #[serde(default)]
    pub order_rows: Vec<OrderRow>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct OrderRow {
    pub id: Id,
    pub product_id: Option<Id>,
    pub product_attribute_id: Option<Id>,
    pub product_quantity: Option<Dec>,
    pub product_name: Option<String>,
    pub product_reference: Option<String>,
    pub unit_price_tax_incl: Option<Dec>,
    pub unit_price_tax_excl: Option<Dec>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Product {
    pub id: Id,
    pub name: Option<Text>,
    pub description: Option<Text>,
    pub reference: Option<String>,
    pub price: Option<Dec>,
    pub active: Option<Id>,
    pub date_add: Option<String>,
    pub date_upd: Option<String>,
    pub associations: Option<ProductAssociations>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct ProductAssociations {
    #[serde(default)]
    pub categories: Vec<Ref>,
    #[serde(default)]
    pub combinations: Vec<Ref>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Ref {
    pub id: Id,
}

/// A combination (`GET /api/combinations?display=full`): a product's variant. Its
/// `price` is an impact added to the product's price, not a price.
#[derive(Debug, Deserialize)]
pub(crate) struct Combination {
    pub id: Id,
    pub id_product: Id,
    pub reference: Option<String>,
    pub ean13: Option<String>,
    pub price: Option<Dec>,
}

/// A `stock_availables` row: the quantity of a product (`id_product_attribute` 0) or of
/// one of its combinations.
#[derive(Debug, Deserialize)]
pub(crate) struct StockAvailable {
    pub id_product: Id,
    pub id_product_attribute: Id,
    pub quantity: Option<Dec>,
}
