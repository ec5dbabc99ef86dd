//! Shopify's real Admin GraphQL schema in the simulator: an index of types, fields,
//! arguments and possible types, built once per API version from the introspection
//! files shipped in `adapters/shopify/schema/` ([`load`]) and once from the
//! simulator's own async-graphql SDL ([`sdl`]). Requests are validated against the
//! real one ([`validate`]), planned onto the simulator's ([`rewrite`]), and their
//! results completed with what Shopify answers for data a store does not have
//! ([`defaults`]); [`run`] ties the three together.

mod defaults;
mod error;
mod load;
mod rewrite;
pub(super) mod run;
mod sdl;
mod validate;
mod values;
mod variables;

use std::collections::HashMap;
use std::fmt;

pub(super) use load::for_version;
pub(super) use sdl::simulator;

/// A type reference: a named type, a list, or non-null.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum TypeRef {
    Named(String),
    List(Box<TypeRef>),
    NonNull(Box<TypeRef>),
}

impl TypeRef {
    /// The named type under any list and non-null wrappers.
    pub(super) fn named(&self) -> &str {
        match self {
            TypeRef::Named(n) => n,
            TypeRef::List(t) | TypeRef::NonNull(t) => t.named(),
        }
    }

    pub(super) fn non_null(&self) -> bool {
        matches!(self, TypeRef::NonNull(_))
    }

    /// How many lists wrap the named type.
    pub(super) fn list_depth(&self) -> usize {
        match self {
            TypeRef::Named(_) => 0,
            TypeRef::List(t) => 1 + t.list_depth(),
            TypeRef::NonNull(t) => t.list_depth(),
        }
    }

    /// The type of an async-graphql parser type (`[ID!]!`).
    pub(super) fn from_parsed(ty: &async_graphql::parser::types::Type) -> Self {
        use async_graphql::parser::types::BaseType;
        let base = match &ty.base {
            BaseType::Named(n) => TypeRef::Named(n.to_string()),
            BaseType::List(inner) => TypeRef::List(Box::new(Self::from_parsed(inner))),
        };
        if ty.nullable {
            base
        } else {
            TypeRef::NonNull(Box::new(base))
        }
    }
}

impl fmt::Display for TypeRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TypeRef::Named(n) => f.write_str(n),
            TypeRef::List(t) => write!(f, "[{t}]"),
            TypeRef::NonNull(t) => write!(f, "{t}!"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Scalar,
    Object,
    Interface,
    Union,
    Enum,
    InputObject,
}

/// An argument, input field or directive argument.
#[derive(Debug, Clone)]
pub(super) struct InputDef {
    pub(super) name: String,
    pub(super) ty: TypeRef,
    pub(super) has_default: bool,
}

#[derive(Debug, Clone)]
pub(super) struct FieldDef {
    pub(super) ty: TypeRef,
    pub(super) args: Vec<InputDef>,
}

impl FieldDef {
    pub(super) fn arg(&self, name: &str) -> Option<&InputDef> {
        self.args.iter().find(|a| a.name == name)
    }
}

#[derive(Debug, Clone)]
pub(super) struct TypeDef {
    pub(super) kind: Kind,
    pub(super) fields: HashMap<String, FieldDef>,
    pub(super) input_fields: Vec<InputDef>,
    /// Object types of an interface or union (the type itself for an object).
    pub(super) possible: Vec<String>,
    pub(super) enum_values: Vec<String>,
}

/// One GraphQL schema's types.
#[derive(Debug, Default)]
pub(super) struct Schema {
    pub(super) query: String,
    pub(super) mutation: Option<String>,
    pub(super) subscription: Option<String>,
    pub(super) types: HashMap<String, TypeDef>,
    /// Directive name → its arguments.
    pub(super) directives: HashMap<String, Vec<InputDef>>,
}

impl Schema {
    pub(super) fn ty(&self, name: &str) -> Option<&TypeDef> {
        self.types.get(name)
    }

    pub(super) fn kind(&self, name: &str) -> Option<Kind> {
        self.ty(name).map(|t| t.kind)
    }

    /// A field of an object or interface type.
    pub(super) fn field(&self, ty: &str, name: &str) -> Option<&FieldDef> {
        self.ty(ty)?.fields.get(name)
    }

    /// Objects, interfaces and unions have selections.
    pub(super) fn is_composite(&self, name: &str) -> bool {
        matches!(
            self.kind(name),
            Some(Kind::Object | Kind::Interface | Kind::Union)
        )
    }

    pub(super) fn is_abstract(&self, name: &str) -> bool {
        matches!(self.kind(name), Some(Kind::Interface | Kind::Union))
    }

    pub(super) fn is_input(&self, name: &str) -> bool {
        matches!(
            self.kind(name),
            Some(Kind::Scalar | Kind::Enum | Kind::InputObject)
        )
    }

    /// The object types a value of `name` can be.
    pub(super) fn possible(&self, name: &str) -> &[String] {
        self.ty(name).map_or(&[], |t| t.possible.as_slice())
    }

    /// Whether an object of type `object` is a `condition` (fragment type condition).
    pub(super) fn applies(&self, condition: &str, object: &str) -> bool {
        condition == object || self.possible(condition).iter().any(|p| p == object)
    }

    /// Whether some object is both an `a` and a `b` (a fragment on `a` can be spread in `b`).
    pub(super) fn overlap(&self, a: &str, b: &str) -> bool {
        let pb = self.possible(b);
        self.possible(a).iter().any(|t| pb.contains(t))
    }

    /// A connection type: Relay's `…Connection` with `pageInfo` and `edges` or `nodes`.
    pub(super) fn is_connection(&self, name: &str) -> bool {
        name.ends_with("Connection")
            && self.field(name, "pageInfo").is_some()
            && (self.field(name, "edges").is_some() || self.field(name, "nodes").is_some())
    }
}

/// Builds the possible types of interfaces from the objects implementing them.
pub(super) fn link_possible(types: &mut HashMap<String, TypeDef>, implements: &[(String, String)]) {
    for (object, interface) in implements {
        if let Some(t) = types.get_mut(interface)
            && !t.possible.contains(object)
        {
            t.possible.push(object.clone());
        }
    }
    for (name, t) in types.iter_mut() {
        if t.kind == Kind::Object {
            t.possible = vec![name.clone()];
        }
    }
}
