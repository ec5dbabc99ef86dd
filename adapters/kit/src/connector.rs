//! A platform's entry in the app's registry: its name, its pure mapping (for
//! `polycart normalize` and golden tests), how to connect a store, and its simulator.
//! Each adapter crate exposes one `fn connector() -> Connector`; the app lists them.

use std::collections::BTreeMap;
use std::sync::Arc;

use url::Url;

use crate::adapter::Adapter;
use crate::auth::TokenSink;
use crate::error::{Error, Result};
use crate::model::{Entity, Record};
use crate::secret::Secret;
use crate::transport::TransportMetrics;

/// A connected store's settings, as the sync store keeps them.
#[derive(Debug, Clone)]
pub struct StoreConfig {
    pub store_id: String,
    pub base_url: Url,
    pub credentials: BTreeMap<String, Secret>,
    /// Platform options (API version, API family, plan, ...), by name.
    pub settings: BTreeMap<String, String>,
}

impl StoreConfig {
    /// A required credential, or an `Invalid` error naming it.
    pub fn credential(&self, name: &str) -> Result<&Secret> {
        self.credentials
            .get(name)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| Error::invalid(format!("missing credential {name:?}")))
    }

    pub fn optional_credential(&self, name: &str) -> Option<&Secret> {
        self.credentials.get(name).filter(|s| !s.is_empty())
    }

    pub fn setting(&self, name: &str) -> Option<&str> {
        self.settings.get(name).map(String::as_str)
    }
}

/// What the app hands an adapter besides the store's own settings.
#[derive(Clone, Default)]
pub struct AdapterContext {
    /// Shared counters of every platform request.
    pub metrics: Arc<TransportMetrics>,
    /// Where rotated OAuth tokens are persisted.
    pub token_sink: Option<Arc<dyn TokenSink>>,
}

/// The result of normalising a payload: one record, or the records of a list envelope.
#[derive(Debug)]
pub enum Normalized {
    One(Record),
    List(Vec<Record>),
}

type NormalizeFn = fn(Entity, &str) -> Result<Normalized>;
type ConnectFn = fn(&StoreConfig, &AdapterContext) -> Result<Arc<dyn Adapter>>;
#[cfg(feature = "sim")]
type SimulateFn = fn(
    crate::sim::SimOptions,
    std::net::SocketAddr,
)
    -> futures::future::BoxFuture<'static, std::io::Result<crate::sim::SimServer>>;

/// A platform as the registry sees it.
#[derive(Clone, Copy)]
pub struct Connector {
    /// Registry name, lower case ("shopify").
    pub name: &'static str,
    /// Credential names a store of this platform needs.
    pub credentials: &'static [&'static str],
    /// Maps a raw payload (one object, or the platform's list envelope) to unified records.
    pub normalize: NormalizeFn,
    /// Builds an adapter for a store.
    pub connect: ConnectFn,
    /// Starts the platform's simulator.
    #[cfg(feature = "sim")]
    pub simulate: SimulateFn,
}

impl std::fmt::Debug for Connector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connector")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}
