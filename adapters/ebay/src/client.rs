//! How polycart talks to eBay: OAuth 2 user tokens (2 h) renewed from the seller's
//! refresh token (about 18 months; eBay does not rotate it) at
//! `POST {host}/identity/v1/oauth2/token` — a form with `grant_type=refresh_token`,
//! the refresh token and the consented `scope` list, the app's client id and secret
//! as HTTP basic auth — through the kit's single-flight [`RotatingTokens`], which hands
//! every new access token to the app's token sink before it is used. A lapsed refresh
//! token is an auth error saying the seller must re-authorise, before any request.
//!
//! One transport per API family, each with its own governor sized from the family's
//! daily call limit (eBay sends no budget headers; a 429 carries its error envelope
//! `{"errors": [{"errorId", "domain", "category", "message"}]}` and is waited out).

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use http::HeaderValue;
use polycart_kit::auth::{
    OAuth2Client, PreparedRequest, Refresh, RotatingTokens, SignedSession, TokenSet, TokenSigner,
};
use polycart_kit::connector::AdapterContext;
use polycart_kit::transport::html::retry_unusable_success;
use polycart_kit::transport::{Budget, Classify, Response, Transport, Verdict, classify_status};
use polycart_kit::{Error, Result, Secret, StoreConfig};

use crate::PLATFORM;
use crate::config::EbayConfig;

/// The largest page of `getOrders` (`limit` ≤ 200).
pub const MAX_ORDERS_PAGE: u32 = 200;
/// The largest page of `getInventoryItems` (`limit` ≤ 100).
pub const MAX_ITEMS_PAGE: u32 = 100;

/// eBay's answers, read: HTML or broken JSON on a 2xx is retried, the rest by status
/// (the error envelope's first `message` is what a user sees).
#[derive(Debug, Clone, Copy)]
pub struct EbayClassifier;

impl Classify for EbayClassifier {
    fn classify(&self, response: &Response) -> Verdict {
        retry_unusable_success(response).unwrap_or_else(|| classify_status(response))
    }
}

/// The refresh call, refusing before it is made once the refresh token has lapsed.
#[derive(Debug)]
pub struct EbayRefresh {
    client: OAuth2Client,
    refresh_expires_at: Option<DateTime<Utc>>,
}

impl EbayRefresh {
    pub fn new(client: OAuth2Client, refresh_expires_at: Option<DateTime<Utc>>) -> Self {
        Self {
            client,
            refresh_expires_at,
        }
    }
}

/// The error of a refresh token that can no longer be used.
fn reauthorise(why: &str) -> Error {
    Error::auth(format!(
        "the eBay refresh token {why}: the seller must re-authorise the app (a new consent gives a new refresh token)"
    ))
}

#[async_trait]
impl Refresh for EbayRefresh {
    async fn renew(&self, current: &TokenSet) -> Result<TokenSet> {
        if let Some(at) = self.refresh_expires_at
            && at <= Utc::now()
        {
            return Err(reauthorise(&format!(
                "lapsed at {}",
                at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            )));
        }
        let refresh = current
            .refresh_token
            .as_ref()
            .ok_or_else(|| reauthorise("is missing"))?;
        match self.client.refresh(refresh).await {
            // eBay answers 400 `invalid_grant` for an expired or revoked refresh token.
            Err(Error::Auth { message }) if message.contains("refused (400)") => {
                Err(reauthorise("was refused (expired or revoked)"))
            }
            other => other,
        }
    }

    fn secrets(&self) -> Vec<Secret> {
        self.client.secrets()
    }
}

/// `Authorization: Bearer <user access token>`.
#[derive(Debug, Clone, Copy)]
pub struct Bearer;

impl TokenSigner for Bearer {
    fn sign(&self, request: &mut PreparedRequest, token: &Secret, _: DateTime<Utc>) -> Result<()> {
        let mut value = HeaderValue::from_str(&format!("Bearer {}", token.expose()))
            .map_err(|_| Error::auth("the access token cannot be sent in a header"))?;
        value.set_sensitive(true);
        request.headers.insert(http::header::AUTHORIZATION, value);
        Ok(())
    }

    fn secrets(&self) -> Vec<Secret> {
        Vec::new()
    }
}

/// The seller's auth: shared by both API families' transports.
pub(crate) fn auth(
    config: &EbayConfig,
    ctx: &AdapterContext,
) -> Result<Arc<SignedSession<Bearer, EbayRefresh>>> {
    let client = OAuth2Client::new(
        config.client_id.expose(),
        config.client_secret.clone(),
        config.token_url.as_str(),
        false,
    )?
    .refresh_fields(&[("scope", config.scopes)]);
    let tokens = TokenSet {
        access_token: config
            .access_token
            .clone()
            .unwrap_or_else(|| Secret::new("")),
        refresh_token: Some(config.refresh_token.clone()),
        expires_at: config.token_expires_at,
    };
    let mut rotating = RotatingTokens::new(
        EbayRefresh::new(client, config.refresh_token_expires_at),
        tokens,
    )
    .with_skew(std::time::Duration::from_secs(300));
    if let Some(sink) = &ctx.token_sink {
        rotating = rotating.with_sink(sink.clone());
    }
    Ok(Arc::new(SignedSession::new(Bearer, rotating)))
}

/// One API family's transport.
pub(crate) fn transport(
    store: &StoreConfig,
    auth: Arc<SignedSession<Bearer, EbayRefresh>>,
    budget: Budget,
    ctx: &AdapterContext,
) -> Transport {
    Transport::builder(store.store_id.clone(), PLATFORM)
        .auth(auth)
        .budget(budget)
        .classifier(Arc::new(EbayClassifier))
        .metrics(ctx.metrics.clone())
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_error_envelope_gives_the_message_a_user_sees() {
        let body = r#"{"errors":[{"errorId":2001,"domain":"ACCESS","category":"REQUEST","message":"Too many requests. The request limit has been reached for the resource."}]}"#;
        assert_eq!(
            polycart_kit::error::platform_message(body).as_deref(),
            Some("Too many requests. The request limit has been reached for the resource.")
        );
    }

    #[tokio::test]
    async fn a_lapsed_refresh_token_is_refused_without_a_call() {
        let client =
            OAuth2Client::new("id", Secret::new("s"), "http://127.0.0.1:9/token", false).unwrap();
        let refresh = EbayRefresh::new(client, Some(Utc::now() - chrono::Duration::days(1)));
        let tokens = TokenSet {
            access_token: Secret::new(""),
            refresh_token: Some(Secret::new("rt")),
            expires_at: None,
        };
        let err = refresh.renew(&tokens).await.unwrap_err();
        assert!(matches!(err, Error::Auth { .. }), "{err:?}");
        assert!(err.to_string().contains("must re-authorise"), "{err}");
    }
}
