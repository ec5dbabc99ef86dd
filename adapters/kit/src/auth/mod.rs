//! Auth strategies, one small file each. The transport asks the store's strategy to
//! authorise every request just before it is sent (after the governor let it go, so
//! timestamps and nonces are fresh) and, on a 401, whether a refresh is worth a retry.

mod basic;
mod header_token;
pub mod hmac;
mod login_token;
mod oauth1;
mod oauth2;
mod query_keys;
mod signer;

use async_trait::async_trait;
use bytes::Bytes;
use http::{HeaderMap, Method};
use url::Url;

use crate::error::Result;
use crate::secret::Secret;

pub use basic::Basic;
pub use header_token::HeaderToken;
pub use login_token::{Login, LoginToken, Now};
pub use oauth1::{OAuth1, OAuth1Placement, OAuth1SignatureMethod};
pub use oauth2::{OAuth2Bearer, OAuth2Client, TokenSet, TokenSink, pkce_challenge};
pub use query_keys::QueryKeys;
pub use signer::{RequestSigner, Signed};

/// A request about to go on the wire, for a strategy to add credentials or a signature.
#[derive(Debug, Clone)]
pub struct PreparedRequest {
    pub method: Method,
    pub url: Url,
    pub headers: HeaderMap,
    pub body: Option<Bytes>,
}

/// How a store's requests prove who they come from.
#[async_trait]
pub trait Auth: Send + Sync {
    /// Adds credentials to the request.
    async fn authorize(&self, request: &mut PreparedRequest) -> Result<()>;

    /// Called after a 401: refresh credentials and say whether one retry is worthwhile.
    async fn refresh_after_unauthorized(&self) -> Result<bool> {
        Ok(false)
    }

    /// Every secret this strategy holds, for redaction.
    fn secrets(&self) -> Vec<Secret>;
}

/// No credentials (public endpoints, simulators' open routes).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoAuth;

#[async_trait]
impl Auth for NoAuth {
    async fn authorize(&self, _: &mut PreparedRequest) -> Result<()> {
        Ok(())
    }

    fn secrets(&self) -> Vec<Secret> {
        Vec::new()
    }
}

#[cfg(test)]
pub(crate) fn test_request(method: Method, url: &str) -> PreparedRequest {
    PreparedRequest {
        method,
        url: url.parse().unwrap(),
        headers: HeaderMap::new(),
        body: None,
    }
}
