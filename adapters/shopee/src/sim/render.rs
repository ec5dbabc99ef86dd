//! The Shopee simulator's JSON, shaped after Shopee's own response samples
//! (`fixtures/shopee/`): `get_order_detail` orders (money as floats in the shop's
//! currency, times in unix seconds, the recipient address masked as Shopee masks it),
//! `get_item_base_info` items and `get_model_list` models.

use chrono::{DateTime, Utc};
use polycart_kit::sim::{
    SimFulfillment, SimOrder, SimOrderState, SimProduct, SimProductStatus, SimVariant,
};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde_json::{Value, json};

/// A shop's region and the currency it sells in.
#[derive(Debug, Clone, Copy)]
pub struct Region {
    pub code: &'static str,
    pub currency: &'static str,
    /// Whether the currency has no minor unit on Shopee (IDR, VND).
    pub whole: bool,
}

/// The regions a simulated shop may be in (chosen by seed).
pub const REGIONS: &[Region] = &[
    Region {
        code: "SG",
        currency: "SGD",
        whole: false,
    },
    Region {
        code: "ID",
        currency: "IDR",
        whole: true,
    },
    Region {
        code: "MY",
        currency: "MYR",
        whole: false,
    },
    Region {
        code: "VN",
        currency: "VND",
        whole: true,
    },
    Region {
        code: "TH",
        currency: "THB",
        whole: false,
    },
    Region {
        code: "PH",
        currency: "PHP",
        whole: false,
    },
];

/// An amount as the JSON float Shopee writes.
pub fn float(d: Decimal) -> Value {
    d.to_f64().map_or(Value::Null, |f| json!(f))
}

pub fn secs(t: DateTime<Utc>) -> i64 {
    t.timestamp()
}

/// `250314SIM1042`: Shopee-looking order numbers (date + letters and digits) that
/// name the generated order.
pub fn order_sn(o: &SimOrder) -> String {
    format!("{}SIM{}", o.created_at.format("%y%m%d"), o.id)
}

/// The generated order id inside an order number.
pub fn order_number(sn: &str) -> Option<u64> {
    sn.split_once("SIM")?.1.parse().ok()
}

/// Shopee's order status for a generated order.
pub fn order_status(o: &SimOrder) -> &'static str {
    match o.state {
        SimOrderState::Pending => "UNPAID",
        SimOrderState::Open => match o.fulfillment {
            SimFulfillment::Unfulfilled => "READY_TO_SHIP",
            SimFulfillment::Partial => "PROCESSED",
            SimFulfillment::Fulfilled => "SHIPPED",
        },
        SimOrderState::OnHold => "IN_CANCEL",
        SimOrderState::Completed => "COMPLETED",
        SimOrderState::Cancelled | SimOrderState::Failed => "CANCELLED",
    }
}

/// Masks all but the first and last characters (`P******n`), as Shopee does.
fn mask(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    match chars.len() {
        0 => String::new(),
        1 | 2 => "******".to_owned(),
        n => format!("{}******{}", chars[0], chars[n - 1]),
    }
}

/// Whether a product is listed with models (variations).
pub fn has_model(p: &SimProduct) -> bool {
    !p.options.is_empty() && !p.variants.is_empty()
}

fn item_status(p: &SimProduct) -> &'static str {
    match p.status {
        SimProductStatus::Active => "NORMAL",
        SimProductStatus::Draft => "UNLIST",
        SimProductStatus::Archived => "BANNED",
    }
}

/// The item's listing status, for `get_item_list`.
pub fn status_of(p: &SimProduct) -> &'static str {
    item_status(p)
}

/// One order of `get_order_detail`, with every optional field (the handler drops
/// those not asked for).
pub fn order(o: &SimOrder, region: Region) -> Value {
    let items: Vec<Value> = o
        .line_items
        .iter()
        .map(|l| {
            let discounted = l.price - l.discount / Decimal::from(l.quantity.max(1));
            json!({
                "add_on_deal": false,
                "add_on_deal_id": 0,
                "image_info": { "image_url": format!("https://cf.shopee.sg/file/sim-{}_tn", l.product_id) },
                "is_b2c_owned_item": false,
                "is_prescription_item": false,
                "item_id": l.product_id,
                "item_name": l.title,
                "item_sku": "",
                "main_item": false,
                "model_discounted_price": float(round(discounted, region)),
                "model_id": l.variant_id,
                "model_name": l.variant_title,
                "model_original_price": float(l.price),
                "model_quantity_purchased": l.quantity,
                "model_sku": l.sku,
                "order_item_id": l.id,
                "product_location_id": ["SIMWH1"],
                "promotion_group_id": 0,
                "promotion_id": 0,
                "promotion_type": "",
                "weight": 0.2,
                "wholesale": false,
            })
        })
        .collect();
    let total: Decimal = o
        .line_items
        .iter()
        .map(|l| round(l.price * Decimal::from(l.quantity) - l.discount, region))
        .sum::<Decimal>()
        + o.shipping_price;
    let paid = !matches!(o.state, SimOrderState::Pending);
    let packages: Vec<Value> = o
        .shipments
        .iter()
        .map(|s| {
            json!({
                "group_shipment_id": null,
                "item_list": s.lines.iter().filter_map(|(line, qty)| {
                    o.line_items.iter().find(|l| l.id == *line).map(|l| json!({
                        "item_id": l.product_id,
                        "model_id": l.variant_id,
                        "model_quantity": qty,
                        "order_item_id": l.id,
                        "product_location_id": "SIMWH1",
                        "promotion_group_id": 0,
                    }))
                }).collect::<Vec<_>>(),
                "logistics_status": if matches!(o.state, SimOrderState::Completed) { "LOGISTICS_DELIVERY_DONE" } else { "LOGISTICS_PICKUP_DONE" },
                "package_number": format!("OFG{}", s.id),
                "parcel_chargeable_weight_gram": 200,
                "shipping_carrier": s.carrier,
                "logistics_channel_id": 18080,
                "allow_self_design_awb": false,
                "sorting_group": "North",
            })
        })
        .collect();
    let a = &o.shipping_address;
    json!({
        "actual_shipping_fee_confirmed": paid,
        "buyer_cancel_reason": "",
        "buyer_cpf_id": null,
        "buyer_user_id": o.customer_id.unwrap_or(0),
        "buyer_username": mask(&o.email),
        "cancel_by": if matches!(o.state, SimOrderState::Cancelled) { "seller" } else { "" },
        "cancel_reason": o.cancel_reason.unwrap_or(""),
        "cod": false,
        "create_time": secs(o.created_at),
        "currency": region.currency,
        "days_to_ship": 2,
        "dropshipper": null,
        "dropshipper_phone": null,
        "estimated_shipping_fee": float(o.shipping_price),
        "fulfillment_flag": "fulfilled_by_local_seller",
        "goods_to_declare": false,
        "invoice_data": null,
        "item_list": items,
        "message_to_seller": "",
        "note": o.note.clone().unwrap_or_default(),
        "note_update_time": if o.note.is_some() { secs(o.updated_at) } else { 0 },
        "order_sn": order_sn(o),
        "order_status": order_status(o),
        "package_list": packages,
        "pay_time": if paid { secs(o.created_at) + 60 } else { 0 },
        "payment_method": "Credit Card/Debit Card",
        "pickup_done_time": o.shipments.first().map_or(0, |s| secs(s.created_at)),
        "recipient_address": {
            "city": a.city,
            "district": "",
            "full_address": mask(&format!("{}, {}", a.city, a.zip)),
            "name": mask(&format!("{} {}", a.first_name, a.last_name)),
            "phone": a.phone.as_deref().map(mask).unwrap_or_default(),
            "region": region.code,
            "state": a.province,
            "town": "",
            "zipcode": a.zip,
        },
        "region": region.code,
        "reverse_shipping_fee": 0,
        "ship_by_date": secs(o.created_at) + 2 * 86_400,
        "shipping_carrier": o.shipping_carrier,
        "split_up": false,
        "total_amount": float(round(total, region)),
        "update_time": secs(o.updated_at),
    })
}

/// The fields of an order `get_order_detail` returns without being asked.
pub const ORDER_DEFAULT_FIELDS: &[&str] = &[
    "order_sn",
    "region",
    "currency",
    "cod",
    "order_status",
    "message_to_seller",
    "create_time",
    "update_time",
    "days_to_ship",
    "ship_by_date",
    "reverse_shipping_fee",
];

/// An amount in the region's unit: whole for IDR and VND.
pub fn round(d: Decimal, region: Region) -> Decimal {
    if region.whole {
        d.round()
    } else {
        d.round_dp(2)
    }
}

fn price_info(v: &SimVariant, currency: &str) -> Value {
    let current = v.price;
    let original = v
        .compare_at_price
        .filter(|c| *c > current)
        .unwrap_or(current);
    json!([{
        "currency": currency,
        "original_price": float(original),
        "current_price": float(current),
        "inflated_price_of_original_price": float(original),
        "inflated_price_of_current_price": float(current),
        "sip_item_price": float(current),
        "sip_item_price_source": "auto",
    }])
}

fn stock_info(stock: i64) -> Value {
    json!({
        "summary_info": { "total_reserved_stock": 0, "total_available_stock": stock },
        "seller_stock": [{ "location_id": "SIMWH1", "stock": stock }],
        "shopee_stock": [{ "location_id": "", "stock": 0 }],
    })
}

/// One item of `get_item_base_info`.
pub fn item(p: &SimProduct, region: Region) -> Value {
    let first = p.variants.first();
    let stock: i64 = p.variants.iter().map(SimVariant::total_stock).sum();
    let weight_kg = first.map_or(Decimal::ZERO, |v| {
        Decimal::from(v.weight_grams) / Decimal::from(1000)
    });
    json!({
        "item_id": p.id,
        "category_id": p.category_ids.first().copied().unwrap_or(100_001),
        "item_name": p.title,
        "description": p.description_html,
        "item_sku": p.handle,
        "create_time": secs(p.created_at),
        "update_time": secs(p.updated_at),
        "attribute_list": [{
            "attribute_id": 4811,
            "original_attribute_name": "Brand",
            "is_mandatory": true,
            "attribute_value_list": [{ "value_id": 0, "original_value_name": p.vendor, "value_unit": "" }],
        }],
        "price_info": first.map_or(json!([]), |v| price_info(v, region.currency)),
        "image": {
            "image_url_list": p.images.iter().map(|i| i.url.clone()).collect::<Vec<_>>(),
            "image_id_list": p.images.iter().map(|i| format!("sim-{}", i.id)).collect::<Vec<_>>(),
        },
        "weight": weight_kg.normalize().to_string(),
        "dimension": { "package_length": 10, "package_width": 10, "package_height": 5 },
        "logistic_info": [{
            "logistic_id": 80012,
            "logistic_name": "Standard Delivery",
            "enabled": true,
            "shipping_fee": 2.5,
            "size_id": 0,
            "is_free": false,
            "estimated_shipping_fee": 2.5,
        }],
        "pre_order": { "is_pre_order": false, "days_to_ship": 2 },
        "wholesales": [],
        "condition": "NEW",
        "size_chart": "",
        "item_status": item_status(p),
        "deboost": "false",
        "has_model": has_model(p),
        "promotion_id": 0,
        "video_info": [],
        "brand": { "brand_id": 0, "original_brand_name": p.vendor },
        "item_dangerous": 0,
        "description_type": "normal",
        "stock_info_v2": stock_info(stock),
    })
}

/// `get_model_list`'s `response` for an item.
pub fn models(p: &SimProduct, region: Region) -> Value {
    let tiers: Vec<Value> = p
        .options
        .iter()
        .map(|(name, values)| {
            json!({
                "name": name,
                "option_list": values.iter().map(|v| json!({ "option": v })).collect::<Vec<_>>(),
            })
        })
        .collect();
    let models: Vec<Value> = if has_model(p) {
        p.variants
            .iter()
            .map(|v| {
                let tier_index: Vec<usize> = p
                    .options
                    .iter()
                    .zip(&v.option_values)
                    .map(|((_, values), chosen)| {
                        values.iter().position(|x| x == chosen).unwrap_or(0)
                    })
                    .collect();
                json!({
                    "model_id": v.id,
                    "model_sku": v.sku,
                    "model_status": "MODEL_NORMAL",
                    "promotion_id": 0,
                    "tier_index": tier_index,
                    "price_info": price_info(v, region.currency),
                    "stock_info_v2": stock_info(v.total_stock()),
                    "weight": float(Decimal::from(v.weight_grams) / Decimal::from(1000)),
                })
            })
            .collect()
    } else {
        Vec::new()
    };
    json!({ "tier_variation": if has_model(p) { tiers } else { Vec::new() }, "model": models })
}

/// `251021RET1204`: a return number naming the generated refund.
pub fn return_sn(r: &polycart_kit::sim::SimRefund) -> String {
    format!("{}RET{}", r.created_at.format("%y%m%d"), r.id)
}

/// The generated refund id inside a return number.
pub fn return_number(sn: &str) -> Option<u64> {
    sn.split_once("RET")?.1.parse().ok()
}

/// `payment.get_escrow_detail`'s `response` for a paid order.
pub fn escrow(o: &SimOrder, region: Region) -> Value {
    let items: Vec<Value> = o
        .line_items
        .iter()
        .map(|l| {
            json!({
                "item_id": l.product_id,
                "item_name": l.title,
                "item_sku": "",
                "model_id": l.variant_id,
                "model_name": l.variant_title,
                "model_sku": l.sku,
                "original_price": float(round(l.price * Decimal::from(l.quantity), region)),
                "selling_price": float(round(l.price * Decimal::from(l.quantity) - l.discount, region)),
                "discounted_price": float(round(l.price * Decimal::from(l.quantity) - l.discount, region)),
                "seller_discount": float(round(l.discount, region)),
                "shopee_discount": 0,
                "discount_from_coin": 0,
                "discount_from_voucher_shopee": 0,
                "discount_from_voucher_seller": 0,
                "activity_type": "",
                "activity_id": 0,
                "is_main_item": false,
                "quantity_purchased": l.quantity,
            })
        })
        .collect();
    let goods: Decimal = o
        .line_items
        .iter()
        .map(|l| round(l.price * Decimal::from(l.quantity) - l.discount, region))
        .sum();
    let commission = round(goods * Decimal::new(5, 2), region);
    json!({
        "order_sn": order_sn(o),
        "buyer_user_name": mask(&o.email),
        "return_order_sn_list": o.refunds.iter().map(return_sn).collect::<Vec<_>>(),
        "order_income": {
            "escrow_amount": float(goods + o.shipping_price - commission),
            "buyer_total_amount": float(goods + o.shipping_price),
            "original_price": float(goods),
            "seller_discount": 0,
            "shopee_discount": 0,
            "voucher_from_seller": 0,
            "voucher_from_shopee": 0,
            "coins": 0,
            "buyer_paid_shipping_fee": float(o.shipping_price),
            "buyer_transaction_fee": 0,
            "cross_border_tax": 0,
            "payment_promotion": 0,
            "commission_fee": float(commission),
            "service_fee": 0,
            "seller_transaction_fee": 0,
            "seller_lost_compensation": 0,
            "seller_coin_cash_back": 0,
            "escrow_tax": 0,
            "final_shipping_fee": 0,
            "actual_shipping_fee": float(o.shipping_price),
            "estimated_shipping_fee": float(o.shipping_price),
            "shopee_shipping_rebate": 0,
            "shipping_fee_discount_from_3pl": 0,
            "seller_shipping_discount": 0,
            "drc_adjustable_refund": float(o.refunds.iter().map(|r| r.amount).sum::<Decimal>()),
            "cost_of_goods_sold": float(goods),
            "original_cost_of_goods_sold": float(goods),
            "original_shopee_discount": 0,
            "seller_return_refund": float(-o.refunds.iter().map(|r| r.amount).sum::<Decimal>()),
            "escrow_amount_after_adjustment": float(goods + o.shipping_price - commission),
            "items": items,
        },
        "buyer_payment_info": {
            "buyer_payment_method": "Credit Card/Debit Card",
            "buyer_total_amount": float(goods + o.shipping_price),
            "merchant_subtotal": float(goods),
            "shipping_fee": float(o.shipping_price),
            "seller_voucher": 0,
            "shopee_voucher": 0,
            "shopee_coins_redeemed": 0,
            "is_paid_by_credit_card": true,
        },
    })
}

/// `returns.get_return_detail`'s `response` for one generated refund.
pub fn return_detail(o: &SimOrder, r: &polycart_kit::sim::SimRefund, region: Region) -> Value {
    json!({
        "return_sn": return_sn(r),
        "order_sn": order_sn(o),
        "reason": "CHANGE_MIND",
        "text_reason": r.note,
        "refund_amount": float(round(r.amount, region)),
        "amount_before_discount": float(round(r.amount, region)),
        "currency": region.currency,
        "create_time": secs(r.created_at),
        "update_time": secs(r.created_at),
        "status": "REFUND_PAID",
        "due_date": secs(r.created_at) + 3 * 86_400,
        "tracking_number": "",
        "needs_logistics": false,
        "image": [],
        "buyer_videos": [],
        "user": { "username": mask(&o.email), "email": mask(&o.email), "portrait": "" },
        "item": r.lines.iter().filter_map(|(line, qty, amount)| {
            o.line_items.iter().find(|l| l.id == *line).map(|l| json!({
                "item_id": l.product_id,
                "model_id": l.variant_id,
                "name": l.title,
                "images": [],
                "amount": qty,
                "item_price": float(l.price),
                "is_add_on_deal": false,
                "is_main_item": false,
                "add_on_deal_id": 0,
                "item_sku": "",
                "variation_sku": l.sku,
                "refund_amount": float(round(*amount, region)),
            }))
        }).collect::<Vec<_>>(),
    })
}
