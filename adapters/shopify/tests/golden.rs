//! Golden files through the kit (`golden_tests!`): every Shopify fixture under
//! `fixtures/shopify/<entity>/` normalised and compared with its `.unified.json`
//! (refresh with `UPDATE_GOLDEN=1`, review the diff), and the simulator's payloads
//! checked against the same real ones (`fixtures/shopify/shapes.json` names the
//! exceptions). Below, Shopify's own cases: envelopes and decode errors.

use std::path::PathBuf;

use polycart_kit::connector::Normalized;
use polycart_kit::model::Entity;

polycart_kit::golden_tests!(polycart_shopify::connector(), "../../fixtures/shopify", at_least 40);

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/shopify")
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
