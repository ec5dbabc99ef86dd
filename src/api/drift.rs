//! `GET /v1/drift`: what the platforms changed without notice — fields the synced
//! payloads carry that the learnt shape does not know, or carry with another JSON type
//! — and the API deprecations they announced. Drift rows describe platforms, not
//! tenants, so every key sees them; deprecations belong to stores, so a scoped key sees
//! its own stores' only. `polycart drift` prints the same report.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Extension, State};
use serde::Serialize;

use super::AppState;
use super::auth::Caller;
use super::error::ApiError;
use crate::store::{DeprecationRow, DriftRow, Store};

/// The drift report.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DriftReport {
    /// Fields that did not fit, most recently seen first.
    pub drift: Vec<DriftRow>,
    /// Announced deprecations of the caller's stores, most recently seen first.
    pub deprecations: Vec<DeprecationRow>,
}

/// The report as `store_ids` (`None`: every store) may see it.
pub async fn report(
    store: &dyn Store,
    store_ids: Option<&[String]>,
) -> crate::store::Result<DriftReport> {
    Ok(DriftReport {
        drift: store.drift_rows().await?,
        deprecations: store.deprecations(store_ids).await?,
    })
}

#[utoipa::path(get, path = "/v1/drift", responses((status = 200, body = DriftReport)), security(("api_key" = [])))]
pub async fn get_report(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
) -> Result<Json<DriftReport>, ApiError> {
    let report = report(state.store.as_ref(), caller.0.store_ids.as_deref()).await?;
    Ok(Json(report))
}

/// The `/metrics` gauges: drift fields per platform, entity and kind, and announced
/// deprecations per platform.
pub(crate) fn gauges(report: &DriftReport) -> [super::metrics::Gauge; 2] {
    use std::collections::BTreeMap;
    let mut fields: BTreeMap<Vec<(&'static str, String)>, f64> = BTreeMap::new();
    for row in &report.drift {
        let labels = vec![
            ("platform", row.platform.clone()),
            ("entity", row.entity.clone()),
            ("kind", row.kind.clone()),
        ];
        *fields.entry(labels).or_default() += 1.0;
    }
    let mut deprecations: BTreeMap<Vec<(&'static str, String)>, f64> = BTreeMap::new();
    for row in &report.deprecations {
        *deprecations
            .entry(vec![("platform", row.platform.clone())])
            .or_default() += 1.0;
    }
    [
        super::metrics::Gauge {
            values: fields.into_iter().collect(),
            ..super::metrics::Gauge::new(
                "polycart_schema_drift_fields",
                "Fields synced payloads carried that the learnt shape does not know (unknown_field) or knows with another JSON type (type_changed).",
            )
        },
        super::metrics::Gauge {
            values: deprecations.into_iter().collect(),
            ..super::metrics::Gauge::new(
                "polycart_api_deprecations",
                "Stores whose platform announced that the API version in use is deprecated or near its sunset.",
            )
        },
    ]
}
