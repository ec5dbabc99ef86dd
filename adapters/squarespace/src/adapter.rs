//! The [`Adapter`] for one Squarespace store: what the platform offers per entity, its
//! listings declared as kit [`Endpoint`]s, its writes and its webhooks.
//!
//! Every Squarespace listing pages by an opaque cursor (`pagination.nextPageCursor`
//! while `hasNextPage`), up to 50 records a page with no page-size parameter. Orders
//! and products are ordered by modification time and filter by a
//! `modifiedAfter`/`modifiedBefore` window, both required together and refused next
//! to a cursor: the first request carries the window, later ones the cursor alone
//! (the kit's `BodyToken::filters_first_page_only`). The window's end is a day ahead,
//! so a record changed during a pass still falls inside it and is read again at the
//! end rather than skipped. No paging loop is written here.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{Duration, Utc};
use http::{HeaderMap, HeaderName, Method};
use polycart_kit::adapter::{Deletions, EntityCapabilities, IdRole, Precision};
use polycart_kit::auth::hmac::{hex, hmac_sha256};
use polycart_kit::connector::AdapterContext;
use polycart_kit::endpoint::{Call, Endpoint, PathTemplate, Target};
use polycart_kit::envelope::Envelope;
use polycart_kit::model::ProductStatus;
use polycart_kit::paging::{BodyToken, Bound, DateFormat, Paging, Since};
use polycart_kit::transport::{Request, Transport};
use polycart_kit::{
    Adapter, ApiPath, Capabilities, Entity, Error, IdGrammar, InventoryChange, ListQuery, Page,
    Record, Result, StoreConfig, StoreContext, WebhookEvent, Write, WriteCapabilities, WriteOp,
};
use rust_decimal::Decimal;
use serde_json::{Value, json};

use crate::PLATFORM;
use crate::client::{self, MAX_PAGE};
use crate::config::SquarespaceConfig;
use crate::{mapping, webhooks};

/// What Squarespace offers: orders (by modification time, with webhooks), products
/// with variants (by modification time), inventory and customer profiles, each read by
/// id; no counts. Writes: variant prices, product names and visibility, stock (set and
/// adjusted, with idempotency keys) and fulfilments with tracking.
pub fn capabilities() -> Capabilities {
    Capabilities {
        entities: vec![
            EntityCapabilities {
                // Squarespace notifies no deletion: reconciliation finds them.
                deletions: Deletions::Reconciliation,
                ..EntityCapabilities::basic(Entity::Order, MAX_PAGE)
                    .without_count()
                    .incremental("modifiedAfter", Precision::Second)
                    .webhooks(webhooks::ORDER_TOPICS)
            },
            EntityCapabilities::basic(Entity::Product, MAX_PAGE)
                .without_count()
                .incremental("modifiedAfter", Precision::Second),
            EntityCapabilities::basic(Entity::Inventory, MAX_PAGE).without_count(),
            EntityCapabilities::basic(Entity::Customer, MAX_PAGE).without_count(),
        ],
        bulk_export: false,
        writes: WriteCapabilities {
            product_price: true,
            product_title: true,
            product_status: true,
            inventory_set: true,
            inventory_adjust: true,
            shipment_create: true,
            ..WriteCapabilities::default()
        },
        webhooks: true,
        webhook_registration: false,
    }
}

/// The cursor paging of every listing.
const CURSOR: Paging = Paging::Token(BodyToken {
    param: "cursor",
    size: None,
    next: "/pagination/nextPageCursor",
    more: Some("/pagination/hasNextPage"),
    filters_first_page_only: true,
});

/// `modifiedAfter` ("modified after": the second before the first one wanted).
const MODIFIED_AFTER: Since = Since {
    bound: Bound::Exclusive("modifiedAfter"),
    format: DateFormat::Rfc3339,
};

const fn listing(
    path: &'static str,
    records: &'static str,
    since: Option<Since>,
    params: &'static [(&'static str, &'static str)],
    map: mapping::MapFn,
) -> Endpoint<StoreContext> {
    Endpoint {
        path: PathTemplate(path),
        call: Call::Get,
        params,
        headers: &[("accept", "application/json")],
        paging: CURSOR,
        envelope: Envelope::At(records),
        since,
        filters: None,
        max_page: MAX_PAGE,
        map,
    }
}

/// `GET /1.0/commerce/orders` with every payment state: without `paymentStates`
/// Squarespace lists only `NOT_CHARGED`, `AUTHORIZED`, `PAID` and `REFUNDED` orders.
const ORDERS: Endpoint<StoreContext> = listing(
    "1.0/commerce/orders",
    "/result",
    Some(MODIFIED_AFTER),
    &[(
        "paymentStates",
        "NOT_CHARGED,AUTHORIZED,PAID,REFUNDED,PENDING,FAILED,REFUND_PENDING,REFUND_FAILED,PARTIALLY_PAID",
    )],
    mapping::order,
);
/// `GET /v2/commerce/products` (every product type, with variants).
const PRODUCTS: Endpoint<StoreContext> = listing(
    "v2/commerce/products",
    "/products",
    Some(MODIFIED_AFTER),
    &[],
    mapping::product,
);
/// `GET /1.0/commerce/inventory`.
const INVENTORY: Endpoint<StoreContext> = listing(
    "1.0/commerce/inventory",
    "/inventory",
    None,
    &[],
    mapping::inventory,
);
/// `GET /1.0/profiles?filter=isCustomer,true`.
const CUSTOMERS: Endpoint<StoreContext> = listing(
    "1.0/profiles",
    "/profiles",
    None,
    &[("filter", "isCustomer,true")],
    mapping::customer,
);

fn endpoint(entity: Entity) -> Result<&'static Endpoint<StoreContext>> {
    Ok(match entity {
        Entity::Order => &ORDERS,
        Entity::Product => &PRODUCTS,
        Entity::Inventory => &INVENTORY,
        Entity::Customer => &CUSTOMERS,
        other => return Err(Error::entity_unsupported(PLATFORM, other)),
    })
}

/// Squarespace's ids: hex object ids, variant UUIDs.
fn check_id(_: IdRole, id: &str) -> Result<String> {
    IdGrammar::Token.check(id).map(str::to_owned)
}

/// The `Idempotency-Key` for a stock adjustment: the caller's key when it is one
/// Squarespace takes (letters, digits, `-`, `_`, at most 64), else its keyed hash, so
/// the same caller key is always the same Squarespace key; without one, a fresh key for
/// this write (the transport repeats it on every retry of the request).
pub fn idempotency_key(caller: Option<&str>) -> String {
    match caller {
        Some(k)
            if !k.is_empty()
                && k.len() <= 64
                && k.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') =>
        {
            k.to_owned()
        }
        Some(k) => hex(&hmac_sha256(b"polycart-idempotency-key", k.as_bytes())),
        None => format!("polycart-{:032x}", rand::random::<u128>()),
    }
}

/// One connected Squarespace store.
#[derive(Debug)]
pub struct SquarespaceAdapter {
    config: SquarespaceConfig,
    transport: Transport,
    capabilities: Capabilities,
    context: StoreContext,
}

impl SquarespaceAdapter {
    /// Builds the adapter; no request is sent until the first call.
    pub fn new(store: &StoreConfig, ctx: &AdapterContext) -> Result<Self> {
        let config = SquarespaceConfig::from_store(store)?;
        let mut capabilities = capabilities();
        // Without the subscription's secret no delivery can be verified: poll.
        capabilities.webhooks = config.webhook_secret.is_some();
        Ok(Self {
            transport: client::transport(store, &config, ctx)?,
            config,
            capabilities,
            context: StoreContext::default(),
        })
    }

    fn url(&self, path: &ApiPath) -> url::Url {
        path.under(&self.config.api_root)
    }

    /// One record's path and the list key of its answer (`None`: a bare object).
    fn record_path(entity: Entity, id: &str) -> Result<(ApiPath, Option<&'static str>)> {
        let (template, key) = match entity {
            Entity::Order => ("1.0/commerce/orders/{id:token}", None),
            Entity::Product => ("v2/commerce/products/{id:token}", Some("/products")),
            Entity::Inventory => ("1.0/commerce/inventory/{id:token}", Some("/inventory")),
            Entity::Customer => ("1.0/profiles/{id:token}", Some("/profiles")),
            other => return Err(Error::entity_unsupported(PLATFORM, other)),
        };
        Ok((PathTemplate(template).build(&[("id", id)])?, key))
    }

    /// A JSON `POST` of `body` at `path`.
    async fn post(&self, path: &ApiPath, body: &Value, idempotent: bool) -> Result<()> {
        let request = Request::new(Method::POST, self.url(path))
            .json(body)
            .idempotent(idempotent);
        self.transport.send(request).await.map(|_| ())
    }

    /// The product a write names, as Squarespace has it now.
    async fn product(&self, id: &str) -> Result<polycart_kit::model::Product> {
        match self.get(Entity::Product, id).await? {
            Record::Product(p) => Ok(*p),
            _ => Err(Error::decode("$", "a product was expected")),
        }
    }

    /// The variant a write names: the given one, or a product's only variant.
    async fn variant_of(
        &self,
        product_id: Option<&str>,
        variant_id: Option<&str>,
    ) -> Result<String> {
        if let Some(v) = variant_id {
            return Ok(v.to_owned());
        }
        let product_id = product_id
            .ok_or_else(|| Error::invalid("a Squarespace write names a variant or a product"))?;
        match self.product(product_id).await?.variants.as_slice() {
            [one] => Ok(one.platform_id.clone()),
            _ => Err(Error::invalid(
                "the product has several variants: name the variant_id",
            )),
        }
    }

    async fn update_product(
        &self,
        product_id: &str,
        variant_id: Option<&str>,
        title: Option<&str>,
        status: Option<ProductStatus>,
        price: Option<Decimal>,
    ) -> Result<()> {
        let product_path =
            PathTemplate("v2/commerce/products/{id:token}").build(&[("id", product_id)])?;
        let mut fields = serde_json::Map::new();
        if let Some(t) = title {
            fields.insert("name".into(), json!(t));
        }
        match status {
            None => {}
            Some(ProductStatus::Active) => {
                fields.insert("isVisible".into(), json!(true));
            }
            Some(ProductStatus::Draft) => {
                fields.insert("isVisible".into(), json!(false));
            }
            Some(other) => {
                return Err(Error::unsupported(
                    PLATFORM,
                    format!("product status {}", other.as_str()),
                ));
            }
        }
        if !fields.is_empty() {
            // Setting fields to values: repeating it is harmless.
            self.post(&product_path, &Value::Object(fields), true)
                .await?;
        }
        if let Some(price) = price {
            let product = self.product(product_id).await?;
            let variant = match variant_id {
                Some(v) => v.to_owned(),
                None => match product.variants.as_slice() {
                    [one] => one.platform_id.clone(),
                    _ => {
                        return Err(Error::invalid(
                            "the product has several variants: name the variant_id to price",
                        ));
                    }
                },
            };
            let current = product
                .variants
                .iter()
                .find(|v| v.platform_id == variant)
                .ok_or_else(|| Error::not_found(format!("variant {variant}")))?;
            let currency = current
                .price
                .as_ref()
                .map(|m| m.currency.clone())
                .ok_or_else(|| Error::invalid("the variant has no price to change"))?;
            // The price a variant sells at: its sale price while on sale (the base
            // price is then its compare-at price), else its base price.
            let field = if current.compare_at_price.is_some() {
                "salePrice"
            } else {
                "basePrice"
            };
            let body = json!({ "pricing": { field: {
                "currency": currency.as_str(),
                "value": format!("{:.2}", price.round_dp(2)),
            } } });
            let path = product_path
                .lit("variants")
                .id(IdGrammar::Token, &variant)?;
            self.post(&path, &body, true).await?;
        }
        Ok(())
    }

    /// `POST /1.0/commerce/inventory/adjustments` with its required `Idempotency-Key`.
    async fn adjust_stock(&self, variant: &str, change: InventoryChange, key: &str) -> Result<()> {
        let op = |n: i64| json!([{ "variantId": variant, "quantity": n }]);
        let body = match change {
            InventoryChange::Absolute(n) if n >= 0 => json!({ "setFiniteOperations": op(n) }),
            InventoryChange::Absolute(n) => {
                return Err(Error::invalid(format!(
                    "stock {n}: Squarespace keeps no negative stock"
                )));
            }
            InventoryChange::Delta(d) if d > 0 => json!({ "incrementOperations": op(d) }),
            InventoryChange::Delta(d) if d < 0 => {
                json!({ "decrementOperations": op(d.checked_neg().ok_or_else(|| Error::invalid("delta out of range"))?) })
            }
            InventoryChange::Delta(_) => return Err(Error::invalid("a stock change of 0")),
        };
        let path = PathTemplate("1.0/commerce/inventory/adjustments").build(&[])?;
        let request = Request::new(Method::POST, self.url(&path))
            .json(&body)
            .idempotency_key(HeaderName::from_static("idempotency-key"), Some(key));
        self.transport.send(request).await.map(|_| ())
    }

    /// `POST /1.0/commerce/orders/{id}/fulfillments`: the order fulfilled, with its
    /// shipment when there is a tracking number.
    async fn fulfill(
        &self,
        order_id: &str,
        carrier: Option<&str>,
        tracking_number: Option<&str>,
        tracking_url: Option<&str>,
        notify: bool,
    ) -> Result<()> {
        let shipments = match tracking_number {
            None => json!([]),
            Some(number) => {
                let mut s = json!({
                    "shipDate": Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                    // Squarespace requires both; the unified write names no service.
                    "carrierName": carrier.unwrap_or("Other"),
                    "service": "Standard",
                    "trackingNumber": number,
                });
                if let Some(u) = tracking_url {
                    s["trackingUrl"] = json!(u);
                }
                json!([s])
            }
        };
        let path = PathTemplate("1.0/commerce/orders/{id:token}/fulfillments")
            .build(&[("id", order_id)])?;
        let body = json!({ "shouldSendNotification": notify, "shipments": shipments });
        // Not idempotent and Squarespace takes no idempotency key here: never repeated
        // blindly (a second call would add a second shipment).
        self.post(&path, &body, false).await
    }
}

/// The registry's `connect`.
pub(crate) fn connect(store: &StoreConfig, ctx: &AdapterContext) -> Result<Arc<dyn Adapter>> {
    Ok(Arc::new(SquarespaceAdapter::new(store, ctx)?))
}

#[async_trait]
impl Adapter for SquarespaceAdapter {
    fn platform(&self) -> &'static str {
        PLATFORM
    }

    fn capabilities(&self) -> &Capabilities {
        &self.capabilities
    }

    async fn list(&self, query: &ListQuery) -> Result<Page> {
        self.capabilities.check_query(PLATFORM, query)?;
        let endpoint = endpoint(query.entity)?;
        // The window needs both ends; its end is a day ahead (see the module docs).
        let window = match (query.updated_since, endpoint.since) {
            (Some(_), Some(_)) => vec![(
                "modifiedBefore",
                (Utc::now() + Duration::days(1))
                    .format("%Y-%m-%dT%H:%M:%SZ")
                    .to_string(),
            )],
            _ => Vec::new(),
        };
        let at = Target::new(&self.transport, &self.config.api_root);
        endpoint.list(at, query, &window, &self.context).await
    }

    async fn get(&self, entity: Entity, platform_id: &str) -> Result<Record> {
        let (path, key) = Self::record_path(entity, platform_id)?;
        let response = self.transport.send(Request::get(self.url(&path))).await?;
        let text = response.text()?;
        let map = mapping::mapper(entity)?;
        let records = match key {
            None => {
                let raw: Box<serde_json::value::RawValue> =
                    serde_json::from_str(text).map_err(|e| Error::decode("$", e.to_string()))?;
                map(&raw, &self.context)?
            }
            Some(key) => {
                let mut out = Vec::new();
                for (i, item) in Envelope::At(key).split(text)?.into_iter().enumerate() {
                    out.extend(
                        map(item, &self.context).map_err(|e| Envelope::At(key).at_item(e, i))?,
                    );
                }
                out
            }
        };
        records
            .into_iter()
            .find(|r| r.platform_id() == platform_id)
            .ok_or_else(|| Error::not_found(format!("{entity} {platform_id}")))
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
                    return Err(Error::unsupported(PLATFORM, "compare-at price"));
                }
                if title.is_none() && status.is_none() && price.is_none() {
                    return Err(Error::invalid("nothing to update"));
                }
                self.update_product(
                    product_id,
                    variant_id.as_deref(),
                    title.as_deref(),
                    *status,
                    *price,
                )
                .await?;
                (Entity::Product, product_id.clone())
            }
            WriteOp::SetInventory {
                product_id,
                variant_id,
                location_id,
                change,
                ..
            } => {
                if location_id.is_some() {
                    return Err(Error::invalid("Squarespace keeps stock at no location"));
                }
                let variant = self
                    .variant_of(product_id.as_deref(), variant_id.as_deref())
                    .await?;
                let key = idempotency_key(write.idempotency_key.as_deref());
                self.adjust_stock(&variant, *change, &key).await?;
                (Entity::Inventory, variant)
            }
            WriteOp::CreateShipment {
                order_id,
                carrier,
                tracking_number,
                tracking_url,
                line_items,
                notify_customer,
            } => {
                if !line_items.is_empty() {
                    return Err(Error::unsupported(
                        PLATFORM,
                        "fulfilling part of an order (Squarespace fulfils whole orders)",
                    ));
                }
                self.fulfill(
                    order_id,
                    carrier.as_deref(),
                    tracking_number.as_deref(),
                    tracking_url.as_deref(),
                    *notify_customer,
                )
                .await?;
                (Entity::Order, order_id.clone())
            }
            other => return Err(Error::unsupported(PLATFORM, other.name())),
        };
        self.get(entity, &id).await
    }

    fn verify_webhook(&self, headers: &HeaderMap, body: &[u8]) -> Result<WebhookEvent> {
        webhooks::verify(self.config.webhook_secret.as_ref(), headers, body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idempotency_keys_are_stable_per_caller_key_and_valid() {
        assert_eq!(idempotency_key(Some("abc-1_2")), "abc-1_2");
        let odd = "order 42 / stock";
        assert_eq!(idempotency_key(Some(odd)), idempotency_key(Some(odd)));
        assert_eq!(idempotency_key(Some(odd)).len(), 64);
        assert_ne!(idempotency_key(Some(odd)), idempotency_key(Some("other")));
        let long = "a".repeat(65);
        assert_eq!(idempotency_key(Some(&long)).len(), 64);
        let fresh = idempotency_key(None);
        assert_ne!(fresh, idempotency_key(None));
        for k in [fresh, idempotency_key(Some(odd))] {
            assert!(k.len() <= 64);
            assert!(
                k.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            );
        }
    }
}
