//! How polycart talks to TikTok Shop: every request signed (`app_key`, `timestamp`,
//! `sign` in the query; the access token in `x-tts-access-token`), the token pair
//! refreshed through the kit's [`RotatingTokens`] (single-use refresh tokens: one
//! refresh per store, the new pair persisted before use), and the classification of
//! TikTok's `{code, message, request_id, data}` envelope.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use http::{HeaderName, HeaderValue};
use polycart_kit::auth::hmac::{hex, hmac_sha256};
use polycart_kit::auth::{
    PreparedRequest, Refresh, RotatingTokens, SignedSession, TokenSet, TokenSigner,
};
use polycart_kit::connector::AdapterContext;
use polycart_kit::transport::html::retry_unusable_success;
use polycart_kit::transport::{Classify, Response, Transport, Verdict, classify_status};
use polycart_kit::{Error, Result, Secret, StoreConfig};
use serde::Deserialize;
use url::Url;

use crate::PLATFORM;
use crate::config::TikTokShopConfig;

/// The largest page TikTok Shop serves (`page_size` 1–100).
pub const MAX_PAGE: u32 = 100;

/// The header carrying the access token.
pub const ACCESS_TOKEN_HEADER: &str = "x-tts-access-token";

/// Query parameters left out of the string to sign.
const UNSIGNED: [&str; 2] = ["sign", "access_token"];

/// The string TikTok Shop signs: `secret + path + sorted(key + value) + body + secret`
/// (parameters other than `sign` and `access_token`, sorted by key; the body unless
/// the request is `multipart/form-data`).
pub fn string_to_sign(
    secret: &str,
    path: &str,
    params: &[(String, String)],
    body: Option<&[u8]>,
) -> Vec<u8> {
    let mut sorted: Vec<&(String, String)> = params
        .iter()
        .filter(|(k, _)| !UNSIGNED.contains(&k.as_str()))
        .collect();
    sorted.sort();
    let mut s = Vec::with_capacity(256);
    s.extend_from_slice(secret.as_bytes());
    s.extend_from_slice(path.as_bytes());
    for (k, v) in sorted {
        s.extend_from_slice(k.as_bytes());
        s.extend_from_slice(v.as_bytes());
    }
    s.extend_from_slice(body.unwrap_or_default());
    s.extend_from_slice(secret.as_bytes());
    s
}

/// `sign`: lower-case hex HMAC-SHA256 of [`string_to_sign`] keyed with the app secret.
pub fn signature(
    secret: &Secret,
    path: &str,
    params: &[(String, String)],
    body: Option<&[u8]>,
) -> String {
    let s = string_to_sign(secret.expose(), path, params, body);
    hex(&hmac_sha256(secret.expose().as_bytes(), &s))
}

/// Signs each request at the moment it is sent (so a retry is signed afresh).
#[derive(Debug, Clone)]
pub struct TikTokSigner {
    pub app_key: String,
    pub app_secret: Secret,
}

impl TokenSigner for TikTokSigner {
    fn sign(
        &self,
        request: &mut PreparedRequest,
        access_token: &Secret,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let mut params: Vec<(String, String)> = request
            .url
            .query_pairs()
            .filter(|(k, _)| !matches!(k.as_ref(), "app_key" | "timestamp" | "sign"))
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        params.push(("app_key".into(), self.app_key.clone()));
        params.push(("timestamp".into(), now.timestamp().to_string()));
        let multipart = request
            .headers
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("multipart/form-data"));
        let body = if multipart {
            None
        } else {
            request.body.as_deref()
        };
        let sign = signature(&self.app_secret, request.url.path(), &params, body);
        request
            .url
            .query_pairs_mut()
            .clear()
            .extend_pairs(&params)
            .append_pair("sign", &sign);
        let mut token = HeaderValue::from_str(access_token.expose())
            .map_err(|_| Error::invalid("the access token is not a header value"))?;
        token.set_sensitive(true);
        request
            .headers
            .insert(HeaderName::from_static(ACCESS_TOKEN_HEADER), token);
        Ok(())
    }

    fn secrets(&self) -> Vec<Secret> {
        vec![self.app_secret.clone()]
    }
}

/// TikTok's envelope, as far as classification and the token answer read it.
#[derive(Debug, Deserialize)]
pub(crate) struct Envelope<T> {
    #[serde(default)]
    pub code: i64,
    #[serde(default)]
    pub message: Option<String>,
    pub data: Option<T>,
}

#[derive(Debug, Deserialize)]
struct TokenData {
    access_token: String,
    /// Unix second the access token lapses at (not a duration).
    access_token_expire_in: Option<i64>,
    refresh_token: Option<String>,
}

/// The token refresh: `GET {auth}/api/v2/token/refresh?app_key&app_secret&refresh_token
/// &grant_type=refresh_token` (unsigned). Sent once: a refresh token is single-use, so
/// a refresh is never repeated blindly.
#[derive(Debug, Clone)]
pub struct TikTokRefresh {
    pub auth_root: Url,
    pub app_key: String,
    pub app_secret: Secret,
    pub http: reqwest::Client,
}

impl TikTokRefresh {
    fn redact(&self, text: &str, refresh_token: &Secret) -> String {
        let mut out = text.to_owned();
        for s in [&self.app_secret, refresh_token] {
            if !s.is_empty() {
                out = out.replace(s.expose(), "**REDACTED**");
            }
        }
        out
    }
}

#[async_trait]
impl Refresh for TikTokRefresh {
    async fn renew(&self, current: &TokenSet) -> Result<TokenSet> {
        let refresh_token = current
            .refresh_token
            .as_ref()
            .ok_or_else(|| Error::auth("no refresh token to renew the access token with"))?;
        let mut url = self
            .auth_root
            .join("api/v2/token/refresh")
            .map_err(|_| Error::invalid("setting auth_url: cannot hold the refresh path"))?;
        polycart_kit::net::check_url(&url)?;
        url.query_pairs_mut()
            .append_pair("app_key", &self.app_key)
            .append_pair("app_secret", self.app_secret.expose())
            .append_pair("refresh_token", refresh_token.expose())
            .append_pair("grant_type", "refresh_token");
        let failed = |e: reqwest::Error| Error::Transport {
            timeout: e.is_timeout(),
            message: format!(
                "token refresh failed: {}",
                polycart_kit::transport::describe(e)
            ),
        };
        let response = self.http.get(url).send().await.map_err(failed)?;
        let status = response.status();
        let text = response.text().await.map_err(failed)?;
        let answer: Envelope<TokenData> = serde_json::from_str(&text).map_err(|_| {
            Error::auth(format!(
                "token refresh answered {} without TikTok's envelope",
                status.as_u16()
            ))
        })?;
        let data = match answer.data {
            Some(d) if answer.code == 0 && status.is_success() => d,
            _ => {
                let message = answer.message.unwrap_or_default();
                let message =
                    polycart_kit::error::sanitise(&self.redact(&message, refresh_token), 160);
                return Err(Error::auth(format!(
                    "token refresh refused (code {}): {message}",
                    answer.code
                )));
            }
        };
        Ok(TokenSet {
            access_token: Secret::new(data.access_token),
            refresh_token: data.refresh_token.map(Secret::new),
            expires_at: data
                .access_token_expire_in
                .and_then(|s| DateTime::from_timestamp(s, 0)),
        })
    }

    fn secrets(&self) -> Vec<Secret> {
        vec![self.app_secret.clone()]
    }
}

/// Codes meaning the credentials or the signature were refused: an expired or invalid
/// access token (105xxx), an invalid `sign` (106001), a missing signature, stale
/// timestamp or unknown `app_key` (36009004), an unauthorised shop (36004004).
pub fn is_auth_code(code: i64) -> bool {
    matches!(code, 105_000..=105_999 | 106_001 | 36_009_004 | 36_004_004)
}

/// Codes saying the record does not exist ("The product does not exist", "The product
/// ID does not exist", "The SKU id not exist").
pub fn is_missing_code(code: i64) -> bool {
    matches!(code, 12_052_032 | 12_052_260 | 12_052_556)
}

/// TikTok Shop's answers, read.
#[derive(Debug, Clone, Copy)]
pub struct TikTokShopClassifier;

/// Whether an answer says the access token is stale or unknown, which a refresh may
/// cure: 105001 (invalid), 105002 (expired), and the overloaded 36009004 when its
/// message names the token header ("Invalid credentials. The `x-tts-access-token`
/// header is invalid.") rather than the signature, timestamp or app key.
pub fn is_token_error(code: i64, message: &str) -> bool {
    match code {
        105_001 | 105_002 => true,
        36_009_004 => message.contains("access_token") || message.contains("access-token"),
        _ => false,
    }
}

fn code_of(response: &Response) -> Option<(i64, String)> {
    serde_json::from_slice::<Envelope<serde::de::IgnoredAny>>(&response.body)
        .ok()
        .map(|e| (e.code, e.message.unwrap_or_default()))
}

impl Classify for TikTokShopClassifier {
    /// A token code refreshes the pair once, whatever the status; so does a 401 without
    /// one (a proxy's). A 401 for a wrong signature, a stale timestamp or an unknown app
    /// key does not: a refresh cannot cure it and would spend a single-use token.
    fn unauthorized(&self, response: &Response) -> bool {
        match code_of(response) {
            Some((c, m)) if is_token_error(c, &m) => true,
            Some((c, _)) if is_auth_code(c) => false,
            _ => response.status == http::StatusCode::UNAUTHORIZED,
        }
    }

    fn classify(&self, response: &Response) -> Verdict {
        if let Some(v) = retry_unusable_success(response) {
            return v;
        }
        let envelope =
            serde_json::from_slice::<Envelope<serde::de::IgnoredAny>>(&response.body).ok();
        let code = envelope.as_ref().map_or(0, |e| e.code);
        let message = || {
            let m = envelope
                .as_ref()
                .and_then(|e| e.message.as_deref())
                .unwrap_or_default();
            format!("code {code}: {}", polycart_kit::error::sanitise(m, 160))
        };
        match (response.status.as_u16(), code) {
            (429, _) | (_, 36_009_002) => Verdict::Throttled {
                after: polycart_kit::transport::retry_after(&response.headers),
            },
            (500..=599, _) | (_, 36_009_003) => Verdict::Retry,
            (_, c) if is_auth_code(c) => Verdict::Fail(Error::auth(message())),
            (_, c) if is_missing_code(c) => Verdict::Fail(Error::not_found(message())),
            (200..=299, 0) => Verdict::Done,
            (200..=299, _) => Verdict::Fail(Error::invalid(message())),
            _ => classify_status(response),
        }
    }
}

/// The store's transport: signed requests with a rotating token pair.
pub(crate) fn transport(
    store: &StoreConfig,
    config: &TikTokShopConfig,
    ctx: &AdapterContext,
) -> Result<Transport> {
    let http = polycart_kit::net::client_builder()
        .timeout(std::time::Duration::from_secs(30))
        .build()
        .map_err(|e| Error::invalid(format!("http client: {e}")))?;
    let refresh = TikTokRefresh {
        auth_root: config.auth_root.clone(),
        app_key: config.app_key.clone(),
        app_secret: config.app_secret.clone(),
        http,
    };
    let mut tokens = RotatingTokens::new(
        refresh,
        TokenSet {
            access_token: config.access_token.clone(),
            refresh_token: config.refresh_token.clone(),
            expires_at: config.expires_at,
        },
    );
    if let Some(sink) = &ctx.token_sink {
        tokens = tokens.with_sink(sink.clone());
    }
    let signer = TikTokSigner {
        app_key: config.app_key.clone(),
        app_secret: config.app_secret.clone(),
    };
    Ok(Transport::builder(store.store_id.clone(), PLATFORM)
        .auth(Arc::new(SignedSession::new(signer, tokens)))
        .budget(config.budget)
        .classifier(Arc::new(TikTokShopClassifier))
        .metrics(ctx.metrics.clone())
        .build())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `../shared/platforms.md` Appendix A: the documented algorithm, with a body.
    #[test]
    fn the_appendix_vector_with_a_body() {
        let params: Vec<(String, String)> = [
            ("app_key", "38abcd"),
            ("timestamp", "1623812664"),
            ("shop_cipher", "ROW_abc"),
            ("page_size", "20"),
            ("sort_field", "create_time"),
            ("sort_order", "ASC"),
            ("access_token", "never signed"),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
        let body = br#"{"update_time_ge":1623812664}"#;
        let s = string_to_sign(
            "tt_test_secret",
            "/order/202309/orders/search",
            &params,
            Some(body),
        );
        assert_eq!(
            String::from_utf8(s).unwrap(),
            "tt_test_secret/order/202309/orders/searchapp_key38abcdpage_size20shop_cipherROW_abcsort_fieldcreate_timesort_orderASCtimestamp1623812664{\"update_time_ge\":1623812664}tt_test_secret"
        );
        assert_eq!(
            signature(
                &Secret::new("tt_test_secret"),
                "/order/202309/orders/search",
                &params,
                Some(body)
            ),
            "3a893b41448c8013af9d4d0691c5993c3b6eca69891c0d9ec0fdfe7c35d31169"
        );
    }

    #[test]
    fn signing_replaces_an_earlier_signature_and_sends_the_token_in_a_header() {
        let signer = TikTokSigner {
            app_key: "38abcd".into(),
            app_secret: Secret::new("tt_test_secret"),
        };
        let mut req = PreparedRequest {
            method: http::Method::GET,
            url: "https://open-api.example/authorization/202309/shops?sign=old&timestamp=1"
                .parse()
                .unwrap(),
            headers: http::HeaderMap::new(),
            body: None,
        };
        let now = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        signer
            .sign(&mut req, &Secret::new("TTP_token"), now)
            .unwrap();
        let expected = signature(
            &Secret::new("tt_test_secret"),
            "/authorization/202309/shops",
            &[
                ("app_key".into(), "38abcd".into()),
                ("timestamp".into(), "1700000000".into()),
            ],
            None,
        );
        assert_eq!(
            req.url.query(),
            Some(format!("app_key=38abcd&timestamp=1700000000&sign={expected}").as_str())
        );
        assert_eq!(req.headers[ACCESS_TOKEN_HEADER], "TTP_token");
    }

    fn response(status: u16, body: &str) -> Response {
        Response {
            status: http::StatusCode::from_u16(status).unwrap(),
            headers: http::HeaderMap::new(),
            body: body.as_bytes().to_vec().into(),
            url: "https://open-api.example/order/202309/orders"
                .parse()
                .unwrap(),
        }
    }

    #[test]
    fn only_token_errors_refresh_the_pair() {
        let c = TikTokShopClassifier;
        assert!(c.unauthorized(&response(
            401,
            r#"{"code":105002,"message":"Expired credentials"}"#
        )));
        assert!(c.unauthorized(&response(
            200,
            r#"{"code":105001,"message":"Invalid credentials"}"#
        )));
        assert!(c.unauthorized(&response(401, "{}")));
        assert!(!c.unauthorized(&response(401, r#"{"code":106001,"message":"sign"}"#)));
        assert!(!c.unauthorized(&response(
            401,
            r#"{"code":36009004,"message":"Invalid timestamp."}"#
        )));
        assert!(c.unauthorized(&response(
            401,
            r#"{"code":36009004,"message":"Invalid credentials. The `x-tts-access-token` header is invalid."}"#
        )));
        assert!(!c.unauthorized(&response(200, r#"{"code":0,"data":{}}"#)));
        assert!(matches!(
            c.classify(&response(200, r#"{"code":105002}"#)),
            Verdict::Fail(Error::Auth { .. })
        ));
        assert!(matches!(
            c.classify(&response(429, r#"{"code":36009002}"#)),
            Verdict::Throttled { .. }
        ));
        assert!(matches!(c.classify(&response(503, "")), Verdict::Retry));
        assert!(matches!(
            c.classify(&response(200, r#"{"code":12052032}"#)),
            Verdict::Fail(Error::NotFound { .. })
        ));
        assert!(matches!(
            c.classify(&response(200, r#"{"code":21011006}"#)),
            Verdict::Fail(Error::Invalid { .. })
        ));
    }

    #[test]
    fn auth_codes_are_known() {
        assert!(is_auth_code(105_002));
        assert!(is_auth_code(106_001));
        assert!(is_auth_code(36_009_004));
        assert!(!is_auth_code(0));
        assert!(!is_auth_code(12_052_990));
    }
}
