//! A platform's entry in the app's registry: its name, its pure mapping (for
//! `polycart normalize` and golden tests), how to connect a store, and its simulator.
//! Each adapter crate exposes one `fn connector() -> Connector`; the app lists them.

use std::collections::BTreeMap;
use std::sync::Arc;

use url::Url;

use crate::adapter::Adapter;
use crate::auth::TokenSink;
use crate::error::{Error, Result};
use crate::model::{Currency, Entity, Record};
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

/// What a store knows that its payloads may not say, as a sync has it (read from the
/// platform's store settings) and `polycart normalize` takes it (`--currency`,
/// `--weight-unit`). A mapping uses it only where a payload lacks its own value; a
/// field it would have filled stays `null` without it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoreContext {
    /// The store's currency, for amounts written without one (Shopify REST and
    /// BigCommerce v3 catalog prices, WooCommerce product prices).
    pub currency: Option<Currency>,
    /// The store's weight unit ("kg", "g", "lb", "oz", "t"), for weights written without one
    /// (WooCommerce products, BigCommerce v3 catalog).
    pub weight_unit: Option<String>,
    /// The store's UTC offset, for local timestamps written without one. No mapping
    /// needs it yet: every platform polycart speaks sends an offset or a UTC twin.
    pub time_zone: Option<chrono::FixedOffset>,
}

/// The canonical weight unit for a name platforms and people use ("lbs" → "lb",
/// "KGS" → "kg", BigCommerce's "Tonnes" → "t"); `None` for anything else.
pub fn weight_unit(name: &str) -> Option<&'static str> {
    Some(match name.trim().to_ascii_lowercase().as_str() {
        "kg" | "kgs" | "kilogram" | "kilograms" => "kg",
        "g" | "gram" | "grams" => "g",
        "lb" | "lbs" | "pound" | "pounds" => "lb",
        "oz" | "ounce" | "ounces" => "oz",
        "t" | "tonne" | "tonnes" => "t",
        _ => return None,
    })
}

/// A credential a store may leave out, and the feature that stays off without it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct OptionalCredential {
    /// The credential's name ("api_secret").
    pub name: &'static str,
    /// The feature it enables, a stable key ("webhooks"); several credentials may
    /// enable one feature (any one of them turns it on).
    pub feature: &'static str,
    /// What the feature does, for people ("verifying webhook deliveries").
    pub purpose: &'static str,
}

/// One way to authenticate: credentials a store gives together. A platform with
/// several (Magento's admin login, integration token or OAuth 1.0a integration; an API
/// key or an OAuth app) lists them in [`Connector::credential_sets`]; a store gives all
/// of at least one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct CredentialSet {
    /// The set's name, as a platform's `auth` setting would say it ("admin").
    pub name: &'static str,
    /// The credentials of the set.
    pub credentials: &'static [&'static str],
}

/// A feature a connected store runs without, and why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DisabledFeature {
    /// The feature's key ("webhooks").
    pub feature: String,
    /// Why it is off and what the store does instead.
    pub reason: String,
}

type NormalizeFn = fn(Entity, &str, &StoreContext) -> Result<Normalized>;
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
    /// Alternative ways to authenticate, besides `credentials`: a store gives every
    /// credential of at least one set. Empty when there is one way.
    pub credential_sets: &'static [CredentialSet],
    /// Credentials a store may leave out, each with the feature it enables; without
    /// them the store still syncs (by polling).
    pub optional_credentials: &'static [OptionalCredential],
    /// The settings a store of this platform takes (`stores add --setting`).
    pub settings: &'static [crate::settings::SettingSpec],
    /// What the platform offers, without connecting a store (a store's adapter may
    /// offer less: its API family, missing optional credentials).
    pub capabilities: fn() -> crate::Capabilities,
    /// Maps a raw payload (one object, or the platform's list envelope) to unified
    /// records, with what is known about the store.
    pub normalize: NormalizeFn,
    /// Builds an adapter for a store.
    pub connect: ConnectFn,
    /// Starts the platform's simulator.
    #[cfg(feature = "sim")]
    pub simulate: SimulateFn,
}

impl Connector {
    /// Why credentials `present` cannot authenticate a store: a required credential
    /// missing, or no credential set complete. `None` when they can.
    pub fn missing_credentials<'a>(
        &self,
        present: impl IntoIterator<Item = &'a str> + Clone,
    ) -> Option<String> {
        let has = |name: &str| present.clone().into_iter().any(|p| p == name);
        let missing: Vec<String> = self
            .credentials
            .iter()
            .filter(|c| !has(c))
            .map(|c| format!("{c:?}"))
            .collect();
        if !missing.is_empty() {
            return Some(format!("missing {}", missing.join(", ")));
        }
        if self.credential_sets.is_empty()
            || self
                .credential_sets
                .iter()
                .any(|set| set.credentials.iter().all(|c| has(c)))
        {
            return None;
        }
        let sets: Vec<String> = self
            .credential_sets
            .iter()
            .map(|set| format!("{} ({})", set.name, set.credentials.join(", ")))
            .collect();
        Some(format!(
            "give every credential of one of {}",
            sets.join("; ")
        ))
    }

    /// The features a store with credentials `present` runs without: those no
    /// present optional credential enables.
    pub fn disabled_features<'a>(
        &self,
        present: impl IntoIterator<Item = &'a str> + Clone,
    ) -> Vec<DisabledFeature> {
        let mut out: Vec<DisabledFeature> = Vec::new();
        for c in self.optional_credentials {
            if out.iter().any(|d| d.feature == c.feature) {
                continue;
            }
            let enablers: Vec<&OptionalCredential> = self
                .optional_credentials
                .iter()
                .filter(|o| o.feature == c.feature)
                .collect();
            if enablers
                .iter()
                .any(|o| present.clone().into_iter().any(|p| p == o.name))
            {
                continue;
            }
            let names: Vec<&str> = enablers.iter().map(|o| o.name).collect();
            out.push(DisabledFeature {
                feature: c.feature.to_owned(),
                reason: format!(
                    "no {} credential: {} is off; the store syncs by polling",
                    names.join(" or "),
                    c.purpose
                ),
            });
        }
        out
    }
}

impl std::fmt::Debug for Connector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connector")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn connector(optional: &'static [OptionalCredential]) -> Connector {
        fn normalize(_: Entity, _: &str, _: &StoreContext) -> Result<Normalized> {
            Err(Error::invalid("unused"))
        }
        fn connect(_: &StoreConfig, _: &AdapterContext) -> Result<Arc<dyn Adapter>> {
            Err(Error::invalid("unused"))
        }
        #[cfg(feature = "sim")]
        fn simulate(
            _: crate::sim::SimOptions,
            _: std::net::SocketAddr,
        ) -> futures::future::BoxFuture<'static, std::io::Result<crate::sim::SimServer>> {
            Box::pin(async { Err(std::io::Error::other("unused")) })
        }
        fn capabilities() -> crate::Capabilities {
            crate::Capabilities {
                entities: Vec::new(),
                bulk_export: false,
                writes: Default::default(),
                webhooks: false,
                webhook_registration: false,
            }
        }
        Connector {
            name: "test",
            credentials: &["token"],
            credential_sets: &[],
            optional_credentials: optional,
            settings: &[],
            capabilities,
            normalize,
            connect,
            #[cfg(feature = "sim")]
            simulate,
        }
    }

    #[test]
    fn a_feature_is_off_only_when_none_of_its_credentials_is_there() {
        const OPTIONAL: &[OptionalCredential] = &[
            OptionalCredential {
                name: "client_secret",
                feature: "webhooks",
                purpose: "verifying webhook deliveries",
            },
            OptionalCredential {
                name: "webhook_header_value",
                feature: "webhooks",
                purpose: "verifying webhook deliveries",
            },
        ];
        let c = connector(OPTIONAL);
        let off = c.disabled_features(["token"]);
        assert_eq!(off.len(), 1, "{off:?}");
        assert_eq!(off[0].feature, "webhooks");
        assert!(
            off[0]
                .reason
                .contains("client_secret or webhook_header_value"),
            "{off:?}"
        );
        assert!(off[0].reason.contains("polling"), "{off:?}");
        assert!(c.disabled_features(["token", "client_secret"]).is_empty());
        assert!(
            c.disabled_features(["token", "webhook_header_value"])
                .is_empty()
        );
        assert!(connector(&[]).disabled_features(["token"]).is_empty());
    }

    #[test]
    fn weight_units_have_one_spelling() {
        assert_eq!(weight_unit("LBS"), Some("lb"));
        assert_eq!(weight_unit("kg"), Some("kg"));
        assert_eq!(weight_unit("Ounces"), Some("oz"));
        assert_eq!(weight_unit("stone"), None);
    }

    #[test]
    fn a_store_needs_the_required_credentials_and_one_complete_set() {
        let mut c = connector(&[]);
        c.credential_sets = &[
            CredentialSet {
                name: "key",
                credentials: &["api_key", "site_id"],
            },
            CredentialSet {
                name: "oauth",
                credentials: &["refresh_token"],
            },
        ];
        assert_eq!(c.missing_credentials(["token", "refresh_token"]), None);
        assert_eq!(c.missing_credentials(["token", "api_key", "site_id"]), None);
        let half = c.missing_credentials(["token", "api_key"]).unwrap();
        assert!(
            half.contains("key (api_key, site_id); oauth (refresh_token)"),
            "{half}"
        );
        let required = c.missing_credentials(["refresh_token"]).unwrap();
        assert!(required.contains("\"token\""), "{required}");
        c.credential_sets = &[];
        assert_eq!(c.missing_credentials(["token"]), None);
    }
}
