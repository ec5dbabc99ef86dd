//! Customers as API2Cart's `Customer` (`customer.list`, `customer.info`).

use serde_json::{Value, json};

use super::{Object, additional, address, date};

/// API2Cart's default `params` of `customer.list` / `customer.info`.
pub const DEFAULT_PARAMS: &str = "id,email,first_name,last_name";

pub fn aliases(_: &str) -> &'static [&'static str] {
    &[]
}

/// One customer.
pub fn map(doc: &Value) -> Value {
    let mut c = Object::default();
    c.text("id", doc, "platform_id");
    c.text("email", doc, "email");
    c.text("first_name", doc, "first_name");
    c.text("last_name", doc, "last_name");
    c.text("phone", doc, "phone");
    c.put("created_time", date(doc, "created_at"));
    c.put("modified_time", date(doc, "updated_at"));
    c.put(
        "news_letter_subscription",
        doc.get("accepts_marketing")
            .filter(|v| v.is_boolean())
            .cloned(),
    );
    c.put(
        "orders_count",
        doc.get("orders_count")
            .and_then(Value::as_i64)
            .map(|n| json!(n)),
    );
    let mut book: Vec<Value> = Vec::new();
    if let Some(a) = doc
        .get("default_address")
        .and_then(|a| address(a, "default"))
    {
        let mut a = a;
        a["default"] = json!(true);
        book.push(a);
    }
    if let Some(all) = doc.get("addresses").and_then(Value::as_array) {
        book.extend(all.iter().filter_map(|a| address(a, "shipping")));
    }
    c.put("address_book", Some(Value::Array(book)));
    c.put("additional_fields", Some(additional(doc, &["total_spent"])));
    c.into_value()
}
