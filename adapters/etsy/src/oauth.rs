//! Connecting a shop: Etsy's OAuth 2 authorization code flow with PKCE (`S256`
//! only). The app sends the shop owner to [`authorize_url`] with a fresh
//! `code_verifier`'s challenge and a `state`; Etsy redirects back with a `code`,
//! which [`exchange_code`] trades (with the verifier) for the first token pair at
//! `https://api.etsy.com/v3/public/oauth/token`. The pair becomes the store's
//! `access_token` and `refresh_token` credentials; from then on the adapter
//! refreshes it (`client.rs`).

use polycart_kit::auth::{OAuth2Client, TokenSet, pkce_challenge};
use polycart_kit::{Error, Result, Secret};
use url::Url;

/// Etsy's consent page.
pub const AUTHORIZE_URL: &str = "https://www.etsy.com/oauth/connect";

/// The scopes polycart reads and writes with: receipts, listings and shop sections.
pub const SCOPES: &[&str] = &[
    "transactions_r",
    "transactions_w",
    "listings_r",
    "listings_w",
    "shops_r",
];

/// `https://www.etsy.com/oauth/connect?response_type=code&client_id&redirect_uri&scope&state&code_challenge&code_challenge_method=S256`.
pub fn authorize_url(
    keystring: &str,
    redirect_uri: &str,
    scopes: &[&str],
    state: &str,
    code_verifier: &Secret,
) -> Result<Url> {
    let mut url = Url::parse(AUTHORIZE_URL).map_err(|e| Error::invalid(e.to_string()))?;
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", keystring)
        .append_pair("redirect_uri", redirect_uri)
        .append_pair("scope", &scopes.join(" "))
        .append_pair("state", state)
        .append_pair("code_challenge", &pkce_challenge(code_verifier.expose()))
        .append_pair("code_challenge_method", "S256");
    Ok(url)
}

/// Trades the redirect's `code` and the flow's `code_verifier` for the first token
/// pair (`token_url`: `EtsyConfig::token_url`, Etsy's or a simulator's).
pub async fn exchange_code(
    keystring: &str,
    token_url: &Url,
    code: &Secret,
    code_verifier: &Secret,
    redirect_uri: &str,
) -> Result<TokenSet> {
    OAuth2Client::public(keystring, token_url.as_str())?
        .exchange_code(code, code_verifier, redirect_uri)
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_consent_url_carries_the_s256_challenge() {
        let url = authorize_url(
            "ks",
            "https://app.example/cb",
            SCOPES,
            "st4te",
            &Secret::new("dBjftJeZ4CVP-mJ92K9qSYm9s4ZBbpHVHDRR0jKStv0"),
        )
        .unwrap();
        let q: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
        assert_eq!(q["code_challenge_method"], "S256");
        assert_eq!(
            q["code_challenge"],
            "VcPIvTMbrpXZg-WVgx1uDziUMIwqBTbflZyU6vXo2BI"
        );
        assert_eq!(
            q["scope"],
            "transactions_r transactions_w listings_r listings_w shops_r"
        );
        assert!(!url.as_str().contains("dBjftJ"), "the verifier stays here");
    }
}
