//! Shopify's expiring offline tokens as an auth strategy: the kit's OAuth 2 bearer
//! (`polycart_kit::auth::OAuth2Bearer`, which tolerates Shopify's token answers without
//! `token_type`) sent in `X-Shopify-Access-Token`, refreshed two minutes before
//! expiry or after a 401 at `{shop}/admin/oauth/access_token` with the client id and
//! secret in the form. The refresh token rotates on every use: the kit refreshes once
//! at a time and hands the new pair to the `TokenSink` before it is used.

use std::sync::Arc;
use std::time::Duration;

use http::HeaderName;
use polycart_kit::auth::{OAuth2Bearer, OAuth2Client, TokenSet, TokenSink};
use polycart_kit::{Error, Result, Secret};
use url::Url;

/// Refresh this long before the token expires.
const SKEW: Duration = Duration::from_secs(120);

/// The auth of a shop with an expiring offline token.
pub fn rotating_token(
    shop: &Url,
    client_id: &str,
    client_secret: Secret,
    tokens: TokenSet,
    sink: Option<Arc<dyn TokenSink>>,
) -> Result<OAuth2Bearer> {
    let token_url = shop
        .join("admin/oauth/access_token")
        .map_err(|e| Error::invalid(format!("shop url: {e}")))?;
    let client = OAuth2Client::new(client_id, client_secret, token_url.as_str(), true)?;
    let bearer = OAuth2Bearer::new(client, tokens)
        .in_header(HeaderName::from_static("x-shopify-access-token"))
        .with_skew(SKEW);
    Ok(match sink {
        Some(sink) => bearer.with_sink(sink),
        None => bearer,
    })
}
