//! Writes through both Admin APIs against the simulator: every unified write read
//! back as Shopify has it afterwards (REST endpoints, GraphQL mutations), and writes
//! Shopify would repeat never sent twice after they may have reached it.

mod common;

use polycart_kit::adapter::{InventoryChange, ShipmentItem, WriteOp};
use polycart_kit::model::{OrderStatus, Record};
use polycart_kit::sim::FaultSpec;
use polycart_kit::{Adapter, Write};

/// An order with nothing shipped yet that can still be fulfilled.
fn unshipped_order(s: &polycart_kit::sim::SimStore) -> &polycart_kit::sim::SimOrder {
    s.orders
        .iter()
        .find(|o| o.shipments.is_empty() && o.state != polycart_kit::sim::SimOrderState::Cancelled)
        .expect("the generated store has an unshipped order")
}

/// Every unified write, through `api`, read back as Shopify then has it.
async fn writes_round_trip(api: &str) {
    let (sim, adapter) = common::start(api, Some("plus"), FaultSpec::none()).await;
    let (product_id, variant_id, order_id, line) = {
        let s = sim.state.store();
        let p = s.products.iter().find(|p| p.variants.len() > 1).unwrap();
        let o = unshipped_order(&s);
        (
            p.id.to_string(),
            p.variants[1].id.to_string(),
            o.id.to_string(),
            o.line_items[0].clone(),
        )
    };
    let price = "12.34".parse().unwrap();
    let r = adapter
        .write(&Write::new(WriteOp::UpdateProduct {
            product_id: product_id.clone(),
            variant_id: Some(variant_id.clone()),
            title: Some("Renamed Ünicode".to_owned()),
            status: None,
            price: Some(price),
            compare_at_price: None,
        }))
        .await
        .unwrap();
    let Record::Product(p) = r else { panic!() };
    assert_eq!(p.name.as_deref(), Some("Renamed Ünicode"));
    assert_eq!(
        p.variants
            .iter()
            .find(|v| v.platform_id == variant_id)
            .unwrap()
            .price
            .as_ref()
            .unwrap()
            .amount,
        price
    );

    let set = adapter
        .write(&Write::new(WriteOp::SetInventory {
            product_id: None,
            variant_id: Some(variant_id.clone()),
            sku: None,
            location_id: None,
            change: InventoryChange::Absolute(17),
        }))
        .await
        .unwrap();
    let Record::Inventory(l) = set else { panic!() };
    assert_eq!(l.available, Some(17));
    assert_eq!(l.variant_id.as_deref(), Some(variant_id.as_str()));
    let adjusted = adapter
        .write(&Write::new(WriteOp::SetInventory {
            product_id: None,
            variant_id: Some(variant_id.clone()),
            sku: None,
            location_id: l.location_id.clone(),
            change: InventoryChange::Delta(-2),
        }))
        .await
        .unwrap();
    let Record::Inventory(l) = adjusted else {
        panic!()
    };
    assert_eq!(l.available, Some(15));

    // By SKU too, and a product's status.
    let sku = sim.state.store().products[0].variants[0].sku.clone();
    let by_sku = adapter
        .write(&Write::new(WriteOp::SetInventory {
            product_id: None,
            variant_id: None,
            sku: Some(sku),
            location_id: None,
            change: InventoryChange::Absolute(3),
        }))
        .await
        .unwrap();
    let Record::Inventory(l) = by_sku else {
        panic!()
    };
    assert_eq!(l.available, Some(3));
    let drafted = adapter
        .write(&Write::new(WriteOp::UpdateProduct {
            product_id: product_id.clone(),
            variant_id: None,
            title: None,
            status: Some(polycart_kit::model::ProductStatus::Draft),
            price: None,
            compare_at_price: None,
        }))
        .await
        .unwrap();
    let Record::Product(p) = drafted else {
        panic!()
    };
    assert_eq!(p.status, Some(polycart_kit::model::ProductStatus::Draft));

    let noted = adapter
        .write(&Write::new(WriteOp::AddOrderNote {
            order_id: order_id.clone(),
            note: "packed by polycart".into(),
        }))
        .await
        .unwrap();
    let Record::Order(o) = noted else { panic!() };
    assert!(
        o.note
            .as_deref()
            .is_some_and(|n| n.ends_with("packed by polycart")),
        "{:?}",
        o.note
    );

    let tagged = adapter
        .write(&Write::new(WriteOp::AddOrderTags {
            order_id: order_id.clone(),
            tags: vec!["polycart".into()],
        }))
        .await
        .unwrap();
    let Record::Order(o) = tagged else { panic!() };
    assert!(o.tags.contains(&"polycart".to_owned()));

    let shipped = adapter
        .write(&Write::new(WriteOp::CreateShipment {
            order_id: order_id.clone(),
            carrier: Some("UPS".into()),
            tracking_number: Some("1Z999".into()),
            tracking_url: None,
            line_items: vec![ShipmentItem {
                line_item_id: line.id.to_string(),
                quantity: 1,
            }],
            notify_customer: false,
        }))
        .await
        .unwrap();
    let Record::Order(o) = shipped else { panic!() };
    let s = o
        .shipments
        .iter()
        .find(|s| s.tracking_number.as_deref() == Some("1Z999"))
        .expect("the shipment is on the order");
    assert_eq!(s.carrier.as_deref(), Some("UPS"));

    // Shopify will not cancel an order with fulfillments: a typed refusal either way
    // (a 422 over REST, `userErrors` over GraphQL).
    let refused = adapter
        .write(&Write::new(WriteOp::UpdateOrderStatus {
            order_id: order_id.clone(),
            status: OrderStatus::Cancelled,
            note: None,
        }))
        .await;
    assert!(
        matches!(refused, Err(polycart_kit::Error::Invalid { .. })),
        "{refused:?}"
    );

    let closed = adapter
        .write(&Write::new(WriteOp::UpdateOrderStatus {
            order_id: order_id.clone(),
            status: OrderStatus::Completed,
            note: None,
        }))
        .await
        .unwrap();
    let Record::Order(o) = closed else { panic!() };
    assert_eq!(o.platform_status.as_deref(), Some("closed"));
    assert!(o.completed_at.is_some());
}

/// Through `api`: a fulfillment that met a 503 is not sent again; a set level is.
async fn writes_shopify_would_repeat_are_never_retried_blindly(api: &str) {
    // Every other request answers 503: the first of each pair fails.
    let faults = FaultSpec::parse("burst=1/2").unwrap();
    let (sim, adapter) = common::start(api, Some("plus"), faults.clone()).await;
    let (order_id, fulfillments) = {
        let s = sim.state.store();
        let o = unshipped_order(&s);
        (o.id, o.shipments.len())
    };
    // Reading the fulfillment orders fails once and is retried; creating the
    // fulfillment then meets a 503: it may have shipped, so it is not sent again.
    let result = adapter
        .write(&Write::new(WriteOp::CreateShipment {
            order_id: order_id.to_string(),
            carrier: Some("UPS".into()),
            tracking_number: Some("1Z1".into()),
            tracking_url: None,
            line_items: Vec::new(),
            notify_customer: false,
        }))
        .await;
    assert!(
        matches!(
            result,
            Err(polycart_kit::Error::Platform { status: 503, .. })
        ),
        "{result:?}"
    );
    let m = adapter.transport().metrics().snapshot();
    assert_eq!(m.requests, 3, "GET, its retry, one POST: {m:?}");
    assert_eq!(m.retries, 1, "{m:?}");
    assert_eq!(
        sim.state
            .store()
            .order_mut(order_id)
            .unwrap()
            .shipments
            .len(),
        fulfillments
    );

    // An absolute inventory level is safe to send again: retried through the 503.
    let (sim, adapter) = common::start(api, Some("plus"), faults).await;
    let (variant, location) = {
        let s = sim.state.store();
        let v = &s.products[0].variants[0];
        (v.id.to_string(), v.stock[0].0.to_string())
    };
    let set = adapter
        .write(&Write::new(WriteOp::SetInventory {
            product_id: None,
            variant_id: Some(variant),
            sku: None,
            location_id: Some(location),
            change: InventoryChange::Absolute(5),
        }))
        .await
        .unwrap();
    let Record::Inventory(l) = set else { panic!() };
    assert_eq!(l.available, Some(5));
    assert!(adapter.transport().metrics().snapshot().retries >= 2);
}

#[tokio::test]
async fn writes_round_trip_over_rest() {
    writes_round_trip("rest").await;
}

#[tokio::test]
async fn writes_round_trip_over_graphql() {
    writes_round_trip("graphql").await;
}

#[tokio::test]
async fn no_blind_retries_over_rest() {
    writes_shopify_would_repeat_are_never_retried_blindly("rest").await;
}

#[tokio::test]
async fn no_blind_retries_over_graphql() {
    writes_shopify_would_repeat_are_never_retried_blindly("graphql").await;
}
