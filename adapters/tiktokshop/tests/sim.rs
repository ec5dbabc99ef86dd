//! The TikTok Shop adapter against its simulator beyond the kit's suite: the
//! simulator's refusals as TikTok words them (a wrong `sign`, a stale `timestamp`, a
//! spent refresh token, the 50-per-second limit, a page over 100), the token pair
//! rotated once and persisted before use (and kept when persisting fails), the writes
//! (price, warehouse stock, marking a package shipped by carrier name) and one order
//! line per SKU with the units counted.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::Utc;
use polycart_kit::auth::{TokenSet, TokenSink};
use polycart_kit::connector::{AdapterContext, StoreConfig};
use polycart_kit::model::Record;
use polycart_kit::sim::{SimOptions, SimServer};
use polycart_kit::walk::collect_all;
use polycart_kit::{Adapter, Entity, Error, InventoryChange, ListQuery, Secret, Write, WriteOp};
use polycart_tiktokshop::TikTokShopAdapter;
use polycart_tiktokshop::client::signature;
use polycart_tiktokshop::sim::{TikTokShopSim, start};
use rust_decimal::Decimal;
use serde_json::Value;

async fn sim() -> (SimServer, TikTokShopSim) {
    start(SimOptions::default(), "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap()
}

fn store(server: &SimServer, settings: &[(&str, &str)]) -> StoreConfig {
    StoreConfig {
        store_id: "s1".into(),
        base_url: server.info.base_url.parse().unwrap(),
        credentials: server
            .info
            .credentials
            .iter()
            .map(|(k, v)| (k.clone(), Secret::new(v.clone())))
            .collect(),
        settings: settings
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
    }
}

/// A raw signed request to the simulator, as TikTok documents it.
async fn raw(
    server: &SimServer,
    sim: &TikTokShopSim,
    path: &str,
    params: &[(&str, &str)],
    body: Option<&str>,
    tamper: impl FnOnce(&mut Vec<(String, String)>),
) -> (u16, Value) {
    let (app_key, secret) = sim.app();
    let mut q: Vec<(String, String)> = params
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    q.push(("app_key".into(), app_key.into()));
    q.push(("timestamp".into(), Utc::now().timestamp().to_string()));
    let sign = signature(&Secret::new(secret), path, &q, body.map(str::as_bytes));
    q.push(("sign".into(), sign));
    tamper(&mut q);
    let client = reqwest::Client::new();
    let url = format!("{}{path}", server.origin());
    let request = match body {
        Some(b) => client
            .post(url)
            .body(b.to_owned())
            .header("content-type", "application/json"),
        None => client.get(url),
    };
    let response = request
        .query(&q)
        .header("x-tts-access-token", sim.current_tokens().0)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

#[tokio::test]
async fn the_simulator_refuses_as_tiktok_does() {
    let (server, sim) = sim().await;
    let (status, ok) = raw(
        &server,
        &sim,
        "/authorization/202309/shops",
        &[],
        None,
        |_| {},
    )
    .await;
    assert_eq!((status, ok["code"].as_i64()), (200, Some(0)), "{ok}");
    assert_eq!(ok["data"]["shops"][0]["cipher"], sim.cipher());

    let (status, bad_sign) = raw(
        &server,
        &sim,
        "/authorization/202309/shops",
        &[],
        None,
        |q| {
            q.last_mut().unwrap().1.replace_range(0..1, "x");
        },
    )
    .await;
    assert_eq!(
        (status, bad_sign["code"].as_i64()),
        (401, Some(106_001)),
        "{bad_sign}"
    );

    // The body is signed: changing it after signing is a wrong sign.
    let cipher = sim.cipher().to_owned();
    let params = [("shop_cipher", cipher.as_str()), ("page_size", "5")];
    let (status, search) = raw(
        &server,
        &sim,
        "/order/202309/orders/search",
        &params,
        Some(r#"{"update_time_ge":0}"#),
        |_| {},
    )
    .await;
    assert_eq!(
        (status, search["code"].as_i64()),
        (200, Some(0)),
        "{search}"
    );
    assert!(search["data"]["orders"][0]["id"].is_string());

    let (status, stale) = raw(
        &server,
        &sim,
        "/authorization/202309/shops",
        &[],
        None,
        |q| {
            for (k, v) in q.iter_mut() {
                if k == "timestamp" {
                    *v = (Utc::now().timestamp() - 301).to_string();
                }
            }
        },
    )
    .await;
    // The stale timestamp also breaks the sign; TikTok checks the window first.
    assert_eq!(
        (status, stale["code"].as_i64()),
        (401, Some(36_009_004)),
        "{stale}"
    );

    let (status, future) = raw(
        &server,
        &sim,
        "/authorization/202309/shops",
        &[],
        None,
        |q| {
            for (k, v) in q.iter_mut() {
                if k == "timestamp" {
                    *v = (Utc::now().timestamp() + 120).to_string();
                }
            }
        },
    )
    .await;
    assert_eq!(
        (status, future["code"].as_i64()),
        (401, Some(36_009_004)),
        "{future}"
    );

    let (status, big) = raw(
        &server,
        &sim,
        "/order/202309/orders/search",
        &[("shop_cipher", &cipher), ("page_size", "101")],
        Some("{}"),
        |_| {},
    )
    .await;
    assert_eq!(status, 400, "{big}");

    let (status, no_cipher) = raw(
        &server,
        &sim,
        "/order/202309/orders/search",
        &[("page_size", "5")],
        Some("{}"),
        |_| {},
    )
    .await;
    assert_eq!(
        (status, no_cipher["code"].as_i64()),
        (400, Some(36_009_004)),
        "{no_cipher}"
    );
}

#[tokio::test]
async fn fifty_requests_a_second_per_api_then_429() {
    let (server, sim) = sim().await;
    let mut statuses = Vec::new();
    for _ in 0..60 {
        let (status, body) = raw(
            &server,
            &sim,
            "/authorization/202309/shops",
            &[],
            None,
            |_| {},
        )
        .await;
        if status == 429 {
            assert_eq!(body["code"].as_i64(), Some(36_009_002));
        }
        statuses.push(status);
    }
    let refused = statuses.iter().filter(|s| **s == 429).count();
    assert!(
        refused >= 1,
        "60 requests in well under a second: {statuses:?}"
    );
    assert!(statuses.iter().filter(|s| **s == 200).count() >= 50);
}

#[tokio::test]
async fn a_spent_refresh_token_is_refused() {
    let (server, sim) = sim().await;
    let (_, refresh) = sim.current_tokens();
    let (app_key, secret) = sim.app();
    let url = format!("{}/api/v2/token/refresh", server.origin());
    let ask = || {
        reqwest::Client::new().get(&url).query(&[
            ("app_key", app_key),
            ("app_secret", secret),
            ("refresh_token", refresh.as_str()),
            ("grant_type", "refresh_token"),
        ])
    };
    let first: Value = ask().send().await.unwrap().json().await.unwrap();
    assert_eq!(first["code"], 0, "{first}");
    assert!(first["data"]["access_token_expire_in"].as_i64().unwrap() > Utc::now().timestamp());
    let again: Value = ask().send().await.unwrap().json().await.unwrap();
    assert_ne!(again["code"], 0, "a refresh token is single-use: {again}");
}

/// A sink that records pairs and can be made to fail.
#[derive(Default)]
struct Sink {
    saved: Mutex<Vec<TokenSet>>,
    failing: AtomicBool,
}

#[async_trait]
impl TokenSink for Sink {
    async fn store(&self, tokens: &TokenSet) -> polycart_kit::Result<()> {
        if self.failing.load(Ordering::SeqCst) {
            return Err(Error::Transport {
                message: "database down".into(),
                timeout: false,
            });
        }
        self.saved.lock().unwrap().push(tokens.clone());
        Ok(())
    }
}

#[tokio::test]
async fn an_expiring_pair_is_rotated_once_and_persisted_before_use() {
    let (server, sim) = sim().await;
    let sink = Arc::new(Sink::default());
    sink.failing.store(true, Ordering::SeqCst);
    let ctx = AdapterContext {
        token_sink: Some(sink.clone()),
        ..AdapterContext::default()
    };
    let expired = (Utc::now() - chrono::Duration::minutes(1)).to_rfc3339();
    let adapter =
        TikTokShopAdapter::new(&store(&server, &[("token_expires_at", &expired)]), &ctx).unwrap();

    // The refresh happens, the new pair cannot be persisted: nothing is sent with it.
    let before = server.requests();
    let err = adapter
        .list(&ListQuery::new(Entity::Order).page_size(5))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("database down"), "{err}");
    assert_eq!(sim.refreshes(), 1);
    assert_eq!(
        server.requests() - before,
        1,
        "only the refresh call went out"
    );

    // Once the sink works, the kept pair is persisted and used; no second refresh.
    sink.failing.store(false, Ordering::SeqCst);
    let orders = collect_all(&adapter, ListQuery::new(Entity::Order).page_size(5))
        .await
        .unwrap();
    assert!(!orders.is_empty());
    assert_eq!(sim.refreshes(), 1);
    let saved = sink.saved.lock().unwrap().clone();
    assert_eq!(saved.len(), 1);
    let (access, refresh) = sim.current_tokens();
    assert_eq!(saved[0].access_token, Secret::new(access));
    assert_eq!(saved[0].refresh_token, Some(Secret::new(refresh)));
    assert!(saved[0].expires_at.unwrap() > Utc::now() + chrono::Duration::days(6));
}

#[tokio::test]
async fn an_expired_token_is_refreshed_after_the_401_and_the_call_repeated() {
    let (server, sim) = sim().await;
    let adapter = TikTokShopAdapter::new(&store(&server, &[]), &AdapterContext::default()).unwrap();
    adapter
        .list(&ListQuery::new(Entity::Product).page_size(2))
        .await
        .unwrap();
    sim.expire_access_token();
    let page = adapter
        .list(&ListQuery::new(Entity::Product).page_size(2))
        .await
        .unwrap();
    assert_eq!(page.records.len(), 2);
    assert_eq!(sim.refreshes(), 1);
}

#[tokio::test]
async fn an_order_has_one_line_per_sku_with_its_units_counted() {
    let (server, sim) = sim().await;
    let adapter = TikTokShopAdapter::new(&store(&server, &[]), &AdapterContext::default()).unwrap();
    let orders = collect_all(&adapter, ListQuery::new(Entity::Order).page_size(100))
        .await
        .unwrap();
    let store = sim.store();
    let mut checked = 0;
    for record in &orders {
        let Record::Order(o) = record else {
            panic!("{record:?}")
        };
        assert!(o.platform_id.len() >= 18, "ids beyond 2^53 as strings");
        let n: u64 = o.platform_id.parse::<u64>().unwrap() - polycart_tiktokshop::sim::ID_BASE;
        let truth = store.orders.iter().find(|s| s.id == n).unwrap();
        let raw: Value = serde_json::from_str(o.raw.as_ref().unwrap().get()).unwrap();
        let units = raw["line_items"].as_array().unwrap().len() as u32;
        assert_eq!(
            units,
            truth.line_items.iter().map(|l| l.quantity).sum::<u32>()
        );
        for line in &o.line_items {
            // Several generated lines of one SKU are one TikTok SKU: one unified line.
            let variant: u64 = line.variant_id.as_ref().unwrap().parse().unwrap();
            let same: Vec<_> = truth
                .line_items
                .iter()
                .filter(|l| polycart_tiktokshop::sim::ID_BASE + l.variant_id == variant)
                .collect();
            let quantity: u32 = same.iter().map(|l| l.quantity).sum();
            assert_eq!(line.quantity, Decimal::from(quantity));
            // Money exact: the units' sale prices add up to price × quantity − discount.
            let expected: Decimal = same
                .iter()
                .map(|l| l.price * Decimal::from(l.quantity) - l.discount)
                .sum();
            assert_eq!(line.total.as_ref().unwrap().amount, expected);
            checked += 1;
        }
        assert_eq!(
            o.totals.total.as_ref().unwrap().currency.as_str(),
            truth.currency
        );
    }
    assert!(checked > 0);
}

#[tokio::test]
async fn writes_set_prices_and_stock_and_ship_by_carrier_name() {
    let (server, _sim) = sim().await;
    let adapter = TikTokShopAdapter::new(&store(&server, &[]), &AdapterContext::default()).unwrap();
    let products = collect_all(&adapter, ListQuery::new(Entity::Product).page_size(50))
        .await
        .unwrap();
    let Record::Product(p) = &products[0] else {
        panic!()
    };
    let variant = p.variants[0].clone();

    let price = Write::new(WriteOp::UpdateProduct {
        product_id: p.platform_id.clone(),
        variant_id: Some(variant.platform_id.clone()),
        title: None,
        status: None,
        price: Some(Decimal::new(1999, 2)),
        compare_at_price: None,
    });
    let Record::Product(after) = adapter.write(&price).await.unwrap() else {
        panic!()
    };
    let v = after
        .variants
        .iter()
        .find(|v| v.platform_id == variant.platform_id)
        .unwrap();
    assert_eq!(v.price.as_ref().unwrap().amount, Decimal::new(1999, 2));

    let raw: Value = serde_json::from_str(after.raw.as_ref().unwrap().get()).unwrap();
    let sku = raw["skus"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == variant.platform_id.as_str())
        .unwrap();
    let warehouse = sku["inventory"][0]["warehouse_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let others: i64 = sku["inventory"]
        .as_array()
        .unwrap()
        .iter()
        .skip(1)
        .map(|w| w["quantity"].as_i64().unwrap())
        .sum();
    let stock = Write::new(WriteOp::SetInventory {
        product_id: Some(p.platform_id.clone()),
        variant_id: Some(variant.platform_id.clone()),
        sku: None,
        location_id: Some(warehouse.clone()),
        change: InventoryChange::Absolute(17),
    });
    let Record::Product(after) = adapter.write(&stock).await.unwrap() else {
        panic!()
    };
    let v = after
        .variants
        .iter()
        .find(|v| v.platform_id == variant.platform_id)
        .unwrap();
    assert_eq!(
        v.inventory_quantity,
        Some(17 + others),
        "one warehouse set, the others kept"
    );

    let unknown = Write::new(WriteOp::SetInventory {
        product_id: Some(p.platform_id.clone()),
        variant_id: Some(variant.platform_id.clone()),
        sku: None,
        location_id: Some("576460000000999999".into()),
        change: InventoryChange::Absolute(1),
    });
    assert!(matches!(
        adapter.write(&unknown).await,
        Err(Error::Invalid { .. })
    ));

    let orders = collect_all(&adapter, ListQuery::new(Entity::Order).page_size(50))
        .await
        .unwrap();
    let open = orders
        .iter()
        .filter_map(|r| match r {
            Record::Order(o) => Some(o),
            _ => None,
        })
        .find(|o| o.platform_status.as_deref() == Some("AWAITING_SHIPMENT"))
        .expect("an order awaiting shipment");
    let line = &open.line_items[0];
    let ship = |carrier: &str, quantity: u32| {
        Write::new(WriteOp::CreateShipment {
            order_id: open.platform_id.clone(),
            carrier: Some(carrier.to_owned()),
            tracking_number: Some("1ZTEST".into()),
            tracking_url: None,
            line_items: vec![polycart_kit::adapter::ShipmentItem {
                line_item_id: line.platform_id.clone(),
                quantity,
            }],
            notify_customer: false,
        })
    };
    assert!(matches!(
        adapter.write(&ship("Pigeon Post", 1)).await,
        Err(Error::Invalid { .. })
    ));
    let Record::Order(shipped) = adapter.write(&ship("ups", 1)).await.unwrap() else {
        panic!()
    };
    let shipment = shipped
        .shipments
        .iter()
        .find(|s| s.tracking_number.as_deref() == Some("1ZTEST"))
        .unwrap();
    assert_eq!(shipment.carrier.as_deref(), Some("UPS"));
    assert_eq!(
        shipment.line_items[0].line_item_id.as_deref(),
        Some(line.platform_id.as_str())
    );
    assert_eq!(shipment.line_items[0].quantity, Decimal::ONE);
}

#[tokio::test]
async fn a_token_for_several_shops_needs_the_shop_cipher_setting() {
    let (server, sim) = sim().await;
    sim.authorise_another_shop("ROW_othershop", "Other shop");
    let adapter = TikTokShopAdapter::new(&store(&server, &[]), &AdapterContext::default()).unwrap();
    let err = adapter
        .list(&ListQuery::new(Entity::Order).page_size(2))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Invalid { .. }), "{err:?}");
    assert!(err.to_string().contains("ROW_othershop"), "{err}");
    let cipher = sim.cipher().to_owned();
    let named = TikTokShopAdapter::new(
        &store(&server, &[("shop_cipher", &cipher)]),
        &AdapterContext::default(),
    )
    .unwrap();
    assert_eq!(
        named
            .list(&ListQuery::new(Entity::Order).page_size(2))
            .await
            .unwrap()
            .records
            .len(),
        2
    );
}

#[tokio::test]
async fn a_wrong_signature_is_an_auth_error_that_spends_no_refresh_token() {
    let (server, sim) = sim().await;
    let mut config = store(&server, &[]);
    config
        .credentials
        .insert("app_secret".into(), Secret::new("not-the-secret"));
    let adapter = TikTokShopAdapter::new(&config, &AdapterContext::default()).unwrap();
    let before = server.requests();
    let err = adapter
        .list(&ListQuery::new(Entity::Order).page_size(2))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Auth { .. }), "{err:?}");
    assert!(err.to_string().contains("106001"), "{err}");
    assert!(!err.to_string().contains("not-the-secret"), "{err}");
    assert_eq!(sim.refreshes(), 0);
    assert_eq!(server.requests() - before, 1, "not retried");
}

#[tokio::test]
async fn created_since_filters_the_search_by_create_time() {
    let (server, sim) = sim().await;
    let adapter = TikTokShopAdapter::new(&store(&server, &[]), &AdapterContext::default()).unwrap();
    let mut created: Vec<_> = sim.store().orders.iter().map(|o| o.created_at).collect();
    created.sort();
    let cut = created[created.len() / 2];
    let expected = created
        .iter()
        .filter(|c| c.timestamp() >= cut.timestamp())
        .count();
    let mut query = ListQuery::new(Entity::Order).page_size(3);
    query.created_since = Some(cut);
    let orders = collect_all(&adapter, query).await.unwrap();
    assert_eq!(orders.len(), expected);
}
