//! The seller's side of Lazada's fulfilment flow, as its "new fulfillment API" guide
//! describes it: `/order/fulfill/pack` puts pending units of up to 20 orders into one
//! package per order, Lazada's logistics assigning the package id (`FP…`), the carrier
//! and the tracking number; `/order/package/rts` marks up to 20 packed packages ready
//! to ship. Both answer `"code": "0"` with a result per item or package, failures
//! carried as `item_err_code` other than `"0"` and a `msg` — the call itself succeeds.
//!
//! A package is kept as one of the order's shipments (status `packed`, then
//! `ready_to_ship`), its lines the unit items, so the order's items show it.

use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use polycart_kit::decode::Id;
use polycart_kit::sim::{SimOrder, SimShipment};
use serde::Deserialize;
use serde_json::{Value, json};

use super::render::{self, PACKED, READY_TO_SHIP};
use super::{LazadaSim, fail, params, request_id};

/// The most orders one Pack, and packages one ReadyToShip, takes.
const MAX_BATCH: usize = 20;

#[derive(Deserialize)]
struct PackReq {
    pack_order_list: Vec<PackOrder>,
    delivery_type: String,
    shipping_allocate_type: String,
}

#[derive(Deserialize)]
struct PackOrder {
    order_id: Id,
    order_item_list: Vec<Id>,
}

#[derive(Deserialize)]
struct RtsReq {
    packages: Vec<PackageRef>,
}

#[derive(Deserialize)]
struct PackageRef {
    package_id: String,
}

/// Lazada's answer to a fulfilment call: `{"result": {"data": …, "success": true}}`.
fn answer(data: Value) -> Response {
    axum::Json(json!({
        "result": { "data": data, "success": true },
        "code": "0",
        "request_id": request_id(),
    }))
    .into_response()
}

/// One refused item or package.
fn refused(key: &str, id: Value, msg: &str) -> Value {
    json!({ key: id, "msg": msg, "item_err_code": "1", "retry": false })
}

/// An id as the request gave it: a JSON number when it is one.
fn echo(id: &str) -> Value {
    id.parse::<u64>().map_or_else(|_| json!(id), |n| json!(n))
}

/// A JSON request parameter (`packReq`, `readyToShipReq`), parsed.
fn request_param<T: for<'de> Deserialize<'de>>(
    request: &Request,
    name: &str,
) -> Result<T, Response> {
    let p = params(request);
    let Some(text) = p.get(name) else {
        return Err(fail("MissingParameter", &format!("{name} is mandatory")));
    };
    serde_json::from_str(text).map_err(|_| {
        fail(
            "InvalidParameter",
            &format!("{name} is not valid JSON of its shape"),
        )
    })
}

/// `/order/fulfill/pack`.
pub(super) async fn pack(State(sim): State<LazadaSim>, request: Request) -> Response {
    let req: PackReq = match request_param(&request, "packReq") {
        Ok(r) => r,
        Err(refusal) => return refusal,
    };
    if req.delivery_type != "dropship" {
        return fail("InvalidParameter", "delivery_type must be dropship");
    }
    if !matches!(req.shipping_allocate_type.as_str(), "TFS" | "NTFS") {
        return fail(
            "InvalidParameter",
            "shipping_allocate_type must be TFS or NTFS",
        );
    }
    if req.pack_order_list.is_empty() || req.pack_order_list.len() > MAX_BATCH {
        return fail("InvalidParameter", "pack_order_list takes 1 to 20 orders");
    }
    let mut store = sim.store();
    let mut out = Vec::new();
    for order in req.pack_order_list {
        let next_id = store.next_id + 1;
        let found = order
            .order_id
            .0
            .parse::<u64>()
            .ok()
            .and_then(|n| store.orders.iter_mut().find(|o| o.id == n && !o.deleted));
        let items = match found {
            None => order
                .order_item_list
                .iter()
                .map(|i| refused("order_item_id", echo(&i.0), "order not found"))
                .collect(),
            Some(o) => {
                let (items, packed) = pack_order(o, &order.order_item_list, next_id);
                if packed {
                    store.next_id = next_id;
                }
                items
            }
        };
        out.push(json!({ "order_id": echo(&order.order_id.0), "order_item_list": items }));
    }
    answer(json!({ "pack_order_list": out }))
}

/// Packs the pending units `items` of `o` into a new package `id`: each unit's result,
/// and whether a package was made.
fn pack_order(o: &mut SimOrder, items: &[Id], id: u64) -> (Vec<Value>, bool) {
    let statuses = render::item_statuses(o);
    let units = render::units(o);
    let tracking = format!("LXSG{id:010}");
    let carrier = o.shipping_carrier.clone();
    let mut lines = Vec::new();
    let mut results = Vec::new();
    for item in items {
        let at = item
            .0
            .parse::<u64>()
            .ok()
            .and_then(|n| units.iter().position(|(u, _)| *u == n));
        let Some(at) = at else {
            results.push(refused(
                "order_item_id",
                echo(&item.0),
                "order item not found in the order",
            ));
            continue;
        };
        if statuses[at] != "pending" || lines.iter().any(|(u, _)| *u == units[at].0) {
            results.push(refused(
                "order_item_id",
                echo(&item.0),
                &format!(
                    "order item status is {}, not pending or repacked",
                    statuses[at]
                ),
            ));
            continue;
        }
        lines.push((units[at].0, 1));
        results.push(json!({
            "order_item_id": echo(&item.0),
            "msg": "success",
            "item_err_code": "0",
            "tracking_number": tracking,
            "shipment_provider": carrier,
            "package_id": format!("FP{id}"),
            "retry": false,
        }));
    }
    if lines.is_empty() {
        return (results, false);
    }
    let now = Utc::now();
    o.shipments.push(SimShipment {
        id,
        carrier,
        tracking_number: tracking,
        tracking_url: String::new(),
        status: PACKED.to_owned(),
        lines,
        created_at: now,
    });
    o.updated_at = now;
    (results, true)
}

/// `/order/package/rts`.
pub(super) async fn ready_to_ship(State(sim): State<LazadaSim>, request: Request) -> Response {
    let req: RtsReq = match request_param(&request, "readyToShipReq") {
        Ok(r) => r,
        Err(refusal) => return refusal,
    };
    if req.packages.is_empty() || req.packages.len() > MAX_BATCH {
        return fail("InvalidParameter", "packages takes 1 to 20 packages");
    }
    let mut store = sim.store();
    let now = Utc::now();
    let mut out = Vec::new();
    for p in req.packages {
        let found = store
            .orders
            .iter_mut()
            .filter(|o| !o.deleted)
            .find_map(|o| {
                let at = o
                    .shipments
                    .iter()
                    .position(|s| render::package_id(s) == p.package_id)?;
                Some((o, at))
            });
        let result = match found {
            None => refused("package_id", json!(p.package_id), "package not found"),
            Some((o, at)) if o.shipments[at].status == PACKED => {
                o.shipments[at].status = READY_TO_SHIP.to_owned();
                o.updated_at = now;
                json!({ "package_id": p.package_id, "msg": "success", "item_err_code": "0", "retry": false })
            }
            Some((o, at)) => refused(
                "package_id",
                json!(p.package_id),
                &format!("package status is {}, not packed", o.shipments[at].status),
            ),
        };
        out.push(result);
    }
    answer(json!({ "packages": out }))
}
