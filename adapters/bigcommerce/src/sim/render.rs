//! Renders the simulator's generated store as BigCommerce JSON, shaped after the real
//! payloads in `fixtures/bigcommerce` and BigCommerce's API reference: v2 orders with
//! RFC 2822 dates, four-place decimal strings and sub-resource links; v3 catalog,
//! customers, categories and inventory with ISO 8601 dates and JSON numbers.
//! Independent of the adapter's wire types and mapping (architecture invariant).

use chrono::{DateTime, SecondsFormat, Utc};
use polycart_kit::sim::{
    SimAddress, SimCategory, SimCustomer, SimFinancial, SimFulfillment, SimLineItem, SimOrder,
    SimOrderState, SimProduct, SimProductStatus, SimShipment, SimVariant,
};
use rust_decimal::Decimal;
use serde_json::{Value, json};

/// The 15 order statuses (`/v2/order_statuses`): id, label, sort order.
pub(super) const STATUSES: [(i64, &str, i64); 15] = [
    (0, "Incomplete", 0),
    (1, "Pending", 1),
    (2, "Shipped", 8),
    (3, "Partially Shipped", 6),
    (4, "Refunded", 11),
    (5, "Cancelled", 9),
    (6, "Declined", 10),
    (7, "Awaiting Payment", 2),
    (8, "Awaiting Pickup", 5),
    (9, "Awaiting Shipment", 4),
    (10, "Completed", 7),
    (11, "Awaiting Fulfillment", 3),
    (12, "Manual Verification Required", 13),
    (13, "Disputed", 12),
    (14, "Partially Refunded", 14),
];

pub(super) fn status_label(id: i64) -> &'static str {
    STATUSES
        .iter()
        .find(|s| s.0 == id)
        .map_or("Unknown", |s| s.1)
}

/// v2 money: a decimal string with four places ("25.0000").
pub(super) fn v2_money(d: Decimal) -> String {
    format!("{:.4}", d)
}

/// v3 money: a JSON number.
pub(super) fn v3_number(d: Decimal) -> Value {
    serde_json::from_str(&d.normalize().to_string()).unwrap_or(Value::Null)
}

/// RFC 2822 as BigCommerce writes it: a two-digit day and a numeric zone
/// (`Tue, 05 Mar 2019 21:40:11 +0000`).
pub(super) fn rfc2822(t: DateTime<Utc>) -> String {
    t.format("%a, %d %b %Y %H:%M:%S %z").to_string()
}

/// A brand's id: stable for its name (brands are the generated products' vendors).
pub(super) fn brand_id(name: &str) -> u64 {
    // FNV-1a, folded to six digits.
    let hash = name.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    });
    hash % 900_000 + 100_000
}

pub(super) fn iso(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, false)
}

fn opt(s: &Option<String>) -> &str {
    s.as_deref().unwrap_or("")
}

/// The status id a generated order starts with.
pub(super) fn initial_status(o: &SimOrder) -> i64 {
    match (o.state, o.financial, o.fulfillment) {
        (SimOrderState::Pending, SimFinancial::Pending, _) => 7,
        (SimOrderState::Pending, _, _) => 1,
        (SimOrderState::Open, _, SimFulfillment::Partial) => 3,
        (SimOrderState::Open, _, _) => 11,
        (SimOrderState::OnHold, _, _) => 12,
        (SimOrderState::Completed, SimFinancial::PartiallyRefunded, _) => 14,
        (SimOrderState::Completed, _, _) if o.shipments.is_empty() => 10,
        (SimOrderState::Completed, _, _) => 2,
        (SimOrderState::Cancelled, SimFinancial::Refunded, _) => 4,
        (SimOrderState::Cancelled, _, _) => 5,
        (SimOrderState::Failed, _, _) => 6,
    }
}

fn payment_status(f: SimFinancial) -> &'static str {
    match f {
        SimFinancial::Pending => "pending",
        SimFinancial::Authorized => "authorized",
        SimFinancial::Paid => "captured",
        SimFinancial::PartiallyRefunded => "partially refunded",
        SimFinancial::Refunded => "refunded",
        SimFinancial::Voided => "void",
    }
}

fn v2_address(a: &SimAddress, email: &str) -> Value {
    json!({
        "first_name": a.first_name,
        "last_name": a.last_name,
        "company": opt(&a.company),
        "street_1": a.address1,
        "street_2": opt(&a.address2),
        "city": a.city,
        "state": a.province,
        "zip": a.zip,
        "country": a.country,
        "country_iso2": a.country_code,
        "phone": opt(&a.phone),
        "email": email,
    })
}

/// The id of an order's (single) shipping address.
pub(super) fn address_id(o: &SimOrder) -> u64 {
    o.id + 500_000
}

pub(super) fn shipped_quantity(o: &SimOrder) -> u32 {
    o.shipments
        .iter()
        .flat_map(|s| s.lines.iter().map(|l| l.1))
        .sum()
}

pub(super) fn shipped_of(o: &SimOrder, line_item: u64) -> u32 {
    o.shipments
        .iter()
        .flat_map(|s| s.lines.iter())
        .filter(|l| l.0 == line_item)
        .map(|l| l.1)
        .sum()
}

fn link(api_root: &str, order: u64, path: &str) -> Value {
    json!({
        "url": format!("{api_root}/v2/orders/{order}/{path}"),
        "resource": format!("/orders/{order}/{path}"),
    })
}

/// A rate as BigCommerce writes one ("1.0000000000").
fn rate(d: Decimal) -> String {
    let mut d = d;
    d.rescale(10);
    d.to_string()
}

/// `GET /v2/orders/{id}`. An order a buyer paid in another currency than the store's
/// is written in that (transactional) currency, `default_currency_code`, the store's
/// own in `store_default_currency_code` with the rate between them: every amount of
/// it, here and in its sub-resources, is the buyer's.
pub(super) fn v2_order(o: &SimOrder, status_id: i64, api_root: &str) -> Value {
    let store_currency = o.currency;
    let exchange = rate(o.presentment.map_or(Decimal::ONE, |p| p.rate));
    let currency_id = if o.presentment.is_some() { 2 } else { 1 };
    let o = &*o.presented();
    let coupon: Decimal = o.discount_codes.iter().map(|d| d.1).sum();
    let subtotal = o.subtotal();
    let tax = o.total_tax();
    let mut billing = v2_address(&o.billing, &o.email);
    billing["form_fields"] = json!([]);
    json!({
        "id": o.id,
        "customer_id": o.customer_id.unwrap_or(0),
        "date_created": rfc2822(o.created_at),
        "date_modified": rfc2822(o.updated_at),
        "date_shipped": o.shipments.iter().map(|s| s.created_at).max().map(rfc2822).unwrap_or_default(),
        "status_id": status_id,
        "status": status_label(status_id),
        "subtotal_ex_tax": v2_money(subtotal),
        "subtotal_inc_tax": v2_money(subtotal + tax),
        "subtotal_tax": v2_money(tax),
        "base_shipping_cost": v2_money(o.shipping_price),
        "shipping_cost_ex_tax": v2_money(o.shipping_price),
        "shipping_cost_inc_tax": v2_money(o.shipping_price),
        "shipping_cost_tax": v2_money(Decimal::ZERO),
        "shipping_cost_tax_class_id": 2,
        "base_handling_cost": v2_money(Decimal::ZERO),
        "handling_cost_ex_tax": v2_money(Decimal::ZERO),
        "handling_cost_inc_tax": v2_money(Decimal::ZERO),
        "handling_cost_tax": v2_money(Decimal::ZERO),
        "handling_cost_tax_class_id": 2,
        "base_wrapping_cost": v2_money(Decimal::ZERO),
        "wrapping_cost_ex_tax": v2_money(Decimal::ZERO),
        "wrapping_cost_inc_tax": v2_money(Decimal::ZERO),
        "wrapping_cost_tax": v2_money(Decimal::ZERO),
        "wrapping_cost_tax_class_id": 3,
        "total_ex_tax": v2_money(o.total() - tax),
        "total_inc_tax": v2_money(o.total()),
        "total_tax": v2_money(tax),
        "is_tax_inclusive_pricing": false,
        "items_total": o.total_quantity(),
        "items_shipped": shipped_quantity(o),
        "payment_method": "Credit Card",
        "payment_provider_id": "",
        "payment_status": payment_status(o.financial),
        "refunded_amount": v2_money(o.refunded()),
        "order_is_digital": false,
        "store_credit_amount": v2_money(Decimal::ZERO),
        "gift_certificate_amount": v2_money(Decimal::ZERO),
        "ip_address": o.browser_ip,
        "ip_address_v6": "",
        "geoip_country": o.billing.country,
        "geoip_country_iso2": o.billing.country_code,
        "currency_id": currency_id,
        "currency_code": o.currency,
        "currency_exchange_rate": exchange,
        "default_currency_id": currency_id,
        "default_currency_code": o.currency,
        "staff_notes": "",
        "customer_message": opt(&o.note),
        "discount_amount": v2_money(Decimal::ZERO),
        "coupon_discount": v2_money(coupon),
        "shipping_address_count": 1,
        "is_deleted": o.deleted,
        "ebay_order_id": "0",
        "cart_id": format!("{:08x}-0000-4000-8000-{:012x}", o.id, o.number),
        "billing_address": billing,
        "is_email_opt_in": false,
        "credit_card_type": null,
        "order_source": if o.source == "pos" { "manual" } else { "www" },
        "channel_id": 1,
        "external_source": null,
        "products": link(api_root, o.id, "products"),
        "shipping_addresses": link(api_root, o.id, "shippingaddresses"),
        "coupons": link(api_root, o.id, "coupons"),
        "external_id": null,
        "external_merchant_id": null,
        "tax_provider_id": "BasicTaxProvider",
        "store_default_currency_code": store_currency,
        "store_default_to_transactional_exchange_rate": exchange,
        "custom_status": status_label(status_id),
        "customer_locale": "en",
        "external_order_id": "",
    })
}

/// The id of a v2 "option" (the store-wide option a product's variant option comes
/// from; BigCommerce's `option_id` of an order product option): stable for its name.
fn shared_option_id(name: &str) -> u64 {
    brand_id(name) % 1000 + 1
}

/// An order product's `product_options`: one per option of the variant bought, as
/// BigCommerce writes them for a multiple-choice option. `value` is the chosen option
/// value's **id** as a string (the v3 catalog's `option_values[].id`),
/// `display_value` its label; `product_option_id` is the product's variant option
/// (v3 `options[].id`), `display_name` the option's name.
fn product_options(line: &SimLineItem, products: &[SimProduct]) -> Vec<Value> {
    let Some(p) = products.iter().find(|p| p.id == line.product_id) else {
        return Vec::new();
    };
    let Some(v) = p.variants.iter().find(|v| v.id == line.variant_id) else {
        return Vec::new();
    };
    v.option_values
        .iter()
        .enumerate()
        .filter_map(|(i, label)| {
            let name = &p.options.get(i)?.0;
            Some(json!({
                "id": line.id * 10 + i as u64,
                "option_id": shared_option_id(name),
                "order_product_id": line.id,
                "product_option_id": option_id(p, i),
                "display_name": name,
                "display_name_customer": name,
                "display_name_merchant": name,
                "display_value": label,
                "display_value_customer": label,
                "display_value_merchant": label,
                "value": value_id(p, i, label).to_string(),
                "type": "Multiple choice",
                "name": format!("{name} ({})", p.id),
                "display_style": "Rectangle",
            }))
        })
        .collect()
}

/// How many units of a line item the order's refunds gave back, and for how much.
fn refunded_of(o: &SimOrder, line_item: u64) -> (u32, Decimal) {
    o.refunds
        .iter()
        .flat_map(|r| r.lines.iter())
        .filter(|l| l.0 == line_item)
        .fold((0, Decimal::ZERO), |(q, a), l| (q + l.1, a + l.2))
}

/// `GET /v2/orders/{id}/products`: the line items, with the catalog's product for
/// options, weight, brand and UPC.
pub(super) fn v2_products(o: &SimOrder, products: &[SimProduct]) -> Vec<Value> {
    let o = &*o.presented();
    o.line_items
        .iter()
        .map(|l| {
            let qty = Decimal::from(l.quantity);
            let unit_tax = if l.quantity == 0 { Decimal::ZERO } else { l.tax / qty };
            let product = products.iter().find(|p| p.id == l.product_id);
            let variant = product.and_then(|p| p.variants.iter().find(|v| v.id == l.variant_id));
            // Kilograms: the store's `weight_units` is KGS.
            let weight = variant.map_or(Decimal::ZERO, |v| Decimal::new(i64::from(v.weight_grams), 3));
            let (quantity_refunded, refund_amount) = refunded_of(o, l.id);
            json!({
                "id": l.id,
                "order_id": o.id,
                "product_id": l.product_id,
                "variant_id": l.variant_id,
                "order_address_id": address_id(o),
                "name": l.title,
                "name_customer": l.title,
                "name_merchant": l.title,
                "sku": l.sku,
                "upc": variant.and_then(|v| v.barcode.clone()).unwrap_or_default(),
                "type": "physical",
                "base_price": v2_money(l.price),
                "price_ex_tax": v2_money(l.price),
                "price_inc_tax": v2_money(l.price + unit_tax),
                "price_tax": v2_money(unit_tax),
                "base_total": v2_money(l.gross()),
                "total_ex_tax": v2_money(l.gross()),
                "total_inc_tax": v2_money(l.gross() + l.tax),
                "total_tax": v2_money(l.tax),
                "quantity": l.quantity,
                "is_refunded": quantity_refunded > 0,
                "quantity_refunded": quantity_refunded,
                "refund_amount": v2_money(refund_amount),
                "return_id": 0,
                "quantity_shipped": shipped_of(o, l.id),
                "parent_order_product_id": null,
                "is_bundled_product": false,
                "external_id": null,
                "applied_discounts": if l.discount > Decimal::ZERO {
                    json!([{ "id": "coupon", "amount": v2_money(l.discount), "name": "Coupon", "code": o.discount_codes.first().map(|d| d.0.clone()), "target": "order" }])
                } else {
                    json!([])
                },
                "product_options": product_options(l, products),
                "configurable_fields": [],
                "discounted_total_inc_tax": v2_money(l.gross() - l.discount + l.tax),
                "weight": v2_money(weight),
                "width": v2_money(Decimal::ZERO),
                "height": v2_money(Decimal::ZERO),
                "depth": v2_money(Decimal::ZERO),
                "base_cost_price": v2_money(Decimal::ZERO),
                "cost_price_inc_tax": v2_money(Decimal::ZERO),
                "cost_price_ex_tax": v2_money(Decimal::ZERO),
                "cost_price_tax": v2_money(Decimal::ZERO),
                "wrapping_id": 0,
                "wrapping_name": "",
                "base_wrapping_cost": v2_money(Decimal::ZERO),
                "wrapping_cost_ex_tax": v2_money(Decimal::ZERO),
                "wrapping_cost_inc_tax": v2_money(Decimal::ZERO),
                "wrapping_cost_tax": v2_money(Decimal::ZERO),
                "wrapping_message": "",
                "event_name": null,
                "event_date": null,
                "fixed_shipping_cost": v2_money(Decimal::ZERO),
                "ebay_item_id": "",
                "ebay_transaction_id": "",
                "option_set_id": null,
                "bin_picking_number": "",
                "brand": product.map(|p| p.vendor.clone()).unwrap_or_default(),
                "gift_certificate_id": null,
            })
        })
        .collect()
}

/// `GET /v2/orders/{id}/shipping_addresses`.
pub(super) fn v2_shipping_addresses(o: &SimOrder, api_root: &str) -> Vec<Value> {
    let o = &*o.presented();
    let mut a = v2_address(&o.shipping_address, &o.email);
    let extra = json!({
        "id": address_id(o),
        "order_id": o.id,
        "items_total": o.total_quantity(),
        "items_shipped": shipped_quantity(o),
        "shipping_method": o.shipping_method,
        "base_cost": v2_money(o.shipping_price),
        "cost_ex_tax": v2_money(o.shipping_price),
        "cost_inc_tax": v2_money(o.shipping_price),
        "cost_tax": v2_money(Decimal::ZERO),
        "cost_tax_class_id": 2,
        "base_handling_cost": v2_money(Decimal::ZERO),
        "handling_cost_ex_tax": v2_money(Decimal::ZERO),
        "handling_cost_inc_tax": v2_money(Decimal::ZERO),
        "handling_cost_tax": v2_money(Decimal::ZERO),
        "handling_cost_tax_class_id": 2,
        "shipping_zone_id": 1,
        "shipping_zone_name": o.shipping_address.country,
        "shipping_quotes": {
            "url": format!("{api_root}/v2/orders/{}/shippingaddresses/{}/shippingquotes", o.id, address_id(o)),
            "resource": format!("/orders/{}/shippingaddresses/{}/shippingquotes", o.id, address_id(o)),
        },
        "form_fields": [],
    });
    if let (Some(obj), Value::Object(more)) = (a.as_object_mut(), extra) {
        obj.extend(more);
    }
    vec![a]
}

/// How many line items a consignment embeds before BigCommerce cuts it short.
pub(super) const CONSIGNMENT_LINE_ITEMS: usize = 50;

/// `consignments` of an order (`include=consignments`, or `consignments.line_items`
/// for the full line items): the order's one shipping consignment, with its address,
/// method and costs as numbers, its line items (links without `.line_items`; at most
/// 50 with a `__warning__` beyond) and the shipping quotes link. `object` is the
/// `consignment_structure=object` form; otherwise the legacy array holding it.
pub(super) fn v2_consignments(
    o: &SimOrder,
    products: &[SimProduct],
    api_root: &str,
    lines: bool,
    object: bool,
) -> Value {
    let o = &*o.presented();
    let aid = address_id(o);
    let mut shipping = v2_address(&o.shipping_address, &o.email);
    let line_items: Vec<Value> = if lines {
        v2_products(o, products)
    } else {
        o.line_items
            .iter()
            .map(|l| {
                json!({
                    "url": format!("{api_root}/v2/orders/{}/products/{}", o.id, l.id),
                    "resource": format!("/orders/{}/products/{}", o.id, l.id),
                })
            })
            .collect()
    };
    let capped = line_items.len() > CONSIGNMENT_LINE_ITEMS;
    let extra = json!({
        "id": aid,
        "form_fields": [],
        "shipping_method": o.shipping_method,
        "line_items": line_items.into_iter().take(CONSIGNMENT_LINE_ITEMS).collect::<Vec<_>>(),
        "items_total": o.total_quantity(),
        "items_shipped": shipped_quantity(o),
        "base_cost": v3_number(o.shipping_price),
        "cost_ex_tax": v3_number(o.shipping_price),
        "cost_inc_tax": v3_number(o.shipping_price),
        "cost_tax": 0,
        "cost_tax_class_id": 2,
        "base_handling_cost": 0,
        "handling_cost_ex_tax": 0,
        "handling_cost_inc_tax": 0,
        "handling_cost_tax": 0,
        "handling_cost_tax_class_id": 2,
        "shipping_zone_id": 1,
        "shipping_zone_name": o.shipping_address.country,
        "shipping_quotes": {
            "url": format!("{api_root}/v2/orders/{}/consignments/shipping/{aid}/shipping_quotes", o.id),
            "resource": format!("/orders/{}/consignments/shipping/{aid}/shipping_quotes", o.id),
        },
    });
    if let (Some(obj), Value::Object(more)) = (shipping.as_object_mut(), extra) {
        obj.extend(more);
        if capped {
            obj.insert("__warning__".into(), json!({
                "message": "Not all line items of this consignment are returned with this response, only 50 are included. Please use the `/v2/orders/{order_id}/products` endpoint to fetch all line items."
            }));
        }
    }
    let all = json!({
        "pickups": [],
        "shipping": [shipping],
        "downloads": [],
        "email": { "gift_certificates": [] },
    });
    if object { all } else { json!([all]) }
}

/// `GET /v2/orders/{id}/coupons`. The generated store's codes take a whole percentage
/// off every line (`SAVE15`), so each is a BigCommerce percentage coupon (`type` 1):
/// `amount` is the coupon's rate in percent, `discount` the money it took off.
pub(super) fn v2_coupons(o: &SimOrder) -> Vec<Value> {
    let o = &*o.presented();
    let percent = o.discount_percent().unwrap_or_default();
    o.discount_codes
        .iter()
        .enumerate()
        .map(|(i, (code, discount))| {
            json!({
                "id": o.id * 10 + i as u64,
                "coupon_id": i + 1,
                "order_id": o.id,
                "code": code,
                "amount": v3_number(percent),
                "type": 1,
                "discount": v3_number(*discount),
            })
        })
        .collect()
}

/// `GET /v3/orders/{id}/payment_actions/refunds` items.
pub(super) fn v3_refunds(o: &SimOrder) -> Vec<Value> {
    let o = &*o.presented();
    o.refunds
        .iter()
        .map(|r| {
            json!({
                "id": r.id,
                "order_id": o.id,
                "user_id": 0,
                "created": iso(r.created_at),
                "reason": r.note,
                "total_amount": v3_number(r.amount),
                "total_tax": 0,
                "uses_merchant_override_values": false,
                "payments": [{ "id": r.id + 1, "provider_id": "testgateway", "amount": v3_number(r.amount), "offline": false, "is_declined": false, "declined_message": "" }],
                "items": r.lines.iter().map(|(li, q, amount)| json!({
                    "item_type": "PRODUCT",
                    "item_id": li,
                    "quantity": q,
                    "requested_amount": v3_number(*amount),
                })).collect::<Vec<_>>(),
            })
        })
        .collect()
}

/// BigCommerce's `shipping_provider` code of a carrier name ("" when it has none).
pub(super) fn provider_code(carrier: &str) -> &'static str {
    match carrier
        .to_ascii_lowercase()
        .replace([' ', '-', '_'], "")
        .as_str()
    {
        "ups" => "ups",
        "usps" => "usps",
        "fedex" => "fedex",
        "canadapost" => "canadapost",
        "dhlexpress" | "dhl" => "dhl",
        "auspost" | "australiapost" => "auspost",
        "royalmail" => "royalmail",
        _ => "",
    }
}

/// One `/v2/orders/{id}/shipments` item.
pub(super) fn v2_shipment(o: &SimOrder, s: &SimShipment) -> Value {
    let code = provider_code(&s.carrier);
    json!({
        "id": s.id,
        "order_id": o.id,
        "customer_id": o.customer_id.unwrap_or(0),
        "order_address_id": address_id(o),
        "date_created": rfc2822(s.created_at),
        "tracking_number": s.tracking_number,
        "merchant_shipping_cost": v2_money(Decimal::ZERO),
        "shipping_method": o.shipping_method,
        "comments": "",
        "shipping_provider": code,
        "tracking_carrier": if code.is_empty() { s.carrier.to_ascii_lowercase() } else { String::new() },
        "tracking_link": "",
        "billing_address": v2_address(&o.billing, &o.email),
        "shipping_address": v2_address(&o.shipping_address, &o.email),
        "items": s.lines.iter().map(|(li, q)| {
            let product = o.line_items.iter().find(|l| l.id == *li).map_or(0, |l| l.product_id);
            json!({ "order_product_id": li, "product_id": product, "quantity": q })
        }).collect::<Vec<_>>(),
        "shipping_provider_display_name": s.carrier,
        "generated_tracking_link": s.tracking_url,
    })
}

fn option_id(p: &SimProduct, i: usize) -> u64 {
    p.id * 10 + i as u64
}

fn value_id(p: &SimProduct, option: usize, value: &str) -> u64 {
    let pos = p
        .options
        .get(option)
        .and_then(|o| o.1.iter().position(|v| v == value))
        .unwrap_or(0);
    p.id * 100 + option as u64 * 10 + pos as u64
}

/// A v3 variant; `locations` maps stock to BigCommerce location ids.
pub(super) fn v3_variant(p: &SimProduct, v: &SimVariant) -> Value {
    json!({
        "id": v.id,
        "product_id": p.id,
        "sku": v.sku,
        "sku_id": v.inventory_item_id,
        "price": v3_number(v.price),
        "calculated_price": v3_number(v.price),
        "sale_price": 0,
        "retail_price": v3_number(v.compare_at_price.unwrap_or(Decimal::ZERO)),
        "map_price": 0,
        "weight": v3_number(Decimal::new(i64::from(v.weight_grams), 3)),
        "calculated_weight": v3_number(Decimal::new(i64::from(v.weight_grams), 3)),
        "width": 0,
        "height": 0,
        "depth": 0,
        "is_free_shipping": false,
        "fixed_cost_shipping_price": 0,
        "purchasing_disabled": false,
        "purchasing_disabled_message": "",
        "image_url": "",
        "cost_price": 0,
        "upc": v.barcode.clone().unwrap_or_default(),
        "mpn": "",
        "gtin": "",
        "inventory_level": v.total_stock().max(0),
        "inventory_warning_level": 0,
        "bin_picking_number": "",
        "option_values": v.option_values.iter().enumerate().map(|(i, value)| json!({
            "id": value_id(p, i, value),
            "label": value,
            "option_id": option_id(p, i),
            "option_display_name": p.options.get(i).map(|o| o.0.clone()).unwrap_or_default(),
        })).collect::<Vec<_>>(),
    })
}

/// Which sub-resources `include=` asked for.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Include {
    pub(super) variants: bool,
    pub(super) images: bool,
    pub(super) options: bool,
}

/// A v3 catalog product.
pub(super) fn v3_product(p: &SimProduct, include: Include) -> Value {
    let first = &p.variants[0];
    let tracking = if p.options.is_empty() {
        "product"
    } else {
        "variant"
    };
    let stock: i64 = p.variants.iter().map(|v| v.total_stock().max(0)).sum();
    let mut out = json!({
        "id": p.id,
        "name": p.title,
        "type": "physical",
        "sku": if p.options.is_empty() { first.sku.clone() } else { String::new() },
        "description": p.description_html,
        "weight": v3_number(Decimal::new(i64::from(first.weight_grams), 3)),
        "width": 0,
        "depth": 0,
        "height": 0,
        "price": v3_number(first.price),
        "cost_price": 0,
        "retail_price": v3_number(first.compare_at_price.unwrap_or(Decimal::ZERO)),
        "sale_price": 0,
        "map_price": 0,
        "tax_class_id": 0,
        "product_tax_code": "",
        "calculated_price": v3_number(first.price),
        "categories": p.category_ids,
        "brand_id": brand_id(&p.vendor),
        "option_set_id": null,
        "option_set_display": "right",
        "inventory_level": stock,
        "inventory_warning_level": 0,
        "inventory_tracking": tracking,
        "total_sold": 0,
        "fixed_cost_shipping_price": 0,
        "is_free_shipping": false,
        "is_visible": p.status != SimProductStatus::Draft,
        "is_featured": false,
        "related_products": [-1],
        "warranty": "",
        "bin_picking_number": "",
        "layout_file": "product.html",
        "upc": "",
        "mpn": "",
        "gtin": "",
        "search_keywords": p.tags.join(", "),
        "availability": if p.status == SimProductStatus::Archived { "disabled" } else { "available" },
        "availability_description": "",
        "sort_order": 0,
        "condition": "New",
        "is_condition_shown": false,
        "page_title": "",
        "meta_keywords": [],
        "meta_description": "",
        "date_created": iso(p.created_at),
        "date_modified": iso(p.updated_at),
        "view_count": 0,
        "preorder_release_date": null,
        "preorder_message": "",
        "is_preorder_only": false,
        "is_price_hidden": false,
        "price_hidden_label": "",
        "open_graph_use_meta_description": true,
        "open_graph_use_product_name": true,
        "open_graph_description": "",
        "open_graph_use_image": true,
        "open_graph_type": "product",
        "open_graph_title": "",
        "gift_wrapping_options_type": "any",
        "gift_wrapping_options_list": [],
        "order_quantity_minimum": 0,
        "order_quantity_maximum": 0,
        "reviews_rating_sum": 0,
        "reviews_count": 0,
        "custom_url": { "url": format!("/{}/", p.handle), "is_customized": false },
        "base_variant_id": if p.options.is_empty() { Some(first.id) } else { None },
    });
    if include.variants {
        out["variants"] = p.variants.iter().map(|v| v3_variant(p, v)).collect();
    }
    if include.images {
        out["images"] = p
            .images
            .iter()
            .map(|i| {
                json!({
                    "id": i.id,
                    "product_id": p.id,
                    "is_thumbnail": i.position == 1,
                    "sort_order": i.position,
                    "description": i.alt,
                    "image_file": format!("a/{}/{}.jpg", i.id % 1000, p.handle),
                    "url_zoom": i.url,
                    "url_standard": i.url,
                    "url_thumbnail": i.url,
                    "url_tiny": i.url,
                    "date_modified": iso(p.updated_at),
                })
            })
            .collect();
    }
    if include.options {
        out["options"] = p
            .options
            .iter()
            .enumerate()
            .map(|(i, (name, values))| {
                json!({
                    "id": option_id(p, i),
                    "product_id": p.id,
                    "name": format!("{name} ({})", p.id),
                    "display_name": name,
                    "type": "rectangles",
                    "sort_order": i,
                    "option_values": values.iter().enumerate().map(|(j, v)| json!({
                        "id": value_id(p, i, v),
                        "label": v,
                        "sort_order": j,
                        "value_data": {},
                        "is_default": false,
                    })).collect::<Vec<_>>(),
                    "config": [],
                })
            })
            .collect();
    }
    out
}

/// A v3 customer, with `addresses` when included.
pub(super) fn v3_customer(c: &SimCustomer, addresses: bool) -> Value {
    let mut out = json!({
        "id": c.id,
        "authentication": { "force_password_reset": false },
        "company": c.addresses.first().and_then(|a| a.company.clone()).unwrap_or_default(),
        "customer_group_id": 0,
        "email": c.email,
        "first_name": c.first_name,
        "last_name": c.last_name,
        "notes": "",
        "phone": opt(&c.phone),
        "registration_ip_address": "",
        "tax_exempt_category": "",
        "date_created": iso(c.created_at),
        "date_modified": iso(c.updated_at),
        "accepts_product_review_abandoned_cart_emails": c.accepts_marketing,
        "channel_ids": [1],
        "address_count": c.addresses.len(),
        "store_credit_amounts": [{ "amount": 0 }],
        "shopper_profile_id": format!("{:08x}-0000-4000-8000-{:012x}", c.id, c.id),
        "segment_ids": [],
    });
    if addresses {
        out["addresses"] = v3_customer_addresses(c).into();
    }
    out
}

/// A customer's addresses (`include=addresses`, `/v3/customers/addresses`).
pub(super) fn v3_customer_addresses(c: &SimCustomer) -> Vec<Value> {
    c.addresses
        .iter()
        .enumerate()
        .map(|(i, a)| {
            json!({
                "id": c.id * 10 + i as u64,
                "customer_id": c.id,
                "first_name": a.first_name,
                "last_name": a.last_name,
                "company": opt(&a.company),
                "address1": a.address1,
                "address2": opt(&a.address2),
                "city": a.city,
                "state_or_province": a.province,
                "postal_code": a.zip,
                "country": a.country,
                "country_code": a.country_code,
                "phone": opt(&a.phone),
                "address_type": if a.company.is_some() { "commercial" } else { "residential" },
            })
        })
        .collect()
}

/// A `/v3/catalog/categories` item.
pub(super) fn v3_category(c: &SimCategory) -> Value {
    json!({
        "id": c.id,
        "parent_id": c.parent_id.unwrap_or(0),
        "name": c.name,
        "description": c.description_html,
        "views": 0,
        "sort_order": c.position,
        "page_title": "",
        "meta_keywords": [""],
        "meta_description": "",
        "layout_file": "category.html",
        "image_url": "",
        "is_visible": true,
        "search_keywords": "",
        "default_product_sort": "use_store_settings",
        "custom_url": { "url": format!("/{}/", c.handle), "is_customized": false },
    })
}

/// A `/v3/catalog/trees/categories` item (tree 1).
pub(super) fn v3_tree_category(c: &SimCategory) -> Value {
    json!({
        "category_id": c.id,
        "category_uuid": format!("00000000-0000-4000-8000-{:012x}", c.id),
        "parent_id": c.parent_id.unwrap_or(0),
        "tree_id": 1,
        "name": c.name,
        "description": c.description_html,
        "views": 0,
        "sort_order": c.position,
        "page_title": "",
        "meta_keywords": [],
        "meta_description": "",
        "layout_file": "category.html",
        "image_url": "",
        "is_visible": true,
        "search_keywords": "",
        "default_product_sort": "use_store_settings",
        "url": { "path": format!("/{}/", c.handle), "is_customized": false },
    })
}

/// A `/v3/inventory/items` item: the variant at every location (BigCommerce location
/// ids are 1-based positions in the generated store's location list).
pub(super) fn v3_inventory_item(
    p: &SimProduct,
    v: &SimVariant,
    locations: &[(u64, String)],
) -> Value {
    let simple = p.options.is_empty();
    json!({
        "identity": {
            "sku": v.sku,
            "variant_id": v.id,
            "product_id": p.id,
            "sku_id": if simple { None } else { Some(v.inventory_item_id) },
        },
        "locations": locations.iter().enumerate().map(|(i, (_, name))| {
            let on_hand = v.stock.get(i).map_or(0, |s| s.1).max(0);
            json!({
                "location_id": i + 1,
                "location_code": format!("BC-LOCATION-{}", i + 1),
                "location_name": name,
                "available_to_sell": on_hand,
                "total_inventory_onhand": on_hand,
                "location_enabled": true,
                "settings": { "safety_stock": 0, "is_in_stock": on_hand > 0, "warning_level": 0, "bin_picking_number": "" },
            })
        }).collect::<Vec<_>>(),
    })
}

/// A `/v3/inventory/locations` item.
pub(super) fn v3_location(index: usize, name: &str, created: DateTime<Utc>) -> Value {
    json!({
        "id": index + 1,
        "code": format!("BC-LOCATION-{}", index + 1),
        "label": name,
        "description": "",
        "managed_by_external_source": false,
        "type_id": "PHYSICAL",
        "enabled": true,
        "storefront_visibility": true,
        "time_zone": "UTC",
        "created_at": iso(created),
        "updated_at": iso(created),
    })
}
