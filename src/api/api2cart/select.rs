//! API2Cart's field selection: `params` (a comma list of an entity's fields, or
//! `force_all`; each method has API2Cart's default list), `exclude` (fields to drop)
//! and `response_fields` (a brace tree over the whole answer,
//! `{return_code,result{order{id,status{id}}}}`), which overrides both.

use std::collections::BTreeMap;

use serde_json::Value;

use super::envelope::A2cError;

/// The most nodes a `response_fields` tree may have.
const MAX_NODES: usize = 500;
/// How deep a `response_fields` tree may nest.
const MAX_DEPTH: usize = 12;

/// Which fields of an entity to return.
#[derive(Debug, Clone, PartialEq)]
pub enum EntityFields {
    All,
    Only(Vec<String>),
}

impl EntityFields {
    /// From `params` (or the method's default list), with `aliases` expanding
    /// API2Cart's group names (`items` → `order_products`) and `id` always kept.
    pub fn from_params(params: Option<&str>, default: &str, aliases: fn(&str) -> &[&str]) -> Self {
        let text = params.unwrap_or(default);
        let names: Vec<&str> = text
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect();
        if names.contains(&"force_all") {
            return Self::All;
        }
        let mut out = vec!["id".to_owned()];
        for n in names {
            let expanded = aliases(n);
            if expanded.is_empty() {
                out.push(n.to_owned());
            } else {
                out.extend(expanded.iter().map(|s| (*s).to_owned()));
            }
        }
        Self::Only(out)
    }

    /// Keeps the selected fields of one mapped entity, then drops `exclude`.
    pub fn apply(&self, entity: Value, exclude: &[String]) -> Value {
        let Value::Object(mut map) = entity else {
            return entity;
        };
        if let Self::Only(keep) = self {
            map.retain(|k, _| keep.iter().any(|f| f == k));
        }
        for e in exclude {
            map.remove(e);
        }
        Value::Object(map)
    }
}

/// A `response_fields` tree: each name keeps that field, with its own tree or whole.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Tree(BTreeMap<String, Option<Tree>>);

impl Tree {
    /// Parses `{a,b{c,d}}` (the outer braces may be left out).
    pub fn parse(text: &str) -> Result<Self, A2cError> {
        let text = text.trim();
        let inner = match text.strip_prefix('{') {
            Some(rest) => rest
                .strip_suffix('}')
                .ok_or_else(|| A2cError::invalid("response_fields: unbalanced braces"))?,
            None => text,
        };
        let mut nodes = 0;
        let (tree, rest) = parse_list(inner, 0, &mut nodes)?;
        if !rest.trim().is_empty() {
            return Err(A2cError::invalid("response_fields: unbalanced braces"));
        }
        Ok(tree)
    }

    /// Keeps only the tree's fields of `value` (arrays are filtered item by item).
    pub fn prune(&self, value: Value) -> Value {
        match value {
            Value::Object(map) => Value::Object(
                map.into_iter()
                    .filter_map(|(k, v)| match self.0.get(&k) {
                        Some(Some(sub)) => Some((k, sub.prune(v))),
                        Some(None) => Some((k, v)),
                        None => None,
                    })
                    .collect(),
            ),
            Value::Array(items) => Value::Array(items.into_iter().map(|v| self.prune(v)).collect()),
            other => other,
        }
    }
}

fn parse_list<'a>(
    mut text: &'a str,
    depth: usize,
    nodes: &mut usize,
) -> Result<(Tree, &'a str), A2cError> {
    if depth > MAX_DEPTH {
        return Err(A2cError::invalid("response_fields nests too deep"));
    }
    let mut tree = Tree::default();
    loop {
        text = text.trim_start();
        let end = text.find([',', '{', '}']).unwrap_or(text.len());
        let name = text[..end].trim();
        if !name.is_empty() {
            if !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            {
                return Err(A2cError::invalid(format!(
                    "response_fields: invalid field name {:?}",
                    polycart_kit::error::excerpt(name, 40)
                )));
            }
            *nodes += 1;
            if *nodes > MAX_NODES {
                return Err(A2cError::invalid("response_fields names too many fields"));
            }
        }
        text = &text[end..];
        let sub = if let Some(rest) = text.strip_prefix('{') {
            let (sub, rest) = parse_list(rest, depth + 1, nodes)?;
            text = rest
                .strip_prefix('}')
                .ok_or_else(|| A2cError::invalid("response_fields: unbalanced braces"))?;
            Some(sub)
        } else {
            None
        };
        if !name.is_empty() {
            tree.0.insert(name.to_owned(), sub);
        }
        match text.strip_prefix(',') {
            Some(rest) => text = rest,
            None => return Ok((tree, text)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn no_aliases(_: &str) -> &'static [&'static str] {
        &[]
    }

    #[test]
    fn response_fields_prune_the_whole_answer() {
        let t = Tree::parse("{return_code,result{order{id,status{id}}}}").unwrap();
        let v = json!({"return_code": 0, "return_message": "", "result": {"orders_count": 2,
            "order": [{"id": "1", "status": {"id": "a", "name": "A"}, "totals": {}}]}});
        assert_eq!(
            t.prune(v),
            json!({"return_code": 0, "result": {"order": [{"id": "1", "status": {"id": "a"}}]}})
        );
        for bad in [
            "{a{b}",
            "{a}}",
            "{a;b}",
            "a{b{c{d{e{f{g{h{i{j{k{l{m{n}}}}}}}}}}}}}",
        ] {
            assert!(Tree::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn params_keep_listed_fields_and_exclude_drops() {
        let f = EntityFields::from_params(Some("name,price"), "id", no_aliases);
        let v = json!({"id": "1", "name": "n", "price": 1.0, "quantity": 3});
        assert_eq!(
            f.apply(v.clone(), &[]),
            json!({"id": "1", "name": "n", "price": 1.0})
        );
        let all = EntityFields::from_params(Some("force_all"), "id", no_aliases);
        assert_eq!(
            all.apply(v, &["quantity".into()]),
            json!({"id": "1", "name": "n", "price": 1.0})
        );
    }
}
