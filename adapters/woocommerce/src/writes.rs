//! Writes to a WooCommerce store: product title, status and price (`regular_price`/
//! `sale_price`), stock (absolute; WooCommerce has no atomic delta), order status and
//! notes, shipments (an order note, plus the Shipment Tracking extension's item when the
//! site has it), many variations at once through the batch endpoint, and webhook
//! registration. Each write re-reads the record so the caller holds the store's truth.

use http::Method;
use polycart_kit::decode::Id;
use polycart_kit::error::{Error, Result, decode_json, decode_json_borrowed};
use polycart_kit::model::{Entity, Record};
use polycart_kit::transport::Request;
use polycart_kit::{ApiPath, InventoryChange, Secret, Write, WriteOp};
use serde::Deserialize;
use serde_json::json;
use serde_json::value::RawValue;

use crate::PLATFORM;
use crate::adapter::WooCommerceAdapter;
use crate::mapping;

/// One variation's new values for [`WooCommerceAdapter::update_variations`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct VariationUpdate {
    pub variation_id: String,
    pub regular_price: Option<rust_decimal::Decimal>,
    /// `Some(None)` removes the sale price.
    pub sale_price: Option<Option<rust_decimal::Decimal>>,
    pub stock_quantity: Option<i64>,
}

/// The outcome of one item of a batch.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchResult {
    pub id: String,
    pub error: Option<String>,
}

impl WooCommerceAdapter {
    /// Updates many variations of one product through the batch endpoint (100 a request).
    pub async fn update_variations(
        &self,
        product_id: &str,
        updates: &[VariationUpdate],
    ) -> Result<Vec<BatchResult>> {
        let mut out = Vec::with_capacity(updates.len());
        for chunk in updates.chunks(100) {
            let update: Vec<serde_json::Value> = chunk.iter().map(variation_body).collect();
            let text = self
                .client
                .write_json(
                    Method::POST,
                    &ApiPath::new("products")
                        .num(product_id)?
                        .lit("variations/batch"),
                    &json!({ "update": update }),
                )
                .await?;
            #[derive(Deserialize)]
            struct Item {
                id: Option<Id>,
                #[serde(default)]
                error: Option<serde_json::Value>,
            }
            #[derive(Deserialize)]
            struct Batch {
                #[serde(default)]
                update: Vec<Item>,
            }
            let batch: Batch = decode_json(&text)?;
            for (i, item) in batch.update.into_iter().enumerate() {
                out.push(BatchResult {
                    id: item.id.map(|i| i.0).unwrap_or_else(|| {
                        chunk
                            .get(i)
                            .map(|u| u.variation_id.clone())
                            .unwrap_or_default()
                    }),
                    error: item.error.map(|e| {
                        e.get("message")
                            .and_then(|m| m.as_str())
                            .unwrap_or("failed")
                            .to_owned()
                    }),
                });
            }
        }
        Ok(out)
    }

    /// Creates a webhook for `topic` (`order.updated`) delivered to `delivery_url` and
    /// signed with `secret`; returns its id.
    pub async fn create_webhook(
        &self,
        topic: &str,
        delivery_url: &str,
        secret: &Secret,
    ) -> Result<String> {
        let body = json!({"name": format!("polycart {topic}"), "topic": topic, "delivery_url": delivery_url,
                          "secret": secret.expose(), "status": "active"});
        let text = self
            .client
            .write_json(Method::POST, &ApiPath::new("webhooks"), &body)
            .await?;
        #[derive(Deserialize)]
        struct Created {
            id: Id,
        }
        Ok(decode_json::<Created>(&text)?.id.0)
    }

    /// Subscribes `address` to the topics of `entities`, signed with the store's
    /// `webhook_secret` (WooCommerce signs every delivery with the secret a webhook is
    /// created with), after removing our earlier webhooks to it; returns the topics.
    pub(crate) async fn replace_webhooks(
        &self,
        address: &url::Url,
        entities: &[Entity],
    ) -> Result<Vec<String>> {
        let secret = self.client.cfg.webhook_secret.clone().ok_or_else(|| {
            Error::invalid(
                "registering WooCommerce webhooks needs the webhook_secret credential, which signs them",
            )
        })?;
        self.remove_webhooks_to(address).await?;
        let capabilities = crate::adapter::capabilities();
        let topics = capabilities.webhook_topics(entities);
        for topic in &topics {
            self.create_webhook(topic, address.as_str(), &secret)
                .await?;
        }
        Ok(topics.into_iter().map(str::to_owned).collect())
    }

    /// Deletes every webhook delivering to `address`; returns how many.
    pub(crate) async fn remove_webhooks_to(&self, address: &url::Url) -> Result<usize> {
        #[derive(Deserialize)]
        struct Hook {
            id: Id,
            #[serde(default)]
            delivery_url: String,
        }
        let mut ours = Vec::new();
        for page in 1u32.. {
            let list = self
                .client
                .list(
                    &ApiPath::new("webhooks"),
                    &[("per_page", "100".into()), ("page", page.to_string())],
                )
                .await?;
            let hooks: Vec<Hook> = decode_json(&list.text)?;
            let n = hooks.len();
            ours.extend(
                hooks
                    .into_iter()
                    .filter(|h| h.delivery_url == address.as_str())
                    .map(|h| h.id.0),
            );
            let more = list
                .total_pages
                .map_or(n == 100, |pages| u64::from(page) < pages);
            if !more || n == 0 {
                break;
            }
        }
        for id in &ours {
            self.delete_webhook(id).await?;
        }
        Ok(ours.len())
    }

    /// Deletes a webhook (webhooks cannot be trashed: `force=true`).
    pub async fn delete_webhook(&self, id: &str) -> Result<()> {
        let url = self
            .client
            .url(
                &ApiPath::new("webhooks").num(id)?,
                &[("force", "true".into())],
            )
            .await?;
        self.client
            .send_json(Request::new(Method::DELETE, url))
            .await?;
        Ok(())
    }

    async fn add_note(&self, order_id: &str, note: &str, customer_note: bool) -> Result<()> {
        self.client
            .write_json(
                Method::POST,
                &ApiPath::new("orders").num(order_id)?.lit("notes"),
                &json!({"note": note, "customer_note": customer_note}),
            )
            .await?;
        Ok(())
    }

    /// Performs one of the unified writes.
    pub(crate) async fn write_op(&self, w: &Write) -> Result<Record> {
        match &w.op {
            WriteOp::UpdateProduct {
                product_id,
                variant_id,
                title,
                status,
                price,
                compare_at_price,
            } => {
                let mut body = json!({});
                if let Some(p) = price {
                    match compare_at_price {
                        Some(c) if c > p => {
                            body["regular_price"] = json!(c.to_string());
                            body["sale_price"] = json!(p.to_string());
                        }
                        _ => {
                            body["regular_price"] = json!(p.to_string());
                            body["sale_price"] = json!("");
                        }
                    }
                }
                match variant_id {
                    Some(v) => {
                        if title.is_some() || status.is_some() {
                            return Err(Error::invalid(
                                "a variation has no title or status of its own",
                            ));
                        }
                        self.client
                            .write_json(Method::PUT, &variation_path(product_id, v)?, &body)
                            .await?;
                    }
                    None => {
                        if let Some(t) = title {
                            body["name"] = json!(t);
                        }
                        if let Some(s) = status {
                            body["status"] = json!(mapping::wc_product_status(*s));
                        }
                        self.client
                            .write_json(Method::PUT, &product_path(product_id)?, &body)
                            .await?;
                    }
                }
                self.get_record(Entity::Product, product_id).await
            }
            WriteOp::SetInventory {
                product_id,
                variant_id,
                change,
                ..
            } => {
                let InventoryChange::Absolute(n) = change else {
                    return Err(Error::unsupported(
                        PLATFORM,
                        "relative stock changes (WooCommerce sets absolute stock)",
                    ));
                };
                let product_id = product_id
                    .as_deref()
                    .ok_or_else(|| Error::invalid("woocommerce stock updates need product_id (and variant_id for a variation)"))?;
                let body = json!({"manage_stock": true, "stock_quantity": n});
                let level = match variant_id {
                    Some(v) => {
                        let text = self
                            .client
                            .write_json(Method::PUT, &variation_path(product_id, v)?, &body)
                            .await?;
                        mapping::inventory(
                            decode_json_borrowed::<&RawValue>(&text)?,
                            Some(product_id),
                        )?
                    }
                    None => {
                        let text = self
                            .client
                            .write_json(Method::PUT, &product_path(product_id)?, &body)
                            .await?;
                        mapping::inventory(decode_json_borrowed::<&RawValue>(&text)?, None)?
                    }
                };
                Ok(level.into())
            }
            WriteOp::UpdateOrderStatus {
                order_id,
                status,
                note,
            } => {
                self.client
                    .write_json(
                        Method::PUT,
                        &ApiPath::new("orders").num(order_id)?,
                        &json!({"status": mapping::wc_order_status(*status)}),
                    )
                    .await?;
                if let Some(n) = note {
                    self.add_note(order_id, n, false).await?;
                }
                self.get_record(Entity::Order, order_id).await
            }
            WriteOp::AddOrderNote { order_id, note } => {
                self.add_note(order_id, note, false).await?;
                self.get_record(Entity::Order, order_id).await
            }
            WriteOp::AddOrderTags { .. } => Err(Error::unsupported(PLATFORM, "order tags")),
            WriteOp::CreateShipment {
                order_id,
                carrier,
                tracking_number,
                tracking_url,
                line_items,
                notify_customer,
            } => {
                if !line_items.is_empty() {
                    return Err(Error::unsupported(
                        PLATFORM,
                        "shipments of some line items (WooCommerce ships whole orders)",
                    ));
                }
                if self.client.has_tracking().await? {
                    let number = tracking_number.as_deref().ok_or_else(|| {
                        Error::invalid("the Shipment Tracking extension needs a tracking number")
                    })?;
                    let body = json!({
                        "custom_tracking_provider": carrier.clone().unwrap_or_default(),
                        "tracking_number": number,
                        "custom_tracking_link": tracking_url.clone().unwrap_or_default(),
                    });
                    let url = self
                        .client
                        .url_in(
                            "wc-shipment-tracking/v3",
                            &ApiPath::new("orders")
                                .num(order_id)?
                                .lit("shipment-trackings"),
                            &[],
                        )
                        .await?;
                    self.client
                        .send_json(Request::post(url).json(&body))
                        .await?;
                }
                let mut note = String::from("Shipped");
                if let Some(c) = carrier {
                    note.push_str(&format!(" with {c}"));
                }
                if let Some(t) = tracking_number {
                    note.push_str(&format!(", tracking number {t}"));
                }
                if let Some(u) = tracking_url {
                    note.push_str(&format!(" ({u})"));
                }
                self.add_note(order_id, &note, *notify_customer).await?;
                self.get_record(Entity::Order, order_id).await
            }
        }
    }
}

/// `products/{id}`.
fn product_path(product_id: &str) -> Result<ApiPath> {
    ApiPath::new("products").num(product_id)
}

/// `products/{id}/variations/{variation}`.
fn variation_path(product_id: &str, variation_id: &str) -> Result<ApiPath> {
    product_path(product_id)?
        .lit("variations")
        .num(variation_id)
}

fn variation_body(u: &VariationUpdate) -> serde_json::Value {
    // WooCommerce's batch schema types `id` as an integer.
    let mut v = match u.variation_id.parse::<u64>() {
        Ok(n) => json!({ "id": n }),
        Err(_) => json!({ "id": u.variation_id }),
    };
    if let Some(p) = u.regular_price {
        v["regular_price"] = json!(p.to_string());
    }
    if let Some(s) = &u.sale_price {
        v["sale_price"] = json!(s.map(|d| d.to_string()).unwrap_or_default());
    }
    if let Some(q) = u.stock_quantity {
        v["manage_stock"] = json!(true);
        v["stock_quantity"] = json!(q);
    }
    v
}
