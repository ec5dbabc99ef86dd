//! The [`Adapter`] for one Shopee shop: what the platform offers per entity, the
//! listings ([`crate::listing`]: 15-day order windows with cursors, offset-paged
//! items), reads by id, the product count, the writes (stock and price per model,
//! shipping an order) and push notifications.

use std::sync::Arc;

use async_trait::async_trait;
use http::HeaderMap;
use polycart_kit::adapter::{EntityCapabilities, IdRole, Precision};
use polycart_kit::connector::AdapterContext;
use polycart_kit::transport::{Request, Transport};
use polycart_kit::{
    Adapter, Capabilities, Entity, Error, IdGrammar, InventoryChange, ListQuery, Page, Record,
    Result, StoreConfig, StoreContext, WebhookEvent, Write, WriteCapabilities, WriteOp,
};
use rust_decimal::Decimal;
use serde_json::{Value, json};

use crate::PLATFORM;
use crate::client::{self, MAX_PAGE, ShopAuth, response_of};
use crate::config::ShopeeConfig;
use crate::listing::{self, api};
use crate::{mapping, webhooks};

/// The push codes polycart reads, as topics.
pub const ORDER_TOPICS: &[&str] = &["order_status_push", "order_trackingno_push"];

/// What Shopee offers: orders (by update time, in 15-day windows) and products (by
/// update time, counted), read by id; stock and price per model written, orders
/// shipped; order pushes verified.
pub fn capabilities() -> Capabilities {
    Capabilities {
        entities: vec![
            EntityCapabilities::basic(Entity::Order, MAX_PAGE)
                .without_count()
                .incremental("update_time", Precision::Second)
                .webhooks(ORDER_TOPICS),
            EntityCapabilities::basic(Entity::Product, MAX_PAGE)
                .incremental("update_time_from", Precision::Second),
            EntityCapabilities::basic(Entity::Inventory, MAX_PAGE)
                .without_count()
                .incremental("update_time_from", Precision::Second),
        ],
        bulk_export: false,
        writes: WriteCapabilities {
            product_price: true,
            inventory_set: true,
            shipment_create: true,
            ..WriteCapabilities::default()
        },
        webhooks: true,
        webhook_registration: false,
    }
}

/// Shopee's ids: orders by `order_sn` and stock locations by code (letters and digits:
/// `SGZ`), items and models numeric; a line item is `{item_id}-{model_id}`.
fn check_id(role: IdRole, id: &str) -> Result<String> {
    let grammar = match role {
        IdRole::Order | IdRole::Location | IdRole::LineItem => IdGrammar::Token,
        IdRole::Product | IdRole::Variant => IdGrammar::Numeric,
    };
    grammar.check(id).map(str::to_owned)
}

/// A decimal as the JSON number Shopee reads (`12.5`, `150000`).
fn number(d: Decimal) -> Result<Value> {
    serde_json::from_str(&d.normalize().to_string())
        .map_err(|_| Error::invalid(format!("{d} is not a number Shopee reads")))
}

/// A whole id as a JSON number.
fn int(id: &str) -> Result<Value> {
    id.parse::<u64>()
        .map(Value::from)
        .map_err(|_| Error::invalid(format!("{id:?} is not a Shopee id")))
}

/// One connected Shopee shop.
pub struct ShopeeAdapter {
    config: ShopeeConfig,
    transport: Transport,
    auth: Arc<ShopAuth>,
    capabilities: Capabilities,
    context: StoreContext,
}

impl std::fmt::Debug for ShopeeAdapter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ShopeeAdapter")
            .field("shop_id", &self.config.shop_id)
            .field("api_root", &self.config.api_root.as_str())
            .finish_non_exhaustive()
    }
}

impl ShopeeAdapter {
    /// Builds the adapter; no request is sent until the first call.
    pub fn new(store: &StoreConfig, ctx: &AdapterContext) -> Result<Self> {
        let config = ShopeeConfig::from_store(store)?;
        let (transport, auth) = client::transport(store, &config, ctx);
        let mut capabilities = capabilities();
        if config.push_url.is_none() {
            capabilities.webhooks = false;
        }
        Ok(Self {
            config,
            transport,
            auth,
            capabilities,
            context: StoreContext::default(),
        })
    }

    /// The shop's token pair as it is now (after any refresh).
    pub fn tokens(&self) -> polycart_kit::auth::TokenSet {
        self.auth.tokens().tokens()
    }

    /// A JSON `POST` to a Shop API path; `idempotent` says whether repeating it is
    /// harmless. Shopee's per-entry failures (`failure_list`) are an error.
    async fn post(&self, path: &'static str, body: &Value, idempotent: bool) -> Result<Value> {
        let request = Request::post(api(path).under(&self.config.api_root))
            .json(body)
            .idempotent(idempotent);
        let response = self.transport.send(request).await?;
        let answer: Value = polycart_kit::error::decode_json(response_of(response.text()?)?.get())?;
        if let Some(failures) = answer.get("failure_list").and_then(Value::as_array)
            && let Some(first) = failures.first()
        {
            let reason = first
                .get("failed_reason")
                .and_then(Value::as_str)
                .unwrap_or("no reason given");
            return Err(Error::invalid(format!(
                "Shopee refused the change: {}",
                polycart_kit::error::sanitise(reason, 120)
            )));
        }
        Ok(answer)
    }

    async fn product(&self, id: &str) -> Result<Record> {
        listing::items(
            &self.transport,
            &self.config.api_root,
            &[id.to_owned()],
            mapping::product,
            &self.context,
        )
        .await?
        .pop()
        .ok_or_else(|| Error::not_found(format!("product {id}")))
    }

    /// A stock level by its id, `{item_id}:{model_id}` (`0`: the item has no models).
    async fn level(&self, id: &str) -> Result<Record> {
        let (item, model) = id
            .split_once(':')
            .ok_or_else(|| Error::not_found(format!("inventory level {id:?}")))?;
        IdGrammar::Numeric.check(item)?;
        IdGrammar::Numeric.check(model)?;
        listing::items(
            &self.transport,
            &self.config.api_root,
            &[item.to_owned()],
            mapping::inventory,
            &self.context,
        )
        .await?
        .into_iter()
        .find(|r| r.platform_id() == id)
        .ok_or_else(|| Error::not_found(format!("inventory level {id}")))
    }
}

/// The registry's `connect`.
pub(crate) fn connect(store: &StoreConfig, ctx: &AdapterContext) -> Result<Arc<dyn Adapter>> {
    Ok(Arc::new(ShopeeAdapter::new(store, ctx)?))
}

#[async_trait]
impl Adapter for ShopeeAdapter {
    fn platform(&self) -> &'static str {
        PLATFORM
    }

    fn capabilities(&self) -> &Capabilities {
        &self.capabilities
    }

    async fn list(&self, query: &ListQuery) -> Result<Page> {
        self.capabilities.check_query(PLATFORM, query)?;
        let root = &self.config.api_root;
        match query.entity {
            Entity::Order => {
                let horizon = self.config.history_start(chrono::Utc::now());
                listing::orders(
                    &self.transport,
                    root,
                    query,
                    horizon,
                    self.config.returns,
                    &self.context,
                )
                .await
            }
            Entity::Product => {
                listing::products(
                    &self.transport,
                    root,
                    query,
                    mapping::product,
                    false,
                    &self.context,
                )
                .await
            }
            Entity::Inventory => {
                listing::products(
                    &self.transport,
                    root,
                    query,
                    mapping::inventory,
                    true,
                    &self.context,
                )
                .await
            }
            other => Err(Error::entity_unsupported(PLATFORM, other)),
        }
    }

    async fn get(&self, entity: Entity, platform_id: &str) -> Result<Record> {
        match entity {
            Entity::Order => {
                let sn = IdGrammar::Token.check(platform_id)?;
                listing::order_details(
                    &self.transport,
                    &self.config.api_root,
                    &[sn],
                    self.config.returns,
                    &self.context,
                )
                .await?
                .pop()
                .ok_or_else(|| Error::not_found(format!("order {platform_id}")))
            }
            Entity::Product => {
                IdGrammar::Numeric.check(platform_id)?;
                self.product(platform_id).await
            }
            Entity::Inventory => self.level(platform_id).await,
            other => Err(Error::entity_unsupported(PLATFORM, other)),
        }
    }

    async fn count(&self, query: &ListQuery) -> Result<u64> {
        self.capabilities.check_query(PLATFORM, query)?;
        if query.entity != Entity::Product {
            return Err(Error::unsupported(PLATFORM, "counting orders"));
        }
        let one = query.clone().with_cursor(None).page_size(1);
        let request = listing::ITEM_LIST.request(&self.config.api_root, &[], &one, &[])?;
        let response = self.transport.send(request).await?;
        polycart_kit::envelope::pointer(response.text()?, "/response/total_count")?
            .and_then(|v| v.get().parse().ok())
            .ok_or_else(|| Error::decode("$.response.total_count", "missing"))
    }

    async fn write(&self, write: &Write) -> Result<Record> {
        let write = write.checked(check_id)?;
        match &write.op {
            WriteOp::UpdateProduct {
                product_id,
                variant_id,
                title,
                status,
                price,
                compare_at_price,
            } => {
                if title.is_some() || status.is_some() || compare_at_price.is_some() {
                    return Err(Error::unsupported(
                        PLATFORM,
                        "product titles, statuses and compare-at prices",
                    ));
                }
                let price = price.ok_or_else(|| Error::invalid("nothing to update"))?;
                if price <= Decimal::ZERO {
                    return Err(Error::invalid("a Shopee price is above zero"));
                }
                // Whole-unit currencies (IDR, VND) take whole prices.
                let current = self.product(product_id).await?;
                if let Record::Product(p) = &current
                    && let Some(c) = p.price.as_ref().map(|m| &m.currency)
                    && mapping::whole_units(c)
                    && !price.fract().is_zero()
                {
                    return Err(Error::invalid(format!(
                        "{c} prices are whole numbers on Shopee, not {price}"
                    )));
                }
                let mut entry = json!({ "original_price": number(price)? });
                if let Some(v) = variant_id {
                    entry["model_id"] = int(v)?;
                }
                let body = json!({ "item_id": int(product_id)?, "price_list": [entry] });
                self.post("product/update_price", &body, true).await?;
                self.product(product_id).await
            }
            WriteOp::SetInventory {
                product_id,
                variant_id,
                change,
                location_id,
                ..
            } => {
                let product_id = product_id.clone().ok_or_else(|| {
                    Error::invalid("Shopee stock is set by product_id (and variant_id)")
                })?;
                let InventoryChange::Absolute(stock) = change else {
                    // A delta applied twice is two deltas, and Shopee takes levels only.
                    return Err(Error::unsupported(PLATFORM, "stock deltas"));
                };
                let stock = u32::try_from(*stock)
                    .map_err(|_| Error::invalid("a Shopee stock level is 0 or more"))?;
                let mut seller_stock = json!({ "stock": stock });
                if let Some(l) = location_id {
                    seller_stock["location_id"] = json!(l);
                }
                let mut entry = json!({ "seller_stock": [seller_stock] });
                if let Some(v) = variant_id {
                    entry["model_id"] = int(v)?;
                }
                let body = json!({ "item_id": int(&product_id)?, "stock_list": [entry] });
                // A level set twice is the same level.
                self.post("product/update_stock", &body, true).await?;
                let model = variant_id.as_deref().unwrap_or("0");
                self.level(&format!("{product_id}:{model}")).await
            }
            WriteOp::CreateShipment {
                order_id,
                tracking_number,
                line_items,
                ..
            } => {
                if !line_items.is_empty() {
                    return Err(Error::unsupported(
                        PLATFORM,
                        "shipping part of an order (split it on Shopee first)",
                    ));
                }
                let how = match tracking_number {
                    Some(t) if !t.trim().is_empty() => {
                        json!({ "non_integrated": { "tracking_number": t.trim() } })
                    }
                    _ => json!({ "dropoff": {} }),
                };
                let mut body = json!({ "order_sn": order_id });
                if let (Value::Object(b), Value::Object(h)) = (&mut body, how) {
                    b.extend(h);
                }
                // Arranging shipment is not idempotent: never repeated blindly.
                self.post("logistics/ship_order", &body, false).await?;
                self.get(Entity::Order, order_id).await
            }
            other => Err(Error::unsupported(PLATFORM, other.name())),
        }
    }

    fn verify_webhook(&self, headers: &HeaderMap, body: &[u8]) -> Result<WebhookEvent> {
        let url = self.config.push_url.as_deref().ok_or_else(|| {
            Error::invalid("no push_callback_url credential: Shopee pushes cannot be verified")
        })?;
        webhooks::verify(
            &self.config.partner_key,
            url,
            &self.config.shop_id,
            headers,
            body,
        )
    }
}
