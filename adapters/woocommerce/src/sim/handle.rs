//! The WooCommerce simulator's [`SimHandle`]: its truth by WooCommerce's post ids (a
//! stock level is the simple product's or the variation's id), merchant edits and
//! deletions, its fault injection, and webhooks signed as WooCommerce signs them
//! (`X-WC-Webhook-Signature`, keyed with [`super::WEBHOOK_SECRET`]).

use std::sync::Arc;

use chrono::{DateTime, Utc};
use polycart_kit::adapter::WebhookKind;
use polycart_kit::model::Entity;
use polycart_kit::sim::{Delivery, Faults, Signing, SimError, SimHandle, SimStore};
use serde_json::{Value, json};

use super::{State, WEBHOOK_SECRET, hooks, render};

/// The handle `simulate` returns with the server.
pub(crate) struct Handle {
    pub(crate) state: Arc<State>,
    pub(crate) faults: Arc<Faults>,
}

fn number(entity: Entity, id: &str) -> Result<u64, SimError> {
    id.parse().map_err(|_| SimError::not_found(entity, id))
}

/// A stock level's product and, for a variation, its index.
fn level(store: &SimStore, id: &str) -> Result<(usize, Option<usize>), SimError> {
    let n = number(Entity::Inventory, id)?;
    store
        .products
        .iter()
        .enumerate()
        .filter(|(_, p)| !p.deleted)
        .find_map(|(pi, p)| {
            if render::is_variable(p) {
                p.variants
                    .iter()
                    .position(|v| v.id == n)
                    .map(|vi| (pi, Some(vi)))
            } else {
                (p.id == n).then_some((pi, None))
            }
        })
        .ok_or_else(|| SimError::not_found(Entity::Inventory, id))
}

impl Handle {
    fn site(&self) -> String {
        State::lock(&self.state.site).clone()
    }
}

impl SimHandle for Handle {
    fn truth(&self, entity: Entity) -> Result<Vec<String>, SimError> {
        let s = State::lock(&self.state.store);
        Ok(match entity {
            Entity::Order => {
                let extra = State::lock(&self.state.extra);
                s.orders
                    .iter()
                    .filter(|o| !o.deleted && render::order_status(o, &extra) != "trash")
                    .map(|o| o.id.to_string())
                    .collect()
            }
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
                .flat_map(|p| {
                    if render::is_variable(p) {
                        p.variants.iter().map(|v| v.id.to_string()).collect()
                    } else {
                        vec![p.id.to_string()]
                    }
                })
                .collect(),
        })
    }

    fn touch(&self, entity: Entity, id: &str, at: DateTime<Utc>) -> Result<(), SimError> {
        let mut s = State::lock(&self.state.store);
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
                let (pi, vi) = level(&s, id)?;
                let p = &mut s.products[pi];
                let v = match vi {
                    Some(vi) => &mut p.variants[vi],
                    None => {
                        p.updated_at = at;
                        &mut p.variants[0]
                    }
                };
                v.updated_at = at;
                if let Some(stock) = v.stock.first_mut() {
                    stock.1 += 1;
                }
            }
        }
        Ok(())
    }

    fn delete(&self, entity: Entity, id: &str) -> Result<(), SimError> {
        let mut s = State::lock(&self.state.store);
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
                    "a WooCommerce stock level is a product's or variation's field, not deleted on its own",
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
        let resource = match entity {
            Entity::Order => "order",
            Entity::Product => "product",
            Entity::Customer => "customer",
            Entity::Category | Entity::Inventory => {
                return Err(SimError::unsupported(format!(
                    "WooCommerce has no {entity} webhook topic"
                )));
            }
        };
        let event = match kind {
            WebhookKind::Created => "created",
            WebhookKind::Deleted => "deleted",
            _ => "updated",
        };
        let topic = format!("{resource}.{event}");
        let n = number(entity, id)?;
        let body = hooks::delivery_body(&self.state, &topic, n)
            .ok_or_else(|| SimError::not_found(entity, id))?;
        let secret = match signing {
            Signing::Correct => WEBHOOK_SECRET,
            Signing::WrongSecret => "not-the-webhook-secret",
        };
        let headers = hooks::delivery_headers(&self.state, &topic, 1, secret, &body);
        Ok(Delivery {
            topic,
            headers,
            body,
        })
    }

    fn order_notes(&self, id: &str) -> Result<Vec<String>, SimError> {
        let n = number(Entity::Order, id)?;
        Ok(State::lock(&self.state.extra)
            .notes
            .get(&n)
            .map(|notes| {
                notes
                    .iter()
                    .filter_map(|v| v["note"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default())
    }

    fn payload(&self, entity: Entity, id: &str) -> Result<Value, SimError> {
        let site = self.site();
        let tracking = State::lock(&self.state.config).shipment_tracking;
        let s = State::lock(&self.state.store);
        let missing = || SimError::not_found(entity, id);
        let n = number(entity, id)?;
        Ok(match entity {
            Entity::Order => {
                let extra = State::lock(&self.state.extra);
                let o = s
                    .orders
                    .iter()
                    .find(|o| o.id == n && !o.deleted)
                    .ok_or_else(missing)?;
                render::order(o, &s.products, &extra, &site, tracking)
            }
            Entity::Product => {
                let p = s
                    .products
                    .iter()
                    .find(|p| p.id == n && !p.deleted)
                    .ok_or_else(missing)?;
                render::product(p, &s.categories, &site)
            }
            Entity::Customer => {
                let c = s
                    .customers
                    .iter()
                    .find(|c| c.id == n && !c.deleted)
                    .ok_or_else(missing)?;
                render::customer(c, &site)
            }
            Entity::Category => {
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
                render::category(c, count, &site)
            }
            Entity::Inventory => {
                let (pi, vi) = level(&s, id)?;
                let p = &s.products[pi];
                match vi {
                    Some(vi) => {
                        let mut body = render::variation(p, &p.variants[vi], &site);
                        body["type"] = json!("variation");
                        body["parent_id"] = json!(p.id);
                        body
                    }
                    None => render::product(p, &s.categories, &site),
                }
            }
        })
    }
}
