//! The simulator as an in-process router (no sockets) and a GraphQL call against it.

#![allow(dead_code)]

use std::sync::Arc;

use axum::body::Body;
use http::Request;
use polycart_kit::sim::{FaultSpec, Faults, SimOptions, StoreSize};
use polycart_shopify::sim::{SimState, router};
use serde_json::{Value, json};
use tower::ServiceExt;

/// A small simulated store (seed 4) and its router.
pub(crate) fn sim() -> (Arc<SimState>, axum::Router) {
    let options = SimOptions {
        seed: 4,
        size: StoreSize {
            products: 6,
            customers: 5,
            orders: 12,
        },
        plan: None,
        faults: FaultSpec::none(),
    };
    let state = SimState::new(&options);
    (
        state.clone(),
        router(state, &Faults::new(FaultSpec::none(), 4)),
    )
}

/// POSTs a GraphQL request on `version`; returns the status and the body.
pub(crate) async fn gql_on(
    app: &axum::Router,
    token: &str,
    version: &str,
    query: &str,
    variables: Value,
) -> (u16, Value) {
    let body = serde_json::to_vec(&json!({"query": query, "variables": variables})).unwrap();
    let req = Request::post(format!("/admin/api/{version}/graphql.json"))
        .header("x-shopify-access-token", token)
        .header("content-type", "application/json")
        .header("host", "shop.test")
        .body(Body::from(body))
        .unwrap();
    let res = app.clone().oneshot(req).await.unwrap();
    let status = res.status().as_u16();
    let bytes = axum::body::to_bytes(res.into_body(), usize::MAX)
        .await
        .unwrap();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

/// [`gql_on`] the 2026-01 API.
pub(crate) async fn gql(
    app: &axum::Router,
    token: &str,
    query: &str,
    variables: Value,
) -> (u16, Value) {
    gql_on(app, token, "2026-01", query, variables).await
}

/// GETs a path without any token (a signed download URL); returns status and body.
pub(crate) async fn download(app: &axum::Router, path: &str) -> (u16, String) {
    let req = Request::get(path).body(Body::empty()).unwrap();
    let res = app.clone().oneshot(req).await.unwrap();
    let status = res.status().as_u16();
    let bytes = axum::body::to_bytes(res.into_body(), usize::MAX)
        .await
        .unwrap();
    (status, String::from_utf8_lossy(&bytes).into_owned())
}
