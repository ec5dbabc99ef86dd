//! The simulator toolkit the platform simulators share: a seeded store generator,
//! server-side rate limiters, fault injection, and the axum plumbing that serves a
//! simulator on a loopback port and describes how to connect to it.
//!
//! Architecture invariant: a simulator renders JSON from [`SimStore`] in the shape of
//! the platform's real payloads; it never imports its adapter's wire types, mapping or
//! client, so a mistake in the adapter cannot be mirrored here and pass unseen.

mod faults;
mod generator;
mod handle;
mod limiter;
mod webhook;

use std::collections::BTreeMap;
use std::net::SocketAddr;

use serde::Serialize;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use faults::{Fault, FaultSpec, Faults, Target};
pub use generator::{
    SimAddress, SimCategory, SimCustomer, SimFinancial, SimFulfillment, SimImage, SimLineItem,
    SimLocation, SimOrder, SimOrderState, SimPresentment, SimProduct, SimProductStatus, SimRefund,
    SimShipment, SimStore, SimVariant, StoreSize, cents,
};
pub use handle::{Delivery, Signing, SimError, SimHandle};
pub use limiter::{BucketState, FixedWindow, LeakyBucket, LimiterUsage, Refused, WindowState};
pub use webhook::WebhookSender;

/// What a simulator is asked to serve (`polycart simulate <platform> ...`).
#[derive(Debug, Clone)]
pub struct SimOptions {
    pub seed: u64,
    pub size: StoreSize,
    /// The platform's plan name ("standard", "plus"); `None` is the platform's default.
    pub plan: Option<String>,
    pub faults: FaultSpec,
}

impl Default for SimOptions {
    fn default() -> Self {
        Self {
            seed: 1,
            size: StoreSize::default(),
            plan: None,
            faults: FaultSpec::none(),
        }
    }
}

/// How to connect to a running simulator: exactly what `polycart stores add` needs.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct SimInfo {
    pub platform: String,
    pub base_url: String,
    pub credentials: BTreeMap<String, String>,
}

/// Reads one of a simulator's rate limiters (for benchmarks' budget utilisation).
pub type Meter = std::sync::Arc<dyn Fn(std::time::Instant) -> LimiterUsage + Send + Sync>;

/// A simulator serving on a loopback port until it is shut down or dropped.
pub struct SimServer {
    pub info: SimInfo,
    pub addr: SocketAddr,
    /// The simulator's rate limiters by name ("rest", "graphql"), as the platform
    /// would count them.
    pub meters: Vec<(&'static str, Meter)>,
    /// The simulator's handle (truth, touch, delete, faults, webhooks), for tests and
    /// the conformance suite.
    handle: Option<std::sync::Arc<dyn SimHandle>>,
    /// Every request the simulator has received, whatever it answered.
    requests: std::sync::Arc<std::sync::atomic::AtomicU64>,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for SimServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimServer")
            .field("addr", &self.addr)
            .field("platform", &self.info.platform)
            .finish()
    }
}

impl SimServer {
    /// Binds `addr` (port 0 picks a free one) and serves `router` in the background.
    pub async fn start(
        router: axum::Router,
        addr: SocketAddr,
    ) -> std::io::Result<(SocketAddr, Self)> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let requests = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
        let counter = requests.clone();
        let router = router.layer(axum::middleware::from_fn(
            move |request: axum::extract::Request, next: axum::middleware::Next| {
                counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                next.run(request)
            },
        ));
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let serve = axum::serve(
                listener,
                router.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .with_graceful_shutdown(async {
                let _ = rx.await;
            });
            if let Err(e) = serve.await {
                tracing::error!(error = %e, "simulator stopped");
            }
        });
        let info = SimInfo {
            platform: String::new(),
            base_url: format!("http://{addr}"),
            credentials: BTreeMap::new(),
        };
        Ok((
            addr,
            Self {
                info,
                addr,
                meters: Vec::new(),
                handle: None,
                requests,
                shutdown: Some(tx),
                task: Some(task),
            },
        ))
    }

    /// Sets what [`SimServer::info`] reports.
    pub fn with_info(mut self, info: SimInfo) -> Self {
        self.info = info;
        self
    }

    /// Sets what [`SimServer::handle`] returns.
    pub fn with_handle(mut self, handle: std::sync::Arc<dyn SimHandle>) -> Self {
        self.handle = Some(handle);
        self
    }

    /// The simulator's [`SimHandle`], when it offers one.
    pub fn handle(&self) -> Option<&std::sync::Arc<dyn SimHandle>> {
        self.handle.as_ref()
    }

    /// Registers a rate limiter under `name` for [`SimServer::usage`].
    pub fn with_meter(
        mut self,
        name: &'static str,
        meter: impl Fn(std::time::Instant) -> LimiterUsage + Send + Sync + 'static,
    ) -> Self {
        self.meters.push((name, std::sync::Arc::new(meter)));
        self
    }

    /// Every limiter's usage now, by name.
    pub fn usage(&self) -> Vec<(&'static str, LimiterUsage)> {
        let now = std::time::Instant::now();
        self.meters.iter().map(|(n, m)| (*n, m(now))).collect()
    }

    /// How many requests the simulator has received (tests assert that a refused
    /// input never reached the platform).
    pub fn requests(&self) -> u64 {
        self.requests.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// `http://127.0.0.1:PORT`.
    pub fn origin(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops serving and waits for the server task to end.
    pub async fn shutdown(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }

    /// Serves until the process is stopped.
    pub async fn wait(mut self) {
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for SimServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}
