//! API keys: `Authorization: Bearer <key>`, checked against the hashes in the store,
//! then the key's rate limit. A key sees only its stores: asking for another
//! tenant's store answers 404, exactly as for a store that does not exist.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::AppState;
use super::error::ApiError;
use crate::store::ApiKey;

/// The authenticated caller, put in request extensions by [`layer`].
#[derive(Debug, Clone)]
pub struct Caller(pub ApiKey);

impl Caller {
    /// Whether the key may see `store_id`.
    pub fn sees(&self, store_id: &str) -> bool {
        self.0
            .store_ids
            .as_ref()
            .is_none_or(|ids| ids.iter().any(|s| s == store_id))
    }

    /// `NotFound` for a store outside the key's tenancy.
    pub fn check_store(&self, store_id: &str) -> Result<(), ApiError> {
        if self.sees(store_id) {
            Ok(())
        } else {
            Err(ApiError::NotFound(format!("store {store_id}")))
        }
    }

    /// Only keys over every store may create or remove stores and subscriptions.
    pub fn require_admin(&self, action: &str) -> Result<(), ApiError> {
        if self.0.store_ids.is_none() {
            Ok(())
        } else {
            Err(ApiError::Forbidden(action.to_owned()))
        }
    }
}

/// Middleware: authenticates, rate-limits per key, and records the caller.
pub async fn layer(
    State(state): State<Arc<AppState>>,
    mut request: Request,
    next: Next,
) -> Response {
    let token = request
        .headers()
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(bearer_token);
    let Some(token) = token else {
        return ApiError::Unauthenticated.into_response();
    };
    let key = match state.store.verify_api_key(token).await {
        Ok(Some(key)) => key,
        Ok(None) => return ApiError::Unauthenticated.into_response(),
        Err(e) => return ApiError::from(e).into_response(),
    };
    if let Err(wait) = state.key_limiter.check(&key.id) {
        return ApiError::RateLimited {
            retry_after_secs: wait.as_secs_f64().ceil() as u64,
        }
        .into_response();
    }
    request.extensions_mut().insert(Caller(key));
    next.run(request).await
}

/// The token of an `Authorization: Bearer <token>` value; the scheme is matched
/// case-insensitively (RFC 9110 §11.1).
pub(crate) fn bearer_token(value: &str) -> Option<&str> {
    let (scheme, token) = value.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

#[cfg(test)]
mod tests {
    use super::bearer_token;

    #[test]
    fn the_bearer_scheme_is_case_insensitive() {
        for v in ["Bearer k1", "bearer k1", "BEARER  k1 ", "bEaReR k1"] {
            assert_eq!(bearer_token(v), Some("k1"), "{v:?}");
        }
        for v in ["Basic k1", "Bearer", "Bearer  ", "k1", "Bearerk1"] {
            assert_eq!(bearer_token(v), None, "{v:?}");
        }
    }
}
