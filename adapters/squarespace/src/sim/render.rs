//! The simulator's JSON: the generated store in the shape of Squarespace's documented
//! resources (Orders API 1.0 `Order`, Products API v2 `PhysicalProduct` with its
//! variants, Inventory API `InventoryItem`, Profiles API `Profile`): ids as 24-digit
//! hex object ids (variants as UUIDs), money as `{"currency", "value"}` with a
//! decimal string, times as ISO 8601 UTC with milliseconds, every documented field
//! present (`null` where there is nothing).

use chrono::{DateTime, SecondsFormat, Utc};
use polycart_kit::sim::{
    SimAddress, SimCustomer, SimFinancial, SimFulfillment, SimOrder, SimOrderState, SimProduct,
    SimProductStatus, SimVariant,
};
use rust_decimal::Decimal;
use serde_json::{Value, json};

/// Id prefixes, so each kind of record has its own id space.
const ORDER: &str = "5f3c";
const PRODUCT: &str = "5ed5";
const PROFILE: &str = "585d";
const LINE: &str = "5f3d";
const PAGE: &str = "5d7b";

fn object_id(prefix: &str, n: u64) -> String {
    format!("{prefix}{n:020x}")
}

fn object_number(prefix: &str, id: &str) -> Option<u64> {
    let hex = id.strip_prefix(prefix)?;
    (hex.len() == 20
        && hex
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()))
    .then(|| u64::from_str_radix(hex, 16).ok())
    .flatten()
}

pub fn order_id(n: u64) -> String {
    object_id(ORDER, n)
}
pub(super) fn order_number(id: &str) -> Option<u64> {
    object_number(ORDER, id)
}
pub fn product_id(n: u64) -> String {
    object_id(PRODUCT, n)
}
pub(super) fn product_number(id: &str) -> Option<u64> {
    object_number(PRODUCT, id)
}
pub fn profile_id(n: u64) -> String {
    object_id(PROFILE, n)
}
pub(super) fn profile_number(id: &str) -> Option<u64> {
    object_number(PROFILE, id)
}

/// A variant's UUID.
pub fn variant_id(n: u64) -> String {
    format!("{:08x}-547b-445e-a392-{n:012x}", n & 0xffff_ffff)
}
pub(super) fn variant_number(id: &str) -> Option<u64> {
    let (head, tail) = id.split_at_checked(24)?;
    let n = u64::from_str_radix(tail, 16).ok()?;
    (tail.len() == 12 && variant_id(n) == id && head.len() == 24).then_some(n)
}

pub(super) fn time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

pub(super) fn money(currency: &str, value: Decimal) -> Value {
    json!({ "currency": currency, "value": format!("{:.2}", value.round_dp(2)) })
}

fn address(a: &SimAddress) -> Value {
    json!({
        "firstName": a.first_name,
        "lastName": a.last_name,
        "address1": a.address1,
        "address2": a.address2,
        "city": a.city,
        "state": a.province_code,
        "countryCode": a.country_code,
        "postalCode": a.zip,
        "phone": a.phone,
    })
}

/// An added fulfilment's service, by shipment id (what was posted).
pub(super) type Services = std::collections::HashMap<u64, String>;

fn fulfillment_status(o: &SimOrder) -> &'static str {
    match (o.state, o.fulfillment) {
        (SimOrderState::Cancelled, _) => "CANCELED",
        (_, SimFulfillment::Fulfilled) | (SimOrderState::Completed, _) => "FULFILLED",
        _ => "PENDING",
    }
}

fn payment_state(o: &SimOrder) -> &'static str {
    match (o.state, o.financial) {
        (SimOrderState::Failed, _) => "FAILED",
        (_, SimFinancial::Pending) => "PENDING",
        (_, SimFinancial::Authorized) => "AUTHORIZED",
        (_, SimFinancial::Paid | SimFinancial::PartiallyRefunded) => "PAID",
        (_, SimFinancial::Refunded) => "REFUNDED",
        (_, SimFinancial::Voided) => "NOT_CHARGED",
    }
}

/// Whether the order is shown tax-inclusive: one order in four, when every line's tax
/// divides evenly over its quantity (so inclusive unit prices stay whole cents).
fn inclusive(o: &SimOrder) -> bool {
    o.id.is_multiple_of(4)
        && o.line_items.iter().all(|l| {
            l.quantity > 0
                && (l.tax * Decimal::from(100)) % Decimal::from(l.quantity) == Decimal::ZERO
        })
}

/// One order as `GET /1.0/commerce/orders/{id}` returns it.
pub(super) fn order(o: &SimOrder, services: &Services) -> Value {
    let c = o.currency;
    let inclusive = inclusive(o);
    let lines: Vec<Value> = o
        .line_items
        .iter()
        .map(|l| {
            let unit = if inclusive {
                l.price + l.tax / Decimal::from(l.quantity.max(1))
            } else {
                l.price
            };
            json!({
                "id": object_id(LINE, l.id),
                "variantId": variant_id(l.variant_id),
                "sku": l.sku,
                "weight": 0.0, "width": 0.0, "length": 0.0, "height": 0.0,
                "productId": product_id(l.product_id),
                "productName": l.title,
                "quantity": l.quantity,
                "unitPricePaid": money(c, unit),
                "variantOptions": if l.variant_title.is_empty() { Value::Null } else {
                    json!([{ "optionName": "Option", "value": l.variant_title }])
                },
                "customizations": null,
                "imageUrl": null,
                "lineItemType": "PHYSICAL_PRODUCT",
            })
        })
        .collect();
    let subtotal: Decimal = o
        .line_items
        .iter()
        .map(|l| {
            if inclusive {
                l.gross() + l.tax
            } else {
                l.gross()
            }
        })
        .sum();
    let discounts: Vec<Value> = o
        .discount_codes
        .iter()
        .map(|(code, amount)| {
            json!({
                "description": format!("Promo code {code}"),
                "name": code,
                "amount": money(c, *amount),
                "promoCode": code,
            })
        })
        .collect();
    let fulfillments: Vec<Value> = o
        .shipments
        .iter()
        .map(|s| {
            json!({
                "shipDate": time(s.created_at),
                "carrierName": s.carrier,
                "service": services.get(&s.id).map_or("Ground", String::as_str),
                "trackingNumber": s.tracking_number,
                "trackingUrl": if s.tracking_url.is_empty() { Value::Null } else { json!(s.tracking_url) },
            })
        })
        .collect();
    let notes: Vec<Value> = o.note.iter().map(|n| json!({ "content": n })).collect();
    json!({
        "id": order_id(o.id),
        "orderNumber": o.number.to_string(),
        "createdOn": time(o.created_at),
        "modifiedOn": time(o.updated_at),
        "channel": if o.source == "pos" { "pos" } else { "web" },
        "testmode": false,
        "customerEmail": o.email,
        "billingAddress": address(&o.billing),
        "shippingAddress": address(&o.shipping_address),
        "fulfillmentStatus": fulfillment_status(o),
        "lineItems": lines,
        "internalNotes": notes,
        "shippingLines": [{ "method": o.shipping_method, "amount": money(c, o.shipping_price) }],
        "discountLines": discounts,
        "formSubmission": null,
        "fulfillments": fulfillments,
        "subtotal": money(c, subtotal),
        "shippingTotal": money(c, o.shipping_price),
        "discountTotal": money(c, o.total_discount()),
        "taxTotal": money(c, o.total_tax()),
        "refundedTotal": money(c, o.refunded()),
        "grandTotal": money(c, o.total()),
        "channelName": null,
        "externalOrderReference": null,
        "fulfilledOn": o.completed_at.filter(|_| fulfillment_status(o) == "FULFILLED").map(time),
        "priceTaxInterpretation": if inclusive { "INCLUSIVE" } else { "EXCLUSIVE" },
        "customerId": o.customer_id.map(profile_id),
        "paymentState": payment_state(o),
    })
}

/// Whether a variant is on sale: it has a compare-at price above its price.
fn on_sale(v: &SimVariant) -> Option<Decimal> {
    v.compare_at_price.filter(|c| *c > v.price)
}

fn variant(p: &SimProduct, v: &SimVariant, currency: &str) -> Value {
    let attributes: serde_json::Map<String, Value> = p
        .options
        .iter()
        .zip(&v.option_values)
        .map(|((name, _), value)| (name.clone(), json!(value)))
        .collect();
    let pricing = match on_sale(v) {
        Some(base) => json!({
            "basePrice": money(currency, base),
            "onSale": true,
            "salePrice": money(currency, v.price),
        }),
        None => json!({
            "basePrice": money(currency, v.price),
            "onSale": false,
            "salePrice": money(currency, Decimal::ZERO),
        }),
    };
    json!({
        "id": variant_id(v.id),
        "sku": v.sku,
        "gtin": v.barcode,
        "mpn": null,
        "pricing": pricing,
        "stock": { "quantity": v.total_stock(), "unlimited": false },
        "attributes": attributes,
        "shippingMeasurements": {
            "weight": { "unit": "KILOGRAM", "value": (Decimal::from(v.weight_grams) / Decimal::from(1000)).normalize().to_string().parse::<f64>().unwrap_or(0.0) },
            "dimensions": { "unit": "INCH", "length": 0.0, "width": 0.0, "height": 0.0 },
        },
        "image": null,
    })
}

/// One product as the v2 Products API returns it.
pub(super) fn product(p: &SimProduct, currency: &str) -> Value {
    let images: Vec<Value> = p
        .images
        .iter()
        .map(|i| {
            json!({
                "id": object_id(PAGE, i.id),
                "altText": i.alt,
                "url": i.url,
                "originalSize": { "width": 1000, "height": 1000 },
                "availableFormats": ["100w", "300w", "500w", "750w", "1000w"],
                "orderIndex": i.position,
            })
        })
        .collect();
    json!({
        "id": product_id(p.id),
        "type": "PHYSICAL",
        "storePageId": object_id(PAGE, p.category_ids.first().copied().unwrap_or(1)),
        "name": p.title,
        "description": p.description_html,
        "url": format!("/shop/p/{}", p.handle),
        "urlSlug": p.handle,
        "tags": p.tags,
        "isVisible": p.status == SimProductStatus::Active,
        "seoOptions": { "title": null, "description": null },
        "variantAttributes": p.options.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>(),
        "variants": p.variants.iter().map(|v| variant(p, v, currency)).collect::<Vec<_>>(),
        "images": images,
        "createdOn": time(p.created_at),
        "modifiedOn": time(p.updated_at),
    })
}

/// One variant's stock as the Inventory API returns it.
pub(super) fn inventory_item(p: &SimProduct, v: &SimVariant) -> Value {
    let descriptor = if v.option_values.is_empty() {
        p.title.clone()
    } else {
        format!("{} [{}]", p.title, v.option_values.join(", "))
    };
    json!({
        "variantId": variant_id(v.id),
        "sku": v.sku,
        "descriptor": descriptor,
        "isUnlimited": false,
        "quantity": v.total_stock(),
    })
}

/// One customer as the Profiles API returns it.
pub(super) fn profile(c: &SimCustomer, orders: &[&SimOrder], currency: &str) -> Value {
    let first = orders.iter().map(|o| o.created_at).min();
    let last = orders.iter().map(|o| o.created_at).max();
    json!({
        "id": profile_id(c.id),
        "firstName": c.first_name,
        "lastName": c.last_name,
        "email": c.email,
        "hasAccount": true,
        "isCustomer": true,
        "createdOn": time(c.created_at),
        "address": c.addresses.first().map(address),
        "acceptsMarketing": c.accepts_marketing,
        "transactionsSummary": {
            "firstOrderSubmittedOn": first.map(time),
            "lastOrderSubmittedOn": last.map(time),
            "orderCount": c.orders_count,
            "totalOrderAmount": money(currency, c.total_spent),
            "totalDonationAmount": money(currency, Decimal::ZERO),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip() {
        assert_eq!(order_number(&order_id(42)), Some(42));
        assert_eq!(order_id(42).len(), 24);
        assert_eq!(product_number(&order_id(42)), None);
        assert_eq!(variant_number(&variant_id(7)), Some(7));
        assert_eq!(variant_id(7).len(), 36);
        assert_eq!(variant_number("not-a-uuid"), None);
    }
}
