//! `Link` header paging (RFC 8288): the next page is the `rel="next"` link the
//! response names (Shopify REST's `page_info`, WooCommerce's and GitHub-style
//! listings). Only the link's query is kept and sent again to the listing's own path,
//! so a link can never send a request to another host or path; the platform's filters
//! ride in that query (Shopify refuses them next to `page_info`).

use serde::{Deserialize, Serialize};

use super::{PageRequest, PageView, state};
use crate::adapter::Cursor;
use crate::error::Result;

/// `Link` header paging.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinkHeader {
    /// The page-size parameter of the first request.
    pub size: &'static str,
}

/// The cursor: `{"next": "<query of the next link>"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct State {
    next: String,
}

/// The target of the link with relation `rel` in a `Link` header value.
pub fn link_target<'h>(header: &'h str, rel: &str) -> Option<&'h str> {
    let mut rest = header;
    while let Some(open) = rest.find('<') {
        let after = &rest[open + 1..];
        let close = after.find('>')?;
        let target = &after[..close];
        let params_end = after[close..].find('<').map_or(after.len(), |i| close + i);
        let params = after[close + 1..params_end].trim().trim_end_matches(',');
        let names_rel = params.split(';').any(|p| {
            let Some((k, v)) = p.split_once('=') else {
                return false;
            };
            k.trim().eq_ignore_ascii_case("rel")
                && v.trim()
                    .trim_matches('"')
                    .split_ascii_whitespace()
                    .any(|r| r.eq_ignore_ascii_case(rel))
        });
        if names_rel {
            return Some(target);
        }
        rest = &after[params_end..];
    }
    None
}

impl LinkHeader {
    pub fn request(&self, at: Option<&Cursor>, limit: u32) -> Result<PageRequest> {
        let mut r = PageRequest::default();
        match state::<State>(at)? {
            Some(s) => {
                r.query = url::form_urlencoded::parse(s.next.as_bytes())
                    .map(|(k, v)| (k.into_owned(), v.into_owned()))
                    .collect();
            }
            None => r.push(self.size, limit.to_string()),
        }
        Ok(r)
    }

    /// The next page, from the `Link` headers of the response.
    pub fn next(&self, view: &PageView<'_>) -> Option<Cursor> {
        let next = view
            .headers
            .get_all(http::header::LINK)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(|v| link_target(v, "next"))?;
        let query = match url::Url::parse(next) {
            Ok(u) => u.query()?.to_owned(),
            // A relative link: its query.
            Err(_) => next.split_once('?')?.1.to_owned(),
        };
        (!query.is_empty()).then(|| Cursor::encode(&State { next: query }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderMap;

    #[test]
    fn follows_rel_next_by_its_query_only() {
        let p = LinkHeader { size: "limit" };
        let mut h = HeaderMap::new();
        h.insert(
            http::header::LINK,
            r#"<https://shop.example/admin/api/2024-01/orders.json?limit=50&page_info=abc%3D>; rel="previous", <https://elsewhere.example/x?limit=50&page_info=def>; rel="next""#
                .parse()
                .unwrap(),
        );
        let view = PageView {
            headers: &h,
            body: "{}",
            items: &[],
        };
        let next = p.next(&view).unwrap();
        let r = p.request(Some(&next), 50).unwrap();
        assert_eq!(
            r.query,
            [
                ("limit".to_owned(), "50".to_owned()),
                ("page_info".to_owned(), "def".to_owned())
            ]
        );
        assert_eq!(
            p.request(None, 25).unwrap().query,
            [("limit".to_owned(), "25".to_owned())]
        );
        let mut last = HeaderMap::new();
        last.insert(
            http::header::LINK,
            r#"<https://shop.example/o?page=1>; rel="prev""#.parse().unwrap(),
        );
        let view = PageView {
            headers: &last,
            ..view
        };
        assert!(p.next(&view).is_none());
    }

    #[test]
    fn reads_link_header_values() {
        let v = r#"<https://a/?x=1,2>; rel="prev", <https://a/?x=3>; title="t"; rel="next last""#;
        assert_eq!(link_target(v, "next"), Some("https://a/?x=3"));
        assert_eq!(link_target(v, "prev"), Some("https://a/?x=1,2"));
        assert_eq!(link_target(v, "first"), None);
        assert_eq!(link_target("garbage", "next"), None);
    }
}
