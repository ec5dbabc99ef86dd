//! Prometheus metrics in text format for `GET /metrics`: API requests by route and
//! status, platform requests, retries, 429s and governor waits (from the transport's
//! counters), sync figures supplied by the store at scrape time — per entity, and
//! per store only when the operator opts in (`POLYCART_METRICS_STORE_LABELS=1`: store
//! ids are tenants' business) — and schema drift and API deprecations per platform
//! (`polycart_schema_drift_fields`, `polycart_api_deprecations`). `POLYCART_METRICS_TOKEN` makes scrapers send it as a
//! bearer token.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use polycart_kit::Secret;
use polycart_kit::transport::TransportMetrics;

use super::AppState;
use super::error::ApiError;

/// The variable holding the bearer token `/metrics` asks for (unset: open).
pub const TOKEN_ENV: &str = "POLYCART_METRICS_TOKEN";
/// The variable that puts store ids in metric labels (`1`).
pub const STORE_LABELS_ENV: &str = "POLYCART_METRICS_STORE_LABELS";

/// Who may scrape and what they see.
#[derive(Debug, Clone, Default)]
pub struct MetricsAccess {
    pub token: Option<Secret>,
    pub store_labels: bool,
}

impl MetricsAccess {
    pub fn from_env() -> Self {
        Self {
            token: std::env::var(TOKEN_ENV)
                .ok()
                .filter(|t| !t.trim().is_empty())
                .map(Secret::new),
            store_labels: std::env::var(STORE_LABELS_ENV).is_ok_and(|v| v.trim() == "1"),
        }
    }

    fn admits(&self, headers: &HeaderMap) -> bool {
        let Some(token) = &self.token else {
            return true;
        };
        headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(super::auth::bearer_token)
            .is_some_and(|given| {
                polycart_kit::auth::hmac::constant_time_eq(
                    given.as_bytes(),
                    token.expose().as_bytes(),
                )
            })
    }
}

/// `GET /metrics`.
pub async fn scrape(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    if !state.metrics_access.admits(&headers) {
        return ApiError::Unauthenticated.into_response();
    }
    let per_store = state.metrics_access.store_labels;
    let mut gauges = Vec::new();
    if let Ok(stats) = state.store.entity_stats().await {
        let mut records = Gauge {
            name: "polycart_records",
            help: "Stored live records per entity (and store, where store labels are on).",
            values: Vec::new(),
        };
        let mut lag = Gauge {
            name: "polycart_sync_lag_seconds",
            help: "Seconds since the start of the last finished sync pass per entity, the worst store's (or per store, where store labels are on).",
            values: Vec::new(),
        };
        let now = chrono::Utc::now();
        // Without store labels: records summed and the worst lag, per entity.
        let mut by_labels: BTreeMap<Vec<(&'static str, String)>, (f64, Option<f64>)> =
            BTreeMap::new();
        for s in stats {
            let mut labels = vec![("entity", s.entity.as_str().to_owned())];
            if per_store {
                labels.insert(0, ("store", s.store_id));
            }
            let entry = by_labels.entry(labels).or_default();
            entry.0 += s.live_records as f64;
            if let Some(w) = s.synced_through {
                let secs = ((now - w).num_milliseconds() as f64 / 1000.0).max(0.0);
                entry.1 = Some(entry.1.map_or(secs, |l: f64| l.max(secs)));
            }
        }
        for (labels, (count, worst_lag)) in by_labels {
            if let Some(l) = worst_lag {
                lag.values.push((labels.clone(), l));
            }
            records.values.push((labels, count));
        }
        gauges.push(records);
        gauges.push(lag);
    }
    if let Ok(report) = super::drift::report(state.store.as_ref(), None).await {
        gauges.extend(super::drift::gauges(&report));
    }
    let text = state.api_metrics.render(&state.transport_metrics, &gauges);
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4",
        )],
        text,
    )
        .into_response()
}

/// API-side counters.
#[derive(Debug, Default)]
pub struct ApiMetrics {
    requests: Mutex<BTreeMap<(String, String, u16), u64>>,
}

impl ApiMetrics {
    pub fn record(&self, method: &str, route: &str, status: u16) {
        let mut map = self.requests.lock().unwrap_or_else(|p| p.into_inner());
        *map.entry((method.to_owned(), route.to_owned(), status))
            .or_default() += 1;
    }

    /// The Prometheus text exposition of API and transport counters plus `extra`
    /// gauges (name, help, labelled values).
    pub fn render(&self, transport: &TransportMetrics, extra: &[Gauge]) -> String {
        let mut out = String::new();
        out.push_str("# HELP polycart_http_requests_total API requests by route and status.\n");
        out.push_str("# TYPE polycart_http_requests_total counter\n");
        for ((method, route, status), n) in self
            .requests
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
        {
            let _ = writeln!(
                out,
                "polycart_http_requests_total{{method=\"{method}\",route=\"{}\",status=\"{status}\"}} {n}",
                escape(route)
            );
        }
        let t = transport.snapshot();
        for (name, help, value) in [
            (
                "polycart_platform_requests_total",
                "Requests sent to platforms.",
                t.requests as f64,
            ),
            (
                "polycart_platform_retries_total",
                "Platform requests retried.",
                t.retries as f64,
            ),
            (
                "polycart_platform_throttled_total",
                "429 answers received from platforms.",
                t.throttled_429 as f64,
            ),
            (
                "polycart_platform_errors_total",
                "Platform requests that failed after retries.",
                t.errors as f64,
            ),
            (
                "polycart_governor_wait_seconds_total",
                "Time spent waiting for rate budget.",
                t.governor_wait.as_secs_f64(),
            ),
        ] {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {value}"
            );
        }
        for g in extra {
            let _ = writeln!(out, "# HELP {} {}\n# TYPE {} gauge", g.name, g.help, g.name);
            for (labels, value) in &g.values {
                let labels: Vec<String> = labels
                    .iter()
                    .map(|(k, v)| format!("{k}=\"{}\"", escape(v)))
                    .collect();
                let _ = writeln!(out, "{}{{{}}} {value}", g.name, labels.join(","));
            }
        }
        out
    }
}

/// A labelled gauge computed at scrape time.
#[derive(Debug, Clone)]
pub struct Gauge {
    pub name: &'static str,
    pub help: &'static str,
    pub values: Vec<(Vec<(&'static str, String)>, f64)>,
}

fn escape(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_and_gauges() {
        let m = ApiMetrics::default();
        m.record("GET", "/v1/stores/{store}/orders", 200);
        m.record("GET", "/v1/stores/{store}/orders", 200);
        let text = m.render(
            &TransportMetrics::default(),
            &[Gauge {
                name: "polycart_sync_lag_seconds",
                help: "Lag.",
                values: vec![(vec![("store", "s\"1".into())], 3.0)],
            }],
        );
        assert!(text.contains("polycart_http_requests_total{method=\"GET\",route=\"/v1/stores/{store}/orders\",status=\"200\"} 2"));
        assert!(text.contains("polycart_sync_lag_seconds{store=\"s\\\"1\"} 3"));
        assert!(text.contains("polycart_platform_requests_total 0"));
    }
}
