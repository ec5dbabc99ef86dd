//! An Ecwid simulator, after the REST API v3 reference (api-docs.ecwid.com): under
//! `/api/v3/{storeId}`, `GET /profile`, `GET /orders` (`offset`, `limit` ≤ 100,
//! `updatedFrom`/`updatedTo`/`createdFrom` as unix seconds or dates, newest order
//! first), `GET /orders/{id}` (the `id` or the `internalId`), `GET /products`
//! (`sortBy` `UPDATED_TIME_ASC`/`ADDED_TIME_ASC`, the same date filters) with
//! combinations, `GET /products/{id}`, and the writes `PUT /orders/{id}`,
//! `PUT /products/{id}`, `PUT /products/{id}/combinations/{cid}` and
//! `PUT .../inventory` (`quantityDelta`), each answering `{"updateCount": 1}`.
//! The token is a bearer (or `?token=`); errors are `{"errorMessage": …}`; 600 requests
//! a minute, then 429 with `Retry-After`; the kit's fault injection on top. Webhook
//! deliveries are signed as Ecwid signs them ([`EcwidSim::webhook`]).
//!
//! Rendered from the documented payloads over the kit's generated store, never from
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
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{DateTime, NaiveDateTime, Utc};
use futures::future::BoxFuture;
use polycart_kit::auth::hmac::{base64, hmac_sha256};
use polycart_kit::sim::{Faults, FixedWindow, SimInfo, SimOptions, SimServer, SimStore};
use rust_decimal::Decimal;
use serde_json::{Value, json};

pub use render::{order_id, render_order, render_product};

/// Orders' fields a `PUT` set, kept beside the generated store (Ecwid's statuses are
/// finer than the generator's).
type Overrides = HashMap<u64, serde_json::Map<String, Value>>;

/// A running simulator's state, for tests.
#[derive(Clone)]
pub struct EcwidSim {
    store: Arc<Mutex<SimStore>>,
    overrides: Arc<Mutex<Overrides>>,
    /// The numeric store id in every path.
    pub store_id: u64,
    token: String,
    /// The app's client secret, the key of webhook signatures.
    pub client_secret: String,
    faults: Arc<Faults>,
    limiter: Arc<FixedWindow>,
}

impl EcwidSim {
    /// The generated store, to read or change.
    pub fn store(&self) -> std::sync::MutexGuard<'_, SimStore> {
        self.store.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn overrides(&self) -> std::sync::MutexGuard<'_, Overrides> {
        self.overrides.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A webhook delivery as Ecwid sends it: the body and its
    /// `X-Ecwid-Webhook-Signature`.
    pub fn webhook(
        &self,
        event_type: &str,
        entity_id: u64,
        data: Value,
        created: i64,
    ) -> (String, String) {
        let event_id = format!("{:x}-{entity_id}-{created}", self.store_id);
        let body = json!({
            "eventId": event_id,
            "eventCreated": created,
            "storeId": self.store_id,
            "entityId": entity_id,
            "eventType": event_type,
            "data": data,
        });
        let signature = base64(&hmac_sha256(
            self.client_secret.as_bytes(),
            format!("{created}.{event_id}").as_bytes(),
        ));
        (body.to_string(), signature)
    }
}

fn error(status: StatusCode, message: &str) -> Response {
    (status, axum::Json(json!({ "errorMessage": message }))).into_response()
}

/// A date parameter: unix seconds or `YYYY-MM-DD HH:MM:SS` (UTC).
fn date(q: &HashMap<String, String>, name: &str) -> Result<Option<i64>, Response> {
    let Some(v) = q.get(name) else {
        return Ok(None);
    };
    if let Ok(n) = v.parse::<i64>() {
        return Ok(Some(n));
    }
    NaiveDateTime::parse_from_str(v, "%Y-%m-%d %H:%M:%S")
        .map(|t| Some(t.and_utc().timestamp()))
        .map_err(|_| {
            error(
                StatusCode::BAD_REQUEST,
                &format!("Cannot parse {name}: {v}"),
            )
        })
}

/// The date filters of a search.
struct Window {
    updated_from: Option<i64>,
    updated_to: Option<i64>,
    created_from: Option<i64>,
}

impl Window {
    fn read(q: &HashMap<String, String>) -> Result<Self, Response> {
        Ok(Self {
            updated_from: date(q, "updatedFrom")?,
            updated_to: date(q, "updatedTo")?,
            created_from: date(q, "createdFrom")?,
        })
    }

    fn holds(&self, created: DateTime<Utc>, updated: DateTime<Utc>) -> bool {
        let (c, u) = (created.timestamp(), updated.timestamp());
        self.updated_from.is_none_or(|f| u >= f)
            && self.updated_to.is_none_or(|t| u <= t)
            && self.created_from.is_none_or(|f| c >= f)
    }
}

/// One page of `rows` as Ecwid's search answer.
fn page(rows: Vec<Value>, q: &HashMap<String, String>) -> Response {
    let number = |k: &str, default: usize| q.get(k).map_or(Ok(default), |v| v.parse::<usize>());
    let (Ok(offset), Ok(limit)) = (number("offset", 0), number("limit", 100)) else {
        return error(StatusCode::BAD_REQUEST, "offset and limit must be numbers");
    };
    if limit > 100 {
        return error(StatusCode::BAD_REQUEST, "Limit must be <= 100");
    }
    let total = rows.len();
    let items: Vec<Value> = rows.into_iter().skip(offset).take(limit).collect();
    let mut body = json!({ "total": total, "count": items.len(), "offset": offset, "limit": limit, "items": items });
    if q.get("responseFields").is_some_and(|f| f == "total") {
        body = json!({ "total": total });
    }
    axum::Json(body).into_response()
}

async fn profile(State(sim): State<EcwidSim>) -> Response {
    let s = sim.store();
    axum::Json(json!({
        "generalInfo": { "storeId": sim.store_id, "storeUrl": format!("https://store{}.company.site", sim.store_id) },
        "account": { "accountName": s.name },
        "settings": { "storeName": s.name },
        "formatsAndUnits": {
            "currency": s.currency,
            "currencyPrefix": "",
            "currencySuffix": "",
            "weightUnit": "KILOGRAM",
            "dateFormat": "dd.MM.yyyy",
            "timezone": "UTC"
        }
    }))
    .into_response()
}

async fn orders(State(sim): State<EcwidSim>, Query(q): Query<HashMap<String, String>>) -> Response {
    let w = match Window::read(&q) {
        Ok(w) => w,
        Err(r) => return r,
    };
    let store = sim.store();
    let overrides = sim.overrides();
    let mut rows: Vec<_> = store
        .orders
        .iter()
        .filter(|o| !o.deleted && w.holds(o.created_at, o.updated_at))
        .collect();
    // Newest order first, as Ecwid lists them.
    rows.sort_by_key(|o| std::cmp::Reverse(o.id));
    let rows = rows
        .into_iter()
        .map(|o| render_order(o, overrides.get(&o.id)))
        .collect();
    page(rows, &q)
}

fn find_order(store: &SimStore, id: &str) -> Option<u64> {
    store
        .orders
        .iter()
        .find(|o| !o.deleted && (order_id(o) == id || o.id.to_string() == id))
        .map(|o| o.id)
}

async fn order(
    State(sim): State<EcwidSim>,
    Path((_store, id)): Path<(String, String)>,
) -> Response {
    let store = sim.store();
    match find_order(&store, &id).and_then(|n| store.orders.iter().find(|o| o.id == n)) {
        Some(o) => axum::Json(render_order(o, sim.overrides().get(&o.id))).into_response(),
        None => error(StatusCode::NOT_FOUND, "Order not found"),
    }
}

async fn update_order(
    State(sim): State<EcwidSim>,
    Path((_store, id)): Path<(String, String)>,
    body: axum::Json<Value>,
) -> Response {
    let Value::Object(fields) = body.0 else {
        return error(StatusCode::BAD_REQUEST, "JSON object expected");
    };
    let mut store = sim.store();
    let Some(n) = find_order(&store, &id) else {
        return error(StatusCode::NOT_FOUND, "Order not found");
    };
    const PAYMENT: &[&str] = &[
        "AWAITING_PAYMENT",
        "PAID",
        "CANCELLED",
        "REFUNDED",
        "PARTIALLY_REFUNDED",
        "INCOMPLETE",
    ];
    const FULFILMENT: &[&str] = &[
        "AWAITING_PROCESSING",
        "PROCESSING",
        "SHIPPED",
        "DELIVERED",
        "WILL_NOT_DELIVER",
        "RETURNED",
        "READY_FOR_PICKUP",
        "OUT_FOR_DELIVERY",
    ];
    for (k, allowed) in [
        ("paymentStatus", PAYMENT),
        ("fulfillmentStatus", FULFILMENT),
    ] {
        if let Some(v) = fields.get(k)
            && !v.as_str().is_some_and(|s| allowed.contains(&s))
        {
            return error(StatusCode::BAD_REQUEST, &format!("Unknown {k}: {v}"));
        }
    }
    if let Some(o) = store.order_mut(n) {
        o.updated_at = Utc::now();
    }
    sim.overrides().entry(n).or_default().extend(fields);
    axum::Json(json!({ "updateCount": 1 })).into_response()
}

async fn products(
    State(sim): State<EcwidSim>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let w = match Window::read(&q) {
        Ok(w) => w,
        Err(r) => return r,
    };
    let store = sim.store();
    let mut rows: Vec<_> = store
        .products
        .iter()
        .filter(|p| !p.deleted && w.holds(p.created_at, p.updated_at))
        .collect();
    match q.get("sortBy").map(String::as_str) {
        Some("UPDATED_TIME_ASC") => rows.sort_by_key(|p| (p.updated_at.timestamp(), p.id)),
        Some("UPDATED_TIME_DESC") => {
            rows.sort_by_key(|p| std::cmp::Reverse((p.updated_at.timestamp(), p.id)))
        }
        Some("ADDED_TIME_ASC") => rows.sort_by_key(|p| (p.created_at.timestamp(), p.id)),
        Some("ADDED_TIME_DESC") => {
            rows.sort_by_key(|p| std::cmp::Reverse((p.created_at.timestamp(), p.id)))
        }
        None | Some("RELEVANCE") => rows.sort_by_key(|p| p.id),
        Some(other) => return error(StatusCode::BAD_REQUEST, &format!("Unknown sortBy: {other}")),
    }
    let rows = rows
        .into_iter()
        .map(|p| render_product(p, sim.store_id))
        .collect();
    page(rows, &q)
}

fn product_number(id: &str) -> Result<u64, Response> {
    id.parse()
        .map_err(|_| error(StatusCode::NOT_FOUND, "Product not found"))
}

async fn product(
    State(sim): State<EcwidSim>,
    Path((_store, id)): Path<(String, String)>,
) -> Response {
    let n = match product_number(&id) {
        Ok(n) => n,
        Err(r) => return r,
    };
    let store = sim.store();
    match store.products.iter().find(|p| p.id == n && !p.deleted) {
        Some(p) => axum::Json(render_product(p, sim.store_id)).into_response(),
        None => error(StatusCode::NOT_FOUND, "Product not found"),
    }
}

fn decimal(v: &Value) -> Option<Decimal> {
    v.as_number().and_then(|n| n.to_string().parse().ok())
}

/// Applies `price`, `quantity` and `name` of a `PUT` to a product (every variant) or
/// one combination.
fn update_item(
    sim: &EcwidSim,
    product: &str,
    combination: Option<&str>,
    fields: &Value,
) -> Response {
    let n = match product_number(product) {
        Ok(n) => n,
        Err(r) => return r,
    };
    let price = fields.get("price").map(decimal);
    let quantity = fields.get("quantity").map(Value::as_i64);
    if matches!(price, Some(None)) || matches!(quantity, Some(None)) {
        return error(
            StatusCode::BAD_REQUEST,
            "price and quantity must be numbers",
        );
    }
    let mut store = sim.store();
    let Some(p) = store.product_mut(n).filter(|p| !p.deleted) else {
        return error(StatusCode::NOT_FOUND, "Product not found");
    };
    let targets: Vec<usize> = match combination {
        None => (0..p.variants.len()).collect(),
        Some(c) => match p.variants.iter().position(|v| v.id.to_string() == c) {
            Some(i) if p.variants.len() > 1 => vec![i],
            _ => return error(StatusCode::NOT_FOUND, "Combination not found"),
        },
    };
    if let Some(name) = fields.get("name").and_then(Value::as_str) {
        p.title = name.to_owned();
    }
    for i in targets.iter().copied() {
        let v = &mut p.variants[i];
        if let Some(Some(price)) = price {
            v.price = price;
        }
        if let Some(Some(q)) = quantity
            && let Some(first) = v.stock.first_mut()
        {
            first.1 = q;
        }
    }
    p.updated_at = Utc::now();
    axum::Json(json!({ "updateCount": 1 })).into_response()
}

async fn update_product(
    State(sim): State<EcwidSim>,
    Path((_store, id)): Path<(String, String)>,
    body: axum::Json<Value>,
) -> Response {
    update_item(&sim, &id, None, &body.0)
}

async fn update_combination(
    State(sim): State<EcwidSim>,
    Path((_store, id, cid)): Path<(String, String, String)>,
    body: axum::Json<Value>,
) -> Response {
    update_item(&sim, &id, Some(&cid), &body.0)
}

/// `PUT …/inventory {"quantityDelta": n}`: adds to the stock.
fn adjust(sim: &EcwidSim, product: &str, combination: Option<&str>, body: &Value) -> Response {
    let Some(delta) = body.get("quantityDelta").and_then(Value::as_i64) else {
        return error(StatusCode::BAD_REQUEST, "quantityDelta must be a number");
    };
    let Ok(n) = product.parse::<u64>() else {
        return error(StatusCode::NOT_FOUND, "Product not found");
    };
    let mut store = sim.store();
    let Some(p) = store.product_mut(n).filter(|p| !p.deleted) else {
        return error(StatusCode::NOT_FOUND, "Product not found");
    };
    let index = match combination {
        None => Some(0),
        Some(c) => p.variants.iter().position(|v| v.id.to_string() == c),
    };
    let Some(stock) = index
        .and_then(|i| p.variants.get_mut(i))
        .and_then(|v| v.stock.first_mut())
    else {
        return error(StatusCode::NOT_FOUND, "Combination not found");
    };
    stock.1 += delta;
    p.updated_at = Utc::now();
    axum::Json(json!({ "updateCount": 1 })).into_response()
}

async fn adjust_product(
    State(sim): State<EcwidSim>,
    Path((_store, id)): Path<(String, String)>,
    body: axum::Json<Value>,
) -> Response {
    adjust(&sim, &id, None, &body.0)
}

async fn adjust_combination(
    State(sim): State<EcwidSim>,
    Path((_store, id, cid)): Path<(String, String, String)>,
    body: axum::Json<Value>,
) -> Response {
    adjust(&sim, &id, Some(&cid), &body.0)
}

/// The token (bearer or `?token=`) and the store id must match; then 600 requests a
/// minute.
async fn gate(
    State(sim): State<EcwidSim>,
    Path(params): Path<HashMap<String, String>>,
    request: Request,
    next: Next,
) -> Response {
    let bearer = request
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    let query_token = request.uri().query().and_then(|q| {
        url::form_urlencoded::parse(q.as_bytes())
            .find(|(k, _)| k == "token")
            .map(|(_, v)| v.into_owned())
    });
    let token = bearer.map(str::to_owned).or(query_token);
    if token.as_deref() != Some(sim.token.as_str()) {
        return error(StatusCode::FORBIDDEN, "Access denied: the token is invalid");
    }
    if params.get("store").map(String::as_str) != Some(sim.store_id.to_string().as_str()) {
        return error(
            StatusCode::FORBIDDEN,
            "Access denied: the token is not for this store",
        );
    }
    if let Err(state) = sim.limiter.take(Instant::now()) {
        let wait = state.reset_in.as_secs().max(1);
        let mut r = error(StatusCode::TOO_MANY_REQUESTS, "Too many requests");
        if let Ok(v) = wait.to_string().parse() {
            r.headers_mut().insert("retry-after", v);
        }
        return r;
    }
    next.run(request).await
}

/// Starts the simulator and returns a handle on its state (for tests).
pub async fn start(
    options: SimOptions,
    addr: SocketAddr,
) -> std::io::Result<(SimServer, EcwidSim)> {
    let sim = EcwidSim {
        store: Arc::new(Mutex::new(SimStore::generate(options.seed, options.size))),
        overrides: Arc::default(),
        store_id: 1000 + options.seed,
        token: format!("secret_sim{}", options.seed),
        client_secret: format!("client-secret-{}", options.seed),
        faults: Faults::new(options.faults.clone(), options.seed),
        limiter: Arc::new(FixedWindow::new(600, Duration::from_secs(60))),
    };
    let api = Router::new()
        .route("/profile", get(profile))
        .route("/orders", get(orders))
        .route("/orders/{id}", get(order).put(update_order))
        .route("/products", get(products))
        .route("/products/{id}", get(product).put(update_product))
        .route(
            "/products/{id}/inventory",
            axum::routing::put(adjust_product),
        )
        .route(
            "/products/{id}/combinations/{cid}",
            axum::routing::put(update_combination),
        )
        .route(
            "/products/{id}/combinations/{cid}/inventory",
            axum::routing::put(adjust_combination),
        );
    let api = sim
        .faults
        .layer(api)
        .layer(axum::middleware::from_fn_with_state(sim.clone(), gate))
        .with_state(sim.clone());
    let router = Router::new().nest("/api/v3/{store}", api);
    let (bound, server) = SimServer::start(router, addr).await?;
    let mut credentials = BTreeMap::new();
    credentials.insert("secret_token".to_owned(), sim.token.clone());
    credentials.insert("client_secret".to_owned(), sim.client_secret.clone());
    let info = SimInfo {
        platform: crate::PLATFORM.to_owned(),
        base_url: format!("http://{bound}/api/v3/{}", sim.store_id),
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
