//! The [`Adapter`] for one Wix site: what the platform offers per entity, its listings
//! declared as kit [`Endpoint`]s (POST searches whose bodies `client.rs` builds), its
//! writes and its webhooks.
//!
//! - Orders: `POST /ecom/v1/orders/search`, sorted by `updatedDate` ascending with
//!   `cursorPaging`: Wix's cursor holds the position, so an order changed mid-pass
//!   moves past it and is read again, never skipped. Each page's fulfillments and
//!   refunds come from one request each to the Order Fulfillments and Order
//!   Transactions APIs.
//! - Products (Stores Catalog V1, `POST /stores/v1/products/query`, offset paging):
//!   the kit's keyset by `lastUpdated`, each crowded second read by offset in
//!   `numericId` order, so a product changed mid-pass is read again, never skipped.
//! - Collections as categories and contacts as customers: offset paging in an order
//!   no change reshuffles (collections as Wix lists them, contacts by `createdDate`).
//!
//! No paging loop is written here.

use std::sync::Arc;

use async_trait::async_trait;
use http::{HeaderMap, Method};
use polycart_kit::adapter::{EntityCapabilities, IdRole, Precision};
use polycart_kit::connector::AdapterContext;
use polycart_kit::endpoint::{Call, Endpoint, PathTemplate, Target};
use polycart_kit::envelope::{Envelope, field, pointer};
use polycart_kit::model::{OrderStatus, ProductStatus};
use polycart_kit::paging::{
    BodyToken, Bound, DateFormat, KeyFields, Keyset, Offset, Paging, Since, TieBreak, Total,
    WindowBy,
};
use polycart_kit::transport::{Request, Transport};
use polycart_kit::{
    Adapter, ApiPath, Capabilities, Entity, Error, IdGrammar, InventoryChange, ListQuery, Page,
    Record, Result, StoreConfig, StoreContext, WebhookEvent, Write, WriteCapabilities, WriteOp,
};
use rust_decimal::Decimal;
use serde_json::value::RawValue;
use serde_json::{Value, json};

use crate::PLATFORM;
use crate::client::{self, MAX_PAGE};
use crate::config::WixConfig;
use crate::mapping::{self, Beside, DEFAULT_VARIANT};
use crate::webhooks;

/// What Wix offers: orders, products, categories and customers listed, read by id
/// and (except orders, whose cursor paging has no total) counted; orders, products
/// and customers by modification time; fulfillments, cancellations, stock, prices,
/// titles and visibility written; webhook JWTs.
pub fn capabilities() -> Capabilities {
    capabilities_with(true)
}

fn capabilities_with(webhooks: bool) -> Capabilities {
    Capabilities {
        entities: vec![
            EntityCapabilities::basic(Entity::Order, MAX_PAGE)
                .without_count()
                .incremental("updatedDate", Precision::Second)
                .created_filter()
                .webhooks(&[
                    "wix.ecom.v1.order_created",
                    "wix.ecom.v1.order_updated",
                    "wix.ecom.v1.order_approved",
                    "wix.ecom.v1.order_canceled",
                ]),
            EntityCapabilities::basic(Entity::Product, MAX_PAGE)
                .incremental("lastUpdated", Precision::Second)
                .webhooks(&[
                    "wix.stores.v1.product_created",
                    "wix.stores.v1.product_changed",
                    "wix.stores.v1.product_deleted",
                ]),
            EntityCapabilities::basic(Entity::Category, MAX_PAGE),
            EntityCapabilities::basic(Entity::Customer, MAX_PAGE)
                .incremental("updatedDate", Precision::Second)
                .webhooks(&[
                    "wix.contacts.v4.contact_created",
                    "wix.contacts.v4.contact_updated",
                    "wix.contacts.v4.contact_deleted",
                ]),
        ],
        bulk_export: false,
        writes: WriteCapabilities {
            product_price: true,
            product_title: true,
            product_status: true,
            inventory_set: true,
            inventory_adjust: true,
            order_status: true,
            shipment_create: true,
            ..WriteCapabilities::default()
        },
        webhooks,
        webhook_registration: false,
    }
}

/// `createdDate.$gt` of a query's `created_since` (Wix keeps milliseconds: from the
/// second before, so nothing of that second is lost).
fn created(q: &ListQuery) -> Result<Vec<(&'static str, String)>> {
    Ok(q.created_since
        .map(|t| {
            Bound::Exclusive("createdDate.$gt")
                .from(polycart_kit::paging::first_second(t), DateFormat::Rfc3339)
        })
        .into_iter()
        .collect())
}

/// Modification-time filters as `$gt` the second before: Wix keeps milliseconds, so
/// `$gte` of the next whole second would miss the rest of the first one.
const UPDATED_SINCE: Since = Since {
    bound: Bound::Exclusive("updatedDate.$gt"),
    format: DateFormat::Rfc3339,
};

/// `POST /ecom/v1/orders/search`, oldest change first, with `cursorPaging`.
const ORDERS: Endpoint<StoreContext> = Endpoint {
    path: PathTemplate("ecom/v1/orders/search"),
    call: Call::Search(client::ecom_search),
    params: &[("sort", "updatedDate")],
    headers: &[],
    paging: Paging::Token(BodyToken {
        param: "cursor",
        size: Some("limit"),
        next: "/metadata/cursors/next",
        more: None,
        filters_first_page_only: true,
    }),
    envelope: Envelope::At("/orders"),
    since: Some(UPDATED_SINCE),
    filters: Some(created),
    max_page: MAX_PAGE,
    map: mapping::order,
};

/// `POST /stores/v1/products/query` with variants, keyset by `lastUpdated`.
const PRODUCTS: Endpoint<StoreContext> = Endpoint {
    path: PathTemplate("stores/v1/products/query"),
    call: Call::Search(client::catalog_query),
    params: &[("includeVariants", "true")],
    headers: &[],
    paging: Paging::Keyset(Keyset {
        since: Bound::Inclusive("lastUpdated.$gte"),
        // Milliseconds: "before the next second" holds all of this one.
        until: Bound::Exclusive("lastUpdated.$lt"),
        format: DateFormat::Rfc3339,
        sort: &[("sort", "lastUpdated")],
        limit: "limit",
        exclude: None,
        tie: TieBreak::Window {
            by: WindowBy::Offset("offset"),
            sort: &[("sort", "numericId")],
        },
        keys: KeyFields {
            id: "id",
            modified: "lastUpdated",
        },
    }),
    envelope: Envelope::At("/products"),
    since: None,
    filters: None,
    max_page: MAX_PAGE,
    map: mapping::product,
};

/// `POST /stores/v1/collections/query`, by offset.
const COLLECTIONS: Endpoint<StoreContext> = Endpoint {
    path: PathTemplate("stores/v1/collections/query"),
    call: Call::Search(client::catalog_query),
    params: &[],
    headers: &[],
    paging: Paging::Offset(Offset {
        offset: "offset",
        limit: "limit",
        total: Some(Total::At("/totalResults")),
    }),
    envelope: Envelope::At("/collections"),
    since: None,
    filters: None,
    max_page: MAX_PAGE,
    map: mapping::category,
};

/// `POST /contacts/v4/contacts/query`, by offset in creation order (`updatedDate`
/// filters but does not sort).
const CONTACTS: Endpoint<StoreContext> = Endpoint {
    path: PathTemplate("contacts/v4/contacts/query"),
    call: Call::Search(client::contacts_query),
    params: &[("sort", "createdDate")],
    headers: &[],
    paging: Paging::Offset(Offset {
        offset: "offset",
        limit: "limit",
        total: Some(Total::At("/pagingMetadata/total")),
    }),
    envelope: Envelope::At("/contacts"),
    since: Some(UPDATED_SINCE),
    filters: None,
    max_page: MAX_PAGE,
    map: mapping::customer,
};

/// Wix's ids are GUIDs (letters, digits and dashes).
fn check_id(_: IdRole, id: &str) -> Result<String> {
    IdGrammar::Token.check(id).map(str::to_owned)
}

/// A decimal as a JSON number (Catalog V1 reads prices as numbers).
fn number(d: Decimal) -> Result<Value> {
    serde_json::from_str(&d.normalize().to_string())
        .map_err(|_| Error::invalid(format!("{d} is not a number Wix reads")))
}

/// The value at `path` of a JSON body, raw.
fn at<'a>(body: &'a str, path: &str) -> Result<&'a RawValue> {
    pointer(body, path)?
        .ok_or_else(|| Error::decode(polycart_kit::envelope::json_path(path), "missing"))
}

/// One connected Wix site.
#[derive(Debug)]
pub struct WixAdapter {
    config: WixConfig,
    transport: Transport,
    capabilities: Capabilities,
    context: StoreContext,
}

impl WixAdapter {
    /// Builds the adapter; no request is sent until the first call.
    pub fn new(store: &StoreConfig, ctx: &AdapterContext) -> Result<Self> {
        let config = WixConfig::from_store(store)?;
        Ok(Self {
            transport: client::transport(store, &config, ctx)?,
            capabilities: capabilities_with(config.webhook_public_key.is_some()),
            config,
            // Orders carry their currency and Catalog V1 prices theirs: nothing to read.
            context: StoreContext::default(),
        })
    }

    fn endpoint(entity: Entity) -> Result<&'static Endpoint<StoreContext>> {
        Ok(match entity {
            Entity::Order => &ORDERS,
            Entity::Product => &PRODUCTS,
            Entity::Category => &COLLECTIONS,
            Entity::Customer => &CONTACTS,
            other => return Err(Error::entity_unsupported(PLATFORM, other)),
        })
    }

    async fn send(&self, request: Request) -> Result<String> {
        let response = self.transport.send(request).await?;
        Ok(response.text()?.to_owned())
    }

    async fn get_json(&self, path: ApiPath) -> Result<String> {
        self.send(Request::get(path.under(&self.config.api_root)))
            .await
    }

    /// A write: `method` of `body` at `path`; `idempotent` says whether repeating it
    /// is harmless (setting a value is, adding stock or a fulfillment is not).
    async fn write_json(
        &self,
        method: Method,
        path: ApiPath,
        body: &Value,
        idempotent: bool,
    ) -> Result<String> {
        let request = Request::new(method, path.under(&self.config.api_root))
            .json(body)
            .idempotent(idempotent);
        self.send(request).await
    }

    /// What another API says of an order: `member` (a JSON pointer) of `GET path/{id}`,
    /// `[]` when the answer has none.
    async fn beside_one(&self, path: &'static str, id: &str, member: &str) -> Result<String> {
        let body = self
            .get_json(ApiPath::new(path).id(IdGrammar::Token, id)?)
            .await?;
        Ok(pointer(&body, member)?.map_or_else(|| "[]".to_owned(), |r| r.get().to_owned()))
    }

    /// What another API says of a page of orders: the answer to `POST path
    /// {"orderIds": ids}`, one `{orderId, …}` per order.
    async fn beside_many(&self, path: &'static str, ids: &[String]) -> Result<String> {
        if ids.is_empty() {
            return Ok("{}".to_owned());
        }
        let url = ApiPath::new(path).under(&self.config.api_root);
        // A read: repeating it is safe.
        let request = Request::post(url)
            .json(&json!({ "orderIds": ids }))
            .idempotent(true);
        self.send(request).await
    }

    /// A page of orders with their fulfillments and refunds.
    async fn list_orders(&self, query: &ListQuery) -> Result<Page> {
        let target = Target::new(&self.transport, &self.config.api_root);
        let page = ORDERS.fetch(target, query, &[]).await?;
        let mut ids = Vec::with_capacity(page.items.len());
        for item in &page.items {
            let id = field(item.get(), "id")?
                .and_then(|v| serde_json::from_str::<String>(v.get()).ok())
                .ok_or_else(|| Error::decode("$.orders[].id", "missing"))?;
            ids.push(id);
        }
        let fulfilled = self
            .beside_many("ecom/v1/fulfillments/orders/list-by-ids", &ids)
            .await?;
        let paid = match self
            .beside_many("ecom/v1/payments/orders/query-by-ids", &ids)
            .await
        {
            Ok(body) => body,
            // Refunds are a detail of the order: without the Order Transactions API
            // (a site or an app without it) the orders are still listed.
            Err(Error::NotFound { .. } | Error::Auth { .. }) => "{}".to_owned(),
            Err(e) => return Err(e),
        };
        #[derive(serde::Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Of<'a> {
            order_id: String,
            #[serde(borrow)]
            fulfillments: Option<&'a RawValue>,
            #[serde(borrow)]
            refunds: Option<&'a RawValue>,
        }
        #[derive(serde::Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Fulfilled<'a> {
            #[serde(borrow, default)]
            orders_with_fulfillments: Vec<Of<'a>>,
        }
        #[derive(serde::Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Paid<'a> {
            #[serde(borrow, default)]
            order_transactions: Vec<Of<'a>>,
        }
        let fulfilled: Fulfilled<'_> = polycart_kit::error::decode_json_borrowed(&fulfilled)?;
        let paid: Paid<'_> = polycart_kit::error::decode_json_borrowed(&paid)?;
        let find = |list: &[Of<'_>], id: &str| list.iter().position(|o| o.order_id == id);
        let mut records = Vec::with_capacity(page.items.len());
        for (i, (item, id)) in page.items.iter().zip(&ids).enumerate() {
            let beside = Beside {
                fulfillments: find(&fulfilled.orders_with_fulfillments, id)
                    .and_then(|n| fulfilled.orders_with_fulfillments[n].fulfillments),
                refunds: find(&paid.order_transactions, id)
                    .and_then(|n| paid.order_transactions[n].refunds),
            };
            let mapped = mapping::order_with(item, beside, &self.context)
                .map_err(|e| ORDERS.envelope.at_item(e, i))?;
            records.extend(mapped);
        }
        Ok(Page {
            records,
            next: page.next,
        })
    }

    /// An order with its fulfillments and refunds.
    async fn get_order(&self, id: &str) -> Result<Record> {
        let path = ApiPath::new("ecom/v1/orders").id(IdGrammar::Token, id)?;
        let body = self.get_json(path).await?;
        let fulfillments = self
            .beside_one(
                "ecom/v1/fulfillments/orders",
                id,
                "/orderWithFulfillments/fulfillments",
            )
            .await?;
        let refunds = match self
            .beside_one("ecom/v1/payments/orders", id, "/orderTransactions/refunds")
            .await
        {
            Ok(r) => r,
            Err(Error::NotFound { .. } | Error::Auth { .. }) => "[]".to_owned(),
            Err(e) => return Err(e),
        };
        let raw = |text: &str| -> Result<Box<RawValue>> {
            serde_json::from_str(text).map_err(|e| Error::decode("$", e.to_string()))
        };
        let (fulfillments, refunds) = (raw(&fulfillments)?, raw(&refunds)?);
        let beside = Beside {
            fulfillments: Some(&fulfillments),
            refunds: Some(&refunds),
        };
        mapping::order_with(at(&body, "/order")?, beside, &self.context)?
            .pop()
            .ok_or_else(|| Error::not_found(format!("order {id}")))
    }

    /// Ships `items` (or everything not yet fulfilled) with tracking.
    async fn create_fulfillment(
        &self,
        order_id: &str,
        items: &[polycart_kit::ShipmentItem],
        carrier: Option<&str>,
        tracking_number: Option<&str>,
        tracking_url: Option<&str>,
    ) -> Result<()> {
        let lines: Vec<Value> = if items.is_empty() {
            let Record::Order(order) = self.get_order(order_id).await? else {
                return Err(Error::decode("$.order", "not an order"));
            };
            order
                .line_items
                .iter()
                .filter_map(|l| {
                    let shipped: Decimal = order
                        .shipments
                        .iter()
                        .flat_map(|s| &s.line_items)
                        .filter(|s| s.line_item_id.as_deref() == Some(l.platform_id.as_str()))
                        .map(|s| s.quantity)
                        .sum();
                    let left = l.quantity - shipped;
                    (left > Decimal::ZERO)
                        .then(|| json!({ "id": l.platform_id, "quantity": number(left).ok() }))
                })
                .collect()
        } else {
            items
                .iter()
                .map(|i| json!({ "id": i.line_item_id, "quantity": i.quantity }))
                .collect()
        };
        if lines.is_empty() {
            return Err(Error::invalid(
                "every item of the order is fulfilled already",
            ));
        }
        let mut fulfillment = json!({ "lineItems": lines });
        if tracking_number.is_some() || carrier.is_some() || tracking_url.is_some() {
            fulfillment["trackingInfo"] = json!({
                "trackingNumber": tracking_number,
                "shippingProvider": carrier,
                "trackingLink": tracking_url,
            });
        }
        let path = ApiPath::new("ecom/v1/fulfillments/orders")
            .id(IdGrammar::Token, order_id)?
            .lit("create-fulfillment");
        // A second request would be a second fulfillment: never repeated blindly.
        self.write_json(
            Method::POST,
            path,
            &json!({ "fulfillment": fulfillment }),
            false,
        )
        .await
        .map(|_| ())
    }
}

/// The registry's `connect`.
pub(crate) fn connect(store: &StoreConfig, ctx: &AdapterContext) -> Result<Arc<dyn Adapter>> {
    Ok(Arc::new(WixAdapter::new(store, ctx)?))
}

#[async_trait]
impl Adapter for WixAdapter {
    fn platform(&self) -> &'static str {
        PLATFORM
    }

    fn capabilities(&self) -> &Capabilities {
        &self.capabilities
    }

    async fn list(&self, query: &ListQuery) -> Result<Page> {
        self.capabilities.check_query(PLATFORM, query)?;
        if query.entity == Entity::Order {
            return self.list_orders(query).await;
        }
        let endpoint = Self::endpoint(query.entity)?;
        let at = Target::new(&self.transport, &self.config.api_root);
        endpoint.list(at, query, &[], &self.context).await
    }

    async fn get(&self, entity: Entity, platform_id: &str) -> Result<Record> {
        let (path, wrapper) = match entity {
            Entity::Order => return self.get_order(platform_id).await,
            Entity::Product => (ApiPath::new("stores/v1/products"), "/product"),
            Entity::Category => (ApiPath::new("stores/v1/collections"), "/collection"),
            Entity::Customer => (ApiPath::new("contacts/v4/contacts"), "/contact"),
            other => return Err(Error::entity_unsupported(PLATFORM, other)),
        };
        let body = self
            .get_json(path.id(IdGrammar::Token, platform_id)?)
            .await?;
        let map = mapping::mapper(entity)?;
        map(at(&body, wrapper)?, &self.context)?
            .pop()
            .ok_or_else(|| Error::not_found(format!("{entity} {platform_id}")))
    }

    async fn count(&self, query: &ListQuery) -> Result<u64> {
        self.capabilities.check_query(PLATFORM, query)?;
        if !self.capabilities.counts(query.entity) {
            return Err(Error::unsupported(
                PLATFORM,
                format!("counting {}s", query.entity),
            ));
        }
        let endpoint = Self::endpoint(query.entity)?;
        let total = match query.entity {
            Entity::Customer => "/pagingMetadata/total",
            _ => "/totalResults",
        };
        // One record is enough: the answer counts the whole listing.
        let one = query.clone().with_cursor(None).page_size(1);
        let request = endpoint.request(&self.config.api_root, &[], &one, &[])?;
        let body = self.send(request).await?;
        serde_json::from_str::<u64>(at(&body, total)?.get())
            .map_err(|e| Error::decode(polycart_kit::envelope::json_path(total), e.to_string()))
    }

    async fn write(&self, write: &Write) -> Result<Record> {
        let write = write.checked(check_id)?;
        let (entity, id) = match &write.op {
            WriteOp::UpdateProduct {
                product_id,
                variant_id,
                title,
                status,
                price,
                compare_at_price,
            } => {
                if compare_at_price.is_some() {
                    return Err(Error::unsupported(PLATFORM, "compare-at prices"));
                }
                let product =
                    ApiPath::new("stores/v1/products").id(IdGrammar::Token, product_id)?;
                let managed = variant_id.as_deref().filter(|v| *v != DEFAULT_VARIANT);
                let mut fields = serde_json::Map::new();
                if let Some(t) = title {
                    fields.insert("name".into(), json!(t));
                }
                if let Some(s) = status {
                    let visible = match s {
                        ProductStatus::Active => true,
                        ProductStatus::Draft | ProductStatus::Archived => false,
                    };
                    fields.insert("visible".into(), json!(visible));
                }
                match (price, managed) {
                    (Some(p), None) => {
                        fields.insert("priceData".into(), json!({ "price": number(*p)? }));
                    }
                    (Some(p), Some(v)) => {
                        let body =
                            json!({ "variants": [{ "variantIds": [v], "price": number(*p)? }] });
                        self.write_json(
                            Method::PATCH,
                            product.clone().lit("variants"),
                            &body,
                            true,
                        )
                        .await?;
                    }
                    (None, _) => {}
                }
                if fields.is_empty() && price.is_none() {
                    return Err(Error::invalid("nothing to update"));
                }
                if !fields.is_empty() {
                    self.write_json(Method::PATCH, product, &json!({ "product": fields }), true)
                        .await?;
                }
                (Entity::Product, product_id.clone())
            }
            WriteOp::SetInventory {
                product_id,
                variant_id,
                change,
                ..
            } => {
                let product_id = product_id.clone().ok_or_else(|| {
                    Error::invalid("Wix stock is set by product_id (and variant_id)")
                })?;
                let variant = variant_id
                    .clone()
                    .unwrap_or_else(|| DEFAULT_VARIANT.to_owned());
                match change {
                    InventoryChange::Absolute(n) => {
                        let path = ApiPath::new("stores/v2/inventoryItems/product")
                            .id(IdGrammar::Token, &product_id)?;
                        let body = json!({ "inventoryItem": {
                            "trackQuantity": true,
                            "variants": [{ "variantId": variant, "quantity": n }],
                        }});
                        self.write_json(Method::PATCH, path, &body, true).await?;
                    }
                    // A delta applied twice is two deltas: never retried blindly.
                    InventoryChange::Delta(d) => {
                        let (path, key, by) = if *d >= 0 {
                            (
                                "stores/v2/inventoryItems/increment",
                                "incrementData",
                                "incrementBy",
                            )
                        } else {
                            (
                                "stores/v2/inventoryItems/decrement",
                                "decrementData",
                                "decrementBy",
                            )
                        };
                        let body = json!({ key: [{
                            "productId": product_id,
                            "variantId": variant,
                            by: d.unsigned_abs(),
                        }]});
                        self.write_json(Method::POST, ApiPath::new(path), &body, false)
                            .await?;
                    }
                }
                (Entity::Product, product_id)
            }
            WriteOp::UpdateOrderStatus {
                order_id, status, ..
            } => {
                if *status != OrderStatus::Cancelled {
                    return Err(Error::unsupported(
                        PLATFORM,
                        format!("order status {status:?} (Wix orders can be cancelled only)"),
                    ));
                }
                let path = ApiPath::new("ecom/v1/orders")
                    .id(IdGrammar::Token, order_id)?
                    .lit("cancel");
                let body = json!({ "sendOrderCanceledEmail": false, "restockAllItems": false });
                // Cancelling twice is refused, not done twice: safe to repeat.
                self.write_json(Method::POST, path, &body, true).await?;
                (Entity::Order, order_id.clone())
            }
            WriteOp::CreateShipment {
                order_id,
                carrier,
                tracking_number,
                tracking_url,
                line_items,
                ..
            } => {
                self.create_fulfillment(
                    order_id,
                    line_items,
                    carrier.as_deref(),
                    tracking_number.as_deref(),
                    tracking_url.as_deref(),
                )
                .await?;
                (Entity::Order, order_id.clone())
            }
            other => return Err(Error::unsupported(PLATFORM, other.name())),
        };
        self.get(entity, &id).await
    }

    fn verify_webhook(&self, _headers: &HeaderMap, body: &[u8]) -> Result<WebhookEvent> {
        webhooks::verify(
            self.config.webhook_public_key.as_ref(),
            self.config.instance_id(),
            body,
            chrono::Utc::now().timestamp(),
        )
    }
}
