//! An API2Cart-compatible surface next to `/v1`: `GET|POST|PUT|DELETE
//! /v1.1/{method}.json` with API2Cart's parameters, keys and envelope, so a client
//! written for API2Cart (its SDKs or plain HTTP) switches by changing its base URL and
//! keys. It is a protocol layer only: reads come from the sync store through
//! [`crate::api::records`], writes go through [`crate::api::writes`] (idempotency and
//! audit included), stores are managed through [`crate::api::stores`].
//!
//! Keys: `x-api-key` is a polycart API key; `x-store-key` is a polycart store id the
//! key may reach. Every answer is HTTP 200 with a `return_code` (see [`envelope`]).

pub mod carts;
pub mod envelope;
pub mod map;
pub mod methods;
pub mod reads;
pub mod request;
pub mod select;
pub mod webhooks;
pub mod writes;

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Uri};
use axum::response::Response;
use axum::routing::any;
use polycart_kit::Capabilities;

use super::AppState;
use super::auth::Caller;
use crate::store::StoreInfo;
use envelope::{A2cError, Reply, ReturnCode};
use methods::{Method, Op};
use request::Params;

/// The routes of the surface (authenticated by its own keys, not `Authorization`).
pub fn routes() -> Router<Arc<AppState>> {
    Router::new().route("/v1.1/{method}", any(handle))
}

/// What a method runs with: the state, the caller, the parameters and (for store
/// methods) the store.
pub struct Ctx<'a> {
    pub state: &'a AppState,
    pub caller: &'a Caller,
    pub params: &'a Params,
    pub method: &'static Method,
    pub store: Option<StoreInfo>,
}

impl Ctx<'_> {
    /// The store of a store method.
    pub fn store(&self) -> Result<&StoreInfo, A2cError> {
        self.store
            .as_ref()
            .ok_or_else(|| A2cError::new(ReturnCode::StoreNotFound, "store_key is not specified"))
    }

    /// The store's platform capabilities (its adapter's: an adapter may offer less
    /// than its platform).
    pub async fn capabilities(&self) -> Result<Capabilities, A2cError> {
        let store = self.store()?;
        let adapter = self.state.adapter(&store.id).await?;
        Ok(adapter.capabilities().clone())
    }
}

async fn handle(
    State(state): State<Arc<AppState>>,
    Path(method): Path<String>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let parsed = Params::parse(uri.query(), &headers, &body).and_then(|params| {
        let tree = params
            .str("response_fields")
            .map(|text| select::Tree::parse(&text))
            .transpose()?;
        Ok((params, tree))
    });
    let (outcome, tree) = match parsed {
        Ok((params, tree)) => (run(&state, &method, &params).await, tree),
        Err(e) => (Err(e), None),
    };
    let (body, retry_after) = match outcome {
        Ok(reply) => (reply.into_envelope(), None),
        Err(e) => (envelope::error_envelope(&e), e.retry_after),
    };
    let body = match tree {
        Some(tree) => tree.prune(body),
        None => body,
    };
    envelope::respond(body, retry_after)
}

async fn run(state: &AppState, method: &str, params: &Params) -> Result<Reply, A2cError> {
    let caller = authenticate(state, params).await?;
    let Some(method) = methods::find(method) else {
        return Err(A2cError::new(
            ReturnCode::MethodNotSpecified,
            format!(
                "method {} is not served by polycart's API2Cart-compatible endpoint",
                polycart_kit::error::excerpt(method, 60)
            ),
        ));
    };
    let store = if method.store {
        Some(store_of(state, &caller, params).await?)
    } else {
        None
    };
    let ctx = Ctx {
        state,
        caller: &caller,
        params,
        method,
        store,
    };
    if let Some(store) = &ctx.store
        && !matches!(method.need, methods::Need::Nothing)
    {
        let caps = ctx.capabilities().await?;
        if let Op::Unmodelled(why) = method.op {
            return Err(A2cError::invalid(why));
        }
        if !method.supported(&store.entities, &caps) {
            return Err(A2cError::unsupported(method.name, &store.platform));
        }
    }
    dispatch(&ctx).await
}

async fn dispatch(ctx: &Ctx<'_>) -> Result<Reply, A2cError> {
    match ctx.method.op {
        Op::AccountCartAdd => carts::add(ctx).await,
        Op::AccountCartList => carts::list(ctx).await,
        Op::SupportedPlatforms => Ok(carts::supported_platforms(ctx)),
        Op::CartList => Ok(carts::cart_list()),
        Op::CartInfo => carts::info(ctx).await,
        Op::CartMethods => carts::methods(ctx).await,
        Op::CartDelete => carts::delete(ctx).await,
        Op::List(kind) => reads::list(ctx, kind).await,
        Op::Info(kind) => reads::info(ctx, kind).await,
        Op::Count(kind) => reads::count(ctx, kind).await,
        Op::ChildList => reads::child_list(ctx).await,
        Op::ChildInfo => reads::child_info(ctx).await,
        Op::OrderStatusList => Ok(reads::order_statuses()),
        Op::ShipmentList => reads::shipment_list(ctx).await,
        Op::ProductUpdate => writes::product_update(ctx).await,
        Op::VariantUpdate => writes::variant_update(ctx).await,
        Op::OrderUpdate => writes::order_update(ctx).await,
        Op::ShipmentAdd => writes::shipment_add(ctx).await,
        Op::WebhookCreate => webhooks::create(ctx).await,
        Op::WebhookList => webhooks::list(ctx).await,
        Op::WebhookCount => webhooks::count(ctx).await,
        Op::WebhookUpdate => webhooks::update(ctx).await,
        Op::WebhookDelete => webhooks::delete(ctx).await,
        Op::WebhookEvents => webhooks::list_events(ctx),
        Op::Unmodelled(why) => Err(A2cError::invalid(why)),
    }
}

/// The caller of `x-api-key`, rate-limited like `/v1` keys.
async fn authenticate(state: &AppState, params: &Params) -> Result<Caller, A2cError> {
    let Some(key) = params.api_key.as_deref() else {
        return Err(A2cError::new(
            ReturnCode::IncorrectApiKey,
            "x-api-key is not specified",
        ));
    };
    let key = state
        .store
        .verify_api_key(key)
        .await
        .map_err(|e| A2cError::from(super::error::ApiError::from(e)))?
        .ok_or_else(|| A2cError::new(ReturnCode::IncorrectApiKey, "incorrect API key"))?;
    if let Err(wait) = state.key_limiter.check(&key.id) {
        return Err(A2cError::from(super::error::ApiError::RateLimited {
            retry_after_secs: wait.as_secs_f64().ceil() as u64,
        }));
    }
    Ok(Caller(key))
}

/// The store of `x-store-key`: one the key may reach (another tenant's store is "not
/// found", as on `/v1`).
async fn store_of(
    state: &AppState,
    caller: &Caller,
    params: &Params,
) -> Result<StoreInfo, A2cError> {
    let Some(id) = params.store_key.as_deref() else {
        return Err(A2cError::new(
            ReturnCode::StoreNotFound,
            "x-store-key is not specified",
        ));
    };
    let not_found = || A2cError::new(ReturnCode::StoreNotFound, "store not found");
    if !caller.sees(id) {
        return Err(not_found());
    }
    match state.store.get_store(id).await {
        Ok(info) => Ok(info),
        Err(crate::store::Error::NotFound { .. }) => Err(not_found()),
        Err(e) => Err(super::error::ApiError::from(e).into()),
    }
}
