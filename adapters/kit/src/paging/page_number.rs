//! Page-number paging (`page=2&per_page=100`): the next page is the one after, while
//! the platform's page count says there are more (WooCommerce's `X-WP-TotalPages`
//! header, BigCommerce v3's `meta.pagination.total_pages`) or, without one, while
//! pages come back full. Fine for listings nothing reorders while a pass reads them;
//! a listing by modification time wants the [`super::Keyset`].

use serde::{Deserialize, Serialize};

use super::{PageRequest, PageView, more, state};
use crate::adapter::Cursor;
use crate::envelope::pointer;
use crate::error::Result;

/// Where a platform states a count (of pages, or of records).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Total {
    /// A response header (`X-WP-TotalPages`, `X-WP-Total`).
    Header(&'static str),
    /// A JSON pointer into the body (`/meta/pagination/total_pages`).
    At(&'static str),
}

impl Total {
    /// The count in a response, when it states one.
    pub fn read(&self, view: &PageView<'_>) -> Result<Option<u64>> {
        Ok(match self {
            Total::Header(name) => view
                .headers
                .get(*name)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse().ok()),
            Total::At(p) => pointer(view.body, p)?.and_then(|v| v.get().trim().parse().ok()),
        })
    }
}

/// Page-number paging.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageNumber {
    /// The page parameter (pages count from 1).
    pub page: &'static str,
    /// The page-size parameter.
    pub size: &'static str,
    /// Where the platform says how many pages there are, if it does.
    pub total_pages: Option<Total>,
}

/// The cursor: `{"page": n}` (older adapters wrote `{"p": n}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
struct State {
    #[serde(alias = "p")]
    page: u32,
}

impl PageNumber {
    fn page(at: Option<&Cursor>) -> Result<u32> {
        Ok(state::<State>(at)?.map_or(1, |s| s.page.max(1)))
    }

    pub fn request(&self, at: Option<&Cursor>, limit: u32) -> Result<PageRequest> {
        let mut r = PageRequest::default();
        r.push(self.page, Self::page(at)?.to_string());
        r.push(self.size, limit.to_string());
        Ok(r)
    }

    pub fn next(
        &self,
        at: Option<&Cursor>,
        limit: u32,
        view: &PageView<'_>,
    ) -> Result<Option<Cursor>> {
        let page = Self::page(at)?;
        let more = more(view, limit, self.total_pages.as_ref(), |pages| {
            u64::from(page) < pages
        })?;
        Ok(more.then(|| Cursor::encode(&State { page: page + 1 })))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderMap;
    use serde_json::value::RawValue;

    fn record() -> Box<RawValue> {
        RawValue::from_string("{}".to_owned()).unwrap()
    }

    #[test]
    fn follows_the_page_count_or_full_pages() {
        let p = PageNumber {
            page: "page",
            size: "per_page",
            total_pages: Some(Total::Header("x-wp-totalpages")),
        };
        let mut h = HeaderMap::new();
        h.insert("x-wp-totalpages", "3".parse().unwrap());
        let raw = record();
        let two = vec![raw.as_ref(); 2];
        let view = PageView {
            headers: &h,
            body: "[{},{}]",
            items: &two,
        };
        let first = p.request(None, 2).unwrap();
        assert_eq!(
            first.query,
            [("page".into(), "1".into()), ("per_page".into(), "2".into())]
        );
        let next = p.next(None, 2, &view).unwrap().unwrap();
        assert_eq!(next.as_str(), r#"{"page":2}"#);
        let third = Cursor::encode(&State { page: 3 });
        assert!(p.next(Some(&third), 2, &view).unwrap().is_none(), "3 of 3");
        // Without a count, a full page means there may be more.
        let bare = PageNumber {
            total_pages: None,
            ..p
        };
        let empty = HeaderMap::new();
        let view = PageView {
            headers: &empty,
            ..view
        };
        assert!(bare.next(None, 2, &view).unwrap().is_some());
        assert!(bare.next(None, 3, &view).unwrap().is_none());
        // Older cursors: `{"p": n}`.
        let old = Cursor::new(r#"{"p":4}"#);
        assert_eq!(bare.request(Some(&old), 2).unwrap().query[0].1, "4");
    }

    #[test]
    fn reads_the_page_count_from_the_body() {
        let p = PageNumber {
            page: "page",
            size: "limit",
            total_pages: Some(Total::At("/meta/pagination/total_pages")),
        };
        let body = r#"{"data":[{}],"meta":{"pagination":{"total":3,"total_pages":3}}}"#;
        let raw = record();
        let one = vec![raw.as_ref()];
        let h = HeaderMap::new();
        let view = PageView {
            headers: &h,
            body,
            items: &one,
        };
        let two = Cursor::encode(&State { page: 2 });
        assert!(p.next(Some(&two), 1, &view).unwrap().is_some());
        let three = Cursor::encode(&State { page: 3 });
        assert!(p.next(Some(&three), 1, &view).unwrap().is_none());
        assert!(p.request(Some(&Cursor::new("nope")), 1).is_err());
    }
}
