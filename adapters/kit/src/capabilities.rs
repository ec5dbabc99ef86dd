//! What a platform offers, as data — per entity, because platforms differ per entity
//! (WooCommerce filters orders by status and modification time but customers by
//! neither). The engine decides from it whether a pass can be incremental, the API
//! which filters to pass through, the conformance suite which checks to run, and
//! `polycart platforms` / `GET /v1/platforms` print it (API2Cart's `cart.methods`).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::model::Entity;

/// A platform's (or one store's) capabilities.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Capabilities {
    /// Every entity the adapter lists, with what it can do for each.
    pub entities: Vec<EntityCapabilities>,
    /// A bulk export exists for initial syncs (Shopify's bulk operations).
    pub bulk_export: bool,
    pub writes: WriteCapabilities,
    /// `verify_webhook` understands this platform's deliveries.
    pub webhooks: bool,
    /// Webhook subscriptions can be created through the platform's API
    /// (`Adapter::register_webhooks`).
    pub webhook_registration: bool,
}

/// What a platform can do with one entity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct EntityCapabilities {
    pub entity: Entity,
    /// One record can be read by its id.
    pub get: bool,
    /// The platform counts records (a `count` that pages through everything is not one).
    pub count: bool,
    /// Listings filter by modification time: incremental syncs read only changes.
    pub incremental: Option<Incremental>,
    /// Listings filter by creation time.
    pub created_filter: bool,
    /// Listings filter by the normalised status.
    pub status_filter: bool,
    /// How deletions are learnt.
    pub deletions: Deletions,
    /// The largest page the platform serves.
    pub max_page_size: u32,
    /// The platform's webhook topics for this entity.
    pub webhook_topics: Vec<String>,
}

/// How a listing filters by modification time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Incremental {
    /// The platform's field or parameter (`updated_at_min`, `modified_after`).
    pub field: String,
    pub precision: Precision,
}

/// The resolution of a platform's timestamps and filters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Precision {
    Millisecond,
    Second,
    Day,
}

/// How polycart learns that a record was deleted on the platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Deletions {
    /// Webhooks report them (checked against the platform), and reconciliation passes
    /// catch what a missed webhook did not.
    WebhooksAndReconciliation,
    /// Only periodic reconciliation (listing every id) finds them.
    Reconciliation,
}

/// Which writes an adapter performs.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct WriteCapabilities {
    pub product_price: bool,
    pub product_title: bool,
    pub product_status: bool,
    pub inventory_set: bool,
    pub inventory_adjust: bool,
    pub order_status: bool,
    pub order_note: bool,
    pub order_tags: bool,
    /// Creates a shipment carrying the caller's carrier and tracking number.
    pub shipment_create: bool,
    /// Creates a shipment whose tracking number the platform's logistics assign (the
    /// caller gives none and reads it from the order the write returns): Lazada packs
    /// items and marks the package ready to ship, its carrier naming the number.
    pub shipment_platform_tracking: bool,
}

impl EntityCapabilities {
    /// An entity that can be listed, read by id and counted, with no filters, learning
    /// deletions by reconciliation: the starting point adapters refine.
    pub fn basic(entity: Entity, max_page_size: u32) -> Self {
        Self {
            entity,
            get: true,
            count: true,
            incremental: None,
            created_filter: false,
            status_filter: false,
            deletions: Deletions::Reconciliation,
            max_page_size,
            webhook_topics: Vec::new(),
        }
    }

    /// Filtered by modification time through `field`, at `precision`.
    pub fn incremental(mut self, field: &str, precision: Precision) -> Self {
        self.incremental = Some(Incremental {
            field: field.to_owned(),
            precision,
        });
        self
    }

    pub fn created_filter(mut self) -> Self {
        self.created_filter = true;
        self
    }

    pub fn status_filter(mut self) -> Self {
        self.status_filter = true;
        self
    }

    pub fn without_count(mut self) -> Self {
        self.count = false;
        self
    }

    /// The platform's webhook topics; deletions then come by webhook too.
    pub fn webhooks(mut self, topics: &[&str]) -> Self {
        self.webhook_topics = topics.iter().map(|t| (*t).to_owned()).collect();
        if !topics.is_empty() {
            self.deletions = Deletions::WebhooksAndReconciliation;
        }
        self
    }
}

impl Capabilities {
    /// Whether the adapter lists `entity`.
    pub fn lists(&self, entity: Entity) -> bool {
        self.entity(entity).is_some()
    }

    /// What the adapter can do with `entity`, if it lists it.
    pub fn entity(&self, entity: Entity) -> Option<&EntityCapabilities> {
        self.entities.iter().find(|e| e.entity == entity)
    }

    /// The entities listed, in the adapter's order.
    pub fn entity_list(&self) -> Vec<Entity> {
        self.entities.iter().map(|e| e.entity).collect()
    }

    /// Whether listings of `entity` filter by modification time.
    pub fn incremental(&self, entity: Entity) -> bool {
        self.entity(entity).is_some_and(|e| e.incremental.is_some())
    }

    /// Whether the platform counts `entity`.
    pub fn counts(&self, entity: Entity) -> bool {
        self.entity(entity).is_some_and(|e| e.count)
    }

    /// The largest page of `entity` (1 when the entity is not listed).
    pub fn max_page_size(&self, entity: Entity) -> u32 {
        self.entity(entity).map_or(1, |e| e.max_page_size)
    }

    /// Refuses, before any request, a listing the capabilities say the platform cannot
    /// serve: an entity it does not list, or a status, creation-time or
    /// modification-time filter it does not have for that entity. Adapters call it
    /// first in `list`, so a filter is never silently dropped.
    pub fn check_query(
        &self,
        platform: &str,
        query: &crate::adapter::ListQuery,
    ) -> crate::Result<()> {
        let entity = query.entity;
        let Some(caps) = self.entity(entity) else {
            return Err(crate::Error::unsupported(
                platform,
                format!("listing {entity}s"),
            ));
        };
        let refused = if query.status.is_some() && !caps.status_filter {
            Some("a status filter")
        } else if query.created_since.is_some() && !caps.created_filter {
            Some("a creation-time filter")
        } else if query.updated_since.is_some() && caps.incremental.is_none() {
            Some("a modification-time filter")
        } else {
            None
        };
        match refused {
            Some(what) => Err(crate::Error::unsupported(
                platform,
                format!("{what} on {entity}s"),
            )),
            None => Ok(()),
        }
    }

    /// The webhook topics of `entities`, in the adapter's order.
    pub fn webhook_topics(&self, entities: &[Entity]) -> Vec<&str> {
        self.entities
            .iter()
            .filter(|e| entities.contains(&e.entity))
            .flat_map(|e| e.webhook_topics.iter().map(String::as_str))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adapter::ListQuery;

    #[test]
    fn queries_the_capabilities_exclude_are_refused() {
        let caps = Capabilities {
            entities: vec![
                EntityCapabilities::basic(Entity::Order, 100)
                    .incremental("updated_at_min", Precision::Second)
                    .status_filter(),
                EntityCapabilities::basic(Entity::Customer, 100),
            ],
            bulk_export: false,
            writes: WriteCapabilities::default(),
            webhooks: false,
            webhook_registration: false,
        };
        let t = chrono::DateTime::from_timestamp(0, 0).unwrap();
        let mut orders = ListQuery::new(Entity::Order).updated_since(t);
        orders.status = Some("open".into());
        assert!(caps.check_query("x", &orders).is_ok());
        assert!(
            caps.check_query("x", &ListQuery::new(Entity::Product))
                .is_err()
        );
        let customers = ListQuery::new(Entity::Customer).updated_since(t);
        let e = caps.check_query("x", &customers).unwrap_err();
        assert!(
            e.to_string()
                .contains("modification-time filter on customers"),
            "{e}"
        );
        let mut created = ListQuery::new(Entity::Order);
        created.created_since = Some(t);
        assert!(caps.check_query("x", &created).is_err());
    }
}
