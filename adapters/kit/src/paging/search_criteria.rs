//! Paging by `searchCriteria` (Magento 2 / Adobe Commerce, and APIs built on its
//! framework): `searchCriteria[pageSize]`, `[currentPage]`, filter groups (a group's
//! filters are OR'd, groups are AND'd) and sort orders, with the matching count in the
//! body's `total_count`.
//!
//! Two ways through a listing:
//!
//! - **Keyset** ([`SearchKeyset`]): sorted by modification time, then id, both
//!   ascending, always page 1, going on after the last record's `(time, id)`:
//!   `time >= t AND (time > t OR id > i)`, which filter groups write directly (group
//!   0: `time gteq t`; group 1: `time gt t` OR `id gt i`). Records sharing a second
//!   are told apart by the id, so a crowded second is never skipped, and a record
//!   changed while a pass pages moves ahead of the position (where the pass still
//!   reads it) instead of shifting pages. The listing ends with a page that holds
//!   every record `total_count` says still match (or, without a count, a short page).
//! - **Page numbers** ([`SearchCriteria::keyset`] `None`): for listings without a
//!   modification time (MSI source items). Magento answers a page past the end with
//!   the **last page again**, not an empty one, so the end is decided from
//!   `total_count` alone (pages = ⌈total_count / pageSize⌉); a body without the count
//!   cannot be paged safely and is a decode error.
//!
//! Filter groups 0 and 1 belong to the paging; an adapter's own filters use groups from
//! [`FIRST_FREE_GROUP`] on ([`filter`] writes one).

use serde::{Deserialize, Serialize};

use super::{DateFormat, PageRequest, PageView, Total, first_second, state};
use crate::adapter::Cursor;
use crate::error::{Error, Result};
use crate::paging::keyset::{Key, KeyFields};

/// The first filter group an adapter's own filters may use.
pub const FIRST_FREE_GROUP: usize = 2;

/// The three parameters of one filter: `searchCriteria[filter_groups][g][filters][f][field|value|condition_type]`.
pub fn filter(
    group: usize,
    index: usize,
    field: &str,
    value: &str,
    condition: &str,
) -> [(String, String); 3] {
    let at = format!("searchCriteria[filter_groups][{group}][filters][{index}]");
    [
        (format!("{at}[field]"), field.to_owned()),
        (format!("{at}[value]"), value.to_owned()),
        (format!("{at}[condition_type]"), condition.to_owned()),
    ]
}

/// The parameters of sort order `index`.
pub fn sort(index: usize, field: &str, ascending: bool) -> [(String, String); 2] {
    let at = format!("searchCriteria[sortOrders][{index}]");
    [
        (format!("{at}[field]"), field.to_owned()),
        (
            format!("{at}[direction]"),
            if ascending { "ASC" } else { "DESC" }.to_owned(),
        ),
    ]
}

/// The keyset by modification time and id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SearchKeyset {
    /// The filter and sort field of the modification time (`updated_at`).
    pub modified_field: &'static str,
    /// The filter and sort field of the id (`entity_id`).
    pub id_field: &'static str,
    /// Where a listed record holds them (products answer `id` for `entity_id`).
    pub keys: KeyFields,
    /// How a time is written in a filter.
    pub format: DateFormat,
}

/// A `searchCriteria` listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SearchCriteria {
    /// The keyset; `None` pages by number.
    pub keyset: Option<SearchKeyset>,
    /// Where the body says how many records match (`/total_count`).
    pub total: Total,
}

/// The cursor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct State {
    /// Keyset: the last record's second and id.
    #[serde(rename = "t", default, skip_serializing_if = "Option::is_none")]
    second: Option<i64>,
    #[serde(rename = "i", default, skip_serializing_if = "Option::is_none")]
    id: Option<String>,
    /// Page numbers: the page to read (from 1).
    #[serde(rename = "page", default, skip_serializing_if = "Option::is_none")]
    page: Option<u32>,
}

impl SearchCriteria {
    /// The paging parameters of the page at `at`, `limit` records long, from `since`
    /// (keyset listings only).
    pub fn request(
        &self,
        since: Option<chrono::DateTime<chrono::Utc>>,
        at: Option<&Cursor>,
        limit: u32,
    ) -> Result<PageRequest> {
        let s = state::<State>(at)?;
        let mut r = PageRequest::default();
        let mut push = |pairs: &[(String, String)]| {
            for (k, v) in pairs {
                r.push(k, v.clone());
            }
        };
        match &self.keyset {
            Some(k) => {
                let position = s.as_ref().and_then(|s| s.second.zip(s.id.clone()));
                let from = position
                    .as_ref()
                    .map(|(t, _)| *t)
                    .or(since.map(first_second));
                if let Some(t) = from {
                    push(&filter(0, 0, k.modified_field, &k.format.format(t), "gteq"));
                }
                if let Some((t, id)) = &position {
                    push(&filter(1, 0, k.modified_field, &k.format.format(*t), "gt"));
                    push(&filter(1, 1, k.id_field, id, "gt"));
                }
                push(&sort(0, k.modified_field, true));
                push(&sort(1, k.id_field, true));
                push(&[
                    ("searchCriteria[pageSize]".to_owned(), limit.to_string()),
                    ("searchCriteria[currentPage]".to_owned(), "1".to_owned()),
                ]);
            }
            None => {
                let page = s.and_then(|s| s.page).unwrap_or(1).max(1);
                push(&[
                    ("searchCriteria[pageSize]".to_owned(), limit.to_string()),
                    ("searchCriteria[currentPage]".to_owned(), page.to_string()),
                ]);
            }
        }
        Ok(r)
    }

    /// Where the listing goes on after `view`, the page read for `at`.
    pub fn next(
        &self,
        at: Option<&Cursor>,
        limit: u32,
        view: &PageView<'_>,
    ) -> Result<Option<Cursor>> {
        let total = self.total.read(view)?;
        let n = view.items.len() as u64;
        match &self.keyset {
            Some(k) => {
                let done = n == 0
                    || match total {
                        // The count is of every record still matching, this page's too.
                        Some(t) => t <= n,
                        None => n < u64::from(limit),
                    };
                if done {
                    return Ok(None);
                }
                let keys = k.keys.read_all(view.items)?;
                check_order(&keys, k)?;
                let last = keys.last().expect("a page with records has a last one");
                let second = last.second.ok_or_else(|| {
                    Error::decode(
                        format!("$[{}].{}", keys.len() - 1, k.keys.modified),
                        "a record without a modification time cannot be paged by it",
                    )
                })?;
                let before = state::<State>(at)?.and_then(|s| s.second.zip(s.id));
                if before.is_some_and(|(t, i)| t == second && i == last.id) {
                    return Err(Error::decode(
                        "$",
                        "the platform answered the same page again (filters ignored?)",
                    ));
                }
                Ok(Some(Cursor::encode(&State {
                    second: Some(second),
                    id: Some(last.id.clone()),
                    page: None,
                })))
            }
            None => {
                let page = state::<State>(at)?.and_then(|s| s.page).unwrap_or(1).max(1);
                let Some(total) = total else {
                    return Err(Error::decode(
                        "$.total_count",
                        "missing: without it the end of a searchCriteria listing is unknown (a page past the end repeats the last)",
                    ));
                };
                let read = u64::from(page) * u64::from(limit.max(1));
                Ok((n > 0 && read < total).then(|| {
                    Cursor::encode(&State {
                        second: None,
                        id: None,
                        page: Some(page + 1),
                    })
                }))
            }
        }
    }
}

/// The page must be sorted by `(second, id)` ascending, or the keyset would skip.
fn check_order(keys: &[Key], k: &SearchKeyset) -> Result<()> {
    let num = |id: &str| id.parse::<u128>().ok();
    for (i, pair) in keys.windows(2).enumerate() {
        let (a, b) = (&pair[0], &pair[1]);
        let ordered = match (a.second, b.second) {
            (Some(x), Some(y)) if x != y => x < y,
            _ => match (num(&a.id), num(&b.id)) {
                (Some(x), Some(y)) => x < y,
                _ => a.id < b.id,
            },
        };
        if !ordered {
            return Err(Error::decode(
                format!("$[{}]", i + 1),
                format!(
                    "records are not sorted by {} then {}: paging would skip",
                    k.modified_field, k.id_field
                ),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderMap;
    use serde_json::value::RawValue;

    const KEYSET: SearchCriteria = SearchCriteria {
        keyset: Some(SearchKeyset {
            modified_field: "updated_at",
            id_field: "entity_id",
            keys: KeyFields {
                id: "entity_id",
                modified: "updated_at",
            },
            format: DateFormat::SqlUtc,
        }),
        total: Total::At("/total_count"),
    };
    const PAGES: SearchCriteria = SearchCriteria {
        keyset: None,
        total: Total::At("/total_count"),
    };

    fn rec(id: u64, at: &str) -> Box<RawValue> {
        RawValue::from_string(format!(r#"{{"entity_id":{id},"updated_at":"{at}"}}"#)).unwrap()
    }

    fn pairs(r: &PageRequest) -> Vec<String> {
        r.query.iter().map(|(k, v)| format!("{k}={v}")).collect()
    }

    #[test]
    fn the_keyset_asks_for_time_then_id_after_the_last_record() {
        let first = KEYSET.request(None, None, 2).unwrap();
        assert_eq!(
            pairs(&first),
            [
                "searchCriteria[sortOrders][0][field]=updated_at",
                "searchCriteria[sortOrders][0][direction]=ASC",
                "searchCriteria[sortOrders][1][field]=entity_id",
                "searchCriteria[sortOrders][1][direction]=ASC",
                "searchCriteria[pageSize]=2",
                "searchCriteria[currentPage]=1",
            ]
        );
        let a = rec(7, "2025-01-01 00:00:09");
        let b = rec(9, "2025-01-01 00:00:09");
        let items = [a.as_ref(), b.as_ref()];
        let h = HeaderMap::new();
        let body = r#"{"items":[],"total_count":5}"#;
        let view = PageView {
            headers: &h,
            body,
            items: &items,
        };
        let next = KEYSET.next(None, 2, &view).unwrap().unwrap();
        let second = KEYSET.request(None, Some(&next), 2).unwrap();
        let q = pairs(&second);
        let filter = |g: usize, f: usize, what: &str| {
            format!("searchCriteria[filter_groups][{g}][filters][{f}][{what}]")
        };
        assert!(q.contains(&format!("{}=2025-01-01 00:00:09", filter(0, 0, "value"))));
        assert!(q.contains(&format!("{}=gteq", filter(0, 0, "condition_type"))));
        assert!(q.contains(&format!("{}=updated_at", filter(1, 0, "field"))));
        assert!(q.contains(&format!("{}=gt", filter(1, 0, "condition_type"))));
        assert!(q.contains(&format!("{}=entity_id", filter(1, 1, "field"))));
        assert!(q.contains(&format!("{}=9", filter(1, 1, "value"))));
        assert!(q.contains(&"searchCriteria[currentPage]=1".to_owned()));
        // The count covers this page: the end.
        let last = PageView {
            body: r#"{"total_count":2}"#,
            ..view
        };
        assert!(KEYSET.next(Some(&next), 2, &last).unwrap().is_none());
    }

    #[test]
    fn the_keyset_starts_at_the_first_whole_second_of_since() {
        let since = chrono::DateTime::parse_from_rfc3339("2025-01-01T00:00:09.5Z")
            .unwrap()
            .with_timezone(&chrono::Utc);
        let r = KEYSET.request(Some(since), None, 10).unwrap();
        assert!(pairs(&r).contains(
            &"searchCriteria[filter_groups][0][filters][0][value]=2025-01-01 00:00:10".to_owned()
        ));
    }

    #[test]
    fn an_unsorted_or_repeated_page_is_refused() {
        let a = rec(9, "2025-01-01 00:00:09");
        let b = rec(7, "2025-01-01 00:00:09");
        let items = [a.as_ref(), b.as_ref()];
        let h = HeaderMap::new();
        let view = PageView {
            headers: &h,
            body: r#"{"total_count":9}"#,
            items: &items,
        };
        assert!(KEYSET.next(None, 2, &view).is_err());
        let items = [b.as_ref(), a.as_ref()];
        let view = PageView {
            items: &items,
            ..view
        };
        let next = KEYSET.next(None, 2, &view).unwrap();
        assert!(
            KEYSET.next(next.as_ref(), 2, &view).is_err(),
            "the same page twice"
        );
    }

    #[test]
    fn page_numbers_stop_on_the_count_not_on_a_repeated_last_page() {
        let a = rec(1, "2025-01-01 00:00:09");
        let items = [a.as_ref(), a.as_ref()];
        let h = HeaderMap::new();
        let view = PageView {
            headers: &h,
            body: r#"{"items":[],"total_count":5}"#,
            items: &items,
        };
        let two = PAGES.next(None, 2, &view).unwrap().unwrap();
        assert_eq!(
            pairs(&PAGES.request(None, Some(&two), 2).unwrap()),
            [
                "searchCriteria[pageSize]=2",
                "searchCriteria[currentPage]=2"
            ]
        );
        let three = PAGES.next(Some(&two), 2, &view).unwrap().unwrap();
        // Page 3 of 5 records by 2 is the last, whatever it holds (Magento would repeat
        // it for page 4).
        assert!(PAGES.next(Some(&three), 2, &view).unwrap().is_none());
        let bare = PageView {
            body: r#"{"items":[]}"#,
            ..view
        };
        assert!(PAGES.next(None, 2, &bare).is_err(), "no count, no paging");
        assert!(
            PAGES
                .request(None, Some(&Cursor::new("{\"x\":1}")), 2)
                .is_err()
        );
    }
    /// A listing that changes between pages: records move to later seconds (as edits
    /// do) while the pass pages through crowded seconds. Every record is read at least
    /// once, and the pass ends.
    #[test]
    fn the_keyset_never_skips_a_record_while_the_listing_changes() {
        use std::collections::BTreeSet;
        // (id, second): many records share a second.
        let mut records: Vec<(u64, i64)> =
            (1..=40).map(|id| (id, 1_000 + (id as i64 % 4))).collect();
        let serve = |records: &[(u64, i64)], r: &PageRequest| -> String {
            let value = |g: usize, f: usize| {
                let at = format!("searchCriteria[filter_groups][{g}][filters][{f}]");
                let get = |what: &str| {
                    r.query
                        .iter()
                        .find(|(k, _)| *k == format!("{at}[{what}]"))
                        .map(|(_, v)| v.clone())
                };
                get("field")
                    .map(|field| (field, get("value").unwrap(), get("condition_type").unwrap()))
            };
            let second = |text: &str| {
                chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S")
                    .unwrap()
                    .and_utc()
                    .timestamp()
            };
            let holds = |(id, t): (u64, i64), (field, value, cond): &(String, String, String)| {
                let (mine, theirs) = if field == "updated_at" {
                    (t, second(value))
                } else {
                    (id as i64, value.parse().unwrap())
                };
                match cond.as_str() {
                    "gteq" => mine >= theirs,
                    "gt" => mine > theirs,
                    other => panic!("{other}"),
                }
            };
            let groups: Vec<Vec<(String, String, String)>> = (0..2)
                .map(|g| (0..2).filter_map(|f| value(g, f)).collect::<Vec<_>>())
                .filter(|g| !g.is_empty())
                .collect();
            let mut hits: Vec<(u64, i64)> = records
                .iter()
                .copied()
                .filter(|r| groups.iter().all(|g| g.iter().any(|f| holds(*r, f))))
                .collect();
            hits.sort_by_key(|(id, t)| (*t, *id));
            let size: usize = r
                .query
                .iter()
                .find(|(k, _)| k == "searchCriteria[pageSize]")
                .unwrap()
                .1
                .parse()
                .unwrap();
            let items: Vec<String> = hits
                .iter()
                .take(size)
                .map(|(id, t)| {
                    format!(
                        r#"{{"entity_id":{id},"updated_at":"{}"}}"#,
                        DateFormat::SqlUtc.format(*t)
                    )
                })
                .collect();
            format!(
                r#"{{"items":[{}],"total_count":{}}}"#,
                items.join(","),
                hits.len()
            )
        };
        let mut seen = BTreeSet::new();
        let mut cursor: Option<Cursor> = None;
        let h = HeaderMap::new();
        for page in 0.. {
            assert!(page < 100, "the pass ends");
            let r = KEYSET.request(None, cursor.as_ref(), 3).unwrap();
            let body = serve(&records, &r);
            let items = crate::envelope::Envelope::At("/items")
                .split(&body)
                .unwrap();
            for i in &items {
                let v: serde_json::Value = serde_json::from_str(i.get()).unwrap();
                seen.insert(v["entity_id"].as_u64().unwrap());
            }
            let view = PageView {
                headers: &h,
                body: &body,
                items: &items,
            };
            cursor = KEYSET.next(cursor.as_ref(), 3, &view).unwrap();
            if cursor.is_none() {
                break;
            }
            // Between pages, an edit moves one record (read or not) to a new second.
            let moved = (page * 7 % 40) as usize;
            records[moved].1 = 2_000 + page;
        }
        assert_eq!(seen.len(), 40, "{seen:?}");
    }
}
