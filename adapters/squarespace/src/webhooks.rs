//! Squarespace's webhook notifications (developers.squarespace.com/webhooks): a JSON
//! body `{id, websiteId, subscriptionId, topic, createdOn, data}` signed in
//! `Squarespace-Signature` with hex(HMAC-SHA256(key = the subscription's secret
//! hex-decoded to bytes, message = the raw body)). Topics: `order.create`,
//! `order.update` (`data.orderId`, `data.update`) and `extension.uninstall`.
//!
//! The secret is returned only when a subscription is created or its secret rotated
//! (Webhook Subscriptions API, OAuth only); the store gives it as the
//! `webhook_secret` credential. A delivery is a hint: it names the order to re-read.

use std::collections::BTreeMap;

use http::HeaderMap;
use polycart_kit::auth::hmac::{constant_time_eq, hex, hmac_sha256};
use polycart_kit::error::decode_json;
use polycart_kit::{Entity, Error, Result, Secret, WebhookEvent, WebhookKind};
use serde::Deserialize;

use crate::PLATFORM;

/// The signature header.
pub const SIGNATURE: &str = "squarespace-signature";

/// The topics polycart reads, per entity.
pub const ORDER_TOPICS: &[&str] = &["order.create", "order.update"];

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Notification {
    id: Option<String>,
    website_id: Option<String>,
    subscription_id: Option<String>,
    topic: String,
    #[serde(default)]
    data: Option<Data>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Data {
    order_id: Option<String>,
    update: Option<String>,
}

/// Bytes of a hex string (either case); `None` if it is not hex.
pub fn unhex(text: &str) -> Option<Vec<u8>> {
    let t = text.trim().as_bytes();
    if t.is_empty() || !t.len().is_multiple_of(2) {
        return None;
    }
    let digit = |b: u8| (b as char).to_digit(16);
    t.chunks(2)
        .map(|pair| Some((digit(pair[0])? * 16 + digit(pair[1])?) as u8))
        .collect()
}

/// The signature Squarespace sends for `body` with the subscription's hex `secret`;
/// `None` when the secret is not hex.
pub fn signature(secret: &str, body: &[u8]) -> Option<String> {
    Some(hex(&hmac_sha256(&unhex(secret)?, body)))
}

/// Verifies one delivery with the subscription's secret.
pub fn verify(secret: Option<&Secret>, headers: &HeaderMap, body: &[u8]) -> Result<WebhookEvent> {
    let secret = secret.ok_or_else(|| {
        Error::auth("no webhook_secret credential: Squarespace deliveries cannot be verified")
    })?;
    let given = headers
        .get(SIGNATURE)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| Error::auth("no Squarespace-Signature header"))?;
    let expected = signature(secret.expose(), body).ok_or_else(|| {
        Error::invalid("the webhook_secret credential is not hex, as Squarespace issues it")
    })?;
    // Hex either case: compare lower-cased, in constant time.
    if !constant_time_eq(
        expected.as_bytes(),
        given.trim().to_ascii_lowercase().as_bytes(),
    ) {
        return Err(Error::auth("the Squarespace-Signature does not match"));
    }
    let n: Notification = decode_json(
        std::str::from_utf8(body).map_err(|_| Error::decode("$", "the delivery is not UTF-8"))?,
    )?;
    let kind = match n.topic.as_str() {
        "order.create" => WebhookKind::Created,
        "order.update" => WebhookKind::Updated,
        "extension.uninstall" => WebhookKind::Uninstalled,
        _ => WebhookKind::Other,
    };
    let entity = n.topic.starts_with("order.").then_some(Entity::Order);
    let data = n.data.unwrap_or(Data {
        order_id: None,
        update: None,
    });
    let mut meta = BTreeMap::new();
    for (k, v) in [
        ("website_id", n.website_id),
        ("subscription_id", n.subscription_id),
        ("update", data.update),
    ] {
        if let Some(v) = v {
            meta.insert(k.to_owned(), v);
        }
    }
    Ok(WebhookEvent {
        platform: PLATFORM.to_owned(),
        topic: n.topic,
        kind,
        entity,
        platform_id: data.order_id,
        record: None,
        delivery_id: n.id,
        meta,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The docs' example: `openssl sha256 -mac hmac -macopt hexkey:$SECRET`, i.e. the
    /// key is the secret's bytes, not its text.
    #[test]
    fn the_key_is_the_hex_decoded_secret() {
        let secret = "F3F9B981C78E7A6187E42853F6CE2804177E98206164779423B02DEC981ACD6B";
        let body = br#"{"id":"5c2ba184b63ed3cb411ce2b1","websiteId":"5f3c3d55ac435e1a051f77b3","subscriptionId":"5f3c2155d947844beedda991","topic":"order.update","createdOn":"2020-04-22T22:18+00:00","data":{"orderId":"5f3c39ce69e11e796f19990e","update":"FULFILLED"}}"#;
        let key = unhex(secret).unwrap();
        assert_eq!(key.len(), 32);
        let sig = signature(secret, body).unwrap();
        assert_eq!(sig, hex(&hmac_sha256(&key, body)));
        assert_ne!(sig, hex(&hmac_sha256(secret.as_bytes(), body)));
        let mut h = HeaderMap::new();
        h.insert(SIGNATURE, sig.to_ascii_uppercase().parse().unwrap());
        let e = verify(Some(&Secret::new(secret)), &h, body).unwrap();
        assert_eq!(e.kind, WebhookKind::Updated);
        assert_eq!(e.platform_id.as_deref(), Some("5f3c39ce69e11e796f19990e"));
        assert_eq!(e.meta["update"], "FULFILLED");
        assert_eq!(e.delivery_id.as_deref(), Some("5c2ba184b63ed3cb411ce2b1"));
        // Another body, no header, another secret, no secret: refused as auth errors.
        assert!(matches!(
            verify(Some(&Secret::new(secret)), &h, b"{}"),
            Err(Error::Auth { .. })
        ));
        assert!(matches!(
            verify(Some(&Secret::new(secret)), &HeaderMap::new(), body),
            Err(Error::Auth { .. })
        ));
        assert!(matches!(
            verify(Some(&Secret::new("00ff")), &h, body),
            Err(Error::Auth { .. })
        ));
        assert!(matches!(verify(None, &h, body), Err(Error::Auth { .. })));
        assert!(unhex("abc").is_none() && unhex("zz").is_none());
    }

    #[test]
    fn topics_read_as_kinds() {
        let secret = "00ff";
        for (topic, kind, entity) in [
            ("order.create", WebhookKind::Created, Some(Entity::Order)),
            ("extension.uninstall", WebhookKind::Uninstalled, None),
            ("something.new", WebhookKind::Other, None),
        ] {
            let body = format!(r#"{{"id":"n1","topic":"{topic}","data":{{}}}}"#);
            let mut h = HeaderMap::new();
            h.insert(
                SIGNATURE,
                signature(secret, body.as_bytes()).unwrap().parse().unwrap(),
            );
            let e = verify(Some(&Secret::new(secret)), &h, body.as_bytes()).unwrap();
            assert_eq!((e.kind, e.entity), (kind, entity), "{topic}");
        }
        // A secret that is not hex is a configuration error, not a forged delivery.
        let mut h = HeaderMap::new();
        h.insert(SIGNATURE, "00".parse().unwrap());
        assert!(matches!(
            verify(Some(&Secret::new("not hex")), &h, b"{}"),
            Err(Error::Invalid { .. })
        ));
    }
}
