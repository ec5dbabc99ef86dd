//! The simulator's REST wire behaviour, checked without sockets: auth, versions,
//! open-only orders, `page_info` paging frozen to its filters, the call-limit header
//! and 429s with `Retry-After`.

use std::sync::Arc;

use axum::body::Body;
use http::{Request, StatusCode};
use polycart_kit::sim::{FaultSpec, Faults, SimOptions, StoreSize};
use polycart_shopify::sim::{SimState, router};
use serde_json::Value;
use tower::ServiceExt;

fn sim(plan: Option<&str>) -> (Arc<SimState>, axum::Router) {
    let options = SimOptions {
        seed: 3,
        size: StoreSize {
            products: 12,
            customers: 10,
            orders: 40,
        },
        plan: plan.map(str::to_owned),
        faults: FaultSpec::none(),
    };
    let state = SimState::new(&options);
    let faults = Faults::new(FaultSpec::none(), 3);
    (state.clone(), router(state, &faults))
}

async fn get(app: &axum::Router, token: &str, uri: &str) -> (StatusCode, http::HeaderMap, Value) {
    let req = Request::get(uri)
        .header("x-shopify-access-token", token)
        .header("host", "shop.test")
        .body(Body::empty())
        .unwrap();
    let res = app.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let bytes = axum::body::to_bytes(res.into_body(), usize::MAX)
        .await
        .unwrap();
    (
        status,
        headers,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

fn next_link(headers: &http::HeaderMap) -> Option<String> {
    let link = headers.get("link")?.to_str().ok()?;
    link.split(", ")
        .find(|l| l.ends_with("rel=\"next\""))
        .map(|l| {
            let url = &l[1..l.find('>').unwrap()];
            url.trim_start_matches("http://shop.test").to_owned()
        })
}

#[tokio::test]
async fn auth_versions_and_the_call_limit_header() {
    let (state, app) = sim(None);
    let (status, _, _) = get(&app, "wrong", "/admin/api/2026-01/shop.json").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, headers, body) =
        get(&app, &state.access_token, "/admin/api/2024-10/shop.json").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["x-shopify-shop-api-call-limit"], "1/40");
    assert!(body["shop"]["currency"].is_string());
    let (status, _, _) = get(&app, &state.access_token, "/admin/api/latest/shop.json").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _, body) = get(&app, &state.access_token, "/admin/oauth/access_scopes.json").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        body["access_scopes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["handle"] == "read_orders")
    );
}

#[tokio::test]
async fn orders_are_open_only_unless_status_any_and_pages_follow_links() {
    let (state, app) = sim(Some("plus"));
    let t = state.access_token.clone();
    let (_, _, all) = get(&app, &t, "/admin/api/2026-01/orders/count.json?status=any").await;
    let (_, _, open) = get(&app, &t, "/admin/api/2026-01/orders/count.json").await;
    assert_eq!(all["count"], 40);
    assert!(
        open["count"].as_u64().unwrap() < 40,
        "some generated orders are closed or cancelled"
    );

    let mut uri = "/admin/api/2026-01/orders.json?status=any&limit=7".to_owned();
    let mut seen = Vec::new();
    loop {
        let (status, headers, body) = get(&app, &t, &uri).await;
        assert_eq!(status, StatusCode::OK, "{uri}: {body}");
        seen.extend(
            body["orders"]
                .as_array()
                .unwrap()
                .iter()
                .map(|o| o["id"].as_u64().unwrap()),
        );
        match next_link(&headers) {
            Some(next) => uri = next,
            None => break,
        }
    }
    assert_eq!(seen.len(), 40);
    let mut dedup = seen.clone();
    dedup.dedup();
    assert_eq!(dedup.len(), 40);

    // page_info carries its filters: adding one is refused, and a foreign token too.
    let (_, headers, _) = get(
        &app,
        &t,
        "/admin/api/2026-01/orders.json?status=any&limit=5",
    )
    .await;
    let next = next_link(&headers).unwrap();
    let (status, _, _) = get(&app, &t, &format!("{next}&status=open")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let token = next.split("page_info=").nth(1).unwrap();
    let (status, _, _) = get(
        &app,
        &t,
        &format!("/admin/api/2026-01/products.json?page_info={token}"),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _, _) = get(&app, &t, "/admin/api/2026-01/orders.json?limit=251").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn updated_at_min_filters() {
    let (state, app) = sim(None);
    let now = chrono::Utc::now();
    let touched = state.store().touch_some(9, 3, now);
    let since = (now - chrono::Duration::seconds(1)).to_rfc3339();
    let uri = format!(
        "/admin/api/2026-01/orders.json?status=any&updated_at_min={}",
        since.replace('+', "%2B")
    );
    let (status, _, body) = get(&app, &state.access_token, &uri).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let mut ids: Vec<u64> = body["orders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_u64().unwrap())
        .collect();
    let mut want = touched.clone();
    ids.sort();
    want.sort();
    want.dedup();
    assert_eq!(ids, want);
}

#[tokio::test]
async fn a_full_bucket_answers_429_with_retry_after() {
    let (state, app) = sim(None);
    let mut limited = None;
    for _ in 0..45 {
        let (status, headers, _) = get(
            &app,
            &state.access_token,
            "/admin/api/2026-01/locations.json",
        )
        .await;
        if status == StatusCode::TOO_MANY_REQUESTS {
            limited = Some(headers);
            break;
        }
    }
    let headers = limited.expect("the 40-request bucket overflows within 45 quick requests");
    let wait: f64 = headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!(wait > 0.0 && wait <= 2.0, "{wait}");
    assert_eq!(headers["x-shopify-shop-api-call-limit"], "40/40");
}

#[tokio::test]
async fn deletions_are_listed_in_events_json() {
    let (state, app) = sim(Some("plus"));
    let t = state.access_token.clone();
    let id = state.store().products[0].id;
    let req = Request::delete(format!("/admin/api/2026-01/products/{id}.json"))
        .header("x-shopify-access-token", &t)
        .body(Body::empty())
        .unwrap();
    let res = app.clone().oneshot(req).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let (status, _, _) = get(&app, &t, &format!("/admin/api/2026-01/products/{id}.json")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _, body) = get(
        &app,
        &t,
        "/admin/api/2026-01/events.json?filter=Product&verb=destroy",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let events = body["events"].as_array().unwrap();
    assert_eq!(events.len(), 1, "{body}");
    assert_eq!(events[0]["subject_id"], id);
    assert_eq!(events[0]["subject_type"], "Product");
    let (_, _, none) = get(&app, &t, "/admin/api/2026-01/events.json?filter=Order").await;
    assert_eq!(none["events"], serde_json::json!([]));
}
