//! Golden tests: every documented Ecwid payload under `fixtures/ecwid/` mapped and
//! compared with its `.unified.json` (refresh with `UPDATE_GOLDEN=1`, review the diff).

use std::path::Path;

use polycart_kit::connector::Normalized;
use polycart_kit::{Entity, StoreContext, golden};

#[test]
fn fixtures_map_to_their_golden_files() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/ecwid");
    let inputs = golden::inputs(&root);
    assert!(!inputs.is_empty(), "no fixtures under {}", root.display());
    // Ecwid payloads carry no currency: the store profile's (the examples are a euro
    // store's) is the context, as the adapter reads it from `GET /profile`.
    let ctx = StoreContext {
        currency: Some(polycart_kit::model::Currency::parse("EUR").unwrap()),
        weight_unit: Some("kg".to_owned()),
        time_zone: None,
    };
    let mut failures = Vec::new();
    for input in inputs {
        let entity = match input
            .parent()
            .and_then(|p| p.file_name())
            .and_then(|n| n.to_str())
        {
            Some("order") => Entity::Order,
            Some("product") => Entity::Product,
            other => panic!("{}: no entity folder ({other:?})", input.display()),
        };
        let text = std::fs::read_to_string(&input).unwrap();
        let actual = match polycart_ecwid::mapping::normalize(entity, &text, &ctx) {
            Ok(Normalized::One(r)) => serde_json::to_value(r).unwrap(),
            Ok(Normalized::List(rs)) => serde_json::to_value(rs).unwrap(),
            Err(e) => serde_json::json!({ "error": e.to_string() }),
        };
        if let Err(message) = golden::check(&input, &actual) {
            failures.push(message);
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
