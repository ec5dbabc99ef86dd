//! No id a caller sends can change a platform URL: every write and live-read route of
//! every platform (Shopify over REST and GraphQL) is sent ids that try to add, remove
//! or climb a path segment — in the route and in body fields — and each answers a
//! 400 or 404 envelope while the platform's simulator receives no request at all.

mod api_client;
use api_client::call;

use std::sync::Arc;

use axum::http::StatusCode;
use polycart::api::{self, AppState, KeyQuota};
use polycart::engine::{Engine, EngineOptions, RegistrySource};
use polycart::store;
use polycart_kit::sim::{SimOptions, SimServer, StoreSize};
use polycart_kit::transport::TransportMetrics;
use serde_json::{Value, json};

/// Raw path segments, sent as they are (the router decodes them).
const RAW_SEGMENTS: &[&str] = &[
    "..",
    "..%2Fproducts%2F1456",
    "%2e%2e",
    "%2E%2E%2Fproducts%2F1",
    "%252e%252e",
    "1%2F..%2F2",
    "1%3Fstatus%3Ddraft",
    "1%23x",
    "1%00",
    "%EF%BC%8E%EF%BC%8E",
    "%E2%80%A4%E2%80%A4",
];

fn encode_segment(id: &str) -> String {
    id.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

struct Target {
    label: String,
    sim: SimServer,
    store_id: String,
}

async fn targets(router: &axum::Router, key: &str) -> Vec<Target> {
    let size = StoreSize {
        products: 3,
        customers: 3,
        orders: 3,
    };
    let mut out = Vec::new();
    for connector in polycart::registry::connectors() {
        let apis: &[Option<&str>] = if connector.name == "shopify" {
            &[Some("rest"), Some("graphql")]
        } else {
            &[None]
        };
        for api in apis {
            let options = SimOptions {
                size: size.clone(),
                ..SimOptions::default()
            };
            let sim = (connector.simulate)(options, "127.0.0.1:0".parse().unwrap())
                .await
                .unwrap();
            let settings = api.map_or(json!({}), |a| json!({ "api": a }));
            let (s, body) = call(
                router,
                "POST",
                "/v1/stores",
                key,
                Some(json!({
                    "platform": connector.name,
                    "url": sim.info.base_url,
                    "credentials": sim.info.credentials,
                    "settings": settings,
                })),
            )
            .await;
            assert_eq!(s, StatusCode::CREATED, "{}: {body}", connector.name);
            let label = format!(
                "{}{}",
                connector.name,
                api.map(|a| format!(" ({a})")).unwrap_or_default()
            );
            out.push(Target {
                label,
                sim,
                store_id: body["id"].as_str().unwrap().to_owned(),
            });
        }
    }
    out
}

/// Every live-read and write route with `id` as its record id.
fn path_attacks(store: &str, id: &str) -> Vec<(&'static str, String, Option<Value>)> {
    let base = format!("/v1/stores/{store}");
    let mut out: Vec<(&'static str, String, Option<Value>)> =
        ["orders", "products", "customers", "categories", "inventory"]
            .iter()
            .map(|e| ("GET", format!("{base}/{e}/{id}?live=true"), None))
            .collect();
    out.extend([
        (
            "PATCH",
            format!("{base}/products/{id}"),
            Some(json!({"price": "1.00"})),
        ),
        (
            "PATCH",
            format!("{base}/products/{id}"),
            Some(json!({"title": "x"})),
        ),
        (
            "PATCH",
            format!("{base}/orders/{id}"),
            Some(json!({"status": "pending"})),
        ),
        (
            "POST",
            format!("{base}/orders/{id}/shipments"),
            Some(json!({})),
        ),
    ]);
    out
}

/// Every write whose body carries `id` where a record id goes.
fn body_attacks(store: &str, id: &str) -> Vec<(&'static str, String, Value)> {
    let base = format!("/v1/stores/{store}");
    vec![
        (
            "PATCH",
            format!("{base}/products/1"),
            json!({"price": "1.00", "variant_id": id}),
        ),
        (
            "POST",
            format!("{base}/orders/1/shipments"),
            json!({"line_items": [{"line_item_id": id, "quantity": 1}]}),
        ),
        (
            "PUT",
            format!("{base}/inventory"),
            json!({"product_id": id, "available": 1}),
        ),
        (
            "PUT",
            format!("{base}/inventory"),
            json!({"variant_id": id, "available": 1}),
        ),
        (
            "PUT",
            format!("{base}/inventory"),
            json!({"product_id": "1", "variant_id": "1", "location_id": id, "available": 1}),
        ),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_ids_never_reach_a_platform() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("ids.db").display());
    let db = store::open(&url, Some(store::Cipher::new(&[9u8; 32])))
        .await
        .unwrap();
    let engine = Arc::new(Engine::new(
        db.clone(),
        Arc::new(RegistrySource::default()),
        EngineOptions::default(),
    ));
    let router = api::router(Arc::new(AppState::new(
        engine,
        Arc::new(TransportMetrics::default()),
        KeyQuota {
            per_second: 10_000,
            burst: 10_000,
        },
    )));
    let (_, key) = db.create_api_key("admin", None).await.unwrap();
    let targets = targets(&router, &key).await;
    assert!(targets.len() >= 4, "every platform, Shopify twice");

    for t in &targets {
        // A live read of a real record: the adapter is built and has probed the site.
        let (s, body) = call(
            &router,
            "GET",
            &format!("/v1/stores/{}/orders?live=true&limit=1", t.store_id),
            &key,
            None,
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{}: {body}", t.label);
        let before = t.sim.requests();
        let mut sent = 0;
        let path_ids = polycart_kit::path::HOSTILE_IDS
            .iter()
            .map(|h| encode_segment(h))
            .chain(RAW_SEGMENTS.iter().map(|s| (*s).to_owned()));
        for path_id in path_ids {
            for (method, uri, body) in path_attacks(&t.store_id, &path_id) {
                let (s, answer) = call(&router, method, &uri, &key, body).await;
                sent += 1;
                let code = answer["error"]["code"].as_str().unwrap_or_default();
                // A route for an entity or write the platform does not have answers
                // 501 before any id is read; every other refusal is a 400 or 404.
                let refused = matches!(
                    (s, code),
                    (StatusCode::BAD_REQUEST, "invalid_request")
                        | (StatusCode::NOT_FOUND, "not_found")
                        | (StatusCode::NOT_IMPLEMENTED, "unsupported")
                );
                assert!(
                    refused,
                    "{}: {method} {uri} answered {s}: {answer}",
                    t.label
                );
            }
        }
        for hostile in polycart_kit::path::HOSTILE_IDS {
            for (method, uri, body) in body_attacks(&t.store_id, hostile) {
                let (s, answer) = call(&router, method, &uri, &key, Some(body.clone())).await;
                sent += 1;
                assert!(
                    s == StatusCode::BAD_REQUEST
                        || s == StatusCode::NOT_FOUND
                        || (s == StatusCode::NOT_IMPLEMENTED
                            && answer["error"]["code"] == "unsupported"),
                    "{}: {method} {uri} {body} answered {s}: {answer}",
                    t.label
                );
            }
        }
        assert!(sent > 100, "{}: only {sent} attacks", t.label);
        assert_eq!(
            t.sim.requests(),
            before,
            "{}: a hostile id reached the platform",
            t.label
        );
    }
}
