//! Wix's webhooks: the request body is a JWT (RS256) signed with the app's key pair;
//! the app's public key (from the app's dashboard: the `webhook_public_key` credential)
//! verifies it. There is no signature header and no key endpoint.
//!
//! The JWT's payload is `{"data": "<json>", "iat", "exp"}`; `data` is a JSON string
//! `{"eventType", "instanceId", "data": "<json>", "identity": "<json>"}` whose own
//! `data` is the event: `{"id" (the event's id), "entityFqdn" ("wix.ecom.v1.order"),
//! "slug" ("created", "updated", "deleted", "approved", …), "entityId", "eventTime",
//! "createdEvent"/"updatedEvent"/"deletedEvent"}`. A delivery is verified on its exact
//! bytes (whitespace added to a JWT is a forgery), with `alg` RS256 only, `exp`
//! checked (a minute of leeway) and, where the store knows its app instance, the
//! `instanceId` matched. Deliveries are hints: the app re-reads the record. Webhooks
//! are subscribed in the app's dashboard (no registration API), so nothing is
//! registered here.

use std::collections::BTreeMap;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use polycart_kit::error::excerpt;
use polycart_kit::{Entity, Error, Result, Secret, WebhookEvent, WebhookKind};
use rsa::pkcs1v15::{Signature, VerifyingKey};
use rsa::pkcs8::DecodePublicKey;
use rsa::signature::Verifier;
use serde::Deserialize;
use sha2::Sha256;

use crate::PLATFORM;

/// Seconds an expired token is still accepted (clock skew between Wix and us).
pub const LEEWAY_SECONDS: i64 = 60;

#[derive(Deserialize)]
struct Header {
    alg: String,
}

#[derive(Deserialize)]
struct Claims {
    data: String,
    exp: Option<i64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Envelope {
    event_type: String,
    instance_id: Option<String>,
    data: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Event {
    id: Option<String>,
    entity_fqdn: Option<String>,
    slug: Option<String>,
    entity_id: Option<String>,
    /// Older Stores events (`…catalog.api.v1.ProductChanged`) name the record here.
    product_id: Option<String>,
    collection_id: Option<String>,
    created_event: Option<Box<serde_json::value::RawValue>>,
    updated_event: Option<Box<serde_json::value::RawValue>>,
    /// Events other than created/updated/deleted (`approved`, `canceled`) carry
    /// `actionEvent.body`, with the record under its entity's name.
    action_event: Option<Box<serde_json::value::RawValue>>,
}

/// The record a created or updated event carries (`createdEvent.entity`,
/// `updatedEvent.currentEntity`), mapped; a hint only, and none when it does not map.
fn record_of(event: &Event, entity: Option<Entity>) -> Option<polycart_kit::Record> {
    let action = match entity? {
        Entity::Order => "body/order",
        Entity::Product => "body/product",
        Entity::Customer => "body/contact",
        Entity::Category => "body/collection",
        Entity::Inventory => "body/inventoryItem",
    };
    let (wrapper, member) = match (
        &event.created_event,
        &event.updated_event,
        &event.action_event,
    ) {
        (Some(c), _, _) => (c, "entity"),
        (None, Some(u), _) => (u, "currentEntity"),
        (None, None, Some(a)) => (a, action),
        (None, None, None) => return None,
    };
    let raw = polycart_kit::envelope::pointer(wrapper.get(), member).ok()??;
    let map = crate::mapping::mapper(entity?).ok()?;
    map(raw, &polycart_kit::StoreContext::default()).ok()?.pop()
}

/// Reads a PEM public key (`-----BEGIN PUBLIC KEY-----`, or PKCS #1).
fn public_key(pem: &Secret) -> Result<rsa::RsaPublicKey> {
    let text = pem.expose().trim();
    rsa::RsaPublicKey::from_public_key_pem(text)
        .or_else(|_| {
            use rsa::pkcs1::DecodeRsaPublicKey;
            rsa::RsaPublicKey::from_pkcs1_pem(text)
        })
        .map_err(|_| Error::invalid("webhook_public_key is not a PEM RSA public key"))
}

fn segment(part: &str, what: &str) -> Result<Vec<u8>> {
    URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|_| Error::auth(format!("the webhook JWT's {what} is not base64url")))
}

/// The JWT's claims, once its RS256 signature verifies with `key` and it has not
/// expired at unix second `now`.
pub fn verified_claims(key: &Secret, token: &str, now: i64) -> Result<String> {
    let mut parts = token.split('.');
    let (Some(header), Some(payload), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(Error::auth("the webhook body is not a JWT"));
    };
    let h: Header = serde_json::from_slice(&segment(header, "header")?)
        .map_err(|_| Error::auth("the webhook JWT's header is not JSON"))?;
    if h.alg != "RS256" {
        return Err(Error::auth(format!(
            "the webhook JWT is signed with {:?}, not RS256",
            excerpt(&h.alg, 20)
        )));
    }
    let signature = Signature::try_from(segment(signature, "signature")?.as_slice())
        .map_err(|_| Error::auth("the webhook JWT's signature is malformed"))?;
    VerifyingKey::<Sha256>::new(public_key(key)?)
        .verify(format!("{header}.{payload}").as_bytes(), &signature)
        .map_err(|_| Error::auth("the webhook JWT's signature does not verify"))?;
    let claims: Claims = serde_json::from_slice(&segment(payload, "payload")?)
        .map_err(|_| Error::decode("$", "the webhook JWT's payload has no data"))?;
    if let Some(exp) = claims.exp
        && exp.saturating_add(LEEWAY_SECONDS) < now
    {
        return Err(Error::auth("the webhook JWT has expired"));
    }
    Ok(claims.data)
}

/// The entity an event's `entityFqdn` (or older `eventType`) speaks of.
fn entity_of(fqdn: &str) -> Option<Entity> {
    let f = fqdn.to_ascii_lowercase();
    if f.contains("ecom") && f.contains("order") {
        Some(Entity::Order)
    } else if f.contains("collection") {
        Some(Entity::Category)
    } else if f.contains("product") {
        Some(Entity::Product)
    } else if f.contains("contact") {
        Some(Entity::Customer)
    } else {
        None
    }
}

fn kind_of(slug: &str, entity: Option<Entity>) -> WebhookKind {
    let s = slug.to_ascii_lowercase();
    if s.contains("deleted") {
        WebhookKind::Deleted
    } else if s.contains("created") {
        WebhookKind::Created
    } else if entity.is_some() {
        WebhookKind::Updated
    } else {
        WebhookKind::Other
    }
}

/// Verifies one delivery (the raw body) for the store whose app instance is
/// `instance_id` (when known), at unix second `now`.
pub fn verify(
    key: Option<&Secret>,
    instance_id: Option<&str>,
    body: &[u8],
    now: i64,
) -> Result<WebhookEvent> {
    let key =
        key.ok_or_else(|| Error::auth("no webhook_public_key: Wix webhooks cannot be verified"))?;
    let token =
        std::str::from_utf8(body).map_err(|_| Error::auth("the webhook body is not a JWT"))?;
    let data = verified_claims(key, token, now)?;
    let envelope: Envelope = serde_json::from_str(&data)
        .map_err(|e| Error::decode("$.data", format!("not the event envelope: {e}")))?;
    if let (Some(ours), Some(theirs)) = (instance_id, envelope.instance_id.as_deref())
        && ours != theirs
    {
        return Err(Error::auth("the webhook is for another app instance"));
    }
    let mut meta = BTreeMap::new();
    if let Some(i) = &envelope.instance_id {
        meta.insert("instance_id".to_owned(), i.clone());
    }
    if envelope.event_type == "AppRemoved" {
        return Ok(WebhookEvent {
            platform: PLATFORM.to_owned(),
            topic: envelope.event_type,
            kind: WebhookKind::Uninstalled,
            entity: None,
            platform_id: None,
            record: None,
            delivery_id: None,
            meta,
        });
    }
    let event: Event = match envelope.data.as_deref() {
        Some(inner) => serde_json::from_str(inner)
            .map_err(|e| Error::decode("$.data.data", format!("not an event: {e}")))?,
        None => Event {
            id: None,
            entity_fqdn: None,
            slug: None,
            entity_id: None,
            product_id: None,
            collection_id: None,
            created_event: None,
            updated_event: None,
            action_event: None,
        },
    };
    let (entity, kind) = match (&event.entity_fqdn, &event.slug) {
        (Some(fqdn), slug) => {
            let entity = entity_of(fqdn);
            let slug = slug.as_deref().unwrap_or(&envelope.event_type);
            (entity, kind_of(slug, entity))
        }
        // `com.wix.ecommerce.catalog.api.v1.ProductChanged` and its kin.
        (None, _) => {
            let entity = entity_of(&envelope.event_type);
            (entity, kind_of(&envelope.event_type, entity))
        }
    };
    let record = record_of(&event, entity);
    let platform_id = event.entity_id.or(event.product_id).or(event.collection_id);
    Ok(WebhookEvent {
        platform: PLATFORM.to_owned(),
        topic: envelope.event_type,
        kind,
        entity,
        platform_id,
        record,
        delivery_id: event.id,
        meta,
    })
}
