//! How polycart talks to the Selling Partner API: Login with Amazon (the refresh
//! token exchanged for a one-hour access token, sent bare in `x-amz-access-token`;
//! no SigV4), one transport per operation, since Amazon meters every operation in its
//! own token bucket (`getOrders` 0.0167/s with a burst of 20, `getOrder` 0.5/s and 30,
//! ...), each governor learning its rate from `x-amzn-RateLimit-Limit`, and the
//! classification of Amazon's answers: `{"errors":[{"code", "message", "details"}]}`,
//! `429 QuotaExceeded`, and an expired access token answered `403 Unauthorized`, which
//! refreshes the token and tries once more.
//!
//! The transports share one auth (one token, refreshed once) and the store's metrics;
//! only their budgets differ. A kit transport holds one governor, so a bucket per
//! operation is a transport per operation: nothing in the kit had to change for it.

use std::sync::Arc;

use http::{HeaderMap, HeaderName, StatusCode};
use polycart_kit::auth::{Auth, OAuth2Bearer, OAuth2Client, TokenSet};
use polycart_kit::connector::AdapterContext;
use polycart_kit::transport::html::retry_unusable_success;
use polycart_kit::transport::{
    Budget, BudgetObservation, BudgetReader, Classify, Response, Transport, Verdict,
    classify_status,
};
use polycart_kit::{Result, Secret, StoreConfig};

use crate::PLATFORM;
use crate::config::AmazonConfig;

/// The header every SP-API response names its operation's rate in (requests/second).
pub const RATE_HEADER: &str = "x-amzn-ratelimit-limit";

/// An SP-API operation's default usage plan: its token bucket.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Operation {
    pub name: &'static str,
    /// Requests per second the bucket refills.
    pub rate: f64,
    /// The bucket's size.
    pub burst: u32,
}

/// Orders API 2026-01-01 `searchOrders`. Amazon's references give no default plan for
/// it that could be checked here; it starts from v0 `getOrders`' and learns the real
/// rate from `x-amzn-RateLimit-Limit`.
pub const SEARCH_ORDERS: Operation = Operation {
    name: "searchOrders",
    rate: 0.0167,
    burst: 20,
};
/// Orders API 2026-01-01 `getOrder` (as v0 `getOrder`, learnt likewise).
pub const GET_ORDER: Operation = Operation {
    name: "getOrder",
    rate: 0.5,
    burst: 30,
};
/// Orders API v0 `getOrders`.
pub const GET_ORDERS_V0: Operation = Operation {
    name: "getOrders",
    rate: 0.0167,
    burst: 20,
};
/// Orders API v0 `getOrderItems`.
pub const GET_ORDER_ITEMS: Operation = Operation {
    name: "getOrderItems",
    rate: 0.5,
    burst: 30,
};
/// Orders API v0 `confirmShipment`.
pub const CONFIRM_SHIPMENT: Operation = Operation {
    name: "confirmShipment",
    rate: 2.0,
    burst: 10,
};
/// Listings Items 2021-08-01 `searchListingsItems`.
pub const SEARCH_LISTINGS: Operation = Operation {
    name: "searchListingsItems",
    rate: 5.0,
    burst: 5,
};
/// Listings Items 2021-08-01 `getListingsItem`.
pub const GET_LISTING: Operation = Operation {
    name: "getListingsItem",
    rate: 5.0,
    burst: 10,
};

/// Listings Items 2021-08-01 `patchListingsItem`.
pub const PATCH_LISTING: Operation = Operation {
    name: "patchListingsItem",
    rate: 5.0,
    burst: 5,
};

/// FBA Inventory v1 `getInventorySummaries`.
pub const INVENTORY_SUMMARIES: Operation = Operation {
    name: "getInventorySummaries",
    rate: 2.0,
    burst: 2,
};

/// Tokens API 2021-03-01 `createRestrictedDataToken`.
pub const CREATE_RDT: Operation = Operation {
    name: "createRestrictedDataToken",
    rate: 1.0,
    burst: 10,
};

/// Every operation the adapter calls, each with its own governor.
pub const OPERATIONS: &[Operation] = &[
    SEARCH_ORDERS,
    GET_ORDER,
    GET_ORDERS_V0,
    GET_ORDER_ITEMS,
    CONFIRM_SHIPMENT,
    SEARCH_LISTINGS,
    GET_LISTING,
    PATCH_LISTING,
    INVENTORY_SUMMARIES,
    CREATE_RDT,
];

/// Reads `x-amzn-RateLimit-Limit: 0.0167` as the operation's refill rate; the burst is
/// the operation's own (Amazon does not send it).
#[derive(Debug, Clone, Copy)]
pub struct RateLimitHeader {
    pub burst: u32,
}

impl BudgetReader for RateLimitHeader {
    fn read(&self, _: StatusCode, headers: &HeaderMap, _: &[u8]) -> Option<BudgetObservation> {
        let rate: f64 = headers
            .get(RATE_HEADER)?
            .to_str()
            .ok()?
            .trim()
            .parse()
            .ok()?;
        if !(rate.is_finite() && rate > 0.0) {
            return None;
        }
        Some(BudgetObservation {
            capacity: Some(f64::from(self.burst)),
            remaining: None,
            refill_per_sec: Some(rate),
            reset_after: None,
        })
    }
}

/// Amazon's answers, read.
#[derive(Debug, Clone, Copy)]
pub struct AmazonClassifier;

/// The first error's code and details in Amazon's `{"errors": [...]}` body.
fn first_error(body: &[u8]) -> Option<(String, String)> {
    let v: serde_json::Value = serde_json::from_slice(body).ok()?;
    let e = v.get("errors")?.get(0)?;
    let text = |k: &str| e.get(k).and_then(|x| x.as_str()).unwrap_or("").to_owned();
    Some((text("code"), text("details")))
}

impl Classify for AmazonClassifier {
    fn classify(&self, response: &Response) -> Verdict {
        retry_unusable_success(response).unwrap_or_else(|| classify_status(response))
    }

    /// `403` with code `Unauthorized` naming the access token ("The access token you
    /// provided has expired.", "... is revoked, malformed or invalid."). A `403`
    /// without those details is a missing role or grant: refreshing cannot help.
    fn unauthorized(&self, response: &Response) -> bool {
        if response.status == StatusCode::UNAUTHORIZED {
            return true;
        }
        response.status == StatusCode::FORBIDDEN
            && first_error(&response.body).is_some_and(|(code, details)| {
                code == "Unauthorized" && details.to_ascii_lowercase().contains("access token")
            })
    }
}

/// The store's LWA auth: an empty access token, exchanged on first use.
pub(crate) fn auth(config: &AmazonConfig, ctx: &AdapterContext) -> Result<Arc<dyn Auth>> {
    let client = OAuth2Client::new(
        config.client_id.expose(),
        config.client_secret.clone(),
        config.token_url.as_str(),
        true,
    )?;
    let tokens = TokenSet {
        access_token: Secret::new(""),
        refresh_token: Some(config.refresh_token.clone()),
        expires_at: None,
    };
    let mut bearer =
        OAuth2Bearer::new(client, tokens).in_header(HeaderName::from_static("x-amz-access-token"));
    if let Some(sink) = &ctx.token_sink {
        bearer = bearer.with_sink(sink.clone());
    }
    Ok(Arc::new(bearer))
}

/// The Orders API v0 resources a Restricted Data Token is asked for, with their PII:
/// generic paths, so one token serves every order.
const RESTRICTED_RESOURCES: &str = r#"{"restrictedResources":[
    {"method":"GET","path":"/orders/v0/orders","dataElements":["buyerInfo","shippingAddress"]},
    {"method":"GET","path":"/orders/v0/orders/{orderId}","dataElements":["buyerInfo","shippingAddress"]},
    {"method":"GET","path":"/orders/v0/orders/{orderId}/orderItems","dataElements":["buyerInfo"]}
]}"#;

/// Orders API v0 PII: a Restricted Data Token from the Tokens API
/// (`POST /tokens/2021-03-01/restrictedDataToken`, authorised with the LWA token) sent
/// in `x-amz-access-token` instead of the LWA token. One token (an hour) covers every
/// v0 order read; it is asked for again a minute before it lapses and after a refusal.
/// Amazon grants it only to apps holding the restricted (Direct-to-Consumer Shipping)
/// role.
pub(crate) struct RestrictedData {
    tokens: Transport,
    /// The LWA auth the Tokens API is called with, for redaction.
    lwa: Arc<dyn Auth>,
    url: url::Url,
    held: tokio::sync::Mutex<Option<(Secret, chrono::DateTime<chrono::Utc>)>>,
}

impl RestrictedData {
    pub(crate) fn new(tokens: Transport, lwa: Arc<dyn Auth>, api_root: &url::Url) -> Result<Self> {
        let url =
            polycart_kit::ApiPath::new("tokens/2021-03-01/restrictedDataToken").under(api_root);
        Ok(Self {
            tokens,
            lwa,
            url,
            held: tokio::sync::Mutex::new(None),
        })
    }

    async fn token(&self) -> Result<Secret> {
        let mut held = self.held.lock().await;
        let fresh = chrono::Utc::now() + chrono::Duration::seconds(60);
        if let Some((token, until)) = held.as_ref()
            && *until > fresh
        {
            return Ok(token.clone());
        }
        #[derive(serde::Deserialize)]
        struct Answer {
            #[serde(rename = "restrictedDataToken")]
            token: String,
            #[serde(rename = "expiresIn")]
            expires_in: i64,
        }
        let body: serde_json::Value = serde_json::from_str(RESTRICTED_RESOURCES)
            .map_err(|e| polycart_kit::Error::invalid(e.to_string()))?;
        // Asking again for a token is harmless.
        let request = polycart_kit::transport::Request::post(self.url.clone())
            .json(&body)
            .idempotent(true);
        let answer: Answer = self.tokens.send(request).await?.json()?;
        let until =
            chrono::Utc::now() + chrono::Duration::seconds(answer.expires_in.clamp(0, 86_400));
        let token = Secret::new(answer.token);
        *held = Some((token.clone(), until));
        Ok(token)
    }
}

#[async_trait::async_trait]
impl Auth for RestrictedData {
    async fn authorize(&self, request: &mut polycart_kit::auth::PreparedRequest) -> Result<()> {
        let token = self.token().await?;
        let mut value = http::HeaderValue::from_str(token.expose())
            .map_err(|_| polycart_kit::Error::auth("the restricted data token cannot be sent"))?;
        value.set_sensitive(true);
        request.headers.insert("x-amz-access-token", value);
        Ok(())
    }

    async fn refresh_after_unauthorized(&self) -> Result<bool> {
        *self.held.lock().await = None;
        Ok(true)
    }

    fn secrets(&self) -> Vec<Secret> {
        let mut out = self.lwa.secrets();
        out.extend(
            self.held
                .try_lock()
                .ok()
                .and_then(|h| h.as_ref().map(|(t, _)| t.clone())),
        );
        out
    }
}

/// The transport of one operation: the shared auth and metrics, its own bucket.
pub(crate) fn transport(
    store: &StoreConfig,
    auth: &Arc<dyn Auth>,
    op: Operation,
    ctx: &AdapterContext,
) -> Transport {
    Transport::builder(store.store_id.clone(), PLATFORM)
        .auth(auth.clone())
        .budget(Budget::new(op.burst, op.rate))
        .budget_reader(Arc::new(RateLimitHeader { burst: op.burst }))
        .classifier(Arc::new(AmazonClassifier))
        .metrics(ctx.metrics.clone())
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(status: u16, body: &str) -> Response {
        Response {
            status: StatusCode::from_u16(status).unwrap(),
            headers: HeaderMap::new(),
            body: body.as_bytes().to_vec().into(),
            url: "https://sellingpartnerapi-na.amazon.com/orders/v0/orders"
                .parse()
                .unwrap(),
        }
    }

    #[test]
    fn an_expired_token_is_stale_a_missing_role_is_not() {
        let expired = r#"{"errors":[{"code":"Unauthorized","message":"Access to requested resource is denied.","details":"The access token you provided has expired."}]}"#;
        assert!(AmazonClassifier.unauthorized(&response(403, expired)));
        let denied = r#"{"errors":[{"code":"Unauthorized","message":"Access to requested resource is denied.","details":""}]}"#;
        assert!(!AmazonClassifier.unauthorized(&response(403, denied)));
        assert!(matches!(
            AmazonClassifier.classify(&response(403, denied)),
            Verdict::Fail(polycart_kit::Error::Auth { .. })
        ));
        let quota = r#"{"errors":[{"code":"QuotaExceeded","message":"You exceeded your quota for the requested resource.","details":""}]}"#;
        assert!(matches!(
            AmazonClassifier.classify(&response(429, quota)),
            Verdict::Throttled { .. }
        ));
    }

    #[test]
    fn the_rate_header_sets_the_operations_bucket() {
        let mut h = HeaderMap::new();
        h.insert(RATE_HEADER, "0.5".parse().unwrap());
        let o = RateLimitHeader { burst: 30 }
            .read(StatusCode::OK, &h, b"")
            .unwrap();
        assert_eq!(o.capacity, Some(30.0));
        assert_eq!(o.refill_per_sec, Some(0.5));
        h.insert(RATE_HEADER, "fast".parse().unwrap());
        assert!(
            RateLimitHeader { burst: 30 }
                .read(StatusCode::OK, &h, b"")
                .is_none()
        );
    }
}
