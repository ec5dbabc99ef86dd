//! Renders the simulator's generated store as Shopify REST Admin JSON, shaped after
//! the real payloads in `fixtures/shopify` (field names, `*_set` money pairs, GIDs,
//! timestamps with the shop's UTC offset, comma-joined tags).

use chrono::{DateTime, Utc};
use polycart_kit::sim::{
    SimAddress, SimCategory, SimCustomer, SimFinancial, SimFulfillment, SimLocation, SimOrder,
    SimOrderState, SimPresentment, SimProduct, SimProductStatus, SimStore, SimVariant,
};
use rust_decimal::Decimal;
use serde_json::{Value, json};

/// A timestamp in the shop's local time with its UTC offset, as Shopify's REST API
/// writes every timestamp (see [`super::shop_clock`]).
pub(crate) fn shop_time(t: DateTime<Utc>) -> String {
    super::shop_clock::shop_time(t)
}

fn opt_time(t: Option<DateTime<Utc>>) -> Value {
    t.map_or(Value::Null, |t| Value::String(shop_time(t)))
}

/// An amount with two decimals, as Shopify writes money.
pub(crate) fn amount(d: Decimal) -> String {
    let mut d = d.round_dp(2);
    d.rescale(2);
    d.to_string()
}

/// An order's two currencies: the shop's, in which the generated amounts are, and
/// the buyer's (presentment) one, the same unless the buyer paid in another.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Currencies {
    pub(crate) shop: &'static str,
    presentment: Option<SimPresentment>,
}

impl Currencies {
    pub(crate) fn of(o: &SimOrder) -> Self {
        Self {
            shop: o.currency,
            presentment: o.presentment,
        }
    }

    /// The buyer's currency.
    pub(crate) fn buyer(&self) -> &'static str {
        self.presentment.map_or(self.shop, |p| p.currency)
    }

    /// One amount (a price, a tax line, a charge) as the buyer was shown it.
    pub(crate) fn convert(&self, d: Decimal) -> Decimal {
        self.presentment.map_or(d, |p| p.convert(d))
    }

    /// The `*_set` of one amount: the buyer's is converted from it.
    fn set(&self, d: Decimal) -> Value {
        self.set_of(d, self.convert(d))
    }

    /// The `*_set` of a sum: the buyer's is the sum of the buyer's parts (from
    /// [`SimOrder::presented`]), as a checkout adds them up.
    fn set_of(&self, shop: Decimal, buyer: Decimal) -> Value {
        json!({
            "shop_money": {"amount": amount(shop), "currency_code": self.shop},
            "presentment_money": {"amount": amount(buyer), "currency_code": self.buyer()},
        })
    }
}

/// The simulated shop's myshopify domain, for links Shopify builds on it.
const SHOP_DOMAIN: &str = "polycart-sim.myshopify.com";

/// An order's confirmation number: nine letters and digits, as Shopify shows buyers.
fn confirmation_number(id: u64) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ123456789";
    let mut n = id.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    (0..9)
        .map(|_| {
            let c = ALPHABET[(n % ALPHABET.len() as u64) as usize] as char;
            n /= ALPHABET.len() as u64;
            c
        })
        .collect()
}

pub(crate) fn gid(kind: &str, id: u64) -> String {
    format!("gid://shopify/{kind}/{id}")
}

/// How a collection of the generated store is served: Shopify's collections are flat
/// and either custom (products added by hand, through collects) or smart (rules).
pub(crate) fn is_smart(c: &SimCategory) -> bool {
    c.position % 3 == 2
}

fn address(a: &SimAddress) -> Value {
    json!({
        "first_name": a.first_name,
        "address1": a.address1,
        "phone": a.phone,
        "city": a.city,
        "zip": a.zip,
        "province": a.province,
        "country": a.country,
        "last_name": a.last_name,
        "address2": a.address2.clone().unwrap_or_default(),
        "company": a.company,
        "latitude": null,
        "longitude": null,
        "name": format!("{} {}", a.first_name, a.last_name),
        "country_code": a.country_code,
        "province_code": a.province_code,
    })
}

fn customer_address(a: &SimAddress, id: u64, customer_id: u64, default: bool) -> Value {
    let mut v = address(a);
    v["id"] = json!(id);
    v["customer_id"] = json!(customer_id);
    v["country_name"] = json!(a.country);
    v["default"] = json!(default);
    v.as_object_mut().expect("an object").remove("latitude");
    v.as_object_mut().expect("an object").remove("longitude");
    v
}

pub(crate) fn order_status(o: &SimOrder) -> &'static str {
    match o.state {
        SimOrderState::Cancelled => "cancelled",
        SimOrderState::Completed => "closed",
        _ => "open",
    }
}

fn financial(f: SimFinancial) -> &'static str {
    match f {
        SimFinancial::Pending => "pending",
        SimFinancial::Authorized => "authorized",
        SimFinancial::Paid => "paid",
        SimFinancial::PartiallyRefunded => "partially_refunded",
        SimFinancial::Refunded => "refunded",
        SimFinancial::Voided => "voided",
    }
}

fn fulfillment(f: SimFulfillment) -> Value {
    match f {
        SimFulfillment::Unfulfilled => Value::Null,
        SimFulfillment::Partial => json!("partial"),
        SimFulfillment::Fulfilled => json!("fulfilled"),
    }
}

/// A line item's unit weight in grams: its variant's.
fn line_grams(store: &SimStore, l: &polycart_kit::sim::SimLineItem) -> u32 {
    store
        .products
        .iter()
        .find(|p| p.id == l.product_id)
        .and_then(|p| p.variants.iter().find(|v| v.id == l.variant_id))
        .map_or(0, |v| v.weight_grams)
}

fn line_item(o: &SimOrder, l: &polycart_kit::sim::SimLineItem, shipped: u32, grams: u32) -> Value {
    let c = Currencies::of(o);
    json!({
        "id": l.id,
        "admin_graphql_api_id": gid("LineItem", l.id),
        "current_quantity": l.quantity,
        "fulfillable_quantity": l.quantity.saturating_sub(shipped),
        "fulfillment_service": "manual",
        "fulfillment_status": if shipped >= l.quantity { json!("fulfilled") } else if shipped > 0 { json!("partial") } else { Value::Null },
        "gift_card": false,
        "grams": grams,
        "name": if l.variant_title.is_empty() || l.variant_title == "Default Title" { l.title.clone() } else { format!("{} - {}", l.title, l.variant_title) },
        "price": amount(l.price),
        "price_set": c.set(l.price),
        "product_exists": true,
        "product_id": l.product_id,
        "properties": [],
        "quantity": l.quantity,
        "requires_shipping": true,
        "sku": l.sku,
        "taxable": true,
        "title": l.title,
        "total_discount": amount(l.discount),
        "total_discount_set": c.set(l.discount),
        "variant_id": l.variant_id,
        "variant_inventory_management": "shopify",
        "variant_title": l.variant_title,
        "vendor": null,
        "tax_lines": if l.tax.is_zero() { json!([]) } else { json!([{
            "channel_liable": false,
            "price": amount(l.tax),
            "price_set": c.set(l.tax),
            "rate": o.tax_rate.to_string().parse::<f64>().unwrap_or(0.0),
            "title": "Tax",
        }]) },
        "duties": [],
        "attributed_staffs": [],
        "discount_allocations": if l.discount.is_zero() { json!([]) } else { json!([{
            "amount": amount(l.discount),
            "amount_set": c.set(l.discount),
            "discount_application_index": 0,
        }]) },
    })
}

/// How many of a line item's units the order's shipments carry.
pub(crate) fn shipped(o: &SimOrder, line: u64) -> u32 {
    o.shipments
        .iter()
        .flat_map(|s| &s.lines)
        .filter(|(id, _)| *id == line)
        .map(|(_, q)| q)
        .sum()
}

/// A REST order (`orders/{id}.json`'s `order`).
pub(crate) fn order(o: &SimOrder, store: &SimStore) -> Value {
    let c = Currencies::of(o);
    let p = o.presented();
    let shipped = |line: u64| shipped(o, line);
    let customer = o
        .customer_id
        .and_then(|id| store.customers.iter().find(|c| c.id == id));
    let discount_total: Decimal = o.discount_codes.iter().map(|(_, a)| *a).sum();
    let closed_at = match o.state {
        SimOrderState::Completed => o.completed_at.or(Some(o.updated_at)),
        _ => None,
    };
    let refunded = o.refunded();
    let web = o.source == "web";
    let token = format!("{:032x}", o.id.wrapping_mul(0x2545_f491_4f6c_dd1d));
    let mut v = json!({
        "id": o.id,
        "admin_graphql_api_id": gid("Order", o.id),
        "app_id": null,
        "browser_ip": o.browser_ip,
        "buyer_accepts_marketing": customer.is_some_and(|c| c.accepts_marketing),
        "cancel_reason": o.cancel_reason,
        "cancelled_at": opt_time(o.cancelled_at),
        "closed_at": opt_time(closed_at),
        "confirmed": true,
        "contact_email": o.email,
        "created_at": shop_time(o.created_at),
        // The shop's currency; what the buyer paid in is `presentment_currency`.
        "currency": c.shop,
        "current_subtotal_price": amount(o.subtotal() - o.total_discount()),
        "current_total_price": amount(o.total() - refunded),
        "current_total_price_set": c.set_of(o.total() - refunded, p.total() - p.refunded()),
        "customer_locale": "en",
        // The generated codes take a percentage off every line: `amount` is the money
        // deducted, `type` how the code is computed.
        "discount_codes": o.discount_codes.iter().map(|(code, a)| json!({"code": code, "amount": amount(*a), "type": "percentage"})).collect::<Vec<_>>(),
        "email": o.email,
        "financial_status": financial(o.financial),
        "fulfillment_status": fulfillment(o.fulfillment),
        "name": format!("#{}", o.number),
        "note": o.note,
        "note_attributes": [],
        "number": o.number.saturating_sub(1000),
        "order_number": o.number,
        "phone": o.phone,
        "presentment_currency": c.buyer(),
        "processed_at": shop_time(o.created_at),
        "source_name": o.source,
        "subtotal_price": amount(o.subtotal() - o.total_discount()),
        "subtotal_price_set": c.set_of(o.subtotal() - o.total_discount(), p.subtotal() - p.total_discount()),
        "tags": o.tags.join(", "),
        "tax_lines": [],
        "taxes_included": false,
        "test": false,
        "total_discounts": amount(o.total_discount()),
        "total_discounts_set": c.set_of(o.total_discount(), p.total_discount()),
        "total_line_items_price": amount(o.subtotal()),
        "total_line_items_price_set": c.set_of(o.subtotal(), p.subtotal()),
        "total_outstanding": amount(match o.financial {
            SimFinancial::Pending | SimFinancial::Authorized => o.total(),
            _ => Decimal::ZERO,
        }),
        "total_price": amount(o.total()),
        "total_price_set": c.set_of(o.total(), p.total()),
        "total_shipping_price_set": c.set(o.shipping_price),
        "total_tax": amount(o.total_tax()),
        "total_tax_set": c.set_of(o.total_tax(), p.total_tax()),
        "total_weight": o.line_items.iter().map(|l| line_grams(store, l) * l.quantity).sum::<u32>(),
        "updated_at": shop_time(o.updated_at),
        "billing_address": address(&o.billing),
        // The order's customer as Shopify embeds it: the customer record with its
        // default address, without the address book.
        "customer": customer.map(|cu| {
            let mut c = self::customer(cu, store.currency);
            if let Some(obj) = c.as_object_mut() {
                obj.remove("addresses");
            }
            c
        }),
        "discount_applications": if discount_total.is_zero() && o.total_discount().is_zero() { json!([]) } else {
            json!([{
                "target_type": "line_item",
                "type": "discount_code",
                // A percentage code's `value` is its rate ("15.0"), not the money.
                "value": format!("{:.1}", o.discount_percent().unwrap_or_default()),
                "value_type": "percentage",
                "allocation_method": "across",
                "target_selection": "all",
                "code": o.discount_codes.first().map(|(code, _)| code.clone()).unwrap_or_default(),
            }])
        },
        "fulfillments": o.shipments.iter().map(|s| json!({
            "id": s.id,
            "admin_graphql_api_id": gid("Fulfillment", s.id),
            "created_at": shop_time(s.created_at),
            "location_id": store.locations.first().map(|l| l.id),
            "name": format!("#{}.{}", o.number, 1),
            "order_id": o.id,
            "service": "manual",
            "shipment_status": null,
            "status": s.status,
            "tracking_company": s.carrier,
            "tracking_number": s.tracking_number,
            "tracking_numbers": [s.tracking_number],
            "tracking_url": s.tracking_url,
            "tracking_urls": [s.tracking_url],
            "updated_at": shop_time(s.created_at),
            "origin_address": {},
            // What the (test) gateway answered when the fulfillment captured payment.
            "receipt": {"testcase": true, "authorization": format!("{}", s.id % 1_000_000)},
            "line_items": s.lines.iter().filter_map(|(id, q)| {
                let l = o.line_items.iter().find(|l| l.id == *id)?;
                let mut v = line_item(o, l, shipped(l.id), line_grams(store, l));
                v["quantity"] = json!(q);
                Some(v)
            }).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "line_items": o.line_items.iter().map(|l| line_item(o, l, shipped(l.id), line_grams(store, l))).collect::<Vec<_>>(),
        "refunds": o.refunds.iter().map(|r| refund(o, r, store)).collect::<Vec<_>>(),
        "shipping_address": address(&o.shipping_address),
        "shipping_lines": [{
            "id": o.id + 3,
            "carrier_identifier": null,
            "code": o.shipping_method,
            "discounted_price": amount(o.shipping_price),
            "discounted_price_set": c.set(o.shipping_price),
            "phone": null,
            "price": amount(o.shipping_price),
            "price_set": c.set(o.shipping_price),
            "source": o.shipping_carrier.to_lowercase(),
            "title": o.shipping_method,
            "tax_lines": [],
            "discount_allocations": [],
            "is_removed": false,
            "requested_fulfillment_service_id": null,
        }],
    });
    // The checkout and channel fields (one `json!` is too deep for all of them).
    let more = json!({
        "token": token,
        "cart_token": web.then(|| format!("{:032x}", o.id.wrapping_mul(0x9e37_79b9_7f4a_7c15))),
        "checkout_id": web.then_some(o.id + 11),
        "checkout_token": web.then(|| format!("{:032x}", o.id.wrapping_mul(0xc2b2_ae3d_27d4_eb4f))),
        "client_details": {
            "accept_language": null, "browser_height": null, "browser_ip": o.browser_ip,
            "browser_width": null, "session_hash": null, "user_agent": null,
        },
        "confirmation_number": confirmation_number(o.id),
        "current_subtotal_price_set": c.set_of(o.subtotal() - o.total_discount(), p.subtotal() - p.total_discount()),
        "current_total_discounts": amount(o.total_discount()),
        "current_total_discounts_set": c.set_of(o.total_discount(), p.total_discount()),
        "current_total_tax": amount(o.total_tax()),
        "current_total_tax_set": c.set_of(o.total_tax(), p.total_tax()),
        "current_total_additional_fees_set": null,
        "current_total_duties_set": null,
        "original_total_additional_fees_set": null,
        "original_total_duties_set": null,
        "device_id": null,
        "duties_included": false,
        "estimated_taxes": false,
        "landing_site": null,
        "landing_site_ref": null,
        "referring_site": null,
        "source_url": null,
        "source_identifier": null,
        "reference": null,
        "location_id": null,
        "user_id": null,
        "po_number": null,
        "payment_terms": null,
        "merchant_business_entity_id": "MTU0ODM4MDAwOQ",
        "merchant_of_record_app_id": null,
        "order_status_url": format!("https://{SHOP_DOMAIN}/548380009/orders/{token}/authenticate?key={:x}", o.id.wrapping_mul(31)),
        "payment_gateway_names": ["bogus"],
        "tax_exempt": false,
        "total_cash_rounding_payment_adjustment_set": c.set(Decimal::ZERO),
        "total_cash_rounding_refund_adjustment_set": c.set(Decimal::ZERO),
        "total_tip_received": amount(Decimal::ZERO),
    });
    if let (Some(obj), Value::Object(more)) = (v.as_object_mut(), more) {
        obj.extend(more);
    }
    v
}

/// A refund of an order, with its transaction and line items.
fn refund(o: &SimOrder, r: &polycart_kit::sim::SimRefund, store: &SimStore) -> Value {
    let c = Currencies::of(o);
    let shipped = |line: u64| shipped(o, line);
    json!({
            "id": r.id,
            "admin_graphql_api_id": gid("Refund", r.id),
            "created_at": shop_time(r.created_at),
            "note": r.note,
            "order_id": o.id,
            "processed_at": shop_time(r.created_at),
            "restock": true,
            "user_id": null,
            "order_adjustments": [],
            "additional_fees": [],
            "total_additional_fees_set": c.set(Decimal::ZERO),
            "total_duties_set": c.set(Decimal::ZERO),
            "transactions": [refund_transaction(o, r)],
            "refund_line_items": r.lines.iter().map(|(line, q, a)| json!({
                "id": line + r.id,
                "line_item_id": line,
                "quantity": q,
                "restock_type": "return",
                "subtotal": a.to_string().parse::<f64>().unwrap_or(0.0),
                "subtotal_set": c.set(*a),
                "total_tax": 0.0,
                "total_tax_set": c.set(Decimal::ZERO),
                "location_id": store.locations.first().map(|l| l.id),
                "line_item": o.line_items.iter().find(|l| l.id == *line).map(|l| line_item(o, l, shipped(l.id), line_grams(store, l))),
            })).collect::<Vec<_>>(),
            "duties": [],
    })
}

/// The refund's transaction on the order's gateway, in the buyer's currency (Shopify
/// refunds a multi-currency order in its presentment currency).
fn refund_transaction(o: &SimOrder, r: &polycart_kit::sim::SimRefund) -> Value {
    let c = Currencies::of(o);
    let paid_back = c.convert(r.amount);
    json!({
                "id": r.id + 7,
                "admin_graphql_api_id": gid("OrderTransaction", r.id + 7),
                "amount": amount(paid_back),
                "currency": c.buyer(),
                "kind": "refund",
                "status": "success",
                "gateway": "bogus",
                "order_id": o.id,
                "created_at": shop_time(r.created_at),
                "processed_at": shop_time(r.created_at),
                "test": false,
                "authorization": null,
                "device_id": null,
                "error_code": null,
                "location_id": null,
                "message": format!("Refunded {} from the bogus gateway", amount(paid_back)),
                "parent_id": null,
                "payment_id": format!("#{}.{}", o.number, r.id % 100),
                "receipt": {},
                "source_name": "web",
                "user_id": null,
    })
}

fn variant(p: &SimProduct, v: &SimVariant, position: usize, currency: &str) -> Value {
    let opt = |i: usize| {
        v.option_values
            .get(i)
            .cloned()
            .map_or(Value::Null, Value::String)
    };
    let simple = p.options.is_empty();
    json!({
        "id": v.id,
        "product_id": p.id,
        "title": v.title,
        "price": amount(v.price),
        "position": position + 1,
        "inventory_policy": "deny",
        "compare_at_price": v.compare_at_price.map(amount),
        "option1": if simple { json!("Default Title") } else { opt(0) },
        "option2": opt(1),
        "option3": opt(2),
        "created_at": shop_time(v.created_at),
        "updated_at": shop_time(v.updated_at),
        "taxable": true,
        "barcode": v.barcode,
        "fulfillment_service": "manual",
        "grams": v.weight_grams,
        "inventory_management": "shopify",
        "requires_shipping": true,
        "sku": v.sku,
        "weight": f64::from(v.weight_grams) / 1000.0,
        "weight_unit": "kg",
        "inventory_item_id": v.inventory_item_id,
        "inventory_quantity": v.total_stock(),
        "old_inventory_quantity": v.total_stock(),
        "presentment_prices": [{
            "price": {"amount": amount(v.price), "currency_code": currency},
            "compare_at_price": v.compare_at_price.map(|c| json!({"amount": amount(c), "currency_code": currency})),
        }],
        "admin_graphql_api_id": gid("ProductVariant", v.id),
        "image_id": null,
    })
}

pub(crate) fn product_status(s: SimProductStatus) -> &'static str {
    match s {
        SimProductStatus::Active => "active",
        SimProductStatus::Draft => "draft",
        SimProductStatus::Archived => "archived",
    }
}

/// A REST product with variants, options and images.
pub(crate) fn product(p: &SimProduct, currency: &str) -> Value {
    let options = if p.options.is_empty() {
        json!([{"id": p.id + 1, "product_id": p.id, "name": "Title", "position": 1, "values": ["Default Title"]}])
    } else {
        Value::Array(
            p.options
                .iter()
                .enumerate()
                .map(|(i, (name, values))| {
                    json!({"id": p.id * 10 + i as u64, "product_id": p.id, "name": name, "position": i + 1, "values": values})
                })
                .collect(),
        )
    };
    let images: Vec<Value> = p
        .images
        .iter()
        .map(|im| {
            json!({
                "id": im.id,
                "alt": im.alt,
                "position": im.position,
                "product_id": p.id,
                "created_at": shop_time(p.created_at),
                "updated_at": shop_time(p.updated_at),
                "admin_graphql_api_id": gid("ProductImage", im.id),
                "width": 1024,
                "height": 1024,
                "src": im.url,
                "variant_ids": [],
            })
        })
        .collect();
    json!({
        "id": p.id,
        "title": p.title,
        "body_html": p.description_html,
        "vendor": p.vendor,
        "product_type": p.product_type,
        "created_at": shop_time(p.created_at),
        "handle": p.handle,
        "updated_at": shop_time(p.updated_at),
        "published_at": if p.status == SimProductStatus::Active { json!(shop_time(p.created_at)) } else { Value::Null },
        "template_suffix": null,
        "published_scope": "web",
        "tags": p.tags.join(", "),
        "status": product_status(p.status),
        "admin_graphql_api_id": gid("Product", p.id),
        "variants": p.variants.iter().enumerate().map(|(i, v)| variant(p, v, i, currency)).collect::<Vec<_>>(),
        "options": options,
        "images": images.clone(),
        "image": images.first().cloned().unwrap_or(Value::Null),
    })
}

/// A REST customer with addresses.
pub(crate) fn customer(c: &SimCustomer, currency: &str) -> Value {
    let addresses: Vec<Value> = c
        .addresses
        .iter()
        .enumerate()
        .map(|(i, a)| customer_address(a, c.id * 10 + i as u64, c.id, i == 0))
        .collect();
    json!({
        "id": c.id,
        "email": c.email,
        "created_at": shop_time(c.created_at),
        "updated_at": shop_time(c.updated_at),
        "first_name": c.first_name,
        "last_name": c.last_name,
        "orders_count": c.orders_count,
        "state": "enabled",
        "total_spent": amount(c.total_spent),
        "last_order_id": null,
        "note": null,
        "verified_email": true,
        "multipass_identifier": null,
        "tax_exempt": false,
        "tags": "",
        "last_order_name": null,
        "currency": currency,
        "phone": c.phone,
        "addresses": addresses.clone(),
        "tax_exemptions": [],
        "email_marketing_consent": {
            "state": if c.accepts_marketing { "subscribed" } else { "not_subscribed" },
            "opt_in_level": "single_opt_in",
            "consent_updated_at": shop_time(c.created_at),
        },
        "sms_marketing_consent": null,
        "admin_graphql_api_id": gid("Customer", c.id),
        "default_address": addresses.first().cloned().unwrap_or(Value::Null),
    })
}

/// A custom or smart collection.
pub(crate) fn collection(c: &SimCategory, products_count: usize) -> Value {
    let mut v = json!({
        "id": c.id,
        "handle": c.handle,
        "title": c.name,
        "updated_at": shop_time(c.updated_at),
        "body_html": c.description_html,
        "published_at": shop_time(c.created_at),
        "sort_order": "manual",
        "template_suffix": null,
        "published_scope": "web",
        "admin_graphql_api_id": gid("Collection", c.id),
        "image": null,
        "products_count": products_count,
    });
    if is_smart(c) {
        v["disjunctive"] = json!(false);
        v["rules"] = json!([{"column": "tag", "relation": "equals", "condition": c.handle}]);
    }
    v
}

/// An inventory level of one inventory item at one location.
pub(crate) fn inventory_level(
    item: u64,
    location: u64,
    available: i64,
    updated: DateTime<Utc>,
) -> Value {
    json!({
        "inventory_item_id": item,
        "location_id": location,
        "available": available,
        "updated_at": shop_time(updated),
        "admin_graphql_api_id": format!("gid://shopify/InventoryLevel/{location}?inventory_item_id={item}"),
    })
}

/// A location.
pub(crate) fn location(l: &SimLocation) -> Value {
    json!({
        "id": l.id,
        "name": l.name,
        "address1": null,
        "address2": null,
        "city": "Ottawa",
        "zip": null,
        "province": "Ontario",
        "country": "CA",
        "phone": null,
        "created_at": "2024-01-01T00:00:00-05:00",
        "updated_at": "2024-01-01T00:00:00-05:00",
        "country_code": "CA",
        "country_name": "Canada",
        "province_code": "ON",
        "legacy": false,
        "active": true,
        "admin_graphql_api_id": gid("Location", l.id),
    })
}

/// `shop.json`.
pub(crate) fn shop(store: &SimStore, domain: &str, plan: &str) -> Value {
    json!({
        "id": 548380009,
        "name": store.name,
        "email": "owner@example.com",
        "domain": domain,
        "province": "Ontario",
        "country": "CA",
        "address1": "150 Elgin Street",
        "zip": "K2P 1L4",
        "city": "Ottawa",
        "source": null,
        "phone": "+16135550100",
        "latitude": 45.42,
        "longitude": -75.69,
        "primary_locale": "en",
        "address2": "",
        "created_at": "2024-01-01T00:00:00-05:00",
        "updated_at": "2024-01-01T00:00:00-05:00",
        "country_code": "CA",
        "country_name": "Canada",
        "currency": store.currency,
        "customer_email": "owner@example.com",
        "timezone": super::shop_clock::TIMEZONE,
        "iana_timezone": super::shop_clock::IANA_TIMEZONE,
        "shop_owner": "Polycart Simulator",
        "money_format": "${{amount}}",
        "weight_unit": "kg",
        "province_code": "ON",
        "taxes_included": false,
        "plan_display_name": if plan == "plus" { "Shopify Plus" } else { "Basic" },
        "plan_name": if plan == "plus" { "shopify_plus" } else { "basic" },
        "myshopify_domain": domain,
        "primary_location_id": store.locations.first().map(|l| l.id),
        "enabled_presentment_currencies": store.currencies(),
        "has_storefront": true,
        "password_enabled": false,
    })
}
