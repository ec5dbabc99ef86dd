//! Pure Shopee → unified mapping, no IO: one signature for every entity
//! (`fn(&RawValue, &StoreContext) -> Result<Vec<Record>>`), and `normalize` for
//! `polycart normalize` and the golden tests.
//!
//! - Money: Shopee's floats are read from their JSON text exactly (`Dec`), in the
//!   order's `currency` or the item's `price_info[].currency`; IDR and VND amounts are
//!   whole numbers and stay so.
//! - Orders: every `item_list` line is one line item, its model (variation) the
//!   variant (`model_id` 0: the item has none); the masked recipient address
//!   (`"P******n"`) is kept as Shopee gives it; parcels (`package_list`) are shipments.
//! - Products: an item of `get_item_base_info`, its models (from `get_model_list`,
//!   carried under `model_list`, see `docs.md`) as variants with their tier options.

use std::collections::BTreeMap;

use polycart_kit::connector::Normalized;
use polycart_kit::decode::{currency, unix_time};
use polycart_kit::error::decode_json;
use polycart_kit::model::{
    Address, Currency, FinancialStatus, FulfillmentStatus, Image, InventoryLevel, LineItem, Money,
    Order, OrderCustomer, OrderStatus, OrderTotals, Product, ProductOption, ProductStatus, Raw,
    Refund, RefundLineItem, Shipment, ShipmentLineItem, ShippingLine, Variant, Weight,
};
use polycart_kit::{Entity, Error, Record, Result, StoreContext};
use rust_decimal::Decimal;
use serde_json::value::RawValue;

use crate::{PLATFORM, wire};

/// Currencies Shopee prices in whole units.
pub const WHOLE_UNIT_CURRENCIES: &[&str] = &["IDR", "VND", "CLP", "COP"];

/// Whether `currency` has no minor unit on Shopee.
pub fn whole_units(currency: &Currency) -> bool {
    WHOLE_UNIT_CURRENCIES.contains(&currency.as_str())
}

/// The unified status of an order status (`docs.md` has the table).
pub fn order_status(status: &str) -> Option<OrderStatus> {
    Some(match status {
        "UNPAID" | "PENDING" | "INVOICE_PENDING" => OrderStatus::Pending,
        "READY_TO_SHIP" | "PROCESSED" | "RETRY_SHIP" | "SHIPPED" | "TO_CONFIRM_RECEIVE" => {
            OrderStatus::Processing
        }
        "IN_CANCEL" | "TO_RETURN" => OrderStatus::OnHold,
        "COMPLETED" => OrderStatus::Completed,
        "CANCELLED" => OrderStatus::Cancelled,
        _ => return None,
    })
}

fn fulfillment(status: &str) -> Option<FulfillmentStatus> {
    Some(match status {
        "UNPAID" | "PENDING" | "INVOICE_PENDING" | "READY_TO_SHIP" | "PROCESSED" | "RETRY_SHIP"
        | "IN_CANCEL" | "CANCELLED" => FulfillmentStatus::Unfulfilled,
        "SHIPPED" | "TO_CONFIRM_RECEIVE" | "COMPLETED" => FulfillmentStatus::Fulfilled,
        "TO_RETURN" => FulfillmentStatus::Returned,
        _ => return None,
    })
}

fn financial(status: &str, paid: bool) -> Option<FinancialStatus> {
    Some(match status {
        "UNPAID" | "PENDING" | "INVOICE_PENDING" => FinancialStatus::Pending,
        "CANCELLED" if !paid => FinancialStatus::Voided,
        // A paid order cancelled is refunded by Shopee; the escrow says how much.
        "CANCELLED" => FinancialStatus::Refunded,
        _ if paid => FinancialStatus::Paid,
        _ => return None,
    })
}

/// Text that is present and not empty.
fn text(v: &Option<String>) -> Option<String> {
    v.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// An id that is present and not Shopee's `0` for "none".
fn id(v: &Option<polycart_kit::decode::Id>) -> Option<String> {
    v.as_ref().map(|i| i.0.clone()).filter(|i| i != "0")
}

fn amount(v: Option<polycart_kit::decode::Dec>, cur: Option<&Currency>) -> Option<Money> {
    match (v, cur) {
        (Some(d), Some(c)) => Some(Money::new(d.0.normalize(), c.clone())),
        _ => None,
    }
}

/// One order of `get_order_detail`.
pub fn order(raw: &RawValue, _ctx: &StoreContext) -> Result<Vec<Record>> {
    let o: wire::Order = decode_json(raw.get())?;
    let cur = o
        .currency
        .as_deref()
        .map(|c| currency("$.currency", c))
        .transpose()?;
    let c = cur.as_ref();
    let status = o.order_status.clone().unwrap_or_default();
    let paid = o.pay_time.is_some_and(|t| t > 0);
    let mut line_items = Vec::with_capacity(o.item_list.len());
    let mut subtotal: Option<Decimal> = Some(Decimal::ZERO);
    let mut discounted: Option<Decimal> = Some(Decimal::ZERO);
    for (i, l) in o.item_list.iter().enumerate() {
        let quantity = l.model_quantity_purchased.unwrap_or(0);
        if quantity < 0 {
            return Err(Error::decode(
                format!("$.item_list[{i}].model_quantity_purchased"),
                "a negative quantity",
            ));
        }
        let quantity = Decimal::from(quantity);
        let unit = l.model_discounted_price.or(l.model_original_price);
        let total = unit.and_then(|u| u.0.checked_mul(quantity));
        subtotal = match (subtotal, total) {
            (Some(s), Some(t)) => s.checked_add(t),
            _ => None,
        };
        let discount = match (l.model_original_price, l.model_discounted_price) {
            (Some(o), Some(d)) if o.0 > d.0 => {
                o.0.checked_sub(d.0).and_then(|x| x.checked_mul(quantity))
            }
            (Some(_), Some(_)) => Some(Decimal::ZERO),
            _ => None,
        };
        discounted = match (discounted, discount) {
            (Some(s), Some(d)) => s.checked_add(d),
            _ => None,
        };
        let discount = discount.filter(|d| !d.is_zero());
        let variant = id(&l.model_id);
        let name = match (text(&l.item_name), text(&l.model_name)) {
            (Some(n), Some(m)) => Some(format!("{n} ({m})")),
            (n, m) => n.or(m),
        };
        line_items.push(LineItem {
            platform_id: format!("{}-{}", l.item_id.0, variant.as_deref().unwrap_or("0")),
            product_id: Some(l.item_id.0.clone()),
            variant_id: variant,
            sku: text(&l.model_sku).or_else(|| text(&l.item_sku)),
            name,
            quantity,
            unit_price: amount(unit, c),
            total: amount(total.map(polycart_kit::decode::Dec), c),
            tax: None,
            discount: amount(discount.map(polycart_kit::decode::Dec), c),
        });
    }
    let shipping_address = o.recipient_address.as_ref().and_then(|r| {
        let line2 = [text(&r.town), text(&r.district)]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(", ");
        Address {
            first_name: text(&r.name),
            line1: text(&r.full_address),
            line2: (!line2.is_empty()).then_some(line2),
            city: text(&r.city),
            region: text(&r.state),
            postal_code: text(&r.zipcode),
            country_code: text(&r.region).map(|r| r.to_ascii_uppercase()),
            phone: text(&r.phone),
            ..Address::default()
        }
        .non_empty()
    });
    let shipments = o
        .package_list
        .iter()
        .enumerate()
        .map(|(i, p)| Shipment {
            platform_id: text(&p.package_number).unwrap_or_else(|| format!("{}-{i}", o.order_sn)),
            carrier: text(&p.shipping_carrier),
            tracking_number: p
                .package_number
                .as_ref()
                .and_then(|n| o.tracking_numbers.get(n))
                .filter(|t| !t.is_empty())
                .cloned(),
            tracking_url: None,
            status: text(&p.logistics_status),
            line_items: p
                .item_list
                .iter()
                .map(|li| ShipmentLineItem {
                    line_item_id: Some(format!(
                        "{}-{}",
                        li.item_id.0,
                        id(&li.model_id).as_deref().unwrap_or("0")
                    )),
                    quantity: Decimal::from(li.model_quantity.unwrap_or(0).max(0)),
                })
                .collect(),
            created_at: None,
        })
        .collect();
    let customer = OrderCustomer {
        platform_id: id(&o.buyer_user_id),
        ..OrderCustomer::default()
    };
    let shipping_lines = text(&o.shipping_carrier)
        .map(|carrier| ShippingLine {
            method: Some(carrier.clone()),
            carrier: Some(carrier),
            price: None,
        })
        .into_iter()
        .collect();
    let total = amount(o.total_amount, c);
    let refunds = refunds(&o, c)?;
    let refunded = refunds
        .iter()
        .zip(&o.return_detail_list)
        .filter(|(_, r)| matches!(r.status.as_deref(), Some("ACCEPTED" | "REFUND_PAID")))
        .try_fold(Decimal::ZERO, |sum, (r, _)| {
            sum.checked_add(r.amount.as_ref().map_or(Decimal::ZERO, |m| m.amount))
        });
    let refunded_total = if o.escrow_detail.is_some() {
        amount(refunded.map(polycart_kit::decode::Dec), c)
    } else {
        None
    };
    let shipping = o
        .escrow_detail
        .as_ref()
        .and_then(|e| e.order_income.as_ref())
        .and_then(|i| amount(i.buyer_paid_shipping_fee, c));
    let note = match (text(&o.note), text(&o.message_to_seller)) {
        (Some(n), _) => Some(n),
        (None, m) => m,
    };
    let updated_at = unix_time("$.update_time", o.update_time)?;
    let order = Order {
        number: Some(o.order_sn.clone()),
        status: order_status(&status),
        platform_status: o.order_status.clone(),
        financial_status: match (&refunded_total, &total) {
            (Some(r), Some(t)) if r.amount > Decimal::ZERO && r.amount >= t.amount => {
                Some(FinancialStatus::Refunded)
            }
            (Some(r), Some(_)) if r.amount > Decimal::ZERO => {
                Some(FinancialStatus::PartiallyRefunded)
            }
            _ => financial(&status, paid),
        },
        platform_financial_status: None,
        fulfillment_status: fulfillment(&status),
        currency: cur.clone(),
        totals: OrderTotals {
            subtotal: amount(subtotal.map(polycart_kit::decode::Dec), c)
                .filter(|_| !line_items.is_empty()),
            discount: amount(discounted.map(polycart_kit::decode::Dec), c)
                .filter(|d| !line_items.is_empty() && !d.amount.is_zero()),
            paid: if paid { total.clone() } else { None },
            shipping,
            refunded: refunded_total.clone(),
            total,
            ..OrderTotals::default()
        },
        customer: (customer != OrderCustomer::default()).then_some(customer),
        shipping_address,
        line_items,
        shipping_lines,
        shipments,
        refunds,
        note,
        tags: o
            .cod
            .filter(|c| *c)
            .map(|_| "cod".to_owned())
            .into_iter()
            .collect(),
        source: text(&o.region).map(|r| format!("shopee_{}", r.to_ascii_lowercase())),
        created_at: unix_time("$.create_time", o.create_time)?,
        updated_at,
        // Shopee's order detail says when an order last changed, not when it was
        // completed or cancelled.
        completed_at: None,
        cancelled_at: None,
        raw: Some(Raw::from_raw(raw)),
        ..Order::new(PLATFORM, o.order_sn)
    };
    Ok(vec![order.into()])
}

/// Returns (with the `returns` setting) as refunds: every return but a cancelled one,
/// its `refund_amount` in its currency, its items by `{item_id}-{model_id}`.
fn refunds(o: &wire::Order, order_currency: Option<&Currency>) -> Result<Vec<Refund>> {
    let mut out = Vec::new();
    for (i, r) in o.return_detail_list.iter().enumerate() {
        if r.status.as_deref() == Some("CANCELLED") {
            continue;
        }
        let cur = match r.currency.as_deref() {
            Some(code) => Some(currency(
                &format!("$.return_detail_list[{i}].currency"),
                code,
            )?),
            None => order_currency.cloned(),
        };
        let c = cur.as_ref();
        out.push(Refund {
            platform_id: r.return_sn.clone(),
            amount: amount(r.refund_amount, c),
            reason: text(&r.text_reason).or_else(|| text(&r.reason)),
            created_at: unix_time(
                &format!("$.return_detail_list[{i}].create_time"),
                r.create_time,
            )?,
            line_items: r
                .item
                .iter()
                .map(|li| RefundLineItem {
                    line_item_id: Some(format!(
                        "{}-{}",
                        li.item_id.0,
                        id(&li.model_id).as_deref().unwrap_or("0")
                    )),
                    quantity: Decimal::from(li.amount.unwrap_or(0).max(0)),
                    amount: amount(li.refund_amount, c),
                })
                .collect(),
        });
    }
    Ok(out)
}

fn product_status(status: &str) -> Option<ProductStatus> {
    Some(match status {
        "NORMAL" => ProductStatus::Active,
        "UNLIST" | "REVIEWING" => ProductStatus::Draft,
        "BANNED" | "SELLER_DELETE" | "SHOPEE_DELETE" => ProductStatus::Archived,
        _ => return None,
    })
}

/// The item's price: `current_price` (after promotions), and the listing's
/// `original_price` as the compare-at price when it is higher.
fn prices(info: &[wire::PriceInfo], cur: Option<&Currency>) -> (Option<Money>, Option<Money>) {
    let Some(p) = info.first() else {
        return (None, None);
    };
    let price = p.current_price.or(p.original_price);
    let compare = match (p.original_price, price) {
        (Some(o), Some(c)) if o.0 > c.0 => Some(o),
        _ => None,
    };
    (amount(price, cur), amount(compare, cur))
}

fn stock(info: &Option<wire::StockInfo>) -> Option<i64> {
    info.as_ref()?.summary_info.as_ref()?.total_available_stock
}

/// One item of `get_item_base_info`, with its models under `model_list` when fetched.
pub fn product(raw: &RawValue, ctx: &StoreContext) -> Result<Vec<Record>> {
    let p: wire::BaseItem = decode_json(raw.get())?;
    let cur = match p.price_info.first().and_then(|i| i.currency.as_deref()) {
        Some(c) => Some(currency("$.price_info[0].currency", c)?),
        None => ctx.currency.clone(),
    };
    let c = cur.as_ref();
    let (price, compare_at_price) = prices(&p.price_info, c);
    let mut options = Vec::new();
    let mut variants = Vec::new();
    if let Some(models) = &p.model_list {
        options = models
            .tier_variation
            .iter()
            .enumerate()
            .map(|(i, t)| ProductOption {
                name: text(&t.name).unwrap_or_else(|| format!("Option {}", i + 1)),
                values: t
                    .option_list
                    .iter()
                    .filter_map(|o| text(&o.option))
                    .collect(),
            })
            .collect();
        for (i, m) in models.model.iter().enumerate() {
            let mut chosen = BTreeMap::new();
            for (tier, index) in m.tier_index.iter().enumerate() {
                let (Some(t), Some(value)) = (
                    options.get(tier),
                    models
                        .tier_variation
                        .get(tier)
                        .and_then(|t| t.option_list.get(*index))
                        .and_then(|o| text(&o.option)),
                ) else {
                    return Err(Error::decode(
                        format!("$.model_list.model[{i}].tier_index[{tier}]"),
                        "names no option of the item's tiers",
                    ));
                };
                chosen.insert(t.name.clone(), value);
            }
            let mcur = match m.price_info.first().and_then(|i| i.currency.as_deref()) {
                Some(code) => Some(currency(
                    &format!("$.model_list.model[{i}].price_info[0].currency"),
                    code,
                )?),
                None => cur.clone(),
            };
            let (vprice, vcompare) = prices(&m.price_info, mcur.as_ref());
            variants.push(Variant {
                platform_id: m.model_id.0.clone(),
                sku: text(&m.model_sku),
                barcode: None,
                options: chosen,
                price: vprice,
                compare_at_price: vcompare,
                inventory_quantity: stock(&m.stock_info_v2),
                weight: p.weight.map(|w| Weight {
                    value: w.0.normalize(),
                    unit: "kg".to_owned(),
                }),
                image_url: None,
            });
        }
    }
    let inventory_quantity = if variants.is_empty() {
        stock(&p.stock_info_v2)
    } else {
        variants
            .iter()
            .try_fold(0i64, |sum, v| sum.checked_add(v.inventory_quantity?))
    };
    let images = p
        .image
        .as_ref()
        .map(|i| {
            i.image_url_list
                .iter()
                .filter(|u| u.starts_with("http"))
                .enumerate()
                .map(|(n, url)| Image {
                    url: url.clone(),
                    alt: None,
                    position: u32::try_from(n + 1).ok(),
                })
                .collect()
        })
        .unwrap_or_default();
    let product = Product {
        name: text(&p.item_name),
        sku: text(&p.item_sku),
        description_html: text(&p.description),
        status: p.item_status.as_deref().and_then(product_status),
        platform_status: p.item_status.clone(),
        vendor: p.brand.as_ref().and_then(|b| text(&b.original_brand_name)),
        category_ids: p.category_id.iter().map(|c| c.0.clone()).collect(),
        images,
        price: if variants.is_empty() { price } else { None }.or_else(|| {
            variants
                .iter()
                .filter_map(|v| v.price.clone())
                .min_by(|a, b| a.amount.cmp(&b.amount))
        }),
        compare_at_price: if variants.is_empty() {
            compare_at_price
        } else {
            None
        },
        options,
        variants,
        inventory_quantity,
        created_at: unix_time("$.create_time", p.create_time)?,
        updated_at: unix_time("$.update_time", p.update_time)?,
        raw: Some(Raw::from_raw(raw)),
        ..Product::new(PLATFORM, p.item_id.0)
    };
    let _ = p.has_model;
    Ok(vec![product.into()])
}

/// The stock levels of one item of `get_item_base_info` (models under `model_list`):
/// one per model (`{item_id}:{model_id}`), or one for an item without models
/// (`{item_id}:0`), each its `total_available_stock`.
pub fn inventory(raw: &RawValue, _ctx: &StoreContext) -> Result<Vec<Record>> {
    let p: wire::BaseItem = decode_json(raw.get())?;
    let updated_at = unix_time("$.update_time", p.update_time)?;
    let level = |model: Option<&str>, sku: Option<String>, available: Option<i64>| InventoryLevel {
        id: None,
        store_id: None,
        platform: PLATFORM.to_owned(),
        platform_id: format!("{}:{}", p.item_id.0, model.unwrap_or("0")),
        product_id: Some(p.item_id.0.clone()),
        variant_id: model.map(str::to_owned),
        sku,
        location_id: None,
        available,
        updated_at,
        raw: Some(Raw::from_raw(raw)),
    };
    let models = p
        .model_list
        .as_ref()
        .map(|m| m.model.as_slice())
        .unwrap_or_default();
    if models.is_empty() {
        return Ok(vec![
            level(None, text(&p.item_sku), stock(&p.stock_info_v2)).into(),
        ]);
    }
    Ok(models
        .iter()
        .map(|m| {
            level(
                Some(&m.model_id.0),
                text(&m.model_sku),
                stock(&m.stock_info_v2),
            )
            .into()
        })
        .collect())
}

/// A pure mapping from one raw record to unified records.
pub type Map = fn(&RawValue, &StoreContext) -> Result<Vec<Record>>;

/// The mapping of `entity`'s records.
pub fn mapper(entity: Entity) -> Result<Map> {
    match entity {
        Entity::Order => Ok(order),
        Entity::Product => Ok(product),
        Entity::Inventory => Ok(inventory),
        other => Err(Error::unsupported(PLATFORM, format!("{other}s"))),
    }
}

/// Where an entity's records sit in a Shopee answer.
pub fn list_pointer(entity: Entity) -> &'static str {
    match entity {
        Entity::Order => "/response/order_list",
        _ => "/response/item_list",
    }
}

/// `Connector::normalize`: a `get_order_detail` answer (`{"error", "message",
/// "request_id", "response": {"order_list": [...]}}`) as orders, a
/// `get_item_base_info` answer (`response.item_list`, models under each item's
/// `model_list`) as products; a bare order or item, or an array of them, too. An
/// answer without `response` whose `error` is set is refused, naming the error.
pub fn normalize(entity: Entity, text: &str, ctx: &StoreContext) -> Result<Normalized> {
    let map = mapper(entity)?;
    let trimmed = text.trim_start();
    let enveloped = !trimmed.starts_with('[')
        && polycart_kit::envelope::field(text, "response")?.is_some_and(|r| r.get() != "null");
    if !enveloped
        && !trimmed.starts_with('[')
        && let Some((code, message)) = crate::client::error_of(text)
    {
        return Err(Error::invalid(format!(
            "the payload is a Shopee error: {code}: {message}"
        )));
    }
    let (items, list) = if enveloped {
        let envelope = polycart_kit::envelope::Envelope::At(list_pointer(entity));
        (envelope.split(text)?, true)
    } else if trimmed.starts_with('[') {
        (polycart_kit::envelope::Envelope::Array.split(text)?, true)
    } else {
        (
            vec![polycart_kit::error::decode_json_borrowed::<&RawValue>(
                text,
            )?],
            false,
        )
    };
    let envelope = polycart_kit::envelope::Envelope::At(list_pointer(entity));
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let mapped = map(item, ctx).map_err(|e| {
            if enveloped {
                envelope.at_item(e, i)
            } else {
                polycart_kit::decode::at_index(e, i, list)
            }
        })?;
        out.extend(mapped);
    }
    match (list, out.len()) {
        (false, 1) => Ok(Normalized::One(out.remove(0))),
        (false, _) => Err(Error::decode("$", "expected one record")),
        (true, _) => Ok(Normalized::List(out)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(entity: Entity, text: &str) -> Record {
        match normalize(entity, text, &StoreContext::default()).unwrap() {
            Normalized::One(r) => r,
            Normalized::List(mut l) => l.remove(0),
        }
    }

    #[test]
    fn float_money_is_exact_and_whole_unit_currencies_stay_whole() {
        let idr = r#"{"order_sn":"X1","currency":"IDR","total_amount":1250000.0,"pay_time":1,
            "item_list":[{"item_id":1,"model_id":0,"model_quantity_purchased":3,
            "model_original_price":450000.0,"model_discounted_price":416666}]}"#;
        let Record::Order(o) = one(Entity::Order, idr) else {
            panic!()
        };
        let total = o.totals.total.unwrap();
        assert_eq!(total.amount.to_string(), "1250000");
        assert!(whole_units(&total.currency));
        let line = &o.line_items[0];
        assert_eq!(
            line.unit_price.as_ref().unwrap().amount.to_string(),
            "416666"
        );
        assert_eq!(line.total.as_ref().unwrap().amount.to_string(), "1249998");
        assert_eq!(line.discount.as_ref().unwrap().amount.to_string(), "100002");
        assert_eq!(line.variant_id, None);

        let sgd = r#"{"order_sn":"X2","currency":"SGD","total_amount":0.3,
            "item_list":[{"item_id":1,"model_id":7,"model_quantity_purchased":3,
            "model_original_price":0.1,"model_discounted_price":0.1}]}"#;
        let Record::Order(o) = one(Entity::Order, sgd) else {
            panic!()
        };
        assert_eq!(o.totals.total.unwrap().amount.to_string(), "0.3");
        // 3 × 0.1 is 0.3 exactly, not 0.30000000000000004.
        assert_eq!(o.totals.subtotal.unwrap().amount.to_string(), "0.3");
        assert_eq!(o.line_items[0].variant_id.as_deref(), Some("7"));
        assert_eq!(o.financial_status, None);
    }

    #[test]
    fn an_error_answer_is_refused_naming_the_error() {
        let err = normalize(
            Entity::Order,
            r#"{"error":"error_not_found","message":"Wrong parameters, detail: the order is not found.","request_id":"f7"}"#,
            &StoreContext::default(),
        )
        .unwrap_err();
        assert!(err.to_string().contains("error_not_found"), "{err}");
    }

    #[test]
    fn models_become_variants_with_their_tier_options() {
        let item = r#"{"item_id":5,"item_name":"Tee","item_status":"NORMAL","price_info":[{"currency":"MYR","original_price":30.5,"current_price":25.9}],
            "model_list":{"tier_variation":[{"name":"Size","option_list":[{"option":"S"},{"option":"M"}]}],
            "model":[{"model_id":51,"model_sku":"TEE-S","tier_index":[0],"price_info":[{"original_price":30.5,"current_price":25.9}],"stock_info_v2":{"summary_info":{"total_available_stock":4}}},
                     {"model_id":52,"model_sku":"TEE-M","tier_index":[1],"price_info":[{"original_price":31,"current_price":31}],"stock_info_v2":{"summary_info":{"total_available_stock":6}}}]}}"#;
        let Record::Product(p) = one(Entity::Product, item) else {
            panic!()
        };
        assert_eq!(p.variants.len(), 2);
        assert_eq!(
            p.variants[0].options.get("Size").map(String::as_str),
            Some("S")
        );
        assert_eq!(
            p.variants[0].price.as_ref().unwrap().amount.to_string(),
            "25.9"
        );
        assert_eq!(
            p.variants[0]
                .compare_at_price
                .as_ref()
                .unwrap()
                .amount
                .to_string(),
            "30.5"
        );
        assert_eq!(p.variants[1].compare_at_price, None);
        assert_eq!(p.inventory_quantity, Some(10));
        assert_eq!(p.price.unwrap().amount.to_string(), "25.9");
        let bad = item.replace(r#""tier_index":[1]"#, r#""tier_index":[9]"#);
        assert!(normalize(Entity::Product, &bad, &StoreContext::default()).is_err());
    }

    #[test]
    fn hostile_payloads_are_errors_or_records_never_panics() {
        let ctx = StoreContext::default();
        for (entity, text) in [
            (
                Entity::Order,
                r#"{"order_sn":"A","currency":"IDR","item_list":[{"item_id":1,"model_quantity_purchased":-1}]}"#,
            ),
            (
                Entity::Order,
                r#"{"order_sn":"A","currency":"USD","total_amount":1e300}"#,
            ),
            (
                Entity::Order,
                r#"{"order_sn":"A","currency":"USD","item_list":[{"item_id":1,"model_quantity_purchased":9223372036854775807,"model_original_price":79228162514264337593543950335,"model_discounted_price":-79228162514264337593543950335}]}"#,
            ),
            (
                Entity::Order,
                r#"{"order_sn":"A","create_time":9223372036854775807}"#,
            ),
            (
                Entity::Order,
                r#"{"order_sn":"A","currency":"not a currency"}"#,
            ),
            (Entity::Order, r#"{"response":{"order_list":"nope"}}"#),
            (Entity::Order, "[1,2]"),
            (Entity::Order, "<html>"),
            (
                Entity::Product,
                r#"{"item_id":1,"model_list":{"tier_variation":[],"model":[{"model_id":2,"tier_index":[5]}]}}"#,
            ),
            (
                Entity::Product,
                r#"{"item_id":1,"model_list":{"model":[{"model_id":2,"stock_info_v2":{"summary_info":{"total_available_stock":9223372036854775807}}},{"model_id":3,"stock_info_v2":{"summary_info":{"total_available_stock":9223372036854775807}}}]}}"#,
            ),
            (Entity::Inventory, r#"{"item_id":"x"}"#),
            (Entity::Customer, "{}"),
        ] {
            let _ = normalize(entity, text, &ctx);
        }
        let overflow = normalize(
            Entity::Product,
            r#"{"item_id":1,"model_list":{"model":[{"model_id":2,"stock_info_v2":{"summary_info":{"total_available_stock":9223372036854775807}}},{"model_id":3,"stock_info_v2":{"summary_info":{"total_available_stock":1}}}]}}"#,
            &ctx,
        )
        .unwrap();
        let Normalized::One(Record::Product(p)) = overflow else {
            panic!()
        };
        assert_eq!(
            p.inventory_quantity, None,
            "an overflowing sum is unknown, not wrapped"
        );
    }
}
