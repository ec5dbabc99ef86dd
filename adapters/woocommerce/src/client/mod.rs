//! Requests to one WooCommerce store: the URL form (pretty permalinks or `rest_route`,
//! detected once), the transport with the store's auth (`auth`), the classification of
//! what WordPress sites answer (`classify`) and the kit's AIMD rate for hosts that
//! throttle without rate headers ([`AdaptiveRate`]), and the store settings the API
//! reports (currency, extensions).

mod auth;
mod classify;

use std::sync::Arc;

use http::Method;
use polycart_kit::ApiPath;
use polycart_kit::connector::AdapterContext;
use polycart_kit::error::{Error, Result, excerpt};
use polycart_kit::transport::{AdaptiveRate, Request, Response, RetryPolicy, Transport};
use serde_json::value::RawValue;
use tokio::sync::OnceCell;
use url::Url;

pub use auth::WooAuth;
pub use classify::{BadStore, WooClassifier, json_text};

use crate::PLATFORM;
use crate::config::{AuthMode, UrlForm, WooCommerceConfig};
use polycart_kit::StoreContext;

/// One store's HTTP side.
pub struct Client {
    pub(crate) cfg: WooCommerceConfig,
    transport: Transport,
    pub(crate) auth: Arc<WooAuth>,
    pub(crate) rate: Arc<AdaptiveRate>,
    form: OnceCell<UrlForm>,
    context: OnceCell<StoreContext>,
    tracking: OnceCell<bool>,
}

/// A decoded list page: its items and WordPress's paging headers.
pub struct ListPage {
    pub text: String,
    pub total: Option<u64>,
    pub total_pages: Option<u64>,
    pub headers: http::HeaderMap,
}

impl ListPage {
    pub fn items(&self) -> Result<Vec<&RawValue>> {
        polycart_kit::error::decode_json_borrowed(&self.text)
    }
}

const NAMESPACE: &str = "wc/v3";

impl Client {
    pub fn new(cfg: WooCommerceConfig, ctx: &AdapterContext) -> Self {
        let mode = cfg.effective_auth();
        let auth = Arc::new(WooAuth::new(
            &cfg.consumer_key,
            &cfg.consumer_secret,
            mode,
            mode == AuthMode::Basic,
        ));
        let rate = Arc::new(AdaptiveRate::new(cfg.budget, cfg.min_rate));
        let mut retry = RetryPolicy::default();
        if let Some(n) = cfg.max_retries {
            retry.max_retries = n;
        }
        let transport = Transport::builder(cfg.store_id.clone(), PLATFORM)
            .auth(auth.clone())
            .budget(cfg.budget)
            .budget_reader(rate.clone())
            .classifier(Arc::new(WooClassifier))
            .retry(retry)
            .timeout(cfg.timeout)
            .metrics(ctx.metrics.clone())
            .build();
        let form = match cfg.url_form {
            UrlForm::Auto => OnceCell::new(),
            f => OnceCell::new_with(Some(f)),
        };
        Self {
            cfg,
            transport,
            auth,
            rate,
            form,
            context: OnceCell::new(),
            tracking: OnceCell::new(),
        }
    }

    pub fn transport(&self) -> &Transport {
        &self.transport
    }

    fn url_for(&self, form: UrlForm, route: &str) -> Url {
        let site = self.cfg.site.as_str().trim_end_matches('/');
        let route = route.trim_start_matches('/');
        let text = match form {
            UrlForm::RestRoute => format!("{site}/index.php"),
            _ => format!("{site}/wp-json/{route}"),
        };
        let mut url = Url::parse(&text).unwrap_or_else(|_| self.cfg.site.clone());
        if form == UrlForm::RestRoute {
            url.query_pairs_mut()
                .append_pair("rest_route", &format!("/{route}"));
        }
        url
    }

    /// Which URL form the site uses, probing once: `/wp-json/wc/v3`, then
    /// `/index.php?rest_route=/wc/v3` (which every WordPress site answers). The first
    /// probe is not retried (a site without pretty permalinks may answer it with an HTML
    /// page, which is otherwise retried) unless the connection itself failed.
    pub async fn url_form(&self) -> Result<UrlForm> {
        self.form
            .get_or_try_init(|| async {
                let url = self.url_for(UrlForm::Pretty, NAMESPACE);
                let pretty = match self.send(Request::get(url.clone()).idempotent(false)).await {
                    Err(Error::Transport { .. }) => self.send(Request::get(url)).await,
                    other => other,
                };
                match pretty {
                    Ok(_) => return Ok(UrlForm::Pretty),
                    Err(Error::NotFound { what }) if what == BadStore::PluginMissing.to_string() => {
                        return Err(Error::NotFound { what });
                    }
                    Err(e @ (Error::Auth { .. } | Error::Transport { .. } | Error::RateLimited { .. } | Error::Invalid { .. })) => return Err(e),
                    Err(e) => tracing::debug!(error = %e, "no pretty permalinks; trying rest_route"),
                }
                self.send(Request::get(self.url_for(UrlForm::RestRoute, NAMESPACE))).await?;
                tracing::info!(store = %self.cfg.store_id, "site has no pretty permalinks: using ?rest_route=");
                Ok(UrlForm::RestRoute)
            })
            .await
            .copied()
    }

    /// Sends a request through the store's transport (whose classifier explains a bad
    /// store's answer it gave up on).
    pub async fn send(&self, request: Request) -> Result<Response> {
        self.transport.send(request).await
    }

    /// The URL of a wc/v3 route (`orders/727`) with query parameters.
    pub async fn url(&self, route: &ApiPath, query: &[(&str, String)]) -> Result<Url> {
        self.url_in(NAMESPACE, route, query).await
    }

    /// The URL of a route in any namespace (`wc-shipment-tracking/v3`): the route is
    /// an [`ApiPath`], so every id in it was checked and encoded.
    pub async fn url_in(
        &self,
        namespace: &'static str,
        route: &ApiPath,
        query: &[(&str, String)],
    ) -> Result<Url> {
        let form = self.url_form().await?;
        let mut url = self.url_for(form, &format!("{namespace}/{route}"));
        if !query.is_empty() {
            let mut q = url.query_pairs_mut();
            for (k, v) in query {
                q.append_pair(k, v);
            }
        }
        Ok(url)
    }

    /// Sends a request and returns its JSON text (PHP output before it stripped).
    pub async fn send_json(&self, request: Request) -> Result<(Response, String)> {
        let response = self.send(request).await?;
        let text = response.text()?;
        let json = match json_text(text) {
            Ok(Some(j)) => j.to_owned(),
            Ok(None) if text.trim().is_empty() => "null".to_owned(),
            Ok(None) => {
                return Err(Error::decode(
                    "$",
                    format!("not JSON: {:?}", excerpt(text, 60)),
                ));
            }
            Err(bad) => return Err(bad.into_error(response.status.as_u16())),
        };
        Ok((response, json))
    }

    pub async fn get_json(&self, route: &ApiPath, query: &[(&str, String)]) -> Result<String> {
        let url = self.url(route, query).await?;
        Ok(self.send_json(Request::get(url)).await?.1)
    }

    pub async fn list(&self, route: &ApiPath, query: &[(&str, String)]) -> Result<ListPage> {
        let url = self.url(route, query).await?;
        let (response, text) = self.send_json(Request::get(url)).await?;
        let header = |n: &str| {
            response
                .header(n)
                .and_then(|v| v.trim().parse::<u64>().ok())
        };
        Ok(ListPage {
            total: header("x-wp-total"),
            total_pages: header("x-wp-totalpages"),
            text,
            headers: response.headers,
        })
    }

    /// Sends a JSON body with `method` to a wc/v3 route.
    pub async fn write_json(
        &self,
        method: Method,
        route: &ApiPath,
        body: &serde_json::Value,
    ) -> Result<String> {
        let url = self.url(route, &[]).await?;
        Ok(self
            .send_json(Request::new(method, url).json(body))
            .await?
            .1)
    }

    /// Store settings the payloads lack: the currency from `/system_status` unless
    /// configured, the weight unit from configuration.
    pub async fn context(&self) -> Result<StoreContext> {
        self.context
            .get_or_try_init(|| async {
                let currency = match &self.cfg.currency {
                    Some(c) => Some(c.clone()),
                    None => {
                        let text = self.get_json(&ApiPath::new("system_status"), &[]).await?;
                        let v: serde_json::Value = polycart_kit::error::decode_json(&text)?;
                        v.pointer("/settings/currency")
                            .and_then(|c| c.as_str())
                            .and_then(|c| polycart_kit::model::Currency::parse(c).ok())
                    }
                };
                Ok(StoreContext {
                    currency,
                    weight_unit: self.cfg.weight_unit.clone(),
                    ..StoreContext::default()
                })
            })
            .await
            .cloned()
    }

    /// The context if already known (webhook verification cannot wait for IO).
    pub fn cached_context(&self) -> StoreContext {
        self.context.get().cloned().unwrap_or_else(|| StoreContext {
            currency: self.cfg.currency.clone(),
            weight_unit: self.cfg.weight_unit.clone(),
            ..StoreContext::default()
        })
    }

    /// Whether the Shipment Tracking extension answers (its namespace is listed in the
    /// site's REST index), unless configured.
    pub async fn has_tracking(&self) -> Result<bool> {
        match self.cfg.tracking {
            crate::config::Tracking::On => return Ok(true),
            crate::config::Tracking::Off => return Ok(false),
            crate::config::Tracking::Auto => {}
        }
        self.tracking
            .get_or_try_init(|| async {
                let form = self.url_form().await?;
                let url = match form {
                    UrlForm::RestRoute => self.url_for(form, ""),
                    _ => self.url_for(form, ""),
                };
                let (_, text) = self.send_json(Request::get(url)).await?;
                let v: serde_json::Value = polycart_kit::error::decode_json(&text)?;
                Ok(v.get("namespaces")
                    .and_then(|n| n.as_array())
                    .is_some_and(|n| {
                        n.iter()
                            .any(|x| x.as_str() == Some("wc-shipment-tracking/v3"))
                    }))
            })
            .await
            .copied()
    }

    /// The request rate adaptive back-off allows now.
    pub fn current_rate(&self) -> f64 {
        self.rate.rate()
    }

    /// The auth mode in use now (basic turns into query keys after a stripped header).
    pub fn auth_mode(&self) -> AuthMode {
        self.auth.mode()
    }
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("store", &self.cfg.store_id)
            .field("site", &self.cfg.site.as_str())
            .finish_non_exhaustive()
    }
}
