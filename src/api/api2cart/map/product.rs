//! Products as API2Cart's `Product` (`product.list`, `product.info`), and their
//! variants as its `Child` (`product.child_item.list`, `product.child_item.info`).

use serde_json::{Value, json};

use super::{Object, additional, date, number, text};

/// API2Cart's default `params` of `product.list` / `product.info`.
pub const DEFAULT_PARAMS: &str = "id,name,description,price,categories_ids";
/// API2Cart's default `params` of `product.child_item.list` / `.info`.
pub const CHILD_DEFAULT_PARAMS: &str = "force_all";

/// API2Cart's group names in `params`.
pub fn aliases(name: &str) -> &'static [&'static str] {
    match name {
        "description" => &["description", "short_description"],
        "sku" => &["u_sku"],
        "model" => &["u_model"],
        _ => &[],
    }
}

/// One product.
pub fn map(doc: &Value) -> Value {
    let mut p = Object::default();
    p.text("id", doc, "platform_id");
    let variants = doc
        .get("variants")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    p.put(
        "type",
        Some(json!(if variants.len() > 1 {
            "configurable"
        } else {
            "simple"
        })),
    );
    p.text("u_model", doc, "sku");
    p.text("u_sku", doc, "sku");
    p.text("name", doc, "name");
    p.text("description", doc, "description_html");
    p.put("price", number(doc.get("price")));
    p.put(
        "quantity",
        doc.get("inventory_quantity")
            .and_then(Value::as_i64)
            .map(|q| json!(q as f64)),
    );
    p.text("u_brand", doc, "vendor");
    let categories: Vec<Value> = doc
        .get("category_ids")
        .and_then(Value::as_array)
        .map(|ids| ids.iter().filter_map(text_of).map(Value::String).collect())
        .unwrap_or_default();
    p.put("categories_ids", Some(Value::Array(categories)));
    let status = text(doc, "status");
    p.put(
        "avail_sale",
        status.as_deref().map(|s| json!(s == "active")),
    );
    p.put(
        "avail_view",
        status.as_deref().map(|s| json!(s != "archived")),
    );
    p.put(
        "in_stock",
        doc.get("inventory_quantity")
            .and_then(Value::as_i64)
            .map(|q| json!(q > 0)),
    );
    p.put("create_at", date(doc, "created_at"));
    p.put("modified_at", date(doc, "updated_at"));
    let images: Vec<Value> = doc
        .get("images")
        .and_then(Value::as_array)
        .map(|imgs| {
            imgs.iter()
                .enumerate()
                .filter_map(|(i, img)| {
                    let url = text(img, "url")?;
                    let mut o = Object::default();
                    o.put("id", Some(json!(i.to_string())));
                    o.put("http_path", Some(json!(url)));
                    o.text("alt", img, "alt");
                    o.put(
                        "sort_order",
                        img.get("position")
                            .and_then(Value::as_i64)
                            .map(|p| json!(p)),
                    );
                    Some(o.into_value())
                })
                .collect()
        })
        .unwrap_or_default();
    p.put("images", Some(Value::Array(images)));
    p.put(
        "additional_fields",
        Some(additional(
            doc,
            &[
                "status",
                "platform_status",
                "compare_at_price",
                "product_type",
                "tags",
                "options",
            ],
        )),
    );
    p.into_value()
}

fn text_of(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The product's variants as API2Cart's children.
pub fn children(doc: &Value) -> Vec<Value> {
    let parent = text(doc, "platform_id");
    doc.get("variants")
        .and_then(Value::as_array)
        .map(|vs| {
            vs.iter()
                .map(|v| child(parent.as_deref(), doc, v))
                .collect()
        })
        .unwrap_or_default()
}

fn child(parent: Option<&str>, product: &Value, v: &Value) -> Value {
    let mut c = Object::default();
    c.text("id", v, "platform_id");
    c.put("parent_id", parent.map(|p| json!(p)));
    c.text("sku", v, "sku");
    c.text("upc", v, "barcode");
    let name = text(product, "name").unwrap_or_default();
    let option_values: Vec<String> = v
        .get("options")
        .and_then(Value::as_object)
        .map(|o| o.values().filter_map(text_of).collect())
        .unwrap_or_default();
    let title = if option_values.is_empty() {
        name
    } else {
        format!("{name} - {}", option_values.join(" / "))
    };
    c.put("name", Some(json!(title)));
    c.put("default_price", number(v.get("price")));
    c.put("list_price", number(v.get("compare_at_price")));
    c.put(
        "inventory_level",
        v.get("inventory_quantity")
            .and_then(Value::as_i64)
            .map(|q| json!(q as f64)),
    );
    c.put(
        "in_stock",
        v.get("inventory_quantity")
            .and_then(Value::as_i64)
            .map(|q| json!(q > 0)),
    );
    c.put("created_time", date(product, "created_at"));
    c.put("modified_time", date(product, "updated_at"));
    let mut extra = serde_json::Map::new();
    for k in ["options", "compare_at_price", "weight", "image_url"] {
        if let Some(x) = v.get(k).filter(|x| !x.is_null()) {
            extra.insert(k.to_owned(), x.clone());
        }
    }
    c.put("additional_fields", Some(Value::Object(extra)));
    c.into_value()
}
