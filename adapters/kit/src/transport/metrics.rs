//! Counters the transport keeps (requests, retries, 429s, governor waits), shared by
//! every store of a process or kept per store by benches. A store's own counters can
//! roll up into the process's ([`TransportMetrics::child_of`]): the dashboard reads a
//! store's, `/metrics` the process's.

use std::sync::Arc;
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
    /// The governor's allowed rate at the last request, in thousandths of a unit per
    /// second (a gauge; 0 before the first request).
    pub allowed_milli_per_sec: AtomicU64,
    /// Counters every count also goes to (the process's, for a store's own).
    parent: Option<Arc<TransportMetrics>>,
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
    /// Units per second the governor allowed at the last request (0: none yet).
    pub allowed_per_sec: f64,
}

impl TransportMetrics {
    /// Counters of their own whose every count also goes to `parent`.
    pub fn child_of(parent: Arc<TransportMetrics>) -> Self {
        Self {
            parent: Some(parent),
            ..Self::default()
        }
    }

    pub fn snapshot(&self) -> MetricsSnapshot {
        MetricsSnapshot {
            requests: self.requests.load(Ordering::Relaxed),
            retries: self.retries.load(Ordering::Relaxed),
            throttled_429: self.throttled_429.load(Ordering::Relaxed),
            errors: self.errors.load(Ordering::Relaxed),
            governor_wait: Duration::from_nanos(self.governor_wait_nanos.load(Ordering::Relaxed)),
            budget_spent: self.budget_spent.load(Ordering::Relaxed),
            allowed_per_sec: self.allowed_milli_per_sec.load(Ordering::Relaxed) as f64 / 1000.0,
        }
    }

    /// Adds `n` to the counter `which` picks, here and in every parent.
    pub(crate) fn add(&self, which: fn(&TransportMetrics) -> &AtomicU64, n: u64) {
        let mut at = Some(self);
        while let Some(m) = at {
            which(m).fetch_add(n, Ordering::Relaxed);
            at = m.parent.as_deref();
        }
    }

    /// Records the rate the governor allows now (here and in every parent: the
    /// process's gauge shows the last store's, which only a per-store reader needs).
    pub(crate) fn set_allowed(&self, per_sec: f64) {
        let milli = (per_sec.max(0.0) * 1000.0).round() as u64;
        let mut at = Some(self);
        while let Some(m) = at {
            m.allowed_milli_per_sec.store(milli, Ordering::Relaxed);
            at = m.parent.as_deref();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_childs_counts_roll_up_into_its_parent() {
        let process = Arc::new(TransportMetrics::default());
        let a = TransportMetrics::child_of(process.clone());
        let b = TransportMetrics::child_of(process.clone());
        a.add(|m| &m.requests, 2);
        b.add(|m| &m.requests, 3);
        b.add(|m| &m.throttled_429, 1);
        a.set_allowed(2.5);
        assert_eq!(a.snapshot().requests, 2);
        assert_eq!(b.snapshot().requests, 3);
        assert_eq!(process.snapshot().requests, 5);
        assert_eq!(process.snapshot().throttled_429, 1);
        assert_eq!(a.snapshot().allowed_per_sec, 2.5);
        assert_eq!(b.snapshot().allowed_per_sec, 0.0);
    }
}
