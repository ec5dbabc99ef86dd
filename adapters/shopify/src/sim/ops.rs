//! The simulator's writes on its store, shared by the REST and the GraphQL Admin API:
//! close, open and cancel an order, set its note and tags, fulfill it from its
//! fulfillment order, change a product's title, status and tags or a variant's
//! prices, set or adjust an inventory level. Each checks what Shopify checks, changes
//! the store, and tells the webhook subscribers with Shopify's (REST-shaped) payloads.
//! The APIs only read their inputs and render the result.

use chrono::Utc;
use polycart_kit::sim::{SimFulfillment, SimOrderState, SimProductStatus, SimShipment};
use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::{SimState, render};

/// Why a write was refused: the record is missing, or a field is wrong.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Refusal {
    NotFound,
    Invalid {
        field: &'static str,
        message: String,
    },
}

pub(super) type Outcome<T> = Result<T, Refusal>;

/// What a fulfillment takes from one fulfillment order: its id and the fulfillment
/// order line items with quantities (`None`: everything left).
pub(super) type FoItems = (u64, Option<Vec<(u64, u32)>>);

pub(super) fn invalid(field: &'static str, message: impl Into<String>) -> Refusal {
    Refusal::Invalid {
        field,
        message: message.into(),
    }
}

/// Fulfillment order ids are derived from the order, their line items' from its lines.
pub(super) const FO_OFFSET: u64 = 500_000_000;

/// What `close`, `open` and `cancel` do to an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum OrderAction {
    Close,
    Open,
    Cancel,
}

impl SimState {
    /// Tells `topics` about order `id`, as it is now.
    fn order_changed(&self, id: u64, topics: &[&str]) {
        let store = self.store();
        if let Some(o) = store.orders.iter().find(|o| o.id == id) {
            let order = render::order(o, &store);
            drop(store);
            for topic in topics {
                self.notify(topic, &order);
            }
        }
    }

    pub(super) fn order_action(&self, id: u64, action: OrderAction) -> Outcome<()> {
        let mut store = self.store();
        let o = store.order_mut(id).ok_or(Refusal::NotFound)?;
        let now = Utc::now();
        match action {
            OrderAction::Close => {
                o.state = SimOrderState::Completed;
                o.completed_at = Some(now);
            }
            OrderAction::Open => {
                o.state = SimOrderState::Open;
                o.completed_at = None;
            }
            OrderAction::Cancel => {
                if o.state == SimOrderState::Cancelled {
                    return Err(invalid("base", "Order has already been cancelled"));
                }
                if o.fulfillment != SimFulfillment::Unfulfilled {
                    return Err(invalid(
                        "base",
                        "Cannot cancel an order that has fulfillments",
                    ));
                }
                o.state = SimOrderState::Cancelled;
                o.cancelled_at = Some(now);
                o.cancel_reason = Some("other");
            }
        }
        o.updated_at = now;
        drop(store);
        let topics: &[&str] = if action == OrderAction::Cancel {
            &["orders/cancelled", "orders/updated"]
        } else {
            &["orders/updated"]
        };
        self.order_changed(id, topics);
        Ok(())
    }

    /// Replaces an order's tags and/or note (`Some(None)` clears the note).
    pub(super) fn update_order(
        &self,
        id: u64,
        tags: Option<Vec<String>>,
        note: Option<Option<String>>,
    ) -> Outcome<()> {
        let mut store = self.store();
        let o = store.order_mut(id).ok_or(Refusal::NotFound)?;
        if let Some(tags) = tags {
            o.tags = tags
                .iter()
                .map(|t| t.trim().to_owned())
                .filter(|t| !t.is_empty())
                .collect();
        }
        if let Some(note) = note {
            o.note = note;
        }
        o.updated_at = Utc::now();
        drop(store);
        self.order_changed(id, &["orders/updated"]);
        Ok(())
    }

    /// Adds tags an order does not have yet.
    pub(super) fn add_order_tags(&self, id: u64, tags: &[String]) -> Outcome<()> {
        let current = {
            let store = self.store();
            let o = store
                .orders
                .iter()
                .find(|o| o.id == id && !o.deleted)
                .ok_or(Refusal::NotFound)?;
            o.tags.clone()
        };
        let mut all = current;
        for t in tags.iter().map(|t| t.trim()).filter(|t| !t.is_empty()) {
            if !all.iter().any(|a| a.eq_ignore_ascii_case(t)) {
                all.push(t.to_owned());
            }
        }
        self.update_order(id, Some(all), None)
    }

    /// The order's one fulfillment order: its status and, per line item, the
    /// fulfillment order line item id, the line, its quantity and what is left.
    pub(super) fn fulfillment_order(&self, order_id: u64) -> Outcome<FulfillmentOrder> {
        let store = self.store();
        let o = store
            .orders
            .iter()
            .find(|o| o.id == order_id && !o.deleted)
            .ok_or(Refusal::NotFound)?;
        let lines: Vec<FoLine> = o
            .line_items
            .iter()
            .map(|l| FoLine {
                id: l.id + FO_OFFSET,
                line_item_id: l.id,
                variant_id: l.variant_id,
                quantity: l.quantity,
                remaining: l.quantity.saturating_sub(render::shipped(o, l.id)),
            })
            .collect();
        let open = lines.iter().any(|l| l.remaining > 0);
        Ok(FulfillmentOrder {
            id: o.id + FO_OFFSET,
            order_id: o.id,
            status: if o.state == SimOrderState::Cancelled {
                "cancelled"
            } else if open {
                "open"
            } else {
                "closed"
            },
            location_id: store.locations.first().map(|l| l.id),
            created_at: o.created_at,
            updated_at: o.updated_at,
            lines,
        })
    }

    /// Fulfills items of one order's fulfillment orders; `None` items: all that is
    /// left of that fulfillment order. Returns the new fulfillment (REST-rendered).
    pub(super) fn fulfill(&self, groups: &[FoItems], tracking: Tracking) -> Outcome<Value> {
        let mut store = self.store();
        let mut order_id = None;
        let mut lines: Vec<(u64, u32)> = Vec::new();
        for (fo, items) in groups {
            let oid = fo.checked_sub(FO_OFFSET).ok_or(Refusal::NotFound)?;
            if order_id.is_some_and(|o| o != oid) {
                return Err(invalid(
                    "base",
                    "fulfillment orders must belong to the same order",
                ));
            }
            order_id = Some(oid);
            let o = store
                .orders
                .iter()
                .find(|o| o.id == oid && !o.deleted)
                .ok_or(Refusal::NotFound)?;
            if o.state == SimOrderState::Cancelled {
                return Err(invalid(
                    "base",
                    "fulfillment order is not in a fulfillable state",
                ));
            }
            let shipped = |line: u64| render::shipped(o, line);
            let wanted: Vec<(u64, u32)> = match items {
                Some(items) if !items.is_empty() => items
                    .iter()
                    .filter_map(|(id, q)| Some((id.checked_sub(FO_OFFSET)?, *q)))
                    .collect(),
                _ => o
                    .line_items
                    .iter()
                    .map(|l| (l.id, l.quantity.saturating_sub(shipped(l.id))))
                    .filter(|(_, q)| *q > 0)
                    .collect(),
            };
            for (line, q) in wanted {
                let l = o
                    .line_items
                    .iter()
                    .find(|l| l.id == line)
                    .ok_or_else(|| invalid("fulfillment_order_line_items", "not found"))?;
                if q == 0 || q > l.quantity.saturating_sub(shipped(line)) {
                    return Err(invalid(
                        "fulfillment_order_line_items",
                        "quantity exceeds the fulfillable quantity",
                    ));
                }
                lines.push((line, q));
            }
        }
        let oid =
            order_id.ok_or_else(|| invalid("line_items_by_fulfillment_order", "is required"))?;
        if lines.is_empty() {
            return Err(invalid("base", "nothing left to fulfill"));
        }
        let id = store.fresh_id();
        let now = Utc::now();
        let o = store.order_mut(oid).ok_or(Refusal::NotFound)?;
        o.shipments.push(SimShipment {
            id,
            carrier: tracking.company.unwrap_or_else(|| "Other".to_owned()),
            tracking_number: tracking.number.unwrap_or_default(),
            tracking_url: tracking.url.unwrap_or_default(),
            status: "success".to_owned(),
            lines,
            created_at: now,
        });
        let all_shipped = o
            .line_items
            .iter()
            .all(|l| render::shipped(o, l.id) >= l.quantity);
        o.fulfillment = if all_shipped {
            SimFulfillment::Fulfilled
        } else {
            SimFulfillment::Partial
        };
        o.updated_at = now;
        let o = store
            .orders
            .iter()
            .find(|o| o.id == oid)
            .ok_or(Refusal::NotFound)?;
        let order = render::order(o, &store);
        drop(store);
        let fulfillment = order["fulfillments"]
            .as_array()
            .and_then(|fs| fs.iter().find(|x| x["id"] == id).cloned())
            .unwrap_or(Value::Null);
        self.notify("orders/updated", &order);
        self.notify("fulfillments/create", &fulfillment);
        Ok(fulfillment)
    }

    /// Changes a product's title, status and tags.
    pub(super) fn update_product(
        &self,
        id: u64,
        title: Option<&str>,
        status: Option<&str>,
        tags: Option<Vec<String>>,
    ) -> Outcome<Value> {
        let mut store = self.store();
        let cur = store.currency;
        let p = store.product_mut(id).ok_or(Refusal::NotFound)?;
        if let Some(t) = title {
            if t.trim().is_empty() {
                return Err(invalid("title", "can't be blank"));
            }
            p.title = t.to_owned();
        }
        if let Some(s) = status {
            p.status = match s.to_ascii_lowercase().as_str() {
                "active" => SimProductStatus::Active,
                "draft" => SimProductStatus::Draft,
                "archived" => SimProductStatus::Archived,
                _ => return Err(invalid("status", "is not included in the list")),
            };
        }
        if let Some(tags) = tags {
            p.tags = tags
                .iter()
                .map(|t| t.trim().to_owned())
                .filter(|t| !t.is_empty())
                .collect();
        }
        p.updated_at = Utc::now();
        let product = render::product(p, cur);
        drop(store);
        self.notify("products/update", &product);
        Ok(product)
    }

    /// Changes a variant's price and compare-at price (`Some(None)` clears it).
    pub(super) fn update_variant(
        &self,
        id: u64,
        price: Option<Decimal>,
        compare_at: Option<Option<Decimal>>,
    ) -> Outcome<Value> {
        let mut store = self.store();
        let cur = store.currency;
        let (p, i) = store.variant_mut(id).ok_or(Refusal::NotFound)?;
        let now = Utc::now();
        if let Some(price) = price {
            p.variants[i].price = price;
        }
        if let Some(c) = compare_at {
            p.variants[i].compare_at_price = c;
        }
        p.variants[i].updated_at = now;
        p.updated_at = now;
        let product = render::product(p, cur);
        drop(store);
        self.notify("products/update", &product);
        Ok(product)
    }

    /// The available quantity of an inventory item at a location.
    pub(super) fn level(&self, item: u64, location: u64) -> Outcome<i64> {
        let store = self.store();
        store
            .products
            .iter()
            .filter(|p| !p.deleted)
            .flat_map(|p| &p.variants)
            .find(|v| v.inventory_item_id == item)
            .map(|v| {
                v.stock
                    .iter()
                    .find(|(l, _)| *l == location)
                    .map_or(0, |(_, q)| *q)
            })
            .ok_or_else(|| invalid("inventory_item_id", "not found"))
    }

    /// Sets (or, with `adjust`, changes by) the available quantity; returns it.
    pub(super) fn set_level(
        &self,
        item: u64,
        location: u64,
        value: i64,
        adjust: bool,
    ) -> Outcome<i64> {
        let mut store = self.store();
        if !store.locations.iter().any(|l| l.id == location) {
            return Err(invalid("location_id", "not found"));
        }
        let now = Utc::now();
        for p in store.products.iter_mut().filter(|p| !p.deleted) {
            if let Some(v) = p.variants.iter_mut().find(|v| v.inventory_item_id == item) {
                let level = match v.stock.iter_mut().find(|(l, _)| *l == location) {
                    Some((_, q)) => q,
                    None => {
                        v.stock.push((location, 0));
                        &mut v.stock.last_mut().expect("just pushed").1
                    }
                };
                *level = if adjust { *level + value } else { value };
                let available = *level;
                v.updated_at = now;
                p.updated_at = now;
                drop(store);
                let rendered = render::inventory_level(item, location, available, now);
                self.notify("inventory_levels/update", &rendered);
                return Ok(available);
            }
        }
        Err(invalid("inventory_item_id", "not found"))
    }
}

/// A fulfillment order as both APIs show it.
#[derive(Debug, Clone)]
pub(super) struct FulfillmentOrder {
    pub(super) id: u64,
    pub(super) order_id: u64,
    /// `open`, `closed` or `cancelled`.
    pub(super) status: &'static str,
    pub(super) location_id: Option<u64>,
    pub(super) created_at: chrono::DateTime<Utc>,
    pub(super) updated_at: chrono::DateTime<Utc>,
    pub(super) lines: Vec<FoLine>,
}

#[derive(Debug, Clone)]
pub(super) struct FoLine {
    pub(super) id: u64,
    pub(super) line_item_id: u64,
    pub(super) variant_id: u64,
    pub(super) quantity: u32,
    pub(super) remaining: u32,
}

/// Tracking details of a new fulfillment.
#[derive(Debug, Clone, Default)]
pub(super) struct Tracking {
    pub(super) company: Option<String>,
    pub(super) number: Option<String>,
    pub(super) url: Option<String>,
}

/// A REST `fulfillment_orders.json` entry.
pub(super) fn render_fulfillment_order(fo: &FulfillmentOrder) -> Value {
    let open = fo.status == "open";
    json!({
        "id": fo.id,
        "created_at": render::shop_time(fo.created_at),
        "updated_at": render::shop_time(fo.updated_at),
        "shop_id": 548380009,
        "order_id": fo.order_id,
        "assigned_location_id": fo.location_id,
        "request_status": "unsubmitted",
        "status": fo.status,
        "supported_actions": if open { json!(["create_fulfillment"]) } else { json!([]) },
        "line_items": fo.lines.iter().map(|l| json!({
            "id": l.id,
            "shop_id": 548380009,
            "fulfillment_order_id": fo.id,
            "quantity": l.quantity,
            "line_item_id": l.line_item_id,
            "inventory_item_id": null,
            "fulfillable_quantity": l.remaining,
            "variant_id": l.variant_id,
        })).collect::<Vec<_>>(),
        "admin_graphql_api_id": render::gid("FulfillmentOrder", fo.id),
    })
}
