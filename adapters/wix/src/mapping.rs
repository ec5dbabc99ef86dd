//! Pure Wix → unified mapping, no IO: one signature for every entity
//! (`fn(&RawValue, &StoreContext) -> Result<Vec<Record>>`), the order mapping with the
//! order's fulfillments (they live in the Order Fulfillments API, read beside the
//! order), and `normalize` for `polycart normalize` and the golden tests.
//!
//! Money: eCommerce amounts are decimal strings in the order's `currency` (read
//! exactly); with `taxIncludedInPrices` the prices and totals include tax as Wix
//! writes them, and `priceSummary.tax` is the tax inside them. Catalog V1 prices are
//! JSON numbers with their own `currency`. A collection is a category; a contact is a
//! customer.

use polycart_kit::connector::Normalized;
use polycart_kit::decode::{Dec, at_index, currency, datetime, split_envelope};
use polycart_kit::error::decode_json;
use polycart_kit::model::{
    Address, Category, Currency, Customer, Discount, FinancialStatus, FulfillmentStatus, Image,
    LineItem, Money, Order, OrderCustomer, OrderStatus, OrderTotals, Product, ProductOption,
    ProductStatus, Raw, Refund, RefundLineItem, Shipment, ShipmentLineItem, ShippingLine, Variant,
    Weight,
};
use polycart_kit::{Entity, Error, Record, Result, StoreContext};
use rust_decimal::Decimal;
use serde_json::value::RawValue;

use crate::{PLATFORM, wire};

/// A Catalog V1 product's default variant id: products without managed variants list
/// one variant with it.
pub const DEFAULT_VARIANT: &str = "00000000-0000-0000-0000-000000000000";

fn money(price: Option<&wire::Price>, cur: Option<&Currency>) -> Option<Money> {
    Some(Money::new(price?.amount?.0, cur?.clone()))
}

fn amount(value: Option<Dec>, cur: Option<&Currency>) -> Option<Money> {
    Some(Money::new(value?.0, cur?.clone()))
}

fn nonempty(s: Option<&String>) -> Option<String> {
    s.filter(|s| !s.trim().is_empty()).cloned()
}

/// `paymentStatus` as the unified financial status.
fn financial(s: &str) -> Option<FinancialStatus> {
    Some(match s {
        "NOT_PAID" | "PENDING" | "UNSPECIFIED_PAYMENT_STATUS" => FinancialStatus::Pending,
        "PAID" => FinancialStatus::Paid,
        "PARTIALLY_PAID" => FinancialStatus::PartiallyPaid,
        "AUTHORIZED" => FinancialStatus::Authorized,
        "PARTIALLY_REFUNDED" => FinancialStatus::PartiallyRefunded,
        "FULLY_REFUNDED" => FinancialStatus::Refunded,
        "VOIDED" | "CANCELED" => FinancialStatus::Voided,
        _ => return None,
    })
}

/// `fulfillmentStatus` as the unified fulfilment status.
fn fulfillment(s: &str) -> Option<FulfillmentStatus> {
    Some(match s {
        "NOT_FULFILLED" => FulfillmentStatus::Unfulfilled,
        "PARTIALLY_FULFILLED" => FulfillmentStatus::Partial,
        "FULFILLED" => FulfillmentStatus::Fulfilled,
        _ => return None,
    })
}

/// The unified status from Wix's order, payment and fulfillment statuses.
fn status(o: &wire::Order) -> Option<OrderStatus> {
    let payment = o.payment_status.as_deref();
    let fulfil = o.fulfillment_status.as_deref();
    Some(match o.status.as_deref()? {
        "CANCELED" => OrderStatus::Cancelled,
        "REJECTED" => OrderStatus::Failed,
        "INITIALIZED" | "PENDING" => OrderStatus::Pending,
        "APPROVED" => match (payment, fulfil) {
            (Some("FULLY_REFUNDED"), _) => OrderStatus::Refunded,
            (Some("NOT_PAID" | "PENDING"), _) => OrderStatus::Pending,
            (_, Some("FULFILLED")) => OrderStatus::Completed,
            _ => OrderStatus::Processing,
        },
        _ => return None,
    })
}

/// An address and the contact details beside it.
fn address(info: &wire::AddressInfo, email: Option<&str>) -> Option<Address> {
    address_of(info.address.as_ref(), info.contact_details.as_ref(), email)
}

fn address_of(
    a: Option<&wire::Address>,
    c: Option<&wire::ContactDetails>,
    email: Option<&str>,
) -> Option<Address> {
    let subdivision = a.and_then(|a| a.subdivision.clone());
    // `US-NY`: the part after the country is the region code.
    let region_code = subdivision
        .as_deref()
        .map(|s| s.split_once('-').map_or(s, |(_, r)| r).to_owned());
    Address {
        first_name: c.and_then(|c| c.first_name.clone()),
        last_name: c.and_then(|c| c.last_name.clone()),
        company: c.and_then(|c| c.company.clone()),
        line1: a.and_then(|a| a.address_line1.clone()),
        line2: a.and_then(|a| a.address_line2.clone()),
        city: a.and_then(|a| a.city.clone()),
        region: None,
        region_code,
        postal_code: a.and_then(|a| a.postal_code.clone()),
        country_code: a.and_then(|a| a.country.clone()),
        phone: c.and_then(|c| c.phone.clone()),
        email: email.map(str::to_owned),
    }
    .non_empty()
}

/// One order as `GET /ecom/v1/orders/{id}` and the search return it, without its
/// fulfillments and refunds.
pub fn order(raw: &RawValue, ctx: &StoreContext) -> Result<Vec<Record>> {
    order_with(raw, Beside::default(), ctx)
}

/// What the order's other APIs say of it, raw: its fulfillments (Order Fulfillments)
/// and its refunds (Order Transactions).
#[derive(Debug, Clone, Copy, Default)]
pub struct Beside<'a> {
    pub fulfillments: Option<&'a RawValue>,
    pub refunds: Option<&'a RawValue>,
}

/// One order with its fulfillments as shipments and its refunds.
pub fn order_with(raw: &RawValue, beside: Beside<'_>, _ctx: &StoreContext) -> Result<Vec<Record>> {
    let o: wire::Order = decode_json(raw.get())?;
    let cur = o
        .currency
        .as_deref()
        .map(|c| currency("$.currency", c))
        .transpose()?;
    let cur = cur.as_ref();
    let line_items = o
        .line_items
        .iter()
        .map(|l| {
            let quantity = l.quantity.map_or(Decimal::ZERO, |q| q.0);
            let unit = l.price.as_ref().and_then(|p| p.amount);
            LineItem {
                platform_id: l.id.clone(),
                product_id: l
                    .catalog_reference
                    .as_ref()
                    .and_then(|c| c.catalog_item_id.clone()),
                variant_id: l
                    .catalog_reference
                    .as_ref()
                    .and_then(|c| c.options.as_ref())
                    .and_then(|o| o.variant_id.clone()),
                sku: l.physical_properties.as_ref().and_then(|p| p.sku.clone()),
                name: l.product_name.as_ref().and_then(|n| n.original.clone()),
                quantity,
                unit_price: amount(unit, cur),
                total: amount(unit.map(|u| Dec(u.0 * quantity)), cur),
                tax: money(
                    l.tax_details.as_ref().and_then(|t| t.total_tax.as_ref()),
                    cur,
                ),
                discount: money(l.total_discount.as_ref(), cur),
            }
        })
        .collect();
    let email = o
        .buyer_info
        .as_ref()
        .and_then(|b| nonempty(b.email.as_ref()));
    let billing = o
        .billing_info
        .as_ref()
        .and_then(|b| address(b, email.as_deref()));
    let shipping_address = o
        .shipping_info
        .as_ref()
        .and_then(|s| s.logistics.as_ref())
        .and_then(|l| l.shipping_destination.as_ref())
        .and_then(|d| address(d, None));
    let customer = o.buyer_info.as_ref().map(|b| OrderCustomer {
        platform_id: b.contact_id.clone(),
        email: email.clone(),
        first_name: billing.as_ref().and_then(|a| a.first_name.clone()),
        last_name: billing.as_ref().and_then(|a| a.last_name.clone()),
        phone: billing.as_ref().and_then(|a| a.phone.clone()),
    });
    let summary = o.price_summary.as_ref();
    let shipping_lines = o
        .shipping_info
        .as_ref()
        .map(|s| ShippingLine {
            method: s.title.clone(),
            carrier: None,
            price: money(s.cost.as_ref().and_then(|c| c.price.as_ref()), cur),
        })
        .into_iter()
        .collect();
    let discounts = o
        .applied_discounts
        .iter()
        .map(|d| Discount {
            code: d.coupon.as_ref().and_then(|c| c.code.clone()),
            amount: money(
                d.coupon
                    .as_ref()
                    .and_then(|c| c.amount.as_ref())
                    .or_else(|| d.merchant_discount.as_ref().and_then(|m| m.amount.as_ref()))
                    .or_else(|| d.discount_rule.as_ref().and_then(|r| r.amount.as_ref())),
                cur,
            ),
        })
        .collect();
    let shipments = match beside.fulfillments {
        Some(f) => shipments(f)?,
        None => Vec::new(),
    };
    let refunds = match beside.refunds {
        Some(r) => refunds(r, cur)?,
        None => Vec::new(),
    };
    let order = Order {
        number: o.number.as_ref().map(|n| n.0.clone()),
        status: status(&o),
        platform_status: o.status.clone(),
        financial_status: o.payment_status.as_deref().and_then(financial),
        platform_financial_status: o.payment_status.clone(),
        fulfillment_status: o.fulfillment_status.as_deref().and_then(fulfillment),
        platform_fulfillment_status: o.fulfillment_status.clone(),
        currency: cur.cloned(),
        totals: OrderTotals {
            subtotal: money(summary.and_then(|s| s.subtotal.as_ref()), cur),
            shipping: money(summary.and_then(|s| s.shipping.as_ref()), cur),
            tax: money(summary.and_then(|s| s.tax.as_ref()), cur),
            discount: money(summary.and_then(|s| s.discount.as_ref()), cur),
            total: money(summary.and_then(|s| s.total.as_ref()), cur),
            paid: money(
                o.balance_summary.as_ref().and_then(|b| b.paid.as_ref()),
                cur,
            ),
            refunded: money(
                o.balance_summary.as_ref().and_then(|b| b.refunded.as_ref()),
                cur,
            ),
        },
        customer,
        billing_address: billing,
        shipping_address,
        line_items,
        shipping_lines,
        discounts,
        shipments,
        refunds,
        note: nonempty(o.buyer_note.as_ref()),
        source: o.channel_info.as_ref().and_then(|c| c.kind.clone()),
        created_at: datetime("$.createdDate", o.created_date.as_deref())?,
        updated_at: datetime("$.updatedDate", o.updated_date.as_deref())?,
        raw: Some(Raw::from_raw(raw)),
        ..Order::new(PLATFORM, o.id)
    };
    Ok(vec![order.into()])
}

/// An order's fulfillments (`[{id, createdDate, lineItems, trackingInfo}]`) as
/// shipments.
pub fn shipments(fulfillments: &RawValue) -> Result<Vec<Shipment>> {
    let list: Vec<wire::Fulfillment> = decode_json(fulfillments.get())?;
    list.into_iter()
        .enumerate()
        .map(|(i, f)| {
            let tracking = f.tracking_info.as_ref();
            Ok(Shipment {
                platform_id: f.id,
                carrier: tracking.and_then(|t| t.shipping_provider.clone()),
                tracking_number: tracking.and_then(|t| t.tracking_number.clone()),
                tracking_url: tracking.and_then(|t| t.tracking_link.clone()),
                status: f.status,
                line_items: f
                    .line_items
                    .into_iter()
                    .map(|l| ShipmentLineItem {
                        line_item_id: Some(l.id),
                        quantity: Decimal::from(l.quantity.unwrap_or(0)),
                    })
                    .collect(),
                created_at: datetime(&format!("$[{i}].createdDate"), f.created_date.as_deref())?,
            })
        })
        .collect()
}

/// An order's refunds (`orderTransactions.refunds`): each the sum of its transactions
/// that did not fail, in the order's currency, with the items it returned.
pub fn refunds(raw: &RawValue, cur: Option<&Currency>) -> Result<Vec<Refund>> {
    let list: Vec<wire::Refund> = decode_json(raw.get())?;
    list.into_iter()
        .enumerate()
        .map(|(i, r)| {
            let amounts: Vec<Decimal> = r
                .transactions
                .iter()
                .filter(|t| t.refund_status.as_deref() != Some("FAILED"))
                .filter_map(|t| t.amount.as_ref()?.amount.map(|a| a.0))
                .collect();
            let amount = (!amounts.is_empty()).then(|| amounts.iter().sum::<Decimal>());
            let details = r.details.as_ref();
            Ok(Refund {
                platform_id: r.id.clone(),
                amount: amount.and_then(|a| Some(Money::new(a, cur?.clone()))),
                reason: details.and_then(|d| nonempty(d.reason.as_ref())),
                created_at: datetime(&format!("$[{i}].createdDate"), r.created_date.as_deref())?,
                line_items: details
                    .map(|d| d.items.as_slice())
                    .unwrap_or_default()
                    .iter()
                    .map(|item| RefundLineItem {
                        line_item_id: item.line_item_id.clone(),
                        quantity: item.quantity.map_or(Decimal::ZERO, |q| q.0),
                        amount: None,
                    })
                    .collect(),
            })
        })
        .collect()
}

/// A Catalog V1 price (`priceData`) as (selling price, compare-at price): the
/// discounted price when there is a discount, the list price beside it; in the price's
/// currency, else the store's.
fn price(
    data: Option<&wire::PriceData>,
    ctx: &StoreContext,
) -> Result<(Option<Money>, Option<Money>)> {
    let Some(d) = data else {
        return Ok((None, None));
    };
    let cur = match d.currency.as_deref() {
        Some(c) => Some(currency("$.priceData.currency", c)?),
        None => ctx.currency.clone(),
    };
    let cur = cur.as_ref();
    Ok(match (d.price, d.discounted_price) {
        (Some(list), Some(sale)) if sale.0 < list.0 => {
            (amount(Some(sale), cur), amount(Some(list), cur))
        }
        (list, _) => (amount(list, cur), None),
    })
}

/// Stock when it is tracked; `None` when Wix does not count it.
fn stock(s: Option<&wire::Stock>) -> Option<i64> {
    let s = s?;
    if s.track_inventory == Some(false) {
        return None;
    }
    s.quantity
}

/// One Catalog V1 product with its variants (managed variants, or the default one).
pub fn product(raw: &RawValue, ctx: &StoreContext) -> Result<Vec<Record>> {
    let p: wire::Product = decode_json(raw.get())?;
    let price_data = p.price_data.as_ref().or(p.price.as_ref());
    let (product_price, product_compare_at) = price(price_data, ctx)?;
    let weight = |w: Option<Dec>| {
        Some(Weight {
            value: w?.0,
            unit: ctx.weight_unit.clone()?,
        })
    };
    let mut variants = Vec::with_capacity(p.variants.len());
    for v in &p.variants {
        let data = v.variant.as_ref();
        let (variant_price, variant_compare_at) = match data.and_then(|d| d.price_data.as_ref()) {
            Some(pd) => price(Some(pd), ctx)?,
            None => (product_price.clone(), product_compare_at.clone()),
        };
        variants.push(Variant {
            platform_id: v.id.clone(),
            sku: data.and_then(|d| nonempty(d.sku.as_ref())),
            barcode: None,
            options: v.choices.clone(),
            price: variant_price,
            compare_at_price: variant_compare_at,
            inventory_quantity: stock(v.stock.as_ref()),
            weight: weight(data.and_then(|d| d.weight).or(p.weight)),
            image_url: None,
        });
    }
    let product = Product {
        name: p.name,
        sku: nonempty(p.sku.as_ref()),
        description_html: nonempty(p.description.as_ref()),
        status: p.visible.map(|v| {
            if v {
                ProductStatus::Active
            } else {
                ProductStatus::Draft
            }
        }),
        platform_status: p
            .visible
            .map(|v| if v { "visible" } else { "hidden" }.to_owned()),
        vendor: nonempty(p.brand.as_ref()),
        product_type: p.product_type,
        category_ids: p.collection_ids,
        images: p
            .media
            .iter()
            .flat_map(|m| &m.items)
            .filter_map(|i| i.image.as_ref())
            .enumerate()
            .filter_map(|(n, i)| {
                Some(Image {
                    url: i.url.clone()?,
                    alt: nonempty(i.alt_text.as_ref()),
                    position: u32::try_from(n).ok(),
                })
            })
            .collect(),
        price: product_price,
        compare_at_price: product_compare_at,
        options: p
            .product_options
            .iter()
            .filter_map(|o| {
                Some(ProductOption {
                    name: o.name.clone()?,
                    values: o.choices.iter().filter_map(|c| c.value.clone()).collect(),
                })
            })
            .collect(),
        variants,
        inventory_quantity: stock(p.stock.as_ref()),
        created_at: datetime("$.createdDate", p.created_date.as_deref())?,
        updated_at: datetime("$.lastUpdated", p.last_updated.as_deref())?,
        raw: Some(Raw::from_raw(raw)),
        ..Product::new(PLATFORM, p.id)
    };
    Ok(vec![product.into()])
}

/// One Catalog V1 collection as a category (collections have no dates or parents).
pub fn category(raw: &RawValue, _ctx: &StoreContext) -> Result<Vec<Record>> {
    let c: wire::Collection = decode_json(raw.get())?;
    let category = Category {
        name: c.name,
        slug: c.slug,
        description_html: nonempty(c.description.as_ref()),
        raw: Some(Raw::from_raw(raw)),
        ..Category::new(PLATFORM, c.id)
    };
    Ok(vec![category.into()])
}

/// One Contacts v4 contact as a customer.
pub fn customer(raw: &RawValue, _ctx: &StoreContext) -> Result<Vec<Record>> {
    let c: wire::Contact = decode_json(raw.get())?;
    let info = c.info.as_ref();
    let name = info.and_then(|i| i.name.as_ref());
    let email = c
        .primary_info
        .as_ref()
        .and_then(|p| nonempty(p.email.as_ref()));
    let phone = c
        .primary_info
        .as_ref()
        .and_then(|p| nonempty(p.phone.as_ref()));
    let first = name.and_then(|n| n.first.clone());
    let last = name.and_then(|n| n.last.clone());
    // The contact's name, phone and company go with each of its addresses.
    let details = wire::ContactDetails {
        first_name: first.clone(),
        last_name: last.clone(),
        phone: phone.clone(),
        company: info.and_then(|i| i.company.clone()),
    };
    let addresses: Vec<(Option<String>, Address)> = info
        .and_then(|i| i.addresses.as_ref())
        .map(|a| a.items.as_slice())
        .unwrap_or_default()
        .iter()
        .filter_map(|a| {
            let address = address_of(Some(a.address.as_ref()?), Some(&details), None)?;
            Some((a.tag.clone(), address))
        })
        .collect();
    let default_address = addresses
        .iter()
        .find(|(tag, _)| tag.as_deref() == Some("SHIPPING"))
        .or(addresses.first())
        .map(|(_, a)| a.clone());
    let customer = Customer {
        email,
        first_name: first,
        last_name: last,
        phone,
        addresses: addresses.into_iter().map(|(_, a)| a).collect(),
        default_address,
        created_at: datetime("$.createdDate", c.created_date.as_deref())?,
        updated_at: datetime("$.updatedDate", c.updated_date.as_deref())?,
        raw: Some(Raw::from_raw(raw)),
        ..Customer::new(PLATFORM, c.id)
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
        Entity::Category => Ok(category),
        Entity::Customer => Ok(customer),
        other => Err(Error::unsupported(PLATFORM, format!("{other}s"))),
    }
}

/// The single-record wrapper and the list member of each entity's bodies.
fn keys(entity: Entity) -> (&'static str, &'static str) {
    match entity {
        Entity::Order => ("order", "orders"),
        Entity::Product => ("product", "products"),
        Entity::Category => ("collection", "collections"),
        Entity::Customer => ("contact", "contacts"),
        Entity::Inventory => ("inventoryItem", "inventoryItems"),
    }
}

/// `Connector::normalize`: a single-record body as Wix's GET returns it
/// (`{"order": {...}}`, `{"product": {...}}`, `{"collection": …}`, `{"contact": …}`),
/// a search or query answer (`{"orders": [...], "metadata": …}`,
/// `{"products": [...], "totalResults": …}`), a bare record or an array of records.
/// eCommerce orders carry their currency; a Catalog V1 price without one takes
/// `--currency`.
pub fn normalize(entity: Entity, text: &str, ctx: &StoreContext) -> Result<Normalized> {
    let map = mapper(entity)?;
    let (one, many) = keys(entity);
    let trimmed = text.trim_start();
    let single = if trimmed.starts_with('{') {
        polycart_kit::envelope::field(trimmed, one)?
    } else {
        None
    };
    let (items, list) = match single {
        Some(record) => (vec![record], false),
        None => split_envelope(text, &[many])?,
    };
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        out.extend(map(item, ctx).map_err(|e| match (single, e) {
            // `$.currency` of `{"order": …}` is `$.order.currency`.
            (Some(_), Error::Decode { path, excerpt }) => Error::Decode {
                path: format!("$.{one}{}", path.strip_prefix('$').unwrap_or(&path)),
                excerpt,
            },
            (_, e) => at_index(e, i, list),
        })?);
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
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn amounts_are_read_exactly_from_strings_and_numbers() {
        let order = r#"{"order": {"id": "o-1", "currency": "USD",
            "priceSummary": {"subtotal": {"amount": "0.1"}, "shipping": {"amount": "0.2"},
                "total": {"amount": "19.999999999999999999"}},
            "lineItems": [{"id": "l-1", "quantity": 3, "price": {"amount": "0.1", "formattedAmount": "$0.10"}}]}}"#;
        let Record::Order(o) = one(Entity::Order, order) else {
            panic!()
        };
        let sum = o.totals.subtotal.unwrap().amount + o.totals.shipping.unwrap().amount;
        assert_eq!(sum.to_string(), "0.3");
        assert_eq!(
            o.totals.total.unwrap().amount.to_string(),
            "19.999999999999999999"
        );
        assert_eq!(
            o.line_items[0].total.as_ref().unwrap().amount.to_string(),
            "0.3"
        );
        assert_eq!(o.currency.unwrap().as_str(), "USD");
        // Catalog V1 numbers, read as written, in the price's own currency.
        let product = r#"{"product": {"id": "p-1", "priceData": {"currency": "EUR", "price": 0.1, "discountedPrice": 0.1}}}"#;
        let Record::Product(p) = one(Entity::Product, product) else {
            panic!()
        };
        let price = p.price.unwrap();
        assert_eq!(
            (price.amount.to_string().as_str(), price.currency.as_str()),
            ("0.1", "EUR")
        );
        assert!(p.compare_at_price.is_none());
    }

    #[test]
    fn bad_money_is_a_typed_error_naming_its_place() {
        let bad_currency = r#"{"order": {"id": "o-1", "currency": "dollars"}}"#;
        let err = normalize(Entity::Order, bad_currency, &StoreContext::default()).unwrap_err();
        let Error::Decode { path, .. } = err else {
            panic!("{err:?}")
        };
        assert_eq!(path, "$.order.currency");
        let bad_amount = r#"{"orders": [{"id": "o-1", "currency": "USD", "priceSummary": {"total": {"amount": "12,50"}}}]}"#;
        let err = normalize(Entity::Order, bad_amount, &StoreContext::default()).unwrap_err();
        let Error::Decode { path, .. } = err else {
            panic!("{err:?}")
        };
        assert!(path.starts_with("$[0]"), "{path}");
        // Without a currency, amounts are left out rather than guessed.
        let Record::Order(o) = one(
            Entity::Order,
            r#"{"order": {"id": "o-1", "priceSummary": {"total": {"amount": "1"}}}}"#,
        ) else {
            panic!()
        };
        assert!(o.totals.total.is_none());
    }

    #[test]
    fn single_records_list_answers_and_bare_records_normalize() {
        let list =
            r#"{"contacts": [{"id": "c-1"}, {"id": "c-2"}], "pagingMetadata": {"total": 2}}"#;
        let Normalized::List(rs) =
            normalize(Entity::Customer, list, &StoreContext::default()).unwrap()
        else {
            panic!()
        };
        assert_eq!(rs.len(), 2);
        assert_eq!(
            one(Entity::Category, r#"{"id": "k-1", "name": "Coffee"}"#).platform_id(),
            "k-1"
        );
        assert_eq!(
            one(Entity::Category, r#"{"collection": {"id": "k-2"}}"#).platform_id(),
            "k-2"
        );
        assert!(normalize(Entity::Inventory, "{}", &StoreContext::default()).is_err());
        assert!(normalize(Entity::Order, "not json", &StoreContext::default()).is_err());
    }

    #[test]
    fn statuses_combine_order_payment_and_fulfillment() {
        let status_of = |s: &str, pay: &str, ful: &str| {
            let text = format!(
                r#"{{"id": "o", "status": "{s}", "paymentStatus": "{pay}", "fulfillmentStatus": "{ful}"}}"#
            );
            let Record::Order(o) = one(Entity::Order, &text) else {
                panic!()
            };
            o.status
        };
        assert_eq!(
            status_of("APPROVED", "PAID", "FULFILLED"),
            Some(OrderStatus::Completed)
        );
        assert_eq!(
            status_of("APPROVED", "PAID", "NOT_FULFILLED"),
            Some(OrderStatus::Processing)
        );
        assert_eq!(
            status_of("APPROVED", "NOT_PAID", "NOT_FULFILLED"),
            Some(OrderStatus::Pending)
        );
        assert_eq!(
            status_of("APPROVED", "FULLY_REFUNDED", "FULFILLED"),
            Some(OrderStatus::Refunded)
        );
        assert_eq!(
            status_of("CANCELED", "PAID", "NOT_FULFILLED"),
            Some(OrderStatus::Cancelled)
        );
        assert_eq!(
            status_of("INITIALIZED", "NOT_PAID", "NOT_FULFILLED"),
            Some(OrderStatus::Pending)
        );
        assert_eq!(status_of("SOMETHING_NEW", "PAID", "FULFILLED"), None);
    }
}
