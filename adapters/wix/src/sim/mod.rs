//! A Wix simulator, after Wix's REST reference (dev.wix.com): under one host,
//! `POST /oauth2/token` (client credentials with the app's id and secret and the
//! site's `instance_id`, 4-hour tokens) and `POST /oauth/access` (the legacy refresh
//! token, 5-minute tokens); then, with `Authorization: <token>` (no "Bearer": a bearer
//! prefix is refused) or an API key with `wix-site-id`:
//!
//! - `POST /ecom/v1/orders/search` (`filter` in the API query language, `sort`,
//!   `cursorPaging` ≤ 100 with `metadata.cursors.next`; the cursor holds the filter,
//!   the sort and the position; `INITIALIZED` orders are never returned; default sort
//!   `createdDate` descending), `GET /ecom/v1/orders/{id}`, `POST …/{id}/cancel`;
//! - Order Fulfillments: `GET /ecom/v1/fulfillments/orders/{id}`,
//!   `POST …/list-by-ids`, `POST …/{id}/create-fulfillment`; Order Transactions:
//!   `GET /ecom/v1/payments/orders/{id}`, `POST …/query-by-ids` (payments, refunds);
//! - Catalog V1: `POST /stores/v1/products/query` (`filter` and `sort` as JSON
//!   *strings*, `paging` ≤ 100 by offset, 10,000 at most, `totalResults`,
//!   `includeVariants`), `GET`/`PATCH /stores/v1/products/{id}`,
//!   `PATCH …/{id}/variants`, `POST /stores/v1/collections/query`,
//!   `GET /stores/v1/collections/{id}`; inventory `PATCH
//!   /stores/v2/inventoryItems/product/{id}` and `POST …/increment`, `…/decrement`;
//! - Contacts v4: `POST /contacts/v4/contacts/query` (offset paging ≤ 1000, default
//!   sort `createdDate` ascending; `updatedDate` filters but does not sort),
//!   `GET /contacts/v4/contacts/{id}`.
//!
//! Errors are Wix's `{"message", "details": {"applicationError" | "validationError"}}`;
//! 200 requests a minute per app instance, then 429 (no `Retry-After`: Wix documents
//! none); webhook deliveries are JWTs signed RS256 with the app's key
//! ([`WixSim::webhook_jwt`]); the kit's fault injection on top. Rendered from the
//! documented objects over the kit's generated store, never from the adapter's types.

// Handlers answer errors as ready responses, as axum does; boxing them buys nothing.
#![allow(clippy::result_large_err)]

mod handle;
pub mod keys;
mod render;

use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch, post};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Utc;
use futures::future::BoxFuture;
use polycart_kit::sim::{
    Faults, FixedWindow, SimInfo, SimOptions, SimServer, SimShipment, SimStore,
};
use rsa::pkcs1v15::SigningKey;
use rsa::pkcs8::DecodePrivateKey;
use rsa::signature::{SignatureEncoding, Signer};
use rust_decimal::Decimal;
use serde_json::{Map, Value, json};
use sha2::Sha256;

pub use keys::APP_PUBLIC_KEY;
pub use render::{
    DEFAULT_VARIANT, Kind, guid, number, order_transactions, order_with_fulfillments,
    render_collection, render_contact, render_order, render_product,
};

/// The app's id (its OAuth client id).
pub const APP_ID: &str = "9f1c2a52-0b7e-4c8e-9b53-2f4c8a7d3e10";
/// The app's secret.
pub const APP_SECRET: &str = "sim-app-secret-5c1e";
/// The app's instance on the simulated site.
pub const INSTANCE_ID: &str = "3b1f6c1e-7d2a-4e59-8c43-1a9e2f0b6d77";
/// The site's id (for API keys).
pub const SITE_ID: &str = "6d4b3e2a-1c0f-4a98-b7e6-5d4c3b2a1f00";
/// An API key of the site owner's account.
pub const API_KEY: &str = "IST.sim-api-key-for-the-site-owner";
/// The legacy install's refresh token.
pub const REFRESH_TOKEN: &str = "OAUTH2.legacy-refresh-token";

/// The simulator plan without the Order Transactions API.
pub const NO_ORDER_TRANSACTIONS: &str = "no-order-transactions";

/// Requests a minute per app instance.
pub const RATE_PER_MINUTE: u64 = 200;

/// A running simulator's state, for tests.
#[derive(Clone)]
pub struct WixSim {
    store: Arc<Mutex<SimStore>>,
    /// Access tokens issued, and when each lapses.
    tokens: Arc<Mutex<HashMap<String, Instant>>>,
    issued: Arc<std::sync::atomic::AtomicU64>,
    faults: Arc<Faults>,
    limiter: Arc<FixedWindow>,
    /// The PEM key deliveries are signed with (the app's, or a forger's).
    signing_key: &'static str,
}

impl WixSim {
    /// The generated store, to read or change.
    pub fn store(&self) -> std::sync::MutexGuard<'_, SimStore> {
        self.store.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn tokens(&self) -> std::sync::MutexGuard<'_, HashMap<String, Instant>> {
        self.tokens.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// How many access tokens the token endpoints issued.
    pub fn tokens_issued(&self) -> u64 {
        self.issued.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Ends every issued token's life now (the next call answers 401).
    pub fn expire_tokens(&self) {
        self.tokens().clear();
    }

    fn issue(&self, lifetime: Duration) -> String {
        let n = self
            .issued
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            + 1;
        let token = format!("OAUTH2.sim-access-token-{n}");
        self.tokens()
            .insert(token.clone(), Instant::now() + lifetime);
        token
    }

    /// A webhook delivery as Wix sends it: the body, a JWT signed RS256 with the
    /// app's key (or the forger's, for a simulator made with it), issued at unix
    /// second `iat` and lapsing `ttl` seconds later.
    pub fn webhook_jwt(&self, event_type: &str, event: &Value, iat: i64, ttl: i64) -> String {
        let envelope = json!({
            "eventType": event_type,
            "instanceId": INSTANCE_ID,
            "data": event.to_string(),
            "identity": json!({ "identityType": "APP", "appId": APP_ID }).to_string(),
        });
        let claims = json!({ "data": envelope.to_string(), "iat": iat, "exp": iat + ttl });
        sign_jwt(self.signing_key, &claims)
    }

    /// This simulator signing with a forger's key.
    pub fn forger(&self) -> Self {
        Self {
            signing_key: keys::FORGER_PRIVATE_KEY,
            ..self.clone()
        }
    }
}

/// `claims` as a compact JWT signed RS256 with the PEM private key `pem`.
pub fn sign_jwt(pem: &str, claims: &Value) -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"RS256","typ":"JWT"}"#);
    let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
    let key = rsa::RsaPrivateKey::from_pkcs8_pem(pem)
        .expect("the simulator's keys are valid PKCS #8 keys");
    let signature = SigningKey::<Sha256>::new(key).sign(format!("{header}.{payload}").as_bytes());
    format!(
        "{header}.{payload}.{}",
        URL_SAFE_NO_PAD.encode(signature.to_bytes())
    )
}

/// Wix's error body with an application error.
fn error(status: StatusCode, code: &str, message: &str) -> Response {
    let body = json!({
        "message": message,
        "details": { "applicationError": { "code": code, "description": message, "data": {} } },
    });
    (status, axum::Json(body)).into_response()
}

/// Wix's error body with a validation error on `field`.
fn invalid(field: &str, message: &str) -> Response {
    let body = json!({
        "message": message,
        "details": { "validationError": { "fieldViolations": [
            { "field": field, "description": message, "violatedRule": "VALIDATION" }
        ] } },
    });
    (StatusCode::BAD_REQUEST, axum::Json(body)).into_response()
}

fn not_found(what: &str) -> Response {
    error(
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
        &format!("{what} not found"),
    )
}

// ---------------------------------------------------------------------------------
// The API query language: filters and sorts over the rendered records.

/// The value at a dotted path (`buyerInfo.email`).
fn at<'a>(record: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(record, |v, k| v.get(k))
}

/// Compares two JSON values: dates as dates, numbers as numbers, the rest as text.
fn compare(a: &Value, b: &Value) -> Option<Ordering> {
    let text = |v: &Value| match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    };
    let (x, y) = (text(a)?, text(b)?);
    if let (Some(d1), Some(d2)) = (
        polycart_kit::decode::parse_datetime(&x),
        polycart_kit::decode::parse_datetime(&y),
    ) {
        return Some(d1.cmp(&d2));
    }
    if let (Ok(n1), Ok(n2)) = (x.parse::<Decimal>(), y.parse::<Decimal>()) {
        return Some(n1.cmp(&n2));
    }
    Some(x.cmp(&y))
}

/// Whether `record` passes `filter` (`{"field": value | {"$op": value}}`); an operator
/// Wix does not have is an error naming it.
fn passes(record: &Value, filter: &Map<String, Value>) -> Result<bool, String> {
    for (field, condition) in filter {
        let value = at(record, field).unwrap_or(&Value::Null);
        let ops: Vec<(&str, &Value)> = match condition {
            Value::Object(o) if o.keys().all(|k| k.starts_with('$')) => {
                o.iter().map(|(k, v)| (k.as_str(), v)).collect()
            }
            other => vec![("$eq", other)],
        };
        for (op, want) in ops {
            let ord = compare(value, want);
            let ok = match op {
                "$eq" => ord == Some(Ordering::Equal),
                "$ne" => ord != Some(Ordering::Equal),
                "$gt" => ord == Some(Ordering::Greater),
                "$gte" => matches!(ord, Some(Ordering::Greater | Ordering::Equal)),
                "$lt" => ord == Some(Ordering::Less),
                "$lte" => matches!(ord, Some(Ordering::Less | Ordering::Equal)),
                "$in" | "$nin" => {
                    let list = want.as_array().ok_or(format!("{op} takes a list"))?;
                    let found = list
                        .iter()
                        .any(|w| compare(value, w) == Some(Ordering::Equal));
                    found == (op == "$in")
                }
                other => return Err(format!("unsupported filter operator {other}")),
            };
            if !ok {
                return Ok(false);
            }
        }
    }
    Ok(true)
}

/// Sorts `rows` by `sort` (field, ascending) and then by id.
fn sort_rows(rows: &mut [Value], sort: &[(String, bool)]) {
    rows.sort_by(|a, b| {
        for (field, asc) in sort {
            let o = match (at(a, field), at(b, field)) {
                (Some(x), Some(y)) => compare(x, y).unwrap_or(Ordering::Equal),
                (None, Some(_)) => Ordering::Less,
                (Some(_), None) => Ordering::Greater,
                (None, None) => Ordering::Equal,
            };
            let o = if *asc { o } else { o.reverse() };
            if o != Ordering::Equal {
                return o;
            }
        }
        a["id"].as_str().cmp(&b["id"].as_str())
    });
}

/// `[{"fieldName", "order"}]` as (field, ascending), each field checked.
fn read_sort(
    sort: Option<&Value>,
    allowed: &[&str],
) -> Result<Option<Vec<(String, bool)>>, Response> {
    let Some(sort) = sort else { return Ok(None) };
    let list = sort
        .as_array()
        .ok_or_else(|| invalid("sort", "sort must be a list"))?;
    let mut out = Vec::new();
    for s in list {
        let field = s["fieldName"].as_str().unwrap_or_default();
        if !allowed.contains(&field) {
            return Err(invalid(
                "sort.fieldName",
                &format!("sorting by {field:?} is not supported"),
            ));
        }
        let asc = match s.get("order").and_then(Value::as_str) {
            None | Some("ASC") => true,
            Some("DESC") => false,
            Some(other) => return Err(invalid("sort.order", &format!("unknown order {other:?}"))),
        };
        out.push((field.to_owned(), asc));
    }
    Ok(Some(out))
}

fn limit_of(paging: &Value, max: u64, default: u64) -> Result<u64, Response> {
    match paging.get("limit") {
        None | Some(Value::Null) => Ok(default),
        Some(v) => match v.as_u64() {
            Some(n) if (1..=max).contains(&n) => Ok(n),
            _ => Err(invalid(
                "paging.limit",
                &format!("limit must be between 1 and {max}"),
            )),
        },
    }
}

fn filter_of(value: Option<&Value>) -> Result<Map<String, Value>, Response> {
    match value {
        None | Some(Value::Null) => Ok(Map::new()),
        Some(Value::Object(o)) => Ok(o.clone()),
        Some(_) => Err(invalid("filter", "filter must be an object")),
    }
}

/// What an eCommerce search cursor holds: the filter, the sort and the last record's
/// sort values and id.
#[derive(serde::Serialize, serde::Deserialize)]
struct SearchCursor {
    f: Map<String, Value>,
    s: Vec<(String, bool)>,
    last: Vec<Value>,
    id: String,
}

fn encode_cursor(c: &SearchCursor) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(c).unwrap_or_default())
}

fn decode_cursor(text: &str) -> Option<SearchCursor> {
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(text).ok()?).ok()
}

/// Whether `row` sorts after the cursor's position.
fn after(row: &Value, c: &SearchCursor) -> bool {
    for ((field, asc), last) in c.s.iter().zip(&c.last) {
        let o = compare(at(row, field).unwrap_or(&Value::Null), last).unwrap_or(Ordering::Equal);
        let o = if *asc { o } else { o.reverse() };
        if o != Ordering::Equal {
            return o == Ordering::Greater;
        }
    }
    row["id"].as_str().unwrap_or_default() > c.id.as_str()
}

// ---------------------------------------------------------------------------------
// eCommerce orders and fulfillments.

async fn search_orders(State(sim): State<WixSim>, body: axum::Json<Value>) -> Response {
    let search = body.0.get("search").cloned().unwrap_or(Value::Null);
    let paging = search.get("cursorPaging").cloned().unwrap_or(Value::Null);
    let limit = match limit_of(&paging, 100, 100) {
        Ok(l) => l,
        Err(r) => return r,
    };
    let cursor = match paging.get("cursor").and_then(Value::as_str) {
        Some(text) => match decode_cursor(text) {
            Some(c) => Some(c),
            None => return invalid("cursorPaging.cursor", "invalid cursor"),
        },
        None => None,
    };
    let (filter, sort) = match &cursor {
        Some(c) => (c.f.clone(), c.s.clone()),
        None => {
            let filter = match filter_of(search.get("filter")) {
                Ok(f) => f,
                Err(r) => return r,
            };
            let allowed = [
                "createdDate",
                "updatedDate",
                "number",
                "status",
                "paymentStatus",
            ];
            let sort = match read_sort(search.get("sort"), &allowed) {
                Ok(s) => s.unwrap_or_else(|| vec![("createdDate".into(), false)]),
                Err(r) => return r,
            };
            (filter, sort)
        }
    };
    let store = sim.store();
    let mut rows = Vec::new();
    for o in store.orders.iter().filter(|o| !o.deleted) {
        let v = render_order(o);
        // Search never returns orders still being checked out.
        if v["status"] == "INITIALIZED" {
            continue;
        }
        match passes(&v, &filter) {
            Ok(true) => rows.push(v),
            Ok(false) => {}
            Err(e) => return invalid("filter", &e),
        }
    }
    drop(store);
    sort_rows(&mut rows, &sort);
    if let Some(c) = &cursor {
        rows.retain(|r| after(r, c));
    }
    let more = rows.len() as u64 > limit;
    rows.truncate(limit as usize);
    let mut cursors = Map::new();
    if more && let Some(last) = rows.last() {
        let next = SearchCursor {
            f: filter,
            last: sort
                .iter()
                .map(|(f, _)| at(last, f).cloned().unwrap_or(Value::Null))
                .collect(),
            s: sort,
            id: last["id"].as_str().unwrap_or_default().to_owned(),
        };
        cursors.insert("next".into(), json!(encode_cursor(&next)));
    }
    axum::Json(json!({
        "orders": rows,
        "metadata": { "count": rows.len(), "cursors": cursors, "hasNext": more },
    }))
    .into_response()
}

fn order_number(store: &SimStore, id: &str) -> Option<u64> {
    let n = number(Kind::Order, id)?;
    store
        .orders
        .iter()
        .any(|o| o.id == n && !o.deleted)
        .then_some(n)
}

async fn get_order(State(sim): State<WixSim>, Path(id): Path<String>) -> Response {
    let store = sim.store();
    match order_number(&store, &id).and_then(|n| store.orders.iter().find(|o| o.id == n)) {
        Some(o) => axum::Json(json!({ "order": render_order(o) })).into_response(),
        None => not_found("Order"),
    }
}

/// `POST /ecom/v1/orders/{id}/cancel`: an approved order becomes `CANCELED`; a
/// canceled one is refused.
async fn cancel_order(
    State(sim): State<WixSim>,
    Path(id): Path<String>,
    body: axum::Json<Value>,
) -> Response {
    if !body.0.is_object() {
        return invalid("body", "a JSON object is required");
    }
    let mut store = sim.store();
    let Some(n) = order_number(&store, &id) else {
        return not_found("Order");
    };
    let Some(o) = store.order_mut(n) else {
        return not_found("Order");
    };
    if render::status(o) != "APPROVED" {
        return error(
            StatusCode::BAD_REQUEST,
            "ORDER_ALREADY_CANCELED",
            "only an approved order can be canceled",
        );
    }
    let now = Utc::now();
    o.state = polycart_kit::sim::SimOrderState::Cancelled;
    o.cancelled_at = Some(now);
    o.updated_at = now;
    axum::Json(json!({ "order": render_order(o) })).into_response()
}

async fn order_fulfillments(State(sim): State<WixSim>, Path(id): Path<String>) -> Response {
    let store = sim.store();
    match order_number(&store, &id).and_then(|n| store.orders.iter().find(|o| o.id == n)) {
        Some(o) => axum::Json(json!({ "orderWithFulfillments": order_with_fulfillments(o) }))
            .into_response(),
        None => not_found("Order"),
    }
}

async fn transactions(State(sim): State<WixSim>, Path(id): Path<String>) -> Response {
    let store = sim.store();
    match order_number(&store, &id).and_then(|n| store.orders.iter().find(|o| o.id == n)) {
        Some(o) => {
            axum::Json(json!({ "orderTransactions": order_transactions(o) })).into_response()
        }
        None => not_found("Order"),
    }
}

async fn transactions_by_ids(State(sim): State<WixSim>, body: axum::Json<Value>) -> Response {
    let Some(ids) = body.0.get("orderIds").and_then(Value::as_array).cloned() else {
        return invalid("orderIds", "orderIds is required");
    };
    if ids.len() > 100 {
        return invalid("orderIds", "at most 100 order ids");
    }
    let store = sim.store();
    let found: Vec<Value> = ids
        .iter()
        .filter_map(Value::as_str)
        .filter_map(|id| order_number(&store, id))
        .filter_map(|n| store.orders.iter().find(|o| o.id == n))
        .map(order_transactions)
        .collect();
    axum::Json(json!({ "orderTransactions": found })).into_response()
}

async fn fulfillments_by_ids(State(sim): State<WixSim>, body: axum::Json<Value>) -> Response {
    let Some(ids) = body.0.get("orderIds").and_then(Value::as_array).cloned() else {
        return invalid("orderIds", "orderIds is required");
    };
    if ids.len() > 100 {
        return invalid("orderIds", "at most 100 order ids");
    }
    let store = sim.store();
    let found: Vec<Value> = ids
        .iter()
        .filter_map(Value::as_str)
        .filter_map(|id| order_number(&store, id))
        .filter_map(|n| store.orders.iter().find(|o| o.id == n))
        .map(order_with_fulfillments)
        .collect();
    axum::Json(json!({ "ordersWithFulfillments": found })).into_response()
}

async fn create_fulfillment(
    State(sim): State<WixSim>,
    Path(id): Path<String>,
    body: axum::Json<Value>,
) -> Response {
    let f = body.0.get("fulfillment").cloned().unwrap_or(Value::Null);
    let Some(lines) = f
        .get("lineItems")
        .and_then(Value::as_array)
        .filter(|l| !l.is_empty())
    else {
        return invalid(
            "fulfillment.lineItems",
            "at least one line item is required",
        );
    };
    let mut store = sim.store();
    let Some(n) = order_number(&store, &id) else {
        return not_found("Order");
    };
    let shipment_id = store.fresh_id();
    let Some(o) = store.order_mut(n) else {
        return not_found("Order");
    };
    if render::status(o) == "CANCELED" {
        return error(
            StatusCode::BAD_REQUEST,
            "ORDER_CANCELED",
            "a canceled order cannot be fulfilled",
        );
    }
    let mut shipped = Vec::new();
    for l in lines {
        let line = l["id"].as_str().and_then(|i| number(Kind::LineItem, i));
        let item = line.and_then(|id| o.line_items.iter().find(|x| x.id == id));
        let Some(item) = item else {
            return invalid("fulfillment.lineItems.id", "no such line item in the order");
        };
        let quantity = l["quantity"]
            .as_u64()
            .and_then(|q| u32::try_from(q).ok())
            .unwrap_or(0);
        if quantity == 0 || render::shipped(o, item.id).saturating_add(quantity) > item.quantity {
            return error(
                StatusCode::BAD_REQUEST,
                "FULFILLMENT_QUANTITY_EXCEEDS_LINE_ITEM_QUANTITY",
                "the quantity exceeds what is left to fulfill",
            );
        }
        shipped.push((item.id, quantity));
    }
    let tracking = f.get("trackingInfo").cloned().unwrap_or(Value::Null);
    let text = |k: &str| {
        tracking
            .get(k)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    let now = Utc::now();
    o.shipments.push(SimShipment {
        id: shipment_id,
        carrier: text("shippingProvider"),
        tracking_number: text("trackingNumber"),
        tracking_url: text("trackingLink"),
        status: "success".into(),
        lines: shipped,
        created_at: now,
    });
    o.updated_at = now;
    axum::Json(json!({
        "fulfillmentId": guid(Kind::Fulfillment, shipment_id),
        "orderWithFulfillments": order_with_fulfillments(o),
    }))
    .into_response()
}

// ---------------------------------------------------------------------------------
// Stores Catalog V1.

/// A Catalog V1 `filter` or `sort`: a JSON *string* (an object in its place is
/// refused, as Wix refuses it).
fn v1_json(query: &Value, name: &str) -> Result<Option<Value>, Response> {
    match query.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => serde_json::from_str(s).map(Some).map_err(|_| {
            invalid(
                &format!("query.{name}"),
                &format!("{name} is not valid JSON"),
            )
        }),
        Some(_) => Err(invalid(
            &format!("query.{name}"),
            &format!("{name} must be a JSON string"),
        )),
    }
}

/// One page of a Catalog V1 query over `rows`.
fn v1_page(mut rows: Vec<Value>, body: &Value, key: &str, allowed_sort: &[&str]) -> Response {
    let query = body.get("query").cloned().unwrap_or(Value::Null);
    let filter = match v1_json(&query, "filter").and_then(|f| filter_of(f.as_ref())) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let sort = match v1_json(&query, "sort") {
        Ok(None) => vec![],
        Ok(Some(Value::Array(list))) => {
            let mut out = Vec::new();
            for s in list {
                let Some((field, dir)) = s.as_object().and_then(|o| o.iter().next()) else {
                    return invalid("query.sort", "each sort is {\"field\": \"asc\"|\"desc\"}");
                };
                if !allowed_sort.contains(&field.as_str()) {
                    return invalid(
                        "query.sort",
                        &format!("sorting by {field:?} is not supported"),
                    );
                }
                out.push((field.clone(), dir != "desc"));
            }
            out
        }
        Ok(Some(_)) => return invalid("query.sort", "sort must be a list"),
        Err(r) => return r,
    };
    let paging = query.get("paging").cloned().unwrap_or(Value::Null);
    let limit = match limit_of(&paging, 100, 100) {
        Ok(l) => l,
        Err(r) => return r,
    };
    let offset = paging.get("offset").and_then(Value::as_u64).unwrap_or(0);
    if offset.saturating_add(limit) > 10_000 {
        return invalid("query.paging.offset", "queries reach at most 10,000 items");
    }
    let mut kept = Vec::new();
    for r in rows.drain(..) {
        match passes(&r, &filter) {
            Ok(true) => kept.push(r),
            Ok(false) => {}
            Err(e) => return invalid("query.filter", &e),
        }
    }
    sort_rows(&mut kept, &sort);
    let total = kept.len();
    let page: Vec<Value> = kept
        .into_iter()
        .skip(usize::try_from(offset).unwrap_or(usize::MAX))
        .take(limit as usize)
        .collect();
    axum::Json(json!({
        key: page,
        "metadata": { "items": limit, "offset": offset },
        "totalResults": total,
    }))
    .into_response()
}

async fn query_products(State(sim): State<WixSim>, body: axum::Json<Value>) -> Response {
    let variants = body.0.get("includeVariants").and_then(Value::as_bool) == Some(true);
    let store = sim.store();
    let rows: Vec<Value> = store
        .products
        .iter()
        .filter(|p| !p.deleted)
        .map(|p| render_product(p, store.currency, variants))
        .collect();
    drop(store);
    v1_page(
        rows,
        &body.0,
        "products",
        &["lastUpdated", "numericId", "name", "price"],
    )
}

fn product_number(store: &SimStore, id: &str) -> Option<u64> {
    let n = number(Kind::Product, id)?;
    store
        .products
        .iter()
        .any(|p| p.id == n && !p.deleted)
        .then_some(n)
}

async fn get_product(State(sim): State<WixSim>, Path(id): Path<String>) -> Response {
    let store = sim.store();
    match product_number(&store, &id).and_then(|n| store.products.iter().find(|p| p.id == n)) {
        Some(p) => axum::Json(json!({ "product": render_product(p, store.currency, true) }))
            .into_response(),
        None => not_found("Product"),
    }
}

fn decimal(v: &Value) -> Option<Decimal> {
    v.as_number().and_then(|n| n.to_string().parse().ok())
}

async fn update_product(
    State(sim): State<WixSim>,
    Path(id): Path<String>,
    body: axum::Json<Value>,
) -> Response {
    let Some(fields) = body.0.get("product").and_then(Value::as_object).cloned() else {
        return invalid("product", "product is required");
    };
    let price = match fields
        .get("priceData")
        .map(|p| p.get("price").and_then(decimal))
    {
        Some(None) => return invalid("product.priceData.price", "price must be a number"),
        other => other.flatten(),
    };
    let mut store = sim.store();
    let Some(n) = product_number(&store, &id) else {
        return not_found("Product");
    };
    let currency = store.currency;
    let Some(p) = store.product_mut(n) else {
        return not_found("Product");
    };
    if p.variants.len() > 1 && price.is_some() {
        return error(
            StatusCode::BAD_REQUEST,
            "VARIANTS_MANAGED",
            "the product manages its variants: set their prices with Update Variants",
        );
    }
    if let Some(name) = fields.get("name").and_then(Value::as_str) {
        p.title = name.to_owned();
    }
    if let Some(visible) = fields.get("visible").and_then(Value::as_bool) {
        p.status = if visible {
            polycart_kit::sim::SimProductStatus::Active
        } else {
            polycart_kit::sim::SimProductStatus::Draft
        };
    }
    if let Some(price) = price {
        for v in &mut p.variants {
            v.price = price;
        }
    }
    p.updated_at = Utc::now();
    axum::Json(json!({ "product": render_product(p, currency, true) })).into_response()
}

async fn update_variants(
    State(sim): State<WixSim>,
    Path(id): Path<String>,
    body: axum::Json<Value>,
) -> Response {
    let Some(updates) = body.0.get("variants").and_then(Value::as_array).cloned() else {
        return invalid("variants", "variants is required");
    };
    let mut store = sim.store();
    let Some(n) = product_number(&store, &id) else {
        return not_found("Product");
    };
    let Some(p) = store.product_mut(n) else {
        return not_found("Product");
    };
    for u in &updates {
        let Some(ids) = u.get("variantIds").and_then(Value::as_array) else {
            return invalid("variants.variantIds", "variantIds is required");
        };
        let price = match u.get("price").map(decimal) {
            Some(None) => return invalid("variants.price", "price must be a number"),
            other => other.flatten(),
        };
        for vid in ids.iter().filter_map(Value::as_str) {
            let Some(i) = (0..p.variants.len()).find(|i| render::variant_id(p, *i) == vid) else {
                return not_found("Variant");
            };
            if let Some(price) = price {
                p.variants[i].price = price;
            }
        }
    }
    p.updated_at = Utc::now();
    axum::Json(json!({ "variants": [] })).into_response()
}

/// Applies `change` (absolute or delta) to the stock of `variant` of `product`.
fn set_stock(
    sim: &WixSim,
    product: &str,
    variant: &str,
    change: Result<i64, i64>,
) -> Result<(), Response> {
    let mut store = sim.store();
    let n = product_number(&store, product).ok_or_else(|| not_found("Product"))?;
    let p = store.product_mut(n).ok_or_else(|| not_found("Product"))?;
    let i = (0..p.variants.len())
        .find(|i| render::variant_id(p, *i) == variant)
        .ok_or_else(|| not_found("Variant"))?;
    // Wix keeps one quantity per variant: the generated locations' stock is its sum.
    let stock = &mut p.variants[i].stock;
    if stock.is_empty() {
        return Err(not_found("Inventory item"));
    }
    match change {
        Ok(absolute) => {
            for (n, level) in stock.iter_mut().enumerate() {
                level.1 = if n == 0 { absolute } else { 0 };
            }
        }
        Err(delta) => stock[0].1 += delta,
    }
    p.updated_at = Utc::now();
    Ok(())
}

async fn update_inventory(
    State(sim): State<WixSim>,
    Path(id): Path<String>,
    body: axum::Json<Value>,
) -> Response {
    let Some(variants) = body
        .0
        .pointer("/inventoryItem/variants")
        .and_then(Value::as_array)
    else {
        return invalid("inventoryItem.variants", "variants are required");
    };
    for v in variants {
        let (Some(vid), Some(q)) = (v["variantId"].as_str(), v["quantity"].as_i64()) else {
            return invalid(
                "inventoryItem.variants",
                "variantId and quantity are required",
            );
        };
        if let Err(r) = set_stock(&sim, &id, vid, Ok(q)) {
            return r;
        }
    }
    axum::Json(json!({})).into_response()
}

async fn adjust_inventory(sim: WixSim, body: Value, key: &str, by: &str, sign: i64) -> Response {
    let Some(items) = body.get(key).and_then(Value::as_array) else {
        return invalid(key, &format!("{key} is required"));
    };
    for item in items {
        let (Some(pid), Some(vid), Some(n)) = (
            item["productId"].as_str(),
            item["variantId"].as_str(),
            item[by].as_i64().filter(|n| *n > 0),
        ) else {
            return invalid(
                key,
                &format!("productId, variantId and a positive {by} are required"),
            );
        };
        if let Err(r) = set_stock(&sim, pid, vid, Err(sign * n)) {
            return r;
        }
    }
    axum::Json(json!({})).into_response()
}

async fn increment(State(sim): State<WixSim>, body: axum::Json<Value>) -> Response {
    adjust_inventory(sim, body.0, "incrementData", "incrementBy", 1).await
}

async fn decrement(State(sim): State<WixSim>, body: axum::Json<Value>) -> Response {
    adjust_inventory(sim, body.0, "decrementData", "decrementBy", -1).await
}

async fn query_collections(State(sim): State<WixSim>, body: axum::Json<Value>) -> Response {
    let store = sim.store();
    let rows: Vec<Value> = store
        .categories
        .iter()
        .map(|c| {
            let count = store
                .products
                .iter()
                .filter(|p| !p.deleted && p.category_ids.contains(&c.id))
                .count();
            render_collection(c, count)
        })
        .collect();
    drop(store);
    v1_page(rows, &body.0, "collections", &["name"])
}

async fn get_collection(State(sim): State<WixSim>, Path(id): Path<String>) -> Response {
    let store = sim.store();
    let found =
        number(Kind::Collection, &id).and_then(|n| store.categories.iter().find(|c| c.id == n));
    match found {
        Some(c) => {
            let count = store
                .products
                .iter()
                .filter(|p| !p.deleted && p.category_ids.contains(&c.id))
                .count();
            axum::Json(json!({ "collection": render_collection(c, count) })).into_response()
        }
        None => not_found("Collection"),
    }
}

// ---------------------------------------------------------------------------------
// Contacts v4.

async fn query_contacts(State(sim): State<WixSim>, body: axum::Json<Value>) -> Response {
    let query = body.0.get("query").cloned().unwrap_or(Value::Null);
    let filter = match filter_of(query.get("filter")) {
        Ok(f) => f,
        Err(r) => return r,
    };
    // `updatedDate` filters but does not sort (Contacts: Supported Filters and Sorting).
    let allowed = [
        "createdDate",
        "lastActivity.activityDate",
        "primaryInfo.email",
        "info.name.first",
        "info.name.last",
    ];
    let sort = match read_sort(query.get("sort"), &allowed) {
        Ok(s) => s.unwrap_or_else(|| vec![("createdDate".into(), true)]),
        Err(r) => return r,
    };
    let paging = query.get("paging").cloned().unwrap_or(Value::Null);
    let limit = match limit_of(&paging, 1000, 50) {
        Ok(l) => l,
        Err(r) => return r,
    };
    let offset = paging.get("offset").and_then(Value::as_u64).unwrap_or(0);
    let store = sim.store();
    let mut rows = Vec::new();
    for c in store.customers.iter().filter(|c| !c.deleted) {
        let v = render_contact(c);
        match passes(&v, &filter) {
            Ok(true) => rows.push(v),
            Ok(false) => {}
            Err(e) => return invalid("query.filter", &e),
        }
    }
    drop(store);
    sort_rows(&mut rows, &sort);
    let total = rows.len();
    let page: Vec<Value> = rows
        .into_iter()
        .skip(usize::try_from(offset).unwrap_or(usize::MAX))
        .take(limit as usize)
        .collect();
    axum::Json(json!({
        "contacts": page,
        "pagingMetadata": { "count": page.len(), "offset": offset, "total": total, "tooManyToCount": false },
    }))
    .into_response()
}

async fn get_contact(State(sim): State<WixSim>, Path(id): Path<String>) -> Response {
    let store = sim.store();
    let found = number(Kind::Contact, &id)
        .and_then(|n| store.customers.iter().find(|c| c.id == n && !c.deleted));
    match found {
        Some(c) => axum::Json(json!({ "contact": render_contact(c) })).into_response(),
        None => not_found("Contact"),
    }
}

// ---------------------------------------------------------------------------------
// Auth, limits and the token endpoints.

/// An issued token (raw, no "Bearer"), or the API key with exactly one of
/// `wix-site-id` (this site) and `wix-account-id`; then 200 requests a minute.
async fn gate(State(sim): State<WixSim>, request: Request, next: Next) -> Response {
    let headers = request.headers().clone();
    let header = |n: &str| {
        headers
            .get(n)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let Some(auth) = header("authorization") else {
        return error(
            StatusCode::UNAUTHORIZED,
            "UNAUTHENTICATED",
            "missing Authorization header",
        );
    };
    if auth.starts_with("Bearer ") {
        return error(
            StatusCode::UNAUTHORIZED,
            "UNAUTHENTICATED",
            "the Authorization header takes the token itself, without Bearer",
        );
    }
    let live = sim
        .tokens()
        .get(&auth)
        .is_some_and(|at| *at > Instant::now());
    let ok = if live {
        true
    } else if auth == API_KEY {
        match (header("wix-site-id"), header("wix-account-id")) {
            (Some(_), Some(_)) => {
                return invalid("wix-site-id", "send one of wix-site-id and wix-account-id");
            }
            (Some(site), None) => site == SITE_ID,
            (None, Some(_)) => {
                return error(
                    StatusCode::FORBIDDEN,
                    "PERMISSION_DENIED",
                    "this method needs a site context (wix-site-id)",
                );
            }
            (None, None) => false,
        }
    } else {
        false
    };
    if !ok {
        return error(
            StatusCode::UNAUTHORIZED,
            "UNAUTHENTICATED",
            "invalid or expired access token",
        );
    }
    if sim.limiter.take(Instant::now()).is_err() {
        return error(
            StatusCode::TOO_MANY_REQUESTS,
            "RESOURCE_EXHAUSTED",
            "the app instance exceeded 200 requests per minute",
        );
    }
    next.run(request).await
}

/// `POST /oauth2/token`: client credentials for the app's instance on this site.
async fn oauth2_token(State(sim): State<WixSim>, body: axum::Json<Value>) -> Response {
    let b = &body.0;
    if b["grant_type"] != "client_credentials" {
        return invalid("grant_type", "grant_type must be client_credentials");
    }
    if b["client_id"] != APP_ID
        || b["client_secret"] != APP_SECRET
        || b["instance_id"] != INSTANCE_ID
    {
        return error(
            StatusCode::UNAUTHORIZED,
            "UNAUTHENTICATED",
            "invalid app credentials or instance",
        );
    }
    let token = sim.issue(Duration::from_secs(4 * 3600));
    axum::Json(json!({ "access_token": token, "token_type": "Bearer", "expires_in": 14400 }))
        .into_response()
}

/// `POST /oauth/access`: the legacy refresh token (never changes) for a 5-minute token.
async fn oauth_access(State(sim): State<WixSim>, body: axum::Json<Value>) -> Response {
    let b = &body.0;
    if b["grant_type"] != "refresh_token" {
        return invalid("grant_type", "grant_type must be refresh_token");
    }
    if b["client_id"] != APP_ID
        || b["client_secret"] != APP_SECRET
        || b["refresh_token"] != REFRESH_TOKEN
    {
        return error(
            StatusCode::UNAUTHORIZED,
            "UNAUTHENTICATED",
            "invalid app credentials or refresh token",
        );
    }
    let token = sim.issue(Duration::from_secs(300));
    axum::Json(json!({ "access_token": token, "refresh_token": REFRESH_TOKEN })).into_response()
}

/// Starts the simulator and returns a handle on its state (for tests).
pub async fn start(options: SimOptions, addr: SocketAddr) -> std::io::Result<(SimServer, WixSim)> {
    let sim = WixSim {
        store: Arc::new(Mutex::new(SimStore::generate(options.seed, options.size))),
        tokens: Arc::default(),
        issued: Arc::default(),
        faults: Faults::new(options.faults.clone(), options.seed),
        limiter: Arc::new(FixedWindow::new(RATE_PER_MINUTE, Duration::from_secs(60))),
        signing_key: keys::APP_PRIVATE_KEY,
    };
    let api = Router::new()
        .route("/ecom/v1/orders/search", post(search_orders))
        .route("/ecom/v1/orders/{id}", get(get_order))
        .route("/ecom/v1/orders/{id}/cancel", post(cancel_order))
        .route(
            "/ecom/v1/fulfillments/orders/list-by-ids",
            post(fulfillments_by_ids),
        )
        .route("/ecom/v1/fulfillments/orders/{id}", get(order_fulfillments))
        .route(
            "/ecom/v1/fulfillments/orders/{id}/create-fulfillment",
            post(create_fulfillment),
        )
        .route("/stores/v1/products/query", post(query_products))
        .route(
            "/stores/v1/products/{id}",
            get(get_product).patch(update_product),
        )
        .route("/stores/v1/products/{id}/variants", patch(update_variants))
        .route(
            "/stores/v2/inventoryItems/product/{id}",
            patch(update_inventory),
        )
        .route("/stores/v2/inventoryItems/increment", post(increment))
        .route("/stores/v2/inventoryItems/decrement", post(decrement))
        .route("/stores/v1/collections/query", post(query_collections))
        .route("/stores/v1/collections/{id}", get(get_collection))
        .route("/contacts/v4/contacts/query", post(query_contacts))
        .route("/contacts/v4/contacts/{id}", get(get_contact));
    // The plan `no-order-transactions`: a site (or an app's permissions) without the
    // Order Transactions API, whose paths then answer 404.
    let api = if options.plan.as_deref() == Some(NO_ORDER_TRANSACTIONS) {
        api
    } else {
        api.route(
            "/ecom/v1/payments/orders/query-by-ids",
            post(transactions_by_ids),
        )
        .route("/ecom/v1/payments/orders/{id}", get(transactions))
    };
    let api = sim
        .faults
        .layer(api)
        .layer(axum::middleware::from_fn_with_state(sim.clone(), gate));
    let router = Router::new()
        .route("/oauth2/token", post(oauth2_token))
        .route("/oauth/access", post(oauth_access))
        .merge(api)
        .with_state(sim.clone());
    let (bound, server) = SimServer::start(router, addr).await?;
    let mut credentials = BTreeMap::new();
    credentials.insert("app_id".to_owned(), APP_ID.to_owned());
    credentials.insert("app_secret".to_owned(), APP_SECRET.to_owned());
    credentials.insert("instance_id".to_owned(), INSTANCE_ID.to_owned());
    credentials.insert("webhook_public_key".to_owned(), APP_PUBLIC_KEY.to_owned());
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
