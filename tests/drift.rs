//! Schema drift end to end: a simulator's store is synced (the shape is learnt), then
//! the simulator drifts (`Faults::set_drift`: a new field in every object with an id,
//! records' numeric ids sent as strings, deprecation headers) and the next sync records
//! it — in the sync store, `GET /v1/drift`, `/metrics` and `polycart drift` — while the
//! sync itself goes on (the adapters' id type accepts numbers and strings).

mod api_client;

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use axum::http::StatusCode;
use polycart::api::{self, AppState, KeyQuota};
use polycart::engine::{Engine, EngineOptions, NoProgress, RegistrySource, SyncMode};
use polycart::store::{self, Store};
use polycart_kit::Entity;
use polycart_kit::sim::{SimOptions, SimServer, StoreSize};
use polycart_kit::transport::TransportMetrics;
use serde_json::{Value, json};

struct Setup {
    db: Arc<dyn Store>,
    engine: Arc<Engine>,
    router: axum::Router,
    admin: String,
    url: String,
    _dir: tempfile::TempDir,
}

async fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("drift.db").display());
    let db = store::open(&url, Some(store::Cipher::new(&[9u8; 32])))
        .await
        .unwrap();
    let metrics = Arc::new(TransportMetrics::default());
    let source = Arc::new(RegistrySource {
        context: polycart_kit::connector::AdapterContext {
            metrics: metrics.clone(),
            token_sink: None,
        },
    });
    // Paged listings on full passes too (Shopify's bulk export is another payload form).
    let opts = EngineOptions {
        bulk_full_passes: false,
        ..EngineOptions::default()
    };
    let engine = Arc::new(Engine::new(db.clone(), source, opts));
    let router = api::router(Arc::new(AppState::new(
        engine.clone(),
        metrics,
        KeyQuota::default(),
    )));
    let (_, admin) = db.create_api_key("admin", None).await.unwrap();
    Setup {
        db,
        engine,
        router,
        admin,
        url,
        _dir: dir,
    }
}

async fn start(platform: &str) -> SimServer {
    let connector = polycart::registry::connector(platform).unwrap();
    let options = SimOptions {
        seed: 5,
        size: StoreSize {
            products: 5,
            customers: 5,
            orders: 30,
        },
        ..SimOptions::default()
    };
    (connector.simulate)(options, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap()
}

async fn connect(s: &Setup, sim: &SimServer, settings: Value) -> String {
    let body = json!({
        "platform": sim.info.platform, "url": sim.info.base_url, "name": "drifting",
        "credentials": sim.info.credentials, "entities": ["order"], "settings": settings,
    });
    let a = api_client::send(
        &s.router,
        "POST",
        "/v1/stores",
        Some(&s.admin),
        &[],
        Some(body.to_string().into_bytes()),
    )
    .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    a.body["id"].as_str().unwrap().to_owned()
}

async fn sync(s: &Setup, store_id: &str) {
    let stop = AtomicBool::new(false);
    let results = s
        .engine
        .sync_all(
            vec![(store_id.to_owned(), Entity::Order)],
            SyncMode::Full,
            &NoProgress,
            &stop,
        )
        .await;
    for (_, entity, r) in &results {
        assert!(r.as_ref().is_ok_and(|r| r.done), "{entity}: {r:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drift_is_recorded_and_exposed_while_the_sync_goes_on() {
    let s = setup().await;
    let sim = start("woocommerce").await;
    let store_id = connect(&s, &sim, json!({})).await;

    // The first sync learns the shape: nothing to report.
    sync(&s, &store_id).await;
    assert!(s.db.drift_rows().await.unwrap().is_empty());
    let shape =
        s.db.load_shape("woocommerce", Entity::Order, "default")
            .await
            .unwrap()
            .expect("the first page's shape is stored");
    assert_eq!(
        shape.field("id"),
        Some(polycart_kit::drift::JsonType::Number)
    );

    // The platform changes its payloads; the sync still completes.
    sim.handle().unwrap().faults().set_drift(true);
    sync(&s, &store_id).await;
    let rows = s.db.drift_rows().await.unwrap();
    let find = |field: &str, kind: &str| {
        rows.iter()
            .find(|r| r.field == field && r.kind == kind)
            .unwrap_or_else(|| panic!("no {kind} row for {field}: {rows:#?}"))
    };
    let new = find("sim_drift_note", "unknown_field");
    assert_eq!(
        (
            new.platform.as_str(),
            new.entity.as_str(),
            new.api_version.as_str()
        ),
        ("woocommerce", "order", "default")
    );
    assert_eq!(
        (new.seen_type.as_str(), new.expected_type.as_deref()),
        ("string", None)
    );
    // 30 orders in pages of up to 100: the first record of the page and every 25th.
    assert_eq!(new.count, 2);
    let changed = find("id", "type_changed");
    assert_eq!(
        (changed.seen_type.as_str(), changed.expected_type.as_deref()),
        ("string", Some("number"))
    );
    find("line_items[].sim_drift_note", "unknown_field");
    // Another drifted pass counts again, without new rows.
    sync(&s, &store_id).await;
    let again = s.db.drift_rows().await.unwrap();
    assert_eq!(again.len(), rows.len());
    assert!(again.iter().all(|r| {
        r.count
            == 2 * rows
                .iter()
                .find(|o| o.field == r.field && o.kind == r.kind)
                .unwrap()
                .count
    }));

    // The deprecation headers the drifting simulator sent, for this store.
    let deprecations = s.db.deprecations(None).await.unwrap();
    assert_eq!(deprecations.len(), 1, "{deprecations:#?}");
    assert_eq!(deprecations[0].store_id, store_id);
    assert_eq!(deprecations[0].reason, "deprecated since 2025-01-01");
    assert_eq!(
        deprecations[0].sunset.map(|t| t.to_rfc3339()).as_deref(),
        Some("2026-01-01T00:00:00+00:00")
    );

    // GET /v1/drift: exactly the documented shape; deprecations only for own stores.
    let a = api_client::send(&s.router, "GET", "/v1/drift", Some(&s.admin), &[], None).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let row = a.body["drift"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["field"] == "id")
        .unwrap()
        .clone();
    let mut keys: Vec<&str> = row
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "api_version",
            "count",
            "entity",
            "expected_type",
            "field",
            "first_seen",
            "kind",
            "last_seen",
            "platform",
            "seen_type"
        ]
    );
    let dep = &a.body["deprecations"][0];
    let mut keys: Vec<&str> = dep
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "api_version",
            "first_seen",
            "last_seen",
            "platform",
            "reason",
            "store_id",
            "sunset"
        ]
    );
    let no_stores: &[String] = &[];
    let other =
        s.db.create_api_key("other", Some(no_stores))
            .await
            .unwrap()
            .1;
    let a = api_client::send(&s.router, "GET", "/v1/drift", Some(&other), &[], None).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert!(!a.body["drift"].as_array().unwrap().is_empty());
    assert_eq!(a.body["deprecations"], json!([]));
    let a = api_client::send(&s.router, "GET", "/v1/drift", None, &[], None).await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);

    // /metrics.
    let a = api_client::send(&s.router, "GET", "/metrics", None, &[], None).await;
    let text = a.body.as_str().unwrap_or_default();
    assert!(
        text.contains(
            "polycart_schema_drift_fields{platform=\"woocommerce\",entity=\"order\",kind=\"type_changed\"} 1"
        ),
        "{text}"
    );
    assert!(
        text.contains("polycart_api_deprecations{platform=\"woocommerce\"} 1"),
        "{text}"
    );

    // `polycart drift`, table and JSON, from the same database.
    let run = |json: bool| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_polycart"));
        cmd.args(["drift", "--database-url", &s.url])
            .env("POLYCART_SECRET_KEY", hex(&[9u8; 32]));
        if json {
            cmd.arg("--json");
        }
        let out = cmd.output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let table = run(false);
    assert!(table.contains("sim_drift_note"), "{table}");
    assert!(table.contains("number -> string"), "{table}");
    assert!(table.contains("deprecated since 2025-01-01"), "{table}");
    let report: Value = serde_json::from_str(&run(true)).unwrap();
    assert_eq!(
        report["drift"].as_array().unwrap().len(),
        again.len(),
        "{report}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shopify_deprecation_reason_and_version_sunset() {
    let s = setup().await;
    let sim = start("shopify").await;
    let store_id = connect(&s, &sim, json!({"api_version": "2026-01"})).await;
    sync(&s, &store_id).await;
    // 2026-01 is supported until 2027-01-01: within 90 days of now it is reported.
    let sunset = chrono::DateTime::parse_from_rfc3339("2027-01-01T00:00:00Z").unwrap();
    let near =
        sunset.with_timezone(&chrono::Utc) - chrono::Utc::now() <= chrono::Duration::days(90);
    let before = s.db.deprecations(None).await.unwrap();
    assert_eq!(before.len(), usize::from(near), "{before:#?}");

    sim.handle().unwrap().faults().set_drift(true);
    sync(&s, &store_id).await;
    let deprecations = s.db.deprecations(None).await.unwrap();
    assert_eq!(deprecations.len(), 1, "{deprecations:#?}");
    let d = &deprecations[0];
    assert_eq!(
        (
            d.platform.as_str(),
            d.store_id.as_str(),
            d.api_version.as_str()
        ),
        ("shopify", store_id.as_str(), "2026-01")
    );
    assert_eq!(
        d.reason,
        "https://shopify.dev/api/usage/versioning#deprecation-practices"
    );
    // GraphQL nodes have string ids: only the new field is reported.
    let rows = s.db.drift_rows().await.unwrap();
    assert!(
        rows.iter().any(|r| r.platform == "shopify"
            && r.field == "sim_drift_note"
            && r.api_version == "2026-01"),
        "{rows:#?}"
    );
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
