//! The unified HTTP API (axum): one small router per resource, an error envelope with
//! stable codes, API-key tenancy, per-key rate limits, body limits, request ids,
//! Prometheus metrics and a generated OpenAPI description. Only this layer knows HTTP
//! shapes; it reads the sync store and reaches platforms through the adapters.

pub mod api2cart;
pub mod auth;
pub mod bounds;
pub mod changes;
pub mod dashboard;
pub mod drift;
pub mod error;
pub mod fields;
pub mod hooks;
pub mod ids;
pub mod keys;
pub mod metrics;
pub mod platforms;
pub mod ratelimit;
pub mod records;
pub mod request_id;
pub mod stores;
pub mod subscriptions;
pub mod ui;
pub mod writes;

use std::sync::Arc;

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, patch, post, put};
use polycart_kit::Adapter;
use polycart_kit::transport::TransportMetrics;
use tracing::Instrument;
use utoipa::OpenApi;

pub use ratelimit::KeyQuota;

use crate::engine::Engine;
use crate::store::{Store, UrlPolicy};
use error::ApiError;

/// Everything the handlers share.
pub struct AppState {
    pub store: Arc<dyn Store>,
    /// Builds and caches adapters (shared with the in-process worker), handles webhooks.
    pub engine: Arc<Engine>,
    pub transport_metrics: Arc<TransportMetrics>,
    pub api_metrics: metrics::ApiMetrics,
    key_limiter: ratelimit::KeyLimiter,
    url_policy: UrlPolicy,
    metrics_access: metrics::MetricsAccess,
    /// Where platforms reach this deployment (`POLYCART_PUBLIC_URL`): set, connecting a
    /// store registers its webhooks.
    public_url: Option<url::Url>,
}

impl AppState {
    pub fn new(
        engine: Arc<Engine>,
        transport_metrics: Arc<TransportMetrics>,
        quota: KeyQuota,
    ) -> Self {
        Self {
            store: engine.store.clone(),
            engine,
            transport_metrics,
            api_metrics: metrics::ApiMetrics::default(),
            key_limiter: ratelimit::KeyLimiter::new(quota),
            url_policy: stores::default_policy(),
            metrics_access: metrics::MetricsAccess::from_env(),
            public_url: crate::webhook_setup::public_url_from_env().ok().flatten(),
        }
    }

    /// Where platforms deliver webhooks to this deployment (`None`: polling only).
    pub fn with_public_url(mut self, public: Option<url::Url>) -> Self {
        self.public_url = public;
        self
    }

    /// Who may scrape `/metrics` and whether store ids appear as labels.
    pub fn with_metrics_access(mut self, access: metrics::MetricsAccess) -> Self {
        self.metrics_access = access;
        self
    }

    /// Which store and subscription URLs are accepted (private addresses refused or not).
    pub fn with_url_policy(mut self, policy: UrlPolicy) -> Self {
        self.url_policy = policy;
        self
    }

    /// The store's adapter, built once and reused (its governor must be shared).
    pub async fn adapter(&self, store_id: &str) -> Result<Arc<dyn Adapter>, ApiError> {
        self.engine.adapter(store_id).await.map_err(ApiError::from)
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "polycart unified API", description = "One API and one data model over every connected e-commerce store."),
    paths(
        stores::create, stores::list, stores::get_one, stores::remove, stores::sync,
        records::list, records::count, records::get_one, records::list_across,
        writes::patch_product, writes::put_inventory, writes::post_shipment, writes::patch_order,
        changes::list, drift::get_report, platforms::list, subscriptions::create, subscriptions::list, subscriptions::remove,
        subscriptions::deliveries, subscriptions::replay, hooks::receive,
        dashboard::overview, dashboard::history, keys::list, keys::create, keys::revoke,
    ),
    components(schemas(error::ErrorEnvelope, error::ErrorBody)),
    modifiers(&SecurityAddon),
)]
pub struct ApiDoc;

struct SecurityAddon;

impl utoipa::Modify for SecurityAddon {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_key",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
        // Every operation can fail with the one error envelope.
        use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
        let envelope = ResponseBuilder::new()
            .description("An error: `{\"error\": {\"code\", \"message\", \"request_id\"}}` with a stable code")
            .content("application/json", ContentBuilder::new().schema(Some(Ref::from_schema_name("ErrorEnvelope"))).build())
            .build();
        for item in openapi.paths.paths.values_mut() {
            for op in [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ]
            .into_iter()
            .flatten()
            {
                op.responses
                    .responses
                    .entry("default".to_owned())
                    .or_insert_with(|| envelope.clone().into());
            }
        }
    }
}

/// The OpenAPI description as pretty JSON (what `/openapi.json` serves).
pub fn openapi_json() -> String {
    let mut doc = serde_json::to_value(ApiDoc::openapi()).expect("the openapi document serialises");
    bounds::document(&mut doc);
    serde_json::to_string_pretty(&doc).expect("the openapi document serialises")
}

/// Largest request body accepted (1 MiB).
pub const BODY_LIMIT: usize = 1024 * 1024;

/// The whole API.
pub fn router(state: Arc<AppState>) -> Router {
    let authed = Router::new()
        .route("/v1/stores", post(stores::create).get(stores::list))
        .route(
            "/v1/stores/{store}",
            get(stores::get_one).delete(stores::remove),
        )
        .route("/v1/stores/{store}/sync", post(stores::sync))
        .route("/v1/stores/{store}/history", get(dashboard::history))
        .route(
            "/v1/stores/{store}/inventory",
            put(writes::put_inventory).get(list_inventory),
        )
        .route(
            "/v1/stores/{store}/products/{id}",
            patch(writes::patch_product).get(records_get_products),
        )
        .route(
            "/v1/stores/{store}/orders/{id}",
            patch(writes::patch_order).get(records_get_orders),
        )
        .route(
            "/v1/stores/{store}/orders/{id}/shipments",
            post(writes::post_shipment),
        )
        .route("/v1/stores/{store}/{entity}", get(records::list))
        .route("/v1/stores/{store}/{entity}/count", get(records::count))
        .route("/v1/stores/{store}/{entity}/{id}", get(records::get_one))
        .route("/v1/changes", get(changes::list))
        .route("/v1/platforms", get(platforms::list))
        .route("/v1/drift", get(drift::get_report))
        .route("/v1/overview", get(dashboard::overview))
        .route("/v1/keys", get(keys::list).post(keys::create))
        .route("/v1/keys/{id}", axum::routing::delete(keys::revoke))
        .route(
            "/v1/subscriptions",
            post(subscriptions::create).get(subscriptions::list),
        )
        .route(
            "/v1/subscriptions/{id}",
            axum::routing::delete(subscriptions::remove),
        )
        .route(
            "/v1/subscriptions/{id}/deliveries",
            get(subscriptions::deliveries),
        )
        .route("/v1/subscriptions/{id}/replay", post(subscriptions::replay))
        .route("/v1/{entity}", get(records::list_across))
        .route_layer(middleware::from_fn_with_state(state.clone(), auth::layer));
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/metrics", get(metrics::scrape))
        .route(
            "/openapi.json",
            get(|| async {
                (
                    [(axum::http::header::CONTENT_TYPE, "application/json")],
                    openapi_json(),
                )
            }),
        )
        .route("/v1/hooks/{platform}/{store}", post(hooks::receive))
        .merge(ui::routes())
        .merge(authed)
        .merge(api2cart::routes())
        .fallback(|| async { ApiError::NotFound("route".into()) })
        .layer(middleware::from_fn(error::envelope_rejections))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            count_requests,
        ))
        .layer(middleware::from_fn(error::limit_headers))
        .layer(middleware::from_fn(request_id::layer))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(state)
}

// `/v1/stores/{store}/orders/{id}` and `/products/{id}` take both GET and PATCH; the
// GET delegates to the generic record reader.
async fn records_get_orders(
    state: State<Arc<AppState>>,
    caller: axum::extract::Extension<auth::Caller>,
    axum::extract::Path((store, id)): axum::extract::Path<(String, String)>,
    query: axum::extract::Query<records::ListParams>,
) -> Result<axum::Json<serde_json::Value>, ApiError> {
    records::get_one(
        state,
        caller,
        axum::extract::Path((store, "orders".into(), id)),
        query,
    )
    .await
}

async fn records_get_products(
    state: State<Arc<AppState>>,
    caller: axum::extract::Extension<auth::Caller>,
    axum::extract::Path((store, id)): axum::extract::Path<(String, String)>,
    query: axum::extract::Query<records::ListParams>,
) -> Result<axum::Json<serde_json::Value>, ApiError> {
    records::get_one(
        state,
        caller,
        axum::extract::Path((store, "products".into(), id)),
        query,
    )
    .await
}

async fn list_inventory(
    state: State<Arc<AppState>>,
    caller: axum::extract::Extension<auth::Caller>,
    axum::extract::Path(store): axum::extract::Path<String>,
    query: axum::extract::Query<records::ListParams>,
) -> Result<axum::Json<records::ListResponse>, ApiError> {
    records::list(
        state,
        caller,
        axum::extract::Path((store, "inventory".into())),
        query,
    )
    .await
}

/// Counts each request for `/metrics` and runs it in an `api_request` tracing span:
/// method, the matched route template (never the raw path or its query, which may
/// hold ids and tokens), status.
async fn count_requests(
    State(state): State<Arc<AppState>>,
    request: Request,
    next: Next,
) -> Response {
    let method = request.method().to_string();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let span = tracing::info_span!(
        "api_request",
        otel.kind = "server",
        otel.name = %format_args!("{method} {route}"),
        http.request.method = %method,
        http.route = %route,
        http.response.status_code = tracing::field::Empty,
        otel.status_code = tracing::field::Empty,
    );
    let response = next.run(request).instrument(span.clone()).await;
    let status = response.status().as_u16();
    span.record("http.response.status_code", status);
    if status >= 500 {
        span.record("otel.status_code", "ERROR");
    }
    state.api_metrics.record(&method, &route, status);
    response
}

/// Serves the API on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: Arc<AppState>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let sampler = tokio::spawn(sample_meters(state.clone()));
    let served = axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown)
        .await;
    sampler.abort();
    served
}

/// Samples every store's transport meters for the dashboard's gauges and charts,
/// forgetting stores no longer connected.
async fn sample_meters(state: Arc<AppState>) {
    let mut tick = tokio::time::interval(crate::engine::meters::SAMPLE_INTERVAL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let meters = &state.engine.meters;
        meters.sample(chrono::Utc::now());
        if let Ok(stores) = state.store.list_stores().await {
            meters.retain(|id| stores.iter().any(|s| s.id == id));
        }
    }
}
