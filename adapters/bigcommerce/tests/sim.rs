//! The adapter's own quirks against its simulator (the kit's checks:
//! `tests/conformance.rs`): writes as incremental changes, v2's empty-page end, the quota's headers, exhaustion and reset, writes (prices, stock, order status,
//! shipments) read back, webhook fetch-through, sub-resource links, and faults.

mod common;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use common::{SIZE, order_of, setup, setup_full, setup_with};
use polycart_kit::model::{FulfillmentStatus, OrderStatus};
use polycart_kit::sim::StoreSize;
use polycart_kit::transport::Budget;
use polycart_kit::{
    Adapter, Cursor, Entity, Error, InventoryChange, ListQuery, Record, ShipmentItem, Write,
    WriteOp, conformance, walk,
};
use serde_json::{Value, json};

/// A price write moves the product's `date_modified`: the product shows up in an
/// incremental read (the rest of reading, paging and incremental sync:
/// `tests/conformance.rs`).
#[tokio::test]
async fn a_price_write_is_an_incremental_change() {
    let s = setup_with(SIZE, Some("pro"), "", &[]).await;
    let a = &s.adapter;
    let since = chrono::Utc::now() - chrono::Duration::seconds(1);
    let product = s.handle.with_store(|st| st.products[2].id.to_string());
    a.write(&Write::new(WriteOp::UpdateProduct {
        product_id: product.clone(),
        variant_id: None,
        title: None,
        status: None,
        price: Some("12.34".parse().unwrap()),
        compare_at_price: None,
    }))
    .await
    .unwrap();
    let seen = conformance::incremental_sees_updates(a, Entity::Product, since, &[product]).await;
    assert_eq!(seen.len(), 1, "only the written product is newer");
    s.server.shutdown().await;
}

#[tokio::test]
async fn v2_listing_ends_on_an_empty_204_page() {
    let s = setup_with(
        StoreSize {
            products: 3,
            customers: 3,
            orders: 20,
        },
        None,
        "",
        &[],
    )
    .await;
    let a = &s.adapter;
    // 20 orders in pages of 5: the fourth page is full, so the adapter asks for a fifth.
    let records = walk::collect_all(a, ListQuery::new(Entity::Order).page_size(5))
        .await
        .unwrap();
    assert_eq!(records.len(), 20);
    let fifth = ListQuery::new(Entity::Order)
        .page_size(5)
        .with_cursor(Some(Cursor::new(r#"{"page":5}"#)));
    let page = a.list(&fifth).await.unwrap();
    assert!(page.records.is_empty() && page.next.is_none(), "{page:?}");

    let raw = reqwest::Client::new()
        .get(format!(
            "{}/v2/orders?page=5&limit=5",
            s.server.info.base_url
        ))
        .header("x-auth-token", s.handle.access_token())
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status(), 204);
    assert!(raw.headers().contains_key("x-rate-limit-requests-left"));
    assert!(raw.bytes().await.unwrap().is_empty());
}

#[tokio::test]
async fn every_response_carries_the_window_headers_and_a_spent_window_answers_429() {
    let s = setup_with(SIZE, Some("5/4000ms"), "", &[]).await;
    let http = reqwest::Client::new();
    let base = &s.server.info.base_url;
    let get = |path: &str, token: &str| {
        http.get(format!("{base}{path}"))
            .header("x-auth-token", token)
            .send()
    };
    let mut lefts = Vec::new();
    for (path, token) in [
        ("/v2/time", s.handle.access_token()),
        ("/v2/orders/999999", s.handle.access_token()),
        ("/v2/time", "wrong-token"),
        ("/v3/catalog/products?limit=1", s.handle.access_token()),
        ("/v2/no/such/resource", s.handle.access_token()),
    ] {
        let r = get(path, token).await.unwrap();
        for h in [
            "x-rate-limit-requests-quota",
            "x-rate-limit-time-window-ms",
            "x-rate-limit-time-reset-ms",
        ] {
            assert!(r.headers().contains_key(h), "{path}: no {h}");
        }
        assert_eq!(r.headers()["x-rate-limit-requests-quota"], "5");
        assert_eq!(r.headers()["x-rate-limit-time-window-ms"], "4000");
        lefts.push(
            r.headers()["x-rate-limit-requests-left"]
                .to_str()
                .unwrap()
                .to_owned(),
        );
    }
    assert_eq!(lefts, ["4", "3", "2", "1", "0"]);
    let refused = get("/v2/time", s.handle.access_token()).await.unwrap();
    assert_eq!(refused.status(), 429);
    let reset: u64 = refused.headers()["x-rate-limit-time-reset-ms"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(reset <= 4000, "{reset}");
    assert_eq!(refused.headers()["x-rate-limit-requests-left"], "0");
    assert!(refused.headers().contains_key("x-retry-after"));
    tokio::time::sleep(Duration::from_millis(reset + 50)).await;
    let again = get("/v2/time", s.handle.access_token()).await.unwrap();
    assert_eq!(again.status(), 200);
    assert_eq!(again.headers()["x-rate-limit-requests-left"], "4");
}

#[tokio::test]
async fn the_adapter_learns_the_quota_and_waits_for_the_reset() {
    let s = setup_with(SIZE, Some("4/1000ms"), "", &[]).await;
    let a = &s.adapter;
    // 9 products one per page plus /v2/store: at least 10 requests through 4-request
    // windows.
    let records = walk::collect_all(a, ListQuery::new(Entity::Product).page_size(1))
        .await
        .unwrap();
    assert_eq!(records.len(), 9);
    assert_eq!(
        a.transport().governor().budget(),
        Budget::new(4, 4.0),
        "budget learned from the headers"
    );
    let m = a.transport().metrics().snapshot();
    assert_eq!((m.errors, m.throttled_429), (0, 0), "{m:?}");
    assert!(
        m.requests >= 10,
        "more requests than two windows hold: {m:?}"
    );
    // The platform's own count: every request admitted, none refused, so the
    // adapter waited out each spent window instead of meeting its 429.
    let (_, usage) = s.server.usage()[0];
    assert_eq!(
        (usage.spent, usage.refused),
        (m.requests as f64, 0),
        "{usage:?}"
    );
}

#[tokio::test]
async fn a_429_is_retried_after_exactly_the_reset() {
    let s = setup_with(SIZE, Some("3/3000ms"), "", &[]).await;
    // Spend the window behind the adapter's back, so its next request meets a 429.
    let http = reqwest::Client::new();
    for _ in 0..3 {
        http.get(format!("{}/v2/time", s.server.info.base_url))
            .header("x-auth-token", s.handle.access_token())
            .send()
            .await
            .unwrap();
    }
    let n = s
        .adapter
        .count(&ListQuery::new(Entity::Order))
        .await
        .unwrap();
    assert_eq!(n, 23);
    let m = s.adapter.transport().metrics().snapshot();
    assert_eq!((m.throttled_429, m.retries, m.errors), (1, 1, 0), "{m:?}");
    // The one retry came after the window reset (an earlier one would have met a
    // second 429). How long it waits is the classifier's and governor's unit tests.
    let (_, usage) = s.server.usage()[0];
    assert_eq!((usage.spent, usage.refused), (4.0, 1), "{usage:?}");
}

#[tokio::test]
async fn shipment_creation_round_trips() {
    let s = setup().await;
    let a = &s.adapter;
    let orders: Vec<_> = walk::collect_all(a, ListQuery::new(Entity::Order))
        .await
        .unwrap()
        .into_iter()
        .map(order_of)
        .collect();
    let target = orders
        .iter()
        .find(|o| {
            o.fulfillment_status == Some(FulfillmentStatus::Unfulfilled) && o.line_items.len() >= 2
        })
        .expect("an unfulfilled order with two lines");
    let first = &target.line_items[0];
    let partial = a
        .write(&Write::new(WriteOp::CreateShipment {
            order_id: target.platform_id.clone(),
            carrier: Some("UPS".into()),
            tracking_number: Some("1Z999AA10123456784".into()),
            tracking_url: None,
            line_items: vec![ShipmentItem {
                line_item_id: first.platform_id.clone(),
                quantity: 1,
            }],
            notify_customer: false,
        }))
        .await
        .unwrap();
    let partial = order_of(partial);
    let shipment = partial.shipments.last().expect("the new shipment");
    assert_eq!(
        shipment.tracking_number.as_deref(),
        Some("1Z999AA10123456784")
    );
    assert_eq!(shipment.carrier.as_deref(), Some("UPS"));
    assert_eq!(
        shipment.line_items[0].line_item_id.as_deref(),
        Some(first.platform_id.as_str())
    );
    assert_eq!(partial.fulfillment_status, Some(FulfillmentStatus::Partial));
    assert_eq!(
        partial.platform_status.as_deref(),
        Some("Partially Shipped")
    );

    // Everything left: the order is shipped in full and reads back the same.
    let full = order_of(
        a.write(&Write::new(WriteOp::CreateShipment {
            order_id: target.platform_id.clone(),
            carrier: Some("Courier Dupont".into()),
            tracking_number: Some("CD-42".into()),
            tracking_url: None,
            line_items: vec![],
            notify_customer: false,
        }))
        .await
        .unwrap(),
    );
    assert_eq!(full.fulfillment_status, Some(FulfillmentStatus::Fulfilled));
    assert_eq!(full.status, Some(OrderStatus::Completed));
    assert_eq!(full.shipments.len(), partial.shipments.len() + 1);
    assert_eq!(
        full.shipments.last().unwrap().carrier.as_deref(),
        Some("Courier Dupont")
    );
    let reread = order_of(a.get(Entity::Order, &target.platform_id).await.unwrap());
    assert_eq!(reread.shipments, full.shipments);

    // Nothing left to ship is refused before anything is sent.
    let err = a
        .write(&Write::new(WriteOp::CreateShipment {
            order_id: target.platform_id.clone(),
            carrier: None,
            tracking_number: None,
            tracking_url: None,
            line_items: vec![],
            notify_customer: false,
        }))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Invalid { .. }), "{err:?}");
}

#[tokio::test]
async fn price_and_stock_writes_read_back() {
    let s = setup().await;
    let a = &s.adapter;
    let (pid, vid, sku) = s.handle.with_store(|st| {
        let p = st
            .products
            .iter()
            .find(|p| p.variants.len() > 1)
            .expect("a product with variants");
        (
            p.id.to_string(),
            p.variants[1].id.to_string(),
            p.variants[1].sku.clone(),
        )
    });
    let r = a
        .write(&Write::new(WriteOp::UpdateProduct {
            product_id: pid.clone(),
            variant_id: Some(vid.clone()),
            title: None,
            status: None,
            price: Some("19.99".parse().unwrap()),
            compare_at_price: Some("25.00".parse().unwrap()),
        }))
        .await
        .unwrap();
    let Record::Product(p) = r else {
        panic!("a product")
    };
    let v = p.variants.iter().find(|v| v.platform_id == vid).unwrap();
    assert_eq!(v.price.as_ref().unwrap().amount.to_string(), "19.99");
    assert_eq!(
        v.compare_at_price.as_ref().unwrap().amount.to_string(),
        "25"
    );
    assert_eq!(
        v.price.as_ref().unwrap().currency.as_str(),
        s.handle.with_store(|st| st.currency)
    );

    let set = a
        .write(&Write::new(WriteOp::SetInventory {
            product_id: None,
            variant_id: Some(vid.clone()),
            sku: None,
            location_id: Some("2".into()),
            change: InventoryChange::Absolute(40),
        }))
        .await
        .unwrap();
    let Record::Inventory(level) = set else {
        panic!("an inventory level")
    };
    assert_eq!(
        (level.platform_id.as_str(), level.available),
        (format!("{vid}:2").as_str(), Some(40))
    );
    let adjusted = a
        .write(&Write::new(WriteOp::SetInventory {
            product_id: None,
            variant_id: None,
            sku: Some(sku),
            location_id: Some("2".into()),
            change: InventoryChange::Delta(-3),
        }))
        .await
        .unwrap();
    let Record::Inventory(level) = adjusted else {
        panic!("an inventory level")
    };
    assert_eq!(level.available, Some(37));
    let err = a
        .write(&Write::new(WriteOp::AddOrderTags {
            order_id: "1".into(),
            tags: vec!["x".into()],
        }))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Unsupported { .. }));
}

#[tokio::test]
async fn webhook_fetch_through() {
    let s = setup_with(
        SIZE,
        None,
        "",
        &[
            ("webhook_header_name", "X-Hook-Key"),
            ("webhook_header_value", "k-123"),
        ],
    )
    .await;
    let a = &s.adapter;
    let hook = a
        .register_webhook("store/order/*", "http://127.0.0.1:9/hooks")
        .await
        .unwrap();
    assert_eq!(s.handle.hooks()[0].headers["x-hook-key"], "k-123");
    assert!(!hook.is_empty());

    let order = s.handle.with_store(|st| st.orders[4].id.to_string());
    a.write(&Write::new(WriteOp::UpdateOrderStatus {
        order_id: order.clone(),
        status: OrderStatus::OnHold,
        note: None,
    }))
    .await
    .unwrap();
    let deliveries = s.handle.deliveries();
    let status_update = deliveries
        .iter()
        .find(|d| String::from_utf8_lossy(&d.body).contains("store/order/statusUpdated"))
        .expect("a statusUpdated delivery");
    assert_eq!(status_update.headers["x-hook-key"], "k-123");

    // Verify, then fetch the record the thin payload names.
    let event = a
        .verify_webhook(&status_update.headers, &status_update.body)
        .unwrap();
    assert_eq!(event.entity, Some(Entity::Order));
    assert_eq!(event.platform_id.as_deref(), Some(order.as_str()));
    assert!(event.record.is_none());
    let fetched = order_of(
        a.get(Entity::Order, event.platform_id.as_deref().unwrap())
            .await
            .unwrap(),
    );
    assert_eq!(fetched.status, Some(OrderStatus::OnHold));
    assert_eq!(
        fetched.platform_status.as_deref(),
        Some("Manual Verification Required")
    );

    // Wrong custom headers and unsigned deliveries are refused (a changed body or
    // another secret: the conformance suite).
    let mut headers = status_update.headers.clone();
    headers.insert("x-hook-key", "nope".parse().unwrap());
    conformance::rejects_bad_webhook_signature(a, &headers, &status_update.body);
    let mut headers = status_update.headers.clone();
    headers.remove("webhook-signature");
    conformance::rejects_bad_webhook_signature(a, &headers, &status_update.body);

    // A shipment webhook names its order.
    let extra = BTreeMap::from([("x-hook-key".to_owned(), "k-123".to_owned())]);
    let (h, b) = s.handle.signed_callback(
        "store/shipment/created",
        json!({ "type": "shipment", "id": 9, "orderId": order.parse::<u64>().unwrap() }),
        &extra,
    );
    let event = a.verify_webhook(&h, &b).unwrap();
    assert_eq!(
        (event.entity, event.platform_id.as_deref()),
        (Some(Entity::Order), Some(order.as_str()))
    );
}

#[tokio::test]
async fn order_sub_resource_links_resolve() {
    /// Every `{url, resource}` link in a JSON value.
    fn links(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Object(o) => {
                if let (Some(Value::String(url)), Some(_)) = (o.get("url"), o.get("resource")) {
                    out.push(url.clone());
                }
                o.values().for_each(|v| links(v, out));
            }
            Value::Array(a) => a.iter().for_each(|v| links(v, out)),
            _ => {}
        }
    }
    // Hundreds of links: a plan that does not get in the way.
    let s = setup_with(SIZE, Some("100000/1000ms"), "", &[]).await;
    let http = reqwest::Client::new();
    let token = s.handle.access_token().to_owned();
    let fetch = |url: String| http.get(url).header("x-auth-token", token.clone()).send();
    let root = s.server.info.base_url.clone();
    let mut followed = 0;
    for listing in [
        "/v2/orders?limit=250",
        "/v2/orders?limit=250&include=consignments",
    ] {
        let orders: Vec<Value> = fetch(format!("{root}{listing}"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(orders.len(), 23);
        // Follow every link, and the links in what they answer, two levels down.
        let mut todo = Vec::new();
        links(&Value::Array(orders.clone()), &mut todo);
        for _ in 0..2 {
            let mut next = Vec::new();
            for url in std::mem::take(&mut todo) {
                assert!(url.starts_with(&root), "{url}");
                let r = fetch(url.clone()).await.unwrap();
                let status = r.status().as_u16();
                assert!(status == 200 || status == 204, "{url}: {status}");
                followed += 1;
                if status == 200 {
                    links(&r.json::<Value>().await.unwrap(), &mut next);
                }
            }
            todo = next;
        }
        for o in &orders {
            // RFC 2822 dates and four-place money, as v2 sends them.
            let modified = o["date_modified"].as_str().unwrap();
            assert!(chrono::DateTime::parse_from_rfc2822(modified).is_ok());
            let total = o["total_inc_tax"].as_str().unwrap();
            assert!(
                total.split('.').nth(1).is_some_and(|d| d.len() == 4),
                "{total}"
            );
        }
    }
    // products, shipping addresses, coupons, their quotes, consignment lines and quotes.
    assert!(followed > 23 * 5, "{followed} links followed");
    let (_, time) = common::raw_get(&s, "/v2/time").await;
    assert!(time["time"].as_i64().unwrap() > 1_700_000_000);
}

#[tokio::test]
async fn syncs_through_faults() {
    let s = setup_with(
        SIZE,
        None,
        "5xx=0.08,truncate=0.05,malformed=0.05,content_type=0.05,reset=0.03",
        &[],
    )
    .await;
    let a = &s.adapter;
    for (entity, n) in [
        (Entity::Order, 23),
        (Entity::Product, 9),
        (Entity::Customer, 13),
    ] {
        let records = walk::collect_all(a, ListQuery::new(entity).page_size(5))
            .await
            .unwrap();
        assert_eq!(records.len(), n, "{entity}");
    }
    assert!(
        a.transport().metrics().snapshot().retries > 0,
        "faults were injected and retried"
    );
}

#[tokio::test]
async fn orders_carry_their_lines_coupons_and_v3_refunds() {
    let s = setup_with(
        StoreSize {
            products: 6,
            customers: 8,
            orders: 60,
        },
        Some("pro"),
        "",
        &[],
    )
    .await;
    let orders: Vec<_> = walk::collect_all(&s.adapter, ListQuery::new(Entity::Order))
        .await
        .unwrap()
        .into_iter()
        .map(order_of)
        .collect();
    assert_eq!(orders.len(), 60);
    let expected = s.handle.with_store(|st| st.orders.clone());
    let mut refunded = 0;
    let mut presented = 0;
    for o in &orders {
        let sim = expected
            .iter()
            .find(|e| e.id.to_string() == o.platform_id)
            .unwrap();
        assert_eq!(
            o.line_items.len(),
            sim.line_items.len(),
            "order {}",
            o.platform_id
        );
        assert_eq!(
            o.discounts.len(),
            sim.discount_codes.len(),
            "order {}",
            o.platform_id
        );
        assert_eq!(
            o.refunds.len(),
            sim.refunds.len(),
            "order {}",
            o.platform_id
        );
        // What the buyer paid is written in the buyer's (transactional) currency; the
        // store's totals are it at the order's rate.
        let paid = sim.presented();
        match sim.presentment {
            None => {
                assert_eq!(o.totals.total.as_ref().unwrap().amount, sim.total());
                assert_eq!(o.presentment_currency, None);
            }
            Some(p) => {
                presented += 1;
                assert_eq!(o.currency.as_ref().unwrap().as_str(), sim.currency);
                assert_eq!(
                    o.presentment_currency.as_ref().unwrap().as_str(),
                    p.currency
                );
                let t = o.presentment_totals.as_ref().unwrap();
                assert_eq!(t.total.as_ref().unwrap().amount, paid.total());
                let store_total = o.totals.total.as_ref().unwrap().amount;
                assert_eq!(
                    store_total,
                    (paid.total() / p.rate).round_dp_with_strategy(
                        4,
                        rust_decimal::RoundingStrategy::MidpointAwayFromZero
                    )
                );
                assert!(
                    (store_total - sim.total()).abs() < rust_decimal::Decimal::new(5, 2),
                    "order {}: {store_total} is near {}",
                    o.platform_id,
                    sim.total()
                );
            }
        }
        assert!(o.shipping_address.is_some() && o.created_at.is_some());
        for (r, sr) in o.refunds.iter().zip(&paid.refunds) {
            assert_eq!(r.amount.as_ref().unwrap().amount, sr.amount);
            assert_eq!(r.line_items.len(), sr.lines.len());
            refunded += 1;
        }
    }
    assert!(refunded > 0, "the generated store has refunds");
    assert!(presented > 0, "some buyers paid in another currency");
}

#[tokio::test]
async fn webhooks_are_delivered_over_http_and_verify() {
    use std::sync::{Arc, Mutex};
    type Received = Arc<Mutex<Vec<(http::HeaderMap, Vec<u8>)>>>;
    let received: Received = Arc::default();
    let app = axum::Router::new()
        .route(
            "/hooks",
            axum::routing::post(
                |axum::extract::State(r): axum::extract::State<Received>,
                 headers: http::HeaderMap,
                 body: axum::body::Bytes| async move {
                    r.lock().unwrap().push((headers, body.to_vec()));
                    http::StatusCode::OK
                },
            ),
        )
        .with_state(received.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let receiver = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let s = setup().await;
    let a = &s.adapter;
    a.register_webhook(
        "store/shipment/created",
        &format!("http://{receiver}/hooks"),
    )
    .await
    .unwrap();
    let order = s.handle.with_store(|st| {
        st.orders
            .iter()
            .find(|o| o.shipments.is_empty() && !o.line_items.is_empty())
            .map(|o| o.id.to_string())
            .unwrap()
    });
    a.write(&Write::new(WriteOp::CreateShipment {
        order_id: order.clone(),
        carrier: Some("FedEx".into()),
        tracking_number: Some("7712".into()),
        tracking_url: None,
        line_items: vec![],
        notify_customer: true,
    }))
    .await
    .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    let (headers, body) = loop {
        if let Some(first) = received.lock().unwrap().first().cloned() {
            break first;
        }
        assert!(Instant::now() < deadline, "no webhook arrived");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let event = a.verify_webhook(&headers, &body).unwrap();
    assert_eq!(event.topic, "store/shipment/created");
    assert_eq!(event.platform_id.as_deref(), Some(order.as_str()));
    let fetched = order_of(a.get(Entity::Order, &order).await.unwrap());
    assert_eq!(
        fetched.shipments.last().unwrap().tracking_number.as_deref(),
        Some("7712")
    );
    assert_eq!(
        fetched.fulfillment_status,
        Some(FulfillmentStatus::Fulfilled)
    );
}

#[tokio::test]
async fn categories_read_from_a_category_tree() {
    let s = setup_full(SIZE, None, "", &[], &[("category_tree", "1")]).await;
    let a = &s.adapter;
    let expected = s.handle.with_store(|st| st.categories.clone());
    let records = conformance::paginates_to_the_end(a, Entity::Category, 3, expected.len()).await;
    conformance::count_matches_listing(a, Entity::Category, expected.len()).await;
    conformance::get_matches_list(a, &records[7]).await;
    let Record::Category(child) = a
        .get(Entity::Category, &expected[7].id.to_string())
        .await
        .unwrap()
    else {
        panic!("a category")
    };
    assert_eq!(
        child.parent_id,
        expected[7].parent_id.map(|p| p.to_string())
    );
    assert_eq!(child.slug.as_deref(), Some(expected[7].handle.as_str()));
    let raw = child.raw.unwrap().to_value();
    assert_eq!(raw["tree_id"], 1, "read from the tree endpoint");
}

#[tokio::test]
async fn v2_and_v3_filters_and_sorts_work_as_documented() {
    let s = setup_with(SIZE, Some("pro"), "", &[]).await;
    let http = reqwest::Client::new();
    let base = s.server.info.base_url.clone();
    let token = s.handle.access_token().to_owned();
    let get = |path: String| {
        let (http, token, base) = (http.clone(), token.clone(), base.clone());
        async move {
            let r = http
                .get(format!("{base}{path}"))
                .header("x-auth-token", token)
                .send()
                .await
                .unwrap();
            if r.status() == 204 {
                Value::Array(vec![])
            } else {
                r.json::<Value>().await.unwrap()
            }
        }
    };
    let mut orders = s.handle.with_store(|st| st.orders.clone());
    orders.sort_by_key(|o| (o.updated_at, o.id));
    let pivot = orders[10].updated_at;
    let expected: Vec<u64> = orders
        .iter()
        .filter(|o| o.updated_at >= pivot)
        .map(|o| o.id)
        .collect();
    let enc = |t: String| {
        t.replace(' ', "%20")
            .replace('+', "%2B")
            .replace(':', "%3A")
            .replace(',', "%2C")
    };

    // RFC 2822 and ISO 8601 filters agree; sort=date_modified:asc orders by modification.
    let rfc = pivot.format("%a, %d %b %Y %H:%M:%S +0000").to_string();
    let by_rfc = get(format!(
        "/v2/orders?min_date_modified={}&sort=date_modified:asc&limit=250",
        enc(rfc)
    ))
    .await;
    let by_iso = get(format!(
        "/v2/orders?min_date_modified={}&sort=date_modified:asc&limit=250",
        enc(pivot.to_rfc3339())
    ))
    .await;
    let ids = |v: &Value| {
        v.as_array()
            .unwrap()
            .iter()
            .map(|o| o["id"].as_u64().unwrap())
            .collect::<Vec<_>>()
    };
    assert_eq!(ids(&by_rfc), expected);
    assert_eq!(ids(&by_iso), expected);
    let until = get(format!(
        "/v2/orders?max_date_modified={}&limit=250",
        enc(pivot.to_rfc3339())
    ))
    .await;
    assert_eq!(ids(&until).len(), 11);
    let desc = get("/v2/orders?sort=id:desc&limit=3".to_owned()).await;
    let mut all: Vec<u64> = orders.iter().map(|o| o.id).collect();
    all.sort_unstable_by(|a, b| b.cmp(a));
    assert_eq!(ids(&desc), all[..3].to_vec());
    let count = get(format!(
        "/v2/orders/count?min_date_modified={}",
        enc(pivot.to_rfc3339())
    ))
    .await;
    assert_eq!(count["count"].as_u64().unwrap() as usize, expected.len());
    let capped = get("/v2/orders?limit=1000".to_owned()).await;
    assert_eq!(ids(&capped).len(), 23, "limit is capped at 250, all 23 fit");

    // v3: date_modified:min and the pagination block.
    let mut products = s.handle.with_store(|st| st.products.clone());
    products.sort_by_key(|p| (p.updated_at, p.id));
    let since = products[4].updated_at;
    let page = get(format!(
        "/v3/catalog/products?date_modified:min={}&sort=date_modified&direction=asc&limit=2",
        enc(since.to_rfc3339())
    ))
    .await;
    let p = &page["meta"]["pagination"];
    assert_eq!(p["total"].as_u64(), Some(products.len() as u64 - 4));
    assert_eq!(
        (
            p["count"].as_u64(),
            p["per_page"].as_u64(),
            p["current_page"].as_u64()
        ),
        (Some(2), Some(2), Some(1))
    );
    assert_eq!(
        p["total_pages"].as_u64(),
        Some((products.len() as u64 - 4).div_ceil(2))
    );
    assert!(p["links"]["next"].as_str().unwrap().contains("page=2"));
    assert_eq!(page["data"][0]["id"].as_u64(), Some(products[4].id));
    let customers = get("/v3/customers?include=addresses&limit=1".to_owned()).await;
    assert!(
        customers["data"][0]["addresses"]
            .as_array()
            .is_some_and(|a| !a.is_empty())
    );
    let statuses = get("/v2/order_statuses".to_owned()).await;
    assert_eq!(statuses.as_array().unwrap().len(), 15);
}

/// A measurement, not a check (`cargo test -p polycart-bigcommerce --test sim -- --ignored
/// --nocapture`): a full sync of a default-size store on a plan, with requests, 429s and
/// time spent waiting for the window.
#[tokio::test]
#[ignore = "a measurement that takes minutes on the standard plan"]
async fn measure_full_sync() {
    let plan = std::env::var("BC_PLAN").unwrap_or_else(|_| "standard".into());
    let s = setup_with(StoreSize::default(), Some(&plan), "", &[]).await;
    let start = Instant::now();
    let mut total = 0;
    for entity in Entity::ALL {
        let records = walk::collect_all(&s.adapter, ListQuery::new(entity))
            .await
            .unwrap();
        total += records.len();
    }
    let m = s.adapter.transport().metrics().snapshot();
    let (_, usage) = s.server.usage()[0];
    println!(
        "plan {plan}: {total} records in {:.1}s, {} requests, {} retries, {} 429s, governor waited {:.1}s; the platform admitted {} of {:.0} allowed ({:.1} %), refused {}",
        start.elapsed().as_secs_f64(),
        m.requests,
        m.retries,
        m.throttled_429,
        m.governor_wait.as_secs_f64(),
        usage.spent,
        usage.allowed,
        100.0 * usage.spent / usage.allowed.max(1.0),
        usage.refused,
    );
}

#[tokio::test]
async fn a_wrong_token_is_an_auth_error_that_never_shows_the_token() {
    let s = setup_with(SIZE, None, "", &[("access_token", "not-the-token-42")]).await;
    let err = s
        .adapter
        .list(&ListQuery::new(Entity::Customer))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Auth { .. }), "{err:?}");
    assert!(
        !format!("{err} {err:?}").contains("not-the-token-42"),
        "{err:?}"
    );
    assert!(!format!("{:?}", s.adapter).contains("not-the-token-42"));
}

#[tokio::test]
async fn the_simulator_prints_the_api_root_and_the_token() {
    let s = setup().await;
    let info = &s.server.info;
    let hash = &info.credentials["store_hash"];
    assert!(
        info.base_url.ends_with(&format!("/stores/{hash}")),
        "{}",
        info.base_url
    );
    assert_eq!(info.credentials["access_token"], s.handle.access_token());
    let (status, time) = common::raw_get(&s, "/v2/time").await;
    assert_eq!(status, 200, "/v2 lives under the printed root");
    assert!(time["time"].is_i64());
    let (status, _) = common::raw_get(&s, "/v3/catalog/products?limit=1").await;
    assert_eq!(status, 200, "/v3 lives under the printed root");
}

#[tokio::test]
async fn writes_that_are_not_idempotent_are_not_retried_blindly() {
    let s = setup_with(SIZE, None, "5xx=1", &[]).await;
    let a = &s.adapter;
    let variant = s
        .handle
        .with_store(|st| st.products[0].variants[0].id.to_string());
    let stock = |change| {
        Write::new(WriteOp::SetInventory {
            product_id: None,
            variant_id: Some(variant.clone()),
            sku: None,
            location_id: Some("1".into()),
            change,
        })
    };
    // A relative adjustment (POST) that failed may have been applied: one attempt only.
    let err = a
        .write(&stock(InventoryChange::Delta(-2)))
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Platform { status, .. } if status >= 500),
        "{err:?}"
    );
    let m = a.transport().metrics().snapshot();
    assert_eq!((m.requests, m.retries), (1, 0), "{m:?}");
    // An absolute one (PUT) is idempotent: retried like a read.
    a.write(&stock(InventoryChange::Absolute(7)))
        .await
        .unwrap_err();
    let m = a.transport().metrics().snapshot();
    assert!(m.retries > 0, "{m:?}");
}
