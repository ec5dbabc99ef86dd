//! One GraphQL document through the real schema: pick the operation, validate the
//! document against the Admin API version's schema, plan it onto the simulator's
//! schema, and complete the simulator's result into Shopify's answer. Used by the
//! GraphQL endpoint and by bulk runs alike.

use async_graphql::parser::Positioned;
use async_graphql::parser::types::{ExecutableDocument, OperationDefinition, OperationType};
use async_graphql::{Value, Variables};
use serde_json::{Value as Json, json};

use super::defaults::Completer;
use super::rewrite::{Planner, prune_json};
use super::validate::validate;
use super::{Schema, for_version, simulator};

/// A validated request, ready to run on the simulator.
pub(in crate::sim) struct Plan {
    pub(in crate::sim) real: &'static Schema,
    doc: ExecutableDocument,
    op: Positioned<OperationDefinition>,
    vars: Json,
    planned: ExecutableDocument,
    /// The variables as the simulator takes them (input objects pruned to its types).
    planned_vars: Json,
}

impl Plan {
    /// Validates `doc` for API `version`; the errors Shopify would answer otherwise.
    pub(in crate::sim) fn new(
        version: &str,
        doc: ExecutableDocument,
        vars: Json,
        operation: Option<&str>,
    ) -> Result<Self, Vec<Json>> {
        let real = for_version(version);
        let errors = validate(real, &doc, &vars);
        if !errors.is_empty() {
            return Err(errors.iter().map(|e| e.to_json()).collect());
        }
        let mut ops = doc.operations.iter();
        let op = match operation {
            Some(name) => doc
                .operations
                .iter()
                .find(|(n, _)| n.is_some_and(|n| n.as_str() == name))
                .map(|(_, op)| op.clone())
                .ok_or_else(|| {
                    vec![json!({"message": format!("No operation named \"{name}\"")})]
                })?,
            None => match (ops.next(), ops.next()) {
                (Some((_, op)), None) => op.clone(),
                _ => return Err(vec![json!({"message": "An operation name is required"})]),
            },
        };
        let sim = simulator();
        let (root_real, root_sim) = match op.node.ty {
            OperationType::Mutation => (
                real.mutation.clone().unwrap_or_default(),
                sim.mutation.clone().unwrap_or_default(),
            ),
            _ => (real.query.clone(), sim.query.clone()),
        };
        let planner = Planner {
            doc: &doc,
            real,
            sim,
            vars: &vars,
            var_types: Default::default(),
        };
        let planned = planner.plan(&op, &root_sim, &root_real);
        let mut planned_vars = vars.clone();
        if let Some(map) = planned_vars.as_object_mut() {
            for (name, ty) in planner.var_types.into_inner() {
                if let Some(v) = map.get_mut(&name) {
                    *v = prune_json(sim, v, &ty);
                }
            }
        }
        Ok(Self {
            real,
            doc,
            op,
            vars,
            planned,
            planned_vars,
        })
    }

    pub(in crate::sim) fn doc(&self) -> &ExecutableDocument {
        &self.doc
    }

    pub(in crate::sim) fn operation(&self) -> &OperationDefinition {
        &self.op.node
    }

    pub(in crate::sim) fn variables(&self) -> &Json {
        &self.vars
    }

    pub(in crate::sim) fn is_mutation(&self) -> bool {
        self.op.node.ty == OperationType::Mutation
    }

    /// The request the simulator's async-graphql schema runs.
    pub(in crate::sim) fn request(&self) -> async_graphql::Request {
        let mut request = async_graphql::Request::new("");
        request.set_parsed_query(self.planned.clone());
        if self.planned_vars.is_object() {
            request = request.variables(Variables::from_json(self.planned_vars.clone()));
        }
        request
    }

    fn planned_is_empty(&self) -> bool {
        self.planned
            .operations
            .iter()
            .all(|(_, op)| op.node.selection_set.node.items.is_empty())
    }

    /// The simulator's `data` completed into Shopify's answer.
    pub(in crate::sim) fn complete(&self, data: Value) -> Value {
        let map = match data {
            Value::Object(map) => map,
            // Nothing the simulator resolves was selected: it answered no data.
            Value::Null if self.planned_is_empty() => Default::default(),
            other => return other,
        };
        let root = match self.op.node.ty {
            OperationType::Mutation => self.real.mutation.as_deref().unwrap_or("Mutation"),
            _ => self.real.query.as_str(),
        };
        let completer = Completer {
            doc: &self.doc,
            op: &self.op.node,
            real: self.real,
            vars: &self.vars,
        };
        completer.object(&[&self.op.node.selection_set.node], root, map)
    }
}
