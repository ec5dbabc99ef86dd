//! What the conformance suite drives: the Squarespace simulator's truth (orders,
//! products and profiles by their object ids, inventory by variant UUID), merchant
//! edits and deletions, faults, signed order notifications and the records as the
//! Commerce APIs serve them.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use http::{HeaderMap, HeaderValue};
use polycart_kit::adapter::WebhookKind;
use polycart_kit::model::Entity;
use polycart_kit::sim::{Delivery, Faults, Signing, SimError, SimHandle};
use serde_json::{Value, json};

use super::{SquarespaceSim, render};

impl SquarespaceSim {
    fn order_of(&self, id: &str) -> Result<u64, SimError> {
        render::order_number(id)
            .filter(|n| self.store().orders.iter().any(|o| o.id == *n && !o.deleted))
            .ok_or_else(|| SimError::not_found(Entity::Order, id))
    }

    fn product_of(&self, id: &str) -> Result<u64, SimError> {
        render::product_number(id)
            .filter(|n| {
                self.store()
                    .products
                    .iter()
                    .any(|p| p.id == *n && !p.deleted)
            })
            .ok_or_else(|| SimError::not_found(Entity::Product, id))
    }

    fn profile_of(&self, id: &str) -> Result<u64, SimError> {
        render::profile_number(id)
            .filter(|n| {
                self.store()
                    .customers
                    .iter()
                    .any(|c| c.id == *n && !c.deleted)
            })
            .ok_or_else(|| SimError::not_found(Entity::Customer, id))
    }
}

impl SimHandle for SquarespaceSim {
    fn truth(&self, entity: Entity) -> Result<Vec<String>, SimError> {
        let s = self.store();
        Ok(match entity {
            Entity::Order => s
                .orders
                .iter()
                .filter(|o| !o.deleted)
                .map(|o| render::order_id(o.id))
                .collect(),
            Entity::Product => s
                .products
                .iter()
                .filter(|p| !p.deleted)
                .map(|p| render::product_id(p.id))
                .collect(),
            Entity::Inventory => s
                .products
                .iter()
                .filter(|p| !p.deleted)
                .flat_map(|p| p.variants.iter().map(|v| render::variant_id(v.id)))
                .collect(),
            Entity::Customer => s
                .customers
                .iter()
                .filter(|c| !c.deleted)
                .map(|c| render::profile_id(c.id))
                .collect(),
            other => return Err(SimError::unsupported(format!("{other}s are not listed"))),
        })
    }

    fn touch(&self, entity: Entity, id: &str, at: DateTime<Utc>) -> Result<(), SimError> {
        match entity {
            Entity::Order => {
                let n = self.order_of(id)?;
                let mut s = self.store();
                s.touch_order(n, at)
                    .ok_or_else(|| SimError::not_found(entity, id))?;
            }
            Entity::Product => {
                let n = self.product_of(id)?;
                let mut s = self.store();
                s.touch_product(n, at)
                    .ok_or_else(|| SimError::not_found(entity, id))?;
            }
            Entity::Customer => {
                let n = self.profile_of(id)?;
                let mut s = self.store();
                let c = s
                    .customers
                    .iter_mut()
                    .find(|c| c.id == n)
                    .ok_or_else(|| SimError::not_found(entity, id))?;
                c.updated_at = at;
                c.first_name = format!("{} (touched)", c.first_name.trim_end_matches(" (touched)"));
            }
            Entity::Inventory => {
                let n =
                    render::variant_number(id).ok_or_else(|| SimError::not_found(entity, id))?;
                let mut s = self.store();
                let (p, i) = s
                    .variant_mut(n)
                    .ok_or_else(|| SimError::not_found(entity, id))?;
                if let Some(first) = p.variants[i].stock.first_mut() {
                    first.1 += 1;
                }
                p.variants[i].updated_at = at;
                p.updated_at = at;
            }
            other => return Err(SimError::unsupported(format!("{other}s are not listed"))),
        }
        Ok(())
    }

    fn delete(&self, entity: Entity, id: &str) -> Result<(), SimError> {
        match entity {
            Entity::Order => {
                let n = self.order_of(id)?;
                self.store().order_mut(n).map(|o| o.deleted = true)
            }
            Entity::Product => {
                let n = self.product_of(id)?;
                self.store().product_mut(n).map(|p| p.deleted = true)
            }
            Entity::Customer => {
                let n = self.profile_of(id)?;
                self.store()
                    .customers
                    .iter_mut()
                    .find(|c| c.id == n)
                    .map(|c| c.deleted = true)
            }
            // An inventory item goes with its variant: the merchant deletes the
            // variant, or the product when it is the only one (Squarespace keeps at
            // least one variant per product).
            Entity::Inventory => {
                let n =
                    render::variant_number(id).ok_or_else(|| SimError::not_found(entity, id))?;
                let mut s = self.store();
                s.variant_mut(n).map(|(p, i)| {
                    if p.variants.len() > 1 {
                        p.variants.remove(i);
                    } else {
                        p.deleted = true;
                    }
                    p.updated_at = Utc::now();
                })
            }
            other => return Err(SimError::unsupported(format!("{other}s are not listed"))),
        }
        .ok_or_else(|| SimError::not_found(entity, id))
    }

    fn faults(&self) -> &Arc<Faults> {
        &self.faults
    }

    fn webhook(
        &self,
        entity: Entity,
        id: &str,
        kind: WebhookKind,
        signing: Signing,
    ) -> Result<Delivery, SimError> {
        if entity != Entity::Order {
            return Err(SimError::unsupported(
                "Squarespace notifies order.create, order.update and extension.uninstall only",
            ));
        }
        self.order_of(id)?;
        let (topic, data) = match kind {
            WebhookKind::Created => ("order.create", json!({ "orderId": id })),
            WebhookKind::Updated => (
                "order.update",
                json!({ "orderId": id, "update": "FULFILLED" }),
            ),
            _ => {
                return Err(SimError::unsupported(
                    "Squarespace sends no notification of a deleted order",
                ));
            }
        };
        let secret = match signing {
            Signing::Correct => self.webhook_secret.clone(),
            Signing::WrongSecret => "00112233445566778899aabbccddeeff".to_owned(),
        };
        let (body, signature) = self.notification(topic, data, &secret);
        let mut headers = HeaderMap::new();
        headers.insert("content-type", HeaderValue::from_static("application/json"));
        headers.insert("user-agent", HeaderValue::from_static("Squarespace/1.0"));
        headers.insert(
            "squarespace-signature",
            HeaderValue::from_str(&signature)
                .map_err(|_| SimError::unsupported("unprintable signature"))?,
        );
        Ok(Delivery {
            topic: topic.to_owned(),
            headers,
            body: body.into_bytes(),
        })
    }

    fn payload(&self, entity: Entity, id: &str) -> Result<Value, SimError> {
        let s = self.store();
        match entity {
            Entity::Order => {
                let n = render::order_number(id).ok_or_else(|| SimError::not_found(entity, id))?;
                let o = s
                    .orders
                    .iter()
                    .find(|o| o.id == n && !o.deleted)
                    .ok_or_else(|| SimError::not_found(entity, id))?;
                Ok(render::order(o, &self.extra().services))
            }
            Entity::Product => {
                let n =
                    render::product_number(id).ok_or_else(|| SimError::not_found(entity, id))?;
                let p = s
                    .products
                    .iter()
                    .find(|p| p.id == n && !p.deleted)
                    .ok_or_else(|| SimError::not_found(entity, id))?;
                Ok(render::product(p, s.currency))
            }
            other => Err(SimError::unsupported(format!(
                "{other} payloads are not compared"
            ))),
        }
    }
}
