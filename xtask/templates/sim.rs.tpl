//! A {{Name}} simulator: the platform's REST listings (`GET /api/v1/orders`,
//! `/products`, page numbers with `meta.total_pages`, `updated_at_min`, sorted by id)
//! and single records, behind a bearer token, over the kit's generated store, with the
//! kit's fault injection. Rendered from the platform's documented payloads, never
//! from the adapter's types.
//!
//! The skeleton's stub: replace the rendering with the platform's real shapes (its
//! fixtures are the reference) and add its rate limits with real headers.

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Path, Query, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{DateTime, SecondsFormat, Utc};
use futures::future::BoxFuture;
use polycart_kit::adapter::WebhookKind;
use polycart_kit::model::Entity;
use polycart_kit::sim::{
    Delivery, Faults, SimError, SimHandle, SimInfo, SimOptions, SimOrder, SimProduct, SimServer,
    SimStore, Signing,
};
use serde_json::{Value, json};

/// A running simulator's state, for tests.
#[derive(Clone)]
pub struct {{Name}}Sim {
    store: Arc<Mutex<SimStore>>,
    token: String,
    faults: Arc<Faults>,
}

impl {{Name}}Sim {
    /// The generated store, to read or change.
    pub fn store(&self) -> std::sync::MutexGuard<'_, SimStore> {
        self.store.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn number(entity: Entity, id: &str) -> Result<u64, SimError> {
    id.parse().map_err(|_| SimError::not_found(entity, id))
}

/// What the conformance suite drives: the store's truth, merchant edits and deletions,
/// faults. The skeleton platform has no webhooks.
impl SimHandle for {{Name}}Sim {
    fn truth(&self, entity: Entity) -> Result<Vec<String>, SimError> {
        let s = self.store();
        match entity {
            Entity::Order => Ok(s.orders.iter().filter(|o| !o.deleted).map(|o| o.id.to_string()).collect()),
            Entity::Product => Ok(s.products.iter().filter(|p| !p.deleted).map(|p| p.id.to_string()).collect()),
            other => Err(SimError::unsupported(format!("{other}s are not listed"))),
        }
    }

    fn touch(&self, entity: Entity, id: &str, at: DateTime<Utc>) -> Result<(), SimError> {
        let mut s = self.store();
        let n = number(entity, id)?;
        match entity {
            Entity::Order => s.touch_order(n, at).ok_or_else(|| SimError::not_found(entity, id))?,
            Entity::Product => s.touch_product(n, at).ok_or_else(|| SimError::not_found(entity, id))?,
            other => return Err(SimError::unsupported(format!("{other}s are not listed"))),
        }
        Ok(())
    }

    fn delete(&self, entity: Entity, id: &str) -> Result<(), SimError> {
        let mut s = self.store();
        let n = number(entity, id)?;
        match entity {
            Entity::Order => s.order_mut(n).ok_or_else(|| SimError::not_found(entity, id))?.deleted = true,
            Entity::Product => s.product_mut(n).ok_or_else(|| SimError::not_found(entity, id))?.deleted = true,
            other => return Err(SimError::unsupported(format!("{other}s are not listed"))),
        }
        Ok(())
    }

    fn faults(&self) -> &Arc<Faults> {
        &self.faults
    }

    fn webhook(&self, _: Entity, _: &str, _: WebhookKind, _: Signing) -> Result<Delivery, SimError> {
        Err(SimError::unsupported("the skeleton platform has no webhooks"))
    }

    fn payload(&self, entity: Entity, id: &str) -> Result<Value, SimError> {
        let s = self.store();
        let n = number(entity, id)?;
        let found = match entity {
            Entity::Order => s.orders.iter().find(|o| o.id == n && !o.deleted).map(render_order),
            Entity::Product => s
                .products
                .iter()
                .find(|p| p.id == n && !p.deleted)
                .map(|p| render_product(p, s.currency)),
            other => return Err(SimError::unsupported(format!("{other}s are not listed"))),
        };
        found.ok_or_else(|| SimError::not_found(entity, id))
    }
}

fn time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn render_order(o: &SimOrder) -> Value {
    let total: rust_decimal::Decimal = o
        .line_items
        .iter()
        .map(|l| l.price * rust_decimal::Decimal::from(l.quantity))
        .sum::<rust_decimal::Decimal>()
        + o.shipping_price;
    json!({
        "id": o.id,
        "number": o.number.to_string(),
        "status": format!("{:?}", o.state).to_lowercase(),
        "currency": o.currency,
        "total": total.to_string(),
        "line_items": o.line_items.iter().map(|l| json!({
            "id": l.id, "sku": l.sku, "name": l.title, "quantity": l.quantity, "price": l.price.to_string(),
        })).collect::<Vec<_>>(),
        "created_at": time(o.created_at),
        "updated_at": time(o.updated_at),
    })
}

fn render_product(p: &SimProduct, currency: &str) -> Value {
    let first = p.variants.first();
    json!({
        "id": p.id,
        "name": p.title,
        "sku": first.map(|v| v.sku.clone()),
        "price": first.map(|v| v.price.to_string()),
        "currency": currency,
        "created_at": time(p.created_at),
        "updated_at": time(p.updated_at),
    })
}

fn error(status: StatusCode, message: &str) -> Response {
    (status, axum::Json(json!({ "error": message }))).into_response()
}

/// One page of `rows` (already filtered and sorted) as `{key: [...], meta}`.
fn page(key: &str, rows: Vec<Value>, q: &HashMap<String, String>) -> Response {
    let number = |k: &str, default: usize| q.get(k).map_or(Ok(default), |v| v.parse::<usize>());
    let (Ok(page), Ok(per_page)) = (number("page", 1), number("per_page", 20)) else {
        return error(StatusCode::BAD_REQUEST, "page and per_page are whole numbers");
    };
    if page == 0 || !(1..=100).contains(&per_page) {
        return error(StatusCode::BAD_REQUEST, "page >= 1, per_page in 1..=100");
    }
    let total_pages = rows.len().div_ceil(per_page);
    let rows: Vec<Value> = rows.into_iter().skip((page - 1) * per_page).take(per_page).collect();
    axum::Json(json!({ key: rows, "meta": { "page": page, "per_page": per_page, "total_pages": total_pages } }))
        .into_response()
}

fn since(q: &HashMap<String, String>) -> Result<Option<DateTime<Utc>>, Response> {
    q.get("updated_at_min")
        .map(|v| {
            DateTime::parse_from_rfc3339(v)
                .map(|t| t.with_timezone(&Utc))
                .map_err(|_| error(StatusCode::BAD_REQUEST, "updated_at_min is an RFC 3339 time"))
        })
        .transpose()
}

async fn orders(State(sim): State<{{Name}}Sim>, Query(q): Query<HashMap<String, String>>) -> Response {
    let since = match since(&q) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let store = sim.store();
    let mut rows: Vec<&SimOrder> = store
        .orders
        .iter()
        .filter(|o| !o.deleted && since.is_none_or(|s| o.updated_at >= s))
        .collect();
    rows.sort_by_key(|o| o.id);
    page("orders", rows.into_iter().map(render_order).collect(), &q)
}

async fn products(State(sim): State<{{Name}}Sim>, Query(q): Query<HashMap<String, String>>) -> Response {
    let since = match since(&q) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let store = sim.store();
    let mut rows: Vec<&SimProduct> = store
        .products
        .iter()
        .filter(|p| !p.deleted && since.is_none_or(|s| p.updated_at >= s))
        .collect();
    rows.sort_by_key(|p| p.id);
    page("products", rows.into_iter().map(|p| render_product(p, store.currency)).collect(), &q)
}

async fn order(State(sim): State<{{Name}}Sim>, Path(id): Path<String>) -> Response {
    let store = sim.store();
    match store.orders.iter().find(|o| !o.deleted && o.id.to_string() == id) {
        Some(o) => axum::Json(json!({ "order": render_order(o) })).into_response(),
        None => error(StatusCode::NOT_FOUND, "not found"),
    }
}

async fn product(State(sim): State<{{Name}}Sim>, Path(id): Path<String>) -> Response {
    let store = sim.store();
    match store.products.iter().find(|p| !p.deleted && p.id.to_string() == id) {
        Some(p) => axum::Json(json!({ "product": render_product(p, store.currency) })).into_response(),
        None => error(StatusCode::NOT_FOUND, "not found"),
    }
}

/// `Authorization: Bearer <token>` must name the store's token.
async fn auth(State(sim): State<{{Name}}Sim>, request: Request, next: Next) -> Response {
    let given = request.headers().get("authorization").and_then(|v| v.to_str().ok());
    if given != Some(format!("Bearer {}", sim.token).as_str()) {
        return error(StatusCode::UNAUTHORIZED, "invalid access token");
    }
    next.run(request).await
}

/// Starts the simulator and returns a handle on its state (for tests).
pub async fn start(options: SimOptions, addr: SocketAddr) -> std::io::Result<(SimServer, {{Name}}Sim)> {
    let sim = {{Name}}Sim {
        store: Arc::new(Mutex::new(SimStore::generate(options.seed, options.size))),
        token: format!("simtoken{}", options.seed),
        faults: Faults::new(options.faults.clone(), options.seed),
    };
    let api = Router::new()
        .route("/orders", get(orders))
        .route("/orders/{id}", get(order))
        .route("/products", get(products))
        .route("/products/{id}", get(product));
    let api = sim
        .faults
        .layer(api)
        .layer(axum::middleware::from_fn_with_state(sim.clone(), auth))
        .with_state(sim.clone());
    let router = Router::new().nest("/api/v1", api);
    let (bound, server) = SimServer::start(router, addr).await?;
    let mut credentials = BTreeMap::new();
    credentials.insert("access_token".to_owned(), sim.token.clone());
    let info = SimInfo {
        platform: crate::PLATFORM.to_owned(),
        base_url: format!("http://{bound}"),
        credentials,
    };
    Ok((server.with_info(info).with_handle(Arc::new(sim.clone())), sim))
}

/// The registry's entry point: starts the simulator on `addr`.
pub fn simulate(options: SimOptions, addr: SocketAddr) -> BoxFuture<'static, std::io::Result<SimServer>> {
    Box::pin(async move { start(options, addr).await.map(|(server, _)| server) })
}
