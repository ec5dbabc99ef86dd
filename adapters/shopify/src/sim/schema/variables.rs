//! The variable rules of validation, with graphql-ruby's messages: variables are of
//! input types and given valid values (or have defaults), every one used is declared,
//! every one declared is used, and each is used where its type fits.

use std::collections::HashMap;

use async_graphql::parser::types::OperationDefinition;
use serde_json::{Value as Json, json};

use super::error::GqlError;
use super::values::{VarUse, json_problem};
use super::{Schema, TypeRef};

/// An operation's declared variables (valid input types only) and the errors found.
pub(super) struct Declared {
    pub(super) types: HashMap<String, TypeRef>,
    pub(super) errors: Vec<GqlError>,
}

/// Checks an operation's variable definitions and the values the request gives them.
pub(super) fn definitions(
    schema: &Schema,
    op: &OperationDefinition,
    variables: &Json,
    path: &[String],
) -> Declared {
    let mut out = Declared {
        types: HashMap::new(),
        errors: Vec::new(),
    };
    for def in &op.variable_definitions {
        let var = def.node.name.node.as_str();
        let ty = TypeRef::from_parsed(&def.node.var_type.node);
        if !schema.is_input(ty.named()) {
            out.errors.push(GqlError::new(
                format!("{} isn't a defined input type (on ${var})", ty.named()),
                def.pos,
                path,
                json!({"code": "variableRequiresValidType", "typeName": ty.named(), "variableName": var}),
            ));
            continue;
        }
        let given = variables.get(var);
        let problem = match given {
            None if def.node.default_value.is_some() => None,
            None => json_problem(schema, &Json::Null, &ty),
            Some(value) => json_problem(schema, value, &ty),
        };
        if let Some((at, explanation)) = problem {
            out.errors.push(GqlError::invalid_value(
                format!("Variable ${var} of type {ty} was provided invalid value"),
                def.pos,
                json!({"value": given.cloned().unwrap_or(Json::Null), "problems": [{"path": at, "explanation": explanation}]}),
            ));
        }
        out.types.insert(var.to_owned(), ty);
    }
    out
}

/// Whether a variable of type `var` may go where `loc` is expected.
fn compatible(var: &TypeRef, loc: &TypeRef) -> bool {
    match (var, loc) {
        (TypeRef::NonNull(v), TypeRef::NonNull(l)) => compatible(v, l),
        (_, TypeRef::NonNull(_)) => false,
        (TypeRef::NonNull(v), l) => compatible(v, l),
        (TypeRef::List(v), TypeRef::List(l)) => compatible(v, l),
        (TypeRef::Named(v), TypeRef::Named(l)) => v == l,
        _ => false,
    }
}

/// Checks where an operation (through its fragments) uses its variables.
pub(super) fn usages(
    op: &OperationDefinition,
    declared: &HashMap<String, TypeRef>,
    uses: &[&VarUse],
    described: &str,
    path: &[String],
) -> Vec<GqlError> {
    let mut errors = Vec::new();
    for u in uses {
        let defined = op
            .variable_definitions
            .iter()
            .find(|d| d.node.name.node == u.name);
        let Some(ty) = declared.get(&u.name) else {
            if defined.is_none() {
                errors.push(GqlError::new(
                    format!(
                        "Variable ${} is used by {described} but not declared",
                        u.name
                    ),
                    u.pos,
                    path,
                    json!({"code": "variableNotDefined", "variableName": u.name}),
                ));
            }
            continue;
        };
        let has_default = defined.is_some_and(|d| {
            d.node
                .default_value
                .as_ref()
                .is_some_and(|d| d.node != async_graphql::Value::Null)
        });
        let var_ty = if (has_default || u.has_default) && !ty.non_null() {
            TypeRef::NonNull(Box::new(ty.clone()))
        } else {
            ty.clone()
        };
        if !compatible(&var_ty, &u.expected) {
            let kind = if var_ty.named() != u.expected.named() {
                "Type mismatch"
            } else if var_ty.list_depth() != u.expected.list_depth() {
                "List dimension mismatch"
            } else {
                "Nullability mismatch"
            };
            errors.push(GqlError::new(
                format!("{kind} on variable ${} and argument {} ({ty} / {})", u.name, u.argument, u.expected),
                u.pos,
                path,
                json!({"code": "variableMismatch", "variableName": u.name, "typeName": ty.to_string(), "argumentName": u.argument, "errorMessage": kind}),
            ));
        }
    }
    for def in &op.variable_definitions {
        let var = def.node.name.node.as_str();
        if !uses.iter().any(|u| u.name == var) {
            errors.push(GqlError::new(
                format!("Variable ${var} is declared by {described} but not used"),
                def.pos,
                path,
                json!({"code": "variableNotUsed", "variableName": var}),
            ));
        }
    }
    errors
}
