//! A store's auth: HTTP basic, OAuth 1.0a one-legged (HMAC-SHA256, parameters in the
//! query) or query-string keys, switching once from basic to query keys when a 401
//! shows the host strips the `Authorization` header.

use std::sync::atomic::{AtomicU8, Ordering};

use async_trait::async_trait;
use polycart_kit::Secret;
use polycart_kit::auth::{Auth, Basic, OAuth1, OAuth1SignatureMethod, PreparedRequest, QueryKeys};
use polycart_kit::error::Result;

use crate::config::AuthMode;

const BASIC: u8 = 0;
const OAUTH1: u8 = 1;
const QUERY: u8 = 2;

/// The store's auth: one of three strategies, switching from basic to query keys once
/// a 401 shows the host drops the `Authorization` header.
pub struct WooAuth {
    mode: AtomicU8,
    fallback: bool,
    basic: Basic,
    oauth: OAuth1,
    query: QueryKeys,
}

impl WooAuth {
    pub fn new(key: &Secret, secret: &Secret, mode: AuthMode, fallback: bool) -> Self {
        let m = match mode {
            AuthMode::Basic | AuthMode::Auto => BASIC,
            AuthMode::OAuth1 => OAUTH1,
            AuthMode::Query => QUERY,
        };
        Self {
            mode: AtomicU8::new(m),
            fallback,
            basic: Basic::new(key.clone(), secret.clone()),
            oauth: OAuth1::one_legged(
                key.clone(),
                secret.clone(),
                OAuth1SignatureMethod::HmacSha256,
            ),
            query: QueryKeys::new(vec![
                ("consumer_key".into(), key.clone()),
                ("consumer_secret".into(), secret.clone()),
            ]),
        }
    }

    /// The mode in use now.
    pub fn mode(&self) -> AuthMode {
        match self.mode.load(Ordering::Relaxed) {
            BASIC => AuthMode::Basic,
            OAUTH1 => AuthMode::OAuth1,
            _ => AuthMode::Query,
        }
    }
}

#[async_trait]
impl Auth for WooAuth {
    async fn authorize(&self, request: &mut PreparedRequest) -> Result<()> {
        match self.mode.load(Ordering::Relaxed) {
            BASIC => self.basic.authorize(request).await,
            OAUTH1 => self.oauth.authorize(request).await,
            _ => self.query.authorize(request).await,
        }
    }

    async fn refresh_after_unauthorized(&self) -> Result<bool> {
        if self.fallback
            && self
                .mode
                .compare_exchange(BASIC, QUERY, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            tracing::warn!(
                "401 with basic auth: the host may strip the Authorization header; using query-string keys"
            );
            return Ok(true);
        }
        Ok(false)
    }

    fn secrets(&self) -> Vec<Secret> {
        let mut s = self.basic.secrets();
        s.extend(self.oauth.secrets());
        s
    }
}
