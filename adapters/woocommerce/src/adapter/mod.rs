//! The `Adapter` for one WooCommerce store: listing with restart-safe cursors,
//! variable products with their (paged) variations, orders with their refunds, counts
//! from `X-WP-Total`, and webhook verification; writes and webhook registration are in
//! `writes`.
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
use http::HeaderMap;
use polycart_kit::adapter::{EntityCapabilities, Precision};
use polycart_kit::decode::{Id, parse_datetime};
use polycart_kit::error::{Error, Result, decode_json, decode_json_borrowed};
use polycart_kit::model::{Entity, OrderStatus, Record};
use polycart_kit::{
    Adapter, ApiPath, Capabilities, Cursor, ListQuery, Page, WebhookEvent, Write, WriteCapabilities,
};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

mod writes;

pub use writes::{BatchResult, VariationUpdate};

use crate::client::Client;
use crate::mapping::{self, Context, PLATFORM};

/// The largest page wc/v3 serves.
pub const MAX_PAGE: u32 = 100;

/// What WooCommerce offers: orders, products and stock by modification time (orders
/// by status too), customers and categories only in full; no created-time filters;
/// no atomic stock deltas or order tags; webhooks for orders, products and customers.
pub(crate) fn capabilities() -> Capabilities {
    let modified = |e: Entity| {
        EntityCapabilities::basic(e, MAX_PAGE).incremental("modified_after", Precision::Second)
    };
    Capabilities {
        entities: vec![
            modified(Entity::Order).status_filter().webhooks(&[
                "order.created",
                "order.updated",
                "order.deleted",
                "order.restored",
            ]),
            modified(Entity::Product).webhooks(&[
                "product.created",
                "product.updated",
                "product.deleted",
                "product.restored",
            ]),
            EntityCapabilities::basic(Entity::Customer, MAX_PAGE).webhooks(&[
                "customer.created",
                "customer.updated",
                "customer.deleted",
            ]),
            EntityCapabilities::basic(Entity::Category, MAX_PAGE),
            // Stock is counted by paging every product (a variable product's is per
            // variation): no platform count.
            modified(Entity::Inventory).without_count(),
        ],
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
    }
}

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

impl WooAdapter {
    pub fn new(client: Client) -> Self {
        let capabilities = Capabilities {
            webhooks: client.cfg.webhook_secret.is_some(),
            ..capabilities()
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
                .list(
                    &ApiPath::new("products").num(product_id)?.lit("variations"),
                    &q,
                )
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
                &ApiPath::new("orders").num(order_id)?.lit("refunds"),
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

    fn route(entity: Entity) -> ApiPath {
        ApiPath::new(match entity {
            Entity::Order => "orders",
            Entity::Product | Entity::Inventory => "products",
            Entity::Customer => "customers",
            Entity::Category => "products/categories",
        })
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
        let list = self.client.list(&Self::route(q.entity), &query).await?;
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
        let list = self.client.list(&Self::route(q.entity), &query).await?;
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

    async fn get_record(&self, entity: Entity, id: &str) -> Result<Record> {
        let route = Self::route(entity).num(id)?;
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
        records
            .pop()
            .ok_or_else(|| Error::not_found(route.to_string()))
    }
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
        let id = polycart_kit::IdGrammar::Numeric.check(platform_id)?;
        self.get_record(entity, id).await
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
        let list = self.client.list(&Self::route(q.entity), &query).await?;
        list.total
            .ok_or_else(|| Error::decode("X-WP-Total", "the store sent no X-WP-Total header"))
    }

    async fn register_webhooks(
        &self,
        address: &url::Url,
        entities: &[Entity],
    ) -> Result<Vec<String>> {
        self.replace_webhooks(address, entities).await
    }

    async fn unregister_webhooks(&self, address: &url::Url) -> Result<usize> {
        self.remove_webhooks_to(address).await
    }

    async fn write(&self, w: &Write) -> Result<Record> {
        self.write_op(&w.checked(polycart_kit::adapter::numeric_ids)?)
            .await
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
