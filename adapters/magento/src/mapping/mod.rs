//! Pure raw → unified functions for Magento's REST payloads (no IO), and
//! [`normalize`], which `polycart normalize --platform magento` and the golden tests
//! call: one object (`GET /V1/orders/{id}`, `/V1/products/{sku}`, `/V1/customers/{id}`,
//! `/V1/categories/{id}`), a search result (`{"items": [...], "total_count": N}`), a
//! bare array (`/V1/configurable-products/{sku}/children`), or the category tree
//! (`GET /V1/categories`, flattened with parent ids).

mod catalog;
mod customer;
mod order;

use chrono::{DateTime, Utc};
use polycart_kit::connector::{Normalized, StoreContext};
use polycart_kit::decode::{Dec, at_index};
use polycart_kit::error::{Result, decode_json, decode_json_borrowed};
use polycart_kit::model::{Currency, Entity, Money, Record};
use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_json::value::RawValue;

pub use catalog::{
    OptionLabels, legacy_stock, option_attribute_ids, product_with_children, source_item,
};
pub use order::{OrderExtra, order_with};
pub(crate) use order::{read_creditmemos, read_shipments};

/// The platform's registry name.
pub const PLATFORM: &str = "magento";

/// What the mapping knows about the store beyond a payload.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Context {
    /// The base currency (products carry none).
    pub currency: Option<Currency>,
    /// `kg` or `lb` (products carry none).
    pub weight_unit: Option<String>,
    /// `{site}/media/catalog/product`, for gallery files (`/m/b/mb01.jpg`); without it
    /// an image's `url` is the file path as Magento gives it.
    pub media_base: Option<String>,
}

impl From<&StoreContext> for Context {
    fn from(s: &StoreContext) -> Self {
        Self {
            currency: s.currency.clone(),
            weight_unit: s
                .weight_unit
                .as_deref()
                .and_then(polycart_kit::connector::weight_unit)
                .map(str::to_owned),
            media_base: None,
        }
    }
}

/// `polycart normalize`: maps a payload with what is known of the store.
pub fn normalize(entity: Entity, text: &str, ctx: &StoreContext) -> Result<Normalized> {
    normalize_with(entity, text, &Context::from(ctx))
}

/// The top of a payload, to tell a search result from one record.
#[derive(Deserialize)]
struct Top<'a> {
    #[serde(borrow, default)]
    items: Option<Vec<&'a RawValue>>,
    #[serde(default)]
    total_count: Option<IgnoredAny>,
    #[serde(default)]
    search_criteria: Option<IgnoredAny>,
    #[serde(default)]
    children_data: Option<IgnoredAny>,
    #[serde(default)]
    entity_id: Option<IgnoredAny>,
    #[serde(default)]
    id: Option<IgnoredAny>,
}

/// [`normalize`] with the mapping's own context.
pub fn normalize_with(entity: Entity, text: &str, ctx: &Context) -> Result<Normalized> {
    let trimmed = text.trim_start();
    if trimmed.starts_with('[') {
        let items: Vec<&RawValue> = decode_json_borrowed(text)?;
        return list(entity, &items, ctx).map(Normalized::List);
    }
    let top: Top<'_> = decode_json_borrowed(text)?;
    if entity == Entity::Category && top.children_data.is_some() {
        let tree: serde_json::Value = decode_json(text)?;
        return catalog::category_tree(&tree).map(Normalized::List);
    }
    // A search result, also when `fields=` left out its count (a record has an id).
    let search = top.total_count.is_some()
        || top.search_criteria.is_some()
        || (top.entity_id.is_none() && top.id.is_none());
    if let (Some(items), true) = (&top.items, search) {
        return list(entity, items, ctx).map(Normalized::List);
    }
    let raw: &RawValue = decode_json_borrowed(text)?;
    let mut records = one(entity, raw, ctx)?;
    match records.len() {
        1 => Ok(Normalized::One(records.remove(0))),
        _ => Ok(Normalized::List(records)),
    }
}

fn list(entity: Entity, items: &[&RawValue], ctx: &Context) -> Result<Vec<Record>> {
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        out.extend(one(entity, item, ctx).map_err(|e| at_index(e, i, true))?);
    }
    Ok(out)
}

/// One raw record of `entity` (a product maps to itself; its stock is an inventory
/// record only through the MSI source items).
fn one(entity: Entity, raw: &RawValue, ctx: &Context) -> Result<Vec<Record>> {
    Ok(vec![match entity {
        Entity::Order => order_with(raw, ctx, &OrderExtra::default())?.into(),
        Entity::Product => product_with_children(raw, &[], &OptionLabels::default(), ctx)?.into(),
        Entity::Customer => customer::customer(raw)?.into(),
        Entity::Category => catalog::category(raw)?.into(),
        Entity::Inventory => source_item(raw)?.into(),
    }])
}

/// Maps one listed raw record for the listing endpoints (`Endpoint::map`).
pub fn map_one(entity: Entity, raw: &RawValue, ctx: &Context) -> Result<Vec<Record>> {
    one(entity, raw, ctx)
}

/// A Magento date (UTC, no zone), with a decode error naming `path`.
pub(crate) fn date(path: &str, text: Option<&String>) -> Result<Option<DateTime<Utc>>> {
    polycart_kit::decode::datetime(path, text.map(String::as_str))
}

/// An amount in `currency` (`None` when either is missing).
pub(crate) fn money(amount: Option<Dec>, currency: Option<&Currency>) -> Option<Money> {
    Some(Money::new(amount?.0, currency?.clone()))
}

/// A currency code, `None` when absent, a decode error when not ISO 4217.
pub(crate) fn currency(path: &str, code: Option<&String>) -> Result<Option<Currency>> {
    code.map(|c| polycart_kit::decode::currency(path, c))
        .transpose()
}

/// Text that says something (Magento writes empty strings for unset fields).
pub(crate) fn text(value: Option<&String>) -> Option<String> {
    value
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// A record's JSON failed to read as the wire type.
pub(crate) fn read<'a, T: Deserialize<'a>>(raw: &'a RawValue) -> Result<T> {
    decode_json_borrowed(raw.get())
}

/// A whole-unit quantity from a Magento quantity (`12.0000`, or `1.5` for decimal
/// stock, cut to whole units).
pub(crate) fn whole(q: Option<Dec>) -> Option<i64> {
    use rust_decimal::prelude::ToPrimitive;
    q.and_then(|d| d.0.trunc().to_i64())
}
