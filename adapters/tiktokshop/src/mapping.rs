//! Pure TikTok Shop → unified mapping, no IO. Money is exact (decimal strings, each in
//! its own currency); Unix-second times become UTC with the originals kept in `raw`.
//!
//! TikTok writes an order's `line_items` one per unit, without a quantity: the units of
//! one SKU are grouped into one unified line, in the order of their first unit, with
//! quantity = the number of units; its `total` is the sum of the units' `sale_price`,
//! `discount` the sum of their seller and platform discounts, `tax` the sum of their
//! `item_tax`, and `unit_price` the units' `sale_price` when they all agree (else
//! `total / quantity` would be a made-up figure, so it stays empty). The line's id is
//! its first unit's id; every unit stays in `raw`.

use polycart_kit::connector::Normalized;
use polycart_kit::decode::{currency, money, unix_time};
use polycart_kit::error::decode_json;
use polycart_kit::model::{
    Address, Currency, FinancialStatus, FulfillmentStatus, LineItem, Money, Order, OrderCustomer,
    OrderStatus, OrderTotals, Product, ProductStatus, Raw, Shipment, ShipmentLineItem,
    ShippingLine, Variant,
};
use polycart_kit::{Entity, Error, Record, Result, StoreContext};
use rust_decimal::Decimal;
use serde_json::value::RawValue;

use crate::{PLATFORM, wire};

fn amount(path: &str, v: Option<&str>, cur: Option<&Currency>) -> Result<Option<Money>> {
    match (v.map(str::trim), cur) {
        (None | Some(""), _) => Ok(None),
        (Some(v), Some(c)) => money(path, v, c).map(Some),
        (Some(_), None) => Err(Error::decode(path, "an amount without a currency")),
    }
}

fn add(path: &str, a: Option<Money>, b: Option<Money>) -> Result<Option<Money>> {
    match (a, b) {
        (Some(a), Some(b)) => a
            .checked_add(&b)
            .map(Some)
            .map_err(|e| Error::decode(path, e.to_string())),
        (a, b) => Ok(a.or(b)),
    }
}

/// TikTok's order status in the unified scale.
pub fn order_status(s: &str) -> Option<OrderStatus> {
    Some(match s {
        "UNPAID" => OrderStatus::Pending,
        "ON_HOLD" => OrderStatus::OnHold,
        "AWAITING_SHIPMENT" | "PARTIALLY_SHIPPING" | "AWAITING_COLLECTION" | "IN_TRANSIT" => {
            OrderStatus::Processing
        }
        "DELIVERED" | "COMPLETED" => OrderStatus::Completed,
        "CANCELLED" => OrderStatus::Cancelled,
        _ => return None,
    })
}

/// Where the order's goods stand, from its status.
pub fn fulfillment_status(s: &str) -> Option<FulfillmentStatus> {
    Some(match s {
        "UNPAID" | "ON_HOLD" | "AWAITING_SHIPMENT" => FulfillmentStatus::Unfulfilled,
        "PARTIALLY_SHIPPING" => FulfillmentStatus::Partial,
        "AWAITING_COLLECTION" | "IN_TRANSIT" | "DELIVERED" | "COMPLETED" => {
            FulfillmentStatus::Fulfilled
        }
        _ => return None,
    })
}

/// The key units of one unified line share: the SKU, else the unit itself.
pub(crate) fn unit_key(u: &wire::LineItem) -> String {
    u.sku_id
        .as_ref()
        .map(|s| s.0.clone())
        .unwrap_or_else(|| format!("line:{}", u.id.0))
}

/// The order's shipped packages, from its units' `package_id`: one shipment per
/// package whose units carry a tracking number (TikTok makes a package for every paid
/// order; one without tracking has not shipped), its lines the unified lines (first
/// unit's id) with the count of their units in it.
fn shipments(units: &[wire::LineItem]) -> Vec<Shipment> {
    let mut out: Vec<Shipment> = Vec::new();
    for u in units {
        let Some(package) = u.package_id.as_ref().filter(|p| !p.0.is_empty()) else {
            continue;
        };
        if u.tracking_number.as_deref().is_none_or(str::is_empty) {
            continue;
        }
        let line_id = units
            .iter()
            .find(|first| unit_key(first) == unit_key(u))
            .map_or_else(|| u.id.0.clone(), |first| first.id.0.clone());
        let at = match out.iter().position(|s| s.platform_id == package.0) {
            Some(i) => i,
            None => {
                out.push(Shipment {
                    platform_id: package.0.clone(),
                    carrier: u.shipping_provider_name.clone(),
                    tracking_number: u.tracking_number.clone().filter(|t| !t.is_empty()),
                    tracking_url: None,
                    status: u.package_status.clone(),
                    line_items: Vec::new(),
                    created_at: None,
                });
                out.len() - 1
            }
        };
        let lines = &mut out[at].line_items;
        match lines
            .iter_mut()
            .find(|l| l.line_item_id.as_deref() == Some(line_id.as_str()))
        {
            Some(l) => l.quantity += Decimal::ONE,
            None => lines.push(ShipmentLineItem {
                line_item_id: Some(line_id),
                quantity: Decimal::ONE,
            }),
        }
    }
    out
}

/// Groups the per-unit lines by SKU (see the module doc).
fn lines(units: &[wire::LineItem], order_cur: Option<&Currency>) -> Result<Vec<LineItem>> {
    let mut out: Vec<(String, LineItem, Option<String>, bool)> = Vec::new();
    for (i, u) in units.iter().enumerate() {
        let path = |f: &str| format!("$.line_items[{i}].{f}");
        let cur = match u.currency.as_deref() {
            Some(c) => Some(currency(&path("currency"), c)?),
            None => order_cur.cloned(),
        };
        let cur = cur.as_ref();
        let key = unit_key(u);
        let sale = amount(&path("sale_price"), u.sale_price.as_deref(), cur)?;
        let discount = add(
            &path("seller_discount"),
            amount(&path("seller_discount"), u.seller_discount.as_deref(), cur)?,
            amount(
                &path("platform_discount"),
                u.platform_discount.as_deref(),
                cur,
            )?,
        )?;
        let mut tax = None;
        for (j, t) in u.item_tax.iter().enumerate() {
            let p = path(&format!("item_tax[{j}].tax_amount"));
            tax = add(&p, tax, amount(&p, t.tax_amount.as_deref(), cur)?)?;
        }
        match out.iter_mut().find(|(k, ..)| *k == key) {
            Some((_, line, first_price, same)) => {
                line.quantity += Decimal::ONE;
                *same &= *first_price == u.sale_price;
                line.total = add(&path("sale_price"), line.total.take(), sale)?;
                line.discount = add(&path("seller_discount"), line.discount.take(), discount)?;
                line.tax = add(&path("item_tax"), line.tax.take(), tax)?;
            }
            None => out.push((
                key,
                LineItem {
                    platform_id: u.id.0.clone(),
                    product_id: u.product_id.as_ref().map(|p| p.0.clone()),
                    variant_id: u.sku_id.as_ref().map(|s| s.0.clone()),
                    sku: u.seller_sku.clone(),
                    name: match (&u.product_name, &u.sku_name) {
                        (Some(p), Some(s)) if !s.is_empty() => Some(format!("{p} - {s}")),
                        (p, _) => p.clone(),
                    },
                    quantity: Decimal::ONE,
                    unit_price: sale.clone(),
                    total: sale,
                    tax,
                    discount,
                },
                u.sale_price.clone(),
                true,
            )),
        }
    }
    Ok(out
        .into_iter()
        .map(|(_, mut line, _, same)| {
            if !same {
                line.unit_price = None;
            }
            line
        })
        .collect())
}

/// One order (an element of Get Order Detail's `data.orders`).
pub fn order(raw: &RawValue, _ctx: &StoreContext) -> Result<Vec<Record>> {
    let o: wire::Order = decode_json(raw.get())?;
    let p = o.payment.as_ref();
    let cur = p
        .and_then(|p| p.currency.as_deref())
        .map(|c| currency("$.payment.currency", c))
        .transpose()?;
    let c = cur.as_ref();
    let field = |name: &str, v: Option<&String>| {
        amount(&format!("$.payment.{name}"), v.map(String::as_str), c)
    };
    let totals = OrderTotals {
        subtotal: field("sub_total", p.and_then(|p| p.sub_total.as_ref()))?,
        shipping: field("shipping_fee", p.and_then(|p| p.shipping_fee.as_ref()))?,
        tax: field("tax", p.and_then(|p| p.tax.as_ref()))?,
        discount: add(
            "$.payment.seller_discount",
            field(
                "seller_discount",
                p.and_then(|p| p.seller_discount.as_ref()),
            )?,
            field(
                "platform_discount",
                p.and_then(|p| p.platform_discount.as_ref()),
            )?,
        )?,
        total: field("total_amount", p.and_then(|p| p.total_amount.as_ref()))?,
        ..OrderTotals::default()
    };
    let status = o.status.as_deref();
    let financial_status = match (status, o.paid_time) {
        (Some("UNPAID"), _) => Some(FinancialStatus::Pending),
        (Some("CANCELLED"), None) => Some(FinancialStatus::Voided),
        (_, Some(_)) => Some(FinancialStatus::Paid),
        _ => None,
    };
    let shipping_address = o.recipient_address.as_ref().map(|a| {
        let (first, last) = match (&a.first_name, &a.last_name) {
            (None, None) => (a.name.clone(), None),
            (f, l) => (f.clone(), l.clone()),
        };
        Address {
            first_name: first,
            last_name: last,
            line1: a.address_line1.clone(),
            line2: a.address_line2.clone(),
            postal_code: a.postal_code.clone(),
            country_code: a.region_code.clone(),
            phone: a.phone_number.clone(),
            ..Address::default()
        }
    });
    let shipping_lines = match (&o.delivery_option_name, &totals.shipping) {
        (None, None) => Vec::new(),
        (method, price) => vec![ShippingLine {
            method: method.clone(),
            carrier: o.shipping_provider.clone(),
            price: price.clone(),
        }],
    };
    let order = Order {
        number: Some(o.id.0.clone()),
        status: status.and_then(order_status),
        platform_status: o.status.clone(),
        financial_status,
        fulfillment_status: status.and_then(fulfillment_status),
        cancelled_at: match status {
            Some("CANCELLED") => unix_time("$.cancel_time", o.cancel_time)?,
            _ => None,
        },
        currency: cur.clone(),
        shipments: shipments(&o.line_items),
        line_items: lines(&o.line_items, c)?,
        totals,
        customer: Some(OrderCustomer {
            platform_id: o.user_id.map(|u| u.0),
            email: o.buyer_email,
            ..OrderCustomer::default()
        }),
        shipping_address,
        shipping_lines,
        note: o.buyer_message,
        created_at: unix_time("$.create_time", o.create_time)?,
        updated_at: unix_time("$.update_time", o.update_time)?,
        raw: Some(Raw::from_raw(raw)),
        ..Order::new(PLATFORM, o.id.0)
    };
    Ok(vec![order.into()])
}

fn product_status(s: &str) -> Option<ProductStatus> {
    Some(match s {
        "ACTIVATE" => ProductStatus::Active,
        "DRAFT" | "PENDING" | "FAILED" => ProductStatus::Draft,
        "SELLER_DEACTIVATED" | "PLATFORM_DEACTIVATED" | "FREEZE" | "DELETED" => {
            ProductStatus::Archived
        }
        _ => return None,
    })
}

/// One product (Get Product's `data`, or an element of Search Products'
/// `data.products`): SKUs as variants, stock summed over warehouses (each warehouse's
/// level stays in `raw`).
pub fn product(raw: &RawValue, _ctx: &StoreContext) -> Result<Vec<Record>> {
    let p: wire::Product = decode_json(raw.get())?;
    let mut variants = Vec::with_capacity(p.skus.len());
    for (i, s) in p.skus.iter().enumerate() {
        let price = match &s.price {
            Some(pr) => {
                let cur = pr
                    .currency
                    .as_deref()
                    .map(|c| currency(&format!("$.skus[{i}].price.currency"), c))
                    .transpose()?;
                amount(
                    &format!("$.skus[{i}].price.sale_price"),
                    pr.sale_price.as_deref(),
                    cur.as_ref(),
                )?
            }
            None => None,
        };
        let stock = (!s.inventory.is_empty()).then(|| {
            s.inventory
                .iter()
                .map(|w| w.quantity.unwrap_or(0))
                .fold(0_i64, i64::saturating_add)
        });
        variants.push(Variant {
            platform_id: s.id.0.clone(),
            sku: s.seller_sku.clone(),
            barcode: None,
            options: Default::default(),
            price,
            compare_at_price: None,
            inventory_quantity: stock,
            weight: None,
            image_url: None,
        });
    }
    let inventory_quantity = variants
        .iter()
        .map(|v| v.inventory_quantity)
        .try_fold(0_i64, |sum, q| q.map(|q| sum.saturating_add(q)))
        .filter(|_| !variants.is_empty());
    let product = Product {
        name: p.title,
        sku: variants.first().and_then(|v| v.sku.clone()),
        price: variants.first().and_then(|v| v.price.clone()),
        status: p.status.as_deref().and_then(product_status),
        platform_status: p.status,
        description_html: p.description,
        inventory_quantity,
        variants,
        created_at: unix_time("$.create_time", p.create_time)?,
        updated_at: unix_time("$.update_time", p.update_time)?,
        raw: Some(Raw::from_raw(raw)),
        ..Product::new(PLATFORM, p.id.0)
    };
    Ok(vec![product.into()])
}

/// A mapping of one raw record.
pub type MapFn = fn(&RawValue, &StoreContext) -> Result<Vec<Record>>;

/// The mapping of `entity`'s records.
pub fn mapper(entity: Entity) -> Result<MapFn> {
    match entity {
        Entity::Order => Ok(order),
        Entity::Product => Ok(product),
        other => Err(Error::entity_unsupported(PLATFORM, other)),
    }
}

/// `Connector::normalize`: TikTok's envelope `{"code","data","message","request_id"}`
/// (a non-zero `code` is refused) around Get Order Detail or Search Orders
/// (`data.orders`, a list), Search Products (`data.products`, a list) or Get Product
/// (`data` is the product, one record). A bare order or product object is read too.
pub fn normalize(entity: Entity, text: &str, ctx: &StoreContext) -> Result<Normalized> {
    let map = mapper(entity)?;
    #[derive(serde::Deserialize)]
    struct Env<'a> {
        code: Option<i64>,
        message: Option<String>,
        #[serde(borrow)]
        data: Option<&'a RawValue>,
    }
    let list_key = match entity {
        Entity::Order => "orders",
        _ => "products",
    };
    let env: Env<'_> = polycart_kit::error::decode_json_borrowed(text)?;
    let (body, path) = match (env.code, env.data) {
        (Some(0), Some(data)) => (data.get(), "$.data"),
        (Some(0), None) => return Err(Error::decode("$.data", "no data")),
        (Some(code), _) => {
            return Err(Error::invalid(format!(
                "the answer is an error: code {code}: {}",
                polycart_kit::error::sanitise(env.message.as_deref().unwrap_or_default(), 160)
            )));
        }
        (None, _) => (text, "$"),
    };
    let (items, list) = polycart_kit::decode::split_envelope(body, &[list_key])?;
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let mapped = map(item, ctx).map_err(|e| match e {
            Error::Decode { path: p, excerpt } if list => Error::decode(
                format!("{path}.{list_key}[{i}]{}", p.trim_start_matches('$')),
                excerpt,
            ),
            other => other,
        })?;
        out.extend(mapped);
    }
    match (list, out.len()) {
        (false, 1) => Ok(Normalized::One(out.remove(0))),
        (false, _) => Err(Error::decode(path, "expected one record")),
        (true, _) => Ok(Normalized::List(out)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one_order(json: &str) -> Order {
        let raw: Box<RawValue> = serde_json::from_str(json).unwrap();
        match order(&raw, &StoreContext::default()).unwrap().remove(0) {
            Record::Order(o) => *o,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn units_of_one_sku_become_one_line_with_exact_sums() {
        let o = one_order(
            r#"{"id":"576461413038785752","status":"AWAITING_SHIPMENT","create_time":1619611561,"update_time":1619621355,
            "payment":{"currency":"USD","sub_total":"0.30","total_amount":"0.30"},
            "line_items":[
              {"id":"1","sku_id":"9007199254740993","product_id":"7","product_name":"Socks","sale_price":"0.10","seller_discount":"0.01","platform_discount":"0.02","currency":"USD","item_tax":[{"tax_amount":"0.005"}]},
              {"id":"2","sku_id":"42","product_name":"Hat","sale_price":"0.10","currency":"USD"},
              {"id":"3","sku_id":"9007199254740993","product_id":"7","product_name":"Socks","sale_price":"0.10","seller_discount":"0.01","platform_discount":"0.02","currency":"USD","item_tax":[{"tax_amount":"0.005"}]}
            ]}"#,
        );
        assert_eq!(o.line_items.len(), 2);
        let socks = &o.line_items[0];
        assert_eq!(socks.platform_id, "1");
        assert_eq!(socks.variant_id.as_deref(), Some("9007199254740993"));
        assert_eq!(socks.quantity, Decimal::from(2));
        assert_eq!(socks.total.as_ref().unwrap().amount.to_string(), "0.20");
        assert_eq!(
            socks.unit_price.as_ref().unwrap().amount.to_string(),
            "0.10"
        );
        assert_eq!(socks.discount.as_ref().unwrap().amount.to_string(), "0.06");
        assert_eq!(socks.tax.as_ref().unwrap().amount.to_string(), "0.010");
        assert_eq!(o.line_items[1].quantity, Decimal::ONE);
        assert_eq!(o.totals.total.as_ref().unwrap().amount.to_string(), "0.30");
        assert_eq!(o.status, Some(OrderStatus::Processing));
        assert_eq!(o.created_at.unwrap().timestamp(), 1_619_611_561);
    }

    #[test]
    fn units_at_different_prices_keep_no_unit_price() {
        let o = one_order(
            r#"{"id":"1","payment":{"currency":"EUR"},"line_items":[
              {"id":"1","sku_id":"5","sale_price":"1.00"},{"id":"2","sku_id":"5","sale_price":"0.50"}]}"#,
        );
        assert_eq!(o.line_items[0].quantity, Decimal::from(2));
        assert_eq!(o.line_items[0].unit_price, None);
        assert_eq!(
            o.line_items[0].total.as_ref().unwrap().amount.to_string(),
            "1.50"
        );
    }

    #[test]
    fn an_error_envelope_is_refused() {
        let err = normalize(
            Entity::Order,
            r#"{"code":105002,"message":"Expired credentials","request_id":"x","data":null}"#,
            &StoreContext::default(),
        )
        .unwrap_err();
        assert!(matches!(err, Error::Invalid { .. }), "{err:?}");
    }
}
