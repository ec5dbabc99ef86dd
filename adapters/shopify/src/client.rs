//! How polycart talks to Shopify: the classification of Shopify's answers (422 and 400
//! are invalid input; HTML or broken JSON on a 2xx is retried; 429 + `Retry-After`),
//! the auth both API families share (a static token, or an expiring one that rotates),
//! and sending a REST request. The REST read path is [`crate::rest`], the GraphQL
//! one [`crate::graphql`].

use std::sync::Arc;

use http::HeaderName;
use polycart_kit::auth::{Auth, HeaderToken, TokenSet};
use polycart_kit::connector::AdapterContext;
use polycart_kit::transport::html::retry_unusable_success;
use polycart_kit::transport::{Classify, Request, Response, Verdict, classify_status};
use polycart_kit::{ApiPath, Error, Result};

use crate::config::ShopifyConfig;
use crate::token::rotating_token;

/// REST's largest page.
pub const MAX_PAGE: u32 = 250;

/// Shopify's quirks on top of HTTP semantics: 422 and 400 are invalid input; an HTML
/// page or broken JSON with a 2xx is a proxy error page or a cut answer, worth another
/// try.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ShopifyClassifier;

impl Classify for ShopifyClassifier {
    fn classify(&self, response: &Response) -> Verdict {
        if let Some(retry) = retry_unusable_success(response) {
            return retry;
        }
        match response.status.as_u16() {
            400 | 422 => Verdict::Fail(Error::invalid(format!(
                "shopify refused the request ({}): {}",
                response.status.as_u16(),
                response.platform_message()
            ))),
            _ => classify_status(response),
        }
    }
}

use crate::ShopifyAdapter;

impl ShopifyAdapter {
    /// A static token, or an expiring offline token with its rotating refresh token
    /// (one auth shared by both API families, so a store refreshes once at a time and
    /// the new pair goes to the token sink before it is used).
    pub(crate) fn auth(config: &ShopifyConfig, ctx: &AdapterContext) -> Result<Arc<dyn Auth>> {
        let header = HeaderName::from_static("x-shopify-access-token");
        let Some(refresh) = &config.refresh_token else {
            return Ok(Arc::new(HeaderToken::new(
                header,
                config.access_token.clone(),
            )));
        };
        let client_id = config
            .client_id
            .as_deref()
            .ok_or_else(|| Error::invalid("an expiring token needs the client_id credential"))?;
        let secret = config
            .api_secret
            .clone()
            .ok_or_else(|| Error::invalid("an expiring token needs the api_secret credential"))?;
        let tokens = TokenSet {
            access_token: config.access_token.clone(),
            refresh_token: Some(refresh.clone()),
            expires_at: config.token_expires_at,
        };
        Ok(Arc::new(rotating_token(
            &config.shop,
            client_id,
            secret,
            tokens,
            ctx.token_sink.clone(),
        )?))
    }

    pub(crate) async fn send(&self, request: Request) -> Result<Response> {
        self.transport.send(request).await
    }

    pub(crate) fn get_request(&self, path: &ApiPath) -> Request {
        Request::get(self.config.rest_url(path))
    }
}
