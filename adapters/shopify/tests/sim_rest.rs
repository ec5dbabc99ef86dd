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

/// Every order's id, following `Link: rel="next"` from `uri`.
async fn all_pages(app: &axum::Router, token: &str, uri: &str) -> Vec<Value> {
    let mut uri = uri.to_owned();
    let mut seen = Vec::new();
    loop {
        let (status, headers, body) = get(app, token, &uri).await;
        assert_eq!(status, StatusCode::OK, "{uri}: {body}");
        seen.extend(body["orders"].as_array().unwrap().iter().cloned());
        match next_link(&headers) {
            Some(next) => uri = next,
            None => return seen,
        }
    }
}

fn ids(orders: &[Value]) -> Vec<u64> {
    let mut ids: Vec<u64> = orders.iter().map(|o| o["id"].as_u64().unwrap()).collect();
    ids.sort();
    ids
}

#[tokio::test]
async fn date_filters_read_every_iso_8601_form_and_zone_less_values_in_the_shop_zone() {
    let (state, app) = sim(Some("plus"));
    let t = state.access_token.clone();
    let truth: Vec<(u64, chrono::DateTime<chrono::Utc>)> = state
        .store()
        .orders
        .iter()
        .map(|o| (o.id, o.updated_at))
        .collect();
    let base = "/admin/api/2026-10/orders.json?limit=250&status=any";
    // The request a widely used connector sends: a bare date, ascending by updated_at.
    let (status, _, body) = get(
        &app,
        &t,
        &format!("{base}&order=updated_at+asc&updated_at_min=2000-01-01"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["orders"].as_array().unwrap().len(), truth.len());

    // One order's updated_at as the REST API writes it (shop offset), and in other forms.
    let all = all_pages(&app, &t, base).await;
    let mut stamps: Vec<&str> = all
        .iter()
        .map(|o| o["updated_at"].as_str().unwrap())
        .collect();
    stamps.sort_by_key(|s| chrono::DateTime::parse_from_rfc3339(s).unwrap());
    let pivot = stamps[stamps.len() / 2];
    let instant = chrono::DateTime::parse_from_rfc3339(pivot)
        .unwrap()
        .with_timezone(&chrono::Utc);
    let want: Vec<u64> = {
        let mut w: Vec<u64> = truth
            .iter()
            .filter(|(_, u)| *u >= instant)
            .map(|(id, _)| *id)
            .collect();
        w.sort();
        w
    };
    let zone_less = &pivot[..19];
    let forms = [
        pivot.replace('+', "%2B"),
        instant.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        instant
            .with_timezone(&chrono::FixedOffset::east_opt(2 * 3600).unwrap())
            .format("%Y-%m-%dT%H:%M:%S%%2B02:00")
            .to_string(),
        zone_less.to_owned(),
        zone_less.replace('T', "%20"),
    ];
    for form in &forms {
        let found = all_pages(&app, &t, &format!("{base}&updated_at_min={form}")).await;
        assert_eq!(ids(&found), want, "updated_at_min={form}");
    }
    // A date alone is the shop's midnight: every order updated on or after that local day.
    let day = &pivot[..10];
    let on_or_after: Vec<u64> = {
        let mut w: Vec<u64> = all
            .iter()
            .filter(|o| &o["updated_at"].as_str().unwrap()[..10] >= day)
            .map(|o| o["id"].as_u64().unwrap())
            .collect();
        w.sort();
        w
    };
    let found = all_pages(&app, &t, &format!("{base}&updated_at_min={day}")).await;
    assert_eq!(ids(&found), on_or_after);
    let before: Vec<u64> = {
        let mut w: Vec<u64> = truth
            .iter()
            .filter(|(_, u)| *u <= instant)
            .map(|(id, _)| *id)
            .collect();
        w.sort();
        w
    };
    let found = all_pages(&app, &t, &format!("{base}&updated_at_max={zone_less}")).await;
    assert_eq!(ids(&found), before, "updated_at_max takes the same forms");

    // What is not a date is refused as Shopify refuses it.
    for bad in ["yesterday", "2026-13-01", "2026-02-30T10:00:00"] {
        let (status, _, body) = get(&app, &t, &format!("{base}&updated_at_min={bad}")).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        assert_eq!(body["errors"]["updated_at_min"][0], "is not a valid date");
    }
}

#[tokio::test]
async fn order_param_sorts_every_page_of_a_listing() {
    let (state, app) = sim(Some("plus"));
    let t = state.access_token.clone();
    let total = state.store().orders.len();
    for (order, descending) in [
        ("updated_at+asc", false),
        ("updated_at%20desc", true),
        ("created_at+desc", true),
    ] {
        let field = if order.starts_with("updated") {
            "updated_at"
        } else {
            "created_at"
        };
        let found = all_pages(
            &app,
            &t,
            &format!("/admin/api/2026-10/orders.json?limit=7&status=any&order={order}"),
        )
        .await;
        assert_eq!(ids(&found).len(), total, "{order}");
        let mut deduped = ids(&found);
        deduped.dedup();
        assert_eq!(deduped.len(), total, "{order}: no order twice");
        let times: Vec<_> = found
            .iter()
            .map(|o| chrono::DateTime::parse_from_rfc3339(o[field].as_str().unwrap()).unwrap())
            .collect();
        let sorted = times.windows(2).all(|w| {
            if descending {
                w[0] >= w[1]
            } else {
                w[0] <= w[1]
            }
        });
        assert!(sorted, "{order}: {times:?}");
    }
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
