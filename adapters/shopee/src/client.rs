//! How polycart talks to Shopee Open Platform v2.
//!
//! - **Signing.** Every call carries `partner_id`, `timestamp` (unix seconds, within
//!   5 minutes of Shopee's clock) and `sign` in the query: the lowercase hex
//!   HMAC-SHA256, keyed with the partner key, of `partner_id + api_path + timestamp`
//!   (Public API) or `partner_id + api_path + timestamp + access_token + shop_id` (Shop
//!   API, which also sends `access_token` and `shop_id`). Bodies are not signed.
//! - **Tokens.** Access tokens last 4 hours; the refresh token is single-use (30 days):
//!   `POST /api/v2/auth/access_token/get` (a Public API call with
//!   `{refresh_token, partner_id, shop_id}`) answers a new pair, which the kit's
//!   [`RotatingTokens`] persists before use, one refresh per shop at a time.
//! - **Answers.** Shopee reports errors in the body, `{"error": "...", "message":
//!   "..."}`, on a 200 as well as on a 4xx: [`ShopeeClassifier`] reads it (a refused
//!   token refreshes once, a bad signature is an auth error, `error_param` is invalid,
//!   rate-limit errors are waited out, `order.order_list_invalid_time` is a bug of our
//!   windowing, server errors are retried).

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use polycart_kit::auth::hmac::{hex, hmac_sha256};
use polycart_kit::auth::{
    PreparedRequest, Refresh, RequestSigner, RotatingTokens, Signed, SignedSession, TokenSet,
    TokenSigner,
};
use polycart_kit::connector::AdapterContext;
use polycart_kit::transport::html::retry_unusable_success;
use polycart_kit::transport::{Classify, Request, Response, Transport, Verdict, classify_status};
use polycart_kit::{ApiPath, Error, Result, Secret, StoreConfig};
use serde::Deserialize;
use serde_json::value::RawValue;
use url::Url;

use crate::PLATFORM;
use crate::config::ShopeeConfig;

/// `get_order_detail` and `get_item_base_info` take at most 50 ids; a page is one such
/// batch.
pub const MAX_PAGE: u32 = 50;

/// The Public API signature: lowercase hex HMAC-SHA256(partner_key, partner_id +
/// api_path + timestamp).
pub fn public_sign(
    partner_id: impl std::fmt::Display,
    path: &str,
    timestamp: i64,
    partner_key: &[u8],
) -> String {
    let base = format!("{partner_id}{path}{timestamp}");
    hex(&hmac_sha256(partner_key, base.as_bytes()))
}

/// The Shop API signature: lowercase hex HMAC-SHA256(partner_key, partner_id +
/// api_path + timestamp + access_token + shop_id).
pub fn shop_sign(
    partner_id: impl std::fmt::Display,
    path: &str,
    timestamp: i64,
    access_token: &str,
    shop_id: impl std::fmt::Display,
    partner_key: &[u8],
) -> String {
    let base = format!("{partner_id}{path}{timestamp}{access_token}{shop_id}");
    hex(&hmac_sha256(partner_key, base.as_bytes()))
}

/// The push signature: lowercase hex HMAC-SHA256(partner_key, callback_url + "|" +
/// raw body).
pub fn push_sign(callback_url: &str, body: &[u8], partner_key: &[u8]) -> String {
    let mut message = Vec::with_capacity(callback_url.len() + 1 + body.len());
    message.extend_from_slice(callback_url.as_bytes());
    message.push(b'|');
    message.extend_from_slice(body);
    hex(&hmac_sha256(partner_key, &message))
}

/// Signs Public API calls (the token exchange).
#[derive(Debug, Clone)]
pub struct PublicSigner {
    pub partner_id: String,
    pub partner_key: Secret,
}

impl RequestSigner for PublicSigner {
    fn sign(&self, request: &mut PreparedRequest, now: DateTime<Utc>) -> Result<()> {
        let ts = now.timestamp();
        let sign = public_sign(
            &self.partner_id,
            request.url.path(),
            ts,
            self.partner_key.expose().as_bytes(),
        );
        request
            .url
            .query_pairs_mut()
            .append_pair("partner_id", &self.partner_id)
            .append_pair("timestamp", &ts.to_string())
            .append_pair("sign", &sign);
        Ok(())
    }

    fn secrets(&self) -> Vec<Secret> {
        vec![self.partner_key.clone()]
    }
}

/// Signs Shop API calls with the shop's current access token.
#[derive(Debug, Clone)]
pub struct ShopSigner {
    pub partner_id: String,
    pub partner_key: Secret,
    pub shop_id: String,
}

impl TokenSigner for ShopSigner {
    fn sign(
        &self,
        request: &mut PreparedRequest,
        access_token: &Secret,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let ts = now.timestamp();
        let sign = shop_sign(
            &self.partner_id,
            request.url.path(),
            ts,
            access_token.expose(),
            &self.shop_id,
            self.partner_key.expose().as_bytes(),
        );
        request
            .url
            .query_pairs_mut()
            .append_pair("partner_id", &self.partner_id)
            .append_pair("timestamp", &ts.to_string())
            .append_pair("access_token", access_token.expose())
            .append_pair("shop_id", &self.shop_id)
            .append_pair("sign", &sign);
        Ok(())
    }

    fn secrets(&self) -> Vec<Secret> {
        vec![self.partner_key.clone()]
    }
}

/// The token exchange's answer (its fields sit at the top level, not under
/// `response`).
#[derive(Debug, Deserialize)]
struct TokenAnswer {
    #[serde(default)]
    access_token: String,
    #[serde(default)]
    refresh_token: String,
    #[serde(default)]
    expire_in: i64,
}

/// `POST /api/v2/auth/access_token/get`: a new pair for the shop's refresh token.
pub struct ShopeeRefresh {
    transport: Transport,
    url: Url,
    partner_id: String,
    shop_id: String,
    secrets: Vec<Secret>,
}

impl std::fmt::Debug for ShopeeRefresh {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ShopeeRefresh")
            .field("partner_id", &self.partner_id)
            .field("shop_id", &self.shop_id)
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl Refresh for ShopeeRefresh {
    async fn renew(&self, current: &TokenSet) -> Result<TokenSet> {
        let refresh_token = current
            .refresh_token
            .as_ref()
            .ok_or_else(|| Error::auth("no refresh token"))?;
        let number = |name: &str, v: &str| {
            v.parse::<u64>()
                .map_err(|_| Error::auth(format!("credential {name} is not a Shopee id (digits)")))
        };
        let body = serde_json::json!({
            "refresh_token": refresh_token.expose(),
            "partner_id": number("partner_id", &self.partner_id)?,
            "shop_id": number("shop_id", &self.shop_id)?,
        });
        // Single-use: never repeated unless Shopee provably did not act on it.
        let request = Request::post(self.url.clone())
            .json(&body)
            .idempotent(false);
        let response = self.transport.send(request).await?;
        let answer: TokenAnswer = response.json()?;
        if answer.access_token.is_empty() || answer.refresh_token.is_empty() {
            return Err(Error::decode(
                "$.access_token",
                "the token exchange answered no token pair",
            ));
        }
        Ok(tokens_from(answer, Utc::now()))
    }

    fn secrets(&self) -> Vec<Secret> {
        self.secrets.clone()
    }
}

fn tokens_from(answer: TokenAnswer, now: DateTime<Utc>) -> TokenSet {
    let lifetime = answer.expire_in.clamp(0, 30 * 24 * 3600);
    TokenSet {
        access_token: Secret::new(answer.access_token),
        refresh_token: Some(Secret::new(answer.refresh_token)),
        expires_at: (lifetime > 0).then(|| now + chrono::Duration::seconds(lifetime)),
    }
}

/// Shopee's error envelope.
#[derive(Debug, Deserialize)]
struct Envelope {
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    message: Option<String>,
}

/// The `error` and `message` of a body, when `error` is set.
pub fn error_of(body: &str) -> Option<(String, String)> {
    let e: Envelope = serde_json::from_str(body.trim()).ok()?;
    let code = e.error.unwrap_or_default();
    (!code.trim().is_empty()).then(|| {
        let message = polycart_kit::error::sanitise(
            &e.message.unwrap_or_default(),
            polycart_kit::error::PLATFORM_MESSAGE_MAX,
        );
        (code.trim().to_owned(), message)
    })
}

/// What an error code means to a caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The access token was refused: refresh once, then an auth error.
    Token,
    /// The signature, partner or permission was refused: an auth error.
    Auth,
    Invalid,
    NotFound,
    /// `order.order_list_invalid_time`: our window broke the 15-day rule.
    Window,
    Throttled,
    Transient,
    Other,
}

/// Reads an error code (with or without a module prefix: `common.error_auth`).
pub fn error_kind(code: &str) -> ErrorKind {
    let tail = code.rsplit('.').next().unwrap_or(code);
    if code.ends_with("order_list_invalid_time") {
        return ErrorKind::Window;
    }
    if code.contains("too_many") || code.contains("rate_limit") || code.contains("limit_exceed") {
        return ErrorKind::Throttled;
    }
    match tail {
        "error_auth" | "invalid_access_token" | "invalid_acceess_token" => ErrorKind::Token,
        "error_sign" | "error_permission" | "error_shop" | "error_partner" => ErrorKind::Auth,
        "error_not_found" | "error_item_not_found" => ErrorKind::NotFound,
        "error_server" | "error_network" | "error_inner" | "error_busy" | "error_system" => {
            ErrorKind::Transient
        }
        t if t.starts_with("error_param") || t.starts_with("error_data") => ErrorKind::Invalid,
        _ => ErrorKind::Other,
    }
}

/// Shopee's answers, read.
#[derive(Debug, Clone, Copy)]
pub struct ShopeeClassifier;

impl Classify for ShopeeClassifier {
    fn classify(&self, response: &Response) -> Verdict {
        let status = response.status.as_u16();
        if status == 429 || status >= 500 || status == 408 {
            return classify_status(response);
        }
        if let Some(v) = retry_unusable_success(response) {
            return v;
        }
        let Some((code, message)) = error_of(&response.text_lossy()) else {
            return classify_status(response);
        };
        let what = format!("{code}: {message}");
        match error_kind(&code) {
            ErrorKind::Token | ErrorKind::Auth => Verdict::Fail(Error::auth(what)),
            ErrorKind::Invalid => Verdict::Fail(Error::invalid(what)),
            ErrorKind::NotFound => Verdict::Fail(Error::not_found(what)),
            ErrorKind::Window => Verdict::Fail(Error::invalid(format!(
                "{what} (a time window over 15 days: a bug in polycart's order windows)"
            ))),
            ErrorKind::Throttled => Verdict::Throttled { after: None },
            ErrorKind::Transient => Verdict::Retry,
            ErrorKind::Other => Verdict::Fail(Error::Platform { status, body: what }),
        }
    }

    fn final_error(&self, response: &Response, verdict: &Verdict) -> Error {
        match (verdict, error_of(&response.text_lossy())) {
            (Verdict::Throttled { after }, _) => Error::RateLimited {
                retry_after: *after,
            },
            (_, Some((code, message))) => Error::Platform {
                status: response.status.as_u16(),
                body: format!("{code}: {message}"),
            },
            _ => response.platform_error(),
        }
    }

    fn unauthorized(&self, response: &Response) -> bool {
        response.status.as_u16() == 401
            || error_of(&response.text_lossy())
                .is_some_and(|(code, _)| error_kind(&code) == ErrorKind::Token)
    }
}

/// The shop's auth: Shop-API signatures with a rotating token pair.
pub type ShopAuth = SignedSession<ShopSigner, ShopeeRefresh>;

/// The shop's transport (Shop API calls), and its auth for tests.
pub(crate) fn transport(
    store: &StoreConfig,
    config: &ShopeeConfig,
    ctx: &AdapterContext,
) -> (Transport, Arc<ShopAuth>) {
    let public = Transport::builder(store.store_id.clone(), PLATFORM)
        .auth(Arc::new(Signed(PublicSigner {
            partner_id: config.partner_id.clone(),
            partner_key: config.partner_key.clone(),
        })))
        .budget(config.budget)
        .classifier(Arc::new(ShopeeClassifier))
        .metrics(ctx.metrics.clone())
        .build();
    let refresher = ShopeeRefresh {
        transport: public,
        url: ApiPath::new("api/v2/auth/access_token/get").under(&config.api_root),
        partner_id: config.partner_id.clone(),
        shop_id: config.shop_id.clone(),
        secrets: vec![config.partner_key.clone()],
    };
    let mut tokens = RotatingTokens::new(
        refresher,
        TokenSet {
            access_token: config.access_token.clone(),
            refresh_token: config.refresh_token.clone(),
            expires_at: config.token_expires_at,
        },
    )
    // Shopee's 4-hour tokens are renewed five minutes ahead.
    .with_skew(std::time::Duration::from_secs(300));
    if let Some(sink) = &ctx.token_sink {
        tokens = tokens.with_sink(sink.clone());
    }
    let auth = Arc::new(SignedSession::new(
        ShopSigner {
            partner_id: config.partner_id.clone(),
            partner_key: config.partner_key.clone(),
            shop_id: config.shop_id.clone(),
        },
        tokens,
    ));
    let transport = Transport::builder(store.store_id.clone(), PLATFORM)
        .auth(auth.clone())
        .budget(config.budget)
        .classifier(Arc::new(ShopeeClassifier))
        .metrics(ctx.metrics.clone())
        .build();
    (transport, auth)
}

/// The `response` object of a successful answer (an answer with an `error` never
/// gets here: the classifier turned it into an error).
pub fn response_of(body: &str) -> Result<&RawValue> {
    polycart_kit::envelope::pointer(body, "/response")?
        .ok_or_else(|| Error::decode("$.response", "missing"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_example_base_string_is_what_the_shop_signer_hashes() {
        // Shopee's guide: partner_id 2001887, path /api/v2/shop/get_shop_info,
        // timestamp 1655714431, access_token 59777174636562737266615546704c6d, shop_id
        // 14701711 give this base string.
        let base =
            "2001887/api/v2/shop/get_shop_info165571443159777174636562737266615546704c6d14701711";
        let sign = shop_sign(
            2001887,
            "/api/v2/shop/get_shop_info",
            1655714431,
            "59777174636562737266615546704c6d",
            14701711,
            b"test_partner_key",
        );
        assert_eq!(
            sign,
            hex(&hmac_sha256(b"test_partner_key", base.as_bytes()))
        );
        assert_eq!(sign.len(), 64);
        assert!(
            sign.chars()
                .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
        );
    }

    #[test]
    fn appendix_vectors() {
        assert_eq!(
            shop_sign(
                2001887,
                "/api/v2/order/get_order_list",
                1655714431,
                "59777174636562737266615546704c6d",
                14701711,
                b"test_partner_key"
            ),
            "5c58fb7b84a5b33023baae7251c566bebf62de1e7c5bbe43653803e3ecd26e9d"
        );
        assert_eq!(
            public_sign(
                2001887,
                "/api/v2/auth/token/get",
                1655714431,
                b"test_partner_key"
            ),
            "4347600f52b50a77f5ecee90bf489adf3cec2d59d3c2febe004674f37def5451"
        );
        assert_eq!(
            push_sign(
                "https://example.com/shopee/push",
                br#"{"id":1001,"status":"paid"}"#,
                b"test_partner_key"
            ),
            "f3857f29581a0a30db0ae00ec7dddb6479aceed9928993a172179e30553a6603"
        );
    }

    #[test]
    fn the_signers_put_the_common_parameters_in_the_query() {
        let mut req = PreparedRequest {
            method: http::Method::GET,
            url: "https://partner.shopeemobile.com/api/v2/order/get_order_list?page_size=50"
                .parse()
                .unwrap(),
            headers: http::HeaderMap::new(),
            body: None,
        };
        let signer = ShopSigner {
            partner_id: "2001887".into(),
            partner_key: "test_partner_key".into(),
            shop_id: "14701711".into(),
        };
        let now = DateTime::from_timestamp(1655714431, 0).unwrap();
        signer
            .sign(&mut req, &"59777174636562737266615546704c6d".into(), now)
            .unwrap();
        assert_eq!(
            req.url.query(),
            Some(
                "page_size=50&partner_id=2001887&timestamp=1655714431&access_token=59777174636562737266615546704c6d&shop_id=14701711&sign=5c58fb7b84a5b33023baae7251c566bebf62de1e7c5bbe43653803e3ecd26e9d"
            )
        );
    }

    #[test]
    fn error_codes_are_read_by_what_a_caller_can_do() {
        assert_eq!(error_kind("error_auth"), ErrorKind::Token);
        assert_eq!(error_kind("common.error_auth"), ErrorKind::Token);
        assert_eq!(error_kind("invalid_acceess_token"), ErrorKind::Token);
        assert_eq!(error_kind("error_sign"), ErrorKind::Auth);
        assert_eq!(error_kind("error_param"), ErrorKind::Invalid);
        assert_eq!(error_kind("error_not_found"), ErrorKind::NotFound);
        assert_eq!(
            error_kind("order.order_list_invalid_time"),
            ErrorKind::Window
        );
        assert_eq!(error_kind("error_too_many_request"), ErrorKind::Throttled);
        assert_eq!(error_kind("error_server"), ErrorKind::Transient);
        assert_eq!(error_kind("error_something_new"), ErrorKind::Other);
        assert_eq!(error_of(r#"{"error":"","message":""}"#), None);
        assert_eq!(
            error_of(r#"{"error":"error_sign","message":"Wrong sign.","request_id":"x"}"#),
            Some(("error_sign".into(), "Wrong sign.".into()))
        );
    }

    fn answer(status: u16, body: &str) -> Response {
        Response {
            status: http::StatusCode::from_u16(status).unwrap(),
            headers: http::HeaderMap::new(),
            body: bytes_of(body),
            url: "https://partner.shopeemobile.com/api/v2/x".parse().unwrap(),
        }
    }

    fn bytes_of(s: &str) -> ::bytes::Bytes {
        ::bytes::Bytes::copy_from_slice(s.as_bytes())
    }

    #[test]
    fn errors_on_a_200_are_typed() {
        let c = ShopeeClassifier;
        let ok = answer(
            200,
            r#"{"error":"","message":"","response":{"more":false}}"#,
        );
        assert!(matches!(c.classify(&ok), Verdict::Done));
        assert!(!c.unauthorized(&ok));
        let token = answer(
            200,
            r#"{"error":"error_auth","message":"Invalid access_token."}"#,
        );
        assert!(matches!(
            c.classify(&token),
            Verdict::Fail(Error::Auth { .. })
        ));
        assert!(c.unauthorized(&token));
        let sign = answer(403, r#"{"error":"error_sign","message":"Wrong sign."}"#);
        assert!(matches!(
            c.classify(&sign),
            Verdict::Fail(Error::Auth { .. })
        ));
        assert!(!c.unauthorized(&sign));
        let window = answer(
            200,
            r#"{"error":"order.order_list_invalid_time","message":"time range over 15 days"}"#,
        );
        match c.classify(&window) {
            Verdict::Fail(Error::Invalid { message }) => assert!(message.contains("15 days")),
            other => panic!("{other:?}"),
        }
        let busy = answer(
            200,
            r#"{"error":"error_too_many_request","message":"slow"}"#,
        );
        assert!(matches!(c.classify(&busy), Verdict::Throttled { .. }));
        let param = answer(400, r#"{"error":"error_param","message":"bad"}"#);
        assert!(matches!(
            c.classify(&param),
            Verdict::Fail(Error::Invalid { .. })
        ));
        let server = answer(200, r#"{"error":"error_server","message":"later"}"#);
        assert!(matches!(c.classify(&server), Verdict::Retry));
    }

    #[test]
    fn a_token_answer_becomes_a_pair_that_expires() {
        let now = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        let t = tokens_from(
            TokenAnswer {
                access_token: "at".into(),
                refresh_token: "rt".into(),
                expire_in: 14400,
            },
            now,
        );
        assert_eq!(t.refresh_token, Some(Secret::new("rt")));
        assert_eq!(t.expires_at, Some(now + chrono::Duration::hours(4)));
    }
}
