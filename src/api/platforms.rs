//! `GET /v1/platforms`: every platform polycart speaks and what it offers — the
//! credentials a store needs (or the sets it chooses one of), the optional ones and
//! the features they enable, and the capabilities matrix per entity (API2Cart calls this `cart.methods`). Read from
//! the registry without connecting a store; `polycart platforms` prints the same.

use axum::Json;
use polycart_kit::Capabilities;
use polycart_kit::connector::{CredentialSet, OptionalCredential};
use serde::Serialize;

use crate::registry;

/// A platform as the API describes it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PlatformView {
    /// The registry name (`shopify`), as `POST /v1/stores` takes it.
    pub name: String,
    /// Credentials every store of the platform needs.
    pub credentials: Vec<String>,
    /// Alternative ways to authenticate: a store gives every credential of one set
    /// (besides `credentials`). Empty when there is one way.
    #[schema(value_type = Vec<Object>)]
    pub credential_sets: Vec<CredentialSet>,
    /// Credentials a store may leave out, each with the feature it enables.
    #[schema(value_type = Vec<Object>)]
    pub optional_credentials: Vec<OptionalCredential>,
    /// The settings a store of the platform takes (`settings` of `POST /v1/stores`).
    #[schema(value_type = Vec<Object>)]
    pub settings: Vec<polycart_kit::settings::SettingSpec>,
    /// What the platform offers, per entity.
    #[schema(value_type = Object)]
    pub capabilities: Capabilities,
}

/// Every platform.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PlatformList {
    pub data: Vec<PlatformView>,
}

/// Every registered platform, in registry order.
pub fn describe() -> PlatformList {
    PlatformList {
        data: registry::connectors()
            .iter()
            .map(|c| PlatformView {
                name: c.name.to_owned(),
                credentials: c.credentials.iter().map(|s| (*s).to_owned()).collect(),
                credential_sets: c.credential_sets.to_vec(),
                optional_credentials: c.optional_credentials.to_vec(),
                settings: c.settings.to_vec(),
                capabilities: (c.capabilities)(),
            })
            .collect(),
    }
}

#[utoipa::path(get, path = "/v1/platforms", responses((status = 200, body = PlatformList)), security(("api_key" = [])))]
pub async fn list() -> Json<PlatformList> {
    Json(describe())
}
