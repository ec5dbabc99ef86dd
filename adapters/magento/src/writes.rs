//! Writes to a Magento store, each followed by a re-read so the caller gets the
//! store's truth:
//!
//! - product title, price and status: `PUT /rest/{write_store_code}/V1/products/{sku}`
//!   (the SKU looked up from the product id; `all` writes the global values);
//! - stock per MSI source: `POST /V1/inventory/source-items` (absolute quantities), or
//!   with `inventory=legacy` the product's stock item:
//!   `PUT /V1/products/{sku}/stockItems/{itemId}`;
//! - order state: `POST /V1/orders/{id}/cancel`, `/hold`, `/unhold` (Magento answers
//!   `false` when the order's state does not allow it);
//! - order comments: `POST /V1/orders/{id}/comments`;
//! - shipments with tracking for chosen items: `POST /V1/order/{id}/ship`.
//!
//! Only the `PUT` of a product and absolute stock are repeatable; every other write is
//! sent once and never retried blindly (a lost answer may hide a shipment or a comment
//! the store did record): the error says to re-read the order before trying again.

use polycart_kit::error::{Error, Result};
use polycart_kit::model::{Entity, OrderStatus, ProductStatus, Record};
use polycart_kit::transport::Request;
use polycart_kit::{Adapter, ApiPath, IdGrammar, IdRole, InventoryChange, Write, WriteOp};
use serde_json::json;

use crate::adapter::MagentoAdapter;
use crate::mapping::PLATFORM;

/// Magento's ids: numeric, except sources (MSI source codes).
fn check(role: IdRole, id: &str) -> Result<String> {
    let grammar = match role {
        IdRole::Location => IdGrammar::Token,
        _ => IdGrammar::Numeric,
    };
    grammar.check(id).map(str::to_owned)
}

/// The carrier code Magento knows for a carrier name, else `custom` (with the name as
/// the track's title).
fn carrier_code(carrier: Option<&str>) -> &'static str {
    match carrier.map(|c| c.trim().to_ascii_lowercase()).as_deref() {
        Some("ups") => "ups",
        Some("usps") => "usps",
        Some("fedex") => "fedex",
        Some("dhl") => "dhl",
        _ => "custom",
    }
}

/// A write that was sent once: a transport failure may hide that the store acted.
fn not_retried(e: Error, what: &str, order: &str) -> Error {
    match e {
        Error::Transport { message, timeout } => Error::Transport {
            message: format!(
                "{message}; {what} for order {order} was sent once and not retried: re-read the order before trying again"
            ),
            timeout,
        },
        other => other,
    }
}

/// Magento's `true`/`false` answer to cancel, hold and unhold.
fn accepted(text: &str, action: &str, order: &str) -> Result<()> {
    match text.trim() {
        "true" => Ok(()),
        _ => Err(Error::invalid(format!(
            "Magento did not {action} order {order} (its state does not allow it)"
        ))),
    }
}

pub(crate) async fn write(a: &MagentoAdapter, write: &Write) -> Result<Record> {
    let write = write.checked(check)?;
    let client = a.client();
    match &write.op {
        WriteOp::UpdateProduct {
            product_id,
            variant_id,
            title,
            status,
            price,
            compare_at_price,
        } => {
            if compare_at_price.is_some() {
                return Err(Error::unsupported(
                    PLATFORM,
                    "compare_at_price (Magento's special price has dates and store scopes)",
                ));
            }
            let target = variant_id.as_deref().unwrap_or(product_id);
            let sku = a.sku_of(target).await?;
            let mut product = serde_json::Map::new();
            product.insert("sku".into(), json!(sku));
            if let Some(t) = title {
                product.insert("name".into(), json!(t));
            }
            if let Some(p) = price {
                product.insert("price".into(), json!(p.to_string()));
            }
            if let Some(s) = status {
                let v = match s {
                    ProductStatus::Active => 1,
                    ProductStatus::Draft | ProductStatus::Archived => 2,
                };
                product.insert("status".into(), json!(v));
            }
            let url = ApiPath::new("V1/products")
                .id(IdGrammar::Text, &sku)?
                .under(client.write_root());
            // The same PUT twice leaves the same product: safe to repeat.
            client
                .send(
                    Request::new(http::Method::PUT, url)
                        .json(&json!({ "product": product }))
                        .idempotent(true),
                )
                .await?;
            a.get(Entity::Product, product_id).await
        }
        WriteOp::SetInventory {
            product_id,
            variant_id,
            sku,
            location_id,
            change,
        } => {
            let InventoryChange::Absolute(quantity) = change else {
                return Err(Error::unsupported(
                    PLATFORM,
                    "stock deltas (MSI source items take absolute quantities)",
                ));
            };
            let sku = match (sku, variant_id.as_ref().or(product_id.as_ref())) {
                (Some(s), _) => s.clone(),
                (None, Some(id)) => a.sku_of(id).await?,
                (None, None) => {
                    return Err(Error::invalid(
                        "set_inventory needs a sku, variant_id or product_id",
                    ));
                }
            };
            IdGrammar::Text.check(&sku)?;
            let source = location_id.clone().unwrap_or_else(|| "default".to_owned());
            if !client.cfg.msi {
                return legacy_stock(a, &sku, &source, *quantity).await;
            }
            let body = json!({ "sourceItems": [{
                "sku": sku,
                "source_code": source,
                "quantity": quantity,
                "status": i32::from(*quantity > 0),
            }]});
            let url = ApiPath::new("V1/inventory/source-items").under(client.read_root());
            // An absolute quantity set twice is the same quantity.
            client
                .send(Request::post(url).json(&body).idempotent(true))
                .await?;
            a.get(Entity::Inventory, &format!("{source}:{sku}")).await
        }
        WriteOp::UpdateOrderStatus {
            order_id,
            status,
            note,
        } => {
            let action = match status {
                OrderStatus::Cancelled => "cancel",
                OrderStatus::OnHold => "hold",
                OrderStatus::Processing => "unhold",
                other => {
                    return Err(Error::unsupported(
                        PLATFORM,
                        format!(
                            "moving an order to {} (Magento derives it from invoices, shipments and credit memos)",
                            other.as_str()
                        ),
                    ));
                }
            };
            let path = match action {
                "cancel" => ApiPath::new("V1/orders").num(order_id)?.lit("cancel"),
                "hold" => ApiPath::new("V1/orders").num(order_id)?.lit("hold"),
                _ => ApiPath::new("V1/orders").num(order_id)?.lit("unhold"),
            };
            let r = client
                .send(Request::post(path.under(client.read_root())).idempotent(false))
                .await
                .map_err(|e| not_retried(e, action, order_id))?;
            accepted(r.text()?, action, order_id)?;
            if let Some(n) = note {
                comment(a, order_id, n).await?;
            }
            a.get(Entity::Order, order_id).await
        }
        WriteOp::AddOrderNote { order_id, note } => {
            comment(a, order_id, note).await?;
            a.get(Entity::Order, order_id).await
        }
        WriteOp::AddOrderTags { .. } => Err(Error::unsupported(PLATFORM, "order tags")),
        WriteOp::CreateShipment {
            order_id,
            carrier,
            tracking_number,
            tracking_url: _,
            line_items,
            notify_customer,
        } => {
            let items: Vec<serde_json::Value> = line_items
                .iter()
                .map(|i| json!({ "order_item_id": i.line_item_id.parse::<u64>().unwrap_or(0), "qty": i.quantity }))
                .collect();
            let mut body = json!({ "notify": notify_customer });
            if !items.is_empty() {
                body["items"] = json!(items);
            }
            if let Some(number) = tracking_number {
                body["tracks"] = json!([{
                    "track_number": number,
                    "title": carrier.clone().unwrap_or_else(|| "Carrier".to_owned()),
                    "carrier_code": carrier_code(carrier.as_deref()),
                }]);
            }
            let url = ApiPath::new("V1/order")
                .num(order_id)?
                .lit("ship")
                .under(client.read_root());
            client
                .send(Request::post(url).json(&body).idempotent(false))
                .await
                .map_err(|e| not_retried(e, "the shipment", order_id))?;
            a.get(Entity::Order, order_id).await
        }
    }
}

/// Legacy CatalogInventory: `GET /V1/stockItems/{sku}` for the item id, then
/// `PUT /V1/products/{sku}/stockItems/{itemId}` with the absolute quantity.
async fn legacy_stock(
    a: &MagentoAdapter,
    sku: &str,
    source: &str,
    quantity: i64,
) -> Result<Record> {
    if source != "default" {
        return Err(Error::invalid(format!(
            "legacy stock has one source, default, not {source:?} (set inventory=msi for sources)"
        )));
    }
    let client = a.client();
    let r = client
        .get(ApiPath::new("V1/stockItems").id(IdGrammar::Text, sku)?, &[])
        .await?;
    let item: serde_json::Value = r.json()?;
    let item_id = match &item["item_id"] {
        serde_json::Value::Number(n) => n.to_string(),
        serde_json::Value::String(s) => s.clone(),
        _ => return Err(Error::decode("$.item_id", "missing")),
    };
    let url = ApiPath::new("V1/products")
        .id(IdGrammar::Text, sku)?
        .lit("stockItems")
        .num(&item_id)?
        .under(client.read_root());
    let body = json!({ "stockItem": { "qty": quantity, "is_in_stock": quantity > 0 } });
    // An absolute quantity set twice is the same quantity.
    client
        .send(
            Request::new(http::Method::PUT, url)
                .json(&body)
                .idempotent(true),
        )
        .await?;
    a.get(Entity::Inventory, &format!("default:{sku}")).await
}

/// `POST /V1/orders/{id}/comments`: a private comment on the order's history.
async fn comment(a: &MagentoAdapter, order_id: &str, note: &str) -> Result<()> {
    let body = json!({ "statusHistory": {
        "comment": note,
        "is_customer_notified": 0,
        "is_visible_on_front": 0,
        "parent_id": order_id.parse::<u64>().unwrap_or(0),
    }});
    let url = ApiPath::new("V1/orders")
        .num(order_id)?
        .lit("comments")
        .under(a.client().read_root());
    a.client()
        .send(Request::post(url).json(&body).idempotent(false))
        .await
        .map_err(|e| not_retried(e, "the comment", order_id))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_follow_magento_grammar() {
        assert!(check(IdRole::Order, "12").is_ok());
        assert!(check(IdRole::Order, "../1").is_err());
        assert!(check(IdRole::Location, "eu_west-1").is_ok());
        assert!(check(IdRole::Location, "a/b").is_err());
        assert_eq!(carrier_code(Some("UPS")), "ups");
        assert_eq!(carrier_code(Some("Royal Mail")), "custom");
        assert!(accepted("true", "cancel", "1").is_ok());
        assert!(accepted("false", "cancel", "1").is_err());
    }
}
