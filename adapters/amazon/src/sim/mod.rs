//! An Amazon Selling Partner API simulator, after the SP-API models
//! (amzn/selling-partner-api-models) and their examples in `fixtures/amazon/`:
//!
//! - Login with Amazon: `POST /auth/o2/token` (`grant_type=refresh_token` with the
//!   app's `client_id`/`client_secret` in the form) answers a one-hour access token;
//!   `invalid_client` (401) and `invalid_grant` (400) as LWA words them.
//! - Every SP-API call needs `x-amz-access-token`; a missing, unknown or expired token
//!   is `403` `{"errors":[{"code":"Unauthorized", ...}]}` ("The access token you
//!   provided has expired." for an expired one).
//! - Orders API 2026-01-01: `GET /orders/2026-01-01/orders` (`marketplaceIds`,
//!   `createdAfter` or `lastUpdatedAfter`, `maxResultsPerPage` ≤ 100, `includedData`,
//!   `paginationToken` valid 24 h with the same filters) and `GET .../orders/{id}`.
//! - Orders API v0: `GET /orders/v0/orders` (`MarketplaceIds`, `CreatedAfter` or
//!   `LastUpdatedAfter`, `NextToken` overriding the rest, the `payload` wrapper),
//!   `GET /orders/v0/orders/{id}`, `.../orderItems`, and `POST
//!   .../shipmentConfirmation` (`204`); buyer and address PII only to requests
//!   carrying a Restricted Data Token from `POST /tokens/2021-03-01/restrictedDataToken`.
//! - Listings Items 2021-08-01: `GET /listings/2021-08-01/items/{sellerId}` (search,
//!   `pageSize` ≤ 20, `pageToken`, `lastUpdatedAfter`, `sortBy`),
//!   `GET .../{sellerId}/{sku}` and `PATCH` of its price and merchant-fulfilled
//!   stock; one listing per generated variant (SKU).
//! - FBA Inventory v1: `GET /fba/inventory/v1/summaries` (`granularityType`,
//!   `granularityId`, `marketplaceIds`, `details`, `startDateTime`, `sellerSkus`,
//!   `nextToken`; 50 a page), the `payload` wrapper with `pagination` beside it.
//! - A token bucket per operation with Amazon's default usage plans (plan `default`),
//!   or 100/s with a burst of 100 each (plan `fast`, for demos and benches);
//!   `x-amzn-RateLimit-Limit` on the answers an operation served (not on 429 and 5xx,
//!   where Amazon no longer sends it), `429 QuotaExceeded` when empty, and an
//!   `x-amzn-RequestId` on every answer.
//! - The kit's fault injection.
//!
//! Rendered from its own data over the kit's generated store, never from the
//! adapter's types.

// Handlers answer errors as ready responses, as axum does; boxing them buys nothing.
#![allow(clippy::result_large_err)]

mod handle;
mod render;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::Router;
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::{DateTime, Duration, Utc};
use futures::future::BoxFuture;
use polycart_kit::sim::{Faults, LeakyBucket, SimInfo, SimOptions, SimServer, SimStore};
use serde_json::{Value, json};

pub use render::{Included, order_id};

/// The one marketplace the simulated seller sells in (amazon.com).
pub const MARKETPLACE: &str = "ATVPDKIKX0DER";

/// A package a shipment confirmation added: (reference, carrier, tracking, lines, at).
#[derive(Debug, Clone)]
pub struct Package {
    pub reference: String,
    pub carrier: String,
    pub tracking: String,
    /// (order item id, quantity)
    pub lines: Vec<(String, u64)>,
    pub at: DateTime<Utc>,
}

/// What the simulator keeps beside the generated store.
#[derive(Debug, Default)]
pub struct Extra {
    /// Packages confirmed through the API, by generated order id.
    pub packages: HashMap<u64, Vec<Package>>,
    /// Listings (SKUs) deleted by the seller.
    pub deleted_skus: HashSet<String>,
    /// Access tokens issued, with their expiry.
    pub tokens: HashMap<String, DateTime<Utc>>,
    /// Which of them are Restricted Data Tokens (v0 answers then carry PII).
    pub restricted: HashSet<String>,
}

/// A running simulator's state, for tests.
#[derive(Clone)]
pub struct AmazonSim {
    store: Arc<Mutex<SimStore>>,
    extra: Arc<Mutex<Extra>>,
    pub client_id: String,
    pub client_secret: String,
    pub refresh_token: String,
    /// The seller's merchant token (Listings Items paths).
    pub seller_id: String,
    seed: u64,
    faults: Arc<Faults>,
    buckets: Arc<BTreeMap<&'static str, (f64, LeakyBucket)>>,
    /// Token exchanges served.
    exchanges: Arc<std::sync::atomic::AtomicU64>,
}

impl AmazonSim {
    /// The generated store, to read or change.
    pub fn store(&self) -> std::sync::MutexGuard<'_, SimStore> {
        self.store.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// What the simulator keeps besides (packages, deleted listings, tokens).
    pub fn extra(&self) -> std::sync::MutexGuard<'_, Extra> {
        self.extra.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Makes every access token issued so far expired, as an hour later.
    pub fn expire_tokens(&self) {
        let past = Utc::now() - Duration::seconds(1);
        for at in self.extra().tokens.values_mut() {
            *at = past;
        }
    }

    /// How many token exchanges LWA answered.
    pub fn token_exchanges(&self) -> u64 {
        self.exchanges.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The Amazon order id of a generated order.
    pub fn order_id(&self, o: &polycart_kit::sim::SimOrder) -> String {
        order_id(self.seed, o)
    }

    /// An operation's bucket: (rate per second, bucket).
    pub fn bucket(&self, operation: &str) -> Option<&(f64, LeakyBucket)> {
        self.buckets.get(operation)
    }
}

/// Amazon's error body.
pub(crate) fn error(status: StatusCode, code: &str, message: &str, details: &str) -> Response {
    (
        status,
        axum::Json(json!({ "errors": [{ "code": code, "message": message, "details": details }] })),
    )
        .into_response()
}

fn invalid(message: &str) -> Response {
    error(StatusCode::BAD_REQUEST, "InvalidInput", message, "")
}

/// Query parameters by name (the last value wins; SP-API arrays are comma lists).
type Params = HashMap<String, String>;

fn params(pairs: Vec<(String, String)>) -> Params {
    pairs.into_iter().collect()
}

fn date(p: &Params, name: &str) -> Result<Option<DateTime<Utc>>, Response> {
    match p.get(name) {
        None => Ok(None),
        Some(v) => DateTime::parse_from_rfc3339(v)
            .map(|d| Some(d.with_timezone(&Utc)))
            .map_err(|_| invalid(&format!("{name} is not a valid ISO 8601 date: {v}"))),
    }
}

fn page_size(p: &Params, name: &str, default: usize, max: usize) -> Result<usize, Response> {
    match p.get(name) {
        None => Ok(default),
        Some(v) => match v.parse::<usize>() {
            Ok(n) if (1..=max).contains(&n) => Ok(n),
            _ => Err(invalid(&format!("{name} must be between 1 and {max}"))),
        },
    }
}

fn marketplaces(p: &Params, name: &str) -> Result<(), Response> {
    let Some(list) = p.get(name) else {
        return Err(invalid(&format!("{name} is required")));
    };
    for id in list.split(',') {
        if id != MARKETPLACE {
            return Err(invalid(&format!("Invalid {name}: {id}")));
        }
    }
    Ok(())
}

/// A page token: the filters it was issued for, the last key read and when.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, PartialEq)]
struct Token {
    /// The filters, as the request named them.
    f: String,
    /// The last key read (creation second and id, or the SKU).
    k: String,
    /// Issued at (unix seconds).
    t: i64,
}

impl Token {
    fn encode(&self) -> String {
        let json = serde_json::to_string(self).unwrap_or_default();
        json.bytes().map(|b| format!("{b:02x}")).collect()
    }

    fn decode(text: &str) -> Option<Token> {
        if !text.len().is_multiple_of(2) {
            return None;
        }
        let bytes: Option<Vec<u8>> = (0..text.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
            .collect();
        serde_json::from_slice(&bytes?).ok()
    }
}

/// Orders of a listing: (sort key, order) after `after`, filtered.
struct OrderQuery {
    created_after: Option<DateTime<Utc>>,
    updated_after: Option<DateTime<Utc>>,
    /// The filters as text, which a page token must carry unchanged.
    signature: String,
}

fn key(o: &polycart_kit::sim::SimOrder) -> String {
    format!("{:012}:{:012}", o.created_at.timestamp(), o.id)
}

/// One page of orders: the rendered orders and the next token.
fn order_page(
    sim: &AmazonSim,
    q: &OrderQuery,
    after: Option<&str>,
    size: usize,
    render: impl Fn(&polycart_kit::sim::SimOrder, &[Package]) -> Value,
) -> (Vec<Value>, Option<String>) {
    let store = sim.store();
    let extra = sim.extra();
    let mut rows: Vec<_> = store
        .orders
        .iter()
        .filter(|o| !o.deleted)
        .filter(|o| q.created_after.is_none_or(|c| o.created_at >= c))
        .filter(|o| {
            q.updated_after
                .is_none_or(|u| o.updated_at.timestamp() >= u.timestamp())
        })
        .filter(|o| after.is_none_or(|a| key(o).as_str() > a))
        .collect();
    rows.sort_by_key(|o| key(o));
    let more = rows.len() > size;
    rows.truncate(size);
    let next = more.then(|| {
        Token {
            f: q.signature.clone(),
            k: rows.last().map(|o| key(o)).unwrap_or_default(),
            t: Utc::now().timestamp(),
        }
        .encode()
    });
    let none: Vec<Package> = Vec::new();
    let out = rows
        .into_iter()
        .map(|o| render(o, extra.packages.get(&o.id).unwrap_or(&none)))
        .collect();
    (out, next)
}

/// `GET /orders/2026-01-01/orders` (searchOrders).
async fn search_orders(
    State(sim): State<AmazonSim>,
    Query(q): Query<Vec<(String, String)>>,
) -> Response {
    let p = params(q);
    if let Err(r) = marketplaces(&p, "marketplaceIds") {
        return r;
    }
    let included = match Included::parse(p.get("includedData").map(String::as_str)) {
        Ok(i) => i,
        Err(bad) => return invalid(&format!("Invalid includedData: {bad}")),
    };
    let (created_after, updated_after) =
        match (date(&p, "createdAfter"), date(&p, "lastUpdatedAfter")) {
            (Ok(c), Ok(u)) => (c, u),
            (Err(r), _) | (_, Err(r)) => return r,
        };
    if created_after.is_none() && updated_after.is_none() {
        return invalid("Either createdAfter or lastUpdatedAfter is required");
    }
    let size = match page_size(&p, "maxResultsPerPage", 100, 100) {
        Ok(n) => n,
        Err(r) => return r,
    };
    let signature = format!(
        "{}|{}|{}|{}",
        p.get("marketplaceIds").map_or("", String::as_str),
        p.get("createdAfter").map_or("", String::as_str),
        p.get("lastUpdatedAfter").map_or("", String::as_str),
        p.get("includedData").map_or("", String::as_str)
    );
    let after = match p.get("paginationToken") {
        None => None,
        Some(t) => match Token::decode(t) {
            Some(t) if t.f == signature && Utc::now().timestamp() - t.t <= 24 * 3600 => Some(t.k),
            Some(t) if t.f == signature => return invalid("The paginationToken has expired"),
            _ => return invalid("Invalid paginationToken: it does not match the request"),
        },
    };
    let query = OrderQuery {
        created_after,
        updated_after,
        signature,
    };
    let seed = sim.seed;
    let (orders, next) = order_page(&sim, &query, after.as_deref(), size, |o, packages| {
        render::order_2026(seed, o, packages, &included)
    });
    let mut body = json!({ "orders": orders });
    if let Some(n) = next {
        body["pagination"] = json!({ "nextToken": n });
    }
    let bound = render::time(Utc::now() - Duration::minutes(2));
    if updated_after.is_some() {
        body["lastUpdatedBefore"] = json!(bound);
    } else {
        body["createdBefore"] = json!(bound);
    }
    axum::Json(body).into_response()
}

fn find_order(sim: &AmazonSim, id: &str) -> Option<u64> {
    sim.store()
        .orders
        .iter()
        .find(|o| !o.deleted && order_id(sim.seed, o) == id)
        .map(|o| o.id)
}

fn not_found(id: &str) -> Response {
    error(
        StatusCode::NOT_FOUND,
        "NotFound",
        &format!("Order {id} was not found"),
        "",
    )
}

/// Renders one order by its Amazon id.
fn with_order(
    sim: &AmazonSim,
    id: &str,
    render: impl Fn(&polycart_kit::sim::SimOrder, &[Package]) -> Value,
) -> Response {
    let Some(n) = find_order(sim, id) else {
        return not_found(id);
    };
    let store = sim.store();
    let extra = sim.extra();
    let Some(o) = store.orders.iter().find(|o| o.id == n) else {
        return not_found(id);
    };
    let packages = extra.packages.get(&n).map(Vec::as_slice).unwrap_or(&[]);
    axum::Json(render(o, packages)).into_response()
}

/// `GET /orders/2026-01-01/orders/{orderId}` (getOrder).
async fn get_order_2026(
    State(sim): State<AmazonSim>,
    Path(id): Path<String>,
    Query(q): Query<Vec<(String, String)>>,
) -> Response {
    let p = params(q);
    let included = match Included::parse(p.get("includedData").map(String::as_str)) {
        Ok(i) => i,
        Err(bad) => return invalid(&format!("Invalid includedData: {bad}")),
    };
    let seed = sim.seed;
    with_order(
        &sim,
        &id,
        |o, packages| json!({ "order": render::order_2026(seed, o, packages, &included) }),
    )
}

/// Whether the request carries a Restricted Data Token (its v0 answers carry PII).
fn restricted(sim: &AmazonSim, headers: &axum::http::HeaderMap) -> bool {
    headers
        .get("x-amz-access-token")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| sim.extra().restricted.contains(t))
}

/// `POST /tokens/2021-03-01/restrictedDataToken` (createRestrictedDataToken): a
/// one-hour token for the restricted resources asked for, each a known v0 path
/// (generic `{orderId}` or a real order id) with known data elements.
async fn create_rdt(State(sim): State<AmazonSim>, body: axum::body::Bytes) -> Response {
    let Ok(body) = serde_json::from_slice::<Value>(&body) else {
        return invalid("The request body is not valid JSON");
    };
    let Some(resources) = body
        .get("restrictedResources")
        .and_then(Value::as_array)
        .filter(|r| !r.is_empty() && r.len() <= 50)
    else {
        return invalid("restrictedResources must list 1 to 50 resources");
    };
    for r in resources {
        let path = r.get("path").and_then(Value::as_str).unwrap_or("");
        let method = r.get("method").and_then(Value::as_str).unwrap_or("");
        let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        let known = method == "GET"
            && matches!(
                parts.as_slice(),
                ["orders", "v0", "orders"]
                    | ["orders", "v0", "orders", _]
                    | ["orders", "v0", "orders", _, "orderItems"]
            );
        if !known {
            return invalid(&format!(
                "Application does not have access to one or more requested data elements: {method} {path}"
            ));
        }
        let elements_ok = r
            .get("dataElements")
            .and_then(Value::as_array)
            .is_some_and(|e| {
                e.iter().all(|x| {
                    matches!(
                        x.as_str(),
                        Some("buyerInfo" | "shippingAddress" | "buyerTaxInformation")
                    )
                })
            });
        if !elements_ok {
            return invalid(&format!("Invalid dataElements for {path}"));
        }
    }
    let token = format!(
        "Atz.sprdt|sim{}-{:x}",
        sim.seed,
        Utc::now().timestamp_micros()
    );
    {
        let mut extra = sim.extra();
        extra
            .tokens
            .insert(token.clone(), Utc::now() + Duration::seconds(3600));
        extra.restricted.insert(token.clone());
    }
    axum::Json(json!({ "restrictedDataToken": token, "expiresIn": 3600 })).into_response()
}

/// `GET /orders/v0/orders` (getOrders).
async fn get_orders_v0(
    State(sim): State<AmazonSim>,
    headers: axum::http::HeaderMap,
    Query(q): Query<Vec<(String, String)>>,
) -> Response {
    let pii = restricted(&sim, &headers);
    let p = params(q);
    if let Err(r) = marketplaces(&p, "MarketplaceIds") {
        return r;
    }
    let size = match page_size(&p, "MaxResultsPerPage", 100, 100) {
        Ok(n) => n,
        Err(r) => return r,
    };
    // NextToken overrides every other criterion: the token carries them.
    let (signature, after) = match p.get("NextToken") {
        Some(t) => match Token::decode(t) {
            Some(t) => (t.f, Some(t.k)),
            None => return invalid("Invalid NextToken"),
        },
        None => {
            let c = p.get("CreatedAfter").cloned().unwrap_or_default();
            let u = p.get("LastUpdatedAfter").cloned().unwrap_or_default();
            if c.is_empty() == u.is_empty() {
                return invalid("Exactly one of CreatedAfter or LastUpdatedAfter is required");
            }
            (format!("{c}|{u}"), None)
        }
    };
    let (c, u) = signature.split_once('|').unwrap_or(("", ""));
    let parse = |v: &str| -> Result<Option<DateTime<Utc>>, Response> {
        if v.is_empty() {
            return Ok(None);
        }
        DateTime::parse_from_rfc3339(v)
            .map(|d| Some(d.with_timezone(&Utc)))
            .map_err(|_| invalid(&format!("Invalid date: {v}")))
    };
    let (created_after, updated_after) = match (parse(c), parse(u)) {
        (Ok(c), Ok(u)) => (c, u),
        (Err(r), _) | (_, Err(r)) => return r,
    };
    let query = OrderQuery {
        created_after,
        updated_after,
        signature: signature.clone(),
    };
    let seed = sim.seed;
    let (orders, next) = order_page(&sim, &query, after.as_deref(), size, |o, packages| {
        render::order_v0(seed, o, packages, pii)
    });
    let mut payload = json!({ "Orders": orders });
    if let Some(n) = next {
        payload["NextToken"] = json!(n);
    }
    let bound = render::time(Utc::now() - Duration::minutes(2));
    if updated_after.is_some() {
        payload["LastUpdatedBefore"] = json!(bound);
    } else {
        payload["CreatedBefore"] = json!(bound);
    }
    axum::Json(json!({ "payload": payload })).into_response()
}

/// `GET /orders/v0/orders/{orderId}` (getOrder).
async fn get_order_v0(
    State(sim): State<AmazonSim>,
    headers: axum::http::HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let pii = restricted(&sim, &headers);
    let seed = sim.seed;
    with_order(
        &sim,
        &id,
        |o, packages| json!({ "payload": render::order_v0(seed, o, packages, pii) }),
    )
}

/// `GET /orders/v0/orders/{orderId}/orderItems` (getOrderItems), 100 items a page.
async fn get_order_items_v0(
    State(sim): State<AmazonSim>,
    Path(id): Path<String>,
    Query(q): Query<Vec<(String, String)>>,
) -> Response {
    let p = params(q);
    let from: usize = match p.get("NextToken") {
        None => 0,
        Some(t) => match Token::decode(t).and_then(|t| t.k.parse().ok()) {
            Some(n) => n,
            None => return invalid("Invalid NextToken"),
        },
    };
    with_order(&sim, &id, |o, packages| {
        let items = render::order_items_v0(o, packages);
        let page: Vec<Value> = items.iter().skip(from).take(100).cloned().collect();
        let mut payload = json!({ "AmazonOrderId": id, "OrderItems": page });
        if items.len() > from + 100 {
            payload["NextToken"] = json!(
                Token {
                    f: id.clone(),
                    k: (from + 100).to_string(),
                    t: Utc::now().timestamp()
                }
                .encode()
            );
        }
        json!({ "payload": payload })
    })
}

/// `POST /orders/v0/orders/{orderId}/shipmentConfirmation` (confirmShipment).
async fn confirm_shipment(
    State(sim): State<AmazonSim>,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Response {
    let Ok(body) = serde_json::from_slice::<Value>(&body) else {
        return invalid("The request body is not valid JSON");
    };
    if body.get("marketplaceId").and_then(Value::as_str) != Some(MARKETPLACE) {
        return invalid("marketplaceId is missing or not the order's");
    }
    let d = &body["packageDetail"];
    let text = |k: &str| d.get(k).and_then(Value::as_str).filter(|s| !s.is_empty());
    let (Some(reference), Some(carrier), Some(tracking), Some(_)) = (
        text("packageReferenceId"),
        text("carrierCode"),
        text("trackingNumber"),
        text("shipDate"),
    ) else {
        return invalid(
            "packageDetail needs packageReferenceId, carrierCode, trackingNumber and shipDate",
        );
    };
    let carrier = if carrier == "Other" {
        match text("carrierName") {
            Some(name) => name,
            None => return invalid("carrierName is required when carrierCode is Other"),
        }
    } else {
        carrier
    };
    let Some(items) = d
        .get("orderItems")
        .and_then(Value::as_array)
        .filter(|i| !i.is_empty())
    else {
        return invalid("packageDetail.orderItems is required");
    };
    let Some(n) = find_order(&sim, &id) else {
        return not_found(&id);
    };
    let mut store = sim.store();
    let mut extra = sim.extra();
    let Some(order) = store.order_mut(n) else {
        return not_found(&id);
    };
    let packages = extra.packages.entry(n).or_default();
    let status = render::status(order, packages);
    if !matches!(status, "UNSHIPPED" | "PARTIALLY_SHIPPED") {
        return invalid(&format!("Order {id} is {status}: it cannot be confirmed"));
    }
    let mut lines = Vec::new();
    for item in items {
        let (Some(item_id), Some(q)) = (
            item.get("orderItemId").and_then(Value::as_str),
            item.get("quantity").and_then(Value::as_u64),
        ) else {
            return invalid("each orderItem needs orderItemId and quantity");
        };
        let Some(line) = order
            .line_items
            .iter()
            .find(|l| l.id.to_string() == item_id)
        else {
            return invalid(&format!("Unknown orderItemId {item_id}"));
        };
        let open = render::unshipped(order, packages, line);
        if q == 0 || q > open {
            return invalid(&format!(
                "quantity {q} of {item_id} exceeds the {open} not yet shipped"
            ));
        }
        lines.push((item_id.to_owned(), q));
    }
    packages.push(Package {
        reference: reference.to_owned(),
        carrier: carrier.to_owned(),
        tracking: tracking.to_owned(),
        lines,
        at: Utc::now(),
    });
    order.updated_at = Utc::now();
    StatusCode::NO_CONTENT.into_response()
}

/// A live listing: (SKU, created, last updated).
type Listing = (String, DateTime<Utc>, DateTime<Utc>);

/// The live listings (one per SKU not deleted).
fn listings(sim: &AmazonSim) -> Vec<Listing> {
    let store = sim.store();
    let extra = sim.extra();
    let mut out = Vec::new();
    for p in store.products.iter().filter(|p| !p.deleted) {
        for v in &p.variants {
            if extra.deleted_skus.contains(&v.sku) {
                continue;
            }
            let updated = p.updated_at.max(v.updated_at);
            out.push((v.sku.clone(), p.created_at.min(v.created_at), updated));
        }
    }
    out
}

fn listing_sections(p: &Params) -> Result<Vec<String>, Response> {
    const KNOWN: &[&str] = &[
        "summaries",
        "attributes",
        "issues",
        "offers",
        "fulfillmentAvailability",
        "procurement",
        "relationships",
        "productTypes",
    ];
    let list = p
        .get("includedData")
        .map_or("summaries", String::as_str)
        .split(',')
        .map(str::to_owned)
        .collect::<Vec<_>>();
    match list.iter().find(|s| !KNOWN.contains(&s.as_str())) {
        Some(bad) => Err(invalid(&format!("Invalid includedData: {bad}"))),
        None => Ok(list),
    }
}

fn check_seller(sim: &AmazonSim, seller: &str) -> Result<(), Response> {
    if seller == sim.seller_id {
        Ok(())
    } else {
        Err(error(
            StatusCode::FORBIDDEN,
            "Unauthorized",
            "Access to requested resource is denied.",
            "",
        ))
    }
}

/// `GET /listings/2021-08-01/items/{sellerId}` (searchListingsItems).
async fn search_listings(
    State(sim): State<AmazonSim>,
    Path(seller): Path<String>,
    Query(q): Query<Vec<(String, String)>>,
) -> Response {
    let p = params(q);
    if let Err(r) = check_seller(&sim, &seller).and_then(|()| marketplaces(&p, "marketplaceIds")) {
        return r;
    }
    let sections = match listing_sections(&p) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let size = match page_size(&p, "pageSize", 10, 20) {
        Ok(n) => n,
        Err(r) => return r,
    };
    let updated_after = match date(&p, "lastUpdatedAfter") {
        Ok(u) => u,
        Err(r) => return r,
    };
    let sort = p.get("sortBy").map_or("lastUpdatedDate", String::as_str);
    let descending = match p.get("sortOrder").map(String::as_str) {
        None | Some("DESC") => true,
        Some("ASC") => false,
        Some(other) => return invalid(&format!("Invalid sortOrder: {other}")),
    };
    let mut rows = listings(&sim);
    rows.retain(|(_, _, u)| updated_after.is_none_or(|a| u.timestamp() >= a.timestamp()));
    let keyed = |(sku, c, u): &Listing| -> String {
        match sort {
            "createdDate" => format!("{:012}:{sku}", c.timestamp()),
            "lastUpdatedDate" => format!("{:012}:{sku}", u.timestamp()),
            _ => sku.clone(),
        }
    };
    if !matches!(sort, "sku" | "createdDate" | "lastUpdatedDate") {
        return invalid(&format!("Invalid sortBy: {sort}"));
    }
    let mut rows: Vec<(String, String)> = rows.iter().map(|r| (keyed(r), r.0.clone())).collect();
    rows.sort();
    if descending {
        rows.reverse();
    }
    let total = rows.len();
    let signature = format!(
        "{}|{}|{sort}|{descending}",
        seller,
        p.get("lastUpdatedAfter").map_or("", String::as_str)
    );
    if let Some(t) = p.get("pageToken") {
        match Token::decode(t).filter(|t| t.f == signature) {
            Some(t) => rows.retain(|(k, _)| if descending { *k < t.k } else { *k > t.k }),
            None => return invalid("Invalid pageToken"),
        }
    }
    let more = rows.len() > size;
    rows.truncate(size);
    let next = more.then(|| {
        Token {
            f: signature.clone(),
            k: rows.last().map(|r| r.0.clone()).unwrap_or_default(),
            t: Utc::now().timestamp(),
        }
        .encode()
    });
    let items: Vec<Value> = rows
        .iter()
        .filter_map(|(_, sku)| render::listing(&sim, sku, &sections))
        .collect();
    let mut body = json!({ "numberOfResults": total, "items": items });
    if let Some(n) = next {
        body["pagination"] = json!({ "nextToken": n });
    }
    axum::Json(body).into_response()
}

/// `GET /listings/2021-08-01/items/{sellerId}/{sku}` (getListingsItem).
async fn get_listing(
    State(sim): State<AmazonSim>,
    Path((seller, sku)): Path<(String, String)>,
    Query(q): Query<Vec<(String, String)>>,
) -> Response {
    let p = params(q);
    if let Err(r) = check_seller(&sim, &seller).and_then(|()| marketplaces(&p, "marketplaceIds")) {
        return r;
    }
    let sections = match listing_sections(&p) {
        Ok(s) => s,
        Err(r) => return r,
    };
    match render::listing(&sim, &sku, &sections) {
        Some(item) => axum::Json(item).into_response(),
        None => error(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            &format!("SKU '{sku}' not found in marketplace {MARKETPLACE}"),
            "",
        ),
    }
}

/// `PATCH /listings/2021-08-01/items/{sellerId}/{sku}` (patchListingsItem): JSON
/// patches of `purchasable_offer` (price) and `fulfillment_availability` (stock),
/// applied at once (Amazon applies them within minutes); `ACCEPTED`, or `INVALID` with
/// its issues.
async fn patch_listing(
    State(sim): State<AmazonSim>,
    Path((seller, sku)): Path<(String, String)>,
    Query(q): Query<Vec<(String, String)>>,
    body: axum::body::Bytes,
) -> Response {
    let p = params(q);
    if let Err(r) = check_seller(&sim, &seller).and_then(|()| marketplaces(&p, "marketplaceIds")) {
        return r;
    }
    let Ok(body) = serde_json::from_slice::<Value>(&body) else {
        return invalid("The request body is not valid JSON");
    };
    let refuse = |message: &str| {
        axum::Json(json!({
            "sku": sku, "status": "INVALID", "submissionId": format!("sim-{}", Utc::now().timestamp_micros()),
            "issues": [{ "code": "4000001", "message": message, "severity": "ERROR" }]
        }))
        .into_response()
    };
    let Some(patches) = body
        .get("patches")
        .and_then(Value::as_array)
        .filter(|p| !p.is_empty())
    else {
        return invalid("patches is required");
    };
    let Some(kind) = body.get("productType").and_then(Value::as_str) else {
        return invalid("productType is required");
    };
    let Some(expected) = render::listing(&sim, &sku, &["summaries".to_owned()]).and_then(|l| {
        l.pointer("/summaries/0/productType")
            .and_then(Value::as_str)
            .map(str::to_owned)
    }) else {
        return error(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            &format!("SKU '{sku}' not found in marketplace {MARKETPLACE}"),
            "",
        );
    };
    if kind != expected {
        return refuse(&format!(
            "The product type {kind} does not match the listing's"
        ));
    }
    let mut price = None;
    let mut quantity = None;
    for patch in patches {
        if patch.get("op").and_then(Value::as_str) != Some("replace") {
            return refuse("only replace patches are simulated");
        }
        let value = patch.pointer("/value/0");
        match patch.get("path").and_then(Value::as_str) {
            Some("/attributes/purchasable_offer") => {
                let amount = value
                    .and_then(|v| v.pointer("/our_price/0/schedule/0/value_with_tax"))
                    .and_then(|a| a.as_number())
                    .and_then(|n| n.to_string().parse::<rust_decimal::Decimal>().ok());
                match amount {
                    Some(a) if a >= rust_decimal::Decimal::ZERO => price = Some(a),
                    _ => {
                        return refuse(
                            "purchasable_offer needs our_price[0].schedule[0].value_with_tax",
                        );
                    }
                }
            }
            Some("/attributes/fulfillment_availability") => {
                let q = value
                    .filter(|v| {
                        v.get("fulfillment_channel_code").and_then(Value::as_str) == Some("DEFAULT")
                    })
                    .and_then(|v| v.get("quantity"))
                    .and_then(Value::as_i64);
                match q {
                    Some(q) if q >= 0 => quantity = Some(q),
                    _ => {
                        return refuse(
                            "fulfillment_availability needs fulfillment_channel_code DEFAULT and a quantity",
                        );
                    }
                }
            }
            _ => {
                return refuse("only purchasable_offer and fulfillment_availability are simulated");
            }
        }
    }
    let mut store = sim.store();
    let Some(v) = store
        .products
        .iter_mut()
        .filter(|p| !p.deleted)
        .flat_map(|p| p.variants.iter_mut())
        .find(|v| v.sku == sku)
    else {
        return invalid("the listing is gone");
    };
    if let Some(a) = price {
        v.price = a;
    }
    if let Some(q) = quantity {
        for (i, level) in v.stock.iter_mut().enumerate() {
            level.1 = if i == 0 { q } else { 0 };
        }
    }
    v.updated_at = Utc::now();
    axum::Json(json!({
        "sku": sku, "status": "ACCEPTED",
        "submissionId": format!("sim-{}", Utc::now().timestamp_micros()), "issues": []
    }))
    .into_response()
}

/// `GET /fba/inventory/v1/summaries` (getInventorySummaries): every live SKU's FBA
/// summary, 50 a page, `startDateTime` ("changed after", at most 18 months back,
/// required again with a `nextToken` it was given with), `sellerSkus` (≤ 50).
async fn inventory_summaries(
    State(sim): State<AmazonSim>,
    Query(q): Query<Vec<(String, String)>>,
) -> Response {
    let p = params(q);
    if p.get("granularityType").map(String::as_str) != Some("Marketplace") {
        return invalid("granularityType must be Marketplace");
    }
    if p.get("granularityId").map(String::as_str) != Some(MARKETPLACE) {
        return invalid("Invalid granularityId");
    }
    if let Err(r) = marketplaces(&p, "marketplaceIds") {
        return r;
    }
    let details = p.get("details").is_some_and(|d| d == "true");
    let start = match date(&p, "startDateTime") {
        Ok(s) => s,
        Err(r) => return r,
    };
    if start.is_some_and(|s| s < Utc::now() - Duration::days(548)) {
        return invalid("startDateTime must be no earlier than 18 months ago");
    }
    let skus: Option<Vec<String>> = p
        .get("sellerSkus")
        .filter(|_| start.is_none())
        .map(|l| l.split(',').map(str::to_owned).collect());
    if skus.as_ref().is_some_and(|s| s.len() > 50) {
        return invalid("sellerSkus takes at most 50 SKUs");
    }
    let signature = p.get("startDateTime").cloned().unwrap_or_default();
    let after = match p.get("nextToken") {
        None => None,
        Some(t) => match Token::decode(t) {
            Some(t) if t.f == signature => Some(t.k),
            _ => return invalid("Invalid nextToken: use it with the same startDateTime"),
        },
    };
    let mut rows: Vec<(String, DateTime<Utc>)> = listings(&sim)
        .into_iter()
        .map(|(sku, _, updated)| (sku, updated))
        .filter(|(_, u)| start.is_none_or(|s| u.timestamp() > s.timestamp()))
        .filter(|(sku, _)| skus.as_ref().is_none_or(|l| l.contains(sku)))
        .filter(|(sku, _)| after.as_ref().is_none_or(|a| sku > a))
        .collect();
    rows.sort();
    let more = rows.len() > 50;
    rows.truncate(50);
    let next = more.then(|| {
        Token {
            f: signature.clone(),
            k: rows.last().map(|r| r.0.clone()).unwrap_or_default(),
            t: Utc::now().timestamp(),
        }
        .encode()
    });
    let summaries: Vec<Value> = rows
        .iter()
        .filter_map(|(sku, _)| render::inventory_summary(&sim, sku, details))
        .collect();
    let mut body = json!({
        "payload": {
            "granularity": { "granularityType": "Marketplace", "granularityId": MARKETPLACE },
            "inventorySummaries": summaries
        }
    });
    if let Some(n) = next {
        body["pagination"] = json!({ "nextToken": n });
    }
    axum::Json(body).into_response()
}

/// `POST /auth/o2/token`: Login with Amazon's refresh-token grant.
async fn lwa_token(State(sim): State<AmazonSim>, body: String) -> Response {
    let form: HashMap<String, String> = url::form_urlencoded::parse(body.as_bytes())
        .into_owned()
        .collect();
    let lwa = |status: StatusCode, error: &str, description: &str| {
        (
            status,
            axum::Json(json!({ "error_description": description, "error": error })),
        )
            .into_response()
    };
    if form.get("grant_type").map(String::as_str) != Some("refresh_token") {
        return lwa(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "The authorization grant type is not supported by the authorization server",
        );
    }
    if form.get("client_id") != Some(&sim.client_id)
        || form.get("client_secret") != Some(&sim.client_secret)
    {
        return lwa(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "Client authentication failed",
        );
    }
    if form.get("refresh_token") != Some(&sim.refresh_token) {
        return lwa(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            "The request has an invalid grant parameter : refresh_token",
        );
    }
    let n = sim
        .exchanges
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        + 1;
    let token = format!(
        "Atza|sim{}-{n}-{:x}",
        sim.seed,
        Utc::now().timestamp_micros()
    );
    sim.extra()
        .tokens
        .insert(token.clone(), Utc::now() + Duration::seconds(3600));
    axum::Json(json!({
        "access_token": token,
        "refresh_token": sim.refresh_token,
        "token_type": "bearer",
        "expires_in": 3600
    }))
    .into_response()
}

/// The operation a request calls, for its bucket.
fn operation(method: &Method, path: &str) -> &'static str {
    let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
    match (method, parts.as_slice()) {
        (&Method::GET, ["orders", "2026-01-01", "orders"]) => "searchOrders",
        (&Method::GET, ["orders", "2026-01-01", "orders", _]) => "getOrder",
        (&Method::GET, ["orders", "v0", "orders"]) => "getOrders",
        (&Method::GET, ["orders", "v0", "orders", _]) => "getOrderV0",
        (&Method::GET, ["orders", "v0", "orders", _, "orderItems"]) => "getOrderItems",
        (&Method::POST, ["orders", "v0", "orders", _, "shipmentConfirmation"]) => "confirmShipment",
        (&Method::GET, ["listings", "2021-08-01", "items", _]) => "searchListingsItems",
        (&Method::GET, ["listings", "2021-08-01", "items", _, _]) => "getListingsItem",
        (&Method::PATCH, ["listings", "2021-08-01", "items", _, _]) => "patchListingsItem",
        (&Method::GET, ["fba", "inventory", "v1", "summaries"]) => "getInventorySummaries",
        (&Method::POST, ["tokens", "2021-03-01", "restrictedDataToken"]) => {
            "createRestrictedDataToken"
        }
        _ => "other",
    }
}

/// The access token, then the operation's bucket; the rate on every answer.
async fn gate(State(sim): State<AmazonSim>, request: Request, next: Next) -> Response {
    let token = request
        .headers()
        .get("x-amz-access-token")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let expiry = token
        .as_ref()
        .and_then(|t| sim.extra().tokens.get(t).copied());
    let denied = |details: &str| {
        error(
            StatusCode::FORBIDDEN,
            "Unauthorized",
            "Access to requested resource is denied.",
            details,
        )
    };
    match (token, expiry) {
        (None, _) => return denied(""),
        (Some(_), None) => {
            return denied("The access token you provided is revoked, malformed or invalid.");
        }
        (Some(_), Some(at)) if at <= Utc::now() => {
            return denied("The access token you provided has expired.");
        }
        _ => {}
    }
    let op = operation(request.method(), request.uri().path());
    let Some((rate, bucket)) = sim.buckets.get(op) else {
        return error(StatusCode::NOT_FOUND, "NotFound", "Resource not found", "");
    };
    let rate_header = HeaderValue::from_str(&format!("{rate}")).ok();
    let mut response = match bucket.take(1.0, Instant::now()) {
        Ok(_) => next.run(request).await,
        Err(_) => error(
            StatusCode::TOO_MANY_REQUESTS,
            "QuotaExceeded",
            "You exceeded your quota for the requested resource.",
            "",
        ),
    };
    // The rate comes on answers the operation served; Amazon's models mark it
    // deprecated and no longer returned on 429 and 500.
    let status = response.status();
    if let Some(v) =
        rate_header.filter(|_| status != StatusCode::TOO_MANY_REQUESTS && !status.is_server_error())
    {
        response.headers_mut().insert("x-amzn-ratelimit-limit", v);
    }
    response
}

/// `x-amzn-RequestId` on every answer, as Amazon sends it.
async fn request_id(request: Request, next: Next) -> Response {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let mut response = next.run(request).await;
    if let Ok(v) = HeaderValue::from_str(&format!("{n:08x}-5151-4a1a-9a1a-{:012x}", n * 7919)) {
        response.headers_mut().insert("x-amzn-requestid", v);
    }
    response
}

/// The usage plans: (operation, rate per second, burst).
pub fn plan(name: Option<&str>) -> Result<Vec<(&'static str, f64, f64)>, String> {
    const DEFAULT: &[(&str, f64, f64)] = &[
        ("searchOrders", 0.0167, 20.0),
        ("getOrder", 0.5, 30.0),
        ("getOrders", 0.0167, 20.0),
        ("getOrderV0", 0.5, 30.0),
        ("getOrderItems", 0.5, 30.0),
        ("confirmShipment", 2.0, 10.0),
        ("searchListingsItems", 5.0, 5.0),
        ("getListingsItem", 5.0, 10.0),
        ("patchListingsItem", 5.0, 5.0),
        ("getInventorySummaries", 2.0, 2.0),
        ("createRestrictedDataToken", 1.0, 10.0),
        ("other", 1.0, 1.0),
    ];
    match name.map(str::trim).unwrap_or("default") {
        "default" => Ok(DEFAULT.to_vec()),
        "fast" => Ok(DEFAULT
            .iter()
            .map(|(op, _, _)| (*op, 100.0, 100.0))
            .collect()),
        other => Err(format!(
            "unknown amazon plan {other:?}; known: default, fast"
        )),
    }
}

/// Starts the simulator and returns a handle on its state (for tests).
pub async fn start(
    options: SimOptions,
    addr: SocketAddr,
) -> std::io::Result<(SimServer, AmazonSim)> {
    let plan = plan(options.plan.as_deref()).map_err(std::io::Error::other)?;
    let buckets = plan
        .into_iter()
        .map(|(op, rate, burst)| (op, (rate, LeakyBucket::new(burst, rate))))
        .collect();
    let sim = AmazonSim {
        store: Arc::new(Mutex::new(SimStore::generate(options.seed, options.size))),
        extra: Arc::default(),
        client_id: format!("amzn1.application-oa2-client.sim{}", options.seed),
        client_secret: format!("amzn1.oa2-cs.v1.simsecret{}", options.seed),
        refresh_token: format!("Atzr|simrefresh{}", options.seed),
        seller_id: format!("A2SIMSELLER{:04}", options.seed % 10_000),
        seed: options.seed,
        faults: Faults::new(options.faults.clone(), options.seed),
        buckets: Arc::new(buckets),
        exchanges: Arc::default(),
    };
    let api = Router::new()
        .route("/orders/2026-01-01/orders", get(search_orders))
        .route("/orders/2026-01-01/orders/{id}", get(get_order_2026))
        .route("/orders/v0/orders", get(get_orders_v0))
        .route("/orders/v0/orders/{id}", get(get_order_v0))
        .route("/orders/v0/orders/{id}/orderItems", get(get_order_items_v0))
        .route(
            "/orders/v0/orders/{id}/shipmentConfirmation",
            post(confirm_shipment),
        )
        .route("/listings/2021-08-01/items/{seller}", get(search_listings))
        .route("/fba/inventory/v1/summaries", get(inventory_summaries))
        .route("/tokens/2021-03-01/restrictedDataToken", post(create_rdt))
        .route(
            "/listings/2021-08-01/items/{seller}/{sku}",
            get(get_listing).patch(patch_listing),
        );
    let api = sim
        .faults
        .layer(api)
        .layer(axum::middleware::from_fn_with_state(sim.clone(), gate))
        .with_state(sim.clone());
    let lwa = Router::new()
        .route("/auth/o2/token", post(lwa_token))
        .with_state(sim.clone());
    let router = api.merge(lwa).layer(axum::middleware::from_fn(request_id));
    let (bound, server) = SimServer::start(router, addr).await?;
    let mut credentials = BTreeMap::new();
    credentials.insert("client_id".to_owned(), sim.client_id.clone());
    credentials.insert("client_secret".to_owned(), sim.client_secret.clone());
    credentials.insert("refresh_token".to_owned(), sim.refresh_token.clone());
    credentials.insert("seller_id".to_owned(), sim.seller_id.clone());
    let info = SimInfo {
        platform: crate::PLATFORM.to_owned(),
        base_url: format!("http://{bound}"),
        credentials,
    };
    let meter = sim.buckets.clone();
    Ok((
        server
            .with_info(info)
            .with_meter("searchOrders", move |now| {
                meter["searchOrders"].1.usage(now)
            })
            .with_handle(Arc::new(sim.clone())),
        sim,
    ))
}

/// The registry's entry point: starts the simulator on `addr`.
pub fn simulate(
    options: SimOptions,
    addr: SocketAddr,
) -> BoxFuture<'static, std::io::Result<SimServer>> {
    Box::pin(async move { start(options, addr).await.map(|(server, _)| server) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_refuse_junk() {
        let t = Token {
            f: "a|b".into(),
            k: "000000000001:000000000002".into(),
            t: 5,
        };
        assert_eq!(Token::decode(&t.encode()), Some(t));
        assert_eq!(Token::decode("zz"), None);
        assert_eq!(Token::decode("abc"), None);
    }

    #[test]
    fn plans() {
        assert_eq!(plan(None).unwrap()[0], ("searchOrders", 0.0167, 20.0));
        assert_eq!(plan(Some("fast")).unwrap()[0].1, 100.0);
        assert!(plan(Some("gold")).is_err());
    }
}
