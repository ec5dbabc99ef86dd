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
use polycart_kit::adapter::{EntityCapabilities, Precision};
use polycart_kit::connector::AdapterContext;
use polycart_kit::endpoint::{Call, Endpoint, PathTemplate, Target};
use polycart_kit::envelope::Envelope;
use polycart_kit::paging::{Bound, BodyToken, DateFormat, Paging, Since};
use polycart_kit::transport::{Request, Transport};
use polycart_kit::{
    Adapter, ApiPath, Capabilities, Entity, Error, IdGrammar, ListQuery, Page, Record, Result,
    StoreConfig, StoreContext, WebhookEvent, WriteCapabilities,
};
use serde::Deserialize;
use serde_json::value::RawValue;
use tokio::sync::OnceCell;

use crate::PLATFORM;
use crate::client::{self, Envelope as Answer, MAX_PAGE};
use crate::config::TikTokShopConfig;
use crate::{mapping, webhooks};

/// What TikTok Shop offers: orders and products, searched by modification time and
/// read by id; webhooks signed with the app secret. No counts (a search's
/// `total_count` is not a count of the unfiltered listing).
pub fn capabilities() -> Capabilities {
    Capabilities {
        entities: vec![
            EntityCapabilities::basic(Entity::Order, MAX_PAGE)
                .without_count()
                .incremental("update_time_ge", Precision::Second)
                .webhooks(webhooks::ORDER_TOPICS),
            EntityCapabilities::basic(Entity::Product, MAX_PAGE)
                .without_count()
                .incremental("update_time_ge", Precision::Second)
                .webhooks(webhooks::PRODUCT_TOPICS),
        ],
        bulk_export: false,
        writes: WriteCapabilities::default(),
        webhooks: true,
        webhook_registration: false,
    }
}

/// A search body from the parameters that are not in the query: the time filters,
/// as the Unix-second integers TikTok takes.
fn search_body(pairs: &[(String, String)]) -> Result<serde_json::Value> {
    let mut body = serde_json::Map::new();
    for (k, v) in pairs {
        let n: i64 = v
            .parse()
            .map_err(|_| Error::invalid(format!("search filter {k}: {v:?} is not a unix second")))?;
        body.insert(k.clone(), n.into());
    }
    Ok(serde_json::Value::Object(body))
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
        call: Call::SplitSearch { query, body: search_body },
        params,
        headers: &[("accept", "application/json")],
        paging: Paging::Token(BodyToken {
            param: "page_token",
            size: Some("page_size"),
            next: "/data/next_page_token",
            more: None,
            filters_first_page_only: false,
        }),
        envelope: Envelope::At(records),
        since: Some(Since {
            bound: Bound::Inclusive("update_time_ge"),
            format: DateFormat::UnixSeconds,
        }),
        filters: None,
        max_page: MAX_PAGE,
        map,
    }
}

const ORDERS: Endpoint<StoreContext> = search(
    "order/202309/orders/search",
    &["page_size", "page_token", "sort_field", "sort_order", "shop_cipher"],
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
    answer.data.ok_or_else(|| Error::decode("$.data", "no data"))
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
        let id = IdGrammar::Numeric.check(platform_id)?;
        let cipher = self.cipher().await?.to_owned();
        let root = &self.config.api_root;
        let (url, pointer) = match entity {
            // Get Order Detail takes up to 50 ids; one here.
            Entity::Order => {
                let mut url = ApiPath::new("order/202309/orders").under(root);
                url.query_pairs_mut().append_pair("ids", id);
                (url, "/data/orders")
            }
            Entity::Product => (
                ApiPath::new("product/202309/products")
                    .id(IdGrammar::Numeric, id)?
                    .under(root),
                "/data",
            ),
            other => return Err(Error::entity_unsupported(PLATFORM, other)),
        };
        let request = Request::get(url).query([("shop_cipher", cipher)]);
        let response = self.transport.send(request).await?;
        let text = response.text()?;
        let items = match entity {
            Entity::Order => Envelope::At(pointer).split(text)?,
            _ => polycart_kit::envelope::pointer(text, pointer)?.into_iter().collect(),
        };
        let raw = items
            .first()
            .ok_or_else(|| Error::not_found(format!("{entity} {platform_id}")))?;
        let map = mapping::mapper(entity)?;
        map(raw, &self.context)?
            .pop()
            .ok_or_else(|| Error::not_found(format!("{entity} {platform_id}")))
    }

    fn verify_webhook(&self, headers: &HeaderMap, body: &[u8]) -> Result<WebhookEvent> {
        webhooks::verify(&self.config.app_key, &self.config.app_secret, headers, body)
    }
}
