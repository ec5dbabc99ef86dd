//! What the conformance suite drives: the PrestaShop simulator's truth (orders and
//! products by id), merchant edits and deletions, faults, and the records as the
//! webservice serves them. The core webservice has no webhooks.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use polycart_kit::adapter::WebhookKind;
use polycart_kit::model::Entity;
use polycart_kit::sim::{Delivery, Faults, Signing, SimError, SimHandle};
use serde_json::Value;

use super::{PrestaShopSim, render_order, render_product};

fn number(entity: Entity, id: &str) -> Result<u64, SimError> {
    id.parse().map_err(|_| SimError::not_found(entity, id))
}

fn unsupported(entity: Entity) -> SimError {
    SimError::unsupported(format!("{entity}s are not listed"))
}

impl SimHandle for PrestaShopSim {
    fn truth(&self, entity: Entity) -> Result<Vec<String>, SimError> {
        let s = self.store();
        match entity {
            Entity::Order => Ok(s
                .orders
                .iter()
                .filter(|o| !o.deleted)
                .map(|o| o.id.to_string())
                .collect()),
            Entity::Product => Ok(s
                .products
                .iter()
                .filter(|p| !p.deleted)
                .map(|p| p.id.to_string())
                .collect()),
            other => Err(unsupported(other)),
        }
    }

    fn touch(&self, entity: Entity, id: &str, at: DateTime<Utc>) -> Result<(), SimError> {
        let n = number(entity, id)?;
        let mut s = self.store();
        match entity {
            Entity::Order => {
                s.touch_order(n, at)
                    .ok_or_else(|| SimError::not_found(entity, id))?;
            }
            Entity::Product => {
                s.touch_product(n, at)
                    .ok_or_else(|| SimError::not_found(entity, id))?;
            }
            other => return Err(unsupported(other)),
        }
        Ok(())
    }

    fn delete(&self, entity: Entity, id: &str) -> Result<(), SimError> {
        let n = number(entity, id)?;
        let mut s = self.store();
        match entity {
            Entity::Order => s.order_mut(n).map(|o| o.deleted = true),
            Entity::Product => s.product_mut(n).map(|p| p.deleted = true),
            other => return Err(unsupported(other)),
        }
        .ok_or_else(|| SimError::not_found(entity, id))
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
            "the PrestaShop webservice has no webhooks",
        ))
    }

    fn payload(&self, entity: Entity, id: &str) -> Result<Value, SimError> {
        let n = number(entity, id)?;
        let s = self.store();
        let found = match entity {
            Entity::Order => s
                .orders
                .iter()
                .find(|o| o.id == n && !o.deleted)
                .map(|o| render_order(self, o)),
            Entity::Product => s
                .products
                .iter()
                .find(|p| p.id == n && !p.deleted)
                .map(|p| render_product(self, p)),
            other => return Err(unsupported(other)),
        };
        found.ok_or_else(|| SimError::not_found(entity, id))
    }
}
