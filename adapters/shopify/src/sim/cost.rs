//! Shopify's calculated query cost, as its rate-limit documentation states it:
//! scalars and enums cost 0, objects 1, connections are sized by `first`/`last`
//! (2 plus that many nodes), interfaces and unions the maximum of their possible
//! selections, mutations 10. The requested cost is computed from the query before it
//! runs; the actual cost from what it returned (connections that returned fewer
//! nodes, objects that were null); the difference is refunded to the bucket.

use async_graphql::parser::types::{ExecutableDocument, OperationType, Selection, SelectionSet};
use serde_json::Value;

/// A mutation field's own cost.
const MUTATION: f64 = 10.0;

fn arg_number(
    field: &async_graphql::parser::types::Field,
    names: &[&str],
    vars: &Value,
) -> Option<f64> {
    field
        .arguments
        .iter()
        .find(|(n, _)| names.contains(&n.node.as_str()))
        .map(|(_, v)| {
            // A literal prints as itself, a variable as `$name`.
            let text = v.node.to_string();
            match text.strip_prefix('$') {
                Some(var) => vars[var].as_f64().unwrap_or(0.0),
                None => text.parse().unwrap_or(0.0),
            }
        })
}

/// How many ids a `nodes(ids:)` field asks for.
fn ids_len(field: &async_graphql::parser::types::Field, vars: &Value) -> Option<f64> {
    let (_, v) = field.arguments.iter().find(|(n, _)| n.node == "ids")?;
    let text = v.node.to_string();
    Some(match text.strip_prefix('$') {
        Some(var) => vars[var].as_array().map_or(0, Vec::len) as f64,
        None => text.matches(',').count() as f64 + f64::from(text.contains('"')),
    })
}

fn set_cost(doc: &ExecutableDocument, set: &SelectionSet, vars: &Value, depth: u32) -> f64 {
    if depth > 30 {
        return 0.0;
    }
    let mut fields = 0.0;
    // Fragments select on one of several possible types: the most expensive counts.
    let mut fragments: f64 = 0.0;
    for item in &set.items {
        match &item.node {
            Selection::Field(field) => {
                let field = &field.node;
                if field.selection_set.node.items.is_empty() {
                    continue;
                }
                let inner = set_cost(doc, &field.selection_set.node, vars, depth + 1);
                let name = field.name.node.as_str();
                fields += match (name, arg_number(field, &["first", "last"], vars)) {
                    (_, Some(n)) => 2.0 + n * inner,
                    ("edges" | "pageInfo", None) => inner,
                    ("nodes", None) if depth == 0 => {
                        ids_len(field, vars).unwrap_or(1.0) * (1.0 + inner)
                    }
                    _ => 1.0 + inner,
                };
            }
            Selection::FragmentSpread(spread) => {
                if let Some(f) = doc.fragments.get(&spread.node.fragment_name.node) {
                    fragments =
                        fragments.max(set_cost(doc, &f.node.selection_set.node, vars, depth + 1));
                }
            }
            Selection::InlineFragment(f) => {
                fragments =
                    fragments.max(set_cost(doc, &f.node.selection_set.node, vars, depth + 1));
            }
        }
    }
    fields + fragments
}

/// The requested cost of the operation that will run (the most expensive one when a
/// document holds several and none is named).
pub(super) fn requested_cost(
    doc: &ExecutableDocument,
    vars: &Value,
    operation: Option<&str>,
) -> f64 {
    doc.operations
        .iter()
        .filter(|(name, _)| operation.is_none() || name.map(|n| n.as_str()) == operation)
        .map(|(_, op)| {
            let set = &op.node.selection_set.node;
            if op.node.ty == OperationType::Mutation {
                // Each mutation field costs 10 and its payload's objects.
                set.items
                    .iter()
                    .map(|item| match &item.node {
                        Selection::Field(f) => {
                            MUTATION + set_cost(doc, &f.node.selection_set.node, vars, 1)
                        }
                        _ => 0.0,
                    })
                    .sum()
            } else {
                set_cost(doc, set, vars, 0)
            }
        })
        .fold(0.0, f64::max)
        .max(1.0)
}

/// What a returned value actually cost: 2 per connection and its returned nodes, 1
/// per other object returned, nothing for scalars, `edges` wrappers and `pageInfo`.
fn value_cost(v: &Value) -> f64 {
    match v {
        Value::Object(map) => {
            let own = if map.contains_key("edges") || map.contains_key("nodes") {
                2.0
            } else if map.contains_key("hasNextPage")
                || (map.contains_key("node") && map.len() <= 2)
            {
                0.0
            } else {
                1.0
            };
            own + map.values().map(value_cost).sum::<f64>()
        }
        Value::Array(items) => items.iter().map(value_cost).sum(),
        _ => 0.0,
    }
}

/// The actual cost of a response's `data`.
pub(super) fn actual_cost(data: &Value, mutation: bool) -> f64 {
    let Some(root) = data.as_object() else {
        return 0.0;
    };
    root.values()
        .map(|payload| {
            if mutation {
                // The payload object is the mutation's: its fields are what it returned.
                MUTATION
                    + payload
                        .as_object()
                        .map_or(0.0, |p| p.values().map(value_cost).sum())
            } else {
                value_cost(payload)
            }
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn cost(q: &str, vars: Value) -> f64 {
        requested_cost(&async_graphql::parser::parse_query(q).unwrap(), &vars, None)
    }

    #[test]
    fn requested_costs_follow_the_documented_table() {
        // An object 1, scalars 0.
        assert_eq!(cost("{ shop { name currencyCode } }", Value::Null), 1.0);
        // A connection 2 + first × (node 1 + its objects).
        assert_eq!(
            cost(
                "query($n: Int) { orders(first: $n) { edges { node { id customer { id } } } pageInfo { hasNextPage } } }",
                json!({"n": 10})
            ),
            2.0 + 10.0 * 2.0
        );
        // A mutation 10 plus its payload's objects.
        assert_eq!(
            cost(
                "mutation { bulkOperationRunQuery(query: \"x\") { bulkOperation { id } userErrors { message } } }",
                Value::Null
            ),
            12.0
        );
        // An interface: the most expensive of its possible selections.
        assert_eq!(
            cost(
                "{ node(id: \"gid://shopify/Order/1\") { ... on Order { customer { id } lineItems(first: 2) { nodes { id } } } ... on Product { id } } }",
                Value::Null
            ),
            1.0 + 1.0 + (2.0 + 2.0)
        );
        // nodes(ids:) costs per id.
        assert_eq!(
            cost(
                "query($ids: [ID!]!) { nodes(ids: $ids) { ... on Order { customer { id } } } }",
                json!({"ids": ["a", "b", "c"]})
            ),
            3.0 * 2.0
        );
    }

    #[test]
    fn actual_costs_count_what_came_back() {
        let data = json!({"orders": {"edges": [{"cursor": "x", "node": {"id": "1", "customer": null}}], "pageInfo": {"hasNextPage": false}}});
        assert_eq!(actual_cost(&data, false), 2.0 + 1.0);
        let payload =
            json!({"bulkOperationRunQuery": {"bulkOperation": {"id": "1"}, "userErrors": []}});
        assert_eq!(actual_cost(&payload, true), 11.0);
    }
}
