//! Registering a store's platform webhooks. With `POLYCART_PUBLIC_URL` set (the base
//! URL platforms reach this deployment at), connecting a store subscribes its
//! entities' webhook topics to `{public}/v1/hooks/{platform}/{store}` and removing it
//! unsubscribes them; without it the store is synced by polling alone, which the
//! store's `disabled_features` say. Registration is best effort: a platform that
//! refuses it leaves the store polling, with the reason in the answer.

use polycart_kit::connector::DisabledFeature;
use polycart_kit::{Adapter, Entity};
use serde::Serialize;
use url::Url;

/// The variable naming the public base URL of this deployment.
pub const PUBLIC_URL_ENV: &str = "POLYCART_PUBLIC_URL";

/// `POLYCART_PUBLIC_URL` as an http(s) URL, or an error naming the variable; `None`
/// when unset or empty.
pub fn public_url_from_env() -> Result<Option<Url>, String> {
    let Some(text) = std::env::var(PUBLIC_URL_ENV)
        .ok()
        .filter(|t| !t.trim().is_empty())
    else {
        return Ok(None);
    };
    let url = Url::parse(text.trim()).map_err(|e| format!("{PUBLIC_URL_ENV}: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(format!("{PUBLIC_URL_ENV} must be an http(s) URL"));
    }
    Ok(Some(url))
}

/// Where `platform`'s webhooks for `store_id` are delivered under `public`.
pub fn hook_address(public: &Url, platform: &str, store_id: &str) -> Url {
    let mut url = public.clone();
    let base = public.path().trim_end_matches('/');
    url.set_path(&format!("{base}/v1/hooks/{platform}/{store_id}"));
    url.set_query(None);
    url
}

/// What registering a store's webhooks came to.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct WebhookSetup {
    /// Where the platform delivers.
    pub address: String,
    /// The topics subscribed.
    pub topics: Vec<String>,
    /// Why registration failed (the store then syncs by polling).
    pub error: Option<String>,
}

/// Subscribes the store's webhooks for `entities`.
pub async fn register(
    adapter: &dyn Adapter,
    public: &Url,
    store_id: &str,
    entities: &[Entity],
) -> WebhookSetup {
    let address = hook_address(public, adapter.platform(), store_id);
    if !adapter.capabilities().webhooks {
        // Deliveries it could not verify would only be refused: poll instead.
        return WebhookSetup {
            address: address.to_string(),
            topics: Vec::new(),
            error: Some("the store cannot verify webhook deliveries (see disabled_features): none registered".into()),
        };
    }
    match adapter.register_webhooks(&address, entities).await {
        Ok(topics) => WebhookSetup {
            address: address.to_string(),
            topics,
            error: None,
        },
        Err(e) => {
            tracing::warn!(store = store_id, error = %e, "registering webhooks failed");
            WebhookSetup {
                address: address.to_string(),
                topics: Vec::new(),
                error: Some(e.public_message()),
            }
        }
    }
}

/// Removes the store's webhook subscriptions (best effort, before the store goes).
pub async fn unregister(adapter: &dyn Adapter, public: &Url, store_id: &str) {
    let address = hook_address(public, adapter.platform(), store_id);
    match adapter.unregister_webhooks(&address).await {
        Ok(n) => tracing::info!(store = store_id, removed = n, "webhooks unregistered"),
        Err(polycart_kit::Error::Unsupported { .. }) => {}
        Err(e) => tracing::warn!(store = store_id, error = %e, "unregistering webhooks failed"),
    }
}

/// The feature a store runs without when no public URL is set.
pub fn without_public_url(platform_registers: bool) -> Option<DisabledFeature> {
    platform_registers.then(|| DisabledFeature {
        feature: "webhook_registration".to_owned(),
        reason: format!(
            "{PUBLIC_URL_ENV} is not set: platform webhooks are not registered and the store syncs by polling"
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hooks_are_delivered_under_the_public_path() {
        let public = Url::parse("https://polycart.example.com/base/").unwrap();
        assert_eq!(
            hook_address(&public, "shopify", "st_1").as_str(),
            "https://polycart.example.com/base/v1/hooks/shopify/st_1"
        );
        let bare = Url::parse("https://polycart.example.com").unwrap();
        assert_eq!(
            hook_address(&bare, "woocommerce", "st_2").as_str(),
            "https://polycart.example.com/v1/hooks/woocommerce/st_2"
        );
    }
}
