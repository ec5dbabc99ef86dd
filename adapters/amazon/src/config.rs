//! An Amazon seller's settings, typed: the SP-API region (NA, EU, FE, each with its
//! sandbox) from a fixed list, the marketplaces (known ids of that region only), the
//! Orders API version (v2026-01-01, or v0 for accounts not migrated), the Login with
//! Amazon app credentials and the seller's refresh token (`Secret`s, never printed),
//! and the seller id the Listings Items API names in its paths.
//!
//! The API host comes from the region, not from the caller: a store's base URL must be
//! that region's SP-API endpoint, or a host that is not Amazon's at all (a simulator or
//! a test double), which then also answers the token exchange at
//! `{base_url}/auth/o2/token`, so the app's secrets only ever go to Amazon's token
//! endpoint or to the host the store names.

use polycart_kit::settings::{SettingKind, SettingSpec};
use polycart_kit::{Error, Result, Secret, StoreConfig};
use url::Url;

/// The settings an Amazon store takes.
pub const SETTINGS: &[SettingSpec] = &[REGION, MARKETPLACES, ORDERS_API, INVENTORY, RESTRICTED];

const REGION: SettingSpec = SettingSpec {
    name: "region",
    kind: SettingKind::OneOf {
        values: &["na", "eu", "fe", "na-sandbox", "eu-sandbox", "fe-sandbox"],
    },
    default: Some("na"),
    doc: "the SP-API region: na (North America), eu (Europe, Middle East, India), fe (Far East), or its -sandbox",
};

const MARKETPLACES: SettingSpec = SettingSpec {
    name: "marketplace_ids",
    kind: SettingKind::Text,
    default: None,
    doc: "comma-separated marketplace ids of the region (default: ATVPDKIKX0DER, amazon.com, in na; required elsewhere)",
};

const ORDERS_API: SettingSpec = SettingSpec {
    name: "orders_api",
    kind: SettingKind::OneOf {
        values: &["2026-01-01", "v0"],
    },
    default: Some("2026-01-01"),
    doc: "the Orders API version: 2026-01-01 (current) or v0 (deprecated, removed 2027-03-27)",
};

const INVENTORY: SettingSpec = SettingSpec {
    name: "inventory",
    kind: SettingKind::OneOf {
        values: &["merchant", "fba"],
    },
    default: Some("merchant"),
    doc: "which stock inventory levels are: merchant (the listing's own quantity, writable) or fba (FBA Inventory summaries, read only)",
};

const RESTRICTED: SettingSpec = SettingSpec {
    name: "restricted_data",
    kind: SettingKind::Bool,
    default: Some("false"),
    doc: "Orders API v0 only: read buyer and address PII with a Restricted Data Token (the app needs Amazon's restricted role)",
};

/// Login with Amazon's token endpoint (every region).
pub const LWA_TOKEN_URL: &str = "https://api.amazon.com/auth/o2/token";

/// An SP-API region.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Region {
    NorthAmerica,
    Europe,
    FarEast,
}

impl Region {
    fn code(self) -> &'static str {
        match self {
            Region::NorthAmerica => "na",
            Region::Europe => "eu",
            Region::FarEast => "fe",
        }
    }

    /// The region's SP-API host (`sellingpartnerapi-na.amazon.com`), or its sandbox.
    pub fn host(self, sandbox: bool) -> String {
        let prefix = if sandbox { "sandbox." } else { "" };
        format!("{prefix}sellingpartnerapi-{}.amazon.com", self.code())
    }
}

/// Every marketplace id Amazon publishes, with its region (developer-docs.amazon.com
/// "Marketplace IDs").
pub const MARKETPLACES_BY_REGION: &[(&str, Region, &str)] = &[
    ("ATVPDKIKX0DER", Region::NorthAmerica, "US"),
    ("A2EUQ1WTGCTBG2", Region::NorthAmerica, "CA"),
    ("A1AM78C64UM0Y8", Region::NorthAmerica, "MX"),
    ("A2Q3Y263D00KWC", Region::NorthAmerica, "BR"),
    ("A1RKKUPIHCS9HS", Region::Europe, "ES"),
    ("A1F83G8C2ARO7P", Region::Europe, "GB"),
    ("A13V1IB3VIYZZH", Region::Europe, "FR"),
    ("AMEN7PMS3EDWL", Region::Europe, "BE"),
    ("A1805IZSGTT6HS", Region::Europe, "NL"),
    ("A1PA6795UKMFR9", Region::Europe, "DE"),
    ("APJ6JRA9NG5V4", Region::Europe, "IT"),
    ("A2NODRKZP88ZB9", Region::Europe, "SE"),
    ("AE08WJ6YKNBMC", Region::Europe, "ZA"),
    ("A1C3SOZRARQ6R3", Region::Europe, "PL"),
    ("ARBP9OOSHTCHU", Region::Europe, "EG"),
    ("A33AVAJ2PDY3EV", Region::Europe, "TR"),
    ("A17E79C6D8DWNP", Region::Europe, "SA"),
    ("A2VIGQ35RCS4UG", Region::Europe, "AE"),
    ("A21TJRUUN4KGV", Region::Europe, "IN"),
    ("A19VAU5U5O7RUS", Region::FarEast, "SG"),
    ("A39IBJ37TRP1C6", Region::FarEast, "AU"),
    ("A1VC38T7YXB528", Region::FarEast, "JP"),
];

/// Which Orders API the store speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrdersApi {
    /// `/orders/2026-01-01/orders`: items, buyer and address in one answer.
    V2026,
    /// `/orders/v0/orders`: items from a second call per order.
    V0,
}

/// Which stock the inventory levels are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InventorySource {
    /// The listings' merchant-fulfilled quantity (`fulfillmentAvailability`).
    Merchant,
    /// Amazon's fulfilment network (FBA Inventory `getInventorySummaries`).
    Fba,
}

/// A connected Amazon seller account.
#[derive(Debug, Clone)]
pub struct AmazonConfig {
    /// `https://sellingpartnerapi-na.amazon.com/` (or the simulator's origin).
    pub api_root: Url,
    /// Where the refresh token is exchanged for access tokens.
    pub token_url: Url,
    pub region: Region,
    pub sandbox: bool,
    /// At least one; every id known and of the region.
    pub marketplace_ids: Vec<String>,
    pub orders_api: OrdersApi,
    pub inventory: InventorySource,
    /// v0 order reads carry a Restricted Data Token (PII).
    pub restricted_data: bool,
    /// The app's LWA client id (not secret, but kept as one to stay out of logs).
    pub client_id: Secret,
    pub client_secret: Secret,
    /// `Atzr|…`: the seller's authorisation of the app.
    pub refresh_token: Secret,
    /// The seller's merchant token, when given: the Listings Items API names it in its
    /// paths; without it products are not listed.
    pub seller_id: Option<String>,
}

/// A seller id (merchant token): upper-case letters and digits.
pub fn check_seller_id(id: &str) -> Result<&str> {
    let ok = (8..=20).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
    if ok {
        Ok(id)
    } else {
        Err(Error::invalid(
            "seller_id must be the seller's merchant token (8 to 20 upper-case letters and digits)",
        ))
    }
}

/// The marketplace ids of a setting, each known and of `region`.
pub fn marketplaces(text: Option<&str>, region: Region) -> Result<Vec<String>> {
    let Some(text) = text.map(str::trim).filter(|t| !t.is_empty()) else {
        return match region {
            Region::NorthAmerica => Ok(vec!["ATVPDKIKX0DER".to_owned()]),
            _ => Err(Error::invalid(
                "marketplace_ids is required outside North America (e.g. A1PA6795UKMFR9 for amazon.de)",
            )),
        };
    };
    let mut out: Vec<String> = Vec::new();
    for id in text.split(',').map(str::trim) {
        let Some((_, r, _)) = MARKETPLACES_BY_REGION.iter().find(|(m, _, _)| *m == id) else {
            return Err(Error::invalid(format!(
                "marketplace_ids: {:?} is not an Amazon marketplace id",
                polycart_kit::error::excerpt(id, 20)
            )));
        };
        if *r != region {
            return Err(Error::invalid(format!(
                "marketplace_ids: {id} is not served by the {} region",
                region.code()
            )));
        }
        if !out.iter().any(|o| o == id) {
            out.push(id.to_owned());
        }
    }
    if out.len() > 50 {
        return Err(Error::invalid("marketplace_ids: at most 50"));
    }
    Ok(out)
}

impl AmazonConfig {
    pub fn from_store(store: &StoreConfig) -> Result<Self> {
        let region_text = REGION.read::<String>(store)?.unwrap_or_else(|| "na".into());
        let (code, sandbox) = match region_text.strip_suffix("-sandbox") {
            Some(c) => (c, true),
            None => (region_text.as_str(), false),
        };
        let region = match code {
            "na" => Region::NorthAmerica,
            "eu" => Region::Europe,
            _ => Region::FarEast,
        };
        let (api_root, token_url) = endpoints(&store.base_url, region, sandbox)?;
        let orders_api = match ORDERS_API.read::<String>(store)?.as_deref() {
            Some("v0") => OrdersApi::V0,
            _ => OrdersApi::V2026,
        };
        let inventory = match INVENTORY.read::<String>(store)?.as_deref() {
            Some("fba") => InventorySource::Fba,
            _ => InventorySource::Merchant,
        };
        let seller_id = store
            .optional_credential("seller_id")
            .map(|s| check_seller_id(s.expose().trim()).map(str::to_owned))
            .transpose()?;
        Ok(Self {
            api_root,
            token_url,
            region,
            sandbox,
            marketplace_ids: marketplaces(store.setting(MARKETPLACES.name), region)?,
            orders_api,
            inventory,
            restricted_data: RESTRICTED.read::<bool>(store)?.unwrap_or(false),
            client_id: store.credential("client_id")?.clone(),
            client_secret: store.credential("client_secret")?.clone(),
            refresh_token: store.credential("refresh_token")?.clone(),
            seller_id,
        })
    }

    /// The first marketplace: listings and inventory are read there.
    pub fn marketplace(&self) -> &str {
        self.marketplace_ids
            .first()
            .map_or("ATVPDKIKX0DER", String::as_str)
    }
}

/// The API root and token endpoint for a store's base URL: an Amazon host must be the
/// region's endpoint; any other host (a simulator) serves both itself.
pub fn endpoints(base: &Url, region: Region, sandbox: bool) -> Result<(Url, Url)> {
    let host = base
        .host_str()
        .ok_or_else(|| Error::invalid("the base URL has no host"))?
        .to_ascii_lowercase();
    let amazon = host == "amazon.com" || host.ends_with(".amazon.com");
    let mut root = base.clone();
    root.set_query(None);
    root.set_fragment(None);
    root.set_path("/");
    if amazon {
        let expected = region.host(sandbox);
        if host != expected || base.scheme() != "https" {
            return Err(Error::invalid(format!(
                "the base URL must be https://{expected} for this region (setting region), not {host}"
            )));
        }
        let token = Url::parse(LWA_TOKEN_URL).map_err(|e| Error::invalid(e.to_string()))?;
        return Ok((root, token));
    }
    let token = root
        .join("auth/o2/token")
        .map_err(|e| Error::invalid(e.to_string()))?;
    Ok((root, token))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_and_marketplaces_are_checked() {
        let na: Url = "https://sellingpartnerapi-na.amazon.com".parse().unwrap();
        let (root, token) = endpoints(&na, Region::NorthAmerica, false).unwrap();
        assert_eq!(root.as_str(), "https://sellingpartnerapi-na.amazon.com/");
        assert_eq!(token.as_str(), LWA_TOKEN_URL);
        assert!(endpoints(&na, Region::Europe, false).is_err());
        assert!(endpoints(&na, Region::NorthAmerica, true).is_err());
        let sandbox: Url = "https://sandbox.sellingpartnerapi-fe.amazon.com/x?y=1"
            .parse()
            .unwrap();
        assert!(endpoints(&sandbox, Region::FarEast, true).is_ok());
        let evil: Url = "https://sellingpartnerapi-na.amazon.com.evil.example"
            .parse()
            .unwrap();
        let (_, token) = endpoints(&evil, Region::NorthAmerica, false).unwrap();
        assert_eq!(
            token.host_str(),
            Some("sellingpartnerapi-na.amazon.com.evil.example"),
            "another host's secrets go to that host, never to Amazon's endpoints"
        );
        let spoof: Url = "https://api.amazon.com".parse().unwrap();
        assert!(endpoints(&spoof, Region::NorthAmerica, false).is_err());

        assert_eq!(
            marketplaces(None, Region::NorthAmerica).unwrap(),
            ["ATVPDKIKX0DER"]
        );
        assert!(marketplaces(None, Region::Europe).is_err());
        assert_eq!(
            marketplaces(
                Some("A1PA6795UKMFR9, A1F83G8C2ARO7P,A1PA6795UKMFR9"),
                Region::Europe
            )
            .unwrap(),
            ["A1PA6795UKMFR9", "A1F83G8C2ARO7P"]
        );
        assert!(marketplaces(Some("ATVPDKIKX0DER"), Region::Europe).is_err());
        assert!(marketplaces(Some("NOTAMARKET"), Region::NorthAmerica).is_err());
        assert!(check_seller_id("A2EXAMPLE123").is_ok());
        assert!(check_seller_id("a2example/../x").is_err());
    }
}
