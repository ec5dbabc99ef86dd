//! Golden tests through the kit (`golden_tests!`): every real WooCommerce payload under
//! `fixtures/woocommerce/<entity>/` mapped (with `context.json`'s store: USD, kg) and
//! compared with its `.unified.json` (refresh with `UPDATE_GOLDEN=1`), and the
//! simulator's payloads checked against the same real ones. Below, WooCommerce's own
//! cases: a variable product with its variations, an order with its fetched refunds,
//! legacy payloads.

use std::path::{Path, PathBuf};

use polycart_kit::StoreContext;
use polycart_kit::model::Currency;
use polycart_kit::{Entity, golden};
use polycart_woocommerce::mapping;
use serde_json::value::RawValue;

polycart_kit::golden_tests!(polycart_woocommerce::connector(), "../../fixtures/woocommerce", at_least 15);

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/woocommerce")
}

fn ctx() -> StoreContext {
    StoreContext {
        currency: Some(Currency::parse("USD").unwrap()),
        weight_unit: Some("kg".into()),
        ..StoreContext::default()
    }
}

#[test]
fn variable_product_with_its_variations() {
    let input = root().join("variable/ship-your-idea.json");
    let text = std::fs::read_to_string(&input).unwrap();
    let parts: std::collections::HashMap<String, Box<RawValue>> =
        serde_json::from_str(&text).unwrap();
    let variations: Vec<&RawValue> = serde_json::from_str(parts["variations"].get()).unwrap();
    let product = mapping::product(&parts["product"], &variations, &ctx()).unwrap();
    assert_eq!(product.variants.len(), variations.len());
    golden::check(&input, &serde_json::to_value(product).unwrap()).unwrap();
}

#[test]
fn order_with_its_fetched_refunds() {
    let input = root().join("refund/order-723-with-refunds.json");
    let text = std::fs::read_to_string(&input).unwrap();
    let parts: std::collections::HashMap<String, Box<RawValue>> =
        serde_json::from_str(&text).unwrap();
    let refunds: Vec<&RawValue> = serde_json::from_str(parts["refunds"].get()).unwrap();
    let order = mapping::order(&parts["order"], Some(&refunds)).unwrap();
    assert!(order.refunds.iter().any(|r| !r.line_items.is_empty()));
    golden::check(&input, &serde_json::to_value(order).unwrap()).unwrap();
}

#[test]
fn legacy_payloads_are_refused_not_half_mapped() {
    let text = r#"{"order":{"id":645,"order_number":645,"created_at":"2015-01-26T20:00:21Z","status":"processing"}}"#;
    match polycart_woocommerce::mapping::normalize(Entity::Order, text, &Default::default()) {
        Err(polycart_kit::Error::Unsupported { .. }) => {}
        other => panic!("{other:?}"),
    }
}
