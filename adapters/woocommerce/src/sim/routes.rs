//! The simulator's request handling: the two URL forms, the host's behaviour around
//! the API (`host`), authentication (`auth`), and the wc/v3 routes: records, their
//! collections (`collections`), writes (`writes`), webhooks (`hooks`) and the Shipment
//! Tracking extension (`tracking`).

use std::sync::Arc;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State as AxState;
use axum::response::Response;
use chrono::Utc;
use http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use polycart_kit::sim::SimStore;
use serde_json::{Value, json};

use super::auth::{AuthRequest, authenticate};
use super::encode;
use super::host;
use super::listing::{self, Collection, Keys, ListRequest, POSTS};
use super::render;
use super::writes::Batch;
use super::{SimConfig, State};
use super::{collections, hooks, tracking, writes};

pub(super) type St = Arc<State>;

pub(crate) fn router(state: St) -> Router {
    Router::new().fallback(handle).with_state(state)
}

pub(super) fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    State::lock(m)
}

pub(super) fn json_response(status: StatusCode, body: &Value) -> Response {
    let mut r = Response::new(Body::from(encode::wp_json(body)));
    *r.status_mut() = status;
    r.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=UTF-8"),
    );
    r
}

pub(super) fn wp_error(status: StatusCode, code: &str, message: &str) -> Response {
    json_response(
        status,
        &json!({"code": code, "message": message, "data": {"status": status.as_u16()}}),
    )
}

pub(super) fn no_route() -> Response {
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

pub(super) struct Req {
    pub method: Method,
    pub path: String,
    pub route: String,
    pub query: Vec<(String, String)>,
    pub headers: HeaderMap,
    pub body: Bytes,
    pub site: String,
    pub cfg: SimConfig,
}

impl Req {
    /// The request as a listing reads it.
    pub(super) fn listing(&self) -> ListRequest<'_> {
        ListRequest {
            query: &self.query,
            site: &self.site,
            path: &self.path,
        }
    }

    pub(super) fn param(&self, name: &str) -> Option<&str> {
        listing::param(&self.query, name)
    }

    pub(super) fn json_body(&self) -> Result<Value, Response> {
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
        tracking::route(st, req, &segments)
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

pub(super) type R = Result<Response, Response>;

pub(super) fn id(s: &str) -> Result<u64, Response> {
    s.parse().map_err(|_| no_route())
}

pub(super) fn invalid_id(what: &str) -> Response {
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
        ["orders"] if m == Method::GET => collections::orders(st, req),
        ["orders", "batch"] if m == Method::POST => writes::batch(st, req, Batch::Orders),
        ["orders", oid] if m == Method::GET => {
            let oid = id(oid)?;
            order_json(st, req, oid).map(|v| json_response(StatusCode::OK, &v))
        }
        ["orders", oid] if write => {
            let body = req.json_body()?;
            writes::update_order(st, req, id(oid)?, &body)
                .map(|v| json_response(StatusCode::OK, &v))
        }
        ["orders", oid, "refunds"] if m == Method::GET => {
            let oid = id(oid)?;
            let store = lock(&st.store);
            let o = live_order(&store, oid)?;
            let items = render::refunds(o, &store.products, &req.site);
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
                &writes::add_note(
                    st,
                    oid,
                    &text,
                    body["customer_note"].as_bool().unwrap_or(false),
                ),
            ))
        }
        ["products"] if m == Method::GET => collections::products(st, req),
        ["products", "batch"] if m == Method::POST => writes::batch(st, req, Batch::Products),
        ["products", "categories"] if m == Method::GET => collections::categories(st, req),
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
            writes::update_product(st, req, id(pid)?, &body)
                .map(|v| json_response(StatusCode::OK, &v))
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
            writes::batch(st, req, Batch::Variations(id(pid)?))
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
            writes::update_variation(st, req, id(pid)?, id(vid)?, &body)
                .map(|v| json_response(StatusCode::OK, &v))
        }
        ["customers"] if m == Method::GET => collections::customers(st, req),
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
        ["webhooks", ..] => hooks::route(st, req, seg),
        _ => Err(no_route()),
    }
}

pub(super) fn live_order(
    store: &SimStore,
    oid: u64,
) -> Result<&polycart_kit::sim::SimOrder, Response> {
    store
        .orders
        .iter()
        .find(|o| o.id == oid && !o.deleted)
        .ok_or_else(|| invalid_id("shop_order"))
}

pub(super) fn live_product(
    store: &SimStore,
    pid: u64,
) -> Result<&polycart_kit::sim::SimProduct, Response> {
    store
        .products
        .iter()
        .find(|p| p.id == pid && !p.deleted)
        .ok_or_else(|| invalid_id("product"))
}

pub(super) fn count_in(store: &SimStore, category: u64) -> usize {
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

pub(super) fn tracking_enabled(req: &Req) -> bool {
    req.cfg.shipment_tracking
}

pub(super) fn order_json(st: &St, req: &Req, oid: u64) -> Result<Value, Response> {
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

pub(super) fn list(req: &Req, spec: &Collection, items: Vec<Value>, keys: Vec<Keys>) -> R {
    listing::list(&req.listing(), spec, items, keys)
}
