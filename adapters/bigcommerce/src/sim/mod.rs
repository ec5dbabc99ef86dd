//! The BigCommerce simulator (`polycart simulate bigcommerce`): a generated store
//! served under `/stores/{store_hash}` with both API generations — v2 orders and their
//! sub-resources (RFC 2822 dates, "25.0000" money, `page`/`limit`, `204` past the end,
//! `min_date_modified`/`max_date_modified`, `sort=date_modified:asc`, `/v2/orders/count`,
//! `/v2/time`, `/v2/order_statuses`, `/v2/store`), v3 catalog, customers, categories
//! (and trees) and inventory (`meta.pagination`, `date_modified:min`), writes, `/v3/hooks`
//! with thin webhooks signed as BigCommerce signs them (Standard Webhooks, keyed with
//! the client secret, plus the hook's custom headers), `X-Auth-Token` auth, the
//! per-window quota with its four `X-Rate-Limit-*` headers on every response and 429s
//! when it is spent, and the kit's faults.
//!
//! Plans (`--plan`): `standard` and `plus` (150 requests per 30 s), `pro` (450 per
//! 30 s), or a custom `N/Mms` (`20/2000ms`: 20 requests per 2 s window).
//!
//! Architecture invariant: nothing here imports the adapter's wire types, mapping or
//! client; the JSON comes from [`render`], shaped after the real payloads.

mod extras;
mod handle;
mod render;
mod routes;

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, SubsecRound, Utc};
use futures::future::BoxFuture;
use http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use polycart_kit::auth::hmac::{base64, hex, hmac_sha1, hmac_sha256};
use polycart_kit::sim::{
    Faults, FixedWindow, SimInfo, SimOptions, SimServer, SimStore, WebhookSender, WindowState,
};
use serde_json::{Value, json};

/// A registered hook (`POST /v3/hooks`).
#[derive(Debug, Clone)]
pub struct Hook {
    pub id: u64,
    pub scope: String,
    pub destination: String,
    pub is_active: bool,
    pub headers: BTreeMap<String, String>,
    pub created_at: i64,
}

/// A webhook the simulator sent (or tried to send).
#[derive(Debug, Clone)]
pub struct Delivery {
    pub hook_id: u64,
    pub destination: String,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

/// The simulator's state, shared by its handlers.
pub(crate) struct Sim {
    pub(crate) store: Mutex<SimStore>,
    /// Order status ids (BigCommerce's own field; the generic store has states).
    pub(crate) statuses: Mutex<HashMap<u64, i64>>,
    pub(crate) hooks: Mutex<Vec<Hook>>,
    pub(crate) deliveries: Mutex<Vec<Delivery>>,
    pub(crate) limiter: FixedWindow,
    pub(crate) token: String,
    pub(crate) client_secret: String,
    pub(crate) store_hash: String,
    api_root: std::sync::OnceLock<String>,
    pub(crate) sender: WebhookSender,
    next_message: std::sync::atomic::AtomicU64,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Now, to the second (v2 dates carry seconds only).
pub(crate) fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(0)
}

impl Sim {
    /// `http://host:port/stores/{hash}`: what links in payloads point to.
    pub(crate) fn api_root(&self) -> &str {
        self.api_root.get().map_or("", String::as_str)
    }

    pub(crate) fn store(&self) -> MutexGuard<'_, SimStore> {
        lock(&self.store)
    }

    pub(crate) fn status_of(&self, order: &polycart_kit::sim::SimOrder) -> i64 {
        lock(&self.statuses)
            .get(&order.id)
            .copied()
            .unwrap_or_else(|| render::initial_status(order))
    }

    pub(crate) fn set_status(&self, order: u64, status: i64) {
        lock(&self.statuses).insert(order, status);
    }

    /// Builds a signed thin callback for `scope` about `data`, as BigCommerce sends it.
    pub(crate) fn signed_callback(
        &self,
        scope: &str,
        data: &Value,
        extra: &BTreeMap<String, String>,
    ) -> (HeaderMap, Vec<u8>) {
        let created = Utc::now().timestamp();
        let data_text = data.to_string();
        let body = json!({
            "scope": scope,
            "store_id": "1001",
            "data": data,
            "hash": hex(&hmac_sha1(self.store_hash.as_bytes(), data_text.as_bytes())),
            "created_at": created,
            "producer": format!("stores/{}", self.store_hash),
        })
        .to_string()
        .into_bytes();
        let n = self
            .next_message
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let id = format!("msg_{}_{n}", self.store_hash);
        let ts = created.to_string();
        let mut content = format!("{id}.{ts}.").into_bytes();
        content.extend_from_slice(&body);
        let signature = format!(
            "v1,{}",
            base64(&hmac_sha256(self.client_secret.as_bytes(), &content))
        );
        let mut headers = HeaderMap::new();
        let mut put = |k: &str, v: &str| {
            if let (Ok(k), Ok(v)) = (
                HeaderName::from_bytes(k.as_bytes()),
                HeaderValue::from_str(v),
            ) {
                headers.insert(k, v);
            }
        };
        put("content-type", "application/json");
        put("webhook-id", &id);
        put("webhook-timestamp", &ts);
        put("webhook-signature", &signature);
        for (k, v) in extra {
            put(k, v);
        }
        (headers, body)
    }

    /// Delivers `scope` to every active hook subscribed to it (exact, or `store/order/*`).
    pub(crate) fn fire(self: &Arc<Self>, scope: &str, data: Value) {
        let hooks: Vec<Hook> = lock(&self.hooks)
            .iter()
            .filter(|h| h.is_active && scope_matches(&h.scope, scope))
            .cloned()
            .collect();
        for hook in hooks {
            let (headers, body) = self.signed_callback(scope, &data, &hook.headers);
            lock(&self.deliveries).push(Delivery {
                hook_id: hook.id,
                destination: hook.destination.clone(),
                headers: headers.clone(),
                body: body.clone(),
            });
            let sender = self.sender.clone();
            tokio::spawn(async move {
                if let Err(e) = sender.deliver(&hook.destination, headers, body).await {
                    tracing::debug!(destination = %hook.destination, error = %e, "simulated webhook not delivered");
                }
            });
        }
    }
}

fn scope_matches(pattern: &str, scope: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => scope.starts_with(prefix),
        None => pattern == scope,
    }
}

/// A handle for tests: the store, registered hooks and sent webhooks.
#[derive(Clone)]
pub struct BigCommerceSim {
    sim: Arc<Sim>,
}

impl BigCommerceSim {
    /// Runs `f` on the generated store (to read or change it).
    pub fn with_store<T>(&self, f: impl FnOnce(&mut SimStore) -> T) -> T {
        f(&mut self.sim.store())
    }

    /// Marks `count` orders (chosen by `seed`) as changed now; returns their ids.
    pub fn touch_orders(&self, seed: u64, count: usize) -> Vec<u64> {
        self.sim.store().touch_some(seed, count, now())
    }

    /// Every webhook sent so far.
    pub fn deliveries(&self) -> Vec<Delivery> {
        lock(&self.sim.deliveries).clone()
    }

    pub fn hooks(&self) -> Vec<Hook> {
        lock(&self.sim.hooks).clone()
    }

    /// A signed callback as a hook with `headers` would receive it (not sent).
    pub fn signed_callback(
        &self,
        scope: &str,
        data: Value,
        headers: &BTreeMap<String, String>,
    ) -> (HeaderMap, Vec<u8>) {
        self.sim.signed_callback(scope, &data, headers)
    }

    pub fn access_token(&self) -> &str {
        &self.sim.token
    }

    pub fn client_secret(&self) -> &str {
        &self.sim.client_secret
    }
}

/// The rate-limit window of a plan.
pub fn plan_limits(plan: Option<&str>) -> Result<(u64, Duration), String> {
    match plan.map(str::trim).unwrap_or("standard") {
        "standard" | "plus" | "" => Ok((150, Duration::from_secs(30))),
        "pro" => Ok((450, Duration::from_secs(30))),
        custom => {
            let parse = || -> Option<(u64, Duration)> {
                let (n, w) = custom.split_once('/')?;
                let ms: u64 = w.strip_suffix("ms")?.parse().ok()?;
                Some((
                    n.parse().ok().filter(|n| *n > 0)?,
                    Duration::from_millis(ms.max(1)),
                ))
            };
            parse().ok_or_else(|| {
                format!("unknown bigcommerce plan {custom:?}; known: standard, plus, pro, or N/Mms")
            })
        }
    }
}

/// Writes BigCommerce's four quota headers for a window. The reset is rounded up to the
/// next millisecond, so it never promises the window back before it is.
pub fn window_headers(headers: &mut HeaderMap, w: &WindowState) {
    let mut put = |k: &'static str, v: u128| {
        headers.insert(HeaderName::from_static(k), HeaderValue::from(v as u64));
    };
    put("x-rate-limit-requests-left", u128::from(w.remaining));
    put("x-rate-limit-requests-quota", u128::from(w.quota));
    put("x-rate-limit-time-window-ms", w.window.as_millis());
    let reset_ms = w.reset_in.as_nanos().div_ceil(1_000_000);
    put("x-rate-limit-time-reset-ms", reset_ms);
}

/// The quota: every response carries the four headers; a spent window answers 429.
async fn rate_limit(State(sim): State<Arc<Sim>>, request: Request, next: Next) -> Response {
    match sim.limiter.take(Instant::now()) {
        Ok(w) => {
            let mut response = next.run(request).await;
            window_headers(response.headers_mut(), &w);
            response
        }
        Err(w) => {
            let body = json!({
                "status": 429,
                "title": "Too many requests",
                "type": "https://developer.bigcommerce.com/api-docs/getting-started/api-status-codes",
            });
            let mut response = (StatusCode::TOO_MANY_REQUESTS, axum::Json(body)).into_response();
            window_headers(response.headers_mut(), &w);
            let secs = w.reset_in.as_secs() + u64::from(w.reset_in.subsec_nanos() > 0);
            response.headers_mut().insert(
                HeaderName::from_static("x-retry-after"),
                HeaderValue::from(secs),
            );
            response
        }
    }
}

/// `X-Auth-Token` must be the store's access token.
async fn auth(State(sim): State<Arc<Sim>>, request: Request, next: Next) -> Response {
    let given = request
        .headers()
        .get("x-auth-token")
        .and_then(|v| v.to_str().ok());
    if given != Some(sim.token.as_str()) {
        let body = json!({
            "status": 401,
            "title": "No valid credentials were found in this request",
            "type": "https://developer.bigcommerce.com/api-docs/getting-started/api-status-codes",
        });
        return (StatusCode::UNAUTHORIZED, axum::Json(body)).into_response();
    }
    next.run(request).await
}

/// Starts the simulator and returns a handle on its state (for tests).
pub async fn start(
    options: SimOptions,
    addr: SocketAddr,
) -> std::io::Result<(SimServer, BigCommerceSim)> {
    let (quota, window) = plan_limits(options.plan.as_deref())
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
    let store_hash = format!("sim{}", options.seed);
    let sim = Arc::new(Sim {
        store: Mutex::new(SimStore::generate(options.seed, options.size)),
        statuses: Mutex::new(HashMap::new()),
        hooks: Mutex::new(Vec::new()),
        deliveries: Mutex::new(Vec::new()),
        limiter: FixedWindow::new(quota, window),
        token: format!("simtoken{}", options.seed),
        client_secret: format!("simsecret{}", options.seed),
        store_hash: store_hash.clone(),
        api_root: std::sync::OnceLock::new(),
        sender: WebhookSender::default(),
        next_message: std::sync::atomic::AtomicU64::new(1),
    });
    let faults = Faults::new(options.faults.clone(), options.seed);
    let api = faults
        .layer(routes::router())
        .layer(axum::middleware::from_fn_with_state(sim.clone(), auth))
        .layer(axum::middleware::from_fn_with_state(
            sim.clone(),
            rate_limit,
        ))
        .with_state(sim.clone());
    let router = axum::Router::new().nest(&format!("/stores/{store_hash}"), api);
    let (bound, server) = SimServer::start(router, addr).await?;
    let api_root = format!("http://{bound}/stores/{store_hash}");
    let _ = sim.api_root.set(api_root.clone());
    let mut credentials = BTreeMap::new();
    credentials.insert("access_token".to_owned(), sim.token.clone());
    credentials.insert("client_secret".to_owned(), sim.client_secret.clone());
    credentials.insert("store_hash".to_owned(), store_hash);
    let info = SimInfo {
        platform: crate::PLATFORM.to_owned(),
        base_url: api_root,
        credentials,
    };
    let meter = sim.clone();
    let handle = handle::Handle {
        sim: sim.clone(),
        faults,
    };
    let server = server
        .with_info(info)
        .with_handle(Arc::new(handle))
        .with_meter("rest", move |now| meter.limiter.usage(now));
    Ok((server, BigCommerceSim { sim }))
}

/// The registry's entry point: starts the simulator on `addr`.
pub fn simulate(
    options: SimOptions,
    addr: SocketAddr,
) -> BoxFuture<'static, std::io::Result<SimServer>> {
    Box::pin(async move { start(options, addr).await.map(|(server, _)| server) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans() {
        assert_eq!(plan_limits(None).unwrap(), (150, Duration::from_secs(30)));
        assert_eq!(
            plan_limits(Some("plus")).unwrap(),
            (150, Duration::from_secs(30))
        );
        assert_eq!(
            plan_limits(Some("pro")).unwrap(),
            (450, Duration::from_secs(30))
        );
        assert_eq!(
            plan_limits(Some("5/1500ms")).unwrap(),
            (5, Duration::from_millis(1500))
        );
        assert!(plan_limits(Some("gold")).is_err());
    }

    #[test]
    fn wildcard_scopes() {
        assert!(scope_matches("store/order/*", "store/order/statusUpdated"));
        assert!(scope_matches("store/order/created", "store/order/created"));
        assert!(!scope_matches("store/order/created", "store/order/updated"));
    }
}
