//! polycart's Wix adapter (registry name `wix`): eCommerce orders, Stores Catalog V1
//! products with managed variants, collections as categories and contacts as
//! customers over Wix's REST APIs, with app OAuth (client credentials, or the legacy
//! refresh token) or an API key; fulfillments, stock and prices written; webhook JWTs
//! verified with the app's public key; and a simulator (feature `sim`).
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
use polycart_kit::connector::{CredentialSet, OptionalCredential};

pub use adapter::WixAdapter;
pub use config::WixConfig;

/// The registry name.
pub const PLATFORM: &str = "wix";

/// Wix's entry in the app's registry. A store gives one of three credential sets
/// (the `auth` setting, or the first present): OAuth (the app's client credentials
/// and the site's `instance_id`), legacy custom authentication (a refresh token), or
/// an API key with the site's id.
pub fn connector() -> Connector {
    Connector {
        name: PLATFORM,
        credentials: &[],
        credential_sets: &[
            CredentialSet {
                name: "oauth",
                credentials: &["app_id", "app_secret", "instance_id"],
            },
            CredentialSet {
                name: "legacy",
                credentials: &["app_id", "app_secret", "refresh_token"],
            },
            CredentialSet {
                name: "api_key",
                credentials: &["api_key", "site_id"],
            },
        ],
        optional_credentials: &[OptionalCredential {
            name: "webhook_public_key",
            feature: "webhooks",
            purpose: "verifying webhook deliveries (JWTs signed with the app's key pair)",
        }],
        settings: config::SETTINGS,
        capabilities: adapter::capabilities,
        normalize: mapping::normalize,
        connect: adapter::connect,
        #[cfg(feature = "sim")]
        simulate: sim::simulate,
    }
}
