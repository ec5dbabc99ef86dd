//! How polycart talks to Squarespace: the transport (an API key or an OAuth access
//! token as a bearer token, refreshed through the kit's rotation-safe `OAuth2Bearer`
//! when the store has a refresh token; the kit's `polycart/x.y` `User-Agent`, which
//! Squarespace requires; the store's 300-a-minute budget) and the classification of
//! Squarespace's answers: a 429 is waited out for its `Retry-After`, or the documented
//! one-minute cool-down when there is none; HTML or broken JSON on a 2xx is retried;
//! the rest by status, with Squarespace's `{"type", "subtype", "message", …}` message.

use std::sync::Arc;
use std::time::Duration;

use polycart_kit::auth::{Auth, HeaderToken, OAuth2Bearer, OAuth2Client, TokenSet};
use polycart_kit::connector::AdapterContext;
use polycart_kit::transport::html::retry_unusable_success;
use polycart_kit::transport::{
    Classify, Response, Transport, Verdict, classify_status, retry_after,
};
use polycart_kit::{Result, StoreConfig};

use crate::PLATFORM;
use crate::config::SquarespaceConfig;

/// The page Squarespace serves: up to 50 records, with no page-size parameter.
pub const MAX_PAGE: u32 = 50;

/// Refresh an OAuth access token this long before it lapses (they live 30 minutes).
const SKEW: Duration = Duration::from_secs(120);

/// Squarespace's answers, read.
#[derive(Debug, Clone, Copy)]
pub struct SquarespaceClassifier {
    /// How long a 429 without `Retry-After` is waited out.
    pub cooldown: Duration,
}

impl Classify for SquarespaceClassifier {
    fn classify(&self, response: &Response) -> Verdict {
        if response.status.as_u16() == 429 {
            // Squarespace documents a one-minute cool-down and no rate headers.
            let after = retry_after(&response.headers).unwrap_or(self.cooldown);
            return Verdict::Throttled { after: Some(after) };
        }
        retry_unusable_success(response).unwrap_or_else(|| classify_status(response))
    }
}

/// The store's auth: a static bearer token, or an OAuth token kept fresh.
fn auth(config: &SquarespaceConfig, ctx: &AdapterContext) -> Result<Arc<dyn Auth>> {
    let Some(oauth) = &config.oauth else {
        return Ok(Arc::new(HeaderToken::bearer(config.access_token.clone())));
    };
    // Squarespace's token endpoint takes the client in HTTP basic auth and a JSON body.
    let client = OAuth2Client::new(
        &oauth.client_id,
        oauth.client_secret.clone(),
        oauth.token_url.as_str(),
        false,
    )?
    .json_body();
    let tokens = TokenSet {
        access_token: config.access_token.clone(),
        refresh_token: Some(oauth.refresh_token.clone()),
        expires_at: oauth.expires_at,
    };
    let bearer = OAuth2Bearer::new(client, tokens).with_skew(SKEW);
    Ok(Arc::new(match ctx.token_sink.clone() {
        Some(sink) => bearer.with_sink(sink),
        None => bearer,
    }))
}

/// The store's transport.
pub(crate) fn transport(
    store: &StoreConfig,
    config: &SquarespaceConfig,
    ctx: &AdapterContext,
) -> Result<Transport> {
    Ok(Transport::builder(store.store_id.clone(), PLATFORM)
        .auth(auth(config, ctx)?)
        .budget(config.budget)
        .classifier(Arc::new(SquarespaceClassifier {
            cooldown: config.cooldown,
        }))
        .metrics(ctx.metrics.clone())
        .build())
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::{HeaderMap, StatusCode};

    fn response(status: u16, headers: HeaderMap, body: &str) -> Response {
        Response {
            status: StatusCode::from_u16(status).unwrap(),
            headers,
            body: body.as_bytes().to_vec().into(),
            url: "https://api.squarespace.com/1.0/commerce/orders"
                .parse()
                .unwrap(),
        }
    }

    #[test]
    fn a_429_waits_out_the_cooldown_unless_told_otherwise() {
        let c = SquarespaceClassifier {
            cooldown: Duration::from_secs(60),
        };
        let body = r#"{"type":"TOO_MANY_REQUESTS","subtype":null,"message":"Too many requests","details":null,"contextId":"X"}"#;
        match c.classify(&response(429, HeaderMap::new(), body)) {
            Verdict::Throttled { after } => assert_eq!(after, Some(Duration::from_secs(60))),
            other => panic!("{other:?}"),
        }
        let mut h = HeaderMap::new();
        h.insert("retry-after", "3".parse().unwrap());
        match c.classify(&response(429, h, body)) {
            Verdict::Throttled { after } => assert_eq!(after, Some(Duration::from_secs(3))),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn errors_carry_squarespace_message() {
        let c = SquarespaceClassifier {
            cooldown: Duration::ZERO,
        };
        let body = r#"{"type":"INVALID_REQUEST_ERROR","subtype":"INVALID_ARGUMENT","message":"cursor cannot be combined with modifiedAfter","details":null,"contextId":"ABC"}"#;
        match c.classify(&response(400, HeaderMap::new(), body)) {
            Verdict::Fail(e) => assert!(e.to_string().contains("cursor cannot"), "{e}"),
            other => panic!("{other:?}"),
        }
        match c.classify(&response(401, HeaderMap::new(), body)) {
            Verdict::Fail(polycart_kit::Error::Auth { .. }) => {}
            other => panic!("{other:?}"),
        }
    }
}
