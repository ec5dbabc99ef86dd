//! eBay's Notification API deliveries: a JSON body (`{"metadata": {"topic", …},
//! "notification": {"notificationId", "eventDate", "data"}}`) signed in
//! `X-EBAY-SIGNATURE`, base64 of `{"alg": "ecdsa", "kid", "signature", "digest":
//! "SHA1"}`: an ECDSA (P-256) signature over the body, verified with the public key
//! `GET /commerce/notification/v1/public_key/{kid}` returns. And the endpoint
//! validation: eBay GETs the endpoint with `challenge_code` and expects
//! `{"challengeResponse": hex(SHA-256(challengeCode + verificationToken + endpoint))}`.
//!
//! The signature is checked with the key a store is given (credential
//! `notification_public_key`: the PEM `key` of that answer; setting
//! `notification_key_id`: its `kid`): `verify_webhook` is synchronous, so the key is
//! configured rather than fetched per delivery. A delivery signed with another key id
//! is refused naming the key to fetch. A verified delivery is a hint: the only topic
//! handled by name is `MARKETPLACE_ACCOUNT_DELETION` (a buyer or seller account closed:
//! their data must be deleted), reported as `Other` with the user in `meta`.

use std::collections::BTreeMap;

use base64::Engine;
use http::HeaderMap;
use p256::ecdsa::signature::hazmat::PrehashVerifier;
use p256::ecdsa::{Signature, VerifyingKey};
use p256::pkcs8::DecodePublicKey;
use polycart_kit::error::decode_json;
use polycart_kit::{Error, Result, WebhookEvent, WebhookKind};
use serde::Deserialize;
use sha2::Digest;

use crate::PLATFORM;

/// The signature header.
pub const SIGNATURE: &str = "x-ebay-signature";

/// The decoded `X-EBAY-SIGNATURE` header.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct SignatureHeader {
    pub alg: String,
    pub kid: String,
    pub signature: String,
    pub digest: String,
}

/// Reads `X-EBAY-SIGNATURE`: base64 of a small JSON object.
pub fn signature_header(headers: &HeaderMap) -> Result<SignatureHeader> {
    let value = headers
        .get(SIGNATURE)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| Error::auth("no X-EBAY-SIGNATURE header"))?;
    let json = base64::engine::general_purpose::STANDARD
        .decode(value.trim())
        .map_err(|_| Error::auth("X-EBAY-SIGNATURE is not base64"))?;
    let text =
        std::str::from_utf8(&json).map_err(|_| Error::auth("X-EBAY-SIGNATURE is not UTF-8"))?;
    decode_json(text).map_err(|_| Error::auth("X-EBAY-SIGNATURE is not the signature JSON"))
}

/// The answer to eBay's endpoint validation:
/// hex(SHA-256(`challenge_code` + `verification_token` + `endpoint`)).
pub fn challenge_response(
    challenge_code: &str,
    verification_token: &str,
    endpoint: &str,
) -> String {
    let mut h = sha2::Sha256::new();
    h.update(challenge_code.as_bytes());
    h.update(verification_token.as_bytes());
    h.update(endpoint.as_bytes());
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// The store's notification key: eBay's key id and its P-256 public key.
#[derive(Clone)]
pub struct NotificationKey {
    pub kid: Option<String>,
    key: VerifyingKey,
}

impl std::fmt::Debug for NotificationKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NotificationKey")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl NotificationKey {
    /// Reads the `key` eBay's `getPublicKey` returns: a PEM public key, with or without
    /// line breaks (eBay writes it on one line).
    pub fn from_pem(pem: &str, kid: Option<&str>) -> Result<Self> {
        let body: String = pem
            .replace("-----BEGIN PUBLIC KEY-----", "")
            .replace("-----END PUBLIC KEY-----", "")
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        let der = base64::engine::general_purpose::STANDARD
            .decode(body)
            .map_err(|_| Error::invalid("notification_public_key is not a PEM public key"))?;
        let key = p256::PublicKey::from_public_key_der(&der)
            .map_err(|_| Error::invalid("notification_public_key is not a P-256 public key"))?;
        Ok(Self {
            kid: kid.map(str::to_owned),
            key: VerifyingKey::from(&key),
        })
    }

    /// Whether `signature` (DER, base64) signs `body` with SHA-1 ECDSA under this key.
    fn signs(&self, body: &[u8], signature: &str) -> bool {
        let Ok(der) = base64::engine::general_purpose::STANDARD.decode(signature.trim()) else {
            return false;
        };
        let Ok(sig) = Signature::from_der(&der) else {
            return false;
        };
        let digest = sha1::Sha1::digest(body);
        self.key.verify_prehash(&digest, &sig).is_ok()
    }
}

#[derive(Deserialize)]
struct Delivery {
    metadata: Option<Metadata>,
    notification: Option<Notification>,
}

#[derive(Deserialize)]
struct Metadata {
    topic: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Notification {
    notification_id: Option<String>,
    #[serde(default)]
    data: BTreeMap<String, serde_json::Value>,
}

/// Verifies one delivery with the store's key (none: refused as `Auth`).
pub fn verify(
    key: Option<&NotificationKey>,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<WebhookEvent> {
    let key = key.ok_or_else(|| {
        Error::auth("no notification_public_key: eBay notifications cannot be verified")
    })?;
    let header = signature_header(headers)?;
    if !header.alg.eq_ignore_ascii_case("ecdsa") || !header.digest.eq_ignore_ascii_case("sha1") {
        return Err(Error::auth(format!(
            "unknown notification signature scheme {}/{}",
            header.alg, header.digest
        )));
    }
    if let Some(kid) = &key.kid
        && kid != &header.kid
    {
        return Err(Error::auth(format!(
            "the notification is signed with key {}, not this store's {kid}: fetch GET /commerce/notification/v1/public_key/{} and update notification_public_key and notification_key_id",
            header.kid, header.kid
        )));
    }
    if !key.signs(body, &header.signature) {
        return Err(Error::auth("notification signature does not match"));
    }
    let text = std::str::from_utf8(body).map_err(|_| Error::decode("$", "body is not UTF-8"))?;
    let delivery: Delivery = decode_json(text)?;
    let topic = delivery.metadata.and_then(|m| m.topic).unwrap_or_default();
    let notification = delivery.notification;
    let mut meta = BTreeMap::new();
    if let Some(n) = &notification {
        for name in ["userId", "username"] {
            if let Some(v) = n.data.get(name).and_then(|v| v.as_str()) {
                meta.insert(name.to_owned(), v.to_owned());
            }
        }
    }
    Ok(WebhookEvent {
        platform: PLATFORM.to_owned(),
        topic,
        kind: WebhookKind::Other,
        entity: None,
        platform_id: None,
        record: None,
        delivery_id: notification.and_then(|n| n.notification_id),
        meta,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_challenge_response_is_sha256_hex_of_the_three_parts() {
        // Computed independently: printf '%s' 'abcverify-token-1234567890123456789012https://example.com/hook' | sha256sum
        let r = challenge_response(
            "abc",
            "verify-token-1234567890123456789012",
            "https://example.com/hook",
        );
        assert_eq!(r.len(), 64);
        assert_eq!(
            r,
            "93211f38ab6e8e33addfeb06f49d1aed86efe06f4923a10f10124ace9af97256"
        );
    }

    /// eBay's own example delivery and key (event-notification-php-sdk,
    /// `src/test/test.json`, case VALID): the body is the message as compact JSON.
    const EBAY_KEY: &str = "-----BEGIN PUBLIC KEY-----MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEZhhxXKtR+TOvtDbgTPCkSof02qgBB7IsYOyf76ilExJ/upAa/vKIKheOoCyOpcLmi4t0b4uepb7LLjmMr90FUg==-----END PUBLIC KEY-----";
    const EBAY_HEADER: &str = "eyJhbGciOiJlY2RzYSIsImtpZCI6Ijk5MzYyNjFhLTdkN2ItNDYyMS1hMGYxLTk2Y2NiNDI4YWY0OSIsInNpZ25hdHVyZSI6Ik1FWUNJUUNmeGZJV3V4bVdjSUJRSjljNS9YN2lHREpxczJSQ0dzQkVhQWppbnlycmZBSWhBSVY2d0djVGlCdVY1S0pVaWYyaG9reXJMK1E5c3NIa2FkK214Mm5FRTI1dyIsImRpZ2VzdCI6IlNIQTEifQ==";
    const EBAY_BODY: &str = r#"{"metadata":{"topic":"MARKETPLACE_ACCOUNT_DELETION","schemaVersion":"1.0","deprecated":false},"notification":{"notificationId":"49feeaeb-4982-42d9-a377-9645b8479411_33f7e043-fed8-442b-9d44-791923bd9a6d","eventDate":"2021-03-19T20:43:59.462Z","publishDate":"2021-03-19T20:43:59.679Z","publishAttemptCount":1,"data":{"username":"test_user","userId":"ma8vp1jySJC","eiasToken":"nY+sHZ2PrBmdj6wVnY+sEZ2PrA2dj6wJnY+gAZGEpwmdj6x9nY+seQ=="}}}"#;

    #[test]
    fn ebays_own_example_verifies_and_a_changed_body_does_not() {
        let key = NotificationKey::from_pem(EBAY_KEY, Some("9936261a-7d7b-4621-a0f1-96ccb428af49"))
            .unwrap();
        let mut h = HeaderMap::new();
        h.insert(SIGNATURE, EBAY_HEADER.parse().unwrap());
        let e = verify(Some(&key), &h, EBAY_BODY.as_bytes()).unwrap();
        assert_eq!(e.topic, "MARKETPLACE_ACCOUNT_DELETION");
        assert_eq!(
            e.meta.get("userId").map(String::as_str),
            Some("ma8vp1jySJC")
        );
        assert_eq!(
            e.delivery_id.as_deref(),
            Some("49feeaeb-4982-42d9-a377-9645b8479411_33f7e043-fed8-442b-9d44-791923bd9a6d")
        );
        let tampered = EBAY_BODY.replace("test_user", "test_usex");
        assert!(matches!(
            verify(Some(&key), &h, tampered.as_bytes()),
            Err(Error::Auth { .. })
        ));
        assert!(matches!(
            verify(None, &h, EBAY_BODY.as_bytes()),
            Err(Error::Auth { .. })
        ));
        let other = NotificationKey::from_pem(EBAY_KEY, Some("another-kid")).unwrap();
        let e = verify(Some(&other), &h, EBAY_BODY.as_bytes()).unwrap_err();
        assert!(e.to_string().contains("public_key/9936261a"), "{e}");
        assert!(NotificationKey::from_pem("not a key", None).is_err());
    }

    #[test]
    fn the_signature_header_is_base64_json() {
        // eBay's own example (event-notification-php-sdk, src/test/test.json).
        let mut h = HeaderMap::new();
        h.insert(SIGNATURE, "eyJhbGciOiJlY2RzYSIsImtpZCI6Ijk5MzYyNjFhLTdkN2ItNDYyMS1hMGYxLTk2Y2NiNDI4YWY0OSIsInNpZ25hdHVyZSI6Ik1FWUNJUUNmeGZJV3V4bVdjSUJRSjljNS9YN2lHREpxczJSQ0dzQkVhQWppbnlycmZBSWhBSVY2d0djVGlCdVY1S0pVaWYyaG9reXJMK1E5c3NIa2FkK214Mm5FRTI1dyIsImRpZ2VzdCI6IlNIQTEifQ==".parse().unwrap());
        let s = signature_header(&h).unwrap();
        assert_eq!(s.alg, "ecdsa");
        assert_eq!(s.kid, "9936261a-7d7b-4621-a0f1-96ccb428af49");
        assert_eq!(s.digest, "SHA1");
        assert!(matches!(
            signature_header(&HeaderMap::new()),
            Err(Error::Auth { .. })
        ));
    }
}
