//! Pure eBay → unified mapping, no IO, and `normalize` for `polycart normalize` and
//! the golden tests.
//!
//! - Orders: a Fulfillment API `Order`, alone or with its shipping fulfillments as
//!   the one composite `{"order": {…}, "fulfillments": […]}` (what the adapter
//!   stores as `raw`: an order names its fulfillments only by `fulfillmentHrefs`, and
//!   `GET /order/{orderId}/shipping_fulfillment` is a second call). `lineItemCost` is
//!   price × quantity: it is the line's `total`, and `unit_price` is
//!   `lineItemCost / quantity` when that division is exact; when it is not (10.00 for
//!   3), `unit_price` is null rather than a rounded price eBay never stated.
//!   `priceDiscount` and promotion amounts are positive in the model whatever sign
//!   eBay gives them.
//! - Products: an Inventory API `InventoryItem` (SKU-keyed: the SKU is the platform
//!   id), alone or with its offers as `{"inventoryItem": {…}, "offers": […]}` (offers
//!   carry the price and the listing status; without them both are null).
//! - Inventory: one level per inventory item (the SKU's ship-to-location quantity).

use polycart_kit::connector::Normalized;
use polycart_kit::decode::{at_index, datetime};
use polycart_kit::envelope::{Envelope, fields};
use polycart_kit::error::decode_json;
use polycart_kit::model::{
    Address, Currency, Discount, FinancialStatus, FulfillmentStatus, Image, InventoryLevel,
    LineItem, Money, Order, OrderCustomer, OrderStatus, OrderTotals, Product, ProductStatus, Raw,
    Refund, Shipment, ShipmentLineItem, ShippingLine,
};
use polycart_kit::{Entity, Error, Record, Result, StoreContext};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::{PLATFORM, wire};

/// An amount read exactly; `None` when eBay leaves it out.
fn money(path: &str, a: Option<&wire::Amount>) -> Result<Option<Money>> {
    let Some(a) = a else { return Ok(None) };
    match (a.value, a.currency.as_deref()) {
        (Some(v), Some(c)) => Ok(Some(Money::new(
            v.0,
            Currency::parse(c).map_err(|e| Error::decode(path, e.to_string()))?,
        ))),
        (None, _) => Ok(None),
        (Some(_), None) => Err(Error::decode(path, "an amount without a currency")),
    }
}

/// The buyer's side of an amount (`convertedFromValue`/`convertedFromCurrency`).
fn converted_from(path: &str, a: Option<&wire::Amount>) -> Result<Option<Money>> {
    let Some(a) = a else { return Ok(None) };
    money(
        path,
        Some(&wire::Amount {
            value: a.converted_from_value,
            currency: a.converted_from_currency.clone(),
            converted_from_value: None,
            converted_from_currency: None,
        }),
    )
}

/// An amount as a positive number (discounts; eBay may write them negative).
fn positive(m: Option<Money>) -> Option<Money> {
    m.map(|m| Money::new(m.amount.abs(), m.currency))
}

/// The sum of amounts in one currency; `None` when there are none.
fn sum(path: &str, amounts: Vec<Money>) -> Result<Option<Money>> {
    let mut iter = amounts.into_iter();
    let Some(first) = iter.next() else {
        return Ok(None);
    };
    iter.try_fold(first, |acc, m| acc.checked_add(&m))
        .map(Some)
        .map_err(|e| Error::decode(path, e.to_string()))
}

/// `lineItemCost / quantity` when exact, else `None` (see the module docs).
pub fn unit_price(cost: &Money, quantity: Decimal) -> Option<Money> {
    if quantity <= Decimal::ZERO {
        return None;
    }
    let unit = cost.amount.checked_div(quantity)?;
    // Exact: the unit price times the quantity gives back the cost, at a scale no
    // finer than four places beyond the cost's own.
    let exact =
        unit.checked_mul(quantity)? == cost.amount && unit.scale() <= cost.amount.scale() + 4;
    exact.then(|| {
        let mut u = unit.normalize();
        if u.scale() < cost.amount.scale() {
            u.rescale(cost.amount.scale());
        }
        Money::new(u, cost.currency.clone())
    })
}

/// `orderPaymentStatus` as the unified financial status.
fn financial(s: &str) -> Option<FinancialStatus> {
    Some(match s {
        "PENDING" => FinancialStatus::Pending,
        "PAID" => FinancialStatus::Paid,
        "PARTIALLY_REFUNDED" => FinancialStatus::PartiallyRefunded,
        "FULLY_REFUNDED" => FinancialStatus::Refunded,
        _ => return None,
    })
}

/// `orderFulfillmentStatus` as the unified fulfilment status.
fn fulfillment(s: &str) -> Option<FulfillmentStatus> {
    Some(match s {
        "NOT_STARTED" => FulfillmentStatus::Unfulfilled,
        "IN_PROGRESS" => FulfillmentStatus::Partial,
        "FULFILLED" => FulfillmentStatus::Fulfilled,
        _ => return None,
    })
}

/// The unified status from the cancel state, the payment and the fulfilment status.
fn status(
    cancel: Option<&str>,
    payment: Option<&str>,
    fulfil: Option<&str>,
) -> Option<OrderStatus> {
    Some(match (cancel, payment, fulfil) {
        (Some("CANCELED"), _, _) => OrderStatus::Cancelled,
        (_, Some("FULLY_REFUNDED"), _) => OrderStatus::Refunded,
        (_, Some("FAILED"), _) => OrderStatus::Failed,
        (_, Some("PENDING"), _) => OrderStatus::Pending,
        (_, _, Some("FULFILLED")) => OrderStatus::Completed,
        (_, None, None) => return None,
        _ => OrderStatus::Processing,
    })
}

/// "Ava García" as first and last name (eBay writes one `fullName`).
fn split_name(full: Option<&str>) -> (Option<String>, Option<String>) {
    match full.map(str::trim).filter(|s| !s.is_empty()) {
        None => (None, None),
        Some(name) => match name.split_once(' ') {
            Some((f, l)) => (Some(f.to_owned()), Some(l.trim().to_owned())),
            None => (Some(name.to_owned()), None),
        },
    }
}

fn address(c: &wire::Contact) -> Option<Address> {
    let (first_name, last_name) = split_name(c.full_name.as_deref());
    let a = c.contact_address.as_ref();
    Address {
        first_name,
        last_name,
        company: c.company_name.clone(),
        line1: a.and_then(|a| a.address_line1.clone()),
        line2: a.and_then(|a| a.address_line2.clone()),
        city: a.and_then(|a| a.city.clone()),
        region: a.and_then(|a| a.state_or_province.clone()),
        region_code: None,
        postal_code: a.and_then(|a| a.postal_code.clone()),
        country_code: a.and_then(|a| a.country_code.clone()),
        phone: c
            .primary_phone
            .as_ref()
            .and_then(|p| p.phone_number.clone()),
        email: c.email.clone(),
    }
    .non_empty()
}

#[derive(Deserialize)]
struct OrderComposite<'a> {
    #[serde(borrow)]
    order: &'a RawValue,
    #[serde(default)]
    fulfillments: Vec<wire::Fulfillment>,
}

/// One order: a Fulfillment API `Order`, or the composite with its fulfillments.
pub fn order(raw: &RawValue, _: &StoreContext) -> Result<Vec<Record>> {
    let text = raw.get();
    let composite = matches!(fields(text, &["order"])?.as_slice(), [Some(_)]);
    let (order_text, fulfillments) = if composite {
        let c: OrderComposite<'_> = polycart_kit::error::decode_json_borrowed(text)?;
        (c.order.get(), c.fulfillments)
    } else {
        (text, Vec::new())
    };
    let o: wire::Order = decode_json(order_text)?;
    let pricing = o.pricing_summary.as_ref();
    let total = money(
        "$.pricingSummary.total",
        pricing.and_then(|p| p.total.as_ref()),
    )?;
    let currency = total.as_ref().map(|m| m.currency.clone());
    let mut line_items = Vec::with_capacity(o.line_items.len());
    let mut discounts = Vec::new();
    for (i, l) in o.line_items.iter().enumerate() {
        let path = |f: &str| format!("$.lineItems[{i}].{f}");
        let quantity = l.quantity.map_or(Decimal::ZERO, |q| q.0);
        let cost = money(&path("lineItemCost"), l.line_item_cost.as_ref())?;
        let taxes = l
            .taxes
            .iter()
            .map(|t| money(&path("taxes"), t.amount.as_ref()))
            .collect::<Result<Vec<_>>>()?;
        let mut promo = Vec::new();
        for p in &l.applied_promotions {
            let amount = positive(money(
                &path("appliedPromotions"),
                p.discount_amount.as_ref(),
            )?);
            if let Some(a) = &amount {
                promo.push(a.clone());
            }
            discounts.push(Discount {
                code: p.promotion_id.clone().or_else(|| p.description.clone()),
                amount,
            });
        }
        line_items.push(LineItem {
            platform_id: l.line_item_id.clone(),
            product_id: l.sku.clone().or_else(|| l.legacy_item_id.clone()),
            variant_id: l.legacy_variation_id.clone(),
            sku: l.sku.clone(),
            name: l.title.clone(),
            quantity,
            unit_price: cost.as_ref().and_then(|c| unit_price(c, quantity)),
            total: cost,
            tax: sum(&path("taxes"), taxes.into_iter().flatten().collect())?,
            discount: sum(&path("appliedPromotions"), promo)?,
        });
    }
    let payments = o.payment_summary.as_ref();
    let mut refunds = Vec::new();
    let mut refunded = Vec::new();
    for (i, r) in payments
        .map(|p| p.refunds.as_slice())
        .unwrap_or_default()
        .iter()
        .enumerate()
    {
        let amount = money(
            &format!("$.paymentSummary.refunds[{i}].amount"),
            r.amount.as_ref(),
        )?;
        if r.refund_status.as_deref() != Some("FAILED")
            && let Some(a) = &amount
        {
            refunded.push(a.clone());
        }
        refunds.push(Refund {
            platform_id: r
                .refund_id
                .clone()
                .or_else(|| r.refund_reference_id.clone())
                .unwrap_or_else(|| format!("{}-refund-{i}", o.order_id)),
            amount,
            reason: None,
            created_at: datetime(
                &format!("$.paymentSummary.refunds[{i}].refundDate"),
                r.refund_date.as_deref(),
            )?,
            line_items: Vec::new(),
        });
    }
    let mut paid = Vec::new();
    for p in payments.map(|p| p.payments.as_slice()).unwrap_or_default() {
        if p.payment_status.as_deref() == Some("PAID")
            && let Some(a) = money("$.paymentSummary.payments", p.amount.as_ref())?
        {
            paid.push(a);
        }
    }
    let step = o
        .fulfillment_start_instructions
        .iter()
        .find_map(|f| f.shipping_step.as_ref());
    let delivery = money(
        "$.pricingSummary.deliveryCost",
        pricing.and_then(|p| p.delivery_cost.as_ref()),
    )?;
    let registration = o
        .buyer
        .as_ref()
        .and_then(|b| b.buyer_registration_address.as_ref());
    let billing_address = registration.and_then(address);
    let customer = o.buyer.as_ref().map(|b| {
        let (first_name, last_name) = split_name(registration.and_then(|r| r.full_name.as_deref()));
        OrderCustomer {
            platform_id: b.username.clone(),
            email: registration.and_then(|r| r.email.clone()),
            first_name,
            last_name,
            phone: registration
                .and_then(|r| r.primary_phone.as_ref())
                .and_then(|p| p.phone_number.clone()),
        }
    });
    let shipments = fulfillments
        .iter()
        .enumerate()
        .map(|(i, f)| {
            Ok(Shipment {
                platform_id: f.fulfillment_id.clone(),
                carrier: f.shipping_carrier_code.clone(),
                tracking_number: f.shipment_tracking_number.clone(),
                tracking_url: None,
                status: None,
                line_items: f
                    .line_items
                    .iter()
                    .map(|l| ShipmentLineItem {
                        line_item_id: l.line_item_id.clone(),
                        quantity: l.quantity.map_or(Decimal::ZERO, |q| q.0),
                    })
                    .collect(),
                created_at: datetime(
                    &format!("$.fulfillments[{i}].shippedDate"),
                    f.shipped_date.as_deref(),
                )?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    // The buyer's currency when they paid in another: every amount of the pricing
    // summary then has its `convertedFrom…` twin.
    let buyer_currency = pricing
        .and_then(|p| p.total.as_ref())
        .and_then(|t| t.converted_from_currency.as_deref())
        .map(|c| {
            Currency::parse(c).map_err(|e| {
                Error::decode(
                    "$.pricingSummary.total.convertedFromCurrency",
                    e.to_string(),
                )
            })
        })
        .transpose()?;
    let (presentment_currency, presentment_totals) =
        polycart_kit::model::presentment(currency.as_ref(), buyer_currency, |_| {
            let part = |name: &str, a: Option<&wire::Amount>| {
                converted_from(&format!("$.pricingSummary.{name}"), a)
            };
            Ok::<_, Error>(OrderTotals {
                subtotal: part(
                    "priceSubtotal",
                    pricing.and_then(|p| p.price_subtotal.as_ref()),
                )?,
                shipping: part(
                    "deliveryCost",
                    pricing.and_then(|p| p.delivery_cost.as_ref()),
                )?,
                tax: part("tax", pricing.and_then(|p| p.tax.as_ref()))?,
                discount: positive(part(
                    "priceDiscount",
                    pricing.and_then(|p| p.price_discount.as_ref()),
                )?),
                total: part("total", pricing.and_then(|p| p.total.as_ref()))?,
                paid: None,
                refunded: None,
            })
        })?;
    let cancel = o.cancel_status.as_ref();
    let payment = o.order_payment_status.as_deref();
    let fulfil = o.order_fulfillment_status.as_deref();
    let order = Order {
        // The order number sellers see is the order id; `salesRecordReference` (Selling
        // Manager's record number) stays in `raw`.
        number: Some(o.order_id.clone()),
        status: status(
            cancel.and_then(|c| c.cancel_state.as_deref()),
            payment,
            fulfil,
        ),
        platform_status: cancel
            .and_then(|c| c.cancel_state.clone())
            .filter(|s| s == "CANCELED")
            .or_else(|| o.order_fulfillment_status.clone()),
        financial_status: payment.and_then(financial),
        platform_financial_status: o.order_payment_status.clone(),
        fulfillment_status: fulfil.and_then(fulfillment),
        platform_fulfillment_status: o.order_fulfillment_status.clone(),
        currency,
        presentment_currency,
        presentment_totals,
        totals: OrderTotals {
            subtotal: money(
                "$.pricingSummary.priceSubtotal",
                pricing.and_then(|p| p.price_subtotal.as_ref()),
            )?,
            shipping: delivery.clone(),
            tax: money("$.pricingSummary.tax", pricing.and_then(|p| p.tax.as_ref()))?,
            discount: positive(money(
                "$.pricingSummary.priceDiscount",
                pricing.and_then(|p| p.price_discount.as_ref()),
            )?),
            total,
            paid: sum("$.paymentSummary.payments", paid)?,
            refunded: sum("$.paymentSummary.refunds", refunded)?,
        },
        customer,
        billing_address,
        shipping_address: step.and_then(|s| s.ship_to.as_ref()).and_then(address),
        shipping_lines: step
            .map(|s| ShippingLine {
                method: s.shipping_service_code.clone(),
                carrier: s.shipping_carrier_code.clone(),
                price: delivery,
            })
            .into_iter()
            .collect(),
        line_items,
        discounts,
        refunds,
        shipments,
        note: o
            .buyer_checkout_notes
            .clone()
            .filter(|n| !n.trim().is_empty()),
        source: o
            .line_items
            .first()
            .and_then(|l| l.purchase_marketplace_id.clone()),
        created_at: datetime("$.creationDate", o.creation_date.as_deref())?,
        updated_at: datetime("$.lastModifiedDate", o.last_modified_date.as_deref())?,
        cancelled_at: datetime(
            "$.cancelStatus.cancelledDate",
            cancel.and_then(|c| c.cancelled_date.as_deref()),
        )?,
        raw: Some(Raw::from_raw(raw)),
        ..Order::new(PLATFORM, o.order_id)
    };
    Ok(vec![order.into()])
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ItemComposite<'a> {
    #[serde(borrow)]
    inventory_item: &'a RawValue,
    #[serde(default)]
    offers: Option<Vec<wire::Offer>>,
}

/// An inventory item and its offers (`None`: not read), from either shape.
fn item(raw: &RawValue) -> Result<(wire::InventoryItem, Option<Vec<wire::Offer>>)> {
    let text = raw.get();
    if matches!(fields(text, &["inventoryItem"])?.as_slice(), [Some(_)]) {
        let c: ItemComposite<'_> = polycart_kit::error::decode_json_borrowed(text)?;
        Ok((decode_json(c.inventory_item.get())?, c.offers))
    } else {
        Ok((decode_json(text)?, None))
    }
}

/// One product: an inventory item (SKU-keyed), priced by its offers when they came.
pub fn product(raw: &RawValue, _: &StoreContext) -> Result<Vec<Record>> {
    let (i, offers) = item(raw)?;
    let p = i.product.as_ref();
    // The published offer's price first, else the first offer's.
    let offer = offers.as_ref().and_then(|o| {
        o.iter()
            .find(|o| o.status.as_deref() == Some("PUBLISHED"))
            .or_else(|| o.first())
    });
    let pricing = offer.and_then(|o| o.pricing_summary.as_ref());
    let price = match pricing {
        Some(s) => money("$.offers.pricingSummary.price", s.price.as_ref())?,
        None => None,
    };
    let compare_at_price = match pricing {
        Some(s) => money(
            "$.offers.pricingSummary.originalRetailPrice",
            s.original_retail_price.as_ref(),
        )?,
        None => None,
    };
    let mut category_ids: Vec<String> = offers
        .iter()
        .flatten()
        .filter_map(|o| o.category_id.clone())
        .collect();
    category_ids.sort();
    category_ids.dedup();
    let published = offers
        .as_ref()
        .map(|o| o.iter().any(|o| o.status.as_deref() == Some("PUBLISHED")));
    let product = Product {
        name: p.and_then(|p| p.title.clone()),
        sku: Some(i.sku.clone()),
        description_html: p.and_then(|p| p.description.clone()),
        status: published.map(|on| {
            if on {
                ProductStatus::Active
            } else {
                ProductStatus::Draft
            }
        }),
        platform_status: offer.and_then(|o| o.status.clone()),
        vendor: p.and_then(|p| p.brand.clone()),
        images: p
            .map(|p| p.image_urls.as_slice())
            .unwrap_or_default()
            .iter()
            .enumerate()
            .map(|(n, url)| Image {
                url: url.clone(),
                alt: None,
                position: u32::try_from(n).ok(),
            })
            .collect(),
        price,
        compare_at_price,
        category_ids,
        inventory_quantity: quantity(&i),
        raw: Some(Raw::from_raw(raw)),
        ..Product::new(PLATFORM, i.sku)
    };
    Ok(vec![product.into()])
}

fn quantity(i: &wire::InventoryItem) -> Option<i64> {
    i.availability
        .as_ref()
        .and_then(|a| a.ship_to_location_availability.as_ref())
        .and_then(|s| s.quantity)
}

/// The id of a SKU's level at an inventory location (`{sku}:{merchantLocationKey}`;
/// a SKU has no `:`), or of its one total level (the SKU).
pub fn level_id(sku: &str, location: Option<&str>) -> String {
    match location {
        Some(key) => format!("{sku}:{key}"),
        None => sku.to_owned(),
    }
}

/// An inventory item's stock levels: one per inventory location its ship-to-location
/// availability is distributed over (`availabilityDistributions`), else one level
/// holding the SKU's whole quantity (`location_id` null).
pub fn level(raw: &RawValue, _: &StoreContext) -> Result<Vec<Record>> {
    let (i, _) = item(raw)?;
    let availability = i
        .availability
        .as_ref()
        .and_then(|a| a.ship_to_location_availability.as_ref());
    let level = |location: Option<&str>, available: Option<i64>| -> Record {
        InventoryLevel {
            id: None,
            store_id: None,
            platform: PLATFORM.to_owned(),
            platform_id: level_id(&i.sku, location),
            product_id: Some(i.sku.clone()),
            variant_id: None,
            sku: Some(i.sku.clone()),
            location_id: location.map(str::to_owned),
            available,
            updated_at: None,
            raw: Some(Raw::from_raw(raw)),
        }
        .into()
    };
    let by_location: Vec<Record> = availability
        .map(|a| a.availability_distributions.as_slice())
        .unwrap_or_default()
        .iter()
        .filter_map(|d| Some(level(Some(d.merchant_location_key.as_deref()?), d.quantity)))
        .collect();
    if by_location.is_empty() {
        Ok(vec![level(None, quantity(&i))])
    } else {
        Ok(by_location)
    }
}

/// One raw record to unified records.
pub type MapFn = fn(&RawValue, &StoreContext) -> Result<Vec<Record>>;

/// The mapping of `entity`'s records.
pub fn mapper(entity: Entity) -> Result<MapFn> {
    match entity {
        Entity::Order => Ok(order),
        Entity::Product => Ok(product),
        Entity::Inventory => Ok(level),
        other => Err(Error::unsupported(PLATFORM, format!("{other}s"))),
    }
}

/// `Connector::normalize`: an order as `GET /order/{orderId}` returns it (or the
/// composite with its fulfillments), a `getOrders` page (`{"orders": [...], "total":
/// …}`); an inventory item as `GET /inventory_item/{sku}` returns it (or the composite
/// with its offers), a `getInventoryItems` page (`{"inventoryItems": [...]}`), as a
/// product or as inventory levels (an item stocked at several locations is a list of
/// levels).
pub fn normalize(entity: Entity, text: &str, ctx: &StoreContext) -> Result<Normalized> {
    let map = mapper(entity)?;
    let list_key = match entity {
        Entity::Order => "/orders",
        _ => "/inventoryItems",
    };
    let trimmed = text.trim_start();
    let is_list = trimmed.starts_with('{')
        && matches!(fields(trimmed, &[&list_key[1..]])?.as_slice(), [Some(_)]);
    let items: Vec<&RawValue> = if is_list {
        Envelope::At(list_key).split(text)?
    } else if trimmed.starts_with('{') {
        vec![polycart_kit::error::decode_json_borrowed(text)?]
    } else {
        return Err(Error::decode("$", "expected a JSON object"));
    };
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        out.extend(map(item, ctx).map_err(|e| at_index(e, i, is_list))?);
    }
    match (is_list, out.len()) {
        (false, 1) => Ok(Normalized::One(out.remove(0))),
        // An item stocked at several locations is several levels.
        (false, n) if entity == Entity::Inventory && n > 1 => Ok(Normalized::List(out)),
        (false, _) => Err(Error::decode("$", "expected one record")),
        (true, _) => Ok(Normalized::List(out)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usd(a: &str) -> Money {
        Money::parse(a, &Currency::parse("USD").unwrap()).unwrap()
    }

    #[test]
    fn unit_price_is_line_item_cost_over_quantity_when_exact() {
        assert_eq!(
            unit_price(&usd("25.00"), Decimal::from(2)),
            Some(usd("12.50"))
        );
        assert_eq!(unit_price(&usd("9.99"), Decimal::ONE), Some(usd("9.99")));
        assert_eq!(
            unit_price(&usd("0.05"), Decimal::from(2)),
            Some(usd("0.025"))
        );
        // 10.00 / 3 never terminates: no made-up price.
        assert_eq!(unit_price(&usd("10.00"), Decimal::from(3)), None);
        assert_eq!(unit_price(&usd("10.00"), Decimal::ZERO), None);
    }

    #[test]
    fn statuses_read_cancel_payment_and_fulfilment() {
        assert_eq!(
            status(Some("CANCELED"), Some("PAID"), Some("NOT_STARTED")),
            Some(OrderStatus::Cancelled)
        );
        assert_eq!(
            status(Some("NONE_REQUESTED"), Some("PAID"), Some("FULFILLED")),
            Some(OrderStatus::Completed)
        );
        assert_eq!(
            status(None, Some("FULLY_REFUNDED"), Some("FULFILLED")),
            Some(OrderStatus::Refunded)
        );
        assert_eq!(
            status(None, Some("PAID"), Some("IN_PROGRESS")),
            Some(OrderStatus::Processing)
        );
        assert_eq!(status(None, None, None), None);
    }

    #[test]
    fn refunds_discounts_and_money_are_exact_and_positive() {
        let body = r#"{"orderId":"01-1","lastModifiedDate":"2025-03-01T10:00:00.000Z",
          "orderPaymentStatus":"PARTIALLY_REFUNDED","orderFulfillmentStatus":"FULFILLED",
          "pricingSummary":{"priceSubtotal":{"value":"30.00","currency":"USD"},
            "priceDiscount":{"value":"-3.00","currency":"USD"},"total":{"value":"27.00","currency":"USD"}},
          "paymentSummary":{"refunds":[{"refundId":"5","refundStatus":"REFUNDED","refundDate":"2025-03-02T00:00:00.000Z","amount":{"value":"4.10","currency":"USD"}},
            {"refundId":"6","refundStatus":"FAILED","amount":{"value":"1.00","currency":"USD"}}]},
          "lineItems":[{"lineItemId":"10","sku":"A","quantity":3,"lineItemCost":{"value":"10.00","currency":"USD"},
            "appliedPromotions":[{"promotionId":"P1","discountAmount":{"value":"3.00","currency":"USD"}}]}]}"#;
        let raw = RawValue::from_string(body.to_owned()).unwrap();
        let Record::Order(o) = order(&raw, &StoreContext::default()).unwrap().remove(0) else {
            panic!()
        };
        assert_eq!(o.totals.discount, Some(usd("3.00")));
        assert_eq!(
            o.totals.refunded,
            Some(usd("4.10")),
            "a failed refund is not money back"
        );
        assert_eq!(o.refunds.len(), 2);
        assert_eq!(o.line_items[0].total, Some(usd("10.00")));
        assert_eq!(o.line_items[0].unit_price, None);
        assert_eq!(o.line_items[0].discount, Some(usd("3.00")));
        assert_eq!(o.financial_status, Some(FinancialStatus::PartiallyRefunded));
        let bad = RawValue::from_string(
            r#"{"orderId":"1","pricingSummary":{"total":{"value":"1e3","currency":"USD"}}}"#
                .to_owned(),
        )
        .unwrap();
        assert!(order(&bad, &StoreContext::default()).is_err());
    }
}
