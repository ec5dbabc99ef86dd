//! Requests to one WooCommerce store: URL form (pretty permalinks or `rest_route`,
//! detected once), auth (basic, OAuth 1.0a, query keys, with the fallback from basic
//! to query keys when a host strips the `Authorization` header), the classification of
//! what self-hosted WordPress sites answer (login pages, PHP notices, HTML error pages,
//! a missing plugin), and adaptive back-off for hosts that throttle.
//!
//! A PHP notice or warning printed before a valid JSON body is stripped (with a
//! warning in the log): stores with `display_errors` on are common and the JSON after
//! the notice is intact. A body that is not valid JSON after the notice is refused.

use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU8, AtomicU32, Ordering};

use async_trait::async_trait;
use http::{HeaderMap, Method, StatusCode};
use polycart_kit::Secret;
use polycart_kit::auth::{Auth, Basic, OAuth1, OAuth1SignatureMethod, PreparedRequest, QueryKeys};
use polycart_kit::connector::AdapterContext;
use polycart_kit::error::{Error, Result, excerpt};
use polycart_kit::transport::{
    Budget, BudgetObservation, BudgetReader, Classify, Request, Response, RetryPolicy, Transport,
    Verdict, classify_status, retry_after,
};
use serde_json::value::RawValue;
use tokio::sync::OnceCell;
use url::Url;

use crate::config::{AuthMode, UrlForm, WooConfig};
use crate::mapping::{Context, PLATFORM};

/// What a badly behaving WordPress site answered instead of the API.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BadStore {
    #[error(
        "the site answered with its WordPress login page instead of the REST API (a security plugin or the host blocks /wp-json)"
    )]
    LoginPage,
    #[error("the site redirects the REST API to the WordPress login ({0})")]
    LoginRedirect(String),
    #[error("the site redirects the REST API to {0}; set base_url to the final site URL")]
    Redirect(String),
    #[error(
        "no WooCommerce REST API at this site: the WooCommerce plugin is missing or inactive (rest_no_route for wc/v3)"
    )]
    PluginMissing,
    #[error("the site answered an HTML page with status {status}, not JSON: {title}")]
    HtmlPage { status: u16, title: String },
    #[error("PHP printed an error and no valid JSON followed: {0}")]
    PhpError(String),
}

impl BadStore {
    /// The kit error a caller acts on: login problems (and a host's HTML 401/403, such
    /// as HTTP auth on a staging site) are auth errors, a missing plugin
    /// or an HTML 404 is not-found, the rest are platform errors.
    pub fn into_error(self, status: u16) -> Error {
        match &self {
            BadStore::LoginPage
            | BadStore::LoginRedirect(_)
            | BadStore::HtmlPage {
                status: 401 | 403, ..
            } => Error::auth(self.to_string()),
            BadStore::PluginMissing => Error::not_found(self.to_string()),
            BadStore::HtmlPage { status: 404, .. } => Error::not_found(self.to_string()),
            BadStore::Redirect(_) => Error::invalid(self.to_string()),
            BadStore::HtmlPage { .. } | BadStore::PhpError(_) => Error::Platform {
                status,
                body: self.to_string(),
            },
        }
    }
}

fn looks_html(text: &str) -> bool {
    let t = text
        .trim_start()
        .get(..200)
        .unwrap_or(text.trim_start())
        .to_ascii_lowercase();
    t.starts_with("<!doctype html")
        || t.starts_with("<html")
        || t.starts_with("<head")
        || t.starts_with("<!doctype")
}

fn is_login_page(text: &str) -> bool {
    text.contains("wp-login.php")
        || text.contains("id=\"loginform\"")
        || text.contains("name=\"loginform\"")
}

fn html_title(text: &str) -> String {
    let lower = text.to_ascii_lowercase();
    match (lower.find("<title>"), lower.find("</title>")) {
        (Some(a), Some(b)) if b > a + 7 => excerpt(&text[a + 7..b], 80),
        _ => excerpt(text, 80),
    }
}

const PHP_MARKERS: &[&str] = &[
    "Notice",
    "Warning",
    "Deprecated",
    "Fatal error",
    "Parse error",
    "Strict Standards",
];

/// The JSON document in a body, with a PHP notice or warning before it stripped.
/// `Ok(None)`: not JSON at all; `Err`: PHP output without valid JSON after it.
pub fn json_text(text: &str) -> Result<Option<&str>, BadStore> {
    let trimmed = text.trim_start();
    if trimmed.starts_with('{') || trimmed.starts_with('[') {
        return Ok(serde_json::from_str::<serde::de::IgnoredAny>(trimmed)
            .is_ok()
            .then_some(trimmed));
    }
    let head = trimmed.get(..400).unwrap_or(trimmed);
    if !PHP_MARKERS.iter().any(|m| head.contains(m)) {
        return Ok(None);
    }
    for (i, c) in trimmed.char_indices().take(20_000) {
        if (c == '{' || c == '[')
            && serde_json::from_str::<serde::de::IgnoredAny>(&trimmed[i..]).is_ok()
        {
            tracing::warn!(notice = %excerpt(&trimmed[..i], 200), "stripped PHP output before the JSON body");
            return Ok(Some(&trimmed[i..]));
        }
    }
    Err(BadStore::PhpError(excerpt(&strip_tags(head), 160)))
}

fn strip_tags(s: &str) -> String {
    let mut out = String::new();
    let mut tag = false;
    for c in s.chars() {
        match c {
            '<' => tag = true,
            '>' => tag = false,
            c if !tag => out.push(c),
            _ => {}
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `{"code": ..., "message": ...}` of a WordPress error body.
fn wp_error(text: &str) -> Option<(String, String)> {
    let body = json_text(text).ok()??;
    let v: serde_json::Value = serde_json::from_str(body).ok()?;
    Some((
        v.get("code")?.as_str()?.to_owned(),
        v.get("message")
            .and_then(|m| m.as_str())
            .unwrap_or_default()
            .to_owned(),
    ))
}

/// Added to a refusal of keys sent over plain http, which WooCommerce never looks at.
const PLAIN_HTTP_HINT: &str = " (over plain http WooCommerce accepts only OAuth 1.0a signatures, setting auth=oauth1 or auto; basic auth and query-string keys need https)";

/// Classifies what a WordPress site answers.
#[derive(Debug, Default)]
pub struct WooClassifier;

impl WooClassifier {
    /// What is wrong with a response, if it is one of the bad-store classics.
    pub fn diagnose(status: StatusCode, headers: &HeaderMap, text: &str) -> Option<BadStore> {
        if status.is_redirection() {
            let to = headers
                .get(http::header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default();
            // The query may echo credentials (`consumer_secret=`): name the place only.
            let to = to.split('?').next().unwrap_or_default();
            return Some(if to.contains("wp-login.php") {
                BadStore::LoginRedirect(excerpt(to, 120))
            } else {
                BadStore::Redirect(excerpt(to, 120))
            });
        }
        if looks_html(text) {
            return Some(if is_login_page(text) && status.is_success() {
                BadStore::LoginPage
            } else {
                BadStore::HtmlPage {
                    status: status.as_u16(),
                    title: html_title(text),
                }
            });
        }
        if status == StatusCode::NOT_FOUND
            && wp_error(text).is_some_and(|(code, _)| code == "rest_no_route")
        {
            return Some(BadStore::PluginMissing);
        }
        if let Err(e) = json_text(text) {
            return Some(e);
        }
        None
    }
}

impl Classify for WooClassifier {
    fn classify(&self, r: &Response) -> Verdict {
        let text = r.text_lossy();
        let status = r.status;
        match status.as_u16() {
            429 => {
                return Verdict::Throttled {
                    after: retry_after(&r.headers),
                };
            }
            // Hosts answer 503 with Retry-After when they shed load: a throttle, not a fault.
            503 if r.headers.contains_key(http::header::RETRY_AFTER) => {
                return Verdict::Throttled {
                    after: retry_after(&r.headers),
                };
            }
            _ => {}
        }
        if let Some(bad) = Self::diagnose(status, &r.headers, &text) {
            return match bad {
                // A cache or maintenance page in place of the JSON: try again.
                BadStore::HtmlPage { status: 200, .. } => Verdict::Retry,
                BadStore::HtmlPage { status: s, .. } if s >= 500 => Verdict::Retry,
                bad => Verdict::Fail(bad.into_error(status.as_u16())),
            };
        }
        if status.is_success() {
            // A truncated or garbled body: retry where the request allows it.
            return match json_text(&text) {
                Ok(Some(_)) => Verdict::Done,
                _ if r.body.is_empty() => Verdict::Done,
                _ => Verdict::Retry,
            };
        }
        let wp = wp_error(&text);
        match (status.as_u16(), wp) {
            (401 | 403, Some((code, message))) => {
                let mut text = format!("{status}: {code}: {message}");
                let signed = r.url.query_pairs().any(|(k, _)| k == "oauth_signature");
                if r.url.scheme() == "http" && !signed {
                    text.push_str(PLAIN_HTTP_HINT);
                }
                Verdict::Fail(Error::auth(text))
            }
            (404 | 410, Some((code, message))) => Verdict::Fail(Error::not_found(format!(
                "{} ({code}: {message})",
                r.url.path()
            ))),
            (400 | 409 | 413 | 422, Some((code, message))) => {
                Verdict::Fail(Error::invalid(format!("{code}: {message}")))
            }
            _ => classify_status(r),
        }
    }
}

/// Adaptive back-off for hosts without rate headers: halve the rate on a 429 or a 503,
/// and win it back slowly (a quarter more after every 20 successes) up to the
/// configured budget.
#[derive(Debug)]
pub struct AdaptiveRate {
    max: Budget,
    min_rate: f64,
    current: Mutex<f64>,
    successes: AtomicU32,
}

impl AdaptiveRate {
    pub fn new(max: Budget, min_rate: f64) -> Self {
        Self {
            max,
            min_rate: min_rate.min(max.per_second),
            current: Mutex::new(max.per_second),
            successes: AtomicU32::new(0),
        }
    }

    /// The rate in force now.
    pub fn rate(&self) -> f64 {
        *self.current.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn observe(&self, rate: f64) -> BudgetObservation {
        let burst = (rate.ceil() as u32).clamp(1, self.max.burst);
        BudgetObservation {
            capacity: Some(f64::from(burst)),
            remaining: None,
            refill_per_sec: Some(rate),
            reset_after: None,
        }
    }
}

impl BudgetReader for AdaptiveRate {
    fn read(&self, status: StatusCode, _: &HeaderMap, _: &[u8]) -> Option<BudgetObservation> {
        let mut current = self.current.lock().unwrap_or_else(|p| p.into_inner());
        if status == StatusCode::TOO_MANY_REQUESTS || status == StatusCode::SERVICE_UNAVAILABLE {
            self.successes.store(0, Ordering::Relaxed);
            let next = (*current / 2.0).max(self.min_rate);
            if next < *current {
                tracing::info!(rate = next, "host throttled: lowering the request rate");
            }
            *current = next;
            return Some(self.observe(next));
        }
        if status.is_success() && *current < self.max.per_second {
            if self.successes.fetch_add(1, Ordering::Relaxed) + 1 >= 20 {
                self.successes.store(0, Ordering::Relaxed);
                *current = (*current * 1.25).min(self.max.per_second);
                return Some(self.observe(*current));
            }
        }
        None
    }
}

const BASIC: u8 = 0;
const OAUTH1: u8 = 1;
const QUERY: u8 = 2;

/// The store's auth: one of three strategies, switching from basic to query keys once
/// a 401 shows the host drops the `Authorization` header.
pub struct WooAuth {
    mode: AtomicU8,
    fallback: bool,
    basic: Basic,
    oauth: OAuth1,
    query: QueryKeys,
}

impl WooAuth {
    pub fn new(key: &Secret, secret: &Secret, mode: AuthMode, fallback: bool) -> Self {
        let m = match mode {
            AuthMode::Basic | AuthMode::Auto => BASIC,
            AuthMode::OAuth1 => OAUTH1,
            AuthMode::Query => QUERY,
        };
        Self {
            mode: AtomicU8::new(m),
            fallback,
            basic: Basic::new(key.clone(), secret.clone()),
            oauth: OAuth1::one_legged(
                key.clone(),
                secret.clone(),
                OAuth1SignatureMethod::HmacSha256,
            ),
            query: QueryKeys::new(vec![
                ("consumer_key".into(), key.clone()),
                ("consumer_secret".into(), secret.clone()),
            ]),
        }
    }

    /// The mode in use now.
    pub fn mode(&self) -> AuthMode {
        match self.mode.load(Ordering::Relaxed) {
            BASIC => AuthMode::Basic,
            OAUTH1 => AuthMode::OAuth1,
            _ => AuthMode::Query,
        }
    }
}

#[async_trait]
impl Auth for WooAuth {
    async fn authorize(&self, request: &mut PreparedRequest) -> Result<()> {
        match self.mode.load(Ordering::Relaxed) {
            BASIC => self.basic.authorize(request).await,
            OAUTH1 => self.oauth.authorize(request).await,
            _ => self.query.authorize(request).await,
        }
    }

    async fn refresh_after_unauthorized(&self) -> Result<bool> {
        if self.fallback
            && self
                .mode
                .compare_exchange(BASIC, QUERY, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            tracing::warn!(
                "401 with basic auth: the host may strip the Authorization header; using query-string keys"
            );
            return Ok(true);
        }
        Ok(false)
    }

    fn secrets(&self) -> Vec<Secret> {
        let mut s = self.basic.secrets();
        s.extend(self.oauth.secrets());
        s
    }
}

/// One store's HTTP side.
pub struct Client {
    pub(crate) cfg: WooConfig,
    transport: Transport,
    pub(crate) auth: Arc<WooAuth>,
    pub(crate) rate: Arc<AdaptiveRate>,
    form: OnceCell<UrlForm>,
    context: OnceCell<Context>,
    tracking: OnceCell<bool>,
}

/// A decoded list page: its items and WordPress's paging headers.
pub struct ListPage {
    pub text: String,
    pub total: Option<u64>,
    pub total_pages: Option<u64>,
}

impl ListPage {
    pub fn items(&self) -> Result<Vec<&RawValue>> {
        polycart_kit::error::decode_json_borrowed(&self.text)
    }
}

const NAMESPACE: &str = "wc/v3";

impl Client {
    pub fn new(cfg: WooConfig, ctx: &AdapterContext) -> Self {
        let mode = cfg.effective_auth();
        let auth = Arc::new(WooAuth::new(
            &cfg.consumer_key,
            &cfg.consumer_secret,
            mode,
            mode == AuthMode::Basic,
        ));
        let rate = Arc::new(AdaptiveRate::new(cfg.budget, cfg.min_rate));
        let mut retry = RetryPolicy::default();
        if let Some(n) = cfg.max_retries {
            retry.max_retries = n;
        }
        let transport = Transport::builder(cfg.store_id.clone(), PLATFORM)
            .auth(auth.clone())
            .budget(cfg.budget)
            .budget_reader(rate.clone())
            .classifier(Arc::new(WooClassifier))
            .retry(retry)
            .timeout(cfg.timeout)
            .metrics(ctx.metrics.clone())
            .build();
        let form = match cfg.url_form {
            UrlForm::Auto => OnceCell::new(),
            f => OnceCell::new_with(Some(f)),
        };
        Self {
            cfg,
            transport,
            auth,
            rate,
            form,
            context: OnceCell::new(),
            tracking: OnceCell::new(),
        }
    }

    pub fn transport(&self) -> &Transport {
        &self.transport
    }

    fn url_for(&self, form: UrlForm, route: &str) -> Url {
        let site = self.cfg.site.as_str().trim_end_matches('/');
        let route = route.trim_start_matches('/');
        let text = match form {
            UrlForm::RestRoute => format!("{site}/index.php"),
            _ => format!("{site}/wp-json/{route}"),
        };
        let mut url = Url::parse(&text).unwrap_or_else(|_| self.cfg.site.clone());
        if form == UrlForm::RestRoute {
            url.query_pairs_mut()
                .append_pair("rest_route", &format!("/{route}"));
        }
        url
    }

    /// Which URL form the site uses, probing once: `/wp-json/wc/v3`, then
    /// `/index.php?rest_route=/wc/v3`.
    pub async fn url_form(&self) -> Result<UrlForm> {
        self.form
            .get_or_try_init(|| async {
                let pretty = self.transport.send(Request::get(self.url_for(UrlForm::Pretty, NAMESPACE))).await;
                match pretty {
                    Ok(_) => return Ok(UrlForm::Pretty),
                    Err(Error::NotFound { what }) if what == BadStore::PluginMissing.to_string() => {
                        return Err(Error::NotFound { what });
                    }
                    Err(e @ (Error::Auth { .. } | Error::Transport { .. } | Error::RateLimited { .. })) => return Err(e),
                    Err(e) => tracing::debug!(error = %e, "no pretty permalinks; trying rest_route"),
                }
                self.transport.send(Request::get(self.url_for(UrlForm::RestRoute, NAMESPACE))).await?;
                tracing::info!(store = %self.cfg.store_id, "site has no pretty permalinks: using ?rest_route=");
                Ok(UrlForm::RestRoute)
            })
            .await
            .copied()
    }

    /// The URL of a wc/v3 route (`orders/727`) with query parameters.
    pub async fn url(&self, route: &str, query: &[(&str, String)]) -> Result<Url> {
        self.namespaced_url(&format!("{NAMESPACE}/{route}"), query)
            .await
    }

    /// The URL of a route in any namespace (`wc-shipment-tracking/v3/...`).
    pub async fn namespaced_url(&self, route: &str, query: &[(&str, String)]) -> Result<Url> {
        let form = self.url_form().await?;
        let mut url = self.url_for(form, route);
        if !query.is_empty() {
            let mut q = url.query_pairs_mut();
            for (k, v) in query {
                q.append_pair(k, v);
            }
        }
        Ok(url)
    }

    /// Sends a request and returns its JSON text (PHP output before it stripped).
    pub async fn send_json(&self, request: Request) -> Result<(Response, String)> {
        let response = self.transport.send(request).await?;
        let text = response.text()?;
        let json = match json_text(text) {
            Ok(Some(j)) => j.to_owned(),
            Ok(None) if text.trim().is_empty() => "null".to_owned(),
            Ok(None) => {
                return Err(Error::decode(
                    "$",
                    format!("not JSON: {:?}", excerpt(text, 60)),
                ));
            }
            Err(bad) => return Err(bad.into_error(response.status.as_u16())),
        };
        Ok((response, json))
    }

    pub async fn get_json(&self, route: &str, query: &[(&str, String)]) -> Result<String> {
        let url = self.url(route, query).await?;
        Ok(self.send_json(Request::get(url)).await?.1)
    }

    pub async fn list(&self, route: &str, query: &[(&str, String)]) -> Result<ListPage> {
        let url = self.url(route, query).await?;
        let (response, text) = self.send_json(Request::get(url)).await?;
        let header = |n: &str| {
            response
                .header(n)
                .and_then(|v| v.trim().parse::<u64>().ok())
        };
        Ok(ListPage {
            total: header("x-wp-total"),
            total_pages: header("x-wp-totalpages"),
            text,
        })
    }

    /// Sends a JSON body with `method` to a wc/v3 route.
    pub async fn write_json(
        &self,
        method: Method,
        route: &str,
        body: &serde_json::Value,
    ) -> Result<String> {
        let url = self.url(route, &[]).await?;
        Ok(self
            .send_json(Request::new(method, url).json(body))
            .await?
            .1)
    }

    /// Store settings the payloads lack: the currency from `/system_status` unless
    /// configured, the weight unit from configuration.
    pub async fn context(&self) -> Result<Context> {
        self.context
            .get_or_try_init(|| async {
                let currency = match &self.cfg.currency {
                    Some(c) => Some(c.clone()),
                    None => {
                        let text = self.get_json("system_status", &[]).await?;
                        let v: serde_json::Value = polycart_kit::error::decode_json(&text)?;
                        v.pointer("/settings/currency")
                            .and_then(|c| c.as_str())
                            .and_then(|c| polycart_kit::model::Currency::parse(c).ok())
                    }
                };
                Ok(Context {
                    currency,
                    weight_unit: self.cfg.weight_unit.clone(),
                })
            })
            .await
            .cloned()
    }

    /// The context if already known (webhook verification cannot wait for IO).
    pub fn cached_context(&self) -> Context {
        self.context.get().cloned().unwrap_or_else(|| Context {
            currency: self.cfg.currency.clone(),
            weight_unit: self.cfg.weight_unit.clone(),
        })
    }

    /// Whether the Shipment Tracking extension answers (its namespace is listed in the
    /// site's REST index), unless configured.
    pub async fn has_tracking(&self) -> Result<bool> {
        match self.cfg.tracking {
            crate::config::Tracking::On => return Ok(true),
            crate::config::Tracking::Off => return Ok(false),
            crate::config::Tracking::Auto => {}
        }
        self.tracking
            .get_or_try_init(|| async {
                let form = self.url_form().await?;
                let url = match form {
                    UrlForm::RestRoute => self.url_for(form, ""),
                    _ => self.url_for(form, ""),
                };
                let (_, text) = self.send_json(Request::get(url)).await?;
                let v: serde_json::Value = polycart_kit::error::decode_json(&text)?;
                Ok(v.get("namespaces")
                    .and_then(|n| n.as_array())
                    .is_some_and(|n| {
                        n.iter()
                            .any(|x| x.as_str() == Some("wc-shipment-tracking/v3"))
                    }))
            })
            .await
            .copied()
    }

    /// The request rate adaptive back-off allows now.
    pub fn current_rate(&self) -> f64 {
        self.rate.rate()
    }

    /// The auth mode in use now (basic turns into query keys after a stripped header).
    pub fn auth_mode(&self) -> AuthMode {
        self.auth.mode()
    }
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("store", &self.cfg.store_id)
            .field("site", &self.cfg.site.as_str())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn php_notice_is_stripped_only_before_valid_json() {
        let body = "<br />\n<b>Notice</b>:  Undefined index: x in <b>/a.php</b> on line <b>1</b><br />\n[{\"id\":1}]";
        assert_eq!(json_text(body).unwrap(), Some("[{\"id\":1}]"));
        let broken = "<br />\n<b>Warning</b>: something in /a.php<br />\n[{\"id\":1";
        assert!(matches!(json_text(broken), Err(BadStore::PhpError(_))));
        assert_eq!(json_text("<html><body>hi</body></html>").unwrap(), None);
        assert_eq!(json_text("{\"a\":1}").unwrap(), Some("{\"a\":1}"));
    }

    #[test]
    fn adaptive_rate_halves_and_recovers() {
        let r = AdaptiveRate::new(Budget::new(4, 4.0), 0.5);
        let h = HeaderMap::new();
        let obs = r.read(StatusCode::TOO_MANY_REQUESTS, &h, b"").unwrap();
        assert_eq!(obs.refill_per_sec, Some(2.0));
        r.read(StatusCode::SERVICE_UNAVAILABLE, &h, b"");
        r.read(StatusCode::TOO_MANY_REQUESTS, &h, b"");
        r.read(StatusCode::TOO_MANY_REQUESTS, &h, b"");
        assert_eq!(r.rate(), 0.5, "never below the floor");
        for _ in 0..19 {
            assert!(r.read(StatusCode::OK, &h, b"").is_none());
        }
        assert_eq!(
            r.read(StatusCode::OK, &h, b"").unwrap().refill_per_sec,
            Some(0.625)
        );
        for _ in 0..400 {
            r.read(StatusCode::OK, &h, b"");
        }
        assert_eq!(r.rate(), 4.0, "back to the configured budget, not above");
    }

    #[test]
    fn diagnoses_the_classics() {
        let h = HeaderMap::new();
        let login = "<!DOCTYPE html><html><head><title>Log In</title></head><form id=\"loginform\" action=\"/wp-login.php\"></form></html>";
        assert_eq!(
            WooClassifier::diagnose(StatusCode::OK, &h, login),
            Some(BadStore::LoginPage)
        );
        let missing = r#"{"code":"rest_no_route","message":"No route was found matching the URL and request method.","data":{"status":404}}"#;
        assert_eq!(
            WooClassifier::diagnose(StatusCode::NOT_FOUND, &h, missing),
            Some(BadStore::PluginMissing)
        );
        let mut r = HeaderMap::new();
        r.insert(
            http::header::LOCATION,
            "https://shop.example/wp-login.php?redirect_to=x"
                .parse()
                .unwrap(),
        );
        assert!(matches!(
            WooClassifier::diagnose(StatusCode::FOUND, &r, ""),
            Some(BadStore::LoginRedirect(_))
        ));
        assert_eq!(WooClassifier::diagnose(StatusCode::OK, &h, "[]"), None);
    }
}
