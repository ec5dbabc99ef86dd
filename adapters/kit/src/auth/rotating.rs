//! Short-lived access tokens kept fresh from a refresh token that may rotate — the one
//! pattern behind OAuth 2 bearer auth (Shopify's expiring tokens, Etsy, Wix,
//! Squarespace) and the marketplaces' signed requests (Shopee, Lazada, TikTok Shop),
//! whose refresh calls differ but whose hazards are the same.
//!
//! A rotating refresh token is single-use: a second refresh with the old one fails, and
//! a new pair that is lost locks the shop out until the merchant authorises again. So:
//! - a store refreshes once at a time (a single-flight lock; whoever waited finds the
//!   new token and does not refresh again);
//! - before refreshing, the sink is asked for the newest persisted pair, so another
//!   process that already rotated the pair is followed rather than raced;
//! - the new pair is handed to the [`TokenSink`] and persisted before it is used. If
//!   persisting fails, the pair is still kept in memory (it is the only valid one) and
//!   persisting is retried before every later request; until it succeeds requests fail
//!   with the sink's error, so no work runs on a pair a restart would lose.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{Auth, PreparedRequest};
use crate::error::Result;
use crate::secret::Secret;

/// An access token, its refresh token and when it expires.
#[derive(Debug, Clone, PartialEq)]
pub struct TokenSet {
    pub access_token: Secret,
    pub refresh_token: Option<Secret>,
    pub expires_at: Option<DateTime<Utc>>,
}

/// Persists a refreshed token pair (both parts in one write) before it is used.
#[async_trait]
pub trait TokenSink: Send + Sync {
    async fn store(&self, tokens: &TokenSet) -> Result<()>;

    /// The newest pair persisted for this store, when the sink can read it back (another
    /// process of the same deployment may have rotated the pair since this one loaded it).
    async fn latest(&self) -> Result<Option<TokenSet>> {
        Ok(None)
    }
}

/// Gets a new pair: the platform-specific call (a refresh-token exchange, or a grant
/// that mints tokens from the app's credentials alone).
#[async_trait]
pub trait Refresh: Send + Sync {
    /// Whether a new pair can be had now: by default, when there is a refresh token.
    fn can_renew(&self, tokens: &TokenSet) -> bool {
        tokens.refresh_token.is_some()
    }

    /// A new pair for `current`. When the answer carries no refresh token, the current
    /// one is kept.
    async fn renew(&self, current: &TokenSet) -> Result<TokenSet>;

    /// The secrets the refresh call holds (client secret, partner key), for redaction.
    fn secrets(&self) -> Vec<Secret>;
}

/// A store's token pair, refreshed proactively shortly before expiry and after a 401.
pub struct RotatingTokens<R> {
    refresher: R,
    tokens: RwLock<TokenSet>,
    refresh_lock: tokio::sync::Mutex<()>,
    /// Set while the pair in memory has not reached the sink.
    unpersisted: AtomicBool,
    skew: Duration,
    sink: Option<Arc<dyn TokenSink>>,
}

impl<R> std::fmt::Debug for RotatingTokens<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RotatingTokens")
            .field("skew", &self.skew)
            .finish_non_exhaustive()
    }
}

impl<R: Refresh> RotatingTokens<R> {
    /// Refreshes 60 s before expiry, persisting nowhere until [`Self::with_sink`].
    pub fn new(refresher: R, tokens: TokenSet) -> Self {
        Self {
            refresher,
            tokens: RwLock::new(tokens),
            refresh_lock: tokio::sync::Mutex::new(()),
            unpersisted: AtomicBool::new(false),
            skew: Duration::from_secs(60),
            sink: None,
        }
    }

    pub fn with_sink(mut self, sink: Arc<dyn TokenSink>) -> Self {
        self.sink = Some(sink);
        self
    }

    /// Refresh this long before the token expires.
    pub fn with_skew(mut self, skew: Duration) -> Self {
        self.skew = skew;
        self
    }

    /// The token set in use now.
    pub fn tokens(&self) -> TokenSet {
        self.tokens
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// The access token to send now: refreshed first when it is about to expire, and
    /// only once the pair it belongs to is persisted.
    pub async fn access_token(&self) -> Result<Secret> {
        let tokens = self.tokens();
        if self.expiring(&tokens) {
            self.refresh_from(&tokens.access_token).await?;
        }
        if self.unpersisted.load(Ordering::Acquire) {
            let _guard = self.refresh_lock.lock().await;
            self.persist(&self.tokens()).await?;
        }
        Ok(self.tokens().access_token)
    }

    /// After a 401: refresh (unless someone already did) and say whether a retry is
    /// worthwhile.
    pub async fn refresh_after_unauthorized(&self) -> Result<bool> {
        let seen = self.tokens().access_token;
        self.refresh_from(&seen).await
    }

    /// The access and refresh tokens and the refresher's secrets, for redaction.
    pub fn secrets(&self) -> Vec<Secret> {
        let t = self.tokens();
        let mut s = vec![t.access_token];
        s.extend(t.refresh_token);
        s.extend(self.refresher.secrets());
        s.retain(|s| !s.is_empty());
        s
    }

    /// Whether the token must be renewed before use: it can be, and it is missing or
    /// about to lapse.
    fn expiring(&self, tokens: &TokenSet) -> bool {
        let skew = chrono::Duration::from_std(self.skew).unwrap_or_default();
        self.refresher.can_renew(tokens)
            && (tokens.access_token.is_empty()
                || tokens.expires_at.is_some_and(|at| at - skew <= Utc::now()))
    }

    /// Refreshes unless the pair in use is no longer `seen` (refreshed here or by
    /// another process while we waited).
    async fn refresh_from(&self, seen: &Secret) -> Result<bool> {
        let _guard = self.refresh_lock.lock().await;
        if &self.tokens().access_token != seen {
            return Ok(true);
        }
        if let Some(sink) = &self.sink
            && let Some(latest) = sink.latest().await?
            && &latest.access_token != seen
            && !self.expiring(&latest)
        {
            self.replace(latest);
            return Ok(true);
        }
        let current = self.tokens();
        if !self.refresher.can_renew(&current) {
            return Ok(false);
        }
        let mut fresh = self.refresher.renew(&current).await?;
        if fresh.refresh_token.is_none() {
            fresh.refresh_token = current.refresh_token;
        }
        // In memory first: after a rotation this is the only valid pair, even if
        // persisting it fails now.
        self.replace(fresh.clone());
        self.unpersisted.store(true, Ordering::Release);
        self.persist(&fresh).await?;
        tracing::info!("access token refreshed");
        Ok(true)
    }

    async fn persist(&self, tokens: &TokenSet) -> Result<()> {
        if let Some(sink) = &self.sink {
            sink.store(tokens).await?;
        }
        self.unpersisted.store(false, Ordering::Release);
        Ok(())
    }

    fn replace(&self, tokens: TokenSet) {
        *self.tokens.write().unwrap_or_else(|p| p.into_inner()) = tokens;
    }
}

/// Adds a signature to one request given the store's current access token (Shopee and
/// Lazada sign the token with the request; TikTok Shop sends it in a header beside the
/// signature).
pub trait TokenSigner: Send + Sync {
    fn sign(
        &self,
        request: &mut PreparedRequest,
        access_token: &Secret,
        now: DateTime<Utc>,
    ) -> Result<()>;

    /// Every secret the signer holds (app secret, partner key), for redaction.
    fn secrets(&self) -> Vec<Secret>;
}

/// Signed requests with a rotating access token: the marketplaces' auth.
#[derive(Debug)]
pub struct SignedSession<S, R> {
    signer: S,
    tokens: RotatingTokens<R>,
}

impl<S: TokenSigner, R: Refresh> SignedSession<S, R> {
    pub fn new(signer: S, tokens: RotatingTokens<R>) -> Self {
        Self { signer, tokens }
    }

    pub fn tokens(&self) -> &RotatingTokens<R> {
        &self.tokens
    }
}

#[async_trait]
impl<S: TokenSigner, R: Refresh> Auth for SignedSession<S, R> {
    async fn authorize(&self, request: &mut PreparedRequest) -> Result<()> {
        let token = self.tokens.access_token().await?;
        self.signer.sign(request, &token, Utc::now())
    }

    async fn refresh_after_unauthorized(&self) -> Result<bool> {
        self.tokens.refresh_after_unauthorized().await
    }

    fn secrets(&self) -> Vec<Secret> {
        let mut s = self.tokens.secrets();
        s.extend(self.signer.secrets());
        s
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;
    use std::sync::atomic::AtomicU32;

    use super::*;
    use crate::auth::hmac::{hex, hmac_sha256};
    use crate::auth::test_request;
    use crate::error::Error;

    /// A platform whose refresh tokens are single-use: `rt-N` gives `at-N+1`/`rt-N+1`,
    /// and any refresh token but the newest is refused.
    #[derive(Default)]
    struct SingleUse {
        current: Mutex<u32>,
        calls: AtomicU32,
    }

    #[async_trait]
    impl Refresh for Arc<SingleUse> {
        async fn renew(&self, current: &TokenSet) -> Result<TokenSet> {
            tokio::task::yield_now().await;
            let refresh_token = current.refresh_token.as_ref().expect("asked with one");
            let mut n = self.current.lock().unwrap();
            if refresh_token.expose() != format!("rt-{n}") {
                return Err(Error::auth("refresh token already used"));
            }
            *n += 1;
            self.calls.fetch_add(1, Ordering::SeqCst);
            Ok(TokenSet {
                access_token: Secret::new(format!("at-{n}")),
                refresh_token: Some(Secret::new(format!("rt-{n}"))),
                expires_at: Some(Utc::now() + chrono::Duration::hours(4)),
            })
        }

        fn secrets(&self) -> Vec<Secret> {
            vec![Secret::new("partner-key")]
        }
    }

    /// A sink that can be made to fail and can hand back what another process stored.
    #[derive(Default)]
    struct Sink {
        saved: Mutex<Vec<TokenSet>>,
        failing: AtomicBool,
        elsewhere: Mutex<Option<TokenSet>>,
    }

    #[async_trait]
    impl TokenSink for Sink {
        async fn store(&self, tokens: &TokenSet) -> Result<()> {
            if self.failing.load(Ordering::SeqCst) {
                return Err(Error::Transport {
                    message: "database down".into(),
                    timeout: false,
                });
            }
            self.saved.lock().unwrap().push(tokens.clone());
            Ok(())
        }

        async fn latest(&self) -> Result<Option<TokenSet>> {
            Ok(self.elsewhere.lock().unwrap().clone())
        }
    }

    fn expiring_pair() -> TokenSet {
        TokenSet {
            access_token: "at-0".into(),
            refresh_token: Some("rt-0".into()),
            expires_at: Some(Utc::now() + chrono::Duration::seconds(5)),
        }
    }

    /// A Shopee-like signer: hex HMAC of path + timestamp + access token in the query.
    struct QuerySigner;

    impl TokenSigner for QuerySigner {
        fn sign(
            &self,
            req: &mut PreparedRequest,
            token: &Secret,
            now: DateTime<Utc>,
        ) -> Result<()> {
            let ts = now.timestamp();
            let base = format!("{}{ts}{}", req.url.path(), token.expose());
            let sign = hex(&hmac_sha256(b"partner-key", base.as_bytes()));
            req.url
                .query_pairs_mut()
                .append_pair("timestamp", &ts.to_string())
                .append_pair("access_token", token.expose())
                .append_pair("sign", &sign);
            Ok(())
        }

        fn secrets(&self) -> Vec<Secret> {
            vec![Secret::new("partner-key")]
        }
    }

    fn query_param(req: &PreparedRequest, name: &str) -> String {
        req.url
            .query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default()
    }

    #[tokio::test]
    async fn concurrent_requests_refresh_a_single_use_token_once_and_persist_it_first() {
        let platform = Arc::new(SingleUse::default());
        let sink = Arc::new(Sink::default());
        let session = Arc::new(SignedSession::new(
            QuerySigner,
            RotatingTokens::new(platform.clone(), expiring_pair()).with_sink(sink.clone()),
        ));
        let mut tasks = Vec::new();
        for _ in 0..8 {
            let session = session.clone();
            tasks.push(tokio::spawn(async move {
                let mut req = test_request(http::Method::GET, "https://p.example/api/v2/order");
                session.authorize(&mut req).await.unwrap();
                query_param(&req, "access_token")
            }));
        }
        for t in tasks {
            assert_eq!(t.await.unwrap(), "at-1");
        }
        assert_eq!(platform.calls.load(Ordering::SeqCst), 1);
        assert_eq!(sink.saved.lock().unwrap().len(), 1);
        assert_eq!(
            sink.saved.lock().unwrap()[0].refresh_token,
            Some(Secret::new("rt-1"))
        );

        // A 401 refreshes with the rotated token, not the first one.
        assert!(session.refresh_after_unauthorized().await.unwrap());
        assert_eq!(session.tokens().tokens().access_token, Secret::new("at-2"));
        let secrets = session.secrets();
        assert!(secrets.contains(&Secret::new("rt-2")));
        assert!(secrets.contains(&Secret::new("partner-key")));
    }

    #[tokio::test]
    async fn a_pair_the_sink_could_not_persist_is_kept_and_persisted_before_use() {
        let platform = Arc::new(SingleUse::default());
        let sink = Arc::new(Sink::default());
        sink.failing.store(true, Ordering::SeqCst);
        let tokens = RotatingTokens::new(platform.clone(), expiring_pair()).with_sink(sink.clone());

        let err = tokens.access_token().await.unwrap_err();
        assert!(err.to_string().contains("database down"), "{err}");
        // The rotated pair is the only valid one now: it is kept, not refreshed again.
        assert_eq!(tokens.tokens().refresh_token, Some(Secret::new("rt-1")));
        assert!(tokens.access_token().await.is_err());
        assert_eq!(platform.calls.load(Ordering::SeqCst), 1);

        sink.failing.store(false, Ordering::SeqCst);
        assert_eq!(tokens.access_token().await.unwrap(), Secret::new("at-1"));
        assert_eq!(sink.saved.lock().unwrap().len(), 1);
        assert_eq!(platform.calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_pair_another_process_rotated_is_followed_not_raced() {
        let platform = Arc::new(SingleUse::default());
        // Another process refreshed rt-0 already and persisted at-1/rt-1.
        platform.renew(&expiring_pair()).await.unwrap();
        let sink = Arc::new(Sink::default());
        *sink.elsewhere.lock().unwrap() = Some(TokenSet {
            access_token: "at-1".into(),
            refresh_token: Some("rt-1".into()),
            expires_at: Some(Utc::now() + chrono::Duration::hours(4)),
        });
        let tokens = RotatingTokens::new(platform.clone(), expiring_pair()).with_sink(sink);
        assert_eq!(tokens.access_token().await.unwrap(), Secret::new("at-1"));
        assert_eq!(platform.calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_refused_refresh_keeps_the_old_pair_and_is_an_auth_error() {
        let platform = Arc::new(SingleUse::default());
        let mut pair = expiring_pair();
        pair.refresh_token = Some("rt-stale".into());
        let tokens = RotatingTokens::new(platform, pair.clone());
        let err = tokens.access_token().await.unwrap_err();
        assert!(matches!(err, Error::Auth { .. }), "{err:?}");
        assert_eq!(tokens.tokens(), pair);
    }

    #[tokio::test]
    async fn without_a_refresh_token_nothing_is_refreshed() {
        let platform = Arc::new(SingleUse::default());
        let tokens = RotatingTokens::new(
            platform.clone(),
            TokenSet {
                access_token: "at-x".into(),
                refresh_token: None,
                expires_at: Some(Utc::now()),
            },
        );
        assert_eq!(tokens.access_token().await.unwrap(), Secret::new("at-x"));
        assert!(!tokens.refresh_after_unauthorized().await.unwrap());
        assert_eq!(platform.calls.load(Ordering::SeqCst), 0);
    }
}
