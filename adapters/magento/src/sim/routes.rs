//! The simulator's HTTP side: one handler that reads the store view from the path
//! (`/rest/{code}/V1/...` or `/rest/V1/...`), applies the host's behaviour (CDN
//! throttling, HTML pages), checks auth (admin tokens, the integration's bearer token,
//! OAuth 1.0a signatures), and answers Magento's routes with Magento's bodies,
//! including its errors (`{"message": "...%1...", "parameters": [...]}`).

use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State as AxumState;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use hmac::{Hmac, Mac};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use serde_json::{Value, json};
use sha2::Sha256;

use super::search::{Criteria, Fields, answer};
use super::{
    ACCESS_TOKEN, ACCESS_TOKEN_SECRET, ADMIN_PASSWORD, ADMIN_USERNAME, CONSUMER_KEY,
    CONSUMER_SECRET, State, data,
};

const STORE_CODES: &[&str] = &["default", "all", "de"];

pub(crate) fn router(state: Arc<State>) -> Router {
    Router::new().fallback(handle).with_state(state)
}

fn reply(status: StatusCode, body: Value) -> Response {
    (status, axum::Json(body)).into_response()
}

/// Magento's error body.
fn error(status: StatusCode, message: &str, parameters: Value) -> Response {
    let mut body = json!({ "message": message });
    if !parameters.is_null() {
        body["parameters"] = parameters;
    }
    reply(status, body)
}

fn unauthorized(resource: &str) -> Response {
    error(
        StatusCode::UNAUTHORIZED,
        "The consumer isn't authorized to access %resources.",
        json!({ "resources": resource }),
    )
}

fn now() -> String {
    data::stamp(chrono::Utc::now())
}

/// RFC 3986 unreserved characters stay, everything else is encoded (RFC 5849 §3.6).
const RFC3986: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

fn enc(s: &str) -> String {
    utf8_percent_encode(s, RFC3986).to_string()
}

fn dec(s: &str) -> String {
    percent_decode_str(s).decode_utf8_lossy().into_owned()
}

/// Checks an `Authorization: OAuth ...` header (HMAC-SHA256 over the RFC 5849 base
/// string) against the integration's credentials.
fn oauth_ok(header: &str, method: &Method, host: &str, uri: &Uri) -> bool {
    let Some(params) = header.strip_prefix("OAuth ") else {
        return false;
    };
    let mut protocol: Vec<(String, String)> = Vec::new();
    let mut signature = None;
    for part in params.split(',') {
        let Some((k, v)) = part.trim().split_once('=') else {
            return false;
        };
        let v = dec(v.trim().trim_matches('"'));
        match k {
            "oauth_signature" => signature = Some(v),
            "realm" => {}
            _ => protocol.push((k.to_owned(), v)),
        }
    }
    let value = |k: &str| {
        protocol
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.as_str())
    };
    if value("oauth_consumer_key") != Some(CONSUMER_KEY)
        || value("oauth_token") != Some(ACCESS_TOKEN)
        || value("oauth_signature_method") != Some("HMAC-SHA256")
    {
        return false;
    }
    let Some(signature) = signature else {
        return false;
    };
    let mut all: Vec<(String, String)> =
        url::form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
            .map(|(k, v)| (enc(&k), enc(&v)))
            .collect();
    all.extend(protocol.iter().map(|(k, v)| (enc(k), enc(v))));
    all.sort();
    let normalized: Vec<String> = all.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let base = format!(
        "{}&{}&{}",
        method.as_str(),
        enc(&format!(
            "http://{}{}",
            host.to_ascii_lowercase(),
            uri.path()
        )),
        enc(&normalized.join("&"))
    );
    let key = format!("{}&{}", enc(CONSUMER_SECRET), enc(ACCESS_TOKEN_SECRET));
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(key.as_bytes()) else {
        return false;
    };
    mac.update(base.as_bytes());
    let expected = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    expected == signature
}

/// Whether the request carries credentials Magento accepts.
fn authorised(s: &State, method: &Method, headers: &HeaderMap, uri: &Uri) -> bool {
    let Some(auth) = headers.get("authorization").and_then(|v| v.to_str().ok()) else {
        return false;
    };
    if let Some(token) = auth.strip_prefix("Bearer ") {
        let token = token.trim();
        if token == ACCESS_TOKEN {
            return !State::lock(&s.config).no_bearer;
        }
        let lifetime = State::lock(&s.config).admin_token_lifetime;
        return State::lock(&s.admin_tokens)
            .get(token)
            .is_some_and(|issued| issued.elapsed() < lifetime);
    }
    let host = headers
        .get("host")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("localhost");
    oauth_ok(auth, method, host, uri)
}

fn admin_login(s: &State, body: &[u8]) -> Response {
    s.logins.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let v: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    if State::lock(&s.config).two_factor {
        return error(
            StatusCode::UNAUTHORIZED,
            "Please use the 2fa provider-specific endpoints to obtain a token.",
            Value::Null,
        );
    }
    if v["username"].as_str() != Some(ADMIN_USERNAME)
        || v["password"].as_str() != Some(ADMIN_PASSWORD)
    {
        return error(
            StatusCode::UNAUTHORIZED,
            "The account sign-in was incorrect or your account is disabled temporarily. Please wait and try again later.",
            Value::Null,
        );
    }
    let n = s.logins.load(std::sync::atomic::Ordering::Relaxed);
    let token = format!("admintoken{n:08}{:016x}", rand::random::<u64>());
    State::lock(&s.admin_tokens).insert(token.clone(), Instant::now());
    reply(StatusCode::OK, json!(token))
}

async fn handle(
    AxumState(s): AxumState<Arc<State>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let n = s
        .requests
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    if let Some(limiter) = State::lock(&s.limiter).as_ref()
        && limiter.take(Instant::now()).is_err()
    {
        let mut r = (
            StatusCode::TOO_MANY_REQUESTS,
            [("content-type", "text/html")],
            "<html><body><h1>429 Too Many Requests</h1><p>Fastly</p></body></html>",
        )
            .into_response();
        r.headers_mut()
            .insert("retry-after", HeaderValue::from_static("1"));
        return r;
    }
    if method == Method::GET && State::lock(&s.config).html_pages && n % 10 == 9 {
        return (
            StatusCode::OK,
            [("content-type", "text/html")],
            "<!doctype html><html><body>Service temporarily unavailable (maintenance)</body></html>",
        )
            .into_response();
    }
    let Some(rest) = uri.path().strip_prefix("/rest/") else {
        return error(
            StatusCode::NOT_FOUND,
            "Request does not match any route.",
            Value::Null,
        );
    };
    let segments: Vec<String> = rest.split('/').map(dec).collect();
    let (code, route) = match segments.first().map(String::as_str) {
        Some("V1") => ("default".to_owned(), &segments[..]),
        Some(code) => (code.to_owned(), &segments[1..]),
        None => ("default".to_owned(), &segments[..]),
    };
    if !STORE_CODES.contains(&code.as_str()) {
        return error(
            StatusCode::BAD_REQUEST,
            "Requested store is not found",
            Value::Null,
        );
    }
    let route: Vec<&str> = route.iter().map(String::as_str).collect();
    if route.first() != Some(&"V1") {
        return error(
            StatusCode::NOT_FOUND,
            "Request does not match any route.",
            Value::Null,
        );
    }
    let route = &route[1..];
    if method == Method::POST && route == ["integration", "admin", "token"] {
        return admin_login(&s, &body);
    }
    if !authorised(&s, &method, &headers, &uri) {
        return unauthorized("Magento_Backend::admin");
    }
    let query: Vec<(String, String)> =
        url::form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
            .into_owned()
            .collect();
    let body: Value = if body.is_empty() {
        Value::Null
    } else {
        match serde_json::from_slice(&body) {
            Ok(v) => v,
            Err(_) => {
                return error(
                    StatusCode::BAD_REQUEST,
                    "Decoding error: %1",
                    json!(["the body is not JSON"]),
                );
            }
        }
    };
    let answer = route_request(&s, &method, route, &query, &body);
    match query
        .iter()
        .find(|(k, _)| k == "fields")
        .and_then(|(_, f)| Fields::parse(f))
    {
        Some(fields) if answer.0.is_success() => reply(answer.0, fields.apply(&answer.1)),
        _ => reply(answer.0, answer.1),
    }
}

type Answer = (StatusCode, Value);

fn ok(v: Value) -> Answer {
    (StatusCode::OK, v)
}

fn fail(status: StatusCode, message: &str, parameters: Value) -> Answer {
    let mut body = json!({ "message": message });
    if !parameters.is_null() {
        body["parameters"] = parameters;
    }
    (status, body)
}

fn missing() -> Answer {
    fail(
        StatusCode::NOT_FOUND,
        "The entity that was requested doesn't exist. Verify the entity and try again.",
        Value::Null,
    )
}

fn search(s: &State, docs: Vec<&Value>, query: &[(String, String)], id_field: &str) -> Answer {
    let mut c = match Criteria::parse(query) {
        Ok(c) => c,
        Err(e) => return fail(StatusCode::BAD_REQUEST, &e, Value::Null),
    };
    if State::lock(&s.config).input_limits {
        match c.page_size {
            Some(n) if n > 300 => {
                return fail(
                    StatusCode::BAD_REQUEST,
                    "Maximum SearchCriteria pageSize is %max",
                    json!({ "max": 300 }),
                );
            }
            None => c.page_size = Some(20),
            _ => {}
        }
    }
    ok(answer(docs, &c, id_field))
}

fn route_request(
    s: &State,
    method: &Method,
    route: &[&str],
    query: &[(String, String)],
    body: &Value,
) -> Answer {
    let mut d = State::lock(&s.docs);
    let id = |x: &str| x.parse::<u64>().ok();
    match (method.as_str(), route) {
        ("GET", ["store", "storeConfigs"]) => ok(json!(STORE_CODES[..1]
            .iter()
            .chain(std::iter::once(&"de"))
            .enumerate()
            .map(|(i, code)| json!({
                "id": i + 1, "code": code, "website_id": 1, "locale": if *code == "de" { "de_DE" } else { "en_US" },
                "base_currency_code": d.currency, "default_display_currency_code": d.currency,
                "timezone": "UTC", "weight_unit": "kgs",
                "base_url": "http://localhost/", "base_link_url": "http://localhost/",
                "base_media_url": "http://localhost/media/",
            }))
            .collect::<Vec<_>>())),
        ("GET", ["orders"]) => search(s, d.orders.values().collect(), query, "entity_id"),
        ("GET", ["orders", x]) => id(x).and_then(|i| d.orders.get(&i)).map_or_else(missing, |o| ok(o.clone())),
        ("POST", ["orders", x, action @ ("cancel" | "hold" | "unhold")]) => {
            let Some(o) = id(x).and_then(|i| d.orders.get_mut(&i)) else {
                return missing();
            };
            let state = o["state"].as_str().unwrap_or_default().to_owned();
            let (allowed, to) = match *action {
                "cancel" => (!matches!(state.as_str(), "canceled" | "complete" | "closed" | "holded" | "payment_review"), "canceled"),
                "hold" => (!matches!(state.as_str(), "holded" | "payment_review" | "canceled" | "complete" | "closed"), "holded"),
                _ => (state == "holded", "processing"),
            };
            if allowed {
                o["state"] = json!(to);
                o["status"] = json!(to);
                o["updated_at"] = json!(now());
                if to == "canceled"
                    && let Some(items) = o["items"].as_array_mut()
                {
                    for i in items {
                        i["qty_canceled"] = i["qty_ordered"].clone();
                    }
                }
            }
            ok(json!(allowed))
        }
        ("POST", ["orders", x, "comments"]) => {
            let Some(order) = id(x) else { return missing() };
            let Some(o) = d.orders.get_mut(&order) else {
                return missing();
            };
            let Some(comment) = body["statusHistory"]["comment"].as_str() else {
                return fail(StatusCode::BAD_REQUEST, "\"%fieldName\" is required. Enter and try again.", json!({"fieldName": "comment"}));
            };
            let entry = json!({"comment": comment, "created_at": now(), "parent_id": order, "is_customer_notified": body["statusHistory"]["is_customer_notified"], "status": o["status"]});
            if let Some(h) = o["status_histories"].as_array_mut() {
                h.insert(0, entry);
            }
            o["updated_at"] = json!(now());
            State::lock(&s.comments).entry(order).or_default().push(comment.to_owned());
            ok(json!(true))
        }
        ("POST", ["order", x, "ship"]) => ship(&mut d, x, body),
        ("GET", ["shipments"]) => search(s, d.shipments.iter().collect(), query, "entity_id"),
        ("GET", ["creditmemos"]) => search(s, d.creditmemos.iter().collect(), query, "entity_id"),
        ("GET", ["products"]) => search(s, d.products.values().collect(), query, "entity_id"),
        ("GET", ["products", sku]) => d
            .product_by_sku(sku)
            .and_then(|i| d.products.get(&i))
            .map_or_else(product_missing, |p| ok(p.clone())),
        ("PUT", ["products", sku]) => {
            let Some(pid) = d.product_by_sku(sku) else {
                return product_missing();
            };
            let p = d.products.get_mut(&pid).expect("found by sku");
            let new = &body["product"];
            if !new.is_object() {
                return fail(StatusCode::BAD_REQUEST, "\"%fieldName\" is required. Enter and try again.", json!({"fieldName": "product"}));
            }
            for field in ["name", "status", "visibility"] {
                if !new[field].is_null() {
                    p[field] = new[field].clone();
                }
            }
            if let Some(price) = new["price"].as_str().and_then(|x| x.parse::<f64>().ok()).or(new["price"].as_f64()) {
                p["price"] = json!(price);
            }
            p["updated_at"] = json!(now());
            ok(p.clone())
        }
        ("GET", ["configurable-products", sku, "children"]) => {
            let Some(pid) = d.product_by_sku(sku) else {
                return product_missing();
            };
            let kids: Vec<Value> = d
                .children
                .get(&pid)
                .map(|ids| ids.iter().filter_map(|i| d.products.get(i).cloned()).collect())
                .unwrap_or_default();
            ok(json!(kids))
        }
        ("GET", ["products", "attributes", x]) => {
            let found = d.attributes.iter().find(|(_, (id, code, _))| id.to_string() == *x || code == x);
            match found {
                Some((label, (id, code, options))) => {
                    let mut opts = vec![json!({"label": " ", "value": ""})];
                    opts.extend(options.iter().map(|(v, l)| json!({"label": l, "value": v.to_string()})));
                    ok(json!({
                        "attribute_id": id, "attribute_code": code, "frontend_input": "select",
                        "default_frontend_label": label, "is_required": false, "is_user_defined": true,
                        "scope": "global", "options": opts,
                    }))
                }
                None => fail(
                    StatusCode::NOT_FOUND,
                    "The attribute with a \"%1\" attributeCode doesn't exist. Verify the attribute and try again.",
                    json!([x]),
                ),
            }
        }
        ("GET", ["webhooks", "list"]) => ok(json!(d.webhooks)),
        ("POST", ["webhooks", "subscribe"]) => {
            let w = &body["webhook"];
            let names_ok = |k: &str| {
                w[k].as_str().is_some_and(|v| !v.is_empty() && v.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
            };
            for k in ["hook_name", "url", "webhook_method", "webhook_type", "batch_name"] {
                if w[k].as_str().is_none_or(str::is_empty) {
                    return fail(StatusCode::BAD_REQUEST, "\"%fieldName\" is required. Enter and try again.", json!({"fieldName": k}));
                }
            }
            let method = w["webhook_method"].as_str().unwrap_or_default();
            if !names_ok("hook_name") || !names_ok("batch_name") || !(method.starts_with("observer.") || method.starts_with("plugin.")) || !matches!(w["webhook_type"].as_str(), Some("before" | "after")) {
                return fail(StatusCode::BAD_REQUEST, "Invalid webhook data: %1", json!([method]));
            }
            let key = |h: &Value| (h["webhook_method"].clone(), h["webhook_type"].clone(), h["batch_name"].clone(), h["hook_name"].clone());
            let mut hook = json!({"batch_order": 0, "priority": 0, "required": false, "soft_timeout": 0, "timeout": 0, "method": "", "fallback_error_message": "", "ttl": 0, "fields": [], "rules": [], "headers": []});
            for (k, v) in w.as_object().into_iter().flatten() {
                hook[k] = v.clone();
            }
            d.webhooks.retain(|h| key(h) != key(&hook));
            d.webhooks.push(hook);
            ok(json!(true))
        }
        ("POST", ["webhooks", "unsubscribe"]) => {
            let w = &body["webhook"];
            let before = d.webhooks.len();
            d.webhooks.retain(|h| {
                !["webhook_method", "webhook_type", "batch_name", "hook_name"].iter().all(|k| h[*k] == w[*k])
            });
            if d.webhooks.len() == before {
                return fail(StatusCode::NOT_FOUND, "The webhook was not found", Value::Null);
            }
            ok(json!(true))
        }
        ("GET", ["stockItems", sku]) => d
            .product_by_sku(sku)
            .and_then(|i| d.products.get(&i))
            .map_or_else(product_missing, |p| ok(p["extension_attributes"]["stock_item"].clone())),
        ("PUT", ["products", sku, "stockItems", item]) => {
            let Some(pid) = d.product_by_sku(sku) else {
                return product_missing();
            };
            let p = d.products.get_mut(&pid).expect("found by sku");
            let item_id = &p["extension_attributes"]["stock_item"]["item_id"];
            if item.parse::<u64>().ok() != item_id.as_u64() {
                return fail(StatusCode::BAD_REQUEST, "The stock item was not found. Verify the stock item and try again.", Value::Null);
            }
            let new = &body["stockItem"];
            let Some(qty) = new["qty"].as_f64() else {
                return fail(StatusCode::BAD_REQUEST, "\"%fieldName\" is required. Enter and try again.", json!({"fieldName": "qty"}));
            };
            let stock = &mut p["extension_attributes"]["stock_item"];
            stock["qty"] = json!(qty);
            stock["is_in_stock"] = new["is_in_stock"].clone();
            p["updated_at"] = json!(now());
            ok(json!(pid))
        }
        ("GET", ["customers", "search"]) => search(s, d.customers.values().collect(), query, "entity_id"),
        ("GET", ["customers", x]) => id(x).and_then(|i| d.customers.get(&i)).map_or_else(missing, |c| ok(c.clone())),
        ("GET", ["categories"]) => ok(tree(&d, 2)),
        ("GET", ["categories", "list"]) => search(s, d.categories.values().collect(), query, "entity_id"),
        ("GET", ["categories", x]) => id(x).and_then(|i| d.categories.get(&i)).map_or_else(missing, |c| ok(c.clone())),
        ("GET", ["inventory", "source-items"]) => search(s, d.source_items.iter().collect(), query, "sku"),
        ("POST", ["inventory", "source-items"]) => {
            let Some(items) = body["sourceItems"].as_array() else {
                return fail(StatusCode::BAD_REQUEST, "\"%fieldName\" is required. Enter and try again.", json!({"fieldName": "sourceItems"}));
            };
            for item in items {
                let (Some(sku), Some(source)) = (item["sku"].as_str(), item["source_code"].as_str()) else {
                    return fail(StatusCode::BAD_REQUEST, "Validation Failed", Value::Null);
                };
                if !d.sources.iter().any(|x| x == source) {
                    return fail(StatusCode::BAD_REQUEST, "Validation Failed", Value::Null);
                }
                let quantity = item["quantity"].clone();
                let status = item["status"].clone();
                match d
                    .source_items
                    .iter_mut()
                    .find(|x| x["sku"] == sku && x["source_code"] == source)
                {
                    Some(x) => {
                        x["quantity"] = quantity;
                        x["status"] = status;
                    }
                    None => d.source_items.push(json!({"sku": sku, "source_code": source, "quantity": quantity, "status": status})),
                }
            }
            ok(json!([]))
        }
        _ => fail(StatusCode::NOT_FOUND, "Request does not match any route.", Value::Null),
    }
}

fn product_missing() -> Answer {
    fail(
        StatusCode::NOT_FOUND,
        "The product that was requested doesn't exist. Verify the product and try again.",
        Value::Null,
    )
}

/// `GET /V1/categories`: the tree under `root`.
fn tree(d: &data::Docs, root: u64) -> Value {
    let Some(node) = d.categories.get(&root) else {
        return Value::Null;
    };
    let children: Vec<Value> = d
        .categories
        .values()
        .filter(|c| c["parent_id"].as_u64() == Some(root))
        .filter_map(|c| c["id"].as_u64())
        .map(|id| tree(d, id))
        .collect();
    json!({
        "id": node["id"], "parent_id": node["parent_id"], "name": node["name"],
        "is_active": node["is_active"], "position": node["position"], "level": node["level"],
        "product_count": 0, "children_data": children,
    })
}

/// `POST /V1/order/{id}/ship`: a shipment of the chosen items (all that is left without
/// any), with its tracks; answers the shipment id.
fn ship(d: &mut data::Docs, x: &str, body: &Value) -> Answer {
    let Some(order_id) = x.parse::<u64>().ok() else {
        return missing();
    };
    let shipment_id = d.fresh_id();
    let Some(o) = d.orders.get_mut(&order_id) else {
        return missing();
    };
    let invalid = || {
        fail(
            StatusCode::BAD_REQUEST,
            "Shipment Document Validation Error(s):\nThe order does not allow a shipment to be created.",
            Value::Null,
        )
    };
    if matches!(
        o["state"].as_str(),
        Some("canceled" | "holded" | "payment_review" | "complete" | "closed")
    ) {
        return invalid();
    }
    let left = |i: &Value| {
        i["qty_ordered"].as_f64().unwrap_or(0.0)
            - i["qty_shipped"].as_f64().unwrap_or(0.0)
            - i["qty_canceled"].as_f64().unwrap_or(0.0)
    };
    let items = o["items"].as_array().cloned().unwrap_or_default();
    let wanted: Vec<(u64, f64)> = match body["items"].as_array() {
        Some(req) if !req.is_empty() => req
            .iter()
            .map(|r| {
                (
                    r["order_item_id"].as_u64().unwrap_or(0),
                    r["qty"].as_f64().unwrap_or(0.0),
                )
            })
            .collect(),
        _ => items
            .iter()
            .filter(|i| i["parent_item_id"].is_null() && left(i) > 0.0)
            .map(|i| (i["item_id"].as_u64().unwrap_or(0), left(i)))
            .collect(),
    };
    if wanted.is_empty() {
        return invalid();
    }
    for (item, qty) in &wanted {
        match items.iter().find(|i| i["item_id"].as_u64() == Some(*item)) {
            Some(i) if *qty > 0.0 && *qty <= left(i) => {}
            _ => return invalid(),
        }
    }
    if let Some(list) = o["items"].as_array_mut() {
        for i in list.iter_mut() {
            if let Some((_, q)) = wanted
                .iter()
                .find(|(id, _)| i["item_id"].as_u64() == Some(*id))
            {
                i["qty_shipped"] = json!(i["qty_shipped"].as_f64().unwrap_or(0.0) + q);
            }
        }
    }
    let all_shipped = o["items"].as_array().is_some_and(|l| {
        l.iter()
            .filter(|i| i["parent_item_id"].is_null())
            .all(|i| left(i) <= 0.0)
    });
    let paid = !o["base_total_paid"].is_null();
    o["state"] = json!(if all_shipped && paid {
        "complete"
    } else {
        "processing"
    });
    o["status"] = o["state"].clone();
    o["updated_at"] = json!(now());
    let tracks: Vec<Value> = body["tracks"]
        .as_array()
        .map(|t| {
            t.iter()
                .map(|t| json!({"track_number": t["track_number"], "title": t["title"], "carrier_code": t["carrier_code"], "order_id": order_id, "parent_id": shipment_id}))
                .collect()
        })
        .unwrap_or_default();
    let doc = json!({
        "entity_id": shipment_id, "order_id": order_id, "increment_id": format!("{shipment_id:09}"),
        "created_at": now(), "updated_at": now(),
        "total_qty": wanted.iter().map(|(_, q)| q).sum::<f64>(),
        "items": wanted.iter().map(|(i, q)| json!({"order_item_id": i, "qty": q, "parent_id": shipment_id})).collect::<Vec<_>>(),
        "tracks": tracks, "comments": [],
    });
    d.shipments.push(doc);
    ok(json!(shipment_id.to_string()))
}
