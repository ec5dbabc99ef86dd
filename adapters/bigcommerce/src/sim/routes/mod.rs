//! The simulator's endpoints: v2 orders (list with filters, sort, `include` of
//! consignments and `204` past the end, count, one order, status `PUT`, sub-resources,
//! consignments, shipping quotes, shipments), `/v2/time`,
//! `/v2/store`, `/v2/order_statuses`; v3 catalog products (the catalog's id filters
//! `id:in`, `id:not_in`, `id:min`, `id:max`, `id:greater`, `id:less`, dates, `sort`)
//! and variants (reads and price `PUT`s), order refunds (payment actions), categories and trees, customers,
//! inventory items, locations and adjustments, and `/v3/hooks`. Writes fire the
//! matching thin webhooks.

// Handlers answer errors as ready responses; their size does not matter on this cold path.
#![allow(clippy::result_large_err)]

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use chrono::{DateTime, NaiveDate, Utc};
use http::StatusCode;
use polycart_kit::decode::parse_datetime;
use polycart_kit::model::parse_decimal;
use polycart_kit::sim::{
    SimFulfillment, SimOrder, SimProduct, SimProductStatus, SimShipment, SimStore,
};
use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::render::{self, Include};
use super::{Hook, Sim, now};

mod catalog;
mod customers;
mod hooks;
mod inventory;
mod orders;

pub(super) use catalog::*;
pub(super) use customers::*;
pub(super) use hooks::*;
pub(super) use inventory::*;
pub(super) use orders::*;

type Params = Query<HashMap<String, String>>;
type St = State<Arc<Sim>>;

pub(super) fn router() -> Router<Arc<Sim>> {
    Router::new()
        .route("/v2/time", get(time))
        .route("/v2/store", get(store_info))
        .route("/v2/order_statuses", get(order_statuses))
        .route("/v2/orders", get(orders))
        .route("/v2/orders/count", get(orders_count))
        .route("/v2/orders/{id}", get(order).put(order_put))
        .route(
            "/v2/orders/{id}/shipments",
            get(shipments).post(shipment_post),
        )
        .route("/v2/orders/{id}/shipments/{sid}", get(shipment_get))
        .route("/v2/orders/{id}/consignments", get(consignments))
        .route(
            "/v2/orders/{id}/consignments/shipping/{cid}/shipping_quotes",
            get(shipping_quotes),
        )
        .route(
            "/v2/orders/{id}/shipping_addresses/{aid}/shipping_quotes",
            get(shipping_quotes),
        )
        .route(
            "/v2/orders/{id}/shippingaddresses/{aid}/shippingquotes",
            get(shipping_quotes),
        )
        .route("/v2/orders/{id}/{sub}", get(order_sub))
        .route("/v2/orders/{id}/{sub}/{item}", get(order_sub_item))
        .route(
            "/v3/orders/{id}/payment_actions/refunds",
            get(order_refunds),
        )
        .route("/v3/catalog/products", get(products))
        .route("/v3/catalog/products/{id}", get(product).put(product_put))
        .route("/v3/catalog/products/{id}/variants", get(product_variants))
        .route(
            "/v3/catalog/products/{id}/variants/{vid}",
            get(variant).put(variant_put),
        )
        .route("/v3/catalog/variants", get(all_variants))
        .route("/v3/catalog/categories", get(categories))
        .route("/v3/catalog/categories/{id}", get(category))
        .route("/v3/catalog/categories/tree", get(category_tree))
        .route("/v3/catalog/trees", get(trees))
        .route("/v3/catalog/trees/categories", get(tree_categories))
        .route("/v3/customers", get(customers))
        .route("/v3/customers/addresses", get(customer_addresses))
        .route("/v3/inventory/items", get(inventory_items))
        .route("/v3/inventory/locations", get(locations))
        .route("/v3/inventory/adjustments/absolute", put(adjust_absolute))
        .route("/v3/inventory/adjustments/relative", post(adjust_relative))
        .route("/v3/hooks", get(hooks).post(hook_post))
        .route("/v3/hooks/{id}", axum::routing::delete(hook_delete))
        .merge(super::extras::router())
        .fallback(unknown)
}

/// Paths the simulator does not serve answer like BigCommerce's unknown resources (and,
/// behind the same layers, carry the rate-limit headers).
pub(in crate::sim) async fn unknown() -> Response {
    v3_error(
        StatusCode::NOT_FOUND,
        "The requested resource was not found.",
    )
}

// ------------------------------------------------------------------ helpers

pub(in crate::sim) fn v2_error(status: StatusCode, message: impl Into<String>) -> Response {
    (
        status,
        Json(json!([{ "status": status.as_u16(), "message": message.into() }])),
    )
        .into_response()
}

pub(super) fn v3_error(status: StatusCode, title: impl Into<String>) -> Response {
    let body = json!({
        "status": status.as_u16(),
        "title": title.into(),
        "type": "https://developer.bigcommerce.com/api-docs/getting-started/api-status-codes",
        "errors": {},
    });
    (status, Json(body)).into_response()
}

type Reply = Result<Response, Response>;

/// `page` (from 1) and `limit` (default `default`, at most `max`).
pub(super) fn paging(
    q: &HashMap<String, String>,
    default: usize,
    max: usize,
) -> Result<(usize, usize), String> {
    let page = match q.get("page") {
        Some(p) => p
            .parse::<usize>()
            .ok()
            .filter(|p| *p >= 1)
            .ok_or_else(|| format!("page {p:?} is not a page number"))?,
        None => 1,
    };
    let limit = match q.get("limit") {
        Some(l) => l
            .parse::<usize>()
            .ok()
            .filter(|l| *l >= 1)
            .ok_or_else(|| format!("limit {l:?} is not a positive number"))?,
        None => default,
    };
    Ok((page, limit.min(max)))
}

pub(super) fn slice<T>(items: &[T], page: usize, limit: usize) -> &[T] {
    let start = (page - 1).saturating_mul(limit).min(items.len());
    let end = start.saturating_add(limit).min(items.len());
    &items[start..end]
}

/// A v3 list envelope with `meta.pagination`.
pub(super) fn v3_list(data: Vec<Value>, total: usize, page: usize, limit: usize) -> Response {
    let total_pages = total.div_ceil(limit);
    let mut links = serde_json::Map::new();
    if page > 1 {
        links.insert(
            "previous".into(),
            json!(format!("?page={}&limit={limit}", page - 1)),
        );
    }
    links.insert(
        "current".into(),
        json!(format!("?page={page}&limit={limit}")),
    );
    if page < total_pages {
        links.insert(
            "next".into(),
            json!(format!("?page={}&limit={limit}", page + 1)),
        );
    }
    Json(json!({
        "data": data,
        "meta": { "pagination": {
            "total": total,
            "count": data.len(),
            "per_page": limit,
            "current_page": page,
            "total_pages": total_pages,
            "links": links,
            "too_many": false,
        }},
    }))
    .into_response()
}

/// A page of `all` as `page`/`limit` ask (at most 250), in the v3 envelope.
pub(super) fn listed(all: Vec<Value>, q: &HashMap<String, String>) -> Response {
    match paging(q, 50, 250) {
        Ok((page, limit)) => {
            let total = all.len();
            v3_list(slice(&all, page, limit).to_vec(), total, page, limit)
        }
        Err(e) => v3_error(StatusCode::UNPROCESSABLE_ENTITY, e),
    }
}

pub(in crate::sim) fn v3_one(data: Value) -> Response {
    Json(json!({ "data": data, "meta": {} })).into_response()
}

/// A date filter: RFC 2822, ISO 8601, or an ISO date (midnight UTC).
pub(in crate::sim) fn when(
    q: &HashMap<String, String>,
    key: &str,
) -> Result<Option<DateTime<Utc>>, String> {
    let Some(text) = q.get(key) else {
        return Ok(None);
    };
    if let Some(t) = parse_datetime(text) {
        return Ok(Some(t));
    }
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|d| Some(d.and_utc()))
        .ok_or_else(|| format!("{key}: {text:?} is not a date"))
}

pub(in crate::sim) fn ids(
    q: &HashMap<String, String>,
    key: &str,
) -> Result<Option<Vec<u64>>, String> {
    let Some(text) = q.get(key) else {
        return Ok(None);
    };
    text.split(',')
        .map(|s| {
            s.trim()
                .parse::<u64>()
                .map_err(|_| format!("{key}: {s:?} is not an id"))
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

pub(in crate::sim) fn number(
    q: &HashMap<String, String>,
    key: &str,
) -> Result<Option<i64>, String> {
    q.get(key)
        .map(|v| {
            v.parse::<i64>()
                .map_err(|_| format!("{key}: {v:?} is not a number"))
        })
        .transpose()
}

/// The v3 catalog's id filters (`id:min`/`id:max` inclusive, `id:greater`/`id:less`
/// exclusive, `id:not_in`), as `catalog.v3.yml` lists them for `GET /catalog/products`.
pub(in crate::sim) struct IdFilter {
    not_in: Option<Vec<u64>>,
    min: Option<i64>,
    max: Option<i64>,
    greater: Option<i64>,
    less: Option<i64>,
}

impl IdFilter {
    fn parse(q: &HashMap<String, String>) -> Result<Self, String> {
        Ok(Self {
            not_in: ids(q, "id:not_in")?,
            min: number(q, "id:min")?,
            max: number(q, "id:max")?,
            greater: number(q, "id:greater")?,
            less: number(q, "id:less")?,
        })
    }

    fn matches(&self, id: u64) -> bool {
        let n = id as i64;
        self.not_in.as_ref().is_none_or(|ids| !ids.contains(&id))
            && self.min.is_none_or(|m| n >= m)
            && self.max.is_none_or(|m| n <= m)
            && self.greater.is_none_or(|m| n > m)
            && self.less.is_none_or(|m| n < m)
    }
}

/// Dates compare to the second, as v2 prints them.
pub(in crate::sim) fn in_range(
    t: DateTime<Utc>,
    min: Option<DateTime<Utc>>,
    max: Option<DateTime<Utc>>,
) -> bool {
    min.is_none_or(|m| t.timestamp() >= m.timestamp())
        && max.is_none_or(|m| t.timestamp() <= m.timestamp())
}

pub(in crate::sim) fn decimal(v: &Value) -> Option<Decimal> {
    match v {
        Value::Number(n) => parse_decimal(&n.to_string()).ok(),
        Value::String(s) => parse_decimal(s).ok(),
        _ => None,
    }
}
