//! Shopify's expiring offline tokens as an auth strategy: `X-Shopify-Access-Token`,
//! refreshed shortly before expiry or after a 401 at `{shop}/admin/oauth/access_token`
//! (`grant_type=refresh_token`). The refresh token rotates on every use, so a store
//! refreshes once at a time (whoever waited finds the new token and does not refresh
//! again) and the new pair goes to the `TokenSink` before it is used.
//!
//! This mirrors the kit's `OAuth2Bearer`, which cannot be used as is: its `oauth2`
//! client requires a `token_type` in the token response, and Shopify sends none.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use async_trait::async_trait;
use chrono::Utc;
use http::HeaderValue;
use polycart_kit::auth::{Auth, PreparedRequest, TokenSet, TokenSink};
use polycart_kit::{Error, Result, Secret};
use serde::Deserialize;
use url::Url;

use crate::oauth::{call_token_endpoint, token_http};

/// Refresh this long before the token expires.
const SKEW: Duration = Duration::from_secs(120);

/// An expiring offline token that keeps itself fresh.
pub struct RotatingToken {
    token_url: Url,
    client_id: String,
    client_secret: Secret,
    tokens: RwLock<TokenSet>,
    refresh_lock: tokio::sync::Mutex<()>,
    sink: Option<Arc<dyn TokenSink>>,
    http: reqwest::Client,
}

impl std::fmt::Debug for RotatingToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RotatingToken")
            .field("token_url", &self.token_url.as_str())
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
struct Refreshed {
    access_token: String,
    #[serde(default)]
    expires_in: Option<u64>,
    #[serde(default)]
    refresh_token: Option<String>,
}

impl RotatingToken {
    pub fn new(
        shop: &Url,
        client_id: &str,
        client_secret: Secret,
        tokens: TokenSet,
        sink: Option<Arc<dyn TokenSink>>,
    ) -> Result<Self> {
        let token_url = shop
            .join("admin/oauth/access_token")
            .map_err(|e| Error::invalid(format!("shop url: {e}")))?;
        let http = token_http()?;
        Ok(Self {
            token_url,
            client_id: client_id.to_owned(),
            client_secret,
            tokens: RwLock::new(tokens),
            refresh_lock: tokio::sync::Mutex::new(()),
            sink,
            http,
        })
    }

    /// The token set in use now.
    pub fn tokens(&self) -> TokenSet {
        self.tokens
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    fn expiring(tokens: &TokenSet) -> bool {
        let skew = chrono::Duration::from_std(SKEW).unwrap_or_default();
        tokens.refresh_token.is_some()
            && tokens.expires_at.is_some_and(|at| at - skew <= Utc::now())
    }

    /// Refreshes unless another request replaced `seen` while this one waited.
    async fn refresh_from(&self, seen: &Secret) -> Result<bool> {
        let _guard = self.refresh_lock.lock().await;
        let current = self.tokens();
        if &current.access_token != seen {
            return Ok(true);
        }
        let Some(refresh_token) = current.refresh_token.clone() else {
            return Ok(false);
        };
        let form = [
            ("client_id", self.client_id.as_str()),
            ("client_secret", self.client_secret.expose()),
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token.expose()),
        ];
        // Not retried: a lost response is recovered by Shopify keeping the old refresh
        // token valid until the new access token is used.
        let request = self.http.post(self.token_url.clone()).form(&form);
        let text = call_token_endpoint(
            request,
            "the token refresh",
            &[&self.client_secret, &refresh_token],
        )
        .await?;
        let r: Refreshed = polycart_kit::error::decode_json(&text)?;
        let fresh = TokenSet {
            access_token: Secret::new(r.access_token),
            refresh_token: Some(r.refresh_token.map(Secret::new).unwrap_or(refresh_token)),
            expires_at: r
                .expires_in
                .map(|s| Utc::now() + chrono::Duration::seconds(s as i64)),
        };
        if let Some(sink) = &self.sink {
            sink.store(&fresh).await?;
        }
        *self.tokens.write().unwrap_or_else(|p| p.into_inner()) = fresh;
        tracing::info!("shopify offline token refreshed");
        Ok(true)
    }
}

#[async_trait]
impl Auth for RotatingToken {
    async fn authorize(&self, request: &mut PreparedRequest) -> Result<()> {
        let tokens = self.tokens();
        if Self::expiring(&tokens) {
            self.refresh_from(&tokens.access_token).await?;
        }
        let mut value = HeaderValue::from_str(self.tokens().access_token.expose())
            .map_err(|_| Error::auth("the access token cannot be sent in a header"))?;
        value.set_sensitive(true);
        request.headers.insert("x-shopify-access-token", value);
        Ok(())
    }

    async fn refresh_after_unauthorized(&self) -> Result<bool> {
        let seen = self.tokens().access_token;
        self.refresh_from(&seen).await
    }

    fn secrets(&self) -> Vec<Secret> {
        let t = self.tokens();
        let mut out = vec![t.access_token, self.client_secret.clone()];
        out.extend(t.refresh_token);
        out
    }
}
