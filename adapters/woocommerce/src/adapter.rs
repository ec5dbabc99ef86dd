//! The `Adapter` for one WooCommerce store: listing with restart-safe cursors,
//! variable products with their (paged) variations, orders with their refunds, counts
//! from `X-WP-Total`, and webhook verification; writes and webhook registration are in
//! `writes`.
//!
//! Orders, products and inventory are listed by modification date with the kit's
//! keyset ([`KEYSET`]): oldest change first (`orderby=modified&order=asc`,
//! `dates_are_gmt=true`) from `modified_after`, the ids of the boundary second already
//! returned left out with `exclude`, and a second holding more than a page read on its
//! own (`modified_after`/`modified_before` around it, `orderby=id`) by `offset`
//! windows checked to hold the last record returned. A record modified while a sync
//! pages through the store moves ahead of the cursor; it never shifts a page. Customers
//! and categories have no modification filter in wc/v3 and are paged by id.

use async_trait::async_trait;
use futures::{StreamExt, TryStreamExt};
use http::HeaderMap;
use polycart_kit::adapter::{EntityCapabilities, Precision};
use polycart_kit::decode::{Id, parse_datetime};
use polycart_kit::error::{Error, Result, decode_json, decode_json_borrowed};
use polycart_kit::model::{Entity, OrderStatus, Record};
use polycart_kit::paging::{
    Bound, DateFormat, Key, KeyFields, Keyset, PageNumber, PageView, Position, Resume, Since,
    TieBreak, Total, WindowBy,
};
use polycart_kit::{
    Adapter, ApiPath, Capabilities, Cursor, ListQuery, Page, WebhookEvent, Write, WriteCapabilities,
};
use serde::Deserialize;
use serde_json::value::RawValue;
use std::sync::Arc;

use polycart_kit::StoreConfig;
use polycart_kit::connector::AdapterContext;

use crate::PLATFORM;
use crate::client::Client;
use crate::config::WooCommerceConfig;
use crate::mapping;
use polycart_kit::StoreContext;

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
            shipment_platform_tracking: false,
        },
        webhooks: true,
        webhook_registration: true,
    }
}

/// Orders, products and inventory: wc/v3's post listings by modification date.
const KEYSET: Keyset = Keyset {
    since: Bound::Exclusive("modified_after"),
    until: Bound::Exclusive("modified_before"),
    format: DateFormat::NaiveUtc,
    sort: &[("orderby", "modified"), ("order", "asc")],
    limit: "per_page",
    exclude: Some("exclude"),
    tie: TieBreak::Window {
        by: WindowBy::Offset("offset"),
        sort: &[("orderby", "id"), ("order", "asc")],
    },
    keys: KeyFields {
        id: "id",
        modified: "date_modified_gmt",
    },
};

/// `modified_after` of a query's `updated_since` (GMT, `dates_are_gmt=true`).
const SINCE: Since = Since {
    bound: Bound::Exclusive("modified_after"),
    format: DateFormat::NaiveUtc,
};

/// Customers and categories: by id, page by page (`X-WP-TotalPages`).
const PAGED: PageNumber = PageNumber {
    page: "page",
    size: "per_page",
    total_pages: Some(Total::Header("x-wp-totalpages")),
};

/// The cursor this adapter wrote before the kit's keyset: `modified_after` (the
/// second before the boundary), a page number within it, and the ids returned in it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct OldPosition {
    #[serde(rename = "a", default)]
    after: Option<String>,
    #[serde(rename = "p", default)]
    page: u32,
    #[serde(rename = "s", default)]
    seen: Vec<String>,
}

/// Reads this adapter's older keyset cursors: the second before a boundary with a page
/// number within it (dropped: the second is read again from its start, the ids
/// returned left out), or a page of the listing from `updated_since`.
fn older(c: &Cursor) -> Result<Resume> {
    let old: OldPosition = c.decode()?;
    Ok(match old.after.as_deref().map(parse_datetime) {
        Some(Some(after)) => Resume::At(Some(Position::open(after.timestamp() + 1, old.seen))),
        Some(None) => {
            return Err(Error::invalid(format!(
                "unrecognised cursor {:?}",
                polycart_kit::error::excerpt(c.as_str(), 60)
            )));
        }
        None if old.page > 1 => Resume::Page(old.page),
        None => Resume::At(None),
    })
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

/// The probe of each listed item, errors naming the item (`$[3].id`).
fn probes(raw: &[&RawValue]) -> Result<Vec<Probe>> {
    raw.iter()
        .enumerate()
        .map(|(i, r)| decode_json(r.get()).map_err(|e| polycart_kit::decode::at_index(e, i, true)))
        .collect()
}

/// A WooCommerce store.
#[derive(Debug)]
pub struct WooCommerceAdapter {
    pub(crate) client: Client,
    pub(crate) capabilities: Capabilities,
}

impl WooCommerceAdapter {
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

    async fn map_product(
        &self,
        raw: &RawValue,
        probe: &Probe,
        ctx: &StoreContext,
    ) -> Result<Record> {
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
            _ => StoreContext::default(),
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
        ctx: &StoreContext,
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

    async fn list_keyset(&self, q: &ListQuery) -> Result<Page> {
        let per_page = q.page_size_or(MAX_PAGE);
        let resume = Resume::read(q.cursor.as_ref(), older)?;
        let at = resume.position();
        let paging = KEYSET.request(q.updated_since, at, per_page, MAX_PAGE);
        let mut query: Vec<(&str, String)> = vec![("dates_are_gmt", "true".to_owned())];
        query.extend(paging.query.iter().map(|(k, v)| (k.as_str(), v.clone())));
        if let Resume::Page(page) = resume {
            query.push(("page", page.to_string()));
        }
        if let Some(s) = Self::status_filter(q)? {
            query.push(("status", s));
        }
        let list = self.client.list(&Self::route(q.entity), &query).await?;
        let raw = list.items()?;
        let probes = probes(&raw)?;
        let keys: Vec<Key> = probes
            .iter()
            .map(|p| {
                let second = p
                    .date_modified_gmt
                    .as_deref()
                    .and_then(parse_datetime)
                    .map(|d| d.timestamp());
                Key::new(p.id.0.clone(), second)
            })
            .collect();
        let step = KEYSET.step(at, per_page, MAX_PAGE, &keys)?;
        let items: Vec<(&RawValue, Probe)> = raw
            .into_iter()
            .zip(probes)
            .zip(step.keep)
            .filter(|(_, keep)| *keep)
            .map(|(item, _)| item)
            .collect();
        let records = self.map_items(q.entity, items).await?;
        Ok(Page {
            records,
            next: step.next.map(|p| p.encode()),
        })
    }

    async fn list_paged(&self, q: &ListQuery) -> Result<Page> {
        let per_page = q.page_size_or(MAX_PAGE);
        let paging = PAGED.request(q.cursor.as_ref(), per_page)?;
        let mut query: Vec<(&str, String)> =
            vec![("orderby", "id".to_owned()), ("order", "asc".to_owned())];
        query.extend(paging.query.iter().map(|(k, v)| (k.as_str(), v.clone())));
        let list = self.client.list(&Self::route(q.entity), &query).await?;
        let raw = list.items()?;
        let view = PageView {
            headers: &list.headers,
            body: &list.text,
            items: &raw,
        };
        let next = PAGED.next(q.cursor.as_ref(), per_page, &view)?;
        let items: Vec<(&RawValue, Probe)> = raw.iter().copied().zip(probes(&raw)?).collect();
        let mut records = self.map_items(q.entity, items).await?;
        // wc/v3 cannot filter customers by modification date: filter here.
        if let Some(since) = q.updated_since {
            records.retain(|r| r.updated_at().is_none_or(|u| u >= since));
        }
        Ok(Page { records, next })
    }

    pub(crate) async fn get_record(&self, entity: Entity, id: &str) -> Result<Record> {
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
impl Adapter for WooCommerceAdapter {
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
        match q.entity {
            Entity::Order | Entity::Product | Entity::Inventory => self.list_keyset(q).await,
            Entity::Customer | Entity::Category => {
                if q.status.is_some() {
                    return Err(Error::unsupported(
                        PLATFORM,
                        format!("status filter on {}s", q.entity),
                    ));
                }
                self.list_paged(q).await
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
        if matches!(q.entity, Entity::Order | Entity::Product)
            && let Some(since) = q.updated_since
        {
            query.push(SINCE.param(since));
            query.push(("dates_are_gmt", "true".into()));
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

    #[test]
    fn old_cursors_resume_without_skipping() {
        // Page 3 within the second before 00:00:10: that second again, its ids left out.
        let old = Cursor::new(r#"{"a":"2025-01-01T00:00:09","p":3,"s":["7","8"]}"#);
        assert_eq!(
            Resume::read(Some(&old), older).unwrap(),
            Resume::At(Some(Position::open(
                1_735_689_610,
                vec!["7".into(), "8".into()]
            )))
        );
        // A page of the listing from `updated_since`: that page once.
        let page = Cursor::new(r#"{"p":4}"#);
        assert_eq!(Resume::read(Some(&page), older).unwrap(), Resume::Page(4));
        assert_eq!(
            Resume::read(Some(&Cursor::new(r#"{"p":1}"#)), older).unwrap(),
            Resume::At(None)
        );
        let now = Position::open(5, vec!["1".into()]).encode();
        assert_eq!(
            Resume::read(Some(&now), older).unwrap(),
            Resume::At(Some(Position::open(5, vec!["1".into()])))
        );
        for bad in [r#"{"a":"yesterday","p":1}"#, r#"{"x":1}"#, "junk"] {
            assert!(
                matches!(
                    Resume::read(Some(&Cursor::new(bad)), older),
                    Err(Error::Invalid { .. })
                ),
                "{bad}"
            );
        }
    }
}

/// Connects a store.
pub fn connect_adapter(cfg: &StoreConfig, ctx: &AdapterContext) -> Result<WooCommerceAdapter> {
    Ok(WooCommerceAdapter::new(Client::new(
        WooCommerceConfig::from_store(cfg)?,
        ctx,
    )))
}

/// The registry's `connect`.
pub(crate) fn connect(cfg: &StoreConfig, ctx: &AdapterContext) -> Result<Arc<dyn Adapter>> {
    Ok(Arc::new(connect_adapter(cfg, ctx)?))
}
