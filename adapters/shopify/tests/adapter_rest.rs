//! The REST adapter's own quirks against the simulator on a loopback port (the kit's
//! checks: `tests/conformance.rs`; writes: `tests/writes.rs`): the shop's currency and
//! joined inventory levels, the real bucket's 429, webhook details, the governor,
//! webhook registration, presentment currencies.

use polycart_kit::adapter::{ListQuery, WriteOp};
use polycart_kit::model::{Entity, Record};
use polycart_kit::sim::FaultSpec;
use polycart_kit::walk::collect_all;
use polycart_kit::{Adapter, Write, conformance};
use polycart_shopify::ShopifyAdapter;
use polycart_shopify::sim::ShopifySim;

mod common;

use common::SIZE;

async fn start(plan: Option<&str>, faults: FaultSpec) -> (ShopifySim, ShopifyAdapter) {
    common::start("rest", plan, faults).await
}

/// Shopify's REST quirks the conformance suite (`tests/conformance.rs`) does not see:
/// product prices carry no currency (the adapter takes the shop's), and inventory
/// levels name an inventory item, not a variant (the adapter joins them).
#[tokio::test]
async fn rest_prices_get_the_shop_currency_and_levels_their_variants() {
    let (_sim, adapter) = start(Some("plus"), FaultSpec::none()).await;
    let products = collect_all(&adapter, ListQuery::new(Entity::Product))
        .await
        .unwrap();
    match &products[0] {
        Record::Product(p) => assert!(
            p.price.is_some(),
            "REST product prices get the shop's currency"
        ),
        other => panic!("{other:?}"),
    }
    let levels = collect_all(&adapter, ListQuery::new(Entity::Inventory).page_size(9))
        .await
        .unwrap();
    for l in &levels {
        match l {
            Record::Inventory(l) => assert!(
                l.variant_id.is_some() && l.product_id.is_some(),
                "levels are joined to their variants: {l:?}"
            ),
            other => panic!("{other:?}"),
        }
    }
}

#[tokio::test]
async fn recovers_from_429() {
    let (sim, adapter) = start(None, FaultSpec::none()).await;
    // Another app filled the 40-call bucket: the adapter's first request meets a 429.
    sim.state.spend_rest_calls(40);
    let all = polycart_kit::walk::collect_all(&adapter, ListQuery::new(Entity::Order).page_size(3))
        .await
        .unwrap();
    assert_eq!(all.len(), SIZE.orders);
    let m = adapter.transport().metrics().snapshot();
    assert!(
        m.throttled_429 > 0,
        "the full bucket answered 429 and the adapter waited it out: {m:?}"
    );
}

#[tokio::test]
async fn webhooks_accept_good_signatures_and_refuse_bad_ones() {
    let (sim, adapter) = start(None, FaultSpec::none()).await;
    let order_id = sim.state.store().orders[0].id;
    let body = sim.state.order_webhook_body(order_id).unwrap();
    let headers = sim
        .state
        .webhook_headers("orders/updated", "sim.myshopify.com", &body);
    let event = adapter.verify_webhook(&headers, &body).unwrap();
    assert_eq!(event.kind, polycart_kit::WebhookKind::Updated);
    assert_eq!(event.entity, Some(Entity::Order));
    assert_eq!(event.platform_id, Some(order_id.to_string()));
    assert!(matches!(event.record, Some(Record::Order(_))));
    assert_eq!(
        event.meta.get("shop_domain").map(String::as_str),
        Some("sim.myshopify.com")
    );

    // A changed body and a wrong secret: the conformance suite.
    let mut missing = headers.clone();
    missing.remove("x-shopify-hmac-sha256");
    conformance::rejects_bad_webhook_signature(&adapter, &missing, &body);

    let uninstall = br#"{"id":548380009,"name":"Sim"}"#;
    let h = sim
        .state
        .webhook_headers("app/uninstalled", "sim.myshopify.com", uninstall);
    assert_eq!(
        adapter.verify_webhook(&h, uninstall).unwrap().kind,
        polycart_kit::WebhookKind::Uninstalled
    );
}

#[tokio::test]
async fn the_governor_keeps_a_long_sync_at_the_budget_edge_without_429s() {
    // 50+ requests against a 40-call bucket leaking 2/s: the governor paces them.
    let (_sim, adapter) = start(None, FaultSpec::none()).await;
    let mut listed = 0;
    for entity in [Entity::Order, Entity::Customer, Entity::Category] {
        listed += polycart_kit::walk::collect_all(&adapter, ListQuery::new(entity).page_size(1))
            .await
            .unwrap()
            .len();
    }
    let m = adapter.transport().metrics().snapshot();
    assert!(m.requests > 45, "{m:?}");
    assert_eq!(m.throttled_429, 0, "no 429 in steady state: {m:?}");
    assert!(listed > 45);
}

#[tokio::test]
async fn registered_webhooks_arrive_signed_and_verify() {
    let (sim, adapter) = start(Some("plus"), FaultSpec::none()).await;
    // A receiver standing in for polycart's /v1/hooks endpoint.
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(http::HeaderMap, Vec<u8>)>();
    let receiver = axum::Router::new().route(
        "/hooks",
        axum::routing::post(move |headers: http::HeaderMap, body: axum::body::Bytes| {
            let tx = tx.clone();
            async move {
                let _ = tx.send((headers, body.to_vec()));
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = format!("http://{}/hooks", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, receiver).await.unwrap() });

    let id = adapter
        .register_webhook("orders/updated", &address)
        .await
        .unwrap();
    assert!(matches!(
        adapter.register_webhook("orders/updated", &address).await,
        Err(polycart_kit::Error::Invalid { .. })
    ));
    assert_eq!(adapter.webhooks().await.unwrap().len(), 1);

    let order_id = sim.state.store().orders[1].id.to_string();
    adapter
        .write(&Write::new(WriteOp::AddOrderTags {
            order_id: order_id.clone(),
            tags: vec!["hooked".into()],
        }))
        .await
        .unwrap();
    let (headers, body) = tokio::time::timeout(std::time::Duration::from_secs(10), rx.recv())
        .await
        .unwrap()
        .unwrap();
    let event = adapter.verify_webhook(&headers, &body).unwrap();
    assert_eq!(event.topic, "orders/updated");
    assert_eq!(event.platform_id.as_deref(), Some(order_id.as_str()));
    match event.record {
        Some(Record::Order(o)) => assert!(o.tags.contains(&"hooked".to_owned())),
        other => panic!("{other:?}"),
    }

    adapter.unregister_webhook(&id).await.unwrap();
    assert!(adapter.webhooks().await.unwrap().is_empty());
}

/// Orders whose buyer paid in another currency: the simulator writes them as Shopify
/// does (`currency` the shop's, `presentment_currency` the buyer's, both amounts in
/// every `*_set`, refunds in the buyer's currency) and the adapter maps the buyer's
/// money to `presentment_totals`, the shop's staying in `totals`.
#[tokio::test]
async fn buyers_paying_in_another_currency_get_presentment_totals() {
    let (sim, adapter) = start(Some("plus"), FaultSpec::none()).await;
    let expected: Vec<(String, &'static str, String)> = sim
        .state
        .store()
        .orders
        .iter()
        .filter_map(|o| {
            let p = o.presentment?;
            Some((
                o.id.to_string(),
                p.currency,
                o.presented().total().round_dp(2).to_string(),
            ))
        })
        .collect();
    assert!(!expected.is_empty(), "the generated store has some");
    let all = polycart_kit::walk::collect_all(&adapter, ListQuery::new(Entity::Order))
        .await
        .unwrap();
    let mut seen = 0;
    for r in &all {
        let Record::Order(o) = r else { panic!("{r:?}") };
        let shop = o.currency.clone().unwrap();
        assert_eq!(o.totals.total.as_ref().unwrap().currency, shop);
        match expected.iter().find(|(id, _, _)| *id == o.platform_id) {
            Some((_, currency, total)) => {
                seen += 1;
                let p = o.presentment_currency.as_ref().unwrap();
                assert_eq!(p.as_str(), *currency);
                assert_ne!(*p, shop);
                let t = o.presentment_totals.as_ref().unwrap();
                let presented_total = t.total.as_ref().unwrap();
                assert_eq!(&presented_total.currency, p);
                assert_eq!(format!("{:.2}", presented_total.amount), *total);
                // What the buyer paid adds up in the buyer's currency.
                let parts = [&t.subtotal, &t.shipping, &t.tax]
                    .iter()
                    .map(|m| m.as_ref().unwrap().amount)
                    .sum::<rust_decimal::Decimal>();
                assert_eq!(parts, presented_total.amount, "{}", o.platform_id);
                let raw = o.raw.as_ref().unwrap().to_value();
                assert_eq!(raw["presentment_currency"], *currency);
                assert_eq!(raw["currency"], shop.as_str());
            }
            None => {
                assert_eq!(o.presentment_currency, None, "{}", o.platform_id);
                assert_eq!(o.presentment_totals, None);
            }
        }
    }
    assert_eq!(seen, expected.len());
}
