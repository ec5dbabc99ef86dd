//! A client written against BigCommerce's documentation syncs from the simulator
//! unchanged. The requests follow Airbyte's `source-bigcommerce` connector: its
//! declarative manifest (every page repeats `sort=date_modified:asc` and the start
//! date as an ISO date, `date_modified:min` on v3 and `min_date_modified` on v2;
//! `page`/`limit=250` until a page comes back short; `X-Auth-Token`, `Accept` and
//! `Content-Type` headers; the catalog's `sort` plus `direction`; order sub-streams from `/v2/orders/{id}/products`,
//! `/shipping_addresses` and `/coupons`) and its earlier Python version (the
//! connection check on `/v3/channels`, `/v3/content/pages`, and each order's
//! `/v3/orders/{id}/transactions`). Nothing of polycart's is in between.

mod common;

use std::collections::BTreeSet;

use common::{Setup, setup_with};
use polycart_kit::decode::parse_datetime;
use polycart_kit::sim::StoreSize;
use serde_json::Value;

const PAGE: usize = 250;
const START: &str = "2020-01-01";

async fn get(s: &Setup, path: &str, params: &[(&str, String)]) -> Vec<Value> {
    let r = reqwest::Client::new()
        .get(format!("{}/{path}", s.server.info.base_url))
        .query(params)
        .header("X-Auth-Token", s.handle.access_token())
        .header("Accept", "application/json")
        .header("Content-Type", "application/json")
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    assert!(status == 200 || status == 204, "{path}: {status}");
    let bytes = r.bytes().await.unwrap();
    if bytes.is_empty() {
        return Vec::new();
    }
    // The manifest's selectors: `data` on v3, the body itself on v2.
    match serde_json::from_slice::<Value>(&bytes).unwrap() {
        Value::Array(items) => items,
        Value::Object(mut o) => match o.remove("data") {
            Some(Value::Array(items)) => items,
            Some(one) => vec![one],
            None => vec![Value::Object(o)],
        },
        other => panic!("{path}: {other}"),
    }
}

/// The manifest's `DefaultPaginator` with `PageIncrement`: the same parameters on
/// every page, plus `page` and `limit`, until a page has fewer than 250 records.
async fn stream(s: &Setup, path: &str, params: &[(&str, String)]) -> Vec<Value> {
    let mut records = Vec::new();
    for page in 1.. {
        let mut query = params.to_vec();
        query.extend([("page", page.to_string()), ("limit", PAGE.to_string())]);
        let items = get(s, path, &query).await;
        let short = items.len() < PAGE;
        records.extend(items);
        if short {
            break;
        }
    }
    records
}

fn ids(records: &[Value]) -> BTreeSet<u64> {
    records.iter().map(|r| r["id"].as_u64().unwrap()).collect()
}

fn modified(records: &[Value]) -> Vec<i64> {
    records
        .iter()
        .map(|r| {
            parse_datetime(r["date_modified"].as_str().unwrap())
                .unwrap()
                .timestamp()
        })
        .collect()
}

#[tokio::test]
async fn a_connector_written_against_the_docs_syncs_unchanged() {
    let size = StoreSize {
        products: 4,
        customers: 260,
        orders: 260,
    };
    let s = setup_with(size, Some("100000/1000ms"), "", &[]).await;
    assert_eq!(get(&s, "v3/channels", &[]).await[0]["type"], "storefront");
    assert!(get(&s, "v2/store", &[]).await[0]["id"].is_string());

    let by_date = |filter: &'static str, since: &str| {
        vec![
            ("sort", "date_modified:asc".to_owned()),
            (filter, since.to_owned()),
        ]
    };
    let customers = stream(&s, "v3/customers", &by_date("date_modified:min", START)).await;
    assert_eq!(customers.len(), 260, "two pages, each record once");
    assert_eq!(ids(&customers).len(), 260);
    assert!(modified(&customers).is_sorted(), "date_modified:asc");
    // The next run starts from the newest record's date.
    let newest = customers.last().unwrap();
    let state = &newest["date_modified"].as_str().unwrap()[..10];
    let again = stream(&s, "v3/customers", &by_date("date_modified:min", state)).await;
    assert!(ids(&again).contains(&newest["id"].as_u64().unwrap()));

    let orders = stream(&s, "v2/orders", &by_date("min_date_modified", START)).await;
    assert_eq!((orders.len(), ids(&orders).len()), (260, 260));
    assert!(modified(&orders).is_sorted(), "date_modified:asc on v2");

    let (mut lines, mut addresses, mut transactions) = (0, 0, 0);
    for o in orders.iter().take(40) {
        let id = o["id"].as_u64().unwrap();
        let products = stream(&s, &format!("v2/orders/{id}/products"), &[]).await;
        assert_eq!(
            products
                .iter()
                .map(|p| p["quantity"].as_u64().unwrap())
                .sum::<u64>(),
            o["items_total"].as_u64().unwrap()
        );
        lines += products.len();
        addresses += stream(&s, &format!("v2/orders/{id}/shipping_addresses"), &[])
            .await
            .len();
        stream(&s, &format!("v2/orders/{id}/coupons"), &[]).await;
        for t in get(&s, &format!("v3/orders/{id}/transactions"), &[]).await {
            assert_eq!(t["order_id"], id.to_string());
            transactions += 1;
        }
    }
    assert!(lines >= 40 && addresses == 40 && transactions > 0);

    assert!(!stream(&s, "v3/content/pages", &[]).await.is_empty());
    let brands = ids(&stream(&s, "v3/catalog/brands", &[]).await);
    // The catalog sorts by a field and a separate direction.
    let catalog = [
        ("sort", "date_modified".to_owned()),
        ("direction", "asc".to_owned()),
        ("date_modified:min", START.to_owned()),
    ];
    let products = stream(&s, "v3/catalog/products", &catalog).await;
    assert_eq!(products.len(), 4);
    for p in &products {
        assert!(
            brands.contains(&p["brand_id"].as_u64().unwrap()),
            "{}",
            p["brand_id"]
        );
    }
}
