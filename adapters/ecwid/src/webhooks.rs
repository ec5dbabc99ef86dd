//! Ecwid's webhooks: a thin JSON body (`{eventId, eventCreated, storeId, entityId,
//! eventType, data}`) signed in `X-Ecwid-Webhook-Signature` with
//! base64(HMAC-SHA256(key = the app's client secret, `"{eventCreated}.{eventId}"`)).
//! The body itself is not signed, so only the event's identity is trusted: a verified
//! delivery names the record to re-read, never its content. Webhooks are set in the
//! app's settings at Ecwid (no registration API), so nothing is registered here.

use std::collections::BTreeMap;

use http::HeaderMap;
use polycart_kit::auth::hmac::{base64, constant_time_eq, hmac_sha256};
use polycart_kit::decode::Id;
use polycart_kit::error::decode_json;
use polycart_kit::{Entity, Error, Result, Secret, WebhookEvent, WebhookKind};
use serde::Deserialize;

use crate::PLATFORM;

/// The signature header.
pub const SIGNATURE: &str = "x-ecwid-webhook-signature";

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Event {
    event_id: String,
    event_created: Id,
    store_id: Id,
    entity_id: Option<Id>,
    event_type: String,
    #[serde(default)]
    data: Option<Data>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Data {
    order_id: Option<Id>,
}

/// The signature Ecwid sends for an event created at `created` with id `event_id`.
pub fn signature(client_secret: &str, created: &str, event_id: &str) -> String {
    base64(&hmac_sha256(
        client_secret.as_bytes(),
        format!("{created}.{event_id}").as_bytes(),
    ))
}

/// Verifies one delivery for the store `store_id`.
pub fn verify(
    client_secret: Option<&Secret>,
    store_id: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<WebhookEvent> {
    let secret = client_secret
        .ok_or_else(|| Error::auth("no client_secret: Ecwid webhooks cannot be verified"))?;
    let given = headers
        .get(SIGNATURE)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| Error::auth("no X-Ecwid-Webhook-Signature header"))?;
    let text = std::str::from_utf8(body).map_err(|_| Error::decode("$", "body is not UTF-8"))?;
    let event: Event = decode_json(text)?;
    let expected = signature(secret.expose(), &event.event_created.0, &event.event_id);
    if !constant_time_eq(expected.as_bytes(), given.trim().as_bytes()) {
        return Err(Error::auth("webhook signature does not match"));
    }
    if event.store_id.0 != store_id {
        return Err(Error::auth("webhook is for another store"));
    }
    let (entity, kind) = match event.event_type.split_once('.') {
        Some(("order", action)) => (Some(Entity::Order), action),
        Some(("product", action)) => (Some(Entity::Product), action),
        Some(("application", "uninstalled")) => (None, "uninstalled"),
        Some((_, action)) => (None, action),
        None => (None, ""),
    };
    let kind = match kind {
        "created" => WebhookKind::Created,
        "updated" => WebhookKind::Updated,
        "deleted" => WebhookKind::Deleted,
        "uninstalled" => WebhookKind::Uninstalled,
        _ => WebhookKind::Other,
    };
    // Order events name the order by `data.orderId` ("K8XTQ"), the id orders are kept
    // by; `entityId` is its numeric internal id.
    let platform_id = match entity {
        Some(Entity::Order) => event
            .data
            .and_then(|d| d.order_id)
            .or(event.entity_id)
            .map(|i| i.0),
        Some(_) => event.entity_id.map(|i| i.0),
        None => None,
    };
    Ok(WebhookEvent {
        platform: PLATFORM.to_owned(),
        topic: event.event_type,
        kind,
        entity,
        platform_id,
        record: None,
        delivery_id: Some(event.event_id),
        meta: BTreeMap::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signed(secret: &str, body: &str, created: &str, id: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(SIGNATURE, signature(secret, created, id).parse().unwrap());
        let _ = body;
        h
    }

    #[test]
    fn verifies_the_documented_signature() {
        let body = r#"{"eventId":"80aece08-40e8-4145-8764-6c2f0d38678","eventCreated":1469544970,"storeId":1003,"entityId":516483487,"eventType":"order.updated","data":{"oldPaymentStatus":"AWAITING_PAYMENT","newPaymentStatus":"PAID","orderId":"K8XTQ"}}"#;
        let secret = Secret::new("client-secret".to_owned());
        let h = signed(
            "client-secret",
            body,
            "1469544970",
            "80aece08-40e8-4145-8764-6c2f0d38678",
        );
        let e = verify(Some(&secret), "1003", &h, body.as_bytes()).unwrap();
        assert_eq!(e.entity, Some(Entity::Order));
        assert_eq!(e.kind, WebhookKind::Updated);
        assert_eq!(e.platform_id.as_deref(), Some("K8XTQ"));
        assert_eq!(
            e.delivery_id.as_deref(),
            Some("80aece08-40e8-4145-8764-6c2f0d38678")
        );
        let wrong = signed(
            "other",
            body,
            "1469544970",
            "80aece08-40e8-4145-8764-6c2f0d38678",
        );
        assert!(verify(Some(&secret), "1003", &wrong, body.as_bytes()).is_err());
        assert!(verify(Some(&secret), "1004", &h, body.as_bytes()).is_err());
        assert!(verify(None, "1003", &h, body.as_bytes()).is_err());
        assert!(verify(Some(&secret), "1003", &HeaderMap::new(), body.as_bytes()).is_err());
    }
}
