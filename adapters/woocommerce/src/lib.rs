//! polycart's WooCommerce adapter: the REST API `wc/v3` of a self-hosted WordPress
//! store, under pretty permalinks (`/wp-json/wc/v3/...`) or without them
//! (`/index.php?rest_route=/wc/v3/...`), with HTTP basic auth over HTTPS, OAuth 1.0a
//! one-legged query signing over plain HTTP, and query-string keys for hosts that
//! strip the `Authorization` header. See `docs.md` for the capability checklist.
//!
//! The crate has the shape of every adapter (`ARCHITECTURE.md`): this file is the
//! registry entry only.

pub mod adapter;
pub mod client;
pub mod config;
pub mod mapping;
pub mod webhooks;
mod wire;
mod writes;

#[cfg(feature = "sim")]
pub mod sim;

use polycart_kit::Connector;
use polycart_kit::connector::OptionalCredential;

pub use adapter::{MAX_PAGE, WooCommerceAdapter, connect_adapter};
pub use client::{BadStore, Client};
pub use config::WooCommerceConfig;
pub use writes::{BatchResult, VariationUpdate};

/// The registry name.
pub const PLATFORM: &str = "woocommerce";

/// The registry entry.
pub fn connector() -> Connector {
    Connector {
        name: PLATFORM,
        credentials: &["consumer_key", "consumer_secret"],
        credential_sets: &[],
        optional_credentials: &[OptionalCredential {
            name: "webhook_secret",
            feature: "webhooks",
            purpose: "verifying webhook deliveries (X-WC-Webhook-Signature)",
        }],
        settings: config::SETTINGS,
        capabilities: adapter::capabilities,
        normalize: mapping::normalize,
        connect: adapter::connect,
        #[cfg(feature = "sim")]
        simulate: sim::simulate,
    }
}
