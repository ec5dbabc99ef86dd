//! The `Adapter` trait every platform implements, and the plain data it speaks:
//! queries, pages with restart-safe cursors, capabilities, writes and webhook events.
//!
//! The trait asks each platform only for primitives (list one page, get, count, write,
//! verify a webhook); loops such as "sync everything since X" live once in the kit
//! ([`crate::walk`]) and in the engine.

use std::collections::BTreeMap;
use std::fmt;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use http::HeaderMap;
use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use crate::capabilities::{
    Capabilities, Deletions, EntityCapabilities, Incremental, Precision, WriteCapabilities,
};
use crate::error::{Error, Result};
use crate::model::{Entity, OrderStatus, ProductStatus, Record};

/// A platform connection for one store.
#[async_trait]
pub trait Adapter: Send + Sync {
    /// The platform's registry name ("shopify").
    fn platform(&self) -> &'static str;

    /// What this platform (and this store's configuration) can do.
    fn capabilities(&self) -> &Capabilities;

    /// The API version this store is spoken to in, and when the platform retires it
    /// (schema drift is recorded per version; a near sunset is reported). `None` for
    /// platforms without versions the adapter chooses.
    fn api_version(&self) -> Option<crate::drift::ApiVersion> {
        None
    }

    /// One page of records. Pass the returned cursor back to get the next page.
    async fn list(&self, query: &ListQuery) -> Result<Page>;

    /// What listings of `entity` did that their run's record should say (a fallback
    /// to a slower path, and why), taken once: see [`Notes`].
    fn take_notes(&self, _entity: Entity) -> Vec<String> {
        Vec::new()
    }

    /// One record by its platform id.
    async fn get(&self, entity: Entity, platform_id: &str) -> Result<Record>;

    /// How many records match the query's filters (the cursor is ignored).
    async fn count(&self, query: &ListQuery) -> Result<u64> {
        Err(Error::unsupported(
            self.platform(),
            format!("counting {}s", query.entity),
        ))
    }

    /// Changes a record on the platform and returns it as the platform now has it.
    async fn write(&self, write: &Write) -> Result<Record> {
        Err(Error::unsupported(self.platform(), write.op.name()))
    }

    /// Checks a platform webhook's signature and reads what it says.
    fn verify_webhook(&self, _headers: &HeaderMap, _body: &[u8]) -> Result<WebhookEvent> {
        Err(Error::unsupported(self.platform(), "webhooks"))
    }

    /// Subscribes the store's webhooks for `entities` (each entity's
    /// `webhook_topics`) to `address`, replacing any earlier subscription of ours to
    /// the same address; returns the topics subscribed.
    async fn register_webhooks(
        &self,
        address: &url::Url,
        entities: &[Entity],
    ) -> Result<Vec<String>> {
        let _ = (address, entities);
        Err(Error::unsupported(self.platform(), "webhook registration"))
    }

    /// Removes every webhook subscription of the store that delivers to `address`;
    /// returns how many there were.
    async fn unregister_webhooks(&self, address: &url::Url) -> Result<usize> {
        let _ = address;
        Err(Error::unsupported(self.platform(), "webhook registration"))
    }
}

/// What to list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ListQuery {
    pub entity: Entity,
    pub updated_since: Option<DateTime<Utc>>,
    pub created_since: Option<DateTime<Utc>>,
    /// Where the previous page ended; `None` starts from the beginning.
    pub cursor: Option<Cursor>,
    /// Records per page; the adapter clamps it to the platform's maximum.
    pub page_size: Option<u32>,
    /// A normalised status to filter on, where the platform can filter by it.
    pub status: Option<String>,
    /// The caller is about to list everything (a full pass): an adapter whose
    /// `Capabilities::bulk_export` is set may answer from a platform bulk export
    /// (Shopify's bulk operations) instead of paging the API, and keeps paging that
    /// export through its cursor. Adapters without one ignore it.
    #[serde(default)]
    pub bulk: bool,
}

impl ListQuery {
    pub fn new(entity: Entity) -> Self {
        Self {
            entity,
            updated_since: None,
            created_since: None,
            cursor: None,
            page_size: None,
            status: None,
            bulk: false,
        }
    }

    pub fn updated_since(mut self, since: DateTime<Utc>) -> Self {
        self.updated_since = Some(since);
        self
    }

    pub fn with_cursor(mut self, cursor: Option<Cursor>) -> Self {
        self.cursor = cursor;
        self
    }

    pub fn page_size(mut self, size: u32) -> Self {
        self.page_size = Some(size);
        self
    }

    /// The page size to ask for: the caller's wish clamped to `1..=max`, else `max`.
    pub fn page_size_or(&self, max: u32) -> u32 {
        self.page_size.map_or(max, |s| s.clamp(1, max))
    }
}

/// An opaque position in a listing (a page_info token, a page number, an offset, a
/// GraphQL cursor). It is plain text so it survives a restart in the sync store.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(transparent)]
pub struct Cursor(pub String);

impl Cursor {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A cursor carrying structured state, serialised as compact JSON.
    pub fn encode<T: Serialize>(state: &T) -> Self {
        Self(serde_json::to_string(state).expect("cursor state serialises"))
    }

    /// Reads a cursor made by [`Cursor::encode`]; a foreign cursor is `Invalid`.
    pub fn decode<T: serde::de::DeserializeOwned>(&self) -> Result<T> {
        serde_json::from_str(&self.0).map_err(|_| {
            Error::invalid(format!(
                "unrecognised cursor {:?}",
                crate::error::excerpt(&self.0, 60)
            ))
        })
    }

    /// What kind of position this is, for telemetry: the paging strategy's name when
    /// the cursor is one of the kit's (`page`, `offset`, `link`, `token`, `graphql`,
    /// `keyset`), else `other`. Never the cursor's value: a `Link` header's next query
    /// may repeat query-string credentials.
    pub fn kind(&self) -> &'static str {
        let Ok(serde_json::Value::Object(state)) = serde_json::from_str(&self.0) else {
            return "other";
        };
        let has = |key: &str| state.contains_key(key);
        if has("page") {
            "page"
        } else if has("offset") {
            "offset"
        } else if has("next") {
            "link"
        } else if has("token") {
            "token"
        } else if has("after") {
            "graphql"
        } else if has("t") {
            "keyset"
        } else {
            "other"
        }
    }
}

impl fmt::Debug for Cursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Cursor({})", self.0)
    }
}

/// One page of a listing.
#[derive(Debug, Clone)]
pub struct Page {
    pub records: Vec<Record>,
    /// Where the next page starts; `None` on the last page.
    pub next: Option<Cursor>,
}

impl Page {
    pub fn last(records: Vec<Record>) -> Self {
        Self {
            records,
            next: None,
        }
    }
}

/// A change to make on the platform.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Write {
    pub op: WriteOp,
    /// A caller's idempotency key: sent to platforms that honour one, and what allows
    /// the transport to retry a non-idempotent write.
    pub idempotency_key: Option<String>,
}

impl Write {
    pub fn new(op: WriteOp) -> Self {
        Self {
            op,
            idempotency_key: None,
        }
    }

    /// This write with its ids checked (see [`WriteOp::checked_ids`]).
    pub fn checked(&self, check: impl Fn(IdRole, &str) -> Result<String>) -> Result<Write> {
        Ok(Write {
            op: self.op.checked_ids(check)?,
            idempotency_key: self.idempotency_key.clone(),
        })
    }
}

/// The id check of platforms whose record ids are all numeric.
pub fn numeric_ids(_: IdRole, id: &str) -> Result<String> {
    crate::path::IdGrammar::Numeric.check(id).map(str::to_owned)
}

/// The writes the unified API offers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum WriteOp {
    /// Price, title or status of a product, or of one of its variants.
    UpdateProduct {
        product_id: String,
        variant_id: Option<String>,
        title: Option<String>,
        status: Option<ProductStatus>,
        price: Option<Decimal>,
        compare_at_price: Option<Decimal>,
    },
    /// Stock of a variant (by id or SKU) at a location, absolute or as a delta.
    SetInventory {
        product_id: Option<String>,
        variant_id: Option<String>,
        sku: Option<String>,
        location_id: Option<String>,
        change: InventoryChange,
    },
    /// Moves an order to a new normalised status (cancel, complete, ...).
    UpdateOrderStatus {
        order_id: String,
        status: OrderStatus,
        note: Option<String>,
    },
    /// Adds a note to an order.
    AddOrderNote { order_id: String, note: String },
    /// Adds tags to an order.
    AddOrderTags { order_id: String, tags: Vec<String> },
    /// Records a shipment with tracking for some or all line items.
    CreateShipment {
        order_id: String,
        carrier: Option<String>,
        tracking_number: Option<String>,
        tracking_url: Option<String>,
        /// Empty means every unshipped item.
        line_items: Vec<ShipmentItem>,
        notify_customer: bool,
    },
}

impl WriteOp {
    /// The operation's name, for errors and logs.
    pub fn name(&self) -> &'static str {
        match self {
            WriteOp::UpdateProduct { .. } => "update_product",
            WriteOp::SetInventory { .. } => "set_inventory",
            WriteOp::UpdateOrderStatus { .. } => "update_order_status",
            WriteOp::AddOrderNote { .. } => "add_order_note",
            WriteOp::AddOrderTags { .. } => "add_order_tags",
            WriteOp::CreateShipment { .. } => "create_shipment",
        }
    }
}

/// What an id inside a write names, so a platform can check it against its grammar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdRole {
    Product,
    Variant,
    Order,
    Location,
    LineItem,
}

impl WriteOp {
    /// This write with every record id passed through `check` (the platform's id
    /// grammar, which may also normalise, e.g. a GID to its numeric id). Adapters call
    /// it first thing, so no unchecked id reaches a request; SKUs are not ids and are
    /// left as they are.
    pub fn checked_ids(&self, check: impl Fn(IdRole, &str) -> Result<String>) -> Result<WriteOp> {
        let opt = |role, id: &Option<String>| id.as_deref().map(|i| check(role, i)).transpose();
        Ok(match self {
            WriteOp::UpdateProduct {
                product_id,
                variant_id,
                title,
                status,
                price,
                compare_at_price,
            } => WriteOp::UpdateProduct {
                product_id: check(IdRole::Product, product_id)?,
                variant_id: opt(IdRole::Variant, variant_id)?,
                title: title.clone(),
                status: *status,
                price: *price,
                compare_at_price: *compare_at_price,
            },
            WriteOp::SetInventory {
                product_id,
                variant_id,
                sku,
                location_id,
                change,
            } => WriteOp::SetInventory {
                product_id: opt(IdRole::Product, product_id)?,
                variant_id: opt(IdRole::Variant, variant_id)?,
                sku: sku.clone(),
                location_id: opt(IdRole::Location, location_id)?,
                change: *change,
            },
            WriteOp::UpdateOrderStatus {
                order_id,
                status,
                note,
            } => WriteOp::UpdateOrderStatus {
                order_id: check(IdRole::Order, order_id)?,
                status: *status,
                note: note.clone(),
            },
            WriteOp::AddOrderNote { order_id, note } => WriteOp::AddOrderNote {
                order_id: check(IdRole::Order, order_id)?,
                note: note.clone(),
            },
            WriteOp::AddOrderTags { order_id, tags } => WriteOp::AddOrderTags {
                order_id: check(IdRole::Order, order_id)?,
                tags: tags.clone(),
            },
            WriteOp::CreateShipment {
                order_id,
                carrier,
                tracking_number,
                tracking_url,
                line_items,
                notify_customer,
            } => WriteOp::CreateShipment {
                order_id: check(IdRole::Order, order_id)?,
                carrier: carrier.clone(),
                tracking_number: tracking_number.clone(),
                tracking_url: tracking_url.clone(),
                line_items: line_items
                    .iter()
                    .map(|i| {
                        Ok(ShipmentItem {
                            line_item_id: check(IdRole::LineItem, &i.line_item_id)?,
                            quantity: i.quantity,
                        })
                    })
                    .collect::<Result<_>>()?,
                notify_customer: *notify_customer,
            },
        })
    }
}

/// An absolute stock level or a change to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum InventoryChange {
    Absolute(i64),
    Delta(i64),
}

/// A line item in a shipment to create.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ShipmentItem {
    pub line_item_id: String,
    pub quantity: u32,
}

/// What a verified platform webhook says happened.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WebhookEvent {
    pub platform: String,
    /// The platform's own topic ("orders/updated", "store/order/statusUpdated").
    pub topic: String,
    pub kind: WebhookKind,
    pub entity: Option<Entity>,
    /// The touched record's platform id, where the delivery names one.
    pub platform_id: Option<String>,
    /// The record as the delivery shows it, when it carries a full payload. A hint
    /// only: the app re-reads the record from the platform before storing anything.
    pub record: Option<Record>,
    /// The platform's id of this delivery (a retried delivery keeps it), so repeats
    /// and replays are recognised.
    pub delivery_id: Option<String>,
    /// Any other fields a handler may need (shop domain, webhook id, ...).
    pub meta: BTreeMap<String, String>,
}

/// What kind of thing a webhook reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum WebhookKind {
    Created,
    Updated,
    Deleted,
    /// The app was removed from the store: stop syncing it.
    Uninstalled,
    /// A test delivery sent when a webhook is set up.
    Ping,
    Other,
}

/// Notes an adapter keeps for the engine, per entity, until it takes them for the
/// run's record: a listing cannot say "I took the slow path" through its pages.
#[derive(Debug, Default)]
pub struct Notes(std::sync::Mutex<Vec<(Entity, String)>>);

impl Notes {
    /// Keeps `text` for `entity`'s run (once: a repeated note is kept once).
    pub fn note(&self, entity: Entity, text: String) {
        let mut notes = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if !notes.iter().any(|(e, t)| *e == entity && *t == text) {
            notes.push((entity, text));
        }
    }

    /// The notes of `entity`, removed.
    pub fn take(&self, entity: Entity) -> Vec<String> {
        let mut notes = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let (taken, kept) = std::mem::take(&mut *notes)
            .into_iter()
            .partition(|(e, _)| *e == entity);
        *notes = kept;
        taken
            .into_iter()
            .map(|(_, t): (Entity, String)| t)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::Cursor;

    #[test]
    fn cursor_kind_names_the_strategy_never_the_value() {
        for (cursor, kind) in [
            (r#"{"page":3}"#, "page"),
            (r#"{"offset":40}"#, "offset"),
            (r#"{"next":"page_info=abc&consumer_secret=cs_1"}"#, "link"),
            (r#"{"token":"xyz"}"#, "token"),
            (r#"{"after":"Y3Vyc29y"}"#, "graphql"),
            (r#"{"t":1700000000,"s":["1"]}"#, "keyset"),
            (r#"{"cursor":"x"}"#, "other"),
            ("not json", "other"),
        ] {
            assert_eq!(Cursor::new(cursor).kind(), kind, "{cursor}");
        }
    }
}
