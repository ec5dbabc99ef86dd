//! A Squarespace Commerce APIs simulator, after developers.squarespace.com:
//!
//! - `GET /1.0/commerce/orders` (`modifiedAfter`/`modifiedBefore`, both or neither,
//!   never beside `cursor`; `fulfillmentStatus`; `paymentStates`, without which only
//!   `NOT_CHARGED`, `AUTHORIZED`, `PAID` and `REFUNDED` orders are listed), `GET /1.0/commerce/orders/{id}`,
//!   `POST /1.0/commerce/orders/{id}/fulfillments` (204);
//! - `GET /v2/commerce/products` (the same window), `GET /v2/commerce/products/{ids}`
//!   (up to 50, comma-separated), `POST /v2/commerce/products/{id}` and
//!   `POST /v2/commerce/products/{id}/variants/{variantId}` (partial updates);
//! - `GET /1.0/commerce/inventory`, `GET /1.0/commerce/inventory/{ids}`,
//!   `POST /1.0/commerce/inventory/adjustments` (204), which requires an
//!   `Idempotency-Key` and answers a repeated key with the first answer, acting once;
//! - `GET /1.0/profiles` (`filter=isCustomer,true`; by id, descending, as by default),
//!   `GET /1.0/profiles/{ids}`;
//! - `POST /api/1/login/oauth/provider/tokens`: OAuth refresh (basic client auth, a JSON
//!   body), rotating the refresh token and refusing an old one;
//! - `/1.0/webhook_subscriptions` (OAuth tokens only, else 403 `OAUTH_TOKEN_REQUIRED`):
//!   list, create (the secret shown once), delete, `actions/rotateSecret`; a fulfilment
//!   notifies `order.update` to each subscription, signed with its secret.
//!
//! Listings page by an opaque cursor (`pagination.{hasNextPage, nextPageCursor,
//! nextPageUrl}`), 50 records a page, orders and products by modification time. A
//! bearer API key (or a current OAuth access token) and a `User-Agent` are required;
//! 300 requests a minute (plan `tight`: 4 a second, for tests of the 429 path), then
//! 429 without rate headers; errors are Squarespace's `{"type", "subtype", "message",
//! "details", "contextId"}`; the kit's fault injection on top. Webhook notifications
//! are signed as Squarespace signs them.
//!
//! Rendered from the documented resources over the kit's generated store, never from
//! the adapter's types.

// Handlers answer errors as ready responses, as axum does; boxing them buys nothing.
#![allow(clippy::result_large_err)]

mod handle;
mod render;

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use polycart_kit::auth::hmac::{base64, hex, hmac_sha256};
use polycart_kit::sim::{
    Faults, FixedWindow, SimInfo, SimOptions, SimServer, SimShipment, SimStore, WebhookSender,
};
use rust_decimal::Decimal;
use serde_json::{Value, json};

pub use render::{order_id, product_id, profile_id, variant_id};

/// Records a page holds.
const PAGE: usize = 50;

/// Every order payment state.
const PAYMENT_STATES: &[&str] = &[
    "NOT_CHARGED",
    "AUTHORIZED",
    "PAID",
    "REFUNDED",
    "PENDING",
    "FAILED",
    "REFUND_PENDING",
    "REFUND_FAILED",
    "PARTIALLY_PAID",
];

/// What the simulator keeps beside the generated store.
#[derive(Default)]
struct Extra {
    /// Services of fulfilments posted, by shipment id.
    services: render::Services,
    /// Inventory adjustments by idempotency key: the body and the answer's status.
    idempotency: HashMap<String, (Value, u16)>,
    /// The idempotency key of every adjustment request received, repeats included.
    keys_seen: Vec<String>,
    /// OAuth: the refresh token that works now, and the access tokens issued.
    refresh_token: String,
    access_tokens: Vec<String>,
    /// Webhook subscriptions, in creation order.
    subscriptions: Vec<Subscription>,
}

/// A webhook subscription (`POST /1.0/webhook_subscriptions`).
#[derive(Debug, Clone)]
pub struct Subscription {
    pub id: String,
    pub endpoint_url: String,
    pub topics: Vec<String>,
    /// Hex, as Squarespace issues it; returned on creation and rotation only.
    secret: String,
    created_on: DateTime<Utc>,
    updated_on: DateTime<Utc>,
}

impl Subscription {
    /// As the API shows it, without the secret.
    fn render(&self) -> Value {
        json!({
            "id": self.id,
            "endpointUrl": self.endpoint_url,
            "topics": self.topics,
            "createdOn": render::time(self.created_on),
            "updatedOn": render::time(self.updated_on),
        })
    }
}

/// The topics a subscription may name.
const TOPICS: &[&str] = &["order.create", "order.update", "extension.uninstall"];

/// A running simulator's state, for tests.
#[derive(Clone)]
pub struct SquarespaceSim {
    store: Arc<Mutex<SimStore>>,
    extra: Arc<Mutex<Extra>>,
    /// The site's API key.
    pub api_key: String,
    /// The webhook subscription's secret, hex as Squarespace issues it.
    pub webhook_secret: String,
    /// The OAuth app.
    pub client_id: String,
    pub client_secret: String,
    pub website_id: String,
    faults: Arc<Faults>,
    limiter: Arc<FixedWindow>,
    /// Inventory adjustments acted on (a repeated idempotency key does not count).
    pub adjustments: Arc<std::sync::atomic::AtomicU64>,
    sender: WebhookSender,
}

impl SquarespaceSim {
    /// The generated store, to read or change.
    pub fn store(&self) -> std::sync::MutexGuard<'_, SimStore> {
        self.store.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn extra(&self) -> std::sync::MutexGuard<'_, Extra> {
        self.extra.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The `Idempotency-Key` of every stock adjustment received, repeats included.
    pub fn idempotency_keys_seen(&self) -> Vec<String> {
        self.extra().keys_seen.clone()
    }

    /// Issues an OAuth access token, as the authorization flow would.
    pub fn issue_access_token(&self) -> String {
        let token = format!("sqsp-at-issued-{:x}", rand::random::<u64>());
        self.extra().access_tokens.push(token.clone());
        token
    }

    /// The webhook subscriptions.
    pub fn subscriptions(&self) -> Vec<Subscription> {
        self.extra().subscriptions.clone()
    }

    /// Sends a notification of `topic` to every subscription that names it, each
    /// signed with its own secret (in the background; deliveries are not retried).
    fn notify(&self, topic: &str, data: Value) {
        let targets: Vec<Subscription> = self
            .extra()
            .subscriptions
            .iter()
            .filter(|s| s.topics.iter().any(|t| t == topic))
            .cloned()
            .collect();
        for s in targets {
            let (body, signature) = self.notification(topic, data.clone(), &s.secret);
            let sender = self.sender.clone();
            tokio::spawn(async move {
                let mut headers = HeaderMap::new();
                headers.insert(
                    "content-type",
                    http::HeaderValue::from_static("application/json"),
                );
                headers.insert(
                    "user-agent",
                    http::HeaderValue::from_static("Squarespace/1.0"),
                );
                if let Ok(v) = http::HeaderValue::from_str(&signature) {
                    headers.insert("squarespace-signature", v);
                }
                // A subscriber that is down misses it, as Squarespace's retries are
                // not simulated.
                let _ = sender
                    .deliver(&s.endpoint_url, headers, body.into_bytes())
                    .await;
            });
        }
    }

    /// The refresh token that works now (it rotates on every refresh).
    pub fn refresh_token(&self) -> String {
        self.extra().refresh_token.clone()
    }

    /// A notification as Squarespace sends it: the body and its
    /// `Squarespace-Signature`, hex(HMAC-SHA256(hex-decoded secret, body)).
    pub fn notification(&self, topic: &str, data: Value, secret_hex: &str) -> (String, String) {
        let id = format!("{:024x}", rand::random::<u128>() & ((1u128 << 96) - 1));
        let body = json!({
            "id": id,
            "websiteId": self.website_id,
            "subscriptionId": "5f3c2155d947844beedda991",
            "topic": topic,
            "createdOn": render::time(Utc::now()),
            "data": data,
        })
        .to_string();
        let key: Vec<u8> = (0..secret_hex.len() / 2)
            .filter_map(|i| u8::from_str_radix(secret_hex.get(2 * i..2 * i + 2)?, 16).ok())
            .collect();
        let signature = hex(&hmac_sha256(&key, body.as_bytes()));
        (body, signature)
    }
}

/// Squarespace's error object.
fn error(status: StatusCode, kind: &str, subtype: Option<&str>, message: &str) -> Response {
    let context = format!("{:X}", rand::random::<u32>());
    (
        status,
        axum::Json(json!({
            "type": kind,
            "subtype": subtype,
            "message": message,
            "details": null,
            "contextId": context,
        })),
    )
        .into_response()
}

fn invalid(subtype: &str, message: &str) -> Response {
    error(
        StatusCode::BAD_REQUEST,
        "INVALID_REQUEST_ERROR",
        Some(subtype),
        message,
    )
}

fn not_found(what: &str) -> Response {
    error(
        StatusCode::NOT_FOUND,
        "INVALID_REQUEST_ERROR",
        Some("INVALID_ARGUMENT"),
        &format!("{what} not found"),
    )
}

/// Where a listing goes on: the window and filter of its first request, and the key
/// of the last record served. Sent as opaque text.
#[derive(serde::Serialize, serde::Deserialize, Clone, Debug, PartialEq)]
struct Position {
    /// `modifiedAfter`/`modifiedBefore` in milliseconds, exclusive.
    w: Option<(i64, i64)>,
    /// `fulfillmentStatus`.
    f: Option<String>,
    /// `paymentStates` (orders).
    #[serde(default)]
    p: Option<Vec<String>>,
    /// (modified ms, id) of the last record served.
    k: (i64, u64),
}

fn encode(p: &Position) -> String {
    base64(serde_json::to_string(p).unwrap_or_default().as_bytes())
        .replace('+', "-")
        .replace('/', "_")
        .trim_end_matches('=')
        .to_owned()
}

fn decode(text: &str) -> Option<Position> {
    use base64::Engine as _;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(text)
        .ok()?;
    serde_json::from_slice(&bytes).ok()
}

fn millis(text: &str) -> Option<i64> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.timestamp_millis())
}

/// The listing a request asks for: from its cursor, or from its window and filter.
fn position(
    q: &HashMap<String, String>,
    windowed: bool,
    filter: Option<&str>,
) -> Result<Position, Response> {
    let cursor = q.get("cursor").filter(|c| !c.is_empty());
    let after = q.get("modifiedAfter");
    let before = q.get("modifiedBefore");
    if let Some(c) = cursor {
        if after.is_some() || before.is_some() {
            return Err(invalid(
                "INVALID_ARGUMENT",
                "A cursor cannot be combined with modifiedAfter or modifiedBefore",
            ));
        }
        return decode(c).ok_or_else(|| invalid("INVALID_ARGUMENT", "The cursor is invalid"));
    }
    let w = match (after, before) {
        (None, None) => None,
        (Some(_), None) | (None, Some(_)) => {
            return Err(invalid(
                "MISSING_ARGUMENT",
                "modifiedAfter and modifiedBefore must be given together",
            ));
        }
        (Some(_), Some(_)) if !windowed => {
            return Err(invalid("INVALID_ARGUMENT", "Unknown parameter"));
        }
        (Some(a), Some(b)) => {
            let (Some(a), Some(b)) = (millis(a), millis(b)) else {
                return Err(invalid(
                    "INVALID_ARGUMENT",
                    "modifiedAfter and modifiedBefore must be ISO 8601 UTC date and time strings",
                ));
            };
            if b <= a {
                return Err(invalid(
                    "INVALID_ARGUMENT",
                    "modifiedBefore must be after modifiedAfter",
                ));
            }
            Some((a, b))
        }
    };
    Ok(Position {
        w,
        f: filter.map(str::to_owned),
        p: None,
        k: (i64::MIN, 0),
    })
}

/// One page of `rows` (each with its sort key) after `pos`, in Squarespace's envelope
/// under `key`.
fn page(mut rows: Vec<((i64, u64), Value)>, pos: Position, key: &str, path: &str) -> Response {
    rows.sort_by_key(|(k, _)| *k);
    let rest: Vec<_> = rows.into_iter().filter(|(k, _)| *k > pos.k).collect();
    let more = rest.len() > PAGE;
    let served: Vec<_> = rest.into_iter().take(PAGE).collect();
    let last = served.last().map(|(k, _)| *k);
    let next = match (more, last) {
        (true, Some(k)) => Some(encode(&Position { k, ..pos })),
        _ => None,
    };
    axum::Json(json!({
        key: served.into_iter().map(|(_, v)| v).collect::<Vec<_>>(),
        "pagination": {
            "hasNextPage": next.is_some(),
            "nextPageCursor": next,
            "nextPageUrl": next.as_ref().map(|c| format!("{path}?cursor={c}")),
        },
    }))
    .into_response()
}

fn in_window(pos: &Position, modified: DateTime<Utc>) -> bool {
    let m = modified.timestamp_millis();
    pos.w.is_none_or(|(a, b)| m > a && m < b)
}

async fn orders(
    State(sim): State<SquarespaceSim>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let filter = q.get("fulfillmentStatus").map(String::as_str);
    if let Some(f) = filter
        && !["PENDING", "FULFILLED", "CANCELED"].contains(&f)
    {
        return invalid("INVALID_ARGUMENT", "Unknown fulfillmentStatus");
    }
    let mut pos = match position(&q, true, filter) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let cursor = q.get("cursor").is_some_and(|c| !c.is_empty());
    if cursor && q.contains_key("paymentStates") {
        return invalid(
            "INVALID_ARGUMENT",
            "A cursor cannot be combined with other parameters",
        );
    }
    if !cursor && let Some(states) = q.get("paymentStates") {
        let states: Vec<String> = states.split(',').map(str::to_owned).collect();
        if states.iter().any(|s| !PAYMENT_STATES.contains(&s.as_str())) {
            return invalid("INVALID_ARGUMENT", "paymentStates is not a valid value");
        }
        pos.p = Some(states);
    }
    // Without `paymentStates`, only these are listed (as Squarespace documents).
    let states: Vec<String> = pos.p.clone().unwrap_or_else(|| {
        ["NOT_CHARGED", "AUTHORIZED", "PAID", "REFUNDED"]
            .map(str::to_owned)
            .to_vec()
    });
    let store = sim.store();
    let extra = sim.extra();
    let rows = store
        .orders
        .iter()
        .filter(|o| !o.deleted && in_window(&pos, o.updated_at))
        .map(|o| {
            (
                (o.updated_at.timestamp_millis(), o.id),
                render::order(o, &extra.services),
            )
        })
        .filter(|(_, v)| pos.f.as_deref().is_none_or(|f| v["fulfillmentStatus"] == f))
        .filter(|(_, v)| {
            v["paymentState"]
                .as_str()
                .is_some_and(|p| states.iter().any(|s| s == p))
        })
        .collect();
    page(rows, pos, "result", "/1.0/commerce/orders")
}

async fn order(State(sim): State<SquarespaceSim>, Path(id): Path<String>) -> Response {
    let store = sim.store();
    let found = render::order_number(&id)
        .and_then(|n| store.orders.iter().find(|o| o.id == n && !o.deleted));
    match found {
        Some(o) => axum::Json(render::order(o, &sim.extra().services)).into_response(),
        None => not_found("Order"),
    }
}

/// `POST …/fulfillments {"shouldSendNotification", "shipments": [...]}`: the order
/// fulfilled, each shipment added.
async fn fulfill(
    State(sim): State<SquarespaceSim>,
    Path(id): Path<String>,
    body: Option<axum::Json<Value>>,
) -> Response {
    let Some(axum::Json(body)) = body else {
        return invalid("INVALID_CONTENT_TYPE", "A JSON body is required");
    };
    if !body
        .get("shouldSendNotification")
        .is_some_and(Value::is_boolean)
    {
        return invalid("MISSING_ARGUMENT", "shouldSendNotification is required");
    }
    let shipments = match body.get("shipments") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(s)) => s.clone(),
        Some(_) => return invalid("INVALID_ARGUMENT", "shipments must be an array"),
    };
    let mut parsed = Vec::new();
    for s in &shipments {
        let text = |k: &str| s.get(k).and_then(Value::as_str).map(str::to_owned);
        let (Some(carrier), Some(service), Some(number), Some(ship_date)) = (
            text("carrierName"),
            text("service"),
            text("trackingNumber"),
            text("shipDate"),
        ) else {
            return invalid(
                "MISSING_ARGUMENT",
                "shipments need carrierName, service, trackingNumber and shipDate",
            );
        };
        let Some(date) = millis(&ship_date).and_then(DateTime::from_timestamp_millis) else {
            return invalid("INVALID_ARGUMENT", "shipDate is not an ISO 8601 date");
        };
        let url = text("trackingUrl");
        if url
            .as_deref()
            .is_some_and(|u| !u.starts_with("http://") && !u.starts_with("https://"))
        {
            return invalid("INVALID_ARGUMENT", "trackingUrl is not a URL");
        }
        parsed.push((carrier, service, number, url, date));
    }
    let mut store = sim.store();
    let Some(n) = render::order_number(&id) else {
        return not_found("Order");
    };
    let ids: Vec<u64> = parsed.iter().map(|_| store.fresh_id()).collect();
    let Some(o) = store.order_mut(n) else {
        return not_found("Order");
    };
    if o.state == polycart_kit::sim::SimOrderState::Cancelled {
        return error(
            StatusCode::CONFLICT,
            "CONFLICT",
            None,
            "A canceled order cannot be fulfilled",
        );
    }
    let lines: Vec<(u64, u32)> = o.line_items.iter().map(|l| (l.id, l.quantity)).collect();
    let mut services = Vec::new();
    for ((carrier, service, number, url, date), sid) in parsed.into_iter().zip(ids) {
        o.shipments.push(SimShipment {
            id: sid,
            carrier,
            tracking_number: number,
            tracking_url: url.unwrap_or_default(),
            status: "shipped".into(),
            lines: lines.clone(),
            created_at: date,
        });
        services.push((sid, service));
    }
    let now = Utc::now();
    o.fulfillment = polycart_kit::sim::SimFulfillment::Fulfilled;
    o.completed_at.get_or_insert(now);
    o.updated_at = now;
    drop(store);
    sim.extra().services.extend(services);
    sim.notify(
        "order.update",
        json!({ "orderId": id, "update": "FULFILLED" }),
    );
    StatusCode::NO_CONTENT.into_response()
}

/// The bearer token of a request, when it is an OAuth access token.
fn oauth(sim: &SquarespaceSim, headers: &HeaderMap) -> bool {
    headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .is_some_and(|t| sim.extra().access_tokens.iter().any(|a| a == t))
}

fn oauth_required() -> Response {
    error(
        StatusCode::FORBIDDEN,
        "AUTHORIZATION_ERROR",
        Some("OAUTH_TOKEN_REQUIRED"),
        "The Webhook Subscriptions API requires an OAuth token",
    )
}

async fn subscriptions(State(sim): State<SquarespaceSim>, headers: HeaderMap) -> Response {
    if !oauth(&sim, &headers) {
        return oauth_required();
    }
    let list: Vec<Value> = sim
        .extra()
        .subscriptions
        .iter()
        .map(Subscription::render)
        .collect();
    axum::Json(json!({ "webhookSubscriptions": list })).into_response()
}

/// `POST /1.0/webhook_subscriptions {"endpointUrl", "topics"}`: the subscription with
/// its secret, shown this once.
async fn subscribe(
    State(sim): State<SquarespaceSim>,
    headers: HeaderMap,
    body: Option<axum::Json<Value>>,
) -> Response {
    if !oauth(&sim, &headers) {
        return oauth_required();
    }
    let Some(axum::Json(body)) = body else {
        return invalid("INVALID_CONTENT_TYPE", "A JSON body is required");
    };
    let url = body
        .get("endpointUrl")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if !(url.starts_with("https://")
        || url.starts_with("http://127.0.0.1")
        || url.starts_with("http://localhost"))
    {
        return invalid("INVALID_ARGUMENT", "endpointUrl must be an https URL");
    }
    let topics: Vec<String> = body
        .get("topics")
        .and_then(Value::as_array)
        .map(|t| {
            t.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    if topics.is_empty() || topics.iter().any(|t| !TOPICS.contains(&t.as_str())) {
        return invalid(
            "INVALID_ARGUMENT",
            "topics must name order.create, order.update or extension.uninstall",
        );
    }
    let mut extra = sim.extra();
    if extra.subscriptions.len() >= 25 {
        return error(
            StatusCode::CONFLICT,
            "CONFLICT",
            Some("WEBHOOK_SUBSCRIPTION_LIMIT_REACHED"),
            "Too many webhook subscriptions",
        );
    }
    let now = Utc::now();
    let sub = Subscription {
        id: format!("{:024x}", rand::random::<u128>() & ((1u128 << 96) - 1)),
        endpoint_url: url.to_owned(),
        topics,
        secret: hex(&rand::random::<[u8; 32]>()).to_uppercase(),
        created_on: now,
        updated_on: now,
    };
    let mut shown = sub.render();
    shown["secret"] = json!(sub.secret);
    extra.subscriptions.push(sub);
    axum::Json(shown).into_response()
}

async fn unsubscribe(
    State(sim): State<SquarespaceSim>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if !oauth(&sim, &headers) {
        return oauth_required();
    }
    let mut extra = sim.extra();
    let before = extra.subscriptions.len();
    extra.subscriptions.retain(|s| s.id != id);
    if extra.subscriptions.len() == before {
        return not_found("Webhook subscription");
    }
    StatusCode::NO_CONTENT.into_response()
}

/// `POST /1.0/webhook_subscriptions/{id}/actions/rotateSecret`: a new secret; the old
/// one no longer signs.
async fn rotate_secret(
    State(sim): State<SquarespaceSim>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if !oauth(&sim, &headers) {
        return oauth_required();
    }
    let mut extra = sim.extra();
    let Some(sub) = extra.subscriptions.iter_mut().find(|s| s.id == id) else {
        return not_found("Webhook subscription");
    };
    sub.secret = hex(&rand::random::<[u8; 32]>()).to_uppercase();
    sub.updated_on = Utc::now();
    axum::Json(json!({ "secret": sub.secret })).into_response()
}

async fn products(
    State(sim): State<SquarespaceSim>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let pos = match position(&q, true, None) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let store = sim.store();
    let rows = store
        .products
        .iter()
        .filter(|p| !p.deleted && in_window(&pos, p.updated_at))
        .map(|p| {
            (
                (p.updated_at.timestamp_millis(), p.id),
                render::product(p, store.currency),
            )
        })
        .collect();
    page(rows, pos, "products", "/v2/commerce/products")
}

/// Up to 50 comma-separated ids, each known, or 400/404 as Squarespace answers.
fn ids<T>(list: &str, find: impl Fn(&str) -> Option<T>) -> Result<Vec<T>, Response> {
    let parts: Vec<&str> = list.split(',').collect();
    if parts.len() > 50 || parts.iter().any(|p| p.is_empty()) {
        return Err(invalid(
            "INVALID_ARGUMENT",
            "Between 1 and 50 ids are required",
        ));
    }
    parts
        .into_iter()
        .map(|p| find(p).ok_or_else(|| not_found("One or more of the requested items were")))
        .collect()
}

async fn products_by_id(State(sim): State<SquarespaceSim>, Path(list): Path<String>) -> Response {
    let store = sim.store();
    let found = ids(&list, |id| {
        let n = render::product_number(id)?;
        store.products.iter().find(|p| p.id == n && !p.deleted)
    });
    match found {
        Ok(ps) => axum::Json(json!({
            "products": ps.into_iter().map(|p| render::product(p, store.currency)).collect::<Vec<_>>()
        }))
        .into_response(),
        Err(r) => r,
    }
}

/// `POST /v2/commerce/products/{id}`: `name`, `description`, `isVisible`, `tags`.
async fn update_product(
    State(sim): State<SquarespaceSim>,
    Path(id): Path<String>,
    body: Option<axum::Json<Value>>,
) -> Response {
    let Some(axum::Json(Value::Object(fields))) = body else {
        return invalid("INVALID_CONTENT_TYPE", "A JSON object is required");
    };
    let mut store = sim.store();
    let currency = store.currency;
    let Some(p) = render::product_number(&id).and_then(|n| store.product_mut(n)) else {
        return not_found("Product");
    };
    if let Some(name) = fields.get("name") {
        match name.as_str() {
            Some(n) if !n.trim().is_empty() && n.chars().count() <= 200 => p.title = n.to_owned(),
            _ => return invalid("INVALID_ARGUMENT", "name must be 1 to 200 characters"),
        }
    }
    if let Some(v) = fields.get("isVisible") {
        let Some(v) = v.as_bool() else {
            return invalid("INVALID_ARGUMENT", "isVisible must be a boolean");
        };
        p.status = if v {
            polycart_kit::sim::SimProductStatus::Active
        } else {
            polycart_kit::sim::SimProductStatus::Draft
        };
    }
    if let Some(d) = fields.get("description").and_then(Value::as_str) {
        p.description_html = d.to_owned();
    }
    p.updated_at = Utc::now();
    axum::Json(render::product(p, currency)).into_response()
}

/// Reads `{"currency", "value"}` in the store's currency.
fn amount(v: &Value, currency: &str) -> Result<Decimal, Response> {
    let c = v.get("currency").and_then(Value::as_str);
    let value = v
        .get("value")
        .and_then(Value::as_str)
        .and_then(|s| s.parse::<Decimal>().ok())
        .filter(|d| *d >= Decimal::ZERO && *d <= Decimal::from(1_000_000));
    match (c, value) {
        (Some(c), Some(d)) if c == currency => Ok(d),
        (Some(_), Some(_)) => Err(invalid(
            "CURRENCY_MISMATCH",
            "The currency does not match the store's",
        )),
        _ => Err(invalid(
            "INVALID_ARGUMENT",
            "An amount needs a currency and a decimal string value",
        )),
    }
}

/// `POST /v2/commerce/products/{id}/variants/{variantId}`: `sku`, `pricing`
/// (`basePrice`, `salePrice`, `onSale`).
async fn update_variant(
    State(sim): State<SquarespaceSim>,
    Path((id, vid)): Path<(String, String)>,
    body: Option<axum::Json<Value>>,
) -> Response {
    let Some(axum::Json(Value::Object(fields))) = body else {
        return invalid("INVALID_CONTENT_TYPE", "A JSON object is required");
    };
    if fields.contains_key("stock") {
        return invalid(
            "INVALID_ARGUMENT",
            "Stock is adjusted through the Inventory API",
        );
    }
    let mut store = sim.store();
    let currency = store.currency;
    let Some(p) = render::product_number(&id).and_then(|n| store.product_mut(n)) else {
        return not_found("Product");
    };
    let Some(v) =
        render::variant_number(&vid).and_then(|n| p.variants.iter_mut().find(|v| v.id == n))
    else {
        return not_found("Product variant");
    };
    if let Some(sku) = fields.get("sku") {
        match sku.as_str() {
            Some(s) if !s.trim().is_empty() && s.chars().count() <= 60 => v.sku = s.trim().into(),
            _ => return invalid("INVALID_ARGUMENT", "sku must be 1 to 60 characters"),
        }
    }
    if let Some(pricing) = fields.get("pricing") {
        let on_sale = v.compare_at_price.filter(|c| *c > v.price).is_some();
        let read = |k: &str| pricing.get(k).map(|a| amount(a, currency)).transpose();
        let (base, sale) = match (read("basePrice"), read("salePrice")) {
            (Ok(b), Ok(s)) => (b, s),
            (Err(r), _) | (_, Err(r)) => return r,
        };
        let now_on_sale = pricing
            .get("onSale")
            .and_then(Value::as_bool)
            .unwrap_or(on_sale);
        // The selling price is the sale price on sale, the base price otherwise.
        let (old_base, old_sale) = if on_sale {
            (v.compare_at_price.unwrap_or(v.price), v.price)
        } else {
            (v.price, Decimal::ZERO)
        };
        let (base, sale) = (base.unwrap_or(old_base), sale.unwrap_or(old_sale));
        if now_on_sale {
            v.price = sale;
            v.compare_at_price = Some(base);
        } else {
            v.price = base;
            v.compare_at_price = None;
        }
    }
    let variant = render::variant_id(v.id);
    p.updated_at = Utc::now();
    let rendered = render::product(p, currency);
    let one = rendered["variants"]
        .as_array()
        .and_then(|vs| vs.iter().find(|x| x["id"] == variant.as_str()))
        .cloned()
        .unwrap_or(Value::Null);
    axum::Json(one).into_response()
}

/// Every variant's stock, in a stable order.
fn inventory_rows(store: &SimStore) -> Vec<((i64, u64), Value)> {
    store
        .products
        .iter()
        .filter(|p| !p.deleted)
        .flat_map(|p| {
            p.variants
                .iter()
                .map(move |v| ((0, v.id), render::inventory_item(p, v)))
        })
        .collect()
}

async fn inventory(
    State(sim): State<SquarespaceSim>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let pos = match position(&q, false, None) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let rows = inventory_rows(&sim.store());
    page(rows, pos, "inventory", "/1.0/commerce/inventory")
}

async fn inventory_by_id(State(sim): State<SquarespaceSim>, Path(list): Path<String>) -> Response {
    let rows = inventory_rows(&sim.store());
    match ids(&list, |id| {
        let n = render::variant_number(id)?;
        rows.iter()
            .find(|((_, v), _)| *v == n)
            .map(|(_, v)| v.clone())
    }) {
        Ok(items) => axum::Json(json!({ "inventory": items })).into_response(),
        Err(r) => r,
    }
}

/// `POST /1.0/commerce/inventory/adjustments`: increments, decrements, finite and
/// unlimited settings, all or nothing, once per idempotency key.
async fn adjust(
    State(sim): State<SquarespaceSim>,
    headers: HeaderMap,
    body: Option<axum::Json<Value>>,
) -> Response {
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .filter(|k| {
            !k.is_empty()
                && k.len() <= 64
                && k.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
        .map(str::to_owned);
    let Some(key) = key else {
        return invalid(
            "INVALID_ARGUMENT",
            "An Idempotency-Key header of up to 64 letters, digits, dashes and underscores is required",
        );
    };
    let Some(axum::Json(body)) = body else {
        return invalid("INVALID_CONTENT_TYPE", "A JSON body is required");
    };
    sim.extra().keys_seen.push(key.clone());
    if let Some((seen, status)) = sim.extra().idempotency.get(&key).cloned() {
        if seen != body {
            return invalid(
                "INVALID_ARGUMENT",
                "The Idempotency-Key was used by another request with a different body",
            );
        }
        return StatusCode::from_u16(status)
            .unwrap_or(StatusCode::NO_CONTENT)
            .into_response();
    }
    let mut changes: Vec<(u64, i64, bool)> = Vec::new(); // (variant, n, absolute)
    for (field, sign, absolute) in [
        ("incrementOperations", 1, false),
        ("decrementOperations", -1, false),
        ("setFiniteOperations", 1, true),
    ] {
        for op in body
            .get(field)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let variant = op
                .get("variantId")
                .and_then(Value::as_str)
                .and_then(render::variant_number);
            let quantity = op.get("quantity").and_then(Value::as_i64);
            match (variant, quantity) {
                (Some(v), Some(q)) if absolute && q >= 0 => changes.push((v, q, true)),
                (Some(v), Some(q)) if !absolute && q >= 1 => changes.push((v, sign * q, false)),
                (None, _) => {
                    return error(
                        StatusCode::NOT_FOUND,
                        "INVALID_REQUEST_ERROR",
                        Some("INVENTORY_ITEM_NOT_FOUND"),
                        "An inventory item was not found",
                    );
                }
                _ => return invalid("INVALID_ARGUMENT", "quantity is out of range"),
            }
        }
    }
    if changes.is_empty() {
        return invalid("MISSING_ARGUMENT", "No operations were given");
    }
    let mut store = sim.store();
    // Check every operation first: all or nothing.
    for (v, n, absolute) in &changes {
        let Some((p, i)) = store.variant_mut(*v) else {
            return error(
                StatusCode::NOT_FOUND,
                "INVALID_REQUEST_ERROR",
                Some("INVENTORY_ITEM_NOT_FOUND"),
                "An inventory item was not found",
            );
        };
        let after = p.variants[i].total_stock().checked_add(*n);
        if !absolute && after.is_none_or(|a| a > i64::from(i32::MAX)) {
            return invalid("INVALID_ARGUMENT", "quantity is out of range");
        }
        if !absolute && after.is_some_and(|a| a < 0) {
            return error(
                StatusCode::CONFLICT,
                "CONFLICT",
                Some("INSUFFICIENT_STOCK"),
                "Not enough stock to decrement",
            );
        }
    }
    let now = Utc::now();
    for (v, n, absolute) in changes {
        if let Some((p, i)) = store.variant_mut(v) {
            let variant = &mut p.variants[i];
            match variant.stock.first_mut() {
                Some(first) if absolute => {
                    first.1 = n;
                    for rest in variant.stock.iter_mut().skip(1) {
                        rest.1 = 0;
                    }
                }
                Some(first) => first.1 = first.1.saturating_add(n),
                None => variant.stock.push((1, n)),
            }
            variant.updated_at = now;
            p.updated_at = now;
        }
    }
    drop(store);
    sim.adjustments
        .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    sim.extra().idempotency.insert(key, (body, 204));
    StatusCode::NO_CONTENT.into_response()
}

/// Profiles in Squarespace's default order: by id, descending.
fn profile_rows(store: &SimStore) -> Vec<((i64, u64), Value)> {
    store
        .customers
        .iter()
        .filter(|c| !c.deleted)
        .map(|c| {
            let orders: Vec<_> = store
                .orders
                .iter()
                .filter(|o| !o.deleted && o.customer_id == Some(c.id))
                .collect();
            (
                (0, u64::MAX - c.id),
                render::profile(c, &orders, store.currency),
            )
        })
        .collect()
}

async fn profiles(
    State(sim): State<SquarespaceSim>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if q.contains_key("cursor") && q.contains_key("filter") {
        return invalid(
            "INVALID_ARGUMENT",
            "A cursor cannot be combined with other parameters",
        );
    }
    let pos = match position(&q, false, None) {
        Ok(p) => p,
        Err(r) => return r,
    };
    // Every generated profile is a customer, so `filter=isCustomer,true` keeps them all.
    if let Some(f) = q.get("filter")
        && f != "isCustomer,true"
    {
        return axum::Json(json!({ "profiles": [], "pagination": { "hasNextPage": false, "nextPageCursor": null, "nextPageUrl": null } })).into_response();
    }
    let rows = profile_rows(&sim.store());
    page(rows, pos, "profiles", "/1.0/profiles")
}

async fn profiles_by_id(State(sim): State<SquarespaceSim>, Path(list): Path<String>) -> Response {
    let rows = profile_rows(&sim.store());
    match ids(&list, |id| {
        let n = render::profile_number(id)?;
        rows.iter()
            .find(|((_, c), _)| *c == u64::MAX - n)
            .map(|(_, v)| v.clone())
    }) {
        Ok(items) => axum::Json(json!({ "profiles": items })).into_response(),
        Err(r) => r,
    }
}

/// `POST /api/1/login/oauth/provider/tokens`: a refresh, the client in basic auth and
/// the grant in a JSON body; the refresh token rotates and an old one is refused.
async fn token(State(sim): State<SquarespaceSim>, headers: HeaderMap, body: String) -> Response {
    let expected = format!(
        "Basic {}",
        base64(format!("{}:{}", sim.client_id, sim.client_secret).as_bytes())
    );
    let basic = headers.get("authorization").and_then(|v| v.to_str().ok());
    if basic != Some(expected.as_str()) {
        return (
            StatusCode::UNAUTHORIZED,
            axum::Json(json!({ "error": "invalid_client" })),
        )
            .into_response();
    }
    let grant: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
    let mut extra = sim.extra();
    if grant["grant_type"] != "refresh_token"
        || grant["refresh_token"] != extra.refresh_token.as_str()
    {
        return (
            StatusCode::BAD_REQUEST,
            axum::Json(json!({ "error": "invalid_grant" })),
        )
            .into_response();
    }
    let n = extra.access_tokens.len() + 1;
    let access = format!("sqsp-at-{n}-{:x}", rand::random::<u64>());
    let refresh = format!("sqsp-rt-{n}-{:x}", rand::random::<u64>());
    extra.access_tokens.push(access.clone());
    extra.refresh_token = refresh.clone();
    let now = Utc::now().timestamp();
    axum::Json(json!({
        "token_type": "bearer",
        "access_token": access,
        "access_token_expires_at": format!("{}", now + 1800),
        "refresh_token": refresh,
        "refresh_token_expires_at": format!("{}", now + 7 * 86400),
        "expires_in": 1800,
    }))
    .into_response()
}

/// A `User-Agent` and a bearer API key (or current OAuth token) are required; then 300
/// requests a minute.
async fn gate(State(sim): State<SquarespaceSim>, request: Request, next: Next) -> Response {
    if request
        .headers()
        .get("user-agent")
        .is_none_or(|v| v.as_bytes().is_empty())
    {
        return invalid("MISSING_ARGUMENT", "A User-Agent header is required");
    }
    let bearer = request
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    let known = bearer
        .is_some_and(|t| t == sim.api_key || sim.extra().access_tokens.iter().any(|a| a == t));
    if !known {
        return error(
            StatusCode::UNAUTHORIZED,
            "AUTHORIZATION_ERROR",
            None,
            "The API key or OAuth token is invalid",
        );
    }
    if sim.limiter.take(Instant::now()).is_err() {
        return error(
            StatusCode::TOO_MANY_REQUESTS,
            "TOO_MANY_REQUESTS",
            None,
            "The rate limit was exceeded; try again in a minute",
        );
    }
    next.run(request).await
}

/// Starts the simulator and returns a handle on its state (for tests).
pub async fn start(
    options: SimOptions,
    addr: SocketAddr,
) -> std::io::Result<(SimServer, SquarespaceSim)> {
    let seed = options.seed;
    let sim = SquarespaceSim {
        store: Arc::new(Mutex::new(SimStore::generate(seed, options.size))),
        extra: Arc::new(Mutex::new(Extra {
            refresh_token: format!("sqsp-rt-0-{seed}"),
            ..Extra::default()
        })),
        api_key: format!("sqsp-key-{seed}"),
        webhook_secret: hex(&hmac_sha256(b"squarespace-sim", &seed.to_be_bytes())).to_uppercase(),
        client_id: format!("sim-client-{seed}"),
        client_secret: format!("sim-client-secret-{seed}"),
        website_id: format!("5f3c3d55ac435e1a{seed:08x}"),
        faults: Faults::new(options.faults.clone(), seed),
        limiter: Arc::new(match options.plan.as_deref() {
            // A small window for tests of the 429 path (Squarespace has no plans).
            Some("tight") => FixedWindow::new(4, Duration::from_secs(1)),
            _ => FixedWindow::new(300, Duration::from_secs(60)),
        }),
        adjustments: Arc::default(),
        sender: WebhookSender::default(),
    };
    let api = Router::new()
        .route("/1.0/commerce/orders", get(orders))
        .route("/1.0/commerce/orders/{id}", get(order))
        .route("/1.0/commerce/orders/{id}/fulfillments", post(fulfill))
        .route("/v2/commerce/products", get(products))
        .route(
            "/v2/commerce/products/{ids}",
            get(products_by_id).post(update_product),
        )
        .route(
            "/v2/commerce/products/{id}/variants/{variant}",
            post(update_variant),
        )
        .route("/1.0/commerce/inventory", get(inventory))
        .route("/1.0/commerce/inventory/adjustments", post(adjust))
        .route("/1.0/commerce/inventory/{ids}", get(inventory_by_id))
        .route("/1.0/profiles", get(profiles))
        .route("/1.0/profiles/{ids}", get(profiles_by_id))
        .route(
            "/1.0/webhook_subscriptions",
            get(subscriptions).post(subscribe),
        )
        .route(
            "/1.0/webhook_subscriptions/{id}",
            axum::routing::delete(unsubscribe),
        )
        .route(
            "/1.0/webhook_subscriptions/{id}/actions/rotateSecret",
            post(rotate_secret),
        );
    let api = sim
        .faults
        .layer(api)
        .layer(axum::middleware::from_fn_with_state(sim.clone(), gate))
        .with_state(sim.clone());
    let router = Router::new()
        .route("/api/1/login/oauth/provider/tokens", post(token))
        .with_state(sim.clone())
        .merge(api);
    let (bound, server) = SimServer::start(router, addr).await?;
    let mut credentials = BTreeMap::new();
    credentials.insert("access_token".to_owned(), sim.api_key.clone());
    credentials.insert("webhook_secret".to_owned(), sim.webhook_secret.clone());
    let info = SimInfo {
        platform: crate::PLATFORM.to_owned(),
        base_url: format!("http://{bound}"),
        credentials,
    };
    let limiter = sim.limiter.clone();
    Ok((
        server
            .with_info(info)
            .with_meter("rest", move |now| limiter.usage(now))
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
