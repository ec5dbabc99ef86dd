//! The unified order with its line items, shipping, discounts, refunds and shipments.
//!
//! Money rule: an order's `currency` and `totals` are the store's own currency (Shopify
//! shop money, BigCommerce's store default currency, Magento's base currency, ...), so
//! orders of one store add up whatever their buyers paid in. What the buyer paid in,
//! when it differs, is `presentment_currency` with `presentment_totals`.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Address, Currency, FinancialStatus, FulfillmentStatus, Money, OrderStatus, Raw};

/// An order, normalised. Its `currency` and `totals` are the store's own currency
/// whatever the buyer paid in; what the buyer paid in, when it differs, is
/// `presentment_currency` with `presentment_totals`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Order {
    /// polycart's stable id (store id + platform id); `null` until the order belongs to a store.
    pub id: Option<String>,
    pub store_id: Option<String>,
    pub platform: String,
    pub platform_id: String,
    /// The number shoppers see ("#1001", "100000023").
    pub number: Option<String>,
    pub status: Option<OrderStatus>,
    pub platform_status: Option<String>,
    pub financial_status: Option<FinancialStatus>,
    pub platform_financial_status: Option<String>,
    pub fulfillment_status: Option<FulfillmentStatus>,
    pub platform_fulfillment_status: Option<String>,
    /// The store's own currency (Shopify shop money, BigCommerce's store default
    /// currency, Magento's base currency): the currency of `totals`, whatever the buyer
    /// paid in.
    pub currency: Option<Currency>,
    /// The order's money in the store's currency (`currency`).
    pub totals: OrderTotals,
    /// The currency the buyer saw and paid in (ISO 4217), when the platform reports one
    /// other than `currency`; `null` when it is the same or unknown.
    pub presentment_currency: Option<Currency>,
    /// The order's money in `presentment_currency`, from the platform's own presentment
    /// amounts; `null` exactly when `presentment_currency` is.
    pub presentment_totals: Option<OrderTotals>,
    pub customer: Option<OrderCustomer>,
    pub billing_address: Option<Address>,
    pub shipping_address: Option<Address>,
    pub line_items: Vec<LineItem>,
    pub shipping_lines: Vec<ShippingLine>,
    pub discounts: Vec<Discount>,
    pub refunds: Vec<Refund>,
    pub shipments: Vec<Shipment>,
    pub note: Option<String>,
    pub tags: Vec<String>,
    /// The sales channel or source the platform names ("web", "pos", "checkout").
    pub source: Option<String>,
    pub created_at: Option<DateTime<Utc>>,
    pub updated_at: Option<DateTime<Utc>>,
    pub completed_at: Option<DateTime<Utc>>,
    pub cancelled_at: Option<DateTime<Utc>>,
    pub raw: Option<Raw>,
}

impl Order {
    /// An order of `platform` with its id and nothing else known: a mapping fills in
    /// what its payload says (`Order { number, ..Order::new(PLATFORM, id) }`).
    pub fn new(platform: &str, platform_id: impl Into<String>) -> Self {
        Self {
            platform: platform.to_owned(),
            platform_id: platform_id.into(),
            ..Self::default()
        }
    }
}

/// The money of an order, all in one currency; each part is `null` where the platform
/// does not report it in that currency.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct OrderTotals {
    pub subtotal: Option<Money>,
    pub shipping: Option<Money>,
    pub tax: Option<Money>,
    pub discount: Option<Money>,
    pub total: Option<Money>,
    pub paid: Option<Money>,
    pub refunded: Option<Money>,
}

impl OrderTotals {
    /// Every part in `currency` kept, any other left out (`null`): a part in another
    /// currency is not one of these totals.
    pub fn only_in(mut self, currency: &Currency) -> Self {
        for part in [
            &mut self.subtotal,
            &mut self.shipping,
            &mut self.tax,
            &mut self.discount,
            &mut self.total,
            &mut self.paid,
            &mut self.refunded,
        ] {
            if part.as_ref().is_some_and(|m| &m.currency != currency) {
                *part = None;
            }
        }
        self
    }

    /// Whether no part is known.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// An order's `presentment_currency` and `presentment_totals`: both `None` when the
/// buyer's currency is unknown or the store's (`currency`), else the currency and the
/// totals `read` finds in it (parts in any other currency left out).
pub fn presentment<E>(
    currency: Option<&Currency>,
    presentment: Option<Currency>,
    read: impl FnOnce(&Currency) -> Result<OrderTotals, E>,
) -> Result<(Option<Currency>, Option<OrderTotals>), E> {
    match presentment {
        Some(p) if Some(&p) != currency => {
            let totals = read(&p)?.only_in(&p);
            Ok((Some(p), Some(totals)))
        }
        _ => Ok((None, None)),
    }
}

/// Who placed the order, as the order itself records it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct OrderCustomer {
    pub platform_id: Option<String>,
    pub email: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub phone: Option<String>,
}

/// One purchased item. Its amounts carry their own currency: the store's where the
/// platform reports amounts in it (Shopify shop money), else the currency the platform
/// writes them in (BigCommerce: the buyer's transactional currency).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct LineItem {
    pub platform_id: String,
    pub product_id: Option<String>,
    pub variant_id: Option<String>,
    pub sku: Option<String>,
    pub name: Option<String>,
    pub quantity: Decimal,
    pub unit_price: Option<Money>,
    /// Line total before order-level discounts (unit price × quantity).
    pub total: Option<Money>,
    pub tax: Option<Money>,
    pub discount: Option<Money>,
}

/// A shipping charge.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ShippingLine {
    pub method: Option<String>,
    pub carrier: Option<String>,
    pub price: Option<Money>,
}

/// A discount applied to the order (a code, or an automatic discount without one).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Discount {
    pub code: Option<String>,
    pub amount: Option<Money>,
}

/// Money given back to the buyer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Refund {
    pub platform_id: String,
    pub amount: Option<Money>,
    pub reason: Option<String>,
    pub created_at: Option<DateTime<Utc>>,
    pub line_items: Vec<RefundLineItem>,
}

/// Part of a refund that returns a line item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct RefundLineItem {
    pub line_item_id: Option<String>,
    pub quantity: Decimal,
    pub amount: Option<Money>,
}

/// A parcel sent for an order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Shipment {
    pub platform_id: String,
    pub carrier: Option<String>,
    pub tracking_number: Option<String>,
    pub tracking_url: Option<String>,
    /// The platform's shipment status ("success", "in_transit"), as given.
    pub status: Option<String>,
    pub line_items: Vec<ShipmentLineItem>,
    pub created_at: Option<DateTime<Utc>>,
}

/// A line item (or part of one) in a shipment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ShipmentLineItem {
    pub line_item_id: Option<String>,
    pub quantity: Decimal,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn money(a: &str, c: &str) -> Money {
        Money::parse(a, &Currency::parse(c).unwrap()).unwrap()
    }

    #[test]
    fn presentment_is_null_when_equal_or_unknown() {
        let usd = Currency::parse("USD").unwrap();
        let eur = Currency::parse("EUR").unwrap();
        let read = |_: &Currency| -> Result<OrderTotals, ()> {
            Ok(OrderTotals {
                total: Some(money("9.20", "EUR")),
                tax: Some(money("1.00", "USD")),
                ..OrderTotals::default()
            })
        };
        assert_eq!(presentment(Some(&usd), None, read), Ok((None, None)));
        assert_eq!(
            presentment(Some(&usd), Some(usd.clone()), read),
            Ok((None, None))
        );
        let (c, t) = presentment(Some(&usd), Some(eur.clone()), read).unwrap();
        assert_eq!(c, Some(eur));
        let t = t.unwrap();
        assert_eq!(t.total, Some(money("9.20", "EUR")));
        assert_eq!(t.tax, None, "a part in another currency is left out");
    }
}
