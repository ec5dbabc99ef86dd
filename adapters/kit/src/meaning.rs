//! Checks of what a payload's values *mean*, beyond their JSON type: ids where labels
//! would fit, money as a decimal string with the platform's places, timestamps in the
//! platform's format and zone, amounts that add up. A shape check passes `"value": "L"`
//! where the platform sends an option value's id; these do not.
//!
//! A rule is a function of one record returning the problems it finds. The simulators'
//! shape tests run every rule on the platform's own example payload first (so a rule
//! that the real platform breaks fails the test, not the simulator), then on the
//! simulator's record.

use rust_decimal::Decimal;
use serde_json::Value;

/// A rule about one record: the problems it finds, each naming where.
pub type Rule = fn(&Value) -> Vec<String>;

/// The values at `path` in `v`, with where each was found: `$` is the record, `.key`
/// a field, `[]` every item of an array (`$.line_items[].tax_lines[].rate`). Missing
/// fields and `null`s yield nothing.
pub fn values_at<'a>(v: &'a Value, path: &str) -> Vec<(String, &'a Value)> {
    let mut found = vec![("$".to_owned(), v)];
    let steps = path
        .trim_start_matches('$')
        .split('.')
        .filter(|s| !s.is_empty());
    for step in steps {
        let (key, every) = match step.strip_suffix("[]") {
            Some(k) => (k, true),
            None => (step, false),
        };
        let mut next = Vec::new();
        for (at, value) in found {
            let Some(child) = value.get(key).filter(|c| !c.is_null()) else {
                continue;
            };
            let at = format!("{at}.{key}");
            match (every, child) {
                (true, Value::Array(items)) => next.extend(
                    items
                        .iter()
                        .enumerate()
                        .filter(|(_, i)| !i.is_null())
                        .map(|(n, i)| (format!("{at}[{n}]"), i)),
                ),
                (true, _) => {}
                (false, c) => next.push((at, c)),
            }
        }
        found = next;
    }
    found
}

/// Every value at `path` that fails `ok`, described as `what` it should be.
pub fn every(v: &Value, path: &str, what: &str, ok: impl Fn(&Value) -> bool) -> Vec<String> {
    values_at(v, path)
        .into_iter()
        .filter(|(_, value)| !ok(value))
        .map(|(at, value)| format!("{at} = {value} is not {what}"))
        .collect()
}

/// A decimal from a JSON string or number.
pub fn decimal(v: &Value) -> Option<Decimal> {
    match v {
        Value::String(s) => s.trim().parse().ok(),
        Value::Number(n) => n.to_string().parse().ok(),
        _ => None,
    }
}

/// A decimal string with exactly `places` decimal places (`"25.0000"` for four).
pub fn decimal_string(v: &Value, places: usize) -> bool {
    v.as_str().is_some_and(|s| {
        let digits = s.strip_prefix('-').unwrap_or(s);
        digits.split_once('.').is_some_and(|(whole, frac)| {
            !whole.is_empty()
                && whole.bytes().all(|b| b.is_ascii_digit())
                && frac.len() == places
                && frac.bytes().all(|b| b.is_ascii_digit())
        })
    })
}

/// An id written as a string of digits (`"69"`), as opposed to a label (`"L"`).
pub fn id_string(v: &Value) -> bool {
    v.as_str()
        .is_some_and(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
}

/// RFC 3339 with a numeric UTC offset (`2026-01-05T10:00:00-05:00`); `Z` counts when
/// `z_ok`.
pub fn rfc3339_with_offset(v: &Value, z_ok: bool) -> bool {
    v.as_str().is_some_and(|s| {
        chrono::DateTime::parse_from_rfc3339(s).is_ok() && (z_ok || !s.ends_with(['Z', 'z']))
    })
}

/// RFC 2822 as BigCommerce's v2 API writes it (`Tue, 05 Mar 2019 21:40:11 +0000`).
pub fn rfc2822(v: &Value) -> bool {
    v.as_str()
        .is_some_and(|s| chrono::DateTime::parse_from_rfc2822(s).is_ok())
}

/// A date-time without an offset (`2017-03-22T16:28:02`), as WooCommerce writes both
/// its site-local and its `_gmt` dates.
pub fn zoneless_date_time(v: &Value) -> bool {
    v.as_str()
        .is_some_and(|s| chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S").is_ok())
}

/// An ISO 3166-1 alpha-2 country code (`CA`), not a country's name.
pub fn country_code(v: &Value) -> bool {
    v.as_str()
        .is_some_and(|s| s.len() == 2 && s.bytes().all(|b| b.is_ascii_uppercase()))
}

/// An ISO 4217 currency code (`USD`).
pub fn currency_code(v: &Value) -> bool {
    v.as_str()
        .is_some_and(|s| s.len() == 3 && s.bytes().all(|b| b.is_ascii_uppercase()))
}

/// Where `total` is not the sum of `parts` (all read with [`decimal`]), on `record`.
pub fn adds_up(record: &Value, total: &str, parts: &[&str]) -> Vec<String> {
    let get = |k: &str| record.get(k).and_then(decimal);
    let (Some(want), Some(sum)) = (
        get(total),
        parts.iter().map(|p| get(p)).sum::<Option<Decimal>>(),
    ) else {
        return vec![format!(
            "{total} or one of {parts:?} is missing or not a number"
        )];
    };
    if want == sum {
        Vec::new()
    } else {
        vec![format!(
            "{total} = {want}, but {} = {sum}",
            parts.join(" + ")
        )]
    }
}

/// Runs every rule on the platform's example (`real`) and on the simulator's record,
/// adding the problems, named after `name`, to `failures`.
pub fn check(name: &str, real: &Value, sim: &Value, rules: &[Rule], failures: &mut Vec<String>) {
    for rule in rules {
        for p in rule(real) {
            failures.push(format!(
                "{name}: the platform's own example breaks a rule: {p}"
            ));
        }
        for p in rule(sim) {
            failures.push(format!("{name}: {p}"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn paths_reach_every_item() {
        let v = json!({"lines": [{"opts": [{"v": "1"}, {"v": "L"}]}, {"opts": null}], "n": null});
        let at: Vec<String> = values_at(&v, "$.lines[].opts[].v")
            .into_iter()
            .map(|(at, _)| at)
            .collect();
        assert_eq!(at, ["$.lines[0].opts[0].v", "$.lines[0].opts[1].v"]);
        assert!(values_at(&v, "$.n").is_empty());
        assert_eq!(
            every(&v, "$.lines[].opts[].v", "an id", id_string),
            ["$.lines[0].opts[1].v = \"L\" is not an id"]
        );
    }

    #[test]
    fn value_checks() {
        assert!(decimal_string(&json!("25.0000"), 4));
        assert!(!decimal_string(&json!("25.00"), 4));
        assert!(!decimal_string(&json!(25.0), 2));
        assert!(rfc3339_with_offset(
            &json!("2026-01-05T10:00:00-05:00"),
            false
        ));
        assert!(!rfc3339_with_offset(&json!("2026-01-05T10:00:00Z"), false));
        assert!(rfc2822(&json!("Tue, 05 Mar 2019 21:40:11 +0000")));
        assert!(zoneless_date_time(&json!("2017-03-22T16:28:02")));
        assert!(!zoneless_date_time(&json!("2017-03-22T16:28:02Z")));
        assert!(country_code(&json!("CA")) && !country_code(&json!("Canada")));
        let r = json!({"total": "10.50", "a": "10.00", "b": 0.5});
        assert!(adds_up(&r, "total", &["a", "b"]).is_empty());
        assert_eq!(adds_up(&r, "total", &["a"]).len(), 1);
    }
}
