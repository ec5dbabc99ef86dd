//! Requests to one Magento store: the REST roots (`/rest/{store_code}/` for reads,
//! `/rest/{write_store_code}/` for product writes), the transport with the store's
//! auth (an admin token from `POST /rest/V1/integration/admin/token` kept by the kit's
//! [`LoginToken`], an integration bearer token, or OAuth 1.0a HMAC-SHA256 signing),
//! the kit's adaptive rate for hosts and CDNs that throttle without rate headers, the
//! response classifier, and the store facts products do not repeat
//! (`/V1/store/storeConfigs`: base currency and weight unit).
//!
//! Magento's error bodies are `{"message": "...%1...", "parameters": [...]}` (or
//! named `%field` placeholders with an object): [`message`] fills them in.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use polycart_kit::auth::{
    Auth, HeaderToken, Login, LoginToken, OAuth1, OAuth1Placement, OAuth1SignatureMethod,
};
use polycart_kit::connector::AdapterContext;
use polycart_kit::error::{Error, Result, sanitise};
use polycart_kit::model::Currency;
use polycart_kit::transport::{
    AdaptiveRate, Classify, Request, Response, RetryPolicy, Transport, Verdict,
    html::retry_unusable_success, retry_after,
};
use polycart_kit::{ApiPath, Secret};
use serde::Deserialize;
use tokio::sync::OnceCell;
use url::Url;

use crate::config::{AuthMode, MagentoConfig};
use crate::mapping::{Context, PLATFORM};

/// A Magento error body's message with its placeholders filled in from `parameters`
/// (`%1`, `%2` from an array; `%name` from an object), sanitised; `None` when the body
/// is not such JSON.
pub fn message(body: &str) -> Option<String> {
    #[derive(Deserialize)]
    struct Body {
        message: String,
        #[serde(default)]
        parameters: serde_json::Value,
    }
    let b: Body = serde_json::from_str(body.trim()).ok()?;
    let show = |v: &serde_json::Value| match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let mut text = b.message;
    match &b.parameters {
        serde_json::Value::Array(values) => {
            // `%10` before `%1`.
            for (i, v) in values.iter().enumerate().rev() {
                text = text.replace(&format!("%{}", i + 1), &show(v));
            }
        }
        serde_json::Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort_by_key(|k| std::cmp::Reverse(k.len()));
            for k in keys {
                text = text.replace(&format!("%{k}"), &show(&map[k]));
            }
        }
        _ => {}
    }
    let clean = sanitise(&text, 300);
    (!clean.is_empty()).then_some(clean)
}

fn message_of(response: &Response) -> String {
    message(&response.text_lossy()).unwrap_or_else(|| response.platform_message())
}

/// What Magento's answers mean.
#[derive(Debug, Clone, Copy, Default)]
pub struct MagentoClassifier;

impl Classify for MagentoClassifier {
    fn classify(&self, response: &Response) -> Verdict {
        let status = response.status.as_u16();
        match status {
            200..=299 => retry_unusable_success(response).unwrap_or(Verdict::Done),
            // Fastly, a WAF or the host in front of the store.
            429 => Verdict::Throttled {
                after: retry_after(&response.headers),
            },
            503 if response.headers.contains_key(http::header::RETRY_AFTER) => Verdict::Throttled {
                after: retry_after(&response.headers),
            },
            408 | 500..=599 => Verdict::Retry,
            401 | 403 => Verdict::Fail(Error::auth(format!("{status}: {}", message_of(response)))),
            404 => Verdict::Fail(Error::not_found(format!(
                "{} ({})",
                response.url.path(),
                message_of(response)
            ))),
            400 | 422 => Verdict::Fail(Error::invalid(message_of(response))),
            _ => Verdict::Fail(Error::Platform {
                status,
                body: message_of(response),
            }),
        }
    }

    fn final_error(&self, response: &Response, verdict: &Verdict) -> Error {
        match verdict {
            Verdict::Throttled { after } => Error::RateLimited {
                retry_after: *after,
            },
            _ => Error::Platform {
                status: response.status.as_u16(),
                body: message_of(response),
            },
        }
    }
}

/// Logs in as an admin: `POST /rest/V1/integration/admin/token` answers the token as a
/// JSON string. Admins with two-factor authentication cannot log in this way.
pub struct AdminLogin {
    url: Url,
    username: Secret,
    password: Secret,
    http: reqwest::Client,
}

impl AdminLogin {
    pub fn new(site: &Url, username: Secret, password: Secret, timeout: Duration) -> Result<Self> {
        let url = ApiPath::new("rest")
            .lit("V1")
            .lit("integration")
            .lit("admin")
            .lit("token")
            .under(site);
        let http = polycart_kit::net::client_builder()
            .timeout(timeout)
            .build()
            .map_err(|e| Error::Transport {
                message: e.to_string(),
                timeout: false,
            })?;
        Ok(Self {
            url,
            username,
            password,
            http,
        })
    }
}

/// The words for a refused admin login.
fn login_refused(status: u16, body: &str) -> Error {
    let said = message(body).unwrap_or_else(|| "(no message)".to_owned());
    let lower = said.to_ascii_lowercase();
    if lower.contains("2fa") || lower.contains("two-factor") || lower.contains("two factor") {
        return Error::auth(format!(
            "the admin login needs two-factor authentication ({said}): create an integration (System > Extensions > Integrations) and connect with its access token, or with its four OAuth 1.0a credentials"
        ));
    }
    Error::auth(format!("admin login refused ({status}): {said}"))
}

#[async_trait]
impl Login for AdminLogin {
    async fn login(&self) -> Result<Secret> {
        polycart_kit::net::check_url(&self.url)?;
        let body = serde_json::json!({
            "username": self.username.expose(),
            "password": self.password.expose(),
        });
        let response = self
            .http
            .post(self.url.clone())
            .json(&body)
            .send()
            .await
            .map_err(|e| Error::Transport {
                timeout: e.is_timeout(),
                message: format!(
                    "admin login failed: {}",
                    polycart_kit::transport::describe(e)
                ),
            })?;
        let status = response.status();
        let text = response.text().await.map_err(|e| Error::Transport {
            timeout: e.is_timeout(),
            message: "admin login: the answer was cut off".to_owned(),
        })?;
        if !status.is_success() {
            let mut e = login_refused(status.as_u16(), &text).to_string();
            for s in [&self.username, &self.password] {
                e = e.replace(s.expose(), "**REDACTED**");
            }
            return Err(Error::auth(
                e.trim_start_matches("authentication failed: ").to_owned(),
            ));
        }
        let token: String = serde_json::from_str(text.trim())
            .map_err(|_| Error::decode("$", "the admin token endpoint did not answer a string"))?;
        if token.is_empty() {
            return Err(Error::auth(
                "the admin token endpoint answered an empty token",
            ));
        }
        Ok(Secret::new(token))
    }

    fn secrets(&self) -> Vec<Secret> {
        vec![self.username.clone(), self.password.clone()]
    }
}

/// A store without credentials: every request is refused here, saying which are needed.
#[derive(Debug, Clone, Copy)]
struct MissingCredentials;

#[async_trait]
impl Auth for MissingCredentials {
    async fn authorize(&self, _: &mut polycart_kit::auth::PreparedRequest) -> Result<()> {
        Err(Error::auth(crate::config::MISSING_CREDENTIALS))
    }

    fn secrets(&self) -> Vec<Secret> {
        Vec::new()
    }
}

/// The store's auth strategy.
pub fn auth_for(cfg: &MagentoConfig) -> Result<Arc<dyn Auth>> {
    Ok(match &cfg.auth {
        AuthMode::Missing => Arc::new(MissingCredentials),
        AuthMode::Admin { username, password } => {
            let login =
                AdminLogin::new(&cfg.site, username.clone(), password.clone(), cfg.timeout)?;
            Arc::new(LoginToken::new(
                Arc::new(login),
                cfg.admin_token_lifetime,
                Duration::from_secs(300),
            ))
        }
        AuthMode::Bearer { token } => Arc::new(HeaderToken::bearer(token.clone())),
        AuthMode::OAuth1 {
            consumer_key,
            consumer_secret,
            token,
            token_secret,
        } => Arc::new(OAuth1 {
            consumer_key: consumer_key.clone(),
            consumer_secret: consumer_secret.clone(),
            token: Some((token.clone(), token_secret.clone())),
            method: OAuth1SignatureMethod::HmacSha256,
            placement: OAuth1Placement::Header,
            include_version: true,
        }),
    })
}

/// One store's HTTP side.
pub struct Client {
    pub(crate) cfg: MagentoConfig,
    transport: Transport,
    pub(crate) rate: Arc<AdaptiveRate>,
    read_root: Url,
    write_root: Url,
    all_root: Url,
    context: OnceCell<Context>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("store", &self.cfg.store_id)
            .field("root", &self.read_root.as_str())
            .finish_non_exhaustive()
    }
}

/// `{site}/rest/{code}/`.
fn root(site: &Url, code: &str) -> Result<Url> {
    let mut url = ApiPath::new("rest")
        .id(polycart_kit::IdGrammar::Token, code)?
        .under(site);
    let path = format!("{}/", url.path().trim_end_matches('/'));
    url.set_path(&path);
    Ok(url)
}

impl Client {
    pub fn new(cfg: MagentoConfig, ctx: &AdapterContext) -> Result<Self> {
        let rate = Arc::new(AdaptiveRate::new(cfg.budget, cfg.min_rate));
        let mut retry = RetryPolicy::default();
        if let Some(n) = cfg.max_retries {
            retry.max_retries = n;
        }
        let transport = Transport::builder(cfg.store_id.clone(), PLATFORM)
            .auth(auth_for(&cfg)?)
            .budget(cfg.budget)
            .budget_reader(rate.clone())
            .classifier(Arc::new(MagentoClassifier))
            .retry(retry)
            .timeout(cfg.timeout)
            .metrics(ctx.metrics.clone())
            .build();
        Ok(Self {
            read_root: root(&cfg.site, &cfg.store_code)?,
            all_root: root(&cfg.site, "all")?,
            write_root: root(&cfg.site, &cfg.write_store_code)?,
            cfg,
            transport,
            rate,
            context: OnceCell::new(),
        })
    }

    /// The adaptive limiter's rate now (requests a second), for benchmarks.
    pub fn rate(&self) -> f64 {
        self.rate.rate()
    }

    pub fn transport(&self) -> &Transport {
        &self.transport
    }

    /// The REST root reads go through (`{site}/rest/{store_code}/`).
    pub fn read_root(&self) -> &Url {
        &self.read_root
    }

    /// `{site}/rest/all/`, where store-wide settings (webhook subscriptions) live.
    pub fn all_root(&self) -> &Url {
        &self.all_root
    }

    /// The REST root product writes go through.
    pub fn write_root(&self) -> &Url {
        &self.write_root
    }

    pub async fn send(&self, request: Request) -> Result<Response> {
        self.transport.send(request).await
    }

    /// GET `path` under the read root with `query`.
    pub async fn get(&self, path: ApiPath, query: &[(String, String)]) -> Result<Response> {
        self.send(Request::get(path.under(&self.read_root)).query(query.iter().cloned()))
            .await
    }

    /// The mapping context: the base currency and weight unit from the settings, else
    /// from `/V1/store/storeConfigs` (read once), and the media URL.
    pub async fn context(&self) -> Result<Context> {
        self.context
            .get_or_try_init(|| async {
                let mut currency = self.cfg.currency.clone();
                let mut weight = self
                    .cfg
                    .weight_unit
                    .as_deref()
                    .and_then(polycart_kit::connector::weight_unit)
                    .map(str::to_owned);
                let mut media = None;
                if currency.is_none() || weight.is_none() {
                    #[derive(Deserialize)]
                    struct StoreConfig {
                        code: Option<String>,
                        base_currency_code: Option<String>,
                        weight_unit: Option<String>,
                        base_media_url: Option<String>,
                    }
                    let r = self
                        .get(ApiPath::new("V1").lit("store").lit("storeConfigs"), &[])
                        .await?;
                    let configs: Vec<StoreConfig> = r.json()?;
                    let mine = configs
                        .iter()
                        .find(|c| c.code.as_deref() == Some(self.cfg.store_code.as_str()))
                        .or(configs.first());
                    if let Some(c) = mine {
                        if currency.is_none() {
                            currency = c
                                .base_currency_code
                                .as_deref()
                                .map(|c| {
                                    Currency::parse(c).map_err(|e| {
                                        Error::decode("$[0].base_currency_code", e.to_string())
                                    })
                                })
                                .transpose()?;
                        }
                        if weight.is_none() {
                            weight = c
                                .weight_unit
                                .as_deref()
                                .and_then(polycart_kit::connector::weight_unit)
                                .map(str::to_owned);
                        }
                        media = c
                            .base_media_url
                            .as_deref()
                            .map(|m| format!("{}/catalog/product", m.trim_end_matches('/')));
                    }
                }
                let media_base = media.or_else(|| {
                    Some(format!(
                        "{}/media/catalog/product",
                        self.cfg.site.as_str().trim_end_matches('/')
                    ))
                });
                Ok(Context {
                    currency,
                    weight_unit: weight,
                    media_base,
                })
            })
            .await
            .cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_filled_from_parameters() {
        assert_eq!(
            message(r#"{"message":"The \"%1\" product wasn't found.","parameters":["MS-Champ"]}"#)
                .as_deref(),
            Some("The \"MS-Champ\" product wasn't found.")
        );
        assert_eq!(
            message(
                r#"{"message":"The consumer isn't authorized to access %resources.","parameters":{"resources":"Magento_Sales::actions_view"}}"#
            )
            .as_deref(),
            Some("The consumer isn't authorized to access Magento_Sales::actions_view.")
        );
        assert_eq!(message("<html>"), None);
    }

    #[test]
    fn a_2fa_refusal_says_what_to_do_instead() {
        let e = login_refused(
            401,
            r#"{"message":"Please use the 2fa provider-specific endpoints to obtain a token."}"#,
        );
        assert!(e.to_string().contains("integration"), "{e}");
        let plain = login_refused(401, r#"{"message":"The account sign-in was incorrect"}"#);
        assert!(
            plain.to_string().contains("sign-in was incorrect"),
            "{plain}"
        );
    }

    #[test]
    fn roots_carry_the_store_code() {
        let site: Url = "https://shop.example/m".parse().unwrap();
        assert_eq!(
            root(&site, "default").unwrap().as_str(),
            "https://shop.example/m/rest/default/"
        );
        assert!(root(&site, "../x").is_err());
    }
}
