//! The simulator's JSON: orders and products of the generated store in the shape of
//! Ecwid's documented examples (amounts as numbers, no currency, dates as
//! `2024-09-04 07:22:09 +0000` with unix twins, combinations inside products).

use chrono::{DateTime, Utc};
use polycart_kit::sim::{SimFinancial, SimFulfillment, SimOrder, SimOrderState, SimProduct};
use rust_decimal::Decimal;
use serde_json::{Value, json};

fn date(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S +0000").to_string()
}

fn num(d: Decimal) -> Value {
    serde_json::from_str(&d.normalize().to_string()).unwrap_or(Value::Null)
}

/// The order id merchants see: letters and digits, like "K8XTQ".
pub fn order_id(o: &SimOrder) -> String {
    format!("S{}X", o.number)
}

fn payment_status(o: &SimOrder) -> &'static str {
    match (o.state, o.financial) {
        (SimOrderState::Cancelled, _) => "CANCELLED",
        (SimOrderState::Failed, _) => "INCOMPLETE",
        (_, SimFinancial::Paid) => "PAID",
        (_, SimFinancial::PartiallyRefunded) => "PARTIALLY_REFUNDED",
        (_, SimFinancial::Refunded) => "REFUNDED",
        (_, SimFinancial::Voided) => "CANCELLED",
        _ => "AWAITING_PAYMENT",
    }
}

fn fulfillment_status(o: &SimOrder) -> &'static str {
    match (o.state, o.fulfillment) {
        (SimOrderState::Completed, _) => "DELIVERED",
        (_, SimFulfillment::Fulfilled) => "SHIPPED",
        (_, SimFulfillment::Partial) => "PROCESSING",
        _ => "AWAITING_PROCESSING",
    }
}

/// One order, with the fields a `PUT` set on top.
pub fn render_order(o: &SimOrder, overrides: Option<&serde_json::Map<String, Value>>) -> Value {
    let person = |a: &polycart_kit::sim::SimAddress| {
        json!({
            "name": format!("{} {}", a.first_name, a.last_name),
            "firstName": a.first_name,
            "lastName": a.last_name,
            "companyName": a.company,
            "street": a.address1,
            "city": a.city,
            "countryCode": a.country_code,
            "postalCode": a.zip,
            "stateOrProvinceCode": a.province_code,
            "stateOrProvinceName": a.province,
            "phone": a.phone,
        })
    };
    let coupon = o.discount_codes.first();
    let mut v = json!({
        "id": order_id(o),
        "internalId": o.id,
        "orderNumber": o.number,
        "vendorOrderNumber": order_id(o),
        "publicUid": order_id(o),
        "refundedAmount": num(o.refunded()),
        "subtotal": num(o.subtotal()),
        "total": num(o.total()),
        "tax": num(o.total_tax()),
        "couponDiscount": num(coupon.map_or(Decimal::ZERO, |c| c.1)),
        "volumeDiscount": 0,
        "discount": num(o.total_discount() - coupon.map_or(Decimal::ZERO, |c| c.1)),
        "membershipBasedDiscount": 0,
        "email": o.email,
        "customerId": o.customer_id.unwrap_or(0),
        "paymentStatus": payment_status(o),
        "fulfillmentStatus": fulfillment_status(o),
        "orderComments": o.note.clone().unwrap_or_default(),
        "usdTotal": num(o.total()),
        "createDate": date(o.created_at),
        "updateDate": date(o.updated_at),
        "createTimestamp": o.created_at.timestamp(),
        "updateTimestamp": o.updated_at.timestamp(),
        "items": o.line_items.iter().map(|l| json!({
            "id": l.id,
            "productId": l.product_id,
            "combinationId": if l.variant_id == l.product_id { 0 } else { l.variant_id },
            "sku": l.sku,
            "name": l.title,
            "price": num(l.price),
            "quantity": l.quantity,
            "tax": num(l.tax),
        })).collect::<Vec<_>>(),
        "shippingOption": {
            "shippingMethodName": o.shipping_method,
            "shippingCarrierName": o.shipping_carrier,
            "shippingRate": num(o.shipping_price),
        },
        "billingPerson": person(&o.billing),
        "shippingPerson": person(&o.shipping_address),
    });
    if let Some(c) = coupon {
        v["discountCoupon"] = json!({ "code": c.0, "discount": num(c.1), "discountType": "ABS" });
    }
    if let (Some(t), Some(s)) = (o.shipments.first(), v.as_object_mut()) {
        s.insert("trackingNumber".into(), json!(t.tracking_number));
    }
    if let (Some(extra), Some(map)) = (overrides, v.as_object_mut()) {
        for (k, val) in extra {
            map.insert(k.clone(), val.clone());
        }
    }
    v
}

/// One product; a product with options lists its variants as combinations.
pub fn render_product(p: &SimProduct, store_id: u64) -> Value {
    let first = p.variants.first();
    let has_combinations = p.variants.len() > 1;
    let option_names: Vec<&String> = p.options.iter().map(|(n, _)| n).collect();
    let combinations: Vec<Value> = if has_combinations {
        p.variants
            .iter()
            .enumerate()
            .map(|(i, v)| {
                json!({
                    "id": v.id,
                    "combinationNumber": i + 1,
                    "options": option_names.iter().zip(&v.option_values).map(|(n, val)| json!({ "name": n, "value": val })).collect::<Vec<_>>(),
                    "sku": v.sku,
                    "price": num(v.price),
                    "quantity": v.total_stock(),
                    "unlimited": false,
                    "weight": num(Decimal::from(v.weight_grams) / Decimal::from(1000)),
                })
            })
            .collect()
    } else {
        Vec::new()
    };
    let total: i64 = p.variants.iter().map(|v| v.total_stock()).sum();
    json!({
        "id": p.id,
        "sku": first.map(|v| v.sku.clone()),
        "name": p.title,
        "description": p.description_html,
        "price": first.map_or(Value::Null, |v| num(v.price)),
        "compareToPrice": first.and_then(|v| v.compare_at_price).map_or(Value::Null, num),
        "quantity": total,
        "unlimited": false,
        "inStock": total > 0,
        "enabled": matches!(p.status, polycart_kit::sim::SimProductStatus::Active),
        "weight": first.map_or(Value::Null, |v| num(Decimal::from(v.weight_grams) / Decimal::from(1000))),
        "categoryIds": p.category_ids,
        "url": format!("https://store{store_id}.company.site/products/{}", p.handle),
        "originalImageUrl": p.images.first().map(|i| i.url.clone()),
        "created": date(p.created_at),
        "updated": date(p.updated_at),
        "createTimestamp": p.created_at.timestamp(),
        "updateTimestamp": p.updated_at.timestamp(),
        "options": p.options.iter().map(|(name, values)| json!({
            "type": "SELECT",
            "name": name,
            "choices": values.iter().map(|v| json!({ "text": v, "priceModifier": 0, "priceModifierType": "ABSOLUTE" })).collect::<Vec<_>>(),
            "required": true,
        })).collect::<Vec<_>>(),
        "combinations": combinations,
    })
}
