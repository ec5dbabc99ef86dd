//! The simulator's JSON, shaped after Lazada's published examples
//! (`fixtures/lazada/`): ids, counts and money as strings on orders and items, SKU
//! prices as JSON numbers, times in Singapore's `+08:00` (orders) or epoch
//! milliseconds as strings (products). Written from the generated store, never from
//! the adapter's types.

use chrono::{DateTime, FixedOffset, SecondsFormat, Utc};
use polycart_kit::sim::{
    SimAddress, SimCategory, SimFulfillment, SimOrder, SimOrderState, SimProduct, SimProductStatus,
    SimShipment,
};
use rust_decimal::Decimal;
use serde_json::{Value, json};

/// The venture's currency: the simulated seller sells on lazada.sg.
pub const CURRENCY: &str = "SGD";

/// `2018-02-09T22:44:30+08:00`.
pub(super) fn local(t: DateTime<Utc>) -> String {
    let sg = FixedOffset::east_opt(8 * 3600).expect("+08:00 is a valid offset");
    t.with_timezone(&sg)
        .to_rfc3339_opts(SecondsFormat::Secs, false)
}

/// Epoch milliseconds as a string (`"1611554725000"`).
pub(super) fn millis(t: DateTime<Utc>) -> String {
    t.timestamp_millis().to_string()
}

/// An amount as Lazada writes it on orders: two decimals in a string.
pub(super) fn amount(d: Decimal) -> String {
    format!("{:.2}", d.round_dp(2))
}

/// A JSON number token with exactly the decimal's digits (SKU prices).
pub(super) fn number(d: Decimal) -> Value {
    serde_json::from_str(&d.normalize().to_string()).unwrap_or(Value::Null)
}

fn address(a: &SimAddress) -> Value {
    json!({
        "first_name": a.first_name,
        "last_name": a.last_name,
        "phone": a.phone.clone().unwrap_or_default(),
        "phone2": "",
        "address1": a.address1,
        "address2": a.address2.clone().unwrap_or_default(),
        "address3": "",
        "address4": "",
        "address5": "",
        // Both spellings appear in Lazada's examples (`/orders/get` has the typo).
        "addressDsitrict": "",
        "addressDistrict": "",
        "city": a.city,
        "post_code": a.zip,
        "country": a.country,
    })
}

/// A unit the seller packed (`/order/fulfill/pack`): in a package, awaiting ReadyToShip.
pub(super) const PACKED: &str = "packed";
/// A packed unit whose package the seller marked ready to ship (`/order/package/rts`).
pub(super) const READY_TO_SHIP: &str = "ready_to_ship";

/// The package the seller's Pack put unit `item` in: kept as one of the order's
/// shipments, its status `packed` or `ready_to_ship`, its lines the unit items.
pub(super) fn package_of(o: &SimOrder, item: u64) -> Option<&SimShipment> {
    o.shipments.iter().find(|s| {
        (s.status == PACKED || s.status == READY_TO_SHIP) && s.lines.iter().any(|(l, _)| *l == item)
    })
}

/// A package's id as Lazada writes it (`FP…`).
pub(super) fn package_id(s: &SimShipment) -> String {
    format!("FP{}", s.id)
}

/// The status of each unit of an order (Lazada keeps statuses on items): a packed
/// unit's from its package, the others' from the order's generated state.
pub(super) fn item_statuses(o: &SimOrder) -> Vec<&'static str> {
    let units = units(o);
    let count = units.len();
    units
        .iter()
        .enumerate()
        .map(|(k, (item, _))| match package_of(o, *item) {
            Some(p) if p.status == READY_TO_SHIP => READY_TO_SHIP,
            Some(_) => PACKED,
            None => generated_status(o, k, count),
        })
        .collect()
}

/// The status of unit `k` of `units` from the order's generated state.
fn generated_status(o: &SimOrder, k: usize, units: usize) -> &'static str {
    match o.state {
        SimOrderState::Pending => "unpaid",
        SimOrderState::Cancelled => "canceled",
        SimOrderState::Failed => "failed",
        SimOrderState::Completed => "delivered",
        SimOrderState::OnHold => "packed",
        SimOrderState::Open => match o.fulfillment {
            SimFulfillment::Unfulfilled => "pending",
            SimFulfillment::Fulfilled => "shipped",
            SimFulfillment::Partial if k < units.div_ceil(2) => "shipped",
            SimFulfillment::Partial => "ready_to_ship",
        },
    }
}

/// The unit items of an order: `(order_item_id, line index)`, one per unit.
pub(super) fn units(o: &SimOrder) -> Vec<(u64, usize)> {
    o.line_items
        .iter()
        .enumerate()
        .flat_map(|(i, l)| (0..u64::from(l.quantity)).map(move |k| (l.id * 1000 + k, i)))
        .collect()
}

/// An order as `/order/get` and `/orders/get` serve it.
pub(super) fn order(o: &SimOrder) -> Value {
    let mut statuses: Vec<&str> = Vec::new();
    for s in item_statuses(o) {
        if !statuses.contains(&s) {
            statuses.push(s);
        }
    }
    let voucher: Decimal = o.discount_codes.iter().map(|(_, d)| *d).sum();
    json!({
        "order_id": o.id.to_string(),
        "order_number": o.number.to_string(),
        "created_at": local(o.created_at),
        "updated_at": local(o.updated_at),
        "price": amount(o.line_items.iter().map(|l| l.gross()).sum()),
        "shipping_fee": amount(o.shipping_price),
        "shipping_fee_original": amount(o.shipping_price),
        "shipping_fee_discount_seller": "0.00",
        "shipping_fee_discount_platform": "0.00",
        "voucher": amount(voucher),
        "voucher_seller": amount(voucher),
        "voucher_platform": "0.00",
        "voucher_code": o.discount_codes.first().map(|(c, _)| c.clone()).unwrap_or_default(),
        "items_count": o.total_quantity().to_string(),
        "statuses": statuses,
        "payment_method": "COD",
        "customer_first_name": o.billing.first_name,
        "customer_last_name": o.billing.last_name,
        "address_billing": address(&o.billing),
        "address_shipping": address(&o.shipping_address),
        "warehouse_code": "dropshipping",
        "gift_option": "false",
        "gift_message": "",
        "remarks": "",
        "buyer_note": o.note.clone().unwrap_or_default(),
        "delivery_info": "",
        "extra_attributes": "null",
        "national_registration_number": "",
        "branch_number": "",
        "tax_code": "",
        "promised_shipping_times": "",
        "is_cancel_pending": "false",
        "need_cancel_confirm": "false",
        "address_updated_at": "null",
        "recipient_info": { "identify_no": "", "detail_address": "", "passport_no": "" },
    })
}

/// An order's unit items as `/order/items/get` serves them.
pub(super) fn items(o: &SimOrder) -> Vec<Value> {
    let statuses = item_statuses(o);
    units(o)
        .into_iter()
        .zip(statuses)
        .map(|((item_id, i), status)| {
            let l = &o.line_items[i];
            let per_unit = |d: Decimal| d / Decimal::from(l.quantity.max(1));
            let shipped = matches!(status, "shipped" | "delivered");
            let package = package_of(o, item_id);
            let (tracking, provider, package) = match package {
                Some(p) => (p.tracking_number.clone(), p.carrier.clone(), package_id(p)),
                None if shipped => (
                    format!("LZ{:010}", o.id),
                    o.shipping_carrier.clone(),
                    format!("FP{}", o.id),
                ),
                None => (String::new(), String::new(), String::new()),
            };
            json!({
                "order_item_id": item_id.to_string(),
                "order_id": o.id.to_string(),
                "product_id": l.product_id.to_string(),
                "sku_id": l.variant_id.to_string(),
                "sku": l.sku,
                "shop_sku": format!("{}-{}", l.product_id, l.variant_id),
                "name": l.title,
                "variation": l.variant_title,
                "status": status,
                "item_price": amount(l.price),
                "paid_price": amount(l.price - per_unit(l.discount)),
                "tax_amount": amount(per_unit(l.tax)),
                "voucher_amount": amount(per_unit(l.discount)),
                "voucher_seller": amount(per_unit(l.discount)),
                "voucher_platform": "0.00",
                "shipping_amount": "0.00",
                "currency": CURRENCY,
                "tracking_code": tracking,
                "tracking_code_pre": "",
                "shipment_provider": provider,
                "package_id": package,
                "shipping_type": "Dropshipping",
                "warehouse_code": "dropshipping",
                "return_status": "",
                "reason": "",
                "reason_detail": "",
                "is_digital": "0",
                "is_fbl": "0",
                "created_at": local(o.created_at),
                "updated_at": local(o.updated_at),
                "promised_shipping_time": "",
                "extra_attributes": "null",
            })
        })
        .collect()
}

/// A product as `/products/get` and `/product/item/get` serve it.
pub(super) fn product(p: &SimProduct) -> Value {
    let status = match p.status {
        SimProductStatus::Active => "Active",
        SimProductStatus::Draft => "InActive",
        SimProductStatus::Archived => "Deleted",
    };
    let images: Vec<&str> = p.images.iter().map(|i| i.url.as_str()).collect();
    json!({
        "item_id": p.id.to_string(),
        "primary_category": p.category_ids.first().map(|c| c.to_string()).unwrap_or_default(),
        "created_time": millis(p.created_at),
        "updated_time": millis(p.updated_at),
        "status": status,
        // Lazada writes these lists as JSON text.
        "images": serde_json::to_string(&images).unwrap_or_default(),
        "marketImages": "[]",
        "attributes": {
            "name": p.title,
            "description": p.description_html,
            "short_description": "",
            "brand": p.vendor,
        },
        "skus": p.variants.iter().map(|v| json!({
            "SkuId": v.id,
            "SellerSku": v.sku,
            "ShopSku": format!("{}-{}", p.id, v.id),
            "Status": "active",
            "price": number(v.price),
            "special_price": number(v.compare_at_price.map_or(v.price, |_| v.price)),
            "quantity": v.total_stock(),
            "Available": v.total_stock(),
            "package_weight": format!("{:.2}", Decimal::from(v.weight_grams) / Decimal::from(1000)),
            "package_width": "10.00",
            "package_height": "4.00",
            "package_length": "10.00",
            "product_weight": format!("{:.2}", Decimal::from(v.weight_grams) / Decimal::from(1000)),
            "Images": images.first().map(|u| vec![*u]).unwrap_or_default(),
            "Url": format!("https://www.lazada.sg/products/i{}.html", p.id),
            "special_from_time": "",
            "special_to_time": "",
            "special_to_date": "",
        })).collect::<Vec<_>>(),
        "suspendedSkus": [],
        "subStatus": "",
        "trialProduct": "false",
        "hiddenStatus": "",
        "hiddenReason": "",
        "rejectReason": [],
    })
}

/// A category node of `/category/tree/get` with its subtree (children by position).
pub(super) fn category(c: &SimCategory, all: &[SimCategory]) -> Value {
    let mut children: Vec<&SimCategory> =
        all.iter().filter(|x| x.parent_id == Some(c.id)).collect();
    children.sort_by_key(|x| (x.position, x.id));
    let mut node = json!({
        "category_id": c.id,
        "name": c.name,
        "var": true,
        "leaf": children.is_empty(),
    });
    if !children.is_empty() {
        node["children"] = Value::Array(children.into_iter().map(|x| category(x, all)).collect());
    }
    node
}

/// The roots of the category tree, each with its subtree.
pub(super) fn category_tree(all: &[SimCategory]) -> Vec<Value> {
    let mut roots: Vec<&SimCategory> = all
        .iter()
        .filter(|c| c.parent_id.is_none_or(|p| !all.iter().any(|x| x.id == p)))
        .collect();
    roots.sort_by_key(|x| (x.position, x.id));
    roots.into_iter().map(|c| category(c, all)).collect()
}
