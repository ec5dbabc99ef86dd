//! eBay specifics against the simulator, beyond the kit's suite: the user token renewed
//! once and handed to the token sink, renewed again when it expires, a lapsed refresh
//! token refused before any request with a clear error, SKUs and order ids outside
//! eBay's grammar refused before any request, a partial bulk failure named per SKU,
//! the filter grammar, the daily limit's error envelope and signed notifications.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::{Duration, Utc};
use polycart_ebay::EbayAdapter;
use polycart_ebay::sim::{EbaySim, start};
use polycart_kit::auth::{TokenSet, TokenSink};
use polycart_kit::connector::{AdapterContext, StoreConfig};
use polycart_kit::model::Record;
use polycart_kit::sim::{SimOptions, SimServer, StoreSize};
use polycart_kit::{Adapter, Entity, Error, InventoryChange, ListQuery, Secret, Write, WriteOp};

#[derive(Default)]
struct Sink(Mutex<Vec<TokenSet>>);

#[async_trait]
impl TokenSink for Sink {
    async fn store(&self, tokens: &TokenSet) -> polycart_kit::Result<()> {
        self.0.lock().unwrap().push(tokens.clone());
        Ok(())
    }
}

fn local() -> SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

async fn setup(plan: Option<&str>) -> (SimServer, EbaySim) {
    let options = SimOptions {
        seed: 5,
        size: StoreSize {
            products: 6,
            customers: 5,
            orders: 12,
        },
        plan: plan.map(str::to_owned),
        ..SimOptions::default()
    };
    start(options, local()).await.unwrap()
}

fn connect(server: &SimServer, settings: &[(&str, &str)], sink: Option<Arc<Sink>>) -> EbayAdapter {
    let store = StoreConfig {
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
            .collect::<BTreeMap<_, _>>(),
    };
    let ctx = AdapterContext {
        token_sink: sink.map(|s| s as Arc<dyn TokenSink>),
        ..AdapterContext::default()
    };
    EbayAdapter::new(&store, &ctx).unwrap()
}

fn tokens(sim: &EbaySim) -> u64 {
    sim.token_requests
        .load(std::sync::atomic::Ordering::Relaxed)
}

#[tokio::test]
async fn the_user_token_is_renewed_once_persisted_and_renewed_on_expiry() {
    let (server, sim) = setup(None).await;
    let sink = Arc::new(Sink::default());
    let adapter = connect(&server, &[], Some(sink.clone()));
    let orders =
        polycart_kit::walk::collect_all(&adapter, ListQuery::new(Entity::Order).page_size(5))
            .await
            .unwrap();
    assert_eq!(orders.len(), 12);
    assert_eq!(tokens(&sim), 1, "one refresh for many requests");
    {
        let saved = sink.0.lock().unwrap();
        assert_eq!(saved.len(), 1);
        assert!(
            saved[0]
                .expires_at
                .is_some_and(|t| t > Utc::now() + Duration::minutes(100))
        );
        assert_eq!(
            saved[0].refresh_token.as_ref().map(Secret::expose),
            Some(sim.refresh_token.as_str()),
            "eBay's refresh token does not rotate: the same one is kept"
        );
    }
    // eBay expires the token early (revoked, or the clock moved): a 401, one renewal.
    sim.ledger().tokens.clear();
    adapter
        .get(Entity::Order, orders[0].platform_id())
        .await
        .unwrap();
    assert_eq!(tokens(&sim), 2);
    assert_eq!(sink.0.lock().unwrap().len(), 2);
}

#[tokio::test]
async fn a_lapsed_refresh_token_asks_for_reauthorisation() {
    let (server, sim) = setup(None).await;
    let past = (Utc::now() - Duration::days(1)).to_rfc3339();
    let adapter = connect(&server, &[("refresh_token_expires_at", &past)], None);
    let before = server.requests();
    let err = adapter
        .list(&ListQuery::new(Entity::Order))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Auth { .. }), "{err:?}");
    assert!(err.to_string().contains("must re-authorise"), "{err}");
    assert_eq!(
        server.requests(),
        before,
        "nothing sent with a lapsed refresh token"
    );
    // eBay itself refusing the refresh token says the same.
    *sim.refresh_expires_at.lock().unwrap() = Utc::now() - Duration::seconds(1);
    let adapter = connect(&server, &[], None);
    let err = adapter
        .list(&ListQuery::new(Entity::Order))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("must re-authorise"), "{err}");
    assert!(!err.to_string().contains(&sim.refresh_token), "{err}");
}

#[tokio::test]
async fn skus_and_order_ids_outside_ebays_grammar_never_reach_it() {
    let (server, sim) = setup(None).await;
    let adapter = connect(&server, &[], None);
    // Warm up: the token is fetched and one order read.
    let orders = adapter
        .list(&ListQuery::new(Entity::Order).page_size(1))
        .await
        .unwrap();
    let before = server.requests();
    for bad in ["MUG/12", "..", "1?x=1", "A B", &"A".repeat(51)] {
        assert!(
            matches!(
                adapter.get(Entity::Product, bad).await,
                Err(Error::NotFound { .. })
            ),
            "{bad}"
        );
        let set = adapter
            .write(&Write::new(WriteOp::SetInventory {
                product_id: None,
                variant_id: None,
                sku: Some(bad.to_owned()),
                location_id: None,
                change: InventoryChange::Absolute(7),
            }))
            .await;
        assert!(set.is_err(), "{bad}");
    }
    assert!(matches!(
        adapter.get(Entity::Order, "12-34567/89012").await,
        Err(Error::NotFound { .. })
    ));
    assert_eq!(server.requests(), before, "a bad id reached eBay");
    // Valid ones do, and a SKU is priced by its offer.
    let sku = sim.ledger().items[0].sku.clone();
    let Record::Product(p) = adapter.get(Entity::Product, &sku).await.unwrap() else {
        panic!("not a product")
    };
    assert!(p.price.is_some(), "the offer's price");
    assert!(
        adapter
            .get(Entity::Order, orders.records[0].platform_id())
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn a_refused_bulk_item_is_named() {
    let (server, sim) = setup(None).await;
    let adapter = connect(&server, &[], None);
    let sku = sim.ledger().items[1].sku.clone();
    // eBay refuses the offer's price in its per-item answer (HTTP 207).
    let err = adapter
        .write(&Write::new(WriteOp::UpdateProduct {
            product_id: sku.clone(),
            variant_id: None,
            title: None,
            status: None,
            price: Some(rust_decimal::Decimal::new(-100, 2)),
            compare_at_price: None,
        }))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Invalid { .. }), "{err:?}");
    let text = err.to_string();
    assert!(text.contains(&sku) && text.contains("25002"), "{text}");
    let price = sim.ledger().items[1].price;
    assert!(price > rust_decimal::Decimal::ZERO, "nothing applied");
    // A SKU gone from eBay: not found, nothing written.
    sim.ledger().items[2].deleted = true;
    let gone = sim.ledger().items[2].sku.clone();
    let set = adapter
        .write(&Write::new(WriteOp::SetInventory {
            product_id: Some(gone),
            variant_id: None,
            sku: None,
            location_id: None,
            change: InventoryChange::Absolute(3),
        }))
        .await;
    assert!(matches!(set, Err(Error::NotFound { .. })), "{set:?}");
    let first = sim.ledger().items[0].sku.clone();
    let delta = adapter
        .write(&Write::new(WriteOp::SetInventory {
            product_id: Some(first.clone()),
            variant_id: None,
            sku: None,
            location_id: None,
            change: InventoryChange::Delta(1),
        }))
        .await;
    assert!(matches!(delta, Err(Error::Unsupported { .. })), "{delta:?}");
    // Stock held per location is set per location; the others are kept.
    let whole = adapter
        .write(&Write::new(WriteOp::SetInventory {
            product_id: Some(first.clone()),
            variant_id: None,
            sku: None,
            location_id: None,
            change: InventoryChange::Absolute(3),
        }))
        .await;
    assert!(
        matches!(&whole, Err(Error::Invalid { message }) if message.contains("give location_id")),
        "{whole:?}"
    );
    let (key, other, other_quantity) = {
        let l = sim.ledger();
        let i = &l.items[0];
        (i.stock[0].0.clone(), i.stock[1].0.clone(), i.stock[1].1)
    };
    let set = adapter
        .write(&Write::new(WriteOp::SetInventory {
            product_id: Some(first.clone()),
            variant_id: None,
            sku: None,
            location_id: Some(key.clone()),
            change: InventoryChange::Absolute(11),
        }))
        .await
        .unwrap();
    let Record::Inventory(level) = set else {
        panic!()
    };
    assert_eq!(level.platform_id, format!("{first}:{key}"));
    assert_eq!(level.available, Some(11));
    let l = sim.ledger();
    assert_eq!(
        l.items[0].stock[1],
        (other, other_quantity),
        "the other location is kept"
    );
    assert_eq!(
        l.items[0].quantity,
        11 + other_quantity,
        "the total follows"
    );
}

/// A raw call with a fresh user token.
async fn raw(server: &SimServer, sim: &EbaySim, path: &str) -> (u16, serde_json::Value) {
    let client = polycart_kit::transport::shared_client();
    let token: serde_json::Value = client
        .post(format!("{}/identity/v1/oauth2/token", server.info.base_url))
        .basic_auth(&sim.client_id, Some(&sim.client_secret))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", sim.refresh_token.as_str()),
            (
                "scope",
                "https://api.ebay.com/oauth/api_scope/sell.fulfillment",
            ),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let r = client
        .get(format!("{}{path}", server.info.base_url))
        .bearer_auth(token["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or_default())
}

#[tokio::test]
async fn filters_limits_and_the_daily_quota_answer_as_ebay_does() {
    let (server, sim) = setup(Some("tiny")).await;
    // Without a filter: the last 90 days only (the generated orders are older).
    let (status, body) = raw(&server, &sim, "/sell/fulfillment/v1/order").await;
    assert_eq!((status, body["total"].as_u64()), (200, Some(0)));
    let (status, body) = raw(
        &server,
        &sim,
        "/sell/fulfillment/v1/order?filter=lastmodifieddate:%5B2024-01-01T00:00:00Z..%5D",
    )
    .await;
    assert_eq!(status, 400, "seconds without milliseconds are refused");
    assert_eq!(body["errors"][0]["errorId"], 30800);
    let (status, _) = raw(&server, &sim, "/sell/fulfillment/v1/order?limit=201").await;
    assert_eq!(status, 400);
    let (status, body) = raw(
        &server,
        &sim,
        "/sell/fulfillment/v1/order?filter=creationdate:%5B2024-01-01T00:00:00.000Z..%5D,orderfulfillmentstatus:%7BNOT_STARTED%7CIN_PROGRESS%7D",
    )
    .await;
    assert_eq!(status, 200);
    assert!(
        body["orders"]
            .as_array()
            .unwrap()
            .iter()
            .all(|o| o["orderFulfillmentStatus"] != "FULFILLED")
    );
    // Five Fulfillment calls a day on this plan (refused ones count): the sixth is a 429
    // with eBay's envelope.
    assert_eq!(
        raw(&server, &sim, "/sell/fulfillment/v1/order").await.0,
        200
    );
    let (status, body) = raw(&server, &sim, "/sell/fulfillment/v1/order").await;
    assert_eq!(status, 429);
    assert_eq!(body["errors"][0]["errorId"], 2001);
    assert_eq!(body["errors"][0]["domain"], "ACCESS");
    // The Inventory API counts apart.
    let (status, _) = raw(
        &server,
        &sim,
        "/sell/inventory/v1/inventory_item?limit=2&offset=1",
    )
    .await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn notifications_verify_as_ebay_signs_them() {
    let (server, sim) = setup(None).await;
    let adapter = connect(&server, &[], None);
    assert!(adapter.capabilities().webhooks, "the key was given");
    let data = serde_json::json!({"username": "test_user", "userId": "ma8vp1jySJC"});
    let (body, signature) = sim.notification("MARKETPLACE_ACCOUNT_DELETION", data.clone(), false);
    let mut headers = http::HeaderMap::new();
    headers.insert("x-ebay-signature", signature.parse().unwrap());
    let event = adapter.verify_webhook(&headers, body.as_bytes()).unwrap();
    assert_eq!(event.topic, "MARKETPLACE_ACCOUNT_DELETION");
    assert_eq!(event.meta["userId"], "ma8vp1jySJC");
    let (body, forged) = sim.notification("MARKETPLACE_ACCOUNT_DELETION", data, true);
    headers.insert("x-ebay-signature", forged.parse().unwrap());
    assert!(matches!(
        adapter.verify_webhook(&headers, body.as_bytes()),
        Err(Error::Auth { .. })
    ));
    // The key as eBay serves it, by the kid in the header, to an application token
    // (a user token is refused there, and an application token on a seller's API).
    let path = format!(
        "/commerce/notification/v1/public_key/{}",
        sim.notification_kid
    );
    assert_eq!(raw(&server, &sim, &path).await.0, 403);
    let client = polycart_kit::transport::shared_client();
    let app: serde_json::Value = client
        .post(format!("{}/identity/v1/oauth2/token", server.info.base_url))
        .basic_auth(&sim.client_id, Some(&sim.client_secret))
        .form(&[
            ("grant_type", "client_credentials"),
            ("scope", "https://api.ebay.com/oauth/api_scope"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let app_token = app["access_token"].as_str().unwrap();
    let get = |path: String| {
        client
            .get(format!("{}{path}", server.info.base_url))
            .bearer_auth(app_token)
            .send()
    };
    let orders = get("/sell/fulfillment/v1/order".into()).await.unwrap();
    assert_eq!(orders.status().as_u16(), 403);
    let r = get(path).await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let key: serde_json::Value = r.json().await.unwrap();
    assert_eq!(
        key["key"].as_str(),
        Some(sim.notification_public_key().as_str())
    );
    assert_eq!(key["digest"], "SHA1");
}

#[tokio::test]
async fn shipping_the_rest_ships_what_remains_of_each_line() {
    let (server, sim) = setup(None).await;
    let adapter = connect(&server, &[], None);
    // An open order with a line of two or more, nothing shipped yet.
    let (id, line, quantity) = {
        let s = sim.store();
        let o = s
            .orders
            .iter()
            .find(|o| {
                o.shipments.is_empty()
                    && o.fulfillment == polycart_kit::sim::SimFulfillment::Unfulfilled
                    && o.state != polycart_kit::sim::SimOrderState::Cancelled
                    && o.line_items.iter().any(|l| l.quantity >= 2)
            })
            .expect("an unshipped order with a line of two");
        let l = o.line_items.iter().find(|l| l.quantity >= 2).unwrap();
        (
            polycart_ebay::sim::order_id(o),
            polycart_ebay::sim::line_item_id(l.id),
            l.quantity,
        )
    };
    let ship = |line_items: Vec<polycart_kit::ShipmentItem>, tracking: &str| {
        Write::new(WriteOp::CreateShipment {
            order_id: id.clone(),
            carrier: Some("USPS".into()),
            tracking_number: Some(tracking.into()),
            tracking_url: None,
            line_items,
            notify_customer: true,
        })
    };
    let first = adapter
        .write(&ship(
            vec![polycart_kit::ShipmentItem {
                line_item_id: line.clone(),
                quantity: 1,
            }],
            "9400100000000000000001",
        ))
        .await
        .unwrap();
    let Record::Order(o) = first else { panic!() };
    assert_eq!(o.shipments.len(), 1);
    assert_eq!(
        o.fulfillment_status,
        Some(polycart_kit::model::FulfillmentStatus::Partial)
    );
    let rest = adapter
        .write(&ship(Vec::new(), "9400100000000000000002"))
        .await
        .unwrap();
    let Record::Order(o) = rest else { panic!() };
    assert_eq!(
        o.fulfillment_status,
        Some(polycart_kit::model::FulfillmentStatus::Fulfilled)
    );
    let second = &o.shipments[1];
    let of_line = second
        .line_items
        .iter()
        .find(|l| l.line_item_id.as_deref() == Some(line.as_str()))
        .unwrap();
    assert_eq!(of_line.quantity, rust_decimal::Decimal::from(quantity - 1));
    // Nothing left: refused before any request is made.
    let before = server.requests();
    let none = adapter
        .write(&ship(Vec::new(), "9400100000000000000003"))
        .await;
    assert!(matches!(none, Err(Error::Invalid { .. })), "{none:?}");
    assert_eq!(
        server.requests() - before,
        2,
        "the order and its fulfillments were read, nothing posted"
    );
}

#[tokio::test]
async fn a_buyer_paying_in_another_currency_is_the_presentment() {
    let (server, sim) = setup(None).await;
    let adapter = connect(&server, &[], None);
    let (id, store_currency, paid_in, paid) = {
        let s = sim.store();
        let o = s
            .orders
            .iter()
            .find(|o| o.presentment.is_some())
            .expect("an order paid in another currency");
        let p = o.presentment.unwrap();
        (
            polycart_ebay::sim::order_id(o),
            o.currency,
            p.currency,
            polycart_kit::sim::cents(o.presented().total()),
        )
    };
    let Record::Order(o) = adapter.get(Entity::Order, &id).await.unwrap() else {
        panic!()
    };
    assert_eq!(
        o.currency.as_ref().map(|c| c.as_str()),
        Some(store_currency)
    );
    assert_eq!(
        o.presentment_currency.as_ref().map(|c| c.as_str()),
        Some(paid_in)
    );
    let total = o.presentment_totals.unwrap().total.unwrap();
    assert_eq!((total.amount, total.currency.as_str()), (paid, paid_in));
}

#[tokio::test]
async fn a_legacy_sku_outside_the_grammar_stays_listed_without_its_price() {
    let (server, sim) = setup(None).await;
    let adapter = connect(&server, &[], None);
    let mut odd = sim.ledger().items[0].clone();
    odd.sku = "OLD SKU.1".into();
    sim.ledger().items.push(odd);
    let products = polycart_kit::walk::collect_all(&adapter, ListQuery::new(Entity::Product))
        .await
        .unwrap();
    let Some(Record::Product(p)) = products.iter().find(|p| p.platform_id() == "OLD SKU.1") else {
        panic!("the legacy SKU is listed")
    };
    assert!(p.price.is_none() && p.status.is_none());
    assert!(
        products
            .iter()
            .filter(|p| matches!(p, Record::Product(p) if p.price.is_some()))
            .count()
            > 1
    );
}

#[tokio::test]
async fn a_spent_daily_quota_is_a_typed_rate_limit() {
    let (server, _sim) = setup(Some("tiny")).await;
    let adapter = connect(&server, &[], None);
    // Five Fulfillment calls a day: the sixth and every retry of it answer 429.
    let mut outcome = Ok(());
    for _ in 0..6 {
        outcome = adapter
            .list(&ListQuery::new(Entity::Order).page_size(1))
            .await
            .map(|_| ());
        if outcome.is_err() {
            break;
        }
    }
    assert!(
        matches!(outcome, Err(Error::RateLimited { .. })),
        "{outcome:?}"
    );
    // The Inventory API's quota is its own.
    assert!(
        adapter
            .list(&ListQuery::new(Entity::Inventory).page_size(1))
            .await
            .is_ok()
    );
}
