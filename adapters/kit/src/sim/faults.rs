//! Fault injection for simulators, chosen per run with a spec such as
//! `5xx=0.05,burst=3/100,latency=50ms,reset=0.01,truncate=0.01,malformed=0.01,content_type=0.01`.
//!
//! - `5xx=P`: answer 500, 502 or 503 with probability P;
//! - `burst=N/M`: in every M requests, the first N answer 503 (a burst of failures);
//! - `latency=D`: delay each response by up to D (`ms` or `s`);
//! - `reset=P`: drop the connection mid-response;
//! - `truncate=P`: cut the JSON body in half (a valid HTTP response, broken JSON);
//! - `malformed=P`: replace the body with something that is not JSON;
//! - `content_type=P`: an HTML error page with `text/html` and status 200.
//!
//! Draws come from a seeded generator, so a run's faults repeat with its seed.
//!
//! Tests also *arm* exact faults ([`Faults::arm`]): the next N requests (or the next N
//! requests that change something, [`Target::Mutating`]) get one [`Fault`], whatever
//! the spec says. The conformance suite uses them to prove each failure is retried, or
//! refused, as it should be.

use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Which faults to inject, and how often.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FaultSpec {
    pub error_5xx: f64,
    /// (N, M): the first N of every M requests fail with 503.
    pub burst: Option<(u64, u64)>,
    pub latency: Duration,
    pub reset: f64,
    pub truncate: f64,
    pub malformed: f64,
    pub content_type: f64,
}

impl FaultSpec {
    /// No faults.
    pub fn none() -> Self {
        Self::default()
    }

    pub fn is_none(&self) -> bool {
        *self == Self::default()
    }

    /// Parses a comma-separated spec; an empty string is no faults.
    pub fn parse(spec: &str) -> Result<Self, String> {
        let mut out = Self::default();
        for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (key, value) = part
                .split_once('=')
                .ok_or_else(|| format!("fault {part:?} needs key=value"))?;
            let prob = || -> Result<f64, String> {
                let p: f64 = value
                    .parse()
                    .map_err(|_| format!("fault {key}: {value:?} is not a probability"))?;
                (0.0..=1.0)
                    .contains(&p)
                    .then_some(p)
                    .ok_or_else(|| format!("fault {key}: {p} is not in 0..=1"))
            };
            match key {
                "5xx" => out.error_5xx = prob()?,
                "reset" => out.reset = prob()?,
                "truncate" => out.truncate = prob()?,
                "malformed" => out.malformed = prob()?,
                "content_type" => out.content_type = prob()?,
                "latency" => out.latency = parse_duration(value)?,
                "burst" => {
                    let (n, m) = value.split_once('/').unwrap_or((value, "100"));
                    let n: u64 = n
                        .parse()
                        .map_err(|_| format!("fault burst: bad count {n:?}"))?;
                    let m: u64 = m
                        .parse()
                        .map_err(|_| format!("fault burst: bad period {m:?}"))?;
                    if m == 0 || n > m {
                        return Err(format!("fault burst: {n}/{m} is not N/M with N <= M"));
                    }
                    out.burst = Some((n, m));
                }
                other => {
                    return Err(format!(
                        "unknown fault {other:?}; known: 5xx, burst, latency, reset, truncate, malformed, content_type"
                    ));
                }
            }
        }
        Ok(out)
    }
}

fn parse_duration(value: &str) -> Result<Duration, String> {
    let (num, unit) = match value.strip_suffix("ms") {
        Some(n) => (n, 0.001),
        None => (value.strip_suffix('s').unwrap_or(value), 1.0),
    };
    let n: f64 = num.parse().map_err(|_| format!("bad duration {value:?}"))?;
    Ok(Duration::from_secs_f64((n * unit).max(0.0)))
}

/// One exact fault a test arms for the next requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// `429 Too Many Requests`, with `Retry-After: N` (seconds) when given.
    TooManyRequests { retry_after: Option<u64> },
    /// `503 Service Unavailable` with a JSON error body.
    ServerError,
    /// An HTML error page with status 200 (a proxy's or host's page).
    HtmlOk,
    /// The simulator's own 2xx answer with its JSON body cut in half.
    Truncated,
    /// `401 Unauthorized`, as when the platform revokes the credentials.
    Unauthorized,
    /// The simulator acts on the request, then a proxy answers `502 Bad Gateway`: the
    /// platform did the work and the client cannot know it.
    AnswerLost,
}

/// Which requests an armed fault applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// Every request.
    Any,
    /// Requests that change something: not `GET`/`HEAD`/`OPTIONS`, and for a GraphQL
    /// request (a JSON body with a `query`), a `mutation`.
    Mutating,
}

#[derive(Debug)]
struct Armed {
    fault: Fault,
    target: Target,
    remaining: u32,
}

/// Injects a spec's faults into a router (see [`Faults::layer`]).
#[derive(Debug)]
pub struct Faults {
    spec: FaultSpec,
    rng: Mutex<ChaCha8Rng>,
    count: AtomicU64,
    mutating: AtomicU64,
    injected: AtomicU64,
    armed: Mutex<Vec<Armed>>,
}

impl Faults {
    pub fn new(spec: FaultSpec, seed: u64) -> Arc<Self> {
        Arc::new(Self {
            spec,
            rng: Mutex::new(ChaCha8Rng::seed_from_u64(seed ^ 0x5eed_fa17)),
            count: AtomicU64::new(0),
            mutating: AtomicU64::new(0),
            injected: AtomicU64::new(0),
            armed: Mutex::new(Vec::new()),
        })
    }

    /// How many faults were injected so far (spec'd and armed).
    pub fn injected(&self) -> u64 {
        self.injected.load(Ordering::Relaxed)
    }

    /// How many requests reached the simulator so far, faulted or not.
    pub fn requests(&self) -> u64 {
        self.count.load(Ordering::Relaxed)
    }

    /// How many of them were [`Target::Mutating`].
    pub fn mutating_requests(&self) -> u64 {
        self.mutating.load(Ordering::Relaxed)
    }

    /// Answers the next `times` requests matching `target` with `fault`. Armed faults
    /// apply in the order armed, before any spec'd fault.
    pub fn arm(&self, fault: Fault, times: u32, target: Target) {
        self.armed_faults().push(Armed {
            fault,
            target,
            remaining: times,
        });
    }

    /// How many armed faults have not fired yet.
    pub fn armed_remaining(&self) -> u32 {
        self.armed_faults().iter().map(|a| a.remaining).sum()
    }

    /// Drops every armed fault that has not fired.
    pub fn disarm(&self) {
        self.armed_faults().clear();
    }

    fn armed_faults(&self) -> std::sync::MutexGuard<'_, Vec<Armed>> {
        self.armed.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The armed fault for a request, counted as fired.
    fn take_armed(&self, mutating: bool) -> Option<Fault> {
        let mut armed = self.armed_faults();
        let i = armed
            .iter()
            .position(|a| a.remaining > 0 && (a.target == Target::Any || mutating))?;
        armed[i].remaining -= 1;
        let fault = armed[i].fault;
        armed.retain(|a| a.remaining > 0);
        Some(fault)
    }

    fn roll(&self, p: f64) -> bool {
        p > 0.0
            && self
                .rng
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .gen_bool(p)
    }

    /// Adds the faults (spec'd and armed) to every route of `router`.
    pub fn layer<S: Clone + Send + Sync + 'static>(
        self: &Arc<Self>,
        router: axum::Router<S>,
    ) -> axum::Router<S> {
        router.layer(axum::middleware::from_fn_with_state(self.clone(), inject))
    }
}

/// Whether a request changes something (see [`Target::Mutating`]); GraphQL bodies are
/// read to tell a query from a mutation, and put back.
async fn mutating(request: Request) -> (bool, Request) {
    use http::Method;
    if [Method::GET, Method::HEAD, Method::OPTIONS].contains(request.method()) {
        return (false, request);
    }
    let (parts, body) = request.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    let query = serde_json::from_slice::<serde_json::Value>(&bytes)
        .ok()
        .and_then(|v| v.get("query").and_then(|q| q.as_str()).map(str::to_owned));
    let mutation = query.is_none_or(|q| q.trim_start().starts_with("mutation"));
    (mutation, Request::from_parts(parts, Body::from(bytes)))
}

/// An armed fault's answer; `None` when the fault changes the handler's own answer.
fn armed_response(fault: Fault) -> Option<Response> {
    Some(match fault {
        Fault::TooManyRequests { retry_after } => {
            let mut response = (
                StatusCode::TOO_MANY_REQUESTS,
                [(http::header::CONTENT_TYPE, "application/json")],
                "{\"errors\":\"Too many requests (simulated)\"}",
            )
                .into_response();
            if let Some(secs) = retry_after {
                response
                    .headers_mut()
                    .insert(http::header::RETRY_AFTER, http::HeaderValue::from(secs));
            }
            response
        }
        Fault::ServerError => (
            StatusCode::SERVICE_UNAVAILABLE,
            [(http::header::CONTENT_TYPE, "application/json")],
            "{\"errors\":\"simulated server error\"}",
        )
            .into_response(),
        Fault::HtmlOk => (
            StatusCode::OK,
            [(http::header::CONTENT_TYPE, "text/html; charset=utf-8")],
            HTML_PAGE,
        )
            .into_response(),
        Fault::Unauthorized => (
            StatusCode::UNAUTHORIZED,
            [(http::header::CONTENT_TYPE, "application/json")],
            "{\"errors\":\"[API] Invalid API key or access token (simulated)\"}",
        )
            .into_response(),
        Fault::Truncated | Fault::AnswerLost => return None,
    })
}

const HTML_PAGE: &str = "<!DOCTYPE html><html><head><title>Error</title></head><body><h1>Something went wrong</h1></body></html>";

async fn inject(State(faults): State<Arc<Faults>>, request: Request, next: Next) -> Response {
    let n = faults.count.fetch_add(1, Ordering::Relaxed);
    let (is_mutating, request) = mutating(request).await;
    if is_mutating {
        faults.mutating.fetch_add(1, Ordering::Relaxed);
    }
    let armed = faults.take_armed(is_mutating);
    if let Some(fault) = armed {
        faults.injected.fetch_add(1, Ordering::Relaxed);
        if let Some(response) = armed_response(fault) {
            return response;
        }
        let response = next.run(request).await;
        if fault == Fault::AnswerLost {
            drop(response);
            return (
                StatusCode::BAD_GATEWAY,
                [(http::header::CONTENT_TYPE, "text/html")],
                "<html><body><h1>502 Bad Gateway</h1></body></html>",
            )
                .into_response();
        }
        return truncate(response).await;
    }
    let spec = &faults.spec;
    if spec.is_none() {
        return next.run(request).await;
    }
    if !spec.latency.is_zero() {
        let wait = {
            let mut rng = faults.rng.lock().unwrap_or_else(|e| e.into_inner());
            spec.latency.mul_f64(rng.gen_range(0.0..=1.0))
        };
        tokio::time::sleep(wait).await;
    }
    if spec.burst.is_some_and(|(b, m)| n % m < b) {
        faults.injected.fetch_add(1, Ordering::Relaxed);
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "Service Unavailable (simulated burst)",
        )
            .into_response();
    }
    if faults.roll(spec.error_5xx) {
        faults.injected.fetch_add(1, Ordering::Relaxed);
        let status = [
            StatusCode::INTERNAL_SERVER_ERROR,
            StatusCode::BAD_GATEWAY,
            StatusCode::SERVICE_UNAVAILABLE,
        ][(n % 3) as usize];
        return (status, "{\"errors\":\"simulated server error\"}").into_response();
    }
    if faults.roll(spec.content_type) {
        faults.injected.fetch_add(1, Ordering::Relaxed);
        return (
            StatusCode::OK,
            [(http::header::CONTENT_TYPE, "text/html; charset=utf-8")],
            HTML_PAGE,
        )
            .into_response();
    }
    let reset = faults.roll(spec.reset);
    let truncate = faults.roll(spec.truncate);
    let malformed = faults.roll(spec.malformed);
    let response = next.run(request).await;
    if !(reset || truncate || malformed) || !response.status().is_success() {
        return response;
    }
    faults.injected.fetch_add(1, Ordering::Relaxed);
    let (mut parts, body) = response.into_parts();
    parts.headers.remove(http::header::CONTENT_LENGTH);
    if reset {
        let stream = futures::stream::iter([
            Ok(bytes::Bytes::from_static(b"{\"partial\":")),
            Err(std::io::Error::new(
                std::io::ErrorKind::ConnectionReset,
                "simulated reset",
            )),
        ]);
        return Response::from_parts(parts, Body::from_stream(stream));
    }
    let bytes = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    let body = if truncate {
        bytes.slice(..bytes.len() / 2)
    } else {
        bytes::Bytes::from_static(
            b"<b>Warning</b>: Undefined index in /var/www/html/api.php on line 42\n{\"oops\"",
        )
    };
    Response::from_parts(parts, Body::from(body))
}

/// The response with its body cut in half (a valid HTTP answer, broken JSON).
async fn truncate(response: Response) -> Response {
    let (mut parts, body) = response.into_parts();
    parts.headers.remove(http::header::CONTENT_LENGTH);
    let bytes = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    Response::from_parts(parts, Body::from(bytes.slice(..bytes.len() / 2)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_full_spec() {
        let s = FaultSpec::parse("5xx=0.1,burst=3/50,latency=20ms,reset=0.01,truncate=0.02,malformed=0.03,content_type=0.04").unwrap();
        assert_eq!(s.error_5xx, 0.1);
        assert_eq!(s.burst, Some((3, 50)));
        assert_eq!(s.latency, Duration::from_millis(20));
        assert_eq!(s.content_type, 0.04);
        assert!(FaultSpec::parse("").unwrap().is_none());
    }

    #[test]
    fn rejects_bad_specs() {
        assert!(FaultSpec::parse("5xx=2").is_err());
        assert!(FaultSpec::parse("explode=0.1").is_err());
        assert!(FaultSpec::parse("burst=5/2").is_err());
        assert!(FaultSpec::parse("latency").is_err());
    }
}
