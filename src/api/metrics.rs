//! Prometheus metrics in text format for `GET /metrics`: API requests by route and
//! status, platform requests, retries, 429s and governor waits (from the transport's
//! counters), and per-store sync figures supplied by the store at scrape time.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;

use polycart_kit::transport::TransportMetrics;

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
