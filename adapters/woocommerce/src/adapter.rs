//! The `Adapter` for one WooCommerce store: listing with restart-safe cursors,
//! variable products with their (paged) variations, orders with their refunds, counts
//! from `X-WP-Total`, writes (price, stock, status, notes, shipments, batch
//! variation updates), and webhook verification and registration.
//!
//! Orders, products and inventory are listed by modification date
//! (`orderby=modified&order=asc&dates_are_gmt=true`, `modified_after` for incremental
//! reads) with a keyset cursor: the last second seen and the ids already returned in
//! it, so records modified while a sync pages through the store move behind the
//! cursor instead of shifting pages (no skips). Customers and categories have no
//! modification filter in wc/v3 and are paged by id.

use std::collections::HashSet;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use futures::{StreamExt, TryStreamExt};
use http::{HeaderMap, Method};
use polycart_kit::decode::{Id, parse_datetime};
use polycart_kit::error::{Error, Result, decode_json, decode_json_borrowed};
use polycart_kit::model::{Entity, OrderStatus, Record};
use polycart_kit::transport::Request;
use polycart_kit::{
    Adapter, Capabilities, Cursor, InventoryChange, ListQuery, Page, Secret, WebhookEvent, Write,
    WriteCapabilities, WriteOp,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use serde_json::value::RawValue;

use crate::client::Client;
use crate::mapping::{self, Context, PLATFORM};

/// The largest page wc/v3 serves.
pub const MAX_PAGE: u32 = 100;

/// Where a listing stands.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
struct Position {
    /// `modified_after` (GMT, whole seconds) of the keyset listings.
    #[serde(rename = "a", default, skip_serializing_if = "Option::is_none")]
    after: Option<String>,
    #[serde(rename = "p")]
    page: u32,
    /// Ids already returned at the boundary second.
    #[serde(rename = "s", default, skip_serializing_if = "Vec::is_empty")]
    seen: Vec<String>,
}

#[derive(Deserialize)]
struct Probe {
    id: Id,
    #[serde(default)]
    date_modified_gmt: Option<String>,
    #[serde(default, rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    refunds: Vec<serde::de::IgnoredAny>,
}

fn gmt(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S").to_string()
}

/// `modified_after` is exclusive and whole-second: ask for the second before the first
/// one that is not earlier than `since`.
fn after_for(since: DateTime<Utc>) -> String {
    let whole = since.timestamp() + i64::from(since.timestamp_subsec_nanos() > 0);
    gmt(DateTime::from_timestamp(whole - 1, 0).unwrap_or(since))
}

/// A WooCommerce store.
#[derive(Debug)]
pub struct WooAdapter {
    client: Client,
    capabilities: Capabilities,
}

/// One variation's new values for [`WooAdapter::update_variations`].
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

impl WooAdapter {
    pub fn new(client: Client) -> Self {
        let capabilities = Capabilities {
            entities: Entity::ALL.to_vec(),
            updated_since: true,
            created_since: false,
            status_filter: true,
            count: true,
            max_page_size: MAX_PAGE,
            bulk_export: false,
            writes: WriteCapabilities {
                product_price: true,
                product_title: true,
                product_status: true,
                inventory_set: true,
                inventory_adjust: false,
                order_status: true,
                order_note: true,
                order_tags: false,
                shipment_create: true,
            },
            webhooks: true,
            webhook_registration: true,
        };
        Self {
            client,
            capabilities,
        }
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    async fn variations(&self, product_id: &str) -> Result<Vec<Box<RawValue>>> {
        let per_page = self.client.cfg.variations_page_size;
        let mut out = Vec::new();
        let mut page = 1u64;
        loop {
            let q = [
                ("per_page", per_page.to_string()),
                ("page", page.to_string()),
                ("orderby", "id".into()),
                ("order", "asc".into()),
            ];
            let list = self
                .client
                .list(&format!("products/{product_id}/variations"), &q)
                .await?;
            let items = list.items()?;
            let n = items.len();
            out.extend(items.into_iter().map(|r| r.to_owned()));
            let more = match list.total_pages {
                Some(pages) => page < pages,
                None => n == per_page as usize,
            };
            if !more || n == 0 {
                return Ok(out);
            }
            page += 1;
        }
    }

    async fn refunds(&self, order_id: &str) -> Result<Vec<Box<RawValue>>> {
        let text = self
            .client
            .get_json(
                &format!("orders/{order_id}/refunds"),
                &[("per_page", "100".into())],
            )
            .await?;
        let items: Vec<Box<RawValue>> = decode_json(&text)?;
        Ok(items)
    }

    async fn map_order(&self, raw: &RawValue, probe: &Probe) -> Result<Record> {
        if self.client.cfg.fetch_refunds && !probe.refunds.is_empty() {
            let refunds = self.refunds(&probe.id.0).await?;
            let refs: Vec<&RawValue> = refunds.iter().map(|r| r.as_ref()).collect();
            return Ok(mapping::order(raw, Some(&refs))?.into());
        }
        Ok(mapping::order(raw, None)?.into())
    }

    async fn map_product(&self, raw: &RawValue, probe: &Probe, ctx: &Context) -> Result<Record> {
        let variations = if probe.kind.as_deref() == Some("variable") {
            self.variations(&probe.id.0).await?
        } else {
            Vec::new()
        };
        let refs: Vec<&RawValue> = variations.iter().map(|r| r.as_ref()).collect();
        Ok(mapping::product(raw, &refs, ctx)?.into())
    }

    async fn map_inventory(&self, raw: &RawValue, probe: &Probe) -> Result<Vec<Record>> {
        if probe.kind.as_deref() == Some("variable") {
            let variations = self.variations(&probe.id.0).await?;
            return variations
                .iter()
                .map(|v| Ok(mapping::inventory(v, Some(&probe.id.0))?.into()))
                .collect();
        }
        Ok(vec![mapping::inventory(raw, None)?.into()])
    }

    /// Maps a page of raw items, fetching what each needs (variations, refunds) a few
    /// at a time; the governor paces the requests.
    async fn map_items(
        &self,
        entity: Entity,
        items: Vec<(&RawValue, Probe)>,
    ) -> Result<Vec<Record>> {
        let ctx = match entity {
            Entity::Product | Entity::Customer => self.client.context().await?,
            _ => Context::default(),
        };
        let mut futures = Vec::with_capacity(items.len());
        for (i, (raw, probe)) in items.into_iter().enumerate() {
            futures.push(self.map_one(entity, i, raw, probe, &ctx));
        }
        let mapped: Vec<Vec<Record>> = futures::stream::iter(futures)
            .buffered(4)
            .try_collect()
            .await?;
        Ok(mapped.into_iter().flatten().collect())
    }

    async fn map_one(
        &self,
        entity: Entity,
        i: usize,
        raw: &RawValue,
        probe: Probe,
        ctx: &Context,
    ) -> Result<Vec<Record>> {
        let r = match entity {
            Entity::Order => self.map_order(raw, &probe).await.map(|r| vec![r]),
            Entity::Product => self.map_product(raw, &probe, ctx).await.map(|r| vec![r]),
            Entity::Inventory => self.map_inventory(raw, &probe).await,
            Entity::Customer => mapping::customer(raw, ctx).map(|c| vec![c.into()]),
            Entity::Category => mapping::category(raw).map(|c| vec![c.into()]),
        };
        r.map_err(|e| polycart_kit::decode::at_index(e, i, true))
    }

    fn route(entity: Entity) -> &'static str {
        match entity {
            Entity::Order => "orders",
            Entity::Product | Entity::Inventory => "products",
            Entity::Customer => "customers",
            Entity::Category => "products/categories",
        }
    }

    fn status_filter(q: &ListQuery) -> Result<Option<String>> {
        let Some(s) = q.status.as_deref() else {
            return Ok(None);
        };
        if q.entity != Entity::Order {
            return Err(Error::unsupported(
                PLATFORM,
                format!("status filter on {}s", q.entity),
            ));
        }
        let status = OrderStatus::parse(s)
            .ok_or_else(|| Error::invalid(format!("unknown order status {s:?}")))?;
        Ok(Some(match status {
            OrderStatus::Pending => "pending,checkout-draft".to_owned(),
            other => mapping::wc_order_status(other).to_owned(),
        }))
    }

    async fn list_keyset(&self, q: &ListQuery, pos: Position) -> Result<Page> {
        let per_page = q.page_size_or(MAX_PAGE);
        let after = pos.after.clone().or_else(|| q.updated_since.map(after_for));
        let mut query = vec![
            ("orderby", "modified".to_owned()),
            ("order", "asc".to_owned()),
            ("dates_are_gmt", "true".to_owned()),
            ("per_page", per_page.to_string()),
            ("page", pos.page.max(1).to_string()),
        ];
        if let Some(a) = &after {
            query.push(("modified_after", a.clone()));
        }
        if let Some(s) = Self::status_filter(q)? {
            query.push(("status", s));
        }
        let list = self.client.list(Self::route(q.entity), &query).await?;
        let raw = list.items()?;
        let n = raw.len();
        let mut probes = Vec::with_capacity(n);
        for (i, r) in raw.iter().enumerate() {
            let p: Probe =
                decode_json(r.get()).map_err(|e| polycart_kit::decode::at_index(e, i, true))?;
            probes.push(p);
        }
        let modified: Vec<Option<i64>> = probes
            .iter()
            .map(|p| {
                p.date_modified_gmt
                    .as_deref()
                    .and_then(parse_datetime)
                    .map(|d| d.timestamp())
            })
            .collect();
        let seen: HashSet<&str> = pos.seen.iter().map(String::as_str).collect();
        let next = if n < per_page as usize {
            None
        } else {
            let max = modified.iter().flatten().max().copied();
            let after_ts = after
                .as_deref()
                .and_then(parse_datetime)
                .map(|d| d.timestamp());
            match max {
                // Every record of the page is in one second we already stand before
                // (more than a page changed in one second): page on within that second.
                // The boundary ids stay filtered; the page number covers the rest, so
                // the cursor stays small. (A record of that second modified meanwhile
                // shifts the pages by one: the one case this cursor can skip a record.)
                Some(m) if modified.iter().all(|x| *x == Some(m)) && after_ts == Some(m - 1) => {
                    Some(Position {
                        after: after.clone(),
                        page: pos.page.max(1) + 1,
                        seen: pos.seen.clone(),
                    })
                }
                Some(m) => {
                    let boundary = probes
                        .iter()
                        .zip(&modified)
                        .filter(|(_, x)| **x == Some(m))
                        .map(|(p, _)| p.id.0.clone())
                        .collect();
                    let a = DateTime::from_timestamp(m - 1, 0).map(gmt);
                    Some(Position {
                        after: a,
                        page: 1,
                        seen: boundary,
                    })
                }
                None => Some(Position {
                    after: after.clone(),
                    page: pos.page.max(1) + 1,
                    seen: pos.seen.clone(),
                }),
            }
        };
        let items: Vec<(&RawValue, Probe)> = raw
            .into_iter()
            .zip(probes)
            .filter(|(_, p)| !seen.contains(p.id.0.as_str()))
            .collect();
        let records = self.map_items(q.entity, items).await?;
        Ok(Page {
            records,
            next: next.map(|p| Cursor::encode(&p)),
        })
    }

    async fn list_paged(&self, q: &ListQuery, pos: Position) -> Result<Page> {
        let per_page = q.page_size_or(MAX_PAGE);
        let page = pos.page.max(1);
        let query = [
            ("orderby", "id".to_owned()),
            ("order", "asc".to_owned()),
            ("per_page", per_page.to_string()),
            ("page", page.to_string()),
        ];
        let list = self.client.list(Self::route(q.entity), &query).await?;
        let raw = list.items()?;
        let n = raw.len();
        let more = match list.total_pages {
            Some(pages) => u64::from(page) < pages,
            None => n == per_page as usize,
        };
        let items: Vec<(&RawValue, Probe)> = raw
            .into_iter()
            .enumerate()
            .map(|(i, r)| {
                decode_json::<Probe>(r.get())
                    .map(|p| (r, p))
                    .map_err(|e| polycart_kit::decode::at_index(e, i, true))
            })
            .collect::<Result<_>>()?;
        let mut records = self.map_items(q.entity, items).await?;
        // wc/v3 cannot filter customers by modification date: filter here.
        if let Some(since) = q.updated_since {
            records.retain(|r| r.updated_at().is_none_or(|u| u >= since));
        }
        let next = (more && n > 0).then(|| {
            Cursor::encode(&Position {
                after: None,
                page: page + 1,
                seen: Vec::new(),
            })
        });
        Ok(Page { records, next })
    }

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
                    &format!("products/{product_id}/variations/batch"),
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
            .write_json(Method::POST, "webhooks", &body)
            .await?;
        #[derive(Deserialize)]
        struct Created {
            id: Id,
        }
        Ok(decode_json::<Created>(&text)?.id.0)
    }

    /// Deletes a webhook (webhooks cannot be trashed: `force=true`).
    pub async fn delete_webhook(&self, id: &str) -> Result<()> {
        let url = self
            .client
            .url(&format!("webhooks/{id}"), &[("force", "true".into())])
            .await?;
        self.client
            .send_json(Request::new(Method::DELETE, url))
            .await?;
        Ok(())
    }

    async fn get_record(&self, entity: Entity, id: &str) -> Result<Record> {
        let route = format!("{}/{id}", Self::route(entity));
        let text = self.client.get_json(&route, &[]).await?;
        let raw: &RawValue = decode_json_borrowed(&text)?;
        let probe: Probe = decode_json(raw.get())?;
        let mut records = self.map_items(entity, vec![(raw, probe)]).await?;
        if entity == Entity::Inventory {
            return records
                .into_iter()
                .find(|r| r.platform_id() == id)
                .ok_or_else(|| {
                    Error::not_found(format!(
                        "inventory {id} (a variable product's stock is per variation)"
                    ))
                });
        }
        records.pop().ok_or_else(|| Error::not_found(route))
    }

    async fn add_note(&self, order_id: &str, note: &str, customer_note: bool) -> Result<()> {
        self.client
            .write_json(
                Method::POST,
                &format!("orders/{order_id}/notes"),
                &json!({"note": note, "customer_note": customer_note}),
            )
            .await?;
        Ok(())
    }
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

#[async_trait]
impl Adapter for WooAdapter {
    fn platform(&self) -> &'static str {
        PLATFORM
    }

    fn capabilities(&self) -> &Capabilities {
        &self.capabilities
    }

    async fn list(&self, q: &ListQuery) -> Result<Page> {
        if q.created_since.is_some() {
            return Err(Error::unsupported(PLATFORM, "created_since"));
        }
        let pos = match &q.cursor {
            Some(c) => c.decode::<Position>()?,
            None => Position {
                after: None,
                page: 1,
                seen: Vec::new(),
            },
        };
        match q.entity {
            Entity::Order | Entity::Product | Entity::Inventory => self.list_keyset(q, pos).await,
            Entity::Customer | Entity::Category => {
                if q.status.is_some() {
                    return Err(Error::unsupported(
                        PLATFORM,
                        format!("status filter on {}s", q.entity),
                    ));
                }
                self.list_paged(q, pos).await
            }
        }
    }

    async fn get(&self, entity: Entity, platform_id: &str) -> Result<Record> {
        if platform_id.is_empty() || !platform_id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Error::invalid(format!(
                "woocommerce ids are numbers, not {platform_id:?}"
            )));
        }
        self.get_record(entity, platform_id).await
    }

    async fn count(&self, q: &ListQuery) -> Result<u64> {
        let client_side = q.entity == Entity::Inventory
            || (q.entity == Entity::Customer && q.updated_since.is_some());
        if client_side {
            let all = polycart_kit::walk::collect_all(
                self,
                ListQuery {
                    cursor: None,
                    ..q.clone()
                },
            )
            .await?;
            return Ok(all.len() as u64);
        }
        let mut query = vec![("per_page", "1".to_owned())];
        if matches!(q.entity, Entity::Order | Entity::Product) {
            if let Some(since) = q.updated_since {
                query.push(("modified_after", after_for(since)));
                query.push(("dates_are_gmt", "true".into()));
            }
        }
        if let Some(s) = Self::status_filter(q)? {
            query.push(("status", s));
        }
        let list = self.client.list(Self::route(q.entity), &query).await?;
        list.total
            .ok_or_else(|| Error::decode("X-WP-Total", "the store sent no X-WP-Total header"))
    }

    async fn write(&self, w: &Write) -> Result<Record> {
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
                            .write_json(
                                Method::PUT,
                                &format!("products/{product_id}/variations/{v}"),
                                &body,
                            )
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
                            .write_json(Method::PUT, &format!("products/{product_id}"), &body)
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
                            .write_json(
                                Method::PUT,
                                &format!("products/{product_id}/variations/{v}"),
                                &body,
                            )
                            .await?;
                        mapping::inventory(
                            decode_json_borrowed::<&RawValue>(&text)?,
                            Some(product_id),
                        )?
                    }
                    None => {
                        let text = self
                            .client
                            .write_json(Method::PUT, &format!("products/{product_id}"), &body)
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
                        &format!("orders/{order_id}"),
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
                        .namespaced_url(
                            &format!(
                                "wc-shipment-tracking/v3/orders/{order_id}/shipment-trackings"
                            ),
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

    fn verify_webhook(&self, headers: &HeaderMap, body: &[u8]) -> Result<WebhookEvent> {
        crate::webhooks::verify(
            self.client.cfg.webhook_secret.as_ref(),
            headers,
            body,
            &self.client.cached_context(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    #[test]
    fn after_is_the_second_before_since() {
        let t = DateTime::parse_from_rfc3339("2025-01-01T00:00:10Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(after_for(t), "2025-01-01T00:00:09");
        assert_eq!(
            after_for(t + Duration::milliseconds(500)),
            "2025-01-01T00:00:10"
        );
    }

    #[test]
    fn cursor_round_trips() {
        let p = Position {
            after: Some("2025-01-01T00:00:09".into()),
            page: 1,
            seen: vec!["7".into()],
        };
        assert_eq!(Cursor::encode(&p).decode::<Position>().unwrap(), p);
    }
}
