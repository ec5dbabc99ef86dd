//! polycart's Magento 2 / Adobe Commerce adapter: the REST API `V1` under a store view
//! (`/rest/{store_code}/V1/...`), with admin tokens (renewed before their 4 hours
//! lapse), integration bearer tokens or OAuth 1.0a integration signing; `searchCriteria`
//! listings by `updated_at` then `entity_id`; MSI stock; Adobe Commerce webhooks. See
//! `docs.md` for the capability checklist and the known gaps.
//!
//! The crate has the shape of every adapter (`ARCHITECTURE.md`): this file is the
//! registry entry only.

#![recursion_limit = "256"]

mod adapter;
pub mod client;
pub mod config;
pub mod mapping;
pub mod webhooks;
mod wire;
mod writes;

#[cfg(feature = "sim")]
pub mod sim;

use polycart_kit::Connector;
use polycart_kit::connector::{CredentialSet, OptionalCredential};

pub use adapter::{MagentoAdapter, capabilities, connect_adapter};
pub use client::{Client, MagentoClassifier};
pub use config::{MagentoConfig, SETTINGS};
pub use mapping::{Context, normalize};

/// The platform's registry name.
pub const PLATFORM: &str = mapping::PLATFORM;

/// The registry entry. A store gives one of three credential sets (the `auth` setting
/// picks one, or the first complete): an admin login, an integration's bearer token,
/// or an integration's four OAuth 1.0a credentials.
pub fn connector() -> Connector {
    Connector {
        name: PLATFORM,
        credentials: &[],
        credential_sets: &[
            CredentialSet {
                name: "oauth1",
                credentials: &[
                    "consumer_key",
                    "consumer_secret",
                    "access_token",
                    "access_token_secret",
                ],
            },
            CredentialSet {
                name: "bearer",
                credentials: &["access_token"],
            },
            CredentialSet {
                name: "admin",
                credentials: &["username", "password"],
            },
        ],
        optional_credentials: &[OptionalCredential {
            name: "webhook_public_key",
            feature: "webhooks",
            purpose: "verifying Adobe Commerce webhook deliveries (x-adobe-commerce-webhook-signature)",
        }],
        settings: SETTINGS,
        capabilities,
        normalize,
        connect: adapter::connect,
        #[cfg(feature = "sim")]
        simulate: sim::simulate,
    }
}
