//! The Shopify adapter: its construction (one transport per API family, each with its
//! governor: REST sized to the plan and corrected from `X-Shopify-Shop-Api-Call-Limit`,
//! GraphQL in cost points from `extensions.cost.throttleStatus`; 429 + `Retry-After`),
//! the `Adapter` trait dispatching to the store's API family, and the REST read path:
//! `Link` header `page_info` paging, incremental reads by `updated_at_min`, counts.
//! The GraphQL path is [`crate::gql_read`] and [`crate::bulk_list`], writes are
//! [`crate::writes`].

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use http::{HeaderMap, HeaderName};
use polycart_kit::adapter::{
    Capabilities, Cursor, EntityCapabilities, ListQuery, Page, Precision, WriteCapabilities,
};
use polycart_kit::auth::{Auth, HeaderToken, TokenSet};
use polycart_kit::connector::{AdapterContext, StoreConfig};
use polycart_kit::model::{Currency, Entity, InventoryLevel, Record};
use polycart_kit::paging::link::link_target;
use polycart_kit::transport::html::retry_unusable_success;
use polycart_kit::transport::{
    Classify, Request, Response, Transport, UsedOfSizeHeader, Verdict, classify_status,
};
use polycart_kit::{Adapter, ApiPath, Error, Result, WebhookEvent, Write};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::{Value, json};
use tokio::sync::{Mutex, OnceCell};

use crate::bulk::BulkPolling;
use crate::config::{Api, ShopifyConfig};
use crate::gql_read::GqlCursor;
use crate::graphql as gq;
use crate::ids;
use crate::mapping::{self, PLATFORM, ShopContext};
use crate::normalize::map_one;
use crate::token::rotating_token;

/// REST's largest page.
pub const MAX_PAGE: u32 = 250;

/// Shopify's quirks on top of HTTP semantics: 422 and 400 are invalid input; an HTML
/// page or broken JSON with a 2xx is a proxy error page or a cut answer, worth another
/// try.
#[derive(Debug, Clone, Copy)]
struct ShopifyClassifier;

impl Classify for ShopifyClassifier {
    fn classify(&self, response: &Response) -> Verdict {
        if let Some(retry) = retry_unusable_success(response) {
            return retry;
        }
        match response.status.as_u16() {
            400 | 422 => Verdict::Fail(Error::invalid(format!(
                "shopify refused the request ({}): {}",
                response.status.as_u16(),
                response.platform_message()
            ))),
            _ => classify_status(response),
        }
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
        },
        webhooks: true,
        webhook_registration: true,
    }
}

/// What the cursor of a listing holds: the next `page_info`, and for collections
/// which of the two REST resources it is in.
#[derive(Debug, Serialize, Deserialize)]
struct RestCursor {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    page_info: Option<String>,
    /// `custom_collections` or `smart_collections`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    resource: Option<String>,
}

/// Where an inventory item belongs in the catalogue.
#[derive(Debug, Clone)]
struct ItemInfo {
    product_id: String,
    variant_id: String,
    sku: Option<String>,
}

/// A Shopify store.
pub struct ShopifyAdapter {
    pub(crate) config: ShopifyConfig,
    transport: Transport,
    /// The GraphQL Admin API's own governor, in cost points (`api = graphql`).
    pub(crate) graphql: Option<Transport>,
    capabilities: Capabilities,
    shop: OnceCell<ShopInfo>,
    items: Mutex<HashMap<String, ItemInfo>>,
    /// Location GIDs, for GraphQL inventory listings.
    pub(crate) locations: OnceCell<Vec<String>>,
    /// Bulk exports being served to full passes.
    pub(crate) exports: crate::bulk_list::Exports,
    pub(crate) bulk_polling: BulkPolling,
    /// Downloads bulk results from their signed URLs, without the token.
    pub(crate) download_http: reqwest::Client,
}

#[derive(Debug, Clone)]
pub(crate) struct ShopInfo {
    pub(crate) context: ShopContext,
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

    /// A static token, or an expiring offline token with its rotating refresh token
    /// (one auth shared by both API families, so a store refreshes once at a time and
    /// the new pair goes to the token sink before it is used).
    fn auth(config: &ShopifyConfig, ctx: &AdapterContext) -> Result<Arc<dyn Auth>> {
        let header = HeaderName::from_static("x-shopify-access-token");
        let Some(refresh) = &config.refresh_token else {
            return Ok(Arc::new(HeaderToken::new(
                header,
                config.access_token.clone(),
            )));
        };
        let client_id = config
            .client_id
            .as_deref()
            .ok_or_else(|| Error::invalid("an expiring token needs the client_id credential"))?;
        let secret = config
            .api_secret
            .clone()
            .ok_or_else(|| Error::invalid("an expiring token needs the api_secret credential"))?;
        let tokens = TokenSet {
            access_token: config.access_token.clone(),
            refresh_token: Some(refresh.clone()),
            expires_at: config.token_expires_at,
        };
        Ok(Arc::new(rotating_token(
            &config.shop,
            client_id,
            secret,
            tokens,
            ctx.token_sink.clone(),
        )?))
    }

    /// The transport of the store's API family, for its metrics and governor.
    pub fn transport(&self) -> &Transport {
        self.graphql.as_ref().unwrap_or(&self.transport)
    }

    pub(crate) async fn send(&self, request: Request) -> Result<Response> {
        self.transport.send(request).await
    }

    pub(crate) fn get_request(&self, path: &ApiPath) -> Request {
        Request::get(self.config.rest_url(path))
    }

    /// `shop.json`, once: the shop's currency and primary location.
    pub(crate) async fn shop(&self) -> Result<&ShopInfo> {
        self.shop
            .get_or_try_init(|| async {
                #[derive(Deserialize)]
                struct Shop {
                    currency: Option<String>,
                    primary_location_id: Option<polycart_kit::decode::Id>,
                }
                #[derive(Deserialize)]
                struct Envelope {
                    shop: Shop,
                }
                if self.graphql.is_some() {
                    let data = self
                        .gql(
                            "{ shop { currencyCode } locations(first: 1) { nodes { id } } }",
                            json!({}),
                            5,
                        )
                        .await?;
                    let currency = match data["shop"]["currencyCode"].as_str() {
                        Some(c) => Some(Currency::parse(c).map_err(|e| {
                            Error::decode("$.data.shop.currencyCode", e.to_string())
                        })?),
                        None => None,
                    };
                    let location = data["locations"]["nodes"][0]["id"]
                        .as_str()
                        .map(mapping::legacy_id);
                    return Ok(ShopInfo {
                        context: ShopContext { currency },
                        primary_location_id: location,
                    });
                }
                let response = self
                    .send(self.get_request(&ApiPath::new("shop.json")))
                    .await?;
                let envelope: Envelope = response.json()?;
                let currency = match envelope.shop.currency.as_deref() {
                    Some(c) => Some(
                        Currency::parse(c)
                            .map_err(|e| Error::decode("$.shop.currency", e.to_string()))?,
                    ),
                    None => None,
                };
                Ok(ShopInfo {
                    context: ShopContext { currency },
                    primary_location_id: envelope.shop.primary_location_id.map(|i| i.0),
                })
            })
            .await
    }

    /// Rebuilds the inventory item → variant map from the catalogue.
    async fn refresh_items(&self) -> Result<()> {
        #[derive(Deserialize)]
        struct V {
            id: polycart_kit::decode::Id,
            sku: Option<String>,
            inventory_item_id: Option<polycart_kit::decode::Id>,
        }
        #[derive(Deserialize)]
        struct P {
            id: polycart_kit::decode::Id,
            #[serde(default)]
            variants: Vec<V>,
        }
        #[derive(Deserialize)]
        struct Envelope {
            products: Vec<P>,
        }
        let mut map = HashMap::new();
        let mut page_info: Option<String> = None;
        loop {
            let mut request = self
                .get_request(&ApiPath::new("products.json"))
                .query([("limit", "250"), ("fields", "id,variants")]);
            if let Some(p) = &page_info {
                request = request.query([("page_info", p.as_str())]);
            }
            let response = self.send(request).await?;
            let envelope: Envelope = response.json()?;
            for p in envelope.products {
                for v in p.variants {
                    if let Some(item) = v.inventory_item_id {
                        map.insert(
                            item.0,
                            ItemInfo {
                                product_id: p.id.0.clone(),
                                variant_id: v.id.0,
                                sku: v.sku.filter(|s| !s.is_empty()),
                            },
                        );
                    }
                }
            }
            page_info = next_page_info(&response.headers);
            if page_info.is_none() {
                break;
            }
        }
        *self.items.lock().await = map;
        Ok(())
    }

    /// Fills variant, product and SKU of inventory levels from the catalogue.
    async fn enrich(&self, levels: &mut [InventoryLevel]) -> Result<()> {
        let item_of = |l: &InventoryLevel| {
            l.platform_id
                .split(':')
                .next()
                .unwrap_or_default()
                .to_owned()
        };
        let missing = {
            let items = self.items.lock().await;
            levels.iter().any(|l| !items.contains_key(&item_of(l)))
        };
        if missing {
            self.refresh_items().await?;
        }
        let items = self.items.lock().await;
        for l in levels {
            if let Some(info) = items.get(&item_of(l)) {
                l.product_id = Some(info.product_id.clone());
                l.variant_id = Some(info.variant_id.clone());
                l.sku = info.sku.clone();
            }
        }
        Ok(())
    }

    /// The inventory item of a variant (by id or SKU).
    pub(crate) async fn inventory_item_of(
        &self,
        variant_id: Option<&str>,
        sku: Option<&str>,
    ) -> Result<String> {
        for attempt in 0..2 {
            if attempt == 1 || self.items.lock().await.is_empty() {
                self.refresh_items().await?;
            }
            let items = self.items.lock().await;
            let found = items.iter().find(|(_, info)| {
                variant_id.is_some_and(|v| info.variant_id == v)
                    || (variant_id.is_none() && sku.is_some() && info.sku.as_deref() == sku)
            });
            if let Some((item, _)) = found {
                return Ok(item.clone());
            }
        }
        Err(Error::not_found(format!(
            "variant {}",
            variant_id.or(sku).unwrap_or("?")
        )))
    }

    pub(crate) async fn map_records(
        &self,
        entity: Entity,
        items: &[&RawValue],
    ) -> Result<Vec<Record>> {
        let ctx = if entity == Entity::Product {
            self.shop().await?.context.clone()
        } else {
            ShopContext::default()
        };
        let mut records = Vec::with_capacity(items.len());
        let mut levels = Vec::new();
        for (i, raw) in items.iter().enumerate() {
            let record = map_one(entity, raw, &ctx)
                .map_err(|e| polycart_kit::decode::at_index(e, i, true))?;
            match record {
                Record::Inventory(l) => levels.push(*l),
                mut other => {
                    other.assign_store(self.transport.store_id());
                    records.push(other);
                }
            }
        }
        if !levels.is_empty() {
            self.enrich(&mut levels).await?;
            for l in levels {
                let mut r = Record::from(l);
                r.assign_store(self.transport.store_id());
                records.push(r);
            }
        }
        Ok(records)
    }

    /// The REST filters of a query (not used with a page_info).
    fn filters(query: &ListQuery) -> Vec<(&'static str, String)> {
        let mut f = Vec::new();
        if let Some(t) = query.updated_since {
            f.push(("updated_at_min", t.to_rfc3339()));
        }
        if let Some(t) = query.created_since {
            f.push(("created_at_min", t.to_rfc3339()));
        }
        f
    }

    async fn location_ids(&self) -> Result<String> {
        #[derive(Deserialize)]
        struct L {
            id: polycart_kit::decode::Id,
        }
        #[derive(Deserialize)]
        struct Envelope {
            locations: Vec<L>,
        }
        let response = self
            .send(self.get_request(&ApiPath::new("locations.json")))
            .await?;
        let envelope: Envelope = response.json()?;
        Ok(envelope
            .locations
            .into_iter()
            .map(|l| l.id.0)
            .collect::<Vec<_>>()
            .join(","))
    }

    async fn list_rest(&self, query: &ListQuery) -> Result<Page> {
        let limit = query.page_size_or(MAX_PAGE).to_string();
        let cursor: Option<RestCursor> = query.cursor.as_ref().map(Cursor::decode).transpose()?;
        let resource: &'static str = match query.entity {
            Entity::Order => "orders",
            Entity::Product => "products",
            Entity::Customer => "customers",
            Entity::Inventory => "inventory_levels",
            Entity::Category => match cursor.as_ref().and_then(|c| c.resource.as_deref()) {
                None | Some("custom_collections") => "custom_collections",
                Some("smart_collections") => "smart_collections",
                Some(other) => {
                    return Err(Error::invalid(format!(
                        "unrecognised cursor resource {:?}",
                        polycart_kit::error::excerpt(other, 40)
                    )));
                }
            },
        };
        let key = resource;
        let mut request = self
            .get_request(&ApiPath::new(resource).suffix(".json"))
            .query([("limit", limit.as_str())]);
        match cursor.as_ref().and_then(|c| c.page_info.as_deref()) {
            Some(page_info) => request = request.query([("page_info", page_info)]),
            None => {
                request = request.query(Self::filters(query));
                match query.entity {
                    Entity::Order => request = request.query([("status", "any")]),
                    Entity::Inventory => {
                        let locations = self.location_ids().await?;
                        request = request.query([("location_ids", locations.as_str())]);
                    }
                    _ => {}
                }
            }
        }
        let response = self.send(request).await?;
        let text = response.text()?;
        let envelope: HashMap<&str, Vec<&RawValue>> =
            polycart_kit::error::decode_json_borrowed(text)?;
        let items = envelope
            .get(key)
            .ok_or_else(|| Error::decode(format!("$.{key}"), "missing"))?;
        let records = self.map_records(query.entity, items).await?;
        let next = match next_page_info(&response.headers) {
            Some(page_info) => {
                let resource = (query.entity == Entity::Category).then(|| key.to_owned());
                Some(Cursor::encode(&RestCursor {
                    page_info: Some(page_info),
                    resource,
                }))
            }
            None if key == "custom_collections" => Some(Cursor::encode(&RestCursor {
                page_info: None,
                resource: Some("smart_collections".to_owned()),
            })),
            None => None,
        };
        Ok(Page { records, next })
    }

    pub(crate) async fn get_json(&self, path: ApiPath, key: &str) -> Result<Record> {
        self.one_record(self.get_request(&path), key).await
    }

    pub(crate) async fn write_json(&self, request: Request, key: &str) -> Result<Record> {
        self.one_record(request, key).await
    }

    /// Sends `request` and maps the record under `key` of the answer (`{"order": {...}}`).
    pub(crate) async fn one_record(&self, request: Request, key: &str) -> Result<Record> {
        let response = self.send(request).await?;
        let text = response.text()?;
        let envelope: HashMap<&str, &RawValue> = polycart_kit::error::decode_json_borrowed(text)?;
        let raw = envelope
            .get(key)
            .ok_or_else(|| Error::decode(format!("$.{key}"), "missing"))?;
        let entity = match key {
            "order" => Entity::Order,
            "product" => Entity::Product,
            "customer" => Entity::Customer,
            "inventory_level" => Entity::Inventory,
            _ => Entity::Category,
        };
        let mut records = self.map_records(entity, &[*raw]).await?;
        records.pop().ok_or_else(|| Error::decode("$", "no record"))
    }

    pub(crate) async fn order_raw(&self, id: &str) -> Result<Value> {
        let response = self
            .send(self.get_request(&ids::record_path("orders", "Order", id)?))
            .await?;
        let v: Value = response.json()?;
        Ok(v["order"].clone())
    }
}

/// The `page_info` of the `rel="next"` link, if there is a next page.
pub fn next_page_info(headers: &HeaderMap) -> Option<String> {
    let link = headers.get(http::header::LINK)?.to_str().ok()?;
    let url = url::Url::parse(link_target(link, "next")?).ok()?;
    url.query_pairs()
        .find(|(k, _)| k == "page_info")
        .map(|(_, v)| v.into_owned())
}

#[async_trait]
impl Adapter for ShopifyAdapter {
    fn platform(&self) -> &'static str {
        PLATFORM
    }

    fn capabilities(&self) -> &Capabilities {
        &self.capabilities
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_next_page_info_from_link() {
        let mut h = HeaderMap::new();
        h.insert(
            http::header::LINK,
            "<https://s.myshopify.com/admin/api/2026-01/orders.json?limit=2&page_info=abc>; rel=\"previous\", <https://s.myshopify.com/admin/api/2026-01/orders.json?limit=2&page_info=def%3D>; rel=\"next\""
                .parse()
                .unwrap(),
        );
        assert_eq!(next_page_info(&h).as_deref(), Some("def="));
        h.insert(
            http::header::LINK,
            "<https://s/x.json?page_info=abc>; rel=\"previous\""
                .parse()
                .unwrap(),
        );
        assert_eq!(next_page_info(&h), None);
    }
}
