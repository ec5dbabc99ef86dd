//! Reading v2 orders efficiently and completely: line items and shipping addresses come
//! with the listing (`include=consignments.line_items`), a consignment BigCommerce cut
//! at 50 lines falls back to `/products`, consignments and sub-resources map alike, and
//! a record changed while a pass pages (orders, products, customers) skips nothing.

mod common;

use std::collections::BTreeSet;

use chrono::{SubsecRound, Utc};
use common::{SIZE, order_of, raw_get, setup};
use polycart_bigcommerce::mapping;
use polycart_kit::StoreContext;
use polycart_kit::sim::SimLineItem;
use polycart_kit::{Adapter, Entity, ListQuery, Record, walk};
use serde_json::Value;

#[tokio::test]
async fn lines_and_addresses_come_with_the_listing() {
    let s = setup().await;
    let a = &s.adapter;
    let page = a.list(&ListQuery::new(Entity::Order)).await.unwrap();
    assert_eq!(page.records.len(), SIZE.orders);
    assert!(page.next.is_none(), "23 orders fit one page of 250");
    let per_order: u64 = s.handle.with_store(|st| {
        st.orders
            .iter()
            .map(|o| {
                u64::from(!o.discount_codes.is_empty())
                    + u64::from(!o.shipments.is_empty())
                    + u64::from(!o.refunds.is_empty())
            })
            .sum()
    });
    // One list request, one /v2/store, and per order only what v2 cannot include.
    let sent = a.transport().metrics().snapshot().requests;
    assert_eq!(sent, 2 + per_order, "requests for one page of orders");
    // The lines themselves are checked against the store in `tests/sim.rs`.
    for record in page.records {
        let o = order_of(record);
        assert!(!o.line_items.is_empty(), "order {}", o.platform_id);
        assert_eq!(o.shipping_lines.len(), 1, "order {}", o.platform_id);
        assert!(o.shipping_address.is_some(), "order {}", o.platform_id);
    }
}

#[tokio::test]
async fn a_consignment_cut_at_50_lines_reads_the_products() {
    let s = setup().await;
    let id = s.handle.with_store(|st| {
        let template = st.orders[3].line_items[0].clone();
        let ids: Vec<u64> = (0..60).map(|_| st.fresh_id()).collect();
        let o = &mut st.orders[3];
        o.line_items = ids
            .into_iter()
            .map(|id| SimLineItem {
                id,
                quantity: 1,
                ..template.clone()
            })
            .collect();
        o.id
    });
    let (_, raw) = raw_get(
        &s,
        &format!("/v2/orders/{id}?include=consignments.line_items&consignment_structure=object"),
    )
    .await;
    let shipping = &raw["consignments"]["shipping"][0];
    assert_eq!(shipping["line_items"].as_array().unwrap().len(), 50);
    assert!(shipping["__warning__"]["message"].is_string(), "{shipping}");

    let order = order_of(s.adapter.get(Entity::Order, &id.to_string()).await.unwrap());
    assert_eq!(order.line_items.len(), 60, "all lines, from /products");
    let listed = walk::collect_all(&s.adapter, ListQuery::new(Entity::Order))
        .await
        .unwrap();
    let from_list = listed
        .into_iter()
        .map(order_of)
        .find(|o| o.platform_id == id.to_string())
        .unwrap();
    assert_eq!(from_list.line_items, order.line_items);
}

#[tokio::test]
async fn consignments_and_sub_resources_map_alike() {
    let s = setup().await;
    let ctx = StoreContext::default();
    let ids: Vec<u64> = s
        .handle
        .with_store(|st| st.orders.iter().map(|o| o.id).collect());
    for id in ids {
        let (_, with) = raw_get(
            &s,
            &format!(
                "/v2/orders/{id}?include=consignments.line_items&consignment_structure=object"
            ),
        )
        .await;
        let (_, mut plain) = raw_get(&s, &format!("/v2/orders/{id}")).await;
        let (_, products) = raw_get(&s, &format!("/v2/orders/{id}/products")).await;
        let (_, addresses) = raw_get(&s, &format!("/v2/orders/{id}/shipping_addresses")).await;
        plain["products"] = products;
        plain["shipping_addresses"] = addresses;
        let a = mapping::order(&with.to_string(), &ctx).unwrap();
        let b = mapping::order(&plain.to_string(), &ctx).unwrap();
        assert_eq!(a.line_items, b.line_items, "order {id}");
        assert_eq!(a.shipping_address, b.shipping_address, "order {id}");
        let price = |o: &polycart_kit::model::Order| {
            o.shipping_lines
                .iter()
                .map(|l| (l.method.clone(), l.price.as_ref().map(|p| p.amount)))
                .collect::<Vec<_>>()
        };
        assert_eq!(price(&a), price(&b), "order {id}");
    }
    // Without `consignment_structure=object` the legacy array holds the same object.
    let (_, legacy) = raw_get(&s, "/v2/orders?include=consignments&limit=1").await;
    let consignment = &legacy[0]["consignments"][0]["shipping"][0];
    let link = consignment["line_items"][0]["url"].as_str().unwrap();
    assert!(link.contains("/products/"), "{link}");
}

/// Lists `entity` in pages of 5; after the first page, changes the second record it
/// returned (so it moves to the end of a listing by date modified); reads on from the
/// stored cursor. Every record must be read.
async fn change_during_pass(entity: Entity, query: ListQuery) {
    let s = setup().await;
    let a = &s.adapter;
    let first = a.list(&query.clone().page_size(5)).await.unwrap();
    let changed = first.records[1].platform_id().to_owned();
    let id: u64 = changed.parse().unwrap();
    let now = Utc::now().trunc_subsecs(0);
    s.handle.with_store(|st| match entity {
        Entity::Order => st.order_mut(id).unwrap().updated_at = now,
        Entity::Product => st.product_mut(id).unwrap().updated_at = now,
        _ => {
            st.customers
                .iter_mut()
                .find(|c| c.id == id)
                .unwrap()
                .updated_at = now
        }
    });
    let rest = walk::collect_all(a, query.page_size(5).with_cursor(first.next.clone()))
        .await
        .unwrap();
    let seen: BTreeSet<String> = first
        .records
        .iter()
        .chain(&rest)
        .map(|r| r.platform_id().to_owned())
        .collect();
    let all: BTreeSet<String> = s.handle.with_store(|st| match entity {
        Entity::Order => st.orders.iter().map(|o| o.id.to_string()).collect(),
        Entity::Product => st.products.iter().map(|p| p.id.to_string()).collect(),
        _ => st.customers.iter().map(|c| c.id.to_string()).collect(),
    });
    assert_eq!(
        seen, all,
        "{entity}: a record changed mid-pass made the listing skip"
    );
    let again: Vec<&Record> = rest.iter().filter(|r| r.platform_id() == changed).collect();
    assert_eq!(
        again.len(),
        1,
        "{entity}: the changed record is read again, once"
    );
    assert_eq!(again[0].updated_at(), Some(now));
}

#[tokio::test]
async fn a_record_changed_while_a_pass_pages_skips_nothing() {
    for entity in [Entity::Order, Entity::Product, Entity::Customer] {
        change_during_pass(entity, ListQuery::new(entity)).await;
        let since = Utc::now() - chrono::Duration::days(3650);
        change_during_pass(entity, ListQuery::new(entity).updated_since(since)).await;
    }
}

#[tokio::test]
async fn a_listing_with_nothing_to_list_is_an_empty_204() {
    let s = setup().await;
    let future = Utc::now() + chrono::Duration::days(1);
    let page = s
        .adapter
        .list(&ListQuery::new(Entity::Order).updated_since(future))
        .await
        .unwrap();
    assert!(page.records.is_empty() && page.next.is_none());
    let rfc2822 = future.format("%a, %d %b %Y %H:%M:%S +0000").to_string();
    let (status, body) = raw_get(
        &s,
        &format!(
            "/v2/orders?min_date_modified={}",
            rfc2822
                .replace(' ', "%20")
                .replace('+', "%2B")
                .replace(',', "%2C")
                .replace(':', "%3A")
        ),
    )
    .await;
    assert_eq!((status, body), (204, Value::Null));
}

/// Sets every record of `entity` to one second, lists it in pages of 4, and after the
/// third page changes the first record returned to a later second: the case a page
/// number within a second skipped. Every record is read, the changed one again.
async fn change_inside_a_crowded_second(entity: Entity) {
    let s = setup().await;
    let a = &s.adapter;
    let at = Utc::now().trunc_subsecs(0) - chrono::Duration::seconds(30);
    let set = |id: Option<u64>, t| {
        s.handle.with_store(|st| match entity {
            Entity::Order => st
                .orders
                .iter_mut()
                .filter(|o| id.is_none_or(|i| o.id == i))
                .for_each(|o| o.updated_at = t),
            Entity::Product => st
                .products
                .iter_mut()
                .filter(|p| id.is_none_or(|i| p.id == i))
                .for_each(|p| p.updated_at = t),
            _ => st
                .customers
                .iter_mut()
                .filter(|c| id.is_none_or(|i| c.id == i))
                .for_each(|c| c.updated_at = t),
        })
    };
    set(None, at);
    let query = ListQuery::new(entity).page_size(4);
    let mut page = a.list(&query).await.unwrap();
    let changed: u64 = page.records[0].platform_id().parse().unwrap();
    let mut read: Vec<String> = Vec::new();
    for n in 0.. {
        read.extend(page.records.iter().map(|r| r.platform_id().to_owned()));
        if n == 2 {
            set(Some(changed), at + chrono::Duration::seconds(5));
        }
        let Some(next) = page.next else { break };
        page = a
            .list(&query.clone().with_cursor(Some(next)))
            .await
            .unwrap();
    }
    let all: BTreeSet<String> = s.handle.with_store(|st| match entity {
        Entity::Order => st.orders.iter().map(|o| o.id.to_string()).collect(),
        Entity::Product => st.products.iter().map(|p| p.id.to_string()).collect(),
        _ => st.customers.iter().map(|c| c.id.to_string()).collect(),
    });
    assert_eq!(
        read.iter().cloned().collect::<BTreeSet<_>>(),
        all,
        "{entity}"
    );
    assert!(
        read.iter().filter(|id| **id == changed.to_string()).count() >= 2,
        "{entity}: the changed record is read again"
    );
}

#[tokio::test]
async fn a_record_changed_inside_a_crowded_second_skips_nothing() {
    for entity in [Entity::Order, Entity::Product, Entity::Customer] {
        change_inside_a_crowded_second(entity).await;
    }
}
