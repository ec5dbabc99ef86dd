//! Fault injection for simulators, chosen per run with a spec such as
//! `5xx=0.05,burst=3/100,latency=50ms,reset=0.01,truncate=0.01,malformed=0.01,content_type=0.01`.
//!
//! - `5xx=P`: answer 500, 502 or 503 with probability P;
//! - `burst=N/M`: in every M requests, the first N answer 503 (a burst of failures);
//! - `latency=D`: delay each response by up to D (`ms` or `s`);
//! - `reset=P`: drop the connection mid-response;
//! - `truncate=P`: cut the JSON body in half (a valid HTTP response, broken JSON);
//! - `malformed=P`: replace the body with something that is not JSON;
//! - `content_type=P`: an HTML error page with `text/html` and status 200;
//! - `drift=N`: from the Nth request on, schema drift ([`Faults::set_drift`]): every
//!   object with an `id` in a read's JSON answer gains a field the platform never
//!   sent (`sim_drift_note`), each record's numeric `id` becomes a string, and answers
//!   carry `Deprecation`/`Sunset` headers (and the platform's own deprecation header,
//!   [`Faults::deprecation_header`]). `drift=0` drifts from the start; a later start
//!   lets polycart learn the shape first, as it would have before a platform change.
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
    /// Schema drift from this request number on.
    pub drift_from: Option<u64>,
}

impl FaultSpec {
    /// No faults.
    pub fn none() -> Self {
        Self::default()
    }

    pub fn is_none(&self) -> bool {
        *self == Self::default()
    }

    /// Whether any fault besides drift is asked for.
    fn fails_requests(&self) -> bool {
        !Self {
            drift_from: None,
            ..self.clone()
        }
        .is_none()
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
                "drift" => {
                    out.drift_from =
                        Some(value.parse().map_err(|_| {
                            format!("fault drift: {value:?} is not a request number")
                        })?);
                }
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
                        "unknown fault {other:?}; known: 5xx, burst, latency, reset, truncate, malformed, content_type, drift"
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
    drift: std::sync::atomic::AtomicBool,
    deprecation_header: Mutex<Option<(http::HeaderName, http::HeaderValue)>>,
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
            drift: std::sync::atomic::AtomicBool::new(false),
            deprecation_header: Mutex::new(None),
        })
    }

    /// Turns schema drift on or off from now on (see the module doc's `drift=N`).
    pub fn set_drift(&self, on: bool) {
        self.drift.store(on, Ordering::Relaxed);
    }

    /// The platform's own deprecation header a drifting simulator sends besides
    /// `Deprecation` and `Sunset` (Shopify's `X-Shopify-API-Deprecated-Reason`).
    pub fn deprecation_header(&self, name: http::HeaderName, value: http::HeaderValue) {
        *self
            .deprecation_header
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = Some((name, value));
    }

    fn drifting(&self, n: u64) -> bool {
        self.drift.load(Ordering::Relaxed) || self.spec.drift_from.is_some_and(|from| n >= from)
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
    let drift = !is_mutating && faults.drifting(n);
    if !spec.fails_requests() {
        let response = next.run(request).await;
        return if drift {
            drifted(&faults, response).await
        } else {
            response
        };
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
        return if drift {
            drifted(&faults, response).await
        } else {
            response
        };
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

/// A fixed announcement date of the simulated deprecation (2025-01-01).
const DEPRECATED_AT: &str = "@1735689600";
/// The simulated sunset.
const SUNSET: &str = "Thu, 01 Jan 2026 00:00:00 GMT";

/// A read's answer with schema drift (see the module doc): deprecation headers, and a
/// JSON body's objects with an `id` given a new field, records' numeric ids as text.
async fn drifted(faults: &Faults, response: Response) -> Response {
    if !response.status().is_success() {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    parts
        .headers
        .insert("deprecation", http::HeaderValue::from_static(DEPRECATED_AT));
    parts
        .headers
        .insert("sunset", http::HeaderValue::from_static(SUNSET));
    if let Some((name, value)) = faults
        .deprecation_header
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone()
    {
        parts.headers.insert(name, value);
    }
    let bytes = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    let Ok(mut value) = serde_json::from_slice::<serde_json::Value>(&bytes) else {
        return Response::from_parts(parts, Body::from(bytes));
    };
    drift_value(&mut value, true);
    parts.headers.remove(http::header::CONTENT_LENGTH);
    let body = serde_json::to_vec(&value).unwrap_or_else(|_| bytes.to_vec());
    Response::from_parts(parts, Body::from(body))
}

/// Adds `sim_drift_note` to every object with an `id`; the outermost ones (the
/// records) get their numeric `id` as a string.
fn drift_value(value: &mut serde_json::Value, outermost: bool) {
    use serde_json::Value;
    match value {
        Value::Object(map) if map.contains_key("id") => {
            map.insert(
                "sim_drift_note".to_owned(),
                Value::String("a field this platform version added".to_owned()),
            );
            if outermost && let Some(Value::Number(id)) = map.get("id") {
                let text = id.to_string();
                map.insert("id".to_owned(), Value::String(text));
            }
            for (key, v) in map.iter_mut() {
                if key != "id" {
                    drift_value(v, false);
                }
            }
        }
        Value::Object(map) => map.values_mut().for_each(|v| drift_value(v, outermost)),
        Value::Array(items) => items.iter_mut().for_each(|v| drift_value(v, outermost)),
        _ => {}
    }
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
    fn drift_adds_a_field_and_turns_record_ids_into_text() {
        let mut v =
            serde_json::json!({"orders": [{"id": 1, "line_items": [{"id": 2}]}], "count": 1});
        drift_value(&mut v, true);
        assert_eq!(v["orders"][0]["id"], "1");
        assert_eq!(v["orders"][0]["line_items"][0]["id"], 2);
        assert!(v["orders"][0]["line_items"][0]["sim_drift_note"].is_string());
        assert!(v.get("sim_drift_note").is_none());
        assert_eq!(FaultSpec::parse("drift=10").unwrap().drift_from, Some(10));
        assert!(FaultSpec::parse("drift=x").is_err());
    }

    #[test]
    fn rejects_bad_specs() {
        assert!(FaultSpec::parse("5xx=2").is_err());
        assert!(FaultSpec::parse("explode=0.1").is_err());
        assert!(FaultSpec::parse("burst=5/2").is_err());
        assert!(FaultSpec::parse("latency").is_err());
    }
}
