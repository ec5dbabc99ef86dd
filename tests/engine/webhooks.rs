//! Webhooks in and out: platform webhooks are hints checked against the platform;
//! outbound deliveries survive a receiver outage in order and never follow redirects.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use polycart::engine::{ManualClock, SyncMode};
use polycart::store::{Cipher, SqliteStore, Store};
use polycart_kit::Secret;

use crate::common::*;

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
