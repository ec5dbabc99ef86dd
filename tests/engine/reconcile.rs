//! Reconciliation of deletions: a full pass finds them, a sample confirms many before
//! they are trusted, and it runs on its schedule.

use std::sync::Arc;

use polycart::engine::{ManualClock, SyncMode};
use polycart::store::Store;
use polycart_kit::Entity;

use crate::common::*;
use crate::*;

/// Deleted customers' ids, removed from the shop.
fn delete_every(adapter: &TestAdapter, nth: usize) -> Vec<String> {
    let mut shop = adapter.shop.lock().unwrap();
    let ids: Vec<u64> = shop.customers.keys().copied().step_by(nth).collect();
    ids.iter()
        .map(|i| {
            shop.customers.remove(i);
            i.to_string()
        })
        .collect()
}

async fn deleted_ids(store: &Arc<dyn Store>, id: &str) -> Vec<String> {
    let mut ids: Vec<String> = store
        .changes_after(0, Some(id), 1_000_000)
        .await
        .unwrap()
        .into_iter()
        .filter(|c| c.kind == polycart::store::ChangeKind::Deleted)
        .map(|c| c.platform_id)
        .collect();
    ids.sort();
    ids
}

#[tokio::test]
async fn reconciliation_detects_deleted_records() {
    for b in backends().await {
        let adapter = TestAdapter::new(Shop::generate(3, 300));
        let (source, id) = connect(&b.store, &adapter).await;
        let engine = engine(b.store.clone(), source.clone(), |_| {});
        sync_store(&engine, &id, SyncMode::Auto).await;
        let gone = delete_every(&adapter, 30);
        // An incremental pass cannot see deletions; a full pass reconciles them.
        sync_store(&engine, &id, SyncMode::Auto).await;
        assert_eq!(
            b.store
                .count_records(&id, Entity::Customer, false)
                .await
                .unwrap(),
            300
        );
        sync_store(&engine, &id, SyncMode::Full).await;
        assert_eq!(
            stored(&b.store, &id, Entity::Customer).await,
            adapter.shop.lock().unwrap().expected(Entity::Customer)
        );
        let mut want = gone.clone();
        want.sort();
        assert_eq!(deleted_ids(&b.store, &id).await, want, "{}", b.name);
        assert!(customer(&b.store, &id, &gone[0]).await.deleted);
    }
}

#[tokio::test]
async fn many_deletions_are_trusted_only_when_a_sample_confirms_them() {
    for b in backends().await {
        let adapter = TestAdapter::new(Shop::generate(45, 600));
        let (source, id) = connect(&b.store, &adapter).await;
        let engine = engine(b.store.clone(), source, |o| o.verify_deletions_up_to = 20);
        sync_store(&engine, &id, SyncMode::Auto).await;
        // 60 customers the listing misses although they exist (a listing that shifted
        // under deletions), and 200 really deleted: more candidates than are checked
        // one by one. The sample finds live ones, so nothing unconfirmed is deleted.
        let mut gone = delete_every(&adapter, 3);
        gone.sort();
        let missed: Vec<u64> = adapter
            .shop
            .lock()
            .unwrap()
            .customers
            .keys()
            .copied()
            .step_by(7)
            .collect();
        adapter
            .unlisted
            .lock()
            .unwrap()
            .extend(missed.iter().copied());
        sync_store(&engine, &id, SyncMode::Full).await;
        for m in &missed {
            let r = customer(&b.store, &id, &m.to_string()).await;
            assert!(!r.deleted, "{}: live customer {m} deleted", b.name);
        }
        let first = deleted_ids(&b.store, &id).await;
        assert!(
            first.len() <= 20 && first.iter().all(|d| gone.contains(d)),
            "{}: {first:?}",
            b.name
        );
        // A complete listing: the sample confirms the deletions and all are marked.
        adapter.unlisted.lock().unwrap().clear();
        sync_store(&engine, &id, SyncMode::Full).await;
        assert_eq!(deleted_ids(&b.store, &id).await, gone, "{}", b.name);
        assert_eq!(
            stored(&b.store, &id, Entity::Customer).await,
            adapter.shop.lock().unwrap().expected(Entity::Customer),
            "{}",
            b.name
        );
    }
}

#[tokio::test]
async fn reconciliation_runs_on_its_schedule() {
    for b in backends().await {
        let adapter = TestAdapter::new(Shop::generate(36, 200));
        let (source, id) = connect(&b.store, &adapter).await;
        let clock = ManualClock::new();
        let engine = engine(b.store.clone(), source, |o| {
            o.reconcile_every = chrono::Duration::hours(24);
            o.clock = clock.clock();
        });
        assert!(
            customer_pass(&engine, &id).await.unwrap().full,
            "the first pass lists everything"
        );
        let gone = {
            let mut shop = adapter.shop.lock().unwrap();
            let first = *shop.customers.keys().next().unwrap();
            shop.customers.remove(&first);
            first.to_string()
        };
        clock.advance(chrono::Duration::hours(23));
        let r = customer_pass(&engine, &id).await.unwrap();
        assert!(!r.full && r.deleted == 0, "{}: {r:?}", b.name);
        clock.advance(chrono::Duration::hours(2));
        let r = customer_pass(&engine, &id).await.unwrap();
        assert!(r.full && r.deleted == 1, "{}: {r:?}", b.name);
        assert!(customer(&b.store, &id, &gone).await.deleted);
        let last = b
            .store
            .changes_after(0, Some(&id), 1_000_000)
            .await
            .unwrap()
            .pop()
            .unwrap();
        assert_eq!(
            (last.kind, last.platform_id),
            (polycart::store::ChangeKind::Deleted, gone)
        );
    }
}
