//! polycart's Amazon Selling Partner API adapter (registry name `amazon`): orders over
//! the Orders API 2026-01-01 (or v0), listings as products, shipments confirmed,
//! Login with Amazon tokens, per-operation rate limits, and a simulator (feature
//! `sim`).
//!
//! The crate has the shape of every adapter (`ARCHITECTURE.md`): this file is the
//! registry entry only. See `docs.md` for what the adapter does and does not do.

pub mod adapter;
pub mod client;
pub mod config;
pub mod mapping;
#[cfg(feature = "sim")]
pub mod sim;
pub mod webhooks;
mod wire;

use polycart_kit::Connector;
use polycart_kit::connector::OptionalCredential;

pub use adapter::AmazonAdapter;
pub use config::AmazonConfig;

/// The registry name.
pub const PLATFORM: &str = "amazon";

/// Amazon's entry in the app's registry.
pub fn connector() -> Connector {
    Connector {
        name: PLATFORM,
        credentials: &["client_id", "client_secret", "refresh_token"],
        credential_sets: &[],
        optional_credentials: &[OptionalCredential {
            name: "seller_id",
            feature: "products",
            purpose: "listing products (the Listings Items API names the seller's merchant token in its paths)",
        }],
        settings: config::SETTINGS,
        capabilities: adapter::capabilities,
        normalize: mapping::normalize,
        connect: adapter::connect,
        #[cfg(feature = "sim")]
        simulate: sim::simulate,
    }
}
