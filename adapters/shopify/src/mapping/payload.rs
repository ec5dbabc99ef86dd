//! `polycart normalize --platform shopify`: finds the records in a payload (a REST
//! object or list envelope, a GraphQL node, connection or `{"data": ...}` response)
//! and maps each one. Pure: no IO.

use std::collections::HashMap;

use polycart_kit::connector::{Normalized, StoreContext};
use polycart_kit::decode::{at_index, split_envelope};
use polycart_kit::error::decode_json_borrowed;
use polycart_kit::model::{Entity, Record};
use polycart_kit::{Error, Result};
use serde_json::value::RawValue;

use crate::mapping;

/// REST envelope keys per entity, lists first.
fn rest_keys(entity: Entity) -> &'static [&'static str] {
    match entity {
        Entity::Order => &["orders", "order"],
        Entity::Product => &["products", "product"],
        Entity::Customer => &["customers", "customer"],
        Entity::Category => &[
            "custom_collections",
            "smart_collections",
            "collections",
            "custom_collection",
            "smart_collection",
            "collection",
        ],
        Entity::Inventory => &["inventory_levels", "inventory_level"],
    }
}

/// Maps one raw record of `entity`.
pub fn map_one(entity: Entity, raw: &RawValue, ctx: &StoreContext) -> Result<Record> {
    Ok(match entity {
        Entity::Order => mapping::order(raw)?.into(),
        Entity::Product => mapping::product(raw, ctx)?.into(),
        Entity::Customer => mapping::customer(raw)?.into(),
        Entity::Category => mapping::category(raw)?.into(),
        Entity::Inventory => mapping::inventory(raw)?.into(),
    })
}

/// The nodes of a GraphQL connection (`{edges:[{node}]}` or `{nodes:[...]}`), if
/// `raw` is one.
fn connection_nodes(raw: &RawValue) -> Option<Vec<&RawValue>> {
    if !raw.get().trim_start().starts_with('{') {
        return None;
    }
    let map: HashMap<&str, &RawValue> = serde_json::from_str(raw.get()).ok()?;
    if let Some(edges) = map.get("edges") {
        #[derive(serde::Deserialize)]
        struct Edge<'a> {
            #[serde(borrow)]
            node: &'a RawValue,
        }
        let edges: Vec<Edge<'_>> = serde_json::from_str(edges.get()).ok()?;
        return Some(edges.into_iter().map(|e| e.node).collect());
    }
    if let Some(nodes) = map.get("nodes") {
        return serde_json::from_str(nodes.get()).ok();
    }
    None
}

/// GraphQL fields that hold records of each entity, connections first.
fn graphql_fields(entity: Entity) -> &'static [&'static str] {
    match entity {
        Entity::Order => &["orders", "order"],
        Entity::Product => &["products", "product", "productByHandle"],
        Entity::Customer => &["customers", "customer"],
        Entity::Category => &["collections", "collection", "collectionByHandle"],
        Entity::Inventory => &["inventoryLevels", "inventoryLevel"],
    }
}

/// Finds the records of `entity` in a GraphQL response's `data`: the entity's field
/// at most three levels deep (`data.orders`, `data.order`,
/// `data.location.inventoryLevels`), else `data.node` / `data.nodes`.
fn graphql_records(entity: Entity, data: &RawValue, depth: u8) -> Option<(Vec<&RawValue>, bool)> {
    let map: HashMap<&str, &RawValue> = serde_json::from_str(data.get()).ok()?;
    let mut fields: Vec<&str> = graphql_fields(entity).to_vec();
    if depth == 0 {
        fields.extend(["nodes", "node"]);
    }
    for field in fields {
        let Some(value) = map.get(field) else {
            continue;
        };
        if let Some(nodes) = connection_nodes(value) {
            return Some((nodes, true));
        }
        let text = value.get().trim_start();
        if text.starts_with('[') {
            return Some((serde_json::from_str(value.get()).ok()?, true));
        }
        if text.starts_with('{') {
            return Some((vec![*value], false));
        }
    }
    if depth >= 2 {
        return None;
    }
    let mut nested: Vec<(&str, &RawValue)> = map
        .into_iter()
        .filter(|(_, v)| v.get().trim_start().starts_with('{'))
        .collect();
    nested.sort_by_key(|(k, _)| *k);
    nested
        .into_iter()
        .find_map(|(_, v)| graphql_records(entity, v, depth + 1))
}

/// `Connector::normalize`: normalises a payload of `entity` with what is known about
/// the shop. The store context gives REST product prices (and GraphQL variant prices)
/// the shop's currency; without it they are `null` unless a presentment price in the
/// same amount names it.
pub fn normalize(entity: Entity, text: &str, ctx: &StoreContext) -> Result<Normalized> {
    let trimmed = text.trim_start();
    let (items, list) = if trimmed.starts_with('{') {
        let map: HashMap<&str, &RawValue> = decode_json_borrowed(text)?;
        if let Some(data) = map.get("data") {
            graphql_records(entity, data, 0).ok_or_else(|| {
                Error::decode(
                    "$.data",
                    format!("no {entity} node or connection in the GraphQL response"),
                )
            })?
        } else if let Some(nodes) = connection_nodes(decode_json_borrowed(text)?) {
            (nodes, true)
        } else {
            split_envelope(text, rest_keys(entity))?
        }
    } else {
        split_envelope(text, rest_keys(entity))?
    };
    let mut records = Vec::with_capacity(items.len());
    for (i, raw) in items.into_iter().enumerate() {
        records.push(map_one(entity, raw, ctx).map_err(|e| at_index(e, i, list))?);
    }
    if list {
        Ok(Normalized::List(records))
    } else {
        records
            .pop()
            .map(Normalized::One)
            .ok_or_else(|| Error::decode("$", "no record in the payload"))
    }
}
