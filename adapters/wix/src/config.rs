//! A Wix store's settings, typed: the API root (`https://www.wixapis.com`), how the
//! store authenticates (app OAuth with the site's instance id, the legacy refresh
//! token, or an API key with the site id), the app's public key for webhook JWTs, the
//! token the token sink persisted, and the request budget (Wix allows 200 requests a
//! minute per app instance), declared in [`SETTINGS`]. Secrets are `Secret`s, never
//! printed.

use chrono::{DateTime, Utc};
use polycart_kit::settings::{SettingKind, SettingSpec};
use polycart_kit::transport::Budget;
use polycart_kit::{Error, IdGrammar, Result, Secret, StoreConfig};
use url::Url;

/// The settings a Wix store takes.
pub const SETTINGS: &[SettingSpec] = &[AUTH, RATE, TOKEN_EXPIRES_AT];

const AUTH: SettingSpec = SettingSpec {
    name: "auth",
    kind: SettingKind::OneOf {
        values: &["auto", "oauth", "legacy", "api_key"],
    },
    default: Some("auto"),
    doc: "oauth: app_id, app_secret and the site's instance_id (client credentials); legacy: app_id, app_secret and refresh_token (custom authentication); api_key: api_key and site_id (the site's id, sent as wix-site-id); auto: the first whose credentials are there (oauth, legacy, api_key)",
};

const RATE: SettingSpec = SettingSpec {
    name: "requests_per_minute",
    kind: SettingKind::Integer { min: 1, max: 200 },
    default: Some("200"),
    doc: "requests per minute the app instance may send (Wix's limit is 200)",
};

const TOKEN_EXPIRES_AT: SettingSpec = SettingSpec {
    name: "token_expires_at",
    kind: SettingKind::Timestamp,
    default: None,
    doc: "when the persisted access token lapses (a new one is made before)",
};

/// How a store's requests are authenticated.
#[derive(Debug, Clone)]
pub enum WixAuth {
    /// App OAuth: a token minted from the app's id and secret and the site's app
    /// instance id (`POST /oauth2/token`, client credentials; tokens last 4 hours).
    OAuth {
        app_id: String,
        app_secret: Secret,
        instance_id: String,
    },
    /// Custom authentication (legacy): access tokens (5 minutes) from the install's
    /// refresh token (`POST /oauth/access`).
    Legacy {
        app_id: String,
        app_secret: Secret,
        refresh_token: Secret,
    },
    /// An API key from the site owner's account, with the site id.
    ApiKey { api_key: Secret, site_id: String },
}

/// A connected Wix store.
#[derive(Debug, Clone)]
pub struct WixConfig {
    /// `{base_url}/`: every path is relative to it (`ecom/v1/orders/search`), the token
    /// endpoints too (`oauth2/token`).
    pub api_root: Url,
    pub auth: WixAuth,
    /// The access token the token sink persisted, and when it lapses.
    pub access_token: Option<Secret>,
    pub token_expires_at: Option<DateTime<Utc>>,
    /// The app's public key (PEM): webhook JWTs are verified with it (webhooks are off
    /// without it).
    pub webhook_public_key: Option<Secret>,
    pub budget: Budget,
}

/// What a store without credentials is told.
pub const MISSING_CREDENTIALS: &str = "missing credentials: a Wix store needs app_id, app_secret and instance_id (OAuth), app_id, app_secret and refresh_token (legacy custom authentication), or api_key and site_id (API key)";

impl WixConfig {
    pub fn from_store(store: &StoreConfig) -> Result<Self> {
        let has = |n: &str| store.optional_credential(n).is_some();
        let mode = AUTH.read::<String>(store)?.unwrap_or_else(|| "auto".into());
        let mode = match mode.as_str() {
            "auto" if has("instance_id") => "oauth",
            "auto" if has("refresh_token") => "legacy",
            "auto" if has("api_key") => "api_key",
            "auto" => return Err(Error::invalid(MISSING_CREDENTIALS)),
            other => other,
        }
        .to_owned();
        let text = |n: &str| -> Result<String> {
            let v = store.credential(n)?.expose().trim().to_owned();
            IdGrammar::Token.check(&v).map_err(|_| {
                Error::invalid(format!(
                    "credential {n:?} is not a Wix id (letters, digits, '-')"
                ))
            })?;
            Ok(v)
        };
        let auth = match mode.as_str() {
            "oauth" => WixAuth::OAuth {
                app_id: text("app_id")?,
                app_secret: store.credential("app_secret")?.clone(),
                instance_id: text("instance_id")?,
            },
            "legacy" => WixAuth::Legacy {
                app_id: text("app_id")?,
                app_secret: store.credential("app_secret")?.clone(),
                refresh_token: store.credential("refresh_token")?.clone(),
            },
            _ => {
                // The site id travels with the key: both are what the site owner copies
                // from the account's API keys page.
                WixAuth::ApiKey {
                    api_key: store.credential("api_key")?.clone(),
                    site_id: text("site_id")?,
                }
            }
        };
        let mut api_root = store.base_url.clone();
        let path = api_root.path().trim_end_matches('/').to_owned();
        api_root.set_path(&format!("{path}/"));
        api_root.set_query(None);
        let per_minute: u32 = RATE.read(store)?.unwrap_or(200);
        // A burst of a tenth of the minute, the rest spread over it: at most the
        // minute's budget in any minute.
        let burst = (per_minute / 10).max(1);
        let per_second = f64::from(per_minute - burst).max(1.0) / 60.0;
        Ok(Self {
            api_root,
            auth,
            access_token: store.optional_credential("access_token").cloned(),
            token_expires_at: TOKEN_EXPIRES_AT
                .read::<String>(store)?
                .and_then(|t| polycart_kit::decode::parse_datetime(&t)),
            webhook_public_key: store.optional_credential("webhook_public_key").cloned(),
            budget: Budget::new(burst, per_second),
        })
    }

    /// The site's app instance id, when the store knows it (webhook deliveries name
    /// the instance they are for).
    pub fn instance_id(&self) -> Option<&str> {
        match &self.auth {
            WixAuth::OAuth { instance_id, .. } => Some(instance_id),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn store(creds: &[(&str, &str)], settings: &[(&str, &str)]) -> StoreConfig {
        StoreConfig {
            store_id: "s".into(),
            base_url: "https://www.wixapis.com".parse().unwrap(),
            credentials: creds
                .iter()
                .map(|(k, v)| ((*k).to_owned(), Secret::new(*v)))
                .collect(),
            settings: settings
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect::<BTreeMap<_, _>>(),
        }
    }

    #[test]
    fn the_auth_mode_follows_the_credentials_unless_set() {
        let oauth = WixConfig::from_store(&store(
            &[
                ("app_id", "a1"),
                ("app_secret", "s"),
                ("instance_id", "i-1"),
            ],
            &[],
        ))
        .unwrap();
        assert!(matches!(oauth.auth, WixAuth::OAuth { .. }));
        assert_eq!(oauth.api_root.as_str(), "https://www.wixapis.com/");
        assert_eq!(oauth.instance_id(), Some("i-1"));
        let key = WixConfig::from_store(&store(&[("api_key", "k"), ("site_id", "site-1")], &[]));
        assert!(matches!(key.unwrap().auth, WixAuth::ApiKey { .. }));
        assert!(WixConfig::from_store(&store(&[("api_key", "k")], &[])).is_err());
        assert!(WixConfig::from_store(&store(&[], &[])).is_err());
        let forced = WixConfig::from_store(&store(
            &[
                ("app_id", "a1"),
                ("app_secret", "s"),
                ("refresh_token", "r"),
            ],
            &[("auth", "legacy")],
        ))
        .unwrap();
        assert!(matches!(forced.auth, WixAuth::Legacy { .. }));
        // An instance id that could leave its header is refused.
        assert!(
            WixConfig::from_store(&store(
                &[
                    ("app_id", "a1"),
                    ("app_secret", "s"),
                    ("instance_id", "i\r\nx")
                ],
                &[],
            ))
            .is_err()
        );
    }
}
