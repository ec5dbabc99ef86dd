//! polycart's {{Name}} adapter (registry name `{{name}}`): orders and products over
//! the platform's REST API with a bearer token, and a simulator (feature `sim`).
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

pub use adapter::{{Name}}Adapter;
pub use config::{{Name}}Config;

/// The registry name.
pub const PLATFORM: &str = "{{name}}";

/// {{Name}}'s entry in the app's registry.
pub fn connector() -> Connector {
    Connector {
        name: PLATFORM,
        credentials: &["access_token"],
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
