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

/// Two fixed-window quotas reported side by side: a short window and a long one
/// (Etsy: `x-limit-per-second`/`x-remaining-this-second` and
/// `x-limit-per-day`/`x-remaining-today`). The governor holds one budget, so this
/// reader reports the window that binds now — the one with less left — as a fixed
/// window (`remaining` and `reset_after`):
///
/// - the short window resets within `short_secs` of the report (the platform says
///   not when exactly; waiting a whole window from the report is always late enough);
/// - the long window resets after the response's `Retry-After` or, without one,
///   `long_recheck`: the governor grants what is left, then waits that long and lets
///   one request through to read the headers again (a sliding day frees budget
///   gradually and does not say when).
///
/// `capacity` and `refill_per_sec` are the short window's, so between reports the
/// governor paces at the short limit.
#[derive(Debug, Clone)]
pub struct TwoWindowHeaders {
    pub short_limit: &'static str,
    pub short_remaining: &'static str,
    /// The short window's length in seconds (1 for a per-second limit).
    pub short_secs: f64,
    pub long_limit: &'static str,
    pub long_remaining: &'static str,
    /// How long to hold requests once the long window is spent, when the platform
    /// does not say (`Retry-After`).
    pub long_recheck: Duration,
}

impl BudgetReader for TwoWindowHeaders {
    fn read(&self, _: StatusCode, headers: &HeaderMap, _: &[u8]) -> Option<BudgetObservation> {
        let limit = header_f64(headers, self.short_limit).filter(|l| *l > 0.0);
        let short = header_f64(headers, self.short_remaining);
        let long = header_f64(headers, self.long_remaining);
        let short_secs = if self.short_secs > 0.0 {
            self.short_secs
        } else {
            1.0
        };
        let refill_per_sec = limit.map(|l| l / short_secs);
        let long_reset = || {
            super::retry::retry_after(headers)
                .filter(|a| !a.is_zero())
                .unwrap_or(self.long_recheck)
        };
        let (remaining, reset) = match (short, long) {
            (None, None) => return None,
            (Some(s), Some(l)) if l <= s => (l, long_reset()),
            (None, Some(l)) => (l, long_reset()),
            (Some(s), _) => (s, Duration::from_secs_f64(short_secs)),
        };
        Some(BudgetObservation {
            capacity: limit,
            remaining: Some(remaining.max(0.0)),
            refill_per_sec,
            reset_after: Some(reset),
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

    fn etsy() -> TwoWindowHeaders {
        TwoWindowHeaders {
            short_limit: "x-limit-per-second",
            short_remaining: "x-remaining-this-second",
            short_secs: 1.0,
            long_limit: "x-limit-per-day",
            long_remaining: "x-remaining-today",
            long_recheck: Duration::from_secs(300),
        }
    }

    #[test]
    fn two_windows_report_the_one_that_binds() {
        let r = etsy();
        // Plenty left today: the second, as a window that ends within a second.
        let h = headers(&[
            ("x-limit-per-second", "10"),
            ("x-remaining-this-second", "7"),
            ("x-limit-per-day", "10000"),
            ("x-remaining-today", "9000"),
        ]);
        let o = r.read(StatusCode::OK, &h, b"").unwrap();
        assert_eq!(
            (o.capacity, o.remaining, o.refill_per_sec, o.reset_after),
            (
                Some(10.0),
                Some(7.0),
                Some(10.0),
                Some(Duration::from_secs(1))
            )
        );
        // Less left today than this second: the day binds until a recheck.
        let h = headers(&[
            ("x-limit-per-second", "10"),
            ("x-remaining-this-second", "9"),
            ("x-limit-per-day", "10000"),
            ("x-remaining-today", "3"),
        ]);
        let o = r.read(StatusCode::OK, &h, b"").unwrap();
        assert_eq!(o.remaining, Some(3.0));
        assert_eq!(
            o.refill_per_sec,
            Some(10.0),
            "paced per second between reports"
        );
        assert_eq!(o.reset_after, Some(Duration::from_secs(300)));
        // A spent day with Etsy's Retry-After: held that long.
        let h = headers(&[
            ("x-limit-per-second", "10"),
            ("x-remaining-this-second", "9"),
            ("x-limit-per-day", "10000"),
            ("x-remaining-today", "0"),
            ("retry-after", "86400"),
        ]);
        let o = r.read(StatusCode::TOO_MANY_REQUESTS, &h, b"").unwrap();
        assert_eq!(o.reset_after, Some(Duration::from_secs(86_400)));
        assert_eq!(o.remaining, Some(0.0));
        // A per-second 429 carries the second's headers only.
        let h = headers(&[
            ("x-limit-per-second", "10"),
            ("x-remaining-this-second", "0"),
        ]);
        let o = r.read(StatusCode::TOO_MANY_REQUESTS, &h, b"").unwrap();
        assert_eq!(
            (o.remaining, o.reset_after),
            (Some(0.0), Some(Duration::from_secs(1)))
        );
        // Only the day reported: it is the window there is.
        let h = headers(&[("x-remaining-today", "40")]);
        let o = r.read(StatusCode::OK, &h, b"").unwrap();
        assert_eq!(
            (o.remaining, o.reset_after),
            (Some(40.0), Some(Duration::from_secs(300)))
        );
        assert!(r.read(StatusCode::OK, &HeaderMap::new(), b"").is_none());
    }

    #[test]
    fn a_spent_second_waits_a_whole_window_from_its_report() {
        use super::super::governor::{Budget, Governor};
        use governor::clock::FakeRelativeClock;
        let clock = FakeRelativeClock::default();
        let gov = Governor::with_clock(Budget::new(10, 10.0), clock.clone());
        let h = headers(&[
            ("x-limit-per-second", "2"),
            ("x-remaining-this-second", "1"),
            ("x-limit-per-day", "10000"),
            ("x-remaining-today", "9000"),
        ]);
        gov.try_acquire(1).unwrap();
        gov.finish(1, etsy().read(StatusCode::OK, &h, b""));
        assert_eq!(gov.budget(), Budget::new(2, 2.0), "the limit is learned");
        gov.try_acquire(1).unwrap();
        gov.finish(1, None);
        // However the platform's second is phased, a second from the report is past it.
        assert_eq!(gov.try_acquire(1).unwrap_err(), Duration::from_secs(1));
    }

    #[test]
    fn a_spent_day_holds_the_governor_until_the_recheck() {
        use super::super::governor::{Budget, Governor};
        use governor::clock::FakeRelativeClock;
        let clock = FakeRelativeClock::default();
        let gov = Governor::with_clock(Budget::new(10, 10.0), clock.clone());
        let h = headers(&[
            ("x-limit-per-second", "10"),
            ("x-remaining-this-second", "9"),
            ("x-limit-per-day", "10000"),
            ("x-remaining-today", "2"),
        ]);
        gov.try_acquire(1).unwrap();
        gov.finish(1, etsy().read(StatusCode::OK, &h, b""));
        // Two requests are left today, then nothing until the recheck.
        for _ in 0..2 {
            gov.try_acquire(1).unwrap();
            gov.finish(1, None);
        }
        assert_eq!(gov.try_acquire(1).unwrap_err(), Duration::from_secs(300));
        clock.advance(Duration::from_secs(300));
        assert!(gov.try_acquire(1).is_ok(), "one request asks again");
    }
}
