//! API2Cart's response envelope, `{"return_code", "return_message", "pagination",
//! "result"}`, and its documented return codes. Like API2Cart, every answer is HTTP
//! 200 and a failure is a non-zero `return_code`; a rate limit also sets
//! `Retry-After`. polycart's own errors map onto the nearest documented code.

use axum::Json;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use crate::api::error::ApiError;

/// API2Cart's documented return codes (the subset polycart can give).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReturnCode {
    Ok = 0,
    /// The sync store failed (polycart's internal errors).
    ServiceUnavailable = 1,
    IncorrectApiKey = 2,
    /// No method, or one polycart does not serve.
    MethodNotSpecified = 3,
    /// The key may not reach this store, or may not manage stores.
    ApiAccessDenied = 5,
    /// Too many requests for the key.
    AccountRequestLimit = 10,
    /// The platform refused the store's credentials.
    StoreApiError = 100,
    StoreNotFound = 101,
    /// The platform failed otherwise.
    StoreError = 107,
    /// A parameter is invalid, or the method is not supported for this platform.
    IncorrectParameters = 109,
    /// The platform is rate limiting the store.
    StoreRequestLimit = 110,
    ItemNotFound = 112,
    EntityExists = 113,
    RequiredParameter = 114,
}

/// A failed request: its code and message.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct A2cError {
    pub code: ReturnCode,
    pub message: String,
    /// Seconds until a rate-limited key may call again.
    pub retry_after: Option<u64>,
}

impl A2cError {
    pub fn new(code: ReturnCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            retry_after: None,
        }
    }

    /// A parameter that does not parse or is out of range (109).
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(ReturnCode::IncorrectParameters, message)
    }

    /// The method exists in API2Cart but the store's platform cannot do it (109).
    pub fn unsupported(method: &str, platform: &str) -> Self {
        Self::new(
            ReturnCode::IncorrectParameters,
            format!("method {method} is not supported for platform {platform}"),
        )
    }
}

impl From<ApiError> for A2cError {
    fn from(e: ApiError) -> Self {
        let code = match &e {
            ApiError::Unauthenticated => ReturnCode::IncorrectApiKey,
            ApiError::NotFound(what) if what.starts_with("store ") => ReturnCode::StoreNotFound,
            ApiError::NotFound(_) => ReturnCode::ItemNotFound,
            ApiError::Forbidden(_) => ReturnCode::ApiAccessDenied,
            ApiError::Invalid(_)
            | ApiError::Conflict(_)
            | ApiError::Unsupported(_)
            | ApiError::PayloadTooLarge
            | ApiError::HeadersTooLarge
            | ApiError::MethodNotAllowed
            | ApiError::ChangesExpired { .. } => ReturnCode::IncorrectParameters,
            ApiError::RateLimited { .. } => ReturnCode::AccountRequestLimit,
            ApiError::PlatformAuth(_) | ApiError::BadSignature => ReturnCode::StoreApiError,
            ApiError::PlatformRateLimited => ReturnCode::StoreRequestLimit,
            ApiError::Platform(_) => ReturnCode::StoreError,
            ApiError::Internal(detail) => {
                tracing::error!(
                    request_id = crate::api::request_id::current(),
                    detail,
                    "internal error"
                );
                ReturnCode::ServiceUnavailable
            }
        };
        let retry_after = match &e {
            ApiError::RateLimited { retry_after_secs } => Some(*retry_after_secs),
            _ => None,
        };
        Self {
            code,
            message: e.to_string(),
            retry_after,
        }
    }
}

/// A successful answer: the `result` and, for listings, the `pagination`.
#[derive(Debug, Default)]
pub struct Reply {
    pub result: Value,
    pub pagination: Option<Value>,
}

impl Reply {
    pub fn result(result: Value) -> Self {
        Self {
            result,
            pagination: None,
        }
    }

    /// The whole envelope.
    pub fn into_envelope(self) -> Value {
        let mut out = Map::new();
        out.insert("return_code".into(), json!(ReturnCode::Ok as i64));
        out.insert("return_message".into(), json!(""));
        if let Some(p) = self.pagination {
            out.insert("pagination".into(), p);
        }
        out.insert("result".into(), self.result);
        Value::Object(out)
    }
}

/// The envelope of a failure (no `result`, as API2Cart answers).
pub fn error_envelope(e: &A2cError) -> Value {
    json!({ "return_code": e.code as i64, "return_message": e.message })
}

/// HTTP 200 with the envelope; `Retry-After` on a rate limit.
pub fn respond(body: Value, retry_after: Option<u64>) -> Response {
    let mut response = (StatusCode::OK, Json(body)).into_response();
    if let Some(secs) = retry_after
        && let Ok(v) = HeaderValue::from_str(&secs.max(1).to_string())
    {
        response
            .headers_mut()
            .insert(axum::http::header::RETRY_AFTER, v);
    }
    response
}
