//! Server-side rate limiters for simulators: a leaky bucket (Shopify REST, GraphQL
//! cost points) and a fixed window (BigCommerce). They decide and report state; each
//! simulator renders that state in its platform's own headers and 429 bodies.
//! Time is passed in, so tests can drive them without sleeping.

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// What a limiter admitted over a run, and what it would have admitted: the
/// benchmark's budget utilisation is `spent / allowed`.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct LimiterUsage {
    /// Units admitted (requests, or cost points after refunds).
    pub spent: f64,
    /// The most the limiter could have admitted from its first request until now.
    pub allowed: f64,
    /// Requests refused (429s, THROTTLED).
    pub refused: u64,
}

/// Usage bookkeeping shared by the limiters.
#[derive(Debug, Default)]
struct Ledger {
    spent: f64,
    refused: u64,
    first: Option<Instant>,
}

/// A bucket that fills with each request's cost and leaks at a constant rate.
#[derive(Debug)]
pub struct LeakyBucket {
    capacity: f64,
    leak_per_sec: f64,
    state: Mutex<(f64, Option<Instant>)>,
    ledger: Mutex<Ledger>,
}

/// The bucket after a request was admitted.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BucketState {
    pub capacity: f64,
    /// How full the bucket is now (after this request).
    pub used: f64,
    pub leak_per_sec: f64,
}

impl BucketState {
    pub fn available(&self) -> f64 {
        (self.capacity - self.used).max(0.0)
    }
}

/// A refused request: the bucket state and how long until the cost would fit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Refused {
    pub state: BucketState,
    pub retry_after: Duration,
}

impl LeakyBucket {
    pub fn new(capacity: f64, leak_per_sec: f64) -> Self {
        Self {
            capacity,
            leak_per_sec,
            state: Mutex::new((0.0, None)),
            ledger: Mutex::new(Ledger::default()),
        }
    }

    fn ledger(&self) -> std::sync::MutexGuard<'_, Ledger> {
        self.ledger.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Spent and allowed since the first request: a bucket that starts empty admits
    /// its capacity at once and then its leak rate.
    pub fn usage(&self, now: Instant) -> LimiterUsage {
        let ledger = self.ledger();
        let elapsed = ledger
            .first
            .map_or(0.0, |f| now.saturating_duration_since(f).as_secs_f64());
        LimiterUsage {
            spent: ledger.spent,
            allowed: if ledger.first.is_some() {
                self.capacity + self.leak_per_sec * elapsed
            } else {
                0.0
            },
            refused: ledger.refused,
        }
    }

    pub fn capacity(&self) -> f64 {
        self.capacity
    }

    pub fn leak_per_sec(&self) -> f64 {
        self.leak_per_sec
    }

    fn leak(&self, level: f64, last: Option<Instant>, now: Instant) -> f64 {
        let elapsed = last.map_or(0.0, |l| now.saturating_duration_since(l).as_secs_f64());
        (level - elapsed * self.leak_per_sec).max(0.0)
    }

    /// Admits a request costing `cost` at `now`, or refuses it without charging.
    pub fn take(&self, cost: f64, now: Instant) -> Result<BucketState, Refused> {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let level = self.leak(state.0, state.1, now);
        *state = (level, Some(now));
        {
            let mut ledger = self.ledger();
            ledger.first.get_or_insert(now);
        }
        if level + cost > self.capacity + 1e-9 {
            self.ledger().refused += 1;
            let wait = (level + cost - self.capacity) / self.leak_per_sec;
            return Err(Refused {
                state: BucketState {
                    capacity: self.capacity,
                    used: level,
                    leak_per_sec: self.leak_per_sec,
                },
                retry_after: Duration::from_secs_f64(wait.max(0.0)),
            });
        }
        state.0 = level + cost;
        self.ledger().spent += cost;
        Ok(BucketState {
            capacity: self.capacity,
            used: state.0,
            leak_per_sec: self.leak_per_sec,
        })
    }

    /// Gives back part of a charge (GraphQL refunds the difference between the
    /// requested and the actual query cost).
    pub fn refund(&self, amount: f64) {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let given = amount.min(state.0).max(0.0);
        state.0 -= given;
        self.ledger().spent -= given;
    }

    /// The state at `now` without charging.
    pub fn peek(&self, now: Instant) -> BucketState {
        let state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let used = self.leak(state.0, state.1, now);
        BucketState {
            capacity: self.capacity,
            used,
            leak_per_sec: self.leak_per_sec,
        }
    }
}

/// A quota of requests per fixed window that resets in full when the window ends.
#[derive(Debug)]
pub struct FixedWindow {
    quota: u64,
    window: Duration,
    state: Mutex<(Option<Instant>, u64)>,
    /// Spent and refused so far, and windows that ended (each allowed the quota).
    ledger: Mutex<(Ledger, u64)>,
}

/// The window after a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WindowState {
    pub quota: u64,
    pub remaining: u64,
    pub window: Duration,
    pub reset_in: Duration,
}

impl FixedWindow {
    pub fn new(quota: u64, window: Duration) -> Self {
        Self {
            quota,
            window,
            state: Mutex::new((None, 0)),
            ledger: Mutex::new((Ledger::default(), 0)),
        }
    }

    /// Spent and allowed since the first request: the quota of every window that
    /// ended, and for the current one the part of the quota its elapsed share stands
    /// for (at least what it already admitted).
    pub fn usage(&self, now: Instant) -> LimiterUsage {
        let (start, used_now) = *self.state.lock().unwrap_or_else(|p| p.into_inner());
        let ledger = self.ledger.lock().unwrap_or_else(|p| p.into_inner());
        let (ledger, ended) = (&ledger.0, ledger.1);
        let quota = self.quota as f64;
        let current = start.map_or(0.0, |s| {
            let share = now.saturating_duration_since(s).as_secs_f64() / self.window.as_secs_f64();
            if share >= 1.0 {
                quota
            } else {
                (quota * share).max(used_now as f64)
            }
        });
        LimiterUsage {
            spent: ledger.spent,
            allowed: quota * ended as f64 + current,
            refused: ledger.refused,
        }
    }

    /// Admits a request at `now`, or refuses it (`Err` with the state, remaining 0).
    pub fn take(&self, now: Instant) -> Result<WindowState, WindowState> {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let start = match state.0 {
            Some(s) if now.saturating_duration_since(s) < self.window => s,
            previous => {
                let mut ledger = self.ledger.lock().unwrap_or_else(|p| p.into_inner());
                if previous.is_some() {
                    ledger.1 += 1;
                }
                ledger.0.first.get_or_insert(now);
                *state = (Some(now), 0);
                now
            }
        };
        let reset_in = self
            .window
            .saturating_sub(now.saturating_duration_since(start));
        if state.1 >= self.quota {
            self.ledger
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .0
                .refused += 1;
            return Err(WindowState {
                quota: self.quota,
                remaining: 0,
                window: self.window,
                reset_in,
            });
        }
        state.1 += 1;
        self.ledger
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .0
            .spent += 1.0;
        Ok(WindowState {
            quota: self.quota,
            remaining: self.quota - state.1,
            window: self.window,
            reset_in,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_fills_refuses_and_leaks() {
        let b = LeakyBucket::new(40.0, 2.0);
        let t0 = Instant::now();
        for i in 1..=40 {
            assert_eq!(b.take(1.0, t0).unwrap().used, f64::from(i));
        }
        let refused = b.take(1.0, t0).unwrap_err();
        assert_eq!(refused.retry_after, Duration::from_millis(500));
        assert!(b.take(1.0, t0 + Duration::from_millis(500)).is_ok());
    }

    #[test]
    fn bucket_usage_counts_spent_refunds_and_allowance() {
        let b = LeakyBucket::new(40.0, 2.0);
        let t0 = Instant::now();
        assert_eq!(b.usage(t0), LimiterUsage::default());
        for _ in 0..40 {
            b.take(1.0, t0).unwrap();
        }
        assert!(b.take(1.0, t0).is_err());
        b.refund(0.5);
        let u = b.usage(t0 + Duration::from_secs(10));
        assert_eq!((u.spent, u.allowed, u.refused), (39.5, 60.0, 1));
    }

    #[test]
    fn window_usage_counts_ended_windows_and_the_current_share() {
        let w = FixedWindow::new(10, Duration::from_secs(30));
        let t0 = Instant::now();
        for _ in 0..10 {
            w.take(t0).unwrap();
        }
        assert!(w.take(t0).is_err());
        // Mid-window: what was admitted already counts as allowed.
        assert_eq!(w.usage(t0 + Duration::from_secs(15)).allowed, 10.0);
        w.take(t0 + Duration::from_secs(30)).unwrap();
        let u = w.usage(t0 + Duration::from_secs(45));
        assert_eq!((u.spent, u.allowed, u.refused), (11.0, 15.0, 1));
    }

    #[test]
    fn window_resets_in_full() {
        let w = FixedWindow::new(3, Duration::from_secs(30));
        let t0 = Instant::now();
        assert_eq!(w.take(t0).unwrap().remaining, 2);
        w.take(t0).unwrap();
        assert_eq!(w.take(t0 + Duration::from_secs(1)).unwrap().remaining, 0);
        let refused = w.take(t0 + Duration::from_secs(10)).unwrap_err();
        assert_eq!(refused.reset_in, Duration::from_secs(20));
        assert_eq!(w.take(t0 + Duration::from_secs(30)).unwrap().remaining, 2);
    }
}
