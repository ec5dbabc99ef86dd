//! The simulator's JSON: the generated store in the shapes of Wix's documented
//! objects — eCommerce orders (amounts as decimal strings with `formattedAmount`, the
//! currency on the order, `priceSummary`, `balanceSummary`), Order Fulfillments,
//! Catalog V1 products (prices as numbers with their currency, managed variants or
//! the default variant), collections and Contacts v4 contacts. Ids are GUIDs made
//! from the generated numbers ([`guid`]).

use chrono::{DateTime, SecondsFormat, Utc};
use polycart_kit::sim::{
    SimAddress, SimCategory, SimCustomer, SimFinancial, SimFulfillment, SimOrder, SimOrderState,
    SimProduct, SimProductStatus, SimShipment,
};
use rust_decimal::Decimal;
use serde_json::{Value, json};

/// What a GUID names (its first group), so ids of different kinds never collide.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u32)]
pub enum Kind {
    Order = 0x0e0c_0001,
    LineItem = 0x0e0c_0002,
    Fulfillment = 0x0e0c_0003,
    Payment = 0x0e0c_0004,
    Refund = 0x0e0c_0005,
    Product = 0x5707_0001,
    Variant = 0x5707_0002,
    Collection = 0x5707_0003,
    Contact = 0xc0c7_0001,
}

/// The default variant of a product without managed variants.
pub const DEFAULT_VARIANT: &str = "00000000-0000-0000-0000-000000000000";

/// The app id Wix Stores' catalog items are referenced by.
pub(super) const STORES_APP_ID: &str = "215238eb-22a5-4c36-9e7b-e7c08025e04e";

/// The GUID of generated record `n` of `kind`.
pub fn guid(kind: Kind, n: u64) -> String {
    format!("{:08x}-0000-4000-8000-{n:012x}", kind as u32)
}

/// The generated number behind a GUID of `kind`.
pub fn number(kind: Kind, id: &str) -> Option<u64> {
    let (head, tail) = id.split_once('-')?;
    let last = id.rsplit('-').next()?;
    (u32::from_str_radix(head, 16).ok()? == kind as u32 && tail.len() == 27 && last.len() == 12)
        .then(|| u64::from_str_radix(last, 16).ok())
        .flatten()
}

/// `2023-11-10T08:28:58.917Z`.
pub(super) fn date(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn symbol(currency: &str) -> &'static str {
    match currency {
        "USD" | "CAD" | "AUD" => "$",
        "EUR" => "€",
        "GBP" => "£",
        _ => "",
    }
}

/// `{"amount": "10.5", "formattedAmount": "$10.50"}`.
pub(super) fn price(d: Decimal, currency: &str) -> Value {
    json!({
        "amount": d.normalize().to_string(),
        "formattedAmount": format!("{}{:.2}", symbol(currency), d),
    })
}

/// A Catalog V1 price as a JSON number.
fn num(d: Decimal) -> Value {
    serde_json::from_str(&d.normalize().to_string()).unwrap_or(Value::Null)
}

fn address(a: &SimAddress) -> Value {
    json!({
        "country": a.country_code,
        "subdivision": format!("{}-{}", a.country_code, a.province_code),
        "city": a.city,
        "postalCode": a.zip,
        "addressLine1": a.address1,
        "addressLine2": a.address2,
    })
}

fn contact_details(a: &SimAddress) -> Value {
    json!({
        "firstName": a.first_name,
        "lastName": a.last_name,
        "phone": a.phone,
        "company": a.company,
    })
}

/// Wix's `status`: failed checkouts stay `INITIALIZED` (which search never returns).
pub(super) fn status(o: &SimOrder) -> &'static str {
    match o.state {
        SimOrderState::Cancelled => "CANCELED",
        SimOrderState::Failed => "INITIALIZED",
        _ => "APPROVED",
    }
}

fn payment_status(o: &SimOrder) -> &'static str {
    match o.financial {
        SimFinancial::Pending => "NOT_PAID",
        SimFinancial::Authorized => "AUTHORIZED",
        SimFinancial::Paid => "PAID",
        SimFinancial::PartiallyRefunded => "PARTIALLY_REFUNDED",
        SimFinancial::Refunded => "FULLY_REFUNDED",
        SimFinancial::Voided => "VOIDED",
    }
}

/// How much of line `line` the order's fulfillments shipped.
pub(super) fn shipped(o: &SimOrder, line: u64) -> u32 {
    o.shipments
        .iter()
        .flat_map(|s| &s.lines)
        .filter(|(id, _)| *id == line)
        .map(|(_, q)| q)
        .sum()
}

fn fulfillment_status(o: &SimOrder) -> &'static str {
    let total: u32 = o.line_items.iter().map(|l| l.quantity).sum();
    let done: u32 = o
        .line_items
        .iter()
        .map(|l| shipped(o, l.id).min(l.quantity))
        .sum();
    if total > 0 && done >= total {
        "FULFILLED"
    } else if done > 0 || o.fulfillment == SimFulfillment::Partial && !o.shipments.is_empty() {
        "PARTIALLY_FULFILLED"
    } else if o.shipments.is_empty() && o.fulfillment == SimFulfillment::Fulfilled {
        "FULFILLED"
    } else {
        "NOT_FULFILLED"
    }
}

/// One order as `GET /ecom/v1/orders/{id}` and the search write it.
pub fn render_order(o: &SimOrder) -> Value {
    let cur = o.currency;
    let p = |d: Decimal| price(d, cur);
    let paid = match o.financial {
        SimFinancial::Paid | SimFinancial::PartiallyRefunded | SimFinancial::Refunded => o.total(),
        _ => Decimal::ZERO,
    };
    let line_items: Vec<Value> = o
        .line_items
        .iter()
        .map(|l| {
            let mut reference = json!({
                "catalogItemId": guid(Kind::Product, l.product_id),
                "appId": STORES_APP_ID,
            });
            if l.variant_id != l.product_id {
                reference["options"] = json!({ "variantId": guid(Kind::Variant, l.variant_id) });
            }
            json!({
                "id": guid(Kind::LineItem, l.id),
                "productName": { "original": l.title, "translated": l.title },
                "catalogReference": reference,
                "quantity": l.quantity,
                "totalDiscount": p(l.discount),
                "descriptionLines": [],
                "physicalProperties": { "sku": l.sku, "shippable": true },
                "itemType": { "preset": "PHYSICAL" },
                "price": p(l.price),
                "priceBeforeDiscounts": p(l.price),
                "totalPriceBeforeTax": p(l.gross() - l.discount),
                "totalPriceAfterTax": p(l.gross() - l.discount + l.tax),
                "paymentOption": "FULL_PAYMENT_ONLINE",
                "taxDetails": { "taxRate": o.tax_rate.normalize().to_string(), "totalTax": p(l.tax) },
            })
        })
        .collect();
    let discounts: Vec<Value> = o
        .discount_codes
        .iter()
        .enumerate()
        .map(|(i, (code, amount))| {
            json!({
                "discountType": "GLOBAL",
                "lineItemIds": [],
                "coupon": { "id": guid(Kind::Order, 0xc0_0000 + i as u64), "code": code, "name": code, "amount": p(*amount) },
            })
        })
        .collect();
    json!({
        "id": guid(Kind::Order, o.id),
        "number": o.number.to_string(),
        "createdDate": date(o.created_at),
        "updatedDate": date(o.updated_at),
        "lineItems": line_items,
        "buyerInfo": {
            "contactId": o.customer_id.map(|c| guid(Kind::Contact, c)),
            "email": o.email,
        },
        "paymentStatus": payment_status(o),
        "fulfillmentStatus": fulfillment_status(o),
        "buyerLanguage": "en",
        "weightUnit": "KG",
        "currency": cur,
        "taxIncludedInPrices": false,
        "priceSummary": {
            "subtotal": p(o.subtotal()),
            "shipping": p(o.shipping_price),
            "tax": p(o.total_tax()),
            "discount": p(o.total_discount()),
            "totalPrice": p(o.total()),
            "total": p(o.total()),
            "totalWithGiftCard": p(o.total()),
            "totalWithoutGiftCard": p(o.total()),
            "totalAdditionalFees": p(Decimal::ZERO),
        },
        "billingInfo": {
            "address": address(&o.billing),
            "contactDetails": contact_details(&o.billing),
        },
        "shippingInfo": {
            "title": o.shipping_method,
            "logistics": {
                "shippingDestination": {
                    "address": address(&o.shipping_address),
                    "contactDetails": contact_details(&o.shipping_address),
                },
            },
            "cost": { "price": p(o.shipping_price) },
        },
        "buyerNote": o.note,
        "status": status(o),
        "archived": false,
        "taxSummary": { "totalTax": p(o.total_tax()) },
        "appliedDiscounts": discounts,
        "channelInfo": { "type": "WEB" },
        "seenByAHuman": true,
        "balanceSummary": {
            "balance": p(o.total() - paid),
            "paid": p(paid),
            "refunded": p(o.refunded()),
        },
    })
}

/// One fulfillment (Order Fulfillments API).
pub(super) fn render_fulfillment(s: &SimShipment) -> Value {
    json!({
        "id": guid(Kind::Fulfillment, s.id),
        "createdDate": date(s.created_at),
        "lineItems": s.lines.iter().map(|(id, q)| json!({ "id": guid(Kind::LineItem, *id), "quantity": q })).collect::<Vec<_>>(),
        "trackingInfo": {
            "trackingNumber": s.tracking_number,
            "shippingProvider": s.carrier,
            "trackingLink": s.tracking_url,
        },
    })
}

/// `{"orderId", "fulfillments"}` of one order.
pub fn order_with_fulfillments(o: &SimOrder) -> Value {
    json!({
        "orderId": guid(Kind::Order, o.id),
        "fulfillments": o.shipments.iter().map(render_fulfillment).collect::<Vec<_>>(),
    })
}

/// `{"orderId", "payments", "refunds"}` of one order (Order Transactions): one card
/// payment of the total when it was paid, and the generated refunds against it.
pub fn order_transactions(o: &SimOrder) -> Value {
    let cur = o.currency;
    let paid = matches!(
        o.financial,
        SimFinancial::Paid | SimFinancial::PartiallyRefunded | SimFinancial::Refunded
    );
    let payment_id = guid(Kind::Payment, o.id);
    let payments: Vec<Value> = paid
        .then(|| {
            json!({
                "id": payment_id,
                "regularPaymentDetails": {
                    "paymentMethod": "Stripe",
                    "offlinePayment": false,
                    "status": if o.refunds.is_empty() { "APPROVED" } else { "REFUNDED" },
                },
                "createdDate": date(o.created_at),
                "updatedDate": date(o.updated_at),
                "amount": price(o.total(), cur),
                "refundDisabled": false,
            })
        })
        .into_iter()
        .collect();
    let refunds: Vec<Value> = o
        .refunds
        .iter()
        .map(|r| {
            json!({
                "id": guid(Kind::Refund, r.id),
                "createdDate": date(r.created_at),
                "transactions": [{
                    "paymentId": payment_id,
                    "amount": price(r.amount, cur),
                    "refundStatus": "COMPLETED",
                    "externalRefund": false,
                }],
                "details": {
                    "items": r.lines.iter().map(|(id, q, _)| json!({ "lineItemId": guid(Kind::LineItem, *id), "quantity": q })).collect::<Vec<_>>(),
                    "shippingIncluded": false,
                    "reason": r.note,
                },
            })
        })
        .collect();
    json!({ "orderId": guid(Kind::Order, o.id), "payments": payments, "refunds": refunds })
}

/// The variant ids a product lists: its own GUIDs when it manages variants, else the
/// default variant.
pub(super) fn variant_id(p: &SimProduct, index: usize) -> String {
    if p.variants.len() > 1 {
        guid(Kind::Variant, p.variants[index].id)
    } else {
        DEFAULT_VARIANT.to_owned()
    }
}

fn price_data(d: Decimal, currency: &str) -> Value {
    json!({
        "currency": currency,
        "price": num(d),
        "discountedPrice": num(d),
        "formatted": {
            "price": format!("{}{:.2}", symbol(currency), d),
            "discountedPrice": format!("{}{:.2}", symbol(currency), d),
        },
    })
}

/// One Catalog V1 product (its variants when `variants`).
pub fn render_product(p: &SimProduct, currency: &str, variants: bool) -> Value {
    let first = p.variants.first();
    let base = first.map_or(Decimal::ZERO, |v| v.price);
    let total: i64 = p.variants.iter().map(|v| v.total_stock()).sum();
    let grams = |g: u32| num(Decimal::from(g) / Decimal::from(1000));
    let mut v = json!({
        "id": guid(Kind::Product, p.id),
        "name": p.title,
        "slug": p.handle,
        "visible": p.status == SimProductStatus::Active,
        "productType": "physical",
        "description": p.description_html,
        "sku": first.map(|v| v.sku.clone()),
        "weight": first.map_or(Value::Null, |v| grams(v.weight_grams)),
        "stock": {
            "trackInventory": true,
            "quantity": total,
            "inStock": total > 0,
            "inventoryStatus": if total > 0 { "IN_STOCK" } else { "OUT_OF_STOCK" },
        },
        "price": price_data(base, currency),
        "priceData": price_data(base, currency),
        "convertedPriceData": price_data(base, currency),
        "additionalInfoSections": [{ "title": "Shipping", "description": "<p>Ships in 2 business days.</p>" }],
        "ribbons": p.tags.first().map(|t| json!({ "text": t })).into_iter().collect::<Vec<_>>(),
        "ribbon": p.tags.first().cloned().unwrap_or_default(),
        "media": {
            "mainMedia": p.images.first().map(|i| json!({ "image": { "url": i.url, "altText": i.alt } })),
            "items": p.images.iter().map(|i| json!({
                "image": { "url": i.url, "altText": i.alt },
                "mediaType": "image",
                "id": format!("{:x}_{}", p.id, i.id),
            })).collect::<Vec<_>>(),
        },
        "productOptions": p.options.iter().map(|(name, values)| json!({
            "optionType": "drop_down",
            "name": name,
            "choices": values.iter().map(|v| json!({ "value": v, "description": v, "inStock": true, "visible": true })).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "manageVariants": p.variants.len() > 1,
        "productPageUrl": { "base": "https://www.example.com/", "path": format!("/product-page/{}", p.handle) },
        "numericId": (1_500_000_000_000_000u64 + p.id).to_string(),
        "inventoryItemId": guid(Kind::Product, p.id + 0x1_0000_0000),
        "collectionIds": p.category_ids.iter().map(|c| guid(Kind::Collection, *c)).collect::<Vec<_>>(),
        "brand": p.vendor,
        "createdDate": date(p.created_at),
        "lastUpdated": date(p.updated_at),
    });
    if variants {
        let names: Vec<&String> = p.options.iter().map(|(n, _)| n).collect();
        v["variants"] = p
            .variants
            .iter()
            .enumerate()
            .map(|(i, variant)| {
                json!({
                    "id": variant_id(p, i),
                    "choices": names.iter().zip(&variant.option_values).map(|(n, val)| ((*n).clone(), json!(val))).collect::<serde_json::Map<_, _>>(),
                    "variant": {
                        "priceData": price_data(variant.price, currency),
                        "convertedPriceData": price_data(variant.price, currency),
                        "weight": grams(variant.weight_grams),
                        "sku": variant.sku,
                        "visible": true,
                    },
                    "stock": {
                        "trackQuantity": true,
                        "quantity": variant.total_stock(),
                        "inStock": variant.total_stock() > 0,
                    },
                })
            })
            .collect();
    }
    v
}

/// One collection; `count` is how many products it holds.
pub fn render_collection(c: &SimCategory, count: usize) -> Value {
    json!({
        "id": guid(Kind::Collection, c.id),
        "name": c.name,
        "slug": c.handle,
        "visible": true,
        "numberOfProducts": count,
        "description": c.description_html,
        "media": { "items": [] },
    })
}

/// One Contacts v4 contact.
pub fn render_contact(c: &SimCustomer) -> Value {
    json!({
        "id": guid(Kind::Contact, c.id),
        "revision": "1",
        "source": { "sourceType": "WIX_SITE_MEMBERS" },
        "createdDate": date(c.created_at),
        "updatedDate": date(c.updated_at),
        "primaryInfo": { "email": c.email, "phone": c.phone },
        "info": {
            "name": { "first": c.first_name, "last": c.last_name },
            "emails": { "items": [{ "tag": "MAIN", "email": c.email, "primary": true }] },
            "phones": { "items": c.phone.iter().map(|p| json!({ "tag": "MOBILE", "phone": p, "primary": true })).collect::<Vec<_>>() },
            "addresses": { "items": c.addresses.iter().enumerate().map(|(i, a)| json!({
                "tag": if i == 0 { "SHIPPING" } else { "HOME" },
                "address": {
                    "addressLine": a.address1,
                    "addressLine2": a.address2,
                    "city": a.city,
                    "subdivision": format!("{}-{}", a.country_code, a.province_code),
                    "country": a.country_code,
                    "postalCode": a.zip,
                },
            })).collect::<Vec<_>>() },
            "company": c.addresses.first().and_then(|a| a.company.clone()),
        },
    })
}
