//! An Ecwid store's settings, typed: the store's API root
//! (`https://app.ecwid.com/api/v3/{storeId}`, the store id its last segment), its secret
//! token and the app's client secret (both `Secret`s, never printed), and the request
//! budget (Ecwid allows 600 requests a minute per token), declared in [`SETTINGS`].

use polycart_kit::settings::{SettingKind, SettingSpec};
use polycart_kit::transport::Budget;
use polycart_kit::{IdGrammar, Result, Secret, StoreConfig};
use url::Url;

/// The settings an Ecwid store takes.
pub const SETTINGS: &[SettingSpec] = &[RATE];

const RATE: SettingSpec = SettingSpec {
    name: "requests_per_minute",
    kind: SettingKind::Integer { min: 1, max: 600 },
    default: Some("600"),
    doc: "requests per minute the store's token may send (Ecwid's limit is 600)",
};

/// A connected Ecwid store.
#[derive(Debug, Clone)]
pub struct EcwidConfig {
    /// `{base_url}/`: `https://app.ecwid.com/api/v3/{storeId}/`; every path is relative
    /// to it.
    pub api_root: Url,
    /// The numeric store id (the last segment of the base URL), if the URL names it:
    /// without it the URL is taken as the API root as given, and webhook deliveries
    /// (which name their store) cannot be matched to the store and are refused.
    pub store_id: Option<String>,
    /// `secret_…`: the store's private token, sent as a bearer token.
    pub secret_token: Secret,
    /// The app's client secret: the key of webhook signatures (webhooks are off
    /// without it).
    pub client_secret: Option<Secret>,
    pub budget: Budget,
}

impl EcwidConfig {
    pub fn from_store(store: &StoreConfig) -> Result<Self> {
        let path = store.base_url.path().trim_end_matches('/');
        let last = path.rsplit('/').next().unwrap_or_default();
        let store_id = IdGrammar::Numeric.check(last).ok().map(str::to_owned);
        let mut api_root = store.base_url.clone();
        api_root.set_path(&format!("{path}/"));
        api_root.set_query(None);
        let per_minute: u32 = RATE.read(store)?.unwrap_or(600);
        let per_second = f64::from(per_minute) / 60.0;
        Ok(Self {
            api_root,
            store_id,
            secret_token: store.credential("secret_token")?.clone(),
            client_secret: store.optional_credential("client_secret").cloned(),
            // A burst of ten seconds' worth, at most the minute's budget.
            budget: Budget::new((per_minute / 6).max(1), per_second),
        })
    }
}
