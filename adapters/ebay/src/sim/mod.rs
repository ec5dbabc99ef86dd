//! An eBay Sell APIs simulator, after eBay's reference (developer.ebay.com, the
//! Fulfillment and Inventory OpenAPI documents) over the kit's generated store:
//!
//! - `POST /identity/v1/oauth2/token`: the refresh-token grant (a form with the
//!   app's client id and secret as HTTP basic auth, `scope` required and within the
//!   consented scopes); user access tokens live 7200 s; an expired (or wrong) refresh
//!   token is `400 invalid_grant`. The client-credentials grant gives application
//!   tokens, good for the Notification API's keys only (a seller's API answers them
//!   `403`).
//! - `GET /sell/fulfillment/v1/order` (`filter` with `creationdate:[a..b]`,
//!   `lastmodifieddate:[a..b]` — UTC with milliseconds — and
//!   `orderfulfillmentstatus:{A|B}`; without a filter only the last 90 days' orders;
//!   `limit` ≤ 200, `offset`; newest first), `GET /order/{orderId}`,
//!   `GET`/`POST /order/{orderId}/shipping_fulfillment`.
//! - `GET /sell/inventory/v1/inventory_item` (`limit` ≤ 100, `offset` = the page
//!   number), `GET /inventory_item/{sku}`, `GET /offer?sku=`,
//!   `POST /bulk_update_price_quantity` (≤ 25 requests, a status per item, `207` when
//!   some failed), `GET /location`.
//! - `GET /commerce/notification/v1/public_key/{kid}` and Notification API deliveries
//!   signed as eBay signs them ([`EbaySim::notification`]: ECDSA P-256 over the body's
//!   SHA-1, in `X-EBAY-SIGNATURE`).
//! - Per-API daily call limits (fixed windows of a day) answered `429` with eBay's
//!   error envelope `{"errors": [{"errorId", "domain", "category", "message"}]}`, as
//!   every error is; the kit's fault injection on top.
//!
//! Rendered from the documented shapes (`render.rs`), never from the adapter's types.
//! Values are illustrative; where eBay's documentation leaves a point open (the
//! listing order of `getOrders`, the sign of `priceDiscount`, `207` for a partial bulk
//! failure), the choice is named here and in the crate's `docs.md`.

// Handlers answer errors as ready responses, as axum does; boxing them buys nothing.
#![allow(clippy::result_large_err)]

mod handle;
mod render;

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration as StdDuration, Instant};

use axum::Router;
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use futures::future::BoxFuture;
use polycart_kit::sim::{
    Faults, FixedWindow, SimInfo, SimOptions, SimOrderState, SimServer, SimShipment, SimStore,
};
use rust_decimal::Decimal;
use serde_json::{Value, json};

pub use render::{
    line_item_id, order_id, render_fulfillment, render_item, render_offer, render_order,
};

/// One inventory item and its one offer (a generated variant).
#[derive(Debug, Clone)]
pub struct Item {
    pub sku: String,
    pub title: String,
    pub description: String,
    pub brand: String,
    pub images: Vec<String>,
    /// The whole ship-to-location quantity.
    pub quantity: i64,
    /// Its distribution over inventory locations (`merchantLocationKey`, quantity).
    pub stock: Vec<(String, i64)>,
    pub price: Decimal,
    pub grams: u32,
    pub offer_id: String,
    pub listing_id: String,
    pub published: bool,
    pub group: Option<String>,
    pub deleted: bool,
}

/// What the simulator holds besides the generated store.
#[derive(Debug, Default)]
pub struct Ledger {
    /// Issued user access tokens and when each expires.
    pub tokens: HashMap<String, DateTime<Utc>>,
    /// Issued application tokens (client credentials) and when each expires.
    pub app_tokens: HashMap<String, DateTime<Utc>>,
    issued: u64,
    pub items: Vec<Item>,
}

/// The consented scopes (a refresh may ask for these or fewer).
pub const SCOPES: &[&str] = &[
    "https://api.ebay.com/oauth/api_scope",
    "https://api.ebay.com/oauth/api_scope/sell.fulfillment",
    "https://api.ebay.com/oauth/api_scope/sell.fulfillment.readonly",
    "https://api.ebay.com/oauth/api_scope/sell.inventory",
    "https://api.ebay.com/oauth/api_scope/sell.inventory.readonly",
];

/// A running simulator's state, for tests.
#[derive(Clone)]
pub struct EbaySim {
    store: Arc<Mutex<SimStore>>,
    ledger: Arc<Mutex<Ledger>>,
    pub client_id: String,
    pub client_secret: String,
    pub refresh_token: String,
    /// When the refresh token lapses (tests move it to the past).
    pub refresh_expires_at: Arc<Mutex<DateTime<Utc>>>,
    /// How long a user access token lives (7200 s).
    pub access_ttl: Arc<Mutex<Duration>>,
    origin: Arc<Mutex<String>>,
    faults: Arc<Faults>,
    fulfillment_limit: Arc<FixedWindow>,
    inventory_limit: Arc<FixedWindow>,
    /// Token requests received.
    pub token_requests: Arc<std::sync::atomic::AtomicU64>,
    /// The Notification API's signing key and its key id.
    notification_key: p256::ecdsa::SigningKey,
    pub notification_kid: String,
}

impl EbaySim {
    /// The generated store, to read or change.
    pub fn store(&self) -> std::sync::MutexGuard<'_, SimStore> {
        self.store.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Tokens and inventory items.
    pub fn ledger(&self) -> std::sync::MutexGuard<'_, Ledger> {
        self.ledger.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The notification public key as `getPublicKey` returns it (one-line PEM).
    pub fn notification_public_key(&self) -> String {
        use p256::pkcs8::EncodePublicKey;
        let der = self
            .notification_key
            .verifying_key()
            .to_public_key_der()
            .map(|d| d.as_bytes().to_vec())
            .unwrap_or_default();
        format!(
            "-----BEGIN PUBLIC KEY-----{}-----END PUBLIC KEY-----",
            base64::engine::general_purpose::STANDARD.encode(der)
        )
    }

    /// A Notification API delivery of `topic` with `data`, as eBay posts it: the body
    /// and its `X-EBAY-SIGNATURE` (base64 JSON with an ECDSA P-256 signature of the
    /// body's SHA-1, DER, base64), signed with `key` (the simulator's own, or another
    /// for a forged delivery).
    pub fn notification(&self, topic: &str, data: Value, forged: bool) -> (String, String) {
        use p256::ecdsa::signature::hazmat::PrehashSigner;
        use sha2::Digest;
        let now = Utc::now();
        let body = json!({
            "metadata": { "topic": topic, "schemaVersion": "1.0", "deprecated": false },
            "notification": {
                "notificationId": format!("{:x}-{}", now.timestamp_millis(), topic.len()),
                "eventDate": render::time(now),
                "publishDate": render::time(now),
                "publishAttemptCount": 1,
                "data": data,
            },
        })
        .to_string();
        let key = if forged {
            signing_key(u64::MAX)
        } else {
            self.notification_key.clone()
        };
        let digest = sha1::Sha1::digest(body.as_bytes());
        let signature: p256::ecdsa::Signature =
            key.sign_prehash(&digest).expect("a 20-byte prehash signs");
        let header = json!({
            "alg": "ecdsa",
            "kid": self.notification_kid,
            "signature": base64::engine::general_purpose::STANDARD.encode(signature.to_der().as_bytes()),
            "digest": "SHA1",
        });
        (
            body,
            base64::engine::general_purpose::STANDARD.encode(header.to_string()),
        )
    }

    fn origin(&self) -> String {
        self.origin
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

/// eBay's error envelope.
fn error(status: StatusCode, id: u32, domain: &str, message: &str) -> Response {
    let category = if status.is_server_error() {
        "APPLICATION"
    } else {
        "REQUEST"
    };
    let body = json!({ "errors": [{
        "errorId": id, "domain": domain, "category": category, "message": message,
    }]});
    (status, axum::Json(body)).into_response()
}

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    (
        status,
        axum::Json(json!({ "error": error, "error_description": description })),
    )
        .into_response()
}

/// `POST /identity/v1/oauth2/token`.
async fn token(State(sim): State<EbaySim>, headers: HeaderMap, body: String) -> Response {
    sim.token_requests
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let expected = base64::engine::general_purpose::STANDARD
        .encode(format!("{}:{}", sim.client_id, sim.client_secret));
    let basic = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "));
    if basic != Some(expected.as_str()) {
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "client authentication failed",
        );
    }
    let form: HashMap<String, String> = url::form_urlencoded::parse(body.as_bytes())
        .into_owned()
        .collect();
    let ttl = *sim.access_ttl.lock().unwrap_or_else(|e| e.into_inner());
    if form.get("grant_type").map(String::as_str) == Some("client_credentials") {
        // An application token: the public scope only (getPublicKey and other
        // application calls), never a seller's data.
        if form.get("scope").map(String::as_str) != Some(SCOPES[0]) {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_scope",
                "the requested scope is invalid, unknown, malformed, or exceeds the scope granted to the client",
            );
        }
        let mut ledger = sim.ledger();
        ledger.issued += 1;
        let access = format!("v^1.1#i^1#f^0#p^1#I^3#t^app-{}", ledger.issued);
        ledger.app_tokens.insert(access.clone(), Utc::now() + ttl);
        return axum::Json(json!({
            "access_token": access,
            "expires_in": ttl.num_seconds(),
            "token_type": "Application Access Token",
        }))
        .into_response();
    }
    if form.get("grant_type").map(String::as_str) != Some("refresh_token") {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "grant type in request is not supported by the authorization server",
        );
    }
    let lapsed = *sim
        .refresh_expires_at
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        <= Utc::now();
    if form.get("refresh_token") != Some(&sim.refresh_token) || lapsed {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            "the provided authorization refresh token is invalid or was issued to another client",
        );
    }
    let scopes_ok = form.get("scope").is_some_and(|s| {
        !s.trim().is_empty() && s.split_whitespace().all(|one| SCOPES.contains(&one))
    });
    if !scopes_ok {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_scope",
            "the requested scope is invalid, unknown, malformed, or exceeds the scope granted by the resource owner",
        );
    }
    let mut ledger = sim.ledger();
    ledger.issued += 1;
    let access = format!("v^1.1#i^1#p^3#r^1#I^3#f^0#t^sim-{}", ledger.issued);
    ledger.tokens.insert(access.clone(), Utc::now() + ttl);
    axum::Json(json!({
        "access_token": access,
        "expires_in": ttl.num_seconds(),
        "token_type": "User Access Token",
    }))
    .into_response()
}

/// A bearer token issued and still alive — a user token for the seller's APIs, an
/// application token for the Notification API's keys — then the API family's daily
/// limit.
async fn gate(State(sim): State<EbaySim>, request: Request, next: Next) -> Response {
    let token = request
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::to_owned);
    let application = request.uri().path().starts_with("/commerce/notification");
    let (alive, other_kind) = {
        let ledger = sim.ledger();
        let (wanted, other) = if application {
            (&ledger.app_tokens, &ledger.tokens)
        } else {
            (&ledger.tokens, &ledger.app_tokens)
        };
        let live = |m: &HashMap<String, DateTime<Utc>>| {
            token
                .as_ref()
                .is_some_and(|t| m.get(t).is_some_and(|until| *until > Utc::now()))
        };
        (live(wanted), live(other))
    };
    if other_kind {
        return error(
            StatusCode::FORBIDDEN,
            1100,
            "ACCESS",
            "Access denied: insufficient permissions to fulfill the request.",
        );
    }
    if !alive {
        return error(
            StatusCode::UNAUTHORIZED,
            1001,
            "OAuth",
            "Invalid access token. Check the value of the Authorization HTTP request header.",
        );
    }
    let limiter = if request.uri().path().starts_with("/sell/inventory") {
        &sim.inventory_limit
    } else {
        &sim.fulfillment_limit
    };
    if limiter.take(Instant::now()).is_err() {
        return error(
            StatusCode::TOO_MANY_REQUESTS,
            2001,
            "ACCESS",
            "Too many requests. The request limit has been reached for the resource.",
        );
    }
    next.run(request).await
}

/// A time range, either end open.
type Range = (Option<DateTime<Utc>>, Option<DateTime<Utc>>);

/// A `[from..to]` range of a filter, either end open.
fn range(text: &str) -> Option<Range> {
    let inner = text.strip_prefix('[')?.strip_suffix(']')?;
    let (from, to) = inner.split_once("..")?;
    let parse = |s: &str| -> Option<Option<DateTime<Utc>>> {
        if s.is_empty() {
            return Some(None);
        }
        // eBay's format: UTC with milliseconds.
        chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.3fZ")
            .ok()
            .filter(|_| s.len() == 24)
            .map(|t| Some(t.and_utc()))
    };
    Some((parse(from)?, parse(to)?))
}

/// A parsed `getOrders` filter.
#[derive(Default)]
struct Filter {
    created: Option<Range>,
    modified: Option<Range>,
    statuses: Option<Vec<String>>,
}

fn parse_filter(text: &str) -> Option<Filter> {
    let mut f = Filter::default();
    for part in text.split(',') {
        let (name, value) = part.split_once(':')?;
        match name.trim() {
            "creationdate" => f.created = Some(range(value.trim())?),
            "lastmodifieddate" => f.modified = Some(range(value.trim())?),
            "orderfulfillmentstatus" => {
                let inner = value.trim().strip_prefix('{')?.strip_suffix('}')?;
                f.statuses = Some(inner.split('|').map(str::to_owned).collect());
            }
            _ => return None,
        }
    }
    Some(f)
}

fn within(t: DateTime<Utc>, r: &Range) -> bool {
    r.0.is_none_or(|f| t >= f) && r.1.is_none_or(|u| t <= u)
}

/// `limit` and `offset` of a request, checked against `max`.
fn paging(
    q: &HashMap<String, String>,
    default: usize,
    max: usize,
) -> Result<(usize, usize), Response> {
    let number = |k: &str, d: usize| q.get(k).map_or(Ok(d), |v| v.trim().parse::<usize>());
    match (number("limit", default), number("offset", 0)) {
        (Ok(limit), Ok(offset)) if (1..=max).contains(&limit) => Ok((limit, offset)),
        _ => Err(error(
            StatusCode::BAD_REQUEST,
            30700,
            "API_FULFILLMENT",
            &format!("Invalid limit or offset: limit is 1 to {max}, offset 0 or more"),
        )),
    }
}

/// `GET /sell/fulfillment/v1/order`.
async fn orders(State(sim): State<EbaySim>, Query(q): Query<HashMap<String, String>>) -> Response {
    let (limit, offset) = match paging(&q, 50, 200) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let filter = match q.get("filter").map(|f| parse_filter(f)) {
        None => Filter {
            created: Some((Some(Utc::now() - Duration::days(90)), None)),
            ..Filter::default()
        },
        Some(Some(f)) => f,
        Some(None) => {
            return error(
                StatusCode::BAD_REQUEST,
                30800,
                "API_FULFILLMENT",
                "Invalid filter. Check the filter syntax and the date format (YYYY-MM-DDThh:mm:ss.sssZ).",
            );
        }
    };
    let origin = sim.origin();
    let store = sim.store();
    let mut rows: Vec<_> = store
        .orders
        .iter()
        .filter(|o| {
            !o.deleted
                && filter
                    .created
                    .as_ref()
                    .is_none_or(|r| within(o.created_at, r))
                && filter
                    .modified
                    .as_ref()
                    .is_none_or(|r| within(o.updated_at, r))
        })
        .map(|o| render_order(o, &origin))
        .filter(|o| {
            filter.statuses.as_ref().is_none_or(|s| {
                o["orderFulfillmentStatus"]
                    .as_str()
                    .is_some_and(|st| s.iter().any(|x| x == st))
            })
        })
        .collect();
    // Newest first (by creation; ties by id, so an order keeps its place when changed).
    rows.sort_by(|a, b| {
        (b["creationDate"].as_str(), b["orderId"].as_str())
            .cmp(&(a["creationDate"].as_str(), a["orderId"].as_str()))
    });
    let total = rows.len();
    let page: Vec<Value> = rows.into_iter().skip(offset).take(limit).collect();
    let href = |o: usize| format!("{origin}/sell/fulfillment/v1/order?limit={limit}&offset={o}");
    let mut body = json!({
        "href": href(offset),
        "total": total,
        "limit": limit,
        "offset": offset,
        "orders": page,
        "warnings": [],
    });
    if offset + limit < total {
        body["next"] = json!(href(offset + limit));
    }
    if offset > 0 {
        body["prev"] = json!(href(offset.saturating_sub(limit)));
    }
    axum::Json(body).into_response()
}

fn no_order() -> Response {
    error(
        StatusCode::NOT_FOUND,
        32100,
        "API_FULFILLMENT",
        "Order not found.",
    )
}

/// The generated order behind an eBay order id.
fn find_order(store: &SimStore, id: &str) -> Option<u64> {
    store
        .orders
        .iter()
        .find(|o| !o.deleted && order_id(o) == id)
        .map(|o| o.id)
}

async fn order(State(sim): State<EbaySim>, Path(id): Path<String>) -> Response {
    let origin = sim.origin();
    let store = sim.store();
    match find_order(&store, &id).and_then(|n| store.orders.iter().find(|o| o.id == n)) {
        Some(o) => axum::Json(render_order(o, &origin)).into_response(),
        None => no_order(),
    }
}

async fn fulfillments(State(sim): State<EbaySim>, Path(id): Path<String>) -> Response {
    let store = sim.store();
    match find_order(&store, &id).and_then(|n| store.orders.iter().find(|o| o.id == n)) {
        Some(o) => axum::Json(json!({
            "fulfillments": o.shipments.iter().map(render_fulfillment).collect::<Vec<_>>(),
            "total": o.shipments.len(),
            "warnings": [],
        }))
        .into_response(),
        None => no_order(),
    }
}

/// `POST /order/{orderId}/shipping_fulfillment` (createShippingFulfillment).
async fn ship(
    State(sim): State<EbaySim>,
    Path(id): Path<String>,
    body: axum::Json<Value>,
) -> Response {
    let bad = |message: &str| error(StatusCode::BAD_REQUEST, 32800, "API_FULFILLMENT", message);
    let b = body.0;
    let (Some(carrier), Some(tracking), Some(lines)) = (
        b["shippingCarrierCode"].as_str(),
        b["trackingNumber"].as_str(),
        b["lineItems"].as_array(),
    ) else {
        return bad("lineItems, shippingCarrierCode and trackingNumber are required.");
    };
    let shipped_at = match b["shippedDate"].as_str() {
        None => Utc::now(),
        Some(t) => match range(&format!("[{t}..]")) {
            Some((Some(t), None)) => t,
            _ => return bad("Invalid shippedDate."),
        },
    };
    let origin = sim.origin();
    let mut store = sim.store();
    let Some(n) = find_order(&store, &id) else {
        return no_order();
    };
    let fresh = store.fresh_id();
    let Some(o) = store.order_mut(n) else {
        return no_order();
    };
    if o.state == SimOrderState::Cancelled {
        return bad("The order is cancelled.");
    }
    let mut picked = Vec::new();
    for l in lines {
        let (Some(line), Some(q)) = (l["lineItemId"].as_str(), l["quantity"].as_u64()) else {
            return bad("Each line item needs lineItemId and quantity.");
        };
        let Some(item) = o.line_items.iter().find(|x| line_item_id(x.id) == line) else {
            return bad(&format!("Invalid lineItemId {line}."));
        };
        let shipped: u64 = o
            .shipments
            .iter()
            .flat_map(|s| &s.lines)
            .filter(|(l, _)| *l == item.id)
            .map(|(_, n)| u64::from(*n))
            .sum();
        if q == 0 || q + shipped > u64::from(item.quantity) {
            return bad(&format!(
                "Invalid quantity for line item {line}: more than remains to ship."
            ));
        }
        picked.push((item.id, q as u32));
    }
    if picked.is_empty() {
        return bad("lineItems must not be empty.");
    }
    o.shipments.push(SimShipment {
        id: fresh,
        carrier: carrier.to_owned(),
        tracking_number: tracking.to_owned(),
        tracking_url: String::new(),
        status: "shipped".to_owned(),
        lines: picked,
        created_at: shipped_at,
    });
    o.updated_at = Utc::now();
    let location =
        format!("{origin}/sell/fulfillment/v1/order/{id}/shipping_fulfillment/{tracking}");
    let mut response = (StatusCode::CREATED, axum::Json(json!({}))).into_response();
    if let Ok(v) = location.parse() {
        response.headers_mut().insert("location", v);
    }
    response
}

fn no_item(sku: &str) -> Response {
    error(
        StatusCode::NOT_FOUND,
        25710,
        "API_INVENTORY",
        &format!("We didn't find the entity you are requesting. SKU {sku}"),
    )
}

/// `GET /sell/inventory/v1/inventory_item?limit=&offset=` (offset = page number).
async fn list_items(
    State(sim): State<EbaySim>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let (limit, page) = match paging(&q, 25, 100) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let origin = sim.origin();
    let ledger = sim.ledger();
    let live: Vec<&Item> = ledger.items.iter().filter(|i| !i.deleted).collect();
    let total = live.len();
    let rows: Vec<Value> = live
        .into_iter()
        .skip(page.saturating_mul(limit))
        .take(limit)
        .map(render_item)
        .collect();
    let href =
        |p: usize| format!("{origin}/sell/inventory/v1/inventory_item?limit={limit}&offset={p}");
    let mut body = json!({
        "href": href(page),
        "limit": limit,
        "size": rows.len(),
        "total": total,
        "inventoryItems": rows,
    });
    if (page + 1) * limit < total {
        body["next"] = json!(href(page + 1));
    }
    if page > 0 {
        body["prev"] = json!(href(page - 1));
    }
    axum::Json(body).into_response()
}

async fn item(State(sim): State<EbaySim>, Path(sku): Path<String>) -> Response {
    let ledger = sim.ledger();
    match ledger.items.iter().find(|i| !i.deleted && i.sku == sku) {
        Some(i) => axum::Json(render_item(i)).into_response(),
        None => no_item(&sku),
    }
}

/// `GET /sell/inventory/v1/offer?sku=`.
async fn offers(State(sim): State<EbaySim>, Query(q): Query<HashMap<String, String>>) -> Response {
    let Some(sku) = q.get("sku") else {
        return error(
            StatusCode::BAD_REQUEST,
            25707,
            "API_INVENTORY",
            "The sku query parameter is required.",
        );
    };
    let currency = sim.store().currency;
    let ledger = sim.ledger();
    match ledger.items.iter().find(|i| !i.deleted && &i.sku == sku) {
        Some(i) => axum::Json(json!({
            "href": format!("{}/sell/inventory/v1/offer?sku={}", sim.origin(), i.sku),
            "limit": 25,
            "size": 1,
            "total": 1,
            "offers": [render_offer(i, currency)],
        }))
        .into_response(),
        None => error(
            StatusCode::NOT_FOUND,
            25713,
            "API_INVENTORY",
            "This Offer is not available.",
        ),
    }
}

/// `POST /sell/inventory/v1/bulk_update_price_quantity`.
async fn bulk(State(sim): State<EbaySim>, body: axum::Json<Value>) -> Response {
    let Some(requests) = body.0["requests"].as_array().cloned() else {
        return error(
            StatusCode::BAD_REQUEST,
            25709,
            "API_INVENTORY",
            "requests is required.",
        );
    };
    if requests.is_empty() || requests.len() > 25 {
        return error(
            StatusCode::BAD_REQUEST,
            25709,
            "API_INVENTORY",
            "Between 1 and 25 requests are allowed.",
        );
    }
    let mut responses = Vec::new();
    let mut ledger = sim.ledger();
    for r in &requests {
        let sku = r["sku"].as_str().unwrap_or_default().to_owned();
        let Some(item) = ledger.items.iter_mut().find(|i| !i.deleted && i.sku == sku) else {
            responses.push(json!({ "statusCode": 404, "sku": sku, "errors": [{
                "errorId": 25702, "domain": "API_INVENTORY", "category": "REQUEST",
                "message": format!("SKU {sku} is not available in the system."),
            }], "warnings": [] }));
            continue;
        };
        if let Some(avail) = r.get("shipToLocationAvailability") {
            let distributions: Option<Option<Vec<(String, i64)>>> =
                avail.get("availabilityDistributions").map(|d| {
                    d.as_array()?
                        .iter()
                        .map(|d| {
                            Some((
                                d["merchantLocationKey"].as_str()?.to_owned(),
                                d["quantity"].as_i64().filter(|q| *q >= 0)?,
                            ))
                        })
                        .collect()
                });
            match (
                avail["quantity"].as_i64().filter(|q| *q >= 0),
                distributions,
            ) {
                (_, Some(None)) => {
                    responses.push(json!({ "statusCode": 400, "sku": sku, "errors": [{
                        "errorId": 25001, "domain": "API_INVENTORY", "category": "REQUEST",
                        "message": "Each availability distribution needs a merchantLocationKey and a quantity of zero or more.",
                    }], "warnings": [] }));
                    continue;
                }
                (Some(q), Some(Some(d))) => {
                    item.quantity = q;
                    item.stock = d;
                }
                (Some(q), None) => item.quantity = q,
                (None, _) => {
                    responses.push(json!({ "statusCode": 400, "sku": sku, "errors": [{
                        "errorId": 25001, "domain": "API_INVENTORY", "category": "REQUEST",
                        "message": "A quantity of zero or more is required.",
                    }], "warnings": [] }));
                    continue;
                }
            }
            if r.get("offers").is_none() {
                responses
                    .push(json!({ "statusCode": 200, "sku": sku, "errors": [], "warnings": [] }));
            }
        }
        for offer in r["offers"].as_array().into_iter().flatten() {
            let offer_id = offer["offerId"].as_str().unwrap_or_default();
            let price = offer["price"]["value"]
                .as_str()
                .and_then(|v| v.parse::<Decimal>().ok())
                .filter(|p| *p > Decimal::ZERO);
            let (status, errors) = if offer_id != item.offer_id {
                (
                    404,
                    json!([{ "errorId": 25713, "domain": "API_INVENTORY", "category": "REQUEST",
                    "message": "This Offer is not available." }]),
                )
            } else if offer.get("price").is_some() && price.is_none() {
                (
                    400,
                    json!([{ "errorId": 25002, "domain": "API_INVENTORY", "category": "REQUEST",
                    "message": "The price must be a positive amount." }]),
                )
            } else {
                if let Some(p) = price {
                    item.price = p;
                }
                if let Some(q) = offer["availableQuantity"].as_i64() {
                    item.quantity = q.max(0);
                }
                (200, json!([]))
            };
            responses.push(json!({ "statusCode": status, "sku": sku, "offerId": offer_id, "errors": errors, "warnings": [] }));
        }
    }
    let all_ok = responses.iter().all(|r| r["statusCode"] == 200);
    let status = if all_ok {
        StatusCode::OK
    } else {
        StatusCode::MULTI_STATUS
    };
    (status, axum::Json(json!({ "responses": responses }))).into_response()
}

/// `GET /sell/inventory/v1/location`: the store's locations.
async fn locations(State(sim): State<EbaySim>) -> Response {
    let store = sim.store();
    let rows: Vec<Value> = store
        .locations
        .iter()
        .map(|l| {
            json!({
                "merchantLocationKey": location_key(l.id),
                "name": l.name,
                "merchantLocationStatus": "ENABLED",
                "locationTypes": ["WAREHOUSE"],
                "location": { "address": { "country": "US" } },
            })
        })
        .collect();
    axum::Json(json!({ "total": rows.len(), "limit": 100, "offset": 0, "locations": rows }))
        .into_response()
}

/// A generated location's `merchantLocationKey`.
pub fn location_key(id: u64) -> String {
    format!("LOC-{id}")
}

/// The generated store's variants as inventory items, each with one offer (published
/// when the product is active).
fn items_of(store: &SimStore) -> Vec<Item> {
    store
        .products
        .iter()
        .flat_map(|p| {
            let group = (p.variants.len() > 1).then(|| format!("GROUP-{}", p.id));
            p.variants.iter().map(move |v| Item {
                sku: v.sku.clone(),
                title: if v.title.is_empty() || p.variants.len() == 1 {
                    p.title.clone()
                } else {
                    format!("{} - {}", p.title, v.title)
                },
                description: p.description_html.clone(),
                brand: p.vendor.clone(),
                images: p.images.iter().map(|i| i.url.clone()).collect(),
                quantity: v.stock.iter().map(|(_, q)| (*q).max(0)).sum(),
                stock: v
                    .stock
                    .iter()
                    .map(|(l, q)| (location_key(*l), (*q).max(0)))
                    .collect(),
                price: v.price,
                grams: v.weight_grams,
                offer_id: format!("{}", 5_000_000_000u64 + v.id),
                listing_id: format!("{}", 110_000_000_000u64 + v.id),
                published: p.status == polycart_kit::sim::SimProductStatus::Active,
                group: group.clone(),
                deleted: p.deleted,
            })
        })
        .collect()
}

/// A deterministic P-256 key from a seed.
fn signing_key(seed: u64) -> p256::ecdsa::SigningKey {
    use sha2::Digest;
    let mut n = 0u64;
    loop {
        let bytes = sha2::Sha256::digest(format!("ebay-sim-notification-{seed}-{n}").as_bytes());
        if let Ok(k) = p256::ecdsa::SigningKey::from_slice(&bytes) {
            return k;
        }
        n += 1;
    }
}

/// `GET /commerce/notification/v1/public_key/{public_key_id}` (with an application
/// token).
async fn public_key(State(sim): State<EbaySim>, Path(kid): Path<String>) -> Response {
    if kid != sim.notification_kid {
        return error(
            StatusCode::NOT_FOUND,
            195000,
            "API_NOTIFICATION",
            "The specified public key id was not found.",
        );
    }
    axum::Json(json!({
        "algorithm": "ECDSA",
        "digest": "SHA1",
        "key": sim.notification_public_key(),
    }))
    .into_response()
}

/// Daily limits by plan: the default is eBay's default quotas (Fulfillment 100,000,
/// Inventory 2,000,000 calls a day); `tiny` (5 and 10) lets a test reach them.
fn limits(plan: Option<&str>) -> (u64, u64) {
    match plan {
        Some("tiny") => (5, 10),
        _ => (100_000, 2_000_000),
    }
}

/// Starts the simulator and returns a handle on its state (for tests).
pub async fn start(options: SimOptions, addr: SocketAddr) -> std::io::Result<(SimServer, EbaySim)> {
    let store = SimStore::generate(options.seed, options.size);
    let items = items_of(&store);
    let (fulfillment, inventory) = limits(options.plan.as_deref());
    let day = StdDuration::from_secs(86_400);
    let sim = EbaySim {
        store: Arc::new(Mutex::new(store)),
        ledger: Arc::new(Mutex::new(Ledger {
            items,
            ..Ledger::default()
        })),
        client_id: format!("SimApp-polycart-PRD-{:08x}", options.seed),
        client_secret: format!("PRD-sim-secret-{}", options.seed),
        refresh_token: format!("v^1.1#i^1#r^1#p^3#I^3#f^0#t^refresh-{}", options.seed),
        refresh_expires_at: Arc::new(Mutex::new(Utc::now() + Duration::days(547))),
        access_ttl: Arc::new(Mutex::new(Duration::seconds(7200))),
        origin: Arc::default(),
        faults: Faults::new(options.faults.clone(), options.seed),
        fulfillment_limit: Arc::new(FixedWindow::new(fulfillment, day)),
        inventory_limit: Arc::new(FixedWindow::new(inventory, day)),
        token_requests: Arc::default(),
        notification_key: signing_key(options.seed),
        notification_kid: format!("9936261a-7d7b-4621-a0f1-{:012x}", options.seed),
    };
    let fulfillment_api = Router::new()
        .route("/order", get(orders))
        .route("/order/{id}", get(order))
        .route(
            "/order/{id}/shipping_fulfillment",
            get(fulfillments).post(ship),
        );
    let inventory_api = Router::new()
        .route("/inventory_item", get(list_items))
        .route("/inventory_item/{sku}", get(item))
        .route("/offer", get(offers))
        .route("/bulk_update_price_quantity", post(bulk))
        .route("/location", get(locations));
    let api = Router::new()
        .route(
            "/commerce/notification/v1/public_key/{kid}",
            get(public_key),
        )
        .nest("/sell/fulfillment/v1", fulfillment_api)
        .nest("/sell/inventory/v1", inventory_api);
    let api = sim
        .faults
        .layer(api)
        .layer(axum::middleware::from_fn_with_state(sim.clone(), gate));
    let router = Router::new()
        .route("/identity/v1/oauth2/token", post(token))
        .merge(api)
        .with_state(sim.clone());
    let (bound, server) = SimServer::start(router, addr).await?;
    *sim.origin.lock().unwrap_or_else(|e| e.into_inner()) = format!("http://{bound}");
    let mut credentials = BTreeMap::new();
    credentials.insert("client_id".to_owned(), sim.client_id.clone());
    credentials.insert("client_secret".to_owned(), sim.client_secret.clone());
    credentials.insert("refresh_token".to_owned(), sim.refresh_token.clone());
    credentials.insert(
        "notification_public_key".to_owned(),
        sim.notification_public_key(),
    );
    let info = SimInfo {
        platform: crate::PLATFORM.to_owned(),
        base_url: format!("http://{bound}"),
        credentials,
    };
    let (f, i) = (sim.fulfillment_limit.clone(), sim.inventory_limit.clone());
    Ok((
        server
            .with_info(info)
            .with_meter("fulfillment", move |now| f.usage(now))
            .with_meter("inventory", move |now| i.usage(now))
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
