//! Adobe Commerce webhooks (an Adobe Commerce add-on; Magento Open Source sends
//! none, and polling by `updated_at` is the main path). With signing on, Commerce signs
//! the raw body with the store's private key (RSA, SHA-256, PKCS #1 v1.5) and sends the
//! base64 signature in `x-adobe-commerce-webhook-signature`; the store's public key
//! (Stores > Configuration > Adobe Services > Webhooks) verifies it. The docs call it
//! "HMAC SHA256", but only a key pair fits their public-key verification example.
//!
//! The event is the body's `eventName` (or the `x-adobe-commerce-webhook-event`
//! header), and the record's id is read from the payload's `data.order.entity_id`,
//! `data.product.id` or `data.customer.id` (the fields a `webhooks.xml` sends are the
//! merchant's choice). Deliveries are hints: the app re-reads the record.
//!
//! Subscriptions (Adobe Commerce's webhook REST endpoints, admin ACL
//! `Magento_AdobeCommerceWebhooks`): `POST /rest/all/V1/webhooks/subscribe` per event,
//! `after` the action, in a batch named after the delivery address
//! (`polycart_<hash>`), so `GET /rest/all/V1/webhooks/list` tells ours apart and
//! `POST /rest/all/V1/webhooks/unsubscribe` removes them.

use std::collections::BTreeMap;

use base64::Engine;
use http::HeaderMap;
use polycart_kit::error::{Error, Result};
use polycart_kit::model::Entity;
use polycart_kit::{Secret, WebhookEvent, WebhookKind};
use rsa::pkcs1v15::{Signature, VerifyingKey};
use rsa::pkcs8::DecodePublicKey;
use rsa::signature::Verifier;
use sha2::Sha256;

use crate::mapping::PLATFORM;

/// The signature header.
pub const SIGNATURE_HEADER: &str = "x-adobe-commerce-webhook-signature";
/// Where an event name may be sent when the body has none.
pub const EVENT_HEADER: &str = "x-adobe-commerce-webhook-event";

/// The batch our subscriptions to `address` share: `polycart_` and 16 hex digits of its
/// SHA-256 (batch names take letters, digits and `_` only).
pub fn batch_name(address: &url::Url) -> String {
    use sha2::Digest;
    let digest = Sha256::digest(address.as_str().as_bytes());
    let hex: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    format!("polycart_{hex}")
}

/// A hook name for an event (`observer.sales_order_save_after` →
/// `observer_sales_order_save_after`).
pub fn hook_name(event: &str) -> String {
    event
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}

/// Reads a PEM public key (`-----BEGIN PUBLIC KEY-----`, or PKCS #1
/// `-----BEGIN RSA PUBLIC KEY-----`).
fn public_key(pem: &Secret) -> Result<rsa::RsaPublicKey> {
    let text = pem.expose().trim();
    rsa::RsaPublicKey::from_public_key_pem(text)
        .or_else(|_| {
            use rsa::pkcs1::DecodeRsaPublicKey;
            rsa::RsaPublicKey::from_pkcs1_pem(text)
        })
        .map_err(|_| Error::invalid("webhook_public_key is not a PEM RSA public key"))
}

/// Checks `body` against its signature header with the PEM public `key`.
pub fn check_signature(key: &Secret, headers: &HeaderMap, body: &[u8]) -> Result<()> {
    let header = headers
        .get(SIGNATURE_HEADER)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| Error::auth(format!("no {SIGNATURE_HEADER} header")))?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(header.trim())
        .map_err(|_| Error::auth("the webhook signature is not base64"))?;
    let signature = Signature::try_from(bytes.as_slice())
        .map_err(|_| Error::auth("the webhook signature is malformed"))?;
    let verifying = VerifyingKey::<Sha256>::new(public_key(key)?);
    verifying
        .verify(body, &signature)
        .map_err(|_| Error::auth("the webhook signature does not match the body"))
}

/// The entity and kind an Adobe Commerce event name speaks of.
fn classify(event: &str) -> (Option<Entity>, WebhookKind) {
    let e = event.to_ascii_lowercase();
    let entity = if e.contains("order") {
        Some(Entity::Order)
    } else if e.contains("product") || e.contains("catalog") {
        Some(Entity::Product)
    } else if e.contains("customer") {
        Some(Entity::Customer)
    } else if e.contains("category") {
        Some(Entity::Category)
    } else if e.contains("source_item") || e.contains("inventory") {
        Some(Entity::Inventory)
    } else {
        None
    };
    let kind = if e.contains("delete") {
        WebhookKind::Deleted
    } else if e.contains("place") || e.contains("create") {
        WebhookKind::Created
    } else if entity.is_some() {
        WebhookKind::Updated
    } else {
        WebhookKind::Other
    };
    (entity, kind)
}

fn id_at(body: &serde_json::Value, entity: Option<Entity>) -> Option<String> {
    let data = body.get("data").unwrap_or(body);
    let (object, fields): (&str, &[&str]) = match entity? {
        Entity::Order => ("order", &["entity_id", "id"]),
        Entity::Product => ("product", &["id", "entity_id"]),
        Entity::Customer => ("customer", &["id", "entity_id"]),
        Entity::Category => ("category", &["id", "entity_id"]),
        Entity::Inventory => return None,
    };
    let record = data.get(object)?;
    fields.iter().find_map(|f| match record.get(*f)? {
        serde_json::Value::Number(n) => Some(n.to_string()),
        serde_json::Value::String(s) if !s.is_empty() => Some(s.clone()),
        _ => None,
    })
}

/// Verifies a delivery and reads what it says.
pub fn verify(key: &Secret, headers: &HeaderMap, body: &[u8]) -> Result<WebhookEvent> {
    check_signature(key, headers, body)?;
    let value: serde_json::Value = serde_json::from_slice(body)
        .map_err(|_| Error::decode("$", "the webhook body is not JSON"))?;
    let event = value
        .get("eventName")
        .and_then(|v| v.as_str())
        .map(str::to_owned)
        .or_else(|| {
            headers
                .get(EVENT_HEADER)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        })
        .unwrap_or_else(|| "unknown".to_owned());
    let (entity, kind) = classify(&event);
    Ok(WebhookEvent {
        platform: PLATFORM.to_owned(),
        platform_id: id_at(&value, entity),
        topic: event,
        kind,
        entity,
        record: None,
        delivery_id: None,
        meta: BTreeMap::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_name_their_entity() {
        assert_eq!(
            classify("observer.sales_order_save_after"),
            (Some(Entity::Order), WebhookKind::Updated)
        );
        assert_eq!(
            classify("observer.catalog_product_delete_after").1,
            WebhookKind::Deleted
        );
        let body = serde_json::json!({"data": {"order": {"entity_id": 42}}});
        assert_eq!(id_at(&body, Some(Entity::Order)).as_deref(), Some("42"));
    }

    #[test]
    fn a_bad_key_or_a_missing_signature_is_refused() {
        let key = Secret::new("not a key");
        let mut h = HeaderMap::new();
        assert!(matches!(
            check_signature(&key, &h, b"{}"),
            Err(Error::Auth { .. })
        ));
        h.insert(SIGNATURE_HEADER, "AAAA".parse().unwrap());
        assert!(check_signature(&key, &h, b"{}").is_err());
    }
}
