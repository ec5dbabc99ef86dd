//! Sync timings against the simulator (run on demand:
//! `cargo test -p polycart-shopify --test measure -- --ignored --nocapture`).
//! The simulator's buckets run on the real clock, so these are the rates Shopify's
//! limits allow, not the machine's speed.

use std::time::{Duration, Instant};

use polycart_kit::Secret;
use polycart_kit::adapter::ListQuery;
use polycart_kit::connector::{AdapterContext, StoreConfig};
use polycart_kit::model::Entity;
use polycart_kit::sim::{FaultSpec, SimOptions, StoreSize};
use polycart_shopify::BulkPolling;
use polycart_shopify::ShopifyAdapter;
use polycart_shopify::sim::ShopifySim;

async fn measure(plan: &str, orders: usize, apis: &[&str]) {
    let size = StoreSize {
        products: 100,
        customers: 200,
        orders,
    };
    let options = SimOptions {
        seed: 5,
        size,
        plan: Some(plan.to_owned()),
        faults: FaultSpec::none(),
    };
    let sim = ShopifySim::start(options, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    for &api in apis {
        let mut credentials = std::collections::BTreeMap::new();
        credentials.insert(
            "access_token".to_owned(),
            Secret::new(sim.state.access_token.clone()),
        );
        let mut settings = std::collections::BTreeMap::new();
        settings.insert(
            "api".to_owned(),
            if api == "rest" { "rest" } else { "graphql" }.to_owned(),
        );
        settings.insert("plan".to_owned(), plan.to_owned());
        let config = StoreConfig {
            store_id: "m".into(),
            base_url: sim.server.info.base_url.parse().unwrap(),
            credentials,
            settings,
        };
        let adapter = ShopifyAdapter::new(&config, &AdapterContext::default())
            .unwrap()
            .with_bulk_polling(BulkPolling {
                first: Duration::from_millis(50),
                max: Duration::from_millis(500),
                per_call: Duration::from_secs(20),
                ..BulkPolling::default()
            });
        let t = Instant::now();
        let mut query = ListQuery::new(Entity::Order);
        query.bulk = api == "bulk";
        let n = polycart_kit::walk::collect_all(&adapter, query)
            .await
            .unwrap()
            .len();
        let m = adapter.transport().metrics().snapshot();
        let secs = t.elapsed().as_secs_f64();
        println!(
            "{plan:8} {api:7} {n} orders in {secs:6.2}s = {:7.1} orders/s, {} requests, {} points reserved, {} 429s, {} retries, governor waited {:.2}s",
            n as f64 / secs,
            m.requests,
            m.budget_spent,
            m.throttled_429,
            m.retries,
            m.governor_wait.as_secs_f64()
        );
    }
}

#[tokio::test]
#[ignore = "a measurement, not a check"]
async fn full_order_sync_rest_graphql_bulk() {
    // Standard: 100 points/s, so paged GraphQL is slow by design; fewer orders.
    measure("standard", 300, &["rest", "graphql", "bulk"]).await;
    measure("plus", 1000, &["rest", "graphql", "bulk"]).await;
}
