//! Counters the transport keeps (requests, retries, 429s, governor waits), shared by
//! every store of a process or kept per store by benches.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Transport counters; cheap to update from many tasks.
#[derive(Debug, Default)]
pub struct TransportMetrics {
    pub requests: AtomicU64,
    pub retries: AtomicU64,
    pub throttled_429: AtomicU64,
    pub errors: AtomicU64,
    pub governor_wait_nanos: AtomicU64,
    /// Budget units spent (requests, or GraphQL cost points).
    pub budget_spent: AtomicU64,
}

/// A point-in-time copy of [`TransportMetrics`].
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct MetricsSnapshot {
    pub requests: u64,
    pub retries: u64,
    pub throttled_429: u64,
    pub errors: u64,
    pub governor_wait: Duration,
    pub budget_spent: u64,
}

impl TransportMetrics {
    pub fn snapshot(&self) -> MetricsSnapshot {
        MetricsSnapshot {
            requests: self.requests.load(Ordering::Relaxed),
            retries: self.retries.load(Ordering::Relaxed),
            throttled_429: self.throttled_429.load(Ordering::Relaxed),
            errors: self.errors.load(Ordering::Relaxed),
            governor_wait: Duration::from_nanos(self.governor_wait_nanos.load(Ordering::Relaxed)),
            budget_spent: self.budget_spent.load(Ordering::Relaxed),
        }
    }

    pub(crate) fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }
}
