//! Golden tests: every real Magento payload under `fixtures/magento/<entity>/` mapped
//! and compared with its `.unified.json` (refresh with `UPDATE_GOLDEN=1`, review the
//! diff), and a configurable product with its child as a variant.

use std::path::{Path, PathBuf};

use polycart_kit::connector::Normalized;
use polycart_kit::model::Currency;
use polycart_kit::{Entity, Record, golden};
use polycart_magento::Context;
use polycart_magento::mapping;
use serde_json::value::RawValue;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/magento")
}

fn ctx() -> Context {
    Context {
        currency: Some(Currency::parse("USD").unwrap()),
        weight_unit: Some("lb".into()),
        media_base: Some("https://shop.example/media/catalog/product".into()),
    }
}

fn to_json(n: Normalized) -> serde_json::Value {
    match n {
        Normalized::One(r) => serde_json::to_value(r).unwrap(),
        Normalized::List(rs) => serde_json::to_value(rs).unwrap(),
    }
}

#[test]
fn every_entity_fixture_matches_its_golden_file() {
    let mut failures = Vec::new();
    let mut seen = 0;
    for entity in Entity::ALL {
        for input in golden::inputs(&root().join(entity.as_str())) {
            seen += 1;
            let text = std::fs::read_to_string(&input).unwrap();
            let actual = match mapping::normalize_with(entity, &text, &ctx()) {
                Ok(n) => to_json(n),
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
    assert!(seen >= 13, "only {seen} fixtures found");
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn configurable_product_with_its_child_as_a_variant() {
    let input = root().join("configurable/champ-tee-with-children.json");
    let text = std::fs::read_to_string(&input).unwrap();
    let parts: std::collections::HashMap<String, Box<RawValue>> =
        serde_json::from_str(&text).unwrap();
    let children: Vec<Box<RawValue>> = serde_json::from_str(parts["children"].get()).unwrap();
    let product = mapping::product_with_children(
        &parts["product"],
        &children,
        &mapping::OptionLabels::default(),
        &ctx(),
    )
    .unwrap();
    assert_eq!(product.variants.len(), 1);
    assert_eq!(product.variants[0].sku.as_deref(), Some("MS-Champ-S"));
    assert_eq!(product.inventory_quantity, Some(10), "the children's stock");
    golden::check(&input, &serde_json::to_value(product).unwrap()).unwrap();
}

/// What the goldens must say about the mixed order, checked apart from the files so a
/// careless refresh cannot hide a regression.
#[test]
fn the_mixed_order_has_one_line_per_sold_unit() {
    let text = std::fs::read_to_string(
        root().join("order/get-order-3-simple-downloadable-bundle-configurable.json"),
    )
    .unwrap();
    let Normalized::One(Record::Order(order)) =
        polycart_magento::normalize(Entity::Order, &text, &Default::default()).unwrap()
    else {
        panic!("not one order");
    };
    // simple, downloadable, bundle (4 parts folded in), configurable (child folded in)
    let skus: Vec<&str> = order
        .line_items
        .iter()
        .map(|l| l.sku.as_deref().unwrap())
        .collect();
    assert_eq!(
        skus,
        [
            "WS12-M-Orange",
            "240-LV08",
            "24-WG080-24-WG084-24-WG088-24-WG082-blue-24-WG086",
            "MH01-S-Gray"
        ]
    );
    let hoodie = &order.line_items[3];
    assert_eq!(hoodie.product_id.as_deref(), Some("67"));
    assert_eq!(hoodie.variant_id.as_deref(), Some("56"));
    assert_eq!(hoodie.unit_price.as_ref().unwrap().amount.to_string(), "52");
    let total = order.totals.total.as_ref().unwrap();
    assert_eq!(
        (total.amount.to_string().as_str(), total.currency.as_str()),
        ("165", "USD")
    );
    assert_eq!(
        order.created_at.unwrap().to_rfc3339(),
        "2017-08-21T22:22:19+00:00"
    );
    assert_eq!(
        order.shipping_address.as_ref().unwrap().city.as_deref(),
        Some("Purchase")
    );
    assert!(order.presentment_currency.is_none());
}
