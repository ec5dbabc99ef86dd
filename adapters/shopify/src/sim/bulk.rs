//! Bulk operations in the simulator, after Shopify's bulk operations guide:
//! `bulkOperationRunQuery(query:, groupObjects:)` checks the query against the bulk
//! rules ([`super::bulk_rules`]) and the shop's bulk slots (one query at a time before
//! 2026-01, five from 2026-01; `userErrors` with a `code` otherwise), then runs it in
//! the background with connections unpaged and writes JSONL: every node of a
//! connection on its own line, nested connections' nodes with `__parentId`, grouped
//! under their parent only when `groupObjects` is true (the default before 2026-01),
//! else in an order that does not follow the parents. `currentBulkOperation`,
//! `bulkOperation(id:)`, `bulkOperations` (both 2026-01 and later) and `node(id:)` report `status`,
//! `objectCount`, `rootObjectCount`, `fileSize`, `url` (null when nothing matched)
//! and, for a failed run, `partialDataUrl`. `bulkOperationCancel` cancels; results
//! expire. A `bulk_operations/finish` webhook goes to its subscribers. Files are
//! served at `/bulk/{id}.jsonl` without the access token, like signed storage URLs.

use std::sync::Arc;

use async_graphql::{Context, Enum, ID, Name, Object, SimpleObject, Value as GqlValue};
use serde_json::json;

use super::SimState;
use super::schema::run::Plan;

tokio::task_local! {
    /// Set while a bulk query runs: connections without `first` return every node.
    pub(super) static BULK: bool;
}

/// Whether the current execution is a bulk run.
pub(super) fn in_bulk() -> bool {
    BULK.try_with(|b| *b).unwrap_or(false)
}

/// The API version a GraphQL request came in on (`YYYY-MM` or `unstable`).
#[derive(Debug, Clone)]
pub(super) struct ApiVersion(pub(super) String);

impl ApiVersion {
    pub(super) fn at_least(&self, since: &str) -> bool {
        self.0 == "unstable" || self.0.as_str() >= since
    }
}

/// Where the server is reached, for download URLs (from the request's Host).
#[derive(Debug, Clone)]
pub(super) struct Origin(pub(super) String);

/// One bulk operation's state.
#[derive(Debug, Clone)]
pub(super) struct Operation {
    pub(super) id: u64,
    query: String,
    status: &'static str,
    created_at: String,
    completed_at: Option<String>,
    object_count: u64,
    root_object_count: u64,
    file: Option<String>,
    partial: Option<String>,
    error_code: Option<String>,
    group: bool,
    /// The API version it was created on: its query runs against that schema.
    version: String,
    /// Created and not yet handed to the runner.
    queued: bool,
}

/// Every bulk operation of the shop and the test hooks that steer them.
#[derive(Debug, Default)]
pub(super) struct Bulk {
    ops: Vec<Operation>,
    /// Operations stay RUNNING while held.
    hold: bool,
    /// The next run fails with this error code, leaving partial data.
    fail_next: Option<String>,
}

impl Bulk {
    /// A finished operation's JSONL (`partial`: its partial data).
    pub(super) fn file(&self, id: u64, partial: bool) -> Option<String> {
        let op = self.ops.iter().find(|o| o.id == id)?;
        if partial {
            op.partial.clone()
        } else {
            op.file.clone()
        }
    }
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn running(status: &str) -> bool {
    matches!(status, "CREATED" | "RUNNING" | "CANCELING")
}

impl SimState {
    /// Keeps new bulk operations RUNNING (`true`) or lets them finish (`false`).
    pub fn hold_bulk_operations(&self, hold: bool) {
        self.bulk().hold = hold;
    }

    /// Makes the next bulk operation fail with `error_code` (`TIMEOUT`,
    /// `INTERNAL_SERVER_ERROR`, `ACCESS_DENIED`) after writing partial data.
    pub fn fail_next_bulk_operation(&self, error_code: &str) {
        self.bulk().fail_next = Some(error_code.to_owned());
    }

    /// Ends the week Shopify keeps results for: finished operations expire.
    pub fn expire_bulk_operations(&self) {
        for op in &mut self.bulk().ops {
            if !running(op.status) {
                op.status = "EXPIRED";
                op.file = None;
                op.partial = None;
            }
        }
    }

    /// Bulk operations created so far.
    pub fn bulk_operations_created(&self) -> usize {
        self.bulk().ops.len()
    }

    /// The status of every bulk operation, oldest first.
    pub fn bulk_operation_statuses(&self) -> Vec<&'static str> {
        self.bulk().ops.iter().map(|o| o.status).collect()
    }
}

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub(super) enum BulkOperationType {
    Query,
    Mutation,
}

#[derive(SimpleObject, Clone)]
pub(super) struct BulkOperation {
    pub(super) id: ID,
    status: String,
    error_code: Option<String>,
    created_at: String,
    completed_at: Option<String>,
    object_count: String,
    root_object_count: String,
    file_size: Option<String>,
    url: Option<String>,
    partial_data_url: Option<String>,
    query: String,
    #[graphql(name = "type")]
    kind: BulkOperationType,
}

fn view(op: &Operation, origin: &str) -> BulkOperation {
    BulkOperation {
        id: ID(format!("gid://shopify/BulkOperation/{}", op.id)),
        status: op.status.to_owned(),
        error_code: op.error_code.clone(),
        created_at: op.created_at.clone(),
        completed_at: op.completed_at.clone(),
        object_count: op.object_count.to_string(),
        root_object_count: op.root_object_count.to_string(),
        file_size: op.file.as_ref().map(|f| f.len().to_string()),
        url: op
            .file
            .as_ref()
            .map(|_| format!("{origin}/bulk/{}.jsonl", op.id)),
        partial_data_url: op
            .partial
            .as_ref()
            .map(|_| format!("{origin}/bulk/{}.partial.jsonl", op.id)),
        query: op.query.clone(),
        kind: BulkOperationType::Query,
    }
}

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub(super) enum BulkOperationUserErrorCode {
    Invalid,
    LimitReached,
    OperationInProgress,
}

#[derive(SimpleObject)]
pub(super) struct BulkOperationUserError {
    field: Option<Vec<String>>,
    message: String,
    code: Option<BulkOperationUserErrorCode>,
}

impl BulkOperationUserError {
    pub(super) fn invalid(message: String) -> Self {
        Self {
            field: Some(vec!["query".to_owned()]),
            message,
            code: Some(BulkOperationUserErrorCode::Invalid),
        }
    }
}

#[derive(SimpleObject)]
pub(super) struct BulkOperationRunQueryPayload {
    bulk_operation: Option<BulkOperation>,
    user_errors: Vec<BulkOperationUserError>,
}

#[derive(SimpleObject)]
pub(super) struct BulkOperationCancelPayload {
    bulk_operation: Option<BulkOperation>,
    user_errors: Vec<BulkOperationUserError>,
}

fn origin(ctx: &Context<'_>) -> String {
    ctx.data_opt::<Origin>()
        .map(|o| o.0.clone())
        .unwrap_or_default()
}

fn version(ctx: &Context<'_>) -> ApiVersion {
    ctx.data_opt::<ApiVersion>()
        .cloned()
        .unwrap_or_else(|| ApiVersion("2026-01".to_owned()))
}

fn number(id: &str) -> Option<u64> {
    id.strip_prefix("gid://shopify/BulkOperation/")?
        .parse()
        .ok()
}

#[derive(Default)]
pub(super) struct BulkMutation;

#[Object]
impl BulkMutation {
    async fn bulk_operation_run_query(
        &self,
        ctx: &Context<'_>,
        query: String,
        group_objects: Option<bool>,
    ) -> BulkOperationRunQueryPayload {
        let refuse = |errors| BulkOperationRunQueryPayload {
            bulk_operation: None,
            user_errors: errors,
        };
        let version = version(ctx);
        let errors = super::bulk_rules::check(&query, &version.0);
        if !errors.is_empty() {
            return refuse(
                errors
                    .into_iter()
                    .map(BulkOperationUserError::invalid)
                    .collect(),
            );
        }
        let state = ctx.data_unchecked::<Arc<SimState>>();
        let mut bulk = state.bulk();
        let busy: Vec<u64> = bulk
            .ops
            .iter()
            .filter(|o| running(o.status))
            .map(|o| o.id)
            .collect();
        let slots = if version.at_least("2026-01") { 5 } else { 1 };
        if busy.len() >= slots {
            let error = if slots == 1 {
                BulkOperationUserError {
                    field: None,
                    message: format!(
                        "A bulk query operation for this app and shop is already in progress: gid://shopify/BulkOperation/{}.",
                        busy[0]
                    ),
                    code: Some(BulkOperationUserErrorCode::OperationInProgress),
                }
            } else {
                BulkOperationUserError {
                    field: None,
                    message: "Bulk operations limit reached. Please try again later.".to_owned(),
                    code: Some(BulkOperationUserErrorCode::LimitReached),
                }
            };
            return refuse(vec![error]);
        }
        let op = Operation {
            id: 1_000 + bulk.ops.len() as u64,
            query,
            status: "CREATED",
            created_at: now(),
            completed_at: None,
            object_count: 0,
            root_object_count: 0,
            file: None,
            partial: None,
            error_code: None,
            group: group_objects.unwrap_or(!version.at_least("2026-01")),
            version: version.0.clone(),
            queued: true,
        };
        let out = view(&op, &origin(ctx));
        bulk.ops.push(op);
        BulkOperationRunQueryPayload {
            bulk_operation: Some(out),
            user_errors: Vec::new(),
        }
    }

    async fn bulk_operation_cancel(&self, ctx: &Context<'_>, id: ID) -> BulkOperationCancelPayload {
        let state = ctx.data_unchecked::<Arc<SimState>>();
        let mut bulk = state.bulk();
        let Some(op) = number(&id).and_then(|n| bulk.ops.iter_mut().find(|o| o.id == n)) else {
            return BulkOperationCancelPayload {
                bulk_operation: None,
                user_errors: vec![BulkOperationUserError {
                    field: Some(vec!["id".to_owned()]),
                    message: "Bulk operation does not exist".to_owned(),
                    code: None,
                }],
            };
        };
        if !running(op.status) {
            let message = format!(
                "A bulk operation cannot be canceled when it is {}",
                op.status.to_ascii_lowercase()
            );
            return BulkOperationCancelPayload {
                bulk_operation: Some(view(op, &origin(ctx))),
                user_errors: vec![BulkOperationUserError {
                    field: None,
                    message,
                    code: None,
                }],
            };
        }
        // A run not started yet is cancelled at once; a running one when it stops.
        op.status = if op.queued { "CANCELED" } else { "CANCELING" };
        if op.queued {
            op.queued = false;
            op.completed_at = Some(now());
        }
        BulkOperationCancelPayload {
            bulk_operation: Some(view(op, &origin(ctx))),
            user_errors: Vec::new(),
        }
    }
}

/// `currentBulkOperation(type:)`: the app's most recent bulk operation of a type.
pub(super) fn current(ctx: &Context<'_>, kind: Option<BulkOperationType>) -> Option<BulkOperation> {
    if kind == Some(BulkOperationType::Mutation) {
        return None;
    }
    let state = ctx.data_unchecked::<Arc<SimState>>();
    let bulk = state.bulk();
    bulk.ops.last().map(|op| view(op, &origin(ctx)))
}

/// `bulkOperations(first:, after:, query:)`, added in 2026-01 with the five
/// concurrent operations: the app's operations, newest first, filtered by the terms
/// `status:` and `operation_type:` (joined by spaces or `AND`; others are ignored,
/// as Shopify ignores filters it does not know).
pub(super) fn list(
    ctx: &Context<'_>,
    first: Option<i32>,
    after: Option<String>,
    query: Option<String>,
) -> async_graphql::Result<async_graphql::connection::Connection<String, BulkOperation>> {
    let mut status: Option<String> = None;
    let mut kind: Option<String> = None;
    for term in query.as_deref().unwrap_or_default().split_whitespace() {
        if let Some(v) = term.strip_prefix("status:") {
            status = Some(v.trim_matches(['\'', '"']).to_ascii_uppercase());
        } else if let Some(v) = term.strip_prefix("operation_type:") {
            kind = Some(v.trim_matches(['\'', '"']).to_ascii_lowercase());
        }
    }
    let origin = origin(ctx);
    let items: Vec<(u64, BulkOperation)> = {
        let state = ctx.data_unchecked::<Arc<SimState>>();
        let bulk = state.bulk();
        bulk.ops
            .iter()
            // Newest first ("sorting by created_at, with newest operations first").
            .rev()
            // Every simulated operation is a query.
            .filter(|_| kind.as_deref().is_none_or(|k| k == "query"))
            .filter(|o| status.as_deref().is_none_or(|s| s == o.status))
            // Keyed by the id counted down, so `after` keeps the order.
            .map(|o| (u64::MAX - o.id, view(o, &origin)))
            .collect()
    };
    super::gql_paging::paginate(items, first, after)
}

/// `bulkOperation(id:)`, a field Shopify added in 2026-01 (older versions' schemas
/// refuse it before it runs).
pub(super) fn by_id(ctx: &Context<'_>, id: &ID) -> async_graphql::Result<Option<BulkOperation>> {
    Ok(lookup(ctx, id))
}

/// A bulk operation by GID (also for `node(id:)`).
pub(super) fn lookup(ctx: &Context<'_>, id: &str) -> Option<BulkOperation> {
    let n = number(id)?;
    let state = ctx.data_unchecked::<Arc<SimState>>();
    let bulk = state.bulk();
    bulk.ops
        .iter()
        .find(|o| o.id == n)
        .map(|op| view(op, &origin(ctx)))
}

/// Hands queued operations to a background run (unless held). Called after every
/// GraphQL request, so releasing a hold takes effect with the next request.
pub(super) fn start_queued(state: &Arc<SimState>, schema: &super::graphql::AdminSchema) {
    let ready: Vec<(u64, String, String, bool)> = {
        let mut bulk = state.bulk();
        if bulk.hold {
            for op in bulk.ops.iter_mut().filter(|o| o.status == "CREATED") {
                op.status = "RUNNING";
            }
            return;
        }
        bulk.ops
            .iter_mut()
            .filter(|o| o.queued)
            .map(|o| {
                o.queued = false;
                o.status = "RUNNING";
                (o.id, o.query.clone(), o.version.clone(), o.group)
            })
            .collect()
    };
    for (id, query, version, group) in ready {
        let state = state.clone();
        let schema = schema.clone();
        tokio::spawn(async move {
            // Accepted queries parsed and validated when they were submitted.
            let plan = async_graphql::parser::parse_query(&query)
                .ok()
                .and_then(|doc| Plan::new(&version, doc, serde_json::Value::Null, None).ok());
            let (failed, data) = match plan {
                Some(plan) => {
                    let response = BULK.scope(true, schema.execute(plan.request())).await;
                    (!response.errors.is_empty(), plan.complete(response.data))
                }
                None => (true, GqlValue::Null),
            };
            let lines = to_lines(data);
            let roots = lines
                .iter()
                .filter(|l| !matches!(l, GqlValue::Object(m) if m.contains_key("__parentId")))
                .count() as u64;
            let lines = if group { lines } else { scramble(lines, id) };
            finish(&state, id, failed, lines, roots);
        });
    }
}

fn jsonl(lines: &[GqlValue]) -> String {
    let mut text = Vec::new();
    for l in lines {
        // A value of strings, numbers and maps always serialises.
        let _ = serde_json::to_writer(&mut text, l);
        text.push(b'\n');
    }
    String::from_utf8(text).unwrap_or_default()
}

fn finish(state: &Arc<SimState>, id: u64, errors: bool, lines: Vec<GqlValue>, roots: u64) {
    let event = {
        let mut bulk = state.bulk();
        let fail = if bulk.ops.iter().any(|o| o.id == id && o.status == "RUNNING") {
            bulk.fail_next.take()
        } else {
            None
        };
        let Some(op) = bulk.ops.iter_mut().find(|o| o.id == id) else {
            return;
        };
        op.completed_at = Some(now());
        if op.status == "CANCELING" {
            op.status = "CANCELED";
        } else if errors || fail.is_some() {
            op.status = "FAILED";
            op.error_code = Some(fail.unwrap_or_else(|| "INTERNAL_SERVER_ERROR".to_owned()));
            let half = &lines[..lines.len() / 2];
            op.object_count = half.len() as u64;
            op.partial = (!half.is_empty()).then(|| jsonl(half));
        } else {
            op.status = "COMPLETED";
            op.object_count = lines.len() as u64;
            op.root_object_count = roots;
            // Nothing matched: no file, `url` is null.
            op.file = (!lines.is_empty()).then(|| jsonl(&lines));
        }
        json!({
            "admin_graphql_api_id": format!("gid://shopify/BulkOperation/{id}"),
            "completed_at": op.completed_at,
            "created_at": op.created_at,
            "error_code": op.error_code.as_ref().map(|c| c.to_ascii_lowercase()),
            "status": op.status.to_ascii_lowercase(),
            "type": "query",
        })
    };
    state.notify("bulk_operations/finish", &event);
}

/// A bulk query's `data` as JSONL lines: the root connection's nodes, each followed
/// by the nodes of its nested connections (recursively) with `__parentId`. Nodes are
/// moved out of the executed result, never copied or converted (a bulk result can be
/// the whole shop).
fn to_lines(data: GqlValue) -> Vec<GqlValue> {
    fn is_connection(v: &GqlValue) -> bool {
        matches!(v, GqlValue::Object(m)
            if matches!(m.get("edges"), Some(GqlValue::List(_)))
                || matches!(m.get("nodes"), Some(GqlValue::List(_))))
    }
    fn take_nodes(conn: GqlValue) -> Vec<GqlValue> {
        let GqlValue::Object(mut map) = conn else {
            return Vec::new();
        };
        match (map.shift_remove("edges"), map.shift_remove("nodes")) {
            (Some(GqlValue::List(edges)), _) => edges
                .into_iter()
                .filter_map(|e| match e {
                    GqlValue::Object(mut edge) => edge.shift_remove("node"),
                    _ => None,
                })
                .collect(),
            (_, Some(GqlValue::List(nodes))) => nodes,
            _ => Vec::new(),
        }
    }
    fn emit(mut node: GqlValue, parent: Option<&str>, out: &mut Vec<GqlValue>) {
        let mut children: Vec<GqlValue> = Vec::new();
        let mut id = None;
        if let GqlValue::Object(map) = &mut node {
            let keys: Vec<Name> = map
                .iter()
                .filter(|(_, v)| is_connection(v))
                .map(|(k, _)| k.clone())
                .collect();
            for k in keys {
                if let Some(v) = map.shift_remove(&k) {
                    children.extend(take_nodes(v));
                }
            }
            if let Some(p) = parent {
                map.insert(Name::new("__parentId"), GqlValue::String(p.to_owned()));
            }
            if let Some(GqlValue::String(s)) = map.get("id") {
                id = Some(s.clone());
            }
        }
        out.push(node);
        for child in children {
            emit(child, id.as_deref(), out);
        }
    }
    let mut lines = Vec::new();
    if let GqlValue::Object(map) = data {
        for (_, conn) in map {
            for node in take_nodes(conn) {
                emit(node, None, &mut lines);
            }
        }
    }
    lines
}

/// Ungrouped output: the lines in an order of their own (deterministic per
/// operation), children often before their parents.
fn scramble<T>(lines: Vec<T>, seed: u64) -> Vec<T> {
    let mix = |i: u64| {
        let mut z = (i ^ seed.rotate_left(17)).wrapping_add(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    };
    let mut keyed: Vec<(u64, T)> = lines
        .into_iter()
        .enumerate()
        .map(|(i, l)| (mix(i as u64), l))
        .collect();
    keyed.sort_by_key(|(k, _)| *k);
    keyed.into_iter().map(|(_, l)| l).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_carry_their_parent_and_scrambling_keeps_them_all() {
        let data = json!({"orders": {"edges": [
            {"node": {"id": "gid://shopify/Order/1", "lineItems": {"edges": [{"node": {"id": "gid://shopify/LineItem/1"}}]}}},
            {"node": {"id": "gid://shopify/Order/2", "lineItems": {"edges": []}}},
        ]}});
        let lines: Vec<serde_json::Value> = to_lines(GqlValue::from_json(data).unwrap())
            .into_iter()
            .map(|l| l.into_json().unwrap())
            .collect();
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[1]["__parentId"], "gid://shopify/Order/1");
        assert!(lines[0].get("lineItems").is_none());
        let mut a: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
        let mut b: Vec<String> = scramble(lines, 7).iter().map(|l| l.to_string()).collect();
        a.sort();
        b.sort();
        assert_eq!(a, b);
    }
}
