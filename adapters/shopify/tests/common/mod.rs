//! Test helpers shared by the adapter tests: a simulator and adapters connected to it.

#![allow(dead_code)]

pub(crate) mod app;

use std::collections::BTreeMap;

use polycart_kit::Secret;
use polycart_kit::connector::{AdapterContext, StoreConfig};
use polycart_kit::sim::{FaultSpec, SimOptions, StoreSize};
use polycart_shopify::ShopifyAdapter;
use polycart_shopify::sim::ShopifySim;

pub(crate) const SIZE: StoreSize = StoreSize {
    products: 15,
    customers: 12,
    orders: 30,
};

/// A simulator (seed 11) and an adapter for it reading through `api`.
pub(crate) async fn start(
    api: &str,
    plan: Option<&str>,
    faults: FaultSpec,
) -> (ShopifySim, ShopifyAdapter) {
    let options = SimOptions {
        seed: 11,
        size: SIZE,
        plan: plan.map(str::to_owned),
        faults,
    };
    let sim = ShopifySim::start(options, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let adapter = adapter_for(&sim, api, plan, &sim.state.api_secret.clone());
    (sim, adapter)
}

/// Another adapter for the same simulator (a restart, another app, a wrong secret).
pub(crate) fn adapter_for(
    sim: &ShopifySim,
    api: &str,
    plan: Option<&str>,
    secret: &str,
) -> ShopifyAdapter {
    adapter_with(sim, api, plan, secret, &[])
}

/// An adapter with extra store settings (`api_version`, ...).
pub(crate) fn adapter_with(
    sim: &ShopifySim,
    api: &str,
    plan: Option<&str>,
    secret: &str,
    extra: &[(&str, &str)],
) -> ShopifyAdapter {
    let mut credentials = BTreeMap::new();
    credentials.insert(
        "access_token".to_owned(),
        Secret::new(sim.state.access_token.clone()),
    );
    credentials.insert("api_secret".to_owned(), Secret::new(secret));
    let mut settings = BTreeMap::new();
    settings.insert("api".to_owned(), api.to_owned());
    if let Some(p) = plan {
        settings.insert("plan".to_owned(), p.to_owned());
    }
    for (k, v) in extra {
        settings.insert((*k).to_owned(), (*v).to_owned());
    }
    let config = StoreConfig {
        store_id: "s1".to_owned(),
        base_url: sim.server.info.base_url.parse().unwrap(),
        credentials,
        settings,
    };
    ShopifyAdapter::new(&config, &AdapterContext::default()).unwrap()
}
