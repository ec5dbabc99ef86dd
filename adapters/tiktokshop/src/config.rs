//! A TikTok Shop store's settings, typed: the API host (`https://open-api.tiktokglobalshop.com`)
//! and the token host (`https://auth.tiktok-shops.com`), both checked (HTTPS, or HTTP
//! to this machine for the simulator), the app's key and secret and the shop's token
//! pair (`Secret`s, never printed), the shop cipher when the merchant names one, and
//! the request budget, each declared in [`SETTINGS`].

use chrono::{DateTime, Utc};
use polycart_kit::connector::OptionalCredential;
use polycart_kit::net::check_credential_endpoint;
use polycart_kit::settings::{SettingKind, SettingSpec};
use polycart_kit::transport::Budget;
use polycart_kit::{Error, Result, Secret, StoreConfig};
use url::Url;

/// The settings a TikTok Shop store takes.
pub const SETTINGS: &[SettingSpec] = &[RATE, AUTH_URL, SHOP_CIPHER, TOKEN_EXPIRES_AT];

/// The credentials every store gives.
pub const CREDENTIALS: &[&str] = &["app_key", "app_secret", "access_token"];

/// The refresh token: without it an expired access token ends the sync.
pub const OPTIONAL: &[OptionalCredential] = &[OptionalCredential {
    name: "refresh_token",
    feature: "token_refresh",
    purpose: "renewing the 7-day access token (single-use: each refresh rotates it)",
}];

/// TikTok Shop's token host.
pub const AUTH_URL_DEFAULT: &str = "https://auth.tiktok-shops.com/";

const RATE: SettingSpec = SettingSpec {
    name: "requests_per_second",
    kind: SettingKind::Integer { min: 1, max: 50 },
    default: Some("10"),
    doc: "requests per second the shop may receive (TikTok Shop allows 50 per API)",
};

const AUTH_URL: SettingSpec = SettingSpec {
    name: "auth_url",
    kind: SettingKind::Text,
    default: Some(AUTH_URL_DEFAULT),
    doc: "the token host refreshes go to (a simulator's own origin when the API host is this machine)",
};

const SHOP_CIPHER: SettingSpec = SettingSpec {
    name: "shop_cipher",
    kind: SettingKind::Text,
    default: None,
    doc: "the shop's cipher (from Get Authorized Shops); needed when the token authorises several shops",
};

const TOKEN_EXPIRES_AT: SettingSpec = SettingSpec {
    name: "token_expires_at",
    kind: SettingKind::Timestamp,
    default: None,
    doc: "when the access token lapses (it is refreshed shortly before)",
};

/// A connected TikTok Shop store.
#[derive(Debug, Clone)]
pub struct TikTokShopConfig {
    /// `{base_url}/`: versioned paths (`order/202309/orders/search`) are under it.
    pub api_root: Url,
    /// The token host's root (`api/v2/token/refresh` is under it).
    pub auth_root: Url,
    pub app_key: String,
    pub app_secret: Secret,
    pub access_token: Secret,
    pub refresh_token: Option<Secret>,
    pub expires_at: Option<DateTime<Utc>>,
    pub shop_cipher: Option<String>,
    pub budget: Budget,
}

fn root(url: &Url) -> Url {
    let mut root = url.clone();
    root.set_path(&format!("{}/", url.path().trim_end_matches('/')));
    root.set_query(None);
    root.set_fragment(None);
    root
}

impl TikTokShopConfig {
    pub fn from_store(store: &StoreConfig) -> Result<Self> {
        let api_root = root(&store.base_url);
        check_credential_endpoint(&api_root, "base_url")?;
        // A simulator (plain HTTP to this machine) serves both hosts on its one origin.
        let auth_root = if store.setting(AUTH_URL.name).is_none() && api_root.scheme() == "http" {
            api_root.clone()
        } else {
            let url: String = AUTH_URL
                .read(store)?
                .unwrap_or_else(|| AUTH_URL_DEFAULT.to_owned());
            root(&Url::parse(&url).map_err(|_| Error::invalid("setting auth_url: not a URL"))?)
        };
        check_credential_endpoint(&auth_root, "setting auth_url")?;
        let rate: u32 = RATE.read(store)?.unwrap_or(10);
        let expires_at = TOKEN_EXPIRES_AT
            .read::<String>(store)?
            .and_then(|t| polycart_kit::decode::parse_datetime(&t));
        Ok(Self {
            api_root,
            auth_root,
            app_key: store.credential("app_key")?.expose().to_owned(),
            app_secret: store.credential("app_secret")?.clone(),
            access_token: store.credential("access_token")?.clone(),
            refresh_token: store.optional_credential("refresh_token").cloned(),
            expires_at,
            shop_cipher: SHOP_CIPHER.read::<String>(store)?,
            budget: Budget::new(rate.min(10), f64::from(rate)),
        })
    }
}
