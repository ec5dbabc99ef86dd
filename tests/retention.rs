//! Change-feed retention and compaction, each test on SQLite and (when
//! `POLYCART_TEST_PG_URL` is set) PostgreSQL: old change rows go but a record's
//! current document never does, the newest version is kept, orphaned versions are
//! collected, readers and replays from before the horizon are refused (per store),
//! subscriptions that fell behind are not delivered to, batches never exceed their
//! limit, and the scheduler runs it all with its clock and retention.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use common::*;
use polycart::engine::ManualClock;
use polycart::engine::maintenance::{Compaction, compact};
use polycart::store::{Error as StoreError, Store};
use polycart_kit::{Entity, Record, Secret};

/// A cutoff after every change written so far: all of them are past retention.
fn everything() -> DateTime<Utc> {
    Utc::now() + chrono::Duration::seconds(5)
}

fn customers(shop: &Shop, ids: &[u64]) -> Vec<Record> {
    ids.iter()
        .map(|id| shop.record(Entity::Customer, *id).expect("a customer"))
        .collect()
}

/// `n` customers of a generated shop, stored in one page; their ids.
async fn stored_shop(store: &dyn Store, store_id: &str, seed: u64, n: usize) -> (Shop, Vec<u64>) {
    let shop = Shop::generate(seed, n);
    let ids: Vec<u64> = shop.customers.keys().copied().collect();
    let outcome = store
        .upsert_records(store_id, &customers(&shop, &ids))
        .await
        .unwrap();
    assert_eq!(outcome.created, n as u64);
    (shop, ids)
}

/// A new version of each of `ids` (a new email), stored.
async fn change(store: &dyn Store, store_id: &str, shop: &mut Shop, ids: &[u64], round: u32) {
    for id in ids {
        let row = shop.customers.get_mut(id).expect("a customer");
        row.0 = format!("round-{round}-{id}@example.com");
        row.2 += chrono::Duration::seconds(1);
    }
    let outcome = store
        .upsert_records(store_id, &customers(shop, ids))
        .await
        .unwrap();
    assert_eq!(outcome.updated, ids.len() as u64);
}

/// Every record of the store, deleted ones too, with its current document.
async fn documents(store: &dyn Store, store_id: &str) -> BTreeMap<String, String> {
    store
        .list_records(store_id, Entity::Customer, None, 10_000, true)
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.platform_id, r.document))
        .collect()
}

fn expired(result: polycart::store::Result<impl std::fmt::Debug>) -> (i64, i64) {
    match result {
        Err(StoreError::ChangesExpired { after, horizon }) => (after, horizon),
        other => panic!("expected changes_expired, got {other:?}"),
    }
}

#[tokio::test]
async fn retention_drops_old_change_rows_but_never_a_records_current_document() {
    for b in backends().await {
        let store = &*b.store;
        let id = add_shop(&b.store, &shop_url(71, 0), 60).await;
        let (mut shop, ids) = stored_shop(store, &id, 71, 20).await;
        change(store, &id, &mut shop, &ids[..5], 1).await;
        change(store, &id, &mut shop, &ids[..5], 2).await;
        let gone = ids[19].to_string();
        assert_eq!(
            store
                .mark_deleted(&id, Entity::Customer, std::slice::from_ref(&gone))
                .await
                .unwrap(),
            1
        );
        let before = documents(store, &id).await;
        let stats = store.storage_stats().await.unwrap();
        // 20 created, 10 updated, 1 deleted (announcing the last version again).
        assert_eq!((stats.changes, stats.documents), (31, 30), "{}", b.name);

        let pruned = store.prune_changes(everything(), 1000).await.unwrap();
        assert_eq!(
            (pruned.changes, pruned.documents, pruned.horizon),
            (31, 10, 31),
            "{}: the two replaced versions of five records go",
            b.name
        );
        let stats = store.storage_stats().await.unwrap();
        assert_eq!(
            (stats.records, stats.changes, stats.documents),
            (20, 0, 20),
            "{}",
            b.name
        );
        assert_eq!(documents(store, &id).await, before, "{}", b.name);
        let deleted = store
            .get_record(&id, Entity::Customer, &gone)
            .await
            .unwrap()
            .expect("a deleted record keeps its last version");
        assert!(deleted.deleted);

        // The feed starts after the horizon now, for the store and for everyone.
        assert_eq!(expired(store.changes_after(0, None, 10).await), (0, 31));
        assert_eq!(
            expired(store.changes_after(30, Some(&id), 10).await),
            (30, 31)
        );
        assert!(store.changes_after(31, None, 10).await.unwrap().is_empty());
        change(store, &id, &mut shop, &ids[5..6], 3).await;
        let next = store.changes_after(31, Some(&id), 10).await.unwrap();
        assert_eq!(next.len(), 1);
        assert_eq!(next[0].seq, 32);
    }
}

#[tokio::test]
async fn retention_drops_only_changes_older_than_the_cutoff() {
    for b in backends().await {
        let store = &*b.store;
        let id = add_shop(&b.store, &shop_url(72, 0), 60).await;
        let (mut shop, ids) = stored_shop(store, &id, 72, 5).await;
        change(store, &id, &mut shop, &ids[..3], 1).await;
        let feed = store.changes_after(0, None, 100).await.unwrap();
        assert_eq!(feed.len(), 8);
        // The second page's first change is not older than the cutoff.
        let cutoff = feed[5].at;
        let older = feed.iter().take_while(|c| c.at < cutoff).count();
        assert_eq!(older, 5, "{}: two pages, two commit times", b.name);
        let pruned = store.prune_changes(cutoff, 100).await.unwrap();
        assert_eq!(
            (pruned.changes, pruned.horizon),
            (5, feed[4].seq),
            "{}",
            b.name
        );
        // Their documents were replaced for three records, current for two.
        assert_eq!(pruned.documents, 3, "{}", b.name);
        let left = store.changes_after(feed[4].seq, None, 100).await.unwrap();
        assert_eq!(
            left.iter().map(|c| c.seq).collect::<Vec<_>>(),
            feed[5..].iter().map(|c| c.seq).collect::<Vec<_>>()
        );
    }
}

#[tokio::test]
async fn compaction_keeps_the_newest_version_and_collects_orphans() {
    for b in backends().await {
        let store = &*b.store;
        let kept = add_shop(&b.store, &shop_url(73, 0), 60).await;
        let (mut shop, ids) = stored_shop(store, &kept, 73, 3).await;
        store.prune_changes(everything(), 1000).await.unwrap();
        assert_eq!(store.storage_stats().await.unwrap().documents, 3);
        // A version replaced after its change row went is referenced by nothing.
        change(store, &kept, &mut shop, &ids[..1], 1).await;
        assert_eq!(store.storage_stats().await.unwrap().documents, 4);
        let swept = store.collect_orphans(0, 100).await.unwrap();
        assert_eq!((swept.examined, swept.deleted), (4, 1), "{}", b.name);
        assert!(
            store
                .collect_orphans(swept.last.unwrap(), 100)
                .await
                .unwrap()
                .last
                .is_none()
        );
        let newest = store
            .get_record(&kept, Entity::Customer, &ids[0].to_string())
            .await
            .unwrap()
            .unwrap();
        assert!(newest.document.contains("round-1-"), "{}", b.name);
        // Its own change row going leaves it: it is the record's current version.
        let pruned = store.prune_changes(everything(), 1000).await.unwrap();
        assert_eq!((pruned.changes, pruned.documents), (1, 0), "{}", b.name);
        assert_eq!(
            store
                .get_record(&kept, Entity::Customer, &ids[0].to_string())
                .await
                .unwrap()
                .unwrap(),
            newest
        );

        // A removed store's versions go with the change rows that still name them.
        let removed = add_shop(&b.store, &shop_url(74, 0), 60).await;
        let (mut other, other_ids) = stored_shop(store, &removed, 74, 4).await;
        change(store, &removed, &mut other, &other_ids[..2], 1).await;
        store.remove_store(&removed).await.unwrap();
        let pruned = store.prune_changes(everything(), 1000).await.unwrap();
        assert_eq!((pruned.changes, pruned.documents), (6, 6), "{}", b.name);
        // ... or by the sweep, when their change rows went first.
        let late = add_shop(&b.store, &shop_url(75, 0), 60).await;
        stored_shop(store, &late, 75, 2).await;
        store.prune_changes(everything(), 1000).await.unwrap();
        store.remove_store(&late).await.unwrap();
        let plan = Compaction {
            cutoff: everything(),
            batch: 2,
            sweep_batches: None,
            pause: Duration::ZERO,
        };
        let mut sweep = 0;
        let report = compact(store, &plan, &mut sweep, &|| false).await.unwrap();
        assert_eq!(report.documents_collected, 2, "{}", b.name);
        assert!(report.sweep_done && sweep == 0);
        let stats = store.storage_stats().await.unwrap();
        assert_eq!((stats.records, stats.documents), (3, 3), "{}", b.name);
    }
}

#[tokio::test]
async fn maintenance_batches_never_exceed_their_limit() {
    for b in backends().await {
        let store = &*b.store;
        let id = add_shop(&b.store, &shop_url(76, 0), 60).await;
        let (mut shop, ids) = stored_shop(store, &id, 76, 50).await;
        change(store, &id, &mut shop, &ids[..10], 1).await;
        let first = store.prune_changes(everything(), 7).await.unwrap();
        assert_eq!((first.changes, first.horizon), (7, 7), "{}", b.name);
        assert_eq!(store.storage_stats().await.unwrap().changes, 53);
        assert_eq!(store.collect_orphans(0, 5).await.unwrap().examined, 5);

        let plan = Compaction {
            cutoff: everything(),
            batch: 7,
            sweep_batches: None,
            pause: Duration::ZERO,
        };
        let mut sweep = 0;
        let report = compact(store, &plan, &mut sweep, &|| false).await.unwrap();
        assert_eq!(report.largest_batch, 7, "{}", b.name);
        assert_eq!(report.changes_pruned, 53);
        // 53 rows: seven full batches and a short one; then 50 documents: seven full,
        // one of one, and the empty one that ends the sweep.
        assert_eq!(report.batches, 8 + 9, "{}", b.name);
        assert_eq!(report.documents_swept, 50);
        // A sweep budget is kept, and the next run resumes where it stopped.
        let budget = Compaction {
            sweep_batches: Some(2),
            ..plan
        };
        let report = compact(store, &budget, &mut sweep, &|| false)
            .await
            .unwrap();
        assert_eq!((report.documents_swept, report.sweep_done), (14, false));
        let report = compact(store, &budget, &mut sweep, &|| false)
            .await
            .unwrap();
        assert_eq!(report.documents_swept, 14, "{}", b.name);
        // Stopping is honoured between batches.
        let report = compact(store, &plan, &mut sweep, &|| true).await.unwrap();
        assert_eq!(report.batches, 1, "{}", b.name);
    }
}

#[tokio::test]
async fn readers_and_replays_from_before_a_stores_horizon_are_refused() {
    for b in backends().await {
        let store = keyed(&b).await;
        let pruned_shop = add_shop(&store, &shop_url(77, 0), 60).await;
        let quiet_shop = add_shop(&store, &shop_url(78, 0), 60).await;
        let url = url::Url::parse("https://receiver.example.com/hook").unwrap();
        let secret = Secret::new("a-receiver-secret-0123".to_owned());
        let of_pruned = store
            .add_subscription(&url, &secret, Some(&pruned_shop))
            .await
            .unwrap();
        let of_quiet = store
            .add_subscription(&url, &secret, Some(&quiet_shop))
            .await
            .unwrap();
        let of_all = store.add_subscription(&url, &secret, None).await.unwrap();
        stored_shop(&*store, &pruned_shop, 77, 5).await;
        stored_shop(&*store, &quiet_shop, 78, 5).await;
        // The first store's five changes go; the quiet store's stay.
        let pruned = store.prune_changes(everything(), 5).await.unwrap();
        assert_eq!(pruned.horizon, 5, "{}", b.name);
        assert_eq!(store.changes_horizon(Some(&pruned_shop)).await.unwrap(), 5);
        assert_eq!(store.changes_horizon(Some(&quiet_shop)).await.unwrap(), 0);
        assert_eq!(store.changes_horizon(None).await.unwrap(), 5);

        assert_eq!(
            store
                .changes_after(0, Some(&quiet_shop), 100)
                .await
                .unwrap()
                .len(),
            5,
            "{}: nothing of this store was dropped",
            b.name
        );
        assert_eq!(
            expired(store.changes_after(0, Some(&pruned_shop), 100).await),
            (0, 5)
        );
        assert_eq!(expired(store.changes_after(4, None, 100).await), (4, 5));
        assert!(
            store
                .changes_after(5, Some(&pruned_shop), 100)
                .await
                .unwrap()
                .is_empty()
        );

        let behind = |id: &str| {
            let store = store.clone();
            let id = id.to_owned();
            async move { store.get_subscription(&id).await.unwrap().fell_behind }
        };
        assert_eq!(behind(&of_pruned).await, Some(6), "{}", b.name);
        assert_eq!(behind(&of_quiet).await, None, "{}", b.name);
        assert_eq!(behind(&of_all).await, Some(6), "{}", b.name);
        let listed: BTreeMap<String, Option<i64>> = store
            .subscriptions()
            .await
            .unwrap()
            .into_iter()
            .map(|s| (s.id, s.fell_behind))
            .collect();
        assert_eq!(listed[&of_pruned], Some(6));
        assert_eq!(listed[&of_quiet], None);

        // Only the subscription that lost nothing is delivered to.
        let now = Utc::now();
        let mut leased = BTreeSet::new();
        for i in 0..5 {
            match store
                .lease_subscription(&format!("d{i}"), now, now + chrono::Duration::seconds(60))
                .await
                .unwrap()
            {
                Some(sub) => {
                    leased.insert(sub.id);
                }
                None => break,
            }
        }
        assert_eq!(leased, BTreeSet::from([of_quiet.clone()]), "{}", b.name);

        // A replay from before the horizon is refused; from it, accepted, and the
        // subscription is no longer behind.
        assert_eq!(
            expired(store.replay_subscription(&of_pruned, 4).await),
            (4, 5)
        );
        assert_eq!(expired(store.replay_subscription(&of_all, 0).await), (0, 5));
        store.replay_subscription(&of_pruned, 5).await.unwrap();
        assert_eq!(behind(&of_pruned).await, None, "{}", b.name);
        assert!(matches!(
            store.replay_subscription("sub_missing", 5).await,
            Err(StoreError::NotFound { .. })
        ));
    }
}

#[tokio::test]
async fn the_scheduler_prunes_what_its_clock_says_is_past_retention() {
    for b in backends().await {
        let clock = ManualClock::new();
        let engine = engine(b.store.clone(), Arc::new(TestSource::default()), |o| {
            o.changes_retention = chrono::Duration::hours(1);
            o.clock = clock.clock();
            o.maintenance_batch = 4;
            o.maintenance_every = Duration::from_millis(20);
        });
        let id = add_shop(&b.store, &shop_url(79, 0), 3600).await;
        b.store
            .set_health(
                &id,
                &polycart::store::Health {
                    state: polycart::store::StoreState::Paused,
                    failures: 0,
                    last_error: None,
                    retry_at: None,
                },
            )
            .await
            .unwrap();
        stored_shop(&*b.store, &id, 79, 10).await;
        let mut sweep = 0;
        let report = engine.maintain_once(&mut sweep).await.unwrap();
        assert_eq!(report.changes_pruned, 0, "{}: within retention", b.name);

        clock.advance(chrono::Duration::hours(2));
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let worker = tokio::spawn(engine.clone().run_worker(stopped));
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        while b.store.storage_stats().await.unwrap().changes > 0 {
            assert!(
                std::time::Instant::now() < deadline,
                "{}: the worker never pruned",
                b.name
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        stop.send(true).unwrap();
        worker.await.unwrap().unwrap();
        assert_eq!(b.store.changes_horizon(None).await.unwrap(), 10);
        assert_eq!(b.store.storage_stats().await.unwrap().documents, 10);
    }
}
