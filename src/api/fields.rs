//! Field selection (`fields=id,number,totals.total`) and raw payload opt-in
//! (`include_raw=true`) applied to unified records on their way out.

use serde_json::{Map, Value};

/// Keeps only the listed top-level fields (dotted paths keep nested fields); `id` is
/// always kept so records stay addressable. An empty selection keeps everything.
pub fn select(mut record: Value, fields: &[String], include_raw: bool) -> Value {
    if !include_raw {
        if let Value::Object(map) = &mut record {
            map.remove("raw");
        }
    }
    if fields.is_empty() {
        return record;
    }
    let Value::Object(source) = record else {
        return record;
    };
    let mut out = Map::new();
    if let Some(id) = source.get("id") {
        out.insert("id".into(), id.clone());
    }
    for field in fields {
        copy_path(&source, &mut out, &field.split('.').collect::<Vec<_>>());
    }
    if include_raw {
        if let Some(raw) = source.get("raw") {
            out.insert("raw".into(), raw.clone());
        }
    }
    Value::Object(out)
}

fn copy_path(source: &Map<String, Value>, out: &mut Map<String, Value>, path: &[&str]) {
    let Some((first, rest)) = path.split_first() else {
        return;
    };
    let Some(value) = source.get(*first) else {
        return;
    };
    if rest.is_empty() {
        out.insert((*first).to_owned(), value.clone());
        return;
    }
    if let Value::Object(inner) = value {
        let slot = out
            .entry((*first).to_owned())
            .or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(slot) = slot {
            copy_path(inner, slot, rest);
        }
    }
}

/// Parses `fields=a,b.c` into a list, refusing empty or odd names.
pub fn parse(fields: Option<&str>) -> Result<Vec<String>, String> {
    let Some(text) = fields else {
        return Ok(Vec::new());
    };
    text.split(',')
        .map(str::trim)
        .filter(|f| !f.is_empty())
        .map(|f| {
            if f.split('.')
                .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
            {
                Ok(f.to_owned())
            } else {
                Err(format!("invalid field name {f:?}"))
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn selects_and_drops_raw() {
        let r = json!({"id": "s:1", "number": "#1", "status": "paid", "totals": {"total": {"amount": "1"}, "tax": null}, "raw": {"x": 1}});
        assert_eq!(
            select(r.clone(), &["number".into(), "totals.total".into()], false),
            json!({"id": "s:1", "number": "#1", "totals": {"total": {"amount": "1"}}})
        );
        assert!(select(r.clone(), &[], false).get("raw").is_none());
        assert!(select(r, &[], true).get("raw").is_some());
        assert!(parse(Some("a,,b.c")).unwrap().len() == 2);
        assert!(parse(Some("a;drop")).is_err());
    }
}
