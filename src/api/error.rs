//! The API's one error envelope, `{"error": {"code", "message", "request_id"}}`, with
//! stable machine codes. Internal details are logged, never returned.

use axum::Json;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// Every error the API answers with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("missing or invalid API key")]
    Unauthenticated,
    #[error("{0} not found")]
    NotFound(String),
    #[error("this API key may not {0}")]
    Forbidden(String),
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    Conflict(String),
    #[error("too many requests")]
    RateLimited { retry_after_secs: u64 },
    #[error("request body too large")]
    PayloadTooLarge,
    #[error("request headers too large")]
    HeadersTooLarge,
    #[error("{0}")]
    Unsupported(String),
    #[error("the platform refused our credentials: {0}")]
    PlatformAuth(String),
    #[error("the platform is rate limiting this store")]
    PlatformRateLimited,
    #[error("the platform failed: {0}")]
    Platform(String),
    #[error("webhook signature invalid")]
    BadSignature,
    #[error("method not allowed on this route")]
    MethodNotAllowed,
    #[error("internal error")]
    Internal(String),
    /// The change feed no longer holds changes the caller asked for (retention):
    /// `oldest` is the oldest sequence number it still holds.
    #[error("{message}")]
    ChangesExpired { message: String, oldest: i64 },
}

impl ApiError {
    /// The stable machine code.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::Unauthenticated => "unauthenticated",
            ApiError::NotFound(_) => "not_found",
            ApiError::Forbidden(_) => "forbidden",
            ApiError::Invalid(_) => "invalid_request",
            ApiError::Conflict(_) => "conflict",
            ApiError::RateLimited { .. } => "rate_limited",
            ApiError::PayloadTooLarge => "payload_too_large",
            ApiError::HeadersTooLarge => "headers_too_large",
            ApiError::Unsupported(_) => "unsupported",
            ApiError::PlatformAuth(_) => "platform_auth_failed",
            ApiError::PlatformRateLimited => "platform_rate_limited",
            ApiError::Platform(_) => "platform_error",
            ApiError::BadSignature => "invalid_signature",
            ApiError::MethodNotAllowed => "method_not_allowed",
            ApiError::Internal(_) => "internal",
            ApiError::ChangesExpired { .. } => "changes_expired",
        }
    }

    /// The oldest change the feed still holds, for `changes_expired`.
    pub fn oldest_available_seq(&self) -> Option<i64> {
        match self {
            ApiError::ChangesExpired { oldest, .. } => Some(*oldest),
            _ => None,
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Unauthenticated => StatusCode::UNAUTHORIZED,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::Invalid(_) => StatusCode::BAD_REQUEST,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::HeadersTooLarge => StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            ApiError::Unsupported(_) => StatusCode::NOT_IMPLEMENTED,
            ApiError::PlatformAuth(_) => StatusCode::BAD_GATEWAY,
            ApiError::PlatformRateLimited => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Platform(_) => StatusCode::BAD_GATEWAY,
            ApiError::BadSignature => StatusCode::UNAUTHORIZED,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            ApiError::ChangesExpired { .. } => StatusCode::GONE,
        }
    }
}

impl From<polycart_kit::Error> for ApiError {
    fn from(e: polycart_kit::Error) -> Self {
        use polycart_kit::Error as K;
        match e {
            K::Auth { message } => {
                ApiError::PlatformAuth(polycart_kit::error::sanitise(&message, 300))
            }
            K::RateLimited { .. } => ApiError::PlatformRateLimited,
            K::NotFound { what } => ApiError::NotFound(what),
            K::Invalid { message } => ApiError::Invalid(message),
            K::Unsupported {
                operation,
                platform,
            } => ApiError::Unsupported(format!("{platform} does not support {operation}")),
            other @ (K::Platform { .. } | K::Transport { .. } | K::Decode { .. }) => {
                ApiError::Platform(other.public_message())
            }
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorEnvelope {
    pub error: ErrorBody,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// Stable machine code (`not_found`, `invalid_request`, `rate_limited`, ...).
    pub code: String,
    pub message: String,
    pub request_id: String,
    /// With `changes_expired` (410) only: the oldest sequence number the change feed
    /// still holds; resume with `after` = this − 1 (the changes before it are lost).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub oldest_available_seq: Option<i64>,
}

/// The JSON envelope of `error` for the current request.
pub fn envelope(error: &ApiError) -> serde_json::Value {
    let mut body = serde_json::json!({
        "code": error.code(),
        "message": error.to_string(),
        "request_id": super::request_id::current(),
    });
    if let Some(seq) = error.oldest_available_seq() {
        body["oldest_available_seq"] = seq.into();
    }
    serde_json::json!({ "error": body })
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let request_id = super::request_id::current();
        if let ApiError::Internal(detail) = &self {
            tracing::error!(%request_id, detail, "internal error");
        }
        let status = self.status();
        let body = ErrorEnvelope {
            error: ErrorBody {
                code: self.code().to_owned(),
                message: self.to_string(),
                request_id,
                oldest_available_seq: self.oldest_available_seq(),
            },
        };
        let mut response = (status, Json(body)).into_response();
        if let ApiError::RateLimited { retry_after_secs } = self {
            if let Ok(v) = HeaderValue::from_str(&retry_after_secs.max(1).to_string()) {
                response
                    .headers_mut()
                    .insert(axum::http::header::RETRY_AFTER, v);
            }
        }
        response
    }
}

impl From<crate::store::Error> for ApiError {
    fn from(e: crate::store::Error) -> Self {
        use crate::store::Error as S;
        match e {
            S::NotFound { what } => ApiError::NotFound(what),
            S::Invalid(m) => ApiError::Invalid(m),
            expired @ S::ChangesExpired { horizon, .. } => ApiError::ChangesExpired {
                message: expired.to_string(),
                oldest: horizon + 1,
            },
            other => ApiError::Internal(other.to_string()),
        }
    }
}

impl From<crate::engine::Error> for ApiError {
    fn from(e: crate::engine::Error) -> Self {
        use crate::engine::Error as E;
        match e {
            E::Store(s) => ApiError::from(s),
            E::Platform(k) => ApiError::from(k),
            other => ApiError::Internal(other.to_string()),
        }
    }
}

/// Middleware: answers axum's own rejections (a query string, path or JSON body that
/// does not parse, a body over the limit, a wrong method) in the one error envelope.
/// Every response of ours is JSON; a plain-text error can only be a rejection.
pub async fn envelope_rejections(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let response = next.run(request).await;
    let status = response.status();
    let is_json = response
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return response;
    }
    // What a client needs from the original headers: the methods a route allows.
    let allow = response.headers().get(axum::http::header::ALLOW).cloned();
    let bytes = axum::body::to_bytes(response.into_body(), 4096)
        .await
        .unwrap_or_default();
    let text = String::from_utf8_lossy(&bytes).trim().to_owned();
    let message = if text.is_empty() {
        status
            .canonical_reason()
            .unwrap_or("bad request")
            .to_owned()
    } else {
        text
    };
    let error = match status {
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::PayloadTooLarge,
        StatusCode::METHOD_NOT_ALLOWED => ApiError::MethodNotAllowed,
        StatusCode::NOT_FOUND => ApiError::NotFound(message),
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE => ApiError::HeadersTooLarge,
        s if s.is_server_error() => ApiError::Internal(message),
        _ => ApiError::Invalid(message),
    };
    let mut response = error.into_response();
    if let Some(allow) = allow {
        response
            .headers_mut()
            .insert(axum::http::header::ALLOW, allow);
    }
    response
}

/// The most header bytes a request may carry; larger requests get a 431 envelope
/// (the HTTP layer's own, far larger limit answers without one).
pub const HEADER_LIMIT: usize = 32 * 1024;

/// Middleware: refuses requests whose headers exceed [`HEADER_LIMIT`] with a 431 in
/// the one envelope, before any handler reads them.
pub async fn limit_headers(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let size: usize = request
        .headers()
        .iter()
        .map(|(k, v)| k.as_str().len() + v.len() + 4)
        .sum::<usize>()
        + request.uri().to_string().len();
    if size > HEADER_LIMIT {
        return ApiError::HeadersTooLarge.into_response();
    }
    next.run(request).await
}
