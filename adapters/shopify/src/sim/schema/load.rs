//! The shipped Admin API schemas (`adapters/shopify/schema/*.json.gz`, Shopify's own
//! introspection results, embedded in the binary), the version a request path maps
//! to, and each version's [`Schema`] index, gunzipped and parsed once, on first use.
//!
//! Version rule: a shipped version is used as is; any other `YYYY-MM` uses the nearest
//! shipped version not newer than it, or the oldest shipped one when all are newer;
//! `unstable` uses the newest.

use std::collections::HashMap;
use std::io::Read;
use std::sync::OnceLock;

use serde::Deserialize;

use super::{FieldDef, InputDef, Kind, Schema, TypeDef, TypeRef};

/// Shipped versions, oldest first, with their gzipped introspection JSON.
const SHIPPED: [(&str, &[u8]); 4] = [
    (
        "2025-07",
        include_bytes!("../../../schema/admin_2025-07.json.gz"),
    ),
    (
        "2026-01",
        include_bytes!("../../../schema/admin_2026-01.json.gz"),
    ),
    (
        "2026-07",
        include_bytes!("../../../schema/admin_2026-07.json.gz"),
    ),
    (
        "2026-10",
        include_bytes!("../../../schema/admin_2026-10.json.gz"),
    ),
];

/// Which shipped version answers a request for `version`.
pub(super) fn shipped_for(version: &str) -> usize {
    if version == "unstable" {
        return SHIPPED.len() - 1;
    }
    SHIPPED
        .iter()
        .rposition(|(v, _)| *v <= version)
        .unwrap_or(0)
}

/// The real schema for a request's API version.
pub(in crate::sim) fn for_version(version: &str) -> &'static Schema {
    static LOADED: [OnceLock<Schema>; 4] = [
        OnceLock::new(),
        OnceLock::new(),
        OnceLock::new(),
        OnceLock::new(),
    ];
    let i = shipped_for(version);
    LOADED[i].get_or_init(|| {
        let (_, gz) = SHIPPED[i];
        // The files are part of the build; a broken one is a packaging bug.
        parse(gz).expect("invariant: a shipped schema file is valid gzip introspection JSON")
    })
}
#[derive(Deserialize)]
struct Root {
    data: Data,
}

#[derive(Deserialize)]
struct Data {
    #[serde(rename = "__schema")]
    schema: RawSchema,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawSchema {
    query_type: Named,
    mutation_type: Option<Named>,
    subscription_type: Option<Named>,
    types: Vec<RawType>,
    directives: Vec<RawDirective>,
}

#[derive(Deserialize)]
struct Named {
    name: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawType {
    kind: String,
    name: String,
    fields: Option<Vec<RawField>>,
    input_fields: Option<Vec<RawInput>>,
    enum_values: Option<Vec<Named>>,
    possible_types: Option<Vec<Named>>,
}

#[derive(Deserialize)]
struct RawField {
    name: String,
    args: Vec<RawInput>,
    #[serde(rename = "type")]
    ty: RawRef,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawInput {
    name: String,
    #[serde(rename = "type")]
    ty: RawRef,
    default_value: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawRef {
    kind: String,
    name: Option<String>,
    of_type: Option<Box<RawRef>>,
}

#[derive(Deserialize)]
struct RawDirective {
    name: String,
    args: Vec<RawInput>,
}

#[derive(Debug, thiserror::Error)]
pub(super) enum LoadError {
    #[error("schema file is not gzip: {0}")]
    Gzip(#[from] std::io::Error),
    #[error("schema file is not introspection JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("schema file has a malformed type reference")]
    TypeRef,
}

fn type_ref(raw: &RawRef) -> Result<TypeRef, LoadError> {
    let inner = || raw.of_type.as_deref().ok_or(LoadError::TypeRef);
    Ok(match raw.kind.as_str() {
        "NON_NULL" => TypeRef::NonNull(Box::new(type_ref(inner()?)?)),
        "LIST" => TypeRef::List(Box::new(type_ref(inner()?)?)),
        _ => TypeRef::Named(raw.name.clone().ok_or(LoadError::TypeRef)?),
    })
}

fn inputs(raw: &[RawInput]) -> Result<Vec<InputDef>, LoadError> {
    raw.iter()
        .map(|a| {
            Ok(InputDef {
                name: a.name.clone(),
                ty: type_ref(&a.ty)?,
                has_default: a.default_value.is_some(),
            })
        })
        .collect()
}

fn kind(raw: &str) -> Kind {
    match raw {
        "OBJECT" => Kind::Object,
        "INTERFACE" => Kind::Interface,
        "UNION" => Kind::Union,
        "ENUM" => Kind::Enum,
        "INPUT_OBJECT" => Kind::InputObject,
        _ => Kind::Scalar,
    }
}

/// Parses one gzipped introspection result into a [`Schema`].
pub(super) fn parse(gz: &[u8]) -> Result<Schema, LoadError> {
    let mut json = Vec::new();
    flate2::read::GzDecoder::new(gz).read_to_end(&mut json)?;
    let root: Root = serde_json::from_slice(&json)?;
    let raw = root.data.schema;
    let mut types = HashMap::with_capacity(raw.types.len());
    for t in &raw.types {
        let kind = kind(&t.kind);
        let mut fields = HashMap::new();
        for f in t.fields.iter().flatten() {
            fields.insert(
                f.name.clone(),
                FieldDef {
                    ty: type_ref(&f.ty)?,
                    args: inputs(&f.args)?,
                },
            );
        }
        let possible = if kind == Kind::Object {
            vec![t.name.clone()]
        } else {
            t.possible_types
                .iter()
                .flatten()
                .map(|p| p.name.clone())
                .collect()
        };
        types.insert(
            t.name.clone(),
            TypeDef {
                kind,
                fields,
                input_fields: inputs(t.input_fields.as_deref().unwrap_or_default())?,
                possible,
                enum_values: t
                    .enum_values
                    .iter()
                    .flatten()
                    .map(|v| v.name.clone())
                    .collect(),
            },
        );
    }
    let mut directives = HashMap::new();
    for d in &raw.directives {
        directives.insert(d.name.clone(), inputs(&d.args)?);
    }
    Ok(Schema {
        query: raw.query_type.name,
        mutation: raw.mutation_type.map(|m| m.name),
        subscription: raw.subscription_type.map(|s| s.name),
        types,
        directives,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_fall_back_to_the_nearest_not_newer_else_the_oldest() {
        let name = |v: &str| SHIPPED[shipped_for(v)].0;
        assert_eq!(name("2025-07"), "2025-07");
        assert_eq!(name("2025-10"), "2025-07");
        assert_eq!(name("2026-04"), "2026-01");
        assert_eq!(name("2027-01"), "2026-10");
        assert_eq!(name("2024-01"), "2025-07");
        assert_eq!(name("unstable"), "2026-10");
    }

    #[test]
    fn a_shipped_schema_has_the_fields_connectors_ask_for() {
        let s = for_version("2025-07");
        assert_eq!(s.query, "QueryRoot");
        assert_eq!(s.mutation.as_deref(), Some("Mutation"));
        assert!(s.field("Customer", "multipassIdentifier").is_some());
        assert!(s.field("MailingAddress", "timeZone").is_some());
        assert!(s.possible("Node").iter().any(|t| t == "Order"));
        assert!(s.field("QueryRoot", "bulkOperation").is_none());
        assert!(
            for_version("2026-01")
                .field("QueryRoot", "bulkOperation")
                .is_some()
        );
    }
}
