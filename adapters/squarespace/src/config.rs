//! A Squarespace store's settings, typed: the API host (`https://api.squarespace.com`,
//! every versioned path under it), the access token (an API key or an OAuth access
//! token, a `Secret` never printed), the optional OAuth refresh credentials and the
//! webhook subscription's secret, and the request budget (Squarespace allows 300
//! requests a minute and answers more with a 429 and a minute's cool-down), declared in
//! [`SETTINGS`].

use std::time::Duration;

use polycart_kit::settings::{SettingKind, SettingSpec};
use polycart_kit::transport::Budget;
use polycart_kit::{Error, Result, Secret, StoreConfig};
use url::Url;

/// The settings a Squarespace store takes.
pub const SETTINGS: &[SettingSpec] = &[RATE, COOLDOWN, TOKEN_URL, TOKEN_EXPIRES_AT];

/// Squarespace's OAuth token endpoint.
pub const TOKEN_URL_DEFAULT: &str =
    "https://login.squarespace.com/api/1/login/oauth/provider/tokens";

const RATE: SettingSpec = SettingSpec {
    name: "requests_per_minute",
    kind: SettingKind::Integer { min: 1, max: 300 },
    default: Some("300"),
    doc: "requests per minute the store's key may send (Squarespace's limit is 300)",
};

const COOLDOWN: SettingSpec = SettingSpec {
    name: "cooldown_seconds",
    kind: SettingKind::Integer { min: 0, max: 300 },
    default: Some("60"),
    doc: "how long a 429 without Retry-After is waited out (Squarespace documents a one-minute cool-down)",
};

const TOKEN_URL: SettingSpec = SettingSpec {
    name: "token_url",
    kind: SettingKind::Text,
    default: Some(TOKEN_URL_DEFAULT),
    doc: "the OAuth token endpoint refreshes go to",
};

const TOKEN_EXPIRES_AT: SettingSpec = SettingSpec {
    name: "token_expires_at",
    kind: SettingKind::Timestamp,
    default: None,
    doc: "when the OAuth access token lapses (it is refreshed before)",
};

/// The OAuth app and refresh token that renew an expiring access token.
#[derive(Debug, Clone)]
pub struct OAuthRefresh {
    pub client_id: String,
    pub client_secret: Secret,
    pub refresh_token: Secret,
    pub token_url: Url,
    pub expires_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// A connected Squarespace store.
#[derive(Debug, Clone)]
pub struct SquarespaceConfig {
    /// `{base_url}/`: versioned paths (`1.0/commerce/orders`, `v2/commerce/products`)
    /// are relative to it.
    pub api_root: Url,
    /// An API key or an OAuth access token, sent as a bearer token.
    pub access_token: Secret,
    /// Present when the store connected through OAuth with a refresh token.
    pub oauth: Option<OAuthRefresh>,
    /// The webhook subscription's secret (hex), the key of `Squarespace-Signature`.
    pub webhook_secret: Option<Secret>,
    pub budget: Budget,
    /// How long a 429 without `Retry-After` is waited out.
    pub cooldown: Duration,
}

/// The governor's budget for `per_minute` requests a minute: a small burst, and a
/// rate such that no minute holds more than `per_minute` (burst + 60 s of rate), since
/// Squarespace answers the 301st request of a minute with a minute's cool-down.
pub fn budget(per_minute: u32) -> Budget {
    let burst = (per_minute / 30).max(1);
    let rest = per_minute.saturating_sub(burst);
    Budget::new(burst, f64::from(rest) / 60.0)
}

impl SquarespaceConfig {
    /// Reads credentials `access_token` and (optional) `refresh_token`, `client_id`,
    /// `client_secret`, `webhook_secret`, and the [`SETTINGS`].
    pub fn from_store(store: &StoreConfig) -> Result<Self> {
        let path = store.base_url.path().trim_end_matches('/');
        let mut api_root = store.base_url.clone();
        api_root.set_path(&format!("{path}/"));
        api_root.set_query(None);
        let per_minute: u32 = RATE.read(store)?.unwrap_or(300);
        let cooldown: u64 = COOLDOWN.read(store)?.unwrap_or(60);
        let oauth = match store.optional_credential("refresh_token") {
            None => None,
            Some(refresh) => {
                let client_id = store.credential("client_id").map_err(|_| {
                    Error::invalid("a refresh token needs the client_id credential")
                })?;
                let client_secret = store.credential("client_secret").map_err(|_| {
                    Error::invalid("a refresh token needs the client_secret credential")
                })?;
                let url: String = TOKEN_URL
                    .read(store)?
                    .unwrap_or_else(|| TOKEN_URL_DEFAULT.to_owned());
                let token_url =
                    Url::parse(&url).map_err(|_| Error::invalid("setting token_url: not a URL"))?;
                // Credentials go there: HTTPS only (plain HTTP to this machine, for
                // simulators).
                let loopback = matches!(
                    token_url.host_str(),
                    Some("127.0.0.1" | "localhost" | "[::1]")
                );
                if token_url.scheme() != "https" && !(token_url.scheme() == "http" && loopback) {
                    return Err(Error::invalid(
                        "setting token_url: an https URL is required",
                    ));
                }
                Some(OAuthRefresh {
                    client_id: client_id.expose().to_owned(),
                    client_secret: client_secret.clone(),
                    refresh_token: refresh.clone(),
                    token_url,
                    expires_at: TOKEN_EXPIRES_AT
                        .read::<String>(store)?
                        .and_then(|t| polycart_kit::decode::parse_datetime(&t)),
                })
            }
        };
        Ok(Self {
            api_root,
            access_token: store.credential("access_token")?.clone(),
            oauth,
            webhook_secret: store.optional_credential("webhook_secret").cloned(),
            budget: budget(per_minute),
            cooldown: Duration::from_secs(cooldown),
        })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn store(credentials: &[(&str, &str)], settings: &[(&str, &str)]) -> StoreConfig {
        StoreConfig {
            store_id: "s".into(),
            base_url: "https://api.squarespace.com".parse().unwrap(),
            credentials: credentials
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
    fn api_key_store() {
        let c = SquarespaceConfig::from_store(&store(&[("access_token", "k")], &[])).unwrap();
        assert_eq!(c.api_root.as_str(), "https://api.squarespace.com/");
        assert!(c.oauth.is_none());
        assert_eq!(c.cooldown, Duration::from_secs(60));
        assert!(SquarespaceConfig::from_store(&store(&[], &[])).is_err());
        assert!(
            SquarespaceConfig::from_store(&store(
                &[("access_token", "k")],
                &[("requests_per_minute", "301")]
            ))
            .is_err()
        );
    }

    #[test]
    fn no_minute_holds_more_than_the_limit() {
        for per_minute in [1, 2, 30, 299, 300] {
            let b = budget(per_minute);
            let most = f64::from(b.burst) + b.per_second * 60.0;
            // (The governor's floor of 0.001 a second adds 0.06 a minute at most.)
            assert!(
                most <= f64::from(per_minute) + 0.06 + 1e-9,
                "{per_minute}: {b:?}"
            );
            assert!(most >= f64::from(per_minute) * 0.9, "{per_minute}: {b:?}");
        }
    }

    #[test]
    fn oauth_store_needs_its_client() {
        let partial = store(&[("access_token", "k"), ("refresh_token", "r")], &[]);
        assert!(SquarespaceConfig::from_store(&partial).is_err());
        let full = store(
            &[
                ("access_token", "k"),
                ("refresh_token", "r"),
                ("client_id", "id"),
                ("client_secret", "s"),
            ],
            &[("token_expires_at", "2026-01-01T00:00:00Z")],
        );
        let c = SquarespaceConfig::from_store(&full).unwrap();
        let mut plain = full.clone();
        plain
            .settings
            .insert("token_url".into(), "http://tokens.example/x".into());
        assert!(SquarespaceConfig::from_store(&plain).is_err());
        let o = c.oauth.unwrap();
        assert_eq!(o.token_url.as_str(), TOKEN_URL_DEFAULT);
        assert!(o.expires_at.is_some());
    }
}
