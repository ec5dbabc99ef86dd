//! Plans a validated request onto the simulator's own schema: the chosen operation
//! with fragments inlined, keeping only the fields (and arguments) the simulator can
//! resolve, walking the real type and the simulator's type side by side. Type
//! conditions become the simulator's concrete types; abstract positions also select
//! `__typename` under a hidden alias ([`TYPE_KEY`]) so [`super::defaults`] knows which
//! fragments applied. Only `@skip`/`@include` are kept. Input objects (literals and
//! variables) lose the fields the simulator's input types do not have, so a write
//! with more fields than the simulator models still applies the ones it does.

use std::cell::RefCell;
use std::collections::HashMap;

use async_graphql::Name;
use async_graphql::parser::Positioned;
use async_graphql::parser::types::{
    Directive, DocumentOperations, ExecutableDocument, Field, InlineFragment, OperationDefinition,
    Selection, SelectionSet, TypeCondition,
};
use serde_json::Value as Json;

use super::values::{json_problem, literal_ok};
use super::{Kind, Schema, TypeRef};

/// The hidden alias of the `__typename` the plan adds; removed from results.
pub(super) const TYPE_KEY: &str = "__polycartType";

pub(super) struct Planner<'a> {
    pub(super) doc: &'a ExecutableDocument,
    pub(super) real: &'a Schema,
    pub(super) sim: &'a Schema,
    pub(super) vars: &'a Json,
    /// Variables passed straight to a simulator argument, with its type (for pruning).
    pub(super) var_types: RefCell<HashMap<String, TypeRef>>,
}

/// A literal without the input-object fields `ty` (in `schema`) does not have.
fn prune_literal(
    schema: &Schema,
    v: &async_graphql_value::Value,
    ty: &TypeRef,
) -> async_graphql_value::Value {
    use async_graphql_value::Value as L;
    match (ty, v) {
        (TypeRef::NonNull(inner), v) => prune_literal(schema, v, inner),
        (TypeRef::List(inner), L::List(items)) => L::List(
            items
                .iter()
                .map(|i| prune_literal(schema, i, inner))
                .collect(),
        ),
        (TypeRef::List(inner), single) => prune_literal(schema, single, inner),
        (TypeRef::Named(name), L::Object(map)) => match schema.ty(name) {
            Some(t) if t.kind == Kind::InputObject => L::Object(
                map.iter()
                    .filter_map(|(k, fv)| {
                        let f = t.input_fields.iter().find(|f| f.name == k.as_str())?;
                        Some((k.clone(), prune_literal(schema, fv, &f.ty)))
                    })
                    .collect(),
            ),
            _ => v.clone(),
        },
        _ => v.clone(),
    }
}

/// A variable's value without the input-object fields `ty` (in `schema`) does not have.
pub(super) fn prune_json(schema: &Schema, v: &Json, ty: &TypeRef) -> Json {
    match (ty, v) {
        (TypeRef::NonNull(inner), v) => prune_json(schema, v, inner),
        (TypeRef::List(inner), Json::Array(items)) => {
            Json::Array(items.iter().map(|i| prune_json(schema, i, inner)).collect())
        }
        (TypeRef::List(inner), single) => prune_json(schema, single, inner),
        (TypeRef::Named(name), Json::Object(map)) => match schema.ty(name) {
            Some(t) if t.kind == Kind::InputObject => Json::Object(
                map.iter()
                    .filter_map(|(k, fv)| {
                        let f = t.input_fields.iter().find(|f| &f.name == k)?;
                        Some((k.clone(), prune_json(schema, fv, &f.ty)))
                    })
                    .collect(),
            ),
            _ => v.clone(),
        },
        _ => v.clone(),
    }
}

fn kept_directives(ds: &[Positioned<Directive>]) -> Vec<Positioned<Directive>> {
    ds.iter()
        .filter(|d| matches!(d.node.name.node.as_str(), "skip" | "include"))
        .cloned()
        .collect()
}

fn hidden_typename(pos: async_graphql::Pos) -> Positioned<Selection> {
    Positioned::new(
        Selection::Field(Positioned::new(
            Field {
                alias: Some(Positioned::new(Name::new(TYPE_KEY), pos)),
                name: Positioned::new(Name::new("__typename"), pos),
                arguments: Vec::new(),
                directives: Vec::new(),
                selection_set: Positioned::new(SelectionSet::default(), pos),
            },
            pos,
        )),
        pos,
    )
}

impl Planner<'_> {
    /// The operation as the simulator runs it.
    pub(super) fn plan(
        &self,
        op: &Positioned<OperationDefinition>,
        root_sim: &str,
        root_real: &str,
    ) -> ExecutableDocument {
        let items = self.set(&op.node.selection_set.node, root_real, root_sim, op.pos);
        let planned = OperationDefinition {
            ty: op.node.ty,
            variable_definitions: op.node.variable_definitions.clone(),
            directives: Vec::new(),
            selection_set: Positioned::new(SelectionSet { items }, op.node.selection_set.pos),
        };
        ExecutableDocument {
            operations: DocumentOperations::Single(Positioned::new(planned, op.pos)),
            fragments: Default::default(),
        }
    }

    fn set(
        &self,
        set: &SelectionSet,
        real_ty: &str,
        sim_ty: &str,
        pos: async_graphql::Pos,
    ) -> Vec<Positioned<Selection>> {
        let mut out = Vec::new();
        if self.real.is_abstract(real_ty) {
            out.push(hidden_typename(pos));
        }
        for item in &set.items {
            match &item.node {
                Selection::Field(f) => {
                    if let Some(kept) = self.field(f, real_ty, sim_ty) {
                        out.push(Positioned::new(Selection::Field(kept), item.pos));
                    }
                }
                Selection::InlineFragment(frag) => {
                    let on = frag
                        .node
                        .type_condition
                        .as_ref()
                        .map(|c| c.node.on.node.as_str());
                    self.fragment(
                        on,
                        &frag.node.directives,
                        &frag.node.selection_set.node,
                        real_ty,
                        sim_ty,
                        item.pos,
                        &mut out,
                    );
                }
                Selection::FragmentSpread(spread) => {
                    if let Some(def) = self.doc.fragments.get(&spread.node.fragment_name.node) {
                        let on = def.node.type_condition.node.on.node.as_str();
                        self.fragment(
                            Some(on),
                            &spread.node.directives,
                            &def.node.selection_set.node,
                            real_ty,
                            sim_ty,
                            item.pos,
                            &mut out,
                        );
                    }
                }
            }
        }
        out
    }

    #[allow(clippy::too_many_arguments)]
    fn fragment(
        &self,
        on: Option<&str>,
        directives: &[Positioned<Directive>],
        set: &SelectionSet,
        real_ty: &str,
        sim_ty: &str,
        pos: async_graphql::Pos,
        out: &mut Vec<Positioned<Selection>>,
    ) {
        let inline = |condition: Option<&str>, items| {
            Positioned::new(
                Selection::InlineFragment(Positioned::new(
                    InlineFragment {
                        type_condition: condition.map(|c| {
                            Positioned::new(
                                TypeCondition {
                                    on: Positioned::new(Name::new(c), pos),
                                },
                                pos,
                            )
                        }),
                        directives: kept_directives(directives),
                        selection_set: Positioned::new(SelectionSet { items }, pos),
                    },
                    pos,
                )),
                pos,
            )
        };
        match on {
            // On the type itself, or anything an object already is: always applies.
            None => out.push(inline(None, self.set(set, real_ty, sim_ty, pos))),
            Some(c) if c == real_ty || !self.real.is_abstract(real_ty) => {
                out.push(inline(None, self.set(set, real_ty, sim_ty, pos)));
            }
            // On an abstract position: one fragment per simulated object it can be.
            Some(c) => {
                for object in self.sim.possible(sim_ty) {
                    if self.real.applies(c, object) && self.real.applies(real_ty, object) {
                        out.push(inline(Some(object), self.set(set, object, object, pos)));
                    }
                }
            }
        }
    }

    /// The argument value the simulator takes for its `ty` (input objects pruned), or
    /// `None` when it cannot take it (an enum value it does not know, ...).
    fn arg_value(
        &self,
        value: &async_graphql_value::Value,
        ty: &TypeRef,
    ) -> Option<async_graphql_value::Value> {
        if let async_graphql_value::Value::Variable(name) = value {
            let fits = match self.vars.get(name.as_str()) {
                Some(v) => json_problem(self.sim, &prune_json(self.sim, v, ty), ty).is_none(),
                None => true,
            };
            if fits {
                self.var_types
                    .borrow_mut()
                    .insert(name.to_string(), ty.clone());
            }
            return fits.then(|| value.clone());
        }
        let pruned = prune_literal(self.sim, value, ty);
        let pos = async_graphql::Pos::default();
        literal_ok(self.sim, &pruned, ty, ("", false, pos), &mut Vec::new()).then_some(pruned)
    }

    fn field(
        &self,
        f: &Positioned<Field>,
        real_ty: &str,
        sim_ty: &str,
    ) -> Option<Positioned<Field>> {
        let field = &f.node;
        let name = field.name.node.as_str();
        if name.starts_with("__") {
            return Some(f.clone());
        }
        let real = self.real.field(real_ty, name)?;
        let sim = self.sim.field(sim_ty, name)?;
        let (real_named, sim_named) = (real.ty.named(), sim.ty.named());
        if self.real.is_composite(real_named) != self.sim.is_composite(sim_named)
            || real.ty.list_depth() != sim.ty.list_depth()
        {
            return None;
        }
        let arguments: Vec<_> = field
            .arguments
            .iter()
            .filter_map(|(n, v)| {
                let value = self.arg_value(&v.node, &sim.arg(n.node.as_str())?.ty)?;
                Some((n.clone(), Positioned::new(value, v.pos)))
            })
            .collect();
        let required_missing = sim.args.iter().any(|a| {
            a.ty.non_null() && !a.has_default && !arguments.iter().any(|(n, _)| n.node == a.name)
        });
        if required_missing {
            return None;
        }
        let mut items = Vec::new();
        if self.real.is_composite(real_named) {
            items = self.set(&field.selection_set.node, real_named, sim_named, f.pos);
            if items.is_empty() {
                items.push(hidden_typename(f.pos));
            }
        }
        Some(Positioned::new(
            Field {
                alias: field.alias.clone(),
                name: field.name.clone(),
                arguments,
                directives: kept_directives(&field.directives),
                selection_set: Positioned::new(SelectionSet { items }, field.selection_set.pos),
            },
            f.pos,
        ))
    }
}
