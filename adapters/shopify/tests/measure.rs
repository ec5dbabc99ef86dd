//! Sync timings against the simulator (run on demand:
//! `cargo test -p polycart-shopify --test measure -- --ignored --nocapture`).

use std::time::Instant;

use polycart_kit::Secret;
use polycart_kit::adapter::ListQuery;
use polycart_kit::connector::{AdapterContext, StoreConfig};
use polycart_kit::model::Entity;
use polycart_kit::sim::{FaultSpec, SimOptions, StoreSize};
use polycart_shopify::client::ShopifyAdapter;
use polycart_shopify::sim::ShopifySim;

#[tokio::test]
#[ignore = "a measurement, not a check"]
async fn full_order_sync_rest_graphql_bulk() {
    let size = StoreSize {
        products: 100,
        customers: 200,
        orders: 1000,
    };
    for plan in ["standard", "plus"] {
        let options = SimOptions {
            seed: 5,
            size,
            plan: Some(plan.to_owned()),
            faults: FaultSpec::none(),
        };
        let sim = ShopifySim::start(options, "127.0.0.1:0".parse().unwrap())
            .await
            .unwrap();
        // GraphQL paging on a standard plan (100 points/s) is what bulk exists for.
        let apis: &[&str] = if plan == "plus" {
            &["rest", "graphql", "bulk"]
        } else {
            &["rest", "bulk"]
        };
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
                .with_bulk_polling(polycart_shopify::bulk::BulkPolling {
                    first: std::time::Duration::from_millis(50),
                    max: std::time::Duration::from_millis(500),
                    per_call: std::time::Duration::from_secs(20),
                });
            let t = Instant::now();
            let mut query = ListQuery::new(Entity::Order);
            query.bulk = api == "bulk";
            let n = polycart_kit::walk::collect_all(&adapter, query)
                .await
                .unwrap()
                .len();
            let m = adapter.transport().metrics().snapshot();
            println!(
                "{plan:8} {api:7} {n} orders in {:6.2}s, {} requests, {} 429s, {} retries, governor waited {:.2}s",
                t.elapsed().as_secs_f64(),
                m.requests,
                m.throttled_429,
                m.retries,
                m.governor_wait.as_secs_f64()
            );
        }
    }
}
