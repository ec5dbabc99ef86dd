//! Reading unified records: per store (`/v1/stores/{store}/{entity}`), by id, counts,
//! across stores (`/v1/{entity}?stores=a,b`), and live through the adapter
//! (`live=true`). Lists page by keyset on the platform id, so paging to the end while
//! records change neither loses nor repeats one.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Extension, Path, Query, State};
use base64::Engine;
use chrono::{DateTime, Utc};
use polycart_kit::{Cursor, Entity, ListQuery};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::AppState;
use super::auth::Caller;
use super::error::ApiError;
use super::fields;
use crate::store::StoredRecord;

/// Query parameters of list and count requests.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
pub struct ListParams {
    /// Records per page, 1..=250 (default 50).
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    pub updated_since: Option<DateTime<Utc>>,
    pub created_since: Option<DateTime<Utc>>,
    /// Normalised status (`completed`, `active`, ...).
    pub status: Option<String>,
    pub financial_status: Option<String>,
    /// A SKU of the product, a variant or an order line.
    pub sku: Option<String>,
    /// The customer's (or order's) email, case-insensitive.
    pub email: Option<String>,
    /// Comma-separated fields to return (`id` is always returned).
    pub fields: Option<String>,
    /// Include the platform's raw payload.
    pub include_raw: Option<bool>,
    /// Read through the adapter instead of the sync store.
    pub live: Option<bool>,
    /// Cross-store reads: comma-separated store ids (default every store the key sees).
    pub stores: Option<String>,
}

/// A page of records.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ListResponse {
    #[schema(value_type = Vec<Object>)]
    pub data: Vec<Value>,
    /// Pass as `cursor` for the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// A count.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CountResponse {
    pub count: u64,
}

/// Where a listing continues: the store (for cross-store reads) and the last id.
#[derive(Debug, Default, Serialize, Deserialize)]
struct PageCursor {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    store: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    after: Option<String>,
    /// A live listing's adapter cursor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    live: Option<String>,
}

impl PageCursor {
    fn encode(&self) -> String {
        let json = serde_json::to_vec(self).expect("cursors serialise");
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json)
    }

    fn decode(text: Option<&str>) -> Result<Self, ApiError> {
        let Some(text) = text.filter(|t| !t.is_empty()) else {
            return Ok(Self::default());
        };
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(text)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .ok_or_else(|| ApiError::Invalid("invalid cursor".into()))
    }
}

pub(crate) fn parse_entity(plural: &str) -> Result<Entity, ApiError> {
    Entity::ALL
        .into_iter()
        .find(|e| e.plural() == plural)
        .ok_or_else(|| ApiError::NotFound(format!("resource {plural}")))
}

/// What a listing keeps. `/v1` sets the first six from [`ListParams`]; the
/// API2Cart-compatible surface also bounds dates from above, picks ids and searches
/// one field.
#[derive(Debug, Default)]
pub(crate) struct Filters {
    pub(crate) updated_since: Option<DateTime<Utc>>,
    pub(crate) created_since: Option<DateTime<Utc>>,
    pub(crate) status: Option<String>,
    pub(crate) financial_status: Option<String>,
    pub(crate) sku: Option<String>,
    pub(crate) email: Option<String>,
    /// Modified at or before.
    pub(crate) updated_until: Option<DateTime<Utc>>,
    /// Created at or before.
    pub(crate) created_until: Option<DateTime<Utc>>,
    /// Only these platform ids.
    pub(crate) ids: Option<Vec<String>>,
    /// A top-level text field of the unified document containing a value
    /// (case-insensitive).
    pub(crate) contains: Option<(String, String)>,
}

/// Refuses a `status` or `financial_status` the entity cannot have, naming the values
/// it can (an unknown status would silently match nothing).
fn check_status_filters(entity: Entity, p: &ListParams) -> Result<(), ApiError> {
    use polycart_kit::model::{FinancialStatus, OrderStatus, ProductStatus};
    let check = |name: &str, given: &Option<String>, valid: Option<Vec<&'static str>>| {
        let Some(given) = given else { return Ok(()) };
        match valid {
            Some(valid) if valid.contains(&given.as_str()) => Ok(()),
            Some(valid) => Err(ApiError::Invalid(format!(
                "unknown {name} {:?} for {}; valid: {}",
                polycart_kit::error::excerpt(given, 40),
                entity.plural(),
                valid.join(", ")
            ))),
            None => Err(ApiError::Invalid(format!(
                "{} have no {name} to filter on",
                entity.plural()
            ))),
        }
    };
    let names = |all: &[&'static str]| Some(all.to_vec());
    let status = match entity {
        Entity::Order => names(
            &OrderStatus::ALL
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>(),
        ),
        Entity::Product => names(
            &ProductStatus::ALL
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>(),
        ),
        _ => None,
    };
    check("status", &p.status, status)?;
    let financial = (entity == Entity::Order)
        .then(|| FinancialStatus::ALL.iter().map(|s| s.as_str()).collect());
    check("financial_status", &p.financial_status, financial)
}

impl Filters {
    fn from(p: &ListParams) -> Self {
        Self {
            updated_since: p.updated_since,
            created_since: p.created_since,
            status: p.status.clone(),
            financial_status: p.financial_status.clone(),
            sku: p.sku.clone(),
            email: p.email.as_ref().map(|e| e.to_lowercase()),
            ..Self::default()
        }
    }

    /// Whether nothing but the store and entity narrows the listing (a count is then
    /// the store's own).
    pub(crate) fn is_empty(&self) -> bool {
        !self.needs_document()
            && self.updated_since.is_none()
            && self.created_since.is_none()
            && self.updated_until.is_none()
            && self.created_until.is_none()
            && self.ids.is_none()
    }

    fn needs_document(&self) -> bool {
        self.status.is_some()
            || self.financial_status.is_some()
            || self.sku.is_some()
            || self.email.is_some()
            || self.contains.is_some()
    }

    fn matches_columns(&self, r: &StoredRecord) -> bool {
        self.updated_since
            .is_none_or(|s| r.updated_at.is_some_and(|u| u >= s))
            && self
                .created_since
                .is_none_or(|s| r.created_at.is_some_and(|c| c >= s))
            && self
                .updated_until
                .is_none_or(|s| r.updated_at.is_some_and(|u| u <= s))
            && self
                .created_until
                .is_none_or(|s| r.created_at.is_some_and(|c| c <= s))
            && self
                .ids
                .as_ref()
                .is_none_or(|ids| ids.contains(&r.platform_id))
    }

    fn matches_document(&self, doc: &Value) -> bool {
        let str_at = |v: &Value, key: &str| v.get(key).and_then(Value::as_str).map(str::to_owned);
        if let Some(s) = &self.status {
            if str_at(doc, "status").as_deref() != Some(s) {
                return false;
            }
        }
        if let Some(s) = &self.financial_status {
            if str_at(doc, "financial_status").as_deref() != Some(s) {
                return false;
            }
        }
        if let Some(sku) = &self.sku {
            let in_list = |key: &str| {
                doc.get(key).and_then(Value::as_array).is_some_and(|items| {
                    items
                        .iter()
                        .any(|i| str_at(i, "sku").as_deref() == Some(sku))
                })
            };
            if str_at(doc, "sku").as_deref() != Some(sku)
                && !in_list("variants")
                && !in_list("line_items")
            {
                return false;
            }
        }
        if let Some(email) = &self.email {
            let own = str_at(doc, "email").map(|e| e.to_lowercase());
            let customer = doc
                .get("customer")
                .and_then(|c| str_at(c, "email"))
                .map(|e| e.to_lowercase());
            if own.as_deref() != Some(email) && customer.as_deref() != Some(email) {
                return false;
            }
        }
        if let Some((field, needle)) = &self.contains {
            let found = str_at(doc, field)
                .is_some_and(|v| v.to_lowercase().contains(&needle.to_lowercase()));
            if !found {
                return false;
            }
        }
        true
    }
}

fn output(doc: &str, fields: &[String], include_raw: bool) -> Result<Value, ApiError> {
    let value: Value = serde_json::from_str(doc)
        .map_err(|e| ApiError::Internal(format!("stored document: {e}")))?;
    Ok(fields::select(value, fields, include_raw))
}

/// Up to `limit` matching records of one store after `after`, and whether more follow.
pub(crate) async fn page_of_store(
    state: &AppState,
    store_id: &str,
    entity: Entity,
    after: Option<String>,
    limit: usize,
    filters: &Filters,
) -> Result<(Vec<StoredRecord>, Option<String>), ApiError> {
    let batch = (limit + 1).max(100) as i64;
    let mut after = after;
    let mut out: Vec<StoredRecord> = Vec::new();
    loop {
        let rows = state
            .store
            .list_records(store_id, entity, after.as_deref(), batch, false)
            .await?;
        let exhausted = (rows.len() as i64) < batch;
        for r in rows {
            after = Some(r.platform_id.clone());
            if !filters.matches_columns(&r) {
                continue;
            }
            if filters.needs_document() {
                let doc: Value = serde_json::from_str(&r.document).unwrap_or(Value::Null);
                if !filters.matches_document(&doc) {
                    continue;
                }
            }
            out.push(r);
            if out.len() > limit {
                out.pop();
                let last = out.last().map(|r| r.platform_id.clone());
                return Ok((out, last));
            }
        }
        if exhausted {
            return Ok((out, None));
        }
    }
}

/// `GET /v1/stores/{store}/{entity}`
#[utoipa::path(get, path = "/v1/stores/{store}/{entity}", params(("store" = String, Path), ("entity" = String, Path, description = "orders, products, customers, categories or inventory"), ListParams),
    responses((status = 200, body = ListResponse), (status = 404, body = super::error::ErrorEnvelope)), security(("api_key" = [])))]
pub async fn list(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    Path((store_id, entity)): Path<(String, String)>,
    Query(params): Query<ListParams>,
) -> Result<Json<ListResponse>, ApiError> {
    caller.check_store(&store_id)?;
    let entity = parse_entity(&entity)?;
    check_status_filters(entity, &params)?;
    state.store.get_store(&store_id).await?;
    let limit = super::bounds::LIST_LIMIT.or(params.limit.map(i64::from), 50)? as usize;
    let fields = fields::parse(params.fields.as_deref()).map_err(ApiError::Invalid)?;
    let include_raw = params.include_raw.unwrap_or(false);
    let cursor = PageCursor::decode(params.cursor.as_deref())?;
    if params.live.unwrap_or(false) {
        return list_live(
            &state,
            &store_id,
            entity,
            &params,
            limit,
            cursor,
            &fields,
            include_raw,
        )
        .await;
    }
    let filters = Filters::from(&params);
    let (rows, next) =
        page_of_store(&state, &store_id, entity, cursor.after, limit, &filters).await?;
    let data = rows
        .iter()
        .map(|r| output(&r.document, &fields, include_raw))
        .collect::<Result<_, _>>()?;
    let next_cursor = next.map(|after| {
        PageCursor {
            after: Some(after),
            ..Default::default()
        }
        .encode()
    });
    Ok(Json(ListResponse { data, next_cursor }))
}

#[allow(clippy::too_many_arguments)]
async fn list_live(
    state: &AppState,
    store_id: &str,
    entity: Entity,
    params: &ListParams,
    limit: usize,
    cursor: PageCursor,
    fields: &[String],
    include_raw: bool,
) -> Result<Json<ListResponse>, ApiError> {
    let adapter = state.adapter(store_id).await?;
    let mut query = ListQuery::new(entity).page_size(limit as u32);
    query.updated_since = params.updated_since;
    query.created_since = params.created_since;
    query.status = params.status.clone();
    query.cursor = cursor.live.map(Cursor::new);
    let page = adapter.list(&query).await?;
    let data = page
        .records
        .into_iter()
        .map(|mut r| {
            r.assign_store(store_id);
            let value = serde_json::to_value(&r).map_err(|e| ApiError::Internal(e.to_string()))?;
            Ok(fields::select(value, fields, include_raw))
        })
        .collect::<Result<_, ApiError>>()?;
    let next_cursor = page.next.map(|c| {
        PageCursor {
            live: Some(c.as_str().to_owned()),
            ..Default::default()
        }
        .encode()
    });
    Ok(Json(ListResponse { data, next_cursor }))
}

/// `GET /v1/stores/{store}/{entity}/count`
#[utoipa::path(get, path = "/v1/stores/{store}/{entity}/count", params(("store" = String, Path), ("entity" = String, Path), ListParams),
    responses((status = 200, body = CountResponse)), security(("api_key" = [])))]
pub async fn count(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    Path((store_id, entity)): Path<(String, String)>,
    Query(params): Query<ListParams>,
) -> Result<Json<CountResponse>, ApiError> {
    caller.check_store(&store_id)?;
    let entity = parse_entity(&entity)?;
    check_status_filters(entity, &params)?;
    state.store.get_store(&store_id).await?;
    if params.live.unwrap_or(false) {
        let adapter = state.adapter(&store_id).await?;
        let mut query = ListQuery::new(entity);
        query.updated_since = params.updated_since;
        query.created_since = params.created_since;
        query.status = params.status.clone();
        return Ok(Json(CountResponse {
            count: adapter.count(&query).await?,
        }));
    }
    let filters = Filters::from(&params);
    Ok(Json(CountResponse {
        count: count_matching(&state, &store_id, entity, &filters).await?,
    }))
}

/// How many stored records of one store match `filters`.
pub(crate) async fn count_matching(
    state: &AppState,
    store_id: &str,
    entity: Entity,
    filters: &Filters,
) -> Result<u64, ApiError> {
    if filters.is_empty() {
        return Ok(state.store.count_records(store_id, entity, false).await?);
    }
    let mut count = 0u64;
    let mut after = None;
    loop {
        let (rows, next) = page_of_store(state, store_id, entity, after, 1000, filters).await?;
        count += rows.len() as u64;
        match next {
            Some(n) => after = Some(n),
            None => return Ok(count),
        }
    }
}

/// `GET /v1/stores/{store}/{entity}/{id}`: by platform id or polycart id.
#[utoipa::path(get, path = "/v1/stores/{store}/{entity}/{id}", params(("store" = String, Path), ("entity" = String, Path), ("id" = String, Path), ListParams),
    responses((status = 200, body = Object), (status = 404, body = super::error::ErrorEnvelope)), security(("api_key" = [])))]
pub async fn get_one(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    Path((store_id, entity, id)): Path<(String, String, String)>,
    Query(params): Query<ListParams>,
) -> Result<Json<Value>, ApiError> {
    if id == "count" {
        // `/orders/{id}` and `/orders/count` share a route shape where writes exist.
        let Json(c) = count(
            State(state),
            Extension(caller),
            Path((store_id, entity)),
            Query(params),
        )
        .await?;
        return Ok(Json(serde_json::json!({ "count": c.count })));
    }
    caller.check_store(&store_id)?;
    let entity = parse_entity(&entity)?;
    state.store.get_store(&store_id).await?;
    let platform_id = super::ids::platform_id(&store_id, &id)?;
    let fields = fields::parse(params.fields.as_deref()).map_err(ApiError::Invalid)?;
    let include_raw = params.include_raw.unwrap_or(false);
    if params.live.unwrap_or(false) {
        let adapter = state.adapter(&store_id).await?;
        let mut record = adapter.get(entity, &platform_id).await?;
        record.assign_store(&store_id);
        let value = serde_json::to_value(&record).map_err(|e| ApiError::Internal(e.to_string()))?;
        return Ok(Json(fields::select(value, &fields, include_raw)));
    }
    match state
        .store
        .get_record(&store_id, entity, &platform_id)
        .await?
    {
        Some(r) if !r.deleted => Ok(Json(output(&r.document, &fields, include_raw)?)),
        _ => Err(ApiError::NotFound(format!(
            "{} {platform_id}",
            entity.as_str()
        ))),
    }
}

/// `GET /v1/{entity}?stores=a,b`: one listing over several stores.
#[utoipa::path(get, path = "/v1/{entity}", params(("entity" = String, Path), ListParams),
    responses((status = 200, body = ListResponse)), security(("api_key" = [])))]
pub async fn list_across(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    Path(entity): Path<String>,
    Query(params): Query<ListParams>,
) -> Result<Json<ListResponse>, ApiError> {
    let entity = parse_entity(&entity)?;
    check_status_filters(entity, &params)?;
    let limit = super::bounds::LIST_LIMIT.or(params.limit.map(i64::from), 50)? as usize;
    let fields = fields::parse(params.fields.as_deref()).map_err(ApiError::Invalid)?;
    let include_raw = params.include_raw.unwrap_or(false);
    let mut stores: Vec<String> = match params.stores.as_deref().filter(|s| !s.is_empty()) {
        Some(list) => {
            let ids: Vec<String> = list
                .split(',')
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
                .collect();
            for id in &ids {
                caller.check_store(id)?;
                state.store.get_store(id).await?;
            }
            ids
        }
        None => state
            .store
            .list_stores()
            .await?
            .into_iter()
            .map(|s| s.id)
            .filter(|id| caller.sees(id))
            .collect(),
    };
    stores.sort();
    stores.dedup();
    let cursor = PageCursor::decode(params.cursor.as_deref())?;
    let filters = Filters::from(&params);
    let start = match &cursor.store {
        Some(s) => stores
            .iter()
            .position(|id| id == s)
            .ok_or_else(|| ApiError::Invalid("cursor names another store set".into()))?,
        None => 0,
    };
    let mut data = Vec::new();
    let mut after = cursor.after;
    for store_id in &stores[start..] {
        let want = limit - data.len();
        let (rows, next) =
            page_of_store(&state, store_id, entity, after.take(), want, &filters).await?;
        for r in &rows {
            data.push(output(&r.document, &fields, include_raw)?);
        }
        if let Some(next) = next {
            let c = PageCursor {
                store: Some(store_id.clone()),
                after: Some(next),
                live: None,
            };
            return Ok(Json(ListResponse {
                data,
                next_cursor: Some(c.encode()),
            }));
        }
        if data.len() >= limit {
            let idx = stores.iter().position(|s| s == store_id).unwrap_or(0);
            let next_cursor = stores.get(idx + 1).map(|s| {
                PageCursor {
                    store: Some(s.clone()),
                    after: None,
                    live: None,
                }
                .encode()
            });
            return Ok(Json(ListResponse { data, next_cursor }));
        }
    }
    Ok(Json(ListResponse {
        data,
        next_cursor: None,
    }))
}
