//! The per-store rate governor: a client-side GCRA quota (the `governor` crate) sized to
//! the platform plan, corrected live from what the platform reports.
//!
//! The platform's own count is the truth: after each response the governor re-aligns
//! its quota with the reported remaining budget (less what is still in flight), pauses
//! exactly until a reported reset when nothing is left, and pauses every request of the
//! store when a 429 says `Retry-After`. Time comes from an injected clock (the
//! transport's [`TransportClock`], or any `governor` clock), so the pacing is tested
//! with a fake clock, not with sleeps.
//!
//! A fixed window (a report with both `remaining` and `reset_after`, BigCommerce's
//! quota) does not refill while it lasts: the governor then grants exactly what the
//! window has left (less what is in flight) until the reported reset, instead of the
//! GCRA's steady refill that would overdraw it. Reports arrive out of order when
//! requests overlap; within one window the reset time only shrinks, so a report with a
//! longer reset than the newest one seen is older and ignored, and a report about an
//! earlier window than the one held is ignored too.

use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::Duration;

use governor::clock::{Clock, Reference};
use governor::middleware::NoOpMiddleware;
use governor::nanos::Nanos;
use governor::state::{InMemoryState, NotKeyed};
use governor::{Quota, RateLimiter};

use super::budget::BudgetObservation;
use super::clock::TransportClock;

/// A rate budget: `burst` units at once, refilled at `per_second`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Budget {
    pub burst: u32,
    pub per_second: f64,
}

impl Budget {
    pub fn new(burst: u32, per_second: f64) -> Self {
        Self {
            burst: burst.max(1),
            per_second: per_second.max(0.001),
        }
    }

    fn quota(&self) -> Quota {
        let period = Duration::from_secs_f64(1.0 / self.per_second).max(Duration::from_nanos(1));
        Quota::with_period(period)
            .expect("period is positive")
            .allow_burst(NonZeroU32::new(self.burst).expect("burst is at least 1"))
    }

    fn differs(&self, other: &Budget) -> bool {
        self.burst != other.burst
            || (self.per_second - other.per_second).abs() > self.per_second * 0.01
    }
}

type Limiter<C> = RateLimiter<NotKeyed, InMemoryState, C, NoOpMiddleware<<C as Clock>::Instant>>;

/// A per-store (per API family) governor.
pub struct Governor<C: Clock = TransportClock> {
    clock: C,
    inner: Mutex<Inner<C>>,
    /// Requests waiting for units, served in arrival order ([`Governor::acquire`]).
    line: tokio::sync::Mutex<()>,
}

struct Inner<C: Clock> {
    budget: Budget,
    limiter: Limiter<C>,
    paused_until: Option<C::Instant>,
    /// Requests granted and not yet answered.
    in_flight: u32,
    /// The budget units those requests spend (a GraphQL query's cost, or 1 each): the
    /// platform's reported remaining budget does not count them yet.
    in_flight_units: u32,
    /// The fixed window the platform last reported, while it lasts.
    window: Option<Window<C::Instant>>,
}

/// What a fixed window has left, as of its newest report.
#[derive(Debug, Clone, Copy)]
struct Window<I> {
    /// When the window resets in full (now + the reported reset, on arrival).
    until: I,
    /// The newest report's remaining budget and reset: within a window both only
    /// shrink, so a report that is not below them is older.
    newest: (f64, Duration),
    /// Units that may still be granted before `until`: the newest report's remaining
    /// less what was in flight then (negative when more was in flight).
    left: i64,
    /// False once `until` passed: the window is kept only to recognise late reports.
    open: bool,
}

impl Governor<TransportClock> {
    /// A governor on the real clock.
    pub fn new(budget: Budget) -> Self {
        Self::with_clock(budget, TransportClock::real())
    }
}

impl<C: Clock + Clone> std::fmt::Debug for Governor<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Governor({:?})", self.budget())
    }
}

impl<C: Clock + Clone> Governor<C> {
    /// A governor on the given clock (tests pass `governor::clock::FakeRelativeClock`).
    pub fn with_clock(budget: Budget, clock: C) -> Self {
        let limiter = RateLimiter::direct_with_clock(budget.quota(), clock.clone());
        Self {
            clock,
            inner: Mutex::new(Inner {
                budget,
                limiter,
                paused_until: None,
                in_flight: 0,
                in_flight_units: 0,
                window: None,
            }),
            line: tokio::sync::Mutex::new(()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner<C>> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The budget in force now.
    pub fn budget(&self) -> Budget {
        self.lock().budget
    }

    /// Requests sent and not yet answered.
    pub fn in_flight(&self) -> u32 {
        self.lock().in_flight
    }

    /// Takes `cost` units if they are available now; otherwise says how long to wait.
    /// A granted request counts as in flight until [`Governor::finish`].
    pub fn try_acquire(&self, cost: u32) -> Result<(), Duration> {
        let mut inner = self.lock();
        let now = self.clock.now();
        if let Some(until) = inner.paused_until {
            if until > now {
                return Err(Duration::from(until.duration_since(now)));
            }
            inner.paused_until = None;
        }
        let units = cost.clamp(1, inner.budget.burst);
        if let Some(w) = inner.window.as_mut().filter(|w| w.open) {
            if w.until > now {
                if w.left < i64::from(units) {
                    return Err(Duration::from(w.until.duration_since(now)));
                }
                w.left -= i64::from(units);
                inner.in_flight += 1;
                inner.in_flight_units += units;
                return Ok(());
            }
            // The window reset in full: start from the whole quota again.
            w.open = false;
            inner.limiter =
                RateLimiter::direct_with_clock(inner.budget.quota(), self.clock.clone());
        }
        let n = NonZeroU32::new(units).expect("clamped to at least 1");
        match inner.limiter.check_n(n) {
            Ok(Ok(())) => {
                inner.in_flight += 1;
                inner.in_flight_units += units;
                Ok(())
            }
            Ok(Err(not_until)) => Err(not_until
                .wait_time_from(now)
                .max(Duration::from_micros(100))),
            Err(_) => unreachable!("cost is clamped to the burst"),
        }
    }

    /// Marks a request of `cost` units answered and corrects the quota with what the
    /// platform reported.
    pub fn finish(&self, cost: u32, observed: Option<BudgetObservation>) {
        let mut inner = self.lock();
        inner.in_flight = inner.in_flight.saturating_sub(1);
        let units = cost.clamp(1, inner.budget.burst);
        inner.in_flight_units = inner.in_flight_units.saturating_sub(units);
        let Some(obs) = observed else { return };
        let now = self.clock.now();

        if let (Some(capacity), Some(rate)) = (obs.capacity, obs.refill_per_sec) {
            let learned = Budget::new(capacity.round().max(1.0) as u32, rate);
            if inner.budget.differs(&learned) {
                tracing::debug!(?learned, "rate budget learned from the platform");
                inner.budget = learned;
                inner.limiter = RateLimiter::direct_with_clock(learned.quota(), self.clock.clone());
            }
        }

        let Some(remaining) = obs.remaining else {
            return;
        };
        let available = remaining - f64::from(inner.in_flight_units);
        if let Some(reset) = obs.reset_after {
            self.observe_window(&mut inner, now, (remaining, reset), units);
            return;
        }
        if available < 1.0 {
            let wait = Duration::from_secs_f64((1.0 - available) / inner.budget.per_second);
            self.pause_locked(&mut inner, now, wait);
        }
        // Re-align the local quota with the platform's count: a fresh limiter with what
        // the platform says is used already taken out of its burst.
        let budget = inner.budget;
        let used = (f64::from(budget.burst) - available.max(0.0)).round();
        if used >= 1.0 {
            let limiter = RateLimiter::direct_with_clock(budget.quota(), self.clock.clone());
            let n = NonZeroU32::new((used as u32).min(budget.burst)).expect("at least 1");
            let _ = limiter.check_n(n);
            inner.limiter = limiter;
        }
    }

    /// Takes a fixed window's report (`remaining`, `reset`) for a request of `units`
    /// just answered. The newest report of the window sets what is left, less what is
    /// in flight; a request in flight then may already have been counted in it, and if
    /// its own report turns out older (or from an earlier window), its units are given
    /// back. A report of a later window starts that window.
    fn observe_window(
        &self,
        inner: &mut Inner<C>,
        now: C::Instant,
        report: (f64, Duration),
        units: u32,
    ) {
        let (remaining, reset) = report;
        let until = now + Nanos::from(reset);
        let left = (remaining - f64::from(inner.in_flight_units)).floor() as i64;
        let budget = inner.budget;
        // Reports of one window agree on its end up to their latency; another window's
        // end is about a window length away.
        let window_len = Duration::from_secs_f64(f64::from(budget.burst) / budget.per_second);
        let tolerance = Nanos::from((window_len / 2).max(Duration::from_millis(1)));
        let fresh = Window {
            until,
            newest: report,
            left,
            open: true,
        };
        let held = match &mut inner.window {
            Some(held) if until <= held.until + tolerance => held,
            _ => {
                inner.window = Some(fresh); // the first window, or the next one
                return;
            }
        };
        if !held.open {
            return; // a late report of a window that is over
        }
        let newer = until + tolerance >= held.until
            && (remaining < held.newest.0 || (remaining == held.newest.0 && reset < held.newest.1));
        if newer {
            held.newest = report;
            held.left = left;
            held.until = held.until.max(until);
        } else {
            // Admitted before the newest report (or not at all): it was counted twice.
            held.left += i64::from(units);
        }
    }

    /// Stops every request of this governor for `wait` (a 429's `Retry-After`).
    pub fn pause(&self, wait: Duration) {
        let mut inner = self.lock();
        let now = self.clock.now();
        self.pause_locked(&mut inner, now, wait);
    }

    fn pause_locked(&self, inner: &mut Inner<C>, now: C::Instant, wait: Duration) {
        let until = now + Nanos::from(wait);
        if inner.paused_until.is_none_or(|u| u < until) {
            inner.paused_until = Some(until);
        }
    }
}

impl Governor<TransportClock> {
    /// Waits on its clock until `cost` units are available and takes them; returns the
    /// time waited. Waiting requests are served in arrival order: the first in line
    /// waits for its units while the ones behind it wait for their turn. Otherwise a
    /// large request (a GraphQL query of hundreds of points) would wait for ever while
    /// small ones took every unit as it refilled; the order costs no budget, as units
    /// left untaken keep accumulating for the one in line.
    pub async fn acquire(&self, cost: u32) -> Duration {
        if let Ok(_free) = self.line.try_lock() {
            if self.try_acquire(cost).is_ok() {
                return Duration::ZERO;
            }
        }
        let _turn = self.line.lock().await;
        let mut waited = Duration::ZERO;
        loop {
            match self.try_acquire(cost) {
                Ok(()) => return waited,
                Err(wait) => {
                    self.clock.sleep(wait).await;
                    waited += wait;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use governor::clock::FakeRelativeClock;

    /// Grants `n` requests as fast as the governor allows; returns each grant's time.
    fn drive(
        gov: &Governor<FakeRelativeClock>,
        clock: &FakeRelativeClock,
        n: usize,
    ) -> Vec<Duration> {
        let start = clock.now();
        let mut times = Vec::with_capacity(n);
        while times.len() < n {
            match gov.try_acquire(1) {
                Ok(()) => {
                    times.push(Duration::from(clock.now().duration_since(start)));
                    gov.finish(1, None);
                }
                Err(wait) => clock.advance(wait),
            }
        }
        times
    }

    #[test]
    fn never_exceeds_burst_plus_rate_times_t() {
        let clock = FakeRelativeClock::default();
        let gov = Governor::with_clock(Budget::new(40, 2.0), clock.clone());
        let times = drive(&gov, &clock, 200);
        // For every window [t_i, t_i + t], at most 40 + 2·t grants.
        for (i, start) in times.iter().enumerate() {
            for (j, end) in times.iter().enumerate().skip(i) {
                let t = (*end - *start).as_secs_f64();
                let count = (j - i + 1) as f64;
                assert!(count <= 40.0 + 2.0 * t + 1e-9, "{count} grants in {t}s");
            }
        }
        // And it does use the budget: 200 requests take about (200 - 40) / 2 = 80 s.
        let total = times.last().unwrap().as_secs_f64();
        assert!((79.0..=81.0).contains(&total), "took {total}s");
    }

    #[test]
    fn full_bucket_report_delays_the_next_request() {
        let clock = FakeRelativeClock::default();
        let gov = Governor::with_clock(Budget::new(40, 2.0), clock.clone());
        gov.try_acquire(1).unwrap();
        gov.finish(
            1,
            Some(BudgetObservation {
                capacity: Some(40.0),
                remaining: Some(0.0),
                refill_per_sec: Some(2.0),
                reset_after: None,
            }),
        );
        let wait = gov.try_acquire(1).unwrap_err();
        assert!(wait >= Duration::from_millis(450), "{wait:?}");
    }

    #[test]
    fn nearly_full_bucket_slows_but_does_not_stop() {
        let clock = FakeRelativeClock::default();
        let gov = Governor::with_clock(Budget::new(40, 2.0), clock.clone());
        gov.try_acquire(1).unwrap();
        gov.finish(
            1,
            Some(BudgetObservation {
                capacity: Some(40.0),
                remaining: Some(1.0),
                refill_per_sec: Some(2.0),
                reset_after: None,
            }),
        );
        gov.try_acquire(1).unwrap();
        gov.finish(1, None);
        assert!(
            gov.try_acquire(1).is_err(),
            "the bucket is full after one more request"
        );
    }

    #[test]
    fn zero_left_pauses_exactly_until_reset() {
        let clock = FakeRelativeClock::default();
        let gov = Governor::with_clock(Budget::new(150, 5.0), clock.clone());
        gov.try_acquire(1).unwrap();
        gov.finish(
            1,
            Some(BudgetObservation {
                capacity: Some(150.0),
                remaining: Some(0.0),
                refill_per_sec: Some(5.0),
                reset_after: Some(Duration::from_millis(1200)),
            }),
        );
        assert_eq!(gov.try_acquire(1).unwrap_err(), Duration::from_millis(1200));
        clock.advance(Duration::from_millis(1200));
        assert!(gov.try_acquire(1).is_ok());
    }

    fn window(remaining: f64, reset_ms: u64) -> Option<BudgetObservation> {
        Some(BudgetObservation {
            capacity: Some(150.0),
            remaining: Some(remaining),
            refill_per_sec: Some(5.0),
            reset_after: Some(Duration::from_millis(reset_ms)),
        })
    }

    #[test]
    fn a_fixed_window_grants_what_it_has_left_until_its_reset() {
        let clock = FakeRelativeClock::default();
        let gov = Governor::with_clock(Budget::new(150, 5.0), clock.clone());
        gov.try_acquire(1).unwrap();
        gov.finish(1, window(3.0, 10_000));
        for _ in 0..3 {
            gov.try_acquire(1).unwrap();
            gov.finish(1, None);
        }
        // A GCRA would have refilled 5 a second; the window does not refill.
        clock.advance(Duration::from_secs(9));
        assert_eq!(gov.try_acquire(1).unwrap_err(), Duration::from_secs(1));
        clock.advance(Duration::from_secs(1));
        let burst = drive(&gov, &clock, 150);
        assert_eq!(
            *burst.last().unwrap(),
            Duration::ZERO,
            "the whole quota at the reset"
        );
    }

    #[test]
    fn out_of_order_reports_cannot_overdraw_the_window() {
        let clock = FakeRelativeClock::default();
        let gov = Governor::with_clock(Budget::new(150, 5.0), clock.clone());
        gov.try_acquire(1).unwrap();
        gov.try_acquire(1).unwrap();
        // The second request's report (generated later: less left, shorter reset)
        // arrives first; the first request, still in flight, is subtracted once more.
        gov.finish(1, window(4.0, 9_900));
        // The first one's report is older: its 50 must not raise the count, but the
        // unit it was counted twice is given back: 4 are left, as the platform has.
        gov.finish(1, window(50.0, 9_950));
        for _ in 0..4 {
            gov.try_acquire(1).unwrap();
        }
        assert!(gov.try_acquire(1).is_err(), "the window is spent");
        for _ in 0..3 {
            gov.finish(1, None);
        }
        gov.finish(1, window(0.0, 9_000));
        assert_eq!(
            gov.try_acquire(1).unwrap_err(),
            Duration::from_millis(9_900)
        );
    }

    #[test]
    fn a_late_report_of_an_earlier_window_is_ignored() {
        let clock = FakeRelativeClock::default();
        let gov = Governor::with_clock(Budget::new(150, 5.0), clock.clone());
        gov.try_acquire(1).unwrap();
        gov.finish(1, window(0.0, 1_000));
        clock.advance(Duration::from_secs(1));
        // The next window; one request is still in flight when the first report comes.
        gov.try_acquire(1).unwrap();
        gov.try_acquire(1).unwrap();
        gov.finish(1, window(148.0, 29_900));
        // A straggler from the old window (nothing left, resets in 5 ms) neither stops
        // the new window nor, 5 ms later, restores a full quota; it was not counted in
        // the new window, so its unit comes back.
        gov.finish(1, window(0.0, 5));
        clock.advance(Duration::from_millis(10));
        let granted = drive(&gov, &clock, 148);
        assert_eq!(*granted.last().unwrap(), Duration::ZERO);
        assert!(gov.try_acquire(1).is_err(), "148 was all the window had");
    }

    #[test]
    fn learns_a_bigger_plan_from_headers() {
        let clock = FakeRelativeClock::default();
        let gov = Governor::with_clock(Budget::new(40, 2.0), clock.clone());
        gov.try_acquire(1).unwrap();
        gov.finish(
            1,
            Some(BudgetObservation {
                capacity: Some(400.0),
                remaining: Some(399.0),
                refill_per_sec: Some(20.0),
                reset_after: None,
            }),
        );
        assert_eq!(gov.budget(), Budget::new(400, 20.0));
        let times = drive(&gov, &clock, 300);
        assert_eq!(
            *times.last().unwrap(),
            Duration::ZERO,
            "Plus burst lets 300 through at once"
        );
    }

    #[tokio::test]
    async fn acquire_waits_on_the_governors_clock() {
        let clock = TransportClock::fake();
        let gov = Governor::with_clock(Budget::new(2, 4.0), clock.clone());
        assert_eq!(gov.acquire(1).await, Duration::ZERO);
        assert_eq!(gov.acquire(1).await, Duration::ZERO);
        // The burst is spent: the third waits a quarter second for its refill.
        assert_eq!(gov.acquire(1).await, Duration::from_millis(250));
        gov.pause(Duration::from_secs(2));
        assert_eq!(gov.acquire(1).await, Duration::from_secs(2));
        assert_eq!(clock.elapsed(), Duration::from_millis(2_250));
    }

    /// A stream of one-unit requests never starves a large one: once it is in line,
    /// the small ones wait behind it, and it is granted as soon as its units refill.
    #[tokio::test(start_paused = true)]
    async fn a_large_request_is_not_starved_by_small_ones() {
        let gov = std::sync::Arc::new(Governor::new(Budget::new(100, 10.0)));
        assert_eq!(gov.acquire(100).await, Duration::ZERO);
        let small = {
            let gov = gov.clone();
            tokio::spawn(async move {
                loop {
                    gov.acquire(1).await;
                    gov.finish(1, None);
                }
            })
        };
        tokio::time::sleep(Duration::from_millis(50)).await;
        let started = tokio::time::Instant::now();
        let granted = tokio::time::timeout(Duration::from_secs(60), gov.acquire(80)).await;
        let waited = started.elapsed();
        small.abort();
        assert!(
            granted.is_ok(),
            "the large request was starved for {waited:?}"
        );
        // 80 units at 10/s: 8 s, plus the small request ahead of it in line.
        assert!(
            waited <= Duration::from_millis(8_300),
            "the large request waited {waited:?}"
        );
    }

    #[test]
    fn pause_holds_every_request() {
        let clock = FakeRelativeClock::default();
        let gov = Governor::with_clock(Budget::new(40, 2.0), clock.clone());
        gov.pause(Duration::from_secs(2));
        assert_eq!(gov.try_acquire(1).unwrap_err(), Duration::from_secs(2));
    }
}
