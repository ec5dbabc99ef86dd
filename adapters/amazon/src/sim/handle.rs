//! What the conformance suite drives: the Amazon simulator's truth (orders by their
//! Amazon id, listings by SKU), a seller's edits and deletions, faults, and the
//! records as the Orders API 2026-01-01 and Listings Items API serve them. Amazon
//! sends no webhooks (notifications go to SQS or EventBridge).

use std::sync::Arc;

use chrono::{DateTime, Utc};
use polycart_kit::adapter::WebhookKind;
use polycart_kit::model::Entity;
use polycart_kit::sim::{Delivery, Faults, Signing, SimError, SimHandle};
use serde_json::Value;

use super::render::{self, Included};
use super::{AmazonSim, find_order, listings};

fn unsupported(entity: Entity) -> SimError {
    SimError::unsupported(format!("{entity}s are not listed"))
}

impl AmazonSim {
    fn order_number(&self, id: &str) -> Result<u64, SimError> {
        find_order(self, id).ok_or_else(|| SimError::not_found(Entity::Order, id))
    }

    fn live_sku(&self, sku: &str) -> Result<(), SimError> {
        listings(self)
            .iter()
            .any(|(s, ..)| s == sku)
            .then_some(())
            .ok_or_else(|| SimError::not_found(Entity::Product, sku))
    }
}

impl SimHandle for AmazonSim {
    fn truth(&self, entity: Entity) -> Result<Vec<String>, SimError> {
        match entity {
            Entity::Order => {
                let s = self.store();
                Ok(s.orders
                    .iter()
                    .filter(|o| !o.deleted)
                    .map(|o| self.order_id(o))
                    .collect())
            }
            Entity::Product | Entity::Inventory => {
                Ok(listings(self).into_iter().map(|(sku, ..)| sku).collect())
            }
            other => Err(unsupported(other)),
        }
    }

    fn touch(&self, entity: Entity, id: &str, at: DateTime<Utc>) -> Result<(), SimError> {
        match entity {
            Entity::Order => {
                let n = self.order_number(id)?;
                let mut s = self.store();
                s.touch_order(n, at)
                    .ok_or_else(|| SimError::not_found(entity, id))?;
            }
            Entity::Product | Entity::Inventory => {
                self.live_sku(id)?;
                let mut s = self.store();
                let v = s
                    .products
                    .iter_mut()
                    .filter(|p| !p.deleted)
                    .flat_map(|p| p.variants.iter_mut())
                    .find(|v| v.sku == id)
                    .ok_or_else(|| SimError::not_found(entity, id))?;
                v.updated_at = at;
                v.title = format!("{} (touched)", v.title.trim_end_matches(" (touched)"));
            }
            other => return Err(unsupported(other)),
        }
        Ok(())
    }

    fn delete(&self, entity: Entity, id: &str) -> Result<(), SimError> {
        match entity {
            Entity::Order => {
                let n = self.order_number(id)?;
                let mut s = self.store();
                s.order_mut(n)
                    .map(|o| o.deleted = true)
                    .ok_or_else(|| SimError::not_found(entity, id))
            }
            Entity::Product | Entity::Inventory => {
                self.live_sku(id)?;
                self.extra().deleted_skus.insert(id.to_owned());
                Ok(())
            }
            other => Err(unsupported(other)),
        }
    }

    fn faults(&self) -> &Arc<Faults> {
        &self.faults
    }

    fn webhook(
        &self,
        _: Entity,
        _: &str,
        _: WebhookKind,
        _: Signing,
    ) -> Result<Delivery, SimError> {
        Err(SimError::unsupported(
            "Amazon notifies through SQS or EventBridge, not HTTP webhooks",
        ))
    }

    fn payload(&self, entity: Entity, id: &str) -> Result<Value, SimError> {
        match entity {
            Entity::Order => {
                let n = self.order_number(id)?;
                let s = self.store();
                let o = s
                    .orders
                    .iter()
                    .find(|o| o.id == n)
                    .ok_or_else(|| SimError::not_found(entity, id))?;
                let extra = self.extra();
                let packages = extra.packages.get(&n).map(Vec::as_slice).unwrap_or(&[]);
                Ok(render::order_2026(self.seed, o, packages, &Included::all()))
            }
            Entity::Product | Entity::Inventory => {
                let all: Vec<String> = [
                    "summaries",
                    "attributes",
                    "issues",
                    "offers",
                    "fulfillmentAvailability",
                ]
                .iter()
                .map(|s| (*s).to_owned())
                .collect();
                render::listing(self, id, &all).ok_or_else(|| SimError::not_found(entity, id))
            }
            other => Err(unsupported(other)),
        }
    }
}
