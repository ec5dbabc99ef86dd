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
async fn unknown() -> Response {
    v3_error(
        StatusCode::NOT_FOUND,
        "The requested resource was not found.",
    )
}

// ------------------------------------------------------------------ helpers

fn v2_error(status: StatusCode, message: impl Into<String>) -> Response {
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

fn v3_one(data: Value) -> Response {
    Json(json!({ "data": data, "meta": {} })).into_response()
}

/// A date filter: RFC 2822, ISO 8601, or an ISO date (midnight UTC).
fn when(q: &HashMap<String, String>, key: &str) -> Result<Option<DateTime<Utc>>, String> {
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

fn ids(q: &HashMap<String, String>, key: &str) -> Result<Option<Vec<u64>>, String> {
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

fn number(q: &HashMap<String, String>, key: &str) -> Result<Option<i64>, String> {
    q.get(key)
        .map(|v| {
            v.parse::<i64>()
                .map_err(|_| format!("{key}: {v:?} is not a number"))
        })
        .transpose()
}

/// The v3 catalog's id filters (`id:min`/`id:max` inclusive, `id:greater`/`id:less`
/// exclusive, `id:not_in`), as `catalog.v3.yml` lists them for `GET /catalog/products`.
struct IdFilter {
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
fn in_range(t: DateTime<Utc>, min: Option<DateTime<Utc>>, max: Option<DateTime<Utc>>) -> bool {
    min.is_none_or(|m| t.timestamp() >= m.timestamp())
        && max.is_none_or(|m| t.timestamp() <= m.timestamp())
}

fn decimal(v: &Value) -> Option<Decimal> {
    match v {
        Value::Number(n) => parse_decimal(&n.to_string()).ok(),
        Value::String(s) => parse_decimal(s).ok(),
        _ => None,
    }
}

// ------------------------------------------------------------------ v2

async fn time(State(_): St) -> Response {
    Json(json!({ "time": Utc::now().timestamp() })).into_response()
}

async fn store_info(State(sim): St) -> Response {
    let store = sim.store();
    Json(json!({
        "id": sim.store_hash,
        "domain": format!("{}.example.com", sim.store_hash),
        "secure_url": format!("https://{}.example.com", sim.store_hash),
        "name": store.name,
        "currency": store.currency,
        "currency_symbol": "",
        "decimal_separator": ".",
        "thousands_separator": ",",
        "decimal_places": 2,
        "weight_units": "KGS",
        "dimension_units": "Centimeters",
        "timezone": { "name": "Etc/UTC", "raw_offset": 0, "dst_offset": 0 },
        "plan_name": "Standard",
    }))
    .into_response()
}

async fn order_statuses(State(_): St) -> Response {
    let list: Vec<Value> = render::STATUSES
        .iter()
        .map(|(id, label, order)| {
            json!({ "id": id, "name": label, "system_label": label, "custom_label": label, "system_description": "", "order": order })
        })
        .collect();
    Json(list).into_response()
}

/// The v2 order filters.
struct OrderFilter {
    min_modified: Option<DateTime<Utc>>,
    max_modified: Option<DateTime<Utc>>,
    min_created: Option<DateTime<Utc>>,
    max_created: Option<DateTime<Utc>>,
    min_id: Option<i64>,
    max_id: Option<i64>,
    status_id: Option<i64>,
    customer_id: Option<i64>,
}

impl OrderFilter {
    fn parse(q: &HashMap<String, String>) -> Result<Self, String> {
        Ok(Self {
            min_modified: when(q, "min_date_modified")?,
            max_modified: when(q, "max_date_modified")?,
            min_created: when(q, "min_date_created")?,
            max_created: when(q, "max_date_created")?,
            min_id: number(q, "min_id")?,
            max_id: number(q, "max_id")?,
            status_id: number(q, "status_id")?,
            customer_id: number(q, "customer_id")?,
        })
    }

    fn matches(&self, o: &SimOrder, status: i64) -> bool {
        let id = o.id as i64;
        !o.deleted
            && in_range(o.updated_at, self.min_modified, self.max_modified)
            && in_range(o.created_at, self.min_created, self.max_created)
            && self.min_id.is_none_or(|m| id >= m)
            && self.max_id.is_none_or(|m| id <= m)
            && self.status_id.is_none_or(|s| s == status)
            && self
                .customer_id
                .is_none_or(|c| o.customer_id.map_or(0, |x| x as i64) == c)
    }
}

async fn orders(State(sim): St, Query(q): Params) -> Response {
    let filter = match OrderFilter::parse(&q) {
        Ok(f) => f,
        Err(e) => return v2_error(StatusCode::BAD_REQUEST, e),
    };
    let (page, limit) = match paging(&q, 50, 250) {
        Ok(p) => p,
        Err(e) => return v2_error(StatusCode::BAD_REQUEST, e),
    };
    let sort = q.get("sort").map_or("id:asc", String::as_str);
    let (field, direction) = sort.split_once(':').unwrap_or((sort, "asc"));
    if ![
        "id",
        "date_created",
        "date_modified",
        "status_id",
        "customer_id",
    ]
    .contains(&field)
        || !["asc", "desc"].contains(&direction)
    {
        return v2_error(
            StatusCode::BAD_REQUEST,
            format!("unsupported sort {sort:?}"),
        );
    }
    let store = sim.store();
    let mut list: Vec<(&SimOrder, i64)> = store
        .orders
        .iter()
        .map(|o| (o, sim.status_of(o)))
        .filter(|(o, s)| filter.matches(o, *s))
        .collect();
    list.sort_by(|(a, sa), (b, sb)| {
        let by = match field {
            "date_created" => a.created_at.timestamp().cmp(&b.created_at.timestamp()),
            "date_modified" => a.updated_at.timestamp().cmp(&b.updated_at.timestamp()),
            "status_id" => sa.cmp(sb),
            "customer_id" => a.customer_id.cmp(&b.customer_id),
            _ => std::cmp::Ordering::Equal,
        }
        .then(a.id.cmp(&b.id));
        if direction == "desc" {
            by.reverse()
        } else {
            by
        }
    });
    let items = slice(&list, page, limit);
    if items.is_empty() {
        return StatusCode::NO_CONTENT.into_response();
    }
    let body: Vec<Value> = items
        .iter()
        .map(|(o, s)| {
            let order = render::v2_order(o, *s, sim.api_root());
            with_includes(&sim, &store.products, o, order, &q)
        })
        .collect();
    Json(body).into_response()
}

/// What `include=` adds to an order: `consignments` (line items as links),
/// `consignments.line_items` (full line items) in the `consignment_structure=object`
/// form or the legacy array, and `fees` (none in a generated store).
fn with_includes(
    sim: &Sim,
    products: &[SimProduct],
    o: &SimOrder,
    mut order: Value,
    q: &HashMap<String, String>,
) -> Value {
    let list = q.get("include").map(String::as_str).unwrap_or("");
    let has = |x: &str| list.split(',').any(|i| i.trim() == x);
    let lines = has("consignments.line_items");
    if lines || has("consignments") {
        let object = q
            .get("consignment_structure")
            .is_some_and(|s| s == "object");
        order["consignments"] = render::v2_consignments(o, products, sim.api_root(), lines, object);
    }
    if has("fees") {
        order["fees"] = json!([]);
    }
    order
}

/// `GET /v2/orders/{id}/consignments`: line items as links.
async fn consignments(State(sim): St, Path(id): Path<u64>, Query(q): Params) -> Response {
    let store = sim.store();
    match find_order(&store, id) {
        Ok(o) => {
            let object = q
                .get("consignment_structure")
                .is_some_and(|s| s == "object");
            Json(render::v2_consignments(
                o,
                &store.products,
                sim.api_root(),
                false,
                object,
            ))
            .into_response()
        }
        Err(e) => e,
    }
}

/// Shipping quotes of an address or consignment: none for orders that were not placed
/// on a storefront, which BigCommerce answers with a `204`.
async fn shipping_quotes(State(sim): St, Path((id, address)): Path<(u64, u64)>) -> Response {
    let store = sim.store();
    match find_order(&store, id) {
        Ok(o) if render::address_id(o) == address => StatusCode::NO_CONTENT.into_response(),
        Ok(_) => v2_error(
            StatusCode::NOT_FOUND,
            "The requested resource was not found.",
        ),
        Err(e) => e,
    }
}

async fn orders_count(State(sim): St, Query(q): Params) -> Response {
    let filter = match OrderFilter::parse(&q) {
        Ok(f) => f,
        Err(e) => return v2_error(StatusCode::BAD_REQUEST, e),
    };
    let store = sim.store();
    let mut per_status: BTreeMap<i64, u64> = BTreeMap::new();
    let mut count = 0u64;
    for o in &store.orders {
        let s = sim.status_of(o);
        if filter.matches(o, s) {
            count += 1;
            *per_status.entry(s).or_default() += 1;
        }
    }
    let statuses: Vec<Value> = render::STATUSES
        .iter()
        .map(|(id, label, order)| {
            json!({ "id": id, "name": label, "system_label": label, "custom_label": label, "system_description": "",
                    "count": per_status.get(id).copied().unwrap_or(0), "url": format!("{}/v2/orders?status_id={id}", sim.api_root()), "sort_order": order })
        })
        .collect();
    Json(json!({ "statuses": statuses, "count": count })).into_response()
}

fn find_order(store: &SimStore, id: u64) -> Result<&SimOrder, Response> {
    store
        .orders
        .iter()
        .find(|o| o.id == id && !o.deleted)
        .ok_or_else(|| {
            v2_error(
                StatusCode::NOT_FOUND,
                "The requested resource was not found.",
            )
        })
}

async fn order(State(sim): St, Path(id): Path<u64>, Query(q): Params) -> Response {
    let store = sim.store();
    match find_order(&store, id) {
        Ok(o) => {
            let order = render::v2_order(o, sim.status_of(o), sim.api_root());
            Json(with_includes(&sim, &store.products, o, order, &q)).into_response()
        }
        Err(e) => e,
    }
}

async fn order_put(State(sim): St, Path(id): Path<u64>, Json(body): Json<Value>) -> Response {
    let status = match body.get("status_id") {
        None => None,
        Some(v) => match v.as_i64().filter(|s| (0..=14).contains(s)) {
            Some(s) => Some(s),
            None => return v2_error(StatusCode::BAD_REQUEST, "status_id must be 0 to 14"),
        },
    };
    let (rendered, previous) = {
        let mut store = sim.store();
        let previous = match find_order(&store, id) {
            Ok(o) => sim.status_of(o),
            Err(e) => return e,
        };
        let Some(o) = store.order_mut(id) else {
            return v2_error(
                StatusCode::NOT_FOUND,
                "The requested resource was not found.",
            );
        };
        o.updated_at = now();
        if let Some(m) = body.get("customer_message").and_then(Value::as_str) {
            o.note = Some(m.to_owned());
        }
        if let Some(s) = status {
            sim.set_status(id, s);
        }
        let o = &*o;
        (
            render::v2_order(o, sim.status_of(o), sim.api_root()),
            previous,
        )
    };
    if let Some(s) = status {
        sim.fire(
            "store/order/statusUpdated",
            json!({ "type": "order", "id": id, "status": { "previous_status_id": previous, "new_status_id": s } }),
        );
    }
    sim.fire("store/order/updated", json!({ "type": "order", "id": id }));
    Json(rendered).into_response()
}

async fn order_sub(
    State(sim): St,
    Path((id, sub)): Path<(u64, String)>,
    Query(q): Params,
) -> Response {
    let (page, limit) = match paging(&q, 50, 250) {
        Ok(p) => p,
        Err(e) => return v2_error(StatusCode::BAD_REQUEST, e),
    };
    let store = sim.store();
    let o = match find_order(&store, id) {
        Ok(o) => o,
        Err(e) => return e,
    };
    let Some(items) = sub_resource(&sim, &store.products, o, &sub) else {
        return v2_error(
            StatusCode::NOT_FOUND,
            "The requested resource was not found.",
        );
    };
    page_or_204(items, page, limit)
}

async fn order_sub_item(
    State(sim): St,
    Path((id, sub, item)): Path<(u64, String, u64)>,
) -> Response {
    let store = sim.store();
    let o = match find_order(&store, id) {
        Ok(o) => o,
        Err(e) => return e,
    };
    let items = sub_resource(&sim, &store.products, o, &sub).unwrap_or_default();
    match items
        .into_iter()
        .find(|i| i.get("id").and_then(Value::as_u64) == Some(item))
    {
        Some(found) => Json(found).into_response(),
        None => v2_error(
            StatusCode::NOT_FOUND,
            "The requested resource was not found.",
        ),
    }
}

/// The items of an order's sub-resource (`shippingaddresses` is the spelling of the
/// links BigCommerce puts in orders; both resolve).
fn sub_resource(sim: &Sim, products: &[SimProduct], o: &SimOrder, sub: &str) -> Option<Vec<Value>> {
    Some(match sub {
        "products" => render::v2_products(o, products),
        "shipping_addresses" | "shippingaddresses" => {
            render::v2_shipping_addresses(o, sim.api_root())
        }
        "coupons" => render::v2_coupons(o),
        _ => return None,
    })
}

fn page_or_204(items: Vec<Value>, page: usize, limit: usize) -> Response {
    let items = slice(&items, page, limit);
    if items.is_empty() {
        return StatusCode::NO_CONTENT.into_response();
    }
    Json(items).into_response()
}

async fn shipments(State(sim): St, Path(id): Path<u64>, Query(q): Params) -> Response {
    let (page, limit) = match paging(&q, 50, 250) {
        Ok(p) => p,
        Err(e) => return v2_error(StatusCode::BAD_REQUEST, e),
    };
    let store = sim.store();
    match find_order(&store, id) {
        Ok(o) => page_or_204(
            o.shipments
                .iter()
                .map(|s| render::v2_shipment(o, s))
                .collect(),
            page,
            limit,
        ),
        Err(e) => e,
    }
}

async fn shipment_get(State(sim): St, Path((id, sid)): Path<(u64, u64)>) -> Response {
    let store = sim.store();
    let o = match find_order(&store, id) {
        Ok(o) => o,
        Err(e) => return e,
    };
    match o.shipments.iter().find(|s| s.id == sid) {
        Some(s) => Json(render::v2_shipment(o, s)).into_response(),
        None => v2_error(
            StatusCode::NOT_FOUND,
            "The requested resource was not found.",
        ),
    }
}

fn carrier_name(code: &str) -> Option<&'static str> {
    Some(match code {
        "ups" => "UPS",
        "usps" => "USPS",
        "fedex" => "FedEx",
        "canadapost" => "Canada Post",
        "dhl" => "DHL Express",
        "auspost" => "Australia Post",
        "royalmail" => "Royal Mail",
        _ => return None,
    })
}

async fn shipment_post(State(sim): St, Path(id): Path<u64>, Json(body): Json<Value>) -> Response {
    let created = {
        let mut store = sim.store();
        let sid = store.fresh_id();
        let o = match find_order(&store, id) {
            Ok(o) => o,
            Err(e) => return e,
        };
        if body.get("order_address_id").and_then(Value::as_u64) != Some(render::address_id(o)) {
            return v2_error(
                StatusCode::BAD_REQUEST,
                "order_address_id does not belong to this order",
            );
        }
        let Some(items) = body
            .get("items")
            .and_then(Value::as_array)
            .filter(|i| !i.is_empty())
        else {
            return v2_error(StatusCode::BAD_REQUEST, "items are required");
        };
        let mut lines = Vec::new();
        for item in items {
            let (Some(li), Some(qty)) = (
                item.get("order_product_id").and_then(Value::as_u64),
                item.get("quantity")
                    .and_then(Value::as_u64)
                    .and_then(|q| u32::try_from(q).ok())
                    .filter(|q| *q > 0),
            ) else {
                return v2_error(
                    StatusCode::BAD_REQUEST,
                    "each item needs order_product_id and a positive quantity",
                );
            };
            let Some(line) = o.line_items.iter().find(|l| l.id == li) else {
                return v2_error(
                    StatusCode::BAD_REQUEST,
                    format!("order product {li} is not in this order"),
                );
            };
            if render::shipped_of(o, li) + qty > line.quantity {
                return v2_error(
                    StatusCode::BAD_REQUEST,
                    format!("order product {li} has fewer than {qty} left to ship"),
                );
            }
            lines.push((li, qty));
        }
        let code = body
            .get("shipping_provider")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_ascii_lowercase();
        let tracking = body
            .get("tracking_number")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned();
        let carrier = carrier_name(&code)
            .map(str::to_owned)
            .or_else(|| {
                body.get("tracking_carrier")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            })
            .unwrap_or_default();
        let at = now();
        let shipment = SimShipment {
            id: sid,
            tracking_url: if code.is_empty() || tracking.is_empty() {
                String::new()
            } else {
                format!("https://tracking.example.com/{code}/{tracking}")
            },
            carrier,
            tracking_number: tracking,
            status: "success".into(),
            lines,
            created_at: at,
        };
        let Some(o) = store.order_mut(id) else {
            return v2_error(
                StatusCode::NOT_FOUND,
                "The requested resource was not found.",
            );
        };
        o.shipments.push(shipment);
        o.updated_at = at;
        let all = o
            .line_items
            .iter()
            .all(|l| render::shipped_of(o, l.id) >= l.quantity);
        o.fulfillment = if all {
            SimFulfillment::Fulfilled
        } else {
            SimFulfillment::Partial
        };
        sim.set_status(id, if all { 2 } else { 3 });
        let o = &*o;
        let s = o.shipments.last().expect("just pushed");
        render::v2_shipment(o, s)
    };
    let sid = created.get("id").cloned().unwrap_or(Value::Null);
    sim.fire(
        "store/shipment/created",
        json!({ "type": "shipment", "id": sid, "orderId": id }),
    );
    sim.fire("store/order/updated", json!({ "type": "order", "id": id }));
    (StatusCode::CREATED, Json(created)).into_response()
}

// ------------------------------------------------------------------ v3 catalog

async fn order_refunds(State(sim): St, Path(id): Path<u64>, Query(q): Params) -> Response {
    let store = sim.store();
    let Some(o) = store.orders.iter().find(|o| o.id == id && !o.deleted) else {
        return not_found();
    };
    listed(render::v3_refunds(o), &q)
}

fn include(q: &HashMap<String, String>) -> Include {
    let list = q.get("include").map(String::as_str).unwrap_or("");
    let has = |x: &str| list.split(',').any(|i| i.trim() == x);
    Include {
        variants: has("variants"),
        images: has("images"),
        options: has("options"),
    }
}

fn product_list(sim: &Sim, q: &HashMap<String, String>) -> Reply {
    let bad = |e: String| v3_error(StatusCode::UNPROCESSABLE_ENTITY, e);
    let (page, limit) = paging(q, 50, 250).map_err(bad)?;
    let id_in = ids(q, "id:in").map_err(bad)?;
    let id_filter = IdFilter::parse(q).map_err(bad)?;
    let (min_m, max_m) = (
        when(q, "date_modified:min").map_err(bad)?,
        when(q, "date_modified:max").map_err(bad)?,
    );
    let (min_c, max_c) = (
        when(q, "date_created:min").map_err(bad)?,
        when(q, "date_created:max").map_err(bad)?,
    );
    let sort = q.get("sort").map_or("id", String::as_str);
    let desc = q.get("direction").is_some_and(|d| d == "desc");
    if !["id", "name", "date_modified", "date_created", "price"].contains(&sort) {
        return Err(bad(format!("unsupported sort {sort:?}")));
    }
    let store = sim.store();
    let mut list: Vec<&SimProduct> = store
        .products
        .iter()
        .filter(|p| !p.deleted)
        .filter(|p| id_in.as_ref().is_none_or(|ids| ids.contains(&p.id)))
        .filter(|p| id_filter.matches(p.id))
        .filter(|p| in_range(p.updated_at, min_m, max_m) && in_range(p.created_at, min_c, max_c))
        .collect();
    list.sort_by(|a, b| {
        let by = match sort {
            "name" => a.title.cmp(&b.title),
            "date_modified" => a.updated_at.timestamp().cmp(&b.updated_at.timestamp()),
            "date_created" => a.created_at.timestamp().cmp(&b.created_at.timestamp()),
            "price" => a.variants[0].price.cmp(&b.variants[0].price),
            _ => std::cmp::Ordering::Equal,
        }
        .then(a.id.cmp(&b.id));
        if desc { by.reverse() } else { by }
    });
    let inc = include(q);
    let data = slice(&list, page, limit)
        .iter()
        .map(|p| render::v3_product(p, inc))
        .collect();
    Ok(v3_list(data, list.len(), page, limit))
}

async fn products(State(sim): St, Query(q): Params) -> Response {
    product_list(&sim, &q).unwrap_or_else(|e| e)
}

/// `price` and `retail_price` of a catalog `PUT`: numbers (or numeric strings), not negative.
fn prices(body: &Value) -> Result<(Option<Decimal>, Option<Decimal>), Response> {
    let read = |key: &str| match body.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => decimal(v)
            .filter(|d| *d >= Decimal::ZERO)
            .map(Some)
            .ok_or_else(|| {
                v3_error(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    format!("{key} must be a non-negative number"),
                )
            }),
    };
    Ok((read("price")?, read("retail_price")?))
}

pub(super) fn not_found() -> Response {
    v3_error(
        StatusCode::NOT_FOUND,
        "The requested resource was not found.",
    )
}

async fn product(State(sim): St, Path(id): Path<u64>, Query(q): Params) -> Response {
    let store = sim.store();
    match store.products.iter().find(|p| p.id == id && !p.deleted) {
        Some(p) => v3_one(render::v3_product(p, include(&q))),
        None => not_found(),
    }
}

async fn product_put(State(sim): St, Path(id): Path<u64>, Json(body): Json<Value>) -> Response {
    let (price, retail) = match prices(&body) {
        Ok(p) => p,
        Err(e) => return e,
    };
    let rendered = {
        let mut store = sim.store();
        let Some(p) = store.product_mut(id) else {
            return not_found();
        };
        let at = now();
        if let Some(price) = price {
            p.variants[0].price = price;
            p.variants[0].updated_at = at;
        }
        if let Some(r) = retail {
            p.variants[0].compare_at_price = (r > Decimal::ZERO).then_some(r);
        }
        if let Some(name) = body.get("name").and_then(Value::as_str) {
            p.title = name.to_owned();
        }
        match body.get("is_visible").and_then(Value::as_bool) {
            Some(false) => p.status = SimProductStatus::Draft,
            Some(true) if p.status == SimProductStatus::Draft => {
                p.status = SimProductStatus::Active
            }
            _ => {}
        }
        match body.get("availability").and_then(Value::as_str) {
            Some("disabled") => p.status = SimProductStatus::Archived,
            Some("available") if p.status == SimProductStatus::Archived => {
                p.status = SimProductStatus::Active
            }
            _ => {}
        }
        p.updated_at = at;
        render::v3_product(p, Include::default())
    };
    sim.fire(
        "store/product/updated",
        json!({ "type": "product", "id": id }),
    );
    v3_one(rendered)
}

async fn product_variants(State(sim): St, Path(id): Path<u64>, Query(q): Params) -> Response {
    let (page, limit) = match paging(&q, 50, 250) {
        Ok(p) => p,
        Err(e) => return v3_error(StatusCode::UNPROCESSABLE_ENTITY, e),
    };
    let store = sim.store();
    let Some(p) = store.products.iter().find(|p| p.id == id && !p.deleted) else {
        return not_found();
    };
    let data = slice(&p.variants, page, limit)
        .iter()
        .map(|v| render::v3_variant(p, v))
        .collect();
    v3_list(data, p.variants.len(), page, limit)
}

async fn variant(State(sim): St, Path((id, vid)): Path<(u64, u64)>) -> Response {
    let store = sim.store();
    let Some(p) = store.products.iter().find(|p| p.id == id && !p.deleted) else {
        return not_found();
    };
    match p.variants.iter().find(|v| v.id == vid) {
        Some(v) => v3_one(render::v3_variant(p, v)),
        None => not_found(),
    }
}

async fn variant_put(
    State(sim): St,
    Path((id, vid)): Path<(u64, u64)>,
    Json(body): Json<Value>,
) -> Response {
    let (price, retail) = match prices(&body) {
        Ok(p) => p,
        Err(e) => return e,
    };
    let (rendered, sku_id) = {
        let mut store = sim.store();
        let Some(p) = store.product_mut(id) else {
            return not_found();
        };
        let at = now();
        let Some(v) = p.variants.iter_mut().find(|v| v.id == vid) else {
            return not_found();
        };
        if let Some(price) = price {
            v.price = price;
        }
        if let Some(r) = retail {
            v.compare_at_price = (r > Decimal::ZERO).then_some(r);
        }
        v.updated_at = at;
        let sku_id = v.inventory_item_id;
        p.updated_at = at;
        let p = &*p;
        let v = p
            .variants
            .iter()
            .find(|v| v.id == vid)
            .expect("found above");
        (render::v3_variant(p, v), sku_id)
    };
    sim.fire(
        "store/sku/updated",
        json!({ "type": "sku", "id": sku_id, "sku": { "product_id": id, "variant_id": vid } }),
    );
    sim.fire(
        "store/product/updated",
        json!({ "type": "product", "id": id }),
    );
    v3_one(rendered)
}

async fn all_variants(State(sim): St, Query(q): Params) -> Response {
    let store = sim.store();
    let all: Vec<Value> = store
        .products
        .iter()
        .filter(|p| !p.deleted)
        .flat_map(|p| p.variants.iter().map(move |v| render::v3_variant(p, v)))
        .collect();
    listed(all, &q)
}

async fn categories(State(sim): St, Query(q): Params) -> Response {
    let id_in = match ids(&q, "id:in") {
        Ok(i) => i,
        Err(e) => return v3_error(StatusCode::UNPROCESSABLE_ENTITY, e),
    };
    let store = sim.store();
    let list: Vec<Value> = store
        .categories
        .iter()
        .filter(|c| id_in.as_ref().is_none_or(|ids| ids.contains(&c.id)))
        .map(render::v3_category)
        .collect();
    listed(list, &q)
}

async fn category(State(sim): St, Path(id): Path<u64>) -> Response {
    let store = sim.store();
    match store.categories.iter().find(|c| c.id == id) {
        Some(c) => v3_one(render::v3_category(c)),
        None => not_found(),
    }
}

/// The legacy `GET /v3/catalog/categories/tree`: root categories with their children.
async fn category_tree(State(sim): St) -> Response {
    fn node(all: &[polycart_kit::sim::SimCategory], c: &polycart_kit::sim::SimCategory) -> Value {
        let children: Vec<Value> = all
            .iter()
            .filter(|k| k.parent_id == Some(c.id))
            .map(|k| node(all, k))
            .collect();
        json!({
            "id": c.id,
            "parent_id": c.parent_id.unwrap_or(0),
            "name": c.name,
            "is_visible": true,
            "url": format!("/{}/", c.handle),
            "children": children,
        })
    }
    let store = sim.store();
    let roots: Vec<Value> = store
        .categories
        .iter()
        .filter(|c| c.parent_id.is_none())
        .map(|c| node(&store.categories, c))
        .collect();
    Json(json!({ "data": roots, "meta": {} })).into_response()
}

async fn trees(State(_): St) -> Response {
    v3_list(
        vec![json!({ "id": 1, "name": "Default", "channels": [1] })],
        1,
        1,
        50,
    )
}

async fn tree_categories(State(sim): St, Query(q): Params) -> Response {
    let (page, limit) = match paging(&q, 50, 250) {
        Ok(p) => p,
        Err(e) => return v3_error(StatusCode::UNPROCESSABLE_ENTITY, e),
    };
    let parse = |k: &str| ids(&q, k);
    let (trees, cats, parents) = match (
        parse("tree_id:in"),
        parse("category_id:in"),
        parse("parent_id:in"),
    ) {
        (Ok(t), Ok(c), Ok(p)) => (t, c, p),
        (Err(e), ..) | (_, Err(e), _) | (.., Err(e)) => {
            return v3_error(StatusCode::UNPROCESSABLE_ENTITY, e);
        }
    };
    if trees.as_ref().is_some_and(|t| !t.contains(&1)) {
        return v3_list(Vec::new(), 0, page, limit);
    }
    let store = sim.store();
    let list: Vec<Value> = store
        .categories
        .iter()
        .filter(|c| cats.as_ref().is_none_or(|ids| ids.contains(&c.id)))
        .filter(|c| {
            parents
                .as_ref()
                .is_none_or(|ids| ids.contains(&c.parent_id.unwrap_or(0)))
        })
        .map(render::v3_tree_category)
        .collect();
    let total = list.len();
    v3_list(slice(&list, page, limit).to_vec(), total, page, limit)
}

// ------------------------------------------------------------------ v3 customers

async fn customers(State(sim): St, Query(q): Params) -> Response {
    let bad = |e: String| v3_error(StatusCode::UNPROCESSABLE_ENTITY, e);
    let parsed = (|| {
        Ok::<_, String>((
            paging(&q, 50, 250)?,
            ids(&q, "id:in")?,
            when(&q, "date_modified:min")?,
            when(&q, "date_modified:max")?,
            when(&q, "date_created:min")?,
            when(&q, "date_created:max")?,
        ))
    })();
    let ((page, limit), id_in, min_m, max_m, min_c, max_c) = match parsed {
        Ok(p) => p,
        Err(e) => return bad(e),
    };
    let sort = q.get("sort").map_or("id:asc", String::as_str);
    let (field, dir) = sort.split_once(':').unwrap_or((sort, "asc"));
    if !["id", "date_created", "date_modified", "last_name"].contains(&field)
        || !["asc", "desc"].contains(&dir)
    {
        return bad(format!("unsupported sort {sort:?}"));
    }
    let store = sim.store();
    let mut list: Vec<_> = store
        .customers
        .iter()
        .filter(|c| !c.deleted)
        .filter(|c| id_in.as_ref().is_none_or(|ids| ids.contains(&c.id)))
        .filter(|c| in_range(c.updated_at, min_m, max_m) && in_range(c.created_at, min_c, max_c))
        .collect();
    list.sort_by(|a, b| {
        let by = match field {
            "date_created" => a.created_at.timestamp().cmp(&b.created_at.timestamp()),
            "date_modified" => a.updated_at.timestamp().cmp(&b.updated_at.timestamp()),
            "last_name" => a.last_name.cmp(&b.last_name),
            _ => std::cmp::Ordering::Equal,
        }
        .then(a.id.cmp(&b.id));
        if dir == "desc" { by.reverse() } else { by }
    });
    let with_addresses = q
        .get("include")
        .is_some_and(|i| i.split(',').any(|x| x.trim() == "addresses"));
    let data = slice(&list, page, limit)
        .iter()
        .map(|c| render::v3_customer(c, with_addresses))
        .collect();
    v3_list(data, list.len(), page, limit)
}

/// `GET /v3/customers/addresses` (`customer_id:in`, `id:in`).
async fn customer_addresses(State(sim): St, Query(q): Params) -> Response {
    let (customers, id_in) = match (ids(&q, "customer_id:in"), ids(&q, "id:in")) {
        (Ok(c), Ok(i)) => (c, i),
        (Err(e), _) | (_, Err(e)) => return v3_error(StatusCode::UNPROCESSABLE_ENTITY, e),
    };
    let store = sim.store();
    let all: Vec<Value> = store
        .customers
        .iter()
        .filter(|c| !c.deleted)
        .filter(|c| customers.as_ref().is_none_or(|ids| ids.contains(&c.id)))
        .flat_map(render::v3_customer_addresses)
        .filter(|a| {
            id_in
                .as_ref()
                .is_none_or(|ids| a["id"].as_u64().is_some_and(|id| ids.contains(&id)))
        })
        .collect();
    listed(all, &q)
}

// ------------------------------------------------------------------ v3 inventory

fn locations_of(store: &SimStore) -> Vec<(u64, String)> {
    store
        .locations
        .iter()
        .map(|l| (l.id, l.name.clone()))
        .collect()
}

async fn inventory_items(State(sim): St, Query(q): Params) -> Response {
    let bad = |e: String| v3_error(StatusCode::UNPROCESSABLE_ENTITY, e);
    let parsed = (|| {
        Ok::<_, String>((
            paging(&q, 50, 1000)?,
            ids(&q, "variant_id:in")?,
            ids(&q, "product_id:in")?,
            ids(&q, "location_id:in")?,
        ))
    })();
    let ((page, limit), variants, products, locations) = match parsed {
        Ok(p) => p,
        Err(e) => return bad(e),
    };
    let skus: Option<Vec<&str>> = q
        .get("sku:in")
        .map(|s| s.split(',').map(str::trim).collect());
    let store = sim.store();
    let all_locations = locations_of(&store);
    let shown: Vec<(u64, String)> = all_locations
        .iter()
        .enumerate()
        .filter(|(i, _)| {
            locations
                .as_ref()
                .is_none_or(|l| l.contains(&(*i as u64 + 1)))
        })
        .map(|(_, l)| l.clone())
        .collect();
    let items: Vec<(&SimProduct, &polycart_kit::sim::SimVariant)> = store
        .products
        .iter()
        .filter(|p| !p.deleted)
        .filter(|p| products.as_ref().is_none_or(|ids| ids.contains(&p.id)))
        .flat_map(|p| p.variants.iter().map(move |v| (p, v)))
        .filter(|(_, v)| variants.as_ref().is_none_or(|ids| ids.contains(&v.id)))
        .filter(|(_, v)| skus.as_ref().is_none_or(|s| s.contains(&v.sku.as_str())))
        .collect();
    let data = slice(&items, page, limit)
        .iter()
        .map(|(p, v)| {
            // Keep BigCommerce's location ids (1-based positions) for the shown subset.
            let mut item = render::v3_inventory_item(p, v, &all_locations);
            if let Some(list) = item.get_mut("locations").and_then(Value::as_array_mut) {
                list.retain(|l| {
                    let id = l.get("location_id").and_then(Value::as_u64).unwrap_or(0);
                    shown.iter().any(|s| {
                        all_locations.iter().position(|a| a.0 == s.0) == Some(id as usize - 1)
                    })
                });
            }
            item
        })
        .collect();
    v3_list(data, items.len(), page, limit)
}

async fn locations(State(sim): St, Query(q): Params) -> Response {
    let store = sim.store();
    let created = store
        .categories
        .first()
        .map_or_else(Utc::now, |c| c.created_at);
    let list: Vec<Value> = store
        .locations
        .iter()
        .enumerate()
        .map(|(i, l)| render::v3_location(i, &l.name, created))
        .collect();
    listed(list, &q)
}

/// Applies inventory adjustments; `absolute` sets the level, otherwise adds to it.
fn adjust(sim: &Arc<Sim>, body: &Value, absolute: bool) -> Response {
    let Some(items) = body
        .get("items")
        .and_then(Value::as_array)
        .filter(|i| !i.is_empty())
    else {
        return v3_error(StatusCode::UNPROCESSABLE_ENTITY, "items are required");
    };
    let mut fired = Vec::new();
    {
        let mut store = sim.store();
        let location_count = store.locations.len();
        // Validate everything first: an adjustment applies in full or not at all.
        let mut plan = Vec::new();
        for item in items {
            let Some(location) = item
                .get("location_id")
                .and_then(Value::as_u64)
                .filter(|l| *l >= 1 && (*l as usize) <= location_count)
            else {
                return v3_error(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "location_id is missing or unknown",
                );
            };
            let Some(quantity) = item.get("quantity").and_then(Value::as_i64) else {
                return v3_error(StatusCode::UNPROCESSABLE_ENTITY, "quantity is required");
            };
            let target = store.products.iter().filter(|p| !p.deleted).find_map(|p| {
                if let Some(vid) = item.get("variant_id").and_then(Value::as_u64) {
                    return p
                        .variants
                        .iter()
                        .position(|v| v.id == vid)
                        .map(|i| (p.id, i));
                }
                if let Some(sku) = item.get("sku").and_then(Value::as_str) {
                    return p
                        .variants
                        .iter()
                        .position(|v| v.sku == sku)
                        .map(|i| (p.id, i));
                }
                let pid = item.get("product_id").and_then(Value::as_u64)?;
                (p.id == pid && p.options.is_empty()).then_some((p.id, 0))
            });
            let Some((pid, index)) = target else {
                return v3_error(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "no inventory item matches (or it is tracked by variant)",
                );
            };
            plan.push((pid, index, location as usize - 1, quantity));
        }
        let at = now();
        for (pid, index, location, quantity) in plan {
            let Some(p) = store.product_mut(pid) else {
                continue;
            };
            let v = &mut p.variants[index];
            let Some(slot) = v.stock.get_mut(location) else {
                continue;
            };
            slot.1 = if absolute {
                quantity
            } else {
                slot.1.max(0) + quantity
            };
            v.updated_at = at;
            let value = slot.1;
            let (vid, sku_id, simple) = (v.id, v.inventory_item_id, p.options.is_empty());
            p.updated_at = at;
            let method = if absolute { "absolute" } else { "relative" };
            if simple {
                fired.push(("store/product/inventory/updated", json!({ "type": "product", "id": pid, "inventory": { "product_id": pid, "method": method, "value": value } })));
            } else {
                fired.push(("store/sku/inventory/updated", json!({ "type": "sku", "id": sku_id, "inventory": { "product_id": pid, "method": method, "value": value, "variant_id": vid } })));
            }
            fired.push((
                "store/channel/1/inventory/product/stock_changed",
                json!({ "variant_id": vid, "product_id": pid, "location_id": location + 1 }),
            ));
        }
    }
    for (scope, data) in fired {
        sim.fire(scope, data);
    }
    let n = sim
        .next_message
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    Json(json!({ "transaction_id": format!("{:08x}-0000-4000-8000-{n:012x}", n) })).into_response()
}

async fn adjust_absolute(State(sim): St, Json(body): Json<Value>) -> Response {
    adjust(&sim, &body, true)
}

async fn adjust_relative(State(sim): St, Json(body): Json<Value>) -> Response {
    adjust(&sim, &body, false)
}

// ------------------------------------------------------------------ v3 hooks

fn render_hook(sim: &Sim, h: &Hook) -> Value {
    json!({
        "id": h.id,
        "client_id": "simclient",
        "store_hash": sim.store_hash,
        "scope": h.scope,
        "destination": h.destination,
        "headers": h.headers,
        "is_active": h.is_active,
        "created_at": h.created_at,
        "updated_at": h.created_at,
    })
}

async fn hooks(State(sim): St) -> Response {
    let list: Vec<Value> = super::lock(&sim.hooks)
        .iter()
        .map(|h| render_hook(&sim, h))
        .collect();
    let total = list.len();
    v3_list(list, total, 1, total.max(1))
}

async fn hook_post(State(sim): St, Json(body): Json<Value>) -> Response {
    let scope = body.get("scope").and_then(Value::as_str).unwrap_or("");
    let destination = body
        .get("destination")
        .and_then(Value::as_str)
        .unwrap_or("");
    if !scope.starts_with("store/") {
        return v3_error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "scope must be a store/... webhook scope",
        );
    }
    if url::Url::parse(destination).is_err() {
        return v3_error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "destination must be a URL",
        );
    }
    let headers: BTreeMap<String, String> = body
        .get("headers")
        .and_then(Value::as_object)
        .map(|o| {
            o.iter()
                .filter_map(|(k, v)| Some((k.to_ascii_lowercase(), v.as_str()?.to_owned())))
                .collect()
        })
        .unwrap_or_default();
    let hook = {
        let mut hooks = super::lock(&sim.hooks);
        let hook = Hook {
            id: hooks.iter().map(|h| h.id).max().unwrap_or(1000) + 1,
            scope: scope.to_owned(),
            destination: destination.to_owned(),
            is_active: body
                .get("is_active")
                .and_then(Value::as_bool)
                .unwrap_or(true),
            headers,
            created_at: Utc::now().timestamp(),
        };
        hooks.push(hook.clone());
        hook
    };
    v3_one(render_hook(&sim, &hook))
}

/// `DELETE /v3/hooks/{id}`: answers the deleted hook, as BigCommerce does.
async fn hook_delete(State(sim): St, Path(id): Path<String>) -> Response {
    let removed = {
        let mut hooks = super::lock(&sim.hooks);
        let at = hooks.iter().position(|h| h.id.to_string() == id);
        at.map(|i| hooks.remove(i))
    };
    match removed {
        Some(hook) => v3_one(render_hook(&sim, &hook)),
        None => not_found(),
    }
}
