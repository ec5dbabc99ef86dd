//! `POST /v1/hooks/{platform}/{store}`: platform webhooks in. The store's adapter
//! verifies the signature (a store without a webhook secret answers 401 like a wrong
//! signature; a signed body that is not the platform's JSON is a 400). A verified
//! delivery is a hint: repeats of a delivery id within a day are recognised and
//! dropped, and the engine re-reads the touched record from the platform
//! ([`crate::engine::Engine::on_webhook`]) rather than trusting the payload or topic.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use serde::Serialize;

use super::AppState;
use super::error::ApiError;

/// How long a platform's delivery id is remembered.
const DELIVERY_MEMORY_HOURS: i64 = 24;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct HookAccepted {
    pub topic: String,
    pub kind: String,
    pub platform_id: Option<String>,
    /// What polycart did: stored, deleted, paused, not_confirmed, duplicate or ignored.
    #[schema(value_type = String)]
    pub outcome: crate::engine::WebhookOutcome,
}

#[utoipa::path(post, path = "/v1/hooks/{platform}/{store}", params(("platform" = String, Path), ("store" = String, Path)),
    request_body(content = Object, description = "The platform's webhook delivery, verbatim"),
    responses((status = 200, body = HookAccepted), (status = 401, body = super::error::ErrorEnvelope)))]
pub async fn receive(
    State(state): State<Arc<AppState>>,
    Path((platform, store_id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<HookAccepted>), ApiError> {
    let info = state
        .store
        .get_store(&store_id)
        .await
        .map_err(|_| ApiError::NotFound(format!("store {store_id}")))?;
    if !info.platform.eq_ignore_ascii_case(&platform) {
        return Err(ApiError::NotFound(format!("store {store_id}")));
    }
    let adapter = state.adapter(&store_id).await?;
    let event = adapter
        .verify_webhook(&headers, &body)
        .map_err(|e| match e {
            polycart_kit::Error::Auth { .. } => ApiError::BadSignature,
            polycart_kit::Error::Decode { .. } => {
                ApiError::Invalid("the webhook body cannot be read".into())
            }
            other => ApiError::from(other),
        })?;
    let now = chrono::Utc::now();
    let repeated = match &event.delivery_id {
        Some(delivery) => {
            !state
                .store
                .first_delivery(
                    &store_id,
                    delivery,
                    now,
                    now - chrono::Duration::hours(DELIVERY_MEMORY_HOURS),
                )
                .await?
        }
        None => false,
    };
    let outcome = if repeated {
        crate::engine::WebhookOutcome::Duplicate
    } else {
        state.engine.on_webhook(&store_id, &event).await?
    };
    let accepted = HookAccepted {
        topic: event.topic.clone(),
        kind: format!("{:?}", event.kind).to_lowercase(),
        platform_id: event.platform_id.clone(),
        outcome,
    };
    Ok((StatusCode::OK, Json(accepted)))
}
