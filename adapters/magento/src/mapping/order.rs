//! Sales orders → unified orders. Magento lists a configurable or bundle item as a
//! parent line plus child lines (`parent_item_id`); a sold unit is one unified line: the
//! parent's price and quantity, with the child's SKU and product id as the variant when
//! the parent is configurable (a bundle's children are its parts, kept in `raw`). The
//! status follows the fixed `state`, the merchant's `status` label is kept beside it.
//! Totals are the `base_*` amounts in the store's base currency; the order-currency
//! amounts are the presentment totals when the buyer paid in another currency.
//! Discounts are negative on the wire and positive here. Refunds come from credit memos
//! and shipments (with tracks) from `/V1/shipments`, which the adapter reads per page
//! of orders ([`OrderExtra`]).

use polycart_kit::decode::Dec;
use polycart_kit::error::Result;
use polycart_kit::model::{
    Address, Currency, Discount, FinancialStatus, FulfillmentStatus, LineItem, Order,
    OrderCustomer, OrderStatus, OrderTotals, Raw, Refund, RefundLineItem, Shipment,
    ShipmentLineItem, ShippingLine, presentment,
};
use rust_decimal::Decimal;
use serde_json::value::RawValue;

use super::{Context, PLATFORM, currency, date, money, read, text};
use crate::wire::{self, CreditMemo, OrderItem, SalesAddress, ShipmentDoc};

/// What the adapter read about an order besides the order itself.
#[derive(Debug, Clone, Default)]
pub struct OrderExtra {
    pub(crate) creditmemos: Vec<CreditMemo>,
    pub(crate) shipments: Vec<ShipmentDoc>,
}

impl OrderExtra {
    /// The credit memos and shipments of order `id` among those read for a page.
    pub(crate) fn of(id: &str, memos: &[CreditMemo], shipments: &[ShipmentDoc]) -> Self {
        let is = |o: &Option<polycart_kit::decode::Id>| o.as_ref().is_some_and(|o| o.0 == id);
        Self {
            creditmemos: memos.iter().filter(|m| is(&m.order_id)).cloned().collect(),
            shipments: shipments
                .iter()
                .filter(|s| is(&s.order_id))
                .cloned()
                .collect(),
        }
    }
}

/// The items of a `/V1/creditmemos` search result.
pub(crate) fn read_creditmemos(items: &[Box<RawValue>]) -> Result<Vec<CreditMemo>> {
    items.iter().map(|i| read(i)).collect()
}

/// The items of a `/V1/shipments` search result.
pub(crate) fn read_shipments(items: &[Box<RawValue>]) -> Result<Vec<ShipmentDoc>> {
    items.iter().map(|i| read(i)).collect()
}

/// The unified status of a Magento order state.
pub(crate) fn status_of_state(state: &str) -> Option<OrderStatus> {
    Some(match state {
        "new" | "pending_payment" => OrderStatus::Pending,
        "processing" => OrderStatus::Processing,
        "holded" | "payment_review" => OrderStatus::OnHold,
        "complete" => OrderStatus::Completed,
        "closed" => OrderStatus::Refunded,
        "canceled" => OrderStatus::Cancelled,
        _ => return None,
    })
}

fn address(a: &SalesAddress) -> Option<Address> {
    let mut street = a.street.iter().map(|s| s.trim()).filter(|s| !s.is_empty());
    let line1 = street.next().map(str::to_owned);
    let rest: Vec<&str> = street.collect();
    Address {
        first_name: text(a.firstname.as_ref()),
        last_name: text(a.lastname.as_ref()),
        company: text(a.company.as_ref()),
        line1,
        line2: (!rest.is_empty()).then(|| rest.join(", ")),
        city: text(a.city.as_ref()),
        region: text(a.region.as_ref()),
        region_code: text(a.region_code.as_ref()),
        postal_code: text(a.postcode.as_ref()),
        country_code: text(a.country_id.as_ref()),
        phone: text(a.telephone.as_ref()),
        email: text(a.email.as_ref()),
    }
    .non_empty()
}

fn positive(d: Option<Dec>) -> Option<Dec> {
    d.map(|d| Dec(d.0.abs()))
}

/// One sold unit per top-level item; a configurable parent's only child names the
/// variant.
fn line_items(items: &[OrderItem], cur: Option<&Currency>) -> Vec<LineItem> {
    let top = |i: &&OrderItem| {
        i.parent_item_id
            .as_ref()
            .is_none_or(|p| !items.iter().any(|o| o.item_id == *p))
    };
    items
        .iter()
        .filter(top)
        .map(|i| {
            let children: Vec<&OrderItem> = items
                .iter()
                .filter(|c| c.parent_item_id.as_ref() == Some(&i.item_id))
                .collect();
            let variant = match (i.product_type.as_deref(), children.as_slice()) {
                (Some("configurable"), [child]) => Some(*child),
                _ => None,
            };
            LineItem {
                platform_id: i.item_id.0.clone(),
                product_id: i.product_id.as_ref().map(|p| p.0.clone()),
                variant_id: variant
                    .and_then(|c| c.product_id.as_ref())
                    .map(|p| p.0.clone()),
                sku: text(variant.and_then(|c| c.sku.as_ref()).or(i.sku.as_ref())),
                name: text(i.name.as_ref()),
                quantity: i.qty_ordered.map_or(Decimal::ZERO, |q| q.0),
                unit_price: money(i.base_price, cur),
                total: money(i.base_row_total, cur),
                tax: money(i.base_tax_amount, cur),
                discount: money(positive(i.base_discount_amount), cur),
            }
        })
        .collect()
}

fn fulfillment(items: &[OrderItem], state: Option<&str>) -> Option<FulfillmentStatus> {
    let physical: Vec<&OrderItem> = items
        .iter()
        .filter(|i| i.parent_item_id.is_none() && !i.is_virtual.0)
        .collect();
    if physical.is_empty() {
        return (state == Some("complete")).then_some(FulfillmentStatus::Fulfilled);
    }
    let q = |d: Option<Dec>| d.map_or(Decimal::ZERO, |d| d.0);
    let due: Decimal = physical
        .iter()
        .map(|i| q(i.qty_ordered) - q(i.qty_canceled))
        .sum();
    let shipped: Decimal = physical.iter().map(|i| q(i.qty_shipped)).sum();
    Some(if shipped <= Decimal::ZERO {
        FulfillmentStatus::Unfulfilled
    } else if shipped < due {
        FulfillmentStatus::Partial
    } else {
        FulfillmentStatus::Fulfilled
    })
}

fn financial(o: &wire::Order) -> Option<FinancialStatus> {
    let total = o.base_grand_total?.0;
    let paid = o.base_total_paid.map_or(Decimal::ZERO, |d| d.0);
    let refunded = o.base_total_refunded.map_or(Decimal::ZERO, |d| d.0);
    Some(if refunded > Decimal::ZERO && refunded >= paid.max(total) {
        FinancialStatus::Refunded
    } else if refunded > Decimal::ZERO {
        FinancialStatus::PartiallyRefunded
    } else if paid >= total && total > Decimal::ZERO {
        FinancialStatus::Paid
    } else if paid > Decimal::ZERO {
        FinancialStatus::PartiallyPaid
    } else if o.state.as_deref() == Some("canceled") {
        FinancialStatus::Voided
    } else {
        FinancialStatus::Pending
    })
}

fn refund(m: &CreditMemo, cur: Option<&Currency>) -> Result<Refund> {
    Ok(Refund {
        platform_id: m.entity_id.0.clone(),
        amount: money(m.base_grand_total, cur),
        reason: m.comments.iter().find_map(|c| text(c.comment.as_ref())),
        created_at: date("$.created_at", m.created_at.as_ref())?,
        line_items: m
            .items
            .iter()
            .filter(|i| i.qty.is_some_and(|q| q.0 > Decimal::ZERO))
            .map(|i| RefundLineItem {
                line_item_id: i.order_item_id.as_ref().map(|x| x.0.clone()),
                quantity: i.qty.map_or(Decimal::ZERO, |q| q.0),
                amount: money(i.base_row_total, cur),
            })
            .collect(),
    })
}

fn shipment(s: &ShipmentDoc) -> Result<Shipment> {
    let track = s.tracks.first();
    Ok(Shipment {
        platform_id: s.entity_id.0.clone(),
        carrier: track
            .and_then(|t| text(t.title.as_ref()).or_else(|| text(t.carrier_code.as_ref()))),
        tracking_number: track.and_then(|t| text(t.track_number.as_ref())),
        tracking_url: None,
        status: None,
        line_items: s
            .items
            .iter()
            .filter(|i| i.qty.is_some_and(|q| q.0 > Decimal::ZERO))
            .map(|i| ShipmentLineItem {
                line_item_id: i.order_item_id.as_ref().map(|x| x.0.clone()),
                quantity: i.qty.map_or(Decimal::ZERO, |q| q.0),
            })
            .collect(),
        created_at: date("$.created_at", s.created_at.as_ref())?,
    })
}

/// A sales order with what the adapter read beside it.
pub fn order_with(raw: &RawValue, _ctx: &Context, extra: &OrderExtra) -> Result<Order> {
    let o: wire::Order = read(raw)?;
    let base = currency("$.base_currency_code", o.base_currency_code.as_ref())?;
    let cur = base.as_ref();
    let totals = OrderTotals {
        subtotal: money(o.base_subtotal, cur),
        shipping: money(o.base_shipping_amount, cur),
        tax: money(o.base_tax_amount, cur),
        discount: money(positive(o.base_discount_amount), cur),
        total: money(o.base_grand_total, cur),
        paid: money(o.base_total_paid, cur),
        refunded: money(o.base_total_refunded, cur),
    };
    let order_currency = currency("$.order_currency_code", o.order_currency_code.as_ref())?;
    let (presentment_currency, presentment_totals) =
        presentment(cur, order_currency, |p| -> Result<OrderTotals> {
            let p = Some(p);
            Ok(OrderTotals {
                subtotal: money(o.subtotal, p),
                shipping: money(o.shipping_amount, p),
                tax: money(o.tax_amount, p),
                discount: money(positive(o.discount_amount), p),
                total: money(o.grand_total, p),
                paid: money(o.total_paid, p),
                refunded: money(o.total_refunded, p),
            })
        })?;
    let shipping = o.extension_attributes.as_ref().and_then(|e| {
        e.shipping_assignments
            .iter()
            .find_map(|a| a.shipping.as_ref())
    });
    let billing = o.billing_address.as_ref().and_then(address);
    let guest = o.customer_is_guest.0;
    let customer = OrderCustomer {
        platform_id: if guest {
            None
        } else {
            o.customer_id.as_ref().map(|c| c.0.clone())
        },
        email: text(o.customer_email.as_ref()),
        first_name: text(o.customer_firstname.as_ref()),
        last_name: text(o.customer_lastname.as_ref()),
        phone: billing.as_ref().and_then(|b| b.phone.clone()),
    };
    let method = shipping.and_then(|s| text(s.method.as_ref()));
    let shipping_lines = if o.shipping_description.is_some() || method.is_some() {
        vec![ShippingLine {
            method: text(o.shipping_description.as_ref()).or_else(|| method.clone()),
            // `tablerate_bestway`: carrier code, then method code.
            carrier: method
                .as_deref()
                .and_then(|m| m.split('_').next())
                .map(str::to_owned),
            price: money(o.base_shipping_amount, cur),
        }]
    } else {
        Vec::new()
    };
    let discounts = match positive(o.base_discount_amount) {
        Some(d) if d.0 > Decimal::ZERO => vec![Discount {
            code: text(o.coupon_code.as_ref()).or_else(|| text(o.discount_description.as_ref())),
            amount: money(Some(d), cur),
        }],
        _ => Vec::new(),
    };
    Ok(Order {
        id: None,
        store_id: None,
        platform: PLATFORM.to_owned(),
        platform_id: o.entity_id.0.clone(),
        number: text(o.increment_id.as_ref()),
        status: o.state.as_deref().and_then(status_of_state),
        platform_status: text(o.status.as_ref()),
        financial_status: financial(&o),
        platform_financial_status: None,
        fulfillment_status: fulfillment(&o.items, o.state.as_deref()),
        platform_fulfillment_status: None,
        currency: base.clone(),
        totals,
        presentment_currency,
        presentment_totals,
        customer: Some(customer).filter(|c| *c != OrderCustomer::default()),
        billing_address: billing,
        shipping_address: shipping.and_then(|s| s.address.as_ref()).and_then(address),
        line_items: line_items(&o.items, cur),
        shipping_lines,
        discounts,
        refunds: extra
            .creditmemos
            .iter()
            .map(|m| refund(m, cur))
            .collect::<Result<_>>()?,
        shipments: extra
            .shipments
            .iter()
            .map(shipment)
            .collect::<Result<_>>()?,
        note: text(o.customer_note.as_ref()),
        tags: Vec::new(),
        source: None,
        created_at: date("$.created_at", o.created_at.as_ref())?,
        updated_at: date("$.updated_at", o.updated_at.as_ref())?,
        completed_at: None,
        cancelled_at: None,
        raw: Some(Raw::from_raw(raw)),
    })
}
