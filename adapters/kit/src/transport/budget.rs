//! What platforms say about their rate budget, and readers that turn their headers
//! (or response bodies) into a [`BudgetObservation`] the governor corrects itself by.

use std::time::Duration;

use http::{HeaderMap, StatusCode};

/// A platform's report of its budget after one response. Every part is optional:
/// readers fill in what the platform says.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct BudgetObservation {
    /// Bucket size, or requests per window.
    pub capacity: Option<f64>,
    /// What is left right now.
    pub remaining: Option<f64>,
    /// How fast the budget refills, in units per second.
    pub refill_per_sec: Option<f64>,
    /// When a fixed window resets in full.
    pub reset_after: Option<Duration>,
}

/// Reads a platform's budget from a response. Adapters pick a ready reader below or
/// write one (Shopify GraphQL reads `extensions.cost.throttleStatus` from the body).
pub trait BudgetReader: Send + Sync {
    fn read(
        &self,
        status: StatusCode,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Option<BudgetObservation>;
}

fn header_str<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers.get(name)?.to_str().ok().map(str::trim)
}

fn header_f64(headers: &HeaderMap, name: &str) -> Option<f64> {
    header_str(headers, name)?.parse().ok()
}

/// A leaky bucket reported as `used/size` in one header (Shopify's
/// `X-Shopify-Shop-Api-Call-Limit: 39/40`); the leak rate is `size / seconds_to_drain`.
#[derive(Debug, Clone)]
pub struct UsedOfSizeHeader {
    pub header: &'static str,
    /// How long a full bucket takes to drain (Shopify: 20 s, so 40 → 2/s, 400 → 20/s).
    pub seconds_to_drain: f64,
}

impl BudgetReader for UsedOfSizeHeader {
    fn read(&self, _: StatusCode, headers: &HeaderMap, _: &[u8]) -> Option<BudgetObservation> {
        let (used, size) = header_str(headers, self.header)?.split_once('/')?;
        let used: f64 = used.trim().parse().ok()?;
        let size: f64 = size.trim().parse().ok()?;
        if size <= 0.0 {
            return None;
        }
        Some(BudgetObservation {
            capacity: Some(size),
            remaining: Some((size - used).max(0.0)),
            refill_per_sec: Some(size / self.seconds_to_drain),
            reset_after: None,
        })
    }
}

/// A fixed-window quota reported in four headers (BigCommerce's `X-Rate-Limit-*`).
#[derive(Debug, Clone)]
pub struct WindowHeaders {
    pub remaining: &'static str,
    pub quota: &'static str,
    pub window_ms: &'static str,
    pub reset_ms: &'static str,
}

impl BudgetReader for WindowHeaders {
    fn read(&self, _: StatusCode, headers: &HeaderMap, _: &[u8]) -> Option<BudgetObservation> {
        let remaining = header_f64(headers, self.remaining);
        let quota = header_f64(headers, self.quota);
        let window = header_f64(headers, self.window_ms).filter(|w| *w > 0.0);
        let reset = header_f64(headers, self.reset_ms).filter(|r| *r >= 0.0);
        if remaining.is_none() && reset.is_none() {
            return None;
        }
        Some(BudgetObservation {
            capacity: quota,
            remaining,
            refill_per_sec: quota.zip(window).map(|(q, w)| q / (w / 1000.0)),
            reset_after: reset.map(|ms| Duration::from_secs_f64(ms / 1000.0)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn reads_shopify_style_bucket() {
        let r = UsedOfSizeHeader {
            header: "x-shopify-shop-api-call-limit",
            seconds_to_drain: 20.0,
        };
        let o = r
            .read(
                StatusCode::OK,
                &headers(&[("x-shopify-shop-api-call-limit", "39/40")]),
                b"",
            )
            .unwrap();
        assert_eq!(o.capacity, Some(40.0));
        assert_eq!(o.remaining, Some(1.0));
        assert_eq!(o.refill_per_sec, Some(2.0));
    }

    #[test]
    fn reads_window_headers() {
        let r = WindowHeaders {
            remaining: "x-rate-limit-requests-left",
            quota: "x-rate-limit-requests-quota",
            window_ms: "x-rate-limit-time-window-ms",
            reset_ms: "x-rate-limit-time-reset-ms",
        };
        let h = headers(&[
            ("x-rate-limit-requests-left", "0"),
            ("x-rate-limit-requests-quota", "150"),
            ("x-rate-limit-time-window-ms", "30000"),
            ("x-rate-limit-time-reset-ms", "1200"),
        ]);
        let o = r.read(StatusCode::OK, &h, b"").unwrap();
        assert_eq!(o.remaining, Some(0.0));
        assert_eq!(o.refill_per_sec, Some(5.0));
        assert_eq!(o.reset_after, Some(Duration::from_millis(1200)));
    }
}
