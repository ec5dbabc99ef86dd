//! Stores as API2Cart's carts: `account.cart.add` connects one (API2Cart's `cart_id`
//! names the platform, its prefixed fields carry the credentials), `account.cart.list`
//! and `cart.delete` list and remove them, `cart.info` / `cart.methods` describe one
//! with the methods its platform supports, `cart.list` /
//! `account.supported_platforms` name the platforms. The store key is the polycart
//! store id.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::Ctx;
use super::envelope::{A2cError, Reply, ReturnCode};
use super::methods;
use crate::api::stores::{CreateStore, DEFAULT_INTERVAL_SECS, connect, disconnect};
use crate::registry;

/// A platform as API2Cart names it.
pub struct CartName {
    /// polycart's registry name.
    pub platform: &'static str,
    /// API2Cart's `cart_id` (first) and the other ids accepted for it.
    pub cart_ids: &'static [&'static str],
    /// The prefix of its credential fields in `account.cart.add` (`shopify` for
    /// `shopify_access_token`).
    pub prefix: &'static str,
    /// API2Cart field names (after the prefix) that polycart names otherwise.
    pub renames: &'static [(&'static str, &'static str)],
}

/// Every platform polycart speaks, in API2Cart's names.
pub const CARTS: &[CartName] = &[
    cart(
        "amazon",
        &["AmazonSP"],
        "amazon_sp",
        &[("seller_id", "seller_id")],
    ),
    cart(
        "bigcommerce",
        &["BigcommerceApi", "Bigcommerce"],
        "bigcommerceapi",
        &[],
    ),
    cart("ebay", &["EBay"], "ebay", &[]),
    cart(
        "ecwid",
        &["Ecwid"],
        "ecwid",
        &[("acess_token", "secret_token")],
    ),
    cart("etsy", &["EtsyAPIv3", "Etsy"], "etsy", &[]),
    cart("lazada", &["Lazada"], "lazada", &[("app_id", "app_key")]),
    cart("magento", &["Magento2Api", "Magento"], "magento", &[]),
    cart(
        "prestashop",
        &["PrestashopApi", "Prestashop"],
        "prestashop",
        &[("webservice_key", "ws_key")],
    ),
    cart("shopee", &["Shopee"], "shopee", &[]),
    cart("shopify", &["Shopify"], "shopify", &[]),
    cart("squarespace", &["Squarespace"], "squarespace", &[]),
    cart("tiktokshop", &["TikTokShop"], "tiktokshop", &[]),
    cart("wix", &["Wix"], "wix", &[("app_secret_key", "app_secret")]),
    cart("woocommerce", &["WoocommerceApi", "Woocommerce"], "wc", &[]),
];

const fn cart(
    platform: &'static str,
    cart_ids: &'static [&'static str],
    prefix: &'static str,
    renames: &'static [(&'static str, &'static str)],
) -> CartName {
    CartName {
        platform,
        cart_ids,
        prefix,
        renames,
    }
}

/// The API2Cart names of polycart platform `platform`.
pub fn by_platform(platform: &str) -> Option<&'static CartName> {
    CARTS
        .iter()
        .find(|c| c.platform.eq_ignore_ascii_case(platform))
}

fn by_cart_id(cart_id: &str) -> Option<&'static CartName> {
    CARTS
        .iter()
        .find(|c| c.cart_ids.iter().any(|id| id.eq_ignore_ascii_case(cart_id)))
}

impl CartName {
    /// The `account.cart.add` field carrying polycart credential `name`.
    pub fn field(&self, name: &str) -> String {
        let a2c = self
            .renames
            .iter()
            .find(|(_, ours)| *ours == name)
            .map_or(name, |(theirs, _)| theirs);
        format!("{}_{a2c}", self.prefix)
    }

    /// polycart's name of API2Cart field `field`, if it is one of this platform's.
    fn ours(&self, field: &str) -> Option<String> {
        let rest = field.strip_prefix(self.prefix)?.strip_prefix('_')?;
        Some(
            self.renames
                .iter()
                .find(|(theirs, _)| *theirs == rest)
                .map_or(rest, |(_, ours)| ours)
                .to_owned(),
        )
    }
}

/// `account.cart.add`.
pub async fn add(ctx: &Ctx<'_>) -> Result<Reply, A2cError> {
    let p = ctx.params;
    let cart_id = p.required("cart_id")?;
    let cart = by_cart_id(&cart_id).ok_or_else(|| {
        A2cError::invalid(format!(
            "cart_id {:?} is not supported; supported: {}",
            polycart_kit::error::excerpt(&cart_id, 40),
            CARTS
                .iter()
                .map(|c| c.cart_ids[0])
                .collect::<Vec<_>>()
                .join(", ")
        ))
    })?;
    let connector =
        registry::connector(cart.platform).map_err(|e| A2cError::invalid(e.to_string()))?;
    let url = p.required("store_url")?;
    // Fields under the platform's prefix are its settings or credentials; which
    // credentials a store needs is checked when it is connected, as for `/v1/stores`.
    let mut credentials = BTreeMap::new();
    let mut settings = BTreeMap::new();
    for (field, value) in p.fields() {
        let (Some(name), Some(value)) = (cart.ours(field), value) else {
            continue;
        };
        if connector.settings.iter().any(|s| s.name == name) {
            settings.insert(name, value);
        } else {
            credentials.insert(name, value);
        }
    }
    let body = CreateStore {
        platform: cart.platform.to_owned(),
        url,
        name: p.str("custom_label").or_else(|| p.str("label")),
        credentials,
        settings,
        entities: Vec::new(),
        interval_secs: Some(DEFAULT_INTERVAL_SECS),
    };
    let view = connect(ctx.state, ctx.caller, body).await?;
    Ok(Reply::result(json!({ "store_key": view.id })))
}

/// `account.cart.list`: the stores the key reaches.
pub async fn list(ctx: &Ctx<'_>) -> Result<Reply, A2cError> {
    let p = ctx.params;
    let url = p.str("store_url");
    let key = p.str("store_key");
    let label = p.str("custom_label");
    let stores = ctx
        .state
        .store
        .list_stores()
        .await
        .map_err(crate::api::error::ApiError::from)?;
    let carts: Vec<Value> = stores
        .into_iter()
        .filter(|s| ctx.caller.sees(&s.id))
        .filter(|s| url.as_ref().is_none_or(|u| same_url(u, &s.base_url)))
        .filter(|s| key.as_ref().is_none_or(|k| *k == s.id))
        .filter(|s| label.as_ref().is_none_or(|l| *l == s.name))
        .map(|s| {
            json!({
                "id": s.id,
                "url": s.base_url,
                "store_key": s.id,
                "cart_id": cart_id_of(&s.platform),
                "custom_label": s.name,
            })
        })
        .collect();
    Ok(Reply::result(
        json!({ "carts_count": carts.len(), "carts": carts }),
    ))
}

fn same_url(a: &str, b: &str) -> bool {
    a.trim_end_matches('/')
        .eq_ignore_ascii_case(b.trim_end_matches('/'))
}

fn cart_id_of(platform: &str) -> String {
    by_platform(platform).map_or_else(|| platform.to_owned(), |c| c.cart_ids[0].to_owned())
}

/// `cart.delete`.
pub async fn delete(ctx: &Ctx<'_>) -> Result<Reply, A2cError> {
    let store = ctx.store()?;
    disconnect(ctx.state, ctx.caller, &store.id)
        .await
        .map_err(|e| match e {
            crate::api::error::ApiError::Forbidden(m) => A2cError::new(
                ReturnCode::ApiAccessDenied,
                format!("this API key may not {m}"),
            ),
            other => other.into(),
        })?;
    Ok(Reply::result(json!({ "store": store.id })))
}

/// `cart.info`: the store, and the methods its platform supports
/// (`additional_fields.supported_methods`, from the capabilities matrix).
pub async fn info(ctx: &Ctx<'_>) -> Result<Reply, A2cError> {
    let store = ctx.store()?;
    let caps = ctx.capabilities().await?;
    let supported = methods::supported_names(&store.entities, &caps);
    let entities: Vec<&str> = store.entities.iter().map(|e| e.as_str()).collect();
    Ok(Reply::result(json!({
        "name": cart_id_of(&store.platform),
        "url": store.base_url,
        "version": "",
        "stores_info": [{ "store_id": "0", "name": store.name }],
        "additional_fields": {
            "platform": store.platform,
            "store_key": store.id,
            "state": store.state.as_str(),
            "synced_entities": entities,
            "supported_methods": supported,
            "capabilities": caps,
        },
    })))
}

/// `cart.methods`: the methods the store's platform supports.
pub async fn methods(ctx: &Ctx<'_>) -> Result<Reply, A2cError> {
    let store = ctx.store()?;
    let caps = ctx.capabilities().await?;
    Ok(Reply::result(json!({
        "method": methods::supported_names(&store.entities, &caps),
    })))
}

/// `cart.list`: the platforms polycart connects, by API2Cart `cart_id`.
pub fn cart_list() -> Reply {
    let carts: Vec<Value> = CARTS
        .iter()
        .map(|c| json!({ "cart_id": c.cart_ids[0], "name": c.cart_ids[0], "platform": c.platform }))
        .collect();
    Reply::result(json!({ "carts_count": carts.len(), "supported_carts": carts }))
}

/// `account.supported_platforms`, filtered by `cart_id`.
pub fn supported_platforms(ctx: &Ctx<'_>) -> Reply {
    let filter = ctx.params.str("cart_id");
    let all: Vec<Value> = CARTS
        .iter()
        .filter(|c| {
            filter
                .as_ref()
                .is_none_or(|f| c.cart_ids.iter().any(|id| id.eq_ignore_ascii_case(f)))
        })
        .map(|c| {
            let connector = registry::connector(c.platform).ok();
            let fields: Vec<String> = connector
                .map(|k| k.credentials.iter().map(|n| c.field(n)).collect())
                .unwrap_or_default();
            json!({ "cart_id": c.cart_ids[0], "cart_name": c.cart_ids[0], "additional_fields": { "platform": c.platform, "credential_fields": fields } })
        })
        .collect();
    Reply::result(json!({ "supported_platforms_count": all.len(), "supported_platforms": all }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_registered_platform_has_api2cart_names_and_fields_round_trip() {
        for c in registry::connectors() {
            let cart = by_platform(c.name).unwrap_or_else(|| panic!("{} has no cart id", c.name));
            assert_eq!(
                by_cart_id(&cart.cart_ids[0].to_lowercase()).map(|x| x.platform),
                Some(c.name)
            );
            for name in c.credentials {
                assert_eq!(cart.ours(&cart.field(name)).as_deref(), Some(*name));
            }
        }
        assert_eq!(
            by_platform("ecwid").unwrap().field("secret_token"),
            "ecwid_acess_token"
        );
    }
}
