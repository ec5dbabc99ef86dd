//! Store health: the circuit breaker opens after failures, probes half-open after its
//! cool-down, and refused credentials back off.

use polycart::engine::{Job, ManualClock, NoProgress};
use polycart::store::StoreState;
use polycart_kit::Entity;

use crate::common::*;
use crate::*;

#[tokio::test]
async fn failing_stores_open_their_circuit_and_auth_failures_back_off() {
    for b in backends().await {
        let adapter = TestAdapter::new(Shop::generate(4, 50));
        let (source, id) = connect(&b.store, &adapter).await;
        let clock = ManualClock::new();
        let cooldown = chrono::Duration::minutes(10);
        let engine = engine(b.store.clone(), source.clone(), |o| {
            o.circuit_threshold = 3;
            o.circuit_cooldown = cooldown;
            o.clock = clock.clock();
        });
        *adapter.fail.lock().unwrap() = Fail::Server;
        for i in 0..3 {
            let r = customer_pass(&engine, &id).await;
            assert!(r.is_err());
            let info = b.store.get_store(&id).await.unwrap();
            let want = if i < 2 {
                StoreState::Active
            } else {
                StoreState::CircuitOpen
            };
            assert_eq!(info.state, want, "{} after {} failures", b.name, i + 1);
            assert!(info.last_error.unwrap().contains("503"));
        }
        // While open, the scheduler does not lease its jobs, nor does a job run.
        clock.advance(cooldown - chrono::Duration::seconds(30));
        assert!(
            lease_at(&b.store, clock.clock().now()).await.is_none(),
            "{}",
            b.name
        );
        assert!(matches!(
            customer_pass(&engine, &id).await,
            Err(polycart::engine::Error::Backoff { .. })
        ));
        // After the cool-down one probe runs; its failure reopens the circuit for twice
        // as long.
        clock.advance(chrono::Duration::seconds(31));
        let lease = lease_at(&b.store, clock.clock().now())
            .await
            .expect("probe leased");
        let probe_at = clock.clock().now();
        assert!(
            engine
                .run_job(&Job::leased(&lease), &never, &NoProgress)
                .await
                .is_err()
        );
        b.store.release_job(&lease, probe_at).await.unwrap();
        let info = b.store.get_store(&id).await.unwrap();
        assert_eq!(
            (info.state, info.failures),
            (StoreState::CircuitOpen, 4),
            "{}",
            b.name
        );
        let reopened = info.retry_at.unwrap() - probe_at;
        assert!(
            reopened >= cooldown * 2 && reopened < cooldown * 2 + chrono::Duration::seconds(30),
            "{}: reopened for {reopened}",
            b.name
        );
        clock.advance(cooldown + chrono::Duration::seconds(1));
        assert!(
            lease_at(&b.store, clock.clock().now()).await.is_none(),
            "{}",
            b.name
        );
        // The next probe succeeds and closes the circuit.
        clock.advance(cooldown);
        *adapter.fail.lock().unwrap() = Fail::None;
        let lease = lease_at(&b.store, clock.clock().now())
            .await
            .expect("probe leased");
        engine
            .run_job(&Job::leased(&lease), &never, &NoProgress)
            .await
            .unwrap();
        let info = b.store.get_store(&id).await.unwrap();
        assert_eq!(
            (info.state, info.failures, info.last_error),
            (StoreState::Active, 0, None)
        );
        // Refused credentials: auth_failed, retried only after the long back-off.
        *adapter.fail.lock().unwrap() = Fail::Auth;
        assert!(
            engine
                .run_job(&Job::new(&id, Entity::Category), &never, &NoProgress)
                .await
                .is_err()
        );
        let info = b.store.get_store(&id).await.unwrap();
        assert_eq!(info.state, StoreState::AuthFailed);
        assert!(info.retry_at.unwrap() > clock.clock().now() + chrono::Duration::hours(5));
        assert!(
            lease_at(&b.store, clock.clock().now() + chrono::Duration::hours(5))
                .await
                .is_none()
        );
        // The scheduler's probe waits for the back-off; an operator's runs at once, and
        // only one probe is in flight.
        let now = clock.clock().now();
        let until = now + chrono::Duration::minutes(1);
        assert!(!b.store.begin_probe(&id, now, until, false).await.unwrap());
        assert!(b.store.begin_probe(&id, now, until, true).await.unwrap());
        assert!(!b.store.begin_probe(&id, now, until, false).await.unwrap());
        let busy = engine
            .run_job(&Job::new(&id, Entity::Category), &never, &NoProgress)
            .await;
        assert!(
            matches!(busy, Err(polycart::engine::Error::Backoff { .. })),
            "{busy:?}"
        );
    }
}
