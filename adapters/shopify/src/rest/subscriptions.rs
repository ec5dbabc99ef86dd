//! Webhook subscriptions over the REST Admin API (`webhooks.json`): register,
//! unregister and list them.

use polycart_kit::model::Entity;
use polycart_kit::transport::Request;
use polycart_kit::{ApiPath, Error, Result};
use serde_json::{Value, json};
use url::Url;

use crate::ShopifyAdapter;
use crate::ids;

impl ShopifyAdapter {
    /// Subscribes `address` to the topics of `entities` and to `app/uninstalled`,
    /// after removing our earlier subscriptions to it; returns the topics.
    pub(crate) async fn replace_webhooks(
        &self,
        address: &Url,
        entities: &[Entity],
    ) -> Result<Vec<String>> {
        self.remove_webhooks_to(address).await?;
        let capabilities = crate::adapter::capabilities();
        let mut topics = capabilities.webhook_topics(entities);
        topics.push("app/uninstalled");
        for topic in &topics {
            self.register_webhook(topic, address.as_str()).await?;
        }
        Ok(topics.into_iter().map(str::to_owned).collect())
    }

    /// Removes every subscription delivering to `address`; returns how many.
    pub(crate) async fn remove_webhooks_to(&self, address: &Url) -> Result<usize> {
        let ours: Vec<String> = self
            .webhooks()
            .await?
            .into_iter()
            .filter(|(_, _, to)| to == address.as_str())
            .map(|(id, _, _)| id)
            .collect();
        for id in &ours {
            self.unregister_webhook(id).await?;
        }
        Ok(ours.len())
    }

    /// Subscribes `address` to a webhook `topic` (`orders/updated`); returns the
    /// subscription's id. Shopify refuses a topic already sent to the same address.
    pub async fn register_webhook(&self, topic: &str, address: &str) -> Result<String> {
        let body = json!({"webhook": {"topic": topic, "address": address, "format": "json"}});
        // Creating twice is refused by Shopify (422), so a retry cannot duplicate it.
        let request = Request::post(self.config.rest_url(&ApiPath::new("webhooks.json")))
            .json(&body)
            .idempotent(true);
        let v: Value = self.send(request).await?.json()?;
        v["webhook"]["id"]
            .as_u64()
            .map(|id| id.to_string())
            .or_else(|| v["webhook"]["id"].as_str().map(str::to_owned))
            .ok_or_else(|| Error::decode("$.webhook.id", "missing"))
    }

    /// Removes a webhook subscription.
    pub async fn unregister_webhook(&self, id: &str) -> Result<()> {
        let request = Request::new(
            http::Method::DELETE,
            self.config
                .rest_url(&ids::record_path("webhooks", "WebhookSubscription", id)?),
        );
        self.send(request).await.map(|_| ())
    }

    /// The store's webhook subscriptions as (id, topic, address).
    pub async fn webhooks(&self) -> Result<Vec<(String, String, String)>> {
        let v: Value = self
            .send(self.get_request(&ApiPath::new("webhooks.json")))
            .await?
            .json()?;
        Ok(v["webhooks"]
            .as_array()
            .map(|ws| {
                ws.iter()
                    .map(|w| {
                        (
                            w["id"].to_string(),
                            w["topic"].as_str().unwrap_or_default().to_owned(),
                            w["address"].as_str().unwrap_or_default().to_owned(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default())
    }
}
