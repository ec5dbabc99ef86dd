//! polycart's Shopify adapter: reads and writes through the GraphQL Admin API (default)
//! or the REST Admin API (per store setting `api`), counts, incremental sync, full
//! passes through bulk operations,
//! pure mapping of REST payloads and GraphQL nodes to the unified model, webhook
//! verification, and (feature `sim`) a simulator that speaks both APIs.
//!
//! The crate has the shape of every adapter (`ARCHITECTURE.md`), with the two API
//! families in [`rest`] and [`graphql`]; this file is the registry entry only.

// The simulator renders Shopify's large order JSON with one `json!` literal.
#![recursion_limit = "256"]

pub mod adapter;
pub mod client;
pub mod config;
mod fulfillment_plan;
pub mod graphql;
mod ids;
pub mod mapping;
pub mod oauth;
pub mod rest;
#[cfg(feature = "sim")]
pub mod sim;
pub mod token;
pub mod webhooks;
mod wire;
mod write_targets;

pub use adapter::ShopifyAdapter;
pub use config::ShopifyConfig;
pub use graphql::bulk::BulkPolling;

/// The registry name.
pub const PLATFORM: &str = "shopify";

use polycart_kit::Connector;
use polycart_kit::connector::OptionalCredential;

/// The registry entry for Shopify.
pub fn connector() -> Connector {
    Connector {
        name: PLATFORM,
        credentials: &["access_token"],
        // The app's API secret key signs webhook deliveries (and refreshes expiring
        // tokens, which need it): a store with only an Admin API access token syncs.
        credential_sets: &[],
        optional_credentials: &[OptionalCredential {
            name: "api_secret",
            feature: "webhooks",
            purpose: "verifying webhook deliveries (X-Shopify-Hmac-Sha256)",
        }],
        settings: config::SETTINGS,
        capabilities: adapter::capabilities,
        normalize: mapping::normalize,
        connect: adapter::connect,
        #[cfg(feature = "sim")]
        simulate: sim::simulate,
    }
}
