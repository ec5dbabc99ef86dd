//! Outbound webhook deliveries from a simulator to a subscriber's URL: the simulator
//! builds and signs the payload as its platform does; this sends it, with a short
//! timeout and no retries (platforms retry on their own schedule, tests call again).

use std::time::Duration;

use http::HeaderMap;

/// Posts webhook deliveries.
#[derive(Debug, Clone)]
pub struct WebhookSender {
    client: reqwest::Client,
}

impl Default for WebhookSender {
    fn default() -> Self {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("the webhook client builds with static settings");
        Self { client }
    }
}

impl WebhookSender {
    /// POSTs `body` with `headers` to `url`; returns the subscriber's status code.
    pub async fn deliver(
        &self,
        url: &str,
        headers: HeaderMap,
        body: Vec<u8>,
    ) -> Result<u16, String> {
        let response = self
            .client
            .post(url)
            .headers(headers)
            .body(body)
            .send()
            .await
            .map_err(|e| e.without_url().to_string())?;
        Ok(response.status().as_u16())
    }
}
