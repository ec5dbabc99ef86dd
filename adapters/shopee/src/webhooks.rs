//! Shopee push notifications: a JSON body `{"shop_id", "code", "timestamp", "data"}`
//! whose `Authorization` header is the lowercase hex HMAC-SHA256, keyed with the
//! partner key, of the callback URL exactly as configured in Shopee's console, `|`,
//! and the raw body — checked in constant time before the body is read. Codes read:
//! 3 (order status: `data.ordersn`), 4 (tracking number), 2 (authorisation
//! cancelled: the shop is gone); others are reported as `Other`. Pushes are set in
//! the console (or `v2.push.set_app_push_config`), so nothing is registered here.

use std::collections::BTreeMap;

use http::HeaderMap;
use polycart_kit::auth::hmac::constant_time_eq;
use polycart_kit::decode::Id;
use polycart_kit::error::decode_json;
use polycart_kit::{Entity, Error, Result, Secret, WebhookEvent, WebhookKind};
use serde::Deserialize;

use crate::PLATFORM;
use crate::client::push_sign;

/// The signature header.
pub const SIGNATURE: &str = "authorization";

#[derive(Deserialize)]
struct Push {
    shop_id: Option<Id>,
    code: i64,
    timestamp: Option<i64>,
    #[serde(default)]
    data: Option<Data>,
}

#[derive(Deserialize)]
struct Data {
    ordersn: Option<String>,
    order_sn: Option<String>,
    status: Option<String>,
}

/// The topic of a push code, as `capabilities` names them.
pub fn topic(code: i64) -> String {
    match code {
        1 => "shop_authorization_push".to_owned(),
        2 => "shop_authorization_canceled_push".to_owned(),
        3 => "order_status_push".to_owned(),
        4 => "order_trackingno_push".to_owned(),
        12 => "open_api_authorization_expiry".to_owned(),
        other => format!("push_code_{other}"),
    }
}

/// Verifies one push for the shop `shop_id`, signed for `callback_url`.
pub fn verify(
    partner_key: &Secret,
    callback_url: &str,
    shop_id: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<WebhookEvent> {
    let given = headers
        .get(SIGNATURE)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| Error::auth("no Authorization header on the push"))?;
    let expected = push_sign(callback_url, body, partner_key.expose().as_bytes());
    if !constant_time_eq(expected.as_bytes(), given.trim().as_bytes()) {
        return Err(Error::auth("push signature does not match"));
    }
    let text = std::str::from_utf8(body).map_err(|_| Error::decode("$", "body is not UTF-8"))?;
    let push: Push = decode_json(text)?;
    if let Some(s) = &push.shop_id
        && s.0 != shop_id
    {
        return Err(Error::auth("push is for another shop"));
    }
    let order = push
        .data
        .as_ref()
        .and_then(|d| d.ordersn.clone().or_else(|| d.order_sn.clone()));
    let (entity, kind, platform_id) = match push.code {
        3 | 4 => (Some(Entity::Order), WebhookKind::Updated, order),
        2 => (None, WebhookKind::Uninstalled, None),
        _ => (None, WebhookKind::Other, None),
    };
    if let Some(id) = &platform_id {
        polycart_kit::IdGrammar::Token.check(id)?;
    }
    let mut meta = BTreeMap::new();
    meta.insert("code".to_owned(), push.code.to_string());
    if let Some(t) = push.timestamp {
        meta.insert("timestamp".to_owned(), t.to_string());
    }
    if let Some(s) = push.data.as_ref().and_then(|d| d.status.clone()) {
        meta.insert("status".to_owned(), s);
    }
    Ok(WebhookEvent {
        platform: PLATFORM.to_owned(),
        topic: topic(push.code),
        kind,
        entity,
        platform_id,
        record: None,
        // Shopee gives a push no id; a retried push is the same body.
        delivery_id: None,
        meta,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const URL: &str = "https://hooks.example/v1/hooks/shopee/s1";

    fn signed(body: &str, key: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            SIGNATURE,
            push_sign(URL, body.as_bytes(), key.as_bytes())
                .parse()
                .unwrap(),
        );
        h
    }

    #[test]
    fn a_signed_order_push_names_the_order() {
        let body = r#"{"shop_id":14701711,"code":3,"timestamp":1660123456,"data":{"ordersn":"2404098R48U37H","status":"READY_TO_SHIP","update_time":1660123450}}"#;
        let key = Secret::new("k");
        let e = verify(&key, URL, "14701711", &signed(body, "k"), body.as_bytes()).unwrap();
        assert_eq!(e.entity, Some(Entity::Order));
        assert_eq!(e.platform_id.as_deref(), Some("2404098R48U37H"));
        assert_eq!(e.topic, "order_status_push");
        assert!(
            verify(
                &key,
                URL,
                "14701711",
                &signed(body, "other"),
                body.as_bytes()
            )
            .is_err()
        );
        assert!(
            verify(
                &key,
                "https://elsewhere/",
                "14701711",
                &signed(body, "k"),
                body.as_bytes()
            )
            .is_err()
        );
        assert!(verify(&key, URL, "1", &signed(body, "k"), body.as_bytes()).is_err());
        let tampered = body.replace("READY_TO_SHIP", "CANCELLED");
        assert!(
            verify(
                &key,
                URL,
                "14701711",
                &signed(body, "k"),
                tampered.as_bytes()
            )
            .is_err()
        );
        assert!(verify(&key, URL, "14701711", &HeaderMap::new(), body.as_bytes()).is_err());
    }

    #[test]
    fn a_cancelled_authorisation_is_an_uninstall() {
        let body = r#"{"shop_id":14701711,"code":2,"timestamp":1660123456,"data":{}}"#;
        let key = Secret::new("k");
        let e = verify(&key, URL, "14701711", &signed(body, "k"), body.as_bytes()).unwrap();
        assert_eq!(e.kind, WebhookKind::Uninstalled);
    }
}
