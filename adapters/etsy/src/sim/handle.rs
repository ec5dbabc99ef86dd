//! What the conformance suite drives: the Etsy simulator's truth (receipts, listings
//! and shop sections by their Etsy ids), merchant edits and deletions, faults,
//! `order.paid` deliveries signed the Standard Webhooks way, and the records as the
//! API serves them.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use http::{HeaderMap, HeaderValue};
use polycart_kit::adapter::WebhookKind;
use polycart_kit::auth::hmac::{standard_webhook_key, standard_webhook_signature};
use polycart_kit::model::Entity;
use polycart_kit::sim::{Delivery, Faults, Signing, SimError, SimHandle};
use serde_json::{Value, json};

use super::render::{self, Ids};
use super::{EtsySim, section_rows};

fn unsupported(entity: Entity) -> SimError {
    SimError::unsupported(format!("Etsy has no {entity}s here"))
}

impl EtsySim {
    fn local(&self, entity: Entity, id: &str) -> Result<u64, SimError> {
        let s = self.store();
        let found = match entity {
            Entity::Order => Ids::local(Ids::RECEIPT, id)
                .filter(|n| s.orders.iter().any(|o| o.id == *n && !o.deleted)),
            Entity::Product => Ids::local(Ids::LISTING, id)
                .filter(|n| s.products.iter().any(|p| p.id == *n && !p.deleted)),
            Entity::Category => Ids::local(Ids::SECTION, id).filter(|n| {
                s.categories.iter().any(|c| c.id == *n) && !self.sections_deleted().contains(n)
            }),
            other => return Err(unsupported(other)),
        };
        found.ok_or_else(|| SimError::not_found(entity, id))
    }

    /// An `order.paid` delivery for a receipt: body and Standard Webhooks headers,
    /// signed with `secret` (the endpoint's `whsec_…`).
    pub fn order_paid(&self, receipt_id: &str, secret: &str, at: i64) -> (Vec<u8>, HeaderMap) {
        let body = json!({
            "event_type": "order.paid",
            "resource_url": format!(
                "https://openapi.etsy.com/v3/application/shops/{}/receipts/{receipt_id}",
                self.shop_id
            ),
            "shop_id": self.shop_id,
        })
        .to_string()
        .into_bytes();
        let id = format!("msg_{receipt_id}_{at}");
        let signature =
            standard_webhook_signature(&standard_webhook_key(secret), &id, &at.to_string(), &body);
        let mut headers = HeaderMap::new();
        headers.insert("content-type", HeaderValue::from_static("application/json"));
        for (name, value) in [
            ("webhook-id", id),
            ("webhook-timestamp", at.to_string()),
            ("webhook-signature", signature),
        ] {
            if let Ok(v) = HeaderValue::from_str(&value) {
                headers.insert(name, v);
            }
        }
        (body, headers)
    }
}

impl SimHandle for EtsySim {
    fn truth(&self, entity: Entity) -> Result<Vec<String>, SimError> {
        let s = self.store();
        match entity {
            Entity::Order => Ok(s
                .orders
                .iter()
                .filter(|o| !o.deleted)
                .map(|o| (Ids::RECEIPT + o.id).to_string())
                .collect()),
            Entity::Product => Ok(s
                .products
                .iter()
                .filter(|p| !p.deleted)
                .map(|p| (Ids::LISTING + p.id).to_string())
                .collect()),
            Entity::Category => {
                let deleted = self.sections_deleted();
                Ok(s.categories
                    .iter()
                    .filter(|c| !deleted.contains(&c.id))
                    .map(|c| (Ids::SECTION + c.id).to_string())
                    .collect())
            }
            other => Err(unsupported(other)),
        }
    }

    fn touch(&self, entity: Entity, id: &str, at: DateTime<Utc>) -> Result<(), SimError> {
        let n = self.local(entity, id)?;
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
            Entity::Category => {
                let c = s
                    .categories
                    .iter_mut()
                    .find(|c| c.id == n)
                    .ok_or_else(|| SimError::not_found(entity, id))?;
                c.name = format!("{} (touched)", c.name.trim_end_matches(" (touched)"));
                c.updated_at = at;
            }
            other => return Err(unsupported(other)),
        }
        Ok(())
    }

    fn delete(&self, entity: Entity, id: &str) -> Result<(), SimError> {
        let n = self.local(entity, id)?;
        match entity {
            Entity::Category => {
                self.sections_deleted().insert(n);
                Ok(())
            }
            Entity::Order => self
                .store()
                .order_mut(n)
                .map(|o| o.deleted = true)
                .ok_or_else(|| SimError::not_found(entity, id)),
            Entity::Product => self
                .store()
                .product_mut(n)
                .map(|p| p.deleted = true)
                .ok_or_else(|| SimError::not_found(entity, id)),
            other => Err(unsupported(other)),
        }
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
            return Err(SimError::unsupported("Etsy sends order events only"));
        }
        if !matches!(kind, WebhookKind::Created | WebhookKind::Updated) {
            return Err(SimError::unsupported("Etsy sends order.paid only"));
        }
        self.local(entity, id)?;
        let secret = match signing {
            Signing::Correct => self.webhook_secret.clone(),
            Signing::WrongSecret => format!(
                "whsec_{}",
                polycart_kit::auth::hmac::base64(b"not-the-endpoint-secret")
            ),
        };
        let (body, headers) = self.order_paid(id, &secret, Utc::now().timestamp());
        Ok(Delivery {
            topic: "order.paid".to_owned(),
            headers,
            body,
        })
    }

    fn payload(&self, entity: Entity, id: &str) -> Result<Value, SimError> {
        let n = self.local(entity, id)?;
        match entity {
            Entity::Order => {
                let s = self.store();
                let o = s
                    .orders
                    .iter()
                    .find(|o| o.id == n)
                    .ok_or_else(|| SimError::not_found(entity, id))?;
                Ok(render::receipt(o, self.shop_id, self.user_id))
            }
            Entity::Product => {
                let s = self.store();
                let p = s
                    .products
                    .iter()
                    .find(|p| p.id == n)
                    .ok_or_else(|| SimError::not_found(entity, id))?;
                Ok(self.listing_view(p, s.currency, true, true))
            }
            Entity::Category => section_rows(self)
                .into_iter()
                .find(|s| {
                    s["shop_section_id"]
                        .as_u64()
                        .map(|n| n.to_string())
                        .as_deref()
                        == Some(id)
                })
                .ok_or_else(|| SimError::not_found(entity, id)),
            other => Err(unsupported(other)),
        }
    }
}
