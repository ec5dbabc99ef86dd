//! The engine's scheduling clock: lease times, due times, auth back-off, circuit
//! cool-downs, delivery retries and the reconciliation schedule read it. Production
//! runs on the system clock; tests move a [`ManualClock`] forward instead of sleeping.
//!
//! A manual clock is the system time plus an offset the test advances, never a frozen
//! instant: the sync store stamps records with the real time, and scheduling time must
//! never fall behind it.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, Utc};

/// The clock the engine schedules by.
#[derive(Clone, Default)]
pub struct Clock {
    /// Milliseconds added to the system time (manual clocks only).
    skip: Option<Arc<AtomicI64>>,
}

impl std::fmt::Debug for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.skip {
            None => f.write_str("Clock::system"),
            Some(ms) => write!(f, "Clock::manual(+{}ms)", ms.load(Ordering::Relaxed)),
        }
    }
}

impl Clock {
    /// The system clock.
    pub fn system() -> Self {
        Self { skip: None }
    }

    pub fn now(&self) -> DateTime<Utc> {
        let now = Utc::now();
        match &self.skip {
            None => now,
            Some(ms) => now + chrono::Duration::milliseconds(ms.load(Ordering::Relaxed)),
        }
    }
}

/// A clock a test moves forward; [`ManualClock::clock`] is what the engine reads.
#[derive(Debug, Clone, Default)]
pub struct ManualClock {
    skip: Arc<AtomicI64>,
}

impl ManualClock {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn clock(&self) -> Clock {
        Clock {
            skip: Some(self.skip.clone()),
        }
    }

    /// Moves the clock forward (a negative duration is ignored: time never runs back).
    pub fn advance(&self, by: chrono::Duration) {
        self.skip
            .fetch_add(by.num_milliseconds().max(0), Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manual_clock_runs_ahead_by_what_it_was_advanced() {
        let manual = ManualClock::new();
        let clock = manual.clock();
        let before = Utc::now();
        manual.advance(chrono::Duration::hours(2));
        manual.advance(chrono::Duration::hours(-5));
        let now = clock.now();
        assert!(now >= before + chrono::Duration::hours(2));
        assert!(now < Utc::now() + chrono::Duration::hours(2) + chrono::Duration::seconds(1));
        assert!(Clock::system().now() < now);
    }
}
