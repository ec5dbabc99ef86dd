//! OAuth install against the simulator: authorize redirect, callback HMAC accept and
//! reject, single-use code exchange, and an expiring offline token refreshed with
//! rotation after a 401, the new pair handed to the token sink.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use polycart_kit::adapter::ListQuery;
use polycart_kit::auth::{TokenSet, TokenSink};
use polycart_kit::connector::{AdapterContext, StoreConfig};
use polycart_kit::model::Entity;
use polycart_kit::sim::{FaultSpec, SimOptions, StoreSize};
use polycart_kit::{Adapter, Error, Secret};
use polycart_shopify::ShopifyAdapter;
use polycart_shopify::oauth;
use polycart_shopify::sim::ShopifySim;

#[derive(Default)]
struct Sink(Mutex<Vec<TokenSet>>);

#[async_trait]
impl TokenSink for Sink {
    async fn store(&self, tokens: &TokenSet) -> polycart_kit::Result<()> {
        self.0.lock().unwrap().push(tokens.clone());
        Ok(())
    }
}

async fn callback_query(sim: &ShopifySim, state: &str) -> String {
    let shop: url::Url = sim.server.info.base_url.parse().unwrap();
    let url = oauth::authorize_url(
        &shop,
        sim.state.client_id(),
        &["read_orders", "write_orders"],
        "https://app.example/callback",
        state,
    )
    .unwrap();
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let response = client.get(url).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 302);
    let location: url::Url = response.headers()["location"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(location.host_str(), Some("app.example"));
    location.query().unwrap().to_owned()
}

/// A small simulated shop.
async fn small_shop(seed: u64, orders: usize) -> ShopifySim {
    let options = SimOptions {
        seed,
        size: StoreSize {
            products: 3,
            customers: 3,
            orders,
        },
        plan: None,
        faults: FaultSpec::none(),
    };
    ShopifySim::start(options, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap()
}

/// An adapter holding an installed token pair, its refreshes going to a sink.
fn connect(
    sim: &ShopifySim,
    tokens: &TokenSet,
    settings: &[(&str, String)],
) -> (ShopifyAdapter, Arc<Sink>) {
    let mut credentials = BTreeMap::new();
    credentials.insert("access_token".to_owned(), tokens.access_token.clone());
    if let Some(r) = &tokens.refresh_token {
        credentials.insert("refresh_token".to_owned(), r.clone());
    }
    credentials.insert("client_id".to_owned(), Secret::new(sim.state.client_id()));
    credentials.insert(
        "api_secret".to_owned(),
        Secret::new(sim.state.api_secret.clone()),
    );
    let config = StoreConfig {
        store_id: "s1".into(),
        base_url: sim.server.info.base_url.parse().unwrap(),
        credentials,
        settings: settings
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect(),
    };
    let sink = Arc::new(Sink::default());
    let ctx = AdapterContext {
        token_sink: Some(sink.clone()),
        ..AdapterContext::default()
    };
    (ShopifyAdapter::new(&config, &ctx).unwrap(), sink)
}

/// The whole install: authorize, verified callback, an expiring token for the code.
async fn install(sim: &ShopifySim) -> oauth::Installed {
    let secret = Secret::new(sim.state.api_secret.clone());
    let query = callback_query(sim, "nonce").await;
    let code = oauth::verify_callback(&query, &secret, "nonce")
        .unwrap()
        .code;
    let shop: url::Url = sim.server.info.base_url.parse().unwrap();
    oauth::exchange_code(&shop, sim.state.client_id(), &secret, &code, true)
        .await
        .unwrap()
}

#[tokio::test]
async fn install_verifies_the_callback_and_refreshes_a_rotating_token() {
    let sim = small_shop(2, 5).await;
    let secret = Secret::new(sim.state.api_secret.clone());
    let shop: url::Url = sim.server.info.base_url.parse().unwrap();

    let query = callback_query(&sim, "nonce-1").await;
    let callback = oauth::verify_callback(&query, &secret, "nonce-1").unwrap();
    // Tampered, wrongly keyed, or for another install: refused.
    assert!(matches!(
        oauth::verify_callback(&query.replace("nonce-1", "nonce-2"), &secret, "nonce-2"),
        Err(Error::Auth { .. })
    ));
    assert!(matches!(
        oauth::verify_callback(&query, &Secret::new("shpss_wrong"), "nonce-1"),
        Err(Error::Auth { .. })
    ));
    assert!(matches!(
        oauth::verify_callback(&query, &secret, "nonce-9"),
        Err(Error::Auth { .. })
    ));

    let installed =
        oauth::exchange_code(&shop, sim.state.client_id(), &secret, &callback.code, true)
            .await
            .unwrap();
    assert!(installed.scopes.contains(&"read_orders".to_owned()));
    assert!(installed.tokens.refresh_token.is_some() && installed.tokens.expires_at.is_some());
    // A code is single use.
    assert!(
        oauth::exchange_code(&shop, sim.state.client_id(), &secret, &callback.code, true)
            .await
            .is_err()
    );

    let first_refresh = installed.tokens.refresh_token.clone().unwrap();
    let (adapter, sink) = connect(&sim, &installed.tokens, &[("api", "rest".to_owned())]);
    assert_eq!(
        adapter.count(&ListQuery::new(Entity::Order)).await.unwrap(),
        5
    );
    assert!(
        sink.0.lock().unwrap().is_empty(),
        "a valid token is not refreshed"
    );

    // An hour later: a 401, one refresh, the new pair persisted, the request retried.
    sim.state.expire_tokens();
    assert_eq!(
        adapter.count(&ListQuery::new(Entity::Order)).await.unwrap(),
        5
    );
    let stored = sink.0.lock().unwrap().clone();
    assert_eq!(stored.len(), 1, "refreshed exactly once");
    assert_ne!(stored[0].access_token, installed.tokens.access_token);
    assert_ne!(
        stored[0].refresh_token.as_ref(),
        Some(&first_refresh),
        "the refresh token rotated"
    );

    // Concurrent requests after the next expiry: still one refresh (single flight).
    sim.state.expire_tokens();
    let query = ListQuery::new(Entity::Order);
    let counts = futures::future::join_all((0..4).map(|_| adapter.count(&query))).await;
    assert!(counts.iter().all(|c| matches!(c, Ok(5))), "{counts:?}");
    assert_eq!(
        sink.0.lock().unwrap().len(),
        2,
        "one refresh per expiry, however many requests met it"
    );

    // The new token was used, so the old refresh token is dead.
    let stale = TokenSet {
        access_token: Secret::new("shpat_stale"),
        refresh_token: Some(first_refresh),
        expires_at: None,
    };
    let old = polycart_shopify::token::rotating_token(
        &shop,
        sim.state.client_id(),
        secret.clone(),
        stale,
        None,
    )
    .unwrap();
    let mut request = polycart_kit::auth::PreparedRequest {
        method: http::Method::GET,
        url: shop.clone(),
        headers: http::HeaderMap::new(),
        body: None,
    };
    use polycart_kit::auth::Auth;
    assert!(matches!(
        old.refresh_after_unauthorized().await,
        Err(Error::Auth { .. })
    ));
    old.authorize(&mut request).await.unwrap();
    assert_eq!(request.headers["x-shopify-access-token"], "shpat_stale");
}

#[tokio::test]
async fn a_token_about_to_expire_is_refreshed_before_use() {
    let sim = small_shop(3, 4).await;
    let installed = install(&sim).await;
    // Stored as expiring within the refresh margin: refreshed before the first request.
    let soon = chrono::Utc::now() + chrono::Duration::seconds(30);
    let (adapter, sink) = connect(
        &sim,
        &installed.tokens,
        &[("token_expires_at", soon.to_rfc3339())],
    );
    assert_eq!(
        adapter.count(&ListQuery::new(Entity::Order)).await.unwrap(),
        4
    );
    let stored = sink.0.lock().unwrap().clone();
    assert_eq!(stored.len(), 1, "refreshed once, before the request");
    assert!(stored[0].expires_at.is_some_and(|at| at > soon));
    // GraphQL (the default API) went through the same token.
    assert_eq!(
        adapter.transport().metrics().snapshot().retries,
        0,
        "no 401 first"
    );
}
