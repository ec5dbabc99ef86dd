//! Incremental sync: records changing while a pass pages, changes behind an id-ordered
//! cursor, the catch-up pass, read-ahead bounded by the slice.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use chrono::Utc;
use polycart::engine::{Job, NoProgress, SyncMode};
use polycart_kit::Entity;

use crate::common::*;
use crate::*;

/// A shop listing by id whose first customer changes (behind the cursor) after a few
/// pages, and whose last changes half an hour later by the platform's clock, before
/// its page is listed: a pass that ran longer than the overlap.
fn shop_changing_behind_the_cursor(seed: u64) -> (Arc<TestAdapter>, u64, u64) {
    let adapter = TestAdapter::new(Shop::generate(seed, 1500));
    adapter.by_id.store(true, Ordering::SeqCst);
    let (first, last) = {
        let shop = adapter.shop.lock().unwrap();
        (
            *shop.customers.keys().next().unwrap(),
            *shop.customers.keys().last().unwrap(),
        )
    };
    let t0 = Utc::now();
    let behind = adapter.clone();
    let done = Arc::new(AtomicBool::new(false));
    let mutate = move |shop: &mut Shop, n: u64| {
        if n == 3 {
            let row = shop.customers.get_mut(&first).unwrap();
            row.0 = "behind-the-cursor@example.com".into();
            row.2 = t0 + chrono::Duration::minutes(1);
        }
        if n == 8 && !done.swap(true, Ordering::SeqCst) {
            let row = shop.customers.get_mut(&last).unwrap();
            row.0 = "ahead-of-the-cursor@example.com".into();
            row.2 = t0 + chrono::Duration::minutes(30);
        }
    };
    *behind.mutate.lock().unwrap() = Some(Box::new(mutate));
    (adapter, first, last)
}

#[tokio::test]
async fn records_changed_during_a_sync_are_all_present() {
    // Listed by update time (a changed record moves ahead of the cursor) and by id
    // (it stays behind: the sync's catch-up pass reads it).
    for (b, by_id) in backends().await.into_iter().flat_map(|b| {
        let b = Arc::new(b);
        [(b.clone(), false), (b, true)]
    }) {
        let adapter = TestAdapter::new(Shop::generate(2, 1500));
        adapter.by_id.store(by_id, Ordering::SeqCst);
        // With each of the first 10 pages served (of more than 15), the shop changes 5
        // customers and gains one: changes behind and ahead of the cursor.
        *adapter.mutate.lock().unwrap() = Some(Box::new(|shop, n| {
            if n < 10 {
                shop.churn(n, 5, Utc::now())
            }
        }));
        let (source, id) = connect(&b.store, &adapter).await;
        let engine = engine(b.store.clone(), source.clone(), |_| {});
        sync_store(&engine, &id, SyncMode::Auto).await;
        *adapter.mutate.lock().unwrap() = None;
        let expected = adapter.shop.lock().unwrap().expected(Entity::Customer);
        assert_eq!(
            stored(&b.store, &id, Entity::Customer).await,
            expected,
            "{} (listed by id: {by_id})",
            b.name
        );
        assert_eq!(
            stored(&b.store, &id, Entity::Category).await,
            adapter.shop.lock().unwrap().expected(Entity::Category)
        );
        // An incremental pass later sees later changes and emits `updated` changes.
        adapter.shop.lock().unwrap().churn(999, 20, Utc::now());
        let before = b
            .store
            .changes_after(0, Some(&id), 1_000_000)
            .await
            .unwrap()
            .len();
        sync_store(&engine, &id, SyncMode::Auto).await;
        let after = b
            .store
            .changes_after(0, Some(&id), 1_000_000)
            .await
            .unwrap();
        assert_eq!(
            after.len() - before,
            21,
            "{}: 20 updated + 1 created",
            b.name
        );
        assert_eq!(
            stored(&b.store, &id, Entity::Customer).await,
            adapter.shop.lock().unwrap().expected(Entity::Customer)
        );
        let cursor = b.store.cursor(&id, Entity::Customer).await.unwrap();
        assert!(cursor.pass.is_none() && cursor.watermark.is_some());
    }
}

#[tokio::test]
async fn a_change_behind_an_id_ordered_cursor_is_read_by_the_next_pass() {
    for b in backends().await {
        let (adapter, first, last) = shop_changing_behind_the_cursor(31);
        let (source, id) = connect(&b.store, &adapter).await;
        let engine = engine(b.store.clone(), source.clone(), |_| {});
        // One pass (the scheduler's kind: no catch-up): the change behind the cursor
        // is not listed, the one ahead of it is.
        let report = customer_pass(&engine, &id).await.unwrap();
        assert!(report.done && report.pages >= 15);
        let stored_email = |pid: u64| {
            let (store, id) = (b.store.clone(), id.clone());
            async move {
                let r = customer(&store, &id, &pid.to_string()).await;
                serde_json::from_str::<serde_json::Value>(&r.document).unwrap()["email"].clone()
            }
        };
        assert_eq!(stored_email(last).await, "ahead-of-the-cursor@example.com");
        // The watermark is not the newest timestamp seen (30 minutes ahead) but the
        // pass's start, so the next incremental pass reaches back far enough.
        let cursor = b.store.cursor(&id, Entity::Customer).await.unwrap();
        assert!(
            cursor.watermark.unwrap() <= Utc::now(),
            "{}: {:?}",
            b.name,
            cursor.watermark
        );
        *adapter.mutate.lock().unwrap() = None;
        let report = customer_pass(&engine, &id).await.unwrap();
        assert!(!report.full, "{}: the second pass is incremental", b.name);
        assert_eq!(
            stored_email(first).await,
            "behind-the-cursor@example.com",
            "{}",
            b.name
        );
        assert_eq!(
            stored(&b.store, &id, Entity::Customer).await,
            adapter.shop.lock().unwrap().expected(Entity::Customer),
            "{}",
            b.name
        );
    }
}

#[tokio::test]
async fn a_sync_that_ends_holds_changes_made_behind_its_cursor() {
    for b in backends().await {
        let (adapter, _, _) = shop_changing_behind_the_cursor(32);
        let (source, id) = connect(&b.store, &adapter).await;
        let engine = engine(b.store.clone(), source.clone(), |_| {});
        let report = sync_customers(&engine, &id).await;
        assert!(report.done && report.full);
        assert_eq!(
            stored(&b.store, &id, Entity::Customer).await,
            adapter.shop.lock().unwrap().expected(Entity::Customer),
            "{}: `polycart sync` ends with a catch-up pass",
            b.name
        );
        // The catch-up is one short incremental pass, not a second full listing.
        assert!(report.pages <= 15 + 2, "{}: {} pages", b.name, report.pages);
        assert_eq!(b.store.runs(Some(&id)).await.unwrap().len(), 2);
    }
}

#[tokio::test]
async fn pages_are_read_ahead_of_their_commit_but_never_past_a_slice() {
    for b in backends().await {
        // 450 customers: five pages of 100.
        let adapter = TestAdapter::new(Shop::generate(47, 450));
        let (source, id) = connect(&b.store, &adapter).await;
        let engine = engine(b.store.clone(), source, |_| {});
        let slice = engine
            .run_job(
                &Job::new(&id, Entity::Customer).max_pages(2),
                &never,
                &NoProgress,
            )
            .await
            .unwrap();
        assert_eq!((slice.pages, slice.done), (2, false), "{}", b.name);
        // The second page was read while the first committed; nothing after it.
        assert_eq!(adapter.pages.load(Ordering::SeqCst), 2, "{}", b.name);
        let rest = engine
            .run_job(&Job::new(&id, Entity::Customer), &never, &NoProgress)
            .await
            .unwrap();
        assert!(rest.done && rest.resumed, "{}: {rest:?}", b.name);
        assert_eq!(rest.pages, 3, "{}", b.name);
        // Each page listed once: the read-ahead is the next loop's page, not an extra.
        assert_eq!(adapter.pages.load(Ordering::SeqCst), 5, "{}", b.name);
        assert_eq!(
            stored(&b.store, &id, Entity::Customer).await,
            adapter.shop.lock().unwrap().expected(Entity::Customer),
            "{}",
            b.name
        );
    }
}

/// Measurement, not a check: `cargo test -p polycart --test engine measure -- --ignored --nocapture`.
#[tokio::test]
#[ignore]
async fn measure_sync_throughput() {
    for b in backends().await {
        let source = Arc::new(TestSource::default());
        let url = shop_url(9, 20_000);
        let id = add_shop(&b.store, &url, 60).await;
        let engine = engine(b.store.clone(), source, |o| o.page_size = Some(250));
        let started = std::time::Instant::now();
        sync_store(&engine, &id, SyncMode::Auto).await;
        let first = started.elapsed();
        let started = std::time::Instant::now();
        sync_store(&engine, &id, SyncMode::Full).await;
        let unchanged = started.elapsed();
        let changes = b
            .store
            .changes_after(0, Some(&id), 1_000_000)
            .await
            .unwrap()
            .len();
        assert_eq!(changes, 20_000 + Shop::generate(9, 1).categories.len());
        eprintln!(
            "{}: first sync of 20000 customers {:.1}s ({:.0}/s); full pass with nothing changed {:.1}s",
            b.name,
            first.as_secs_f64(),
            20_000.0 / first.as_secs_f64(),
            unchanged.as_secs_f64()
        );
    }
}
