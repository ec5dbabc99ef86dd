//! A Lazada Open Platform simulator over the kit's generated store, built from Lazada's
//! documentation and published examples (never from the adapter's types):
//!
//! - every call under `/rest` is checked as Lazada checks it: `app_key`, `sign_method`,
//!   `timestamp` (ms, at most 7200 s from now), and `sign` recomputed (API path + sorted
//!   parameters of query and form body); a wrong one answers `IncompleteSignature`, a
//!   stale timestamp `InvalidTimestamp`, a wrong or expired token `IllegalAccessToken`,
//!   all as HTTP 200 with the error in the body, as Lazada does;
//! - `/auth/token/refresh` rotates the pair; a refresh token works once (`IllegalRefreshToken`
//!   after), and the old access token stops working;
//! - `/orders/get` (`update_after`/`created_after` required, inclusive bounds,
//!   `sort_by`/`sort_direction`, `offset`, `limit` ≤ 100), `/order/get`,
//!   `/order/items/get`, `/orders/items/get` (≤ 50 ids), `/products/get` (`filter`:
//!   `all` but deleted, `live`, `inactive`, `deleted`, `sold-out`; `update_after`,
//!   `offset`, `limit` ≤ 50), `/product/item/get`,
//!   `/product/price_quantity/update` (XML `payload`), `/order/fulfill/pack` and
//!   `/order/package/rts` (`fulfil.rs`);
//! - reads answer GET and POST alike (the official SDKs POST by default);
//! - `ApiCallLimit` once the app sends more than its calls a second (20; 2 with plan
//!   `strict`), "this ban will last 1 seconds";
//! - the kit's fault injection on the API calls, and pushes signed as Lazada signs them.

mod fulfil;
mod render;

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use polycart_kit::adapter::WebhookKind;
use polycart_kit::auth::hmac::{constant_time_eq, hex, hex_upper, hmac_sha256};
use polycart_kit::model::Entity;
use polycart_kit::sim::{
    Delivery, Faults, FixedWindow, Signing, SimError, SimHandle, SimInfo, SimOptions,
    SimProductStatus, SimServer, SimStore,
};
use rust_decimal::Decimal;
use serde_json::{Value, json};

pub use render::CURRENCY;

/// The timestamp skew Lazada accepts.
const SKEW_MS: i64 = 7_200_000;

/// The seller's token pair and the refresh tokens already spent.
#[derive(Debug)]
struct Tokens {
    access: String,
    refresh: String,
    generation: u32,
    spent: Vec<String>,
}

/// A running simulator's state, for tests.
#[derive(Clone)]
pub struct LazadaSim {
    store: Arc<Mutex<SimStore>>,
    app_key: String,
    app_secret: String,
    tokens: Arc<Mutex<Tokens>>,
    faults: Arc<Faults>,
    limiter: Arc<FixedWindow>,
    requests: Arc<Mutex<u64>>,
}

impl LazadaSim {
    /// The generated store, to read or change.
    pub fn store(&self) -> std::sync::MutexGuard<'_, SimStore> {
        self.store.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn tokens(&self) -> std::sync::MutexGuard<'_, Tokens> {
        self.tokens.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The access token valid now.
    pub fn access_token(&self) -> String {
        self.tokens().access.clone()
    }

    /// The refresh token valid now.
    pub fn refresh_token(&self) -> String {
        self.tokens().refresh.clone()
    }

    /// Expires the access token as Lazada does when it lapses: calls with it answer
    /// `IllegalAccessToken` until the pair is refreshed.
    pub fn expire_access_token(&self) {
        let mut t = self.tokens();
        t.access = format!("expired-{}", t.generation);
    }

    /// A push as Lazada sends it: the body and its `Authorization` signature.
    pub fn push(&self, body: &str, secret: &str) -> String {
        hex(&hmac_sha256(
            secret.as_bytes(),
            format!("{}{body}", self.app_key).as_bytes(),
        ))
    }

    /// The API calls served so far (signed or not).
    pub fn requests(&self) -> u64 {
        *self.requests.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl LazadaSim {
    /// A push of `body` signed per `signing` (the `Authorization` header).
    fn delivery(&self, topic: &str, body: String, signing: Signing) -> Result<Delivery, SimError> {
        let secret = match signing {
            Signing::Correct => self.app_secret.clone(),
            Signing::WrongSecret => format!("{}-forged", self.app_secret),
        };
        let mut headers = HeaderMap::new();
        let header = |v: String| {
            v.parse()
                .map_err(|_| SimError::unsupported("an unprintable header"))
        };
        headers.insert(
            axum::http::header::AUTHORIZATION,
            header(self.push(&body, &secret))?,
        );
        headers.insert(
            axum::http::header::CONTENT_TYPE,
            header("application/json".to_owned())?,
        );
        Ok(Delivery {
            topic: topic.to_owned(),
            headers,
            body: body.into_bytes(),
        })
    }
}

/// Why categories cannot be changed or deleted by a seller.
const PLATFORM_TREE: &str = "Lazada's category tree is the platform's: a seller cannot change it";

fn number(entity: Entity, id: &str) -> Result<u64, SimError> {
    id.parse().map_err(|_| SimError::not_found(entity, id))
}

impl SimHandle for LazadaSim {
    fn truth(&self, entity: Entity) -> Result<Vec<String>, SimError> {
        let s = self.store();
        match entity {
            Entity::Order => Ok(s
                .orders
                .iter()
                .filter(|o| !o.deleted)
                .map(|o| o.id.to_string())
                .collect()),
            Entity::Category => Ok(s.categories.iter().map(|c| c.id.to_string()).collect()),
            Entity::Product => Ok(s
                .products
                .iter()
                .filter(|p| !p.deleted)
                .map(|p| p.id.to_string())
                .collect()),
            other => Err(SimError::unsupported(format!("{other}s are not listed"))),
        }
    }

    fn touch(&self, entity: Entity, id: &str, at: DateTime<Utc>) -> Result<(), SimError> {
        if entity == Entity::Category {
            return Err(SimError::unsupported(PLATFORM_TREE));
        }
        let mut s = self.store();
        let n = number(entity, id)?;
        match entity {
            Entity::Order => {
                s.touch_order(n, at)
                    .ok_or_else(|| SimError::not_found(entity, id))?;
            }
            Entity::Product => {
                s.touch_product(n, at)
                    .ok_or_else(|| SimError::not_found(entity, id))?;
            }
            other => return Err(SimError::unsupported(format!("{other}s are not listed"))),
        }
        Ok(())
    }

    fn delete(&self, entity: Entity, id: &str) -> Result<(), SimError> {
        if entity == Entity::Category {
            return Err(SimError::unsupported(PLATFORM_TREE));
        }
        let mut s = self.store();
        let n = number(entity, id)?;
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
            other => return Err(SimError::unsupported(format!("{other}s are not listed"))),
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
        let n = number(entity, id)?;
        if entity == Entity::Product {
            let (message_type, action) = match kind {
                WebhookKind::Created => (3, "PUBLISHED"),
                WebhookKind::Deleted => (5, "DELETED"),
                _ => (4, "EDITED_UPDATED"),
            };
            let skus: Vec<Value> = {
                let s = self.store();
                let p = s
                    .products
                    .iter()
                    .find(|p| p.id == n)
                    .ok_or_else(|| SimError::not_found(entity, id))?;
                p.variants
                    .iter()
                    .map(|v| {
                        json!({
                            "shop_sku": format!("{}-{}", p.id, v.id),
                            "seller_sku": v.sku,
                            "sku_id": v.id.to_string(),
                        })
                    })
                    .collect()
            };
            let body = json!({
                "seller_id": "1000000001",
                "message_type": message_type,
                "data": {
                    "item_id": id,
                    "sku_list": skus,
                    "action": action,
                    "status_update_time": Utc::now().timestamp_millis(),
                },
                "timestamp": Utc::now().timestamp(),
                "site": "LAZADA_SG",
            })
            .to_string();
            let topic = format!("product_{}", action.to_ascii_lowercase());
            return self.delivery(&topic, body, signing);
        }
        if entity != Entity::Order {
            return Err(SimError::unsupported(format!(
                "Lazada pushes no {entity} changes"
            )));
        }
        if kind == WebhookKind::Deleted {
            return Err(SimError::unsupported("Lazada pushes no order deletions"));
        }
        let (status, line) = {
            let s = self.store();
            let o = s
                .orders
                .iter()
                .find(|o| o.id == n)
                .ok_or_else(|| SimError::not_found(entity, id))?;
            let status = render::item_statuses(o)
                .first()
                .copied()
                .unwrap_or("pending");
            let line = render::units(o)
                .first()
                .map(|(i, _)| *i)
                .unwrap_or_default();
            (status, line)
        };
        let body = json!({
            "seller_id": "1000000001",
            "message_type": 0,
            "data": {
                "order_status": status,
                "trade_order_id": id,
                "trade_order_line_id": line.to_string(),
                "status_update_time": Utc::now().timestamp(),
            },
            "timestamp": Utc::now().timestamp_millis(),
            "site": "lazada_sg",
        })
        .to_string();
        self.delivery("trade_order", body, signing)
    }

    fn payload(&self, entity: Entity, id: &str) -> Result<Value, SimError> {
        let s = self.store();
        let n = number(entity, id)?;
        let found = match entity {
            Entity::Category => s
                .categories
                .iter()
                .find(|c| c.id == n)
                .map(|c| render::category(c, &s.categories)),
            Entity::Order => s
                .orders
                .iter()
                .find(|o| o.id == n && !o.deleted)
                .map(render::order),
            Entity::Product => s
                .products
                .iter()
                .find(|p| p.id == n && !p.deleted)
                .map(render::product),
            other => return Err(SimError::unsupported(format!("{other}s are not listed"))),
        };
        found.ok_or_else(|| SimError::not_found(entity, id))
    }
}

fn request_id() -> String {
    format!(
        "0b{:x}",
        Utc::now().timestamp_nanos_opt().unwrap_or_default()
    )
}

/// Lazada's error answer: HTTP 200 (as Lazada sends its API errors) with the code.
fn fail(code: &str, message: &str) -> Response {
    axum::Json(
        json!({ "type": "ISV", "code": code, "message": message, "request_id": request_id() }),
    )
    .into_response()
}

/// An error answer not yet rendered (small, so `Result`s carrying it stay small).
struct Refusal(&'static str, String);

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        fail(self.0, &self.1)
    }
}

fn ok(data: Value) -> Response {
    axum::Json(json!({ "code": "0", "data": data, "request_id": request_id() })).into_response()
}

/// The parameters of a call (query and form body), as the signature saw them.
#[derive(Clone, Debug, Default)]
struct Params(HashMap<String, String>);

impl Params {
    fn get(&self, k: &str) -> Option<&str> {
        self.0.get(k).map(String::as_str)
    }
}

fn string_to_sign(path: &str, params: &[(String, String)], body: Option<&str>) -> String {
    let mut sorted: Vec<&(String, String)> = params
        .iter()
        .filter(|(k, v)| k != "sign" && !k.is_empty() && !v.is_empty())
        .collect();
    sorted.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    let mut s = path.to_owned();
    for (k, v) in sorted {
        s.push_str(k);
        s.push_str(v);
    }
    s.push_str(body.unwrap_or(""));
    s
}

/// Lazada's gate: app key, signature method, timestamp, signature, then (for API
/// calls) the access token and the app's call limit.
async fn gate(State(sim): State<LazadaSim>, request: Request, next: Next) -> Response {
    let (mut parts, body) = request.into_parts();
    let Ok(bytes) = to_bytes(body, 1 << 20).await else {
        return fail("InvalidParameter", "request body too large");
    };
    let mut pairs: Vec<(String, String)> = parts
        .uri
        .query()
        .map(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .into_owned()
                .collect()
        })
        .unwrap_or_default();
    let form = parts
        .headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    let mut raw_body = None;
    if form {
        pairs.extend(url::form_urlencoded::parse(&bytes).into_owned());
    } else if !bytes.is_empty() {
        raw_body = Some(String::from_utf8_lossy(&bytes).into_owned());
    }
    let params: HashMap<String, String> = pairs.iter().cloned().collect();
    let api_path = parts
        .uri
        .path()
        .strip_prefix("/rest")
        .unwrap_or(parts.uri.path())
        .to_owned();
    *sim.requests.lock().unwrap_or_else(|e| e.into_inner()) += 1;

    if params.get("app_key") != Some(&sim.app_key) {
        return fail("InvalidAppKey", "Invalid app key");
    }
    if !matches!(
        params.get("sign_method").map(String::as_str),
        Some("sha256")
    ) {
        return fail(
            "InvalidSignMethod",
            "Invalid sign method, only sha256 is supported here",
        );
    }
    let now = Utc::now().timestamp_millis();
    match params.get("timestamp").and_then(|t| t.parse::<i64>().ok()) {
        Some(t) if (now - t).abs() <= SKEW_MS => {}
        _ => {
            return fail(
                "InvalidTimestamp",
                "Invalid timestamp: more than 7200 seconds from the server time",
            );
        }
    }
    let expected = hex_upper(&hmac_sha256(
        sim.app_secret.as_bytes(),
        string_to_sign(&api_path, &pairs, raw_body.as_deref()).as_bytes(),
    ));
    let given = params.get("sign").map(String::as_str).unwrap_or_default();
    if !constant_time_eq(expected.as_bytes(), given.as_bytes()) {
        return fail(
            "IncompleteSignature",
            "The request signature does not conform to platform standards",
        );
    }
    if !api_path.starts_with("/auth/") {
        if params.get("access_token") != Some(&sim.access_token()) {
            return fail(
                "IllegalAccessToken",
                "The specified access token is invalid or expired",
            );
        }
        if sim.limiter.take(Instant::now()).is_err() {
            return fail(
                "ApiCallLimit",
                "Api access frequency exceeds the limit. this ban will last 1 seconds",
            );
        }
    }
    parts.extensions.insert(Params(params));
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

fn params(request: &Request) -> Params {
    request
        .extensions()
        .get::<Params>()
        .cloned()
        .unwrap_or_default()
}

fn time_param(p: &Params, name: &str) -> Result<Option<DateTime<Utc>>, Refusal> {
    match p.get(name) {
        None => Ok(None),
        Some(v) => DateTime::parse_from_rfc3339(v)
            .ok()
            .filter(|_| !v.ends_with('Z'))
            .map(|t| Some(t.with_timezone(&Utc)))
            .ok_or_else(|| {
                Refusal(
                    "17",
                    "E017: Invalid Date Format: YYYY-MM-DDTHH:mm:ss±HH:MM".into(),
                )
            }),
    }
}

fn window(p: &Params, max: usize, default: usize) -> Result<(usize, usize), Refusal> {
    let offset = match p.get("offset").map(str::parse::<usize>) {
        None => 0,
        Some(Ok(n)) => n,
        Some(Err(_)) => return Err(Refusal("14", "E014: Invalid Offset".into())),
    };
    let limit = match p.get("limit").map(str::parse::<usize>) {
        None => default,
        Some(Ok(n)) if (1..=max).contains(&n) => n,
        _ => return Err(Refusal("19", "E019: Invalid Limit".into())),
    };
    Ok((offset, limit))
}

async fn orders_get(State(sim): State<LazadaSim>, request: Request) -> Response {
    let p = params(&request);
    let bounds = (|| {
        Ok::<_, Refusal>((
            time_param(&p, "update_after")?,
            time_param(&p, "update_before")?,
            time_param(&p, "created_after")?,
            time_param(&p, "created_before")?,
        ))
    })();
    let (ua, ub, ca, cb) = match bounds {
        Ok(b) => b,
        Err(r) => return r.into_response(),
    };
    if ua.is_none() && ca.is_none() {
        return fail(
            "MissingParameter",
            "created_after or update_after is mandatory",
        );
    }
    let (offset, limit) = match window(&p, 100, 100) {
        Ok(w) => w,
        Err(r) => return r.into_response(),
    };
    let by_updated = match p.get("sort_by") {
        None | Some("created_at") => false,
        Some("updated_at") => true,
        Some(_) => return fail("75", "E075: Invalid sort filter."),
    };
    let descending = match p.get("sort_direction") {
        None | Some("DESC") => true,
        Some("ASC") => false,
        Some(_) => return fail("74", "E074: Invalid sort direction."),
    };
    let store = sim.store();
    // Lazada keeps whole seconds.
    let sec = |t: DateTime<Utc>| t.timestamp();
    let mut rows: Vec<_> = store
        .orders
        .iter()
        .filter(|o| !o.deleted)
        .filter(|o| ua.is_none_or(|t| sec(o.updated_at) >= sec(t)))
        .filter(|o| ub.is_none_or(|t| sec(o.updated_at) <= sec(t)))
        .filter(|o| ca.is_none_or(|t| sec(o.created_at) >= sec(t)))
        .filter(|o| cb.is_none_or(|t| sec(o.created_at) <= sec(t)))
        .collect();
    rows.sort_by_key(|o| {
        (
            if by_updated {
                sec(o.updated_at)
            } else {
                sec(o.created_at)
            },
            o.id,
        )
    });
    if descending {
        rows.reverse();
    }
    let total = rows.len();
    let page: Vec<Value> = rows
        .into_iter()
        .skip(offset)
        .take(limit)
        .map(render::order)
        .collect();
    ok(json!({ "count": page.len(), "countTotal": total, "orders": page }))
}

fn find_order(sim: &LazadaSim, p: &Params) -> Result<u64, Refusal> {
    let id = p.get("order_id").unwrap_or_default().to_owned();
    let known = id
        .parse::<u64>()
        .ok()
        .filter(|n| sim.store().orders.iter().any(|o| o.id == *n && !o.deleted));
    known.ok_or_else(|| Refusal("16", format!("E016: \"{id}\" Invalid Order ID")))
}

async fn order_get(State(sim): State<LazadaSim>, request: Request) -> Response {
    match find_order(&sim, &params(&request)) {
        Ok(n) => {
            let s = sim.store();
            let o = s.orders.iter().find(|o| o.id == n).expect("found above");
            ok(render::order(o))
        }
        Err(r) => r.into_response(),
    }
}

async fn order_items_get(State(sim): State<LazadaSim>, request: Request) -> Response {
    match find_order(&sim, &params(&request)) {
        Ok(n) => {
            let s = sim.store();
            let o = s.orders.iter().find(|o| o.id == n).expect("found above");
            ok(Value::Array(render::items(o)))
        }
        Err(r) => r.into_response(),
    }
}

async fn orders_items_get(State(sim): State<LazadaSim>, request: Request) -> Response {
    let p = params(&request);
    let Some(ids) = p
        .get("order_ids")
        .and_then(|v| serde_json::from_str::<Vec<Value>>(v).ok())
    else {
        return fail("InvalidParameter", "order_ids is a JSON list of order ids");
    };
    if ids.is_empty() || ids.len() > 50 {
        return fail("InvalidParameter", "order_ids takes 1 to 50 ids");
    }
    let s = sim.store();
    let mut out = Vec::new();
    for id in ids {
        let n = match &id {
            Value::Number(n) => n.as_u64(),
            Value::String(t) => t.parse().ok(),
            _ => None,
        };
        if let Some(o) = n.and_then(|n| s.orders.iter().find(|o| o.id == n && !o.deleted)) {
            out.push(json!({
                "order_id": o.id.to_string(),
                "order_number": o.number.to_string(),
                "order_items": render::items(o),
            }));
        }
    }
    ok(Value::Array(out))
}

async fn products_get(State(sim): State<LazadaSim>, request: Request) -> Response {
    let p = params(&request);
    let filter = p.get("filter").unwrap_or_default().to_owned();
    if ![
        "all", "live", "inactive", "deleted", "pending", "rejected", "sold-out",
    ]
    .contains(&filter.as_str())
    {
        return fail(
            "InvalidParameter",
            "filter is mandatory: all, live, inactive, deleted, pending, rejected, sold-out",
        );
    }
    let since = match time_param(&p, "update_after") {
        Ok(s) => s,
        Err(r) => return r.into_response(),
    };
    let (offset, limit) = match window(&p, 50, 20) {
        Ok(w) => w,
        Err(r) => return r.into_response(),
    };
    let store = sim.store();
    let mut rows: Vec<_> = store
        .products
        .iter()
        .filter(|x| match filter.as_str() {
            "all" => !x.deleted,
            "deleted" => x.deleted,
            "live" => !x.deleted && x.status == SimProductStatus::Active,
            "inactive" => !x.deleted && x.status != SimProductStatus::Active,
            "sold-out" => !x.deleted && x.variants.iter().all(|v| v.total_stock() <= 0),
            // No product waits for or failed quality control here.
            _ => false,
        })
        .filter(|x| since.is_none_or(|t| x.updated_at.timestamp() >= t.timestamp()))
        .collect();
    rows.sort_by_key(|x| x.id);
    let total = rows.len();
    let page: Vec<Value> = rows
        .into_iter()
        .skip(offset)
        .take(limit)
        .map(render::product)
        .collect();
    ok(json!({ "total_products": total, "products": page }))
}

async fn product_item_get(State(sim): State<LazadaSim>, request: Request) -> Response {
    let p = params(&request);
    let id = p.get("item_id").unwrap_or_default();
    let s = sim.store();
    match id
        .parse::<u64>()
        .ok()
        .and_then(|n| s.products.iter().find(|x| x.id == n && !x.deleted))
    {
        Some(x) => ok(render::product(x)),
        None => fail("208", "Product not found"),
    }
}

async fn category_tree_get(State(sim): State<LazadaSim>) -> Response {
    let s = sim.store();
    ok(Value::Array(render::category_tree(&s.categories)))
}

/// The text of `<tag>…</tag>` in `xml`.
fn element<'a>(xml: &'a str, tag: &str) -> Option<&'a str> {
    let open = format!("<{tag}>");
    let start = xml.find(&open)? + open.len();
    let end = xml[start..].find(&format!("</{tag}>"))? + start;
    Some(xml[start..end].trim())
}

async fn price_quantity_update(State(sim): State<LazadaSim>, request: Request) -> Response {
    let p = params(&request);
    let Some(payload) = p.get("payload") else {
        return fail("MissingParameter", "payload is mandatory");
    };
    let mut store = sim.store();
    let mut rest = payload;
    let mut changed = 0;
    while let Some(start) = rest.find("<Sku>") {
        let Some(end) = rest[start..].find("</Sku>") else {
            break;
        };
        let sku = &rest[start..start + end];
        rest = &rest[start + end..];
        let item = element(sku, "ItemId").and_then(|v| v.parse::<u64>().ok());
        let sku_id = element(sku, "SkuId").and_then(|v| v.parse::<u64>().ok());
        let price = element(sku, "Price").map(str::parse::<Decimal>);
        let quantity = element(sku, "Quantity").map(str::parse::<i64>);
        let (Some(item), Some(sku_id)) = (item, sku_id) else {
            return fail("InvalidParameter", "ItemId and SkuId are mandatory");
        };
        if matches!(price, Some(Err(_)))
            || matches!(quantity, Some(Err(_)) | Some(Ok(i64::MIN..=-1)))
        {
            return fail("InvalidParameter", "Price or Quantity is invalid");
        }
        let Some(product) = store
            .products
            .iter_mut()
            .find(|x| x.id == item && !x.deleted)
        else {
            return fail("208", "Product not found");
        };
        let Some(v) = product.variants.iter_mut().find(|v| v.id == sku_id) else {
            return fail("InvalidParameter", "SkuId does not belong to the item");
        };
        if let Some(Ok(price)) = price {
            v.price = price;
        }
        if let Some(Ok(q)) = quantity {
            match v.stock.first_mut() {
                Some(first) => first.1 = q,
                None => v.stock.push((1, q)),
            }
            for s in v.stock.iter_mut().skip(1) {
                s.1 = 0;
            }
        }
        v.updated_at = Utc::now();
        product.updated_at = Utc::now();
        changed += 1;
    }
    if changed == 0 {
        return fail("InvalidParameter", "payload names no Sku");
    }
    axum::Json(json!({ "code": "0", "request_id": request_id() })).into_response()
}

async fn token_refresh(State(sim): State<LazadaSim>, request: Request) -> Response {
    let p = params(&request);
    let given = p.get("refresh_token").unwrap_or_default().to_owned();
    let mut t = sim.tokens();
    if given != t.refresh || t.spent.contains(&given) {
        return fail(
            "IllegalRefreshToken",
            "The specified refresh token is invalid or expired",
        );
    }
    t.spent.push(given);
    t.generation += 1;
    t.access = format!("at-{}-{}", sim.app_key, t.generation);
    t.refresh = format!("rt-{}-{}", sim.app_key, t.generation);
    axum::Json(json!({
        "access_token": t.access,
        "refresh_token": t.refresh,
        "expires_in": 604800,
        "refresh_expires_in": 2592000,
        "account": "seller@example.com",
        "account_platform": "seller_center",
        "country": "sg",
        "country_user_info": [{ "country": "sg", "seller_id": "1000000001", "user_id": "2000000001", "short_code": "SG1" }],
        "code": "0",
        "request_id": request_id(),
    }))
    .into_response()
}

/// Starts the simulator and returns a handle on its state (for tests).
pub async fn start(
    options: SimOptions,
    addr: SocketAddr,
) -> std::io::Result<(SimServer, LazadaSim)> {
    let per_second = if options.plan.as_deref() == Some("strict") {
        2
    } else {
        20
    };
    let seed = options.seed;
    let sim = LazadaSim {
        store: Arc::new(Mutex::new(SimStore::generate(options.seed, options.size))),
        app_key: format!("10{seed:04}"),
        app_secret: format!("simsecret{seed}"),
        tokens: Arc::new(Mutex::new(Tokens {
            access: format!("at-sim-{seed}"),
            refresh: format!("rt-sim-{seed}"),
            generation: 0,
            spent: Vec::new(),
        })),
        faults: Faults::new(options.faults.clone(), options.seed),
        limiter: Arc::new(FixedWindow::new(per_second, Duration::from_secs(1))),
        requests: Arc::new(Mutex::new(0)),
    };
    let api = Router::new()
        .route("/orders/get", get(orders_get).post(orders_get))
        .route("/order/get", get(order_get).post(order_get))
        .route(
            "/order/items/get",
            get(order_items_get).post(order_items_get),
        )
        .route(
            "/orders/items/get",
            get(orders_items_get).post(orders_items_get),
        )
        .route("/products/get", get(products_get).post(products_get))
        .route(
            "/category/tree/get",
            get(category_tree_get).post(category_tree_get),
        )
        .route(
            "/product/item/get",
            get(product_item_get).post(product_item_get),
        )
        .route(
            "/product/price_quantity/update",
            post(price_quantity_update),
        )
        .route("/order/fulfill/pack", post(fulfil::pack))
        .route("/order/package/rts", post(fulfil::ready_to_ship));
    let auth = Router::new().route(
        "/auth/token/refresh",
        get(token_refresh).post(token_refresh),
    );
    let rest = sim
        .faults
        .layer(api)
        .merge(auth)
        .layer(axum::middleware::from_fn_with_state(sim.clone(), gate))
        .with_state(sim.clone());
    let router = Router::new().nest("/rest", rest);
    let (bound, server) = SimServer::start(router, addr).await?;
    let mut credentials = BTreeMap::new();
    credentials.insert("app_key".to_owned(), sim.app_key.clone());
    credentials.insert("app_secret".to_owned(), sim.app_secret.clone());
    credentials.insert("access_token".to_owned(), sim.access_token());
    credentials.insert("refresh_token".to_owned(), sim.refresh_token());
    let info = SimInfo {
        platform: crate::PLATFORM.to_owned(),
        base_url: format!("http://{bound}/rest"),
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
