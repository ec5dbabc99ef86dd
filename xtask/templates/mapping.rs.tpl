//! Pure {{Name}} → unified mapping, no IO: one signature for every entity
//! (`fn(&RawValue, &StoreContext) -> Result<Vec<Record>>`), and `normalize` for
//! `polycart normalize` and the golden tests. Money is exact; times are UTC with the
//! platform's original kept in `raw`.

use polycart_kit::connector::Normalized;
use polycart_kit::decode::{at_index, currency, datetime, money, split_envelope};
use polycart_kit::error::decode_json;
use polycart_kit::model::{LineItem, Order, OrderTotals, Product, Raw};
use polycart_kit::{Entity, Error, Record, Result, StoreContext};
use rust_decimal::Decimal;
use serde_json::value::RawValue;

use crate::{PLATFORM, wire};

/// One order.
pub fn order(raw: &RawValue, _ctx: &StoreContext) -> Result<Vec<Record>> {
    let o: wire::Order = decode_json(raw.get())?;
    let cur = o.currency.as_deref().map(|c| currency("$.currency", c)).transpose()?;
    let amount = |path: &str, v: &Option<String>| match (v, &cur) {
        (Some(v), Some(c)) => money(path, v, c).map(Some),
        _ => Ok(None),
    };
    let mut line_items = Vec::with_capacity(o.line_items.len());
    for (i, l) in o.line_items.iter().enumerate() {
        line_items.push(LineItem {
            platform_id: l.id.0.clone(),
            product_id: None,
            variant_id: None,
            sku: l.sku.clone(),
            name: l.name.clone(),
            quantity: Decimal::from(l.quantity),
            unit_price: amount(&format!("$.line_items[{i}].price"), &l.price)?,
            total: None,
            tax: None,
            discount: None,
        });
    }
    let order = Order {
        number: o.number,
        platform_status: o.status,
        totals: OrderTotals {
            total: amount("$.total", &o.total)?,
            ..OrderTotals::default()
        },
        currency: cur,
        line_items,
        created_at: datetime("$.created_at", o.created_at.as_deref())?,
        updated_at: datetime("$.updated_at", o.updated_at.as_deref())?,
        raw: Some(Raw::from_raw(raw)),
        ..Order::new(PLATFORM, o.id.0)
    };
    Ok(vec![order.into()])
}

/// One product; prices without a currency take the store's.
pub fn product(raw: &RawValue, ctx: &StoreContext) -> Result<Vec<Record>> {
    let p: wire::Product = decode_json(raw.get())?;
    let cur = match p.currency.as_deref() {
        Some(c) => Some(currency("$.currency", c)?),
        None => ctx.currency.clone(),
    };
    let price = match (&p.price, &cur) {
        (Some(v), Some(c)) => Some(money("$.price", v, c)?),
        _ => None,
    };
    let product = Product {
        name: p.name,
        sku: p.sku,
        price,
        created_at: datetime("$.created_at", p.created_at.as_deref())?,
        updated_at: datetime("$.updated_at", p.updated_at.as_deref())?,
        raw: Some(Raw::from_raw(raw)),
        ..Product::new(PLATFORM, p.id.0)
    };
    Ok(vec![product.into()])
}

/// The mapping of `entity`'s records.
pub fn mapper(entity: Entity) -> Result<fn(&RawValue, &StoreContext) -> Result<Vec<Record>>> {
    match entity {
        Entity::Order => Ok(order),
        Entity::Product => Ok(product),
        other => Err(Error::unsupported(PLATFORM, format!("{other}s"))),
    }
}

/// `Connector::normalize`: one record (`{"order": ...}` or the bare object) or a
/// list envelope (`{"orders": [...]}`).
pub fn normalize(entity: Entity, text: &str, ctx: &StoreContext) -> Result<Normalized> {
    let map = mapper(entity)?;
    let keys: &[&str] = match entity {
        Entity::Order => &["orders", "order"],
        _ => &["products", "product"],
    };
    let (items, list) = split_envelope(text, keys)?;
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        out.extend(map(item, ctx).map_err(|e| at_index(e, i, list))?);
    }
    match (list, out.len()) {
        (false, 1) => Ok(Normalized::One(out.remove(0))),
        (false, _) => Err(Error::decode("$", "expected one record")),
        (true, _) => Ok(Normalized::List(out)),
    }
}
