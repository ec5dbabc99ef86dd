//! The simulator's payloads checked against real WooCommerce payloads (the REST docs'
//! examples under `fixtures/woocommerce`), not against the adapter: every field a real
//! order, refund, product, variation, customer or category carries is present in the
//! simulator's, with the same JSON type (`null` matches anything, as WooCommerce nulls
//! unset dates and images). Plain HTTP with query keys, over the simulator's https mode.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use polycart_kit::sim::{SimOptions, StoreSize};
use polycart_woocommerce::sim::{CONSUMER_KEY, CONSUMER_SECRET, SimConfig, WooSim};
use serde_json::Value;

fn fixture(path: &str) -> Value {
    let p: PathBuf = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/woocommerce")
        .join(path);
    serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap()
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Fields the docs' examples (older WooCommerce) name differently from current
/// WooCommerce, which the simulator follows: an order's refund summaries carry `reason`
/// where WooCommerce before 3.x's v2 controller rewrite sent `refund`.
const RENAMED: &[(&str, &str)] = &[("refunds[0].refund", "refunds[0].reason")];

/// Every path where `sim` lacks a field `real` has, or types it differently.
fn differences(path: &str, real: &Value, sim: &Value, out: &mut Vec<String>) {
    if real.is_null() || sim.is_null() {
        return;
    }
    if kind(real) != kind(sim) {
        out.push(format!(
            "{path}: real is {}, simulator sends {}",
            kind(real),
            kind(sim)
        ));
        return;
    }
    match (real, sim) {
        (Value::Object(r), Value::Object(s)) => {
            for (k, rv) in r {
                // `_links` carries per-record relations (`up`, `customer`) that depend on the record.
                if path.ends_with("._links") {
                    continue;
                }
                let here = format!("{path}.{k}");
                if let Some((_, now)) = RENAMED.iter().find(|(old, _)| here.ends_with(old)) {
                    let now_key = now.rsplit('.').next().unwrap_or(now);
                    if !s.contains_key(now_key) {
                        out.push(format!("{here}: missing (nor its current name {now_key})"));
                    }
                    continue;
                }
                match s.get(k) {
                    None => out.push(format!("{path}.{k}: missing")),
                    Some(sv) => differences(&format!("{path}.{k}"), rv, sv, out),
                }
            }
        }
        (Value::Array(r), Value::Array(s)) => {
            if let (Some(rv), Some(sv)) = (r.first(), s.first()) {
                differences(&format!("{path}[0]"), rv, sv, out);
            }
        }
        _ => {}
    }
}

async fn get(sim: &WooSim, route: &str) -> Value {
    let url = format!(
        "{}/wp-json/wc/v3/{route}{}consumer_key={CONSUMER_KEY}&consumer_secret={CONSUMER_SECRET}",
        sim.site(),
        if route.contains('?') { "&" } else { "?" }
    );
    let r = reqwest::get(&url).await.unwrap();
    assert_eq!(r.status(), 200, "{route}");
    r.json().await.unwrap()
}

#[tokio::test]
async fn simulator_payloads_have_the_real_fields_and_types() {
    let options = SimOptions {
        seed: 5,
        size: StoreSize {
            products: 12,
            customers: 6,
            orders: 40,
        },
        ..SimOptions::default()
    };
    let sim = WooSim::start(
        options,
        "127.0.0.1:0".parse::<SocketAddr>().unwrap(),
        SimConfig {
            https: true,
            ..SimConfig::default()
        },
    )
    .await
    .unwrap();
    let simple = sim.simple_products()[0];
    let variable = sim.variable_products().remove(0);
    let variable = (variable.0, variable.1[0]);
    let (order, refunded, customer, child_category) = sim.with_store(|s| {
        (
            s.orders[0].id,
            s.orders.iter().find(|o| !o.refunds.is_empty()).unwrap().id,
            s.customers[0].id,
            s.categories
                .iter()
                .find(|c| c.parent_id.is_some())
                .unwrap()
                .id,
        )
    });
    let refunds = fixture("refund/order-723-with-refunds.json");
    let cases = [
        (
            "order",
            fixture("order/retrieve-order-727.json"),
            get(&sim, &format!("orders/{order}")).await,
        ),
        (
            "order with refunds",
            refunds["order"].clone(),
            get(&sim, &format!("orders/{refunded}")).await,
        ),
        (
            "refund",
            refunds["refunds"][1].clone(),
            get(&sim, &format!("orders/{refunded}/refunds")).await[0].clone(),
        ),
        (
            "simple product",
            fixture("product/retrieve-simple-product.json"),
            get(&sim, &format!("products/{simple}")).await,
        ),
        (
            "variable product",
            fixture("product/create-variable-product.json"),
            get(&sim, &format!("products/{}", variable.0)).await,
        ),
        (
            "variation",
            fixture("inventory/retrieve-variation.json"),
            get(
                &sim,
                &format!("products/{}/variations/{}", variable.0, variable.1),
            )
            .await,
        ),
        (
            "customer",
            fixture("customer/retrieve-customer.json"),
            get(&sim, &format!("customers/{customer}")).await,
        ),
        (
            "category",
            fixture("category/retrieve-category.json"),
            get(&sim, &format!("products/categories/{child_category}")).await,
        ),
    ];
    let mut problems = Vec::new();
    for (name, real, simulated) in &cases {
        differences(name, real, simulated, &mut problems);
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    sim.shutdown().await;
}
