//! A WooCommerce store's typed settings, read from the generic `StoreConfig`:
//! credentials (secrets, never logged), URL form, auth mode, the request budget a
//! store's host tolerates, and optional store settings the API does not report.

use std::time::Duration;

use polycart_kit::error::{Error, Result};
use polycart_kit::model::Currency;
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
pub struct WooConfig {
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

fn parse<T: std::str::FromStr>(cfg: &StoreConfig, name: &str) -> Result<Option<T>> {
    match cfg.setting(name) {
        None => Ok(None),
        Some(v) => v
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| Error::invalid(format!("setting {name}: {v:?} is not valid"))),
    }
}

/// A numeric setting within `range`, or an `Invalid` error naming the range.
fn parse_in<T>(
    cfg: &StoreConfig,
    name: &str,
    range: std::ops::RangeInclusive<T>,
) -> Result<Option<T>>
where
    T: std::str::FromStr + PartialOrd + std::fmt::Display,
{
    match parse::<T>(cfg, name)? {
        Some(v) if !range.contains(&v) => Err(Error::invalid(format!(
            "setting {name}: {v} is not between {} and {}",
            range.start(),
            range.end()
        ))),
        other => Ok(other),
    }
}

impl WooConfig {
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
        let url_form = match cfg.setting("url_form").unwrap_or("auto") {
            "auto" => UrlForm::Auto,
            "pretty" => UrlForm::Pretty,
            "rest_route" => UrlForm::RestRoute,
            other => {
                return Err(Error::invalid(format!(
                    "setting url_form: {other:?} is not auto, pretty or rest_route"
                )));
            }
        };
        let auth = match cfg.setting("auth").unwrap_or("auto") {
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
        let tracking = match cfg.setting("shipment_tracking").unwrap_or("auto") {
            "auto" => Tracking::Auto,
            "true" | "on" => Tracking::On,
            "false" | "off" => Tracking::Off,
            other => {
                return Err(Error::invalid(format!(
                    "setting shipment_tracking: {other:?} is not auto, true or false"
                )));
            }
        };
        let rate: f64 = parse_in(cfg, "rate_per_second", 0.01..=1000.0)?.unwrap_or(4.0);
        let burst: u32 =
            parse_in(cfg, "burst", 1..=10_000)?.unwrap_or_else(|| rate.ceil().max(1.0) as u32);
        let currency = match cfg.setting("currency") {
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
            min_rate: parse_in(cfg, "min_rate_per_second", 0.01..=1000.0)?
                .unwrap_or(0.25_f64)
                .min(rate),
            // WooCommerce serves at most 100 a page: larger asks are clamped.
            variations_page_size: parse::<u32>(cfg, "variations_page_size")?
                .unwrap_or(100)
                .clamp(1, 100),
            tracking,
            currency,
            weight_unit: cfg.setting("weight_unit").map(str::to_owned),
            fetch_refunds: parse(cfg, "fetch_refunds")?.unwrap_or(true),
            max_retries: parse_in(cfg, "max_retries", 0..=20)?,
            timeout: Duration::from_secs(parse_in(cfg, "timeout_seconds", 1..=600)?.unwrap_or(30)),
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
            let e = WooConfig::from_store(&store("https://shop.example/", &[(name, bad)]));
            assert!(e.is_err(), "{name}={bad}");
        }
        assert!(
            WooConfig::from_store(&store("https://shop.example/", &[("max_retries", "3")])).is_ok()
        );
    }

    #[test]
    fn auth_follows_the_scheme_unless_set() {
        let https = WooConfig::from_store(&store("https://shop.example/", &[])).unwrap();
        assert_eq!(https.effective_auth(), AuthMode::Basic);
        let http = WooConfig::from_store(&store("http://shop.example", &[])).unwrap();
        assert_eq!(http.effective_auth(), AuthMode::OAuth1);
        let forced = WooConfig::from_store(&store("https://shop.example", &[("auth", "query")]));
        assert_eq!(forced.unwrap().effective_auth(), AuthMode::Query);
        assert!(WooConfig::from_store(&store("https://shop.example", &[("auth", "jwt")])).is_err());
    }

    #[test]
    fn the_site_url_is_normalised() {
        let c = WooConfig::from_store(&store("https://shop.example/store/?x=1#top", &[])).unwrap();
        assert_eq!(c.site.as_str(), "https://shop.example/store");
        assert!(WooConfig::from_store(&store("ftp://shop.example", &[])).is_err());
    }

    #[test]
    fn conservative_default_rate_and_per_store_tuning() {
        let c = WooConfig::from_store(&store("https://shop.example", &[])).unwrap();
        assert_eq!((c.budget.burst, c.budget.per_second), (4, 4.0));
        assert_eq!(c.min_rate, 0.25);
        let tuned = WooConfig::from_store(&store(
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
                WooConfig::from_store(&store("https://shop.example", &[bad])).is_err(),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn secrets_stay_out_of_debug_output() {
        let c = WooConfig::from_store(&store("https://shop.example", &[])).unwrap();
        let text = format!("{c:?}");
        assert!(!text.contains("cs_x") && !text.contains("ck_x"), "{text}");
    }
}
