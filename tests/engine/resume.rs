//! Interrupted work: a resumed pass catches up, a slice whose lease was taken over is
//! fenced out, a panicking sync is its job's error.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use chrono::Utc;
use polycart::engine::{Job, NoProgress};
use polycart::store::Error as StoreError;
use polycart_kit::Entity;

use crate::common::*;
use crate::*;

#[tokio::test]
async fn a_sync_resuming_an_interrupted_pass_catches_up_even_on_its_last_page() {
    for b in backends().await {
        let adapter = TestAdapter::new(Shop::generate(46, 150));
        adapter.by_id.store(true, Ordering::SeqCst);
        let (source, id) = connect(&b.store, &adapter).await;
        let engine = engine(b.store.clone(), source, |_| {});
        // A sync killed after its first page of two.
        let first = engine
            .run_job(
                &Job::new(&id, Entity::Customer).max_pages(1),
                &never,
                &NoProgress,
            )
            .await
            .unwrap();
        assert!(!first.done);
        let changed = *adapter
            .shop
            .lock()
            .unwrap()
            .customers
            .keys()
            .next()
            .unwrap();
        {
            let mut shop = adapter.shop.lock().unwrap();
            let row = shop.customers.get_mut(&changed).unwrap();
            row.0 = "changed-while-down@example.com".into();
            row.2 = Utc::now() + chrono::Duration::seconds(1);
        }
        let report = sync_customers(&engine, &id).await;
        assert!(report.done && report.resumed, "{}: {report:?}", b.name);
        assert!(
            customer(&b.store, &id, &changed.to_string())
                .await
                .document
                .contains("changed-while-down"),
            "{}: the change behind the resumed cursor was not caught up",
            b.name
        );
    }
}

#[tokio::test]
async fn a_slice_stopped_after_its_lease_was_taken_over_is_recorded_as_fenced_out() {
    for b in backends().await {
        let source = Arc::new(TestSource::default());
        let id = add_shop(&b.store, &shop_url(39, 300), 60).await;
        let engine = engine(b.store.clone(), source, |o| o.worker_id = "a".into());
        let t = Utc::now();
        let ttl = chrono::Duration::seconds(30);
        let mine = b
            .store
            .claim_job(&id, Entity::Customer, "a", t, t + ttl, |_| false)
            .await
            .unwrap()
            .unwrap();
        let later = t + ttl + chrono::Duration::seconds(1);
        b.store
            .claim_job(&id, Entity::Customer, "b", later, later + ttl, |_| false)
            .await
            .unwrap()
            .expect("an expired lease is taken over");
        // The heartbeat saw the lease go and asked the slice to stop.
        let result = engine
            .run_job(&Job::leased(&mine), &|| true, &NoProgress)
            .await;
        assert!(
            matches!(
                result,
                Err(polycart::engine::Error::Store(StoreError::LeaseLost { .. }))
            ),
            "{}: {result:?}",
            b.name
        );
        let run = b.store.runs(Some(&id)).await.unwrap().pop().unwrap();
        assert!(run.error.unwrap().contains("no longer held"), "{}", b.name);
        // A slice stopped for shutdown under a lease still held ends normally.
        let held = b
            .store
            .claim_job(&id, Entity::Category, "a", t, t + ttl, |_| false)
            .await
            .unwrap()
            .unwrap();
        let report = engine
            .run_job(&Job::leased(&held), &|| true, &NoProgress)
            .await
            .unwrap();
        assert!(!report.done && report.pages == 0);
    }
}

#[tokio::test]
async fn a_panicking_sync_is_its_jobs_error_and_the_worker_goes_on() {
    let b = sqlite().await;
    let source = Arc::new(TestSource::default());
    let broken_url = shop_url(300, 5);
    let broken = add_shop(&b.store, &broken_url, 3600).await;
    let healthy = add_shop(&b.store, &shop_url(301, 5), 3600).await;
    let adapter = TestAdapter::new(Shop::generate(300, 5));
    *adapter.fail.lock().unwrap() = Fail::Panic;
    source.register(&broken_url, adapter);
    let engine = engine(b.store.clone(), source.clone(), |o| o.concurrency = 1);
    let (tx, rx) = tokio::sync::watch::channel(false);
    let worker = tokio::spawn(engine.clone().run_worker(rx));
    let mut healthy_done = false;
    let mut broken_failed = false;
    for _ in 0..400 {
        healthy_done = b
            .store
            .cursor(&healthy, Entity::Customer)
            .await
            .unwrap()
            .last_full_at
            .is_some();
        broken_failed = b.store.runs(Some(&broken)).await.unwrap().iter().any(|r| {
            r.error
                .as_deref()
                .is_some_and(|e| e.contains("a bug in the adapter"))
        });
        if healthy_done && broken_failed {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    tx.send(true).unwrap();
    // The worker loop survived the panics and stops cleanly.
    worker.await.expect("the worker loop survives").unwrap();
    assert!(
        broken_failed,
        "the panic was not recorded as the job's error"
    );
    assert!(healthy_done, "the other store was not synced");
    // The broken jobs back off like any failure instead of spinning: one run each.
    let entities = b.store.get_store(&broken).await.unwrap().entities.len();
    let runs = b.store.runs(Some(&broken)).await.unwrap().len();
    assert!(
        runs <= entities,
        "{runs} runs of {entities} failing jobs: no back-off"
    );
}

/// The engine reads and prepares page N+1 while page N commits. A read of the next
/// page failing during a commit leaves exactly the pages before it committed (the
/// cursor after the last of them, nothing of the page that failed), and the resumed
/// pass stores every record once: no half-written page, no skipped page, no record
/// announced twice.
#[tokio::test]
async fn a_failure_while_the_next_page_is_read_ahead_loses_and_repeats_nothing() {
    for b in backends().await {
        let adapter = TestAdapter::new(Shop::generate(48, 350));
        adapter.by_id.store(true, Ordering::SeqCst);
        let (source, id) = connect(&b.store, &adapter).await;
        let engine = engine(b.store.clone(), source, |_| {});
        // The third page's read (the read-ahead during the second page's commit) fails.
        let weak = Arc::downgrade(&adapter);
        *adapter.mutate.lock().unwrap() = Some(Box::new(move |_, n| {
            if n == 1 {
                if let Some(adapter) = weak.upgrade() {
                    *adapter.fail.lock().unwrap() = Fail::Server;
                }
            }
        }));
        let failed = engine
            .run_job(&Job::new(&id, Entity::Customer), &never, &NoProgress)
            .await;
        assert!(failed.is_err(), "{}: {failed:?}", b.name);
        let committed = b
            .store
            .count_records(&id, Entity::Customer, true)
            .await
            .unwrap();
        assert_eq!(
            committed, 200,
            "{}: two whole pages, nothing of the third",
            b.name
        );
        let cursor = b.store.cursor(&id, Entity::Customer).await.unwrap();
        let pass = cursor.pass.expect("the pass is left to resume");
        assert!(pass.next.is_some() && !pass.listed_all, "{}", b.name);
        *adapter.mutate.lock().unwrap() = None;
        *adapter.fail.lock().unwrap() = Fail::None;
        let report = sync_customers(&engine, &id).await;
        assert!(report.done && report.resumed, "{}: {report:?}", b.name);
        let expected = adapter.shop.lock().unwrap().expected(Entity::Customer);
        assert_eq!(
            stored(&b.store, &id, Entity::Customer).await,
            expected,
            "{}: the resumed pass did not end with the platform's records",
            b.name
        );
        let changes = b.store.changes_after(0, Some(&id), 10_000).await.unwrap();
        let mut created = std::collections::BTreeMap::new();
        for c in changes.iter().filter(|c| c.entity == Entity::Customer) {
            *created.entry(c.platform_id.clone()).or_insert(0) += 1;
        }
        assert_eq!(created.len(), 350, "{}", b.name);
        assert!(
            created.values().all(|n| *n == 1),
            "{}: a record was announced twice",
            b.name
        );
    }
}
