//! The [`Adapter`] for one Amazon seller account: what SP-API offers per entity, its
//! listings declared as kit [`Endpoint`]s, each sent through its operation's own
//! transport (Amazon's per-operation token buckets), and `confirmShipment`.
//!
//! - Orders, 2026-01-01 (default): `searchOrders` with `marketplaceIds`,
//!   `lastUpdatedAfter` (incremental) or `createdAfter` (a full pass), `includedData`,
//!   `maxResultsPerPage`, and `paginationToken` from `pagination.nextToken`.
//! - Orders, v0 (setting `orders_api=v0`): `getOrders` (`payload.Orders`,
//!   `payload.NextToken`), then `getOrderItems` for each order of the page, the order
//!   and its items kept as one composite (see `mapping`).
//! - Products: Listings Items `searchListingsItems` for the seller (sorted by SKU, so
//!   a listing changed mid-pass keeps its place), `lastUpdatedAfter`, `pageToken`.
//!
//! Amazon counts nothing: `count` is unsupported.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{SecondsFormat, Utc};
use polycart_kit::adapter::{EntityCapabilities, IdRole, Precision};
use polycart_kit::connector::AdapterContext;
use polycart_kit::endpoint::{Call, Endpoint, PathTemplate, Target};
use polycart_kit::envelope::Envelope;
use polycart_kit::error::{decode_json, decode_json_borrowed};
use polycart_kit::paging::{BodyToken, Bound, DateFormat, Paging, Since};
use polycart_kit::transport::{Request, Transport};
use polycart_kit::{
    Adapter, ApiPath, Capabilities, Entity, Error, IdGrammar, InventoryChange, ListQuery, Page,
    Record, Result, StoreConfig, StoreContext, Write, WriteCapabilities, WriteOp,
};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::json;
use serde_json::value::RawValue;

use crate::PLATFORM;
use crate::client::{self, Operation};
use crate::config::{AmazonConfig, InventorySource, OrdersApi};
use crate::mapping;

/// The largest page of `searchOrders` / `getOrders` (`maxResultsPerPage` ≤ 100).
pub const MAX_ORDERS_PAGE: u32 = 100;
/// The largest page of `searchListingsItems` (`pageSize` ≤ 20).
pub const MAX_LISTINGS_PAGE: u32 = 20;
/// A v0 order's item pages followed at most (each holds up to 100 items).
const MAX_ITEM_PAGES: usize = 50;
/// The sections a 2026-01-01 order is asked for (items always come).
pub const INCLUDED_DATA: &str = "BUYER,RECIPIENT,FULFILLMENT,PROCEEDS,PROMOTION,PACKAGES";
/// The sections of a listing.
pub const LISTING_DATA: &str = "summaries,attributes,offers,fulfillmentAvailability";
/// The lower bound of a full pass: Amazon requires a date filter, and serves orders
/// of the last two years (from 2016 in JP, AU and SG) whatever the bound.
pub const FULL_PASS_FROM: &str = "2016-01-01T00:00:00Z";

/// What Amazon offers: orders and (with a seller id) products and their
/// merchant-fulfilled stock, listed by modification time and read by id; shipments
/// confirmed, listing prices and stock patched; no counts, no webhooks (notifications go
/// to SQS or EventBridge).
pub fn capabilities() -> Capabilities {
    Capabilities {
        entities: vec![
            EntityCapabilities::basic(Entity::Order, MAX_ORDERS_PAGE)
                .without_count()
                .incremental("lastUpdatedAfter", Precision::Second),
            EntityCapabilities::basic(Entity::Product, MAX_LISTINGS_PAGE)
                .without_count()
                .incremental("lastUpdatedAfter", Precision::Second),
            EntityCapabilities::basic(Entity::Inventory, MAX_LISTINGS_PAGE)
                .without_count()
                .incremental("lastUpdatedAfter", Precision::Second),
        ],
        bulk_export: false,
        writes: WriteCapabilities {
            product_price: true,
            inventory_set: true,
            shipment_create: true,
            ..WriteCapabilities::default()
        },
        webhooks: false,
        webhook_registration: false,
    }
}

/// `createdAfter` for a full pass (no `updated_since`): Amazon needs one date filter.
fn full_pass_2026(q: &ListQuery) -> Result<Vec<(&'static str, String)>> {
    Ok(match q.updated_since {
        None => vec![("createdAfter", FULL_PASS_FROM.to_owned())],
        Some(_) => Vec::new(),
    })
}

fn full_pass_v0(q: &ListQuery) -> Result<Vec<(&'static str, String)>> {
    Ok(match q.updated_since {
        None => vec![("CreatedAfter", FULL_PASS_FROM.to_owned())],
        Some(_) => Vec::new(),
    })
}

/// `GET /orders/2026-01-01/orders` (searchOrders).
const SEARCH_ORDERS: Endpoint<StoreContext> = Endpoint {
    path: PathTemplate("orders/2026-01-01/orders"),
    call: Call::Get,
    params: &[("includedData", INCLUDED_DATA)],
    headers: &[("accept", "application/json")],
    paging: Paging::Token(BodyToken {
        param: "paginationToken",
        size: Some("maxResultsPerPage"),
        next: "/pagination/nextToken",
        more: None,
        // The token goes with the same filters, unchanged.
        filters_first_page_only: false,
    }),
    envelope: Envelope::At("/orders"),
    since: Some(Since {
        bound: Bound::Inclusive("lastUpdatedAfter"),
        format: DateFormat::Rfc3339,
    }),
    filters: Some(full_pass_2026),
    max_page: MAX_ORDERS_PAGE,
    map: mapping::order_record,
};

/// `GET /orders/v0/orders` (getOrders). `NextToken` overrides the other criteria;
/// they are sent again unchanged, as the required `MarketplaceIds` must be.
const GET_ORDERS_V0: Endpoint<StoreContext> = Endpoint {
    path: PathTemplate("orders/v0/orders"),
    call: Call::Get,
    params: &[],
    headers: &[("accept", "application/json")],
    paging: Paging::Token(BodyToken {
        param: "NextToken",
        size: Some("MaxResultsPerPage"),
        next: "/payload/NextToken",
        more: None,
        filters_first_page_only: false,
    }),
    envelope: Envelope::At("/payload/Orders"),
    since: Some(Since {
        bound: Bound::Inclusive("LastUpdatedAfter"),
        format: DateFormat::Rfc3339,
    }),
    filters: Some(full_pass_v0),
    max_page: MAX_ORDERS_PAGE,
    // Unused: v0 orders are mapped with their items (`AmazonAdapter::list_v0`).
    map: mapping::order_record,
};

/// `GET /listings/2021-08-01/items/{sellerId}` (searchListingsItems).
const SEARCH_LISTINGS: Endpoint<StoreContext> = Endpoint {
    path: PathTemplate("listings/2021-08-01/items/{seller_id:token}"),
    call: Call::Get,
    params: &[
        ("includedData", LISTING_DATA),
        ("sortBy", "sku"),
        ("sortOrder", "ASC"),
    ],
    headers: &[("accept", "application/json")],
    paging: Paging::Token(BodyToken {
        param: "pageToken",
        size: Some("pageSize"),
        next: "/pagination/nextToken",
        more: None,
        filters_first_page_only: false,
    }),
    envelope: Envelope::At("/items"),
    since: Some(Since {
        bound: Bound::Inclusive("lastUpdatedAfter"),
        format: DateFormat::Rfc3339,
    }),
    filters: None,
    max_page: MAX_LISTINGS_PAGE,
    map: mapping::product,
};

/// The same listing, for its merchant-fulfilled stock (`fulfillmentAvailability`).
const SEARCH_LEVELS: Endpoint<StoreContext> = Endpoint {
    params: &[
        ("includedData", "summaries,fulfillmentAvailability"),
        ("sortBy", "sku"),
        ("sortOrder", "ASC"),
    ],
    map: mapping::inventory,
    ..SEARCH_LISTINGS
};

/// How far back `startDateTime` may reach: Amazon refuses more than 18 months.
const FBA_HORIZON_DAYS: i64 = 540;

/// `startDateTime` of an incremental FBA read ("changed after": the second before the
/// first one wanted); a full pass, or one reaching further back than Amazon allows,
/// reads every summary.
fn fba_since(q: &ListQuery) -> Result<Vec<(&'static str, String)>> {
    Ok(match q.updated_since {
        Some(t) if t > Utc::now() - chrono::Duration::days(FBA_HORIZON_DAYS) => vec![(
            "startDateTime",
            DateFormat::Rfc3339.format(polycart_kit::paging::first_second(t) - 1),
        )],
        _ => Vec::new(),
    })
}

/// `GET /fba/inventory/v1/summaries` (getInventorySummaries), 50 a page (Amazon takes
/// no page size); `startDateTime` goes with every `nextToken`, as Amazon asks.
const FBA_SUMMARIES: Endpoint<StoreContext> = Endpoint {
    path: PathTemplate("fba/inventory/v1/summaries"),
    call: Call::Get,
    params: &[("details", "true"), ("granularityType", "Marketplace")],
    headers: &[("accept", "application/json")],
    paging: Paging::Token(BodyToken {
        param: "nextToken",
        size: None,
        next: "/pagination/nextToken",
        more: None,
        filters_first_page_only: false,
    }),
    envelope: Envelope::At("/payload/inventorySummaries"),
    since: None,
    filters: Some(fba_since),
    max_page: 50,
    map: mapping::fba_inventory,
};

/// An Amazon order id: `3-7-7` digits (`902-3159896-1390916`).
pub fn check_order_id(id: &str) -> Result<&str> {
    let parts: Vec<&str> = id.split('-').collect();
    let ok = parts.len() == 3
        && [3, 7, 7]
            .iter()
            .zip(&parts)
            .all(|(n, p)| p.len() == *n && p.bytes().all(|b| b.is_ascii_digit()));
    if ok {
        Ok(id)
    } else {
        Err(Error::not_found(format!(
            "{:?} (Amazon order ids are 3-7-7 digits)",
            polycart_kit::error::excerpt(id, 40)
        )))
    }
}

/// The longest SKU Amazon takes.
pub const MAX_SKU: usize = 40;

/// A seller SKU as polycart sends it in a path or a query: 1 to 40 ASCII letters,
/// digits, spaces and `-_.,:()+&*@!'`, not starting or ending with a space and not
/// only dots. Amazon allows more (a SKU with `/`, `%`, `#` or non-ASCII letters
/// exists), but no such text is let near a URL: those SKUs are a documented gap.
pub fn check_sku(sku: &str) -> Result<&str> {
    const MARKS: &[u8] = b" -_.,:()+&*@!'";
    let ok = (1..=MAX_SKU).contains(&sku.len())
        && sku.trim() == sku
        && sku
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || MARKS.contains(&b))
        && !sku.bytes().all(|b| b == b'.');
    if ok {
        Ok(sku)
    } else {
        Err(Error::not_found(format!(
            "{:?} (Amazon SKUs here are 1 to {MAX_SKU} letters, digits, spaces and -_.,:()+&*@!')",
            polycart_kit::error::excerpt(sku, 40)
        )))
    }
}

/// The ids a write names: orders by Amazon's grammar, line items by digits, listings
/// by their SKU.
fn check_id(role: IdRole, id: &str) -> Result<String> {
    match role {
        IdRole::Order => check_order_id(id).map(str::to_owned),
        IdRole::LineItem => IdGrammar::Numeric.check(id).map(str::to_owned),
        IdRole::Location => IdGrammar::Token.check(id).map(str::to_owned),
        IdRole::Product | IdRole::Variant => check_sku(id).map(str::to_owned),
    }
}

/// Amazon's carrier codes a shipment confirmation takes as they are; others go as
/// `Other` with the carrier's name.
const CARRIER_CODES: &[&str] = &[
    "UPS",
    "USPS",
    "FedEx",
    "DHL",
    "DHL eCommerce",
    "Royal Mail",
    "Amazon Shipping",
    "Canada Post",
    "Deutsche Post",
    "DPD",
    "GLS",
    "Hermes",
    "Japan Post",
    "Yamato Transport",
    "OnTrac",
    "Australia Post",
];

/// A listing's mapping to records.
type MapFn = fn(&RawValue, &StoreContext) -> Result<Vec<Record>>;

/// The transports of the operations this adapter calls, one bucket each.
struct Operations {
    search_orders: Transport,
    get_order: Transport,
    get_orders_v0: Transport,
    get_order_items: Transport,
    confirm_shipment: Transport,
    search_listings: Transport,
    get_listing: Transport,
    patch_listing: Transport,
    inventory_summaries: Transport,
}

/// One connected Amazon seller account.
pub struct AmazonAdapter {
    config: AmazonConfig,
    ops: Operations,
    capabilities: Capabilities,
    context: StoreContext,
}

impl std::fmt::Debug for AmazonAdapter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AmazonAdapter")
            .field("api_root", &self.config.api_root.as_str())
            .field("marketplaces", &self.config.marketplace_ids)
            .finish_non_exhaustive()
    }
}

impl AmazonAdapter {
    /// Builds the adapter; no request is sent until the first call.
    pub fn new(store: &StoreConfig, ctx: &AdapterContext) -> Result<Self> {
        let config = AmazonConfig::from_store(store)?;
        let auth = client::auth(&config, ctx)?;
        let t = |op: Operation| client::transport(store, &auth, op, ctx);
        // v0 order reads go with a Restricted Data Token where the store asks for PII.
        let v0_auth: Arc<dyn polycart_kit::auth::Auth> =
            if config.restricted_data && config.orders_api == OrdersApi::V0 {
                Arc::new(client::RestrictedData::new(
                    t(client::CREATE_RDT),
                    auth.clone(),
                    &config.api_root,
                )?)
            } else {
                auth.clone()
            };
        let v0 = |op: Operation| client::transport(store, &v0_auth, op, ctx);
        let ops = Operations {
            search_orders: t(client::SEARCH_ORDERS),
            get_order: match config.orders_api {
                OrdersApi::V0 => v0(client::GET_ORDER),
                OrdersApi::V2026 => t(client::GET_ORDER),
            },
            get_orders_v0: v0(client::GET_ORDERS_V0),
            get_order_items: v0(client::GET_ORDER_ITEMS),
            confirm_shipment: t(client::CONFIRM_SHIPMENT),
            search_listings: t(client::SEARCH_LISTINGS),
            get_listing: t(client::GET_LISTING),
            patch_listing: t(client::PATCH_LISTING),
            inventory_summaries: t(client::INVENTORY_SUMMARIES),
        };
        let mut capabilities = capabilities();
        if config.inventory == InventorySource::Fba {
            // Amazon's own stock: read here, changed by shipments to its warehouses.
            capabilities.writes.inventory_set = false;
            for e in &mut capabilities.entities {
                if e.entity == Entity::Inventory {
                    *e = EntityCapabilities::basic(Entity::Inventory, 50)
                        .without_count()
                        .incremental("startDateTime", Precision::Second);
                }
            }
        }
        if config.seller_id.is_none() {
            let fba = config.inventory == InventorySource::Fba;
            capabilities.entities.retain(|e| match e.entity {
                Entity::Product => false,
                Entity::Inventory => fba,
                _ => true,
            });
            capabilities.writes.product_price = false;
            capabilities.writes.inventory_set = false;
        }
        Ok(Self {
            config,
            ops,
            capabilities,
            context: StoreContext::default(),
        })
    }

    /// The governor of an operation (tests read the budgets it learnt).
    pub fn governor(&self, operation: &str) -> Option<&Arc<polycart_kit::transport::Governor>> {
        let o = &self.ops;
        Some(match operation {
            "searchOrders" => o.search_orders.governor(),
            "getOrder" => o.get_order.governor(),
            "getOrders" => o.get_orders_v0.governor(),
            "getOrderItems" => o.get_order_items.governor(),
            "confirmShipment" => o.confirm_shipment.governor(),
            "searchListingsItems" => o.search_listings.governor(),
            "getListingsItem" => o.get_listing.governor(),
            "patchListingsItem" => o.patch_listing.governor(),
            "getInventorySummaries" => o.inventory_summaries.governor(),
            _ => return None,
        })
    }

    fn marketplaces(&self) -> String {
        self.config.marketplace_ids.join(",")
    }

    fn seller(&self) -> Result<&str> {
        self.config.seller_id.as_deref().ok_or_else(|| {
            Error::unsupported(
                PLATFORM,
                "products without a seller_id credential (the Listings Items API names the seller)",
            )
        })
    }

    /// Every `getOrderItems` page of a v0 order.
    async fn item_pages(&self, order_id: &str) -> Result<Vec<Box<RawValue>>> {
        #[derive(Deserialize)]
        struct Next {
            payload: Option<NextPayload>,
        }
        #[derive(Deserialize)]
        struct NextPayload {
            #[serde(rename = "NextToken")]
            next: Option<String>,
        }
        let url = ApiPath::new("orders/v0/orders")
            .id(IdGrammar::Token, check_order_id(order_id)?)?
            .lit("orderItems")
            .under(&self.config.api_root);
        let mut pages = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let mut request = Request::get(url.clone());
            if let Some(t) = &token {
                request = request.query([("NextToken", t.as_str())]);
            }
            let response = self.ops.get_order_items.send(request).await?;
            let text = response.text()?;
            let next: Next = decode_json(text)?;
            pages.push(
                RawValue::from_string(text.to_owned())
                    .map_err(|e| Error::decode("$", e.to_string()))?,
            );
            token = next.payload.and_then(|p| p.next).filter(|t| !t.is_empty());
            if token.is_none() {
                return Ok(pages);
            }
            if pages.len() >= MAX_ITEM_PAGES {
                return Err(Error::decode(
                    "$.payload.NextToken",
                    format!("more than {MAX_ITEM_PAGES} pages of items"),
                ));
            }
        }
    }

    /// One v0 order with its items.
    async fn with_items(&self, order: &RawValue) -> Result<Record> {
        #[derive(Deserialize)]
        struct Id {
            #[serde(rename = "AmazonOrderId")]
            id: String,
        }
        let id: Id = decode_json(order.get())?;
        let pages = self.item_pages(&id.id).await?;
        let refs: Vec<&RawValue> = pages.iter().map(|p| p.as_ref()).collect();
        Ok(mapping::order_v0_with_pages(order, &refs)?.into())
    }

    async fn list_v0(&self, query: &ListQuery) -> Result<Page> {
        let at = Target::new(&self.ops.get_orders_v0, &self.config.api_root);
        let extra = [("MarketplaceIds", self.marketplaces())];
        let page = GET_ORDERS_V0.fetch(at, query, &extra).await?;
        let mut records = Vec::with_capacity(page.items.len());
        for item in &page.items {
            records.push(self.with_items(item).await?);
        }
        Ok(Page {
            records,
            next: page.next,
        })
    }

    async fn get_order(&self, id: &str) -> Result<Record> {
        let path = match self.config.orders_api {
            OrdersApi::V2026 => ApiPath::new("orders/2026-01-01/orders"),
            OrdersApi::V0 => ApiPath::new("orders/v0/orders"),
        }
        .id(IdGrammar::Token, check_order_id(id)?)?;
        let url = path.under(&self.config.api_root);
        match self.config.orders_api {
            OrdersApi::V2026 => {
                #[derive(Deserialize)]
                struct Body<'a> {
                    #[serde(borrow)]
                    order: &'a RawValue,
                }
                let request = Request::get(url).query([("includedData", INCLUDED_DATA)]);
                let response = self.ops.get_order.send(request).await?;
                let body: Body = decode_json_borrowed(response.text()?)?;
                Ok(mapping::order_2026(body.order)?.into())
            }
            OrdersApi::V0 => {
                #[derive(Deserialize)]
                struct Body<'a> {
                    #[serde(borrow)]
                    payload: &'a RawValue,
                }
                let response = self.ops.get_order.send(Request::get(url)).await?;
                let body: Body = decode_json_borrowed(response.text()?)?;
                self.with_items(body.payload).await
            }
        }
    }

    fn listing_url(&self, sku: &str) -> Result<url::Url> {
        Ok(ApiPath::new("listings/2021-08-01/items")
            .id(IdGrammar::Token, self.seller()?)?
            .id(IdGrammar::Text, check_sku(sku)?)?
            .under(&self.config.api_root))
    }

    /// `getListingsItem` with `sections`, as its raw JSON.
    async fn listing(&self, sku: &str, sections: &str) -> Result<Box<RawValue>> {
        let request = Request::get(self.listing_url(sku)?).query([
            ("marketplaceIds", self.config.marketplace()),
            ("includedData", sections),
        ]);
        let response = self.ops.get_listing.send(request).await?;
        decode_json(response.text()?)
    }

    /// One SKU's FBA summary (`sellerSkus`, a comma list: a SKU with a comma cannot be
    /// asked for alone).
    async fn get_fba_level(&self, sku: &str) -> Result<Record> {
        let sku = check_sku(sku)?;
        if sku.contains(',') {
            return Err(Error::invalid(
                "FBA summaries cannot be asked for a SKU with a comma",
            ));
        }
        let m = self.config.marketplace();
        let url = ApiPath::new("fba/inventory/v1/summaries").under(&self.config.api_root);
        let request = Request::get(url).query([
            ("details", "true"),
            ("granularityType", "Marketplace"),
            ("granularityId", m),
            ("marketplaceIds", m),
            ("sellerSkus", sku),
        ]);
        let response = self.ops.inventory_summaries.send(request).await?;
        let items = Envelope::At("/payload/inventorySummaries").split(response.text()?)?;
        for item in items {
            for record in mapping::fba_inventory(item, &self.context)? {
                if record.platform_id() == sku {
                    return Ok(record);
                }
            }
        }
        Err(Error::not_found(format!("FBA inventory of {sku}")))
    }

    async fn get_listing_record(&self, entity: Entity, sku: &str) -> Result<Record> {
        let sku = check_sku(sku)?;
        if entity == Entity::Inventory && self.config.inventory == InventorySource::Fba {
            return self.get_fba_level(sku).await;
        }
        let (sections, map): (&str, MapFn) = match entity {
            Entity::Inventory => ("summaries,fulfillmentAvailability", mapping::inventory),
            _ => (LISTING_DATA, mapping::product),
        };
        let raw = self.listing(sku, sections).await?;
        map(&raw, &self.context)?
            .pop()
            .ok_or_else(|| Error::not_found(format!("{entity} {sku}")))
    }

    /// `patchListingsItem` with JSON-patch `patches` (the listing's product type, which
    /// Amazon requires, read first); Amazon validates and applies asynchronously, so
    /// an `ACCEPTED` answer is success and anything else is refused with its issue.
    async fn patch_listing(&self, sku: &str, patches: serde_json::Value) -> Result<()> {
        let current = self.listing(sku, "summaries").await?;
        let current: serde_json::Value = decode_json(current.get())?;
        let product_type = current
            .pointer("/summaries/0/productType")
            .and_then(|v| v.as_str())
            .ok_or_else(|| Error::decode("$.summaries[0].productType", "missing"))?;
        let body = json!({ "productType": product_type, "patches": patches });
        // Replacing a value is idempotent: repeating it leaves the same listing.
        let request = Request::new(http::Method::PATCH, self.listing_url(sku)?)
            .query([("marketplaceIds", self.config.marketplace())])
            .json(&body)
            .idempotent(true);
        let response = self.ops.patch_listing.send(request).await?;
        let answer: serde_json::Value = response.json()?;
        match answer.get("status").and_then(|s| s.as_str()) {
            Some("ACCEPTED") => Ok(()),
            other => {
                let issue = answer
                    .pointer("/issues/0/message")
                    .and_then(|m| m.as_str())
                    .unwrap_or("no issue given");
                Err(Error::invalid(format!(
                    "Amazon refused the listing change ({}): {}",
                    other.unwrap_or("no status"),
                    polycart_kit::error::excerpt(issue, 200)
                )))
            }
        }
    }

    /// A listing's price (`purchasable_offer.our_price`) in the marketplace's currency.
    async fn set_price(&self, sku: &str, price: Decimal) -> Result<()> {
        if price < Decimal::ZERO || price > Decimal::from(1_000_000_000) {
            return Err(Error::invalid("price out of range"));
        }
        let offers = self.listing(sku, "offers").await?;
        let offers: serde_json::Value = decode_json(offers.get())?;
        let currency = offers
            .pointer("/offers/0/price/currencyCode")
            .and_then(|c| c.as_str())
            .unwrap_or("USD")
            .to_owned();
        let amount: serde_json::Value = serde_json::from_str(&price.normalize().to_string())
            .map_err(|_| Error::invalid(format!("{price} is not a price Amazon reads")))?;
        self.patch_listing(
            sku,
            json!([{
                "op": "replace",
                "path": "/attributes/purchasable_offer",
                "value": [{
                    "marketplace_id": self.config.marketplace(),
                    "currency": currency,
                    "our_price": [{ "schedule": [{ "value_with_tax": amount }] }]
                }]
            }]),
        )
        .await
    }

    /// A listing's merchant-fulfilled quantity (`fulfillment_availability`).
    async fn set_quantity(&self, sku: &str, quantity: i64) -> Result<()> {
        if !(0..=1_000_000_000).contains(&quantity) {
            return Err(Error::invalid("quantity out of range (0 to 1000000000)"));
        }
        self.patch_listing(
            sku,
            json!([{
                "op": "replace",
                "path": "/attributes/fulfillment_availability",
                "value": [{ "fulfillment_channel_code": "DEFAULT", "quantity": quantity }]
            }]),
        )
        .await
    }

    /// `confirmShipment` for the order's unshipped quantities (or the lines given).
    async fn confirm_shipment(&self, write: &WriteOp) -> Result<Record> {
        let WriteOp::CreateShipment {
            order_id,
            carrier,
            tracking_number,
            line_items,
            ..
        } = write
        else {
            return Err(Error::unsupported(PLATFORM, write.name()));
        };
        let tracking = tracking_number
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                Error::invalid("Amazon needs a tracking number to confirm a shipment")
            })?;
        if tracking.len() > 100 {
            return Err(Error::invalid("tracking number longer than 100 characters"));
        }
        let Record::Order(order) = self.get_order(order_id).await? else {
            return Err(Error::decode("$", "not an order"));
        };
        let items: Vec<(String, Decimal)> = if line_items.is_empty() {
            order
                .line_items
                .iter()
                .map(|l| {
                    // Checked: quantities come from Amazon's answer.
                    let open = order
                        .shipments
                        .iter()
                        .flat_map(|s| &s.line_items)
                        .filter(|s| s.line_item_id.as_deref() == Some(l.platform_id.as_str()))
                        .try_fold(Decimal::ZERO, |a, s| a.checked_add(s.quantity))
                        .and_then(|shipped| l.quantity.checked_sub(shipped))
                        .unwrap_or(Decimal::ZERO);
                    (l.platform_id.clone(), open)
                })
                .filter(|(_, q)| *q > Decimal::ZERO)
                .collect()
        } else {
            line_items
                .iter()
                .map(|i| (i.line_item_id.clone(), Decimal::from(i.quantity)))
                .collect()
        };
        if items.is_empty() {
            return Err(Error::invalid("every item of the order is shipped"));
        }
        let carrier = carrier.as_deref().map(str::trim).filter(|c| !c.is_empty());
        let known = carrier.and_then(|c| {
            CARRIER_CODES
                .iter()
                .find(|k| k.eq_ignore_ascii_case(c))
                .copied()
        });
        let mut detail = json!({
            "packageReferenceId": (order.shipments.len() + 1).to_string(),
            "carrierCode": known.unwrap_or("Other"),
            "trackingNumber": tracking,
            "shipDate": Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true),
            "orderItems": items
                .iter()
                .map(|(id, q)| json!({ "orderItemId": id, "quantity": q.normalize().to_string().parse::<u64>().unwrap_or(0) }))
                .collect::<Vec<_>>(),
        });
        if known.is_none()
            && let Some(c) = carrier
        {
            detail["carrierName"] = json!(c);
        }
        let url = ApiPath::new("orders/v0/orders")
            .id(IdGrammar::Token, check_order_id(order_id)?)?
            .lit("shipmentConfirmation")
            .under(&self.config.api_root);
        let body = json!({
            "packageDetail": detail,
            "marketplaceId": order_marketplace(&order).unwrap_or_else(|| self.config.marketplace().to_owned()),
        });
        // Not idempotent: a second confirmation is a second package. The transport
        // repeats it only when Amazon provably did not act (a 429, a refused connection).
        let request = Request::post(url).json(&body).idempotent(false);
        self.ops.confirm_shipment.send(request).await?;
        self.get_order(order_id).await
    }
}

/// The marketplace an order was placed in, as its payload says.
fn order_marketplace(order: &polycart_kit::model::Order) -> Option<String> {
    let raw = order.raw.as_ref()?.to_value();
    raw.pointer("/salesChannel/marketplaceId")
        .or_else(|| raw.pointer("/getOrder/payload/MarketplaceId"))
        .and_then(|v| v.as_str())
        .map(str::to_owned)
}

/// The registry's `connect`.
pub(crate) fn connect(store: &StoreConfig, ctx: &AdapterContext) -> Result<Arc<dyn Adapter>> {
    Ok(Arc::new(AmazonAdapter::new(store, ctx)?))
}

#[async_trait]
impl Adapter for AmazonAdapter {
    fn platform(&self) -> &'static str {
        PLATFORM
    }

    fn capabilities(&self) -> &Capabilities {
        &self.capabilities
    }

    async fn list(&self, query: &ListQuery) -> Result<Page> {
        self.capabilities.check_query(PLATFORM, query)?;
        match query.entity {
            Entity::Order => match self.config.orders_api {
                OrdersApi::V2026 => {
                    let at = Target::new(&self.ops.search_orders, &self.config.api_root);
                    let extra = [("marketplaceIds", self.marketplaces())];
                    SEARCH_ORDERS.list(at, query, &extra, &self.context).await
                }
                OrdersApi::V0 => self.list_v0(query).await,
            },
            Entity::Inventory if self.config.inventory == InventorySource::Fba => {
                let at = Target::new(&self.ops.inventory_summaries, &self.config.api_root);
                let m = self.config.marketplace().to_owned();
                let extra = [("granularityId", m.clone()), ("marketplaceIds", m)];
                FBA_SUMMARIES.list(at, query, &extra, &self.context).await
            }
            Entity::Product | Entity::Inventory => {
                let seller = self.seller()?;
                let args = [("seller_id", seller)];
                let at = Target {
                    transport: &self.ops.search_listings,
                    root: &self.config.api_root,
                    args: &args,
                };
                let extra = [("marketplaceIds", self.config.marketplace().to_owned())];
                let endpoint = if query.entity == Entity::Product {
                    &SEARCH_LISTINGS
                } else {
                    &SEARCH_LEVELS
                };
                endpoint.list(at, query, &extra, &self.context).await
            }
            other => Err(Error::entity_unsupported(PLATFORM, other)),
        }
    }

    async fn get(&self, entity: Entity, platform_id: &str) -> Result<Record> {
        match entity {
            Entity::Order => self.get_order(platform_id).await,
            Entity::Product | Entity::Inventory => {
                self.get_listing_record(entity, platform_id).await
            }
            other => Err(Error::entity_unsupported(PLATFORM, other)),
        }
    }

    async fn write(&self, write: &Write) -> Result<Record> {
        let write = write.checked(check_id)?;
        match &write.op {
            op @ WriteOp::CreateShipment { .. } => self.confirm_shipment(op).await,
            WriteOp::UpdateProduct {
                product_id,
                variant_id,
                title,
                status,
                price,
                compare_at_price,
            } => {
                if title.is_some() || status.is_some() || compare_at_price.is_some() {
                    return Err(Error::unsupported(
                        PLATFORM,
                        "listing titles, statuses and compare-at prices",
                    ));
                }
                if variant_id.as_deref().is_some_and(|v| v != product_id) {
                    return Err(Error::not_found(format!(
                        "variant {variant_id:?} of listing {product_id} (a listing is one SKU)"
                    )));
                }
                let price = price.ok_or_else(|| Error::invalid("nothing to update"))?;
                self.set_price(product_id, price).await?;
                self.get_listing_record(Entity::Product, product_id).await
            }
            WriteOp::SetInventory {
                product_id,
                variant_id,
                sku,
                location_id,
                change,
            } => {
                if location_id.as_deref().is_some_and(|l| l != "DEFAULT") {
                    return Err(Error::not_found(format!(
                        "location {location_id:?} (merchant-fulfilled stock is DEFAULT)"
                    )));
                }
                if self.config.inventory == InventorySource::Fba {
                    return Err(Error::unsupported(
                        PLATFORM,
                        "setting FBA stock (Amazon's warehouses hold it)",
                    ));
                }
                let target = variant_id
                    .as_deref()
                    .or(sku.as_deref())
                    .or(product_id.as_deref())
                    .ok_or_else(|| Error::invalid("name the listing by its SKU"))?;
                let target = check_sku(target)?;
                let InventoryChange::Absolute(quantity) = change else {
                    return Err(Error::unsupported(
                        PLATFORM,
                        "stock deltas (Amazon takes the quantity itself)",
                    ));
                };
                self.set_quantity(target, *quantity).await?;
                self.get_listing_record(Entity::Inventory, target).await
            }
            other => Err(Error::unsupported(PLATFORM, other.name())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_ids_have_amazons_grammar() {
        assert!(check_order_id("902-3159896-1390916").is_ok());
        for bad in [
            "987654321",
            "902-3159896-139091",
            "../3159896-1390916",
            "902-3159896-1390916/x",
            "",
        ] {
            assert!(
                matches!(check_order_id(bad), Err(Error::NotFound { .. })),
                "{bad}"
            );
        }
    }

    #[test]
    fn skus_that_could_change_a_url_are_refused() {
        for good in ["GM-ZDPI-9B4E", "EMTEC 1 GB", "CBA_OTF_1", "A.B (2)"] {
            assert_eq!(check_sku(good).unwrap(), good);
        }
        for bad in polycart_kit::path::HOSTILE_IDS.iter().copied().chain([
            "a/b",
            "a%2Fb",
            "...",
            "ÄÖ",
            "x".repeat(41).as_str(),
        ]) {
            assert!(
                matches!(check_sku(bad), Err(Error::NotFound { .. })),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn a_full_pass_names_a_creation_bound_and_an_incremental_one_none() {
        let q = ListQuery::new(Entity::Order);
        assert_eq!(full_pass_2026(&q).unwrap()[0].0, "createdAfter");
        assert_eq!(full_pass_v0(&q).unwrap()[0].0, "CreatedAfter");
        let q = q.updated_since(Utc::now());
        assert!(full_pass_2026(&q).unwrap().is_empty());
        let root: url::Url = "https://sellingpartnerapi-na.amazon.com/".parse().unwrap();
        let req = SEARCH_ORDERS
            .request(
                &root,
                &[],
                &q.page_size(500),
                &[("marketplaceIds", "ATVPDKIKX0DER".into())],
            )
            .unwrap();
        let url = req.url.as_str();
        assert!(url.contains("maxResultsPerPage=100"), "{url}");
        assert!(url.contains("lastUpdatedAfter="), "{url}");
        assert!(url.contains("marketplaceIds=ATVPDKIKX0DER"), "{url}");
    }
}
