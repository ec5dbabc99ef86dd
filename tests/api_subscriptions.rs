//! Outbound subscriptions through the API against a real local receiver: create,
//! list, deliveries while the receiver is down (the failures show), recovery in order,
//! replay from a sequence number, removal, and tenant isolation (another tenant's
//! subscription answers 404).

mod api_client;
use api_client::call;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::http::StatusCode;
use polycart::api::{self, AppState, KeyQuota};
use polycart::engine::{Engine, EngineOptions, RegistrySource};
use polycart::store::{self, NewStore, Store};
use polycart_kit::transport::TransportMetrics;
use polycart_kit::{Entity, Record};
use serde_json::{Value, json};

const SECRET: &str = "a-receiver-secret-0123456789";

fn category(id: u32, name: &str) -> Record {
    let v = json!({
        "id": null, "store_id": null, "platform": "shopify", "platform_id": id.to_string(), "name": name,
        "parent_id": null, "slug": null, "description_html": null, "position": null,
        "created_at": "2025-01-01T00:00:00Z", "updated_at": "2025-01-02T00:00:00Z", "raw": {"id": id}
    });
    Record::from_json(Entity::Category, &v.to_string()).unwrap()
}

/// A receiver that records every delivery's sequence numbers, and answers 503 while down.
#[derive(Clone, Default)]
struct Receiver {
    down: Arc<AtomicBool>,
    seqs: Arc<Mutex<Vec<i64>>>,
    bad_signatures: Arc<Mutex<u32>>,
}

async fn start_receiver(receiver: Receiver) -> String {
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: axum::http::HeaderMap, body: Bytes| {
            let r = receiver.clone();
            async move {
                if r.down.load(Ordering::SeqCst) {
                    return StatusCode::SERVICE_UNAVAILABLE;
                }
                let signature = headers
                    .get("x-polycart-signature")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("");
                if !polycart::engine::outbound::verify(SECRET.as_bytes(), signature, &body) {
                    *r.bad_signatures.lock().unwrap() += 1;
                    return StatusCode::UNAUTHORIZED;
                }
                let v: Value = serde_json::from_slice(&body).unwrap();
                let mut seqs = r.seqs.lock().unwrap();
                for c in v["changes"].as_array().unwrap() {
                    seqs.push(c["seq"].as_i64().unwrap());
                }
                StatusCode::OK
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}/hook")
}

/// A fresh SQLite sync store (with a credential key) in `dir`, an engine that retries
/// deliveries at once, and the API over them.
async fn fixture(
    dir: &tempfile::TempDir,
    delivery_batch: i64,
) -> (Arc<dyn Store>, Arc<Engine>, axum::Router) {
    let url = format!("sqlite://{}", dir.path().join("subs.db").display());
    let db: Arc<dyn Store> = store::open(&url, Some(store::Cipher::new(&[9u8; 32])))
        .await
        .unwrap();
    let opts = EngineOptions {
        delivery_backoff: chrono::Duration::zero(),
        delivery_batch,
        ..EngineOptions::default()
    };
    let engine = Arc::new(Engine::new(
        db.clone(),
        Arc::new(RegistrySource::default()),
        opts,
    ));
    let router = api::router(Arc::new(AppState::new(
        engine.clone(),
        Arc::new(TransportMetrics::default()),
        KeyQuota::default(),
    )));
    (db, engine, router)
}

/// Connects a store of categories named `name`; its id.
async fn add_store(db: &Arc<dyn Store>, name: &str) -> String {
    let new = NewStore {
        name: name.into(),
        platform: "shopify".into(),
        base_url: format!("https://{name}.example.com").parse().unwrap(),
        credentials: BTreeMap::new(),
        settings: BTreeMap::new(),
        entities: vec![Entity::Category],
        interval_secs: 300,
    };
    db.add_store(&new).await.unwrap().id
}

/// `n` categories of `store_id`, stored: `n` changes.
async fn store_categories(db: &Arc<dyn Store>, store_id: &str, n: u32) {
    let mut records: Vec<Record> = (1..=n)
        .map(|i| category(i, &format!("Category {i}")))
        .collect();
    for r in &mut records {
        r.assign_store(store_id);
    }
    db.upsert_records(store_id, &records).await.unwrap();
}

/// A receiver started and subscribed with `key` to `store_id`'s changes; the created
/// subscription.
async fn subscribed(router: &axum::Router, key: &str, store_id: &str) -> (Receiver, Value) {
    let receiver = Receiver::default();
    let hook = start_receiver(receiver.clone()).await;
    let (s, sub) = call(
        router,
        "POST",
        "/v1/subscriptions",
        key,
        Some(json!({"url": hook, "secret": SECRET, "store_id": store_id})),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{sub}");
    (receiver, sub)
}

/// Delivers until nothing is due (retry delays are zero in this test).
async fn drain(engine: &Engine) {
    for _ in 0..100 {
        if engine.deliver_once().await.unwrap().is_none() {
            return;
        }
    }
    panic!("deliveries never drained");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscriptions_deliver_show_failures_replay_and_are_tenant_scoped() {
    let dir = tempfile::tempdir().unwrap();
    let (db, engine, router) = fixture(&dir, 3).await;
    let (mine, theirs) = (add_store(&db, "mine").await, add_store(&db, "theirs").await);
    let (_, my_key) = db
        .create_api_key("mine", Some(std::slice::from_ref(&mine)))
        .await
        .unwrap();
    let (_, their_key) = db
        .create_api_key("theirs", Some(std::slice::from_ref(&theirs)))
        .await
        .unwrap();

    let (receiver, sub) = subscribed(&router, &my_key, &mine).await;
    assert!(
        !sub.to_string().contains(SECRET),
        "the secret is write-only"
    );
    let sub_id = sub["id"].as_str().unwrap().to_owned();
    let (s, body) = call(
        &router,
        "POST",
        "/v1/subscriptions",
        &my_key,
        Some(json!({"url": sub["url"], "secret": SECRET})),
    )
    .await;
    assert_eq!(
        (s, body["error"]["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("forbidden")),
        "only admins subscribe to every store"
    );

    // Changes while the receiver is down: failures show in the deliveries.
    receiver.down.store(true, Ordering::SeqCst);
    store_categories(&db, &mine, 7).await;
    let mut theirs_records = vec![category(99, "Not yours")];
    theirs_records[0].assign_store(&theirs);
    db.upsert_records(&theirs, &theirs_records).await.unwrap();
    for _ in 0..3 {
        let result = engine
            .deliver_once()
            .await
            .unwrap()
            .expect("a delivery is due");
        assert!(!result.delivered);
    }
    let (s, failed) = call(
        &router,
        "GET",
        &format!("/v1/subscriptions/{sub_id}/deliveries?failed=true"),
        &my_key,
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{failed}");
    let failed = failed["data"].as_array().unwrap().clone();
    assert_eq!(failed.len(), 3);
    assert!(
        failed
            .iter()
            .all(|d| d["status"] == 503 && d["error"].is_string())
    );
    let (_, listed) = call(&router, "GET", "/v1/subscriptions", &my_key, None).await;
    assert_eq!(listed["data"][0]["failures"], 3);

    // The receiver is back: everything arrives once, in order; the other store's change never.
    receiver.down.store(false, Ordering::SeqCst);
    drain(&engine).await;
    let delivered = receiver.seqs.lock().unwrap().clone();
    let changes = db.changes_after(0, Some(&mine), 100).await.unwrap();
    let want: Vec<i64> = changes.iter().map(|c| c.seq).collect();
    assert_eq!(delivered, want);
    assert_eq!(want.len(), 7);
    assert_eq!(*receiver.bad_signatures.lock().unwrap(), 0);

    // Replay from the third change re-sends the rest, in order.
    let (s, body) = call(
        &router,
        "POST",
        &format!("/v1/subscriptions/{sub_id}/replay?after={}", want[2]),
        &my_key,
        None,
    )
    .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{body}");
    assert_eq!(body["last_seq"], want[2]);
    drain(&engine).await;
    let delivered = receiver.seqs.lock().unwrap().clone();
    assert_eq!(&delivered[7..], &want[3..]);

    // Another tenant cannot see, replay or remove it.
    for (method, path) in [
        ("GET", format!("/v1/subscriptions/{sub_id}/deliveries")),
        ("POST", format!("/v1/subscriptions/{sub_id}/replay?after=0")),
        ("DELETE", format!("/v1/subscriptions/{sub_id}")),
    ] {
        let (s, body) = call(&router, method, &path, &their_key, None).await;
        assert_eq!(
            (s, body["error"]["code"].as_str()),
            (StatusCode::NOT_FOUND, Some("not_found")),
            "{method} {path}"
        );
    }
    let (_, listed) = call(&router, "GET", "/v1/subscriptions", &their_key, None).await;
    assert_eq!(listed["data"].as_array().unwrap().len(), 0);

    let (s, body) = call(
        &router,
        "POST",
        &format!("/v1/subscriptions/{sub_id}/replay?after=-1"),
        &my_key,
        None,
    )
    .await;
    assert_eq!(
        (s, body["error"]["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_request"))
    );
    let (s, _) = call(
        &router,
        "DELETE",
        &format!("/v1/subscriptions/{sub_id}"),
        &my_key,
        None,
    )
    .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = call(
        &router,
        "GET",
        &format!("/v1/subscriptions/{sub_id}/deliveries"),
        &my_key,
        None,
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert!(
        engine.deliver_once().await.unwrap().is_none(),
        "a removed subscription receives nothing"
    );
}

/// Retention dropped changes a subscription had not received: it is listed as fallen
/// behind and receives nothing; the change feed and a replay from before the horizon
/// answer 410 `changes_expired` naming the oldest retained sequence; a replay from the
/// horizon resumes it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changes_past_retention_answer_gone_and_a_fallen_behind_subscription_waits_for_a_replay() {
    let dir = tempfile::tempdir().unwrap();
    let (db, engine, router) = fixture(&dir, 100).await;
    let mine = add_store(&db, "mine").await;
    let (_, key) = db
        .create_api_key("mine", Some(std::slice::from_ref(&mine)))
        .await
        .unwrap();
    let (receiver, sub) = subscribed(&router, &key, &mine).await;
    let sub_id = sub["id"].as_str().unwrap().to_owned();
    store_categories(&db, &mine, 5).await;
    let pruned = db
        .prune_changes(chrono::Utc::now() + chrono::Duration::seconds(5), 3)
        .await
        .unwrap();
    assert_eq!(pruned.horizon, 3);

    let (_, listed) = call(&router, "GET", "/v1/subscriptions", &key, None).await;
    assert_eq!(listed["data"][0]["status"], "fell_behind", "{listed}");
    assert_eq!(listed["data"][0]["oldest_available_seq"], 4);
    assert!(
        engine.deliver_once().await.unwrap().is_none(),
        "nothing is sent past the gap"
    );
    assert!(receiver.seqs.lock().unwrap().is_empty());

    for (method, path) in [
        ("GET", format!("/v1/changes?after=0&store={mine}")),
        ("GET", "/v1/changes?after=2".to_owned()),
        ("POST", format!("/v1/subscriptions/{sub_id}/replay?after=2")),
    ] {
        let (s, body) = call(&router, method, &path, &key, None).await;
        assert_eq!(
            (s, body["error"]["code"].as_str()),
            (StatusCode::GONE, Some("changes_expired")),
            "{method} {path}: {body}"
        );
        assert_eq!(body["error"]["oldest_available_seq"], 4, "{body}");
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("after=3"),
            "{body}"
        );
    }
    let (s, page) = call(&router, "GET", "/v1/changes?after=3", &key, None).await;
    assert_eq!(s, StatusCode::OK, "{page}");
    let seqs: Vec<i64> = page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["seq"].as_i64().unwrap())
        .collect();
    assert_eq!(seqs, vec![4, 5]);

    let (s, body) = call(
        &router,
        "POST",
        &format!("/v1/subscriptions/{sub_id}/replay?after=3"),
        &key,
        None,
    )
    .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{body}");
    assert_eq!(body["status"], "active");
    assert!(body["oldest_available_seq"].is_null());
    drain(&engine).await;
    assert_eq!(*receiver.seqs.lock().unwrap(), vec![4, 5]);
}
