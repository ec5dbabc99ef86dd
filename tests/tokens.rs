//! Rotated OAuth tokens survive a restart: a Shopify store installed with an expiring
//! offline token (its refresh token rotates on every use) is synced after the token
//! expired; the engine's adapter refreshes, the new pair reaches the sync store's
//! encrypted credentials before it is used, and a fresh engine (a restarted process)
//! refreshes again with the persisted refresh token — the first one is dead by then.
//! Two processes holding the same store follow each other's rotation instead of
//! racing it with a dead refresh token.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use polycart::engine::{Engine, EngineOptions, NoProgress, RegistrySource, SyncMode};
use polycart::store::{self, NewStore, Store};
use polycart_kit::sim::{SimOptions, StoreSize};
use polycart_kit::{Entity, Secret};
use polycart_shopify::oauth;
use polycart_shopify::sim::ShopifySim;

fn engine(db: &Arc<dyn Store>) -> Engine {
    Engine::new(
        db.clone(),
        Arc::new(RegistrySource::default()),
        EngineOptions::default(),
    )
}

async fn sync_categories(db: &Arc<dyn Store>, store_id: &str) {
    sync_with(&engine(db), store_id).await;
}

async fn sync_with(engine: &Engine, store_id: &str) {
    let results = engine
        .sync_all(
            vec![(store_id.to_owned(), Entity::Category)],
            SyncMode::Full,
            &NoProgress,
            &AtomicBool::new(false),
        )
        .await;
    for (_, entity, result) in results {
        assert!(
            result.as_ref().is_ok_and(|r| r.done),
            "{entity}: {result:?}"
        );
    }
}

/// A shop installed with an expiring offline token, connected in a fresh sync store.
struct Installed {
    sim: ShopifySim,
    db: Arc<dyn Store>,
    id: String,
    first_access: Secret,
    first_refresh: Secret,
    _dir: tempfile::TempDir,
}

async fn install() -> Installed {
    let options = SimOptions {
        seed: 3,
        size: StoreSize {
            products: 4,
            customers: 1,
            orders: 1,
        },
        ..SimOptions::default()
    };
    let sim = ShopifySim::start(options, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let shop: url::Url = sim.server.info.base_url.parse().unwrap();
    let secret = Secret::new(sim.state.api_secret.clone());

    // Install: authorize, the callback's code, an expiring offline token.
    let url = oauth::authorize_url(
        &shop,
        sim.state.client_id(),
        &["read_products"],
        "https://app.example/cb",
        "st8",
    )
    .unwrap();
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let location: url::Url = client.get(url).send().await.unwrap().headers()["location"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    let code = oauth::verify_callback(location.query().unwrap(), &secret, "st8")
        .unwrap()
        .code;
    let installed = oauth::exchange_code(&shop, sim.state.client_id(), &secret, &code, true)
        .await
        .unwrap();
    let first_refresh = installed
        .tokens
        .refresh_token
        .clone()
        .expect("an expiring token has a refresh token");

    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("tokens.db").display());
    let db = store::open(&url, Some(store::Cipher::new(&[5u8; 32])))
        .await
        .unwrap();
    let new = NewStore {
        name: "expiring".into(),
        platform: "shopify".into(),
        base_url: shop.clone(),
        credentials: BTreeMap::from([
            (
                "access_token".to_owned(),
                installed.tokens.access_token.clone(),
            ),
            ("refresh_token".to_owned(), first_refresh.clone()),
            ("client_id".to_owned(), Secret::new(sim.state.client_id())),
            ("api_secret".to_owned(), secret.clone()),
        ]),
        settings: BTreeMap::new(),
        entities: vec![Entity::Category],
        interval_secs: 300,
    };
    let id = db.add_store(&new).await.unwrap().id;
    Installed {
        sim,
        db,
        id,
        first_access: installed.tokens.access_token,
        first_refresh,
        _dir: dir,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rotated_refresh_token_is_persisted_before_use_and_survives_a_restart() {
    let Installed {
        sim,
        db,
        id,
        first_access,
        first_refresh,
        _dir,
    } = install().await;

    // The token expires; the sync refreshes it and the sync store gets the new pair.
    sim.state.expire_tokens();
    sync_categories(&db, &id).await;
    let stored = db.store_config(&id).await.unwrap();
    let second_refresh = stored.credentials["refresh_token"].clone();
    assert_ne!(
        second_refresh.expose(),
        first_refresh.expose(),
        "the refresh token rotated and was persisted"
    );
    assert_ne!(
        stored.credentials["access_token"].expose(),
        first_access.expose()
    );
    assert!(
        stored.settings.contains_key("token_expires_at"),
        "{:?}",
        stored.settings.keys()
    );
    assert_eq!(
        stored.credentials["client_id"].expose(),
        sim.state.client_id(),
        "other credentials are kept"
    );

    // A restarted process after the next expiry: it refreshes with the persisted token.
    sim.state.expire_tokens();
    sync_categories(&db, &id).await;
    let third = db.store_config(&id).await.unwrap().credentials["refresh_token"].clone();
    assert_ne!(third.expose(), second_refresh.expose());
    sim.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_process_follows_the_pair_the_first_rotated() {
    let Installed {
        sim,
        db,
        id,
        first_refresh,
        _dir,
        ..
    } = install().await;
    // Two processes (say `serve` and a worker) each hold the store's adapter with the
    // installed pair.
    let (first, second) = (engine(&db), engine(&db));
    sync_with(&first, &id).await;
    sync_with(&second, &id).await;

    // The token expires; the first process refreshes (the installed refresh token is
    // dead from now on) and persists the new pair.
    sim.state.expire_tokens();
    sync_with(&first, &id).await;
    let rotated = db.store_config(&id).await.unwrap().credentials["refresh_token"].clone();
    assert_ne!(rotated.expose(), first_refresh.expose());

    // The second still holds the installed pair: it reads the persisted one instead of
    // refreshing with a dead token (which would lock the shop out).
    sync_with(&second, &id).await;
    let after = db.store_config(&id).await.unwrap().credentials["refresh_token"].clone();
    assert_eq!(after.expose(), rotated.expose(), "no second refresh");
    sim.server.shutdown().await;
}
