//! The governor against BigCommerce's quota in steady state, on a fake clock: a store's
//! sync keeps many requests in flight with uneven latencies (so reports come back out
//! of order) against the simulator's own fixed window and headers, read by the
//! adapter's header reader. No wall clock: events run in fake time, so the test proves
//! the pacing logic, not this machine's speed. The sync must never meet a 429 and must
//! spend at least 95 % of what the plan allows.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::{Duration, Instant};

use http::{HeaderMap, StatusCode};
use polycart_bigcommerce::RATE_LIMIT_HEADERS;
use polycart_bigcommerce::sim::{plan_limits, window_headers};
use polycart_kit::sim::FixedWindow;
use polycart_kit::transport::{Budget, BudgetReader, FakeClock, Governor};

enum Step {
    /// A worker asks the governor for the next request.
    Try,
    /// Its request reaches the platform.
    Arrive,
    /// The answer reaches the worker.
    Answer(StatusCode, HeaderMap),
}

struct Outcome {
    admitted: f64,
    allowed: f64,
    refused: u64,
}

/// How long the n-th answer takes to come back.
type Latency = fn(u64) -> Duration;

/// Uneven, 20 to 250 ms: answers overtake each other.
fn uneven(n: u64) -> Duration {
    Duration::from_millis(20 + (n * 97) % 230)
}

/// Loopback-fast and in batches answered last-first, as the concurrent sub-resource
/// requests of a page of orders come back from the simulator.
fn last_first(n: u64) -> Duration {
    Duration::from_micros(2_000 - (n % 8) * 200)
}

/// Runs `workers` concurrent request loops for `span` of fake time against `plan`.
fn run(plan: &str, workers: usize, span: Duration, latency: Latency) -> Outcome {
    let (quota, window) = plan_limits(Some(plan)).unwrap();
    let limiter = FixedWindow::new(quota, window);
    let clock = FakeClock::default();
    // The adapter's starting guess (the standard plan), corrected from the headers.
    let governor = Governor::with_clock(Budget::new(150, 5.0), clock.clone());
    let base = Instant::now();
    let mut now = Duration::ZERO;
    let mut seq = 0u64;
    let mut queue: BinaryHeap<Reverse<(Duration, u64)>> = BinaryHeap::new();
    let mut steps: Vec<Option<Step>> = Vec::new();
    let push = |queue: &mut BinaryHeap<_>, steps: &mut Vec<_>, at: Duration, step: Step| {
        steps.push(Some(step));
        queue.push(Reverse((at, steps.len() as u64 - 1)));
    };
    for _ in 0..workers {
        push(&mut queue, &mut steps, Duration::ZERO, Step::Try);
    }
    let mut refused = 0;
    while let Some(Reverse((at, index))) = queue.pop() {
        if at > span {
            break;
        }
        clock.advance(at - now);
        now = at;
        let step = steps[index as usize].take().expect("each step runs once");
        match step {
            Step::Try => match governor.try_acquire(1) {
                Ok(()) => push(&mut queue, &mut steps, now + latency(seq) / 4, Step::Arrive),
                Err(wait) => push(&mut queue, &mut steps, now + wait, Step::Try),
            },
            Step::Arrive => {
                seq += 1;
                let (status, state) = match limiter.take(base + now) {
                    Ok(w) => (StatusCode::OK, w),
                    Err(w) => (StatusCode::TOO_MANY_REQUESTS, w),
                };
                let mut headers = HeaderMap::new();
                window_headers(&mut headers, &state);
                let back = latency(seq);
                push(
                    &mut queue,
                    &mut steps,
                    now + back,
                    Step::Answer(status, headers),
                );
            }
            Step::Answer(status, headers) => {
                let observed = RATE_LIMIT_HEADERS.read(status, &headers, b"");
                governor.finish(1, observed);
                if status == StatusCode::TOO_MANY_REQUESTS {
                    refused += 1;
                }
                push(&mut queue, &mut steps, now, Step::Try);
            }
        }
    }
    let usage = limiter.usage(base + now);
    Outcome {
        admitted: usage.spent,
        allowed: usage.allowed,
        refused,
    }
}

#[test]
fn a_sync_at_the_budget_edge_meets_no_429_and_spends_the_budget() {
    let plans = [
        ("standard", 12),
        ("pro", 24),
        ("20/2000ms", 6),
        ("60/1000ms", 16),
        ("standard", 1),
    ];
    for (latency, shape) in [(uneven as Latency, "uneven"), (last_first, "last-first")] {
        for (plan, workers) in plans {
            let windows = 8;
            let (_, window) = plan_limits(Some(plan)).unwrap();
            let out = run(plan, workers, window * windows, latency);
            let case = format!("{plan}, {workers} in flight, {shape} answers");
            assert_eq!(out.refused, 0, "{case}: 429s");
            let utilisation = out.admitted / out.allowed;
            assert!(
                utilisation >= 0.95,
                "{case}: {:.1} % of the budget ({} of {})",
                utilisation * 100.0,
                out.admitted,
                out.allowed
            );
        }
    }
}
