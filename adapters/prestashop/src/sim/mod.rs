//! A PrestaShop webservice simulator, after the webservice documentation
//! (devdocs.prestashop-project.org/8/webservice): `/api/orders`, `/api/products`,
//! `/api/currencies`, `/api/configurations` and single records, behind the webservice
//! key (basic-auth user or `?ws_key=`); JSON only with `output_format=JSON` (XML
//! otherwise); `display=full` (ids only without it), `sort=[id_ASC|id_DESC]`,
//! `limit=n` or `limit=offset,count`, `filter[date_upd]=[from,to]` only with `date=1`;
//! an empty list is `[]`; dates shop-local without a zone; the writes
//! `POST /order_histories`, `GET`/`PUT /stock_availables`, `PUT /products/{id}` and
//! `GET`/`PUT /combinations` (JSON with `io_format=JSON`; a combination's `price` is an
//! impact on its product's); `filter[id_product]=[1|2]` lists several products'
//! rows; errors as
//! `{"errors":[{"code","message"}]}`. Shop failure modes ([`ShopMode`]): the webservice
//! disabled, PHP warnings printed before the JSON, an HTML error page; and the kit's
//! fault injection. Rendered from the documented resources, never from the adapter's
//! types.

// Handlers answer errors as ready responses, as axum does; boxing them buys nothing.
#![allow(clippy::result_large_err)]

mod handle;

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Path, Query, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{DateTime, FixedOffset, NaiveDateTime, Utc};
use futures::future::BoxFuture;
use polycart_kit::sim::{Faults, SimInfo, SimOptions, SimOrder, SimProduct, SimServer, SimStore};
use rust_decimal::Decimal;
use serde_json::{Value, json};

/// How the simulated shop misbehaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ShopMode {
    #[default]
    Normal,
    /// Advanced Parameters > Webservice is off: 503 with error code 22.
    WebserviceDisabled,
    /// `display_errors` on: PHP warnings printed before every JSON body.
    PhpWarnings,
    /// The host answers an HTML error page.
    HtmlErrorPage,
}

/// A running simulator's state, for tests.
#[derive(Clone)]
pub struct PrestaShopSim {
    store: Arc<Mutex<SimStore>>,
    key: String,
    mode: Arc<Mutex<ShopMode>>,
    /// Order states set through `order_histories`, by order id.
    states: Arc<Mutex<HashMap<u64, String>>>,
    /// Product prices written through `PUT /products/{id}`, by product id (otherwise
    /// a product's price is its first variant's).
    bases: Arc<Mutex<HashMap<u64, Decimal>>>,
    /// The shop's time zone: its name in `PS_TIMEZONE` and its offset.
    pub time_zone: (&'static str, FixedOffset),
    faults: Arc<Faults>,
}

impl PrestaShopSim {
    /// The generated store, to read or change.
    pub fn store(&self) -> std::sync::MutexGuard<'_, SimStore> {
        self.store.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Makes the shop misbehave (or behave again).
    pub fn set_mode(&self, mode: ShopMode) {
        *self.mode.lock().unwrap_or_else(|e| e.into_inner()) = mode;
    }

    fn mode(&self) -> ShopMode {
        *self.mode.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn local(&self, t: DateTime<Utc>) -> String {
        t.with_timezone(&self.time_zone.1)
            .format("%Y-%m-%d %H:%M:%S")
            .to_string()
    }
}

fn error(status: StatusCode, code: u32, message: &str) -> Response {
    (
        status,
        axum::Json(json!({ "errors": [{ "code": code, "message": message }] })),
    )
        .into_response()
}

fn money(d: Decimal) -> String {
    format!("{:.6}", d)
}

fn render_order(sim: &PrestaShopSim, o: &SimOrder) -> Value {
    let state = match (o.state, o.financial, o.fulfillment) {
        (polycart_kit::sim::SimOrderState::Cancelled, _, _) => "6",
        (polycart_kit::sim::SimOrderState::Completed, _, _) => "5",
        (_, polycart_kit::sim::SimFinancial::Refunded, _) => "7",
        (_, _, polycart_kit::sim::SimFulfillment::Fulfilled) => "4",
        (_, polycart_kit::sim::SimFinancial::Paid, _) => "2",
        _ => "10",
    };
    let state = sim
        .states
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(&o.id)
        .cloned()
        .unwrap_or_else(|| state.to_owned());
    let state = state.as_str();
    let excl = o.total() - o.total_tax();
    let rows: Vec<Value> = o
        .line_items
        .iter()
        .map(|l| {
            let unit_tax = if l.quantity == 0 {
                Decimal::ZERO
            } else {
                l.tax / Decimal::from(l.quantity)
            };
            let attribute = if l.variant_id == l.product_id {
                "0".to_owned()
            } else {
                l.variant_id.to_string()
            };
            json!({
                "id": l.id.to_string(),
                "product_id": l.product_id.to_string(),
                "product_attribute_id": attribute,
                "product_quantity": l.quantity.to_string(),
                "product_name": l.title,
                "product_reference": l.sku,
                "product_price": money(l.price),
                "id_customization": "0",
                "unit_price_tax_incl": money(l.price + unit_tax),
                "unit_price_tax_excl": money(l.price),
            })
        })
        .collect();
    let mut v = json!({
        "id": o.id,
        "id_address_delivery": "1",
        "id_address_invoice": "1",
        "id_cart": o.id.to_string(),
        "id_currency": "1",
        "id_lang": "1",
        "id_customer": o.customer_id.unwrap_or(0).to_string(),
        "id_carrier": "1",
        "current_state": state,
        "module": "ps_wirepayment",
        "invoice_number": "0",
        "invoice_date": "0000-00-00 00:00:00",
        "delivery_date": "0000-00-00 00:00:00",
        "valid": if state == "10" { "0" } else { "1" },
        "date_add": sim.local(o.created_at),
        "date_upd": sim.local(o.updated_at),
        "shipping_number": o.shipments.first().map(|s| s.tracking_number.clone()).unwrap_or_default(),
        "id_shop_group": "1",
        "id_shop": "1",
        "payment": "Bank transfer",
        "conversion_rate": "1.000000",
        "reference": format!("REF{:06}", o.number),
        "associations": { "order_rows": rows },
    });
    let totals = json!({
        "total_discounts": money(o.total_discount()),
        "total_discounts_tax_incl": money(o.total_discount()),
        "total_discounts_tax_excl": money(o.total_discount()),
        "total_paid": money(o.total()),
        "total_paid_tax_incl": money(o.total()),
        "total_paid_tax_excl": money(excl),
        "total_paid_real": money(if state == "10" { Decimal::ZERO } else { o.total() }),
        "total_products": money(o.subtotal()),
        "total_products_wt": money(o.subtotal()),
        "total_shipping": money(o.shipping_price),
        "total_shipping_tax_incl": money(o.shipping_price),
        "total_shipping_tax_excl": money(o.shipping_price),
    });
    if let (Some(map), Value::Object(t)) = (v.as_object_mut(), totals) {
        map.extend(t);
    }
    v
}

impl PrestaShopSim {
    /// A product's price: as last written, else its first variant's. Its variants are
    /// combinations whose `price` is their difference from it.
    fn base_price(&self, p: &SimProduct) -> Decimal {
        let written = self
            .bases
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&p.id)
            .copied();
        written.unwrap_or_else(|| p.variants.first().map_or(Decimal::ZERO, |v| v.price))
    }
}

fn render_combination(
    base: Decimal,
    p: &SimProduct,
    v: &polycart_kit::sim::SimVariant,
    first: bool,
) -> Value {
    json!({
        "id": v.id,
        "id_product": p.id.to_string(),
        "location": "",
        "ean13": v.barcode.clone().unwrap_or_default(),
        "isbn": "",
        "upc": "",
        "mpn": "",
        "quantity": v.total_stock().to_string(),
        "reference": v.sku,
        "supplier_reference": "",
        "wholesale_price": "0.000000",
        "price": money(v.price - base),
        "ecotax": "0.000000",
        "weight": "0.000000",
        "unit_price_impact": "0.000000",
        "minimal_quantity": "1",
        "default_on": if first { "1" } else { "" },
        "available_date": "0000-00-00",
        "associations": { "product_option_values": [], "images": [] },
    })
}

fn render_product(sim: &PrestaShopSim, p: &SimProduct) -> Value {
    let first = p.variants.first();
    json!({
        "id": p.id,
        "id_manufacturer": "0",
        "id_category_default": p.category_ids.first().map_or("2".to_owned(), |c| c.to_string()),
        "reference": first.map(|v| v.sku.clone()).unwrap_or_default(),
        "ean13": "",
        "price": money(sim.base_price(p)),
        "active": if matches!(p.status, polycart_kit::sim::SimProductStatus::Active) { "1" } else { "0" },
        "date_add": sim.local(p.created_at),
        "date_upd": sim.local(p.updated_at),
        "name": [{ "id": "1", "value": p.title }],
        "description": [{ "id": "1", "value": p.description_html }],
        "link_rewrite": [{ "id": "1", "value": p.handle }],
        "associations": {
            "categories": p.category_ids.iter().map(|c| json!({ "id": c.to_string() })).collect::<Vec<_>>(),
            "combinations": if p.variants.len() > 1 {
                p.variants.iter().map(|v| json!({ "id": v.id.to_string() })).collect::<Vec<_>>()
            } else { Vec::new() },
        }
    })
}

/// A `[from, to]` range of modification times.
type Span = (DateTime<Utc>, DateTime<Utc>);

/// `filter[date_upd]=[from,to]` (needs `date=1`), as local times.
fn date_filter(sim: &PrestaShopSim, q: &HashMap<String, String>) -> Result<Option<Span>, Response> {
    let Some(f) = q.get("filter[date_upd]") else {
        return Ok(None);
    };
    if q.get("date").map(String::as_str) != Some("1") {
        return Err(error(
            StatusCode::BAD_REQUEST,
            50,
            "a date filter needs the parameter date=1",
        ));
    }
    let bad = || {
        error(
            StatusCode::BAD_REQUEST,
            51,
            &format!("Unable to filter by date: {f}"),
        )
    };
    let inner = f
        .strip_prefix('[')
        .and_then(|s| s.strip_suffix(']'))
        .ok_or_else(bad)?;
    let (a, b) = inner.split_once(',').ok_or_else(bad)?;
    let read = |s: &str| {
        NaiveDateTime::parse_from_str(s.trim(), "%Y-%m-%d %H:%M:%S")
            .ok()
            .and_then(|n| n.and_local_timezone(sim.time_zone.1).single())
            .map(|d| d.with_timezone(&Utc))
    };
    Ok(Some((read(a).ok_or_else(bad)?, read(b).ok_or_else(bad)?)))
}

/// A list answer: `{key: rows}` or `[]`, with `display`, `sort` and `limit` applied.
fn list(
    sim: &PrestaShopSim,
    key: &str,
    mut rows: Vec<(u64, Value)>,
    q: &HashMap<String, String>,
) -> Response {
    match q.get("sort").map(String::as_str) {
        None | Some("[id_ASC]") => rows.sort_by_key(|r| r.0),
        Some("[id_DESC]") => rows.sort_by_key(|r| std::cmp::Reverse(r.0)),
        Some(other) => {
            return error(
                StatusCode::BAD_REQUEST,
                37,
                &format!("Unable to sort by {other}"),
            );
        }
    }
    let (offset, count) = match q.get("limit") {
        None => (0, usize::MAX),
        Some(l) => {
            let parsed = match l.split_once(',') {
                Some((o, c)) => o.trim().parse().ok().zip(c.trim().parse().ok()),
                None => l.trim().parse().ok().map(|c| (0, c)),
            };
            match parsed {
                Some(p) => p,
                None => {
                    return error(
                        StatusCode::BAD_REQUEST,
                        38,
                        "limit must be a number or offset,count",
                    );
                }
            }
        }
    };
    let full = q.get("display").map(String::as_str) == Some("full");
    let rows: Vec<Value> = rows
        .into_iter()
        .skip(offset)
        .take(count)
        .map(|(id, v)| if full { v } else { json!({ "id": id }) })
        .collect();
    let _ = sim;
    if rows.is_empty() {
        return axum::Json(json!([])).into_response();
    }
    axum::Json(json!({ key: rows })).into_response()
}

async fn orders(
    State(sim): State<PrestaShopSim>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let window = match date_filter(&sim, &q) {
        Ok(w) => w,
        Err(r) => return r,
    };
    let rows = {
        let store = sim.store();
        store
            .orders
            .iter()
            .filter(|o| !o.deleted)
            .filter(|o| {
                window.is_none_or(|(a, b)| {
                    o.updated_at.timestamp() >= a.timestamp()
                        && o.updated_at.timestamp() <= b.timestamp()
                })
            })
            .map(|o| (o.id, render_order(&sim, o)))
            .collect()
    };
    list(&sim, "orders", rows, &q)
}

async fn products(
    State(sim): State<PrestaShopSim>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let window = match date_filter(&sim, &q) {
        Ok(w) => w,
        Err(r) => return r,
    };
    let rows = {
        let store = sim.store();
        store
            .products
            .iter()
            .filter(|p| !p.deleted)
            .filter(|p| {
                window.is_none_or(|(a, b)| {
                    p.updated_at.timestamp() >= a.timestamp()
                        && p.updated_at.timestamp() <= b.timestamp()
                })
            })
            .map(|p| (p.id, render_product(&sim, p)))
            .collect()
    };
    list(&sim, "products", rows, &q)
}

async fn order(State(sim): State<PrestaShopSim>, Path(id): Path<String>) -> Response {
    let store = sim.store();
    match store
        .orders
        .iter()
        .find(|o| !o.deleted && o.id.to_string() == id)
    {
        Some(o) => axum::Json(json!({ "order": render_order(&sim, o) })).into_response(),
        None => error(StatusCode::NOT_FOUND, 87, "Invalid ID"),
    }
}

async fn product(State(sim): State<PrestaShopSim>, Path(id): Path<String>) -> Response {
    let store = sim.store();
    match store
        .products
        .iter()
        .find(|p| !p.deleted && p.id.to_string() == id)
    {
        Some(p) => axum::Json(json!({ "product": render_product(&sim, p) })).into_response(),
        None => error(StatusCode::NOT_FOUND, 87, "Invalid ID"),
    }
}

async fn currencies(
    State(sim): State<PrestaShopSim>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let rows: Vec<(u64, Value)> = {
        let store = sim.store();
        let mut codes = vec![store.currency];
        codes.extend(
            store
                .currencies()
                .into_iter()
                .filter(|c| *c != store.currency),
        );
        codes
            .into_iter()
            .enumerate()
            .map(|(i, c)| ((i + 1) as u64, json!({ "id": i + 1, "iso_code": c, "conversion_rate": "1.000000", "deleted": "0", "active": "1" })))
            .collect()
    };
    list(&sim, "currencies", rows, &q)
}

async fn configurations(
    State(sim): State<PrestaShopSim>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let all = [
        ("PS_CURRENCY_DEFAULT", "1".to_owned()),
        ("PS_TIMEZONE", sim.time_zone.0.to_owned()),
        ("PS_LANG_DEFAULT", "1".to_owned()),
    ];
    let wanted: Option<Vec<String>> = q
        .get("filter[name]")
        .and_then(|f| f.strip_prefix('[').and_then(|s| s.strip_suffix(']')))
        .map(|s| s.split('|').map(str::to_owned).collect());
    let rows = all
        .iter()
        .enumerate()
        .filter(|(_, (n, _))| wanted.as_ref().is_none_or(|w| w.iter().any(|x| x == n)))
        .map(|(i, (n, v))| {
            (
                (i + 1) as u64,
                json!({ "id": i + 1, "name": n, "value": v }),
            )
        })
        .collect();
    let mut q = q.clone();
    // `display=[name,value]` shows those fields; the simulator shows them all.
    if q.get("display").is_some_and(|d| d.starts_with('[')) {
        q.insert("display".into(), "full".into());
    }
    list(&sim, "configurations", rows, &q)
}

/// Product-level stock rows (`id_product_attribute` 0) are numbered from here; a
/// combination's row has the combination's id.
const PRODUCT_STOCK: u64 = 9_000_000;

/// The `stock_availables` rows of the shop: one per product (its total) and one per
/// combination of a product with several.
fn stock_rows(store: &SimStore) -> Vec<(u64, Value)> {
    let mut rows = Vec::new();
    for p in store.products.iter().filter(|p| !p.deleted) {
        let total: i64 = p.variants.iter().map(|v| v.total_stock()).sum();
        let row = |id: u64, attribute: u64, quantity: i64| {
            json!({
                "id": id, "id_product": p.id.to_string(), "id_product_attribute": attribute.to_string(),
                "id_shop": "1", "id_shop_group": "0", "quantity": quantity.to_string(),
                "depends_on_stock": "0", "out_of_stock": "2", "location": "",
            })
        };
        rows.push((PRODUCT_STOCK + p.id, row(PRODUCT_STOCK + p.id, 0, total)));
        if p.variants.len() > 1 {
            for v in &p.variants {
                rows.push((v.id, row(v.id, v.id, v.total_stock())));
            }
        }
    }
    rows
}

/// A literal `filter[field]=[value]`.
fn literal<'a>(q: &'a HashMap<String, String>, field: &str) -> Option<&'a str> {
    q.get(&format!("filter[{field}]"))
        .and_then(|f| f.strip_prefix('[')?.strip_suffix(']'))
}

/// Whether `value` passes `filter[field]=[a|b|c]` (any of the values; none: all pass).
fn any_of(q: &HashMap<String, String>, field: &str, value: &Value) -> bool {
    literal(q, field).is_none_or(|l| l.split('|').any(|v| value == v))
}

async fn stock_availables(
    State(sim): State<PrestaShopSim>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let rows = stock_rows(&sim.store())
        .into_iter()
        .filter(|(_, r)| any_of(&q, "id_product", &r["id_product"]))
        .filter(|(_, r)| {
            literal(&q, "id_product_attribute").is_none_or(|a| r["id_product_attribute"] == a)
        })
        .collect();
    list(&sim, "stock_availables", rows, &q)
}

fn text_of(v: Option<&Value>) -> Option<String> {
    v.and_then(|v| {
        v.as_str()
            .map(str::to_owned)
            .or_else(|| v.as_i64().map(|n| n.to_string()))
    })
}

async fn update_stock(
    State(sim): State<PrestaShopSim>,
    Path(id): Path<String>,
    body: axum::Json<Value>,
) -> Response {
    let row = body
        .0
        .get("stock_available")
        .cloned()
        .unwrap_or(Value::Null);
    let Some(quantity) = text_of(row.get("quantity")).and_then(|q| q.parse::<i64>().ok()) else {
        return error(
            StatusCode::BAD_REQUEST,
            90,
            "stock_available.quantity is required",
        );
    };
    if text_of(row.get("id")).as_deref() != Some(id.as_str()) {
        return error(
            StatusCode::BAD_REQUEST,
            90,
            "the id in the body is not the id in the URL",
        );
    }
    let Ok(n) = id.parse::<u64>() else {
        return error(StatusCode::NOT_FOUND, 87, "Invalid ID");
    };
    let mut store = sim.store();
    let target = if n > PRODUCT_STOCK {
        match store.product_mut(n - PRODUCT_STOCK) {
            Some(p) if p.variants.len() == 1 => p.variants.first_mut(),
            Some(_) => {
                return error(
                    StatusCode::BAD_REQUEST,
                    90,
                    "the product's stock is the sum of its combinations'",
                );
            }
            None => None,
        }
    } else {
        store.variant_mut(n).map(|(p, i)| &mut p.variants[i])
    };
    let Some(variant) = target.filter(|v| !v.stock.is_empty()) else {
        return error(StatusCode::NOT_FOUND, 87, "Invalid ID");
    };
    // PrestaShop keeps one quantity: the first location carries what the others lack.
    let others: i64 = variant.stock.iter().skip(1).map(|s| s.1).sum();
    variant.stock[0].1 = quantity - others;
    axum::Json(json!({ "stock_available": row })).into_response()
}

/// The combinations of products with several variants (the first is the default).
fn combination_rows(sim: &PrestaShopSim, store: &SimStore) -> Vec<(u64, Value)> {
    let mut rows = Vec::new();
    for p in store
        .products
        .iter()
        .filter(|p| !p.deleted && p.variants.len() > 1)
    {
        for (i, v) in p.variants.iter().enumerate() {
            rows.push((v.id, render_combination(sim.base_price(p), p, v, i == 0)));
        }
    }
    rows
}

async fn combinations(
    State(sim): State<PrestaShopSim>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let rows = combination_rows(&sim, &sim.store())
        .into_iter()
        .filter(|(_, r)| any_of(&q, "id_product", &r["id_product"]))
        .collect();
    list(&sim, "combinations", rows, &q)
}

async fn combination(State(sim): State<PrestaShopSim>, Path(id): Path<String>) -> Response {
    match combination_rows(&sim, &sim.store())
        .into_iter()
        .find(|(n, _)| n.to_string() == id)
    {
        Some((_, c)) => axum::Json(json!({ "combination": c })).into_response(),
        None => error(StatusCode::NOT_FOUND, 87, "Invalid ID"),
    }
}

async fn update_combination(
    State(sim): State<PrestaShopSim>,
    Path(id): Path<String>,
    body: axum::Json<Value>,
) -> Response {
    let row = body.0.get("combination").cloned().unwrap_or(Value::Null);
    if text_of(row.get("id")).as_deref() != Some(id.as_str()) {
        return error(
            StatusCode::BAD_REQUEST,
            90,
            "the id in the body is not the id in the URL",
        );
    }
    let Some(impact) = text_of(row.get("price")).and_then(|p| p.parse::<Decimal>().ok()) else {
        return error(StatusCode::BAD_REQUEST, 41, "price is required");
    };
    let mut store = sim.store();
    let Some((p, i)) = id
        .parse()
        .ok()
        .and_then(|n| store.variant_mut(n))
        .filter(|(p, _)| p.variants.len() > 1)
    else {
        return error(StatusCode::NOT_FOUND, 87, "Invalid ID");
    };
    if text_of(row.get("id_product")).as_deref() != Some(p.id.to_string().as_str()) {
        return error(StatusCode::BAD_REQUEST, 90, "id_product cannot be changed");
    }
    let base = sim.base_price(p);
    p.variants[i].price = base + impact;
    p.updated_at = Utc::now();
    let rendered = render_combination(base, p, &p.variants[i], i == 0);
    axum::Json(json!({ "combination": rendered })).into_response()
}

async fn update_product(
    State(sim): State<PrestaShopSim>,
    Path(id): Path<String>,
    body: axum::Json<Value>,
) -> Response {
    let product = body.0.get("product").cloned().unwrap_or(Value::Null);
    for field in ["manufacturer_name", "quantity"] {
        if product.get(field).is_some() {
            return error(
                StatusCode::BAD_REQUEST,
                90,
                &format!("parameter \"{field}\" not writable"),
            );
        }
    }
    let Some(price) = text_of(product.get("price")).and_then(|p| p.parse::<Decimal>().ok()) else {
        return error(StatusCode::BAD_REQUEST, 41, "price is required");
    };
    let mut store = sim.store();
    let Some(p) = id
        .parse()
        .ok()
        .and_then(|n| store.product_mut(n))
        .filter(|p| !p.deleted)
    else {
        return error(StatusCode::NOT_FOUND, 87, "Invalid ID");
    };
    // The combinations' impacts stay: every price moves with the product's.
    let shift = price - sim.base_price(p);
    for v in &mut p.variants {
        v.price += shift;
    }
    sim.bases
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(p.id, price);
    if let Some(name) = product.get("name") {
        let title = match name {
            Value::Array(languages) => languages.first().and_then(|l| text_of(l.get("value"))),
            other => text_of(Some(other)),
        };
        match title.filter(|t| !t.trim().is_empty()) {
            Some(t) => p.title = t,
            None => return error(StatusCode::BAD_REQUEST, 41, "name is required"),
        }
    }
    match text_of(product.get("active")).as_deref() {
        Some("1") => p.status = polycart_kit::sim::SimProductStatus::Active,
        Some("0") => p.status = polycart_kit::sim::SimProductStatus::Draft,
        _ => {}
    }
    p.updated_at = Utc::now();
    let rendered = render_product(&sim, p);
    axum::Json(json!({ "product": rendered })).into_response()
}

async fn add_history(State(sim): State<PrestaShopSim>, body: axum::Json<Value>) -> Response {
    let h = body.0.get("order_history").cloned().unwrap_or(Value::Null);
    let (Some(order), Some(state)) = (text_of(h.get("id_order")), text_of(h.get("id_order_state")))
    else {
        return error(
            StatusCode::BAD_REQUEST,
            41,
            "id_order and id_order_state are required",
        );
    };
    if !(1..=13).contains(&state.parse::<u32>().unwrap_or(0)) {
        return error(StatusCode::BAD_REQUEST, 41, "Invalid order state");
    }
    let mut store = sim.store();
    let Some(o) = order
        .parse()
        .ok()
        .and_then(|n| store.order_mut(n))
        .filter(|o| !o.deleted)
    else {
        return error(StatusCode::BAD_REQUEST, 41, "Invalid order");
    };
    o.updated_at = Utc::now();
    let id = o.id;
    sim.states
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(id, state.clone());
    (
        StatusCode::CREATED,
        axum::Json(
            json!({ "order_history": { "id": id, "id_order": order, "id_order_state": state } }),
        ),
    )
        .into_response()
}

/// The webservice key (basic-auth user, empty password, or `?ws_key=`), JSON output,
/// and the shop's failure modes.
async fn gate(State(sim): State<PrestaShopSim>, request: Request, next: Next) -> Response {
    let mode = sim.mode();
    if mode == ShopMode::HtmlErrorPage {
        return (StatusCode::INTERNAL_SERVER_ERROR, [("content-type", "text/html")], "<!DOCTYPE html><html><head><title>Oops, something went wrong.</title></head><body><h1>500</h1></body></html>").into_response();
    }
    if mode == ShopMode::WebserviceDisabled {
        return error(
            StatusCode::SERVICE_UNAVAILABLE,
            22,
            "The PrestaShop webservice is disabled. Please activate it in the PrestaShop Back Office",
        );
    }
    let query = request.uri().query().unwrap_or_default().to_owned();
    let pairs: HashMap<String, String> = url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    let basic = request
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(base64_decode)
        .and_then(|s| s.split_once(':').map(|(u, _)| u.to_owned()));
    let key = basic.or_else(|| pairs.get("ws_key").cloned());
    if key.as_deref() != Some(sim.key.as_str()) {
        let mut r = error(
            StatusCode::UNAUTHORIZED,
            17,
            "Authentication key is empty or invalid",
        );
        r.headers_mut().insert("www-authenticate", "Basic realm=\"Welcome to PrestaShop Webservice, please enter the authentication key as the login. No password required.\"".parse().expect("static header"));
        return r;
    }
    if pairs.get("output_format").map(String::as_str) != Some("JSON") {
        return (StatusCode::OK, [("content-type", "text/xml")], "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<prestashop xmlns:xlink=\"http://www.w3.org/1999/xlink\"></prestashop>").into_response();
    }
    let response = next.run(request).await;
    if mode == ShopMode::PhpWarnings {
        let (parts, body) = response.into_parts();
        let bytes = axum::body::to_bytes(body, usize::MAX)
            .await
            .unwrap_or_default();
        let mut text = "<br />\n<b>Warning</b>:  Undefined array key \"id_lang\" in <b>/var/www/html/classes/webservice/WebserviceRequest.php</b> on line <b>1071</b><br />\n".to_owned();
        text.push_str(&String::from_utf8_lossy(&bytes));
        return Response::from_parts(parts, axum::body::Body::from(text));
    }
    response
}

fn base64_decode(text: &str) -> Option<String> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD
        .decode(text.trim())
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
}

/// Starts the simulator and returns a handle on its state (for tests).
pub async fn start(
    options: SimOptions,
    addr: SocketAddr,
) -> std::io::Result<(SimServer, PrestaShopSim)> {
    let sim = PrestaShopSim {
        store: Arc::new(Mutex::new(SimStore::generate(options.seed, options.size))),
        key: format!("SIMKEY{:026}", options.seed),
        mode: Arc::default(),
        states: Arc::default(),
        bases: Arc::default(),
        time_zone: ("UTC", FixedOffset::east_opt(0).expect("zero offset")),
        faults: Faults::new(options.faults.clone(), options.seed),
    };
    let api = Router::new()
        .route("/orders", get(orders))
        .route("/orders/{id}", get(order))
        .route("/products", get(products))
        .route("/products/{id}", get(product).put(update_product))
        .route("/order_histories", axum::routing::post(add_history))
        .route("/stock_availables", get(stock_availables))
        .route("/stock_availables/{id}", axum::routing::put(update_stock))
        .route("/combinations", get(combinations))
        .route(
            "/combinations/{id}",
            get(combination).put(update_combination),
        )
        .route("/currencies", get(currencies))
        .route("/configurations", get(configurations));
    let api = sim
        .faults
        .layer(api)
        .layer(axum::middleware::from_fn_with_state(sim.clone(), gate))
        .with_state(sim.clone());
    let router = Router::new().nest("/api", api);
    let (bound, server) = SimServer::start(router, addr).await?;
    let mut credentials = BTreeMap::new();
    credentials.insert("ws_key".to_owned(), sim.key.clone());
    let info = SimInfo {
        platform: crate::PLATFORM.to_owned(),
        base_url: format!("http://{bound}"),
        credentials,
    };
    Ok((
        server.with_info(info).with_handle(Arc::new(sim.clone())),
        sim,
    ))
}

/// The registry's entry point: starts the simulator on `addr`.
pub fn simulate(
    options: SimOptions,
    addr: SocketAddr,
) -> BoxFuture<'static, std::io::Result<SimServer>> {
    Box::pin(async move { start(options, addr).await.map(|(server, _)| server) })
}
