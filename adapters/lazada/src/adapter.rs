//! The [`Adapter`] for one Lazada seller: what the platform offers per entity, its
//! listings declared as kit [`Endpoint`]s, the order items joined to their orders,
//! and its writes.
//!
//! - Orders: the kit's keyset by modification time over `/orders/get`
//!   (`update_after`/`update_before`, inclusive, ISO 8601 with an offset;
//!   `sort_by=updated_at&sort_direction=ASC`), each crowded second read on its own by
//!   `offset` in creation order (`sort_by=created_at`): an order changed mid-pass
//!   moves ahead of the position and is read again, none is skipped. Lazada requires a
//!   time filter, so a full pass starts from 2010. Each page's items come from
//!   `/orders/items/get?order_ids=[…]` (at most 50 ids a call) and each order is
//!   mapped from the composite `{"order", "items"}`.
//! - Products: `/products/get?filter=all` by `offset`/`limit` (≤ 50) over
//!   `update_after`.
//!
//! No paging loop is written here.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use http::HeaderMap;
use polycart_kit::adapter::{Cursor, EntityCapabilities, IdRole, Precision};
use polycart_kit::connector::AdapterContext;
use polycart_kit::endpoint::{Call, Endpoint, PathTemplate, Target};
use polycart_kit::envelope::Envelope;
use polycart_kit::error::decode_json;
use polycart_kit::model::Currency;
use polycart_kit::paging::{
    Bound, DateFormat, KeyFields, Keyset, Offset, Paging, Since, TieBreak, WindowBy,
};
use polycart_kit::transport::Request;
use polycart_kit::{
    Adapter, Capabilities, Entity, Error, IdGrammar, InventoryChange, ListQuery, Page, Record,
    Result, StoreConfig, StoreContext, WebhookEvent, Write, WriteCapabilities, WriteOp,
};
use serde_json::Value;
use serde_json::value::RawValue;

use crate::PLATFORM;
use crate::client::{self, Client, MAX_ITEM_ORDERS, MAX_PAGE, MAX_PRODUCT_PAGE};
use crate::config::LazadaConfig;
use crate::{fulfil, mapping, webhooks};

/// What Lazada offers: orders and products, listed by modification time, read by id and
/// counted; the category tree; SKU prices and stock written; shipments packed and marked
/// ready to ship (Lazada assigns the tracking number); signed pushes for orders and products.
pub fn capabilities() -> Capabilities {
    Capabilities {
        entities: vec![
            EntityCapabilities::basic(Entity::Order, MAX_PAGE)
                .incremental("update_after", Precision::Second)
                .webhooks(&["trade_order"]),
            EntityCapabilities::basic(Entity::Category, MAX_PAGE),
            EntityCapabilities::basic(Entity::Product, MAX_PRODUCT_PAGE)
                .incremental("update_after", Precision::Second)
                .webhooks(&[
                    "product_published",
                    "product_edited_updated",
                    "product_deleted",
                ]),
        ],
        bulk_export: false,
        writes: WriteCapabilities {
            product_price: true,
            inventory_set: true,
            shipment_platform_tracking: true,
            ..WriteCapabilities::default()
        },
        webhooks: true,
        webhook_registration: false,
    }
}

/// `GET /orders/get`, keyset by `updated_at`.
const ORDERS: Endpoint<StoreContext> = Endpoint {
    path: PathTemplate("orders/get"),
    call: Call::Get,
    params: &[],
    headers: &[],
    paging: Paging::Keyset(Keyset {
        since: Bound::Inclusive("update_after"),
        until: Bound::Inclusive("update_before"),
        format: DateFormat::Rfc3339Offset,
        sort: &[("sort_by", "updated_at"), ("sort_direction", "ASC")],
        limit: "limit",
        exclude: None,
        tie: TieBreak::Window {
            by: WindowBy::Offset("offset"),
            sort: &[("sort_by", "created_at"), ("sort_direction", "ASC")],
        },
        keys: KeyFields {
            id: "order_id",
            modified: "updated_at",
        },
    }),
    envelope: Envelope::At("/data/orders"),
    since: None,
    filters: None,
    max_page: MAX_PAGE,
    map: mapping::order,
};

/// `GET /products/get?filter=all`, by offset.
const PRODUCTS: Endpoint<StoreContext> = Endpoint {
    path: PathTemplate("products/get"),
    call: Call::Get,
    params: &[("filter", "all")],
    headers: &[],
    paging: Paging::Offset(Offset {
        offset: "offset",
        limit: "limit",
        total: None,
    }),
    envelope: Envelope::At("/data/products"),
    since: Some(Since {
        bound: Bound::Inclusive("update_after"),
        format: DateFormat::Rfc3339Offset,
    }),
    filters: None,
    max_page: MAX_PRODUCT_PAGE,
    map: mapping::product,
};

/// Lazada requires `created_after` or `update_after` on `/orders/get`: a full pass
/// starts here, before Lazada opened.
fn floor() -> DateTime<Utc> {
    DateTime::from_timestamp(1_262_304_000, 0).expect("2010-01-01 is a valid time")
}

/// Every Lazada id is numeric.
fn check_id(_: IdRole, id: &str) -> Result<String> {
    IdGrammar::Numeric.check(id).map(str::to_owned)
}

/// The currency of a venture.
fn region_currency(region: Option<&str>) -> Option<Currency> {
    let code = match region? {
        "sg" => "SGD",
        "my" => "MYR",
        "th" => "THB",
        "ph" => "PHP",
        "vn" => "VND",
        "id" => "IDR",
        _ => return None,
    };
    Currency::parse(code).ok()
}

/// Escapes text for an XML element.
fn xml(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The `payload` of `/product/price_quantity/update`: one SKU's price and/or stock.
pub fn price_quantity_payload(
    item_id: &str,
    sku_id: &str,
    price: Option<rust_decimal::Decimal>,
    quantity: Option<i64>,
) -> String {
    let mut sku = format!(
        "<ItemId>{}</ItemId><SkuId>{}</SkuId>",
        xml(item_id),
        xml(sku_id)
    );
    if let Some(p) = price {
        sku.push_str(&format!("<Price>{}</Price>", p.normalize()));
    }
    if let Some(q) = quantity {
        sku.push_str(&format!("<Quantity>{q}</Quantity>"));
    }
    format!("<Request><Product><Skus><Sku>{sku}</Sku></Skus></Product></Request>")
}

/// One connected Lazada seller.
#[derive(Debug)]
pub struct LazadaAdapter {
    config: LazadaConfig,
    client: Client,
    capabilities: Capabilities,
    context: StoreContext,
}

impl LazadaAdapter {
    /// Builds the adapter; no request is sent until the first call.
    pub fn new(store: &StoreConfig, ctx: &AdapterContext) -> Result<Self> {
        let config = LazadaConfig::from_store(store)?;
        let currency = region_currency(store.setting("region"));
        Ok(Self {
            client: client::client(store, &config, ctx),
            config,
            capabilities: capabilities(),
            context: StoreContext {
                currency,
                weight_unit: Some("kg".to_owned()),
                time_zone: None,
            },
        })
    }

    /// A fixed API path (`orders/get`) under the API root.
    fn url(&self, path: &'static str) -> Result<url::Url> {
        Ok(PathTemplate(path).build(&[])?.under(&self.config.api_root))
    }

    /// A GET answered with `{"code":"0","data":…}`: its `data`.
    async fn data(&self, path: &'static str, query: &[(&str, String)]) -> Result<Box<RawValue>> {
        let request =
            Request::get(self.url(path)?).query(query.iter().map(|(k, v)| (*k, v.as_str())));
        let response = self.client.send(request).await?;
        #[derive(serde::Deserialize)]
        struct Answer {
            data: Option<Box<RawValue>>,
        }
        let answer: Answer = decode_json(response.text()?)?;
        answer
            .data
            .ok_or_else(|| Error::decode("$.data", "missing"))
    }

    /// The items of `orders` (raw orders of `/orders/get`), by order id.
    async fn items_of(
        &self,
        ids: &[String],
    ) -> Result<std::collections::HashMap<String, Vec<Box<RawValue>>>> {
        #[derive(serde::Deserialize)]
        struct OrderItems {
            order_id: polycart_kit::decode::Id,
            #[serde(default)]
            order_items: Vec<Box<RawValue>>,
        }
        let mut by_order = std::collections::HashMap::new();
        for chunk in ids.chunks(MAX_ITEM_ORDERS) {
            let list = format!("[{}]", chunk.join(","));
            let data = self
                .data("orders/items/get", &[("order_ids", list)])
                .await?;
            let orders: Vec<OrderItems> = decode_json(data.get())?;
            for o in orders {
                by_order.insert(o.order_id.0, o.order_items);
            }
        }
        Ok(by_order)
    }

    /// The composite `{"order": …, "items": […]}` of an order and its items.
    fn composite(order: &RawValue, items: &[Box<RawValue>]) -> Result<Box<RawValue>> {
        let mut text = String::from("{\"order\":");
        text.push_str(order.get());
        text.push_str(",\"items\":[");
        for (i, it) in items.iter().enumerate() {
            if i > 0 {
                text.push(',');
            }
            text.push_str(it.get());
        }
        text.push_str("]}");
        RawValue::from_string(text).map_err(|e| Error::decode("$", e.to_string()))
    }

    async fn list_orders(&self, query: &ListQuery) -> Result<Page> {
        let mut q = query.clone();
        if q.updated_since.is_none() {
            q.updated_since = Some(floor());
        }
        let at = Target::new(&self.client.transport, &self.config.api_root);
        let page = ORDERS.fetch(at, &q, &[]).await?;
        let mut ids = Vec::with_capacity(page.items.len());
        for (i, item) in page.items.iter().enumerate() {
            let key = KeyFields {
                id: "order_id",
                modified: "updated_at",
            }
            .read(item)
            .map_err(|e| ORDERS.envelope.at_item(e, i))?;
            ids.push(IdGrammar::Numeric.check(&key.id)?.to_owned());
        }
        let mut items = if ids.is_empty() {
            Default::default()
        } else {
            self.items_of(&ids).await?
        };
        let mut records = Vec::with_capacity(page.items.len());
        for (i, (order, id)) in page.items.iter().zip(&ids).enumerate() {
            let composite = Self::composite(order, &items.remove(id).unwrap_or_default())?;
            records.extend(
                mapping::order(&composite, &self.context)
                    .map_err(|e| ORDERS.envelope.at_item(e, i))?,
            );
        }
        Ok(Page {
            records,
            next: page.next,
        })
    }

    async fn get_order(&self, id: &str) -> Result<Record> {
        let order = self
            .data("order/get", &[("order_id", id.to_owned())])
            .await?;
        let items = self
            .data("order/items/get", &[("order_id", id.to_owned())])
            .await?;
        let items: Vec<Box<RawValue>> = decode_json(items.get())?;
        let composite = Self::composite(&order, &items)?;
        mapping::order(&composite, &self.context)?
            .pop()
            .ok_or_else(|| Error::not_found(format!("order {id}")))
    }

    /// The venture's category tree, every node a record, depth first.
    async fn categories(&self) -> Result<Vec<Record>> {
        let data = self.data("category/tree/get", &[]).await?;
        let roots: Vec<Box<RawValue>> = decode_json(data.get())?;
        let mut out = Vec::new();
        for (i, root) in roots.iter().enumerate() {
            out.extend(
                mapping::category(root, &self.context)
                    .map_err(|e| Envelope::At("/data").at_item(e, i))?,
            );
        }
        Ok(out)
    }

    /// A page of the category tree: Lazada serves the tree in one answer, so pages are
    /// cut from it at an offset (`{"offset": n}`).
    async fn list_categories(&self, query: &ListQuery) -> Result<Page> {
        #[derive(serde::Serialize, serde::Deserialize)]
        struct At {
            offset: usize,
        }
        let offset = match &query.cursor {
            Some(c) => c.decode::<At>()?.offset,
            None => 0,
        };
        let size = query.page_size_or(MAX_PAGE) as usize;
        let all = self.categories().await?;
        let end = offset.saturating_add(size);
        let next = (end < all.len()).then(|| Cursor::encode(&At { offset: end }));
        Ok(Page {
            records: all.into_iter().skip(offset).take(size).collect(),
            next,
        })
    }

    async fn get_product(&self, id: &str) -> Result<Record> {
        let product = self
            .data("product/item/get", &[("item_id", id.to_owned())])
            .await?;
        mapping::product(&product, &self.context)?
            .pop()
            .ok_or_else(|| Error::not_found(format!("product {id}")))
    }

    /// Sets a SKU's price and/or stock. Setting a value twice sets it once: repeatable.
    async fn price_quantity(
        &self,
        item_id: &str,
        sku_id: &str,
        price: Option<rust_decimal::Decimal>,
        quantity: Option<i64>,
    ) -> Result<()> {
        let payload = price_quantity_payload(item_id, sku_id, price, quantity);
        let request = client::form_post(
            self.url("product/price_quantity/update")?,
            &[("payload", payload)],
        )
        .idempotent(true);
        self.client.send(request).await.map(|_| ())
    }
}

impl LazadaAdapter {
    /// Packs what is left of an order (or the given units) and marks its packages ready
    /// to ship (`fulfil.rs`), then re-reads the order, which shows them with the
    /// tracking numbers Lazada assigned.
    async fn pack_and_ship(
        &self,
        order: &str,
        wanted: &[polycart_kit::ShipmentItem],
    ) -> Result<Record> {
        let items = self
            .data("order/items/get", &[("order_id", order.to_owned())])
            .await?;
        let items: Vec<fulfil::UnitItem> = decode_json(items.get())?;
        let plan = fulfil::plan(order, &items, wanted)?;
        let mut ready = plan.ready;
        let mut refused = Vec::new();
        if !plan.pack.is_empty() {
            let req = fulfil::pack_request(order, &plan.pack, &self.config.shipping_allocate_type);
            let request = client::form_post(self.url("order/fulfill/pack")?, &[("packReq", req)]);
            let packed = fulfil::read_pack(self.client.send(request).await?.text()?)?;
            ready.extend(packed.packages);
            refused.extend(packed.refused);
        }
        for batch in ready.chunks(fulfil::MAX_BATCH) {
            let req = fulfil::ready_request(batch);
            let request =
                client::form_post(self.url("order/package/rts")?, &[("readyToShipReq", req)]);
            refused.extend(fulfil::read_ready(
                self.client.send(request).await?.text()?,
            )?);
        }
        if !refused.is_empty() {
            return Err(Error::invalid(format!(
                "Lazada refused part of the shipment of order {order}: {}",
                refused.join("; ")
            )));
        }
        self.get_order(order).await
    }
}

/// The registry's `connect`.
pub(crate) fn connect(store: &StoreConfig, ctx: &AdapterContext) -> Result<Arc<dyn Adapter>> {
    Ok(Arc::new(LazadaAdapter::new(store, ctx)?))
}

/// A count in a listing's `data` (`countTotal`, `total_products`), a number or a
/// string of digits.
fn count_at(body: &str, field: &str) -> Result<u64> {
    let v: Value = decode_json(body)?;
    match v.pointer(&format!("/data/{field}")) {
        Some(Value::Number(n)) => n.as_u64(),
        Some(Value::String(s)) => s.trim().parse().ok(),
        _ => None,
    }
    .ok_or_else(|| Error::decode(format!("$.data.{field}"), "missing"))
}

#[async_trait]
impl Adapter for LazadaAdapter {
    fn platform(&self) -> &'static str {
        PLATFORM
    }

    fn capabilities(&self) -> &Capabilities {
        &self.capabilities
    }

    async fn list(&self, query: &ListQuery) -> Result<Page> {
        self.capabilities.check_query(PLATFORM, query)?;
        match query.entity {
            Entity::Order => self.list_orders(query).await,
            Entity::Product => {
                let at = Target::new(&self.client.transport, &self.config.api_root);
                PRODUCTS.list(at, query, &[], &self.context).await
            }
            Entity::Category => self.list_categories(query).await,
            other => Err(Error::entity_unsupported(PLATFORM, other)),
        }
    }

    async fn get(&self, entity: Entity, platform_id: &str) -> Result<Record> {
        let id = IdGrammar::Numeric.check(platform_id)?;
        match entity {
            Entity::Order => self.get_order(id).await,
            Entity::Product => self.get_product(id).await,
            Entity::Category => self
                .categories()
                .await?
                .into_iter()
                .find(|c| c.platform_id() == id)
                .ok_or_else(|| Error::not_found(format!("category {id}"))),
            other => Err(Error::entity_unsupported(PLATFORM, other)),
        }
    }

    async fn count(&self, query: &ListQuery) -> Result<u64> {
        self.capabilities.check_query(PLATFORM, query)?;
        if query.entity == Entity::Category {
            return Ok(self.categories().await?.len() as u64);
        }
        let mut one = query.clone().with_cursor(None).page_size(1);
        let (endpoint, field) = match query.entity {
            Entity::Order => {
                if one.updated_since.is_none() {
                    one.updated_since = Some(floor());
                }
                (&ORDERS, "countTotal")
            }
            Entity::Product => (&PRODUCTS, "total_products"),
            other => return Err(Error::entity_unsupported(PLATFORM, other)),
        };
        let request = endpoint.request(&self.config.api_root, &[], &one, &[])?;
        let response = self.client.send(request).await?;
        count_at(response.text()?, field)
    }

    async fn write(&self, write: &Write) -> Result<Record> {
        let write = write.checked(check_id)?;
        match &write.op {
            WriteOp::UpdateProduct {
                product_id,
                variant_id,
                title,
                price,
                status,
                compare_at_price,
            } => {
                if title.is_some() || status.is_some() || compare_at_price.is_some() {
                    return Err(Error::unsupported(
                        PLATFORM,
                        "product title, status and compare-at price",
                    ));
                }
                let price = price.ok_or_else(|| Error::invalid("nothing to update"))?;
                let sku = variant_id.as_deref().ok_or_else(|| {
                    Error::invalid("Lazada prices are per SKU: give variant_id (the SkuId)")
                })?;
                self.price_quantity(product_id, sku, Some(price), None)
                    .await?;
                self.get_product(product_id).await
            }
            WriteOp::SetInventory {
                product_id,
                variant_id,
                change,
                ..
            } => {
                let (Some(item), Some(sku)) = (product_id.as_deref(), variant_id.as_deref()) else {
                    return Err(Error::invalid(
                        "Lazada stock is set per SKU: give product_id (item_id) and variant_id (SkuId)",
                    ));
                };
                let InventoryChange::Absolute(n) = change else {
                    return Err(Error::unsupported(PLATFORM, "stock deltas"));
                };
                self.price_quantity(item, sku, None, Some(*n)).await?;
                self.get_product(item).await
            }
            WriteOp::CreateShipment {
                order_id,
                carrier,
                tracking_number,
                tracking_url,
                line_items,
                notify_customer: _,
            } => {
                if tracking_number.is_some() || tracking_url.is_some() {
                    return Err(Error::unsupported(
                        PLATFORM,
                        "a caller's tracking number (Lazada's logistics assign it when items are packed: omit tracking_number and tracking_url, and read it from the returned order)",
                    ));
                }
                if carrier.is_some() {
                    return Err(Error::unsupported(
                        PLATFORM,
                        "choosing the carrier (Lazada allocates it: setting shipping_allocate_type)",
                    ));
                }
                self.pack_and_ship(order_id, line_items).await
            }
            other => Err(Error::unsupported(PLATFORM, other.name())),
        }
    }

    fn verify_webhook(&self, headers: &HeaderMap, body: &[u8]) -> Result<WebhookEvent> {
        webhooks::verify(&self.config.app_key, &self.config.app_secret, headers, body)
    }
}
