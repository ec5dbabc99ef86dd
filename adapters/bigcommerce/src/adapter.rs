//! The [`Adapter`] for one BigCommerce store: what the platform offers (per entity),
//! and the trait's entry points. Reads go to [`crate::orders`] and [`crate::v3`],
//! writes to [`crate::writes`], hook registration and webhook verification to
//! [`crate::client`] and [`crate::webhooks`].

use std::sync::Arc;

use async_trait::async_trait;
use chrono::Utc;
use http::HeaderName;
use http::{HeaderMap, Method};
use polycart_kit::StoreContext;
use polycart_kit::adapter::{EntityCapabilities, Precision};
use polycart_kit::auth::HeaderToken;
use polycart_kit::connector::AdapterContext;
use polycart_kit::transport::Transport;
use polycart_kit::{
    Adapter, ApiPath, Capabilities, Entity, Error, ListQuery, Page, Record, Result, StoreConfig,
    WebhookEvent, Write, WriteCapabilities, WriteOp,
};
use serde_json::json;
use tokio::sync::OnceCell;

use crate::PLATFORM;
use crate::client::{Classifier, MAX_PAGE, RATE_LIMIT_HEADERS, path_id};
use crate::config::BigCommerceConfig;
use crate::mapping;
use crate::orders::v2_filters;
use crate::webhooks::Verifier;
use crate::wire::V2Count;

/// One connected BigCommerce store.
pub struct BigCommerceAdapter {
    pub(crate) store_id: String,
    pub(crate) config: BigCommerceConfig,
    pub(crate) transport: Transport,
    pub(crate) capabilities: Capabilities,
    pub(crate) verifier: Verifier,
    pub(crate) context: OnceCell<StoreContext>,
}

impl std::fmt::Debug for BigCommerceAdapter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BigCommerce")
            .field("store_id", &self.store_id)
            .field("api_root", &self.config.api_root)
            .finish()
    }
}

impl BigCommerceAdapter {
    /// Builds the adapter; no request is sent until the first call.
    pub fn new(store: &StoreConfig, ctx: &AdapterContext) -> Result<Self> {
        let config = BigCommerceConfig::from_store(store)?;
        let auth = HeaderToken::new(
            HeaderName::from_static("x-auth-token"),
            config.access_token.clone(),
        );
        let transport = Transport::builder(store.store_id.clone(), PLATFORM)
            .auth(Arc::new(auth))
            // Standard plan: 150 requests per 30 s window; corrected from the headers.
            .budget(config.budget)
            .budget_reader(Arc::new(RATE_LIMIT_HEADERS))
            .classifier(Arc::new(Classifier))
            .metrics(ctx.metrics.clone())
            .build();
        let verifier = Verifier {
            client_secret: config.client_secret.clone(),
            header: config.webhook_header.clone(),
            tolerance: config.webhook_tolerance,
        };
        let capabilities = Capabilities {
            webhooks: config.client_secret.is_some() || config.webhook_header.is_some(),
            ..capabilities()
        };
        Ok(Self {
            store_id: store.store_id.clone(),
            transport,
            capabilities,
            verifier,
            context: OnceCell::new(),
            config,
        })
    }

    /// The transport (its governor and metrics), for tests and the engine.
    pub fn transport(&self) -> &Transport {
        &self.transport
    }
}

/// The registry's `connect`.
pub(crate) fn connect(store: &StoreConfig, ctx: &AdapterContext) -> Result<Arc<dyn Adapter>> {
    Ok(Arc::new(BigCommerceAdapter::new(store, ctx)?))
}

/// What BigCommerce offers: orders, products and customers by date modified and
/// created, categories and inventory in full; counts of everything; no order notes or
/// tags; webhooks for every entity.
pub(crate) fn capabilities() -> Capabilities {
    let dated = |e: Entity, field: &str, topics: &[&str]| {
        EntityCapabilities::basic(e, MAX_PAGE)
            .incremental(field, Precision::Second)
            .created_filter()
            .webhooks(topics)
    };
    Capabilities {
        entities: vec![
            dated(
                Entity::Order,
                "min_date_modified",
                &[
                    "store/order/created",
                    "store/order/updated",
                    "store/order/archived",
                    "store/order/statusUpdated",
                    "store/order/refund/created",
                ],
            ),
            dated(
                Entity::Product,
                "date_modified:min",
                &[
                    "store/product/created",
                    "store/product/updated",
                    "store/product/deleted",
                ],
            ),
            dated(
                Entity::Customer,
                "date_modified:min",
                &[
                    "store/customer/created",
                    "store/customer/updated",
                    "store/customer/deleted",
                ],
            ),
            EntityCapabilities::basic(Entity::Category, MAX_PAGE).webhooks(&[
                "store/category/created",
                "store/category/updated",
                "store/category/deleted",
            ]),
            EntityCapabilities::basic(Entity::Inventory, MAX_PAGE).webhooks(&[
                "store/sku/inventory/updated",
                "store/product/inventory/updated",
            ]),
        ],
        bulk_export: false,
        writes: WriteCapabilities {
            product_price: true,
            product_title: true,
            product_status: true,
            inventory_set: true,
            inventory_adjust: true,
            order_status: true,
            order_note: false,
            order_tags: false,
            shipment_create: true,
            shipment_platform_tracking: false,
        },
        webhooks: true,
        webhook_registration: true,
    }
}

#[async_trait]
impl Adapter for BigCommerceAdapter {
    fn platform(&self) -> &'static str {
        PLATFORM
    }

    fn capabilities(&self) -> &Capabilities {
        &self.capabilities
    }

    async fn list(&self, query: &ListQuery) -> Result<Page> {
        if query.status.is_some() {
            // v2 filters by one status_id; a unified status spans several.
            return Err(Error::unsupported(PLATFORM, "status filter"));
        }
        match query.entity {
            Entity::Order => self.list_orders(query).await,
            entity => self.list_v3(entity, query).await,
        }
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

    async fn get(&self, entity: Entity, platform_id: &str) -> Result<Record> {
        if entity != Entity::Inventory {
            path_id(platform_id)?;
        }
        self.get_v3(entity, platform_id).await
    }

    async fn count(&self, query: &ListQuery) -> Result<u64> {
        match query.entity {
            Entity::Order => {
                let r = self
                    .get(&ApiPath::new("v2/orders/count"), &v2_filters(query)?)
                    .await?;
                Ok(r.json::<V2Count>()?.count)
            }
            Entity::Inventory => {
                // Every item lists every location: levels = items × locations.
                let items = self.v3_total(Entity::Inventory, query).await?;
                let locations = self
                    .v3_list(
                        &ApiPath::new("v3/inventory/locations"),
                        &[("page", "1".into()), ("limit", "1".into())],
                    )
                    .await?;
                let locations = locations
                    .meta
                    .pagination
                    .map_or(locations.data.len() as u64, |p| p.total);
                Ok(items * locations)
            }
            entity => self.v3_total(entity, query).await,
        }
    }

    async fn write(&self, write: &Write) -> Result<Record> {
        let write = &write.checked(polycart_kit::adapter::numeric_ids)?;
        match &write.op {
            op @ WriteOp::UpdateProduct { .. } => self.update_product(op).await,
            op @ WriteOp::SetInventory { .. } => self.set_inventory(op).await,
            WriteOp::UpdateOrderStatus {
                order_id, status, ..
            } => {
                let body = json!({ "status_id": mapping::status_id_for(*status) });
                self.send_json(
                    Method::PUT,
                    &ApiPath::new("v2/orders").num(order_id)?,
                    &body,
                )
                .await?;
                self.get_order(order_id).await
            }
            op @ WriteOp::CreateShipment { .. } => self.create_shipment(op).await,
            op @ (WriteOp::AddOrderNote { .. } | WriteOp::AddOrderTags { .. }) => {
                Err(Error::unsupported(PLATFORM, op.name()))
            }
        }
    }

    fn verify_webhook(&self, headers: &HeaderMap, body: &[u8]) -> Result<WebhookEvent> {
        self.verifier
            .verify_at(headers, body, Utc::now().timestamp())
    }
}
