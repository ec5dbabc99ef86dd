//! Categories as API2Cart's `Category` (`category.list`, `category.info`).

use serde_json::{Value, json};

use super::{Object, additional, date};

/// API2Cart's default `params` of `category.list` / `category.info`.
pub const DEFAULT_PARAMS: &str = "id,parent_id,name,description";

pub fn aliases(name: &str) -> &'static [&'static str] {
    match name {
        "description" => &["short_description"],
        _ => &[],
    }
}

/// One category.
pub fn map(doc: &Value) -> Value {
    let mut c = Object::default();
    c.text("id", doc, "platform_id");
    c.text("parent_id", doc, "parent_id");
    c.text("name", doc, "name");
    c.text("short_description", doc, "description_html");
    c.text("seo_url", doc, "slug");
    c.put(
        "sort_order",
        doc.get("position")
            .and_then(Value::as_i64)
            .map(|p| json!(p)),
    );
    c.put("created_at", date(doc, "created_at"));
    c.put("modified_at", date(doc, "updated_at"));
    c.put("additional_fields", Some(additional(doc, &[])));
    c.into_value()
}
