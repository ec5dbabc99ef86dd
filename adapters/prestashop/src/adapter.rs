//! The [`Adapter`] for one PrestaShop shop: orders and products listed through the
//! webservice as kit [`Endpoint`]s — `output_format=JSON`, `display=full`, sorted by id
//! (`sort=[id_ASC]`), paged by `limit=offset,count`, and for incremental passes
//! `filter[date_upd]=[from,far future]&date=1` in shop-local time. A record changed
//! mid-pass keeps its place in the id order and stays in the filtered set (no upper
//! bound), so no offset jumps over it. No paging loop is written here.
//!
//! A product's combinations (its variants) and stock are separate resources: each
//! page of products is followed by one `GET /api/combinations` and one
//! `GET /api/stock_availables` filtered to the page's products, which fill in the
//! variants' SKUs, prices (the product's price plus the combination's impact) and
//! stock.

use std::sync::Arc;

use async_trait::async_trait;
use polycart_kit::adapter::numeric_ids;
use polycart_kit::adapter::{EntityCapabilities, Precision};
use polycart_kit::connector::AdapterContext;
use polycart_kit::endpoint::{Call, Endpoint, PathTemplate, Target};
use polycart_kit::envelope::Envelope;
use polycart_kit::paging::{OffsetInOne, Paging, first_second};
use polycart_kit::transport::{Request, Transport};
use polycart_kit::{
    Adapter, ApiPath, Capabilities, Entity, Error, IdGrammar, ListQuery, Page, Record, Result,
    StoreConfig, Write, WriteCapabilities, WriteOp,
};
use serde_json::value::RawValue;
use tokio::sync::OnceCell;

use crate::PLATFORM;
use crate::client::{self, MAX_PAGE, ShopContext};
use crate::config::PrestaShopConfig;
use crate::{mapping, wire, writes};

/// What the webservice offers here: orders and products, listed, read by id, by
/// modification time; order states, stock and products (price, title, status)
/// written; no counts or webhooks.
pub fn capabilities() -> Capabilities {
    Capabilities {
        entities: vec![
            EntityCapabilities::basic(Entity::Order, MAX_PAGE)
                .without_count()
                .incremental("date_upd", Precision::Second),
            EntityCapabilities::basic(Entity::Product, MAX_PAGE)
                .without_count()
                .incremental("date_upd", Precision::Second),
        ],
        bulk_export: false,
        writes: WriteCapabilities {
            inventory_set: true,
            inventory_adjust: true,
            order_status: true,
            product_price: true,
            product_title: true,
            product_status: true,
            ..WriteCapabilities::default()
        },
        webhooks: false,
        webhook_registration: false,
    }
}

const fn listing(
    path: &'static str,
    records: &'static str,
    map: fn(&RawValue, &ShopContext) -> Result<Vec<Record>>,
) -> Endpoint<ShopContext> {
    Endpoint {
        path: PathTemplate(path),
        call: Call::Get,
        params: &[
            ("output_format", "JSON"),
            ("display", "full"),
            ("sort", "[id_ASC]"),
        ],
        headers: &[],
        paging: Paging::OffsetInOne(OffsetInOne {
            param: "limit",
            total: None,
        }),
        // An empty list is `[]`, which the envelope takes as a page without records.
        envelope: Envelope::At(records),
        since: None,
        filters: None,
        max_page: MAX_PAGE,
        map,
    }
}

const ORDERS: Endpoint<ShopContext> = listing("orders", "/orders", mapping::order);
const PRODUCTS: Endpoint<ShopContext> = listing("products", "/products", mapping::product);

/// One connected PrestaShop shop.
#[derive(Debug)]
pub struct PrestaShopAdapter {
    config: PrestaShopConfig,
    transport: Transport,
    capabilities: Capabilities,
    context: OnceCell<ShopContext>,
}

impl PrestaShopAdapter {
    /// Builds the adapter; no request is sent until the first call.
    pub fn new(store: &StoreConfig, ctx: &AdapterContext) -> Result<Self> {
        let config = PrestaShopConfig::from_store(store)?;
        Ok(Self {
            transport: client::transport(store, &config, ctx),
            config,
            capabilities: capabilities(),
            context: OnceCell::new(),
        })
    }

    async fn context(&self) -> Result<&ShopContext> {
        self.context
            .get_or_try_init(|| client::load_context(&self.transport, &self.config))
            .await
    }

    /// Fills in the variants and stock of the products among `records` from their
    /// combinations and stock rows (two requests, whatever the number of products).
    async fn fill_variants(&self, records: &mut [Record]) -> Result<()> {
        let products = |with_variants: bool| -> Vec<String> {
            records
                .iter()
                .filter_map(|r| match r {
                    Record::Product(p) if !with_variants || !p.variants.is_empty() => {
                        IdGrammar::Numeric
                            .check(&p.platform_id)
                            .ok()
                            .map(str::to_owned)
                    }
                    _ => None,
                })
                .collect()
        };
        let (all, combined) = (products(false), products(true));
        if all.is_empty() {
            return Ok(());
        }
        let combinations: Vec<wire::Combination> = if combined.is_empty() {
            Vec::new()
        } else {
            self.rows("combinations", &combined).await?
        };
        let stock: Vec<wire::StockAvailable> = self.rows("stock_availables", &all).await?;
        for record in records {
            if let Record::Product(p) = record {
                mapping::with_combinations(p, &combinations, &stock);
            }
        }
        Ok(())
    }

    /// Every row of `collection` (`display=full`) of the products `ids`
    /// (`filter[id_product]=[1|2|3]`); `[]` is PrestaShop's empty answer.
    async fn rows<T: serde::de::DeserializeOwned>(
        &self,
        collection: &'static str,
        ids: &[String],
    ) -> Result<Vec<T>> {
        let filter = format!("[{}]", ids.join("|"));
        let request = Request::get(ApiPath::new(collection).under(&self.config.api_root)).query([
            ("output_format", "JSON"),
            ("display", "full"),
            ("filter[id_product]", filter.as_str()),
        ]);
        let response = self.transport.send(request).await?;
        let body = response.text()?;
        if body.trim() == "[]" {
            return Ok(Vec::new());
        }
        match polycart_kit::envelope::pointer(body, &format!("/{collection}"))? {
            Some(rows) => polycart_kit::error::decode_json(rows.get()),
            None => Ok(Vec::new()),
        }
    }
}

/// `filter[date_upd]=[from,9999-12-31 23:59:59]&date=1` in the shop's local time.
fn since_filter(query: &ListQuery, ctx: &ShopContext) -> Result<Vec<(&'static str, String)>> {
    let Some(since) = query.updated_since else {
        return Ok(Vec::new());
    };
    let offset = ctx.store.time_zone.ok_or_else(|| {
        Error::invalid(
            "the shop's time zone is unknown: incremental passes need it (set utc_offset)",
        )
    })?;
    let from = chrono::DateTime::from_timestamp(first_second(since), 0)
        .ok_or_else(|| Error::invalid("updated_since out of range"))?
        .with_timezone(&offset);
    Ok(vec![
        (
            "filter[date_upd]",
            format!("[{},9999-12-31 23:59:59]", from.format("%Y-%m-%d %H:%M:%S")),
        ),
        ("date", "1".to_owned()),
    ])
}

/// The registry's `connect`.
pub(crate) fn connect(store: &StoreConfig, ctx: &AdapterContext) -> Result<Arc<dyn Adapter>> {
    Ok(Arc::new(PrestaShopAdapter::new(store, ctx)?))
}

#[async_trait]
impl Adapter for PrestaShopAdapter {
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
        let extra = since_filter(query, ctx)?;
        let at = Target::new(&self.transport, &self.config.api_root);
        let mut page = endpoint.list(at, query, &extra, ctx).await?;
        if query.entity == Entity::Product {
            self.fill_variants(&mut page.records).await?;
        }
        Ok(page)
    }

    async fn get(&self, entity: Entity, platform_id: &str) -> Result<Record> {
        let (collection, key) = match entity {
            Entity::Order => ("orders", "/order"),
            Entity::Product => ("products", "/product"),
            other => return Err(Error::entity_unsupported(PLATFORM, other)),
        };
        let path = ApiPath::new(collection).id(IdGrammar::Numeric, platform_id)?;
        let ctx = self.context().await?;
        let request =
            Request::get(path.under(&self.config.api_root)).query([("output_format", "JSON")]);
        let response = self.transport.send(request).await?;
        let body = response.text()?;
        let raw = polycart_kit::envelope::pointer(body, key)?
            .ok_or_else(|| Error::decode("$", format!("no {:?} in the answer", &key[1..])))?;
        let map = mapping::mapper(entity)?;
        let mut records = map(raw, ctx)?;
        self.fill_variants(&mut records).await?;
        records
            .pop()
            .ok_or_else(|| Error::not_found(format!("{entity} {platform_id}")))
    }

    async fn write(&self, write: &Write) -> Result<Record> {
        let write = write.checked(numeric_ids)?;
        let (t, root) = (&self.transport, &self.config.api_root);
        let (entity, id) = match &write.op {
            WriteOp::UpdateOrderStatus {
                order_id, status, ..
            } => {
                writes::set_order_state(t, root, order_id, writes::state_id(*status)?).await?;
                (Entity::Order, order_id.clone())
            }
            WriteOp::SetInventory {
                product_id: Some(p),
                variant_id,
                change,
                ..
            } => {
                writes::set_stock(t, root, p, variant_id.as_deref(), *change).await?;
                (Entity::Product, p.clone())
            }
            WriteOp::UpdateProduct {
                product_id,
                variant_id,
                title,
                status,
                price,
                compare_at_price,
            } => {
                if compare_at_price.is_some() {
                    return Err(Error::unsupported(PLATFORM, "compare_at_price"));
                }
                let change = writes::ProductChange {
                    title: title.as_deref(),
                    active: status.map(writes::active),
                    price: *price,
                };
                match variant_id {
                    Some(v) => writes::update_combination(t, root, product_id, v, &change).await?,
                    None => writes::update_product(t, root, product_id, &change).await?,
                }
                (Entity::Product, product_id.clone())
            }
            WriteOp::SetInventory {
                product_id: None, ..
            } => {
                return Err(Error::invalid(
                    "PrestaShop stock is set by product_id (and variant_id)",
                ));
            }
            other => return Err(Error::unsupported(PLATFORM, other.name())),
        };
        self.get(entity, &id).await
    }
}
