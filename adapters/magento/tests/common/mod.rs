//! Shared setup of the Magento tests: a simulator and an adapter connected to it with
//! one of the three credential sets.

#![allow(dead_code, unreachable_pub)]

use std::collections::BTreeMap;

use polycart_kit::StoreConfig;
use polycart_kit::connector::AdapterContext;
use polycart_kit::sim::{SimOptions, StoreSize};
use polycart_magento::sim::{
    ACCESS_TOKEN, ACCESS_TOKEN_SECRET, CONSUMER_KEY, CONSUMER_SECRET, MagentoSim, SimConfig,
};
use polycart_magento::{MagentoAdapter, connect_adapter};

/// How the adapter logs in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Login {
    Admin,
    Bearer,
    OAuth1,
}

pub const SIZE: StoreSize = StoreSize {
    products: 10,
    customers: 9,
    orders: 14,
};

pub async fn sim(plan: &str) -> MagentoSim {
    let options = SimOptions {
        size: SIZE,
        ..SimOptions::default()
    };
    MagentoSim::start(
        options,
        "127.0.0.1:0".parse().unwrap(),
        SimConfig::from_plan(Some(plan)).unwrap(),
    )
    .await
    .unwrap()
}

pub fn config(sim: &MagentoSim, login: Login, settings: &[(&str, &str)]) -> StoreConfig {
    let mut credentials = BTreeMap::new();
    let mut put = |k: &str, v: &str| {
        credentials.insert(k.to_owned(), polycart_kit::Secret::new(v));
    };
    match login {
        Login::Admin => {
            for (k, v) in &sim.server.info.credentials {
                put(k, v);
            }
        }
        Login::Bearer => put("access_token", ACCESS_TOKEN),
        Login::OAuth1 => {
            put("consumer_key", CONSUMER_KEY);
            put("consumer_secret", CONSUMER_SECRET);
            put("access_token", ACCESS_TOKEN);
            put("access_token_secret", ACCESS_TOKEN_SECRET);
        }
    }
    put(
        "webhook_public_key",
        &sim.server.info.credentials["webhook_public_key"],
    );
    StoreConfig {
        store_id: "m1".into(),
        base_url: sim.site().parse().unwrap(),
        credentials,
        settings: settings
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
    }
}

/// An adapter with a budget a local simulator does not need (the default 8 requests a
/// second is for real hosts).
pub fn adapter(sim: &MagentoSim, login: Login, settings: &[(&str, &str)]) -> MagentoAdapter {
    let mut all = vec![("rate_per_second", "1000"), ("burst", "200")];
    all.extend_from_slice(settings);
    connect_adapter(&config(sim, login, &all), &AdapterContext::default()).unwrap()
}
