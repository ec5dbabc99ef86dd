//! Golden files. Entity folders (`fixtures/bigcommerce/<entity>/`) go through the kit
//! (`golden_tests!`): mapped as `context.json`'s store (USD, pounds: the
//! documentation's sample store is a US store) and compared with `<case>.unified.json`
//! or, for a payload that cannot map (the docs' customer examples have no `id`),
//! `<case>.error.txt` (`UPDATE_GOLDEN=1` rewrites them); the simulator's payloads are
//! checked against the same real ones. BigCommerce's own folders are mapped here:
//! `shipment/` (v2 shipments) and `webhook/` (thin callbacks). `shape/` is not mapped:
//! `tests/shapes.rs` checks the simulator against it.

use std::path::{Path, PathBuf};

use polycart_bigcommerce::mapping;
use polycart_bigcommerce::webhooks;
use polycart_kit::Entity;
use polycart_kit::connector::Normalized;
use polycart_kit::golden;

polycart_kit::golden_tests!(polycart_bigcommerce::connector(), "../../fixtures/bigcommerce", at_least 15);

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/bigcommerce")
}

fn map(kind: &str, text: &str) -> Result<serde_json::Value, String> {
    let value = match kind {
        "shipment" => {
            let (items, list) =
                polycart_kit::decode::split_envelope(text, &["data"]).map_err(|e| e.to_string())?;
            let mapped: Vec<_> = items
                .iter()
                .map(|i| mapping::shipment(i.get()))
                .collect::<Result<_, _>>()
                .map_err(|e| e.to_string())?;
            if list {
                serde_json::to_value(mapped)
            } else {
                serde_json::to_value(&mapped[0])
            }
        }
        "webhook" => {
            serde_json::to_value(webhooks::event(text.as_bytes()).map_err(|e| e.to_string())?)
        }
        other => return Err(format!("no mapping for {other}/")),
    };
    value.map_err(|e| e.to_string())
}

#[test]
fn shipments_and_callbacks_match_their_golden_files() {
    let mut failures = Vec::new();
    let mut seen = 0;
    for kind in ["shipment", "webhook"] {
        for input in golden::inputs(&fixtures().join(kind)) {
            seen += 1;
            let text = std::fs::read_to_string(&input).unwrap();
            let result = match map(kind, &text) {
                Ok(actual) => golden::check(&input, &actual),
                Err(message) => golden::check_error(&input, &message),
            };
            if let Err(e) = result {
                failures.push(e);
            }
        }
    }
    assert!(seen >= 20, "fixtures missing: found {seen}");
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn normalize_without_a_store_leaves_catalog_prices_null() {
    let text = std::fs::read_to_string(fixtures().join("product/v3-get-product.json")).unwrap();
    let Normalized::One(record) =
        polycart_bigcommerce::mapping::normalize(Entity::Product, &text, &Default::default())
            .unwrap()
    else {
        panic!("one product")
    };
    let json = serde_json::to_value(record).unwrap();
    assert_eq!(json["price"], serde_json::Value::Null);
    assert_eq!(json["platform_id"], "174");
}

#[test]
fn bad_payloads_name_the_json_path() {
    let err = polycart_bigcommerce::mapping::normalize(
        Entity::Order,
        r#"[{"id":1},{"id":2,"total_inc_tax":"12,50"}]"#,
        &Default::default(),
    )
    .unwrap_err();
    assert!(err.to_string().contains("$[1].total_inc_tax"), "{err}");
    let err =
        polycart_bigcommerce::mapping::normalize(Entity::Order, "<html>", &Default::default())
            .unwrap_err();
    assert!(matches!(err, polycart_kit::Error::Decode { .. }), "{err}");
}
