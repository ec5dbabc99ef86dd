//! Bulk operations in the simulator: `bulkOperationRunQuery` records a query, the
//! server runs it in the background with connections unpaged, and writes the result
//! as JSONL: every node of a connection on its own line, nested connections' nodes on
//! lines after their parent with `__parentId`. `currentBulkOperation` and
//! `bulkOperation(id:)` report progress; the file is served at `/bulk/{id}.jsonl`
//! without the access token, like Shopify's signed storage URLs.

use std::sync::Arc;

use async_graphql::{Context, ID, Object, SimpleObject};
use serde_json::{Map, Value};

use super::SimState;

tokio::task_local! {
    /// Set while a bulk query runs: connections without `first` return every node.
    pub(super) static BULK: bool;
}

/// Whether the current execution is a bulk run.
pub(super) fn in_bulk() -> bool {
    BULK.try_with(|b| *b).unwrap_or(false)
}

/// One bulk operation's state.
#[derive(Debug, Clone)]
pub(super) struct Operation {
    pub(super) id: u64,
    pub(super) query: String,
    pub(super) status: &'static str,
    pub(super) created_at: String,
    pub(super) completed_at: Option<String>,
    pub(super) object_count: u64,
    pub(super) root_object_count: u64,
    pub(super) file: Option<String>,
    pub(super) error_code: Option<String>,
}

#[derive(SimpleObject, Clone)]
pub(super) struct BulkOperation {
    id: ID,
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
    kind: String,
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
        partial_data_url: None,
        query: op.query.clone(),
        kind: "QUERY".to_owned(),
    }
}

#[derive(SimpleObject)]
pub(super) struct UserError {
    field: Option<Vec<String>>,
    message: String,
}

#[derive(SimpleObject)]
pub(super) struct BulkOperationRunQueryPayload {
    bulk_operation: Option<BulkOperation>,
    user_errors: Vec<UserError>,
}

/// Where the server is reached, for the download URL (from the request's Host).
#[derive(Debug, Clone)]
pub(super) struct Origin(pub(super) String);

fn origin(ctx: &Context<'_>) -> String {
    ctx.data_opt::<Origin>()
        .map(|o| o.0.clone())
        .unwrap_or_default()
}

pub(super) struct MutationRoot;

#[Object]
impl MutationRoot {
    async fn bulk_operation_run_query(
        &self,
        ctx: &Context<'_>,
        query: String,
    ) -> BulkOperationRunQueryPayload {
        let state = ctx.data_unchecked::<Arc<SimState>>();
        let mut ops = state.bulk();
        if ops
            .iter()
            .any(|o| matches!(o.status, "CREATED" | "RUNNING"))
        {
            return BulkOperationRunQueryPayload {
                bulk_operation: None,
                user_errors: vec![UserError {
                    field: None,
                    message: "A bulk query operation for this app and shop is already in progress."
                        .to_owned(),
                }],
            };
        }
        if async_graphql::parser::parse_query(&query).is_err() {
            return BulkOperationRunQueryPayload {
                bulk_operation: None,
                user_errors: vec![UserError {
                    field: Some(vec!["query".to_owned()]),
                    message: "Invalid bulk query".to_owned(),
                }],
            };
        }
        let op = Operation {
            id: 1_000 + ops.len() as u64,
            query,
            status: "CREATED",
            created_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            completed_at: None,
            object_count: 0,
            root_object_count: 0,
            file: None,
            error_code: None,
        };
        let out = view(&op, &origin(ctx));
        ops.push(op);
        BulkOperationRunQueryPayload {
            bulk_operation: Some(out),
            user_errors: Vec::new(),
        }
    }
}

/// `currentBulkOperation` and `bulkOperation(id:)` for the query root.
pub(super) fn current(state: &SimState, origin_url: &str) -> Option<BulkOperation> {
    state.bulk().last().map(|op| view(op, origin_url))
}

pub(super) fn by_id(state: &SimState, origin_url: &str, id: &str) -> Option<BulkOperation> {
    let n: u64 = id.rsplit('/').next()?.parse().ok()?;
    state
        .bulk()
        .iter()
        .find(|o| o.id == n)
        .map(|op| view(op, origin_url))
}

pub(super) fn origin_of(ctx: &Context<'_>) -> String {
    origin(ctx)
}

/// Turns a bulk query's `data` into JSONL: the root connection's nodes, each followed
/// by the nodes of its nested connections (recursively) with `__parentId`.
pub(super) fn to_jsonl(data: &Value) -> (String, u64, u64) {
    fn nodes(conn: &Value) -> Option<Vec<Value>> {
        if let Some(edges) = conn.get("edges").and_then(Value::as_array) {
            return Some(
                edges
                    .iter()
                    .filter_map(|e| e.get("node").cloned())
                    .collect(),
            );
        }
        conn.get("nodes").and_then(Value::as_array).cloned()
    }
    fn emit(mut node: Value, parent: Option<&str>, out: &mut Vec<String>) {
        let mut children: Vec<Vec<Value>> = Vec::new();
        if let Some(map) = node.as_object_mut() {
            let keys: Vec<String> = map
                .iter()
                .filter(|(_, v)| v.is_object() && nodes(v).is_some())
                .map(|(k, _)| k.clone())
                .collect();
            for k in keys {
                if let Some(v) = map.remove(&k) {
                    children.push(nodes(&v).unwrap_or_default());
                }
            }
            if let Some(p) = parent {
                map.insert("__parentId".to_owned(), Value::String(p.to_owned()));
            }
        }
        let id = node.get("id").and_then(Value::as_str).map(str::to_owned);
        out.push(serde_json::to_string(&node).unwrap_or_default());
        for child in children.into_iter().flatten() {
            emit(child, id.as_deref(), out);
        }
    }
    let mut lines = Vec::new();
    let mut roots = 0;
    if let Some(map) = data.as_object() {
        for (_, conn) in map {
            for node in nodes(conn).unwrap_or_default() {
                roots += 1;
                emit(node, None, &mut lines);
            }
        }
    }
    let count = lines.len() as u64;
    let mut text = lines.join("\n");
    if !text.is_empty() {
        text.push('\n');
    }
    let _ = Map::<String, Value>::new();
    (text, count, roots)
}
