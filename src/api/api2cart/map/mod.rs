//! Unified records (as the sync store holds them) in API2Cart's shapes: ids as
//! strings, money as numbers in the order's currency, dates as API2Cart's
//! `{"value", "format"}` objects, addresses as its `Customer_Address`. What the
//! unified model has and API2Cart has no field for goes in `additional_fields`, with
//! the platform's raw payload (`additional_fields.raw`). One module per entity.

pub mod category;
pub mod customer;
pub mod order;
pub mod product;

use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

/// The PHP-style format API2Cart names next to each date value.
pub const DATE_FORMAT: &str = "Y-m-d\\TH:i:sO";

/// A field of a unified document as text.
pub(crate) fn text(doc: &Value, key: &str) -> Option<String> {
    match doc.get(key)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// An RFC 3339 time of a unified document as API2Cart's date object.
pub(crate) fn date(doc: &Value, key: &str) -> Option<Value> {
    let t: DateTime<Utc> = doc.get(key)?.as_str()?.parse().ok()?;
    Some(json!({
        "value": t.format("%Y-%m-%dT%H:%M:%S+0000").to_string(),
        "format": DATE_FORMAT,
    }))
}

/// A decimal (a `Money` object's amount, or a decimal string or number) as a JSON
/// number, as API2Cart gives money.
pub(crate) fn number(v: Option<&Value>) -> Option<Value> {
    let v = v?;
    let text = match v {
        Value::Object(m) => m.get("amount")?.as_str()?.to_owned(),
        Value::String(s) => s.clone(),
        Value::Number(n) => return Some(Value::Number(n.clone())),
        _ => return None,
    };
    let f: f64 = text.parse().ok()?;
    serde_json::Number::from_f64(f).map(Value::Number)
}

/// A unified address as API2Cart's `Customer_Address`.
pub(crate) fn address(a: &Value, kind: &str) -> Option<Value> {
    if !a.is_object() {
        return None;
    }
    let mut out = Object::default();
    out.put("type", Some(json!(kind)));
    out.text("first_name", a, "first_name");
    out.text("last_name", a, "last_name");
    out.text("company", a, "company");
    out.text("address1", a, "line1");
    out.text("address2", a, "line2");
    out.text("city", a, "city");
    out.text("postcode", a, "postal_code");
    out.text("phone", a, "phone");
    if let Some(code) = text(a, "country_code") {
        out.put("country", Some(json!({ "code2": code })));
    }
    if text(a, "region").is_some() || text(a, "region_code").is_some() {
        let mut state = Object::default();
        state.text("code", a, "region_code");
        state.text("name", a, "region");
        out.put("state", Some(state.into_value()));
    }
    Some(out.into_value())
}

/// An object built field by field, leaving out what is unknown (API2Cart's types are
/// not nullable).
#[derive(Debug, Default)]
pub(crate) struct Object(Map<String, Value>);

impl Object {
    pub(crate) fn put(&mut self, key: &str, value: Option<Value>) {
        if let Some(v) = value.filter(|v| !v.is_null()) {
            self.0.insert(key.to_owned(), v);
        }
    }

    /// `key` from the document's text field `from`.
    pub(crate) fn text(&mut self, key: &str, doc: &Value, from: &str) {
        self.put(key, text(doc, from).map(Value::String));
    }

    pub(crate) fn into_value(self) -> Value {
        Value::Object(self.0)
    }
}

/// `additional_fields`: the unified fields API2Cart has no place for, and the raw
/// payload.
pub(crate) fn additional(doc: &Value, keys: &[&str]) -> Value {
    let mut out = Map::new();
    for k in keys {
        if let Some(v) = doc.get(*k).filter(|v| !v.is_null()) {
            out.insert((*k).to_owned(), v.clone());
        }
    }
    if let Some(id) = doc.get("id").filter(|v| !v.is_null()) {
        out.insert("polycart_id".into(), id.clone());
    }
    if let Some(raw) = doc.get("raw").filter(|v| !v.is_null()) {
        out.insert("raw".into(), raw.clone());
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_money_in_api2carts_forms() {
        let doc =
            json!({"t": "2024-05-01T15:45:00+02:00", "m": {"amount": "12.50", "currency": "EUR"}});
        assert_eq!(
            date(&doc, "t").unwrap(),
            json!({"value": "2024-05-01T13:45:00+0000", "format": DATE_FORMAT})
        );
        assert_eq!(number(doc.get("m")), Some(json!(12.5)));
        assert_eq!(number(Some(&json!("3"))), Some(json!(3.0)));
        assert_eq!(number(Some(&Value::Null)), None);
    }
}
