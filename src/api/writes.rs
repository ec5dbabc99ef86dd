//! Writes through the adapter: product and variant updates, inventory, order status,
//! shipments. The platform's answer is stored (the store holds the platform's truth)
//! and returned. Every write honours `Idempotency-Key`: the same key replays the first
//! response and never writes twice; the same key with another body is a conflict.

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
use super::bounds;
use super::error::ApiError;
use super::ids::{self, StoreRecord};
use crate::store::IdempotencyState;

/// How long an `Idempotency-Key` is remembered.
const IDEMPOTENCY_TTL_HOURS: i64 = 24;
/// How long a key may stay in progress before it is released: longer than any write
/// with its retries takes, so only a request whose process died is released.
const IDEMPOTENCY_LEASE_MINUTES: i64 = 5;

/// Runs a write once per `Idempotency-Key` (per API key), across restarts and API
/// processes: the key is taken in the sync store before the platform is called, the
/// response (or an error after which the platform may have acted) is stored and
/// replayed; a key whose request provably never reached the platform is released.
async fn perform(
    state: &AppState,
    caller: &Caller,
    headers: &HeaderMap,
    store_id: &str,
    op: WriteOp,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    perform_keyed(state, caller, key, store_id, op).await
}

/// [`perform`] with the idempotency key already read (the API2Cart-compatible surface
/// takes it as the `idempotency_key` parameter).
pub(crate) async fn perform_keyed(
    state: &AppState,
    caller: &Caller,
    key: Option<String>,
    store_id: &str,
    op: WriteOp,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    caller.check_store(store_id)?;
    state.store.get_store(store_id).await?;
    let Some(key) = key.filter(|k| !k.is_empty()) else {
        return write_once(state, store_id, op, None)
            .await
            .map_err(|f| f.error);
    };
    if key.len() > 255 {
        return Err(ApiError::Invalid(
            "the Idempotency-Key is longer than 255 characters".into(),
        ));
    }
    let request_hash = crate::store::content_hash(&format!(
        "{store_id}\n{}",
        serde_json::to_string(&op).unwrap_or_default()
    ));
    let key_id = &caller.0.id;
    if let Some(replayed) = claim_key(state, caller, &key, &request_hash).await? {
        return Ok(replayed);
    }
    match write_once(state, store_id, op, Some(key.clone())).await {
        Ok((status, Json(body))) => {
            state
                .store
                .finish_idempotent(key_id, &key, status.as_u16(), &body.to_string())
                .await?;
            Ok((status, Json(body)))
        }
        Err(WriteFailure {
            error,
            reached_platform: false,
        }) => {
            state.store.abandon_idempotent(key_id, &key).await?;
            Err(error)
        }
        Err(WriteFailure {
            error,
            reached_platform: true,
        }) => {
            // The platform may have acted: the key keeps this answer, never a second write.
            let envelope = super::error::envelope(&error);
            state
                .store
                .finish_idempotent(key_id, &key, error.status().as_u16(), &envelope.to_string())
                .await?;
            Err(error)
        }
    }
}

/// Takes the caller's idempotency `key` for a request hashed `request_hash`: `None`
/// when the caller now holds it (and must finish or abandon it), the first answer when
/// that request finished; a conflict when the key is in use or was used otherwise.
pub(crate) async fn claim_key(
    state: &AppState,
    caller: &Caller,
    key: &str,
    request_hash: &str,
) -> Result<Option<(StatusCode, Json<Value>)>, ApiError> {
    let key_id = &caller.0.id;
    let now = chrono::Utc::now();
    let window = crate::store::IdempotencyWindow {
        now,
        expire_before: now - chrono::Duration::hours(IDEMPOTENCY_TTL_HOURS),
        lease_expired_before: now - chrono::Duration::minutes(IDEMPOTENCY_LEASE_MINUTES),
    };
    match state
        .store
        .begin_idempotent(key_id, key, request_hash, window)
        .await?
    {
        IdempotencyState::Started => Ok(None),
        IdempotencyState::InProgress { request_hash: seen }
        | IdempotencyState::Done {
            request_hash: seen, ..
        } if seen != request_hash => Err(ApiError::Conflict(
            "this Idempotency-Key was used with a different request".into(),
        )),
        IdempotencyState::InProgress { .. } => Err(ApiError::Conflict(
            "a request with this Idempotency-Key is still running (an interrupted one is released after 5 minutes): check the record before using a new key"
                .into(),
        )),
        IdempotencyState::Done { status, body, .. } => {
            let status =
                StatusCode::from_u16(status).map_err(|e| ApiError::Internal(e.to_string()))?;
            let body: Value =
                serde_json::from_str(&body).map_err(|e| ApiError::Internal(e.to_string()))?;
            Ok(Some((status, Json(body))))
        }
    }
}

/// A write that failed, and whether the platform may have acted on it.
struct WriteFailure {
    error: ApiError,
    reached_platform: bool,
}

impl From<ApiError> for WriteFailure {
    fn from(error: ApiError) -> Self {
        Self {
            error,
            reached_platform: false,
        }
    }
}

async fn write_once(
    state: &AppState,
    store_id: &str,
    op: WriteOp,
    key: Option<String>,
) -> Result<(StatusCode, Json<Value>), WriteFailure> {
    use polycart_kit::Error as K;
    let adapter = state.adapter(store_id).await?;
    let mut write = Write::new(op);
    write.idempotency_key = key;
    let mut record = match adapter.write(&write).await {
        Ok(record) => record,
        Err(e) => {
            // Refusals (credentials, throttling, bad input, a 4xx) were not acted on; a
            // 5xx, a lost connection or an unreadable answer may have been.
            let reached_platform = match &e {
                K::Auth { .. }
                | K::RateLimited { .. }
                | K::NotFound { .. }
                | K::Invalid { .. }
                | K::Unsupported { .. } => false,
                K::Platform { status, .. } => !(400..500).contains(status),
                K::Transport { .. } | K::Decode { .. } => true,
            };
            return Err(WriteFailure {
                error: e.into(),
                reached_platform,
            });
        }
    };
    record.assign_store(store_id);
    if let Err(e) = state
        .store
        .upsert_records(store_id, std::slice::from_ref(&record))
        .await
    {
        // The platform has the change; the next sync stores it.
        tracing::warn!(store = store_id, error = %e, "storing a written record failed");
    }
    let value = serde_json::to_value(record.without_raw()).map_err(|e| WriteFailure {
        error: ApiError::Internal(e.to_string()),
        reached_platform: true,
    })?;
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
    record: StoreRecord,
    headers: HeaderMap,
    Json(body): Json<ProductPatch>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let StoreRecord {
        store_id,
        platform_id,
    } = record;
    let op = product_op(&store_id, platform_id, body)?;
    perform(&state, &caller, &headers, &store_id, op).await
}

/// The checked write of a product patch.
pub(crate) fn product_op(
    store_id: &str,
    platform_id: String,
    body: ProductPatch,
) -> Result<WriteOp, ApiError> {
    if body.title.is_none()
        && body.status.is_none()
        && body.price.is_none()
        && body.compare_at_price.is_none()
    {
        return Err(ApiError::Invalid(
            "nothing to change: give title, status, price or compare_at_price".into(),
        ));
    }
    bounds::TITLE.check_opt(&body.title)?;
    bounds::price("price", body.price)?;
    bounds::price("compare_at_price", body.compare_at_price)?;
    Ok(WriteOp::UpdateProduct {
        variant_id: ids::optional(store_id, body.variant_id)?,
        product_id: platform_id,
        title: body.title,
        status: body.status,
        price: body.price,
        compare_at_price: body.compare_at_price,
    })
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
    let op = inventory_op(&store_id, body)?;
    perform(&state, &caller, &headers, &store_id, op).await
}

/// The checked write of a stock level.
pub(crate) fn inventory_op(store_id: &str, body: InventoryPut) -> Result<WriteOp, ApiError> {
    let change = match (body.available, body.delta) {
        (Some(a), None) => InventoryChange::Absolute(bounds::INVENTORY.check(a)?),
        (None, Some(d)) => InventoryChange::Delta(
            bounds::IntRange {
                name: "delta",
                ..bounds::INVENTORY
            }
            .check(d)?,
        ),
        _ => {
            return Err(ApiError::Invalid(
                "give exactly one of available or delta".into(),
            ));
        }
    };
    if body.variant_id.is_none() && body.sku.is_none() && body.product_id.is_none() {
        return Err(ApiError::Invalid(
            "give variant_id, sku or product_id".into(),
        ));
    }
    if let Some(sku) = &body.sku {
        bounds::TextLimit {
            name: "sku",
            max_chars: ids::MAX_ID_LEN,
            multiline: false,
        }
        .check(sku)?;
    }
    Ok(WriteOp::SetInventory {
        product_id: ids::optional(store_id, body.product_id)?,
        variant_id: ids::optional(store_id, body.variant_id)?,
        sku: body.sku,
        location_id: ids::optional(store_id, body.location_id)?,
        change,
    })
}

/// A shipment to record.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShipmentPost {
    pub carrier: Option<String>,
    pub tracking_number: Option<String>,
    /// An `http` or `https` URL.
    pub tracking_url: Option<String>,
    /// Items shipped, as in the model's `Shipment.line_items`; empty ships everything
    /// not yet shipped. `items` is accepted as an alias.
    #[serde(default, alias = "items")]
    pub line_items: Vec<ShipmentItemBody>,
    #[serde(default)]
    pub notify_customer: bool,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShipmentItemBody {
    pub line_item_id: String,
    pub quantity: u32,
}

#[utoipa::path(post, path = "/v1/stores/{store}/orders/{id}/shipments", params(("store" = String, Path), ("id" = String, Path),
    ("Idempotency-Key" = Option<String>, Header)), request_body = ShipmentPost, responses((status = 200, body = Object)), security(("api_key" = [])))]
pub async fn post_shipment(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    record: StoreRecord,
    headers: HeaderMap,
    Json(body): Json<ShipmentPost>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let StoreRecord {
        store_id,
        platform_id,
    } = record;
    let op = shipment_op(&store_id, platform_id, body)?;
    perform(&state, &caller, &headers, &store_id, op).await
}

/// The checked write of a shipment.
pub(crate) fn shipment_op(
    store_id: &str,
    platform_id: String,
    body: ShipmentPost,
) -> Result<WriteOp, ApiError> {
    bounds::CARRIER.check_opt(&body.carrier)?;
    bounds::TRACKING_NUMBER.check_opt(&body.tracking_number)?;
    bounds::TRACKING_URL.check_opt(&body.tracking_url)?;
    if let Some(url) = &body.tracking_url {
        let parsed = url::Url::parse(url).ok();
        if !parsed.is_some_and(|u| matches!(u.scheme(), "http" | "https")) {
            return Err(ApiError::Invalid(
                "tracking_url must be an http or https URL".into(),
            ));
        }
    }
    let line_items = body
        .line_items
        .into_iter()
        .map(|i| {
            bounds::SHIPMENT_QUANTITY.check(i64::from(i.quantity))?;
            Ok(ShipmentItem {
                line_item_id: ids::platform_id(store_id, &i.line_item_id)?,
                quantity: i.quantity,
            })
        })
        .collect::<Result<Vec<_>, ApiError>>()?;
    Ok(WriteOp::CreateShipment {
        order_id: platform_id,
        carrier: body.carrier,
        tracking_number: body.tracking_number,
        tracking_url: body.tracking_url,
        line_items,
        notify_customer: body.notify_customer,
    })
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
    record: StoreRecord,
    headers: HeaderMap,
    Json(body): Json<OrderPatch>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let StoreRecord {
        store_id,
        platform_id,
    } = record;
    let op = order_op(platform_id, body)?;
    perform(&state, &caller, &headers, &store_id, op).await
}

/// The checked write of a note added to an order (no status change).
pub(crate) fn note_op(platform_id: String, note: String) -> Result<WriteOp, ApiError> {
    bounds::NOTE.check_opt(&Some(note.clone()))?;
    Ok(WriteOp::AddOrderNote {
        order_id: platform_id,
        note,
    })
}

/// The checked write of an order status.
pub(crate) fn order_op(platform_id: String, body: OrderPatch) -> Result<WriteOp, ApiError> {
    bounds::NOTE.check_opt(&body.note)?;
    Ok(WriteOp::UpdateOrderStatus {
        order_id: platform_id,
        status: body.status,
        note: body.note,
    })
}
