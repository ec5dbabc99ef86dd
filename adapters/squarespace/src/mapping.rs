//! Pure Squarespace → unified mapping, no IO: one signature for every entity
//! (`fn(&RawValue, &StoreContext) -> Result<Vec<Record>>`), and `normalize` for
//! `polycart normalize` and the golden tests.
//!
//! Every Squarespace amount names its currency (`{"currency", "value"}`), so no store
//! context is needed; an amount in another currency than the order's grand total is a
//! decode error, never summed. Prices are as Squarespace states them: where an order's
//! `priceTaxInterpretation` is `INCLUSIVE`, unit prices include tax (kept in `raw`).
//! Squarespace keeps no refund records on an order, only `refundedTotal`, so
//! `totals.refunded` is set and `refunds` stays empty; `fulfillments` (which have no
//! ids) become shipments numbered by position. Inventory items are product variants
//! (`variantId` is the level's id); profiles are customers.

use polycart_kit::connector::Normalized;
use polycart_kit::decode::{at_index, currency, datetime, split_envelope};
use polycart_kit::error::decode_json;
use polycart_kit::model::{
    Address, Currency, Customer, Discount, FinancialStatus, FulfillmentStatus, Image,
    InventoryLevel, LineItem, Money, Order, OrderCustomer, OrderStatus, OrderTotals, Product,
    ProductOption, ProductStatus, Raw, Shipment, ShippingLine, Variant, Weight,
};
use polycart_kit::{Entity, Error, Record, Result, StoreContext};
use rust_decimal::Decimal;
use serde_json::value::RawValue;

use crate::{PLATFORM, wire};

/// An amount as money; `path` names it in errors.
fn money(path: &str, a: Option<&wire::Amount>) -> Result<Option<Money>> {
    let Some(a) = a else { return Ok(None) };
    Ok(Some(Money::new(a.value.0, currency(path, &a.currency)?)))
}

/// An amount that must be in `cur` (the order's currency).
fn money_in(path: &str, a: Option<&wire::Amount>, cur: Option<&Currency>) -> Result<Option<Money>> {
    let m = money(path, a)?;
    if let (Some(m), Some(c)) = (&m, cur)
        && &m.currency != c
    {
        return Err(Error::decode(
            path,
            format!(
                "amount in {} on an order in {}",
                m.currency.as_str(),
                c.as_str()
            ),
        ));
    }
    Ok(m)
}

fn nonempty(s: Option<&str>) -> Option<String> {
    s.map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

fn address(a: Option<&wire::Address>, email: Option<&str>) -> Option<Address> {
    let a = a?;
    Address {
        first_name: nonempty(a.first_name.as_deref()),
        last_name: nonempty(a.last_name.as_deref()),
        company: None,
        line1: nonempty(a.address1.as_deref()),
        line2: nonempty(a.address2.as_deref()),
        city: nonempty(a.city.as_deref()),
        region: None,
        // Squarespace's `state` is the code shoppers pick ("NY").
        region_code: nonempty(a.state.as_deref()),
        postal_code: nonempty(a.postal_code.as_deref()),
        country_code: nonempty(a.country_code.as_deref()),
        phone: nonempty(a.phone.as_deref()),
        email: email.map(str::to_owned),
    }
    .non_empty()
}

/// `paymentState` as the unified financial status; `PAID` with part refunded is
/// partially refunded.
fn financial(state: &str, part_refunded: bool) -> Option<FinancialStatus> {
    Some(match state {
        "NOT_CHARGED" | "PENDING" => FinancialStatus::Pending,
        "AUTHORIZED" => FinancialStatus::Authorized,
        "PARTIALLY_PAID" => FinancialStatus::PartiallyPaid,
        "PAID" | "REFUND_PENDING" | "REFUND_FAILED" if part_refunded => {
            FinancialStatus::PartiallyRefunded
        }
        "PAID" | "REFUND_PENDING" | "REFUND_FAILED" => FinancialStatus::Paid,
        "REFUNDED" => FinancialStatus::Refunded,
        _ => return None,
    })
}

/// The unified order status from Squarespace's fulfilment status and payment state.
fn status(fulfillment: Option<&str>, payment: Option<&str>) -> Option<OrderStatus> {
    Some(match (fulfillment, payment) {
        (Some("CANCELED"), _) => OrderStatus::Cancelled,
        (_, Some("REFUNDED")) => OrderStatus::Refunded,
        (_, Some("FAILED")) => OrderStatus::Failed,
        (Some("FULFILLED"), _) => OrderStatus::Completed,
        (Some("PENDING"), Some("NOT_CHARGED" | "PENDING" | "AUTHORIZED")) => OrderStatus::Pending,
        (Some("PENDING"), _) => OrderStatus::Processing,
        _ => return None,
    })
}

/// One order (Orders API 1.0).
pub fn order(raw: &RawValue, _ctx: &StoreContext) -> Result<Vec<Record>> {
    let o: wire::Order = decode_json(raw.get())?;
    let cur = o
        .grand_total
        .as_ref()
        .map(|g| currency("$.grandTotal.currency", &g.currency))
        .transpose()?;
    let c = cur.as_ref();
    let mut line_items = Vec::with_capacity(o.line_items.len());
    for (i, l) in o.line_items.iter().enumerate() {
        let unit = money_in(
            &format!("$.lineItems[{i}].unitPricePaid"),
            l.unit_price_paid.as_ref(),
            c,
        )?;
        let quantity = Decimal::from(l.quantity.unwrap_or(0));
        line_items.push(LineItem {
            platform_id: l.id.clone(),
            product_id: l.product_id.clone(),
            variant_id: l.variant_id.clone(),
            sku: l.sku.clone(),
            name: l.product_name.clone(),
            quantity,
            // No panic on absurd input: an overflowing product is no total.
            total: unit.as_ref().and_then(|u| {
                Some(Money::new(
                    u.amount.checked_mul(quantity)?,
                    u.currency.clone(),
                ))
            }),
            unit_price: unit,
            tax: None,
            discount: None,
        });
    }
    let mut shipping_lines = Vec::with_capacity(o.shipping_lines.len());
    for (i, s) in o.shipping_lines.iter().enumerate() {
        shipping_lines.push(ShippingLine {
            method: s.method.clone(),
            carrier: None,
            price: money_in(
                &format!("$.shippingLines[{i}].amount"),
                s.amount.as_ref(),
                c,
            )?,
        });
    }
    let mut discounts = Vec::with_capacity(o.discount_lines.len());
    for (i, d) in o.discount_lines.iter().enumerate() {
        discounts.push(Discount {
            code: nonempty(d.promo_code.as_deref()).or_else(|| nonempty(d.name.as_deref())),
            amount: money_in(
                &format!("$.discountLines[{i}].amount"),
                d.amount.as_ref(),
                c,
            )?,
        });
    }
    let mut shipments = Vec::with_capacity(o.fulfillments.len());
    for (i, f) in o.fulfillments.iter().enumerate() {
        shipments.push(Shipment {
            // Squarespace's fulfillments have no ids: the order's and the position.
            platform_id: format!("{}-{}", o.id, i + 1),
            carrier: nonempty(f.carrier_name.as_deref()),
            tracking_number: nonempty(f.tracking_number.as_deref()),
            tracking_url: nonempty(f.tracking_url.as_deref()),
            status: None,
            line_items: Vec::new(),
            created_at: datetime(
                &format!("$.fulfillments[{i}].shipDate"),
                f.ship_date.as_deref(),
            )?,
        });
    }
    let totals = OrderTotals {
        subtotal: money_in("$.subtotal", o.subtotal.as_ref(), c)?,
        shipping: money_in("$.shippingTotal", o.shipping_total.as_ref(), c)?,
        tax: money_in("$.taxTotal", o.tax_total.as_ref(), c)?,
        discount: money_in("$.discountTotal", o.discount_total.as_ref(), c)?,
        total: money_in("$.grandTotal", o.grand_total.as_ref(), c)?,
        paid: None,
        refunded: money_in("$.refundedTotal", o.refunded_total.as_ref(), c)?,
    };
    let refunded = totals.refunded.as_ref().map_or(Decimal::ZERO, |m| m.amount);
    let total = totals.total.as_ref().map_or(Decimal::ZERO, |m| m.amount);
    let part_refunded = refunded > Decimal::ZERO && refunded < total;
    let email = nonempty(o.customer_email.as_deref());
    let billing = address(o.billing_address.as_ref(), email.as_deref());
    let customer = (email.is_some() || o.customer_id.is_some()).then(|| OrderCustomer {
        platform_id: o.customer_id.clone(),
        email: email.clone(),
        first_name: billing.as_ref().and_then(|b| b.first_name.clone()),
        last_name: billing.as_ref().and_then(|b| b.last_name.clone()),
        phone: billing.as_ref().and_then(|b| b.phone.clone()),
    });
    let notes: Vec<&str> = o
        .internal_notes
        .iter()
        .filter_map(|n| n.content.as_deref())
        .filter(|n| !n.trim().is_empty())
        .collect();
    let fulfillment = o.fulfillment_status.as_deref();
    let payment = o.payment_state.as_deref();
    let order = Order {
        number: o.order_number.clone(),
        status: status(fulfillment, payment),
        platform_status: o.fulfillment_status.clone(),
        financial_status: payment.and_then(|p| financial(p, part_refunded)),
        platform_financial_status: o.payment_state.clone(),
        fulfillment_status: fulfillment.and_then(|f| match f {
            "PENDING" | "CANCELED" => Some(FulfillmentStatus::Unfulfilled),
            "FULFILLED" => Some(FulfillmentStatus::Fulfilled),
            _ => None,
        }),
        platform_fulfillment_status: o.fulfillment_status.clone(),
        currency: cur.clone(),
        totals,
        customer,
        billing_address: billing,
        shipping_address: address(o.shipping_address.as_ref(), None),
        line_items,
        shipping_lines,
        discounts,
        shipments,
        note: (!notes.is_empty()).then(|| notes.join("\n")),
        source: nonempty(o.channel_name.as_deref()).or_else(|| nonempty(o.channel.as_deref())),
        created_at: datetime("$.createdOn", o.created_on.as_deref())?,
        updated_at: datetime("$.modifiedOn", o.modified_on.as_deref())?,
        completed_at: datetime("$.fulfilledOn", o.fulfilled_on.as_deref())?,
        raw: Some(Raw::from_raw(raw)),
        ..Order::new(PLATFORM, o.id)
    };
    Ok(vec![order.into()])
}

/// Squarespace's weight units (`KILOGRAM`, `POUND`).
fn weight(w: Option<&wire::WeightValue>) -> Option<Weight> {
    let w = w?;
    let unit = match w.unit.as_deref()? {
        "KILOGRAM" => "kg",
        "POUND" => "lb",
        other => polycart_kit::connector::weight_unit(other)?,
    };
    Some(Weight {
        value: w.value?.0,
        unit: unit.to_owned(),
    })
}

/// A variant's stock: `None` when unlimited (not tracked).
fn stock(s: Option<&wire::Stock>) -> Option<i64> {
    let s = s?;
    if s.unlimited == Some(true) {
        None
    } else {
        s.quantity
    }
}

/// A variant's selling price and compare-at price: on sale, the sale price sells and
/// the base price is the compare-at price.
fn prices(path: &str, p: Option<&wire::Pricing>) -> Result<(Option<Money>, Option<Money>)> {
    let Some(p) = p else { return Ok((None, None)) };
    let base = money(&format!("{path}.basePrice"), p.base_price.as_ref())?;
    let sale = money(&format!("{path}.salePrice"), p.sale_price.as_ref())?;
    Ok(match (p.on_sale, sale) {
        (Some(true), Some(sale)) => (Some(sale), base),
        _ => (base, None),
    })
}

/// One product (Products API v2) with its variants.
pub fn product(raw: &RawValue, _ctx: &StoreContext) -> Result<Vec<Record>> {
    let p: wire::Product = decode_json(raw.get())?;
    let mut variants = Vec::with_capacity(p.variants.len());
    for (i, v) in p.variants.iter().enumerate() {
        let (price, compare_at) = prices(&format!("$.variants[{i}].pricing"), v.pricing.as_ref())?;
        variants.push(Variant {
            platform_id: v.id.clone(),
            sku: nonempty(v.sku.as_deref()),
            barcode: nonempty(v.gtin.as_deref()),
            options: v.attributes.clone().unwrap_or_default(),
            price,
            compare_at_price: compare_at,
            inventory_quantity: stock(v.stock.as_ref()),
            weight: weight(
                v.shipping_measurements
                    .as_ref()
                    .and_then(|m| m.weight.as_ref()),
            ),
            image_url: v.image.as_ref().and_then(|i| i.url.clone()),
        });
    }
    let options = p
        .variant_attributes
        .iter()
        .map(|name| {
            let mut values: Vec<String> = Vec::new();
            for v in &variants {
                if let Some(value) = v.options.get(name)
                    && !values.contains(value)
                {
                    values.push(value.clone());
                }
            }
            ProductOption {
                name: name.clone(),
                values,
            }
        })
        .collect();
    // A product's price is its one variant's (or a download's own pricing).
    let (price, compare_at_price) = match (variants.as_slice(), &p.pricing) {
        ([one], _) => (one.price.clone(), one.compare_at_price.clone()),
        ([], Some(pricing)) => prices("$.pricing", Some(pricing))?,
        _ => (None, None),
    };
    let tracked: Vec<i64> = variants
        .iter()
        .filter_map(|v| v.inventory_quantity)
        .collect();
    let images = p
        .images
        .iter()
        .enumerate()
        .filter_map(|(i, img)| {
            Some(Image {
                url: img.url.clone()?,
                alt: nonempty(img.alt_text.as_deref()),
                position: Some(img.order_index.unwrap_or(i as u32)),
            })
        })
        .collect();
    let product = Product {
        name: p.name.clone(),
        sku: match variants.as_slice() {
            [one] => one.sku.clone(),
            _ => None,
        },
        description_html: nonempty(p.description.as_deref()),
        status: p.is_visible.map(|v| {
            if v {
                ProductStatus::Active
            } else {
                ProductStatus::Draft
            }
        }),
        platform_status: p
            .is_visible
            .map(|v| if v { "visible" } else { "hidden" }.to_owned()),
        product_type: p.kind.clone(),
        tags: p.tags.clone(),
        // The store page a product is listed on is its one category.
        category_ids: p.store_page_id.clone().into_iter().collect(),
        images,
        price,
        compare_at_price,
        options,
        inventory_quantity: (!tracked.is_empty() && tracked.len() == variants.len())
            .then(|| tracked.iter().try_fold(0i64, |a, b| a.checked_add(*b)))
            .flatten(),
        variants,
        created_at: datetime("$.createdOn", p.created_on.as_deref())?,
        updated_at: datetime("$.modifiedOn", p.modified_on.as_deref())?,
        raw: Some(Raw::from_raw(raw)),
        ..Product::new(PLATFORM, p.id)
    };
    Ok(vec![product.into()])
}

/// One inventory item: the stock of one variant (no location: Squarespace has one).
pub fn inventory(raw: &RawValue, _ctx: &StoreContext) -> Result<Vec<Record>> {
    let i: wire::InventoryItem = decode_json(raw.get())?;
    let level = InventoryLevel {
        id: None,
        store_id: None,
        platform: PLATFORM.to_owned(),
        platform_id: i.variant_id.clone(),
        product_id: None,
        variant_id: Some(i.variant_id),
        sku: nonempty(i.sku.as_deref()),
        location_id: None,
        available: if i.is_unlimited == Some(true) {
            None
        } else {
            i.quantity
        },
        updated_at: None,
        raw: Some(Raw::from_raw(raw)),
    };
    Ok(vec![level.into()])
}

/// One customer profile.
pub fn customer(raw: &RawValue, _ctx: &StoreContext) -> Result<Vec<Record>> {
    let p: wire::Profile = decode_json(raw.get())?;
    let email = nonempty(p.email.as_deref());
    let address = address(p.address.as_ref(), email.as_deref());
    let summary = p.transactions_summary.as_ref();
    let customer = Customer {
        email,
        first_name: nonempty(p.first_name.as_deref()),
        last_name: nonempty(p.last_name.as_deref()),
        phone: address.as_ref().and_then(|a| a.phone.clone()),
        accepts_marketing: p.accepts_marketing,
        addresses: address.clone().into_iter().collect(),
        default_address: address,
        orders_count: summary.and_then(|s| s.order_count),
        total_spent: money(
            "$.transactionsSummary.totalOrderAmount",
            summary.and_then(|s| s.total_order_amount.as_ref()),
        )?,
        created_at: datetime("$.createdOn", p.created_on.as_deref())?,
        raw: Some(Raw::from_raw(raw)),
        ..Customer::new(PLATFORM, p.id)
    };
    Ok(vec![customer.into()])
}

/// One raw record to unified records.
pub type MapFn = fn(&RawValue, &StoreContext) -> Result<Vec<Record>>;

/// The mapping of `entity`'s records.
pub fn mapper(entity: Entity) -> Result<MapFn> {
    match entity {
        Entity::Order => Ok(order),
        Entity::Product => Ok(product),
        Entity::Inventory => Ok(inventory),
        Entity::Customer => Ok(customer),
        other => Err(Error::entity_unsupported(PLATFORM, other)),
    }
}

/// The list key of each entity's answers (`{"result": [...]}` for orders,
/// `{"products": [...]}`, `{"inventory": [...]}`, `{"profiles": [...]}`).
pub fn list_key(entity: Entity) -> Result<&'static str> {
    Ok(match entity {
        Entity::Order => "result",
        Entity::Product => "products",
        Entity::Inventory => "inventory",
        Entity::Customer => "profiles",
        other => return Err(Error::entity_unsupported(PLATFORM, other)),
    })
}

/// `Connector::normalize`: an order as `GET /1.0/commerce/orders/{id}` returns it, the
/// orders listing (`{"result": [...], "pagination": {...}}`), products as
/// `GET /v2/commerce/products[/{ids}]` return them (`{"products": [...]}`), inventory
/// (`{"inventory": [...]}`), profiles (`{"profiles": [...]}`), one bare record or a bare
/// array. A one-element `products` answer of `GET /products/{id}` is a list of one.
pub fn normalize(entity: Entity, text: &str, ctx: &StoreContext) -> Result<Normalized> {
    let map = mapper(entity)?;
    let (items, list) = split_envelope(text, &[list_key(entity)?])?;
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        out.extend(map(item, ctx).map_err(|e| at_index(e, i, list))?);
    }
    match (list, out.len()) {
        (false, 1) => Ok(Normalized::One(out.remove(0))),
        (false, _) => Err(Error::decode("$", "expected one record")),
        (true, _) => Ok(Normalized::List(out)),
    }
}

/// Order statuses the unified API can ask for, as Squarespace's `fulfillmentStatus`.
pub fn fulfillment_filter(status: &str) -> Option<&'static str> {
    Some(match status {
        "cancelled" => "CANCELED",
        "completed" => "FULFILLED",
        "processing" | "pending" => "PENDING",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(text: &str) -> Box<RawValue> {
        RawValue::from_string(text.to_owned()).unwrap()
    }

    #[test]
    fn money_is_exact_and_keeps_its_currency() {
        let r = order(
            &raw(r#"{"id":"a1","grandTotal":{"currency":"EUR","value":"0.30"},"subtotal":{"currency":"EUR","value":"0.10"},"refundedTotal":{"currency":"EUR","value":"0.10"},"paymentState":"PAID","fulfillmentStatus":"PENDING","lineItems":[{"id":"l","quantity":3,"unitPricePaid":{"currency":"EUR","value":"0.10"}}]}"#),
            &StoreContext::default(),
        )
        .unwrap();
        let Record::Order(o) = &r[0] else { panic!() };
        assert_eq!(o.totals.total.as_ref().unwrap().amount.to_string(), "0.30");
        assert_eq!(o.currency.as_ref().unwrap().as_str(), "EUR");
        assert_eq!(
            o.line_items[0].total.as_ref().unwrap().amount,
            Decimal::new(30, 2)
        );
        assert_eq!(o.financial_status, Some(FinancialStatus::PartiallyRefunded));
        assert_eq!(o.status, Some(OrderStatus::Processing));
    }

    #[test]
    fn an_amount_in_another_currency_is_refused() {
        let e = order(
            &raw(r#"{"id":"a1","grandTotal":{"currency":"EUR","value":"1"},"taxTotal":{"currency":"USD","value":"1"}}"#),
            &StoreContext::default(),
        )
        .unwrap_err();
        assert!(e.to_string().contains("taxTotal"), "{e}");
        let bad = order(
            &raw(r#"{"id":"a1","grandTotal":{"currency":"EUR","value":"1,5"}}"#),
            &StoreContext::default(),
        );
        assert!(bad.is_err());
    }

    #[test]
    fn absurd_numbers_do_not_panic() {
        let r = order(
            &raw(r#"{"id":"a1","grandTotal":{"currency":"USD","value":"79228162514264337593543950335"},"lineItems":[{"id":"l","quantity":9223372036854775807,"unitPricePaid":{"currency":"USD","value":"79228162514264337593543950335"}}]}"#),
            &StoreContext::default(),
        )
        .unwrap();
        let Record::Order(o) = &r[0] else { panic!() };
        assert!(o.line_items[0].total.is_none());
        let p = product(
            &raw(r#"{"id":"p","variants":[{"id":"a","stock":{"quantity":9223372036854775807}},{"id":"b","stock":{"quantity":9223372036854775807}}]}"#),
            &StoreContext::default(),
        )
        .unwrap();
        let Record::Product(p) = &p[0] else { panic!() };
        assert_eq!(p.inventory_quantity, None);
        assert!(
            order(
                &raw(r#"{"id":"a1","lineItems":[{"id":"l","quantity":1.5}]}"#),
                &StoreContext::default()
            )
            .is_err()
        );
        assert!(order(&raw(r#"[]"#), &StoreContext::default()).is_err());
    }

    #[test]
    fn null_lists_are_empty() {
        let r = order(
            &raw(r#"{"id":"a1","lineItems":null,"fulfillments":null,"discountLines":null,"shippingLines":null,"internalNotes":null}"#),
            &StoreContext::default(),
        )
        .unwrap();
        let Record::Order(o) = &r[0] else { panic!() };
        assert!(o.line_items.is_empty() && o.shipments.is_empty());
    }

    #[test]
    fn a_sale_price_sells_and_the_base_price_compares() {
        let r = product(
            &raw(r#"{"id":"p","variants":[{"id":"v","pricing":{"basePrice":{"currency":"USD","value":"20.00"},"onSale":true,"salePrice":{"currency":"USD","value":"15.00"}},"stock":{"quantity":4,"unlimited":false}}]}"#),
            &StoreContext::default(),
        )
        .unwrap();
        let Record::Product(p) = &r[0] else { panic!() };
        assert_eq!(p.price.as_ref().unwrap().amount, Decimal::new(1500, 2));
        assert_eq!(
            p.compare_at_price.as_ref().unwrap().amount,
            Decimal::new(2000, 2)
        );
        assert_eq!(p.inventory_quantity, Some(4));
    }
}
