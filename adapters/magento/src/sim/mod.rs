//! The Magento 2 / Adobe Commerce simulator: a generated store served over Magento's
//! REST `V1` wire protocol, built from Adobe's REST reference and the real payloads in
//! `fixtures/magento/` (never from the adapter's wire, mapping or client):
//!
//! - store views: `/rest/{store_code}/V1/...` (`default`, `all`, `de`) and `/rest/V1/...`;
//! - auth: admin tokens from `POST /rest/V1/integration/admin/token` that lapse after
//!   4 hours (or at once: [`MagentoSim::expire_admin_tokens`]), the integration's access
//!   token as a bearer token, and OAuth 1.0a HMAC-SHA256 signatures; refusals in
//!   Magento's `{"message": ..., "parameters": ...}` shape;
//! - `searchCriteria` (filter groups, conditions, sort orders, the last page repeated
//!   past the end) and `fields=` selections (`search`);
//! - configurable products and their children, orders with configurable and bundle
//!   parent and child items,
//!   shipments with tracks, credit memos, MSI source items;
//! - writes: products, source items, cancel/hold/unhold, comments, ship;
//! - Adobe Commerce webhook subscriptions (`/V1/webhooks/list`, `subscribe`,
//!   `unsubscribe`);
//! - Adobe Commerce webhook deliveries to the subscribed URLs, signed with the store's
//!   key ([`MagentoSim::deliver`], [`MagentoSim::sign`]);
//! - plans (`--plan`, comma-separated): `default`; `cloud` (Fastly in front: 429 with
//!   `Retry-After` past 20 requests a second); `2fa` (admin logins refused by
//!   two-factor authentication); `limits` (input limits: pages of at most 300, 20 by
//!   default); `no-bearer` (integration tokens refused as bearer tokens, Magento 2.4.4+
//!   defaults); `html` (every tenth read answered with a host's HTML page and a 200).

mod data;
mod keys;
mod routes;
mod search;

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use base64::Engine;
use polycart_kit::sim::{
    Faults, FixedWindow, SimInfo, SimOptions, SimServer, SimStore, WebhookSender,
};
use rsa::pkcs1v15::SigningKey;
use rsa::pkcs8::DecodePrivateKey;
use rsa::signature::{SignatureEncoding, Signer};
use sha2::Sha256;

pub use keys::PUBLIC_KEY;

/// The admin's username and password.
pub const ADMIN_USERNAME: &str = "admin";
pub const ADMIN_PASSWORD: &str = "sim-admin-password-1";
/// The integration's four OAuth 1.0a credentials (its access token is also a bearer
/// token unless the plan says `no-bearer`).
pub const CONSUMER_KEY: &str = "simconsumerkey0000000000000000ck";
pub const CONSUMER_SECRET: &str = "simconsumersecret0000000000000cs";
pub const ACCESS_TOKEN: &str = "simaccesstoken00000000000000000at";
pub const ACCESS_TOKEN_SECRET: &str = "simaccesstokensecret000000000ats";

/// Host and store behaviour (`--plan`).
#[derive(Debug, Clone, PartialEq)]
pub struct SimConfig {
    /// Requests a second a CDN in front allows before 429 (`cloud`).
    pub throttle: Option<u64>,
    /// Admin logins refused by two-factor authentication (`2fa`).
    pub two_factor: bool,
    /// Input limits on: pages of at most 300, 20 without `pageSize` (`limits`).
    pub input_limits: bool,
    /// Integration tokens refused as bearer tokens (`no-bearer`).
    pub no_bearer: bool,
    /// Every tenth read answered by the host with an HTML page and a 200 (`html`).
    pub html_pages: bool,
    /// How long an admin token lives.
    pub admin_token_lifetime: Duration,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            throttle: None,
            two_factor: false,
            input_limits: false,
            no_bearer: false,
            html_pages: false,
            admin_token_lifetime: Duration::from_secs(4 * 3600),
        }
    }
}

impl SimConfig {
    /// Reads `--plan`.
    pub fn from_plan(plan: Option<&str>) -> Result<Self, String> {
        let mut c = SimConfig::default();
        for part in plan.unwrap_or("default").split(',').map(str::trim) {
            match part {
                "" | "default" => {}
                "cloud" => c.throttle = Some(20),
                "2fa" => c.two_factor = true,
                "limits" => c.input_limits = true,
                "no-bearer" => c.no_bearer = true,
                "html" => c.html_pages = true,
                other => {
                    return Err(format!(
                        "unknown magento simulator plan {other:?}; known: default, cloud, 2fa, limits, no-bearer, html"
                    ));
                }
            }
        }
        Ok(c)
    }
}

/// What the simulator holds.
pub(crate) struct State {
    pub docs: Mutex<data::Docs>,
    pub config: Mutex<SimConfig>,
    pub limiter: Mutex<Option<FixedWindow>>,
    /// Admin tokens and when they were issued.
    pub admin_tokens: Mutex<HashMap<String, Instant>>,
    /// Comments added to orders (order id → texts).
    pub comments: Mutex<BTreeMap<u64, Vec<String>>>,
    pub requests: std::sync::atomic::AtomicU64,
    pub logins: std::sync::atomic::AtomicU64,
}

impl State {
    pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
        m.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// A running Magento simulator.
pub struct MagentoSim {
    pub server: SimServer,
    state: Arc<State>,
    sender: WebhookSender,
}

impl MagentoSim {
    /// Starts a simulator for `options` on `addr` with `config`.
    pub async fn start(
        options: SimOptions,
        addr: SocketAddr,
        config: SimConfig,
    ) -> std::io::Result<Self> {
        let store = SimStore::generate(options.seed, options.size);
        let docs = data::render(&store);
        let limiter = config
            .throttle
            .map(|n| FixedWindow::new(n, Duration::from_secs(1)));
        let state = Arc::new(State {
            docs: Mutex::new(docs),
            config: Mutex::new(config),
            limiter: Mutex::new(limiter),
            admin_tokens: Mutex::new(HashMap::new()),
            comments: Mutex::new(BTreeMap::new()),
            requests: std::sync::atomic::AtomicU64::new(0),
            logins: std::sync::atomic::AtomicU64::new(0),
        });
        let faults = Faults::new(options.faults.clone(), options.seed);
        let router = faults.layer(routes::router(state.clone()));
        let (addr, server) = SimServer::start(router, addr).await?;
        let site = format!("http://{addr}");
        let credentials = BTreeMap::from([
            ("username".to_owned(), ADMIN_USERNAME.to_owned()),
            ("password".to_owned(), ADMIN_PASSWORD.to_owned()),
            ("webhook_public_key".to_owned(), PUBLIC_KEY.to_owned()),
        ]);
        let meter = state.clone();
        let server = server
            .with_info(SimInfo {
                platform: "magento".into(),
                base_url: site,
                credentials,
            })
            .with_meter("cdn", move |now| {
                State::lock(&meter.limiter)
                    .as_ref()
                    .map(|l| l.usage(now))
                    .unwrap_or_default()
            });
        Ok(Self {
            server,
            state,
            sender: WebhookSender::default(),
        })
    }

    /// The site URL (`base_url`).
    pub fn site(&self) -> String {
        self.server.info.base_url.clone()
    }

    /// Changes host or store behaviour while running.
    pub fn configure(&self, f: impl FnOnce(&mut SimConfig)) {
        let mut c = State::lock(&self.state.config);
        f(&mut c);
        *State::lock(&self.state.limiter) = c
            .throttle
            .map(|n| FixedWindow::new(n, Duration::from_secs(1)));
    }

    /// Ends every admin token now, as their 4 hours running out would.
    pub fn expire_admin_tokens(&self) {
        State::lock(&self.state.admin_tokens).clear();
    }

    /// Admin logins so far.
    pub fn logins(&self) -> u64 {
        self.state.logins.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Requests answered so far (after the fault layer).
    pub fn requests(&self) -> u64 {
        self.state
            .requests
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// How many records a full listing of each entity holds: orders, products (with
    /// configurable children), customers, categories (with the root and the default
    /// category), source items.
    pub fn counts(&self) -> [usize; 5] {
        let d = State::lock(&self.state.docs);
        [
            d.orders.len(),
            d.products.len(),
            d.customers.len(),
            d.categories.len(),
            d.source_items.len(),
        ]
    }

    /// How many products have a legacy stock item of their own (simple, virtual and
    /// downloadable ones).
    pub fn stocked_products(&self) -> usize {
        State::lock(&self.state.docs)
            .products
            .values()
            .filter(|p| {
                matches!(
                    p["type_id"].as_str(),
                    Some("simple" | "virtual" | "downloadable")
                )
            })
            .count()
    }

    /// A served document (`orders`, `products`, `customers`, `categories`) by id.
    pub fn document(&self, kind: &str, id: u64) -> Option<serde_json::Value> {
        let d = State::lock(&self.state.docs);
        match kind {
            "orders" => d.orders.get(&id).cloned(),
            "products" => d.products.get(&id).cloned(),
            "customers" => d.customers.get(&id).cloned(),
            "categories" => d.categories.get(&id).cloned(),
            _ => None,
        }
    }

    /// The ids of the served documents of `kind` (`orders`, `products`, `customers`,
    /// `categories`), in id order.
    pub fn ids(&self, kind: &str) -> Vec<u64> {
        let d = State::lock(&self.state.docs);
        match kind {
            "orders" => d.orders.keys().copied().collect(),
            "products" => d.products.keys().copied().collect(),
            "customers" => d.customers.keys().copied().collect(),
            "categories" => d.categories.keys().copied().collect(),
            _ => Vec::new(),
        }
    }

    /// Ids of the configurable products, with their children.
    pub fn configurables(&self) -> Vec<(u64, Vec<u64>)> {
        State::lock(&self.state.docs)
            .children
            .iter()
            .map(|(k, v)| (*k, v.clone()))
            .collect()
    }

    /// Sets `updated_at` of some records of `kind` to `at` (`YYYY-MM-DD HH:MM:SS`),
    /// as edits in the admin would; returns their ids.
    pub fn touch(&self, kind: &str, ids: &[u64], at: &str) -> Vec<u64> {
        let mut d = State::lock(&self.state.docs);
        let map = match kind {
            "orders" => &mut d.orders,
            "products" => &mut d.products,
            "customers" => &mut d.customers,
            _ => &mut d.categories,
        };
        ids.iter()
            .copied()
            .filter(|id| {
                map.get_mut(id)
                    .map(|doc| doc["updated_at"] = serde_json::json!(at))
                    .is_some()
            })
            .collect()
    }

    /// The webhook subscriptions as (event, url).
    pub fn webhooks(&self) -> Vec<(String, String)> {
        State::lock(&self.state.docs)
            .webhooks
            .iter()
            .map(|h| {
                (
                    h["webhook_method"].as_str().unwrap_or_default().to_owned(),
                    h["url"].as_str().unwrap_or_default().to_owned(),
                )
            })
            .collect()
    }

    /// The comments added to an order.
    pub fn comments(&self, order: u64) -> Vec<String> {
        State::lock(&self.state.comments)
            .get(&order)
            .cloned()
            .unwrap_or_default()
    }

    /// Delivers `event` about record `id` (of `orders`, `products` or `customers`) to
    /// every subscription of that event, as Adobe Commerce sends it: the record under
    /// `data.<order|product|customer>`, signed with the store's key; returns the
    /// subscribers' status codes.
    pub async fn deliver(&self, event: &str, kind: &str, id: u64) -> Vec<Result<u16, String>> {
        let Some(doc) = self.document(kind, id) else {
            return Vec::new();
        };
        let member = match kind {
            "orders" => "order",
            "products" => "product",
            _ => "customer",
        };
        let body = serde_json::to_vec(&serde_json::json!({
            "eventName": event,
            "data": { member: doc },
        }))
        .expect("json values serialise");
        let urls: Vec<String> = self
            .webhooks()
            .into_iter()
            .filter(|(e, _)| e == event)
            .map(|(_, url)| url)
            .collect();
        let mut out = Vec::new();
        for url in urls {
            let mut headers = http::HeaderMap::new();
            headers.insert(
                "content-type",
                http::HeaderValue::from_static("application/json"),
            );
            if let Ok(v) = http::HeaderValue::from_str(&Self::sign(&body)) {
                headers.insert("x-adobe-commerce-webhook-signature", v);
            }
            out.push(self.sender.deliver(&url, headers, body.clone()).await);
        }
        out
    }

    /// The `x-adobe-commerce-webhook-signature` Adobe Commerce sends with `body`:
    /// RSA-SHA256 with the store's private key, base64.
    pub fn sign(body: &[u8]) -> String {
        let key = rsa::RsaPrivateKey::from_pkcs8_pem(keys::PRIVATE_KEY)
            .expect("the simulator's key is a valid PKCS #8 key");
        let signature = SigningKey::<Sha256>::new(key).sign(body);
        base64::engine::general_purpose::STANDARD.encode(signature.to_bytes())
    }

    pub async fn shutdown(self) {
        self.server.shutdown().await;
    }
}

/// `Connector::simulate`: the simulator with the behaviours named by `options.plan`.
pub fn simulate(
    options: SimOptions,
    addr: SocketAddr,
) -> futures::future::BoxFuture<'static, std::io::Result<SimServer>> {
    Box::pin(async move {
        let config = SimConfig::from_plan(options.plan.as_deref())
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
        let sim = MagentoSim::start(options, addr, config).await?;
        Ok(sim.server)
    })
}
