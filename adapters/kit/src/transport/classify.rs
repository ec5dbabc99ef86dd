//! Classifying a response: done, retry (and after how long), or fail with which error.
//! Adapters override this for platform quirks, such as a 200 whose body says THROTTLED.

use std::time::Duration;

use super::Response;
use crate::error::Error;

/// What to do with a response.
#[derive(Debug)]
pub enum Verdict {
    /// Hand the response to the adapter.
    Done,
    /// Throttled: wait (at least `after`, when known) and try again; the governor of the
    /// store pauses for the same time.
    Throttled { after: Option<Duration> },
    /// A transient failure (5xx, 408): retry with backoff where the request allows it.
    Retry,
    /// Give up with this error.
    Fail(Error),
}

/// Decides what a response means. Implementations see the whole response.
pub trait Classify: Send + Sync {
    fn classify(&self, response: &Response) -> Verdict;

    /// Whether the response says the access token was refused, so the store's auth
    /// should refresh it and the request be tried once more: a `401` by default;
    /// platforms that answer a refused token in the body (Shopee's `error_auth`, on a
    /// 200 or a 403; TikTok Shop's 105002), or a 401 a refresh cannot cure (TikTok
    /// Shop's wrong signature), say so here.
    fn unauthorized(&self, response: &Response) -> bool {
        response.status == http::StatusCode::UNAUTHORIZED
    }

    /// The error to report when the transport gives up on a response it was told to
    /// retry or wait for. Its message is ours plus, at most, the platform's short JSON
    /// message ([`Response::platform_error`]): a body never reaches an error.
    fn final_error(&self, response: &Response, verdict: &Verdict) -> Error {
        final_error(response, verdict)
    }
}

/// HTTP semantics every platform shares.
#[derive(Debug, Clone, Copy, Default)]
pub struct DefaultClassifier;

impl Classify for DefaultClassifier {
    fn classify(&self, response: &Response) -> Verdict {
        classify_status(response)
    }
}

/// The default mapping from status codes to verdicts.
pub fn classify_status(response: &Response) -> Verdict {
    let status = response.status.as_u16();
    match status {
        200..=299 | 304 => Verdict::Done,
        429 => Verdict::Throttled {
            after: super::retry::retry_after(&response.headers),
        },
        408 | 500..=599 => Verdict::Retry,
        401 | 403 => Verdict::Fail(Error::auth(format!(
            "{status}: {}",
            response.platform_message()
        ))),
        404 | 410 => Verdict::Fail(Error::not_found(response.url.path().to_owned())),
        _ => Verdict::Fail(response.platform_error()),
    }
}

/// An error for a response that will not be retried further.
pub fn final_error(response: &Response, verdict: &Verdict) -> Error {
    match verdict {
        Verdict::Throttled { after } => Error::RateLimited {
            retry_after: *after,
        },
        Verdict::Fail(_) | Verdict::Retry | Verdict::Done => response.platform_error(),
    }
}
