//! Amazon's quirks against its simulator, beyond the kit's suite: a bucket per
//! operation (each governor learns its own rate from `x-amzn-RateLimit-Limit`, an
//! empty bucket answers `429 QuotaExceeded` for that operation only), an expired
//! access token answered `403` and refreshed once, v0 orders with their items from a
//! second call, the LWA refusals, region and marketplace checks, ids that never
//! reach Amazon, and a seller without a seller id.

use std::collections::BTreeMap;
use std::net::SocketAddr;

use polycart_amazon::AmazonAdapter;
use polycart_amazon::sim::{AmazonSim, start};
use polycart_kit::connector::{AdapterContext, Normalized, StoreConfig};
use polycart_kit::model::Record;
use polycart_kit::sim::{SimOptions, SimServer, StoreSize};
use polycart_kit::transport::Budget;
use polycart_kit::walk::collect_all;
use polycart_kit::{Adapter, Entity, Error, ListQuery, Secret, StoreContext};

fn local() -> SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

async fn sim(plan: Option<&str>) -> (SimServer, AmazonSim) {
    let options = SimOptions {
        seed: 5,
        size: StoreSize {
            products: 6,
            customers: 4,
            orders: 12,
        },
        plan: plan.map(str::to_owned),
        ..SimOptions::default()
    };
    start(options, local()).await.unwrap()
}

fn store(server: &SimServer, settings: &[(&str, &str)], drop: &[&str]) -> StoreConfig {
    StoreConfig {
        store_id: "s1".into(),
        base_url: server.info.base_url.parse().unwrap(),
        credentials: server
            .info
            .credentials
            .iter()
            .filter(|(k, _)| !drop.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), Secret::new(v.clone())))
            .collect(),
        settings: settings
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect::<BTreeMap<_, _>>(),
    }
}

fn adapter(server: &SimServer, settings: &[(&str, &str)]) -> AmazonAdapter {
    AmazonAdapter::new(&store(server, settings, &[]), &AdapterContext::default()).unwrap()
}

#[tokio::test]
async fn every_operation_has_its_own_bucket() {
    let (server, sim) = sim(None).await;
    let a = adapter(&server, &[]);
    let orders = collect_all(&a, ListQuery::new(Entity::Order))
        .await
        .unwrap();
    a.get(Entity::Order, orders[0].platform_id()).await.unwrap();
    // Each governor learnt its operation's plan from x-amzn-RateLimit-Limit.
    assert_eq!(
        a.governor("searchOrders").unwrap().budget(),
        Budget::new(20, 0.0167)
    );
    assert_eq!(
        a.governor("getOrder").unwrap().budget(),
        Budget::new(30, 0.5)
    );
    // getListingsItem's bucket holds 10: drained, it answers 429 QuotaExceeded with
    // the operation's rate, while searchOrders still answers.
    let token = access_token(&server, &sim).await;
    let sku = &sim.store().products[0].variants[0].sku.clone();
    let listing = format!(
        "listings/2021-08-01/items/{}/{sku}?marketplaceIds=ATVPDKIKX0DER",
        sim.seller_id
    );
    let mut last = (0, String::new(), None);
    for _ in 0..11 {
        last = raw(&server, &listing, &token).await;
    }
    assert_eq!(last.0, 429, "{}", last.1);
    assert!(last.1.contains("QuotaExceeded"), "{}", last.1);
    assert_eq!(last.2, None, "Amazon no longer sends the rate on a 429");
    let served = raw(&server, &format!("{listing}x"), &token).await;
    assert_eq!(served.0, 429, "still empty");
    // Another operation's bucket is untouched.
    let search = raw(
        &server,
        "orders/2026-01-01/orders?marketplaceIds=ATVPDKIKX0DER&createdAfter=2016-01-01T00:00:00Z",
        &token,
    )
    .await;
    assert_eq!(search.0, 200, "{}", search.1);
    assert_eq!(search.2.as_deref(), Some("0.0167"));
}

#[tokio::test]
async fn an_expired_access_token_is_refreshed_once() {
    let (server, sim) = sim(Some("fast")).await;
    let a = adapter(&server, &[]);
    a.list(&ListQuery::new(Entity::Order)).await.unwrap();
    assert_eq!(sim.token_exchanges(), 1);
    // An hour later: Amazon answers 403 "The access token you provided has expired."
    sim.expire_tokens();
    let token = access_token_in_use(&sim);
    let (status, body, _) = raw(
        &server,
        "orders/2026-01-01/orders?marketplaceIds=ATVPDKIKX0DER&createdAfter=2016-01-01T00:00:00Z",
        &token,
    )
    .await;
    assert_eq!(status, 403);
    assert!(body.contains("has expired"), "{body}");
    a.list(&ListQuery::new(Entity::Order)).await.unwrap();
    assert_eq!(
        sim.token_exchanges(),
        2,
        "one refresh, then the request again"
    );
}

#[tokio::test]
async fn v0_orders_come_with_their_items() {
    let (server, sim) = sim(Some("fast")).await;
    let a = adapter(&server, &[("orders_api", "v0")]);
    let orders = collect_all(&a, ListQuery::new(Entity::Order).page_size(5))
        .await
        .unwrap();
    assert_eq!(orders.len(), sim.store().orders.len());
    let Record::Order(o) = &orders[0] else {
        panic!()
    };
    assert!(!o.line_items.is_empty(), "items from getOrderItems");
    // The record keeps the one composite normalize takes; it maps to the same order.
    let raw = o.raw.as_ref().unwrap().get().to_owned();
    assert!(raw.starts_with(r#"{"getOrder":{"payload":"#), "{raw}");
    let Normalized::One(Record::Order(again)) =
        polycart_amazon::mapping::normalize(Entity::Order, &raw, &StoreContext::default()).unwrap()
    else {
        panic!()
    };
    assert_eq!(again.line_items, o.line_items);
    assert_eq!(again.totals, o.totals);
    // Both versions agree on what matters.
    let v2026 = adapter(&server, &[]);
    let Record::Order(new) = v2026.get(Entity::Order, &o.platform_id).await.unwrap() else {
        panic!()
    };
    assert_eq!(new.totals.total, o.totals.total);
    let skus = |o: &polycart_kit::model::Order| -> Vec<Option<String>> {
        o.line_items.iter().map(|l| l.sku.clone()).collect()
    };
    assert_eq!(skus(&new), skus(o));
    assert_eq!(new.status, o.status);
}

#[tokio::test]
async fn lwa_refusals_are_auth_errors_without_secrets() {
    let (server, _sim) = sim(Some("fast")).await;
    let mut s = store(&server, &[], &[]);
    s.credentials.insert(
        "client_secret".into(),
        Secret::new("amzn1.oa2-cs.v1.WRONG-SECRET-123"),
    );
    let a = AmazonAdapter::new(&s, &AdapterContext::default()).unwrap();
    let err = a.list(&ListQuery::new(Entity::Order)).await.unwrap_err();
    assert!(matches!(err, Error::Auth { .. }), "{err:?}");
    let text = format!("{err} {err:?}");
    assert!(
        text.contains("invalid_client") || text.contains("Client authentication failed"),
        "{text}"
    );
    assert!(!text.contains("WRONG-SECRET-123"), "{text}");
    // A revoked authorisation: invalid_grant, the refresh token not repeated.
    let mut s = store(&server, &[], &[]);
    s.credentials.insert(
        "refresh_token".into(),
        Secret::new("Atzr|REVOKED-REFRESH-456"),
    );
    let a = AmazonAdapter::new(&s, &AdapterContext::default()).unwrap();
    let err = a.list(&ListQuery::new(Entity::Order)).await.unwrap_err();
    assert!(matches!(err, Error::Auth { .. }), "{err:?}");
    let text = format!("{err} {err:?}");
    assert!(
        text.contains("invalid grant") || text.contains("invalid_grant"),
        "{text}"
    );
    assert!(!text.contains("REVOKED-REFRESH-456"), "{text}");
}

#[tokio::test]
async fn regions_marketplaces_and_seller_ids_are_checked() {
    let (server, _sim) = sim(Some("fast")).await;
    let bad = |settings: &[(&str, &str)]| {
        AmazonAdapter::new(&store(&server, settings, &[]), &AdapterContext::default()).is_err()
    };
    assert!(bad(&[("region", "us")]));
    assert!(bad(&[("region", "eu")]), "eu needs its marketplaces");
    assert!(
        bad(&[("marketplace_ids", "A1PA6795UKMFR9")]),
        "amazon.de is not in na"
    );
    assert!(bad(&[("orders_api", "v1")]));
    assert!(!bad(&[
        ("region", "eu"),
        ("marketplace_ids", "A1PA6795UKMFR9")
    ]));
    // An Amazon host must be the region's endpoint.
    let mut s = store(
        &server,
        &[("region", "fe"), ("marketplace_ids", "A1VC38T7YXB528")],
        &[],
    );
    s.base_url = "https://sellingpartnerapi-na.amazon.com".parse().unwrap();
    assert!(AmazonAdapter::new(&s, &AdapterContext::default()).is_err());
    s.base_url = "https://sellingpartnerapi-fe.amazon.com".parse().unwrap();
    assert!(AmazonAdapter::new(&s, &AdapterContext::default()).is_ok());
    // Without a seller id, products are not listed.
    let no_seller = AmazonAdapter::new(
        &store(&server, &[], &["seller_id"]),
        &AdapterContext::default(),
    )
    .unwrap();
    assert!(!no_seller.capabilities().lists(Entity::Product));
    assert!(!no_seller.capabilities().lists(Entity::Inventory));
    assert!(!no_seller.capabilities().writes.product_price);
    let fba_only = AmazonAdapter::new(
        &store(&server, &[("inventory", "fba")], &["seller_id"]),
        &AdapterContext::default(),
    )
    .unwrap();
    assert!(
        fba_only.capabilities().lists(Entity::Inventory),
        "FBA needs no seller id"
    );
    assert!(
        no_seller
            .list(&ListQuery::new(Entity::Product))
            .await
            .is_err()
    );
    let mut s = store(&server, &[], &[]);
    s.credentials
        .insert("seller_id".into(), Secret::new("../orders"));
    assert!(AmazonAdapter::new(&s, &AdapterContext::default()).is_err());
}

#[tokio::test]
async fn ids_that_are_not_amazons_never_reach_it() {
    let (server, sim) = sim(Some("fast")).await;
    let a = adapter(&server, &[]);
    a.list(&ListQuery::new(Entity::Order)).await.unwrap();
    let before = server.requests();
    for id in [
        "../listings",
        "123",
        "902-3159896-1390916/orderItems",
        "902-3159896-139091x",
    ] {
        assert!(matches!(
            a.get(Entity::Order, id).await,
            Err(Error::NotFound { .. })
        ));
    }
    assert_eq!(server.requests(), before);
    // A SKU is free text, sent as one encoded segment.
    let sku = sim.store().products[0].variants[0].sku.clone();
    let got = a.get(Entity::Product, &sku).await.unwrap();
    assert_eq!(got.platform_id(), sku);
    assert!(matches!(
        a.get(Entity::Product, "no/such sku").await,
        Err(Error::NotFound { .. })
    ));
}

/// An access token from the simulator's LWA endpoint.
async fn access_token(server: &SimServer, sim: &AmazonSim) -> String {
    let r = polycart_kit::transport::shared_client()
        .post(format!("{}/auth/o2/token", server.origin()))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", sim.refresh_token.as_str()),
            ("client_id", sim.client_id.as_str()),
            ("client_secret", sim.client_secret.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["expires_in"], 3600);
    body["access_token"].as_str().unwrap().to_owned()
}

fn access_token_in_use(sim: &AmazonSim) -> String {
    sim.extra().tokens.keys().next().unwrap().clone()
}

/// A raw GET: status, body and `x-amzn-RateLimit-Limit`.
async fn raw(server: &SimServer, path: &str, token: &str) -> (u16, String, Option<String>) {
    let r = polycart_kit::transport::shared_client()
        .get(format!("{}/{path}", server.origin()))
        .header("x-amz-access-token", token)
        .send()
        .await
        .unwrap();
    let rate = r
        .headers()
        .get("x-amzn-ratelimit-limit")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    (r.status().as_u16(), r.text().await.unwrap(), rate)
}

#[tokio::test]
async fn the_simulator_holds_amazons_paging_rules() {
    let (server, sim) = sim(Some("fast")).await;
    let token = access_token(&server, &sim).await;
    let base = "orders/2026-01-01/orders?marketplaceIds=ATVPDKIKX0DER&maxResultsPerPage=5";
    // A date filter is required.
    let (status, body, _) = raw(&server, base, &token).await;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("InvalidInput"), "{body}");
    let first = format!("{base}&createdAfter=2016-01-01T00:00:00Z");
    let (status, body, _) = raw(&server, &first, &token).await;
    assert_eq!(status, 200, "{body}");
    let page: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(page["orders"].as_array().unwrap().len(), 5);
    assert!(
        page.get("payload").is_none(),
        "2026-01-01 has no payload wrapper"
    );
    let next = page["pagination"]["nextToken"].as_str().unwrap().to_owned();
    // The token goes with the same filters; with others it is refused.
    let (status, _, _) = raw(&server, &format!("{first}&paginationToken={next}"), &token).await;
    assert_eq!(status, 200);
    let changed = format!("{base}&createdAfter=2017-01-01T00:00:00Z&paginationToken={next}");
    assert_eq!(raw(&server, &changed, &token).await.0, 400);
    // v0: the payload wrapper, and NextToken overriding every other criterion.
    let v0 = "orders/v0/orders?MarketplaceIds=ATVPDKIKX0DER&MaxResultsPerPage=5";
    let (status, body, _) = raw(
        &server,
        &format!("{v0}&CreatedAfter=2016-01-01T00:00:00Z"),
        &token,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let page: serde_json::Value = serde_json::from_str(&body).unwrap();
    let next = page["payload"]["NextToken"].as_str().unwrap().to_owned();
    let (status, body, _) = raw(
        &server,
        &format!("{v0}&LastUpdatedAfter=2099-01-01T00:00:00Z&NextToken={next}"),
        &token,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let rest: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        rest["payload"]["Orders"].as_array().unwrap().len(),
        (sim.store().orders.len() - 5).min(5),
        "the token's criteria, not the request's"
    );
    // Pages are bounded.
    let big = "orders/2026-01-01/orders?marketplaceIds=ATVPDKIKX0DER&maxResultsPerPage=101&createdAfter=2016-01-01T00:00:00Z";
    assert_eq!(raw(&server, big, &token).await.0, 400);
}

#[tokio::test]
async fn fba_levels_are_read_not_written() {
    let (server, sim) = sim(Some("fast")).await;
    let a = adapter(&server, &[("inventory", "fba")]);
    let levels = collect_all(&a, ListQuery::new(Entity::Inventory))
        .await
        .unwrap();
    let skus: usize = sim.store().products.iter().map(|p| p.variants.len()).sum();
    assert_eq!(levels.len(), skus);
    let Record::Inventory(l) = &levels[0] else {
        panic!()
    };
    assert_eq!(l.location_id.as_deref(), Some("FBA"));
    let got = a.get(Entity::Inventory, &l.platform_id).await.unwrap();
    assert_eq!(got.platform_id(), l.platform_id);
    assert!(!a.capabilities().writes.inventory_set);
    let write = polycart_kit::Write::new(polycart_kit::WriteOp::SetInventory {
        product_id: None,
        variant_id: l.variant_id.clone(),
        sku: None,
        location_id: None,
        change: polycart_kit::InventoryChange::Absolute(3),
    });
    assert!(matches!(
        a.write(&write).await,
        Err(Error::Unsupported { .. })
    ));
}

#[tokio::test]
async fn v0_pii_comes_with_a_restricted_data_token_only() {
    let (server, sim) = sim(Some("fast")).await;
    let plain = adapter(&server, &[("orders_api", "v0")]);
    let with_rdt = adapter(
        &server,
        &[("orders_api", "v0"), ("restricted_data", "true")],
    );
    let without = collect_all(&plain, ListQuery::new(Entity::Order))
        .await
        .unwrap();
    let with = collect_all(&with_rdt, ListQuery::new(Entity::Order))
        .await
        .unwrap();
    let line1 = |r: &Record| match r {
        Record::Order(o) => o.shipping_address.as_ref().and_then(|a| a.line1.clone()),
        _ => None,
    };
    let email = |r: &Record| match r {
        Record::Order(o) => o.customer.as_ref().and_then(|c| c.email.clone()),
        _ => None,
    };
    assert!(
        without
            .iter()
            .all(|r| line1(r).is_none() && email(r).is_none())
    );
    assert!(
        with.iter()
            .all(|r| line1(r).is_some() && email(r).is_some())
    );
    // One token served the whole pass (getOrders and every getOrderItems), and a get.
    let id = with[0].platform_id().to_owned();
    let got = with_rdt.get(Entity::Order, &id).await.unwrap();
    assert!(email(&got).is_some());
    assert_eq!(sim.extra().restricted.len(), 1);
    // An expired one is asked for again.
    sim.expire_tokens();
    collect_all(&with_rdt, ListQuery::new(Entity::Order))
        .await
        .unwrap();
    assert_eq!(sim.extra().restricted.len(), 2);
}
