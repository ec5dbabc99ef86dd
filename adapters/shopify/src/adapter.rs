//! The [`Adapter`] for one Shopify store: its construction (one transport per API
//! family, each with its governor: REST sized to the plan and corrected from
//! `X-Shopify-Shop-Api-Call-Limit`, GraphQL in cost points from
//! `extensions.cost.throttleStatus`), what the platform offers per entity, and the
//! trait dispatching to the store's API family: [`crate::rest`] or [`crate::graphql`].

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use http::HeaderMap;
use polycart_kit::adapter::{
    Capabilities, EntityCapabilities, ListQuery, Page, Precision, WriteCapabilities,
};
use polycart_kit::connector::{AdapterContext, StoreConfig};
use polycart_kit::model::{Entity, Record};
use polycart_kit::transport::{Transport, UsedOfSizeHeader};
use polycart_kit::{Adapter, ApiPath, Error, Result, StoreContext, WebhookEvent, Write};
use serde::Deserialize;
use serde_json::value::RawValue;
use tokio::sync::{Mutex, OnceCell};

use crate::PLATFORM;
use crate::client::{MAX_PAGE, ShopifyClassifier};
use crate::config::{Api, ShopifyConfig};
use crate::graphql as gq;
use crate::graphql::bulk::BulkPolling;
use crate::graphql::read::GqlCursor;
use crate::ids;
use crate::rest::read::ItemInfo;

/// A Shopify store.
pub struct ShopifyAdapter {
    pub(crate) config: ShopifyConfig,
    pub(crate) transport: Transport,
    /// The GraphQL Admin API's own governor, in cost points (`api = graphql`).
    pub(crate) graphql: Option<Transport>,
    pub(crate) capabilities: Capabilities,
    pub(crate) shop: OnceCell<ShopInfo>,
    pub(crate) items: Mutex<HashMap<String, ItemInfo>>,
    /// Location GIDs, for GraphQL inventory listings.
    pub(crate) locations: OnceCell<Vec<String>>,
    /// Bulk exports being served to full passes.
    pub(crate) exports: crate::graphql::bulk_list::Exports,
    pub(crate) bulk_polling: BulkPolling,
    /// Why a bulk pass paged instead, for its run's record.
    pub(crate) notes: polycart_kit::adapter::Notes,
    /// Downloads bulk results from their signed URLs, without the token.
    pub(crate) download_http: reqwest::Client,
}

#[derive(Debug, Clone)]
pub(crate) struct ShopInfo {
    pub(crate) context: StoreContext,
    pub(crate) primary_location_id: Option<String>,
}

impl std::fmt::Debug for ShopifyAdapter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ShopifyAdapter")
            .field("shop", &self.config.shop.as_str())
            .finish_non_exhaustive()
    }
}

/// `Connector::connect`.
pub fn connect(store: &StoreConfig, ctx: &AdapterContext) -> Result<Arc<dyn Adapter>> {
    Ok(Arc::new(ShopifyAdapter::new(store, ctx)?))
}

impl ShopifyAdapter {
    pub fn new(store: &StoreConfig, ctx: &AdapterContext) -> Result<Self> {
        let config = ShopifyConfig::from_store(store)?;
        let auth = Self::auth(&config, ctx)?;
        let transport = Transport::builder(store.store_id.clone(), PLATFORM)
            .auth(auth.clone())
            .budget(config.rest_budget())
            .budget_reader(Arc::new(UsedOfSizeHeader {
                header: "x-shopify-shop-api-call-limit",
                seconds_to_drain: 20.0,
            }))
            .classifier(Arc::new(ShopifyClassifier))
            .metrics(ctx.metrics.clone())
            .timeout(Duration::from_secs(30))
            .build();
        let graphql = (config.api == Api::Graphql).then(|| {
            Transport::builder(store.store_id.clone(), PLATFORM)
                .auth(auth.clone())
                .budget(config.graphql_budget())
                .budget_reader(Arc::new(gq::ThrottleStatusReader))
                .classifier(Arc::new(gq::GraphqlClassifier))
                .metrics(ctx.metrics.clone())
                .timeout(Duration::from_secs(60))
                .build()
        });
        let capabilities = Capabilities {
            bulk_export: config.api == Api::Graphql,
            webhooks: config.api_secret.is_some(),
            ..capabilities()
        };
        Ok(Self {
            config,
            transport,
            graphql,
            capabilities,
            shop: OnceCell::new(),
            items: Mutex::new(HashMap::new()),
            locations: OnceCell::new(),
            exports: Mutex::new(HashMap::new()),
            notes: polycart_kit::adapter::Notes::default(),
            bulk_polling: BulkPolling::default(),
            download_http: polycart_kit::net::client_builder()
                .redirect(polycart_kit::net::redirect_policy(3))
                .connect_timeout(Duration::from_secs(10))
                .read_timeout(Duration::from_secs(60))
                .build()
                .map_err(|e| Error::Transport {
                    message: e.to_string(),
                    timeout: false,
                })?,
        })
    }

    /// How bulk operations are polled (tests poll fast).
    pub fn with_bulk_polling(mut self, polling: BulkPolling) -> Self {
        self.bulk_polling = polling;
        self
    }

    /// The transport of the store's API family, for its metrics and governor.
    pub fn transport(&self) -> &Transport {
        self.graphql.as_ref().unwrap_or(&self.transport)
    }
}

/// What Shopify offers: every entity by `updated_at`, created-time filters but on
/// inventory levels, platform counts but of inventory levels, bulk exports (GraphQL),
/// every unified write, and webhooks for every entity.
pub fn capabilities() -> Capabilities {
    let entity = |e: Entity, topics: &[&str]| {
        EntityCapabilities::basic(e, MAX_PAGE)
            .incremental("updated_at", Precision::Second)
            .created_filter()
            .webhooks(topics)
    };
    let mut inventory = EntityCapabilities::basic(Entity::Inventory, MAX_PAGE)
        .incremental("updated_at", Precision::Second)
        .without_count()
        .webhooks(&[
            "inventory_levels/update",
            "inventory_levels/connect",
            "inventory_levels/disconnect",
        ]);
    inventory.get = true;
    Capabilities {
        entities: vec![
            entity(
                Entity::Order,
                &[
                    "orders/create",
                    "orders/updated",
                    "orders/delete",
                    "refunds/create",
                    "fulfillments/create",
                    "fulfillments/update",
                ],
            ),
            entity(
                Entity::Product,
                &["products/create", "products/update", "products/delete"],
            ),
            entity(
                Entity::Customer,
                &["customers/create", "customers/update", "customers/delete"],
            ),
            entity(
                Entity::Category,
                &[
                    "collections/create",
                    "collections/update",
                    "collections/delete",
                ],
            ),
            inventory,
        ],
        bulk_export: true,
        writes: WriteCapabilities {
            product_price: true,
            product_title: true,
            product_status: true,
            inventory_set: true,
            inventory_adjust: true,
            order_status: true,
            order_note: true,
            order_tags: true,
            shipment_create: true,
            shipment_platform_tracking: false,
        },
        webhooks: true,
        webhook_registration: true,
    }
}

#[async_trait]
impl Adapter for ShopifyAdapter {
    fn platform(&self) -> &'static str {
        PLATFORM
    }

    fn capabilities(&self) -> &Capabilities {
        &self.capabilities
    }

    fn api_version(&self) -> Option<polycart_kit::drift::ApiVersion> {
        Some(polycart_kit::drift::ApiVersion {
            version: self.config.api_version.clone(),
            sunset: self.config.api_version_sunset(),
        })
    }

    fn take_notes(&self, entity: polycart_kit::model::Entity) -> Vec<String> {
        self.notes.take(entity)
    }

    async fn list(&self, query: &ListQuery) -> Result<Page> {
        if self.graphql.is_some() {
            let cursor = GqlCursor::of(query)?;
            if Self::wants_bulk(query, &cursor) {
                return self.list_bulk(query, cursor).await;
            }
            return self.list_graphql(query).await;
        }
        self.list_rest(query).await
    }

    async fn get(&self, entity: Entity, platform_id: &str) -> Result<Record> {
        let id = &ids::record(entity, platform_id)?;
        if self.graphql.is_some() {
            return self.get_graphql(entity, id).await;
        }
        match entity {
            Entity::Order => {
                self.get_json(ids::record_path("orders", "Order", id)?, "order")
                    .await
            }
            Entity::Product => {
                self.get_json(ids::record_path("products", "Product", id)?, "product")
                    .await
            }
            Entity::Customer => {
                self.get_json(ids::record_path("customers", "Customer", id)?, "customer")
                    .await
            }
            Entity::Category => {
                let custom = ids::record_path("custom_collections", "Collection", id)?;
                match self.get_json(custom, "custom_collection").await {
                    Err(Error::NotFound { .. }) => {
                        let smart = ids::record_path("smart_collections", "Collection", id)?;
                        self.get_json(smart, "smart_collection").await
                    }
                    other => other,
                }
            }
            Entity::Inventory => {
                let (item, location) = ids::inventory_level(id)?;
                let request = self
                    .get_request(&ApiPath::new("inventory_levels.json"))
                    .query([("inventory_item_ids", item), ("location_ids", location)]);
                let response = self.send(request).await?;
                let text = response.text()?;
                let envelope: HashMap<&str, Vec<&RawValue>> =
                    polycart_kit::error::decode_json_borrowed(text)?;
                let items = envelope
                    .get("inventory_levels")
                    .cloned()
                    .unwrap_or_default();
                let mut records = self.map_records(Entity::Inventory, &items).await?;
                records
                    .pop()
                    .ok_or_else(|| Error::not_found(format!("inventory level {id}")))
            }
        }
    }

    async fn count(&self, query: &ListQuery) -> Result<u64> {
        if self.graphql.is_some() {
            return self.count_graphql(query).await;
        }
        #[derive(Deserialize)]
        struct Count {
            count: u64,
        }
        let paths: &[&str] = match query.entity {
            Entity::Order => &["orders/count.json"],
            Entity::Product => &["products/count.json"],
            Entity::Customer => &["customers/count.json"],
            Entity::Category => &[
                "custom_collections/count.json",
                "smart_collections/count.json",
            ],
            Entity::Inventory => {
                return Err(Error::unsupported(PLATFORM, "counting inventory levels"));
            }
        };
        let mut total = 0;
        for path in paths {
            let mut request = self
                .get_request(&ApiPath::new(path))
                .query(Self::filters(query));
            if query.entity == Entity::Order {
                request = request.query([("status", "any")]);
            }
            let count: Count = self.send(request).await?.json()?;
            total += count.count;
        }
        Ok(total)
    }

    async fn write(&self, write: &Write) -> Result<Record> {
        let write = &write.checked(ids::of_role)?;
        if self.graphql.is_some() {
            return self.write_graphql(write).await;
        }
        self.write_op(write).await
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

    fn verify_webhook(&self, headers: &HeaderMap, body: &[u8]) -> Result<WebhookEvent> {
        let ctx = self
            .shop
            .get()
            .map(|s| s.context.clone())
            .unwrap_or_default();
        crate::webhooks::verify(self.config.api_secret.as_ref(), &ctx, headers, body)
    }
}
