//! Lazada's own behaviour against its simulator, beyond the kit's suite: the gate
//! (wrong signature, stale timestamp, `Z` dates refused as Lazada refuses them), the
//! single-use refresh token rotated once, persisted before use and refused when
//! reused, `ApiCallLimit` waited out, orders joined to their items with the status
//! derived from them, the XML price/stock payload, signed pushes, the category tree
//! paged from its one answer, and `normalize` on Lazada's answers.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use polycart_kit::auth::{TokenSet, TokenSink};
use polycart_kit::connector::{AdapterContext, StoreConfig};
use polycart_kit::model::{OrderStatus, Record};
use polycart_kit::sim::{SimOptions, SimOrderState, SimServer, StoreSize};
use polycart_kit::walk::collect_all;
use polycart_kit::{Adapter, Entity, Error, InventoryChange, ListQuery, Secret, Write, WriteOp};
use polycart_lazada::LazadaAdapter;
use polycart_lazada::client::sign;
use polycart_lazada::sim::{LazadaSim, start};
use rust_decimal::Decimal;
use serde_json::Value;

fn local() -> SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

async fn sim(plan: Option<&str>) -> (SimServer, LazadaSim) {
    let options = SimOptions {
        seed: 7,
        size: StoreSize {
            products: 12,
            customers: 5,
            orders: 40,
        },
        plan: plan.map(str::to_owned),
        ..SimOptions::default()
    };
    start(options, local()).await.unwrap()
}

fn store(server: &SimServer, change: &[(&str, &str)]) -> StoreConfig {
    let mut credentials: BTreeMap<String, Secret> = server
        .info
        .credentials
        .iter()
        .map(|(k, v)| (k.clone(), Secret::new(v.clone())))
        .collect();
    for (k, v) in change {
        credentials.insert((*k).to_owned(), Secret::new(*v));
    }
    let mut settings = BTreeMap::new();
    settings.insert("region".to_owned(), "sg".to_owned());
    StoreConfig {
        store_id: "s1".into(),
        base_url: server.info.base_url.parse().unwrap(),
        credentials,
        settings,
    }
}

/// A raw GET signed with `secret` and `timestamp` (ms), as a client nobody here wrote
/// would send it.
async fn raw(
    server: &SimServer,
    path: &str,
    extra: &[(&str, &str)],
    secret: &str,
    timestamp: i64,
) -> Value {
    let c = &server.info.credentials;
    let mut params: Vec<(String, String)> = vec![
        ("app_key".into(), c["app_key"].clone()),
        ("timestamp".into(), timestamp.to_string()),
        ("sign_method".into(), "sha256".into()),
        ("access_token".into(), c["access_token"].clone()),
    ];
    params.extend(
        extra
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
    );
    let signature = sign(secret.as_bytes(), path, &params, None);
    params.push(("sign".into(), signature));
    let url = format!("{}{path}", server.info.base_url);
    polycart_kit::transport::shared_client()
        .get(url)
        .query(&params)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

#[tokio::test]
async fn the_gate_refuses_as_lazada_does() {
    let (server, _sim) = sim(None).await;
    let secret = server.info.credentials["app_secret"].clone();
    let since = [("update_after", "2020-01-01T00:00:00+08:00")];
    let good = raw(&server, "/orders/get", &since, &secret, now_ms()).await;
    assert_eq!(good["code"], "0", "{good}");
    assert!(good["data"]["orders"].is_array());
    let forged = raw(&server, "/orders/get", &since, "not-the-secret", now_ms()).await;
    assert_eq!(forged["code"], "IncompleteSignature");
    let stale = raw(
        &server,
        "/orders/get",
        &since,
        &secret,
        now_ms() - 7_300_000,
    )
    .await;
    assert_eq!(stale["code"], "InvalidTimestamp");
    let zulu = raw(
        &server,
        "/orders/get",
        &[("update_after", "2020-01-01T00:00:00Z")],
        &secret,
        now_ms(),
    )
    .await;
    assert_eq!(zulu["code"], "17");
    let unfiltered = raw(&server, "/orders/get", &[], &secret, now_ms()).await;
    assert_eq!(unfiltered["code"], "MissingParameter");
    let big = raw(
        &server,
        "/products/get",
        &[("filter", "all"), ("limit", "51")],
        &secret,
        now_ms(),
    )
    .await;
    assert_eq!(big["code"], "19");

    // The adapter with a wrong secret gets a typed auth error, not a retry loop.
    let adapter = LazadaAdapter::new(
        &store(&server, &[("app_secret", "wrong")]),
        &AdapterContext::default(),
    )
    .unwrap();
    let err = adapter
        .list(&ListQuery::new(Entity::Order))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Auth { message } if message.starts_with("IncompleteSignature")),
        "{err:?}"
    );
    assert!(
        !err.to_string().contains("wrong"),
        "a secret in an error: {err}"
    );
}

/// Records every pair persisted; can be made to fail.
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
async fn an_illegal_token_is_refreshed_once_and_the_pair_persisted_before_use() {
    let (server, sim) = sim(None).await;
    let sink = Arc::new(Sink::default());
    let ctx = AdapterContext {
        token_sink: Some(sink.clone()),
        ..AdapterContext::default()
    };
    let adapter = LazadaAdapter::new(&store(&server, &[]), &ctx).unwrap();
    let first_refresh = sim.refresh_token();
    sim.expire_access_token();

    // The sink is down: the rotated pair is kept, but no call is made with it.
    sink.failing.store(true, Ordering::SeqCst);
    let before = sim.requests();
    let err = adapter
        .list(&ListQuery::new(Entity::Product))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("database down"), "{err}");
    // The refused call and the refresh: nothing was sent with the unpersisted pair.
    assert_eq!(sim.requests() - before, 2);
    assert_ne!(sim.refresh_token(), first_refresh, "the pair was rotated");

    // The sink is back: the kept pair is persisted, then used; no second refresh.
    sink.failing.store(false, Ordering::SeqCst);
    let products = collect_all(&adapter, ListQuery::new(Entity::Product))
        .await
        .unwrap();
    assert_eq!(products.len(), sim.store().products.len());
    let saved = sink.saved.lock().unwrap().clone();
    assert_eq!(saved.len(), 1);
    assert_eq!(saved[0].access_token, Secret::new(sim.access_token()));
    assert_eq!(
        saved[0].refresh_token,
        Some(Secret::new(sim.refresh_token()))
    );
    assert!(saved[0].expires_at.is_some(), "expires_in is read");

    // The spent refresh token is refused, as Lazada refuses a reused one.
    let secret = server.info.credentials["app_secret"].clone();
    let reused = raw(
        &server,
        "/auth/token/refresh",
        &[("refresh_token", &first_refresh)],
        &secret,
        now_ms(),
    )
    .await;
    assert_eq!(reused["code"], "IllegalRefreshToken");
}

#[tokio::test]
async fn api_call_limit_is_waited_out() {
    let (server, sim) = sim(Some("strict")).await;
    let mut config = store(&server, &[]);
    config
        .settings
        .insert("requests_per_second".into(), "50".into());
    let adapter = LazadaAdapter::new(&config, &AdapterContext::default()).unwrap();
    let orders = collect_all(&adapter, ListQuery::new(Entity::Order).page_size(10))
        .await
        .unwrap();
    assert_eq!(orders.len(), sim.store().orders.len());
}

#[tokio::test]
async fn orders_carry_their_items_and_the_status_derived_from_them() {
    let (server, sim) = sim(None).await;
    let adapter = LazadaAdapter::new(&store(&server, &[]), &AdapterContext::default()).unwrap();
    let orders = collect_all(&adapter, ListQuery::new(Entity::Order).page_size(7))
        .await
        .unwrap();
    let truth = sim.store().orders.clone();
    assert_eq!(orders.len(), truth.len());
    for r in &orders {
        let Record::Order(o) = r else {
            panic!("not an order")
        };
        let t = truth
            .iter()
            .find(|t| t.id.to_string() == o.platform_id)
            .unwrap();
        let units: u32 = t.line_items.iter().map(|l| l.quantity).sum();
        assert_eq!(o.line_items.len() as u32, units, "one line per unit");
        let expected = match t.state {
            SimOrderState::Pending => OrderStatus::Pending,
            SimOrderState::Cancelled => OrderStatus::Cancelled,
            SimOrderState::Completed => OrderStatus::Completed,
            SimOrderState::Failed => OrderStatus::Failed,
            SimOrderState::Open | SimOrderState::OnHold => OrderStatus::Processing,
        };
        assert_eq!(o.status, Some(expected), "order {}", o.platform_id);
        assert_eq!(
            o.currency.as_ref().map(|c| c.as_str().to_owned()),
            Some("SGD".to_owned())
        );
        let subtotal: Decimal = t.line_items.iter().map(|l| l.gross()).sum();
        assert_eq!(
            o.totals.subtotal.as_ref().unwrap().amount,
            subtotal.round_dp(2)
        );
    }
    let got = adapter
        .get(Entity::Order, orders[0].platform_id())
        .await
        .unwrap();
    let Record::Order(g) = got else { panic!() };
    let Record::Order(l) = &orders[0] else {
        panic!()
    };
    assert_eq!(g.line_items, l.line_items);
    assert!(matches!(
        adapter.get(Entity::Order, "999999999").await,
        Err(Error::NotFound { .. })
    ));
}

#[tokio::test]
async fn price_and_stock_are_set_per_sku_through_the_xml_payload() {
    let (server, sim) = sim(None).await;
    let adapter = LazadaAdapter::new(&store(&server, &[]), &AdapterContext::default()).unwrap();
    let (item, sku) = {
        let s = sim.store();
        let p = s.products.iter().find(|p| p.variants.len() > 1).unwrap();
        (p.id.to_string(), p.variants[1].id.to_string())
    };
    let priced = adapter
        .write(&Write::new(WriteOp::UpdateProduct {
            product_id: item.clone(),
            variant_id: Some(sku.clone()),
            title: None,
            status: None,
            price: Some(Decimal::new(1990, 2)),
            compare_at_price: None,
        }))
        .await
        .unwrap();
    let Record::Product(p) = priced else { panic!() };
    let v = p.variants.iter().find(|v| v.platform_id == sku).unwrap();
    assert_eq!(v.price.as_ref().unwrap().amount, Decimal::new(1990, 2));
    let stocked = adapter
        .write(&Write::new(WriteOp::SetInventory {
            product_id: Some(item.clone()),
            variant_id: Some(sku.clone()),
            sku: None,
            location_id: None,
            change: InventoryChange::Absolute(17),
        }))
        .await
        .unwrap();
    let Record::Product(p) = stocked else {
        panic!()
    };
    assert_eq!(
        p.variants
            .iter()
            .find(|v| v.platform_id == sku)
            .unwrap()
            .inventory_quantity,
        Some(17)
    );
    // A delta is not a Lazada write here, and ids that are not Lazada's never leave.
    let before = sim.requests();
    let delta = adapter
        .write(&Write::new(WriteOp::SetInventory {
            product_id: Some(item.clone()),
            variant_id: Some(sku.clone()),
            sku: None,
            location_id: None,
            change: InventoryChange::Delta(1),
        }))
        .await;
    assert!(matches!(delta, Err(Error::Unsupported { .. })), "{delta:?}");
    assert!(adapter.get(Entity::Product, "1&sign=x").await.is_err());
    assert_eq!(sim.requests(), before);
}

#[tokio::test]
async fn pushes_verify_with_the_app_secret() {
    let (server, sim) = sim(None).await;
    let adapter = LazadaAdapter::new(&store(&server, &[]), &AdapterContext::default()).unwrap();
    let body = r#"{"seller_id":"1","message_type":0,"data":{"order_status":"pending","trade_order_id":"260422900198363","trade_order_line_id":"260422900298363","status_update_time":1603698638},"timestamp":1603766859530,"site":"lazada_sg"}"#;
    let secret = server.info.credentials["app_secret"].clone();
    let mut headers = http::HeaderMap::new();
    headers.insert(
        http::header::AUTHORIZATION,
        sim.push(body, &secret).parse().unwrap(),
    );
    let event = adapter.verify_webhook(&headers, body.as_bytes()).unwrap();
    assert_eq!(event.platform_id.as_deref(), Some("260422900198363"));
    assert_eq!(
        event.meta.get("order_status").map(String::as_str),
        Some("pending")
    );
    let tampered = body.replace("pending", "canceled");
    assert!(
        adapter
            .verify_webhook(&headers, tampered.as_bytes())
            .is_err()
    );
}

#[tokio::test]
async fn the_category_tree_is_paged_from_its_one_answer() {
    let (server, sim) = sim(None).await;
    let adapter = LazadaAdapter::new(&store(&server, &[]), &AdapterContext::default()).unwrap();
    let all = collect_all(&adapter, ListQuery::new(Entity::Category).page_size(2))
        .await
        .unwrap();
    let mut got: Vec<String> = all.iter().map(|r| r.platform_id().to_owned()).collect();
    got.sort();
    let mut truth: Vec<String> = sim
        .store()
        .categories
        .iter()
        .map(|c| c.id.to_string())
        .collect();
    truth.sort();
    assert_eq!(got, truth);
    // Parents as the generated store has them.
    for r in &all {
        let Record::Category(c) = r else {
            panic!("not a category")
        };
        let parent = sim
            .store()
            .categories
            .iter()
            .find(|x| x.id.to_string() == c.platform_id)
            .and_then(|x| x.parent_id)
            .map(|p| p.to_string());
        assert_eq!(c.parent_id, parent, "category {}", c.platform_id);
    }
    assert_eq!(
        adapter
            .count(&ListQuery::new(Entity::Category))
            .await
            .unwrap(),
        truth.len() as u64
    );
    // No modification time: an incremental read is refused, not answered wrongly.
    let since = ListQuery::new(Entity::Category).updated_since(chrono::Utc::now());
    assert!(adapter.list(&since).await.is_err());
}

#[test]
fn normalize_reads_lazada_answers_and_refuses_its_errors() {
    use polycart_kit::StoreContext;
    use polycart_kit::connector::Normalized;
    let ctx = StoreContext::default();
    let err = polycart_lazada::mapping::normalize(
        Entity::Order,
        r#"{"type":"ISV","code":"IllegalAccessToken","message":"x","request_id":"1"}"#,
        &ctx,
    );
    assert!(err.is_err());
    let one = polycart_lazada::mapping::normalize(
        Entity::Order,
        r#"{"order":{"order_id":"7","statuses":["unpaid"]},"items":[]}"#,
        &ctx,
    )
    .unwrap();
    let Normalized::One(Record::Order(o)) = one else {
        panic!("one order")
    };
    assert_eq!(o.status, Some(OrderStatus::Pending));
    let empty = polycart_lazada::mapping::normalize(
        Entity::Product,
        r#"{"code":"0","data":{"total_products":0,"products":[]},"request_id":"1"}"#,
        &ctx,
    )
    .unwrap();
    assert!(matches!(empty, Normalized::List(ref v) if v.is_empty()));
}

#[tokio::test]
async fn a_token_known_to_lapse_is_refreshed_before_the_call() {
    let (server, sim) = sim(None).await;
    let mut config = store(&server, &[]);
    config
        .settings
        .insert("token_expires_at".into(), "2020-01-01T00:00:00Z".into());
    let adapter = LazadaAdapter::new(&config, &AdapterContext::default()).unwrap();
    let first = sim.refresh_token();
    let before = sim.requests();
    let page = adapter
        .list(&ListQuery::new(Entity::Product).page_size(5))
        .await
        .unwrap();
    assert_eq!(page.records.len(), 5);
    assert_ne!(sim.refresh_token(), first, "refreshed");
    // The refresh, then the call with the new token: nothing refused first.
    assert_eq!(sim.requests() - before, 2);
}

#[tokio::test]
async fn product_filters_select_as_lazada_documents() {
    use polycart_kit::sim::SimHandle;
    let (server, sim) = sim(None).await;
    let secret = server.info.credentials["app_secret"].clone();
    let gone = sim.store().products[0].id.to_string();
    sim.delete(Entity::Product, &gone).unwrap();
    let ids = |v: &Value| -> Vec<String> {
        v["data"]["products"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["item_id"].as_str().unwrap().to_owned())
            .collect()
    };
    let all = raw(
        &server,
        "/products/get",
        &[("filter", "all"), ("limit", "50")],
        &secret,
        now_ms(),
    )
    .await;
    assert!(!ids(&all).contains(&gone));
    let deleted = raw(
        &server,
        "/products/get",
        &[("filter", "deleted")],
        &secret,
        now_ms(),
    )
    .await;
    assert_eq!(ids(&deleted), vec![gone]);
    let missing = raw(&server, "/products/get", &[], &secret, now_ms()).await;
    assert_eq!(missing["code"], "InvalidParameter");
}

#[tokio::test]
async fn a_shipment_is_packed_then_made_ready_and_a_lost_answer_is_finished_by_sending_again() {
    use polycart_kit::ShipmentItem;
    use polycart_kit::sim::{Fault, SimFulfillment, SimHandle, Target};
    let (server, sim) = sim(None).await;
    let adapter = LazadaAdapter::new(&store(&server, &[]), &AdapterContext::default()).unwrap();
    let order = {
        let s = sim.store();
        let o = s
            .orders
            .iter()
            .find(|o| {
                o.state == SimOrderState::Open
                    && o.fulfillment == SimFulfillment::Unfulfilled
                    && o.total_quantity() >= 2
            })
            .expect("an open order of two units or more");
        o.id.to_string()
    };
    let ship = |line_items: Vec<ShipmentItem>, tracking: Option<&str>| {
        Write::new(WriteOp::CreateShipment {
            order_id: order.clone(),
            carrier: None,
            tracking_number: tracking.map(str::to_owned),
            tracking_url: None,
            line_items,
            notify_customer: false,
        })
    };
    let shipments = |r: &Record| {
        let Record::Order(o) = r else {
            panic!("not an order")
        };
        o.shipments.clone()
    };
    let Record::Order(before) = adapter.get(Entity::Order, &order).await.unwrap() else {
        panic!()
    };
    // A caller's tracking number is not Lazada's to take: refused before any request.
    let sent = sim.requests();
    let own = adapter.write(&ship(Vec::new(), Some("1Z999"))).await;
    assert!(matches!(own, Err(Error::Unsupported { .. })), "{own:?}");
    assert_eq!(sim.requests(), sent);

    // One unit: packed, made ready to ship, its tracking number Lazada's.
    let first = before.line_items[0].platform_id.clone();
    let one = adapter
        .write(&ship(
            vec![ShipmentItem {
                line_item_id: first.clone(),
                quantity: 1,
            }],
            None,
        ))
        .await
        .unwrap();
    let s = shipments(&one);
    assert_eq!(s.len(), 1, "{s:?}");
    assert_eq!(s[0].status.as_deref(), Some("ready_to_ship"));
    assert!(
        s[0].tracking_number
            .as_deref()
            .is_some_and(|t| !t.is_empty())
    );
    assert_eq!(s[0].line_items.len(), 1);
    assert_eq!(
        s[0].line_items[0].line_item_id.as_deref(),
        Some(first.as_str())
    );

    // The rest, with Pack's answer lost: packed on Lazada, the caller told it failed.
    sim.faults().arm(Fault::AnswerLost, 1, Target::Mutating);
    let lost = adapter.write(&ship(Vec::new(), None)).await;
    sim.faults().disarm();
    assert!(lost.is_err(), "{lost:?}");
    let packed = shipments(&adapter.get(Entity::Order, &order).await.unwrap());
    assert_eq!(packed.len(), 2, "packed once, not again: {packed:?}");
    assert!(packed.iter().any(|s| s.status.as_deref() == Some("packed")));

    // Sent again: nothing packed twice, the package left packed made ready to ship.
    let done = shipments(&adapter.write(&ship(Vec::new(), None)).await.unwrap());
    assert_eq!(done.len(), 2, "{done:?}");
    assert!(
        done.iter()
            .all(|s| s.status.as_deref() == Some("ready_to_ship"))
    );
    let units: usize = done.iter().map(|s| s.line_items.len()).sum();
    assert_eq!(units, before.line_items.len(), "every unit in one package");

    // Nothing left to do is said, not done.
    let again = adapter.write(&ship(Vec::new(), None)).await;
    assert!(matches!(again, Err(Error::Invalid { .. })), "{again:?}");
}
