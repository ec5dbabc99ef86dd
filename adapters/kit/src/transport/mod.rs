//! The transport every adapter sends its requests through. Around each request, in
//! this order: the store's **governor** (wait for budget), **auth** (credentials or a
//! signature, fresh per attempt), a per-request **timeout**, the platform's **budget
//! reader** (correct the governor from what the platform reports), the adapter's
//! **classifier** (done, throttled, retryable, failed) and **retry** with exponential
//! backoff and full jitter. Each attempt runs in a `platform_request` tracing span
//! with store, platform, method, the route template ([`route_template`]: never the
//! query string, which may carry tokens), attempt, governor wait, status and the
//! platform's budget report; every error leaving here has the store's secrets redacted. The
//! governor's time and every wait come from one [`TransportClock`]: real time, or in
//! tests a fake clock whose waits take none.
//!
//! Ready parts adapters plug in: budget readers for the platforms' rate headers, an
//! AIMD [`AdaptiveRate`] for hosts that send none, and [`html`], the shared "a 2xx
//! that is an HTML page or broken JSON is retried" check every classifier uses.
//!
//! Reads retry freely. A non-idempotent write (POST/PATCH) is retried only when the
//! platform provably did not act on it (a 429, a refused connection) unless it carries
//! an idempotency key, so a write is never repeated blindly.

mod adaptive;
mod budget;
mod classify;
mod clock;
mod governor;
pub mod html;
mod metrics;
mod retry;
mod route;

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use backon::Retryable;
use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use tracing::Instrument;
use url::Url;

use crate::auth::{Auth, NoAuth, PreparedRequest};
use crate::error::{Error, Result};
use crate::secret::Redactor;

/// The fake clock governor tests drive ([`Governor::with_clock`]).
pub use ::governor::clock::FakeRelativeClock as FakeClock;
pub use adaptive::{AdaptiveRate, Aimd};
pub use budget::{
    BudgetObservation, BudgetReader, TwoWindowHeaders, UsedOfSizeHeader, WindowHeaders,
};
pub use classify::{Classify, DefaultClassifier, Verdict, classify_status, final_error};
pub use clock::TransportClock;
pub use governor::{Budget, Governor};
pub use metrics::{
    BUDGET_REPORT_FRESH_FOR, MetricsSnapshot, StoreMetrics, StoreSnapshot, TransportMetrics,
    utilisation,
};
pub use retry::{RetryPolicy, full_jitter, retry_after, retry_after_at};
pub use route::route_template;

/// The process-wide HTTP client (rustls, pooled): every store shares it. Idle
/// connections are kept briefly: pages of one sync follow each other within
/// milliseconds, while a fleet of thousands of shops on as many hosts would otherwise
/// hold thousands of idle sockets (and file descriptors) between its syncs.
pub fn shared_client() -> reqwest::Client {
    static CLIENT: OnceLock<reqwest::Client> = OnceLock::new();
    CLIENT
        .get_or_init(|| {
            crate::net::client_builder()
                .user_agent(concat!("polycart/", env!("CARGO_PKG_VERSION")))
                .pool_idle_timeout(Duration::from_secs(5))
                .pool_max_idle_per_host(2)
                .connect_timeout(Duration::from_secs(10))
                .build()
                .expect("the http client builds with static settings")
        })
        .clone()
}

/// A request to a platform.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: Method,
    pub url: Url,
    pub headers: HeaderMap,
    pub body: Option<Bytes>,
    /// Safe to repeat: reads, and writes the adapter knows to be idempotent.
    pub idempotent: bool,
    /// Sent as this header; makes a non-idempotent write retryable.
    pub idempotency_key: Option<(HeaderName, String)>,
    /// Budget units the request spends (1, or a GraphQL query's cost).
    pub cost: u32,
    pub timeout: Option<Duration>,
}

impl Request {
    pub fn new(method: Method, url: Url) -> Self {
        let idempotent = matches!(
            method,
            Method::GET | Method::HEAD | Method::OPTIONS | Method::PUT | Method::DELETE
        );
        Self {
            method,
            url,
            headers: HeaderMap::new(),
            body: None,
            idempotent,
            idempotency_key: None,
            cost: 1,
            timeout: None,
        }
    }

    pub fn get(url: Url) -> Self {
        Self::new(Method::GET, url)
    }

    pub fn post(url: Url) -> Self {
        Self::new(Method::POST, url)
    }

    /// Adds query parameters.
    pub fn query<K: AsRef<str>, V: AsRef<str>>(
        mut self,
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        {
            let mut q = self.url.query_pairs_mut();
            for (k, v) in pairs {
                q.append_pair(k.as_ref(), v.as_ref());
            }
        }
        if self.url.query() == Some("") {
            self.url.set_query(None);
        }
        self
    }

    pub fn header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.insert(name, value);
        self
    }

    /// A JSON body (sets the content type).
    pub fn json<T: serde::Serialize + ?Sized>(mut self, body: &T) -> Self {
        let bytes = serde_json::to_vec(body).expect("request bodies serialise");
        self.headers.insert(
            http::header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        self.body = Some(Bytes::from(bytes));
        self
    }

    pub fn idempotent(mut self, idempotent: bool) -> Self {
        self.idempotent = idempotent;
        self
    }

    pub fn idempotency_key(mut self, header: HeaderName, key: Option<&str>) -> Self {
        self.idempotency_key = key.map(|k| (header, k.to_owned()));
        self
    }

    pub fn cost(mut self, cost: u32) -> Self {
        self.cost = cost.max(1);
        self
    }

    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Whether failures after the request may have reached the platform can be retried.
    fn repeatable(&self) -> bool {
        self.idempotent || self.idempotency_key.is_some()
    }
}

/// A platform's answer, fully read.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
    pub url: Url,
}

impl Response {
    /// The body as text, invalid UTF-8 replaced.
    pub fn text_lossy(&self) -> std::borrow::Cow<'_, str> {
        String::from_utf8_lossy(&self.body)
    }

    /// The body as UTF-8, or a decode error.
    pub fn text(&self) -> Result<&str> {
        std::str::from_utf8(&self.body).map_err(|_| Error::decode("$", "the body is not utf-8"))
    }

    /// Decodes the JSON body, naming the JSON path of any mismatch.
    pub fn json<T: serde::de::DeserializeOwned>(&self) -> Result<T> {
        crate::error::decode_json(self.text()?)
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name)?.to_str().ok()
    }

    /// An error describing this response as a platform failure: its status and the
    /// platform's own short message where the body is JSON that has one.
    pub fn platform_error(&self) -> Error {
        Error::Platform {
            status: self.status.as_u16(),
            body: self.platform_message(),
        }
    }

    /// The platform's short, sanitised explanation in this response's body, or a
    /// placeholder saying there was none ([`crate::error::platform_message`]).
    pub fn platform_message(&self) -> String {
        crate::error::platform_message(&self.text_lossy())
            .unwrap_or_else(|| "(no message)".to_owned())
    }
}

/// Builds a [`Transport`].
pub struct TransportBuilder {
    http: reqwest::Client,
    store_id: String,
    platform: &'static str,
    auth: Arc<dyn Auth>,
    governor: Option<Arc<Governor>>,
    budget: Budget,
    budget_reader: Option<Arc<dyn BudgetReader>>,
    classifier: Arc<dyn Classify>,
    retry: RetryPolicy,
    timeout: Duration,
    metrics: Arc<TransportMetrics>,
    clock: TransportClock,
}

impl TransportBuilder {
    pub fn http(mut self, http: reqwest::Client) -> Self {
        self.http = http;
        self
    }
    pub fn auth(mut self, auth: Arc<dyn Auth>) -> Self {
        self.auth = auth;
        self
    }
    /// The plan's budget the governor starts from.
    pub fn budget(mut self, budget: Budget) -> Self {
        self.budget = budget;
        self
    }
    /// Shares a governor with another transport of the same store and API family.
    pub fn governor(mut self, governor: Arc<Governor>) -> Self {
        self.governor = Some(governor);
        self
    }
    pub fn budget_reader(mut self, reader: Arc<dyn BudgetReader>) -> Self {
        self.budget_reader = Some(reader);
        self
    }
    pub fn classifier(mut self, classifier: Arc<dyn Classify>) -> Self {
        self.classifier = classifier;
        self
    }
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }
    pub fn metrics(mut self, metrics: Arc<TransportMetrics>) -> Self {
        self.metrics = metrics;
        self
    }
    /// The clock the governor measures and the transport waits on (for the budget, a
    /// `Retry-After`, a backoff): real time unless a test passes
    /// [`TransportClock::fake`]. A governor given with [`TransportBuilder::governor`]
    /// keeps its own.
    pub fn clock(mut self, clock: TransportClock) -> Self {
        self.clock = clock;
        self
    }

    pub fn build(self) -> Transport {
        let redactor = Redactor::new(self.auth.secrets().iter());
        let store_metrics = self.metrics.store(&self.store_id, self.platform);
        Transport {
            http: self.http,
            store_id: self.store_id,
            platform: self.platform,
            governor: self
                .governor
                .unwrap_or_else(|| Arc::new(Governor::with_clock(self.budget, self.clock.clone()))),
            budget_reader: self.budget_reader,
            classifier: self.classifier,
            auth: self.auth,
            retry: self.retry,
            timeout: self.timeout,
            metrics: self.metrics,
            store_metrics,
            clock: self.clock,
            redactor,
        }
    }
}

/// One store's (one API family's) way to the platform.
pub struct Transport {
    http: reqwest::Client,
    store_id: String,
    platform: &'static str,
    governor: Arc<Governor>,
    budget_reader: Option<Arc<dyn BudgetReader>>,
    classifier: Arc<dyn Classify>,
    auth: Arc<dyn Auth>,
    retry: RetryPolicy,
    timeout: Duration,
    metrics: Arc<TransportMetrics>,
    store_metrics: Arc<StoreMetrics>,
    clock: TransportClock,
    redactor: Redactor,
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transport")
            .field("store_id", &self.store_id)
            .field("platform", &self.platform)
            .field("governor", &self.governor)
            .finish_non_exhaustive()
    }
}

/// Why one attempt did not produce a response to hand back.
struct Failed {
    error: Error,
    retry: bool,
    /// Wait at least this long before retrying (Retry-After, or zero after a refresh).
    after: Option<Duration>,
}

impl Transport {
    /// A builder with the shared client, no auth, a cautious 2 req/s budget, default
    /// retries and a 30 s timeout.
    pub fn builder(store_id: impl Into<String>, platform: &'static str) -> TransportBuilder {
        TransportBuilder {
            http: shared_client(),
            store_id: store_id.into(),
            platform,
            auth: Arc::new(NoAuth),
            governor: None,
            budget: Budget::new(10, 2.0),
            budget_reader: None,
            classifier: Arc::new(DefaultClassifier),
            retry: RetryPolicy::default(),
            timeout: Duration::from_secs(30),
            metrics: Arc::new(TransportMetrics::default()),
            clock: TransportClock::real(),
        }
    }

    pub fn store_id(&self) -> &str {
        &self.store_id
    }

    pub fn platform(&self) -> &'static str {
        self.platform
    }

    pub fn governor(&self) -> &Arc<Governor> {
        &self.governor
    }

    pub fn metrics(&self) -> &Arc<TransportMetrics> {
        &self.metrics
    }

    /// Hides this store's secrets in text.
    pub fn redact(&self, text: &str) -> String {
        // The auth's current secrets too: a token minted or refreshed since the
        // transport was built is hidden like the rest.
        let current = Redactor::new(self.auth.secrets().iter());
        current.redact(&self.redactor.redact(text))
    }

    /// Sends a request through governor, auth, timeout, classification and retry.
    pub async fn send(&self, request: Request) -> Result<Response> {
        crate::net::check_url(&request.url)?;
        let attempt = AtomicU32::new(0);
        let refreshed = AtomicBool::new(false);
        let max_retry_after = self.retry.max_retry_after;
        let clock = self.clock.clone();
        let route = route_template(request.url.path());
        let run = || async {
            let n = attempt.fetch_add(1, Ordering::Relaxed) + 1;
            let span = tracing::info_span!(
                "platform_request",
                otel.kind = "client",
                store = %self.store_id,
                platform = self.platform,
                http.request.method = %request.method,
                http.route = %route,
                attempt = n,
                governor_wait_ms = tracing::field::Empty,
                http.response.status_code = tracing::field::Empty,
                budget.capacity = tracing::field::Empty,
                budget.remaining = tracing::field::Empty,
                budget.utilisation = tracing::field::Empty,
                otel.status_code = tracing::field::Empty,
                error = tracing::field::Empty,
            );
            let result = self
                .attempt(&request, &refreshed)
                .instrument(span.clone())
                .await;
            if let Err(f) = &result {
                span.record("otel.status_code", "ERROR");
                span.record(
                    "error",
                    tracing::field::display(self.redact(&f.error.to_string())),
                );
            }
            result
        };
        let result = run
            .retry(self.retry.backoff())
            .sleep(move |wait| {
                let clock = clock.clone();
                async move { clock.sleep(wait).await }
            })
            .when(|f: &Failed| f.retry && f.after.is_none_or(|a| a <= max_retry_after))
            .adjust(|f: &Failed, delay| delay.map(|d| f.after.unwrap_or_else(|| full_jitter(d))))
            .notify(|f: &Failed, delay| {
                self.metrics.add(|m| &m.retries, 1);
                self.store_metrics.retried();
                tracing::warn!(store = %self.store_id, platform = self.platform, error = %self.redact(&f.error.to_string()), ?delay, "retrying platform request");
            })
            .await;
        result.map_err(|f| {
            self.metrics.add(|m| &m.errors, 1);
            self.store_metrics.failed();
            self.redact_error(f.error)
        })
    }

    async fn attempt(&self, request: &Request, refreshed: &AtomicBool) -> Result<Response, Failed> {
        let waited = self.governor.acquire(request.cost).await;
        if !waited.is_zero() {
            self.metrics
                .add(|m| &m.governor_wait_nanos, waited.as_nanos() as u64);
        }
        self.metrics.add(|m| &m.requests, 1);
        self.metrics
            .add(|m| &m.budget_spent, u64::from(request.cost));
        self.metrics.set_allowed(self.governor.budget().per_second);
        self.store_metrics.request(waited);
        let span = tracing::Span::current();
        span.record("governor_wait_ms", waited.as_millis() as u64);

        let mut prepared = PreparedRequest {
            method: request.method.clone(),
            url: request.url.clone(),
            headers: request.headers.clone(),
            body: request.body.clone(),
        };
        if let Some((name, key)) = &request.idempotency_key
            && let Ok(value) = HeaderValue::from_str(key)
        {
            prepared.headers.insert(name.clone(), value);
        }
        if let Err(error) = self.auth.authorize(&mut prepared).await {
            self.governor.finish(request.cost, None);
            return Err(Failed {
                error,
                retry: false,
                after: None,
            });
        }

        let mut builder = self
            .http
            .request(prepared.method, prepared.url)
            .headers(prepared.headers)
            .timeout(request.timeout.unwrap_or(self.timeout));
        if let Some(body) = prepared.body {
            builder = builder.body(body);
        }
        let response = match builder.send().await {
            Ok(r) => r,
            Err(e) => {
                self.governor.finish(request.cost, None);
                // A refused connection never reached the platform: always safe to retry.
                let retry = e.is_connect() || request.repeatable();
                return Err(Failed {
                    error: transport_error(e),
                    retry,
                    after: None,
                });
            }
        };
        let status = response.status();
        let headers = response.headers().clone();
        let url = response.url().clone();
        let body = match response.bytes().await {
            Ok(b) => b,
            Err(e) => {
                self.governor.finish(request.cost, None);
                return Err(Failed {
                    error: transport_error(e),
                    retry: request.repeatable(),
                    after: None,
                });
            }
        };
        let observed = self
            .budget_reader
            .as_ref()
            .and_then(|r| r.read(status, &headers, &body));
        self.governor.finish(request.cost, observed);
        crate::drift::observe_headers(self.platform, &self.store_id, &headers);
        span.record("http.response.status_code", status.as_u16());
        if let Some(o) = &observed {
            self.store_metrics.budget(o);
            if let Some(c) = o.capacity {
                span.record("budget.capacity", c);
            }
            if let Some(r) = o.remaining {
                span.record("budget.remaining", r);
            }
            if let Some(u) = utilisation(o) {
                span.record("budget.utilisation", u);
            }
        }
        let response = Response {
            status,
            headers,
            body,
            url,
        };

        if self.classifier.unauthorized(&response) && !refreshed.swap(true, Ordering::Relaxed) {
            match self.auth.refresh_after_unauthorized().await {
                Ok(true) => {
                    let error = Error::auth("401 before token refresh");
                    return Err(Failed {
                        error,
                        retry: true,
                        after: Some(Duration::ZERO),
                    });
                }
                Ok(false) => {}
                Err(error) => {
                    return Err(Failed {
                        error,
                        retry: false,
                        after: None,
                    });
                }
            }
        }

        let verdict = self.classifier.classify(&response);
        match verdict {
            Verdict::Done => Ok(response),
            Verdict::Throttled { after } => {
                if status == StatusCode::TOO_MANY_REQUESTS {
                    self.metrics.add(|m| &m.throttled_429, 1);
                    self.store_metrics.throttled();
                }
                let wait = after.unwrap_or(Duration::from_secs(1));
                self.governor.pause(wait);
                let error = self.classifier.final_error(&response, &verdict);
                // Throttled requests were not acted on: retry even writes.
                Err(Failed {
                    error,
                    retry: true,
                    after: Some(wait),
                })
            }
            Verdict::Retry => {
                tracing::debug!(
                    store = %self.store_id,
                    platform = self.platform,
                    status = status.as_u16(),
                    body = %self.redact(&crate::error::excerpt(&response.text_lossy(), 300)),
                    "platform answered a retryable failure"
                );
                Err(Failed {
                    error: self.classifier.final_error(&response, &verdict),
                    retry: request.repeatable(),
                    after: None,
                })
            }
            Verdict::Fail(error) => Err(Failed {
                error,
                retry: false,
                after: None,
            }),
        }
    }

    fn redact_error(&self, error: Error) -> Error {
        let r = |s: String| self.redact(&s);
        match error {
            Error::Auth { message } => Error::Auth {
                message: r(message),
            },
            Error::NotFound { what } => Error::NotFound { what: r(what) },
            Error::Invalid { message } => Error::Invalid {
                message: r(message),
            },
            Error::Platform { status, body } => Error::Platform {
                status,
                body: r(body),
            },
            Error::Transport { message, timeout } => Error::Transport {
                message: r(message),
                timeout,
            },
            Error::Decode { path, excerpt } => Error::Decode {
                path,
                excerpt: r(excerpt),
            },
            other => other,
        }
    }
}

fn transport_error(e: reqwest::Error) -> Error {
    Error::Transport {
        timeout: e.is_timeout(),
        message: describe(e),
    }
}

/// A reqwest error with its causes (a refused address, a TLS failure), without its URL,
/// which may carry query-string credentials.
pub fn describe(e: reqwest::Error) -> String {
    let e = e.without_url();
    let mut message = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        message.push_str(": ");
        message.push_str(&s.to_string());
        source = s.source();
    }
    message
}
