//! Restart-safe positions in BigCommerce's listings (the opaque cursor, as JSON).
//!
//! Listings that filter by date modified (v2 orders `min_date_modified`, v3 products
//! and customers `date_modified:min`) are read oldest change first and go on from the
//! last date seen (keyset paging), not by page number: a record changed while a pass
//! pages moves to the end of the listing, where the pass still reads it, and shifts
//! nothing in front of the position (page numbers would skip the record that slid
//! into the page already read). Dates have whole seconds, so the next page starts at
//! the last second seen and drops the records of that second already returned (their
//! ids ride in the cursor); a page all of one second goes on by page number within it.
//! Listings without dates (categories, inventory) go by page number.

use chrono::{DateTime, TimeZone, Utc};
use polycart_kit::decode::parse_datetime;
use polycart_kit::{Cursor, Result};
use serde::{Deserialize, Serialize};
use serde_json::Value;

fn first_page() -> u32 {
    1
}

/// Where the next page of a listing starts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct PageCursor {
    /// The page number (within the `since` second when it is set).
    #[serde(default = "first_page")]
    pub(crate) page: u32,
    /// Unix seconds: the listing goes on from records modified at or after this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) since: Option<i64>,
    /// Ids of records modified in the `since` second that were already returned.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) seen: Vec<String>,
}

impl Default for PageCursor {
    fn default() -> Self {
        Self {
            page: 1,
            since: None,
            seen: Vec::new(),
        }
    }
}

/// A record's id as text (`123` or `"123"`).
pub(crate) fn id_of(item: &Value) -> Option<String> {
    match item.get("id")? {
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) => Some(s.clone()),
        _ => None,
    }
}

/// A record's `date_modified` (RFC 2822 on v2, ISO 8601 on v3) in unix seconds.
fn modified_of(item: &Value) -> Option<i64> {
    let text = item.get("date_modified")?.as_str()?;
    parse_datetime(text).map(|t| t.timestamp())
}

impl PageCursor {
    /// The cursor a query carries (the first page without one).
    pub(crate) fn read(cursor: Option<&Cursor>) -> Result<Self> {
        let mut c = match cursor {
            Some(c) => c.decode::<Self>()?,
            None => Self::default(),
        };
        c.page = c.page.max(1);
        Ok(c)
    }

    /// The date-modified filter to send: the position's, or else the query's.
    pub(crate) fn since(&self, query: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
        let own = self.since.and_then(|s| Utc.timestamp_opt(s, 0).single());
        match (own, query) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        }
    }

    /// One keyset step over a page read from [`PageCursor::since`]: drops the records
    /// the previous page already returned and says where the next page starts, if
    /// the listing has `more`.
    pub(crate) fn next_by_date(&self, items: &mut Vec<Value>, more: bool) -> Option<Self> {
        let keys: Vec<(Option<String>, Option<i64>)> =
            items.iter().map(|i| (id_of(i), modified_of(i))).collect();
        let ids_at = |second: i64| -> Vec<String> {
            keys.iter()
                .filter(|(_, t)| *t == Some(second))
                .filter_map(|(id, _)| id.clone())
                .collect()
        };
        let next = more.then(|| match keys.iter().filter_map(|k| k.1).max() {
            Some(last) if self.since.is_none_or(|s| last > s) => Self {
                page: 1,
                since: Some(last),
                seen: ids_at(last),
            },
            // A page all of one second (or undated): on by page number.
            _ => Self {
                page: self.page + 1,
                since: self.since,
                seen: self.since.map(ids_at).unwrap_or_default(),
            },
        });
        if let Some(since) = self.since {
            let mut keys = keys.iter();
            items.retain(|_| {
                let (id, t) = keys.next().expect("one key per item");
                !(*t == Some(since) && id.as_ref().is_some_and(|id| self.seen.contains(id)))
            });
        }
        next
    }

    /// The next page number, if the listing has `more`.
    pub(crate) fn next_by_page(&self, more: bool) -> Option<Self> {
        more.then(|| Self {
            page: self.page + 1,
            ..Self::default()
        })
    }

    pub(crate) fn encode(&self) -> Cursor {
        Cursor::encode(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn order(id: u64, second: u32) -> Value {
        json!({ "id": id, "date_modified": format!("Tue, 05 Mar 2019 21:40:{second:02} +0000") })
    }

    fn ids(items: &[Value]) -> Vec<String> {
        items.iter().filter_map(id_of).collect()
    }

    #[test]
    fn goes_on_from_the_last_second_and_drops_what_it_returned() {
        let first = PageCursor::default();
        let mut page = vec![order(1, 1), order(2, 2), order(3, 3), order(4, 3)];
        let next = first.next_by_date(&mut page, true).unwrap();
        assert_eq!(ids(&page), ["1", "2", "3", "4"]);
        assert_eq!(next.page, 1);
        assert_eq!(next.seen, ["3", "4"]);
        let since = next.since(None).unwrap();
        assert_eq!(since.to_rfc2822(), "Tue, 5 Mar 2019 21:40:03 +0000");

        // Order 2 changed meanwhile: it is at the end now, and nothing was skipped.
        let mut page = vec![order(3, 3), order(4, 3), order(5, 4), order(2, 9)];
        let last = next.next_by_date(&mut page, false);
        assert_eq!(ids(&page), ["5", "2"]);
        assert_eq!(last, None);
    }

    #[test]
    fn a_page_of_one_second_goes_on_by_page_number() {
        let at = PageCursor {
            page: 1,
            since: Some(
                order(0, 7)["date_modified"]
                    .as_str()
                    .map(|t| parse_datetime(t).unwrap().timestamp())
                    .unwrap(),
            ),
            seen: vec!["10".into()],
        };
        let mut page = vec![order(10, 7), order(11, 7), order(12, 7)];
        let next = at.next_by_date(&mut page, true).unwrap();
        assert_eq!(ids(&page), ["11", "12"]);
        assert_eq!((next.page, next.since), (2, at.since));
        let mut undated = vec![json!({ "id": 1 }), json!({ "id": 2 })];
        let next = PageCursor::default()
            .next_by_date(&mut undated, true)
            .unwrap();
        assert_eq!((next.page, next.since, undated.len()), (2, None, 2));
    }

    #[test]
    fn old_page_cursors_still_read() {
        let c = PageCursor::read(Some(&Cursor::new(r#"{"page":5}"#))).unwrap();
        assert_eq!((c.page, c.since), (5, None));
        assert_eq!(c.next_by_page(true).unwrap().page, 6);
        assert!(PageCursor::read(Some(&Cursor::new("junk"))).is_err());
        let query = Utc.timestamp_opt(1_000, 0).single();
        assert_eq!(PageCursor::default().since(query), query);
    }
}
