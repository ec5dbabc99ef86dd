//! WooCommerce webhook deliveries: `X-WC-Webhook-Signature` is base64(HMAC-SHA256 of
//! the raw body, keyed with the webhook's secret); topics are `resource.event`
//! (`order.updated`); the ping sent when a webhook is created is a form body
//! `webhook_id=N` without a signature.

use std::collections::BTreeMap;

use http::HeaderMap;
use polycart_kit::auth::hmac::verify_base64_hmac_sha256;
use polycart_kit::error::{Error, Result};
use polycart_kit::{Entity, Record, Secret, WebhookEvent, WebhookKind};
use serde_json::value::RawValue;

use crate::PLATFORM;
use crate::mapping;
use polycart_kit::StoreContext;

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
}

/// The entity and event kind of a topic (`order.updated`).
pub fn topic(topic: &str) -> (Option<Entity>, WebhookKind) {
    let (resource, event) = topic.split_once('.').unwrap_or((topic, ""));
    let entity = match resource {
        "order" => Some(Entity::Order),
        "product" => Some(Entity::Product),
        "customer" => Some(Entity::Customer),
        _ => None,
    };
    let kind = match event {
        "created" => WebhookKind::Created,
        "updated" | "restored" => WebhookKind::Updated,
        "deleted" => WebhookKind::Deleted,
        _ => WebhookKind::Other,
    };
    if resource == "action" {
        return (None, WebhookKind::Other);
    }
    (entity, kind)
}

/// Verifies and reads one delivery.
pub fn verify(
    secret: Option<&Secret>,
    headers: &HeaderMap,
    body: &[u8],
    ctx: &StoreContext,
) -> Result<WebhookEvent> {
    let mut meta = BTreeMap::new();
    for (name, key) in [
        ("x-wc-webhook-id", "webhook_id"),
        ("x-wc-webhook-delivery-id", "delivery_id"),
        ("x-wc-webhook-source", "source"),
    ] {
        if let Some(v) = header(headers, name) {
            meta.insert(key.to_owned(), v.to_owned());
        }
    }
    let Some(signature) = header(headers, "x-wc-webhook-signature") else {
        // The ping is the one unsigned delivery; it carries nothing but the webhook id.
        let form: Vec<(String, String)> = url::form_urlencoded::parse(body).into_owned().collect();
        if let [(k, v)] = form.as_slice() {
            if k == "webhook_id" && !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) {
                meta.insert("webhook_id".into(), v.clone());
                return Ok(WebhookEvent {
                    platform: PLATFORM.into(),
                    topic: "ping".into(),
                    kind: WebhookKind::Ping,
                    entity: None,
                    platform_id: None,
                    record: None,
                    delivery_id: None,
                    meta,
                });
            }
        }
        return Err(Error::auth("webhook without X-WC-Webhook-Signature"));
    };
    let secret = secret
        .ok_or_else(|| Error::auth("no webhook_secret credential configured for this store"))?;
    if !verify_base64_hmac_sha256(secret.expose().as_bytes(), body, signature) {
        return Err(Error::auth(
            "X-WC-Webhook-Signature does not match the body",
        ));
    }
    let topic_name = header(headers, "x-wc-webhook-topic")
        .unwrap_or_default()
        .to_owned();
    let (entity, kind) = topic(&topic_name);
    let text =
        std::str::from_utf8(body).map_err(|_| Error::decode("$", "webhook body is not utf-8"))?;
    let raw: &RawValue = serde_json::from_str(text)
        .map_err(|_| Error::invalid("the signed webhook body is not JSON"))?;
    #[derive(serde::Deserialize)]
    struct IdOnly {
        id: Option<polycart_kit::decode::Id>,
    }
    let platform_id = serde_json::from_str::<IdOnly>(raw.get())
        .ok()
        .and_then(|i| i.id)
        .map(|i| i.0);
    let record: Option<Record> = match (entity, kind) {
        (_, WebhookKind::Deleted) | (None, _) => None,
        (Some(Entity::Order), _) => Some(mapping::order(raw, None)?.into()),
        (Some(Entity::Product), _) => Some(mapping::product(raw, &[], ctx)?.into()),
        (Some(Entity::Customer), _) => Some(mapping::customer(raw, ctx)?.into()),
        (Some(_), _) => None,
    };
    Ok(WebhookEvent {
        platform: PLATFORM.into(),
        topic: topic_name,
        kind,
        entity,
        platform_id,
        record,
        delivery_id: meta.get("delivery_id").cloned(),
        meta,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use polycart_kit::auth::hmac::{base64, hmac_sha256};

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn signed_order_update_is_read() {
        let body = br#"{"id":727,"status":"completed","currency":"USD","total":"1.00"}"#;
        let sig = base64(&hmac_sha256(b"s3cret", body));
        let h = headers(&[
            ("x-wc-webhook-signature", &sig),
            ("x-wc-webhook-topic", "order.updated"),
            ("x-wc-webhook-id", "9"),
        ]);
        let e = verify(Some(&"s3cret".into()), &h, body, &StoreContext::default()).unwrap();
        assert_eq!(
            (e.entity, e.kind, e.platform_id.as_deref()),
            (Some(Entity::Order), WebhookKind::Updated, Some("727"))
        );
        assert!(e.record.is_some());
        assert_eq!(e.meta["webhook_id"], "9");
        assert!(matches!(
            verify(Some(&"other".into()), &h, body, &StoreContext::default()),
            Err(Error::Auth { .. })
        ));
    }

    #[test]
    fn ping_and_unsigned() {
        let e = verify(
            Some(&"s".into()),
            &HeaderMap::new(),
            b"webhook_id=12",
            &StoreContext::default(),
        )
        .unwrap();
        assert_eq!(e.kind, WebhookKind::Ping);
        assert!(matches!(
            verify(
                Some(&"s".into()),
                &HeaderMap::new(),
                b"{\"id\":1}",
                &StoreContext::default()
            ),
            Err(Error::Auth { .. })
        ));
    }

    #[test]
    fn topics() {
        assert_eq!(
            topic("product.deleted"),
            (Some(Entity::Product), WebhookKind::Deleted)
        );
        assert_eq!(
            topic("customer.created"),
            (Some(Entity::Customer), WebhookKind::Created)
        );
        assert_eq!(topic("coupon.updated"), (None, WebhookKind::Updated));
        assert_eq!(
            topic("action.woocommerce_order_status_completed"),
            (None, WebhookKind::Other)
        );
    }

    /// The WooCommerce webhook vector of `platforms.md` (Appendix A).
    #[test]
    fn documented_signature_vector() {
        let body = br#"{"id":1001,"status":"paid"}"#;
        let h = headers(&[
            (
                "x-wc-webhook-signature",
                "ZtFiebFdMRTAyn+Eg6u9eabGBTauDZ/+uUvZtXqfoYc=",
            ),
            ("x-wc-webhook-topic", "order.updated"),
        ]);
        let e = verify(
            Some(&"wc_test_secret".into()),
            &h,
            body,
            &StoreContext::default(),
        )
        .unwrap();
        assert_eq!(e.platform_id.as_deref(), Some("1001"));
    }

    #[test]
    fn deleted_and_unmapped_topics_carry_no_record() {
        let body = br#"{"id":55}"#;
        let sig = base64(&hmac_sha256(b"s", body));
        for (topic, entity, kind) in [
            (
                "product.deleted",
                Some(Entity::Product),
                WebhookKind::Deleted,
            ),
            (
                "customer.deleted",
                Some(Entity::Customer),
                WebhookKind::Deleted,
            ),
            ("coupon.created", None, WebhookKind::Created),
        ] {
            let h = headers(&[
                ("x-wc-webhook-signature", &sig),
                ("x-wc-webhook-topic", topic),
            ]);
            let e = verify(Some(&"s".into()), &h, body, &StoreContext::default()).unwrap();
            assert_eq!((e.entity, e.kind), (entity, kind), "{topic}");
            assert_eq!(e.platform_id.as_deref(), Some("55"));
            assert!(e.record.is_none(), "{topic}");
        }
        // A signed delivery for a store without a webhook secret cannot be checked:
        // refused like a wrong signature.
        let h = headers(&[
            ("x-wc-webhook-signature", &sig),
            ("x-wc-webhook-topic", "order.created"),
        ]);
        assert!(matches!(
            verify(None, &h, body, &StoreContext::default()),
            Err(Error::Auth { .. })
        ));
        // A signed body that is not JSON is bad input, not a platform failure.
        let text = b"not json";
        let sig = base64(&hmac_sha256(b"s", text));
        let h = headers(&[
            ("x-wc-webhook-signature", &sig),
            ("x-wc-webhook-topic", "order.created"),
        ]);
        assert!(matches!(
            verify(Some(&"s".into()), &h, text, &StoreContext::default()),
            Err(Error::Invalid { .. })
        ));
    }
}
