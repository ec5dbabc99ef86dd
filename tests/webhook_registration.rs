//! Webhook registration through the app: with a public URL, connecting a store
//! subscribes its entities' topics at the platform (each simulator's own webhook
//! list shows them, delivering to `/v1/hooks/{platform}/{store}`), removing it
//! unsubscribes them; without one, the store says it syncs by polling.

mod api_client;
use api_client::call;

use std::sync::Arc;

use axum::http::StatusCode;
use polycart::api::{self, AppState, KeyQuota};
use polycart::engine::{Engine, EngineOptions, RegistrySource};
use polycart::store;
use polycart_kit::sim::{SimOptions, StoreSize};
use polycart_kit::transport::TransportMetrics;
use serde_json::{Value, json};

/// The simulator's own list of webhook subscriptions, as (topic, address) pairs, read
/// through the platform's API as a third party would.
async fn subscriptions(platform: &str, info: &polycart_kit::sim::SimInfo) -> Vec<(String, String)> {
    let http = reqwest::Client::new();
    let creds = &info.credentials;
    let (url, auth): (String, Vec<(&str, String)>) = match platform {
        "shopify" => (
            format!("{}/admin/api/2026-01/webhooks.json", info.base_url),
            vec![("x-shopify-access-token", creds["access_token"].clone())],
        ),
        "bigcommerce" => (
            format!("{}/v3/hooks", info.base_url),
            vec![("x-auth-token", creds["access_token"].clone())],
        ),
        "magento" => {
            // Adobe Commerce's webhook list takes an admin token.
            let token: String = http
                .post(format!("{}/rest/V1/integration/admin/token", info.base_url))
                .json(&serde_json::json!({"username": creds["username"], "password": creds["password"]}))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            (
                format!("{}/rest/all/V1/webhooks/list", info.base_url),
                vec![("authorization", format!("Bearer {token}"))],
            )
        }
        _ => {
            // Over plain http WooCommerce takes OAuth 1.0a signatures only.
            use polycart_kit::auth::{OAuth1, OAuth1SignatureMethod};
            use polycart_kit::transport::{Request, Transport};
            let signer = OAuth1::one_legged(
                polycart_kit::Secret::new(creds["consumer_key"].clone()),
                polycart_kit::Secret::new(creds["consumer_secret"].clone()),
                OAuth1SignatureMethod::HmacSha256,
            );
            let transport = Transport::builder("check", "woocommerce")
                .auth(Arc::new(signer))
                .build();
            let url = format!(
                "{}/wp-json/wc/v3/webhooks",
                info.base_url.trim_end_matches('/')
            );
            let res = transport
                .send(Request::get(url.parse().unwrap()))
                .await
                .unwrap();
            return pairs(platform, res.json().unwrap());
        }
    };
    let mut req = http.get(&url);
    for (k, v) in auth {
        req = req.header(k, v);
    }
    pairs(platform, req.send().await.unwrap().json().await.unwrap())
}

/// (topic, address) of every subscription in a platform's webhook listing.
fn pairs(platform: &str, v: Value) -> Vec<(String, String)> {
    let list = v
        .get("webhooks")
        .or_else(|| v.get("data"))
        .cloned()
        .unwrap_or(v.clone());
    list.as_array()
        .unwrap_or_else(|| panic!("{platform}: {v}"))
        .iter()
        .map(|w| {
            let topic = ["topic", "scope", "webhook_method"]
                .iter()
                .find_map(|k| w[*k].as_str())
                .unwrap_or_default();
            let to = ["address", "destination", "delivery_url", "url"]
                .iter()
                .find_map(|k| w[*k].as_str())
                .unwrap_or_default();
            (topic.to_owned(), to.to_owned())
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connecting_registers_and_removing_unregisters_webhooks() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("hooks.db").display());
    let db = store::open(&url, Some(store::Cipher::new(&[5u8; 32])))
        .await
        .unwrap();
    let engine = Arc::new(Engine::new(
        db.clone(),
        Arc::new(RegistrySource::default()),
        EngineOptions::default(),
    ));
    let public: url::Url = "https://polycart.example.com/".parse().unwrap();
    let router = api::router(Arc::new(
        AppState::new(
            engine.clone(),
            Arc::new(TransportMetrics::default()),
            KeyQuota::default(),
        )
        .with_public_url(Some(public.clone())),
    ));
    let polling = api::router(Arc::new(
        AppState::new(
            engine,
            Arc::new(TransportMetrics::default()),
            KeyQuota::default(),
        )
        .with_public_url(None),
    ));
    let (_, key) = db.create_api_key("admin", None).await.unwrap();
    for connector in polycart::registry::connectors() {
        if !(connector.capabilities)().webhook_registration {
            // Ecwid (hooks set in the app's settings), PrestaShop (none in core): the
            // store says so in `webhooks.error` and is polled.
            continue;
        }
        let options = SimOptions {
            size: StoreSize {
                products: 2,
                customers: 2,
                orders: 2,
            },
            ..SimOptions::default()
        };
        let sim = (connector.simulate)(options, "127.0.0.1:0".parse().unwrap())
            .await
            .unwrap();
        let mut credentials = sim.info.credentials.clone();
        if connector.name == "woocommerce" {
            // WooCommerce signs deliveries with the secret a webhook is created with:
            // the merchant's integration picks it.
            credentials.insert("webhook_secret".into(), "a-webhook-secret-0123".into());
        }
        let create = json!({
            "platform": connector.name, "url": sim.info.base_url,
            "credentials": credentials, "entities": ["order", "product"],
        });
        let (s, body) = call(&router, "POST", "/v1/stores", &key, Some(create.clone())).await;
        assert_eq!(s, StatusCode::CREATED, "{}: {body}", connector.name);
        let store_id = body["id"].as_str().unwrap().to_owned();
        let address = format!(
            "https://polycart.example.com/v1/hooks/{}/{store_id}",
            connector.name
        );
        assert_eq!(
            body["webhooks"]["address"],
            address.as_str(),
            "{}: {body}",
            connector.name
        );
        assert!(
            body["webhooks"]["error"].is_null(),
            "{}: {body}",
            connector.name
        );
        let topics: Vec<String> =
            serde_json::from_value(body["webhooks"]["topics"].clone()).unwrap();
        let expected = (connector.capabilities)();
        for t in
            expected.webhook_topics(&[polycart_kit::Entity::Order, polycart_kit::Entity::Product])
        {
            assert!(
                topics.iter().any(|x| x == t),
                "{}: {t} not registered",
                connector.name
            );
        }
        // The platform's own list shows each topic delivering to the store's address.
        let subs = subscriptions(connector.name, &sim.info).await;
        for t in &topics {
            assert!(
                subs.iter().any(|(topic, to)| topic == t && *to == address),
                "{}: {t} missing from {subs:?}",
                connector.name
            );
        }
        let (s, _) = call(
            &router,
            "DELETE",
            &format!("/v1/stores/{store_id}"),
            &key,
            None,
        )
        .await;
        assert_eq!(s, StatusCode::NO_CONTENT);
        let left = subscriptions(connector.name, &sim.info).await;
        assert!(
            left.iter().all(|(_, to)| *to != address),
            "{}: still subscribed after removal: {left:?}",
            connector.name
        );

        // Without a public URL: polling, and the store says so.
        let (s, body) = call(&polling, "POST", "/v1/stores", &key, Some(create)).await;
        assert_eq!(s, StatusCode::CREATED, "{body}");
        assert!(body.get("webhooks").is_none(), "{body}");
        let off: Vec<String> = body["disabled_features"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["feature"].as_str().unwrap().to_owned())
            .collect();
        assert!(
            off.iter().any(|f| f == "webhook_registration"),
            "{}: {body}",
            connector.name
        );
    }
}
