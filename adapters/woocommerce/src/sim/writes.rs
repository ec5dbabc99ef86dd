//! Writes: order status and notes, product and variation prices and stock (one record
//! or a batch of up to 100), each saving the record (its modification date moves) and
//! firing the matching webhook.

use axum::response::Response;
use chrono::Utc;
use http::StatusCode;
use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::collections::STATUSES;
use super::hooks::spawn_delivery;
use super::render;
use super::routes::{R, Req, St, bad_param, invalid_id, json_response, lock, order_json, wp_error};

pub(super) fn update_order(st: &St, req: &Req, oid: u64, body: &Value) -> Result<Value, Response> {
    {
        let mut store = lock(&st.store);
        let o = store
            .order_mut(oid)
            .ok_or_else(|| invalid_id("shop_order"))?;
        if let Some(s) = body.get("status").and_then(Value::as_str) {
            if !STATUSES.contains(&s) {
                return Err(bad_param(
                    "status",
                    "status is not one of pending, processing, on-hold, completed, cancelled, refunded, failed, checkout-draft, trash.",
                ));
            }
            lock(&st.extra).order_status.insert(oid, s.to_owned());
            if s == "completed" {
                o.completed_at = Some(Utc::now());
            }
        }
        if let Some(n) = body.get("customer_note").and_then(Value::as_str) {
            o.note = Some(n.to_owned());
        }
        o.updated_at = Utc::now();
    }
    spawn_delivery(st, "order.updated", oid);
    order_json(st, req, oid)
}

pub(super) fn add_note(st: &St, oid: u64, text: &str, customer_note: bool) -> Value {
    let mut extra = lock(&st.extra);
    extra.next_id += 1;
    let now = Utc::now();
    let note = json!({"id": extra.next_id, "author": "WooCommerce", "date_created": render::local(now),
                      "date_created_gmt": render::gmt(now), "note": text, "customer_note": customer_note});
    extra.notes.entry(oid).or_default().push(note.clone());
    note
}

fn decimal(body: &Value, name: &str) -> Result<Option<Option<Decimal>>, Response> {
    match body.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.is_empty() => Ok(Some(None)),
        Some(Value::String(s)) => s
            .parse()
            .map(|d| Some(Some(d)))
            .map_err(|_| bad_param(name, &format!("{name} is not of type string."))),
        Some(_) => Err(bad_param(name, &format!("{name} is not of type string."))),
    }
}

/// Applies `regular_price`, `sale_price` and `stock_quantity` to one variant.
fn apply_variant(v: &mut polycart_kit::sim::SimVariant, body: &Value) -> Result<(), Response> {
    let regular = decimal(body, "regular_price")?;
    let sale = decimal(body, "sale_price")?;
    let current_regular = v
        .compare_at_price
        .filter(|c| *c > v.price)
        .unwrap_or(v.price);
    let current_sale = v.compare_at_price.filter(|c| *c > v.price).map(|_| v.price);
    let regular = regular
        .unwrap_or(Some(current_regular))
        .unwrap_or(current_regular);
    let sale = sale.unwrap_or(current_sale);
    match sale {
        Some(s) if s < regular => {
            v.price = s;
            v.compare_at_price = Some(regular);
        }
        _ => {
            v.price = regular;
            v.compare_at_price = None;
        }
    }
    if let Some(q) = body.get("stock_quantity") {
        let q = q
            .as_i64()
            .ok_or_else(|| bad_param("stock_quantity", "stock_quantity is not of type integer."))?;
        if let Some(first) = v.stock.first_mut() {
            first.1 = q;
        }
        for s in v.stock.iter_mut().skip(1) {
            s.1 = 0;
        }
    }
    v.updated_at = Utc::now();
    Ok(())
}

pub(super) fn update_product(
    st: &St,
    req: &Req,
    pid: u64,
    body: &Value,
) -> Result<Value, Response> {
    {
        let mut store = lock(&st.store);
        let p = store
            .product_mut(pid)
            .ok_or_else(|| invalid_id("product"))?;
        if let Some(n) = body.get("name").and_then(Value::as_str) {
            p.title = n.to_owned();
        }
        if let Some(s) = body.get("status").and_then(Value::as_str) {
            p.status = match s {
                "publish" => polycart_kit::sim::SimProductStatus::Active,
                "draft" | "pending" => polycart_kit::sim::SimProductStatus::Draft,
                "private" => polycart_kit::sim::SimProductStatus::Archived,
                _ => {
                    return Err(bad_param(
                        "status",
                        "status is not one of draft, pending, private, publish.",
                    ));
                }
            };
        }
        if !render::is_variable(p) {
            apply_variant(&mut p.variants[0], body)?;
        }
        p.updated_at = Utc::now();
    }
    spawn_delivery(st, "product.updated", pid);
    let store = lock(&st.store);
    let p = store
        .products
        .iter()
        .find(|p| p.id == pid)
        .ok_or_else(|| invalid_id("product"))?;
    Ok(render::product(p, &store.categories, &req.site))
}

pub(super) fn update_variation(
    st: &St,
    req: &Req,
    pid: u64,
    vid: u64,
    body: &Value,
) -> Result<Value, Response> {
    let mut store = lock(&st.store);
    let p = store
        .product_mut(pid)
        .ok_or_else(|| invalid_id("product"))?;
    if !render::is_variable(p) {
        return Err(invalid_id("product_variation"));
    }
    let v = p
        .variants
        .iter_mut()
        .find(|v| v.id == vid)
        .ok_or_else(|| invalid_id("product_variation"))?;
    apply_variant(v, body)?;
    // Saving a variation syncs (and so saves) its parent product.
    p.updated_at = Utc::now();
    let p = store
        .products
        .iter()
        .find(|p| p.id == pid)
        .ok_or_else(|| invalid_id("product"))?;
    let v = p
        .variants
        .iter()
        .find(|v| v.id == vid)
        .ok_or_else(|| invalid_id("product_variation"))?;
    Ok(render::variation(p, v, &req.site))
}

/// What a batch endpoint updates.
#[derive(Debug, Clone, Copy)]
pub(super) enum Batch {
    Orders,
    Products,
    /// The variations of one product.
    Variations(u64),
}

/// `.../batch`: `create`/`update`/`delete` lists of at most 100 items together (413
/// above); each update answers its record or, in its place, the error it met.
pub(super) fn batch(st: &St, req: &Req, what: Batch) -> R {
    let body = req.json_body()?;
    let updates = body["update"].as_array().cloned().unwrap_or_default();
    let count = updates.len()
        + body["create"].as_array().map_or(0, Vec::len)
        + body["delete"].as_array().map_or(0, Vec::len);
    if count > 100 {
        return Err(wp_error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "woocommerce_rest_request_entity_too_large",
            "Unable to accept more than 100 items for this request.",
        ));
    }
    let mut out = Vec::new();
    for u in updates {
        let rid = u["id"].as_u64().unwrap_or(0);
        let (r, kind) = match what {
            Batch::Orders => (update_order(st, req, rid, &u), "shop_order"),
            Batch::Products => (update_product(st, req, rid, &u), "product"),
            Batch::Variations(pid) => {
                (update_variation(st, req, pid, rid, &u), "product_variation")
            }
        };
        out.push(r.unwrap_or_else(|_| json!({"id": rid, "error": {"code": format!("woocommerce_rest_{kind}_invalid_id"), "message": "Invalid ID.", "data": {"status": 400}}})));
    }
    Ok(json_response(StatusCode::OK, &json!({"update": out})))
}
