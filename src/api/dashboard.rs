//! The JSON the dashboard (`/ui`) draws, scoped by API key like every resource:
//! `GET /v1/overview` (each visible store's state, last successful sync, lag, records
//! per entity, circuit breaker, last error and rate-budget gauge; running and queued
//! jobs with their workers; the change feed's tail; subscriptions with delivery
//! success and backlog) and `GET /v1/stores/{store}/history` (a store's latest sync
//! runs and its transport samples, for the store page's chart). The budget figures
//! come from this process's meters ([`crate::engine::meters`]).

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Json;
use axum::extract::{Extension, Path, Query, State};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::AppState;
use super::auth::Caller;
use super::error::ApiError;
use crate::engine::meters::BudgetSample;
use crate::store::{JobStatus, RunState, SyncRun};

/// Runs looked at for a store's last successful sync.
const RECENT_RUNS: i64 = 50;
/// Jobs listed at most.
const JOBS_LISTED: i64 = 200;
/// Changes in the feed's tail.
const FEED_TAIL: i64 = 20;
/// Deliveries a subscription's success rate is computed over.
const DELIVERIES_SEEN: i64 = 50;
/// Samples the overview's gauge sums (the last minute at the sampler's interval).
const GAUGE_SAMPLES: usize = 12;

/// What the dashboard's first screen shows.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Overview {
    pub generated_at: DateTime<Utc>,
    pub stores: Vec<StoreStatus>,
    /// Running jobs (leased by a worker) first, then those due and waiting.
    pub jobs: Vec<JobView>,
    /// The newest changes, newest first (records left out).
    pub changes: Vec<ChangeView>,
    pub subscriptions: Vec<SubscriptionStatus>,
    /// Whether this key may list, create and revoke API keys (a key over every store).
    pub can_manage_keys: bool,
}

/// A store at a glance.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct StoreStatus {
    pub id: String,
    pub name: String,
    pub platform: String,
    /// The circuit breaker: active, auth_failed, circuit_open, half_open or paused.
    pub state: String,
    /// Consecutive failed syncs.
    pub failures: i64,
    pub last_error: Option<String>,
    /// Not called before this time (circuit cool-down, auth back-off).
    pub retry_at: Option<DateTime<Utc>>,
    /// When the latest finished run of any entity ended.
    pub last_success_at: Option<DateTime<Utc>>,
    /// Seconds since the start of the oldest entity's last finished pass: a platform
    /// change older than that is stored, a newer one may not be yet. `null` while an
    /// entity never finished a pass.
    pub lag_secs: Option<f64>,
    /// Live records per entity.
    pub records: BTreeMap<String, u64>,
    /// Whether a run of this store is going on.
    pub syncing: bool,
    /// The rate budget over the last minute in this process.
    pub budget: BudgetGauge,
}

/// Spent vs allowed over a window, and the 429s in it.
#[derive(Debug, Default, Serialize, utoipa::ToSchema)]
pub struct BudgetGauge {
    pub window_secs: f64,
    pub requests: u64,
    pub spent: u64,
    pub allowed: f64,
    pub throttled_429: u64,
}

impl BudgetGauge {
    fn of(samples: &[BudgetSample]) -> Self {
        samples.iter().fold(Self::default(), |mut g, s| {
            g.window_secs += s.seconds;
            g.requests += s.requests;
            g.spent += s.spent;
            g.allowed += s.allowed;
            g.throttled_429 += s.throttled_429;
            g
        })
    }
}

/// A job: running (with its worker) or queued.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct JobView {
    pub store_id: String,
    pub entity: String,
    /// running or queued.
    pub status: String,
    pub worker: Option<String>,
    pub due_at: DateTime<Utc>,
    pub lease_until: Option<DateTime<Utc>>,
}

impl From<JobStatus> for JobView {
    fn from(j: JobStatus) -> Self {
        Self {
            status: if j.worker.is_some() {
                "running"
            } else {
                "queued"
            }
            .to_owned(),
            store_id: j.store_id,
            entity: j.entity,
            worker: j.worker,
            due_at: j.due_at,
            lease_until: j.lease_until,
        }
    }
}

/// A change of the feed without its record.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ChangeView {
    pub seq: i64,
    pub store_id: String,
    pub entity: String,
    pub platform_id: String,
    pub kind: String,
    pub at: DateTime<Utc>,
}

/// A subscription's delivery health.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SubscriptionStatus {
    pub id: String,
    pub url: String,
    pub store_id: Option<String>,
    pub last_seq: i64,
    /// Changes of its scope not delivered yet (feed head − last delivered).
    pub backlog: i64,
    pub failures: i64,
    pub last_error: Option<String>,
    /// Of its latest deliveries: how many succeeded and how many failed.
    pub delivered_ok: u64,
    pub delivered_failed: u64,
}

#[utoipa::path(get, path = "/v1/overview", responses((status = 200, body = Overview)), security(("api_key" = [])))]
pub async fn overview(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
) -> Result<Json<Overview>, ApiError> {
    let now = Utc::now();
    let stores: Vec<_> = state
        .store
        .list_stores()
        .await?
        .into_iter()
        .filter(|s| caller.sees(&s.id))
        .collect();
    let mut stats: BTreeMap<String, Vec<crate::store::EntityStats>> = BTreeMap::new();
    for s in state.store.entity_stats().await? {
        if caller.sees(&s.store_id) {
            stats.entry(s.store_id.clone()).or_default().push(s);
        }
    }
    let jobs: Vec<JobView> = state
        .store
        .active_jobs(now, JOBS_LISTED)
        .await?
        .into_iter()
        .filter(|j| caller.sees(&j.store_id))
        .map(JobView::from)
        .collect();
    let mut out = Vec::with_capacity(stores.len());
    for info in stores {
        let runs = state.store.recent_runs(&info.id, RECENT_RUNS).await?;
        let entity_stats = stats.remove(&info.id).unwrap_or_default();
        out.push(store_status(&state, info, &runs, &entity_stats, &jobs, now));
    }
    let changes = feed_tail(&state, &caller, &out).await?;
    let mut subscriptions = Vec::new();
    for sub in state.store.subscriptions().await? {
        if !super::subscriptions::visible(&caller, &sub) {
            continue;
        }
        let head = state.store.feed_head(sub.store_id.as_deref()).await?;
        let deliveries = state.store.deliveries(&sub.id, DELIVERIES_SEEN).await?;
        let failed = deliveries.iter().filter(|d| d.error.is_some()).count() as u64;
        subscriptions.push(SubscriptionStatus {
            backlog: (head - sub.last_seq).max(0),
            delivered_ok: deliveries.len() as u64 - failed,
            delivered_failed: failed,
            id: sub.id,
            url: sub.url,
            store_id: sub.store_id,
            last_seq: sub.last_seq,
            failures: sub.failures,
            last_error: sub.last_error,
        });
    }
    Ok(Json(Overview {
        generated_at: now,
        stores: out,
        jobs,
        changes,
        subscriptions,
        can_manage_keys: caller.0.store_ids.is_none(),
    }))
}

fn store_status(
    state: &AppState,
    info: crate::store::StoreInfo,
    runs: &[SyncRun],
    stats: &[crate::store::EntityStats],
    jobs: &[JobView],
    now: DateTime<Utc>,
) -> StoreStatus {
    let last_success_at = runs
        .iter()
        .filter(|r| r.state == RunState::Finished)
        .filter_map(|r| r.finished_at)
        .max();
    // The worst entity's lag; unknown while one of the store's entities never
    // finished a pass.
    let lag_secs = if stats.is_empty() {
        None
    } else {
        stats
            .iter()
            .map(|s| s.synced_through)
            .collect::<Option<Vec<_>>>()
            .and_then(|all| all.into_iter().min())
            .map(|oldest| ((now - oldest).num_milliseconds() as f64 / 1000.0).max(0.0))
    };
    let records = stats
        .iter()
        .map(|s| (s.entity.as_str().to_owned(), s.live_records))
        .collect();
    let samples = state.engine.meters.samples(&info.id);
    let recent = &samples[samples.len().saturating_sub(GAUGE_SAMPLES)..];
    StoreStatus {
        syncing: jobs
            .iter()
            .any(|j| j.store_id == info.id && j.worker.is_some())
            || runs.iter().any(|r| r.state == RunState::Running),
        budget: BudgetGauge::of(recent),
        last_success_at,
        lag_secs,
        records,
        state: info.state.as_str().to_owned(),
        id: info.id,
        name: info.name,
        platform: info.platform,
        failures: info.failures,
        last_error: info.last_error,
        retry_at: info.retry_at,
    }
}

/// The newest changes of the stores the caller sees, newest first.
async fn feed_tail(
    state: &AppState,
    caller: &Caller,
    stores: &[StoreStatus],
) -> Result<Vec<ChangeView>, ApiError> {
    // A key over every store reads the whole feed's tail; a scoped key its stores'.
    let scopes: Vec<Option<&str>> = if caller.0.store_ids.is_none() {
        vec![None]
    } else {
        stores.iter().map(|s| Some(s.id.as_str())).collect()
    };
    let mut changes = Vec::new();
    for scope in scopes {
        let head = state.store.feed_head(scope).await?;
        let horizon = state.store.changes_horizon(scope).await?;
        let after = (head - FEED_TAIL).max(horizon);
        let tail = match state.store.changes_after(after, scope, FEED_TAIL).await {
            Ok(tail) => tail,
            // Retention moved on in between: the next refresh reads the new tail.
            Err(crate::store::Error::ChangesExpired { .. }) => Vec::new(),
            Err(e) => return Err(e.into()),
        };
        changes.extend(tail.into_iter().map(|c| ChangeView {
            seq: c.seq,
            store_id: c.store_id,
            entity: c.entity.as_str().to_owned(),
            platform_id: c.platform_id,
            kind: c.kind.as_str().to_owned(),
            at: c.at,
        }));
    }
    changes.sort_by_key(|c| std::cmp::Reverse(c.seq));
    changes.truncate(FEED_TAIL as usize);
    Ok(changes)
}

/// A store's sync history.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct History {
    pub store_id: String,
    /// The latest runs, oldest first.
    pub runs: Vec<RunView>,
    /// This process's transport samples of the store, oldest first (the last ten
    /// minutes at most).
    pub samples: Vec<BudgetSample>,
}

/// One sync run with its rate.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RunView {
    pub id: i64,
    pub entity: String,
    pub kind: String,
    pub worker: String,
    /// running, finished, failed or abandoned.
    pub state: String,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    pub duration_secs: Option<f64>,
    pub pages: i64,
    pub records: i64,
    pub changed: i64,
    pub records_per_sec: Option<f64>,
    pub error: Option<String>,
}

impl From<SyncRun> for RunView {
    fn from(r: SyncRun) -> Self {
        let duration_secs = match (r.started_at, r.finished_at) {
            (Some(s), Some(f)) => Some(((f - s).num_milliseconds() as f64 / 1000.0).max(0.0)),
            _ => None,
        };
        Self {
            records_per_sec: duration_secs
                .filter(|d| *d > 0.0)
                .map(|d| r.records as f64 / d),
            duration_secs,
            id: r.id,
            entity: r.entity,
            kind: r.kind,
            worker: r.worker,
            state: r.state.as_str().to_owned(),
            started_at: r.started_at,
            finished_at: r.finished_at,
            pages: r.pages,
            records: r.records,
            changed: r.changed,
            error: r.error,
        }
    }
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct HistoryParams {
    /// Runs to return, newest (default 100).
    pub limit: Option<i64>,
}

#[utoipa::path(get, path = "/v1/stores/{store}/history", params(("store" = String, Path), HistoryParams),
    responses((status = 200, body = History), (status = 404, body = super::error::ErrorEnvelope)), security(("api_key" = [])))]
pub async fn history(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    Path(store_id): Path<String>,
    Query(params): Query<HistoryParams>,
) -> Result<Json<History>, ApiError> {
    caller.check_store(&store_id)?;
    let limit = super::bounds::HISTORY_LIMIT.or(params.limit, 100)?;
    state.store.get_store(&store_id).await?;
    let mut runs: Vec<RunView> = state
        .store
        .recent_runs(&store_id, limit)
        .await?
        .into_iter()
        .map(RunView::from)
        .collect();
    runs.reverse();
    Ok(Json(History {
        samples: state.engine.meters.samples(&store_id),
        store_id,
        runs,
    }))
}
