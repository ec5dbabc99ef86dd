//! polycart's WooCommerce adapter: the REST API `wc/v3` of a self-hosted WordPress
//! store, under pretty permalinks (`/wp-json/wc/v3/...`) or without them
//! (`/index.php?rest_route=/wc/v3/...`), with HTTP basic auth over HTTPS, OAuth 1.0a
//! one-legged query signing over plain HTTP, and query-string keys for hosts that
//! strip the `Authorization` header. See `docs.md` for the capability checklist.

mod adapter;
pub mod client;
pub mod config;
pub mod mapping;
pub mod webhooks;
mod wire;

#[cfg(feature = "sim")]
pub mod sim;

use std::sync::Arc;

use polycart_kit::connector::{AdapterContext, Normalized, OptionalCredential, StoreContext};
use polycart_kit::error::Result;
use polycart_kit::{Adapter, Connector, Entity, StoreConfig};

pub use adapter::{BatchResult, MAX_PAGE, VariationUpdate, WooAdapter};
pub use client::{BadStore, Client};
pub use config::WooConfig;
pub use mapping::{Context, PLATFORM};

/// `polycart normalize`: maps a payload with what is known of the store (a product
/// payload names neither its currency nor its weight unit: without them its prices and
/// weights are `null`).
pub fn normalize(entity: Entity, text: &str, ctx: &StoreContext) -> Result<Normalized> {
    mapping::normalize_with(entity, text, &Context::from(ctx))
}

/// Connects a store.
pub fn connect_adapter(cfg: &StoreConfig, ctx: &AdapterContext) -> Result<WooAdapter> {
    Ok(WooAdapter::new(Client::new(
        WooConfig::from_store(cfg)?,
        ctx,
    )))
}

fn connect(cfg: &StoreConfig, ctx: &AdapterContext) -> Result<Arc<dyn Adapter>> {
    Ok(Arc::new(connect_adapter(cfg, ctx)?))
}

/// The registry entry.
pub fn connector() -> Connector {
    Connector {
        name: PLATFORM,
        credentials: &["consumer_key", "consumer_secret"],
        optional_credentials: &[OptionalCredential {
            name: "webhook_secret",
            feature: "webhooks",
            purpose: "verifying webhook deliveries (X-WC-Webhook-Signature)",
        }],
        settings: config::SETTINGS,
        capabilities: adapter::capabilities,
        normalize,
        connect,
        #[cfg(feature = "sim")]
        simulate: sim::simulate,
    }
}
