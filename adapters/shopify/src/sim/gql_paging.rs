//! Paging and search in the simulator's GraphQL API: opaque `first`/`after`
//! cursors over records kept in id order, and the part of Shopify's search syntax
//! clients send (`updated_at:>'...'`, `created_at`, `status`, joined by `AND`).

use std::sync::Arc;

use async_graphql::connection::{Connection, Edge};
use async_graphql::{Context, ID};
use base64::Engine;
use chrono::{DateTime, Utc};
use polycart_kit::decode::parse_datetime;
use serde_json::Value;

use super::SimState;
use super::bulk;

pub(super) fn encode_cursor(key: u64) -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("{{\"last_id\":{key}}}"))
}

fn decode_cursor(cursor: &str) -> async_graphql::Result<u64> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(cursor)
        .map_err(|_| {
            async_graphql::Error::new(format!(
                "Invalid cursor for current pagination sort: {cursor}"
            ))
        })?;
    let v: Value =
        serde_json::from_slice(&bytes).map_err(|_| async_graphql::Error::new("Invalid cursor"))?;
    v["last_id"]
        .as_u64()
        .ok_or_else(|| async_graphql::Error::new("Invalid cursor"))
}

/// A page of `items` (sorted by key) after `after`, at most `first` (≤ 250).
pub(super) fn paginate<T: async_graphql::OutputType>(
    items: Vec<(u64, T)>,
    first: Option<i32>,
    after: Option<String>,
) -> async_graphql::Result<Connection<String, T>> {
    // A bulk query pages nothing: its connections return every node.
    let first = match first {
        None if bulk::in_bulk() => i32::MAX,
        Some(f) if bulk::in_bulk() => f,
        None => {
            return Err(async_graphql::Error::new(
                "you must provide one of first or last",
            ));
        }
        Some(f) => f,
    };
    if !(0..=250).contains(&first) && !bulk::in_bulk() {
        return Err(async_graphql::Error::new(
            "The first argument must be between 0 and 250",
        ));
    }
    let after = after.as_deref().map(decode_cursor).transpose()?;
    let rest: Vec<(u64, T)> = items
        .into_iter()
        .filter(|(k, _)| after.is_none_or(|a| *k > a))
        .collect();
    let has_next = rest.len() > first as usize;
    let mut connection = Connection::new(after.is_some(), has_next);
    connection.edges.extend(
        rest.into_iter()
            .take(first as usize)
            .map(|(k, node)| Edge::new(encode_cursor(k), node)),
    );
    Ok(connection)
}

/// A page of a record's own list (line items, variants), keyed by position.
pub(super) fn page_of<T: async_graphql::OutputType + Clone>(
    items: &[T],
    first: Option<i32>,
    after: Option<String>,
) -> async_graphql::Result<Connection<String, T>> {
    paginate(
        items
            .iter()
            .cloned()
            .enumerate()
            .map(|(i, v)| (i as u64, v))
            .collect(),
        first,
        after,
    )
}

/// The part of Shopify's search syntax the simulator understands:
/// `updated_at:>'2025-01-01T00:00:00Z'` (also `>=`, `<`, `<=`), `created_at:...`,
/// `status:...`, `sku:...`, terms joined by spaces or `AND`.
#[derive(Debug, Default)]
pub(super) struct Search {
    pub(super) updated: Vec<(String, DateTime<Utc>)>,
    pub(super) created: Vec<(String, DateTime<Utc>)>,
    pub(super) status: Option<String>,
    pub(super) sku: Option<String>,
}

impl Search {
    pub(super) fn parse(query: Option<&str>) -> async_graphql::Result<Self> {
        let mut s = Search::default();
        let Some(q) = query else { return Ok(s) };
        for term in q
            .split_whitespace()
            .filter(|t| !t.eq_ignore_ascii_case("AND"))
        {
            let Some((field, value)) = term.split_once(':') else {
                continue;
            };
            let (op, value) = ["<=", ">=", "<", ">"]
                .iter()
                .find_map(|op| value.strip_prefix(op).map(|v| ((*op).to_owned(), v)))
                .unwrap_or(("=".to_owned(), value));
            let value = value.trim_matches(|c| c == '\'' || c == '"');
            match field {
                "updated_at" | "created_at" => {
                    let t = parse_datetime(value).ok_or_else(|| {
                        async_graphql::Error::new(format!("invalid date in query: {value}"))
                    })?;
                    if field == "updated_at" {
                        &mut s.updated
                    } else {
                        &mut s.created
                    }
                    .push((op, t));
                }
                "status" => s.status = Some(value.to_ascii_lowercase()),
                "sku" => s.sku = Some(value.to_owned()),
                _ => {}
            }
        }
        Ok(s)
    }

    pub(super) fn keeps(&self, created: Option<DateTime<Utc>>, updated: DateTime<Utc>) -> bool {
        let cmp = |op: &str, v: DateTime<Utc>, t: DateTime<Utc>| match op {
            ">" => v > t,
            ">=" => v >= t,
            "<" => v < t,
            "<=" => v <= t,
            _ => v == t,
        };
        self.updated.iter().all(|(op, t)| cmp(op, updated, *t))
            && self
                .created
                .iter()
                .all(|(op, t)| created.is_some_and(|c| cmp(op, c, *t)))
    }
}

pub(super) fn state<'a>(ctx: &Context<'a>) -> &'a Arc<SimState> {
    ctx.data_unchecked::<Arc<SimState>>()
}

pub(super) fn legacy(id: &ID) -> async_graphql::Result<u64> {
    id.rsplit('/')
        .next()
        .and_then(|s| s.split('?').next())
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| async_graphql::Error::new(format!("Invalid id: {}", id.0)))
}
