//! The [`Adapter`] for one Ecwid store: what the platform offers per entity, its
//! listings declared as kit [`Endpoint`]s, its writes, and its webhooks.
//!
//! - Products: the kit's keyset by modification time (`sortBy=UPDATED_TIME_ASC`,
//!   `updatedFrom`/`updatedTo` in unix seconds), each crowded second read on its own
//!   by offset in creation order (`sortBy=ADDED_TIME_ASC`): a product changed
//!   mid-pass moves ahead of the position and is read again, none is skipped.
//! - Orders: Ecwid documents no sort by update time for orders, so they are paged by
//!   offset over `updatedFrom` alone (no upper bound): a changed order keeps its
//!   place in Ecwid's order of the listing and stays in the filtered set, so an offset
//!   never jumps over it (`docs.md`, "Paging").
//!
//! No paging loop is written here.

use std::sync::Arc;

use async_trait::async_trait;
use http::{HeaderMap, Method};
use polycart_kit::adapter::{EntityCapabilities, IdRole, Precision};
use polycart_kit::connector::AdapterContext;
use polycart_kit::endpoint::{Call, Endpoint, PathTemplate, Target};
use polycart_kit::envelope::Envelope;
use polycart_kit::model::OrderStatus;
use polycart_kit::paging::{
    Bound, DateFormat, KeyFields, Keyset, Offset, Paging, Since, TieBreak, Total, WindowBy,
};
use polycart_kit::transport::{Request, Transport};
use polycart_kit::{
    Adapter, ApiPath, Capabilities, Entity, Error, IdGrammar, InventoryChange, ListQuery, Page,
    Record, Result, StoreConfig, StoreContext, WebhookEvent, Write, WriteCapabilities, WriteOp,
};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use tokio::sync::OnceCell;

use crate::PLATFORM;
use crate::client::{self, MAX_PAGE};
use crate::config::EcwidConfig;
use crate::{mapping, webhooks};

/// What Ecwid offers: orders and products, listed by modification time, read by id and
/// counted; prices, stock, order statuses and shipments written; signed webhooks.
pub fn capabilities() -> Capabilities {
    Capabilities {
        entities: vec![
            EntityCapabilities::basic(Entity::Order, MAX_PAGE)
                .incremental("updatedFrom", Precision::Second)
                .created_filter()
                .webhooks(&["order.created", "order.updated", "order.deleted"]),
            EntityCapabilities::basic(Entity::Product, MAX_PAGE)
                .incremental("updatedFrom", Precision::Second)
                .webhooks(&["product.created", "product.updated", "product.deleted"]),
        ],
        bulk_export: false,
        writes: WriteCapabilities {
            product_price: true,
            product_title: true,
            inventory_set: true,
            inventory_adjust: true,
            order_status: true,
            shipment_create: true,
            ..WriteCapabilities::default()
        },
        webhooks: true,
        webhook_registration: false,
    }
}

/// `createdFrom` of a query's `created_since` (unix seconds).
fn created(q: &ListQuery) -> Result<Vec<(&'static str, String)>> {
    Ok(q.created_since
        .map(|t| {
            (
                "createdFrom",
                polycart_kit::paging::first_second(t).to_string(),
            )
        })
        .into_iter()
        .collect())
}

/// `GET /orders?updatedFrom=…&offset=…&limit=…`.
const ORDERS: Endpoint<StoreContext> = Endpoint {
    path: PathTemplate("orders"),
    call: Call::Get,
    params: &[],
    headers: &[("accept", "application/json")],
    paging: Paging::Offset(Offset {
        offset: "offset",
        limit: "limit",
        total: Some(Total::At("/total")),
    }),
    envelope: Envelope::At("/items"),
    since: Some(Since {
        bound: Bound::Inclusive("updatedFrom"),
        format: DateFormat::UnixSeconds,
    }),
    filters: Some(created),
    max_page: MAX_PAGE,
    map: mapping::order,
};

/// `GET /products?sortBy=UPDATED_TIME_ASC&updatedFrom=…`, keyset by `updateTimestamp`.
const PRODUCTS: Endpoint<StoreContext> = Endpoint {
    path: PathTemplate("products"),
    call: Call::Get,
    params: &[],
    headers: &[("accept", "application/json")],
    paging: Paging::Keyset(Keyset {
        since: Bound::Inclusive("updatedFrom"),
        until: Bound::Inclusive("updatedTo"),
        format: DateFormat::UnixSeconds,
        sort: &[("sortBy", "UPDATED_TIME_ASC")],
        limit: "limit",
        exclude: None,
        tie: TieBreak::Window {
            by: WindowBy::Offset("offset"),
            sort: &[("sortBy", "ADDED_TIME_ASC")],
        },
        keys: KeyFields {
            id: "id",
            modified: "updateTimestamp",
        },
    }),
    envelope: Envelope::At("/items"),
    since: None,
    filters: None,
    max_page: MAX_PAGE,
    map: mapping::product,
};

/// Ecwid's ids: orders by their `id` ("K8XTQ", letters and digits, with the store's
/// prefix and suffix), everything else numeric.
fn check_id(role: IdRole, id: &str) -> Result<String> {
    let grammar = match role {
        IdRole::Order => IdGrammar::Token,
        _ => IdGrammar::Numeric,
    };
    grammar.check(id).map(str::to_owned)
}

/// A decimal as a JSON number (Ecwid reads prices as numbers).
fn number(d: Decimal) -> Result<Value> {
    serde_json::from_str(&d.normalize().to_string())
        .map_err(|_| Error::invalid(format!("{d} is not a number Ecwid reads")))
}

/// One connected Ecwid store.
#[derive(Debug)]
pub struct EcwidAdapter {
    config: EcwidConfig,
    transport: Transport,
    capabilities: Capabilities,
    context: OnceCell<StoreContext>,
}

impl EcwidAdapter {
    /// Builds the adapter; no request is sent until the first call.
    pub fn new(store: &StoreConfig, ctx: &AdapterContext) -> Result<Self> {
        let config = EcwidConfig::from_store(store)?;
        Ok(Self {
            transport: client::transport(store, &config, ctx),
            config,
            capabilities: capabilities(),
            context: OnceCell::new(),
        })
    }

    /// The store context (currency, weight unit), read once from `GET /profile`.
    async fn context(&self) -> Result<&StoreContext> {
        self.context
            .get_or_try_init(|| client::load_context(&self.transport, &self.config))
            .await
    }

    fn path(&self, entity: Entity, id: &str) -> Result<ApiPath> {
        let (collection, role) = match entity {
            Entity::Order => ("orders", IdRole::Order),
            Entity::Product => ("products", IdRole::Product),
            other => return Err(Error::entity_unsupported(PLATFORM, other)),
        };
        let grammar = if role == IdRole::Order {
            IdGrammar::Token
        } else {
            IdGrammar::Numeric
        };
        ApiPath::new(collection).id(grammar, id)
    }

    /// `PUT` of `body` at `path`; `idempotent` says whether repeating it is harmless
    /// (setting a value is, a stock delta is not).
    async fn put(&self, path: ApiPath, body: &Value, idempotent: bool) -> Result<()> {
        let request = Request::new(Method::PUT, path.under(&self.config.api_root))
            .json(body)
            .idempotent(idempotent);
        self.transport.send(request).await.map(|_| ())
    }

    /// The product or combination a write names.
    fn item_path(product_id: &str, variant_id: Option<&str>) -> Result<ApiPath> {
        let product = ApiPath::new("products").id(IdGrammar::Numeric, product_id)?;
        match variant_id {
            Some(v) => product.lit("combinations").id(IdGrammar::Numeric, v),
            None => Ok(product),
        }
    }
}

/// The registry's `connect`.
pub(crate) fn connect(store: &StoreConfig, ctx: &AdapterContext) -> Result<Arc<dyn Adapter>> {
    Ok(Arc::new(EcwidAdapter::new(store, ctx)?))
}

#[async_trait]
impl Adapter for EcwidAdapter {
    fn platform(&self) -> &'static str {
        PLATFORM
    }

    fn capabilities(&self) -> &Capabilities {
        &self.capabilities
    }

    async fn list(&self, query: &ListQuery) -> Result<Page> {
        self.capabilities.check_query(PLATFORM, query)?;
        let endpoint = match query.entity {
            Entity::Order => &ORDERS,
            Entity::Product => &PRODUCTS,
            other => return Err(Error::entity_unsupported(PLATFORM, other)),
        };
        let ctx = self.context().await?;
        let at = Target::new(&self.transport, &self.config.api_root);
        endpoint.list(at, query, &[], ctx).await
    }

    async fn get(&self, entity: Entity, platform_id: &str) -> Result<Record> {
        let path = self.path(entity, platform_id)?;
        let ctx = self.context().await?;
        let response = self
            .transport
            .send(Request::get(path.under(&self.config.api_root)))
            .await?;
        let map = mapping::mapper(entity)?;
        map(
            serde_json::from_str(response.text()?)
                .map_err(|e| Error::decode("$", e.to_string()))?,
            ctx,
        )?
        .pop()
        .ok_or_else(|| Error::not_found(format!("{entity} {platform_id}")))
    }

    async fn count(&self, query: &ListQuery) -> Result<u64> {
        self.capabilities.check_query(PLATFORM, query)?;
        let endpoint = match query.entity {
            Entity::Order => &ORDERS,
            Entity::Product => &PRODUCTS,
            other => return Err(Error::entity_unsupported(PLATFORM, other)),
        };
        // One record is enough: the answer's `total` counts the whole listing.
        let one = query.clone().with_cursor(None).page_size(1);
        let mut request = endpoint.request(&self.config.api_root, &[], &one, &[])?;
        request
            .url
            .query_pairs_mut()
            .append_pair("responseFields", "total");
        let response = self.transport.send(request).await?;
        let body: Value = response.json()?;
        body.get("total")
            .and_then(Value::as_u64)
            .ok_or_else(|| Error::decode("$.total", "missing"))
    }

    async fn write(&self, write: &Write) -> Result<Record> {
        let write = write.checked(check_id)?;
        let (entity, id) = match &write.op {
            WriteOp::UpdateProduct {
                product_id,
                variant_id,
                title,
                price,
                status,
                compare_at_price,
            } => {
                if status.is_some() || compare_at_price.is_some() {
                    return Err(Error::unsupported(
                        PLATFORM,
                        "product status and compare-at price",
                    ));
                }
                let mut body = serde_json::Map::new();
                if let Some(p) = price {
                    body.insert("price".into(), number(*p)?);
                }
                if let Some(t) = title {
                    if variant_id.is_some() {
                        return Err(Error::invalid("a combination has no title of its own"));
                    }
                    body.insert("name".into(), json!(t));
                }
                if body.is_empty() {
                    return Err(Error::invalid("nothing to update"));
                }
                let path = Self::item_path(product_id, variant_id.as_deref())?;
                self.put(path, &Value::Object(body), true).await?;
                (Entity::Product, product_id.clone())
            }
            WriteOp::SetInventory {
                product_id,
                variant_id,
                change,
                ..
            } => {
                let product_id = product_id.clone().ok_or_else(|| {
                    Error::invalid("Ecwid stock is set by product_id (and variant_id)")
                })?;
                let path = Self::item_path(&product_id, variant_id.as_deref())?;
                match change {
                    InventoryChange::Absolute(n) => {
                        self.put(path, &json!({ "quantity": n }), true).await?;
                    }
                    // A delta applied twice is two deltas: never retried blindly.
                    InventoryChange::Delta(d) => {
                        self.put(path.lit("inventory"), &json!({ "quantityDelta": d }), false)
                            .await?;
                    }
                }
                (Entity::Product, product_id)
            }
            WriteOp::UpdateOrderStatus {
                order_id, status, ..
            } => {
                let body = match status {
                    OrderStatus::Pending => json!({ "paymentStatus": "AWAITING_PAYMENT" }),
                    OrderStatus::Processing => json!({ "fulfillmentStatus": "PROCESSING" }),
                    OrderStatus::Completed => json!({ "fulfillmentStatus": "DELIVERED" }),
                    OrderStatus::Cancelled => json!({ "paymentStatus": "CANCELLED" }),
                    OrderStatus::Refunded => json!({ "paymentStatus": "REFUNDED" }),
                    other => {
                        return Err(Error::unsupported(
                            PLATFORM,
                            format!("order status {other:?}"),
                        ));
                    }
                };
                self.put(self.path(Entity::Order, order_id)?, &body, true)
                    .await?;
                (Entity::Order, order_id.clone())
            }
            WriteOp::CreateShipment {
                order_id,
                tracking_number,
                carrier,
                line_items,
                ..
            } => {
                if !line_items.is_empty() {
                    return Err(Error::unsupported(PLATFORM, "shipping part of an order"));
                }
                let mut body = json!({ "fulfillmentStatus": "SHIPPED" });
                if let Some(t) = tracking_number {
                    body["trackingNumber"] = json!(t);
                }
                if let Some(c) = carrier {
                    body["shippingOption"] = json!({ "shippingCarrierName": c });
                }
                self.put(self.path(Entity::Order, order_id)?, &body, true)
                    .await?;
                (Entity::Order, order_id.clone())
            }
            other => return Err(Error::unsupported(PLATFORM, other.name())),
        };
        self.get(entity, &id).await
    }

    fn verify_webhook(&self, headers: &HeaderMap, body: &[u8]) -> Result<WebhookEvent> {
        let store_id = self.config.store_id.as_deref().ok_or_else(|| {
            Error::invalid(
                "the store URL does not end with the numeric store id (https://app.ecwid.com/api/v3/{storeId}): webhook deliveries cannot be matched to this store",
            )
        })?;
        webhooks::verify(self.config.client_secret.as_ref(), store_id, headers, body)
    }
}
