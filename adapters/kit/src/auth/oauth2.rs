//! OAuth 2 bearer tokens with refresh: the token endpoint's client (RFC 6749 §6) and
//! bearer auth over the kit's [`RotatingTokens`] (single-flight refresh, the rotated
//! pair persisted before it is used).

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
        })
    }

    /// Exchanges a refresh token for a new token set. Not retried: a platform that
    /// rotates refresh tokens keeps the old one valid until the new access token is
    /// used, so the next attempt (a later request) recovers a lost answer.
    pub async fn refresh(&self, refresh_token: &Secret) -> Result<TokenSet> {
        crate::net::check_url(&self.token_url)?;
        let mut form = vec![
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token.expose()),
        ];
        let mut request = self
            .http
            .post(self.token_url.clone())
            .header(http::header::ACCEPT, "application/json");
        if self.credentials_in_body {
            form.push(("client_id", self.client_id.as_str()));
            form.push(("client_secret", self.secret.expose()));
        } else {
            request = request.basic_auth(&self.client_id, Some(self.secret.expose()));
        }
        let response = request
            .form(&form)
            .send()
            .await
            .map_err(|e| Error::Transport {
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
            for secret in [&self.secret, refresh_token] {
                message = message.replace(secret.expose(), "**REDACTED**");
            }
            return Err(Error::auth(format!(
                "token refresh refused ({}): {message}",
                status.as_u16()
            )));
        }
        let answer: TokenAnswer = serde_json::from_str(&text)
            .map_err(|_| Error::decode("$", "the token endpoint's answer has no access_token"))?;
        Ok(TokenSet {
            access_token: Secret::new(answer.access_token),
            refresh_token: answer.refresh_token.map(Secret::new),
            expires_at: answer
                .expires_in
                .and_then(chrono::Duration::try_seconds)
                .and_then(|d| Utc::now().checked_add_signed(d)),
        })
    }
}

#[async_trait]
impl Refresh for OAuth2Client {
    async fn refresh(&self, refresh_token: &Secret) -> Result<TokenSet> {
        OAuth2Client::refresh(self, refresh_token).await
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
}
