//! Pure SP-API → unified mapping, no IO, and `normalize` for `polycart normalize` and
//! the golden tests. Money is exact (`Decimal` from Amazon's string amounts); times
//! are UTC with the original kept in `raw`; ids are strings; discounts are positive.
//!
//! Orders come in two shapes:
//! - Orders API 2026-01-01: `getOrder` (`{"order": {...}}`) and `searchOrders`
//!   (`{"orders": [...], "pagination": ...}`), items inside each order;
//! - Orders API v0: `getOrder` / `getOrders` (`{"payload": ...}`), whose items come from
//!   a second call. With them, `normalize` takes one composite: the two answers side by
//!   side, named after their operations,
//!   `{"getOrder": <getOrder body>, "getOrderItems": [<getOrderItems body>, ...]}` (or
//!   `"getOrders"` with the items of each order; a page of items names its order in
//!   `payload.AmazonOrderId`). A v0 order alone maps without line items.
//!
//! A product is a Listings Items 2021-08-01 item, keyed by its SKU (the seller's id of
//! the listing); order lines name that SKU as product and variant.

use polycart_kit::connector::Normalized;
use polycart_kit::decode::{at_index, currency, datetime};
use polycart_kit::error::{decode_json, decode_json_borrowed};
use polycart_kit::model::{
    Address, Currency, Discount, FulfillmentStatus, Image, InventoryLevel, LineItem, Money, Order,
    OrderCustomer, OrderStatus, OrderTotals, Product, ProductStatus, Raw, Shipment,
    ShipmentLineItem, ShippingLine, Variant,
};
use polycart_kit::{Entity, Error, Record, Result, StoreContext};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::{PLATFORM, wire};

/// An amount in a currency, or `None` when either is missing.
fn money(path: &str, amount: Option<Decimal>, code: Option<&str>) -> Result<Option<Money>> {
    match (amount, code.map(str::trim).filter(|c| !c.is_empty())) {
        (Some(a), Some(c)) => Ok(Some(Money::new(a, currency(path, c)?))),
        (None, _) => Ok(None),
        (Some(_), None) => Err(Error::decode(path, "an amount without a currency")),
    }
}

fn m26(path: &str, m: Option<&wire::Money>) -> Result<Option<Money>> {
    match m {
        Some(m) => money(path, m.amount.map(|d| d.0), m.currency_code.as_deref()),
        None => Ok(None),
    }
}

fn m0(path: &str, m: Option<&wire::MoneyV0>) -> Result<Option<Money>> {
    match m {
        Some(m) => money(path, m.amount.map(|d| d.0), m.currency_code.as_deref()),
        None => Ok(None),
    }
}

/// The sum of `parts` (`None` when there are none); mixed currencies are an error.
fn sum(path: &str, parts: impl IntoIterator<Item = Money>) -> Result<Option<Money>> {
    let mut total: Option<Money> = None;
    for p in parts {
        total = Some(match total {
            None => p,
            Some(t) => t
                .checked_add(&p)
                .map_err(|e| Error::decode(path, e.to_string()))?,
        });
    }
    Ok(total)
}

fn positive(m: Money) -> Money {
    Money::new(m.amount.abs(), m.currency)
}

/// "James Wilson" → ("James", "Wilson"); one word is a last name.
fn split_name(name: Option<&str>) -> (Option<String>, Option<String>) {
    match name.map(str::trim).filter(|n| !n.is_empty()) {
        None => (None, None),
        Some(n) => match n.rsplit_once(char::is_whitespace) {
            Some((first, last)) => (Some(first.trim().to_owned()), Some(last.to_owned())),
            None => (None, Some(n.to_owned())),
        },
    }
}

fn text(s: &Option<String>) -> Option<String> {
    s.as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
}

/// Amazon's `StateOrRegion` is a code in some countries ("WA") and a name in others
/// ("England"): a code only when it looks like one.
fn region_code(region: &Option<String>) -> Option<String> {
    text(region).filter(|r| {
        (2..=3).contains(&r.len())
            && r.bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
    })
}

#[allow(clippy::too_many_arguments)]
fn address(
    name: &Option<String>,
    company: &Option<String>,
    lines: [&Option<String>; 3],
    city: &Option<String>,
    region: &Option<String>,
    postal: &Option<String>,
    country: &Option<String>,
    phone: &Option<String>,
) -> Option<Address> {
    let (first_name, last_name) = split_name(name.as_deref());
    let rest: Vec<String> = lines[1..].iter().filter_map(|l| text(l)).collect();
    Address {
        first_name,
        last_name,
        company: text(company),
        line1: text(lines[0]),
        line2: (!rest.is_empty()).then(|| rest.join(", ")),
        city: text(city),
        region: text(region),
        region_code: region_code(region),
        postal_code: text(postal),
        country_code: text(country),
        phone: text(phone),
        email: None,
    }
    .non_empty()
}

/// v2026 `fulfillmentStatus` / v0 `OrderStatus` (normalised to upper snake case).
fn statuses(status: &str) -> (Option<OrderStatus>, Option<FulfillmentStatus>) {
    let s: String = status
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_ascii_uppercase();
    match s.as_str() {
        "PENDING" | "PENDINGAVAILABILITY" => (Some(OrderStatus::Pending), None),
        "UNSHIPPED" => (
            Some(OrderStatus::Processing),
            Some(FulfillmentStatus::Unfulfilled),
        ),
        "PARTIALLYSHIPPED" => (
            Some(OrderStatus::Processing),
            Some(FulfillmentStatus::Partial),
        ),
        "SHIPPED" | "INVOICEUNCONFIRMED" => (
            Some(OrderStatus::Completed),
            Some(FulfillmentStatus::Fulfilled),
        ),
        "CANCELED" | "CANCELLED" => (Some(OrderStatus::Cancelled), None),
        "UNFULFILLABLE" => (Some(OrderStatus::Failed), None),
        _ => (None, None),
    }
}

/// Whether a proceeds breakdown type is a reduction (a promotion or discount).
fn is_discount(kind: &str) -> bool {
    let k = kind.to_ascii_uppercase();
    k.contains("DISCOUNT") || k.contains("PROMOTION")
}

/// The breakdowns of `kind` summed.
fn part(path: &str, breakdowns: &[wire::Breakdown], kind: &str) -> Result<Option<Money>> {
    let mut found = Vec::new();
    for (i, b) in breakdowns.iter().enumerate() {
        if b.kind.as_deref() == Some(kind)
            && let Some(m) = m26(&format!("{path}[{i}].subtotal"), b.subtotal.as_ref())?
        {
            found.push(m);
        }
    }
    sum(path, found)
}

fn discounts(path: &str, breakdowns: &[wire::Breakdown]) -> Result<Option<Money>> {
    let mut found = Vec::new();
    for (i, b) in breakdowns.iter().enumerate() {
        if b.kind.as_deref().is_some_and(is_discount)
            && let Some(m) = m26(&format!("{path}[{i}].subtotal"), b.subtotal.as_ref())?
        {
            found.push(positive(m));
        }
    }
    sum(path, found)
}

/// One Orders API 2026-01-01 order (the object inside `order` or `orders`).
pub fn order_2026(raw: &RawValue) -> Result<Order> {
    let o: wire::Order = decode_json(raw.get())?;
    let proceeds = o.proceeds.as_ref();
    let breakdowns: &[wire::Breakdown] = proceeds.map_or(&[], |p| &p.breakdowns);
    let total = m26(
        "$.proceeds.grandTotal",
        proceeds.and_then(|p| p.grand_total.as_ref()),
    )?;
    let mut line_items = Vec::with_capacity(o.order_items.len());
    for (i, item) in o.order_items.iter().enumerate() {
        let at = format!("$.orderItems[{i}]");
        let product = item.product.as_ref();
        let sku = product.and_then(|p| text(&p.seller_sku));
        let quantity = item.quantity_ordered.map_or(Decimal::ZERO, |q| q.0);
        let unit_price = m26(
            &format!("{at}.product.price.unitPrice"),
            product
                .and_then(|p| p.price.as_ref())
                .and_then(|p| p.unit_price.as_ref()),
        )?;
        let item_breakdowns: &[wire::Breakdown] =
            item.proceeds.as_ref().map_or(&[], |p| &p.breakdowns);
        let at_b = format!("{at}.proceeds.breakdowns");
        let total = match part(&at_b, item_breakdowns, "ITEM")? {
            Some(t) => Some(t),
            None => unit_price.as_ref().and_then(|u| {
                u.amount
                    .checked_mul(quantity)
                    .map(|a| Money::new(a, u.currency.clone()))
            }),
        };
        line_items.push(LineItem {
            platform_id: item.order_item_id.clone(),
            product_id: sku.clone(),
            variant_id: sku.clone(),
            sku,
            name: product.and_then(|p| text(&p.title)),
            quantity,
            unit_price,
            total,
            tax: part(&at_b, item_breakdowns, "TAX")?,
            discount: discounts(&at_b, item_breakdowns)?,
        });
    }
    let currency: Option<Currency> = total.as_ref().map(|t| t.currency.clone()).or_else(|| {
        line_items
            .iter()
            .find_map(|l| l.unit_price.as_ref().map(|p| p.currency.clone()))
    });
    let fulfillment = o.fulfillment.as_ref();
    let platform_status = fulfillment.and_then(|f| text(&f.fulfillment_status));
    let (status, fulfillment_status) = platform_status.as_deref().map_or((None, None), statuses);
    let shipping = part("$.proceeds.breakdowns", breakdowns, "SHIPPING")?;
    let discount = discounts("$.proceeds.breakdowns", breakdowns)?;
    let level = fulfillment.and_then(|f| text(&f.fulfillment_service_level));
    let shipping_lines = if shipping.is_some() || level.is_some() {
        vec![ShippingLine {
            method: level,
            carrier: None,
            price: shipping.clone(),
        }]
    } else {
        Vec::new()
    };
    let buyer = o.buyer.as_ref();
    let (first_name, last_name) = split_name(buyer.and_then(|b| b.buyer_name.as_deref()));
    let customer = buyer.map(|b| OrderCustomer {
        platform_id: None,
        email: text(&b.buyer_email),
        first_name,
        last_name,
        phone: None,
    });
    let shipping_address = o
        .recipient
        .as_ref()
        .and_then(|r| r.delivery_address.as_ref())
        .and_then(|a| {
            address(
                &a.name,
                &a.company_name,
                [&a.address_line1, &a.address_line2, &a.address_line3],
                &a.city,
                &a.state_or_region,
                &a.postal_code,
                &a.country_code,
                &a.phone,
            )
        });
    let mut shipments = Vec::with_capacity(o.packages.len());
    for (i, p) in o.packages.iter().enumerate() {
        let at = format!("$.packages[{i}]");
        shipments.push(Shipment {
            platform_id: text(&p.package_reference_id)
                .ok_or_else(|| Error::decode(format!("{at}.packageReferenceId"), "missing"))?,
            carrier: text(&p.carrier),
            tracking_number: text(&p.tracking_number),
            tracking_url: None,
            status: p.package_status.as_ref().and_then(|s| text(&s.status)),
            line_items: p
                .package_items
                .iter()
                .map(|pi| ShipmentLineItem {
                    line_item_id: text(&pi.order_item_id),
                    quantity: pi.quantity.map_or(Decimal::ZERO, |q| q.0),
                })
                .collect(),
            created_at: datetime(
                &format!("{at}.shipTime"),
                p.ship_time.as_deref().or(p.created_time.as_deref()),
            )?,
        });
    }
    let subtotal = part("$.proceeds.breakdowns", breakdowns, "ITEM")?;
    let tax = part("$.proceeds.breakdowns", breakdowns, "TAX")?;
    let source = o
        .sales_channel
        .as_ref()
        .and_then(|s| text(&s.channel_name).or_else(|| text(&s.marketplace_id)));
    Ok(Order {
        number: Some(o.order_id.clone()),
        status,
        platform_status,
        fulfillment_status,
        platform_fulfillment_status: fulfillment.and_then(|f| text(&f.fulfilled_by)),
        currency,
        totals: OrderTotals {
            subtotal,
            shipping,
            tax,
            discount: discount.clone(),
            total,
            paid: None,
            refunded: None,
        },
        customer,
        shipping_address,
        line_items,
        shipping_lines,
        discounts: discount
            .map(|d| {
                vec![Discount {
                    code: None,
                    amount: Some(d),
                }]
            })
            .unwrap_or_default(),
        shipments,
        tags: o.programs.clone(),
        source,
        created_at: datetime("$.createdTime", o.created_time.as_deref())?,
        updated_at: datetime("$.lastUpdatedTime", o.last_updated_time.as_deref())?,
        raw: Some(Raw::from_raw(raw)),
        ..Order::new(PLATFORM, o.order_id)
    })
}

/// `ItemPrice` (all units) over the quantity, when it divides exactly.
fn unit_of(total: &Money, quantity: Decimal) -> Option<Money> {
    if quantity <= Decimal::ZERO {
        return None;
    }
    let unit = total.amount.checked_div(quantity)?;
    (unit.checked_mul(quantity) == Some(total.amount))
        .then(|| Money::new(unit.normalize(), total.currency.clone()))
}

/// One v0 order (`payload` of `getOrder`, or an item of `payload.Orders`) with its
/// items (every `payload.OrderItems` of its `getOrderItems` pages); `raw` is what the
/// record keeps.
pub fn order_v0(order: &RawValue, items: &[&RawValue], raw: Raw) -> Result<Order> {
    let o: wire::OrderV0 = decode_json(order.get())?;
    let mut line_items = Vec::with_capacity(items.len());
    let (mut subtotal, mut shipping, mut tax, mut discount) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (i, raw_item) in items.iter().enumerate() {
        let at = format!("$.getOrderItems.OrderItems[{i}]");
        let item: wire::OrderItemV0 =
            decode_json(raw_item.get()).map_err(|e| at_index(e, i, true))?;
        let quantity = item.quantity_ordered.map_or(Decimal::ZERO, |q| q.0);
        let total = m0(&format!("{at}.ItemPrice"), item.item_price.as_ref())?;
        let item_tax = m0(&format!("{at}.ItemTax"), item.item_tax.as_ref())?;
        let promo = m0(
            &format!("{at}.PromotionDiscount"),
            item.promotion_discount.as_ref(),
        )?
        .map(positive);
        let ship = m0(&format!("{at}.ShippingPrice"), item.shipping_price.as_ref())?;
        let ship_tax = m0(&format!("{at}.ShippingTax"), item.shipping_tax.as_ref())?;
        let ship_discount = m0(
            &format!("{at}.ShippingDiscount"),
            item.shipping_discount.as_ref(),
        )?
        .map(positive);
        subtotal.extend(total.clone());
        shipping.extend(ship);
        tax.extend(item_tax.clone());
        tax.extend(ship_tax);
        discount.extend(promo.clone());
        discount.extend(ship_discount);
        let sku = text(&item.seller_sku);
        line_items.push(LineItem {
            platform_id: item.order_item_id.clone(),
            product_id: sku.clone(),
            variant_id: sku.clone(),
            sku,
            name: text(&item.title),
            quantity,
            unit_price: total.as_ref().and_then(|t| unit_of(t, quantity)),
            total,
            tax: item_tax,
            discount: promo,
        });
    }
    let total = m0("$.OrderTotal", o.order_total.as_ref())?;
    let subtotal = sum("$.OrderItems.ItemPrice", subtotal)?;
    let shipping = sum("$.OrderItems.ShippingPrice", shipping)?;
    let tax = sum("$.OrderItems.ItemTax", tax)?;
    let discount = sum("$.OrderItems.PromotionDiscount", discount)?;
    let currency = total
        .as_ref()
        .or(subtotal.as_ref())
        .map(|m| m.currency.clone());
    let platform_status = text(&o.order_status);
    let (status, fulfillment_status) = platform_status.as_deref().map_or((None, None), statuses);
    let level = text(&o.ship_service_level).or_else(|| text(&o.shipment_service_level_category));
    let shipping_lines = if shipping.is_some() || level.is_some() {
        vec![ShippingLine {
            method: level,
            carrier: None,
            price: shipping.clone(),
        }]
    } else {
        Vec::new()
    };
    let buyer = o.buyer_info.as_ref();
    let (first_name, last_name) = split_name(buyer.and_then(|b| b.buyer_name.as_deref()));
    let customer = buyer
        .map(|b| OrderCustomer {
            platform_id: None,
            email: text(&b.buyer_email),
            first_name,
            last_name,
            phone: None,
        })
        .filter(|c| c.email.is_some() || c.first_name.is_some() || c.last_name.is_some());
    let shipping_address = o.shipping_address.as_ref().and_then(|a| {
        address(
            &a.name,
            &a.company_name,
            [&a.address_line1, &a.address_line2, &a.address_line3],
            &a.city,
            &a.state_or_region,
            &a.postal_code,
            &a.country_code,
            &a.phone,
        )
    });
    let mut tags = Vec::new();
    if o.is_prime == Some(true) {
        tags.push("PRIME".to_owned());
    }
    if o.is_business_order == Some(true) {
        tags.push("AMAZON_BUSINESS".to_owned());
    }
    Ok(Order {
        number: Some(text(&o.seller_order_id).unwrap_or_else(|| o.amazon_order_id.clone())),
        status,
        platform_status,
        fulfillment_status,
        platform_fulfillment_status: text(&o.fulfillment_channel),
        currency,
        totals: OrderTotals {
            subtotal,
            shipping,
            tax,
            discount: discount.clone(),
            total,
            paid: None,
            refunded: None,
        },
        customer,
        shipping_address,
        line_items,
        shipping_lines,
        discounts: discount
            .map(|d| {
                vec![Discount {
                    code: None,
                    amount: Some(d),
                }]
            })
            .unwrap_or_default(),
        tags,
        source: text(&o.sales_channel),
        created_at: datetime("$.PurchaseDate", o.purchase_date.as_deref())?,
        updated_at: datetime("$.LastUpdateDate", o.last_update_date.as_deref())?,
        raw: Some(raw),
        ..Order::new(PLATFORM, o.amazon_order_id)
    })
}

/// A `getOrderItems` answer: `{"payload": {"AmazonOrderId", "OrderItems", "NextToken"}}`.
#[derive(Deserialize)]
struct ItemsBody<'a> {
    #[serde(borrow)]
    payload: ItemsPayload<'a>,
}

#[derive(Deserialize)]
struct ItemsPayload<'a> {
    #[serde(rename = "AmazonOrderId")]
    order_id: Option<String>,
    #[serde(rename = "OrderItems", borrow, default)]
    items: Vec<&'a RawValue>,
}

/// The composite of one v0 order and its item pages, as the record keeps it.
pub fn composite(order: &RawValue, item_pages: &[&RawValue]) -> Raw {
    let pages: Vec<&str> = item_pages.iter().map(|p| p.get()).collect();
    let text = format!(
        r#"{{"getOrder":{{"payload":{}}},"getOrderItems":[{}]}}"#,
        order.get(),
        pages.join(",")
    );
    match RawValue::from_string(text) {
        Ok(raw) => Raw::from_raw(&raw),
        Err(_) => Raw::from_raw(order),
    }
}

/// Maps one v0 order with the item pages of the answers given (those naming it).
pub fn order_v0_with_pages(order: &RawValue, pages: &[&RawValue]) -> Result<Order> {
    let id: OrderIdV0 = decode_json(order.get())?;
    let mut mine: Vec<&RawValue> = Vec::new();
    let mut items: Vec<&RawValue> = Vec::new();
    for (i, page) in pages.iter().enumerate() {
        let body: ItemsBody = decode_json_borrowed(page.get()).map_err(|e| at_index(e, i, true))?;
        if body.payload.order_id.as_deref().is_none_or(|o| o == id.id) {
            mine.push(page);
            items.extend(body.payload.items);
        }
    }
    order_v0(order, &items, composite(order, &mine))
}

#[derive(Deserialize)]
struct OrderIdV0 {
    #[serde(rename = "AmazonOrderId")]
    id: String,
}

/// One Listings Items item as a product with one variant (the SKU): the first
/// summary's marketplace (the one the adapter asks for) and its B2C offer.
pub fn product(raw: &RawValue, _ctx: &StoreContext) -> Result<Vec<Record>> {
    let item: wire::ListingItem = decode_json(raw.get())?;
    let summary = item.summaries.first();
    let marketplace = summary.and_then(|s| s.marketplace_id.as_deref());
    let offer = item
        .offers
        .iter()
        .position(|o| {
            o.marketplace_id.as_deref() == marketplace
                && o.offer_type.as_deref().is_none_or(|t| t == "B2C")
        })
        .or_else(|| (!item.offers.is_empty()).then_some(0));
    let price = match offer {
        Some(i) => m26(
            &format!("$.offers[{i}].price"),
            item.offers[i].price.as_ref(),
        )?,
        None => None,
    };
    let quantity = item
        .fulfillment_availability
        .iter()
        .find(|a| a.fulfillment_channel_code.as_deref() == Some("DEFAULT"))
        .or(item.fulfillment_availability.first())
        .and_then(|a| a.quantity);
    let status = summary.map(|s| {
        if s.status.iter().any(|x| x == "BUYABLE") {
            ProductStatus::Active
        } else {
            ProductStatus::Draft
        }
    });
    let attribute = |name: &str| -> Option<String> {
        item.attributes
            .as_ref()?
            .get(name)?
            .as_array()?
            .iter()
            .find(|v| {
                marketplace.is_none()
                    || v.get("marketplace_id").and_then(|m| m.as_str()) == marketplace
            })?
            .get("value")?
            .as_str()
            .map(str::to_owned)
    };
    let images = summary
        .and_then(|s| s.main_image.as_ref())
        .and_then(|i| text(&i.link))
        .map(|url| {
            vec![Image {
                url,
                alt: None,
                position: Some(1),
            }]
        })
        .unwrap_or_default();
    let product = Product {
        name: summary.and_then(|s| text(&s.item_name)),
        sku: Some(item.sku.clone()),
        description_html: attribute("product_description"),
        status,
        platform_status: summary.map(|s| s.status.join(",")),
        vendor: attribute("brand"),
        product_type: summary.and_then(|s| text(&s.product_type)),
        price: price.clone(),
        variants: vec![Variant {
            platform_id: item.sku.clone(),
            sku: Some(item.sku.clone()),
            barcode: None,
            options: Default::default(),
            price,
            compare_at_price: None,
            inventory_quantity: quantity,
            weight: None,
            image_url: None,
        }],
        images,
        inventory_quantity: quantity,
        created_at: datetime(
            "$.summaries[0].createdDate",
            summary.and_then(|s| s.created_date.as_deref()),
        )?,
        updated_at: datetime(
            "$.summaries[0].lastUpdatedDate",
            summary.and_then(|s| s.last_updated_date.as_deref()),
        )?,
        raw: Some(Raw::from_raw(raw)),
        ..Product::new(PLATFORM, item.sku)
    };
    Ok(vec![product.into()])
}

/// The merchant-fulfilled stock of a Listings Items item (its `DEFAULT` fulfillment
/// channel) as one inventory level, keyed by the SKU; an item without one (fulfilled
/// by Amazon, or asked without `fulfillmentAvailability`) has none.
pub fn inventory(raw: &RawValue, _ctx: &StoreContext) -> Result<Vec<Record>> {
    let item: wire::ListingItem = decode_json(raw.get())?;
    let Some(level) = item
        .fulfillment_availability
        .iter()
        .find(|a| a.fulfillment_channel_code.as_deref() == Some("DEFAULT"))
    else {
        return Ok(Vec::new());
    };
    let updated = datetime(
        "$.summaries[0].lastUpdatedDate",
        item.summaries
            .first()
            .and_then(|s| s.last_updated_date.as_deref()),
    )?;
    Ok(vec![
        InventoryLevel {
            id: None,
            store_id: None,
            platform: PLATFORM.to_owned(),
            platform_id: item.sku.clone(),
            product_id: Some(item.sku.clone()),
            variant_id: Some(item.sku.clone()),
            sku: Some(item.sku),
            location_id: Some("DEFAULT".to_owned()),
            available: level.quantity,
            updated_at: updated,
            raw: Some(Raw::from_raw(raw)),
        }
        .into(),
    ])
}

/// An FBA inventory summary (`getInventorySummaries`, `details=true`) as the SKU's
/// level in Amazon's fulfilment network (location `FBA`): what can be sold now
/// (`fulfillableQuantity`; without details, `totalQuantity`).
pub fn fba_inventory(raw: &RawValue, _ctx: &StoreContext) -> Result<Vec<Record>> {
    let s: wire::InventorySummary = decode_json(raw.get())?;
    let available = s
        .inventory_details
        .as_ref()
        .and_then(|d| d.fulfillable_quantity)
        .or(s.total_quantity);
    Ok(vec![
        InventoryLevel {
            id: None,
            store_id: None,
            platform: PLATFORM.to_owned(),
            platform_id: s.seller_sku.clone(),
            product_id: Some(s.seller_sku.clone()),
            variant_id: Some(s.seller_sku.clone()),
            sku: Some(s.seller_sku),
            location_id: Some("FBA".to_owned()),
            available,
            updated_at: datetime("$.lastUpdatedTime", s.last_updated_time.as_deref())?,
            raw: Some(Raw::from_raw(raw)),
        }
        .into(),
    ])
}

/// What the top of an order payload holds.
#[derive(Deserialize)]
struct Top<'a> {
    #[serde(borrow)]
    order: Option<&'a RawValue>,
    #[serde(borrow)]
    orders: Option<Vec<&'a RawValue>>,
    #[serde(borrow)]
    payload: Option<&'a RawValue>,
    #[serde(rename = "getOrder", borrow)]
    get_order: Option<&'a RawValue>,
    #[serde(rename = "getOrders", borrow)]
    get_orders: Option<&'a RawValue>,
    #[serde(rename = "getOrderItems", borrow)]
    get_order_items: Option<&'a RawValue>,
    #[serde(rename = "orderId")]
    order_id: Option<serde::de::IgnoredAny>,
    #[serde(rename = "AmazonOrderId")]
    amazon_order_id: Option<serde::de::IgnoredAny>,
}

#[derive(Deserialize)]
struct PayloadV0<'a> {
    #[serde(rename = "Orders", borrow)]
    orders: Option<Vec<&'a RawValue>>,
    #[serde(rename = "AmazonOrderId")]
    id: Option<serde::de::IgnoredAny>,
}

#[derive(Deserialize)]
struct Body<'a> {
    #[serde(borrow)]
    payload: &'a RawValue,
}

/// The v0 orders of a `getOrder` / `getOrders` body: (orders, whether a list).
fn v0_orders(body: &RawValue) -> Result<(Vec<&RawValue>, bool)> {
    let b: Body = decode_json_borrowed(body.get())?;
    let p: PayloadV0 = decode_json_borrowed(b.payload.get())?;
    match (p.orders, p.id) {
        (Some(list), _) => Ok((list, true)),
        (None, Some(_)) => Ok((vec![b.payload], false)),
        (None, None) => Err(Error::decode(
            "$.payload",
            "neither an order (AmazonOrderId) nor a list (Orders)",
        )),
    }
}

/// The `getOrderItems` pages of a composite: one body or a list of them.
fn item_pages(value: Option<&RawValue>) -> Result<Vec<&RawValue>> {
    let Some(v) = value else {
        return Ok(Vec::new());
    };
    if v.get().trim_start().starts_with('[') {
        decode_json_borrowed::<Vec<&RawValue>>(v.get())
    } else {
        Ok(vec![v])
    }
}

/// The orders a payload holds (see the module documentation for the shapes).
fn orders(text: &str) -> Result<(Vec<Order>, bool)> {
    let top: Top = decode_json_borrowed(text)?;
    let whole =
        || RawValue::from_string(text.to_owned()).map_err(|e| Error::decode("$", e.to_string()));
    if let Some(body) = top.get_order.or(top.get_orders) {
        let pages = item_pages(top.get_order_items)?;
        let (list, is_list) = v0_orders(body)?;
        let mut out = Vec::with_capacity(list.len());
        for (i, o) in list.iter().enumerate() {
            out.push(order_v0_with_pages(o, &pages).map_err(|e| at_index(e, i, is_list))?);
        }
        return Ok((out, is_list));
    }
    if let Some(body) = top.payload {
        let wrapped = format!(r#"{{"payload":{}}}"#, body.get());
        let wrapped =
            RawValue::from_string(wrapped).map_err(|e| Error::decode("$", e.to_string()))?;
        let (list, is_list) = v0_orders(&wrapped)?;
        let mut out = Vec::with_capacity(list.len());
        for (i, o) in list.iter().enumerate() {
            out.push(order_v0(o, &[], Raw::from_raw(o)).map_err(|e| at_index(e, i, is_list))?);
        }
        return Ok((out, is_list));
    }
    if let Some(list) = top.orders {
        let mut out = Vec::with_capacity(list.len());
        for (i, o) in list.iter().enumerate() {
            out.push(order_2026(o).map_err(|e| at_index(e, i, true))?);
        }
        return Ok((out, true));
    }
    if let Some(o) = top.order {
        return Ok((vec![order_2026(o)?], false));
    }
    if top.order_id.is_some() {
        return Ok((vec![order_2026(&whole()?)?], false));
    }
    if top.amazon_order_id.is_some() {
        let raw = whole()?;
        return Ok((vec![order_v0(&raw, &[], Raw::from_raw(&raw))?], false));
    }
    Err(Error::decode(
        "$",
        "not an SP-API order payload (order, orders, payload, or getOrder/getOrders with getOrderItems)",
    ))
}

/// `Connector::normalize`.
pub fn normalize(entity: Entity, text: &str, ctx: &StoreContext) -> Result<Normalized> {
    match entity {
        Entity::Order => {
            let (mut list, is_list) = orders(text)?;
            if is_list {
                Ok(Normalized::List(
                    list.into_iter().map(Record::from).collect(),
                ))
            } else {
                list.pop()
                    .map(|o| Normalized::One(o.into()))
                    .ok_or_else(|| Error::decode("$", "no order"))
            }
        }
        Entity::Inventory if text.contains("\"inventorySummaries\"") => {
            let (items, list) =
                match polycart_kit::envelope::Envelope::At("/payload/inventorySummaries")
                    .split(text)
                {
                    Ok(items) => (items, true),
                    Err(_) => (vec![decode_json_borrowed::<&RawValue>(text)?], false),
                };
            let mut out = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                out.extend(fba_inventory(item, ctx).map_err(|e| at_index(e, i, list))?);
            }
            Ok(Normalized::List(out))
        }
        Entity::Product | Entity::Inventory => {
            let map = if entity == Entity::Product {
                product
            } else {
                inventory
            };
            let (items, list) = polycart_kit::decode::split_envelope(text, &["items"])?;
            let mut out = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                out.extend(map(item, ctx).map_err(|e| at_index(e, i, list))?);
            }
            if list {
                Ok(Normalized::List(out))
            } else {
                out.pop()
                    .map(Normalized::One)
                    .ok_or_else(|| Error::decode("$", "no listing item"))
            }
        }
        other => Err(Error::entity_unsupported(PLATFORM, other)),
    }
}

/// A v2026 order payload's record (the adapter's listings map through this).
pub fn order_record(raw: &RawValue, _ctx: &StoreContext) -> Result<Vec<Record>> {
    Ok(vec![order_2026(raw)?.into()])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v0_composite_takes_items_from_the_second_call() {
        let order = r#"{"AmazonOrderId":"902-3159896-1390916","PurchaseDate":"2017-01-20T19:49:35Z","LastUpdateDate":"2017-01-20T19:49:35Z","OrderStatus":"Unshipped","OrderTotal":{"CurrencyCode":"USD","Amount":"30.00"}}"#;
        let items = r#"{"payload":{"AmazonOrderId":"902-3159896-1390916","OrderItems":[{"OrderItemId":"1","SellerSKU":"A","QuantityOrdered":3,"ItemPrice":{"CurrencyCode":"USD","Amount":"25.00"},"PromotionDiscount":{"CurrencyCode":"USD","Amount":"-2.00"},"ItemTax":{"CurrencyCode":"USD","Amount":"1.00"},"ShippingPrice":{"CurrencyCode":"USD","Amount":"6.00"}}]}}"#;
        let other = r#"{"payload":{"AmazonOrderId":"111-0000000-0000000","OrderItems":[{"OrderItemId":"9","QuantityOrdered":1}]}}"#;
        let text =
            format!(r#"{{"getOrder":{{"payload":{order}}},"getOrderItems":[{items},{other}]}}"#);
        let Normalized::One(Record::Order(o)) =
            normalize(Entity::Order, &text, &StoreContext::default()).unwrap()
        else {
            panic!("one order")
        };
        assert_eq!(o.platform_id, "902-3159896-1390916");
        assert_eq!(o.line_items.len(), 1, "only its own items");
        let l = &o.line_items[0];
        assert_eq!(l.total.as_ref().unwrap().amount.to_string(), "25.00");
        assert_eq!(l.unit_price, None, "25.00 / 3 does not divide exactly");
        assert_eq!(l.discount.as_ref().unwrap().amount.to_string(), "2.00");
        assert_eq!(
            o.totals.shipping.as_ref().unwrap().amount.to_string(),
            "6.00"
        );
        assert_eq!(o.status, Some(OrderStatus::Processing));
        // The record keeps the composite: normalising its raw gives the same order.
        let again = normalize(
            Entity::Order,
            o.raw.as_ref().unwrap().get(),
            &StoreContext::default(),
        )
        .unwrap();
        let Normalized::One(Record::Order(again)) = again else {
            panic!()
        };
        assert_eq!(again.line_items, o.line_items);
        // Alone, a v0 order maps without items.
        let alone = format!(r#"{{"payload":{order}}}"#);
        let Normalized::One(Record::Order(bare)) =
            normalize(Entity::Order, &alone, &StoreContext::default()).unwrap()
        else {
            panic!()
        };
        assert!(bare.line_items.is_empty());
        assert_eq!(bare.totals.total.unwrap().amount.to_string(), "30.00");
    }

    #[test]
    fn huge_amounts_do_not_overflow() {
        let big = r#"{"order":{"orderId":"111-1111111-1111111","orderItems":[{"orderItemId":"1","quantityOrdered":2,"product":{"price":{"unitPrice":{"amount":"79228162514264337593543950335","currencyCode":"USD"}}}}]}}"#;
        let Normalized::One(Record::Order(o)) =
            normalize(Entity::Order, big, &StoreContext::default()).unwrap()
        else {
            panic!()
        };
        assert_eq!(
            o.line_items[0].total, None,
            "no total rather than an overflow"
        );
        let v0 = r#"{"getOrder":{"payload":{"AmazonOrderId":"111-1111111-1111111"}},"getOrderItems":{"payload":{"OrderItems":[{"OrderItemId":"1","QuantityOrdered":3,"ItemPrice":{"CurrencyCode":"USD","Amount":"79228162514264337593543950335"}},{"OrderItemId":"2","QuantityOrdered":1,"ItemPrice":{"CurrencyCode":"USD","Amount":"79228162514264337593543950335"}}]}}}"#;
        assert!(
            normalize(Entity::Order, v0, &StoreContext::default()).is_err(),
            "a sum that overflows is a decode error"
        );
    }

    #[test]
    fn bad_payloads_are_typed_errors() {
        for bad in [
            "[]",
            "{}",
            r#"{"order":{"orderId":5}}"#,
            "nope",
            r#"{"orders":[{"orderId":"1","proceeds":{"grandTotal":{"amount":"x","currencyCode":"USD"}}}]}"#,
        ] {
            assert!(
                normalize(Entity::Order, bad, &StoreContext::default()).is_err(),
                "{bad}"
            );
        }
    }
}
