//! Golden files behind one helper: `fixtures/<platform>/<entity>/<case>.json` is mapped
//! and compared with `<case>.unified.json`. `UPDATE_GOLDEN=1` rewrites the expected
//! files, to be reviewed as a diff. [`shape_differences`] checks a simulator's payload
//! against a real one, field by field.

use std::path::{Path, PathBuf};

/// Compares `actual` with the golden file beside `input` (`x.json` → `x.unified.json`);
/// with `UPDATE_GOLDEN=1` writes it instead. Returns a message describing a mismatch.
pub fn check(input: &Path, actual: &serde_json::Value) -> Result<(), String> {
    let golden = golden_path(input);
    let pretty = serde_json::to_string_pretty(actual).expect("json values print") + "\n";
    if std::env::var_os("UPDATE_GOLDEN").is_some_and(|v| v != "0") {
        std::fs::write(&golden, &pretty)
            .map_err(|e| format!("cannot write {}: {e}", golden.display()))?;
        return Ok(());
    }
    let expected = std::fs::read_to_string(&golden).map_err(|e| {
        format!(
            "missing golden file {} ({e}); run with UPDATE_GOLDEN=1",
            golden.display()
        )
    })?;
    let expected: serde_json::Value =
        serde_json::from_str(&expected).map_err(|e| format!("{}: {e}", golden.display()))?;
    if &expected != actual {
        return Err(format!(
            "{} differs from the mapping of {}; run with UPDATE_GOLDEN=1 and review the diff\n--- actual ---\n{pretty}",
            golden.display(),
            input.display()
        ));
    }
    Ok(())
}

/// `x.json` → `x.unified.json`.
pub fn golden_path(input: &Path) -> PathBuf {
    let stem = input.file_stem().and_then(|s| s.to_str()).unwrap_or("case");
    input.with_file_name(format!("{stem}.unified.json"))
}

/// Every raw fixture (`*.json`, not `*.unified.json`) under `dir`, sorted, recursively.
pub fn inputs(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "json")
                && !path.to_string_lossy().ends_with(".unified.json")
            {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

fn json_kind(v: &serde_json::Value) -> &'static str {
    use serde_json::Value;
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Where a simulator's payload `sim` lacks a field the real payload `real` has, or has
/// it with another JSON type, down through objects and the first item of arrays
/// (`$.billing_address.zip is missing`). A `null` on either side passes (references
/// mark such fields nullable), and so does a reference's `{}` (API references write it
/// for a value they leave out).
pub fn shape_differences(real: &serde_json::Value, sim: &serde_json::Value) -> Vec<String> {
    fn walk(real: &serde_json::Value, sim: &serde_json::Value, at: &str, out: &mut Vec<String>) {
        use serde_json::Value;
        match (real, sim) {
            (Value::Null, _) | (_, Value::Null) => {}
            (Value::Object(r), _) if r.is_empty() => {}
            (Value::Object(r), Value::Object(s)) => {
                for (key, rv) in r {
                    match s.get(key) {
                        Some(sv) => walk(rv, sv, &format!("{at}.{key}"), out),
                        None => out.push(format!("{at}.{key} is missing")),
                    }
                }
            }
            (Value::Array(r), Value::Array(s)) => {
                if let (Some(rv), Some(sv)) = (r.first(), s.first()) {
                    walk(rv, sv, &format!("{at}[0]"), out);
                }
            }
            (r, s) if json_kind(r) != json_kind(s) => {
                out.push(format!(
                    "{at} is {} (reference: {})",
                    json_kind(s),
                    json_kind(r)
                ));
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(real, sim, "$", &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn shape_differences_name_missing_and_mistyped_fields() {
        let real = json!({ "id": 1, "zip": "78108", "left": {}, "note": null,
                           "lines": [{ "sku": "A" }], "extra": { "x": true } });
        let sim =
            json!({ "id": "1", "left": 3, "note": "n", "lines": [{}], "extra": { "x": false } });
        let mut found = shape_differences(&real, &sim);
        found.sort();
        assert_eq!(
            found,
            [
                "$.id is string (reference: number)",
                "$.lines[0].sku is missing",
                "$.zip is missing"
            ]
        );
        assert!(shape_differences(&real, &real).is_empty());
    }
}
