//! `searchCriteria` as Magento's web API reads it (from Adobe's "Search using REST
//! endpoints" page): filter groups AND'd, a group's filters OR'd, the conditions `eq,
//! neq, gt, gteq, lt, lteq, like, nlike, in, nin, null, notnull, from, to, finset`;
//! sort orders; `pageSize`/`currentPage` with the repeated last page past the end; the
//! `search_criteria` echoed back; and `fields=` selections (`items[id,sku],total_count`).

use std::cmp::Ordering;
use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

/// One filter.
#[derive(Debug, Clone, Default)]
pub(crate) struct Filter {
    pub field: String,
    pub value: String,
    pub condition: String,
}

/// A parsed `searchCriteria`.
#[derive(Debug, Clone, Default)]
pub(crate) struct Criteria {
    pub groups: Vec<Vec<Filter>>,
    pub sorts: Vec<(String, bool)>,
    pub page_size: Option<u64>,
    pub current_page: Option<u64>,
}

/// `searchCriteria[a][1][b]` → `["a", "1", "b"]`.
fn parts(key: &str) -> Option<Vec<&str>> {
    let rest = key.strip_prefix("searchCriteria")?;
    let mut out = Vec::new();
    let mut s = rest;
    while let Some(r) = s.strip_prefix('[') {
        let end = r.find(']')?;
        out.push(&r[..end]);
        s = &r[end + 1..];
    }
    s.is_empty().then_some(out)
}

impl Criteria {
    /// Reads the query's `searchCriteria[...]` parameters; a malformed one is an error
    /// in Magento's words.
    pub(crate) fn parse(pairs: &[(String, String)]) -> Result<Self, String> {
        let mut groups: BTreeMap<usize, BTreeMap<usize, Filter>> = BTreeMap::new();
        let mut sorts: BTreeMap<usize, (String, bool)> = BTreeMap::new();
        let mut c = Criteria::default();
        for (k, v) in pairs {
            let Some(p) = parts(k) else { continue };
            let num = |s: &str| {
                s.parse::<usize>()
                    .map_err(|_| format!("\"{k}\" is not a valid search criteria key"))
            };
            match p.as_slice() {
                ["pageSize"] => {
                    c.page_size = Some(
                        v.parse()
                            .map_err(|_| format!("\"{v}\" is not a valid pageSize"))?,
                    )
                }
                ["currentPage"] => {
                    c.current_page = Some(
                        v.parse()
                            .map_err(|_| format!("\"{v}\" is not a valid currentPage"))?,
                    )
                }
                ["filter_groups", g, "filters", f, what]
                | ["filterGroups", g, "filters", f, what] => {
                    let filter = groups
                        .entry(num(g)?)
                        .or_default()
                        .entry(num(f)?)
                        .or_default();
                    match *what {
                        "field" => filter.field = v.clone(),
                        "value" => filter.value = v.clone(),
                        "condition_type" | "conditionType" => filter.condition = v.clone(),
                        _ => return Err(format!("\"{k}\" is not a valid search criteria key")),
                    }
                }
                ["sortOrders", i, what] | ["sort_orders", i, what] => {
                    let s = sorts.entry(num(i)?).or_insert((String::new(), true));
                    match *what {
                        "field" => s.0 = v.clone(),
                        "direction" => s.1 = !v.eq_ignore_ascii_case("DESC"),
                        _ => return Err(format!("\"{k}\" is not a valid search criteria key")),
                    }
                }
                _ => {}
            }
        }
        c.groups = groups
            .into_values()
            .map(|g| {
                g.into_values()
                    .map(|mut f| {
                        if f.condition.is_empty() {
                            f.condition = "eq".into();
                        }
                        f
                    })
                    .collect()
            })
            .collect();
        for g in &c.groups {
            for f in g {
                if f.field.is_empty() {
                    return Err("\"field\" is required. Enter and try again.".to_owned());
                }
            }
        }
        c.sorts = sorts.into_values().filter(|(f, _)| !f.is_empty()).collect();
        Ok(c)
    }

    /// The `search_criteria` Magento echoes in its answer.
    pub(crate) fn echo(&self) -> Value {
        let mut out = Map::new();
        out.insert(
            "filter_groups".into(),
            json!(self
                .groups
                .iter()
                .map(|g| json!({"filters": g.iter().map(|f| json!({"field": f.field, "value": f.value, "condition_type": f.condition})).collect::<Vec<_>>()}))
                .collect::<Vec<_>>()),
        );
        if !self.sorts.is_empty() {
            out.insert(
                "sort_orders".into(),
                json!(self.sorts.iter().map(|(f, a)| json!({"field": f, "direction": if *a { "ASC" } else { "DESC" }})).collect::<Vec<_>>()),
            );
        }
        if let Some(s) = self.page_size {
            out.insert("page_size".into(), json!(s));
        }
        if let Some(p) = self.current_page {
            out.insert("current_page".into(), json!(p));
        }
        Value::Object(out)
    }
}

/// A document's value of `field` (`entity_id` is `id` where the document has no
/// `entity_id`, as products, customers and categories answer).
fn get<'a>(doc: &'a Value, field: &str) -> Option<&'a Value> {
    match doc.get(field) {
        Some(v) => Some(v),
        None if field == "entity_id" => doc.get("id"),
        None => None,
    }
}

/// Compares a document value with filter text: numerically when both are numbers,
/// else as text (Magento's dates compare as text).
fn compare(v: &Value, text: &str) -> Ordering {
    let own = match v {
        Value::String(s) => s.clone(),
        Value::Bool(b) => i32::from(*b).to_string(),
        other => other.to_string(),
    };
    match (own.parse::<f64>(), text.parse::<f64>()) {
        (Ok(a), Ok(b)) => a.partial_cmp(&b).unwrap_or(Ordering::Equal),
        _ => own.as_str().cmp(text),
    }
}

fn like(v: &Value, pattern: &str) -> bool {
    let text = match v {
        Value::String(s) => s.to_lowercase(),
        other => other.to_string(),
    };
    let parts: Vec<String> = pattern
        .to_lowercase()
        .split('%')
        .map(str::to_owned)
        .collect();
    let mut at = 0;
    for (i, p) in parts.iter().enumerate() {
        if p.is_empty() {
            continue;
        }
        match text[at..].find(p.as_str()) {
            Some(found) if i > 0 || found == 0 => at += found + p.len(),
            _ => return false,
        }
    }
    parts.last().is_some_and(|l| l.is_empty()) || at == text.len()
}

fn matches(doc: &Value, f: &Filter) -> bool {
    let v = get(doc, &f.field).filter(|v| !v.is_null());
    let list = || f.value.split(',').map(str::trim);
    match f.condition.as_str() {
        "null" => v.is_none(),
        "notnull" => v.is_some(),
        _ => {
            let Some(v) = v else { return false };
            if let Value::Array(items) = v {
                return items
                    .iter()
                    .any(|i| compare(i, &f.value) == Ordering::Equal)
                    && matches!(f.condition.as_str(), "eq" | "finset" | "in");
            }
            match f.condition.as_str() {
                "eq" => compare(v, &f.value) == Ordering::Equal,
                "neq" => compare(v, &f.value) != Ordering::Equal,
                "gt" => compare(v, &f.value) == Ordering::Greater,
                "gteq" | "from" => compare(v, &f.value) != Ordering::Less,
                "lt" => compare(v, &f.value) == Ordering::Less,
                "lteq" | "to" => compare(v, &f.value) != Ordering::Greater,
                "like" => like(v, &f.value),
                "nlike" => !like(v, &f.value),
                "in" => list().any(|x| compare(v, x) == Ordering::Equal),
                "nin" => !list().any(|x| compare(v, x) == Ordering::Equal),
                "finset" => match v {
                    Value::String(s) => s.split(',').any(|x| x.trim() == f.value),
                    _ => false,
                },
                _ => false,
            }
        }
    }
}

fn order(a: &Value, b: &Value, field: &str) -> Ordering {
    match (get(a, field), get(b, field)) {
        (Some(x), Some(y)) => {
            let text = match y {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            compare(x, &text)
        }
        (None, Some(_)) => Ordering::Less,
        (Some(_), None) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    }
}

/// The answer to a search over `docs`: filtered, sorted (by id when no order is
/// given), one page of it. A page past the end is the last page again.
pub(crate) fn answer(docs: Vec<&Value>, c: &Criteria, id_field: &str) -> Value {
    let mut hits: Vec<&Value> = docs
        .into_iter()
        .filter(|d| c.groups.iter().all(|g| g.iter().any(|f| matches(d, f))))
        .collect();
    hits.sort_by(|a, b| {
        for (field, asc) in &c.sorts {
            let o = order(a, b, field);
            if o != Ordering::Equal {
                return if *asc { o } else { o.reverse() };
            }
        }
        order(a, b, id_field)
    });
    let total = hits.len() as u64;
    let items: Vec<Value> = match c.page_size {
        Some(size) if size > 0 => {
            let pages = total.div_ceil(size).max(1);
            let page = c.current_page.unwrap_or(1).clamp(1, pages);
            hits.iter()
                .skip(((page - 1) * size) as usize)
                .take(size as usize)
                .map(|v| (*v).clone())
                .collect()
        }
        _ => hits.iter().map(|v| (*v).clone()).collect(),
    };
    json!({"items": items, "search_criteria": c.echo(), "total_count": total})
}

/// A `fields=` selection: `name` or `name[sub,...]`, comma-separated.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Fields(Vec<(String, Option<Fields>)>);

impl Fields {
    pub(crate) fn parse(text: &str) -> Option<Self> {
        let (f, rest) = Self::parse_at(text)?;
        rest.is_empty().then_some(f)
    }

    fn parse_at(mut s: &str) -> Option<(Self, &str)> {
        let mut out = Vec::new();
        loop {
            let end = s.find([',', '[', ']']).unwrap_or(s.len());
            let name = s[..end].trim().to_owned();
            s = &s[end..];
            let sub = if let Some(r) = s.strip_prefix('[') {
                let (sub, r) = Self::parse_at(r)?;
                s = r.strip_prefix(']')?;
                Some(sub)
            } else {
                None
            };
            if !name.is_empty() {
                out.push((name, sub));
            }
            match s.strip_prefix(',') {
                Some(r) => s = r,
                None => return Some((Fields(out), s)),
            }
        }
    }

    /// `value` with only the selected members (arrays: each element).
    pub(crate) fn apply(&self, value: &Value) -> Value {
        match value {
            Value::Array(items) => Value::Array(items.iter().map(|i| self.apply(i)).collect()),
            Value::Object(map) => Value::Object(
                self.0
                    .iter()
                    .filter_map(|(name, sub)| {
                        let v = map.get(name)?;
                        Some((
                            name.clone(),
                            sub.as_ref().map_or_else(|| v.clone(), |s| s.apply(v)),
                        ))
                    })
                    .collect(),
            ),
            other => other.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn groups_and_filters_or_and_the_last_page_repeats() {
        let docs: Vec<Value> = (1..=5)
            .map(|i| json!({"entity_id": i, "updated_at": format!("2025-01-0{} 00:00:00", 6 - i)}))
            .collect();
        let c = Criteria::parse(&q(&[
            (
                "searchCriteria[filter_groups][0][filters][0][field]",
                "entity_id",
            ),
            ("searchCriteria[filter_groups][0][filters][0][value]", "1"),
            (
                "searchCriteria[filter_groups][0][filters][1][field]",
                "updated_at",
            ),
            (
                "searchCriteria[filter_groups][0][filters][1][value]",
                "2025-01-03 00:00:00",
            ),
            (
                "searchCriteria[filter_groups][0][filters][1][condition_type]",
                "lteq",
            ),
            ("searchCriteria[sortOrders][0][field]", "updated_at"),
            ("searchCriteria[pageSize]", "2"),
            ("searchCriteria[currentPage]", "9"),
        ]))
        .unwrap();
        let a = answer(docs.iter().collect(), &c, "entity_id");
        // ids 1 (eq) or 3, 4, 5 (updated on the 3rd or before): 4 hits, 2 pages; page 9
        // is page 2 again: the oldest are 5 and 4, then 3 and 1.
        assert_eq!(a["total_count"], 4);
        let ids: Vec<i64> = a["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["entity_id"].as_i64().unwrap())
            .collect();
        assert_eq!(ids, [3, 1]);
    }

    #[test]
    fn fields_select_members() {
        let f = Fields::parse("items[entity_id,increment_id],total_count").unwrap();
        let v = json!({"items": [{"entity_id": 1, "increment_id": "1", "state": "new"}], "total_count": 1, "search_criteria": {}});
        assert_eq!(
            f.apply(&v),
            json!({"items": [{"entity_id": 1, "increment_id": "1"}], "total_count": 1})
        );
        assert!(like(&json!("Veronica"), "%ver%"));
        assert!(!like(&json!("Veronica"), "ver"));
    }
}
