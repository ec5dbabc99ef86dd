//! A Shopify store's settings, typed: the shop's origin, the Admin API version, which
//! API family to use, the plan (the REST bucket's size) and the credentials (secrets
//! stay `Secret`s and print redacted).

use polycart_kit::connector::StoreConfig;
use polycart_kit::settings::{SettingKind, SettingSpec};
use polycart_kit::transport::Budget;
use polycart_kit::{ApiPath, Error, Result, Secret};
use url::Url;

/// The Admin API version used when a store does not name one.
pub const DEFAULT_API_VERSION: &str = "2026-01";

/// Which Admin API a store is read through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Api {
    Rest,
    Graphql,
}

/// One store's connection settings.
#[derive(Debug, Clone)]
pub struct ShopifyConfig {
    /// `https://{shop}.myshopify.com` (or a simulator's origin).
    pub shop: Url,
    pub api_version: String,
    pub api: Api,
    /// `standard` (40 / 2 per s) or `plus` (400 / 20 per s); the header corrects it live.
    pub plan: String,
    pub access_token: Secret,
    /// The app's client secret: verifies webhooks and OAuth callbacks, refreshes tokens.
    pub api_secret: Option<Secret>,
    /// The app's client id (API key), for token refreshes.
    pub client_id: Option<String>,
    /// The refresh token of an expiring offline token.
    pub refresh_token: Option<Secret>,
    /// When the access token expires (setting `token_expires_at`, RFC 3339).
    pub token_expires_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// The settings a Shopify store takes.
pub const SETTINGS: &[SettingSpec] = &[API_VERSION, API, PLAN, TOKEN_EXPIRES_AT];

const API_VERSION: SettingSpec = SettingSpec {
    name: "api_version",
    kind: SettingKind::Text,
    default: Some(DEFAULT_API_VERSION),
    doc: "the Admin API version, YYYY-MM or unstable",
};
const API: SettingSpec = SettingSpec {
    name: "api",
    kind: SettingKind::OneOf {
        values: &["graphql", "rest"],
    },
    default: Some("graphql"),
    doc: "the Admin API family to read and write through (GraphQL also has bulk exports)",
};
const PLAN: SettingSpec = SettingSpec {
    name: "plan",
    kind: SettingKind::OneOf {
        values: &["standard", "advanced", "plus", "shopify_plus"],
    },
    default: Some("standard"),
    doc: "the shop's plan, which sizes the rate budgets it starts from (the API's answers correct them)",
};
const TOKEN_EXPIRES_AT: SettingSpec = SettingSpec {
    name: "token_expires_at",
    kind: SettingKind::Timestamp,
    default: None,
    doc: "when an expiring offline access token lapses (it is refreshed before)",
};

impl ShopifyConfig {
    /// When Shopify stops serving [`ShopifyConfig::api_version`]: each stable version
    /// (`YYYY-MM`, released on the first of that month) is supported for at least 12
    /// months, so until the first of the same month a year later (2026-01 until
    /// 2027-01-01). `unstable` has no date.
    pub fn api_version_sunset(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        let (year, month) = self.api_version.split_once('-')?;
        let (year, month) = (year.parse::<i32>().ok()?, month.parse::<u32>().ok()?);
        chrono::NaiveDate::from_ymd_opt(year + 1, month, 1)
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|d| d.and_utc())
    }

    /// Reads settings `api_version`, `api` (`graphql`, the default, or `rest`), `plan` and
    /// `token_expires_at`, and credentials `access_token` and (optional) `api_secret`,
    /// `client_id`, `refresh_token`.
    pub fn from_store(store: &StoreConfig) -> Result<Self> {
        let version: String = API_VERSION
            .read(store)?
            .unwrap_or_else(|| DEFAULT_API_VERSION.to_owned());
        let b = version.as_bytes();
        let valid =
            b.len() == 7 && b[4] == b'-' && b[..4].iter().chain(&b[5..]).all(u8::is_ascii_digit);
        if !valid && version != "unstable" {
            return Err(Error::invalid(format!(
                "api_version {version:?} is not YYYY-MM"
            )));
        }
        let api = match API.read::<String>(store)?.as_deref().unwrap_or("graphql") {
            "rest" => Api::Rest,
            "graphql" => Api::Graphql,
            other => {
                return Err(Error::invalid(format!(
                    "api {other:?} is not rest or graphql"
                )));
            }
        };
        let mut shop = store.base_url.clone();
        shop.set_path("/");
        shop.set_query(None);
        Ok(Self {
            shop,
            api_version: version,
            api,
            plan: PLAN.read(store)?.unwrap_or_else(|| "standard".to_owned()),
            access_token: store.credential("access_token")?.clone(),
            api_secret: store.optional_credential("api_secret").cloned(),
            client_id: store
                .optional_credential("client_id")
                .map(|s| s.expose().to_owned()),
            refresh_token: store.optional_credential("refresh_token").cloned(),
            token_expires_at: TOKEN_EXPIRES_AT
                .read::<String>(store)?
                .and_then(|t| polycart_kit::decode::parse_datetime(&t)),
        })
    }

    /// The REST bucket the governor starts from.
    pub fn rest_budget(&self) -> Budget {
        match self.plan.as_str() {
            "plus" | "shopify_plus" => Budget::new(400, 20.0),
            "advanced" => Budget::new(80, 4.0),
            _ => Budget::new(40, 2.0),
        }
    }

    /// The GraphQL cost bucket the governor starts from (points, restore per second).
    pub fn graphql_budget(&self) -> Budget {
        match self.plan.as_str() {
            "plus" | "shopify_plus" => Budget::new(20_000, 1000.0),
            "advanced" => Budget::new(4000, 200.0),
            _ => Budget::new(2000, 100.0),
        }
    }

    /// `{shop}/admin/api/{version}/{path}`: the only way a REST or GraphQL URL is made,
    /// so every id in it went through the kit's path builder.
    pub fn rest_url(&self, path: &ApiPath) -> Url {
        let mut root = self.shop.clone();
        root.set_path(&format!("/admin/api/{}", self.api_version));
        path.under(&root)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn store(settings: &[(&str, &str)]) -> StoreConfig {
        let mut credentials = BTreeMap::new();
        credentials.insert("access_token".to_owned(), Secret::new("shpat_x"));
        StoreConfig {
            store_id: "s".into(),
            base_url: "https://shop.myshopify.com/admin?x=1".parse().unwrap(),
            credentials,
            settings: settings
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        }
    }

    #[test]
    fn defaults_to_graphql_on_a_recent_version() {
        let c = ShopifyConfig::from_store(&store(&[])).unwrap();
        assert_eq!(c.api, Api::Graphql);
        assert_eq!(c.api_version, DEFAULT_API_VERSION);
        let mut dated = c.clone();
        dated.api_version = "2024-07".to_owned();
        assert_eq!(
            dated.api_version_sunset().unwrap().to_rfc3339(),
            "2025-07-01T00:00:00+00:00"
        );
        dated.api_version = "unstable".to_owned();
        assert_eq!(dated.api_version_sunset(), None);
        assert!(DEFAULT_API_VERSION >= "2025-01");
        assert_eq!(c.shop.as_str(), "https://shop.myshopify.com/");
        assert_eq!(
            c.rest_url(&ApiPath::new("orders.json")).as_str(),
            "https://shop.myshopify.com/admin/api/2026-01/orders.json"
        );
        assert_eq!(c.rest_budget(), Budget::new(40, 2.0));
        assert_eq!(c.graphql_budget(), Budget::new(2000, 100.0));
    }

    #[test]
    fn any_yyyy_mm_version_and_either_api_per_store() {
        let c = ShopifyConfig::from_store(&store(&[
            ("api_version", "2024-07"),
            ("api", "rest"),
            ("plan", "plus"),
        ]))
        .unwrap();
        assert_eq!((c.api, c.api_version.as_str()), (Api::Rest, "2024-07"));
        assert_eq!(c.rest_budget(), Budget::new(400, 20.0));
        assert_eq!(c.graphql_budget(), Budget::new(20_000, 1000.0));
        for bad in [
            ("api_version", "2024-7"),
            ("api_version", "latest"),
            ("api", "soap"),
        ] {
            assert!(
                matches!(
                    ShopifyConfig::from_store(&store(&[bad])),
                    Err(Error::Invalid { .. })
                ),
                "{bad:?}"
            );
        }
        let secret = format!("{:?}", ShopifyConfig::from_store(&store(&[])).unwrap());
        assert!(!secret.contains("shpat_x"), "{secret}");
    }
}
