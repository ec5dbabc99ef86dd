//! A JSON Schema validator for the vocabulary of OpenAPI 3.0/3.1 response schemas:
//! local `$ref`, `type` (a name or a list, `null` included) and `nullable`,
//! `properties`, `required`, `additionalProperties`, `items`, `enum`, and
//! `oneOf`/`anyOf`/`allOf`. It reports every violation with its JSON path, so a test
//! can show all of a response's problems at once.
#![allow(dead_code, unreachable_pub)]

use serde_json::Value;

/// The violations of `value` against `schema`, resolved within `doc`.
pub fn violations(doc: &Value, schema: &Value, value: &Value) -> Vec<String> {
    let mut out = Vec::new();
    check(doc, schema, value, "$", &mut out, 0);
    out
}

fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    let mut s = schema;
    for _ in 0..32 {
        match s.get("$ref").and_then(Value::as_str) {
            Some(r) => {
                s = doc
                    .pointer(r.trim_start_matches('#'))
                    .unwrap_or_else(|| panic!("dangling {r}"))
            }
            None => return s,
        }
    }
    panic!("a $ref cycle")
}

fn type_ok(name: &str, v: &Value) -> bool {
    match name {
        "null" => v.is_null(),
        "boolean" => v.is_boolean(),
        "string" => v.is_string(),
        "object" => v.is_object(),
        "array" => v.is_array(),
        "number" => v.is_number(),
        "integer" => v.is_i64() || v.is_u64() || v.as_f64().is_some_and(|f| f.fract() == 0.0),
        other => panic!("unknown type {other}"),
    }
}

fn check(doc: &Value, schema: &Value, v: &Value, path: &str, out: &mut Vec<String>, depth: usize) {
    assert!(depth < 64, "schema nests too deep at {path}");
    let s = resolve(doc, schema);
    let nullable = s.get("nullable").and_then(Value::as_bool).unwrap_or(false);
    if v.is_null() && nullable {
        return;
    }
    if let Some(t) = s.get("type") {
        let names: Vec<&str> = match t {
            Value::String(n) => vec![n.as_str()],
            Value::Array(ns) => ns.iter().filter_map(Value::as_str).collect(),
            _ => vec![],
        };
        if !names.iter().any(|n| type_ok(n, v)) {
            out.push(format!("{path}: {} is not of type {names:?}", short(v)));
            return;
        }
    }
    if let Some(options) = s.get("enum").and_then(Value::as_array) {
        if !options.contains(v) {
            out.push(format!("{path}: {} is not one of {options:?}", short(v)));
        }
    }
    if let Some(all) = s.get("allOf").and_then(Value::as_array) {
        for sub in all {
            check(doc, sub, v, path, out, depth + 1);
        }
    }
    for (key, exactly_one) in [("oneOf", true), ("anyOf", false)] {
        if let Some(branches) = s.get(key).and_then(Value::as_array) {
            let passing = branches
                .iter()
                .filter(|b| violations_at(doc, b, v, path, depth).is_empty())
                .count();
            let ok = if exactly_one {
                passing == 1
            } else {
                passing >= 1
            };
            if !ok {
                out.push(format!(
                    "{path}: {} matches {passing} branches of {key}",
                    short(v)
                ));
            }
        }
    }
    if let Value::Object(map) = v {
        let props = s.get("properties").and_then(Value::as_object);
        if let Some(required) = s.get("required").and_then(Value::as_array) {
            for r in required.iter().filter_map(Value::as_str) {
                if !map.contains_key(r) {
                    out.push(format!("{path}: required {r} is missing"));
                }
            }
        }
        for (k, item) in map {
            let at = format!("{path}.{k}");
            match props.and_then(|p| p.get(k)) {
                Some(sub) => check(doc, sub, item, &at, out, depth + 1),
                None => match s.get("additionalProperties") {
                    Some(Value::Bool(false)) => out.push(format!("{at}: not allowed")),
                    Some(sub @ Value::Object(_)) => check(doc, sub, item, &at, out, depth + 1),
                    _ => {}
                },
            }
        }
    }
    if let (Value::Array(items), Some(sub)) = (v, s.get("items")) {
        for (i, item) in items.iter().enumerate() {
            check(doc, sub, item, &format!("{path}[{i}]"), out, depth + 1);
        }
    }
}

fn violations_at(doc: &Value, schema: &Value, v: &Value, path: &str, depth: usize) -> Vec<String> {
    let mut out = Vec::new();
    check(doc, schema, v, path, &mut out, depth + 1);
    out
}

fn short(v: &Value) -> String {
    let t = v.to_string();
    if t.chars().count() > 80 {
        format!("{}…", t.chars().take(80).collect::<String>())
    } else {
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_validator_catches_what_it_claims() {
        let doc = json!({"components": {"schemas": {
            "P": {"type": "object", "required": ["id"], "properties": {
                "id": {"type": "string"}, "n": {"type": "integer"},
                "d": {"$ref": "#/components/schemas/D"}, "xs": {"type": "array", "items": {"type": "number"}},
                "o": {"type": "object", "nullable": true}}, "additionalProperties": false},
            "D": {"type": ["object", "null"], "properties": {"value": {"type": "string"}}}}}});
        let p = json!({"$ref": "#/components/schemas/P"});
        assert!(
            violations(
                &doc,
                &p,
                &json!({"id": "1", "n": 2, "d": null, "xs": [1.5], "o": null})
            )
            .is_empty()
        );
        let bad = violations(
            &doc,
            &p,
            &json!({"n": 1.5, "d": {"value": 3}, "xs": ["a"], "z": 1}),
        );
        assert_eq!(bad.len(), 5, "{bad:#?}");
    }
}
