//! The BigCommerce adapter: requests through the kit's transport (`X-Auth-Token`, a
//! per-store governor fed by the `X-Rate-Limit-*` window headers, retries), v2 and v3
//! paging, order sub-resources fetched concurrently per page (bounded), writes, hook
//! registration and webhook verification.
//!
//! Paging: v2 `page`/`limit` (≤ 250); a page past the end is an empty `204`. v3
//! `page`/`limit` with `meta.pagination`. Cursors are `{"page": n}`. Full listings sort
//! by id, incremental ones by date modified ascending (v2 `min_date_modified` in RFC
//! 2822, v3 `date_modified:min` in ISO 8601): a record updated while a sync pages
//! moves behind the watermark it will be read from next time, so none is lost.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, SecondsFormat, Utc};
use futures::{StreamExt, TryStreamExt};
use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use polycart_kit::auth::HeaderToken;
use polycart_kit::connector::AdapterContext;
use polycart_kit::model::{Currency, ProductStatus};
use polycart_kit::transport::{
    Budget, Classify, Request, Response, Transport, Verdict, WindowHeaders, classify_status,
    retry_after,
};
use polycart_kit::{
    Adapter, Capabilities, Cursor, Entity, Error, InventoryChange, ListQuery, Page, Record, Result,
    StoreConfig, WebhookEvent, Write, WriteCapabilities, WriteOp,
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio::sync::OnceCell;

use crate::PLATFORM;
use crate::config::Config;
use crate::mapping::{self, MapContext};
use crate::webhooks::Verifier;
use crate::wire::{V2Count, V2Store, V3List};

/// Largest page both API generations serve.
pub(crate) const MAX_PAGE: u32 = 250;
const V3_PRODUCT_INCLUDE: &str = "variants,images,options";

/// BigCommerce's rate-limit headers (they may arrive lower-cased; `HeaderMap` is
/// case-insensitive).
pub const RATE_LIMIT_HEADERS: WindowHeaders = WindowHeaders {
    remaining: "x-rate-limit-requests-left",
    quota: "x-rate-limit-requests-quota",
    window_ms: "x-rate-limit-time-window-ms",
    reset_ms: "x-rate-limit-time-reset-ms",
};

/// BigCommerce's response quirks on top of the HTTP defaults: a 429 waits exactly
/// `X-Rate-Limit-Time-Reset-Ms` (else `X-Retry-After` seconds, else `Retry-After`);
/// a 2xx whose body is HTML or broken JSON (a proxy page, a cut connection) is retried.
#[derive(Debug, Clone, Copy, Default)]
pub struct Classifier;

impl Classify for Classifier {
    fn classify(&self, response: &Response) -> Verdict {
        if response.status == StatusCode::TOO_MANY_REQUESTS {
            let reset = response
                .header("x-rate-limit-time-reset-ms")
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map(Duration::from_millis);
            let legacy = response
                .header("x-retry-after")
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map(Duration::from_secs);
            return Verdict::Throttled {
                after: reset.or(legacy).or_else(|| retry_after(&response.headers)),
            };
        }
        if response.status.is_success() && response.status != StatusCode::NO_CONTENT {
            let html = response
                .header("content-type")
                .is_some_and(|c| c.contains("text/html"));
            let broken = !response.body.is_empty()
                && serde_json::from_slice::<serde::de::IgnoredAny>(&response.body).is_err();
            if html || broken {
                return Verdict::Retry;
            }
        }
        classify_status(response)
    }
}

/// One connected BigCommerce store.
pub struct BigCommerce {
    store_id: String,
    config: Config,
    transport: Transport,
    capabilities: Capabilities,
    verifier: Verifier,
    context: OnceCell<MapContext>,
}

impl std::fmt::Debug for BigCommerce {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BigCommerce")
            .field("store_id", &self.store_id)
            .field("api_root", &self.config.api_root)
            .finish()
    }
}

pub(crate) fn connect(store: &StoreConfig, ctx: &AdapterContext) -> Result<Arc<dyn Adapter>> {
    Ok(Arc::new(BigCommerce::new(store, ctx)?))
}

/// A restart-safe position: the next page number.
#[derive(Debug, Serialize, Deserialize)]
struct PageCursor {
    page: u32,
}

/// A v2 date filter: RFC 2822 in BigCommerce's own shape (`Tue, 05 Mar 2019 21:40:11 +0000`).
fn rfc2822(t: DateTime<Utc>) -> String {
    t.format("%a, %d %b %Y %H:%M:%S +0000").to_string()
}

fn iso(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

impl BigCommerce {
    /// Builds the adapter; no request is sent until the first call.
    pub fn new(store: &StoreConfig, ctx: &AdapterContext) -> Result<Self> {
        let config = Config::from_store(store)?;
        let auth = HeaderToken::new(
            HeaderName::from_static("x-auth-token"),
            config.access_token.clone(),
        );
        let transport = Transport::builder(store.store_id.clone(), PLATFORM)
            .auth(Arc::new(auth))
            // Standard plan: 150 requests per 30 s window; corrected from the headers.
            .budget(Budget::new(150, 5.0))
            .budget_reader(Arc::new(RATE_LIMIT_HEADERS))
            .classifier(Arc::new(Classifier))
            .metrics(ctx.metrics.clone())
            .build();
        let verifier = Verifier {
            client_secret: config.client_secret.clone(),
            header: config.webhook_header.clone(),
            tolerance: config.webhook_tolerance,
        };
        Ok(Self {
            store_id: store.store_id.clone(),
            transport,
            capabilities: capabilities(),
            verifier,
            context: OnceCell::new(),
            config,
        })
    }

    /// The transport (its governor and metrics), for tests and the engine.
    pub fn transport(&self) -> &Transport {
        &self.transport
    }

    fn request(&self, method: Method, path: &str) -> Result<Request> {
        Ok(Request::new(method, self.config.url(path)?).header(
            http::header::ACCEPT,
            HeaderValue::from_static("application/json"),
        ))
    }

    async fn get(&self, path: &str, query: &[(&str, String)]) -> Result<Response> {
        self.transport
            .send(
                self.request(Method::GET, path)?
                    .query(query.iter().map(|(k, v)| (*k, v.as_str()))),
            )
            .await
    }

    /// The store's currency and weight unit (`/v2/store`), read once. With the
    /// `currency` setting, a failing `/v2/store` (a token without that scope) only
    /// costs the weight unit.
    pub async fn map_context(&self) -> Result<&MapContext> {
        self.context
            .get_or_try_init(|| async {
                let store = match self.get("/v2/store", &[]).await.and_then(|r| r.json::<V2Store>()) {
                    Ok(store) => store,
                    Err(e) if self.config.currency.is_some() => {
                        tracing::warn!(store = %self.store_id, error = %e, "cannot read /v2/store; weights stay unitless");
                        return Ok(MapContext { currency: self.config.currency.clone(), weight_unit: None });
                    }
                    Err(e) => return Err(e),
                };
                let currency = match &self.config.currency {
                    Some(c) => Some(c.clone()),
                    None => store
                        .currency
                        .get()
                        .map(Currency::parse)
                        .transpose()
                        .map_err(|e| Error::decode("$.currency", e.to_string()))?,
                };
                Ok(MapContext {
                    currency,
                    weight_unit: store.weight_units.get().and_then(MapContext::weight_unit_from_store),
                })
            })
            .await
    }

    fn finish(&self, mut record: Record) -> Record {
        record.assign_store(&self.store_id);
        record
    }

    // ------------------------------------------------------------ v2 orders

    /// Every item of a paged v2 sub-resource (`204` = none).
    async fn v2_all(&self, path: &str) -> Result<Vec<Value>> {
        let mut out = Vec::new();
        for page in 1u32.. {
            let r = self
                .get(
                    path,
                    &[("page", page.to_string()), ("limit", MAX_PAGE.to_string())],
                )
                .await?;
            if r.status == StatusCode::NO_CONTENT || r.body.is_empty() {
                break;
            }
            let items: Vec<Value> = r.json()?;
            let full = items.len() >= MAX_PAGE as usize;
            out.extend(items);
            if !full {
                break;
            }
        }
        Ok(out)
    }

    /// Replaces an order's sub-resource links with the fetched arrays, and adds its v3
    /// refunds. Coupons, shipments and refunds are only asked for when the order says
    /// there can be some (`coupon_discount`, `items_shipped`, `refunded_amount`).
    async fn with_sub_resources(&self, mut order: Value) -> Result<Value> {
        let id = match order.get("id") {
            Some(Value::Number(n)) => n.to_string(),
            Some(Value::String(s)) => path_id(s)?.to_owned(),
            _ => return Err(Error::decode("$.id", "an order without an id")),
        };
        let positive = |field: &str| {
            order.get(field).is_some_and(|v| match v {
                Value::Number(n) => n.as_f64().is_some_and(|f| f > 0.0),
                Value::String(s) => s.trim().parse::<f64>().is_ok_and(|f| f > 0.0),
                _ => false,
            })
        };
        let want_coupons = positive("coupon_discount");
        let want_shipments = positive("items_shipped");
        let want_refunds = positive("refunded_amount");
        let (products_path, addresses_path) = (
            format!("/v2/orders/{id}/products"),
            format!("/v2/orders/{id}/shipping_addresses"),
        );
        let products = self.v2_all(&products_path);
        let addresses = self.v2_all(&addresses_path);
        let coupons = async {
            if want_coupons {
                self.v2_all(&format!("/v2/orders/{id}/coupons")).await
            } else {
                Ok(Vec::new())
            }
        };
        let shipments = async {
            if want_shipments {
                self.v2_all(&format!("/v2/orders/{id}/shipments")).await
            } else {
                Ok(Vec::new())
            }
        };
        let refunds = async {
            if !want_refunds {
                return Ok(Vec::new());
            }
            let path = format!("/v3/orders/{id}/payment_actions/refunds");
            Ok::<_, Error>(
                self.v3_list(&path, &[("limit", MAX_PAGE.to_string())])
                    .await?
                    .data,
            )
        };
        let (products, addresses, coupons, shipments, refunds) =
            futures::try_join!(products, addresses, coupons, shipments, refunds)?;
        if let Some(o) = order.as_object_mut() {
            o.insert("products".into(), Value::Array(products));
            o.insert("shipping_addresses".into(), Value::Array(addresses));
            o.insert("coupons".into(), Value::Array(coupons));
            o.insert("shipments".into(), Value::Array(shipments));
            o.insert("refunds".into(), Value::Array(refunds));
        }
        Ok(order)
    }

    async fn map_orders(&self, orders: Vec<Value>) -> Result<Vec<Record>> {
        let ctx = self.map_context().await?.clone();
        let assembled: Vec<Value> =
            futures::stream::iter(orders.into_iter().map(|o| self.with_sub_resources(o)))
                .buffered(self.config.concurrency)
                .try_collect()
                .await?;
        assembled
            .iter()
            .enumerate()
            .map(|(i, o)| {
                let record = mapping::order(&o.to_string(), &ctx)
                    .map_err(|e| polycart_kit::decode::at_index(e, i, true))?;
                Ok(self.finish(record.into()))
            })
            .collect()
    }

    fn v2_filters(query: &ListQuery) -> Vec<(&'static str, String)> {
        let mut params = Vec::new();
        if let Some(since) = query.updated_since {
            params.push(("min_date_modified", rfc2822(since)));
        }
        if let Some(since) = query.created_since {
            params.push(("min_date_created", rfc2822(since)));
        }
        params
    }

    async fn list_orders(&self, query: &ListQuery, page: u32) -> Result<Page> {
        let limit = query.page_size_or(MAX_PAGE);
        let mut params = Self::v2_filters(query);
        let sort = if query.updated_since.is_some() {
            "date_modified:asc"
        } else {
            "id:asc"
        };
        params.extend([
            ("sort", sort.to_owned()),
            ("page", page.to_string()),
            ("limit", limit.to_string()),
        ]);
        let r = self.get("/v2/orders", &params).await?;
        if r.status == StatusCode::NO_CONTENT || r.body.is_empty() {
            return Ok(Page::last(Vec::new()));
        }
        let orders: Vec<Value> = r.json()?;
        let full = orders.len() >= limit as usize;
        let records = self.map_orders(orders).await?;
        Ok(Page {
            records,
            next: full.then(|| Cursor::encode(&PageCursor { page: page + 1 })),
        })
    }

    async fn get_order(&self, id: &str) -> Result<Record> {
        let r = self
            .get(&format!("/v2/orders/{}", path_id(id)?), &[])
            .await?;
        if r.status == StatusCode::NO_CONTENT {
            return Err(Error::not_found(format!("order {id}")));
        }
        let order: Value = r.json()?;
        let mut records = self.map_orders(vec![order]).await?;
        records
            .pop()
            .ok_or_else(|| Error::not_found(format!("order {id}")))
    }

    // ------------------------------------------------------------ v3 lists

    async fn v3_list(&self, path: &str, params: &[(&str, String)]) -> Result<V3List> {
        let r = self.get(path, params).await?;
        if r.status == StatusCode::NO_CONTENT {
            return Ok(V3List {
                data: Vec::new(),
                meta: Default::default(),
            });
        }
        r.json()
    }

    fn v3_params(&self, entity: Entity, query: &ListQuery) -> Vec<(&'static str, String)> {
        let mut params = Vec::new();
        match entity {
            Entity::Product => {
                params.push(("include", V3_PRODUCT_INCLUDE.to_owned()));
                if let Some(since) = query.updated_since {
                    params.push(("date_modified:min", iso(since)));
                    params.push(("sort", "date_modified".to_owned()));
                } else {
                    params.push(("sort", "id".to_owned()));
                }
                params.push(("direction", "asc".to_owned()));
                if let Some(since) = query.created_since {
                    params.push(("date_created:min", iso(since)));
                }
            }
            Entity::Customer => {
                params.push(("include", "addresses".to_owned()));
                if let Some(since) = query.updated_since {
                    params.push(("date_modified:min", iso(since)));
                    params.push(("sort", "date_modified:asc".to_owned()));
                }
                if let Some(since) = query.created_since {
                    params.push(("date_created:min", iso(since)));
                }
            }
            Entity::Category => {
                if let Some(tree) = self.config.category_tree {
                    params.push(("tree_id:in", tree.to_string()));
                }
            }
            Entity::Inventory | Entity::Order => {}
        }
        params
    }

    fn v3_path(&self, entity: Entity) -> &'static str {
        match entity {
            Entity::Product => "/v3/catalog/products",
            Entity::Customer => "/v3/customers",
            Entity::Category if self.config.category_tree.is_some() => {
                "/v3/catalog/trees/categories"
            }
            Entity::Category => "/v3/catalog/categories",
            Entity::Inventory => "/v3/inventory/items",
            Entity::Order => "/v2/orders",
        }
    }

    async fn map_v3(&self, entity: Entity, items: &[Value]) -> Result<Vec<Record>> {
        let ctx = match entity {
            Entity::Product => self.map_context().await?.clone(),
            _ => MapContext::default(),
        };
        let mut out = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let text = item.to_string();
            let mapped: Result<Vec<Record>> = match entity {
                Entity::Product => mapping::product(&text, &ctx).map(|p| vec![p.into()]),
                Entity::Customer => mapping::customer(&text).map(|c| vec![c.into()]),
                // A flat category list: children (tree nodes) would repeat categories.
                Entity::Category => mapping::categories(&text)
                    .map(|c| c.into_iter().take(1).map(Record::from).collect()),
                Entity::Inventory => {
                    mapping::inventory(&text).map(|l| l.into_iter().map(Record::from).collect())
                }
                Entity::Order => mapping::order(&text, &ctx).map(|o| vec![o.into()]),
            };
            let mapped = mapped.map_err(|e| polycart_kit::decode::at_index(e, i, true))?;
            out.extend(mapped.into_iter().map(|r| self.finish(r)));
        }
        Ok(out)
    }

    async fn list_v3(&self, entity: Entity, query: &ListQuery, page: u32) -> Result<Page> {
        let limit = query.page_size_or(MAX_PAGE);
        let mut params = self.v3_params(entity, query);
        params.extend([("page", page.to_string()), ("limit", limit.to_string())]);
        let list = self.v3_list(self.v3_path(entity), &params).await?;
        let records = self.map_v3(entity, &list.data).await?;
        let more = match &list.meta.pagination {
            Some(p) if p.total_pages > 0 => u64::from(page) < p.total_pages,
            Some(p) => p.links.next.is_some(),
            None => false,
        };
        Ok(Page {
            records,
            next: (more && !list.data.is_empty())
                .then(|| Cursor::encode(&PageCursor { page: page + 1 })),
        })
    }

    async fn v3_total(&self, entity: Entity, query: &ListQuery) -> Result<u64> {
        let mut params = self.v3_params(entity, query);
        params.extend([("page", "1".to_owned()), ("limit", "1".to_owned())]);
        let list = self.v3_list(self.v3_path(entity), &params).await?;
        Ok(list
            .meta
            .pagination
            .map_or(list.data.len() as u64, |p| p.total))
    }

    async fn get_v3(&self, entity: Entity, id: &str) -> Result<Record> {
        let (path, params): (String, Vec<(&str, String)>) = match entity {
            Entity::Product => (
                format!("/v3/catalog/products/{}", path_id(id)?),
                vec![("include", V3_PRODUCT_INCLUDE.to_owned())],
            ),
            Entity::Category => match self.config.category_tree {
                Some(tree) => (
                    "/v3/catalog/trees/categories".to_owned(),
                    vec![
                        ("category_id:in", path_id(id)?.to_owned()),
                        ("tree_id:in", tree.to_string()),
                    ],
                ),
                None => (
                    format!("/v3/catalog/categories/{}", path_id(id)?),
                    Vec::new(),
                ),
            },
            Entity::Customer => (
                "/v3/customers".to_owned(),
                vec![
                    ("id:in", path_id(id)?.to_owned()),
                    ("include", "addresses".to_owned()),
                ],
            ),
            Entity::Inventory => ("/v3/inventory/items".to_owned(), inventory_filter(id)?),
            Entity::Order => return self.get_order(id).await,
        };
        let r = self.get(&path, &params).await?;
        let text = r.text()?;
        let items = crate::split_data(text)?
            .0
            .iter()
            .map(|i| serde_json::from_str::<Value>(i.get()))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| Error::decode("$.data", e.to_string()))?;
        let records = self.map_v3(entity, &items).await?;
        records
            .into_iter()
            .find(|r| r.platform_id() == id)
            .ok_or_else(|| Error::not_found(format!("{entity} {id}")))
    }

    // ------------------------------------------------------------ writes

    async fn send_json(&self, method: Method, path: &str, body: &Value) -> Result<Response> {
        self.transport
            .send(self.request(method, path)?.json(body))
            .await
    }

    async fn update_product(&self, op: &WriteOp) -> Result<Record> {
        let WriteOp::UpdateProduct {
            product_id,
            variant_id,
            title,
            status,
            price,
            compare_at_price,
        } = op
        else {
            return Err(Error::invalid("not a product update"));
        };
        let pid = path_id(product_id)?;
        let mut body = serde_json::Map::new();
        if let Some(p) = price {
            body.insert("price".into(), decimal_json(*p));
        }
        if let Some(c) = compare_at_price {
            body.insert("retail_price".into(), decimal_json(*c));
        }
        match variant_id {
            Some(vid) => {
                if title.is_some() || status.is_some() {
                    return Err(Error::invalid(
                        "a variant has no title or status of its own; update the product",
                    ));
                }
                if body.is_empty() {
                    return Err(Error::invalid("nothing to update"));
                }
                let path = format!("/v3/catalog/products/{pid}/variants/{}", path_id(vid)?);
                self.send_json(Method::PUT, &path, &Value::Object(body))
                    .await?;
            }
            None => {
                if let Some(t) = title {
                    body.insert("name".into(), json!(t));
                }
                match status {
                    Some(ProductStatus::Active) => {
                        body.insert("is_visible".into(), json!(true));
                        body.insert("availability".into(), json!("available"));
                    }
                    Some(ProductStatus::Draft) => {
                        body.insert("is_visible".into(), json!(false));
                    }
                    Some(ProductStatus::Archived) => {
                        body.insert("availability".into(), json!("disabled"));
                    }
                    None => {}
                }
                if body.is_empty() {
                    return Err(Error::invalid("nothing to update"));
                }
                self.send_json(
                    Method::PUT,
                    &format!("/v3/catalog/products/{pid}"),
                    &Value::Object(body),
                )
                .await?;
            }
        }
        self.get_v3(Entity::Product, product_id).await
    }

    async fn set_inventory(&self, op: &WriteOp) -> Result<Record> {
        let WriteOp::SetInventory {
            product_id,
            variant_id,
            sku,
            location_id,
            change,
        } = op
        else {
            return Err(Error::invalid("not an inventory change"));
        };
        let location: u64 = match location_id {
            Some(l) => l
                .parse()
                .map_err(|_| Error::invalid(format!("location id {l:?} is not a number")))?,
            None => 1, // every store's default location
        };
        let mut item = serde_json::Map::new();
        item.insert("location_id".into(), json!(location));
        let key = if let Some(v) = variant_id {
            let v: u64 = v
                .parse()
                .map_err(|_| Error::invalid(format!("variant id {v:?} is not a number")))?;
            item.insert("variant_id".into(), json!(v));
            v.to_string()
        } else if let Some(s) = sku {
            item.insert("sku".into(), json!(s));
            String::new()
        } else if let Some(p) = product_id {
            let p: u64 = p
                .parse()
                .map_err(|_| Error::invalid(format!("product id {p:?} is not a number")))?;
            item.insert("product_id".into(), json!(p));
            format!("product-{p}")
        } else {
            return Err(Error::invalid(
                "set_inventory needs a variant_id, sku or product_id",
            ));
        };
        let (method, path, quantity) = match change {
            InventoryChange::Absolute(q) => (Method::PUT, "/v3/inventory/adjustments/absolute", *q),
            InventoryChange::Delta(d) => (Method::POST, "/v3/inventory/adjustments/relative", *d),
        };
        item.insert("quantity".into(), json!(quantity));
        let body = json!({ "reason": "polycart", "items": [Value::Object(item)] });
        self.send_json(method, path, &body).await?;
        let key = if key.is_empty() {
            // Identified by SKU: find the item it names.
            let list = self
                .v3_list(
                    "/v3/inventory/items",
                    &[
                        ("sku:in", sku.clone().unwrap_or_default()),
                        ("location_id:in", location.to_string()),
                    ],
                )
                .await?;
            let records = self.map_v3(Entity::Inventory, &list.data).await?;
            return records
                .into_iter()
                .next()
                .ok_or_else(|| Error::not_found(format!("inventory of sku {sku:?}")));
        } else {
            format!("{key}:{location}")
        };
        self.get_v3(Entity::Inventory, &key).await
    }

    async fn create_shipment(&self, op: &WriteOp) -> Result<Record> {
        let WriteOp::CreateShipment {
            order_id,
            carrier,
            tracking_number,
            line_items,
            ..
        } = op
        else {
            return Err(Error::invalid("not a shipment"));
        };
        let oid = path_id(order_id)?;
        let addresses = self
            .v2_all(&format!("/v2/orders/{oid}/shipping_addresses"))
            .await?;
        let address_id = addresses
            .first()
            .and_then(|a| a.get("id").cloned())
            .ok_or_else(|| {
                Error::invalid(format!(
                    "order {order_id} has no shipping address to ship to"
                ))
            })?;
        let items: Vec<Value> = if line_items.is_empty() {
            let products = self.v2_all(&format!("/v2/orders/{oid}/products")).await?;
            products
                .iter()
                .filter_map(|p| {
                    let qty = p.get("quantity").and_then(Value::as_i64)?;
                    let shipped = p
                        .get("quantity_shipped")
                        .and_then(Value::as_i64)
                        .unwrap_or(0);
                    (qty > shipped).then(
                        || json!({ "order_product_id": p.get("id"), "quantity": qty - shipped }),
                    )
                })
                .collect()
        } else {
            line_items
                .iter()
                .map(|l| {
                    let id: u64 = l.line_item_id.parse().map_err(|_| {
                        Error::invalid(format!("line item id {:?} is not a number", l.line_item_id))
                    })?;
                    Ok(json!({ "order_product_id": id, "quantity": l.quantity }))
                })
                .collect::<Result<_>>()?
        };
        if items.is_empty() {
            return Err(Error::invalid(format!(
                "order {order_id} has nothing left to ship"
            )));
        }
        let mut body = json!({ "order_address_id": address_id, "items": items });
        if let Some(t) = tracking_number {
            body["tracking_number"] = json!(t);
        }
        if let Some(c) = carrier {
            match shipping_provider(c) {
                Some(code) => body["shipping_provider"] = json!(code),
                None => body["tracking_carrier"] = json!(c),
            }
        }
        // Not idempotent and BigCommerce honours no idempotency key: never retried blindly.
        self.send_json(Method::POST, &format!("/v2/orders/{oid}/shipments"), &body)
            .await?;
        self.get_order(order_id).await
    }

    /// Registers a webhook (`POST /v3/hooks`) for `scope` delivering to `destination`,
    /// with the store's custom header when one is configured. Returns the hook's id.
    pub async fn register_webhook(&self, scope: &str, destination: &str) -> Result<String> {
        let mut body = json!({ "scope": scope, "destination": destination, "is_active": true });
        if let Some((name, value)) = &self.config.webhook_header {
            body["headers"] = json!({ name: value.expose() });
        }
        let r = self.send_json(Method::POST, "/v3/hooks", &body).await?;
        let v: Value = r.json()?;
        v.pointer("/data/id")
            .map(|id| id.to_string())
            .ok_or_else(|| Error::decode("$.data.id", "the created hook has no id"))
    }

    /// Checks a delivery at a given time (unix seconds); [`Adapter::verify_webhook`] uses now.
    pub fn verify_webhook_at(
        &self,
        headers: &HeaderMap,
        body: &[u8],
        now: i64,
    ) -> Result<WebhookEvent> {
        self.verifier.verify_at(headers, body, now)
    }
}

/// BigCommerce's `shipping_provider` code of a carrier name, where it has one.
fn shipping_provider(carrier: &str) -> Option<&'static str> {
    let c = carrier.to_ascii_lowercase().replace([' ', '-', '_'], "");
    Some(match c.as_str() {
        "ups" => "ups",
        "usps" => "usps",
        "fedex" => "fedex",
        "auspost" | "australiapost" => "auspost",
        "royalmail" => "royalmail",
        "canadapost" => "canadapost",
        "dhl" | "dhlexpress" => "dhl",
        _ => return None,
    })
}

/// An exact decimal as a JSON number token (v3 takes numbers, never floats we made).
fn decimal_json(d: rust_decimal::Decimal) -> Value {
    serde_json::from_str(&d.normalize().to_string()).unwrap_or_else(|_| json!(d.to_string()))
}

/// Refuses ids that would change the request path.
fn path_id(id: &str) -> Result<&str> {
    if id.is_empty()
        || !id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(Error::invalid(format!("{id:?} is not a BigCommerce id")));
    }
    Ok(id)
}

/// Query filters naming one inventory level: `variant:location` or `product-P:location`.
fn inventory_filter(id: &str) -> Result<Vec<(&'static str, String)>> {
    let (item, location) = id.split_once(':').ok_or_else(|| {
        Error::invalid(format!(
            "{id:?} is not an inventory level id (variant:location)"
        ))
    })?;
    let location = path_id(location)?.to_owned();
    Ok(match item.strip_prefix("product-") {
        Some(p) => vec![
            ("product_id:in", path_id(p)?.to_owned()),
            ("location_id:in", location),
        ],
        None => vec![
            ("variant_id:in", path_id(item)?.to_owned()),
            ("location_id:in", location),
        ],
    })
}

fn capabilities() -> Capabilities {
    Capabilities {
        entities: Entity::ALL.to_vec(),
        updated_since: true,
        created_since: true,
        status_filter: false,
        count: true,
        max_page_size: MAX_PAGE,
        bulk_export: false,
        writes: WriteCapabilities {
            product_price: true,
            product_title: true,
            product_status: true,
            inventory_set: true,
            inventory_adjust: true,
            order_status: true,
            order_note: false,
            order_tags: false,
            shipment_create: true,
        },
        webhooks: true,
        webhook_registration: true,
    }
}

#[async_trait]
impl Adapter for BigCommerce {
    fn platform(&self) -> &'static str {
        PLATFORM
    }

    fn capabilities(&self) -> &Capabilities {
        &self.capabilities
    }

    async fn list(&self, query: &ListQuery) -> Result<Page> {
        if query.status.is_some() {
            // v2 filters by one status_id; a unified status spans several.
            return Err(Error::unsupported(PLATFORM, "status filter"));
        }
        let page = match &query.cursor {
            Some(c) => c.decode::<PageCursor>()?.page.max(1),
            None => 1,
        };
        match query.entity {
            Entity::Order => self.list_orders(query, page).await,
            entity => self.list_v3(entity, query, page).await,
        }
    }

    async fn get(&self, entity: Entity, platform_id: &str) -> Result<Record> {
        self.get_v3(entity, platform_id).await
    }

    async fn count(&self, query: &ListQuery) -> Result<u64> {
        match query.entity {
            Entity::Order => {
                let r = self
                    .get("/v2/orders/count", &Self::v2_filters(query))
                    .await?;
                Ok(r.json::<V2Count>()?.count)
            }
            Entity::Inventory => {
                // Every item lists every location: levels = items × locations.
                let items = self.v3_total(Entity::Inventory, query).await?;
                let locations = self
                    .v3_list(
                        "/v3/inventory/locations",
                        &[("page", "1".into()), ("limit", "1".into())],
                    )
                    .await?;
                let locations = locations
                    .meta
                    .pagination
                    .map_or(locations.data.len() as u64, |p| p.total);
                Ok(items * locations)
            }
            entity => self.v3_total(entity, query).await,
        }
    }

    async fn write(&self, write: &Write) -> Result<Record> {
        match &write.op {
            op @ WriteOp::UpdateProduct { .. } => self.update_product(op).await,
            op @ WriteOp::SetInventory { .. } => self.set_inventory(op).await,
            WriteOp::UpdateOrderStatus {
                order_id, status, ..
            } => {
                let body = json!({ "status_id": mapping::status_id_for(*status) });
                self.send_json(
                    Method::PUT,
                    &format!("/v2/orders/{}", path_id(order_id)?),
                    &body,
                )
                .await?;
                self.get_order(order_id).await
            }
            op @ WriteOp::CreateShipment { .. } => self.create_shipment(op).await,
            op @ (WriteOp::AddOrderNote { .. } | WriteOp::AddOrderTags { .. }) => {
                Err(Error::unsupported(PLATFORM, op.name()))
            }
        }
    }

    fn verify_webhook(&self, headers: &HeaderMap, body: &[u8]) -> Result<WebhookEvent> {
        self.verifier
            .verify_at(headers, body, Utc::now().timestamp())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(status: u16, headers: &[(&'static str, &str)], body: &'static str) -> Response {
        let mut h = HeaderMap::new();
        for (k, v) in headers {
            h.insert(*k, v.parse().unwrap());
        }
        Response {
            status: StatusCode::from_u16(status).unwrap(),
            headers: h,
            body: body.as_bytes().to_vec().into(),
            url: "http://127.0.0.1/v2/orders".parse().unwrap(),
        }
    }

    #[test]
    fn a_429_waits_exactly_the_reset() {
        let r = response(
            429,
            &[
                ("x-rate-limit-time-reset-ms", "1234"),
                ("x-retry-after", "2"),
            ],
            "",
        );
        match Classifier.classify(&r) {
            Verdict::Throttled { after } => assert_eq!(after, Some(Duration::from_millis(1234))),
            other => panic!("{other:?}"),
        }
        let r = response(429, &[("X-Retry-After", "2")], "");
        assert!(
            matches!(Classifier.classify(&r), Verdict::Throttled { after: Some(d) } if d == Duration::from_secs(2))
        );
    }

    #[test]
    fn html_and_broken_json_are_retried() {
        let html = response(200, &[("content-type", "text/html")], "<html></html>");
        assert!(matches!(Classifier.classify(&html), Verdict::Retry));
        let cut = response(200, &[("content-type", "application/json")], "[{\"id\":1");
        assert!(matches!(Classifier.classify(&cut), Verdict::Retry));
        let empty = response(204, &[], "");
        assert!(matches!(Classifier.classify(&empty), Verdict::Done));
        let ok = response(200, &[("content-type", "application/json")], "[]");
        assert!(matches!(Classifier.classify(&ok), Verdict::Done));
    }

    #[test]
    fn ids_cannot_escape_the_path() {
        assert!(path_id("123").is_ok());
        assert!(path_id("../x").is_err());
        assert!(path_id("1?a=b").is_err());
        assert_eq!(
            inventory_filter("509:2").unwrap()[0],
            ("variant_id:in", "509".to_owned())
        );
        assert_eq!(
            inventory_filter("product-7:1").unwrap()[0],
            ("product_id:in", "7".to_owned())
        );
    }
}
