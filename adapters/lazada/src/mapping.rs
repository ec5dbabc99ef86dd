//! Pure Lazada → unified mapping, no IO: one signature for every entity
//! (`fn(&RawValue, &StoreContext) -> Result<Vec<Record>>`), and `normalize` for
//! `polycart normalize` and the golden tests. Money is exact (decimal strings and JSON
//! number tokens read as written); times are UTC with the platform's original kept in
//! `raw`.
//!
//! Lazada keeps an order's status on its items, and its items apart from it: an order
//! is mapped from the composite `{"order": {…}, "items": […]}` (what the adapter reads
//! with `/orders/get` and `/orders/items/get`, `docs.md` "Paging"), or from a bare
//! order, whose status then comes from its `statuses[]`. [`derive_status`] says how.

use std::collections::BTreeMap;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use polycart_kit::connector::Normalized;
use polycart_kit::decode::{at_index, parse_datetime};
use polycart_kit::error::{decode_json, excerpt};
use polycart_kit::model::{
    Address, Category, Currency, FinancialStatus, FulfillmentStatus, Image, LineItem, Money, Order,
    OrderCustomer, OrderStatus, OrderTotals, Product, ProductStatus, Raw, Shipment,
    ShipmentLineItem, ShippingLine, Variant, Weight,
};
use polycart_kit::{Entity, Error, Record, Result, StoreContext};
use rust_decimal::Decimal;
use serde_json::Value;
use serde_json::value::RawValue;

use crate::{PLATFORM, wire};

/// A decimal from a Lazada amount: a string (`"106.00"`, `"1,299.00"`) or a JSON
/// number, read from its written digits (never through `f64` arithmetic).
pub fn decimal(path: &str, v: &Value) -> Result<Option<Decimal>> {
    let text = match v {
        Value::Null => return Ok(None),
        Value::String(s) if s.trim().is_empty() || s == "null" => return Ok(None),
        Value::String(s) => s.trim().replace(',', ""),
        Value::Number(n) => n.to_string(),
        other => return Err(Error::decode(path, format!("not an amount: {other}"))),
    };
    let parsed = Decimal::from_str(&text).or_else(|_| Decimal::from_scientific(&text));
    parsed
        .map(Some)
        .map_err(|_| Error::decode(path, format!("not an amount: {:?}", excerpt(&text, 40))))
}

fn money(path: &str, v: &Option<Value>, cur: &Option<Currency>) -> Result<Option<Money>> {
    match (
        v.as_ref().map(|v| decimal(path, v)).transpose()?.flatten(),
        cur,
    ) {
        (Some(d), Some(c)) => Ok(Some(Money::new(d, c.clone()))),
        _ => Ok(None),
    }
}

/// A Lazada time: ISO 8601 with an offset, `YYYY-MM-DD HH:MM:SS +hhmm`, or epoch
/// milliseconds (a number or a string of digits).
pub fn time(path: &str, v: &Option<Value>) -> Result<Option<DateTime<Utc>>> {
    let text = match v {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::String(s)) => s.trim().to_owned(),
        Some(other) => return Err(Error::decode(path, format!("not a time: {other}"))),
    };
    if text.is_empty() || text == "null" {
        return Ok(None);
    }
    if text.len() >= 12 && text.bytes().all(|b| b.is_ascii_digit()) {
        let ms: i64 = text
            .parse()
            .map_err(|_| Error::decode(path, "epoch milliseconds out of range"))?;
        return DateTime::from_timestamp_millis(ms)
            .map(Some)
            .ok_or_else(|| Error::decode(path, "epoch milliseconds out of range"));
    }
    parse_datetime(&text)
        .map(Some)
        .ok_or_else(|| Error::decode(path, format!("not a time: {:?}", excerpt(&text, 40))))
}

/// An order's status from its items' statuses (Lazada has no order-level status):
///
/// 1. no statuses: unknown (`None`);
/// 2. every item `canceled`: `cancelled`;
/// 3. otherwise cancelled items are left out, and of the rest:
///    any `unpaid` → `pending`; all `returned` → `refunded`; all `delivered` or
///    `returned` → `completed`; all failed-like (`failed`, `lost`, `lost_by_3pl`,
///    `damaged_by_3pl`, `package_scrapped`, `shipped_back*`, `failed_delivery`) →
///    `failed`; anything else (`pending`, `topack`, `packed`, `toship`,
///    `ready_to_ship`, `shipped`, a mix) → `processing`.
///
/// The fulfilment status counts items shipped (`shipped`, `delivered`, `returned`):
/// none → `unfulfilled`, all → `fulfilled`, some → `partial`; all `returned` →
/// `returned`.
pub fn derive_status(statuses: &[&str]) -> (Option<OrderStatus>, Option<FulfillmentStatus>) {
    if statuses.is_empty() {
        return (None, None);
    }
    let live: Vec<&str> = statuses
        .iter()
        .copied()
        .filter(|s| *s != "canceled")
        .collect();
    if live.is_empty() {
        return (
            Some(OrderStatus::Cancelled),
            Some(FulfillmentStatus::Unfulfilled),
        );
    }
    let all = |f: &dyn Fn(&str) -> bool| live.iter().all(|s| f(s));
    let failed = |s: &str| {
        matches!(
            s,
            "failed"
                | "lost"
                | "lost_by_3pl"
                | "damaged_by_3pl"
                | "package_scrapped"
                | "failed_delivery"
        ) || s.starts_with("shipped_back")
    };
    let status = if live.contains(&"unpaid") {
        OrderStatus::Pending
    } else if all(&|s| s == "returned") {
        OrderStatus::Refunded
    } else if all(&|s| s == "delivered" || s == "returned") {
        OrderStatus::Completed
    } else if all(&failed) {
        OrderStatus::Failed
    } else {
        OrderStatus::Processing
    };
    // A returned item was shipped first.
    let shipped = live
        .iter()
        .filter(|s| matches!(**s, "shipped" | "delivered" | "returned"))
        .count();
    let fulfillment = if all(&|s| s == "returned") {
        FulfillmentStatus::Returned
    } else if shipped == 0 {
        FulfillmentStatus::Unfulfilled
    } else if shipped == live.len() {
        FulfillmentStatus::Fulfilled
    } else {
        FulfillmentStatus::Partial
    };
    (Some(status), Some(fulfillment))
}

fn address(a: Option<wire::Address>) -> Option<Address> {
    let a = a?;
    Some(Address {
        first_name: a.first_name,
        last_name: a.last_name,
        company: None,
        line1: a.address1,
        line2: a.address2,
        city: a.city,
        region: None,
        region_code: None,
        postal_code: a.post_code,
        // Lazada writes the country's name ("Singapore"), not its code.
        country_code: None,
        phone: a.phone,
        email: None,
    })
}

/// The parts of an order record: the order object and its items, when known.
fn split_order(raw: &RawValue) -> Result<(&RawValue, Option<Vec<Box<RawValue>>>)> {
    #[derive(serde::Deserialize)]
    struct Composite<'a> {
        #[serde(borrow)]
        order: Option<&'a RawValue>,
        #[serde(default)]
        items: Option<Vec<Box<RawValue>>>,
    }
    let c: Composite<'_> =
        serde_json::from_str(raw.get()).map_err(|e| Error::decode("$", e.to_string()))?;
    match c.order {
        Some(order) => Ok((order, c.items)),
        None => Ok((raw, None)),
    }
}

/// One order: a composite `{"order", "items"}` or a bare order object.
pub fn order(raw: &RawValue, ctx: &StoreContext) -> Result<Vec<Record>> {
    let (order_raw, items_raw) = split_order(raw)?;
    let o: wire::Order = decode_json(order_raw.get())?;
    let items: Vec<wire::Item> = items_raw
        .unwrap_or_default()
        .iter()
        .enumerate()
        .map(|(i, it)| decode_json(it.get()).map_err(|e| at_index(e, i, true)))
        .collect::<Result<_>>()?;
    let cur = match items.iter().find_map(|i| i.currency.as_deref()) {
        Some(c) => Some(
            Currency::parse(c).map_err(|e| Error::decode("$.items[0].currency", e.to_string()))?,
        ),
        None => ctx.currency.clone(),
    };
    let item_statuses: Vec<&str> = items.iter().filter_map(|i| i.status.as_deref()).collect();
    let statuses: Vec<&str> = if items.is_empty() {
        o.statuses.iter().map(String::as_str).collect()
    } else {
        item_statuses
    };
    let mut unique: Vec<&str> = Vec::new();
    for s in &statuses {
        if !unique.contains(s) {
            unique.push(s);
        }
    }
    let (status, fulfillment) = derive_status(&statuses);
    // Lazada says "unpaid" of an item awaiting payment; it says nothing of payment
    // otherwise (a COD order is paid on delivery).
    let financial = statuses
        .contains(&"unpaid")
        .then_some(FinancialStatus::Pending);
    let mut line_items = Vec::with_capacity(items.len());
    let mut shipments: BTreeMap<String, Shipment> = BTreeMap::new();
    for (i, it) in items.iter().enumerate() {
        let p = |f: &str| format!("$.items[{i}].{f}");
        let id = it.order_item_id.0.clone();
        line_items.push(LineItem {
            platform_id: id.clone(),
            product_id: it.product_id.as_ref().map(|x| x.0.clone()),
            variant_id: it.sku_id.as_ref().map(|x| x.0.clone()),
            sku: it.sku.clone(),
            name: it.name.clone(),
            // Lazada lists one order item per unit.
            quantity: Decimal::ONE,
            unit_price: money(&p("item_price"), &it.item_price, &cur)?,
            total: money(&p("paid_price"), &it.paid_price, &cur)?,
            tax: money(&p("tax_amount"), &it.tax_amount, &cur)?,
            discount: money(&p("voucher_amount"), &it.voucher_amount, &cur)?,
        });
        if let Some(tracking) = it.tracking_code.as_deref().filter(|t| !t.is_empty()) {
            let key = it
                .package_id
                .as_ref()
                .map_or_else(|| tracking.to_owned(), |p| p.0.clone());
            let s = shipments.entry(key.clone()).or_insert_with(|| Shipment {
                platform_id: key,
                carrier: it.shipment_provider.clone().filter(|c| !c.is_empty()),
                tracking_number: Some(tracking.to_owned()),
                tracking_url: None,
                status: it.status.clone(),
                line_items: Vec::new(),
                created_at: None,
            });
            s.line_items.push(ShipmentLineItem {
                line_item_id: Some(id),
                quantity: Decimal::ONE,
            });
        }
    }
    let subtotal = money("$.order.price", &o.price, &cur)?;
    let shipping = money("$.order.shipping_fee", &o.shipping_fee, &cur)?;
    let discount = money("$.order.voucher", &o.voucher, &cur)?;
    let total = match (&subtotal, &shipping) {
        (Some(s), Some(f)) => Some(Money::new(
            s.amount + f.amount - discount.as_ref().map_or(Decimal::ZERO, |d| d.amount),
            s.currency.clone(),
        )),
        _ => None,
    };
    let order = Order {
        number: o.order_number.map(|n| n.0),
        status,
        platform_status: (!unique.is_empty()).then(|| unique.join(",")),
        fulfillment_status: fulfillment,
        financial_status: financial,
        currency: cur,
        totals: OrderTotals {
            subtotal,
            shipping: shipping.clone(),
            discount,
            total,
            ..OrderTotals::default()
        },
        customer: Some(OrderCustomer {
            platform_id: None,
            email: None,
            first_name: o.customer_first_name,
            last_name: o.customer_last_name,
            phone: None,
        }),
        billing_address: address(o.address_billing),
        shipping_address: address(o.address_shipping),
        line_items,
        shipping_lines: shipping
            .map(|price| ShippingLine {
                method: None,
                carrier: None,
                price: Some(price),
            })
            .into_iter()
            .collect(),
        shipments: shipments.into_values().collect(),
        note: o
            .buyer_note
            .filter(|n| !n.is_empty())
            .or(o.remarks.filter(|n| !n.is_empty())),
        source: o.payment_method.map(|m| format!("payment:{m}")),
        created_at: time("$.order.created_at", &o.created_at)?,
        updated_at: time("$.order.updated_at", &o.updated_at)?,
        raw: Some(Raw::from_raw(raw)),
        ..Order::new(PLATFORM, o.order_id.0)
    };
    let _ = o.voucher_code;
    Ok(vec![order.into()])
}

/// Product images: a JSON array, or that array written as a string.
fn images(v: &Option<Value>) -> Vec<Image> {
    let list = match v {
        Some(Value::Array(a)) => a.clone(),
        Some(Value::String(s)) => serde_json::from_str::<Vec<Value>>(s).unwrap_or_default(),
        _ => Vec::new(),
    };
    list.iter()
        .filter_map(Value::as_str)
        .filter(|u| !u.is_empty())
        .enumerate()
        .map(|(i, u)| Image {
            url: u.to_owned(),
            alt: None,
            position: u32::try_from(i + 1).ok(),
        })
        .collect()
}

/// One product; every SKU is a variant. Lazada's product payloads carry no currency:
/// prices take the store's (the venture's).
pub fn product(raw: &RawValue, ctx: &StoreContext) -> Result<Vec<Record>> {
    let p: wire::Product = decode_json(raw.get())?;
    let cur = ctx.currency.clone();
    let mut variants = Vec::with_capacity(p.skus.len());
    for (i, s) in p.skus.iter().enumerate() {
        let path = |f: &str| format!("$.skus[{i}].{f}");
        let quantity = match &s.quantity {
            Some(v) => decimal(&path("quantity"), v)?.and_then(|d| i64::try_from(d).ok()),
            None => None,
        };
        let weight = match &s.package_weight {
            Some(v) => decimal(&path("package_weight"), v)?.map(|value| Weight {
                value,
                unit: "kg".to_owned(),
            }),
            None => None,
        };
        variants.push(Variant {
            platform_id: s.SkuId.0.clone(),
            sku: s.SellerSku.clone(),
            barcode: None,
            options: BTreeMap::new(),
            price: money(&path("price"), &s.price, &cur)?,
            compare_at_price: None,
            inventory_quantity: quantity,
            weight,
            image_url: s.Images.iter().find(|u| !u.is_empty()).cloned(),
        });
        let _ = &s.special_price;
    }
    let status = p.status.as_deref().map(str::to_ascii_lowercase);
    let unified_status = match status.as_deref() {
        Some("active" | "live") => Some(ProductStatus::Active),
        Some("inactive" | "pending" | "pending qc" | "rejected") => Some(ProductStatus::Draft),
        Some("deleted" | "suspended") => Some(ProductStatus::Archived),
        _ => None,
    };
    let attributes = p.attributes;
    let first = variants.first();
    let product = Product {
        name: attributes.as_ref().and_then(|a| a.name.clone()),
        description_html: attributes.as_ref().and_then(|a| a.description.clone()),
        vendor: attributes.as_ref().and_then(|a| a.brand.clone()),
        sku: first.and_then(|v| v.sku.clone()),
        price: first.and_then(|v| v.price.clone()),
        status: unified_status,
        platform_status: p.status.clone(),
        category_ids: p.primary_category.map(|c| c.0).into_iter().collect(),
        images: images(&p.images),
        inventory_quantity: if variants.is_empty()
            || variants.iter().any(|v| v.inventory_quantity.is_none())
        {
            None
        } else {
            Some(variants.iter().filter_map(|v| v.inventory_quantity).sum())
        },
        variants,
        created_at: time("$.created_time", &p.created_time)?,
        updated_at: time("$.updated_time", &p.updated_time)?,
        raw: Some(Raw::from_raw(raw)),
        ..Product::new(PLATFORM, p.item_id.0)
    };
    Ok(vec![product.into()])
}

/// A category node and its whole subtree, depth first, each with its parent's id and
/// its place among its siblings; `raw` is the node as sent without its `children`.
pub fn category(raw: &RawValue, _ctx: &StoreContext) -> Result<Vec<Record>> {
    let node: Value = decode_json(raw.get())?;
    let mut out = Vec::new();
    flatten(&node, "$", None, None, &mut out)?;
    Ok(out)
}

fn flatten(
    node: &Value,
    path: &str,
    parent: Option<&str>,
    position: Option<i64>,
    out: &mut Vec<Record>,
) -> Result<()> {
    let Value::Object(fields) = node else {
        return Err(Error::decode(path, "not a category node"));
    };
    let id = match fields.get("category_id") {
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::String(s)) if !s.is_empty() => s.clone(),
        _ => return Err(Error::decode(format!("{path}.category_id"), "missing")),
    };
    let mut own = fields.clone();
    own.remove("children");
    out.push(
        Category {
            name: fields
                .get("name")
                .and_then(Value::as_str)
                .map(str::to_owned),
            parent_id: parent.map(str::to_owned),
            position,
            raw: Some(Raw::from_value(&Value::Object(own))),
            ..Category::new(PLATFORM, id.clone())
        }
        .into(),
    );
    if let Some(Value::Array(children)) = fields.get("children") {
        for (i, child) in children.iter().enumerate() {
            let at = format!("{path}.children[{i}]");
            flatten(child, &at, Some(&id), i64::try_from(i + 1).ok(), out)?;
        }
    }
    Ok(())
}

/// One raw record to unified records.
pub type MapFn = fn(&RawValue, &StoreContext) -> Result<Vec<Record>>;

/// The mapping of `entity`'s records.
pub fn mapper(entity: Entity) -> Result<MapFn> {
    match entity {
        Entity::Order => Ok(order),
        Entity::Product => Ok(product),
        Entity::Category => Ok(category),
        other => Err(Error::entity_unsupported(PLATFORM, other)),
    }
}

/// `Connector::normalize`. Categories: a `/category/tree/get` answer (`data`, the
/// roots; every node becomes a record) or one node. Orders: an `/orders/get` answer (`data.orders`, a list),
/// an `/order/get` answer (`data`, one), a composite `{"order": {…}, "items": […]}`,
/// or a bare order object. Products: a `/products/get` answer (`data.products`), a
/// `/product/item/get` answer (`data`), or a bare product.
pub fn normalize(entity: Entity, text: &str, ctx: &StoreContext) -> Result<Normalized> {
    let map = mapper(entity)?;
    let value: Value = decode_json(text)?;
    if let Some(code) = value.get("code").and_then(Value::as_str)
        && code != "0"
    {
        return Err(Error::invalid(format!("a Lazada error answer: {code}")));
    }
    let list_key = match entity {
        Entity::Order => "orders",
        _ => "products",
    };
    let data = value.get("data");
    let (items, list): (Vec<Value>, bool) = match data {
        // `/category/tree/get`: the roots, each with its subtree.
        Some(Value::Array(roots)) if entity == Entity::Category => (roots.clone(), true),
        Some(Value::Object(d)) if d.contains_key(list_key) => match &d[list_key] {
            Value::Array(a) => (a.clone(), true),
            Value::Null => (Vec::new(), true),
            _ => return Err(Error::decode(format!("$.data.{list_key}"), "not a list")),
        },
        Some(d @ Value::Object(_)) => (vec![d.clone()], false),
        Some(_) => return Err(Error::decode("$.data", "not an object")),
        None => (vec![value.clone()], false),
    };
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let raw = RawValue::from_string(item.to_string())
            .map_err(|e| Error::decode("$", e.to_string()))?;
        out.extend(map(&raw, ctx).map_err(|e| at_index(e, i, list))?);
    }
    match (list, out.len()) {
        (false, 1) => Ok(Normalized::One(out.remove(0))),
        // One category node brings its subtree.
        (false, _) if entity == Entity::Category => Ok(Normalized::List(out)),
        (false, _) => Err(Error::decode("$", "expected one record")),
        (true, _) => Ok(Normalized::List(out)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Any prefix of a real payload, and the payload with each value swapped for
    /// another JSON type, maps or fails with a typed error: no input panics.
    #[test]
    fn broken_payloads_fail_typed_never_panic() {
        let ctx = StoreContext::default();
        for (entity, text) in [
            (
                Entity::Order,
                include_str!("../../../fixtures/lazada/order/order-with-items.json"),
            ),
            (
                Entity::Product,
                include_str!("../../../fixtures/lazada/product/get-products.json"),
            ),
            (
                Entity::Category,
                include_str!("../../../fixtures/lazada/category/get-category-tree.json"),
            ),
        ] {
            for cut in (0..text.len())
                .filter(|i| text.is_char_boundary(*i))
                .step_by(7)
            {
                let _ = normalize(entity, &text[..cut], &ctx);
            }
            for odd in [
                "null",
                "[]",
                "{}",
                "-1e400",
                "\"\"",
                "true",
                "18446744073709551616",
            ] {
                let mut at = 0;
                while let Some(i) = text[at..].find(": ") {
                    let start = at + i + 2;
                    let end = text[start..]
                        .find([',', '\n'])
                        .map_or(text.len(), |j| start + j);
                    let swapped = format!("{}{odd}{}", &text[..start], &text[end..]);
                    let _ = normalize(entity, &swapped, &ctx);
                    at = start;
                }
            }
        }
    }

    #[test]
    fn status_is_derived_from_the_items() {
        use FulfillmentStatus as F;
        use OrderStatus as O;
        assert_eq!(derive_status(&[]), (None, None));
        assert_eq!(
            derive_status(&["canceled", "canceled"]),
            (Some(O::Cancelled), Some(F::Unfulfilled))
        );
        assert_eq!(
            derive_status(&["canceled", "pending"]),
            (Some(O::Processing), Some(F::Unfulfilled))
        );
        assert_eq!(
            derive_status(&["unpaid"]),
            (Some(O::Pending), Some(F::Unfulfilled))
        );
        assert_eq!(
            derive_status(&["shipped", "ready_to_ship"]),
            (Some(O::Processing), Some(F::Partial))
        );
        assert_eq!(
            derive_status(&["delivered", "canceled"]),
            (Some(O::Completed), Some(F::Fulfilled))
        );
        assert_eq!(
            derive_status(&["delivered", "returned"]),
            (Some(O::Completed), Some(F::Fulfilled))
        );
        assert_eq!(
            derive_status(&["returned", "pending"]),
            (Some(O::Processing), Some(F::Partial))
        );
        assert_eq!(
            derive_status(&["returned"]),
            (Some(O::Refunded), Some(F::Returned))
        );
        assert_eq!(
            derive_status(&["lost_by_3pl", "failed"]),
            (Some(O::Failed), Some(F::Unfulfilled))
        );
    }

    #[test]
    fn amounts_are_exact_from_strings_and_floats() {
        let d = |v: Value| decimal("$", &v).unwrap().unwrap();
        assert_eq!(d(serde_json::json!("106.00")).to_string(), "106.00");
        assert_eq!(d(serde_json::json!("1,299.90")).to_string(), "1299.90");
        // A float token is read as written, not as the nearest binary fraction.
        let v: Value = serde_json::from_str("0.1").unwrap();
        assert_eq!(d(v).to_string(), "0.1");
        let v: Value = serde_json::from_str("19.99").unwrap();
        assert_eq!(d(v), Decimal::new(1999, 2));
        assert_eq!(d(serde_json::json!(32)), Decimal::from(32));
        assert!(decimal("$", &serde_json::json!("abc")).is_err());
        assert!(decimal("$", &serde_json::json!("null")).unwrap().is_none());
    }

    #[test]
    fn times_in_every_lazada_format() {
        let t = |s: &str| {
            time("$", &Some(Value::String(s.into())))
                .unwrap()
                .unwrap()
                .to_rfc3339()
        };
        assert_eq!(t("2018-02-09T22:44:30+08:00"), "2018-02-09T14:44:30+00:00");
        assert_eq!(t("2014-10-15 19:12:15 +0800"), "2014-10-15T11:12:15+00:00");
        assert_eq!(t("1611554725000"), "2021-01-25T06:05:25+00:00");
        assert!(time("$", &Some(Value::String("soon".into()))).is_err());
    }
}
