//! polycart's Lazada adapter (registry name `lazada`): orders (with their items),
//! products and the category tree over Lazada Open Platform's signed REST API, SKU
//! price and stock writes, shipments (Pack and ReadyToShip), verified pushes, and a simulator (feature `sim`).
//!
//! The crate has the shape of every adapter (`ARCHITECTURE.md`): this file is the
//! registry entry only. See `docs.md` for what the adapter does and does not do.

pub mod adapter;
pub mod client;
pub mod config;
pub mod fulfil;
pub mod mapping;
#[cfg(feature = "sim")]
pub mod sim;
pub mod webhooks;
mod wire;

use polycart_kit::Connector;
use polycart_kit::connector::OptionalCredential;

pub use adapter::LazadaAdapter;
pub use config::LazadaConfig;

/// The registry name.
pub const PLATFORM: &str = "lazada";

/// Lazada's entry in the app's registry.
pub fn connector() -> Connector {
    Connector {
        name: PLATFORM,
        credentials: &["app_key", "app_secret", "access_token"],
        credential_sets: &[],
        optional_credentials: &[OptionalCredential {
            name: "refresh_token",
            feature: "token_refresh",
            purpose: "renewing the seller's access token (single use; the new pair is persisted before use)",
        }],
        settings: config::SETTINGS,
        capabilities: adapter::capabilities,
        normalize: mapping::normalize,
        connect: adapter::connect,
        #[cfg(feature = "sim")]
        simulate: sim::simulate,
    }
}
