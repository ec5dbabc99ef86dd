//! `polycart serve [--addr 127.0.0.1:8080]`: the unified API over the sync store.

use std::net::SocketAddr;
use std::sync::Arc;

use polycart_kit::connector::AdapterContext;
use polycart_kit::transport::TransportMetrics;

use super::db::DbArgs;
use crate::api::{self, AppState, KeyQuota};
use crate::engine::{Engine, EngineOptions, RegistrySource};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,
    /// Serve only: do not run the sync scheduler in this process.
    #[arg(long)]
    pub no_worker: bool,
    /// Requests per second each API key may make.
    #[arg(long, default_value_t = 50)]
    pub key_rate: u32,
    #[command(flatten)]
    pub db: DbArgs,
}

pub async fn run(args: &Args) -> Result<(), String> {
    let store = args.db.open().await?;
    let listener = tokio::net::TcpListener::bind(args.addr)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", args.addr))?;
    crate::telemetry::notice(
        tracing::Level::INFO,
        &format!(
            "polycart API on http://{}",
            listener.local_addr().map_err(|e| e.to_string())?
        ),
    );
    serve_with_worker(
        store,
        listener,
        !args.no_worker,
        KeyQuota {
            per_second: args.key_rate,
            burst: args.key_rate * 2,
        },
        super::shutdown_signal(),
    )
    .await
}

/// Serves the API (and, unless told not to, the scheduler) until `shutdown`.
pub async fn serve_with_worker(
    store: Arc<dyn crate::store::Store>,
    listener: tokio::net::TcpListener,
    worker: bool,
    quota: KeyQuota,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), String> {
    let metrics = Arc::new(TransportMetrics::default());
    let source = Arc::new(RegistrySource {
        context: AdapterContext {
            metrics: metrics.clone(),
            token_sink: None,
        },
    });
    let opts = EngineOptions::from_env().map_err(|e| e.to_string())?;
    let engine = Arc::new(Engine::new(store, source, opts));
    // Reachable from other machines (a hosted deployment): refuse private store URLs.
    let policy = match listener.local_addr() {
        Ok(addr) => crate::store::UrlPolicy::for_listener(addr),
        Err(_) => crate::store::UrlPolicy::from_env(),
    };
    // The same policy for every connection the process opens (names resolved at
    // connection time), not only for URLs as they are added.
    polycart_kit::net::refuse_private_addresses(policy.refuse_private);
    let public = crate::webhook_setup::public_url_from_env()?;
    let state = Arc::new(
        AppState::new(engine.clone(), metrics, quota)
            .with_url_policy(policy)
            .with_public_url(public),
    );
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let worker_task = worker.then(|| tokio::spawn(engine.clone().run_worker(stop_rx)));
    let result = api::serve(listener, state, shutdown)
        .await
        .map_err(|e| e.to_string());
    let _ = stop_tx.send(true);
    if let Some(task) = worker_task {
        let _ = task.await;
    }
    result
}
