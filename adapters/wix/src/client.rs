//! How polycart talks to Wix: the store's auth (an OAuth access token minted with the
//! client-credentials grant or refreshed from the legacy refresh token, both through
//! the kit's rotation-safe `OAuth2Bearer` and the token sink; or an API key with
//! `wix-site-id`), always in `Authorization` **without** "Bearer"; the transport with
//! the 200-a-minute budget; and the classification of Wix's answers (its error body is
//! `{"message", "details": {"applicationError"|"validationError"}}`; HTML or broken
//! JSON on a 2xx is retried; 429 waits; 401/403 are auth errors).

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use http::{HeaderName, HeaderValue};
use polycart_kit::auth::{
    Auth, HeaderToken, OAuth2Bearer, OAuth2Client, PreparedRequest, TokenSet,
};
use polycart_kit::connector::AdapterContext;
use polycart_kit::transport::html::retry_unusable_success;
use polycart_kit::transport::{Classify, Response, Transport, Verdict, classify_status};
use polycart_kit::{Error, Result, Secret, StoreConfig};

use crate::PLATFORM;
use crate::config::{WixAuth, WixConfig};

/// The largest page of a search or query (`cursorPaging.limit`, `paging.limit` ≤ 100).
pub const MAX_PAGE: u32 = 100;

/// The header naming the site an API key acts on.
pub const SITE_HEADER: &str = "wix-site-id";

/// An API key and the site it acts on.
#[derive(Debug, Clone)]
struct SiteKey {
    key: HeaderToken,
    site: HeaderValue,
}

#[async_trait]
impl Auth for SiteKey {
    async fn authorize(&self, request: &mut PreparedRequest) -> Result<()> {
        self.key.authorize(request).await?;
        request
            .headers
            .insert(HeaderName::from_static(SITE_HEADER), self.site.clone());
        Ok(())
    }

    fn secrets(&self) -> Vec<Secret> {
        self.key.secrets()
    }
}

/// The store's auth.
pub fn auth(config: &WixConfig, ctx: &AdapterContext) -> Result<Arc<dyn Auth>> {
    let root = config.api_root.clone();
    let token_url = |path: &str| -> Result<String> {
        root.join(path)
            .map(|u| u.to_string())
            .map_err(|e| Error::invalid(format!("token url: {e}")))
    };
    let persisted = TokenSet {
        access_token: config
            .access_token
            .clone()
            .unwrap_or_else(|| Secret::new("")),
        refresh_token: None,
        expires_at: config.token_expires_at,
    };
    let (client, tokens) = match &config.auth {
        WixAuth::ApiKey { api_key, site_id } => {
            let site = HeaderValue::from_str(site_id)
                .map_err(|_| Error::invalid("site_id cannot be sent in a header"))?;
            return Ok(Arc::new(SiteKey {
                key: HeaderToken::new(http::header::AUTHORIZATION, api_key.clone()),
                site,
            }));
        }
        WixAuth::OAuth {
            app_id,
            app_secret,
            instance_id,
        } => (
            OAuth2Client::new(
                app_id,
                app_secret.clone(),
                &token_url("oauth2/token")?,
                true,
            )?
            .json_body()
            .client_credentials(&[("instance_id", instance_id)]),
            persisted,
        ),
        WixAuth::Legacy {
            app_id,
            app_secret,
            refresh_token,
        } => (
            OAuth2Client::new(
                app_id,
                app_secret.clone(),
                &token_url("oauth/access")?,
                true,
            )?
            .json_body()
            // Wix's answer states no lifetime; its access tokens last 5 minutes.
            .assume_lifetime(Duration::from_secs(300)),
            TokenSet {
                refresh_token: Some(refresh_token.clone()),
                ..persisted
            },
        ),
    };
    let mut bearer = OAuth2Bearer::new(client, tokens).in_header(http::header::AUTHORIZATION);
    if let Some(sink) = &ctx.token_sink {
        bearer = bearer.with_sink(sink.clone());
    }
    Ok(Arc::new(bearer))
}

/// Wix's answers, read.
#[derive(Debug, Clone, Copy)]
pub struct WixClassifier;

impl Classify for WixClassifier {
    fn classify(&self, response: &Response) -> Verdict {
        retry_unusable_success(response).unwrap_or_else(|| classify_status(response))
    }
}

/// The store's transport.
pub(crate) fn transport(
    store: &StoreConfig,
    config: &WixConfig,
    ctx: &AdapterContext,
) -> Result<Transport> {
    Ok(Transport::builder(store.store_id.clone(), PLATFORM)
        .auth(auth(config, ctx)?)
        .budget(config.budget)
        .classifier(Arc::new(WixClassifier))
        .metrics(ctx.metrics.clone())
        .build())
}

/// The parts of a search request, read from its parameters: `field.$op` pairs are
/// filter conditions, `sort` names a field sorted ascending, `limit`, `offset` and
/// `cursor` are paging, anything else a top-level flag (`includeVariants`).
#[derive(Default)]
struct Parts {
    filter: serde_json::Map<String, serde_json::Value>,
    sort: Vec<String>,
    paging: serde_json::Map<String, serde_json::Value>,
    flags: serde_json::Map<String, serde_json::Value>,
}

fn parts(pairs: &[(String, String)]) -> Result<Parts> {
    use serde_json::Value;
    let mut p = Parts::default();
    let number = |k: &str, v: &str| -> Result<Value> {
        v.parse::<u64>()
            .map(Value::from)
            .map_err(|_| Error::invalid(format!("{k} {v:?} is not a number")))
    };
    for (k, v) in pairs {
        match k.as_str() {
            "limit" | "offset" => {
                p.paging.insert(k.clone(), number(k, v)?);
            }
            "cursor" => {
                p.paging.insert(k.clone(), Value::from(v.as_str()));
            }
            "sort" => p.sort.push(v.clone()),
            _ => match k.split_once(".$") {
                Some((field, op)) => {
                    let condition = p
                        .filter
                        .entry(field.to_owned())
                        .or_insert_with(|| Value::Object(Default::default()));
                    if let Value::Object(c) = condition {
                        c.insert(format!("${op}"), Value::from(v.as_str()));
                    }
                }
                None => {
                    let flag = match v.as_str() {
                        "true" => Value::Bool(true),
                        "false" => Value::Bool(false),
                        other => Value::from(other),
                    };
                    p.flags.insert(k.clone(), flag);
                }
            },
        }
    }
    Ok(p)
}

/// The sort of the newer query language: `[{"fieldName": f, "order": "ASC"}]`.
fn sort_fields(sort: &[String]) -> serde_json::Value {
    sort.iter()
        .map(|f| serde_json::json!({ "fieldName": f, "order": "ASC" }))
        .collect()
}

/// `{"search": {"filter", "sort", "cursorPaging": {"limit", "cursor"}}}` (eCommerce
/// searches). With a cursor Wix takes the filter and sort from it, so the cursor's
/// requests carry neither.
pub fn ecom_search(pairs: &[(String, String)]) -> Result<serde_json::Value> {
    let p = parts(pairs)?;
    let mut search = serde_json::Map::new();
    if !p.filter.is_empty() {
        search.insert("filter".into(), p.filter.into());
    }
    if !p.sort.is_empty() {
        search.insert("sort".into(), sort_fields(&p.sort));
    }
    search.insert("cursorPaging".into(), p.paging.into());
    Ok(serde_json::json!({ "search": search }))
}

/// `{"query": {"filter", "sort", "paging": {"limit", "offset"}}}` (Contacts v4).
pub fn contacts_query(pairs: &[(String, String)]) -> Result<serde_json::Value> {
    let p = parts(pairs)?;
    let mut query = serde_json::Map::new();
    if !p.filter.is_empty() {
        query.insert("filter".into(), p.filter.into());
    }
    if !p.sort.is_empty() {
        query.insert("sort".into(), sort_fields(&p.sort));
    }
    query.insert("paging".into(), p.paging.into());
    Ok(serde_json::json!({ "query": query }))
}

/// `{"query": {"filter": "<json>", "sort": "<json>", "paging": {"limit", "offset"}},
/// "includeVariants": true}` (Stores Catalog V1: filter and sort are JSON *strings*,
/// the sort `[{"lastUpdated": "asc"}]`).
pub fn catalog_query(pairs: &[(String, String)]) -> Result<serde_json::Value> {
    let p = parts(pairs)?;
    let mut query = serde_json::Map::new();
    if !p.filter.is_empty() {
        query.insert(
            "filter".into(),
            serde_json::Value::String(serde_json::Value::Object(p.filter).to_string()),
        );
    }
    if !p.sort.is_empty() {
        let sort: Vec<serde_json::Value> = p
            .sort
            .iter()
            .map(|f| serde_json::json!({ f.as_str(): "asc" }))
            .collect();
        query.insert(
            "sort".into(),
            serde_json::Value::String(serde_json::Value::Array(sort).to_string()),
        );
    }
    query.insert("paging".into(), p.paging.into());
    let mut body = p.flags;
    body.insert("query".into(), query.into());
    Ok(body.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
        p.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn search_bodies_follow_each_api() {
        let first = ecom_search(&pairs(&[
            ("sort", "updatedDate"),
            ("updatedDate.$gt", "2025-01-01T00:00:09Z"),
            ("limit", "50"),
        ]))
        .unwrap();
        assert_eq!(
            first,
            serde_json::json!({"search": {
                "filter": {"updatedDate": {"$gt": "2025-01-01T00:00:09Z"}},
                "sort": [{"fieldName": "updatedDate", "order": "ASC"}],
                "cursorPaging": {"limit": 50}
            }})
        );
        let next = ecom_search(&pairs(&[("cursor", "abc"), ("limit", "50")])).unwrap();
        assert_eq!(
            next,
            serde_json::json!({"search": {"cursorPaging": {"cursor": "abc", "limit": 50}}})
        );
        let catalog = catalog_query(&pairs(&[
            ("includeVariants", "true"),
            ("sort", "lastUpdated"),
            ("lastUpdated.$gte", "2025-01-01T00:00:09Z"),
            ("lastUpdated.$lt", "2025-01-01T00:00:10Z"),
            ("offset", "3"),
            ("limit", "10"),
        ]))
        .unwrap();
        assert_eq!(catalog["includeVariants"], true);
        assert_eq!(catalog["query"]["sort"], r#"[{"lastUpdated":"asc"}]"#);
        let filter: serde_json::Value =
            serde_json::from_str(catalog["query"]["filter"].as_str().unwrap()).unwrap();
        assert_eq!(filter["lastUpdated"]["$lt"], "2025-01-01T00:00:10Z");
        assert_eq!(
            catalog["query"]["paging"],
            serde_json::json!({"offset": 3, "limit": 10})
        );
        assert!(ecom_search(&pairs(&[("limit", "many")])).is_err());
        let contacts = contacts_query(&pairs(&[
            ("sort", "createdDate"),
            ("offset", "0"),
            ("limit", "5"),
        ]))
        .unwrap();
        assert_eq!(contacts["query"]["paging"]["limit"], 5);
    }
}
