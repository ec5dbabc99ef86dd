//! Writes through the adapter: product and variant updates, inventory, order status,
//! shipments. The platform's answer is stored (the store holds the platform's truth)
//! and returned. Every write honours `Idempotency-Key`: the same key replays the first
//! response and never writes twice; the same key with another body is a conflict.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Json;
use axum::extract::{Extension, Path, State};
use axum::http::{HeaderMap, StatusCode};
use polycart_kit::model::{OrderStatus, ProductStatus};
use polycart_kit::{InventoryChange, ShipmentItem, Write, WriteOp};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::Value;

use super::AppState;
use super::auth::Caller;
use super::error::ApiError;

/// Remembered responses by (key id, idempotency key). Concurrent duplicates wait for
/// the first to finish.
#[derive(Debug, Default)]
pub struct IdempotencyCache {
    entries: std::sync::Mutex<HashMap<(String, String), Arc<tokio::sync::Mutex<Option<Remembered>>>>>,
}

#[derive(Debug, Clone)]
struct Remembered {
    request_hash: String,
    status: StatusCode,
    body: Value,
}

impl IdempotencyCache {
    fn slot(&self, key_id: &str, key: &str) -> Arc<tokio::sync::Mutex<Option<Remembered>>> {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        entries.entry((key_id.to_owned(), key.to_owned())).or_default().clone()
    }
}

async fn perform(
    state: &AppState,
    caller: &Caller,
    headers: &HeaderMap,
    store_id: &str,
    op: WriteOp,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    caller.check_store(store_id)?;
    state.store.get_store(store_id).await?;
    let key = headers.get("idempotency-key").and_then(|v| v.to_str().ok()).map(str::to_owned);
    let Some(key) = key.filter(|k| !k.is_empty() && k.len() <= 255) else {
        return write_once(state, store_id, op, None).await;
    };
    let request_hash = crate::store::content_hash(&format!("{store_id}\n{}", serde_json::to_string(&op).unwrap_or_default()));
    let slot = state.idempotency.slot(&caller.0.id, &key);
    let mut guard = slot.lock().await;
    if let Some(seen) = guard.as_ref() {
        if seen.request_hash != request_hash {
            return Err(ApiError::Conflict("this Idempotency-Key was used with a different request".into()));
        }
        return Ok((seen.status, Json(seen.body.clone())));
    }
    let (status, Json(body)) = write_once(state, store_id, op, Some(key)).await?;
    *guard = Some(Remembered { request_hash, status, body: body.clone() });
    Ok((status, Json(body)))
}

async fn write_once(
    state: &AppState,
    store_id: &str,
    op: WriteOp,
    key: Option<String>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let adapter = state.adapter(store_id).await?;
    let mut write = Write::new(op);
    write.idempotency_key = key;
    let mut record = adapter.write(&write).await?;
    record.assign_store(store_id);
    state.store.upsert_records(store_id, std::slice::from_ref(&record)).await?;
    let value = serde_json::to_value(record.without_raw()).map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok((StatusCode::OK, Json(value)))
}

/// Changes to a product, or to one of its variants when `variant_id` is given.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProductPatch {
    pub variant_id: Option<String>,
    pub title: Option<String>,
    /// active, draft or archived.
    #[schema(value_type = Option<String>)]
    pub status: Option<ProductStatus>,
    #[schema(value_type = Option<String>)]
    pub price: Option<Decimal>,
    #[schema(value_type = Option<String>)]
    pub compare_at_price: Option<Decimal>,
}

#[utoipa::path(patch, path = "/v1/stores/{store}/products/{id}", params(("store" = String, Path), ("id" = String, Path),
    ("Idempotency-Key" = Option<String>, Header)), request_body = ProductPatch, responses((status = 200, body = Object)), security(("api_key" = [])))]
pub async fn patch_product(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    Path((store_id, id)): Path<(String, String)>,
    headers: HeaderMap,
    Json(body): Json<ProductPatch>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    if body.title.is_none() && body.status.is_none() && body.price.is_none() && body.compare_at_price.is_none() {
        return Err(ApiError::Invalid("nothing to change: give title, status, price or compare_at_price".into()));
    }
    let op = WriteOp::UpdateProduct {
        product_id: id,
        variant_id: body.variant_id,
        title: body.title,
        status: body.status,
        price: body.price,
        compare_at_price: body.compare_at_price,
    };
    perform(&state, &caller, &headers, &store_id, op).await
}

/// A stock level to set (`available`) or change (`delta`) for a variant or SKU.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InventoryPut {
    pub product_id: Option<String>,
    pub variant_id: Option<String>,
    pub sku: Option<String>,
    pub location_id: Option<String>,
    pub available: Option<i64>,
    pub delta: Option<i64>,
}

#[utoipa::path(put, path = "/v1/stores/{store}/inventory", params(("store" = String, Path), ("Idempotency-Key" = Option<String>, Header)),
    request_body = InventoryPut, responses((status = 200, body = Object)), security(("api_key" = [])))]
pub async fn put_inventory(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    Path(store_id): Path<String>,
    headers: HeaderMap,
    Json(body): Json<InventoryPut>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let change = match (body.available, body.delta) {
        (Some(a), None) => InventoryChange::Absolute(a),
        (None, Some(d)) => InventoryChange::Delta(d),
        _ => return Err(ApiError::Invalid("give exactly one of available or delta".into())),
    };
    if body.variant_id.is_none() && body.sku.is_none() && body.product_id.is_none() {
        return Err(ApiError::Invalid("give variant_id, sku or product_id".into()));
    }
    let op = WriteOp::SetInventory {
        product_id: body.product_id,
        variant_id: body.variant_id,
        sku: body.sku,
        location_id: body.location_id,
        change,
    };
    perform(&state, &caller, &headers, &store_id, op).await
}

/// A shipment to record.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShipmentPost {
    pub carrier: Option<String>,
    pub tracking_number: Option<String>,
    pub tracking_url: Option<String>,
    /// Items shipped; empty ships everything not yet shipped.
    #[serde(default)]
    pub items: Vec<ShipmentItemBody>,
    #[serde(default)]
    pub notify_customer: bool,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct ShipmentItemBody {
    pub line_item_id: String,
    pub quantity: u32,
}

#[utoipa::path(post, path = "/v1/stores/{store}/orders/{id}/shipments", params(("store" = String, Path), ("id" = String, Path),
    ("Idempotency-Key" = Option<String>, Header)), request_body = ShipmentPost, responses((status = 200, body = Object)), security(("api_key" = [])))]
pub async fn post_shipment(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    Path((store_id, id)): Path<(String, String)>,
    headers: HeaderMap,
    Json(body): Json<ShipmentPost>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let op = WriteOp::CreateShipment {
        order_id: id,
        carrier: body.carrier,
        tracking_number: body.tracking_number,
        tracking_url: body.tracking_url,
        line_items: body.items.into_iter().map(|i| ShipmentItem { line_item_id: i.line_item_id, quantity: i.quantity }).collect(),
        notify_customer: body.notify_customer,
    };
    perform(&state, &caller, &headers, &store_id, op).await
}

/// A new order status.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrderPatch {
    #[schema(value_type = String)]
    pub status: OrderStatus,
    pub note: Option<String>,
}

#[utoipa::path(patch, path = "/v1/stores/{store}/orders/{id}", params(("store" = String, Path), ("id" = String, Path),
    ("Idempotency-Key" = Option<String>, Header)), request_body = OrderPatch, responses((status = 200, body = Object)), security(("api_key" = [])))]
pub async fn patch_order(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    Path((store_id, id)): Path<(String, String)>,
    headers: HeaderMap,
    Json(body): Json<OrderPatch>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let op = WriteOp::UpdateOrderStatus { order_id: id, status: body.status, note: body.note };
    perform(&state, &caller, &headers, &store_id, op).await
}
