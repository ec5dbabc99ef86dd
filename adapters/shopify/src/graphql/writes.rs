//! The unified writes over the GraphQL Admin API (stores with `api = graphql`, the
//! path new public apps must take): `productUpdate`, `productVariantsBulkUpdate`,
//! `inventorySetQuantities` / `inventoryAdjustQuantities`, `orderClose`, `orderOpen`,
//! `orderCancel`, `orderUpdate`, `tagsAdd` and `fulfillmentCreate` from the order's
//! fulfillment orders. Absolute writes (updates, set, tags added) are retried like
//! reads; those Shopify would repeat (adjust, cancel, close, fulfillment) are never
//! retried after they may have reached it. `userErrors` are `Invalid` errors.
//! The record is read back afterwards, so the caller gets Shopify's truth.

use polycart_kit::adapter::{InventoryChange, WriteOp};
use polycart_kit::model::{Entity, OrderStatus, Record};
use polycart_kit::transport::Request;
use polycart_kit::{Adapter, Error, Result, Write};
use serde_json::{Value, json};

use crate::ShopifyAdapter;
use crate::fulfillment_plan::{self, Fo, FoLine, Take};
use crate::graphql::bulk::version_at_least;
use crate::mapping::{PLATFORM, legacy_id};
use crate::write_targets::merged_note;

use crate::ids::gid;

/// The messages of a payload's error lists, if any.
fn refusals(payload: &Value) -> Option<String> {
    let messages: Vec<String> = ["userErrors", "orderCancelUserErrors"]
        .iter()
        .filter_map(|k| payload[*k].as_array())
        .flatten()
        .map(|e| {
            let field = e["field"]
                .as_array()
                .map(|f| {
                    f.iter()
                        .filter_map(Value::as_str)
                        .collect::<Vec<_>>()
                        .join(".")
                })
                .filter(|f| !f.is_empty());
            let message = e["message"].as_str().unwrap_or("refused");
            match field {
                Some(f) => format!("{f}: {message}"),
                None => message.to_owned(),
            }
        })
        .collect();
    (!messages.is_empty()).then(|| messages.join("; "))
}

impl ShopifyAdapter {
    /// Runs one mutation; `repeatable`: whether sending it twice does no harm.
    async fn mutate(
        &self,
        field: &str,
        text: &str,
        variables: Value,
        repeatable: bool,
    ) -> Result<Value> {
        let transport = self
            .graphql
            .as_ref()
            .ok_or_else(|| Error::invalid("this store writes through REST"))?;
        // A mutation costs 10 and its payload's few objects.
        let request = Request::post(
            self.config
                .rest_url(&polycart_kit::ApiPath::new("graphql.json")),
        )
        .json(&json!({ "query": text, "variables": variables }))
        .idempotent(repeatable)
        .cost(15);
        let mut body: Value = transport.send(request).await?.json()?;
        crate::graphql::read::check_cost(&body, 15);
        let payload = body["data"][field].take();
        if payload.is_null() {
            return Err(Error::decode(format!("$.data.{field}"), "missing"));
        }
        match refusals(&payload) {
            Some(why) => Err(Error::invalid(format!("shopify refused {field}: {why}"))),
            None => Ok(payload),
        }
    }

    /// Performs one of the unified writes over the GraphQL Admin API.
    pub(crate) async fn write_graphql(&self, write: &Write) -> Result<Record> {
        match &write.op {
            WriteOp::UpdateProduct {
                product_id,
                variant_id,
                title,
                status,
                price,
                compare_at_price,
            } => {
                let product = gid("Product", product_id)?;
                if title.is_some() || status.is_some() {
                    let mut input = serde_json::Map::new();
                    input.insert("id".into(), json!(product));
                    if let Some(t) = title {
                        input.insert("title".into(), json!(t));
                    }
                    if let Some(s) = status {
                        input.insert("status".into(), json!(s.as_str().to_ascii_uppercase()));
                    }
                    // `product:` replaced `input:` in 2024-10.
                    let (arg, ty) = if version_at_least(&self.config.api_version, "2024-10") {
                        ("product", "ProductUpdateInput")
                    } else {
                        ("input", "ProductInput")
                    };
                    let text = format!(
                        "mutation($p: {ty}!) {{ productUpdate({arg}: $p) {{ product {{ id }} userErrors {{ field message }} }} }}"
                    );
                    self.mutate("productUpdate", &text, json!({ "p": input }), true)
                        .await?;
                }
                if price.is_some() || compare_at_price.is_some() {
                    let variant = gid(
                        "ProductVariant",
                        &self
                            .price_variant(product_id, variant_id.as_deref())
                            .await?,
                    )?;
                    let mut v = serde_json::Map::new();
                    v.insert("id".into(), json!(variant));
                    if let Some(p) = price {
                        v.insert("price".into(), json!(p.to_string()));
                    }
                    if let Some(c) = compare_at_price {
                        v.insert("compareAtPrice".into(), json!(c.to_string()));
                    }
                    let text = "mutation($p: ID!, $v: [ProductVariantsBulkInput!]!) { productVariantsBulkUpdate(productId: $p, variants: $v) { productVariants { id } userErrors { field message } } }";
                    self.mutate(
                        "productVariantsBulkUpdate",
                        text,
                        json!({ "p": product, "v": [v] }),
                        true,
                    )
                    .await?;
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
                    .graphql_inventory_item(variant_id.as_deref(), sku.as_deref())
                    .await?;
                let location = gid(
                    "Location",
                    &self.write_location(location_id.as_deref()).await?,
                )?;
                match change {
                    InventoryChange::Absolute(n) => {
                        // Compare-and-swap opted out: the caller's number is the truth.
                        let (quantity, ignore) = if version_at_least(
                            &self.config.api_version,
                            "2026-01",
                        ) {
                            (
                                json!({"inventoryItemId": item, "locationId": location, "quantity": n, "changeFromQuantity": null}),
                                json!(null),
                            )
                        } else {
                            (
                                json!({"inventoryItemId": item, "locationId": location, "quantity": n}),
                                json!(true),
                            )
                        };
                        let text = "mutation($i: InventorySetQuantitiesInput!) { inventorySetQuantities(input: $i) { inventoryAdjustmentGroup { id } userErrors { field message } } }";
                        let mut input = json!({"name": "available", "reason": "correction", "quantities": [quantity]});
                        if !ignore.is_null() {
                            input["ignoreCompareQuantity"] = ignore;
                        }
                        self.mutate("inventorySetQuantities", text, json!({ "i": input }), true)
                            .await?;
                    }
                    InventoryChange::Delta(n) => {
                        let text = "mutation($i: InventoryAdjustQuantitiesInput!) { inventoryAdjustQuantities(input: $i) { inventoryAdjustmentGroup { id } userErrors { field message } } }";
                        let input = json!({"name": "available", "reason": "correction", "changes": [{"inventoryItemId": item, "locationId": location, "delta": n}]});
                        // Applying a delta twice changes stock twice: never retried blindly.
                        self.mutate(
                            "inventoryAdjustQuantities",
                            text,
                            json!({ "i": input }),
                            false,
                        )
                        .await?;
                    }
                }
                let id = format!("{}:{}", legacy_id(&item), legacy_id(&location));
                self.get(Entity::Inventory, &id).await
            }
            WriteOp::UpdateOrderStatus {
                order_id, status, ..
            } => {
                let order = gid("Order", order_id)?;
                let (field, text, vars) = match status {
                    OrderStatus::Cancelled => (
                        "orderCancel",
                        "mutation($id: ID!) { orderCancel(orderId: $id, reason: OTHER, refund: false, restock: false) { job { id } orderCancelUserErrors { field message } } }",
                        json!({ "id": order }),
                    ),
                    OrderStatus::Completed => (
                        "orderClose",
                        "mutation($i: OrderCloseInput!) { orderClose(input: $i) { order { id } userErrors { field message } } }",
                        json!({ "i": { "id": order } }),
                    ),
                    OrderStatus::Processing | OrderStatus::Pending => (
                        "orderOpen",
                        "mutation($i: OrderOpenInput!) { orderOpen(input: $i) { order { id } userErrors { field message } } }",
                        json!({ "i": { "id": order } }),
                    ),
                    other => {
                        return Err(Error::unsupported(
                            PLATFORM,
                            format!("moving an order to {other}"),
                        ));
                    }
                };
                self.mutate(field, text, vars, false).await?;
                self.get(Entity::Order, order_id).await
            }
            WriteOp::AddOrderNote { order_id, note } => {
                let order = gid("Order", order_id)?;
                let data = self
                    .gql(
                        "query($id: ID!) { order(id: $id) { note } }",
                        json!({ "id": order }),
                        1,
                    )
                    .await?;
                let note = merged_note(data["order"]["note"].as_str(), note);
                let text = "mutation($i: OrderInput!) { orderUpdate(input: $i) { order { id } userErrors { field message } } }";
                self.mutate(
                    "orderUpdate",
                    text,
                    json!({ "i": { "id": order, "note": note } }),
                    true,
                )
                .await?;
                self.get(Entity::Order, order_id).await
            }
            WriteOp::AddOrderTags { order_id, tags } => {
                let text = "mutation($id: ID!, $tags: [String!]!) { tagsAdd(id: $id, tags: $tags) { node { id } userErrors { field message } } }";
                // Adding tags an order already has changes nothing: safe to repeat.
                self.mutate(
                    "tagsAdd",
                    text,
                    json!({ "id": gid("Order", order_id)?, "tags": tags }),
                    true,
                )
                .await?;
                self.get(Entity::Order, order_id).await
            }
            op @ WriteOp::CreateShipment { .. } => self.create_shipment_graphql(op).await,
        }
    }

    /// The inventory item GID of a variant (by id or by SKU).
    async fn graphql_inventory_item(
        &self,
        variant_id: Option<&str>,
        sku: Option<&str>,
    ) -> Result<String> {
        let items: Vec<Value> = match (variant_id, sku) {
            (Some(v), _) => {
                let data = self
                    .gql(
                        "query($id: ID!) { node(id: $id) { ... on ProductVariant { inventoryItem { id } } } }",
                        json!({ "id": gid("ProductVariant", v)? }),
                        2,
                    )
                    .await?;
                data["node"]["inventoryItem"]["id"]
                    .as_str()
                    .map(|i| vec![json!(i)])
                    .unwrap_or_default()
            }
            (None, Some(s)) => {
                let data = self
                    .gql(
                        "query($q: String!) { productVariants(first: 2, query: $q) { nodes { inventoryItem { id } } } }",
                        json!({ "q": format!("sku:{s}") }),
                        6,
                    )
                    .await?;
                data["productVariants"]["nodes"]
                    .as_array()
                    .map(|ns| {
                        ns.iter()
                            .map(|n| n["inventoryItem"]["id"].clone())
                            .collect()
                    })
                    .unwrap_or_default()
            }
            (None, None) => {
                return Err(Error::invalid(
                    "an inventory change needs a variant_id or sku",
                ));
            }
        };
        match items.as_slice() {
            [one] => one
                .as_str()
                .map(str::to_owned)
                .ok_or_else(|| Error::decode("$.data.inventoryItem.id", "missing")),
            [] => Err(Error::not_found(format!(
                "variant {}",
                variant_id.or(sku).unwrap_or("?")
            ))),
            _ => Err(Error::invalid(format!(
                "sku {} names several variants",
                sku.unwrap_or("?")
            ))),
        }
    }

    async fn create_shipment_graphql(&self, op: &WriteOp) -> Result<Record> {
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
        let query = "query($id: ID!) { order(id: $id) { fulfillmentOrders(first: 5) { nodes { id status lineItems(first: 50) { nodes { id remainingQuantity lineItem { id } } } } } } }";
        // order 1, fulfillment orders 2 + 5 × (1 + lines 2 + 50 × (1 + line item 1)).
        let data = self
            .gql(
                query,
                json!({ "id": gid("Order", order_id)? }),
                1 + 2 + 5 * 103,
            )
            .await?;
        let orders = data["order"]["fulfillmentOrders"]["nodes"]
            .as_array()
            .cloned()
            .ok_or_else(|| Error::not_found(format!("order {order_id}")))?;
        let fos: Vec<Fo> = orders
            .iter()
            .map(|fo| Fo {
                id: fo["id"].as_str().unwrap_or_default().to_owned(),
                open: matches!(fo["status"].as_str(), Some("OPEN" | "IN_PROGRESS")),
                lines: fo["lineItems"]["nodes"]
                    .as_array()
                    .map(|ls| {
                        ls.iter()
                            .map(|l| FoLine {
                                id: l["id"].as_str().unwrap_or_default().to_owned(),
                                line_item_id: l["lineItem"]["id"]
                                    .as_str()
                                    .unwrap_or_default()
                                    .to_owned(),
                                remaining: l["remainingQuantity"].as_u64().unwrap_or(0),
                            })
                            .collect()
                    })
                    .unwrap_or_default(),
            })
            .collect();
        let groups: Vec<Value> = fulfillment_plan::plan(order_id, &fos, line_items)?
            .into_iter()
            .map(|(fo, take)| match take {
                Take::All => json!({ "fulfillmentOrderId": fo }),
                Take::Lines(lines) => json!({
                    "fulfillmentOrderId": fo,
                    "fulfillmentOrderLineItems": lines
                        .iter()
                        .map(|(id, q)| json!({"id": id, "quantity": q}))
                        .collect::<Vec<_>>(),
                }),
            })
            .collect();
        let tracking = fulfillment_plan::tracking(
            carrier.as_deref(),
            tracking_number.as_deref(),
            tracking_url.as_deref(),
        );
        let input = json!({
            "lineItemsByFulfillmentOrder": groups,
            "trackingInfo": tracking,
            "notifyCustomer": notify_customer,
        });
        // `fulfillmentCreate` took over from `fulfillmentCreateV2` in 2025-04.
        let (field, ty) = if version_at_least(&self.config.api_version, "2025-04") {
            ("fulfillmentCreate", "FulfillmentInput")
        } else {
            ("fulfillmentCreateV2", "FulfillmentV2Input")
        };
        let text = format!(
            "mutation($f: {ty}!) {{ {field}(fulfillment: $f) {{ fulfillment {{ id }} userErrors {{ field message }} }} }}"
        );
        // Creating a fulfillment twice ships twice: never retried blindly.
        self.mutate(field, &text, json!({ "f": input }), false)
            .await?;
        self.get(Entity::Order, order_id).await
    }
}
