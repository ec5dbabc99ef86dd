//! polycart's PrestaShop adapter (registry name `prestashop`): orders and products over
//! the PrestaShop webservice (JSON output, the webservice key as the basic-auth user),
//! the shop's classic failures typed, and a simulator (feature `sim`).
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
pub mod writes;

use polycart_kit::Connector;

pub use adapter::PrestaShopAdapter;
pub use config::PrestaShopConfig;

/// The registry name.
pub const PLATFORM: &str = "prestashop";

/// PrestaShop's entry in the app's registry.
pub fn connector() -> Connector {
    Connector {
        name: PLATFORM,
        credentials: &["ws_key"],
        credential_sets: &[],
        optional_credentials: &[],
        settings: config::SETTINGS,
        capabilities: adapter::capabilities,
        normalize: mapping::normalize,
        connect: adapter::connect,
        #[cfg(feature = "sim")]
        simulate: sim::simulate,
    }
}
