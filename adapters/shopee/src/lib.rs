//! polycart's Shopee adapter (registry name `shopee`): orders and products over
//! Shopee Open Platform v2 with signed requests and a rotating token pair, stock and
//! prices per model written, orders shipped, push notifications verified, and a
//! simulator (feature `sim`).
//!
//! The crate has the shape of every adapter (`ARCHITECTURE.md`): this file is the
//! registry entry only. See `docs.md` for what the adapter does and does not do.

pub mod adapter;
pub mod client;
pub mod config;
pub mod listing;
pub mod mapping;
#[cfg(feature = "sim")]
pub mod sim;
pub mod webhooks;
mod wire;

use polycart_kit::Connector;
use polycart_kit::connector::{CredentialSet, OptionalCredential};

pub use adapter::ShopeeAdapter;
pub use config::ShopeeConfig;

/// The registry name.
pub const PLATFORM: &str = "shopee";

/// Shopee's entry in the app's registry.
pub fn connector() -> Connector {
    Connector {
        name: PLATFORM,
        credentials: &["partner_key", "access_token"],
        credential_sets: &[CredentialSet {
            name: "shop",
            credentials: &["partner_id", "partner_key", "shop_id", "access_token"],
        }],
        optional_credentials: &[OptionalCredential {
            name: "push_callback_url",
            feature: "webhooks",
            purpose: "verifying push notifications (Shopee signs the callback URL as configured in its console, with the body)",
        }],
        settings: config::SETTINGS,
        capabilities: adapter::capabilities,
        normalize: mapping::normalize,
        connect: adapter::connect,
        #[cfg(feature = "sim")]
        simulate: sim::simulate,
    }
}
