//! Webhooks as WooCommerce keeps them: CRUD under `/webhooks` (delete needs
//! `force=true`), the unsigned `webhook_id=N` ping on creation, and deliveries signed
//! `X-WC-Webhook-Signature` = base64(HMAC-SHA256(secret, body)) with WooCommerce's
//! headers; a `deleted` topic's body is `{"id": N}`.

use chrono::Utc;
use http::{HeaderMap, HeaderValue, Method, StatusCode};
use polycart_kit::auth::hmac::{base64, hmac_sha256};
use serde_json::{Value, json};

use super::Hook;
use super::listing::{Keys, POSTS};
use super::render;
use super::routes::{
    R, Req, St, bad_param, id, invalid_id, json_response, list, lock, no_route, wp_error,
};

/// `/webhooks` and `/webhooks/{id}`.
pub(super) fn route(st: &St, req: &Req, seg: &[&str]) -> R {
    let m = &req.method;
    match seg {
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

pub(super) fn spawn_delivery(st: &St, topic: &'static str, id: u64) {
    if lock(&st.extra).hooks.iter().any(|h| h.topic == topic) {
        let st = st.clone();
        tokio::spawn(async move {
            let _ = deliver(&st, topic, id).await;
        });
    }
}

/// The body WooCommerce delivers for `topic` (`order.updated`) about record `id`:
/// the record as the REST API renders it, or `{"id": N}` for a `deleted` topic.
pub(crate) fn delivery_body(st: &St, topic: &str, id: u64) -> Option<Vec<u8>> {
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
    body.map(|b| super::encode::wp_json(&b).into_bytes())
}

/// WooCommerce's delivery headers for `body`, signed with `secret`:
/// `X-WC-Webhook-Signature` = base64(HMAC-SHA256(secret, body)).
pub(crate) fn delivery_headers(
    st: &St,
    topic: &str,
    hook_id: u64,
    secret: &str,
    body: &[u8],
) -> HeaderMap {
    let site = lock(&st.site).clone();
    let (resource, event) = topic.split_once('.').unwrap_or((topic, ""));
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
            base64(&hmac_sha256(secret.as_bytes(), body)),
        ),
        ("x-wc-webhook-id", hook_id.to_string()),
        ("x-wc-webhook-delivery-id", delivery.to_string()),
    ];
    let mut headers = HeaderMap::new();
    for (k, v) in pairs {
        if let Ok(v) = HeaderValue::from_str(&v) {
            headers.insert(k, v);
        }
    }
    headers
}

/// Delivers `topic` about `id` to every active subscriber, signed like WooCommerce.
pub(crate) async fn deliver(st: &St, topic: &str, id: u64) -> Vec<Result<u16, String>> {
    let Some(body) = delivery_body(st, topic, id) else {
        return Vec::new();
    };
    let hooks: Vec<Hook> = lock(&st.extra)
        .hooks
        .iter()
        .filter(|h| h.topic == topic && h.status == "active")
        .cloned()
        .collect();
    let mut out = Vec::new();
    for h in hooks {
        let headers = delivery_headers(st, topic, h.id, &h.secret, &body);
        out.push(
            st.sender
                .deliver(&h.delivery_url, headers, body.clone())
                .await,
        );
    }
    out
}
