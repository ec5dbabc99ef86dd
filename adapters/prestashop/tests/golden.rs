//! Golden tests: every PrestaShop payload under `fixtures/prestashop/` mapped and
//! compared with its `.unified.json` (refresh with `UPDATE_GOLDEN=1`, review the diff).

use std::path::Path;

use chrono::FixedOffset;
use polycart_kit::connector::Normalized;
use polycart_kit::model::Currency;
use polycart_kit::{Entity, StoreContext, golden};

#[test]
fn fixtures_map_to_their_golden_files() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/prestashop");
    let inputs = golden::inputs(&root);
    assert!(!inputs.is_empty(), "no fixtures under {}", root.display());
    // The shop's default currency and UTC offset, as the adapter reads them from
    // `/api/currencies` and `/api/configurations` (and the utc_offset setting).
    let ctx = StoreContext {
        currency: Some(Currency::parse("EUR").unwrap()),
        weight_unit: None,
        time_zone: FixedOffset::east_opt(3600),
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
        let actual = match polycart_prestashop::mapping::normalize(entity, &text, &ctx) {
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
