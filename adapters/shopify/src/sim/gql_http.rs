//! One GraphQL request to the simulator (`POST /admin/api/{version}/graphql.json`):
//! parse it, validate it against the real schema of the path's API version
//! ([`super::schema`]), price it ([`super::cost`]), refuse it over 1000 points
//! (`MAX_COST_EXCEEDED`) or when the bucket cannot afford it (`THROTTLED`, with
//! `throttleStatus`), run it, refund the difference between requested and actual
//! cost, and report `extensions.cost`, as Shopify does.

use std::sync::Arc;
use std::time::Instant;

use serde_json::{Value, json};

use super::SimState;
use super::bulk::{self, ApiVersion, Origin};
use super::cost::{actual_cost, requested_cost};
use super::graphql::AdminSchema;
use super::schema::run::Plan;

/// Largest cost of one query.
const MAX_COST: f64 = 1000.0;

fn throttle_status(bucket: &polycart_kit::sim::BucketState) -> Value {
    json!({
        "maximumAvailable": bucket.capacity,
        "currentlyAvailable": bucket.available().floor(),
        "restoreRate": bucket.leak_per_sec,
    })
}

/// Executes one GraphQL request against the store, charging the cost bucket.
pub(super) async fn execute(
    state: &Arc<SimState>,
    schema: &AdminSchema,
    body: &[u8],
    origin: &str,
    version: &str,
) -> Value {
    #[derive(serde::Deserialize)]
    struct Body {
        query: String,
        #[serde(default)]
        variables: Option<Value>,
        #[serde(default, rename = "operationName")]
        operation_name: Option<String>,
    }
    let Ok(request) = serde_json::from_slice::<Body>(body) else {
        return json!({"errors": [{"message": "Invalid request body: expected {\"query\": ...}"}]});
    };
    let variables = request.variables.unwrap_or(Value::Null);
    let doc = match async_graphql::parser::parse_query(&request.query) {
        Ok(doc) => doc,
        Err(e) => {
            return json!({"errors": [{"message": e.to_string(), "extensions": {"code": "PARSE_ERROR"}}]});
        }
    };
    let plan = match Plan::new(version, doc, variables, request.operation_name.as_deref()) {
        Ok(plan) => plan,
        Err(errors) => return json!({ "errors": errors }),
    };
    let mutation = plan.is_mutation();
    let requested =
        requested_cost(plan.real, plan.doc(), plan.operation(), plan.variables()).ceil();
    if requested > MAX_COST {
        return json!({"errors": [{
            "message": format!("Query cost is {requested}, which exceeds the single query max cost limit ({MAX_COST}). See https://shopify.dev/concepts/about-apis/rate-limits for more information on how the cost of a query is calculated. To query larger amounts of data with fewer limits, bulk operations should be used instead. See https://shopify.dev/tutorials/perform-bulk-operations-with-admin-api for usage details."),
            "extensions": {"code": "MAX_COST_EXCEEDED", "cost": requested, "maxCost": MAX_COST},
        }]});
    }
    if let Err(refused) = state.cost_bucket.take(requested, Instant::now()) {
        return json!({
            "errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED", "documentation": "https://shopify.dev/api/usage/rate-limits"}}],
            "extensions": {"cost": {
                "requestedQueryCost": requested,
                "actualQueryCost": null,
                "throttleStatus": throttle_status(&refused.state),
            }},
        });
    }
    let gql = plan
        .request()
        .data(Origin(origin.to_owned()))
        .data(ApiVersion(version.to_owned()));
    let mut response = schema.execute(gql).await;
    bulk::start_queued(state, schema);
    response.data = plan.complete(std::mem::take(&mut response.data));
    let mut out = serde_json::to_value(&response)
        .unwrap_or_else(|_| json!({"errors": [{"message": "internal error"}]}));
    let actual = actual_cost(&out["data"], mutation).min(requested);
    state.cost_bucket.refund(requested - actual);
    let after = state.cost_bucket.peek(Instant::now());
    if let Some(map) = out.as_object_mut() {
        if map.get("data").is_some_and(Value::is_null) && map.contains_key("errors") {
            map.remove("data");
        }
        map.insert(
            "extensions".to_owned(),
            json!({"cost": {
                "requestedQueryCost": requested,
                "actualQueryCost": actual,
                "throttleStatus": throttle_status(&after),
            }}),
        );
    }
    out
}
