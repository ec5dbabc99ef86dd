//! Outbound change deliveries: each subscription follows the change feed from its own
//! sequence number and receives signed batches. The feed itself is the outbox: changes
//! commit with the records they describe, and a subscription advances only after the
//! receiver acknowledges (2xx), so a crash or a receiver outage loses nothing and the
//! order per store (indeed globally) is kept. Delivery is at least once: receivers
//! dedupe by `seq`. A subscription whose undelivered changes the feed's retention
//! dropped is not delivered to (never with a silent gap) until it is replayed.
//!
//! A subscription made through `/v1.1/webhook.create` is delivered in API2Cart's
//! callback shape instead: one change per request, only its entity and action (see
//! [`crate::api::api2cart::webhooks`]); the changes it passes over advance it too.
//!
//! Signature: `X-Polycart-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of
//! "<t>.<body>" with the subscription's secret>`.
//!
//! Redirects are not followed (a 3xx is a failed attempt, retried): a receiver cannot
//! bounce a signed batch to an address its URL was not validated for. Errors name no
//! URL, since receivers' URLs often carry a token.

use polycart_kit::auth::hmac;
use serde::Serialize;

use super::{Engine, Result};
use crate::api::api2cart::webhooks as api2cart;
use crate::store::{Change, DeliveryResult, Subscription};

/// The JSON body of one delivery.
#[derive(Debug, Serialize)]
pub struct DeliveryBody<'a> {
    pub subscription: &'a str,
    pub changes: &'a [Change],
}

/// The signature header's value for `body` sent at `timestamp`.
pub fn sign(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    let mut signed = format!("{timestamp}.").into_bytes();
    signed.extend_from_slice(body);
    format!(
        "t={timestamp},v1={}",
        hmac::hex(&hmac::hmac_sha256(secret, &signed))
    )
}

/// Checks a signature header (for receivers and tests).
pub fn verify(secret: &[u8], header: &str, body: &[u8]) -> bool {
    let mut t = None;
    let mut v1 = None;
    for part in header.split(',') {
        match part.split_once('=') {
            Some(("t", value)) => t = value.parse::<i64>().ok(),
            Some(("v1", value)) => v1 = Some(value),
            _ => {}
        }
    }
    match (t, v1) {
        (Some(t), Some(v1)) => hmac::constant_time_eq(
            sign(secret, t, body).as_bytes(),
            format!("t={t},v1={v1}").as_bytes(),
        ),
        _ => false,
    }
}

impl Engine {
    /// Leases one due subscription and sends it one batch; `None` when nothing is due.
    pub async fn deliver_once(&self) -> Result<Option<DeliveryResult>> {
        let now = self.opts.clock.now();
        let lease_until = now
            + chrono::Duration::from_std(self.opts.delivery_timeout).unwrap_or(self.opts.lease_ttl)
                * 3;
        let Some(sub) = self
            .store
            .lease_subscription(&self.opts.worker_id, now, lease_until)
            .await?
        else {
            return Ok(None);
        };
        let changes = match self
            .store
            .changes_after(
                sub.last_seq,
                sub.store_id.as_deref(),
                self.opts.delivery_batch,
            )
            .await
        {
            Ok(changes) => changes,
            // Retention dropped changes it had not received (between its lease and
            // this read): nothing is sent past the gap; the attempt is recorded and
            // the subscription, now behind, is not leased again until replayed.
            Err(e @ crate::store::Error::ChangesExpired { .. }) => {
                let behind = DeliveryResult {
                    first_seq: sub.last_seq,
                    last_seq: sub.last_seq,
                    status: None,
                    error: Some(e.to_string()),
                    delivered: false,
                    retry_at: Some(now + self.opts.delivery_backoff),
                };
                self.store.record_delivery(&sub, &behind).await?;
                return Ok(Some(behind));
            }
            Err(e) => return Err(e.into()),
        };
        let (Some(first), Some(last)) = (changes.first(), changes.last()) else {
            let nothing = DeliveryResult {
                first_seq: sub.last_seq,
                last_seq: sub.last_seq,
                status: None,
                error: None,
                delivered: true,
                retry_at: None,
            };
            self.store.record_delivery(&sub, &nothing).await?;
            return Ok(None);
        };
        let timestamp = now.timestamp();
        let (last_seq, request) = match &sub.api2cart {
            None => (last.seq, batch_request(&sub, &changes, timestamp)),
            // An API2Cart webhook: one callback per matching change; the changes
            // before it (other entities or actions) are passed over with it.
            Some(hook) => match changes.iter().find(|c| api2cart::matches(hook, c)) {
                Some(change) => {
                    let cb =
                        api2cart::callback(hook, change, sub.secret.expose().as_bytes(), timestamp);
                    (
                        change.seq,
                        Outgoing {
                            body: cb.body,
                            headers: cb.headers,
                        },
                    )
                }
                None => {
                    let passed = DeliveryResult {
                        first_seq: first.seq,
                        last_seq: last.seq,
                        status: None,
                        error: None,
                        delivered: true,
                        retry_at: None,
                    };
                    self.store.record_delivery(&sub, &passed).await?;
                    return Ok(Some(passed));
                }
            },
        };
        let refused = reqwest::Url::parse(&sub.url)
            .map_err(|e| polycart_kit::Error::invalid(e.to_string()))
            .and_then(|u| polycart_kit::net::check_url(&u));
        if let Err(e) = refused {
            let result = DeliveryResult {
                first_seq: first.seq,
                last_seq,
                status: None,
                error: Some(e.public_message()),
                delivered: false,
                retry_at: Some(self.opts.clock.now() + chrono::Duration::minutes(5)),
            };
            self.store.record_delivery(&sub, &result).await?;
            return Ok(Some(result));
        }
        let mut post = self.outbound_client()?.post(&sub.url);
        for (name, value) in request.headers {
            post = post.header(name, value);
        }
        let response = post.body(request.body).send().await;
        let (status, error) = match response {
            Ok(r) if r.status().is_success() => (Some(r.status().as_u16()), None),
            Ok(r) => (
                Some(r.status().as_u16()),
                Some(format!("receiver answered {}", r.status())),
            ),
            Err(e) => (
                None,
                Some(format!(
                    "receiver unreachable: {}",
                    polycart_kit::transport::describe(e)
                )),
            ),
        };
        let delivered = error.is_none();
        let doublings = i32::try_from(sub.failures.clamp(0, 8)).expect("clamped");
        let delay = (self.opts.delivery_backoff
            * 2i32.pow(u32::try_from(doublings).expect("non-negative")))
        .min(chrono::Duration::minutes(5));
        let result = DeliveryResult {
            first_seq: first.seq,
            last_seq,
            status,
            error,
            delivered,
            retry_at: (!delivered).then(|| self.opts.clock.now() + delay),
        };
        self.store.record_delivery(&sub, &result).await?;
        Ok(Some(result))
    }
}

/// One request to a receiver: its body and headers.
struct Outgoing {
    body: Vec<u8>,
    headers: Vec<(&'static str, String)>,
}

/// polycart's signed batch of `changes` for `sub`.
fn batch_request(sub: &Subscription, changes: &[Change], timestamp: i64) -> Outgoing {
    let body = serde_json::to_vec(&DeliveryBody {
        subscription: &sub.id,
        changes,
    })
    .expect("changes serialise");
    let signature = sign(sub.secret.expose().as_bytes(), timestamp, &body);
    let (first, last) = (
        changes.first().map_or(0, |c| c.seq),
        changes.last().map_or(0, |c| c.seq),
    );
    Outgoing {
        headers: vec![
            ("content-type", "application/json".to_owned()),
            ("x-polycart-signature", signature),
            ("x-polycart-delivery", format!("{}:{first}-{last}", sub.id)),
        ],
        body,
    }
}

impl Engine {
    /// The HTTP client of deliveries, built once: no redirects, the delivery timeout.
    fn outbound_client(&self) -> Result<&reqwest::Client> {
        if let Some(client) = self.outbound.get() {
            return Ok(client);
        }
        let client = polycart_kit::net::client_builder()
            .timeout(self.opts.delivery_timeout)
            .build()
            .map_err(|e| polycart_kit::Error::Transport {
                message: e.without_url().to_string(),
                timeout: false,
            })?;
        Ok(self.outbound.get_or_init(|| client))
    }
}
