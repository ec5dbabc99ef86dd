//! Pure Etsy → unified mapping, no IO: one signature for every entity
//! (`fn(&RawValue, &StoreContext) -> Result<Vec<Record>>`), and `normalize` for
//! `polycart normalize` and the golden tests.
//!
//! - Money `{amount, divisor, currency_code}` is `amount / divisor` as an exact
//!   decimal (a divisor that does not divide exactly is a decode error, never a
//!   rounded amount); unix-second timestamps become UTC, the originals stay in `raw`.
//! - A receipt is an order; its transactions are line items whose product is the
//!   **listing** and whose variant is Etsy's **product** (`product_id`): Etsy's
//!   product is what a buyer picks among a listing's variations.
//! - A listing is a product; with its inventory (`includes=Inventory`) each of its
//!   inventory products is a variant (a listing without variations has one), named by
//!   its `property_values`, priced and stocked by its offering.
//! - A shop section is a category.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use polycart_kit::connector::Normalized;
use polycart_kit::decode::{at_index, currency, split_envelope};
use polycart_kit::envelope::{Envelope, fields};
use polycart_kit::error::decode_json;
use polycart_kit::model::{
    Address, Category, Currency, Discount, FinancialStatus, FulfillmentStatus, Image, LineItem,
    Money, Order, OrderCustomer, OrderStatus, OrderTotals, Product, ProductOption, ProductStatus,
    Raw, Refund, Shipment, ShippingLine, Variant,
};
use polycart_kit::{Entity, Error, Record, Result, StoreContext};
use rust_decimal::Decimal;
use serde_json::value::RawValue;

use crate::{PLATFORM, wire};

/// `amount / divisor` exactly, in the money's own currency (the store's when the
/// object names none).
pub(crate) fn money(path: &str, m: &wire::Money, ctx: &StoreContext) -> Result<Option<Money>> {
    let cur = match m.currency_code.as_deref().filter(|c| !c.is_empty()) {
        Some(code) => currency(&format!("{path}.currency_code"), code)?,
        None => match &ctx.currency {
            Some(c) => c.clone(),
            None => return Ok(None),
        },
    };
    let bad = || {
        Error::decode(
            path,
            format!("{}/{} is not an exact amount", m.amount, m.divisor),
        )
    };
    // A quotient is a finite decimal exactly when the divisor's only prime factors
    // are 2 and 5 (Etsy's are 100, or 1 for zero-decimal currencies).
    let divisor = u32::try_from(m.divisor)
        .ok()
        .filter(|d| *d > 0 && only_twos_and_fives(*d))
        .ok_or_else(bad)?;
    Money::from_minor(m.amount, divisor, &cur)
        .map(Some)
        .map_err(|_| bad())
}

fn only_twos_and_fives(mut d: u32) -> bool {
    for p in [2, 5] {
        while d.is_multiple_of(p) {
            d /= p;
        }
    }
    d == 1
}

fn opt_money(path: &str, m: Option<&wire::Money>, ctx: &StoreContext) -> Result<Option<Money>> {
    m.map(|m| money(path, m, ctx))
        .transpose()
        .map(Option::flatten)
}

/// A unix-second timestamp as UTC; out of range is a decode error.
pub(crate) fn unix(path: &str, seconds: Option<i64>) -> Result<Option<DateTime<Utc>>> {
    seconds
        .map(|s| {
            DateTime::from_timestamp(s, 0)
                .ok_or_else(|| Error::decode(path, format!("{s} is not a unix time")))
        })
        .transpose()
}

fn nonempty(s: &Option<String>) -> Option<String> {
    s.as_ref()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// The receipt `status` as (order status, financial status).
fn statuses(status: &str) -> (Option<OrderStatus>, Option<FinancialStatus>) {
    match status.to_ascii_lowercase().as_str() {
        "open" | "payment processing" => {
            (Some(OrderStatus::Pending), Some(FinancialStatus::Pending))
        }
        "paid" => (Some(OrderStatus::Processing), Some(FinancialStatus::Paid)),
        "completed" => (Some(OrderStatus::Completed), Some(FinancialStatus::Paid)),
        "canceled" | "cancelled" => (Some(OrderStatus::Cancelled), Some(FinancialStatus::Voided)),
        "fully refunded" => (Some(OrderStatus::Refunded), Some(FinancialStatus::Refunded)),
        "partially refunded" => (
            Some(OrderStatus::Processing),
            Some(FinancialStatus::PartiallyRefunded),
        ),
        _ => (None, None),
    }
}

/// Sums amounts of one currency; `None` when there are none.
fn sum(path: &str, amounts: impl IntoIterator<Item = Money>) -> Result<Option<Money>> {
    let mut total: Option<Money> = None;
    for m in amounts {
        total = Some(match total {
            None => m,
            Some(t) => t
                .checked_add(&m)
                .map_err(|e| Error::decode(path, e.to_string()))?,
        });
    }
    Ok(total)
}

/// One receipt with its transactions, shipments and refunds.
pub fn order(raw: &RawValue, ctx: &StoreContext) -> Result<Vec<Record>> {
    let r: wire::Receipt = decode_json(raw.get())?;
    let id = r.receipt_id.0.clone();
    let total = opt_money("$.grandtotal", r.grandtotal.as_ref(), ctx)?;
    // The receipt's money is in the shop's currency: the grand total names it.
    let store_currency: Option<Currency> = total
        .as_ref()
        .map(|m| m.currency.clone())
        .or_else(|| ctx.currency.clone());
    let mut line_items = Vec::with_capacity(r.transactions.len());
    for (i, t) in r.transactions.iter().enumerate() {
        let path = format!("$.transactions[{i}]");
        let quantity = Decimal::from(t.quantity.unwrap_or(0));
        let unit_price = opt_money(&format!("{path}.price"), t.price.as_ref(), ctx)?;
        line_items.push(LineItem {
            platform_id: t.transaction_id.0.clone(),
            product_id: t
                .listing_id
                .as_ref()
                .map(|l| l.0.clone())
                .filter(|l| l != "0"),
            variant_id: t
                .product_id
                .as_ref()
                .map(|p| p.0.clone())
                .filter(|p| p != "0"),
            sku: nonempty(&t.sku),
            name: nonempty(&t.title),
            quantity,
            total: unit_price
                .as_ref()
                .map(|p| Money::new(p.amount * quantity, p.currency.clone())),
            unit_price,
            tax: None,
            discount: None,
        });
    }
    let tax = sum(
        "$.total_tax_cost",
        [
            opt_money("$.total_tax_cost", r.total_tax_cost.as_ref(), ctx)?,
            opt_money("$.total_vat_cost", r.total_vat_cost.as_ref(), ctx)?,
        ]
        .into_iter()
        .flatten(),
    )?;
    let shipping = opt_money("$.total_shipping_cost", r.total_shipping_cost.as_ref(), ctx)?;
    let discount = opt_money("$.discount_amt", r.discount_amt.as_ref(), ctx)?;
    let mut refunds = Vec::with_capacity(r.refunds.len());
    for (i, f) in r.refunds.iter().enumerate() {
        let path = format!("$.refunds[{i}]");
        refunds.push(Refund {
            // Etsy's refunds carry no id of their own: the receipt and the position.
            platform_id: format!("{id}-refund-{i}"),
            amount: opt_money(&format!("{path}.amount"), f.amount.as_ref(), ctx)?,
            reason: nonempty(&f.reason).or_else(|| nonempty(&f.note_from_issuer)),
            created_at: unix(&format!("{path}.created_timestamp"), f.created_timestamp)?,
            line_items: Vec::new(),
        });
    }
    let refunded = sum("$.refunds", refunds.iter().filter_map(|f| f.amount.clone()))?;
    let mut shipments = Vec::with_capacity(r.shipments.len());
    for (i, s) in r.shipments.iter().enumerate() {
        shipments.push(Shipment {
            platform_id: s
                .receipt_shipping_id
                .as_ref()
                .map_or_else(|| format!("{id}-shipment-{i}"), |s| s.0.clone()),
            carrier: nonempty(&s.carrier_name),
            tracking_number: nonempty(&s.tracking_code),
            tracking_url: None,
            status: None,
            line_items: Vec::new(),
            created_at: unix(
                &format!("$.shipments[{i}].shipment_notification_timestamp"),
                s.shipment_notification_timestamp,
            )?,
        });
    }
    let (status, financial) = r.status.as_deref().map_or((None, None), statuses);
    let (first_name, last_name) = match nonempty(&r.name) {
        Some(name) => match name.split_once(' ') {
            Some((f, l)) => (Some(f.to_owned()), Some(l.trim().to_owned())),
            None => (Some(name), None),
        },
        None => (None, None),
    };
    let email = nonempty(&r.buyer_email);
    let address = Address {
        first_name: first_name.clone(),
        last_name: last_name.clone(),
        company: None,
        line1: nonempty(&r.first_line),
        line2: nonempty(&r.second_line),
        city: nonempty(&r.city),
        region: nonempty(&r.state),
        region_code: None,
        postal_code: nonempty(&r.zip),
        country_code: nonempty(&r.country_iso),
        phone: None,
        email: None,
    };
    let customer = OrderCustomer {
        platform_id: r
            .buyer_user_id
            .as_ref()
            .map(|b| b.0.clone())
            .filter(|b| b != "0"),
        email,
        first_name,
        last_name,
        phone: None,
    };
    let method = r
        .transactions
        .iter()
        .find_map(|t| nonempty(&t.shipping_method));
    let order = Order {
        number: Some(id.clone()),
        status,
        platform_status: r.status.clone(),
        financial_status: financial,
        platform_financial_status: r
            .is_paid
            .map(|p| if p { "paid" } else { "unpaid" }.to_owned()),
        fulfillment_status: r.is_shipped.map(|s| {
            if s {
                FulfillmentStatus::Fulfilled
            } else {
                FulfillmentStatus::Unfulfilled
            }
        }),
        platform_fulfillment_status: r
            .is_shipped
            .map(|s| if s { "shipped" } else { "not_shipped" }.to_owned()),
        currency: store_currency,
        totals: OrderTotals {
            subtotal: opt_money("$.subtotal", r.subtotal.as_ref(), ctx)?,
            shipping: shipping.clone(),
            tax,
            discount: discount.clone(),
            paid: if r.is_paid == Some(true) {
                total.clone()
            } else {
                None
            },
            total,
            refunded,
        },
        customer: (customer != OrderCustomer::default()).then_some(customer),
        shipping_address: (!address.is_empty()).then_some(address),
        line_items,
        shipping_lines: if shipping.is_some() || method.is_some() {
            vec![ShippingLine {
                method,
                carrier: None,
                price: shipping,
            }]
        } else {
            Vec::new()
        },
        discounts: discount
            .filter(|d| !d.amount.is_zero())
            .map(|amount| Discount {
                code: None,
                amount: Some(amount),
            })
            .into_iter()
            .collect(),
        refunds,
        shipments,
        note: nonempty(&r.message_from_buyer),
        source: Some("etsy".to_owned()),
        created_at: unix(
            "$.created_timestamp",
            r.created_timestamp.or(r.create_timestamp),
        )?,
        updated_at: unix(
            "$.updated_timestamp",
            r.updated_timestamp.or(r.update_timestamp),
        )?,
        raw: Some(Raw::from_raw(raw)),
        ..Order::new(PLATFORM, id)
    };
    Ok(vec![order.into()])
}

/// A listing `state` as the unified product status.
fn product_status(state: &str) -> Option<ProductStatus> {
    Some(match state {
        "active" | "sold_out" => ProductStatus::Active,
        "draft" => ProductStatus::Draft,
        "inactive" | "expired" => ProductStatus::Archived,
        _ => return None,
    })
}

/// An inventory product's price and stock: its first live offering.
fn offering(p: &wire::InventoryProduct) -> Option<&wire::Offering> {
    p.offerings.iter().find(|o| !o.is_deleted)
}

/// One listing; with its inventory, its products as variants.
pub fn product(raw: &RawValue, ctx: &StoreContext) -> Result<Vec<Record>> {
    let l: wire::Listing = decode_json(raw.get())?;
    let price = opt_money("$.price", l.price.as_ref(), ctx)?;
    let mut variants = Vec::new();
    let mut options: Vec<ProductOption> = Vec::new();
    let mut stock: Option<i64> = None;
    if let Some(inv) = &l.inventory {
        for (i, p) in inv
            .products
            .iter()
            .enumerate()
            .filter(|(_, p)| !p.is_deleted)
        {
            let mut chosen = BTreeMap::new();
            for v in &p.property_values {
                let name = v
                    .property_name
                    .clone()
                    .unwrap_or_else(|| format!("property {}", v.property_id));
                let value = v.values.join(", ");
                match options.iter_mut().find(|o| o.name == name) {
                    Some(o) if !o.values.contains(&value) => o.values.push(value.clone()),
                    Some(_) => {}
                    None => options.push(ProductOption {
                        name: name.clone(),
                        values: vec![value.clone()],
                    }),
                }
                chosen.insert(name, value);
            }
            let o = offering(p);
            let quantity = o.filter(|o| o.is_enabled).map(|o| o.quantity.unwrap_or(0));
            if let Some(q) = quantity {
                stock = Some(stock.unwrap_or(0) + q);
            }
            variants.push(Variant {
                platform_id: p.product_id.0.clone(),
                sku: nonempty(&p.sku),
                barcode: None,
                options: chosen,
                price: opt_money(
                    &format!("$.inventory.products[{i}].offerings[0].price"),
                    o.and_then(|o| o.price.as_ref()),
                    ctx,
                )?,
                compare_at_price: None,
                inventory_quantity: Some(quantity.unwrap_or(0)),
                weight: None,
                image_url: None,
            });
        }
    }
    let mut images: Vec<Image> = l
        .images
        .iter()
        .flatten()
        .filter_map(|i| {
            Some(Image {
                url: i.url_fullxfull.clone().or_else(|| i.url_570x_n.clone())?,
                alt: nonempty(&i.alt_text),
                position: i.rank,
            })
        })
        .collect();
    images.sort_by_key(|i| i.position);
    let sku = match (variants.as_slice(), l.skus.as_slice()) {
        ([only], _) => only.sku.clone(),
        ([], [one]) => Some(one.clone()),
        _ => None,
    };
    let product = Product {
        name: nonempty(&l.title),
        sku,
        description_html: nonempty(&l.description),
        status: l.state.as_deref().and_then(product_status),
        platform_status: l.state.clone(),
        product_type: l.taxonomy_id.as_ref().map(|t| format!("taxonomy:{}", t.0)),
        tags: l.tags.clone(),
        category_ids: l
            .shop_section_id
            .iter()
            .map(|s| s.0.clone())
            .filter(|s| s != "0")
            .collect(),
        images,
        price,
        options,
        variants,
        inventory_quantity: stock.or(l.quantity),
        created_at: unix(
            "$.created_timestamp",
            l.created_timestamp.or(l.creation_timestamp),
        )?,
        updated_at: unix(
            "$.updated_timestamp",
            l.updated_timestamp.or(l.last_modified_timestamp),
        )?,
        raw: Some(Raw::from_raw(raw)),
        ..Product::new(PLATFORM, l.listing_id.0)
    };
    Ok(vec![product.into()])
}

/// One shop section.
pub fn category(raw: &RawValue, _: &StoreContext) -> Result<Vec<Record>> {
    let s: wire::Section = decode_json(raw.get())?;
    let category = Category {
        name: nonempty(&s.title),
        position: s.rank,
        raw: Some(Raw::from_raw(raw)),
        ..Category::new(PLATFORM, s.shop_section_id.0)
    };
    Ok(vec![category.into()])
}

/// One raw record to unified records.
pub type MapFn = fn(&RawValue, &StoreContext) -> Result<Vec<Record>>;

/// The mapping of `entity`'s records.
pub fn mapper(entity: Entity) -> Result<MapFn> {
    match entity {
        Entity::Order => Ok(order),
        Entity::Product => Ok(product),
        Entity::Category => Ok(category),
        other => Err(Error::entity_unsupported(PLATFORM, other)),
    }
}

/// `Connector::normalize`: one record as `GET …/receipts/{receipt_id}`,
/// `GET /listings/{listing_id}?includes=Inventory,Images` or `GET …/sections/{id}`
/// return it, or a list answer (`{"count": N, "results": [...]}`), or a bare array.
pub fn normalize(entity: Entity, text: &str, ctx: &StoreContext) -> Result<Normalized> {
    let map = mapper(entity)?;
    let trimmed = text.trim_start();
    let envelope = trimmed.starts_with('{')
        && fields(trimmed, &["count", "results"])
            .unwrap_or_default()
            .iter()
            .all(Option::is_some);
    let (items, list) = if envelope {
        (Envelope::At("/results").split(text)?, true)
    } else {
        split_envelope(text, &[])?
    };
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let mapped = map(item, ctx).map_err(|e| {
            if envelope {
                Envelope::At("/results").at_item(e, i)
            } else {
                at_index(e, i, list)
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

    fn m(amount: i64, divisor: i64, code: &str) -> wire::Money {
        wire::Money {
            amount,
            divisor,
            currency_code: Some(code.to_owned()),
        }
    }

    #[test]
    fn money_is_amount_over_divisor_exactly() {
        let ctx = StoreContext::default();
        let eur = money("$", &m(1867, 100, "EUR"), &ctx).unwrap().unwrap();
        assert_eq!(eur.amount.to_string(), "18.67");
        assert_eq!(eur.currency.as_str(), "EUR");
        let yen = money("$", &m(1500, 1, "JPY"), &ctx).unwrap().unwrap();
        assert_eq!(yen.amount.to_string(), "1500");
        let neg = money("$", &m(-5, 1000, "USD"), &ctx).unwrap().unwrap();
        assert_eq!(neg.amount.to_string(), "-0.005");
        // An amount past f64's exact integers stays exact.
        let big = money("$", &m(9_007_199_254_740_993, 100, "USD"), &ctx)
            .unwrap()
            .unwrap();
        assert_eq!(big.amount.to_string(), "90071992547409.93");
        // A divisor of 8 divides exactly; one of 3 would round: refused.
        assert_eq!(
            money("$", &m(1, 8, "USD"), &ctx)
                .unwrap()
                .unwrap()
                .amount
                .to_string(),
            "0.125"
        );
        assert!(money("$.x", &m(1, 3, "USD"), &ctx).is_err());
        assert!(
            money("$.x", &m(1000, 3, "USD"), &ctx).is_err(),
            "no rounding to 333.33…"
        );
        assert!(money("$.x", &m(7, 30, "USD"), &ctx).is_err());
        assert_eq!(
            money("$", &m(7, 40, "USD"), &ctx)
                .unwrap()
                .unwrap()
                .amount
                .to_string(),
            "0.175"
        );
        assert!(money("$", &m(1, 0, "USD"), &ctx).is_err());
        assert!(money("$", &m(1, -100, "USD"), &ctx).is_err());
        assert!(money("$", &m(1, 100, "euro"), &ctx).is_err());
        // Without a currency: the store's, else nothing made up.
        let bare = wire::Money {
            amount: 100,
            divisor: 100,
            currency_code: None,
        };
        assert_eq!(money("$", &bare, &ctx).unwrap(), None);
        let usd = StoreContext {
            currency: Some(Currency::parse("USD").unwrap()),
            ..StoreContext::default()
        };
        assert_eq!(
            money("$", &bare, &usd).unwrap().unwrap().amount.to_string(),
            "1.00"
        );
    }

    #[test]
    fn unix_seconds_are_utc_and_bounded() {
        assert_eq!(
            unix("$", Some(946_684_800)).unwrap().unwrap().to_rfc3339(),
            "2000-01-01T00:00:00+00:00"
        );
        assert!(unix("$", Some(i64::MAX)).is_err());
        assert_eq!(unix("$", None).unwrap(), None);
    }

    #[test]
    fn a_transaction_names_the_listing_as_product_and_etsys_product_as_variant() {
        let raw = RawValue::from_string(
            r#"{"receipt_id": 4117291123, "status": "Paid", "is_paid": true, "is_shipped": false,
                "grandtotal": {"amount": 2490, "divisor": 100, "currency_code": "USD"},
                "transactions": [{"transaction_id": 5140980728, "listing_id": 9876543210,
                  "product_id": 1122334455, "quantity": 2, "title": "Mug",
                  "price": {"amount": 1245, "divisor": 100, "currency_code": "USD"}}]}"#
                .to_owned(),
        )
        .unwrap();
        let Record::Order(o) = order(&raw, &StoreContext::default()).unwrap().remove(0) else {
            panic!("not an order")
        };
        let line = &o.line_items[0];
        assert_eq!(line.product_id.as_deref(), Some("9876543210"));
        assert_eq!(line.variant_id.as_deref(), Some("1122334455"));
        assert_eq!(line.total.as_ref().unwrap().amount.to_string(), "24.90");
        assert_eq!(o.status, Some(OrderStatus::Processing));
        assert_eq!(o.fulfillment_status, Some(FulfillmentStatus::Unfulfilled));
        assert_eq!(o.currency.as_ref().unwrap().as_str(), "USD");
    }

    #[test]
    fn hostile_payloads_are_typed_errors_never_panics() {
        let ctx = StoreContext::default();
        for entity in [Entity::Order, Entity::Product, Entity::Category] {
            for text in [
                "",
                "[",
                "null",
                "42",
                "{}",
                r#"{"count": 1, "results": [7]}"#,
                r#"{"count": 1, "results": {"receipt_id": 1}}"#,
                r#"{"receipt_id": 1, "grandtotal": {"amount": 1, "divisor": 0, "currency_code": "USD"}}"#,
                r#"{"receipt_id": 1, "created_timestamp": -99999999999999999}"#,
                r#"{"listing_id": 1, "price": {"amount": 9223372036854775807, "divisor": 1, "currency_code": "USD"}, "inventory": {"products": [{"product_id": 2, "offerings": [{"price": "x"}]}]}}"#,
                r#"{"shop_section_id": {"nested": true}}"#,
            ] {
                // Whatever the answer, it is a value or a typed error.
                let _ = normalize(entity, text, &ctx);
            }
        }
        assert!(matches!(
            normalize(Entity::Customer, "{}", &ctx),
            Err(Error::Unsupported { .. })
        ));
        let list = normalize(Entity::Order, r#"{"count": 0, "results": []}"#, &ctx).unwrap();
        assert!(matches!(list, Normalized::List(v) if v.is_empty()));
    }
}
