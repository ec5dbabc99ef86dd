//! Writes: product and variant prices, titles and status (v3 catalog `PUT`s), stock
//! (v3 inventory adjustments, absolute or relative), shipments (`POST
//! /v2/orders/{id}/shipments` with tracking and items). Every write re-reads the record
//! it changed. `PUT`s are idempotent and retried like reads; a relative adjustment and
//! a shipment `POST` are not idempotent and BigCommerce honours no idempotency key, so
//! the transport retries them only when the platform provably did not act (a 429, a
//! refused connection) and otherwise returns the error.

use http::Method;
use polycart_kit::model::ProductStatus;
use polycart_kit::{ApiPath, Entity, Error, InventoryChange, Record, Result, WriteOp};
use serde_json::{Value, json};

use crate::adapter::BigCommerceAdapter;
use crate::client::path_id;
use crate::consignments;

/// BigCommerce's `shipping_provider` code of a carrier name, where it has one.
fn shipping_provider(carrier: &str) -> Option<&'static str> {
    let c = carrier.to_ascii_lowercase().replace([' ', '-', '_'], "");
    Some(match c.as_str() {
        "ups" => "ups",
        "usps" => "usps",
        "fedex" => "fedex",
        "auspost" | "australiapost" => "auspost",
        "royalmail" => "royalmail",
        "canadapost" => "canadapost",
        "dhl" | "dhlexpress" => "dhl",
        _ => return None,
    })
}

/// An exact decimal as a JSON number token (v3 takes numbers, never floats we made).
fn decimal_json(d: rust_decimal::Decimal) -> Value {
    serde_json::from_str(&d.normalize().to_string()).unwrap_or_else(|_| json!(d.to_string()))
}

impl BigCommerceAdapter {
    pub(crate) async fn update_product(&self, op: &WriteOp) -> Result<Record> {
        let WriteOp::UpdateProduct {
            product_id,
            variant_id,
            title,
            status,
            price,
            compare_at_price,
        } = op
        else {
            return Err(Error::invalid("not a product update"));
        };
        let pid = path_id(product_id)?;
        let mut body = serde_json::Map::new();
        if let Some(p) = price {
            body.insert("price".into(), decimal_json(*p));
        }
        if let Some(c) = compare_at_price {
            body.insert("retail_price".into(), decimal_json(*c));
        }
        match variant_id {
            Some(vid) => {
                if title.is_some() || status.is_some() {
                    return Err(Error::invalid(
                        "a variant has no title or status of its own; update the product",
                    ));
                }
                if body.is_empty() {
                    return Err(Error::invalid("nothing to update"));
                }
                let path = ApiPath::new("v3/catalog/products")
                    .num(pid)?
                    .lit("variants")
                    .num(vid)?;
                self.send_json(Method::PUT, &path, &Value::Object(body))
                    .await?;
            }
            None => {
                if let Some(t) = title {
                    body.insert("name".into(), json!(t));
                }
                match status {
                    Some(ProductStatus::Active) => {
                        body.insert("is_visible".into(), json!(true));
                        body.insert("availability".into(), json!("available"));
                    }
                    Some(ProductStatus::Draft) => {
                        body.insert("is_visible".into(), json!(false));
                    }
                    Some(ProductStatus::Archived) => {
                        body.insert("availability".into(), json!("disabled"));
                    }
                    None => {}
                }
                if body.is_empty() {
                    return Err(Error::invalid("nothing to update"));
                }
                self.send_json(
                    Method::PUT,
                    &ApiPath::new("v3/catalog/products").num(pid)?,
                    &Value::Object(body),
                )
                .await?;
            }
        }
        self.get_v3(Entity::Product, product_id).await
    }

    pub(crate) async fn set_inventory(&self, op: &WriteOp) -> Result<Record> {
        let WriteOp::SetInventory {
            product_id,
            variant_id,
            sku,
            location_id,
            change,
        } = op
        else {
            return Err(Error::invalid("not an inventory change"));
        };
        let location: u64 = match location_id {
            Some(l) => l
                .parse()
                .map_err(|_| Error::invalid(format!("location id {l:?} is not a number")))?,
            None => 1, // every store's default location
        };
        let mut item = serde_json::Map::new();
        item.insert("location_id".into(), json!(location));
        let key = if let Some(v) = variant_id {
            let v: u64 = v
                .parse()
                .map_err(|_| Error::invalid(format!("variant id {v:?} is not a number")))?;
            item.insert("variant_id".into(), json!(v));
            v.to_string()
        } else if let Some(s) = sku {
            // Read back through a `sku:in` filter, where a comma would name two SKUs.
            if polycart_kit::IdGrammar::Text.check(s)?.contains(',') {
                return Err(Error::invalid("a SKU with a comma cannot be looked up"));
            }
            item.insert("sku".into(), json!(s));
            String::new()
        } else if let Some(p) = product_id {
            let p: u64 = p
                .parse()
                .map_err(|_| Error::invalid(format!("product id {p:?} is not a number")))?;
            item.insert("product_id".into(), json!(p));
            format!("product-{p}")
        } else {
            return Err(Error::invalid(
                "set_inventory needs a variant_id, sku or product_id",
            ));
        };
        let (method, path, quantity) = match change {
            InventoryChange::Absolute(q) => (Method::PUT, "v3/inventory/adjustments/absolute", *q),
            InventoryChange::Delta(d) => (Method::POST, "v3/inventory/adjustments/relative", *d),
        };
        item.insert("quantity".into(), json!(quantity));
        let body = json!({ "reason": "polycart", "items": [Value::Object(item)] });
        self.send_json(method, &ApiPath::new(path), &body).await?;
        let key = if key.is_empty() {
            // Identified by SKU: find the item it names.
            let list = self
                .v3_list(
                    &ApiPath::new("v3/inventory/items"),
                    &[
                        ("sku:in", sku.clone().unwrap_or_default()),
                        ("location_id:in", location.to_string()),
                    ],
                )
                .await?;
            let records = self.map_v3(Entity::Inventory, &list.data).await?;
            return records
                .into_iter()
                .next()
                .ok_or_else(|| Error::not_found(format!("inventory of sku {sku:?}")));
        } else {
            format!("{key}:{location}")
        };
        self.get_v3(Entity::Inventory, &key).await
    }

    pub(crate) async fn create_shipment(&self, op: &WriteOp) -> Result<Record> {
        let WriteOp::CreateShipment {
            order_id,
            carrier,
            tracking_number,
            tracking_url,
            line_items,
            ..
        } = op
        else {
            return Err(Error::invalid("not a shipment"));
        };
        let oid = path_id(order_id)?;
        // One read brings the shipping addresses and the lines (consignments).
        let order = self.order_raw(oid).await?;
        let address_id = consignments::shipping_addresses(&order)
            .and_then(|a| a.first().and_then(|(_, a)| a.get("id").cloned()))
            .ok_or_else(|| {
                Error::invalid(format!(
                    "order {order_id} has no shipping address to ship to"
                ))
            })?;
        let items: Vec<Value> = if line_items.is_empty() {
            consignments::line_items(&order)
                .unwrap_or_default()
                .iter()
                .filter_map(|(_, p)| {
                    let qty = p.get("quantity").and_then(Value::as_i64)?;
                    let shipped = p
                        .get("quantity_shipped")
                        .and_then(Value::as_i64)
                        .unwrap_or(0);
                    (qty > shipped).then(
                        || json!({ "order_product_id": p.get("id"), "quantity": qty - shipped }),
                    )
                })
                .collect()
        } else {
            line_items
                .iter()
                .map(|l| {
                    let id: u64 = l.line_item_id.parse().map_err(|_| {
                        Error::invalid(format!("line item id {:?} is not a number", l.line_item_id))
                    })?;
                    Ok(json!({ "order_product_id": id, "quantity": l.quantity }))
                })
                .collect::<Result<_>>()?
        };
        if items.is_empty() {
            return Err(Error::invalid(format!(
                "order {order_id} has nothing left to ship"
            )));
        }
        let mut body = json!({ "order_address_id": address_id, "items": items });
        if let Some(t) = tracking_number {
            body["tracking_number"] = json!(t);
        }
        if let Some(url) = tracking_url {
            body["tracking_link"] = json!(url);
        }
        if let Some(c) = carrier {
            match shipping_provider(c) {
                Some(code) => body["shipping_provider"] = json!(code),
                None => body["tracking_carrier"] = json!(c),
            }
        }
        // Not idempotent and BigCommerce honours no idempotency key: never retried blindly.
        let path = ApiPath::new("v2/orders").num(oid)?.lit("shipments");
        self.send_json(Method::POST, &path, &body).await?;
        self.get_order(order_id).await
    }
}
