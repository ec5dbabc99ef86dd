//! The [`Adapter`] for one eBay seller: what the Sell APIs offer per entity, the
//! orders listing declared as a kit [`Endpoint`] (offset paging over `getOrders`,
//! its one `filter` parameter written from the query), the inventory items read page
//! by page (`getInventoryItems` takes `offset` as a zero-based *page number*, which
//! no kit paging strategy speaks, so the page is computed here from a cursor holding
//! page and size), the second calls that complete a record (an order's shipping
//! fulfillments, an item's offers), writes and notifications.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use http::HeaderMap;
use polycart_kit::adapter::{EntityCapabilities, IdRole, Precision};
use polycart_kit::auth::SignedSession;
use polycart_kit::connector::AdapterContext;
use polycart_kit::endpoint::{Call, Endpoint, PathTemplate, Target};
use polycart_kit::envelope::{Envelope, pointer};
use polycart_kit::error::decode_json;
use polycart_kit::paging::{Offset, Paging, Total};
use polycart_kit::transport::{Request, Transport};
use polycart_kit::{
    Adapter, ApiPath, Capabilities, Cursor, Entity, Error, IdGrammar, InventoryChange, ListQuery,
    Page, Record, Result, StoreConfig, StoreContext, WebhookEvent, Write, WriteCapabilities,
    WriteOp,
};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::{Value, json};

use crate::PLATFORM;
use crate::client::{self, Bearer, EbayRefresh, MAX_ITEMS_PAGE, MAX_ORDERS_PAGE};
use crate::config::EbayConfig;
use crate::{mapping, webhooks, wire};

/// What eBay offers: orders (by modification or creation time, by fulfilment status),
/// inventory items as products and as stock levels, counted; shipments, prices and
/// stock written; signed notifications verified where a key is given.
pub fn capabilities() -> Capabilities {
    with_webhooks(true)
}

fn with_webhooks(webhooks: bool) -> Capabilities {
    Capabilities {
        entities: vec![
            EntityCapabilities::basic(Entity::Order, MAX_ORDERS_PAGE)
                .incremental("lastmodifieddate", Precision::Millisecond)
                .created_filter()
                .status_filter(),
            EntityCapabilities::basic(Entity::Product, MAX_ITEMS_PAGE),
            // Levels are per item and location: eBay counts items, not levels.
            EntityCapabilities::basic(Entity::Inventory, MAX_ITEMS_PAGE).without_count(),
        ],
        bulk_export: false,
        writes: WriteCapabilities {
            product_price: true,
            inventory_set: true,
            shipment_create: true,
            ..WriteCapabilities::default()
        },
        webhooks,
        webhook_registration: false,
    }
}

/// eBay's filter timestamps: UTC with milliseconds (`2025-01-01T00:00:00.000Z`).
pub fn filter_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// How far back a full pass reads: eBay serves orders of the last two years, and
/// `getOrders` without a filter only those of the last 90 days.
const FULL_PASS_DAYS: i64 = 730;

/// `getOrders`' one `filter` parameter, comma-separated criteria:
/// `lastmodifieddate:[…..]` for incremental passes, else `creationdate:[…..]` (the
/// query's, or two years back), and `orderfulfillmentstatus:{…}` for a status.
pub fn order_filter(q: &ListQuery) -> Result<Vec<(&'static str, String)>> {
    order_filter_at(q, Utc::now())
}

fn order_filter_at(q: &ListQuery, now: DateTime<Utc>) -> Result<Vec<(&'static str, String)>> {
    let mut parts = Vec::new();
    if let Some(t) = q.updated_since {
        parts.push(format!("lastmodifieddate:[{}..]", filter_time(t)));
    }
    match q.created_since {
        Some(t) => parts.push(format!("creationdate:[{}..]", filter_time(t))),
        None if q.updated_since.is_none() => parts.push(format!(
            "creationdate:[{}..]",
            filter_time(now - Duration::days(FULL_PASS_DAYS))
        )),
        None => {}
    }
    if let Some(status) = q.status.as_deref() {
        let statuses = match status {
            "unfulfilled" | "processing" => "{NOT_STARTED|IN_PROGRESS}",
            "fulfilled" | "completed" => "{FULFILLED}",
            other => {
                return Err(Error::invalid(format!(
                    "eBay filters orders by fulfilment only: status {other:?} is not one of unfulfilled, processing, fulfilled, completed"
                )));
            }
        };
        parts.push(format!("orderfulfillmentstatus:{statuses}"));
    }
    Ok(vec![("filter", parts.join(","))])
}

/// `GET /sell/fulfillment/v1/order?filter=…&limit=…&offset=…`.
const ORDERS: Endpoint<StoreContext> = Endpoint {
    path: PathTemplate("sell/fulfillment/v1/order"),
    call: Call::Get,
    params: &[],
    headers: &[("accept", "application/json")],
    paging: Paging::Offset(Offset {
        offset: "offset",
        limit: "limit",
        total: Some(Total::At("/total")),
    }),
    envelope: Envelope::At("/orders"),
    since: None,
    filters: Some(order_filter),
    max_page: MAX_ORDERS_PAGE,
    map: mapping::order,
};

/// The inventory listing's cursor: the zero-based page and the page size it was read
/// with (so a resumed pass keeps its pages aligned), and for stock levels how many of
/// the page's levels were handed out already (an item has a level per location, so a
/// page of items can hold more levels than a page may).
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
struct ItemsCursor {
    page: u64,
    limit: u32,
    #[serde(default, skip_serializing_if = "is_zero")]
    skip: u32,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// An eBay SKU: at most 50 characters; eBay's error 25707 says "only alphanumeric
/// characters" — letters, digits, `-` and `_` are let through (the kit's `Token`
/// grammar), anything else is refused before a request, so no SKU can reach a path or
/// query as anything but one plain segment.
pub fn check_sku(sku: &str) -> Result<&str> {
    if sku.len() > 50 {
        return Err(Error::not_found(format!(
            "SKU {:?} (eBay SKUs have at most 50 characters)",
            polycart_kit::error::excerpt(sku, 60)
        )));
    }
    IdGrammar::Token.check(sku)
}

/// An eBay order id: `12-34567-89012`, or the legacy `6498414015!260000000562911`
/// (digits, `-`, `!`), at most 40 characters.
pub fn check_order_id(id: &str) -> Result<&str> {
    let ok = !id.is_empty()
        && id.len() <= 40
        && id
            .bytes()
            .all(|b| b.is_ascii_digit() || b == b'-' || b == b'!');
    if ok {
        Ok(id)
    } else {
        Err(Error::not_found(format!(
            "order {:?} (eBay order ids are digits, '-' and '!')",
            polycart_kit::error::excerpt(id, 40)
        )))
    }
}

/// The id check of writes: SKUs for products and variants, eBay's order ids, line
/// items and locations as tokens.
fn check_id(role: IdRole, id: &str) -> Result<String> {
    match role {
        IdRole::Product | IdRole::Variant => check_sku(id),
        IdRole::Order => check_order_id(id),
        IdRole::LineItem | IdRole::Location => IdGrammar::Token.check(id),
    }
    .map(str::to_owned)
}

type Auth = SignedSession<Bearer, EbayRefresh>;

/// One connected eBay seller.
pub struct EbayAdapter {
    config: EbayConfig,
    auth: Arc<Auth>,
    /// The Fulfillment API's transport (its own daily limit).
    fulfillment: Transport,
    /// The Inventory API's transport.
    inventory: Transport,
    capabilities: Capabilities,
    context: StoreContext,
}

impl std::fmt::Debug for EbayAdapter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EbayAdapter")
            .field("api_root", &self.config.api_root)
            .finish_non_exhaustive()
    }
}

impl EbayAdapter {
    /// Builds the adapter; no request is sent until the first call.
    pub fn new(store: &StoreConfig, ctx: &AdapterContext) -> Result<Self> {
        let config = EbayConfig::from_store(store)?;
        let auth = client::auth(&config, ctx)?;
        let capabilities = with_webhooks(config.notification_key.is_some());
        Ok(Self {
            fulfillment: client::transport(store, auth.clone(), config.fulfillment_budget, ctx),
            inventory: client::transport(store, auth.clone(), config.inventory_budget, ctx),
            auth,
            config,
            capabilities,
            context: StoreContext::default(),
        })
    }

    /// The user access token now in use (refreshed as needed), for tests.
    pub fn tokens(&self) -> polycart_kit::auth::TokenSet {
        self.auth.tokens().tokens()
    }

    fn url(&self, path: &ApiPath) -> url::Url {
        path.under(&self.config.api_root)
    }

    fn order_path(id: &str) -> Result<ApiPath> {
        // Checked first; `Text` then percent-encodes the `!` of a legacy id.
        ApiPath::new("sell/fulfillment/v1/order").id(IdGrammar::Text, check_order_id(id)?)
    }

    fn item_path(sku: &str) -> Result<ApiPath> {
        ApiPath::new("sell/inventory/v1/inventory_item").id(IdGrammar::Token, check_sku(sku)?)
    }

    /// An order with its shipping fulfillments, as the composite the mapping reads
    /// (the second call only when the order names fulfillments).
    async fn compose_order(&self, order: &RawValue) -> Result<Box<RawValue>> {
        let o: wire::Order = decode_json(order.get())?;
        // An id outside the grammar this adapter sends (never seen from eBay) keeps the
        // order listed, without its fulfillments, rather than failing the page.
        let fulfillments = if o.fulfillment_hrefs.is_empty() || check_order_id(&o.order_id).is_err()
        {
            Value::Array(Vec::new())
        } else {
            let path = Self::order_path(&o.order_id)?.lit("shipping_fulfillment");
            let response = self.fulfillment.send(Request::get(self.url(&path))).await?;
            let text = response.text()?;
            match pointer(text, "/fulfillments")? {
                Some(f) => serde_json::from_str(f.get())
                    .map_err(|e| Error::decode("$.fulfillments", e.to_string()))?,
                None => Value::Array(Vec::new()),
            }
        };
        let order: Value =
            serde_json::from_str(order.get()).map_err(|e| Error::decode("$", e.to_string()))?;
        composite(&json!({ "order": order, "fulfillments": fulfillments }))
    }

    /// An inventory item with its offers (none when eBay has no offer for the SKU).
    async fn compose_item(&self, item: &RawValue) -> Result<Box<RawValue>> {
        let i: wire::InventoryItem = decode_json(item.get())?;
        // A legacy SKU outside eBay's grammar (a migrated listing's) stays listed, its
        // offers unread (price and status null), rather than failing the page.
        let offers = if check_sku(&i.sku).is_ok() {
            self.offers(&i.sku).await?
        } else {
            Value::Null
        };
        let item: Value =
            serde_json::from_str(item.get()).map_err(|e| Error::decode("$", e.to_string()))?;
        composite(&json!({ "inventoryItem": item, "offers": offers }))
    }

    /// `GET /sell/inventory/v1/offer?sku=…`: the SKU's offers (404: none).
    async fn offers(&self, sku: &str) -> Result<Value> {
        check_sku(sku)?;
        let url = self.url(&ApiPath::new("sell/inventory/v1/offer"));
        let request = Request::get(url).query([("sku", sku)]);
        match self.inventory.send(request).await {
            Ok(response) => Ok(match pointer(response.text()?, "/offers")? {
                Some(o) => serde_json::from_str(o.get())
                    .map_err(|e| Error::decode("$.offers", e.to_string()))?,
                None => Value::Array(Vec::new()),
            }),
            Err(Error::NotFound { .. }) => Ok(Value::Array(Vec::new())),
            Err(e) => Err(e),
        }
    }

    /// One page of inventory items (raw) and the next cursor.
    async fn items_page(
        &self,
        query: &ListQuery,
    ) -> Result<(Vec<Box<RawValue>>, Option<Cursor>, Option<u64>)> {
        let at = items_cursor(query)?;
        let limit = at.limit.clamp(1, MAX_ITEMS_PAGE);
        let url = self.url(&ApiPath::new("sell/inventory/v1/inventory_item"));
        let request = Request::get(url).query([
            ("limit", limit.to_string()),
            ("offset", at.page.to_string()),
        ]);
        let response = self.inventory.send(request).await?;
        let text = response.text()?;
        let items: Vec<Box<RawValue>> = Envelope::At("/inventoryItems")
            .split(text)?
            .into_iter()
            .map(ToOwned::to_owned)
            .collect();
        let total: Option<u64> = pointer(text, "/total")?.and_then(|t| t.get().parse().ok());
        let read = (at.page + 1) * u64::from(limit);
        let more = match total {
            Some(total) => read < total,
            None => items.len() == limit as usize,
        };
        let next = more.then(|| {
            Cursor::encode(&ItemsCursor {
                page: at.page + 1,
                limit,
                skip: 0,
            })
        });
        Ok((items, next, total))
    }

    /// Posts `bulkUpdatePriceQuantity` and reports a refused item: the call answers per
    /// item, so one SKU can fail while the others are updated.
    async fn bulk_update(&self, requests: Value) -> Result<()> {
        let url = self.url(&ApiPath::new(
            "sell/inventory/v1/bulk_update_price_quantity",
        ));
        // Setting absolute values: repeating it does no harm.
        let request = Request::post(url)
            .json(&json!({ "requests": requests }))
            .idempotent(true);
        let response = self.inventory.send(request).await?;
        bulk_outcome(response.text()?)
    }

    async fn get_order(&self, id: &str) -> Result<Record> {
        let response = self
            .fulfillment
            .send(Request::get(self.url(&Self::order_path(id)?)))
            .await?;
        let raw: Box<RawValue> = serde_json::from_str(response.text()?)
            .map_err(|e| Error::decode("$", e.to_string()))?;
        let composite = self.compose_order(&raw).await?;
        one(
            mapping::order(&composite, &self.context)?,
            Entity::Order,
            id,
        )
    }

    /// `GET /inventory_item/{sku}`, raw.
    async fn item_raw(&self, sku: &str) -> Result<Box<RawValue>> {
        let response = self
            .inventory
            .send(Request::get(self.url(&Self::item_path(sku)?)))
            .await?;
        serde_json::from_str(response.text()?).map_err(|e| Error::decode("$", e.to_string()))
    }

    /// A product by SKU, or a stock level by its id (`{sku}:{location}` or the SKU).
    async fn get_item(&self, entity: Entity, id: &str) -> Result<Record> {
        let sku = id.split_once(':').map_or(id, |(sku, _)| sku);
        let raw = self.item_raw(sku).await?;
        if entity == Entity::Product {
            let records = mapping::product(&self.compose_item(&raw).await?, &self.context)?;
            return one(records, entity, id);
        }
        mapping::level(&raw, &self.context)?
            .into_iter()
            .find(|r| r.platform_id() == id)
            .ok_or_else(|| Error::not_found(format!("inventory level {id}")))
    }

    /// Sets the SKU's quantity at `location` (the others kept), or its whole
    /// ship-to-location quantity. eBay takes a location's quantity only inside the whole
    /// distribution, so the item is read first (not atomic: a change made between the
    /// read and the write to another location of the same SKU is overwritten).
    async fn set_stock(&self, sku: &str, location: Option<&str>, quantity: i64) -> Result<()> {
        let item: Value = serde_json::from_str(self.item_raw(sku).await?.get())
            .map_err(|e| Error::decode("$", e.to_string()))?;
        let mut distributions: Vec<Value> = item
            .pointer("/availability/shipToLocationAvailability/availabilityDistributions")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let availability = match location {
            None if !distributions.is_empty() => {
                let keys: Vec<&str> = distributions
                    .iter()
                    .filter_map(|d| d["merchantLocationKey"].as_str())
                    .collect();
                return Err(Error::invalid(format!(
                    "SKU {sku:?} holds its stock per inventory location ({}): give location_id",
                    keys.join(", ")
                )));
            }
            None => json!({ "quantity": quantity }),
            Some(key) => {
                IdGrammar::Token.check(key)?;
                match distributions
                    .iter_mut()
                    .find(|d| d["merchantLocationKey"] == key)
                {
                    Some(d) => d["quantity"] = json!(quantity),
                    None => distributions
                        .push(json!({ "merchantLocationKey": key, "quantity": quantity })),
                }
                let total: i64 = distributions
                    .iter()
                    .filter_map(|d| d["quantity"].as_i64())
                    .sum();
                json!({ "quantity": total, "availabilityDistributions": distributions })
            }
        };
        self.bulk_update(json!([{ "sku": sku, "shipToLocationAvailability": availability }]))
            .await
    }
}

/// Where an inventory listing is: its cursor, or the first page at the query's size.
fn items_cursor(query: &ListQuery) -> Result<ItemsCursor> {
    Ok(match &query.cursor {
        Some(c) => c.decode::<ItemsCursor>()?,
        None => ItemsCursor {
            page: 0,
            limit: query.page_size_or(MAX_ITEMS_PAGE),
            skip: 0,
        },
    })
}

fn composite(value: &Value) -> Result<Box<RawValue>> {
    serde_json::value::to_raw_value(value).map_err(|e| Error::decode("$", e.to_string()))
}

fn one(mut records: Vec<Record>, entity: Entity, id: &str) -> Result<Record> {
    records
        .pop()
        .ok_or_else(|| Error::not_found(format!("{entity} {id}")))
}

#[derive(Deserialize)]
struct BulkAnswer {
    #[serde(default)]
    responses: Vec<BulkItem>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct BulkItem {
    status_code: Option<u16>,
    sku: Option<String>,
    offer_id: Option<String>,
    #[serde(default)]
    errors: Vec<BulkError>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct BulkError {
    error_id: Option<u64>,
    message: Option<String>,
}

/// The outcome of a `bulkUpdatePriceQuantity` answer: `Ok` when every item says 200,
/// else an error naming each refused SKU (or offer) with eBay's error id and message.
pub fn bulk_outcome(body: &str) -> Result<()> {
    let answer: BulkAnswer = decode_json(body)?;
    let failed: Vec<String> = answer
        .responses
        .iter()
        .filter(|r| r.status_code != Some(200))
        .map(|r| {
            let what = match (&r.sku, &r.offer_id) {
                (Some(s), Some(o)) => format!("SKU {s:?} offer {o}"),
                (Some(s), None) => format!("SKU {s:?}"),
                (None, Some(o)) => format!("offer {o}"),
                (None, None) => "an item".to_owned(),
            };
            let why: Vec<String> = r
                .errors
                .iter()
                .map(|e| {
                    format!(
                        "{} ({})",
                        polycart_kit::error::sanitise(
                            e.message.as_deref().unwrap_or("refused"),
                            120
                        ),
                        e.error_id.map_or("?".to_owned(), |i| i.to_string())
                    )
                })
                .collect();
            format!(
                "{what}: {} {}",
                r.status_code.map_or("?".to_owned(), |s| s.to_string()),
                why.join("; ")
            )
        })
        .collect();
    if failed.is_empty() {
        Ok(())
    } else {
        Err(Error::invalid(format!(
            "eBay refused part of the update: {}",
            failed.join(", ")
        )))
    }
}

/// The registry's `connect`.
pub(crate) fn connect(store: &StoreConfig, ctx: &AdapterContext) -> Result<Arc<dyn Adapter>> {
    Ok(Arc::new(EbayAdapter::new(store, ctx)?))
}

#[async_trait]
impl Adapter for EbayAdapter {
    fn platform(&self) -> &'static str {
        PLATFORM
    }

    fn capabilities(&self) -> &Capabilities {
        &self.capabilities
    }

    async fn list(&self, query: &ListQuery) -> Result<Page> {
        self.capabilities.check_query(PLATFORM, query)?;
        match query.entity {
            Entity::Order => {
                let at = Target::new(&self.fulfillment, &self.config.api_root);
                let page = ORDERS.fetch(at, query, &[]).await?;
                // The second calls of a page run together (the governor paces them).
                let composites = futures::future::try_join_all(
                    page.items.iter().map(|item| self.compose_order(item)),
                )
                .await?;
                let mut records = Vec::with_capacity(composites.len());
                for (i, composite) in composites.iter().enumerate() {
                    let mapped = mapping::order(composite, &self.context)
                        .map_err(|e| ORDERS.envelope.at_item(e, i))?;
                    records.extend(mapped);
                }
                Ok(Page {
                    records,
                    next: page.next,
                })
            }
            Entity::Product => {
                let (items, next, _) = self.items_page(query).await?;
                // The second calls of a page run together (the governor paces them).
                let composites =
                    futures::future::try_join_all(items.iter().map(|i| self.compose_item(i)))
                        .await?;
                let mut records = Vec::with_capacity(composites.len());
                for (i, item) in composites.iter().enumerate() {
                    let mapped = mapping::product(item, &self.context)
                        .map_err(|e| Envelope::At("/inventoryItems").at_item(e, i))?;
                    records.extend(mapped);
                }
                Ok(Page { records, next })
            }
            Entity::Inventory => {
                let at = items_cursor(query)?;
                let (items, next, _) = self.items_page(query).await?;
                let mut levels = Vec::new();
                for (i, item) in items.iter().enumerate() {
                    let mapped = mapping::level(item, &self.context)
                        .map_err(|e| Envelope::At("/inventoryItems").at_item(e, i))?;
                    levels.extend(mapped);
                }
                // At most a page of levels: the rest of this page of items is read again
                // from where the levels handed out end.
                let limit = at.limit.clamp(1, MAX_ITEMS_PAGE);
                let rest: Vec<Record> = levels.into_iter().skip(at.skip as usize).collect();
                if rest.len() > limit as usize {
                    let records: Vec<Record> = rest.into_iter().take(limit as usize).collect();
                    let next = Cursor::encode(&ItemsCursor {
                        page: at.page,
                        limit,
                        skip: at.skip + limit,
                    });
                    return Ok(Page {
                        records,
                        next: Some(next),
                    });
                }
                Ok(Page {
                    records: rest,
                    next,
                })
            }
            other => Err(Error::entity_unsupported(PLATFORM, other)),
        }
    }

    async fn get(&self, entity: Entity, platform_id: &str) -> Result<Record> {
        match entity {
            Entity::Order => self.get_order(platform_id).await,
            Entity::Product | Entity::Inventory => self.get_item(entity, platform_id).await,
            other => Err(Error::entity_unsupported(PLATFORM, other)),
        }
    }

    async fn count(&self, query: &ListQuery) -> Result<u64> {
        self.capabilities.check_query(PLATFORM, query)?;
        let one = query.clone().with_cursor(None).page_size(1);
        let total = match query.entity {
            Entity::Order => {
                let request = ORDERS.request(&self.config.api_root, &[], &one, &[])?;
                let response = self.fulfillment.send(request).await?;
                pointer(response.text()?, "/total")?.and_then(|t| t.get().parse().ok())
            }
            Entity::Product => self.items_page(&one).await?.2,
            other => return Err(Error::entity_unsupported(PLATFORM, other)),
        };
        total.ok_or_else(|| Error::decode("$.total", "missing"))
    }

    async fn write(&self, write: &Write) -> Result<Record> {
        let write = write.checked(check_id)?;
        match &write.op {
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
                        "product title, status and compare-at price (only the offer price is written)",
                    ));
                }
                if variant_id.as_ref().is_some_and(|v| v != product_id) {
                    return Err(Error::invalid(
                        "an eBay inventory item is one SKU: its product id is the SKU, with no variants",
                    ));
                }
                let price = price.ok_or_else(|| Error::invalid("nothing to update"))?;
                let offers: Vec<wire::Offer> =
                    serde_json::from_value(self.offers(product_id).await?)
                        .map_err(|e| Error::decode("$.offers", e.to_string()))?;
                let priced: Vec<Value> = offers
                    .iter()
                    .filter_map(|o| {
                        let currency = o
                            .pricing_summary
                            .as_ref()
                            .and_then(|p| p.price.as_ref())
                            .and_then(|p| p.currency.clone())?;
                        Some(json!({
                            "offerId": o.offer_id.clone()?,
                            "price": { "value": price.to_string(), "currency": currency },
                        }))
                    })
                    .collect();
                if priced.is_empty() {
                    return Err(Error::invalid(format!(
                        "SKU {product_id:?} has no offer to price (a price lives on an offer)"
                    )));
                }
                self.bulk_update(json!([{ "sku": product_id, "offers": priced }]))
                    .await?;
                self.get(Entity::Product, product_id).await
            }
            WriteOp::SetInventory {
                product_id,
                variant_id,
                sku,
                location_id,
                change,
            } => {
                let sku = sku
                    .clone()
                    .or_else(|| product_id.clone())
                    .or_else(|| variant_id.clone())
                    .ok_or_else(|| Error::invalid("eBay stock is set by SKU"))?;
                check_sku(&sku)?;
                let InventoryChange::Absolute(quantity) = change else {
                    return Err(Error::unsupported(
                        PLATFORM,
                        "stock deltas (eBay takes absolute quantities only)",
                    ));
                };
                if !(0..=i64::from(i32::MAX)).contains(quantity) {
                    return Err(Error::invalid(format!(
                        "quantity {quantity} is out of range"
                    )));
                }
                self.set_stock(&sku, location_id.as_deref(), *quantity)
                    .await?;
                let id = mapping::level_id(&sku, location_id.as_deref());
                self.get(Entity::Inventory, &id).await
            }
            WriteOp::CreateShipment {
                order_id,
                carrier,
                tracking_number,
                line_items,
                ..
            } => {
                let carrier = carrier
                    .as_deref()
                    .ok_or_else(|| Error::invalid("eBay needs the shipping carrier code"))?;
                let tracking = tracking_number
                    .as_deref()
                    .ok_or_else(|| Error::invalid("eBay needs the tracking number"))?;
                let items: Vec<Value> = if line_items.is_empty() {
                    // What remains to ship of each line: its quantity less what the
                    // order's fulfillments already hold.
                    let Record::Order(o) = self.get_order(order_id).await? else {
                        return Err(Error::decode("$", "not an order"));
                    };
                    o.line_items
                        .iter()
                        .filter_map(|l| {
                            let shipped: rust_decimal::Decimal = o
                                .shipments
                                .iter()
                                .flat_map(|s| &s.line_items)
                                .filter(|s| s.line_item_id.as_deref() == Some(&l.platform_id))
                                .map(|s| s.quantity)
                                .sum();
                            let left =
                                rust_decimal::prelude::ToPrimitive::to_u64(&(l.quantity - shipped))
                                    .filter(|n| *n > 0)?;
                            Some(json!({ "lineItemId": l.platform_id, "quantity": left }))
                        })
                        .collect()
                } else {
                    line_items
                        .iter()
                        .map(|l| json!({ "lineItemId": l.line_item_id, "quantity": l.quantity }))
                        .collect()
                };
                if items.is_empty() {
                    return Err(Error::invalid("every line item of the order is shipped"));
                }
                let path = Self::order_path(order_id)?.lit("shipping_fulfillment");
                // createShippingFulfillment is not idempotent: never repeated blindly
                // (a POST is retried by the transport only when eBay did not act).
                let request = Request::post(self.url(&path)).json(&json!({
                    "lineItems": items,
                    "shippedDate": filter_time(Utc::now()),
                    "shippingCarrierCode": carrier,
                    "trackingNumber": tracking,
                }));
                self.fulfillment.send(request).await?;
                self.get_order(order_id).await
            }
            other => Err(Error::unsupported(PLATFORM, other.name())),
        }
    }

    fn verify_webhook(&self, headers: &HeaderMap, body: &[u8]) -> Result<WebhookEvent> {
        webhooks::verify(self.config.notification_key.as_ref(), headers, body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn the_filter_is_one_parameter_with_millisecond_dates() {
        let now = Utc.with_ymd_and_hms(2026, 12, 7, 12, 0, 0).unwrap();
        let since =
            Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap() + Duration::milliseconds(1500);
        let q = ListQuery::new(Entity::Order).updated_since(since);
        assert_eq!(
            order_filter_at(&q, now).unwrap(),
            vec![(
                "filter",
                "lastmodifieddate:[2024-01-01T00:00:01.500Z..]".to_owned()
            )]
        );
        let full = order_filter_at(&ListQuery::new(Entity::Order), now).unwrap();
        assert_eq!(full[0].1, "creationdate:[2024-12-07T12:00:00.000Z..]");
        let mut open = ListQuery::new(Entity::Order).updated_since(since);
        open.status = Some("unfulfilled".into());
        assert_eq!(
            order_filter_at(&open, now).unwrap()[0].1,
            "lastmodifieddate:[2024-01-01T00:00:01.500Z..],orderfulfillmentstatus:{NOT_STARTED|IN_PROGRESS}"
        );
        open.status = Some("on_hold".into());
        assert!(order_filter_at(&open, now).is_err());
    }

    #[test]
    fn skus_and_order_ids_are_checked_before_any_request() {
        assert!(check_sku("MUG-BLUE_12").is_ok());
        assert!(check_sku(&"A".repeat(51)).is_err());
        assert!(check_order_id("12-34567-89012").is_ok());
        assert!(check_order_id("6498414015!260000000562911").is_ok());
        for bad in polycart_kit::path::HOSTILE_IDS {
            assert!(check_sku(bad).is_err(), "{bad:?}");
            assert!(check_order_id(bad).is_err(), "{bad:?}");
        }
        assert_eq!(
            EbayAdapter::order_path("6498414015!260000000562911")
                .unwrap()
                .as_str(),
            "sell/fulfillment/v1/order/6498414015%21260000000562911"
        );
    }

    #[test]
    fn a_partial_bulk_failure_names_the_refused_item() {
        let ok = r#"{"responses":[{"statusCode":200,"sku":"A","offerId":"1","warnings":[]}]}"#;
        assert!(bulk_outcome(ok).is_ok());
        let partial = r#"{"responses":[{"statusCode":200,"sku":"A"},
            {"statusCode":400,"sku":"B","errors":[{"errorId":25002,"domain":"API_INVENTORY","category":"REQUEST","message":"Offer price must be positive"}]}]}"#;
        let e = bulk_outcome(partial).unwrap_err().to_string();
        assert!(
            e.contains("SKU \"B\": 400 Offer price must be positive (25002)"),
            "{e}"
        );
        assert!(!e.contains("\"A\""), "{e}");
    }
}
