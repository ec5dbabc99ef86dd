//! What the conformance suite drives: the Ecwid simulator's truth (orders by their
//! `id`, products by number), merchant edits and deletions, faults, signed webhook
//! deliveries and the records as the REST API serves them.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use http::{HeaderMap, HeaderValue};
use polycart_kit::adapter::WebhookKind;
use polycart_kit::model::Entity;
use polycart_kit::sim::{Delivery, Faults, Signing, SimError, SimHandle};
use serde_json::{Value, json};

use super::{EcwidSim, order_id, render_order, render_product};

fn unsupported(entity: Entity) -> SimError {
    SimError::unsupported(format!("{entity}s are not listed"))
}

impl EcwidSim {
    /// The generated order behind an Ecwid order id.
    fn order_number(&self, id: &str) -> Result<u64, SimError> {
        self.store()
            .orders
            .iter()
            .find(|o| !o.deleted && order_id(o) == id)
            .map(|o| o.id)
            .ok_or_else(|| SimError::not_found(Entity::Order, id))
    }

    fn product_number(&self, id: &str) -> Result<u64, SimError> {
        let n: u64 = id
            .parse()
            .map_err(|_| SimError::not_found(Entity::Product, id))?;
        self.store()
            .products
            .iter()
            .any(|p| p.id == n && !p.deleted)
            .then_some(n)
            .ok_or_else(|| SimError::not_found(Entity::Product, id))
    }
}

impl SimHandle for EcwidSim {
    fn truth(&self, entity: Entity) -> Result<Vec<String>, SimError> {
        let s = self.store();
        match entity {
            Entity::Order => Ok(s
                .orders
                .iter()
                .filter(|o| !o.deleted)
                .map(order_id)
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
        match entity {
            Entity::Order => {
                let n = self.order_number(id)?;
                let mut s = self.store();
                s.touch_order(n, at)
                    .ok_or_else(|| SimError::not_found(entity, id))?;
            }
            Entity::Product => {
                let n = self.product_number(id)?;
                let mut s = self.store();
                s.touch_product(n, at)
                    .ok_or_else(|| SimError::not_found(entity, id))?;
            }
            other => return Err(unsupported(other)),
        }
        Ok(())
    }

    fn delete(&self, entity: Entity, id: &str) -> Result<(), SimError> {
        let n = match entity {
            Entity::Order => self.order_number(id)?,
            Entity::Product => self.product_number(id)?,
            other => return Err(unsupported(other)),
        };
        let mut s = self.store();
        match entity {
            Entity::Order => s.order_mut(n).map(|o| o.deleted = true),
            _ => s.product_mut(n).map(|p| p.deleted = true),
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
        let action = match kind {
            WebhookKind::Created => "created",
            WebhookKind::Updated => "updated",
            WebhookKind::Deleted => "deleted",
            _ => {
                return Err(SimError::unsupported(
                    "Ecwid sends created, updated and deleted events",
                ));
            }
        };
        let (topic, entity_id, data) = match entity {
            Entity::Order => (
                format!("order.{action}"),
                self.order_number(id)?,
                json!({ "orderId": id }),
            ),
            Entity::Product => (
                format!("product.{action}"),
                self.product_number(id)?,
                json!({}),
            ),
            other => return Err(unsupported(other)),
        };
        let created = Utc::now().timestamp();
        let signer = match signing {
            Signing::Correct => self.clone(),
            Signing::WrongSecret => EcwidSim {
                client_secret: "not-the-client-secret".into(),
                ..self.clone()
            },
        };
        let (body, signature) = signer.webhook(&topic, entity_id, data, created);
        let mut headers = HeaderMap::new();
        headers.insert("content-type", HeaderValue::from_static("application/json"));
        headers.insert(
            "x-ecwid-webhook-signature",
            HeaderValue::from_str(&signature)
                .map_err(|_| SimError::unsupported("unprintable signature"))?,
        );
        Ok(Delivery {
            topic,
            headers,
            body: body.into_bytes(),
        })
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
                Ok(render_order(o, self.overrides().get(&n)))
            }
            Entity::Product => {
                let n = self.product_number(id)?;
                let s = self.store();
                let p = s
                    .products
                    .iter()
                    .find(|p| p.id == n)
                    .ok_or_else(|| SimError::not_found(entity, id))?;
                Ok(render_product(p, self.store_id))
            }
            other => Err(unsupported(other)),
        }
    }
}
