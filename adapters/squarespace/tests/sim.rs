//! The adapter against its simulator, for what the kit's suite does not pin down:
//! the `modifiedAfter`/`modifiedBefore` window on the first request and the cursor
//! alone after it, Squarespace's refusals (half a window, a cursor beside a window, no
//! `User-Agent`, a bad key) with its error object, the stock adjustment's
//! `Idempotency-Key` kept across a retry and per caller key, and the OAuth refresh
//! with a rotating refresh token handed to the token sink.

use std::collections::{BTreeMap, HashSet};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::{Duration, Utc};
use polycart_kit::auth::{TokenSet, TokenSink};
use polycart_kit::connector::{AdapterContext, StoreConfig};
use polycart_kit::model::Record;
use polycart_kit::sim::{Fault, SimHandle, SimOptions, SimServer, StoreSize, Target};
use polycart_kit::walk::collect_all;
use polycart_kit::{Adapter, Entity, Error, InventoryChange, ListQuery, Secret, Write, WriteOp};
use polycart_squarespace::SquarespaceAdapter;
use polycart_squarespace::sim::{SquarespaceSim, start};

fn local() -> SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

async fn setup(orders: usize) -> (SimServer, SquarespaceSim) {
    let options = SimOptions {
        seed: 5,
        size: StoreSize {
            products: 12,
            customers: 5,
            orders,
        },
        ..SimOptions::default()
    };
    start(options, local()).await.unwrap()
}

fn store(
    server: &SimServer,
    credentials: &[(&str, String)],
    settings: &[(&str, String)],
) -> StoreConfig {
    StoreConfig {
        store_id: "s1".into(),
        base_url: server.info.base_url.parse().unwrap(),
        credentials: credentials
            .iter()
            .map(|(k, v)| ((*k).to_owned(), Secret::new(v.clone())))
            .collect::<BTreeMap<_, _>>(),
        settings: settings
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect(),
    }
}

fn api_key_adapter(server: &SimServer, sim: &SquarespaceSim) -> SquarespaceAdapter {
    let s = store(server, &[("access_token", sim.api_key.clone())], &[]);
    SquarespaceAdapter::new(&s, &AdapterContext::default()).unwrap()
}

fn ids(records: &[Record]) -> HashSet<String> {
    records.iter().map(|r| r.platform_id().to_owned()).collect()
}

#[tokio::test]
async fn a_window_on_the_first_page_and_the_cursor_alone_after_it() {
    let (server, sim) = setup(130).await;
    let adapter = api_key_adapter(&server, &sim);
    let all = collect_all(&adapter, ListQuery::new(Entity::Order))
        .await
        .unwrap();
    assert_eq!(all.len(), 130);
    assert_eq!(ids(&all).len(), 130, "an order listed twice");
    // 60 orders changed now: an incremental pass since just before reads exactly them,
    // over two pages (the sim refuses a cursor beside a window and half a window, so
    // the second page proves the window went on the first request only).
    let now = Utc::now();
    let truth = sim.truth(Entity::Order).unwrap();
    let changed: HashSet<String> = truth.iter().take(60).cloned().collect();
    for id in &changed {
        sim.touch(Entity::Order, id, now).unwrap();
    }
    let first = adapter
        .list(&ListQuery::new(Entity::Order).updated_since(now - Duration::seconds(5)))
        .await
        .unwrap();
    assert_eq!(first.records.len(), 50);
    assert!(first.next.is_some());
    let since = collect_all(
        &adapter,
        ListQuery::new(Entity::Order).updated_since(now - Duration::seconds(5)),
    )
    .await
    .unwrap();
    assert_eq!(ids(&since), changed);
}

#[tokio::test]
async fn squarespace_refusals_come_with_its_error_object() {
    let (server, sim) = setup(3).await;
    let http = reqwest::Client::new();
    let url = format!("{}/1.0/commerce/orders", server.origin());
    let get = |query: &'static [(&'static str, &'static str)], agent: bool, key: String| {
        let mut r = http.get(&url).query(query).bearer_auth(key);
        if agent {
            r = r.header("user-agent", "polycart-test/1");
        }
        r.send()
    };
    let check = |status: u16, body: serde_json::Value, expected: u16, kind: &str| {
        assert_eq!(status, expected, "{body}");
        assert_eq!(body["type"], kind, "{body}");
        for field in ["subtype", "message", "details", "contextId"] {
            assert!(body.get(field).is_some(), "{field} missing in {body}");
        }
    };
    let r = get(
        &[("modifiedAfter", "2024-01-01T00:00:00Z")],
        true,
        sim.api_key.clone(),
    )
    .await
    .unwrap();
    check(
        r.status().as_u16(),
        r.json().await.unwrap(),
        400,
        "INVALID_REQUEST_ERROR",
    );
    let r = get(
        &[
            ("cursor", "abc"),
            ("modifiedAfter", "2024-01-01T00:00:00Z"),
            ("modifiedBefore", "2024-02-01T00:00:00Z"),
        ],
        true,
        sim.api_key.clone(),
    )
    .await
    .unwrap();
    check(
        r.status().as_u16(),
        r.json().await.unwrap(),
        400,
        "INVALID_REQUEST_ERROR",
    );
    let r = get(&[], false, sim.api_key.clone()).await.unwrap();
    check(
        r.status().as_u16(),
        r.json().await.unwrap(),
        400,
        "INVALID_REQUEST_ERROR",
    );
    let r = get(&[], true, "wrong".into()).await.unwrap();
    check(
        r.status().as_u16(),
        r.json().await.unwrap(),
        401,
        "AUTHORIZATION_ERROR",
    );
    let r = get(&[], true, sim.api_key.clone()).await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
}

/// The first in-stock variant's id and level.
async fn a_level(adapter: &SquarespaceAdapter) -> (String, i64) {
    let levels = collect_all(adapter, ListQuery::new(Entity::Inventory))
        .await
        .unwrap();
    levels
        .iter()
        .find_map(|r| match r {
            Record::Inventory(l) => Some((l.platform_id.clone(), l.available?)),
            _ => None,
        })
        .unwrap()
}

async fn level(adapter: &SquarespaceAdapter, id: &str) -> i64 {
    match adapter.get(Entity::Inventory, id).await.unwrap() {
        Record::Inventory(l) => l.available.unwrap(),
        other => panic!("{other:?}"),
    }
}

fn delta(variant: &str, d: i64) -> WriteOp {
    WriteOp::SetInventory {
        product_id: None,
        variant_id: Some(variant.to_owned()),
        sku: None,
        location_id: None,
        change: InventoryChange::Delta(d),
    }
}

#[tokio::test]
async fn a_lost_answer_is_retried_with_the_same_idempotency_key_and_acts_once() {
    let (server, sim) = setup(3).await;
    let adapter = api_key_adapter(&server, &sim);
    let (variant, before) = a_level(&adapter).await;
    sim.faults().arm(Fault::AnswerLost, 1, Target::Mutating);
    let written = adapter
        .write(&Write::new(delta(&variant, 3)))
        .await
        .unwrap();
    let Record::Inventory(l) = written else {
        panic!("{written:?}")
    };
    assert_eq!(l.available, Some(before + 3));
    let keys = sim.idempotency_keys_seen();
    assert_eq!(keys.len(), 2, "the lost answer was not retried: {keys:?}");
    assert_eq!(keys[0], keys[1], "the retry carried another key");
    assert_eq!(sim.adjustments.load(std::sync::atomic::Ordering::SeqCst), 1);
    // Another write without a caller key is another logical write: a fresh key.
    adapter
        .write(&Write::new(delta(&variant, 1)))
        .await
        .unwrap();
    let keys = sim.idempotency_keys_seen();
    assert_ne!(keys[2], keys[0]);
    assert_eq!(level(&adapter, &variant).await, before + 4);
}

#[tokio::test]
async fn a_caller_key_makes_a_repeated_write_act_once() {
    let (server, sim) = setup(3).await;
    let adapter = api_key_adapter(&server, &sim);
    let (variant, before) = a_level(&adapter).await;
    let write = Write {
        op: delta(&variant, 2),
        idempotency_key: Some("sync 42 / stock".into()),
    };
    adapter.write(&write).await.unwrap();
    adapter.write(&write).await.unwrap();
    assert_eq!(level(&adapter, &variant).await, before + 2);
    let keys = sim.idempotency_keys_seen();
    assert_eq!(keys.len(), 2);
    assert_eq!(keys[0], keys[1]);
    // The same key with another change is refused, as Squarespace refuses it.
    let other = Write {
        op: delta(&variant, 5),
        idempotency_key: Some("sync 42 / stock".into()),
    };
    assert!(adapter.write(&other).await.is_err());
    assert_eq!(level(&adapter, &variant).await, before + 2);
}

struct Saved(Mutex<Vec<TokenSet>>);

#[async_trait]
impl TokenSink for Saved {
    async fn store(&self, tokens: &TokenSet) -> polycart_kit::Result<()> {
        self.0.lock().unwrap().push(tokens.clone());
        Ok(())
    }
}

#[tokio::test]
async fn an_expired_oauth_token_is_refreshed_and_the_rotated_pair_saved() {
    let (server, sim) = setup(3).await;
    let token_url = format!("{}/api/1/login/oauth/provider/tokens", server.origin());
    let old_refresh = sim.refresh_token();
    let credentials = [
        ("access_token", "sqsp-at-expired".to_owned()),
        ("refresh_token", old_refresh.clone()),
        ("client_id", sim.client_id.clone()),
        ("client_secret", sim.client_secret.clone()),
    ];
    let settings = [
        ("token_url", token_url),
        ("token_expires_at", "2020-01-01T00:00:00Z".to_owned()),
    ];
    let saved = Arc::new(Saved(Mutex::new(Vec::new())));
    let ctx = AdapterContext {
        token_sink: Some(saved.clone()),
        ..AdapterContext::default()
    };
    let adapter = SquarespaceAdapter::new(&store(&server, &credentials, &settings), &ctx).unwrap();
    let orders = collect_all(&adapter, ListQuery::new(Entity::Order))
        .await
        .unwrap();
    assert_eq!(orders.len(), 3);
    let saved = saved.0.lock().unwrap().clone();
    assert_eq!(saved.len(), 1, "one refresh");
    assert_eq!(
        saved[0]
            .refresh_token
            .as_ref()
            .map(|s| s.expose().to_owned()),
        Some(sim.refresh_token())
    );
    assert_ne!(sim.refresh_token(), old_refresh);
    // The old refresh token is spent: a store still holding it is refused, typed.
    let stale = SquarespaceAdapter::new(
        &store(&server, &credentials, &settings),
        &AdapterContext::default(),
    )
    .unwrap();
    match stale.list(&ListQuery::new(Entity::Order)).await {
        Err(Error::Auth { .. }) => {}
        other => panic!("a spent refresh token gave {other:?}"),
    }
}

#[tokio::test]
async fn orders_in_every_payment_state_are_listed() {
    let (server, sim) = setup(40).await;
    // Without `paymentStates` Squarespace leaves out pending and failed payments.
    let r = reqwest::Client::new()
        .get(format!("{}/1.0/commerce/orders", server.origin()))
        .bearer_auth(&sim.api_key)
        .header("user-agent", "polycart-test/1")
        .send()
        .await
        .unwrap();
    let body: serde_json::Value = r.json().await.unwrap();
    let by_default = body["result"].as_array().unwrap().len();
    let truth = sim.truth(Entity::Order).unwrap();
    assert!(
        by_default < truth.len(),
        "the generated store has no order in a payment state listed only on request"
    );
    let adapter = api_key_adapter(&server, &sim);
    let all = collect_all(&adapter, ListQuery::new(Entity::Order))
        .await
        .unwrap();
    assert_eq!(ids(&all), truth.into_iter().collect());
}

#[tokio::test]
async fn a_429_without_retry_after_is_waited_out_and_the_pass_completes() {
    let options = SimOptions {
        seed: 5,
        size: StoreSize {
            products: 5,
            customers: 5,
            orders: 130,
        },
        plan: Some("tight".into()),
        ..SimOptions::default()
    };
    let (server, sim) = start(options, local()).await.unwrap();
    let s = store(
        &server,
        &[("access_token", sim.api_key.clone())],
        &[("cooldown_seconds", "1".to_owned())],
    );
    let metrics = Arc::new(polycart_kit::transport::TransportMetrics::default());
    let ctx = AdapterContext {
        metrics: metrics.clone(),
        ..AdapterContext::default()
    };
    let adapter = SquarespaceAdapter::new(&s, &ctx).unwrap();
    let orders = collect_all(&adapter, ListQuery::new(Entity::Order))
        .await
        .unwrap();
    for r in orders.iter().take(15) {
        adapter.get(Entity::Order, r.platform_id()).await.unwrap();
    }
    assert_eq!(orders.len(), 130);
    let m = metrics.snapshot();
    assert!(
        m.throttled_429 >= 1,
        "the simulator's limit was never met: {m:?}"
    );
    let usage = server.usage();
    assert!(usage.iter().any(|(_, u)| u.refused >= 1), "{usage:?}");
}

#[tokio::test]
async fn a_subscription_secret_verifies_the_notifications_it_signs() {
    let (server, sim) = setup(4).await;
    let http = reqwest::Client::new();
    let url = format!("{}/1.0/webhook_subscriptions", server.origin());
    // A receiver for the simulator's deliveries.
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(http::HeaderMap, Vec<u8>)>();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: http::HeaderMap, body: axum::body::Bytes| {
            let tx = tx.clone();
            async move {
                let _ = tx.send((headers, body.to_vec()));
                http::StatusCode::OK
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind(local()).await.unwrap();
    let hook = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let subscribe = |token: String| {
        http.post(&url)
            .bearer_auth(token)
            .header("user-agent", "polycart-test/1")
            .json(&serde_json::json!({ "endpointUrl": hook, "topics": ["order.create", "order.update"] }))
            .send()
    };
    // An API key cannot subscribe: the Webhook Subscriptions API is OAuth only.
    let r = subscribe(sim.api_key.clone()).await.unwrap();
    assert_eq!(r.status().as_u16(), 403);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["subtype"], "OAUTH_TOKEN_REQUIRED");
    let r = subscribe(sim.issue_access_token()).await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let body: serde_json::Value = r.json().await.unwrap();
    let secret = body["secret"].as_str().unwrap().to_owned();
    // A store given that secret verifies what the simulator sends on a fulfilment.
    let s = store(
        &server,
        &[
            ("access_token", sim.api_key.clone()),
            ("webhook_secret", secret),
        ],
        &[],
    );
    let adapter = SquarespaceAdapter::new(&s, &AdapterContext::default()).unwrap();
    let order = sim.truth(Entity::Order).unwrap().remove(0);
    adapter
        .write(&Write::new(WriteOp::CreateShipment {
            order_id: order.clone(),
            carrier: Some("UPS".into()),
            tracking_number: Some("1Z999".into()),
            tracking_url: None,
            line_items: Vec::new(),
            notify_customer: false,
        }))
        .await
        .unwrap();
    let (headers, body) = tokio::time::timeout(std::time::Duration::from_secs(5), rx.recv())
        .await
        .unwrap()
        .unwrap();
    let event = adapter.verify_webhook(&headers, &body).unwrap();
    assert_eq!(event.topic, "order.update");
    assert_eq!(event.platform_id.as_deref(), Some(order.as_str()));
    assert_eq!(event.meta["update"], "FULFILLED");
    // Signed with the subscription's secret, not the store's other one.
    let other = store(
        &server,
        &[
            ("access_token", sim.api_key.clone()),
            ("webhook_secret", sim.webhook_secret.clone()),
        ],
        &[],
    );
    let other = SquarespaceAdapter::new(&other, &AdapterContext::default()).unwrap();
    assert!(matches!(
        other.verify_webhook(&headers, &body),
        Err(Error::Auth { .. })
    ));
}
