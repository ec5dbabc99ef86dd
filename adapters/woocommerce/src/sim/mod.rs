//! The WooCommerce simulator: a WordPress site with WooCommerce's REST API (wc/v3)
//! rendered from the kit's generated store. It answers under `/wp-json/wc/v3/...` and
//! `/?rest_route=/wc/v3/...` (or `/index.php?rest_route=`), authenticates like
//! WooCommerce (query keys, basic, OAuth 1.0a), pages with `page`/`per_page`/`offset`
//! and `X-WP-Total`/`X-WP-TotalPages`/`Link`, filters by dates, status and customer,
//! writes, signs webhook deliveries, and reproduces the hosts' and plugins' classics:
//! a throttling proxy (429/503 + `Retry-After`), a PHP notice before the JSON, a login
//! page or login redirect instead of the API, no pretty permalinks, a stripped
//! `Authorization` header, and a site without the WooCommerce plugin.
//!
//! Architecture invariant: this module never imports the adapter's wire types,
//! mapping or client.

mod auth;
mod collections;
mod encode;
mod handle;
mod hooks;
mod host;
mod listing;
mod render;
mod routes;
mod tracking;
mod writes;

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use polycart_kit::sim::{
    Faults, LeakyBucket, SimInfo, SimOptions, SimServer, SimStore, WebhookSender,
};

/// Host and plugin behaviour a test or `--plan` switches on.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SimConfig {
    /// WordPress's `is_ssl()` is true, as behind a TLS-terminating proxy: HTTP basic
    /// and query-string keys are accepted. Off (the default), the site is plain http
    /// and, like WooCommerce, accepts OAuth 1.0a signatures only.
    pub https: bool,
    /// No pretty permalinks: `/wp-json/` is the web server's 404 page (the REST API
    /// answers under `?rest_route=` only).
    pub no_permalinks: bool,
    /// With `no_permalinks`, `/wp-json/...` reaches WordPress (nginx `try_files`),
    /// which renders the home page with 200.
    pub no_permalinks_home: bool,
    /// The host redirects http to https (301), whatever the path.
    pub https_redirect: bool,
    /// A proxy in front of PHP answers its HTML 502 page.
    pub bad_gateway: bool,
    /// WordPress is in maintenance mode (an update is running): 503, `Retry-After: 600`.
    pub maintenance: bool,
    /// PHP dies with a fatal error (memory exhausted): WordPress's critical error, 500,
    /// after PHP's message.
    pub php_fatal: bool,
    /// The host drops the `Authorization` header before PHP sees it.
    pub strip_authorization: bool,
    /// A proxy in front of the site: (burst, requests per second).
    pub throttle: Option<(f64, f64)>,
    /// Answer throttled requests with 503 instead of 429.
    pub throttle_with_503: bool,
    /// PHP prints a notice (display_errors on) before every JSON body.
    pub php_notice: bool,
    /// A security plugin answers every API request with the login page (HTML, 200).
    pub login_page: bool,
    /// The site redirects API requests to `wp-login.php` (302).
    pub login_redirect: bool,
    /// WordPress without the WooCommerce plugin: `wc/v3` routes do not exist.
    pub no_woocommerce: bool,
    /// The Shipment Tracking extension is installed.
    pub shipment_tracking: bool,
}

impl SimConfig {
    /// Reads `--plan` as a comma-separated list of behaviours: `https`, `throttle`,
    /// `throttle-503`, `php-notice`, `php-fatal`, `login-page`, `login-redirect`,
    /// `no-permalinks`, `no-permalinks-home`, `https-redirect`, `bad-gateway`,
    /// `maintenance`, `strip-auth`, `no-woocommerce`, `shipment-tracking`
    /// (`default`: none).
    pub fn from_plan(plan: Option<&str>) -> Result<Self, String> {
        let mut c = SimConfig::default();
        for part in plan
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            match part {
                "default" => {}
                "https" => c.https = true,
                "throttle" => c.throttle = Some((10.0, 5.0)),
                "throttle-503" => {
                    c.throttle = Some((10.0, 5.0));
                    c.throttle_with_503 = true;
                }
                "php-notice" => c.php_notice = true,
                "login-page" => c.login_page = true,
                "login-redirect" => c.login_redirect = true,
                "no-permalinks" => c.no_permalinks = true,
                "no-permalinks-home" => {
                    c.no_permalinks = true;
                    c.no_permalinks_home = true;
                }
                "https-redirect" => c.https_redirect = true,
                "bad-gateway" => c.bad_gateway = true,
                "maintenance" => c.maintenance = true,
                "php-fatal" => c.php_fatal = true,
                "strip-auth" => c.strip_authorization = true,
                "no-woocommerce" => c.no_woocommerce = true,
                "shipment-tracking" => c.shipment_tracking = true,
                other => return Err(format!("unknown woocommerce simulator plan {other:?}")),
            }
        }
        Ok(c)
    }
}

/// A webhook subscription.
#[derive(Debug, Clone)]
pub(crate) struct Hook {
    pub id: u64,
    pub name: String,
    pub topic: String,
    pub delivery_url: String,
    pub secret: String,
    pub status: String,
}

/// State the generated store has no place for.
#[derive(Debug, Default)]
pub(crate) struct Extra {
    pub order_status: HashMap<u64, String>,
    pub notes: HashMap<u64, Vec<serde_json::Value>>,
    pub trackings: HashMap<u64, Vec<serde_json::Value>>,
    pub hooks: Vec<Hook>,
    /// OAuth 1.0a nonces seen, with their timestamps.
    pub nonces: HashMap<String, i64>,
    pub next_id: u64,
}

pub(crate) struct State {
    pub store: Mutex<SimStore>,
    pub extra: Mutex<Extra>,
    pub config: Mutex<SimConfig>,
    pub limiter: Mutex<Option<LeakyBucket>>,
    pub key: String,
    pub secret: String,
    pub site: Mutex<String>,
    pub sender: WebhookSender,
    pub requests: std::sync::atomic::AtomicU64,
}

impl State {
    pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
        m.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// A running WooCommerce simulator with handles for tests.
pub struct WooCommerceSim {
    pub server: SimServer,
    state: Arc<State>,
}

impl std::fmt::Debug for WooCommerceSim {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WooCommerceSim")
            .field("server", &self.server)
            .finish_non_exhaustive()
    }
}

/// The simulator's consumer key (fixed, so `polycart simulate` output is stable).
pub const CONSUMER_KEY: &str = "ck_5im0ulat0r5im0ulat0r5im0ulat0r5im0ula";
/// The simulator's consumer secret.
pub const CONSUMER_SECRET: &str = "cs_5ecret5ecret5ecret5ecret5ecret5ecret5e";
/// The secret the simulated store's webhooks are signed with (the `webhook_secret`
/// credential `SimInfo` lists).
pub const WEBHOOK_SECRET: &str = "whsec-5imulat0r";

impl WooCommerceSim {
    /// Starts a simulator for `options` on `addr` with `config`.
    pub async fn start(
        options: SimOptions,
        addr: SocketAddr,
        config: SimConfig,
    ) -> std::io::Result<Self> {
        let store = SimStore::generate(options.seed, options.size);
        let limiter = config
            .throttle
            .map(|(burst, rate)| LeakyBucket::new(burst, rate));
        let state = Arc::new(State {
            store: Mutex::new(store),
            extra: Mutex::new(Extra {
                next_id: 900_000,
                ..Extra::default()
            }),
            config: Mutex::new(config),
            limiter: Mutex::new(limiter),
            key: CONSUMER_KEY.to_owned(),
            secret: CONSUMER_SECRET.to_owned(),
            site: Mutex::new(String::new()),
            sender: WebhookSender::default(),
            requests: std::sync::atomic::AtomicU64::new(0),
        });
        let faults = Faults::new(options.faults.clone(), options.seed);
        let router = faults.layer(routes::router(state.clone()));
        let (addr, server) = SimServer::start(router, addr).await?;
        let site = format!("http://{addr}");
        *State::lock(&state.site) = site.clone();
        let mut credentials = BTreeMap::new();
        credentials.insert("consumer_key".to_owned(), CONSUMER_KEY.to_owned());
        credentials.insert("consumer_secret".to_owned(), CONSUMER_SECRET.to_owned());
        credentials.insert("webhook_secret".to_owned(), WEBHOOK_SECRET.to_owned());
        let meter = state.clone();
        let handle = handle::Handle {
            state: state.clone(),
            faults,
        };
        let server = server
            .with_handle(Arc::new(handle))
            .with_info(SimInfo {
                platform: "woocommerce".into(),
                base_url: site,
                credentials,
            })
            .with_meter("host", move |now| {
                State::lock(&meter.limiter)
                    .as_ref()
                    .map(|l| l.usage(now))
                    .unwrap_or_default()
            });
        Ok(Self { server, state })
    }

    /// The site URL (`base_url`).
    pub fn site(&self) -> String {
        self.server.info.base_url.clone()
    }

    /// Changes host or plugin behaviour while running.
    pub fn configure(&self, f: impl FnOnce(&mut SimConfig)) {
        let mut c = State::lock(&self.state.config);
        f(&mut c);
        *State::lock(&self.state.limiter) = c
            .throttle
            .map(|(burst, rate)| LeakyBucket::new(burst, rate));
    }

    /// Reads or changes the generated store.
    pub fn with_store<T>(&self, f: impl FnOnce(&mut SimStore) -> T) -> T {
        f(&mut State::lock(&self.state.store))
    }

    /// The products served as variable, with their variation ids, in store order.
    pub fn variable_products(&self) -> Vec<(u64, Vec<u64>)> {
        self.with_store(|s| {
            s.products
                .iter()
                .filter(|p| !p.deleted && render::is_variable(p))
                .map(|p| (p.id, p.variants.iter().map(|v| v.id).collect()))
                .collect()
        })
    }

    /// The products served as simple, in store order.
    pub fn simple_products(&self) -> Vec<u64> {
        self.with_store(|s| {
            s.products
                .iter()
                .filter(|p| !p.deleted && !render::is_variable(p))
                .map(|p| p.id)
                .collect()
        })
    }

    /// Requests served so far (after the fault layer).
    pub fn requests(&self) -> u64 {
        self.state
            .requests
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Sends the webhooks subscribed to `topic` (`order.updated`) about record `id`,
    /// signed as WooCommerce signs them; returns the subscribers' status codes.
    pub async fn deliver(&self, topic: &str, id: u64) -> Vec<Result<u16, String>> {
        hooks::deliver(&self.state, topic, id).await
    }

    /// The notes of an order (text, customer_note).
    pub fn notes(&self, order_id: u64) -> Vec<(String, bool)> {
        State::lock(&self.state.extra)
            .notes
            .get(&order_id)
            .map(|n| {
                n.iter()
                    .map(|v| {
                        (
                            v["note"].as_str().unwrap_or_default().to_owned(),
                            v["customer_note"].as_bool().unwrap_or(false),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The registered webhooks as (id, topic, delivery_url).
    pub fn webhooks(&self) -> Vec<(u64, String, String)> {
        State::lock(&self.state.extra)
            .hooks
            .iter()
            .map(|h| (h.id, h.topic.clone(), h.delivery_url.clone()))
            .collect()
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
        let sim = WooCommerceSim::start(options, addr, config).await?;
        Ok(sim.server)
    })
}
