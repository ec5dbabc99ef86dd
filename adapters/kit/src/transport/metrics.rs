//! Counters the transport keeps (requests, retries, 429s, governor waits), shared by
//! every store of a process or kept per store by benches. Beside the process totals,
//! each store that sends through a transport has its own [`StoreMetrics`] (the same
//! counters plus the platform's last reported budget use), so `/metrics` can show them
//! per store where the operator opts in, or summed per platform where not. Counters
//! can also roll up into a parent's ([`TransportMetrics::child_of`]): the dashboard's
//! per-store meters read a store's own, with the governor's allowed rate.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::budget::BudgetObservation;

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
    /// Per store, keyed by store id: registered by each transport when built (in the
    /// root of a chain of [`TransportMetrics::child_of`]).
    stores: Mutex<BTreeMap<String, Arc<StoreMetrics>>>,
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

    /// The end of the chain of parents: where stores register.
    fn root(&self) -> &TransportMetrics {
        let mut at = self;
        while let Some(p) = at.parent.as_deref() {
            at = p;
        }
        at
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

    /// The counters of one store (created on first use; every transport of the store,
    /// one per API family, shares them).
    pub fn store(&self, store_id: &str, platform: &'static str) -> Arc<StoreMetrics> {
        self.root()
            .stores
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(store_id.to_owned())
            .or_insert_with(|| {
                Arc::new(StoreMetrics {
                    platform,
                    ..StoreMetrics::default()
                })
            })
            .clone()
    }

    /// Every store's counters, by store id.
    pub fn stores(&self) -> Vec<(String, StoreSnapshot)> {
        self.root()
            .stores
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .map(|(id, m)| (id.clone(), m.snapshot()))
            .collect()
    }
}

/// One store's transport counters.
#[derive(Debug, Default)]
pub struct StoreMetrics {
    platform: &'static str,
    requests: AtomicU64,
    retries: AtomicU64,
    throttled_429: AtomicU64,
    errors: AtomicU64,
    governor_wait_nanos: AtomicU64,
    /// The platform's last budget report that said both size and what is left: the
    /// share used, and when it came.
    budget_used: Mutex<Option<(f64, Instant)>>,
}

/// A budget report older than this no longer says how busy a store is.
pub const BUDGET_REPORT_FRESH_FOR: Duration = Duration::from_secs(300);

/// A point-in-time copy of [`StoreMetrics`].
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct StoreSnapshot {
    pub platform: &'static str,
    pub requests: u64,
    pub retries: u64,
    pub throttled_429: u64,
    pub errors: u64,
    pub governor_wait: Duration,
    /// The share of the platform's budget in use (0–1) at its last report, when that
    /// was within [`BUDGET_REPORT_FRESH_FOR`].
    pub budget_utilisation: Option<f64>,
}

impl StoreMetrics {
    pub(crate) fn request(&self, governor_wait: Duration) {
        self.requests.fetch_add(1, Ordering::Relaxed);
        self.governor_wait_nanos
            .fetch_add(governor_wait.as_nanos() as u64, Ordering::Relaxed);
    }

    pub(crate) fn retried(&self) {
        self.retries.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn throttled(&self) {
        self.throttled_429.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn failed(&self) {
        self.errors.fetch_add(1, Ordering::Relaxed);
    }

    /// Keeps the share used from a budget report that says both size and what is left.
    pub(crate) fn budget(&self, observed: &BudgetObservation) {
        if let Some(used) = utilisation(observed) {
            *self.budget_used.lock().unwrap_or_else(|p| p.into_inner()) =
                Some((used, Instant::now()));
        }
    }

    pub fn snapshot(&self) -> StoreSnapshot {
        let budget = *self.budget_used.lock().unwrap_or_else(|p| p.into_inner());
        StoreSnapshot {
            platform: self.platform,
            requests: self.requests.load(Ordering::Relaxed),
            retries: self.retries.load(Ordering::Relaxed),
            throttled_429: self.throttled_429.load(Ordering::Relaxed),
            errors: self.errors.load(Ordering::Relaxed),
            governor_wait: Duration::from_nanos(self.governor_wait_nanos.load(Ordering::Relaxed)),
            budget_utilisation: budget
                .filter(|(_, at)| at.elapsed() <= BUDGET_REPORT_FRESH_FOR)
                .map(|(used, _)| used),
        }
    }
}

/// The share of a reported budget in use (0–1), when the report says its size and
/// what is left.
pub fn utilisation(observed: &BudgetObservation) -> Option<f64> {
    let capacity = observed.capacity.filter(|c| *c > 0.0)?;
    let remaining = observed.remaining?;
    Some(((capacity - remaining) / capacity).clamp(0.0, 1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stores_share_their_counters_and_report_budget_use() {
        let metrics = TransportMetrics::default();
        let a = metrics.store("s1", "shopify");
        let again = metrics.store("s1", "shopify");
        a.request(Duration::from_millis(5));
        again.request(Duration::ZERO);
        again.throttled();
        a.budget(&BudgetObservation {
            capacity: Some(40.0),
            remaining: Some(10.0),
            ..Default::default()
        });
        // A report without a size says nothing about the share used.
        a.budget(&BudgetObservation {
            remaining: Some(39.0),
            ..Default::default()
        });
        let stores = metrics.stores();
        assert_eq!(stores.len(), 1);
        let (id, s) = &stores[0];
        assert_eq!(id, "s1");
        assert_eq!((s.platform, s.requests, s.throttled_429), ("shopify", 2, 1));
        assert_eq!(s.governor_wait, Duration::from_millis(5));
        assert_eq!(s.budget_utilisation, Some(0.75));
    }

    #[test]
    fn a_childs_counts_roll_up_into_its_parent_and_stores_register_at_the_root() {
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
        a.store("s1", "shopify").request(Duration::ZERO);
        assert_eq!(process.stores().len(), 1, "registered at the root");
    }
}
