//! Shopify's calculated query cost, as its GraphQL Admin API rate-limit documentation
//! states it, over the real schema's types: scalars and enums cost 0, objects 1,
//! connections 2 plus `first`/`last` times the cost of one node (an `edges` wrapper and
//! `pageInfo` are free), interfaces and unions the most expensive of the object types
//! their fragments select, `nodes(ids:)` one node per id, and each mutation field 10
//! (its payload is not charged: Shopify's `webPixelCreate` example with `userErrors`
//! and `webPixel` costs 10). The requested cost is computed from the query before it
//! runs; the actual cost from what it returned (connections that returned fewer
//! nodes, objects that were null); the difference is refunded to the bucket.

use async_graphql::parser::types::{
    ExecutableDocument, Field, OperationDefinition, OperationType, Selection, SelectionSet,
};
use serde_json::Value;

use super::schema::Schema;

/// A mutation field's own cost.
const MUTATION: f64 = 10.0;

/// Deeper selections are not priced (the schema has no cycles a query can need past this).
const MAX_DEPTH: u32 = 40;

fn arg_number(field: &Field, names: &[&str], vars: &Value) -> Option<f64> {
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
fn ids_len(field: &Field, vars: &Value) -> Option<f64> {
    let (_, v) = field.arguments.iter().find(|(n, _)| n.node == "ids")?;
    let text = v.node.to_string();
    Some(match text.strip_prefix('$') {
        Some(var) => vars[var].as_array().map_or(0, Vec::len) as f64,
        None => text.matches(',').count() as f64 + f64::from(text.contains('"')),
    })
}

struct Pricer<'a> {
    schema: &'a Schema,
    doc: &'a ExecutableDocument,
    vars: &'a Value,
}

impl<'a> Pricer<'a> {
    /// The fields selected on an object of type `runtime` (fragments that apply to it).
    fn fields(&self, set: &'a SelectionSet, runtime: &str, out: &mut Vec<&'a Field>) {
        for item in &set.items {
            match &item.node {
                Selection::Field(f) => out.push(&f.node),
                Selection::InlineFragment(frag) => {
                    let applies = frag
                        .node
                        .type_condition
                        .as_ref()
                        .is_none_or(|c| self.schema.applies(c.node.on.node.as_str(), runtime));
                    if applies {
                        self.fields(&frag.node.selection_set.node, runtime, out);
                    }
                }
                Selection::FragmentSpread(s) => {
                    if let Some(def) = self.doc.fragments.get(&s.node.fragment_name.node)
                        && self
                            .schema
                            .applies(def.node.type_condition.node.on.node.as_str(), runtime)
                    {
                        self.fields(&def.node.selection_set.node, runtime, out);
                    }
                }
            }
        }
    }

    /// Type conditions of the fragments in a selection set (nested ones too).
    fn conditions(&self, set: &'a SelectionSet, out: &mut Vec<&'a str>) {
        for item in &set.items {
            match &item.node {
                Selection::Field(_) => {}
                Selection::InlineFragment(frag) => {
                    if let Some(c) = &frag.node.type_condition {
                        out.push(c.node.on.node.as_str());
                    }
                    self.conditions(&frag.node.selection_set.node, out);
                }
                Selection::FragmentSpread(s) => {
                    if let Some(def) = self.doc.fragments.get(&s.node.fragment_name.node) {
                        out.push(def.node.type_condition.node.on.node.as_str());
                        self.conditions(&def.node.selection_set.node, out);
                    }
                }
            }
        }
    }

    /// The selections' cost on a value of static type `ty`: for an interface or union,
    /// the most expensive of the object types its fragments select.
    fn set(&self, set: &'a SelectionSet, ty: &str, depth: u32) -> f64 {
        if depth > MAX_DEPTH {
            return 0.0;
        }
        if !self.schema.is_abstract(ty) {
            return self.object(set, ty, depth);
        }
        let mut conditions = Vec::new();
        self.conditions(set, &mut conditions);
        let candidates: Vec<&str> = self
            .schema
            .possible(ty)
            .iter()
            .map(String::as_str)
            .filter(|t| conditions.iter().any(|c| self.schema.applies(c, t)))
            .collect();
        if candidates.is_empty() {
            return self.object(set, ty, depth);
        }
        candidates
            .into_iter()
            .map(|t| self.object(set, t, depth))
            .fold(0.0, f64::max)
    }

    fn object(&self, set: &'a SelectionSet, runtime: &str, depth: u32) -> f64 {
        let mut fields = Vec::new();
        self.fields(set, runtime, &mut fields);
        fields
            .into_iter()
            .map(|f| self.field(f, runtime, depth))
            .sum()
    }

    fn field(&self, field: &'a Field, parent: &str, depth: u32) -> f64 {
        let Some(def) = self.schema.field(parent, field.name.node.as_str()) else {
            return 0.0;
        };
        let named = def.ty.named();
        if !self.schema.is_composite(named) {
            return 0.0;
        }
        let subs = &field.selection_set.node;
        if self.schema.is_connection(named) {
            let n = arg_number(field, &["first", "last"], self.vars).unwrap_or(1.0);
            return 2.0 + n * self.connection_item(subs, named, depth + 1);
        }
        let one = 1.0 + self.set(subs, named, depth + 1);
        if depth == 0 && field.name.node == "nodes" {
            return ids_len(field, self.vars).unwrap_or(1.0) * one;
        }
        one
    }

    /// What one item of a connection costs: its `edges { node }` and `nodes` objects.
    fn connection_item(&self, set: &'a SelectionSet, connection: &str, depth: u32) -> f64 {
        let mut fields = Vec::new();
        self.fields(set, connection, &mut fields);
        let mut cost = 0.0;
        for f in fields {
            let Some(def) = self.schema.field(connection, f.name.node.as_str()) else {
                continue;
            };
            match f.name.node.as_str() {
                "edges" => {
                    let edge = def.ty.named();
                    let mut inner = Vec::new();
                    self.fields(&f.selection_set.node, edge, &mut inner);
                    for e in inner {
                        if e.name.node == "node"
                            && let Some(node) = self.schema.field(edge, "node")
                        {
                            cost +=
                                1.0 + self.set(&e.selection_set.node, node.ty.named(), depth + 1);
                        }
                    }
                }
                "nodes" => cost += 1.0 + self.set(&f.selection_set.node, def.ty.named(), depth + 1),
                "pageInfo" => {}
                _ => cost += self.field(f, connection, depth),
            }
        }
        cost
    }
}

/// The requested cost of `op` over the real `schema`.
pub(super) fn requested_cost(
    schema: &Schema,
    doc: &ExecutableDocument,
    op: &OperationDefinition,
    vars: &Value,
) -> f64 {
    let pricer = Pricer { schema, doc, vars };
    let set = &op.selection_set.node;
    let cost = match op.ty {
        OperationType::Mutation => {
            let root = schema.mutation.as_deref().unwrap_or("Mutation");
            let mut fields = Vec::new();
            pricer.fields(set, root, &mut fields);
            fields
                .iter()
                .filter(|f| !f.name.node.starts_with("__"))
                .count() as f64
                * MUTATION
        }
        _ => pricer.set(set, &schema.query, 0),
    };
    cost.max(1.0)
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
                MUTATION
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
        let doc = async_graphql::parser::parse_query(q).unwrap();
        let (_, op) = doc.operations.iter().next().unwrap();
        requested_cost(
            super::super::schema::for_version("2025-07"),
            &doc,
            &op.node,
            &vars,
        )
    }

    #[test]
    fn requested_costs_follow_the_documented_table() {
        // An object 1, scalars 0.
        assert_eq!(cost("{ shop { name currencyCode } }", Value::Null), 1.0);
        // A connection 2 + first × (node 1 + its objects); pageInfo is free.
        assert_eq!(
            cost(
                "query($n: Int) { orders(first: $n) { edges { node { id customer { id } } } pageInfo { hasNextPage } } }",
                json!({"n": 10})
            ),
            2.0 + 10.0 * 2.0
        );
        // A mutation 10, its payload free.
        assert_eq!(
            cost(
                "mutation { bulkOperationRunQuery(query: \"x\") { bulkOperation { id } userErrors { message } } }",
                Value::Null
            ),
            10.0
        );
        // An interface: the most expensive of its possible selections, through a
        // named fragment too.
        assert_eq!(
            cost(
                "{ node(id: \"gid://shopify/Order/1\") { ...O ... on Product { id } } } fragment O on Order { customer { id } lineItems(first: 2) { nodes { id } } }",
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
        // Fields the simulator lacks are priced by their real types.
        assert_eq!(
            cost(
                "{ customer(id: \"x\") { defaultAddress { id timeZone } multipassIdentifier } }",
                Value::Null
            ),
            2.0
        );
    }

    #[test]
    fn actual_costs_count_what_came_back() {
        let data = json!({"orders": {"edges": [{"cursor": "x", "node": {"id": "1", "customer": null}}], "pageInfo": {"hasNextPage": false}}});
        assert_eq!(actual_cost(&data, false), 2.0 + 1.0);
        let payload =
            json!({"bulkOperationRunQuery": {"bulkOperation": {"id": "1"}, "userErrors": []}});
        assert_eq!(actual_cost(&payload, true), 10.0);
    }
}
