//! The Magento simulator's [`SimHandle`]: its truth by the ids Magento's REST API
//! gives (`entity_id`s; a stock level is an MSI source item `{source_code}:{sku}`, or
//! with MSI disabled (`no-msi`) a product's legacy stock item `default:{sku}`), edits
//! and deletions as in the admin, its fault injection, and Adobe Commerce webhook
//! deliveries (`{"eventName": ..., "data": {"order": ...}}`, RSA-SHA256 signed in
//! `x-adobe-commerce-webhook-signature` with the store's key, or a forger's).

use std::sync::Arc;

use chrono::{DateTime, Utc};
use polycart_kit::adapter::WebhookKind;
use polycart_kit::model::Entity;
use polycart_kit::sim::{Delivery, Faults, Signing, SimError, SimHandle};
use serde_json::{Value, json};

use super::{State, data::Docs, keys, sign_with};

/// The handle `simulate` returns with the server.
pub(crate) struct Handle {
    pub(crate) state: Arc<State>,
    pub(crate) faults: Arc<Faults>,
}

fn number(entity: Entity, id: &str) -> Result<u64, SimError> {
    id.parse().map_err(|_| SimError::not_found(entity, id))
}

/// Products with a legacy stock item of their own (simple, virtual, downloadable).
fn stocked(p: &Value) -> bool {
    matches!(
        p["type_id"].as_str(),
        Some("simple" | "virtual" | "downloadable")
    )
}

/// Magento's `updated_at` text (`YYYY-MM-DD HH:MM:SS`, UTC).
fn stamp(at: DateTime<Utc>) -> Value {
    json!(at.format("%Y-%m-%d %H:%M:%S").to_string())
}

/// The map of `entity`'s documents (not stock levels).
fn docs_mut(d: &mut Docs, entity: Entity) -> &mut std::collections::BTreeMap<u64, Value> {
    match entity {
        Entity::Order => &mut d.orders,
        Entity::Product => &mut d.products,
        Entity::Customer => &mut d.customers,
        _ => &mut d.categories,
    }
}

/// Where a stock level is kept.
enum Level {
    /// The index of an MSI source item.
    SourceItem(usize),
    /// The id of the product whose legacy stock item it is (`no-msi`).
    StockItem(u64),
}

impl Handle {
    fn no_msi(&self) -> bool {
        State::lock(&self.state.config).no_msi
    }

    /// Where a stock level is kept.
    fn level(&self, d: &Docs, id: &str) -> Result<Level, SimError> {
        let missing = || SimError::not_found(Entity::Inventory, id);
        let (source, sku) = id.split_once(':').ok_or_else(missing)?;
        if self.no_msi() {
            if source != "default" {
                return Err(missing());
            }
            return d
                .product_by_sku(sku)
                .filter(|p| d.products.get(p).is_some_and(stocked))
                .map(Level::StockItem)
                .ok_or_else(missing);
        }
        d.source_items
            .iter()
            .position(|x| x["source_code"] == source && x["sku"] == sku)
            .map(Level::SourceItem)
            .ok_or_else(missing)
    }
}

impl SimHandle for Handle {
    fn truth(&self, entity: Entity) -> Result<Vec<String>, SimError> {
        let no_msi = self.no_msi();
        let mut d = State::lock(&self.state.docs);
        Ok(match entity {
            Entity::Inventory if no_msi => d
                .products
                .values()
                .filter(|p| stocked(p))
                .filter_map(|p| p["sku"].as_str().map(|s| format!("default:{s}")))
                .collect(),
            Entity::Inventory => d
                .source_items
                .iter()
                .map(|x| {
                    format!(
                        "{}:{}",
                        x["source_code"].as_str().unwrap_or_default(),
                        x["sku"].as_str().unwrap_or_default()
                    )
                })
                .collect(),
            _ => docs_mut(&mut d, entity)
                .keys()
                .map(u64::to_string)
                .collect(),
        })
    }

    fn touch(&self, entity: Entity, id: &str, at: DateTime<Utc>) -> Result<(), SimError> {
        let mut d = State::lock(&self.state.docs);
        let missing = || SimError::not_found(entity, id);
        if entity == Entity::Inventory {
            match self.level(&d, id)? {
                Level::StockItem(pid) => {
                    let p = d.products.get_mut(&pid).ok_or_else(missing)?;
                    let qty = p["extension_attributes"]["stock_item"]["qty"]
                        .as_f64()
                        .unwrap_or(0.0);
                    p["extension_attributes"]["stock_item"]["qty"] = json!(qty + 1.0);
                    p["updated_at"] = stamp(at);
                }
                Level::SourceItem(i) => {
                    let x = &mut d.source_items[i];
                    let qty = x["quantity"].as_f64().unwrap_or(0.0);
                    x["quantity"] = json!(qty + 1.0);
                }
            }
            return Ok(());
        }
        let n = number(entity, id)?;
        let doc = docs_mut(&mut d, entity).get_mut(&n).ok_or_else(missing)?;
        doc["updated_at"] = stamp(at);
        let (field, old) = match entity {
            Entity::Order => ("customer_note", doc["customer_note"].as_str()),
            Entity::Customer => ("lastname", doc["lastname"].as_str()),
            _ => ("name", doc["name"].as_str()),
        };
        let new = format!("{}*", old.unwrap_or_default());
        doc[field] = json!(new);
        Ok(())
    }

    fn delete(&self, entity: Entity, id: &str) -> Result<(), SimError> {
        let no_msi = self.no_msi();
        let mut d = State::lock(&self.state.docs);
        let missing = || SimError::not_found(entity, id);
        match entity {
            Entity::Inventory if no_msi => {
                return Err(SimError::unsupported(
                    "a legacy stock item belongs to its product, not deleted on its own",
                ));
            }
            Entity::Inventory => {
                // Unassigning a source from the product.
                if let Level::SourceItem(i) = self.level(&d, id)? {
                    d.source_items.remove(i);
                }
            }
            Entity::Product => {
                let n = number(entity, id)?;
                let p = d.products.remove(&n).ok_or_else(missing)?;
                let sku = p["sku"].clone();
                d.source_items.retain(|x| x["sku"] != sku);
                d.children.remove(&n);
                for kids in d.children.values_mut() {
                    kids.retain(|k| *k != n);
                }
            }
            _ => {
                let n = number(entity, id)?;
                docs_mut(&mut d, entity).remove(&n).ok_or_else(missing)?;
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
        let (member, id_field, saved, created, deleted) = match entity {
            Entity::Order => (
                "order",
                "entity_id",
                "observer.sales_order_save_after",
                "plugin.magento.sales.api.order_management.place",
                "observer.sales_order_delete_after",
            ),
            Entity::Product => (
                "product",
                "id",
                "observer.catalog_product_save_after",
                "observer.catalog_product_save_after",
                "observer.catalog_product_delete_after",
            ),
            Entity::Customer => (
                "customer",
                "id",
                "observer.customer_save_after_data_object",
                "observer.customer_save_after_data_object",
                "observer.customer_delete_after",
            ),
            Entity::Category | Entity::Inventory => {
                return Err(SimError::unsupported(format!(
                    "the store subscribes to no Adobe Commerce {entity} event"
                )));
            }
        };
        let topic = match kind {
            WebhookKind::Created => created,
            WebhookKind::Deleted => deleted,
            _ => saved,
        };
        let n = number(entity, id)?;
        let doc = {
            let mut d = State::lock(&self.state.docs);
            docs_mut(&mut d, entity).get(&n).cloned()
        };
        let doc = match (doc, kind) {
            (Some(doc), _) => doc,
            // The model as it was deleted: the delivery still names it.
            (None, WebhookKind::Deleted) => json!({ id_field: n }),
            (None, _) => return Err(SimError::not_found(entity, id)),
        };
        let body = delivery_body(topic, member, doc);
        let key = match signing {
            Signing::Correct => keys::PRIVATE_KEY,
            Signing::WrongSecret => keys::FORGER_PRIVATE_KEY,
        };
        let mut headers = http::HeaderMap::new();
        headers.insert(
            "content-type",
            http::HeaderValue::from_static("application/json"),
        );
        if let Ok(v) = http::HeaderValue::from_str(&sign_with(key, &body)) {
            headers.insert("x-adobe-commerce-webhook-signature", v);
        }
        Ok(Delivery {
            topic: topic.to_owned(),
            headers,
            body,
        })
    }

    /// The comments of the order's status history (newest first, as served).
    fn order_notes(&self, id: &str) -> Result<Vec<String>, SimError> {
        let n = number(Entity::Order, id)?;
        let d = State::lock(&self.state.docs);
        let o = d
            .orders
            .get(&n)
            .ok_or_else(|| SimError::not_found(Entity::Order, id))?;
        Ok(o["status_histories"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|h| h["comment"].as_str().map(str::to_owned))
            .collect())
    }

    fn payload(&self, entity: Entity, id: &str) -> Result<Value, SimError> {
        let mut d = State::lock(&self.state.docs);
        let missing = || SimError::not_found(entity, id);
        if entity == Entity::Inventory {
            return match self.level(&d, id)? {
                Level::StockItem(pid) => d
                    .products
                    .get(&pid)
                    .map(|p| p["extension_attributes"]["stock_item"].clone())
                    .ok_or_else(missing),
                Level::SourceItem(i) => Ok(d.source_items[i].clone()),
            };
        }
        let n = number(entity, id)?;
        docs_mut(&mut d, entity)
            .get(&n)
            .cloned()
            .ok_or_else(missing)
    }
}

/// An Adobe Commerce webhook body: the event and the record under `data.<member>`.
pub(super) fn delivery_body(event: &str, member: &str, doc: Value) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "eventName": event,
        "data": { member: doc },
    }))
    .expect("json values serialise")
}
