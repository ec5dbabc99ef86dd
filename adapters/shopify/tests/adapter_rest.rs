//! The REST adapter against the simulator on a loopback port: the kit's conformance
//! checks, 429 recovery, and webhook signatures (writes: `tests/writes.rs`).

use polycart_kit::adapter::{ListQuery, WriteOp};
use polycart_kit::model::{Entity, Record};
use polycart_kit::sim::FaultSpec;
use polycart_kit::{Adapter, Write, conformance};
use polycart_shopify::ShopifyAdapter;
use polycart_shopify::sim::ShopifySim;

mod common;

use common::SIZE;

async fn start(plan: Option<&str>, faults: FaultSpec) -> (ShopifySim, ShopifyAdapter) {
    common::start("rest", plan, faults).await
}

fn adapter_for(sim: &ShopifySim, plan: Option<&str>, secret: &str) -> ShopifyAdapter {
    common::adapter_for(sim, "rest", plan, secret)
}

#[tokio::test]
async fn conformance_over_every_entity() {
    let (sim, adapter) = start(Some("plus"), FaultSpec::none()).await;
    let (orders, products, customers, categories, levels) = {
        let s = sim.state.store();
        let levels: usize = s
            .products
            .iter()
            .flat_map(|p| &p.variants)
            .map(|v| v.stock.len())
            .sum();
        (
            s.orders.len(),
            s.products.len(),
            s.customers.len(),
            s.categories.len(),
            levels,
        )
    };
    let listed = conformance::paginates_to_the_end(&adapter, Entity::Order, 7, orders).await;
    conformance::count_matches_listing(&adapter, Entity::Order, listed.len()).await;
    conformance::get_matches_list(&adapter, &listed[3]).await;
    conformance::resumes_from_cursor(&adapter, Entity::Order, 7).await;

    let products_listed =
        conformance::paginates_to_the_end(&adapter, Entity::Product, 4, products).await;
    conformance::count_matches_listing(&adapter, Entity::Product, products).await;
    conformance::get_matches_list(&adapter, &products_listed[0]).await;
    match &products_listed[0] {
        Record::Product(p) => assert!(
            p.price.is_some(),
            "REST product prices get the shop's currency"
        ),
        other => panic!("{other:?}"),
    }
    conformance::paginates_to_the_end(&adapter, Entity::Customer, 5, customers).await;
    conformance::count_matches_listing(&adapter, Entity::Customer, customers).await;

    let cats = conformance::paginates_to_the_end(&adapter, Entity::Category, 2, categories).await;
    conformance::count_matches_listing(&adapter, Entity::Category, categories).await;
    conformance::resumes_from_cursor(&adapter, Entity::Category, 2).await;
    conformance::get_matches_list(&adapter, cats.last().unwrap()).await;

    let inv = conformance::paginates_to_the_end(&adapter, Entity::Inventory, 9, levels).await;
    match &inv[0] {
        Record::Inventory(l) => {
            assert!(
                l.variant_id.is_some() && l.product_id.is_some(),
                "levels are joined to their variants: {l:?}"
            );
        }
        other => panic!("{other:?}"),
    }
    conformance::get_matches_list(&adapter, &inv[0]).await;
}

#[tokio::test]
async fn incremental_sync_sees_updates_and_resumes_after_restart() {
    let (sim, adapter) = start(Some("plus"), FaultSpec::none()).await;
    let now = chrono::Utc::now();
    let touched: Vec<String> = sim
        .state
        .store()
        .touch_some(5, 4, now)
        .into_iter()
        .map(|i| i.to_string())
        .collect();
    let since = now - chrono::Duration::seconds(2);
    let seen =
        conformance::incremental_sees_updates(&adapter, Entity::Order, since, &touched).await;
    assert!(
        seen.len() <= touched.len(),
        "only updated orders are read: {}",
        seen.len()
    );

    // A cursor kept as text resumes in a new adapter (a restart).
    let first = adapter
        .list(&ListQuery::new(Entity::Order).page_size(10))
        .await
        .unwrap();
    let stored = first.next.unwrap().as_str().to_owned();
    let restarted = adapter_for(&sim, Some("plus"), "x");
    let rest = polycart_kit::walk::collect_all(
        &restarted,
        ListQuery::new(Entity::Order)
            .page_size(10)
            .with_cursor(Some(polycart_kit::Cursor::new(stored))),
    )
    .await
    .unwrap();
    assert_eq!(first.records.len() + rest.len(), SIZE.orders);
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
async fn recovers_from_5xx_bursts() {
    // The first 2 of every 25 requests answer 503.
    let (_sim, adapter) = start(Some("plus"), FaultSpec::parse("burst=2/25").unwrap()).await;
    let all = polycart_kit::walk::collect_all(&adapter, ListQuery::new(Entity::Order).page_size(3))
        .await
        .unwrap();
    assert_eq!(all.len(), SIZE.orders);
    let m = adapter.transport().metrics().snapshot();
    assert!(m.retries >= 2, "{m:?}");
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

    let mut tampered = body.clone();
    tampered[10] ^= 1;
    conformance::rejects_bad_webhook_signature(&adapter, &headers, &tampered);
    let wrong_secret = adapter_for(&sim, None, "shpss_not_the_secret");
    conformance::rejects_bad_webhook_signature(&wrong_secret, &headers, &body);
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
