//! Record ids as callers give them: every route and body field that names a record
//! accepts the polycart id (`{store}:{platform_id}`, what listings return as `id`) and
//! the platform's own id. One function turns either into the platform id and refuses
//! what no platform id can be (empty, too long, control characters) before anything
//! else runs; the platform's own grammar is checked by its adapter's path builder.

use std::collections::HashMap;

use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;

use super::error::ApiError;

/// The longest record id accepted.
pub const MAX_ID_LEN: usize = 255;

/// The platform id named by `id` in store `store_id`.
pub fn platform_id(store_id: &str, id: &str) -> Result<String, ApiError> {
    let platform = id
        .strip_prefix(store_id)
        .and_then(|rest| rest.strip_prefix(':'))
        .unwrap_or(id);
    if platform.trim().is_empty()
        || platform.chars().count() > MAX_ID_LEN
        || platform.chars().any(char::is_control)
    {
        return Err(ApiError::Invalid(format!(
            "{:?} is not a record id (1 to {MAX_ID_LEN} characters, no control characters)",
            polycart_kit::error::excerpt(id, 40)
        )));
    }
    Ok(platform.to_owned())
}

/// The same for an optional body field.
pub fn optional(store_id: &str, id: Option<String>) -> Result<Option<String>, ApiError> {
    id.map(|i| platform_id(store_id, &i)).transpose()
}

/// A route's `{store}` and `{id}`, the id already made a platform id.
#[derive(Debug, Clone)]
pub struct StoreRecord {
    pub store_id: String,
    pub platform_id: String,
}

impl<S: Send + Sync> FromRequestParts<S> for StoreRecord {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Path(params) = Path::<HashMap<String, String>>::from_request_parts(parts, state)
            .await
            .map_err(|e| ApiError::Invalid(e.body_text()))?;
        let (Some(store_id), Some(id)) = (params.get("store"), params.get("id")) else {
            return Err(ApiError::Internal(
                "a record route without {store} and {id}".into(),
            ));
        };
        Ok(Self {
            platform_id: platform_id(store_id, id)?,
            store_id: store_id.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn polycart_and_platform_ids_name_the_same_record() {
        assert_eq!(platform_id("st_a", "st_a:123").unwrap(), "123");
        assert_eq!(platform_id("st_a", "123").unwrap(), "123");
        assert_eq!(platform_id("st_a", "st_a:1:2").unwrap(), "1:2");
        // Another store's polycart id is not stripped: the adapter refuses it.
        assert_eq!(platform_id("st_a", "st_b:1").unwrap(), "st_b:1");
        assert_eq!(platform_id("st_a", "st_ab:1").unwrap(), "st_ab:1");
        for bad in ["", "st_a:", "a\0b", "\n", &"9".repeat(256)] {
            assert!(platform_id("st_a", bad).is_err(), "{bad:?}");
        }
    }
}
