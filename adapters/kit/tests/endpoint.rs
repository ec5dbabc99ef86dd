//! The declarative endpoint driver against a local server speaking each paging style:
//! page numbers with a page count in the body, a keyset by modification time over a
//! bare array (`204` past the end), a `Link` header, a token nested in the body, and
//! a GraphQL connection. Each listing is read to its end through `Endpoint::list` or
//! `Endpoint::fetch` and must return every record once.

use std::collections::HashMap;

use axum::Router;
use axum::extract::Query;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use polycart_kit::endpoint::{Call, Endpoint, PathTemplate, Target};
use polycart_kit::envelope::Envelope;
use polycart_kit::model::Category;
use polycart_kit::paging::{
    BodyToken, Bound, Connection, DateFormat, KeyFields, Keyset, LinkHeader, PageNumber, Paging,
    Since, TieBreak, Total,
};
use polycart_kit::transport::{Budget, Transport};
use polycart_kit::{Entity, Error, ListQuery, Record, Result};
use serde_json::value::RawValue;
use serde_json::{Value, json};
use url::Url;

/// 23 records; record `i` was modified at second `100 + i / 5` (five per second).
fn records() -> Vec<Value> {
    (1..=23)
        .map(|i| json!({ "id": i, "name": format!("c{i}"), "modified": 100 + i / 5 }))
        .collect()
}

fn number(q: &HashMap<String, String>, k: &str) -> Option<i64> {
    q.get(k).and_then(|v| v.parse().ok())
}

async fn categories(headers: HeaderMap, Query(q): Query<HashMap<String, String>>) -> Response {
    if q.get("include").map(String::as_str) != Some("x") || headers.get("accept").is_none() {
        return StatusCode::BAD_REQUEST.into_response();
    }
    let (page, limit) = (
        number(&q, "page").unwrap_or(1),
        number(&q, "limit").unwrap_or(5),
    );
    let all = records();
    let pages = (all.len() as i64 + limit - 1) / limit;
    let data: Vec<Value> = all
        .into_iter()
        .skip(((page - 1) * limit) as usize)
        .take(limit as usize)
        .collect();
    axum::Json(json!({ "data": data, "meta": { "pagination": { "total_pages": pages } } }))
        .into_response()
}

async fn orders(Query(q): Query<HashMap<String, String>>) -> Response {
    let (min, max, min_id) = (
        number(&q, "min_m"),
        number(&q, "max_m"),
        number(&q, "min_id"),
    );
    let mut rows: Vec<Value> = records()
        .into_iter()
        .filter(|r| {
            let (m, id) = (r["modified"].as_i64().unwrap(), r["id"].as_i64().unwrap());
            min.is_none_or(|v| m >= v)
                && max.is_none_or(|v| m <= v)
                && min_id.is_none_or(|v| id >= v)
        })
        .collect();
    if q.get("sort").map(String::as_str) == Some("id") {
        rows.sort_by_key(|r| r["id"].as_i64());
    } else {
        // Ties in reverse id order: the keyset must not rely on them.
        rows.sort_by_key(|r| (r["modified"].as_i64(), -r["id"].as_i64().unwrap()));
    }
    let limit = number(&q, "limit").unwrap_or(5) as usize;
    let rows: Vec<Value> = rows.into_iter().take(limit).collect();
    if rows.is_empty() {
        return StatusCode::NO_CONTENT.into_response();
    }
    axum::Json(rows).into_response()
}

async fn links(Query(q): Query<HashMap<String, String>>) -> Response {
    let limit = number(&q, "limit").unwrap_or(5);
    let from = q
        .get("page_info")
        .map(|p| p.trim_start_matches("after-").parse::<i64>().unwrap())
        .unwrap_or(0);
    if from > 0 && q.contains_key("status") {
        // Shopify refuses filters next to `page_info`.
        return StatusCode::BAD_REQUEST.into_response();
    }
    let rows: Vec<Value> = records()
        .into_iter()
        .filter(|r| r["id"].as_i64().unwrap() > from)
        .take(limit as usize)
        .collect();
    let last = rows.last().map(|r| r["id"].as_i64().unwrap()).unwrap_or(0);
    let mut response = axum::Json(json!({ "custom_collections": rows })).into_response();
    if last < 23 {
        let link = format!(
            "<https://elsewhere.example/x.json?limit={limit}&page_info=after-{last}>; rel=\"next\""
        );
        response.headers_mut().insert("link", link.parse().unwrap());
    }
    response
}

async fn tokens(Query(q): Query<HashMap<String, String>>) -> Response {
    let size = number(&q, "page_size").unwrap_or(5);
    let from = number(&q, "cursor").unwrap_or(0);
    let rows: Vec<Value> = records()
        .into_iter()
        .skip(from as usize)
        .take(size as usize)
        .collect();
    let next = from + rows.len() as i64;
    axum::Json(json!({
        "error": "",
        "response": { "more": next < 23, "next_cursor": next.to_string(), "order_list": rows }
    }))
    .into_response()
}

async fn graphql(axum::Json(body): axum::Json<Value>) -> Response {
    let vars = &body["variables"];
    let first = vars["first"].as_i64().unwrap_or(5);
    let after: i64 = vars["after"].as_str().map_or(0, |a| a.parse().unwrap());
    let since = vars["since"].as_str().map(str::to_owned);
    let rows: Vec<Value> = records()
        .into_iter()
        .filter(|r| since.is_none() || r["modified"].as_i64().unwrap() >= 103)
        .filter(|r| r["id"].as_i64().unwrap() > after)
        .collect();
    let page: Vec<Value> = rows.iter().take(first as usize).cloned().collect();
    let end = page.last().map(|r| r["id"].to_string());
    let edges: Vec<Value> = page
        .into_iter()
        .map(|n| json!({ "cursor": n["id"].to_string(), "node": n }))
        .collect();
    axum::Json(json!({ "data": { "collections": {
        "edges": edges,
        "pageInfo": { "hasNextPage": rows.len() as i64 > first, "endCursor": end }
    } } }))
    .into_response()
}

async fn server() -> Url {
    let app = Router::new()
        .route("/api/v3/catalog/categories", get(categories))
        .route("/api/orders", get(orders))
        .route("/api/links", get(links))
        .route("/api/tokens", get(tokens))
        .route("/api/graphql", post(graphql));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}/api/").parse().unwrap()
}

fn category(raw: &RawValue, _: &()) -> Result<Vec<Record>> {
    let v: Value = polycart_kit::error::decode_json(raw.get())?;
    let name = v["name"]
        .as_str()
        .ok_or_else(|| Error::decode("$.name", "not a string"))?;
    let c: Category = serde_json::from_value(json!({
        "platform": "test", "platform_id": v["id"].to_string(), "name": name
    }))
    .map_err(|e| Error::decode("$", e.to_string()))?;
    Ok(vec![c.into()])
}

const fn endpoint(path: &'static str, paging: Paging, envelope: Envelope) -> Endpoint {
    Endpoint {
        path: PathTemplate(path),
        call: Call::Get,
        params: &[],
        headers: &[],
        paging,
        envelope,
        since: None,
        filters: None,
        max_page: 10,
        map: category,
    }
}

fn transport() -> Transport {
    Transport::builder("s", "test")
        .budget(Budget::new(100, 1000.0))
        .build()
}

/// Every record id the endpoint lists, in order, page by page.
async fn read_all(e: &Endpoint, base: &Url, query: ListQuery) -> Vec<String> {
    let t = transport();
    let mut query = query;
    let mut ids = Vec::new();
    for _ in 0..50 {
        let page = e
            .list(Target::new(&t, base), &query, &[], &())
            .await
            .unwrap();
        ids.extend(page.records.iter().map(|r| r.platform_id().to_owned()));
        match page.next {
            Some(next) => query = query.with_cursor(Some(next)),
            None => return ids,
        }
    }
    panic!("no end");
}

fn all_ids() -> Vec<String> {
    (1..=23).map(|i| i.to_string()).collect()
}

#[tokio::test]
async fn page_numbers_with_a_page_count_in_the_body() {
    let base = server().await;
    let e = Endpoint {
        params: &[("include", "x")],
        headers: &[("accept", "application/json")],
        ..endpoint(
            "v3/catalog/categories",
            Paging::PageNumber(PageNumber {
                page: "page",
                size: "limit",
                total_pages: Some(Total::At("/meta/pagination/total_pages")),
            }),
            Envelope::At("/data"),
        )
    };
    let q = ListQuery::new(Entity::Category).page_size(5);
    assert_eq!(read_all(&e, &base, q).await, all_ids());
}

#[tokio::test]
async fn a_keyset_over_a_bare_array() {
    let base = server().await;
    let e = endpoint(
        "orders",
        Paging::Keyset(Keyset {
            since: Bound::Inclusive("min_m"),
            until: Bound::Inclusive("max_m"),
            format: DateFormat::UnixSeconds,
            sort: &[("sort", "modified")],
            limit: "limit",
            exclude: None,
            tie: TieBreak::IdAbove {
                param: "min_id",
                inclusive: true,
                sort: &[("sort", "id")],
            },
            keys: KeyFields {
                id: "id",
                modified: "modified",
            },
        }),
        Envelope::Array,
    );
    // Pages of 3 to 5 over seconds of 4 or 5 records: several seconds are read on their
    // own, and one ends on a full page, after which the platform answers `204`.
    for size in [3, 4, 5] {
        let mut ids = read_all(&e, &base, ListQuery::new(Entity::Order).page_size(size)).await;
        ids.sort_by_key(|i| i.parse::<u32>().unwrap());
        ids.dedup();
        assert_eq!(ids, all_ids(), "pages of {size}");
    }
    let since = chrono::DateTime::from_timestamp(104, 0).unwrap();
    let mut later = read_all(
        &e,
        &base,
        ListQuery::new(Entity::Order)
            .page_size(3)
            .updated_since(since),
    )
    .await;
    later.sort_by_key(|i| i.parse::<u32>().unwrap());
    later.dedup();
    assert_eq!(later, (20..=23).map(|i| i.to_string()).collect::<Vec<_>>());
}

#[tokio::test]
async fn a_link_header_carries_the_filters() {
    let base = server().await;
    let e = Endpoint {
        params: &[("status", "any")],
        ..endpoint(
            "links",
            Paging::Link(LinkHeader { size: "limit" }),
            Envelope::At("/custom_collections"),
        )
    };
    let q = ListQuery::new(Entity::Category).page_size(4);
    assert_eq!(read_all(&e, &base, q).await, all_ids());
}

#[tokio::test]
async fn a_token_nested_in_the_body() {
    let base = server().await;
    let e = endpoint(
        "tokens",
        Paging::Token(BodyToken {
            param: "cursor",
            size: Some("page_size"),
            next: "/response/next_cursor",
            more: Some("/response/more"),
            filters_first_page_only: false,
        }),
        Envelope::At("/response/order_list"),
    );
    let q = ListQuery::new(Entity::Category).page_size(6);
    assert_eq!(read_all(&e, &base, q).await, all_ids());
}

#[tokio::test]
async fn a_graphql_connection() {
    let base = server().await;
    let e = Endpoint {
        call: Call::GraphQl("query($first:Int!,$after:String,$since:String){collections{...}}"),
        since: Some(Since {
            bound: Bound::Inclusive("since"),
            format: DateFormat::Rfc3339,
        }),
        ..endpoint(
            "graphql",
            Paging::Connection(Connection {
                first: "first",
                after: "after",
                page_info: "/data/collections/pageInfo",
            }),
            Envelope::Edges("/data/collections/edges"),
        )
    };
    let q = ListQuery::new(Entity::Category).page_size(7);
    assert_eq!(read_all(&e, &base, q.clone()).await, all_ids());
    let since = chrono::DateTime::from_timestamp(103, 0).unwrap();
    let later = read_all(&e, &base, q.updated_since(since)).await;
    assert_eq!(later, (15..=23).map(|i| i.to_string()).collect::<Vec<_>>());
}

#[tokio::test]
async fn a_record_that_does_not_map_is_named_by_its_place() {
    let base = server().await;
    fn picky(raw: &RawValue, ctx: &()) -> Result<Vec<Record>> {
        if raw.get().contains(r#""id":7,"#) {
            return Err(Error::decode("$.name", "refused"));
        }
        category(raw, ctx)
    }
    let e = Endpoint {
        params: &[("include", "x")],
        headers: &[("accept", "application/json")],
        map: picky,
        ..endpoint(
            "v3/catalog/categories",
            Paging::PageNumber(PageNumber {
                page: "page",
                size: "limit",
                total_pages: None,
            }),
            Envelope::At("/data"),
        )
    };
    let t = transport();
    let q = ListQuery::new(Entity::Category)
        .page_size(5)
        .with_cursor(Some(polycart_kit::Cursor::new(r#"{"page":2}"#)));
    let err = e
        .list(Target::new(&t, &base), &q, &[], &())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Decode { path, .. } if path == "$.data[1].name"),
        "{err:?}"
    );
    // A cursor of another strategy is refused, never misread.
    let q = q.with_cursor(Some(polycart_kit::Cursor::new(r#"{"token":"x"}"#)));
    assert!(matches!(
        e.list(Target::new(&t, &base), &q, &[], &()).await,
        Err(Error::Invalid { .. })
    ));
}
