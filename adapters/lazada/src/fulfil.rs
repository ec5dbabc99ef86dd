//! A unified "create shipment" on Lazada: Pack, then ReadyToShip ("new fulfillment
//! API" guide). Lazada's logistics assign the package, the carrier and the tracking
//! number at Pack, so the caller gives none and reads them from the order the write
//! returns (capability `shipment_platform_tracking`).
//!
//! The write is resumable rather than retried: it starts from the order's items as
//! Lazada has them now, packs only the `pending`/`repacked` ones and marks ready to
//! ship every package still `packed` (its own from a run whose answer was lost, or one
//! packed in Seller Center). Sent again after any failure, it finishes the work
//! without packing anything twice. Neither call is ever repeated blindly by the
//! transport (a lost Pack answer leaves a package the next call finds).
//!
//! Both calls answer `"code": "0"` with a result per item or package; an item or
//! package Lazada refused (`item_err_code` other than `"0"`) fails the write with its
//! message, after the packages that were made are marked ready to ship.

use polycart_kit::decode::Id;
use polycart_kit::error::{decode_json, sanitise};
use polycart_kit::{Error, Result, ShipmentItem};
use serde::{Deserialize, Serialize};

/// The most orders one Pack, and packages one ReadyToShip, takes.
pub const MAX_BATCH: usize = 20;

/// Unit statuses Pack takes.
const PACKABLE: &[&str] = &["pending", "repacked"];
/// Unit statuses past ReadyToShip: nothing left to do for them.
const DONE: &[&str] = &["ready_to_ship", "shipped", "delivered"];

/// One unit item of an order as `/order/items/get` serves it (the fields the flow reads).
#[derive(Debug, Deserialize)]
pub struct UnitItem {
    pub order_item_id: Id,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub package_id: Option<String>,
}

/// What a shipment of an order needs done: the units to pack and the packages
/// (already packed) to mark ready to ship.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Plan {
    pub pack: Vec<String>,
    pub ready: Vec<String>,
}

/// The plan for shipping `wanted` (every unit when empty) of `order`'s `items`.
pub fn plan(order: &str, items: &[UnitItem], wanted: &[ShipmentItem]) -> Result<Plan> {
    for w in wanted {
        if w.quantity != 1 {
            return Err(Error::invalid(format!(
                "Lazada lists one order item per unit: line item {} takes quantity 1",
                w.line_item_id
            )));
        }
        if !items.iter().any(|i| i.order_item_id.0 == w.line_item_id) {
            return Err(Error::invalid(format!(
                "line item {} is not an item of order {order}",
                w.line_item_id
            )));
        }
    }
    let chosen = items.iter().filter(|i| {
        wanted.is_empty() || wanted.iter().any(|w| w.line_item_id == i.order_item_id.0)
    });
    let mut plan = Plan::default();
    for item in chosen {
        let status = item.status.as_deref().unwrap_or_default();
        let package = item.package_id.as_deref().filter(|p| !p.is_empty());
        match (status, package) {
            (s, _) if PACKABLE.contains(&s) => plan.pack.push(item.order_item_id.0.clone()),
            ("packed", Some(p)) => {
                if !plan.ready.iter().any(|r| r == p) {
                    plan.ready.push(p.to_owned());
                }
            }
            (s, _) if DONE.contains(&s) || wanted.is_empty() => {}
            (s, _) => {
                return Err(Error::invalid(format!(
                    "line item {} of order {order} is {s}: it cannot be shipped",
                    item.order_item_id.0
                )));
            }
        }
    }
    if plan.pack.is_empty() && plan.ready.is_empty() {
        return Err(Error::invalid(format!(
            "order {order} has no item left to pack or mark ready to ship"
        )));
    }
    Ok(plan)
}

/// `packReq`: the units of one order, dropshipped (the only value Lazada takes).
pub fn pack_request(order: &str, items: &[String], allocate: &str) -> String {
    #[derive(Serialize)]
    struct Req<'a> {
        pack_order_list: [PackOrder<'a>; 1],
        delivery_type: &'static str,
        shipping_allocate_type: &'a str,
    }
    #[derive(Serialize)]
    struct PackOrder<'a> {
        order_id: &'a str,
        order_item_list: &'a [String],
    }
    serde_json::to_string(&Req {
        pack_order_list: [PackOrder {
            order_id: order,
            order_item_list: items,
        }],
        delivery_type: "dropship",
        shipping_allocate_type: allocate,
    })
    .unwrap_or_default()
}

/// `readyToShipReq`: up to [`MAX_BATCH`] packages.
pub fn ready_request(packages: &[String]) -> String {
    let list: Vec<_> = packages
        .iter()
        .map(|p| serde_json::json!({ "package_id": p }))
        .collect();
    serde_json::json!({ "packages": list }).to_string()
}

/// One item's or package's result.
#[derive(Debug, Deserialize)]
struct Outcome {
    #[serde(default)]
    order_item_id: Option<Id>,
    #[serde(default)]
    package_id: Option<String>,
    item_err_code: Id,
    #[serde(default)]
    msg: Option<String>,
}

impl Outcome {
    fn failure(&self, what: &str) -> Option<String> {
        (self.item_err_code.0 != "0").then(|| {
            let id = self
                .order_item_id
                .as_ref()
                .map(|i| i.0.clone())
                .or_else(|| self.package_id.clone())
                .unwrap_or_default();
            let msg = self.msg.as_deref().unwrap_or("refused");
            format!("{what} {id}: {}", sanitise(msg, 120))
        })
    }
}

/// What an answer's `result.data` holds.
#[derive(Debug, Deserialize)]
struct Answer<T> {
    result: Data<T>,
}

#[derive(Debug, Deserialize)]
struct Data<T> {
    data: T,
}

/// A Pack answer: the packages made, and the refusals.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Packed {
    pub packages: Vec<String>,
    pub refused: Vec<String>,
}

/// Reads a Pack answer.
pub fn read_pack(body: &str) -> Result<Packed> {
    #[derive(Deserialize)]
    struct D {
        pack_order_list: Vec<O>,
    }
    #[derive(Deserialize)]
    struct O {
        order_item_list: Vec<Outcome>,
    }
    let answer: Answer<D> = decode_json(body)?;
    let mut out = Packed::default();
    for outcome in answer
        .result
        .data
        .pack_order_list
        .into_iter()
        .flat_map(|o| o.order_item_list)
    {
        if let Some(f) = outcome.failure("item") {
            out.refused.push(f);
            continue;
        }
        match outcome.package_id.filter(|p| !p.is_empty()) {
            Some(p) if !out.packages.contains(&p) => out.packages.push(p),
            Some(_) => {}
            None => {
                return Err(Error::decode(
                    "$.result.data.pack_order_list[].order_item_list[].package_id",
                    "missing on a packed item",
                ));
            }
        }
    }
    Ok(out)
}

/// Reads a ReadyToShip answer: the refusals.
pub fn read_ready(body: &str) -> Result<Vec<String>> {
    #[derive(Deserialize)]
    struct D {
        packages: Vec<Outcome>,
    }
    let answer: Answer<D> = decode_json(body)?;
    Ok(answer
        .result
        .data
        .packages
        .iter()
        .filter_map(|o| o.failure("package"))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(id: &str, status: &str, package: &str) -> UnitItem {
        UnitItem {
            order_item_id: Id(id.into()),
            status: Some(status.into()),
            package_id: Some(package.into()),
        }
    }

    #[test]
    fn plans_packing_pending_units_and_shipping_packed_packages() {
        let items = [
            item("1", "pending", ""),
            item("2", "packed", "FP9"),
            item("3", "packed", "FP9"),
            item("4", "shipped", "FP8"),
            item("5", "canceled", ""),
        ];
        assert_eq!(
            plan("7", &items, &[]).unwrap(),
            Plan {
                pack: vec!["1".into()],
                ready: vec!["FP9".into()],
            }
        );
        let one = |id: &str| ShipmentItem {
            line_item_id: id.into(),
            quantity: 1,
        };
        assert_eq!(
            plan("7", &items, &[one("2")]).unwrap().pack,
            Vec::<String>::new()
        );
        let cancelled = plan("7", &items, &[one("5")]).unwrap_err().to_string();
        assert!(cancelled.contains("canceled"), "{cancelled}");
        assert!(plan("7", &items, &[one("99")]).is_err());
        let two = ShipmentItem {
            line_item_id: "1".into(),
            quantity: 2,
        };
        assert!(plan("7", &items, &[two]).is_err());
        let shipped = [item("4", "shipped", "FP8")];
        assert!(plan("7", &shipped, &[]).is_err(), "nothing left to do");
    }

    #[test]
    fn reads_the_guides_pack_answer_and_item_refusals() {
        let body = r#"{"result":{"data":{"pack_order_list":[{"order_item_list":[
            {"order_item_id":711433089764242,"msg":"success","item_err_code":"0",
             "tracking_number":"LEXDO0069388114","shipment_provider":"LEX TH",
             "package_id":"FP094612143977611","retry":false},
            {"order_item_id":711433089764243,"msg":"status is canceled","item_err_code":"82","retry":false}
        ],"order_id":711433089564242}]},"success":true},"code":"0","request_id":"2101"}"#;
        let packed = read_pack(body).unwrap();
        assert_eq!(packed.packages, vec!["FP094612143977611".to_owned()]);
        assert_eq!(
            packed.refused,
            vec!["item 711433089764243: status is canceled".to_owned()]
        );
    }

    #[test]
    fn reads_ready_to_ship_refusals_and_rejects_other_shapes() {
        let ok = r#"{"result":{"data":{"packages":[{"msg":"success","item_err_code":"0","package_id":"FP021111326834107","retry":false}]},"success":true},"code":"0"}"#;
        assert!(read_ready(ok).unwrap().is_empty());
        let no = r#"{"result":{"data":{"packages":[{"msg":"not packed","item_err_code":"1","package_id":"FP1"}]},"success":true},"code":"0"}"#;
        assert_eq!(
            read_ready(no).unwrap(),
            vec!["package FP1: not packed".to_owned()]
        );
        assert!(read_ready(r#"{"code":"0"}"#).is_err());
    }

    #[test]
    fn requests_have_lazadas_shapes() {
        assert_eq!(
            pack_request("5", &["1".into(), "2".into()], "TFS"),
            r#"{"pack_order_list":[{"order_id":"5","order_item_list":["1","2"]}],"delivery_type":"dropship","shipping_allocate_type":"TFS"}"#
        );
        assert_eq!(
            ready_request(&["FP1".into()]),
            r#"{"packages":[{"package_id":"FP1"}]}"#
        );
    }
}
