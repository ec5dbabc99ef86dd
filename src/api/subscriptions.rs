//! `/v1/subscriptions`: outbound webhooks. Each subscription receives the change feed
//! (optionally one store's) as signed batches; secrets are write-only. A subscription
//! whose undelivered changes the feed's retention dropped is listed as `fell_behind`
//! and receives nothing more until it is replayed from a retained sequence.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Extension, Path, Query, State};
use axum::http::StatusCode;
use polycart_kit::Secret;
use serde::{Deserialize, Serialize};

use super::AppState;
use super::auth::Caller;
use super::error::ApiError;
use crate::store::{Delivery, Subscription, validate_store_url};

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateSubscription {
    pub url: String,
    /// HMAC-SHA256 key for the `X-Polycart-Signature` header; never returned.
    pub secret: String,
    pub store_id: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SubscriptionView {
    pub id: String,
    pub url: String,
    pub store_id: Option<String>,
    /// Every change up to this sequence number has been delivered.
    pub last_seq: i64,
    pub failures: i64,
    pub last_error: Option<String>,
    pub status: SubscriptionStatus,
    /// With `fell_behind`: the oldest change the feed still holds for this
    /// subscription; replay with `after` = this − 1 to resume (earlier changes are lost).
    pub oldest_available_seq: Option<i64>,
}

/// Whether a subscription is being delivered to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SubscriptionStatus {
    /// Receiving the feed (or retrying a failed delivery).
    Active,
    /// Changes it had not received yet were dropped by the feed's retention
    /// (`POLYCART_CHANGES_RETENTION`): nothing is delivered until it is replayed.
    FellBehind,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SubscriptionList {
    pub data: Vec<SubscriptionView>,
}

#[utoipa::path(post, path = "/v1/subscriptions", request_body = CreateSubscription,
    responses((status = 201, body = SubscriptionView)), security(("api_key" = [])))]
pub async fn create(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    Json(body): Json<CreateSubscription>,
) -> Result<(StatusCode, Json<SubscriptionView>), ApiError> {
    match &body.store_id {
        Some(store) => {
            caller.check_store(store)?;
            state.store.get_store(store).await?;
        }
        None => caller.require_admin("subscribe to every store")?,
    }
    if !(16..=512).contains(&body.secret.chars().count()) {
        return Err(ApiError::Invalid(
            "the secret must be 16 to 512 characters".into(),
        ));
    }
    let url = validate_store_url(&body.url, state.url_policy)
        .map_err(|e| ApiError::Invalid(e.to_string()))?;
    let id = state
        .store
        .add_subscription(&url, &Secret::new(body.secret), body.store_id.as_deref())
        .await?;
    // The sequence it really starts after (the feed's head when it was made).
    let view = SubscriptionView::from(state.store.get_subscription(&id).await?);
    Ok((StatusCode::CREATED, Json(view)))
}

#[utoipa::path(get, path = "/v1/subscriptions", responses((status = 200, body = SubscriptionList)), security(("api_key" = [])))]
pub async fn list(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
) -> Result<Json<SubscriptionList>, ApiError> {
    let data = state
        .store
        .subscriptions()
        .await?
        .into_iter()
        .filter(|s| visible(&caller, s))
        .map(SubscriptionView::from)
        .collect();
    Ok(Json(SubscriptionList { data }))
}

impl From<Subscription> for SubscriptionView {
    fn from(s: Subscription) -> Self {
        Self {
            id: s.id,
            url: s.url,
            store_id: s.store_id,
            last_seq: s.last_seq,
            failures: s.failures,
            last_error: s.last_error,
            status: match s.fell_behind {
                Some(_) => SubscriptionStatus::FellBehind,
                None => SubscriptionStatus::Active,
            },
            oldest_available_seq: s.fell_behind,
        }
    }
}

/// A store's subscription is the store's tenants'; one over every store is the admins'.
pub(super) fn visible(caller: &Caller, s: &Subscription) -> bool {
    match &s.store_id {
        Some(store) => caller.sees(store),
        None => caller.0.store_ids.is_none(),
    }
}

/// The caller's subscription `id`, or `NotFound` (also for another tenant's).
async fn owned(state: &AppState, caller: &Caller, id: &str) -> Result<Subscription, ApiError> {
    let sub = state.store.get_subscription(id).await?;
    if visible(caller, &sub) {
        Ok(sub)
    } else {
        Err(ApiError::NotFound(format!("subscription {id}")))
    }
}

#[utoipa::path(delete, path = "/v1/subscriptions/{id}", params(("id" = String, Path)),
    responses((status = 204)), security(("api_key" = [])))]
pub async fn remove(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    owned(&state, &caller, &id).await?;
    state.store.remove_subscription(&id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DeliveryView {
    pub id: i64,
    pub first_seq: i64,
    pub last_seq: i64,
    /// The receiver's HTTP status, when it answered.
    pub status: Option<u16>,
    /// Why the attempt failed; `null` for a delivered batch.
    pub error: Option<String>,
    pub at: chrono::DateTime<chrono::Utc>,
}

impl From<Delivery> for DeliveryView {
    fn from(d: Delivery) -> Self {
        Self {
            id: d.id,
            first_seq: d.first_seq,
            last_seq: d.last_seq,
            status: d.status,
            error: d.error,
            at: d.at,
        }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DeliveryList {
    pub data: Vec<DeliveryView>,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct DeliveriesParams {
    /// How many attempts, newest first (default 50, at most 500).
    pub limit: Option<i64>,
    /// Only failed attempts.
    #[serde(default)]
    pub failed: bool,
}

#[utoipa::path(get, path = "/v1/subscriptions/{id}/deliveries", params(("id" = String, Path), DeliveriesParams),
    responses((status = 200, body = DeliveryList)), security(("api_key" = [])))]
pub async fn deliveries(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    Query(params): Query<DeliveriesParams>,
) -> Result<Json<DeliveryList>, ApiError> {
    owned(&state, &caller, &id).await?;
    let limit = super::bounds::DELIVERIES_LIMIT.or(params.limit, 50)?;
    let data = state
        .store
        .deliveries(&id, limit)
        .await?
        .into_iter()
        .filter(|d| !params.failed || d.error.is_some())
        .map(DeliveryView::from)
        .collect();
    Ok(Json(DeliveryList { data }))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ReplayParams {
    /// Re-send every change with a sequence number above this one.
    pub after: i64,
}

/// Re-sends every change after `after` (and resumes a subscription that fell behind).
///
/// `after` must not lie before the oldest change the feed retains for this
/// subscription: `410 changes_expired` names `oldest_available_seq` otherwise.
#[utoipa::path(post, path = "/v1/subscriptions/{id}/replay", params(("id" = String, Path), ReplayParams),
    responses(
        (status = 202, body = SubscriptionView),
        (status = 410, body = super::error::ErrorEnvelope,
            description = "`changes_expired`: `after` lies before the oldest retained change; the error names `oldest_available_seq`"),
    ),
    security(("api_key" = [])))]
pub async fn replay(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    Query(params): Query<ReplayParams>,
) -> Result<(StatusCode, Json<SubscriptionView>), ApiError> {
    owned(&state, &caller, &id).await?;
    if params.after < 0 {
        return Err(ApiError::Invalid(
            "after must be a sequence number (0 or more)".into(),
        ));
    }
    state.store.replay_subscription(&id, params.after).await?;
    let sub = state.store.get_subscription(&id).await?;
    Ok((StatusCode::ACCEPTED, Json(SubscriptionView::from(sub))))
}
