//! `/v1/keys`: API keys, managed by keys over every store (the same keys that may
//! connect and remove stores): list (names, scopes and dates; never a secret), create
//! (its plaintext answered once, like `polycart keys create`), revoke. A key cannot
//! revoke itself, so the last admin key is never lost by a click.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Extension, Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};

use super::AppState;
use super::auth::Caller;
use super::error::ApiError;
use crate::store::ApiKey;

/// A key as listed.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct KeyView {
    pub id: String,
    pub name: String,
    /// The stores it sees; `null`: every store (and it may manage stores and keys).
    pub store_ids: Option<Vec<String>>,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

impl From<ApiKey> for KeyView {
    fn from(k: ApiKey) -> Self {
        Self {
            id: k.id,
            name: k.name,
            store_ids: k.store_ids,
            created_at: k.created_at,
        }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct KeyList {
    pub data: Vec<KeyView>,
}

/// A key to create.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateKey {
    pub name: String,
    /// The stores it may see (each must exist); omitted or `null`: every store.
    #[serde(default)]
    pub store_ids: Option<Vec<String>>,
}

/// A created key with its plaintext, shown this once.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CreatedKey {
    pub key: KeyView,
    /// The bearer token; only its hash is kept.
    pub secret: String,
}

/// Stores a scoped key may name at most.
pub const MAX_SCOPE: usize = 1000;

#[utoipa::path(get, path = "/v1/keys", responses((status = 200, body = KeyList), (status = 403, body = super::error::ErrorEnvelope)), security(("api_key" = [])))]
pub async fn list(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
) -> Result<Json<KeyList>, ApiError> {
    caller.require_admin("manage API keys")?;
    let data = state
        .store
        .list_api_keys()
        .await?
        .into_iter()
        .map(KeyView::from)
        .collect();
    Ok(Json(KeyList { data }))
}

#[utoipa::path(post, path = "/v1/keys", request_body = CreateKey,
    responses((status = 201, body = CreatedKey), (status = 400, body = super::error::ErrorEnvelope), (status = 403, body = super::error::ErrorEnvelope)), security(("api_key" = [])))]
pub async fn create(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    Json(body): Json<CreateKey>,
) -> Result<(StatusCode, Json<CreatedKey>), ApiError> {
    caller.require_admin("manage API keys")?;
    super::bounds::KEY_NAME.check(&body.name)?;
    if let Some(ids) = &body.store_ids {
        if ids.is_empty() || ids.len() > MAX_SCOPE {
            return Err(ApiError::Invalid(format!(
                "store_ids must name 1 to {MAX_SCOPE} stores (or be left out for every store)"
            )));
        }
        for id in ids {
            if id.is_empty() || id.chars().count() > super::ids::MAX_ID_LEN {
                return Err(ApiError::Invalid(format!(
                    "a store id is 1 to {} characters",
                    super::ids::MAX_ID_LEN
                )));
            }
            // Unknown (or not visible): 404, as for every store a request names.
            state.store.get_store(id).await?;
        }
    }
    let (key, secret) = state
        .store
        .create_api_key(body.name.trim(), body.store_ids.as_deref())
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedKey {
            key: key.into(),
            secret,
        }),
    ))
}

#[utoipa::path(delete, path = "/v1/keys/{id}", params(("id" = String, Path)),
    responses((status = 204), (status = 400, body = super::error::ErrorEnvelope), (status = 403, body = super::error::ErrorEnvelope), (status = 404, body = super::error::ErrorEnvelope)), security(("api_key" = [])))]
pub async fn revoke(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    caller.require_admin("manage API keys")?;
    if id == caller.0.id {
        return Err(ApiError::Invalid(
            "a key cannot revoke itself: revoke it with another key over every store".into(),
        ));
    }
    state.store.revoke_api_key(&id).await?;
    Ok(StatusCode::NO_CONTENT)
}
