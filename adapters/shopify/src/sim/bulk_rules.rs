//! The rules a bulk query must follow, checked before it is accepted: a `query`
//! operation with one top-level connection field (no top-level `node`), at least one
//! and at most five connections, connections nested at most two deep, no connection
//! under a list field, and the parent node of a nested connection selecting `id`
//! (Shopify's bulk operations guide and `bulkOperationRunQuery` reference). The query
//! must first be valid against the real schema of the API version
//! (`Invalid bulk query: …` otherwise), whose field types also tell connections
//! (`…Connection`) and lists (`[…]`) apart.

use async_graphql::parser::types::{ExecutableDocument, OperationType, Selection, SelectionSet};

use super::schema::Schema;
use super::schema::run::Plan;

/// A field's named type and whether it is a list.
fn field_type<'s>(schema: &'s Schema, ty: &str, field: &str) -> Option<(&'s str, bool)> {
    schema
        .field(ty, field)
        .map(|f| (f.ty.named(), f.ty.list_depth() > 0))
}

#[derive(Default)]
struct Check {
    connections: u32,
    max_depth: u32,
    in_list: bool,
    without_id: Vec<String>,
}

/// The fields of a selection set, fragments spread in (with their type conditions).
fn fields<'d>(
    doc: &'d ExecutableDocument,
    set: &'d SelectionSet,
    ty: &str,
) -> Vec<(&'d async_graphql::parser::types::Field, String)> {
    let mut out = Vec::new();
    for item in &set.items {
        match &item.node {
            Selection::Field(f) => out.push((&f.node, ty.to_owned())),
            Selection::InlineFragment(f) => {
                let on = f
                    .node
                    .type_condition
                    .as_ref()
                    .map_or_else(|| ty.to_owned(), |c| c.node.on.node.to_string());
                out.extend(fields(doc, &f.node.selection_set.node, &on));
            }
            Selection::FragmentSpread(s) => {
                if let Some(f) = doc.fragments.get(&s.node.fragment_name.node) {
                    let on = f.node.type_condition.node.on.node.to_string();
                    out.extend(fields(doc, &f.node.selection_set.node, &on));
                }
            }
        }
    }
    out
}

impl Check {
    fn walk(
        &mut self,
        types: &Schema,
        doc: &ExecutableDocument,
        set: &SelectionSet,
        ty: &str,
        depth: u32,
        in_list: bool,
    ) {
        let selected = fields(doc, set, ty);
        let selects_id = selected
            .iter()
            .any(|(f, _)| f.name.node == "id" && f.alias.is_none());
        for (field, on) in &selected {
            let name = field.name.node.as_str();
            let Some((fty, list)) = field_type(types, on, name) else {
                continue;
            };
            let inner = &field.selection_set.node;
            if fty.ends_with("Connection") {
                self.connections += 1;
                let d = depth + 1;
                self.max_depth = self.max_depth.max(d);
                self.in_list |= in_list;
                if d >= 2 && !selects_id {
                    self.without_id.push(name.to_owned());
                }
                for (sub, _) in fields(doc, inner, fty) {
                    let sub_set = &sub.selection_set.node;
                    match sub.name.node.as_str() {
                        "edges" => {
                            let Some((edge, _)) = field_type(types, fty, "edges") else {
                                continue;
                            };
                            for (n, _) in fields(doc, sub_set, edge) {
                                if n.name.node == "node"
                                    && let Some((node, _)) = field_type(types, edge, "node")
                                {
                                    self.walk(types, doc, &n.selection_set.node, node, d, false);
                                }
                            }
                        }
                        "nodes" => {
                            if let Some((node, _)) = field_type(types, fty, "nodes") {
                                self.walk(types, doc, sub_set, node, d, false);
                            }
                        }
                        _ => {}
                    }
                }
            } else if !inner.items.is_empty() {
                self.walk(types, doc, inner, fty, depth, in_list || list);
            }
        }
    }
}

/// Why Shopify would refuse `query` as a bulk query on API `version` (empty: it is accepted).
pub(super) fn check(query: &str, version: &str) -> Vec<String> {
    let doc = match async_graphql::parser::parse_query(query) {
        Ok(doc) => doc,
        Err(e) => return vec![format!("Invalid bulk query: {e}")],
    };
    let mut errors = Vec::new();
    let mut c = Check::default();
    for (_, op) in doc.operations.iter() {
        if op.node.ty != OperationType::Query {
            return vec![
                "Invalid operation type. Only `query` operations are supported.".to_owned(),
            ];
        }
        let top = fields(&doc, &op.node.selection_set.node, "QueryRoot");
        if top
            .iter()
            .any(|(f, _)| matches!(f.name.node.as_str(), "node" | "nodes"))
        {
            errors.push("Bulk queries cannot contain a top level `node` field.".to_owned());
        }
    }
    let plan = match Plan::new(version, doc, serde_json::Value::Null, None) {
        Ok(plan) => plan,
        Err(invalid) => {
            return invalid
                .iter()
                .map(|e| {
                    format!(
                        "Invalid bulk query: {}",
                        e["message"].as_str().unwrap_or("")
                    )
                })
                .collect();
        }
    };
    let (doc, types) = (plan.doc(), plan.real);
    for (_, op) in doc.operations.iter() {
        c.walk(
            types,
            doc,
            &op.node.selection_set.node,
            &types.query,
            0,
            false,
        );
    }
    if c.max_depth > 2 {
        errors.push(
            "Bulk queries cannot contain connections with a nesting depth greater than 2."
                .to_owned(),
        );
    }
    if c.connections > 5 {
        errors.push("Bulk queries cannot contain more than 5 connections.".to_owned());
    }
    if !c.without_id.is_empty() {
        errors.push(format!(
            "The parent 'node' field for a nested connection must select the 'id' field without an alias and must be of 'ID' return type. Connection fields without 'id': {}.",
            c.without_id.join(", ")
        ));
    }
    if c.in_list {
        errors.push(
            "Queries that contain a connection field within a list field are not currently supported."
                .to_owned(),
        );
    }
    if c.connections == 0 {
        errors.push("Bulk queries must contain at least one connection.".to_owned());
    }
    errors
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_on(query: &str) -> Vec<String> {
        check(query, "2026-01")
    }

    #[test]
    fn accepts_what_the_guide_allows_and_refuses_the_rest() {
        assert!(check_on("{ products { edges { node { id title variants { edges { node { id sku } } } } } } }").is_empty());
        let in_list = check_on(
            "{ orders { edges { node { id refunds { id refundLineItems { edges { node { quantity } } } } } } } }",
        );
        assert!(
            in_list.iter().any(|e| e.contains("within a list field")),
            "{in_list:?}"
        );
        let no_id =
            check_on("{ orders { edges { node { name lineItems { edges { node { id } } } } } } }");
        assert!(
            no_id
                .iter()
                .any(|e| e.contains("Connection fields without 'id': lineItems")),
            "{no_id:?}"
        );
        let none = check_on("{ shop { name } }");
        assert!(
            none.iter().any(|e| e.contains("at least one connection")),
            "{none:?}"
        );
        let node = check_on("{ node(id: \"gid://shopify/Order/1\") { id } }");
        assert!(
            node.iter().any(|e| e.contains("top level `node`")),
            "{node:?}"
        );
        let mutation =
            check_on("mutation { bulkOperationCancel(id: \"x\") { userErrors { message } } }");
        assert!(mutation[0].contains("Only `query`"), "{mutation:?}");
        assert!(
            check_on("{ orders {")
                .iter()
                .any(|e| e.starts_with("Invalid bulk query"))
        );
    }
}
