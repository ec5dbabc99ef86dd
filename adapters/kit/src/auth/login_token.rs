//! A bearer token got by logging in (Magento's admin token from
//! `POST /V1/integration/admin/token`, session logins of other platforms): the login is
//! the platform's, the caching is here. The token is kept for a known lifetime and
//! replaced shortly before it lapses, and again after a 401 (the platform may end
//! sessions early); one login at a time per store (whoever waited uses the new token).
//! The clock is injected so expiry is tested without waiting.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use async_trait::async_trait;
use http::HeaderValue;

use super::{Auth, PreparedRequest};
use crate::error::{Error, Result};
use crate::secret::Secret;

/// The platform's login: exchanges the store's credentials for a token.
#[async_trait]
pub trait Login: Send + Sync {
    async fn login(&self) -> Result<Secret>;

    /// The credentials it logs in with, for redaction.
    fn secrets(&self) -> Vec<Secret>;
}

/// Seconds on a clock; tests move it.
pub type Now = Arc<dyn Fn() -> chrono::DateTime<chrono::Utc> + Send + Sync>;

struct Held {
    token: Secret,
    expires: chrono::DateTime<chrono::Utc>,
}

/// `Authorization: Bearer <token>` from a login, renewed before it lapses.
pub struct LoginToken {
    login: Arc<dyn Login>,
    lifetime: Duration,
    /// Renew this long before the lifetime ends.
    margin: Duration,
    held: RwLock<Option<Held>>,
    lock: tokio::sync::Mutex<()>,
    now: Now,
}

impl std::fmt::Debug for LoginToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginToken")
            .field("lifetime", &self.lifetime)
            .finish_non_exhaustive()
    }
}

impl LoginToken {
    /// Tokens that live `lifetime`, renewed `margin` before it ends (at least a tenth
    /// of the lifetime is used either way).
    pub fn new(login: Arc<dyn Login>, lifetime: Duration, margin: Duration) -> Self {
        Self {
            login,
            lifetime,
            margin: margin.min(lifetime.mul_f64(0.9)),
            held: RwLock::new(None),
            lock: tokio::sync::Mutex::new(()),
            now: Arc::new(chrono::Utc::now),
        }
    }

    /// Reads time from `now` (tests).
    pub fn with_clock(mut self, now: Now) -> Self {
        self.now = now;
        self
    }

    fn current(&self) -> Option<Secret> {
        let held = self.held.read().unwrap_or_else(|p| p.into_inner());
        let margin = chrono::Duration::from_std(self.margin).unwrap_or_default();
        held.as_ref()
            .filter(|h| (self.now)() < h.expires - margin)
            .map(|h| h.token.clone())
    }

    /// Logs in unless another caller replaced `stale` while this one waited.
    async fn renew(&self, stale: Option<&Secret>) -> Result<Secret> {
        let _guard = self.lock.lock().await;
        if let Some(t) = self.current()
            && Some(&t) != stale
        {
            return Ok(t);
        }
        let token = self.login.login().await?;
        let lifetime = chrono::Duration::from_std(self.lifetime).unwrap_or_default();
        *self.held.write().unwrap_or_else(|p| p.into_inner()) = Some(Held {
            token: token.clone(),
            expires: (self.now)() + lifetime,
        });
        tracing::debug!("logged in for a new token");
        Ok(token)
    }
}

#[async_trait]
impl Auth for LoginToken {
    async fn authorize(&self, request: &mut PreparedRequest) -> Result<()> {
        let token = match self.current() {
            Some(t) => t,
            None => self.renew(None).await?,
        };
        let mut value = HeaderValue::from_str(&format!("Bearer {}", token.expose()))
            .map_err(|_| Error::auth("the login's token cannot be sent in a header"))?;
        value.set_sensitive(true);
        request.headers.insert(http::header::AUTHORIZATION, value);
        Ok(())
    }

    async fn refresh_after_unauthorized(&self) -> Result<bool> {
        let stale = self
            .held
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
            .map(|h| h.token.clone());
        self.renew(stale.as_ref()).await?;
        Ok(true)
    }

    fn secrets(&self) -> Vec<Secret> {
        let mut s = self.login.secrets();
        if let Some(h) = self.held.read().unwrap_or_else(|p| p.into_inner()).as_ref() {
            s.push(h.token.clone());
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;
    use crate::auth::test_request;

    struct Counting(AtomicU32);

    #[async_trait]
    impl Login for Counting {
        async fn login(&self) -> Result<Secret> {
            let n = self.0.fetch_add(1, Ordering::SeqCst) + 1;
            Ok(Secret::new(format!("tok-{n}")))
        }
        fn secrets(&self) -> Vec<Secret> {
            vec![Secret::new("pw".to_owned())]
        }
    }

    /// A login that takes a while, so callers pile up behind it.
    struct Slow(AtomicU32);

    #[async_trait]
    impl Login for Slow {
        async fn login(&self) -> Result<Secret> {
            tokio::time::sleep(Duration::from_millis(20)).await;
            let n = self.0.fetch_add(1, Ordering::SeqCst) + 1;
            Ok(Secret::new(format!("tok-{n}")))
        }
        fn secrets(&self) -> Vec<Secret> {
            Vec::new()
        }
    }

    #[tokio::test]
    async fn callers_waiting_for_a_login_share_it() {
        let login = Arc::new(Slow(AtomicU32::new(0)));
        let auth = Arc::new(LoginToken::new(
            login.clone(),
            Duration::from_secs(3600),
            Duration::from_secs(60),
        ));
        let calls: Vec<_> = (0..8)
            .map(|_| {
                let auth = auth.clone();
                tokio::spawn(async move { header(&auth).await })
            })
            .collect();
        for c in calls {
            assert_eq!(c.await.unwrap(), "Bearer tok-1");
        }
        assert_eq!(login.0.load(Ordering::SeqCst), 1, "one login for all");
    }

    async fn header(auth: &LoginToken) -> String {
        let mut r = test_request(http::Method::GET, "https://m.example/rest/V1/orders");
        auth.authorize(&mut r).await.unwrap();
        r.headers["authorization"].to_str().unwrap().to_owned()
    }

    #[tokio::test]
    async fn logs_in_once_and_again_before_the_lifetime_ends_or_after_a_401() {
        let login = Arc::new(Counting(AtomicU32::new(0)));
        let start = chrono::Utc::now();
        let clock = Arc::new(Mutex::new(start));
        let c = clock.clone();
        let auth = LoginToken::new(
            login.clone(),
            Duration::from_secs(4 * 3600),
            Duration::from_secs(300),
        )
        .with_clock(Arc::new(move || *c.lock().unwrap()));
        assert_eq!(header(&auth).await, "Bearer tok-1");
        assert_eq!(header(&auth).await, "Bearer tok-1");
        *clock.lock().unwrap() = start + chrono::Duration::minutes(3 * 60 + 54);
        assert_eq!(header(&auth).await, "Bearer tok-1", "still 6 minutes left");
        *clock.lock().unwrap() = start + chrono::Duration::minutes(3 * 60 + 56);
        assert_eq!(
            header(&auth).await,
            "Bearer tok-2",
            "renewed 4 minutes early"
        );
        assert!(auth.refresh_after_unauthorized().await.unwrap());
        assert_eq!(header(&auth).await, "Bearer tok-3");
        assert_eq!(login.0.load(Ordering::SeqCst), 3);
        assert!(auth.secrets().iter().any(|s| s.expose() == "tok-3"));
    }
}
