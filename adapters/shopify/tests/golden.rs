//! Golden files: every Shopify fixture under `fixtures/shopify/<entity>/` is normalised
//! and compared with its `.unified.json` (refresh with `UPDATE_GOLDEN=1`, review the diff).

use std::path::PathBuf;

use polycart_kit::connector::Normalized;
use polycart_kit::golden;
use polycart_kit::model::Entity;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/shopify")
}

#[test]
fn every_fixture_matches_its_golden_file() {
    let mut failures = Vec::new();
    let mut seen = 0;
    for entity in Entity::ALL {
        let dir = fixtures().join(entity.as_str());
        for input in golden::inputs(&dir) {
            seen += 1;
            let text = std::fs::read_to_string(&input).expect("fixture is readable");
            let actual =
                match polycart_shopify::mapping::normalize(entity, &text, &Default::default()) {
                    Ok(Normalized::One(r)) => serde_json::to_value(&r).expect("records serialise"),
                    Ok(Normalized::List(rs)) => {
                        serde_json::to_value(&rs).expect("records serialise")
                    }
                    Err(e) => {
                        failures.push(format!("{}: {e}", input.display()));
                        continue;
                    }
                };
            if let Err(e) = golden::check(&input, &actual) {
                failures.push(e);
            }
        }
    }
    assert!(seen >= 40, "expected the Shopify fixtures, found {seen}");
    assert!(
        failures.is_empty(),
        "{} golden mismatches:\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

#[test]
fn list_envelopes_give_lists_and_objects_give_one() {
    let text =
        std::fs::read_to_string(fixtures().join("order/list-orders-status-any.json")).unwrap();
    assert!(matches!(
        polycart_shopify::mapping::normalize(Entity::Order, &text, &Default::default()).unwrap(),
        Normalized::List(_)
    ));
    let text =
        std::fs::read_to_string(fixtures().join("order/get-order-450789469-full.json")).unwrap();
    assert!(matches!(
        polycart_shopify::mapping::normalize(Entity::Order, &text, &Default::default()).unwrap(),
        Normalized::One(_)
    ));
}

#[test]
fn bad_payloads_are_decode_errors_with_a_path() {
    let err = polycart_shopify::mapping::normalize(
        Entity::Order,
        r#"{"orders":[{"id":1},{"id":2,"line_items":[{"id":3,"quantity":"x"}]}]}"#,
        &Default::default(),
    )
    .unwrap_err();
    match err {
        polycart_kit::Error::Decode { path, .. } => assert_eq!(path, "$[1].line_items[0].quantity"),
        other => panic!("unexpected {other:?}"),
    }
    assert!(
        polycart_shopify::mapping::normalize(Entity::Order, "<html>", &Default::default()).is_err()
    );
    let err = polycart_shopify::mapping::normalize(
        Entity::Order,
        r#"{"order":{"id":1,"currency":"DOLLARS","total_price":"1.00"}}"#,
        &Default::default(),
    )
    .unwrap_err();
    assert!(matches!(err, polycart_kit::Error::Decode { .. }), "{err:?}");
}
