//! A TikTok Shop simulator, from the Partner API docs (202309) and the real payloads
//! under `fixtures/tiktokshop/`, never from the adapter's types:
//!
//! - every API request is checked as TikTok checks it: `app_key`, a `timestamp` within
//!   [now − 5 min, now + 30 s], the `sign` (HMAC-SHA256 of secret + path + sorted
//!   parameters + body + secret, computed here on its own), the `x-tts-access-token`
//!   header and, for shop APIs, `shop_cipher`; each failure answers HTTP 401 with
//!   TikTok's code (36009004, 106001, 105001, 105002) in its envelope;
//! - `GET /api/v2/token/refresh` rotates the pair: the old refresh token is spent (a
//!   second use is refused) and the old access token expires;
//! - searches page by an opaque `page_token` (a keyset on the sort field and id, so a
//!   record changed mid-pass moves behind the reader and is read again, never
//!   skipped), `page_size` 1–100, orders sorted by `sort_field`/`sort_order`,
//!   products by `update_time`;
//! - 50 requests per second per API (per path) for the one shop, then HTTP 429 with
//!   code 36009002;
//! - ids are 18 digits (beyond 2^53, as TikTok's are), amounts decimal strings, times
//!   Unix seconds, order lines one per unit;
//! - the kit's fault injection, and webhooks signed in `Authorization`.

mod render;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use polycart_kit::adapter::WebhookKind;
use polycart_kit::auth::hmac::{hex, hmac_sha256};
use polycart_kit::model::Entity;
use polycart_kit::sim::{
    Delivery, Faults, FixedWindow, Signing, SimError, SimHandle, SimInfo, SimOptions, SimProduct,
    SimServer, SimStore,
};
use serde_json::{Value, json};

pub use render::ID_BASE;

/// The app and shop the simulator serves.
const APP_KEY: &str = "6abcdsim";
const SHOP_ID: &str = "7494049642642441621";
/// Requests per second per API.
const QPS: u64 = 50;

/// The token pair and what has been spent.
#[derive(Debug)]
struct Tokens {
    generation: u32,
    access: String,
    refresh: String,
    /// Access tokens a refresh replaced (answer "expired").
    expired: HashSet<String>,
    /// Refresh tokens already used (answer "invalid").
    spent: HashSet<String>,
    refreshes: u32,
}

/// A running simulator's state, for tests.
#[derive(Clone)]
pub struct TikTokShopSim {
    store: Arc<Mutex<SimStore>>,
    tokens: Arc<Mutex<Tokens>>,
    limits: Arc<Mutex<HashMap<String, Arc<FixedWindow>>>>,
    faults: Arc<Faults>,
    seed: u64,
    app_secret: String,
    cipher: String,
    /// Other shops the token authorises (cipher, name), listed after the simulated one.
    other_shops: Arc<Mutex<Vec<(String, String)>>>,
}

impl TikTokShopSim {
    /// The generated store, to read or change.
    pub fn store(&self) -> std::sync::MutexGuard<'_, SimStore> {
        self.store.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn tokens(&self) -> std::sync::MutexGuard<'_, Tokens> {
        self.tokens.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The access and refresh tokens valid now.
    pub fn current_tokens(&self) -> (String, String) {
        let t = self.tokens();
        (t.access.clone(), t.refresh.clone())
    }

    /// How many refreshes succeeded.
    pub fn refreshes(&self) -> u32 {
        self.tokens().refreshes
    }

    /// Expires the access token now, as seven days passing would.
    pub fn expire_access_token(&self) {
        let mut t = self.tokens();
        let access = t.access.clone();
        t.expired.insert(access);
    }

    /// Makes the token authorise another shop too (its APIs are not served).
    pub fn authorise_another_shop(&self, cipher: &str, name: &str) {
        self.other_shops
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push((cipher.to_owned(), name.to_owned()));
    }

    /// The shop's cipher.
    pub fn cipher(&self) -> &str {
        &self.cipher
    }

    /// The app key and secret the simulator signs with.
    pub fn app(&self) -> (&'static str, &str) {
        (APP_KEY, &self.app_secret)
    }
}

/// TikTok's envelope.
fn envelope(status: StatusCode, code: i64, message: &str, data: Value) -> Response {
    let body = json!({
        "code": code,
        "message": message,
        "request_id": "20260101000000SIMULATED0000000000",
        "data": data,
    });
    (status, axum::Json(body)).into_response()
}

fn ok(data: Value) -> Response {
    envelope(StatusCode::OK, 0, "Success", data)
}

fn refused(code: i64, message: &str) -> Response {
    envelope(StatusCode::UNAUTHORIZED, code, message, Value::Null)
}

/// A bad parameter (code not confirmed in TikTok's docs: the simulator's choice).
fn bad(message: &str) -> Response {
    envelope(StatusCode::BAD_REQUEST, 36_009_001, message, Value::Null)
}

/// The documented string to sign, computed here on its own.
fn expected_sign(secret: &str, path: &str, query: &[(String, String)], body: &[u8]) -> String {
    let mut params: Vec<&(String, String)> = query
        .iter()
        .filter(|(k, _)| k != "sign" && k != "access_token")
        .collect();
    params.sort_by(|a, b| a.0.cmp(&b.0));
    let mut s = String::from(secret);
    s.push_str(path);
    for (k, v) in params {
        s.push_str(k);
        s.push_str(v);
    }
    let mut msg = s.into_bytes();
    msg.extend_from_slice(body);
    msg.extend_from_slice(secret.as_bytes());
    hex(&hmac_sha256(secret.as_bytes(), &msg))
}

fn query_pairs(request: &Request) -> Vec<(String, String)> {
    request
        .uri()
        .query()
        .map(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect()
        })
        .unwrap_or_default()
}

fn param<'a>(q: &'a [(String, String)], name: &str) -> Option<&'a str> {
    q.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

/// Checks the signature, the timestamp, the token and the shop, then the API's rate.
async fn gate(State(sim): State<TikTokShopSim>, request: Request, next: Next) -> Response {
    let query = query_pairs(&request);
    let path = request.uri().path().to_owned();
    let token = request
        .headers()
        .get("x-tts-access-token")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let multipart = request
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    let (parts, body) = request.into_parts();
    let Ok(body) = axum::body::to_bytes(body, 1 << 20).await else {
        return bad("the body is too large");
    };
    if param(&query, "app_key") != Some(APP_KEY) {
        return refused(
            36_009_004,
            "Invalid credentials. Invalid `app_key` query parameter.",
        );
    }
    let Some(sign) = param(&query, "sign") else {
        return refused(
            36_009_004,
            "Missing credentials. The request does not include a required signature in the query.",
        );
    };
    let now = Utc::now().timestamp();
    match param(&query, "timestamp").and_then(|t| t.parse::<i64>().ok()) {
        Some(t) if t < now - 300 => {
            return refused(
                36_009_004,
                "Invalid timestamp. The value of the `timestamp` query parameter must not be earlier than 5 minutes before the current time.",
            );
        }
        Some(t) if t <= now + 30 => {}
        _ => {
            return refused(
                36_009_004,
                "Invalid timestamp. The value of the `timestamp` query parameter is invalid.",
            );
        }
    }
    let signed_body: &[u8] = if multipart { &[] } else { &body };
    if expected_sign(&sim.app_secret, &path, &query, signed_body) != sign {
        return refused(
            106_001,
            "Invalid credentials. The 'sign' query parameter is invalid.",
        );
    }
    {
        let t = sim.tokens();
        match token.as_deref() {
            Some(given) if given == t.access && !t.expired.contains(given) => {}
            Some(given) if t.expired.contains(given) => {
                return refused(
                    105_002,
                    "Expired credentials. The access token has expired.",
                );
            }
            _ => {
                return refused(
                    105_001,
                    "Invalid credentials. The `x-tts-access-token` header is invalid.",
                );
            }
        }
    }
    let shop_scoped = !path.starts_with("/authorization/");
    if shop_scoped && param(&query, "shop_cipher") != Some(sim.cipher.as_str()) {
        return envelope(
            StatusCode::BAD_REQUEST,
            36_009_004,
            "Invalid identifier. The `shop_cipher` query parameter is invalid.",
            Value::Null,
        );
    }
    let limiter = sim
        .limits
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .entry(path)
        .or_insert_with(|| Arc::new(FixedWindow::new(QPS, Duration::from_secs(1))))
        .clone();
    if let Err(w) = limiter.take(Instant::now()) {
        let mut response = envelope(
            StatusCode::TOO_MANY_REQUESTS,
            36_009_002,
            "Too many requests. Please retry later.",
            Value::Null,
        );
        let secs = w.reset_in.as_secs().max(1).to_string();
        if let Ok(v) = HeaderValue::from_str(&secs) {
            response.headers_mut().insert("retry-after", v);
        }
        return response;
    }
    next.run(Request::from_parts(parts, axum::body::Body::from(body)))
        .await
}

async fn shops(State(sim): State<TikTokShopSim>) -> Response {
    let mut shops = vec![json!({
        "id": SHOP_ID,
        "name": "Simulated shop",
        "region": "US",
        "seller_type": "LOCAL",
        "cipher": sim.cipher,
        "code": "USLCSIM01",
    })];
    let others = sim
        .other_shops
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    for (i, (cipher, name)) in others.into_iter().enumerate() {
        shops.push(json!({
            "id": format!("749404964264244{:04}", i + 1),
            "name": name,
            "region": "GB",
            "seller_type": "CROSS_BORDER",
            "cipher": cipher,
            "code": format!("GBLCSIM{:02}", i + 2),
        }));
    }
    ok(json!({ "shops": shops }))
}

/// `GET /api/v2/token/refresh` (unsigned; the app secret is a parameter).
async fn refresh(
    State(sim): State<TikTokShopSim>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let get = |k: &str| q.get(k).map(String::as_str);
    if get("app_key") != Some(APP_KEY) || get("app_secret") != Some(sim.app_secret.as_str()) {
        return envelope(
            StatusCode::OK,
            36_004_004,
            "invalid app_key or app_secret",
            Value::Null,
        );
    }
    if get("grant_type") != Some("refresh_token") {
        return envelope(
            StatusCode::OK,
            36_004_004,
            "invalid grant_type",
            Value::Null,
        );
    }
    let mut t = sim.tokens();
    let given = get("refresh_token").unwrap_or_default();
    if given != t.refresh || t.spent.contains(given) {
        return envelope(
            StatusCode::OK,
            36_004_004,
            "invalid refresh_token",
            Value::Null,
        );
    }
    let old_access = t.access.clone();
    let old_refresh = t.refresh.clone();
    t.expired.insert(old_access);
    t.spent.insert(old_refresh);
    t.generation += 1;
    t.refreshes += 1;
    t.access = format!("TTP_sim{}at{}", sim.seed, t.generation);
    t.refresh = format!("TTP_sim{}rt{}", sim.seed, t.generation);
    let now = Utc::now().timestamp();
    ok(json!({
        "access_token": t.access,
        "access_token_expire_in": now + 7 * 86_400,
        "refresh_token": t.refresh,
        "refresh_token_expire_in": now + 365 * 86_400,
        "open_id": "simopenid",
        "seller_name": "Simulated shop",
        "seller_base_region": "US",
        "user_type": 0,
        "granted_scopes": ["seller.order.info", "seller.product.basic"],
    }))
}

/// A search's page size, token and time filters.
struct Search {
    size: usize,
    after: Option<(i64, u64)>,
    filters: serde_json::Map<String, Value>,
}

#[allow(clippy::result_large_err)] // an early answer, as axum handlers give
fn search_params(q: &[(String, String)], body: &Bytes) -> Result<Search, Response> {
    let size = match param(q, "page_size").map(str::parse::<usize>) {
        Some(Ok(n)) if (1..=100).contains(&n) => n,
        _ => return Err(bad("page_size is required and must be between 1 and 100")),
    };
    let after = match param(q, "page_token").filter(|t| !t.is_empty()) {
        None => None,
        Some(t) => Some(render::read_token(t).ok_or_else(|| bad("invalid page_token"))?),
    };
    let filters = if body.is_empty() {
        serde_json::Map::new()
    } else {
        match serde_json::from_slice::<Value>(body) {
            Ok(Value::Object(m)) => m,
            _ => return Err(bad("the body is not a JSON object")),
        }
    };
    for (k, v) in &filters {
        if (k.ends_with("_ge") || k.ends_with("_lt") || k.ends_with("_le")) && !v.is_i64() {
            return Err(bad(&format!("{k} must be a unix timestamp in seconds")));
        }
    }
    Ok(Search {
        size,
        after,
        filters,
    })
}

fn within(f: &serde_json::Map<String, Value>, field: &str, t: i64) -> bool {
    let bound = |suffix: &str| f.get(&format!("{field}_{suffix}")).and_then(Value::as_i64);
    bound("ge").is_none_or(|b| t >= b)
        && bound("lt").is_none_or(|b| t < b)
        && bound("le").is_none_or(|b| t <= b)
}

/// One page of `rows` keyed by (sort value, id), already filtered.
fn page(key: &str, mut rows: Vec<((i64, u64), Value)>, s: &Search, descending: bool) -> Response {
    let total = rows.len();
    rows.sort_by_key(|(k, _)| *k);
    if descending {
        rows.reverse();
    }
    let rows: Vec<((i64, u64), Value)> = rows
        .into_iter()
        .filter(|(k, _)| match s.after {
            None => true,
            Some(a) if descending => *k < a,
            Some(a) => *k > a,
        })
        .collect();
    let more = rows.len() > s.size;
    let rows: Vec<((i64, u64), Value)> = rows.into_iter().take(s.size).collect();
    let next = match (more, rows.last()) {
        (true, Some((k, _))) => render::token(*k),
        _ => String::new(),
    };
    let mut data = json!({ "next_page_token": next, "total_count": total });
    // An empty list is left out of the answer, as protobuf-style JSON does (not
    // confirmed for every API; the adapter reads both).
    if !rows.is_empty() {
        data[key] = Value::Array(rows.into_iter().map(|(_, v)| v).collect());
    }
    ok(data)
}

async fn search_orders(State(sim): State<TikTokShopSim>, request: Request) -> Response {
    let q = query_pairs(&request);
    let Ok(body) = axum::body::to_bytes(request.into_body(), 1 << 20).await else {
        return bad("the body is too large");
    };
    let s = match search_params(&q, &body) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let by_create = match param(&q, "sort_field") {
        None | Some("create_time") => true,
        Some("update_time") => false,
        Some(_) => return bad("sort_field must be create_time or update_time"),
    };
    let descending = match param(&q, "sort_order") {
        None | Some("DESC") => true,
        Some("ASC") => false,
        Some(_) => return bad("sort_order must be ASC or DESC"),
    };
    let store = sim.store();
    let rows = store
        .orders
        .iter()
        .filter(|o| !o.deleted)
        .filter(|o| within(&s.filters, "update_time", o.updated_at.timestamp()))
        .filter(|o| within(&s.filters, "create_time", o.created_at.timestamp()))
        .map(|o| {
            let t = if by_create {
                o.created_at
            } else {
                o.updated_at
            };
            ((t.timestamp(), o.id), render::order(o))
        })
        .collect();
    page("orders", rows, &s, descending)
}

async fn search_products(State(sim): State<TikTokShopSim>, request: Request) -> Response {
    let q = query_pairs(&request);
    let Ok(body) = axum::body::to_bytes(request.into_body(), 1 << 20).await else {
        return bad("the body is too large");
    };
    let s = match search_params(&q, &body) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let store = sim.store();
    let rows = store
        .products
        .iter()
        .filter(|p| !p.deleted)
        .filter(|p| within(&s.filters, "update_time", p.updated_at.timestamp()))
        .filter(|p| within(&s.filters, "create_time", p.created_at.timestamp()))
        .map(|p| {
            (
                (p.updated_at.timestamp(), p.id),
                render::product(p, store.currency, false),
            )
        })
        .collect();
    page("products", rows, &s, false)
}

/// Get Order Detail: `ids`, at most 50, comma separated.
async fn order_detail(
    State(sim): State<TikTokShopSim>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let Some(ids) = q.get("ids").filter(|s| !s.is_empty()) else {
        return bad("ids is required");
    };
    let ids: Vec<&str> = ids.split(',').collect();
    if ids.len() > 50 {
        return bad("at most 50 ids");
    }
    let store = sim.store();
    let orders: Vec<Value> = ids
        .iter()
        .filter_map(|id| render::sim_id(id))
        .filter_map(|n| store.orders.iter().find(|o| o.id == n && !o.deleted))
        .map(render::order)
        .collect();
    if orders.is_empty() {
        return ok(json!({}));
    }
    ok(json!({ "orders": orders }))
}

async fn product_detail(State(sim): State<TikTokShopSim>, Path(id): Path<String>) -> Response {
    let store = sim.store();
    match render::sim_id(&id).and_then(|n| store.products.iter().find(|p| p.id == n && !p.deleted))
    {
        Some(p) => ok(render::product(p, store.currency, true)),
        None => refuse(12_052_032, "The product does not exist"),
    }
}

/// A business refusal: HTTP 200 with TikTok's code.
fn refuse(code: i64, message: &str) -> Response {
    envelope(StatusCode::OK, code, message, Value::Null)
}

async fn json_body(request: Request) -> Result<Value, Response> {
    let bytes = axum::body::to_bytes(request.into_body(), 1 << 20)
        .await
        .map_err(|_| bad("the body is too large"))?;
    serde_json::from_slice(&bytes).map_err(|_| {
        refuse(
            12_052_910,
            "Invalid input parameters. Refer to the API documentation for details.",
        )
    })
}

/// The one SKU entry of an update body, and its SKU in `p`.
#[allow(clippy::result_large_err)] // an early answer, as axum handlers give
fn sku_entry<'a>(body: &'a Value, p: &SimProduct) -> Result<(&'a Value, u64), Response> {
    let Some([entry]) = body
        .get("skus")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
    else {
        return Err(refuse(
            12_052_902,
            "The SKU list is empty. Either omit the list entirely, or provide all required details.",
        ));
    };
    let sku = entry
        .get("id")
        .and_then(Value::as_str)
        .and_then(render::sim_id);
    match sku.filter(|n| p.variants.iter().any(|v| v.id == *n)) {
        Some(n) => Ok((entry, n)),
        None => Err(refuse(
            12_052_557,
            "The SKU ID does not belong to the product.",
        )),
    }
}

/// `POST /product/202309/products/{id}/prices/update`.
async fn update_price(
    State(sim): State<TikTokShopSim>,
    Path(id): Path<String>,
    request: Request,
) -> Response {
    let body = match json_body(request).await {
        Ok(b) => b,
        Err(r) => return r,
    };
    let mut store = sim.store();
    let currency = store.currency;
    let Some(p) = render::sim_id(&id)
        .and_then(|n| store.product_mut(n))
        .filter(|p| !p.deleted)
    else {
        return refuse(12_052_032, "The product does not exist");
    };
    let (entry, sku) = match sku_entry(&body, p) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let price = &entry["price"];
    if price.get("currency").and_then(Value::as_str) != Some(currency) {
        return refuse(
            12_052_084,
            "The provided currency is not available for this shop/region.",
        );
    }
    let amount = price
        .get("amount")
        .and_then(Value::as_str)
        .and_then(|a| a.parse::<rust_decimal::Decimal>().ok())
        .filter(|a| *a > rust_decimal::Decimal::ZERO);
    let Some(amount) = amount else {
        return refuse(12_052_012, "Incorrect price format");
    };
    let now = Utc::now();
    if let Some(v) = p.variants.iter_mut().find(|v| v.id == sku) {
        v.price = amount;
        v.updated_at = now;
    }
    p.updated_at = now;
    ok(json!({}))
}

/// `POST /product/202309/products/{id}/inventory/update`: every warehouse of the SKU
/// must be named; an unknown warehouse is refused inside a `code: 0` answer, as the
/// documented example shows.
async fn update_inventory(
    State(sim): State<TikTokShopSim>,
    Path(id): Path<String>,
    request: Request,
) -> Response {
    let body = match json_body(request).await {
        Ok(b) => b,
        Err(r) => return r,
    };
    let mut store = sim.store();
    let Some(p) = render::sim_id(&id)
        .and_then(|n| store.product_mut(n))
        .filter(|p| !p.deleted)
    else {
        return refuse(12_052_032, "The product does not exist");
    };
    let (entry, sku) = match sku_entry(&body, p) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let Some(levels) = entry.get("inventory").and_then(Value::as_array) else {
        return refuse(
            12_052_910,
            "Invalid input parameters. Refer to the API documentation for details.",
        );
    };
    let variant = p
        .variants
        .iter_mut()
        .find(|v| v.id == sku)
        .expect("checked above");
    let mut next = Vec::new();
    for level in levels {
        let warehouse = level
            .get("warehouse_id")
            .and_then(Value::as_str)
            .and_then(render::sim_id);
        let quantity = level
            .get("quantity")
            .and_then(Value::as_i64)
            .filter(|q| (0..=99_999).contains(q));
        let Some(quantity) = quantity else {
            return refuse(12_019_024, "stock count is invalid");
        };
        match warehouse.filter(|w| variant.stock.iter().any(|(x, _)| x == w)) {
            Some(w) => next.push((w, quantity)),
            None => {
                return ok(json!({ "errors": [{
                    "code": 12_052_990,
                    "message": "Check failed",
                    "detail": { "sku_id": render::id(sku), "extra_errors": [{
                        "warehouse_id": level.get("warehouse_id").cloned().unwrap_or(Value::Null),
                        "code": 12_052_097,
                        "message": "The warehouse does not exist",
                    }]},
                }]}));
            }
        }
    }
    if variant
        .stock
        .iter()
        .any(|(w, _)| !next.iter().any(|(x, _)| x == w))
    {
        return refuse(
            12_019_028,
            "Multiple warehouses detected. Include all warehouse IDs and the corresponding details and try again.",
        );
    }
    let now = Utc::now();
    variant.stock = next;
    variant.updated_at = now;
    p.updated_at = now;
    ok(json!({}))
}

async fn shipping_providers(Path(option): Path<String>) -> Response {
    if option != render::DELIVERY_OPTION {
        return refuse(
            21_001_001,
            "Invalid parameters. Please ensure you are passing the correct request parameter(s).",
        );
    }
    ok(
        json!({ "shipping_providers": render::PROVIDERS.iter().map(|(id, name)| json!({ "id": id, "name": name })).collect::<Vec<_>>() }),
    )
}

/// `POST /fulfillment/202309/orders/{id}/packages` (Mark Package As Shipped).
async fn mark_shipped(
    State(sim): State<TikTokShopSim>,
    Path(id): Path<String>,
    request: Request,
) -> Response {
    let body = match json_body(request).await {
        Ok(b) => b,
        Err(r) => return r,
    };
    let mut store = sim.store();
    let next_id = store.next_id + 1;
    let Some(o) = render::sim_id(&id)
        .and_then(|n| store.order_mut(n))
        .filter(|o| !o.deleted)
    else {
        return refuse(
            21_001_001,
            "Invalid parameters. Please ensure you are passing the correct request parameter(s).",
        );
    };
    if render::order_status(o) != "AWAITING_SHIPMENT"
        && render::order_status(o) != "PARTIALLY_SHIPPING"
    {
        return refuse(21_011_006, "These orders are already shipped.");
    }
    let tracking = body
        .get("tracking_number")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let provider = body
        .get("shipping_provider_id")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let Some((_, carrier)) = render::PROVIDERS.iter().find(|(p, _)| *p == provider) else {
        return refuse(
            21_011_022,
            "Invalid tracking number or provider ID. Please double check and try again.",
        );
    };
    if tracking.is_empty() {
        return refuse(
            21_011_022,
            "Invalid tracking number or provider ID. Please double check and try again.",
        );
    }
    // Units asked for (all unshipped ones when none are named), as (line, count).
    let payload = render::order(o);
    let units: Vec<(String, String)> = payload["line_items"]
        .as_array()
        .map(|ls| {
            ls.iter()
                .filter(|u| u["tracking_number"] == "")
                .filter_map(|u| {
                    Some((
                        u["id"].as_str()?.to_owned(),
                        u["package_id"].as_str()?.to_owned(),
                    ))
                })
                .collect()
        })
        .unwrap_or_default();
    let asked: Vec<String> = match body.get("order_line_item_ids").and_then(Value::as_array) {
        Some(ids) => ids
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        None => units.iter().map(|(u, _)| u.clone()).collect(),
    };
    if asked.is_empty() || asked.iter().any(|a| !units.iter().any(|(u, _)| u == a)) {
        return refuse(21_011_006, "These orders are already shipped.");
    }
    let mut lines: Vec<(u64, u32)> = Vec::new();
    for unit in &asked {
        let line = render::sim_id(unit).map_or(0, |n| n / 1000);
        match lines.iter_mut().find(|(l, _)| *l == line) {
            Some((_, q)) => *q += 1,
            None => lines.push((line, 1)),
        }
    }
    let now = Utc::now();
    o.shipments.push(polycart_kit::sim::SimShipment {
        id: next_id,
        carrier: (*carrier).to_owned(),
        tracking_number: tracking.to_owned(),
        tracking_url: String::new(),
        status: "FULFILLING".to_owned(),
        lines,
        created_at: now,
    });
    o.updated_at = now;
    store.next_id = next_id;
    ok(json!({
        "order_id": id,
        "order_line_item_ids": asked,
        "package_id": render::id(next_id),
    }))
}

fn sim_number(entity: Entity, id: &str) -> Result<u64, SimError> {
    render::sim_id(id).ok_or_else(|| SimError::not_found(entity, id))
}

impl SimHandle for TikTokShopSim {
    fn truth(&self, entity: Entity) -> Result<Vec<String>, SimError> {
        let s = self.store();
        match entity {
            Entity::Order => Ok(s
                .orders
                .iter()
                .filter(|o| !o.deleted)
                .map(|o| render::id(o.id))
                .collect()),
            Entity::Product => Ok(s
                .products
                .iter()
                .filter(|p| !p.deleted)
                .map(|p| render::id(p.id))
                .collect()),
            other => Err(SimError::unsupported(format!("{other}s are not simulated"))),
        }
    }

    fn touch(&self, entity: Entity, id: &str, at: DateTime<Utc>) -> Result<(), SimError> {
        let n = sim_number(entity, id)?;
        let mut s = self.store();
        match entity {
            Entity::Order => {
                s.touch_order(n, at)
                    .ok_or_else(|| SimError::not_found(entity, id))?;
            }
            Entity::Product => {
                s.touch_product(n, at)
                    .ok_or_else(|| SimError::not_found(entity, id))?;
            }
            other => return Err(SimError::unsupported(format!("{other}s are not simulated"))),
        }
        Ok(())
    }

    fn delete(&self, entity: Entity, id: &str) -> Result<(), SimError> {
        let n = sim_number(entity, id)?;
        let mut s = self.store();
        match entity {
            Entity::Order => {
                s.order_mut(n)
                    .ok_or_else(|| SimError::not_found(entity, id))?
                    .deleted = true
            }
            Entity::Product => {
                s.product_mut(n)
                    .ok_or_else(|| SimError::not_found(entity, id))?
                    .deleted = true
            }
            other => return Err(SimError::unsupported(format!("{other}s are not simulated"))),
        }
        Ok(())
    }

    fn faults(&self) -> &Arc<Faults> {
        &self.faults
    }

    fn webhook(
        &self,
        entity: Entity,
        id: &str,
        kind: WebhookKind,
        signing: Signing,
    ) -> Result<Delivery, SimError> {
        if kind == WebhookKind::Deleted {
            // Orders are cancelled, never deleted; a product's deletion would come as a
            // type 5 status change, whose deletion status value is not confirmed.
            return Err(SimError::unsupported(
                "TikTok Shop has no deletion webhook the docs confirm",
            ));
        }
        let n = sim_number(entity, id)?;
        let s = self.store();
        let (kind_code, data) = match (entity, kind) {
            (Entity::Order, _) => {
                let o = s
                    .orders
                    .iter()
                    .find(|o| o.id == n)
                    .ok_or_else(|| SimError::not_found(entity, id))?;
                (
                    1,
                    json!({
                        "order_id": id,
                        "order_status": render::order_status(o),
                        "is_on_hold_order": false,
                        "update_time": o.updated_at.timestamp(),
                    }),
                )
            }
            (Entity::Product, WebhookKind::Created) => (
                16,
                json!({
                    "product_id": id,
                    "update_time": Utc::now().timestamp(),
                }),
            ),
            (Entity::Product, _) => (
                15,
                json!({
                    "product_id": id,
                    "change_source": "SELLER_CENTER",
                    "changed_fields": ["title"],
                    "update_time": Utc::now().timestamp(),
                }),
            ),
            (other, _) => return Err(SimError::unsupported(format!("no webhooks for {other}s"))),
        };
        let body = serde_json::to_vec(&json!({
            "type": kind_code,
            "tts_notification_id": format!("73271123930573{:05}", n % 100_000),
            "shop_id": SHOP_ID,
            "timestamp": Utc::now().timestamp(),
            "data": data,
        }))
        .expect("a JSON value serialises");
        let secret = match signing {
            Signing::Correct => self.app_secret.clone(),
            Signing::WrongSecret => format!("{}-forged", self.app_secret),
        };
        let mut msg = APP_KEY.as_bytes().to_vec();
        msg.extend_from_slice(&body);
        let mut headers = HeaderMap::new();
        headers.insert(
            "authorization",
            HeaderValue::from_str(&hex(&hmac_sha256(secret.as_bytes(), &msg)))
                .expect("hex is a header value"),
        );
        headers.insert("content-type", HeaderValue::from_static("application/json"));
        Ok(Delivery {
            topic: kind_code.to_string(),
            headers,
            body,
        })
    }

    fn payload(&self, entity: Entity, id: &str) -> Result<Value, SimError> {
        let n = sim_number(entity, id)?;
        let s = self.store();
        let found = match entity {
            Entity::Order => s
                .orders
                .iter()
                .find(|o| o.id == n && !o.deleted)
                .map(render::order),
            Entity::Product => s
                .products
                .iter()
                .find(|p| p.id == n && !p.deleted)
                .map(|p| render::product(p, s.currency, true)),
            other => return Err(SimError::unsupported(format!("{other}s are not simulated"))),
        };
        found.ok_or_else(|| SimError::not_found(entity, id))
    }
}

/// Starts the simulator and returns a handle on its state (for tests).
pub async fn start(
    options: SimOptions,
    addr: SocketAddr,
) -> std::io::Result<(SimServer, TikTokShopSim)> {
    let seed = options.seed;
    let sim = TikTokShopSim {
        store: Arc::new(Mutex::new(SimStore::generate(seed, options.size))),
        tokens: Arc::new(Mutex::new(Tokens {
            generation: 0,
            access: format!("TTP_sim{seed}at0"),
            refresh: format!("TTP_sim{seed}rt0"),
            expired: HashSet::new(),
            spent: HashSet::new(),
            refreshes: 0,
        })),
        limits: Arc::new(Mutex::new(HashMap::new())),
        faults: Faults::new(options.faults.clone(), seed),
        seed,
        app_secret: format!("simsecret{seed}"),
        cipher: format!("ROW_simcipher{seed}"),
        other_shops: Arc::new(Mutex::new(Vec::new())),
    };
    let api = Router::new()
        .route("/authorization/202309/shops", get(shops))
        .route("/order/202309/orders/search", post(search_orders))
        .route("/order/202309/orders", get(order_detail))
        .route("/product/202309/products/search", post(search_products))
        .route("/product/202309/products/{product_id}", get(product_detail))
        .route(
            "/product/202309/products/{product_id}/prices/update",
            post(update_price),
        )
        .route(
            "/product/202309/products/{product_id}/inventory/update",
            post(update_inventory),
        )
        .route(
            "/logistics/202309/delivery_options/{delivery_option_id}/shipping_providers",
            get(shipping_providers),
        )
        .route(
            "/fulfillment/202309/orders/{order_id}/packages",
            post(mark_shipped),
        )
        .layer(axum::middleware::from_fn_with_state(sim.clone(), gate));
    let router = Router::new()
        .route("/api/v2/token/refresh", get(refresh))
        .merge(api);
    let router = sim.faults.layer(router).with_state(sim.clone());
    let (bound, server) = SimServer::start(router, addr).await?;
    let (access, refresh_token) = sim.current_tokens();
    let mut credentials = BTreeMap::new();
    credentials.insert("app_key".to_owned(), APP_KEY.to_owned());
    credentials.insert("app_secret".to_owned(), sim.app_secret.clone());
    credentials.insert("access_token".to_owned(), access);
    credentials.insert("refresh_token".to_owned(), refresh_token);
    let info = SimInfo {
        platform: crate::PLATFORM.to_owned(),
        base_url: format!("http://{bound}"),
        credentials,
    };
    let limits = sim.limits.clone();
    Ok((
        server
            .with_info(info)
            .with_handle(Arc::new(sim.clone()))
            .with_meter("orders_search", move |now| {
                limits
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .get("/order/202309/orders/search")
                    .map(|l| l.usage(now))
                    .unwrap_or_default()
            }),
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
