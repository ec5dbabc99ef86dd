//! The simulator's payloads checked against the real Magento payloads in
//! `fixtures/magento` (Adobe's REST reference and tutorials), not against the adapter:
//! every field a real order, product, customer, category or source item carries is
//! present in the simulator's, with the same JSON type (`null` matches anything).

mod common;

use std::path::Path;

use polycart_kit::golden::shape_differences;
use polycart_magento::sim::{ACCESS_TOKEN, MagentoSim};
use serde_json::Value;

fn fixture(path: &str) -> Value {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/magento")
        .join(path);
    serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap()
}

async fn get(sim: &MagentoSim, path: &str) -> Value {
    let r = reqwest::Client::new()
        .get(format!("{}/rest/default/V1/{path}", sim.site()))
        .bearer_auth(ACCESS_TOKEN)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{path}: {}", r.status());
    r.json().await.unwrap()
}

#[tokio::test]
async fn the_simulator_sends_every_field_of_the_real_payloads() {
    let s = common::sim("default").await;
    let order = s.ids("orders")[0];
    let (configurable, children) = s.configurables().into_iter().next().unwrap();
    let simple = s
        .ids("products")
        .into_iter()
        .find(|id| s.document("products", *id).unwrap()["type_id"] == "simple")
        .unwrap();
    let sku = |id: u64| {
        s.document("products", id).unwrap()["sku"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let category = *s.ids("categories").last().unwrap();
    let cases: Vec<(&str, Value)> = vec![
        (
            "order/get-order-3-simple-downloadable-bundle-configurable.json",
            get(&s, &format!("orders/{order}")).await,
        ),
        (
            "product/create-configurable-product.json",
            get(&s, &format!("products/{}", sku(configurable))).await,
        ),
        (
            "product/create-simple-child-of-configurable.json",
            get(&s, &format!("products/{}", sku(children[0]))).await,
        ),
        (
            "product/create-simple-product-ram-12gb.json",
            get(&s, &format!("products/{}", sku(simple))).await,
        ),
        (
            "customer/search-customers.json",
            get(&s, "customers/search?searchCriteria[pageSize]=1").await,
        ),
        ("category/create-category.json", get(&s, &format!("categories/{category}")).await),
        ("category/get-category-tree.json", get(&s, "categories").await),
        (
            "inventory/search-source-items.json",
            get(&s, "inventory/source-items?searchCriteria[filter_groups][0][filters][0][field]=sku&searchCriteria[filter_groups][0][filters][0][value]=x&searchCriteria[filter_groups][0][filters][0][condition_type]=neq&searchCriteria[pageSize]=2").await,
        ),
    ];
    let mut problems = Vec::new();
    for (path, sim) in cases {
        for d in shape_differences(&fixture(path), &sim) {
            problems.push(format!("{path}: {d}"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
