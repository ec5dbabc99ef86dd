//! A Lazada store's settings, typed: its venture (`region`, one of Lazada's six
//! countries, each with its own API host), the API root and the auth root, the app's
//! key and secret and the seller's token pair (`Secret`s, never printed) with when the
//! access token lapses (`token_expires_at`, the app's convention for rotated tokens),
//! and the request budget, each declared in [`SETTINGS`].
//!
//! `base_url` is the API root (`https://api.lazada.sg/rest`). When it names a Lazada
//! host it must be the one of `region` (a seller's token covers one country account,
//! so the country decides the host); any other host (a simulator, a proxy) is used as
//! given and serves the token refresh too.

use polycart_kit::region::RegionalHosts;
use polycart_kit::settings::{SettingKind, SettingSpec};
use polycart_kit::transport::Budget;
use polycart_kit::{Error, Result, Secret, StoreConfig};
use url::Url;

/// The settings a Lazada store takes.
pub const SETTINGS: &[SettingSpec] = &[REGION, RATE, TOKEN_EXPIRES_AT, ALLOCATION];

const REGION: SettingSpec = SettingSpec {
    name: "region",
    kind: SettingKind::OneOf {
        values: &["sg", "my", "th", "ph", "vn", "id"],
    },
    default: None,
    doc: "the seller's Lazada country (sg, my, th, ph, vn, id); decides the API host",
};

const RATE: SettingSpec = SettingSpec {
    name: "requests_per_second",
    kind: SettingKind::Integer { min: 1, max: 100 },
    default: Some("10"),
    doc: "requests per second the app may send for this seller (Lazada's limits depend on the app category)",
};

const TOKEN_EXPIRES_AT: SettingSpec = SettingSpec {
    name: "token_expires_at",
    kind: SettingKind::Timestamp,
    default: None,
    doc: "when the access token lapses (written after each refresh from expires_in; it is refreshed before)",
};

const ALLOCATION: SettingSpec = SettingSpec {
    name: "shipping_allocate_type",
    kind: SettingKind::OneOf {
        values: &["TFS", "NTFS"],
    },
    default: Some("TFS"),
    doc: "how Lazada allocates the carrier when packing: TFS for a local seller, NTFS for a cross-border one",
};

/// Lazada's API host of each venture.
pub const HOSTS: RegionalHosts = RegionalHosts {
    regions: &[
        ("sg", "api.lazada.sg"),
        ("my", "api.lazada.com.my"),
        ("th", "api.lazada.co.th"),
        ("ph", "api.lazada.com.ph"),
        ("vn", "api.lazada.vn"),
        ("id", "api.lazada.co.id"),
    ],
    platform_marker: "lazada.",
};

/// Lazada's auth root, where tokens are created and refreshed for every venture.
pub const AUTH_ROOT: &str = "https://auth.lazada.com/rest";

/// A connected Lazada store.
#[derive(Debug, Clone)]
pub struct LazadaConfig {
    /// `https://api.lazada.sg/rest/`: every API path is relative to it.
    pub api_root: Url,
    /// `https://auth.lazada.com/rest/`, or the API root off Lazada's hosts.
    pub auth_root: Url,
    pub app_key: Secret,
    pub app_secret: Secret,
    pub access_token: Secret,
    pub refresh_token: Option<Secret>,
    /// When the access token lapses, where known (setting `token_expires_at`).
    pub token_expires_at: Option<chrono::DateTime<chrono::Utc>>,
    pub budget: Budget,
    /// `TFS` (local seller) or `NTFS` (cross-border): what Pack sends.
    pub shipping_allocate_type: String,
}

fn with_slash(mut url: Url) -> Url {
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    url
}

impl LazadaConfig {
    pub fn from_store(store: &StoreConfig) -> Result<Self> {
        let region: Option<String> = REGION.read(store)?;
        HOSTS.check(&store.base_url, region.as_deref())?;
        let on_lazada = HOSTS.on_platform(&store.base_url);
        let api_root = with_slash(store.base_url.clone());
        let auth_root = if on_lazada {
            with_slash(AUTH_ROOT.parse().map_err(|_| Error::invalid("auth root"))?)
        } else {
            api_root.clone()
        };
        let rate: u32 = RATE.read(store)?.unwrap_or(10);
        Ok(Self {
            api_root,
            auth_root,
            app_key: store.credential("app_key")?.clone(),
            app_secret: store.credential("app_secret")?.clone(),
            access_token: store.credential("access_token")?.clone(),
            refresh_token: store.credentials.get("refresh_token").cloned(),
            token_expires_at: TOKEN_EXPIRES_AT
                .read::<String>(store)?
                .and_then(|t| polycart_kit::decode::parse_datetime(&t)),
            budget: Budget::new(rate, f64::from(rate)),
            shipping_allocate_type: ALLOCATION.read(store)?.unwrap_or_else(|| "TFS".to_owned()),
        })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn store(base: &str, region: Option<&str>) -> StoreConfig {
        let mut credentials = BTreeMap::new();
        for k in ["app_key", "app_secret", "access_token"] {
            credentials.insert(k.to_owned(), Secret::new("x"));
        }
        let mut settings = BTreeMap::new();
        if let Some(r) = region {
            settings.insert("region".to_owned(), r.to_owned());
        }
        StoreConfig {
            store_id: "s".into(),
            base_url: base.parse().unwrap(),
            credentials,
            settings,
        }
    }

    #[test]
    fn the_region_decides_the_lazada_host() {
        let c =
            LazadaConfig::from_store(&store("https://api.lazada.co.th/rest", Some("th"))).unwrap();
        assert_eq!(c.api_root.as_str(), "https://api.lazada.co.th/rest/");
        assert_eq!(c.auth_root.as_str(), "https://auth.lazada.com/rest/");
        assert!(
            LazadaConfig::from_store(&store("https://api.lazada.sg/rest", Some("th"))).is_err()
        );
        assert!(LazadaConfig::from_store(&store("https://api.lazada.sg/rest", None)).is_err());
        assert!(
            LazadaConfig::from_store(&store("https://api.lazada.sg/rest", Some("uk"))).is_err()
        );
        let sim = LazadaConfig::from_store(&store("http://127.0.0.1:9/rest", None)).unwrap();
        assert_eq!(sim.auth_root, sim.api_root);
    }
}
