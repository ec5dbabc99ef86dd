//! `polycart bench`: measurements of the whole connector against the simulators over
//! real loopback HTTP with the platforms' own rate limiters — one big store
//! ([`sync`]) and a fleet of small ones ([`fleet`]) — and of the sync store alone
//! ([`ingest`], and its size under retention and compaction: [`retention`]), and the
//! fleet again over many `polycart worker` processes sharing PostgreSQL ([`workers`]). Figures come from the process
//! (`/proc/self/status`), the transport's counters and the simulators' own limiter
//! ledgers (what the platform admitted and would have admitted), never from guesses.

pub mod cpu;
pub mod fleet;
pub mod ingest;
pub mod interrupt;
mod orders;
pub mod retention;
pub mod rss;
pub mod sync;
pub mod workers;

use std::collections::BTreeMap;
use std::sync::Arc;

use polycart_kit::sim::SimInfo;
use polycart_kit::{Entity, Secret};

use crate::store::{self, Cipher, NewStore, PgStore, Store};

/// What can go wrong while benchmarking.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Store(#[from] crate::store::Error),
    #[error(transparent)]
    Engine(#[from] crate::engine::Error),
    #[error(transparent)]
    UnknownPlatform(#[from] crate::registry::UnknownPlatform),
    #[error("simulator: {0}")]
    Simulator(String),
    #[error("{0}")]
    Invalid(String),
}

pub type Result<T> = std::result::Result<T, Error>;

/// A fresh sync store for one run: a SQLite file in a temporary directory, or a
/// fresh schema in the PostgreSQL database at `database_url` (dropped by [`BenchDb::close`]).
pub struct BenchDb {
    pub store: Arc<dyn Store>,
    pg_schema: Option<(String, String)>,
    /// The credential key, for child processes that open the same database.
    key: [u8; 32],
    _dir: Option<tempfile::TempDir>,
}

impl BenchDb {
    pub async fn open(database_url: Option<&str>) -> Result<Self> {
        let key = rand::random::<[u8; 32]>();
        let cipher = Cipher::new(&key);
        match database_url {
            Some(url) if url.starts_with("postgres") => {
                let schema = format!("bench_{:016x}", rand::random::<u64>());
                let pg = PgStore::open(url, Some(&schema), Some(cipher)).await?;
                Ok(Self {
                    store: Arc::new(pg),
                    pg_schema: Some((url.to_owned(), schema)),
                    key,
                    _dir: None,
                })
            }
            Some(url) => Ok(Self {
                store: store::open(url, Some(cipher)).await?,
                pg_schema: None,
                key,
                _dir: None,
            }),
            None => {
                let dir = tempfile::tempdir()
                    .map_err(|e| Error::Invalid(format!("temporary directory: {e}")))?;
                let url = format!("sqlite://{}", dir.path().join("bench.db").display());
                Ok(Self {
                    store: store::open(&url, Some(cipher)).await?,
                    pg_schema: None,
                    key,
                    _dir: Some(dir),
                })
            }
        }
    }

    /// The PostgreSQL URL and schema of the run (`None` on SQLite).
    pub fn pg_schema(&self) -> Option<(&str, &str)> {
        self.pg_schema
            .as_ref()
            .map(|(u, s)| (u.as_str(), s.as_str()))
    }

    /// The credential key as `POLYCART_SECRET_KEY` takes it (hex), for a child
    /// process that opens the same database.
    pub fn secret_key_hex(&self) -> String {
        self.key.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// PostgreSQL: `VACUUM FULL` of every table of the run's schema, so its size is
    /// its live data. SQLite needs nothing: its bytes in use leave free pages out.
    pub async fn reclaim(&self) -> Result<()> {
        let Some((url, schema)) = &self.pg_schema else {
            return Ok(());
        };
        Ok(store::scratch::reclaim_schema(url, schema).await?)
    }

    /// Drops the PostgreSQL schema of the run (SQLite's directory goes with `self`).
    pub async fn close(self) {
        if let Some((url, schema)) = &self.pg_schema {
            store::scratch::drop_schema(url, schema).await;
        }
    }
}

/// The simulator's base URL, as a store connects to it.
fn sim_base_url(info: &SimInfo) -> Result<url::Url> {
    info.base_url
        .parse()
        .map_err(|e| Error::Simulator(format!("base url {}: {e}", info.base_url)))
}

/// The simulator's credentials, as a store holds them.
fn sim_credentials(info: &SimInfo) -> BTreeMap<String, Secret> {
    info.credentials
        .iter()
        .map(|(k, v)| (k.clone(), Secret::new(v.clone())))
        .collect()
}

/// A bench's simulated store: the platform's simulator started on a loopback port
/// with `seed`, `size` and `plan`, and the store settings to connect it with (the
/// simulator's plan named, unless the settings name one).
pub async fn simulated_store(
    platform: &str,
    seed: u64,
    size: polycart_kit::sim::StoreSize,
    plan: Option<&String>,
    settings: &BTreeMap<String, String>,
) -> Result<(
    &'static polycart_kit::Connector,
    polycart_kit::sim::SimServer,
    BTreeMap<String, String>,
)> {
    let connector = crate::registry::connector(platform)?;
    let options = polycart_kit::sim::SimOptions {
        seed,
        size,
        plan: plan.cloned(),
        ..polycart_kit::sim::SimOptions::default()
    };
    let sim = (connector.simulate)(options, "127.0.0.1:0".parse().expect("a loopback address"))
        .await
        .map_err(|e| Error::Simulator(e.to_string()))?;
    let mut settings = settings.clone();
    if let Some(plan) = plan {
        settings
            .entry("plan".to_owned())
            .or_insert_with(|| plan.clone());
    }
    Ok((connector, sim, settings))
}

/// Connects a running simulator as a store syncing `entities`.
pub async fn connect_simulator(
    store: &dyn Store,
    info: &SimInfo,
    name: String,
    settings: &BTreeMap<String, String>,
    entities: Vec<Entity>,
) -> Result<String> {
    let new = NewStore {
        name,
        platform: info.platform.clone(),
        base_url: sim_base_url(info)?,
        credentials: sim_credentials(info),
        settings: settings.clone(),
        entities,
        interval_secs: 3600,
    };
    Ok(store.add_store(&new).await?.id)
}

/// The entities a platform's adapter lists for a store like `info`.
pub fn listed_entities(
    connector: &polycart_kit::Connector,
    info: &SimInfo,
    settings: &BTreeMap<String, String>,
) -> Result<Vec<Entity>> {
    let probe = polycart_kit::StoreConfig {
        store_id: "probe".into(),
        base_url: sim_base_url(info)?,
        credentials: sim_credentials(info),
        settings: settings.clone(),
    };
    let adapter = (connector.connect)(&probe, &polycart_kit::connector::AdapterContext::default())
        .map_err(|e| Error::Invalid(format!("{}: {e}", connector.name)))?;
    Ok(adapter.capabilities().entity_list())
}
