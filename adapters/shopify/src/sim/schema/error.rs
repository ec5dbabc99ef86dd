//! A GraphQL error as Shopify's Admin API renders one: `message`, `locations`,
//! `path` (starting with the operation or fragment, e.g. `"query Customers"`) and
//! `extensions` (graphql-ruby's `code` and the names it reports).

use async_graphql::Pos;
use serde_json::{Map, Value as Json, json};

/// One validation error, rendered as Shopify renders it.
#[derive(Debug, Clone)]
pub(in crate::sim) struct GqlError {
    pub(in crate::sim) message: String,
    pos: Option<Pos>,
    path: Option<Vec<String>>,
    extensions: Map<String, Json>,
}

impl GqlError {
    /// A variable's value that its type refuses (no `path`: it is not in the document).
    pub(super) fn invalid_value(message: String, pos: Pos, ext: Json) -> Self {
        Self {
            message,
            pos: Some(pos),
            path: None,
            extensions: ext.as_object().cloned().unwrap_or_default(),
        }
    }

    pub(super) fn new(message: String, pos: Pos, path: &[String], ext: Json) -> Self {
        Self {
            message,
            pos: Some(pos),
            path: Some(path.to_vec()),
            extensions: ext.as_object().cloned().unwrap_or_default(),
        }
    }

    /// `{"message", "locations", "path", "extensions"}`.
    pub(in crate::sim) fn to_json(&self) -> Json {
        let mut out = Map::new();
        out.insert("message".to_owned(), Json::from(self.message.as_str()));
        if let Some(p) = self.pos {
            out.insert(
                "locations".to_owned(),
                json!([{"line": p.line, "column": p.column}]),
            );
        }
        if let Some(path) = &self.path {
            out.insert("path".to_owned(), json!(path));
        }
        if !self.extensions.is_empty() {
            out.insert(
                "extensions".to_owned(),
                Json::Object(self.extensions.clone()),
            );
        }
        Json::Object(out)
    }
}
