//! polycart's Shopify adapter: reads and writes through the GraphQL Admin API (default)
//! or the REST Admin API (per store setting `api`), counts, incremental sync, full
//! passes through bulk operations,
//! pure mapping of REST payloads and GraphQL nodes to the unified model, webhook
//! verification, and (feature `sim`) a simulator that speaks both APIs.

// The simulator renders Shopify's large order JSON with one `json!` literal.
#![recursion_limit = "256"]

pub mod bulk;
mod bulk_file;
mod bulk_list;
pub mod client;
mod complete;
pub mod config;
mod fulfillment_plan;
mod gql_read;
mod graphql;
mod ids;
pub mod mapping;
pub mod normalize;
pub mod oauth;
mod queries;
#[cfg(feature = "sim")]
pub mod sim;
mod subscriptions;
pub mod token;
pub mod webhooks;
mod wire;
mod write_targets;
mod writes;
mod writes_gql;

use polycart_kit::Connector;
use polycart_kit::connector::OptionalCredential;

/// The registry entry for Shopify.
pub fn connector() -> Connector {
    Connector {
        name: mapping::PLATFORM,
        credentials: &["access_token"],
        // The app's API secret key signs webhook deliveries (and refreshes expiring
        // tokens, which need it): a store with only an Admin API access token syncs.
        optional_credentials: &[OptionalCredential {
            name: "api_secret",
            feature: "webhooks",
            purpose: "verifying webhook deliveries (X-Shopify-Hmac-Sha256)",
        }],
        settings: config::SETTINGS,
        capabilities: client::capabilities,
        normalize: normalize::normalize,
        connect: client::connect,
        #[cfg(feature = "sim")]
        simulate: sim::simulate,
    }
}
