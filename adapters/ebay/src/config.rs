//! An eBay seller's settings, typed: the API host (`https://api.ebay.com`, or the
//! sandbox `https://api.sandbox.ebay.com`; the token endpoint is
//! `{host}/identity/v1/oauth2/token`), the app's client id and secret and the seller's
//! refresh token (`Secret`s, never printed), the access token and its expiry when the
//! app has them, the refresh token's own expiry, the consented scopes, and the
//! per-API daily call limits the governors are sized from, declared in [`SETTINGS`].

use chrono::{DateTime, Utc};
use polycart_kit::settings::{SettingKind, SettingSpec};
use polycart_kit::transport::Budget;
use polycart_kit::{Error, Result, Secret, StoreConfig};
use url::Url;

/// The settings an eBay store takes.
pub const SETTINGS: &[SettingSpec] = &[
    SCOPES,
    TOKEN_EXPIRES_AT,
    REFRESH_TOKEN_EXPIRES_AT,
    FULFILLMENT_PER_DAY,
    INVENTORY_PER_DAY,
    NOTIFICATION_KEY_ID,
];

const NOTIFICATION_KEY_ID: SettingSpec = SettingSpec {
    name: "notification_key_id",
    kind: SettingKind::Text,
    default: None,
    doc: "the kid of the notification_public_key (deliveries signed with another key are refused, naming it)",
};

const SCOPES: SettingSpec = SettingSpec {
    name: "scopes",
    kind: SettingKind::OneOf {
        values: &["read_write", "read_only"],
    },
    default: Some("read_write"),
    doc: "the scopes the seller consented to (sell.fulfillment and sell.inventory, or their .readonly forms); a refresh asks for the same",
};

const TOKEN_EXPIRES_AT: SettingSpec = SettingSpec {
    name: "token_expires_at",
    kind: SettingKind::Timestamp,
    default: None,
    doc: "when the stored access token expires (kept by the app after each refresh)",
};

const REFRESH_TOKEN_EXPIRES_AT: SettingSpec = SettingSpec {
    name: "refresh_token_expires_at",
    kind: SettingKind::Timestamp,
    default: None,
    doc: "when the refresh token lapses (about 18 months after consent: refresh_token_expires_in); after it the seller must re-authorise",
};

const FULFILLMENT_PER_DAY: SettingSpec = SettingSpec {
    name: "fulfillment_calls_per_day",
    kind: SettingKind::Integer {
        min: 1,
        max: 100_000_000,
    },
    default: Some("100000"),
    doc: "the app's daily call limit of the Fulfillment API (the Developer Analytics API's rate_limit reports it)",
};

const INVENTORY_PER_DAY: SettingSpec = SettingSpec {
    name: "inventory_calls_per_day",
    kind: SettingKind::Integer {
        min: 1,
        max: 100_000_000,
    },
    default: Some("2000000"),
    doc: "the app's daily call limit of the Inventory API",
};

/// The OAuth scopes of each `scopes` setting.
fn scope_list(which: &str) -> &'static str {
    match which {
        "read_only" => {
            "https://api.ebay.com/oauth/api_scope/sell.fulfillment.readonly https://api.ebay.com/oauth/api_scope/sell.inventory.readonly"
        }
        _ => {
            "https://api.ebay.com/oauth/api_scope/sell.fulfillment https://api.ebay.com/oauth/api_scope/sell.inventory"
        }
    }
}

/// A connected eBay seller.
#[derive(Debug, Clone)]
pub struct EbayConfig {
    /// `{base_url}/`: paths (`sell/fulfillment/v1/order`) are relative to it.
    pub api_root: Url,
    /// `{base_url}/identity/v1/oauth2/token`.
    pub token_url: Url,
    pub client_id: Secret,
    pub client_secret: Secret,
    pub refresh_token: Secret,
    pub access_token: Option<Secret>,
    pub token_expires_at: Option<DateTime<Utc>>,
    pub refresh_token_expires_at: Option<DateTime<Utc>>,
    /// The space-separated scopes a refresh asks for.
    pub scopes: &'static str,
    pub fulfillment_budget: Budget,
    pub inventory_budget: Budget,
    /// The Notification API's public key (from `getPublicKey`), when given.
    pub notification_key: Option<crate::webhooks::NotificationKey>,
}

/// A daily quota as a governor budget: the day's calls spread evenly, with a burst of
/// a quarter hour's share (so a sync runs at speed and the day still holds).
pub fn daily_budget(per_day: u32) -> Budget {
    Budget::new((per_day / 96).max(1), f64::from(per_day) / 86_400.0)
}

impl EbayConfig {
    pub fn from_store(store: &StoreConfig) -> Result<Self> {
        let base = store.base_url.path().trim_end_matches('/');
        let mut api_root = store.base_url.clone();
        api_root.set_path(&format!("{base}/"));
        api_root.set_query(None);
        let token_url = api_root
            .join("identity/v1/oauth2/token")
            .map_err(|e| Error::invalid(format!("base url: {e}")))?;
        let scopes: String = SCOPES.read(store)?.unwrap_or_else(|| "read_write".into());
        let fulfillment: u32 = FULFILLMENT_PER_DAY.read(store)?.unwrap_or(100_000);
        let inventory: u32 = INVENTORY_PER_DAY.read(store)?.unwrap_or(2_000_000);
        let at = |spec: &SettingSpec| -> Result<Option<DateTime<Utc>>> {
            Ok(spec
                .read::<String>(store)?
                .and_then(|t| polycart_kit::decode::parse_datetime(&t)))
        };
        Ok(Self {
            api_root,
            token_url,
            client_id: store.credential("client_id")?.clone(),
            client_secret: store.credential("client_secret")?.clone(),
            refresh_token: store.credential("refresh_token")?.clone(),
            access_token: store.optional_credential("access_token").cloned(),
            token_expires_at: at(&TOKEN_EXPIRES_AT)?,
            refresh_token_expires_at: at(&REFRESH_TOKEN_EXPIRES_AT)?,
            scopes: scope_list(&scopes),
            fulfillment_budget: daily_budget(fulfillment),
            inventory_budget: daily_budget(inventory),
            notification_key: store
                .optional_credential("notification_public_key")
                .map(|pem| {
                    let kid: Option<String> = NOTIFICATION_KEY_ID.read(store)?;
                    crate::webhooks::NotificationKey::from_pem(pem.expose(), kid.as_deref())
                })
                .transpose()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_daily_quota_spreads_over_the_day() {
        let b = daily_budget(100_000);
        assert_eq!(b.burst, 1041);
        assert!((b.per_second - 1.157).abs() < 0.001);
        assert_eq!(daily_budget(50).burst, 1);
    }
}
