//! The URL policy enforced at connection time, not only when a URL is added: with
//! private addresses refused, a store or subscription whose host *name* resolves to
//! loopback (here the machine's own host name) is accepted when added — names are not
//! resolved then — but no request ever reaches it: the sync and the delivery fail with
//! our own message, the simulator counts zero requests, and nothing of an internal
//! answer reaches `last_error`. A platform's body never does either, policy or not.
//!
//! The policy is process-wide, so the tests of this binary take turns.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use polycart::engine::{Engine, EngineOptions, NoProgress, RegistrySource, SyncMode};
use polycart::store::{self, NewStore, Store};
use polycart_kit::sim::{SimOptions, SimServer, StoreSize};
use polycart_kit::{Entity, Secret};

static TURN: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// This machine's host name when it resolves to a loopback or private address (as
/// `vm` does on our machines), else `None` and the name-based checks are skipped.
async fn internal_host_name() -> Option<String> {
    let name = std::fs::read_to_string("/proc/sys/kernel/hostname").ok()?;
    let name = name.trim().to_owned();
    let addrs: Vec<_> = tokio::net::lookup_host((name.as_str(), 80))
        .await
        .ok()?
        .collect();
    let internal = !addrs.is_empty()
        && addrs
            .iter()
            .all(|a| polycart_kit::net::is_private_ip(a.ip()));
    if !internal {
        eprintln!("skipping name checks: {name:?} does not resolve to internal addresses only");
    }
    internal.then_some(name)
}

async fn bigcommerce_sim() -> SimServer {
    let options = SimOptions {
        size: StoreSize {
            products: 3,
            customers: 3,
            orders: 3,
        },
        ..SimOptions::default()
    };
    polycart_bigcommerce::sim::start(options, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap()
        .0
}

async fn engine() -> (tempfile::TempDir, Arc<dyn Store>, Arc<Engine>) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("ssrf.db").display());
    let db = store::open(&url, Some(store::Cipher::new(&[3u8; 32])))
        .await
        .unwrap();
    let engine = Arc::new(Engine::new(
        db.clone(),
        Arc::new(RegistrySource::default()),
        EngineOptions::default(),
    ));
    (dir, db, engine)
}

async fn add_bigcommerce(db: &Arc<dyn Store>, sim: &SimServer, base_url: &str) -> String {
    db.add_store(&NewStore {
        name: "internal".into(),
        platform: "bigcommerce".into(),
        base_url: base_url.parse().unwrap(),
        credentials: sim
            .info
            .credentials
            .iter()
            .map(|(k, v)| (k.clone(), Secret::new(v.clone())))
            .collect(),
        settings: Default::default(),
        entities: vec![Entity::Order],
        interval_secs: 300,
    })
    .await
    .unwrap()
    .id
}

async fn sync_error(engine: &Engine, store_id: &str) -> String {
    let stop = AtomicBool::new(false);
    let results = engine
        .sync_all(
            vec![(store_id.to_owned(), Entity::Order)],
            SyncMode::Auto,
            &NoProgress,
            &stop,
        )
        .await;
    match &results[0].2 {
        Ok(report) => panic!("the sync reached the store: {report:?}"),
        Err(e) => e.to_string(),
    }
}

#[tokio::test]
async fn names_and_literals_resolving_inside_are_never_called() {
    let _turn = TURN.lock().await;
    polycart_kit::net::refuse_private_addresses(true);
    let sim = bigcommerce_sim().await;
    let (_dir, db, engine) = engine().await;
    let port = sim.addr.port();
    let hash_path = sim
        .info
        .base_url
        .split_once(&format!(":{port}"))
        .map(|(_, p)| p.to_owned())
        .unwrap_or_default();

    // A literal address stored before the policy was on: refused before sending.
    let literal = add_bigcommerce(&db, &sim, &sim.info.base_url).await;
    let error = sync_error(&engine, &literal).await;
    assert!(error.contains("private or internal address"), "{error}");

    if let Some(name) = internal_host_name().await {
        // The URL check at creation cannot see what a name resolves to ...
        let url = format!("http://{name}:{port}{hash_path}");
        let strict = store::UrlPolicy {
            refuse_private: true,
        };
        assert!(store::validate_store_url(&url, strict).is_ok());
        // ... the connection can.
        let named = add_bigcommerce(&db, &sim, &url).await;
        let error = sync_error(&engine, &named).await;
        assert!(error.contains("resolves only to private"), "{error}");
        let info = db.get_store(&named).await.unwrap();
        let last = info.last_error.unwrap_or_default();
        assert!(last.contains("resolves only to private"), "{last}");

        // Outbound webhooks go through the same resolver.
        let sub = db
            .add_subscription(
                &format!("http://{name}:{port}/hook").parse().unwrap(),
                &Secret::new("0123456789abcdef"),
                None,
            )
            .await
            .unwrap();
        db.upsert_records(
            &named,
            &[polycart_kit::Record::Category(Box::new(
                polycart_kit::model::Category {
                    id: None,
                    store_id: None,
                    platform: "bigcommerce".into(),
                    platform_id: "1".into(),
                    name: Some("c".into()),
                    parent_id: None,
                    slug: None,
                    description_html: None,
                    position: None,
                    created_at: None,
                    updated_at: None,
                    raw: None,
                },
            ))],
        )
        .await
        .unwrap();
        let delivery = engine.deliver_once().await.unwrap().expect("a delivery");
        assert!(!delivery.delivered);
        let error = delivery.error.unwrap_or_default();
        assert!(error.contains("private"), "{error}");
        assert_eq!(db.get_subscription(&sub).await.unwrap().last_seq, 0);
    }
    assert_eq!(sim.requests(), 0, "a refused address was called");
    polycart_kit::net::refuse_private_addresses(false);
}

#[tokio::test]
async fn a_platform_body_never_reaches_last_error() {
    let _turn = TURN.lock().await;
    polycart_kit::net::refuse_private_addresses(false);
    // An internal service's answer where the platform should be.
    let app = axum::Router::new().fallback(|| async {
        (
            axum::http::StatusCode::INTERNAL_SERVER_ERROR,
            "<html><body>INTERNAL-ADMIN-PANEL root password is hunter2</body></html>",
        )
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    let sim = bigcommerce_sim().await;
    let (_dir, db, engine) = engine().await;
    let store_id = add_bigcommerce(&db, &sim, &format!("http://{addr}/stores/sim1")).await;
    let error = sync_error(&engine, &store_id).await;
    let info = db.get_store(&store_id).await.unwrap();
    let last = info.last_error.unwrap_or_default();
    assert!(last.contains("500"), "{last}");
    for text in [&last, &error] {
        assert!(!text.contains("INTERNAL-ADMIN-PANEL"), "{text}");
        assert!(!text.contains("hunter2"), "{text}");
    }
}
