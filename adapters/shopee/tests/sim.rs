//! The adapter against its simulator, for what the conformance suite does not cover:
//! the 15-day rule and windows walked over months, detail batches, the single-use
//! refresh token rotated and persisted before use (and a used one refused), a stale
//! timestamp and a wrong signature answered with Shopee's errors, the rate-limit
//! error waited out, whole-unit currencies (IDR) and signed pushes.

use std::collections::{BTreeMap, HashSet};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::Utc;
use polycart_kit::auth::hmac::{hex, hmac_sha256};
use polycart_kit::auth::{TokenSet, TokenSink};
use polycart_kit::connector::{AdapterContext, StoreConfig};
use polycart_kit::model::Record;
use polycart_kit::sim::{Signing, SimHandle, SimOptions, SimServer, StoreSize};
use polycart_kit::walk::collect_all;
use polycart_kit::{Adapter, Entity, Error, ListQuery, Secret, Write, WriteOp};
use polycart_shopee::ShopeeAdapter;
use polycart_shopee::sim::{PARTNER_ID, SHOP_ID, ShopeeSim, start};
use rust_decimal::Decimal;

fn local() -> SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

/// Remembers every pair it is given.
#[derive(Default)]
struct Sink(Mutex<Vec<TokenSet>>);

#[async_trait]
impl TokenSink for Sink {
    async fn store(&self, tokens: &TokenSet) -> polycart_kit::Result<()> {
        self.0.lock().unwrap().push(tokens.clone());
        Ok(())
    }
}

async fn setup_with(
    seed: u64,
    sink: Option<Arc<Sink>>,
) -> (SimServer, ShopeeSim, ShopeeAdapter, StoreConfig) {
    let options = SimOptions {
        seed,
        size: StoreSize {
            products: 30,
            customers: 10,
            orders: 140,
        },
        ..SimOptions::default()
    };
    let (server, sim) = start(options, local()).await.unwrap();
    let credentials: BTreeMap<String, Secret> = server
        .info
        .credentials
        .iter()
        .map(|(k, v)| (k.clone(), Secret::new(v.clone())))
        .collect();
    let mut settings = BTreeMap::new();
    settings.insert("requests_per_second".to_owned(), "1000".to_owned());
    let store = StoreConfig {
        store_id: "s1".into(),
        base_url: server.info.base_url.parse().unwrap(),
        credentials,
        settings,
    };
    let ctx = AdapterContext {
        token_sink: sink.map(|s| s as Arc<dyn TokenSink>),
        ..AdapterContext::default()
    };
    let adapter = ShopeeAdapter::new(&store, &ctx).unwrap();
    (server, sim, adapter, store)
}

fn ids(records: &[Record]) -> Vec<String> {
    records.iter().map(|r| r.platform_id().to_owned()).collect()
}

#[tokio::test]
async fn orders_over_months_are_walked_window_by_window_without_loss() {
    let (server, sim, adapter, _) = setup_with(2, None).await;
    let orders = collect_all(&adapter, ListQuery::new(Entity::Order).page_size(7))
        .await
        .unwrap();
    let got = ids(&orders);
    let unique: HashSet<&String> = got.iter().collect();
    assert_eq!(unique.len(), got.len(), "an order was listed twice");
    let truth: HashSet<String> = sim.truth(Entity::Order).unwrap().into_iter().collect();
    assert_eq!(unique.len(), truth.len());
    assert!(got.iter().all(|id| truth.contains(id)));
    // The generated orders span about ten months: far more than one 15-day window.
    let span = {
        let s = sim.store();
        let min = s.orders.iter().map(|o| o.updated_at).min().unwrap();
        let max = s.orders.iter().map(|o| o.updated_at).max().unwrap();
        max - min
    };
    assert!(span > chrono::Duration::days(60), "{span}");
    // Every page was one get_order_detail batch of at most 50.
    assert!(server.requests() > 0);
}

#[tokio::test]
async fn a_window_over_15_days_is_refused_with_shopees_error() {
    let (server, sim, _, _) = setup_with(2, None).await;
    let ts = Utc::now().timestamp();
    let path = "/api/v2/order/get_order_list";
    let token = format!("simaccess{}x0", 2);
    let base = format!("{PARTNER_ID}{path}{ts}{token}{SHOP_ID}");
    let sign = hex(&hmac_sha256(sim.partner_key().as_bytes(), base.as_bytes()));
    let url = format!(
        "{}{path}?partner_id={PARTNER_ID}&timestamp={ts}&access_token={token}&shop_id={SHOP_ID}&sign={sign}&time_range_field=update_time&time_from=1700000000&time_to={}&page_size=10",
        server.origin(),
        1_700_000_000 + 15 * 86_400 + 1
    );
    let body: serde_json::Value = reqwest::get(&url).await.unwrap().json().await.unwrap();
    assert_eq!(body["error"], "order.order_list_invalid_time", "{body}");

    // A stale timestamp and a wrong signature.
    let stale = url.replace(
        &format!("timestamp={ts}"),
        &format!("timestamp={}", ts - 301),
    );
    let body: serde_json::Value = reqwest::get(&stale).await.unwrap().json().await.unwrap();
    assert_eq!(body["error"], "error_param", "{body}");
    assert_eq!(body["message"], "Invalid timestamp");
    let wrong = url.replace(&sign, &"0".repeat(64));
    let body: serde_json::Value = reqwest::get(&wrong).await.unwrap().json().await.unwrap();
    assert_eq!(body["error"], "error_sign", "{body}");
}

#[tokio::test]
async fn a_refused_token_is_refreshed_once_persisted_first_and_the_old_refresh_token_is_dead() {
    let sink = Arc::new(Sink::default());
    let (_server, sim, adapter, store) = setup_with(2, Some(sink.clone())).await;
    let first_refresh = sim.current_refresh_token();
    sim.expire_access_token(&format!("simaccess{}x0", 2));
    let page = adapter
        .list(&ListQuery::new(Entity::Product).page_size(5))
        .await
        .unwrap();
    assert!(!page.records.is_empty());
    assert_eq!(sim.refreshes(), 1);
    let saved = sink.0.lock().unwrap().clone();
    assert_eq!(saved.len(), 1, "the new pair is persisted once");
    assert_eq!(
        saved[0].refresh_token.as_ref().map(Secret::expose),
        Some(sim.current_refresh_token().as_str())
    );
    assert!(saved[0].expires_at.is_some_and(|t| t > Utc::now()));
    assert_eq!(adapter.tokens().access_token, saved[0].access_token);

    // A second process still holding the first pair cannot refresh again: Shopee's
    // refresh tokens are single-use.
    assert_ne!(first_refresh, sim.current_refresh_token());
    let stale = ShopeeAdapter::new(&store, &AdapterContext::default()).unwrap();
    let err = stale
        .list(&ListQuery::new(Entity::Product).page_size(5))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Auth { .. }), "{err:?}");
    assert_eq!(sim.refreshes(), 1);
}

#[tokio::test]
async fn the_rate_limit_error_is_waited_out() {
    let (_server, sim, adapter, _) = setup_with(2, None).await;
    sim.throttle_next(2);
    let page = adapter
        .list(&ListQuery::new(Entity::Product).page_size(5))
        .await
        .unwrap();
    assert_eq!(page.records.len(), 5);
}

#[tokio::test]
async fn whole_unit_currencies_stay_whole_and_refuse_fractional_prices() {
    // Seed 1: an Indonesian shop (IDR).
    let (_server, sim, adapter, _) = setup_with(1, None).await;
    assert_eq!(sim.region().currency, "IDR");
    let products = collect_all(&adapter, ListQuery::new(Entity::Product))
        .await
        .unwrap();
    let Record::Product(p) = &products[0] else {
        panic!()
    };
    let price = p.price.clone().unwrap();
    assert_eq!(price.currency.as_str(), "IDR");
    assert!(price.amount.fract().is_zero(), "{price:?}");
    let orders = collect_all(&adapter, ListQuery::new(Entity::Order).page_size(50))
        .await
        .unwrap();
    for o in &orders {
        let Record::Order(o) = o else { panic!() };
        if let Some(t) = &o.totals.total {
            assert!(t.amount.fract().is_zero(), "{t:?}");
        }
    }
    let variant = p.variants.first().map(|v| v.platform_id.clone());
    let write = |price: &str| {
        Write::new(WriteOp::UpdateProduct {
            product_id: p.platform_id.clone(),
            variant_id: variant.clone(),
            title: None,
            status: None,
            price: Some(price.parse::<Decimal>().unwrap()),
            compare_at_price: None,
        })
    };
    let err = adapter.write(&write("15000.5")).await.unwrap_err();
    assert!(matches!(err, Error::Invalid { .. }), "{err:?}");
    let Record::Product(after) = adapter.write(&write("15000")).await.unwrap() else {
        panic!()
    };
    let written = match &variant {
        Some(v) => after
            .variants
            .iter()
            .find(|x| &x.platform_id == v)
            .and_then(|x| x.price.clone()),
        None => after.price.clone(),
    };
    assert_eq!(written.unwrap().amount, Decimal::from(15000));
}

#[tokio::test]
async fn pushes_are_verified_for_the_configured_callback_url() {
    let (_server, sim, adapter, _) = setup_with(2, None).await;
    let sn = sim.truth(Entity::Order).unwrap().remove(0);
    let ok = sim
        .webhook(
            Entity::Order,
            &sn,
            polycart_kit::WebhookKind::Updated,
            Signing::Correct,
        )
        .unwrap();
    let event = adapter.verify_webhook(&ok.headers, &ok.body).unwrap();
    assert_eq!(event.platform_id.as_deref(), Some(sn.as_str()));
    let (body, sign) = sim.push(
        3,
        serde_json::json!({ "ordersn": sn }),
        sim.partner_key(),
        "https://another.example/hook",
    );
    let mut headers = http::HeaderMap::new();
    headers.insert("authorization", sign.parse().unwrap());
    assert!(adapter.verify_webhook(&headers, &body).is_err());
}

#[tokio::test]
async fn concurrent_calls_with_a_refused_token_refresh_once() {
    let sink = Arc::new(Sink::default());
    let (_server, sim, adapter, _) = setup_with(2, Some(sink.clone())).await;
    sim.expire_access_token("simaccess2x0");
    let adapter = Arc::new(adapter);
    let mut tasks = Vec::new();
    for _ in 0..6 {
        let a = adapter.clone();
        tasks.push(tokio::spawn(async move {
            a.list(&ListQuery::new(Entity::Product).page_size(3)).await
        }));
    }
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    assert_eq!(
        sim.refreshes(),
        1,
        "one refresh for the shop, not one per call"
    );
    assert!(sim.refused_tokens() >= 1);
    assert_eq!(sink.0.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn a_token_known_to_lapse_is_renewed_before_it_is_refused() {
    let (server, sim, _, mut store) = setup_with(2, None).await;
    // The stored expiry says the token lapses in a minute: renewed before use.
    store.settings.insert(
        "token_expires_at".to_owned(),
        (Utc::now() + chrono::Duration::seconds(60)).to_rfc3339(),
    );
    let adapter = ShopeeAdapter::new(&store, &AdapterContext::default()).unwrap();
    let before = server.requests();
    adapter
        .list(&ListQuery::new(Entity::Product).page_size(3))
        .await
        .unwrap();
    assert_eq!(sim.refreshes(), 1);
    assert!(
        adapter
            .tokens()
            .expires_at
            .is_some_and(|t| t > Utc::now() + chrono::Duration::hours(3))
    );
    assert_eq!(sim.refused_tokens(), 0, "renewed before Shopee refused it");
    // The exchange, the item list, the items (and their models).
    assert!(server.requests() - before >= 3);
}

#[tokio::test]
async fn with_returns_on_orders_carry_their_refunds_and_the_shipping_paid() {
    let (_server, sim, _, mut store) = setup_with(2, None).await;
    store
        .settings
        .insert("returns".to_owned(), "true".to_owned());
    let adapter = ShopeeAdapter::new(&store, &AdapterContext::default()).unwrap();
    let (sn, refunds, shipping) = {
        let s = sim.store();
        let o = s
            .orders
            .iter()
            .find(|o| !o.refunds.is_empty())
            .expect("the generated store has refunds");
        let total: Decimal = o.refunds.iter().map(|r| r.amount.round_dp(2)).sum();
        (
            polycart_shopee::sim::render::order_sn(o),
            (o.refunds.len(), total),
            o.shipping_price,
        )
    };
    let Record::Order(o) = adapter.get(Entity::Order, &sn).await.unwrap() else {
        panic!()
    };
    assert_eq!(o.refunds.len(), refunds.0);
    assert_eq!(o.totals.refunded.as_ref().unwrap().amount, refunds.1);
    assert!(
        o.refunds
            .iter()
            .all(|r| !r.line_items.is_empty() && r.created_at.is_some())
    );
    assert_eq!(o.totals.shipping.unwrap().amount, shipping.normalize());
    // Without the setting: no extra requests, refunds unknown.
    let (_server2, _, plain, _) = setup_with(2, None).await;
    let Record::Order(p) = plain.get(Entity::Order, &sn).await.unwrap() else {
        panic!()
    };
    assert!(p.refunds.is_empty());
    assert_eq!(p.totals.refunded, None);
}

#[tokio::test]
async fn a_partner_id_that_is_not_shopees_is_refused_by_shopee_not_at_connection() {
    let (_server, _sim, _, mut store) = setup_with(2, None).await;
    store
        .credentials
        .insert("partner_id".to_owned(), Secret::new("not-digits"));
    let adapter = ShopeeAdapter::new(&store, &AdapterContext::default()).unwrap();
    let err = adapter
        .list(&ListQuery::new(Entity::Product).page_size(3))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Invalid { .. }), "{err:?}");
    assert!(err.to_string().contains("Invalid partner_id"), "{err}");
}
