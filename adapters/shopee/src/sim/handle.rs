//! What the conformance suite drives: the Shopee simulator's truth (orders by
//! `order_sn`, items by `item_id`), merchant edits and deletions, faults, signed
//! pushes and the records as the API serves them.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use http::{HeaderMap, HeaderValue};
use polycart_kit::adapter::WebhookKind;
use polycart_kit::auth::hmac::{hex, hmac_sha256};
use polycart_kit::model::Entity;
use polycart_kit::sim::{Delivery, Faults, Signing, SimError, SimHandle};
use serde_json::{Value, json};

use super::{PUSH_URL, SHOP_ID, ShopeeSim, render};

fn unsupported(entity: Entity) -> SimError {
    SimError::unsupported(format!("{entity}s are not listed"))
}

impl ShopeeSim {
    fn order_id(&self, sn: &str) -> Result<u64, SimError> {
        let n = render::order_number(sn).ok_or_else(|| SimError::not_found(Entity::Order, sn))?;
        self.store()
            .orders
            .iter()
            .any(|o| o.id == n && !o.deleted && render::order_sn(o) == sn)
            .then_some(n)
            .ok_or_else(|| SimError::not_found(Entity::Order, sn))
    }

    fn item_id(&self, id: &str) -> Result<u64, SimError> {
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

    /// A push as Shopee sends it: the body and its `Authorization` signature for
    /// `url`, keyed with `key`.
    pub fn push(&self, code: i64, data: Value, key: &str, url: &str) -> (Vec<u8>, String) {
        let body = json!({
            "shop_id": SHOP_ID,
            "code": code,
            "timestamp": Utc::now().timestamp(),
            "data": data,
        })
        .to_string()
        .into_bytes();
        let mut message = url.as_bytes().to_vec();
        message.push(b'|');
        message.extend_from_slice(&body);
        (body, hex(&hmac_sha256(key.as_bytes(), &message)))
    }
}

impl SimHandle for ShopeeSim {
    fn truth(&self, entity: Entity) -> Result<Vec<String>, SimError> {
        let s = self.store();
        match entity {
            Entity::Order => Ok(s
                .orders
                .iter()
                .filter(|o| !o.deleted)
                .map(render::order_sn)
                .collect()),
            Entity::Product => Ok(s
                .products
                .iter()
                .filter(|p| !p.deleted)
                .map(|p| p.id.to_string())
                .collect()),
            // A level per model, or one per item without models.
            Entity::Inventory => Ok(s
                .products
                .iter()
                .filter(|p| !p.deleted)
                .flat_map(|p| {
                    if render::has_model(p) {
                        p.variants
                            .iter()
                            .map(|v| format!("{}:{}", p.id, v.id))
                            .collect()
                    } else {
                        vec![format!("{}:0", p.id)]
                    }
                })
                .collect()),
            other => Err(unsupported(other)),
        }
    }

    fn touch(&self, entity: Entity, id: &str, at: DateTime<Utc>) -> Result<(), SimError> {
        match entity {
            Entity::Order => {
                let n = self.order_id(id)?;
                let mut s = self.store();
                s.touch_order(n, at)
                    .ok_or_else(|| SimError::not_found(entity, id))?;
            }
            Entity::Product => {
                let n = self.item_id(id)?;
                let mut s = self.store();
                s.touch_product(n, at)
                    .ok_or_else(|| SimError::not_found(entity, id))?;
            }
            // A level's stock changed: its item's update time moves.
            Entity::Inventory => {
                let (item, model) = id
                    .split_once(':')
                    .ok_or_else(|| SimError::not_found(entity, id))?;
                let n = self.item_id(item)?;
                let mut s = self.store();
                let p = s
                    .product_mut(n)
                    .ok_or_else(|| SimError::not_found(entity, id))?;
                let modelled = render::has_model(p);
                let v = p
                    .variants
                    .iter_mut()
                    .find(|v| {
                        if modelled {
                            v.id.to_string() == model
                        } else {
                            model == "0"
                        }
                    })
                    .ok_or_else(|| SimError::not_found(entity, id))?;
                match v.stock.first_mut() {
                    Some(level) => level.1 += 1,
                    None => v.stock.push((0, 1)),
                }
                p.updated_at = at;
            }
            other => return Err(unsupported(other)),
        }
        Ok(())
    }

    fn delete(&self, entity: Entity, id: &str) -> Result<(), SimError> {
        match entity {
            Entity::Order => {
                let n = self.order_id(id)?;
                if let Some(o) = self.store().order_mut(n) {
                    o.deleted = true;
                }
            }
            Entity::Product => {
                let n = self.item_id(id)?;
                if let Some(p) = self.store().product_mut(n) {
                    p.deleted = true;
                }
            }
            // A model deleted (Shopee's `delete_model`), or an item without models.
            Entity::Inventory => {
                let (item, model) = id
                    .split_once(':')
                    .ok_or_else(|| SimError::not_found(entity, id))?;
                let n = self.item_id(item)?;
                let mut s = self.store();
                let p = s
                    .product_mut(n)
                    .ok_or_else(|| SimError::not_found(entity, id))?;
                if render::has_model(p) {
                    let before = p.variants.len();
                    p.variants.retain(|v| v.id.to_string() != model);
                    if p.variants.len() == before {
                        return Err(SimError::not_found(entity, id));
                    }
                    p.updated_at = Utc::now();
                    if p.variants.is_empty() {
                        p.deleted = true;
                    }
                } else if model == "0" {
                    p.deleted = true;
                } else {
                    return Err(SimError::not_found(entity, id));
                }
            }
            other => return Err(unsupported(other)),
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
        if entity != Entity::Order {
            return Err(SimError::unsupported(
                "Shopee pushes no generic item changes (only bans, promotions, reserved stock)",
            ));
        }
        if !matches!(kind, WebhookKind::Updated | WebhookKind::Created) {
            return Err(SimError::unsupported(
                "Shopee pushes order status and tracking changes, not deletions",
            ));
        }
        let n = self.order_id(id)?;
        let status = {
            let s = self.store();
            let o = s
                .orders
                .iter()
                .find(|o| o.id == n)
                .ok_or_else(|| SimError::not_found(entity, id))?;
            (render::order_status(o), o.updated_at.timestamp())
        };
        let key = match signing {
            Signing::Correct => self.partner_key.clone(),
            Signing::WrongSecret => "not-the-partner-key".to_owned(),
        };
        let data = json!({ "ordersn": id, "status": status.0, "update_time": status.1 });
        let (body, signature) = self.push(3, data, &key, PUSH_URL);
        let mut headers = HeaderMap::new();
        headers.insert("content-type", HeaderValue::from_static("application/json"));
        headers.insert(
            "authorization",
            HeaderValue::from_str(&signature).map_err(|e| SimError::unsupported(e.to_string()))?,
        );
        Ok(Delivery {
            topic: "order_status_push".to_owned(),
            headers,
            body,
        })
    }

    fn payload(&self, entity: Entity, id: &str) -> Result<Value, SimError> {
        let s = self.store();
        match entity {
            Entity::Order => {
                let n = render::order_number(id).ok_or_else(|| SimError::not_found(entity, id))?;
                s.orders
                    .iter()
                    .find(|o| o.id == n && !o.deleted)
                    .map(|o| render::order(o, self.region))
                    .ok_or_else(|| SimError::not_found(entity, id))
            }
            Entity::Product | Entity::Inventory => {
                let item = id.split(':').next().unwrap_or(id);
                let n: u64 = item.parse().map_err(|_| SimError::not_found(entity, id))?;
                s.products
                    .iter()
                    .find(|p| p.id == n && !p.deleted)
                    .map(|p| {
                        // The composite polycart reads: the item with its models.
                        let mut item = render::item(p, self.region);
                        if render::has_model(p) {
                            item["model_list"] = render::models(p, self.region);
                        }
                        item
                    })
                    .ok_or_else(|| SimError::not_found(entity, id))
            }
            other => Err(unsupported(other)),
        }
    }
}
