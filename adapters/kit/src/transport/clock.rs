//! The transport's time: what the governor measures, and how the transport waits (for
//! the governor's budget, a `Retry-After`, a backoff between attempts). Real time is
//! tokio's clock, so the governor's measurements and the waits agree, `tokio::time`
//! pausing included; a fake clock's waits advance it at once, so pacing and retries are
//! tested without sleeping and whatever the speed of the machine.

use std::time::Duration;

use governor::clock::Clock;
use governor::nanos::Nanos;

use super::FakeClock;

/// The clock a transport and its governor run on.
#[derive(Debug, Clone)]
pub struct TransportClock(Source);

#[derive(Debug, Clone)]
enum Source {
    /// Tokio's monotonic clock, from this instant.
    Real(tokio::time::Instant),
    /// Starts at zero and moves only when the transport waits.
    Fake(FakeClock),
}

impl TransportClock {
    /// Real time.
    pub fn real() -> Self {
        Self(Source::Real(tokio::time::Instant::now()))
    }

    /// A fake clock at zero that only waiting moves: a wait returns at once, the clock
    /// advanced by it. Clones share the clock. Concurrent waits add up (each advances
    /// it by its own wait): it is meant for one request at a time.
    pub fn fake() -> Self {
        Self(Source::Fake(FakeClock::default()))
    }

    /// The time since the clock started: on a fake clock, every wait so far.
    pub fn elapsed(&self) -> Duration {
        match &self.0 {
            Source::Real(start) => start.elapsed(),
            Source::Fake(clock) => Duration::from(clock.now()),
        }
    }

    /// Waits `wait` on this clock.
    pub async fn sleep(&self, wait: Duration) {
        match &self.0 {
            Source::Real(_) => tokio::time::sleep(wait).await,
            Source::Fake(clock) => {
                clock.advance(wait);
                // Still a suspension point, as a real wait is.
                tokio::task::yield_now().await;
            }
        }
    }
}

impl Default for TransportClock {
    fn default() -> Self {
        Self::real()
    }
}

impl Clock for TransportClock {
    type Instant = Nanos;

    fn now(&self) -> Nanos {
        Nanos::from(self.elapsed())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_fake_clock_moves_only_by_its_waits_and_clones_share_it() {
        let clock = TransportClock::fake();
        let other = clock.clone();
        assert_eq!(clock.elapsed(), Duration::ZERO);
        clock.sleep(Duration::from_secs(3600)).await;
        other.sleep(Duration::from_millis(5)).await;
        assert_eq!(clock.elapsed(), Duration::from_millis(3_600_005));
        assert_eq!(Duration::from(other.now()), clock.elapsed());
    }

    #[tokio::test(start_paused = true)]
    async fn the_real_clock_is_tokios() {
        let clock = TransportClock::real();
        tokio::time::advance(Duration::from_secs(7)).await;
        assert_eq!(clock.elapsed(), Duration::from_secs(7));
        clock.sleep(Duration::from_secs(3)).await;
        assert_eq!(clock.elapsed(), Duration::from_secs(10));
    }
}
