//! polycart's Squarespace adapter (registry name `squarespace`): orders, products with
//! variants, inventory and customer profiles over the Commerce APIs with an API key or
//! an OAuth token (refreshed), variant prices, stock and fulfilments written, signed
//! webhook notifications, and a simulator (feature `sim`).
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

pub use adapter::SquarespaceAdapter;
pub use config::SquarespaceConfig;

/// The registry name.
pub const PLATFORM: &str = "squarespace";

/// Squarespace's entry in the app's registry.
pub fn connector() -> Connector {
    Connector {
        name: PLATFORM,
        credentials: &["access_token"],
        // One way: the token (an API key or an OAuth access token) is always given.
        credential_sets: &[],
        // `refresh_token`, `client_id` and `client_secret` (OAuth stores) are optional
        // too; without them the access token is used as it is (an API key).
        optional_credentials: &[OptionalCredential {
            name: "webhook_secret",
            feature: "webhooks",
            purpose: "verifying webhook notifications (the subscription's secret signs them)",
        }],
        settings: config::SETTINGS,
        capabilities: adapter::capabilities,
        normalize: mapping::normalize,
        connect: adapter::connect,
        #[cfg(feature = "sim")]
        simulate: sim::simulate,
    }
}
