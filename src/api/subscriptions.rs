//! `/v1/subscriptions`: outbound webhooks. Each subscription receives the change feed
//! (optionally one store's) as signed batches; secrets are write-only.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Extension, State};
use axum::http::StatusCode;
use polycart_kit::Secret;
use serde::{Deserialize, Serialize};

use super::AppState;
use super::auth::Caller;
use super::error::ApiError;
use crate::store::validate_store_url;

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
    if body.secret.len() < 16 {
        return Err(ApiError::Invalid("the secret must be at least 16 characters".into()));
    }
    let url = validate_store_url(&body.url, state.url_policy).map_err(|e| ApiError::Invalid(e.to_string()))?;
    let id = state.store.add_subscription(&url, &Secret::new(body.secret), body.store_id.as_deref()).await?;
    let view = SubscriptionView { id, url: url.to_string(), store_id: body.store_id, last_seq: 0, failures: 0, last_error: None };
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
        .filter(|s| match &s.store_id {
            Some(store) => caller.sees(store),
            None => caller.0.store_ids.is_none(),
        })
        .map(|s| SubscriptionView {
            id: s.id,
            url: s.url,
            store_id: s.store_id,
            last_seq: s.last_seq,
            failures: s.failures,
            last_error: s.last_error,
        })
        .collect();
    Ok(Json(SubscriptionList { data }))
}
