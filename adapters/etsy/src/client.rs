//! How polycart talks to Etsy Open API v3:
//!
//! - **Auth**: every request carries `x-api-key: {keystring}:{shared_secret}` (the
//!   form Etsy enforces since 2026-02-09) and the shop owner's
//!   `Authorization: Bearer {access_token}`. Access tokens last an hour; the refresh
//!   token rotates on every use, so refreshing is the kit's single-flight
//!   `OAuth2Bearer` (a PKCE public client: `client_id` only) handing each new pair to
//!   the store's `TokenSink` before it is used.
//! - **Rate limits**: two windows, per second and per day (a sliding 24 h), read from
//!   `x-limit-per-second`/`x-remaining-this-second` and
//!   `x-limit-per-day`/`x-remaining-today` by the kit's `TwoWindowHeaders`. The
//!   limits are the app's: every store of one app in this process shares one
//!   governor ([`app_governor`]).
//! - **Answers**: errors are `{"error": "…"}`. 429 "Exceeded per second rate limit"
//!   is waited out; a spent day ("Exceeded daily rate limit", `Retry-After` of up to
//!   a day) is a `RateLimited` error with that wait; 400/409/422 are `Invalid` with
//!   Etsy's message; 401/403 are auth errors; HTML or broken JSON on a 2xx is retried.
//! - **Store context**: the shop's `currency_code` from `GET /shops/{shop_id}`, and
//!   the shop id itself from `GET /users/me` when the base URL does not name it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::Duration;

use async_trait::async_trait;
use http::{HeaderName, HeaderValue};
use polycart_kit::auth::{Auth, OAuth2Bearer, OAuth2Client, PreparedRequest, TokenSink};
use polycart_kit::connector::AdapterContext;
use polycart_kit::decode::currency;
use polycart_kit::transport::html::retry_unusable_success;
use polycart_kit::transport::{
    Classify, Governor, Request, Response, Transport, TwoWindowHeaders, Verdict, classify_status,
    retry_after,
};
use polycart_kit::{ApiPath, Error, IdGrammar, Result, Secret, StoreConfig, StoreContext};

use crate::PLATFORM;
use crate::config::EtsyConfig;
use crate::wire;

/// The largest page Etsy serves (`limit` ≤ 100).
pub const MAX_PAGE: u32 = 100;

/// Refresh this long before the access token expires.
const SKEW: Duration = Duration::from_secs(120);

/// How long requests wait once the day's budget is spent and Etsy names no time.
pub const DAY_RECHECK: Duration = Duration::from_secs(300);

/// Etsy's two rate-limit windows.
pub fn budget_reader() -> TwoWindowHeaders {
    TwoWindowHeaders {
        short_limit: "x-limit-per-second",
        short_remaining: "x-remaining-this-second",
        short_secs: 1.0,
        long_limit: "x-limit-per-day",
        long_remaining: "x-remaining-today",
        long_recheck: DAY_RECHECK,
    }
}

/// `x-api-key` plus the refreshing bearer token.
pub struct EtsyAuth {
    api_key: Secret,
    keystring: Secret,
    shared_secret: Secret,
    bearer: OAuth2Bearer,
}

impl std::fmt::Debug for EtsyAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EtsyAuth").finish_non_exhaustive()
    }
}

impl EtsyAuth {
    pub fn new(config: &EtsyConfig, sink: Option<Arc<dyn TokenSink>>) -> Result<Self> {
        let client = OAuth2Client::public(config.keystring.expose(), config.token_url.as_str())?;
        let bearer = OAuth2Bearer::new(client, config.tokens.clone()).with_skew(SKEW);
        Ok(Self {
            api_key: api_key(&config.keystring, &config.shared_secret),
            keystring: config.keystring.clone(),
            shared_secret: config.shared_secret.clone(),
            bearer: match sink {
                Some(sink) => bearer.with_sink(sink),
                None => bearer,
            },
        })
    }

    /// The token pair in use now.
    pub fn tokens(&self) -> polycart_kit::auth::TokenSet {
        self.bearer.tokens()
    }
}

/// `{keystring}:{shared_secret}`, Etsy's `x-api-key` since 2026-02-09.
pub fn api_key(keystring: &Secret, shared_secret: &Secret) -> Secret {
    Secret::new(format!("{}:{}", keystring.expose(), shared_secret.expose()))
}

#[async_trait]
impl Auth for EtsyAuth {
    async fn authorize(&self, request: &mut PreparedRequest) -> Result<()> {
        self.bearer.authorize(request).await?;
        let mut value = HeaderValue::from_str(self.api_key.expose())
            .map_err(|_| Error::auth("the API key cannot be sent in a header"))?;
        value.set_sensitive(true);
        request
            .headers
            .insert(HeaderName::from_static("x-api-key"), value);
        Ok(())
    }

    async fn refresh_after_unauthorized(&self) -> Result<bool> {
        self.bearer.refresh_after_unauthorized().await
    }

    fn secrets(&self) -> Vec<Secret> {
        let mut s = self.bearer.secrets();
        s.extend([
            self.api_key.clone(),
            self.keystring.clone(),
            self.shared_secret.clone(),
        ]);
        s
    }
}

/// Etsy's answers, read.
#[derive(Debug, Clone, Copy)]
pub struct EtsyClassifier;

impl Classify for EtsyClassifier {
    fn classify(&self, response: &Response) -> Verdict {
        if let Some(v) = retry_unusable_success(response) {
            return v;
        }
        let status = response.status.as_u16();
        match status {
            429 => {
                let day_spent = response
                    .header("x-remaining-today")
                    .and_then(|r| r.trim().parse::<i64>().ok())
                    .is_some_and(|r| r <= 0);
                let after = retry_after(&response.headers).or(day_spent.then_some(DAY_RECHECK));
                Verdict::Throttled { after }
            }
            400 | 409 | 422 => Verdict::Fail(Error::invalid(format!(
                "{status}: {}",
                response.platform_message()
            ))),
            _ => classify_status(response),
        }
    }
}

/// The governor of an Etsy app (its keystring, at its API host) in this process:
/// Etsy's limits are the app's, shared by every shop it serves, so every store of
/// one app waits on one budget. Kept while a store of the app is connected.
pub fn app_governor(config: &EtsyConfig) -> Arc<Governor> {
    type Apps = Mutex<HashMap<String, Weak<Governor>>>;
    static APPS: OnceLock<Apps> = OnceLock::new();
    // The keystring is the app's public client id (it is in every consent URL).
    let key = format!(
        "{}:{}|{}",
        config.api_root.host_str().unwrap_or_default(),
        config.api_root.port_or_known_default().unwrap_or_default(),
        config.keystring.expose()
    );
    let mut apps = APPS
        .get_or_init(Apps::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    if let Some(governor) = apps.get(&key).and_then(Weak::upgrade) {
        return governor;
    }
    apps.retain(|_, g| g.strong_count() > 0);
    let governor = Arc::new(Governor::new(config.budget));
    apps.insert(key, Arc::downgrade(&governor));
    governor
}

/// The store's transport.
pub(crate) fn transport(
    store: &StoreConfig,
    config: &EtsyConfig,
    ctx: &AdapterContext,
) -> Result<Transport> {
    Ok(Transport::builder(store.store_id.clone(), PLATFORM)
        .auth(Arc::new(EtsyAuth::new(config, ctx.token_sink.clone())?))
        .governor(app_governor(config))
        .budget_reader(Arc::new(budget_reader()))
        .classifier(Arc::new(EtsyClassifier))
        .metrics(ctx.metrics.clone())
        .build())
}

/// The shop: its id and the store context (its currency).
#[derive(Debug, Clone)]
pub struct ShopInfo {
    pub shop_id: String,
    pub context: StoreContext,
}

/// The store context from a `GET /shops/{shop_id}` body.
pub fn shop_of(body: &str) -> Result<ShopInfo> {
    let shop: wire::Shop = polycart_kit::error::decode_json(body)?;
    Ok(ShopInfo {
        shop_id: shop.shop_id.0,
        context: StoreContext {
            currency: shop
                .currency_code
                .as_deref()
                .map(|c| currency("$.currency_code", c))
                .transpose()?,
            weight_unit: None,
            time_zone: None,
        },
    })
}

/// Reads the shop (finding its id through `GET /users/me` when the base URL does
/// not name it).
pub(crate) async fn load_shop(transport: &Transport, config: &EtsyConfig) -> Result<ShopInfo> {
    let shop_id = match &config.shop_id {
        Some(id) => id.clone(),
        None => {
            let url = ApiPath::new("users").lit("me").under(&config.api_root);
            let me: wire::Me = transport.send(Request::get(url)).await?.json()?;
            me.shop_id
                .map(|s| s.0)
                .filter(|s| s != "0")
                .ok_or_else(|| Error::invalid("the token's user has no Etsy shop"))?
        }
    };
    let url = ApiPath::new("shops")
        .id(IdGrammar::Numeric, &shop_id)?
        .under(&config.api_root);
    let response = transport.send(Request::get(url)).await?;
    shop_of(response.text()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(status: u16, headers: &[(&'static str, &str)], body: &str) -> Response {
        let mut h = http::HeaderMap::new();
        for (k, v) in headers {
            h.insert(*k, v.parse().unwrap());
        }
        Response {
            status: http::StatusCode::from_u16(status).unwrap(),
            headers: h,
            body: body.to_owned().into(),
            url: "https://openapi.etsy.com/v3/application/shops/1/receipts"
                .parse()
                .unwrap(),
        }
    }

    #[test]
    fn etsys_errors_are_typed() {
        let c = EtsyClassifier;
        let second = response(
            429,
            &[
                ("x-limit-per-second", "10"),
                ("x-remaining-this-second", "0"),
            ],
            r#"{"error":"Exceeded per second rate limit"}"#,
        );
        assert!(matches!(
            c.classify(&second),
            Verdict::Throttled { after: None }
        ));
        let day = response(
            429,
            &[("x-remaining-today", "0"), ("retry-after", "86400")],
            r#"{"error":"Exceeded daily rate limit"}"#,
        );
        match c.classify(&day) {
            Verdict::Throttled { after } => assert_eq!(after, Some(Duration::from_secs(86_400))),
            other => panic!("{other:?}"),
        }
        let day_untold = response(429, &[("x-remaining-today", "0")], "{}");
        assert!(matches!(
            c.classify(&day_untold),
            Verdict::Throttled {
                after: Some(DAY_RECHECK)
            }
        ));
        let key = response(
            403,
            &[],
            r#"{"error":"Shared secret is required in x-api-key header."}"#,
        );
        match c.classify(&key) {
            Verdict::Fail(Error::Auth { message }) => {
                assert!(message.contains("Shared secret"), "{message}")
            }
            other => panic!("{other:?}"),
        }
        match c.classify(&response(400, &[], r#"{"error":"Invalid price"}"#)) {
            Verdict::Fail(Error::Invalid { message }) => assert!(message.contains("Invalid price")),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            c.classify(&response(503, &[], "")),
            Verdict::Retry
        ));
        assert!(matches!(
            c.classify(&response(200, &[], "<html>")),
            Verdict::Retry
        ));
    }

    #[test]
    fn the_shop_gives_id_and_currency() {
        let shop = shop_of(r#"{"shop_id": 12345678, "shop_name": "Mugs", "currency_code": "EUR"}"#)
            .unwrap();
        assert_eq!(shop.shop_id, "12345678");
        assert_eq!(shop.context.currency.unwrap().as_str(), "EUR");
        assert!(shop_of(r#"{"shop_id": 1, "currency_code": "euro"}"#).is_err());
    }

    #[tokio::test]
    async fn every_request_carries_the_key_and_the_bearer() {
        let config = EtsyConfig::from_store(&StoreConfig {
            store_id: "s".into(),
            base_url: "https://openapi.etsy.com/v3/application/shops/1"
                .parse()
                .unwrap(),
            credentials: [
                ("keystring", "ks"),
                ("shared_secret", "ss"),
                ("access_token", "12.at"),
                ("refresh_token", "12.rt"),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), Secret::new(v)))
            .collect(),
            settings: Default::default(),
        })
        .unwrap();
        let auth = EtsyAuth::new(&config, None).unwrap();
        let mut request = PreparedRequest {
            method: http::Method::GET,
            url: "https://openapi.etsy.com/v3/application/shops/1"
                .parse()
                .unwrap(),
            headers: http::HeaderMap::new(),
            body: None,
        };
        auth.authorize(&mut request).await.unwrap();
        assert_eq!(request.headers["x-api-key"], "ks:ss");
        assert_eq!(request.headers["authorization"], "Bearer 12.at");
        let secrets: Vec<String> = auth
            .secrets()
            .iter()
            .map(|s| s.expose().to_owned())
            .collect();
        assert!(secrets.contains(&"ks:ss".to_owned()) && secrets.contains(&"12.rt".to_owned()));
        assert!(format!("{auth:?}").find("ks").is_none());
    }
}
