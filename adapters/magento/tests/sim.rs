//! Magento behaviour beyond the conformance suite, against the simulator: records
//! sharing one `updated_at` second, the repeated last page, admin token expiry and
//! two-factor refusals, bearer tokens refused by 2.4.4+ defaults, a CDN's 429s and HTML
//! pages, input limits, store views, Magento's error bodies, writes (never retried
//! blindly) and Adobe Commerce webhook signatures.

mod common;

use common::{Login, adapter, sim};
use polycart_kit::model::{OrderStatus, ProductStatus};
use polycart_kit::walk::collect_all;
use polycart_kit::{
    Adapter, Entity, Error, InventoryChange, ListQuery, Record, ShipmentItem, Write, WriteOp,
};
use polycart_magento::sim::MagentoSim;
use rust_decimal::Decimal;

#[tokio::test]
async fn a_crowded_second_is_paged_by_id_without_skips() {
    let s = sim("default").await;
    let ids = s.ids("orders");
    s.touch("orders", &ids, "2030-01-01 00:00:00");
    let a = adapter(&s, Login::Bearer, &[]);
    let all = collect_all(&a, ListQuery::new(Entity::Order).page_size(3))
        .await
        .unwrap();
    let mut got: Vec<u64> = all
        .iter()
        .map(|r| r.platform_id().parse().unwrap())
        .collect();
    assert_eq!(got, ids, "ascending by entity_id inside the second");
    got.dedup();
    assert_eq!(got.len(), ids.len());
}

#[tokio::test]
async fn page_numbers_stop_on_total_count_not_on_the_repeated_last_page() {
    let s = sim("default").await;
    let a = adapter(&s, Login::Bearer, &[]);
    let n = s.counts()[4];
    for size in [3, 4, 7] {
        let all = collect_all(&a, ListQuery::new(Entity::Inventory).page_size(size))
            .await
            .unwrap();
        assert_eq!(all.len(), n, "page size {size}");
    }
}

#[tokio::test]
async fn an_expired_admin_token_is_replaced_by_a_new_login() {
    let s = sim("default").await;
    let a = adapter(&s, Login::Admin, &[]);
    a.list(&ListQuery::new(Entity::Order)).await.unwrap();
    assert_eq!(s.logins(), 1);
    s.expire_admin_tokens();
    a.list(&ListQuery::new(Entity::Customer)).await.unwrap();
    assert_eq!(s.logins(), 2, "the 401 led to one new login");
}

#[tokio::test]
async fn two_factor_admins_are_told_to_use_an_integration() {
    let s = sim("2fa").await;
    let a = adapter(&s, Login::Admin, &[]);
    match a.list(&ListQuery::new(Entity::Order)).await {
        Err(Error::Auth { message }) => {
            assert!(message.contains("two-factor"), "{message}");
            assert!(message.contains("integration"), "{message}");
            assert!(!message.contains("sim-admin-password"), "{message}");
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_bearer_token_refused_says_what_magento_said() {
    let s = sim("no-bearer").await;
    let a = adapter(&s, Login::Bearer, &[]);
    match a.list(&ListQuery::new(Entity::Order)).await {
        Err(Error::Auth { message }) => assert!(
            message.contains("isn't authorized to access Magento_Backend::admin"),
            "placeholders filled: {message}"
        ),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_cdn_throttling_and_html_pages_are_waited_out() {
    let s = sim("cloud,html").await;
    let a = adapter(&s, Login::Bearer, &[("max_retries", "8")]);
    let all = collect_all(&a, ListQuery::new(Entity::Order).page_size(2))
        .await
        .unwrap();
    assert_eq!(all.len(), s.counts()[0]);
    assert!(
        a.client().rate() < 1000.0,
        "the adaptive limiter backed off"
    );
}

#[tokio::test]
async fn input_limits_and_store_views() {
    let s = sim("limits").await;
    let a = adapter(&s, Login::Bearer, &[("store_code", "de")]);
    let all = collect_all(&a, ListQuery::new(Entity::Product))
        .await
        .unwrap();
    assert_eq!(all.len(), s.counts()[1]);
    let bad = adapter(&s, Login::Bearer, &[("store_code", "nowhere")]);
    match bad.list(&ListQuery::new(Entity::Product)).await {
        Err(Error::Invalid { message }) => assert!(message.contains("store"), "{message}"),
        other => panic!("{other:?}"),
    }
    match a.get(Entity::Order, "999999999").await {
        Err(Error::NotFound { what }) => assert!(what.contains("doesn't exist"), "{what}"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn configurable_products_have_their_children_as_variants() {
    let s = sim("default").await;
    let a = adapter(&s, Login::Bearer, &[]);
    let (parent, children) = s
        .configurables()
        .into_iter()
        .next()
        .expect("a configurable");
    let Record::Product(p) = a.get(Entity::Product, &parent.to_string()).await.unwrap() else {
        panic!()
    };
    let ids: Vec<u64> = p
        .variants
        .iter()
        .map(|v| v.platform_id.parse().unwrap())
        .collect();
    assert_eq!(ids, children);
    assert!(
        p.price.is_none(),
        "a configurable's own price is Magento's placeholder"
    );
    let store_currency = a.client().context().await.unwrap().currency.unwrap();
    assert!(
        p.variants.iter().all(|v| v
            .price
            .as_ref()
            .is_some_and(|m| m.currency == store_currency)),
        "variants are priced in the base currency from storeConfigs"
    );
    assert!(!p.options.is_empty());
    // Option values are the labels the store shows, not attribute option ids.
    let generated = s.document("products", children[0]).unwrap();
    assert!(p.variants.iter().all(|v| !v.options.is_empty()));
    for v in &p.variants {
        for (name, value) in &v.options {
            assert!(
                value.parse::<u64>().is_err(),
                "{name}: {value} is an option id"
            );
            assert!(
                p.options
                    .iter()
                    .any(|o| &o.name == name && o.values.contains(value))
            );
        }
    }
    assert!(generated["sku"].is_string());
}

#[tokio::test]
async fn writes_change_the_store_and_come_back_re_read() {
    let s = sim("default").await;
    let a = adapter(&s, Login::OAuth1, &[]);
    // Product title, price and status.
    let product = s.ids("products")[0];
    let Record::Product(p) = a
        .write(&Write::new(WriteOp::UpdateProduct {
            product_id: product.to_string(),
            variant_id: None,
            title: Some("Renamed".into()),
            status: Some(ProductStatus::Draft),
            price: Some(Decimal::new(1999, 2)),
            compare_at_price: None,
        }))
        .await
        .unwrap()
    else {
        panic!()
    };
    assert_eq!(p.name.as_deref(), Some("Renamed"));
    assert_eq!(p.status, Some(ProductStatus::Draft));
    let doc = s.document("products", product).unwrap();
    assert_eq!(doc["price"], serde_json::json!(19.99));

    // Stock at a source.
    let sku = doc["sku"].as_str().unwrap().to_owned();
    let Record::Inventory(level) = a
        .write(&Write::new(WriteOp::SetInventory {
            product_id: None,
            variant_id: None,
            sku: Some(sku.clone()),
            location_id: Some("default".into()),
            change: InventoryChange::Absolute(-3),
        }))
        .await
        .unwrap()
    else {
        panic!()
    };
    assert_eq!(
        level.available,
        Some(-3),
        "negative stock (backorders) kept"
    );
    assert!(
        a.write(&Write::new(WriteOp::SetInventory {
            product_id: None,
            variant_id: None,
            sku: Some(sku),
            location_id: Some("../x".into()),
            change: InventoryChange::Absolute(1),
        }))
        .await
        .is_err()
    );

    // An open order: ship two units of its first line with a track, comment, hold,
    // unhold, cancel.
    let order = s
        .ids("orders")
        .into_iter()
        .find(|id| {
            let o = s.document("orders", *id).unwrap();
            o["state"] == "processing"
                && o["items"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .all(|i| i["qty_shipped"] == 0)
        })
        .expect("a processing order with nothing shipped");
    let doc = s.document("orders", order).unwrap();
    let first = doc["items"][0]["item_id"].as_u64().unwrap();
    let Record::Order(o) = a
        .write(&Write::new(WriteOp::CreateShipment {
            order_id: order.to_string(),
            carrier: Some("UPS".into()),
            tracking_number: Some("1Z999".into()),
            tracking_url: None,
            line_items: vec![ShipmentItem {
                line_item_id: first.to_string(),
                quantity: 1,
            }],
            notify_customer: false,
        }))
        .await
        .unwrap()
    else {
        panic!()
    };
    let shipment = o.shipments.last().expect("the shipment is read back");
    assert_eq!(shipment.tracking_number.as_deref(), Some("1Z999"));
    assert_eq!(shipment.carrier.as_deref(), Some("UPS"));
    assert_eq!(
        shipment.line_items[0].line_item_id.as_deref(),
        Some(first.to_string().as_str())
    );

    a.write(&Write::new(WriteOp::AddOrderNote {
        order_id: order.to_string(),
        note: "called the customer".into(),
    }))
    .await
    .unwrap();
    assert_eq!(s.comments(order), ["called the customer"]);
    for (status, state) in [
        (OrderStatus::OnHold, "holded"),
        (OrderStatus::Processing, "processing"),
        (OrderStatus::Cancelled, "canceled"),
    ] {
        let Record::Order(o) = a
            .write(&Write::new(WriteOp::UpdateOrderStatus {
                order_id: order.to_string(),
                status,
                note: None,
            }))
            .await
            .unwrap()
        else {
            panic!()
        };
        assert_eq!(o.status, Some(status));
        assert_eq!(s.document("orders", order).unwrap()["state"], state);
    }
    // A cancelled order cannot be held: Magento answers false.
    match a
        .write(&Write::new(WriteOp::UpdateOrderStatus {
            order_id: order.to_string(),
            status: OrderStatus::OnHold,
            note: None,
        }))
        .await
    {
        Err(Error::Invalid { message }) => assert!(message.contains("state"), "{message}"),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        a.write(&Write::new(WriteOp::AddOrderTags {
            order_id: order.to_string(),
            tags: vec!["x".into()],
        }))
        .await,
        Err(Error::Unsupported { .. })
    ));
}

#[tokio::test]
async fn adobe_commerce_webhooks_are_verified_with_the_public_key() {
    let s = sim("default").await;
    let a = adapter(&s, Login::Bearer, &[]);
    let body = br#"{"eventName":"observer.sales_order_save_after","data":{"order":{"entity_id":42,"state":"processing"}}}"#;
    let mut headers = http::HeaderMap::new();
    headers.insert(
        "x-adobe-commerce-webhook-signature",
        MagentoSim::sign(body).parse().unwrap(),
    );
    let event = a.verify_webhook(&headers, body).unwrap();
    assert_eq!(event.entity, Some(Entity::Order));
    assert_eq!(event.platform_id.as_deref(), Some("42"));
    assert_eq!(event.topic, "observer.sales_order_save_after");
    let mut tampered = body.to_vec();
    tampered[10] = b'X';
    assert!(matches!(
        a.verify_webhook(&headers, &tampered),
        Err(Error::Auth { .. })
    ));
}

#[tokio::test]
async fn orders_carry_refunds_shipments_and_presentment_totals() {
    let s = sim("default").await;
    let a = adapter(&s, Login::Bearer, &[]);
    let orders = collect_all(&a, ListQuery::new(Entity::Order))
        .await
        .unwrap();
    let orders: Vec<_> = orders
        .into_iter()
        .map(|r| match r {
            Record::Order(o) => o,
            _ => panic!(),
        })
        .collect();
    let refunded = orders
        .iter()
        .find(|o| !o.refunds.is_empty())
        .expect("an order with a credit memo");
    let memo_total: Decimal = refunded
        .refunds
        .iter()
        .map(|r| r.amount.as_ref().unwrap().amount)
        .sum();
    assert_eq!(
        refunded.totals.refunded.as_ref().unwrap().amount,
        memo_total,
        "credit memos add up to total_refunded"
    );
    assert!(orders.iter().any(|o| !o.shipments.is_empty()));
    // Guests have no customer id, only their email.
    for o in &orders {
        let doc = s
            .document("orders", o.platform_id.parse().unwrap())
            .unwrap();
        let guest = doc["customer_is_guest"] == 1;
        let customer = o.customer.as_ref().unwrap();
        assert_eq!(
            customer.platform_id.is_none(),
            guest,
            "order {}",
            o.platform_id
        );
        assert!(customer.email.is_some());
    }
    let foreign = orders
        .iter()
        .find(|o| o.presentment_currency.is_some())
        .expect("an order paid in another currency");
    assert_ne!(foreign.presentment_currency, foreign.currency);
    let p = foreign.presentment_totals.as_ref().unwrap();
    assert_eq!(
        p.total.as_ref().unwrap().currency,
        *foreign.presentment_currency.as_ref().unwrap()
    );
    // Every line's total is its price times its quantity, exactly.
    for o in &orders {
        for l in &o.line_items {
            assert_eq!(
                l.unit_price.as_ref().unwrap().amount * l.quantity,
                l.total.as_ref().unwrap().amount,
                "order {} line {}",
                o.platform_id,
                l.platform_id
            );
        }
        let subtotal: Decimal = o
            .line_items
            .iter()
            .map(|l| l.total.as_ref().unwrap().amount)
            .sum();
        assert_eq!(subtotal, o.totals.subtotal.as_ref().unwrap().amount);
    }
}

#[tokio::test]
async fn bundles_are_one_line_with_the_parts_sum() {
    let s = sim("default").await;
    let a = adapter(&s, Login::Bearer, &[]);
    let (id, doc) = s
        .ids("orders")
        .into_iter()
        .map(|id| (id, s.document("orders", id).unwrap()))
        .find(|(_, d)| {
            d["items"]
                .as_array()
                .unwrap()
                .iter()
                .any(|i| i["product_type"] == "bundle")
        })
        .expect("an order with a bundle");
    let parts = doc["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| !i["parent_item_id"].is_null())
        .count();
    assert!(parts >= 1);
    let Record::Order(o) = a.get(Entity::Order, &id.to_string()).await.unwrap() else {
        panic!()
    };
    let top = doc["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["parent_item_id"].is_null())
        .count();
    assert_eq!(o.line_items.len(), top, "parts folded into their bundle");
    let line = o
        .line_items
        .iter()
        .find(|l| l.sku.as_deref().is_some_and(|s| s.starts_with("bundle-")))
        .unwrap();
    assert_eq!(line.quantity, Decimal::ONE);
    assert!(
        line.variant_id.is_none(),
        "a bundle's parts are not its variant"
    );
}

#[tokio::test]
async fn legacy_stock_is_written_through_the_stock_item() {
    let s = sim("default").await;
    let a = adapter(&s, Login::Bearer, &[("inventory", "legacy")]);
    let product = s
        .ids("products")
        .into_iter()
        .find(|id| s.document("products", *id).unwrap()["type_id"] == "simple")
        .unwrap();
    let sku = s.document("products", product).unwrap()["sku"]
        .as_str()
        .unwrap()
        .to_owned();
    let Record::Inventory(level) = a
        .write(&Write::new(WriteOp::SetInventory {
            product_id: Some(product.to_string()),
            variant_id: None,
            sku: None,
            location_id: None,
            change: InventoryChange::Absolute(7),
        }))
        .await
        .unwrap()
    else {
        panic!()
    };
    assert_eq!(level.available, Some(7));
    assert_eq!(level.platform_id, format!("default:{sku}"));
    assert_eq!(
        s.document("products", product).unwrap()["extension_attributes"]["stock_item"]["qty"],
        serde_json::json!(7.0)
    );
    assert!(
        a.write(&Write::new(WriteOp::SetInventory {
            product_id: None,
            variant_id: None,
            sku: Some(sku),
            location_id: Some("east".into()),
            change: InventoryChange::Absolute(1),
        }))
        .await
        .is_err(),
        "legacy stock has one source"
    );
}

#[tokio::test]
async fn webhook_subscriptions_are_replaced_and_removed_by_address() {
    let s = sim("default").await;
    let a = adapter(&s, Login::Admin, &[]);
    let ours: url::Url = "https://polycart.example/v1/hooks/magento/st_1"
        .parse()
        .unwrap();
    let other: url::Url = "https://elsewhere.example/hook".parse().unwrap();
    let topics = a
        .register_webhooks(&other, &[Entity::Customer])
        .await
        .unwrap();
    assert_eq!(topics.len(), 2);
    let topics = a
        .register_webhooks(&ours, &[Entity::Order, Entity::Product])
        .await
        .unwrap();
    assert_eq!(topics.len(), 4);
    a.register_webhooks(&ours, &[Entity::Order, Entity::Product])
        .await
        .unwrap();
    let to = |u: &url::Url| {
        s.webhooks()
            .into_iter()
            .filter(|(_, to)| to == u.as_str())
            .count()
    };
    assert_eq!(
        to(&ours),
        4,
        "registering again replaces: {:?}",
        s.webhooks()
    );
    assert_eq!(a.unregister_webhooks(&ours).await.unwrap(), 4);
    assert_eq!(to(&ours), 0);
    assert_eq!(to(&other), 2, "another address's subscriptions stay");
}

#[tokio::test]
async fn a_store_without_credentials_says_which_it_needs() {
    let s = sim("default").await;
    let mut cfg = common::config(&s, Login::Bearer, &[]);
    cfg.credentials.clear();
    let a = polycart_magento::connect_adapter(&cfg, &Default::default()).unwrap();
    match a.list(&ListQuery::new(Entity::Order)).await {
        Err(Error::Auth { message }) => {
            assert!(message.contains("username and password"), "{message}")
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(s.requests(), 0, "nothing was sent");
}

#[tokio::test]
async fn a_delivery_to_a_subscribed_address_verifies() {
    use std::sync::{Arc, Mutex};
    let s = sim("default").await;
    let a = Arc::new(adapter(&s, Login::Admin, &[]));
    let got: Arc<Mutex<Vec<polycart_kit::WebhookEvent>>> = Arc::default();
    let (verifier, seen) = (a.clone(), got.clone());
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: http::HeaderMap, body: axum::body::Bytes| {
            let (verifier, seen) = (verifier.clone(), seen.clone());
            async move {
                match verifier.verify_webhook(&headers, &body) {
                    Ok(e) => {
                        seen.lock().unwrap().push(e);
                        http::StatusCode::OK
                    }
                    Err(_) => http::StatusCode::UNAUTHORIZED,
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let at = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let hook: url::Url = format!("http://{at}/hook").parse().unwrap();
    a.register_webhooks(&hook, &[Entity::Order]).await.unwrap();
    let order = s.ids("orders")[0];
    let codes = s
        .deliver("observer.sales_order_save_after", "orders", order)
        .await;
    assert_eq!(codes, [Ok(200)]);
    let events = got.lock().unwrap().clone();
    assert_eq!(events[0].platform_id, Some(order.to_string()));
    assert_eq!(events[0].entity, Some(Entity::Order));
}
