//! The simulator's REST Admin API: routing of `/admin/api/{version}/...` and
//! `/admin/oauth/...`, auth, the leaky bucket, `page_info` paging and the resources.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use chrono::{DateTime, Utc};
use http::{HeaderMap, HeaderValue, Method, StatusCode};
use polycart_kit::decode::parse_datetime;
use polycart_kit::sim::SimStore;
use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::SimState;
use super::ops::{self, OrderAction, Refusal, Tracking};
use super::render;

const CALL_LIMIT: &str = "x-shopify-shop-api-call-limit";

/// The access scopes the simulated app holds.
pub(super) const SCOPES: &[&str] = &[
    "read_orders",
    "write_orders",
    "read_all_orders",
    "read_products",
    "write_products",
    "read_customers",
    "read_inventory",
    "write_inventory",
    "read_locations",
    "read_fulfillments",
    "write_fulfillments",
    "read_merchant_managed_fulfillment_orders",
    "write_merchant_managed_fulfillment_orders",
];

pub(super) fn routes(state: Arc<SimState>) -> Router {
    let schema = super::graphql::schema(state.clone());
    let graphql = move |State(state): State<Arc<SimState>>,
                        Path(version): Path<String>,
                        headers: HeaderMap,
                        body: Bytes| {
        let schema = schema.clone();
        async move {
            if !valid_version(&version) {
                return error(StatusCode::NOT_FOUND, json!("Not Found"));
            }
            if !authorized(&state, &headers) {
                return unauthorized();
            }
            let host = headers
                .get(http::header::HOST)
                .and_then(|h| h.to_str().ok())
                .unwrap_or("127.0.0.1");
            let origin = format!("http://{host}");
            axum::Json(super::gql_http::execute(&state, &schema, &body, &origin, &version).await)
                .into_response()
        }
    };
    Router::new()
        .route(
            "/admin/api/{version}/graphql.json",
            axum::routing::post(graphql),
        )
        .route("/admin/api/{version}/{*path}", axum::routing::any(admin))
        .route("/bulk/{file}", axum::routing::get(bulk_file))
        .route(
            "/admin/oauth/access_scopes.json",
            axum::routing::get(access_scopes),
        )
        .route(
            "/admin/oauth/authorize",
            axum::routing::get(super::oauth::authorize),
        )
        .route(
            "/admin/oauth/access_token",
            axum::routing::post(super::oauth::access_token),
        )
        .with_state(state)
}

fn error(status: StatusCode, errors: Value) -> Response {
    (status, axum::Json(json!({ "errors": errors }))).into_response()
}

fn authorized(state: &SimState, headers: &HeaderMap) -> bool {
    headers
        .get("x-shopify-access-token")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| state.token_valid(t))
}

fn unauthorized() -> Response {
    error(
        StatusCode::UNAUTHORIZED,
        json!("[API] Invalid API key or access token (unrecognized login or wrong password)"),
    )
}

async fn access_scopes(State(state): State<Arc<SimState>>, headers: HeaderMap) -> Response {
    if !authorized(&state, &headers) {
        return unauthorized();
    }
    axum::Json(
        json!({"access_scopes": SCOPES.iter().map(|h| json!({"handle": h})).collect::<Vec<_>>()}),
    )
    .into_response()
}

/// A `YYYY-MM` version: Shopify answers any of them.
fn valid_version(v: &str) -> bool {
    let b = v.as_bytes();
    b.len() == 7 && b[4] == b'-' && b[..4].iter().chain(&b[5..]).all(u8::is_ascii_digit)
        || v == "unstable"
}

async fn admin(
    State(state): State<Arc<SimState>>,
    method: Method,
    headers: HeaderMap,
    Path((version, path)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    if !valid_version(&version) {
        return error(StatusCode::NOT_FOUND, json!("Not Found"));
    }
    if !authorized(&state, &headers) {
        return unauthorized();
    }
    let bucket = match state.bucket.take(1.0, Instant::now()) {
        Ok(b) => b,
        Err(refused) => {
            let wait = (refused.retry_after.as_secs_f64() * 10.0).ceil().max(1.0) / 10.0;
            let mut r = error(
                StatusCode::TOO_MANY_REQUESTS,
                json!(
                    "Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service."
                ),
            );
            let h = r.headers_mut();
            h.insert(
                "retry-after",
                HeaderValue::from_str(&format!("{wait:.1}")).expect("a number is a header"),
            );
            let limit = format!(
                "{}/{}",
                refused.state.capacity as u64, refused.state.capacity as u64
            );
            h.insert(
                CALL_LIMIT,
                HeaderValue::from_str(&limit).expect("a number is a header"),
            );
            return r;
        }
    };
    let host = headers
        .get(http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1")
        .to_owned();
    let ctx = Ctx {
        origin: format!("http://{host}"),
        version,
        query: url::form_urlencoded::parse(query.as_deref().unwrap_or("").as_bytes())
            .into_owned()
            .collect(),
        host,
    };
    let mut response = match handle(&state, &method, &path, &ctx, &body) {
        Ok(r) => r,
        Err(r) => r,
    };
    let used = format!("{}/{}", bucket.used.ceil() as u64, bucket.capacity as u64);
    response.headers_mut().insert(
        CALL_LIMIT,
        HeaderValue::from_str(&used).expect("a number is a header"),
    );
    response
}

struct Ctx {
    origin: String,
    host: String,
    version: String,
    query: BTreeMap<String, String>,
}

impl Ctx {
    fn q(&self, k: &str) -> Option<&str> {
        self.query
            .get(k)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }
}

type Reply = Result<Response, Response>;

fn ok(v: Value) -> Reply {
    Ok(axum::Json(v).into_response())
}

fn not_found() -> Response {
    error(StatusCode::NOT_FOUND, json!("Not Found"))
}

fn unprocessable(field: &str, message: &str) -> Response {
    error(
        StatusCode::UNPROCESSABLE_ENTITY,
        json!({ field: [message] }),
    )
}

fn id_of(segment: &str) -> Result<u64, Response> {
    segment
        .strip_suffix(".json")
        .unwrap_or(segment)
        .parse()
        .map_err(|_| not_found())
}

fn handle(state: &SimState, method: &Method, path: &str, ctx: &Ctx, body: &[u8]) -> Reply {
    let parts: Vec<&str> = path.split('/').collect();
    let json_body = || -> Result<Value, Response> {
        serde_json::from_slice(body).map_err(|_| {
            error(
                StatusCode::BAD_REQUEST,
                json!("could not parse the request body as JSON"),
            )
        })
    };
    match (method.as_str(), parts.as_slice()) {
        ("GET", ["shop.json"]) => {
            let store = state.store();
            ok(json!({"shop": render::shop(&store, &ctx.host, &state.plan)}))
        }
        ("GET", ["orders.json"]) => list(state, ctx, "orders", Resource::Orders),
        ("GET", ["orders", "count.json"]) => count(state, ctx, Resource::Orders),
        ("GET", ["orders", id]) => get_one(state, Resource::Orders, id_of(id)?),
        ("PUT", ["orders", id]) => update_order(state, id_of(id)?, &json_body()?),
        ("DELETE", ["orders", id]) => delete(state, Resource::Orders, id_of(id)?),
        ("POST", ["orders", id, "close.json"]) => {
            order_state(state, id_of(id)?, OrderAction::Close)
        }
        ("POST", ["orders", id, "open.json"]) => order_state(state, id_of(id)?, OrderAction::Open),
        ("POST", ["orders", id, "cancel.json"]) => {
            order_state(state, id_of(id)?, OrderAction::Cancel)
        }
        ("GET", ["orders", id, "fulfillment_orders.json"]) => fulfillment_orders(state, id_of(id)?),
        ("POST", ["fulfillments.json"]) => create_fulfillment(state, &json_body()?),
        ("GET", ["products.json"]) => list(state, ctx, "products", Resource::Products),
        ("GET", ["products", "count.json"]) => count(state, ctx, Resource::Products),
        ("GET", ["products", id]) => get_one(state, Resource::Products, id_of(id)?),
        ("PUT", ["products", id]) => update_product(state, id_of(id)?, &json_body()?),
        ("DELETE", ["products", id]) => delete(state, Resource::Products, id_of(id)?),
        ("PUT", ["variants", id]) => update_variant(state, id_of(id)?, &json_body()?),
        ("GET", ["variants", id]) => variant(state, None, id_of(id)?),
        // Variants nested under their product, as Shopify's own SDKs address them
        // (`Variant.save()` PUTs `products/{product_id}/variants/{id}.json`).
        ("GET", ["products", product, "variants.json"]) => variants(state, id_of(product)?),
        ("GET", ["products", product, "variants", id]) => {
            variant(state, Some(id_of(product)?), id_of(id)?)
        }
        ("PUT", ["products", product, "variants", id]) => {
            let (product, id) = (id_of(product)?, id_of(id)?);
            variant(state, Some(product), id)?;
            update_variant(state, id, &json_body()?)
        }
        ("GET", ["customers.json"]) => list(state, ctx, "customers", Resource::Customers),
        ("GET", ["customers", "count.json"]) => count(state, ctx, Resource::Customers),
        ("GET", ["customers", id]) => get_one(state, Resource::Customers, id_of(id)?),
        ("DELETE", ["customers", id]) => delete(state, Resource::Customers, id_of(id)?),
        ("GET", ["custom_collections.json"]) => {
            list(state, ctx, "custom_collections", Resource::Custom)
        }
        ("GET", ["custom_collections", "count.json"]) => count(state, ctx, Resource::Custom),
        ("GET", ["custom_collections", id]) => get_one(state, Resource::Custom, id_of(id)?),
        ("GET", ["smart_collections.json"]) => {
            list(state, ctx, "smart_collections", Resource::Smart)
        }
        ("GET", ["smart_collections", "count.json"]) => count(state, ctx, Resource::Smart),
        ("GET", ["smart_collections", id]) => get_one(state, Resource::Smart, id_of(id)?),
        ("GET", ["collects.json"]) => list(state, ctx, "collects", Resource::Collects),
        ("GET", ["locations.json"]) => {
            let store = state.store();
            ok(
                json!({"locations": store.locations.iter().map(render::location).collect::<Vec<_>>()}),
            )
        }
        ("GET", ["locations", "count.json"]) => ok(json!({"count": state.store().locations.len()})),
        ("GET", ["inventory_levels.json"]) => {
            if ctx.q("inventory_item_ids").is_none()
                && ctx.q("location_ids").is_none()
                && ctx.q("page_info").is_none()
            {
                return Err(unprocessable(
                    "base",
                    "inventory_item_ids, location_ids or page_info is required",
                ));
            }
            list(state, ctx, "inventory_levels", Resource::Levels)
        }
        ("POST", ["inventory_levels", "set.json"]) => set_inventory(state, &json_body()?, false),
        ("POST", ["inventory_levels", "adjust.json"]) => set_inventory(state, &json_body()?, true),
        ("GET", ["events.json"]) => events(state, ctx),
        ("GET", ["webhooks.json"]) => ok(json!({ "webhooks": state.webhooks_json() })),
        ("GET", ["webhooks", "count.json"]) => ok(json!({ "count": state.webhooks_json().len() })),
        ("POST", ["webhooks.json"]) => {
            let body = json_body()?;
            let w = &body["webhook"];
            let (Some(topic), Some(address)) = (w["topic"].as_str(), w["address"].as_str()) else {
                return Err(unprocessable("webhook", "topic and address are required"));
            };
            if url::Url::parse(address).is_err() {
                return Err(unprocessable("address", "is invalid"));
            }
            match state.subscribe(topic, address) {
                Some(created) => Ok((
                    StatusCode::CREATED,
                    axum::Json(json!({ "webhook": created })),
                )
                    .into_response()),
                None => Err(unprocessable(
                    "address",
                    "for this topic has already been taken",
                )),
            }
        }
        ("DELETE", ["webhooks", id]) => {
            if state.unsubscribe(id_of(id)?) {
                ok(json!({}))
            } else {
                Err(not_found())
            }
        }
        _ => Err(not_found()),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Resource {
    Orders,
    Products,
    Customers,
    Custom,
    Smart,
    Collects,
    Levels,
}

impl Resource {
    fn singular(self) -> &'static str {
        match self {
            Resource::Orders => "order",
            Resource::Products => "product",
            Resource::Customers => "customer",
            Resource::Custom => "custom_collection",
            Resource::Smart => "smart_collection",
            Resource::Collects => "collect",
            Resource::Levels => "inventory_level",
        }
    }
}

/// One listable record: its paging key, timestamps, and how to render its JSON
/// (only the rows of the page served are rendered).
struct Row<'a> {
    key: u128,
    created: Option<DateTime<Utc>>,
    updated: Option<DateTime<Utc>>,
    status: Option<&'static str>,
    json: Box<dyn Fn() -> Value + 'a>,
}

fn rows(store: &SimStore, resource: Resource) -> Vec<Row<'_>> {
    let cur = store.currency;
    let mut out: Vec<Row> = match resource {
        Resource::Orders => store
            .orders
            .iter()
            .filter(|o| !o.deleted)
            .map(|o| Row {
                key: o.id.into(),
                created: Some(o.created_at),
                updated: Some(o.updated_at),
                status: Some(render::order_status(o)),
                json: Box::new(move || render::order(o, store)),
            })
            .collect(),
        Resource::Products => store
            .products
            .iter()
            .filter(|p| !p.deleted)
            .map(|p| Row {
                key: p.id.into(),
                created: Some(p.created_at),
                updated: Some(p.updated_at),
                status: Some(render::product_status(p.status)),
                json: Box::new(move || render::product(p, cur)),
            })
            .collect(),
        Resource::Customers => store
            .customers
            .iter()
            .filter(|c| !c.deleted)
            .map(|c| Row {
                key: c.id.into(),
                created: Some(c.created_at),
                updated: Some(c.updated_at),
                status: None,
                json: Box::new(move || render::customer(c, cur)),
            })
            .collect(),
        Resource::Custom | Resource::Smart => store
            .categories
            .iter()
            .filter(|c| render::is_smart(c) == (resource == Resource::Smart))
            .map(|c| {
                let n = store
                    .products
                    .iter()
                    .filter(|p| !p.deleted && p.category_ids.contains(&c.id))
                    .count();
                Row {
                    key: c.id.into(),
                    created: Some(c.created_at),
                    updated: Some(c.updated_at),
                    status: None,
                    json: Box::new(move || render::collection(c, n)),
                }
            })
            .collect(),
        Resource::Collects => store
            .products
            .iter()
            .filter(|p| !p.deleted)
            .flat_map(|p| p.category_ids.iter().map(move |c| (p, *c)))
            .filter(|(_, c)| {
                store
                    .categories
                    .iter()
                    .any(|cat| cat.id == *c && !render::is_smart(cat))
            })
            .map(|(p, c)| {
                let id = (u128::from(c) << 64) | u128::from(p.id);
                Row {
                    key: id,
                    created: Some(p.created_at),
                    updated: Some(p.updated_at),
                    status: None,
                    json: Box::new(move || {
                        json!({
                            "id": c * 1_000_000 + p.id,
                            "collection_id": c,
                            "product_id": p.id,
                            "created_at": render::shop_time(p.created_at),
                            "updated_at": render::shop_time(p.updated_at),
                            "position": 1,
                            "sort_value": "0000000001",
                        })
                    }),
                }
            })
            .collect(),
        Resource::Levels => store
            .products
            .iter()
            .filter(|p| !p.deleted)
            .flat_map(|p| &p.variants)
            .flat_map(|v| v.stock.iter().map(move |(loc, q)| (v, *loc, *q)))
            .map(|(v, loc, q)| Row {
                key: (u128::from(v.inventory_item_id) << 64) | u128::from(loc),
                created: None,
                updated: Some(v.updated_at),
                status: None,
                json: Box::new(move || {
                    render::inventory_level(v.inventory_item_id, loc, q, v.updated_at)
                }),
            })
            .collect(),
    };
    out.sort_by_key(|r| r.key);
    out
}

fn ids(list: Option<&str>) -> Option<Vec<u64>> {
    list.map(|l| l.split(',').filter_map(|s| s.trim().parse().ok()).collect())
}

/// A date filter (`updated_at_min`, ...), read as Shopify reads it (see
/// [`super::shop_clock::parse_filter_time`]: dates, date-times with or without an
/// offset, zone-less ones in the shop's time zone).
fn time_filter(ctx: &Ctx, name: &str) -> Result<Option<DateTime<Utc>>, Response> {
    match ctx.q(name) {
        None => Ok(None),
        Some(t) => super::shop_clock::parse_filter_time(t)
            .map(Some)
            .ok_or_else(|| unprocessable(name, "is not a valid date")),
    }
}

/// The field a listing is sorted by (`order=updated_at asc`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SortField {
    Id,
    Created,
    Updated,
}

/// A listing's sort order: `order=<field> <asc|desc>` with `id`, `created_at`,
/// `updated_at` (orders also `processed_at`, which is their creation time here); ties
/// are broken by id in the same direction. Without `order` (or with one Shopify does
/// not sort by, which it ignores) the rows come by id, ascending. The order is frozen
/// into `page_info` with the filters, so every page continues the same sequence.
#[derive(Debug, Clone, Copy)]
struct SortOrder {
    field: SortField,
    descending: bool,
}

impl SortOrder {
    fn of(filters: &BTreeMap<String, String>) -> SortOrder {
        let default = SortOrder {
            field: SortField::Id,
            descending: false,
        };
        let Some(text) = filters.get("order") else {
            return default;
        };
        let mut words = text.split_whitespace();
        let field = match words.next() {
            Some("id") => SortField::Id,
            Some("created_at" | "processed_at") => SortField::Created,
            Some("updated_at") => SortField::Updated,
            _ => return default,
        };
        let descending = match words.next().map(str::to_ascii_lowercase).as_deref() {
            None | Some("asc") => false,
            Some("desc") => true,
            Some(_) => return default,
        };
        SortOrder { field, descending }
    }

    /// Where a row stands: its sort value (microseconds; 0 when sorting by id) and key.
    fn position(self, r: &Row) -> (i64, u128) {
        let at = |t: Option<DateTime<Utc>>| t.map_or(i64::MIN, |t| t.timestamp_micros());
        let value = match self.field {
            SortField::Id => 0,
            SortField::Created => at(r.created),
            SortField::Updated => at(r.updated),
        };
        (value, r.key)
    }

    fn compare(self, a: (i64, u128), b: (i64, u128)) -> std::cmp::Ordering {
        if self.descending {
            b.cmp(&a)
        } else {
            a.cmp(&b)
        }
    }
}

/// A `page_info` position (`value:key`).
fn encode_position((value, key): (i64, u128)) -> String {
    format!("{value}:{key}")
}

fn decode_position(text: &str) -> Option<(i64, u128)> {
    let (value, key) = text.split_once(':')?;
    Some((value.parse().ok()?, key.parse().ok()?))
}

/// The filters of a listing, parsed; what page_info tokens freeze.
fn filtered<'a>(
    store: &'a SimStore,
    resource: Resource,
    filters: &BTreeMap<String, String>,
) -> Result<Vec<Row<'a>>, Response> {
    let ctx = Ctx {
        origin: String::new(),
        host: String::new(),
        version: String::new(),
        query: filters.clone(),
    };
    let updated_min = time_filter(&ctx, "updated_at_min")?;
    let updated_max = time_filter(&ctx, "updated_at_max")?;
    let created_min = time_filter(&ctx, "created_at_min")?;
    let created_max = time_filter(&ctx, "created_at_max")?;
    // An order's processing time is its creation time in the generated store.
    let (processed_min, processed_max) = if resource == Resource::Orders {
        (
            time_filter(&ctx, "processed_at_min")?,
            time_filter(&ctx, "processed_at_max")?,
        )
    } else {
        (None, None)
    };
    let id_list = ids(ctx.q("ids"));
    let since_id: Option<u128> = ctx.q("since_id").and_then(|s| s.parse().ok());
    let status = ctx.q("status").map(str::to_owned);
    let item_ids = ids(ctx.q("inventory_item_ids"));
    let location_ids = ids(ctx.q("location_ids"));
    let collection_id: Option<u64> = ctx.q("collection_id").and_then(|s| s.parse().ok());
    let product_id: Option<u64> = ctx.q("product_id").and_then(|s| s.parse().ok());
    let order_status = match (resource, status.as_deref()) {
        (Resource::Orders, None) => Some("open"),
        (Resource::Orders, Some("any")) => None,
        (Resource::Orders, Some(s @ ("open" | "closed" | "cancelled"))) => Some(s),
        (Resource::Orders, Some(_)) => return Err(unprocessable("status", "is invalid")),
        _ => None,
    };
    let keep = |r: &Row| -> bool {
        let key_id = (r.key & u128::from(u64::MAX)) as u64;
        updated_min.is_none_or(|m| r.updated.is_some_and(|u| u >= m))
            && updated_max.is_none_or(|m| r.updated.is_some_and(|u| u <= m))
            && created_min.is_none_or(|m| r.created.is_some_and(|c| c >= m))
            && created_max.is_none_or(|m| r.created.is_some_and(|c| c <= m))
            && processed_min.is_none_or(|m| r.created.is_some_and(|c| c >= m))
            && processed_max.is_none_or(|m| r.created.is_some_and(|c| c <= m))
            && id_list.as_ref().is_none_or(|l| l.contains(&key_id))
            && since_id.is_none_or(|s| r.key > s)
            && match resource {
                Resource::Orders => order_status.is_none_or(|s| r.status == Some(s)),
                Resource::Products => status.as_deref().is_none_or(|s| r.status == Some(s)),
                Resource::Levels => {
                    let item = (r.key >> 64) as u64;
                    item_ids.as_ref().is_none_or(|l| l.contains(&item))
                        && location_ids.as_ref().is_none_or(|l| l.contains(&key_id))
                }
                Resource::Collects => {
                    let coll = (r.key >> 64) as u64;
                    collection_id.is_none_or(|c| c == coll)
                        && product_id.is_none_or(|p| p == key_id)
                }
                _ => true,
            }
    };
    let mut rows: Vec<Row> = rows(store, resource).into_iter().filter(keep).collect();
    if resource == Resource::Products {
        if let Some(c) = collection_id {
            rows.retain(|r| {
                let id = r.key as u64;
                store
                    .products
                    .iter()
                    .any(|p| p.id == id && p.category_ids.contains(&c))
            });
        }
    }
    Ok(rows)
}

/// What a `page_info` token carries: the listing it belongs to, its frozen filters,
/// and where the page starts.
#[derive(serde::Serialize, serde::Deserialize)]
struct PageInfo {
    r: String,
    f: BTreeMap<String, String>,
    /// Rows after this position in the listing's order (next page).
    a: Option<String>,
    /// Rows before this position (previous page).
    b: Option<String>,
}

fn encode_page_info(p: &PageInfo) -> String {
    let json = serde_json::to_vec(p).expect("page info serialises");
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json)
}

fn decode_page_info(text: &str, resource: &str) -> Option<PageInfo> {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(text)
        .ok()?;
    let p: PageInfo = serde_json::from_slice(&bytes).ok()?;
    (p.r == resource).then_some(p)
}

fn invalid_page_info() -> Response {
    error(
        StatusCode::BAD_REQUEST,
        json!({"page_info": ["Invalid value."]}),
    )
}

fn list(state: &SimState, ctx: &Ctx, key: &str, resource: Resource) -> Reply {
    let limit: usize = match ctx.q("limit") {
        None => 50,
        Some(l) => match l.parse::<usize>() {
            Ok(n) if (1..=250).contains(&n) => n,
            _ => {
                return Err(error(
                    StatusCode::BAD_REQUEST,
                    json!({"limit": ["must be between 1 and 250"]}),
                ));
            }
        },
    };
    let (filters, after, before) = match ctx.q("page_info") {
        Some(token) => {
            // A page_info carries its filters: anything but limit and fields is refused.
            if ctx
                .query
                .keys()
                .any(|k| !matches!(k.as_str(), "page_info" | "limit" | "fields"))
            {
                return Err(error(
                    StatusCode::BAD_REQUEST,
                    json!({"page_info": ["cannot be combined with other parameters than limit and fields"]}),
                ));
            }
            let p = decode_page_info(token, key).ok_or_else(invalid_page_info)?;
            let parse = |s: Option<String>| {
                s.map(|s| decode_position(&s).ok_or_else(invalid_page_info))
                    .transpose()
            };
            (p.f, parse(p.a)?, parse(p.b)?)
        }
        None => {
            let f: BTreeMap<String, String> = ctx
                .query
                .iter()
                .filter(|(k, _)| !matches!(k.as_str(), "limit" | "fields" | "page_info"))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            (f, None, None)
        }
    };
    let store = state.store();
    let order = SortOrder::of(&filters);
    let mut rows = filtered(&store, resource, &filters)?;
    rows.sort_by(|x, y| order.compare(order.position(x), order.position(y)));
    let is = |r: &Row, cursor: (i64, u128), want: std::cmp::Ordering| {
        order.compare(order.position(r), cursor) == want
    };
    let (page, has_prev, has_next): (Vec<&Row>, bool, bool) = match (after, before) {
        (_, Some(b)) => {
            let earlier: Vec<&Row> = rows
                .iter()
                .filter(|r| is(r, b, std::cmp::Ordering::Less))
                .collect();
            let start = earlier.len().saturating_sub(limit);
            (earlier[start..].to_vec(), start > 0, true)
        }
        (a, None) => {
            let later: Vec<&Row> = rows
                .iter()
                .filter(|r| a.is_none_or(|a| is(r, a, std::cmp::Ordering::Greater)))
                .collect();
            let has_next = later.len() > limit;
            (
                later.into_iter().take(limit).collect(),
                a.is_some(),
                has_next,
            )
        }
    };
    let fields: Option<Vec<&str>> = ctx
        .q("fields")
        .map(|f| f.split(',').map(str::trim).collect());
    let items: Vec<Value> = page
        .iter()
        .map(|r| select(&(r.json)(), fields.as_deref()))
        .collect();
    let (first_key, last_key) = (
        page.first().map(|r| encode_position(order.position(r))),
        page.last().map(|r| encode_position(order.position(r))),
    );
    drop(page);
    drop(rows);
    drop(store);
    let mut response = axum::Json(json!({ key: items })).into_response();
    let link_to = |p: PageInfo, rel: &str| {
        format!(
            "<{}/admin/api/{}/{key}.json?limit={limit}&page_info={}>; rel=\"{rel}\"",
            ctx.origin,
            ctx.version,
            encode_page_info(&p)
        )
    };
    let mut links = Vec::new();
    if has_prev {
        if let Some(first) = first_key {
            links.push(link_to(
                PageInfo {
                    r: key.to_owned(),
                    f: filters.clone(),
                    a: None,
                    b: Some(first),
                },
                "previous",
            ));
        }
    }
    if has_next {
        if let Some(last) = last_key {
            links.push(link_to(
                PageInfo {
                    r: key.to_owned(),
                    f: filters.clone(),
                    a: Some(last),
                    b: None,
                },
                "next",
            ));
        }
    }
    if !links.is_empty() {
        response.headers_mut().insert(
            http::header::LINK,
            HeaderValue::from_str(&links.join(", ")).expect("links are ascii"),
        );
    }
    Ok(response)
}

/// Keeps only the requested top-level `fields`.
fn select(v: &Value, fields: Option<&[&str]>) -> Value {
    match (fields, v.as_object()) {
        (Some(fields), Some(map)) => Value::Object(
            map.iter()
                .filter(|(k, _)| fields.contains(&k.as_str()))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        ),
        _ => v.clone(),
    }
}

fn count(state: &SimState, ctx: &Ctx, resource: Resource) -> Reply {
    let store = state.store();
    let n = filtered(&store, resource, &ctx.query)?.len();
    ok(json!({ "count": n }))
}

fn get_one(state: &SimState, resource: Resource, id: u64) -> Reply {
    let store = state.store();
    // A single order is found whatever its status.
    let mut filters = BTreeMap::new();
    if resource == Resource::Orders {
        filters.insert("status".to_owned(), "any".to_owned());
    }
    let row = filtered(&store, resource, &filters)?
        .into_iter()
        .find(|r| r.key == u128::from(id))
        .ok_or_else(not_found)?;
    ok(json!({ resource.singular(): (row.json)() }))
}

fn delete(state: &SimState, resource: Resource, id: u64) -> Reply {
    let mut store = state.store();
    let now = Utc::now();
    let (subject, topic, found) = match resource {
        Resource::Orders => (
            "Order",
            "orders/delete",
            store
                .orders
                .iter_mut()
                .find(|o| o.id == id && !o.deleted)
                .map(|o| o.deleted = true),
        ),
        Resource::Products => (
            "Product",
            "products/delete",
            store
                .products
                .iter_mut()
                .find(|p| p.id == id && !p.deleted)
                .map(|p| p.deleted = true),
        ),
        Resource::Customers => (
            "Customer",
            "customers/delete",
            store
                .customers
                .iter_mut()
                .find(|c| c.id == id && !c.deleted)
                .map(|c| c.deleted = true),
        ),
        _ => return Err(not_found()),
    };
    found.ok_or_else(not_found)?;
    drop(store);
    let mut events = state.events();
    let event_id = 1_000_000 + events.len() as u64;
    events.push(json!({
        "id": event_id,
        "subject_id": id,
        "created_at": render::shop_time(now),
        "subject_type": subject,
        "verb": "destroy",
        "arguments": [],
        "body": null,
        "message": format!("{subject} {id} was deleted."),
        "author": "polycart",
        "description": format!("{subject} {id} was deleted."),
        "path": null,
    }));
    drop(events);
    // Shopify's delete webhooks carry only the id.
    state.notify(topic, &json!({ "id": id }));
    ok(json!({}))
}

fn events(state: &SimState, ctx: &Ctx) -> Reply {
    let created_min = time_filter(ctx, "created_at_min")?;
    let filter: Option<Vec<String>> = ctx
        .q("filter")
        .map(|f| f.split(',').map(|s| s.trim().to_owned()).collect());
    let verb = ctx.q("verb");
    let events = state.events();
    let items: Vec<Value> = events
        .iter()
        .filter(|e| {
            filter
                .as_ref()
                .is_none_or(|f| f.iter().any(|s| e["subject_type"] == s.as_str()))
        })
        .filter(|e| verb.is_none_or(|v| e["verb"] == v))
        .filter(|e| {
            created_min.is_none_or(|m| {
                e["created_at"]
                    .as_str()
                    .and_then(parse_datetime)
                    .is_some_and(|c| c >= m)
            })
        })
        .cloned()
        .collect();
    ok(json!({ "events": items }))
}

/// A refused write as Shopify's REST API answers it.
fn refused(r: Refusal) -> Response {
    match r {
        Refusal::NotFound => not_found(),
        Refusal::Invalid { field, message } => unprocessable(field, &message),
    }
}

/// The order as it is now.
fn order_json(state: &SimState, id: u64) -> Reply {
    let store = state.store();
    let o = store
        .orders
        .iter()
        .find(|o| o.id == id && !o.deleted)
        .ok_or_else(not_found)?;
    ok(json!({ "order": render::order(o, &store) }))
}

fn update_order(state: &SimState, id: u64, body: &Value) -> Reply {
    let patch = &body["order"];
    let tags = patch["tags"]
        .as_str()
        .map(|tags| tags.split(',').map(str::to_owned).collect());
    let note = patch.get("note").map(|n| n.as_str().map(str::to_owned));
    state.update_order(id, tags, note).map_err(refused)?;
    order_json(state, id)
}

fn order_state(state: &SimState, id: u64, action: OrderAction) -> Reply {
    state.order_action(id, action).map_err(refused)?;
    order_json(state, id)
}

fn fulfillment_orders(state: &SimState, id: u64) -> Reply {
    let fo = state.fulfillment_order(id).map_err(refused)?;
    ok(json!({ "fulfillment_orders": [ops::render_fulfillment_order(&fo)] }))
}

fn create_fulfillment(state: &SimState, body: &Value) -> Reply {
    let f = &body["fulfillment"];
    let groups = f["line_items_by_fulfillment_order"]
        .as_array()
        .ok_or_else(|| unprocessable("line_items_by_fulfillment_order", "is required"))?;
    let mut wanted = Vec::with_capacity(groups.len());
    for g in groups {
        let fo = g["fulfillment_order_id"]
            .as_u64()
            .ok_or_else(|| unprocessable("fulfillment_order_id", "is required"))?;
        let items = g["fulfillment_order_line_items"].as_array().map(|items| {
            items
                .iter()
                .filter_map(|i| Some((i["id"].as_u64()?, i["quantity"].as_u64()? as u32)))
                .collect()
        });
        wanted.push((fo, items));
    }
    let tracking = &f["tracking_info"];
    let text = |k: &str| tracking[k].as_str().map(str::to_owned);
    let fulfillment = state
        .fulfill(
            &wanted,
            Tracking {
                company: text("company"),
                number: text("number"),
                url: text("url"),
            },
        )
        .map_err(refused)?;
    Ok((
        StatusCode::CREATED,
        axum::Json(json!({ "fulfillment": fulfillment })),
    )
        .into_response())
}

fn update_product(state: &SimState, id: u64, body: &Value) -> Reply {
    let patch = &body["product"];
    let tags = patch["tags"]
        .as_str()
        .map(|tags| tags.split(',').map(str::to_owned).collect());
    let product = state
        .update_product(id, patch["title"].as_str(), patch["status"].as_str(), tags)
        .map_err(refused)?;
    ok(json!({ "product": product }))
}

fn money_field(v: &Value, field: &str) -> Result<Option<Option<Decimal>>, Response> {
    match v.get(field) {
        None => Ok(None),
        Some(Value::Null) => Ok(Some(None)),
        Some(Value::String(s)) => s
            .parse()
            .map(|d| Some(Some(d)))
            .map_err(|_| unprocessable(field, "is not a number")),
        Some(Value::Number(n)) => n
            .to_string()
            .parse()
            .map(|d| Some(Some(d)))
            .map_err(|_| unprocessable(field, "is not a number")),
        Some(_) => Err(unprocessable(field, "is not a number")),
    }
}

/// A product's variants as the REST API renders them, or 404.
fn product_variants(state: &SimState, product: u64) -> Result<Vec<Value>, Response> {
    let store = state.store();
    let p = store
        .products
        .iter()
        .find(|p| p.id == product && !p.deleted)
        .ok_or_else(not_found)?;
    let rendered = render::product(p, store.currency);
    Ok(rendered["variants"].as_array().cloned().unwrap_or_default())
}

fn variants(state: &SimState, product: u64) -> Reply {
    ok(json!({ "variants": product_variants(state, product)? }))
}

/// One variant, by its id alone or under the product it must belong to.
fn variant(state: &SimState, product: Option<u64>, id: u64) -> Reply {
    let product = match product {
        Some(p) => p,
        None => state
            .store()
            .products
            .iter()
            .find(|p| !p.deleted && p.variants.iter().any(|v| v.id == id))
            .map(|p| p.id)
            .ok_or_else(not_found)?,
    };
    let found = product_variants(state, product)?
        .into_iter()
        .find(|v| v["id"] == id)
        .ok_or_else(not_found)?;
    ok(json!({ "variant": found }))
}

fn update_variant(state: &SimState, id: u64, body: &Value) -> Reply {
    let patch = &body["variant"];
    let price = match money_field(patch, "price")? {
        Some(None) => return Err(unprocessable("price", "can't be blank")),
        p => p.flatten(),
    };
    let compare = money_field(patch, "compare_at_price")?;
    let product = state.update_variant(id, price, compare).map_err(refused)?;
    let variant = product["variants"]
        .as_array()
        .and_then(|vs| vs.iter().find(|v| v["id"] == id).cloned())
        .unwrap_or(Value::Null);
    ok(json!({ "variant": variant }))
}

fn set_inventory(state: &SimState, body: &Value, adjust: bool) -> Reply {
    let item = body["inventory_item_id"]
        .as_u64()
        .ok_or_else(|| unprocessable("inventory_item_id", "is required"))?;
    let location = body["location_id"]
        .as_u64()
        .ok_or_else(|| unprocessable("location_id", "is required"))?;
    let field = if adjust {
        "available_adjustment"
    } else {
        "available"
    };
    let value = body[field]
        .as_i64()
        .ok_or_else(|| unprocessable(field, "is required"))?;
    let available = state
        .set_level(item, location, value, adjust)
        .map_err(refused)?;
    let level = render::inventory_level(item, location, available, Utc::now());
    ok(json!({ "inventory_level": level }))
}

/// A bulk operation's JSONL (`{id}.jsonl`, or a failed one's `{id}.partial.jsonl`),
/// reachable without the token like a signed storage URL.
async fn bulk_file(State(state): State<Arc<SimState>>, Path(file): Path<String>) -> Response {
    let Some(name) = file.strip_suffix(".jsonl") else {
        return not_found();
    };
    let (name, partial) = match name.strip_suffix(".partial") {
        Some(n) => (n, true),
        None => (name, false),
    };
    let Ok(id) = name.parse::<u64>() else {
        return not_found();
    };
    match state.bulk_file(id, partial) {
        Some(text) => ([(http::header::CONTENT_TYPE, "application/jsonl")], text).into_response(),
        None => not_found(),
    }
}
