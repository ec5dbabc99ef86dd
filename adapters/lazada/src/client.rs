//! How polycart talks to Lazada Open Platform: every request signed (system
//! parameters `app_key`, `timestamp` in ms, `sign_method=sha256`, `access_token`,
//! `sign`), the seller's single-use refresh token rotated through the kit's
//! [`RotatingTokens`] (persisted before use), and the classification of Lazada's
//! answers, which carry their errors in a 200's body: `{"code":"ApiCallLimit",…}`.
//!
//! The signature (Lazada's "Signing" guide and its lazop SDKs): all parameters but
//! `sign` (system and business, query and form body) sorted by name in byte order,
//! concatenated `name1value1name2value2…`, prefixed with the API path (`/orders/get`,
//! the path below `/rest`), a raw non-form body appended, HMAC-SHA256 keyed with the
//! app secret, upper-case hex.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use polycart_kit::auth::hmac::{hex_upper, hmac_sha256};
use polycart_kit::auth::{
    PreparedRequest, Refresh, RotatingTokens, SignedSession, TokenSet, TokenSigner,
};
use polycart_kit::connector::AdapterContext;
use polycart_kit::transport::html::retry_unusable_success;
use polycart_kit::transport::{
    Classify, Request, Response, Transport, Verdict, classify_status, shared_client,
};
use polycart_kit::{Error, Result, Secret, StoreConfig};
use serde_json::Value;
use url::Url;

use crate::PLATFORM;
use crate::config::LazadaConfig;

/// The largest page of `/orders/get`.
pub const MAX_PAGE: u32 = 100;
/// The largest page of `/products/get`.
pub const MAX_PRODUCT_PAGE: u32 = 50;
/// The most order ids `/orders/items/get` takes at once.
pub const MAX_ITEM_ORDERS: usize = 50;

const FORM: &str = "application/x-www-form-urlencoded";

/// The string Lazada signs: the API path, then every parameter but `sign` sorted by
/// name as `namevalue`, then a raw body (not a form's, whose fields are parameters).
pub fn string_to_sign(api_path: &str, params: &[(String, String)], body: Option<&str>) -> String {
    let mut sorted: Vec<&(String, String)> = params
        .iter()
        .filter(|(k, v)| k != "sign" && !k.is_empty() && !v.is_empty())
        .collect();
    sorted.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    let mut s = String::from(api_path);
    for (k, v) in sorted {
        s.push_str(k);
        s.push_str(v);
    }
    if let Some(b) = body {
        s.push_str(b);
    }
    s
}

/// `sign`: upper-case hex HMAC-SHA256 of [`string_to_sign`] keyed with the app secret.
pub fn sign(
    app_secret: &[u8],
    api_path: &str,
    params: &[(String, String)],
    body: Option<&str>,
) -> String {
    hex_upper(&hmac_sha256(
        app_secret,
        string_to_sign(api_path, params, body).as_bytes(),
    ))
}

/// The system parameters a signer adds (left out when already present on a retry).
const SYSTEM: &[&str] = &[
    "app_key",
    "timestamp",
    "sign_method",
    "access_token",
    "sign",
];

/// Signs requests under one root (`/rest`) with the app's key and secret.
#[derive(Debug, Clone)]
pub struct LazadaSigner {
    app_key: Secret,
    app_secret: Secret,
    /// The root's path (`/rest`), cut from a URL's path to give the API path.
    root_path: String,
}

impl LazadaSigner {
    pub fn new(app_key: Secret, app_secret: Secret, root: &Url) -> Self {
        Self {
            app_key,
            app_secret,
            root_path: root.path().trim_end_matches('/').to_owned(),
        }
    }

    /// The API path of `url`: `/orders/get` of `https://api.lazada.sg/rest/orders/get`.
    fn api_path<'u>(&self, url: &'u Url) -> &'u str {
        url.path()
            .strip_prefix(&self.root_path)
            .unwrap_or(url.path())
    }

    /// Adds the system parameters and the signature to the query of `request`.
    pub fn sign_request(
        &self,
        request: &mut PreparedRequest,
        access_token: Option<&Secret>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let mut query: Vec<(String, String)> = request
            .url
            .query_pairs()
            .filter(|(k, _)| !SYSTEM.contains(&k.as_ref()))
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        query.push(("app_key".into(), self.app_key.expose().to_owned()));
        query.push(("timestamp".into(), now.timestamp_millis().to_string()));
        query.push(("sign_method".into(), "sha256".into()));
        if let Some(t) = access_token.filter(|t| !t.is_empty()) {
            query.push(("access_token".into(), t.expose().to_owned()));
        }
        let form = request
            .headers
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with(FORM));
        let mut params = query.clone();
        let mut raw_body = None;
        if let Some(body) = &request.body {
            if form {
                params.extend(
                    url::form_urlencoded::parse(body)
                        .map(|(k, v)| (k.into_owned(), v.into_owned())),
                );
            } else {
                raw_body = Some(
                    std::str::from_utf8(body)
                        .map_err(|_| Error::invalid("a signed body must be UTF-8"))?
                        .to_owned(),
                );
            }
        }
        let signature = sign(
            self.app_secret.expose().as_bytes(),
            self.api_path(&request.url),
            &params,
            raw_body.as_deref(),
        );
        query.push(("sign".into(), signature));
        request.url.query_pairs_mut().clear().extend_pairs(&query);
        Ok(())
    }
}

impl TokenSigner for LazadaSigner {
    fn sign(
        &self,
        request: &mut PreparedRequest,
        access_token: &Secret,
        now: DateTime<Utc>,
    ) -> Result<()> {
        self.sign_request(request, Some(access_token), now)
    }

    fn secrets(&self) -> Vec<Secret> {
        vec![self.app_secret.clone()]
    }
}

/// `/auth/token/refresh` on the auth root: a new access token and a new refresh token
/// (the old one is spent).
#[derive(Debug, Clone)]
pub struct LazadaRefresh {
    signer: LazadaSigner,
    url: Url,
}

#[derive(serde::Deserialize)]
struct TokenAnswer {
    #[serde(default)]
    code: Option<Value>,
    #[serde(default)]
    message: Option<String>,
    access_token: Option<String>,
    refresh_token: Option<String>,
    expires_in: Option<Value>,
}

#[async_trait]
impl Refresh for LazadaRefresh {
    async fn renew(&self, current: &TokenSet) -> Result<TokenSet> {
        let refresh = current
            .refresh_token
            .as_ref()
            .ok_or_else(|| Error::auth("no refresh token"))?;
        let mut url = self.url.clone();
        url.query_pairs_mut()
            .append_pair("refresh_token", refresh.expose());
        let mut request = PreparedRequest {
            method: http::Method::GET,
            url,
            headers: http::HeaderMap::new(),
            body: None,
        };
        self.signer.sign_request(&mut request, None, Utc::now())?;
        let response = shared_client()
            .get(request.url)
            .timeout(Duration::from_secs(30))
            .send()
            .await
            .map_err(|e| Error::Transport {
                message: format!("token refresh: {}", polycart_kit::transport::describe(e)),
                timeout: false,
            })?;
        let status = response.status();
        let text = response.text().await.map_err(|e| Error::Transport {
            message: format!("token refresh: {}", polycart_kit::transport::describe(e)),
            timeout: false,
        })?;
        if status.is_server_error() {
            return Err(Error::Platform {
                status: status.as_u16(),
                body: "token refresh failed".into(),
            });
        }
        let answer: TokenAnswer = serde_json::from_str(&text)
            .map_err(|_| Error::decode("$", "token refresh answer is not JSON"))?;
        let code = answer.code.as_ref().map(code_text).unwrap_or_default();
        match (code.as_str(), answer.access_token, answer.refresh_token) {
            ("0" | "", Some(access), refresh) if !access.is_empty() => {
                let expires_in = answer.expires_in.as_ref().and_then(number).unwrap_or(0);
                Ok(TokenSet {
                    access_token: Secret::new(access),
                    refresh_token: refresh.filter(|r| !r.is_empty()).map(Secret::new),
                    expires_at: (expires_in > 0)
                        .then(|| Utc::now() + chrono::Duration::seconds(expires_in)),
                })
            }
            _ => Err(Error::auth(format!(
                "token refresh refused: {code} {}",
                polycart_kit::error::sanitise(answer.message.as_deref().unwrap_or(""), 120)
            ))),
        }
    }

    fn secrets(&self) -> Vec<Secret> {
        vec![self.signer.app_secret.clone()]
    }
}

/// A JSON number or numeric string as i64.
fn number(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// A `code` as text (Lazada writes `"0"`; some gateways `0`).
fn code_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The signed session of one store.
pub type Session = SignedSession<LazadaSigner, LazadaRefresh>;

/// Lazada's error codes, read from a response's body.
#[derive(Debug, Clone, Copy)]
pub struct LazadaClassifier;

/// How long an `ApiCallLimit` ban lasts: "… this ban will last 1 seconds".
pub fn ban_seconds(message: &str) -> Option<u64> {
    let rest = message.split("will last").nth(1)?;
    rest.split_whitespace().next()?.parse().ok()
}

impl Classify for LazadaClassifier {
    fn classify(&self, response: &Response) -> Verdict {
        if let Some(v) = retry_unusable_success(response) {
            return v;
        }
        if !response.status.is_success() {
            return classify_status(response);
        }
        #[derive(serde::Deserialize)]
        struct Envelope {
            code: Option<Value>,
            message: Option<String>,
        }
        let Ok(env) = serde_json::from_slice::<Envelope>(&response.body) else {
            return Verdict::Done;
        };
        let code = env.code.as_ref().map(code_text).unwrap_or_default();
        if code.is_empty() || code == "0" {
            return Verdict::Done;
        }
        let message = polycart_kit::error::sanitise(env.message.as_deref().unwrap_or(""), 160);
        classify_code(&code, &message)
    }

    /// `IllegalAccessToken` (in a 200's body) or a 401: the token lapsed or was revoked.
    fn unauthorized(&self, response: &Response) -> bool {
        if response.status == http::StatusCode::UNAUTHORIZED {
            return true;
        }
        #[derive(serde::Deserialize)]
        struct Code {
            code: Option<Value>,
        }
        response.status.is_success()
            && serde_json::from_slice::<Code>(&response.body)
                .ok()
                .and_then(|c| c.code)
                .is_some_and(|c| code_text(&c) == "IllegalAccessToken")
    }
}

/// The verdict for a non-zero Lazada `code`.
pub fn classify_code(code: &str, message: &str) -> Verdict {
    let text = format!("{code}: {message}");
    match code {
        "ApiCallLimit" | "AppCallLimit" | "ApiCallLimitExceeded" => Verdict::Throttled {
            after: Some(Duration::from_secs(
                ban_seconds(message).unwrap_or(1).min(3600),
            )),
        },
        "IllegalAccessToken"
        | "MissingAccessToken"
        | "IllegalRefreshToken"
        | "IncompleteSignature"
        | "InvalidSignature"
        | "AppKeyNotExists"
        | "InvalidAppKey"
        | "IllegalTimestamp"
        | "InvalidTimestamp"
        | "AccessDenied"
        | "InsufficientPermission" => Verdict::Fail(Error::auth(text)),
        "ServiceTimeout" | "ServiceUnavailable" | "SystemError" | "ServerError" => Verdict::Retry,
        _ if message.to_ascii_lowercase().contains("not found")
            || message.contains("Invalid Order ID") =>
        {
            Verdict::Fail(Error::not_found(text))
        }
        _ => Verdict::Fail(Error::invalid(text)),
    }
}

/// A store's client: its transport, signing every request with the store's session.
#[derive(Debug)]
pub struct Client {
    pub transport: Transport,
}

impl Client {
    /// Sends `request`. A token Lazada calls illegal (expired, revoked) is refreshed
    /// once by the transport ([`LazadaClassifier::unauthorized`]) and the request sent
    /// again, signed anew.
    pub async fn send(&self, request: Request) -> Result<Response> {
        self.transport.send(request).await
    }
}

/// A POST whose business parameters travel as a form body (as the lazop SDKs send
/// them); signed with the query's system parameters.
pub fn form_post(url: Url, params: &[(&str, String)]) -> Request {
    let body = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(params.iter().map(|(k, v)| (*k, v.as_str())))
        .finish();
    let mut r = Request::post(url).header(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static(FORM),
    );
    r.body = Some(body.into_bytes().into());
    r
}

/// The store's client.
pub(crate) fn client(store: &StoreConfig, config: &LazadaConfig, ctx: &AdapterContext) -> Client {
    let signer = LazadaSigner::new(
        config.app_key.clone(),
        config.app_secret.clone(),
        &config.api_root,
    );
    let auth_signer = LazadaSigner::new(
        config.app_key.clone(),
        config.app_secret.clone(),
        &config.auth_root,
    );
    let refresh_url = config
        .auth_root
        .join("auth/token/refresh")
        .unwrap_or_else(|_| config.auth_root.clone());
    let mut tokens = RotatingTokens::new(
        LazadaRefresh {
            signer: auth_signer,
            url: refresh_url,
        },
        TokenSet {
            access_token: config.access_token.clone(),
            refresh_token: config.refresh_token.clone(),
            expires_at: config.token_expires_at,
        },
    );
    if let Some(sink) = &ctx.token_sink {
        tokens = tokens.with_sink(sink.clone());
    }
    let session = Arc::new(SignedSession::new(signer, tokens));
    let transport = Transport::builder(store.store_id.clone(), PLATFORM)
        .auth(session.clone())
        .budget(config.budget)
        .classifier(Arc::new(LazadaClassifier))
        .metrics(ctx.metrics.clone())
        .build();
    Client { transport }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
        p.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    /// platforms.md Appendix A: the sorted string and its signature.
    #[test]
    fn signs_the_appendix_vector_with_sorted_parameters() {
        let params = pairs(&[
            ("update_after", "2024-01-01T00:00:00+08:00"),
            ("timestamp", "1700000000000"),
            ("sign_method", "sha256"),
            ("offset", "0"),
            ("limit", "100"),
            ("app_key", "123456"),
            ("access_token", "tok"),
            ("sign", "ignored"),
        ]);
        assert_eq!(
            string_to_sign("/orders/get", &params, None),
            "/orders/getaccess_tokentokapp_key123456limit100offset0sign_methodsha256timestamp1700000000000update_after2024-01-01T00:00:00+08:00"
        );
        assert_eq!(
            sign(b"test_app_secret", "/orders/get", &params, None),
            "C84A2250F00B8B79FFB444F57586D0B95771F70F0EFBF9535E3FD2F4B1AF5958"
        );
    }

    /// The official Python SDK's `sign` (lazop-sdk 1.0.3, `lazop_sdk.base.sign`) on a
    /// price update as it sends one (with its `partner_id`), computed with the SDK.
    #[test]
    fn signs_as_the_official_python_sdk_does() {
        let params = pairs(&[
            ("app_key", "123456"),
            ("timestamp", "1700000000000"),
            ("sign_method", "sha256"),
            ("partner_id", "lazop-sdk-python-20181207"),
            ("access_token", "tok"),
            (
                "payload",
                "<Request><Product><Skus><Sku><ItemId>1</ItemId><SkuId>2</SkuId><Price>12.5</Price></Sku></Skus></Product></Request>",
            ),
        ]);
        assert_eq!(
            sign(
                b"test_app_secret",
                "/product/price_quantity/update",
                &params,
                None
            ),
            "810C7B54FF2FAF8F33DE7B5A5A0CB2429A4000A60AB9A8FFBE9E3BDBF118E63B"
        );
    }

    #[test]
    fn a_raw_body_is_appended_and_form_fields_are_parameters() {
        let params = pairs(&[("app_key", "1")]);
        assert_eq!(
            string_to_sign("/x", &params, Some("{\"a\":1}")),
            "/xapp_key1{\"a\":1}"
        );
        let signer = LazadaSigner::new("k".into(), "s".into(), &"http://h/rest".parse().unwrap());
        let mut request = PreparedRequest {
            method: http::Method::POST,
            url: "http://h/rest/product/price_quantity/update?sign=old"
                .parse()
                .unwrap(),
            headers: http::HeaderMap::new(),
            body: Some("payload=%3CRequest%2F%3E".into()),
        };
        request.headers.insert(
            http::header::CONTENT_TYPE,
            http::HeaderValue::from_static(FORM),
        );
        let now = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        signer
            .sign_request(&mut request, Some(&"tok".into()), now)
            .unwrap();
        let q: Vec<(String, String)> = request
            .url
            .query_pairs()
            .map(|(k, v)| (k.into(), v.into()))
            .collect();
        assert_eq!(q.iter().filter(|(k, _)| k == "sign").count(), 1);
        let given = q.iter().find(|(k, _)| k == "sign").unwrap().1.clone();
        let expected = sign(
            b"s",
            "/product/price_quantity/update",
            &pairs(&[
                ("access_token", "tok"),
                ("app_key", "k"),
                ("payload", "<Request/>"),
                ("sign_method", "sha256"),
                ("timestamp", "1700000000000"),
            ]),
            None,
        );
        assert_eq!(given, expected);
    }

    #[test]
    fn error_codes_in_a_200_are_typed() {
        assert!(matches!(
            classify_code("ApiCallLimit", "Api access frequency exceeds the limit. this ban will last 3 seconds"),
            Verdict::Throttled { after: Some(d) } if d == Duration::from_secs(3)
        ));
        assert!(matches!(
            classify_code("IllegalAccessToken", "x"),
            Verdict::Fail(Error::Auth { .. })
        ));
        assert!(matches!(
            classify_code("IncompleteSignature", "x"),
            Verdict::Fail(Error::Auth { .. })
        ));
        assert!(matches!(
            classify_code("InvalidParameter", "x"),
            Verdict::Fail(Error::Invalid { .. })
        ));
        assert!(matches!(
            classify_code("16", "E016: Invalid Order ID"),
            Verdict::Fail(Error::NotFound { .. })
        ));
    }
}
