//! eBay's JSON rendered from the simulator's data, after the Sell APIs' reference
//! (Fulfillment `Order`, `ShippingFulfillment`; Inventory `InventoryItem`, `Offer`):
//! money as `{"value": "12.34", "currency": "USD"}`, times in UTC with milliseconds,
//! ids as strings. Values are the generated store's, illustrative.

use chrono::{DateTime, Duration, Utc};
use polycart_kit::sim::{
    SimAddress, SimFinancial, SimFulfillment, SimOrder, SimOrderState, SimShipment, cents,
};
use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::Item;

/// `2025-03-01T10:00:00.000Z`.
pub(super) fn time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

fn amount(value: Decimal, currency: &str) -> Value {
    let mut v = cents(value);
    v.rescale(2);
    json!({ "value": v.to_string(), "currency": currency })
}

/// An amount the seller receives in `currency` that the buyer paid as `from` in
/// another currency (`convertedFromValue`/`convertedFromCurrency`), when they did.
fn converted(value: Decimal, currency: &str, from: Option<(Decimal, &str)>) -> Value {
    let mut a = amount(value, currency);
    if let Some((v, c)) = from
        && c != currency
    {
        let mut v = cents(v);
        v.rescale(2);
        a["convertedFromValue"] = json!(v.to_string());
        a["convertedFromCurrency"] = json!(c);
    }
    a
}

/// eBay's order id for a generated order (`12-34567-89012`).
pub fn order_id(o: &SimOrder) -> String {
    format!(
        "{:02}-{:05}-{:05}",
        10 + o.id % 90,
        (o.id / 100_000) % 100_000,
        o.id % 100_000
    )
}

/// eBay's line item id for a generated line.
pub fn line_item_id(id: u64) -> String {
    format!("{}", 10_000_000_000u64 + id)
}

fn contact(a: &SimAddress, email: Option<&str>) -> Value {
    let mut c = json!({
        "fullName": format!("{} {}", a.first_name, a.last_name),
        "contactAddress": {
            "addressLine1": a.address1,
            "city": a.city,
            "stateOrProvince": a.province_code,
            "postalCode": a.zip,
            "countryCode": a.country_code,
        },
    });
    if let Some(l2) = &a.address2 {
        c["contactAddress"]["addressLine2"] = json!(l2);
    }
    if let Some(company) = &a.company {
        c["companyName"] = json!(company);
    }
    if let Some(p) = &a.phone {
        c["primaryPhone"] = json!({ "phoneNumber": p });
    }
    if let Some(e) = email {
        c["email"] = json!(e);
    }
    c
}

/// How many of a line the order's shipments hold.
fn shipped(o: &SimOrder, line: u64) -> u32 {
    o.shipments
        .iter()
        .flat_map(|s| &s.lines)
        .filter(|(l, _)| *l == line)
        .map(|(_, q)| q)
        .sum()
}

/// A line's `lineItemFulfillmentStatus`.
pub(super) fn line_status(o: &SimOrder, line: u64, quantity: u32) -> &'static str {
    if o.shipments.is_empty() && o.fulfillment == SimFulfillment::Fulfilled {
        return "FULFILLED";
    }
    match shipped(o, line) {
        0 => "NOT_STARTED",
        n if n >= quantity => "FULFILLED",
        _ => "IN_PROGRESS",
    }
}

fn fulfillment_status(o: &SimOrder) -> &'static str {
    let statuses: Vec<&str> = o
        .line_items
        .iter()
        .map(|l| line_status(o, l.id, l.quantity))
        .collect();
    if !statuses.is_empty() && statuses.iter().all(|s| *s == "FULFILLED") {
        "FULFILLED"
    } else if statuses.iter().any(|s| *s != "NOT_STARTED") {
        "IN_PROGRESS"
    } else {
        "NOT_STARTED"
    }
}

fn payment_status(o: &SimOrder) -> &'static str {
    match o.financial {
        SimFinancial::Pending | SimFinancial::Authorized => "PENDING",
        SimFinancial::Paid => "PAID",
        SimFinancial::PartiallyRefunded => "PARTIALLY_REFUNDED",
        SimFinancial::Refunded => "FULLY_REFUNDED",
        SimFinancial::Voided => "FAILED",
    }
}

/// One shipping fulfillment, as `getShippingFulfillments` lists it.
pub fn render_fulfillment(s: &SimShipment) -> Value {
    json!({
        "fulfillmentId": s.tracking_number,
        "shipmentTrackingNumber": s.tracking_number,
        "shippingCarrierCode": s.carrier,
        "shippedDate": time(s.created_at),
        "lineItems": s.lines.iter().map(|(l, q)| json!({ "lineItemId": line_item_id(*l), "quantity": q })).collect::<Vec<_>>(),
    })
}

/// One order, as `getOrder` returns it (and `getOrders` lists it).
pub fn render_order(o: &SimOrder, origin: &str) -> Value {
    let cur = o.currency;
    let id = order_id(o);
    let cancelled = o.state == SimOrderState::Cancelled;
    let buyer = o
        .email
        .split('@')
        .next()
        .unwrap_or("buyer")
        .replace('.', "_");
    // What the buyer paid in their currency, when not the seller's: eBay converts every
    // amount to the seller's currency and keeps the buyer's as `convertedFrom…`.
    let presented = o.presented();
    let paid = o.presentment.map(|p| p.currency);
    let from = |f: fn(&SimOrder) -> Decimal| paid.map(|c| (f(&presented), c));
    let mut pricing = json!({
        "priceSubtotal": converted(o.subtotal(), cur, from(SimOrder::subtotal)),
        "deliveryCost": converted(o.shipping_price, cur, from(|o| o.shipping_price)),
        "tax": converted(o.total_tax(), cur, from(SimOrder::total_tax)),
        "total": converted(o.total(), cur, from(SimOrder::total)),
    });
    if !o.total_discount().is_zero() {
        // Shown as a negative amount (the discount taken off).
        pricing["priceDiscount"] =
            converted(-o.total_discount(), cur, from(|o| -o.total_discount()));
    }
    let mut cancel = json!({
        "cancelState": if cancelled { "CANCELED" } else { "NONE_REQUESTED" },
        "cancelRequests": [],
    });
    if let (true, Some(at)) = (cancelled, o.cancelled_at) {
        cancel["cancelledDate"] = json!(time(at));
    }
    let payment = if matches!(
        o.financial,
        SimFinancial::Pending | SimFinancial::Authorized
    ) {
        "PENDING"
    } else {
        "PAID"
    };
    let mut order = json!({
        "orderId": id,
        "legacyOrderId": format!("{}-{}", 110_000_000_000u64 + o.id, 2_000_000_000_000u64 + o.id),
        "creationDate": time(o.created_at),
        "lastModifiedDate": time(o.updated_at),
        "orderFulfillmentStatus": fulfillment_status(o),
        "orderPaymentStatus": payment_status(o),
        "sellerId": "sim_seller",
        "buyer": {
            "username": buyer,
            "taxAddress": {
                "city": o.billing.city,
                "stateOrProvince": o.billing.province_code,
                "postalCode": o.billing.zip,
                "countryCode": o.billing.country_code,
            },
            "buyerRegistrationAddress": contact(&o.billing, Some(&o.email)),
        },
        "pricingSummary": pricing,
        "cancelStatus": cancel,
        "paymentSummary": {
            "totalDueSeller": amount(o.total() - o.refunded(), cur),
            "refunds": o.refunds.iter().map(|r| json!({
                "refundId": format!("5{:09}", r.id),
                "refundDate": time(r.created_at),
                "amount": amount(r.amount, cur),
                "refundReferenceId": format!("R{}", r.id),
                "refundStatus": "REFUNDED",
            })).collect::<Vec<_>>(),
            "payments": [{
                "paymentMethod": "EBAY",
                "paymentReferenceId": format!("P{}", o.id),
                "paymentDate": time(o.created_at),
                "amount": amount(o.total(), cur),
                "paymentStatus": payment,
            }],
        },
        "fulfillmentStartInstructions": [{
            "fulfillmentInstructionsType": "SHIP_TO",
            "minEstimatedDeliveryDate": time(o.created_at + Duration::days(3)),
            "maxEstimatedDeliveryDate": time(o.created_at + Duration::days(7)),
            "ebaySupportedFulfillment": false,
            "shippingStep": {
                "shipTo": contact(&o.shipping_address, Some(&o.email)),
                "shippingCarrierCode": o.shipping_carrier,
                "shippingServiceCode": o.shipping_method,
            },
        }],
        "fulfillmentHrefs": o.shipments.iter().map(|s| format!(
            "{origin}/sell/fulfillment/v1/order/{id}/shipping_fulfillment/{}", s.tracking_number
        )).collect::<Vec<_>>(),
        "lineItems": o.line_items.iter().zip(&presented.line_items).map(|(l, pl)| {
            let mut line = json!({
                "lineItemId": line_item_id(l.id),
                "legacyItemId": format!("{}", 110_000_000_000u64 + l.product_id),
                "sku": l.sku,
                "title": if l.variant_title.is_empty() { l.title.clone() } else { format!("{} - {}", l.title, l.variant_title) },
                "lineItemCost": converted(l.gross(), cur, paid.map(|c| (pl.gross(), c))),
                "quantity": l.quantity,
                "soldFormat": "FIXED_PRICE",
                "listingMarketplaceId": "EBAY_US",
                "purchaseMarketplaceId": "EBAY_US",
                "lineItemFulfillmentStatus": line_status(o, l.id, l.quantity),
                "total": amount(l.gross() - l.discount + l.tax, cur),
                "deliveryCost": { "shippingCost": amount(Decimal::ZERO, cur) },
                "appliedPromotions": [],
                "taxes": [{ "amount": amount(l.tax, cur), "taxType": "STATE_SALES_TAX" }],
                "ebayCollectAndRemitTaxes": [{
                    "taxType": "STATE_SALES_TAX", "amount": amount(l.tax, cur), "collectionMethod": "NET",
                }],
                "lineItemFulfillmentInstructions": {
                    "minEstimatedDeliveryDate": time(o.created_at + Duration::days(3)),
                    "maxEstimatedDeliveryDate": time(o.created_at + Duration::days(7)),
                    "shipByDate": time(o.created_at + Duration::days(2)),
                    "guaranteedDelivery": false,
                },
                "properties": { "buyerProtection": true },
            });
            if !l.discount.is_zero() {
                line["appliedPromotions"] = json!([{
                    "promotionId": o.discount_codes.first().map_or("PROMO".to_owned(), |(c, _)| c.clone()),
                    "description": "Markdown sale",
                    "discountAmount": amount(l.discount, cur),
                }]);
            }
            line
        }).collect::<Vec<_>>(),
        "ebayCollectAndRemitTax": true,
        "salesRecordReference": o.number.to_string(),
        "totalFeeBasisAmount": amount(o.total(), cur),
    });
    if let Some(note) = &o.note {
        order["buyerCheckoutNotes"] = json!(note);
    }
    order
}

/// One inventory item, as `getInventoryItem` returns it.
pub fn render_item(i: &Item) -> Value {
    let mut v = json!({
        "sku": i.sku,
        "locale": "en_US",
        "product": {
            "title": i.title,
            "description": i.description,
            "aspects": { "Brand": [i.brand] },
            "brand": i.brand,
            "imageUrls": i.images,
        },
        "condition": "NEW",
        "availability": { "shipToLocationAvailability": {
            "quantity": i.quantity,
            "availabilityDistributions": i.stock.iter().map(|(key, q)| json!({
                "merchantLocationKey": key,
                "quantity": q,
                "fulfillmentTime": { "unit": "BUSINESS_DAY", "value": 1 },
            })).collect::<Vec<_>>(),
        } },
        "packageWeightAndSize": { "weight": { "unit": "GRAM", "value": i.grams } },
    });
    if let Some(g) = &i.group {
        v["groupIds"] = json!([g]);
    }
    v
}

/// The item's offer, as `getOffers` lists it.
pub fn render_offer(i: &Item, currency: &str) -> Value {
    json!({
        "offerId": i.offer_id,
        "sku": i.sku,
        "marketplaceId": "EBAY_US",
        "format": "FIXED_PRICE",
        "availableQuantity": i.quantity,
        "categoryId": "30120",
        "listingDescription": i.description,
        "listing": { "listingId": i.listing_id, "listingStatus": if i.published { "ACTIVE" } else { "ENDED" } },
        "pricingSummary": { "price": amount(i.price, currency) },
        "status": if i.published { "PUBLISHED" } else { "UNPUBLISHED" },
    })
}
