//! Where a listing's records sit in a response body, and the tolerant splitter that
//! takes them out as borrowed raw JSON: a top-level array (WooCommerce, BigCommerce
//! v2), the array under a JSON pointer (`/data` of BigCommerce v3, `/orders` of
//! Shopify REST, `/response/order_list` of Shopee, `/result` of Squarespace), or a
//! GraphQL connection's `edges[].node`. An empty body (a `204`) or a `null` list is an
//! empty page; anything else that is not the declared list is a decode error naming
//! the JSON path (`$.response.order_list`), and item errors can be given the item's
//! path ([`Envelope::at_item`]).
//!
//! Fields are picked by name without decoding the rest of a record
//! ([`field`], [`pointer`]), so a paging strategy can read a record's id and date or a
//! body's `next_cursor` cheaply.

use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_json::value::RawValue;

use crate::error::{Error, Result, decode_json_borrowed, excerpt};

/// Where the list of records is in a response body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Envelope {
    /// The body is the array.
    Array,
    /// The array is at a JSON pointer (`/data`, `/response/order_list`). A body that is
    /// a top-level array is accepted too.
    At(&'static str),
    /// The array at a JSON pointer, left out of the body when there are no records
    /// (TikTok Shop answers an empty search with `{"data":{"total_count":0}}`): a
    /// missing member is an empty page as long as its parent object is there.
    AtOrAbsent(&'static str),
    /// A GraphQL connection's `edges` at a JSON pointer (`/data/orders/edges`): each
    /// edge's `node` is a record.
    Edges(&'static str),
}

impl Envelope {
    /// The records of `body`, borrowed from it.
    pub fn split<'a>(&self, body: &'a str) -> Result<Vec<&'a RawValue>> {
        if body.trim().is_empty() {
            return Ok(Vec::new());
        }
        match *self {
            Envelope::Array => list_at(body, "$"),
            Envelope::At(p) => {
                if body.trim_start().starts_with('[') {
                    return list_at(body, "$");
                }
                match member(body, p)? {
                    Some(list) => list_at(list.get(), &json_path(p)),
                    None => Err(missing(body, p)),
                }
            }
            Envelope::AtOrAbsent(p) => {
                if body.trim_start().starts_with('[') {
                    return list_at(body, "$");
                }
                match member(body, p)? {
                    Some(list) => list_at(list.get(), &json_path(p)),
                    None => {
                        let parent = &p[..p.rfind('/').unwrap_or(0)];
                        let present = parent.is_empty()
                            || pointer(body, parent)?
                                .is_some_and(|v| v.get().trim_start().starts_with('{'));
                        if present {
                            Ok(Vec::new())
                        } else {
                            Err(missing(body, p))
                        }
                    }
                }
            }
            Envelope::Edges(p) => {
                let Some(edges) = pointer(body, p)? else {
                    return Err(missing(body, p));
                };
                let path = json_path(p);
                list_at(edges.get(), &path)?
                    .into_iter()
                    .enumerate()
                    .map(|(i, edge)| {
                        field(edge.get(), "node")?
                            .filter(|n| n.get() != "null")
                            .ok_or_else(|| Error::decode(format!("{path}[{i}].node"), "missing"))
                    })
                    .collect()
            }
        }
    }

    /// The JSON path of the `index`th record (`$.data[3]`).
    pub fn item_path(&self, index: usize) -> String {
        match self {
            Envelope::Array => format!("$[{index}]"),
            Envelope::At(p) | Envelope::AtOrAbsent(p) => format!("{}[{index}]", json_path(p)),
            Envelope::Edges(p) => format!("{}[{index}].node", json_path(p)),
        }
    }

    /// Prefixes a decode error about one record (`$.total`) with the record's place in
    /// the body (`$.data[3].total`).
    pub fn at_item(&self, error: Error, index: usize) -> Error {
        match error {
            Error::Decode { path, excerpt } => {
                let rest = path.strip_prefix('$').unwrap_or(&path);
                Error::Decode {
                    path: format!("{}{rest}", self.item_path(index)),
                    excerpt,
                }
            }
            other => other,
        }
    }
}

impl Envelope {
    /// Rewrites a decode error about the split list (`$[3].id`) to name the record's
    /// place in the body (`$.data[3].id`).
    pub fn in_body(&self, error: Error) -> Error {
        match error {
            Error::Decode { path, excerpt } if path.starts_with("$[") => {
                let index = path[2..]
                    .split_once(']')
                    .and_then(|(i, rest)| Some((i.parse::<usize>().ok()?, rest)));
                match index {
                    Some((i, rest)) => Error::Decode {
                        path: format!("{}{rest}", self.item_path(i)),
                        excerpt,
                    },
                    None => Error::Decode { path, excerpt },
                }
            }
            other => other,
        }
    }
}

/// `/response/order_list` as a JSON path: `$.response.order_list`.
pub fn json_path(pointer: &str) -> String {
    let mut out = String::from("$");
    for segment in pointer.split('/').filter(|s| !s.is_empty()) {
        out.push('.');
        out.push_str(segment);
    }
    out
}

fn missing(body: &str, pointer: &str) -> Error {
    Error::decode(
        json_path(pointer),
        format!("the list is missing (body starts {:?})", excerpt(body, 60)),
    )
}

/// `text` as an array of raw records (`null`: none), errors under `path`.
fn list_at<'a>(text: &'a str, path: &str) -> Result<Vec<&'a RawValue>> {
    if text.trim() == "null" {
        return Ok(Vec::new());
    }
    decode_json_borrowed::<Vec<&RawValue>>(text).map_err(|e| match e {
        Error::Decode {
            path: inner,
            excerpt,
        } => Error::Decode {
            path: format!("{path}{}", inner.strip_prefix('$').unwrap_or(&inner)),
            excerpt,
        },
        other => other,
    })
}

/// The value at a JSON pointer (`/response/next_cursor`) in `text`, borrowed; `None`
/// when a member on the way is missing or `null`.
pub fn pointer<'a>(text: &'a str, pointer: &str) -> Result<Option<&'a RawValue>> {
    Ok(member(text, pointer)?.filter(|v| v.get() != "null"))
}

/// [`pointer`], but a `null` at the end is returned as such.
fn member<'a>(text: &'a str, pointer: &str) -> Result<Option<&'a RawValue>> {
    let mut here: &'a str = text;
    let mut found = None;
    let mut walked = String::from("$");
    for segment in pointer.split('/').filter(|s| !s.is_empty()) {
        if here.trim() == "null" {
            return Ok(None);
        }
        let Some(next) = field(here, segment).map_err(|e| match e {
            Error::Decode { excerpt, .. } => Error::Decode {
                path: walked.clone(),
                excerpt,
            },
            other => other,
        })?
        else {
            return Ok(None);
        };
        walked.push('.');
        walked.push_str(segment);
        here = next.get();
        found = Some(next);
    }
    Ok(found.or_else(|| serde_json::from_str(text).ok()))
}

/// The member `name` of the JSON object `text`, borrowed, without decoding the other
/// members; `None` when the object has no such member. Not an object: a decode error.
pub fn field<'a>(text: &'a str, name: &str) -> Result<Option<&'a RawValue>> {
    let mut found = fields(text, &[name])?;
    Ok(found.pop().flatten())
}

/// The members `names` of the JSON object `text` (in the order asked), borrowed.
pub fn fields<'a>(text: &'a str, names: &[&str]) -> Result<Vec<Option<&'a RawValue>>> {
    let mut de = serde_json::Deserializer::from_str(text);
    let picked = Pick { names }
        .deserialize(&mut de)
        .and_then(|v| de.end().map(|()| v))
        .map_err(|e| Error::decode("$", format!("{e} (value starts {:?})", excerpt(text, 40))))?;
    Ok(picked)
}

/// Picks named members of an object as raw values, skipping the rest.
struct Pick<'n> {
    names: &'n [&'n str],
}

impl<'de> DeserializeSeed<'de> for Pick<'_> {
    type Value = Vec<Option<&'de RawValue>>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Pick<'_> {
    type Value = Vec<Option<&'de RawValue>>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut out = vec![None; self.names.len()];
        while let Some(slot) = map.next_key_seed(Slot { names: self.names })? {
            match slot {
                Some(i) => out[i] = Some(map.next_value::<&'de RawValue>()?),
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(out)
    }
}

/// A member name: the index of the wanted name it equals, if any (escaped names too).
struct Slot<'n> {
    names: &'n [&'n str],
}

impl<'de> DeserializeSeed<'de> for Slot<'_> {
    type Value = Option<usize>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_str(self)
    }
}

impl Visitor<'_> for Slot<'_> {
    type Value = Option<usize>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a member name")
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(self.names.iter().position(|n| *n == v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(items: &[&RawValue]) -> Vec<String> {
        items
            .iter()
            .map(|i| field(i.get(), "id").unwrap().unwrap().get().to_owned())
            .collect()
    }

    #[test]
    fn splits_every_envelope() {
        assert_eq!(
            ids(&Envelope::Array.split(r#"[{"id":1},{"id":2}]"#).unwrap()),
            ["1", "2"]
        );
        let v3 = r#"{"data":[{"id":3}],"meta":{"pagination":{"total":1}}}"#;
        assert_eq!(ids(&Envelope::At("/data").split(v3).unwrap()), ["3"]);
        let shopee =
            r#"{"error":"","response":{"more":false,"order_list":[{"id":"a"},{"id":"b"}]}}"#;
        assert_eq!(
            ids(&Envelope::At("/response/order_list").split(shopee).unwrap()),
            [r#""a""#, r#""b""#]
        );
        let gql = r#"{"data":{"orders":{"edges":[{"cursor":"c1","node":{"id":"gid://1"}}],"pageInfo":{"hasNextPage":false}}}}"#;
        assert_eq!(
            ids(&Envelope::Edges("/data/orders/edges").split(gql).unwrap()),
            [r#""gid://1""#]
        );
        // Tolerant: a bare array where an envelope was declared, an empty body, a null list.
        assert_eq!(
            Envelope::At("/data").split(r#"[{"id":9}]"#).unwrap().len(),
            1
        );
        assert!(Envelope::At("/data").split("").unwrap().is_empty());
        assert!(Envelope::Array.split("  ").unwrap().is_empty());
        assert!(
            Envelope::At("/response/order_list")
                .split(r#"{"response":{"more":false,"order_list":null}}"#)
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn errors_name_the_json_path() {
        let err = Envelope::At("/response/order_list")
            .split(r#"{"response":{"order_list":"nope"}}"#)
            .unwrap_err();
        assert!(
            matches!(&err, Error::Decode { path, .. } if path == "$.response.order_list"),
            "{err:?}"
        );
        let err = Envelope::At("/data").split(r#"{"errors":[]}"#).unwrap_err();
        assert!(
            matches!(&err, Error::Decode { path, .. } if path == "$.data"),
            "{err:?}"
        );
        let err = Envelope::Array.split("<html>").unwrap_err();
        assert!(
            matches!(&err, Error::Decode { path, .. } if path == "$"),
            "{err:?}"
        );
        let err = Envelope::Edges("/data/o/edges")
            .split(r#"{"data":{"o":{"edges":[{"cursor":"x"}]}}}"#)
            .unwrap_err();
        assert!(
            matches!(&err, Error::Decode { path, .. } if path == "$.data.o.edges[0].node"),
            "{err:?}"
        );
        let item = Envelope::At("/data").at_item(Error::decode("$.total", "bad"), 3);
        assert!(
            matches!(&item, Error::Decode { path, .. } if path == "$.data[3].total"),
            "{item:?}"
        );
        let listed = Envelope::Edges("/data/o/edges").in_body(Error::decode("$[2].id", "bad"));
        assert!(
            matches!(&listed, Error::Decode { path, .. } if path == "$.data.o.edges[2].node.id"),
            "{listed:?}"
        );
        let other = Envelope::At("/data").in_body(Error::decode("$.meta", "bad"));
        assert!(matches!(&other, Error::Decode { path, .. } if path == "$.meta"));
    }

    #[test]
    fn picks_members_without_decoding_the_rest() {
        let text = r#"{"big":{"deep":[1,2,{"x":"y"}]},"i\u0064":42,"date":"2025-01-01","n":null}"#;
        let got = fields(text, &["id", "date", "absent"]).unwrap();
        assert_eq!(got[0].unwrap().get(), "42");
        assert_eq!(got[1].unwrap().get(), r#""2025-01-01""#);
        assert!(got[2].is_none());
        assert_eq!(
            pointer(r#"{"a":{"b":{"c":"d"}}}"#, "/a/b/c")
                .unwrap()
                .unwrap()
                .get(),
            r#""d""#
        );
        assert!(pointer(r#"{"a":{"b":null}}"#, "/a/b/c").unwrap().is_none());
        assert!(pointer(r#"{"a":1}"#, "/x").unwrap().is_none());
        assert!(field("[1]", "id").is_err());
    }

    #[test]
    fn an_omitted_empty_list_is_an_empty_page() {
        let at = Envelope::AtOrAbsent("/data/orders");
        assert!(
            at.split(r#"{"code":0,"data":{"total_count":0}}"#)
                .unwrap()
                .is_empty()
        );
        assert_eq!(
            at.split(r#"{"data":{"orders":[{"id":"1"}]}}"#)
                .unwrap()
                .len(),
            1
        );
        assert!(at.split(r#"{"code":105002,"data":null}"#).is_err());
        assert!(at.split(r#"{"code":0}"#).is_err());
        assert_eq!(at.item_path(2), "$.data.orders[2]");
    }
}
