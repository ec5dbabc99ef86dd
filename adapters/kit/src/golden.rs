//! Golden files behind one helper: `fixtures/<platform>/<entity>/<case>.json` is mapped
//! and compared with `<case>.unified.json`. `UPDATE_GOLDEN=1` rewrites the expected
//! files, to be reviewed as a diff. [`shape_differences`] checks a simulator's payload
//! against a real one, field by field.
//!
//! [`run`] does all of it for a connector: every fixture of every entity folder goes
//! through `Connector::normalize` with the store context of `<dir>/context.json`
//! (`{"currency": "USD", "weight_unit": "kg"}`; none without the file) and is compared
//! with its golden file, or, when it cannot map, with its `<case>.error.txt`.
//! [`sim_shapes`] starts the connector's simulator and checks that, per entity, its
//! payloads have every field of each real fixture; `<dir>/shapes.json` names the
//! fixtures that are not the REST payload the simulator serves (GraphQL, older API
//! versions, other endpoints) and the fields it leaves out, each with its reason:
//! `{"skip": {"order/graphql-*": "why"}, "ignore": {"$._links.up": "why"}}`. [`golden_tests!`](crate::golden_tests)
//! writes both as tests; folders that are not entities (`shape/`, `webhook/`, ...) are
//! the platform's own tests.

use std::path::{Path, PathBuf};

use crate::connector::{Connector, Normalized, StoreContext};
use crate::model::{Currency, Entity};

/// Two tests for a connector's fixtures under `dir` (relative to the crate):
/// `fixtures_match_their_golden_files` ([`run`]) and
/// `simulator_payloads_have_the_fields_of_real_ones` ([`sim_shapes`]).
///
/// ```ignore
/// polycart_kit::golden_tests!(polycart_acme::connector(), "../../fixtures/acme");
/// // failing when fewer than 40 fixtures are found:
/// polycart_kit::golden_tests!(polycart_acme::connector(), "../../fixtures/acme", at_least 40);
/// ```
#[macro_export]
macro_rules! golden_tests {
    ($connector:expr, $dir:expr) => {
        $crate::golden_tests!($connector, $dir, at_least 1);
    };
    ($connector:expr, $dir:expr, at_least $n:expr) => {
        #[test]
        fn fixtures_match_their_golden_files() {
            let dir = ::std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join($dir);
            let checked = $crate::golden::run(&$connector, &dir);
            assert!(
                checked >= $n,
                "{} fixtures under {}, expected at least {}",
                checked,
                dir.display(),
                $n
            );
        }

        #[test]
        fn simulator_payloads_have_the_fields_of_real_ones() {
            let dir = ::std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join($dir);
            $crate::golden::sim_shapes(&$connector, &dir);
        }
    };
}

/// The store context fixtures are mapped with: `<dir>/context.json`, if there is one.
pub fn context(dir: &Path) -> StoreContext {
    #[derive(serde::Deserialize)]
    struct File {
        currency: Option<String>,
        weight_unit: Option<String>,
    }
    let path = dir.join("context.json");
    let Ok(text) = std::fs::read_to_string(&path) else {
        return StoreContext::default();
    };
    let file: File =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    StoreContext {
        currency: file
            .currency
            .map(|c| Currency::parse(&c).unwrap_or_else(|e| panic!("{}: {e}", path.display()))),
        weight_unit: file.weight_unit,
        time_zone: None,
    }
}

/// The raw fixtures of each entity folder (`<dir>/order/*.json`, ...).
pub fn entity_inputs(dir: &Path) -> Vec<(Entity, PathBuf)> {
    Entity::ALL
        .into_iter()
        .flat_map(|e| {
            inputs(&dir.join(e.as_str()))
                .into_iter()
                .map(move |p| (e, p))
        })
        .collect()
}

/// Maps every fixture of every entity folder under `dir` through the connector and
/// compares it with its golden file (or its expected error); panics listing every
/// mismatch. Returns how many fixtures were checked.
pub fn run(connector: &Connector, dir: &Path) -> usize {
    let ctx = context(dir);
    let inputs = entity_inputs(dir);
    assert!(
        !inputs.is_empty(),
        "{}: no fixtures under {}/<entity>/",
        connector.name,
        dir.display()
    );
    let mut failures = Vec::new();
    for (entity, input) in &inputs {
        let text = match std::fs::read_to_string(input) {
            Ok(t) => t,
            Err(e) => {
                failures.push(format!("{}: {e}", input.display()));
                continue;
            }
        };
        let mapped = (connector.normalize)(*entity, &text, &ctx).map(|n| match n {
            Normalized::One(r) => serde_json::to_value(r),
            Normalized::List(rs) => serde_json::to_value(rs),
        });
        let result = match mapped {
            Ok(Ok(actual)) => expect_no_error(input).and_then(|()| check(input, &actual)),
            Ok(Err(e)) => Err(format!("{}: {e}", input.display())),
            Err(e) => check_error(input, &e.to_string()),
        };
        if let Err(e) = result {
            failures.push(e);
        }
    }
    assert!(
        failures.is_empty(),
        "{}: {} of {} fixtures differ:\n{}",
        connector.name,
        failures.len(),
        inputs.len(),
        failures.join("\n\n")
    );
    inputs.len()
}

fn updating() -> bool {
    std::env::var_os("UPDATE_GOLDEN").is_some_and(|v| v != "0")
}

/// `x.json` → `x.error.txt`: the error a fixture that cannot map is expected to give.
pub fn error_path(input: &Path) -> PathBuf {
    input.with_extension("error.txt")
}

fn expect_no_error(input: &Path) -> Result<(), String> {
    let file = error_path(input);
    if !file.exists() {
        return Ok(());
    }
    if updating() {
        return std::fs::remove_file(&file)
            .map_err(|e| format!("cannot remove {}: {e}", file.display()));
    }
    Err(format!(
        "{} maps now but has {}; run with UPDATE_GOLDEN=1",
        input.display(),
        file.display()
    ))
}

/// Compares a fixture's mapping error with its `.error.txt` (writes it with
/// `UPDATE_GOLDEN=1`).
pub fn check_error(input: &Path, message: &str) -> Result<(), String> {
    let file = error_path(input);
    if updating() {
        return std::fs::write(&file, format!("{message}\n"))
            .map_err(|e| format!("cannot write {}: {e}", file.display()));
    }
    match std::fs::read_to_string(&file) {
        Ok(expected) if expected.trim() == message => Ok(()),
        Ok(expected) => Err(format!(
            "{}: error {message:?}, expected {:?}",
            input.display(),
            expected.trim()
        )),
        Err(_) => Err(format!("{}: {message}", input.display())),
    }
}

/// The records a real payload holds: the payload itself, the `data` of a v3-style
/// envelope, the `response` of Shopee's, the value of a one-key wrapper (`{"order": {...}}`, `{"orders": [...]}`),
/// and every item of an array.
pub fn records_of(payload: &serde_json::Value) -> Vec<serde_json::Value> {
    use serde_json::Value;
    match payload {
        Value::Array(items) => items.iter().flat_map(records_of).collect(),
        Value::Object(o) if o.contains_key("data") => records_of(&o["data"]),
        // Shopee's envelope: `{"error", "message", "request_id", "response": {...}}`.
        Value::Object(o)
            if o.contains_key("error") && o.get("response").is_some_and(Value::is_object) =>
        {
            records_of(&o["response"])
        }
        Value::Object(o) if o.len() == 1 => {
            let inner = o.values().next().expect("one key");
            if inner.is_object() || inner.is_array() {
                records_of(inner)
            } else {
                vec![payload.clone()]
            }
        }
        other => vec![other.clone()],
    }
}

/// Starts the connector's simulator and checks, per entity, that each real record in
/// `<dir>/<entity>/` has all its fields (with their JSON types) in one of the
/// simulator's payloads of that entity (`SimHandle::payload`, the best match counts);
/// panics listing what is missing. Entities the simulator renders no payload for are
/// skipped, saying so. Call it from a plain `#[test]` (it runs its own runtime).
#[cfg(feature = "sim")]
pub fn sim_shapes(connector: &Connector, dir: &Path) {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a test runtime builds")
        .block_on(sim_shapes_async(connector, dir));
}

/// `<dir>/shapes.json`: fixtures not compared, and paths of differences accepted,
/// each with its reason.
#[derive(Debug, Default, serde::Deserialize)]
pub struct ShapeExceptions {
    /// Fixture paths relative to `dir` (`order/graphql-*`: `*` matches any text).
    #[serde(default)]
    pub skip: std::collections::BTreeMap<String, String>,
    /// JSON paths (`$._links.up`) whose differences are accepted, with what is below them.
    #[serde(default)]
    pub ignore: std::collections::BTreeMap<String, String>,
}

impl ShapeExceptions {
    /// Reads `<dir>/shapes.json`; none without the file.
    pub fn read(dir: &Path) -> Self {
        let path = dir.join("shapes.json");
        match std::fs::read_to_string(&path) {
            Ok(text) => {
                serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
            }
            Err(_) => Self::default(),
        }
    }

    /// Whether the fixture at `relative` (`order/x.json`) is skipped.
    pub fn skips(&self, relative: &str) -> bool {
        self.skip.keys().any(|pattern| wildcard(pattern, relative))
    }

    /// Whether a difference (`$._links.up is missing`) is accepted.
    pub fn ignores(&self, difference: &str) -> bool {
        self.ignore.keys().any(|path| {
            difference
                .strip_prefix(path.as_str())
                .is_some_and(|rest| rest.starts_with([' ', '.', '[']))
        })
    }
}

/// `pattern` with `*` matching any text (including none) against `text`.
fn wildcard(pattern: &str, text: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == text,
        Some((head, tail)) => {
            let Some(rest) = text.strip_prefix(head) else {
                return false;
            };
            (0..=rest.len())
                .filter(|i| rest.is_char_boundary(*i))
                .any(|i| wildcard(tail, &rest[i..]))
        }
    }
}

#[cfg(feature = "sim")]
async fn sim_shapes_async(connector: &Connector, dir: &Path) {
    let exceptions = ShapeExceptions::read(dir);
    let server = (connector.simulate)(
        crate::sim::SimOptions::default(),
        "127.0.0.1:0".parse().expect("a socket address"),
    )
    .await
    .unwrap_or_else(|e| panic!("{}: the simulator does not start: {e}", connector.name));
    let sim = server
        .handle()
        .cloned()
        .unwrap_or_else(|| panic!("{}: the simulator offers no SimHandle", connector.name));
    let mut failures = Vec::new();
    let mut compared = 0;
    for entity in Entity::ALL {
        let inputs = inputs(&dir.join(entity.as_str()));
        if inputs.is_empty() {
            continue;
        }
        let payloads: Result<Vec<serde_json::Value>, _> = sim
            .truth(entity)
            .and_then(|ids| ids.iter().map(|id| sim.payload(entity, id)).collect());
        let payloads = match payloads {
            Ok(p) if !p.is_empty() => p,
            Ok(_) => {
                failures.push(format!("{entity}: the simulator has no records"));
                continue;
            }
            Err(e) => {
                println!("{}: {entity}: shapes skipped: {e}", connector.name);
                continue;
            }
        };
        for input in inputs {
            let Ok(real) = std::fs::read_to_string(&input)
                .map_err(|e| e.to_string())
                .and_then(|t| {
                    serde_json::from_str::<serde_json::Value>(&t).map_err(|e| e.to_string())
                })
            else {
                failures.push(format!("{}: not JSON", input.display()));
                continue;
            };
            let name = input
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            if exceptions.skips(&format!("{entity}/{name}")) {
                continue;
            }
            for (i, record) in records_of(&real).iter().enumerate().take(3) {
                compared += 1;
                let best = payloads
                    .iter()
                    .map(|p| {
                        let mut d = shape_differences(record, p);
                        d.retain(|d| !exceptions.ignores(d));
                        d
                    })
                    .min_by_key(Vec::len)
                    .unwrap_or_default();
                failures.extend(
                    best.into_iter()
                        .map(|d| format!("{entity}/{name}[{i}]: {d}")),
                );
            }
        }
    }
    server.shutdown().await;
    assert!(
        compared > 0,
        "{}: no fixtures to compare with",
        connector.name
    );
    assert!(
        failures.is_empty(),
        "{}: the simulator's payloads lack fields of real ones:\n{}",
        connector.name,
        failures.join("\n")
    );
}

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
    fn records_are_found_in_every_envelope() {
        let shopee = json!({ "error": "", "message": "", "request_id": "x",
                             "response": { "order_list": [{ "order_sn": "A" }, { "order_sn": "B" }] } });
        assert_eq!(records_of(&shopee).len(), 2);
        assert_eq!(records_of(&shopee)[1]["order_sn"], "B");
        let error = json!({ "error": "error_not_found", "message": "no", "request_id": "x" });
        assert_eq!(records_of(&error), vec![error.clone()]);
        assert_eq!(records_of(&json!({ "order": { "id": 1 } }))[0]["id"], 1);
    }

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

    #[test]
    fn shape_exceptions_match_files_and_paths() {
        let e: ShapeExceptions = serde_json::from_value(json!({
            "skip": { "order/graphql-*": "GraphQL", "product/old.json": "old" },
            "ignore": { "$._links.up": "relations" }
        }))
        .unwrap();
        assert!(e.skips("order/graphql-orders.json"));
        assert!(e.skips("product/old.json"));
        assert!(!e.skips("order/get-order.json"));
        assert!(e.ignores("$._links.up is missing"));
        assert!(e.ignores("$._links.up.href is missing"));
        assert!(!e.ignores("$._links.upper is missing"));
    }
}
