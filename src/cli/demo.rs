//! `polycart demo`: the README's first command. Prints the dashboard's URL and API key,
//! starts the Shopify, WooCommerce, BigCommerce and Magento simulators in-process,
//! connects them as stores in a fresh SQLite file, syncs them with progress bars, then
//! serves the unified API and the dashboard (with the scheduler) and prints
//! ready-to-paste `curl` lines. The lines name records by their `id` (polycart's
//! id, what every listing returns), as a user copying one from a listing would. Ctrl-C
//! stops everything cleanly.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use polycart_kit::connector::AdapterContext;
use polycart_kit::sim::{SimOptions, SimServer, StoreSize};
use polycart_kit::transport::TransportMetrics;
use polycart_kit::{Secret, StoreConfig};

use super::progress::Bars;
use crate::api::{self, AppState, KeyQuota};
use crate::engine::{Engine, EngineOptions, RegistrySource, SyncMode};
use crate::registry;
use crate::store::{self, Cipher, NewStore};

/// The platforms the demo runs, in order.
const PLATFORMS: [&str; 4] = ["shopify", "woocommerce", "bigcommerce", "magento"];

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Where the API listens.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,
    /// Use this API key instead of a generated one.
    #[arg(long)]
    pub api_key: Option<String>,
    /// Orders per simulated store (BigCommerce's gets a third).
    #[arg(long, default_value_t = 1500)]
    pub orders: usize,
    /// Where to put the demo's SQLite file (default: a fresh temporary directory).
    #[arg(long)]
    pub data_dir: Option<std::path::PathBuf>,
}

pub async fn run(args: &Args) -> Result<(), String> {
    let listener = tokio::net::TcpListener::bind(args.addr)
        .await
        .map_err(|e| {
            format!(
                "cannot listen on {}: {e} (try --addr 127.0.0.1:0)",
                args.addr
            )
        })?;
    let api_addr = listener.local_addr().map_err(|e| e.to_string())?;

    // A fresh SQLite file.
    let temp = tempfile::tempdir().map_err(|e| e.to_string())?;
    let dir = args
        .data_dir
        .clone()
        .unwrap_or_else(|| temp.path().to_path_buf());
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let db_path = dir.join("polycart-demo.db");
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db_path.display()));
    }
    let cipher = match Cipher::from_env().map_err(|e| e.to_string())? {
        Some(c) => c,
        None => Cipher::new(&rand::random::<[u8; 32]>()),
    };
    let db = store::open(&format!("sqlite://{}", db_path.display()), Some(cipher))
        .await
        .map_err(|e| e.to_string())?;
    eprintln!("sync store: {}", db_path.display());

    // The dashboard first: where to open it and the key to log in with (it answers
    // once the first sync is done).
    let (_, key) = match &args.api_key {
        Some(k) => db.import_api_key("demo", None, k).await,
        None => db.create_api_key("demo", None).await,
    }
    .map_err(|e| e.to_string())?;
    let base = format!("http://{api_addr}");
    println!(
        "dashboard: {base}{}  (API key: {key}; it opens once the first sync is done)",
        api::ui::PATH
    );

    // The simulators, connected as stores.
    let mut servers: Vec<SimServer> = Vec::new();
    let mut store_ids = Vec::new();
    for (i, platform) in PLATFORMS.iter().enumerate() {
        let Ok(connector) = registry::connector(platform) else {
            eprintln!("{platform}: not in the registry yet, skipped");
            continue;
        };
        let options = SimOptions {
            seed: 42 + i as u64,
            size: StoreSize {
                products: 150,
                customers: 400,
                orders: demo_orders(platform, args.orders),
            },
            plan: demo_plan(platform),
            faults: Default::default(),
        };
        let server = (connector.simulate)(options, "127.0.0.1:0".parse().expect("valid address"))
            .await
            .map_err(|e| format!("cannot start the {platform} simulator: {e}"))?;
        let info = server.info.clone();
        let base_url: url::Url = info
            .base_url
            .parse()
            .map_err(|e| format!("{platform} simulator url: {e}"))?;
        let credentials: BTreeMap<String, Secret> = info
            .credentials
            .iter()
            .map(|(k, v)| (k.clone(), Secret::new(v.clone())))
            .collect();
        // Sync every entity the platform's adapter lists.
        let probe = StoreConfig {
            store_id: "probe".into(),
            base_url: base_url.clone(),
            credentials: credentials.clone(),
            settings: BTreeMap::new(),
        };
        let entities = (connector.connect)(&probe, &AdapterContext::default())
            .map_err(|e| format!("{platform}: {e}"))?
            .capabilities()
            .entity_list();
        let new = NewStore {
            name: format!("{platform} demo shop"),
            platform: connector.name.to_owned(),
            base_url,
            credentials,
            settings: demo_settings(platform, demo_plan(platform)),
            entities,
            interval_secs: 60,
        };
        let added = db.add_store(&new).await.map_err(|e| e.to_string())?;
        let plan = demo_plan(platform).unwrap_or_else(|| "default".to_owned());
        eprintln!(
            "{platform} simulator ({plan} plan) on {} → store {}",
            info.base_url, added.id
        );
        store_ids.push((added.id, platform.to_string()));
        servers.push(server);
    }
    if store_ids.is_empty() {
        return Err("no platform of the demo is in the registry".into());
    }

    // Sync everything, with progress bars.
    let metrics = Arc::new(TransportMetrics::default());
    let source = Arc::new(RegistrySource {
        context: AdapterContext {
            metrics: metrics.clone(),
            token_sink: None,
        },
    });
    let opts = EngineOptions {
        concurrency: 16,
        ..EngineOptions::default()
    };
    let engine = Arc::new(Engine::new(db.clone(), source, opts));
    let mut pairs = Vec::new();
    for (id, _) in &store_ids {
        let info = db.get_store(id).await.map_err(|e| e.to_string())?;
        pairs.extend(info.entities.into_iter().map(|e| (id.clone(), e)));
    }
    let bars = Bars::new();
    let stop = AtomicBool::new(false);
    let started = std::time::Instant::now();
    let results = engine.sync_all(pairs, SyncMode::Auto, &bars, &stop).await;
    bars.clear();
    let mut records = 0;
    for (store, entity, result) in &results {
        match result {
            Ok(r) => records += r.records,
            Err(e) => eprintln!("sync of {store} {entity} failed: {e}"),
        }
    }
    eprintln!(
        "synced {records} records in {:.1}s",
        started.elapsed().as_secs_f64()
    );

    // The curl lines.
    let ids: Vec<&str> = store_ids.iter().map(|(id, _)| id.as_str()).collect();
    let first = ids[0];
    let product = first_record(&db, first, polycart_kit::Entity::Product).await;
    let order = open_order(&db, first).await;
    println!(
        "\npolycart demo API on {base}  (API key: {key}); dashboard: {base}{}\n",
        api::ui::PATH
    );
    println!("# orders across all stores");
    println!(
        "curl -s -H 'Authorization: Bearer {key}' '{base}/v1/orders?stores={}&limit=5'",
        ids.join(",")
    );
    if let Some(p) = &product {
        println!("# one product");
        println!(
            "curl -s -H 'Authorization: Bearer {key}' '{base}/v1/stores/{first}/products/{p}'"
        );
    }
    println!("# the change feed");
    println!("curl -s -H 'Authorization: Bearer {key}' '{base}/v1/changes?after=0&limit=10'");
    if let Some(o) = &order {
        println!("# record a shipment (written through to the platform simulator)");
        println!(
            "curl -s -X POST -H 'Authorization: Bearer {key}' -H 'Content-Type: application/json' -H 'Idempotency-Key: demo-1' \
             -d '{{\"carrier\":\"UPS\",\"tracking_number\":\"1Z999AA10123456784\",\"items\":[]}}' '{base}/v1/stores/{first}/orders/{o}/shipments'"
        );
    }
    println!("# stores, OpenAPI, metrics");
    println!("curl -s -H 'Authorization: Bearer {key}' '{base}/v1/stores'");
    println!("curl -s '{base}/openapi.json' | head; curl -s '{base}/metrics' | head\n");
    println!("Ctrl-C stops the demo.");

    let state = Arc::new(AppState::new(engine.clone(), metrics, KeyQuota::default()));
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let worker = tokio::spawn(engine.clone().run_worker(stop_rx));
    let served = api::serve(listener, state, super::shutdown_signal()).await;
    let _ = stop_tx.send(true);
    let _ = worker.await;
    for s in servers {
        s.shutdown().await;
    }
    drop(temp);
    served.map_err(|e| e.to_string())
}

/// Orders of each simulated shop. BigCommerce's v2 orders need a request per order for
/// shipments and coupons, so its shop gets a third of them: the first sync stays
/// around twenty seconds on its pro plan.
fn demo_orders(platform: &str, orders: usize) -> usize {
    if platform == "bigcommerce" {
        orders / 3
    } else {
        orders
    }
}

/// The simulated shops' plans: the larger ones, so the demo's first sync takes
/// seconds, not minutes (BigCommerce's standard 150 requests per 30 s would make the
/// 1,500 orders with their sub-resources take two minutes).
fn demo_plan(platform: &str) -> Option<String> {
    match platform {
        "bigcommerce" => Some("pro".to_owned()),
        "shopify" => Some("plus".to_owned()),
        _ => None,
    }
}

/// Per-store tuning a user would give a store on a fast host: the WooCommerce and
/// Magento simulators do not throttle, so their stores may go faster than the cautious
/// defaults for unknown hosts.
fn demo_settings(platform: &str, plan: Option<String>) -> BTreeMap<String, String> {
    let mut settings = match platform {
        "woocommerce" | "magento" => BTreeMap::from([
            ("rate_per_second".to_owned(), "50".to_owned()),
            ("burst".to_owned(), "20".to_owned()),
        ]),
        _ => BTreeMap::new(),
    };
    if let Some(plan) = plan {
        settings.insert("plan".to_owned(), plan);
    }
    settings
}

/// A record's `id` as listings return it: the document's, else polycart's id for it.
fn record_id(r: &store::StoredRecord, document: &serde_json::Value) -> String {
    document["id"]
        .as_str()
        .map(str::to_owned)
        .unwrap_or_else(|| polycart_kit::model::record_id(&r.store_id, &r.platform_id))
}

/// An order with something left to ship (the shipment example must succeed), by id.
async fn open_order(db: &Arc<dyn store::Store>, store_id: &str) -> Option<String> {
    let records = db
        .list_records(store_id, polycart_kit::Entity::Order, None, 1000, false)
        .await
        .ok()?;
    records.into_iter().find_map(|r| {
        let order: serde_json::Value = serde_json::from_str(&r.document).ok()?;
        let open = order["fulfillment_status"] == "unfulfilled"
            && order["cancelled_at"].is_null()
            && order["line_items"]
                .as_array()
                .is_some_and(|l| !l.is_empty());
        open.then(|| record_id(&r, &order))
    })
}

/// The first record of `entity`, by id.
async fn first_record(
    db: &Arc<dyn store::Store>,
    store_id: &str,
    entity: polycart_kit::Entity,
) -> Option<String> {
    let r = db
        .list_records(store_id, entity, None, 1, false)
        .await
        .ok()?
        .into_iter()
        .next()?;
    let document = serde_json::from_str(&r.document).unwrap_or_default();
    Some(record_id(&r, &document))
}
