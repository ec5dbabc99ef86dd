//! The API over a real platform simulator (BigCommerce): connect a store through the
//! API, sync it, read from the store and live, write a shipment with an idempotency key
//! (replayed, also by a restarted API process, never written twice), and receive signed platform webhooks.

mod api_client;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use polycart::api::{self, AppState, KeyQuota};
use polycart::engine::{Engine, EngineOptions, NoProgress, RegistrySource, SyncMode};
use polycart::store;
use polycart_kit::Entity;
use polycart_kit::sim::{SimOptions, StoreSize};
use polycart_kit::transport::TransportMetrics;
use serde_json::{Value, json};
use tower::ServiceExt;

async fn call(
    router: &axum::Router,
    method: &str,
    uri: &str,
    key: &str,
    headers: &[(&str, &str)],
    body: Option<Vec<u8>>,
) -> (StatusCode, Value) {
    let a = api_client::send(router, method, uri, Some(key), headers, body).await;
    (a.status, a.body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connect_sync_read_write_and_webhooks_over_a_simulator() {
    let options = SimOptions {
        seed: 11,
        size: StoreSize {
            products: 12,
            customers: 20,
            orders: 40,
        },
        ..SimOptions::default()
    };
    let (server, sim) = polycart_bigcommerce::sim::start(options, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();

    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("e2e.db").display());
    let cipher = store::Cipher::new(&[7u8; 32]);
    let db = store::open(&url, Some(cipher)).await.unwrap();
    let metrics = Arc::new(TransportMetrics::default());
    let source = Arc::new(RegistrySource {
        context: polycart_kit::connector::AdapterContext {
            metrics: metrics.clone(),
            token_sink: None,
        },
    });
    let engine = Arc::new(Engine::new(db.clone(), source, EngineOptions::default()));
    let router = api::router(Arc::new(
        AppState::new(engine.clone(), metrics, KeyQuota::default()).with_metrics_access(
            api::metrics::MetricsAccess {
                token: Some(polycart_kit::Secret::new("scrape-token")),
                store_labels: true,
            },
        ),
    ));
    let (_, admin) = db.create_api_key("admin", None).await.unwrap();

    // Connect through the API: the credentials never come back.
    let create = json!({
        "platform": "bigcommerce", "url": server.info.base_url, "name": "BC sim",
        "credentials": server.info.credentials, "entities": ["order", "product"]
    });
    let (s, body) = call(
        &router,
        "POST",
        "/v1/stores",
        &admin,
        &[],
        Some(create.to_string().into_bytes()),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    let token = sim.access_token().to_owned();
    assert!(!body.to_string().contains(&token));
    let store_id = body["id"].as_str().unwrap().to_owned();

    // Sync, then read from the store.
    let stop = AtomicBool::new(false);
    let results = engine
        .sync_all(
            vec![
                (store_id.clone(), Entity::Order),
                (store_id.clone(), Entity::Product),
            ],
            SyncMode::Auto,
            &NoProgress,
            &stop,
        )
        .await;
    for (_, entity, r) in &results {
        assert!(r.as_ref().is_ok_and(|r| r.done), "{entity}: {r:?}");
    }
    let (s, body) = call(
        &router,
        "GET",
        &format!("/v1/stores/{store_id}/orders/count"),
        &admin,
        &[],
        None,
    )
    .await;
    assert_eq!((s, body["count"].as_u64()), (StatusCode::OK, Some(40)));
    let (_, body) = call(
        &router,
        "GET",
        &format!("/v1/stores/{store_id}/orders?limit=5"),
        &admin,
        &[],
        None,
    )
    .await;
    let first = body["data"][0].clone();
    let order_id = first["platform_id"].as_str().unwrap().to_owned();
    assert_eq!(first["platform"], "bigcommerce");

    // Prometheus, behind its token: records and sync lag per store × entity (store
    // labels opted into), platform requests.
    let scrape = |token: Option<&str>| {
        let mut req = Request::builder().uri("/metrics");
        if let Some(t) = token {
            req = req.header("authorization", format!("bearer {t}"));
        }
        router.clone().oneshot(req.body(Body::empty()).unwrap())
    };
    for wrong in [None, Some("nope")] {
        let res = scrape(wrong).await.unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }
    let res = scrape(Some("scrape-token")).await.unwrap();
    let text = String::from_utf8(
        axum::body::to_bytes(res.into_body(), usize::MAX)
            .await
            .unwrap()
            .to_vec(),
    )
    .unwrap();
    assert!(
        text.contains(&format!(
            "polycart_records{{store=\"{store_id}\",platform=\"bigcommerce\",entity=\"order\"}} 40"
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "polycart_sync_lag_seconds{{store=\"{store_id}\",platform=\"bigcommerce\",entity=\"product\"}}"
        )),
        "{text}"
    );
    let requests = text
        .lines()
        .find(|l| l.starts_with("polycart_platform_requests_total"))
        .unwrap_or("");
    assert!(
        requests
            .split_whitespace()
            .last()
            .and_then(|n| n.parse::<f64>().ok())
            .is_some_and(|n| n > 0.0),
        "{text}"
    );

    // Live read through the adapter.
    let (s, body) = call(
        &router,
        "GET",
        &format!("/v1/stores/{store_id}/orders/{order_id}?live=true"),
        &admin,
        &[],
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(body["platform_id"], order_id.as_str());
    let (s, body) = call(
        &router,
        "GET",
        &format!("/v1/stores/{store_id}/orders?live=true&limit=7"),
        &admin,
        &[],
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(body["data"].as_array().unwrap().len(), 7);

    // A shipment with an idempotency key: the replay answers the same and writes nothing.
    let line_item = first["line_items"][0]["platform_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let shipments_before = sim.with_store(|s| {
        s.orders
            .iter()
            .find(|o| o.id.to_string() == order_id)
            .unwrap()
            .shipments
            .len()
    });
    let shipment = json!({"carrier": "UPS", "tracking_number": "1Z999", "items": [{"line_item_id": line_item, "quantity": 1}]});
    let uri = format!("/v1/stores/{store_id}/orders/{order_id}/shipments");
    let (s1, b1) = call(
        &router,
        "POST",
        &uri,
        &admin,
        &[("idempotency-key", "ship-1")],
        Some(shipment.to_string().into_bytes()),
    )
    .await;
    assert_eq!(s1, StatusCode::OK, "{b1}");
    let (s2, b2) = call(
        &router,
        "POST",
        &uri,
        &admin,
        &[("idempotency-key", "ship-1")],
        Some(shipment.to_string().into_bytes()),
    )
    .await;
    assert_eq!((s2, &b2), (s1, &b1));
    // The key is kept in the sync store: a restarted API process replays it too.
    let restarted_engine = Arc::new(Engine::new(
        db.clone(),
        Arc::new(RegistrySource::default()),
        EngineOptions::default(),
    ));
    let restarted = api::router(Arc::new(AppState::new(
        restarted_engine,
        Arc::new(TransportMetrics::default()),
        KeyQuota::default(),
    )));
    let (s3, b3) = call(
        &restarted,
        "POST",
        &uri,
        &admin,
        &[("idempotency-key", "ship-1")],
        Some(shipment.to_string().into_bytes()),
    )
    .await;
    assert_eq!((s3, &b3), (s1, &b1));
    let shipments_after = sim.with_store(|s| {
        s.orders
            .iter()
            .find(|o| o.id.to_string() == order_id)
            .unwrap()
            .shipments
            .len()
    });
    assert_eq!(
        shipments_after,
        shipments_before + 1,
        "written exactly once"
    );
    assert!(
        b1["shipments"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["tracking_number"] == "1Z999")
    );
    let other = json!({"carrier": "DHL", "items": []});
    let (s, body) = call(
        &router,
        "POST",
        &uri,
        &admin,
        &[("idempotency-key", "ship-1")],
        Some(other.to_string().into_bytes()),
    )
    .await;
    assert_eq!(
        (s, body["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("conflict"))
    );
    // The store now holds the platform's truth.
    let (_, body) = call(
        &router,
        "GET",
        &format!("/v1/stores/{store_id}/orders/{order_id}"),
        &admin,
        &[],
        None,
    )
    .await;
    assert!(
        body["shipments"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["tracking_number"] == "1Z999")
    );

    // Inbound webhooks: verified by the adapter, the touched record re-read.
    let touched = sim.with_store(|s| {
        let o = s
            .orders
            .iter_mut()
            .find(|o| o.id.to_string() == order_id)
            .unwrap();
        o.note = Some("changed by the merchant".into());
        o.updated_at = chrono::Utc::now();
        o.id
    });
    let (headers, payload) = sim.signed_callback(
        "store/order/updated",
        json!({"type": "order", "id": touched}),
        &BTreeMap::new(),
    );
    let hook = |body: Vec<u8>| {
        let mut req = Request::builder()
            .method("POST")
            .uri(format!("/v1/hooks/bigcommerce/{store_id}"));
        for (k, v) in &headers {
            req = req.header(k, v);
        }
        router.clone().oneshot(req.body(Body::from(body)).unwrap())
    };
    let answer = |res: axum::response::Response| async move {
        let status = res.status();
        let bytes = axum::body::to_bytes(res.into_body(), usize::MAX)
            .await
            .unwrap();
        (
            status,
            serde_json::from_slice::<Value>(&bytes).unwrap_or(Value::Null),
        )
    };
    let (status, accepted) = answer(hook(payload.clone()).await.unwrap()).await;
    assert_eq!(status, StatusCode::OK, "{accepted}");
    assert_eq!(accepted["outcome"], "stored", "{accepted}");
    // The same delivery again (a platform retry, or a replay): recognised, not re-run.
    let (status, again) = answer(hook(payload.clone()).await.unwrap()).await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(again["outcome"], "duplicate", "{again}");
    let (_, body) = call(
        &router,
        "GET",
        &format!("/v1/stores/{store_id}/orders/{order_id}"),
        &admin,
        &[],
        None,
    )
    .await;
    assert_eq!(body["note"], "changed by the merchant");
    let mut tampered = payload.clone();
    tampered.extend_from_slice(b" ");
    let res = hook(tampered).await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);

    // The change feed saw the sync, the write and the webhook.
    let (_, body) = call(
        &router,
        "GET",
        "/v1/changes?after=0&limit=1000",
        &admin,
        &[],
        None,
    )
    .await;
    assert!(body["data"].as_array().unwrap().len() >= 52);
    server.shutdown().await;
}
