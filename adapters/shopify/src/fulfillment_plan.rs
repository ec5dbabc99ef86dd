//! Which fulfillment order lines a new shipment takes, whichever API it goes through:
//! Shopify fulfills through an order's open fulfillment orders (`open`,
//! `in_progress`), each wanted line item by the fulfillment order line that holds it;
//! no line items means everything still open. A wanted line no open fulfillment order
//! holds is refused rather than silently left out. Pure: no IO.

use polycart_kit::adapter::ShipmentItem;
use polycart_kit::{Error, Result};
use serde_json::{Map, Value, json};

use crate::mapping::legacy_id;

/// A fulfillment order line as either API lists it.
#[derive(Debug, Clone)]
pub(crate) struct FoLine {
    pub(crate) id: String,
    pub(crate) line_item_id: String,
    pub(crate) remaining: u64,
}

/// A fulfillment order and whether it can still be fulfilled.
#[derive(Debug, Clone)]
pub(crate) struct Fo {
    pub(crate) id: String,
    pub(crate) open: bool,
    pub(crate) lines: Vec<FoLine>,
}

/// What to take from one fulfillment order.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Take {
    /// Everything it still holds.
    All,
    /// These of its lines (fulfillment order line id, quantity).
    Lines(Vec<(String, u32)>),
}

/// The fulfillment orders and lines a shipment of `wanted` (empty: all) takes.
pub(crate) fn plan(
    order_id: &str,
    fos: &[Fo],
    wanted: &[ShipmentItem],
) -> Result<Vec<(String, Take)>> {
    let mut groups = Vec::new();
    let mut matched = 0;
    for fo in fos.iter().filter(|f| f.open) {
        if wanted.is_empty() {
            if fo.lines.iter().any(|l| l.remaining > 0) {
                groups.push((fo.id.clone(), Take::All));
            }
            continue;
        }
        let lines: Vec<(String, u32)> = wanted
            .iter()
            .filter_map(|want| {
                let want_id = legacy_id(&want.line_item_id);
                let l = fo
                    .lines
                    .iter()
                    .find(|l| legacy_id(&l.line_item_id) == want_id)?;
                Some((l.id.clone(), want.quantity))
            })
            .collect();
        matched += lines.len();
        if !lines.is_empty() {
            groups.push((fo.id.clone(), Take::Lines(lines)));
        }
    }
    if matched < wanted.len() {
        return Err(Error::invalid(format!(
            "some of these line items of order {order_id} are not open for fulfillment"
        )));
    }
    if groups.is_empty() {
        return Err(Error::invalid(format!(
            "order {order_id} has nothing open to fulfill for these line items"
        )));
    }
    Ok(groups)
}

/// The tracking details both APIs take (`company`, `number`, `url`).
pub(crate) fn tracking(carrier: Option<&str>, number: Option<&str>, url: Option<&str>) -> Value {
    let mut t = Map::new();
    for (k, v) in [("number", number), ("url", url), ("company", carrier)] {
        if let Some(v) = v {
            t.insert(k.into(), json!(v));
        }
    }
    Value::Object(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fos() -> Vec<Fo> {
        vec![
            Fo {
                id: "1".into(),
                open: false,
                lines: vec![FoLine {
                    id: "11".into(),
                    line_item_id: "100".into(),
                    remaining: 1,
                }],
            },
            Fo {
                id: "2".into(),
                open: true,
                lines: vec![
                    FoLine {
                        id: "21".into(),
                        line_item_id: "gid://shopify/LineItem/200".into(),
                        remaining: 2,
                    },
                    FoLine {
                        id: "22".into(),
                        line_item_id: "201".into(),
                        remaining: 0,
                    },
                ],
            },
        ]
    }

    fn item(id: &str, quantity: u32) -> ShipmentItem {
        ShipmentItem {
            line_item_id: id.into(),
            quantity,
        }
    }

    #[test]
    fn takes_open_fulfillment_orders_only() {
        assert_eq!(
            plan("9", &fos(), &[]).unwrap(),
            vec![("2".to_owned(), Take::All)]
        );
        assert_eq!(
            plan("9", &fos(), &[item("200", 1)]).unwrap(),
            vec![("2".to_owned(), Take::Lines(vec![("21".to_owned(), 1)]))]
        );
        // A line only a closed fulfillment order holds is refused, not dropped.
        assert!(matches!(
            plan("9", &fos(), &[item("200", 1), item("100", 1)]),
            Err(Error::Invalid { .. })
        ));
        assert_eq!(
            tracking(Some("UPS"), Some("1Z"), None),
            json!({"company": "UPS", "number": "1Z"})
        );
    }
}
