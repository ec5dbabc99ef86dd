//! Completes the simulator's result into the answer Shopify gives: every field the
//! client selected (by response key, in selection order, fragments applied by the
//! object's real type), values the simulator resolved kept, and every other field
//! answered as for a store without that data: null where nullable, `[]` for lists,
//! non-null objects (connections included: `edges: []`, `nodes: []`, `pageInfo` false/
//! null) built from their selections, and type-correct defaults for non-null scalars
//! and enums (`false`, `0`, `""`, the first enum value).

use async_graphql::indexmap::IndexMap;
use async_graphql::parser::Positioned;
use async_graphql::parser::types::{
    Directive, ExecutableDocument, Field, OperationDefinition, Selection, SelectionSet,
};
use async_graphql::{Name, Value};
use serde_json::Value as Json;

use super::rewrite::TYPE_KEY;
use super::{Kind, Schema, TypeRef};

pub(super) struct Completer<'a> {
    pub(super) doc: &'a ExecutableDocument,
    pub(super) op: &'a OperationDefinition,
    pub(super) real: &'a Schema,
    pub(super) vars: &'a Json,
}

/// A non-null scalar's value when there is no data.
fn scalar_default(name: &str) -> Value {
    match name {
        "Int" => Value::from(0),
        "Float" => Value::from(0.0),
        "Boolean" => Value::Boolean(false),
        "UnsignedInt64" | "BigInt" => Value::String("0".to_owned()),
        "Decimal" | "Money" => Value::String("0.0".to_owned()),
        "DateTime" => Value::String("1970-01-01T00:00:00Z".to_owned()),
        "Date" => Value::String("1970-01-01".to_owned()),
        "UtcOffset" => Value::String("+00:00".to_owned()),
        "JSON" => Value::Object(IndexMap::new()),
        _ => Value::String(String::new()),
    }
}

type Collected<'d> = IndexMap<String, (&'d Field, Vec<&'d SelectionSet>)>;

impl Completer<'_> {
    fn var_bool(&self, name: &str) -> Option<bool> {
        self.vars.get(name).and_then(Json::as_bool).or_else(|| {
            self.op
                .variable_definitions
                .iter()
                .find(|d| d.node.name.node == name)
                .and_then(|d| match d.node.default_value.as_ref()?.node {
                    Value::Boolean(b) => Some(b),
                    _ => None,
                })
        })
    }

    /// `@skip(if:)` / `@include(if:)`.
    fn included(&self, directives: &[Positioned<Directive>]) -> bool {
        directives.iter().all(|d| {
            let cond = d
                .node
                .get_argument("if")
                .and_then(|v| match &v.node {
                    async_graphql_value::Value::Boolean(b) => Some(*b),
                    async_graphql_value::Value::Variable(n) => self.var_bool(n),
                    _ => None,
                })
                .unwrap_or(false);
            match d.node.name.node.as_str() {
                "skip" => !cond,
                "include" => cond,
                _ => true,
            }
        })
    }

    fn collect<'d>(&'d self, set: &'d SelectionSet, runtime: &str, out: &mut Collected<'d>) {
        for item in &set.items {
            match &item.node {
                Selection::Field(f) => {
                    if self.included(&f.node.directives) {
                        let key = f.node.response_key().node.to_string();
                        out.entry(key)
                            .or_insert_with(|| (&f.node, Vec::new()))
                            .1
                            .push(&f.node.selection_set.node);
                    }
                }
                Selection::InlineFragment(frag) => {
                    let applies = frag
                        .node
                        .type_condition
                        .as_ref()
                        .is_none_or(|c| self.real.applies(c.node.on.node.as_str(), runtime));
                    if applies && self.included(&frag.node.directives) {
                        self.collect(&frag.node.selection_set.node, runtime, out);
                    }
                }
                Selection::FragmentSpread(spread) => {
                    if let Some(def) = self.doc.fragments.get(&spread.node.fragment_name.node)
                        && self
                            .real
                            .applies(def.node.type_condition.node.on.node.as_str(), runtime)
                        && self.included(&spread.node.directives)
                    {
                        self.collect(&def.node.selection_set.node, runtime, out);
                    }
                }
            }
        }
    }

    /// An object of (static) type `ty` from the simulator's `map` (empty: no data).
    pub(super) fn object(
        &self,
        sets: &[&SelectionSet],
        ty: &str,
        mut map: IndexMap<Name, Value>,
    ) -> Value {
        let runtime = if self.real.is_abstract(ty) {
            match map.get(TYPE_KEY) {
                Some(Value::String(t)) if self.real.applies(ty, t) => t.clone(),
                _ => self
                    .real
                    .possible(ty)
                    .first()
                    .cloned()
                    .unwrap_or_else(|| ty.to_owned()),
            }
        } else {
            ty.to_owned()
        };
        let mut fields = Collected::new();
        for set in sets {
            self.collect(set, &runtime, &mut fields);
        }
        let mut out = IndexMap::with_capacity(fields.len());
        for (key, (field, subs)) in fields {
            let name = field.name.node.as_str();
            let value = map.shift_remove(key.as_str());
            let done = if name == "__typename" {
                Value::String(runtime.clone())
            } else if name.starts_with("__") {
                value.unwrap_or(Value::Null)
            } else {
                match self.real.field(&runtime, name) {
                    None => value.unwrap_or(Value::Null),
                    Some(def) => match value {
                        Some(v) => self.value(v, &def.ty, &subs),
                        None => self.missing(&def.ty, &subs),
                    },
                }
            };
            out.insert(Name::new(key), done);
        }
        Value::Object(out)
    }

    fn value(&self, v: Value, ty: &TypeRef, subs: &[&SelectionSet]) -> Value {
        match ty {
            TypeRef::NonNull(inner) if v == Value::Null => self.non_null(inner, subs),
            TypeRef::NonNull(inner) => self.value(v, inner, subs),
            TypeRef::List(inner) => match v {
                Value::List(items) => Value::List(
                    items
                        .into_iter()
                        .map(|i| self.value(i, inner, subs))
                        .collect(),
                ),
                other => other,
            },
            TypeRef::Named(name) => match v {
                Value::Object(map) if self.real.is_composite(name) => self.object(subs, name, map),
                other => other,
            },
        }
    }

    fn missing(&self, ty: &TypeRef, subs: &[&SelectionSet]) -> Value {
        match ty {
            TypeRef::NonNull(inner) => self.non_null(inner, subs),
            _ => Value::Null,
        }
    }

    fn non_null(&self, ty: &TypeRef, subs: &[&SelectionSet]) -> Value {
        match ty {
            TypeRef::List(_) => Value::List(Vec::new()),
            TypeRef::NonNull(inner) => self.non_null(inner, subs),
            TypeRef::Named(name) => match self.real.ty(name).map(|t| (t.kind, t)) {
                Some((Kind::Enum, t)) => t
                    .enum_values
                    .first()
                    .map_or(Value::Null, |v| Value::Enum(Name::new(v))),
                Some((Kind::Object | Kind::Interface | Kind::Union, _)) => {
                    self.object(subs, name, IndexMap::new())
                }
                _ => scalar_default(name),
            },
        }
    }
}
