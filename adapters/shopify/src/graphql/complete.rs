//! Completing nested connections after a page is read: every connection whose
//! `pageInfo.hasNextPage` is true (an order's 6th line, a product's 11th variant, a
//! refund's 3rd line), and, after a bulk export, the connections bulk queries cannot
//! carry (those under a list, such as a refund's lines). The missing nodes are fetched
//! with `node(id:)` on the object that owns the connection, several owners per query
//! (aliases), each query sized to stay under Shopify's 1000-point limit.

use std::collections::BTreeMap;

use polycart_kit::model::Entity;
use polycart_kit::{Error, Result};
use serde_json::{Value, json};

use crate::ShopifyAdapter;
use crate::graphql::queries::{self, Conn, MAX_QUERY_COST, Sel};

/// One step from a record to one of its connections.
#[derive(Debug, Clone, PartialEq)]
enum Step {
    Key(&'static str),
    Index(usize),
}

/// A connection with nodes still to fetch.
#[derive(Debug)]
pub(crate) struct Hole {
    /// Which record of the page.
    record: usize,
    /// The GID of the object holding the connection, and its GraphQL type.
    owner: String,
    owner_type: String,
    path: Vec<Step>,
    conn: &'static Conn,
    after: Option<String>,
    /// Completion rounds this connection has had: each asks for twice as many nodes.
    round: u32,
    /// The most nodes it can hold, when its record says ([`Conn::bounded_by`]).
    bound: Option<u32>,
}

impl Hole {
    /// Nodes to ask for next: at first the bound when the record gives one (Shopify
    /// charges for the nodes asked for, not those returned), else twice the page's own
    /// size; doubling each round, so the usual short remainder is cheap to admit and a
    /// long one takes few rounds.
    fn wanted(&self) -> u32 {
        let first = match self.bound {
            Some(bound) if self.round == 0 => bound.max(1),
            _ => self.conn.first.max(5) * 2,
        };
        first.saturating_mul(1 << self.round.min(8)).min(250)
    }
}

/// How many nodes the record's connection `name` holds, when it was read whole (no
/// `pageInfo` saying more remain).
fn complete_count(record: &Value, name: &str) -> Option<u32> {
    let conn = record.get(name)?;
    if conn["pageInfo"]["hasNextPage"].as_bool() == Some(true) {
        return None;
    }
    let nodes = conn
        .get("nodes")
        .or_else(|| conn.get("edges"))?
        .as_array()?;
    u32::try_from(nodes.len()).ok()
}

fn type_of(gid: &str) -> Option<&str> {
    gid.strip_prefix("gid://shopify/")?.split('/').next()
}

fn at_mut<'v>(mut v: &'v mut Value, path: &[Step]) -> Option<&'v mut Value> {
    for step in path {
        v = match step {
            Step::Key(k) => v.get_mut(*k)?,
            Step::Index(i) => v.get_mut(*i)?,
        };
    }
    Some(v)
}

struct Walk<'a> {
    record: usize,
    holes: &'a mut Vec<Hole>,
}

impl Walk<'_> {
    fn object(
        &mut self,
        v: &mut Value,
        fields: &'static [Sel],
        path: &mut Vec<Step>,
        owner: Option<&str>,
        in_list: bool,
    ) -> Result<()> {
        let own = v.get("id").and_then(Value::as_str).map(str::to_owned);
        let owner = own.as_deref().or(owner);
        for f in fields {
            match f {
                Sel::Scalar(_) => {}
                Sel::Object(name, inner) => {
                    if let Some(child) = v.get_mut(*name).filter(|c| c.is_object()) {
                        path.push(Step::Key(name));
                        self.object(child, inner, path, owner, in_list)?;
                        path.pop();
                    }
                }
                Sel::List(name, inner) => {
                    if let Some(items) = v.get_mut(*name).and_then(Value::as_array_mut) {
                        path.push(Step::Key(name));
                        for (i, item) in items.iter_mut().enumerate() {
                            path.push(Step::Index(i));
                            self.object(item, inner, path, owner, true)?;
                            path.pop();
                        }
                        path.pop();
                    }
                }
                Sel::Conn(c) => self.connection(v, c, path, owner, in_list)?,
                Sel::On(_, inner) => self.object(v, inner, path, owner, in_list)?,
            }
        }
        Ok(())
    }

    fn connection(
        &mut self,
        v: &mut Value,
        c: &'static Conn,
        path: &[Step],
        owner: Option<&str>,
        in_list: bool,
    ) -> Result<()> {
        let Some(map) = v.as_object_mut() else {
            return Ok(());
        };
        let present = map.get(c.name).filter(|v| !v.is_null());
        // `Some(after)`: nodes remain to be read after `after` (from the start: `None`).
        let after: Option<Option<String>> = match present {
            // A bulk export cannot carry connections under a list: all still to read.
            None if in_list => Some(None),
            Some(conn) if conn["pageInfo"]["hasNextPage"].as_bool() == Some(true) => {
                let cursor = conn["pageInfo"]["endCursor"].as_str().ok_or_else(|| {
                    Error::decode(format!("{}.pageInfo.endCursor", c.name), "missing")
                })?;
                Some(Some(cursor.to_owned()))
            }
            _ => None,
        };
        if after == Some(None) {
            map.insert(c.name.to_owned(), json!({ "nodes": [] }));
        }
        if let Some(after) = after {
            let owner = owner
                .ok_or_else(|| Error::decode(c.name, "a connection to complete has no owner id"))?;
            let owner_type = type_of(owner)
                .ok_or_else(|| Error::decode(c.name, format!("{owner} is not a GID")))?;
            let mut p = path.to_vec();
            p.push(Step::Key(c.name));
            self.holes.push(Hole {
                record: self.record,
                owner: owner.to_owned(),
                owner_type: owner_type.to_owned(),
                path: p,
                conn: c,
                after,
                round: 0,
                bound: None,
            });
        }
        Ok(())
    }
}

/// The connections of `records` (nodes of `entity`) with nodes still to fetch.
pub(crate) fn holes(entity: Entity, records: &mut [Value]) -> Result<Vec<Hole>> {
    let mut holes = Vec::new();
    for (i, record) in records.iter_mut().enumerate() {
        let mut walk = Walk {
            record: i,
            holes: &mut holes,
        };
        walk.object(
            record,
            queries::selection(entity),
            &mut Vec::new(),
            None,
            false,
        )?;
    }
    for hole in &mut holes {
        hole.bound = hole
            .conn
            .bounded_by
            .and_then(|name| complete_count(&records[hole.record], name));
    }
    Ok(holes)
}

/// How many owners one query serves and the most nodes each may ask for, for a
/// connection whose node costs `node_cost`: as many owners as leave each at least 20.
fn batch_shape(holes: usize, node_cost: u32) -> (usize, u32) {
    let per_owner = |b: u32| ((MAX_QUERY_COST / b).saturating_sub(3) / node_cost).min(250);
    let mut b = (holes.min(25) as u32).max(1);
    while b > 1 && per_owner(b) < 20 {
        b -= 1;
    }
    (b as usize, per_owner(b).max(1))
}

/// One query completing `batch` with `first` nodes each; its requested cost.
fn batch_query(batch: &[Hole], first: u32) -> (String, Value, u32) {
    let mut defs = Vec::new();
    let mut fields = Vec::new();
    let mut vars = serde_json::Map::new();
    let mut cost = 0;
    for (i, h) in batch.iter().enumerate() {
        defs.push(format!("$i{i}: ID!, $a{i}: String"));
        fields.push(format!(
            "h{i}: node(id: $i{i}) {{ ... on {} {{ {}(first: {first}, after: $a{i}) {{ nodes {{ {} }} pageInfo {{ hasNextPage endCursor }} }} }} }}",
            h.owner_type,
            h.conn.name,
            h.conn.node_text()
        ));
        vars.insert(format!("i{i}"), json!(h.owner));
        vars.insert(format!("a{i}"), json!(h.after));
        cost += 1 + queries::connection_cost(first, h.conn.node_cost());
    }
    let text = format!("query({}) {{ {} }}", defs.join(", "), fields.join(" "));
    (text, Value::Object(vars), cost)
}

/// Puts one answer into its record; returns the hole again when more nodes remain.
fn merge(records: &mut [Value], mut hole: Hole, answer: &Value) -> Result<Option<Hole>> {
    let conn = &answer[hole.conn.name];
    let slot = records
        .get_mut(hole.record)
        .and_then(|r| at_mut(r, &hole.path))
        .ok_or_else(|| Error::decode(hole.conn.name, "the completed connection moved"))?;
    if conn.is_null() {
        // The owner went away between the page and this read: keep what was read.
        tracing::warn!(owner = %hole.owner, connection = hole.conn.name, "owner vanished while completing a connection");
        slot["pageInfo"] = json!({ "hasNextPage": false, "endCursor": null });
        return Ok(None);
    }
    let more = conn["nodes"]
        .as_array()
        .ok_or_else(|| Error::decode(format!("$.data.{}.nodes", hole.conn.name), "missing"))?;
    match slot.get_mut("nodes").and_then(Value::as_array_mut) {
        Some(nodes) => nodes.extend(more.iter().cloned()),
        None => slot["nodes"] = Value::Array(more.clone()),
    }
    slot["pageInfo"] = conn["pageInfo"].clone();
    if conn["pageInfo"]["hasNextPage"].as_bool() != Some(true) {
        return Ok(None);
    }
    hole.after = conn["pageInfo"]["endCursor"].as_str().map(str::to_owned);
    hole.round += 1;
    Ok(hole.after.is_some().then_some(hole))
}

impl ShopifyAdapter {
    /// Fetches every node still missing from the nested connections of `records`.
    pub(crate) async fn complete(&self, entity: Entity, records: &mut [Value]) -> Result<()> {
        let mut pending: BTreeMap<&'static str, Vec<Hole>> = BTreeMap::new();
        for h in holes(entity, records)? {
            pending.entry(h.conn.name).or_default().push(h);
        }
        for (_, mut group) in pending {
            while !group.is_empty() {
                let (size, most) = batch_shape(group.len(), group[0].conn.node_cost());
                let batch: Vec<Hole> = group.drain(..size.min(group.len())).collect();
                let first = batch
                    .iter()
                    .map(Hole::wanted)
                    .max()
                    .unwrap_or(most)
                    .min(most);
                let (text, vars, cost) = batch_query(&batch, first);
                let data = self.gql(&text, vars, cost).await?;
                for (i, hole) in batch.into_iter().enumerate() {
                    if let Some(again) = merge(records, hole, &data[format!("h{i}")])? {
                        group.push(again);
                    }
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_next_pages_and_connections_bulk_could_not_carry() {
        let mut records = vec![json!({
            "id": "gid://shopify/Order/1",
            "lineItems": {"nodes": [{"id": "gid://shopify/LineItem/1"}], "pageInfo": {"hasNextPage": true, "endCursor": "c1"}},
            "shippingLines": {"nodes": [], "pageInfo": {"hasNextPage": false, "endCursor": null}},
            "refunds": [{"id": "gid://shopify/Refund/7"}],
            "fulfillments": [{"id": "gid://shopify/Fulfillment/8", "fulfillmentLineItems": {"nodes": [], "pageInfo": {"hasNextPage": false}}}],
        })];
        let found = holes(Entity::Order, &mut records).unwrap();
        let got: Vec<(&str, &str, Option<&str>)> = found
            .iter()
            .map(|h| (h.owner.as_str(), h.conn.name, h.after.as_deref()))
            .collect();
        assert_eq!(
            got,
            vec![
                ("gid://shopify/Order/1", "lineItems", Some("c1")),
                ("gid://shopify/Refund/7", "refundLineItems", None),
            ]
        );
        assert_eq!(found[1].owner_type, "Refund");
        assert_eq!(
            records[0]["refunds"][0]["refundLineItems"]["nodes"],
            json!([])
        );
    }

    /// A refund's or fulfillment's lines are at most the order's lines: completed from
    /// a whole (bulk-read) order they ask for that many, not a guess; from an order
    /// whose own lines are not all read yet, the usual guess.
    #[test]
    fn lines_under_a_list_ask_for_the_orders_line_count() {
        let order = |line_items: Value| {
            vec![json!({
                "id": "gid://shopify/Order/1",
                "lineItems": line_items,
                "refunds": [{"id": "gid://shopify/Refund/7"}],
                "fulfillments": [{"id": "gid://shopify/Fulfillment/8"}],
            })]
        };
        let whole = json!({"nodes": [{"id": "l1"}, {"id": "l2"}, {"id": "l3"}]});
        let mut records = order(whole);
        let found = holes(Entity::Order, &mut records).unwrap();
        let wanted: Vec<(&str, u32)> = found.iter().map(|h| (h.conn.name, h.wanted())).collect();
        assert_eq!(
            wanted,
            vec![("refundLineItems", 3), ("fulfillmentLineItems", 3)]
        );

        let partial =
            json!({"nodes": [{"id": "l1"}], "pageInfo": {"hasNextPage": true, "endCursor": "c1"}});
        let mut records = order(partial);
        let found = holes(Entity::Order, &mut records).unwrap();
        let refund = found
            .iter()
            .find(|h| h.conn.name == "refundLineItems")
            .unwrap();
        assert_eq!(
            refund.wanted(),
            10,
            "no bound from an order still being read"
        );
    }

    #[test]
    fn batches_stay_under_the_query_limit() {
        for (holes, node_cost) in [(1, 10), (7, 10), (40, 2), (3, 4), (100, 6)] {
            let (size, first) = batch_shape(holes, node_cost);
            assert!(size >= 1 && size <= holes);
            assert!(first >= 1);
            let cost = size as u32 * (1 + queries::connection_cost(first, node_cost));
            assert!(cost <= MAX_QUERY_COST, "{holes} × {node_cost}: {cost}");
        }
        assert_eq!(batch_shape(1, 10), (1, 99));
    }

    #[test]
    fn merging_appends_and_keeps_paging() {
        let mut records = vec![json!({
            "id": "gid://shopify/Order/1",
            "lineItems": {"nodes": [{"id": "a"}], "pageInfo": {"hasNextPage": true, "endCursor": "c1"}},
        })];
        let hole = holes(Entity::Order, &mut records).unwrap().remove(0);
        let (text, vars, _) = batch_query(std::slice::from_ref(&hole), 2);
        assert!(
            text.contains("h0: node(id: $i0) { ... on Order { lineItems(first: 2, after: $a0)"),
            "{text}"
        );
        assert_eq!(vars["a0"], "c1");
        let answer = json!({"lineItems": {"nodes": [{"id": "b"}, {"id": "c"}], "pageInfo": {"hasNextPage": true, "endCursor": "c3"}}});
        assert_eq!(hole.wanted(), 10, "twice the page's own five lines");
        let again = merge(&mut records, hole, &answer)
            .unwrap()
            .expect("more to read");
        assert_eq!(again.after.as_deref(), Some("c3"));
        assert_eq!(again.wanted(), 20, "doubling each round");
        let last = json!({"lineItems": {"nodes": [{"id": "d"}], "pageInfo": {"hasNextPage": false, "endCursor": "c4"}}});
        assert!(merge(&mut records, again, &last).unwrap().is_none());
        let ids: Vec<&str> = records[0]["lineItems"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, ["a", "b", "c", "d"]);
    }
}

#[cfg(all(test, feature = "sim"))]
mod cost_tests {
    use super::*;
    use crate::graphql::read::tests::{post, requested, sim};

    #[tokio::test]
    async fn completion_queries_reserve_what_shopify_asks() {
        let (state, app) = sim();
        let (order, refund) = {
            let s = state.store();
            let o = s
                .orders
                .iter()
                .find(|o| !o.refunds.is_empty())
                .unwrap_or(&s.orders[0]);
            (o.id, o.refunds.first().map(|r| r.id).unwrap_or(o.id))
        };
        let gid = format!("gid://shopify/Order/{order}");
        let first = post(
            &app,
            &state.access_token,
            "query($id: ID!) { order(id: $id) { lineItems(first: 1) { pageInfo { endCursor } } } }",
            json!({ "id": gid }),
        )
        .await;
        let mut records = vec![json!({
            "id": gid,
            "lineItems": {"nodes": [], "pageInfo": {"hasNextPage": true, "endCursor": first["data"]["order"]["lineItems"]["pageInfo"]["endCursor"]}},
            "refunds": [{"id": format!("gid://shopify/Refund/{refund}")}],
        })];
        let found = holes(Entity::Order, &mut records).unwrap();
        for hole in found {
            let (size, most) = batch_shape(1, hole.conn.node_cost());
            assert_eq!(size, 1);
            let (text, vars, cost) =
                batch_query(std::slice::from_ref(&hole), most.min(hole.wanted()));
            assert_eq!(
                requested(&app, &state.access_token, &text, vars).await,
                f64::from(cost),
                "{}: {text}",
                hole.conn.name
            );
        }
    }
}
