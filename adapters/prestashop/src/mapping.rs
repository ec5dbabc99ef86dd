//! Pure PrestaShop → unified mapping, no IO, over a [`ShopContext`]: an order's amounts
//! are in its `id_currency`, resolved through the shop's currencies (the order is
//! in the store's currency when that is the shop's default; otherwise the amounts are
//! the presentment's and the store-currency totals are left out rather than
//! recomputed from `conversion_rate`). Dates are shop-local without a zone: the
//! context's UTC offset makes them UTC, and without one they are left out (the
//! original stays in `raw`). `normalize` takes the kit's `StoreContext` (`--currency`
//! stands for every `id_currency`).

use chrono::{DateTime, FixedOffset, NaiveDateTime, Utc};
use polycart_kit::connector::Normalized;
use polycart_kit::decode::{Dec, at_index, split_envelope};
use polycart_kit::error::decode_json;
use polycart_kit::model::{
    Currency, FinancialStatus, FulfillmentStatus, LineItem, Money, Order, OrderCustomer,
    OrderStatus, OrderTotals, Product, ProductStatus, Raw, Shipment, Variant,
};
use polycart_kit::{Entity, Error, Record, Result, StoreContext};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde_json::value::RawValue;

use crate::client::ShopContext;
use crate::{PLATFORM, wire};

/// A shop-local time as UTC (`None` without an offset, or for `0000-00-00 00:00:00`).
pub fn local_time(
    path: &str,
    text: Option<&str>,
    offset: Option<FixedOffset>,
) -> Result<Option<DateTime<Utc>>> {
    let Some(t) = text
        .map(str::trim)
        .filter(|t| !t.is_empty() && !t.starts_with("0000-00-00"))
    else {
        return Ok(None);
    };
    let naive = NaiveDateTime::parse_from_str(t, "%Y-%m-%d %H:%M:%S")
        .map_err(|_| Error::decode(path, format!("not a date: {t:?}")))?;
    Ok(offset
        .and_then(|o| naive.and_local_timezone(o).single())
        .map(|d| d.with_timezone(&Utc)))
}

fn amount(v: Option<Dec>, cur: Option<&Currency>) -> Option<Money> {
    Some(Money::new(v?.0, cur?.clone()))
}

/// PrestaShop's default order states (ids 1–13); a shop's own states keep only
/// `platform_status`.
fn state(
    id: &str,
) -> (
    Option<OrderStatus>,
    Option<FinancialStatus>,
    Option<FulfillmentStatus>,
) {
    use FinancialStatus as F;
    use FulfillmentStatus as U;
    use OrderStatus as S;
    match id {
        "1" | "10" | "13" => (Some(S::Pending), Some(F::Pending), Some(U::Unfulfilled)),
        "2" | "11" => (Some(S::Processing), Some(F::Paid), Some(U::Unfulfilled)),
        "3" | "9" => (Some(S::Processing), Some(F::Paid), Some(U::Unfulfilled)),
        "12" => (Some(S::OnHold), Some(F::Pending), Some(U::Unfulfilled)),
        "4" => (Some(S::Processing), Some(F::Paid), Some(U::Fulfilled)),
        "5" => (Some(S::Completed), Some(F::Paid), Some(U::Fulfilled)),
        "6" => (Some(S::Cancelled), None, None),
        "7" => (Some(S::Refunded), Some(F::Refunded), None),
        "8" => (Some(S::Failed), Some(F::Pending), Some(U::Unfulfilled)),
        _ => (None, None, None),
    }
}

/// One order with its `order_rows` as line items.
pub fn order(raw: &RawValue, ctx: &ShopContext) -> Result<Vec<Record>> {
    let o: wire::Order = decode_json(raw.get())?;
    let default = ctx.store.currency.as_ref();
    let own = match o.id_currency.as_ref() {
        Some(id) => ctx.currencies.get(&id.0).or(if ctx.currencies.is_empty() {
            default
        } else {
            None
        }),
        None => default,
    };
    let own = own.cloned();
    let in_store = own.is_some() && own.as_ref() == default;
    let tz = ctx.store.time_zone;
    let rows = o
        .associations
        .as_ref()
        .map(|a| a.order_rows.as_slice())
        .unwrap_or_default();
    let line_items = rows
        .iter()
        .map(|r| {
            let qty = r.product_quantity.map_or(Decimal::ZERO, |q| q.0);
            let tax = match (r.unit_price_tax_incl, r.unit_price_tax_excl) {
                (Some(i), Some(e)) => Some(Dec((i.0 - e.0) * qty)),
                _ => None,
            };
            LineItem {
                platform_id: r.id.0.clone(),
                product_id: r.product_id.as_ref().map(|i| i.0.clone()),
                variant_id: r
                    .product_attribute_id
                    .as_ref()
                    .map(|i| i.0.clone())
                    .filter(|v| v != "0"),
                sku: r.product_reference.clone().filter(|s| !s.is_empty()),
                name: r.product_name.clone(),
                quantity: qty,
                unit_price: amount(r.unit_price_tax_incl, own.as_ref()),
                total: amount(r.unit_price_tax_incl.map(|p| Dec(p.0 * qty)), own.as_ref()),
                tax: amount(tax, own.as_ref()),
                discount: None,
            }
        })
        .collect();
    let totals = |c: Option<&Currency>| OrderTotals {
        subtotal: amount(o.total_products_wt, c),
        shipping: amount(o.total_shipping_tax_incl, c),
        tax: match (o.total_paid_tax_incl, o.total_paid_tax_excl) {
            (Some(i), Some(e)) => amount(Some(Dec(i.0 - e.0)), c),
            _ => None,
        },
        discount: amount(o.total_discounts_tax_incl, c),
        total: amount(o.total_paid_tax_incl, c),
        paid: amount(o.total_paid_real, c),
        refunded: None,
    };
    let (status, financial, fulfillment) = o
        .current_state
        .as_ref()
        .map_or((None, None, None), |s| state(&s.0));
    let tracking = o.shipping_number.clone().filter(|s| !s.is_empty());
    let order = Order {
        number: o.reference.clone(),
        status,
        platform_status: o.current_state.as_ref().map(|s| s.0.clone()),
        financial_status: financial,
        fulfillment_status: fulfillment,
        currency: default.cloned(),
        totals: if in_store {
            totals(own.as_ref())
        } else {
            OrderTotals::default()
        },
        presentment_currency: if in_store { None } else { own.clone() },
        presentment_totals: if in_store || own.is_none() {
            None
        } else {
            Some(totals(own.as_ref()))
        },
        customer: o
            .id_customer
            .as_ref()
            .filter(|c| c.0 != "0")
            .map(|c| OrderCustomer {
                platform_id: Some(c.0.clone()),
                ..OrderCustomer::default()
            }),
        line_items,
        shipments: tracking
            .map(|t| Shipment {
                platform_id: format!("{}-shipping", o.id.0),
                carrier: None,
                tracking_number: Some(t),
                tracking_url: None,
                status: None,
                line_items: Vec::new(),
                created_at: None,
            })
            .into_iter()
            .collect(),
        source: o.payment.clone(),
        created_at: local_time("$.date_add", o.date_add.as_deref(), tz)?,
        updated_at: local_time("$.date_upd", o.date_upd.as_deref(), tz)?,
        raw: Some(Raw::from_raw(raw)),
        ..Order::new(PLATFORM, o.id.0)
    };
    Ok(vec![order.into()])
}

/// One product; its combinations (listed by id in `associations`) are its variants,
/// by id only until [`with_combinations`] fills them in (their prices and stock are
/// separate resources).
pub fn product(raw: &RawValue, ctx: &ShopContext) -> Result<Vec<Record>> {
    let p: wire::Product = decode_json(raw.get())?;
    let cur = ctx.store.currency.as_ref();
    let tz = ctx.store.time_zone;
    let assoc = p.associations.as_ref();
    let product = Product {
        name: p.name.as_ref().and_then(wire::Text::first),
        sku: p.reference.clone().filter(|s| !s.is_empty()),
        description_html: p.description.as_ref().and_then(wire::Text::first),
        status: p.active.as_ref().map(|a| {
            if a.0 == "1" {
                ProductStatus::Active
            } else {
                ProductStatus::Draft
            }
        }),
        platform_status: p.active.as_ref().map(|a| a.0.clone()),
        category_ids: assoc
            .map(|a| a.categories.iter().map(|c| c.id.0.clone()).collect())
            .unwrap_or_default(),
        price: amount(p.price, cur),
        variants: assoc
            .map(|a| {
                a.combinations
                    .iter()
                    .map(|c| Variant {
                        platform_id: c.id.0.clone(),
                        sku: None,
                        barcode: None,
                        options: Default::default(),
                        price: None,
                        compare_at_price: None,
                        inventory_quantity: None,
                        weight: None,
                        image_url: None,
                    })
                    .collect()
            })
            .unwrap_or_default(),
        created_at: local_time("$.date_add", p.date_add.as_deref(), tz)?,
        updated_at: local_time("$.date_upd", p.date_upd.as_deref(), tz)?,
        raw: Some(Raw::from_raw(raw)),
        ..Product::new(PLATFORM, p.id.0)
    };
    Ok(vec![product.into()])
}

/// Fills in a product's variants from its combinations (`GET /api/combinations`) and
/// stock (`GET /api/stock_availables`): a variant's price is the product's price plus
/// the combination's impact, its stock the row of its `id_product_attribute`; the
/// product's own row (attribute 0, the total over its combinations) is the product's
/// `inventory_quantity`.
pub(crate) fn with_combinations(
    product: &mut Product,
    combinations: &[wire::Combination],
    stock: &[wire::StockAvailable],
) {
    let id = product.platform_id.clone();
    let quantity = |attribute: &str| {
        stock
            .iter()
            .find(|s| s.id_product.0 == id && s.id_product_attribute.0 == attribute)
            .and_then(|s| s.quantity)
            .filter(|q| q.0.fract().is_zero())
            .and_then(|q| q.0.to_i64())
    };
    product.inventory_quantity = quantity("0");
    let base = product.price.clone();
    for variant in &mut product.variants {
        let Some(c) = combinations
            .iter()
            .find(|c| c.id.0 == variant.platform_id && c.id_product.0 == product.platform_id)
        else {
            continue;
        };
        variant.sku = c.reference.clone().filter(|s| !s.is_empty());
        variant.barcode = c.ean13.clone().filter(|s| !s.is_empty());
        let impact = c.price.map_or(Decimal::ZERO, |d| d.0);
        variant.price = base
            .as_ref()
            .map(|b| Money::new(b.amount + impact, b.currency.clone()));
        variant.inventory_quantity = quantity(&variant.platform_id);
    }
}

/// One raw record to unified records.
pub type MapFn = fn(&RawValue, &ShopContext) -> Result<Vec<Record>>;

/// The mapping of `entity`'s records.
pub fn mapper(entity: Entity) -> Result<MapFn> {
    match entity {
        Entity::Order => Ok(order),
        Entity::Product => Ok(product),
        other => Err(Error::unsupported(PLATFORM, format!("{other}s"))),
    }
}

/// `Connector::normalize`: `{"order": …}` / `{"product": …}` as `GET /api/orders/{id}`
/// returns them, or a list (`{"orders": [...]}`, `[]`).
pub fn normalize(entity: Entity, text: &str, ctx: &StoreContext) -> Result<Normalized> {
    let map = mapper(entity)?;
    let keys: &[&str] = match entity {
        Entity::Order => &["orders", "order"],
        _ => &["products", "product"],
    };
    let shop = ShopContext {
        store: ctx.clone(),
        currencies: Default::default(),
    };
    let (items, list) = split_envelope(text, keys)?;
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        out.extend(map(item, &shop).map_err(|e| at_index(e, i, list))?);
    }
    match (list, out.len()) {
        (false, 1) => Ok(Normalized::One(out.remove(0))),
        (false, _) => Err(Error::decode("$", "expected one record")),
        (true, _) => Ok(Normalized::List(out)),
    }
}
