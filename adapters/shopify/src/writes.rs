//! The unified writes over the REST Admin API: product and variant updates, inventory
//! set and adjust, order close/open/cancel, notes and tags, and fulfillments with
//! tracking through fulfillment orders. Writes Shopify would repeat (adjust, create,
//! cancel) are never retried after they may have reached it; absolute ones are.

use polycart_kit::adapter::{InventoryChange, WriteOp};
use polycart_kit::model::{Entity, OrderStatus, Record};
use polycart_kit::transport::Request;
use polycart_kit::{Adapter, Error, Result, Write};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::client::ShopifyAdapter;
use crate::mapping::{PLATFORM, level_id};

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
                    product.insert(
                        "id".into(),
                        json!(product_id.parse::<u64>().unwrap_or_default()),
                    );
                    if let Some(t) = title {
                        product.insert("title".into(), json!(t));
                    }
                    if let Some(s) = status {
                        product.insert("status".into(), json!(s.as_str()));
                    }
                    let request = Request::new(
                        http::Method::PUT,
                        self.config
                            .rest_url(&format!("products/{product_id}.json"))?,
                    )
                    .json(&json!({ "product": product }));
                    self.send(request).await?;
                }
                if price.is_some() || compare_at_price.is_some() {
                    let variant = match variant_id {
                        Some(v) => v.clone(),
                        None => {
                            let p = self.get(Entity::Product, product_id).await?;
                            match &p {
                                Record::Product(p) if p.variants.len() == 1 => {
                                    p.variants[0].platform_id.clone()
                                }
                                _ => {
                                    return Err(Error::invalid(
                                        "a price change of a product with several variants needs a variant_id",
                                    ));
                                }
                            }
                        }
                    };
                    let mut v = serde_json::Map::new();
                    v.insert(
                        "id".into(),
                        json!(variant.parse::<u64>().unwrap_or_default()),
                    );
                    if let Some(p) = price {
                        v.insert("price".into(), json!(p.to_string()));
                    }
                    if let Some(c) = compare_at_price {
                        v.insert("compare_at_price".into(), json!(c.to_string()));
                    }
                    let request = Request::new(
                        http::Method::PUT,
                        self.config.rest_url(&format!("variants/{variant}.json"))?,
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
                let location = match location_id {
                    Some(l) => l.clone(),
                    None => self
                        .shop()
                        .await?
                        .primary_location_id
                        .clone()
                        .ok_or_else(|| {
                            Error::invalid("no location_id and the shop has no primary location")
                        })?,
                };
                let item_n: u64 = item
                    .parse()
                    .map_err(|_| Error::invalid("inventory item ids are numeric"))?;
                let location_n: u64 = location
                    .parse()
                    .map_err(|_| Error::invalid("location ids are numeric"))?;
                let (path, body, idempotent) = match change {
                    InventoryChange::Absolute(n) => (
                        "inventory_levels/set.json",
                        json!({"location_id": location_n, "inventory_item_id": item_n, "available": n}),
                        true,
                    ),
                    InventoryChange::Delta(n) => (
                        "inventory_levels/adjust.json",
                        json!({"location_id": location_n, "inventory_item_id": item_n, "available_adjustment": n}),
                        false,
                    ),
                };
                let request = Request::post(self.config.rest_url(path)?)
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
                let request = Request::post(
                    self.config
                        .rest_url(&format!("orders/{order_id}/{action}.json"))?,
                )
                .json(&json!({}))
                .idempotent(false);
                self.write_json(request, "order").await
            }
            WriteOp::AddOrderNote { order_id, note } => {
                let current = self.order_raw(order_id).await?;
                let note = match current["note"].as_str().filter(|n| !n.is_empty()) {
                    Some(existing) if existing.contains(note.as_str()) => existing.to_owned(),
                    Some(existing) => format!("{existing}\n{note}"),
                    None => note.clone(),
                };
                let request = Request::new(http::Method::PUT, self.config.rest_url(&format!("orders/{order_id}.json"))?)
                    .json(&json!({"order": {"id": order_id.parse::<u64>().unwrap_or_default(), "note": note}}));
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
                let request = Request::new(http::Method::PUT, self.config.rest_url(&format!("orders/{order_id}.json"))?)
                    .json(&json!({"order": {"id": order_id.parse::<u64>().unwrap_or_default(), "tags": all.join(", ")}}));
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
            .send(self.get_request(&format!("orders/{order_id}/fulfillment_orders.json"))?)
            .await?;
        #[derive(Deserialize)]
        struct FoLine {
            id: polycart_kit::decode::Id,
            line_item_id: polycart_kit::decode::Id,
            fulfillable_quantity: u64,
        }
        #[derive(Deserialize)]
        struct Fo {
            id: polycart_kit::decode::Id,
            status: String,
            line_items: Vec<FoLine>,
        }
        #[derive(Deserialize)]
        struct Envelope {
            fulfillment_orders: Vec<Fo>,
        }
        let envelope: Envelope = response.json()?;
        let mut groups = Vec::new();
        for fo in envelope
            .fulfillment_orders
            .iter()
            .filter(|f| f.status == "open" || f.status == "in_progress")
        {
            if line_items.is_empty() {
                if fo.line_items.iter().any(|l| l.fulfillable_quantity > 0) {
                    groups.push(json!({ "fulfillment_order_id": fo.id.0.parse::<u64>().unwrap_or_default() }));
                }
                continue;
            }
            let lines: Vec<Value> = line_items
                .iter()
                .filter_map(|want| {
                    let l = fo.line_items.iter().find(|l| l.line_item_id.0 == want.line_item_id)?;
                    Some(json!({"id": l.id.0.parse::<u64>().unwrap_or_default(), "quantity": want.quantity}))
                })
                .collect();
            if !lines.is_empty() {
                groups.push(json!({
                    "fulfillment_order_id": fo.id.0.parse::<u64>().unwrap_or_default(),
                    "fulfillment_order_line_items": lines,
                }));
            }
        }
        if groups.is_empty() {
            return Err(Error::invalid(format!(
                "order {order_id} has nothing open to fulfill for these line items"
            )));
        }
        let mut tracking = serde_json::Map::new();
        if let Some(n) = tracking_number {
            tracking.insert("number".into(), json!(n));
        }
        if let Some(u) = tracking_url {
            tracking.insert("url".into(), json!(u));
        }
        if let Some(c) = carrier {
            tracking.insert("company".into(), json!(c));
        }
        let body = json!({"fulfillment": {
            "line_items_by_fulfillment_order": groups,
            "tracking_info": tracking,
            "notify_customer": notify_customer,
        }});
        // Creating a fulfillment twice ships twice: never retried blindly.
        let request = Request::post(self.config.rest_url("fulfillments.json")?)
            .json(&body)
            .idempotent(false);
        self.send(request).await?;
        self.get(Entity::Order, order_id).await
    }
}
