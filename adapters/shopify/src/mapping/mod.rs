//! Pure mapping from Shopify payloads to the unified model, for REST objects and
//! GraphQL nodes alike (no IO). Both APIs give the same `platform_id`: the numeric id
//! (a GraphQL `gid://shopify/Order/450789469` becomes `450789469`).
//!
//! Money is the shop's money (`shop_money`, `shopMoney`); when the buyer paid in
//! another currency, the order's `presentment_currency` and `presentment_totals` come
//! from the presentment money of its totals (`presentment_money`, `presentmentMoney`),
//! and line-level presentment money stays in `raw`. Shopify has no single order status, so `platform_status` is
//! `open`, `closed` or `cancelled` (what REST's `status` filter calls them) and the
//! normalised status is derived from it with the financial and fulfillment statuses.

use std::collections::BTreeMap;

use polycart_kit::decode::{Dec, Id, datetime};
use polycart_kit::error::decode_json_borrowed;
use polycart_kit::model::{
    Address, Category, Currency, Customer, Discount, FinancialStatus, FulfillmentStatus, Image,
    InventoryLevel, LineItem, Money, Order, OrderCustomer, OrderStatus, OrderTotals, Product,
    ProductOption, ProductStatus, Raw, Refund, RefundLineItem, Shipment, ShipmentLineItem,
    ShippingLine, Variant, Weight, presentment,
};
use polycart_kit::{Error, Result};
use serde::Deserialize;
use serde_json::value::RawValue;

pub use crate::PLATFORM;
use crate::wire::{gql, rest};
use polycart_kit::StoreContext;

mod category;
mod customer;
mod inventory;
mod order;
mod payload;
mod product;

pub use category::{gql_category, rest_category};
pub use customer::{gql_customer, rest_customer};
pub use inventory::{gql_inventory, level_id, rest_inventory};
pub use order::{gql_order, rest_order};
pub use product::{gql_product, rest_product};

pub use payload::{map_one, normalize};

/// Whether a payload is a GraphQL node (its id is a `gid://` URI) or a REST object.
pub fn is_graphql(raw: &RawValue) -> bool {
    #[derive(Deserialize)]
    struct Probe {
        id: Option<Id>,
        #[serde(rename = "legacyResourceId")]
        legacy: Option<Id>,
    }
    match serde_json::from_str::<Probe>(raw.get()) {
        Ok(p) => p.legacy.is_some() || p.id.is_some_and(|id| id.0.starts_with("gid://")),
        Err(_) => false,
    }
}

/// The numeric id inside a GID (`gid://shopify/Order/1` → `1`), or the id unchanged.
pub fn legacy_id(id: &str) -> String {
    match id.strip_prefix("gid://") {
        Some(rest) => {
            let rest = rest.split('?').next().unwrap_or(rest);
            rest.rsplit('/').next().unwrap_or(rest).to_owned()
        }
        None => id.to_owned(),
    }
}

fn lid(id: &Id) -> String {
    legacy_id(&id.0)
}

fn opt_lid(id: Option<&Id>) -> Option<String> {
    id.map(lid)
}

/// `None` for empty or blank strings: Shopify sends `""` for parts it does not have.
fn text(s: Option<String>) -> Option<String> {
    s.filter(|s| !s.trim().is_empty())
}

fn currency(path: &str, code: &str) -> Result<Currency> {
    Currency::parse(code).map_err(|e| Error::decode(path, e.to_string()))
}

fn opt_currency(path: &str, code: Option<&str>) -> Result<Option<Currency>> {
    code.filter(|c| !c.trim().is_empty())
        .map(|c| currency(path, c))
        .transpose()
}

fn date(path: &str, s: Option<&String>) -> Result<Option<chrono::DateTime<chrono::Utc>>> {
    datetime(path, s.map(String::as_str))
}

/// Comma-separated tags ("a, b") as a list.
fn split_tags(tags: Option<&str>) -> Vec<String> {
    tags.unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .collect()
}

fn sum(moneys: impl IntoIterator<Item = Money>) -> Option<Money> {
    let mut total: Option<Money> = None;
    for m in moneys {
        total = Some(match total {
            None => m,
            Some(t) if t.currency == m.currency => Money::new(t.amount + m.amount, t.currency),
            Some(t) => t,
        });
    }
    total
}

// ---------------------------------------------------------------- statuses

/// REST `financial_status` (or GraphQL `displayFinancialStatus`) → unified.
pub fn financial_status(s: &str) -> Option<FinancialStatus> {
    Some(match s.to_ascii_lowercase().as_str() {
        "pending" => FinancialStatus::Pending,
        "authorized" => FinancialStatus::Authorized,
        "partially_paid" => FinancialStatus::PartiallyPaid,
        "paid" => FinancialStatus::Paid,
        "partially_refunded" => FinancialStatus::PartiallyRefunded,
        "refunded" => FinancialStatus::Refunded,
        "voided" | "expired" => FinancialStatus::Voided,
        _ => return None,
    })
}

/// REST `fulfillment_status` (`null` means nothing shipped) or GraphQL
/// `displayFulfillmentStatus` → unified.
pub fn fulfillment_status(s: Option<&str>) -> Option<FulfillmentStatus> {
    let Some(s) = s else {
        return Some(FulfillmentStatus::Unfulfilled);
    };
    Some(match s.to_ascii_lowercase().as_str() {
        "fulfilled" => FulfillmentStatus::Fulfilled,
        "partial" | "partially_fulfilled" => FulfillmentStatus::Partial,
        "restocked" => FulfillmentStatus::Returned,
        "unfulfilled"
        | "unshipped"
        | "open"
        | "in_progress"
        | "on_hold"
        | "pending_fulfillment"
        | "scheduled"
        | "request_declined" => FulfillmentStatus::Unfulfilled,
        _ => return None,
    })
}

/// The order's life: cancelled, closed (archived) or open, then refined by money and
/// shipping.
fn order_status(
    platform_status: &str,
    financial: Option<FinancialStatus>,
    fulfillment: Option<FulfillmentStatus>,
) -> OrderStatus {
    match platform_status {
        "cancelled" => OrderStatus::Cancelled,
        _ if financial == Some(FinancialStatus::Refunded) => OrderStatus::Refunded,
        _ if financial == Some(FinancialStatus::Voided) => OrderStatus::Cancelled,
        "closed" => OrderStatus::Completed,
        _ if fulfillment == Some(FulfillmentStatus::Fulfilled) => OrderStatus::Completed,
        _ if matches!(
            financial,
            Some(FinancialStatus::Pending | FinancialStatus::Authorized) | None
        ) =>
        {
            OrderStatus::Pending
        }
        _ => OrderStatus::Processing,
    }
}

fn platform_order_status(cancelled: bool, closed: bool) -> &'static str {
    if cancelled {
        "cancelled"
    } else if closed {
        "closed"
    } else {
        "open"
    }
}

/// REST `status` / GraphQL `ProductStatus` → unified.
pub fn product_status(s: &str) -> Option<ProductStatus> {
    Some(match s.to_ascii_lowercase().as_str() {
        "active" => ProductStatus::Active,
        "draft" => ProductStatus::Draft,
        "archived" => ProductStatus::Archived,
        _ => return None,
    })
}

// ---------------------------------------------------------------- REST

fn rest_set(
    path: &str,
    set: Option<&rest::MoneySet>,
    fallback: Option<&Dec>,
    cur: Option<&Currency>,
) -> Result<Option<Money>> {
    if let Some(m) = set.and_then(|s| s.shop_money.as_ref()) {
        return Ok(Some(Money::new(
            m.amount.0,
            currency(path, &m.currency_code)?,
        )));
    }
    Ok(match (fallback, cur) {
        (Some(a), Some(c)) => Some(Money::new(a.0, c.clone())),
        _ => None,
    })
}

/// A shipping line's carrier: its carrier service, or the source of a carrier
/// calculated rate (`usps`); `shopify` is the shop's own rate, not a carrier.
fn carrier(identifier: Option<String>, source: Option<String>) -> Option<String> {
    text(identifier).or_else(|| text(source).filter(|s| s != "shopify"))
}

fn rest_address(a: Option<rest::Address>, email: Option<String>) -> Option<Address> {
    let a = a?;
    Address {
        first_name: text(a.first_name),
        last_name: text(a.last_name),
        company: text(a.company),
        line1: text(a.address1),
        line2: text(a.address2),
        city: text(a.city),
        region: text(a.province),
        region_code: text(a.province_code),
        postal_code: text(a.zip),
        country_code: text(a.country_code).map(|c| c.to_ascii_uppercase()),
        phone: text(a.phone),
        email,
    }
    .non_empty()
}

/// What the refunds gave back in `cur`: `None` without refunds, or when their
/// transactions are all in another currency (a multi-currency order refunds in the
/// buyer's currency, which says nothing of the shop's money); zero when refunds
/// returned no money.
fn refunded_in(refunds: &[Refund], cur: Option<&Currency>) -> Option<Money> {
    let cur = cur?;
    if refunds.is_empty() {
        return None;
    }
    let amounts: Vec<&Money> = refunds.iter().filter_map(|r| r.amount.as_ref()).collect();
    let mine: Vec<Money> = amounts
        .iter()
        .filter(|m| &m.currency == cur)
        .map(|m| (*m).clone())
        .collect();
    if mine.is_empty() && !amounts.is_empty() {
        return None;
    }
    Some(sum(mine).unwrap_or_else(|| Money::zero(cur)))
}

// ---------------------------------------------------------------- GraphQL

fn bag(path: &str, b: Option<&gql::MoneyBag>) -> Result<Option<Money>> {
    match b.and_then(|b| b.shop_money.as_ref()) {
        Some(m) => Ok(Some(Money::new(
            m.amount.0,
            currency(path, &m.currency_code)?,
        ))),
        None => Ok(None),
    }
}

fn gql_address(a: Option<gql::MailingAddress>) -> Option<Address> {
    let a = a?;
    Address {
        first_name: text(a.first_name),
        last_name: text(a.last_name),
        company: text(a.company),
        line1: text(a.address1),
        line2: text(a.address2),
        city: text(a.city),
        region: text(a.province),
        region_code: text(a.province_code),
        postal_code: text(a.zip),
        country_code: text(a.country_code_v2)
            .or_else(|| text(a.country_code))
            .map(|c| c.to_ascii_uppercase()),
        phone: text(a.phone),
        email: None,
    }
    .non_empty()
}

// ---------------------------------------------------------------- either API

/// An order from either API.
pub fn order(raw: &RawValue) -> Result<Order> {
    if is_graphql(raw) {
        gql_order(raw)
    } else {
        rest_order(raw)
    }
}

/// A product from either API.
pub fn product(raw: &RawValue, ctx: &StoreContext) -> Result<Product> {
    if is_graphql(raw) {
        gql_product(raw, ctx)
    } else {
        rest_product(raw, ctx)
    }
}

/// A customer from either API.
pub fn customer(raw: &RawValue) -> Result<Customer> {
    if is_graphql(raw) {
        gql_customer(raw)
    } else {
        rest_customer(raw)
    }
}

/// A collection from either API.
pub fn category(raw: &RawValue) -> Result<Category> {
    if is_graphql(raw) {
        gql_category(raw)
    } else {
        rest_category(raw)
    }
}

/// An inventory level from either API.
pub fn inventory(raw: &RawValue) -> Result<InventoryLevel> {
    if is_graphql(raw) {
        gql_inventory(raw)
    } else {
        rest_inventory(raw)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(text: &str) -> Box<RawValue> {
        RawValue::from_string(text.to_owned()).unwrap()
    }

    fn shown(m: &Option<Money>) -> String {
        m.as_ref()
            .map(|m| format!("{} {}", m.amount, m.currency))
            .unwrap_or_default()
    }

    /// A USD shop's order paid in CAD, as REST writes one: `currency` is the shop's,
    /// `presentment_currency` the buyer's, each `*_set` holds both; the refund's
    /// transaction is in the buyer's currency.
    const REST_CAD: &str = r#"{"id":7,"currency":"USD","presentment_currency":"CAD",
        "total_price":"10.00",
        "total_price_set":{"shop_money":{"amount":"10.00","currency_code":"USD"},
            "presentment_money":{"amount":"13.60","currency_code":"CAD"}},
        "subtotal_price_set":{"shop_money":{"amount":"9.00","currency_code":"USD"},
            "presentment_money":{"amount":"12.24","currency_code":"CAD"}},
        "total_tax_set":{"shop_money":{"amount":"1.00","currency_code":"USD"},
            "presentment_money":{"amount":"1.36","currency_code":"CAD"}},
        "refunds":[{"id":3,"transactions":[
            {"kind":"refund","status":"success","amount":"1.36","currency":"CAD"}]}]}"#;

    #[test]
    fn rest_presentment_money_gives_presentment_totals() {
        let o = rest_order(&raw(REST_CAD)).unwrap();
        assert_eq!(o.currency.as_ref().map(Currency::as_str), Some("USD"));
        assert_eq!(shown(&o.totals.total), "10.00 USD");
        assert_eq!(
            o.presentment_currency.as_ref().map(Currency::as_str),
            Some("CAD")
        );
        let p = o.presentment_totals.as_ref().unwrap();
        assert_eq!(shown(&p.total), "13.60 CAD");
        assert_eq!(shown(&p.subtotal), "12.24 CAD");
        assert_eq!(shown(&p.tax), "1.36 CAD");
        assert_eq!(shown(&p.refunded), "1.36 CAD");
        // The refund was paid back in CAD: the shop's refunded money is not in the
        // payload, so it is not made up.
        assert_eq!(o.totals.refunded, None);
        assert_eq!(shown(&o.refunds[0].amount), "1.36 CAD");

        // The same currency twice is no presentment.
        let same = REST_CAD.replace("CAD", "USD");
        let o = rest_order(&raw(&same)).unwrap();
        assert_eq!((o.presentment_currency, o.presentment_totals), (None, None));
        assert_eq!(shown(&o.totals.refunded), "1.36 USD");
    }

    #[test]
    fn graphql_presentment_money_gives_presentment_totals() {
        let bag = |shop: &str, cad: &str| {
            format!(
                r#"{{"shopMoney":{{"amount":"{shop}","currencyCode":"USD"}},"presentmentMoney":{{"amount":"{cad}","currencyCode":"CAD"}}}}"#
            )
        };
        let text = format!(
            r#"{{"id":"gid://shopify/Order/7","currencyCode":"USD","presentmentCurrencyCode":"CAD",
            "totalPriceSet":{},"totalReceivedSet":{},"totalRefundedSet":{}}}"#,
            bag("10.00", "13.60"),
            bag("10.00", "13.60"),
            bag("1.00", "1.36")
        );
        let o = gql_order(&raw(&text)).unwrap();
        assert_eq!(shown(&o.totals.refunded), "1.00 USD");
        assert_eq!(
            o.presentment_currency.as_ref().map(Currency::as_str),
            Some("CAD")
        );
        let p = o.presentment_totals.unwrap();
        assert_eq!(shown(&p.total), "13.60 CAD");
        assert_eq!(shown(&p.paid), "13.60 CAD");
        assert_eq!(shown(&p.refunded), "1.36 CAD");
        assert_eq!(p.tax, None, "not asked for, not made up");
    }

    #[test]
    fn gids_become_numeric_ids() {
        assert_eq!(legacy_id("gid://shopify/Order/450789469"), "450789469");
        assert_eq!(
            legacy_id("gid://shopify/InventoryLevel/5?inventory_item_id=7"),
            "5"
        );
        assert_eq!(legacy_id("123"), "123");
    }

    #[test]
    fn order_statuses() {
        let st = |p, f, ff| order_status(p, financial_status(f), fulfillment_status(ff));
        assert_eq!(st("cancelled", "refunded", None), OrderStatus::Cancelled);
        assert_eq!(st("open", "refunded", None), OrderStatus::Refunded);
        assert_eq!(
            st("closed", "paid", Some("fulfilled")),
            OrderStatus::Completed
        );
        assert_eq!(
            st("open", "paid", Some("fulfilled")),
            OrderStatus::Completed
        );
        assert_eq!(st("open", "paid", None), OrderStatus::Processing);
        assert_eq!(
            st("open", "partially_refunded", Some("partial")),
            OrderStatus::Processing
        );
        assert_eq!(st("open", "pending", None), OrderStatus::Pending);
        assert_eq!(st("open", "authorized", None), OrderStatus::Pending);
        assert_eq!(st("open", "voided", None), OrderStatus::Cancelled);
        assert_eq!(
            fulfillment_status(Some("restocked")),
            Some(FulfillmentStatus::Returned)
        );
        assert_eq!(
            fulfillment_status(Some("PARTIALLY_FULFILLED")),
            Some(FulfillmentStatus::Partial)
        );
        assert_eq!(financial_status("EXPIRED"), Some(FinancialStatus::Voided));
        assert_eq!(financial_status("something_new"), None);
    }

    #[test]
    fn shop_currency_prices_products_of_both_apis() {
        let ctx = StoreContext {
            currency: Some(Currency::parse("CAD").unwrap()),
            ..Default::default()
        };
        let r = raw(
            r#"{"id":1,"variants":[{"id":2,"price":"5.50","compare_at_price":"7.00"},{"id":3,"price":"4.25"}]}"#,
        );
        let p = product(&r, &ctx).unwrap();
        assert_eq!(p.price.unwrap().to_string(), "4.25 CAD");
        assert_eq!(p.compare_at_price, None);
        let g = raw(
            r#"{"id":"gid://shopify/Product/1","variants":{"nodes":[{"id":"gid://shopify/ProductVariant/2","price":"5.50","compareAtPrice":"7.00"}]}}"#,
        );
        let p = product(&g, &ctx).unwrap();
        assert_eq!(p.platform_id, "1");
        assert_eq!(p.variants[0].platform_id, "2");
        assert_eq!(p.compare_at_price.unwrap().to_string(), "7.00 CAD");
        // Without the shop's currency, no price is made up.
        assert_eq!(product(&g, &StoreContext::default()).unwrap().price, None);
    }

    #[test]
    fn absent_fulfillment_status_is_null_but_null_is_unfulfilled() {
        let o = order(&raw(r#"{"id":1,"financial_status":"paid"}"#)).unwrap();
        assert_eq!(o.fulfillment_status, None);
        let o = order(&raw(
            r#"{"id":1,"financial_status":"paid","fulfillment_status":null}"#,
        ))
        .unwrap();
        assert_eq!(o.fulfillment_status, Some(FulfillmentStatus::Unfulfilled));
    }
}
