//! Golden files: every real BigCommerce payload in `fixtures/bigcommerce/<kind>/` is
//! mapped and compared with its `<case>.unified.json` (`UPDATE_GOLDEN=1` rewrites them).
//! Entity folders go through `normalize` as a store whose currency is USD and
//! weight unit pounds (the documentation's sample store is a US store); `shipment/`
//! maps v2 shipments, `webhook/` reads thin callbacks. A payload that cannot map (the
//! docs' customer examples have no `id`) has its error in `<case>.error.txt`.
//! `shape/` is not mapped: `tests/shapes.rs` checks the simulator against it.

use std::path::{Path, PathBuf};

use polycart_bigcommerce::mapping::{self, normalize};
use polycart_bigcommerce::webhooks;
use polycart_kit::Entity;
use polycart_kit::StoreContext;
use polycart_kit::connector::Normalized;
use polycart_kit::golden;
use polycart_kit::model::Currency;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/bigcommerce")
}

fn store() -> StoreContext {
    StoreContext {
        currency: Some(Currency::parse("USD").unwrap()),
        weight_unit: Some("lb".into()),
        ..Default::default()
    }
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
        entity => {
            let entity: Entity = entity.parse().map_err(|e: String| e)?;
            match normalize(entity, text, &store()).map_err(|e| e.to_string())? {
                Normalized::One(r) => serde_json::to_value(r),
                Normalized::List(r) => serde_json::to_value(r),
            }
        }
    };
    value.map_err(|e| e.to_string())
}

#[test]
fn every_fixture_matches_its_golden_file() {
    // `shape/` holds the API reference's examples the simulator is checked against.
    let inputs: Vec<_> = golden::inputs(&fixtures())
        .into_iter()
        .filter(|p| !p.parent().is_some_and(|d| d.ends_with("shape")))
        .collect();
    assert!(
        inputs.len() >= 40,
        "fixtures missing: found {}",
        inputs.len()
    );
    let mut failures = Vec::new();
    for input in &inputs {
        let kind = input
            .parent()
            .and_then(|p| p.file_name())
            .and_then(|n| n.to_str())
            .unwrap()
            .to_owned();
        let text = std::fs::read_to_string(input).unwrap();
        let error_file = input.with_extension("error.txt");
        match map(&kind, &text) {
            Ok(actual) => {
                if error_file.exists() {
                    failures.push(format!(
                        "{} maps now but has {}",
                        input.display(),
                        error_file.display()
                    ));
                } else if let Err(e) = golden::check(input, &actual) {
                    failures.push(e);
                }
            }
            Err(message) => {
                if std::env::var_os("UPDATE_GOLDEN").is_some_and(|v| v != "0") {
                    std::fs::write(&error_file, format!("{message}\n")).unwrap();
                    continue;
                }
                match std::fs::read_to_string(&error_file) {
                    Ok(expected) if expected.trim() == message => {}
                    Ok(expected) => failures.push(format!(
                        "{}: error {message:?}, expected {:?}",
                        input.display(),
                        expected.trim()
                    )),
                    Err(_) => failures.push(format!("{}: {message}", input.display())),
                }
            }
        }
    }
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
