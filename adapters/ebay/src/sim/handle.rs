//! What the conformance suite drives: the eBay simulator's truth (orders by their
//! eBay order id, inventory items by SKU, as products and as stock levels), merchant
//! edits and deletions, faults, and the records as the Sell APIs serve them. eBay's
//! notification topics name no order or item: `EbaySim::notification` signs them apart.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use polycart_kit::adapter::WebhookKind;
use polycart_kit::model::Entity;
use polycart_kit::sim::{Delivery, Faults, Signing, SimError, SimHandle};
use serde_json::Value;

use super::{EbaySim, order_id, render_item, render_order};

/// A level id: the SKU and the location key, if any.
fn split(id: &str) -> (&str, Option<&str>) {
    match id.split_once(':') {
        Some((sku, key)) => (sku, Some(key)),
        None => (id, None),
    }
}

fn unsupported(entity: Entity) -> SimError {
    SimError::unsupported(format!("{entity}s are not listed"))
}

impl EbaySim {
    fn order_number(&self, id: &str) -> Result<u64, SimError> {
        self.store()
            .orders
            .iter()
            .find(|o| !o.deleted && order_id(o) == id)
            .map(|o| o.id)
            .ok_or_else(|| SimError::not_found(Entity::Order, id))
    }
}

impl SimHandle for EbaySim {
    fn truth(&self, entity: Entity) -> Result<Vec<String>, SimError> {
        match entity {
            Entity::Order => Ok(self
                .store()
                .orders
                .iter()
                .filter(|o| !o.deleted)
                .map(order_id)
                .collect()),
            Entity::Product => Ok(self
                .ledger()
                .items
                .iter()
                .filter(|i| !i.deleted)
                .map(|i| i.sku.clone())
                .collect()),
            // A level per item and location (`{sku}:{merchantLocationKey}`), or the
            // item's one level when its stock is not distributed.
            Entity::Inventory => Ok(self
                .ledger()
                .items
                .iter()
                .filter(|i| !i.deleted)
                .flat_map(|i| {
                    if i.stock.is_empty() {
                        vec![i.sku.clone()]
                    } else {
                        i.stock
                            .iter()
                            .map(|(k, _)| format!("{}:{k}", i.sku))
                            .collect()
                    }
                })
                .collect()),
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
                let (sku, location) = split(id);
                let mut l = self.ledger();
                let i = l
                    .items
                    .iter_mut()
                    .find(|i| !i.deleted && i.sku == sku)
                    .ok_or_else(|| SimError::not_found(entity, id))?;
                i.title = format!("{} (touched)", i.title.trim_end_matches(" (touched)"));
                i.quantity += 1;
                let at = location
                    .and_then(|k| i.stock.iter().position(|(key, _)| key == k))
                    .unwrap_or(0);
                if let Some((_, q)) = i.stock.get_mut(at) {
                    *q += 1;
                }
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
            Entity::Product => {
                let mut l = self.ledger();
                l.items
                    .iter_mut()
                    .find(|i| !i.deleted && i.sku == id)
                    .map(|i| i.deleted = true)
                    .ok_or_else(|| SimError::not_found(entity, id))
            }
            // A level goes with its location's share; the last one takes the item.
            Entity::Inventory => {
                let (sku, location) = split(id);
                let mut l = self.ledger();
                let i = l
                    .items
                    .iter_mut()
                    .find(|i| !i.deleted && i.sku == sku)
                    .ok_or_else(|| SimError::not_found(entity, id))?;
                match location {
                    Some(k) => {
                        let at = i
                            .stock
                            .iter()
                            .position(|(key, _)| key == k)
                            .ok_or_else(|| SimError::not_found(entity, id))?;
                        let (_, q) = i.stock.remove(at);
                        i.quantity -= q;
                        if i.stock.is_empty() {
                            i.deleted = true;
                        }
                    }
                    None => i.deleted = true,
                }
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
            "eBay's notification topics name no order or item (EbaySim::notification signs account deletions)",
        ))
    }

    fn payload(&self, entity: Entity, id: &str) -> Result<Value, SimError> {
        match entity {
            Entity::Order => {
                let n = self.order_number(id)?;
                let origin = self.origin();
                let s = self.store();
                let o = s
                    .orders
                    .iter()
                    .find(|o| o.id == n)
                    .ok_or_else(|| SimError::not_found(entity, id))?;
                Ok(render_order(o, &origin))
            }
            Entity::Product | Entity::Inventory => {
                let (sku, _) = split(id);
                let l = self.ledger();
                l.items
                    .iter()
                    .find(|i| !i.deleted && i.sku == sku)
                    .map(render_item)
                    .ok_or_else(|| SimError::not_found(entity, id))
            }
            other => Err(unsupported(other)),
        }
    }
}
