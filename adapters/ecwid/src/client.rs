//! How polycart talks to Ecwid: the transport (the secret token as a bearer token, the
//! store's 600-a-minute budget, 429s waited out as `Retry-After` says), the
//! classification of its answers (HTML or broken JSON on a 2xx retried, the rest by
//! status; 402 "store suspended" is an auth error), and the store context read once
//! from `GET /profile` (`formatsAndUnits.currency` and `weightUnit`): Ecwid orders and
//! products carry no currency code.

use std::sync::Arc;

use polycart_kit::auth::HeaderToken;
use polycart_kit::connector::{AdapterContext, weight_unit};
use polycart_kit::decode::currency;
use polycart_kit::transport::html::retry_unusable_success;
use polycart_kit::transport::{Classify, Request, Response, Transport, Verdict, classify_status};
use polycart_kit::{ApiPath, Error, Result, StoreConfig, StoreContext};
use serde::Deserialize;

use crate::PLATFORM;
use crate::config::EcwidConfig;

/// The largest page Ecwid serves (`limit` ≤ 100).
pub const MAX_PAGE: u32 = 100;

/// Ecwid's answers, read.
#[derive(Debug, Clone, Copy)]
pub struct EcwidClassifier;

impl Classify for EcwidClassifier {
    fn classify(&self, response: &Response) -> Verdict {
        if response.status.as_u16() == 402 {
            return Verdict::Fail(Error::auth("402: the Ecwid store is suspended"));
        }
        retry_unusable_success(response).unwrap_or_else(|| classify_status(response))
    }
}

/// The store's transport.
pub(crate) fn transport(
    store: &StoreConfig,
    config: &EcwidConfig,
    ctx: &AdapterContext,
) -> Transport {
    Transport::builder(store.store_id.clone(), PLATFORM)
        .auth(Arc::new(HeaderToken::bearer(config.secret_token.clone())))
        .budget(config.budget)
        .classifier(Arc::new(EcwidClassifier))
        .metrics(ctx.metrics.clone())
        .build()
}

#[derive(Deserialize)]
struct Profile {
    #[serde(rename = "formatsAndUnits")]
    formats: Option<Formats>,
}

#[derive(Deserialize)]
struct Formats {
    currency: Option<String>,
    #[serde(rename = "weightUnit")]
    weight_unit: Option<String>,
}

/// Ecwid's weight unit names (`KILOGRAM`, `GRAM`, `OUNCE`, `POUND`, `CARAT`).
fn ecwid_weight_unit(name: &str) -> Option<String> {
    let canonical = match name {
        "KILOGRAM" => "kg",
        "GRAM" => "g",
        "OUNCE" => "oz",
        "POUND" => "lb",
        other => return weight_unit(other).map(str::to_owned),
    };
    Some(canonical.to_owned())
}

/// The store context from a `GET /profile` body.
pub fn context_of(profile: &str) -> Result<StoreContext> {
    let p: Profile = polycart_kit::error::decode_json(profile)?;
    let formats = p
        .formats
        .ok_or_else(|| Error::decode("$.formatsAndUnits", "missing"))?;
    Ok(StoreContext {
        currency: formats
            .currency
            .as_deref()
            .map(|c| currency("$.formatsAndUnits.currency", c))
            .transpose()?,
        weight_unit: formats.weight_unit.as_deref().and_then(ecwid_weight_unit),
        time_zone: None,
    })
}

/// Reads the store profile.
pub(crate) async fn load_context(
    transport: &Transport,
    config: &EcwidConfig,
) -> Result<StoreContext> {
    let url = ApiPath::new("profile").under(&config.api_root);
    let response = transport.send(Request::get(url)).await?;
    context_of(response.text()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profile_gives_currency_and_weight_unit() {
        let ctx = context_of(r#"{"generalInfo":{"storeId":1003},"formatsAndUnits":{"currency":"EUR","weightUnit":"KILOGRAM"}}"#).unwrap();
        assert_eq!(ctx.currency.unwrap().as_str(), "EUR");
        assert_eq!(ctx.weight_unit.as_deref(), Some("kg"));
        assert!(context_of(r#"{"generalInfo":{}}"#).is_err());
        assert!(context_of(r#"{"formatsAndUnits":{"currency":"euro"}}"#).is_err());
    }
}
