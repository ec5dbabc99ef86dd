//! Input values against input types, as GraphQL input coercion accepts them: argument
//! literals in a query (noting where variables are used, for the variable rules) and
//! the JSON values a request supplies for its variables.

use async_graphql_value::Value as Literal;
use serde_json::Value as Json;

use super::{Kind, Schema, TypeRef};

/// A variable used where a value of `expected` goes (`has_default`: that place has a default).
#[derive(Debug, Clone)]
pub(super) struct VarUse {
    pub(super) name: String,
    pub(super) expected: TypeRef,
    pub(super) argument: String,
    pub(super) has_default: bool,
    pub(super) pos: async_graphql::Pos,
}

/// Whether a built-in or custom scalar accepts a literal.
fn scalar_literal(name: &str, v: &Literal) -> bool {
    match name {
        "Int" => {
            matches!(v, Literal::Number(n) if n.as_i64().is_some_and(|i| i32::try_from(i).is_ok()))
        }
        "Float" => matches!(v, Literal::Number(_)),
        "String" => matches!(v, Literal::String(_)),
        "Boolean" => matches!(v, Literal::Boolean(_)),
        "ID" => matches!(v, Literal::String(_)) || matches!(v, Literal::Number(n) if n.is_i64()),
        "JSON" => true,
        // Shopify's custom scalars (DateTime, Decimal, Money, URL, ...) read strings or numbers.
        _ => matches!(v, Literal::String(_) | Literal::Number(_)),
    }
}

/// Checks a literal against `ty`, recording the variables inside it.
pub(super) fn literal_ok(
    schema: &Schema,
    v: &Literal,
    ty: &TypeRef,
    at: (&str, bool, async_graphql::Pos),
    uses: &mut Vec<VarUse>,
) -> bool {
    if let Literal::Variable(name) = v {
        uses.push(VarUse {
            name: name.to_string(),
            expected: ty.clone(),
            argument: at.0.to_owned(),
            has_default: at.1,
            pos: at.2,
        });
        return true;
    }
    match ty {
        TypeRef::NonNull(inner) => {
            !matches!(v, Literal::Null) && literal_ok(schema, v, inner, at, uses)
        }
        _ if matches!(v, Literal::Null) => true,
        TypeRef::List(inner) => match v {
            Literal::List(items) => items.iter().all(|i| literal_ok(schema, i, inner, at, uses)),
            single => literal_ok(schema, single, inner, at, uses),
        },
        TypeRef::Named(name) => match schema.ty(name) {
            Some(t) if t.kind == Kind::Enum => {
                matches!(v, Literal::Enum(e) if t.enum_values.iter().any(|x| x == e.as_str()))
            }
            Some(t) if t.kind == Kind::InputObject => {
                let Literal::Object(map) = v else {
                    return false;
                };
                map.keys()
                    .all(|k| t.input_fields.iter().any(|f| f.name == k.as_str()))
                    && t.input_fields
                        .iter()
                        .all(|f| match map.get(f.name.as_str()) {
                            Some(fv) => {
                                literal_ok(schema, fv, &f.ty, (&f.name, f.has_default, at.2), uses)
                            }
                            None => !f.ty.non_null() || f.has_default,
                        })
            }
            Some(_) => scalar_literal(name, v),
            None => false,
        },
    }
}

/// Why a variable's JSON value does not fit `ty`: the path inside it and an explanation.
pub(super) fn json_problem(schema: &Schema, v: &Json, ty: &TypeRef) -> Option<(Vec<Json>, String)> {
    match ty {
        TypeRef::NonNull(inner) => {
            if v.is_null() {
                Some((Vec::new(), "Expected value to not be null".to_owned()))
            } else {
                json_problem(schema, v, inner)
            }
        }
        _ if v.is_null() => None,
        TypeRef::List(inner) => match v {
            Json::Array(items) => items.iter().enumerate().find_map(|(i, item)| {
                json_problem(schema, item, inner).map(|(mut path, why)| {
                    path.insert(0, Json::from(i));
                    (path, why)
                })
            }),
            single => json_problem(schema, single, inner),
        },
        TypeRef::Named(name) => {
            let fits = match schema.ty(name) {
                Some(t) if t.kind == Kind::Enum => {
                    return v
                        .as_str()
                        .filter(|s| t.enum_values.iter().any(|x| x == s))
                        .map_or_else(
                            || {
                                Some((
                                    Vec::new(),
                                    format!(
                                        "Expected {v} to be one of: {}",
                                        t.enum_values.join(", ")
                                    ),
                                ))
                            },
                            |_| None,
                        );
                }
                Some(t) if t.kind == Kind::InputObject => {
                    let Json::Object(map) = v else {
                        return Some((
                            Vec::new(),
                            format!("Expected {v} to be a key-value object."),
                        ));
                    };
                    if let Some(k) = map
                        .keys()
                        .find(|k| !t.input_fields.iter().any(|f| &f.name == *k))
                    {
                        return Some((
                            vec![Json::from(k.as_str())],
                            format!("Field is not defined on {name}"),
                        ));
                    }
                    return t.input_fields.iter().find_map(|f| {
                        let fv = map.get(&f.name).unwrap_or(&Json::Null);
                        if f.has_default && !map.contains_key(&f.name) {
                            return None;
                        }
                        json_problem(schema, fv, &f.ty).map(|(mut path, why)| {
                            path.insert(0, Json::from(f.name.as_str()));
                            (path, why)
                        })
                    });
                }
                Some(_) => match name.as_str() {
                    "Int" => v.as_i64().is_some_and(|i| i32::try_from(i).is_ok()),
                    "Float" => v.is_number(),
                    "String" => v.is_string(),
                    "Boolean" => v.is_boolean(),
                    "ID" => v.is_string() || v.is_i64() || v.is_u64(),
                    "JSON" => true,
                    _ => v.is_string() || v.is_number(),
                },
                None => false,
            };
            (!fits).then(|| (Vec::new(), format!("Could not coerce value {v} to {name}")))
        }
    }
}
