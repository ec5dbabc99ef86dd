//! The simulator's bulk operations against Shopify's bulk operations guide, without
//! sockets: the query rules, one slot before 2026-01 and five from it, grouped and
//! ungrouped JSONL with `__parentId`, `objectCount`/`rootObjectCount`/`fileSize`,
//! `url` null for an empty result, failures with `partialDataUrl`, cancelling,
//! expiry, `bulkOperation(id:)` from 2026-01 and `node(id:)` on every version.

mod common;

use std::collections::HashMap;

use common::app::{download, gql_on, sim};
use serde_json::{Value, json};

const RUN: &str = "mutation($q: String!, $g: Boolean) { bulkOperationRunQuery(query: $q, groupObjects: $g) { bulkOperation { id status } userErrors { field message code } } }";
const ORDERS: &str =
    "{ orders { edges { node { id name lineItems { edges { node { id quantity } } } } } } }";
const POLL: &str = "query($id: ID!) { node(id: $id) { ... on BulkOperation { id status errorCode objectCount rootObjectCount fileSize url partialDataUrl type } } }";

async fn run(
    app: &axum::Router,
    token: &str,
    version: &str,
    query: &str,
    group: Option<bool>,
) -> Value {
    let (status, body) = gql_on(app, token, version, RUN, json!({"q": query, "g": group})).await;
    assert_eq!(status, 200);
    body["data"]["bulkOperationRunQuery"].clone()
}

/// Polls until the operation is no longer running.
async fn finished(app: &axum::Router, token: &str, id: &str) -> Value {
    for _ in 0..500 {
        let (_, body) = gql_on(app, token, "2026-01", POLL, json!({"id": id})).await;
        let op = body["data"]["node"].clone();
        if !matches!(
            op["status"].as_str(),
            Some("CREATED" | "RUNNING" | "CANCELING")
        ) {
            return op;
        }
        tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    }
    panic!("bulk operation {id} never finished");
}

fn path_of(url: &Value) -> String {
    url.as_str()
        .unwrap()
        .trim_start_matches("http://shop.test")
        .to_owned()
}

#[tokio::test]
async fn bulk_queries_are_checked_against_the_guides_rules() {
    let (state, app) = sim();
    let t = state.access_token.clone();
    let refused = run(
        &app,
        &t,
        "2026-01",
        "{ orders { edges { node { id refunds { id refundLineItems { edges { node { quantity } } } } } } } }",
        None,
    )
    .await;
    assert!(refused["bulkOperation"].is_null());
    assert_eq!(refused["userErrors"][0]["code"], "INVALID");
    assert_eq!(refused["userErrors"][0]["field"], json!(["query"]));
    assert!(
        refused["userErrors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("connection field within a list field"),
        "{refused}"
    );
    let no_connection = run(&app, &t, "2026-01", "{ shop { name } }", None).await;
    assert!(
        no_connection["userErrors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("at least one connection")
    );
    let accepted = run(&app, &t, "2026-01", ORDERS, None).await;
    assert_eq!(accepted["userErrors"], json!([]));
    assert_eq!(accepted["bulkOperation"]["status"], "CREATED");
}

#[tokio::test]
async fn one_bulk_query_at_a_time_before_2026_01_and_five_from_it() {
    let (state, app) = sim();
    let t = state.access_token.clone();
    state.hold_bulk_operations(true);
    let first = run(&app, &t, "2025-10", ORDERS, None).await;
    assert!(first["bulkOperation"]["id"].is_string());
    let second = run(&app, &t, "2025-10", ORDERS, None).await;
    assert_eq!(
        second["userErrors"][0]["code"], "OPERATION_IN_PROGRESS",
        "{second}"
    );
    assert!(
        second["userErrors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("already in progress")
    );

    for _ in 0..4 {
        let more = run(&app, &t, "2026-01", ORDERS, None).await;
        assert_eq!(more["userErrors"], json!([]), "{more}");
    }
    let sixth = run(&app, &t, "2026-01", ORDERS, None).await;
    assert_eq!(sixth["userErrors"][0]["code"], "LIMIT_REACHED", "{sixth}");
    assert_eq!(state.bulk_operations_created(), 5);
}

#[tokio::test]
async fn results_are_jsonl_grouped_on_request_and_ungrouped_by_default_from_2026_01() {
    let (state, app) = sim();
    let t = state.access_token.clone();
    let mut files = HashMap::new();
    for (version, group) in [
        ("2025-10", None),
        ("2026-01", None),
        ("2026-01", Some(true)),
    ] {
        let started = run(&app, &t, version, ORDERS, group).await;
        let id = started["bulkOperation"]["id"].as_str().unwrap().to_owned();
        let op = finished(&app, &t, &id).await;
        assert_eq!(op["status"], "COMPLETED");
        assert_eq!(op["type"], "QUERY");
        let (status, text) = download(&app, &path_of(&op["url"])).await;
        assert_eq!(status, 200, "the signed URL needs no token");
        let lines: Vec<Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(op["objectCount"], lines.len().to_string());
        assert_eq!(op["fileSize"], text.len().to_string());
        let roots = lines
            .iter()
            .filter(|l| l.get("__parentId").is_none())
            .count();
        assert_eq!(op["rootObjectCount"], roots.to_string());
        assert_eq!(roots, 12);
        files.insert((version, group), lines);
    }
    // Grouped: every child right after its parent's group.
    let grouped_ok = |lines: &[Value]| {
        let mut parent = None;
        lines
            .iter()
            .all(|l| match l.get("__parentId").and_then(Value::as_str) {
                None => {
                    parent = l["id"].as_str();
                    true
                }
                Some(p) => Some(p) == parent,
            })
    };
    assert!(
        grouped_ok(&files[&("2025-10", None)]),
        "2025-10 groups by default"
    );
    assert!(grouped_ok(&files[&("2026-01", Some(true))]));
    assert!(
        !grouped_ok(&files[&("2026-01", None)]),
        "2026-01 does not group by default"
    );
}

#[tokio::test]
async fn empty_failed_cancelled_and_expired_operations_read_like_shopifys() {
    let (state, app) = sim();
    let t = state.access_token.clone();
    // Nothing matched: completed, no file, `url` null.
    let empty = run(
        &app,
        &t,
        "2026-01",
        "{ orders(query: \"updated_at:>'2100-01-01T00:00:00Z'\") { edges { node { id } } } }",
        None,
    )
    .await;
    let op = finished(&app, &t, empty["bulkOperation"]["id"].as_str().unwrap()).await;
    assert_eq!(op["status"], "COMPLETED");
    assert_eq!(op["objectCount"], "0");
    assert!(op["url"].is_null(), "{op}");

    // A failure leaves partial data behind.
    state.fail_next_bulk_operation("TIMEOUT");
    let failing = run(&app, &t, "2026-01", ORDERS, None).await;
    let op = finished(&app, &t, failing["bulkOperation"]["id"].as_str().unwrap()).await;
    assert_eq!(op["status"], "FAILED");
    assert_eq!(op["errorCode"], "TIMEOUT");
    assert!(op["url"].is_null());
    let (status, partial) = download(&app, &path_of(&op["partialDataUrl"])).await;
    assert_eq!(status, 200);
    assert!(partial.lines().count() > 0);

    // Cancelled before it ran.
    state.hold_bulk_operations(true);
    let held = run(&app, &t, "2026-01", ORDERS, None).await;
    let id = held["bulkOperation"]["id"].as_str().unwrap().to_owned();
    let (_, body) = gql_on(&app, &t, "2026-01", "mutation($id: ID!) { bulkOperationCancel(id: $id) { bulkOperation { status } userErrors { message } } }", json!({"id": id})).await;
    assert_eq!(
        body["data"]["bulkOperationCancel"]["bulkOperation"]["status"], "CANCELED",
        "{body}"
    );
    state.hold_bulk_operations(false);
    assert_eq!(finished(&app, &t, &id).await["status"], "CANCELED");

    // `bulkOperation(id:)` came with 2026-01; `currentBulkOperation` names the latest.
    let by_id =
        "query($id: ID!) { bulkOperation(id: $id) { id status } currentBulkOperation { id } }";
    let (_, old) = gql_on(&app, &t, "2025-10", by_id, json!({"id": id})).await;
    assert!(old["errors"].is_array(), "{old}");
    let (_, new) = gql_on(&app, &t, "2026-01", by_id, json!({"id": id})).await;
    assert_eq!(new["data"]["bulkOperation"]["status"], "CANCELED", "{new}");
    assert_eq!(new["data"]["currentBulkOperation"]["id"], id.as_str());

    // Results are kept a week.
    let done = run(&app, &t, "2026-01", ORDERS, None).await;
    let done_id = done["bulkOperation"]["id"].as_str().unwrap().to_owned();
    let op = finished(&app, &t, &done_id).await;
    let url = path_of(&op["url"]);
    state.expire_bulk_operations();
    let op = finished(&app, &t, &done_id).await;
    assert_eq!(op["status"], "EXPIRED");
    assert!(op["url"].is_null());
    assert_eq!(download(&app, &url).await.0, 404);
}

#[tokio::test]
async fn mutations_nodes_and_counts_follow_shopifys_rules() {
    let (state, app) = sim();
    let t = state.access_token.clone();
    let (_, body) = gql_on(&app, &t, "2026-01", RUN, json!({"q": ORDERS})).await;
    let cost = &body["extensions"]["cost"];
    // A mutation costs 10 and its payload nothing (Shopify's `webPixelCreate`
    // example, `userErrors` and `webPixel` selected, costs 10 requested and actual).
    assert_eq!(cost["requestedQueryCost"], 10.0, "{cost}");
    assert_eq!(cost["actualQueryCost"], 10.0, "{cost}");

    let (_, body) = gql_on(
        &app,
        &t,
        "2026-01",
        "{ orders(first: 2) { nodes { id } } }",
        Value::Null,
    )
    .await;
    let ids: Vec<Value> = body["data"]["orders"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].clone())
        .collect();
    let (_, body) = gql_on(
        &app,
        &t,
        "2026-01",
        "query($ids: [ID!]!) { nodes(ids: $ids) { id ... on Order { name } } node(id: \"gid://shopify/Order/1\") { id } }",
        json!({"ids": ids}),
    )
    .await;
    assert_eq!(body["data"]["nodes"][0]["id"], ids[0], "{body}");
    assert!(body["data"]["nodes"][1]["name"].is_string());
    assert!(body["data"]["node"].is_null(), "an unknown id is null");

    // Counts stop at `limit` (10,000 unless given; `null` for none).
    let (_, body) = gql_on(
        &app,
        &t,
        "2026-01",
        "{ a: ordersCount(limit: 5) { count precision } b: ordersCount(limit: null) { count precision } c: ordersCount { count precision } }",
        Value::Null,
    )
    .await;
    let d = &body["data"];
    assert_eq!(
        d["a"],
        json!({"count": 5, "precision": "AT_LEAST"}),
        "{body}"
    );
    assert_eq!(d["b"], json!({"count": 12, "precision": "EXACT"}));
    assert_eq!(d["c"], json!({"count": 12, "precision": "EXACT"}));
}

#[tokio::test]
async fn bulk_queries_are_validated_and_answered_against_the_real_schema() {
    let (state, app) = sim();
    let t = state.access_token.clone();
    let refused = run(
        &app,
        &t,
        "2026-01",
        "{ orders { edges { node { id nope } } } }",
        None,
    )
    .await;
    assert!(refused["bulkOperation"].is_null());
    assert_eq!(refused["userErrors"][0]["code"], "INVALID");
    assert_eq!(
        refused["userErrors"][0]["message"],
        "Invalid bulk query: Field 'nope' doesn't exist on type 'Order'"
    );
    // `Order.checkoutToken` is a 2026-07 field: refused on 2026-01, answered on 2026-07.
    let token_query = "{ orders { edges { node { id checkoutToken } } } }";
    let old = run(&app, &t, "2026-01", token_query, None).await;
    assert_eq!(old["userErrors"][0]["code"], "INVALID");

    // Fields the simulator has no data for come back as for an empty store.
    let q = "{ customers { edges { node { id multipassIdentifier verifiedEmail defaultAddress { id timeZone }
        metafields { edges { node { key } } } } } } }";
    let started = run(&app, &t, "2026-07", q, None).await;
    assert!(
        started["userErrors"].as_array().unwrap().is_empty(),
        "{started}"
    );
    let id = started["bulkOperation"]["id"].as_str().unwrap().to_owned();
    let op = finished(&app, &t, &id).await;
    assert_eq!(op["status"], "COMPLETED");
    let (_, text) = download(&app, &path_of(&op["url"])).await;
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 5, "customers only: no metafields to list");
    for l in &lines {
        assert_eq!(l["multipassIdentifier"], Value::Null);
        assert_eq!(l["verifiedEmail"], false);
        assert_eq!(l["defaultAddress"]["timeZone"], Value::Null, "{l}");
        assert!(l.get("metafields").is_none(), "{l}");
    }
    let started = run(&app, &t, "2026-07", token_query, None).await;
    assert!(
        started["userErrors"].as_array().unwrap().is_empty(),
        "{started}"
    );
}
