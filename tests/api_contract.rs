//! Property checks of the API against its own OpenAPI document (in the manner of
//! schemathesis, without leaving the test process): every documented operation is
//! called with seeded random and adversarial path values, query parameters and
//! bodies. Whatever comes in, the answer is never a 5xx, an error always has the one
//! envelope with a known code and a request id, a success is JSON, a 5xx only ever
//! reports the platform (here one that refuses the token), and no answer contains a
//! credential.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use polycart::api::{self, AppState, KeyQuota};
use polycart::engine::{Engine, EngineOptions, RegistrySource};
use polycart::store::{self, NewStore};
use polycart_kit::transport::TransportMetrics;
use polycart_kit::{Entity, Secret};
use rand::{Rng, SeedableRng};
use serde_json::Value;
use tower::ServiceExt;

const CODES: &[&str] = &[
    "unauthenticated",
    "not_found",
    "forbidden",
    "invalid_request",
    "conflict",
    "rate_limited",
    "payload_too_large",
    "unsupported",
    "platform_auth_failed",
    "platform_rate_limited",
    "platform_error",
    "invalid_signature",
    "method_not_allowed",
];
const CREDENTIAL: &str = "shpat_contract_secret_token_42";

/// Values that break naive parsers.
fn nasty(rng: &mut impl Rng, real: &[String]) -> String {
    let pool = [
        "",
        "0",
        "-1",
        "1",
        "abc",
        "9223372036854775808",
        "2025-01-01T00:00:00Z",
        "not-a-date",
        "%00",
        "%2F..%2F",
        "%E2%82%AC",
        "null",
        "true",
        "orders",
        "products",
        "customers",
        "categories",
        "inventory",
        "shopify",
        "a%20b",
        "%27%3B--",
    ];
    match rng.gen_range(0..4) {
        0 if !real.is_empty() => real[rng.gen_range(0..real.len())].clone(),
        1 => "x".repeat(rng.gen_range(200..3000)),
        _ => pool[rng.gen_range(0..pool.len())].to_owned(),
    }
}

fn body(rng: &mut impl Rng) -> Option<Vec<u8>> {
    let bodies: [&[u8]; 10] = [
        b"",
        b"{}",
        b"[]",
        b"null",
        b"{\"price\": \"abc\"}",
        b"{\"available\": -5, \"delta\": 3}",
        b"{\"status\": \"shipped\"}",
        b"{\"carrier\": 7, \"items\": \"x\"}",
        b"\xff\xfe garbage",
        b"{\"url\": \"http://\", \"secret\": 1}",
    ];
    match rng.gen_range(0..12) {
        10 => None,
        11 => {
            Some(format!("{{\"title\": \"{}\"}}", "é".repeat(rng.gen_range(1..500))).into_bytes())
        }
        i => Some(bodies[i].to_vec()),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_documented_operation_survives_random_input() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("contract.db").display());
    let db = store::open(&url, Some(store::Cipher::new(&[3u8; 32])))
        .await
        .unwrap();
    // A platform that refuses the store's token: live reads and writes reach it and
    // answer a typed platform error.
    let refusing = axum::Router::new().fallback(|| async {
        (StatusCode::UNAUTHORIZED, [("content-type", "application/json")], r#"{"errors":"[API] Invalid API key or access token (unrecognized login or wrong password)"}"#)
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let platform = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, refusing).await.unwrap() });
    let new = NewStore {
        name: "contract".into(),
        platform: "shopify".into(),
        base_url: platform.parse().unwrap(),
        credentials: BTreeMap::from([("access_token".to_owned(), Secret::new(CREDENTIAL))]),
        settings: BTreeMap::new(),
        entities: vec![Entity::Order, Entity::Product],
        interval_secs: 300,
    };
    let store_id = db.add_store(&new).await.unwrap().id;
    let (_, key) = db.create_api_key("admin", None).await.unwrap();
    let engine = Arc::new(Engine::new(
        db.clone(),
        Arc::new(RegistrySource::default()),
        EngineOptions::default(),
    ));
    let quota = KeyQuota {
        per_second: 100_000,
        burst: 100_000,
    };
    let router = api::router(Arc::new(AppState::new(
        engine,
        Arc::new(TransportMetrics::default()),
        quota,
    )));

    // Reads and writes that do reach the platform: a typed platform error, no secret.
    for (method, uri, body) in [
        (
            "GET",
            format!("/v1/stores/{store_id}/orders?live=true"),
            None,
        ),
        (
            "PATCH",
            format!("/v1/stores/{store_id}/products/1"),
            Some(r#"{"title": "x"}"#),
        ),
    ] {
        let req = Request::builder()
            .method(method)
            .uri(&uri)
            .header("authorization", format!("Bearer {key}"));
        let req = match body {
            Some(b) => req
                .header("content-type", "application/json")
                .body(Body::from(b))
                .unwrap(),
            None => req.body(Body::empty()).unwrap(),
        };
        let res = router.clone().oneshot(req).await.unwrap();
        let status = res.status();
        let bytes = axum::body::to_bytes(res.into_body(), usize::MAX)
            .await
            .unwrap();
        let value: Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(
            (status, value["error"]["code"].as_str()),
            (StatusCode::BAD_GATEWAY, Some("platform_auth_failed")),
            "{method} {uri}: {value}"
        );
        assert!(!value.to_string().contains(CREDENTIAL));
    }

    let doc: Value = serde_json::from_str(&api::openapi_json()).unwrap();
    let real = vec![store_id.clone(), "1".to_owned(), "orders".to_owned()];
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(20261201);
    let mut calls = 0;
    let mut upstream = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let params: Vec<&Value> = op["parameters"]
                .as_array()
                .map(|a| a.iter().collect())
                .unwrap_or_default();
            for _ in 0..40 {
                let mut uri = path.clone();
                let mut query = Vec::new();
                let mut headers = Vec::new();
                for p in &params {
                    let name = p["name"].as_str().unwrap();
                    let boolean = p["schema"]["type"] == "boolean"
                        || p["schema"]["type"]
                            .as_array()
                            .is_some_and(|t| t.iter().any(|t| t == "boolean"));
                    let value = if boolean {
                        ["true", "false", "1", "maybe"][rng.gen_range(0..4)].to_owned()
                    } else if name == "store" && rng.gen_bool(0.5) {
                        store_id.clone()
                    } else {
                        nasty(&mut rng, &real)
                    };
                    match p["in"].as_str().unwrap() {
                        "path" => {
                            let v = if value.is_empty() {
                                "x".to_owned()
                            } else {
                                value
                            };
                            uri = uri.replace(&format!("{{{name}}}"), &v);
                        }
                        "query" if rng.gen_bool(0.5) => query.push(format!("{name}={value}")),
                        "header" if rng.gen_bool(0.5) => headers.push((name.to_owned(), value)),
                        _ => {}
                    }
                }
                if !query.is_empty() {
                    uri = format!("{uri}?{}", query.join("&"));
                }
                let mut req = Request::builder()
                    .method(method.to_uppercase().as_str())
                    .uri(&uri);
                if rng.gen_bool(0.9) {
                    req = req.header("authorization", format!("Bearer {key}"));
                }
                for (name, value) in &headers {
                    if let Ok(v) = axum::http::HeaderValue::from_str(value) {
                        req = req.header(name.as_str(), v);
                    }
                }
                let body = if method == "get" {
                    None
                } else {
                    body(&mut rng)
                };
                let req = match body {
                    Some(b) => req
                        .header("content-type", "application/json")
                        .body(Body::from(b))
                        .unwrap(),
                    None => req.body(Body::empty()).unwrap(),
                };
                let res = router.clone().oneshot(req).await.unwrap();
                calls += 1;
                let status = res.status();
                let bytes = axum::body::to_bytes(res.into_body(), usize::MAX)
                    .await
                    .unwrap();
                let text = String::from_utf8_lossy(&bytes);
                let what = format!(
                    "{} {uri} -> {status}: {}",
                    method.to_uppercase(),
                    &text[..text.len().min(300)]
                );
                // A 5xx only ever reports the platform, never polycart itself.
                assert!(status != StatusCode::INTERNAL_SERVER_ERROR, "{what}");
                assert!(!text.contains(CREDENTIAL), "a credential leaked: {what}");
                if status == StatusCode::NO_CONTENT {
                    continue;
                }
                let value: Value =
                    serde_json::from_slice(&bytes).unwrap_or_else(|_| panic!("not JSON: {what}"));
                if status.is_server_error() {
                    let code = value["error"]["code"]
                        .as_str()
                        .unwrap_or_else(|| panic!("no envelope: {what}"));
                    assert!(code.starts_with("platform_"), "{what}");
                    upstream += 1;
                }
                if status.is_client_error() || status.is_server_error() {
                    let code = value["error"]["code"]
                        .as_str()
                        .unwrap_or_else(|| panic!("no envelope: {what}"));
                    assert!(CODES.contains(&code), "unknown code {code}: {what}");
                    assert!(
                        value["error"]["request_id"]
                            .as_str()
                            .is_some_and(|r| !r.is_empty()),
                        "{what}"
                    );
                    assert!(value["error"]["message"].is_string(), "{what}");
                }
            }
        }
    }
    assert!(calls > 500, "{calls} calls");
    eprintln!("{calls} calls, {upstream} answered with the platform's refusal");
}
