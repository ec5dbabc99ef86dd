//! Lazada Push Mechanism deliveries, verified: the `Authorization` header is the hex
//! HMAC-SHA256 of `app_key + raw body` keyed with the app secret (Lazada's push guide;
//! compared in constant time, either case of hex accepted). The body is
//! `{"seller_id","message_type","data","timestamp","site"}`: `message_type` 0 is a
//! trade (or reverse) order change (`data.trade_order_id`), 3 a product published or
//! SKU added, 4 a product edited, 5 a product (`action: DELETED`) or SKU
//! (`EDITED_DELETED`) deleted (`data.item_id`), 8 a token-expiry alert. Pushes are
//! hints: the app re-reads the record.

use std::collections::BTreeMap;

use http::HeaderMap;
use polycart_kit::adapter::WebhookKind;
use polycart_kit::auth::hmac::{constant_time_eq, hex, hmac_sha256};
use polycart_kit::{Entity, Error, Result, Secret, WebhookEvent};
use serde_json::Value;

use crate::PLATFORM;

/// The signature Lazada sends for `body`.
pub fn signature(app_key: &str, app_secret: &str, body: &[u8]) -> String {
    let mut msg = Vec::with_capacity(app_key.len() + body.len());
    msg.extend_from_slice(app_key.as_bytes());
    msg.extend_from_slice(body);
    hex(&hmac_sha256(app_secret.as_bytes(), &msg))
}

/// Checks a push and reads what it is about.
pub fn verify(
    app_key: &Secret,
    app_secret: &Secret,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<WebhookEvent> {
    let given = headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().to_ascii_lowercase())
        .ok_or_else(|| Error::auth("push without an Authorization signature"))?;
    let expected = signature(app_key.expose(), app_secret.expose(), body);
    if !constant_time_eq(expected.as_bytes(), given.as_bytes()) {
        return Err(Error::auth("push signature does not match"));
    }
    let v: Value =
        serde_json::from_slice(body).map_err(|_| Error::decode("$", "push body is not JSON"))?;
    let text = |v: Option<&Value>| match v {
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    };
    let message_type = v.get("message_type").and_then(Value::as_i64);
    let data = v.get("data");
    let field = |name: &str| text(data.and_then(|d| d.get(name)));
    let action = field("action");
    let (topic, entity, kind, platform_id) = match message_type {
        Some(0) => {
            let id = field("trade_order_id")
                .ok_or_else(|| Error::decode("$.data.trade_order_id", "missing"))?;
            let topic = if field("reverse_order_id").is_some() {
                "reverse_order"
            } else {
                "trade_order"
            };
            (
                topic.to_owned(),
                Some(Entity::Order),
                WebhookKind::Updated,
                Some(id),
            )
        }
        Some(t @ 3..=5) => {
            let id = field("item_id").ok_or_else(|| Error::decode("$.data.item_id", "missing"))?;
            let kind = match (t, action.as_deref()) {
                (3, _) => WebhookKind::Created,
                (5, Some("DELETED")) => WebhookKind::Deleted,
                _ => WebhookKind::Updated,
            };
            let topic = format!(
                "product_{}",
                action.as_deref().unwrap_or("changed").to_ascii_lowercase()
            );
            (topic, Some(Entity::Product), kind, Some(id))
        }
        Some(8) => (
            "token_expiration".to_owned(),
            None,
            WebhookKind::Other,
            None,
        ),
        Some(t) => (format!("message_type_{t}"), None, WebhookKind::Other, None),
        None => return Err(Error::decode("$.message_type", "missing")),
    };
    let mut meta = BTreeMap::new();
    for key in ["seller_id", "site", "timestamp"] {
        if let Some(s) = text(v.get(key)) {
            meta.insert(key.to_owned(), s);
        }
    }
    if let Some(s) = text(data.and_then(|d| d.get("order_status"))) {
        meta.insert("order_status".to_owned(), s);
    }
    // Lazada pushes at least once and retries a message unchanged; a message is its
    // type, record, line (an order's sub-order) and status time.
    let line = field("trade_order_line_id").unwrap_or_default();
    let at = field("status_update_time").unwrap_or_default();
    let delivery_id = platform_id
        .as_ref()
        .map(|id| format!("{}:{id}:{line}:{at}", message_type.unwrap_or_default()));
    Ok(WebhookEvent {
        platform: PLATFORM.to_owned(),
        topic,
        kind,
        entity,
        platform_id,
        record: None,
        delivery_id,
        meta,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Lazada's push guide ("Authorization"): its Java sample's inputs and signature.
    #[test]
    fn the_official_push_example_signs_as_published() {
        let body = r#"{"seller_id":"1234567", "message_type":0, "data":{...}..}"#;
        assert_eq!(
            signature("123456", "3412gyo124goi3124", body.as_bytes()),
            "f3d2ca947f16a50b577c036adecd18bec126ea19cadedd59816e255d3b6104ab"
        );
    }

    #[test]
    fn product_pushes_name_the_item() {
        let push = br#"{"seller_id":"100056775","message_type":5,"data":{"item_id":1807508328,"sku_list":[],"action":"DELETED","status_update_time":1623230820094},"timestamp":1623230820,"site":"LAZADA_SG"}"#;
        let mut headers = HeaderMap::new();
        headers.insert(
            http::header::AUTHORIZATION,
            signature("k", "s", push).parse().unwrap(),
        );
        let e = verify(&"k".into(), &"s".into(), &headers, push).unwrap();
        assert_eq!(
            (e.entity, e.kind, e.platform_id.as_deref()),
            (
                Some(Entity::Product),
                WebhookKind::Deleted,
                Some("1807508328")
            )
        );
    }

    /// platforms.md Appendix A: app_key 123456, secret test_app_secret.
    #[test]
    fn appendix_vector_and_constant_time_check() {
        let body = br#"{"id":1001,"status":"paid"}"#;
        assert_eq!(
            signature("123456", "test_app_secret", body),
            "ac4d6bd1841701e98251367839cf185d16aafddbde77361d88139dcfbe449f6f"
        );
        let push = br#"{"seller_id":"1","message_type":0,"data":{"order_status":"pending","trade_order_id":"42"},"timestamp":1,"site":"lazada_sg"}"#;
        let mut headers = HeaderMap::new();
        let sig = signature("k", "s", push).to_ascii_uppercase();
        headers.insert(http::header::AUTHORIZATION, sig.parse().unwrap());
        let e = verify(&"k".into(), &"s".into(), &headers, push).unwrap();
        assert_eq!(e.platform_id.as_deref(), Some("42"));
        assert_eq!(e.entity, Some(Entity::Order));
        assert_eq!(e.delivery_id.as_deref(), Some("0:42::"));
        assert!(verify(&"k".into(), &"other".into(), &headers, push).is_err());
        assert!(verify(&"k".into(), &"s".into(), &HeaderMap::new(), push).is_err());
    }
}
