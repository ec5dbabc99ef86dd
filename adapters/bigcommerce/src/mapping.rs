//! Pure raw → unified mapping for BigCommerce, no IO: v2 orders (line items and
//! shipping addresses from their consignments, `include=consignments.line_items`, or
//! from the `products` and `shipping_addresses` sub-resources when the adapter embedded
//! them; `coupons`, `shipments` and v3 `refunds` when embedded; links alone add
//! nothing), v3 products (`include=variants,images,options`), v3 customers
//! (`include=addresses`), v3 categories and category tree nodes, v3 inventory items and
//! catalog variants, v2 shipments.
//!
//! - Money: v2 decimal strings ("25.0000") and v3 JSON numbers (7.95) become exact
//!   decimals, scale kept. v3 catalog payloads carry no currency: prices use the
//!   store's default currency from [`StoreContext`] (the adapter reads it from
//!   `/v2/store`), and are `null` when it is unknown (`polycart normalize` without
//!   `--currency`).
//! - Order currencies: a v2 order's amounts are in its transactional currency
//!   (`default_currency_code`, what the shopper pays in; `currency_code` is the display
//!   currency). When a multi-currency store's default (`store_default_currency_code`)
//!   differs, the amounts are the order's `presentment_totals` exactly, and `totals`
//!   are them divided by `store_default_to_transactional_exchange_rate`, rounded to 4
//!   places (`null` without a rate); lines, shipping, coupons and refunds keep the
//!   transactional currency they are written in.
//! - Dates: v2 RFC 2822 (`Tue, 20 Nov 2012 00:00:00 +0000`) and v3 ISO 8601, both to UTC.
//! - Order status ids 0–14 map to the unified enums; the platform's label is kept.

use chrono::{DateTime, Utc};
use polycart_kit::decode::datetime;
use polycart_kit::error::decode_json;
use polycart_kit::model::{
    Address, Category, Currency, Customer, Discount, FinancialStatus, FulfillmentStatus, Image,
    InventoryLevel, LineItem, Money, Order, OrderCustomer, OrderStatus, OrderTotals, Product,
    ProductOption, ProductStatus, Raw, Refund, RefundLineItem, Shipment, ShipmentLineItem,
    ShippingLine, Variant, Weight, presentment,
};
use polycart_kit::{Error, Result};
use rust_decimal::Decimal;
use serde::de::DeserializeOwned;
use serde_json::Value;

use polycart_kit::StoreContext;
use polycart_kit::connector::Normalized;
use polycart_kit::decode::at_index;
use polycart_kit::{Entity, Record};
use serde_json::value::RawValue;

use crate::PLATFORM;
use crate::consignments::{self, Found};
use crate::wire::{
    Num, Text, V2Address, V2Coupon, V2Order, V2OrderProduct, V2Shipment, V2ShippingAddress,
    V3Address, V3Category, V3Customer, V3InventoryItem, V3Product, V3Refund, V3Variant,
};

fn raw(text: &str) -> Result<Raw> {
    let value = serde_json::value::RawValue::from_string(text.to_owned())
        .map_err(|e| Error::decode("$", e.to_string()))?;
    Ok(Raw::from_raw(&value))
}

fn date(path: &str, text: &Text) -> Result<Option<DateTime<Utc>>> {
    datetime(path, text.get())
}

fn money(n: &Num, currency: Option<&Currency>) -> Option<Money> {
    Some(Money::new(n.0?, currency?.clone()))
}

/// An amount that means "none" when zero (v3 `retail_price: 0`).
fn positive(n: &Num) -> Num {
    Num(n.0.filter(|d| *d > Decimal::ZERO))
}

fn positive_id(i: Option<i64>) -> Option<String> {
    i.filter(|v| *v > 0).map(|v| v.to_string())
}

/// Decodes a sub-resource the adapter embedded as an array; a link object (or
/// nothing) is `None`. Decode errors name the path under the order (`$.products[1].sku`).
fn embedded<T: DeserializeOwned>(value: Option<&Value>, field: &str) -> Result<Option<Vec<T>>> {
    match value {
        Some(v @ Value::Array(_)) => serde_path_to_error::deserialize(v).map(Some).map_err(|e| {
            let inner = e.path().to_string();
            let rest = if inner == "." { String::new() } else { inner };
            Error::decode(format!("$.{field}{rest}"), e.into_inner().to_string())
        }),
        _ => Ok(None),
    }
}

/// Decodes values found in an order (line items, addresses); errors name the path.
fn decode_found<T: DeserializeOwned>(found: Option<Vec<Found<'_>>>) -> Result<Vec<T>> {
    found
        .unwrap_or_default()
        .into_iter()
        .map(|(path, value)| {
            serde_path_to_error::deserialize(value).map_err(|e| {
                let inner = e.path().to_string();
                let at = match inner.as_str() {
                    "." => path,
                    i if i.starts_with('[') => format!("{path}{i}"),
                    i => format!("{path}.{i}"),
                };
                Error::decode(at, e.into_inner().to_string())
            })
        })
        .collect()
}

/// Unified order status of a v2 `status_id`.
pub fn order_status(status_id: i64) -> Option<OrderStatus> {
    Some(match status_id {
        0 | 1 | 7 => OrderStatus::Pending, // Incomplete, Pending, Awaiting Payment
        3 | 8 | 9 | 11 => OrderStatus::Processing, // Partially Shipped, Awaiting Pickup/Shipment/Fulfillment
        12 | 13 => OrderStatus::OnHold,            // Manual Verification Required, Disputed
        2 | 10 | 14 => OrderStatus::Completed,     // Shipped, Completed, Partially Refunded
        5 => OrderStatus::Cancelled,
        4 => OrderStatus::Refunded,
        6 => OrderStatus::Failed, // Declined
        _ => return None,
    })
}

/// BigCommerce's label of a v2 `status_id` (what `/v2/order_statuses` calls `system_label`).
pub fn status_label(status_id: i64) -> Option<&'static str> {
    const LABELS: [&str; 15] = [
        "Incomplete",
        "Pending",
        "Shipped",
        "Partially Shipped",
        "Refunded",
        "Cancelled",
        "Declined",
        "Awaiting Payment",
        "Awaiting Pickup",
        "Awaiting Shipment",
        "Completed",
        "Awaiting Fulfillment",
        "Manual Verification Required",
        "Disputed",
        "Partially Refunded",
    ];
    usize::try_from(status_id)
        .ok()
        .and_then(|i| LABELS.get(i).copied())
}

/// The `status_id` a unified status is written as (`PUT /v2/orders/{id}`).
pub fn status_id_for(status: OrderStatus) -> i64 {
    match status {
        OrderStatus::Pending => 1,
        OrderStatus::Processing => 11,
        OrderStatus::OnHold => 12,
        OrderStatus::Completed => 10,
        OrderStatus::Cancelled => 5,
        OrderStatus::Refunded => 4,
        OrderStatus::Failed => 6,
    }
}

fn financial_status(
    status_id: Option<i64>,
    payment_status: Option<&str>,
) -> Option<FinancialStatus> {
    match status_id {
        Some(4) => return Some(FinancialStatus::Refunded),
        Some(14) => return Some(FinancialStatus::PartiallyRefunded),
        _ => {}
    }
    Some(match payment_status?.to_ascii_lowercase().as_str() {
        "authorized" => FinancialStatus::Authorized,
        "captured" | "paid" => FinancialStatus::Paid,
        "partially refunded" | "partially_refunded" => FinancialStatus::PartiallyRefunded,
        "refunded" => FinancialStatus::Refunded,
        "void" | "voided" | "void pending" => FinancialStatus::Voided,
        "pending" | "capture pending" | "held for review" => FinancialStatus::Pending,
        _ => return None,
    })
}

fn fulfillment_status(total: Option<i64>, shipped: Option<i64>) -> Option<FulfillmentStatus> {
    let (total, shipped) = (total?, shipped?);
    Some(if shipped <= 0 {
        FulfillmentStatus::Unfulfilled
    } else if shipped >= total {
        FulfillmentStatus::Fulfilled
    } else {
        FulfillmentStatus::Partial
    })
}

fn v2_address(a: &V2Address) -> Option<Address> {
    Address {
        first_name: a.first_name.owned(),
        last_name: a.last_name.owned(),
        company: a.company.owned(),
        line1: a.street_1.owned(),
        line2: a.street_2.owned(),
        city: a.city.owned(),
        region: a.state.owned(),
        region_code: None,
        postal_code: a.zip.owned(),
        country_code: a.country_iso2.owned(),
        phone: a.phone.owned(),
        email: a.email.owned(),
    }
    .non_empty()
}

/// Totals in the store's currency from totals in the transactional one: each amount
/// divided by `rate` (`store_default_to_transactional_exchange_rate`, transactional
/// units per store unit), rounded half away from zero to 4 places as BigCommerce writes
/// money. Without a usable rate the store's amounts are unknown (`null`).
fn to_store_currency(t: &OrderTotals, rate: Option<Decimal>, store: &Currency) -> OrderTotals {
    let Some(rate) = rate.filter(|r| *r > Decimal::ZERO) else {
        return OrderTotals::default();
    };
    let convert = |m: &Option<Money>| {
        m.as_ref().and_then(|m| {
            let mut amount = m
                .amount
                .checked_div(rate)?
                .round_dp_with_strategy(4, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
            amount.rescale(4);
            Some(Money::new(amount, store.clone()))
        })
    };
    OrderTotals {
        subtotal: convert(&t.subtotal),
        shipping: convert(&t.shipping),
        tax: convert(&t.tax),
        discount: convert(&t.discount),
        total: convert(&t.total),
        paid: convert(&t.paid),
        refunded: convert(&t.refunded),
    }
}

/// Maps a v2 order. `products`, `shipping_addresses`, `coupons` and `shipments` are
/// read when they are arrays (embedded by the adapter); as links they add nothing.
pub fn order(text: &str, _ctx: &StoreContext) -> Result<Order> {
    let o: V2Order = decode_json(text)?;
    // An order's amounts are in its transactional currency, `default_currency_code`
    // ("the currency the shopper pays in"). `currency_code` is the display currency:
    // the same one when the rate between them (`currency_exchange_rate`) is 1.
    let transactional = match o.default_currency_code.get() {
        Some(c) => Some(polycart_kit::decode::currency(
            "$.default_currency_code",
            c,
        )?),
        None => o
            .currency_code
            .get()
            .filter(|_| o.currency_exchange_rate.0.is_none_or(|r| r == Decimal::ONE))
            .map(|c| polycart_kit::decode::currency("$.currency_code", c))
            .transpose()?,
    };
    let cur = transactional.as_ref();
    // The store's own currency: `store_default_currency_code` (sent by multi-currency
    // stores), else the transactional one (a single-currency store's orders are in it).
    let store_currency = match o.store_default_currency_code.get() {
        Some(c) => Some(polycart_kit::decode::currency(
            "$.store_default_currency_code",
            c,
        )?),
        None => transactional.clone(),
    };

    // Where the lines and addresses are: embedded sub-resources, or the consignments.
    let view = serde_json::json!({
        "products": o.products,
        "shipping_addresses": o.shipping_addresses,
        "consignments": o.consignments,
        "items_total": o.items_total.0,
    });
    let products: Vec<V2OrderProduct> = decode_found(consignments::line_items(&view))?;
    let addresses: Vec<V2ShippingAddress> = decode_found(consignments::shipping_addresses(&view))?;
    let coupons: Vec<V2Coupon> = embedded(o.coupons.as_ref(), "coupons")?.unwrap_or_default();
    let shipments_wire: Vec<V2Shipment> =
        embedded(o.shipments.as_ref(), "shipments")?.unwrap_or_default();

    let line_items = products.iter().map(|p| line_item(p, cur)).collect();
    let shipping_lines = addresses
        .iter()
        .map(|a| ShippingLine {
            method: a.shipping_method.owned(),
            carrier: None,
            price: money(&a.cost_ex_tax, cur),
        })
        .collect();
    let discounts = coupons
        .iter()
        .map(|c| Discount {
            code: c.code.owned(),
            amount: money(
                if c.discount.0.is_some() {
                    &c.discount
                } else {
                    &c.amount
                },
                cur,
            ),
        })
        .collect();
    let refunds_wire: Vec<V3Refund> = embedded(o.refunds.as_ref(), "refunds")?.unwrap_or_default();
    let mut refunds = Vec::with_capacity(refunds_wire.len());
    for (i, r) in refunds_wire.iter().enumerate() {
        refunds.push(refund(r, cur).map_err(|e| prefix(e, &format!("$.refunds[{i}]")))?);
    }
    let mut shipments = Vec::with_capacity(shipments_wire.len());
    for (i, s) in shipments_wire.iter().enumerate() {
        shipments.push(map_shipment(s).map_err(|e| prefix(e, &format!("$.shipments[{i}]")))?);
    }

    let status_id = o.status_id.0;
    let status = status_id.and_then(order_status);
    let billing = o.billing_address.as_ref().and_then(v2_address);
    let customer = OrderCustomer {
        platform_id: positive_id(o.customer_id.0),
        email: billing.as_ref().and_then(|b| b.email.clone()),
        first_name: billing.as_ref().and_then(|b| b.first_name.clone()),
        last_name: billing.as_ref().and_then(|b| b.last_name.clone()),
        phone: billing.as_ref().and_then(|b| b.phone.clone()),
    };
    let customer = (customer != OrderCustomer::default()).then_some(customer);
    let discount = match (o.discount_amount.0, o.coupon_discount.0) {
        (None, None) => Num(None),
        (a, b) => Num(Some(a.unwrap_or_default() + b.unwrap_or_default())),
    };
    let shipped_at = date("$.date_shipped", &o.date_shipped)?;
    let paid_in = |c: Option<&Currency>| OrderTotals {
        subtotal: money(&o.subtotal_ex_tax, c),
        shipping: money(&o.shipping_cost_ex_tax, c),
        tax: money(&o.total_tax, c),
        discount: money(&discount, c),
        total: money(&o.total_inc_tax, c),
        paid: None,
        refunded: money(&o.refunded_amount, c),
    };
    let transacted = paid_in(cur);
    // In another currency than the store's, the amounts are what the buyer paid
    // (presentment); the store's totals are them at the order's own exchange rate.
    let (presentment_currency, presentment_totals) =
        presentment(store_currency.as_ref(), transactional.clone(), |_| {
            Ok::<_, Error>(transacted.clone())
        })?;
    let totals = match (&presentment_currency, &store_currency) {
        (Some(_), Some(store)) => to_store_currency(
            &transacted,
            o.store_default_to_transactional_exchange_rate.0,
            store,
        ),
        _ => transacted,
    };

    Ok(Order {
        id: None,
        store_id: None,
        platform: PLATFORM.to_owned(),
        platform_id: o.id.0.clone(),
        number: Some(o.id.0),
        status,
        platform_status: o
            .status
            .owned()
            .or_else(|| status_id.and_then(status_label).map(str::to_owned)),
        financial_status: financial_status(status_id, o.payment_status.get()),
        platform_financial_status: o.payment_status.owned(),
        fulfillment_status: fulfillment_status(o.items_total.0, o.items_shipped.0),
        platform_fulfillment_status: None,
        currency: store_currency,
        totals,
        presentment_currency,
        presentment_totals,
        customer,
        shipping_address: addresses.first().and_then(|a| v2_address(&a.address)),
        billing_address: billing,
        line_items,
        shipping_lines,
        discounts,
        refunds,
        shipments,
        note: o.customer_message.owned(),
        tags: Vec::new(),
        source: o.order_source.owned(),
        created_at: date("$.date_created", &o.date_created)?,
        updated_at: date("$.date_modified", &o.date_modified)?,
        completed_at: if status == Some(OrderStatus::Completed) {
            shipped_at
        } else {
            None
        },
        cancelled_at: None,
        raw: Some(raw(text)?),
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

fn line_item(p: &V2OrderProduct, cur: Option<&Currency>) -> LineItem {
    let discounts: Vec<Decimal> = p
        .applied_discounts
        .iter()
        .filter_map(|d| d.amount.0)
        .collect();
    let discount = (!discounts.is_empty()).then(|| discounts.iter().sum::<Decimal>());
    LineItem {
        platform_id: p.id.0.clone(),
        product_id: positive_id(p.product_id.0),
        variant_id: positive_id(p.variant_id.0),
        sku: p.sku.owned(),
        name: p.name.owned(),
        quantity: p.quantity.0.unwrap_or_default(),
        unit_price: money(&p.price_ex_tax, cur),
        total: money(&p.total_ex_tax, cur),
        tax: money(&p.total_tax, cur),
        discount: money(&Num(discount), cur),
    }
}

fn refund(r: &V3Refund, cur: Option<&Currency>) -> Result<Refund> {
    Ok(Refund {
        platform_id: r.id.0.clone(),
        amount: money(&r.total_amount, cur),
        reason: r.reason.owned(),
        created_at: date("$.created", &r.created)?,
        line_items: r
            .items
            .iter()
            .filter(|i| {
                i.item_type
                    .get()
                    .is_some_and(|t| t.eq_ignore_ascii_case("PRODUCT"))
            })
            .map(|i| RefundLineItem {
                line_item_id: i.item_id.as_ref().map(|id| id.0.clone()),
                quantity: i.quantity.0.unwrap_or_default(),
                amount: money(&i.requested_amount, cur),
            })
            .collect(),
    })
}

fn map_shipment(s: &V2Shipment) -> Result<Shipment> {
    Ok(Shipment {
        platform_id: s.id.0.clone(),
        carrier: s
            .shipping_provider_display_name
            .owned()
            .or_else(|| s.tracking_carrier.owned())
            .or_else(|| s.shipping_provider.owned()),
        tracking_number: s.tracking_number.owned(),
        tracking_url: s
            .generated_tracking_link
            .owned()
            .or_else(|| s.tracking_link.owned()),
        status: None,
        line_items: s
            .items
            .iter()
            .map(|i| ShipmentLineItem {
                line_item_id: Some(i.order_product_id.0.clone()),
                quantity: i.quantity.0.unwrap_or_default(),
            })
            .collect(),
        created_at: date("$.date_created", &s.date_created)?,
    })
}

/// Maps one v2 shipment (`/v2/orders/{id}/shipments` item or the `POST` answer).
pub fn shipment(text: &str) -> Result<Shipment> {
    map_shipment(&decode_json(text)?)
}

/// Maps a v3 catalog product; variants, images and options when included.
pub fn product(text: &str, ctx: &StoreContext) -> Result<Product> {
    let p: V3Product = decode_json(text)?;
    let cur = ctx.currency.as_ref();
    let visible = p.is_visible.unwrap_or(true);
    let status = if !visible {
        ProductStatus::Draft
    } else if p.availability.get() == Some("disabled") {
        ProductStatus::Archived
    } else {
        ProductStatus::Active
    };
    let variants_wire = p.variants.as_deref().unwrap_or_default();
    let options = match &p.options {
        Some(options) => options
            .iter()
            .filter_map(|o| {
                Some(ProductOption {
                    name: o.display_name.owned()?,
                    values: o
                        .option_values
                        .iter()
                        .filter_map(|v| v.label.owned())
                        .collect(),
                })
            })
            .collect(),
        None => options_from_variants(variants_wire),
    };
    let variants = variants_wire.iter().map(|v| variant(v, &p, ctx)).collect();
    let images = p
        .images
        .as_deref()
        .unwrap_or_default()
        .iter()
        .filter_map(|i| {
            Some(Image {
                url: i.url_zoom.owned().or_else(|| i.url_standard.owned())?,
                alt: i.description.owned(),
                position: i.sort_order.0.and_then(|s| u32::try_from(s).ok()),
            })
        })
        .collect();
    let tracked = p.inventory_tracking.get().is_some_and(|t| t != "none");
    Ok(Product {
        id: None,
        store_id: None,
        platform: PLATFORM.to_owned(),
        platform_id: p.id.0.clone(),
        name: p.name.owned(),
        sku: p.sku.owned(),
        description_html: p.description.owned(),
        status: Some(status),
        platform_status: Some(format!(
            "{}{}",
            if visible { "visible" } else { "hidden" },
            p.availability
                .get()
                .map(|a| format!(", {a}"))
                .unwrap_or_default()
        )),
        vendor: None,
        product_type: p.kind.owned(),
        tags: Vec::new(),
        category_ids: p.categories.iter().map(|c| c.0.clone()).collect(),
        images,
        price: money(&p.price, cur),
        compare_at_price: money(&positive(&p.retail_price), cur),
        options,
        variants,
        inventory_quantity: if tracked { p.inventory_level.0 } else { None },
        created_at: date("$.date_created", &p.date_created)?,
        updated_at: date("$.date_modified", &p.date_modified)?,
        raw: Some(raw(text)?),
    })
}

fn options_from_variants(variants: &[V3Variant]) -> Vec<ProductOption> {
    let mut options: Vec<ProductOption> = Vec::new();
    for v in variants {
        for ov in &v.option_values {
            let (Some(name), Some(label)) = (ov.option_display_name.owned(), ov.label.owned())
            else {
                continue;
            };
            match options.iter_mut().find(|o| o.name == name) {
                Some(o) if !o.values.contains(&label) => o.values.push(label),
                Some(_) => {}
                None => options.push(ProductOption {
                    name,
                    values: vec![label],
                }),
            }
        }
    }
    options
}

fn variant(v: &V3Variant, p: &V3Product, ctx: &StoreContext) -> Variant {
    let cur = ctx.currency.as_ref();
    // A variant without its own price sells at the product's (`calculated_price`).
    let price = if v.price.0.is_some() {
        v.price
    } else if v.calculated_price.0.is_some() {
        v.calculated_price
    } else {
        p.price
    };
    Variant {
        platform_id: v.id.0.clone(),
        sku: v.sku.owned(),
        barcode: v.upc.owned().or_else(|| v.gtin.owned()),
        options: v
            .option_values
            .iter()
            .filter_map(|o| Some((o.option_display_name.owned()?, o.label.owned()?)))
            .collect(),
        price: money(&price, cur),
        compare_at_price: money(&positive(&v.retail_price), cur),
        inventory_quantity: v.inventory_level.0,
        weight: v
            .weight
            .0
            .zip(ctx.weight_unit.clone())
            .map(|(value, unit)| Weight { value, unit }),
        image_url: v.image_url.owned(),
    }
}

fn v3_address(a: &V3Address) -> Option<Address> {
    Address {
        first_name: a.first_name.owned(),
        last_name: a.last_name.owned(),
        company: a.company.owned(),
        line1: a.address1.owned(),
        line2: a.address2.owned(),
        city: a.city.owned(),
        region: a.state_or_province.owned(),
        region_code: None,
        postal_code: a.postal_code.owned(),
        country_code: a.country_code.owned(),
        phone: a.phone.owned(),
        email: None,
    }
    .non_empty()
}

/// Maps a v3 customer with its addresses (`include=addresses`).
pub fn customer(text: &str) -> Result<Customer> {
    let c: V3Customer = decode_json(text)?;
    Ok(Customer {
        id: None,
        store_id: None,
        platform: PLATFORM.to_owned(),
        platform_id: c.id.0.clone(),
        email: c.email.owned(),
        first_name: c.first_name.owned(),
        last_name: c.last_name.owned(),
        phone: c.phone.owned(),
        accepts_marketing: None,
        addresses: c.addresses.iter().filter_map(v3_address).collect(),
        default_address: None,
        orders_count: None,
        total_spent: None,
        created_at: date("$.date_created", &c.date_created)?,
        updated_at: date("$.date_modified", &c.date_modified)?,
        raw: Some(raw(text)?),
    })
}

/// The last segment of a category URL path ("/garden/bath/" → "bath").
fn slug_of(path: &str) -> Option<String> {
    path.split('/')
        .rev()
        .find(|s| !s.is_empty())
        .map(str::to_owned)
}

/// Maps a v3 category, a tree category, or a legacy tree node; a tree node is
/// flattened with its descendants (each keeps its own node as `raw`).
pub fn categories(text: &str) -> Result<Vec<Category>> {
    let c: V3Category = decode_json(text)?;
    let id =
        c.id.as_ref()
            .or(c.category_id.as_ref())
            .ok_or_else(|| Error::decode("$.id", "a category needs an id or category_id"))?;
    let path = match &c.url {
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Object(o)) => o.get("path").and_then(Value::as_str).map(str::to_owned),
        _ => c.custom_url.as_ref().and_then(|u| u.url.owned()),
    };
    let mut out = vec![Category {
        id: None,
        store_id: None,
        platform: PLATFORM.to_owned(),
        platform_id: id.0.clone(),
        name: c.name.owned(),
        parent_id: positive_id(c.parent_id.0),
        slug: path.as_deref().and_then(slug_of),
        description_html: c.description.owned(),
        position: c.sort_order.0,
        created_at: None,
        updated_at: None,
        raw: Some(raw(text)?),
    }];
    for (i, child) in c.children.iter().flatten().enumerate() {
        let child_text = child.to_string();
        let nested = categories(&child_text).map_err(|e| prefix(e, &format!("$.children[{i}]")))?;
        out.extend(nested);
    }
    Ok(out)
}

/// Maps an inventory payload: a v3 inventory item (`identity` + `locations`) gives one
/// level per location (`platform_id` = `variant_id:location_id`, or
/// `product-<id>:location_id` for a product without variants); a catalog variant gives
/// its store-wide `inventory_level` (`platform_id` = the variant id, no location).
pub fn inventory(text: &str) -> Result<Vec<InventoryLevel>> {
    let value: Value = decode_json(text)?;
    if value.get("identity").is_some() {
        let item: V3InventoryItem = decode_json(text)?;
        let key = match (item.identity.variant_id.0, item.identity.product_id.0) {
            (Some(v), _) if v > 0 => v.to_string(),
            (_, Some(p)) => format!("product-{p}"),
            _ => {
                return Err(Error::decode(
                    "$.identity",
                    "an inventory item needs a variant_id or product_id",
                ));
            }
        };
        return item
            .locations
            .iter()
            .map(|l| {
                Ok(InventoryLevel {
                    id: None,
                    store_id: None,
                    platform: PLATFORM.to_owned(),
                    platform_id: format!("{key}:{}", l.location_id.0),
                    product_id: positive_id(item.identity.product_id.0),
                    variant_id: positive_id(item.identity.variant_id.0),
                    sku: item.identity.sku.owned(),
                    location_id: Some(l.location_id.0.clone()),
                    available: l.available_to_sell.0,
                    updated_at: None,
                    raw: Some(Raw::from_value(&value)),
                })
            })
            .collect();
    }
    let v: V3Variant = decode_json(text)?;
    Ok(vec![InventoryLevel {
        id: None,
        store_id: None,
        platform: PLATFORM.to_owned(),
        platform_id: v.id.0.clone(),
        product_id: positive_id(v.product_id.0),
        variant_id: Some(v.id.0.clone()),
        sku: v.sku.owned(),
        location_id: None,
        available: v.inventory_level.0,
        updated_at: None,
        raw: Some(raw(text)?),
    }])
}

/// Maps a payload of `entity`: one object, a bare v2 array, or a v3
/// `{"data": ..., "meta": ...}` envelope. v3 catalog prices and weights take the
/// store's currency and weight unit from `ctx` (a sync reads them from `/v2/store`);
/// without them they stay `null`.
pub fn normalize(entity: Entity, text: &str, ctx: &StoreContext) -> Result<Normalized> {
    let (items, list) = split_data(text)?;
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let one = map_one(entity, item.get(), ctx).map_err(|e| at_index(e, i, list))?;
        out.extend(one);
    }
    if !list && out.len() == 1 {
        return Ok(Normalized::One(out.remove(0)));
    }
    Ok(Normalized::List(out))
}

pub(crate) fn map_one(entity: Entity, text: &str, ctx: &StoreContext) -> Result<Vec<Record>> {
    Ok(match entity {
        Entity::Order => vec![order(text, ctx)?.into()],
        Entity::Product => vec![product(text, ctx)?.into()],
        Entity::Customer => vec![customer(text)?.into()],
        Entity::Category => categories(text)?.into_iter().map(Record::from).collect(),
        Entity::Inventory => inventory(text)?.into_iter().map(Record::from).collect(),
    })
}

/// Splits a payload into its items: a bare array (v2 lists), the `data` of a v3
/// envelope (an array, or one object), or else the payload itself. Unlike the kit's
/// `split_envelope`, object keys may contain escapes (one of BigCommerce's own
/// examples has a key `"currency_code\""`).
pub(crate) fn split_data(text: &str) -> Result<(Vec<&RawValue>, bool)> {
    use polycart_kit::error::decode_json_borrowed;
    let trimmed = text.trim_start();
    if trimmed.starts_with('[') {
        return Ok((decode_json_borrowed::<Vec<&RawValue>>(text)?, true));
    }
    if !trimmed.starts_with('{') {
        let start: String = trimmed.chars().take(40).collect();
        return Err(polycart_kit::Error::decode(
            "$",
            format!("expected a JSON object or array, got {start:?}"),
        ));
    }
    let map: std::collections::HashMap<String, &RawValue> = decode_json_borrowed(text)?;
    if let Some(data) = map.get("data") {
        let inner = data.get().trim_start();
        if inner.starts_with('[') {
            let items: Vec<&RawValue> = serde_json::from_str(data.get())
                .map_err(|e| polycart_kit::Error::decode("$.data", e.to_string()))?;
            return Ok((items, true));
        }
        if inner.starts_with('{') {
            return Ok((vec![*data], false));
        }
    }
    Ok((vec![decode_json_borrowed::<&RawValue>(text)?], false))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn amount(m: &Option<Money>) -> String {
        m.as_ref()
            .map(|m| format!("{} {}", m.amount, m.currency))
            .unwrap_or_default()
    }

    #[test]
    fn a_multi_currency_order_keeps_the_store_currency_in_totals() {
        // A USD store; the shopper paid in EUR at 0.92 EUR to the dollar (BigCommerce's
        // example fields, with a realistic rate).
        let text = r#"{"id":9,"currency_code":"EUR","currency_exchange_rate":"0.9200000000",
            "default_currency_code":"EUR","store_default_currency_code":"USD",
            "store_default_to_transactional_exchange_rate":"0.9200000000",
            "subtotal_ex_tax":"46.0000","total_tax":"4.6000","total_inc_tax":"50.6000",
            "shipping_cost_ex_tax":"0.0000","refunded_amount":"0.0000"}"#;
        let o = order(text, &StoreContext::default()).unwrap();
        assert_eq!(o.currency.as_ref().map(Currency::as_str), Some("USD"));
        assert_eq!(amount(&o.totals.total), "55.0000 USD");
        assert_eq!(amount(&o.totals.subtotal), "50.0000 USD");
        assert_eq!(
            o.presentment_currency.as_ref().map(Currency::as_str),
            Some("EUR")
        );
        let p = o.presentment_totals.unwrap();
        assert_eq!(amount(&p.total), "50.6000 EUR", "exactly what was paid");
        assert_eq!(amount(&p.tax), "4.6000 EUR");

        // Without the rate the store's amounts are unknown, not made up.
        let no_rate = text.replace(
            r#""store_default_to_transactional_exchange_rate":"0.9200000000","#,
            "",
        );
        let o = order(&no_rate, &StoreContext::default()).unwrap();
        assert_eq!(o.totals, OrderTotals::default());
        assert_eq!(amount(&o.presentment_totals.unwrap().total), "50.6000 EUR");
    }

    #[test]
    fn a_single_currency_order_has_no_presentment() {
        for store in ["", "USD"] {
            let text = format!(
                r#"{{"id":1,"currency_code":"USD","default_currency_code":"USD",
                "store_default_currency_code":"{store}","total_inc_tax":"1.0000"}}"#
            );
            let o = order(&text, &StoreContext::default()).unwrap();
            assert_eq!(amount(&o.totals.total), "1.0000 USD");
            assert_eq!(o.presentment_currency, None);
            assert_eq!(o.presentment_totals, None);
        }
    }

    #[test]
    fn every_status_id_maps_and_keeps_its_label() {
        for id in 0..=14 {
            assert!(order_status(id).is_some(), "{id}");
            assert!(status_label(id).is_some(), "{id}");
        }
        assert_eq!(order_status(15), None);
        assert_eq!(order_status(11), Some(OrderStatus::Processing));
        for s in OrderStatus::ALL {
            assert_eq!(order_status(status_id_for(*s)), Some(*s), "{s}");
        }
    }

    #[test]
    fn v2_strings_and_v3_numbers_are_exact() {
        let o = order(
            r#"{"id":1,"currency_code":"USD","total_inc_tax":"361.9500","subtotal_ex_tax":"0.1000","status_id":11}"#,
            &StoreContext::default(),
        )
        .unwrap();
        assert_eq!(o.totals.total.unwrap().amount.to_string(), "361.9500");
        assert_eq!(o.totals.subtotal.unwrap().amount.to_string(), "0.1000");
        let ctx = StoreContext {
            currency: Some(Currency::parse("EUR").unwrap()),
            ..Default::default()
        };
        let p = product(r#"{"id":2,"price":7.95,"retail_price":0.1}"#, &ctx).unwrap();
        assert_eq!(p.price.unwrap().amount.to_string(), "7.95");
        assert_eq!(p.compare_at_price.unwrap().amount.to_string(), "0.1");
    }

    #[test]
    fn catalog_prices_need_the_store_currency() {
        let p = product(r#"{"id":2,"price":7.95}"#, &StoreContext::default()).unwrap();
        assert_eq!(p.price, None);
    }

    #[test]
    fn bad_embedded_sub_resource_names_its_path() {
        let err = order(
            r#"{"id":1,"currency_code":"USD","products":[{"id":1,"price_ex_tax":"1.00"},{"id":2,"price_ex_tax":"x"}]}"#,
            &StoreContext::default(),
        )
        .unwrap_err();
        match err {
            Error::Decode { path, .. } => assert_eq!(path, "$.products[1].price_ex_tax"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn links_only_order_has_no_line_items() {
        let o = order(
            r#"{"id":7,"currency_code":"USD","products":{"url":"https://x/v2/orders/7/products","resource":"/orders/7/products"}}"#,
            &StoreContext::default(),
        )
        .unwrap();
        assert!(o.line_items.is_empty());
    }

    fn at(text: &str) -> String {
        let o = order(
            &format!(r#"{{"id":1,"date_created":"{text}"}}"#),
            &StoreContext::default(),
        )
        .unwrap();
        o.created_at.unwrap().to_rfc3339()
    }

    #[test]
    fn rfc2822_edge_cases() {
        // Offsets east and west of UTC land on the same instant.
        assert_eq!(
            at("Tue, 20 Nov 2012 00:00:00 +0000"),
            "2012-11-20T00:00:00+00:00"
        );
        assert_eq!(
            at("Thu, 20 Apr 2017 11:32:00 -0400"),
            "2017-04-20T15:32:00+00:00"
        );
        assert_eq!(
            at("Fri, 21 Apr 2017 01:02:03 +1030"),
            "2017-04-20T14:32:03+00:00"
        );
        // An offset that crosses the day, month and year boundary.
        assert_eq!(
            at("Sat, 31 Dec 2022 23:30:00 -0100"),
            "2023-01-01T00:30:00+00:00"
        );
        // Single-digit days, with and without a leading zero.
        assert_eq!(
            at("Fri, 1 Mar 2019 09:05:01 +0100"),
            "2019-03-01T08:05:01+00:00"
        );
        assert_eq!(
            at("Fri, 01 Mar 2019 09:05:01 +0100"),
            "2019-03-01T08:05:01+00:00"
        );
        // Obsolete zone names RFC 2822 still allows.
        assert_eq!(
            at("Wed, 10 Jan 2018 21:05:30 GMT"),
            "2018-01-10T21:05:30+00:00"
        );
        assert_eq!(
            at("Wed, 10 Jan 2018 16:05:30 EST"),
            "2018-01-10T21:05:30+00:00"
        );
        // A leap day.
        assert_eq!(
            at("Thu, 29 Feb 2024 12:00:00 +0000"),
            "2024-02-29T12:00:00+00:00"
        );
        // v2 sends "" for dates that did not happen; garbage is a decode error.
        let o = order(r#"{"id":1,"date_shipped":""}"#, &StoreContext::default()).unwrap();
        assert_eq!(o.completed_at, None);
        let err = order(
            r#"{"id":1,"date_created":"32 Foo 2019"}"#,
            &StoreContext::default(),
        )
        .unwrap_err();
        assert!(
            matches!(err, Error::Decode { ref path, .. } if path == "$.date_created"),
            "{err:?}"
        );
    }
}
