//! Sync store and engine tests, each run on SQLite and (when `POLYCART_TEST_PG_URL` is
//! set) PostgreSQL: store basics, incremental sync with records changing while paging,
//! reconciliation of deletions, store health (circuit breaker, auth back-off),
//! webhook re-reads, fairness, and outbound deliveries surviving a receiver outage.
//! Kill -9 of `polycart sync` and three `polycart worker` processes are in
//! `tests/cli_sync.rs`, against a platform simulator.

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use chrono::Utc;
use common::*;
use polycart::engine::{Job, NoProgress, SyncMode};
use polycart::store::{Cipher, Error as StoreError, NewStore, SqliteStore, Store, StoreState};
use polycart_kit::{Entity, Secret};

fn never() -> bool {
    false
}

async fn sync_store(engine: &polycart::engine::Engine, store_id: &str, mode: SyncMode) {
    let stop = AtomicBool::new(false);
    let pairs = vec![
        (store_id.to_owned(), Entity::Customer),
        (store_id.to_owned(), Entity::Category),
    ];
    for (_, _, result) in engine.sync_all(pairs, mode, &NoProgress, &stop).await {
        result.expect("sync succeeds");
    }
}

#[tokio::test]
async fn store_basics_on_both_backends() {
    for b in backends().await {
        let store = &b.store;
        // Credentials need the key.
        let new = NewStore {
            name: "s".into(),
            platform: "testshop".into(),
            base_url: url::Url::parse("https://shop.example.com").unwrap(),
            credentials: BTreeMap::from([("token".to_owned(), Secret::new("shh"))]),
            settings: BTreeMap::from([("plan".to_owned(), "plus".to_owned())]),
            entities: vec![Entity::Order],
            interval_secs: 60,
        };
        assert!(
            matches!(store.add_store(&new).await, Err(StoreError::MissingKey)),
            "{}",
            b.name
        );
        // Change feed numbering and hash-only upserts.
        let id = add_shop(store, &shop_url(1, 10), 60).await;
        let shop = Shop::generate(1, 10);
        let records: Vec<_> = shop
            .customers
            .keys()
            .map(|k| shop.record(Entity::Customer, *k).unwrap())
            .collect();
        let first = store.upsert_records(&id, &records).await.unwrap();
        assert_eq!(first.created, 10);
        let again = store.upsert_records(&id, &records).await.unwrap();
        assert_eq!((again.changed(), again.unchanged), (0, 10), "{}", b.name);
        let changes = store.changes_after(0, Some(&id), 100).await.unwrap();
        assert_eq!(changes.len(), 10);
        assert!(changes.windows(2).all(|w| w[0].seq < w[1].seq));
        assert_eq!(
            store
                .changes_after(changes[4].seq, None, 100)
                .await
                .unwrap()
                .len(),
            5
        );
        // API keys are stored hashed and verified.
        let (key, plain) = store
            .create_api_key("ci", Some(std::slice::from_ref(&id)))
            .await
            .unwrap();
        assert_eq!(
            store.verify_api_key(&plain).await.unwrap().unwrap().id,
            key.id
        );
        assert!(store.verify_api_key("pck_wrong").await.unwrap().is_none());
        // Leases: one holder at a time; expired leases are taken over.
        let now = Utc::now();
        let a = store
            .lease_job("a", now, now + chrono::Duration::seconds(30))
            .await
            .unwrap()
            .unwrap();
        let b2 = store
            .lease_job("b", now, now + chrono::Duration::seconds(30))
            .await
            .unwrap()
            .unwrap();
        assert_ne!(a.job_id, b2.job_id);
        assert!(
            store
                .lease_job("c", now, now + chrono::Duration::seconds(30))
                .await
                .unwrap()
                .is_none()
        );
        let later = now + chrono::Duration::seconds(31);
        let c = store
            .lease_job("c", later, later + chrono::Duration::seconds(30))
            .await
            .unwrap()
            .unwrap();
        assert!([a.job_id, b2.job_id].contains(&c.job_id));
        let lost = if c.job_id == a.job_id { &a } else { &b2 };
        assert!(
            matches!(
                store.renew_lease(lost, later).await,
                Err(StoreError::LeaseLost { .. })
            ),
            "{}",
            b.name
        );
        // A page from the worker that lost its lease is refused, and writes nothing.
        let pass = polycart::store::Pass {
            id: 99,
            full: false,
            since: None,
            started_at: Utc::now(),
            next: None,
            listed_all: true,
            max_updated: None,
        };
        let fresh = Shop::generate(500, 3);
        let page: Vec<_> = fresh
            .customers
            .keys()
            .map(|k| fresh.record(Entity::Customer, *k).unwrap())
            .collect();
        let refused = store
            .commit_page(&polycart::store::PageCommit {
                store_id: &lost.store_id,
                entity: lost.entity,
                records: &page,
                pass: &pass,
                fence: Some(lost),
                renew_until: later,
            })
            .await;
        assert!(
            matches!(refused, Err(StoreError::LeaseLost { .. })),
            "{}",
            b.name
        );
        assert!(
            store
                .get_record(&lost.store_id, Entity::Customer, page[0].platform_id())
                .await
                .unwrap()
                .is_none()
        );
        store.remove_store(&id).await.unwrap();
        assert!(store.list_stores().await.unwrap().is_empty());
    }
}

#[tokio::test]
async fn idempotency_keys_hold_replay_release_and_expire_on_both_backends() {
    use polycart::store::IdempotencyState;
    for b in backends().await {
        let store = &b.store;
        let t0 = chrono::Utc::now();
        let old = t0 - chrono::Duration::hours(24);
        let begin = |key: &'static str, hash: &'static str, now: chrono::DateTime<chrono::Utc>, expire| {
            let store = store.clone();
            async move { store.begin_idempotent("key_1", key, hash, now, expire).await.unwrap() }
        };
        assert_eq!(begin("k", "h1", t0, old).await, IdempotencyState::Started, "{}", b.name);
        assert_eq!(
            begin("k", "h1", t0, old).await,
            IdempotencyState::InProgress { request_hash: "h1".into() },
            "{}: a running request holds its key",
            b.name
        );
        store.finish_idempotent("key_1", "k", 200, r#"{"ok":true}"#).await.unwrap();
        assert_eq!(
            begin("k", "h1", t0, old).await,
            IdempotencyState::Done { request_hash: "h1".into(), status: 200, body: r#"{"ok":true}"#.into() },
            "{}",
            b.name
        );
        // Keys are per API key.
        assert_eq!(
            store.begin_idempotent("key_2", "k", "h1", t0, old).await.unwrap(),
            IdempotencyState::Started,
            "{}",
            b.name
        );
        // A released key can be taken again; a finished one is not released.
        assert_eq!(begin("r", "h2", t0, old).await, IdempotencyState::Started);
        store.abandon_idempotent("key_1", "r").await.unwrap();
        assert_eq!(begin("r", "h2", t0, old).await, IdempotencyState::Started, "{}", b.name);
        store.abandon_idempotent("key_1", "k").await.unwrap();
        assert!(matches!(begin("k", "h1", t0, old).await, IdempotencyState::Done { .. }));
        // After the TTL a key is forgotten.
        let later = t0 + chrono::Duration::hours(25);
        assert_eq!(
            begin("k", "h9", later, later - chrono::Duration::hours(24)).await,
            IdempotencyState::Started,
            "{}",
            b.name
        );
    }
}

#[tokio::test]
async fn credentials_are_encrypted_and_the_key_is_required() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("k.db").display());
    let key = Cipher::parse(&"11".repeat(32)).unwrap();
    let store = SqliteStore::open(&url, Some(key.clone())).await.unwrap();
    let new = NewStore {
        name: "s".into(),
        platform: "testshop".into(),
        base_url: url::Url::parse("https://shop.example.com").unwrap(),
        credentials: BTreeMap::from([("token".to_owned(), Secret::new("very-secret-token"))]),
        settings: BTreeMap::new(),
        entities: vec![Entity::Order],
        interval_secs: 60,
    };
    let id = store.add_store(&new).await.unwrap().id;
    assert_eq!(
        store
            .store_config(&id)
            .await
            .unwrap()
            .credential("token")
            .unwrap()
            .expose(),
        "very-secret-token"
    );
    drop(store);
    let bytes = std::fs::read(dir.path().join("k.db")).unwrap();
    let wal = std::fs::read(dir.path().join("k.db-wal")).unwrap_or_default();
    let needle = b"very-secret-token";
    assert!(
        !bytes
            .windows(needle.len())
            .chain(wal.windows(needle.len()))
            .any(|w| w == needle)
    );
    assert!(matches!(
        SqliteStore::open(&url, None).await,
        Err(StoreError::MissingKey)
    ));
    let wrong = Cipher::parse(&"22".repeat(32)).unwrap();
    let reopened = SqliteStore::open(&url, Some(wrong)).await.unwrap();
    assert!(matches!(
        reopened.store_config(&id).await,
        Err(StoreError::Decrypt)
    ));
}

#[tokio::test]
async fn records_changed_during_a_sync_are_all_present() {
    for b in backends().await {
        let source = Arc::new(TestSource::default());
        let url = shop_url(2, 1500);
        let adapter = TestAdapter::new(Shop::generate(2, 1500));
        // With each of the first 10 pages served (of more than 15), the shop changes 5
        // customers and gains one: changes behind and ahead of the cursor.
        *adapter.mutate.lock().unwrap() = Some(Box::new(|shop, n| {
            if n < 10 {
                shop.churn(n, 5, Utc::now())
            }
        }));
        source.register(&url, adapter.clone());
        let id = add_shop(&b.store, &url, 60).await;
        let engine = engine(b.store.clone(), source.clone(), |_| {});
        sync_store(&engine, &id, SyncMode::Auto).await;
        *adapter.mutate.lock().unwrap() = None;
        let expected = adapter.shop.lock().unwrap().expected(Entity::Customer);
        assert_eq!(
            stored(&b.store, &id, Entity::Customer).await,
            expected,
            "{}",
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
async fn reconciliation_detects_deleted_records() {
    for b in backends().await {
        let source = Arc::new(TestSource::default());
        let url = shop_url(3, 300);
        let adapter = TestAdapter::new(Shop::generate(3, 300));
        source.register(&url, adapter.clone());
        let id = add_shop(&b.store, &url, 60).await;
        let engine = engine(b.store.clone(), source.clone(), |_| {});
        sync_store(&engine, &id, SyncMode::Auto).await;
        let gone: Vec<String> = {
            let mut shop = adapter.shop.lock().unwrap();
            let ids: Vec<u64> = shop.customers.keys().copied().step_by(30).collect();
            ids.iter()
                .map(|i| {
                    shop.customers.remove(i);
                    i.to_string()
                })
                .collect()
        };
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
        let deleted: Vec<String> = b
            .store
            .changes_after(0, Some(&id), 1_000_000)
            .await
            .unwrap()
            .into_iter()
            .filter(|c| c.kind == polycart::store::ChangeKind::Deleted)
            .map(|c| c.platform_id)
            .collect();
        let mut want = gone.clone();
        want.sort();
        let mut got = deleted.clone();
        got.sort();
        assert_eq!(got, want, "{}", b.name);
        assert!(
            b.store
                .get_record(&id, Entity::Customer, &gone[0])
                .await
                .unwrap()
                .unwrap()
                .deleted
        );
    }
}

#[tokio::test]
async fn failing_stores_open_their_circuit_and_auth_failures_back_off() {
    for b in backends().await {
        let source = Arc::new(TestSource::default());
        let url = shop_url(4, 50);
        let adapter = TestAdapter::new(Shop::generate(4, 50));
        source.register(&url, adapter.clone());
        let id = add_shop(&b.store, &url, 60).await;
        let engine = engine(b.store.clone(), source.clone(), |o| {
            o.circuit_threshold = 3;
            o.circuit_cooldown = chrono::Duration::milliseconds(300);
        });
        *adapter.fail.lock().unwrap() = Fail::Server;
        for i in 0..3 {
            let r = engine
                .run_job(&Job::new(&id, Entity::Customer), &never, &NoProgress)
                .await;
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
        // While open, the scheduler does not lease its jobs.
        let now = Utc::now();
        assert!(
            b.store
                .lease_job("w", now, now + chrono::Duration::seconds(5))
                .await
                .unwrap()
                .is_none(),
            "{}",
            b.name
        );
        // After the cool-down a probe runs; success closes the circuit.
        tokio::time::sleep(Duration::from_millis(400)).await;
        *adapter.fail.lock().unwrap() = Fail::None;
        let now = Utc::now();
        let lease = b
            .store
            .lease_job("w", now, now + chrono::Duration::seconds(5))
            .await
            .unwrap()
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
        assert!(info.retry_at.unwrap() > Utc::now() + chrono::Duration::hours(5));
        // The scheduler's probe waits for the back-off; an operator's runs at once, and
        // only one probe is in flight.
        let (now, until) = (Utc::now(), Utc::now() + chrono::Duration::minutes(1));
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

#[tokio::test]
async fn webhooks_trigger_a_re_read_of_the_record() {
    for b in backends().await {
        let source = Arc::new(TestSource::default());
        let url = shop_url(5, 40);
        let adapter = TestAdapter::new(Shop::generate(5, 40));
        source.register(&url, adapter.clone());
        let id = add_shop(&b.store, &url, 60).await;
        let engine = engine(b.store.clone(), source.clone(), |_| {});
        sync_store(&engine, &id, SyncMode::Auto).await;
        let (first, second) = {
            let mut shop = adapter.shop.lock().unwrap();
            let ids: Vec<u64> = shop.customers.keys().copied().take(2).collect();
            shop.customers.get_mut(&ids[0]).unwrap().0 = "webhooked@example.com".into();
            shop.customers.remove(&ids[1]);
            (ids[0].to_string(), ids[1].to_string())
        };
        use polycart_kit::Adapter as _;
        let updated = adapter
            .verify_webhook(
                &http::HeaderMap::new(),
                format!(r#"{{"topic":"customers/update","id":"{first}"}}"#).as_bytes(),
            )
            .unwrap();
        engine.on_webhook(&id, &updated).await.unwrap();
        let deleted = adapter
            .verify_webhook(
                &http::HeaderMap::new(),
                format!(r#"{{"topic":"customers/delete","id":"{second}"}}"#).as_bytes(),
            )
            .unwrap();
        engine.on_webhook(&id, &deleted).await.unwrap();
        let rec = b
            .store
            .get_record(&id, Entity::Customer, &first)
            .await
            .unwrap()
            .unwrap();
        assert!(rec.document.contains("webhooked@example.com"), "{}", b.name);
        assert!(
            b.store
                .get_record(&id, Entity::Customer, &second)
                .await
                .unwrap()
                .unwrap()
                .deleted
        );
    }
}

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
async fn outbound_deliveries_survive_a_receiver_outage_in_order() {
    use axum::routing::post;
    for b in backends().await {
        let dir = tempfile::tempdir().unwrap();
        let key = Cipher::parse(&"33".repeat(32)).unwrap();
        // Subscriptions keep their secret encrypted: reopen with a key.
        let store: Arc<dyn Store> = match &b.schema {
            Some(schema) => Arc::new(
                polycart::store::PgStore::open(&b.url, Some(schema), Some(key))
                    .await
                    .unwrap(),
            ),
            None => {
                let url = format!("sqlite://{}", dir.path().join("o.db").display());
                Arc::new(SqliteStore::open(&url, Some(key)).await.unwrap())
            }
        };
        let up = Arc::new(AtomicBool::new(false));
        let received: Arc<std::sync::Mutex<Vec<i64>>> = Arc::default();
        let secret = "whsec_test";
        let app = {
            let (up, received) = (up.clone(), received.clone());
            axum::Router::new().route(
                "/hook",
                post(move |headers: http::HeaderMap, body: axum::body::Bytes| {
                    let (up, received) = (up.clone(), received.clone());
                    async move {
                        if !up.load(Ordering::SeqCst) {
                            return http::StatusCode::SERVICE_UNAVAILABLE;
                        }
                        let sig = headers["x-polycart-signature"].to_str().unwrap();
                        assert!(polycart::engine::outbound::verify(
                            secret.as_bytes(),
                            sig,
                            &body
                        ));
                        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
                        let mut got = received.lock().unwrap();
                        for c in v["changes"].as_array().unwrap() {
                            got.push(c["seq"].as_i64().unwrap());
                        }
                        http::StatusCode::OK
                    }
                }),
            )
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        let hook = url::Url::parse(&format!("http://{addr}/hook")).unwrap();
        store
            .add_subscription(&hook, &Secret::new(secret), None)
            .await
            .unwrap();
        let source = Arc::new(TestSource::default());
        let id = add_shop(&store, &shop_url(8, 250), 60).await;
        let engine = engine(store.clone(), source, |o| {
            o.delivery_batch = 40;
            o.delivery_backoff = chrono::Duration::milliseconds(50);
        });
        sync_store(&engine, &id, SyncMode::Auto).await;
        // Receiver down: attempts fail and nothing advances.
        for _ in 0..3 {
            let r = engine.deliver_once().await.unwrap().unwrap();
            assert!(!r.delivered);
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
        assert_eq!(
            store.subscriptions().await.unwrap()[0].last_seq,
            0,
            "{}",
            b.name
        );
        up.store(true, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(800)).await;
        let mut rounds = 0;
        while engine.deliver_once().await.unwrap().is_some() {
            rounds += 1;
            assert!(rounds < 100);
        }
        let all: Vec<i64> = store
            .changes_after(0, None, 1_000_000)
            .await
            .unwrap()
            .iter()
            .map(|c| c.seq)
            .collect();
        let got = received.lock().unwrap().clone();
        assert_eq!(got, all, "{}: every change, once, in order", b.name);
        assert!(got.len() > 250);
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
