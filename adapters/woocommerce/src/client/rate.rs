//! Adaptive back-off for hosts without rate-limit headers (WooCommerce core has none,
//! hosts and WAFs throttle): the request rate halves on a 429 or a 503 and is won back
//! slowly, never above the store's configured budget nor below its floor.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};

use http::{HeaderMap, StatusCode};
use polycart_kit::transport::{Budget, BudgetObservation, BudgetReader};

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

#[cfg(test)]
mod tests {
    use super::*;

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
}
