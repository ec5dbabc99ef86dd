//! The BigCommerce simulator's [`SimHandle`]: its truth by BigCommerce's ids (a stock
//! level is `variant_id:location_id`, locations numbered from 1), merchant edits and
//! deletions, its fault injection, and thin callbacks signed as BigCommerce signs them
//! (Standard Webhooks, keyed with the app's client secret).

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use polycart_kit::adapter::WebhookKind;
use polycart_kit::auth::hmac::{base64, hmac_sha256};
use polycart_kit::model::Entity;
use polycart_kit::sim::{Delivery, Faults, Signing, SimError, SimHandle, SimStore};
use serde_json::{Value, json};

use super::{Sim, render};

/// The handle `simulate` returns with the server.
pub(crate) struct Handle {
    pub(crate) sim: Arc<Sim>,
    pub(crate) faults: Arc<Faults>,
}

fn number(entity: Entity, id: &str) -> Result<u64, SimError> {
    id.parse().map_err(|_| SimError::not_found(entity, id))
}

/// A level's product, variant and stock slot (`variant_id:location_position`).
fn level(store: &SimStore, id: &str) -> Result<(usize, usize, usize), SimError> {
    let not_found = || SimError::not_found(Entity::Inventory, id);
    let (variant, location) = id.split_once(':').ok_or_else(not_found)?;
    let variant: u64 = variant.parse().map_err(|_| not_found())?;
    let position: usize = location.parse().map_err(|_| not_found())?;
    let slot = position.checked_sub(1).ok_or_else(not_found)?;
    if slot >= store.locations.len() {
        return Err(not_found());
    }
    store
        .products
        .iter()
        .enumerate()
        .filter(|(_, p)| !p.deleted)
        .find_map(|(pi, p)| {
            let vi = p.variants.iter().position(|v| v.id == variant)?;
            Some((pi, vi, slot))
        })
        .ok_or_else(not_found)
}

impl SimHandle for Handle {
    fn truth(&self, entity: Entity) -> Result<Vec<String>, SimError> {
        let s = self.sim.store();
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
            Entity::Inventory => {
                let locations = s.locations.len();
                s.products
                    .iter()
                    .filter(|p| !p.deleted)
                    .flat_map(|p| &p.variants)
                    .flat_map(|v| (1..=locations).map(move |l| format!("{}:{l}", v.id)))
                    .collect()
            }
        })
    }

    fn touch(&self, entity: Entity, id: &str, at: DateTime<Utc>) -> Result<(), SimError> {
        let mut s = self.sim.store();
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
                p.description_html.push(' ');
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
                let (pi, vi, slot) = level(&s, id)?;
                let p = &mut s.products[pi];
                p.updated_at = at;
                let v = &mut p.variants[vi];
                v.updated_at = at;
                if let Some(stock) = v.stock.get_mut(slot) {
                    stock.1 += 1;
                }
            }
        }
        Ok(())
    }

    fn delete(&self, entity: Entity, id: &str) -> Result<(), SimError> {
        let mut s = self.sim.store();
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
                return Err(SimError::unsupported(
                    "a BigCommerce variant is stocked at every location: a level is not deleted on its own",
                ));
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
        let (scope, data) = if entity == Entity::Inventory {
            let s = self.sim.store();
            let (pi, vi, slot) = level(&s, id)?;
            let p = &s.products[pi];
            (
                "store/channel/1/inventory/product/stock_changed".to_owned(),
                json!({ "variant_id": p.variants[vi].id, "product_id": p.id, "location_id": slot + 1 }),
            )
        } else {
            let resource = match entity {
                Entity::Order => "order",
                Entity::Product => "product",
                Entity::Customer => "customer",
                _ => "category",
            };
            let event = match (entity, kind) {
                (_, WebhookKind::Created) => "created",
                (Entity::Order, WebhookKind::Deleted) => "archived",
                (_, WebhookKind::Deleted) => "deleted",
                _ => "updated",
            };
            (
                format!("store/{resource}/{event}"),
                json!({ "type": resource, "id": number(entity, id)? }),
            )
        };
        let (mut headers, body) = self.sim.signed_callback(&scope, &data, &BTreeMap::new());
        if signing == Signing::WrongSecret {
            let header = |name: &str| {
                headers
                    .get(name)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_owned()
            };
            let mut content =
                format!("{}.{}.", header("webhook-id"), header("webhook-timestamp")).into_bytes();
            content.extend_from_slice(&body);
            let forged = format!(
                "v1,{}",
                base64(&hmac_sha256(b"not-the-client-secret", &content))
            );
            if let Ok(v) = forged.parse() {
                headers.insert("webhook-signature", v);
            }
        }
        Ok(Delivery {
            topic: scope,
            headers,
            body,
        })
    }

    fn payload(&self, entity: Entity, id: &str) -> Result<Value, SimError> {
        let s = self.sim.store();
        let missing = || SimError::not_found(entity, id);
        Ok(match entity {
            Entity::Order => {
                let n = number(entity, id)?;
                let o = s
                    .orders
                    .iter()
                    .find(|o| o.id == n && !o.deleted)
                    .ok_or_else(missing)?;
                render::v2_order(o, self.sim.status_of(o), self.sim.api_root())
            }
            Entity::Product => {
                let n = number(entity, id)?;
                let p = s
                    .products
                    .iter()
                    .find(|p| p.id == n && !p.deleted)
                    .ok_or_else(missing)?;
                render::v3_product(
                    p,
                    render::Include {
                        variants: true,
                        images: true,
                        options: true,
                    },
                )
            }
            Entity::Customer => {
                let n = number(entity, id)?;
                let c = s
                    .customers
                    .iter()
                    .find(|c| c.id == n && !c.deleted)
                    .ok_or_else(missing)?;
                render::v3_customer(c, true)
            }
            Entity::Category => {
                let n = number(entity, id)?;
                render::v3_category(
                    s.categories
                        .iter()
                        .find(|c| c.id == n)
                        .ok_or_else(missing)?,
                )
            }
            Entity::Inventory => {
                let (pi, vi, _) = level(&s, id)?;
                let p = &s.products[pi];
                render::v3_variant(p, &p.variants[vi])
            }
        })
    }
}
