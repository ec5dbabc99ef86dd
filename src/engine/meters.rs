//! Per-store transport meters of this process: each store's adapter counts its
//! requests, 429s and spent budget in counters of its own (rolled up into the
//! process's), and a sampler keeps a short ring of per-interval figures per store, so
//! the dashboard can draw a store's rate-budget gauge (spent vs allowed over the last
//! minutes, 429s) without a database round trip. In memory only: another process's
//! workers (PostgreSQL scale-out) are not seen, and a restart starts empty.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use polycart_kit::transport::{MetricsSnapshot, TransportMetrics};
use serde::Serialize;

/// Samples kept per store: ten minutes at the sampler's five-second interval.
pub const SAMPLES_KEPT: usize = 120;
/// How often the sampler takes a sample.
pub const SAMPLE_INTERVAL: std::time::Duration = std::time::Duration::from_secs(5);

/// One store's transport figures over one sampling interval.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct BudgetSample {
    /// The end of the interval.
    pub at: DateTime<Utc>,
    /// The interval's length.
    pub seconds: f64,
    pub requests: u64,
    /// 429 answers received.
    pub throttled_429: u64,
    /// Budget units spent (requests, or GraphQL cost points).
    pub spent: u64,
    /// Units the governor allowed over the interval (its rate at the interval's end ×
    /// the interval); 0 when the store sent nothing yet.
    pub allowed: f64,
}

struct StoreMeter {
    counters: Arc<TransportMetrics>,
    last: MetricsSnapshot,
    last_at: DateTime<Utc>,
    samples: VecDeque<BudgetSample>,
}

/// Every store's meter in this process.
#[derive(Default)]
pub struct Meters {
    stores: Mutex<HashMap<String, StoreMeter>>,
}

impl Meters {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, StoreMeter>> {
        self.stores.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The store's counters (created on first use, rolling up into `parent`): what its
    /// adapter's transport counts into.
    pub fn for_store(
        &self,
        store_id: &str,
        parent: &Arc<TransportMetrics>,
    ) -> Arc<TransportMetrics> {
        self.lock()
            .entry(store_id.to_owned())
            .or_insert_with(|| StoreMeter {
                counters: Arc::new(TransportMetrics::child_of(parent.clone())),
                last: MetricsSnapshot::default(),
                last_at: Utc::now(),
                samples: VecDeque::new(),
            })
            .counters
            .clone()
    }

    /// Takes one sample of every store: what its counters moved since the last one.
    pub fn sample(&self, now: DateTime<Utc>) {
        for meter in self.lock().values_mut() {
            let snap = meter.counters.snapshot();
            let seconds = ((now - meter.last_at).num_milliseconds() as f64 / 1000.0).max(0.0);
            meter.samples.push_back(BudgetSample {
                at: now,
                seconds,
                requests: snap.requests.saturating_sub(meter.last.requests),
                throttled_429: snap.throttled_429.saturating_sub(meter.last.throttled_429),
                spent: snap.budget_spent.saturating_sub(meter.last.budget_spent),
                allowed: snap.allowed_per_sec * seconds,
            });
            while meter.samples.len() > SAMPLES_KEPT {
                meter.samples.pop_front();
            }
            meter.last = snap;
            meter.last_at = now;
        }
    }

    /// The store's samples, oldest first (empty for a store this process never called).
    pub fn samples(&self, store_id: &str) -> Vec<BudgetSample> {
        self.lock()
            .get(store_id)
            .map(|m| m.samples.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// Forgets stores no longer connected.
    pub fn retain(&self, keep: impl Fn(&str) -> bool) {
        self.lock().retain(|id, _| keep(id));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_are_deltas_over_their_interval_and_the_ring_is_bounded() {
        let process = Arc::new(TransportMetrics::default());
        let meters = Meters::default();
        let counters = meters.for_store("s1", &process);
        assert!(Arc::ptr_eq(&counters, &meters.for_store("s1", &process)));
        let t0 = Utc::now();
        meters.sample(t0);
        counters
            .requests
            .fetch_add(10, std::sync::atomic::Ordering::Relaxed);
        counters
            .budget_spent
            .fetch_add(12, std::sync::atomic::Ordering::Relaxed);
        counters
            .throttled_429
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        counters
            .allowed_milli_per_sec
            .store(2000, std::sync::atomic::Ordering::Relaxed);
        meters.sample(t0 + chrono::Duration::seconds(5));
        let samples = meters.samples("s1");
        assert_eq!(samples.len(), 2);
        let last = &samples[1];
        assert_eq!((last.requests, last.spent, last.throttled_429), (10, 12, 1));
        assert_eq!(last.seconds, 5.0);
        assert_eq!(last.allowed, 10.0);
        for i in 0..(SAMPLES_KEPT as i64 + 10) {
            meters.sample(t0 + chrono::Duration::seconds(10 + i));
        }
        assert_eq!(meters.samples("s1").len(), SAMPLES_KEPT);
        assert!(meters.samples("other").is_empty());
        meters.retain(|id| id != "s1");
        assert!(meters.samples("s1").is_empty());
    }
}
