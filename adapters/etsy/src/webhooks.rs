//! Etsy webhooks (commercial apps; endpoints are added in Etsy's developer portal,
//! there is no registration API). Deliveries are signed the Standard Webhooks way —
//! `webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<base64>` over
//! `{id}.{timestamp}.{body}`, keyed with the endpoint's `whsec_…` signing secret —
//! checked by the kit with a five-minute tolerance. The body is thin:
//! `{"event_type": "order.paid", "resource_url": "…/shops/{shop_id}/receipts/{receipt_id}",
//! "shop_id": …}`; the receipt id is read from `resource_url` and the engine re-reads
//! the receipt. Etsy documents `ORDER_PAID` only; any other `order.*` event is read
//! the same way, as an update of its receipt.

use std::time::Duration;

use chrono::Utc;
use http::HeaderMap;
use polycart_kit::auth::hmac::{standard_webhook_key, verify_standard_webhook};
use polycart_kit::decode::Id;
use polycart_kit::{Entity, Error, IdGrammar, Result, Secret, WebhookEvent, WebhookKind};
use serde::Deserialize;

use crate::PLATFORM;

/// How far a delivery's timestamp may be from now.
pub const TOLERANCE: Duration = Duration::from_secs(300);

#[derive(Deserialize)]
struct Delivery {
    event_type: String,
    resource_url: Option<String>,
    shop_id: Option<Id>,
}

/// Checks a delivery's signature at `now` (unix seconds) and reads it.
pub fn verify_at(
    secret: Option<&Secret>,
    headers: &HeaderMap,
    body: &[u8],
    now: i64,
) -> Result<WebhookEvent> {
    let secret = secret.ok_or_else(|| {
        Error::auth("no webhook signing secret configured for this shop (webhook_secret)")
    })?;
    let key = standard_webhook_key(secret.expose());
    let id = verify_standard_webhook(&key, headers, body, now, TOLERANCE)
        .map_err(|e| Error::auth(e.to_string()))?;
    let mut event = event(body)?;
    event.delivery_id = Some(id.clone());
    event.meta.insert("webhook_id".into(), id);
    Ok(event)
}

/// [`verify_at`] now.
pub fn verify(secret: Option<&Secret>, headers: &HeaderMap, body: &[u8]) -> Result<WebhookEvent> {
    verify_at(secret, headers, body, Utc::now().timestamp())
}

/// The receipt id at the end of a `resource_url` (`…/receipts/{receipt_id}`).
fn receipt_id(url: &str) -> Option<String> {
    let path = url.split(['?', '#']).next()?;
    let (_, id) = path.trim_end_matches('/').rsplit_once("/receipts/")?;
    IdGrammar::Numeric.check(id).ok().map(str::to_owned)
}

/// Reads a delivery (no signature check).
pub fn event(body: &[u8]) -> Result<WebhookEvent> {
    let d: Delivery = std::str::from_utf8(body)
        .ok()
        .and_then(|t| polycart_kit::error::decode_json(t).ok())
        .ok_or_else(|| Error::invalid("the webhook body is not an Etsy delivery"))?;
    let topic = d.event_type.to_ascii_lowercase();
    let is_order = topic.starts_with("order.") || topic.starts_with("order_");
    let mut meta = std::collections::BTreeMap::new();
    if let Some(shop) = &d.shop_id {
        meta.insert("shop_id".to_owned(), shop.0.clone());
    }
    if let Some(url) = &d.resource_url {
        meta.insert("resource_url".to_owned(), url.clone());
    }
    Ok(WebhookEvent {
        platform: PLATFORM.to_owned(),
        topic: d.event_type.clone(),
        kind: if is_order {
            WebhookKind::Updated
        } else {
            WebhookKind::Other
        },
        entity: is_order.then_some(Entity::Order),
        platform_id: d.resource_url.as_deref().and_then(receipt_id),
        record: None,
        delivery_id: None,
        meta,
    })
}

#[cfg(test)]
mod tests {
    use polycart_kit::auth::hmac::standard_webhook_signature;

    use super::*;

    const SECRET: &str = "whsec_ZXRzeV9zaWduaW5nX2tleV9ieXRlcw==";

    fn signed(body: &str, ts: i64) -> HeaderMap {
        let mut h = HeaderMap::new();
        let sig = standard_webhook_signature(
            &standard_webhook_key(SECRET),
            "msg_1",
            &ts.to_string(),
            body.as_bytes(),
        );
        h.insert("webhook-id", "msg_1".parse().unwrap());
        h.insert("webhook-timestamp", ts.to_string().parse().unwrap());
        h.insert("webhook-signature", sig.parse().unwrap());
        h
    }

    #[test]
    fn an_order_paid_delivery_names_its_receipt() {
        let body = r#"{"event_type":"order.paid","resource_url":"https://openapi.etsy.com/v3/application/shops/12345/receipts/54321","shop_id":12345}"#;
        let secret = Secret::new(SECRET);
        let e = verify_at(
            Some(&secret),
            &signed(body, 1_700_000_000),
            body.as_bytes(),
            1_700_000_010,
        )
        .unwrap();
        assert_eq!(
            (e.entity, e.kind),
            (Some(Entity::Order), WebhookKind::Updated)
        );
        assert_eq!(e.platform_id.as_deref(), Some("54321"));
        assert_eq!(e.delivery_id.as_deref(), Some("msg_1"));
        assert_eq!(e.meta["shop_id"], "12345");
        let tampered = body.replace("54321", "54322");
        assert!(matches!(
            verify_at(
                Some(&secret),
                &signed(body, 1_700_000_000),
                tampered.as_bytes(),
                1_700_000_010
            ),
            Err(Error::Auth { .. })
        ));
        assert!(matches!(
            verify_at(
                Some(&secret),
                &signed(body, 1_700_000_000),
                body.as_bytes(),
                1_700_009_999
            ),
            Err(Error::Auth { .. })
        ));
        assert!(matches!(
            verify_at(
                None,
                &signed(body, 1_700_000_000),
                body.as_bytes(),
                1_700_000_010
            ),
            Err(Error::Auth { .. })
        ));
        assert_eq!(receipt_id("https://x/receipts/../1"), None);
    }
}
