//! Write methods through `/v1`'s write path ([`crate::api::writes`]): the same
//! checks, the same idempotency (API2Cart's `idempotency_key` parameter is the
//! `Idempotency-Key`) and the same storing of the platform's answer.
//!
//! - `product.update`: `name`, `price`, `old_price` (compare-at), `status`, and stock
//!   (`quantity`, or `increase_quantity` / `reduce_quantity`).
//! - `product.variant.update`: the same for one variant (`id`, `product_id`).
//! - `order.update`: `order_status` (one of `order.status.list`) with `comment`, or a
//!   `comment` alone (added as an order note where the platform takes notes).
//! - `order.shipment.add`: one tracking number, items by `order_product_id`.

use polycart_kit::WriteOp;
use polycart_kit::model::{OrderStatus, ProductStatus};
use serde_json::{Value, json};

use super::Ctx;
use super::envelope::{A2cError, Reply};
use crate::api::ids;
use crate::api::writes::{
    InventoryPut, OrderPatch, ProductPatch, ShipmentItemBody, ShipmentPost, inventory_op, note_op,
    order_op, perform_keyed, product_op, shipment_op,
};

/// Runs one write; `part` tells apart the writes of one call under one key.
async fn run(ctx: &Ctx<'_>, op: WriteOp, part: &str) -> Result<Value, A2cError> {
    let key = ctx.params.str("idempotency_key").map(|k| {
        if part.is_empty() {
            k
        } else {
            format!("{k}:{part}")
        }
    });
    let store_id = &ctx.store()?.id;
    let (_, axum::Json(body)) = perform_keyed(ctx.state, ctx.caller, key, store_id, op).await?;
    Ok(body)
}

fn product_status(text: &str) -> Result<ProductStatus, A2cError> {
    match text.to_ascii_lowercase().as_str() {
        "enabled" | "active" | "1" | "true" => Ok(ProductStatus::Active),
        "disabled" | "draft" | "0" | "false" => Ok(ProductStatus::Draft),
        "archived" => Ok(ProductStatus::Archived),
        _ => Err(A2cError::invalid(
            "status must be enabled, disabled or archived",
        )),
    }
}

/// The stock change of `quantity` / `increase_quantity` / `reduce_quantity`.
/// An absolute stock level or a change of it.
type StockChange = (Option<i64>, Option<i64>);

fn stock(ctx: &Ctx<'_>) -> Result<Option<StockChange>, A2cError> {
    let p = ctx.params;
    let whole = |name: &str| -> Result<Option<i64>, A2cError> {
        match p.str(name) {
            None => Ok(None),
            Some(t) => {
                let d: rust_decimal::Decimal = t
                    .parse()
                    .map_err(|_| A2cError::invalid(format!("{name} must be a number")))?;
                if !d.fract().is_zero() {
                    return Err(A2cError::invalid(format!("{name} must be a whole number")));
                }
                let n = i64::try_from(d)
                    .map_err(|_| A2cError::invalid(format!("{name} is out of range")))?;
                Ok(Some(n))
            }
        }
    };
    let quantity = whole("quantity")?;
    let increase = whole("increase_quantity")?;
    let reduce = whole("reduce_quantity")?;
    match (quantity, increase, reduce) {
        (None, None, None) => Ok(None),
        (Some(q), None, None) => Ok(Some((Some(q), None))),
        (None, i, r) => Ok(Some((None, Some(i.unwrap_or(0) - r.unwrap_or(0))))),
        _ => Err(A2cError::invalid(
            "give quantity, or increase_quantity / reduce_quantity, not both",
        )),
    }
}

/// The changes of `product.update` / `product.variant.update`.
async fn update(
    ctx: &Ctx<'_>,
    product_id: String,
    variant_id: Option<String>,
) -> Result<Reply, A2cError> {
    let p = ctx.params;
    let store_id = ctx.store()?.id.clone();
    let title = p.str("name");
    if variant_id.is_some() && title.is_some() {
        return Err(A2cError::invalid(
            "a variant's name cannot be changed; change the product's",
        ));
    }
    let patch = ProductPatch {
        variant_id: variant_id.clone(),
        title,
        status: p.str("status").as_deref().map(product_status).transpose()?,
        price: p.decimal("price")?,
        compare_at_price: p.decimal("old_price")?,
    };
    let stock = stock(ctx)?;
    let has_patch = patch.title.is_some()
        || patch.status.is_some()
        || patch.price.is_some()
        || patch.compare_at_price.is_some();
    if !has_patch && stock.is_none() {
        return Err(A2cError::new(
            super::envelope::ReturnCode::RequiredParameter,
            "nothing to change: give name, price, old_price, status or quantity",
        ));
    }
    let mut updated = 0;
    if has_patch {
        run(
            ctx,
            product_op(&store_id, product_id.clone(), patch)?,
            "product",
        )
        .await?;
        updated += 1;
    }
    if let Some((available, delta)) = stock {
        let op = inventory_op(
            &store_id,
            InventoryPut {
                product_id: Some(product_id),
                variant_id,
                sku: None,
                location_id: p.str("warehouse_id"),
                available,
                delta,
            },
        )?;
        run(ctx, op, "inventory").await?;
        updated += 1;
    }
    Ok(Reply::result(json!({ "updated_items": updated })))
}

/// `product.update`.
pub async fn product_update(ctx: &Ctx<'_>) -> Result<Reply, A2cError> {
    let id = ctx.params.required("id")?;
    let id = ids::platform_id(&ctx.store()?.id, &id)?;
    update(ctx, id, None).await
}

/// `product.variant.update`.
pub async fn variant_update(ctx: &Ctx<'_>) -> Result<Reply, A2cError> {
    let store_id = ctx.store()?.id.clone();
    let id = ids::platform_id(&store_id, &ctx.params.required("id")?)?;
    let product_id = ids::platform_id(&store_id, &ctx.params.required("product_id")?)?;
    update(ctx, product_id, Some(id)).await
}

/// `order.update`.
pub async fn order_update(ctx: &Ctx<'_>) -> Result<Reply, A2cError> {
    let p = ctx.params;
    let order_id = ids::platform_id(&ctx.store()?.id, &p.required("order_id")?)?;
    let writes = ctx.capabilities().await?.writes;
    let platform = &ctx.store()?.platform;
    let Some(status) = p.str("order_status") else {
        // A comment alone is an order note.
        let Some(comment) = p.str("comment") else {
            return Err(A2cError::new(
                super::envelope::ReturnCode::RequiredParameter,
                "nothing to change: give order_status and/or comment",
            ));
        };
        if !writes.order_note {
            return Err(A2cError::new(
                super::envelope::ReturnCode::IncorrectParameters,
                format!(
                    "order.update with a comment alone (an order note) is not supported for platform {platform}"
                ),
            ));
        }
        run(ctx, note_op(order_id, comment)?, "").await?;
        return Ok(Reply::result(json!({ "updated_items": 1 })));
    };
    if !writes.order_status {
        return Err(A2cError::new(
            super::envelope::ReturnCode::IncorrectParameters,
            format!("order.update with order_status is not supported for platform {platform}"),
        ));
    }
    let status: OrderStatus =
        serde_json::from_value(Value::String(status.clone())).map_err(|_| {
            A2cError::invalid(format!(
                "unknown order_status {:?}; order.status.list names them",
                polycart_kit::error::excerpt(&status, 40)
            ))
        })?;
    let op = order_op(
        order_id,
        OrderPatch {
            status,
            note: p.str("comment"),
        },
    )?;
    run(ctx, op, "").await?;
    Ok(Reply::result(json!({ "updated_items": 1 })))
}

/// `order.shipment.add`.
pub async fn shipment_add(ctx: &Ctx<'_>) -> Result<Reply, A2cError> {
    let p = ctx.params;
    let order_id = ids::platform_id(&ctx.store()?.id, &p.required("order_id")?)?;
    let tracking: Vec<Value> = match p.raw("tracking_numbers") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(a)) => a.clone(),
        Some(Value::String(s)) => serde_json::from_str(s)
            .map_err(|_| A2cError::invalid("tracking_numbers must be a list"))?,
        Some(_) => return Err(A2cError::invalid("tracking_numbers must be a list")),
    };
    if tracking.len() > 1 {
        return Err(A2cError::invalid(
            "polycart records one tracking number per shipment: add one shipment each",
        ));
    }
    let first = tracking.first();
    let field = |v: Option<&Value>, k: &str| v.and_then(|v| map_text(v, k));
    let items: Vec<Value> = match p.raw("items") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(a)) => a.clone(),
        Some(Value::String(s)) => {
            serde_json::from_str(s).map_err(|_| A2cError::invalid("items must be a list"))?
        }
        Some(_) => return Err(A2cError::invalid("items must be a list")),
    };
    let line_items = items
        .iter()
        .map(|i| {
            let line = map_text(i, "order_product_id")
                .ok_or_else(|| A2cError::invalid("each item needs order_product_id"))?;
            let quantity = i
                .get("quantity")
                .and_then(|q| {
                    q.as_f64()
                        .or_else(|| q.as_str().and_then(|s| s.parse().ok()))
                })
                .filter(|q| q.fract() == 0.0 && *q >= 1.0 && *q <= f64::from(u32::MAX))
                .ok_or_else(|| {
                    A2cError::invalid("each item needs a whole quantity of 1 or more")
                })?;
            Ok(ShipmentItemBody {
                line_item_id: line,
                quantity: quantity as u32,
            })
        })
        .collect::<Result<Vec<_>, A2cError>>()?;
    let body = ShipmentPost {
        carrier: field(first, "carrier_id").or_else(|| p.str("shipment_provider")),
        tracking_number: field(first, "tracking_number"),
        tracking_url: p.str("tracking_link"),
        line_items,
        notify_customer: p.bool("send_notifications")?.unwrap_or(false),
    };
    let store_id = ctx.store()?.id.clone();
    let written = run(ctx, shipment_op(&store_id, order_id, body)?, "").await?;
    let shipment_id = written
        .get("shipments")
        .and_then(Value::as_array)
        .and_then(|s| s.last())
        .and_then(|s| map_text(s, "platform_id"))
        .unwrap_or_default();
    Ok(Reply::result(json!({ "shipment_id": shipment_id })))
}

fn map_text(v: &Value, k: &str) -> Option<String> {
    super::map::text(v, k).filter(|s| !s.trim().is_empty())
}
