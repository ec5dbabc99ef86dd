//! The unified API end to end over a SQLite sync store, without sockets
//! (`router.oneshot`): tenancy, paging while records change, filters, field selection,
//! counts, the change feed, cross-store reads, rate limits, body limits, error codes,
//! and the committed OpenAPI document.

mod api_client;

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::http::StatusCode;
use polycart::api::{self, AppState, KeyQuota};
use polycart::engine::{Engine, EngineOptions, RegistrySource};
use polycart::store::{self, NewStore, Store};
use polycart_kit::transport::TransportMetrics;
use polycart_kit::{Entity, Record};
use serde_json::{Value, json};

struct Fixture {
    _dir: tempfile::TempDir,
    store: Arc<dyn Store>,
    router: axum::Router,
}

async fn fixture(quota: KeyQuota) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("api.db").display());
    let store = store::open(&url, None).await.unwrap();
    let engine = Arc::new(Engine::new(
        store.clone(),
        Arc::new(RegistrySource::default()),
        EngineOptions::default(),
    ));
    let state = Arc::new(AppState::new(
        engine,
        Arc::new(TransportMetrics::default()),
        quota,
    ));
    Fixture {
        _dir: dir,
        store,
        router: api::router(state),
    }
}

async fn add_store(store: &Arc<dyn Store>, name: &str) -> String {
    let new = NewStore {
        name: name.into(),
        platform: "shopify".into(),
        base_url: format!("https://{name}.example.com").parse().unwrap(),
        credentials: BTreeMap::new(),
        settings: BTreeMap::new(),
        entities: vec![Entity::Order],
        interval_secs: 300,
    };
    store.add_store(&new).await.unwrap().id
}

fn order(id: u32, status: &str, email: &str, updated: &str) -> Record {
    let v = json!({
        "id": null, "store_id": null, "platform": "shopify", "platform_id": format!("{id:05}"),
        "number": format!("#{id}"), "status": status, "platform_status": null,
        "financial_status": "paid", "platform_financial_status": "paid",
        "fulfillment_status": null, "platform_fulfillment_status": null,
        "currency": "EUR",
        "totals": {"subtotal": null, "shipping": null, "tax": null, "discount": null,
                   "total": {"amount": format!("{id}.50"), "currency": "EUR"}, "paid": null, "refunded": null},
        "customer": {"platform_id": null, "email": email, "first_name": "Zoë", "last_name": null, "phone": null},
        "billing_address": null, "shipping_address": null,
        "line_items": [{"platform_id": "1", "product_id": null, "variant_id": null, "sku": format!("SKU-{}", id % 3),
                        "name": "Mug", "quantity": "1", "unit_price": null, "total": null, "tax": null, "discount": null}],
        "shipping_lines": [], "discounts": [], "refunds": [], "shipments": [], "note": null, "tags": [],
        "source": "web", "created_at": "2025-01-01T00:00:00Z", "updated_at": updated,
        "completed_at": null, "cancelled_at": null, "raw": {"id": id}
    });
    Record::from_json(Entity::Order, &v.to_string()).unwrap()
}

async fn seed(store: &Arc<dyn Store>, store_id: &str, n: u32) {
    let mut records: Vec<Record> = (1..=n)
        .map(|i| {
            order(
                i,
                if i % 4 == 0 {
                    "completed"
                } else {
                    "processing"
                },
                &format!("c{i}@Example.com"),
                "2025-02-01T00:00:00Z",
            )
        })
        .collect();
    for r in &mut records {
        r.assign_store(store_id);
    }
    store.upsert_records(store_id, &records).await.unwrap();
}

async fn call(
    router: &axum::Router,
    method: &str,
    uri: &str,
    key: Option<&str>,
    body: Option<Value>,
) -> (StatusCode, axum::http::HeaderMap, Value) {
    let body = body.map(|b| b.to_string().into_bytes());
    let a = api_client::send(router, method, uri, key, &[], body).await;
    (a.status, a.headers, a.body)
}

fn assert_error(status: StatusCode, body: &Value, want_status: StatusCode, code: &str) {
    assert_eq!(status, want_status, "{body}");
    assert_eq!(body["error"]["code"], code, "{body}");
    assert!(
        body["error"]["request_id"]
            .as_str()
            .is_some_and(|r| !r.is_empty()),
        "{body}"
    );
    assert!(body["error"]["message"].as_str().is_some());
}

#[tokio::test]
async fn tenancy_paging_filters_counts_and_changes() {
    let f = fixture(KeyQuota::default()).await;
    let a = add_store(&f.store, "alpha").await;
    let b = add_store(&f.store, "beta").await;
    seed(&f.store, &a, 120).await;
    seed(&f.store, &b, 7).await;
    let (_, key_a) = f
        .store
        .create_api_key("tenant a", Some(&[a.clone()]))
        .await
        .unwrap();
    let (_, admin) = f.store.create_api_key("admin", None).await.unwrap();

    // No key, a wrong key.
    let (s, _, body) = call(&f.router, "GET", "/v1/stores", None, None).await;
    assert_error(s, &body, StatusCode::UNAUTHORIZED, "unauthenticated");
    let (s, _, body) = call(&f.router, "GET", "/v1/stores", Some("pk_wrong"), None).await;
    assert_error(s, &body, StatusCode::UNAUTHORIZED, "unauthenticated");

    // Tenant A sees only its store; B's data answers 404 exactly like a missing store.
    let (s, _, body) = call(&f.router, "GET", "/v1/stores", Some(&key_a), None).await;
    assert_eq!(s, StatusCode::OK);
    let ids: Vec<&str> = body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [a.as_str()]);
    assert!(!body.to_string().contains("credentials"));
    for uri in [
        format!("/v1/stores/{b}"),
        format!("/v1/stores/{b}/orders"),
        format!("/v1/stores/{b}/orders/00001"),
        "/v1/stores/st_nope/orders".to_owned(),
    ] {
        let (s, _, body) = call(&f.router, "GET", &uri, Some(&key_a), None).await;
        assert_error(s, &body, StatusCode::NOT_FOUND, "not_found");
    }
    let (s, _, body) = call(
        &f.router,
        "GET",
        &format!("/v1/orders?stores={a},{b}"),
        Some(&key_a),
        None,
    )
    .await;
    assert_error(s, &body, StatusCode::NOT_FOUND, "not_found");

    // Paging to the end while records change: every record exactly once.
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let uri = match &cursor {
            Some(c) => format!("/v1/stores/{a}/orders?limit=50&cursor={c}"),
            None => format!("/v1/stores/{a}/orders?limit=50"),
        };
        let (s, _, body) = call(&f.router, "GET", &uri, Some(&key_a), None).await;
        assert_eq!(s, StatusCode::OK, "{body}");
        for r in body["data"].as_array().unwrap() {
            seen.push(r["platform_id"].as_str().unwrap().to_owned());
            assert!(r.get("raw").is_none(), "raw only on request");
        }
        pages += 1;
        // A busy shop: records already read and not yet read change between pages.
        let mut changed = vec![
            order(3, "cancelled", "x@example.com", "2025-03-01T00:00:00Z"),
            order(110, "cancelled", "y@example.com", "2025-03-01T00:00:00Z"),
        ];
        for r in &mut changed {
            r.assign_store(&a);
        }
        f.store.upsert_records(&a, &changed).await.unwrap();
        match body["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 120);
    assert_eq!(seen.len(), 120);

    // Filters, fields, raw, counts.
    let (_, _, body) = call(
        &f.router,
        "GET",
        &format!("/v1/stores/{a}/orders?status=completed&limit=250"),
        Some(&key_a),
        None,
    )
    .await;
    assert_eq!(body["data"].as_array().unwrap().len(), 30);
    let (_, _, body) = call(
        &f.router,
        "GET",
        &format!("/v1/stores/{a}/orders/count?status=cancelled"),
        Some(&key_a),
        None,
    )
    .await;
    assert_eq!(body, json!({"count": 2}));
    let (_, _, body) = call(
        &f.router,
        "GET",
        &format!("/v1/stores/{a}/orders/count"),
        Some(&key_a),
        None,
    )
    .await;
    assert_eq!(body, json!({"count": 120}));
    let (_, _, body) = call(
        &f.router,
        "GET",
        &format!("/v1/stores/{a}/orders?email=C7@example.com&fields=number,totals.total"),
        Some(&key_a),
        None,
    )
    .await;
    assert_eq!(
        body["data"],
        json!([{"id": format!("{a}:00007"), "number": "#7", "totals": {"total": {"amount": "7.50", "currency": "EUR"}}}])
    );
    let (_, _, body) = call(
        &f.router,
        "GET",
        &format!("/v1/stores/{a}/orders?sku=SKU-1&limit=250"),
        Some(&key_a),
        None,
    )
    .await;
    assert_eq!(body["data"].as_array().unwrap().len(), 40);
    let (_, _, body) = call(
        &f.router,
        "GET",
        &format!("/v1/stores/{a}/orders?updated_since=2025-02-15T00:00:00Z"),
        Some(&key_a),
        None,
    )
    .await;
    assert_eq!(body["data"].as_array().unwrap().len(), 2);
    let (s, _, body) = call(
        &f.router,
        "GET",
        &format!("/v1/stores/{a}/orders/00005?include_raw=true"),
        Some(&key_a),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(body["raw"], json!({"id": 5}));
    assert_eq!(body["totals"]["total"]["amount"], "5.50");
    let (s, _, body) = call(
        &f.router,
        "GET",
        &format!("/v1/stores/{a}/orders/{a}:00005"),
        Some(&key_a),
        None,
    )
    .await;
    assert_eq!((s, body["number"].clone()), (StatusCode::OK, json!("#5")));
    let (s, _, body) = call(
        &f.router,
        "GET",
        &format!("/v1/stores/{a}/orders?fields=a;b"),
        Some(&key_a),
        None,
    )
    .await;
    assert_error(s, &body, StatusCode::BAD_REQUEST, "invalid_request");
    let (s, _, body) = call(
        &f.router,
        "GET",
        &format!("/v1/stores/{a}/orders?cursor=garbage"),
        Some(&key_a),
        None,
    )
    .await;
    assert_error(s, &body, StatusCode::BAD_REQUEST, "invalid_request");
    let (s, _, body) = call(
        &f.router,
        "GET",
        &format!("/v1/stores/{a}/widgets"),
        Some(&key_a),
        None,
    )
    .await;
    assert_error(s, &body, StatusCode::NOT_FOUND, "not_found");

    // Cross-store reads for the admin key: every order of both stores, paged.
    let mut total = 0;
    let mut uri = format!("/v1/orders?stores={a},{b}&limit=100");
    loop {
        let (s, _, body) = call(&f.router, "GET", &uri, Some(&admin), None).await;
        assert_eq!(s, StatusCode::OK, "{body}");
        total += body["data"].as_array().unwrap().len();
        match body["next_cursor"].as_str() {
            Some(c) => uri = format!("/v1/orders?stores={a},{b}&limit=100&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(total, 127);

    // The change feed: tenant A sees only A's changes, in order.
    let (s, _, body) = call(
        &f.router,
        "GET",
        "/v1/changes?after=0&limit=1000",
        Some(&key_a),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let changes = body["data"].as_array().unwrap();
    assert!(changes.iter().all(|c| c["store_id"] == a.as_str()));
    assert_eq!(changes.len(), 122, "120 created + 2 updated");
    let seqs: Vec<i64> = changes.iter().map(|c| c["seq"].as_i64().unwrap()).collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]));
    let last = body["next_after"].as_i64().unwrap();
    let (_, _, body) = call(
        &f.router,
        "GET",
        &format!("/v1/changes?after={last}"),
        Some(&key_a),
        None,
    )
    .await;
    assert_eq!(body["data"], json!([]));

    // Only admin keys connect stores; an unknown platform is invalid.
    let create = json!({"platform": "shopify", "url": "https://x.example.com", "credentials": {"access_token": "shpat_secret"}});
    let (s, _, body) = call(&f.router, "POST", "/v1/stores", Some(&key_a), Some(create)).await;
    assert_error(s, &body, StatusCode::FORBIDDEN, "forbidden");
    let (s, _, body) = call(
        &f.router,
        "POST",
        "/v1/stores",
        Some(&admin),
        Some(json!({"platform": "nosuch", "url": "https://x.example.com"})),
    )
    .await;
    assert_error(s, &body, StatusCode::BAD_REQUEST, "invalid_request");
    let (s, _, body) = call(
        &f.router,
        "POST",
        &format!("/v1/stores/{a}/sync"),
        Some(&key_a),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{body}");
}

#[tokio::test]
async fn rate_limits_body_limits_and_unknown_routes() {
    let f = fixture(KeyQuota {
        per_second: 1,
        burst: 3,
    })
    .await;
    let (_, key) = f.store.create_api_key("k", None).await.unwrap();
    for _ in 0..3 {
        let (s, _, _) = call(&f.router, "GET", "/v1/stores", Some(&key), None).await;
        assert_eq!(s, StatusCode::OK);
    }
    let (s, headers, body) = call(&f.router, "GET", "/v1/stores", Some(&key), None).await;
    assert_error(s, &body, StatusCode::TOO_MANY_REQUESTS, "rate_limited");
    assert!(headers.get("retry-after").is_some());

    let f = fixture(KeyQuota::default()).await;
    let (_, key) = f.store.create_api_key("k", None).await.unwrap();
    let huge = json!({"platform": "shopify", "url": "https://x.example.com", "name": "x".repeat(api::BODY_LIMIT + 10)});
    let (s, _, _) = call(&f.router, "POST", "/v1/stores", Some(&key), Some(huge)).await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE);
    let (s, _, body) = call(&f.router, "GET", "/nope", None, None).await;
    assert_error(s, &body, StatusCode::NOT_FOUND, "not_found");
    let (s, headers, _) = call(&f.router, "GET", "/healthz", None, None).await;
    assert_eq!(s, StatusCode::OK);
    assert!(headers.get("x-request-id").is_some());
    let store_id = add_store(&f.store, "labels").await;
    f.store
        .upsert_records(
            &store_id,
            &[order(
                1,
                "completed",
                "a@example.com",
                "2025-01-01T00:00:00Z",
            )],
        )
        .await
        .unwrap();
    let (s, _, text) = call(&f.router, "GET", "/metrics", None, None).await;
    assert_eq!(s, StatusCode::OK);
    let text = text.as_str().unwrap();
    assert!(text.contains(
        "polycart_http_requests_total{method=\"GET\",route=\"/healthz\",status=\"200\"} 1"
    ));
    // Store ids are tenants' business: labels per entity unless the operator opts in.
    assert!(
        text.contains("polycart_records{platform=\"shopify\",entity=\"order\"} 1"),
        "{text}"
    );
    assert!(!text.contains(&store_id), "{text}");
}

#[tokio::test]
async fn the_dashboard_and_its_endpoints_are_scoped_by_key() {
    let f = fixture(KeyQuota::default()).await;
    let a = add_store(&f.store, "alpha").await;
    let b = add_store(&f.store, "beta").await;
    seed(&f.store, &a, 5).await;
    seed(&f.store, &b, 3).await;
    let (_, tenant) = f
        .store
        .create_api_key("tenant a", Some(std::slice::from_ref(&a)))
        .await
        .unwrap();
    let (admin_key, admin) = f.store.create_api_key("admin", None).await.unwrap();
    let run = f
        .store
        .start_run(&a, Entity::Order, "full", "w1")
        .await
        .unwrap();
    f.store
        .finish_run(&store::SyncRun {
            id: run,
            records: 5,
            ..store::SyncRun::default()
        })
        .await
        .unwrap();

    // The page itself needs no key, loads only its own assets, under a strict policy.
    let (s, h, page) = call(&f.router, "GET", "/ui/", None, None).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        page.as_str()
            .unwrap()
            .contains("<title>polycart dashboard</title>")
    );
    let csp = h["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("default-src 'none'") && csp.contains("connect-src 'self'"));
    for asset in ["/ui/app.js", "/ui/app.css"] {
        let (s, _, _) = call(&f.router, "GET", asset, None, None).await;
        assert_eq!(s, StatusCode::OK, "{asset}");
    }
    let (s, h, _) = call(&f.router, "GET", "/ui", None, None).await;
    assert_eq!(
        (s, h["location"].to_str().unwrap()),
        (StatusCode::PERMANENT_REDIRECT, "/ui/")
    );

    // The overview: without a key nothing; a tenant sees its store only.
    let (s, _, body) = call(&f.router, "GET", "/v1/overview", None, None).await;
    assert_error(s, &body, StatusCode::UNAUTHORIZED, "unauthenticated");
    let (s, _, o) = call(&f.router, "GET", "/v1/overview", Some(&tenant), None).await;
    assert_eq!(s, StatusCode::OK, "{o}");
    let stores = o["stores"].as_array().unwrap();
    assert_eq!(stores.len(), 1, "{o}");
    assert_eq!(stores[0]["id"], a.as_str());
    assert_eq!(stores[0]["records"]["order"], 5);
    assert_eq!(stores[0]["state"], "active");
    assert!(stores[0]["last_success_at"].is_string(), "{o}");
    assert_eq!(o["can_manage_keys"], false);
    let changes = o["changes"].as_array().unwrap();
    assert_eq!(changes.len(), 5, "only its store's changes: {o}");
    assert!(changes.iter().all(|c| c["store_id"] == a.as_str()));
    assert!(
        changes[0]["seq"].as_i64() > changes[4]["seq"].as_i64(),
        "newest first"
    );
    assert!(changes[0].get("record").is_none(), "no record in the tail");
    let (_, _, o) = call(&f.router, "GET", "/v1/overview", Some(&admin), None).await;
    assert_eq!(o["stores"].as_array().unwrap().len(), 2);
    assert_eq!(o["changes"].as_array().unwrap().len(), 8);
    assert_eq!(o["can_manage_keys"], true);

    // A store's history: its runs; another tenant's store is not found; limits bounded.
    let (s, _, h) = call(
        &f.router,
        "GET",
        &format!("/v1/stores/{a}/history"),
        Some(&tenant),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{h}");
    assert_eq!(h["runs"][0]["records"], 5);
    assert_eq!(h["runs"][0]["state"], "finished");
    assert!(h["samples"].as_array().unwrap().is_empty());
    let (s, _, body) = call(
        &f.router,
        "GET",
        &format!("/v1/stores/{b}/history"),
        Some(&tenant),
        None,
    )
    .await;
    assert_error(s, &body, StatusCode::NOT_FOUND, "not_found");
    let (s, _, body) = call(
        &f.router,
        "GET",
        &format!("/v1/stores/{a}/history?limit=0"),
        Some(&tenant),
        None,
    )
    .await;
    assert_error(s, &body, StatusCode::BAD_REQUEST, "invalid_request");

    // Keys: only a key over every store manages them; a key cannot revoke itself.
    let (s, _, body) = call(&f.router, "GET", "/v1/keys", Some(&tenant), None).await;
    assert_error(s, &body, StatusCode::FORBIDDEN, "forbidden");
    let (s, _, body) = call(
        &f.router,
        "POST",
        "/v1/keys",
        Some(&tenant),
        Some(json!({"name": "x"})),
    )
    .await;
    assert_error(s, &body, StatusCode::FORBIDDEN, "forbidden");
    let (s, _, list) = call(&f.router, "GET", "/v1/keys", Some(&admin), None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(list["data"].as_array().unwrap().len(), 2);
    assert!(!list.to_string().contains(&admin), "no secret listed");
    let (s, _, body) = call(
        &f.router,
        "POST",
        "/v1/keys",
        Some(&admin),
        Some(json!({"name": "b only", "store_ids": ["st_missing"]})),
    )
    .await;
    assert_error(s, &body, StatusCode::NOT_FOUND, "not_found");
    let (s, _, body) = call(
        &f.router,
        "POST",
        "/v1/keys",
        Some(&admin),
        Some(json!({"name": ""})),
    )
    .await;
    assert_error(s, &body, StatusCode::BAD_REQUEST, "invalid_request");
    let (s, _, created) = call(
        &f.router,
        "POST",
        "/v1/keys",
        Some(&admin),
        Some(json!({"name": "b only", "store_ids": [b]})),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{created}");
    let secret = created["secret"].as_str().unwrap().to_owned();
    let (_, _, o) = call(&f.router, "GET", "/v1/overview", Some(&secret), None).await;
    assert_eq!(o["stores"][0]["id"], b.as_str());
    let new_id = created["key"]["id"].as_str().unwrap();
    let (s, _, body) = call(
        &f.router,
        "DELETE",
        &format!("/v1/keys/{}", admin_key.id),
        Some(&admin),
        None,
    )
    .await;
    assert_error(s, &body, StatusCode::BAD_REQUEST, "invalid_request");
    let (s, _, _) = call(
        &f.router,
        "DELETE",
        &format!("/v1/keys/{new_id}"),
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _, body) = call(&f.router, "GET", "/v1/overview", Some(&secret), None).await;
    assert_error(s, &body, StatusCode::UNAUTHORIZED, "unauthenticated");
    let (s, _, body) = call(
        &f.router,
        "DELETE",
        &format!("/v1/keys/{new_id}"),
        Some(&admin),
        None,
    )
    .await;
    assert_error(s, &body, StatusCode::NOT_FOUND, "not_found");
}

#[test]
fn committed_openapi_is_current() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas/openapi.json");
    let current = api::openapi_json() + "\n";
    if std::env::var_os("UPDATE_GOLDEN").is_some_and(|v| v != "0") {
        std::fs::write(&path, &current).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == current,
        "schemas/openapi.json is stale: run `UPDATE_GOLDEN=1 cargo test --test api` and commit"
    );
}

#[tokio::test]
async fn platforms_are_described_to_every_key() {
    let f = fixture(KeyQuota::default()).await;
    let store_id = add_store(&f.store, "scoped").await;
    let (_, key) = f
        .store
        .create_api_key("k", Some(&[store_id]))
        .await
        .unwrap();
    let (s, _, body) = call(&f.router, "GET", "/v1/platforms", Some(&key), None).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let shopify = body["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "shopify")
        .expect("shopify is described");
    assert_eq!(shopify["credentials"], json!(["access_token"]));
    assert_eq!(shopify["optional_credentials"][0]["feature"], "webhooks");
    assert_eq!(shopify["capabilities"]["bulk_export"], true);
    let (s, _, _) = call(&f.router, "GET", "/v1/platforms", None, None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
}
