//! Initial syncs through a GraphQL bulk operation: `bulkOperationRunQuery` with the
//! entity's query (nested connections unpaged), poll `bulkOperation(id:)` until it
//! completes, download the JSONL (without the access token: the URL is signed), and
//! stitch child lines to their parents by `__parentId`. A 100k-order store costs a
//! handful of query points instead of one query per page.

use std::collections::HashMap;
use std::time::Duration;

use polycart_kit::model::Entity;
use polycart_kit::{Error, Result};
use serde_json::{Value, json};

use crate::graphql as gq;

/// The bulk query of an entity, filtered by the search `query` (e.g. updated_at).
pub fn bulk_query(entity: Entity, search: Option<&str>) -> Result<String> {
    let filter = search
        .map(|s| format!("(query: {})", serde_json::to_string(s).unwrap_or_default()))
        .unwrap_or_default();
    let money = "{ shopMoney { amount currencyCode } }";
    Ok(match entity {
        Entity::Order => {
            // The paged order selection with its nested connections unpaged.
            let fields = gq::order_fields()
                .replace(
                    &format!("lineItems(first: {}) {{ nodes {{ {} }} pageInfo {{ hasNextPage endCursor }} }}", gq::ORDER_LINES, gq::line_item_fields()),
                    &format!("lineItems {{ edges {{ node {{ {} }} }} }}", gq::line_item_fields()),
                )
                .replace(
                    &format!("shippingLines(first: 5) {{ nodes {{ title code source carrierIdentifier originalPriceSet {money} }} }}"),
                    &format!("shippingLines {{ edges {{ node {{ id title code source carrierIdentifier originalPriceSet {money} }} }} }}"),
                );
            format!("{{ orders{filter} {{ edges {{ node {{ {fields} }} }} }} }}")
        }
        Entity::Product => {
            let fields = gq::product_fields()
                .replace("images(first: 10) { nodes { url altText } }", "images { edges { node { id url altText } } }")
                .replace("collections(first: 10) { nodes { id } }", "collections { edges { node { id } } }")
                .replace(
                    &format!("variants(first: {}) {{ nodes {{ {} }} pageInfo {{ hasNextPage endCursor }} }}", gq::PRODUCT_VARIANTS, gq::variant_fields()),
                    &format!("variants {{ edges {{ node {{ {} }} }} }}", gq::variant_fields()),
                );
            format!("{{ products{filter} {{ edges {{ node {{ {fields} }} }} }} }}")
        }
        Entity::Customer => format!(
            "{{ customers{filter} {{ edges {{ node {{ {} }} }} }} }}",
            gq::customer_fields()
        ),
        Entity::Category => format!(
            "{{ collections{filter} {{ edges {{ node {{ {} }} }} }} }}",
            gq::COLLECTION_FIELDS
        ),
        Entity::Inventory => {
            return Err(Error::unsupported(
                crate::mapping::PLATFORM,
                "bulk export of inventory levels",
            ));
        }
    })
}

/// Which field of its parent a child line belongs to, from its GID's type.
fn child_field(id: &str) -> Option<&'static str> {
    let kind = id.strip_prefix("gid://shopify/")?.split('/').next()?;
    Some(match kind {
        "LineItem" => "lineItems",
        "ShippingLine" => "shippingLines",
        "ProductVariant" => "variants",
        "ProductImage" | "MediaImage" => "images",
        "Collection" => "collections",
        _ => return None,
    })
}

/// Parses bulk JSONL and puts each child line into its parent's connection
/// (`{"nodes": [...]}`), in file order. Returns the root records.
pub fn stitch(jsonl: &str) -> Result<Vec<Value>> {
    let mut roots: Vec<Value> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    for (n, line) in jsonl.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let mut v: Value = serde_json::from_str(line)
            .map_err(|e| Error::decode(format!("line {}", n + 1), e.to_string()))?;
        let parent = v.as_object_mut().and_then(|m| m.remove("__parentId"));
        match parent.as_ref().and_then(Value::as_str) {
            None => {
                if let Some(id) = v.get("id").and_then(Value::as_str) {
                    index.insert(id.to_owned(), roots.len());
                }
                roots.push(v);
            }
            Some(parent) => {
                let Some(&at) = index.get(parent) else {
                    return Err(Error::decode(
                        format!("line {}", n + 1),
                        format!("__parentId {parent} comes before its parent"),
                    ));
                };
                let Some(field) = v.get("id").and_then(Value::as_str).and_then(child_field) else {
                    continue;
                };
                let slot = &mut roots[at][field];
                if !slot.is_object() {
                    *slot = json!({ "nodes": [] });
                }
                if let Some(nodes) = slot["nodes"].as_array_mut() {
                    nodes.push(v);
                }
            }
        }
    }
    Ok(roots)
}

/// How a bulk operation is polled.
#[derive(Debug, Clone, Copy)]
pub struct BulkPolling {
    pub interval: Duration,
    pub timeout: Duration,
}

impl Default for BulkPolling {
    fn default() -> Self {
        Self {
            interval: Duration::from_secs(2),
            timeout: Duration::from_secs(6 * 3600),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stitches_children_to_parents() {
        let jsonl = concat!(
            r##"{"id":"gid://shopify/Order/1","name":"#1001"}"##,
            "\n",
            r#"{"id":"gid://shopify/LineItem/11","quantity":1,"__parentId":"gid://shopify/Order/1"}"#,
            "\n",
            r##"{"id":"gid://shopify/Order/2","name":"#1002"}"##,
            "\n",
            r#"{"id":"gid://shopify/LineItem/21","quantity":2,"__parentId":"gid://shopify/Order/2"}"#,
            "\n",
            r#"{"id":"gid://shopify/LineItem/12","quantity":3,"__parentId":"gid://shopify/Order/1"}"#,
            "\n",
        );
        let roots = stitch(jsonl).unwrap();
        assert_eq!(roots.len(), 2);
        assert_eq!(roots[0]["lineItems"]["nodes"].as_array().unwrap().len(), 2);
        assert_eq!(roots[1]["lineItems"]["nodes"][0]["quantity"], 2);
        assert!(
            roots[0]["lineItems"]["nodes"][0]
                .get("__parentId")
                .is_none()
        );
        assert!(
            stitch(r#"{"id":"gid://shopify/LineItem/1","__parentId":"gid://shopify/Order/9"}"#)
                .is_err()
        );
    }

    #[test]
    fn bulk_queries_have_no_paged_connections() {
        for e in [
            Entity::Order,
            Entity::Product,
            Entity::Customer,
            Entity::Category,
        ] {
            let q = bulk_query(e, Some("updated_at:>='2025-01-01T00:00:00Z'")).unwrap();
            assert!(
                !q.contains("first:")
                    || q.contains("refundLineItems(first")
                    || q.contains("fulfillmentLineItems(first"),
                "{q}"
            );
            assert!(!q.contains("pageInfo"), "{q}");
            assert!(async_graphql_free_parse(&q), "{q}");
        }
    }

    /// Balanced braces and parentheses: a cheap syntax check without a parser.
    fn async_graphql_free_parse(q: &str) -> bool {
        let mut depth = 0i32;
        for c in q.chars() {
            match c {
                '{' | '(' => depth += 1,
                '}' | ')' => depth -= 1,
                _ => {}
            }
            if depth < 0 {
                return false;
            }
        }
        depth == 0
    }
}
