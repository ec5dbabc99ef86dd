//! Shopify webhook deliveries: `X-Shopify-Hmac-Sha256` is the base64 HMAC-SHA256 of
//! the raw body keyed with the app's client secret, compared in constant time; the
//! `X-Shopify-Topic` names what happened.

use std::collections::BTreeMap;

use http::HeaderMap;
use polycart_kit::auth::hmac::verify_base64_hmac_sha256;
use polycart_kit::model::{Entity, Record};
use polycart_kit::{Error, Result, Secret, WebhookEvent, WebhookKind};
use serde_json::value::RawValue;

use crate::PLATFORM;
use crate::mapping;
use polycart_kit::StoreContext;

fn header<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers.get(name)?.to_str().ok().map(str::trim)
}

/// What a topic (`orders/updated`) says: the kind of change and the entity.
pub fn topic_kind(topic: &str) -> (WebhookKind, Option<Entity>) {
    let (resource, action) = topic.split_once('/').unwrap_or((topic, ""));
    let entity = match resource {
        "orders" | "order_transactions" | "refunds" | "fulfillments" => Some(Entity::Order),
        "products" => Some(Entity::Product),
        "customers" => Some(Entity::Customer),
        "collections" => Some(Entity::Category),
        "inventory_levels" => Some(Entity::Inventory),
        _ => None,
    };
    let kind = match (resource, action) {
        ("app", "uninstalled") => return (WebhookKind::Uninstalled, None),
        (_, "create") if resource != "refunds" && resource != "fulfillments" => {
            WebhookKind::Created
        }
        (_, "delete" | "disconnect") => WebhookKind::Deleted,
        _ if entity.is_some() => WebhookKind::Updated,
        _ => WebhookKind::Other,
    };
    (kind, entity)
}

/// Verifies a delivery against the app's secret and reads it.
pub fn verify(
    secret: Option<&Secret>,
    ctx: &StoreContext,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<WebhookEvent> {
    let secret =
        secret.ok_or_else(|| Error::auth("no api_secret configured to verify Shopify webhooks"))?;
    let signature = header(headers, "x-shopify-hmac-sha256")
        .ok_or_else(|| Error::auth("missing X-Shopify-Hmac-Sha256 header"))?;
    if !verify_base64_hmac_sha256(secret.expose().as_bytes(), body, signature) {
        return Err(Error::auth("X-Shopify-Hmac-Sha256 does not match the body"));
    }
    let topic = header(headers, "x-shopify-topic")
        .ok_or_else(|| Error::invalid("missing X-Shopify-Topic header"))?;
    let (kind, entity) = topic_kind(topic);
    let text = std::str::from_utf8(body)
        .map_err(|_| Error::decode("$", "the webhook body is not utf-8"))?;
    let raw: Option<&RawValue> = Some(
        serde_json::from_str(text)
            .map_err(|_| Error::invalid("the signed webhook body is not JSON"))?,
    );

    #[derive(serde::Deserialize)]
    struct Ids {
        id: Option<polycart_kit::decode::Id>,
        order_id: Option<polycart_kit::decode::Id>,
        inventory_item_id: Option<polycart_kit::decode::Id>,
        location_id: Option<polycart_kit::decode::Id>,
    }
    let ids: Option<Ids> = raw.and_then(|r| serde_json::from_str(r.get()).ok());
    let platform_id = ids
        .as_ref()
        .and_then(|i| match (entity, topic.split('/').next()) {
            (Some(Entity::Inventory), _) => Some(mapping::level_id(
                &i.inventory_item_id.as_ref()?.0,
                &i.location_id.as_ref()?.0,
            )),
            (_, Some("refunds" | "fulfillments" | "order_transactions")) => {
                i.order_id.as_ref().map(|o| o.0.clone())
            }
            _ => i.id.as_ref().map(|id| mapping::legacy_id(&id.0)),
        });
    // Full payloads of create/update topics carry the record itself.
    let record: Option<Record> = match (kind, entity, raw) {
        (WebhookKind::Created | WebhookKind::Updated, Some(e), Some(raw))
            if topic.split('/').next() != Some("refunds")
                && topic.split('/').next() != Some("fulfillments") =>
        {
            crate::mapping::map_one(e, raw, ctx).ok()
        }
        _ => None,
    };
    let mut meta = BTreeMap::new();
    for (key, name) in [
        ("shop_domain", "x-shopify-shop-domain"),
        ("webhook_id", "x-shopify-webhook-id"),
        ("api_version", "x-shopify-api-version"),
        ("triggered_at", "x-shopify-triggered-at"),
        ("event_id", "x-shopify-event-id"),
    ] {
        if let Some(v) = header(headers, name) {
            meta.insert(key.to_owned(), v.to_owned());
        }
    }
    Ok(WebhookEvent {
        platform: PLATFORM.to_owned(),
        topic: topic.to_owned(),
        kind,
        entity,
        platform_id,
        record,
        delivery_id: header(headers, "x-shopify-webhook-id")
            .or_else(|| header(headers, "x-shopify-event-id"))
            .map(str::to_owned),
        meta,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topics() {
        assert_eq!(
            topic_kind("orders/create"),
            (WebhookKind::Created, Some(Entity::Order))
        );
        assert_eq!(
            topic_kind("orders/paid"),
            (WebhookKind::Updated, Some(Entity::Order))
        );
        assert_eq!(
            topic_kind("products/delete"),
            (WebhookKind::Deleted, Some(Entity::Product))
        );
        assert_eq!(
            topic_kind("refunds/create"),
            (WebhookKind::Updated, Some(Entity::Order))
        );
        assert_eq!(
            topic_kind("inventory_levels/update"),
            (WebhookKind::Updated, Some(Entity::Inventory))
        );
        assert_eq!(
            topic_kind("app/uninstalled"),
            (WebhookKind::Uninstalled, None)
        );
        assert_eq!(topic_kind("shop/redact"), (WebhookKind::Other, None));
    }
}
