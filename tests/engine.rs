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
use polycart::engine::{Job, ManualClock, NoProgress, SyncMode};
use polycart::store::{
    Cipher, Error as StoreError, NewStore, SqliteStore, Store, StoreState, Stores, Subscriptions,
};
use polycart_kit::{Entity, Secret};

fn never() -> bool {
    false
}

/// One pass of a store's customers (no lease, no catch-up: the scheduler's kind).
async fn customer_pass(
    engine: &polycart::engine::Engine,
    store_id: &str,
) -> polycart::engine::Result<polycart::engine::SliceReport> {
    engine
        .run_job(&Job::new(store_id, Entity::Customer), &never, &NoProgress)
        .await
}

/// A store's customers synced as `polycart sync` does (under a lease, to the end,
/// with its catch-up pass).
async fn sync_customers(
    engine: &polycart::engine::Engine,
    store_id: &str,
) -> polycart::engine::SliceReport {
    let stop = AtomicBool::new(false);
    let pairs = vec![(store_id.to_owned(), Entity::Customer)];
    let mut results = engine
        .sync_all(pairs, SyncMode::Auto, &NoProgress, &stop)
        .await;
    results
        .pop()
        .expect("one pair")
        .2
        .expect("the sync succeeds")
}

/// A stored customer, which must exist.
async fn customer(
    store: &Arc<dyn Store>,
    store_id: &str,
    platform_id: &str,
) -> polycart::store::StoredRecord {
    store
        .get_record(store_id, Entity::Customer, platform_id)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("customer {platform_id} is stored"))
}

/// What the scheduler of worker "w" leases at `at` (a five-second lease).
async fn lease_at(
    store: &Arc<dyn Store>,
    at: chrono::DateTime<Utc>,
) -> Option<polycart::store::Lease> {
    store
        .lease_job("w", at, at + chrono::Duration::seconds(5))
        .await
        .unwrap()
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
    use polycart::store::{IdempotencyState, IdempotencyWindow};
    for b in backends().await {
        let store = &b.store;
        let t0 = chrono::Utc::now();
        let old = t0 - chrono::Duration::hours(24);
        let window = |now: chrono::DateTime<chrono::Utc>, expire_before| IdempotencyWindow {
            now,
            expire_before,
            lease_expired_before: now - chrono::Duration::minutes(5),
        };
        let begin =
            |key: &'static str, hash: &'static str, now: chrono::DateTime<chrono::Utc>, expire| {
                let store = store.clone();
                async move {
                    store
                        .begin_idempotent("key_1", key, hash, window(now, expire))
                        .await
                        .unwrap()
                }
            };
        assert_eq!(
            begin("k", "h1", t0, old).await,
            IdempotencyState::Started,
            "{}",
            b.name
        );
        assert_eq!(
            begin("k", "h1", t0, old).await,
            IdempotencyState::InProgress {
                request_hash: "h1".into()
            },
            "{}: a running request holds its key",
            b.name
        );
        store
            .finish_idempotent("key_1", "k", 200, r#"{"ok":true}"#)
            .await
            .unwrap();
        assert_eq!(
            begin("k", "h1", t0, old).await,
            IdempotencyState::Done {
                request_hash: "h1".into(),
                status: 200,
                body: r#"{"ok":true}"#.into()
            },
            "{}",
            b.name
        );
        // Keys are per API key.
        assert_eq!(
            store
                .begin_idempotent("key_2", "k", "h1", window(t0, old))
                .await
                .unwrap(),
            IdempotencyState::Started,
            "{}",
            b.name
        );
        // A released key can be taken again; a finished one is not released.
        assert_eq!(begin("r", "h2", t0, old).await, IdempotencyState::Started);
        store.abandon_idempotent("key_1", "r").await.unwrap();
        assert_eq!(
            begin("r", "h2", t0, old).await,
            IdempotencyState::Started,
            "{}",
            b.name
        );
        store.abandon_idempotent("key_1", "k").await.unwrap();
        assert!(matches!(
            begin("k", "h1", t0, old).await,
            IdempotencyState::Done { .. }
        ));
        // After the TTL a key is forgotten.
        let later = t0 + chrono::Duration::hours(25);
        assert_eq!(
            begin("k", "h9", later, later - chrono::Duration::hours(24)).await,
            IdempotencyState::Started,
            "{}",
            b.name
        );
        // A key left in progress by a crash is released when its lease expires,
        // minutes later, not after the day a finished key is kept.
        assert_eq!(
            begin("crash", "h3", t0, old).await,
            IdempotencyState::Started
        );
        assert!(matches!(
            begin("crash", "h3", t0 + chrono::Duration::minutes(4), old).await,
            IdempotencyState::InProgress { .. }
        ));
        assert_eq!(
            begin("crash", "h3", t0 + chrono::Duration::minutes(6), old).await,
            IdempotencyState::Started,
            "{}: an expired lease releases the key",
            b.name
        );
    }
}

#[tokio::test]
async fn platform_webhook_deliveries_are_recognised_for_a_day() {
    for b in backends().await {
        let store = &b.store;
        let id = add_shop(store, &shop_url(51, 1), 60).await;
        let t0 = chrono::Utc::now();
        let day = chrono::Duration::hours(24);
        assert!(
            store.first_delivery(&id, "d1", t0, t0 - day).await.unwrap(),
            "{}",
            b.name
        );
        assert!(
            !store.first_delivery(&id, "d1", t0, t0 - day).await.unwrap(),
            "{}",
            b.name
        );
        assert!(store.first_delivery(&id, "d2", t0, t0 - day).await.unwrap());
        // A day later the first is forgotten.
        let later = t0 + chrono::Duration::hours(25);
        assert!(
            store
                .first_delivery(&id, "d1", later, later - day)
                .await
                .unwrap(),
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
    // Sealed credentials belong to their store and its URL: rewriting the URL in the
    // database, or copying them to another store, does not send them elsewhere.
    let other = store
        .add_store(&NewStore {
            credentials: BTreeMap::from([("token".to_owned(), Secret::new("other"))]),
            ..new.clone()
        })
        .await
        .unwrap()
        .id;
    let raw = sqlx::SqlitePool::connect(&url).await.unwrap();
    let tamper = |sql: &'static str, binds: [&str; 2]| {
        let raw = raw.clone();
        let binds = binds.map(str::to_owned);
        async move {
            let q = binds
                .iter()
                .fold(sqlx::query(sql), |q, b| q.bind(b.clone()));
            q.execute(&raw).await.unwrap();
        }
    };
    let token = |id: String| {
        let store = store.clone();
        async move {
            store
                .store_config(&id)
                .await
                .map(|c| c.credential("token").unwrap().expose().to_owned())
        }
    };
    tamper(
        "UPDATE stores SET credentials = (SELECT credentials FROM stores WHERE id = $1) WHERE id = $2",
        [&id, &other],
    )
    .await;
    assert!(matches!(
        token(other.clone()).await,
        Err(StoreError::Decrypt)
    ));
    let moved = "UPDATE stores SET base_url = $1 WHERE id = $2";
    tamper(moved, ["https://attacker.example.com/", &id]).await;
    assert!(matches!(token(id.clone()).await, Err(StoreError::Decrypt)));
    tamper(moved, ["https://shop.example.com/", &id]).await;
    assert_eq!(token(id.clone()).await.unwrap(), "very-secret-token");
    store.remove_store(&other).await.unwrap();
    raw.close().await;
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
    assert!(
        matches!(
            SqliteStore::open(&url, Some(wrong.clone())).await,
            Err(StoreError::Decrypt)
        ),
        "a wrong key is refused at start, not at the first sync"
    );
    // Subscription secrets are sealed too: with only those stored, the key is still
    // required, and must be the right one.
    let store = SqliteStore::open(&url, Some(key)).await.unwrap();
    store.remove_store(&id).await.unwrap();
    store
        .add_subscription(
            &url::Url::parse("https://hooks.example.com/in").unwrap(),
            &Secret::new("whsec_x"),
            None,
        )
        .await
        .unwrap();
    drop(store);
    assert!(matches!(
        SqliteStore::open(&url, None).await,
        Err(StoreError::MissingKey)
    ));
    assert!(matches!(
        SqliteStore::open(&url, Some(wrong)).await,
        Err(StoreError::Decrypt)
    ));
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

#[tokio::test]
async fn webhooks_are_hints_checked_against_the_platform() {
    for b in backends().await {
        let adapter = TestAdapter::new(Shop::generate(5, 40));
        let (source, id) = connect(&b.store, &adapter).await;
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
        let rec = customer(&b.store, &id, &first).await;
        assert!(rec.document.contains("webhooked@example.com"), "{}", b.name);
        assert!(customer(&b.store, &id, &second).await.deleted);

        // A replayed body under a delete topic: the platform still has the record.
        let replayed = adapter
            .verify_webhook(
                &http::HeaderMap::new(),
                format!(r#"{{"topic":"customers/delete","id":"{first}"}}"#).as_bytes(),
            )
            .unwrap();
        let outcome = engine.on_webhook(&id, &replayed).await.unwrap();
        assert_eq!(outcome, polycart::engine::WebhookOutcome::Stored);
        assert!(!customer(&b.store, &id, &first).await.deleted, "{}", b.name);
        // An uninstall the platform does not confirm (the credentials still work).
        let uninstall = adapter
            .verify_webhook(&http::HeaderMap::new(), br#"{"topic":"app/uninstalled"}"#)
            .unwrap();
        let outcome = engine.on_webhook(&id, &uninstall).await.unwrap();
        assert_eq!(outcome, polycart::engine::WebhookOutcome::NotConfirmed);
        let info = b.store.get_store(&id).await.unwrap();
        assert_eq!(
            info.state,
            polycart::store::StoreState::Active,
            "{}",
            b.name
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
        let clock = ManualClock::new();
        let engine = engine(store.clone(), source, |o| {
            o.delivery_batch = 40;
            o.delivery_backoff = chrono::Duration::seconds(2);
            o.clock = clock.clock();
        });
        sync_store(&engine, &id, SyncMode::Auto).await;
        // Receiver down: attempts fail, nothing advances, and each retry waits twice as
        // long as the one before.
        let mut waits = Vec::new();
        for _ in 0..3 {
            let r = engine.deliver_once().await.unwrap().unwrap();
            assert!(!r.delivered);
            assert_eq!(r.status, Some(503));
            assert!(
                engine.deliver_once().await.unwrap().is_none(),
                "retried before its back-off"
            );
            let wait = r.retry_at.unwrap() - clock.clock().now();
            waits.push(wait.num_seconds());
            clock.advance(wait + chrono::Duration::seconds(1));
        }
        assert!(
            waits.windows(2).all(|w| w[1] > w[0]),
            "{}: back-off {waits:?}",
            b.name
        );
        assert_eq!(
            store.subscriptions().await.unwrap()[0].last_seq,
            0,
            "{}",
            b.name
        );
        up.store(true, Ordering::SeqCst);
        clock.advance(chrono::Duration::minutes(10));
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
async fn an_older_version_never_replaces_a_newer_one() {
    for b in backends().await {
        let id = add_shop(&b.store, &shop_url(33, 3), 60).await;
        let mut shop = Shop::generate(33, 3);
        let pid = *shop.customers.keys().next().unwrap();
        let t = Utc::now();
        let version = |shop: &mut Shop, email: &str, at| {
            let row = shop.customers.get_mut(&pid).unwrap();
            row.0 = email.to_owned();
            row.2 = at;
            shop.record(Entity::Customer, pid).unwrap()
        };
        let old = version(
            &mut shop,
            "old@example.com",
            t - chrono::Duration::minutes(2),
        );
        let new = version(&mut shop, "new@example.com", t);
        let newest = version(
            &mut shop,
            "newest@example.com",
            t + chrono::Duration::minutes(1),
        );
        // A webhook's re-read commits the new version; a page read before it arrives.
        assert_eq!(
            b.store
                .upsert_records(&id, std::slice::from_ref(&new))
                .await
                .unwrap()
                .created,
            1
        );
        let seq = b
            .store
            .changes_after(0, Some(&id), 100)
            .await
            .unwrap()
            .len();
        let pass = polycart::store::Pass {
            id: b.store.next_pass_id().await.unwrap(),
            full: true,
            since: None,
            started_at: t - chrono::Duration::minutes(5),
            next: None,
            listed_all: false,
            max_updated: None,
        };
        let outcome = b
            .store
            .commit_page(&polycart::store::PageCommit {
                store_id: &id,
                entity: Entity::Customer,
                records: std::slice::from_ref(&old),
                pass: &pass,
                fence: None,
                renew_until: Utc::now(),
            })
            .await
            .unwrap();
        assert_eq!((outcome.changed(), outcome.unchanged), (0, 1), "{}", b.name);
        let stored_doc = customer(&b.store, &id, &pid.to_string()).await.document;
        assert!(
            stored_doc.contains("new@example.com"),
            "{}: {stored_doc}",
            b.name
        );
        assert_eq!(
            b.store
                .changes_after(0, Some(&id), 100)
                .await
                .unwrap()
                .len(),
            seq,
            "{}",
            b.name
        );
        // The stale listing still counts as seen: reconciliation does not delete it.
        assert!(
            b.store
                .unseen_records(&id, Entity::Customer, &pass)
                .await
                .unwrap()
                .is_empty()
        );
        // A page listing the record twice writes (and announces) its newest version once.
        let outcome = b
            .store
            .upsert_records(&id, &[newest.clone(), old.clone()])
            .await
            .unwrap();
        assert_eq!((outcome.updated, outcome.unchanged), (1, 1), "{}", b.name);
        let changes = b.store.changes_after(0, Some(&id), 100).await.unwrap();
        assert_eq!(changes.len(), seq + 1);
        assert_eq!(
            changes.last().unwrap().record["email"],
            "newest@example.com"
        );
        // A deleted record comes back with whatever version is listed.
        b.store
            .mark_deleted(&id, Entity::Customer, &[pid.to_string()])
            .await
            .unwrap();
        assert_eq!(
            b.store.upsert_records(&id, &[old]).await.unwrap().created,
            1,
            "{}",
            b.name
        );
    }
}

#[tokio::test]
async fn a_lease_granted_again_to_the_same_owner_fences_the_earlier_holder() {
    for b in backends().await {
        let id = b
            .store
            .add_store(&NewStore {
                name: "one job".into(),
                platform: "testshop".into(),
                base_url: url::Url::parse(&shop_url(34, 3)).unwrap(),
                credentials: BTreeMap::new(),
                settings: BTreeMap::new(),
                entities: vec![Entity::Customer],
                interval_secs: 60,
            })
            .await
            .unwrap()
            .id;
        let ttl = chrono::Duration::seconds(30);
        let t = Utc::now();
        let claim = |now: chrono::DateTime<Utc>| {
            let store = b.store.clone();
            let id = id.clone();
            async move {
                store
                    .claim_job(&id, Entity::Customer, "worker", now, now + ttl, |_| false)
                    .await
                    .unwrap()
                    .expect("free, expired or ours")
            }
        };
        let first = claim(t).await;
        // Two processes started with one `--id` (or one process's second task after
        // its first lease expired) hold leases of the same name.
        let second = claim(t + chrono::Duration::seconds(31)).await;
        assert_eq!((first.job_id, &first.owner), (second.job_id, &second.owner));
        assert_ne!(first.token, second.token, "{}", b.name);
        let shop = Shop::generate(34, 3);
        let records = [shop
            .record(Entity::Customer, *shop.customers.keys().next().unwrap())
            .unwrap()];
        let pass = polycart::store::Pass {
            id: 1,
            full: false,
            since: None,
            started_at: t,
            next: None,
            listed_all: false,
            max_updated: None,
        };
        let page = |lease| polycart::store::PageCommit {
            store_id: &id,
            entity: Entity::Customer,
            records: &records,
            pass: &pass,
            fence: Some(lease),
            renew_until: t + chrono::Duration::seconds(60),
        };
        assert!(
            matches!(
                b.store.commit_page(&page(&first)).await,
                Err(StoreError::LeaseLost { .. })
            ),
            "{}: the earlier holder's page is refused",
            b.name
        );
        assert!(
            b.store
                .get_record(&id, Entity::Customer, records[0].platform_id())
                .await
                .unwrap()
                .is_none()
        );
        assert!(matches!(
            b.store.renew_lease(&first, t).await,
            Err(StoreError::LeaseLost { .. })
        ));
        assert!(matches!(
            b.store
                .save_pass(&id, Entity::Customer, &pass, Some(&first))
                .await,
            Err(StoreError::LeaseLost { .. })
        ));
        // Giving back the earlier lease does not free the job under the later one.
        b.store.release_job(&first, t).await.unwrap();
        let now = t + chrono::Duration::seconds(40);
        assert!(
            b.store
                .lease_job("other", now, now + ttl)
                .await
                .unwrap()
                .is_none(),
            "{}",
            b.name
        );
        b.store.renew_lease(&second, now + ttl).await.unwrap();
        assert_eq!(
            b.store.commit_page(&page(&second)).await.unwrap().created,
            1
        );
        // Leases from the scheduler carry their token too: an expired one leased again
        // by the same name fences the first.
        b.store.release_job(&second, t).await.unwrap();
        let later = t + chrono::Duration::seconds(100);
        let leased = b
            .store
            .lease_job("worker", later, later + ttl)
            .await
            .unwrap()
            .unwrap();
        let expired = later + ttl + chrono::Duration::seconds(1);
        let again = b
            .store
            .lease_job("worker", expired, expired + ttl)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(leased.job_id, again.job_id);
        assert!(again.token > leased.token, "{}", b.name);
        assert!(matches!(
            b.store.renew_lease(&leased, expired).await,
            Err(StoreError::LeaseLost { .. })
        ));
        b.store.renew_lease(&again, expired + ttl).await.unwrap();
    }
}

#[tokio::test]
async fn entity_stats_count_live_records_on_both_backends() {
    for b in backends().await {
        let adapter = TestAdapter::new(Shop::generate(35, 120));
        let (source, id) = connect(&b.store, &adapter).await;
        let engine = engine(b.store.clone(), source, |_| {});
        sync_store(&engine, &id, SyncMode::Auto).await;
        let gone = adapter
            .shop
            .lock()
            .unwrap()
            .customers
            .keys()
            .next()
            .unwrap()
            .to_string();
        b.store
            .mark_deleted(&id, Entity::Customer, &[gone])
            .await
            .unwrap();
        let stats = b.store.entity_stats().await.expect("entity stats query");
        let customers = stats
            .iter()
            .find(|s| s.store_id == id && s.entity == Entity::Customer)
            .unwrap_or_else(|| panic!("{}: no customer stats in {stats:?}", b.name));
        assert_eq!(customers.live_records, 119, "{}", b.name);
        assert!(customers.synced_through.is_some());
    }
}

/// Writers commit concurrently on many connections while a follower reads the feed
/// from the last sequence it saw: it must never pass over a change that commits later
/// with a smaller sequence (on PostgreSQL, a sequence taken before commit would).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_follower_of_the_change_feed_never_skips_a_concurrent_commit() {
    for b in backends().await {
        let mut stores = Vec::new();
        for seed in 0..6 {
            stores.push(add_shop(&b.store, &shop_url(40 + seed, 1), 60).await);
        }
        let writing = Arc::new(AtomicBool::new(true));
        let follower = {
            let (store, writing) = (b.store.clone(), writing.clone());
            tokio::spawn(async move {
                let mut seen = Vec::new();
                let mut after = 0;
                loop {
                    let last_round = !writing.load(Ordering::SeqCst);
                    let page = store.changes_after(after, None, 50).await.unwrap();
                    if let Some(last) = page.last() {
                        after = last.seq;
                    }
                    let empty = page.is_empty();
                    seen.extend(page.into_iter().map(|c| c.seq));
                    if last_round && empty {
                        return seen;
                    }
                    tokio::task::yield_now().await;
                }
            })
        };
        let mut writers = Vec::new();
        for (w, store_id) in stores.iter().enumerate() {
            let (store, store_id) = (b.store.clone(), store_id.clone());
            writers.push(tokio::spawn(async move {
                let mut shop = Shop::generate(60 + w as u64, 3);
                for round in 0..25u64 {
                    shop.churn(round, 2, Utc::now());
                    let records: Vec<_> = shop
                        .customers
                        .keys()
                        .map(|k| shop.record(Entity::Customer, *k).unwrap())
                        .collect();
                    store.upsert_records(&store_id, &records).await.unwrap();
                }
            }));
        }
        for w in writers {
            w.await.unwrap();
        }
        writing.store(false, Ordering::SeqCst);
        let seen = follower.await.unwrap();
        let all: Vec<i64> = b
            .store
            .changes_after(0, None, 1_000_000)
            .await
            .unwrap()
            .iter()
            .map(|c| c.seq)
            .collect();
        assert!(all.len() >= 6 * 25, "{}: {} changes", b.name, all.len());
        assert!(all.windows(2).all(|w| w[0] < w[1]));
        let read: std::collections::BTreeSet<i64> = seen.iter().copied().collect();
        let skipped: Vec<i64> = all.iter().copied().filter(|s| !read.contains(s)).collect();
        assert!(
            skipped.is_empty(),
            "{}: the follower skipped {skipped:?}",
            b.name
        );
        assert_eq!(
            seen, all,
            "{}: the follower read changes twice or out of order",
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

#[tokio::test]
async fn outbound_deliveries_do_not_follow_redirects() {
    use axum::routing::post;
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("r.db").display());
    let store: Arc<dyn Store> = Arc::new(
        SqliteStore::open(&url, Some(Cipher::parse(&"44".repeat(32)).unwrap()))
            .await
            .unwrap(),
    );
    let landed = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let app = {
        let landed = landed.clone();
        axum::Router::new()
            .route(
                "/moved",
                post(|| async {
                    (
                        http::StatusCode::TEMPORARY_REDIRECT,
                        [("location", "/internal")],
                    )
                }),
            )
            .route(
                "/internal",
                post(move || {
                    let landed = landed.clone();
                    async move {
                        landed.fetch_add(1, Ordering::SeqCst);
                        http::StatusCode::OK
                    }
                }),
            )
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let secret_in_url = "tok_do_not_log";
    let hook = url::Url::parse(&format!("http://{addr}/moved?token={secret_in_url}")).unwrap();
    store
        .add_subscription(&hook, &Secret::new("whsec"), None)
        .await
        .unwrap();
    let id = add_shop(&store, &shop_url(38, 5), 60).await;
    let engine = engine(store.clone(), Arc::new(TestSource::default()), |_| {});
    sync_store(&engine, &id, SyncMode::Auto).await;
    let r = engine.deliver_once().await.unwrap().unwrap();
    assert!(!r.delivered);
    assert_eq!(r.status, Some(307));
    assert_eq!(
        landed.load(Ordering::SeqCst),
        0,
        "the redirect was followed"
    );
    assert_eq!(store.subscriptions().await.unwrap()[0].last_seq, 0);
    // An unreachable receiver's error does not repeat its URL (and its token).
    let dead = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let dead_addr = dead.local_addr().unwrap();
    drop(dead);
    let sub = store.subscriptions().await.unwrap().remove(0);
    store.remove_subscription(&sub.id).await.unwrap();
    let hook = url::Url::parse(&format!("http://{dead_addr}/in?token={secret_in_url}")).unwrap();
    store
        .add_subscription(&hook, &Secret::new("whsec"), None)
        .await
        .unwrap();
    store
        .replay_subscription(&store.subscriptions().await.unwrap()[0].id, 0)
        .await
        .unwrap();
    let r = engine.deliver_once().await.unwrap().unwrap();
    let error = r.error.unwrap();
    assert!(
        error.contains("unreachable") && !error.contains(secret_in_url),
        "{error}"
    );
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
