//! `kit::Error`: what went wrong talking to a platform, classified by what a caller
//! can do about it (re-authenticate, wait, give up on a record, fix the input, retry).

use std::time::Duration;

use crate::model::Entity;

/// Result with the kit's error.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Every failure an adapter can report. Messages never contain secrets: the transport
/// redacts credentials from anything it puts here.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The platform refused the credentials (401/403, a revoked or expired token).
    #[error("authentication failed: {message}")]
    Auth { message: String },

    /// The platform throttled us and retries did not get through.
    #[error("rate limited by the platform{}", retry_after.map(|d| format!(", retry after {:.1}s", d.as_secs_f64())).unwrap_or_default())]
    RateLimited { retry_after: Option<Duration> },

    /// The record or endpoint does not exist.
    #[error("not found: {what}")]
    NotFound { what: String },

    /// The request was malformed or refused as invalid (4xx other than auth/404/429),
    /// or the caller asked for something inconsistent.
    #[error("invalid request: {message}")]
    Invalid { message: String },

    /// The platform answered with an error we cannot classify further (5xx after retries).
    #[error("platform answered {status}: {body}")]
    Platform { status: u16, body: String },

    /// The request never got a response: connection refused or reset, DNS, TLS, timeout.
    #[error("transport error: {message}")]
    Transport { message: String, timeout: bool },

    /// The platform's payload did not have the shape we expect.
    #[error("cannot decode {path}: {excerpt}")]
    Decode { path: String, excerpt: String },

    /// The platform (or this adapter) does not offer the operation.
    #[error("{platform} does not support {operation}")]
    Unsupported { operation: String, platform: String },
}

impl Error {
    pub fn auth(message: impl Into<String>) -> Self {
        Error::Auth {
            message: message.into(),
        }
    }

    pub fn invalid(message: impl Into<String>) -> Self {
        Error::Invalid {
            message: message.into(),
        }
    }

    pub fn not_found(what: impl Into<String>) -> Self {
        Error::NotFound { what: what.into() }
    }

    pub fn decode(path: impl Into<String>, excerpt: impl Into<String>) -> Self {
        Error::Decode {
            path: path.into(),
            excerpt: excerpt.into(),
        }
    }

    pub fn unsupported(platform: &str, operation: impl Into<String>) -> Self {
        Error::Unsupported {
            operation: operation.into(),
            platform: platform.to_owned(),
        }
    }

    pub fn entity_unsupported(platform: &str, entity: Entity) -> Self {
        Self::unsupported(platform, format!("{}s", entity.as_str()))
    }

    /// A short stable code for APIs and logs.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Auth { .. } => "auth_failed",
            Error::RateLimited { .. } => "rate_limited",
            Error::NotFound { .. } => "not_found",
            Error::Invalid { .. } => "invalid",
            Error::Platform { .. } => "platform_error",
            Error::Transport { .. } => "transport_error",
            Error::Decode { .. } => "decode_error",
            Error::Unsupported { .. } => "unsupported",
        }
    }

    /// Whether trying the same request later may succeed (platform trouble, not ours).
    pub fn is_transient(&self) -> bool {
        match self {
            Error::RateLimited { .. } | Error::Transport { .. } => true,
            Error::Platform { status, .. } => *status >= 500 || *status == 429 || *status == 408,
            _ => false,
        }
    }
}

impl Error {
    /// What a user may be shown (a store's `last_error`, an API error envelope): our
    /// own words and the platform's status, never its body beyond the short, sanitised
    /// message already extracted by [`platform_message`]. Logs may carry more.
    pub fn public_message(&self) -> String {
        match self {
            Error::Decode { path, .. } => {
                format!("cannot decode the platform's answer at {path}")
            }
            other => sanitise(&other.to_string(), 300),
        }
    }
}

/// The longest platform message carried in an error.
pub const PLATFORM_MESSAGE_MAX: usize = 160;

/// A platform's own explanation in an error body, if the body is JSON with a
/// `message`, `error_description`, `error`, `errors` or `errorMessage` (Ecwid) field: sanitised (control
/// characters removed, whitespace collapsed) and cut to [`PLATFORM_MESSAGE_MAX`].
/// Anything else in the body (HTML pages, an internal service's answer) is dropped.
pub fn platform_message(body: &str) -> Option<String> {
    let value: serde_json::Value = serde_json::from_str(body.trim()).ok()?;
    let text = message_of(&value, 0)?;
    let clean = sanitise(&text, PLATFORM_MESSAGE_MAX);
    (!clean.is_empty()).then_some(clean)
}

fn message_of(value: &serde_json::Value, depth: u8) -> Option<String> {
    use serde_json::Value;
    if depth > 3 {
        return None;
    }
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Array(items) => {
            let parts: Vec<String> = items
                .iter()
                .take(3)
                .filter_map(|i| message_of(i, depth + 1))
                .collect();
            (!parts.is_empty()).then(|| parts.join("; "))
        }
        Value::Object(map) => {
            for key in [
                "message",
                "error_description",
                "title",
                "error",
                "errors",
                "detail",
                "errorMessage",
            ] {
                if let Some(m) = map.get(key).and_then(|v| message_of(v, depth + 1)) {
                    return Some(m);
                }
            }
            if depth == 1 {
                // `{"errors": {"field": ["is invalid"]}}`: the field and its messages.
                let parts: Vec<String> = map
                    .iter()
                    .take(3)
                    .filter_map(|(k, v)| message_of(v, depth + 1).map(|m| format!("{k} {m}")))
                    .collect();
                return (!parts.is_empty()).then(|| parts.join("; "));
            }
            None
        }
        _ => None,
    }
}

/// `text` without control characters, whitespace collapsed, at most `max` characters.
pub fn sanitise(text: &str, max: usize) -> String {
    let collapsed: String = text
        .split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    excerpt(&collapsed, max)
}

/// At most `max` characters of `text`, for error excerpts.
pub fn excerpt(text: &str, max: usize) -> String {
    let trimmed = text.trim();
    let mut out: String = trimmed.chars().take(max).collect();
    if trimmed.chars().count() > max {
        out.push('…');
    }
    out
}

/// Parses JSON text into `T`, reporting the JSON path of the first mismatch.
pub fn decode_json<T: serde::de::DeserializeOwned>(text: &str) -> Result<T> {
    decode_json_borrowed(text)
}

/// Parses borrowed JSON text into `T` (which may borrow from it), reporting the path.
///
/// Tracking the path costs every field a little, so the text is parsed plainly first
/// and only a failure is parsed again, with tracking, to name where it went wrong.
pub fn decode_json_borrowed<'a, T: serde::Deserialize<'a>>(text: &'a str) -> Result<T> {
    if let Ok(value) = serde_json::from_str(text) {
        return Ok(value);
    }
    let de = &mut serde_json::Deserializer::from_str(text);
    serde_path_to_error::deserialize(de).map_err(|e| decode_error(&e, text))
}

fn decode_error(e: &serde_path_to_error::Error<serde_json::Error>, text: &str) -> Error {
    let path = e.path().to_string();
    let path = if path == "." {
        "$".to_owned()
    } else {
        format!("$.{path}")
    };
    let inner = e.inner();
    let message = if inner.is_syntax() || inner.is_eof() {
        format!("{inner} (body starts {:?})", excerpt(text, 40))
    } else {
        inner.to_string()
    };
    Error::Decode {
        path,
        excerpt: message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ecwid_error_message_is_read() {
        let body = r#"{"errorMessage":"Limit must be <= 100","errorCode":"BAD_REQUEST"}"#;
        assert_eq!(
            platform_message(body).as_deref(),
            Some("Limit must be <= 100")
        );
    }

    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct Outer {
        items: Vec<Inner>,
    }
    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct Inner {
        qty: u32,
    }

    #[test]
    fn decode_names_the_path() {
        let err = decode_json::<Outer>(r#"{"items":[{"qty":1},{"qty":"x"}]}"#).unwrap_err();
        match err {
            Error::Decode { path, .. } => assert_eq!(path, "$.items[1].qty"),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn garbage_is_a_decode_error_with_an_excerpt() {
        let err = decode_json::<Outer>("<html>oops</html>").unwrap_err();
        assert!(err.to_string().contains("<html>"), "{err}");
    }
}
