//! How polycart talks to BigCommerce: requests through the kit's transport
//! (`X-Auth-Token`, a per-store governor fed by the `X-Rate-Limit-*` window headers,
//! retries), the classification of BigCommerce's answers, the store's context
//! (`/v2/store`), hook registration and webhook verification.
//!
//! Paging: v2 `page`/`limit` (≤ 250); a page past the end is an empty `204`. v3
//! `page`/`limit` with `meta.pagination`. Listings are the kit endpoints declared in
//! [`crate::paging`].

use std::time::Duration;

use http::{HeaderMap, HeaderValue, Method, StatusCode};
use polycart_kit::model::Currency;
use polycart_kit::transport::html::retry_unusable_success;
use polycart_kit::transport::{
    Classify, Request, Response, Verdict, WindowHeaders, classify_status, retry_after,
};
use polycart_kit::{ApiPath, Entity, Error, IdGrammar, Record, Result, WebhookEvent};
use serde_json::{Value, json};

use crate::adapter::BigCommerceAdapter;
use crate::config::BigCommerceConfig;
use crate::wire::{V2Store, V3List};
use polycart_kit::StoreContext;

/// Largest page both API generations serve.
pub(crate) const MAX_PAGE: u32 = 250;

/// BigCommerce's rate-limit headers (they may arrive lower-cased; `HeaderMap` is
/// case-insensitive).
pub const RATE_LIMIT_HEADERS: WindowHeaders = WindowHeaders {
    remaining: "x-rate-limit-requests-left",
    quota: "x-rate-limit-requests-quota",
    window_ms: "x-rate-limit-time-window-ms",
    reset_ms: "x-rate-limit-time-reset-ms",
};

/// BigCommerce's response quirks on top of the HTTP defaults: a 429 waits exactly
/// `X-Rate-Limit-Time-Reset-Ms` (else `X-Retry-After` seconds, else `Retry-After`);
/// a 2xx whose body is HTML or broken JSON (a proxy page, a cut connection) is retried.
#[derive(Debug, Clone, Copy, Default)]
pub struct Classifier;

impl Classify for Classifier {
    fn classify(&self, response: &Response) -> Verdict {
        if response.status == StatusCode::TOO_MANY_REQUESTS {
            let reset = response
                .header("x-rate-limit-time-reset-ms")
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map(Duration::from_millis);
            let legacy = response
                .header("x-retry-after")
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map(Duration::from_secs);
            return Verdict::Throttled {
                after: reset.or(legacy).or_else(|| retry_after(&response.headers)),
            };
        }
        retry_unusable_success(response).unwrap_or_else(|| classify_status(response))
    }
}

impl BigCommerceAdapter {
    pub(crate) fn config(&self) -> &BigCommerceConfig {
        &self.config
    }

    /// The store's API root (`/v2/...` and `/v3/...` live under it).
    pub(crate) fn root(&self) -> Result<url::Url> {
        self.config.url(&ApiPath::new(""))
    }

    fn request(&self, method: Method, path: &ApiPath) -> Result<Request> {
        Ok(Request::new(method, self.config.url(path)?).header(
            http::header::ACCEPT,
            HeaderValue::from_static("application/json"),
        ))
    }

    pub(crate) async fn get(&self, path: &ApiPath, query: &[(&str, String)]) -> Result<Response> {
        self.transport
            .send(
                self.request(Method::GET, path)?
                    .query(query.iter().map(|(k, v)| (*k, v.as_str()))),
            )
            .await
    }

    /// The store's currency and weight unit (`/v2/store`), read once. With the
    /// `currency` setting, a failing `/v2/store` (a token without that scope) only
    /// costs the weight unit.
    pub async fn map_context(&self) -> Result<&StoreContext> {
        self.context
            .get_or_try_init(|| async {
                let store = match self.get(&ApiPath::new("v2/store"), &[]).await.and_then(|r| r.json::<V2Store>()) {
                    Ok(store) => store,
                    Err(e) if self.config.currency.is_some() => {
                        tracing::warn!(store = %self.store_id, error = %e, "cannot read /v2/store; weights stay unitless");
                        return Ok(StoreContext { currency: self.config.currency.clone(), ..Default::default() });
                    }
                    Err(e) => return Err(e),
                };
                let currency = match &self.config.currency {
                    Some(c) => Some(c.clone()),
                    None => store
                        .currency
                        .get()
                        .map(Currency::parse)
                        .transpose()
                        .map_err(|e| Error::decode("$.currency", e.to_string()))?,
                };
                Ok(StoreContext {
                    currency,
                    weight_unit: store.weight_units.get().and_then(|u: &str| polycart_kit::connector::weight_unit(u).map(str::to_owned)),
                    ..Default::default()
                })
            })
            .await
    }

    pub(crate) fn finish(&self, mut record: Record) -> Record {
        record.assign_store(&self.store_id);
        record
    }

    /// Every item of a paged v2 sub-resource (`204` = none).
    pub(crate) async fn v2_all(&self, path: &ApiPath) -> Result<Vec<Value>> {
        let mut out = Vec::new();
        for page in 1u32.. {
            let r = self
                .get(
                    path,
                    &[("page", page.to_string()), ("limit", MAX_PAGE.to_string())],
                )
                .await?;
            if r.status == StatusCode::NO_CONTENT || r.body.is_empty() {
                break;
            }
            let items: Vec<Value> = r.json()?;
            let full = items.len() >= MAX_PAGE as usize;
            out.extend(items);
            if !full {
                break;
            }
        }
        Ok(out)
    }

    pub(crate) async fn v3_list(
        &self,
        path: &ApiPath,
        params: &[(&str, String)],
    ) -> Result<V3List> {
        let r = self.get(path, params).await?;
        if r.status == StatusCode::NO_CONTENT {
            return Ok(V3List {
                data: Vec::new(),
                meta: Default::default(),
            });
        }
        r.json()
    }

    pub(crate) async fn send_json(
        &self,
        method: Method,
        path: &ApiPath,
        body: &Value,
    ) -> Result<Response> {
        self.transport
            .send(self.request(method, path)?.json(body))
            .await
    }

    /// Subscribes `destination` to the scopes of `entities`, after removing our
    /// earlier hooks to it; returns the scopes.
    pub(crate) async fn replace_webhooks(
        &self,
        destination: &url::Url,
        entities: &[Entity],
    ) -> Result<Vec<String>> {
        self.remove_webhooks_to(destination).await?;
        let capabilities = crate::adapter::capabilities();
        let scopes = capabilities.webhook_topics(entities);
        for scope in &scopes {
            self.register_webhook(scope, destination.as_str()).await?;
        }
        Ok(scopes.into_iter().map(str::to_owned).collect())
    }

    /// Deletes every hook delivering to `destination` (`DELETE /v3/hooks/{id}`);
    /// returns how many.
    pub(crate) async fn remove_webhooks_to(&self, destination: &url::Url) -> Result<usize> {
        let mut ours = Vec::new();
        for page in 1u32.. {
            let list = self
                .v3_list(
                    &ApiPath::new("v3/hooks"),
                    &[("page", page.to_string()), ("limit", MAX_PAGE.to_string())],
                )
                .await?;
            let n = list.data.len();
            ours.extend(
                list.data
                    .iter()
                    .filter(|h| {
                        h.get("destination").and_then(Value::as_str) == Some(destination.as_str())
                    })
                    .filter_map(|h| h.get("id").map(|id| id.to_string())),
            );
            let total = list.meta.pagination.map_or(n as u64, |p| p.total);
            if u64::from(page) * u64::from(MAX_PAGE) >= total || n == 0 {
                break;
            }
        }
        for id in &ours {
            let path = ApiPath::new("v3/hooks").num(id)?;
            self.transport
                .send(self.request(Method::DELETE, &path)?)
                .await?;
        }
        Ok(ours.len())
    }

    /// Registers a webhook (`POST /v3/hooks`) for `scope` delivering to `destination`,
    /// with the store's custom header when one is configured. Returns the hook's id.
    pub async fn register_webhook(&self, scope: &str, destination: &str) -> Result<String> {
        let mut body = json!({ "scope": scope, "destination": destination, "is_active": true });
        if let Some((name, value)) = &self.config.webhook_header {
            body["headers"] = json!({ name: value.expose() });
        }
        let r = self
            .send_json(Method::POST, &ApiPath::new("v3/hooks"), &body)
            .await?;
        let v: Value = r.json()?;
        v.pointer("/data/id")
            .map(|id| id.to_string())
            .ok_or_else(|| Error::decode("$.data.id", "the created hook has no id"))
    }

    /// Checks a delivery at a given time (unix seconds); [`Adapter::verify_webhook`] uses now.
    pub fn verify_webhook_at(
        &self,
        headers: &HeaderMap,
        body: &[u8],
        now: i64,
    ) -> Result<WebhookEvent> {
        self.verifier.verify_at(headers, body, now)
    }
}

/// A BigCommerce record id (numeric), or an `Invalid` error: checked before it is
/// used anywhere, including query filters.
pub(crate) fn path_id(id: &str) -> Result<&str> {
    IdGrammar::Numeric.check(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(status: u16, headers: &[(&'static str, &str)], body: &'static str) -> Response {
        let mut h = HeaderMap::new();
        for (k, v) in headers {
            h.insert(*k, v.parse().unwrap());
        }
        Response {
            status: StatusCode::from_u16(status).unwrap(),
            headers: h,
            body: body.as_bytes().to_vec().into(),
            url: "http://127.0.0.1/v2/orders".parse().unwrap(),
        }
    }

    #[test]
    fn a_429_waits_exactly_the_reset() {
        let r = response(
            429,
            &[
                ("x-rate-limit-time-reset-ms", "1234"),
                ("x-retry-after", "2"),
            ],
            "",
        );
        match Classifier.classify(&r) {
            Verdict::Throttled { after } => assert_eq!(after, Some(Duration::from_millis(1234))),
            other => panic!("{other:?}"),
        }
        let r = response(429, &[("X-Retry-After", "2")], "");
        assert!(
            matches!(Classifier.classify(&r), Verdict::Throttled { after: Some(d) } if d == Duration::from_secs(2))
        );
    }

    #[test]
    fn html_and_broken_json_are_retried() {
        let html = response(200, &[("content-type", "text/html")], "<html></html>");
        assert!(matches!(Classifier.classify(&html), Verdict::Retry));
        let cut = response(200, &[("content-type", "application/json")], "[{\"id\":1");
        assert!(matches!(Classifier.classify(&cut), Verdict::Retry));
        let empty = response(204, &[], "");
        assert!(matches!(Classifier.classify(&empty), Verdict::Done));
        let ok = response(200, &[("content-type", "application/json")], "[]");
        assert!(matches!(Classifier.classify(&ok), Verdict::Done));
    }

    #[test]
    fn ids_cannot_escape_the_path() {
        assert!(path_id("123").is_ok());
        assert!(path_id("../x").is_err());
        assert!(path_id("1?a=b").is_err());
        assert_eq!(
            crate::v3::inventory_filter("509:2").unwrap()[0],
            ("variant_id:in", "509".to_owned())
        );
        assert_eq!(
            crate::v3::inventory_filter("product-7:1").unwrap()[0],
            ("product_id:in", "7".to_owned())
        );
    }
}
