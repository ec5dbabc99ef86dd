//! A PrestaShop shop's settings, typed: the webservice root (`{base_url}/api/`), the
//! webservice key (a `Secret`, sent as the basic-auth user with an empty password),
//! the shop's UTC offset when its time zone is not UTC, and the request budget, each
//! declared in [`SETTINGS`].

use chrono::FixedOffset;
use polycart_kit::settings::{SettingKind, SettingSpec};
use polycart_kit::transport::Budget;
use polycart_kit::{Error, Result, Secret, StoreConfig};
use url::Url;

/// The settings a PrestaShop shop takes.
pub const SETTINGS: &[SettingSpec] = &[RATE, UTC_OFFSET];

const RATE: SettingSpec = SettingSpec {
    name: "requests_per_second",
    kind: SettingKind::Integer { min: 1, max: 50 },
    default: Some("5"),
    doc: "requests per second the shop may receive (PrestaShop has no limit of its own: this protects the shop's server)",
};

const UTC_OFFSET: SettingSpec = SettingSpec {
    name: "utc_offset",
    kind: SettingKind::Text,
    default: None,
    doc: "the shop's UTC offset (+02:00) when its time zone (PS_TIMEZONE) is not UTC: PrestaShop writes shop-local times without a zone",
};

/// A connected PrestaShop shop.
#[derive(Debug, Clone)]
pub struct PrestaShopConfig {
    /// `{base_url}/api/`: every resource is relative to it.
    pub api_root: Url,
    pub ws_key: Secret,
    /// The shop's offset, when given (it overrides what `PS_TIMEZONE` says).
    pub utc_offset: Option<FixedOffset>,
    pub budget: Budget,
}

/// `+02:00`, `-0530`, `Z` as a fixed offset.
pub fn parse_offset(text: &str) -> Option<FixedOffset> {
    let t = text.trim();
    if t.eq_ignore_ascii_case("z") {
        return FixedOffset::east_opt(0);
    }
    let (sign, rest) = match t.as_bytes().first()? {
        b'+' => (1, &t[1..]),
        b'-' => (-1, &t[1..]),
        _ => return None,
    };
    let digits: String = rest.chars().filter(|c| *c != ':').collect();
    if digits.len() != 4 || !digits.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let hours: i32 = digits[..2].parse().ok()?;
    let minutes: i32 = digits[2..].parse().ok()?;
    (hours <= 14 && minutes < 60)
        .then(|| FixedOffset::east_opt(sign * (hours * 3600 + minutes * 60)))?
}

impl PrestaShopConfig {
    pub fn from_store(store: &StoreConfig) -> Result<Self> {
        let mut api_root = store.base_url.clone();
        api_root.set_path(&format!(
            "{}/api/",
            store.base_url.path().trim_end_matches('/')
        ));
        api_root.set_query(None);
        let rate: u32 = RATE.read(store)?.unwrap_or(5);
        let utc_offset = UTC_OFFSET
            .read::<String>(store)?
            .map(|t| {
                parse_offset(&t).ok_or_else(|| {
                    Error::invalid(format!(
                        "setting utc_offset: {t:?} is not an offset like +02:00"
                    ))
                })
            })
            .transpose()?;
        Ok(Self {
            api_root,
            ws_key: store.credential("ws_key")?.clone(),
            utc_offset,
            budget: Budget::new(rate, f64::from(rate)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_read() {
        assert_eq!(parse_offset("+02:00"), FixedOffset::east_opt(7200));
        assert_eq!(parse_offset("-0530"), FixedOffset::east_opt(-19800));
        assert_eq!(parse_offset("Z"), FixedOffset::east_opt(0));
        assert!(parse_offset("Europe/Paris").is_none());
        assert!(parse_offset("+25:00").is_none());
    }
}
