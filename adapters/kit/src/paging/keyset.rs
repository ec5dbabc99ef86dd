//! The keyset listing by modification time: read oldest change first and go on from a
//! position, not a page number, so a record changed while a pass pages moves ahead of
//! the position (where the pass still reads it) and never shifts a page the pass has
//! not read yet.
//!
//! Platforms keep whole seconds and many records share one, so the position is a
//! second plus a tie-break inside it ([`Position`]):
//!
//! - **Open** `{t, seen}`: records modified at or after second `t`, in modification
//!   order, except the ids of `t` already returned (`seen`, at most one page of them;
//!   sent as the platform's exclusion filter when it has one, and dropped here in any
//!   case). A full page whose newest second `m` is later than `t` goes on as
//!   `{t: m, seen: ids of m in the page}`: every record older than `m` was in it (the
//!   page is a contiguous run of the order). A full page all of second `t` (more of
//!   it than a page holds) cannot say where it ends, so the listing reads that second
//!   on its own:
//! - **Within** `{t, s, w}`: the records of second `t` alone (its lower and upper
//!   bound both `t`; the ids the open listing returned from it, at most two pages, left
//!   out), in an order by a key that never changes, continued by the platform's
//!   [`TieBreak`]: a real keyset on the id ([`TieBreak::IdAbove`]: "id above the last
//!   returned"), or a window by offset or page that must contain the last record
//!   returned ([`TieBreak::Window`]) — its records after that one are the next ones
//!   (the window is a contiguous run of an order no change reshuffles); a window
//!   without it (records before it changed away, or it did) re-reads the second from
//!   its start. When the second is exhausted the listing is open again from `t + 1`.
//!
//! Why no record is skipped: at every position, each record the pass has not changed
//! and that sorts before the position was returned (by induction over the steps
//! above). A record the pass did not change keeps its second and key, so it is before
//! the position (returned) or after it (still to come, and the last page, which is
//! not full, holds everything after the position). A changed record moves to the
//! second it changed in, which is no earlier than the position's (positions come from
//! seconds already listed), so this pass reads it again — unless the position counts
//! it as returned and it changed within the position's second, or its id was left out
//! of the page that moved past its new second; the next incremental pass, which starts
//! no later than the second this one started in, reads it then.
//! `adapters/kit/tests/keyset.rs` checks this against a simulated listing changing
//! between pages, and shows the page-number cursor it replaces skipping.

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use super::{Bound, DateFormat, PageRequest, first_second};
use crate::adapter::{Cursor, ListQuery};
use crate::decode::{Id, parse_datetime};
use crate::envelope::fields;
use crate::error::{Error, Result};

/// How a listing goes on within one second.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TieBreak {
    /// The platform filters ids above a value, sorted by id (`sort`): BigCommerce v2
    /// `min_id` (inclusive, so the last id plus one) with `sort=id:asc`, v3 catalog
    /// `id:greater` with `sort=id`.
    IdAbove {
        param: &'static str,
        /// The parameter includes the id it names; ids must then be numbers.
        inclusive: bool,
        sort: &'static [(&'static str, &'static str)],
    },
    /// The platform pages the second by offset or page number in an order by a key
    /// that never changes (`sort`: the id, the creation date); each window is checked
    /// to hold the last record returned.
    Window {
        by: WindowBy,
        sort: &'static [(&'static str, &'static str)],
    },
}

/// How a [`TieBreak::Window`] is asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WindowBy {
    /// An offset parameter (WooCommerce `offset`).
    Offset(&'static str),
    /// A page-number parameter counted from 1 (BigCommerce `page`): the window is a
    /// page of a size chosen so it holds the last record returned and some after it.
    Page(&'static str),
}

/// Which members of a record hold its id and modification time (a date in any
/// format [`parse_datetime`] reads, or unix seconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyFields {
    pub id: &'static str,
    pub modified: &'static str,
}

/// What the keyset needs to know of one listed record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Key {
    pub id: String,
    /// The modification time in unix seconds; `None` when the record has none.
    pub second: Option<i64>,
}

impl Key {
    pub fn new(id: impl Into<String>, second: Option<i64>) -> Self {
        Self {
            id: id.into(),
            second,
        }
    }
}

impl KeyFields {
    /// The key of one raw record.
    pub fn read(&self, item: &RawValue) -> Result<Key> {
        let found = fields(item.get(), &[self.id, self.modified])?;
        let id = found[0]
            .ok_or_else(|| Error::decode(format!("$.{}", self.id), "missing"))
            .and_then(|raw| {
                serde_json::from_str::<Id>(raw.get())
                    .map_err(|e| Error::decode(format!("$.{}", self.id), e.to_string()))
            })?;
        let second = match found[1].map(RawValue::get) {
            None | Some("null" | "\"\"") => None,
            Some(text) => Some(second_of(text).ok_or_else(|| {
                Error::decode(
                    format!("$.{}", self.modified),
                    format!("not a timestamp: {text}"),
                )
            })?),
        };
        Ok(Key { id: id.0, second })
    }

    /// The keys of a page's records, errors naming the record (`$[3].id`).
    pub fn read_all(&self, items: &[&RawValue]) -> Result<Vec<Key>> {
        items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                self.read(item)
                    .map_err(|e| crate::decode::at_index(e, i, true))
            })
            .collect()
    }
}

/// A modification time as JSON: a date string, or unix seconds.
fn second_of(json: &str) -> Option<i64> {
    match serde_json::from_str::<serde_json::Value>(json).ok()? {
        serde_json::Value::String(s) => parse_datetime(&s).map(|t| t.timestamp()),
        serde_json::Value::Number(n) => n.as_i64(),
        _ => None,
    }
}

/// A keyset listing by modification time, as the platform spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Keyset {
    /// "Modified at or after" (`modified_after`, `min_date_modified`).
    pub since: Bound,
    /// "Modified at or before" (`modified_before`, `max_date_modified`).
    pub until: Bound,
    pub format: DateFormat,
    /// Oldest change first (`orderby=modified&order=asc`, `sort=date_modified:asc`).
    pub sort: &'static [(&'static str, &'static str)],
    /// The page-size parameter.
    pub limit: &'static str,
    /// A filter leaving out a comma-separated list of ids (WooCommerce `exclude`).
    pub exclude: Option<&'static str>,
    pub tie: TieBreak,
    pub keys: KeyFields,
}

/// Where a keyset listing stands: the cursor's content (`{"t":…,"s":[…]}` or
/// `{"t":…,"w":{…}}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Position {
    /// Unix second: the listing goes on with records modified at or after it.
    #[serde(rename = "t")]
    pub second: i64,
    /// Ids of that second already returned (open listing only).
    #[serde(rename = "s", default, skip_serializing_if = "Vec::is_empty")]
    pub seen: Vec<String>,
    /// Set while the listing reads that second on its own.
    #[serde(rename = "w", default, skip_serializing_if = "Option::is_none")]
    pub within: Option<Within>,
}

/// The place inside one second.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Within {
    /// The id of the last record of the second returned; `None` at its start.
    #[serde(rename = "a", default, skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
    /// For windows: how many records of the second, in its order, came up to and
    /// including that one when it was read.
    #[serde(rename = "n", default, skip_serializing_if = "is_zero")]
    pub count: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl Position {
    /// The open listing from `second` on, `seen` of it returned.
    pub fn open(second: i64, seen: Vec<String>) -> Self {
        Self {
            second,
            seen,
            within: None,
        }
    }

    fn within(second: i64, seen: Vec<String>, within: Within) -> Self {
        Self {
            second,
            seen,
            within: Some(within),
        }
    }

    /// The position a cursor holds (`None` without one); a foreign cursor is `Invalid`.
    pub fn read(cursor: Option<&Cursor>) -> Result<Option<Self>> {
        super::state(cursor)
    }

    pub fn encode(&self) -> Cursor {
        Cursor::encode(self)
    }
}

/// Where a keyset listing resumes, including from the cursor an adapter wrote before it
/// used the kit's keyset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resume {
    /// A position (`None`: the start of the listing).
    At(Option<Position>),
    /// A page of the listing from the query's `updated_since`, as an older page-number
    /// cursor named it: that page is read once (the adapter adds its page parameter),
    /// and the listing goes on by keyset from what it held.
    Page(u32),
}

impl Resume {
    /// Reads `cursor`: a position, else what `older` makes of it (the adapter's reading
    /// of its own older cursors; `Invalid` when it is none of them).
    pub fn read(
        cursor: Option<&Cursor>,
        older: impl FnOnce(&Cursor) -> Result<Resume>,
    ) -> Result<Self> {
        let Some(c) = cursor else {
            return Ok(Resume::At(None));
        };
        match Position::read(Some(c)) {
            Ok(p) => Ok(Resume::At(p)),
            Err(_) => older(c),
        }
    }

    /// The position to go on from (`None` at the start, and for an older page).
    pub fn position(&self) -> Option<&Position> {
        match self {
            Resume::At(p) => p.as_ref(),
            Resume::Page(_) => None,
        }
    }

    /// The query to list with (its cursor the position's) and, for an older page
    /// cursor, the page to ask for.
    pub fn query(&self, query: &ListQuery) -> (ListQuery, Option<u32>) {
        let cursor = self.position().map(Position::encode);
        let page = match self {
            Resume::Page(n) => Some(*n),
            Resume::At(_) => None,
        };
        (query.clone().with_cursor(cursor), page)
    }
}

/// What one keyset page amounts to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeysetStep {
    /// Per record of the page: hand it on (`false`: returned before).
    pub keep: Vec<bool>,
    /// Where the next page starts; `None` after the last.
    pub next: Option<Position>,
}

/// The window `(start, size)` that holds the record at `count - 1` and goes on past
/// it, at most `max` long, about `limit` long.
fn window(by: WindowBy, count: u64, limit: u32, max: u32) -> (u64, u32) {
    let limit = limit.max(1);
    let max = max.max(limit).max(2);
    if count == 0 {
        return (0, limit);
    }
    let last = count - 1;
    match by {
        WindowBy::Offset(_) => {
            let size = limit.max(2);
            // Room for a few records before the last one to change away.
            let slack = last.min(u64::from((size - 2) / 4));
            (last - slack, size)
        }
        WindowBy::Page(_) => {
            let mut best: Option<(u64, u32)> = None;
            for size in (2..=max).rev() {
                let s = u64::from(size);
                let start = last / s * s;
                let after = start + s - count;
                let new = after.min(u64::from(limit));
                // Sizes shrink as the loop goes: the smallest window with the most new
                // records (up to `limit`) wins.
                if after > 0 && best.is_none_or(|(b, _)| new >= b) {
                    best = Some((new, size));
                }
            }
            let size = best.map_or(max, |(_, s)| s);
            let s = u64::from(size);
            (last / s * s, size)
        }
    }
}

impl Keyset {
    /// The request for the page at `at` (`None`: the first page, from `since`), `limit`
    /// records long; `max` is the platform's largest page.
    pub fn request(
        &self,
        since: Option<chrono::DateTime<chrono::Utc>>,
        at: Option<&Position>,
        limit: u32,
        max: u32,
    ) -> PageRequest {
        let mut r = PageRequest::default();
        match at {
            Some(Position {
                second,
                within: Some(w),
                ..
            }) => {
                let (k, v) = self.since.from(*second, self.format);
                r.push(k, v);
                let (k, v) = self.until.until(*second, self.format);
                r.push(k, v);
                self.exclude_seen(&mut r, at);
                match self.tie {
                    TieBreak::IdAbove {
                        param,
                        inclusive,
                        sort,
                    } => {
                        for (k, v) in sort {
                            r.push(k, *v);
                        }
                        if let Some(after) = &w.after {
                            let value = match (inclusive, after.parse::<u64>()) {
                                (true, Ok(n)) => (n + 1).to_string(),
                                _ => after.clone(),
                            };
                            r.push(param, value);
                        }
                        r.push(self.limit, limit.to_string());
                    }
                    TieBreak::Window { by, sort } => {
                        for (k, v) in sort {
                            r.push(k, *v);
                        }
                        let (start, size) = window(by, w.count, limit, max);
                        match by {
                            WindowBy::Offset(p) => r.push(p, start.to_string()),
                            WindowBy::Page(p) => {
                                r.push(p, (start / u64::from(size) + 1).to_string())
                            }
                        }
                        r.push(self.limit, size.to_string());
                    }
                }
            }
            _ => {
                for (k, v) in self.sort {
                    r.push(k, *v);
                }
                let from = at.map(|p| p.second).or(since.map(first_second));
                if let Some(from) = from {
                    let (k, v) = self.since.from(from, self.format);
                    r.push(k, v);
                }
                self.exclude_seen(&mut r, at);
                r.push(self.limit, limit.to_string());
            }
        }
        r
    }

    /// The platform's exclusion of the ids already returned, if it has one. Inside a
    /// second the list does not change, so windows count in the same filtered order.
    fn exclude_seen(&self, r: &mut PageRequest, at: Option<&Position>) {
        if let (Some(p), Some(pos)) = (self.exclude, at)
            && !pos.seen.is_empty()
        {
            r.push(p, pos.seen.join(","));
        }
    }

    /// One step over the page read for `at`: which of its records to hand on, and
    /// where the next page starts. `keys` are the page's records in the order listed.
    pub fn step(
        &self,
        at: Option<&Position>,
        limit: u32,
        max: u32,
        keys: &[Key],
    ) -> Result<KeysetStep> {
        let Some(
            pos @ Position {
                within: Some(w), ..
            },
        ) = at
        else {
            return self.open_step(at, limit, keys);
        };
        let mut step = match self.tie {
            TieBreak::IdAbove { .. } => KeysetStep {
                keep: vec![true; keys.len()],
                next: Some(if keys.len() < limit as usize {
                    Position::open(pos.second + 1, Vec::new())
                } else {
                    let after = keys.last().map(|k| k.id.clone());
                    Position::within(pos.second, pos.seen.clone(), Within { after, count: 0 })
                }),
            },
            TieBreak::Window { by, .. } => window_step(by, pos, w, limit, max, keys),
        };
        // Records the open listing returned from this second before it was read on its
        // own (when the platform cannot leave them out).
        for (keep, k) in step.keep.iter_mut().zip(keys) {
            *keep = *keep && !pos.seen.contains(&k.id);
        }
        Ok(step)
    }

    fn open_step(&self, at: Option<&Position>, limit: u32, keys: &[Key]) -> Result<KeysetStep> {
        let from = at.map(|p| p.second);
        let seen = |k: &Key| {
            k.second.is_some() && k.second == from && at.is_some_and(|p| p.seen.contains(&k.id))
        };
        let keep: Vec<bool> = keys.iter().map(|k| !seen(k)).collect();
        if keys.len() < limit as usize {
            return Ok(KeysetStep { keep, next: None });
        }
        let Some(newest) = keys.iter().filter_map(|k| k.second).max() else {
            return Err(Error::decode(
                format!("$[*].{}", self.keys.modified),
                "a full page without modification times cannot be paged by them",
            ));
        };
        let ids_at = |second: i64| {
            keys.iter()
                .filter(move |k| k.second == Some(second))
                .map(|k| k.id.clone())
        };
        let next = match (at, from) {
            // A full page of the second it started from: read that second on its own,
            // the ids returned from it so far left out (at most two pages of them).
            (Some(pos), Some(t)) if newest <= t => {
                let mut seen = pos.seen.clone();
                seen.extend(ids_at(t).filter(|id| !pos.seen.contains(id)));
                Position::within(t, seen, Within::default())
            }
            _ => Position::open(newest, ids_at(newest).collect()),
        };
        Ok(KeysetStep {
            keep,
            next: Some(next),
        })
    }
}

/// A window step: the records after the last one returned, or a new start.
fn window_step(
    by: WindowBy,
    pos: &Position,
    at: &Within,
    limit: u32,
    max: u32,
    keys: &[Key],
) -> KeysetStep {
    let (start, size) = window(by, at.count, limit, max);
    let first = match &at.after {
        None => Some(0),
        Some(after) => match keys.iter().position(|k| &k.id == after) {
            Some(i) => Some(i + 1),
            // The last record returned left the second: this window is its start.
            None if start == 0 => Some(0),
            None => None,
        },
    };
    let Some(first) = first else {
        // Records before the last one returned changed away: the window moved past it.
        // Read the second again from its start.
        return KeysetStep {
            keep: vec![false; keys.len()],
            next: Some(Position::within(
                pos.second,
                pos.seen.clone(),
                Within::default(),
            )),
        };
    };
    let next = if keys.len() < size as usize {
        Position::open(pos.second + 1, Vec::new())
    } else {
        let after = keys.last().map(|k| k.id.clone());
        let count = start + keys.len() as u64;
        Position::within(pos.second, pos.seen.clone(), Within { after, count })
    };
    KeysetStep {
        keep: (0..keys.len()).map(|i| i >= first).collect(),
        next: Some(next),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BY_ID: TieBreak = TieBreak::IdAbove {
        param: "min_id",
        inclusive: true,
        sort: &[("sort", "id:asc")],
    };

    fn keyset(tie: TieBreak, exclude: Option<&'static str>) -> Keyset {
        Keyset {
            since: Bound::Exclusive("modified_after"),
            until: Bound::Exclusive("modified_before"),
            format: DateFormat::UnixSeconds,
            sort: &[("orderby", "modified")],
            limit: "per_page",
            exclude,
            tie,
            keys: KeyFields {
                id: "id",
                modified: "date_modified_gmt",
            },
        }
    }

    fn k(id: u64, second: i64) -> Key {
        Key::new(id.to_string(), Some(second))
    }

    fn query(r: &PageRequest) -> Vec<String> {
        r.query.iter().map(|(k, v)| format!("{k}={v}")).collect()
    }

    #[test]
    fn goes_on_from_the_newest_second_of_a_full_page() {
        let ks = keyset(BY_ID, Some("exclude"));
        let first = ks.request(None, None, 4, 100);
        assert_eq!(query(&first), ["orderby=modified", "per_page=4"]);
        let step = ks
            .step(None, 4, 100, &[k(1, 1), k(2, 2), k(3, 3), k(4, 3)])
            .unwrap();
        assert_eq!(step.keep, [true; 4]);
        let next = step.next.unwrap();
        assert_eq!(next, Position::open(3, vec!["3".into(), "4".into()]));
        assert_eq!(
            query(&ks.request(None, Some(&next), 4, 100)),
            [
                "orderby=modified",
                "modified_after=2",
                "exclude=3,4",
                "per_page=4"
            ]
        );
        // Order 2 changed meanwhile and is at the end; 3 and 4 come back and are dropped.
        let step = ks
            .step(Some(&next), 4, 100, &[k(3, 3), k(4, 3), k(5, 4), k(2, 9)])
            .unwrap();
        assert_eq!(step.keep, [false, false, true, true]);
        assert_eq!(step.next, Some(Position::open(9, vec!["2".into()])));
        let last = ks.step(step.next.as_ref(), 4, 100, &[k(6, 9)]).unwrap();
        assert_eq!((last.keep, last.next), (vec![true], None));
    }

    #[test]
    fn a_second_longer_than_a_page_is_read_by_id() {
        let ks = keyset(BY_ID, None);
        let at = Position::open(7, vec!["10".into()]);
        let step = ks
            .step(Some(&at), 3, 100, &[k(10, 7), k(11, 7), k(12, 7)])
            .unwrap();
        assert_eq!(step.keep, [false, true, true]);
        let within = step.next.unwrap();
        let seen: Vec<String> = ["10", "11", "12"].map(String::from).into();
        assert_eq!(within, Position::within(7, seen, Within::default()));
        assert_eq!(
            query(&ks.request(None, Some(&within), 3, 100)),
            [
                "modified_after=6",
                "modified_before=8",
                "sort=id:asc",
                "per_page=3"
            ]
        );
        // The second alone, by id: what the open listing returned is not returned again.
        let step = ks
            .step(Some(&within), 3, 100, &[k(10, 7), k(11, 7), k(12, 7)])
            .unwrap();
        assert_eq!(step.keep, [false; 3]);
        let on = step.next.unwrap();
        assert_eq!(
            query(&ks.request(None, Some(&on), 3, 100)),
            [
                "modified_after=6",
                "modified_before=8",
                "sort=id:asc",
                "min_id=13",
                "per_page=3"
            ]
        );
        let done = ks.step(Some(&on), 3, 100, &[k(14, 7)]).unwrap();
        assert_eq!(done.keep, [true]);
        assert_eq!(done.next, Some(Position::open(8, Vec::new())));
    }

    #[test]
    fn windows_hold_the_last_record_or_start_again() {
        let tie = TieBreak::Window {
            by: WindowBy::Offset("offset"),
            sort: &[("orderby", "id")],
        };
        let ks = keyset(tie, None);
        let start = Position::within(7, Vec::new(), Within::default());
        let step = ks
            .step(
                Some(&start),
                10,
                100,
                &(1..=10).map(|i| k(i, 7)).collect::<Vec<_>>(),
            )
            .unwrap();
        let at = step.next.unwrap();
        assert_eq!(
            at.within,
            Some(Within {
                after: Some("10".into()),
                count: 10
            })
        );
        // The window starts two records before the last one returned.
        let r = ks.request(None, Some(&at), 10, 100);
        assert!(
            query(&r).contains(&"offset=7".to_owned()),
            "{:?}",
            query(&r)
        );
        // Record 3 changed away: 10 is one place earlier, still in the window.
        let page: Vec<Key> = (9..=18).map(|i| k(i, 7)).collect();
        let step = ks.step(Some(&at), 10, 100, &page).unwrap();
        assert_eq!(
            step.keep.iter().filter(|x| **x).count(),
            8,
            "11..=18 are new"
        );
        assert_eq!(step.next.unwrap().within.unwrap().count, 17);
        // A window without the last record returned reads the second again.
        let lost: Vec<Key> = (12..=21).map(|i| k(i, 7)).collect();
        let step = ks.step(Some(&at), 10, 100, &lost).unwrap();
        assert!(step.keep.iter().all(|x| !x));
        assert_eq!(
            step.next,
            Some(Position::within(7, Vec::new(), Within::default()))
        );
    }

    #[test]
    fn page_windows_hold_the_last_record_and_more() {
        for count in 1..600u64 {
            for (limit, max) in [(5, 250), (250, 250), (3, 100), (1, 100), (100, 100)] {
                let (start, size) = window(WindowBy::Page("page"), count, limit, max);
                let s = u64::from(size);
                assert!(size >= 2 && size <= max.max(2), "{count} {limit}: {size}");
                assert_eq!(start % s, 0);
                assert!(
                    start < count && count < start + s,
                    "{count}/{limit}: [{start}, {})",
                    start + s
                );
            }
        }
    }

    #[test]
    fn cursors_are_small_and_strict() {
        let p = Position::open(1_700_000_000, vec!["7".into()]);
        assert_eq!(p.encode().as_str(), r#"{"t":1700000000,"s":["7"]}"#);
        assert_eq!(Position::read(Some(&p.encode())).unwrap(), Some(p));
        let w = Position::within(
            5,
            Vec::new(),
            Within {
                after: Some("9".into()),
                count: 3,
            },
        );
        assert_eq!(w.encode().as_str(), r#"{"t":5,"w":{"a":"9","n":3}}"#);
        // Cursors of the page-number listings this replaces are not positions.
        for old in [
            r#"{"a":"2025-01-01T00:00:09","p":2,"s":["7"]}"#,
            r#"{"page":5,"since":17,"seen":["1"]}"#,
            r#"{"page":5}"#,
            "junk",
        ] {
            let err = Position::read(Some(&Cursor::new(old))).unwrap_err();
            assert!(matches!(err, Error::Invalid { .. }), "{old}: {err:?}");
        }
    }

    #[test]
    fn older_cursors_resume_as_the_adapter_reads_them() {
        let older = |c: &Cursor| match c.as_str() {
            r#"{"page":4}"# => Ok(Resume::Page(4)),
            _ => c.decode::<Position>().map(|p| Resume::At(Some(p))),
        };
        assert_eq!(Resume::read(None, older).unwrap(), Resume::At(None));
        let page = Cursor::new(r#"{"page":4}"#);
        let resume = Resume::read(Some(&page), older).unwrap();
        let q = ListQuery::new(crate::model::Entity::Order).with_cursor(Some(page.clone()));
        let (q, n) = resume.query(&q);
        assert_eq!((q.cursor, n), (None, Some(4)));
        let at = Position::open(9, Vec::new());
        let resume = Resume::read(Some(&at.encode()), older).unwrap();
        assert_eq!(resume.position(), Some(&at));
        let (q, n) = resume.query(&ListQuery::new(crate::model::Entity::Order));
        assert_eq!((q.cursor, n), (Some(at.encode()), None));
        assert!(Resume::read(Some(&Cursor::new("junk")), older).is_err());
    }

    #[test]
    fn keys_come_from_named_members() {
        let fields = KeyFields {
            id: "id",
            modified: "date_modified",
        };
        let raw: Vec<Box<RawValue>> = [
            r#"{"id":5,"date_modified":"Tue, 05 Mar 2019 21:40:03 +0000","x":[1]}"#,
            r#"{"id":"6","date_modified":1551822003}"#,
            r#"{"id":7,"date_modified":null}"#,
        ]
        .iter()
        .map(|t| RawValue::from_string((*t).to_owned()).unwrap())
        .collect();
        let refs: Vec<&RawValue> = raw.iter().map(|r| r.as_ref()).collect();
        let keys = fields.read_all(&refs).unwrap();
        assert_eq!(keys[0], Key::new("5", Some(1_551_822_003)));
        assert_eq!(keys[1], Key::new("6", Some(1_551_822_003)));
        assert_eq!(keys[2], Key::new("7", None));
        let bad = RawValue::from_string(r#"{"id":8,"date_modified":"soon"}"#.into()).unwrap();
        let err = fields.read_all(&[bad.as_ref()]).unwrap_err();
        assert!(
            matches!(&err, Error::Decode { path, .. } if path == "$[0].date_modified"),
            "{err:?}"
        );
    }

    #[test]
    fn a_full_page_without_dates_is_an_error() {
        let ks = keyset(BY_ID, None);
        let undated = [Key::new("1", None), Key::new("2", None)];
        assert!(ks.step(None, 2, 100, &undated).is_err());
        assert!(ks.step(None, 3, 100, &undated).unwrap().next.is_none());
    }
}
