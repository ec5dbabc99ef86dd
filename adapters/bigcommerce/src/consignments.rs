//! Where a v2 order's line items and shipping addresses are. Asked for with
//! `include=consignments.line_items&consignment_structure=object`, an order carries
//! `consignments: {shipping, pickups, downloads, email: {gift_certificates}}`: every
//! consignment with its line items (the `/v2/orders/{id}/products` items, at most 50
//! per consignment, a `__warning__` beyond), and every shipping consignment with its
//! address, method and cost (the `/shipping_addresses` item of the same id). Arrays
//! the adapter embedded after fetching the sub-resources (`products`,
//! `shipping_addresses`) come first. Pure functions over the raw JSON, no IO.

use serde_json::{Map, Value};

/// The `include` that brings line items and shipping addresses with an order.
pub(crate) const ORDER_INCLUDE: [(&str, &str); 2] = [
    ("include", "consignments.line_items"),
    ("consignment_structure", "object"),
];

/// A JSON value with the path it was found at (`$.consignments.shipping[0]`).
pub(crate) type Found<'a> = (String, &'a Value);

fn object(order: &Value) -> Option<&Map<String, Value>> {
    order.get("consignments")?.as_object()
}

fn list<'a>(value: Option<&'a Value>, path: String, out: &mut Vec<Found<'a>>) {
    if let Some(Value::Array(items)) = value {
        out.extend(
            items
                .iter()
                .enumerate()
                .map(|(i, v)| (format!("{path}[{i}]"), v)),
        );
    }
}

/// Every consignment of the order (object structure), with its path.
fn each(consignments: &Map<String, Value>) -> Vec<Found<'_>> {
    let mut out = Vec::new();
    for kind in ["shipping", "pickups", "downloads"] {
        list(
            consignments.get(kind),
            format!("$.consignments.{kind}"),
            &mut out,
        );
    }
    list(
        consignments
            .get("email")
            .and_then(|e| e.get("gift_certificates")),
        "$.consignments.email.gift_certificates".into(),
        &mut out,
    );
    out
}

fn embedded<'a>(order: &'a Value, field: &str) -> Option<Vec<Found<'a>>> {
    let Value::Array(items) = order.get(field)? else {
        return None;
    };
    Some(
        items
            .iter()
            .enumerate()
            .map(|(i, v)| (format!("$.{field}[{i}]"), v))
            .collect(),
    )
}

fn quantity(item: &Value) -> Option<f64> {
    match item.get("quantity")? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// The order's line items: the embedded `products`, or else the full line items its
/// consignments carry (`None` without either).
pub(crate) fn line_items(order: &Value) -> Option<Vec<Found<'_>>> {
    if let Some(items) = embedded(order, "products") {
        return Some(items);
    }
    let mut items = Vec::new();
    for (path, consignment) in each(object(order)?) {
        if let Some(Value::Array(lines)) = consignment.get("line_items") {
            items.extend(
                lines
                    .iter()
                    .enumerate()
                    // `include=consignments` alone gives `{url, resource}` links.
                    .filter(|(_, line)| line.get("id").is_some())
                    .map(|(i, line)| (format!("{path}.line_items[{i}]"), line)),
            );
        }
    }
    Some(items)
}

/// Whether [`line_items`] is every line of the order: embedded `products`, or
/// consignments none of which was cut short (`__warning__`) or gave links only, whose
/// quantities add up to `items_total`. Otherwise `/v2/orders/{id}/products` has them.
pub(crate) fn has_every_line(order: &Value) -> bool {
    if embedded(order, "products").is_some() {
        return true;
    }
    let Some(consignments) = object(order) else {
        return false;
    };
    let mut listed = 0.0;
    for (_, consignment) in each(consignments) {
        if consignment.get("__warning__").is_some() {
            return false;
        }
        let Some(Value::Array(lines)) = consignment.get("line_items") else {
            return false;
        };
        for line in lines {
            if line.get("id").is_none() {
                return false;
            }
            listed += quantity(line).unwrap_or(0.0);
        }
    }
    let total = order.get("items_total").and_then(Value::as_f64);
    total.is_none_or(|t| (t - listed).abs() < 1e-9)
}

/// The order's shipping addresses: the embedded `shipping_addresses`, or else its
/// shipping consignments. `None`: fetch `/v2/orders/{id}/shipping_addresses`.
pub(crate) fn shipping_addresses(order: &Value) -> Option<Vec<Found<'_>>> {
    if let Some(items) = embedded(order, "shipping_addresses") {
        return Some(items);
    }
    let mut out = Vec::new();
    list(
        object(order)?.get("shipping"),
        "$.consignments.shipping".into(),
        &mut out,
    );
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn product(id: u64, quantity: u64) -> Value {
        json!({ "id": id, "quantity": quantity, "price_ex_tax": "1.0000" })
    }

    #[test]
    fn consignments_carry_lines_and_addresses() {
        let order = json!({
            "id": 1, "items_total": 3,
            "consignments": {
                "shipping": [{ "id": 9, "first_name": "Jane", "line_items": [product(1, 2)] }],
                "pickups": [],
                "downloads": [{ "recipient_email": "a@example.com", "line_items": [product(2, 1)] }],
                "email": { "gift_certificates": [] },
            },
        });
        assert!(has_every_line(&order));
        let lines = line_items(&order).unwrap();
        assert_eq!(
            lines.iter().map(|(p, _)| p.as_str()).collect::<Vec<_>>(),
            [
                "$.consignments.shipping[0].line_items[0]",
                "$.consignments.downloads[0].line_items[0]"
            ]
        );
        let addresses = shipping_addresses(&order).unwrap();
        assert_eq!(addresses[0].1["id"], 9);
    }

    #[test]
    fn capped_linked_or_short_consignments_need_the_products() {
        let capped = json!({ "items_total": 1, "consignments": { "shipping": [{
            "line_items": [product(1, 1)],
            "__warning__": { "message": "Not all line items of this consignment are returned" },
        }] } });
        assert!(!has_every_line(&capped));
        assert_eq!(
            line_items(&capped).unwrap().len(),
            1,
            "what is there still maps"
        );
        let linked = json!({ "items_total": 1, "consignments": { "shipping": [{
            "line_items": [{ "url": "https://x/v2/orders/1/products/1", "resource": "/orders/1/products/1" }],
        }] } });
        assert!(!has_every_line(&linked));
        assert!(line_items(&linked).unwrap().is_empty());
        let short = json!({ "items_total": 5, "consignments": { "shipping": [{ "line_items": [product(1, 1)] }] } });
        assert!(!has_every_line(&short));
        let legacy = json!({ "items_total": 1, "products": { "url": "x", "resource": "/orders/1/products" } });
        assert!(!has_every_line(&legacy));
        assert!(line_items(&legacy).is_none() && shipping_addresses(&legacy).is_none());
        let fetched = json!({ "products": [product(1, 1)], "shipping_addresses": [] });
        assert!(has_every_line(&fetched));
        assert_eq!(line_items(&fetched).unwrap()[0].0, "$.products[0]");
        assert!(shipping_addresses(&fetched).unwrap().is_empty());
    }
}
