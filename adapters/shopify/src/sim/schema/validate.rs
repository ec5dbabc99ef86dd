//! Validation of a request against the real Admin API schema, with Shopify's
//! (graphql-ruby's) error messages and `extensions.code`s: fields exist on their type
//! (through fragments too), arguments exist and required ones are given, literals fit
//! their types, fragments name real composite types and spread where they can apply,
//! leaves have no selections and objects have some, directives exist; the variable
//! rules are [`super::variables`].

use std::collections::{HashMap, HashSet};

use async_graphql::Pos;
use async_graphql::parser::Positioned;
use async_graphql::parser::types::{
    Directive, ExecutableDocument, OperationType, Selection, SelectionSet,
};
use serde_json::{Value as Json, json};

pub(in crate::sim) use super::error::GqlError;
use super::values::{VarUse, literal_ok};
use super::{Schema, variables};

/// What one operation or fragment uses: variables and fragment spreads.
#[derive(Default)]
struct Scope {
    uses: Vec<VarUse>,
    spreads: Vec<String>,
}

struct Validator<'a> {
    schema: &'a Schema,
    doc: &'a ExecutableDocument,
    errors: Vec<GqlError>,
    path: Vec<String>,
    scope: Scope,
}

fn op_word(ty: OperationType) -> &'static str {
    match ty {
        OperationType::Query => "query",
        OperationType::Mutation => "mutation",
        OperationType::Subscription => "subscription",
    }
}

impl Validator<'_> {
    fn error(&mut self, message: String, pos: Pos, ext: Json) {
        self.errors
            .push(GqlError::new(message, pos, &self.path, ext));
    }

    fn directives(&mut self, directives: &[Positioned<Directive>]) {
        for d in directives {
            let name = d.node.name.node.as_str();
            let Some(args) = self.schema.directives.get(name) else {
                self.error(
                    format!("Directive @{name} is not defined"),
                    d.pos,
                    json!({"code": "undefinedDirective", "directiveName": name}),
                );
                continue;
            };
            for (arg, value) in &d.node.arguments {
                let Some(def) = args.iter().find(|a| a.name == arg.node.as_str()) else {
                    self.error(
                        format!("Directive '{name}' doesn't accept argument '{}'", arg.node),
                        arg.pos,
                        json!({"code": "argumentNotAccepted", "name": name, "typeName": "Directive", "argumentName": arg.node.as_str()}),
                    );
                    continue;
                };
                let at = (def.name.as_str(), def.has_default, value.pos);
                if !literal_ok(self.schema, &value.node, &def.ty, at, &mut self.scope.uses) {
                    self.error(
                        format!("Argument '{}' on Directive '{name}' has an invalid value ({}). Expected type '{}'.", def.name, value.node, def.ty),
                        value.pos,
                        json!({"code": "argumentLiteralsIncompatible", "typeName": "Directive", "argumentName": def.name}),
                    );
                }
            }
            let missing: Vec<&str> = args
                .iter()
                .filter(|a| a.ty.non_null() && !a.has_default)
                .filter(|a| !d.node.arguments.iter().any(|(n, _)| n.node == a.name))
                .map(|a| a.name.as_str())
                .collect();
            if !missing.is_empty() {
                self.error(
                    format!("Directive '{name}' is missing required arguments: {}", missing.join(", ")),
                    d.pos,
                    json!({"code": "missingRequiredArguments", "className": "Directive", "name": name, "arguments": missing.join(", ")}),
                );
            }
        }
    }

    /// A fragment's type condition names a composite type; false when it does not.
    fn condition_ok(&mut self, on: &Positioned<async_graphql::Name>) -> bool {
        let name = on.node.as_str();
        if self.schema.ty(name).is_none() {
            self.error(
                format!("No such type {name}, so it can't be a fragment condition"),
                on.pos,
                json!({"code": "undefinedType", "typeName": name}),
            );
            return false;
        }
        if !self.schema.is_composite(name) {
            self.error(
                format!("Invalid fragment on type {name} (must be Union, Interface or Object)"),
                on.pos,
                json!({"code": "fragmentOnNonCompositeType", "typeName": name}),
            );
            return false;
        }
        true
    }

    fn selection_set(&mut self, set: &SelectionSet, parent: &str) {
        for item in &set.items {
            match &item.node {
                Selection::Field(f) => self.field(f, parent),
                Selection::InlineFragment(frag) => {
                    let on = frag.node.type_condition.as_ref().map(|c| &c.node.on);
                    self.path.push(
                        on.map_or_else(|| "...".to_owned(), |c| format!("... on {}", c.node)),
                    );
                    self.directives(&frag.node.directives);
                    let ty = match on {
                        None => Some(parent.to_owned()),
                        Some(c) if self.condition_ok(c) => {
                            if !self.schema.overlap(c.node.as_str(), parent) {
                                self.error(
                                    format!("Fragment on {} can't be spread inside {parent}", c.node),
                                    frag.pos,
                                    json!({"code": "cannotSpreadFragment", "typeName": c.node.as_str(), "fragmentName": "unknown", "parentName": parent}),
                                );
                            }
                            Some(c.node.to_string())
                        }
                        Some(_) => None,
                    };
                    if let Some(ty) = ty {
                        self.selection_set(&frag.node.selection_set.node, &ty);
                    }
                    self.path.pop();
                }
                Selection::FragmentSpread(spread) => {
                    let name = spread.node.fragment_name.node.as_str();
                    self.path.push(format!("... {name}"));
                    self.directives(&spread.node.directives);
                    self.scope.spreads.push(name.to_owned());
                    match self.doc.fragments.get(&spread.node.fragment_name.node) {
                        None => self.error(
                            format!("Fragment {name} was used, but not defined"),
                            spread.pos,
                            json!({"code": "useAndDefineFragment", "fragmentName": name}),
                        ),
                        Some(def) => {
                            let on = def.node.type_condition.node.on.node.as_str();
                            if self.schema.is_composite(on) && !self.schema.overlap(on, parent) {
                                self.error(
                                    format!("Fragment {name} on {on} can't be spread inside {parent}"),
                                    spread.pos,
                                    json!({"code": "cannotSpreadFragment", "typeName": on, "fragmentName": name, "parentName": parent}),
                                );
                            }
                        }
                    }
                    self.path.pop();
                }
            }
        }
    }

    fn field(&mut self, f: &Positioned<async_graphql::parser::types::Field>, parent: &str) {
        let field = &f.node;
        let name = field.name.node.as_str();
        self.path.push(field.response_key().node.to_string());
        self.directives(&field.directives);
        let subs = &field.selection_set.node;
        if name == "__typename" || (parent == self.schema.query && name.starts_with("__")) {
            self.path.pop();
            return;
        }
        let Some(def) = self.schema.field(parent, name) else {
            if self.schema.kind(parent) == Some(super::Kind::Union) {
                self.error(
                    format!(
                        "Selections can't be made directly on unions (see selections on {parent})"
                    ),
                    f.pos,
                    json!({"code": "selectionMismatch", "nodeName": parent}),
                );
            } else {
                self.error(
                    format!("Field '{name}' doesn't exist on type '{parent}'"),
                    f.pos,
                    json!({"code": "undefinedField", "typeName": parent, "fieldName": name}),
                );
            }
            self.path.pop();
            return;
        };
        for (arg, value) in &field.arguments {
            let arg_name = arg.node.as_str();
            let Some(arg_def) = def.arg(arg_name) else {
                self.path.push(arg_name.to_owned());
                self.error(
                    format!("Field '{name}' doesn't accept argument '{arg_name}'"),
                    arg.pos,
                    json!({"code": "argumentNotAccepted", "name": name, "typeName": "Field", "argumentName": arg_name}),
                );
                self.path.pop();
                continue;
            };
            let at = (arg_name, arg_def.has_default, value.pos);
            if !literal_ok(
                self.schema,
                &value.node,
                &arg_def.ty,
                at,
                &mut self.scope.uses,
            ) {
                self.path.push(arg_name.to_owned());
                self.error(
                    format!("Argument '{arg_name}' on Field '{name}' has an invalid value ({}). Expected type '{}'.", value.node, arg_def.ty),
                    value.pos,
                    json!({"code": "argumentLiteralsIncompatible", "typeName": "Field", "argumentName": arg_name}),
                );
                self.path.pop();
            }
        }
        let missing: Vec<&str> = def
            .args
            .iter()
            .filter(|a| a.ty.non_null() && !a.has_default)
            .filter(|a| !field.arguments.iter().any(|(n, _)| n.node == a.name))
            .map(|a| a.name.as_str())
            .collect();
        if !missing.is_empty() {
            self.error(
                format!("Field '{name}' is missing required arguments: {}", missing.join(", ")),
                f.pos,
                json!({"code": "missingRequiredArguments", "className": "Field", "name": name, "arguments": missing.join(", ")}),
            );
        }
        let named = def.ty.named();
        let composite = self.schema.is_composite(named);
        if composite && subs.items.is_empty() {
            self.error(
                format!("Field must have selections (field '{name}' returns {} but has no selections. Did you mean '{name} {{ ... }}'?)", def.ty),
                f.pos,
                json!({"code": "selectionMismatch", "nodeName": format!("field '{name}'"), "typeName": def.ty.to_string()}),
            );
        } else if !composite && !subs.items.is_empty() {
            let kind = if self.schema.kind(named) == Some(super::Kind::Enum) {
                "enums"
            } else {
                "scalars"
            };
            let selected: Vec<String> = subs
                .items
                .iter()
                .filter_map(|s| match &s.node {
                    Selection::Field(sf) => Some(sf.node.name.node.to_string()),
                    _ => None,
                })
                .collect();
            self.error(
                format!("Selections can't be made on {kind} (field '{name}' returns {} but has selections [{}])", def.ty, selected.join(", ")),
                f.pos,
                json!({"code": "selectionMismatch", "nodeName": format!("field '{name}'"), "typeName": def.ty.to_string()}),
            );
        } else if composite {
            self.selection_set(subs, named);
        }
        self.path.pop();
    }
}

/// The variables a scope uses, through the fragments it spreads (each once).
fn all_uses<'s>(
    scope: &'s Scope,
    fragments: &'s HashMap<String, Scope>,
    seen: &mut HashSet<String>,
    out: &mut Vec<&'s VarUse>,
) {
    out.extend(scope.uses.iter());
    for s in &scope.spreads {
        if seen.insert(s.clone())
            && let Some(f) = fragments.get(s)
        {
            all_uses(f, fragments, seen, out);
        }
    }
}

/// Validates `doc` against `schema` with the request's `variables`; empty when valid.
pub(in crate::sim) fn validate(
    schema: &Schema,
    doc: &ExecutableDocument,
    variables: &Json,
) -> Vec<GqlError> {
    let mut v = Validator {
        schema,
        doc,
        errors: Vec::new(),
        path: Vec::new(),
        scope: Scope::default(),
    };
    let mut fragment_scopes = HashMap::new();
    let mut fragments: Vec<_> = doc.fragments.iter().collect();
    fragments.sort_by_key(|(_, f)| (f.pos.line, f.pos.column));
    for (name, def) in &fragments {
        v.path = vec![format!("fragment {name}")];
        v.directives(&def.node.directives);
        let on = &def.node.type_condition.node.on;
        if v.condition_ok(on) {
            v.selection_set(&def.node.selection_set.node, on.node.as_str());
        }
        fragment_scopes.insert(name.to_string(), std::mem::take(&mut v.scope));
    }
    let mut ops: Vec<_> = doc.operations.iter().collect();
    ops.sort_by_key(|(_, op)| (op.pos.line, op.pos.column));
    let mut used_fragments = HashSet::new();
    for (name, op) in ops {
        let word = op_word(op.node.ty);
        let head = name.map_or_else(|| word.to_owned(), |n| format!("{word} {n}"));
        let described = name.map_or_else(|| format!("anonymous {word}"), |n| n.to_string());
        v.path = vec![head];
        let root = match op.node.ty {
            OperationType::Query => Some(schema.query.clone()),
            OperationType::Mutation => schema.mutation.clone(),
            OperationType::Subscription => schema.subscription.clone(),
        };
        let Some(root) = root else {
            v.error(
                format!("Schema is not configured for {word}s"),
                op.pos,
                json!({"code": format!("missing{}Configuration", if word == "mutation" { "Mutation" } else { "Subscription" })}),
            );
            continue;
        };
        v.directives(&op.node.directives);
        let declared = variables::definitions(schema, &op.node, variables, &v.path);
        v.errors.extend(declared.errors);
        v.selection_set(&op.node.selection_set.node, &root);
        let scope = std::mem::take(&mut v.scope);
        let mut seen = HashSet::new();
        let mut uses = Vec::new();
        all_uses(&scope, &fragment_scopes, &mut seen, &mut uses);
        used_fragments.extend(seen);
        v.path.truncate(1);
        v.errors.extend(variables::usages(
            &op.node,
            &declared.types,
            &uses,
            &described,
            &v.path,
        ));
    }
    for (name, def) in fragments {
        if !used_fragments.contains(name.as_str()) {
            v.path = vec![format!("fragment {name}")];
            v.error(
                format!("Fragment {name} was defined, but not used"),
                def.pos,
                json!({"code": "useAndDefineFragment", "fragmentName": name.as_str()}),
            );
        }
    }
    v.errors
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::schema::for_version;

    fn errors(q: &str, vars: Json) -> Vec<Json> {
        let doc = async_graphql::parser::parse_query(q).unwrap();
        validate(for_version("2025-07"), &doc, &vars)
            .iter()
            .map(GqlError::to_json)
            .collect()
    }

    #[test]
    fn unknown_fields_are_refused_with_shopifys_shape() {
        let e = errors("{ shop { name nope } }", Json::Null);
        assert_eq!(
            e,
            vec![json!({
                "message": "Field 'nope' doesn't exist on type 'Shop'",
                "locations": [{"line": 1, "column": 15}],
                "path": ["query", "shop", "nope"],
                "extensions": {"code": "undefinedField", "typeName": "Shop", "fieldName": "nope"},
            })]
        );
    }

    #[test]
    fn arguments_selections_fragments_and_variables_are_checked() {
        let codes = |q: &str, vars: Json| -> Vec<String> {
            errors(q, vars)
                .iter()
                .map(|e| {
                    e["extensions"]["code"]
                        .as_str()
                        .unwrap_or("value")
                        .to_owned()
                })
                .collect()
        };
        assert_eq!(
            codes("{ order { id } }", Json::Null),
            ["missingRequiredArguments"]
        );
        assert_eq!(
            codes("{ shop(x: 1) { id } }", Json::Null),
            ["argumentNotAccepted"]
        );
        assert_eq!(
            codes("{ orders(first: \"a\") { nodes { id } } }", Json::Null),
            ["argumentLiteralsIncompatible"]
        );
        assert_eq!(codes("{ shop }", Json::Null), ["selectionMismatch"]);
        assert_eq!(
            codes("{ shop { name { x } } }", Json::Null),
            ["selectionMismatch"]
        );
        assert_eq!(
            codes("{ shop { ... on Product { id } } }", Json::Null),
            ["cannotSpreadFragment"]
        );
        assert_eq!(
            codes("{ shop { ...F } }", Json::Null),
            ["useAndDefineFragment"]
        );
        assert_eq!(
            codes(
                "query($n: Int) { orders(first: $n) { nodes { id } } x: shop { id } }",
                json!({"n": 1})
            ),
            Vec::<String>::new()
        );
        assert_eq!(
            codes("{ orders(first: $n) { nodes { id } } }", Json::Null),
            ["variableNotDefined"]
        );
        assert_eq!(
            codes("query($n: Int) { shop { id } }", Json::Null),
            ["variableNotUsed"]
        );
        assert_eq!(
            codes(
                "query($id: String!) { order(id: $id) { id } }",
                json!({"id": "x"})
            ),
            ["variableMismatch"]
        );
        assert_eq!(
            codes("query($id: ID!) { order(id: $id) { id } }", Json::Null),
            ["value"]
        );
        assert_eq!(
            codes(
                "{ node(id: \"x\") { id ... on Order { name nope } } }",
                Json::Null
            ),
            ["undefinedField"]
        );
    }
}
