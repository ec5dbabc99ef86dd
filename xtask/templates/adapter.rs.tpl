//! The [`Adapter`] for one {{Name}} store: what the platform offers per entity, and
//! its listings declared as kit [`Endpoint`]s — page numbers over a listing sorted by
//! id (a record changed mid-pass keeps its place, so none is skipped), filtered by
//! `updated_at_min` for incremental passes. No paging loop is written here.

use std::sync::Arc;

use async_trait::async_trait;
use polycart_kit::adapter::{EntityCapabilities, Precision};
use polycart_kit::connector::AdapterContext;
use polycart_kit::endpoint::{Call, Endpoint, PathTemplate, Target};
use polycart_kit::envelope::Envelope;
use polycart_kit::error::decode_json_borrowed;
use polycart_kit::paging::{Bound, DateFormat, PageNumber, Paging, Since, Total};
use polycart_kit::transport::{Request, Transport};
use polycart_kit::{
    Adapter, ApiPath, Capabilities, Entity, Error, IdGrammar, ListQuery, Page, Record, Result,
    StoreConfig, StoreContext, WriteCapabilities,
};
use serde_json::value::RawValue;

use crate::PLATFORM;
use crate::client::{self, MAX_PAGE};
use crate::config::{{Name}}Config;
use crate::mapping;

/// What {{Name}} offers: orders and products, listed, read by id, orders by
/// modification time; no counts, writes or webhooks yet.
pub fn capabilities() -> Capabilities {
    Capabilities {
        entities: vec![
            EntityCapabilities::basic(Entity::Order, MAX_PAGE)
                .without_count()
                .incremental("updated_at_min", Precision::Second),
            EntityCapabilities::basic(Entity::Product, MAX_PAGE)
                .without_count()
                .incremental("updated_at_min", Precision::Second),
        ],
        bulk_export: false,
        writes: WriteCapabilities::default(),
        webhooks: false,
        webhook_registration: false,
    }
}

const fn listing(path: &'static str, records: &'static str, map: fn(&RawValue, &StoreContext) -> Result<Vec<Record>>) -> Endpoint<StoreContext> {
    Endpoint {
        path: PathTemplate(path),
        call: Call::Get,
        params: &[("sort", "id")],
        headers: &[("accept", "application/json")],
        paging: Paging::PageNumber(PageNumber {
            page: "page",
            size: "per_page",
            total_pages: Some(Total::At("/meta/total_pages")),
        }),
        envelope: Envelope::At(records),
        since: Some(Since {
            bound: Bound::Inclusive("updated_at_min"),
            format: DateFormat::Rfc3339,
        }),
        filters: None,
        max_page: MAX_PAGE,
        map,
    }
}

const ORDERS: Endpoint<StoreContext> = listing("orders", "/orders", mapping::order);
const PRODUCTS: Endpoint<StoreContext> = listing("products", "/products", mapping::product);

/// One connected {{Name}} store.
#[derive(Debug)]
pub struct {{Name}}Adapter {
    config: {{Name}}Config,
    transport: Transport,
    capabilities: Capabilities,
    context: StoreContext,
}

impl {{Name}}Adapter {
    /// Builds the adapter; no request is sent until the first call.
    pub fn new(store: &StoreConfig, ctx: &AdapterContext) -> Result<Self> {
        let config = {{Name}}Config::from_store(store)?;
        Ok(Self {
            transport: client::transport(store, &config, ctx),
            config,
            capabilities: capabilities(),
            context: StoreContext::default(),
        })
    }
}

/// The registry's `connect`.
pub(crate) fn connect(store: &StoreConfig, ctx: &AdapterContext) -> Result<Arc<dyn Adapter>> {
    Ok(Arc::new({{Name}}Adapter::new(store, ctx)?))
}

#[async_trait]
impl Adapter for {{Name}}Adapter {
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
            other => return Err(Error::unsupported(PLATFORM, format!("{other}s"))),
        };
        let at = Target::new(&self.transport, &self.config.api_root);
        endpoint.list(at, query, &[], &self.context).await
    }

    async fn get(&self, entity: Entity, platform_id: &str) -> Result<Record> {
        let (collection, key) = match entity {
            Entity::Order => ("orders", "order"),
            Entity::Product => ("products", "product"),
            other => return Err(Error::unsupported(PLATFORM, format!("{other}s"))),
        };
        let path = ApiPath::new(collection).id(IdGrammar::Numeric, platform_id)?;
        let response = self.transport.send(Request::get(path.under(&self.config.api_root))).await?;
        let body: std::collections::HashMap<&str, &RawValue> = decode_json_borrowed(response.text()?)?;
        let raw = body.get(key).ok_or_else(|| Error::decode("$", format!("no {key:?} in the answer")))?;
        let map = mapping::mapper(entity)?;
        map(raw, &self.context)?
            .pop()
            .ok_or_else(|| Error::not_found(format!("{entity} {platform_id}")))
    }
}
