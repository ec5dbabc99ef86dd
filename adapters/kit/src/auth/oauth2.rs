//! OAuth 2 bearer tokens with refresh (the `oauth2` crate): proactive refresh shortly
//! before expiry, refresh after a 401, and rotation-safe persistence.
//!
//! Some platforms rotate the refresh token on every use (Shopify's expiring offline
//! tokens): a second refresh with the old token fails and locks the store out. So a
//! store refreshes once at a time (a single-flight lock; whoever waited finds the new
//! token and does not refresh again), and the new pair is handed to a [`TokenSink`]
//! that persists it atomically before it is used.
//!
//! Some platforms mint tokens instead (the client-credentials grant: Wix's
//! `POST /oauth2/token` with the app's id, secret and the site's `instance_id`, answered
//! in JSON): [`OAuth2Client::client_credentials`] makes the same bearer mint a new
//! token before the old one lapses and after a 401, and [`OAuth2Client::json_body`]
//! sends the token request as a JSON object rather than a form.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use http::{HeaderName, HeaderValue};

use super::{Auth, PreparedRequest};
use crate::error::{Error, Result};
use crate::secret::Secret;

/// An access token, its refresh token and when it expires.
#[derive(Debug, Clone, PartialEq)]
pub struct TokenSet {
    pub access_token: Secret,
    pub refresh_token: Option<Secret>,
    pub expires_at: Option<DateTime<Utc>>,
}

/// Persists a refreshed token pair (both parts in one write) before it is used.
#[async_trait]
pub trait TokenSink: Send + Sync {
    async fn store(&self, tokens: &TokenSet) -> Result<()>;
}

/// The app's OAuth client: id, secret and token endpoint. The token endpoint is called
/// directly (a form POST, RFC 6749 §6) and its answer read tolerantly: `token_type`
/// may be missing (Shopify, several marketplaces send none) and `expires_in` may be a
/// number or a numeric string.
#[derive(Debug, Clone)]
pub struct OAuth2Client {
    client_id: String,
    secret: Secret,
    token_url: url::Url,
    credentials_in_body: bool,
    http: reqwest::Client,
    /// The token request is a JSON object (Wix), not a form.
    json: bool,
    /// Tokens are minted with `grant_type=client_credentials` and these extra fields
    /// (Wix's `instance_id`), not exchanged for a refresh token.
    client_credentials: Option<Vec<(String, String)>>,
    /// How long a token lives when the answer has no `expires_in` (Wix's legacy
    /// refreshed tokens last 5 minutes and say nothing).
    assumed_lifetime: Option<Duration>,
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
        // No redirects on the token endpoint (against SSRF), the network policy applies.
        let http = crate::net::client_builder()
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
            http,
            json: false,
            client_credentials: None,
            assumed_lifetime: None,
        })
    }

    /// Sends the token request as a JSON object (`Content-Type: application/json`)
    /// rather than a form.
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
        self.token_request(fields, None).await
    }

    /// Exchanges a refresh token for a new token set. Not retried: a platform that
    /// rotates refresh tokens keeps the old one valid until the new access token is
    /// used, so the next attempt (a later request) recovers a lost answer.
    pub async fn refresh(&self, refresh_token: &Secret) -> Result<TokenSet> {
        let fields = vec![
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token.expose()),
        ];
        self.token_request(fields, Some(refresh_token)).await
    }

    /// Posts `fields` (and the client's credentials) to the token endpoint and reads
    /// the answer; `refresh_token` is redacted from any error with the client secret.
    async fn token_request(
        &self,
        mut fields: Vec<(&str, &str)>,
        refresh_token: Option<&Secret>,
    ) -> Result<TokenSet> {
        crate::net::check_url(&self.token_url)?;
        let mut request = self
            .http
            .post(self.token_url.clone())
            .header(http::header::ACCEPT, "application/json");
        if self.credentials_in_body {
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
        let response = request.send().await.map_err(|e| Error::Transport {
            timeout: e.is_timeout(),
            message: format!("token refresh failed: {}", crate::transport::describe(e)),
        })?;
        let status = response.status();
        let text = response.text().await.map_err(|e| Error::Transport {
            timeout: e.is_timeout(),
            message: format!("token refresh failed: {}", crate::transport::describe(e)),
        })?;
        if !status.is_success() {
            let mut message =
                crate::error::platform_message(&text).unwrap_or_else(|| "(no message)".to_owned());
            for secret in std::iter::once(&self.secret).chain(refresh_token) {
                message = message.replace(secret.expose(), "**REDACTED**");
            }
            return Err(Error::auth(format!(
                "token refresh refused ({}): {message}",
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

/// Bearer auth that keeps its token fresh.
pub struct OAuth2Bearer {
    client: OAuth2Client,
    tokens: RwLock<TokenSet>,
    refresh_lock: tokio::sync::Mutex<()>,
    /// Refresh this long before the token expires.
    skew: Duration,
    sink: Option<Arc<dyn TokenSink>>,
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
            client,
            tokens: RwLock::new(tokens),
            refresh_lock: tokio::sync::Mutex::new(()),
            skew: Duration::from_secs(60),
            sink: None,
            header: http::header::AUTHORIZATION,
            prefix: "Bearer ",
        }
    }

    /// Sends the token in another header, without a prefix (`X-Shopify-Access-Token`).
    pub fn in_header(mut self, header: HeaderName) -> Self {
        self.header = header;
        self.prefix = "";
        self
    }

    pub fn with_sink(mut self, sink: Arc<dyn TokenSink>) -> Self {
        self.sink = Some(sink);
        self
    }

    pub fn with_skew(mut self, skew: Duration) -> Self {
        self.skew = skew;
        self
    }

    /// The token set in use now.
    pub fn tokens(&self) -> TokenSet {
        self.tokens
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Whether the token must be renewed before use: it can be (a refresh token, or a
    /// client that mints) and it is missing or about to lapse.
    fn expiring(&self, tokens: &TokenSet) -> bool {
        let skew = chrono::Duration::from_std(self.skew).unwrap_or_default();
        (tokens.refresh_token.is_some() || self.client.mints())
            && (tokens.access_token.is_empty()
                || tokens.expires_at.is_some_and(|at| at - skew <= Utc::now()))
    }

    /// Refreshes unless someone else replaced `seen` while we waited for the lock.
    async fn refresh_from(&self, seen: &Secret) -> Result<bool> {
        let _guard = self.refresh_lock.lock().await;
        let current = self.tokens();
        if &current.access_token != seen {
            return Ok(true);
        }
        let fresh = if self.client.mints() {
            self.client.mint().await?
        } else {
            let Some(refresh_token) = current.refresh_token.clone() else {
                return Ok(false);
            };
            let mut fresh = self.client.refresh(&refresh_token).await?;
            if fresh.refresh_token.is_none() {
                fresh.refresh_token = Some(refresh_token);
            }
            fresh
        };
        if let Some(sink) = &self.sink {
            sink.store(&fresh).await?;
        }
        *self.tokens.write().unwrap_or_else(|p| p.into_inner()) = fresh;
        tracing::info!("oauth token refreshed");
        Ok(true)
    }
}

#[async_trait]
impl Auth for OAuth2Bearer {
    async fn authorize(&self, request: &mut PreparedRequest) -> Result<()> {
        let tokens = self.tokens();
        if self.expiring(&tokens) {
            self.refresh_from(&tokens.access_token).await?;
        }
        let tokens = self.tokens();
        let mut value =
            HeaderValue::from_str(&format!("{}{}", self.prefix, tokens.access_token.expose()))
                .map_err(|_| Error::auth("the access token cannot be sent in a header"))?;
        value.set_sensitive(true);
        request.headers.insert(self.header.clone(), value);
        Ok(())
    }

    async fn refresh_after_unauthorized(&self) -> Result<bool> {
        let seen = self.tokens().access_token;
        self.refresh_from(&seen).await
    }

    fn secrets(&self) -> Vec<Secret> {
        let t = self.tokens();
        let mut s = vec![t.access_token, self.client.secret.clone()];
        s.extend(t.refresh_token);
        s
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
}
