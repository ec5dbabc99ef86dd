//! The Shopify simulator: one seeded store served over Shopify's REST Admin API
//! (`/admin/api/{YYYY-MM}/...`, any version), with `X-Shopify-Access-Token` auth, the
//! leaky bucket and its `X-Shopify-Shop-Api-Call-Limit` header and 429s, `Link`
//! header `page_info` cursors frozen to their filters, `shop.json`, access scopes,
//! `events.json` deletions, the writes the adapter offers, webhooks signed with the
//! app secret, and the kit's fault injection; and over the GraphQL Admin API
//! (`graphql.json`: cost-based throttling, bulk operations) and the OAuth endpoints.
//!
//! Architecture invariant: this module never imports the adapter's wire types,
//! mapping or client; it renders JSON from [`SimStore`] after the real payloads.

mod bulk;
mod bulk_rules;
mod cost;
mod gql_http;
mod gql_paging;
mod gql_writes;
mod graphql;
mod handle;
mod oauth;
mod ops;
mod render;
mod rest;
mod schema;
mod shop_clock;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::Router;
use futures::FutureExt;
use futures::future::BoxFuture;
use http::{HeaderMap, HeaderValue};
use polycart_kit::auth::hmac::{base64, hmac_sha256};
use polycart_kit::sim::{
    Faults, LeakyBucket, SimInfo, SimOptions, SimServer, SimStore, WebhookSender,
};

/// A Shopify plan's REST bucket (GraphQL: 2000 points restoring 100/s, Plus 20000 / 1000): size and leak per second.
fn plan_bucket(plan: &str) -> (f64, f64) {
    match plan {
        "plus" | "shopify_plus" => (400.0, 20.0),
        "advanced" => (80.0, 4.0),
        _ => (40.0, 2.0),
    }
}

/// Everything the simulator holds.
pub struct SimState {
    store: Mutex<SimStore>,
    /// The admin API access token every request must carry.
    pub access_token: String,
    /// The app's client secret: signs webhooks and OAuth callbacks.
    pub api_secret: String,
    pub plan: String,
    bucket: LeakyBucket,
    /// GraphQL's cost points.
    cost_bucket: LeakyBucket,
    /// Deletion events (`events.json`), newest last.
    events: Mutex<Vec<serde_json::Value>>,
    oauth: Mutex<oauth::OAuthState>,
    bulk: Mutex<bulk::Bulk>,
    /// Webhook subscriptions: id, topic, address, created at.
    webhooks: Mutex<Vec<(u64, String, String, String)>>,
}

impl std::fmt::Debug for SimState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimState")
            .field("plan", &self.plan)
            .finish_non_exhaustive()
    }
}

impl SimState {
    /// A store for `options` (seed, size, plan).
    pub fn new(options: &SimOptions) -> Arc<Self> {
        let plan = options
            .plan
            .clone()
            .unwrap_or_else(|| "standard".to_owned());
        let (size, leak) = plan_bucket(&plan);
        let cost_restore = if plan == "plus" || plan == "shopify_plus" {
            1000.0
        } else {
            100.0
        };
        let hex = polycart_kit::auth::hmac::hex(&hmac_sha256(
            b"polycart-shopify-sim",
            &options.seed.to_le_bytes(),
        ));
        Arc::new(Self {
            store: Mutex::new(SimStore::generate(options.seed, options.size)),
            access_token: format!("shpat_{}", &hex[..32]),
            api_secret: format!("shpss_{}", &hex[32..64]),
            plan,
            bucket: LeakyBucket::new(size, leak),
            cost_bucket: LeakyBucket::new(cost_restore * 20.0, cost_restore),
            events: Mutex::new(Vec::new()),
            oauth: Mutex::new(oauth::OAuthState::default()),
            bulk: Mutex::new(bulk::Bulk::default()),
            webhooks: Mutex::new(Vec::new()),
        })
    }

    /// The store, for tests that change records while a sync runs.
    pub fn store(&self) -> MutexGuard<'_, SimStore> {
        self.store.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Spends REST calls from the shop's bucket as another app on the same shop would.
    pub fn spend_rest_calls(&self, calls: u32) {
        let now = std::time::Instant::now();
        for _ in 0..calls {
            if self.bucket.take(1.0, now).is_err() {
                break;
            }
        }
    }

    /// Spends GraphQL cost points as another app on the same shop would.
    pub fn spend_query_points(&self, points: f64) {
        let available = self.cost_bucket.peek(std::time::Instant::now()).available();
        let _ = self
            .cost_bucket
            .take(points.min(available), std::time::Instant::now());
    }

    fn webhooks(&self) -> MutexGuard<'_, Vec<(u64, String, String, String)>> {
        self.webhooks.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn webhook_json(
        &(id, ref topic, ref address, ref created): &(u64, String, String, String),
    ) -> serde_json::Value {
        serde_json::json!({
            "id": id,
            "address": address,
            "topic": topic,
            "created_at": created,
            "updated_at": created,
            "format": "json",
            "fields": [],
            "metafield_namespaces": [],
            "api_version": "2026-01",
            "private_metafield_namespaces": [],
            "admin_graphql_api_id": format!("gid://shopify/WebhookSubscription/{id}"),
        })
    }

    /// The subscriptions, as `webhooks.json` lists them.
    fn webhooks_json(&self) -> Vec<serde_json::Value> {
        self.webhooks().iter().map(Self::webhook_json).collect()
    }

    /// Adds a subscription; `None` when the topic already goes to that address.
    fn subscribe(&self, topic: &str, address: &str) -> Option<serde_json::Value> {
        let mut subs = self.webhooks();
        if subs.iter().any(|(_, t, a, _)| t == topic && a == address) {
            return None;
        }
        let id = 4_759_306 + subs.len() as u64;
        let created = render::shop_time(chrono::Utc::now());
        subs.push((id, topic.to_owned(), address.to_owned(), created));
        subs.last().map(Self::webhook_json)
    }

    fn unsubscribe(&self, id: u64) -> bool {
        let mut subs = self.webhooks();
        let before = subs.len();
        subs.retain(|(i, ..)| *i != id);
        subs.len() != before
    }

    /// Delivers `payload` to every subscription of `topic`, signed, in the background.
    fn notify(&self, topic: &str, payload: &serde_json::Value) {
        let targets: Vec<String> = self
            .webhooks()
            .iter()
            .filter(|(_, t, ..)| t == topic)
            .map(|(_, _, a, _)| a.clone())
            .collect();
        if targets.is_empty() {
            return;
        }
        let body = serde_json::to_vec(payload).unwrap_or_default();
        let headers = self.webhook_headers(topic, "polycart-sim.myshopify.com", &body);
        for url in targets {
            let (headers, body) = (headers.clone(), body.clone());
            tokio::spawn(async move {
                if let Err(e) = WebhookSender::default().deliver(&url, headers, body).await {
                    tracing::warn!(error = %e, "simulated webhook delivery failed");
                }
            });
        }
    }

    fn bulk(&self) -> MutexGuard<'_, bulk::Bulk> {
        self.bulk.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A finished bulk operation's JSONL (`partial`: a failed one's partial data).
    fn bulk_file(&self, id: u64, partial: bool) -> Option<String> {
        self.bulk().file(id, partial)
    }

    fn events(&self) -> MutexGuard<'_, Vec<serde_json::Value>> {
        self.events.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// `X-Shopify-Hmac-Sha256` of a webhook body: base64 HMAC-SHA256 keyed with the
    /// app's secret.
    pub fn webhook_hmac(&self, body: &[u8]) -> String {
        base64(&hmac_sha256(self.api_secret.as_bytes(), body))
    }

    /// The headers Shopify sends with a webhook delivery.
    pub fn webhook_headers(&self, topic: &str, shop_domain: &str, body: &[u8]) -> HeaderMap {
        let mut h = HeaderMap::new();
        let mut put = |name: &'static str, value: &str| {
            if let Ok(v) = HeaderValue::from_str(value) {
                h.insert(name, v);
            }
        };
        put("x-shopify-topic", topic);
        put("x-shopify-hmac-sha256", &self.webhook_hmac(body));
        put("x-shopify-shop-domain", shop_domain);
        put("x-shopify-api-version", "2026-01");
        put(
            "x-shopify-webhook-id",
            &format!("b54557e4-bdd9-4b37-8a5f-{:012x}", body.len()),
        );
        put("x-shopify-triggered-at", &chrono::Utc::now().to_rfc3339());
        put("content-type", "application/json");
        h
    }

    /// Renders one order as a webhook body (the REST order JSON, as Shopify sends).
    pub fn order_webhook_body(&self, order_id: u64) -> Option<Vec<u8>> {
        let store = self.store();
        let o = store.orders.iter().find(|o| o.id == order_id)?;
        serde_json::to_vec(&render::order(o, &store)).ok()
    }

    /// Delivers a signed webhook to `url`; returns the subscriber's status.
    pub async fn deliver_webhook(
        &self,
        url: &str,
        topic: &str,
        body: Vec<u8>,
    ) -> Result<u16, String> {
        let headers = self.webhook_headers(topic, "polycart-sim.myshopify.com", &body);
        WebhookSender::default().deliver(url, headers, body).await
    }
}

/// The simulator's routes around `state`, with faults.
pub fn router(state: Arc<SimState>, faults: &Arc<Faults>) -> Router {
    faults.layer(rest::routes(state))
}

/// A running simulator: the server and its state.
pub struct ShopifySim {
    pub server: SimServer,
    pub state: Arc<SimState>,
}

impl ShopifySim {
    /// Starts a simulator on `addr` (port 0 picks one).
    pub async fn start(options: SimOptions, addr: SocketAddr) -> std::io::Result<Self> {
        let state = SimState::new(&options);
        let faults = Faults::new(options.faults.clone(), options.seed);
        // What Shopify adds to answers of a version it deprecated, when drift is on.
        faults.deprecation_header(
            http::HeaderName::from_static("x-shopify-api-deprecated-reason"),
            http::HeaderValue::from_static(
                "https://shopify.dev/api/usage/versioning#deprecation-practices",
            ),
        );
        let (addr, server) = SimServer::start(router(state.clone(), &faults), addr).await?;
        let mut credentials = BTreeMap::new();
        credentials.insert("access_token".to_owned(), state.access_token.clone());
        credentials.insert("api_secret".to_owned(), state.api_secret.clone());
        credentials.insert("client_id".to_owned(), state.client_id().to_owned());
        let info = SimInfo {
            platform: "shopify".to_owned(),
            base_url: format!("http://{addr}"),
            credentials,
        };
        let (rest, graphql) = (state.clone(), state.clone());
        let handle = handle::Handle {
            state: state.clone(),
            faults,
        };
        let server = server
            .with_info(info)
            .with_handle(Arc::new(handle))
            .with_meter("rest", move |now| rest.bucket.usage(now))
            .with_meter("graphql", move |now| graphql.cost_bucket.usage(now));
        Ok(Self { server, state })
    }
}

/// `Connector::simulate`.
pub fn simulate(
    options: SimOptions,
    addr: SocketAddr,
) -> BoxFuture<'static, std::io::Result<SimServer>> {
    async move { ShopifySim::start(options, addr).await.map(|s| s.server) }.boxed()
}
