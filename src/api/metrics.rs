//! Prometheus metrics in text format for `GET /metrics`: API requests by route and
//! status, platform requests, retries, 429s and governor waits (the process totals
//! from the transport's counters), and per platform — per store only when the operator
//! opts in (`POLYCART_METRICS_STORE_LABELS=1`: store ids are tenants' business) — the
//! same transport counters, the platform's reported budget use, store health states
//! (the circuit breaker) and sync figures from the store (records, lag), and schema
//! drift and API deprecations per platform (`polycart_schema_drift_fields`,
//! `polycart_api_deprecations`). `POLYCART_METRICS_TOKEN` makes scrapers send it as a
//! bearer token.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use polycart_kit::Secret;
use polycart_kit::transport::{StoreSnapshot, TransportMetrics};

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
    let stores = state.store.list_stores().await.unwrap_or_default();
    let stats = state.store.entity_stats().await.ok();
    let scrape = StoreScrape {
        stores: &stores,
        stats,
        transport: state.transport_metrics.stores(),
        per_store,
        now: chrono::Utc::now(),
    };
    let mut families = scrape.families();
    if let Ok(report) = super::drift::report(state.store.as_ref(), None).await {
        families.extend(super::drift::gauges(&report));
    }
    let text = state
        .api_metrics
        .render(&state.transport_metrics, &families);
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4",
        )],
        text,
    )
        .into_response()
}

/// What one scrape knows about stores: their health, their sync figures and their
/// transport counters. Labelled by platform, and by store only with the opt-in.
pub struct StoreScrape<'a> {
    pub stores: &'a [crate::store::StoreInfo],
    /// `None` when the store could not say (the sync gauges are left out).
    pub stats: Option<Vec<crate::store::EntityStats>>,
    pub transport: Vec<(String, StoreSnapshot)>,
    pub per_store: bool,
    pub now: chrono::DateTime<chrono::Utc>,
}

type Labels = Vec<(&'static str, String)>;

impl StoreScrape<'_> {
    /// `platform` (and `store` where store labels are on) for one store.
    fn labels(&self, store: &str, platform: &str) -> Labels {
        let mut labels = vec![("platform", platform.to_owned())];
        if self.per_store {
            labels.insert(0, ("store", store.to_owned()));
        }
        labels
    }

    pub fn families(&self) -> Vec<Gauge> {
        let platform_of: BTreeMap<&str, &str> = self
            .stores
            .iter()
            .map(|s| (s.id.as_str(), s.platform.as_str()))
            .collect();
        let mut out = Vec::new();
        if let Some(stats) = &self.stats {
            // Without store labels: records summed and the worst lag, per platform and
            // entity.
            let mut by_labels: BTreeMap<Labels, (f64, Option<f64>)> = BTreeMap::new();
            for s in stats {
                let platform = platform_of
                    .get(s.store_id.as_str())
                    .copied()
                    .unwrap_or("unknown");
                let mut labels = self.labels(&s.store_id, platform);
                labels.push(("entity", s.entity.as_str().to_owned()));
                let entry = by_labels.entry(labels).or_default();
                entry.0 += s.live_records as f64;
                if let Some(w) = s.synced_through {
                    let secs = ((self.now - w).num_milliseconds() as f64 / 1000.0).max(0.0);
                    entry.1 = Some(entry.1.map_or(secs, |l: f64| l.max(secs)));
                }
            }
            let mut records = Gauge::new(
                "polycart_records",
                "Stored live records per platform and entity (and store, where store labels are on).",
            );
            let mut lag = Gauge::new(
                "polycart_sync_lag_seconds",
                "Seconds since the start of the last finished sync pass per platform and entity, the worst store's (or per store, where store labels are on).",
            );
            for (labels, (count, worst_lag)) in by_labels {
                if let Some(l) = worst_lag {
                    lag.values.push((labels.clone(), l));
                }
                records.values.push((labels, count));
            }
            out.push(records);
            out.push(lag);
        }

        let mut circuit = Gauge::new(
            "polycart_store_circuit_state",
            "Stores per platform in each health state (active, circuit_open, half_open, auth_failed, paused); 1 for the store's state where store labels are on.",
        );
        let mut states: BTreeMap<Labels, f64> = BTreeMap::new();
        for s in self.stores {
            let mut labels = self.labels(&s.id, &s.platform);
            labels.push(("state", s.state.as_str().to_owned()));
            *states.entry(labels).or_default() += 1.0;
        }
        circuit.values = states.into_iter().collect();
        out.push(circuit);

        type Pick = fn(&StoreSnapshot) -> f64;
        let counters: [(&'static str, &'static str, Pick); 5] = [
            (
                "polycart_store_requests_total",
                "Requests sent to platforms, per platform (and store, where store labels are on).",
                |s| s.requests as f64,
            ),
            (
                "polycart_store_retries_total",
                "Platform requests retried, per platform (and store, where store labels are on).",
                |s| s.retries as f64,
            ),
            (
                "polycart_store_throttled_total",
                "429 answers from platforms, per platform (and store, where store labels are on).",
                |s| s.throttled_429 as f64,
            ),
            (
                "polycart_store_errors_total",
                "Platform requests that failed after retries, per platform (and store, where store labels are on).",
                |s| s.errors as f64,
            ),
            (
                "polycart_store_governor_wait_seconds_total",
                "Time spent waiting for rate budget, per platform (and store, where store labels are on).",
                |s| s.governor_wait.as_secs_f64(),
            ),
        ];
        for (name, help, pick) in counters {
            let mut family = Gauge::counter(name, help);
            let mut sums: BTreeMap<Labels, f64> = BTreeMap::new();
            for (store, snapshot) in &self.transport {
                *sums
                    .entry(self.labels(store, snapshot.platform))
                    .or_default() += pick(snapshot);
            }
            family.values = sums.into_iter().collect();
            out.push(family);
        }
        let mut budget = Gauge::new(
            "polycart_store_budget_utilisation_ratio",
            "The share (0-1) of the platform's rate budget in use at its last report (within 5 minutes), the busiest store's per platform (or per store, where store labels are on).",
        );
        let mut worst: BTreeMap<Labels, f64> = BTreeMap::new();
        for (store, snapshot) in &self.transport {
            if let Some(u) = snapshot.budget_utilisation {
                let e = worst
                    .entry(self.labels(store, snapshot.platform))
                    .or_insert(u);
                *e = e.max(u);
            }
        }
        budget.values = worst.into_iter().collect();
        out.push(budget);
        out
    }
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
            let _ = writeln!(
                out,
                "# HELP {} {}\n# TYPE {} {}",
                g.name, g.help, g.name, g.kind
            );
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

/// A labelled metric family computed at scrape time (a gauge, or a counter kept
/// elsewhere and read now).
#[derive(Debug, Clone)]
pub struct Gauge {
    pub name: &'static str,
    pub help: &'static str,
    /// `gauge` or `counter`.
    pub kind: &'static str,
    pub values: Vec<(Vec<(&'static str, String)>, f64)>,
}

impl Gauge {
    pub fn new(name: &'static str, help: &'static str) -> Self {
        Self {
            name,
            help,
            kind: "gauge",
            values: Vec::new(),
        }
    }

    pub fn counter(name: &'static str, help: &'static str) -> Self {
        Self {
            kind: "counter",
            ..Self::new(name, help)
        }
    }
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
                values: vec![(vec![("store", "s\"1".into())], 3.0)],
                ..Gauge::new("polycart_sync_lag_seconds", "Lag.")
            }],
        );
        assert!(text.contains("polycart_http_requests_total{method=\"GET\",route=\"/v1/stores/{store}/orders\",status=\"200\"} 2"));
        assert!(text.contains("polycart_sync_lag_seconds{store=\"s\\\"1\"} 3"));
        assert!(text.contains("polycart_platform_requests_total 0"));
    }

    fn store(id: &str, platform: &str, state: crate::store::StoreState) -> crate::store::StoreInfo {
        crate::store::StoreInfo {
            id: id.into(),
            name: id.into(),
            platform: platform.into(),
            base_url: "https://x.example".into(),
            settings: Default::default(),
            entities: vec![],
            interval_secs: 3600,
            state,
            failures: 0,
            last_error: None,
            retry_at: None,
            created_at: chrono::Utc::now(),
        }
    }

    fn snapshot(platform: &'static str, n: u64, budget: Option<f64>) -> StoreSnapshot {
        StoreSnapshot {
            platform,
            requests: n,
            retries: n,
            throttled_429: n,
            errors: 0,
            governor_wait: std::time::Duration::from_millis(500),
            budget_utilisation: budget,
        }
    }

    #[test]
    fn store_figures_are_per_platform_unless_store_labels_are_on() {
        use crate::store::StoreState::{Active, CircuitOpen};
        let now = chrono::Utc::now();
        let stores = [
            store("s1", "shopify", Active),
            store("s2", "shopify", CircuitOpen),
            store("s3", "woocommerce", Active),
        ];
        let stats = vec![
            crate::store::EntityStats {
                store_id: "s1".into(),
                entity: polycart_kit::Entity::Order,
                live_records: 5,
                synced_through: Some(now - chrono::Duration::seconds(10)),
            },
            crate::store::EntityStats {
                store_id: "s2".into(),
                entity: polycart_kit::Entity::Order,
                live_records: 7,
                synced_through: Some(now - chrono::Duration::seconds(90)),
            },
        ];
        let render = |per_store: bool| {
            let scrape = StoreScrape {
                stores: &stores,
                stats: Some(stats.clone()),
                transport: vec![
                    ("s1".into(), snapshot("shopify", 3, Some(0.25))),
                    ("s2".into(), snapshot("shopify", 4, Some(0.5))),
                    ("s3".into(), snapshot("woocommerce", 1, None)),
                ],
                per_store,
                now,
            };
            ApiMetrics::default().render(&TransportMetrics::default(), &scrape.families())
        };

        let text = render(false);
        assert!(!text.contains("s1") && !text.contains("s2"), "{text}");
        for line in [
            "polycart_records{platform=\"shopify\",entity=\"order\"} 12",
            "polycart_sync_lag_seconds{platform=\"shopify\",entity=\"order\"} 90",
            "polycart_store_circuit_state{platform=\"shopify\",state=\"active\"} 1",
            "polycart_store_circuit_state{platform=\"shopify\",state=\"circuit_open\"} 1",
            "polycart_store_circuit_state{platform=\"woocommerce\",state=\"active\"} 1",
            "polycart_store_requests_total{platform=\"shopify\"} 7",
            "polycart_store_retries_total{platform=\"shopify\"} 7",
            "polycart_store_throttled_total{platform=\"woocommerce\"} 1",
            "polycart_store_governor_wait_seconds_total{platform=\"shopify\"} 1",
            "polycart_store_budget_utilisation_ratio{platform=\"shopify\"} 0.5",
            "# TYPE polycart_store_requests_total counter",
            "# TYPE polycart_store_circuit_state gauge",
        ] {
            assert!(text.contains(line), "{line} missing from\n{text}");
        }
        assert!(!text.contains("polycart_store_budget_utilisation_ratio{platform=\"woocommerce\""));

        let text = render(true);
        for line in [
            "polycart_sync_lag_seconds{store=\"s1\",platform=\"shopify\",entity=\"order\"} 10",
            "polycart_store_circuit_state{store=\"s2\",platform=\"shopify\",state=\"circuit_open\"} 1",
            "polycart_store_throttled_total{store=\"s2\",platform=\"shopify\"} 4",
            "polycart_store_budget_utilisation_ratio{store=\"s1\",platform=\"shopify\"} 0.25",
        ] {
            assert!(text.contains(line), "{line} missing from\n{text}");
        }
    }
}
