//! How polycart talks to a PrestaShop webservice: the transport (the webservice key as
//! the basic-auth user, a fixed budget: PrestaShop has no rate limit, the shop's server
//! does), the classification of its answers with the classic failures typed
//! ([`ShopFault`]: the webservice disabled, PHP warnings printed before the JSON, an
//! HTML page in place of the API), and the shop's context: its currencies by
//! `id_currency` and its default currency and time zone (`/api/currencies`,
//! `/api/configurations`), read once.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::FixedOffset;
use polycart_kit::auth::Basic;
use polycart_kit::connector::AdapterContext;
use polycart_kit::decode::{Id, currency};
use polycart_kit::error::{decode_json, excerpt};
use polycart_kit::model::Currency;
use polycart_kit::transport::html::{is_json, looks_html};
use polycart_kit::transport::{
    Classify, Request, Response, Transport, Verdict, classify_status, final_error,
};
use polycart_kit::{ApiPath, Error, Result, Secret, StoreConfig, StoreContext};
use serde::Deserialize;

use crate::PLATFORM;
use crate::config::PrestaShopConfig;

/// The page size polycart asks for (PrestaShop has no maximum; big pages of
/// `display=full` orders are slow on small hosts).
pub const MAX_PAGE: u32 = 100;

/// What a misconfigured shop answers instead of the webservice's JSON.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ShopFault {
    #[error("the PrestaShop webservice is disabled (Advanced Parameters > Webservice)")]
    WebserviceDisabled,
    #[error(
        "the shop printed PHP warnings before its JSON (display_errors is on; PHP's message is in the log)"
    )]
    PhpOutput,
    #[error(
        "the shop answered an HTML page with status {status}, not the webservice (friendly URLs or the /api rewrite may be off)"
    )]
    HtmlPage { status: u16 },
}

impl ShopFault {
    /// The kit error a caller acts on: a disabled webservice or an HTML 401/403 is an
    /// auth error (the merchant must act), an HTML 404 not-found, the rest platform
    /// errors.
    pub fn into_error(self, status: u16) -> Error {
        match self {
            ShopFault::WebserviceDisabled | ShopFault::HtmlPage { status: 401 | 403 } => {
                Error::auth(self.to_string())
            }
            ShopFault::HtmlPage { status: 404 } => Error::not_found(self.to_string()),
            _ => Error::Platform {
                status,
                body: self.to_string(),
            },
        }
    }
}

const PHP_MARKERS: &[&str] = &[
    "Notice",
    "Warning",
    "Deprecated",
    "Fatal error",
    "Parse error",
    "Strict Standards",
];

/// The fault in a response, if it is one of the classics.
pub fn fault(status: u16, body: &str) -> Option<ShopFault> {
    // Error code 22: "The PrestaShop webservice is disabled. Please activate it in the
    // PrestaShop Back Office".
    if body.contains("webservice is disabled") {
        return Some(ShopFault::WebserviceDisabled);
    }
    let head = body.trim_start();
    if head.is_empty() || head.starts_with('{') || head.starts_with('[') {
        return None;
    }
    if looks_html(head) {
        return Some(ShopFault::HtmlPage { status });
    }
    let start = head.get(..400).unwrap_or(head);
    if PHP_MARKERS.iter().any(|m| start.contains(m)) {
        tracing::warn!(status, php = %excerpt(start, 300), "the shop printed PHP output before its JSON");
        return Some(ShopFault::PhpOutput);
    }
    None
}

/// The webservice's answers, read.
#[derive(Debug, Clone, Copy)]
pub struct PrestaShopClassifier;

impl Classify for PrestaShopClassifier {
    fn classify(&self, response: &Response) -> Verdict {
        let status = response.status.as_u16();
        let text = response.text_lossy();
        match fault(status, &text) {
            // An HTML page on a 2xx or a 5xx (a host's cache or error page) may pass.
            Some(ShopFault::HtmlPage { .. }) if response.status.is_success() || status >= 500 => {
                Verdict::Retry
            }
            Some(f) => Verdict::Fail(f.into_error(status)),
            None if response.status.is_success() && !text.trim().is_empty() && !is_json(&text) => {
                Verdict::Retry
            }
            None => classify_status(response),
        }
    }

    fn final_error(&self, response: &Response, verdict: &Verdict) -> Error {
        let status = response.status.as_u16();
        match fault(status, &response.text_lossy()) {
            Some(f) => f.into_error(status),
            None => final_error(response, verdict),
        }
    }
}

/// The shop's transport.
pub(crate) fn transport(
    store: &StoreConfig,
    config: &PrestaShopConfig,
    ctx: &AdapterContext,
) -> Transport {
    Transport::builder(store.store_id.clone(), PLATFORM)
        .auth(Arc::new(Basic::new(
            config.ws_key.clone(),
            Secret::new(String::new()),
        )))
        .budget(config.budget)
        .classifier(Arc::new(PrestaShopClassifier))
        .metrics(ctx.metrics.clone())
        .build()
}

/// What the mapping knows of a shop: the kit's context (its default currency and UTC
/// offset) and its currencies by `id_currency`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ShopContext {
    pub store: StoreContext,
    pub currencies: BTreeMap<String, Currency>,
}

#[derive(Deserialize)]
struct Currencies {
    #[serde(default)]
    currencies: Vec<CurrencyRow>,
}

#[derive(Deserialize)]
struct CurrencyRow {
    id: Id,
    iso_code: String,
}

#[derive(Deserialize)]
struct Configurations {
    #[serde(default)]
    configurations: Vec<ConfigurationRow>,
}

#[derive(Deserialize)]
struct ConfigurationRow {
    name: String,
    value: Option<String>,
}

/// Names PrestaShop accepts for UTC.
fn utc(name: &str) -> bool {
    matches!(
        name,
        "UTC" | "Etc/UTC" | "GMT" | "Etc/GMT" | "Universal" | "Zulu" | "Etc/Universal"
    )
}

/// The context from the bodies of `GET /currencies` and `GET /configurations`
/// (`[]` is PrestaShop's empty list), with `offset` overriding the shop's time zone.
pub fn context_of(
    currencies: &str,
    configurations: &str,
    offset: Option<FixedOffset>,
) -> Result<ShopContext> {
    let list = |text: &str| text.trim_start().starts_with('[');
    let rows = if list(currencies) {
        Vec::new()
    } else {
        decode_json::<Currencies>(currencies)?.currencies
    };
    let mut by_id = BTreeMap::new();
    for (i, r) in rows.iter().enumerate() {
        by_id.insert(
            r.id.0.clone(),
            currency(&format!("$.currencies[{i}].iso_code"), &r.iso_code)?,
        );
    }
    let config = if list(configurations) {
        Vec::new()
    } else {
        decode_json::<Configurations>(configurations)?.configurations
    };
    let value = |name: &str| {
        config
            .iter()
            .find(|c| c.name == name)
            .and_then(|c| c.value.clone())
    };
    let default = value("PS_CURRENCY_DEFAULT").and_then(|id| by_id.get(&id).cloned());
    let time_zone = match (offset, value("PS_TIMEZONE")) {
        (Some(o), _) => Some(o),
        (None, Some(tz)) if utc(&tz) => FixedOffset::east_opt(0),
        (None, Some(tz)) => {
            return Err(Error::invalid(format!(
                "the shop's time zone is {tz:?}: set the store's utc_offset setting (PrestaShop writes local times without a zone)"
            )));
        }
        (None, None) => None,
    };
    Ok(ShopContext {
        store: StoreContext {
            currency: default,
            time_zone,
            ..StoreContext::default()
        },
        currencies: by_id,
    })
}

/// Reads the shop's currencies and settings.
pub(crate) async fn load_context(
    transport: &Transport,
    config: &PrestaShopConfig,
) -> Result<ShopContext> {
    let get = |path: &'static str, query: Vec<(&'static str, &'static str)>| {
        let url = ApiPath::new(path).under(&config.api_root);
        transport.send(Request::get(url).query(query))
    };
    let currencies = get(
        "currencies",
        vec![("output_format", "JSON"), ("display", "full")],
    )
    .await?;
    let configurations = get(
        "configurations",
        vec![
            ("output_format", "JSON"),
            ("display", "[name,value]"),
            ("filter[name]", "[PS_CURRENCY_DEFAULT|PS_TIMEZONE]"),
        ],
    )
    .await?;
    context_of(
        currencies.text()?,
        configurations.text()?,
        config.utc_offset,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_classic_failures_are_typed() {
        let disabled = r#"{"errors":[{"code":22,"message":"The PrestaShop webservice is disabled. Please activate it in the PrestaShop Back Office"}]}"#;
        assert_eq!(fault(503, disabled), Some(ShopFault::WebserviceDisabled));
        let php = "<br />\n<b>Warning</b>:  Undefined array key \"x\" in <b>/var/www/classes/Tools.php</b><br />\n{\"orders\":[]}";
        assert_eq!(fault(200, php), Some(ShopFault::PhpOutput));
        assert_eq!(
            fault(404, "<!DOCTYPE html><html><title>404</title></html>"),
            Some(ShopFault::HtmlPage { status: 404 })
        );
        assert_eq!(fault(200, r#"{"orders":[]}"#), None);
        assert_eq!(fault(200, "[]"), None);
        assert!(matches!(
            ShopFault::WebserviceDisabled.into_error(503),
            Error::Auth { .. }
        ));
    }

    #[test]
    fn context_from_currencies_and_configurations() {
        let cur = r#"{"currencies":[{"id":1,"iso_code":"EUR"},{"id":2,"iso_code":"USD"}]}"#;
        let conf = r#"{"configurations":[{"name":"PS_CURRENCY_DEFAULT","value":"1"},{"name":"PS_TIMEZONE","value":"UTC"}]}"#;
        let ctx = context_of(cur, conf, None).unwrap();
        assert_eq!(ctx.store.currency.as_ref().unwrap().as_str(), "EUR");
        assert_eq!(ctx.currencies["2"].as_str(), "USD");
        assert_eq!(ctx.store.time_zone, FixedOffset::east_opt(0));
        let paris = r#"{"configurations":[{"name":"PS_TIMEZONE","value":"Europe/Paris"}]}"#;
        assert!(context_of(cur, paris, None).is_err());
        let given = context_of(cur, paris, FixedOffset::east_opt(3600)).unwrap();
        assert_eq!(given.store.time_zone, FixedOffset::east_opt(3600));
    }
}
