//! The [`Adapter`] for one Etsy shop: what the platform offers per entity, its
//! listings declared as kit [`Endpoint`]s, its writes and its webhooks.
//!
//! - Orders (receipts): offset paging (`limit` ≤ 100, `offset`, the answer's `count`)
//!   sorted by creation time, oldest first (`sort_on=created&sort_order=asc`): a
//!   receipt changed mid-pass keeps its place, so none is skipped; incremental passes
//!   add `min_last_modified` (unix seconds, inclusive).
//! - Products (listings with `includes=Images,Inventory`): Etsy lists one `state` at
//!   a time, so a pass walks the states in turn, each by offset sorted by creation;
//!   the cursor names the state and the offset. Etsy offers no modification filter on
//!   listings: product passes are full.
//! - Categories (shop sections): Etsy answers every section at once; pages are cut
//!   from that answer by offset.
//!
//! No paging loop is written here: the kit's endpoint driver pages.

use std::sync::Arc;

use async_trait::async_trait;
use http::{HeaderMap, Method};
use polycart_kit::adapter::{Cursor, EntityCapabilities, IdRole, Precision};
use polycart_kit::connector::AdapterContext;
use polycart_kit::endpoint::{Call, Endpoint, PathTemplate, Target};
use polycart_kit::envelope::Envelope;
use polycart_kit::paging::{Bound, DateFormat, Offset, Paging, Since, Total, first_second};
use polycart_kit::transport::{Request, Transport};
use polycart_kit::{
    Adapter, ApiPath, Capabilities, Entity, Error, IdGrammar, ListQuery, Page, Record, Result,
    StoreConfig, StoreContext, WebhookEvent, Write, WriteCapabilities, WriteOp,
};
use serde::{Deserialize, Serialize};
use tokio::sync::OnceCell;

use crate::PLATFORM;
use crate::client::{self, MAX_PAGE, ShopInfo};
use crate::config::EtsyConfig;
use crate::{mapping, webhooks, writes};

/// What Etsy offers: receipts by modification time, listings and shop sections in
/// full passes, all read by id and counted; listing prices and stock and receipt
/// shipments written; `order.paid` webhooks verified when a signing secret is given.
pub fn capabilities() -> Capabilities {
    with_webhooks(true)
}

fn with_webhooks(webhooks: bool) -> Capabilities {
    let order = EntityCapabilities::basic(Entity::Order, MAX_PAGE)
        .incremental("min_last_modified", Precision::Second)
        .created_filter();
    Capabilities {
        entities: vec![
            if webhooks {
                order.webhooks(&["order.paid"])
            } else {
                order
            },
            EntityCapabilities::basic(Entity::Product, MAX_PAGE),
            EntityCapabilities::basic(Entity::Category, MAX_PAGE),
        ],
        bulk_export: false,
        writes: WriteCapabilities {
            product_price: true,
            product_title: true,
            inventory_set: true,
            inventory_adjust: true,
            shipment_create: true,
            ..WriteCapabilities::default()
        },
        webhooks,
        webhook_registration: false,
    }
}

/// `min_created` of a query's `created_since` (unix seconds).
fn created(q: &ListQuery) -> Result<Vec<(&'static str, String)>> {
    Ok(q.created_since
        .map(|t| ("min_created", first_second(t).to_string()))
        .into_iter()
        .collect())
}

const OFFSET: Paging = Paging::Offset(Offset {
    offset: "offset",
    limit: "limit",
    total: Some(Total::At("/count")),
});

/// `GET /shops/{shop_id}/receipts?sort_on=created&sort_order=asc&min_last_modified=…`.
const RECEIPTS: Endpoint<StoreContext> = Endpoint {
    path: PathTemplate("shops/{shop_id}/receipts"),
    call: Call::Get,
    params: &[("sort_on", "created"), ("sort_order", "asc")],
    headers: &[("accept", "application/json")],
    paging: OFFSET,
    envelope: Envelope::At("/results"),
    since: Some(Since {
        bound: Bound::Inclusive("min_last_modified"),
        format: DateFormat::UnixSeconds,
    }),
    filters: Some(created),
    max_page: MAX_PAGE,
    map: mapping::order,
};

/// `GET /shops/{shop_id}/listings?state=…&includes=Images,Inventory`, one state at a
/// time.
const LISTINGS: Endpoint<StoreContext> = Endpoint {
    path: PathTemplate("shops/{shop_id}/listings"),
    call: Call::Get,
    params: &[
        ("includes", "Images,Inventory"),
        ("sort_on", "created"),
        ("sort_order", "asc"),
    ],
    headers: &[("accept", "application/json")],
    paging: OFFSET,
    envelope: Envelope::At("/results"),
    since: None,
    filters: None,
    max_page: MAX_PAGE,
    map: mapping::product,
};

/// The listing states Etsy lists (`getListingsByShop`'s `state`), in pass order.
pub const STATES: &[&str] = &["active", "inactive", "sold_out", "draft", "expired"];

/// Where a product pass is: a state and the offset cursor within it.
#[derive(Debug, Serialize, Deserialize)]
struct StateCursor {
    state: usize,
    at: Option<String>,
}

/// Where a category pass is in the one answer Etsy gives.
#[derive(Debug, Serialize, Deserialize)]
struct SliceCursor {
    offset: usize,
}

/// Whether a listing body names `shop_id` as its shop (a body without `shop_id` is
/// taken as the shop's: the listing was asked for under it).
pub(crate) fn owned_by(listing: &str, shop_id: &str) -> Result<bool> {
    let field = polycart_kit::envelope::field(listing, "shop_id")?;
    Ok(match field {
        None => true,
        Some(raw) => {
            let id: polycart_kit::decode::Id = polycart_kit::error::decode_json(raw.get())?;
            id.0 == shop_id
        }
    })
}

/// A listing body with its inventory added as `inventory`, the way
/// `getListingsByShop` includes it: the texts are joined, not re-serialised, so `raw`
/// keeps Etsy's numbers exactly as sent.
pub(crate) fn with_inventory(listing: &str, inventory: &str) -> Result<String> {
    let inventory: &serde_json::value::RawValue =
        polycart_kit::error::decode_json_borrowed(inventory)?;
    if polycart_kit::envelope::field(listing, "inventory")?.is_some() {
        return Ok(listing.to_owned());
    }
    let body = listing
        .trim()
        .strip_prefix('{')
        .ok_or_else(|| Error::decode("$", "the listing is not a JSON object"))?;
    let rest = body.trim_start();
    let sep = if rest.starts_with('}') { "" } else { "," };
    Ok(format!("{{\"inventory\":{}{sep}{body}", inventory.get()))
}

/// Etsy's ids are all numeric (64-bit).
fn check_id(_: IdRole, id: &str) -> Result<String> {
    IdGrammar::Numeric.check(id).map(str::to_owned)
}

/// One connected Etsy shop.
#[derive(Debug)]
pub struct EtsyAdapter {
    config: EtsyConfig,
    transport: Transport,
    capabilities: Capabilities,
    shop: OnceCell<ShopInfo>,
}

impl EtsyAdapter {
    /// Builds the adapter; no request is sent until the first call.
    pub fn new(store: &StoreConfig, ctx: &AdapterContext) -> Result<Self> {
        let config = EtsyConfig::from_store(store)?;
        Ok(Self {
            transport: client::transport(store, &config, ctx)?,
            capabilities: with_webhooks(config.webhook_secret.is_some()),
            config,
            shop: OnceCell::new(),
        })
    }

    /// The shop (id and currency), read once.
    async fn shop(&self) -> Result<&ShopInfo> {
        self.shop
            .get_or_try_init(|| client::load_shop(&self.transport, &self.config))
            .await
    }

    pub(crate) fn transport(&self) -> &Transport {
        &self.transport
    }

    pub(crate) fn api_root(&self) -> &url::Url {
        &self.config.api_root
    }

    /// `shops/{shop_id}/…` for this shop.
    pub(crate) async fn shop_path(&self) -> Result<ApiPath> {
        let shop = self.shop().await?;
        ApiPath::new("shops").id(IdGrammar::Numeric, &shop.shop_id)
    }

    /// The path of one record.
    async fn record_path(&self, entity: Entity, id: &str) -> Result<ApiPath> {
        let id = IdGrammar::Numeric.check(id)?;
        Ok(match entity {
            Entity::Order => self
                .shop_path()
                .await?
                .lit("receipts")
                .id(IdGrammar::Numeric, id)?,
            Entity::Product => ApiPath::new("listings").id(IdGrammar::Numeric, id)?,
            Entity::Category => self
                .shop_path()
                .await?
                .lit("sections")
                .id(IdGrammar::Numeric, id)?,
            other => return Err(Error::entity_unsupported(PLATFORM, other)),
        })
    }

    /// `GET /listings/{id}?includes=Images`, refused as `NotFound` when it is another
    /// shop's: Etsy serves any shop's listing to a read. (The current OAS no longer
    /// lists `Inventory` among `getListing`'s includes; only `getListingsByShop`
    /// keeps it.)
    pub(crate) async fn own_listing(&self, id: &str) -> Result<String> {
        let shop = self.shop().await?;
        let path = self.record_path(Entity::Product, id).await?;
        let request =
            Request::get(path.under(&self.config.api_root)).query([("includes", "Images")]);
        let response = self.transport.send(request).await?;
        let text = response.text()?;
        if !owned_by(text, &shop.shop_id)? {
            return Err(Error::not_found(format!("listing {id} in this shop")));
        }
        Ok(text.to_owned())
    }

    /// Reads one record and maps it; a listing with its inventory (read on its own).
    pub(crate) async fn read(&self, entity: Entity, id: &str) -> Result<Record> {
        let path = self.record_path(entity, id).await?;
        let shop = self.shop().await?;
        let text = if entity == Entity::Product {
            let listing = self.own_listing(id).await?;
            let inventory = self
                .transport
                .send(Request::get(
                    path.lit("inventory").under(&self.config.api_root),
                ))
                .await?;
            with_inventory(&listing, inventory.text()?)?
        } else {
            let response = self
                .transport
                .send(Request::get(path.under(&self.config.api_root)))
                .await?;
            response.text()?.to_owned()
        };
        let raw: Box<serde_json::value::RawValue> = polycart_kit::error::decode_json(&text)?;
        mapping::mapper(entity)?(&raw, &shop.context)?
            .pop()
            .ok_or_else(|| Error::not_found(format!("{entity} {id}")))
    }

    async fn list_products(&self, query: &ListQuery) -> Result<Page> {
        let shop = self.shop().await?;
        let mut at: StateCursor = match &query.cursor {
            Some(c) => c.decode()?,
            None => StateCursor { state: 0, at: None },
        };
        let args = [("shop_id", shop.shop_id.as_str())];
        let target = Target {
            transport: &self.transport,
            root: &self.config.api_root,
            args: &args,
        };
        loop {
            let state = *STATES
                .get(at.state)
                .ok_or_else(|| Error::invalid("unrecognised cursor: no such listing state"))?;
            let inner = query.clone().with_cursor(at.at.take().map(Cursor::new));
            let page = LISTINGS
                .list(
                    target,
                    &inner,
                    &[("state", state.to_owned())],
                    &shop.context,
                )
                .await?;
            let next = match page.next {
                Some(c) => Some(StateCursor {
                    state: at.state,
                    at: Some(c.0),
                }),
                None if at.state + 1 < STATES.len() => Some(StateCursor {
                    state: at.state + 1,
                    at: None,
                }),
                None => None,
            };
            // An empty state is stepped over here, so a pass ends at most one
            // empty page after its last record.
            match next {
                Some(n) if page.records.is_empty() => at = n,
                next => {
                    return Ok(Page {
                        records: page.records,
                        next: next.map(|n| Cursor::encode(&n)),
                    });
                }
            }
        }
    }

    /// Every shop section, in Etsy's order.
    async fn sections(&self) -> Result<Vec<Record>> {
        let url = self
            .shop_path()
            .await?
            .lit("sections")
            .under(&self.config.api_root);
        let ctx = &self.shop().await?.context;
        let response = self.transport.send(Request::get(url)).await?;
        let body = response.text()?;
        let envelope = Envelope::At("/results");
        let mut out = Vec::new();
        for (i, item) in envelope.split(body)?.iter().enumerate() {
            out.extend(mapping::category(item, ctx).map_err(|e| envelope.at_item(e, i))?);
        }
        Ok(out)
    }

    async fn list_categories(&self, query: &ListQuery) -> Result<Page> {
        let offset = match &query.cursor {
            Some(c) => c.decode::<SliceCursor>()?.offset,
            None => 0,
        };
        let all = self.sections().await?;
        let size = query.page_size_or(MAX_PAGE) as usize;
        let end = offset.saturating_add(size).min(all.len());
        let records = all
            .get(offset..end)
            .map(<[Record]>::to_vec)
            .unwrap_or_default();
        let next = (end < all.len()).then(|| Cursor::encode(&SliceCursor { offset: end }));
        Ok(Page { records, next })
    }

    /// `count` of one listing: the answer's `count` with `limit=1`.
    async fn count_of(
        &self,
        endpoint: &Endpoint<StoreContext>,
        query: &ListQuery,
        extra: &[(&str, String)],
    ) -> Result<u64> {
        let shop = self.shop().await?;
        let one = query.clone().with_cursor(None).page_size(1);
        let args = [("shop_id", shop.shop_id.as_str())];
        let request = endpoint.request(&self.config.api_root, &args, &one, extra)?;
        let body: serde_json::Value = self.transport.send(request).await?.json()?;
        body.get("count")
            .and_then(serde_json::Value::as_u64)
            .ok_or_else(|| Error::decode("$.count", "missing"))
    }

    /// A request with a JSON body to `path` (under the API root).
    pub(crate) fn request(
        &self,
        method: Method,
        path: &ApiPath,
        body: &serde_json::Value,
    ) -> Request {
        Request::new(method, path.under(&self.config.api_root)).json(body)
    }
}

/// The registry's `connect`.
pub(crate) fn connect(store: &StoreConfig, ctx: &AdapterContext) -> Result<Arc<dyn Adapter>> {
    Ok(Arc::new(EtsyAdapter::new(store, ctx)?))
}

#[async_trait]
impl Adapter for EtsyAdapter {
    fn platform(&self) -> &'static str {
        PLATFORM
    }

    fn capabilities(&self) -> &Capabilities {
        &self.capabilities
    }

    async fn list(&self, query: &ListQuery) -> Result<Page> {
        self.capabilities.check_query(PLATFORM, query)?;
        match query.entity {
            Entity::Order => {
                let shop = self.shop().await?;
                let args = [("shop_id", shop.shop_id.as_str())];
                let target = Target {
                    transport: &self.transport,
                    root: &self.config.api_root,
                    args: &args,
                };
                RECEIPTS.list(target, query, &[], &shop.context).await
            }
            Entity::Product => self.list_products(query).await,
            Entity::Category => self.list_categories(query).await,
            other => Err(Error::entity_unsupported(PLATFORM, other)),
        }
    }

    async fn get(&self, entity: Entity, platform_id: &str) -> Result<Record> {
        self.read(entity, platform_id).await
    }

    async fn count(&self, query: &ListQuery) -> Result<u64> {
        self.capabilities.check_query(PLATFORM, query)?;
        match query.entity {
            Entity::Order => self.count_of(&RECEIPTS, query, &[]).await,
            Entity::Product => {
                let mut total = 0u64;
                for state in STATES {
                    total += self
                        .count_of(&LISTINGS, query, &[("state", (*state).to_owned())])
                        .await?;
                }
                Ok(total)
            }
            Entity::Category => Ok(self.sections().await?.len() as u64),
            other => Err(Error::entity_unsupported(PLATFORM, other)),
        }
    }

    async fn write(&self, write: &Write) -> Result<Record> {
        let write = write.checked(check_id)?;
        match &write.op {
            WriteOp::UpdateProduct { .. } | WriteOp::SetInventory { .. } => {
                writes::inventory(self, &write.op).await
            }
            WriteOp::CreateShipment { .. } => writes::shipment(self, &write.op).await,
            other => Err(Error::unsupported(PLATFORM, other.name())),
        }
    }

    fn verify_webhook(&self, headers: &HeaderMap, body: &[u8]) -> Result<WebhookEvent> {
        let event = webhooks::verify(self.config.webhook_secret.as_ref(), headers, body)?;
        // An app's endpoint receives every shop's events: another shop's are not
        // this store's to act on (they reach that shop's store at its own address).
        let ours = self
            .config
            .shop_id
            .as_deref()
            .or_else(|| self.shop.get().map(|s| s.shop_id.as_str()));
        match (ours, event.meta.get("shop_id")) {
            (Some(ours), Some(theirs)) if ours != theirs => Err(Error::invalid(format!(
                "the delivery is for Etsy shop {theirs}, not this store's shop {ours}"
            ))),
            _ => Ok(event),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_listing_gets_its_inventory_without_re_serialising() {
        let joined = with_inventory(
            r#"{"listing_id": 1, "item_weight": 450.0}"#,
            r#"{"products": [], "price_on_property": []}"#,
        )
        .unwrap();
        let v: serde_json::Value = serde_json::from_str(&joined).unwrap();
        assert_eq!(v["inventory"]["products"], serde_json::json!([]));
        assert!(joined.contains("450.0"), "{joined}");
        assert_eq!(with_inventory("{}", "{}").unwrap(), r#"{"inventory":{}}"#);
        // Already there (an older answer that honoured includes=Inventory): kept.
        let has = r#"{"listing_id": 1, "inventory": {"products": []}}"#;
        assert_eq!(with_inventory(has, "{}").unwrap(), has);
        assert!(with_inventory("[1]", "{}").is_err());
        assert!(with_inventory("{}", "not json").is_err());
    }

    #[test]
    fn another_shops_listing_is_not_ours() {
        assert!(owned_by(r#"{"listing_id": 1, "shop_id": 30000003}"#, "30000003").unwrap());
        assert!(!owned_by(r#"{"listing_id": 1, "shop_id": 99}"#, "30000003").unwrap());
        assert!(owned_by(r#"{"listing_id": 1}"#, "30000003").unwrap());
        assert!(owned_by("[", "1").is_err());
    }
}
