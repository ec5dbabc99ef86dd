//! OAuth 2 token endpoints and bearer auth: the client that asks a token endpoint for a
//! new pair (RFC 6749 §6 refresh; the client-credentials grant for platforms that mint
//! tokens, such as Wix; the authorization-code exchange with PKCE for public clients,
//! such as Etsy's, RFC 7636), and bearer auth over the kit's [`RotatingTokens`]
//! (single-flight refresh, the rotated pair persisted before it is used).
//!
//! Token endpoints differ in small ways the client's options carry: the client's
//! credentials in the form or as HTTP basic auth, a JSON body instead of a form
//! (Squarespace, Wix), no secret at all (public clients), and answers without
//! `token_type` or `expires_in` (Shopify, several marketplaces; Wix's legacy tokens).

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::Utc;
use http::{HeaderName, HeaderValue};

use super::rotating::{Refresh, RotatingTokens, TokenSet, TokenSink};
use super::{Auth, PreparedRequest};
use crate::error::{Error, Result};
use crate::secret::Secret;

/// The app's OAuth client: id, secret and token endpoint. The token endpoint is called
/// directly and its answer read tolerantly: `token_type` may be missing and
/// `expires_in` may be a number or a numeric string.
#[derive(Debug, Clone)]
pub struct OAuth2Client {
    client_id: String,
    secret: Secret,
    token_url: url::Url,
    credentials_in_body: bool,
    /// A public client (RFC 6749 §2.1): only `client_id` is sent, no secret.
    public: bool,
    /// The token request is a JSON object (Squarespace, Wix), not a form.
    json: bool,
    /// Tokens are minted with `grant_type=client_credentials` and these extra fields
    /// (Wix's `instance_id`), not exchanged for a refresh token.
    client_credentials: Option<Vec<(String, String)>>,
    /// How long a token lives when the answer has no `expires_in` (Wix's legacy
    /// refreshed tokens last 5 minutes and say nothing).
    assumed_lifetime: Option<Duration>,
    /// Fields every refresh request adds (eBay's `scope`).
    refresh_fields: Vec<(String, String)>,
    http: reqwest::Client,
}

/// A token endpoint's answer.
#[derive(serde::Deserialize)]
struct TokenAnswer {
    access_token: String,
    #[serde(default)]
    refresh_token: Option<String>,
    #[serde(default, deserialize_with = "seconds")]
    expires_in: Option<i64>,
}

/// `expires_in` as a number or a numeric string.
fn seconds<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Option<i64>, D::Error> {
    let v = Option::<serde_json::Value>::deserialize(d)?;
    Ok(match v {
        Some(serde_json::Value::Number(n)) => n.as_i64(),
        Some(serde_json::Value::String(s)) => s.trim().parse().ok(),
        _ => None,
    })
}

use serde::Deserialize as _;

impl OAuth2Client {
    /// `credentials_in_body`: send client id and secret as form fields (Shopify) rather
    /// than HTTP basic auth.
    pub fn new(
        client_id: &str,
        client_secret: Secret,
        token_url: &str,
        credentials_in_body: bool,
    ) -> Result<Self> {
        let token_url =
            url::Url::parse(token_url).map_err(|e| Error::invalid(format!("token url: {e}")))?;
        // No redirects on the token endpoint (against SSRF), the network policy applies;
        // a User-Agent, which some token endpoints require (Squarespace).
        let http = crate::net::client_builder()
            .user_agent(concat!("polycart/", env!("CARGO_PKG_VERSION")))
            .timeout(Duration::from_secs(30))
            .build()
            .map_err(|e| Error::Transport {
                message: e.to_string(),
                timeout: false,
            })?;
        Ok(Self {
            client_id: client_id.to_owned(),
            secret: client_secret,
            token_url,
            credentials_in_body,
            public: false,
            json: false,
            client_credentials: None,
            assumed_lifetime: None,
            refresh_fields: Vec::new(),
            http,
        })
    }

    /// A public client: the token endpoint gets `client_id` in the form and no secret
    /// (PKCE apps such as Etsy's, RFC 7636).
    pub fn public(client_id: &str, token_url: &str) -> Result<Self> {
        let mut client = Self::new(client_id, Secret::new(""), token_url, true)?;
        client.public = true;
        Ok(client)
    }

    /// Sends the token request's fields as a JSON object (`Content-Type:
    /// application/json`) instead of a form, for token endpoints that read only JSON.
    pub fn json_body(mut self) -> Self {
        self.json = true;
        self
    }

    /// Mints tokens with the client-credentials grant, adding `extra` fields to the
    /// request (Wix's `instance_id`); the bearer then needs no refresh token.
    pub fn client_credentials(mut self, extra: &[(&str, &str)]) -> Self {
        self.client_credentials = Some(
            extra
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        );
        self
    }

    /// The lifetime of a token whose answer states none.
    pub fn assume_lifetime(mut self, lifetime: Duration) -> Self {
        self.assumed_lifetime = Some(lifetime);
        self
    }

    /// Fields a refresh request carries besides `grant_type` and `refresh_token`
    /// (eBay asks for the consented `scope` list again on every refresh).
    pub fn refresh_fields(mut self, fields: &[(&str, &str)]) -> Self {
        self.refresh_fields = fields
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        self
    }

    /// Whether tokens are minted (client credentials) rather than refreshed.
    pub fn mints(&self) -> bool {
        self.client_credentials.is_some()
    }

    /// A new token from the client-credentials grant (an `Invalid` error unless the
    /// client was made with [`OAuth2Client::client_credentials`]). Not retried, like
    /// [`OAuth2Client::refresh`].
    pub async fn mint(&self) -> Result<TokenSet> {
        let extra = self
            .client_credentials
            .as_ref()
            .ok_or_else(|| Error::invalid("this OAuth client does not mint tokens"))?;
        let mut fields = vec![("grant_type", "client_credentials")];
        fields.extend(extra.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        self.token_request(&fields, &[]).await
    }

    /// Exchanges a refresh token for a new token set. Not retried: a platform that
    /// rotates refresh tokens keeps the old one valid until the new access token is
    /// used, so the next attempt (a later request) recovers a lost answer.
    pub async fn refresh(&self, refresh_token: &Secret) -> Result<TokenSet> {
        let mut fields = vec![
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token.expose()),
        ];
        fields.extend(
            self.refresh_fields
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str())),
        );
        self.token_request(&fields, &[refresh_token]).await
    }

    /// Exchanges an authorization code and its PKCE `code_verifier` for the first
    /// token pair (RFC 6749 §4.1.3, RFC 7636 §4.5). A code is single-use: not retried.
    pub async fn exchange_code(
        &self,
        code: &Secret,
        code_verifier: &Secret,
        redirect_uri: &str,
    ) -> Result<TokenSet> {
        let fields = [
            ("grant_type", "authorization_code"),
            ("code", code.expose()),
            ("code_verifier", code_verifier.expose()),
            ("redirect_uri", redirect_uri),
        ];
        self.token_request(&fields, &[code, code_verifier]).await
    }

    /// Posts `fields` (plus the client's credentials) to the token endpoint and reads
    /// the answer; `secrets` and the client secret are hidden in any error message.
    async fn token_request(
        &self,
        fields: &[(&str, &str)],
        secrets: &[&Secret],
    ) -> Result<TokenSet> {
        crate::net::check_url(&self.token_url)?;
        let mut fields = fields.to_vec();
        let mut request = self
            .http
            .post(self.token_url.clone())
            .header(http::header::ACCEPT, "application/json");
        if self.public {
            fields.push(("client_id", self.client_id.as_str()));
        } else if self.credentials_in_body {
            fields.push(("client_id", self.client_id.as_str()));
            fields.push(("client_secret", self.secret.expose()));
        } else {
            request = request.basic_auth(&self.client_id, Some(self.secret.expose()));
        }
        request = if self.json {
            let body: serde_json::Map<String, serde_json::Value> = fields
                .iter()
                .map(|(k, v)| ((*k).to_owned(), serde_json::Value::from(*v)))
                .collect();
            request.json(&body)
        } else {
            request.form(&fields)
        };
        let failed = |e: reqwest::Error| Error::Transport {
            timeout: e.is_timeout(),
            message: format!("token request failed: {}", crate::transport::describe(e)),
        };
        let response = request.send().await.map_err(failed)?;
        let status = response.status();
        let text = response.text().await.map_err(failed)?;
        if !status.is_success() {
            let mut message =
                crate::error::platform_message(&text).unwrap_or_else(|| "(no message)".to_owned());
            for secret in std::iter::once(&self.secret).chain(secrets.iter().copied()) {
                if !secret.is_empty() {
                    message = message.replace(secret.expose(), "**REDACTED**");
                }
            }
            return Err(Error::auth(format!(
                "token request refused ({}): {message}",
                status.as_u16()
            )));
        }
        let answer: TokenAnswer = serde_json::from_str(&text)
            .map_err(|_| Error::decode("$", "the token endpoint's answer has no access_token"))?;
        let lifetime = answer
            .expires_in
            .and_then(chrono::Duration::try_seconds)
            .or_else(|| {
                self.assumed_lifetime
                    .and_then(|d| chrono::Duration::from_std(d).ok())
            });
        Ok(TokenSet {
            access_token: Secret::new(answer.access_token),
            refresh_token: answer.refresh_token.map(Secret::new),
            expires_at: lifetime.and_then(|d| Utc::now().checked_add_signed(d)),
        })
    }
}

/// The PKCE `code_challenge` of a verifier (RFC 7636 §4.2, method `S256`):
/// base64url without padding of its SHA-256.
pub fn pkce_challenge(code_verifier: &str) -> String {
    use base64::Engine;
    use sha2::Digest;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(sha2::Sha256::digest(code_verifier.as_bytes()))
}

#[async_trait]
impl Refresh for OAuth2Client {
    fn can_renew(&self, tokens: &TokenSet) -> bool {
        self.mints() || tokens.refresh_token.is_some()
    }

    async fn renew(&self, tokens: &TokenSet) -> Result<TokenSet> {
        match &tokens.refresh_token {
            _ if self.mints() => self.mint().await,
            Some(refresh_token) => self.refresh(refresh_token).await,
            None => Err(Error::auth(
                "no refresh token to renew the access token with",
            )),
        }
    }

    fn secrets(&self) -> Vec<Secret> {
        vec![self.secret.clone()]
    }
}

/// Bearer auth that keeps its token fresh.
pub struct OAuth2Bearer {
    tokens: RotatingTokens<OAuth2Client>,
    header: HeaderName,
    prefix: &'static str,
}

impl std::fmt::Debug for OAuth2Bearer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuth2Bearer")
            .field("header", &self.header)
            .finish_non_exhaustive()
    }
}

impl OAuth2Bearer {
    /// `Authorization: Bearer <access token>`, refreshed 60 s before expiry.
    pub fn new(client: OAuth2Client, tokens: TokenSet) -> Self {
        Self {
            tokens: RotatingTokens::new(client, tokens),
            header: http::header::AUTHORIZATION,
            prefix: "Bearer ",
        }
    }

    /// Sends the token in another header, without a prefix (`X-Shopify-Access-Token`;
    /// `Authorization` itself for Wix, which takes the bare token).
    pub fn in_header(mut self, header: HeaderName) -> Self {
        self.header = header;
        self.prefix = "";
        self
    }

    pub fn with_sink(mut self, sink: Arc<dyn TokenSink>) -> Self {
        self.tokens = self.tokens.with_sink(sink);
        self
    }

    pub fn with_skew(mut self, skew: Duration) -> Self {
        self.tokens = self.tokens.with_skew(skew);
        self
    }

    /// The token set in use now.
    pub fn tokens(&self) -> TokenSet {
        self.tokens.tokens()
    }
}

#[async_trait]
impl Auth for OAuth2Bearer {
    async fn authorize(&self, request: &mut PreparedRequest) -> Result<()> {
        let token = self.tokens.access_token().await?;
        let mut value = HeaderValue::from_str(&format!("{}{}", self.prefix, token.expose()))
            .map_err(|_| Error::auth("the access token cannot be sent in a header"))?;
        value.set_sensitive(true);
        request.headers.insert(self.header.clone(), value);
        Ok(())
    }

    async fn refresh_after_unauthorized(&self) -> Result<bool> {
        self.tokens.refresh_after_unauthorized().await
    }

    fn secrets(&self) -> Vec<Secret> {
        self.tokens.secrets()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicU32, Ordering};

    use axum::routing::post;

    use super::*;
    use crate::auth::test_request;

    /// A token endpoint that rotates the refresh token on every use and refuses reuse.
    async fn token_server(calls: Arc<AtomicU32>) -> String {
        let current = Arc::new(Mutex::new("rt-0".to_owned()));
        let app = axum::Router::new().route(
            "/token",
            post(move |body: String| {
                let calls = calls.clone();
                let current = current.clone();
                async move {
                    let form: std::collections::HashMap<String, String> =
                        url::form_urlencoded::parse(body.as_bytes())
                            .into_owned()
                            .collect();
                    let mut cur = current.lock().unwrap();
                    if form.get("refresh_token") != Some(&*cur)
                        || form.get("client_secret").map(String::as_str) != Some("app-secret")
                    {
                        return (
                            http::StatusCode::BAD_REQUEST,
                            axum::Json(serde_json::json!({"error": "invalid_grant"})),
                        );
                    }
                    let n = calls.fetch_add(1, Ordering::SeqCst) + 1;
                    *cur = format!("rt-{n}");
                    (
                        http::StatusCode::OK,
                        axum::Json(serde_json::json!({
                            "access_token": format!("at-{n}"), "token_type": "bearer",
                            "expires_in": 3600, "refresh_token": format!("rt-{n}")
                        })),
                    )
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        format!("http://{addr}/token")
    }

    struct Saved(Mutex<Vec<TokenSet>>);
    #[async_trait]
    impl TokenSink for Saved {
        async fn store(&self, tokens: &TokenSet) -> Result<()> {
            self.0.lock().unwrap().push(tokens.clone());
            Ok(())
        }
    }

    #[tokio::test]
    async fn bearer_header_rfc6750() {
        let client = OAuth2Client::new("id", "s".into(), "http://127.0.0.1:9/token", true).unwrap();
        let auth = OAuth2Bearer::new(
            client,
            TokenSet {
                access_token: "mF_9.B5f-4.1JqM".into(),
                refresh_token: None,
                expires_at: None,
            },
        );
        let mut req = test_request(http::Method::GET, "https://a.example/resource");
        auth.authorize(&mut req).await.unwrap();
        assert_eq!(req.headers["authorization"], "Bearer mF_9.B5f-4.1JqM");
    }

    #[tokio::test]
    async fn refreshes_before_expiry_once_and_persists_the_rotated_pair() {
        let calls = Arc::new(AtomicU32::new(0));
        let url = token_server(calls.clone()).await;
        let saved = Arc::new(Saved(Mutex::new(Vec::new())));
        let client = OAuth2Client::new("app", "app-secret".into(), &url, true).unwrap();
        let auth = Arc::new(
            OAuth2Bearer::new(
                client,
                TokenSet {
                    access_token: "at-0".into(),
                    refresh_token: Some("rt-0".into()),
                    expires_at: Some(Utc::now() + chrono::Duration::seconds(10)),
                },
            )
            .in_header(HeaderName::from_static("x-shopify-access-token"))
            .with_sink(saved.clone()),
        );
        // Ten requests at once: the token is about to expire, exactly one refresh happens.
        let mut tasks = Vec::new();
        for _ in 0..10 {
            let auth = auth.clone();
            tasks.push(tokio::spawn(async move {
                let mut req = test_request(http::Method::GET, "https://a.example/");
                auth.authorize(&mut req).await.unwrap();
                req.headers["x-shopify-access-token"]
                    .to_str()
                    .unwrap()
                    .to_owned()
            }));
        }
        for t in tasks {
            assert_eq!(t.await.unwrap(), "at-1");
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        {
            let saved = saved.0.lock().unwrap();
            assert_eq!(saved.len(), 1);
            assert_eq!(saved[0].refresh_token, Some(Secret::new("rt-1")));
        }

        // After a 401 the rotated refresh token is the one used.
        assert!(auth.refresh_after_unauthorized().await.unwrap());
        assert_eq!(auth.tokens().access_token, Secret::new("at-2"));
    }

    #[tokio::test]
    async fn refused_refresh_is_an_auth_error() {
        let calls = Arc::new(AtomicU32::new(0));
        let url = token_server(calls).await;
        let client = OAuth2Client::new("app", "wrong".into(), &url, true).unwrap();
        let auth = OAuth2Bearer::new(
            client,
            TokenSet {
                access_token: "at-0".into(),
                refresh_token: Some("rt-0".into()),
                expires_at: Some(Utc::now()),
            },
        );
        let mut req = test_request(http::Method::GET, "https://a.example/");
        let err = auth.authorize(&mut req).await.unwrap_err();
        assert!(matches!(err, Error::Auth { .. }), "{err:?}");
    }

    #[tokio::test]
    async fn json_body_sends_the_refresh_as_json_with_basic_auth() {
        let app = axum::Router::new().route(
            "/token",
            post(|headers: http::HeaderMap, body: String| async move {
                let json: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
                let basic = headers
                    .get("authorization")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_owned();
                let agent = headers.get("user-agent").is_some();
                let ok = json["grant_type"] == "refresh_token"
                    && json["refresh_token"] == "rt-0"
                    && basic.starts_with("Basic ")
                    && agent;
                let status = if ok {
                    http::StatusCode::OK
                } else {
                    http::StatusCode::BAD_REQUEST
                };
                (
                    status,
                    axum::Json(serde_json::json!({
                        "access_token": "at-1", "expires_in": 1800, "refresh_token": "rt-1"
                    })),
                )
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        let client = OAuth2Client::new("app", "s".into(), &format!("http://{addr}/token"), false)
            .unwrap()
            .json_body();
        let tokens = client.refresh(&Secret::new("rt-0")).await.unwrap();
        assert_eq!(tokens.access_token, Secret::new("at-1"));
        assert_eq!(tokens.refresh_token, Some(Secret::new("rt-1")));
    }

    #[tokio::test]
    async fn refresh_fields_go_into_the_refresh_form() {
        let app = axum::Router::new().route(
            "/token",
            post(|body: String| async move {
                let form: std::collections::HashMap<String, String> =
                    url::form_urlencoded::parse(body.as_bytes())
                        .into_owned()
                        .collect();
                let ok = form.get("grant_type").map(String::as_str) == Some("refresh_token")
                    && form.get("scope").map(String::as_str) == Some("a b");
                let status = if ok {
                    http::StatusCode::OK
                } else {
                    http::StatusCode::BAD_REQUEST
                };
                (
                    status,
                    axum::Json(serde_json::json!({"access_token": "at-1", "expires_in": 7200})),
                )
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        let url = format!("http://{addr}/token");
        let plain = OAuth2Client::new("app", "s".into(), &url, false).unwrap();
        assert!(plain.refresh(&Secret::new("rt")).await.is_err());
        let scoped = plain.refresh_fields(&[("scope", "a b")]);
        let tokens = scoped.refresh(&Secret::new("rt")).await.unwrap();
        assert_eq!(tokens.access_token, Secret::new("at-1"));
        assert_eq!(tokens.refresh_token, None, "eBay does not rotate it");
    }

    /// A client-credentials endpoint reading JSON (Wix's `POST /oauth2/token`).
    async fn minting_server(calls: Arc<AtomicU32>) -> String {
        let app = axum::Router::new().route(
            "/oauth2/token",
            post(move |body: axum::Json<serde_json::Value>| {
                let calls = calls.clone();
                async move {
                    let b = &body.0;
                    let ok = b["grant_type"] == "client_credentials"
                        && b["client_id"] == "app-id"
                        && b["client_secret"] == "app-secret"
                        && b["instance_id"] == "instance-1";
                    if !ok {
                        return (
                            http::StatusCode::BAD_REQUEST,
                            axum::Json(serde_json::json!({"message": "invalid client"})),
                        );
                    }
                    let n = calls.fetch_add(1, Ordering::SeqCst) + 1;
                    (
                        http::StatusCode::OK,
                        axum::Json(serde_json::json!({
                            "access_token": format!("minted-{n}"), "token_type": "Bearer", "expires_in": 14400
                        })),
                    )
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        format!("http://{addr}/oauth2/token")
    }

    #[tokio::test]
    async fn client_credentials_mint_a_token_up_front_and_after_a_401() {
        let calls = Arc::new(AtomicU32::new(0));
        let url = minting_server(calls.clone()).await;
        let client = OAuth2Client::new("app-id", "app-secret".into(), &url, true)
            .unwrap()
            .json_body()
            .client_credentials(&[("instance_id", "instance-1")]);
        let empty = TokenSet {
            access_token: Secret::new(""),
            refresh_token: None,
            expires_at: None,
        };
        let auth = OAuth2Bearer::new(client, empty).in_header(http::header::AUTHORIZATION);
        let mut req = test_request(http::Method::GET, "https://a.example/");
        auth.authorize(&mut req).await.unwrap();
        // The raw token, without "Bearer".
        assert_eq!(req.headers["authorization"], "minted-1");
        let mut req = test_request(http::Method::GET, "https://a.example/");
        auth.authorize(&mut req).await.unwrap();
        assert_eq!(calls.load(Ordering::SeqCst), 1, "a live token is reused");
        assert!(auth.refresh_after_unauthorized().await.unwrap());
        assert_eq!(auth.tokens().access_token, Secret::new("minted-2"));

        let wrong = OAuth2Client::new("app-id", "wrong".into(), &url, true)
            .unwrap()
            .json_body()
            .client_credentials(&[("instance_id", "instance-1")]);
        let err = wrong.mint().await.unwrap_err();
        assert!(matches!(err, Error::Auth { .. }), "{err:?}");
        let refreshing = OAuth2Client::new("app-id", "s".into(), &url, true).unwrap();
        assert!(refreshing.mint().await.is_err());
    }

    /// A PKCE public client's token endpoint: `client_id` without a secret; an
    /// authorization code with its verifier, then a rotating refresh token.
    async fn public_token_server(
        seen: Arc<Mutex<Vec<std::collections::HashMap<String, String>>>>,
    ) -> String {
        let app = axum::Router::new().route(
            "/token",
            post(move |body: String| {
                let seen = seen.clone();
                async move {
                    let form: std::collections::HashMap<String, String> =
                        url::form_urlencoded::parse(body.as_bytes())
                            .into_owned()
                            .collect();
                    seen.lock().unwrap().push(form.clone());
                    let get = |k: &str| form.get(k).map(String::as_str);
                    let ok = get("client_id") == Some("keystring")
                        && !form.contains_key("client_secret")
                        && match get("grant_type") {
                            Some("authorization_code") => {
                                get("code") == Some("code-1")
                                    && get("code_verifier").map(pkce_challenge).as_deref()
                                        == Some("VcPIvTMbrpXZg-WVgx1uDziUMIwqBTbflZyU6vXo2BI")
                                    && get("redirect_uri") == Some("https://app.example/cb")
                            }
                            Some("refresh_token") => get("refresh_token") == Some("rt-1"),
                            _ => false,
                        };
                    if !ok {
                        // Echoes the code, as some servers do: the client must hide it.
                        let given = get("code").unwrap_or_default().to_owned();
                        return (
                            http::StatusCode::BAD_REQUEST,
                            axum::Json(serde_json::json!({"error_description": format!("{given} is not valid")})),
                        );
                    }
                    let n = if get("grant_type") == Some("refresh_token") { 2 } else { 1 };
                    (
                        http::StatusCode::OK,
                        axum::Json(serde_json::json!({
                            "access_token": format!("12345.at-{n}"), "token_type": "Bearer",
                            "expires_in": 3600, "refresh_token": format!("rt-{n}")
                        })),
                    )
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        format!("http://{addr}/token")
    }

    #[test]
    fn pkce_challenge_is_base64url_sha256() {
        // Computed independently with Python's hashlib and base64.urlsafe_b64encode.
        assert_eq!(
            pkce_challenge("dBjftJeZ4CVP-mJ92K9qSYm9s4ZBbpHVHDRR0jKStv0"),
            "VcPIvTMbrpXZg-WVgx1uDziUMIwqBTbflZyU6vXo2BI"
        );
    }

    #[tokio::test]
    async fn a_public_client_exchanges_a_code_then_refreshes_without_a_secret() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let url = public_token_server(seen.clone()).await;
        let client = OAuth2Client::public("keystring", &url).unwrap();
        let verifier = Secret::new("dBjftJeZ4CVP-mJ92K9qSYm9s4ZBbpHVHDRR0jKStv0");
        let first = client
            .exchange_code(&"code-1".into(), &verifier, "https://app.example/cb")
            .await
            .unwrap();
        assert_eq!(first.access_token, Secret::new("12345.at-1"));
        assert!(first.expires_at.is_some());
        let next = client
            .refresh(first.refresh_token.as_ref().unwrap())
            .await
            .unwrap();
        assert_eq!(next.refresh_token, Some(Secret::new("rt-2")));
        // A used code is refused, and the error does not repeat it.
        let err = client
            .exchange_code(&"code-1x".into(), &verifier, "https://app.example/cb")
            .await
            .unwrap_err();
        assert!(matches!(err, Error::Auth { .. }), "{err:?}");
        assert!(!err.to_string().contains("code-1x"), "{err}");
        assert!(
            seen.lock()
                .unwrap()
                .iter()
                .all(|f| !f.contains_key("client_secret"))
        );
        let auth = OAuth2Bearer::new(client, next);
        assert!(
            auth.secrets().iter().all(|s| !s.is_empty()),
            "no empty secret to redact"
        );
    }
}
