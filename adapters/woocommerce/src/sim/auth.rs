//! WooCommerce's server-side authentication, re-implemented after its documented
//! behaviour (`class-wc-rest-authentication.php`): query keys first, then HTTP basic,
//! then OAuth 1.0a one-legged (parameters sorted by key with `strcmp`, each `k=v`
//! RFC 3986-encoded twice, base URI = home URL + path, key = `secret&`, timestamp
//! within 15 minutes, nonces single-use).

use std::collections::{BTreeMap, HashSet};

use base64::Engine;
use http::HeaderMap;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use polycart_kit::auth::hmac::{base64 as b64, constant_time_eq, hmac_sha1, hmac_sha256};

const RFC3986: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// PHP's `rawurlencode`.
fn rawurlencode(s: &str) -> String {
    utf8_percent_encode(s, RFC3986).to_string()
}

/// Why a request was refused, as WooCommerce words it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Refusal {
    pub code: &'static str,
    pub message: String,
}

fn refuse(message: impl Into<String>) -> Refusal {
    Refusal {
        code: "woocommerce_rest_authentication_error",
        message: message.into(),
    }
}

/// The request as the authenticator sees it.
pub(crate) struct AuthRequest<'a> {
    pub method: &'a str,
    /// The request path ("/wp-json/wc/v3/orders", "/", "/index.php").
    pub path: &'a str,
    /// Decoded query parameters, in order (PHP's `$_GET`: the last duplicate wins).
    pub query: &'a [(String, String)],
    pub headers: &'a HeaderMap,
    /// The site's home URL without a trailing slash.
    pub home_url: &'a str,
    pub now: i64,
}

/// `Ok(true)`: authenticated; `Ok(false)`: no credentials at all; `Err`: refused.
pub(crate) fn authenticate(
    req: &AuthRequest<'_>,
    key: &str,
    secret: &str,
    nonces: &mut HashSet<String>,
) -> Result<bool, Refusal> {
    let get = |name: &str| {
        req.query
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    // Basic authentication: the query string is checked first, then the header.
    let basic = match (get("consumer_key"), get("consumer_secret")) {
        (Some(k), Some(s)) => Some((k.to_owned(), s.to_owned())),
        _ => basic_header(req.headers),
    };
    if let Some((k, s)) = basic {
        if k != key {
            return Err(refuse("Consumer key is invalid."));
        }
        if !constant_time_eq(s.as_bytes(), secret.as_bytes()) {
            return Err(refuse("Consumer secret is invalid."));
        }
        return Ok(true);
    }
    let mut params: BTreeMap<String, String> = BTreeMap::new();
    for (k, v) in req.query {
        params.insert(k.clone(), v.clone());
    }
    if let Some(header) = req
        .headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        if let Some(rest) = header.trim().strip_prefix("OAuth ") {
            for part in rest.split(',') {
                if let Some((k, v)) = part.trim().split_once('=') {
                    let v = v.trim().trim_matches('"');
                    params.insert(
                        k.trim().to_owned(),
                        percent_decode_str(v).decode_utf8_lossy().into_owned(),
                    );
                }
            }
        }
    }
    if !params.contains_key("oauth_consumer_key") {
        return Ok(false);
    }
    for required in [
        "oauth_consumer_key",
        "oauth_timestamp",
        "oauth_nonce",
        "oauth_signature",
        "oauth_signature_method",
    ] {
        if !params.contains_key(required) {
            return Err(refuse(format!("Missing OAuth parameter {required}")));
        }
    }
    if params["oauth_consumer_key"] != key {
        return Err(refuse("Consumer key is invalid."));
    }
    let given = params
        .remove("oauth_signature")
        .unwrap_or_default()
        .replace(' ', "+");
    let method = params["oauth_signature_method"].clone();
    // The base URI: home URL + path without the site's base ("/"), so the bare root
    // signs as the home URL without a trailing slash.
    let server_path = req.path.trim_start_matches('/');
    let base_uri = if server_path.is_empty() {
        req.home_url.to_owned()
    } else {
        format!("{}/{server_path}", req.home_url)
    };
    // `uksort($params, 'strcmp')`: BTreeMap orders by byte-wise key already.
    let pairs: Vec<String> = params
        .iter()
        .map(|(k, v)| rawurlencode(&format!("{}={}", rawurlencode(k), rawurlencode(v))))
        .collect();
    let to_sign = format!(
        "{}&{}&{}",
        req.method.to_ascii_uppercase(),
        rawurlencode(&base_uri),
        pairs.join("%26")
    );
    let key_bytes = format!("{secret}&");
    let expected = match method.as_str() {
        "HMAC-SHA1" => b64(&hmac_sha1(key_bytes.as_bytes(), to_sign.as_bytes())),
        "HMAC-SHA256" => b64(&hmac_sha256(key_bytes.as_bytes(), to_sign.as_bytes())),
        _ => return Err(refuse("Invalid signature - signature method is invalid.")),
    };
    if !constant_time_eq(expected.as_bytes(), given.as_bytes()) {
        return Err(refuse(
            "Invalid signature - provided signature does not match.",
        ));
    }
    let ts: i64 = params["oauth_timestamp"].parse().unwrap_or(0);
    if (ts - req.now).abs() > 15 * 60 {
        return Err(refuse("Invalid timestamp."));
    }
    let nonce = format!("{ts}:{}", params["oauth_nonce"]);
    if !nonces.insert(nonce) {
        return Err(refuse("Invalid nonce - nonce has already been used."));
    }
    Ok(true)
}

fn basic_header(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(http::header::AUTHORIZATION)?.to_str().ok()?;
    let encoded = value.trim().strip_prefix("Basic ")?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (k, s) = text.split_once(':')?;
    Some((k.to_owned(), s.to_owned()))
}
