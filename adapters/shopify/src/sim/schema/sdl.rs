//! The simulator's own async-graphql schema as a [`Schema`] index (from its SDL), so a
//! request planned against the real schema knows which fields the simulator can
//! resolve, and the bulk query rules know its field types.

use std::collections::HashMap;
use std::sync::OnceLock;

use async_graphql::parser::types::{InputValueDefinition, TypeKind, TypeSystemDefinition};
use async_graphql::parser::{Positioned, parse_schema};

use super::{FieldDef, InputDef, Kind, Schema, TypeDef, TypeRef, link_possible};

fn inputs(defs: &[Positioned<InputValueDefinition>]) -> Vec<InputDef> {
    defs.iter()
        .map(|a| InputDef {
            name: a.node.name.node.to_string(),
            ty: TypeRef::from_parsed(&a.node.ty.node),
            has_default: a.node.default_value.is_some(),
        })
        .collect()
}

/// Indexes an SDL document (types, roots, interfaces' implementors).
pub(super) fn from_sdl(sdl: &str) -> Schema {
    let mut schema = Schema {
        query: "Query".to_owned(),
        ..Schema::default()
    };
    let Ok(doc) = parse_schema(sdl) else {
        return schema;
    };
    let mut implements = Vec::new();
    for def in doc.definitions {
        match def {
            TypeSystemDefinition::Schema(s) => {
                if let Some(q) = &s.node.query {
                    schema.query = q.node.to_string();
                }
                schema.mutation = s.node.mutation.map(|m| m.node.to_string());
                schema.subscription = s.node.subscription.map(|m| m.node.to_string());
            }
            TypeSystemDefinition::Directive(d) => {
                schema
                    .directives
                    .insert(d.node.name.node.to_string(), inputs(&d.node.arguments));
            }
            TypeSystemDefinition::Type(t) => {
                let name = t.node.name.node.to_string();
                let mut def = TypeDef {
                    kind: Kind::Scalar,
                    fields: HashMap::new(),
                    input_fields: Vec::new(),
                    possible: Vec::new(),
                    enum_values: Vec::new(),
                };
                let fields = match &t.node.kind {
                    TypeKind::Scalar => &[][..],
                    TypeKind::Object(o) => {
                        def.kind = Kind::Object;
                        for i in &o.implements {
                            implements.push((name.clone(), i.node.to_string()));
                        }
                        &o.fields[..]
                    }
                    TypeKind::Interface(i) => {
                        def.kind = Kind::Interface;
                        &i.fields[..]
                    }
                    TypeKind::Union(u) => {
                        def.kind = Kind::Union;
                        def.possible = u.members.iter().map(|m| m.node.to_string()).collect();
                        &[][..]
                    }
                    TypeKind::Enum(e) => {
                        def.kind = Kind::Enum;
                        def.enum_values = e
                            .values
                            .iter()
                            .map(|v| v.node.value.node.to_string())
                            .collect();
                        &[][..]
                    }
                    TypeKind::InputObject(i) => {
                        def.kind = Kind::InputObject;
                        def.input_fields = inputs(&i.fields);
                        &[][..]
                    }
                };
                for f in fields {
                    def.fields.insert(
                        f.node.name.node.to_string(),
                        FieldDef {
                            ty: TypeRef::from_parsed(&f.node.ty.node),
                            args: inputs(&f.node.arguments),
                        },
                    );
                }
                schema.types.insert(name, def);
            }
        }
    }
    // SDL leaves the built-in scalars out.
    for builtin in ["Int", "Float", "String", "Boolean", "ID"] {
        schema
            .types
            .entry(builtin.to_owned())
            .or_insert_with(|| TypeDef {
                kind: Kind::Scalar,
                fields: HashMap::new(),
                input_fields: Vec::new(),
                possible: Vec::new(),
                enum_values: Vec::new(),
            });
    }
    link_possible(&mut schema.types, &implements);
    schema
}

/// The simulator's schema, indexed once.
pub(in crate::sim) fn simulator() -> &'static Schema {
    static SIM: OnceLock<Schema> = OnceLock::new();
    SIM.get_or_init(|| from_sdl(crate::sim::graphql::sdl()))
}
