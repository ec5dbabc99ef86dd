//! polycart's BigCommerce adapter: orders from the v2 API (with their `products`,
//! `shipping_addresses`, `coupons` and `shipments` sub-resources), products, customers,
//! categories and inventory from v3, writes (prices, stock, order status, shipments),
//! Standard Webhooks verification of BigCommerce's thin callbacks, and a simulator
//! speaking both API generations (feature `sim`, on by default).
//!
//! Connect a store with `base_url` = the store's API root
//! (`https://api.bigcommerce.com/stores/{store_hash}`; `/v2/...` and `/v3/...` live
//! under it), or the host with the credential `store_hash`, and the credential
//! `access_token` (sent as `X-Auth-Token`). Optional:
//! `client_secret` (the key of webhook signatures), `webhook_header_name` and
//! `webhook_header_value` (a custom header the store's hooks carry), and the setting
//! `currency` (else read from `/v2/store`). See `docs.md` for the capability checklist.
//!
//! The crate has the shape of every adapter (`ARCHITECTURE.md`): this file is the
//! registry entry only.

// The simulator renders large `json!` literals.
#![recursion_limit = "256"]

pub mod adapter;
mod client;
mod config;
mod consignments;
pub mod mapping;
mod orders;
mod paging;
#[cfg(feature = "sim")]
pub mod sim;
mod v3;
pub mod webhooks;
mod wire;
mod writes;

use polycart_kit::Connector;
use polycart_kit::connector::OptionalCredential;

pub use adapter::BigCommerceAdapter;
pub use client::{Classifier, RATE_LIMIT_HEADERS};
pub use config::BigCommerceConfig;

/// The registry name.
pub const PLATFORM: &str = "bigcommerce";

/// BigCommerce's entry in the app's registry.
pub fn connector() -> Connector {
    Connector {
        name: PLATFORM,
        credentials: &["access_token"],
        // Either verifies deliveries: the app's client secret (Standard Webhooks
        // signatures) or the custom header a hook was registered with (with
        // `webhook_header_name`).
        credential_sets: &[],
        optional_credentials: &[
            OptionalCredential {
                name: "client_secret",
                feature: "webhooks",
                purpose: "verifying webhook deliveries",
            },
            OptionalCredential {
                name: "webhook_header_value",
                feature: "webhooks",
                purpose: "verifying webhook deliveries",
            },
        ],
        settings: config::SETTINGS,
        capabilities: adapter::capabilities,
        normalize: mapping::normalize,
        connect: adapter::connect,
        #[cfg(feature = "sim")]
        simulate: sim::simulate,
    }
}
