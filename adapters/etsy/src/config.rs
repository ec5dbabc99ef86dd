//! An Etsy shop's settings, typed: the Open API v3 root and the shop id (from the
//! base URL `https://openapi.etsy.com/v3/application/shops/{shop_id}`; without the
//! shop segment the shop is read from `GET /users/me`), the app's keystring and shared
//! secret (sent together as `x-api-key`), the shop owner's OAuth token pair (all
//! `Secret`s, never printed), the optional webhook signing secret, and the request
//! budget Etsy grants the app (10 a second and 10,000 a day unless raised), declared
//! in [`SETTINGS`].

use chrono::{DateTime, Utc};
use polycart_kit::auth::TokenSet;
use polycart_kit::settings::{SettingKind, SettingSpec};
use polycart_kit::transport::Budget;
use polycart_kit::{Error, IdGrammar, Result, Secret, StoreConfig};
use url::Url;

/// The settings an Etsy shop takes.
pub const SETTINGS: &[SettingSpec] = &[PER_SECOND, EXPIRES_AT];

const PER_SECOND: SettingSpec = SettingSpec {
    name: "requests_per_second",
    kind: SettingKind::Integer { min: 1, max: 100 },
    default: Some("10"),
    doc: "requests per second Etsy grants the app (10 unless raised); the x-limit-per-second header corrects it",
};

const EXPIRES_AT: SettingSpec = SettingSpec {
    name: "token_expires_at",
    kind: SettingKind::Timestamp,
    default: None,
    doc: "when the access token expires (RFC 3339, UTC); written back with each refreshed token",
};

/// A connected Etsy shop.
#[derive(Debug, Clone)]
pub struct EtsyConfig {
    /// `…/v3/application/`: every path is relative to it.
    pub api_root: Url,
    /// The shop id, when the base URL names it (`…/shops/{shop_id}`).
    pub shop_id: Option<String>,
    /// `https://api.etsy.com/v3/public/oauth/token` (the simulator's own origin for
    /// a local base URL).
    pub token_url: Url,
    /// The app's API key ("keystring"), also the OAuth `client_id`.
    pub keystring: Secret,
    /// The app's shared secret: `x-api-key` is `{keystring}:{shared_secret}`.
    pub shared_secret: Secret,
    pub tokens: TokenSet,
    /// The webhook endpoint's signing secret (`whsec_…`); webhooks are off without it.
    pub webhook_secret: Option<Secret>,
    pub budget: Budget,
}

/// Splits a base URL into the API root and the shop id it names, if any.
fn split_base(base: &Url) -> Result<(Url, Option<String>)> {
    let path = base.path().trim_end_matches('/');
    let (root, shop) = match path.rsplit_once("/shops/") {
        Some((root, id)) => {
            let id = IdGrammar::Numeric
                .check(id)
                .map_err(|_| Error::invalid(format!("the shop id {id:?} is not numeric")))?;
            (root, Some(id.to_owned()))
        }
        None => (path, None),
    };
    let root = if root.is_empty() {
        "/v3/application"
    } else {
        root
    };
    let mut api_root = base.clone();
    api_root.set_path(&format!("{root}/"));
    api_root.set_query(None);
    api_root.set_fragment(None);
    Ok((api_root, shop))
}

/// Etsy's token endpoint is on `api.etsy.com`; any other host (a simulator, a test
/// proxy) serves it itself.
fn token_url(base: &Url) -> Result<Url> {
    let mut url = base.clone();
    if base.host_str() == Some("openapi.etsy.com") {
        url.set_host(Some("api.etsy.com"))
            .map_err(|e| Error::invalid(format!("token url: {e}")))?;
    }
    url.set_path("/v3/public/oauth/token");
    url.set_query(None);
    Ok(url)
}

impl EtsyConfig {
    pub fn from_store(store: &StoreConfig) -> Result<Self> {
        let (api_root, shop_id) = split_base(&store.base_url)?;
        let expires_at = match store.setting(EXPIRES_AT.name) {
            Some(text) => Some(
                DateTime::parse_from_rfc3339(text)
                    .map_err(|_| Error::invalid("token_expires_at is not an RFC 3339 time"))?
                    .with_timezone(&Utc),
            ),
            None => None,
        };
        let per_second: u32 = PER_SECOND.read(store)?.unwrap_or(10);
        Ok(Self {
            token_url: token_url(&store.base_url)?,
            api_root,
            shop_id,
            keystring: store.credential("keystring")?.clone(),
            shared_secret: store.credential("shared_secret")?.clone(),
            tokens: TokenSet {
                access_token: store.credential("access_token")?.clone(),
                refresh_token: Some(store.credential("refresh_token")?.clone()),
                expires_at,
            },
            webhook_secret: store.optional_credential("webhook_secret").cloned(),
            budget: Budget::new(per_second, f64::from(per_second)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        s.parse().unwrap()
    }

    #[test]
    fn the_base_url_names_the_api_root_and_the_shop() {
        let (root, shop) = split_base(&url(
            "https://openapi.etsy.com/v3/application/shops/12345678/",
        ))
        .unwrap();
        assert_eq!(root.as_str(), "https://openapi.etsy.com/v3/application/");
        assert_eq!(shop.as_deref(), Some("12345678"));
        let (root, shop) = split_base(&url("https://openapi.etsy.com")).unwrap();
        assert_eq!(root.as_str(), "https://openapi.etsy.com/v3/application/");
        assert_eq!(shop, None);
        assert!(split_base(&url("https://openapi.etsy.com/v3/application/shops/x1")).is_err());
        assert_eq!(
            token_url(&url("https://openapi.etsy.com/v3/application/shops/1"))
                .unwrap()
                .as_str(),
            "https://api.etsy.com/v3/public/oauth/token"
        );
        assert_eq!(
            token_url(&url("http://127.0.0.1:9/v3/application/shops/1"))
                .unwrap()
                .as_str(),
            "http://127.0.0.1:9/v3/public/oauth/token"
        );
    }
}
