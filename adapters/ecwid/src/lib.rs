//! polycart's Ecwid (Lightspeed E-Series) adapter (registry name `ecwid`): orders and
//! products over the REST API v3 with the store's secret token, prices, stock, order
//! statuses and shipments written, signed webhooks, and a simulator (feature `sim`).
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

pub use adapter::EcwidAdapter;
pub use config::EcwidConfig;

/// The registry name.
pub const PLATFORM: &str = "ecwid";

/// Ecwid's entry in the app's registry.
pub fn connector() -> Connector {
    Connector {
        name: PLATFORM,
        credentials: &["secret_token"],
        credential_sets: &[],
        optional_credentials: &[OptionalCredential {
            name: "client_secret",
            feature: "webhooks",
            purpose: "verifying webhook deliveries (the app's client secret signs them)",
        }],
        settings: config::SETTINGS,
        capabilities: adapter::capabilities,
        normalize: mapping::normalize,
        connect: adapter::connect,
        #[cfg(feature = "sim")]
        simulate: sim::simulate,
    }
}
