//! BigCommerce webhooks: Standard Webhooks signature checks (`webhook-id`,
//! `webhook-timestamp`, `webhook-signature: v1,<base64>` over `id.timestamp.body`,
//! keyed with the app's client secret), the optional custom header secret a hook was
//! registered with, and the mapping of a thin callback (`scope`, `data.type`,
//! `data.id`) to a [`WebhookEvent`] naming the record to fetch.

use std::collections::BTreeMap;
use std::time::Duration;

use base64::Engine;
use http::HeaderMap;
use polycart_kit::auth::hmac::{constant_time_eq, hmac_sha256};
use polycart_kit::error::decode_json;
use polycart_kit::{Entity, Error, Result, Secret, WebhookEvent, WebhookKind};
use serde_json::Value;

use crate::PLATFORM;
use crate::wire::Callback;

/// Checks deliveries for one store.
#[derive(Debug, Clone)]
pub struct Verifier {
    pub client_secret: Option<Secret>,
    /// Lower-case header name and its expected value.
    pub header: Option<(String, Secret)>,
    pub tolerance: Duration,
}

/// The HMAC key of a Standard Webhooks secret: `whsec_<base64>` decodes to its bytes;
/// anything else (a BigCommerce client secret as the store shows it) is used as is.
pub fn signing_key(secret: &str) -> Vec<u8> {
    secret
        .strip_prefix("whsec_")
        .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
        .unwrap_or_else(|| secret.as_bytes().to_vec())
}

/// `v1,<base64 HMAC-SHA256(key, "{id}.{timestamp}.{body}")>`.
pub fn signature(key: &[u8], id: &str, timestamp: &str, body: &[u8]) -> String {
    let mut content = Vec::with_capacity(id.len() + timestamp.len() + body.len() + 2);
    content.extend_from_slice(id.as_bytes());
    content.push(b'.');
    content.extend_from_slice(timestamp.as_bytes());
    content.push(b'.');
    content.extend_from_slice(body);
    format!(
        "v1,{}",
        polycart_kit::auth::hmac::base64(&hmac_sha256(key, &content))
    )
}

fn header<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers.get(name)?.to_str().ok().map(str::trim)
}

impl Verifier {
    /// Verifies a delivery at `now` (unix seconds) and reads it.
    pub fn verify_at(&self, headers: &HeaderMap, body: &[u8], now: i64) -> Result<WebhookEvent> {
        if self.client_secret.is_none() && self.header.is_none() {
            return Err(Error::auth(
                "no webhook secret configured for this store (client_secret)",
            ));
        }
        if let Some((name, expected)) = &self.header {
            let given = header(headers, name).unwrap_or_default();
            if !constant_time_eq(given.as_bytes(), expected.expose().as_bytes()) {
                return Err(Error::auth(format!(
                    "webhook header {name} is missing or wrong"
                )));
            }
        }
        let mut webhook_id = None;
        if let Some(secret) = &self.client_secret {
            let id =
                header(headers, "webhook-id").ok_or_else(|| Error::auth("missing webhook-id"))?;
            let ts = header(headers, "webhook-timestamp")
                .ok_or_else(|| Error::auth("missing webhook-timestamp"))?;
            let sigs = header(headers, "webhook-signature")
                .ok_or_else(|| Error::auth("missing webhook-signature"))?;
            let at: i64 = ts
                .parse()
                .map_err(|_| Error::auth("webhook-timestamp is not unix seconds"))?;
            if (now - at).unsigned_abs() > self.tolerance.as_secs() {
                return Err(Error::auth(
                    "webhook-timestamp is outside the tolerance (replayed or skewed)",
                ));
            }
            let expected = signature(&signing_key(secret.expose()), id, ts, body);
            // The header may carry several space-separated signatures (key rotation).
            let ok = sigs
                .split(' ')
                .any(|s| constant_time_eq(s.trim().as_bytes(), expected.as_bytes()));
            if !ok {
                return Err(Error::auth("webhook-signature does not match"));
            }
            webhook_id = Some(id.to_owned());
        }
        let mut event = event(body)?;
        if let Some(id) = webhook_id {
            event.delivery_id = Some(id.clone());
            event.meta.insert("webhook_id".into(), id);
        }
        Ok(event)
    }
}

fn id_text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        _ => None,
    }
}

/// Reads a callback (no signature check): which record it names and what happened.
/// The payload is thin, so `record` is always `None`; the engine fetches the record.
pub fn event(body: &[u8]) -> Result<WebhookEvent> {
    let cb: Callback = std::str::from_utf8(body)
        .ok()
        .and_then(|text| decode_json(text).ok())
        .ok_or_else(|| Error::invalid("the webhook body is not a BigCommerce callback"))?;
    let data = &cb.data;
    let parts: Vec<&str> = cb.scope.split('/').collect();
    let last = parts.last().copied().unwrap_or_default();
    let change = match last {
        "created" => WebhookKind::Created,
        "deleted" | "archived" => WebhookKind::Deleted,
        _ => WebhookKind::Updated,
    };
    let data_id = id_text(data.get("id"));
    let (entity, platform_id, kind) = match parts.get(1..).unwrap_or_default() {
        ["app", "uninstalled"] => (None, None, WebhookKind::Uninstalled),
        ["order", ..] => (
            Some(Entity::Order),
            data_id,
            if parts.len() == 3 {
                change
            } else {
                WebhookKind::Updated
            },
        ),
        ["shipment", ..] => (
            Some(Entity::Order),
            id_text(data.get("orderId")),
            WebhookKind::Updated,
        ),
        ["product", "inventory", ..] => (Some(Entity::Product), data_id, WebhookKind::Updated),
        ["product", ..] => (Some(Entity::Product), data_id, change),
        ["sku", ..] => {
            let product = data
                .get("sku")
                .or_else(|| data.get("inventory"))
                .and_then(|s| id_text(s.get("product_id")));
            (Some(Entity::Product), product, WebhookKind::Updated)
        }
        ["customer", "address", ..] => {
            let customer = data
                .get("address")
                .and_then(|a| id_text(a.get("customer_id")));
            (Some(Entity::Customer), customer, WebhookKind::Updated)
        }
        ["customer", ..] => (Some(Entity::Customer), data_id, change),
        ["category", ..] => (Some(Entity::Category), data_id, change),
        ["channel", _, "inventory", ..] => {
            let level = id_text(data.get("variant_id")).zip(id_text(data.get("location_id")));
            (
                Some(Entity::Inventory),
                level.map(|(v, l)| format!("{v}:{l}")),
                WebhookKind::Updated,
            )
        }
        _ => (None, None, WebhookKind::Other),
    };
    let mut meta = BTreeMap::new();
    if let Some(s) = &cb.store_id {
        meta.insert("store_id".into(), s.0.clone());
    }
    if let Some(p) = &cb.producer {
        meta.insert("producer".into(), p.clone());
    }
    if let Some(h) = &cb.hash {
        meta.insert("hash".into(), h.clone());
    }
    if let Some(t) = cb.created_at {
        meta.insert("created_at".into(), t.to_string());
    }
    if let Some(t) = data.get("type").and_then(Value::as_str) {
        meta.insert("data_type".into(), t.to_owned());
    }
    Ok(WebhookEvent {
        platform: PLATFORM.to_owned(),
        topic: cb.scope,
        kind,
        entity,
        platform_id: entity.and(platform_id),
        record: None,
        delivery_id: cb.hash.clone(),
        meta,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        h
    }

    const BODY: &[u8] = br#"{"scope":"store/order/created","store_id":"1","data":{"type":"order","id":250},"hash":"x","created_at":1561479335,"producer":"stores/abc"}"#;

    fn verifier() -> Verifier {
        Verifier {
            client_secret: Some(Secret::new("s3cr3t")),
            header: None,
            tolerance: Duration::from_secs(300),
        }
    }

    #[test]
    fn accepts_a_good_signature_among_several() {
        let sig = signature(b"s3cr3t", "msg_1", "1700000000", BODY);
        let h = headers(&[
            ("webhook-id", "msg_1"),
            ("webhook-timestamp", "1700000000"),
            ("webhook-signature", &format!("v1,Zm9v {sig}")),
        ]);
        let e = verifier().verify_at(&h, BODY, 1_700_000_100).unwrap();
        assert_eq!(e.entity, Some(Entity::Order));
        assert_eq!(e.platform_id.as_deref(), Some("250"));
        assert_eq!(e.kind, WebhookKind::Created);
        assert_eq!(e.meta["webhook_id"], "msg_1");
    }

    #[test]
    fn matches_the_standard_webhooks_test_vector() {
        // platforms.md appendix A: key = the client secret's bytes.
        let sig = signature(
            &signing_key("bc_client_secret"),
            "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W",
            "1700000000",
            br#"{"id":1001,"status":"paid"}"#,
        );
        assert_eq!(sig, "v1,RZ05Vm7sFAl48hTQZqaepPLUT/KxpleBb6FGpaS0QKw=");
    }

    #[test]
    fn whsec_secrets_decode_to_their_bytes() {
        let secret = format!("whsec_{}", polycart_kit::auth::hmac::base64(b"s3cr3t"));
        assert_eq!(signing_key(&secret), b"s3cr3t");
        assert_eq!(signing_key("plain"), b"plain");
    }

    #[test]
    fn refuses_tampering_replays_and_missing_headers() {
        let sig = signature(b"s3cr3t", "msg_1", "1700000000", BODY);
        let good = [
            ("webhook-id", "msg_1"),
            ("webhook-timestamp", "1700000000"),
            ("webhook-signature", sig.as_str()),
        ];
        let v = verifier();
        assert!(matches!(
            v.verify_at(&headers(&good), b"{}", 1_700_000_000),
            Err(Error::Auth { .. })
        ));
        assert!(matches!(
            v.verify_at(&headers(&good), BODY, 1_700_000_000 + 301),
            Err(Error::Auth { .. })
        ));
        assert!(matches!(
            v.verify_at(&headers(&good[..2]), BODY, 1_700_000_000),
            Err(Error::Auth { .. })
        ));
        let other = Verifier {
            client_secret: Some(Secret::new("other")),
            ..v.clone()
        };
        assert!(matches!(
            other.verify_at(&headers(&good), BODY, 1_700_000_000),
            Err(Error::Auth { .. })
        ));
    }

    #[test]
    fn custom_header_secret() {
        let v = Verifier {
            client_secret: None,
            header: Some(("x-hook-key".into(), Secret::new("k1"))),
            tolerance: Duration::from_secs(300),
        };
        assert!(
            v.verify_at(&headers(&[("x-hook-key", "k1")]), BODY, 0)
                .is_ok()
        );
        assert!(matches!(
            v.verify_at(&headers(&[("x-hook-key", "k2")]), BODY, 0),
            Err(Error::Auth { .. })
        ));
        let none = Verifier {
            client_secret: None,
            header: None,
            tolerance: Duration::from_secs(300),
        };
        assert!(matches!(
            none.verify_at(&HeaderMap::new(), BODY, 0),
            Err(Error::Auth { .. })
        ));
    }
}
