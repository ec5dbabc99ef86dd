//! A BigCommerce store's typed settings, read from the app's `StoreConfig`: the API
//! root, the access token, the webhook keys, and optional overrides. Secrets stay
//! `Secret`s and never print.

use std::time::Duration;

use polycart_kit::model::Currency;
use polycart_kit::settings::{SettingKind, SettingSpec};
use polycart_kit::transport::Budget;
use polycart_kit::{ApiPath, Error, Result, Secret, StoreConfig};
use url::Url;

/// How to reach and trust one BigCommerce store.
#[derive(Debug, Clone)]
pub struct BigCommerceConfig {
    /// The store's API root: `https://api.bigcommerce.com/stores/{store_hash}` (or a
    /// simulator's), under which `/v2/...` and `/v3/...` live. No trailing slash.
    pub api_root: String,
    /// Sent as `X-Auth-Token`.
    pub access_token: Secret,
    /// The app's client secret: the key of Standard Webhooks signatures.
    pub client_secret: Option<Secret>,
    /// A custom header (name, value) the store's hooks were registered with.
    pub webhook_header: Option<(String, Secret)>,
    /// The store's default currency; read from `/v2/store` when not set.
    pub currency: Option<Currency>,
    /// Sub-resource requests in flight at once while reading a page of orders.
    pub concurrency: usize,
    /// Read categories from this category tree (`/v3/catalog/trees/categories`, for
    /// multi-storefront stores) instead of `/v3/catalog/categories`.
    pub category_tree: Option<u64>,
    /// How far a webhook's timestamp may be from now.
    pub webhook_tolerance: Duration,
    /// The rate budget the governor starts from (the plan's; headers correct it).
    pub budget: Budget,
}

/// The settings a BigCommerce store takes.
pub(crate) const SETTINGS: &[SettingSpec] =
    &[CURRENCY, CONCURRENCY, CATEGORY_TREE, STORE_HASH, PLAN];

const CURRENCY: SettingSpec = SettingSpec {
    name: "currency",
    kind: SettingKind::Currency,
    default: None,
    doc: "the store's currency (default: read from /v2/store)",
};
const CONCURRENCY: SettingSpec = SettingSpec {
    name: "concurrency",
    kind: SettingKind::Integer { min: 1, max: 32 },
    default: Some("4"),
    doc: "requests in flight at once for one store (order sub-resources)",
};
const CATEGORY_TREE: SettingSpec = SettingSpec {
    name: "category_tree",
    kind: SettingKind::Integer {
        min: 1,
        max: 4_294_967_295,
    },
    default: None,
    doc: "read categories of this catalog tree (multi-storefront); default: every category",
};
const STORE_HASH: SettingSpec = SettingSpec {
    name: "store_hash",
    kind: SettingKind::Text,
    default: None,
    doc: "the store hash, when the base URL is https://api.bigcommerce.com",
};
const PLAN: SettingSpec = SettingSpec {
    name: "plan",
    kind: SettingKind::OneOf {
        values: &["standard", "plus", "pro", "enterprise"],
    },
    default: Some("standard"),
    doc: "the store's plan, which sizes the rate budget it starts from (150 or 450 requests per 30 s; the X-Rate-Limit headers correct it)",
};

impl BigCommerceConfig {
    /// Reads credentials `access_token` (required), `client_secret`,
    /// `webhook_header_name` + `webhook_header_value`, `store_hash` (also a setting),
    /// and settings `currency`, `concurrency` (default 4) and `category_tree` (a tree id).
    pub fn from_store(store: &StoreConfig) -> Result<Self> {
        let api_root = api_root(store)?;
        let currency = CURRENCY
            .read::<String>(store)?
            .map(|c| {
                Currency::parse(&c).map_err(|e| Error::invalid(format!("setting currency: {e}")))
            })
            .transpose()?;
        let concurrency = CONCURRENCY.read(store)?.unwrap_or(4);
        let category_tree = CATEGORY_TREE.read(store)?;
        let budget = match PLAN.read::<String>(store)?.as_deref() {
            Some("pro" | "enterprise") => Budget::new(450, 15.0),
            _ => Budget::new(150, 5.0),
        };
        let webhook_header = match (
            store.optional_credential("webhook_header_name"),
            store.optional_credential("webhook_header_value"),
        ) {
            (Some(name), Some(value)) => Some((name.expose().to_ascii_lowercase(), value.clone())),
            (None, None) => None,
            _ => {
                return Err(Error::invalid(
                    "webhook_header_name and webhook_header_value go together",
                ));
            }
        };
        Ok(Self {
            api_root,
            access_token: store.credential("access_token")?.clone(),
            client_secret: store.optional_credential("client_secret").cloned(),
            webhook_header,
            currency,
            concurrency,
            category_tree,
            webhook_tolerance: Duration::from_secs(300),
            budget,
        })
    }

    /// `api_root` + `path` (`v2/orders`): every id in the path went through the
    /// kit's path builder.
    pub fn url(&self, path: &ApiPath) -> Result<Url> {
        let root =
            Url::parse(&self.api_root).map_err(|e| Error::invalid(format!("bad api root: {e}")))?;
        Ok(path.under(&root))
    }
}

/// The store's API root: `base_url` when it names the store already
/// (`https://api.bigcommerce.com/stores/{hash}`, a simulator's), or a host
/// (`https://api.bigcommerce.com`) with `/stores/{store_hash}` added.
fn api_root(store: &StoreConfig) -> Result<String> {
    let base = store.base_url.as_str().trim_end_matches('/');
    let hash = store
        .optional_credential("store_hash")
        .map(|h| h.expose().to_owned())
        .or_else(|| store.setting("store_hash").map(str::to_owned));
    let named = store
        .base_url
        .path()
        .trim_end_matches('/')
        .rsplit_once("/stores/")
        .map(|(_, h)| h.to_owned());
    match (named, hash) {
        (Some(named), Some(hash)) if named != hash => Err(Error::invalid(format!(
            "base_url names store {named:?} but store_hash is {hash:?}"
        ))),
        (None, Some(hash)) => {
            if hash.is_empty() || !hash.bytes().all(|b| b.is_ascii_alphanumeric()) {
                return Err(Error::invalid(format!("{hash:?} is not a store hash")));
            }
            Ok(format!("{base}/stores/{hash}"))
        }
        _ => Ok(base.to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store(url: &str, hash: Option<&str>) -> StoreConfig {
        let mut credentials = std::collections::BTreeMap::new();
        credentials.insert("access_token".to_owned(), Secret::new("t"));
        if let Some(h) = hash {
            credentials.insert("store_hash".to_owned(), Secret::new(h));
        }
        StoreConfig {
            store_id: "s".into(),
            base_url: url.parse().unwrap(),
            credentials,
            settings: Default::default(),
        }
    }

    #[test]
    fn the_api_root_comes_from_the_url_or_the_store_hash() {
        let root = |url, hash| BigCommerceConfig::from_store(&store(url, hash)).map(|c| c.api_root);
        assert_eq!(
            root("https://api.bigcommerce.com", Some("abc123")).unwrap(),
            "https://api.bigcommerce.com/stores/abc123"
        );
        assert_eq!(
            root("https://api.bigcommerce.com/stores/abc123/", None).unwrap(),
            "https://api.bigcommerce.com/stores/abc123"
        );
        assert_eq!(
            root("http://127.0.0.1:9/stores/sim7", Some("sim7")).unwrap(),
            "http://127.0.0.1:9/stores/sim7"
        );
        assert!(root("https://api.bigcommerce.com/stores/abc", Some("xyz")).is_err());
        assert!(root("https://api.bigcommerce.com", Some("../x")).is_err());
        let c =
            BigCommerceConfig::from_store(&store("https://api.bigcommerce.com/stores/abc", None))
                .unwrap();
        assert_eq!(
            c.url(&ApiPath::new("v2/orders")).unwrap().path(),
            "/stores/abc/v2/orders"
        );
        assert!(!format!("{c:?}").contains("\"t\""), "{c:?}");
    }
}
