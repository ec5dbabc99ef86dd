//! The simulator's JSON, shaped after TikTok's documented payloads
//! (`fixtures/tiktokshop/`): ids as 18-digit strings, money as decimal strings, times
//! as Unix seconds, and an order's lines one per unit.

use polycart_kit::sim::{SimOrder, SimOrderState, SimProduct, SimProductStatus};
use rust_decimal::Decimal;
use serde_json::{Value, json};

/// Added to the generator's small ids so the simulator's ids exceed 2^53, as TikTok's
/// do (an f64 reader would corrupt them).
pub const ID_BASE: u64 = 576_460_000_000_000_000;

/// The platform id of a generated record.
pub(super) fn id(n: u64) -> String {
    (ID_BASE + n).to_string()
}

/// The generated record behind a platform id.
pub(super) fn sim_id(id: &str) -> Option<u64> {
    id.parse::<u64>().ok()?.checked_sub(ID_BASE)
}

/// An opaque page token naming the last row served.
pub(super) fn token((t, n): (i64, u64)) -> String {
    format!("{t:x}g{n:x}")
}

pub(super) fn read_token(token: &str) -> Option<(i64, u64)> {
    let (t, n) = token.split_once('g')?;
    Some((
        i64::from_str_radix(t, 16).ok()?,
        u64::from_str_radix(n, 16).ok()?,
    ))
}

/// The shipping providers every delivery option of the simulator offers.
pub(super) const PROVIDERS: &[(&str, &str)] = &[
    ("6617675021119438849", "USPS"),
    ("6617675021119438850", "UPS"),
    ("6617675021119438851", "FedEx"),
    ("6617675021119438852", "DHL"),
];

/// The delivery option of every simulated order.
pub(super) const DELIVERY_OPTION: &str = "7091146663229654785";

/// Units shipped of each line (line id → count).
fn shipped(o: &SimOrder) -> std::collections::HashMap<u64, u32> {
    let mut out = std::collections::HashMap::new();
    for s in &o.shipments {
        for (line, q) in &s.lines {
            *out.entry(*line).or_insert(0) += q;
        }
    }
    out
}

pub(super) fn order_status(o: &SimOrder) -> &'static str {
    let units: u32 = o.line_items.iter().map(|l| l.quantity).sum();
    let sent: u32 = shipped(o).values().sum();
    match o.state {
        SimOrderState::Pending => "UNPAID",
        SimOrderState::Open if sent > 0 && sent >= units => "AWAITING_COLLECTION",
        SimOrderState::Open if sent > 0 => "PARTIALLY_SHIPPING",
        SimOrderState::Open => "AWAITING_SHIPMENT",
        SimOrderState::OnHold => "ON_HOLD",
        SimOrderState::Completed => "COMPLETED",
        SimOrderState::Cancelled | SimOrderState::Failed => "CANCELLED",
    }
}

/// `total` split into `n` cent amounts that add up to it exactly (the remainder on the
/// first).
fn split(total: Decimal, n: u32) -> Vec<Decimal> {
    let n = n.max(1);
    let each = (total / Decimal::from(n))
        .round_dp_with_strategy(2, rust_decimal::RoundingStrategy::ToZero);
    let mut out = vec![each; n as usize];
    out[0] = total - each * Decimal::from(n - 1);
    out
}

/// An order as Get Order Detail and Search Orders write it.
pub(super) fn order(o: &SimOrder) -> Value {
    let cur = o.currency;
    let mut units = Vec::new();
    let mut sub_total = Decimal::ZERO;
    let mut original = Decimal::ZERO;
    let mut seller_discount = Decimal::ZERO;
    let mut tax = Decimal::ZERO;
    for l in &o.line_items {
        let discounts = split(l.discount, l.quantity);
        let taxes = split(l.tax, l.quantity);
        // Units in packages, in shipment order: (shipment, count).
        let mut packed = o
            .shipments
            .iter()
            .flat_map(|s| {
                s.lines
                    .iter()
                    .filter(|(line, _)| *line == l.id)
                    .map(move |(_, q)| (s, *q))
            })
            .flat_map(|(s, q)| std::iter::repeat_n(s, q as usize));
        for k in 0..l.quantity as usize {
            let package = packed.next();
            let sale = l.price - discounts[k];
            sub_total += sale;
            original += l.price;
            seller_discount += discounts[k];
            tax += taxes[k];
            units.push(json!({
                "id": id(l.id * 1000 + k as u64),
                "sku_id": id(l.variant_id),
                "product_id": id(l.product_id),
                "product_name": l.title,
                "sku_name": l.variant_title,
                "seller_sku": l.sku,
                "original_price": l.price.to_string(),
                "sale_price": sale.to_string(),
                "seller_discount": discounts[k].to_string(),
                "platform_discount": "0",
                "currency": cur,
                "display_status": if package.is_some() { "SHIPPED" } else { "TO_SHIP" },
                // Unshipped units wait in the package TikTok made when the order was paid.
                "package_id": id(package.map_or(o.id * 100, |s| s.id)),
                "package_status": if package.is_some() { "FULFILLING" } else { "TO_FULFILL" },
                "tracking_number": package.map(|s| s.tracking_number.clone()).unwrap_or_default(),
                "shipping_provider_name": package.map(|s| s.carrier.clone()).unwrap_or_default(),
                "is_gift": false,
                "sku_type": "NORMAL",
                "sku_image": format!("https://p16-oec-va.ibyteimg.example/sim/{}.jpeg", l.variant_id),
                "rts_time": package.map(|s| s.created_at.timestamp()),
                "shipping_provider_id": package
                    .and_then(|s| PROVIDERS.iter().find(|(_, n)| *n == s.carrier))
                    .map(|(id, _)| *id)
                    .unwrap_or_default(),
                "item_tax": [{
                    "tax_type": "SALES_TAX",
                    "tax_amount": taxes[k].to_string(),
                    "tax_rate": o.tax_rate.to_string(),
                }],
            }));
        }
    }
    let total = sub_total + o.shipping_price + tax;
    let first_package = o.shipments.first();
    let a = &o.shipping_address;
    let paid = !matches!(o.state, SimOrderState::Pending);
    let fulfilment = json!({
        "tracking_number": first_package.map(|s| s.tracking_number.clone()).unwrap_or_default(),
        "shipping_provider_id": first_package
            .and_then(|s| PROVIDERS.iter().find(|(_, n)| *n == s.carrier))
            .map(|(id, _)| *id)
            .unwrap_or_default(),
        "rts_time": first_package.map(|s| s.created_at.timestamp()),
        "rts_sla_time": o.created_at.timestamp() + 2 * 86_400,
        "tts_sla_time": o.created_at.timestamp() + 3 * 86_400,
        "cancel_time": o.cancelled_at.map(|t| t.timestamp()),
        "warehouse_id": id(1),
        "seller_note": "",
        "delivery_type": "HOME_DELIVERY",
        "commerce_platform": "TIKTOK_SHOP",
        "is_sample_order": false,
        "is_buyer_request_cancel": false,
        "is_replacement_order": false,
        "is_exchange_order": false,
        "has_updated_recipient_address": false,
    });
    let mut out = json!({
        "id": id(o.id),
        "status": order_status(o),
        "create_time": o.created_at.timestamp(),
        "update_time": o.updated_at.timestamp(),
        "paid_time": paid.then(|| o.created_at.timestamp() + 60),
        "user_id": o.customer_id.map(id),
        "buyer_email": o.email,
        "buyer_message": o.note.clone().unwrap_or_default(),
        "shipping_type": "SELLER",
        "fulfillment_type": "FULFILLMENT_BY_SELLER",
        "delivery_option_name": o.shipping_method,
        "delivery_option_id": DELIVERY_OPTION,
        "shipping_provider": o.shipping_carrier,
        "is_cod": false,
        "is_on_hold_order": matches!(o.state, SimOrderState::OnHold),
        "cancel_reason": o.cancel_reason.unwrap_or_default(),
        "payment": {
            "currency": cur,
            "sub_total": sub_total.to_string(),
            "shipping_fee": o.shipping_price.to_string(),
            "seller_discount": seller_discount.to_string(),
            "platform_discount": "0",
            "total_amount": total.to_string(),
            "original_total_product_price": original.to_string(),
            "original_shipping_fee": o.shipping_price.to_string(),
            "tax": tax.to_string(),
            "product_tax": tax.to_string(),
            "shipping_fee_tax": "0",
            "shipping_fee_seller_discount": "0",
            "shipping_fee_platform_discount": "0",
        },
        "recipient_address": {
            "name": format!("{} {}", a.first_name, a.last_name),
            "first_name": a.first_name,
            "last_name": a.last_name,
            "phone_number": a.phone.clone().unwrap_or_default(),
            "full_address": format!("{} {}, {} {}", a.address1, a.city, a.province_code, a.zip),
            "address_line1": a.address1,
            "address_line2": a.address2.clone().unwrap_or_default(),
            "postal_code": a.zip,
            "region_code": a.country_code,
            "district_info": [
                { "address_level_name": "Country", "address_name": a.country, "address_level": "L0" },
                { "address_level_name": "State", "address_name": a.province, "address_level": "L1" },
                { "address_level_name": "City", "address_name": a.city, "address_level": "L3" },
            ],
        },
        "line_items": units,
        "packages": o.shipments.iter().map(|s| json!({ "id": id(s.id) })).collect::<Vec<_>>(),
    });
    if let (Some(out), Value::Object(more)) = (out.as_object_mut(), fulfilment) {
        out.extend(more);
    }
    out
}

/// A product as Search Products (`detail` false) or Get Product (`detail` true)
/// writes it.
pub(super) fn product(p: &SimProduct, currency: &str, detail: bool) -> Value {
    let status = match p.status {
        SimProductStatus::Active => "ACTIVATE",
        SimProductStatus::Draft => "DRAFT",
        SimProductStatus::Archived => "SELLER_DEACTIVATED",
    };
    let skus: Vec<Value> = p
        .variants
        .iter()
        .map(|v| {
            json!({
                "id": id(v.id),
                "seller_sku": v.sku,
                "price": {
                    "currency": currency,
                    "sale_price": v.price.to_string(),
                    "tax_exclusive_price": v.price.to_string(),
                },
                "inventory": v.stock.iter().map(|(warehouse, quantity)| json!({
                    "warehouse_id": id(*warehouse),
                    "quantity": quantity,
                    "backorder_quantity": 0,
                    "handling_time": 0,
                })).collect::<Vec<_>>(),
                "sales_attributes": p.options.iter().zip(&v.option_values).enumerate().map(|(i, ((name, _), value))| json!({
                    "id": id(900 + i as u64),
                    "name": name,
                    "value_name": value,
                })).collect::<Vec<_>>(),
                "identifier_code": v.barcode.as_ref().map(|b| json!({ "code": b, "type": "GTIN" })),
                "list_price": v.compare_at_price.map(|c| json!({ "amount": c.to_string(), "currency": currency })),
            })
        })
        .collect();
    let mut out = json!({
        "id": id(p.id),
        "title": p.title,
        "status": status,
        "skus": skus,
        "create_time": p.created_at.timestamp(),
        "update_time": p.updated_at.timestamp(),
        "is_not_for_sale": false,
        "main_images": p.images.iter().map(|i| json!({
            "uri": format!("tos-sim/{}", i.id),
            "urls": [i.url],
            "thumb_urls": [i.url],
            "height": 600,
            "width": 600,
        })).collect::<Vec<_>>(),
    });
    if detail {
        out["description"] = Value::String(p.description_html.clone());
        out["product_status"] = Value::String(status.to_owned());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_add_up_exactly() {
        let parts = split(Decimal::new(100, 2), 3);
        assert_eq!(parts.iter().sum::<Decimal>(), Decimal::new(100, 2));
        assert_eq!(parts[1], Decimal::new(33, 2));
    }

    #[test]
    fn tokens_and_ids_round_trip() {
        assert_eq!(
            read_token(&token((1_700_000_000, 42))),
            Some((1_700_000_000, 42))
        );
        assert_eq!(sim_id(&id(7)), Some(7));
        const { assert!(ID_BASE + 1 > 1 << 53) };
    }
}
