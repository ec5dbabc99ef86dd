//! polycart's TikTok Shop adapter (registry name `tiktokshop`): orders and products
//! over the Partner API (202309 and later) with signed requests and a rotating token
//! pair, webhooks verified with the app secret, and a simulator (feature `sim`).
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
mod writes;

use polycart_kit::Connector;

pub use adapter::TikTokShopAdapter;
pub use config::TikTokShopConfig;

/// The registry name.
pub const PLATFORM: &str = "tiktokshop";

/// TikTok Shop's entry in the app's registry.
pub fn connector() -> Connector {
    Connector {
        name: PLATFORM,
        credentials: config::CREDENTIALS,
        credential_sets: &[],
        optional_credentials: config::OPTIONAL,
        settings: config::SETTINGS,
        capabilities: adapter::capabilities,
        normalize: mapping::normalize,
        connect: adapter::connect,
        #[cfg(feature = "sim")]
        simulate: sim::simulate,
    }
}
