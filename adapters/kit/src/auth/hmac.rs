//! HMAC helpers shared by request signers and webhook verification: digests, hex and
//! base64 encodings, and constant-time comparison.

use base64::Engine;
use hmac::{Hmac, Mac};
use sha1::Sha1;
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// HMAC-SHA256 of `data` keyed with `key`.
pub fn hmac_sha256(key: &[u8], data: &[u8]) -> [u8; 32] {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("hmac takes keys of any length");
    mac.update(data);
    mac.finalize().into_bytes().into()
}

/// HMAC-SHA1 of `data` keyed with `key`.
pub fn hmac_sha1(key: &[u8], data: &[u8]) -> [u8; 20] {
    let mut mac = Hmac::<Sha1>::new_from_slice(key).expect("hmac takes keys of any length");
    mac.update(data);
    mac.finalize().into_bytes().into()
}

/// Lower-case hex.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[usize::from(b >> 4)] as char);
        out.push(DIGITS[usize::from(b & 0xf)] as char);
    }
    out
}

/// Upper-case hex (Lazada, Temu).
pub fn hex_upper(bytes: &[u8]) -> String {
    hex(bytes).to_ascii_uppercase()
}

/// Standard base64 with padding.
pub fn base64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Compares two byte strings in time independent of where they differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

/// Checks a base64 HMAC-SHA256 signature of `body` (Shopify's `X-Shopify-Hmac-Sha256`,
/// WooCommerce's `X-WC-Webhook-Signature`) in constant time.
pub fn verify_base64_hmac_sha256(secret: &[u8], body: &[u8], signature_b64: &str) -> bool {
    let Ok(given) = base64::engine::general_purpose::STANDARD.decode(signature_b64.trim()) else {
        return false;
    };
    constant_time_eq(&hmac_sha256(secret, body), &given)
}

/// The HMAC key of a Standard Webhooks signing secret: `whsec_<base64>` decodes to
/// its bytes; any other text is used as it is (BigCommerce signs with its client
/// secret's bytes).
pub fn standard_webhook_key(secret: &str) -> Vec<u8> {
    use base64::Engine;
    secret
        .strip_prefix("whsec_")
        .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
        .unwrap_or_else(|| secret.as_bytes().to_vec())
}

/// A Standard Webhooks signature (standardwebhooks.com): `v1,` and the base64
/// HMAC-SHA256 of `{webhook-id}.{webhook-timestamp}.{body}`.
pub fn standard_webhook_signature(key: &[u8], id: &str, timestamp: &str, body: &[u8]) -> String {
    let mut content = Vec::with_capacity(id.len() + timestamp.len() + body.len() + 2);
    content.extend_from_slice(id.as_bytes());
    content.push(b'.');
    content.extend_from_slice(timestamp.as_bytes());
    content.push(b'.');
    content.extend_from_slice(body);
    format!("v1,{}", base64(&hmac_sha256(key, &content)))
}

/// Why a Standard Webhooks delivery was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StandardWebhookError {
    /// `webhook-id`, `webhook-timestamp` or `webhook-signature` is missing.
    MissingHeader(&'static str),
    /// `webhook-timestamp` is not unix seconds.
    BadTimestamp,
    /// The timestamp is further from now than the tolerance (a replay, or skew).
    Stale,
    /// No signature in the header matches.
    Mismatch,
}

impl std::fmt::Display for StandardWebhookError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::MissingHeader(h) => write!(f, "missing {h}"),
            Self::BadTimestamp => f.write_str("webhook-timestamp is not unix seconds"),
            Self::Stale => {
                f.write_str("webhook-timestamp is outside the tolerance (replayed or skewed)")
            }
            Self::Mismatch => f.write_str("webhook-signature does not match"),
        }
    }
}

/// Checks a Standard Webhooks delivery at `now` (unix seconds) and returns its
/// `webhook-id` (the delivery id, kept by retries). The signature header may hold
/// several space-separated signatures (key rotation): one match is enough; each is
/// compared in constant time.
pub fn verify_standard_webhook(
    key: &[u8],
    headers: &http::HeaderMap,
    body: &[u8],
    now: i64,
    tolerance: std::time::Duration,
) -> Result<String, StandardWebhookError> {
    let header = |name: &'static str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .ok_or(StandardWebhookError::MissingHeader(name))
    };
    let id = header("webhook-id")?;
    let timestamp = header("webhook-timestamp")?;
    let signatures = header("webhook-signature")?;
    let at: i64 = timestamp
        .parse()
        .map_err(|_| StandardWebhookError::BadTimestamp)?;
    if now.abs_diff(at) > tolerance.as_secs() {
        return Err(StandardWebhookError::Stale);
    }
    let expected = standard_webhook_signature(key, id, timestamp, body);
    signatures
        .split(' ')
        .any(|s| constant_time_eq(s.trim().as_bytes(), expected.as_bytes()))
        .then(|| id.to_owned())
        .ok_or(StandardWebhookError::Mismatch)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc4231_case_2() {
        let mac = hmac_sha256(b"Jefe", b"what do ya want for nothing?");
        assert_eq!(
            hex(&mac),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn rfc2202_case_2() {
        let mac = hmac_sha1(b"Jefe", b"what do ya want for nothing?");
        assert_eq!(hex(&mac), "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79");
    }

    #[test]
    fn verifies_base64_signatures() {
        let sig = base64(&hmac_sha256(b"secret", b"{\"id\":1}"));
        assert!(verify_base64_hmac_sha256(b"secret", b"{\"id\":1}", &sig));
        assert!(!verify_base64_hmac_sha256(b"secret", b"{\"id\":2}", &sig));
        assert!(!verify_base64_hmac_sha256(b"other", b"{\"id\":1}", &sig));
        assert!(!verify_base64_hmac_sha256(
            b"secret",
            b"{\"id\":1}",
            "not base64!"
        ));
    }

    #[test]
    fn standard_webhooks_vector_and_checks() {
        // polycart's shared/platforms.md appendix A (computed, not platform-published).
        let key = standard_webhook_key("whsec_ZXRzeV9zaWduaW5nX2tleV9ieXRlcw==");
        let body = br#"{"id":1001,"status":"paid"}"#;
        let sig =
            standard_webhook_signature(&key, "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W", "1700000000", body);
        assert_eq!(sig, "v1,aVvsY5nUZvf1cKcTKKFqRY58gjIgWX5sIbBmfbMuCtE=");
        let mut h = http::HeaderMap::new();
        h.insert(
            "webhook-id",
            "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W".parse().unwrap(),
        );
        h.insert("webhook-timestamp", "1700000000".parse().unwrap());
        h.insert(
            "webhook-signature",
            format!("v1,AAAA {sig}").parse().unwrap(),
        );
        let five_min = std::time::Duration::from_secs(300);
        assert_eq!(
            verify_standard_webhook(&key, &h, body, 1_700_000_100, five_min).as_deref(),
            Ok("msg_2KWPBgLlAfxdpx2AI54pPJ85f4W")
        );
        assert_eq!(
            verify_standard_webhook(&key, &h, b"{}", 1_700_000_100, five_min),
            Err(StandardWebhookError::Mismatch)
        );
        assert_eq!(
            verify_standard_webhook(&key, &h, body, 1_700_000_400, five_min),
            Err(StandardWebhookError::Stale)
        );
        h.remove("webhook-id");
        assert_eq!(
            verify_standard_webhook(&key, &h, body, 1_700_000_100, five_min),
            Err(StandardWebhookError::MissingHeader("webhook-id"))
        );
        assert_eq!(standard_webhook_key("plain"), b"plain".to_vec());
    }
}
