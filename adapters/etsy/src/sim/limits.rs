//! The simulator's two rate windows, as Etsy counts them per app: a plan's limits
//! (`qps=N,qpd=M`, Etsy's 10 and 10,000 by default), and the day as a sliding 24
//! hours; the second is the kit's fixed one-second window.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The app's rate limits (`SimOptions::plan`: `qps=10,qpd=10000`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub per_second: u64,
    pub per_day: u64,
}

impl Limits {
    /// Reads a plan: `qps=N` and/or `qpd=M`, comma-separated; Etsy's defaults
    /// (10 and 10,000) otherwise.
    pub fn parse(plan: Option<&str>) -> Result<Self, String> {
        let mut limits = Limits {
            per_second: 10,
            per_day: 10_000,
        };
        for part in plan
            .unwrap_or_default()
            .split(',')
            .filter(|p| !p.trim().is_empty())
        {
            let (k, v) = part
                .split_once('=')
                .ok_or_else(|| format!("plan part {part:?} is not key=value"))?;
            let n: u64 = v
                .trim()
                .parse()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| format!("plan {k}: {v:?} is not a positive number"))?;
            match k.trim() {
                "qps" => limits.per_second = n,
                "qpd" => limits.per_day = n,
                other => return Err(format!("unknown plan key {other:?} (qps, qpd)")),
            }
        }
        Ok(limits)
    }
}

/// A sliding window of `limit` requests per `window` (Etsy's day).
#[derive(Debug)]
pub struct SlidingWindow {
    limit: u64,
    window: Duration,
    log: Mutex<VecDeque<Instant>>,
}

impl SlidingWindow {
    pub fn new(limit: u64, window: Duration) -> Self {
        Self {
            limit,
            window,
            log: Mutex::new(VecDeque::new()),
        }
    }

    /// Admits a request at `now` (what is left after it), or says how long until the
    /// oldest request in the window ages out.
    pub fn take(&self, now: Instant) -> Result<u64, Duration> {
        let mut log = self.log.lock().unwrap_or_else(|e| e.into_inner());
        while log
            .front()
            .is_some_and(|t| now.saturating_duration_since(*t) >= self.window)
        {
            log.pop_front();
        }
        if log.len() as u64 >= self.limit {
            let oldest = *log.front().expect("the window is full");
            return Err(self
                .window
                .saturating_sub(now.saturating_duration_since(oldest)));
        }
        log.push_back(now);
        Ok(self.limit - log.len() as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_day_slides() {
        let w = SlidingWindow::new(2, Duration::from_secs(100));
        let t0 = Instant::now();
        assert_eq!(w.take(t0), Ok(1));
        assert_eq!(w.take(t0 + Duration::from_secs(10)), Ok(0));
        assert_eq!(
            w.take(t0 + Duration::from_secs(20)),
            Err(Duration::from_secs(80))
        );
        // The first request ages out; the second still counts.
        assert_eq!(w.take(t0 + Duration::from_secs(100)), Ok(0));
    }

    #[test]
    fn plans_set_both_windows() {
        assert_eq!(
            Limits::parse(None).unwrap(),
            Limits {
                per_second: 10,
                per_day: 10_000
            }
        );
        assert_eq!(
            Limits::parse(Some("qps=5,qpd=200")).unwrap(),
            Limits {
                per_second: 5,
                per_day: 200
            }
        );
        assert!(Limits::parse(Some("qps=0")).is_err());
        assert!(Limits::parse(Some("burst=3")).is_err());
    }
}
