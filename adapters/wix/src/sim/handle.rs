//! What the conformance suite drives: the Wix simulator's truth by GUID (orders that
//! search returns, products, collections, contacts), merchant edits and deletions,
//! faults, webhook JWTs signed as Wix signs them, and the records as the REST API
//! serves them.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use http::{HeaderMap, HeaderValue};
use polycart_kit::adapter::WebhookKind;
use polycart_kit::model::Entity;
use polycart_kit::sim::{Delivery, Faults, Signing, SimError, SimHandle};
use serde_json::{Value, json};

use super::render::{self, Kind, guid, number};
use super::{WixSim, render_collection, render_contact, render_order, render_product};

fn kind(entity: Entity) -> Result<Kind, SimError> {
    Ok(match entity {
        Entity::Order => Kind::Order,
        Entity::Product => Kind::Product,
        Entity::Category => Kind::Collection,
        Entity::Customer => Kind::Contact,
        other => return Err(SimError::unsupported(format!("{other}s are not listed"))),
    })
}

impl WixSim {
    /// The generated number of a record that exists now.
    fn existing(&self, entity: Entity, id: &str) -> Result<u64, SimError> {
        let n = number(kind(entity)?, id).ok_or_else(|| SimError::not_found(entity, id))?;
        let s = self.store();
        let found = match entity {
            Entity::Order => s.orders.iter().any(|o| o.id == n && !o.deleted),
            Entity::Product => s.products.iter().any(|p| p.id == n && !p.deleted),
            Entity::Category => s.categories.iter().any(|c| c.id == n),
            _ => s.customers.iter().any(|c| c.id == n && !c.deleted),
        };
        found
            .then_some(n)
            .ok_or_else(|| SimError::not_found(entity, id))
    }

    /// The event a webhook about `id` carries (the inner `data`), and its type.
    fn event(
        &self,
        entity: Entity,
        id: &str,
        kind: WebhookKind,
    ) -> Result<(String, Value), SimError> {
        let (fqdn, topic_kind) = match entity {
            Entity::Order => ("wix.ecom.v1.order", "order"),
            Entity::Product => ("wix.stores.v1.product", "product"),
            Entity::Customer => ("wix.contacts.v4.contact", "contact"),
            other => return Err(SimError::unsupported(format!("no webhooks for {other}s"))),
        };
        let slug = match (kind, entity) {
            (WebhookKind::Created, _) => "created",
            (WebhookKind::Updated, Entity::Product) => "changed",
            (WebhookKind::Updated, _) => "updated",
            (WebhookKind::Deleted, _) => "deleted",
            _ => {
                return Err(SimError::unsupported(
                    "Wix sends created, updated and deleted events",
                ));
            }
        };
        let mut event = json!({
            "id": format!("{:x}-{}", Utc::now().timestamp_millis(), id),
            "entityFqdn": fqdn,
            "slug": slug,
            "entityId": id,
            "eventTime": render::date(Utc::now()),
            "triggeredByAnonymizeRequest": false,
        });
        if kind != WebhookKind::Deleted {
            let entity_json = self.payload(entity, id)?;
            let key = if kind == WebhookKind::Created {
                "createdEvent"
            } else {
                "updatedEvent"
            };
            let field = if kind == WebhookKind::Created {
                "entity"
            } else {
                "currentEntity"
            };
            event[key] = json!({ field: entity_json });
        } else {
            event["deletedEvent"] = json!({});
        }
        let base = fqdn.rsplit_once('.').map_or(fqdn, |(b, _)| b);
        Ok((format!("{base}.{topic_kind}_{slug}"), event))
    }
}

impl SimHandle for WixSim {
    fn truth(&self, entity: Entity) -> Result<Vec<String>, SimError> {
        let k = kind(entity)?;
        let s = self.store();
        Ok(match entity {
            // What search returns: never INITIALIZED orders.
            Entity::Order => s
                .orders
                .iter()
                .filter(|o| !o.deleted && render::status(o) != "INITIALIZED")
                .map(|o| guid(k, o.id))
                .collect(),
            Entity::Product => s
                .products
                .iter()
                .filter(|p| !p.deleted)
                .map(|p| guid(k, p.id))
                .collect(),
            Entity::Category => s.categories.iter().map(|c| guid(k, c.id)).collect(),
            _ => s
                .customers
                .iter()
                .filter(|c| !c.deleted)
                .map(|c| guid(k, c.id))
                .collect(),
        })
    }

    fn touch(&self, entity: Entity, id: &str, at: DateTime<Utc>) -> Result<(), SimError> {
        let n = self.existing(entity, id)?;
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
            Entity::Customer => {
                let c = s
                    .customers
                    .iter_mut()
                    .find(|c| c.id == n)
                    .ok_or_else(|| SimError::not_found(entity, id))?;
                c.updated_at = at;
                c.last_name = format!("{} (touched)", c.last_name.trim_end_matches(" (touched)"));
            }
            _ => {
                return Err(SimError::unsupported(
                    "Wix collections have no modification time",
                ));
            }
        }
        Ok(())
    }

    fn delete(&self, entity: Entity, id: &str) -> Result<(), SimError> {
        let n = self.existing(entity, id)?;
        let mut s = self.store();
        match entity {
            Entity::Order => s
                .orders
                .iter_mut()
                .filter(|o| o.id == n)
                .for_each(|o| o.deleted = true),
            Entity::Product => s
                .products
                .iter_mut()
                .filter(|p| p.id == n)
                .for_each(|p| p.deleted = true),
            Entity::Category => s.categories.retain(|c| c.id != n),
            _ => s
                .customers
                .iter_mut()
                .filter(|c| c.id == n)
                .for_each(|c| c.deleted = true),
        }
        Ok(())
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
        let (topic, event) = self.event(entity, id, kind)?;
        let signer = match signing {
            Signing::Correct => self.clone(),
            Signing::WrongSecret => self.forger(),
        };
        let body = signer.webhook_jwt(&topic, &event, Utc::now().timestamp(), 3600);
        let mut headers = HeaderMap::new();
        headers.insert("content-type", HeaderValue::from_static("text/plain"));
        Ok(Delivery {
            topic,
            headers,
            body: body.into_bytes(),
        })
    }

    fn payload(&self, entity: Entity, id: &str) -> Result<Value, SimError> {
        let n = self.existing(entity, id)?;
        let s = self.store();
        let missing = || SimError::not_found(entity, id);
        Ok(match entity {
            Entity::Order => render_order(s.orders.iter().find(|o| o.id == n).ok_or_else(missing)?),
            Entity::Product => render_product(
                s.products.iter().find(|p| p.id == n).ok_or_else(missing)?,
                s.currency,
                true,
            ),
            Entity::Category => {
                let c = s
                    .categories
                    .iter()
                    .find(|c| c.id == n)
                    .ok_or_else(missing)?;
                let count = s
                    .products
                    .iter()
                    .filter(|p| !p.deleted && p.category_ids.contains(&c.id))
                    .count();
                render_collection(c, count)
            }
            _ => render_contact(s.customers.iter().find(|c| c.id == n).ok_or_else(missing)?),
        })
    }
}
