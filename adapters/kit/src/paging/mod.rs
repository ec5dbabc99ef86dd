//! Paging strategies as data. Each strategy turns a query and its cursor into the
//! request's paging parameters, and a response (headers, body, the records the
//! envelope split out) into the next cursor, as plain functions a test can call
//! without a network: page numbers ([`PageNumber`]), offsets ([`Offset`],
//! [`OffsetInOne`]), the `Link`
//! header ([`LinkHeader`]), an opaque token in the body ([`BodyToken`]), a GraphQL
//! connection ([`Connection`]), the keyset by modification time ([`Keyset`]) and
//! Magento's `searchCriteria` ([`SearchCriteria`]: a keyset by time and id, or page
//! numbers that stop on `total_count`).
//! [`Paging`] names one of them; [`crate::endpoint`] drives it through a transport,
//! and adapters with their own clients call the strategies directly.
//!
//! Cursors are compact JSON in [`Cursor`]; a cursor another strategy (or an older
//! adapter) wrote is refused as `Invalid`, never misread.

pub mod graphql;
pub mod keyset;
pub mod link;
pub mod offset;
pub mod page_number;
pub mod search_criteria;
pub mod token;

use chrono::{DateTime, Utc};
use http::HeaderMap;
use serde_json::value::RawValue;

use crate::adapter::{Cursor, ListQuery};
use crate::error::Result;

pub use graphql::Connection;
pub use keyset::{Key, KeyFields, Keyset, Position, Resume, TieBreak, WindowBy};
pub use link::LinkHeader;
pub use offset::{Offset, OffsetInOne};
pub use page_number::{PageNumber, Total};
pub use search_criteria::{SearchCriteria, SearchKeyset};
pub use token::BodyToken;

/// How a timestamp filter's value is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateFormat {
    /// `2025-01-01T00:00:09Z` (BigCommerce v3, Shopify, Wix, Squarespace).
    Rfc3339,
    /// `2025-01-01T00:00:09`, read as UTC by the platform (WooCommerce with
    /// `dates_are_gmt=true`).
    NaiveUtc,
    /// `2025-01-01 00:00:09`, a space between date and time, read as UTC (Magento's
    /// `searchCriteria` date filters, which compare with its UTC columns as text).
    SqlUtc,
    /// `Wed, 01 Jan 2025 00:00:09 +0000` (BigCommerce v2).
    Rfc2822,
    /// Unix seconds (Shopee, Lazada, TikTok Shop).
    UnixSeconds,
    /// `2025-01-01T00:00:09+00:00`: ISO 8601 with a numeric offset, for platforms whose
    /// date filters refuse `Z` (Lazada's `update_after`: `YYYY-MM-DDTHH:mm:ss±HH:MM`).
    Rfc3339Offset,
}

impl DateFormat {
    /// Unix second `second` in this format.
    pub fn format(self, second: i64) -> String {
        let Some(t) = DateTime::from_timestamp(second, 0) else {
            return second.to_string();
        };
        match self {
            DateFormat::Rfc3339 => t.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            DateFormat::NaiveUtc => t.format("%Y-%m-%dT%H:%M:%S").to_string(),
            DateFormat::SqlUtc => t.format("%Y-%m-%d %H:%M:%S").to_string(),
            DateFormat::Rfc2822 => t.format("%a, %d %b %Y %H:%M:%S +0000").to_string(),
            DateFormat::UnixSeconds => second.to_string(),
            DateFormat::Rfc3339Offset => t.format("%Y-%m-%dT%H:%M:%S+00:00").to_string(),
        }
    }
}

/// How a platform is told a bound on a record's modification time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bound {
    /// The parameter includes the second it names (BigCommerce `min_date_modified`,
    /// `date_modified:max`).
    Inclusive(&'static str),
    /// The parameter excludes the second it names (WooCommerce `modified_after`,
    /// `modified_before`).
    Exclusive(&'static str),
}

impl Bound {
    /// The parameter asking for records modified at or after `second`.
    pub fn from(self, second: i64, format: DateFormat) -> (&'static str, String) {
        match self {
            Bound::Inclusive(p) => (p, format.format(second)),
            Bound::Exclusive(p) => (p, format.format(second - 1)),
        }
    }

    /// The parameter asking for records modified at or before `second`.
    pub fn until(self, second: i64, format: DateFormat) -> (&'static str, String) {
        match self {
            Bound::Inclusive(p) => (p, format.format(second)),
            Bound::Exclusive(p) => (p, format.format(second + 1)),
        }
    }
}

/// An "updated since" filter: its parameter and how its value is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Since {
    pub bound: Bound,
    pub format: DateFormat,
}

impl Since {
    /// The parameter for records modified at or after `since` (platforms keep whole
    /// seconds, so the first whole second not before it).
    pub fn param(&self, since: DateTime<Utc>) -> (&'static str, String) {
        self.bound.from(first_second(since), self.format)
    }
}

/// The first whole unix second not earlier than `t`.
pub fn first_second(t: DateTime<Utc>) -> i64 {
    t.timestamp() + i64::from(t.timestamp_subsec_nanos() > 0)
}

/// One request's paging parameters.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PageRequest {
    /// Query parameters (names are the platform's; a `Link` header's next page brings
    /// its own).
    pub query: Vec<(String, String)>,
    /// GraphQL variables, for connections.
    pub variables: serde_json::Map<String, serde_json::Value>,
}

impl PageRequest {
    pub(crate) fn push(&mut self, name: &str, value: impl Into<String>) {
        self.query.push((name.to_owned(), value.into()));
    }

    /// The query parameters as borrowed pairs.
    pub fn pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        self.query.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }
}

/// What a response told the paging: its headers, its body and the records the
/// envelope split out of it, in order.
#[derive(Debug, Clone, Copy)]
pub struct PageView<'a> {
    pub headers: &'a HeaderMap,
    pub body: &'a str,
    pub items: &'a [&'a RawValue],
}

/// What one page amounts to.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    /// Per record of the page: hand it on (`false`: an earlier page returned it).
    pub keep: Vec<bool>,
    /// Where the next page starts; `None` after the last.
    pub next: Option<Cursor>,
}

impl Step {
    /// Every record kept.
    pub fn all(count: usize, next: Option<Cursor>) -> Self {
        Self {
            keep: vec![true; count],
            next,
        }
    }
}

/// A listing's paging strategy.
#[derive(Debug, Clone, Copy)]
pub enum Paging {
    PageNumber(PageNumber),
    Offset(Offset),
    OffsetInOne(OffsetInOne),
    Link(LinkHeader),
    Token(BodyToken),
    Connection(Connection),
    Keyset(Keyset),
    SearchCriteria(SearchCriteria),
}

impl Paging {
    /// The paging parameters of the page `query.cursor` names (the first without one),
    /// `limit` records long; `max` is the platform's largest page.
    pub fn request(&self, query: &ListQuery, limit: u32, max: u32) -> Result<PageRequest> {
        let at = query.cursor.as_ref();
        match self {
            Paging::PageNumber(p) => p.request(at, limit),
            Paging::Offset(p) => p.request(at, limit),
            Paging::OffsetInOne(p) => p.request(at, limit),
            Paging::Link(p) => p.request(at, limit),
            Paging::Token(p) => p.request(at, limit),
            Paging::Connection(p) => p.request(at, limit),
            Paging::Keyset(p) => {
                let pos = Position::read(at)?;
                Ok(p.request(query.updated_since, pos.as_ref(), limit, max))
            }
            Paging::SearchCriteria(p) => p.request(query.updated_since, at, limit),
        }
    }

    /// Which records of a page to hand on, and where the next page starts.
    pub fn step(
        &self,
        query: &ListQuery,
        limit: u32,
        max: u32,
        view: &PageView<'_>,
    ) -> Result<Step> {
        let at = query.cursor.as_ref();
        let n = view.items.len();
        match self {
            Paging::PageNumber(p) => Ok(Step::all(n, p.next(at, limit, view)?)),
            Paging::Offset(p) => Ok(Step::all(n, p.next(at, limit, view)?)),
            Paging::OffsetInOne(p) => Ok(Step::all(n, p.next(at, limit, view)?)),
            Paging::Link(p) => Ok(Step::all(n, p.next(view))),
            Paging::Token(p) => Ok(Step::all(n, p.next(view)?)),
            Paging::Connection(p) => Ok(Step::all(n, p.next(view)?)),
            Paging::SearchCriteria(p) => Ok(Step::all(n, p.next(at, limit, view)?)),
            Paging::Keyset(p) => {
                let pos = Position::read(at)?;
                let keys = p.keys.read_all(view.items)?;
                let step = p.step(pos.as_ref(), limit, max, &keys)?;
                Ok(Step {
                    keep: step.keep,
                    next: step.next.map(|n| n.encode()),
                })
            }
        }
    }

    /// Whether the listing's filters (and fixed parameters) go on the request for
    /// `cursor`: a `Link` header's next page and a first-page-only token carry them.
    pub fn filters_on(&self, cursor: Option<&Cursor>) -> bool {
        match self {
            Paging::Link(_) => cursor.is_none(),
            Paging::Token(t) => cursor.is_none() || !t.filters_first_page_only,
            _ => true,
        }
    }

    /// Whether the strategy writes the `updated_since` filter itself (the keysets).
    pub fn owns_since(&self) -> bool {
        matches!(
            self,
            Paging::Keyset(_)
                | Paging::SearchCriteria(SearchCriteria {
                    keyset: Some(_),
                    ..
                })
        )
    }
}

/// Whether a page-number or offset listing goes on after `view`: as the platform's
/// count says (`below(count)`) when it states one, else while pages come back full.
pub(crate) fn more(
    view: &PageView<'_>,
    limit: u32,
    total: Option<&Total>,
    below: impl FnOnce(u64) -> bool,
) -> Result<bool> {
    if view.items.is_empty() {
        return Ok(false);
    }
    Ok(match total.map(|t| t.read(view)).transpose()?.flatten() {
        Some(count) => below(count),
        None => view.items.len() >= limit as usize,
    })
}

/// Decodes a strategy's cursor state (`None` without a cursor).
pub(crate) fn state<T: serde::de::DeserializeOwned>(at: Option<&Cursor>) -> Result<Option<T>> {
    at.map(Cursor::decode).transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_in_each_format() {
        let s = 1_735_689_609; // 2025-01-01T00:00:09Z
        assert_eq!(DateFormat::Rfc3339.format(s), "2025-01-01T00:00:09Z");
        assert_eq!(DateFormat::NaiveUtc.format(s), "2025-01-01T00:00:09");
        assert_eq!(DateFormat::SqlUtc.format(s), "2025-01-01 00:00:09");
        assert_eq!(
            DateFormat::Rfc2822.format(s),
            "Wed, 01 Jan 2025 00:00:09 +0000"
        );
        assert_eq!(DateFormat::UnixSeconds.format(s), "1735689609");
        assert_eq!(
            DateFormat::Rfc3339Offset.format(s),
            "2025-01-01T00:00:09+00:00"
        );
    }

    #[test]
    fn bounds_say_at_or_after_and_at_or_before() {
        let f = DateFormat::UnixSeconds;
        assert_eq!(Bound::Inclusive("min").from(10, f), ("min", "10".into()));
        assert_eq!(Bound::Exclusive("after").from(10, f), ("after", "9".into()));
        assert_eq!(Bound::Inclusive("max").until(10, f), ("max", "10".into()));
        assert_eq!(
            Bound::Exclusive("before").until(10, f),
            ("before", "11".into())
        );
        let since = Since {
            bound: Bound::Exclusive("modified_after"),
            format: DateFormat::NaiveUtc,
        };
        let t = DateTime::parse_from_rfc3339("2025-01-01T00:00:10Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(since.param(t).1, "2025-01-01T00:00:09");
        let later = t + chrono::Duration::milliseconds(500);
        assert_eq!(since.param(later).1, "2025-01-01T00:00:10");
    }
}
