//! The `Adapter` for one Magento store: its listings declared for the kit's endpoint
//! driver, reads by id, counts from `total_count`, and the capabilities per entity.
//!
//! Orders, products, customers and categories are listed with the kit's
//! `searchCriteria` keyset ([`polycart_kit::paging::search_criteria`]): sorted by
//! `updated_at` then `entity_id`, always page 1, going on after the last record's
//! `(updated_at, entity_id)`, so equal timestamps never skip and Magento's repeated
//! last page never shows. MSI source items (inventory) have no modification time and go
//! by page number, stopping on `total_count`. A page of orders is completed with its
//! shipments and credit memos (two requests, `order_id in (...)`); a page of products
//! with each configurable product's children (its variants).

use std::collections::HashMap;

use async_trait::async_trait;
use futures::{StreamExt, TryStreamExt};
use http::HeaderMap;
use polycart_kit::adapter::{EntityCapabilities, Precision};
use polycart_kit::endpoint::{Call, Endpoint, PathTemplate, Target};
use polycart_kit::envelope::Envelope;
use polycart_kit::error::{Error, Result, decode_json_borrowed};
use polycart_kit::model::{Entity, OrderStatus, Record};
use polycart_kit::paging::search_criteria::{FIRST_FREE_GROUP, filter};
use polycart_kit::paging::{DateFormat, KeyFields, Paging, SearchCriteria, SearchKeyset, Total};
use polycart_kit::{
    Adapter, ApiPath, Capabilities, IdGrammar, ListQuery, Page, WebhookEvent, Write,
    WriteCapabilities,
};
use serde_json::value::RawValue;

use crate::client::Client;
use crate::config::MAX_PAGE;
use crate::mapping::{self, Context, OrderExtra, PLATFORM};

/// Adobe Commerce webhook events this adapter reads, per entity.
pub(crate) const ORDER_TOPICS: &[&str] = &[
    "observer.sales_order_save_after",
    "plugin.magento.sales.api.order_management.place",
];
pub(crate) const PRODUCT_TOPICS: &[&str] = &[
    "observer.catalog_product_save_after",
    "observer.catalog_product_delete_after",
];
pub(crate) const CUSTOMER_TOPICS: &[&str] = &[
    "observer.customer_save_after_data_object",
    "observer.customer_delete_after",
];

/// What Magento offers: every listing by modification time (and creation time),
/// orders by state too; MSI stock in full; writes of products, stock per source, order
/// state, comments and shipments; Adobe Commerce webhooks, configured on the store.
pub fn capabilities() -> Capabilities {
    let dated = |e: Entity| {
        EntityCapabilities::basic(e, MAX_PAGE)
            .incremental("updated_at", Precision::Second)
            .created_filter()
    };
    Capabilities {
        entities: vec![
            dated(Entity::Order).status_filter().webhooks(ORDER_TOPICS),
            dated(Entity::Product).webhooks(PRODUCT_TOPICS),
            dated(Entity::Customer).webhooks(CUSTOMER_TOPICS),
            dated(Entity::Category),
            EntityCapabilities::basic(Entity::Inventory, MAX_PAGE),
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

/// The keyset of a listing whose records answer their id as `id_member`.
const fn keyset(id_member: &'static str) -> Paging {
    Paging::SearchCriteria(SearchCriteria {
        keyset: Some(SearchKeyset {
            modified_field: "updated_at",
            id_field: "entity_id",
            keys: KeyFields {
                id: id_member,
                modified: "updated_at",
            },
            format: DateFormat::SqlUtc,
        }),
        total: Total::At("/total_count"),
    })
}

/// Page numbers that stop on `total_count`.
pub(crate) const PAGES: Paging = Paging::SearchCriteria(SearchCriteria {
    keyset: None,
    total: Total::At("/total_count"),
});

const ITEMS: Envelope = Envelope::At("/items");

/// Filter group `FIRST_FREE_GROUP` + `offset`, one filter.
fn group(
    offset: usize,
    field: &str,
    value: String,
    condition: &str,
) -> Vec<(&'static str, String)> {
    // Endpoint filters take static names: the few groups used are spelled out.
    const NAMES: [[&str; 3]; 2] = [
        [
            "searchCriteria[filter_groups][2][filters][0][field]",
            "searchCriteria[filter_groups][2][filters][0][value]",
            "searchCriteria[filter_groups][2][filters][0][condition_type]",
        ],
        [
            "searchCriteria[filter_groups][3][filters][0][field]",
            "searchCriteria[filter_groups][3][filters][0][value]",
            "searchCriteria[filter_groups][3][filters][0][condition_type]",
        ],
    ];
    debug_assert_eq!(FIRST_FREE_GROUP, 2);
    let n = NAMES[offset.min(1)];
    vec![
        (n[0], field.to_owned()),
        (n[1], value),
        (n[2], condition.to_owned()),
    ]
}

/// `created_since` as `created_at gteq` (group 2).
fn created(q: &ListQuery) -> Result<Vec<(&'static str, String)>> {
    Ok(q.created_since
        .map(|t| {
            let s = polycart_kit::paging::first_second(t);
            group(0, "created_at", DateFormat::SqlUtc.format(s), "gteq")
        })
        .unwrap_or_default())
}

/// The Magento states of a normalised order status.
pub(crate) fn states(status: OrderStatus) -> &'static [&'static str] {
    match status {
        OrderStatus::Pending => &["new", "pending_payment"],
        OrderStatus::Processing => &["processing"],
        OrderStatus::OnHold => &["holded", "payment_review"],
        OrderStatus::Completed => &["complete"],
        OrderStatus::Cancelled => &["canceled"],
        OrderStatus::Refunded => &["closed"],
        OrderStatus::Failed => &[],
    }
}

/// Orders: `created_since` (group 2) and the status as `state in (...)` (group 3).
fn order_filters(q: &ListQuery) -> Result<Vec<(&'static str, String)>> {
    let mut out = created(q)?;
    if let Some(s) = &q.status {
        let status = polycart_kit::model::OrderStatus::parse(s)
            .ok_or_else(|| Error::invalid(format!("unknown order status {s:?}")))?;
        let states = states(status);
        if states.is_empty() {
            return Err(Error::invalid(format!(
                "Magento orders have no state for {s:?}"
            )));
        }
        out.extend(group(1, "state", states.join(","), "in"));
    }
    Ok(out)
}

fn no_map(_: &RawValue, _: &Context) -> Result<Vec<Record>> {
    Err(Error::invalid(
        "this listing is completed before it is mapped",
    ))
}

/// `GET /V1/orders`: mapped after its shipments and credit memos are read.
pub(crate) const ORDERS: Endpoint<Context> = Endpoint {
    path: PathTemplate("V1/orders"),
    call: Call::Get,
    params: &[],
    headers: &[],
    paging: keyset("entity_id"),
    envelope: ITEMS,
    since: None,
    filters: Some(order_filters),
    max_page: MAX_PAGE,
    map: no_map,
};

/// `GET /V1/products`: mapped after configurable products' children are read.
pub(crate) const PRODUCTS: Endpoint<Context> = Endpoint {
    path: PathTemplate("V1/products"),
    call: Call::Get,
    params: &[],
    headers: &[],
    paging: keyset("id"),
    envelope: ITEMS,
    since: None,
    filters: Some(created),
    max_page: MAX_PAGE,
    map: no_map,
};

pub(crate) const CUSTOMERS: Endpoint<Context> = Endpoint {
    path: PathTemplate("V1/customers/search"),
    call: Call::Get,
    params: &[],
    headers: &[],
    paging: keyset("id"),
    envelope: ITEMS,
    since: None,
    filters: Some(created),
    max_page: MAX_PAGE,
    map: |raw, ctx| mapping::map_one(Entity::Customer, raw, ctx),
};

pub(crate) const CATEGORIES: Endpoint<Context> = Endpoint {
    path: PathTemplate("V1/categories/list"),
    call: Call::Get,
    params: &[],
    headers: &[],
    paging: keyset("id"),
    envelope: ITEMS,
    since: None,
    filters: Some(created),
    max_page: MAX_PAGE,
    map: |raw, ctx| mapping::map_one(Entity::Category, raw, ctx),
};

pub(crate) const SOURCE_ITEMS: Endpoint<Context> = Endpoint {
    path: PathTemplate("V1/inventory/source-items"),
    call: Call::Get,
    params: &[],
    headers: &[],
    paging: PAGES,
    envelope: ITEMS,
    since: None,
    filters: None,
    max_page: MAX_PAGE,
    map: |raw, ctx| mapping::map_one(Entity::Inventory, raw, ctx),
};

/// Stock types with a stock item of their own.
const STOCKED: &str = "simple,virtual,downloadable";

/// Legacy stock: the products of stocked types (`type_id in (...)`, group 2).
fn stocked(_: &ListQuery) -> Result<Vec<(&'static str, String)>> {
    Ok(group(0, "type_id", STOCKED.to_owned(), "in"))
}

/// Legacy stock (stores with MSI disabled): each stocked product's stock item, by the
/// products' keyset (so stock is incremental by the product's `updated_at`).
pub(crate) const LEGACY_STOCK: Endpoint<Context> = Endpoint {
    path: PathTemplate("V1/products"),
    call: Call::Get,
    params: &[],
    headers: &[],
    paging: keyset("id"),
    envelope: ITEMS,
    since: None,
    filters: Some(stocked),
    max_page: MAX_PAGE,
    map: |raw, _| {
        Ok(mapping::legacy_stock(raw)?
            .into_iter()
            .map(Record::from)
            .collect())
    },
};

/// Shipments and credit memos of some orders (`order_id in (...)`).
const SHIPMENTS: Endpoint<Context> = Endpoint {
    path: PathTemplate("V1/shipments"),
    call: Call::Get,
    params: &[],
    headers: &[],
    paging: PAGES,
    envelope: ITEMS,
    since: None,
    filters: None,
    max_page: MAX_PAGE,
    map: no_map,
};
const CREDITMEMOS: Endpoint<Context> = Endpoint {
    path: PathTemplate("V1/creditmemos"),
    ..SHIPMENTS
};

fn endpoint(entity: Entity, msi: bool) -> &'static Endpoint<Context> {
    match entity {
        Entity::Inventory if !msi => &LEGACY_STOCK,
        Entity::Order => &ORDERS,
        Entity::Product => &PRODUCTS,
        Entity::Customer => &CUSTOMERS,
        Entity::Category => &CATEGORIES,
        Entity::Inventory => &SOURCE_ITEMS,
    }
}

/// Connects a store.
pub fn connect_adapter(
    cfg: &polycart_kit::StoreConfig,
    ctx: &polycart_kit::connector::AdapterContext,
) -> Result<MagentoAdapter> {
    Ok(MagentoAdapter::new(Client::new(
        crate::config::MagentoConfig::from_store(cfg)?,
        ctx,
    )?))
}

/// `Connector::connect`.
pub(crate) fn connect(
    cfg: &polycart_kit::StoreConfig,
    ctx: &polycart_kit::connector::AdapterContext,
) -> Result<std::sync::Arc<dyn Adapter>> {
    Ok(std::sync::Arc::new(connect_adapter(cfg, ctx)?))
}

/// A select attribute: its code and its options' labels by value.
type Attribute = (String, HashMap<String, String>);

/// A Magento store.
#[derive(Debug)]
pub struct MagentoAdapter {
    client: Client,
    capabilities: Capabilities,
    /// Configurable options' attributes read so far, by attribute id (`None`: the
    /// store has no such attribute any more).
    attributes: tokio::sync::Mutex<HashMap<String, Option<Attribute>>>,
}

/// A record's member, read without decoding the rest.
fn member(raw: &RawValue, name: &str) -> Result<Option<String>> {
    Ok(polycart_kit::envelope::field(raw.get(), name)?
        .and_then(|v| serde_json::from_str::<polycart_kit::decode::Id>(v.get()).ok())
        .map(|i| i.0))
}

impl MagentoAdapter {
    pub fn new(client: Client) -> Self {
        let mut capabilities = Capabilities {
            webhooks: client.cfg.webhook_public_key.is_some(),
            ..capabilities()
        };
        if !client.cfg.msi {
            // Legacy stock follows its products' modification time.
            for e in &mut capabilities.entities {
                if e.entity == Entity::Inventory {
                    *e = EntityCapabilities::basic(Entity::Inventory, MAX_PAGE)
                        .incremental("updated_at", Precision::Second);
                }
            }
        }
        Self {
            client,
            capabilities,
            attributes: tokio::sync::Mutex::new(HashMap::new()),
        }
    }

    /// The labels of the attributes behind `raw` products' configurable options, read
    /// once per attribute.
    async fn option_labels(&self, raw: &[Box<RawValue>]) -> Result<mapping::OptionLabels> {
        let mut wanted: Vec<String> = Vec::new();
        for r in raw {
            wanted.extend(mapping::option_attribute_ids(r)?);
        }
        wanted.sort();
        wanted.dedup();
        let mut cache = self.attributes.lock().await;
        let missing: Vec<String> = wanted
            .iter()
            .filter(|id| !cache.contains_key(*id))
            .cloned()
            .collect();
        for id in missing {
            let path = ApiPath::new("V1/products/attributes").num(&id)?;
            let found = match self.client.get(path, &[]).await {
                Ok(r) => {
                    let raw: &RawValue = decode_json_borrowed(r.text()?)?;
                    Some(mapping::OptionLabels::attribute(raw)?)
                }
                // Read by id: a store that answers only codes here leaves the values
                // as option ids rather than failing the listing.
                Err(Error::NotFound { .. } | Error::Invalid { .. }) => None,
                Err(e) => return Err(e),
            };
            cache.insert(id, found);
        }
        Ok(mapping::OptionLabels(
            wanted
                .iter()
                .filter_map(|id| Some((id.clone(), cache.get(id)?.clone()?)))
                .collect(),
        ))
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    fn target(&self) -> Target<'_> {
        Target::new(self.client.transport(), self.client.read_root())
    }

    fn query(&self, q: &ListQuery) -> ListQuery {
        let mut q = q.clone();
        q.page_size = Some(q.page_size_or(self.client.cfg.page_size));
        q
    }

    /// Every item of a page-numbered search with `filters`, to its end.
    async fn search_all(
        &self,
        endpoint: &Endpoint<Context>,
        filters: &[(&str, String)],
    ) -> Result<Vec<Box<RawValue>>> {
        let mut out = Vec::new();
        let mut query = ListQuery::new(Entity::Order).page_size(MAX_PAGE);
        loop {
            let page = endpoint.fetch(self.target(), &query, filters).await?;
            out.extend(page.items);
            match page.next {
                Some(next) => query.cursor = Some(next),
                None => return Ok(out),
            }
        }
    }

    /// The shipments and credit memos of orders `ids`.
    async fn order_details(
        &self,
        ids: &[String],
    ) -> Result<(Vec<Box<RawValue>>, Vec<Box<RawValue>>)> {
        if ids.is_empty() || !self.client.cfg.order_details {
            return Ok((Vec::new(), Vec::new()));
        }
        let filters: Vec<(String, String)> = filter(0, 0, "order_id", &ids.join(","), "in")
            .into_iter()
            .collect();
        let borrowed: Vec<(&str, String)> = filters
            .iter()
            .map(|(k, v)| (k.as_str(), v.clone()))
            .collect();
        let (shipments, memos) = futures::try_join!(
            self.search_all(&SHIPMENTS, &borrowed),
            self.search_all(&CREDITMEMOS, &borrowed)
        )?;
        Ok((shipments, memos))
    }

    /// Maps raw orders with their shipments and credit memos.
    async fn orders(&self, raw: &[Box<RawValue>], ctx: &Context) -> Result<Vec<Record>> {
        let ids: Vec<String> = raw
            .iter()
            .map(|r| member(r, "entity_id"))
            .collect::<Result<Vec<_>>>()?
            .into_iter()
            .flatten()
            .collect();
        let (shipments, memos) = self.order_details(&ids).await?;
        let shipments = mapping::read_shipments(&shipments)?;
        let memos = mapping::read_creditmemos(&memos)?;
        raw.iter()
            .enumerate()
            .map(|(i, r)| {
                let id = ids.get(i).cloned().unwrap_or_default();
                let extra = OrderExtra::of(&id, &memos, &shipments);
                mapping::order_with(r, ctx, &extra)
                    .map(Record::from)
                    .map_err(|e| ITEMS.at_item(e, i))
            })
            .collect()
    }

    /// A configurable product's children (`/V1/configurable-products/{sku}/children`).
    async fn children(&self, raw: &RawValue) -> Result<Vec<Box<RawValue>>> {
        let kind = member(raw, "type_id")?;
        if kind.as_deref() != Some("configurable") {
            return Ok(Vec::new());
        }
        let Some(sku) = member(raw, "sku")? else {
            return Ok(Vec::new());
        };
        let path = ApiPath::new("V1/configurable-products")
            .id(IdGrammar::Text, &sku)?
            .lit("children");
        let r = self.client.get(path, &[]).await?;
        decode_json_borrowed::<Vec<&RawValue>>(r.text()?)
            .map(|v| v.into_iter().map(|x| x.to_owned()).collect())
    }

    /// Maps raw products with their children, a few requests at a time.
    async fn products(&self, raw: &[Box<RawValue>], ctx: &Context) -> Result<Vec<Record>> {
        let children: Vec<Vec<Box<RawValue>>> = futures::stream::iter(raw.to_vec())
            .map(|r| async move { self.children(&r).await })
            .buffered(4)
            .try_collect()
            .await?;
        let labels = self.option_labels(raw).await?;
        raw.iter()
            .zip(&children)
            .enumerate()
            .map(|(i, (r, kids))| {
                mapping::product_with_children(r, kids, &labels, ctx)
                    .map(Record::from)
                    .map_err(|e| ITEMS.at_item(e, i))
            })
            .collect()
    }

    /// One item of a search by `field eq value`.
    async fn one_by(
        &self,
        endpoint: &Endpoint<Context>,
        filters: &[(&str, &str)],
    ) -> Result<Box<RawValue>> {
        let mut pairs: Vec<(String, String)> = Vec::new();
        // After the groups the endpoints' own filters use (2 and 3).
        for (i, (field, value)) in filters.iter().enumerate() {
            pairs.extend(filter(FIRST_FREE_GROUP + 2 + i, 0, field, value, "eq"));
        }
        let borrowed: Vec<(&str, String)> =
            pairs.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
        let page = endpoint
            .fetch(
                self.target(),
                &ListQuery::new(Entity::Order).page_size(2),
                &borrowed,
            )
            .await?;
        page.items.into_iter().next().ok_or_else(|| {
            Error::not_found(format!(
                "{} {}",
                endpoint.path.0,
                filters
                    .iter()
                    .map(|(_, v)| *v)
                    .collect::<Vec<_>>()
                    .join(" ")
            ))
        })
    }

    /// The raw product with id `id` (Magento reads products by SKU only).
    pub(crate) async fn raw_product(&self, id: &str) -> Result<Box<RawValue>> {
        IdGrammar::Numeric.check(id)?;
        self.one_by(&PRODUCTS, &[("entity_id", id)]).await
    }

    /// The SKU of product `id`.
    pub(crate) async fn sku_of(&self, id: &str) -> Result<String> {
        let raw = self.raw_product(id).await?;
        member(&raw, "sku")?.ok_or_else(|| Error::decode("$.sku", "missing"))
    }
}

#[async_trait]
impl Adapter for MagentoAdapter {
    fn platform(&self) -> &'static str {
        PLATFORM
    }

    fn capabilities(&self) -> &Capabilities {
        &self.capabilities
    }

    async fn list(&self, query: &ListQuery) -> Result<Page> {
        self.capabilities.check_query(PLATFORM, query)?;
        let query = self.query(query);
        let ctx = self.client.context().await?;
        let endpoint = endpoint(query.entity, self.client.cfg.msi);
        match query.entity {
            Entity::Order | Entity::Product => {
                let page = endpoint.fetch(self.target(), &query, &[]).await?;
                let records = if query.entity == Entity::Order {
                    self.orders(&page.items, &ctx).await?
                } else {
                    self.products(&page.items, &ctx).await?
                };
                Ok(Page {
                    records,
                    next: page.next,
                })
            }
            _ => endpoint.list(self.target(), &query, &[], &ctx).await,
        }
    }

    async fn get(&self, entity: Entity, platform_id: &str) -> Result<Record> {
        let ctx = self.client.context().await?;
        match entity {
            Entity::Order => {
                let path = ApiPath::new("V1/orders").num(platform_id)?;
                let r = self.client.get(path, &[]).await?;
                let raw: &RawValue = decode_json_borrowed(r.text()?)?;
                let mut records = self.orders(&[raw.to_owned()], &ctx).await?;
                records
                    .pop()
                    .ok_or_else(|| Error::not_found(platform_id.to_owned()))
            }
            Entity::Product => {
                let raw = self.raw_product(platform_id).await?;
                let mut records = self.products(&[raw], &ctx).await?;
                records
                    .pop()
                    .ok_or_else(|| Error::not_found(platform_id.to_owned()))
            }
            Entity::Customer | Entity::Category => {
                let base = if entity == Entity::Customer {
                    ApiPath::new("V1/customers")
                } else {
                    ApiPath::new("V1/categories")
                };
                let r = self.client.get(base.num(platform_id)?, &[]).await?;
                let raw: &RawValue = decode_json_borrowed(r.text()?)?;
                let mut out = mapping::map_one(entity, raw, &ctx)?;
                out.pop()
                    .ok_or_else(|| Error::not_found(platform_id.to_owned()))
            }
            Entity::Inventory => {
                let (source, sku) = platform_id.split_once(':').ok_or_else(|| {
                    Error::not_found(format!(
                        "{platform_id:?} (Magento stock ids are source_code:sku)"
                    ))
                })?;
                IdGrammar::Token.check(source)?;
                IdGrammar::Text.check(sku)?;
                if !self.client.cfg.msi {
                    let raw = self.one_by(&LEGACY_STOCK, &[("sku", sku)]).await?;
                    return mapping::legacy_stock(&raw)?
                        .map(Record::from)
                        .ok_or_else(|| Error::not_found(format!("stock of {sku:?}")));
                }
                let raw = self
                    .one_by(&SOURCE_ITEMS, &[("sku", sku), ("source_code", source)])
                    .await?;
                let mut out = mapping::map_one(entity, &raw, &ctx)?;
                out.pop()
                    .ok_or_else(|| Error::not_found(platform_id.to_owned()))
            }
        }
    }

    async fn count(&self, query: &ListQuery) -> Result<u64> {
        let mut q = query.clone().page_size(1);
        q.cursor = None;
        let endpoint = endpoint(q.entity, self.client.cfg.msi);
        let request = endpoint.request(self.client.read_root(), &[], &q, &[])?;
        let r = self.client.send(request).await?;
        let total = polycart_kit::envelope::pointer(r.text()?, "/total_count")?
            .and_then(|v| v.get().trim().parse::<u64>().ok());
        total.ok_or_else(|| Error::decode("$.total_count", "missing"))
    }

    async fn write(&self, write: &Write) -> Result<Record> {
        crate::writes::write(self, write).await
    }

    async fn register_webhooks(
        &self,
        address: &url::Url,
        entities: &[Entity],
    ) -> Result<Vec<String>> {
        self.unregister_webhooks(address).await?;
        let batch = crate::webhooks::batch_name(address);
        let topics: Vec<String> = self
            .capabilities
            .webhook_topics(entities)
            .into_iter()
            .map(str::to_owned)
            .collect();
        let url = ApiPath::new("V1/webhooks/subscribe").under(self.client.all_root());
        for topic in &topics {
            let body = serde_json::json!({ "webhook": {
                "webhook_method": topic,
                "webhook_type": "after",
                "batch_name": batch,
                "hook_name": crate::webhooks::hook_name(topic),
                "url": address.as_str(),
                "required": false,
                "timeout": 5000,
                "soft_timeout": 2000,
            }});
            // Subscribing the same hook twice replaces it: safe to repeat.
            self.client
                .send(
                    polycart_kit::transport::Request::post(url.clone())
                        .json(&body)
                        .idempotent(true),
                )
                .await?;
        }
        Ok(topics)
    }

    async fn unregister_webhooks(&self, address: &url::Url) -> Result<usize> {
        let batch = crate::webhooks::batch_name(address);
        let list = ApiPath::new("V1/webhooks/list").under(self.client.all_root());
        let r = self
            .client
            .send(polycart_kit::transport::Request::get(list))
            .await?;
        let hooks: Vec<serde_json::Value> = r.json()?;
        let ours: Vec<&serde_json::Value> = hooks
            .iter()
            .filter(|h| h["batch_name"] == batch.as_str() || h["url"] == address.as_str())
            .collect();
        let url = ApiPath::new("V1/webhooks/unsubscribe").under(self.client.all_root());
        for h in &ours {
            let body = serde_json::json!({ "webhook": {
                "webhook_method": h["webhook_method"],
                "webhook_type": h["webhook_type"],
                "batch_name": h["batch_name"],
                "hook_name": h["hook_name"],
            }});
            self.client
                .send(
                    polycart_kit::transport::Request::post(url.clone())
                        .json(&body)
                        .idempotent(true),
                )
                .await?;
        }
        Ok(ours.len())
    }

    fn verify_webhook(&self, headers: &HeaderMap, body: &[u8]) -> Result<WebhookEvent> {
        let key = self.client.cfg.webhook_public_key.as_ref().ok_or_else(|| {
            Error::unsupported(PLATFORM, "webhooks without a webhook_public_key credential")
        })?;
        crate::webhooks::verify(key, headers, body)
    }
}
