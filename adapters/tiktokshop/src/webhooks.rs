//! TikTok Shop's webhooks: the `Authorization` header is the lower-case hex
//! HMAC-SHA256, keyed with the app secret, of the app key followed by the raw body
//! (the partner docs say only "a signature in Authorization"; the scheme is the one
//! TikTok-facing SDKs verify, e.g. easycb-go `tiktok/sign.go`). Checked in constant
//! time before the body is read. The body names its type (`1` order status change,
//! `5` product status change, ...), the shop and the record; the app re-reads the
//! record.

use std::collections::BTreeMap;

use http::HeaderMap;
use polycart_kit::auth::hmac::{constant_time_eq, hex, hmac_sha256};
use polycart_kit::decode::Id;
use polycart_kit::{Entity, Error, Result, Secret, WebhookEvent, WebhookKind};
use serde::Deserialize;

use crate::PLATFORM;

/// The header carrying the signature.
pub const SIGNATURE: &str = "authorization";

/// The topics polycart reads, by TikTok's numeric type.
pub const ORDER_TOPICS: &[&str] = &["1", "3", "4", "11", "12"];
pub const PRODUCT_TOPICS: &[&str] = &["5", "15", "16", "27"];

/// The signature TikTok sends for `body`.
pub fn signature(app_key: &str, app_secret: &str, body: &[u8]) -> String {
    let mut msg = Vec::with_capacity(app_key.len() + body.len());
    msg.extend_from_slice(app_key.as_bytes());
    msg.extend_from_slice(body);
    hex(&hmac_sha256(app_secret.as_bytes(), &msg))
}

#[derive(Deserialize)]
struct Notification {
    #[serde(rename = "type")]
    kind: i64,
    tts_notification_id: Option<Id>,
    shop_id: Option<Id>,
    #[serde(default)]
    data: Data,
}

#[derive(Default, Deserialize)]
struct Data {
    order_id: Option<Id>,
    product_id: Option<Id>,
}

/// Verifies a delivery and reads what it is about.
pub fn verify(
    app_key: &str,
    app_secret: &Secret,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<WebhookEvent> {
    let given = headers
        .get(SIGNATURE)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| Error::auth("the delivery has no Authorization signature"))?;
    let expected = signature(app_key, app_secret.expose(), body);
    if !constant_time_eq(
        expected.as_bytes(),
        given.trim().to_ascii_lowercase().as_bytes(),
    ) {
        return Err(Error::auth("the delivery's signature does not match"));
    }
    let n: Notification = polycart_kit::error::decode_json(
        std::str::from_utf8(body).map_err(|_| Error::decode("$", "the body is not UTF-8"))?,
    )?;
    let topic = n.kind.to_string();
    let (entity, kind, platform_id) = match n.kind {
        1 | 3 | 4 | 11 | 12 => (Some(Entity::Order), WebhookKind::Updated, n.data.order_id),
        16 => (
            Some(Entity::Product),
            WebhookKind::Created,
            n.data.product_id,
        ),
        5 | 15 | 27 => (
            Some(Entity::Product),
            WebhookKind::Updated,
            n.data.product_id,
        ),
        6 => (None, WebhookKind::Uninstalled, None),
        _ => (None, WebhookKind::Other, None),
    };
    let mut meta = BTreeMap::new();
    if let Some(shop) = n.shop_id {
        meta.insert("shop_id".to_owned(), shop.0);
    }
    Ok(WebhookEvent {
        platform: PLATFORM.to_owned(),
        topic,
        kind,
        entity,
        platform_id: platform_id.map(|i| i.0),
        record: None,
        delivery_id: n.tts_notification_id.map(|i| i.0),
        meta,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `../shared/platforms.md` Appendix A: app key `38abcd`, secret `tt_test_secret`.
    #[test]
    fn the_appendix_vector() {
        assert_eq!(
            signature(
                "38abcd",
                "tt_test_secret",
                br#"{"id":1001,"status":"paid"}"#
            ),
            "193dacdde2cee7aafc4b785dbb171a71dbebbe9082c51de62ff15be95c8863f6"
        );
    }

    #[test]
    fn a_real_order_notification_verifies_and_a_forged_one_does_not() {
        let body = include_bytes!("../../../fixtures/tiktokshop/webhook/order-status-change.json");
        let secret = Secret::new("tt_test_secret");
        let mut h = HeaderMap::new();
        h.insert(
            SIGNATURE,
            signature("38abcd", "tt_test_secret", body).parse().unwrap(),
        );
        let e = verify("38abcd", &secret, &h, body).unwrap();
        assert_eq!(e.entity, Some(Entity::Order));
        assert_eq!(e.platform_id.as_deref(), Some("576486316948490001"));
        assert_eq!(e.delivery_id.as_deref(), Some("7327112393057371910"));
        assert_eq!(e.topic, "1");
        let mut tampered = body.to_vec();
        tampered.push(b' ');
        assert!(matches!(
            verify("38abcd", &secret, &h, &tampered),
            Err(Error::Auth { .. })
        ));
        assert!(matches!(
            verify("other", &secret, &h, body),
            Err(Error::Auth { .. })
        ));
        assert!(matches!(
            verify("38abcd", &secret, &HeaderMap::new(), body),
            Err(Error::Auth { .. })
        ));
    }

    /// TikTok's type 5 example writes `product_id` as a JSON number beyond 2^53: read
    /// exactly, as digits.
    #[test]
    fn a_numeric_product_id_is_read_exactly() {
        let body =
            include_bytes!("../../../fixtures/tiktokshop/webhook/product-status-change.json");
        let secret = Secret::new("s");
        let mut h = HeaderMap::new();
        h.insert(SIGNATURE, signature("k", "s", body).parse().unwrap());
        let e = verify("k", &secret, &h, body).unwrap();
        assert_eq!(e.entity, Some(Entity::Product));
        assert_eq!(e.kind, WebhookKind::Updated);
        assert_eq!(e.platform_id.as_deref(), Some("576486316948490000"));
        assert_eq!(
            e.meta.get("shop_id").map(String::as_str),
            Some("7494049642642441621")
        );
    }

    #[test]
    fn creation_and_deauthorisation_are_told_apart() {
        let secret = Secret::new("s");
        let read = |body: &str| {
            let mut h = HeaderMap::new();
            h.insert(
                SIGNATURE,
                signature("k", "s", body.as_bytes()).parse().unwrap(),
            );
            verify("k", &secret, &h, body.as_bytes()).unwrap()
        };
        let created = read(
            r#"{"type":16,"tts_notification_id":"1","shop_id":"2","timestamp":1,"data":{"product_id":"1729592969712207008"}}"#,
        );
        assert_eq!(
            (created.kind, created.entity),
            (WebhookKind::Created, Some(Entity::Product))
        );
        assert_eq!(created.platform_id.as_deref(), Some("1729592969712207008"));
        let gone =
            read(r#"{"type":6,"tts_notification_id":"3","shop_id":"2","timestamp":1,"data":{}}"#);
        assert_eq!((gone.kind, gone.entity), (WebhookKind::Uninstalled, None));
        let other = read(r#"{"type":99,"timestamp":1}"#);
        assert_eq!(other.kind, WebhookKind::Other);
        let mut h = HeaderMap::new();
        h.insert(SIGNATURE, signature("k", "s", b"not json").parse().unwrap());
        assert!(matches!(
            verify("k", &secret, &h, b"not json"),
            Err(Error::Decode { .. })
        ));
    }
}
