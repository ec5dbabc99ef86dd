//! The kit's conformance suite against the Magento simulator, with each of the three
//! credential sets: paging to the end (the keyset by `updated_at` then `entity_id`, and
//! MSI source items by page number past which Magento repeats its last page), resuming
//! from a stored cursor, counts, reads by id, incremental reads, and refusing a badly
//! signed webhook. The calls to the kit's suite are all in [`suite`].

mod common;

use common::{Login, adapter, sim};
use polycart_kit::{Adapter, Entity, conformance};
use polycart_magento::sim::MagentoSim;

/// Every conformance check for one adapter of `sim`'s store (`msi`: stock from source
/// items, else from the products' legacy stock items).
async fn suite(a: &dyn Adapter, sim: &MagentoSim, msi: bool) {
    let [orders, products, customers, categories, sources] = sim.counts();
    let stock = if msi { sources } else { sim.stocked_products() };
    for (entity, n) in [
        (Entity::Order, orders),
        (Entity::Product, products),
        (Entity::Customer, customers),
        (Entity::Category, categories),
        (Entity::Inventory, stock),
    ] {
        assert!(n > 4, "{entity}: {n} records do not page by 4");
        let records = conformance::paginates_to_the_end(a, entity, 4, n).await;
        conformance::count_matches_listing(a, entity, n).await;
        conformance::get_matches_list(a, &records[n / 2]).await;
        conformance::resumes_from_cursor(a, entity, 4).await;
    }

    // Changes made now are read back; nothing older is.
    let ids = sim.ids("orders");
    let touched: Vec<String> = sim
        .touch("orders", &ids[2..5], "2031-05-05 10:00:00")
        .iter()
        .map(u64::to_string)
        .collect();
    assert_eq!(touched.len(), 3);
    let since = chrono::DateTime::parse_from_rfc3339("2031-05-05T10:00:00Z")
        .unwrap()
        .with_timezone(&chrono::Utc);
    let seen = conformance::incremental_sees_updates(a, Entity::Order, since, &touched).await;
    assert_eq!(seen.len(), 3, "only the touched orders are that new");

    let mut headers = http::HeaderMap::new();
    let body =
        br#"{"eventName":"observer.sales_order_save_after","data":{"order":{"entity_id":1}}}"#;
    headers.insert(
        "x-adobe-commerce-webhook-signature",
        MagentoSim::sign(b"{}").parse().unwrap(),
    );
    conformance::rejects_bad_webhook_signature(a, &headers, body);
    headers.remove("x-adobe-commerce-webhook-signature");
    conformance::rejects_bad_webhook_signature(a, &headers, body);
}

#[tokio::test]
async fn admin_token() {
    let s = sim("default").await;
    suite(&adapter(&s, Login::Admin, &[]), &s, true).await;
    assert_eq!(s.logins(), 1, "one admin login serves the whole pass");
}

#[tokio::test]
async fn integration_bearer_token() {
    let s = sim("default").await;
    suite(&adapter(&s, Login::Bearer, &[]), &s, true).await;
    assert_eq!(s.logins(), 0);
}

#[tokio::test]
async fn oauth1_signed_integration() {
    let s = sim("no-bearer").await;
    suite(&adapter(&s, Login::OAuth1, &[]), &s, true).await;
}

#[tokio::test]
async fn legacy_stock_items() {
    let s = sim("default").await;
    suite(
        &adapter(&s, Login::Bearer, &[("inventory", "legacy")]),
        &s,
        false,
    )
    .await;
}
