//! polycart's eBay adapter (registry name `ebay`): a seller's orders (Fulfillment
//! API) and inventory items as products and stock levels (Inventory API), with OAuth 2
//! user tokens renewed from the seller's refresh token, shipments, offer prices and
//! stock written, and a simulator (feature `sim`).
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

pub use adapter::EbayAdapter;
pub use config::EbayConfig;

/// The registry name.
pub const PLATFORM: &str = "ebay";

/// eBay's entry in the app's registry.
pub fn connector() -> Connector {
    Connector {
        name: PLATFORM,
        credentials: &["client_id", "client_secret", "refresh_token"],
        credential_sets: &[],
        optional_credentials: &[OptionalCredential {
            name: "notification_public_key",
            feature: "webhooks",
            purpose: "verifying Notification API deliveries (the PEM key getPublicKey returns for the kid eBay signs with)",
        }],
        settings: config::SETTINGS,
        capabilities: adapter::capabilities,
        normalize: mapping::normalize,
        connect: adapter::connect,
        #[cfg(feature = "sim")]
        simulate: sim::simulate,
    }
}
