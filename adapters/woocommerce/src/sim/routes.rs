//! The simulator's request handling: URL forms, host behaviour, authentication, and
//! the wc/v3 resources (listing with WooCommerce's query parameters and paging
//! headers, single records, writes, batch endpoints, notes, refunds, webhooks).

use std::sync::Arc;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State as AxState;
use axum::response::Response;
use chrono::Utc;
use http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use polycart_kit::auth::hmac::{base64, hmac_sha256};
use polycart_kit::sim::SimStore;
use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::auth::{AuthRequest, authenticate};
use super::host;
use super::listing::{self, Collection, Keys, ListRequest, POSTS, PRODUCTS, TERMS, USERS};
use super::render;
use super::{Hook, SimConfig, State};

type St = Arc<State>;

pub(crate) fn router(state: St) -> Router {
    Router::new().fallback(handle).with_state(state)
}

fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    State::lock(m)
}

pub(super) fn json_response(status: StatusCode, body: &Value) -> Response {
    let mut r = Response::new(Body::from(body.to_string()));
    *r.status_mut() = status;
    r.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=UTF-8"),
    );
    r
}

fn wp_error(status: StatusCode, code: &str, message: &str) -> Response {
    json_response(
        status,
        &json!({"code": code, "message": message, "data": {"status": status.as_u16()}}),
    )
}

fn no_route() -> Response {
    wp_error(
        StatusCode::NOT_FOUND,
        "rest_no_route",
        "No route was found matching the URL and request method.",
    )
}

async fn handle(
    AxState(st): AxState<St>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    st.requests
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let cfg = lock(&st.config).clone();
    let site = lock(&st.site).clone();
    let path = uri.path().to_owned();
    let query: Vec<(String, String)> =
        url::form_urlencoded::parse(uri.query().unwrap_or_default().as_bytes())
            .into_owned()
            .collect();
    let route = if let Some(r) = path.strip_prefix("/wp-json") {
        if cfg.no_permalinks {
            // Without rewrite rules `/wp-json/` is no route: Apache answers its 404 page;
            // nginx's `try_files` hands it to WordPress, which renders the home page.
            return if cfg.no_permalinks_home {
                host::home_page(&site)
            } else {
                host::not_found_page()
            };
        }
        if r.is_empty() {
            "/".to_owned()
        } else {
            r.to_owned()
        }
    } else if path == "/" || path == "/index.php" {
        match listing::param(&query, "rest_route") {
            Some(r) => r.to_owned(),
            None => return host::home_page(&site),
        }
    } else if path.starts_with("/wp-login.php") {
        return host::login_page(&site);
    } else {
        return host::not_found_page();
    };
    let early = {
        let limiter = lock(&st.limiter);
        host::before_api(&cfg, limiter.as_ref(), &site, &uri, &headers)
    };
    if let Some(r) = early {
        return r;
    }
    let mut headers = headers;
    if cfg.strip_authorization {
        headers.remove(http::header::AUTHORIZATION);
    }
    let req = Req {
        method,
        path,
        route,
        query,
        headers,
        body,
        site,
        cfg,
    };
    let response = api(&st, &req);
    host::after_api(&req.cfg, response).await
}

struct Req {
    method: Method,
    path: String,
    route: String,
    query: Vec<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
    site: String,
    cfg: SimConfig,
}

impl Req {
    /// The request as a listing reads it.
    fn listing(&self) -> ListRequest<'_> {
        ListRequest {
            query: &self.query,
            site: &self.site,
            path: &self.path,
        }
    }

    fn param(&self, name: &str) -> Option<&str> {
        listing::param(&self.query, name)
    }

    fn json_body(&self) -> Result<Value, Response> {
        if self.body.is_empty() {
            return Ok(json!({}));
        }
        serde_json::from_slice(&self.body).map_err(|_| {
            wp_error(
                StatusCode::BAD_REQUEST,
                "rest_invalid_json",
                "Invalid JSON body passed.",
            )
        })
    }
}

fn api(st: &St, req: &Req) -> Response {
    let route = req.route.trim_end_matches('/');
    if route.is_empty() {
        let mut namespaces = vec!["oembed/1.0", "wp/v2", "wp-site-health/v1"];
        if !req.cfg.no_woocommerce {
            namespaces.extend(["wc/v1", "wc/v2", "wc/v3", "wc/store/v1", "wc-analytics"]);
        }
        if req.cfg.shipment_tracking && !req.cfg.no_woocommerce {
            namespaces.push("wc-shipment-tracking/v3");
        }
        return json_response(
            StatusCode::OK,
            &json!({"name": "Sim Store", "description": "", "url": req.site, "home": req.site, "namespaces": namespaces, "routes": {}}),
        );
    }
    let (namespace, rest) = if let Some(r) = route.strip_prefix("/wc/v3") {
        ("wc", r)
    } else if let Some(r) = route.strip_prefix("/wc-shipment-tracking/v3") {
        ("tracking", r)
    } else {
        return no_route();
    };
    if req.cfg.no_woocommerce || (namespace == "tracking" && !req.cfg.shipment_tracking) {
        return no_route();
    }
    if rest.is_empty() {
        return json_response(StatusCode::OK, &json!({"namespace": "wc/v3", "routes": {}}));
    }
    let form: Vec<(String, String)> = if req
        .headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"))
    {
        url::form_urlencoded::parse(&req.body)
            .into_owned()
            .collect()
    } else {
        Vec::new()
    };
    let auth_req = AuthRequest {
        method: req.method.as_str(),
        path: &req.path,
        query: &req.query,
        form: &form,
        headers: &req.headers,
        home_url: &req.site,
        ssl: req.cfg.https,
        now: Utc::now().timestamp(),
    };
    let authed = {
        let mut extra = lock(&st.extra);
        authenticate(&auth_req, &st.key, &st.secret, &mut extra.nonces)
    };
    match authed {
        Err(refusal) => {
            let mut r = wp_error(StatusCode::UNAUTHORIZED, refusal.code, &refusal.message);
            if refusal.basic {
                r.headers_mut().insert(
                    http::header::WWW_AUTHENTICATE,
                    HeaderValue::from_static(
                        "Basic realm=\"WooCommerce API. Use a consumer key in the username field and a consumer secret in the password field.\"",
                    ),
                );
            }
            return r;
        }
        Ok(false) => return anonymous(req, rest),
        Ok(true) => {}
    }
    let segments: Vec<&str> = rest.trim_start_matches('/').split('/').collect();
    let result = if namespace == "tracking" {
        tracking(st, req, &segments)
    } else {
        resource(st, req, &segments)
    };
    result.unwrap_or_else(|r| r)
}

/// What a route's permission check answers a request nobody authenticated (WordPress's
/// `rest_authorization_required_code()` is 401 for a visitor).
fn anonymous(req: &Req, rest: &str) -> Response {
    let single = rest
        .rsplit('/')
        .next()
        .is_some_and(|last| !last.is_empty() && last.bytes().all(|b| b.is_ascii_digit()));
    let (code, message) = match req.method {
        Method::POST => (
            "woocommerce_rest_cannot_create",
            "Sorry, you are not allowed to create resources.",
        ),
        Method::PUT | Method::PATCH => (
            "woocommerce_rest_cannot_edit",
            "Sorry, you are not allowed to edit this resource.",
        ),
        Method::DELETE => (
            "woocommerce_rest_cannot_delete",
            "Sorry, you are not allowed to delete this resource.",
        ),
        _ if single => (
            "woocommerce_rest_cannot_view",
            "Sorry, you cannot view this resource.",
        ),
        _ => (
            "woocommerce_rest_cannot_view",
            "Sorry, you cannot list resources.",
        ),
    };
    wp_error(StatusCode::UNAUTHORIZED, code, message)
}

type R = Result<Response, Response>;

fn id(s: &str) -> Result<u64, Response> {
    s.parse().map_err(|_| no_route())
}

fn invalid_id(what: &str) -> Response {
    wp_error(
        StatusCode::NOT_FOUND,
        &format!("woocommerce_rest_{what}_invalid_id"),
        "Invalid ID.",
    )
}

fn resource(st: &St, req: &Req, seg: &[&str]) -> R {
    let m = &req.method;
    let write = matches!(*m, Method::PUT | Method::POST | Method::PATCH);
    match seg {
        ["orders"] if m == Method::GET => list_orders(st, req),
        ["orders", "batch"] if m == Method::POST => batch(st, req, "order"),
        ["orders", oid] if m == Method::GET => {
            let oid = id(oid)?;
            order_json(st, req, oid).map(|v| json_response(StatusCode::OK, &v))
        }
        ["orders", oid] if write => {
            let body = req.json_body()?;
            update_order(st, req, id(oid)?, &body).map(|v| json_response(StatusCode::OK, &v))
        }
        ["orders", oid, "refunds"] if m == Method::GET => {
            let oid = id(oid)?;
            let store = lock(&st.store);
            let o = live_order(&store, oid)?;
            let items = render::refunds(o, &req.site);
            let keys = o
                .refunds
                .iter()
                .map(|r| Keys {
                    id: r.id,
                    created: r.created_at.timestamp(),
                    modified: r.created_at.timestamp(),
                    parent: oid,
                    ..Keys::default()
                })
                .collect();
            drop(store);
            list(req, &POSTS, items, keys)
        }
        ["orders", oid, "notes"] if m == Method::GET => {
            let oid = id(oid)?;
            order_json(st, req, oid)?;
            let notes = lock(&st.extra).notes.get(&oid).cloned().unwrap_or_default();
            Ok(json_response(StatusCode::OK, &Value::Array(notes)))
        }
        ["orders", oid, "notes"] if m == Method::POST => {
            let oid = id(oid)?;
            order_json(st, req, oid)?;
            let body = req.json_body()?;
            let text = body["note"].as_str().unwrap_or_default().to_owned();
            if text.is_empty() {
                return Err(wp_error(
                    StatusCode::BAD_REQUEST,
                    "rest_missing_callback_param",
                    "Missing parameter(s): note",
                ));
            }
            Ok(json_response(
                StatusCode::CREATED,
                &add_note(
                    st,
                    oid,
                    &text,
                    body["customer_note"].as_bool().unwrap_or(false),
                ),
            ))
        }
        ["products"] if m == Method::GET => list_products(st, req),
        ["products", "batch"] if m == Method::POST => batch(st, req, "product"),
        ["products", "categories"] if m == Method::GET => list_categories(st, req),
        ["products", "categories", cid] if m == Method::GET => {
            let cid = id(cid)?;
            let store = lock(&st.store);
            let c = store
                .categories
                .iter()
                .find(|c| c.id == cid)
                .ok_or_else(|| invalid_id("term"))?;
            Ok(json_response(
                StatusCode::OK,
                &render::category(c, count_in(&store, cid), &req.site),
            ))
        }
        ["products", pid] if m == Method::GET => {
            let pid = id(pid)?;
            let store = lock(&st.store);
            if let Some(p) = store.products.iter().find(|p| p.id == pid && !p.deleted) {
                return Ok(json_response(
                    StatusCode::OK,
                    &render::product(p, &store.categories, &req.site),
                ));
            }
            // A variation's id reads through /products/{id} too, as type "variation".
            let (p, v) = store
                .products
                .iter()
                .filter(|p| !p.deleted && render::is_variable(p))
                .find_map(|p| p.variants.iter().find(|v| v.id == pid).map(|v| (p, v)))
                .ok_or_else(|| invalid_id("product"))?;
            let mut body = render::variation(p, v, &req.site);
            body["type"] = json!("variation");
            body["parent_id"] = json!(p.id);
            Ok(json_response(StatusCode::OK, &body))
        }
        ["products", pid] if write => {
            let body = req.json_body()?;
            update_product(st, req, id(pid)?, &body).map(|v| json_response(StatusCode::OK, &v))
        }
        ["products", pid, "variations"] if m == Method::GET => {
            let pid = id(pid)?;
            let store = lock(&st.store);
            let p = live_product(&store, pid)?;
            let (items, keys) = if render::is_variable(p) {
                (
                    p.variants
                        .iter()
                        .map(|v| render::variation(p, v, &req.site))
                        .collect(),
                    p.variants
                        .iter()
                        .map(|v| Keys {
                            id: v.id,
                            created: v.created_at.timestamp(),
                            modified: v.updated_at.max(p.updated_at).timestamp(),
                            name: v.title.clone(),
                            slug: v.sku.clone(),
                            parent: p.id,
                            price: v.price,
                            count: 0,
                        })
                        .collect(),
                )
            } else {
                (Vec::new(), Vec::new())
            };
            drop(store);
            list(req, &POSTS, items, keys)
        }
        ["products", pid, "variations", "batch"] if m == Method::POST => {
            let pid = id(pid)?;
            let body = req.json_body()?;
            let mut out = Vec::new();
            for u in body["update"].as_array().cloned().unwrap_or_default() {
                let vid = u["id"].as_u64().unwrap_or(0);
                match update_variation(st, req, pid, vid, &u) {
                    Ok(v) => out.push(v),
                    Err(_) => out.push(json!({"id": vid, "error": {"code": "woocommerce_rest_product_variation_invalid_id", "message": "Invalid ID.", "data": {"status": 400}}})),
                }
            }
            Ok(json_response(StatusCode::OK, &json!({"update": out})))
        }
        ["products", pid, "variations", vid] if m == Method::GET => {
            let (pid, vid) = (id(pid)?, id(vid)?);
            let store = lock(&st.store);
            let p = live_product(&store, pid)?;
            let v = p
                .variants
                .iter()
                .find(|v| v.id == vid)
                .filter(|_| render::is_variable(p))
                .ok_or_else(|| invalid_id("product_variation"))?;
            Ok(json_response(
                StatusCode::OK,
                &render::variation(p, v, &req.site),
            ))
        }
        ["products", pid, "variations", vid] if write => {
            let body = req.json_body()?;
            update_variation(st, req, id(pid)?, id(vid)?, &body)
                .map(|v| json_response(StatusCode::OK, &v))
        }
        ["customers"] if m == Method::GET => list_customers(st, req),
        ["customers", cid] if m == Method::GET => {
            let cid = id(cid)?;
            let store = lock(&st.store);
            let c = store
                .customers
                .iter()
                .find(|c| c.id == cid && !c.deleted)
                .ok_or_else(|| invalid_id("customer"))?;
            Ok(json_response(
                StatusCode::OK,
                &render::customer(c, &req.site),
            ))
        }
        ["system_status"] if m == Method::GET => {
            let currency = lock(&st.store).currency;
            Ok(json_response(
                StatusCode::OK,
                &json!({
                    "environment": {"home_url": req.site, "site_url": req.site, "version": "9.4.2", "wp_version": "6.7.1",
                                    "php_version": "8.2.12", "wp_memory_limit": 268435456, "language": "en_US"},
                    "database": {"wc_database_version": "9.4.2"},
                    "active_plugins": [],
                    "settings": {"api_enabled": true, "force_ssl": false, "currency": currency, "currency_symbol": "$",
                                 "currency_position": "left", "thousand_separator": ",", "decimal_separator": ".",
                                 "number_of_decimals": 2, "geolocation_enabled": false, "taxonomies": {}},
                    "security": {"secure_connection": false, "hide_errors": !req.cfg.php_notice},
                }),
            ))
        }
        ["webhooks"] if m == Method::GET => {
            let hooks: Vec<Value> = lock(&st.extra)
                .hooks
                .iter()
                .map(|h| hook_json(h, &req.site))
                .collect();
            let keys = hooks
                .iter()
                .map(|h| Keys {
                    id: h["id"].as_u64().unwrap_or(0),
                    name: h["name"].as_str().unwrap_or_default().to_owned(),
                    ..Keys::default()
                })
                .collect();
            list(req, &POSTS, hooks, keys)
        }
        ["webhooks"] if m == Method::POST => create_webhook(st, req),
        ["webhooks", hid] if m == Method::GET => {
            let hid = id(hid)?;
            let extra = lock(&st.extra);
            let h = extra
                .hooks
                .iter()
                .find(|h| h.id == hid)
                .ok_or_else(|| invalid_id("webhook"))?;
            Ok(json_response(StatusCode::OK, &hook_json(h, &req.site)))
        }
        ["webhooks", hid] if m == Method::DELETE => {
            let hid = id(hid)?;
            if req.param("force") != Some("true") && req.param("force") != Some("1") {
                return Err(wp_error(
                    StatusCode::NOT_IMPLEMENTED,
                    "woocommerce_rest_trash_not_supported",
                    "Webhooks do not support trashing.",
                ));
            }
            let mut extra = lock(&st.extra);
            let i = extra
                .hooks
                .iter()
                .position(|h| h.id == hid)
                .ok_or_else(|| invalid_id("webhook"))?;
            let h = extra.hooks.remove(i);
            Ok(json_response(StatusCode::OK, &hook_json(&h, &req.site)))
        }
        _ => Err(no_route()),
    }
}

fn live_order(store: &SimStore, oid: u64) -> Result<&polycart_kit::sim::SimOrder, Response> {
    store
        .orders
        .iter()
        .find(|o| o.id == oid && !o.deleted)
        .ok_or_else(|| invalid_id("shop_order"))
}

fn live_product(store: &SimStore, pid: u64) -> Result<&polycart_kit::sim::SimProduct, Response> {
    store
        .products
        .iter()
        .find(|p| p.id == pid && !p.deleted)
        .ok_or_else(|| invalid_id("product"))
}

fn count_in(store: &SimStore, category: u64) -> usize {
    store
        .products
        .iter()
        .filter(|p| !p.deleted && p.category_ids.contains(&category))
        .count()
}

pub(super) fn bad_param(name: &str, message: &str) -> Response {
    json_response(
        StatusCode::BAD_REQUEST,
        &json!({"code": "rest_invalid_param", "message": format!("Invalid parameter(s): {name}"),
                "data": {"status": 400, "params": {name: message}}}),
    )
}

fn tracking_enabled(req: &Req) -> bool {
    req.cfg.shipment_tracking
}

fn order_json(st: &St, req: &Req, oid: u64) -> Result<Value, Response> {
    let store = lock(&st.store);
    let extra = lock(&st.extra);
    let o = live_order(&store, oid)?;
    Ok(render::order(
        o,
        &store.products,
        &extra,
        &req.site,
        tracking_enabled(req),
    ))
}

fn list(req: &Req, spec: &Collection, items: Vec<Value>, keys: Vec<Keys>) -> R {
    listing::list(&req.listing(), spec, items, keys)
}

/// `status` of `/orders`: a list of statuses, `any` (every status but `trash`) by default.
fn order_statuses(req: &Req) -> Result<Vec<&str>, Response> {
    let statuses: Vec<&str> = req
        .param("status")
        .unwrap_or("any")
        .split(',')
        .map(str::trim)
        .collect();
    for (i, s) in statuses.iter().enumerate() {
        if *s != "any" && !STATUSES.contains(s) {
            return Err(bad_param(
                "status",
                &format!("status[{i}] is not one of any, {}.", STATUSES.join(", ")),
            ));
        }
    }
    Ok(statuses)
}

fn list_orders(st: &St, req: &Req) -> R {
    let statuses = order_statuses(req)?;
    let customer: Option<u64> = match req.param("customer") {
        None => None,
        Some(c) => Some(
            c.parse()
                .map_err(|_| bad_param("customer", "customer is not of type integer."))?,
        ),
    };
    let product: Option<u64> = match req.param("product") {
        None => None,
        Some(c) => Some(
            c.parse()
                .map_err(|_| bad_param("product", "product is not of type integer."))?,
        ),
    };
    let store = lock(&st.store);
    let extra = lock(&st.extra);
    let chosen: Vec<_> = store
        .orders
        .iter()
        .filter(|o| !o.deleted)
        .filter(|o| {
            let s = render::order_status(o, &extra);
            if statuses.contains(&"any") {
                s != "trash"
            } else {
                statuses.contains(&s.as_str())
            }
        })
        .filter(|o| customer.is_none_or(|c| o.customer_id.unwrap_or(0) == c))
        .filter(|o| product.is_none_or(|p| o.line_items.iter().any(|l| l.product_id == p)))
        .collect();
    let items = chosen
        .iter()
        .map(|o| render::order(o, &store.products, &extra, &req.site, tracking_enabled(req)))
        .collect();
    let keys = chosen
        .iter()
        .map(|o| Keys {
            id: o.id,
            created: o.created_at.timestamp(),
            modified: o.updated_at.timestamp(),
            name: o.number.to_string(),
            slug: o.number.to_string(),
            ..Keys::default()
        })
        .collect();
    drop((store, extra));
    list(req, &POSTS, items, keys)
}

const PRODUCT_STATUSES: &[&str] = &[
    "any", "future", "trash", "draft", "pending", "private", "publish",
];

fn list_products(st: &St, req: &Req) -> R {
    let sku = req.param("sku");
    let kind = req.param("type");
    if let Some(k) = kind.filter(|k| !["simple", "grouped", "external", "variable"].contains(k)) {
        return Err(bad_param(
            "type",
            &format!("type is not one of simple, grouped, external, variable ({k})."),
        ));
    }
    let status = req.param("status").unwrap_or("any");
    if !PRODUCT_STATUSES.contains(&status) {
        return Err(bad_param(
            "status",
            &format!("status is not one of {}.", PRODUCT_STATUSES.join(", ")),
        ));
    }
    let category: Option<u64> = req.param("category").and_then(|c| c.parse().ok());
    let store = lock(&st.store);
    let chosen: Vec<_> = store
        .products
        .iter()
        .filter(|p| !p.deleted)
        .filter(|p| sku.is_none_or(|s| !render::is_variable(p) && p.variants[0].sku == s))
        .filter(|p| kind.is_none_or(|k| (k == "variable") == render::is_variable(p)))
        .filter(|p| category.is_none_or(|c| p.category_ids.contains(&c)))
        .filter(|p| status == "any" || render::product_status(p) == status)
        .collect();
    let items = chosen
        .iter()
        .map(|p| render::product(p, &store.categories, &req.site))
        .collect();
    let keys = chosen
        .iter()
        .map(|p| Keys {
            id: p.id,
            created: p.created_at.timestamp(),
            modified: p.updated_at.timestamp(),
            name: p.title.clone(),
            slug: p.handle.clone(),
            price: p.variants.iter().map(|v| v.price).min().unwrap_or_default(),
            ..Keys::default()
        })
        .collect();
    drop(store);
    list(req, &PRODUCTS, items, keys)
}

/// WordPress's role names (`role` of `/customers`; `all` lifts the filter).
const ROLES: &[&str] = &[
    "all",
    "administrator",
    "editor",
    "author",
    "contributor",
    "subscriber",
    "customer",
    "shop_manager",
];

fn list_customers(st: &St, req: &Req) -> R {
    let role = req.param("role").unwrap_or("customer");
    if !ROLES.contains(&role) {
        return Err(bad_param(
            "role",
            &format!("role is not one of {}.", ROLES.join(", ")),
        ));
    }
    let email = req.param("email");
    let store = lock(&st.store);
    // Every simulated customer has the role `customer`.
    let chosen: Vec<_> = store
        .customers
        .iter()
        .filter(|c| !c.deleted && email.is_none_or(|e| e.eq_ignore_ascii_case(&c.email)))
        .filter(|_| role == "all" || role == "customer")
        .collect();
    let items = chosen
        .iter()
        .map(|c| render::customer(c, &req.site))
        .collect();
    let keys = chosen
        .iter()
        .map(|c| Keys {
            id: c.id,
            created: c.created_at.timestamp(),
            modified: c.updated_at.timestamp(),
            name: format!("{} {}", c.first_name, c.last_name),
            ..Keys::default()
        })
        .collect();
    drop(store);
    list(req, &USERS, items, keys)
}

fn list_categories(st: &St, req: &Req) -> R {
    let hide_empty = listing::bool_param(&req.listing(), "hide_empty")?;
    let product: Option<u64> = req.param("product").and_then(|p| p.parse().ok());
    let store = lock(&st.store);
    let chosen: Vec<_> = store
        .categories
        .iter()
        .map(|c| (c, count_in(&store, c.id)))
        .filter(|(_, n)| !hide_empty || *n > 0)
        .filter(|(c, _)| {
            product.is_none_or(|p| {
                store
                    .products
                    .iter()
                    .any(|x| x.id == p && x.category_ids.contains(&c.id))
            })
        })
        .collect();
    let items = chosen
        .iter()
        .map(|(c, n)| render::category(c, *n, &req.site))
        .collect();
    let keys = chosen
        .iter()
        .map(|(c, n)| Keys {
            id: c.id,
            name: c.name.clone(),
            slug: c.handle.clone(),
            parent: c.parent_id.unwrap_or(0),
            count: *n as u64,
            ..Keys::default()
        })
        .collect();
    drop(store);
    list(req, &TERMS, items, keys)
}

const STATUSES: &[&str] = &[
    "pending",
    "processing",
    "on-hold",
    "completed",
    "cancelled",
    "refunded",
    "failed",
    "checkout-draft",
    "trash",
];

fn update_order(st: &St, req: &Req, oid: u64, body: &Value) -> Result<Value, Response> {
    {
        let mut store = lock(&st.store);
        let o = store
            .order_mut(oid)
            .ok_or_else(|| invalid_id("shop_order"))?;
        if let Some(s) = body.get("status").and_then(Value::as_str) {
            if !STATUSES.contains(&s) {
                return Err(bad_param(
                    "status",
                    "status is not one of pending, processing, on-hold, completed, cancelled, refunded, failed, checkout-draft, trash.",
                ));
            }
            lock(&st.extra).order_status.insert(oid, s.to_owned());
            if s == "completed" {
                o.completed_at = Some(Utc::now());
            }
        }
        if let Some(n) = body.get("customer_note").and_then(Value::as_str) {
            o.note = Some(n.to_owned());
        }
        o.updated_at = Utc::now();
    }
    spawn_delivery(st, "order.updated", oid);
    order_json(st, req, oid)
}

fn add_note(st: &St, oid: u64, text: &str, customer_note: bool) -> Value {
    let mut extra = lock(&st.extra);
    extra.next_id += 1;
    let now = Utc::now();
    let note = json!({"id": extra.next_id, "author": "WooCommerce", "date_created": render::local(now),
                      "date_created_gmt": render::gmt(now), "note": text, "customer_note": customer_note});
    extra.notes.entry(oid).or_default().push(note.clone());
    note
}

fn decimal(body: &Value, name: &str) -> Result<Option<Option<Decimal>>, Response> {
    match body.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.is_empty() => Ok(Some(None)),
        Some(Value::String(s)) => s
            .parse()
            .map(|d| Some(Some(d)))
            .map_err(|_| bad_param(name, &format!("{name} is not of type string."))),
        Some(_) => Err(bad_param(name, &format!("{name} is not of type string."))),
    }
}

/// Applies `regular_price`, `sale_price` and `stock_quantity` to one variant.
fn apply_variant(v: &mut polycart_kit::sim::SimVariant, body: &Value) -> Result<(), Response> {
    let regular = decimal(body, "regular_price")?;
    let sale = decimal(body, "sale_price")?;
    let current_regular = v
        .compare_at_price
        .filter(|c| *c > v.price)
        .unwrap_or(v.price);
    let current_sale = v.compare_at_price.filter(|c| *c > v.price).map(|_| v.price);
    let regular = regular
        .unwrap_or(Some(current_regular))
        .unwrap_or(current_regular);
    let sale = sale.unwrap_or(current_sale);
    match sale {
        Some(s) if s < regular => {
            v.price = s;
            v.compare_at_price = Some(regular);
        }
        _ => {
            v.price = regular;
            v.compare_at_price = None;
        }
    }
    if let Some(q) = body.get("stock_quantity") {
        let q = q
            .as_i64()
            .ok_or_else(|| bad_param("stock_quantity", "stock_quantity is not of type integer."))?;
        if let Some(first) = v.stock.first_mut() {
            first.1 = q;
        }
        for s in v.stock.iter_mut().skip(1) {
            s.1 = 0;
        }
    }
    v.updated_at = Utc::now();
    Ok(())
}

fn update_product(st: &St, req: &Req, pid: u64, body: &Value) -> Result<Value, Response> {
    {
        let mut store = lock(&st.store);
        let p = store
            .product_mut(pid)
            .ok_or_else(|| invalid_id("product"))?;
        if let Some(n) = body.get("name").and_then(Value::as_str) {
            p.title = n.to_owned();
        }
        if let Some(s) = body.get("status").and_then(Value::as_str) {
            p.status = match s {
                "publish" => polycart_kit::sim::SimProductStatus::Active,
                "draft" | "pending" => polycart_kit::sim::SimProductStatus::Draft,
                "private" => polycart_kit::sim::SimProductStatus::Archived,
                _ => {
                    return Err(bad_param(
                        "status",
                        "status is not one of draft, pending, private, publish.",
                    ));
                }
            };
        }
        if !render::is_variable(p) {
            apply_variant(&mut p.variants[0], body)?;
        }
        p.updated_at = Utc::now();
    }
    spawn_delivery(st, "product.updated", pid);
    let store = lock(&st.store);
    let p = store
        .products
        .iter()
        .find(|p| p.id == pid)
        .ok_or_else(|| invalid_id("product"))?;
    Ok(render::product(p, &store.categories, &req.site))
}

fn update_variation(
    st: &St,
    req: &Req,
    pid: u64,
    vid: u64,
    body: &Value,
) -> Result<Value, Response> {
    let mut store = lock(&st.store);
    let p = store
        .product_mut(pid)
        .ok_or_else(|| invalid_id("product"))?;
    if !render::is_variable(p) {
        return Err(invalid_id("product_variation"));
    }
    let v = p
        .variants
        .iter_mut()
        .find(|v| v.id == vid)
        .ok_or_else(|| invalid_id("product_variation"))?;
    apply_variant(v, body)?;
    // Saving a variation syncs (and so saves) its parent product.
    p.updated_at = Utc::now();
    let p = store
        .products
        .iter()
        .find(|p| p.id == pid)
        .ok_or_else(|| invalid_id("product"))?;
    let v = p
        .variants
        .iter()
        .find(|v| v.id == vid)
        .ok_or_else(|| invalid_id("product_variation"))?;
    Ok(render::variation(p, v, &req.site))
}

fn batch(st: &St, req: &Req, what: &str) -> R {
    let body = req.json_body()?;
    let updates = body["update"].as_array().cloned().unwrap_or_default();
    let count = updates.len()
        + body["create"].as_array().map_or(0, Vec::len)
        + body["delete"].as_array().map_or(0, Vec::len);
    if count > 100 {
        return Err(wp_error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "woocommerce_rest_request_entity_too_large",
            "Unable to accept more than 100 items for this request.",
        ));
    }
    let mut out = Vec::new();
    for u in updates {
        let rid = u["id"].as_u64().unwrap_or(0);
        let r = if what == "order" {
            update_order(st, req, rid, &u)
        } else {
            update_product(st, req, rid, &u)
        };
        out.push(r.unwrap_or_else(|_| json!({"id": rid, "error": {"code": format!("woocommerce_rest_{what}_invalid_id"), "message": "Invalid ID.", "data": {"status": 400}}})));
    }
    Ok(json_response(StatusCode::OK, &json!({"update": out})))
}

fn hook_json(h: &Hook, site: &str) -> Value {
    let (resource, event) = h.topic.split_once('.').unwrap_or((h.topic.as_str(), ""));
    json!({"id": h.id, "name": h.name, "status": h.status, "topic": h.topic, "resource": resource, "event": event,
           "hooks": [], "delivery_url": h.delivery_url, "date_created": render::local(Utc::now()),
           "date_created_gmt": render::gmt(Utc::now()), "date_modified": null, "date_modified_gmt": null,
           "_links": {"self": [{"href": format!("{site}/wp-json/wc/v3/webhooks/{}", h.id)}]}})
}

fn create_webhook(st: &St, req: &Req) -> R {
    let body = req.json_body()?;
    let topic = body["topic"].as_str().unwrap_or_default().to_owned();
    let url = body["delivery_url"].as_str().unwrap_or_default().to_owned();
    let valid_topic = topic.split_once('.').is_some_and(|(r, e)| {
        ["order", "product", "customer", "coupon"].contains(&r)
            && ["created", "updated", "deleted", "restored"].contains(&e)
    }) || topic.starts_with("action.");
    if !valid_topic {
        return Err(bad_param("topic", "Webhook topic is invalid."));
    }
    if url.is_empty() {
        return Err(wp_error(
            StatusCode::BAD_REQUEST,
            "woocommerce_rest_missing_delivery_url",
            "Webhook delivery URL must be provided.",
        ));
    }
    let hook = {
        let mut extra = lock(&st.extra);
        extra.next_id += 1;
        let hook = Hook {
            id: extra.next_id,
            name: body["name"]
                .as_str()
                .map_or_else(|| format!("Webhook created via the API"), str::to_owned),
            topic,
            delivery_url: url,
            secret: body["secret"].as_str().unwrap_or_default().to_owned(),
            status: body["status"].as_str().unwrap_or("active").to_owned(),
        };
        extra.hooks.push(hook.clone());
        hook
    };
    // WooCommerce pings a new webhook: form-encoded `webhook_id=N`, unsigned.
    let sender = st.sender.clone();
    let (url, hid) = (hook.delivery_url.clone(), hook.id);
    tokio::spawn(async move {
        let mut headers = HeaderMap::new();
        headers.insert(
            http::header::CONTENT_TYPE,
            HeaderValue::from_static("application/x-www-form-urlencoded"),
        );
        let _ = sender
            .deliver(&url, headers, format!("webhook_id={hid}").into_bytes())
            .await;
    });
    Ok(json_response(
        StatusCode::CREATED,
        &hook_json(&hook, &req.site),
    ))
}

fn tracking(st: &St, req: &Req, seg: &[&str]) -> R {
    match seg {
        ["orders", oid, "shipment-trackings"] => {
            let oid = id(oid)?;
            order_json(st, req, oid)?;
            if req.method == Method::GET {
                let items = lock(&st.extra)
                    .trackings
                    .get(&oid)
                    .cloned()
                    .unwrap_or_default();
                return Ok(json_response(StatusCode::OK, &Value::Array(items)));
            }
            if req.method != Method::POST {
                return Err(no_route());
            }
            let body = req.json_body()?;
            let number = body["tracking_number"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            if number.is_empty() {
                return Err(wp_error(
                    StatusCode::BAD_REQUEST,
                    "rest_missing_callback_param",
                    "Missing parameter(s): tracking_number",
                ));
            }
            let item = {
                let mut extra = lock(&st.extra);
                extra.next_id += 1;
                let item = json!({
                    "tracking_id": format!("{:x}", extra.next_id),
                    "tracking_provider": body["tracking_provider"].as_str().unwrap_or_default(),
                    "custom_tracking_provider": body["custom_tracking_provider"].as_str().unwrap_or_default(),
                    "custom_tracking_link": body["custom_tracking_link"].as_str().unwrap_or_default(),
                    "tracking_number": number,
                    "date_shipped": Utc::now().timestamp().to_string(),
                });
                extra.trackings.entry(oid).or_default().push(item.clone());
                item
            };
            if let Some(o) = lock(&st.store).order_mut(oid) {
                o.updated_at = Utc::now();
            }
            Ok(json_response(StatusCode::CREATED, &item))
        }
        _ => Err(no_route()),
    }
}

fn spawn_delivery(st: &St, topic: &'static str, id: u64) {
    if lock(&st.extra).hooks.iter().any(|h| h.topic == topic) {
        let st = st.clone();
        tokio::spawn(async move {
            let _ = deliver(&st, topic, id).await;
        });
    }
}

/// Delivers `topic` about `id` to every active subscriber, signed like WooCommerce:
/// `X-WC-Webhook-Signature` = base64(HMAC-SHA256(secret, body)).
pub(crate) async fn deliver(st: &St, topic: &str, id: u64) -> Vec<Result<u16, String>> {
    let site = lock(&st.site).clone();
    let tracking = lock(&st.config).shipment_tracking;
    let (resource, event) = topic.split_once('.').unwrap_or((topic, ""));
    let body = if event == "deleted" {
        Some(json!({"id": id}))
    } else {
        let store = lock(&st.store);
        let extra = lock(&st.extra);
        match resource {
            "order" => store
                .orders
                .iter()
                .find(|o| o.id == id)
                .map(|o| render::order(o, &store.products, &extra, &site, tracking)),
            "product" => store
                .products
                .iter()
                .find(|p| p.id == id)
                .map(|p| render::product(p, &store.categories, &site)),
            "customer" => store
                .customers
                .iter()
                .find(|c| c.id == id)
                .map(|c| render::customer(c, &site)),
            _ => None,
        }
    };
    let Some(body) = body else { return Vec::new() };
    let body = body.to_string().into_bytes();
    let hooks: Vec<Hook> = lock(&st.extra)
        .hooks
        .iter()
        .filter(|h| h.topic == topic && h.status == "active")
        .cloned()
        .collect();
    let mut out = Vec::new();
    for h in hooks {
        let mut headers = HeaderMap::new();
        let delivery = {
            let mut extra = lock(&st.extra);
            extra.next_id += 1;
            extra.next_id
        };
        let pairs = [
            ("content-type", "application/json".to_owned()),
            (
                "user-agent",
                "WooCommerce/9.4.2 Hookshot (WordPress/6.7.1)".to_owned(),
            ),
            ("x-wc-webhook-source", format!("{site}/")),
            ("x-wc-webhook-topic", topic.to_owned()),
            ("x-wc-webhook-resource", resource.to_owned()),
            ("x-wc-webhook-event", event.to_owned()),
            (
                "x-wc-webhook-signature",
                base64(&hmac_sha256(h.secret.as_bytes(), &body)),
            ),
            ("x-wc-webhook-id", h.id.to_string()),
            ("x-wc-webhook-delivery-id", delivery.to_string()),
        ];
        for (k, v) in pairs {
            if let Ok(v) = HeaderValue::from_str(&v) {
                headers.insert(k, v);
            }
        }
        out.push(
            st.sender
                .deliver(&h.delivery_url, headers, body.clone())
                .await,
        );
    }
    out
}
