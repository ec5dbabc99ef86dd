//! The [`Adapter`] for one TikTok Shop shop: what the platform offers per entity, its
//! two searches declared as kit [`Endpoint`]s (`POST` with the paging, sort and
//! `shop_cipher` in the query and `update_time_ge` in the JSON body, paged by
//! `page_token`, orders sorted by `update_time` ascending), reads by id, and webhook
//! verification. No paging loop is written here.
//!
//! Shop-scoped calls need the shop's cipher: the `shop_cipher` setting when given,
//! else the one shop `GET /authorization/202309/shops` lists for the token, asked once
//! and kept. A token that authorises several shops must name one with the setting
//! (a store is one shop): the adapter refuses to guess.

use std::sync::Arc;

use async_trait::async_trait;
use http::HeaderMap;
use polycart_kit::adapter::numeric_ids;
use polycart_kit::adapter::{EntityCapabilities, Precision};
use polycart_kit::connector::AdapterContext;
use polycart_kit::endpoint::{Call, Endpoint, PathTemplate, Target};
use polycart_kit::envelope::Envelope;
use polycart_kit::paging::{BodyToken, Bound, DateFormat, Paging, Since};
use polycart_kit::transport::{Request, Transport};
use polycart_kit::{
    Adapter, ApiPath, Capabilities, Entity, Error, IdGrammar, ListQuery, Page, Record, Result,
    StoreConfig, StoreContext, WebhookEvent, Write, WriteCapabilities, WriteOp,
};
use serde::Deserialize;
use serde_json::value::RawValue;
use tokio::sync::OnceCell;

use crate::PLATFORM;
use crate::client::{self, Envelope as Answer, MAX_PAGE};
use crate::config::TikTokShopConfig;
use crate::{mapping, webhooks, wire, writes};

/// What TikTok Shop offers: orders and products, searched by modification time and
/// read by id; SKU prices, warehouse stock and seller shipments written (`writes.rs`);
/// webhooks signed with the app secret. No counts (a search's
/// `total_count` is not a count of the unfiltered listing).
pub fn capabilities() -> Capabilities {
    Capabilities {
        entities: vec![
            EntityCapabilities::basic(Entity::Order, MAX_PAGE)
                .without_count()
                .incremental("update_time_ge", Precision::Second)
                .created_filter()
                .webhooks(webhooks::ORDER_TOPICS),
            EntityCapabilities::basic(Entity::Product, MAX_PAGE)
                .without_count()
                .incremental("update_time_ge", Precision::Second)
                .created_filter()
                .webhooks(webhooks::PRODUCT_TOPICS),
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

/// A search body from the parameters that are not in the query: the time filters,
/// as the Unix-second integers TikTok takes.
fn search_body(pairs: &[(String, String)]) -> Result<serde_json::Value> {
    let mut body = serde_json::Map::new();
    for (k, v) in pairs {
        let n: i64 = v.parse().map_err(|_| {
            Error::invalid(format!("search filter {k}: {v:?} is not a unix second"))
        })?;
        body.insert(k.clone(), n.into());
    }
    Ok(serde_json::Value::Object(body))
}

/// `create_time_ge` of a query's `created_since` (Unix seconds, the first whole second
/// at or after it), in the search body.
fn created(q: &ListQuery) -> Result<Vec<(&'static str, String)>> {
    Ok(q.created_since
        .map(|t| {
            (
                "create_time_ge",
                polycart_kit::paging::first_second(t).to_string(),
            )
        })
        .into_iter()
        .collect())
}

const fn search(
    path: &'static str,
    query: &'static [&'static str],
    params: &'static [(&'static str, &'static str)],
    records: &'static str,
    map: fn(&RawValue, &StoreContext) -> Result<Vec<Record>>,
) -> Endpoint<StoreContext> {
    Endpoint {
        path: PathTemplate(path),
        call: Call::SplitSearch {
            query,
            body: search_body,
        },
        params,
        headers: &[("accept", "application/json")],
        paging: Paging::Token(BodyToken {
            param: "page_token",
            size: Some("page_size"),
            next: "/data/next_page_token",
            more: None,
            filters_first_page_only: false,
        }),
        // An empty search may leave its list out.
        envelope: Envelope::AtOrAbsent(records),
        since: Some(Since {
            bound: Bound::Inclusive("update_time_ge"),
            format: DateFormat::UnixSeconds,
        }),
        filters: Some(created),
        max_page: MAX_PAGE,
        map,
    }
}

const ORDERS: Endpoint<StoreContext> = search(
    "order/202309/orders/search",
    &[
        "page_size",
        "page_token",
        "sort_field",
        "sort_order",
        "shop_cipher",
    ],
    &[("sort_field", "update_time"), ("sort_order", "ASC")],
    "/data/orders",
    mapping::order,
);

const PRODUCTS: Endpoint<StoreContext> = search(
    "product/202309/products/search",
    &["page_size", "page_token", "shop_cipher"],
    &[],
    "/data/products",
    mapping::product,
);

/// One connected TikTok Shop shop.
#[derive(Debug)]
pub struct TikTokShopAdapter {
    config: TikTokShopConfig,
    transport: Transport,
    capabilities: Capabilities,
    context: StoreContext,
    cipher: OnceCell<String>,
}

#[derive(Deserialize)]
struct Shops {
    #[serde(default)]
    shops: Vec<Shop>,
}

#[derive(Deserialize)]
struct Shop {
    cipher: String,
}

/// Decodes TikTok's envelope around `T`.
fn data<T: serde::de::DeserializeOwned>(text: &str) -> Result<T> {
    let answer: Answer<T> = polycart_kit::error::decode_json(text)?;
    if answer.code != 0 {
        return Err(Error::invalid(format!("code {}", answer.code)));
    }
    answer
        .data
        .ok_or_else(|| Error::decode("$.data", "no data"))
}

impl TikTokShopAdapter {
    /// Builds the adapter; no request is sent until the first call.
    pub fn new(store: &StoreConfig, ctx: &AdapterContext) -> Result<Self> {
        let config = TikTokShopConfig::from_store(store)?;
        Ok(Self {
            transport: client::transport(store, &config, ctx)?,
            cipher: OnceCell::new(),
            config,
            capabilities: capabilities(),
            context: StoreContext::default(),
        })
    }

    /// The shop's cipher (see the module doc).
    async fn cipher(&self) -> Result<&str> {
        if let Some(c) = &self.config.shop_cipher {
            return Ok(c);
        }
        self.cipher
            .get_or_try_init(|| async {
                let url = ApiPath::new("authorization/202309/shops").under(&self.config.api_root);
                let response = self.transport.send(Request::get(url)).await?;
                let shops: Shops = data(response.text()?)?;
                match shops.shops.as_slice() {
                    [one] => Ok(one.cipher.clone()),
                    [] => Err(Error::auth("the access token authorises no shop")),
                    many => Err(Error::invalid(format!(
                        "the access token authorises {} shops: name this store's with the shop_cipher setting ({})",
                        many.len(),
                        many.iter().map(|s| s.cipher.as_str()).collect::<Vec<_>>().join(", ")
                    ))),
                }
            })
            .await
            .map(String::as_str)
    }
}

impl TikTokShopAdapter {
    /// The raw JSON of one order (Get Order Detail) or product (Get Product).
    async fn raw(&self, entity: Entity, platform_id: &str) -> Result<Box<RawValue>> {
        let id = IdGrammar::Numeric.check(platform_id)?;
        let cipher = self.cipher().await?.to_owned();
        let root = &self.config.api_root;
        let url = match entity {
            // Get Order Detail takes up to 50 ids; one here.
            Entity::Order => {
                let mut url = ApiPath::new("order/202309/orders").under(root);
                url.query_pairs_mut().append_pair("ids", id);
                url
            }
            Entity::Product => ApiPath::new("product/202309/products")
                .id(IdGrammar::Numeric, id)?
                .under(root),
            other => return Err(Error::entity_unsupported(PLATFORM, other)),
        };
        let response = self
            .transport
            .send(Request::get(url).query([("shop_cipher", cipher)]))
            .await?;
        let text = response.text()?;
        let found = match entity {
            Entity::Order => Envelope::AtOrAbsent("/data/orders")
                .split(text)?
                .first()
                .copied(),
            _ => polycart_kit::envelope::pointer(text, "/data")?,
        };
        found
            .filter(|r| r.get().trim() != "null")
            .map(ToOwned::to_owned)
            .ok_or_else(|| Error::not_found(format!("{entity} {platform_id}")))
    }

    async fn post(&self, call: writes::Call) -> Result<()> {
        let cipher = self.cipher().await?.to_owned();
        let response = self
            .transport
            .send(call.request(&self.config.api_root, &cipher))
            .await?;
        writes::check_answer(response.text()?)
    }

    /// The providers of a delivery option.
    async fn providers(&self, delivery_option: &str) -> Result<Vec<wire::ShippingProvider>> {
        let cipher = self.cipher().await?.to_owned();
        let url = ApiPath::new("logistics/202309/delivery_options")
            .id(IdGrammar::Numeric, delivery_option)?
            .lit("shipping_providers")
            .under(&self.config.api_root);
        let response = self
            .transport
            .send(Request::get(url).query([("shop_cipher", cipher)]))
            .await?;
        let providers: wire::ShippingProviders = data(response.text()?)?;
        Ok(providers.shipping_providers)
    }
}

/// The registry's `connect`.
pub(crate) fn connect(store: &StoreConfig, ctx: &AdapterContext) -> Result<Arc<dyn Adapter>> {
    Ok(Arc::new(TikTokShopAdapter::new(store, ctx)?))
}

#[async_trait]
impl Adapter for TikTokShopAdapter {
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
        let cipher = self.cipher().await?.to_owned();
        let at = Target::new(&self.transport, &self.config.api_root);
        endpoint
            .list(at, query, &[("shop_cipher", cipher)], &self.context)
            .await
    }

    async fn get(&self, entity: Entity, platform_id: &str) -> Result<Record> {
        let raw = self.raw(entity, platform_id).await?;
        let map = mapping::mapper(entity)?;
        map(&raw, &self.context)?
            .pop()
            .ok_or_else(|| Error::not_found(format!("{entity} {platform_id}")))
    }

    async fn write(&self, write: &Write) -> Result<Record> {
        let write = write.checked(numeric_ids)?;
        let (entity, id) = match &write.op {
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
                        "product title, status and compare-at price",
                    ));
                }
                let price = price.ok_or_else(|| Error::invalid("nothing to update"))?;
                let raw = self.raw(Entity::Product, product_id).await?;
                let product: wire::Product = polycart_kit::error::decode_json(raw.get())?;
                self.post(writes::price_update(
                    &product,
                    variant_id.as_deref(),
                    price,
                )?)
                .await?;
                (Entity::Product, product_id.clone())
            }
            WriteOp::SetInventory {
                product_id,
                variant_id,
                sku,
                location_id,
                change,
            } => {
                let product_id = product_id.clone().ok_or_else(|| {
                    Error::invalid("TikTok Shop sets stock by product_id (and variant_id or sku)")
                })?;
                let raw = self.raw(Entity::Product, &product_id).await?;
                let product: wire::Product = polycart_kit::error::decode_json(raw.get())?;
                let call = writes::inventory_update(
                    &product,
                    variant_id.as_deref(),
                    sku.as_deref(),
                    location_id.as_deref(),
                    change,
                )?;
                self.post(call).await?;
                (Entity::Product, product_id)
            }
            WriteOp::CreateShipment {
                order_id,
                carrier,
                tracking_number,
                line_items,
                ..
            } => {
                let tracking = tracking_number
                    .as_deref()
                    .ok_or_else(|| Error::invalid("TikTok Shop needs a tracking number"))?;
                let carrier = carrier
                    .as_deref()
                    .ok_or_else(|| Error::invalid("TikTok Shop needs the carrier"))?;
                let raw = self.raw(Entity::Order, order_id).await?;
                let order: wire::Order = polycart_kit::error::decode_json(raw.get())?;
                let units = writes::unit_ids(&order, line_items)?;
                let providers = match &order.delivery_option_id {
                    Some(option) => self.providers(&option.0).await?,
                    None => Vec::new(),
                };
                let provider = writes::provider_id(carrier, &providers)?;
                self.post(writes::mark_shipped(order_id, tracking, &provider, units)?)
                    .await?;
                (Entity::Order, order_id.clone())
            }
            other => return Err(writes::unsupported(other)),
        };
        self.get(entity, &id).await
    }

    fn verify_webhook(&self, headers: &HeaderMap, body: &[u8]) -> Result<WebhookEvent> {
        webhooks::verify(&self.config.app_key, &self.config.app_secret, headers, body)
    }
}
