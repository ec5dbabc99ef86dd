//! Pure Ecwid → unified mapping, no IO: one signature for every entity
//! (`fn(&RawValue, &StoreContext) -> Result<Vec<Record>>`), and `normalize` for
//! `polycart normalize` and the golden tests. Ecwid writes amounts without a currency:
//! every amount is in the store's currency (`StoreContext::currency`, from the store
//! profile), and without one the amounts are left out. An order's platform id is its
//! `id` ("K8XTQ", what merchants see and `GET /orders/{id}` takes); `internalId` stays
//! in `raw`. A product's combinations are its variants; a tracking number is the
//! order's one shipment (Ecwid ships whole orders).

use std::collections::BTreeMap;

use polycart_kit::connector::Normalized;
use polycart_kit::decode::{Dec, at_index, datetime, split_envelope};
use polycart_kit::envelope::{Envelope, fields};
use polycart_kit::error::decode_json;
use polycart_kit::model::{
    Address, Currency, Discount, FinancialStatus, FulfillmentStatus, Image, LineItem, Money, Order,
    OrderCustomer, OrderStatus, OrderTotals, Product, ProductOption, ProductStatus, Raw, Shipment,
    ShippingLine, Variant, Weight,
};
use polycart_kit::{Entity, Error, Record, Result, StoreContext};
use rust_decimal::Decimal;
use serde_json::value::RawValue;

use crate::{PLATFORM, wire};

fn amount(v: Option<Dec>, cur: Option<&Currency>) -> Option<Money> {
    Some(Money::new(v?.0, cur?.clone()))
}

/// `paymentStatus` as the unified financial status.
fn financial(s: &str) -> Option<FinancialStatus> {
    Some(match s {
        "AWAITING_PAYMENT" | "INCOMPLETE" => FinancialStatus::Pending,
        "PAID" => FinancialStatus::Paid,
        "CANCELLED" => FinancialStatus::Voided,
        "REFUNDED" => FinancialStatus::Refunded,
        "PARTIALLY_REFUNDED" => FinancialStatus::PartiallyRefunded,
        _ => return None,
    })
}

/// `fulfillmentStatus` as the unified fulfilment status.
fn fulfillment(s: &str) -> Option<FulfillmentStatus> {
    Some(match s {
        "AWAITING_PROCESSING" | "PROCESSING" | "READY_FOR_PICKUP" | "WILL_NOT_DELIVER" => {
            FulfillmentStatus::Unfulfilled
        }
        "SHIPPED" | "OUT_FOR_DELIVERY" | "DELIVERED" => FulfillmentStatus::Fulfilled,
        "RETURNED" => FulfillmentStatus::Returned,
        _ => return None,
    })
}

/// Ecwid has two statuses; the unified one is read from both.
fn status(payment: Option<&str>, fulfil: Option<&str>) -> Option<OrderStatus> {
    Some(match (payment?, fulfil) {
        ("CANCELLED", _) | (_, Some("WILL_NOT_DELIVER")) => OrderStatus::Cancelled,
        ("REFUNDED", _) => OrderStatus::Refunded,
        ("AWAITING_PAYMENT" | "INCOMPLETE", _) => OrderStatus::Pending,
        (_, Some("DELIVERED")) => OrderStatus::Completed,
        _ => OrderStatus::Processing,
    })
}

fn address(p: &wire::Person, email: Option<&str>) -> Option<Address> {
    let (first, last) = match (&p.first_name, &p.last_name, &p.name) {
        (Some(f), l, _) => (Some(f.clone()), l.clone()),
        (None, l, Some(name)) => match name.split_once(' ') {
            Some((f, rest)) => (Some(f.to_owned()), l.clone().or(Some(rest.to_owned()))),
            None => (Some(name.clone()), l.clone()),
        },
        (None, l, None) => (None, l.clone()),
    };
    let a = Address {
        first_name: first,
        last_name: last,
        company: p.company_name.clone(),
        line1: p.street.clone(),
        line2: None,
        city: p.city.clone(),
        region: p.state_or_province_name.clone(),
        region_code: p.state_or_province_code.clone(),
        postal_code: p.postal_code.clone(),
        country_code: p.country_code.clone(),
        phone: p.phone.clone(),
        email: email.map(str::to_owned),
    };
    (!a.is_empty()).then_some(a)
}

fn nonempty(s: Option<String>) -> Option<String> {
    s.filter(|s| !s.trim().is_empty())
}

/// One order; amounts in the store's currency.
pub fn order(raw: &RawValue, ctx: &StoreContext) -> Result<Vec<Record>> {
    let o: wire::Order = decode_json(raw.get())?;
    let cur = ctx.currency.as_ref();
    let discount: Decimal = [
        o.coupon_discount,
        o.volume_discount,
        o.discount,
        o.membership_based_discount,
    ]
    .iter()
    .flatten()
    .map(|d| d.0)
    .sum();
    let line_items = o
        .items
        .iter()
        .map(|l| {
            let quantity = l.quantity.map_or(Decimal::ZERO, |q| q.0);
            LineItem {
                platform_id: l.id.0.clone(),
                product_id: l.product_id.as_ref().map(|i| i.0.clone()),
                variant_id: l
                    .combination_id
                    .as_ref()
                    .map(|i| i.0.clone())
                    .filter(|c| c != "0"),
                sku: l.sku.clone(),
                name: l.name.clone(),
                quantity,
                unit_price: amount(l.price, cur),
                total: amount(l.price.map(|p| Dec(p.0 * quantity)), cur),
                tax: amount(l.tax, cur),
                discount: None,
            }
        })
        .collect();
    let email = nonempty(o.email.clone());
    let billing = o
        .billing_person
        .as_ref()
        .and_then(|p| address(p, email.as_deref()));
    let customer = (email.is_some() || o.customer_id.is_some()).then(|| OrderCustomer {
        platform_id: o
            .customer_id
            .as_ref()
            .map(|i| i.0.clone())
            .filter(|c| c != "0"),
        email: email.clone(),
        first_name: billing.as_ref().and_then(|b| b.first_name.clone()),
        last_name: billing.as_ref().and_then(|b| b.last_name.clone()),
        phone: billing.as_ref().and_then(|b| b.phone.clone()),
    });
    let shipping_lines = o
        .shipping_option
        .as_ref()
        .map(|s| ShippingLine {
            method: s.shipping_method_name.clone(),
            carrier: s.shipping_carrier_name.clone(),
            price: amount(s.shipping_rate, cur),
        })
        .into_iter()
        .collect();
    let discounts = o
        .discount_coupon
        .as_ref()
        .map(|c| Discount {
            code: c.code.clone(),
            amount: amount(o.coupon_discount, cur),
        })
        .into_iter()
        .collect();
    let payment = o.payment_status.as_deref();
    let fulfil = o.fulfillment_status.as_deref();
    let order = Order {
        number: o
            .order_number
            .as_ref()
            .map(|n| n.0.clone())
            .or(Some(o.id.0.clone())),
        status: status(payment, fulfil),
        financial_status: payment.and_then(financial),
        platform_financial_status: o.payment_status.clone(),
        fulfillment_status: fulfil.and_then(fulfillment),
        platform_fulfillment_status: o.fulfillment_status.clone(),
        currency: ctx.currency.clone(),
        totals: OrderTotals {
            subtotal: amount(o.subtotal, cur),
            shipping: o
                .shipping_option
                .as_ref()
                .and_then(|s| amount(s.shipping_rate, cur)),
            tax: amount(o.tax, cur),
            discount: amount(Some(Dec(discount)), cur),
            total: amount(o.total, cur),
            paid: None,
            refunded: amount(o.refunded_amount, cur),
        },
        customer,
        shipping_address: o.shipping_person.as_ref().and_then(|p| address(p, None)),
        billing_address: billing,
        line_items,
        shipping_lines,
        discounts,
        shipments: nonempty(o.tracking_number.clone())
            .map(|t| Shipment {
                platform_id: format!("{}-tracking", o.id.0),
                carrier: o
                    .shipping_option
                    .as_ref()
                    .and_then(|s| s.shipping_carrier_name.clone()),
                tracking_number: Some(t),
                tracking_url: None,
                status: o.fulfillment_status.clone(),
                line_items: Vec::new(),
                created_at: None,
            })
            .into_iter()
            .collect(),
        note: nonempty(o.order_comments),
        created_at: datetime("$.createDate", o.create_date.as_deref())?,
        updated_at: datetime("$.updateDate", o.update_date.as_deref())?,
        raw: Some(Raw::from_raw(raw)),
        ..Order::new(PLATFORM, o.id.0)
    };
    Ok(vec![order.into()])
}

/// The stock of a product or combination: `None` when unlimited (not tracked).
fn stock(unlimited: Option<bool>, quantity: Option<i64>) -> Option<i64> {
    if unlimited == Some(true) {
        None
    } else {
        quantity
    }
}

/// One product with its combinations as variants; prices in the store's currency.
pub fn product(raw: &RawValue, ctx: &StoreContext) -> Result<Vec<Record>> {
    let p: wire::Product = decode_json(raw.get())?;
    let cur = ctx.currency.as_ref();
    let weight = |w: Option<Dec>| {
        Some(Weight {
            value: w?.0,
            unit: ctx.weight_unit.clone()?,
        })
    };
    let variants = p
        .combinations
        .iter()
        .map(|c| Variant {
            platform_id: c.id.0.clone(),
            sku: c.sku.clone(),
            barcode: None,
            options: c
                .options
                .iter()
                .filter_map(|o| Some((o.name.clone()?, o.value.clone()?)))
                .collect::<BTreeMap<_, _>>(),
            // A combination without its own price sells at the product's.
            price: amount(c.price.or(p.price), cur),
            compare_at_price: None,
            inventory_quantity: stock(c.unlimited, c.quantity),
            weight: weight(c.weight.or(p.weight)),
            image_url: c.image_url.clone(),
        })
        .collect();
    let image = p.original_image_url.clone().or(p.image_url.clone());
    let product = Product {
        name: p.name,
        sku: p.sku,
        description_html: nonempty(p.description),
        status: p.enabled.map(|e| {
            if e {
                ProductStatus::Active
            } else {
                ProductStatus::Draft
            }
        }),
        platform_status: p
            .enabled
            .map(|e| if e { "enabled" } else { "disabled" }.to_owned()),
        category_ids: p.category_ids.into_iter().map(|i| i.0).collect(),
        images: image
            .map(|url| Image {
                url,
                alt: None,
                position: Some(0),
            })
            .into_iter()
            .collect(),
        price: amount(p.price, cur),
        compare_at_price: amount(p.compare_to_price.filter(|c| !c.0.is_zero()), cur),
        options: p
            .options
            .iter()
            .filter_map(|o| {
                Some(ProductOption {
                    name: o.name.clone()?,
                    values: o.choices.iter().filter_map(|c| c.text.clone()).collect(),
                })
            })
            .collect(),
        variants,
        inventory_quantity: stock(p.unlimited, p.quantity),
        created_at: datetime("$.created", p.created.as_deref())?,
        updated_at: datetime("$.updated", p.updated.as_deref())?,
        raw: Some(Raw::from_raw(raw)),
        ..Product::new(PLATFORM, p.id.0)
    };
    Ok(vec![product.into()])
}

/// One raw record to unified records.
pub type MapFn = fn(&RawValue, &StoreContext) -> Result<Vec<Record>>;

/// The mapping of `entity`'s records.
pub fn mapper(entity: Entity) -> Result<MapFn> {
    match entity {
        Entity::Order => Ok(order),
        Entity::Product => Ok(product),
        other => Err(Error::unsupported(PLATFORM, format!("{other}s"))),
    }
}

/// `Connector::normalize`: one record as `GET /orders/{id}` or `/products/{id}` returns
/// it, or a search answer (`{"total", "count", "offset", "limit", "items": [...]}`; an
/// order has `items` and `total` too, so a search answer is told by its `offset` and
/// `limit`), or a bare array of records.
pub fn normalize(entity: Entity, text: &str, ctx: &StoreContext) -> Result<Normalized> {
    let map = mapper(entity)?;
    let paging = fields(text.trim_start(), &["offset", "limit"]).unwrap_or_default();
    let search = text.trim_start().starts_with('{') && paging.iter().all(Option::is_some);
    let (items, list) = if search {
        (Envelope::At("/items").split(text)?, true)
    } else {
        split_envelope(text, &[])?
    };
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
