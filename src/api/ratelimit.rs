//! Per-API-key rate limiting (GCRA from the `governor` crate): a key over its budget
//! gets `429` with `Retry-After`, other keys are unaffected.

use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{Quota, RateLimiter};

/// Requests per second and burst allowed to each key.
#[derive(Debug, Clone, Copy)]
pub struct KeyQuota {
    pub per_second: u32,
    pub burst: u32,
}

impl Default for KeyQuota {
    fn default() -> Self {
        Self {
            per_second: 50,
            burst: 100,
        }
    }
}

/// The limiter, keyed by API key id.
pub struct KeyLimiter {
    limiter: RateLimiter<String, governor::state::keyed::HashMapStateStore<String>, DefaultClock>,
    clock: DefaultClock,
}

impl std::fmt::Debug for KeyLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyLimiter")
    }
}

impl KeyLimiter {
    pub fn new(quota: KeyQuota) -> Self {
        let q = Quota::per_second(NonZeroU32::new(quota.per_second.max(1)).expect("at least 1"))
            .allow_burst(NonZeroU32::new(quota.burst.max(1)).expect("at least 1"));
        Self {
            limiter: RateLimiter::hashmap(q),
            clock: DefaultClock::default(),
        }
    }

    /// `Ok` when `key` may make a request now, else how long until it may.
    pub fn check(&self, key: &str) -> Result<(), Duration> {
        self.limiter
            .check_key(&key.to_owned())
            .map_err(|not_until| not_until.wait_time_from(self.clock.now()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_each_key_on_its_own() {
        let l = KeyLimiter::new(KeyQuota {
            per_second: 1,
            burst: 2,
        });
        assert!(l.check("a").is_ok());
        assert!(l.check("a").is_ok());
        let wait = l.check("a").unwrap_err();
        assert!(wait > Duration::ZERO && wait <= Duration::from_secs(1));
        assert!(l.check("b").is_ok());
    }
}
