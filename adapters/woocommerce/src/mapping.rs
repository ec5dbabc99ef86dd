//! Pure WooCommerce (wc/v3) → unified mapping: no IO, so `polycart normalize`, golden
//! tests and the adapter share it. Dates come from the `_gmt` twins (the plain ones are
//! site-local time without an offset); amounts from strings, exactly.
//!
//! A product payload does not name its currency or weight unit (both are store
//! settings), so product mapping takes a [`StoreContext`]; without one, prices and weights
//! are `null` rather than guessed.

use std::collections::BTreeMap;

use chrono::{DateTime, TimeZone, Utc};
use polycart_kit::decode::{self, Id, at_index, split_envelope};
use polycart_kit::error::{Error, Result, decode_json};
use polycart_kit::model::{
    Address, Category, Currency, Customer, Discount, FinancialStatus, FulfillmentStatus, Image,
    InventoryLevel, LineItem, Money, Order, OrderCustomer, OrderStatus, OrderTotals, Product,
    ProductOption, ProductStatus, Raw, Record, Refund, RefundLineItem, Shipment, ShippingLine,
    Variant, Weight,
};
use polycart_kit::{Entity, connector::Normalized};
use rust_decimal::Decimal;
use serde_json::value::RawValue;

use crate::PLATFORM;
use crate::wire;
use polycart_kit::StoreContext;

/// Non-empty text, or `None` (WooCommerce sends `""` for "not set").
fn nz(s: &Option<String>) -> Option<String> {
    s.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// An id, with WooCommerce's `0` ("none") as `None`.
fn nz_id(id: &Option<Id>) -> Option<String> {
    id.as_ref()
        .map(|i| i.0.clone())
        .filter(|s| !s.is_empty() && s != "0")
}

fn date(path: &str, s: &Option<String>) -> Result<Option<DateTime<Utc>>> {
    decode::datetime(path, s.as_deref())
}

fn money(path: &str, s: &Option<String>, currency: Option<&Currency>) -> Result<Option<Money>> {
    decode::opt_money(path, s.as_deref(), currency)
}

fn amount(path: &str, s: &Option<String>) -> Result<Option<Decimal>> {
    match s.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(t) => polycart_kit::model::parse_decimal(t)
            .map(Some)
            .map_err(|e| Error::decode(path, e.to_string())),
    }
}

fn address(a: &Option<wire::Address>) -> Option<Address> {
    let a = a.as_ref()?;
    Address {
        first_name: nz(&a.first_name),
        last_name: nz(&a.last_name),
        company: nz(&a.company),
        line1: nz(&a.address_1),
        line2: nz(&a.address_2),
        city: nz(&a.city),
        region: None,
        region_code: nz(&a.state),
        postal_code: nz(&a.postcode),
        country_code: nz(&a.country).map(|c| c.to_ascii_uppercase()),
        phone: nz(&a.phone),
        email: nz(&a.email),
    }
    .non_empty()
}

/// WooCommerce's order status → the unified one. `checkout-draft` (a block checkout not
/// yet placed) and the legacy `draft`/`auto-draft` are pending; `trash` (an order in the
/// bin) is cancelled; a plugin's custom status is `None` (the string is kept beside).
pub fn order_status(status: &str) -> Option<OrderStatus> {
    Some(match status.strip_prefix("wc-").unwrap_or(status) {
        "pending" | "checkout-draft" | "draft" | "auto-draft" => OrderStatus::Pending,
        "processing" => OrderStatus::Processing,
        "on-hold" => OrderStatus::OnHold,
        "completed" => OrderStatus::Completed,
        "cancelled" | "trash" => OrderStatus::Cancelled,
        "refunded" => OrderStatus::Refunded,
        "failed" => OrderStatus::Failed,
        _ => return None,
    })
}

/// The unified order status → WooCommerce's (for writes).
pub fn wc_order_status(status: OrderStatus) -> &'static str {
    match status {
        OrderStatus::Pending => "pending",
        OrderStatus::Processing => "processing",
        OrderStatus::OnHold => "on-hold",
        OrderStatus::Completed => "completed",
        OrderStatus::Cancelled => "cancelled",
        OrderStatus::Refunded => "refunded",
        OrderStatus::Failed => "failed",
    }
}

fn financial_status(
    status: &str,
    paid: bool,
    total: Option<Decimal>,
    refunded: Decimal,
) -> Option<FinancialStatus> {
    if refunded > Decimal::ZERO {
        return Some(match total {
            Some(t) if refunded >= t => FinancialStatus::Refunded,
            _ => FinancialStatus::PartiallyRefunded,
        });
    }
    match status {
        "refunded" => Some(FinancialStatus::Refunded),
        _ if paid => Some(FinancialStatus::Paid),
        "pending" | "on-hold" | "checkout-draft" => Some(FinancialStatus::Pending),
        "cancelled" => Some(FinancialStatus::Voided),
        _ => None,
    }
}

fn fulfillment_status(status: &str, shipments: usize) -> Option<FulfillmentStatus> {
    match status {
        "completed" => Some(FulfillmentStatus::Fulfilled),
        "processing" | "on-hold" | "pending" if shipments > 0 => Some(FulfillmentStatus::Partial),
        "processing" | "on-hold" | "pending" => Some(FulfillmentStatus::Unfulfilled),
        _ => None,
    }
}

/// Maps one order. `refunds` are the order's full refunds from `/orders/{id}/refunds`
/// when the caller fetched them; otherwise the order's own refund summaries are used
/// (amount and reason, without line items or dates).
pub fn order(raw: &RawValue, refunds: Option<&[&RawValue]>) -> Result<Order> {
    let o: wire::Order = decode_json(raw.get())?;
    let status = o.status.clone().unwrap_or_default();
    let currency = match nz(&o.currency) {
        Some(c) => Some(decode::currency("$.currency", &c)?),
        None => None,
    };
    let cur = currency.as_ref();

    let mut line_items = Vec::with_capacity(o.line_items.len() + o.fee_lines.len());
    let mut subtotal: Option<Decimal> = None;
    for (i, l) in o.line_items.iter().enumerate() {
        let p = |f: &str| format!("$.line_items[{i}].{f}");
        let sub = amount(&p("subtotal"), &l.subtotal)?;
        let tot = amount(&p("total"), &l.total)?;
        let qty = l.quantity.0;
        if let Some(s) = sub {
            subtotal = Some(subtotal.unwrap_or(Decimal::ZERO) + s);
        }
        // `price` is total / quantity as a PHP float (after discounts): recompute the
        // unit price exactly from the pre-discount subtotal instead.
        let unit = match (sub, qty.is_zero()) {
            (Some(s), false) => {
                let exact = (s / qty).round_dp(s.scale());
                Some(if exact * qty == s {
                    let mut e = exact;
                    e.rescale(s.scale());
                    e
                } else {
                    (s / qty).round_dp(6)
                })
            }
            _ => l.price.map(|d| d.0),
        };
        let to_money = |d: Option<Decimal>| d.zip(cur).map(|(a, c)| Money::new(a, c.clone()));
        line_items.push(LineItem {
            platform_id: l.id.0.clone(),
            product_id: nz_id(&l.product_id),
            variant_id: nz_id(&l.variation_id),
            sku: nz(&l.sku),
            name: nz(&l.name),
            quantity: qty,
            unit_price: to_money(unit),
            total: money(&p("subtotal"), &l.subtotal, cur)?,
            tax: money(&p("total_tax"), &l.total_tax, cur)?,
            discount: to_money(sub.zip(tot).map(|(s, t)| s - t)),
        });
    }
    // Fees (gift wrapping, surcharges) are order items too: listed as line items without
    // a product so that line items plus shipping add up to the order.
    for (i, f) in o.fee_lines.iter().enumerate() {
        let p = |x: &str| format!("$.fee_lines[{i}].{x}");
        let total = money(&p("total"), &f.total, cur)?;
        line_items.push(LineItem {
            platform_id: f.id.0.clone(),
            product_id: None,
            variant_id: None,
            sku: None,
            name: nz(&f.name),
            quantity: Decimal::ONE,
            unit_price: total.clone(),
            total,
            tax: money(&p("total_tax"), &f.total_tax, cur)?,
            discount: None,
        });
    }

    let shipping_lines = o
        .shipping_lines
        .iter()
        .enumerate()
        .map(|(i, s)| {
            Ok(ShippingLine {
                method: nz(&s.method_title).or_else(|| nz(&s.method_id)),
                carrier: None,
                price: money(&format!("$.shipping_lines[{i}].total"), &s.total, cur)?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let discounts = o
        .coupon_lines
        .iter()
        .enumerate()
        .map(|(i, c)| {
            Ok(Discount {
                code: nz(&c.code),
                amount: money(&format!("$.coupon_lines[{i}].discount"), &c.discount, cur)?,
            })
        })
        .collect::<Result<Vec<_>>>()?;

    let refunds = match refunds {
        Some(full) => full
            .iter()
            .enumerate()
            .map(|(i, r)| refund(r, cur).map_err(|e| prefix(e, &format!("$.refunds[{i}]"))))
            .collect::<Result<Vec<_>>>()?,
        None => o
            .refunds
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let amt = amount(&format!("$.refunds[{i}].total"), &r.total)?.map(|d| d.abs());
                Ok(Refund {
                    platform_id: r.id.0.clone(),
                    amount: amt.zip(cur).map(|(a, c)| Money::new(a, c.clone())),
                    reason: nz(&r.reason),
                    created_at: None,
                    line_items: Vec::new(),
                })
            })
            .collect::<Result<Vec<_>>>()?,
    };
    let refunded: Decimal = refunds
        .iter()
        .filter_map(|r| r.amount.as_ref())
        .fold(Decimal::new(0, 2), |a, m| a + m.amount);
    let shipments = shipments(&o.meta_data);

    let total = amount("$.total", &o.total)?;
    let paid = o
        .date_paid_gmt
        .as_deref()
        .is_some_and(|d| !d.trim().is_empty());
    let billing = address(&o.billing);
    let customer = OrderCustomer {
        platform_id: nz_id(&o.customer_id),
        email: billing.as_ref().and_then(|b| b.email.clone()),
        first_name: billing.as_ref().and_then(|b| b.first_name.clone()),
        last_name: billing.as_ref().and_then(|b| b.last_name.clone()),
        phone: billing.as_ref().and_then(|b| b.phone.clone()),
    };
    let to_money = |d: Option<Decimal>| d.zip(cur).map(|(a, c)| Money::new(a, c.clone()));
    Ok(Order {
        id: None,
        store_id: None,
        platform: PLATFORM.to_owned(),
        platform_id: o.id.0.clone(),
        number: nz(&o.number),
        status: order_status(&status),
        platform_status: nz(&o.status),
        financial_status: financial_status(&status, paid, total, refunded),
        platform_financial_status: None,
        fulfillment_status: fulfillment_status(&status, shipments.len()),
        platform_fulfillment_status: None,
        totals: OrderTotals {
            subtotal: to_money(subtotal),
            shipping: money("$.shipping_total", &o.shipping_total, cur)?,
            tax: money("$.total_tax", &o.total_tax, cur)?,
            discount: money("$.discount_total", &o.discount_total, cur)?,
            total: to_money(total),
            paid: if paid { to_money(total) } else { None },
            refunded: cur.map(|c| Money::new(refunded, c.clone())),
        },
        currency,
        // An order carries one `currency`; what a multi-currency plugin converted
        // from is not in the payload.
        presentment_currency: None,
        presentment_totals: None,
        customer: (customer != OrderCustomer::default()).then_some(customer),
        billing_address: billing,
        shipping_address: address(&o.shipping),
        line_items,
        shipping_lines,
        discounts,
        refunds,
        shipments,
        note: nz(&o.customer_note),
        tags: Vec::new(),
        source: nz(&o.created_via),
        created_at: date("$.date_created_gmt", &o.date_created_gmt)?,
        updated_at: date("$.date_modified_gmt", &o.date_modified_gmt)?,
        completed_at: date("$.date_completed_gmt", &o.date_completed_gmt)?,
        cancelled_at: None,
        raw: Some(Raw::from_raw(raw)),
    })
}

fn prefix(error: Error, at: &str) -> Error {
    match error {
        Error::Decode { path, excerpt } => Error::Decode {
            path: format!("{at}{}", path.strip_prefix('$').unwrap_or(&path)),
            excerpt,
        },
        other => other,
    }
}

/// One refund from `/orders/{id}/refunds`. Refund line quantities and totals are
/// negative in WooCommerce; the unified refund holds them positive.
pub fn refund(raw: &RawValue, currency: Option<&Currency>) -> Result<Refund> {
    let r: wire::Refund = decode_json(raw.get())?;
    let line_items = r
        .line_items
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let item = nz_id(&l.refunded_item_id).or_else(|| {
                l.meta_data
                    .iter()
                    .find(|m| m.key.as_deref() == Some("_refunded_item_id"))
                    .and_then(|m| match &m.value {
                        Some(serde_json::Value::String(s)) => Some(s.clone()),
                        Some(serde_json::Value::Number(n)) => Some(n.to_string()),
                        _ => None,
                    })
            });
            let amt = amount(&format!("$.line_items[{i}].total"), &l.total)?.map(|d| d.abs());
            Ok(RefundLineItem {
                line_item_id: item,
                quantity: l.quantity.0.abs(),
                amount: amt.zip(currency).map(|(a, c)| Money::new(a, c.clone())),
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let amt = amount("$.amount", &r.amount)?.map(|d| d.abs());
    Ok(Refund {
        platform_id: r.id.0,
        amount: amt.zip(currency).map(|(a, c)| Money::new(a, c.clone())),
        reason: nz(&r.reason),
        created_at: date("$.date_created_gmt", &r.date_created_gmt)?,
        line_items,
    })
}

/// Shipments recorded by the Shipment Tracking extension in the order's meta data
/// (`_wc_shipment_tracking_items`). Core WooCommerce has no shipments.
fn shipments(meta: &[wire::Meta]) -> Vec<Shipment> {
    let Some(serde_json::Value::Array(items)) = meta
        .iter()
        .find(|m| m.key.as_deref() == Some("_wc_shipment_tracking_items"))
        .and_then(|m| m.value.as_ref())
    else {
        return Vec::new();
    };
    let text = |v: &serde_json::Value, k: &str| {
        v.get(k).and_then(|x| match x {
            serde_json::Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
            serde_json::Value::Number(n) => Some(n.to_string()),
            _ => None,
        })
    };
    items
        .iter()
        .enumerate()
        .map(|(i, t)| Shipment {
            platform_id: text(t, "tracking_id").unwrap_or_else(|| i.to_string()),
            carrier: text(t, "tracking_provider").or_else(|| text(t, "custom_tracking_provider")),
            tracking_number: text(t, "tracking_number"),
            tracking_url: text(t, "custom_tracking_link"),
            status: None,
            line_items: Vec::new(),
            created_at: text(t, "date_shipped")
                .and_then(|s| s.parse::<i64>().ok())
                .and_then(|ts| Utc.timestamp_opt(ts, 0).single()),
        })
        .collect()
}

/// WooCommerce's post status → the unified product status.
pub fn product_status(status: &str) -> Option<ProductStatus> {
    Some(match status {
        "publish" => ProductStatus::Active,
        "draft" | "pending" | "future" => ProductStatus::Draft,
        "private" | "trash" => ProductStatus::Archived,
        _ => return None,
    })
}

/// The unified product status → WooCommerce's (for writes).
pub fn wc_product_status(status: ProductStatus) -> &'static str {
    match status {
        ProductStatus::Active => "publish",
        ProductStatus::Draft => "draft",
        ProductStatus::Archived => "private",
    }
}

fn managed(v: &Option<serde_json::Value>) -> bool {
    matches!(v, Some(serde_json::Value::Bool(true)))
}

/// Price and "compare at" price: the active `price`, and `regular_price` when the item
/// is on sale (`sale_price` set and lower).
fn prices(
    path: &str,
    price: &Option<String>,
    regular: &Option<String>,
    sale: &Option<String>,
    cur: Option<&Currency>,
) -> Result<(Option<Money>, Option<Money>)> {
    let price_d = amount(&format!("{path}price"), price)?;
    let regular_d = amount(&format!("{path}regular_price"), regular)?;
    let sale_d = amount(&format!("{path}sale_price"), sale)?;
    let compare = match (sale_d, regular_d, price_d) {
        (Some(_), Some(r), Some(p)) if r > p => Some(r),
        _ => None,
    };
    let m = |d: Option<Decimal>| d.zip(cur).map(|(a, c)| Money::new(a, c.clone()));
    Ok((m(price_d), m(compare)))
}

fn weight(path: &str, w: &Option<String>, ctx: &StoreContext) -> Result<Option<Weight>> {
    Ok(amount(path, w)?
        .zip(ctx.weight_unit.clone())
        .map(|(value, unit)| Weight { value, unit }))
}

/// Maps one product; `variations` are its variations' payloads when the caller
/// fetched them (`/products/{id}/variations`). A simple product has no variants.
pub fn product(raw: &RawValue, variations: &[&RawValue], ctx: &StoreContext) -> Result<Product> {
    let p: wire::Product = decode_json(raw.get())?;
    let cur = ctx.currency.as_ref();
    let (price, compare_at_price) = prices("$.", &p.price, &p.regular_price, &p.sale_price, cur)?;
    let variable = p.kind.as_deref() == Some("variable");
    let options = if variable {
        p.attributes
            .iter()
            .filter(|a| a.variation != Some(false))
            .filter_map(|a| {
                Some(ProductOption {
                    name: nz(&a.name)?,
                    values: a.options.clone(),
                })
            })
            .collect()
    } else {
        Vec::new()
    };
    let mut variants = Vec::with_capacity(variations.len());
    for (i, v) in variations.iter().enumerate() {
        variants.push(variant(v, ctx).map_err(|e| prefix(e, &format!("$.variations[{i}]")))?);
    }
    let own_stock = managed(&p.manage_stock)
        .then_some(p.stock_quantity)
        .flatten();
    let inventory_quantity = if variable
        && !variants.is_empty()
        && variants.iter().all(|v| v.inventory_quantity.is_some())
    {
        Some(variants.iter().filter_map(|v| v.inventory_quantity).sum())
    } else {
        own_stock
    };
    Ok(Product {
        id: None,
        store_id: None,
        platform: PLATFORM.to_owned(),
        platform_id: p.id.0.clone(),
        name: nz(&p.name),
        sku: nz(&p.sku),
        description_html: nz(&p.description),
        status: p.status.as_deref().and_then(product_status),
        platform_status: nz(&p.status),
        vendor: None,
        product_type: nz(&p.kind),
        tags: p.tags.iter().filter_map(|t| nz(&t.name)).collect(),
        category_ids: p.categories.iter().filter_map(|c| nz_id(&c.id)).collect(),
        images: p
            .images
            .iter()
            .enumerate()
            .filter_map(|(i, im)| {
                Some(Image {
                    url: nz(&im.src)?,
                    alt: nz(&im.alt),
                    position: Some(i as u32),
                })
            })
            .collect(),
        price,
        compare_at_price,
        options,
        variants,
        inventory_quantity,
        created_at: date("$.date_created_gmt", &p.date_created_gmt)?,
        updated_at: date("$.date_modified_gmt", &p.date_modified_gmt)?,
        raw: Some(Raw::from_raw(raw)),
    })
}

fn variant(raw: &RawValue, ctx: &StoreContext) -> Result<Variant> {
    let v: wire::Variation = decode_json(raw.get())?;
    let (price, compare_at_price) = prices(
        "$.",
        &v.price,
        &v.regular_price,
        &v.sale_price,
        ctx.currency.as_ref(),
    )?;
    let options: BTreeMap<String, String> = v
        .attributes
        .iter()
        .filter_map(|a| Some((nz(&a.name)?, nz(&a.option)?)))
        .collect();
    Ok(Variant {
        platform_id: v.id.0.clone(),
        sku: nz(&v.sku),
        barcode: nz(&v.global_unique_id),
        options,
        price,
        compare_at_price,
        inventory_quantity: managed(&v.manage_stock)
            .then_some(v.stock_quantity)
            .flatten(),
        weight: weight("$.weight", &v.weight, ctx)?,
        image_url: v.image.as_ref().and_then(|i| nz(&i.src)),
    })
}

/// Stock of a simple product or of one variation (core WooCommerce has one stock
/// location); `parent_id` names a variation's product where the payload does not. `platform_id` is the product's or the variation's post id; `available`
/// is `null` when the store does not manage that item's stock.
pub fn inventory(raw: &RawValue, parent_id: Option<&str>) -> Result<InventoryLevel> {
    #[derive(serde::Deserialize)]
    struct Stock {
        id: Id,
        #[serde(default)]
        parent_id: Option<Id>,
        #[serde(default, rename = "type")]
        kind: Option<String>,
        #[serde(default)]
        sku: Option<String>,
        #[serde(default)]
        manage_stock: Option<serde_json::Value>,
        #[serde(default)]
        stock_quantity: Option<i64>,
        #[serde(default)]
        date_modified_gmt: Option<String>,
    }
    let s: Stock = decode_json(raw.get())?;
    let parent = parent_id.map(str::to_owned).or_else(|| nz_id(&s.parent_id));
    // Variations carry no `type` (or `variation` from `/products/{id}`); products do.
    let is_product = s.kind.as_deref().is_some_and(|k| k != "variation");
    let (product_id, variant_id) = match (parent, is_product) {
        (None, true) => (Some(s.id.0.clone()), None),
        (parent, _) => (parent, Some(s.id.0.clone())),
    };
    Ok(InventoryLevel {
        id: None,
        store_id: None,
        platform: PLATFORM.to_owned(),
        platform_id: s.id.0.clone(),
        product_id,
        variant_id,
        sku: nz(&s.sku),
        location_id: None,
        available: managed(&s.manage_stock)
            .then_some(s.stock_quantity)
            .flatten(),
        updated_at: date("$.date_modified_gmt", &s.date_modified_gmt)?,
        raw: Some(Raw::from_raw(raw)),
    })
}

/// Maps one customer.
pub fn customer(raw: &RawValue, ctx: &StoreContext) -> Result<Customer> {
    let c: wire::Customer = decode_json(raw.get())?;
    let billing = address(&c.billing);
    let shipping = address(&c.shipping);
    let addresses: Vec<Address> = billing.iter().chain(shipping.iter()).cloned().collect();
    Ok(Customer {
        id: None,
        store_id: None,
        platform: PLATFORM.to_owned(),
        platform_id: c.id.0.clone(),
        email: nz(&c.email),
        first_name: nz(&c.first_name),
        last_name: nz(&c.last_name),
        phone: billing.as_ref().and_then(|b| b.phone.clone()),
        accepts_marketing: None,
        default_address: billing.clone().or(shipping.clone()),
        addresses,
        orders_count: c.orders_count,
        total_spent: money("$.total_spent", &c.total_spent, ctx.currency.as_ref())?,
        created_at: date("$.date_created_gmt", &c.date_created_gmt)?,
        updated_at: date("$.date_modified_gmt", &c.date_modified_gmt)?,
        raw: Some(Raw::from_raw(raw)),
    })
}

/// Maps one product category; `parent` 0 is a top-level category. WooCommerce keeps no
/// dates on categories.
pub fn category(raw: &RawValue) -> Result<Category> {
    let c: wire::Category = decode_json(raw.get())?;
    Ok(Category {
        id: None,
        store_id: None,
        platform: PLATFORM.to_owned(),
        platform_id: c.id.0.clone(),
        name: nz(&c.name),
        parent_id: nz_id(&c.parent),
        slug: nz(&c.slug),
        description_html: nz(&c.description),
        position: c.menu_order,
        created_at: None,
        updated_at: None,
        raw: Some(Raw::from_raw(raw)),
    })
}

/// Maps one payload of `entity` with store settings `ctx`.
pub fn record(entity: Entity, raw: &RawValue, ctx: &StoreContext) -> Result<Record> {
    Ok(match entity {
        Entity::Order => order(raw, None)?.into(),
        Entity::Product => product(raw, &[], ctx)?.into(),
        Entity::Customer => customer(raw, ctx)?.into(),
        Entity::Category => category(raw)?.into(),
        Entity::Inventory => inventory(raw, None)?.into(),
    })
}

/// Normalises a payload: one object, a bare array (what wc/v3 lists return), or a
/// `{"orders": [...]}`-style envelope. Payloads of the legacy `/wc-api/v3` API (removed
/// from WooCommerce core) are refused rather than half-mapped.
pub fn normalize(entity: Entity, text: &str, ctx: &StoreContext) -> Result<Normalized> {
    let keys: &[&str] = match entity {
        Entity::Order => &["orders", "order"],
        Entity::Product => &["products", "product"],
        Entity::Customer => &["customers", "customer"],
        Entity::Category => &["product_categories", "product_category"],
        Entity::Inventory => &["products", "product"],
    };
    let (items, list) = split_envelope(text, keys)?;
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        if is_legacy(item) {
            return Err(Error::unsupported(
                PLATFORM,
                "legacy /wc-api/v3 payloads (use the wc/v3 REST API)",
            ));
        }
        out.push(record(entity, item, ctx).map_err(|e| at_index(e, i, list))?);
    }
    if list {
        Ok(Normalized::List(out))
    } else {
        out.pop()
            .map(Normalized::One)
            .ok_or_else(|| Error::decode("$", "empty payload"))
    }
}

fn is_legacy(item: &RawValue) -> bool {
    #[derive(serde::Deserialize)]
    struct Probe {
        created_at: Option<serde::de::IgnoredAny>,
        date_created: Option<serde::de::IgnoredAny>,
        date_created_gmt: Option<serde::de::IgnoredAny>,
    }
    serde_json::from_str::<Probe>(item.get()).is_ok_and(|p| {
        p.created_at.is_some() && p.date_created.is_none() && p.date_created_gmt.is_none()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(s: &str) -> Box<RawValue> {
        RawValue::from_string(s.to_owned()).unwrap()
    }

    #[test]
    fn every_status_maps() {
        for (wc, want) in [
            ("pending", "pending"),
            ("processing", "processing"),
            ("on-hold", "on_hold"),
            ("completed", "completed"),
            ("cancelled", "cancelled"),
            ("refunded", "refunded"),
            ("failed", "failed"),
            ("checkout-draft", "pending"),
            ("trash", "cancelled"),
        ] {
            assert_eq!(order_status(wc).map(|s| s.as_str()), Some(want), "{wc}");
        }
        assert_eq!(order_status("wc-shipped"), None);
        for s in OrderStatus::ALL {
            assert_eq!(order_status(wc_order_status(*s)), Some(*s));
        }
    }

    #[test]
    fn fees_discounts_and_gmt_dates() {
        let r = raw(
            r#"{"id":5,"status":"processing","currency":"EUR","date_created":"2024-01-01T01:00:00",
            "date_created_gmt":"2024-01-01T00:00:00","date_paid_gmt":"2024-01-01T00:00:01","total":"24.10",
            "total_tax":"1.00","shipping_total":"3.00","discount_total":"1.00",
            "line_items":[{"id":1,"product_id":9,"variation_id":0,"quantity":3,"subtotal":"10.00","total":"9.00",
              "total_tax":"0.90","sku":"","price":3.0}],
            "fee_lines":[{"id":2,"name":"Gift wrap","total":"2.10","total_tax":"0.10"}],
            "coupon_lines":[{"code":"save1","discount":"1.00"}],
            "refunds":[{"id":7,"reason":"dent","total":"-2.50"}]}"#,
        );
        let o = order(&r, None).unwrap();
        assert_eq!(
            o.created_at.unwrap().to_rfc3339(),
            "2024-01-01T00:00:00+00:00"
        );
        let li = &o.line_items[0];
        assert_eq!(
            li.unit_price.as_ref().unwrap().amount.to_string(),
            "3.333333"
        );
        assert_eq!(li.discount.as_ref().unwrap().amount.to_string(), "1.00");
        assert_eq!(li.variant_id, None);
        assert_eq!(o.line_items[1].name.as_deref(), Some("Gift wrap"));
        assert_eq!(o.discounts[0].code.as_deref(), Some("save1"));
        assert_eq!(
            o.totals.refunded.as_ref().unwrap().amount.to_string(),
            "2.50"
        );
        assert_eq!(o.financial_status, Some(FinancialStatus::PartiallyRefunded));
        assert_eq!(o.refunds[0].reason.as_deref(), Some("dent"));
        // Older stores name the reason `refund`.
        let old = raw(
            r#"{"id":6,"currency":"EUR","refunds":[{"id":8,"refund":"late","total":"-1.00"}]}"#,
        );
        assert_eq!(
            order(&old, None).unwrap().refunds[0].reason.as_deref(),
            Some("late")
        );
        assert_eq!(
            o.totals.subtotal.as_ref().unwrap().amount.to_string(),
            "10.00"
        );
    }

    #[test]
    fn bad_money_names_its_path() {
        let r = raw(
            r#"{"id":5,"currency":"USD","line_items":[{"id":1,"quantity":1,"subtotal":"1,00"}]}"#,
        );
        match order(&r, None).unwrap_err() {
            Error::Decode { path, .. } => assert_eq!(path, "$.line_items[0].subtotal"),
            e => panic!("{e:?}"),
        }
    }
}
