//! What the simulator tests share: a simulator with a generated store and the adapter
//! connected to it, a raw client for the simulator's wire, and small readers.
#![allow(dead_code, unreachable_pub)]

use std::collections::BTreeMap;

use polycart_bigcommerce::BigCommerceAdapter;
use polycart_bigcommerce::sim::{self, BigCommerceSim};
use polycart_kit::connector::AdapterContext;
use polycart_kit::sim::{FaultSpec, SimOptions, SimServer, StoreSize};
use polycart_kit::{Record, Secret, StoreConfig};
use serde_json::Value;

pub const SIZE: StoreSize = StoreSize {
    products: 9,
    customers: 13,
    orders: 23,
};

pub struct Setup {
    pub server: SimServer,
    pub handle: BigCommerceSim,
    pub adapter: BigCommerceAdapter,
}

pub async fn setup_with(
    size: StoreSize,
    plan: Option<&str>,
    faults: &str,
    extra: &[(&str, &str)],
) -> Setup {
    setup_full(size, plan, faults, extra, &[]).await
}

pub async fn setup_full(
    size: StoreSize,
    plan: Option<&str>,
    faults: &str,
    extra: &[(&str, &str)],
    settings: &[(&str, &str)],
) -> Setup {
    let options = SimOptions {
        seed: 7,
        size,
        plan: plan.map(str::to_owned),
        faults: FaultSpec::parse(faults).unwrap(),
    };
    let (server, handle) = sim::start(options, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let mut credentials: BTreeMap<String, Secret> = server
        .info
        .credentials
        .iter()
        .map(|(k, v)| (k.clone(), Secret::new(v.clone())))
        .collect();
    for (k, v) in extra {
        credentials.insert((*k).to_owned(), Secret::new(*v));
    }
    let store = StoreConfig {
        store_id: "store-1".into(),
        base_url: server.info.base_url.parse().unwrap(),
        credentials,
        settings: settings
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
    };
    let adapter = BigCommerceAdapter::new(&store, &AdapterContext::default()).unwrap();
    Setup {
        server,
        handle,
        adapter,
    }
}

pub async fn setup() -> Setup {
    setup_with(SIZE, None, "", &[]).await
}

pub fn order_of(r: Record) -> polycart_kit::model::Order {
    match r {
        Record::Order(o) => *o,
        other => panic!("not an order: {other:?}"),
    }
}

/// GETs `path` under the simulator's API root as a documented client would; a `204`
/// is `null`.
pub async fn raw_get(s: &Setup, path: &str) -> (u16, Value) {
    let r = reqwest::Client::new()
        .get(format!("{}{path}", s.server.info.base_url))
        .header("x-auth-token", s.handle.access_token())
        .header("accept", "application/json")
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let bytes = r.bytes().await.unwrap();
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).unwrap()
    };
    (status, body)
}
