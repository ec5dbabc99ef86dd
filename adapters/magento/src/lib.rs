//! polycart's Magento 2 / Adobe Commerce adapter: the REST API `V1` under a store view
//! (`/rest/{store_code}/V1/...`), with admin tokens (renewed before their 4 hours
//! lapse), integration bearer tokens or OAuth 1.0a integration signing; `searchCriteria`
//! listings by `updated_at` then `entity_id`; MSI stock; Adobe Commerce webhooks. See
//! `docs.md` for the capability checklist and the known gaps.

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

use std::sync::Arc;

use polycart_kit::connector::{AdapterContext, OptionalCredential};
use polycart_kit::error::Result;
use polycart_kit::{Adapter, Connector, StoreConfig};

pub use adapter::{MagentoAdapter, capabilities};
pub use client::{Client, MagentoClassifier};
pub use config::{MagentoConfig, SETTINGS};
pub use mapping::{Context, normalize};

/// The platform's registry name.
pub const PLATFORM: &str = mapping::PLATFORM;

/// Connects a store.
pub fn connect_adapter(cfg: &StoreConfig, ctx: &AdapterContext) -> Result<MagentoAdapter> {
    Ok(MagentoAdapter::new(Client::new(
        MagentoConfig::from_store(cfg)?,
        ctx,
    )?))
}

fn connect(cfg: &StoreConfig, ctx: &AdapterContext) -> Result<Arc<dyn Adapter>> {
    Ok(Arc::new(connect_adapter(cfg, ctx)?))
}

/// The registry entry. A store gives one of three credential sets (see the `auth`
/// setting): `username` + `password`, `access_token`, or `consumer_key` +
/// `consumer_secret` + `access_token` + `access_token_secret`; none is required on its
/// own, so the set is checked when the store connects.
pub fn connector() -> Connector {
    Connector {
        name: PLATFORM,
        credentials: &[],
        optional_credentials: &[OptionalCredential {
            name: "webhook_public_key",
            feature: "webhooks",
            purpose: "verifying Adobe Commerce webhook deliveries (x-adobe-commerce-webhook-signature)",
        }],
        settings: SETTINGS,
        capabilities,
        normalize,
        connect,
        #[cfg(feature = "sim")]
        simulate: sim::simulate,
    }
}
