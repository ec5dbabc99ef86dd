//! `GET /v1/changes?after=SEQ&limit=N`: the change feed, in sequence order, limited to
//! the stores the caller's key sees. The feed keeps changes for the retention
//! (`POLYCART_CHANGES_RETENTION`, 30 days by default); asking for changes from before
//! its start answers 410 `changes_expired`, never a page with a silent gap.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Extension, Query, State};
use serde::{Deserialize, Serialize};

use super::AppState;
use super::auth::Caller;
use super::error::ApiError;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ChangesParams {
    /// Return changes with a sequence number greater than this (default 0).
    pub after: Option<i64>,
    /// At most this many (1..=1000, default 100).
    pub limit: Option<i64>,
    /// Only this store's changes.
    pub store: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ChangesResponse {
    #[schema(value_type = Vec<Object>)]
    pub data: Vec<crate::store::Change>,
    /// Pass as `after` to continue.
    pub next_after: i64,
}

/// The change feed after `after`, oldest first.
///
/// Changes are kept for the server's retention (`POLYCART_CHANGES_RETENTION`, 30 days
/// by default); older ones are dropped, oldest first. A reader whose `after` lies
/// before the oldest retained change (of `store`, or of any store) gets
/// `410 changes_expired` with `oldest_available_seq`: it missed changes, and may
/// resume from `after` = `oldest_available_seq` − 1 once it has resynchronised (for
/// example by re-reading the records).
#[utoipa::path(get, path = "/v1/changes", params(ChangesParams),
    responses(
        (status = 200, body = ChangesResponse),
        (status = 410, body = super::error::ErrorEnvelope,
            description = "`changes_expired`: `after` lies before the oldest retained change; the error names `oldest_available_seq`"),
    ),
    security(("api_key" = [])))]
pub async fn list(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    Query(params): Query<ChangesParams>,
) -> Result<Json<ChangesResponse>, ApiError> {
    let limit = super::bounds::CHANGES_LIMIT.or(params.limit, 100)?;
    let mut after = super::bounds::SEQUENCE.or(params.after, 0)?;
    if let Some(store) = &params.store {
        caller.check_store(store)?;
    }
    let mut data = Vec::new();
    // Skip other tenants' changes without ending the page early.
    loop {
        let batch = state
            .store
            .changes_after(after, params.store.as_deref(), limit)
            .await?;
        let exhausted = (batch.len() as i64) < limit;
        for change in batch {
            after = change.seq;
            if caller.sees(&change.store_id) {
                data.push(change);
                if data.len() as i64 >= limit {
                    return Ok(Json(ChangesResponse {
                        data,
                        next_after: after,
                    }));
                }
            }
        }
        if exhausted {
            return Ok(Json(ChangesResponse {
                data,
                next_after: after,
            }));
        }
    }
}
