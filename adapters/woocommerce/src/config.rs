//! A WooCommerce store's typed settings, read from the generic `StoreConfig`:
//! credentials (secrets, never logged), URL form, auth mode, the request budget a
//! store's host tolerates, and optional store settings the API does not report.

use std::time::Duration;

use polycart_kit::error::{Error, Result};
use polycart_kit::model::Currency;
use polycart_kit::settings::{SettingKind, SettingSpec};
use polycart_kit::transport::Budget;
use polycart_kit::{Secret, StoreConfig};
use url::Url;

/// How the site exposes the REST API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UrlForm {
    /// Detect on first use: pretty permalinks first, then `rest_route`.
    Auto,
    /// `{site}/wp-json/wc/v3/...`.
    Pretty,
    /// `{site}/index.php?rest_route=/wc/v3/...` (sites without pretty permalinks).
    RestRoute,
}

/// How requests are authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMode {
    /// Basic over HTTPS (falling back to query keys on a 401), OAuth 1.0a over HTTP.
    Auto,
    /// HTTP basic, falling back to query keys when the host strips the header.
    Basic,
    /// OAuth 1.0a one-legged, HMAC-SHA256, parameters in the query string.
    OAuth1,
    /// `consumer_key`/`consumer_secret` in the query string.
    Query,
}

/// Whether the Shipment Tracking extension's endpoint is used for shipments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tracking {
    /// Look for the `wc-shipment-tracking/v3` namespace on first use.
    Auto,
    On,
    Off,
}

/// Everything the adapter needs to know about one store.
#[derive(Debug, Clone)]
pub struct WooCommerceConfig {
    pub store_id: String,
    /// The site URL, without a trailing slash.
    pub site: Url,
    pub consumer_key: Secret,
    pub consumer_secret: Secret,
    /// The secret webhooks are created with and verified against.
    pub webhook_secret: Option<Secret>,
    pub url_form: UrlForm,
    pub auth: AuthMode,
    /// The budget requests start from (default: 4 per second, burst 4: hosts throttle).
    pub budget: Budget,
    /// The floor adaptive back-off does not go below.
    pub min_rate: f64,
    /// Page size for `/products/{id}/variations` (≤ 100).
    pub variations_page_size: u32,
    pub tracking: Tracking,
    pub currency: Option<Currency>,
    pub weight_unit: Option<String>,
    /// Fetch `/orders/{id}/refunds` for orders that have refunds (line items, dates).
    pub fetch_refunds: bool,
    pub max_retries: Option<usize>,
    pub timeout: Duration,
}

/// The settings a WooCommerce store takes.
pub const SETTINGS: &[SettingSpec] = &[
    URL_FORM,
    AUTH,
    RATE,
    BURST,
    MIN_RATE,
    VARIATIONS_PAGE,
    TRACKING,
    CURRENCY,
    WEIGHT_UNIT,
    FETCH_REFUNDS,
    MAX_RETRIES,
    TIMEOUT,
];

const URL_FORM: SettingSpec = SettingSpec {
    name: "url_form",
    kind: SettingKind::OneOf {
        values: &["auto", "pretty", "rest_route"],
    },
    default: Some("auto"),
    doc: "how REST URLs are written: /wp-json/... (pretty permalinks) or index.php?rest_route=...; auto probes",
};
const AUTH: SettingSpec = SettingSpec {
    name: "auth",
    kind: SettingKind::OneOf {
        values: &["auto", "basic", "oauth1", "query"],
    },
    default: Some("auto"),
    doc: "how keys are sent; auto: basic over https, OAuth 1.0a over http",
};
const RATE: SettingSpec = SettingSpec {
    name: "rate_per_second",
    kind: SettingKind::Number {
        min: "0.01",
        max: "1000",
    },
    default: Some("4"),
    doc: "requests per second to start from (the host sends no rate headers; the adaptive limiter backs off on 429/503)",
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
    default: Some("0.25"),
    doc: "the floor the adaptive limiter never goes below",
};
const VARIATIONS_PAGE: SettingSpec = SettingSpec {
    name: "variations_page_size",
    kind: SettingKind::Integer { min: 1, max: 1000 },
    default: Some("100"),
    doc: "variations per request (WooCommerce serves at most 100: larger values are clamped)",
};
const TRACKING: SettingSpec = SettingSpec {
    name: "shipment_tracking",
    kind: SettingKind::OneOf {
        values: &["auto", "true", "false", "on", "off"],
    },
    default: Some("auto"),
    doc: "write tracking through the Shipment Tracking extension; auto detects it",
};
const CURRENCY: SettingSpec = SettingSpec {
    name: "currency",
    kind: SettingKind::Currency,
    default: None,
    doc: "the store's currency (default: read from /system_status)",
};
const WEIGHT_UNIT: SettingSpec = SettingSpec {
    name: "weight_unit",
    kind: SettingKind::OneOf {
        values: &["kg", "g", "lbs", "lb", "oz"],
    },
    default: None,
    doc: "the store's weight unit (products carry none)",
};
const FETCH_REFUNDS: SettingSpec = SettingSpec {
    name: "fetch_refunds",
    kind: SettingKind::Bool,
    default: Some("true"),
    doc: "read each refunded order's refunds (one request per such order)",
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

impl WooCommerceConfig {
    /// Reads a store's configuration. Settings (all optional): `url_form`
    /// (auto|pretty|rest_route), `auth` (auto|basic|oauth1|query), `rate_per_second`,
    /// `burst`, `min_rate_per_second`, `variations_page_size`, `shipment_tracking`
    /// (auto|true|false), `currency`, `weight_unit`, `fetch_refunds`, `max_retries`,
    /// `timeout_seconds`. Credentials: `consumer_key`, `consumer_secret`, optional
    /// `webhook_secret`.
    pub fn from_store(cfg: &StoreConfig) -> Result<Self> {
        let mut site = cfg.base_url.clone();
        if !matches!(site.scheme(), "http" | "https") {
            return Err(Error::invalid("base_url must be an http(s) site URL"));
        }
        site.set_query(None);
        site.set_fragment(None);
        let path = site.path().trim_end_matches('/').to_owned();
        site.set_path(&path);
        let url_form = match URL_FORM.read::<String>(cfg)?.as_deref().unwrap_or("auto") {
            "auto" => UrlForm::Auto,
            "pretty" => UrlForm::Pretty,
            "rest_route" => UrlForm::RestRoute,
            other => {
                return Err(Error::invalid(format!(
                    "setting url_form: {other:?} is not auto, pretty or rest_route"
                )));
            }
        };
        let auth = match AUTH.read::<String>(cfg)?.as_deref().unwrap_or("auto") {
            "auto" => AuthMode::Auto,
            "basic" => AuthMode::Basic,
            "oauth1" => AuthMode::OAuth1,
            "query" => AuthMode::Query,
            other => {
                return Err(Error::invalid(format!(
                    "setting auth: {other:?} is not auto, basic, oauth1 or query"
                )));
            }
        };
        let tracking = match TRACKING.read::<String>(cfg)?.as_deref().unwrap_or("auto") {
            "auto" => Tracking::Auto,
            "true" | "on" => Tracking::On,
            "false" | "off" => Tracking::Off,
            other => {
                return Err(Error::invalid(format!(
                    "setting shipment_tracking: {other:?} is not auto, true or false"
                )));
            }
        };
        let rate: f64 = RATE.read(cfg)?.unwrap_or(4.0);
        let burst: u32 = BURST
            .read(cfg)?
            .unwrap_or_else(|| rate.ceil().max(1.0) as u32);
        let currency = match CURRENCY.read::<String>(cfg)?.as_deref() {
            Some(c) => Some(
                Currency::parse(c).map_err(|e| Error::invalid(format!("setting currency: {e}")))?,
            ),
            None => None,
        };
        Ok(Self {
            store_id: cfg.store_id.clone(),
            site,
            consumer_key: cfg.credential("consumer_key")?.clone(),
            consumer_secret: cfg.credential("consumer_secret")?.clone(),
            webhook_secret: cfg.optional_credential("webhook_secret").cloned(),
            url_form,
            auth,
            budget: Budget::new(burst, rate),
            min_rate: MIN_RATE.read(cfg)?.unwrap_or(0.25_f64).min(rate),
            // WooCommerce serves at most 100 a page: larger asks are clamped.
            variations_page_size: VARIATIONS_PAGE
                .read::<u32>(cfg)?
                .unwrap_or(100)
                .clamp(1, 100),
            tracking,
            currency,
            weight_unit: WEIGHT_UNIT.read(cfg)?,
            fetch_refunds: FETCH_REFUNDS.read(cfg)?.unwrap_or(true),
            max_retries: MAX_RETRIES.read(cfg)?,
            timeout: Duration::from_secs(TIMEOUT.read(cfg)?.unwrap_or(30)),
        })
    }

    /// The auth mode after `Auto` is resolved from the URL scheme.
    pub fn effective_auth(&self) -> AuthMode {
        match (self.auth, self.site.scheme()) {
            (AuthMode::Auto, "https") => AuthMode::Basic,
            (AuthMode::Auto, _) => AuthMode::OAuth1,
            (mode, _) => mode,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn store(url: &str, settings: &[(&str, &str)]) -> StoreConfig {
        let mut credentials = BTreeMap::new();
        credentials.insert("consumer_key".to_owned(), Secret::new("ck_x".to_owned()));
        credentials.insert("consumer_secret".to_owned(), Secret::new("cs_x".to_owned()));
        StoreConfig {
            store_id: "s".into(),
            base_url: url.parse().unwrap(),
            credentials,
            settings: settings
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        }
    }

    #[test]
    fn numeric_settings_are_bounded() {
        for (name, bad) in [
            ("rate_per_second", "1e300"),
            ("rate_per_second", "0"),
            ("rate_per_second", "NaN"),
            ("burst", "4294967295"),
            ("max_retries", "1000000"),
            ("timeout_seconds", "18446744073709551615"),
        ] {
            let e = WooCommerceConfig::from_store(&store("https://shop.example/", &[(name, bad)]));
            assert!(e.is_err(), "{name}={bad}");
        }
        assert!(
            WooCommerceConfig::from_store(&store("https://shop.example/", &[("max_retries", "3")]))
                .is_ok()
        );
    }

    #[test]
    fn auth_follows_the_scheme_unless_set() {
        let https = WooCommerceConfig::from_store(&store("https://shop.example/", &[])).unwrap();
        assert_eq!(https.effective_auth(), AuthMode::Basic);
        let http = WooCommerceConfig::from_store(&store("http://shop.example", &[])).unwrap();
        assert_eq!(http.effective_auth(), AuthMode::OAuth1);
        let forced =
            WooCommerceConfig::from_store(&store("https://shop.example", &[("auth", "query")]));
        assert_eq!(forced.unwrap().effective_auth(), AuthMode::Query);
        assert!(
            WooCommerceConfig::from_store(&store("https://shop.example", &[("auth", "jwt")]))
                .is_err()
        );
    }

    #[test]
    fn the_site_url_is_normalised() {
        let c = WooCommerceConfig::from_store(&store("https://shop.example/store/?x=1#top", &[]))
            .unwrap();
        assert_eq!(c.site.as_str(), "https://shop.example/store");
        assert!(WooCommerceConfig::from_store(&store("ftp://shop.example", &[])).is_err());
    }

    #[test]
    fn conservative_default_rate_and_per_store_tuning() {
        let c = WooCommerceConfig::from_store(&store("https://shop.example", &[])).unwrap();
        assert_eq!((c.budget.burst, c.budget.per_second), (4, 4.0));
        assert_eq!(c.min_rate, 0.25);
        let tuned = WooCommerceConfig::from_store(&store(
            "https://shop.example",
            &[
                ("rate_per_second", "25"),
                ("burst", "10"),
                ("min_rate_per_second", "2"),
                ("variations_page_size", "250"),
                ("max_retries", "2"),
                ("timeout_seconds", "5"),
            ],
        ))
        .unwrap();
        assert_eq!((tuned.budget.burst, tuned.budget.per_second), (10, 25.0));
        assert_eq!(tuned.min_rate, 2.0);
        assert_eq!(
            tuned.variations_page_size, 100,
            "wc/v3 pages hold 100 at most"
        );
        assert_eq!(tuned.max_retries, Some(2));
        assert_eq!(tuned.timeout, Duration::from_secs(5));
        for bad in [
            ("rate_per_second", "0"),
            ("rate_per_second", "fast"),
            ("burst", "-1"),
        ] {
            assert!(
                WooCommerceConfig::from_store(&store("https://shop.example", &[bad])).is_err(),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn secrets_stay_out_of_debug_output() {
        let c = WooCommerceConfig::from_store(&store("https://shop.example", &[])).unwrap();
        let text = format!("{c:?}");
        assert!(!text.contains("cs_x") && !text.contains("ck_x"), "{text}");
    }
}
