//! A Shopee shop's settings, typed: the API host (a region from a fixed list, or the
//! store URL under the kit's network policy), the partner's id and key, the shop id,
//! the token pair (`Secret`s, never printed), how far back a full order sync reaches,
//! the push callback URL Shopee signs with (a credential), and the request budget — each setting
//! declared in [`SETTINGS`].

use chrono::{DateTime, Duration, Utc};
use polycart_kit::settings::{SettingKind, SettingSpec};
use polycart_kit::transport::Budget;
use polycart_kit::{Error, Result, Secret, StoreConfig};
use url::Url;

/// The settings a Shopee shop takes.
pub const SETTINGS: &[SettingSpec] = &[REGION, HISTORY, RATE, TOKEN_EXPIRES_AT, RETURNS];

const REGION: SettingSpec = SettingSpec {
    name: "region",
    kind: SettingKind::OneOf {
        values: &["global", "br", "cn", "sandbox", "sandbox_cn"],
    },
    default: None,
    doc: "the Shopee API host: global (partner.shopeemobile.com, near SG), br (openplatform.shopee.com.br), cn (openplatform.shopee.cn), sandbox or sandbox_cn; without it the store URL is the host",
};

const HISTORY: SettingSpec = SettingSpec {
    name: "history_days",
    kind: SettingKind::Integer { min: 15, max: 3650 },
    default: Some("730"),
    doc: "how many days back a full order sync reaches (Shopee lists orders in windows of at most 15 days, so a pass walks this span window by window)",
};

const RATE: SettingSpec = SettingSpec {
    name: "requests_per_second",
    kind: SettingKind::Integer { min: 1, max: 1000 },
    default: Some("10"),
    doc: "requests per second the shop may send (Shopee publishes no number; its rate-limit errors slow the store down)",
};

const TOKEN_EXPIRES_AT: SettingSpec = SettingSpec {
    name: "token_expires_at",
    kind: SettingKind::Timestamp,
    default: None,
    doc: "when the 4-hour access token lapses (written when polycart refreshes it; it is refreshed five minutes before)",
};

const RETURNS: SettingSpec = SettingSpec {
    name: "returns",
    kind: SettingKind::Bool,
    default: Some("false"),
    doc: "read each paid order's escrow (payment.get_escrow_detail: the shipping the buyer paid, its return numbers) and returns (returns.get_return_detail) as refunds: one or more requests per such order",
};

/// The fixed list of Shopee API hosts, by region setting.
pub const HOSTS: &[(&str, &str)] = &[
    ("global", "https://partner.shopeemobile.com"),
    ("br", "https://openplatform.shopee.com.br"),
    ("cn", "https://openplatform.shopee.cn"),
    (
        "sandbox",
        "https://openplatform.sandbox.test-stable.shopee.sg",
    ),
    (
        "sandbox_cn",
        "https://openplatform.sandbox.test-stable.shopee.cn",
    ),
];

/// A connected Shopee shop.
#[derive(Debug, Clone)]
pub struct ShopeeConfig {
    /// The API host (`https://partner.shopeemobile.com/`): every path
    /// (`api/v2/order/get_order_list`) is relative to it.
    pub api_root: Url,
    /// The app's partner id (digits; Shopee refuses anything else with `error_param`).
    pub partner_id: String,
    /// The key of every signature (request and push).
    pub partner_key: Secret,
    /// The shop id (digits).
    pub shop_id: String,
    /// The 4-hour access token.
    pub access_token: Secret,
    /// The single-use, 30-day refresh token; without it the access token is used
    /// until it lapses.
    pub refresh_token: Option<Secret>,
    /// When the access token lapses, when known (setting `token_expires_at`).
    pub token_expires_at: Option<DateTime<Utc>>,
    /// How far back a full order sync reaches.
    pub history: Duration,
    /// Whether orders carry their escrow and returns (setting `returns`).
    pub returns: bool,
    /// The push callback URL as configured in Shopee's console (credential
    /// `push_callback_url`): what Shopee signs with each push.
    pub push_url: Option<String>,
    pub budget: Budget,
}

/// An id credential (`partner_id`, `shop_id`), as given: Shopee's ids are digits, and
/// one that is not is refused by Shopee (and by the token exchange here), not at
/// connection time, so every credential a store's schema allows connects.
fn id(store: &StoreConfig, name: &str) -> Result<String> {
    Ok(store.credential(name)?.expose().trim().to_owned())
}

impl ShopeeConfig {
    pub fn from_store(store: &StoreConfig) -> Result<Self> {
        let api_root = match REGION.read::<String>(store)? {
            Some(region) => {
                let host = HOSTS
                    .iter()
                    .find(|(name, _)| *name == region)
                    .map(|(_, host)| *host)
                    .ok_or_else(|| Error::invalid(format!("unknown Shopee region {region:?}")))?;
                Url::parse(host).map_err(|e| Error::invalid(e.to_string()))?
            }
            None => {
                let mut root = store.base_url.clone();
                root.set_path("/");
                root.set_query(None);
                root.set_fragment(None);
                root
            }
        };
        let days: i64 = HISTORY.read(store)?.unwrap_or(730);
        let rate: u32 = RATE.read(store)?.unwrap_or(10);
        let push_url = store
            .optional_credential("push_callback_url")
            .map(|u| u.expose().trim().to_owned());
        if let Some(u) = &push_url {
            Url::parse(u).map_err(|_| Error::invalid("push_callback_url is not a URL"))?;
        }
        Ok(Self {
            api_root,
            partner_id: id(store, "partner_id")?,
            partner_key: store.credential("partner_key")?.clone(),
            shop_id: id(store, "shop_id")?,
            access_token: store.credential("access_token")?.clone(),
            refresh_token: store.optional_credential("refresh_token").cloned(),
            token_expires_at: TOKEN_EXPIRES_AT
                .read::<String>(store)?
                .and_then(|t| polycart_kit::decode::parse_datetime(&t)),
            history: Duration::days(days),
            returns: RETURNS.read::<bool>(store)?.unwrap_or(false),
            push_url,
            budget: Budget::new(rate.saturating_mul(2), f64::from(rate)),
        })
    }

    /// Where a full order sync starts.
    pub fn history_start(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        now - self.history
    }
}
