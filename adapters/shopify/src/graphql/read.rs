//! The GraphQL Admin API read path: paged listings (`first`/`after`, search syntax for
//! incremental reads), single records by GID and counts, all through the GraphQL
//! transport whose governor counts cost points. Nested connections longer than the
//! page asks for are completed afterwards ([`crate::graphql::complete`]).

use polycart_kit::adapter::{Cursor, ListQuery, Page};
use polycart_kit::model::{Entity, Record};
use polycart_kit::transport::Request;
use polycart_kit::{Error, Result};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::{Value, json};

use crate::ShopifyAdapter;
use crate::client::MAX_PAGE;
use crate::graphql::queries::{self, connection_cost, node_cost, page_size_for};

/// What the cursor of a GraphQL listing holds: the connection's `endCursor`, the
/// location an inventory listing is in, or the place in a bulk export.
#[derive(Debug, Default, Serialize, Deserialize)]
pub(crate) struct GqlCursor {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) after: Option<String>,
    /// Which location an inventory listing is in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) location: Option<usize>,
    /// The bulk operation a full pass reads from (its GID).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) bulk: Option<String>,
    /// Records of that export already returned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) at: Option<u64>,
    /// Times the export was found still running (keeps each waiting cursor distinct).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) polls: Option<u32>,
    /// Since when (Unix milliseconds) a bulk pass waits for a free bulk slot.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) slot_since: Option<i64>,
}

impl GqlCursor {
    pub(crate) fn of(query: &ListQuery) -> Result<Self> {
        Ok(query
            .cursor
            .as_ref()
            .map(Cursor::decode)
            .transpose()?
            .unwrap_or_default())
    }
}

/// The root field and GraphQL type of an entity's records.
fn root(entity: Entity) -> (&'static str, &'static str, &'static str) {
    match entity {
        Entity::Order => ("orders", "order", "Order"),
        Entity::Product => ("products", "product", "Product"),
        Entity::Customer => ("customers", "customer", "Customer"),
        Entity::Category => ("collections", "collection", "Collection"),
        Entity::Inventory => ("inventoryLevels", "inventoryLevel", "InventoryLevel"),
    }
}

/// The query of a page of `first` records of `entity` (variables `$first`, `$after`,
/// `$query`, and `$id` of the location for inventory levels) and its requested cost.
pub(crate) fn page_query(entity: Entity, first: u32) -> (String, u32) {
    let fields = queries::paged(queries::selection(entity));
    let cost = connection_cost(first, node_cost(entity));
    if entity == Entity::Inventory {
        let q = format!(
            "query($id: ID!, $first: Int!, $after: String, $query: String) {{ location(id: $id) {{ inventoryLevels(first: $first, after: $after, query: $query) {{ nodes {{ {fields} }} pageInfo {{ hasNextPage endCursor }} }} }} }}"
        );
        return (q, 1 + cost);
    }
    let (field, _, _) = root(entity);
    let q = format!(
        "query($first: Int!, $after: String, $query: String) {{ {field}(first: $first, after: $after, query: $query) {{ nodes {{ {fields} }} pageInfo {{ hasNextPage endCursor }} }} }}"
    );
    (q, cost)
}

/// Search syntax for the query's incremental filters.
pub(crate) fn search(query: &ListQuery) -> Option<String> {
    let mut terms = Vec::new();
    if let Some(t) = query.updated_since {
        terms.push(format!(
            "updated_at:>='{}'",
            t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        ));
    }
    if let Some(t) = query.created_since {
        terms.push(format!(
            "created_at:>='{}'",
            t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        ));
    }
    (!terms.is_empty()).then(|| terms.join(" AND "))
}

/// Warns when Shopify asked more points for a query than the governor reserved: the
/// governor would then let queries through that Shopify throttles.
pub(crate) fn check_cost(body: &Value, reserved: u32) {
    let requested = body["extensions"]["cost"]["requestedQueryCost"].as_f64();
    if let Some(requested) = requested.filter(|r| *r > f64::from(reserved)) {
        tracing::warn!(
            requested,
            reserved,
            "a GraphQL query cost more than estimated"
        );
    }
}

impl ShopifyAdapter {
    /// Sends a GraphQL query spending `cost` points; returns `data`.
    pub(crate) async fn gql(&self, query: &str, variables: Value, cost: u32) -> Result<Value> {
        let transport = self
            .graphql
            .as_ref()
            .ok_or_else(|| Error::invalid("this store reads through REST"))?;
        let request = Request::post(
            self.config
                .rest_url(&polycart_kit::ApiPath::new("graphql.json")),
        )
        .json(&json!({ "query": query, "variables": variables }))
        .idempotent(true)
        .cost(cost);
        let mut body: Value = transport.send(request).await?.json()?;
        check_cost(&body, cost);
        match body.get_mut("data") {
            Some(data) if !data.is_null() => Ok(data.take()),
            _ => Err(Error::decode("$.data", "a GraphQL response without data")),
        }
    }

    /// Completes the nodes' nested connections and maps them.
    pub(crate) async fn map_nodes(
        &self,
        entity: Entity,
        mut nodes: Vec<Value>,
    ) -> Result<Vec<Record>> {
        self.complete(entity, &mut nodes).await?;
        let raws = nodes
            .iter()
            .map(|n| {
                serde_json::value::to_raw_value(n).map_err(|e| Error::decode("$", e.to_string()))
            })
            .collect::<Result<Vec<_>>>()?;
        let refs: Vec<&RawValue> = raws.iter().map(|r| r.as_ref()).collect();
        self.map_records(entity, &refs).await
    }

    /// Maps records stitched from a bulk export: decoded once from their text, except
    /// those holding what the bulk query could not carry, completed through `Value`.
    pub(crate) async fn map_stitched(
        &self,
        entity: Entity,
        stitched: Vec<crate::graphql::bulk_file::Stitched>,
    ) -> Result<Vec<Record>> {
        let mut at = Vec::new();
        let mut incomplete = Vec::new();
        for (i, s) in stitched.iter().enumerate().filter(|(_, s)| s.incomplete) {
            at.push(i);
            incomplete.push(
                serde_json::from_str::<Value>(s.text.get())
                    .map_err(|e| Error::decode("$", e.to_string()))?,
            );
        }
        self.complete(entity, &mut incomplete).await?;
        let completed = incomplete
            .iter()
            .map(|n| {
                serde_json::value::to_raw_value(n).map_err(|e| Error::decode("$", e.to_string()))
            })
            .collect::<Result<Vec<_>>>()?;
        let mut refs: Vec<&RawValue> = stitched.iter().map(|s| s.text.as_ref()).collect();
        for (i, raw) in at.into_iter().zip(&completed) {
            refs[i] = &**raw;
        }
        self.map_records(entity, &refs).await
    }

    async fn location_gids(&self) -> Result<&Vec<String>> {
        self.locations
            .get_or_try_init(|| async {
                let data = self
                    .gql(
                        "{ locations(first: 250) { nodes { id } } }",
                        json!({}),
                        connection_cost(250, 1),
                    )
                    .await?;
                Ok(data["locations"]["nodes"]
                    .as_array()
                    .map(|ls| {
                        ls.iter()
                            .filter_map(|l| l["id"].as_str().map(str::to_owned))
                            .collect()
                    })
                    .unwrap_or_default())
            })
            .await
    }

    /// One page of a paged GraphQL listing.
    pub(crate) async fn list_graphql(&self, query: &ListQuery) -> Result<Page> {
        let entity = query.entity;
        let cursor = GqlCursor::of(query)?;
        let first = page_size_for(entity, query.page_size_or(MAX_PAGE));
        let (q, cost) = page_query(entity, first);
        let vars = json!({"first": first, "after": cursor.after, "query": search(query)});
        if entity == Entity::Inventory {
            return self.list_levels(cursor, &q, vars, cost).await;
        }
        let (field, _, _) = root(entity);
        let data = self.gql(&q, vars, cost).await?;
        let conn = &data[field];
        let nodes = conn["nodes"]
            .as_array()
            .cloned()
            .ok_or_else(|| Error::decode(format!("$.data.{field}.nodes"), "missing"))?;
        let records = self.map_nodes(entity, nodes).await?;
        let next = (conn["pageInfo"]["hasNextPage"].as_bool() == Some(true)).then(|| {
            Cursor::encode(&GqlCursor {
                after: conn["pageInfo"]["endCursor"].as_str().map(str::to_owned),
                ..GqlCursor::default()
            })
        });
        Ok(Page { records, next })
    }

    /// Inventory levels, location by location (`location(id:) { inventoryLevels }`).
    async fn list_levels(
        &self,
        cursor: GqlCursor,
        q: &str,
        mut vars: Value,
        cost: u32,
    ) -> Result<Page> {
        let locations = self.location_gids().await?;
        let index = cursor.location.unwrap_or(0);
        let Some(location) = locations.get(index) else {
            return Ok(Page::last(Vec::new()));
        };
        vars["id"] = json!(location);
        let data = self.gql(q, vars, cost).await?;
        let conn = &data["location"]["inventoryLevels"];
        let nodes = conn["nodes"].as_array().cloned().unwrap_or_default();
        let records = self.map_nodes(Entity::Inventory, nodes).await?;
        let next = if conn["pageInfo"]["hasNextPage"].as_bool() == Some(true) {
            Some(GqlCursor {
                after: conn["pageInfo"]["endCursor"].as_str().map(str::to_owned),
                location: Some(index),
                ..GqlCursor::default()
            })
        } else if index + 1 < locations.len() {
            Some(GqlCursor {
                location: Some(index + 1),
                ..GqlCursor::default()
            })
        } else {
            None
        };
        Ok(Page {
            records,
            next: next.map(|c| Cursor::encode(&c)),
        })
    }

    pub(crate) async fn get_graphql(&self, entity: Entity, id: &str) -> Result<Record> {
        let fields = queries::paged(queries::selection(entity));
        let (q, vars, cost, path) = if entity == Entity::Inventory {
            let (item, location) = crate::ids::inventory_level(id)?;
            (
                format!(
                    "query($id: ID!, $location: ID!) {{ inventoryItem(id: $id) {{ inventoryLevel(locationId: $location) {{ {fields} }} }} }}"
                ),
                json!({
                    "id": format!("gid://shopify/InventoryItem/{item}"),
                    "location": format!("gid://shopify/Location/{location}"),
                }),
                1 + node_cost(entity),
                vec!["inventoryItem", "inventoryLevel"],
            )
        } else {
            let (_, field, kind) = root(entity);
            (
                format!("query($id: ID!) {{ {field}(id: $id) {{ {fields} }} }}"),
                json!({"id": crate::ids::gid(kind, id)?}),
                node_cost(entity),
                vec![field],
            )
        };
        let mut data = self.gql(&q, vars, cost).await?;
        let mut node = &mut data;
        for key in path {
            node = &mut node[key];
        }
        let node = node.take();
        if node.is_null() {
            return Err(Error::not_found(format!("{entity} {id}")));
        }
        self.map_nodes(entity, vec![node])
            .await?
            .pop()
            .ok_or_else(|| Error::not_found(format!("{entity} {id}")))
    }

    pub(crate) async fn count_graphql(&self, query: &ListQuery) -> Result<u64> {
        let field = match query.entity {
            Entity::Order => "ordersCount",
            Entity::Product => "productsCount",
            Entity::Customer => "customersCount",
            Entity::Category => "collectionsCount",
            Entity::Inventory => {
                return Err(Error::unsupported(
                    crate::mapping::PLATFORM,
                    "counting inventory levels",
                ));
            }
        };
        // `limit: null`: Shopify caps counts at 10,000 unless asked not to.
        let q = format!(
            "query($query: String) {{ {field}(query: $query, limit: null) {{ count precision }} }}"
        );
        let data = self.gql(&q, json!({"query": search(query)}), 1).await?;
        data[field]["count"]
            .as_u64()
            .ok_or_else(|| Error::decode(format!("$.data.{field}.count"), "missing"))
    }
}

#[cfg(all(test, feature = "sim"))]
pub(crate) mod tests {
    use super::*;
    use polycart_kit::sim::{FaultSpec, Faults, SimOptions, StoreSize};
    use tower::ServiceExt;

    /// What the simulator, pricing by Shopify's published rules, asks for a query.
    pub(crate) async fn requested(
        app: &axum::Router,
        token: &str,
        query: &str,
        vars: Value,
    ) -> f64 {
        post(app, token, query, vars).await["extensions"]["cost"]["requestedQueryCost"]
            .as_f64()
            .unwrap()
    }

    /// A GraphQL request to the simulator; its whole answer (errors fail the test).
    pub(crate) async fn post(app: &axum::Router, token: &str, query: &str, vars: Value) -> Value {
        post_on(app, token, "2026-01", query, vars).await
    }

    /// [`post`] on an API version.
    async fn post_on(
        app: &axum::Router,
        token: &str,
        version: &str,
        query: &str,
        vars: Value,
    ) -> Value {
        let body = serde_json::to_vec(&json!({"query": query, "variables": vars})).unwrap();
        let req = http::Request::post(format!("/admin/api/{version}/graphql.json"))
            .header("x-shopify-access-token", token)
            .header("content-type", "application/json")
            .body(axum::body::Body::from(body))
            .unwrap();
        let res = app.clone().oneshot(req).await.unwrap();
        let bytes = axum::body::to_bytes(res.into_body(), usize::MAX)
            .await
            .unwrap();
        let v: Value = serde_json::from_slice(&bytes).unwrap();
        assert!(v.get("errors").is_none(), "{v}");
        v
    }

    /// A small simulated store and its router.
    pub(crate) fn sim() -> (std::sync::Arc<crate::sim::SimState>, axum::Router) {
        let options = SimOptions {
            seed: 1,
            size: StoreSize {
                products: 2,
                customers: 2,
                orders: 2,
            },
            plan: Some("plus".into()),
            faults: FaultSpec::none(),
        };
        let state = crate::sim::SimState::new(&options);
        let app = crate::sim::router(state.clone(), &Faults::new(FaultSpec::none(), 1));
        (state, app)
    }

    #[tokio::test]
    async fn reserved_points_are_what_shopify_asks() {
        let (state, app) = sim();
        let token = state.access_token.clone();
        let location = format!("gid://shopify/Location/{}", state.store().locations[0].id);
        for entity in Entity::ALL {
            let first = page_size_for(entity, 250);
            let (q, cost) = page_query(entity, first);
            let vars = json!({"first": first, "id": location});
            assert_eq!(
                requested(&app, &token, &q, vars).await,
                f64::from(cost),
                "{entity}: the governor reserves what Shopify charges"
            );
        }
    }

    /// The simulator validates against Shopify's real schema of each version it ships
    /// (and the adapter's default): every page query and bulk query the adapter
    /// sends must pass on all of them.
    #[tokio::test]
    async fn page_and_bulk_queries_are_valid_on_every_shipped_version() {
        for version in ["2025-07", "2026-01", "2026-07", "2026-10"] {
            for entity in Entity::ALL {
                let (state, app) = sim();
                let token = state.access_token.clone();
                let location = format!("gid://shopify/Location/{}", state.store().locations[0].id);
                let (q, _) = page_query(entity, 2);
                post_on(
                    &app,
                    &token,
                    version,
                    &q,
                    json!({"first": 2, "id": location}),
                )
                .await;
                if crate::graphql::bulk::exportable(entity) {
                    let run = crate::graphql::bulk::run_mutation(version, false);
                    let query =
                        crate::graphql::bulk::bulk_query(entity, Some("updated_at:>='2020-01-01'"));
                    let body = post_on(&app, &token, version, &run, json!({"q": query})).await;
                    let errors = &body["data"]["bulkOperationRunQuery"]["userErrors"];
                    assert_eq!(errors, &json!([]), "{version} {entity}: {query}");
                }
            }
        }
    }
}
