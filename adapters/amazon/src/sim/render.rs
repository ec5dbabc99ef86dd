//! The simulator's JSON, shaped after the SP-API models' examples (the fixtures under
//! `fixtures/amazon/`): Orders API 2026-01-01 orders (camelCase, `includedData`
//! sections), Orders API v0 orders and order items (PascalCase, no PII without an
//! RDT), and Listings Items 2021-08-01 items. Every amount is in US dollars, the
//! currency of the one marketplace the simulated seller sells in.

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use polycart_kit::sim::{SimLineItem, SimOrder, SimOrderState, SimProductStatus, cents};
use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::{AmazonSim, MARKETPLACE, Package};

const CURRENCY: &str = "USD";

/// An ISO 8601 UTC time, whole seconds, as Amazon writes them.
pub(super) fn time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn amount(d: Decimal) -> String {
    format!("{:.2}", cents(d))
}

fn money(d: Decimal) -> Value {
    json!({ "amount": amount(d), "currencyCode": CURRENCY })
}

fn money_v0(d: Decimal) -> Value {
    json!({ "CurrencyCode": CURRENCY, "Amount": amount(d) })
}

/// The Amazon order id (3-7-7 digits) of a generated order.
pub fn order_id(seed: u64, o: &SimOrder) -> String {
    format!(
        "{:03}-{:07}-{:07}",
        100 + seed % 900,
        o.id % 10_000_000,
        (o.number * 7_919) % 10_000_000
    )
}

/// The `includedData` sections of a 2026-01-01 request.
#[derive(Debug, Clone, Copy, Default)]
pub struct Included {
    pub buyer: bool,
    pub recipient: bool,
    pub fulfillment: bool,
    pub proceeds: bool,
    pub promotion: bool,
    pub packages: bool,
}

impl Included {
    /// Every section.
    pub fn all() -> Self {
        Self {
            buyer: true,
            recipient: true,
            fulfillment: true,
            proceeds: true,
            promotion: true,
            packages: true,
        }
    }

    /// Reads `BUYER,RECIPIENT,...`; the unknown value on error.
    pub fn parse(list: Option<&str>) -> Result<Self, String> {
        let mut i = Self::default();
        for v in list
            .unwrap_or("")
            .split(',')
            .map(str::trim)
            .filter(|v| !v.is_empty())
        {
            match v {
                "BUYER" => i.buyer = true,
                "RECIPIENT" => i.recipient = true,
                "FULFILLMENT" => i.fulfillment = true,
                "PROCEEDS" => i.proceeds = true,
                "PROMOTION" => i.promotion = true,
                "PACKAGES" => i.packages = true,
                "EXPENSE" | "CANCELLATION" => {}
                other => return Err(other.to_owned()),
            }
        }
        Ok(i)
    }
}

/// Units of `line` shipped, by the generated shipments and confirmed packages.
fn shipped(o: &SimOrder, packages: &[Package], line: &SimLineItem) -> u64 {
    let generated: u64 = o
        .shipments
        .iter()
        .flat_map(|s| &s.lines)
        .filter(|(id, _)| *id == line.id)
        .map(|(_, q)| u64::from(*q))
        .sum();
    let confirmed: u64 = packages
        .iter()
        .flat_map(|p| &p.lines)
        .filter(|(id, _)| *id == line.id.to_string())
        .map(|(_, q)| *q)
        .sum();
    generated + confirmed
}

/// Units of `line` not shipped yet.
pub(super) fn unshipped(o: &SimOrder, packages: &[Package], line: &SimLineItem) -> u64 {
    u64::from(line.quantity).saturating_sub(shipped(o, packages, line))
}

/// The 2026-01-01 `fulfillmentStatus` of an order.
pub(super) fn status(o: &SimOrder, packages: &[Package]) -> &'static str {
    match o.state {
        SimOrderState::Pending => "PENDING",
        SimOrderState::Cancelled => "CANCELLED",
        SimOrderState::Failed => "UNFULFILLABLE",
        SimOrderState::Completed => "SHIPPED",
        SimOrderState::Open | SimOrderState::OnHold => {
            let total: u64 = o.line_items.iter().map(|l| u64::from(l.quantity)).sum();
            let open: u64 = o.line_items.iter().map(|l| unshipped(o, packages, l)).sum();
            if open == 0 && total > 0 {
                "SHIPPED"
            } else if open < total {
                "PARTIALLY_SHIPPED"
            } else {
                "UNSHIPPED"
            }
        }
    }
}

fn status_v0(status: &str) -> &'static str {
    match status {
        "PENDING" => "Pending",
        "UNSHIPPED" => "Unshipped",
        "PARTIALLY_SHIPPED" => "PartiallyShipped",
        "SHIPPED" => "Shipped",
        "CANCELLED" => "Canceled",
        _ => "Unfulfillable",
    }
}

fn window(from: DateTime<Utc>, days: i64) -> Value {
    json!({
        "earliestDateTime": time(from + Duration::days(days)),
        "latestDateTime": time(from + Duration::days(days + 1)),
    })
}

fn ship_from() -> Value {
    json!({
        "name": "Sim Seller Warehouse",
        "addressLine1": "2201 Westlake Ave",
        "addressLine2": "Dock 4",
        "addressLine3": "",
        "city": "Seattle",
        "districtOrCounty": "King County",
        "stateOrRegion": "WA",
        "municipality": "",
        "postalCode": "98121",
        "countryCode": "US"
    })
}

/// The packages of an order: its generated shipments and confirmed packages.
fn packages_2026(o: &SimOrder, packages: &[Package]) -> Vec<Value> {
    let mut out: Vec<Value> = o
        .shipments
        .iter()
        .map(|s| {
            json!({
                "packageReferenceId": s.id.to_string(),
                "createdTime": time(s.created_at),
                "packageStatus": { "status": "DELIVERED", "detailedStatus": "DELIVERED" },
                "carrier": s.carrier,
                "shipTime": time(s.created_at),
                "shippingService": format!("{} Ground", s.carrier),
                "trackingNumber": s.tracking_number,
                "shipFromAddress": ship_from(),
                "packageItems": s.lines.iter().map(|(id, q)| json!({
                    "orderItemId": id.to_string(), "quantity": q, "transparencyCodes": []
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    out.extend(packages.iter().map(|p| {
        json!({
            "packageReferenceId": p.reference,
            "createdTime": time(p.at),
            "packageStatus": { "status": "IN_TRANSIT", "detailedStatus": "PICKED_UP" },
            "carrier": p.carrier,
            "shipTime": time(p.at),
            "shippingService": "Standard",
            "trackingNumber": p.tracking,
            "shipFromAddress": ship_from(),
            "packageItems": p.lines.iter().map(|(id, q)| json!({
                "orderItemId": id, "quantity": q, "transparencyCodes": []
            })).collect::<Vec<_>>(),
        })
    }));
    out
}

fn breakdown(kind: &str, d: Decimal) -> Value {
    json!({ "type": kind, "subtotal": money(d) })
}

/// A 2026-01-01 `Order` with the sections `included` names (items always).
pub(super) fn order_2026(
    seed: u64,
    o: &SimOrder,
    packages: &[Package],
    included: &Included,
) -> Value {
    let status = status(o, packages);
    let mut order = json!({
        "orderId": order_id(seed, o),
        "orderAliases": [{ "aliasId": format!("#{}", o.number), "aliasType": "SELLER_ORDER_ID" }],
        "createdTime": time(o.created_at),
        "lastUpdatedTime": time(o.updated_at),
        "programs": [],
        "salesChannel": {
            "channelName": "AMAZON",
            "marketplaceId": MARKETPLACE,
            "marketplaceName": "Amazon.com"
        },
    });
    let items: Vec<Value> = o
        .line_items
        .iter()
        .map(|l| {
            let done = shipped(o, packages, l).min(u64::from(l.quantity));
            let mut item = json!({
                "orderItemId": l.id.to_string(),
                "quantityOrdered": l.quantity,
                "programs": [],
                "product": {
                    "asin": format!("B0{:08}", l.variant_id % 100_000_000),
                    "title": l.title,
                    "sellerSku": l.sku,
                    "condition": { "conditionType": "NEW", "conditionSubtype": "NEW", "conditionNote": "" },
                    "price": { "unitPrice": money(l.price), "priceDesignation": "CONSUMER_PRICE" },
                    "serialNumbers": [],
                    "customization": { "customizedUrl": "" }
                },
            });
            if included.proceeds {
                let mut parts = vec![breakdown("ITEM", l.gross()), breakdown("TAX", l.tax)];
                if l.discount > Decimal::ZERO {
                    parts.push(breakdown("DISCOUNT", -l.discount));
                }
                item["proceeds"] = json!({
                    "proceedsTotal": money(l.gross() - l.discount + l.tax),
                    "breakdowns": parts,
                });
            }
            if included.promotion {
                let promos: Vec<Value> = o
                    .discount_codes
                    .iter()
                    .filter(|_| l.discount > Decimal::ZERO)
                    .map(|(code, _)| json!({ "promotionId": code }))
                    .collect();
                item["promotion"] = json!({ "breakdowns": promos });
            }
            if included.fulfillment {
                item["fulfillment"] = json!({
                    "quantityFulfilled": done,
                    "quantityUnfulfilled": u64::from(l.quantity) - done,
                    "shipping": {
                        "scheduledDeliveryWindow": window(o.created_at, 3),
                        "shippingConstraints": { "signatureConfirmation": "OPTIONAL", "recipientIdentityVerification": "OPTIONAL" }
                    }
                });
            }
            item
        })
        .collect();
    if included.buyer {
        order["buyer"] = json!({
            "buyerName": format!("{} {}", o.billing.first_name, o.billing.last_name),
            "buyerEmail": format!("{:x}@marketplace.amazon.com", o.id.wrapping_mul(2_654_435_761)),
        });
    }
    if included.recipient {
        let a = &o.shipping_address;
        order["recipient"] = json!({
            "deliveryAddress": {
                "name": format!("{} {}", a.first_name, a.last_name),
                "companyName": a.company.clone().unwrap_or_default(),
                "addressLine1": a.address1,
                "addressLine2": a.address2.clone().unwrap_or_default(),
                "addressLine3": "",
                "city": a.city,
                "districtOrCounty": "",
                "stateOrRegion": a.province_code,
                "municipality": "",
                "postalCode": a.zip,
                "countryCode": a.country_code,
                "phone": a.phone.clone().unwrap_or_default(),
                "addressType": if a.company.is_some() { "COMMERCIAL" } else { "RESIDENTIAL" }
            }
        });
    }
    if included.proceeds {
        let mut parts = vec![
            breakdown("ITEM", o.subtotal()),
            breakdown("SHIPPING", o.shipping_price),
            breakdown("TAX", o.total_tax()),
        ];
        if o.total_discount() > Decimal::ZERO {
            parts.push(breakdown("DISCOUNT", -o.total_discount()));
        }
        order["proceeds"] = json!({ "grandTotal": money(o.total()), "breakdowns": parts });
    }
    if included.fulfillment {
        order["fulfillment"] = json!({
            "fulfillmentStatus": status,
            "fulfilledBy": "MERCHANT",
            "fulfillmentServiceLevel": "STANDARD",
            "shipByWindow": window(o.created_at, 1),
            "deliverByWindow": window(o.created_at, 3),
        });
    }
    order["orderItems"] = Value::Array(items);
    if included.packages {
        order["packages"] = Value::Array(packages_2026(o, packages));
    }
    order
}

/// A v0 `Order`: buyer and address PII only with a Restricted Data Token (`pii`).
pub(super) fn order_v0(seed: u64, o: &SimOrder, packages: &[Package], pii: bool) -> Value {
    let status = status(o, packages);
    let total: u64 = o.line_items.iter().map(|l| u64::from(l.quantity)).sum();
    let open: u64 = o.line_items.iter().map(|l| unshipped(o, packages, l)).sum();
    let a = &o.shipping_address;
    let mut order = json!({
        "AmazonOrderId": order_id(seed, o),
        "SellerOrderId": format!("#{}", o.number),
        "PurchaseDate": time(o.created_at),
        "LastUpdateDate": time(o.updated_at),
        "OrderStatus": status_v0(status),
        "FulfillmentChannel": "MFN",
        "SalesChannel": "Amazon.com",
        "ShipServiceLevel": "Std US D2D Dom",
        "NumberOfItemsShipped": total - open,
        "NumberOfItemsUnshipped": open,
        "PaymentMethod": "Other",
        "PaymentMethodDetails": ["Standard"],
        "MarketplaceId": MARKETPLACE,
        "ShipmentServiceLevelCategory": "Standard",
        "OrderType": "StandardOrder",
        "EarliestShipDate": time(o.created_at + Duration::days(1)),
        "LatestShipDate": time(o.created_at + Duration::days(2)),
        "IsBusinessOrder": false,
        "IsPrime": false,
        "IsGlobalExpressEnabled": false,
        "IsPremiumOrder": false,
        "IsSoldByAB": false,
        "IsIBA": false,
        "IsISPU": false,
        "IsAccessPointOrder": false,
        "ShippingAddress": {
            "City": a.city,
            "StateOrRegion": a.province_code,
            "PostalCode": a.zip,
            "CountryCode": a.country_code
        },
        "BuyerInfo": {},
        "AutomatedShippingSettings": { "HasAutomatedShippingSettings": false }
    });
    if pii {
        order["ShippingAddress"]["Name"] = json!(format!("{} {}", a.first_name, a.last_name));
        order["ShippingAddress"]["AddressLine1"] = json!(a.address1);
        if let Some(line2) = &a.address2 {
            order["ShippingAddress"]["AddressLine2"] = json!(line2);
        }
        if let Some(phone) = &a.phone {
            order["ShippingAddress"]["Phone"] = json!(phone);
        }
        order["BuyerInfo"] = json!({
            "BuyerEmail": format!("{:x}@marketplace.amazon.com", o.id.wrapping_mul(2_654_435_761)),
            "BuyerName": format!("{} {}", o.billing.first_name, o.billing.last_name),
        });
    }
    // Amazon leaves the total out while an order is pending.
    if status != "PENDING" {
        order["OrderTotal"] = money_v0(o.total());
    }
    order
}

/// A v0 order's `OrderItems`: `ItemPrice` is the price of all units; the order's
/// shipping is charged on its first item.
pub(super) fn order_items_v0(o: &SimOrder, packages: &[Package]) -> Vec<Value> {
    o.line_items
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let shipping = if i == 0 {
                o.shipping_price
            } else {
                Decimal::ZERO
            };
            let mut item = json!({
                "ASIN": format!("B0{:08}", l.variant_id % 100_000_000),
                "OrderItemId": l.id.to_string(),
                "SellerSKU": l.sku,
                "Title": l.title,
                "QuantityOrdered": l.quantity,
                "QuantityShipped": shipped(o, packages, l).min(u64::from(l.quantity)),
                "ProductInfo": { "NumberOfItems": "1" },
                "ItemPrice": money_v0(l.gross()),
                "ItemTax": money_v0(l.tax),
                "ShippingPrice": money_v0(shipping),
                "ShippingTax": money_v0(Decimal::ZERO),
                "ShippingDiscount": money_v0(Decimal::ZERO),
                "PromotionDiscount": money_v0(l.discount),
                "PromotionDiscountTax": money_v0(Decimal::ZERO),
                "IsGift": "false",
                "ConditionId": "New",
                "ConditionSubtypeId": "New",
                "IsTransparency": false,
                "SerialNumberRequired": false,
                "PriceDesignation": "ConsumerPrice",
            });
            if l.discount > Decimal::ZERO {
                item["PromotionIds"] = json!(
                    o.discount_codes
                        .iter()
                        .map(|(c, _)| c.clone())
                        .collect::<Vec<_>>()
                );
            }
            item
        })
        .collect()
}

/// A Listings Items `Item` for a SKU, with the sections asked for.
pub(super) fn listing(sim: &AmazonSim, sku: &str, sections: &[String]) -> Option<Value> {
    let store = sim.store();
    if sim.extra().deleted_skus.contains(sku) {
        return None;
    }
    let (p, v) = store
        .products
        .iter()
        .filter(|p| !p.deleted)
        .find_map(|p| p.variants.iter().find(|v| v.sku == sku).map(|v| (p, v)))?;
    let name = if p.variants.len() > 1 {
        format!("{} - {}", p.title, v.title)
    } else {
        p.title.clone()
    };
    let has = |s: &str| sections.iter().any(|x| x == s);
    let mut item = json!({ "sku": v.sku });
    if has("summaries") {
        let status: Vec<&str> = match p.status {
            SimProductStatus::Active => vec!["BUYABLE", "DISCOVERABLE"],
            SimProductStatus::Draft => vec!["DISCOVERABLE"],
            SimProductStatus::Archived => vec![],
        };
        item["summaries"] = json!([{
            "marketplaceId": MARKETPLACE,
            "asin": format!("B0{:08}", v.id % 100_000_000),
            "productType": p.product_type.to_ascii_uppercase().replace(' ', "_"),
            "conditionType": "new_new",
            "status": status,
            "itemName": name,
            "createdDate": time(p.created_at.min(v.created_at)),
            "lastUpdatedDate": time(p.updated_at.max(v.updated_at)),
            "mainImage": p.images.first().map(|i| json!({ "link": i.url, "height": 1000, "width": 1000 }))
        }]);
    }
    if has("attributes") {
        let text = |value: &str| json!([{ "value": value, "language_tag": "en_US", "marketplace_id": MARKETPLACE }]);
        item["attributes"] = json!({
            "item_name": text(&name),
            "brand": text(&p.vendor),
            "product_description": text(&p.description_html),
            "bullet_point": text(&p.product_type),
        });
    }
    if has("issues") {
        item["issues"] = json!([]);
    }
    if has("offers") {
        item["offers"] = json!([{
            "marketplaceId": MARKETPLACE,
            "offerType": "B2C",
            "price": { "currencyCode": CURRENCY, "amount": amount(v.price) },
            "audience": { "value": "ALL", "displayName": "Sell on Amazon" }
        }]);
    }
    if has("fulfillmentAvailability") {
        item["fulfillmentAvailability"] = json!([{
            "fulfillmentChannelCode": "DEFAULT",
            "quantity": v.total_stock().max(0)
        }]);
    }
    Some(item)
}

/// An FBA Inventory `InventorySummary` of a SKU: its stock held in Amazon's
/// warehouses, all of it fulfillable (with `details`).
pub(super) fn inventory_summary(sim: &AmazonSim, sku: &str, details: bool) -> Option<Value> {
    let store = sim.store();
    if sim.extra().deleted_skus.contains(sku) {
        return None;
    }
    let (p, v) = store
        .products
        .iter()
        .filter(|p| !p.deleted)
        .find_map(|p| p.variants.iter().find(|v| v.sku == sku).map(|v| (p, v)))?;
    let stock = v.total_stock().max(0);
    let mut summary = json!({
        "asin": format!("B0{:08}", v.id % 100_000_000),
        "fnSku": format!("X00{:07}", v.id % 10_000_000),
        "sellerSku": v.sku,
        "condition": "NewItem",
        "lastUpdatedTime": time(p.updated_at.max(v.updated_at)),
        "productName": p.title,
        "totalQuantity": stock
    });
    if details {
        summary["inventoryDetails"] = json!({
            "fulfillableQuantity": stock,
            "inboundWorkingQuantity": 0,
            "inboundShippedQuantity": 0,
            "inboundReceivingQuantity": 0,
            "reservedQuantity": {
                "totalReservedQuantity": 0,
                "pendingCustomerOrderQuantity": 0,
                "pendingTransshipmentQuantity": 0,
                "fcProcessingQuantity": 0
            },
            "researchingQuantity": { "totalResearchingQuantity": 0, "researchingQuantityBreakdown": [] },
            "unfulfillableQuantity": {
                "totalUnfulfillableQuantity": 0,
                "customerDamagedQuantity": 0,
                "warehouseDamagedQuantity": 0,
                "distributorDamagedQuantity": 0,
                "carrierDamagedQuantity": 0,
                "defectiveQuantity": 0,
                "expiredQuantity": 0
            }
        });
    }
    Some(summary)
}
