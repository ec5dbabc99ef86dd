//! polycart's BigCommerce adapter: orders from the v2 API (with their `products`,
//! `shipping_addresses`, `coupons` and `shipments` sub-resources), products, customers,
//! categories and inventory from v3, writes (prices, stock, order status, shipments),
//! Standard Webhooks verification of BigCommerce's thin callbacks, and a simulator
//! speaking both API generations (feature `sim`, on by default).
//!
//! Connect a store with `base_url` = the store's API root
//! (`https://api.bigcommerce.com/stores/{store_hash}`; `/v2/...` and `/v3/...` live
//! under it), or the host with the credential `store_hash`, and the credential
//! `access_token` (sent as `X-Auth-Token`). Optional:
//! `client_secret` (the key of webhook signatures), `webhook_header_name` and
//! `webhook_header_value` (a custom header the store's hooks carry), and the setting
//! `currency` (else read from `/v2/store`). See `docs.md` for the capability checklist.

// The simulator renders large `json!` literals.
#![recursion_limit = "256"]

mod client;
mod config;
mod consignments;
pub mod mapping;
mod orders;
mod paging;
#[cfg(feature = "sim")]
pub mod sim;
mod v3;
pub mod webhooks;
mod wire;
mod writes;

use polycart_kit::connector::{Normalized, OptionalCredential, StoreContext};
use polycart_kit::decode::at_index;
use polycart_kit::{Connector, Entity, Record, Result};
use serde_json::value::RawValue;

pub use client::{BigCommerce, Classifier, RATE_LIMIT_HEADERS};
pub use config::Config;
pub use mapping::MapContext;

/// The registry name.
pub const PLATFORM: &str = "bigcommerce";

/// BigCommerce's entry in the app's registry.
pub fn connector() -> Connector {
    Connector {
        name: PLATFORM,
        credentials: &["access_token"],
        // Either verifies deliveries: the app's client secret (Standard Webhooks
        // signatures) or the custom header a hook was registered with (with
        // `webhook_header_name`).
        optional_credentials: &[
            OptionalCredential {
                name: "client_secret",
                feature: "webhooks",
                purpose: "verifying webhook deliveries",
            },
            OptionalCredential {
                name: "webhook_header_value",
                feature: "webhooks",
                purpose: "verifying webhook deliveries",
            },
        ],
        settings: config::SETTINGS,
        capabilities: client::capabilities,
        normalize,
        connect: client::connect,
        #[cfg(feature = "sim")]
        simulate: sim::simulate,
    }
}

/// Maps a payload of `entity`: one object, a bare v2 array, or a v3
/// `{"data": ..., "meta": ...}` envelope. v3 catalog prices and weights take the
/// store's currency and weight unit from `ctx` (a sync reads them from `/v2/store`);
/// without them they stay `null`.
pub fn normalize(entity: Entity, text: &str, ctx: &StoreContext) -> Result<Normalized> {
    normalize_with(entity, text, &MapContext::from(ctx))
}

/// [`normalize`] with what the store knows (its currency and weight unit).
pub fn normalize_with(entity: Entity, text: &str, ctx: &MapContext) -> Result<Normalized> {
    let (items, list) = split_data(text)?;
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let one = map_one(entity, item.get(), ctx).map_err(|e| at_index(e, i, list))?;
        out.extend(one);
    }
    if !list && out.len() == 1 {
        return Ok(Normalized::One(out.remove(0)));
    }
    Ok(Normalized::List(out))
}

pub(crate) fn map_one(entity: Entity, text: &str, ctx: &MapContext) -> Result<Vec<Record>> {
    Ok(match entity {
        Entity::Order => vec![mapping::order(text, ctx)?.into()],
        Entity::Product => vec![mapping::product(text, ctx)?.into()],
        Entity::Customer => vec![mapping::customer(text)?.into()],
        Entity::Category => mapping::categories(text)?
            .into_iter()
            .map(Record::from)
            .collect(),
        Entity::Inventory => mapping::inventory(text)?
            .into_iter()
            .map(Record::from)
            .collect(),
    })
}

/// Splits a payload into its items: a bare array (v2 lists), the `data` of a v3
/// envelope (an array, or one object), or else the payload itself. Unlike the kit's
/// `split_envelope`, object keys may contain escapes (one of BigCommerce's own
/// examples has a key `"currency_code\""`).
pub(crate) fn split_data(text: &str) -> Result<(Vec<&RawValue>, bool)> {
    use polycart_kit::error::decode_json_borrowed;
    let trimmed = text.trim_start();
    if trimmed.starts_with('[') {
        return Ok((decode_json_borrowed::<Vec<&RawValue>>(text)?, true));
    }
    if !trimmed.starts_with('{') {
        let start: String = trimmed.chars().take(40).collect();
        return Err(polycart_kit::Error::decode(
            "$",
            format!("expected a JSON object or array, got {start:?}"),
        ));
    }
    let map: std::collections::HashMap<String, &RawValue> = decode_json_borrowed(text)?;
    if let Some(data) = map.get("data") {
        let inner = data.get().trim_start();
        if inner.starts_with('[') {
            let items: Vec<&RawValue> = serde_json::from_str(data.get())
                .map_err(|e| polycart_kit::Error::decode("$.data", e.to_string()))?;
            return Ok((items, true));
        }
        if inner.starts_with('{') {
            return Ok((vec![*data], false));
        }
    }
    Ok((vec![decode_json_borrowed::<&RawValue>(text)?], false))
}
