//! Shopify's OAuth install: the authorize URL (scopes and state), the callback's
//! `hmac` check (hex HMAC-SHA256 over the other query parameters, sorted, keyed with
//! the app's client secret, compared in constant time), and the code exchange for an
//! offline token, optionally expiring (`expiring=1`: `expires_in` and a refresh token
//! that rotates on every use; refreshing is the kit's `OAuth2Bearer` with a
//! `TokenSink`, so one refresh runs per store and the new pair is persisted first).

use std::time::Duration;

use chrono::Utc;
use polycart_kit::auth::TokenSet;
use polycart_kit::auth::hmac::{constant_time_eq, hex, hmac_sha256};
use polycart_kit::{Error, Result, Secret};
use serde::Deserialize;
use url::Url;

/// `https://{shop}/admin/oauth/authorize?client_id&scope&redirect_uri&state`.
pub fn authorize_url(
    shop: &Url,
    client_id: &str,
    scopes: &[&str],
    redirect_uri: &str,
    state: &str,
) -> Result<Url> {
    let mut url = shop
        .join("admin/oauth/authorize")
        .map_err(|e| Error::invalid(format!("shop url: {e}")))?;
    url.query_pairs_mut()
        .append_pair("client_id", client_id)
        .append_pair("scope", &scopes.join(","))
        .append_pair("redirect_uri", redirect_uri)
        .append_pair("state", state);
    Ok(url)
}

/// What a verified callback carries.
#[derive(Debug, Clone, PartialEq)]
pub struct Callback {
    pub code: String,
    /// `{shop}.myshopify.com` as Shopify names it.
    pub shop: String,
    pub state: String,
    pub host: Option<String>,
    pub timestamp: Option<i64>,
}

/// Shopify's message for the callback `hmac`: every parameter but `hmac` (and the
/// legacy `signature`), sorted by name, as `name=value` joined by `&`.
pub fn callback_message(pairs: &[(String, String)]) -> String {
    let mut rest: Vec<&(String, String)> = pairs
        .iter()
        .filter(|(k, _)| k != "hmac" && k != "signature")
        .collect();
    rest.sort();
    rest.iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

/// Verifies a callback's query string against the client secret and the state the
/// install started with; refuses it (as `Auth`) on any mismatch.
pub fn verify_callback(
    query: &str,
    client_secret: &Secret,
    expected_state: &str,
) -> Result<Callback> {
    let pairs: Vec<(String, String)> =
        url::form_urlencoded::parse(query.trim_start_matches('?').as_bytes())
            .into_owned()
            .collect();
    let get = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    let given = get("hmac").ok_or_else(|| Error::auth("the OAuth callback has no hmac"))?;
    let expected = hex(&hmac_sha256(
        client_secret.expose().as_bytes(),
        callback_message(&pairs).as_bytes(),
    ));
    if !constant_time_eq(expected.as_bytes(), given.to_ascii_lowercase().as_bytes()) {
        return Err(Error::auth("the OAuth callback's hmac does not match"));
    }
    let state = get("state").ok_or_else(|| Error::auth("the OAuth callback has no state"))?;
    if !constant_time_eq(state.as_bytes(), expected_state.as_bytes()) {
        return Err(Error::auth(
            "the OAuth callback's state is not the one this install started with",
        ));
    }
    Ok(Callback {
        code: get("code").ok_or_else(|| Error::invalid("the OAuth callback has no code"))?,
        shop: get("shop").ok_or_else(|| Error::invalid("the OAuth callback has no shop"))?,
        state,
        host: get("host"),
        timestamp: get("timestamp").and_then(|t| t.parse().ok()),
    })
}

/// Whether a shop name is a `*.myshopify.com` domain (check before contacting it).
pub fn is_myshopify_domain(shop: &str) -> bool {
    let Some(name) = shop.strip_suffix(".myshopify.com") else {
        return false;
    };
    !name.is_empty()
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && name.as_bytes()[0].is_ascii_alphanumeric()
}

/// Shopify's token response (`token_type` is not part of it).
#[derive(Debug, Deserialize)]
struct TokenResponse {
    access_token: String,
    #[serde(default)]
    scope: Option<String>,
    #[serde(default)]
    expires_in: Option<u64>,
    #[serde(default)]
    refresh_token: Option<String>,
}

/// An exchanged token and the scopes it carries.
#[derive(Debug, Clone, PartialEq)]
pub struct Installed {
    pub tokens: TokenSet,
    pub scopes: Vec<String>,
}

/// Exchanges a callback's code for an offline token at
/// `{shop}/admin/oauth/access_token`; `expiring` asks for an expiring one.
/// Not retried: a code is single use.
pub async fn exchange_code(
    shop: &Url,
    client_id: &str,
    client_secret: &Secret,
    code: &str,
    expiring: bool,
) -> Result<Installed> {
    let url = shop
        .join("admin/oauth/access_token")
        .map_err(|e| Error::invalid(format!("shop url: {e}")))?;
    let mut body = serde_json::json!({
        "client_id": client_id,
        "client_secret": client_secret.expose(),
        "code": code,
    });
    if expiring {
        body["expiring"] = serde_json::json!(1);
    }
    let request = token_http()?.post(url).json(&body);
    let text = call_token_endpoint(request, "the code exchange", &[client_secret]).await?;
    let t: TokenResponse = polycart_kit::error::decode_json(&text)?;
    Ok(Installed {
        tokens: TokenSet {
            access_token: Secret::new(t.access_token),
            refresh_token: t.refresh_token.map(Secret::new),
            expires_at: t
                .expires_in
                .map(|s| Utc::now() + chrono::Duration::seconds(s as i64)),
        },
        scopes: t
            .scope
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
    })
}

/// The client for Shopify's token endpoint: no redirects (against SSRF), a timeout.
pub(crate) fn token_http() -> Result<reqwest::Client> {
    polycart_kit::net::client_builder()
        .timeout(Duration::from_secs(30))
        .build()
        .map_err(|e| Error::Transport {
            message: e.to_string(),
            timeout: false,
        })
}

/// Sends a token endpoint request once (codes are single use, refresh tokens rotate)
/// and returns the body of a 2xx; a refusal is an `Auth` error with `secrets` redacted.
pub(crate) async fn call_token_endpoint(
    request: reqwest::RequestBuilder,
    what: &str,
    secrets: &[&Secret],
) -> Result<String> {
    let response = request.send().await.map_err(|e| {
        let timeout = e.is_timeout();
        Error::Transport {
            message: format!("{what} failed: {}", e.without_url()),
            timeout,
        }
    })?;
    let status = response.status();
    let text = response.text().await.map_err(|e| Error::Transport {
        message: e.to_string(),
        timeout: false,
    })?;
    if !status.is_success() {
        let mut excerpt = polycart_kit::error::platform_message(&text)
            .unwrap_or_else(|| "(no message)".to_owned());
        for s in secrets {
            excerpt = excerpt.replace(s.expose(), "**REDACTED**");
        }
        return Err(Error::auth(format!(
            "{what} was refused ({status}): {excerpt}"
        )));
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_the_authorize_url() {
        let url = authorize_url(
            &"https://s.myshopify.com".parse().unwrap(),
            "key",
            &["read_orders", "write_products"],
            "https://app/cb",
            "n0nce",
        )
        .unwrap();
        assert_eq!(
            url.as_str(),
            "https://s.myshopify.com/admin/oauth/authorize?client_id=key&scope=read_orders%2Cwrite_products&redirect_uri=https%3A%2F%2Fapp%2Fcb&state=n0nce"
        );
    }

    #[test]
    fn callback_hmac_accepts_and_rejects() {
        let secret = Secret::new("hush");
        let pairs = vec![
            (
                "code".to_owned(),
                "0907a61c0c8d55e99db179b68161bc00".to_owned(),
            ),
            ("shop".to_owned(), "some-shop.myshopify.com".to_owned()),
            ("state".to_owned(), "0.6784241404160823".to_owned()),
            ("timestamp".to_owned(), "1337178173".to_owned()),
        ];
        let hmac = hex(&hmac_sha256(b"hush", callback_message(&pairs).as_bytes()));
        let query = format!(
            "code=0907a61c0c8d55e99db179b68161bc00&hmac={hmac}&shop=some-shop.myshopify.com&state=0.6784241404160823&timestamp=1337178173"
        );
        let cb = verify_callback(&query, &secret, "0.6784241404160823").unwrap();
        assert_eq!(cb.shop, "some-shop.myshopify.com");
        assert!(matches!(
            verify_callback(
                &query.replace("1337178173", "1337178174"),
                &secret,
                "0.6784241404160823"
            ),
            Err(Error::Auth { .. })
        ));
        assert!(matches!(
            verify_callback(&query, &Secret::new("other"), "0.6784241404160823"),
            Err(Error::Auth { .. })
        ));
        assert!(matches!(
            verify_callback(&query, &secret, "another-state"),
            Err(Error::Auth { .. })
        ));
        let no_hmac = query.replace(&format!("hmac={hmac}&"), "");
        assert!(matches!(
            verify_callback(&no_hmac, &secret, "0.6784241404160823"),
            Err(Error::Auth { .. })
        ));
    }

    #[test]
    fn myshopify_domains() {
        assert!(is_myshopify_domain("my-shop-1.myshopify.com"));
        assert!(!is_myshopify_domain("evil.com/.myshopify.com"));
        assert!(!is_myshopify_domain("-x.myshopify.com"));
        assert!(!is_myshopify_domain("myshopify.com"));
    }
}
