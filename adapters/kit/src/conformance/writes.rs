//! The write checks: each declared write, aimed at a record the store lists, round
//! trips; a write that would do harm when repeated is never retried blindly.

use rust_decimal::Decimal;

use super::suite::{Cx, Outcome, Skip};
use crate::adapter::{InventoryChange, ListQuery, Write, WriteOp};
use crate::model::{Entity, FulfillmentStatus, OrderStatus, ProductStatus, Record};
use crate::sim::{Fault, Target};

/// Whether a re-read record (and the simulator) show a write.
type Shows = Box<dyn Fn(&Record, &Cx) -> bool>;
/// How many times a re-read record (and the simulator) show a write applied.
type Applied = Box<dyn Fn(&Record, &Cx) -> i64>;

/// A write the suite can make from what the store lists, and how to see it took.
pub(super) struct Plan {
    /// The capability's name (`WriteCapabilities` field).
    name: &'static str,
    write: WriteOp,
    /// The record to re-read to see the write.
    entity: Entity,
    id: String,
    /// Whether `record` (and the simulator) show the write.
    shows: Shows,
    /// For a write that repeated would act twice (a second note, a second shipment, a
    /// second delta): how many times a record shows it applied. The transport must not
    /// retry such a write blindly.
    applied: Option<Applied>,
}

/// How many times an order shows the suite's note: in its `note`, or where the
/// platform keeps notes apart, in the simulator's notes of it.
fn notes(r: &Record, cx: &Cx) -> i64 {
    let Record::Order(o) = r else { return 0 };
    let own = o.note.as_deref().map_or(0, |n| n.matches(NOTE).count());
    (own + notes_apart(cx, &o.platform_id, NOTE)) as i64
}

/// The simulator's separate notes of an order that mention `text`.
fn notes_apart(cx: &Cx, order: &str, text: &str) -> usize {
    cx.sim
        .order_notes(order)
        .map_or(0, |notes| notes.iter().filter(|n| n.contains(text)).count())
}

/// How many shipments with the suite's tracking number an order shows: as shipments,
/// or where a platform records them as notes (WooCommerce without its Shipment
/// Tracking extension), as notes naming the number.
fn shipments(r: &Record, cx: &Cx) -> i64 {
    let Record::Order(o) = r else { return 0 };
    let own = o
        .shipments
        .iter()
        .filter(|s| s.tracking_number.as_deref() == Some(TRACKING))
        .count();
    (own + notes_apart(cx, &o.platform_id, TRACKING)) as i64
}

/// How many shipments with a tracking number (the platform's own) an order shows.
fn assigned_shipments(r: &Record) -> i64 {
    let Record::Order(o) = r else { return 0 };
    o.shipments
        .iter()
        .filter(|s| s.tracking_number.as_deref().is_some_and(|t| !t.is_empty()))
        .count() as i64
}

const TITLE: &str = "Conformance Ünicode title";
const NOTE: &str = "conformance note";
const TAG: &str = "conformance";
const TRACKING: &str = "1ZCONFORMANCE";

/// The writes the capabilities declare, each aimed at a record the store lists.
async fn write_plans(cx: &Cx) -> Vec<Plan> {
    let w = &cx.caps.writes;
    let mut plans = Vec::new();
    let listed = |entity| async move {
        if cx.caps.lists(entity) {
            cx.list_all(ListQuery::new(entity)).await
        } else {
            Vec::new()
        }
    };
    let products: Vec<_> = listed(Entity::Product)
        .await
        .into_iter()
        .filter_map(|r| match r {
            Record::Product(p) => Some(p),
            _ => None,
        })
        .collect();
    let orders: Vec<_> = listed(Entity::Order)
        .await
        .into_iter()
        .filter_map(|r| match r {
            Record::Order(o) => Some(*o),
            _ => None,
        })
        .collect();
    let levels: Vec<_> = listed(Entity::Inventory)
        .await
        .into_iter()
        .filter_map(|r| match r {
            Record::Inventory(l) => Some(l),
            _ => None,
        })
        .collect();
    let update = |product_id: &str| WriteOp::UpdateProduct {
        product_id: product_id.to_owned(),
        variant_id: None,
        title: None,
        status: None,
        price: None,
        compare_at_price: None,
    };
    if w.product_title
        && let Some(p) = products.first()
    {
        let mut op = update(&p.platform_id);
        if let WriteOp::UpdateProduct { title, .. } = &mut op {
            *title = Some(TITLE.to_owned());
        }
        plans.push(Plan {
            name: "product_title",
            write: op,
            entity: Entity::Product,
            id: p.platform_id.clone(),
            shows: Box::new(
                |r, _| matches!(r, Record::Product(p) if p.name.as_deref() == Some(TITLE)),
            ),
            applied: None,
        });
    }
    if w.product_price
        && let Some(p) = products.get(1).or(products.first())
    {
        let price = Decimal::new(1234, 2);
        let variant = p.variants.first().map(|v| v.platform_id.clone());
        let mut op = update(&p.platform_id);
        if let WriteOp::UpdateProduct {
            variant_id,
            price: pr,
            ..
        } = &mut op
        {
            *variant_id = variant.clone();
            *pr = Some(price);
        }
        plans.push(Plan {
            name: "product_price",
            write: op,
            entity: Entity::Product,
            id: p.platform_id.clone(),
            shows: Box::new(move |r, _| match r {
                Record::Product(p) => match &variant {
                    Some(v) => p.variants.iter().any(|x| {
                        &x.platform_id == v && x.price.as_ref().is_some_and(|m| m.amount == price)
                    }),
                    None => p.price.as_ref().is_some_and(|m| m.amount == price),
                },
                _ => false,
            }),
            applied: None,
        });
    }
    if w.product_status
        && let Some(p) = products
            .iter()
            .find(|p| p.status == Some(ProductStatus::Active))
    {
        let mut op = update(&p.platform_id);
        if let WriteOp::UpdateProduct { status, .. } = &mut op {
            *status = Some(ProductStatus::Draft);
        }
        plans.push(Plan {
            name: "product_status",
            write: op,
            entity: Entity::Product,
            id: p.platform_id.clone(),
            shows: Box::new(
                |r, _| matches!(r, Record::Product(p) if p.status == Some(ProductStatus::Draft)),
            ),
            applied: None,
        });
    }
    let level = levels
        .iter()
        .find(|l| l.location_id.is_some() && (l.variant_id.is_some() || l.product_id.is_some()))
        .or(levels.first());
    // The delta first: the round trip then sees each write from a known level.
    for (cap, change) in [
        (w.inventory_adjust, InventoryChange::Delta(-2)),
        (w.inventory_set, InventoryChange::Absolute(17)),
    ] {
        let Some(l) = level.filter(|_| cap) else {
            continue;
        };
        let initial = l.available.unwrap_or(0);
        let expect = match change {
            InventoryChange::Absolute(n) => n,
            InventoryChange::Delta(d) => initial + d,
        };
        let id = l.platform_id.clone();
        let applied: Option<Applied> = match change {
            InventoryChange::Delta(d) => Some(Box::new(move |r, _| match r {
                Record::Inventory(l) => (l.available.unwrap_or(0) - initial) / d,
                _ => 0,
            })),
            InventoryChange::Absolute(_) => None,
        };
        plans.push(Plan {
            name: if matches!(change, InventoryChange::Absolute(_)) {
                "inventory_set"
            } else {
                "inventory_adjust"
            },
            write: WriteOp::SetInventory {
                product_id: l.product_id.clone(),
                variant_id: l.variant_id.clone(),
                // A level known by its SKU alone (Magento's source items).
                sku: if l.variant_id.is_none() && l.product_id.is_none() {
                    l.sku.clone()
                } else {
                    None
                },
                location_id: l.location_id.clone(),
                change,
            },
            entity: Entity::Inventory,
            id,
            shows: Box::new(
                move |r, _| matches!(r, Record::Inventory(l) if l.available == Some(expect)),
            ),
            applied,
        });
    }
    let open = |o: &&crate::model::Order| {
        !matches!(
            o.status,
            Some(OrderStatus::Cancelled | OrderStatus::Completed | OrderStatus::Refunded)
        ) && o.cancelled_at.is_none()
    };
    // An order on hold is open but cannot be cancelled or shipped (Magento): one that
    // is not held is aimed at first.
    let pick = || {
        orders
            .iter()
            .find(|o| open(o) && o.status != Some(OrderStatus::OnHold))
            .or_else(|| orders.iter().find(open))
    };
    if w.order_note
        && let Some(o) = pick()
    {
        plans.push(Plan {
            name: "order_note",
            write: WriteOp::AddOrderNote {
                order_id: o.platform_id.clone(),
                note: NOTE.to_owned(),
            },
            entity: Entity::Order,
            id: o.platform_id.clone(),
            shows: Box::new(|r, cx| notes(r, cx) > 0),
            applied: Some(Box::new(notes)),
        });
    }
    if w.order_tags
        && let Some(o) = pick()
    {
        plans.push(Plan {
            name: "order_tags",
            write: WriteOp::AddOrderTags {
                order_id: o.platform_id.clone(),
                tags: vec![TAG.to_owned()],
            },
            entity: Entity::Order,
            id: o.platform_id.clone(),
            shows: Box::new(
                |r, _| matches!(r, Record::Order(o) if o.tags.iter().any(|t| t == TAG)),
            ),
            applied: None,
        });
    }
    let unshipped = |o: &&crate::model::Order| {
        open(o)
            && !o.line_items.is_empty()
            && o.shipments.is_empty()
            && matches!(
                o.fulfillment_status,
                None | Some(FulfillmentStatus::Unfulfilled)
            )
    };
    // A paid order being worked on first: marketplaces (Shopee) ship only those, not
    // an unpaid one.
    let processing = |o: &&crate::model::Order| o.status == Some(OrderStatus::Processing);
    let to_ship = orders
        .iter()
        .rev()
        .find(|o| unshipped(o) && processing(o))
        .or_else(|| orders.iter().rev().find(unshipped));
    if w.shipment_create
        && let Some(o) = to_ship
    {
        plans.push(Plan {
            name: "shipment_create",
            write: WriteOp::CreateShipment {
                order_id: o.platform_id.clone(),
                carrier: Some("UPS".to_owned()),
                tracking_number: Some(TRACKING.to_owned()),
                tracking_url: None,
                line_items: Vec::new(),
                notify_customer: false,
            },
            entity: Entity::Order,
            id: o.platform_id.clone(),
            shows: Box::new(|r, cx| shipments(r, cx) > 0),
            applied: Some(Box::new(shipments)),
        });
    }
    if w.shipment_platform_tracking
        && !w.shipment_create
        && let Some(o) = to_ship
    {
        plans.push(Plan {
            name: "shipment_platform_tracking",
            write: WriteOp::CreateShipment {
                order_id: o.platform_id.clone(),
                carrier: None,
                tracking_number: None,
                tracking_url: None,
                line_items: Vec::new(),
                notify_customer: false,
            },
            entity: Entity::Order,
            id: o.platform_id.clone(),
            shows: Box::new(|r, _| assigned_shipments(r) > 0),
            applied: Some(Box::new(|r, _| assigned_shipments(r))),
        });
    }
    if w.order_status
        && let Some(o) = orders
            .iter()
            .filter(unshipped)
            .find(|o| {
                matches!(
                    o.status,
                    Some(OrderStatus::Processing | OrderStatus::Pending)
                )
            })
            .or_else(|| {
                // A held order, where no other is (Magento cannot cancel one on hold).
                orders
                    .iter()
                    .filter(unshipped)
                    .find(|o| o.status == Some(OrderStatus::OnHold))
            })
    {
        plans.push(Plan {
            name: "order_status",
            write: WriteOp::UpdateOrderStatus {
                order_id: o.platform_id.clone(),
                status: OrderStatus::Cancelled,
                note: None,
            },
            entity: Entity::Order,
            id: o.platform_id.clone(),
            shows: Box::new(
                |r, _| matches!(r, Record::Order(o) if o.status == Some(OrderStatus::Cancelled)),
            ),
            applied: None,
        });
    }
    plans
}

/// The writes the capabilities declare, by name (printing those they do not).
fn declared_writes(cx: &Cx) -> Vec<&'static str> {
    let w = &cx.caps.writes;
    [
        ("product_price", w.product_price),
        ("product_title", w.product_title),
        ("product_status", w.product_status),
        ("inventory_set", w.inventory_set),
        ("inventory_adjust", w.inventory_adjust),
        ("order_status", w.order_status),
        ("order_note", w.order_note),
        ("order_tags", w.order_tags),
        ("shipment_create", w.shipment_create),
        ("shipment_platform_tracking", w.shipment_platform_tracking),
    ]
    .into_iter()
    .filter_map(|(n, on)| {
        if !on {
            println!("{}: {n}: skipped: not declared", cx.label);
        }
        on.then_some(n)
    })
    .collect()
}

/// Re-reads `id` of `entity`: by `get`, or from the listing where there is none.
async fn reread(cx: &Cx, entity: Entity, id: &str) -> Record {
    if cx.caps.entity(entity).is_some_and(|e| e.get) {
        return cx
            .a()
            .get(entity, id)
            .await
            .unwrap_or_else(|e| panic!("{}: re-reading {entity} {id} failed: {e}", cx.label));
    }
    cx.list_all(ListQuery::new(entity))
        .await
        .into_iter()
        .find(|r| r.platform_id() == id)
        .unwrap_or_else(|| panic!("{}: {entity} {id} is no longer listed", cx.label))
}

/// Each declared write, aimed at a listed record, succeeds, and a fresh read of the
/// record shows it (a new title, price, status, stock level, note, tag, shipment).
pub(super) async fn writes_round_trip(cx: &Cx) -> Outcome {
    let declared = declared_writes(cx);
    if declared.is_empty() {
        return Err(Skip("no writes".into()));
    }
    let plans = write_plans(cx).await;
    for name in &declared {
        if !plans.iter().any(|p| p.name == *name) {
            println!(
                "{}: {name}: skipped: no listed record to aim it at",
                cx.label
            );
        }
    }
    for plan in plans {
        let label = format!("{} {}", cx.label, plan.name);
        let returned = cx
            .a()
            .write(&Write::new(plan.write.clone()))
            .await
            .unwrap_or_else(|e| panic!("{label}: {:?} failed: {e}", plan.write));
        if returned.entity() == plan.entity && returned.platform_id() == plan.id {
            assert!(
                (plan.shows)(&returned, cx),
                "{label}: the record the write returned does not show it: {returned:?}"
            );
        }
        let again = reread(cx, plan.entity, &plan.id).await;
        assert!(
            (plan.shows)(&again, cx),
            "{label}: a fresh read of {} {} does not show the write: {again:?}",
            plan.entity,
            plan.id
        );
    }
    Ok(())
}

/// A write that would act twice when repeated (a note, a shipment, a stock delta) and
/// carries no idempotency key: when the platform acted but its answer was lost (a 502
/// after the work), it is not sent again blindly: the record shows it applied exactly
/// once. Throttled (429: the platform did not act), it is sent again and succeeds,
/// applied at most once.
pub(super) async fn writes_not_retried_blindly(cx: &Cx) -> Outcome {
    let harmful = |plans: Vec<Plan>| -> Vec<Plan> {
        plans.into_iter().filter(|p| p.applied.is_some()).collect()
    };
    let plans = harmful(write_plans(cx).await);
    if plans.is_empty() {
        return Err(Skip(
            "no declared write acts twice when repeated (note, shipment, stock delta)".into(),
        ));
    }
    let faults = cx.sim.faults();
    for plan in plans {
        let label = format!("{} {}", cx.label, plan.name);
        let applied = plan.applied.as_ref().expect("filtered");
        let base = applied(&reread(cx, plan.entity, &plan.id).await, cx);
        faults.arm(Fault::AnswerLost, 1, Target::Mutating);
        let result = cx.a().write(&Write::new(plan.write.clone())).await;
        let unfired = faults.armed_remaining();
        faults.disarm();
        assert_eq!(unfired, 0, "{label}: the write sent no mutating request");
        let after = applied(&reread(cx, plan.entity, &plan.id).await, cx);
        assert_eq!(
            after - base,
            1,
            "{label}: the platform acted once and its answer was lost; the record shows the write applied {} times (retried blindly?); the caller got {result:?}",
            after - base
        );
    }
    // Fresh targets: the writes above may have used theirs up (every item shipped).
    for plan in harmful(write_plans(cx).await) {
        let label = format!("{} {} (throttled)", cx.label, plan.name);
        let applied = plan.applied.as_ref().expect("filtered");
        let base = applied(&reread(cx, plan.entity, &plan.id).await, cx);
        let before = faults.mutating_requests();
        faults.arm(
            Fault::TooManyRequests {
                retry_after: Some(0),
            },
            1,
            Target::Mutating,
        );
        let result = cx.a().write(&Write::new(plan.write.clone())).await;
        let sent = faults.mutating_requests() - before;
        faults.disarm();
        result.unwrap_or_else(|e| {
            panic!("{label}: a throttled write (the platform did not act) was not sent again: {e}")
        });
        assert!(sent >= 2, "{label}: the throttled write was not sent again");
        let after = applied(&reread(cx, plan.entity, &plan.id).await, cx);
        assert!(
            after - base <= 1,
            "{label}: a throttled then retried write applied {} times",
            after - base
        );
    }
    Ok(())
}
