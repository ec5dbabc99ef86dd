//! The simulator's GraphQL Admin API, checked without sockets: Shopify's field names,
//! cursor paging, search filters, `extensions.cost` and throttling.

mod common;

use common::app::{gql, sim};
use serde_json::{Value, json};

const ORDERS: &str = "query($first: Int!, $after: String, $q: String) {
  orders(first: $first, after: $after, query: $q, sortKey: UPDATED_AT) {
    edges { cursor node { id name updatedAt totalPriceSet { shopMoney { amount currencyCode } }
      lineItems(first: 5) { nodes { id quantity variant { id } } } } }
    pageInfo { hasNextPage endCursor }
  }
}";

#[tokio::test]
async fn pages_orders_with_shopify_names_and_reports_cost() {
    let (state, app) = sim();
    let t = state.access_token.clone();
    let (status, _) = gql(&app, "nope", "{ shop { name } }", Value::Null).await;
    assert_eq!(status, 401);

    let mut after: Option<String> = None;
    let mut ids = Vec::new();
    loop {
        let (status, body) = gql(&app, &t, ORDERS, json!({"first": 5, "after": after})).await;
        assert_eq!(status, 200);
        assert!(body.get("errors").is_none(), "{body}");
        let cost = &body["extensions"]["cost"];
        // orders: 2 + 5 × (order 1 + totalPriceSet/shopMoney 2 + lineItems (2 + 5 × (node 1 + variant 1))).
        assert_eq!(
            cost["requestedQueryCost"],
            2.0 + 5.0 * (1.0 + 2.0 + (2.0 + 5.0 * 2.0)),
            "{cost}"
        );
        assert!(
            cost["actualQueryCost"].as_f64().unwrap()
                <= cost["requestedQueryCost"].as_f64().unwrap()
        );
        assert_eq!(cost["throttleStatus"]["maximumAvailable"], 2000.0);
        assert_eq!(cost["throttleStatus"]["restoreRate"], 100.0);
        let orders = &body["data"]["orders"];
        for e in orders["edges"].as_array().unwrap() {
            assert!(
                e["node"]["id"]
                    .as_str()
                    .unwrap()
                    .starts_with("gid://shopify/Order/")
            );
            ids.push(e["node"]["id"].as_str().unwrap().to_owned());
        }
        if !orders["pageInfo"]["hasNextPage"].as_bool().unwrap() {
            break;
        }
        after = orders["pageInfo"]["endCursor"].as_str().map(str::to_owned);
    }
    assert_eq!(ids.len(), 12);

    let now = chrono::Utc::now();
    let touched = state.store().touch_some(2, 2, now);
    let q = format!(
        "updated_at:>'{}'",
        (now - chrono::Duration::seconds(1)).to_rfc3339()
    );
    let (_, body) = gql(&app, &t, ORDERS, json!({"first": 50, "q": q})).await;
    let mut got: Vec<String> = body["data"]["orders"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["id"].as_str().unwrap().to_owned())
        .collect();
    let mut want: Vec<String> = touched
        .iter()
        .map(|id| format!("gid://shopify/Order/{id}"))
        .collect();
    got.sort();
    want.sort();
    want.dedup();
    assert_eq!(got, want);

    let (_, body) = gql(
        &app,
        &t,
        "{ currentAppInstallation { accessScopes { handle } } ordersCount { count } }",
        Value::Null,
    )
    .await;
    assert_eq!(body["data"]["ordersCount"]["count"], 12);
    assert!(
        body["data"]["currentAppInstallation"]["accessScopes"]
            .as_array()
            .unwrap()
            .len()
            > 3
    );
}

#[tokio::test]
async fn expensive_queries_are_refused_and_an_empty_bucket_throttles() {
    let (state, app) = sim();
    let t = state.access_token.clone();
    let (status, body) = gql(&app, &t, ORDERS, json!({"first": 250})).await;
    assert_eq!(status, 200);
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "MAX_COST_EXCEEDED",
        "{body}"
    );

    // 2000 points: a 997-point query fits twice, then THROTTLED until 100/s restore.
    let heavy = "{ a: products(first: 249) { nodes { id } } b: products(first: 249) { nodes { id } } c: products(first: 249) { nodes { id } } d: products(first: 240) { nodes { id } } }";
    let mut throttled = None;
    for _ in 0..400 {
        let (status, body) = gql(&app, &t, heavy, Value::Null).await;
        assert_eq!(status, 200);
        if body["errors"][0]["extensions"]["code"] == "THROTTLED" {
            throttled = Some(body);
            break;
        }
    }
    // Each query takes its requested cost up front and gets back what it did not use,
    // so the bucket drains by the actual cost until the requested one no longer fits.
    let body = throttled.expect("an empty bucket throttles");
    let status = &body["extensions"]["cost"]["throttleStatus"];
    assert!(
        status["currentlyAvailable"].as_f64().unwrap() < 1000.0,
        "{body}"
    );
    assert_eq!(
        body["extensions"]["cost"]["requestedQueryCost"],
        3.0 * (2.0 + 249.0) + 2.0 + 240.0
    );
}
