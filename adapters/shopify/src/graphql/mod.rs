//! How the GraphQL Admin API's answers are read by the transport: the budget reader
//! that corrects the governor from `extensions.cost.throttleStatus`, and the
//! classifier that turns a `THROTTLED` error inside a 200 into a wait. The queries
//! and their costs are [`crate::graphql::queries`].

pub mod bulk;
pub(crate) mod bulk_file;
pub(crate) mod bulk_list;
pub(crate) mod complete;
pub(crate) mod queries;
pub(crate) mod read;
pub(crate) mod writes;

use std::time::Duration;

use http::{HeaderMap, StatusCode};
use polycart_kit::Error;
use polycart_kit::transport::html::retry_unusable_success;
use polycart_kit::transport::{
    BudgetObservation, BudgetReader, Classify, Response, Verdict, classify_status,
};
use serde_json::Value;

fn throttle_status(body: &[u8]) -> Option<(f64, f64, f64, Option<f64>)> {
    let v: Value = serde_json::from_slice(body).ok()?;
    let cost = &v["extensions"]["cost"];
    let t = &cost["throttleStatus"];
    Some((
        t["maximumAvailable"].as_f64()?,
        t["currentlyAvailable"].as_f64()?,
        t["restoreRate"].as_f64()?,
        cost["requestedQueryCost"].as_f64(),
    ))
}

/// Reads `extensions.cost.throttleStatus`: bucket size, points left, restore rate.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ThrottleStatusReader;

impl BudgetReader for ThrottleStatusReader {
    fn read(&self, _: StatusCode, _: &HeaderMap, body: &[u8]) -> Option<BudgetObservation> {
        let (max, available, restore, _) = throttle_status(body)?;
        Some(BudgetObservation {
            capacity: Some(max),
            remaining: Some(available),
            refill_per_sec: Some(restore),
            reset_after: None,
        })
    }
}

/// GraphQL's answers: `THROTTLED` in a 200 waits until the requested cost is
/// restored; other errors without data fail; HTML pages are retried.
#[derive(Debug, Clone, Copy)]
pub(crate) struct GraphqlClassifier;

impl Classify for GraphqlClassifier {
    fn classify(&self, response: &Response) -> Verdict {
        if !response.status.is_success() {
            return classify_status(response);
        }
        if let Some(retry) = retry_unusable_success(response) {
            return retry;
        }
        let Ok(v) = serde_json::from_slice::<Value>(&response.body) else {
            // An empty 2xx: nothing to read.
            return Verdict::Retry;
        };
        let Some(errors) = v["errors"].as_array().filter(|e| !e.is_empty()) else {
            return Verdict::Done;
        };
        let code = |e: &Value| e["extensions"]["code"].as_str().map(str::to_owned);
        if errors
            .iter()
            .any(|e| code(e).as_deref() == Some("THROTTLED"))
        {
            let after =
                throttle_status(&response.body).map(|(_, available, restore, requested)| {
                    let missing = (requested.unwrap_or(available + restore) - available).max(0.0);
                    Duration::from_secs_f64((missing / restore.max(1.0)).max(0.1))
                });
            return Verdict::Throttled { after };
        }
        let messages: Vec<String> = errors
            .iter()
            .map(|e| {
                format!(
                    "{}{}",
                    e["message"].as_str().unwrap_or("error"),
                    code(e).map(|c| format!(" ({c})")).unwrap_or_default()
                )
            })
            .collect();
        Verdict::Fail(Error::invalid(format!(
            "shopify graphql: {}",
            messages.join("; ")
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttled_waits_for_the_missing_points() {
        let body = br#"{"errors":[{"message":"Throttled","extensions":{"code":"THROTTLED"}}],"extensions":{"cost":{"requestedQueryCost":500,"actualQueryCost":null,"throttleStatus":{"maximumAvailable":2000.0,"currentlyAvailable":300,"restoreRate":100.0}}}}"#;
        let response = Response {
            status: StatusCode::OK,
            headers: HeaderMap::new(),
            body: bytes_of(body),
            url: "http://x/graphql.json".parse().unwrap(),
        };
        match GraphqlClassifier.classify(&response) {
            Verdict::Throttled { after } => assert_eq!(after, Some(Duration::from_secs(2))),
            other => panic!("{other:?}"),
        }
        let o = ThrottleStatusReader
            .read(StatusCode::OK, &HeaderMap::new(), body)
            .unwrap();
        assert_eq!(
            (o.capacity, o.remaining, o.refill_per_sec),
            (Some(2000.0), Some(300.0), Some(100.0))
        );
    }

    fn bytes_of(b: &[u8]) -> bytes::Bytes {
        bytes::Bytes::copy_from_slice(b)
    }
}
