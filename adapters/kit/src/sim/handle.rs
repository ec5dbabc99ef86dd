//! The handle every platform simulator gives tests: what the simulated platform holds
//! (its truth, by the platform's own ids), ways to change it as a merchant would
//! (touch, delete), its fault injection, and webhook deliveries signed as the platform
//! signs them. The conformance suite (`crate::conformance`) drives every simulator
//! through this one trait, so a new platform's simulator opts in by implementing it.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use http::HeaderMap;

use super::Faults;
use crate::adapter::WebhookKind;
use crate::model::Entity;

/// Why a simulator cannot do what the suite asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SimError {
    /// The platform (or this simulator) has no such operation; the check that needs it
    /// is skipped with this reason.
    #[error("not simulated: {0}")]
    Unsupported(String),
    /// No such record.
    #[error("no {entity} {id} in the simulator")]
    NotFound { entity: Entity, id: String },
}

impl SimError {
    pub fn unsupported(why: impl Into<String>) -> Self {
        SimError::Unsupported(why.into())
    }

    pub fn not_found(entity: Entity, id: &str) -> Self {
        SimError::NotFound {
            entity,
            id: id.to_owned(),
        }
    }
}

/// How a simulated webhook delivery is signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signing {
    /// As the platform signs it, with the store's webhook secret.
    Correct,
    /// The platform's scheme keyed with another secret (a forged delivery).
    WrongSecret,
}

/// A webhook delivery as the platform would POST it.
#[derive(Debug, Clone)]
pub struct Delivery {
    /// The platform's topic ("orders/updated").
    pub topic: String,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

/// A running simulator as tests and the conformance suite drive it.
///
/// Ids are the platform's own, as the adapter reports them in `Record::platform_id`
/// (an inventory level's id is whatever the adapter composes, e.g. Shopify's
/// `inventory_item_id:location_id`). Methods a simulator cannot support return
/// [`SimError::Unsupported`], and the checks needing them are skipped, saying why.
pub trait SimHandle: Send + Sync {
    /// Every record of `entity` the platform lists now, by id.
    fn truth(&self, entity: Entity) -> Result<Vec<String>, SimError>;

    /// Changes the record as a merchant would (a visible field and its modification
    /// time, set to `at`).
    fn touch(&self, entity: Entity, id: &str, at: DateTime<Utc>) -> Result<(), SimError>;

    /// Deletes the record as the platform does: gone from listings, `get` answers 404.
    fn delete(&self, entity: Entity, id: &str) -> Result<(), SimError>;

    /// The simulator's fault injection (arm exact faults, count requests).
    fn faults(&self) -> &Arc<Faults>;

    /// A webhook about the record, as the platform would deliver it for `kind`
    /// (`Created`, `Updated`, `Deleted`), signed per `signing`. Not sent: the caller
    /// hands it to `Adapter::verify_webhook`.
    fn webhook(
        &self,
        entity: Entity,
        id: &str,
        kind: WebhookKind,
        signing: Signing,
    ) -> Result<Delivery, SimError>;

    /// The notes an order carries besides its own `note` field, where the platform
    /// keeps them apart (WooCommerce's order notes): how the suite sees a note write
    /// the unified order does not show.
    fn order_notes(&self, id: &str) -> Result<Vec<String>, SimError> {
        let _ = id;
        Err(SimError::unsupported("no separate order notes"))
    }

    /// The record's payload as the platform's REST API serves it (the object itself,
    /// without envelope): what `golden::check_sim_shapes` compares with real payloads.
    fn payload(&self, entity: Entity, id: &str) -> Result<serde_json::Value, SimError>;
}
