//! Persisting rotated OAuth tokens. Platforms whose refresh token rotates on every use
//! (Shopify's expiring offline tokens) invalidate the old pair the moment a refresh
//! succeeds, so the new pair must reach the sync store before it is used, or the next
//! process start would present a dead refresh token. Each store's adapter gets a sink
//! bound to that store.
//!
//! A deployment with several processes (`serve` and workers) holds one adapter per
//! store in each: before refreshing, the kit asks [`TokenSink::latest`] for the pair
//! another process may have rotated and persisted meanwhile, and follows it.
//!
//! Convention shared with the adapters: credentials `access_token` and
//! `refresh_token`, setting `token_expires_at` (RFC 3339, UTC).

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;
use polycart_kit::auth::{TokenSet, TokenSink};

use crate::store::Store;

/// Writes one store's refreshed token pair into its encrypted credentials.
pub struct StoreTokenSink {
    pub store: Arc<dyn Store>,
    pub store_id: String,
}

#[async_trait]
impl TokenSink for StoreTokenSink {
    async fn store(&self, tokens: &TokenSet) -> polycart_kit::Result<()> {
        let mut credentials =
            BTreeMap::from([("access_token".to_owned(), tokens.access_token.clone())]);
        if let Some(refresh) = &tokens.refresh_token {
            credentials.insert("refresh_token".to_owned(), refresh.clone());
        }
        let mut settings = BTreeMap::new();
        if let Some(at) = tokens.expires_at {
            settings.insert(
                "token_expires_at".to_owned(),
                at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            );
        }
        self.store
            .update_credentials(&self.store_id, &credentials, &settings)
            .await
            .map_err(|e| polycart_kit::Error::Transport {
                message: format!("persisting the refreshed token failed: {e}"),
                timeout: false,
            })
    }

    async fn latest(&self) -> polycart_kit::Result<Option<TokenSet>> {
        let config = self.store.store_config(&self.store_id).await.map_err(|e| {
            polycart_kit::Error::Transport {
                message: format!("reading the stored token failed: {e}"),
                timeout: false,
            }
        })?;
        let Some(access_token) = config.credentials.get("access_token").cloned() else {
            return Ok(None);
        };
        Ok(Some(TokenSet {
            access_token,
            refresh_token: config.credentials.get("refresh_token").cloned(),
            expires_at: config
                .settings
                .get("token_expires_at")
                .and_then(|at| chrono::DateTime::parse_from_rfc3339(at).ok())
                .map(|at| at.with_timezone(&chrono::Utc)),
        }))
    }
}
