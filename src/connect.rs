//! Connecting a store, checked once for the CLI (`polycart stores add`) and the API
//! (`POST /v1/stores`): the platform exists, the URL passes the URL policy, the
//! required credentials are there, the adapter accepts the configuration (without
//! calling the platform), the entities are ones it lists (no repeats; none given means
//! all it lists) and the sync interval is within bounds. Optional credentials (a
//! webhook secret) may be left out: the store then runs without the feature they
//! enable, which [`disabled_features`] reports for `stores list` and the API.

use std::collections::BTreeMap;

use polycart_kit::connector::{AdapterContext, DisabledFeature, StoreConfig};
use polycart_kit::{Entity, Secret};

use crate::registry;
use crate::store::{
    MAX_INTERVAL_SECS, MIN_INTERVAL_SECS, NewStore, Store, UrlPolicy, validate_store_url,
};

/// The longest store name accepted.
pub const MAX_NAME_LEN: usize = 200;

/// What a caller asks to connect.
#[derive(Debug, Clone, Default)]
pub struct ConnectRequest {
    pub platform: String,
    pub url: String,
    pub name: Option<String>,
    pub credentials: BTreeMap<String, String>,
    pub settings: BTreeMap<String, String>,
    pub entities: Vec<Entity>,
    pub interval_secs: i64,
}

/// Why a store cannot be connected; every variant is the caller's to fix.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error(transparent)]
    UnknownPlatform(#[from] registry::UnknownPlatform),
    #[error("{0}")]
    Url(String),
    #[error("{platform} needs credentials: {missing}")]
    MissingCredentials { platform: String, missing: String },
    #[error("{0}")]
    Config(String),
    #[error("{platform}: {message}")]
    Setting { platform: String, message: String },
    #[error("{platform} does not list {entity}")]
    EntityNotListed { platform: String, entity: Entity },
    #[error("entity {0} is given twice")]
    RepeatedEntity(Entity),
    #[error("interval_secs must be between {MIN_INTERVAL_SECS} and {MAX_INTERVAL_SECS}, not {0}")]
    Interval(i64),
    #[error("a store name is 1 to {MAX_NAME_LEN} characters without control characters")]
    Name,
}

/// The store to add for `request`, checked.
pub fn prepare(request: ConnectRequest, policy: UrlPolicy) -> Result<NewStore, ConnectError> {
    let connector = registry::connector(&request.platform)?;
    let base_url =
        validate_store_url(&request.url, policy).map_err(|e| ConnectError::Url(e.to_string()))?;
    let present = request
        .credentials
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, _)| k.as_str());
    if let Some(missing) = connector.missing_credentials(present) {
        return Err(ConnectError::MissingCredentials {
            platform: connector.name.to_owned(),
            missing,
        });
    }
    if !(MIN_INTERVAL_SECS..=MAX_INTERVAL_SECS).contains(&request.interval_secs) {
        return Err(ConnectError::Interval(request.interval_secs));
    }
    let name = match request.name {
        Some(n)
            if n.is_empty()
                || n.chars().count() > MAX_NAME_LEN
                || n.chars().any(char::is_control) =>
        {
            return Err(ConnectError::Name);
        }
        Some(n) => n,
        None => base_url.host_str().unwrap_or("store").to_owned(),
    };
    polycart_kit::settings::check_all(connector.settings, &request.settings).map_err(|e| {
        ConnectError::Setting {
            platform: connector.name.to_owned(),
            message: e
                .public_message()
                .trim_start_matches("invalid request: ")
                .to_owned(),
        }
    })?;
    let credentials: BTreeMap<String, Secret> = request
        .credentials
        .into_iter()
        .map(|(k, v)| (k, Secret::new(v)))
        .collect();
    let config = StoreConfig {
        store_id: "new".to_owned(),
        base_url: base_url.clone(),
        credentials: credentials.clone(),
        settings: request.settings.clone(),
    };
    let adapter = (connector.connect)(&config, &AdapterContext::default())
        .map_err(|e| ConnectError::Config(e.public_message()))?;
    let offered = &adapter.capabilities().entity_list();
    let mut entities = Vec::new();
    for entity in request.entities {
        if entities.contains(&entity) {
            return Err(ConnectError::RepeatedEntity(entity));
        }
        if !offered.contains(&entity) {
            return Err(ConnectError::EntityNotListed {
                platform: connector.name.to_owned(),
                entity,
            });
        }
        entities.push(entity);
    }
    if entities.is_empty() {
        entities = offered.clone();
    }
    Ok(NewStore {
        name,
        platform: connector.name.to_owned(),
        base_url,
        credentials,
        settings: request.settings,
        entities,
        interval_secs: request.interval_secs,
    })
}

/// The features a store of `platform` with credentials named `present` runs without
/// (optional credentials left out; webhook registration without a public URL, when
/// `registering` is false); none for a platform no longer in the registry.
pub fn features_off<'a>(
    platform: &str,
    present: impl IntoIterator<Item = &'a str> + Clone,
    registering: bool,
) -> Vec<DisabledFeature> {
    let Ok(connector) = registry::connector(platform) else {
        return Vec::new();
    };
    let mut off = connector.disabled_features(present);
    if !registering {
        off.extend(crate::webhook_setup::without_public_url(
            (connector.capabilities)().webhook_registration,
        ));
    }
    off
}

/// The features connected store `store_id` of `platform` runs without, from the names
/// of its stored credentials (their values are not looked at).
pub async fn disabled_features(
    db: &dyn Store,
    store_id: &str,
    platform: &str,
    registering: bool,
) -> crate::store::Result<Vec<DisabledFeature>> {
    let config = db.store_config(store_id).await?;
    Ok(features_off(
        platform,
        config.credentials.keys().map(String::as_str),
        registering,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(platform: &str, credentials: &[(&str, &str)]) -> ConnectRequest {
        ConnectRequest {
            platform: platform.to_owned(),
            url: "https://my-shop.myshopify.com".to_owned(),
            credentials: credentials
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            interval_secs: 300,
            ..ConnectRequest::default()
        }
    }

    #[test]
    fn an_admin_api_token_alone_connects_a_shopify_store_without_webhooks() {
        let new = prepare(
            request("shopify", &[("access_token", "shpat_x")]),
            UrlPolicy::default(),
        )
        .expect("the README's example connects");
        let off = features_off("shopify", new.credentials.keys().map(String::as_str), true);
        assert_eq!(off.len(), 1, "{off:?}");
        assert_eq!(off[0].feature, "webhooks");
        assert!(off[0].reason.contains("api_secret"), "{off:?}");
        assert!(
            features_off("shopify", ["access_token", "api_secret"], true).is_empty(),
            "with the secret webhooks are on"
        );
    }

    #[test]
    fn required_credentials_are_still_required() {
        let err = prepare(request("shopify", &[]), UrlPolicy::default()).unwrap_err();
        assert!(err.to_string().contains("access_token"), "{err}");
        assert!(!err.to_string().contains("api_secret"), "{err}");
        let err = prepare(
            request("woocommerce", &[("consumer_key", "ck")]),
            UrlPolicy::default(),
        )
        .unwrap_err();
        assert!(err.to_string().contains("consumer_secret"), "{err}");
    }

    #[test]
    fn one_credential_set_of_several_is_enough() {
        let err = prepare(
            request("magento", &[("username", "u")]),
            UrlPolicy::default(),
        )
        .unwrap_err();
        assert!(
            err.to_string().contains("admin (username, password)"),
            "{err}"
        );
        prepare(
            request("magento", &[("username", "u"), ("password", "p")]),
            UrlPolicy::default(),
        )
        .unwrap();
        prepare(
            request("magento", &[("access_token", "t")]),
            UrlPolicy::default(),
        )
        .unwrap();
    }

    #[test]
    fn every_platform_says_what_its_optional_credentials_enable() {
        for c in registry::connectors() {
            for o in c.optional_credentials {
                assert!(!c.credentials.contains(&o.name), "{}: {}", c.name, o.name);
                assert!(!o.purpose.is_empty() && !o.feature.is_empty());
            }
            if !(c.capabilities)().webhooks {
                continue; // the platform has no webhooks (PrestaShop core)
            }
            if !c
                .optional_credentials
                .iter()
                .any(|o| o.feature == "webhooks")
            {
                // Signed with a required credential (Lazada's and TikTok Shop's app
                // secret): webhooks are on whenever the store connects.
                continue;
            }
            let off = features_off(c.name, c.credentials.iter().copied(), true);
            assert!(
                off.iter().any(|d| d.feature == "webhooks"),
                "{}: webhook verification needs a secret no required credential gives",
                c.name
            );
        }
    }
}
