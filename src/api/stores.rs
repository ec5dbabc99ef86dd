//! `/v1/stores`: connect a shop (credentials go in, never come out), list, inspect
//! (state, last error, rate budget, features off for want of an optional credential),
//! remove, and ask for an immediate sync.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Json;
use axum::extract::{Extension, Path, State};
use axum::http::StatusCode;
use polycart_kit::Entity;
use serde::{Deserialize, Serialize};

use super::AppState;
use super::auth::Caller;
use super::error::ApiError;
use crate::store::{StoreInfo, UrlPolicy};

/// A shop to connect.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct CreateStore {
    pub platform: String,
    pub url: String,
    #[serde(default)]
    pub name: Option<String>,
    /// Platform credentials (`access_token`, `consumer_key`, ...). Never returned.
    #[serde(default)]
    pub credentials: BTreeMap<String, String>,
    #[serde(default)]
    pub settings: BTreeMap<String, String>,
    /// Entities to sync, each at most once (default: every entity the platform lists).
    #[serde(default)]
    #[schema(value_type = Vec<String>)]
    pub entities: Vec<Entity>,
    /// Seconds between incremental syncs, 60 to 604800 (default 300).
    #[serde(default)]
    pub interval_secs: Option<i64>,
}

/// Seconds between incremental syncs when a store does not say.
pub const DEFAULT_INTERVAL_SECS: i64 = 300;

/// A connected store as the API shows it (no credentials).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct StoreView {
    pub id: String,
    pub name: String,
    pub platform: String,
    pub base_url: String,
    pub settings: BTreeMap<String, String>,
    #[schema(value_type = Vec<String>)]
    pub entities: Vec<Entity>,
    pub interval_secs: i64,
    /// active, auth_failed, circuit_open, half_open or paused.
    pub state: String,
    pub failures: i64,
    pub last_error: Option<String>,
    pub retry_at: Option<chrono::DateTime<chrono::Utc>>,
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// The last sync runs per entity, newest first.
    #[schema(value_type = Vec<Object>)]
    pub last_syncs: Vec<serde_json::Value>,
    /// Features the store runs without because an optional credential was left out
    /// (`webhooks` without a webhook secret: the store syncs by polling).
    pub disabled_features: Vec<DisabledFeature>,
    /// When the store was just connected with `POLYCART_PUBLIC_URL` set: the webhooks
    /// registered with the platform, or why none were.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub webhooks: Option<crate::webhook_setup::WebhookSetup>,
}

/// A feature a store runs without, and why.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DisabledFeature {
    /// The feature's key ("webhooks").
    pub feature: String,
    /// Why it is off and what the store does instead.
    pub reason: String,
}

impl StoreView {
    /// The view of `info`, with the features it runs without read from the names of
    /// its stored credentials.
    async fn of(state: &AppState, info: StoreInfo) -> Result<Self, ApiError> {
        let off = crate::connect::disabled_features(
            state.store.as_ref(),
            &info.id,
            &info.platform,
            state.public_url.is_some(),
        )
        .await?;
        let mut view = Self::from(info);
        view.disabled_features = off
            .into_iter()
            .map(|d| DisabledFeature {
                feature: d.feature,
                reason: d.reason,
            })
            .collect();
        Ok(view)
    }

    fn from(info: StoreInfo) -> Self {
        Self {
            id: info.id,
            name: info.name,
            platform: info.platform,
            base_url: info.base_url,
            settings: info.settings,
            entities: info.entities,
            interval_secs: info.interval_secs,
            state: info.state.as_str().to_owned(),
            failures: info.failures,
            last_error: info.last_error,
            retry_at: info.retry_at,
            created_at: info.created_at,
            last_syncs: Vec::new(),
            disabled_features: Vec::new(),
            webhooks: None,
        }
    }
}

/// A list of stores.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct StoreList {
    pub data: Vec<StoreView>,
}

#[utoipa::path(post, path = "/v1/stores", request_body = CreateStore,
    responses((status = 201, body = StoreView), (status = 400, body = super::error::ErrorEnvelope)), security(("api_key" = [])))]
pub async fn create(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    Json(body): Json<CreateStore>,
) -> Result<(StatusCode, Json<StoreView>), ApiError> {
    let view = connect(&state, &caller, body).await?;
    Ok((StatusCode::CREATED, Json(view)))
}

/// Connects a store (admin keys only) and registers its webhooks when a public URL is
/// set; `POST /v1/stores` and API2Cart's `account.cart.add` share it.
pub(crate) async fn connect(
    state: &AppState,
    caller: &Caller,
    body: CreateStore,
) -> Result<StoreView, ApiError> {
    caller.require_admin("connect stores")?;
    let new = crate::connect::prepare(
        crate::connect::ConnectRequest {
            platform: body.platform,
            url: body.url,
            name: body.name,
            credentials: body.credentials,
            settings: body.settings,
            entities: body.entities,
            interval_secs: body.interval_secs.unwrap_or(DEFAULT_INTERVAL_SECS),
        },
        state.url_policy,
    )
    .map_err(|e| ApiError::Invalid(e.to_string()))?;
    let info = state.store.add_store(&new).await?;
    let setup = match &state.public_url {
        Some(public) => {
            let adapter = state.adapter(&info.id).await?;
            Some(
                crate::webhook_setup::register(adapter.as_ref(), public, &info.id, &info.entities)
                    .await,
            )
        }
        None => None,
    };
    let mut view = StoreView::of(state, info).await?;
    view.webhooks = setup;
    Ok(view)
}

#[utoipa::path(get, path = "/v1/stores", responses((status = 200, body = StoreList)), security(("api_key" = [])))]
pub async fn list(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
) -> Result<Json<StoreList>, ApiError> {
    let stores = state.store.list_stores().await?;
    let mut data = Vec::new();
    for s in stores.into_iter().filter(|s| caller.sees(&s.id)) {
        data.push(StoreView::of(&state, s).await?);
    }
    Ok(Json(StoreList { data }))
}

#[utoipa::path(get, path = "/v1/stores/{store}", params(("store" = String, Path)),
    responses((status = 200, body = StoreView), (status = 404, body = super::error::ErrorEnvelope)), security(("api_key" = [])))]
pub async fn get_one(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    Path(store_id): Path<String>,
) -> Result<Json<StoreView>, ApiError> {
    caller.check_store(&store_id)?;
    let info = state.store.get_store(&store_id).await?;
    let mut view = StoreView::of(&state, info).await?;
    let runs = state.store.runs(Some(&store_id)).await?;
    view.last_syncs = runs
        .into_iter()
        .take(10)
        .filter_map(|r| serde_json::to_value(r).ok())
        .collect();
    Ok(Json(view))
}

#[utoipa::path(delete, path = "/v1/stores/{store}", params(("store" = String, Path)),
    responses((status = 204), (status = 404, body = super::error::ErrorEnvelope)), security(("api_key" = [])))]
pub async fn remove(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    Path(store_id): Path<String>,
) -> Result<StatusCode, ApiError> {
    disconnect(&state, &caller, &store_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Removes a store (admin keys only), unregistering its webhooks first;
/// `DELETE /v1/stores/{store}` and API2Cart's `cart.delete` share it.
pub(crate) async fn disconnect(
    state: &AppState,
    caller: &Caller,
    store_id: &str,
) -> Result<(), ApiError> {
    caller.check_store(store_id)?;
    caller.require_admin("remove stores")?;
    state.store.get_store(store_id).await?;
    if let Some(public) = &state.public_url {
        match state.adapter(store_id).await {
            Ok(adapter) => {
                crate::webhook_setup::unregister(adapter.as_ref(), public, store_id).await;
            }
            Err(e) => {
                tracing::warn!(store = store_id, error = %e, "no adapter to unregister webhooks with")
            }
        }
    }
    state.store.remove_store(store_id).await?;
    Ok(())
}

/// Accepted: the store's jobs are due now.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SyncAccepted {
    pub store_id: String,
    pub scheduled: bool,
}

#[utoipa::path(post, path = "/v1/stores/{store}/sync", params(("store" = String, Path)),
    responses((status = 202, body = SyncAccepted)), security(("api_key" = [])))]
pub async fn sync(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    Path(store_id): Path<String>,
) -> Result<(StatusCode, Json<SyncAccepted>), ApiError> {
    caller.check_store(&store_id)?;
    state.store.get_store(&store_id).await?;
    state.store.schedule_now(&store_id).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(SyncAccepted {
            store_id,
            scheduled: true,
        }),
    ))
}

/// The policy of an API not told where it listens: `POLYCART_REFUSE_PRIVATE_URLS`, off
/// by default (`polycart serve` sets the listener's policy).
pub(crate) fn default_policy() -> UrlPolicy {
    UrlPolicy::from_env()
}
