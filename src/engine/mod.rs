//! The sync engine: incremental passes per store × entity (`updated_since = watermark −
//! overlap`, every page committed with the cursor that follows it), full passes that
//! reconcile deletions, store health (auth back-off, per-store circuit breaker),
//! webhook-triggered re-reads, the leasing worker ([`worker`]) and outbound change
//! deliveries ([`outbound`]), the change feed's retention ([`maintenance`], set up by
//! [`settings`]), schema drift checks on synced pages (`drift`); scheduling decisions
//! read an injectable [`clock`].

pub mod clock;
mod drift;
pub mod maintenance;
pub mod meters;
pub mod outbound;
mod progress;
pub mod settings;
pub mod tokens;
pub mod worker;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use chrono::{DateTime, Utc};
use polycart_kit::connector::AdapterContext;
use polycart_kit::{
    Adapter, Capabilities, Entity, ListQuery, Page, StoreConfig, WebhookEvent, WebhookKind,
};
use tracing::Instrument;

use crate::store::{
    FinishPass, Health, Lease, Pass, PreparedCommit, PreparedPage, Store, StoreInfo, StoreState,
};
pub use clock::{Clock, ManualClock};

/// What can go wrong while syncing.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Store(#[from] crate::store::Error),
    #[error("{0}")]
    Platform(#[from] polycart_kit::Error),
    #[error(transparent)]
    UnknownPlatform(#[from] crate::registry::UnknownPlatform),
    #[error("store {store} is backing off ({state:?}) until {until:?}")]
    Backoff {
        store: String,
        state: StoreState,
        until: Option<DateTime<Utc>>,
    },
    #[error("job for store {store} {entity} is leased by {owner}")]
    Busy {
        store: String,
        entity: Entity,
        owner: String,
    },
    /// A bug: the sync panicked. Recorded as the job's error and backed off like any
    /// failure; the worker goes on.
    #[error("the sync failed unexpectedly: {0}")]
    Panicked(String),
}

pub type Result<T> = std::result::Result<T, Error>;

/// Builds the adapter for a store: the registry in the app, a test adapter in tests.
pub trait AdapterSource: Send + Sync {
    fn connect(&self, store: &StoreInfo, config: &StoreConfig) -> Result<Arc<dyn Adapter>>;

    /// Like `connect`, with the sink where the store's rotated OAuth tokens go.
    fn connect_with_tokens(
        &self,
        store: &StoreInfo,
        config: &StoreConfig,
        _tokens: Arc<dyn polycart_kit::auth::TokenSink>,
    ) -> Result<Arc<dyn Adapter>> {
        self.connect(store, config)
    }

    /// Like `connect_with_tokens`, counting the store's transport figures in the
    /// store's own meter of `meters` (sources without transport counters ignore it).
    fn connect_metered(
        &self,
        store: &StoreInfo,
        config: &StoreConfig,
        tokens: Arc<dyn polycart_kit::auth::TokenSink>,
        _meters: &meters::Meters,
    ) -> Result<Arc<dyn Adapter>> {
        self.connect_with_tokens(store, config, tokens)
    }
}

/// Connects stores through [`crate::registry`].
#[derive(Default)]
pub struct RegistrySource {
    pub context: AdapterContext,
}

impl RegistrySource {
    fn connect_in(
        &self,
        store: &StoreInfo,
        config: &StoreConfig,
        context: &AdapterContext,
    ) -> Result<Arc<dyn Adapter>> {
        let connector = crate::registry::connector(&store.platform)?;
        Ok((connector.connect)(config, context)?)
    }
}

impl AdapterSource for RegistrySource {
    fn connect(&self, store: &StoreInfo, config: &StoreConfig) -> Result<Arc<dyn Adapter>> {
        self.connect_in(store, config, &self.context)
    }

    fn connect_with_tokens(
        &self,
        store: &StoreInfo,
        config: &StoreConfig,
        tokens: Arc<dyn polycart_kit::auth::TokenSink>,
    ) -> Result<Arc<dyn Adapter>> {
        let context = AdapterContext {
            token_sink: Some(tokens),
            ..self.context.clone()
        };
        self.connect_in(store, config, &context)
    }

    fn connect_metered(
        &self,
        store: &StoreInfo,
        config: &StoreConfig,
        tokens: Arc<dyn polycart_kit::auth::TokenSink>,
        meters: &meters::Meters,
    ) -> Result<Arc<dyn Adapter>> {
        let context = AdapterContext {
            token_sink: Some(tokens),
            metrics: meters.for_store(&store.id, &self.context.metrics),
        };
        self.connect_in(store, config, &context)
    }
}

/// Tunables of the engine; the defaults suit production.
#[derive(Debug, Clone)]
pub struct EngineOptions {
    /// Who this process is in leases and sync runs.
    pub worker_id: String,
    /// Subtracted from the watermark so clock skew and same-second updates are not lost.
    pub overlap: chrono::Duration,
    /// Records per page asked of the adapter (clamped by the adapter).
    pub page_size: Option<u32>,
    /// A full pass with reconciliation runs when the last one is older than this.
    pub reconcile_every: chrono::Duration,
    /// Deletion candidates up to this many are confirmed one by one with `get`;
    /// above it the full listing is trusted.
    pub verify_deletions_up_to: usize,
    /// Full passes read through the platform's bulk export where the adapter offers
    /// one (Shopify bulk operations): a 100k-order store costs a few query points.
    pub bulk_full_passes: bool,
    /// Pages a worker syncs before giving the job back (fairness between stores).
    pub slice_pages: u32,
    /// Jobs one worker runs at once.
    pub concurrency: usize,
    /// The most jobs one lease transaction takes (1..=[`crate::store::MAX_LEASE_BATCH`]):
    /// a worker fills its free slots with one transaction instead of one each.
    pub lease_batch: usize,
    pub lease_ttl: chrono::Duration,
    /// How long a worker sleeps when no job is due.
    pub poll_interval: Duration,
    /// Consecutive failures that open a store's circuit.
    pub circuit_threshold: i64,
    /// First cool-down of an open circuit; doubles with each failed probe (capped).
    pub circuit_cooldown: chrono::Duration,
    /// How long a store whose credentials failed waits before it is tried again.
    pub auth_backoff: chrono::Duration,
    /// When a job failed without opening the circuit, it is due again after this.
    pub error_retry: chrono::Duration,
    /// Outbound: changes per delivery, and the first retry delay (doubles, capped).
    pub delivery_batch: i64,
    pub delivery_backoff: chrono::Duration,
    pub delivery_timeout: Duration,
    /// Change-feed rows older than this are dropped, with the versions only they kept
    /// (`POLYCART_CHANGES_RETENTION`, see [`settings`]).
    pub changes_retention: chrono::Duration,
    /// Rows per maintenance transaction (retention, orphan sweep): small, so a batch
    /// never holds the database long.
    pub maintenance_batch: i64,
    /// How often the scheduler runs maintenance ([`maintenance`]).
    pub maintenance_every: Duration,
    /// Orphan-sweep batches per maintenance run (the sweep resumes where it stopped).
    pub sweep_batches: u64,
    /// What scheduling decisions read (the system clock; a [`ManualClock`] in tests).
    pub clock: Clock,
}

impl Default for EngineOptions {
    fn default() -> Self {
        Self {
            worker_id: default_worker_id(),
            overlap: chrono::Duration::minutes(5),
            page_size: None,
            reconcile_every: chrono::Duration::hours(24),
            verify_deletions_up_to: 100,
            bulk_full_passes: true,
            slice_pages: 10,
            concurrency: 4,
            lease_batch: crate::store::MAX_LEASE_BATCH,
            lease_ttl: chrono::Duration::seconds(30),
            poll_interval: Duration::from_secs(1),
            circuit_threshold: 3,
            circuit_cooldown: chrono::Duration::seconds(60),
            auth_backoff: chrono::Duration::hours(6),
            error_retry: chrono::Duration::seconds(30),
            delivery_batch: 100,
            delivery_backoff: chrono::Duration::seconds(2),
            delivery_timeout: Duration::from_secs(10),
            changes_retention: settings::DEFAULT_RETENTION,
            maintenance_batch: 500,
            maintenance_every: Duration::from_secs(60),
            sweep_batches: 20,
            clock: Clock::system(),
        }
    }
}

/// Orders store × entity pairs round-robin across stores (every store's first entity,
/// then every store's second, ...), so a store with many entities does not take every
/// slot before the other stores start.
fn interleave_stores(pairs: Vec<(String, Entity)>) -> Vec<(String, Entity)> {
    let mut by_store: Vec<(String, std::collections::VecDeque<Entity>)> = Vec::new();
    for (store, entity) in pairs {
        match by_store.iter_mut().find(|(s, _)| *s == store) {
            Some((_, entities)) => entities.push_back(entity),
            None => by_store.push((store, std::collections::VecDeque::from([entity]))),
        }
    }
    let mut out = Vec::new();
    while by_store.iter().any(|(_, e)| !e.is_empty()) {
        for (store, entities) in &mut by_store {
            if let Some(entity) = entities.pop_front() {
                out.push((store.clone(), entity));
            }
        }
    }
    out
}

/// `host:pid`, so a lease left by a dead process on this host can be recognised.
pub fn default_worker_id() -> String {
    let host = std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".to_owned());
    format!("{host}:{}", std::process::id())
}

/// How a pass is chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncMode {
    /// Incremental, or full when reconciliation is due (or nothing is stored yet).
    Auto,
    /// A full pass with reconciliation now.
    Full,
}

/// One unit of sync work: a store × entity, how to pass through it, under which
/// lease, and for how many pages at most (all when `None`).
#[derive(Debug, Clone, Copy)]
pub struct Job<'a> {
    pub store_id: &'a str,
    pub entity: Entity,
    pub mode: SyncMode,
    pub fence: Option<&'a Lease>,
    pub max_pages: Option<u32>,
    /// Probe a store whose circuit is open (or whose credentials failed) now, even
    /// before its cool-down ends: an operator asked for this sync.
    pub force_probe: bool,
}

impl<'a> Job<'a> {
    /// An automatic pass to the end, without a lease.
    pub fn new(store_id: &'a str, entity: Entity) -> Self {
        Self {
            store_id,
            entity,
            mode: SyncMode::Auto,
            fence: None,
            max_pages: None,
            force_probe: false,
        }
    }

    pub fn mode(mut self, mode: SyncMode) -> Self {
        self.mode = mode;
        self
    }

    /// Under a lease (fenced commits), for the lease's store × entity.
    pub fn leased(lease: &'a Lease) -> Self {
        Self {
            fence: Some(lease),
            ..Self::new(&lease.store_id, lease.entity)
        }
    }

    pub fn max_pages(mut self, pages: u32) -> Self {
        self.max_pages = Some(pages);
        self
    }
}

/// Follows a sync's progress (the CLI draws bars from it).
pub trait Progress: Send + Sync {
    /// Ask the platform how many records the pass will list (one extra request).
    fn wants_total(&self) -> bool {
        false
    }
    fn started(&self, _store: &str, _entity: Entity, _total: Option<u64>) {}
    /// A page of `records` records was committed.
    fn page(&self, _store: &str, _entity: Entity, _records: u64) {}
    fn finished(&self, _store: &str, _entity: Entity, _report: &SliceReport) {}
}

/// A progress sink that ignores everything.
pub struct NoProgress;
impl Progress for NoProgress {}

/// What one slice of sync work did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SliceReport {
    /// The pass ended (and was finished); false when the slice stopped early.
    pub done: bool,
    pub full: bool,
    pub pages: u64,
    pub records: u64,
    pub changed: u64,
    pub deleted: u64,
    /// The slice continued a pass an earlier slice (or a killed process) began.
    pub resumed: bool,
}

impl SliceReport {
    /// Adds a later pass's figures to this one (a catch-up pass after a pass).
    fn absorb(&mut self, later: &SliceReport) {
        self.done = later.done;
        self.pages += later.pages;
        self.records += later.records;
        self.changed += later.changed;
        self.deleted += later.deleted;
    }
}

/// The sync engine over one sync store.
pub struct Engine {
    pub store: Arc<dyn Store>,
    source: Arc<dyn AdapterSource>,
    pub opts: EngineOptions,
    adapters: std::sync::Mutex<HashMap<String, Arc<dyn Adapter>>>,
    /// The client outbound deliveries share, built on first use.
    outbound: std::sync::OnceLock<reqwest::Client>,
    /// Schema drift: the shapes synced records are checked against.
    drift: drift::DriftWatch,
    /// Each store's transport figures in this process (the dashboard's budget gauge).
    pub meters: Arc<meters::Meters>,
}

impl Engine {
    pub fn new(store: Arc<dyn Store>, source: Arc<dyn AdapterSource>, opts: EngineOptions) -> Self {
        Self {
            store,
            source,
            opts,
            adapters: std::sync::Mutex::new(HashMap::new()),
            outbound: std::sync::OnceLock::new(),
            drift: drift::DriftWatch::default(),
            meters: Arc::default(),
        }
    }

    /// The store's adapter, built once per process.
    pub async fn adapter(&self, store_id: &str) -> Result<Arc<dyn Adapter>> {
        if let Some(a) = self
            .adapters
            .lock()
            .expect("adapter cache lock")
            .get(store_id)
        {
            return Ok(a.clone());
        }
        let info = self.store.get_store(store_id).await?;
        let config = self.store.store_config(store_id).await?;
        let tokens = Arc::new(tokens::StoreTokenSink {
            store: self.store.clone(),
            store_id: store_id.to_owned(),
        });
        let adapter = self
            .source
            .connect_metered(&info, &config, tokens, &self.meters)?;
        // Jobs of one store may get here at once: the first adapter in wins, so every
        // job of the store shares one governor (and one token refresh).
        Ok(self
            .adapters
            .lock()
            .expect("adapter cache lock")
            .entry(store_id.to_owned())
            .or_insert(adapter)
            .clone())
    }

    /// Syncs one store × entity for at most `max_pages` pages (all when `None`),
    /// resuming a pass a crash interrupted. Stops early (not done) when `stop` is set.
    /// Runs in a `sync_pass` tracing span (store, platform, entity, full or
    /// incremental, pages, records); each page read is a `sync_page` span in it.
    pub async fn sync_slice(
        &self,
        job: &Job<'_>,
        stop: &Stop<'_>,
        progress: &dyn Progress,
    ) -> Result<SliceReport> {
        let span = tracing::info_span!(
            "sync_pass",
            store = job.store_id,
            platform = tracing::field::Empty,
            entity = %job.entity,
            full = tracing::field::Empty,
            resumed = tracing::field::Empty,
            pages = tracing::field::Empty,
            records = tracing::field::Empty,
            changed = tracing::field::Empty,
            deleted = tracing::field::Empty,
            done = tracing::field::Empty,
            otel.status_code = tracing::field::Empty,
            error = tracing::field::Empty,
        );
        let result = self
            .sync_slice_traced(job, stop, progress)
            .instrument(span.clone())
            .await;
        match &result {
            Ok(report) => {
                span.record("pages", report.pages);
                span.record("records", report.records);
                span.record("changed", report.changed);
                span.record("deleted", report.deleted);
                span.record("done", report.done);
            }
            Err(e) => {
                span.record("otel.status_code", "ERROR");
                span.record("error", tracing::field::display(e));
            }
        }
        result
    }

    async fn sync_slice_traced(
        &self,
        job: &Job<'_>,
        stop: &Stop<'_>,
        progress: &dyn Progress,
    ) -> Result<SliceReport> {
        let Job {
            store_id,
            entity,
            mode,
            fence,
            max_pages,
            ..
        } = *job;
        let adapter = self.adapter(store_id).await?;
        tracing::Span::current().record("platform", adapter.platform());
        let caps = adapter.capabilities().clone();
        let cursor = self.store.cursor(store_id, entity).await?;
        let resumed = cursor
            .pass
            .as_ref()
            .is_some_and(|p| mode == SyncMode::Auto || p.full);
        let mut pass = match cursor.pass {
            Some(pass) if resumed => pass,
            _ => {
                let reconcile_due = cursor
                    .last_full_at
                    .is_none_or(|at| self.opts.clock.now() - at >= self.opts.reconcile_every);
                let full = mode == SyncMode::Full
                    || reconcile_due
                    || cursor.watermark.is_none()
                    || !caps.incremental(job.entity);
                let pass = Pass {
                    id: self.store.next_pass_id().await?,
                    full,
                    since: if full {
                        None
                    } else {
                        cursor.watermark.map(|w| w - self.opts.overlap)
                    },
                    // The store's own time: reconciliation compares it with when records
                    // were stored, and the watermark is capped by it.
                    started_at: Utc::now(),
                    next: None,
                    listed_all: false,
                    max_updated: None,
                };
                self.store.save_pass(store_id, entity, &pass, fence).await?;
                pass
            }
        };
        let mut report = SliceReport {
            full: pass.full,
            resumed,
            ..SliceReport::default()
        };
        tracing::Span::current()
            .record("full", pass.full)
            .record("resumed", resumed);
        let total = if caps.counts(job.entity) && progress.wants_total() {
            let mut q = ListQuery::new(entity);
            q.updated_since = pass.since;
            adapter.count(&q).await.ok()
        } else {
            None
        };
        progress.started(store_id, entity, total);
        // The next page, read and prepared (serialised, hashed, compressed) while the
        // current one commits.
        let mut read_ahead: Option<Result<(Page, PreparedPage)>> = None;
        while !pass.listed_all {
            let stopped = stop();
            if stopped || max_pages.is_some_and(|m| report.pages >= u64::from(m)) {
                if let (true, Some(lease)) = (stopped, fence) {
                    // Stopped under a lease: say so if it was lost (the heartbeat saw it
                    // taken over), so the run is recorded as fenced out, not as a slice.
                    self.store
                        .renew_lease(lease, self.opts.clock.now() + self.opts.lease_ttl)
                        .await?;
                }
                progress.finished(store_id, entity, &report);
                return Ok(report);
            }
            let (page, prepared) = match read_ahead.take() {
                Some(ahead) => ahead?,
                None => {
                    let query = self.page_query(entity, &pass, &caps);
                    let page = traced_list(&adapter, store_id, &query, report.pages).await?;
                    prepare(store_id, page).await?
                }
            };
            if page.next.is_some() && page.next == pass.next {
                return Err(polycart_kit::Error::invalid(
                    "the adapter returned the cursor it was given",
                )
                .into());
            }
            self.drift
                .page(
                    self.store.as_ref(),
                    store_id,
                    adapter.as_ref(),
                    entity,
                    &page.records,
                    Utc::now(),
                )
                .await;
            let mut next = pass.clone();
            next.listed_all = page.next.is_none();
            next.next = page.next;
            next.max_updated = page
                .records
                .iter()
                .filter_map(|r| r.updated_at())
                .chain(pass.max_updated)
                .max();
            let page_commit = PreparedCommit {
                page: &prepared,
                entity,
                pass: &next,
                fence,
                renew_until: self.opts.clock.now() + self.opts.lease_ttl,
            };
            let commit = self.store.commit_prepared(&page_commit);
            // Read and prepare the next page while this one commits, unless this slice
            // ends here (a page read for nothing would spend the platform's budget).
            let last_of_slice = max_pages.is_some_and(|m| report.pages + 1 >= u64::from(m));
            let outcome = if next.listed_all || last_of_slice {
                commit.await?
            } else {
                let query = self.page_query(entity, &next, &caps);
                let ahead = async {
                    let page = traced_list(&adapter, store_id, &query, report.pages + 1).await?;
                    prepare(store_id, page).await
                };
                let (outcome, ahead) = tokio::join!(commit, ahead);
                read_ahead = Some(ahead);
                outcome?
            };
            pass = next;
            report.pages += 1;
            report.records += page.records.len() as u64;
            report.changed += outcome.changed();
            progress.page(store_id, entity, page.records.len() as u64);
        }
        let deleted = if pass.full {
            self.reconcile(store_id, entity, &pass, &adapter).await?
        } else {
            Vec::new()
        };
        report.deleted = self
            .store
            .finish_pass(&FinishPass {
                store_id,
                entity,
                pass: &pass,
                deleted: &deleted,
                fence,
            })
            .await?;
        report.done = true;
        progress.finished(store_id, entity, &report);
        Ok(report)
    }

    /// The listing that reads the page after `pass`'s cursor.
    fn page_query(&self, entity: Entity, pass: &Pass, caps: &Capabilities) -> ListQuery {
        let mut query = ListQuery::new(entity).with_cursor(pass.next.clone());
        query.updated_since = pass.since;
        query.page_size = self.opts.page_size;
        query.bulk = pass.full && caps.bulk_export && self.opts.bulk_full_passes;
        query
    }

    /// Records a full pass did not list. Few: each is confirmed gone with `get` (a
    /// record a shifting listing skipped is re-read instead). Many: an evenly spread
    /// sample of them is checked; all gone, the listing is trusted; any still there,
    /// the listing missed records, so only the confirmed ones are deleted and the next
    /// full pass reconciles the rest.
    async fn reconcile(
        &self,
        store_id: &str,
        entity: Entity,
        pass: &Pass,
        adapter: &Arc<dyn Adapter>,
    ) -> Result<Vec<String>> {
        let candidates = self.store.unseen_records(store_id, entity, pass).await?;
        let limit = self.opts.verify_deletions_up_to;
        let sampled = candidates.len() > limit;
        let checked: Vec<&String> = if sampled {
            (0..limit)
                .map(|i| &candidates[i * candidates.len() / limit])
                .collect()
        } else {
            candidates.iter().collect()
        };
        let mut gone = Vec::new();
        let mut alive = 0usize;
        for id in checked {
            match adapter.get(entity, id).await {
                Ok(record) => {
                    alive += 1;
                    self.store.upsert_records(store_id, &[record]).await?;
                }
                Err(polycart_kit::Error::NotFound { .. })
                | Err(polycart_kit::Error::Unsupported { .. }) => gone.push(id.clone()),
                Err(e) => return Err(e.into()),
            }
        }
        if !sampled || alive > 0 {
            if sampled {
                tracing::warn!(
                    store = store_id,
                    entity = %entity,
                    unlisted = candidates.len(),
                    alive,
                    "the full listing missed live records: unconfirmed deletions wait for the next full pass"
                );
            }
            return Ok(gone);
        }
        Ok(candidates)
    }

    /// Runs a slice and keeps the store's health: an auth failure backs the store off,
    /// repeated platform failures open its circuit, a success closes it. A store whose
    /// cool-down has ended is moved to half-open first, so one probe runs at a time.
    pub async fn run_job(
        &self,
        job: &Job<'_>,
        stop: &Stop<'_>,
        progress: &dyn Progress,
    ) -> Result<SliceReport> {
        let Job {
            store_id,
            entity,
            mode,
            ..
        } = *job;
        let info = self.store.get_store(store_id).await?;
        let now = self.opts.clock.now();
        if matches!(
            info.state,
            StoreState::CircuitOpen | StoreState::AuthFailed | StoreState::HalfOpen
        ) {
            // One probe at a time: only the caller that moves the store to half-open
            // (atomically, once its cool-down is over) runs; a command run by an
            // operator (`force_probe`) probes at once.
            let until = now + self.cooldown(info.failures);
            if !self
                .store
                .begin_probe(store_id, now, until, job.force_probe)
                .await?
            {
                return Err(Error::Backoff {
                    store: store_id.to_owned(),
                    state: info.state,
                    until: info.retry_at,
                });
            }
        }
        let kind = if mode == SyncMode::Full {
            "full"
        } else {
            "auto"
        };
        // Under a lease, the run is the lease holder's (its name, its token).
        let run_id = match job.fence {
            Some(lease) => self.store.start_leased_run(lease, kind).await?,
            None => {
                self.store
                    .start_run(store_id, entity, kind, &self.opts.worker_id)
                    .await?
            }
        };
        let result = catch_panic(self.sync_slice(job, stop, progress)).await;
        // The adapter is cached: the one the slice listed with.
        let notes = match self.adapter(store_id).await {
            Ok(adapter) => adapter.take_notes(entity),
            Err(_) => Vec::new(),
        };
        let mut run = crate::store::SyncRun {
            id: run_id,
            note: (!notes.is_empty()).then(|| notes.join("; ")),
            ..Default::default()
        };
        match &result {
            Ok(report) => {
                run.pages = report.pages as i64;
                run.records = report.records as i64;
                run.changed = report.changed as i64;
                if info.state != StoreState::Active || info.failures > 0 {
                    self.store
                        .set_health(
                            store_id,
                            &Health {
                                state: StoreState::Active,
                                failures: 0,
                                last_error: None,
                                retry_at: None,
                            },
                        )
                        .await?;
                }
            }
            Err(Error::Platform(e)) => {
                tracing::warn!(store = store_id, error = %e, "sync slice failed");
                run.error = Some(e.public_message());
                let health = self.health_after(&info, e, now);
                self.store.set_health(store_id, &health).await?;
            }
            Err(e) => run.error = Some(e.to_string()),
        }
        self.store.finish_run(&run).await?;
        result
    }

    fn cooldown(&self, failures: i64) -> chrono::Duration {
        let doublings = (failures - self.opts.circuit_threshold).clamp(0, 6);
        self.opts.circuit_cooldown * (1 << doublings)
    }

    fn health_after(
        &self,
        info: &StoreInfo,
        error: &polycart_kit::Error,
        now: DateTime<Utc>,
    ) -> Health {
        let message = Some(error.public_message());
        if let polycart_kit::Error::Auth { .. } = error {
            return Health {
                state: StoreState::AuthFailed,
                failures: info.failures + 1,
                last_error: message,
                retry_at: Some(now + self.opts.auth_backoff),
            };
        }
        let failures = info.failures + 1;
        if failures >= self.opts.circuit_threshold || info.state == StoreState::HalfOpen {
            Health {
                state: StoreState::CircuitOpen,
                failures,
                last_error: message,
                retry_at: Some(now + self.cooldown(failures)),
            }
        } else {
            Health {
                state: StoreState::Active,
                failures,
                last_error: message,
                retry_at: None,
            }
        }
    }

    /// Syncs stores × entities to the end (the `polycart sync` command), `concurrency`
    /// at a time, each under a lease so a running worker never syncs the same pair.
    pub async fn sync_all(
        &self,
        pairs: Vec<(String, Entity)>,
        mode: SyncMode,
        progress: &dyn Progress,
        stop: &AtomicBool,
    ) -> Vec<(String, Entity, Result<SliceReport>)> {
        use futures::StreamExt;
        futures::stream::iter(interleave_stores(pairs))
            .map(|(store_id, entity)| async move {
                let result = self
                    .sync_leased(&store_id, entity, mode, progress, stop)
                    .await;
                (store_id, entity, result)
            })
            .buffer_unordered(self.opts.concurrency.max(1))
            .collect()
            .await
    }

    /// Syncs one store × entity to the end under a lease. A pass over several pages
    /// (or resumed after an interruption) may have listed records before they changed
    /// (behind its cursor, when the platform lists by id), so one incremental catch-up
    /// pass from that pass's start follows it: a sync that ends holds every change made
    /// while it ran.
    async fn sync_leased(
        &self,
        store_id: &str,
        entity: Entity,
        mode: SyncMode,
        progress: &dyn Progress,
        stop: &AtomicBool,
    ) -> Result<SliceReport> {
        let (first, catch_up) = (
            progress::Deferred::new(progress),
            progress::Continued(progress),
        );
        let mut total: Option<SliceReport> = None;
        loop {
            let now = self.opts.clock.now();
            let claimed = self
                .store
                .claim_job(
                    store_id,
                    entity,
                    &self.opts.worker_id,
                    now,
                    now + self.opts.lease_ttl,
                    dead_local_owner,
                )
                .await?;
            let lease = claimed.map_err(|owner| Error::Busy {
                store: store_id.to_owned(),
                entity,
                owner,
            })?;
            let catching_up = total.is_some();
            let job = Job {
                force_probe: true,
                ..Job::leased(&lease).mode(if catching_up { SyncMode::Auto } else { mode })
            };
            let sink: &dyn Progress = if catching_up { &catch_up } else { &first };
            let report = self.run_under_lease(&lease, job, stop, sink).await?;
            let again = !catching_up
                && report.done
                && (report.pages > 1 || report.resumed)
                && !stop.load(std::sync::atomic::Ordering::Relaxed)
                && self
                    .adapter(store_id)
                    .await?
                    .capabilities()
                    .incremental(entity)
                && self
                    .store
                    .cursor(store_id, entity)
                    .await?
                    .watermark
                    .is_some();
            match &mut total {
                Some(t) => t.absorb(&report),
                None => total = Some(report),
            }
            if !again {
                let report = total.unwrap_or_default();
                progress.finished(store_id, entity, &report);
                return Ok(report);
            }
        }
    }

    /// A verified platform webhook, taken as a hint, never as an order: the signature
    /// covers the body, not the topic header, so a replayed body can claim any topic.
    /// The touched record is re-read from the platform and stored as the platform has
    /// it; it is marked deleted only when the platform answers that it does not exist,
    /// and the store is paused as uninstalled only when the platform refuses its
    /// credentials.
    pub async fn on_webhook(&self, store_id: &str, event: &WebhookEvent) -> Result<WebhookOutcome> {
        match event.kind {
            WebhookKind::Uninstalled => {
                let adapter = self.adapter(store_id).await?;
                let Some(entity) = adapter.capabilities().entity_list().first().copied() else {
                    return Ok(WebhookOutcome::Ignored);
                };
                match adapter.count(&ListQuery::new(entity)).await {
                    Err(polycart_kit::Error::Auth { .. }) => {}
                    Ok(_) | Err(polycart_kit::Error::Unsupported { .. }) => {
                        tracing::warn!(store = store_id, topic = %event.topic, "an uninstall webhook, but the platform still accepts the store's credentials: ignored");
                        return Ok(WebhookOutcome::NotConfirmed);
                    }
                    Err(e) => return Err(e.into()),
                }
                let info = self.store.get_store(store_id).await?;
                self.store
                    .set_health(
                        store_id,
                        &Health {
                            state: StoreState::Paused,
                            failures: info.failures,
                            last_error: Some(format!(
                                "uninstalled: the platform refuses the credentials ({})",
                                event.topic
                            )),
                            retry_at: None,
                        },
                    )
                    .await?;
                Ok(WebhookOutcome::Paused)
            }
            WebhookKind::Created | WebhookKind::Updated | WebhookKind::Deleted => {
                let (Some(entity), Some(id)) = (event.entity, event.platform_id.as_deref()) else {
                    return Ok(WebhookOutcome::Ignored);
                };
                let adapter = self.adapter(store_id).await?;
                match adapter.get(entity, id).await {
                    Ok(mut record) => {
                        record.assign_store(store_id);
                        self.store.upsert_records(store_id, &[record]).await?;
                        Ok(WebhookOutcome::Stored)
                    }
                    Err(polycart_kit::Error::NotFound { .. }) => {
                        self.store
                            .mark_deleted(store_id, entity, &[id.to_owned()])
                            .await?;
                        Ok(WebhookOutcome::Deleted)
                    }
                    Err(e) => Err(e.into()),
                }
            }
            WebhookKind::Ping | WebhookKind::Other => Ok(WebhookOutcome::Ignored),
        }
    }
}

/// What a platform webhook led to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WebhookOutcome {
    /// The record was re-read and stored as the platform has it.
    Stored,
    /// The platform says the record does not exist: marked deleted.
    Deleted,
    /// The platform refuses the store's credentials: the store is paused.
    Paused,
    /// An uninstall the platform did not confirm: nothing changed.
    NotConfirmed,
    /// A delivery already handled (same delivery id within a day).
    Duplicate,
    /// Nothing to do (a ping, a topic without a record).
    Ignored,
}

/// Runs `work`, turning a panic inside it into [`Error::Panicked`] so one bad record or
/// bug costs its job a retry, never a worker.
/// Reads one page in a `sync_page` span: store, platform, entity, the page's number
/// in the slice, whether the listing is full, incremental or a bulk export, the
/// cursor's kind (never its value) and the records it held.
async fn traced_list(
    adapter: &Arc<dyn Adapter>,
    store_id: &str,
    query: &ListQuery,
    page: u64,
) -> polycart_kit::Result<Page> {
    let listing = if query.bulk {
        "bulk"
    } else if query.updated_since.is_some() {
        "incremental"
    } else {
        "full"
    };
    let span = tracing::info_span!(
        "sync_page",
        store = store_id,
        platform = adapter.platform(),
        entity = %query.entity,
        page,
        listing,
        cursor.kind = query.cursor.as_ref().map_or("first", |c| c.kind()),
        records = tracing::field::Empty,
        more = tracing::field::Empty,
        otel.status_code = tracing::field::Empty,
    );
    let result = adapter.list(query).instrument(span.clone()).await;
    match &result {
        Ok(p) => {
            span.record("records", p.records.len() as u64)
                .record("more", p.next.is_some());
        }
        Err(_) => {
            span.record("otel.status_code", "ERROR");
        }
    }
    result
}

pub(crate) async fn catch_panic<T>(
    work: impl std::future::Future<Output = Result<T>>,
) -> Result<T> {
    use futures::FutureExt;
    match std::panic::AssertUnwindSafe(work).catch_unwind().await {
        Ok(result) => result,
        Err(payload) => {
            let message = payload
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a panic".to_owned());
            tracing::error!(panic = %message, "a sync panicked");
            Err(Error::Panicked(polycart_kit::error::sanitise(
                &message, 200,
            )))
        }
    }
}

/// A lease owner of this host whose process has died (`host:pid` with no such pid),
/// whose lease may be taken at once instead of waiting for it to expire.
pub fn dead_local_owner(owner: &str) -> bool {
    let Some((host, pid)) = owner.rsplit_once(':') else {
        return false;
    };
    let me = default_worker_id();
    let my_host = me.rsplit_once(':').map(|(h, _)| h).unwrap_or("");
    host == my_host
        && pid.parse::<u32>().is_ok_and(|pid| {
            pid != std::process::id() && !std::path::Path::new(&format!("/proc/{pid}")).exists()
        })
}

/// Asked between pages: should this slice stop now (shutdown, lease lost)?
pub type Stop<'a> = dyn Fn() -> bool + Send + Sync + 'a;

/// Prepares a listed page for its commit ([`PreparedPage::prepare`]) on a blocking
/// thread, so the serialising, hashing and compressing run beside the commit of the
/// page before instead of inside its transaction.
async fn prepare(store_id: &str, page: Page) -> Result<(Page, PreparedPage)> {
    let store_id = store_id.to_owned();
    let prepared = tokio::task::spawn_blocking(move || {
        let prepared = PreparedPage::prepare(&store_id, &page.records);
        (page, prepared)
    })
    .await;
    match prepared {
        Ok((page, prepared)) => Ok((page, prepared?)),
        Err(e) => match e.try_into_panic() {
            Ok(panic) => std::panic::resume_unwind(panic),
            Err(e) => Err(Error::Panicked(format!("preparing a page: {e}"))),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_are_interleaved_across_stores() {
        let pairs = vec![
            ("a".to_owned(), Entity::Order),
            ("a".to_owned(), Entity::Product),
            ("a".to_owned(), Entity::Customer),
            ("b".to_owned(), Entity::Order),
            ("c".to_owned(), Entity::Order),
            ("c".to_owned(), Entity::Product),
        ];
        let interleaved = interleave_stores(pairs);
        let order: Vec<(&str, Entity)> =
            interleaved.iter().map(|(s, e)| (s.as_str(), *e)).collect();
        assert_eq!(
            order,
            vec![
                ("a", Entity::Order),
                ("b", Entity::Order),
                ("c", Entity::Order),
                ("a", Entity::Product),
                ("c", Entity::Product),
                ("a", Entity::Customer),
            ]
        );
    }
}
