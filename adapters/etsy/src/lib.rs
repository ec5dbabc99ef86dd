//! polycart's Etsy adapter (registry name `etsy`): receipts (orders), listings with
//! their inventory (products and variants) and shop sections (categories) over Open
//! API v3 with the app's `x-api-key` and the shop owner's rotating OAuth 2 tokens,
//! listing prices, stock and receipt shipments written, `order.paid` webhooks
//! verified, and a simulator (feature `sim`).
//!
//! The crate has the shape of every adapter (`ARCHITECTURE.md`): this file is the
//! registry entry only. See `docs.md` for what the adapter does and does not do.

pub mod adapter;
pub mod client;
pub mod config;
pub mod mapping;
pub mod oauth;
#[cfg(feature = "sim")]
pub mod sim;
pub mod webhooks;
mod wire;
mod writes;

use polycart_kit::Connector;
use polycart_kit::connector::OptionalCredential;

pub use adapter::EtsyAdapter;
pub use config::EtsyConfig;

/// The registry name.
pub const PLATFORM: &str = "etsy";

/// Etsy's entry in the app's registry.
pub fn connector() -> Connector {
    Connector {
        name: PLATFORM,
        credentials: &[
            "keystring",
            "shared_secret",
            "access_token",
            "refresh_token",
        ],
        credential_sets: &[],
        optional_credentials: &[OptionalCredential {
            name: "webhook_secret",
            feature: "webhooks",
            purpose: "verifying order.paid webhook deliveries (the endpoint's whsec_ signing secret)",
        }],
        settings: config::SETTINGS,
        capabilities: adapter::capabilities,
        normalize: mapping::normalize,
        connect: adapter::connect,
        #[cfg(feature = "sim")]
        simulate: sim::simulate,
    }
}
