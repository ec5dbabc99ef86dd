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

use crate::wire::{gql, rest};

/// The registry name.
pub const PLATFORM: &str = "shopify";

/// What a payload alone does not say but the shop does: REST products carry prices
/// without a currency, which is the shop's (`shop.json`'s `currency`).
#[derive(Debug, Clone, Default)]
pub struct ShopContext {
    pub currency: Option<Currency>,
}

impl From<&polycart_kit::StoreContext> for ShopContext {
    fn from(ctx: &polycart_kit::StoreContext) -> Self {
        Self {
            currency: ctx.currency.clone(),
        }
    }
}

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

/// Maps a REST order (`/orders/{id}.json`'s `order`).
pub fn rest_order(raw: &RawValue) -> Result<Order> {
    let o: rest::Order = decode_json_borrowed(raw.get())?;
    let cur = match o
        .total_price_set
        .as_ref()
        .and_then(|s| s.shop_money.as_ref())
    {
        Some(m) => Some(currency(
            "$.total_price_set.shop_money.currency_code",
            &m.currency_code,
        )?),
        None => opt_currency("$.currency", o.currency.as_deref())?,
    };
    let c = cur.as_ref();

    let mut line_items = Vec::with_capacity(o.line_items.len());
    for (i, l) in o.line_items.iter().enumerate() {
        let p = format!("$.line_items[{i}]");
        let unit = rest_set(
            &format!("{p}.price_set"),
            l.price_set.as_ref(),
            l.price.as_ref(),
            c,
        )?;
        let mut taxes = Vec::new();
        for t in &l.tax_lines {
            taxes.extend(rest_set(
                &format!("{p}.tax_lines"),
                t.price_set.as_ref(),
                t.price.as_ref(),
                c,
            )?);
        }
        let mut discounts = Vec::new();
        for d in &l.discount_allocations {
            discounts.extend(rest_set(
                &format!("{p}.discount_allocations"),
                d.amount_set.as_ref(),
                d.amount.as_ref(),
                c,
            )?);
        }
        let discount = match sum(discounts) {
            Some(d) => Some(d),
            None => rest_set(
                &format!("{p}.total_discount_set"),
                l.total_discount_set.as_ref(),
                l.total_discount.as_ref(),
                c,
            )?,
        };
        line_items.push(LineItem {
            platform_id: lid(&l.id),
            product_id: opt_lid(l.product_id.as_ref()),
            variant_id: opt_lid(l.variant_id.as_ref()),
            sku: text(l.sku.clone()),
            name: text(l.name.clone()).or_else(|| text(l.title.clone())),
            quantity: l.quantity.0,
            total: unit
                .as_ref()
                .map(|u| Money::new(u.amount * l.quantity.0, u.currency.clone())),
            unit_price: unit,
            tax: if l.tax_lines.is_empty() {
                None
            } else {
                sum(taxes)
            },
            discount,
        });
    }

    let mut shipping_lines = Vec::with_capacity(o.shipping_lines.len());
    for (i, s) in o.shipping_lines.iter().enumerate() {
        shipping_lines.push(ShippingLine {
            method: text(s.title.clone()).or_else(|| text(s.code.clone())),
            carrier: carrier(s.carrier_identifier.clone(), s.source.clone()),
            price: rest_set(
                &format!("$.shipping_lines[{i}].price_set"),
                s.price_set.as_ref(),
                s.price.as_ref(),
                c,
            )?,
        });
    }

    let mut discounts = Vec::new();
    for d in &o.discount_codes {
        discounts.push(Discount {
            code: text(d.code.clone()),
            amount: match (&d.amount, c) {
                (Some(a), Some(c)) => Some(Money::new(a.0, c.clone())),
                _ => None,
            },
        });
    }
    // Automatic, manual and script discounts have no code: their amount is what
    // they allocated to lines and shipping.
    for (index, app) in o.discount_applications.iter().enumerate() {
        if app.kind.as_deref() == Some("discount_code") || app.code.is_some() {
            continue;
        }
        let allocations = o
            .line_items
            .iter()
            .flat_map(|l| &l.discount_allocations)
            .chain(
                o.shipping_lines
                    .iter()
                    .flat_map(|s| &s.discount_allocations),
            )
            .filter(|d| d.discount_application_index == Some(index));
        let mut amounts = Vec::new();
        for d in allocations {
            amounts.extend(rest_set(
                "$.discount_allocations",
                d.amount_set.as_ref(),
                d.amount.as_ref(),
                c,
            )?);
        }
        discounts.push(Discount {
            code: None,
            amount: sum(amounts),
        });
    }

    let mut refunds = Vec::with_capacity(o.refunds.len());
    for (i, r) in o.refunds.iter().enumerate() {
        let p = format!("$.refunds[{i}]");
        let mut lines = Vec::new();
        for (j, l) in r.refund_line_items.iter().enumerate() {
            lines.push(RefundLineItem {
                line_item_id: opt_lid(l.line_item_id.as_ref()),
                quantity: l.quantity.0,
                amount: rest_set(
                    &format!("{p}.refund_line_items[{j}].subtotal_set"),
                    l.subtotal_set.as_ref(),
                    l.subtotal.as_ref(),
                    c,
                )?,
            });
        }
        let mut paid_back = Vec::new();
        for (j, t) in r.transactions.iter().enumerate() {
            let ok = t.kind.as_deref() == Some("refund")
                && t.status.as_deref().is_none_or(|s| s == "success");
            if let (true, Some(a)) = (ok, &t.amount) {
                let tc = match opt_currency(
                    &format!("{p}.transactions[{j}].currency"),
                    t.currency.as_deref(),
                )? {
                    Some(tc) => tc,
                    None => match c {
                        Some(c) => c.clone(),
                        None => continue,
                    },
                };
                paid_back.push(Money::new(a.0, tc));
            }
        }
        refunds.push(Refund {
            platform_id: lid(&r.id),
            amount: sum(paid_back),
            reason: text(r.note.clone()),
            created_at: date(&format!("{p}.created_at"), r.created_at.as_ref())?,
            line_items: lines,
        });
    }

    let mut shipments = Vec::with_capacity(o.fulfillments.len());
    for (i, f) in o.fulfillments.iter().enumerate() {
        shipments.push(Shipment {
            platform_id: lid(&f.id),
            carrier: text(f.tracking_company.clone()),
            tracking_number: text(f.tracking_number.clone()),
            tracking_url: text(f.tracking_url.clone()),
            status: text(f.status.clone()),
            line_items: f
                .line_items
                .iter()
                .map(|l| ShipmentLineItem {
                    line_item_id: Some(lid(&l.id)),
                    quantity: l.quantity.0,
                })
                .collect(),
            created_at: date(
                &format!("$.fulfillments[{i}].created_at"),
                f.created_at.as_ref(),
            )?,
        });
    }

    let total = rest_set(
        "$.total_price_set",
        o.total_price_set.as_ref(),
        o.total_price.as_ref(),
        c,
    )?;
    let paid = match (&total, &o.total_outstanding) {
        (Some(t), Some(out)) => Some(Money::new(t.amount - out.0, t.currency.clone())),
        _ => None,
    };
    let refunded = |cur: Option<&Currency>| refunded_in(&refunds, cur);
    let totals = OrderTotals {
        subtotal: rest_set(
            "$.subtotal_price_set",
            o.subtotal_price_set.as_ref(),
            o.subtotal_price.as_ref(),
            c,
        )?,
        shipping: rest_set(
            "$.total_shipping_price_set",
            o.total_shipping_price_set.as_ref(),
            None,
            c,
        )?,
        tax: rest_set(
            "$.total_tax_set",
            o.total_tax_set.as_ref(),
            o.total_tax.as_ref(),
            c,
        )?,
        discount: rest_set(
            "$.total_discounts_set",
            o.total_discounts_set.as_ref(),
            o.total_discounts.as_ref(),
            c,
        )?,
        total,
        paid,
        refunded: refunded(c),
    };
    // The buyer's currency: the order's `presentment_currency`, else that of its
    // total's presentment money; its totals are the sets' presentment money.
    let declared = match opt_currency("$.presentment_currency", o.presentment_currency.as_deref())?
    {
        Some(p) => Some(p),
        None => match o
            .total_price_set
            .as_ref()
            .and_then(|s| s.presentment_money.as_ref())
        {
            Some(m) => Some(currency(
                "$.total_price_set.presentment_money.currency_code",
                &m.currency_code,
            )?),
            None => None,
        },
    };
    let (presentment_currency, presentment_totals) = presentment(c, declared, |p| {
        let presented = |path: &str, set: Option<&rest::MoneySet>| {
            set.and_then(|s| s.presentment_money.as_ref())
                .map(|m| Ok(Money::new(m.amount.0, currency(path, &m.currency_code)?)))
                .transpose()
        };
        Ok::<_, Error>(OrderTotals {
            subtotal: presented(
                "$.subtotal_price_set.presentment_money",
                o.subtotal_price_set.as_ref(),
            )?,
            shipping: presented(
                "$.total_shipping_price_set.presentment_money",
                o.total_shipping_price_set.as_ref(),
            )?,
            tax: presented(
                "$.total_tax_set.presentment_money",
                o.total_tax_set.as_ref(),
            )?,
            discount: presented(
                "$.total_discounts_set.presentment_money",
                o.total_discounts_set.as_ref(),
            )?,
            total: presented(
                "$.total_price_set.presentment_money",
                o.total_price_set.as_ref(),
            )?,
            // `total_outstanding` is shop money only.
            paid: None,
            refunded: refunded(Some(p)),
        })
    })?;

    let financial_raw = o.financial_status.clone().flatten();
    let financial = financial_raw.as_deref().and_then(financial_status);
    let (fulfillment_raw, fulfillment) = match &o.fulfillment_status {
        None => (None, None),
        Some(s) => (s.clone(), fulfillment_status(s.as_deref())),
    };
    let cancelled_at = date("$.cancelled_at", o.cancelled_at.as_ref())?;
    let closed_at = date("$.closed_at", o.closed_at.as_ref())?;
    let has_state =
        o.financial_status.is_some() || o.cancelled_at.is_some() || o.closed_at.is_some();
    let platform_status =
        has_state.then(|| platform_order_status(cancelled_at.is_some(), closed_at.is_some()));

    let order_email = text(o.email.clone()).or_else(|| text(o.contact_email.clone()));
    let customer = match o.customer {
        Some(cu) => Some(OrderCustomer {
            platform_id: opt_lid(cu.id.as_ref()),
            email: text(cu.email).or_else(|| order_email.clone()),
            first_name: text(cu.first_name),
            last_name: text(cu.last_name),
            phone: text(cu.phone).or_else(|| text(o.phone.clone())),
        }),
        None if order_email.is_some() => Some(OrderCustomer {
            platform_id: None,
            email: order_email.clone(),
            first_name: None,
            last_name: None,
            phone: text(o.phone.clone()),
        }),
        None => None,
    };

    Ok(Order {
        id: None,
        store_id: None,
        platform: PLATFORM.to_owned(),
        platform_id: lid(&o.id),
        number: text(o.name).or_else(|| o.order_number.map(|n| n.0)),
        status: platform_status.map(|s| order_status(s, financial, fulfillment)),
        platform_status: platform_status.map(str::to_owned),
        financial_status: financial,
        platform_financial_status: financial_raw,
        fulfillment_status: fulfillment,
        platform_fulfillment_status: fulfillment_raw,
        currency: cur,
        totals,
        presentment_currency,
        presentment_totals,
        customer,
        billing_address: rest_address(o.billing_address, None),
        shipping_address: rest_address(o.shipping_address, None),
        line_items,
        shipping_lines,
        discounts,
        refunds,
        shipments,
        note: text(o.note),
        tags: split_tags(o.tags.as_deref()),
        source: text(o.source_name),
        created_at: date("$.created_at", o.created_at.as_ref())?,
        updated_at: date("$.updated_at", o.updated_at.as_ref())?,
        completed_at: closed_at,
        cancelled_at,
        raw: Some(Raw::from_raw(raw)),
    })
}

/// Drops Shopify's placeholder option of a product without options
/// (`Title: ["Default Title"]`).
fn is_placeholder_option(name: &str, values: &[String]) -> bool {
    name == "Title" && !values.is_empty() && values.iter().all(|v| v == "Default Title")
}

fn variant_price(
    path: &str,
    amount: Option<&Dec>,
    presentment: Option<&rest::MoneyV>,
    ctx: &ShopContext,
) -> Result<Option<Money>> {
    match (amount, &ctx.currency) {
        (Some(a), Some(c)) => Ok(Some(Money::new(a.0, c.clone()))),
        // Without the shop's currency, a presentment price in the same amount names it.
        (Some(a), None) => match presentment.filter(|p| p.amount.0 == a.0) {
            Some(p) => Ok(Some(Money::new(a.0, currency(path, &p.currency_code)?))),
            None => Ok(None),
        },
        (None, _) => Ok(None),
    }
}

/// Maps a REST product with its variants, options and images.
pub fn rest_product(raw: &RawValue, ctx: &ShopContext) -> Result<Product> {
    let p: rest::Product = decode_json_borrowed(raw.get())?;
    // Old payloads list option names without values: the variants have them.
    let mut option_names: Vec<&str> = Vec::new();
    let mut options: Vec<ProductOption> = Vec::new();
    for (n, o) in p.options.iter().enumerate() {
        let mut values = o.values.clone();
        if values.is_empty() {
            let taken = p.variants.iter().filter_map(|v| {
                [&v.option1, &v.option2, &v.option3]
                    .get(n)
                    .and_then(|o| o.as_ref())
            });
            for value in taken {
                if !values.contains(value) {
                    values.push(value.clone());
                }
            }
        }
        if is_placeholder_option(&o.name, &values) {
            option_names.push("");
        } else {
            option_names.push(o.name.as_str());
            options.push(ProductOption {
                name: o.name.clone(),
                values,
            });
        }
    }
    let image_url = |id: &Id| {
        p.images
            .iter()
            .find(|i| i.id.as_ref() == Some(id))
            .map(|i| i.src.clone())
    };

    let mut variants = Vec::with_capacity(p.variants.len());
    for (i, v) in p.variants.iter().enumerate() {
        let path = format!("$.variants[{i}]");
        let presentment = v.presentment_prices.first();
        let mut opts = BTreeMap::new();
        for (n, value) in [&v.option1, &v.option2, &v.option3].into_iter().enumerate() {
            if let (Some(name), Some(value)) =
                (option_names.get(n).filter(|n| !n.is_empty()), value)
            {
                opts.insert((*name).to_owned(), value.clone());
            }
        }
        variants.push(Variant {
            platform_id: lid(&v.id),
            sku: text(v.sku.clone()),
            barcode: text(v.barcode.clone()),
            options: opts,
            price: variant_price(
                &format!("{path}.price"),
                v.price.as_ref(),
                presentment.and_then(|p| p.price.as_ref()),
                ctx,
            )?,
            compare_at_price: variant_price(
                &format!("{path}.compare_at_price"),
                v.compare_at_price.as_ref(),
                presentment.and_then(|p| p.compare_at_price.as_ref()),
                ctx,
            )?,
            inventory_quantity: v.inventory_quantity,
            weight: match (&v.weight, &v.weight_unit) {
                (Some(w), Some(u)) => Some(Weight {
                    value: w.0,
                    unit: u.clone(),
                }),
                _ => None,
            },
            image_url: v.image_id.as_ref().and_then(image_url),
        });
    }
    Ok(assemble_product(ProductParts {
        platform_id: lid(&p.id),
        name: text(p.title),
        description_html: text(p.body_html),
        status: p.status,
        vendor: text(p.vendor),
        product_type: text(p.product_type),
        tags: split_tags(p.tags.as_deref()),
        category_ids: Vec::new(),
        images: p
            .images
            .iter()
            .enumerate()
            .map(|(i, im)| Image {
                url: im.src.clone(),
                alt: text(im.alt.clone()),
                position: im.position.or(Some(i as u32 + 1)),
            })
            .collect(),
        options,
        variants,
        total_inventory: None,
        created_at: date("$.created_at", p.created_at.as_ref())?,
        updated_at: date("$.updated_at", p.updated_at.as_ref())?,
        raw,
    }))
}

struct ProductParts<'a> {
    platform_id: String,
    name: Option<String>,
    description_html: Option<String>,
    status: Option<String>,
    vendor: Option<String>,
    product_type: Option<String>,
    tags: Vec<String>,
    category_ids: Vec<String>,
    images: Vec<Image>,
    options: Vec<ProductOption>,
    variants: Vec<Variant>,
    total_inventory: Option<i64>,
    created_at: Option<chrono::DateTime<chrono::Utc>>,
    updated_at: Option<chrono::DateTime<chrono::Utc>>,
    raw: &'a RawValue,
}

/// Product-level price and stock from the variants: the cheapest variant's price (and
/// its compare-at price), the total stock when every variant reports one, and the
/// SKU of a product with a single variant.
fn assemble_product(p: ProductParts<'_>) -> Product {
    let cheapest = p
        .variants
        .iter()
        .filter(|v| v.price.is_some())
        .min_by_key(|v| v.price.as_ref().map(|m| m.amount));
    let inventory = p.total_inventory.or_else(|| {
        if p.variants.is_empty() {
            None
        } else {
            p.variants
                .iter()
                .map(|v| v.inventory_quantity)
                .sum::<Option<i64>>()
        }
    });
    Product {
        id: None,
        store_id: None,
        platform: PLATFORM.to_owned(),
        platform_id: p.platform_id,
        name: p.name,
        sku: if p.variants.len() == 1 {
            p.variants[0].sku.clone()
        } else {
            None
        },
        description_html: p.description_html,
        status: p.status.as_deref().and_then(product_status),
        platform_status: p.status,
        vendor: p.vendor,
        product_type: p.product_type,
        tags: p.tags,
        category_ids: p.category_ids,
        images: p.images,
        price: cheapest.and_then(|v| v.price.clone()),
        compare_at_price: cheapest.and_then(|v| v.compare_at_price.clone()),
        options: p.options,
        variants: p.variants,
        inventory_quantity: inventory,
        created_at: p.created_at,
        updated_at: p.updated_at,
        raw: Some(Raw::from_raw(p.raw)),
    }
}

/// Maps a REST customer with its addresses.
pub fn rest_customer(raw: &RawValue) -> Result<Customer> {
    let c: rest::Customer = decode_json_borrowed(raw.get())?;
    let cur = opt_currency("$.currency", c.currency.as_deref())?;
    let accepts = c
        .email_marketing_consent
        .as_ref()
        .and_then(|m| m.state.as_deref())
        .map(|s| s == "subscribed")
        .or(c.accepts_marketing);
    let default_from_list = c.addresses.iter().position(|a| a.default == Some(true));
    let mut addresses = Vec::new();
    let mut default_address = None;
    for (i, a) in c.addresses.into_iter().enumerate() {
        if let Some(a) = rest_address(Some(a), None) {
            if Some(i) == default_from_list {
                default_address = Some(a.clone());
            }
            addresses.push(a);
        }
    }
    if let Some(a) = rest_address(c.default_address, None) {
        default_address = Some(a);
    }
    Ok(Customer {
        id: None,
        store_id: None,
        platform: PLATFORM.to_owned(),
        platform_id: lid(&c.id),
        email: text(c.email),
        first_name: text(c.first_name),
        last_name: text(c.last_name),
        phone: text(c.phone),
        accepts_marketing: accepts,
        addresses,
        default_address,
        orders_count: c.orders_count,
        total_spent: match (c.total_spent, cur) {
            (Some(a), Some(cur)) => Some(Money::new(a.0, cur)),
            _ => None,
        },
        created_at: date("$.created_at", c.created_at.as_ref())?,
        updated_at: date("$.updated_at", c.updated_at.as_ref())?,
        raw: Some(Raw::from_raw(raw)),
    })
}

/// Maps a REST custom or smart collection. Collections are flat in Shopify: no parent.
pub fn rest_category(raw: &RawValue) -> Result<Category> {
    let c: rest::Collection = decode_json_borrowed(raw.get())?;
    Ok(Category {
        id: None,
        store_id: None,
        platform: PLATFORM.to_owned(),
        platform_id: lid(&c.id),
        name: text(c.title),
        parent_id: None,
        slug: text(c.handle),
        description_html: text(c.body_html),
        position: None,
        created_at: date("$.created_at", c.created_at.as_ref())?,
        updated_at: date("$.updated_at", c.updated_at.as_ref())?,
        raw: Some(Raw::from_raw(raw)),
    })
}

/// The platform id of an inventory level: `inventory_item_id:location_id`.
pub fn level_id(inventory_item_id: &str, location_id: &str) -> String {
    format!("{inventory_item_id}:{location_id}")
}

/// Maps a REST inventory level. The level names an inventory item, not a variant:
/// the adapter fills in variant, product and SKU from the catalogue it listed.
pub fn rest_inventory(raw: &RawValue) -> Result<InventoryLevel> {
    let l: rest::InventoryLevel = decode_json_borrowed(raw.get())?;
    let location = lid(&l.location_id);
    Ok(InventoryLevel {
        id: None,
        store_id: None,
        platform: PLATFORM.to_owned(),
        platform_id: level_id(&lid(&l.inventory_item_id), &location),
        product_id: None,
        variant_id: None,
        sku: None,
        location_id: Some(location),
        available: l.available,
        updated_at: date("$.updated_at", l.updated_at.as_ref())?,
        raw: Some(Raw::from_raw(raw)),
    })
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

/// Maps a GraphQL `Order` node.
pub fn gql_order(raw: &RawValue) -> Result<Order> {
    let o: gql::Order = decode_json_borrowed(raw.get())?;
    let cur = match o
        .total_price_set
        .as_ref()
        .and_then(|s| s.shop_money.as_ref())
    {
        Some(m) => Some(currency(
            "$.totalPriceSet.shopMoney.currencyCode",
            &m.currency_code,
        )?),
        None => opt_currency("$.currencyCode", o.currency_code.as_deref())?,
    };

    let mut line_items = Vec::with_capacity(o.line_items.0.len());
    for (i, l) in o.line_items.0.iter().enumerate() {
        let p = format!("$.lineItems[{i}]");
        let unit = bag(
            &format!("{p}.originalUnitPriceSet"),
            l.original_unit_price_set.as_ref(),
        )?;
        let mut taxes = Vec::new();
        for t in &l.tax_lines {
            taxes.extend(bag(&format!("{p}.taxLines"), t.price_set.as_ref())?);
        }
        let discount = match &l.discount_allocations {
            Some(allocations) => {
                let mut allocated = Vec::new();
                for a in allocations {
                    allocated.extend(bag(
                        &format!("{p}.discountAllocations"),
                        a.allocated_amount_set.as_ref(),
                    )?);
                }
                // Read and empty: no discount, in the line's currency and precision.
                sum(allocated).or_else(|| {
                    unit.as_ref().map(|u| {
                        let zero = rust_decimal::Decimal::new(0, u.amount.scale());
                        Money::new(zero, u.currency.clone())
                    })
                })
            }
            None => bag(
                &format!("{p}.totalDiscountSet"),
                l.total_discount_set.as_ref(),
            )?,
        };
        line_items.push(LineItem {
            platform_id: lid(&l.id),
            product_id: l.product.as_ref().map(|r| lid(&r.id)),
            variant_id: l.variant.as_ref().map(|r| lid(&r.id)),
            sku: text(l.sku.clone()),
            name: text(l.name.clone()).or_else(|| text(l.title.clone())),
            quantity: l.quantity.0,
            total: unit
                .as_ref()
                .map(|u| Money::new(u.amount * l.quantity.0, u.currency.clone())),
            unit_price: unit,
            tax: if l.tax_lines.is_empty() {
                None
            } else {
                sum(taxes)
            },
            discount,
        });
    }

    let mut shipping_lines = Vec::new();
    for (i, s) in o.shipping_lines.0.iter().enumerate() {
        shipping_lines.push(ShippingLine {
            method: text(s.title.clone()).or_else(|| text(s.code.clone())),
            carrier: carrier(s.carrier_identifier.clone(), s.source.clone()),
            price: bag(
                &format!("$.shippingLines[{i}].originalPriceSet"),
                s.original_price_set.as_ref(),
            )?,
        });
    }

    // A discount's amount is what it allocated to lines and shipping, by application
    // index; codes no application names (an order read without its applications)
    // keep a null amount.
    let allocations: Vec<&gql::DiscountAllocation> = o
        .line_items
        .0
        .iter()
        .flat_map(|l| l.discount_allocations.iter().flatten())
        .chain(
            o.shipping_lines
                .0
                .iter()
                .flat_map(|s| &s.discount_allocations),
        )
        .collect();
    let mut discounts: Vec<Discount> = Vec::new();
    for app in &o.discount_applications.0 {
        let mut amounts = Vec::new();
        for a in allocations.iter().filter(|a| {
            app.index.is_some()
                && a.discount_application.as_ref().and_then(|d| d.index) == app.index
        }) {
            amounts.extend(bag(
                // Under a line item or a shipping line.
                "$..discountAllocations",
                a.allocated_amount_set.as_ref(),
            )?);
        }
        let is_code =
            app.typename.as_deref() == Some("DiscountCodeApplication") || app.code.is_some();
        discounts.push(Discount {
            code: if is_code {
                text(app.code.clone())
            } else {
                None
            },
            amount: sum(amounts),
        });
    }
    for code in &o.discount_codes {
        if !discounts
            .iter()
            .any(|d| d.code.as_deref() == Some(code.as_str()))
        {
            discounts.push(Discount {
                code: Some(code.clone()),
                amount: None,
            });
        }
    }

    let mut refunds = Vec::new();
    for (i, r) in o.refunds.0.iter().enumerate() {
        let p = format!("$.refunds[{i}]");
        let mut lines = Vec::new();
        for (j, l) in r.refund_line_items.0.iter().enumerate() {
            lines.push(RefundLineItem {
                line_item_id: l.line_item.as_ref().map(|r| lid(&r.id)),
                quantity: l.quantity.0,
                amount: bag(
                    &format!("{p}.refundLineItems[{j}].subtotalSet"),
                    l.subtotal_set.as_ref(),
                )?,
            });
        }
        refunds.push(Refund {
            platform_id: lid(&r.id),
            amount: bag(
                &format!("{p}.totalRefundedSet"),
                r.total_refunded_set.as_ref(),
            )?,
            reason: text(r.note.clone()),
            created_at: date(&format!("{p}.createdAt"), r.created_at.as_ref())?,
            line_items: lines,
        });
    }

    let mut shipments = Vec::new();
    for (i, f) in o.fulfillments.0.iter().enumerate() {
        let tracking = f.tracking_info.first();
        shipments.push(Shipment {
            platform_id: lid(&f.id),
            carrier: tracking.and_then(|t| text(t.company.clone())),
            tracking_number: tracking.and_then(|t| text(t.number.clone())),
            tracking_url: tracking.and_then(|t| text(t.url.clone())),
            status: f.status.as_ref().map(|s| s.to_ascii_lowercase()),
            line_items: f
                .fulfillment_line_items
                .0
                .iter()
                .map(|l| ShipmentLineItem {
                    line_item_id: l.line_item.as_ref().map(|r| lid(&r.id)),
                    quantity: l.quantity.0,
                })
                .collect(),
            created_at: date(
                &format!("$.fulfillments[{i}].createdAt"),
                f.created_at.as_ref(),
            )?,
        });
    }

    let totals = OrderTotals {
        subtotal: bag("$.subtotalPriceSet", o.subtotal_price_set.as_ref())?,
        shipping: bag(
            "$.totalShippingPriceSet",
            o.total_shipping_price_set.as_ref(),
        )?,
        tax: bag("$.totalTaxSet", o.total_tax_set.as_ref())?,
        discount: bag("$.totalDiscountsSet", o.total_discounts_set.as_ref())?,
        total: bag("$.totalPriceSet", o.total_price_set.as_ref())?,
        paid: bag("$.totalReceivedSet", o.total_received_set.as_ref())?,
        refunded: bag("$.totalRefundedSet", o.total_refunded_set.as_ref())?,
    };
    // The buyer's currency: `presentmentCurrencyCode`, else that of the total's
    // presentment money; its totals are the `*Set` fields' `presentmentMoney`.
    let declared = match opt_currency(
        "$.presentmentCurrencyCode",
        o.presentment_currency_code.as_deref(),
    )? {
        Some(p) => Some(p),
        None => match o
            .total_price_set
            .as_ref()
            .and_then(|s| s.presentment_money.as_ref())
        {
            Some(m) => Some(currency(
                "$.totalPriceSet.presentmentMoney.currencyCode",
                &m.currency_code,
            )?),
            None => None,
        },
    };
    let (presentment_currency, presentment_totals) = presentment(cur.as_ref(), declared, |_| {
        let presented = |path: &str, b: Option<&gql::MoneyBag>| {
            b.and_then(|b| b.presentment_money.as_ref())
                .map(|m| Ok(Money::new(m.amount.0, currency(path, &m.currency_code)?)))
                .transpose()
        };
        Ok::<_, Error>(OrderTotals {
            subtotal: presented(
                "$.subtotalPriceSet.presentmentMoney",
                o.subtotal_price_set.as_ref(),
            )?,
            shipping: presented(
                "$.totalShippingPriceSet.presentmentMoney",
                o.total_shipping_price_set.as_ref(),
            )?,
            tax: presented("$.totalTaxSet.presentmentMoney", o.total_tax_set.as_ref())?,
            discount: presented(
                "$.totalDiscountsSet.presentmentMoney",
                o.total_discounts_set.as_ref(),
            )?,
            total: presented(
                "$.totalPriceSet.presentmentMoney",
                o.total_price_set.as_ref(),
            )?,
            paid: presented(
                "$.totalReceivedSet.presentmentMoney",
                o.total_received_set.as_ref(),
            )?,
            refunded: presented(
                "$.totalRefundedSet.presentmentMoney",
                o.total_refunded_set.as_ref(),
            )?,
        })
    })?;
    let financial_raw = o.display_financial_status.clone();
    let financial = financial_raw.as_deref().and_then(financial_status);
    let fulfillment_raw = o.display_fulfillment_status.clone();
    let fulfillment = fulfillment_raw
        .as_deref()
        .and_then(|s| fulfillment_status(Some(s)));
    let cancelled_at = date("$.cancelledAt", o.cancelled_at.as_ref())?;
    let closed_at = date("$.closedAt", o.closed_at.as_ref())?;
    let closed = o.closed.unwrap_or(closed_at.is_some());
    let has_state = financial_raw.is_some()
        || o.closed.is_some()
        || cancelled_at.is_some()
        || closed_at.is_some();
    let platform_status = has_state.then(|| platform_order_status(cancelled_at.is_some(), closed));
    let order_email = text(o.email.clone());
    let customer = match o.customer {
        Some(cu) => Some(OrderCustomer {
            platform_id: opt_lid(cu.id.as_ref()),
            email: text(cu.email).or_else(|| order_email.clone()),
            first_name: text(cu.first_name),
            last_name: text(cu.last_name),
            phone: text(cu.phone).or_else(|| text(o.phone.clone())),
        }),
        None if order_email.is_some() => Some(OrderCustomer {
            platform_id: None,
            email: order_email,
            first_name: None,
            last_name: None,
            phone: text(o.phone.clone()),
        }),
        None => None,
    };
    Ok(Order {
        id: None,
        store_id: None,
        platform: PLATFORM.to_owned(),
        platform_id: lid(&o.id),
        number: text(o.name),
        status: platform_status.map(|s| order_status(s, financial, fulfillment)),
        platform_status: platform_status.map(str::to_owned),
        financial_status: financial,
        platform_financial_status: financial_raw,
        fulfillment_status: fulfillment,
        platform_fulfillment_status: fulfillment_raw,
        currency: cur,
        totals,
        presentment_currency,
        presentment_totals,
        customer,
        billing_address: gql_address(o.billing_address),
        shipping_address: gql_address(o.shipping_address),
        line_items,
        shipping_lines,
        discounts,
        refunds,
        shipments,
        note: text(o.note),
        tags: o
            .tags
            .into_iter()
            .map(|t| t.trim().to_owned())
            .filter(|t| !t.is_empty())
            .collect(),
        source: text(o.source_name),
        created_at: date("$.createdAt", o.created_at.as_ref())?,
        updated_at: date("$.updatedAt", o.updated_at.as_ref())?,
        completed_at: closed_at,
        cancelled_at,
        raw: Some(Raw::from_raw(raw)),
    })
}

/// Maps a GraphQL `Product` node. GraphQL variant prices are `Money` scalars without a
/// currency: the shop's currency from `ctx` gives them one.
pub fn gql_product(raw: &RawValue, ctx: &ShopContext) -> Result<Product> {
    let p: gql::Product = decode_json_borrowed(raw.get())?;
    let price = |d: Option<&Dec>| match (d, &ctx.currency) {
        (Some(a), Some(c)) => Some(Money::new(a.0, c.clone())),
        _ => None,
    };
    let variants = p
        .variants
        .0
        .iter()
        .map(|v| Variant {
            platform_id: lid(&v.id),
            sku: text(v.sku.clone()),
            barcode: text(v.barcode.clone()),
            options: v
                .selected_options
                .iter()
                .filter(|o| !is_placeholder_option(&o.name, std::slice::from_ref(&o.value)))
                .map(|o| (o.name.clone(), o.value.clone()))
                .collect(),
            price: price(v.price.as_ref()),
            compare_at_price: price(v.compare_at_price.as_ref()),
            inventory_quantity: v.inventory_quantity,
            weight: v
                .inventory_item
                .as_ref()
                .and_then(|i| i.measurement.as_ref())
                .and_then(|m| m.weight.as_ref())
                .map(|w| Weight {
                    value: w.value.0,
                    unit: weight_unit(&w.unit),
                }),
            image_url: v.image.as_ref().and_then(|i| text(i.url.clone())),
        })
        .collect();
    let mut images: Vec<Image> = p
        .images
        .0
        .iter()
        .filter_map(|im| Some((text(im.url.clone())?, text(im.alt_text.clone()))))
        .enumerate()
        .map(|(i, (url, alt))| Image {
            url,
            alt,
            position: Some(i as u32 + 1),
        })
        .collect();
    if images.is_empty() {
        images = p
            .media
            .0
            .iter()
            .filter_map(|m| {
                let url = m
                    .image
                    .as_ref()
                    .or(m.preview.as_ref().and_then(|p| p.image.as_ref()))?
                    .url
                    .clone();
                Some((text(url)?, text(m.alt.clone())))
            })
            .enumerate()
            .map(|(i, (url, alt))| Image {
                url,
                alt,
                position: Some(i as u32 + 1),
            })
            .collect();
    }
    Ok(assemble_product(ProductParts {
        platform_id: lid(&p.id),
        name: text(p.title),
        description_html: text(p.description_html),
        status: p.status.map(|s| s.to_ascii_lowercase()),
        vendor: text(p.vendor),
        product_type: text(p.product_type),
        tags: p
            .tags
            .into_iter()
            .map(|t| t.trim().to_owned())
            .filter(|t| !t.is_empty())
            .collect(),
        category_ids: p.collections.0.iter().map(|c| lid(&c.id)).collect(),
        images,
        options: p
            .options
            .iter()
            .filter(|o| !is_placeholder_option(&o.name, &o.values))
            .map(|o| ProductOption {
                name: o.name.clone(),
                values: o.values.clone(),
            })
            .collect(),
        variants,
        total_inventory: p.total_inventory,
        created_at: date("$.createdAt", p.created_at.as_ref())?,
        updated_at: date("$.updatedAt", p.updated_at.as_ref())?,
        raw,
    }))
}

/// GraphQL `WeightUnit` (`KILOGRAMS`) → the short unit REST uses (`kg`).
fn weight_unit(unit: &str) -> String {
    match unit {
        "KILOGRAMS" => "kg",
        "GRAMS" => "g",
        "POUNDS" => "lb",
        "OUNCES" => "oz",
        other => return other.to_ascii_lowercase(),
    }
    .to_owned()
}

/// Maps a GraphQL `Customer` node.
pub fn gql_customer(raw: &RawValue) -> Result<Customer> {
    let c: gql::Customer = decode_json_borrowed(raw.get())?;
    let addresses: Vec<Address> = c
        .addresses
        .0
        .into_iter()
        .filter_map(|a| gql_address(Some(a)))
        .collect();
    let orders_count = match c.number_of_orders {
        Some(n) => Some(
            n.0.parse::<u64>()
                .map_err(|_| Error::decode("$.numberOfOrders", n.0.clone()))?,
        ),
        None => None,
    };
    let total_spent = match c.amount_spent {
        Some(m) => Some(Money::new(
            m.amount.0,
            currency("$.amountSpent.currencyCode", &m.currency_code)?,
        )),
        None => None,
    };
    Ok(Customer {
        id: None,
        store_id: None,
        platform: PLATFORM.to_owned(),
        platform_id: lid(&c.id),
        email: text(c.email),
        first_name: text(c.first_name),
        last_name: text(c.last_name),
        phone: text(c.phone),
        accepts_marketing: c
            .email_marketing_consent
            .and_then(|m| m.marketing_state)
            .map(|s| s.eq_ignore_ascii_case("subscribed")),
        addresses,
        default_address: gql_address(c.default_address),
        orders_count,
        total_spent,
        created_at: date("$.createdAt", c.created_at.as_ref())?,
        updated_at: date("$.updatedAt", c.updated_at.as_ref())?,
        raw: Some(Raw::from_raw(raw)),
    })
}

/// Maps a GraphQL `Collection` node (custom and smart collections alike).
pub fn gql_category(raw: &RawValue) -> Result<Category> {
    let c: gql::Collection = decode_json_borrowed(raw.get())?;
    Ok(Category {
        id: None,
        store_id: None,
        platform: PLATFORM.to_owned(),
        platform_id: lid(&c.id),
        name: text(c.title),
        parent_id: None,
        slug: text(c.handle),
        description_html: text(c.description_html),
        position: None,
        created_at: None,
        updated_at: date("$.updatedAt", c.updated_at.as_ref())?,
        raw: Some(Raw::from_raw(raw)),
    })
}

/// Maps a GraphQL `InventoryLevel` node; `available` is its `quantities(names:
/// ["available"])` entry.
pub fn gql_inventory(raw: &RawValue) -> Result<InventoryLevel> {
    let l: gql::InventoryLevel = decode_json_borrowed(raw.get())?;
    let item = l.item.as_ref().map(|i| lid(&i.id)).or_else(|| {
        // gid://shopify/InventoryLevel/1?inventory_item_id=2
        l.id.as_ref()?
            .0
            .split_once("inventory_item_id=")
            .map(|(_, v)| v.split('&').next().unwrap_or(v).to_owned())
    });
    let Some(item) = item else {
        return Err(Error::decode(
            "$.item.id",
            "an inventory level without its inventory item",
        ));
    };
    let Some(location) = l.location.as_ref().map(|r| lid(&r.id)) else {
        return Err(Error::decode(
            "$.location.id",
            "an inventory level without its location",
        ));
    };
    let variant = l.item.as_ref().and_then(|i| i.variant.as_ref());
    Ok(InventoryLevel {
        id: None,
        store_id: None,
        platform: PLATFORM.to_owned(),
        platform_id: level_id(&item, &location),
        product_id: variant.and_then(|v| v.product.as_ref()).map(|p| lid(&p.id)),
        variant_id: variant.map(|v| lid(&v.id)),
        sku: variant
            .and_then(|v| text(v.sku.clone()))
            .or_else(|| l.item.as_ref().and_then(|i| text(i.sku.clone()))),
        location_id: Some(location),
        available: l
            .quantities
            .iter()
            .find(|q| q.name == "available")
            .map(|q| q.quantity),
        updated_at: date("$.updatedAt", l.updated_at.as_ref())?,
        raw: Some(Raw::from_raw(raw)),
    })
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
pub fn product(raw: &RawValue, ctx: &ShopContext) -> Result<Product> {
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
        let ctx = ShopContext {
            currency: Some(Currency::parse("CAD").unwrap()),
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
        assert_eq!(product(&g, &ShopContext::default()).unwrap().price, None);
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
