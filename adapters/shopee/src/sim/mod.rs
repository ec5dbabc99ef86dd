//! A Shopee Open Platform v2 simulator, from Shopee's documentation and response
//! samples (never from the adapter's types):
//!
//! - every call checks the common parameters as Shopee does: `partner_id`,
//!   `timestamp` within 5 minutes (`error_param` "Invalid timestamp"), `sign` (the
//!   Public-API or Shop-API HMAC; a wrong one answers `error_sign` "Wrong sign."),
//!   `shop_id` (`error_auth` "Invalid partner_id or shopid."), the access token
//!   (`error_auth` "Invalid access_token." when unknown or past its 4 hours);
//! - `POST /api/v2/auth/access_token/get` exchanges the current refresh token for a
//!   new pair (4-hour access token, `expire_in` 14400); a refresh token is single-use:
//!   a used one is refused with `error_auth`;
//! - `get_order_list` filters by `create_time`/`update_time` in a range of at most 15
//!   days (`order.order_list_invalid_time` beyond) and pages with `cursor` /
//!   `next_cursor` / `more` (`page_size` 1–100); `get_order_detail` takes 1–50 order
//!   numbers and returns optional fields only when `response_optional_fields` asks;
//! - `get_item_list` pages by `offset` (`item_status` required), `get_item_base_info`
//!   takes 1–50 ids, `get_model_list` one item; `update_stock`, `update_price` and
//!   `logistics/ship_order` change the shop;
//! - errors are Shopee's envelope `{"request_id","error","message"}` on an HTTP 200
//!   (Shopee's status codes for errors are not documented);
//! - a rate-limit mode ([`ShopeeSim::throttle_next`]) answers `error_too_many_request`,
//!   and the kit's fault injection (5xx, 429, HTML, truncated bodies, 401) wraps it all;
//! - pushes are signed `Authorization: hex(HMAC-SHA256(partner_key, url|body))`.

mod handle;
pub mod render;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::{DateTime, Duration, Utc};
use futures::future::BoxFuture;
use polycart_kit::auth::hmac::{hex, hmac_sha256};
use polycart_kit::sim::{
    Faults, SimFulfillment, SimInfo, SimOptions, SimOrderState, SimServer, SimShipment, SimStore,
};
use rust_decimal::Decimal;
use serde_json::{Value, json};

use render::Region;

/// The simulated partner (app) id.
pub const PARTNER_ID: u64 = 2001887;
/// The simulated shop id.
pub const SHOP_ID: u64 = 14701711;
/// Where the simulated shop's pushes are configured to go (what they are signed for).
pub const PUSH_URL: &str = "https://polycart.example/v1/hooks/shopee/sim";
/// An access token's life.
pub const ACCESS_SECONDS: i64 = 4 * 3600;

/// The shop's tokens as Shopee keeps them.
#[derive(Debug, Default)]
struct Tokens {
    /// Access tokens and when they lapse.
    access: HashMap<String, DateTime<Utc>>,
    /// The one valid refresh token.
    refresh: String,
    /// Refresh tokens already exchanged.
    used: HashSet<String>,
    issued: u64,
}

/// A running simulator's state, for tests.
#[derive(Clone)]
pub struct ShopeeSim {
    store: Arc<Mutex<SimStore>>,
    tokens: Arc<Mutex<Tokens>>,
    faults: Arc<Faults>,
    throttled: Arc<AtomicU32>,
    refused_tokens: Arc<AtomicU32>,
    partner_key: String,
    region: Region,
    seed: u64,
}

impl ShopeeSim {
    /// The generated store, to read or change.
    pub fn store(&self) -> std::sync::MutexGuard<'_, SimStore> {
        self.store.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn tokens(&self) -> std::sync::MutexGuard<'_, Tokens> {
        self.tokens.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The partner key every signature uses.
    pub fn partner_key(&self) -> &str {
        &self.partner_key
    }

    /// The shop's region and currency.
    pub fn region(&self) -> Region {
        self.region
    }

    /// The next `n` calls answer Shopee's rate-limit error.
    pub fn throttle_next(&self, n: u32) {
        self.throttled.store(n, Ordering::SeqCst);
    }

    /// Makes the access token `token` lapse now (as four hours passing would).
    pub fn expire_access_token(&self, token: &str) {
        if let Some(at) = self.tokens().access.get_mut(token) {
            *at = Utc::now() - Duration::seconds(1);
        }
    }

    /// The refresh token Shopee accepts now.
    pub fn current_refresh_token(&self) -> String {
        self.tokens().refresh.clone()
    }

    /// How many calls were refused for an unknown or lapsed access token.
    pub fn refused_tokens(&self) -> u32 {
        self.refused_tokens.load(Ordering::SeqCst)
    }

    /// How many token pairs were issued by refreshing.
    pub fn refreshes(&self) -> u64 {
        self.tokens().issued
    }

    fn sign(&self, base: &str) -> String {
        hex(&hmac_sha256(self.partner_key.as_bytes(), base.as_bytes()))
    }
}

/// Shopee's error envelope (on an HTTP 200).
fn error(code: &str, message: &str) -> Response {
    axum::Json(json!({
        "request_id": request_id(),
        "error": code,
        "message": message,
    }))
    .into_response()
}

fn request_id() -> String {
    use std::sync::atomic::AtomicU64;
    static N: AtomicU64 = AtomicU64::new(1);
    format!("sim{:029x}", N.fetch_add(1, Ordering::Relaxed))
}

/// A successful answer with `response`.
fn ok(response: Value) -> Response {
    axum::Json(json!({
        "request_id": request_id(),
        "error": "",
        "message": "",
        "warning": "",
        "response": response,
    }))
    .into_response()
}

type Params = HashMap<String, String>;

/// Checks the common parameters and the signature of every call.
async fn gate(State(sim): State<ShopeeSim>, request: Request, next: Next) -> Response {
    if sim
        .throttled
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok()
    {
        return error(
            "error_too_many_request",
            "Too many requests, please try again later.",
        );
    }
    let path = request.uri().path().to_owned();
    let q: Params = request
        .uri()
        .query()
        .map(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .into_owned()
                .collect()
        })
        .unwrap_or_default();
    let Some(partner) = q.get("partner_id") else {
        return error("error_param", "There is no partner_id in query.");
    };
    if partner.parse::<u64>().ok() != Some(PARTNER_ID) {
        return error("error_param", "Invalid partner_id.");
    }
    let Some(ts) = q.get("timestamp") else {
        return error("error_param", "no timestamp");
    };
    let Ok(ts) = ts.parse::<i64>() else {
        return error("error_param", "Invalid timestamp");
    };
    if (Utc::now().timestamp() - ts).abs() > 300 {
        return error("error_param", "Invalid timestamp");
    }
    let Some(sign) = q.get("sign") else {
        return error("error_param", "There is no sign in query.");
    };
    if path == "/api/v2/auth/access_token/get" {
        if *sign != sim.sign(&format!("{PARTNER_ID}{path}{ts}")) {
            return error("error_sign", "Wrong sign.");
        }
        return next.run(request).await;
    }
    let Some(token) = q.get("access_token") else {
        return error("error_param", "There is no access_token in query.");
    };
    let Some(shop) = q.get("shop_id") else {
        return error("error_param", "There is no shop_id in query.");
    };
    if *sign != sim.sign(&format!("{PARTNER_ID}{path}{ts}{token}{shop}")) {
        return error("error_sign", "Wrong sign.");
    }
    if shop.parse::<u64>().ok() != Some(SHOP_ID) {
        return error("error_auth", "Invalid partner_id or shopid.");
    }
    let valid = sim
        .tokens()
        .access
        .get(token)
        .is_some_and(|until| *until > Utc::now());
    if !valid {
        sim.refused_tokens.fetch_add(1, Ordering::SeqCst);
        return error("error_auth", "Invalid access_token.");
    }
    next.run(request).await
}

/// `POST /api/v2/auth/access_token/get`.
async fn refresh(State(sim): State<ShopeeSim>, body: Bytes) -> Response {
    let Ok(b) = serde_json::from_slice::<Value>(&body) else {
        return error("error_param", "Wrong parameters, detail: body is not JSON.");
    };
    let given = b.get("refresh_token").and_then(Value::as_str).unwrap_or("");
    if b.get("partner_id").and_then(Value::as_u64) != Some(PARTNER_ID)
        || b.get("shop_id").and_then(Value::as_u64) != Some(SHOP_ID)
    {
        return error("error_param", "Invalid partner_id or shop_id.");
    }
    let mut t = sim.tokens();
    if given.is_empty() || given != t.refresh || t.used.contains(given) {
        return error("error_auth", "Invalid refresh_token.");
    }
    t.issued += 1;
    let access = format!("simaccess{}x{}", sim.seed, t.issued);
    let next = format!("simrefresh{}x{}", sim.seed, t.issued);
    t.used.insert(given.to_owned());
    t.refresh = next.clone();
    t.access.insert(
        access.clone(),
        Utc::now() + Duration::seconds(ACCESS_SECONDS),
    );
    axum::Json(json!({
        "request_id": request_id(),
        "error": "",
        "message": "",
        "partner_id": PARTNER_ID,
        "shop_id": SHOP_ID,
        "access_token": access,
        "refresh_token": next,
        "expire_in": ACCESS_SECONDS,
    }))
    .into_response()
}

fn int(q: &Params, name: &str) -> Result<Option<i64>, Box<Response>> {
    q.get(name)
        .map(|v| {
            v.parse::<i64>().map_err(|_| {
                Box::new(error(
                    "error_param",
                    &format!("Wrong parameters, detail: {name} is not a number."),
                ))
            })
        })
        .transpose()
}

/// `GET /api/v2/order/get_order_list`.
async fn order_list(State(sim): State<ShopeeSim>, Query(q): Query<Params>) -> Response {
    let field = q.get("time_range_field").map(String::as_str);
    if !matches!(field, Some("create_time" | "update_time")) {
        return error(
            "error_param",
            "Wrong parameters, detail: time_range_field is invalid.",
        );
    }
    let (from, to, size) = match (
        int(&q, "time_from"),
        int(&q, "time_to"),
        int(&q, "page_size"),
    ) {
        (Ok(Some(f)), Ok(Some(t)), Ok(Some(s))) => (f, t, s),
        (Err(r), ..) | (_, Err(r), _) | (.., Err(r)) => return *r,
        _ => {
            return error(
                "error_param",
                "Wrong parameters, detail: time_from, time_to and page_size are required.",
            );
        }
    };
    if to < from {
        return error(
            "error_param",
            "Wrong parameters, detail: time_to should be later than time_from.",
        );
    }
    if to - from > 15 * 86_400 {
        return error(
            "order.order_list_invalid_time",
            "The time range between time_from and time_to should not exceed 15 days.",
        );
    }
    if !(1..=100).contains(&size) {
        return error(
            "error_param",
            "Wrong parameters, detail: page_size should be between 1 and 100.",
        );
    }
    let offset = match q.get("cursor").map(String::as_str) {
        None | Some("") => 0,
        Some(c) => match c.parse::<usize>() {
            Ok(n) => n,
            Err(_) => {
                return error(
                    "error_param",
                    "Wrong parameters, detail: cursor is invalid.",
                );
            }
        },
    };
    let with_status = q
        .get("response_optional_fields")
        .is_some_and(|f| f.split(',').any(|x| x.trim() == "order_status"));
    let store = sim.store();
    let mut rows: Vec<_> = store
        .orders
        .iter()
        .filter(|o| !o.deleted)
        .filter(|o| {
            let t = if field == Some("create_time") {
                o.created_at
            } else {
                o.updated_at
            };
            (from..=to).contains(&t.timestamp())
        })
        .collect();
    rows.sort_by_key(|o| (o.created_at, o.id));
    let size = size as usize;
    let page: Vec<Value> = rows
        .iter()
        .skip(offset)
        .take(size)
        .map(|o| {
            let mut v = json!({ "order_sn": render::order_sn(o) });
            if with_status {
                v["order_status"] = json!(render::order_status(o));
            }
            v
        })
        .collect();
    let more = offset + page.len() < rows.len();
    ok(json!({
        "more": more,
        "next_cursor": if more { (offset + page.len()).to_string() } else { String::new() },
        "order_list": page,
    }))
}

/// `GET /api/v2/order/get_order_detail`.
async fn order_detail(State(sim): State<ShopeeSim>, Query(q): Query<Params>) -> Response {
    let list: Vec<&str> = q
        .get("order_sn_list")
        .map(|l| {
            l.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .collect()
        })
        .unwrap_or_default();
    if list.is_empty() || list.len() > 50 {
        return error(
            "error_param",
            "Wrong parameters, detail: order_sn_list should have 1 to 50 orders.",
        );
    }
    let optional: HashSet<&str> = q
        .get("response_optional_fields")
        .map(|f| f.split(',').map(str::trim).collect())
        .unwrap_or_default();
    let store = sim.store();
    let orders: Vec<Value> = list
        .iter()
        .filter_map(|sn| {
            let n = render::order_number(sn)?;
            store
                .orders
                .iter()
                .find(|o| o.id == n && !o.deleted && render::order_sn(o) == *sn)
        })
        .map(|o| {
            let mut v = render::order(o, sim.region);
            if let Value::Object(map) = &mut v {
                map.retain(|k, _| {
                    render::ORDER_DEFAULT_FIELDS.contains(&k.as_str())
                        || optional.contains(k.as_str())
                });
            }
            v
        })
        .collect();
    if orders.is_empty() {
        return error(
            "error_not_found",
            "Wrong parameters, detail: the order is not found.",
        );
    }
    ok(json!({ "order_list": orders }))
}

/// `GET /api/v2/product/get_item_list`.
async fn item_list(State(sim): State<ShopeeSim>, request: Request) -> Response {
    let pairs: Vec<(String, String)> = request
        .uri()
        .query()
        .map(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .into_owned()
                .collect()
        })
        .unwrap_or_default();
    let q: Params = pairs.iter().cloned().collect();
    let statuses: Vec<&str> = pairs
        .iter()
        .filter(|(k, _)| k == "item_status")
        .map(|(_, v)| v.as_str())
        .collect();
    if statuses.is_empty() {
        return error("error_param_item_status", "Item status error.");
    }
    let (offset, size) = match (int(&q, "offset"), int(&q, "page_size")) {
        (Ok(Some(o)), Ok(Some(s))) => (o, s),
        (Err(r), _) | (_, Err(r)) => return *r,
        _ => {
            return error(
                "error_param",
                "Wrong parameters, detail: offset and page_size are required.",
            );
        }
    };
    if offset < 0 || !(1..=100).contains(&size) {
        return error(
            "error_param",
            "Wrong parameters, detail: page_size should be between 1 and 100.",
        );
    }
    let (from, to) = match (int(&q, "update_time_from"), int(&q, "update_time_to")) {
        (Ok(f), Ok(t)) => (f, t),
        (Err(r), _) | (_, Err(r)) => return *r,
    };
    if let (Some(f), Some(t)) = (from, to)
        && t < f
    {
        return error(
            "error_update_time_range",
            "Update_time_to should be later than update_time_from.",
        );
    }
    let store = sim.store();
    let mut rows: Vec<_> = store
        .products
        .iter()
        .filter(|p| !p.deleted && statuses.contains(&render::status_of(p)))
        .filter(|p| {
            let t = p.updated_at.timestamp();
            from.is_none_or(|f| t >= f) && to.is_none_or(|u| t <= u)
        })
        .collect();
    rows.sort_by_key(|p| p.id);
    let total = rows.len();
    let page: Vec<Value> = rows
        .iter()
        .skip(offset as usize)
        .take(size as usize)
        .map(|p| {
            json!({
                "item_id": p.id,
                "item_status": render::status_of(p),
                "tag": { "kit": false },
                "update_time": p.updated_at.timestamp(),
            })
        })
        .collect();
    let next = offset as usize + page.len();
    ok(json!({
        "item": page,
        "total_count": total,
        "has_next_page": next < total,
        "next_offset": next,
    }))
}

fn ids(q: &Params, name: &str) -> Result<Vec<u64>, Box<Response>> {
    let list: Result<Vec<u64>, _> = q
        .get(name)
        .map(|l| l.split(',').map(|s| s.trim().parse::<u64>()).collect())
        .unwrap_or_else(|| Ok(Vec::new()));
    match list {
        Ok(l) if !l.is_empty() && l.len() <= 50 => Ok(l),
        _ => Err(Box::new(error(
            "error_param",
            &format!("Wrong parameters, detail: {name} should have 1 to 50 ids."),
        ))),
    }
}

/// `GET /api/v2/product/get_item_base_info`.
async fn item_base_info(State(sim): State<ShopeeSim>, Query(q): Query<Params>) -> Response {
    let list = match ids(&q, "item_id_list") {
        Ok(l) => l,
        Err(r) => return *r,
    };
    let store = sim.store();
    let items: Vec<Value> = list
        .iter()
        .filter_map(|id| store.products.iter().find(|p| p.id == *id && !p.deleted))
        .map(|p| render::item(p, sim.region))
        .collect();
    if items.is_empty() {
        return error("error_item_not_found", "Product not found");
    }
    ok(json!({ "item_list": items }))
}

/// `GET /api/v2/product/get_model_list`.
async fn model_list(State(sim): State<ShopeeSim>, Query(q): Query<Params>) -> Response {
    let Some(Ok(id)) = q.get("item_id").map(|v| v.parse::<u64>()) else {
        return error(
            "error_param",
            "Wrong parameters, detail: item_id is required.",
        );
    };
    let store = sim.store();
    match store.products.iter().find(|p| p.id == id && !p.deleted) {
        Some(p) => ok(render::models(p, sim.region)),
        None => error("error_item_not_found", "Product not found"),
    }
}

/// The JSON body of a write, or Shopee's parameter error.
fn body_of(bytes: &Bytes) -> Result<Value, Box<Response>> {
    serde_json::from_slice(bytes).map_err(|_| {
        Box::new(error(
            "error_param",
            "Wrong parameters, detail: the body is not JSON.",
        ))
    })
}

/// `POST /api/v2/product/update_price`: `{item_id, price_list:[{model_id?, original_price}]}`.
async fn update_price(State(sim): State<ShopeeSim>, bytes: Bytes) -> Response {
    let b = match body_of(&bytes) {
        Ok(b) => b,
        Err(r) => return *r,
    };
    let (Some(item), Some(list)) = (
        b.get("item_id").and_then(Value::as_u64),
        b.get("price_list").and_then(Value::as_array),
    ) else {
        return error(
            "error_param",
            "Wrong parameters, detail: item_id and price_list are required.",
        );
    };
    let region = sim.region;
    let mut store = sim.store();
    let Some(p) = store.product_mut(item).filter(|p| !p.deleted) else {
        return error("error_item_not_found", "Product not found");
    };
    let modelled = render::has_model(p);
    let mut success = Vec::new();
    let mut failure = Vec::new();
    for entry in list {
        let model = entry.get("model_id").and_then(Value::as_u64).unwrap_or(0);
        let Some(price) = entry
            .get("original_price")
            .and_then(|v| v.to_string().parse::<Decimal>().ok())
            .filter(|p| *p > Decimal::ZERO)
        else {
            failure
                .push(json!({ "model_id": model, "failed_reason": "original_price is invalid" }));
            continue;
        };
        if region.whole && !price.fract().is_zero() {
            failure
                .push(json!({ "model_id": model, "failed_reason": "price should be an integer" }));
            continue;
        }
        let target = if modelled {
            p.variants.iter_mut().find(|v| v.id == model)
        } else if model == 0 {
            p.variants.first_mut()
        } else {
            None
        };
        match target {
            Some(v) => {
                v.price = price;
                v.compare_at_price = None;
                success.push(json!({ "model_id": model, "original_price": render::float(price) }));
            }
            None => failure.push(json!({ "model_id": model, "failed_reason": "model not found" })),
        }
    }
    if !success.is_empty() {
        p.updated_at = Utc::now();
    }
    ok(json!({ "failure_list": failure, "success_list": success }))
}

/// `POST /api/v2/product/update_stock`:
/// `{item_id, stock_list:[{model_id?, seller_stock:[{location_id?, stock}]}]}`.
async fn update_stock(State(sim): State<ShopeeSim>, bytes: Bytes) -> Response {
    let b = match body_of(&bytes) {
        Ok(b) => b,
        Err(r) => return *r,
    };
    let (Some(item), Some(list)) = (
        b.get("item_id").and_then(Value::as_u64),
        b.get("stock_list").and_then(Value::as_array),
    ) else {
        return error(
            "error_param",
            "Wrong parameters, detail: item_id and stock_list are required.",
        );
    };
    let mut store = sim.store();
    let Some(p) = store.product_mut(item).filter(|p| !p.deleted) else {
        return error("error_item_not_found", "Product not found");
    };
    let modelled = render::has_model(p);
    let mut success = Vec::new();
    let mut failure = Vec::new();
    for entry in list {
        let model = entry.get("model_id").and_then(Value::as_u64).unwrap_or(0);
        let Some(stock) = entry
            .pointer("/seller_stock/0/stock")
            .and_then(Value::as_i64)
            .filter(|s| *s >= 0)
        else {
            failure.push(json!({ "model_id": model, "failed_reason": "seller_stock is invalid" }));
            continue;
        };
        let target = if modelled {
            p.variants.iter_mut().find(|v| v.id == model)
        } else if model == 0 {
            p.variants.first_mut()
        } else {
            None
        };
        match target {
            Some(v) => {
                match v.stock.first_mut() {
                    Some(level) => level.1 = stock,
                    None => v.stock.push((0, stock)),
                }
                for level in v.stock.iter_mut().skip(1) {
                    level.1 = 0;
                }
                success.push(json!({ "model_id": model, "location_id": "SIMWH1", "stock": stock }));
            }
            None => failure.push(json!({ "model_id": model, "failed_reason": "model not found" })),
        }
    }
    if !success.is_empty() {
        p.updated_at = Utc::now();
    }
    ok(json!({ "failure_list": failure, "success_list": success }))
}

/// `POST /api/v2/logistics/ship_order`: `{order_sn, pickup | dropoff | non_integrated}`.
async fn ship_order(State(sim): State<ShopeeSim>, bytes: Bytes) -> Response {
    let b = match body_of(&bytes) {
        Ok(b) => b,
        Err(r) => return *r,
    };
    let Some(sn) = b.get("order_sn").and_then(Value::as_str) else {
        return error(
            "error_param",
            "Wrong parameters, detail: order_sn is required.",
        );
    };
    let methods = ["pickup", "dropoff", "non_integrated"]
        .iter()
        .filter(|m| b.get(**m).is_some())
        .count();
    if methods != 1 {
        return error(
            "logistics.ship_order_only_support_one_type",
            "Only one of pickup, dropoff and non_integrated can be chosen.",
        );
    }
    let tracking = b
        .pointer("/non_integrated/tracking_number")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let mut store = sim.store();
    let id = store.fresh_id();
    let Some(o) = render::order_number(sn)
        .and_then(|n| store.order_mut(n))
        .filter(|o| !o.deleted)
    else {
        return error(
            "error_not_found",
            "Wrong parameters, detail: the order is not found.",
        );
    };
    if render::order_status(o) != "READY_TO_SHIP" {
        return error(
            "logistics.order_status_error",
            "The order status does not support shipping.",
        );
    }
    let now = Utc::now();
    o.fulfillment = SimFulfillment::Fulfilled;
    o.updated_at = now;
    let lines = o.line_items.iter().map(|l| (l.id, l.quantity)).collect();
    o.shipments.push(SimShipment {
        id,
        carrier: o.shipping_carrier.clone(),
        tracking_number: tracking.unwrap_or_else(|| format!("SPX{id}")),
        tracking_url: String::new(),
        status: "LOGISTICS_PICKUP_DONE".to_owned(),
        lines,
        created_at: now,
    });
    axum::Json(json!({ "request_id": request_id(), "error": "", "message": "", "response": {} }))
        .into_response()
}

/// `GET /api/v2/logistics/get_tracking_number?order_sn&package_number`.
async fn tracking_number(State(sim): State<ShopeeSim>, Query(q): Query<Params>) -> Response {
    let (Some(sn), package) = (q.get("order_sn"), q.get("package_number")) else {
        return error(
            "error_param",
            "Wrong parameters, detail: order_sn is required.",
        );
    };
    let store = sim.store();
    let Some(o) = render::order_number(sn)
        .and_then(|n| store.orders.iter().find(|o| o.id == n && !o.deleted))
    else {
        return error(
            "error_not_found",
            "Wrong parameters, detail: the order is not found.",
        );
    };
    let shipment = match package {
        Some(p) => o.shipments.iter().find(|s| format!("OFG{}", s.id) == *p),
        None => o.shipments.first(),
    };
    match shipment {
        Some(s) => ok(json!({
            "tracking_number": s.tracking_number,
            "first_mile_tracking_number": "",
        })),
        None => error(
            "error_not_found",
            "Wrong parameters, detail: the package is not found.",
        ),
    }
}

/// `GET /api/v2/payment/get_escrow_detail?order_sn`: paid orders only.
async fn escrow_detail(State(sim): State<ShopeeSim>, Query(q): Query<Params>) -> Response {
    let Some(sn) = q.get("order_sn") else {
        return error(
            "error_param",
            "Wrong parameters, detail: order_sn is required.",
        );
    };
    let store = sim.store();
    match render::order_number(sn)
        .and_then(|n| store.orders.iter().find(|o| o.id == n && !o.deleted))
        .filter(|o| !matches!(o.state, SimOrderState::Pending))
    {
        Some(o) => ok(render::escrow(o, sim.region)),
        None => error(
            "error_not_found",
            "Wrong parameters, detail: the order is not found.",
        ),
    }
}

/// `GET /api/v2/returns/get_return_detail?return_sn`.
async fn return_detail(State(sim): State<ShopeeSim>, Query(q): Query<Params>) -> Response {
    let Some(id) = q.get("return_sn").and_then(|s| render::return_number(s)) else {
        return error(
            "error_param",
            "Wrong parameters, detail: return_sn is invalid.",
        );
    };
    let store = sim.store();
    let found = store
        .orders
        .iter()
        .filter(|o| !o.deleted)
        .find_map(|o| o.refunds.iter().find(|r| r.id == id).map(|r| (o, r)));
    match found {
        Some((o, r)) => ok(render::return_detail(o, r, sim.region)),
        None => error(
            "error_not_found",
            "Wrong parameters, detail: the return is not found.",
        ),
    }
}

/// Converts the generated store's amounts into the region's units once: IDR and VND
/// prices are whole numbers, a thousand times the generated ones.
fn localise(store: &mut SimStore, region: Region) {
    if !region.whole {
        return;
    }
    let k = Decimal::from(1000);
    for p in &mut store.products {
        for v in &mut p.variants {
            v.price = (v.price * k).round();
            v.compare_at_price = v.compare_at_price.map(|c| (c * k).round());
        }
    }
    for o in &mut store.orders {
        for l in &mut o.line_items {
            l.price = (l.price * k).round();
            l.discount = (l.discount * k).round();
            l.tax = (l.tax * k).round();
        }
        o.shipping_price = (o.shipping_price * k).round();
        for r in &mut o.refunds {
            r.amount = (r.amount * k).round();
            for line in &mut r.lines {
                line.2 = (line.2 * k).round();
            }
        }
    }
}

/// Starts the simulator and returns a handle on its state (for tests).
pub async fn start(
    options: SimOptions,
    addr: SocketAddr,
) -> std::io::Result<(SimServer, ShopeeSim)> {
    let region = render::REGIONS[(options.seed % render::REGIONS.len() as u64) as usize];
    let mut store = SimStore::generate(options.seed, options.size);
    localise(&mut store, region);
    let access = format!("simaccess{}x0", options.seed);
    let first_refresh = format!("simrefresh{}x0", options.seed);
    let mut tokens = Tokens {
        refresh: first_refresh.clone(),
        ..Tokens::default()
    };
    tokens.access.insert(
        access.clone(),
        Utc::now() + Duration::seconds(ACCESS_SECONDS),
    );
    let sim = ShopeeSim {
        store: Arc::new(Mutex::new(store)),
        tokens: Arc::new(Mutex::new(tokens)),
        faults: Faults::new(options.faults.clone(), options.seed),
        throttled: Arc::new(AtomicU32::new(0)),
        refused_tokens: Arc::new(AtomicU32::new(0)),
        partner_key: format!("simpartnerkey{}", options.seed),
        region,
        seed: options.seed,
    };
    let api = Router::new()
        .route("/api/v2/auth/access_token/get", post(refresh))
        .route("/api/v2/order/get_order_list", get(order_list))
        .route("/api/v2/order/get_order_detail", get(order_detail))
        .route("/api/v2/product/get_item_list", get(item_list))
        .route("/api/v2/product/get_item_base_info", get(item_base_info))
        .route("/api/v2/product/get_model_list", get(model_list))
        .route("/api/v2/product/update_price", post(update_price))
        .route("/api/v2/product/update_stock", post(update_stock))
        .route("/api/v2/logistics/ship_order", post(ship_order))
        .route(
            "/api/v2/logistics/get_tracking_number",
            get(tracking_number),
        )
        .route("/api/v2/payment/get_escrow_detail", get(escrow_detail))
        .route("/api/v2/returns/get_return_detail", get(return_detail));
    let api = sim
        .faults
        .layer(api)
        .layer(axum::middleware::from_fn_with_state(sim.clone(), gate))
        .with_state(sim.clone());
    let (bound, server) = SimServer::start(api, addr).await?;
    let mut credentials = BTreeMap::new();
    credentials.insert("partner_id".to_owned(), PARTNER_ID.to_string());
    credentials.insert("partner_key".to_owned(), sim.partner_key.clone());
    credentials.insert("shop_id".to_owned(), SHOP_ID.to_string());
    credentials.insert("access_token".to_owned(), access);
    credentials.insert("refresh_token".to_owned(), first_refresh);
    credentials.insert("push_callback_url".to_owned(), PUSH_URL.to_owned());
    let info = SimInfo {
        platform: crate::PLATFORM.to_owned(),
        base_url: format!("http://{bound}"),
        credentials,
    };
    Ok((
        server.with_info(info).with_handle(Arc::new(sim.clone())),
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
