//! Credentials only one feature needs are optional: a Shopify store connected with an
//! Admin API access token alone (no `api_secret`) syncs by polling, and both
//! `polycart stores list` and the API's store view say that webhooks are off and why.
//! A store given the secret has nothing off.

mod api_client;
use api_client::call;

use std::collections::BTreeMap;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use axum::http::StatusCode;
use polycart::api::{self, AppState, KeyQuota};
use polycart::engine::{Engine, EngineOptions, NoProgress, RegistrySource, SyncMode};
use polycart::store;
use polycart_kit::Entity;
use polycart_kit::sim::{SimOptions, SimServer, StoreSize};
use polycart_kit::transport::TransportMetrics;
use serde_json::{Value, json};

fn small() -> SimOptions {
    SimOptions {
        seed: 5,
        size: StoreSize {
            products: 4,
            customers: 4,
            orders: 6,
        },
        ..SimOptions::default()
    }
}

async fn shopify_sim() -> SimServer {
    let connector = polycart::registry::connector("shopify").unwrap();
    (connector.simulate)(small(), "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_connects_a_token_only_store_and_says_webhooks_are_off() {
    let server = shopify_sim().await;
    let token = server.info.credentials["access_token"].clone();
    let secret = server.info.credentials["api_secret"].clone();

    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("opt.db").display());
    let db = store::open(&url, Some(store::Cipher::new(&[3u8; 32])))
        .await
        .unwrap();
    let metrics = Arc::new(TransportMetrics::default());
    let source = Arc::new(RegistrySource {
        context: polycart_kit::connector::AdapterContext {
            metrics: metrics.clone(),
            token_sink: None,
        },
    });
    let engine = Arc::new(Engine::new(db.clone(), source, EngineOptions::default()));
    // Webhooks registered where this deployment is reachable: the only thing off is
    // what a missing credential turns off.
    let router = api::router(Arc::new(
        AppState::new(engine.clone(), metrics, KeyQuota::default())
            .with_public_url(Some("https://polycart.example.com".parse().unwrap())),
    ));
    let (_, admin) = db.create_api_key("admin", None).await.unwrap();

    let create = |credentials: Value| {
        json!({"platform": "shopify", "url": server.info.base_url, "credentials": credentials,
               "entities": ["order"]})
    };
    let (s, body) = call(
        &router,
        "POST",
        "/v1/stores",
        &admin,
        Some(create(json!({"access_token": token}))),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    let id = body["id"].as_str().unwrap().to_owned();
    let off = body["disabled_features"].as_array().unwrap();
    assert_eq!(off.len(), 1, "{body}");
    assert_eq!(off[0]["feature"], "webhooks");
    let reason = off[0]["reason"].as_str().unwrap();
    assert!(
        reason.contains("api_secret") && reason.contains("polling"),
        "{reason}"
    );

    // It syncs by polling.
    let results = engine
        .sync_all(
            vec![(id.clone(), Entity::Order)],
            SyncMode::Auto,
            &NoProgress,
            &AtomicBool::new(false),
        )
        .await;
    assert!(results[0].2.as_ref().is_ok_and(|r| r.done), "{results:?}");
    let (s, body) = call(
        &router,
        "GET",
        &format!("/v1/stores/{id}/orders/count"),
        &admin,
        None,
    )
    .await;
    assert_eq!((s, body["count"].as_u64()), (StatusCode::OK, Some(6)));

    // A delivery cannot be verified: refused like a wrong signature.
    let (s, _) = call(
        &router,
        "POST",
        &format!("/v1/hooks/shopify/{id}"),
        &admin,
        Some(json!({"id": 1})),
    )
    .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);

    // The store view and the list say the same; a store with the secret has nothing off.
    let (_, one) = call(&router, "GET", &format!("/v1/stores/{id}"), &admin, None).await;
    assert_eq!(one["disabled_features"][0]["feature"], "webhooks");
    let (s, body) = call(
        &router,
        "POST",
        "/v1/stores",
        &admin,
        Some(create(json!({"access_token": token, "api_secret": secret}))),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    assert_eq!(body["disabled_features"], json!([]));
    let (_, list) = call(&router, "GET", "/v1/stores", &admin, None).await;
    let offs: Vec<usize> = list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["disabled_features"].as_array().unwrap().len())
        .collect();
    assert_eq!(offs, vec![1, 0]);
    server.shutdown().await;
}

/// Runs the binary against the sync store in `dir` (a fixed test key).
fn polycart(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_polycart"))
        .args(args)
        .env(
            "POLYCART_DATABASE_URL",
            format!("sqlite://{}", dir.join("cli.db").display()),
        )
        .env("POLYCART_SECRET_KEY", "07".repeat(32))
        .output()
        .expect("the binary runs")
}

#[test]
fn the_cli_connects_a_token_only_store_and_lists_what_is_off() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let server = rt.block_on(shopify_sim());
    let dir = tempfile::tempdir().unwrap();
    let token = format!("access_token={}", server.info.credentials["access_token"]);
    let add = polycart(
        dir.path(),
        &[
            "stores",
            "add",
            "--platform",
            "shopify",
            "--url",
            &server.info.base_url,
            "--credential",
            &token,
        ],
    );
    let out = String::from_utf8_lossy(&add.stdout);
    assert!(
        add.status.success(),
        "{out}{}",
        String::from_utf8_lossy(&add.stderr)
    );
    assert!(
        out.contains("webhooks off: no api_secret credential"),
        "{out}"
    );
    let id = out.lines().last().unwrap().trim().to_owned();
    assert!(id.starts_with("st_"), "the last line is the id: {out}");

    let list = polycart(dir.path(), &["stores", "list"]);
    let text = String::from_utf8_lossy(&list.stdout);
    assert!(list.status.success(), "{text}");
    assert!(
        text.contains(&id) && text.contains("webhooks off"),
        "{text}"
    );

    let json = polycart(dir.path(), &["stores", "list", "--json"]);
    let stores: Vec<BTreeMap<String, Value>> = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(stores[0]["disabled_features"][0]["feature"], "webhooks");

    let sync = polycart(dir.path(), &["sync", "--all"]);
    assert!(
        sync.status.success(),
        "a token-only store syncs: {}",
        String::from_utf8_lossy(&sync.stderr)
    );
    rt.block_on(server.shutdown());
}
