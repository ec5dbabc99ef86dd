//! The adapter against its simulator (until the kit's conformance suite lands): every
//! order and product listed exactly once, a product changed mid-pass still read,
//! incremental passes, counts, get by `id` and by `internalId`, the store currency
//! from the profile, writes read back, a delta never retried blindly, limits and
//! signed webhooks.

use std::collections::{BTreeMap, HashSet};
use std::net::SocketAddr;

use chrono::{Duration, Utc};
use http::HeaderMap;
use polycart_ecwid::EcwidAdapter;
use polycart_ecwid::sim::{EcwidSim, start};
use polycart_kit::connector::{AdapterContext, StoreConfig};
use polycart_kit::model::{OrderStatus, Record};
use polycart_kit::sim::{SimOptions, SimServer, StoreSize};
use polycart_kit::walk::collect_all;
use polycart_kit::{Adapter, Entity, InventoryChange, ListQuery, Secret, Write, WriteOp};
use rust_decimal::Decimal;

fn local() -> SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

async fn setup() -> (SimServer, EcwidSim, EcwidAdapter) {
    let options = SimOptions {
        seed: 3,
        size: StoreSize {
            products: 25,
            customers: 10,
            orders: 130,
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
    let store = StoreConfig {
        store_id: "s1".into(),
        base_url: server.info.base_url.parse().unwrap(),
        credentials,
        settings: BTreeMap::new(),
    };
    let adapter = EcwidAdapter::new(&store, &AdapterContext::default()).unwrap();
    (server, sim, adapter)
}

fn ids(records: &[Record]) -> Vec<String> {
    records.iter().map(|r| r.platform_id().to_owned()).collect()
}

#[tokio::test]
async fn lists_every_record_once_with_the_store_currency() {
    let (_server, sim, adapter) = setup().await;
    let orders = collect_all(&adapter, ListQuery::new(Entity::Order).page_size(40))
        .await
        .unwrap();
    let got: HashSet<String> = ids(&orders).into_iter().collect();
    assert_eq!(got.len(), orders.len(), "an order listed twice");
    let truth: HashSet<String> = sim
        .store()
        .orders
        .iter()
        .filter(|o| !o.deleted)
        .map(polycart_ecwid::sim::order_id)
        .collect();
    assert_eq!(got, truth);
    let currency = sim.store().currency.to_owned();
    let Record::Order(o) = &orders[0] else {
        panic!("not an order")
    };
    assert_eq!(
        o.currency.as_ref().map(|c| c.as_str().to_owned()),
        Some(currency)
    );
    assert!(o.totals.total.is_some());

    let products = collect_all(&adapter, ListQuery::new(Entity::Product).page_size(7))
        .await
        .unwrap();
    let got: HashSet<String> = ids(&products).into_iter().collect();
    assert_eq!(got.len(), products.len(), "a product listed twice");
    let truth: HashSet<String> = sim
        .store()
        .products
        .iter()
        .filter(|p| !p.deleted)
        .map(|p| p.id.to_string())
        .collect();
    assert_eq!(got, truth);
    let with_variants = products
        .iter()
        .any(|r| matches!(r, Record::Product(p) if p.variants.len() > 1));
    assert!(with_variants, "combinations become variants");
    assert_eq!(
        adapter.count(&ListQuery::new(Entity::Order)).await.unwrap(),
        truth_orders(&sim)
    );
}

fn truth_orders(sim: &EcwidSim) -> u64 {
    sim.store().orders.iter().filter(|o| !o.deleted).count() as u64
}

#[tokio::test]
async fn a_product_changed_mid_pass_is_still_read() {
    let (_server, sim, adapter) = setup().await;
    // Every product in one second: the keyset reads that second by offset.
    let t = Utc::now() - Duration::hours(1);
    for p in sim.store().products.iter_mut() {
        p.updated_at = t;
    }
    let first = adapter
        .list(&ListQuery::new(Entity::Product).page_size(5))
        .await
        .unwrap();
    let seen: HashSet<String> = ids(&first.records).into_iter().collect();
    // A product not read yet changes: it moves to a later second.
    let unseen = sim
        .store()
        .products
        .iter()
        .map(|p| p.id.to_string())
        .find(|id| !seen.contains(id))
        .unwrap();
    sim.store()
        .products
        .iter_mut()
        .find(|p| p.id.to_string() == unseen)
        .unwrap()
        .updated_at = Utc::now();
    let mut all: Vec<Record> = first.records;
    let mut query = ListQuery::new(Entity::Product)
        .page_size(5)
        .with_cursor(first.next);
    while query.cursor.is_some() {
        let page = adapter.list(&query).await.unwrap();
        all.extend(page.records);
        query = query.with_cursor(page.next);
    }
    let got: HashSet<String> = ids(&all).into_iter().collect();
    assert!(got.contains(&unseen), "the changed product was skipped");
    assert_eq!(got.len(), sim.store().products.len());
}

#[tokio::test]
async fn incremental_get_and_writes() {
    let (_server, sim, adapter) = setup().await;
    let since = Utc::now() - Duration::seconds(5);
    let (order_id, internal) = {
        let mut s = sim.store();
        let o = &mut s.orders[3];
        o.updated_at = Utc::now();
        (polycart_ecwid::sim::order_id(o), o.id.to_string())
    };
    let changed = collect_all(&adapter, ListQuery::new(Entity::Order).updated_since(since))
        .await
        .unwrap();
    assert_eq!(ids(&changed), vec![order_id.clone()]);
    assert_eq!(
        adapter
            .get(Entity::Order, &internal)
            .await
            .unwrap()
            .platform_id(),
        order_id
    );

    let shipped = adapter
        .write(&Write::new(WriteOp::CreateShipment {
            order_id: order_id.clone(),
            carrier: Some("UPS".into()),
            tracking_number: Some("1Z999".into()),
            tracking_url: None,
            line_items: Vec::new(),
            notify_customer: false,
        }))
        .await
        .unwrap();
    let Record::Order(o) = shipped else { panic!() };
    assert_eq!(o.platform_fulfillment_status.as_deref(), Some("SHIPPED"));
    assert_eq!(o.shipments[0].tracking_number.as_deref(), Some("1Z999"));
    let cancelled = adapter
        .write(&Write::new(WriteOp::UpdateOrderStatus {
            order_id,
            status: OrderStatus::Cancelled,
            note: None,
        }))
        .await
        .unwrap();
    let Record::Order(o) = cancelled else {
        panic!()
    };
    assert_eq!(o.status, Some(OrderStatus::Cancelled));

    let (pid, vid, stock) = {
        let s = sim.store();
        let p = s.products.iter().find(|p| p.variants.len() > 1).unwrap();
        (
            p.id.to_string(),
            p.variants[1].id.to_string(),
            p.variants[1].total_stock(),
        )
    };
    let priced = adapter
        .write(&Write::new(WriteOp::UpdateProduct {
            product_id: pid.clone(),
            variant_id: Some(vid.clone()),
            title: None,
            status: None,
            price: Some(Decimal::new(1999, 2)),
            compare_at_price: None,
        }))
        .await
        .unwrap();
    let Record::Product(p) = priced else { panic!() };
    let v = p.variants.iter().find(|v| v.platform_id == vid).unwrap();
    assert_eq!(v.price.as_ref().unwrap().amount, Decimal::new(1999, 2));
    let adjusted = adapter
        .write(&Write::new(WriteOp::SetInventory {
            product_id: Some(pid.clone()),
            variant_id: Some(vid.clone()),
            sku: None,
            location_id: None,
            change: InventoryChange::Delta(-2),
        }))
        .await
        .unwrap();
    let Record::Product(p) = adjusted else {
        panic!()
    };
    let v = p.variants.iter().find(|v| v.platform_id == vid).unwrap();
    assert_eq!(v.inventory_quantity, Some(stock - 2));
    // Ids that are not Ecwid's never reach it.
    let before = _server.requests();
    let bad = adapter.get(Entity::Product, "../profile").await;
    assert!(bad.is_err());
    assert_eq!(_server.requests(), before);
}

#[tokio::test]
async fn webhooks_verify_as_signed() {
    let (_server, sim, adapter) = setup().await;
    let (body, signature) = sim.webhook(
        "order.updated",
        42,
        serde_json::json!({"orderId": "S42X"}),
        1_700_000_000,
    );
    let mut headers = HeaderMap::new();
    headers.insert("x-ecwid-webhook-signature", signature.parse().unwrap());
    let event = adapter.verify_webhook(&headers, body.as_bytes()).unwrap();
    assert_eq!(event.platform_id.as_deref(), Some("S42X"));
    headers.insert("x-ecwid-webhook-signature", "AAAA".parse().unwrap());
    assert!(adapter.verify_webhook(&headers, body.as_bytes()).is_err());
}

#[tokio::test]
async fn bad_tokens_big_pages_and_floods_are_refused() {
    let (server, _sim, _adapter) = setup().await;
    let token = server.info.credentials["secret_token"].clone();
    let (status, body) = raw(&server, "orders", "secret_wrong").await;
    assert_eq!(status, 403);
    assert!(body.contains("errorMessage"));
    let (status, body) = raw(&server, "orders?limit=101", &token).await;
    assert_eq!((status, body.contains("Limit must be <= 100")), (400, true));
    // 600 requests a minute per token, then 429 with Retry-After.
    let mut last = 0;
    for _ in 0..600 {
        last = raw(&server, "profile", &token).await.0;
        if last == 429 {
            break;
        }
    }
    assert_eq!(last, 429);
}

/// A raw request through the kit's HTTP client.
async fn raw(server: &SimServer, path: &str, token: &str) -> (u16, String) {
    let url = format!("{}/{path}", server.info.base_url);
    let r = polycart_kit::transport::shared_client()
        .get(url)
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    if r.status().as_u16() == 429 {
        assert!(r.headers().get("retry-after").is_some());
    }
    (r.status().as_u16(), r.text().await.unwrap())
}
