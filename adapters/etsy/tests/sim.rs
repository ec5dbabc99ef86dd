//! Etsy's own behaviour against its simulator, beyond the kit's conformance suite:
//! rotating refresh tokens persisted before use, the PKCE code exchange, the shop
//! found through `/users/me`, the `x-api-key` form, both rate windows with their
//! headers and 429s, inventory writes that respect `price_on_property`, stock by SKU,
//! and shipments.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use polycart_etsy::EtsyAdapter;
use polycart_etsy::sim::{EtsySim, OnProperty, start};
use polycart_kit::auth::{TokenSet, TokenSink};
use polycart_kit::connector::{AdapterContext, StoreConfig};
use polycart_kit::model::Record;
use polycart_kit::sim::{SimOptions, SimServer, StoreSize};
use polycart_kit::walk::collect_all;
use polycart_kit::{
    Adapter, Entity, Error, InventoryChange, ListQuery, Result, Secret, Write, WriteOp,
};
use rust_decimal::Decimal;

fn local() -> SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

async fn sim(plan: Option<&str>) -> (SimServer, EtsySim) {
    let options = SimOptions {
        seed: 5,
        size: StoreSize {
            products: 12,
            customers: 6,
            orders: 30,
        },
        plan: plan.map(str::to_owned),
        ..SimOptions::default()
    };
    start(options, local()).await.unwrap()
}

fn store(server: &SimServer, base_url: Option<&str>, settings: &[(&str, &str)]) -> StoreConfig {
    StoreConfig {
        store_id: "etsy-1".into(),
        base_url: base_url.unwrap_or(&server.info.base_url).parse().unwrap(),
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

/// Records each persisted pair and what the simulator had seen of its access token
/// at that moment.
struct Sink {
    sim: EtsySim,
    saved: Mutex<Vec<(TokenSet, u64)>>,
    fail: bool,
}

#[async_trait]
impl TokenSink for Sink {
    async fn store(&self, tokens: &TokenSet) -> Result<()> {
        let uses = self.sim.token_uses(tokens.access_token.expose());
        self.saved.lock().unwrap().push((tokens.clone(), uses));
        if self.fail {
            return Err(Error::Transport {
                message: "the sync store is down".into(),
                timeout: false,
            });
        }
        Ok(())
    }
}

fn adapter_with_sink(store: &StoreConfig, sink: Arc<Sink>) -> EtsyAdapter {
    let ctx = AdapterContext {
        token_sink: Some(sink),
        ..AdapterContext::default()
    };
    EtsyAdapter::new(store, &ctx).unwrap()
}

#[tokio::test]
async fn a_rotated_token_pair_is_persisted_before_it_is_used() {
    let (server, sim) = sim(None).await;
    let first_refresh = server.info.credentials["refresh_token"].clone();
    let sink = Arc::new(Sink {
        sim: sim.clone(),
        saved: Mutex::new(Vec::new()),
        fail: false,
    });
    let adapter = adapter_with_sink(&store(&server, None, &[]), sink.clone());
    adapter.list(&ListQuery::new(Entity::Order)).await.unwrap();
    assert!(
        sink.saved.lock().unwrap().is_empty(),
        "no refresh while the token lives"
    );

    // An hour later: the 401 triggers one refresh, persisted before the new token
    // authorises anything; the request is then repeated once and succeeds.
    sim.expire_access_tokens();
    let page = adapter.list(&ListQuery::new(Entity::Order)).await.unwrap();
    assert!(!page.records.is_empty());
    let saved = sink.saved.lock().unwrap().clone();
    assert_eq!(saved.len(), 1);
    let (pair, uses_when_saved) = &saved[0];
    assert_eq!(
        *uses_when_saved, 0,
        "the new access token was used before it was persisted"
    );
    assert!(
        sim.token_uses(pair.access_token.expose()) >= 1,
        "the request was repeated with it"
    );
    assert_eq!(
        pair.refresh_token.as_ref().map(|s| s.expose().to_owned()),
        Some(sim.current_refresh_token())
    );
    assert!(
        pair.access_token
            .expose()
            .starts_with(&format!("{}.", sim.user_id))
    );
    assert!(pair.expires_at.is_some());

    // The refresh token rotated: the old one is refused from now on.
    let old = polycart_kit::auth::OAuth2Client::public(
        &server.info.credentials["keystring"],
        &format!("{}/v3/public/oauth/token", server.origin()),
    )
    .unwrap()
    .refresh(&Secret::new(first_refresh))
    .await
    .unwrap_err();
    assert!(matches!(old, Error::Auth { .. }), "{old:?}");
}

#[tokio::test]
async fn a_pair_that_cannot_be_persisted_is_never_used() {
    let (server, sim) = sim(None).await;
    let sink = Arc::new(Sink {
        sim: sim.clone(),
        saved: Mutex::new(Vec::new()),
        fail: true,
    });
    let adapter = adapter_with_sink(&store(&server, None, &[]), sink.clone());
    adapter.list(&ListQuery::new(Entity::Order)).await.unwrap();
    sim.expire_access_tokens();
    assert!(adapter.list(&ListQuery::new(Entity::Order)).await.is_err());
    let saved = sink.saved.lock().unwrap().clone();
    assert_eq!(saved.len(), 1);
    assert_eq!(sim.token_uses(saved[0].0.access_token.expose()), 0);
}

#[tokio::test]
async fn an_expiring_token_is_refreshed_before_the_request() {
    let (server, sim) = sim(None).await;
    let first_access = server.info.credentials["access_token"].clone();
    let sink = Arc::new(Sink {
        sim: sim.clone(),
        saved: Mutex::new(Vec::new()),
        fail: false,
    });
    // The stored expiry (the engine writes it with each pair) is a minute away.
    let soon = (chrono::Utc::now() + chrono::Duration::seconds(60)).to_rfc3339();
    let adapter = adapter_with_sink(
        &store(&server, None, &[("token_expires_at", &soon)]),
        sink.clone(),
    );
    adapter.list(&ListQuery::new(Entity::Order)).await.unwrap();
    assert_eq!(sink.saved.lock().unwrap().len(), 1);
    assert_eq!(
        sim.token_uses(&first_access),
        0,
        "refreshed first, no 401 round trip"
    );
}

#[tokio::test]
async fn a_pkce_code_becomes_the_first_token_pair() {
    let (server, sim) = sim(None).await;
    let verifier = Secret::new("a-long-random-verifier-of-the-pkce-flow-0123456789");
    let redirect = "https://polycart.example/etsy/callback";
    let code = sim.authorization_code(verifier.expose(), redirect);
    let token_url: url::Url = format!("{}/v3/public/oauth/token", server.origin())
        .parse()
        .unwrap();
    let keystring = &server.info.credentials["keystring"];
    let pair = polycart_etsy::oauth::exchange_code(
        keystring,
        &token_url,
        &Secret::new(code.clone()),
        &verifier,
        redirect,
    )
    .await
    .unwrap();
    // A code is single-use, and bound to its verifier.
    let again = polycart_etsy::oauth::exchange_code(
        keystring,
        &token_url,
        &Secret::new(code),
        &verifier,
        redirect,
    )
    .await;
    assert!(matches!(again, Err(Error::Auth { .. })), "{again:?}");
    let other = sim.authorization_code(verifier.expose(), redirect);
    let wrong = polycart_etsy::oauth::exchange_code(
        keystring,
        &token_url,
        &Secret::new(other),
        &Secret::new("another-verifier-entirely-0123456789-abcdefghij"),
        redirect,
    )
    .await;
    assert!(matches!(wrong, Err(Error::Auth { .. })), "{wrong:?}");

    // The pair works, and the shop is found through /users/me when the URL has none.
    let mut config = store(
        &server,
        Some(&format!("{}/v3/application", server.origin())),
        &[],
    );
    config
        .credentials
        .insert("access_token".into(), pair.access_token.clone());
    config
        .credentials
        .insert("refresh_token".into(), pair.refresh_token.clone().unwrap());
    let adapter = EtsyAdapter::new(&config, &AdapterContext::default()).unwrap();
    let orders = collect_all(&adapter, ListQuery::new(Entity::Order))
        .await
        .unwrap();
    assert_eq!(orders.len(), 30);
}

/// A raw request to the simulator's API.
async fn raw(server: &SimServer, path: &str, api_key: &str, token: &str) -> reqwest::Response {
    polycart_kit::transport::shared_client()
        .get(format!("{}/v3/application/{path}", server.origin()))
        .header("x-api-key", api_key)
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_api_key_is_keystring_and_shared_secret() {
    let (server, sim) = sim(None).await;
    let token = &server.info.credentials["access_token"];
    let path = format!("shops/{}", sim.shop_id);
    // The form Etsy enforces since 2026-02-09.
    let current = format!("{}:{}", sim.keystring, sim.shared_secret);
    assert_eq!(raw(&server, &path, &current, token).await.status(), 200);
    // The keystring alone (the older form) is refused with Etsy's message.
    let old = raw(&server, &path, &sim.keystring, token).await;
    assert_eq!(old.status(), 403);
    let body: serde_json::Value = old.json().await.unwrap();
    assert_eq!(
        body["error"],
        "Shared secret is required in x-api-key header."
    );
    let wrong = format!("{}:nope", sim.keystring);
    assert_eq!(raw(&server, &path, &wrong, token).await.status(), 403);
    // And an adapter given the wrong secret gets a typed auth error with that word.
    let mut config = store(&server, None, &[]);
    config
        .credentials
        .insert("shared_secret".into(), Secret::new("nope"));
    let adapter = EtsyAdapter::new(&config, &AdapterContext::default()).unwrap();
    match adapter.list(&ListQuery::new(Entity::Order)).await {
        Err(Error::Auth { message }) => assert!(message.contains("Invalid API key"), "{message}"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn both_rate_windows_report_themselves_and_refuse_past_them() {
    let (server, sim) = sim(Some("qps=3,qpd=8")).await;
    let token = &server.info.credentials["access_token"];
    let key = format!("{}:{}", sim.keystring, sim.shared_secret);
    let path = format!("shops/{}", sim.shop_id);
    let first = raw(&server, &path, &key, token).await;
    let h = |r: &reqwest::Response, k: &str| {
        r.headers()
            .get(k)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    assert_eq!(h(&first, "x-limit-per-second").as_deref(), Some("3"));
    assert_eq!(h(&first, "x-remaining-this-second").as_deref(), Some("2"));
    assert_eq!(h(&first, "x-limit-per-day").as_deref(), Some("8"));
    assert_eq!(h(&first, "x-remaining-today").as_deref(), Some("7"));
    // Within the second: the fourth request is refused, the second's headers only.
    raw(&server, &path, &key, token).await;
    raw(&server, &path, &key, token).await;
    let second = raw(&server, &path, &key, token).await;
    if second.status() == 429 {
        assert_eq!(h(&second, "x-remaining-this-second").as_deref(), Some("0"));
        assert!(h(&second, "retry-after").is_none());
        let body: serde_json::Value = second.json().await.unwrap();
        assert_eq!(body["error"], "Exceeded per second rate limit");
    }
    // The day: eight in all, then 429 with Retry-After until the oldest ages out.
    let mut last = None;
    for _ in 0..20 {
        tokio::time::sleep(std::time::Duration::from_millis(350)).await;
        let r = raw(&server, &path, &key, token).await;
        if r.status() == 429 && h(&r, "x-remaining-today").as_deref() == Some("0") {
            last = Some(r);
            break;
        }
    }
    let day = last.expect("the day's budget ran out");
    let wait: u64 = h(&day, "retry-after").unwrap().parse().unwrap();
    assert!((86_000..=86_400).contains(&wait), "{wait}");
    let body: serde_json::Value = day.json().await.unwrap();
    assert_eq!(body["error"], "Exceeded daily rate limit");
}

#[tokio::test]
async fn the_governor_learns_the_per_second_limit_and_avoids_429s() {
    let (server, _sim) = sim(Some("qps=2")).await;
    let adapter = EtsyAdapter::new(&store(&server, None, &[]), &AdapterContext::default()).unwrap();
    let started = std::time::Instant::now();
    let orders = collect_all(&adapter, ListQuery::new(Entity::Order).page_size(3))
        .await
        .unwrap();
    assert_eq!(orders.len(), 30);
    let usage = server.usage();
    let (_, per_second) = usage.iter().find(|(n, _)| *n == "per_second").unwrap();
    assert_eq!(per_second.refused, 0, "a 429 in steady state: {usage:?}");
    // 13 requests (shop, 10 pages, …) at 2 a second take several seconds.
    assert!(started.elapsed() >= std::time::Duration::from_secs(3));
}

fn product(r: Record) -> polycart_kit::model::Product {
    match r {
        Record::Product(p) => *p,
        other => panic!("not a product: {other:?}"),
    }
}

#[tokio::test]
async fn a_variant_price_extends_price_on_property_and_keeps_the_others() {
    let (server, sim) = sim(None).await;
    let adapter = EtsyAdapter::new(&store(&server, None, &[]), &AdapterContext::default()).unwrap();
    let products = collect_all(&adapter, ListQuery::new(Entity::Product))
        .await
        .unwrap();
    let p = products
        .into_iter()
        .map(product)
        .find(|p| p.variants.len() > 2)
        .expect("a listing with variations");
    // The merchant priced every variation alike: price_on_property is empty.
    {
        let mut s = sim.store();
        let n = polycart_etsy::sim::Ids::local(polycart_etsy::sim::Ids::LISTING, &p.platform_id)
            .unwrap();
        for v in &mut s.product_mut(n).unwrap().variants {
            v.price = Decimal::new(2000, 2);
        }
    }
    let before = sim.on_property_of(&p.platform_id).unwrap();
    sim.set_on_property(
        &p.platform_id,
        OnProperty {
            price: Vec::new(),
            ..before
        },
    );
    let target = p.variants[1].platform_id.clone();
    let written = adapter
        .write(&Write::new(WriteOp::UpdateProduct {
            product_id: p.platform_id.clone(),
            variant_id: Some(target.clone()),
            title: None,
            status: None,
            price: Some(Decimal::new(1234, 2)),
            compare_at_price: None,
        }))
        .await
        .unwrap();
    let written = product(written);
    for v in &written.variants {
        let want = if v.platform_id == target {
            "12.34"
        } else {
            "20.00"
        };
        assert_eq!(v.price.as_ref().unwrap().amount.to_string(), want, "{v:?}");
    }
    let on = sim.on_property_of(&p.platform_id).unwrap();
    assert!(
        !on.price.is_empty(),
        "price now varies by the listing's properties"
    );
    // A price finer than the currency is refused before any request.
    let before = server.requests();
    let err = adapter
        .write(&Write::new(WriteOp::UpdateProduct {
            product_id: p.platform_id.clone(),
            variant_id: Some(target),
            title: None,
            status: None,
            price: Some(Decimal::new(12345, 3)),
            compare_at_price: None,
        }))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Invalid { .. }), "{err:?}");
    assert_eq!(
        server.requests() - before,
        2,
        "only the listing (is it this shop's?) and its inventory were read"
    );
}

#[tokio::test]
async fn stock_by_sku_and_by_variant_and_an_inconsistent_inventory_refused() {
    let (server, sim) = sim(None).await;
    let adapter = EtsyAdapter::new(&store(&server, None, &[]), &AdapterContext::default()).unwrap();
    let p = collect_all(&adapter, ListQuery::new(Entity::Product))
        .await
        .unwrap()
        .into_iter()
        .map(product)
        .find(|p| p.variants.len() > 1)
        .unwrap();
    let v = p.variants[0].clone();
    let set = |variant_id: Option<String>, sku: Option<String>, change| {
        Write::new(WriteOp::SetInventory {
            product_id: Some(p.platform_id.clone()),
            variant_id,
            sku,
            location_id: None,
            change,
        })
    };
    let r = product(
        adapter
            .write(&set(
                Some(v.platform_id.clone()),
                None,
                InventoryChange::Absolute(17),
            ))
            .await
            .unwrap(),
    );
    let stock = |r: &polycart_kit::model::Product| {
        r.variants
            .iter()
            .find(|x| x.platform_id == v.platform_id)
            .unwrap()
            .inventory_quantity
    };
    assert_eq!(stock(&r), Some(17));
    let r = product(
        adapter
            .write(&set(None, v.sku.clone(), InventoryChange::Delta(-2)))
            .await
            .unwrap(),
    );
    assert_eq!(stock(&r), Some(15));
    // Naming no product of a listing with several is refused before any write.
    let err = adapter
        .write(&set(None, None, InventoryChange::Absolute(1)))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Invalid { .. }), "{err:?}");

    // Etsy refuses an inventory whose prices vary by a property price_on_property
    // does not name, with its {"error": …} body.
    let token = &server.info.credentials["access_token"];
    let body = serde_json::json!({
        "products": [
            {"sku": "A", "property_values": [{"property_id": 100, "value_ids": [1], "values": ["S"]}],
             "offerings": [{"price": 10.0, "quantity": 1, "is_enabled": true, "readiness_state_id": null}]},
            {"sku": "B", "property_values": [{"property_id": 100, "value_ids": [2], "values": ["L"]}],
             "offerings": [{"price": 12.0, "quantity": 1, "is_enabled": true, "readiness_state_id": null}]}],
        "price_on_property": [], "quantity_on_property": [], "sku_on_property": []
    });
    let r = polycart_kit::transport::shared_client()
        .put(format!(
            "{}/v3/application/listings/{}/inventory",
            server.origin(),
            p.platform_id
        ))
        .header(
            "x-api-key",
            format!("{}:{}", sim.keystring, sim.shared_secret),
        )
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let e: serde_json::Value = r.json().await.unwrap();
    assert!(
        e["error"].as_str().unwrap().contains("price_on_property"),
        "{e}"
    );
}

#[tokio::test]
async fn a_shipment_adds_tracking_to_the_receipt_and_ids_stay_exact() {
    let (server, _sim) = sim(None).await;
    let adapter = EtsyAdapter::new(&store(&server, None, &[]), &AdapterContext::default()).unwrap();
    let orders = collect_all(&adapter, ListQuery::new(Entity::Order))
        .await
        .unwrap();
    let Record::Order(o) = &orders[0] else {
        panic!()
    };
    let shipped = adapter
        .write(&Write::new(WriteOp::CreateShipment {
            order_id: o.platform_id.clone(),
            carrier: Some("usps".into()),
            tracking_number: Some("9400111899223197428490".into()),
            tracking_url: None,
            line_items: Vec::new(),
            notify_customer: true,
        }))
        .await
        .unwrap();
    let Record::Order(s) = shipped else { panic!() };
    let t = s.shipments.last().unwrap();
    assert_eq!(t.tracking_number.as_deref(), Some("9400111899223197428490"));
    // Shipment ids are above 2^53: exact as text, no float on the way.
    let id: u64 = t.platform_id.parse().unwrap();
    assert!(id > (1u64 << 53), "{id}");
    let again = adapter.get(Entity::Order, &o.platform_id).await.unwrap();
    let Record::Order(again) = again else {
        panic!()
    };
    assert_eq!(again.shipments.last().unwrap().platform_id, t.platform_id);
    // Part of a receipt cannot be shipped on Etsy.
    let partial = adapter
        .write(&Write::new(WriteOp::CreateShipment {
            order_id: o.platform_id.clone(),
            carrier: None,
            tracking_number: None,
            tracking_url: None,
            line_items: vec![polycart_kit::ShipmentItem {
                line_item_id: o.line_items[0].platform_id.clone(),
                quantity: 1,
            }],
            notify_customer: false,
        }))
        .await;
    assert!(
        matches!(partial, Err(Error::Unsupported { .. })),
        "{partial:?}"
    );
}

#[tokio::test]
async fn a_spent_day_is_waited_for_once_then_reported_with_etsys_wait() {
    use polycart_etsy::client::{EtsyAuth, EtsyClassifier, budget_reader};
    use polycart_kit::transport::{Request, Transport, TransportClock};
    // Four requests a day: the transport's clock is fake, so its waits take no time.
    let (server, _sim) = sim(Some("qpd=4")).await;
    let config = polycart_etsy::EtsyConfig::from_store(&store(&server, None, &[])).unwrap();
    let clock = TransportClock::fake();
    let transport = Transport::builder("etsy-1", "etsy")
        .auth(Arc::new(EtsyAuth::new(&config, None).unwrap()))
        .budget_reader(Arc::new(budget_reader()))
        .classifier(Arc::new(EtsyClassifier))
        .clock(clock.clone())
        .build();
    let url = config.api_root.join("users/me").unwrap();
    for _ in 0..4 {
        transport.send(Request::get(url.clone())).await.unwrap();
    }
    // The day binds from the first answer (3 left < 9 this second): the governor
    // grants what is left, then holds the shop for the 5-minute recheck before one
    // request asks again; Etsy's 429 then names the wait, longer than the transport
    // waits, so the caller gets it.
    let before = server.requests();
    let err = transport.send(Request::get(url)).await.unwrap_err();
    match err {
        Error::RateLimited { retry_after } => {
            let wait = retry_after.unwrap().as_secs();
            assert!((86_000..=86_400).contains(&wait), "{wait}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        server.requests() - before,
        1,
        "one request asked, none hammered"
    );
    assert!(
        clock.elapsed() >= polycart_etsy::client::DAY_RECHECK,
        "held for the recheck first: {:?}",
        clock.elapsed()
    );
}

#[tokio::test]
async fn an_order_paid_delivery_for_another_shop_is_not_this_stores() {
    let (server, sim) = sim(None).await;
    let adapter = EtsyAdapter::new(&store(&server, None, &[]), &AdapterContext::default()).unwrap();
    let receipt = (polycart_etsy::sim::Ids::RECEIPT + 1).to_string();
    let now = chrono::Utc::now().timestamp();
    let (body, headers) = sim.order_paid(&receipt, &sim.webhook_secret, now);
    let event = adapter.verify_webhook(&headers, &body).unwrap();
    assert_eq!(event.platform_id.as_deref(), Some(receipt.as_str()));
    assert_eq!(event.entity, Some(Entity::Order));
    // The same app endpoint gets another shop's events too.
    let mut other = sim.clone();
    other.shop_id += 1;
    let (body, headers) = other.order_paid(&receipt, &sim.webhook_secret, now);
    assert!(matches!(
        adapter.verify_webhook(&headers, &body),
        Err(Error::Invalid { .. })
    ));
    // A replay outside the tolerance is refused as forged.
    let (body, headers) = sim.order_paid(&receipt, &sim.webhook_secret, now - 3_600);
    assert!(matches!(
        adapter.verify_webhook(&headers, &body),
        Err(Error::Auth { .. })
    ));
}

#[tokio::test]
async fn the_shops_of_one_app_share_its_budget() {
    // Etsy counts requests per app: two stores of one app, listing at once, wait on
    // one governor and meet no 429.
    let (server, _sim) = sim(Some("qps=2")).await;
    let config = store(&server, None, &[]);
    let a = EtsyAdapter::new(&config, &AdapterContext::default()).unwrap();
    let b = EtsyAdapter::new(
        &StoreConfig {
            store_id: "etsy-2".into(),
            ..config.clone()
        },
        &AdapterContext::default(),
    )
    .unwrap();
    let (x, y) = tokio::join!(
        collect_all(&a, ListQuery::new(Entity::Order).page_size(5)),
        collect_all(&b, ListQuery::new(Entity::Order).page_size(5)),
    );
    assert_eq!((x.unwrap().len(), y.unwrap().len()), (30, 30));
    let usage = server.usage();
    let (_, per_second) = usage.iter().find(|(n, _)| *n == "per_second").unwrap();
    assert_eq!(per_second.refused, 0, "{usage:?}");
}

#[tokio::test]
async fn the_token_endpoint_takes_forms_and_json_and_rotates() {
    let (server, sim) = sim(None).await;
    let url = format!("{}/v3/public/oauth/token", server.origin());
    let client = polycart_kit::transport::shared_client();
    let first = sim.current_refresh_token();
    // JSON, as some SDKs send it.
    let r = client
        .post(&url)
        .json(&serde_json::json!({
            "grant_type": "refresh_token", "client_id": sim.keystring, "refresh_token": first
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let pair: serde_json::Value = r.json().await.unwrap();
    assert_eq!(pair["expires_in"], 3600);
    assert_eq!(pair["token_type"], "Bearer");
    assert_ne!(pair["refresh_token"].as_str().unwrap(), first);
    // The used refresh token is refused with Etsy's invalid_grant, as a form too.
    let r = client
        .post(&url)
        .form(&[
            ("grant_type", "refresh_token"),
            ("client_id", sim.keystring.as_str()),
            ("refresh_token", first.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let e: serde_json::Value = r.json().await.unwrap();
    assert_eq!(e["error"], "invalid_grant");
}
