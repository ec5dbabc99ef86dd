//! The Shopify simulator's [`SimHandle`]: its truth by Shopify's ids (an inventory
//! level is `inventory_item_id:location_id`), merchant edits and deletions, its fault
//! injection, and webhooks signed as Shopify signs them (`X-Shopify-Hmac-Sha256`).

use std::sync::Arc;

use chrono::{DateTime, Utc};
use polycart_kit::adapter::WebhookKind;
use polycart_kit::auth::hmac::{base64, hmac_sha256};
use polycart_kit::model::Entity;
use polycart_kit::sim::{Delivery, Faults, Signing, SimError, SimHandle, SimStore};
use serde_json::{Value, json};

use super::{SimState, render};

/// The handle `simulate` returns with the server.
pub(crate) struct Handle {
    pub(crate) state: Arc<SimState>,
    pub(crate) faults: Arc<Faults>,
}

fn number(entity: Entity, id: &str) -> Result<u64, SimError> {
    id.parse().map_err(|_| SimError::not_found(entity, id))
}

/// `inventory_item_id:location_id`.
fn level(id: &str) -> Result<(u64, u64), SimError> {
    let not_found = || SimError::not_found(Entity::Inventory, id);
    let (item, location) = id.split_once(':').ok_or_else(not_found)?;
    Ok((
        item.parse().map_err(|_| not_found())?,
        location.parse().map_err(|_| not_found())?,
    ))
}

/// The variant and stock index of a level.
fn find_level(store: &SimStore, id: &str) -> Result<(usize, usize, usize), SimError> {
    let (item, location) = level(id)?;
    store
        .products
        .iter()
        .enumerate()
        .filter(|(_, p)| !p.deleted)
        .find_map(|(pi, p)| {
            let vi = p
                .variants
                .iter()
                .position(|v| v.inventory_item_id == item)?;
            let si = p.variants[vi]
                .stock
                .iter()
                .position(|(l, _)| *l == location)?;
            Some((pi, vi, si))
        })
        .ok_or_else(|| SimError::not_found(Entity::Inventory, id))
}

impl SimHandle for Handle {
    fn truth(&self, entity: Entity) -> Result<Vec<String>, SimError> {
        let s = self.state.store();
        Ok(match entity {
            Entity::Order => s
                .orders
                .iter()
                .filter(|o| !o.deleted)
                .map(|o| o.id.to_string())
                .collect(),
            Entity::Product => s
                .products
                .iter()
                .filter(|p| !p.deleted)
                .map(|p| p.id.to_string())
                .collect(),
            Entity::Customer => s
                .customers
                .iter()
                .filter(|c| !c.deleted)
                .map(|c| c.id.to_string())
                .collect(),
            Entity::Category => s.categories.iter().map(|c| c.id.to_string()).collect(),
            Entity::Inventory => s
                .products
                .iter()
                .filter(|p| !p.deleted)
                .flat_map(|p| &p.variants)
                .flat_map(|v| {
                    v.stock
                        .iter()
                        .map(move |(l, _)| format!("{}:{l}", v.inventory_item_id))
                })
                .collect(),
        })
    }

    fn touch(&self, entity: Entity, id: &str, at: DateTime<Utc>) -> Result<(), SimError> {
        let mut s = self.state.store();
        let missing = || SimError::not_found(entity, id);
        match entity {
            Entity::Order => {
                let o = s.order_mut(number(entity, id)?).ok_or_else(missing)?;
                o.updated_at = at;
                o.note = Some(format!("touched at {}", at.to_rfc3339()));
            }
            Entity::Product => {
                let p = s.product_mut(number(entity, id)?).ok_or_else(missing)?;
                p.updated_at = at;
                p.vendor = format!("{} (touched)", p.vendor.trim_end_matches(" (touched)"));
            }
            Entity::Customer => {
                let n = number(entity, id)?;
                let c = s
                    .customers
                    .iter_mut()
                    .find(|c| c.id == n && !c.deleted)
                    .ok_or_else(missing)?;
                c.updated_at = at;
                c.accepts_marketing = !c.accepts_marketing;
            }
            Entity::Category => {
                let n = number(entity, id)?;
                let c = s
                    .categories
                    .iter_mut()
                    .find(|c| c.id == n)
                    .ok_or_else(missing)?;
                c.updated_at = at;
                c.description_html.push(' ');
            }
            Entity::Inventory => {
                let (pi, vi, si) = find_level(&s, id)?;
                let v = &mut s.products[pi].variants[vi];
                v.updated_at = at;
                v.stock[si].1 += 1;
            }
        }
        Ok(())
    }

    fn delete(&self, entity: Entity, id: &str) -> Result<(), SimError> {
        let mut s = self.state.store();
        let missing = || SimError::not_found(entity, id);
        match entity {
            Entity::Order => {
                s.order_mut(number(entity, id)?)
                    .ok_or_else(missing)?
                    .deleted = true
            }
            Entity::Product => {
                s.product_mut(number(entity, id)?)
                    .ok_or_else(missing)?
                    .deleted = true;
            }
            Entity::Customer => {
                let n = number(entity, id)?;
                s.customers
                    .iter_mut()
                    .find(|c| c.id == n && !c.deleted)
                    .ok_or_else(missing)?
                    .deleted = true;
            }
            Entity::Category => {
                let n = number(entity, id)?;
                let before = s.categories.len();
                s.categories.retain(|c| c.id != n);
                if s.categories.len() == before {
                    return Err(missing());
                }
                for p in &mut s.products {
                    p.category_ids.retain(|c| *c != n);
                }
            }
            Entity::Inventory => {
                let (pi, vi, si) = find_level(&s, id)?;
                s.products[pi].variants[vi].stock.remove(si);
            }
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
        let resource = match entity {
            Entity::Order => "orders",
            Entity::Product => "products",
            Entity::Customer => "customers",
            Entity::Category => "collections",
            Entity::Inventory => "inventory_levels",
        };
        let action = match (entity, kind) {
            (Entity::Inventory, WebhookKind::Created) => "connect",
            (Entity::Inventory, WebhookKind::Deleted) => "disconnect",
            (_, WebhookKind::Created) => "create",
            (_, WebhookKind::Deleted) => "delete",
            (Entity::Order, _) => "updated",
            _ => "update",
        };
        let body = match (entity, kind) {
            (Entity::Inventory, WebhookKind::Deleted) => {
                let (item, location) = level(id)?;
                json!({ "inventory_item_id": item, "location_id": location })
            }
            // Shopify's delete webhooks carry only the id.
            (_, WebhookKind::Deleted) => json!({ "id": number(entity, id)? }),
            _ => self.payload(entity, id)?,
        };
        let topic = format!("{resource}/{action}");
        let body = serde_json::to_vec(&body).unwrap_or_default();
        let mut headers = self
            .state
            .webhook_headers(&topic, "polycart-sim.myshopify.com", &body);
        if signing == Signing::WrongSecret {
            let forged = base64(&hmac_sha256(b"shpss_not_the_app_secret", &body));
            if let Ok(v) = forged.parse() {
                headers.insert("x-shopify-hmac-sha256", v);
            }
        }
        Ok(Delivery {
            topic,
            headers,
            body,
        })
    }

    fn payload(&self, entity: Entity, id: &str) -> Result<Value, SimError> {
        let s = self.state.store();
        let missing = || SimError::not_found(entity, id);
        Ok(match entity {
            Entity::Order => {
                let n = number(entity, id)?;
                let o = s
                    .orders
                    .iter()
                    .find(|o| o.id == n && !o.deleted)
                    .ok_or_else(missing)?;
                render::order(o, &s)
            }
            Entity::Product => {
                let n = number(entity, id)?;
                let p = s
                    .products
                    .iter()
                    .find(|p| p.id == n && !p.deleted)
                    .ok_or_else(missing)?;
                render::product(p, s.currency)
            }
            Entity::Customer => {
                let n = number(entity, id)?;
                let c = s
                    .customers
                    .iter()
                    .find(|c| c.id == n && !c.deleted)
                    .ok_or_else(missing)?;
                render::customer(c, s.currency)
            }
            Entity::Category => {
                let n = number(entity, id)?;
                let c = s
                    .categories
                    .iter()
                    .find(|c| c.id == n)
                    .ok_or_else(missing)?;
                let count = s
                    .products
                    .iter()
                    .filter(|p| !p.deleted && p.category_ids.contains(&n))
                    .count();
                render::collection(c, count)
            }
            Entity::Inventory => {
                let (pi, vi, si) = find_level(&s, id)?;
                let v = &s.products[pi].variants[vi];
                let (location, available) = v.stock[si];
                render::inventory_level(v.inventory_item_id, location, available, v.updated_at)
            }
        })
    }
}
