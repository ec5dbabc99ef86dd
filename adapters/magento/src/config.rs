//! A Magento store's typed settings, read from the generic `StoreConfig`: which
//! credentials (admin login, integration bearer token, or OAuth 1.0a integration
//! signing; secrets, never logged), the store view (`/rest/{store_code}/V1/...`) for
//! reads and writes, the page size, the request budget a host tolerates, and store
//! facts the catalog API does not repeat on every product.

use std::time::Duration;

use polycart_kit::error::{Error, Result};
use polycart_kit::model::Currency;
use polycart_kit::settings::{SettingKind, SettingSpec};
use polycart_kit::transport::Budget;
use polycart_kit::{IdGrammar, Secret, StoreConfig};
use url::Url;

/// The largest page asked for: Magento's cap when its input limits are on (2.4.3+);
/// without them it has none.
pub const MAX_PAGE: u32 = 300;

/// How requests prove who they come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthMode {
    /// `POST /V1/integration/admin/token` with an admin's username and password; the
    /// token (4 hours by default) is renewed before it lapses and after a 401.
    Admin { username: Secret, password: Secret },
    /// An integration's access token as a bearer token (Magento 2.4.4+ needs
    /// "Allow OAuth Access Tokens to be used as standalone Bearer tokens").
    Bearer { token: Secret },
    /// An integration's four OAuth 1.0a credentials: every request signed
    /// (HMAC-SHA256, parameters in the `Authorization` header).
    OAuth1 {
        consumer_key: Secret,
        consumer_secret: Secret,
        token: Secret,
        token_secret: Secret,
    },
    /// None of the three credential sets: every request fails with an auth error that
    /// names them. (The connector cannot declare "one of these sets" to the API, which
    /// requires only what every store needs; so a store without any is accepted and
    /// says what it lacks on its first sync.)
    Missing,
}

impl AuthMode {
    pub fn name(&self) -> &'static str {
        match self {
            AuthMode::Admin { .. } => "admin",
            AuthMode::Bearer { .. } => "bearer",
            AuthMode::OAuth1 { .. } => "oauth1",
            AuthMode::Missing => "missing",
        }
    }
}

/// Everything the adapter needs to know about one store.
#[derive(Debug, Clone)]
pub struct MagentoConfig {
    pub store_id: String,
    /// The site, without a trailing slash or `/rest`.
    pub site: Url,
    pub auth: AuthMode,
    /// The store view reads go through (`default`, a store code, or `all`).
    pub store_code: String,
    /// The store view product writes go through (`all`: the global value, not a
    /// store-view override).
    pub write_store_code: String,
    /// The admin token's lifetime (Magento's `oauth/access_token_lifetime/admin`).
    pub admin_token_lifetime: Duration,
    pub page_size: u32,
    pub budget: Budget,
    pub min_rate: f64,
    /// The store's base currency (default: read from `/V1/store/storeConfigs`).
    pub currency: Option<Currency>,
    /// The store's weight unit (default: read from `/V1/store/storeConfigs`).
    pub weight_unit: Option<String>,
    /// Read the shipments and credit memos of each listed page of orders (two
    /// requests a page).
    pub order_details: bool,
    /// Stock from MSI source items (`true`) or from the legacy CatalogInventory stock
    /// items of products (`false`: stores with MSI disabled).
    pub msi: bool,
    /// The PEM public key Adobe Commerce webhooks are verified with.
    pub webhook_public_key: Option<Secret>,
    pub max_retries: Option<usize>,
    pub timeout: Duration,
}

/// The settings a Magento store takes.
pub const SETTINGS: &[SettingSpec] = &[
    AUTH,
    STORE_CODE,
    WRITE_STORE_CODE,
    ADMIN_TOKEN_MINUTES,
    PAGE_SIZE,
    RATE,
    BURST,
    MIN_RATE,
    CURRENCY,
    WEIGHT_UNIT,
    ORDER_DETAILS,
    INVENTORY,
    MAX_RETRIES,
    TIMEOUT,
];

const AUTH: SettingSpec = SettingSpec {
    name: "auth",
    kind: SettingKind::OneOf {
        values: &["auto", "admin", "bearer", "oauth1"],
    },
    default: Some("auto"),
    doc: "admin: username+password for an admin token; bearer: an integration access_token; oauth1: consumer_key, consumer_secret, access_token, access_token_secret; auto: the first whose credentials are there (oauth1, bearer, admin)",
};
const STORE_CODE: SettingSpec = SettingSpec {
    name: "store_code",
    kind: SettingKind::Text,
    default: Some("default"),
    doc: "the store view read through (/rest/{store_code}/V1/...)",
};
const WRITE_STORE_CODE: SettingSpec = SettingSpec {
    name: "write_store_code",
    kind: SettingKind::Text,
    default: Some("all"),
    doc: "the store view product writes go through; all writes the global values rather than a store-view override",
};
const ADMIN_TOKEN_MINUTES: SettingSpec = SettingSpec {
    name: "admin_token_minutes",
    kind: SettingKind::Integer {
        min: 5,
        max: 525_600,
    },
    default: Some("240"),
    doc: "how long the store's admin tokens live (Magento's default is 4 hours); renewed 5 minutes before",
};
const PAGE_SIZE: SettingSpec = SettingSpec {
    name: "page_size",
    kind: SettingKind::Integer {
        min: 1,
        max: MAX_PAGE as i64,
    },
    default: Some("100"),
    doc: "records per request (Magento's input limits, when on, allow at most 300)",
};
const RATE: SettingSpec = SettingSpec {
    name: "rate_per_second",
    kind: SettingKind::Number {
        min: "0.01",
        max: "1000",
    },
    default: Some("8"),
    doc: "requests per second to start from (Magento has no limit; hosts, Fastly and proxies do: the adaptive limiter backs off on 429/503)",
};
const BURST: SettingSpec = SettingSpec {
    name: "burst",
    kind: SettingKind::Integer {
        min: 1,
        max: 10_000,
    },
    default: None,
    doc: "requests allowed at once (default: the rate, rounded up)",
};
const MIN_RATE: SettingSpec = SettingSpec {
    name: "min_rate_per_second",
    kind: SettingKind::Number {
        min: "0.01",
        max: "1000",
    },
    default: Some("0.5"),
    doc: "the floor the adaptive limiter never goes below",
};
const CURRENCY: SettingSpec = SettingSpec {
    name: "currency",
    kind: SettingKind::Currency,
    default: None,
    doc: "the store's base currency (default: read from /V1/store/storeConfigs)",
};
const WEIGHT_UNIT: SettingSpec = SettingSpec {
    name: "weight_unit",
    kind: SettingKind::OneOf {
        values: &["kgs", "lbs", "kg", "lb"],
    },
    default: None,
    doc: "the store's weight unit (default: read from /V1/store/storeConfigs)",
};
const ORDER_DETAILS: SettingSpec = SettingSpec {
    name: "order_details",
    kind: SettingKind::Bool,
    default: Some("true"),
    doc: "read shipments (with tracks) and credit memos (refunds) for each page of orders: two more requests a page",
};
const INVENTORY: SettingSpec = SettingSpec {
    name: "inventory",
    kind: SettingKind::OneOf {
        values: &["msi", "legacy"],
    },
    default: Some("msi"),
    doc: "where stock is read and written: msi (source items per source) or legacy (each product's CatalogInventory stock item, for stores with MSI disabled)",
};
const MAX_RETRIES: SettingSpec = SettingSpec {
    name: "max_retries",
    kind: SettingKind::Integer { min: 0, max: 20 },
    default: None,
    doc: "retries of a failed read (default: the transport's)",
};
const TIMEOUT: SettingSpec = SettingSpec {
    name: "timeout_seconds",
    kind: SettingKind::Integer { min: 1, max: 600 },
    default: Some("30"),
    doc: "seconds before a request is given up",
};

/// A store code: letters, digits and `_` (Magento's rule), checked as a path segment.
fn store_code(spec: &SettingSpec, cfg: &StoreConfig) -> Result<String> {
    let code: String = spec.read(cfg)?.unwrap_or_else(|| "default".to_owned());
    IdGrammar::Token.check(&code).map_err(|_| {
        Error::invalid(format!(
            "setting {}: {code:?} is not a store code",
            spec.name
        ))
    })?;
    Ok(code)
}

impl MagentoConfig {
    /// Reads a store's configuration (settings: [`SETTINGS`]; credentials by auth mode:
    /// `username`/`password`, `access_token`, or `consumer_key`/`consumer_secret`/
    /// `access_token`/`access_token_secret`; optional `webhook_public_key`).
    pub fn from_store(cfg: &StoreConfig) -> Result<Self> {
        let mut site = cfg.base_url.clone();
        if !matches!(site.scheme(), "http" | "https") {
            return Err(Error::invalid("base_url must be an http(s) site URL"));
        }
        site.set_query(None);
        site.set_fragment(None);
        let path = site.path().trim_end_matches('/');
        let path = path.strip_suffix("/rest").unwrap_or(path).to_owned();
        site.set_path(&path);
        let auth = auth_mode(cfg)?;
        let rate: f64 = RATE.read(cfg)?.unwrap_or(8.0);
        let burst: u32 = BURST
            .read(cfg)?
            .unwrap_or_else(|| rate.ceil().max(1.0) as u32);
        let currency = match CURRENCY.read::<String>(cfg)?.as_deref() {
            Some(c) => Some(
                Currency::parse(c).map_err(|e| Error::invalid(format!("setting currency: {e}")))?,
            ),
            None => None,
        };
        let minutes: u64 = ADMIN_TOKEN_MINUTES.read(cfg)?.unwrap_or(240);
        Ok(Self {
            store_id: cfg.store_id.clone(),
            site,
            auth,
            store_code: store_code(&STORE_CODE, cfg)?,
            write_store_code: store_code(&WRITE_STORE_CODE, cfg)?,
            admin_token_lifetime: Duration::from_secs(minutes * 60),
            page_size: PAGE_SIZE.read(cfg)?.unwrap_or(100),
            budget: Budget::new(burst, rate),
            min_rate: MIN_RATE.read(cfg)?.unwrap_or(0.5_f64).min(rate),
            currency,
            weight_unit: WEIGHT_UNIT.read::<String>(cfg)?,
            order_details: ORDER_DETAILS.read(cfg)?.unwrap_or(true),
            msi: INVENTORY.read::<String>(cfg)?.as_deref() != Some("legacy"),
            webhook_public_key: cfg.optional_credential("webhook_public_key").cloned(),
            max_retries: MAX_RETRIES.read(cfg)?,
            timeout: Duration::from_secs(TIMEOUT.read(cfg)?.unwrap_or(30)),
        })
    }
}

/// What a store without credentials is told.
pub const MISSING_CREDENTIALS: &str = "missing credentials: a Magento store needs username and password (admin token), access_token (integration bearer token), or consumer_key, consumer_secret, access_token and access_token_secret (OAuth 1.0a integration)";

/// The auth mode the setting names, or the first whose credentials the store has.
fn auth_mode(cfg: &StoreConfig) -> Result<AuthMode> {
    let has = |n: &str| cfg.optional_credential(n).is_some();
    let mode = AUTH
        .read::<String>(cfg)?
        .unwrap_or_else(|| "auto".to_owned());
    let mode = match mode.as_str() {
        "auto" if has("consumer_key") => "oauth1",
        "auto" if has("access_token") => "bearer",
        "auto" if has("username") => "admin",
        "auto" => return Ok(AuthMode::Missing),
        m => m,
    };
    let c = |n: &str| cfg.credential(n).cloned();
    Ok(match mode {
        "admin" => AuthMode::Admin {
            username: c("username")?,
            password: c("password")?,
        },
        "bearer" => AuthMode::Bearer {
            token: c("access_token")?,
        },
        _ => AuthMode::OAuth1 {
            consumer_key: c("consumer_key")?,
            consumer_secret: c("consumer_secret")?,
            token: c("access_token")?,
            token_secret: c("access_token_secret")?,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn store(creds: &[(&str, &str)], settings: &[(&str, &str)]) -> StoreConfig {
        StoreConfig {
            store_id: "s".into(),
            base_url: "https://shop.example/rest/".parse().unwrap(),
            credentials: creds
                .iter()
                .map(|(k, v)| ((*k).to_owned(), Secret::new(*v)))
                .collect::<BTreeMap<_, _>>(),
            settings: settings
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        }
    }

    #[test]
    fn the_auth_mode_follows_the_credentials_unless_set() {
        let admin = store(&[("username", "u"), ("password", "p")], &[]);
        assert_eq!(
            MagentoConfig::from_store(&admin).unwrap().auth.name(),
            "admin"
        );
        let bearer = store(&[("access_token", "t")], &[]);
        assert_eq!(
            MagentoConfig::from_store(&bearer).unwrap().auth.name(),
            "bearer"
        );
        let oauth = store(
            &[
                ("consumer_key", "ck"),
                ("consumer_secret", "cs"),
                ("access_token", "t"),
                ("access_token_secret", "ts"),
            ],
            &[],
        );
        assert_eq!(
            MagentoConfig::from_store(&oauth).unwrap().auth.name(),
            "oauth1"
        );
        let forced = store(&[("access_token", "t")], &[("auth", "oauth1")]);
        let e = MagentoConfig::from_store(&forced).unwrap_err().to_string();
        assert!(e.contains("consumer_key"), "{e}");
        let none = MagentoConfig::from_store(&store(&[], &[])).unwrap();
        assert_eq!(none.auth, AuthMode::Missing);
    }

    #[test]
    fn the_site_and_store_codes_are_normalised_and_checked() {
        let c = MagentoConfig::from_store(&store(&[("access_token", "t")], &[])).unwrap();
        assert_eq!(c.site.as_str(), "https://shop.example/");
        assert_eq!(
            (c.store_code.as_str(), c.write_store_code.as_str()),
            ("default", "all")
        );
        assert_eq!(c.admin_token_lifetime, Duration::from_secs(4 * 3600));
        for bad in ["../x", "a/b", "de fault"] {
            let s = store(&[("access_token", "t")], &[("store_code", bad)]);
            assert!(MagentoConfig::from_store(&s).is_err(), "{bad}");
        }
        let s = store(&[("access_token", "t")], &[("page_size", "301")]);
        assert!(MagentoConfig::from_store(&s).is_err());
    }

    #[test]
    fn secrets_stay_out_of_debug_output() {
        let c = MagentoConfig::from_store(&store(
            &[("username", "admin"), ("password", "hunter2")],
            &[],
        ))
        .unwrap();
        let text = format!("{c:?}");
        assert!(!text.contains("hunter2"), "{text}");
    }
}
