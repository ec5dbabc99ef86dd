//! The unified writes over the REST Admin API: product and variant updates, inventory
//! set and adjust, order close/open/cancel, notes and tags, and fulfillments with
//! tracking through fulfillment orders. Writes Shopify would repeat (adjust, create,
//! cancel) are never retried after they may have reached it; absolute ones are.

use polycart_kit::adapter::{InventoryChange, WriteOp};
use polycart_kit::model::{Entity, OrderStatus, Record};
use polycart_kit::transport::Request;
use polycart_kit::{Adapter, ApiPath, Error, Result, Write};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::ShopifyAdapter;
use crate::fulfillment_plan::{self, Fo, FoLine, Take};
use crate::ids;
use crate::mapping::{PLATFORM, level_id};
use crate::write_targets::merged_note;

impl ShopifyAdapter {
    /// Performs one of the unified writes over the REST Admin API.
    pub(crate) async fn write_op(&self, write: &Write) -> Result<Record> {
        match &write.op {
            WriteOp::UpdateProduct {
                product_id,
                variant_id,
                title,
                status,
                price,
                compare_at_price,
            } => {
                if title.is_some() || status.is_some() {
                    let mut product = serde_json::Map::new();
                    product.insert("id".into(), json!(number(product_id)));
                    if let Some(t) = title {
                        product.insert("title".into(), json!(t));
                    }
                    if let Some(s) = status {
                        product.insert("status".into(), json!(s.as_str()));
                    }
                    let request = Request::new(
                        http::Method::PUT,
                        self.config
                            .rest_url(&ids::record_path("products", "Product", product_id)?),
                    )
                    .json(&json!({ "product": product }));
                    self.send(request).await?;
                }
                if price.is_some() || compare_at_price.is_some() {
                    let variant = self
                        .price_variant(product_id, variant_id.as_deref())
                        .await?;
                    let mut v = serde_json::Map::new();
                    v.insert("id".into(), json!(number(&variant)));
                    if let Some(p) = price {
                        v.insert("price".into(), json!(p.to_string()));
                    }
                    if let Some(c) = compare_at_price {
                        v.insert("compare_at_price".into(), json!(c.to_string()));
                    }
                    let request = Request::new(
                        http::Method::PUT,
                        self.config.rest_url(&ids::record_path(
                            "variants",
                            "ProductVariant",
                            &variant,
                        )?),
                    )
                    .json(&json!({ "variant": v }));
                    self.send(request).await?;
                }
                self.get(Entity::Product, product_id).await
            }
            WriteOp::SetInventory {
                variant_id,
                sku,
                location_id,
                change,
                ..
            } => {
                let item = self
                    .inventory_item_of(variant_id.as_deref(), sku.as_deref())
                    .await?;
                let location = self.write_location(location_id.as_deref()).await?;
                let item_n: u64 = item
                    .parse()
                    .map_err(|_| Error::invalid("inventory item ids are numeric"))?;
                let location_n: u64 = location
                    .parse()
                    .map_err(|_| Error::invalid("location ids are numeric"))?;
                let (path, body, idempotent) = match change {
                    InventoryChange::Absolute(n) => (
                        ApiPath::new("inventory_levels/set.json"),
                        json!({"location_id": location_n, "inventory_item_id": item_n, "available": n}),
                        true,
                    ),
                    InventoryChange::Delta(n) => (
                        ApiPath::new("inventory_levels/adjust.json"),
                        json!({"location_id": location_n, "inventory_item_id": item_n, "available_adjustment": n}),
                        false,
                    ),
                };
                let request = Request::post(self.config.rest_url(&path))
                    .json(&body)
                    .idempotent(idempotent);
                let record = self.write_json(request, "inventory_level").await?;
                debug_assert_eq!(record.platform_id(), level_id(&item, &location));
                Ok(record)
            }
            WriteOp::UpdateOrderStatus {
                order_id, status, ..
            } => {
                let action = match status {
                    OrderStatus::Cancelled => "cancel",
                    OrderStatus::Completed => "close",
                    OrderStatus::Processing | OrderStatus::Pending => "open",
                    other => {
                        return Err(Error::unsupported(
                            PLATFORM,
                            format!("moving an order to {other}"),
                        ));
                    }
                };
                let path = ApiPath::new("orders")
                    .num(order_id)?
                    .lit(action)
                    .suffix(".json");
                let request = Request::post(self.config.rest_url(&path))
                    .json(&json!({}))
                    .idempotent(false);
                self.write_json(request, "order").await
            }
            WriteOp::AddOrderNote { order_id, note } => {
                let current = self.order_raw(order_id).await?;
                let note = merged_note(current["note"].as_str(), note);
                let path = ids::record_path("orders", "Order", order_id)?;
                let request = Request::new(http::Method::PUT, self.config.rest_url(&path))
                    .json(&json!({"order": {"id": number(order_id), "note": note}}));
                self.write_json(request, "order").await
            }
            WriteOp::AddOrderTags { order_id, tags } => {
                let current = self.order_raw(order_id).await?;
                let mut all: Vec<String> = current["tags"]
                    .as_str()
                    .unwrap_or_default()
                    .split(',')
                    .map(str::trim)
                    .filter(|t| !t.is_empty())
                    .map(str::to_owned)
                    .collect();
                for t in tags {
                    if !all.iter().any(|a| a.eq_ignore_ascii_case(t.trim())) {
                        all.push(t.trim().to_owned());
                    }
                }
                let path = ids::record_path("orders", "Order", order_id)?;
                let request = Request::new(http::Method::PUT, self.config.rest_url(&path))
                    .json(&json!({"order": {"id": number(order_id), "tags": all.join(", ")}}));
                self.write_json(request, "order").await
            }
            op @ WriteOp::CreateShipment { .. } => self.create_shipment(op).await,
        }
    }

    async fn create_shipment(&self, op: &WriteOp) -> Result<Record> {
        let WriteOp::CreateShipment {
            order_id,
            carrier,
            tracking_number,
            tracking_url,
            line_items,
            notify_customer,
        } = op
        else {
            return Err(Error::invalid("not a shipment"));
        };
        let response = self
            .send(
                self.get_request(
                    &ApiPath::new("orders")
                        .num(order_id)?
                        .lit("fulfillment_orders.json"),
                ),
            )
            .await?;
        #[derive(Deserialize)]
        struct RestFoLine {
            id: polycart_kit::decode::Id,
            line_item_id: polycart_kit::decode::Id,
            fulfillable_quantity: u64,
        }
        #[derive(Deserialize)]
        struct RestFo {
            id: polycart_kit::decode::Id,
            status: String,
            line_items: Vec<RestFoLine>,
        }
        #[derive(Deserialize)]
        struct Envelope {
            fulfillment_orders: Vec<RestFo>,
        }
        let envelope: Envelope = response.json()?;
        let fos: Vec<Fo> = envelope
            .fulfillment_orders
            .into_iter()
            .map(|f| Fo {
                open: f.status == "open" || f.status == "in_progress",
                id: f.id.0,
                lines: f
                    .line_items
                    .into_iter()
                    .map(|l| FoLine {
                        id: l.id.0,
                        line_item_id: l.line_item_id.0,
                        remaining: l.fulfillable_quantity,
                    })
                    .collect(),
            })
            .collect();
        let groups: Vec<Value> = fulfillment_plan::plan(order_id, &fos, line_items)?
            .into_iter()
            .map(|(fo, take)| match take {
                Take::All => json!({ "fulfillment_order_id": number(&fo) }),
                Take::Lines(lines) => json!({
                    "fulfillment_order_id": number(&fo),
                    "fulfillment_order_line_items": lines
                        .iter()
                        .map(|(id, q)| json!({"id": number(id), "quantity": q}))
                        .collect::<Vec<_>>(),
                }),
            })
            .collect();
        let tracking = fulfillment_plan::tracking(
            carrier.as_deref(),
            tracking_number.as_deref(),
            tracking_url.as_deref(),
        );
        let body = json!({"fulfillment": {
            "line_items_by_fulfillment_order": groups,
            "tracking_info": tracking,
            "notify_customer": notify_customer,
        }});
        // Creating a fulfillment twice ships twice: never retried blindly.
        let request = Request::post(self.config.rest_url(&ApiPath::new("fulfillments.json")))
            .json(&body)
            .idempotent(false);
        self.send(request).await?;
        self.get(Entity::Order, order_id).await
    }
}

/// A checked numeric id as the JSON number REST bodies carry (0 only for an id that
/// failed the check, which never reaches here).
fn number(id: &str) -> u64 {
    id.parse().unwrap_or_default()
}
