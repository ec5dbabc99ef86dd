//! An AIMD request rate for hosts that send no rate-limit headers (WooCommerce core
//! has none; hosts, WAFs and proxies throttle with a bare 429 or 503): the rate drops
//! by a factor on each throttle and climbs back by a fixed step after a run of
//! successes, never above the configured budget nor below a floor. As a
//! [`BudgetReader`] it corrects the store's governor after every response.

use std::sync::Mutex;

use http::{HeaderMap, StatusCode};

use super::{Budget, BudgetObservation, BudgetReader};

/// How an [`AdaptiveRate`] moves.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Aimd {
    /// The rate is multiplied by this on a 429 or 503 (0.5: halved).
    pub decrease: f64,
    /// The rate grows by this share of the budget's rate after each run of successes.
    pub increase_share: f64,
    /// Successes in a row before each increase.
    pub successes: u32,
}

impl Default for Aimd {
    /// Halve on a throttle; after every 20 successes, a tenth of the budget back.
    fn default() -> Self {
        Self {
            decrease: 0.5,
            increase_share: 0.1,
            successes: 20,
        }
    }
}

#[derive(Debug)]
struct State {
    rate: f64,
    successes: u32,
}

/// Additive-increase, multiplicative-decrease request rate.
#[derive(Debug)]
pub struct AdaptiveRate {
    max: Budget,
    floor: f64,
    policy: Aimd,
    state: Mutex<State>,
}

impl AdaptiveRate {
    /// Starts at `max`'s rate, never below `floor` requests per second.
    pub fn new(max: Budget, floor: f64) -> Self {
        Self::with_policy(max, floor, Aimd::default())
    }

    pub fn with_policy(max: Budget, floor: f64, policy: Aimd) -> Self {
        Self {
            max,
            floor: floor.min(max.per_second),
            policy,
            state: Mutex::new(State {
                rate: max.per_second,
                successes: 0,
            }),
        }
    }

    /// The rate in force now, in requests per second.
    pub fn rate(&self) -> f64 {
        self.state.lock().unwrap_or_else(|p| p.into_inner()).rate
    }

    fn observe(&self, rate: f64) -> BudgetObservation {
        let burst = (rate.ceil() as u32).clamp(1, self.max.burst.max(1));
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
        let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if status == StatusCode::TOO_MANY_REQUESTS || status == StatusCode::SERVICE_UNAVAILABLE {
            s.successes = 0;
            let next = (s.rate * self.policy.decrease).max(self.floor);
            if next < s.rate {
                tracing::info!(rate = next, "host throttled: lowering the request rate");
            }
            s.rate = next;
            return Some(self.observe(next));
        }
        if status.is_success() && s.rate < self.max.per_second {
            s.successes += 1;
            if s.successes >= self.policy.successes.max(1) {
                s.successes = 0;
                s.rate = (s.rate + self.max.per_second * self.policy.increase_share)
                    .min(self.max.per_second);
                return Some(self.observe(s.rate));
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decreases_by_a_factor_and_recovers_by_a_step() {
        let r = AdaptiveRate::new(Budget::new(4, 4.0), 0.5);
        let h = HeaderMap::new();
        let obs = r.read(StatusCode::TOO_MANY_REQUESTS, &h, b"").unwrap();
        assert_eq!(obs.refill_per_sec, Some(2.0));
        assert_eq!(obs.capacity, Some(2.0));
        r.read(StatusCode::SERVICE_UNAVAILABLE, &h, b"");
        r.read(StatusCode::TOO_MANY_REQUESTS, &h, b"");
        r.read(StatusCode::TOO_MANY_REQUESTS, &h, b"");
        assert_eq!(r.rate(), 0.5, "never below the floor");
        for _ in 0..19 {
            assert!(r.read(StatusCode::OK, &h, b"").is_none());
        }
        // Additive: a tenth of the 4/s budget per 20 successes.
        let up = r
            .read(StatusCode::OK, &h, b"")
            .unwrap()
            .refill_per_sec
            .unwrap();
        assert!((up - 0.9).abs() < 1e-9, "{up}");
        for _ in 0..20 {
            r.read(StatusCode::OK, &h, b"");
        }
        assert!((r.rate() - 1.3).abs() < 1e-9, "{}", r.rate());
        // A throttle in the middle of a run starts the run again.
        for _ in 0..10 {
            r.read(StatusCode::OK, &h, b"");
        }
        r.read(StatusCode::TOO_MANY_REQUESTS, &h, b"");
        assert!((r.rate() - 0.65).abs() < 1e-9, "{}", r.rate());
        for _ in 0..19 {
            assert!(r.read(StatusCode::OK, &h, b"").is_none());
        }
        for _ in 0..400 {
            r.read(StatusCode::OK, &h, b"");
        }
        assert_eq!(r.rate(), 4.0, "back to the configured budget, not above");
        assert!(
            r.read(StatusCode::OK, &h, b"").is_none(),
            "at the budget: nothing to report"
        );
        // Other failures neither lower nor raise the rate.
        assert!(r.read(StatusCode::INTERNAL_SERVER_ERROR, &h, b"").is_none());
    }

    #[test]
    fn a_floor_above_the_budget_is_the_budget() {
        let r = AdaptiveRate::new(Budget::new(2, 1.0), 5.0);
        r.read(StatusCode::TOO_MANY_REQUESTS, &HeaderMap::new(), b"");
        assert_eq!(r.rate(), 1.0);
    }
}
