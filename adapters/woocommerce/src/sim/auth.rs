//! WooCommerce's server-side authentication, re-implemented after its documented
//! behaviour (`class-wc-rest-authentication.php`): over SSL only, query keys first and
//! then HTTP basic; then, over http and https, OAuth 1.0a one-legged (parameters sorted
//! by key with `strcmp`, each `k=v` RFC 3986-encoded twice, base URI = home URL + path,
//! key = `secret&`, timestamp within 15 minutes, nonces single-use).

use std::collections::{BTreeMap, HashMap};

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
    /// Refused while checking HTTP basic credentials: the answer carries
    /// `WWW-Authenticate: Basic`.
    pub basic: bool,
}

fn refuse(message: impl Into<String>) -> Refusal {
    Refusal {
        code: "woocommerce_rest_authentication_error",
        message: message.into(),
        basic: false,
    }
}

/// The request as the authenticator sees it.
pub(crate) struct AuthRequest<'a> {
    pub method: &'a str,
    /// The request path ("/wp-json/wc/v3/orders", "/", "/index.php").
    pub path: &'a str,
    /// Decoded query parameters, in order (PHP's `$_GET`: the last duplicate wins).
    pub query: &'a [(String, String)],
    /// Decoded form-encoded body parameters (PHP's `$_POST`).
    pub form: &'a [(String, String)],
    pub headers: &'a HeaderMap,
    /// The site's home URL without a trailing slash.
    pub home_url: &'a str,
    /// WordPress's `is_ssl()`: only then are basic auth and query keys looked at.
    pub ssl: bool,
    pub now: i64,
}

/// `Ok(true)`: authenticated; `Ok(false)`: no usable credentials (the route's own
/// permission check answers); `Err`: refused.
///
/// As WooCommerce's `authenticate()`: over SSL, query keys then the basic header; a
/// key WooCommerce does not know is not an error there (OAuth is tried next), a wrong
/// secret is. Then OAuth 1.0a, over http and https alike.
pub(crate) fn authenticate(
    req: &AuthRequest<'_>,
    key: &str,
    secret: &str,
    nonces: &mut HashMap<String, i64>,
) -> Result<bool, Refusal> {
    let get = |name: &str| super::listing::param(req.query, name).filter(|v| !v.is_empty());
    if req.ssl {
        let basic = match (get("consumer_key"), get("consumer_secret")) {
            (Some(k), Some(s)) => Some((k.to_owned(), s.to_owned())),
            _ => basic_header(req.headers).filter(|(k, s)| !k.is_empty() && !s.is_empty()),
        };
        if let Some((k, s)) = basic {
            if k == key {
                if constant_time_eq(s.as_bytes(), secret.as_bytes()) {
                    return Ok(true);
                }
                return Err(Refusal {
                    basic: true,
                    ..refuse("Consumer secret is invalid.")
                });
            }
        }
    }
    oauth(req, key, secret, nonces)
}

/// `perform_oauth_authentication()`: parameters from the query, the form body and an
/// `Authorization: OAuth` header (which wins).
fn oauth(
    req: &AuthRequest<'_>,
    key: &str,
    secret: &str,
    nonces: &mut HashMap<String, i64>,
) -> Result<bool, Refusal> {
    let mut params: BTreeMap<String, String> = BTreeMap::new();
    for (k, v) in req.query.iter().chain(req.form) {
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
                    let k = k.trim();
                    if !k.starts_with("oauth_") {
                        continue;
                    }
                    let v = v.trim().trim_matches('"');
                    params.insert(
                        k.to_owned(),
                        percent_decode_str(v).decode_utf8_lossy().into_owned(),
                    );
                }
            }
        }
    }
    let required = [
        "oauth_consumer_key",
        "oauth_timestamp",
        "oauth_nonce",
        "oauth_signature",
        "oauth_signature_method",
    ];
    let missing: Vec<&str> = required
        .iter()
        .copied()
        .filter(|r| params.get(*r).is_none_or(|v| v.is_empty()))
        .collect();
    if missing.len() == required.len() {
        return Ok(false);
    }
    if !missing.is_empty() {
        let noun = if missing.len() == 1 {
            "parameter"
        } else {
            "parameters"
        };
        return Err(Refusal {
            code: "woocommerce_rest_authentication_missing_parameter",
            ..refuse(format!("Missing OAuth {noun} {}", missing.join(", ")))
        });
    }
    if params["oauth_consumer_key"] != key {
        return Err(refuse("Consumer key is invalid."));
    }
    let given = params.remove("oauth_signature").unwrap_or_default();
    let given = percent_decode_str(&given.replace(' ', "+"))
        .decode_utf8_lossy()
        .into_owned();
    let method = params["oauth_signature_method"].clone();
    // The base URI: home URL (in the scheme `is_ssl()` says) + the path without the
    // site's base ("/"), so the bare root signs as the home URL without a trailing slash.
    let home = match (req.ssl, req.home_url.strip_prefix("http://")) {
        (true, Some(rest)) => format!("https://{rest}"),
        _ => req.home_url.to_owned(),
    };
    let server_path = req.path.trim_start_matches('/');
    let base_uri = if server_path.is_empty() {
        home
    } else {
        format!("{home}/{server_path}")
    };
    let to_sign = string_to_sign(req.method, &base_uri, &params);
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
    // WooCommerce remembers a key's nonces for the 15-minute window, whatever their
    // timestamp, and forgets the older ones.
    let nonce = params["oauth_nonce"].clone();
    if nonces.contains_key(&nonce) {
        return Err(refuse("Invalid nonce - nonce has already been used."));
    }
    if nonces.len() % 1024 == 1023 {
        nonces.retain(|_, at| *at >= req.now - 15 * 60);
    }
    nonces.insert(nonce, ts);
    Ok(true)
}

/// `check_oauth_signature()`'s string: the parameters (without `oauth_signature`)
/// sorted by key with `strcmp`, key and value each RFC 3986-encoded, every `k=v`
/// encoded again and joined with `%26`.
fn string_to_sign(method: &str, base_uri: &str, params: &BTreeMap<String, String>) -> String {
    // `uksort($params, 'strcmp')`: BTreeMap orders by byte-wise key already.
    let pairs: Vec<String> = params
        .iter()
        .map(|(k, v)| rawurlencode(&format!("{}={}", rawurlencode(k), rawurlencode(v))))
        .collect();
    format!(
        "{}&{}&{}",
        method.to_ascii_uppercase(),
        rawurlencode(base_uri),
        pairs.join("%26")
    )
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The WooCommerce OAuth 1.0a vector of `platforms.md` (Appendix A).
    #[test]
    fn documented_oauth1_vector() {
        let params: BTreeMap<String, String> = [
            ("oauth_consumer_key", "ck_test"),
            ("oauth_nonce", "abc123"),
            ("oauth_signature_method", "HMAC-SHA1"),
            ("oauth_timestamp", "1700000000"),
            ("per_page", "100"),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
        let s = string_to_sign("GET", "http://shop.test/wp-json/wc/v3/orders", &params);
        assert_eq!(
            s,
            "GET&http%3A%2F%2Fshop.test%2Fwp-json%2Fwc%2Fv3%2Forders&oauth_consumer_key%3Dck_test%26oauth_nonce%3Dabc123%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D1700000000%26per_page%3D100"
        );
        assert_eq!(
            b64(&hmac_sha1(b"cs_test&", s.as_bytes())),
            "kceEQ2dlPXrdXprtOsINotf8PQY="
        );
    }

    fn request<'a>(
        query: &'a [(String, String)],
        headers: &'a HeaderMap,
        ssl: bool,
    ) -> AuthRequest<'a> {
        AuthRequest {
            method: "GET",
            path: "/wp-json/wc/v3/orders",
            query,
            form: &[],
            headers,
            home_url: "http://shop.test",
            ssl,
            now: 1_700_000_000,
        }
    }

    #[test]
    fn keys_count_only_over_ssl_and_unknown_keys_are_not_errors() {
        let q = vec![
            ("consumer_key".to_owned(), "ck".to_owned()),
            ("consumer_secret".to_owned(), "cs".to_owned()),
        ];
        let h = HeaderMap::new();
        let mut n = HashMap::new();
        assert_eq!(
            authenticate(&request(&q, &h, true), "ck", "cs", &mut n),
            Ok(true)
        );
        assert_eq!(
            authenticate(&request(&q, &h, false), "ck", "cs", &mut n),
            Ok(false),
            "plain http ignores keys"
        );
        assert_eq!(
            authenticate(&request(&q, &h, true), "ck_other", "cs", &mut n),
            Ok(false),
            "an unknown key falls through to OAuth"
        );
        let refused = authenticate(&request(&q, &h, true), "ck", "cs_other", &mut n).unwrap_err();
        assert_eq!(
            (refused.message.as_str(), refused.basic),
            ("Consumer secret is invalid.", true)
        );
        let partial = vec![("oauth_consumer_key".to_owned(), "ck".to_owned())];
        let refused = authenticate(&request(&partial, &h, false), "ck", "cs", &mut n).unwrap_err();
        assert_eq!(
            refused.code,
            "woocommerce_rest_authentication_missing_parameter"
        );
        assert_eq!(
            refused.message,
            "Missing OAuth parameters oauth_timestamp, oauth_nonce, oauth_signature, oauth_signature_method"
        );
    }
}
