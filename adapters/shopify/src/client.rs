//! The Shopify adapter over the REST Admin API: requests through the kit's transport
//! (governor sized to the plan and corrected from `X-Shopify-Shop-Api-Call-Limit`,
//! 429 + `Retry-After`), `Link` header `page_info` paging, incremental reads by
//! `updated_at_min`, counts, and writes. Non-idempotent writes (inventory adjust,
//! fulfillment create, cancel, close) are never retried after they may have reached
//! Shopify; absolute updates (PUT, inventory set) are.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use http::{HeaderMap, HeaderName};
use polycart_kit::adapter::{
    Capabilities, Cursor, InventoryChange, ListQuery, Page, WriteCapabilities, WriteOp,
};
use polycart_kit::auth::{Auth, HeaderToken, TokenSet};
use polycart_kit::connector::{AdapterContext, StoreConfig};
use polycart_kit::model::{Currency, Entity, InventoryLevel, OrderStatus, Record};
use polycart_kit::transport::{
    Classify, Request, Response, Transport, UsedOfSizeHeader, Verdict, classify_status,
};
use polycart_kit::{Adapter, Error, Result, WebhookEvent, Write};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::{Value, json};
use tokio::sync::{Mutex, OnceCell};

use crate::config::{Api, ShopifyConfig};
use crate::graphql as gq;
use crate::mapping::{self, PLATFORM, ShopContext, level_id};
use crate::normalize::map_one;
use crate::token::RotatingToken;

/// REST's largest page.
pub const MAX_PAGE: u32 = 250;

/// Shopify's quirks on top of HTTP semantics: 422 and 400 are invalid input; an HTML
/// page with a 200 is a proxy error page, worth another try.
#[derive(Debug, Clone, Copy)]
struct ShopifyClassifier;

impl Classify for ShopifyClassifier {
    fn classify(&self, response: &Response) -> Verdict {
        let html = response
            .header("content-type")
            .is_some_and(|c| c.starts_with("text/html"));
        match response.status.as_u16() {
            200..=299 if html => Verdict::Retry,
            400 | 422 => Verdict::Fail(Error::invalid(format!(
                "shopify refused the request ({}): {}",
                response.status.as_u16(),
                polycart_kit::error::excerpt(&response.text_lossy(), 300)
            ))),
            _ => classify_status(response),
        }
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
    config: ShopifyConfig,
    transport: Transport,
    /// The GraphQL Admin API's own governor, in cost points (`api = graphql`).
    graphql: Option<Transport>,
    capabilities: Capabilities,
    shop: OnceCell<ShopInfo>,
    items: Mutex<HashMap<String, ItemInfo>>,
    /// Location GIDs, for GraphQL inventory listings.
    locations: OnceCell<Vec<String>>,
}

#[derive(Debug, Clone)]
struct ShopInfo {
    context: ShopContext,
    primary_location_id: Option<String>,
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
            entities: Entity::ALL.to_vec(),
            updated_since: true,
            created_since: true,
            status_filter: false,
            count: true,
            max_page_size: MAX_PAGE,
            bulk_export: config.api == Api::Graphql,
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
            webhooks: config.api_secret.is_some(),
            webhook_registration: true,
        };
        Ok(Self {
            config,
            transport,
            graphql,
            capabilities,
            shop: OnceCell::new(),
            items: Mutex::new(HashMap::new()),
            locations: OnceCell::new(),
        })
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
        Ok(Arc::new(RotatingToken::new(
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

    async fn send(&self, request: Request) -> Result<Response> {
        self.transport.send(request).await
    }

    fn get_request(&self, path: &str) -> Result<Request> {
        Ok(Request::get(self.config.rest_url(path)?))
    }

    /// `shop.json`, once: the shop's currency and primary location.
    async fn shop(&self) -> Result<&ShopInfo> {
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
                let response = self.send(self.get_request("shop.json")?).await?;
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
                .get_request("products.json")?
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
    async fn inventory_item_of(
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

    async fn map_records(&self, entity: Entity, items: &[&RawValue]) -> Result<Vec<Record>> {
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
        let response = self.send(self.get_request("locations.json")?).await?;
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
        let resource = match query.entity {
            Entity::Order => "orders".to_owned(),
            Entity::Product => "products".to_owned(),
            Entity::Customer => "customers".to_owned(),
            Entity::Inventory => "inventory_levels".to_owned(),
            Entity::Category => cursor
                .as_ref()
                .and_then(|c| c.resource.clone())
                .unwrap_or_else(|| "custom_collections".to_owned()),
        };
        let key = resource.clone();
        let mut request = self
            .get_request(&format!("{resource}.json"))?
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
            .get(key.as_str())
            .ok_or_else(|| Error::decode(format!("$.{key}"), "missing"))?;
        let records = self.map_records(query.entity, items).await?;
        let next = match next_page_info(&response.headers) {
            Some(page_info) => {
                let resource = (query.entity == Entity::Category).then(|| key.clone());
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

    async fn get_json(&self, path: &str, key: &str) -> Result<Record> {
        self.one_record(self.get_request(path)?, key).await
    }

    async fn write_json(&self, request: Request, key: &str) -> Result<Record> {
        self.one_record(request, key).await
    }

    /// Sends `request` and maps the record under `key` of the answer (`{"order": {...}}`).
    async fn one_record(&self, request: Request, key: &str) -> Result<Record> {
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

    async fn order_raw(&self, id: &str) -> Result<Value> {
        let response = self
            .send(self.get_request(&format!("orders/{id}.json"))?)
            .await?;
        let v: Value = response.json()?;
        Ok(v["order"].clone())
    }

    /// Sends a GraphQL query spending `cost` points; returns `data`.
    async fn gql(&self, query: &str, variables: Value, cost: u32) -> Result<Value> {
        let transport = self
            .graphql
            .as_ref()
            .ok_or_else(|| Error::invalid("this store reads through REST"))?;
        let request = Request::post(self.config.rest_url("graphql.json")?)
            .json(&json!({ "query": query, "variables": variables }))
            .idempotent(true)
            .cost(cost);
        let mut body: Value = transport.send(request).await?.json()?;
        match body.get_mut("data") {
            Some(data) if !data.is_null() => Ok(data.take()),
            _ => Err(Error::decode("$.data", "a GraphQL response without data")),
        }
    }

    /// Search syntax for the query's incremental filters.
    fn search(query: &ListQuery) -> Option<String> {
        let mut terms = Vec::new();
        if let Some(t) = query.updated_since {
            terms.push(format!(
                "updated_at:>='{}'",
                t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            ));
        }
        if let Some(t) = query.created_since {
            terms.push(format!(
                "created_at:>='{}'",
                t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            ));
        }
        (!terms.is_empty()).then(|| terms.join(" AND "))
    }

    /// Pages the rest of a nested connection (`lineItems`, `variants`) into `node`.
    async fn complete(
        &self,
        node: &mut Value,
        root: &str,
        field: &str,
        fields: &str,
        per_node: u32,
        page: u32,
    ) -> Result<()> {
        let Some(id) = node["id"].as_str().map(str::to_owned) else {
            return Ok(());
        };
        while node[field]["pageInfo"]["hasNextPage"].as_bool() == Some(true) {
            let after = node[field]["pageInfo"]["endCursor"].clone();
            let q = format!(
                "query($id: ID!, $after: String) {{ {root}(id: $id) {{ {field}(first: {page}, after: $after) {{ nodes {{ {fields} }} pageInfo {{ hasNextPage endCursor }} }} }} }}"
            );
            let data = self
                .gql(
                    &q,
                    json!({"id": id, "after": after}),
                    1 + gq::connection_cost(page, per_node),
                )
                .await?;
            let more = &data[root][field];
            let extra = more["nodes"].as_array().cloned().unwrap_or_default();
            if let Some(nodes) = node[field]["nodes"].as_array_mut() {
                nodes.extend(extra);
            }
            node[field]["pageInfo"] = more["pageInfo"].clone();
            if more.is_null() {
                break;
            }
        }
        Ok(())
    }

    async fn map_nodes(&self, entity: Entity, mut nodes: Vec<Value>) -> Result<Vec<Record>> {
        for node in &mut nodes {
            match entity {
                Entity::Order => {
                    self.complete(node, "order", "lineItems", &gq::line_item_fields(), 10, 90)
                        .await?
                }
                Entity::Product => {
                    self.complete(node, "product", "variants", gq::variant_fields(), 6, 150)
                        .await?
                }
                _ => {}
            }
        }
        let raws = nodes
            .iter()
            .map(|n| {
                serde_json::value::to_raw_value(n).map_err(|e| Error::decode("$", e.to_string()))
            })
            .collect::<Result<Vec<_>>>()?;
        let refs: Vec<&RawValue> = raws.iter().map(|r| r.as_ref()).collect();
        self.map_records(entity, &refs).await
    }

    async fn location_gids(&self) -> Result<&Vec<String>> {
        self.locations
            .get_or_try_init(|| async {
                let data = self
                    .gql(
                        "{ locations(first: 250) { nodes { id } } }",
                        json!({}),
                        gq::connection_cost(250, 1),
                    )
                    .await?;
                Ok(data["locations"]["nodes"]
                    .as_array()
                    .map(|ls| {
                        ls.iter()
                            .filter_map(|l| l["id"].as_str().map(str::to_owned))
                            .collect()
                    })
                    .unwrap_or_default())
            })
            .await
    }

    async fn list_graphql(&self, query: &ListQuery) -> Result<Page> {
        #[derive(Debug, Default, Serialize, Deserialize)]
        struct GqlCursor {
            #[serde(default, skip_serializing_if = "Option::is_none")]
            after: Option<String>,
            /// Which location an inventory listing is in.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            location: Option<usize>,
        }
        let entity = query.entity;
        let cursor: GqlCursor = query
            .cursor
            .as_ref()
            .map(Cursor::decode)
            .transpose()?
            .unwrap_or_default();
        let first = gq::page_size_for(entity, query.page_size_or(MAX_PAGE));
        let cost = gq::connection_cost(first, gq::node_cost(entity));
        let search = Self::search(query);
        let (field, fields) = match entity {
            Entity::Order => ("orders", gq::order_fields()),
            Entity::Product => ("products", gq::product_fields()),
            Entity::Customer => ("customers", gq::customer_fields()),
            Entity::Category => ("collections", gq::COLLECTION_FIELDS.to_owned()),
            Entity::Inventory => {
                let locations = self.location_gids().await?;
                let index = cursor.location.unwrap_or(0);
                let Some(location) = locations.get(index) else {
                    return Ok(Page::last(Vec::new()));
                };
                let q = format!(
                    "query($id: ID!, $first: Int!, $after: String, $query: String) {{ location(id: $id) {{ inventoryLevels(first: $first, after: $after, query: $query) {{ nodes {{ {} }} pageInfo {{ hasNextPage endCursor }} }} }} }}",
                    gq::LEVEL_FIELDS
                );
                let vars =
                    json!({"id": location, "first": first, "after": cursor.after, "query": search});
                let data = self.gql(&q, vars, 1 + cost).await?;
                let conn = &data["location"]["inventoryLevels"];
                let nodes = conn["nodes"].as_array().cloned().unwrap_or_default();
                let records = self.map_nodes(entity, nodes).await?;
                let next = if conn["pageInfo"]["hasNextPage"].as_bool() == Some(true) {
                    Some(GqlCursor {
                        after: conn["pageInfo"]["endCursor"].as_str().map(str::to_owned),
                        location: Some(index),
                    })
                } else if index + 1 < locations.len() {
                    Some(GqlCursor {
                        after: None,
                        location: Some(index + 1),
                    })
                } else {
                    None
                };
                return Ok(Page {
                    records,
                    next: next.map(|c| Cursor::encode(&c)),
                });
            }
        };
        let q = format!(
            "query($first: Int!, $after: String, $query: String) {{ {field}(first: $first, after: $after, query: $query) {{ nodes {{ {fields} }} pageInfo {{ hasNextPage endCursor }} }} }}"
        );
        let data = self
            .gql(
                &q,
                json!({"first": first, "after": cursor.after, "query": search}),
                cost,
            )
            .await?;
        let conn = &data[field];
        let nodes = conn["nodes"]
            .as_array()
            .cloned()
            .ok_or_else(|| Error::decode(format!("$.data.{field}.nodes"), "missing"))?;
        let records = self.map_nodes(entity, nodes).await?;
        let next = (conn["pageInfo"]["hasNextPage"].as_bool() == Some(true)).then(|| {
            Cursor::encode(&GqlCursor {
                after: conn["pageInfo"]["endCursor"].as_str().map(str::to_owned),
                location: None,
            })
        });
        Ok(Page { records, next })
    }

    async fn get_graphql(&self, entity: Entity, id: &str) -> Result<Record> {
        let (root, kind, fields, cost) = match entity {
            Entity::Order => (
                "order",
                "Order",
                gq::order_fields(),
                gq::node_cost(Entity::Order),
            ),
            Entity::Product => (
                "product",
                "Product",
                gq::product_fields(),
                gq::node_cost(Entity::Product),
            ),
            Entity::Customer => (
                "customer",
                "Customer",
                gq::customer_fields(),
                gq::node_cost(Entity::Customer),
            ),
            Entity::Category => (
                "collection",
                "Collection",
                gq::COLLECTION_FIELDS.to_owned(),
                1,
            ),
            Entity::Inventory => {
                let (item, location) = id.split_once(':').ok_or_else(|| {
                    Error::invalid("an inventory level id is inventory_item_id:location_id")
                })?;
                let q = format!(
                    "query($id: ID!, $location: ID!) {{ inventoryItem(id: $id) {{ inventoryLevel(locationId: $location) {{ {} }} }} }}",
                    gq::LEVEL_FIELDS
                );
                let vars = json!({
                    "id": format!("gid://shopify/InventoryItem/{item}"),
                    "location": format!("gid://shopify/Location/{location}"),
                });
                let mut data = self.gql(&q, vars, 8).await?;
                let node = data["inventoryItem"]["inventoryLevel"].take();
                if node.is_null() {
                    return Err(Error::not_found(format!("inventory level {id}")));
                }
                let mut records = self.map_nodes(entity, vec![node]).await?;
                return records
                    .pop()
                    .ok_or_else(|| Error::not_found(format!("inventory level {id}")));
            }
        };
        let q = format!("query($id: ID!) {{ {root}(id: $id) {{ {fields} }} }}");
        let mut data = self
            .gql(
                &q,
                json!({"id": format!("gid://shopify/{kind}/{id}")}),
                cost,
            )
            .await?;
        let node = data[root].take();
        if node.is_null() {
            return Err(Error::not_found(format!("{entity} {id}")));
        }
        let mut records = self.map_nodes(entity, vec![node]).await?;
        records
            .pop()
            .ok_or_else(|| Error::not_found(format!("{entity} {id}")))
    }

    async fn count_graphql(&self, query: &ListQuery) -> Result<u64> {
        let field = match query.entity {
            Entity::Order => "ordersCount",
            Entity::Product => "productsCount",
            Entity::Customer => "customersCount",
            Entity::Category => "collectionsCount",
            Entity::Inventory => {
                return Err(Error::unsupported(PLATFORM, "counting inventory levels"));
            }
        };
        let q = format!("query($query: String) {{ {field}(query: $query) {{ count precision }} }}");
        let data = self
            .gql(&q, json!({"query": Self::search(query)}), 1)
            .await?;
        data[field]["count"]
            .as_u64()
            .ok_or_else(|| Error::decode(format!("$.data.{field}.count"), "missing"))
    }

    /// Subscribes `address` to a webhook `topic` (`orders/updated`); returns the
    /// subscription's id. Shopify refuses a topic already sent to the same address.
    pub async fn register_webhook(&self, topic: &str, address: &str) -> Result<String> {
        let body = json!({"webhook": {"topic": topic, "address": address, "format": "json"}});
        // Creating twice is refused by Shopify (422), so a retry cannot duplicate it.
        let request = Request::post(self.config.rest_url("webhooks.json")?)
            .json(&body)
            .idempotent(true);
        let v: Value = self.send(request).await?.json()?;
        v["webhook"]["id"]
            .as_u64()
            .map(|id| id.to_string())
            .or_else(|| v["webhook"]["id"].as_str().map(str::to_owned))
            .ok_or_else(|| Error::decode("$.webhook.id", "missing"))
    }

    /// Removes a webhook subscription.
    pub async fn unregister_webhook(&self, id: &str) -> Result<()> {
        let request = Request::new(
            http::Method::DELETE,
            self.config.rest_url(&format!("webhooks/{id}.json"))?,
        );
        self.send(request).await.map(|_| ())
    }

    /// The store's webhook subscriptions as (id, topic, address).
    pub async fn webhooks(&self) -> Result<Vec<(String, String, String)>> {
        let v: Value = self
            .send(self.get_request("webhooks.json")?)
            .await?
            .json()?;
        Ok(v["webhooks"]
            .as_array()
            .map(|ws| {
                ws.iter()
                    .map(|w| {
                        (
                            w["id"].to_string(),
                            w["topic"].as_str().unwrap_or_default().to_owned(),
                            w["address"].as_str().unwrap_or_default().to_owned(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default())
    }

    /// Reads every `entity` record (updated since `updated_since`) through one GraphQL
    /// bulk operation: run, poll, download the JSONL, stitch children to parents.
    pub async fn bulk_export(
        &self,
        entity: Entity,
        updated_since: Option<chrono::DateTime<chrono::Utc>>,
        polling: crate::bulk::BulkPolling,
    ) -> Result<Vec<Record>> {
        let mut query = ListQuery::new(entity);
        query.updated_since = updated_since;
        let bulk_query = crate::bulk::bulk_query(entity, Self::search(&query).as_deref())?;
        let run = "mutation($q: String!) { bulkOperationRunQuery(query: $q) { bulkOperation { id status } userErrors { field message } } }";
        let data = self.gql(run, json!({ "q": bulk_query }), 10).await?;
        let payload = &data["bulkOperationRunQuery"];
        if let Some(errors) = payload["userErrors"].as_array().filter(|e| !e.is_empty()) {
            let messages: Vec<&str> = errors
                .iter()
                .filter_map(|e| e["message"].as_str())
                .collect();
            return Err(Error::invalid(format!(
                "bulk operation refused: {}",
                messages.join("; ")
            )));
        }
        let id = payload["bulkOperation"]["id"]
            .as_str()
            .ok_or_else(|| {
                Error::decode("$.data.bulkOperationRunQuery.bulkOperation.id", "missing")
            })?
            .to_owned();
        let started = std::time::Instant::now();
        let poll =
            "query($id: ID!) { bulkOperation(id: $id) { id status errorCode objectCount url } }";
        let url = loop {
            let data = self.gql(poll, json!({ "id": id }), 1).await?;
            let op = &data["bulkOperation"];
            match op["status"].as_str() {
                Some("COMPLETED") => break op["url"].as_str().map(str::to_owned),
                Some("FAILED" | "CANCELED" | "CANCELLED" | "EXPIRED") => {
                    return Err(Error::Platform {
                        status: 200,
                        body: format!(
                            "bulk operation {id} ended {} ({})",
                            op["status"], op["errorCode"]
                        ),
                    });
                }
                _ if started.elapsed() > polling.timeout => {
                    return Err(Error::Transport {
                        message: format!("bulk operation {id} did not finish"),
                        timeout: true,
                    });
                }
                _ => tokio::time::sleep(polling.interval).await,
            }
        };
        // No URL: the operation matched nothing.
        let Some(url) = url else {
            return Ok(Vec::new());
        };
        let url = url::Url::parse(&url)
            .map_err(|e| Error::decode("$.data.bulkOperation.url", e.to_string()))?;
        // The signed URL needs no token: a plain client, so the token never leaves for storage.
        let text = reqwest::Client::new()
            .get(url)
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(|e| {
                let timeout = e.is_timeout();
                Error::Transport {
                    message: format!("bulk download failed: {}", e.without_url()),
                    timeout,
                }
            })?
            .text()
            .await
            .map_err(|e| Error::Transport {
                message: e.to_string(),
                timeout: false,
            })?;
        let nodes = crate::bulk::stitch(&text)?;
        self.map_nodes(entity, nodes).await
    }

    async fn create_shipment(&self, op: &WriteOp) -> Result<Record> {
        let WriteOp::CreateShipment {
            order_id,
            carrier,
            tracking_number,
            tracking_url,
            line_items,
            notify_customer,
        } = op
        else {
            return Err(Error::invalid("not a shipment"));
        };
        let response = self
            .send(self.get_request(&format!("orders/{order_id}/fulfillment_orders.json"))?)
            .await?;
        #[derive(Deserialize)]
        struct FoLine {
            id: polycart_kit::decode::Id,
            line_item_id: polycart_kit::decode::Id,
            fulfillable_quantity: u64,
        }
        #[derive(Deserialize)]
        struct Fo {
            id: polycart_kit::decode::Id,
            status: String,
            line_items: Vec<FoLine>,
        }
        #[derive(Deserialize)]
        struct Envelope {
            fulfillment_orders: Vec<Fo>,
        }
        let envelope: Envelope = response.json()?;
        let mut groups = Vec::new();
        for fo in envelope
            .fulfillment_orders
            .iter()
            .filter(|f| f.status == "open" || f.status == "in_progress")
        {
            if line_items.is_empty() {
                if fo.line_items.iter().any(|l| l.fulfillable_quantity > 0) {
                    groups.push(json!({ "fulfillment_order_id": fo.id.0.parse::<u64>().unwrap_or_default() }));
                }
                continue;
            }
            let lines: Vec<Value> = line_items
                .iter()
                .filter_map(|want| {
                    let l = fo.line_items.iter().find(|l| l.line_item_id.0 == want.line_item_id)?;
                    Some(json!({"id": l.id.0.parse::<u64>().unwrap_or_default(), "quantity": want.quantity}))
                })
                .collect();
            if !lines.is_empty() {
                groups.push(json!({
                    "fulfillment_order_id": fo.id.0.parse::<u64>().unwrap_or_default(),
                    "fulfillment_order_line_items": lines,
                }));
            }
        }
        if groups.is_empty() {
            return Err(Error::invalid(format!(
                "order {order_id} has nothing open to fulfill for these line items"
            )));
        }
        let mut tracking = serde_json::Map::new();
        if let Some(n) = tracking_number {
            tracking.insert("number".into(), json!(n));
        }
        if let Some(u) = tracking_url {
            tracking.insert("url".into(), json!(u));
        }
        if let Some(c) = carrier {
            tracking.insert("company".into(), json!(c));
        }
        let body = json!({"fulfillment": {
            "line_items_by_fulfillment_order": groups,
            "tracking_info": tracking,
            "notify_customer": notify_customer,
        }});
        // Creating a fulfillment twice ships twice: never retried blindly.
        let request = Request::post(self.config.rest_url("fulfillments.json")?)
            .json(&body)
            .idempotent(false);
        self.send(request).await?;
        self.get(Entity::Order, order_id).await
    }
}

/// The `page_info` of the `rel="next"` link, if there is a next page.
pub fn next_page_info(headers: &HeaderMap) -> Option<String> {
    let link = headers.get(http::header::LINK)?.to_str().ok()?;
    for part in link.split(',') {
        let (target, params) = part.trim().split_once(';')?;
        if !params
            .split(';')
            .any(|p| p.trim() == "rel=\"next\"" || p.trim() == "rel=next")
        {
            continue;
        }
        let url =
            url::Url::parse(target.trim().trim_start_matches('<').trim_end_matches('>')).ok()?;
        return url
            .query_pairs()
            .find(|(k, _)| k == "page_info")
            .map(|(_, v)| v.into_owned());
    }
    None
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
            return self.list_graphql(query).await;
        }
        self.list_rest(query).await
    }

    async fn get(&self, entity: Entity, platform_id: &str) -> Result<Record> {
        let id = platform_id.trim();
        if self.graphql.is_some() {
            return self.get_graphql(entity, id).await;
        }
        match entity {
            Entity::Order => self.get_json(&format!("orders/{id}.json"), "order").await,
            Entity::Product => {
                self.get_json(&format!("products/{id}.json"), "product")
                    .await
            }
            Entity::Customer => {
                self.get_json(&format!("customers/{id}.json"), "customer")
                    .await
            }
            Entity::Category => match self
                .get_json(
                    &format!("custom_collections/{id}.json"),
                    "custom_collection",
                )
                .await
            {
                Err(Error::NotFound { .. }) => {
                    self.get_json(&format!("smart_collections/{id}.json"), "smart_collection")
                        .await
                }
                other => other,
            },
            Entity::Inventory => {
                let (item, location) = id.split_once(':').ok_or_else(|| {
                    Error::invalid("an inventory level id is inventory_item_id:location_id")
                })?;
                let request = self
                    .get_request("inventory_levels.json")?
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
            let mut request = self.get_request(path)?.query(Self::filters(query));
            if query.entity == Entity::Order {
                request = request.query([("status", "any")]);
            }
            let count: Count = self.send(request).await?.json()?;
            total += count.count;
        }
        Ok(total)
    }

    async fn write(&self, write: &Write) -> Result<Record> {
        match &write.op {
            WriteOp::UpdateProduct {
                product_id,
                variant_id,
                title,
                status,
                price,
                compare_at_price,
            } => {
                if title.is_some() || status.is_some() {
                    let mut product = serde_json::Map::new();
                    product.insert(
                        "id".into(),
                        json!(product_id.parse::<u64>().unwrap_or_default()),
                    );
                    if let Some(t) = title {
                        product.insert("title".into(), json!(t));
                    }
                    if let Some(s) = status {
                        product.insert("status".into(), json!(s.as_str()));
                    }
                    let request = Request::new(
                        http::Method::PUT,
                        self.config
                            .rest_url(&format!("products/{product_id}.json"))?,
                    )
                    .json(&json!({ "product": product }));
                    self.send(request).await?;
                }
                if price.is_some() || compare_at_price.is_some() {
                    let variant = match variant_id {
                        Some(v) => v.clone(),
                        None => {
                            let p = self.get(Entity::Product, product_id).await?;
                            match &p {
                                Record::Product(p) if p.variants.len() == 1 => {
                                    p.variants[0].platform_id.clone()
                                }
                                _ => {
                                    return Err(Error::invalid(
                                        "a price change of a product with several variants needs a variant_id",
                                    ));
                                }
                            }
                        }
                    };
                    let mut v = serde_json::Map::new();
                    v.insert(
                        "id".into(),
                        json!(variant.parse::<u64>().unwrap_or_default()),
                    );
                    if let Some(p) = price {
                        v.insert("price".into(), json!(p.to_string()));
                    }
                    if let Some(c) = compare_at_price {
                        v.insert("compare_at_price".into(), json!(c.to_string()));
                    }
                    let request = Request::new(
                        http::Method::PUT,
                        self.config.rest_url(&format!("variants/{variant}.json"))?,
                    )
                    .json(&json!({ "variant": v }));
                    self.send(request).await?;
                }
                self.get(Entity::Product, product_id).await
            }
            WriteOp::SetInventory {
                variant_id,
                sku,
                location_id,
                change,
                ..
            } => {
                let item = self
                    .inventory_item_of(variant_id.as_deref(), sku.as_deref())
                    .await?;
                let location = match location_id {
                    Some(l) => l.clone(),
                    None => self
                        .shop()
                        .await?
                        .primary_location_id
                        .clone()
                        .ok_or_else(|| {
                            Error::invalid("no location_id and the shop has no primary location")
                        })?,
                };
                let item_n: u64 = item
                    .parse()
                    .map_err(|_| Error::invalid("inventory item ids are numeric"))?;
                let location_n: u64 = location
                    .parse()
                    .map_err(|_| Error::invalid("location ids are numeric"))?;
                let (path, body, idempotent) = match change {
                    InventoryChange::Absolute(n) => (
                        "inventory_levels/set.json",
                        json!({"location_id": location_n, "inventory_item_id": item_n, "available": n}),
                        true,
                    ),
                    InventoryChange::Delta(n) => (
                        "inventory_levels/adjust.json",
                        json!({"location_id": location_n, "inventory_item_id": item_n, "available_adjustment": n}),
                        false,
                    ),
                };
                let request = Request::post(self.config.rest_url(path)?)
                    .json(&body)
                    .idempotent(idempotent);
                let record = self.write_json(request, "inventory_level").await?;
                debug_assert_eq!(record.platform_id(), level_id(&item, &location));
                Ok(record)
            }
            WriteOp::UpdateOrderStatus {
                order_id, status, ..
            } => {
                let action = match status {
                    OrderStatus::Cancelled => "cancel",
                    OrderStatus::Completed => "close",
                    OrderStatus::Processing | OrderStatus::Pending => "open",
                    other => {
                        return Err(Error::unsupported(
                            PLATFORM,
                            format!("moving an order to {other}"),
                        ));
                    }
                };
                let request = Request::post(
                    self.config
                        .rest_url(&format!("orders/{order_id}/{action}.json"))?,
                )
                .json(&json!({}))
                .idempotent(false);
                self.write_json(request, "order").await
            }
            WriteOp::AddOrderNote { order_id, note } => {
                let current = self.order_raw(order_id).await?;
                let note = match current["note"].as_str().filter(|n| !n.is_empty()) {
                    Some(existing) if existing.contains(note.as_str()) => existing.to_owned(),
                    Some(existing) => format!("{existing}\n{note}"),
                    None => note.clone(),
                };
                let request = Request::new(http::Method::PUT, self.config.rest_url(&format!("orders/{order_id}.json"))?)
                    .json(&json!({"order": {"id": order_id.parse::<u64>().unwrap_or_default(), "note": note}}));
                self.write_json(request, "order").await
            }
            WriteOp::AddOrderTags { order_id, tags } => {
                let current = self.order_raw(order_id).await?;
                let mut all: Vec<String> = current["tags"]
                    .as_str()
                    .unwrap_or_default()
                    .split(',')
                    .map(str::trim)
                    .filter(|t| !t.is_empty())
                    .map(str::to_owned)
                    .collect();
                for t in tags {
                    if !all.iter().any(|a| a.eq_ignore_ascii_case(t.trim())) {
                        all.push(t.trim().to_owned());
                    }
                }
                let request = Request::new(http::Method::PUT, self.config.rest_url(&format!("orders/{order_id}.json"))?)
                    .json(&json!({"order": {"id": order_id.parse::<u64>().unwrap_or_default(), "tags": all.join(", ")}}));
                self.write_json(request, "order").await
            }
            op @ WriteOp::CreateShipment { .. } => self.create_shipment(op).await,
        }
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
