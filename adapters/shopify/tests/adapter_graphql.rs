//! The GraphQL adapter path's own quirks against the simulator (the kit's checks:
//! `tests/conformance.rs`): the shop's currency on prices, THROTTLED recovery, and the
//! same unified records as the REST path.

mod common;

use polycart_kit::Adapter;
use polycart_kit::adapter::ListQuery;
use polycart_kit::model::{Entity, Record};
use polycart_kit::sim::FaultSpec;
use serde_json::Value;

/// GraphQL variant prices carry no currency: the adapter takes the shop's (the rest of
/// reading, paging and incremental sync: `tests/conformance.rs`).
#[tokio::test]
async fn graphql_prices_get_the_shop_currency() {
    let (_sim, adapter) = common::start("graphql", Some("plus"), FaultSpec::none()).await;
    let products = polycart_kit::walk::collect_all(&adapter, ListQuery::new(Entity::Product))
        .await
        .unwrap();
    match &products[0] {
        Record::Product(p) => assert!(
            p.price.is_some(),
            "GraphQL variant prices get the shop's currency"
        ),
        other => panic!("{other:?}"),
    }
}

pub(crate) fn comparable(r: &Record) -> Value {
    let mut v = serde_json::to_value(r).unwrap();
    let o = v.as_object_mut().unwrap();
    // What differs by design: the payload itself, the platform's spelling of statuses
    // (REST `paid`, GraphQL `PAID`), and amounts only one API reports.
    // REST products carry no collections (those are in collects.json).
    for k in [
        "raw",
        "platform_financial_status",
        "platform_fulfillment_status",
        "discounts",
        "shipping_lines",
        "category_ids",
    ] {
        o.remove(k);
    }
    for totals in ["totals", "presentment_totals"] {
        if let Some(t) = o.get_mut(totals).and_then(Value::as_object_mut) {
            t.remove("paid");
            t.remove("refunded");
            t.remove("subtotal");
        }
    }
    v
}

#[tokio::test]
async fn both_apis_give_the_same_unified_records() {
    let (sim, gql) = common::start("graphql", Some("plus"), FaultSpec::none()).await;
    let rest = common::adapter_for(&sim, "rest", Some("plus"), "x");
    for entity in [
        Entity::Order,
        Entity::Product,
        Entity::Customer,
        Entity::Category,
    ] {
        let a = polycart_kit::walk::collect_all(&gql, ListQuery::new(entity))
            .await
            .unwrap();
        let b = polycart_kit::walk::collect_all(&rest, ListQuery::new(entity))
            .await
            .unwrap();
        let mut a: Vec<Value> = a.iter().map(comparable).collect();
        let mut b: Vec<Value> = b.iter().map(comparable).collect();
        let key = |v: &Value| v["platform_id"].as_str().unwrap().parse::<u64>().unwrap();
        a.sort_by_key(key);
        b.sort_by_key(key);
        assert_eq!(a.len(), b.len(), "{entity}");
        for (x, y) in a.iter().zip(&b) {
            assert_eq!(
                x, y,
                "{entity} {} differs between GraphQL and REST",
                x["platform_id"]
            );
        }
    }
}

#[tokio::test]
async fn waits_out_throttled_responses() {
    // Plus: 20 000 points restoring 1000/s. Another app leaves 100 of them.
    let (sim, adapter) = common::start("graphql", Some("plus"), FaultSpec::none()).await;
    sim.state.spend_query_points(19_900.0);
    let all =
        polycart_kit::walk::collect_all(&adapter, ListQuery::new(Entity::Product).page_size(250))
            .await
            .unwrap();
    assert_eq!(all.len(), common::SIZE.products);
    let m = adapter.transport().metrics().snapshot();
    assert!(
        m.retries >= 1,
        "the first query was THROTTLED and retried after the restore: {m:?}"
    );
}

#[tokio::test]
async fn the_governor_waits_for_points_instead_of_being_throttled_again() {
    // Plus: 20 000 points restoring 1000/s. Another app empties the bucket.
    let (sim, adapter) = common::start("graphql", Some("plus"), FaultSpec::none()).await;
    sim.state.spend_query_points(20_000.0);
    // One answer (throttled or not) tells the governor where the bucket stands.
    adapter.count(&ListQuery::new(Entity::Order)).await.unwrap();
    let before = adapter.transport().metrics().snapshot();
    let all = polycart_kit::walk::collect_all(&adapter, ListQuery::new(Entity::Order))
        .await
        .unwrap();
    assert_eq!(all.len(), common::SIZE.orders);
    let m = adapter.transport().metrics().snapshot();
    // Each page waits for its requested points to be restored instead of being sent
    // into a THROTTLED answer.
    assert_eq!(m.retries, before.retries, "no THROTTLED answer: {m:?}");
    assert!(m.governor_wait > before.governor_wait, "it waited: {m:?}");
}

#[tokio::test]
async fn long_orders_and_products_are_paged_to_the_last_line_and_variant() {
    let (sim, adapter) = common::start("graphql", Some("plus"), FaultSpec::none()).await;
    let (order_id, product_id) = {
        let mut s = sim.state.store();
        let order_id = s.orders[0].id;
        let product_id = s.products[0].id;
        for _ in 0..25 {
            let id = s.fresh_id();
            let o = s.order_mut(order_id).unwrap();
            let mut line = o.line_items[0].clone();
            line.id = id;
            o.line_items.push(line);
        }
        for n in 0..200 {
            let id = s.fresh_id();
            let p = s.product_mut(product_id).unwrap();
            let mut v = p.variants[0].clone();
            v.id = id;
            v.sku = format!("EXTRA-{n}");
            p.variants.push(v);
        }
        (order_id, product_id)
    };
    let lines = sim.state.store().orders[0].line_items.len();
    match adapter
        .get(Entity::Order, &order_id.to_string())
        .await
        .unwrap()
    {
        Record::Order(o) => assert_eq!(o.line_items.len(), lines),
        other => panic!("{other:?}"),
    }
    let variants = sim.state.store().products[0].variants.len();
    assert!(variants > 20 + 150, "three variant pages");
    match adapter
        .get(Entity::Product, &product_id.to_string())
        .await
        .unwrap()
    {
        Record::Product(p) => {
            assert_eq!(p.variants.len(), variants);
            assert!(
                p.variants
                    .iter()
                    .any(|v| v.sku.as_deref() == Some("EXTRA-199"))
            );
        }
        other => panic!("{other:?}"),
    }
}
