//! One GraphQL request to the simulator (`POST /admin/api/{version}/graphql.json`):
//! parse it, price it ([`super::cost`]), refuse it over 1000 points
//! (`MAX_COST_EXCEEDED`) or when the bucket cannot afford it (`THROTTLED`, with
//! `throttleStatus`), run it, refund the difference between requested and actual
//! cost, and report `extensions.cost`, as Shopify does.

use std::sync::Arc;
use std::time::Instant;

use async_graphql::parser::types::OperationType;
use serde_json::{Value, json};

use super::SimState;
use super::bulk::{self, ApiVersion, Origin};
use super::cost::{actual_cost, requested_cost};
use super::graphql::AdminSchema;

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
    let variables = request.variables.clone().unwrap_or(Value::Null);
    let doc = match async_graphql::parser::parse_query(&request.query) {
        Ok(doc) => doc,
        Err(e) => {
            return json!({"errors": [{"message": e.to_string(), "extensions": {"code": "PARSE_ERROR"}}]});
        }
    };
    let operation = request.operation_name.as_deref();
    let mutation = doc.operations.iter().any(|(name, op)| {
        op.node.ty == OperationType::Mutation
            && (operation.is_none() || name.map(|n| n.as_str()) == operation)
    });
    let requested = requested_cost(&doc, &variables, operation).ceil();
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
    let mut gql = async_graphql::Request::new(request.query)
        .data(Origin(origin.to_owned()))
        .data(ApiVersion(version.to_owned()));
    if let Some(vars) = request.variables {
        gql = gql.variables(async_graphql::Variables::from_json(vars));
    }
    if let Some(op) = request.operation_name {
        gql = gql.operation_name(op);
    }
    let response = schema.execute(gql).await;
    bulk::start_queued(state, schema);
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
