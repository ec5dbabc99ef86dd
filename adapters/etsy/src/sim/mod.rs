//! An Etsy Open API v3 simulator, after Etsy's reference (developers.etsy.com, the
//! published OAS) and what developers report of the live API (etsy/open-api issues):
//!
//! - `POST /v3/public/oauth/token`: `authorization_code` with PKCE (`S256`) and
//!   `refresh_token` grants for the app's `client_id` (no secret); access tokens
//!   (`{user_id}.…`) live an hour, and every refresh **rotates** the refresh token:
//!   the old one is refused (`invalid_grant`) from then on.
//! - Under `/v3/application`: `GET /users/me`, `GET /shops/{shop_id}`, receipts
//!   (`limit` 1–100, `offset`, `min_created`/`max_created`,
//!   `min_last_modified`/`max_last_modified` in unix seconds, `was_paid`,
//!   `was_shipped`, `was_canceled`, `sort_on` `created|updated|receipt_id`,
//!   `sort_order`), one receipt, `POST …/receipts/{id}/tracking`
//!   (`createReceiptShipment`, JSON or form), listings of a shop by `state` with
//!   `includes=Images,Inventory`, one listing (whose `includes` no longer take
//!   `Inventory` in the current OAS), `GET`/`PUT /listings/{id}/inventory`
//!   (the whole inventory replaced; prices and stock checked against
//!   `price_on_property`/`quantity_on_property`), shop sections.
//! - Every request needs `x-api-key: {keystring}:{shared_secret}` (the keystring
//!   alone is refused as Etsy has since 2026-02-09) and a bearer token; errors are
//!   `{"error": "…"}`.
//! - Two rate windows per app: 10 a second (fixed one-second windows) and 10,000 a
//!   day (sliding 24 hours), with `x-limit-per-second`, `x-remaining-this-second`,
//!   `x-limit-per-day`, `x-remaining-today` on every answer; over them 429
//!   `{"error": "Exceeded per second rate limit"}` (the second's headers only, no
//!   `Retry-After`) or `{"error": "Exceeded daily rate limit"}` with `Retry-After`.
//!   The plan option sets both (`qps=5,qpd=200`).
//! - The kit's fault injection, and `order.paid` webhook deliveries signed the
//!   Standard Webhooks way with the endpoint's `whsec_` secret.
//!
//! Rendered from the documented shapes over the kit's generated store, never from the
//! adapter's types. Here: the state and the API's routes; `access.rs` the token
//! endpoint and the gate, `limits.rs` the windows, `inventory.rs` listing inventory,
//! `render.rs` the JSON, `handle.rs` the conformance suite's handle.

// Handlers answer errors as ready responses, as axum does; boxing them buys nothing.
#![allow(clippy::result_large_err)]

mod access;
mod handle;
mod inventory;
mod limits;
mod render;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::Utc;
use futures::future::BoxFuture;
use polycart_kit::auth::pkce_challenge;
use polycart_kit::sim::{
    Faults, FixedWindow, SimFulfillment, SimInfo, SimOptions, SimServer, SimShipment, SimStore,
};
use serde_json::{Value, json};

pub use limits::{Limits, SlidingWindow};
pub use render::{Ids, OnProperty, property_id};

/// How long an access token lives.
pub const TOKEN_LIFETIME: Duration = Duration::from_secs(3600);

/// The OAuth state: live access tokens, the one current refresh token, codes issued.
#[derive(Debug, Default)]
struct Tokens {
    access: HashMap<String, Instant>,
    refresh: String,
    /// code → (its PKCE challenge, redirect URI)
    codes: HashMap<String, (String, String)>,
    issued: u64,
    /// Requests each access token authorised.
    used: HashMap<String, u64>,
}

/// A listing's `*_on_property` lists once a PUT set them.
type OnProperties = HashMap<u64, OnProperty>;

/// A running simulator's state, for tests.
#[derive(Clone)]
pub struct EtsySim {
    store: Arc<Mutex<SimStore>>,
    tokens: Arc<Mutex<Tokens>>,
    on_property: Arc<Mutex<OnProperties>>,
    deleted_sections: Arc<Mutex<HashSet<u64>>>,
    pub shop_id: u64,
    pub user_id: u64,
    pub keystring: String,
    pub shared_secret: String,
    /// The webhook endpoint's signing secret (`whsec_…`).
    pub webhook_secret: String,
    /// The processing profile every offering names.
    pub readiness_state_id: u64,
    faults: Arc<Faults>,
    per_second: Arc<FixedWindow>,
    per_day: Arc<SlidingWindow>,
    pub limits: Limits,
}

impl EtsySim {
    /// The generated store, to read or change.
    pub fn store(&self) -> std::sync::MutexGuard<'_, SimStore> {
        self.store.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn tokens(&self) -> std::sync::MutexGuard<'_, Tokens> {
        self.tokens.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn on_property(&self) -> std::sync::MutexGuard<'_, OnProperties> {
        self.on_property.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn sections_deleted(&self) -> std::sync::MutexGuard<'_, HashSet<u64>> {
        self.deleted_sections
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }

    /// The refresh token Etsy accepts now (each refresh replaces it).
    pub fn current_refresh_token(&self) -> String {
        self.tokens().refresh.clone()
    }

    /// How many requests `access_token` authorised so far.
    pub fn token_uses(&self, access_token: &str) -> u64 {
        self.tokens().used.get(access_token).copied().unwrap_or(0)
    }

    /// Sets which properties a listing's prices, stock and SKUs vary by, as a
    /// merchant editing the listing on Etsy would.
    pub fn set_on_property(&self, listing_id: &str, on: OnProperty) -> bool {
        match Ids::local(Ids::LISTING, listing_id) {
            Some(n) => {
                self.on_property().insert(n, on);
                true
            }
            None => false,
        }
    }

    /// The `*_on_property` lists a listing has now.
    pub fn on_property_of(&self, listing_id: &str) -> Option<OnProperty> {
        let n = Ids::local(Ids::LISTING, listing_id)?;
        let s = self.store();
        let p = s.products.iter().find(|p| p.id == n)?;
        Some(self.on_of(p))
    }

    /// Expires every access token now, as an hour passing would.
    pub fn expire_access_tokens(&self) {
        let past = Instant::now()
            .checked_sub(Duration::from_secs(1))
            .unwrap_or_else(Instant::now);
        for at in self.tokens().access.values_mut() {
            *at = past;
        }
    }

    /// Issues an authorization code for a PKCE flow (what Etsy's consent page does
    /// when the shop owner accepts), bound to the verifier's challenge.
    pub fn authorization_code(&self, code_verifier: &str, redirect_uri: &str) -> String {
        let mut t = self.tokens();
        t.issued += 1;
        let code = format!("code-{}-{}", self.user_id, t.issued);
        t.codes.insert(
            code.clone(),
            (pkce_challenge(code_verifier), redirect_uri.to_owned()),
        );
        code
    }

    fn issue(&self, t: &mut Tokens) -> Value {
        t.issued += 1;
        let access = format!("{}.sim-at-{}", self.user_id, t.issued);
        let refresh = format!("{}.sim-rt-{}", self.user_id, t.issued);
        t.access
            .insert(access.clone(), Instant::now() + TOKEN_LIFETIME);
        t.refresh = refresh.clone();
        json!({
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": TOKEN_LIFETIME.as_secs(),
            "refresh_token": refresh,
        })
    }

    /// The `*_on_property` lists of a listing: as a PUT left them, else as generated.
    fn on_of(&self, p: &polycart_kit::sim::SimProduct) -> OnProperty {
        self.on_property()
            .get(&p.id)
            .cloned()
            .unwrap_or_else(|| OnProperty::of(p))
    }

    fn listing_view(
        &self,
        p: &polycart_kit::sim::SimProduct,
        currency: &str,
        images: bool,
        inventory: bool,
    ) -> Value {
        render::listing(
            p,
            &render::ListingView {
                shop_id: self.shop_id,
                user_id: self.user_id,
                currency,
                readiness: self.readiness_state_id,
                on: self.on_of(p),
                images,
                inventory,
            },
        )
    }
}

/// An Etsy error answer.
fn error(status: StatusCode, message: &str) -> Response {
    (status, axum::Json(json!({ "error": message }))).into_response()
}

fn not_found(what: &str) -> Response {
    error(StatusCode::NOT_FOUND, what)
}

type Params = HashMap<String, String>;

/// A non-negative integer parameter within `max`, or Etsy's 400.
fn int(q: &Params, name: &str, default: u64, max: u64) -> Result<u64, Response> {
    match q.get(name) {
        None => Ok(default),
        Some(v) => v.parse::<u64>().ok().filter(|n| *n <= max).ok_or_else(|| {
            error(
                StatusCode::BAD_REQUEST,
                &format!("Expected int <= {max} for {name}, got {v:?}"),
            )
        }),
    }
}

fn boolean(q: &Params, name: &str) -> Result<Option<bool>, Response> {
    match q.get(name).map(String::as_str) {
        None => Ok(None),
        Some("true" | "1") => Ok(Some(true)),
        Some("false" | "0") => Ok(Some(false)),
        Some(v) => Err(error(
            StatusCode::BAD_REQUEST,
            &format!("Expected boolean for {name}, got {v:?}"),
        )),
    }
}

/// `{"count": N, "results": [...]}` of one page: `limit` 1–100 (default 25), `offset`.
fn page(rows: Vec<Value>, q: &Params) -> Response {
    let limit = match int(q, "limit", 25, 100) {
        Ok(0) => return error(StatusCode::BAD_REQUEST, "Expected int >= 1 for limit"),
        Ok(n) => n as usize,
        Err(r) => return r,
    };
    let offset = match int(q, "offset", 0, u64::from(u32::MAX)) {
        Ok(n) => n as usize,
        Err(r) => return r,
    };
    let count = rows.len();
    let results: Vec<Value> = rows.into_iter().skip(offset).take(limit).collect();
    axum::Json(json!({ "count": count, "results": results })).into_response()
}

fn check_shop(sim: &EtsySim, shop: &str) -> Result<(), Response> {
    if shop == sim.shop_id.to_string() {
        Ok(())
    } else if shop.parse::<u64>().is_ok() {
        Err(error(
            StatusCode::FORBIDDEN,
            "The application does not have permission to access this shop.",
        ))
    } else {
        Err(error(StatusCode::BAD_REQUEST, "Expected int for shop_id"))
    }
}

async fn me(State(sim): State<EtsySim>) -> Response {
    axum::Json(json!({ "user_id": sim.user_id, "shop_id": sim.shop_id })).into_response()
}

async fn shop(State(sim): State<EtsySim>, Path(shop): Path<String>) -> Response {
    if let Err(r) = check_shop(&sim, &shop) {
        return r;
    }
    let s = sim.store();
    let active = s
        .products
        .iter()
        .filter(|p| !p.deleted && render::state(p) == "active")
        .count();
    axum::Json(render::shop(
        sim.shop_id,
        sim.user_id,
        &s.name,
        s.currency,
        active,
    ))
    .into_response()
}

/// The receipt filters of `getShopReceipts`.
fn receipt_rows(sim: &EtsySim, q: &Params) -> Result<Vec<Value>, Response> {
    let bound = |name: &str| -> Result<Option<i64>, Response> {
        match q.get(name) {
            None => Ok(None),
            Some(v) => v
                .parse::<i64>()
                .ok()
                .filter(|n| *n >= 946_684_800)
                .map(Some)
                .ok_or_else(|| {
                    error(
                        StatusCode::BAD_REQUEST,
                        &format!("Expected int >= 946684800 for {name}, got {v:?}"),
                    )
                }),
        }
    };
    let (min_c, max_c) = (bound("min_created")?, bound("max_created")?);
    let (min_m, max_m) = (bound("min_last_modified")?, bound("max_last_modified")?);
    let was_paid = boolean(q, "was_paid")?;
    let was_shipped = boolean(q, "was_shipped")?;
    let was_canceled = boolean(q, "was_canceled")?;
    let s = sim.store();
    let mut rows: Vec<Value> = s
        .orders
        .iter()
        .filter(|o| !o.deleted)
        .map(|o| render::receipt(o, sim.shop_id, sim.user_id))
        .filter(|r| {
            let c = r["created_timestamp"].as_i64().unwrap_or(0);
            let m = r["updated_timestamp"].as_i64().unwrap_or(0);
            let flag = |k: &str, want: Option<bool>| want.is_none_or(|w| r[k].as_bool() == Some(w));
            min_c.is_none_or(|b| c >= b)
                && max_c.is_none_or(|b| c <= b)
                && min_m.is_none_or(|b| m >= b)
                && max_m.is_none_or(|b| m <= b)
                && flag("is_paid", was_paid)
                && flag("is_shipped", was_shipped)
                && was_canceled.is_none_or(|w| (r["status"] == "Canceled") == w)
        })
        .collect();
    let key = match q.get("sort_on").map(String::as_str) {
        None | Some("created") => "created_timestamp",
        Some("updated") => "updated_timestamp",
        Some("receipt_id") => "receipt_id",
        Some(other) => {
            return Err(error(
                StatusCode::BAD_REQUEST,
                &format!("sort_on must be one of created, updated, receipt_id; got {other:?}"),
            ));
        }
    };
    let descending = match q.get("sort_order").map(String::as_str) {
        None | Some("desc" | "descending" | "down") => true,
        Some("asc" | "ascending" | "up") => false,
        Some(other) => {
            return Err(error(
                StatusCode::BAD_REQUEST,
                &format!("sort_order {other:?} is not valid"),
            ));
        }
    };
    rows.sort_by_key(|r| {
        (
            r[key].as_i64().unwrap_or(0),
            r["receipt_id"].as_u64().unwrap_or(0),
        )
    });
    if descending {
        rows.reverse();
    }
    Ok(rows)
}

async fn receipts(
    State(sim): State<EtsySim>,
    Path(shop): Path<String>,
    Query(q): Query<Params>,
) -> Response {
    if let Err(r) = check_shop(&sim, &shop) {
        return r;
    }
    match receipt_rows(&sim, &q) {
        Ok(rows) => page(rows, &q),
        Err(r) => r,
    }
}

fn order_number(sim: &EtsySim, id: &str) -> Option<u64> {
    let n = Ids::local(Ids::RECEIPT, id)?;
    sim.store()
        .orders
        .iter()
        .any(|o| o.id == n && !o.deleted)
        .then_some(n)
}

async fn receipt(State(sim): State<EtsySim>, Path((shop, id)): Path<(String, String)>) -> Response {
    if let Err(r) = check_shop(&sim, &shop) {
        return r;
    }
    let Some(n) = order_number(&sim, &id) else {
        return not_found(&format!("Receipt {id} not found"));
    };
    let s = sim.store();
    match s.orders.iter().find(|o| o.id == n) {
        Some(o) => axum::Json(render::receipt(o, sim.shop_id, sim.user_id)).into_response(),
        None => not_found(&format!("Receipt {id} not found")),
    }
}

/// A JSON or form body as a map of fields.
fn fields(headers: &HeaderMap, body: &[u8]) -> Result<serde_json::Map<String, Value>, Response> {
    let form = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if form {
        return Ok(url::form_urlencoded::parse(body)
            .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned())))
            .collect());
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(m)) => Ok(m),
        _ => Err(error(
            StatusCode::BAD_REQUEST,
            "Expected a JSON object body",
        )),
    }
}

/// `createReceiptShipment`: adds a shipment to the receipt (each call adds one).
async fn tracking(
    State(sim): State<EtsySim>,
    Path((shop, id)): Path<(String, String)>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    if let Err(r) = check_shop(&sim, &shop) {
        return r;
    }
    let f = match fields(&headers, &body) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let text = |k: &str| f.get(k).and_then(Value::as_str).map(str::to_owned);
    let (code, carrier) = (text("tracking_code"), text("carrier_name"));
    if code.is_some() != carrier.is_some() {
        return error(
            StatusCode::BAD_REQUEST,
            "tracking_code and carrier_name must be sent together",
        );
    }
    let Some(n) = order_number(&sim, &id) else {
        return not_found(&format!("Receipt {id} not found"));
    };
    let mut s = sim.store();
    let shipment_id = s.fresh_id();
    let Some(o) = s.order_mut(n) else {
        return not_found(&format!("Receipt {id} not found"));
    };
    let now = Utc::now();
    o.shipments.push(SimShipment {
        id: shipment_id,
        carrier: carrier.unwrap_or_default(),
        tracking_number: code.unwrap_or_default(),
        tracking_url: String::new(),
        status: "shipped".to_owned(),
        lines: o.line_items.iter().map(|l| (l.id, l.quantity)).collect(),
        created_at: now,
    });
    o.fulfillment = SimFulfillment::Fulfilled;
    o.updated_at = now;
    axum::Json(render::receipt(o, sim.shop_id, sim.user_id)).into_response()
}

/// `includes` as a set of names (comma-separated or repeated).
fn includes(q: &Params) -> HashSet<String> {
    q.get("includes")
        .map(|v| v.split(',').map(|s| s.trim().to_owned()).collect())
        .unwrap_or_default()
}

async fn listings(
    State(sim): State<EtsySim>,
    Path(shop): Path<String>,
    Query(q): Query<Params>,
) -> Response {
    if let Err(r) = check_shop(&sim, &shop) {
        return r;
    }
    let state = q.get("state").map_or("active", String::as_str);
    if !["active", "inactive", "sold_out", "draft", "expired"].contains(&state) {
        return error(StatusCode::BAD_REQUEST, &format!("Invalid state {state:?}"));
    }
    let inc = includes(&q);
    let s = sim.store();
    let mut rows: Vec<&polycart_kit::sim::SimProduct> = s
        .products
        .iter()
        .filter(|p| !p.deleted && render::state(p) == state)
        .collect();
    let descending = !matches!(
        q.get("sort_order").map(String::as_str),
        Some("asc" | "ascending" | "up")
    );
    match q.get("sort_on").map(String::as_str) {
        None | Some("created") => rows.sort_by_key(|p| (p.created_at.timestamp(), p.id)),
        Some("updated") => rows.sort_by_key(|p| (p.updated_at.timestamp(), p.id)),
        Some("title") => rows.sort_by(|a, b| a.title.cmp(&b.title).then(a.id.cmp(&b.id))),
        Some("price") => rows.sort_by_key(|p| (p.variants.first().map(|v| v.price), p.id)),
        Some(other) => {
            return error(
                StatusCode::BAD_REQUEST,
                &format!("Invalid sort_on {other:?}"),
            );
        }
    }
    if descending {
        rows.reverse();
    }
    let rows = rows
        .into_iter()
        .map(|p| {
            sim.listing_view(
                p,
                s.currency,
                inc.contains("Images"),
                inc.contains("Inventory"),
            )
        })
        .collect();
    page(rows, &q)
}

fn listing_number(sim: &EtsySim, id: &str) -> Option<u64> {
    let n = Ids::local(Ids::LISTING, id)?;
    sim.store()
        .products
        .iter()
        .any(|p| p.id == n && !p.deleted)
        .then_some(n)
}

/// `updateListing`: the fields the simulator keeps (`title`, `state` active or
/// inactive), JSON or form.
async fn update_listing(
    State(sim): State<EtsySim>,
    Path((shop, id)): Path<(String, String)>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    if let Err(r) = check_shop(&sim, &shop) {
        return r;
    }
    let f = match fields(&headers, &body) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let Some(n) = listing_number(&sim, &id) else {
        return not_found(&format!("Listing {id} not found"));
    };
    let title = match f.get("title") {
        None => None,
        Some(Value::String(t)) if !t.trim().is_empty() && t.chars().count() <= 140 => {
            Some(t.clone())
        }
        Some(_) => return error(StatusCode::BAD_REQUEST, "title must be 1 to 140 characters"),
    };
    let state = match f.get("state").and_then(Value::as_str) {
        None => None,
        Some("active") => Some(polycart_kit::sim::SimProductStatus::Active),
        Some("inactive") => Some(polycart_kit::sim::SimProductStatus::Archived),
        Some(other) => {
            return error(
                StatusCode::BAD_REQUEST,
                &format!("state {other:?} cannot be set"),
            );
        }
    };
    let mut s = sim.store();
    let currency = s.currency;
    let Some(p) = s.product_mut(n) else {
        return not_found(&format!("Listing {id} not found"));
    };
    if let Some(t) = title {
        p.title = t;
    }
    if let Some(st) = state {
        p.status = st;
    }
    p.updated_at = Utc::now();
    let p = p.clone();
    drop(s);
    axum::Json(sim.listing_view(&p, currency, false, false)).into_response()
}

async fn listing(
    State(sim): State<EtsySim>,
    Path(id): Path<String>,
    Query(q): Query<Params>,
) -> Response {
    let Some(n) = listing_number(&sim, &id) else {
        return not_found(&format!("Listing {id} not found"));
    };
    // `getListing`'s includes, as the current OAS lists them: `Inventory` and
    // `Shipping` are `getListingsByShop`'s only.
    let inc = includes(&q);
    if let Some(bad) = inc
        .iter()
        .find(|i| !["Images", "Shop", "User", "Translations", "Videos"].contains(&i.as_str()))
    {
        return error(
            StatusCode::BAD_REQUEST,
            &format!("Invalid value for includes: {bad:?}"),
        );
    }
    let s = sim.store();
    match s.products.iter().find(|p| p.id == n) {
        Some(p) => axum::Json(sim.listing_view(p, s.currency, inc.contains("Images"), false))
            .into_response(),
        None => not_found(&format!("Listing {id} not found")),
    }
}

fn section_rows(sim: &EtsySim) -> Vec<Value> {
    let s = sim.store();
    let deleted = sim.sections_deleted();
    s.categories
        .iter()
        .filter(|c| !deleted.contains(&c.id))
        .map(|c| {
            let active = s
                .products
                .iter()
                .filter(|p| !p.deleted && p.category_ids.first() == Some(&c.id))
                .count();
            render::section(c, sim.user_id, active)
        })
        .collect()
}

async fn sections(State(sim): State<EtsySim>, Path(shop): Path<String>) -> Response {
    if let Err(r) = check_shop(&sim, &shop) {
        return r;
    }
    let rows = section_rows(&sim);
    axum::Json(json!({ "count": rows.len(), "results": rows })).into_response()
}

async fn section(State(sim): State<EtsySim>, Path((shop, id)): Path<(String, String)>) -> Response {
    if let Err(r) = check_shop(&sim, &shop) {
        return r;
    }
    let want: Option<u64> = id.parse().ok();
    section_rows(&sim)
        .into_iter()
        .find(|s| s["shop_section_id"].as_u64() == want)
        .map_or_else(
            || not_found(&format!("Shop section {id} not found")),
            |s| axum::Json(s).into_response(),
        )
}

/// Starts the simulator and returns a handle on its state (for tests).
pub async fn start(options: SimOptions, addr: SocketAddr) -> std::io::Result<(SimServer, EtsySim)> {
    let limits = Limits::parse(options.plan.as_deref()).map_err(std::io::Error::other)?;
    let user_id = 50_000_000 + options.seed;
    let sim = EtsySim {
        store: Arc::new(Mutex::new(SimStore::generate(options.seed, options.size))),
        tokens: Arc::default(),
        on_property: Arc::default(),
        deleted_sections: Arc::default(),
        shop_id: 30_000_000 + options.seed,
        user_id,
        keystring: format!("simkeystring{}", options.seed),
        shared_secret: format!("simsharedsecret{}", options.seed),
        webhook_secret: format!(
            "whsec_{}",
            polycart_kit::auth::hmac::base64(
                format!("etsy-sim-signing-key-{}", options.seed).as_bytes()
            )
        ),
        readiness_state_id: 1_000 + options.seed,
        faults: Faults::new(options.faults.clone(), options.seed),
        per_second: Arc::new(FixedWindow::new(limits.per_second, Duration::from_secs(1))),
        per_day: Arc::new(SlidingWindow::new(
            limits.per_day,
            Duration::from_secs(86_400),
        )),
        limits,
    };
    let first = {
        let mut t = sim.tokens();
        sim.issue(&mut t)
    };
    let api = Router::new()
        .route("/users/me", get(me))
        .route("/shops/{shop_id}", get(shop))
        .route("/shops/{shop_id}/receipts", get(receipts))
        .route("/shops/{shop_id}/receipts/{receipt_id}", get(receipt))
        .route(
            "/shops/{shop_id}/receipts/{receipt_id}/tracking",
            post(tracking),
        )
        .route("/shops/{shop_id}/listings", get(listings))
        .route(
            "/shops/{shop_id}/listings/{listing_id}",
            axum::routing::patch(update_listing),
        )
        .route("/shops/{shop_id}/sections", get(sections))
        .route("/shops/{shop_id}/sections/{shop_section_id}", get(section))
        .route("/listings/{listing_id}", get(listing))
        .route(
            "/listings/{listing_id}/inventory",
            get(inventory::get_inventory).put(inventory::put_inventory),
        );
    let api = sim
        .faults
        .layer(api)
        .layer(axum::middleware::from_fn_with_state(
            sim.clone(),
            access::gate,
        ))
        .with_state(sim.clone());
    let router = Router::new().nest("/v3/application", api).route(
        "/v3/public/oauth/token",
        post(access::token).with_state(sim.clone()),
    );
    let (bound, server) = SimServer::start(router, addr).await?;
    let text = |k: &str| first[k].as_str().unwrap_or_default().to_owned();
    let credentials = BTreeMap::from([
        ("keystring".to_owned(), sim.keystring.clone()),
        ("shared_secret".to_owned(), sim.shared_secret.clone()),
        ("access_token".to_owned(), text("access_token")),
        ("refresh_token".to_owned(), text("refresh_token")),
        ("webhook_secret".to_owned(), sim.webhook_secret.clone()),
    ]);
    let info = SimInfo {
        platform: crate::PLATFORM.to_owned(),
        base_url: format!("http://{bound}/v3/application/shops/{}", sim.shop_id),
        credentials,
    };
    let per_second = sim.per_second.clone();
    Ok((
        server
            .with_info(info)
            .with_meter("per_second", move |now| per_second.usage(now))
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
