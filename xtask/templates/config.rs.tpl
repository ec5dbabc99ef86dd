//! A {{Name}} store's settings, typed: its API root, its access token (a `Secret`,
//! never printed) and the request budget, each declared in [`SETTINGS`] so `stores
//! add --setting` checks them and `polycart platforms` lists them.

use polycart_kit::settings::{SettingKind, SettingSpec};
use polycart_kit::transport::Budget;
use polycart_kit::{Result, Secret, StoreConfig};
use url::Url;

/// The settings a {{Name}} store takes.
pub const SETTINGS: &[SettingSpec] = &[RATE];

const RATE: SettingSpec = SettingSpec {
    name: "requests_per_second",
    kind: SettingKind::Integer { min: 1, max: 100 },
    default: Some("4"),
    doc: "requests per second the store may receive",
};

/// A connected {{Name}} store.
#[derive(Debug, Clone)]
pub struct {{Name}}Config {
    /// `{base_url}/api/v1/`: every path is relative to it.
    pub api_root: Url,
    pub access_token: Secret,
    pub budget: Budget,
}

impl {{Name}}Config {
    pub fn from_store(store: &StoreConfig) -> Result<Self> {
        let mut api_root = store.base_url.clone();
        api_root.set_path(&format!("{}/api/v1/", store.base_url.path().trim_end_matches('/')));
        let rate: u32 = RATE.read(store)?.unwrap_or(4);
        Ok(Self {
            api_root,
            access_token: store.credential("access_token")?.clone(),
            budget: Budget::new(rate, f64::from(rate)),
        })
    }
}
