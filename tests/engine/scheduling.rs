//! Scheduling and fairness: small stores are not starved by a big one, jobs come due
//! after their interval, a worker keeps to its concurrency, jobs of one store share one
//! adapter.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use polycart::engine::{ManualClock, SyncMode};
use polycart::store::{Cipher, NewStore};
use polycart_kit::{Entity, Secret};

use crate::common::*;
use crate::*;

#[tokio::test]
async fn small_stores_are_not_starved_by_a_big_one() {
    let b = sqlite().await;
    let source = Arc::new(TestSource::default());
    let big = add_shop(&b.store, &shop_url(6, 3000), 3600).await;
    let mut small = Vec::new();
    for seed in 100..110 {
        small.push(add_shop(&b.store, &shop_url(seed, 20), 3600).await);
    }
    let engine = engine(b.store.clone(), source, |o| {
        o.concurrency = 1;
        o.slice_pages = 2;
    });
    let (tx, rx) = tokio::sync::watch::channel(false);
    let worker = tokio::spawn(engine.clone().run_worker(rx));
    // Wait until every pass has finished.
    for _ in 0..600 {
        if b.store
            .count_records(&big, Entity::Customer, false)
            .await
            .unwrap()
            == 3000
        {
            let runs = b.store.runs(Some(&big)).await.unwrap();
            if runs.iter().filter(|r| r.finished_at.is_some()).count() >= 16 {
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tx.send(true).unwrap();
    worker.await.unwrap().unwrap();
    // Every small store finished before the big store's customers did.
    let big_done = b
        .store
        .runs(Some(&big))
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.entity == "customer")
        .filter_map(|r| r.finished_at)
        .max()
        .unwrap();
    for s in &small {
        assert_eq!(
            b.store
                .count_records(s, Entity::Customer, false)
                .await
                .unwrap(),
            20
        );
        let done = b
            .store
            .runs(Some(s))
            .await
            .unwrap()
            .into_iter()
            .filter_map(|r| r.finished_at)
            .max()
            .unwrap();
        assert!(done < big_done, "small store {s} waited for the big one");
    }
}

#[tokio::test]
async fn a_synced_job_is_due_again_after_its_store_interval() {
    for b in backends().await {
        let source = Arc::new(TestSource::default());
        let id = add_shop(&b.store, &shop_url(37, 30), 900).await;
        let clock = ManualClock::new();
        let engine = engine(b.store.clone(), source, |o| o.clock = clock.clock());
        sync_store(&engine, &id, SyncMode::Auto).await;
        let now = clock.clock().now();
        assert!(
            lease_at(&b.store, now + chrono::Duration::seconds(890))
                .await
                .is_none(),
            "{}",
            b.name
        );
        let due = lease_at(&b.store, now + chrono::Duration::seconds(901)).await;
        assert_eq!(due.map(|l| l.store_id), Some(id.clone()), "{}", b.name);
    }
}

#[tokio::test]
async fn a_worker_runs_at_most_its_concurrency_of_jobs_at_once() {
    let b = sqlite().await;
    let source = Arc::new(TestSource {
        page_delay: Duration::from_millis(15),
        ..TestSource::default()
    });
    let mut ids = Vec::new();
    for seed in 200..210 {
        ids.push(add_shop(&b.store, &shop_url(seed, 150), 3600).await);
    }
    let engine = engine(b.store.clone(), source.clone(), |o| {
        o.concurrency = 3;
        o.slice_pages = 1;
    });
    let (tx, rx) = tokio::sync::watch::channel(false);
    let worker = tokio::spawn(engine.clone().run_worker(rx));
    // Wait for progress: every store × entity has finished a pass.
    let mut done = false;
    for _ in 0..1200 {
        let mut finished = 0;
        for id in &ids {
            for e in [Entity::Customer, Entity::Category] {
                let c = b.store.cursor(id, e).await.unwrap();
                finished += usize::from(c.pass.is_none() && c.last_full_at.is_some());
            }
        }
        if finished == ids.len() * 2 {
            done = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tx.send(true).unwrap();
    worker.await.unwrap().unwrap();
    assert!(done, "the worker did not sync every store");
    let max = source.gauge.max.load(Ordering::SeqCst);
    assert!(max <= 3, "{max} listings in flight with a concurrency of 3");
    assert!(
        max >= 2,
        "jobs never ran side by side: the limit was not exercised"
    );
}

/// Jobs of one store starting at once share one adapter (one governor, one token
/// refresh), however their lookups interleave.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_jobs_of_a_store_share_one_adapter() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("a.db").display());
    let store = polycart::store::open(&url, Some(Cipher::new(&[1u8; 32])))
        .await
        .unwrap();
    let new = NewStore {
        name: "shared".into(),
        platform: "shopify".into(),
        base_url: url::Url::parse("https://shared.example.com").unwrap(),
        credentials: BTreeMap::from([("access_token".to_owned(), Secret::new("shpat_x"))]),
        settings: BTreeMap::new(),
        entities: vec![Entity::Order],
        interval_secs: 60,
    };
    let id = store.add_store(&new).await.unwrap().id;
    let engine = Arc::new(polycart::engine::Engine::new(
        store,
        Arc::new(polycart::engine::RegistrySource::default()),
        polycart::engine::EngineOptions::default(),
    ));
    let lookups = (0..16).map(|_| {
        let engine = engine.clone();
        let id = id.clone();
        async move { engine.adapter(&id).await.unwrap() }
    });
    let adapters = futures::future::join_all(lookups).await;
    assert!(
        adapters.iter().all(|a| Arc::ptr_eq(a, &adapters[0])),
        "one adapter per store"
    );
}
