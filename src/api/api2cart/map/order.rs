//! Orders as API2Cart's `Order` (`order.list`, `order.info`).

use serde_json::{Value, json};

use super::{Object, additional, address, date, number, text};

/// API2Cart's default `params` of `order.list` / `order.info`.
pub const DEFAULT_PARAMS: &str = "order_id,customer,totals,address,items,bundles,status";

/// API2Cart's group names in `params`.
pub fn aliases(name: &str) -> &'static [&'static str] {
    match name {
        "address" => &["shipping_address", "billing_address"],
        "items" => &["order_products"],
        "currency" => &["currency"],
        "total" => &["total"],
        _ => &[],
    }
}

/// One order.
pub fn map(doc: &Value) -> Value {
    let mut o = Object::default();
    o.text("id", doc, "platform_id");
    o.put(
        "order_id",
        text(doc, "number")
            .or_else(|| text(doc, "platform_id"))
            .map(Value::String),
    );
    if let Some(c) = doc.get("customer").filter(|c| c.is_object()) {
        let mut cust = Object::default();
        cust.text("id", c, "platform_id");
        cust.text("email", c, "email");
        cust.text("first_name", c, "first_name");
        cust.text("last_name", c, "last_name");
        cust.text("phone", c, "phone");
        o.put("customer", Some(cust.into_value()));
    }
    o.put("create_at", date(doc, "created_at"));
    o.put("modified_at", date(doc, "updated_at"));
    o.put("finished_time", date(doc, "completed_at"));
    if let Some(cur) = text(doc, "currency") {
        o.put("currency", Some(json!({ "id": cur, "iso3": cur })));
    }
    o.put(
        "shipping_address",
        doc.get("shipping_address")
            .and_then(|a| address(a, "shipping")),
    );
    o.put(
        "billing_address",
        doc.get("billing_address")
            .and_then(|a| address(a, "billing")),
    );
    let shipping_lines = doc
        .get("shipping_lines")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let methods: Vec<Value> = shipping_lines
        .iter()
        .filter_map(|l| text(l, "method").or_else(|| text(l, "carrier")))
        .map(|name| json!({ "name": name }))
        .collect();
    o.put("shipping_method", methods.first().cloned());
    o.put("shipping_methods", Some(Value::Array(methods)));
    let mut status = Object::default();
    status.put(
        "id",
        text(doc, "platform_status")
            .or_else(|| text(doc, "status"))
            .map(Value::String),
    );
    status.put(
        "name",
        text(doc, "status")
            .or_else(|| text(doc, "platform_status"))
            .map(Value::String),
    );
    o.put("status", Some(status.into_value()));
    let totals = doc.get("totals").cloned().unwrap_or(Value::Null);
    let mut t = Object::default();
    t.put("total", number(totals.get("total")));
    t.put("subtotal", number(totals.get("subtotal")));
    t.put("shipping", number(totals.get("shipping")));
    t.put("tax", number(totals.get("tax")));
    t.put("discount", number(totals.get("discount")));
    o.put("totals", Some(t.into_value()));
    let mut total = Object::default();
    total.put("subtotal_ex_tax", number(totals.get("subtotal")));
    total.put("shipping_ex_tax", number(totals.get("shipping")));
    total.put("total_discount", number(totals.get("discount")));
    total.put("total_tax", number(totals.get("tax")));
    total.put("total", number(totals.get("total")));
    total.put("total_paid", number(totals.get("paid")));
    o.put("total", Some(total.into_value()));
    let items: Vec<Value> = doc
        .get("line_items")
        .and_then(Value::as_array)
        .map(|items| items.iter().map(item).collect())
        .unwrap_or_default();
    o.put("order_products", Some(Value::Array(items)));
    o.put("bundles", Some(json!([])));
    o.text("comment", doc, "note");
    o.put(
        "additional_fields",
        Some(additional(
            doc,
            &[
                "status",
                "financial_status",
                "fulfillment_status",
                "platform_financial_status",
                "platform_fulfillment_status",
                "tags",
                "source",
                "shipments",
                "refunds",
                "discounts",
                "cancelled_at",
            ],
        )),
    );
    o.into_value()
}

fn item(line: &Value) -> Value {
    let mut i = Object::default();
    i.text("order_product_id", line, "platform_id");
    i.text("product_id", line, "product_id");
    i.text("variant_id", line, "variant_id");
    i.text("model", line, "sku");
    i.text("name", line, "name");
    i.put("price", number(line.get("unit_price")));
    i.put("quantity", number(line.get("quantity")));
    i.put("discount_amount", number(line.get("discount")));
    i.put("total_price", number(line.get("total")));
    i.put("tax_value", number(line.get("tax")));
    i.into_value()
}

/// The order statuses `order.status.list` names: polycart's normalised statuses.
pub fn statuses() -> Vec<Value> {
    polycart_kit::model::OrderStatus::ALL
        .iter()
        .map(|s| json!({ "id": s.as_str(), "name": s.as_str() }))
        .collect()
}

/// The order's shipments as API2Cart's `Shipment`.
pub fn shipments(doc: &Value) -> Vec<Value> {
    let order_id = text(doc, "platform_id");
    doc.get("shipments")
        .and_then(Value::as_array)
        .map(|all| {
            all.iter()
                .map(|s| {
                    let mut o = Object::default();
                    o.text("id", s, "platform_id");
                    o.put("order_id", order_id.clone().map(Value::String));
                    o.text("shipment_provider", s, "carrier");
                    let mut tn = Object::default();
                    tn.text("carrier_id", s, "carrier");
                    tn.text("tracking_number", s, "tracking_number");
                    let tracking = if text(s, "tracking_number").is_some() {
                        vec![tn.into_value()]
                    } else {
                        Vec::new()
                    };
                    o.put("tracking_numbers", Some(Value::Array(tracking)));
                    o.put("created_at", date(s, "created_at"));
                    let items: Vec<Value> = s
                        .get("line_items")
                        .and_then(Value::as_array)
                        .map(|items| {
                            items
                                .iter()
                                .map(|i| {
                                    let mut it = Object::default();
                                    it.text("order_product_id", i, "line_item_id");
                                    it.put("quantity", number(i.get("quantity")));
                                    it.into_value()
                                })
                                .collect()
                        })
                        .unwrap_or_default();
                    o.put("items", Some(Value::Array(items)));
                    o.put("is_shipped", Some(json!(true)));
                    let mut extra = serde_json::Map::new();
                    for k in ["status", "tracking_url"] {
                        if let Some(v) = s.get(k).filter(|v| !v.is_null()) {
                            extra.insert(k.to_owned(), v.clone());
                        }
                    }
                    o.put("additional_fields", Some(Value::Object(extra)));
                    o.into_value()
                })
                .collect()
        })
        .unwrap_or_default()
}
